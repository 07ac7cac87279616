#include "packed.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Level 1: four times faster than zlib's default for JSON of a few KB and
 * within a few percent of its size; the worker packs every EOB it writes. */
#define PACK_LEVEL 1

int packed_pack(const char *text, size_t len, char **out, size_t *out_len)
{
    uLongf bound = compressBound((uLong)len);
    char *buf = malloc(1 + (size_t)bound);
    if (!buf)
        return -1;
    uLongf n = bound;
    if (compress2((Bytef *)buf + 1, &n, (const Bytef *)text, (uLong)len, PACK_LEVEL) == Z_OK &&
        n < len) {
        buf[0] = 'Z';
        *out = buf;
        *out_len = 1 + (size_t)n;
        return 0;
    }
    if (1 + len > 1 + (size_t)bound) {
        char *bigger = realloc(buf, 1 + len);
        if (!bigger) {
            free(buf);
            return -1;
        }
        buf = bigger;
    }
    buf[0] = 'T';
    memcpy(buf + 1, text, len);
    *out = buf;
    *out_len = 1 + len;
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
    if (value[0] != 'Z')
        return -1;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return -1;
    size_t cap = len * 4 + 256, used = 0;
    char *t = NULL;
    int rc = Z_OK;
    z.next_in = (Bytef *)value + 1;
    z.avail_in = (uInt)(len - 1);
    while (rc == Z_OK) {
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
        used = cap - 1 - z.avail_out;
        if (rc == Z_OK && z.avail_out == 0) {
            if (cap > PACKED_MAX_TEXT) {
                rc = Z_DATA_ERROR;
                break;
            }
            cap *= 2;
        } else if (rc == Z_OK || rc == Z_BUF_ERROR) {
            rc = z.avail_in == 0 ? Z_DATA_ERROR : rc; /* truncated input */
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
