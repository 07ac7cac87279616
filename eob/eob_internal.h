/*
 * Helpers shared by the EOB builders and renderers (not part of the API):
 * a growable string, and strict readers for the stored record.
 */
#ifndef CLAIMS_EOB_INTERNAL_H
#define CLAIMS_EOB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "money.h"

/* A growable NUL-terminated string. After a failed allocation every later
 * call does nothing and eob_buf_finish() returns NULL. */
struct eob_buf {
    char *data;
    size_t len, cap;
    bool failed;
};

/* Appends the NUL-terminated s. */
void eob_buf_add(struct eob_buf *b, const char *s);
/* Appends n bytes of s. */
void eob_buf_addn(struct eob_buf *b, const char *s, size_t n);
/* Appends printf-formatted text. */
void eob_buf_addf(struct eob_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with & < > " ' replaced by character references. */
void eob_buf_add_escaped(struct eob_buf *b, const char *s);
/* The string (caller frees), or NULL after a failure (the buffer is freed). */
char *eob_buf_finish(struct eob_buf *b);
/* Frees the string and leaves the buffer empty. */
void eob_buf_free(struct eob_buf *b);

/* Record readers: NULL / false when the member is absent or of another type. */
struct json_object *eob_get(const struct json_object *obj, const char *key, enum json_type type);
/* The member key's string (borrowed); NULL when absent or not a string. */
const char *eob_get_str(const struct json_object *obj, const char *key);
/* The member key's amount in cents into *out; false when absent or not an amount. */
bool eob_get_money(const struct json_object *obj, const char *key, cents_t *out);
/* The member key's integer into *out; false when absent or not an integer. */
bool eob_get_int(const struct json_object *obj, const char *key, int64_t *out);
/* The member key's boolean into *out; false when absent or not a boolean. */
bool eob_get_bool(const struct json_object *obj, const char *key, bool *out);

/* Required members, for the renderers: as eob_get, but absent or of another type sets *bad
 * (the record is not one eob_record_build() writes) and gives NULL. */
struct json_object *eob_need(bool *bad, const struct json_object *obj, const char *key,
                             enum json_type type);
/* As eob_get_str; absent or not a string sets *bad and gives "". */
const char *eob_need_str(bool *bad, const struct json_object *obj, const char *key);
/* As eob_get_money; absent or not an amount sets *bad and gives 0. */
cents_t eob_need_money(bool *bad, const struct json_object *obj, const char *key);
/* An array's length, 0 for NULL (a member that was not there). */
size_t eob_array_len(const struct json_object *arr);
/* An array's item i (borrowed). */
struct json_object *eob_array_at(const struct json_object *arr, size_t i);

#endif
