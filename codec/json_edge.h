/*
 * Untrusted bytes to a json-c object, strictly (API.md "Conventions").
 *
 * json-c 0.16's JSON_TOKENER_STRICT is not RFC 8259: it accepts single-quoted
 * strings, NaN/Infinity, "1.", raw control characters inside strings, lone
 * \ud800 escapes, and its JSON_TOKENER_VALIDATE_UTF8 lets overlong forms and
 * code points over U+10FFFF through. It also keeps only the last of two equal
 * keys in an object, silently. So the bytes are first checked by a small
 * RFC 8259 scanner here (grammar, UTF-8 per RFC 3629, escapes and surrogate
 * pairs, nesting depth, nothing after the value but whitespace, duplicate
 * keys per object). The same single pass builds the object with json-c's
 * constructors, value for value as json-c 0.16's tokener would build it from
 * the same bytes (tests/test_parse.c compares the two), so the bytes are
 * read once and json-c's tokenizer is not needed.
 */
#ifndef CLAIMS_CODEC_JSON_EDGE_H
#define CLAIMS_CODEC_JSON_EDGE_H

#include <stddef.h>

#include <json-c/json.h>

#include "codec/field_errors.h"

/* Containers (objects and arrays) nested deeper than this are refused. The
 * deepest valid body (a plan's formulary entry) is 3 levels. */
#define CODEC_JSON_MAX_DEPTH 32

/* A key holding \u0000: the 400's message, and the problem at the object. */
#define CODEC_KEY_NUL_MESSAGE "an object key contains U+0000"
#define CODEC_KEY_NUL_PROBLEM "has a key that contains U+0000"

/* How a body fared at the edge; the HTTP answer for each is noted. */
enum codec_status {
    CODEC_OK = 0,    /* parsed (and, for the *_from_body functions, valid) */
    CODEC_NOT_JSON,  /* 400 invalid_json: the bytes are not one JSON value */
    CODEC_INVALID,   /* 422 validation_failed: JSON, but not acceptable */
    CODEC_NO_MEMORY, /* 500: an allocation failed; nothing was kept */
};

/*
 * Parses `len` bytes (no NUL terminator needed; a NUL byte anywhere is an
 * error) into a JSON object.
 *
 * CODEC_OK: *out is the object; the caller owns it (json_object_put). Keys
 *   that occur twice in one object were recorded in errs as "is duplicated"
 *   at their path: the caller validates the object as usual, adding to the
 *   same errs, and must refuse the body (422) when errs is not empty.
 * CODEC_NOT_JSON: empty body, a syntax error, invalid UTF-8, a NUL byte, or
 *   anything but whitespace after the value; or an object key holding a
 *   \u0000 escape (json-c would cut the key short): then errs holds just
 *   {the path of that object ("" for the body itself), CODEC_KEY_NUL_PROBLEM}
 *   and the reason is CODEC_KEY_NUL_MESSAGE.
 * CODEC_INVALID: valid JSON that is not an object, or nested deeper than
 *   CODEC_JSON_MAX_DEPTH.
 * For every status but CODEC_OK, *out is NULL and *reason (when reason is
 * not NULL) points at a static, generic sentence for the error message.
 */
enum codec_status codec_json_parse(const char *bytes, size_t len, struct json_object **out,
                                   struct codec_field_errors *errs, const char **reason);

/* The HTTP status that answers an codec_status (200 for CODEC_OK). */
int codec_status_http(enum codec_status status);

#endif
