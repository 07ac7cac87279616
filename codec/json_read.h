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
#ifndef CLAIMS_INTAKE_JSON_READ_H
#define CLAIMS_INTAKE_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "codec/field_errors.h"
#include "model.h"

struct intake_reader {
    struct intake_field_errors *errs;
    struct intake_path path;
};

enum intake_got {
    INTAKE_ABSENT, /* not there or null (and reported if it was required) */
    INTAKE_GOT,    /* there and valid: *out is set */
    INTAKE_BAD,    /* there and reported */
};

/* Checks one JSON value at the reader's current path; on a problem reports it
 * and returns false. out's type depends on the function. */
typedef bool (*intake_value_fn)(struct intake_reader *r, struct json_object *v, void *out);

/* An integer in [min, max]; `problem` is reported for anything else
 * (another type, a fraction, out of range): "must be an integer from 1 to 999". */
struct intake_int_spec {
    int64_t min, max;
    const char *problem;
    int *out;
};

/* One of a fixed list of strings; *out is its index in names. */
struct intake_enum_spec {
    const char *const *names;
    int n_names;
    const char *problem; /* "must be in or out" */
    int *out;
};

void intake_reader_init(struct intake_reader *r, struct intake_field_errors *errs);
/* Reports at the current path / at path.key. */
void intake_report(struct intake_reader *r, const char *problem);
void intake_report_key(struct intake_reader *r, const char *key, const char *problem);
/* Problems recorded so far (to tell whether a step added any). */
int intake_problem_count(const struct intake_reader *r);

/* Reports each key of obj not in allowed (NULL-terminated) as "unknown field". */
void intake_reject_unknown(struct intake_reader *r, struct json_object *obj,
                           const char *const *allowed);

/* obj[key] without reporting anything; NULL when absent or null. */
struct json_object *intake_member(struct json_object *obj, const char *key);

/* Reads obj[key] with fn at path.key. Absent and required: "is required". */
enum intake_got intake_field(struct intake_reader *r, struct json_object *obj, const char *key,
                             bool required, intake_value_fn fn, void *out);

/* obj[key] when it is an object: pushes key onto the path (pop back to
 * *mark when done with it) and returns it. Absent (reported when required)
 * or not an object (reported): NULL, and the path is unchanged. */
struct json_object *intake_enter_object(struct intake_reader *r, struct json_object *obj,
                                        const char *key, bool required, size_t *mark);
/* obj[key] when it is an array, like intake_enter_object; *n is its length.
 * A length outside [min, max] is reported as count_problem at the array's
 * path, and the array is still returned so that its first items get checked. */
struct json_object *intake_enter_array(struct intake_reader *r, struct json_object *obj,
                                       const char *key, bool required, size_t min, size_t max,
                                       const char *count_problem, size_t *mark, size_t *n);
/* Checks arr[i] with fn at path[i]. A null item fails fn's type check. */
bool intake_item(struct intake_reader *r, struct json_object *arr, size_t i, intake_value_fn fn,
                 void *out);

/* Value checkers, for intake_field or for array items. All take v == NULL
 * (JSON null) as the wrong type. */
bool intake_value_object(struct intake_reader *r, struct json_object *v,
                         void *out /* json_object ** */);
bool intake_value_array(struct intake_reader *r, struct json_object *v,
                        void *out /* json_object ** */);
bool intake_value_bool(struct intake_reader *r, struct json_object *v, void *out /* bool * */);
bool intake_value_int(struct intake_reader *r, struct json_object *v,
                      void *spec /* struct intake_int_spec * */);
bool intake_value_enum(struct intake_reader *r, struct json_object *v,
                       void *spec /* struct intake_enum_spec * */);
bool intake_value_date(struct intake_reader *r, struct json_object *v, void *out /* date_t * */);
bool intake_value_money(struct intake_reader *r, struct json_object *v, void *out /* cents_t * */);
/* A positive quantity with at most three decimals, in thousandths. */
bool intake_value_quantity(struct intake_reader *r, struct json_object *v,
                           void *out /* int64_t * */);
/* Names: trimmed of spaces, 1..100 bytes, no control characters. */
bool intake_value_name(struct intake_reader *r, struct json_object *v,
                       void *out /* char[NAME_LEN] */);
/* The pharmacy's prescription number: like a name, 1..32 bytes. */
bool intake_value_rx_number(struct intake_reader *r, struct json_object *v,
                            void *out /* char[RX_NUMBER_LEN] */);
/* An attachment reference: 1..512 bytes, no control characters, no trimming. */
bool intake_value_reference(struct intake_reader *r, struct json_object *v,
                            void *out /* char[REF_LEN] */);
/* Whether s[0..len) is a record id: [A-Za-z0-9._-]{1,64} (docs/validation.md). */
bool intake_is_record_id(const char *s, size_t len);
/* Ids: [A-Za-z0-9._-]{1,64}, exactly. */
bool intake_value_id(struct intake_reader *r, struct json_object *v, void *out /* char[ID_LEN] */);
bool intake_value_npi(struct intake_reader *r, struct json_object *v,
                      void *out /* char[NPI_LEN] */);
bool intake_value_ndc(struct intake_reader *r, struct json_object *v,
                      void *out /* char[NDC_LEN] */);
bool intake_value_icd10(struct intake_reader *r, struct json_object *v,
                        void *out /* char[ICD_LEN] */);
bool intake_value_procedure(struct intake_reader *r, struct json_object *v,
                            void *out /* char[PROC_LEN] */);
bool intake_value_modifier(struct intake_reader *r, struct json_object *v,
                           void *out /* char[MODIFIER_LEN] */);
bool intake_value_state(struct intake_reader *r, struct json_object *v,
                        void *out /* char[STATE_LEN] */);

/* Problem phrases used in more than one place (docs/validation.md lists all). */
#define INTAKE_P_REQUIRED "is required"
#define INTAKE_P_UNKNOWN "unknown field"
#define INTAKE_P_OBJECT "must be an object"
#define INTAKE_P_ARRAY "must be an array"
#define INTAKE_P_STRING "must be a string"
#define INTAKE_P_NUMBER "must be a number"
#define INTAKE_P_BOOL "must be true or false"
#define INTAKE_P_DATE "must be a date YYYY-MM-DD"
#define INTAKE_P_FUTURE "must not be in the future"

/* Serialisation helpers: each adds to obj and returns 0, or -1 when out of
 * memory (obj keeps what was added; the caller puts obj). */
int intake_put_string(struct json_object *obj, const char *key, const char *value);
int intake_put_bool(struct json_object *obj, const char *key, bool value);
int intake_put_int(struct json_object *obj, const char *key, int64_t value);
int intake_put_date(struct json_object *obj, const char *key, date_t value);
/* A JSON number with exactly two decimals ("150.00"), from cents. */
int intake_put_money(struct json_object *obj, const char *key, cents_t value);
/* A quantity from thousandths: "30", "2.5", "0.125". */
int intake_put_quantity(struct json_object *obj, const char *key, int64_t milli);
int intake_put_null(struct json_object *obj, const char *key);
/* Adds value under key, taking ownership of value even on failure. */
int intake_put(struct json_object *obj, const char *key, struct json_object *value);
/* Appends value to array, taking ownership of value even on failure. */
int intake_append(struct json_object *array, struct json_object *value);

#endif
