/*
 * The enrollment edge (codec/parse_enrollment.c): any bytes as a group, a
 * member and a plan body (PUT /v1/groups|members|plans/{id}).
 *
 * Checked: the status contract of parse_enrollment.h (problems only when
 * refused; a refused plan owns nothing); an accepted record's canonical JSON
 * is accepted again to an identical record (a plan's fee schedule and
 * formulary compared entry by entry), and the cached parse of that stored
 * text (the worker's path) gives the same record.
 */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz_check.h"
#include "codec/parse_enrollment.h"

static struct codec_enrollment_cache *cache;

static void check_errors(const struct codec_field_errors *errs, bool ok)
{
    FUZZ_CHECK(errs->count >= 0 && errs->count <= CODEC_FIELD_ERRORS_MAX && errs->dropped >= 0);
    for (int i = 0; i < errs->count; i++) {
        FUZZ_CHECK(strnlen(errs->items[i].field, CODEC_PATH_MAX) < CODEC_PATH_MAX);
        FUZZ_CHECK(errs->items[i].problem != NULL && errs->items[i].problem[0] != '\0');
    }
    if (ok)
        FUZZ_CHECK(!codec_field_errors_any(errs));
}

/* The id the body names, for the read-back's expected_id (NULL: none). */
static const char *body_id(const char *text, const char *key, char *buf, size_t size)
{
    struct json_object *o = json_tokener_parse(text), *v;
    const char *id = NULL;
    if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
        (size_t)json_object_get_string_len(v) < size) {
        memcpy(buf, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
        id = buf;
    }
    json_object_put(o);
    return id;
}

static void fuzz_group(const char *bytes, size_t size)
{
    static struct group g, again, cached;
    struct codec_field_errors errs;
    const char *reason = NULL;
    enum codec_status st = codec_group_from_body(bytes, size, NULL, &g, &errs, &reason);
    check_errors(&errs, st == CODEC_OK);
    if (st != CODEC_OK) {
        FUZZ_CHECK(reason != NULL);
        return;
    }
    struct json_object *tree = codec_group_to_json(&g, date_from_ymd(2026, 6, 1));
    FUZZ_CHECK(tree != NULL);
    size_t len;
    const char *text = json_object_to_json_string_length(tree, JSON_C_TO_STRING_PLAIN, &len);
    char id[ID_LEN];
    const char *expected = body_id(text, "group_id", id, sizeof id);
    FUZZ_CHECK(expected != NULL);
    FUZZ_CHECK(codec_group_from_body(text, len, expected, &again, &errs, &reason) == CODEC_OK);
    FUZZ_CHECK(memcmp(&g, &again, sizeof g) == 0);
    FUZZ_CHECK(codec_cached_group(cache, text, expected, &cached, &errs));
    FUZZ_CHECK(memcmp(&g, &cached, sizeof g) == 0);
    json_object_put(tree);
}

static void fuzz_member(const char *bytes, size_t size)
{
    static struct member m, again, cached;
    struct codec_field_errors errs;
    const char *reason = NULL;
    enum codec_status st = codec_member_from_body(bytes, size, NULL, &m, &errs, &reason);
    check_errors(&errs, st == CODEC_OK);
    if (st != CODEC_OK) {
        FUZZ_CHECK(reason != NULL);
        return;
    }
    struct json_object *tree = codec_member_to_json(&m, date_from_ymd(2026, 6, 1));
    FUZZ_CHECK(tree != NULL);
    size_t len;
    const char *text = json_object_to_json_string_length(tree, JSON_C_TO_STRING_PLAIN, &len);
    char id[ID_LEN];
    const char *expected = body_id(text, "member_id", id, sizeof id);
    FUZZ_CHECK(expected != NULL);
    FUZZ_CHECK(codec_member_from_body(text, len, expected, &again, &errs, &reason) == CODEC_OK);
    FUZZ_CHECK(memcmp(&m, &again, sizeof m) == 0);
    FUZZ_CHECK(codec_cached_member(cache, text, expected, &cached, &errs));
    FUZZ_CHECK(memcmp(&m, &cached, sizeof m) == 0);
    json_object_put(tree);
}

