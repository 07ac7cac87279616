/*
 * Validation problems as {field, problem} pairs (API.md "Conventions": the
 * error body and its `fields` list).
 *
 * A field is a JSON path into the submitted body: `lines[0].charge`,
 * `patient.birth_date`, `formulary["00071015523"].tier`. A problem is a
 * generic phrase ("is required", "must be a date YYYY-MM-DD"). Problems are
 * pointers to string literals: the API never lets a submitted value into an
 * error (no PHI in errors), and taking only static text makes that hold by
 * construction. Paths are built from the body's field names, which are
 * echoed only when they look like field names (see codec_path_push_key).
 *
 * The collection is bounded: after CODEC_FIELD_ERRORS_MAX entries further
 * problems are counted, not stored, and the rendered list ends with a marker.
 */
#ifndef CLAIMS_CODEC_FIELD_ERRORS_H
#define CLAIMS_CODEC_FIELD_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define CODEC_FIELD_ERRORS_MAX 100
/* Longest path kept, with its NUL; a longer one is cut and ends in "...". */
#define CODEC_PATH_MAX 256

/* The marker appended to a rendered list that was cut. */
#define CODEC_FIELD_ERRORS_TRUNCATED_PROBLEM "more problems were found and are not listed"

/* Error codes of the error body (API.md "Conventions"). */
#define CODEC_CODE_INVALID_JSON "invalid_json"           /* 400 */
#define CODEC_CODE_VALIDATION_FAILED "validation_failed" /* 422 */

/* A JSON path under construction. Push returns a mark; pop back to it. */
struct codec_path {
    char text[CODEC_PATH_MAX];
    size_t len;
};

struct codec_field_error {
    char field[CODEC_PATH_MAX];
    const char *problem; /* a string literal, never submitted data */
};

struct codec_field_errors {
    struct codec_field_error items[CODEC_FIELD_ERRORS_MAX];
    int count;   /* stored entries, <= CODEC_FIELD_ERRORS_MAX */
    int dropped; /* problems found after the list was full */
};

/* Starts an empty path (the body as a whole). */
void codec_path_init(struct codec_path *path);
/* Appends `.key` (or `key` at the root) when key is a plain identifier
 * ([A-Za-z_][A-Za-z0-9_]*), `["key"]` when it is 1..64 of [A-Za-z0-9._-]
 * (procedure codes, NDCs), and `[?]` otherwise: a field name that is neither
 * may be anything a client typed, so it is not echoed. key need not be
 * NUL-terminated. Returns the mark to pop back to. */
size_t codec_path_push_key(struct codec_path *path, const char *key, size_t key_len);
/* Appends `["key"]` for a key of a map (fee schedule codes, NDCs) when it is
 * 1..64 of [A-Za-z0-9._-], `[?]` otherwise. Returns the mark. */
size_t codec_path_push_map_key(struct codec_path *path, const char *key, size_t key_len);
/* Appends `[index]`. Returns the mark to pop back to. */
size_t codec_path_push_index(struct codec_path *path, size_t index);
/* Takes the path back to a mark a push returned. */
void codec_path_pop(struct codec_path *path, size_t mark);

/* Starts an empty problem list. */
void codec_field_errors_init(struct codec_field_errors *errs);
/* Records a problem at path (NULL or "" for the body as a whole). */
void codec_field_errors_add(struct codec_field_errors *errs, const char *path, const char *problem);
/* Records a problem at `path` + `.key` without changing path. */
void codec_field_errors_add_at(struct codec_field_errors *errs, struct codec_path *path,
                               const char *key, const char *problem);
/* Whether any problem was found, listed or dropped. */
static inline bool codec_field_errors_any(const struct codec_field_errors *errs)
{
    return errs->count > 0 || errs->dropped > 0;
}
/* Index of the first entry with this field and problem, or -1 (for tests and
 * callers that want to know whether a field was reported). */
int codec_field_errors_find(const struct codec_field_errors *errs, const char *field,
                            const char *problem);

/* Builds {"error": {"code": code, "message": message, "fields": [...]}}.
 * `fields` is present only when errs is non-NULL and has entries; a cut list
 * ends with {"field": "", "problem": CODEC_FIELD_ERRORS_TRUNCATED_PROBLEM}.
 * code and message are copied. Allocates: the caller owns the returned
 * object (json_object_put). NULL when out of memory. */
struct json_object *codec_error_render(const char *code, const char *message,
                                       const struct codec_field_errors *errs);

#endif
