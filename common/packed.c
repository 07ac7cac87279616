#include "packed.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "packed_dict.h"

/* Level 1 with the dictionary: within 15 % of level 6's size for these
 * records and the cheapest in CPU; the worker packs every value it commits. */
#define PACK_LEVEL 1
#define PACK_WINDOW_BITS 15
#define PACK_MEM_LEVEL 8

/*
 * One deflate stream per thread, kept between calls: a new stream allocates
 * about 270 KB that the allocator hands back to the kernel when it is freed,
 * so every call would fault those pages in again (four fifths of the cost of
 * packing an EOB). The stream is reset, not freed, and freed with its thread.
 */
struct packer {
    z_stream z;
    bool ready;
};

static pthread_key_t packer_key;
static pthread_once_t packer_once = PTHREAD_ONCE_INIT;

static void packer_free(void *p)
{
    struct packer *pk = p;
    if (pk && pk->ready)
        deflateEnd(&pk->z);
    free(pk);
}

static void packer_key_make(void)
{
    (void)pthread_key_create(&packer_key, packer_free);
}

static z_stream *thread_deflate_stream(void)
{
    pthread_once(&packer_once, packer_key_make);
    struct packer *pk = pthread_getspecific(packer_key);
    if (!pk) {
        pk = calloc(1, sizeof *pk);
        if (!pk || pthread_setspecific(packer_key, pk) != 0) {
            free(pk);
            return NULL;
        }
    }
    if (pk->ready) {
        if (deflateReset(&pk->z) == Z_OK)
            return &pk->z;
        deflateEnd(&pk->z);
        pk->ready = false;
    }
    memset(&pk->z, 0, sizeof pk->z);
    if (deflateInit2(&pk->z, PACK_LEVEL, Z_DEFLATED, PACK_WINDOW_BITS, PACK_MEM_LEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    pk->ready = true;
    return &pk->z;
}

static int pack_with_dictionary(const char *text, size_t len, char *buf, size_t cap,
                                size_t *written)
{
    z_stream *z = thread_deflate_stream();
    if (!z)
        return -1;
    int rc = deflateSetDictionary(z, (const Bytef *)packed_dictionary_v1,
                                  packed_dictionary_v1_len);
    if (rc == Z_OK) {
        z->next_in = (Bytef *)text;
        z->avail_in = (uInt)len;
        z->next_out = (Bytef *)buf;
        z->avail_out = (uInt)cap;
        rc = deflate(z, Z_FINISH);
    }
    *written = cap - z->avail_out;
    return rc == Z_STREAM_END ? 0 : -1;
}

int packed_pack(const char *text, size_t len, char **out, size_t *out_len)
{
    size_t bound = (size_t)deflateBound(NULL, (uLong)len) + 64;
    size_t cap = 1 + (bound > len ? bound : len);
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    size_t n = 0;
    if (pack_with_dictionary(text, len, buf + 1, cap - 1, &n) == 0 && n < len) {
        buf[0] = 'D';
        *out = buf;
        *out_len = 1 + n;
        return 0;
    }
    buf[0] = 'T';
    memcpy(buf + 1, text, len);
    *out = buf;
    *out_len = 1 + len;
    return 0;
}

/* Inflates a zlib stream, with the preset dictionary when it asks for one. */
static int inflate_all(const char *in, size_t len, char **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return -1;
    size_t cap = len * 8 + 256, used = 0;
    char *t = NULL;
    int rc = Z_OK;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    for (;;) {
        if (cap > PACKED_MAX_TEXT + 1)
            cap = PACKED_MAX_TEXT + 1;
        char *bigger = realloc(t, cap);
        if (!bigger) {
            rc = Z_MEM_ERROR;
            break;
        }
        t = bigger;
        z.next_out = (Bytef *)t + used;
        z.avail_out = (uInt)(cap - used - 1);
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_NEED_DICT)
            rc = inflateSetDictionary(&z, (const Bytef *)packed_dictionary_v1,
                                      packed_dictionary_v1_len) == Z_OK ? Z_OK : Z_DATA_ERROR;
        used = cap - 1 - z.avail_out;
        if (rc != Z_OK)
            break;
        if (z.avail_out == 0) {
            if (cap > PACKED_MAX_TEXT) { /* more text than a value may hold */
                rc = Z_DATA_ERROR;
                break;
            }
            cap *= 2;
        } else if (z.avail_in == 0) {
            rc = Z_DATA_ERROR; /* the stream ended before its end: a cut value */
            break;
        }
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(t);
        return -1;
    }
    t[used] = '\0';
    *out = t;
    *out_len = used;
    return 0;
}

int packed_unpack(const char *value, size_t len, char **out, size_t *out_len)
{
    if (len < 1)
        return -1;
    if (value[0] == 'T') {
        char *t = malloc(len);
        if (!t)
            return -1;
        memcpy(t, value + 1, len - 1);
        t[len - 1] = '\0';
        *out = t;
        *out_len = len - 1;
        return 0;
    }
    if (value[0] != 'D' && value[0] != 'Z')
        return -1;
    return inflate_all(value + 1, len - 1, out, out_len);
}
