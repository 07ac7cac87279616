/*
 * Enrollment records (API.md "Enrollment records", DESIGN.md "Data model"):
 * groups, members and plans from JSON to model.h structs and back, checked as
 * strictly as claims. Rules and problem texts: docs/validation.md.
 */
#ifndef CLAIMS_CODEC_PARSE_ENROLLMENT_H
#define CLAIMS_CODEC_PARSE_ENROLLMENT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "codec/field_errors.h"
#include "codec/json_edge.h"
#include "model.h"

/* Fee schedule and formulary entries a plan may list. */
#define CODEC_MAX_MAP_ENTRIES 100000

/*
 * Each parser fills *out from body, reporting every problem to errs, and
 * returns true when it added none. expected_id is the id in the request path
 * (PUT /v1/groups/{group_id} ...): the body's id must equal it, or the id
 * field gets "must equal the id in the path"; NULL skips that check.
 * *out is zeroed first and meaningful only on success.
 */
bool codec_parse_group(struct json_object *body, const char *expected_id, struct group *out,
                       struct codec_field_errors *errs);
/* A member record from a parsed body, as codec_parse_group does a group; false with errs filled. */
bool codec_parse_member(struct json_object *body, const char *expected_id, struct member *out,
                        struct codec_field_errors *errs);
/* One entry of a member's other_coverage list, o, reported at path `key`
 * (an enrollment event's "other_coverage", docs/api.md). */
bool codec_parse_other_coverage(struct json_object *o, const char *key, struct other_coverage *out,
                                struct codec_field_errors *errs);
/*
 * A plan owns its fee schedule and formulary (sorted, NDCs normalised).
 * CODEC_OK: the caller releases them with plan_free. CODEC_INVALID: the
 * problems are in errs. CODEC_NO_MEMORY: an allocation failed. On anything
 * but CODEC_OK the plan owns nothing.
 */
enum codec_status codec_parse_plan(struct json_object *body, const char *expected_id,
                                   struct plan *out, struct codec_field_errors *errs);

/*
 * What a PUT body says beyond the record (issue 13 "every fact dated"):
 * whether it carried a `history`, and its top-level values of the changing
 * facts, which a PUT sets from today (intake/dated_facts.h). `given` has an
 * CODEC_GIVEN_* bit for each top-level member fact to apply: all of them
 * when the body has no history (absent ones take their defaults, as before
 * histories), only those present when it has one.
 */
#define CODEC_GIVEN_STUDENT MEMBER_FACT_STUDENT
#define CODEC_GIVEN_LIVES_WITH_EMPLOYEE MEMBER_FACT_LIVES_WITH_EMPLOYEE
#define CODEC_GIVEN_HAS_OWN_DEPENDENT MEMBER_FACT_HAS_OWN_DEPENDENT
#define CODEC_GIVEN_HANDICAPPED MEMBER_FACT_HANDICAPPED
#define CODEC_GIVEN_MEDICARE MEMBER_FACT_MEDICARE
#define CODEC_GIVEN_ALL MEMBER_FACTS_ALL

struct codec_member_put {
    bool has_history;
    unsigned given;
    struct member_facts facts;
};

struct codec_group_put {
    bool has_history;
    struct group_facts facts; /* both required at the top level */
};

/* Bytes to record, for the PUT handlers, like codec_claim_from_body: errs is
 * initialised here; *reason gets a static sentence for any status but OK. */
enum codec_status codec_group_from_body(const char *bytes, size_t len, const char *expected_id,
                                        struct group *out, struct codec_field_errors *errs,
                                        const char **reason);
/* Bytes to a member record, as codec_group_from_body does a group. */
enum codec_status codec_member_from_body(const char *bytes, size_t len, const char *expected_id,
                                         struct member *out, struct codec_field_errors *errs,
                                         const char **reason);
/* The same for the PUT handlers, also filling *put. */
enum codec_status codec_group_put_from_body(const char *bytes, size_t len, const char *expected_id,
                                            struct group *out, struct codec_group_put *put,
                                            struct codec_field_errors *errs, const char **reason);
/* Bytes to a member record for PUT, also filling *put, as codec_group_put_from_body does. */
enum codec_status codec_member_put_from_body(const char *bytes, size_t len, const char *expected_id,
                                             struct member *out, struct codec_member_put *put,
                                             struct codec_field_errors *errs, const char **reason);
/* Bytes to a plan record, as codec_group_from_body does a group; a refused plan owns nothing. */
enum codec_status codec_plan_from_body(const char *bytes, size_t len, const char *expected_id,
                                       struct plan *out, struct codec_field_errors *errs,
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
struct json_object *codec_group_to_json(const struct group *group, date_t as_of);
/* A member record as JSON as of `as_of`; the caller puts it, NULL when out of memory. */
struct json_object *codec_member_to_json(const struct member *member, date_t as_of);
/* A plan record as JSON; the caller puts it, NULL when out of memory. */
struct json_object *codec_plan_to_json(const struct plan *plan);

/*
 * A cache of parsed enrollment records for one thread (the worker parses the
 * same member, group and plan for many claims of a batch). A record is found
 * by its exact stored text and the id it was asked for: the text is hashed
 * and then compared in full, so a changed record is parsed afresh at once and
 * never mistaken for the old one. Only records that parse are kept; a record
 * that does not is parsed (and refused) every time, with the same errors as
 * without the cache. Not thread-safe: one cache per thread.
 */
struct codec_enrollment_cache;

/* Allocates an empty cache (free it with codec_enrollment_cache_free); NULL
 * when out of memory. */
struct codec_enrollment_cache *codec_enrollment_cache_new(void);
/* Frees the cache and every record it holds (NULL is fine). */
void codec_enrollment_cache_free(struct codec_enrollment_cache *cache);

/* Starts a batch: plans handed out before this call may be dropped from now on. */
void codec_enrollment_cache_begin(struct codec_enrollment_cache *cache);

/* The stored JSON text of a member or group into *out, as
 * codec_parse_member / codec_parse_group on json_tokener_parse(text) would
 * fill it (errs initialised here). A NULL cache parses the text every time. */
bool codec_cached_member(struct codec_enrollment_cache *cache, const char *text,
                         const char *expected_id, struct member *out,
                         struct codec_field_errors *errs);
/* The stored JSON text of a group into *out, as codec_cached_member does a member. */
bool codec_cached_group(struct codec_enrollment_cache *cache, const char *text,
                        const char *expected_id, struct group *out,
                        struct codec_field_errors *errs);
/* Likewise for a plan (codec_parse_plan). On CODEC_OK, *owned says who
 * holds the fee schedule and formulary: true, the caller (plan_free); false,
 * the cache, valid until the next codec_enrollment_cache_begin or
 * codec_enrollment_cache_free, and the caller must not free them. */
enum codec_status codec_cached_plan(struct codec_enrollment_cache *cache, const char *text,
                                    const char *expected_id, struct plan *out, bool *owned,
                                    struct codec_field_errors *errs);

/* Lookups answered from the cache and records parsed, since it was made (tests). */
void codec_enrollment_cache_counts(const struct codec_enrollment_cache *cache, unsigned long *hits,
                                   unsigned long *parses);

#endif
