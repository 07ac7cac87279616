/*
 * Reading checked fields out of a json-c object, shared by the claim and
 * enrollment parsers. A reader carries the current JSON path and the problem
 * list; every check reports at the path of the value it looked at and goes
 * on, so one pass finds every problem of a body.
 *
 * Conventions (API.md "Conventions", docs/validation.md):
 * - JSON null counts as absent: a required field that is null "is required",
 *   an optional one that is null takes its default.
 * - Types are not coerced: the string "150.00" is not a number, 1 is not
 *   true.
 * - Problems are static phrases; no submitted value is ever copied into one.
 */
#ifndef CLAIMS_CODEC_JSON_READ_H
#define CLAIMS_CODEC_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "codec/field_errors.h"
#include "model.h"

struct codec_reader {
    struct codec_field_errors *errs;
    struct codec_path path;
    int start; /* problems already in errs when the reader started */
};

enum codec_got {
    CODEC_ABSENT, /* not there or null (and reported if it was required) */
    CODEC_GOT,    /* there and valid: *out is set */
    CODEC_BAD,    /* there and reported */
};

/* Checks one JSON value at the reader's current path; on a problem reports it
 * and returns false. out's type depends on the function. */
typedef bool (*codec_value_fn)(struct codec_reader *r, struct json_object *v, void *out);

/* An integer in [min, max]; `problem` is reported for anything else
 * (another type, a fraction, out of range): "must be an integer from 1 to 999". */
struct codec_int_spec {
    int64_t min, max;
    const char *problem;
    int *out;
};

/* One of a fixed list of strings; *out is its index in names. */
struct codec_enum_spec {
    const char *const *names;
    int n_names;
    const char *problem; /* "must be in or out" */
    int *out;
};

/* Starts a reader at the body's root that records its problems in errs. */
void codec_reader_init(struct codec_reader *r, struct codec_field_errors *errs);
/* Starts a reader on a record's body: true when body is an object (its keys not in allowed,
 * when allowed is not NULL, reported as unknown), false after reporting "must be an object". */
bool codec_reader_open(struct codec_reader *r, struct codec_field_errors *errs,
                       struct json_object *body, const char *const *allowed);
/* Whether the reader has reported nothing since it started. */
bool codec_reader_clean(const struct codec_reader *r);
/* Reports at the current path / at path.key. */
void codec_report(struct codec_reader *r, const char *problem);
/* Reports a problem at the current path's member key, without changing the path. */
void codec_report_key(struct codec_reader *r, const char *key, const char *problem);
/* Problems recorded so far (to tell whether a step added any). */
int codec_problem_count(const struct codec_reader *r);

/* Reports each key of obj not in allowed (NULL-terminated) as "unknown field". */
void codec_reject_unknown(struct codec_reader *r, struct json_object *obj,
                          const char *const *allowed);

/* obj[key] without reporting anything; NULL when absent or null. */
struct json_object *codec_member(struct json_object *obj, const char *key);

/* Reads obj[key] with fn at path.key. Absent and required: "is required". */
enum codec_got codec_field(struct codec_reader *r, struct json_object *obj, const char *key,
                           bool required, codec_value_fn fn, void *out);
/* Required obj[key], one of names[0..n_names) (else problem): its index, or -1 when it was
 * absent or reported. */
int codec_required_enum(struct codec_reader *r, struct json_object *obj, const char *key,
                        const char *const *names, int n_names, const char *problem);

/* obj[key] when it is an object: pushes key onto the path (pop back to
 * *mark when done with it) and returns it. Absent (reported when required)
 * or not an object (reported): NULL, and the path is unchanged. */
struct json_object *codec_enter_object(struct codec_reader *r, struct json_object *obj,
                                       const char *key, bool required, size_t *mark);
/* obj[key] when it is an array, like codec_enter_object; *n is its length.
 * A length outside [min, max] is reported as count_problem at the array's
 * path, and the array is still returned so that its first items get checked. */
struct json_object *codec_enter_array(struct codec_reader *r, struct json_object *obj,
                                      const char *key, bool required, size_t min, size_t max,
                                      const char *count_problem, size_t *mark, size_t *n);
/* Checks arr[i] with fn at path[i]. A null item fails fn's type check. */
bool codec_item(struct codec_reader *r, struct json_object *arr, size_t i, codec_value_fn fn,
                void *out);

/* An array field read item by item: obj[key], min to max items (else count_problem at the
 * array's path). */
struct codec_list {
    const char *key;
    bool required;
    size_t min, max;
    const char *count_problem;
};

/* Reads an object item into *item; ctx is what the caller passed along. */
typedef void (*codec_object_fn)(struct codec_reader *r, struct json_object *o, void *item,
                                const void *ctx);

/* Checks each item of the list with fn into items (`size` bytes apart); returns how many were
 * stored (at most list->max, 0 when absent). */
int codec_value_list(struct codec_reader *r, struct json_object *obj, const struct codec_list *list,
                     codec_value_fn fn, void *items, size_t size);
/* Reads each item of the list, which must be an object, with parse into items (`size` bytes
 * apart); returns how many were stored (at most list->max, 0 when absent). */
int codec_object_list(struct codec_reader *r, struct json_object *obj,
                      const struct codec_list *list, codec_object_fn parse, void *items,
                      size_t size, const void *ctx);

/* Value checkers, for codec_field or for array items. All take v == NULL
 * (JSON null) as the wrong type. */
