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

#include "codec/field_errors.h"
#include "codec/json_edge.h"
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
/* One entry of a member's other_coverage list, o, reported at path `key`
 * (an enrollment event's "other_coverage", docs/api.md). */
bool intake_parse_other_coverage(struct json_object *o, const char *key, struct other_coverage *out,
                                 struct intake_field_errors *errs);
/*
 * A plan owns its fee schedule and formulary (sorted, NDCs normalised).
 * INTAKE_OK: the caller releases them with plan_free. INTAKE_INVALID: the
 * problems are in errs. INTAKE_NO_MEMORY: an allocation failed. On anything
 * but INTAKE_OK the plan owns nothing.
 */
enum intake_status intake_parse_plan(struct json_object *body, const char *expected_id,
                                     struct plan *out, struct intake_field_errors *errs);

/*
 * What a PUT body says beyond the record (issue 13 "every fact dated"):
 * whether it carried a `history`, and its top-level values of the changing
 * facts, which a PUT sets from today (intake/dated_facts.h). `given` has an
 * INTAKE_GIVEN_* bit for each top-level member fact to apply: all of them
 * when the body has no history (absent ones take their defaults, as before
 * histories), only those present when it has one.
 */
#define INTAKE_GIVEN_STUDENT MEMBER_FACT_STUDENT
#define INTAKE_GIVEN_LIVES_WITH_EMPLOYEE MEMBER_FACT_LIVES_WITH_EMPLOYEE
#define INTAKE_GIVEN_HAS_OWN_DEPENDENT MEMBER_FACT_HAS_OWN_DEPENDENT
#define INTAKE_GIVEN_HANDICAPPED MEMBER_FACT_HANDICAPPED
#define INTAKE_GIVEN_MEDICARE MEMBER_FACT_MEDICARE
#define INTAKE_GIVEN_ALL MEMBER_FACTS_ALL

struct intake_member_put {
    bool has_history;
    unsigned given;
    struct member_facts facts;
};

struct intake_group_put {
    bool has_history;
    struct group_facts facts; /* both required at the top level */
};

/* Bytes to record, for the PUT handlers, like intake_claim_from_body: errs is
 * initialised here; *reason gets a static sentence for any status but OK. */
enum intake_status intake_group_from_body(const char *bytes, size_t len, const char *expected_id,
                                          struct group *out, struct intake_field_errors *errs,
                                          const char **reason);
enum intake_status intake_member_from_body(const char *bytes, size_t len, const char *expected_id,
                                           struct member *out, struct intake_field_errors *errs,
                                           const char **reason);
/* The same for the PUT handlers, also filling *put. */
enum intake_status intake_group_put_from_body(const char *bytes, size_t len,
                                              const char *expected_id, struct group *out,
                                              struct intake_group_put *put,
                                              struct intake_field_errors *errs,
                                              const char **reason);
enum intake_status intake_member_put_from_body(const char *bytes, size_t len,
                                               const char *expected_id, struct member *out,
                                               struct intake_member_put *put,
                                               struct intake_field_errors *errs,
                                               const char **reason);
enum intake_status intake_plan_from_body(const char *bytes, size_t len, const char *expected_id,
                                         struct plan *out, struct intake_field_errors *errs,
                                         const char **reason);

/*
 * Canonical JSON of each record (for storage and GET): every field written,
 * absent optional dates and medicare as null, amounts with two decimals. The
 * group also carries the derived `cobra_applies`, which the parser accepts
 * when it agrees with employee_count. A member's and a group's changing facts
 * are written at the top level as they stand on `as_of`, and whole in
 * `history` (every entry, its `from` and `reported_on`). Parsing the result
 * gives back an identical struct (the history is the record's; the top-level
 * values only repeat it). Allocate: the caller owns the object
 * (json_object_put); NULL when out of memory.
 */
struct json_object *intake_group_to_json(const struct group *group, date_t as_of);
struct json_object *intake_member_to_json(const struct member *member, date_t as_of);
struct json_object *intake_plan_to_json(const struct plan *plan);

/*
 * A cache of parsed enrollment records for one thread (the worker parses the
 * same member, group and plan for many claims of a batch). A record is found
 * by its exact stored text and the id it was asked for: the text is hashed
 * and then compared in full, so a changed record is parsed afresh at once and
 * never mistaken for the old one. Only records that parse are kept; a record
 * that does not is parsed (and refused) every time, with the same errors as
 * without the cache. Not thread-safe: one cache per thread.
 */
struct intake_enrollment_cache;

/* Allocates an empty cache (free it with intake_enrollment_cache_free); NULL
 * when out of memory. */
struct intake_enrollment_cache *intake_enrollment_cache_new(void);
/* Frees the cache and every record it holds (NULL is fine). */
void intake_enrollment_cache_free(struct intake_enrollment_cache *cache);

/* Starts a batch: plans handed out before this call may be dropped from now on. */
void intake_enrollment_cache_begin(struct intake_enrollment_cache *cache);

/* The stored JSON text of a member or group into *out, as
 * intake_parse_member / intake_parse_group on json_tokener_parse(text) would
 * fill it (errs initialised here). */
bool intake_cached_member(struct intake_enrollment_cache *cache, const char *text,
                          const char *expected_id, struct member *out,
                          struct intake_field_errors *errs);
bool intake_cached_group(struct intake_enrollment_cache *cache, const char *text,
                         const char *expected_id, struct group *out,
                         struct intake_field_errors *errs);
/* Likewise for a plan (intake_parse_plan). On INTAKE_OK, *owned says who
 * holds the fee schedule and formulary: true, the caller (plan_free); false,
 * the cache, valid until the next intake_enrollment_cache_begin or
 * intake_enrollment_cache_free, and the caller must not free them. */
enum intake_status intake_cached_plan(struct intake_enrollment_cache *cache, const char *text,
                                      const char *expected_id, struct plan *out, bool *owned,
                                      struct intake_field_errors *errs);

/* Lookups answered from the cache and records parsed, since it was made (tests). */
void intake_enrollment_cache_counts(const struct intake_enrollment_cache *cache,
                                    unsigned long *hits, unsigned long *parses);

#endif
