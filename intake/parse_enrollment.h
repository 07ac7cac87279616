/*
 * Enrollment records (API.md "Enrollment records", DESIGN.md "Data model"):
 * groups, members and plans from JSON to model.h structs and back, checked as
 * strictly as claims. Rules and problem texts: docs/validation.md.
 */
#ifndef CLAIMS_INTAKE_PARSE_ENROLLMENT_H
#define CLAIMS_INTAKE_PARSE_ENROLLMENT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "intake/field_errors.h"
#include "intake/json_edge.h"
#include "model.h"

/* Fee schedule and formulary entries a plan may list. */
#define INTAKE_MAX_MAP_ENTRIES 100000

/*
 * Each parser fills *out from body, reporting every problem to errs, and
 * returns true when it added none. expected_id is the id in the request path
 * (PUT /v1/groups/{group_id} ...): the body's id must equal it, or the id
 * field gets "must equal the id in the path"; NULL skips that check.
 * *out is zeroed first and meaningful only on success.
 */
bool intake_parse_group(struct json_object *body, const char *expected_id, struct group *out,
                        struct intake_field_errors *errs);
bool intake_parse_member(struct json_object *body, const char *expected_id, struct member *out,
                         struct intake_field_errors *errs);
/*
 * A plan owns its fee schedule and formulary (sorted, NDCs normalised).
 * INTAKE_OK: the caller releases them with plan_free. INTAKE_INVALID: the
 * problems are in errs. INTAKE_NO_MEMORY: an allocation failed. On anything
 * but INTAKE_OK the plan owns nothing.
 */
enum intake_status intake_parse_plan(struct json_object *body, const char *expected_id,
                                     struct plan *out, struct intake_field_errors *errs);

/* Bytes to record, for the PUT handlers, like intake_claim_from_body: errs is
 * initialised here; *reason gets a static sentence for any status but OK. */
enum intake_status intake_group_from_body(const char *bytes, size_t len, const char *expected_id,
                                          struct group *out, struct intake_field_errors *errs,
                                          const char **reason);
enum intake_status intake_member_from_body(const char *bytes, size_t len, const char *expected_id,
                                           struct member *out, struct intake_field_errors *errs,
                                           const char **reason);
enum intake_status intake_plan_from_body(const char *bytes, size_t len, const char *expected_id,
                                         struct plan *out, struct intake_field_errors *errs,
                                         const char **reason);

/*
 * Canonical JSON of each record (for storage and GET): every field written,
 * absent optional dates and medicare as null, amounts with two decimals. The
 * group also carries the derived `cobra_applies`, which the parser accepts
 * when it agrees with employee_count. Parsing the result gives back an
 * identical struct. Allocate: the caller owns the object (json_object_put);
 * NULL when out of memory.
 */
struct json_object *intake_group_to_json(const struct group *group);
struct json_object *intake_member_to_json(const struct member *member);
struct json_object *intake_plan_to_json(const struct plan *plan);

#endif
