/*
 * Packed text: how the large, write-once parts of a claim (its decision and
 * its EOB versions) are kept in Redis. A packed value is the text compressed
 * with zlib (RFC 1950), preceded by one marker byte 'Z'; text that does not
 * shrink is kept as is behind the marker 'T'. JSON compresses 3-5x (an EOB
 * repeats the wording of each code), which is what keeps a finalized claim
 * within its storage budget (docs/performance.md "Memory").
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
