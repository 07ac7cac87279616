/*
 * Packed text: how the large, write-once parts of a claim (its decision, its
 * EOB versions, a finalized claim's submission) are kept in Redis. A packed
 * value is one marker byte and then:
 *   'D'  the text compressed with zlib (RFC 1950) against the preset
 *        dictionary common/packed_dict.c (typical submissions, decisions and
 *        EOB records: the field names, code wordings and appeal text every
 *        record repeats), so even a short record compresses well: an EOB of
 *        5 KB takes about 570 bytes, a submission of 700 about 200;
 *   'Z'  zlib without a dictionary (read only: written by earlier versions);
 *   'T'  the text as is (text that does not shrink).
 * This is what keeps a finalized claim within its storage budget
 * (docs/performance.md "Memory").
 *
 * Pure functions: no I/O, thread-safe.
 */
#ifndef CLAIMS_PACKED_H
#define CLAIMS_PACKED_H

#include <stddef.h>

/* Packs len bytes of text. Allocates *out (the caller frees it) and sets
 * *out_len. Returns 0, or -1 when out of memory (nothing allocated). */
int packed_pack(const char *text, size_t len, char **out, size_t *out_len);

/* Unpacks a value packed_pack wrote. Allocates a NUL-terminated *out (the
 * caller frees it); *out_len excludes the NUL. Returns 0, or -1 for a value
 * that is not packed text (nothing allocated), or when out of memory. At most
 * PACKED_MAX_TEXT bytes of text come out of a value. */
int packed_unpack(const char *value, size_t len, char **out, size_t *out_len);

#define PACKED_MAX_TEXT (16u * 1024u * 1024u)

#endif