bool codec_value_object(struct codec_reader *r, struct json_object *v,
                        void *out /* json_object ** */);
/* Checks that v is an array and stores it (borrowed) in *out. */
bool codec_value_array(struct codec_reader *r, struct json_object *v,
                       void *out /* json_object ** */);
/* Checks that v is true or false and stores it in *out. */
bool codec_value_bool(struct codec_reader *r, struct json_object *v, void *out /* bool * */);
/* Checks that v is an integer in the spec's range and stores it in *spec->out. */
bool codec_value_int(struct codec_reader *r, struct json_object *v,
                     void *spec /* struct codec_int_spec * */);
/* Checks that v is one of the spec's names and stores its index in *spec->out. */
bool codec_value_enum(struct codec_reader *r, struct json_object *v,
                      void *spec /* struct codec_enum_spec * */);
/* Checks that v is a date YYYY-MM-DD and stores it in *out. */
bool codec_value_date(struct codec_reader *r, struct json_object *v, void *out /* date_t * */);
/* Checks that v is an amount from 0 to 9999999.99 with at most two decimals, in cents into *out. */
bool codec_value_money(struct codec_reader *r, struct json_object *v, void *out /* cents_t * */);
/* A positive quantity with at most three decimals, in thousandths. */
bool codec_value_quantity(struct codec_reader *r, struct json_object *v, void *out /* int64_t * */);
/* Names: trimmed of spaces, 1..100 bytes, no control characters. */
bool codec_value_name(struct codec_reader *r, struct json_object *v,
                      void *out /* char[NAME_LEN] */);
/* The pharmacy's prescription number: like a name, 1..32 bytes. */
bool codec_value_rx_number(struct codec_reader *r, struct json_object *v,
                           void *out /* char[RX_NUMBER_LEN] */);
/* An attachment reference: 1..512 bytes, no control characters, no trimming. */
bool codec_value_reference(struct codec_reader *r, struct json_object *v,
                           void *out /* char[REF_LEN] */);
/* Whether s[0..len) is a record id: [A-Za-z0-9._-]{1,64} (docs/validation.md). */
bool codec_is_record_id(const char *s, size_t len);
/* Ids: [A-Za-z0-9._-]{1,64}, exactly. */
bool codec_value_id(struct codec_reader *r, struct json_object *v, void *out /* char[ID_LEN] */);
/* Checks that v is a 10-digit NPI with a right check digit and copies it into out. */
bool codec_value_npi(struct codec_reader *r, struct json_object *v, void *out /* char[NPI_LEN] */);
/* Checks that v is an NDC (4-4-2, 5-3-2, 5-4-1, 5-4-2) and copies its 11-digit form into out. */
bool codec_value_ndc(struct codec_reader *r, struct json_object *v, void *out /* char[NDC_LEN] */);
/* Checks that v is an ICD-10-CM code and copies it into out. */
bool codec_value_icd10(struct codec_reader *r, struct json_object *v,
                       void *out /* char[ICD_LEN] */);
/* Checks that v is a 5-character CPT or HCPCS code and copies it into out. */
bool codec_value_procedure(struct codec_reader *r, struct json_object *v,
                           void *out /* char[PROC_LEN] */);
/* Checks that v is a modifier of 2 letters or digits and copies it into out. */
bool codec_value_modifier(struct codec_reader *r, struct json_object *v,
                          void *out /* char[MODIFIER_LEN] */);
/* Checks that v is a US state or territory code and copies it into out. */
bool codec_value_state(struct codec_reader *r, struct json_object *v,
                       void *out /* char[STATE_LEN] */);

/* Problem phrases used in more than one place (docs/validation.md lists all). */
#define CODEC_P_REQUIRED "is required"
#define CODEC_P_UNKNOWN "unknown field"
#define CODEC_P_OBJECT "must be an object"
#define CODEC_P_ARRAY "must be an array"
#define CODEC_P_STRING "must be a string"
#define CODEC_P_NUMBER "must be a number"
#define CODEC_P_BOOL "must be true or false"
#define CODEC_P_DATE "must be a date YYYY-MM-DD"
#define CODEC_P_FUTURE "must not be in the future"

/* Serialisation helpers: each adds to obj and returns 0, or -1 when out of
 * memory (obj keeps what was added; the caller puts obj). */
int codec_put_string(struct json_object *obj, const char *key, const char *value);
/* Adds a JSON boolean under key; 0, or -1 when out of memory. */
int codec_put_bool(struct json_object *obj, const char *key, bool value);
/* Adds a JSON integer under key; 0, or -1 when out of memory. */
int codec_put_int(struct json_object *obj, const char *key, int64_t value);
/* Adds a date as "YYYY-MM-DD" under key; 0, or -1 when out of memory. */
int codec_put_date(struct json_object *obj, const char *key, date_t value);
/* A JSON number with exactly two decimals ("150.00"), from cents. */
int codec_put_money(struct json_object *obj, const char *key, cents_t value);
/* A quantity from thousandths: "30", "2.5", "0.125". */
int codec_put_quantity(struct json_object *obj, const char *key, int64_t milli);
/* Adds a JSON null under key; 0, or -1 when out of memory. */
int codec_put_null(struct json_object *obj, const char *key);
/* Adds value under key, taking ownership of value even on failure. */
int codec_put(struct json_object *obj, const char *key, struct json_object *value);
/* Appends value to array, taking ownership of value even on failure. */
int codec_append(struct json_object *array, struct json_object *value);

#endif