static void same_plan(const struct plan *a, const struct plan *b)
{
    FUZZ_CHECK(strcmp(a->plan_id, b->plan_id) == 0 && strcmp(a->name, b->name) == 0);
    FUZZ_CHECK(memcmp(&a->in_network, &b->in_network, sizeof a->in_network) == 0);
    FUZZ_CHECK(memcmp(&a->out_of_network, &b->out_of_network, sizeof a->out_of_network) == 0);
    FUZZ_CHECK(a->n_copays == b->n_copays);
    FUZZ_CHECK(memcmp(a->copays, b->copays, sizeof a->copays) == 0);
    FUZZ_CHECK(a->medical_filing_limit_days == b->medical_filing_limit_days);
    FUZZ_CHECK(a->pend_days == b->pend_days);
    FUZZ_CHECK(memcmp(a->pharmacy, b->pharmacy, sizeof a->pharmacy) == 0);
    FUZZ_CHECK(a->n_fee_schedule == b->n_fee_schedule && a->n_formulary == b->n_formulary);
    if (a->n_fee_schedule)
        FUZZ_CHECK(memcmp(a->fee_schedule, b->fee_schedule,
                          a->n_fee_schedule * sizeof *a->fee_schedule) == 0);
    if (a->n_formulary)
        FUZZ_CHECK(memcmp(a->formulary, b->formulary, a->n_formulary * sizeof *a->formulary) == 0);
}

static void fuzz_plan(const char *bytes, size_t size)
{
    static struct plan p, again, cached;
    struct codec_field_errors errs;
    const char *reason = NULL;
    enum codec_status st = codec_plan_from_body(bytes, size, NULL, &p, &errs, &reason);
    check_errors(&errs, st == CODEC_OK);
    if (st != CODEC_OK) {
        FUZZ_CHECK(reason != NULL);
        FUZZ_CHECK(p.fee_schedule == NULL && p.formulary == NULL);
        return;
    }
    /* Sorted, as plan_fee_lookup and plan_formulary_lookup need. */
    for (size_t i = 1; i < p.n_fee_schedule; i++)
        FUZZ_CHECK(strcmp(p.fee_schedule[i - 1].procedure_code, p.fee_schedule[i].procedure_code) <
                   0);
    for (size_t i = 1; i < p.n_formulary; i++)
        FUZZ_CHECK(strcmp(p.formulary[i - 1].ndc, p.formulary[i].ndc) < 0);
    for (size_t i = 0; i < p.n_fee_schedule; i++)
        FUZZ_CHECK(plan_fee_lookup(&p, p.fee_schedule[i].procedure_code) == &p.fee_schedule[i]);
    for (size_t i = 0; i < p.n_formulary; i++)
        FUZZ_CHECK(plan_formulary_lookup(&p, p.formulary[i].ndc) == &p.formulary[i]);

    struct json_object *tree = codec_plan_to_json(&p);
    FUZZ_CHECK(tree != NULL);
    size_t len;
    const char *text = json_object_to_json_string_length(tree, JSON_C_TO_STRING_PLAIN, &len);
    char id[ID_LEN];
    const char *expected = body_id(text, "plan_id", id, sizeof id);
    FUZZ_CHECK(expected != NULL);
    FUZZ_CHECK(codec_plan_from_body(text, len, expected, &again, &errs, &reason) == CODEC_OK);
    same_plan(&p, &again);
    plan_free(&again);
    codec_enrollment_cache_begin(cache);
    bool owned = false;
    FUZZ_CHECK(codec_cached_plan(cache, text, expected, &cached, &owned, &errs) == CODEC_OK);
    same_plan(&p, &cached);
    if (owned)
        plan_free(&cached);
    json_object_put(tree);
    plan_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cache) {
        cache = codec_enrollment_cache_new();
        FUZZ_CHECK(cache != NULL);
    }
    fuzz_group((const char *)data, size);
    fuzz_member((const char *)data, size);
    fuzz_plan((const char *)data, size);
    return 0;
}
