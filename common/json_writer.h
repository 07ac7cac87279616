/*
 * JSON text written straight onto a strbuf (common/strbuf.h), without a
 * json-c tree: the worker's decision and EOB records.
 */
#ifndef CLAIMS_JSON_WRITER_H
#define CLAIMS_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "date.h"
#include "money.h"
#include "strbuf.h"

/*
 * A JSON writer on a strbuf that writes what json-c's
 * json_object_to_json_string_ext(tree, JSON_C_TO_STRING_PLAIN [|
 * JSON_C_TO_STRING_NOSLASHESCAPE]) writes for the same tree, byte for byte:
 * no blanks, members in the order written, "/" written as "\/" unless
 * escape_slash is false. For records written once and never read back here
 * (the worker's decision and EOB), without building the tree. Every value
 * takes the member's key, or NULL inside an array.
 */
struct json_writer {
    struct strbuf sb;
    bool escape_slash;
    bool comma; /* a value was written at this level: the next one needs "," */
};

/* Starts a writer on an empty buffer; escape_slash writes "/" as "\/". */
static inline void json_writer_init(struct json_writer *w, bool escape_slash)
{
    strbuf_init(&w->sb);
    w->escape_slash = escape_slash;
    w->comma = false;
}

/* The separator and the key ("key":) before a value. */
void json_writer_key(struct json_writer *w, const char *key);
/* Writes the string s (escaped) under key. */
void json_writer_string(struct json_writer *w, const char *key, const char *s);
/* text as is: a number's text, or a value already written as JSON. */
void json_writer_raw(struct json_writer *w, const char *key, const char *text);
/* Writes the integer v under key. */
void json_writer_int(struct json_writer *w, const char *key, int64_t v);
/* Writes true or false under key. */
void json_writer_bool(struct json_writer *w, const char *key, bool v);
/* Writes null under key. */
void json_writer_null(struct json_writer *w, const char *key);
/* Writes an amount as a JSON number with exactly two decimals ("150.00") under key. */
void json_writer_money(struct json_writer *w, const char *key, cents_t amount);
/* Writes a date as the string "YYYY-MM-DD" under key. */
void json_writer_date(struct json_writer *w, const char *key, date_t d);
/* Opens an object ('{') or an array ('[') under key. */
void json_writer_open(struct json_writer *w, const char *key, char bracket);
/* Closes the object ('}') or the array (']') opened last. */
void json_writer_close(struct json_writer *w, char bracket);

#endif
