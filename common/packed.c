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
 * One primed deflate stream per thread, kept between calls. Priming it
 * (deflateSetDictionary) hashes every position of the 18 KB dictionary,
 * which cost more than deflating the record itself (a third of a worker's
 * instructions), so it is done once per thread; each call works on a
 * deflateCopy of the primed stream, whose output is byte for byte what a
 * freshly primed stream writes. The copy's buffers (about 260 KB) come from
 * an arena the thread keeps: a stream allocated and freed per call would
 * fault those pages in again every time (the allocator hands them back to the
 * kernel). The packer is freed with its thread.
 */
struct packer {
    z_stream primed; /* the dictionary set, nothing deflated; never written to */
    bool ready;
    z_stream z;           /* this call's copy, its buffers in the arena */
    unsigned char *arena; /* PACK_ARENA bytes */
    size_t arena_used;
    bool in_arena; /* allocations go to the arena (a copy), else to malloc */
};

/* The copy's state (~6 KB) and its window, prev, head and pending buffers
 * (4 x 64 KB with window bits 15 and memory level 8); beyond that a copy's
 * allocations fall back to malloc. */
#define PACK_ARENA (300u * 1024u)

static voidpf packer_zalloc(voidpf opaque, uInt items, uInt size)
{
    struct packer *pk = opaque;
    size_t n = ((size_t)items * size + 63) & ~(size_t)63;
    if (pk->in_arena && pk->arena && n <= PACK_ARENA - pk->arena_used) {
        voidpf p = pk->arena + pk->arena_used;
        pk->arena_used += n;
        return p;
    }
    return malloc((size_t)items * size);
}

static void packer_zfree(voidpf opaque, voidpf p)
{
    struct packer *pk = opaque;
    unsigned char *b = p;
    if (pk->arena && b >= pk->arena && b < pk->arena + PACK_ARENA)
        return; /* reused by the next copy */
    free(p);
}

static pthread_key_t packer_key;
static pthread_once_t packer_once = PTHREAD_ONCE_INIT;

static void packer_free(void *p)
{
    struct packer *pk = p;
    if (pk && pk->ready)
        deflateEnd(&pk->primed);
    if (pk)
        free(pk->arena);
    free(pk);
}

static void packer_key_make(void)
{
    (void)pthread_key_create(&packer_key, packer_free);
}

/* The thread's packer with its primed stream, made on first use; NULL when
 * out of memory. */
static struct packer *thread_packer(void)
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
    if (!pk->arena && !(pk->arena = malloc(PACK_ARENA)))
        return NULL;
    if (pk->ready)
        return pk;
    memset(&pk->primed, 0, sizeof pk->primed);
    pk->primed.zalloc = packer_zalloc;
    pk->primed.zfree = packer_zfree;
    pk->primed.opaque = pk;
    pk->in_arena = false;
    if (deflateInit2(&pk->primed, PACK_LEVEL, Z_DEFLATED, PACK_WINDOW_BITS, PACK_MEM_LEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    if (deflateSetDictionary(&pk->primed, (const Bytef *)packed_dict_v1, packed_dict_v1_len) !=
        Z_OK) {
        deflateEnd(&pk->primed);
        return NULL;
    }
    pk->ready = true;
    return pk;
}

static int pack_with_dictionary(const char *text, size_t len, char *buf, size_t cap,
                                size_t *written)
{
    *written = 0;
    struct packer *pk = thread_packer();
    if (!pk)
        return -1;
    pk->arena_used = 0;
    pk->in_arena = true;
    int rc = deflateCopy(&pk->z, &pk->primed);
    pk->in_arena = false;
    if (rc != Z_OK)
        return -1;
    pk->z.next_in = (Bytef *)text;
    pk->z.avail_in = (uInt)len;
    pk->z.next_out = (Bytef *)buf;
    pk->z.avail_out = (uInt)cap;
    rc = deflate(&pk->z, Z_FINISH);
    *written = cap - pk->z.avail_out;
    deflateEnd(&pk->z);
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
            rc = inflateSetDictionary(&z, (const Bytef *)packed_dict_v1, packed_dict_v1_len) == Z_OK
                     ? Z_OK
                     : Z_DATA_ERROR;
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
