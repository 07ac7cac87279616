/*
 * The read side of the compact claim layout (docs/operations.md "Redis
 * keys"), end to end: claims written straight into Redis the way the intake
 * and commit steps store them (small hash with compact history, {c}body,
 * packed {c}dec, packed {c}eob:<id>:<n>, audit entry ids in {c}caudit, the
 * family, provider and open-status indexes, {c}mref) are read back through a
 * real claimsd and compared with the exact API.md answers: the claim, its EOB
 * in each format, its audit trail, searches and information supplied.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adj_fixtures.h"
#include "eob/eob.h"
#include "harness/harness.h"
#include "packed.h"
#include "queue/claims_read.h"

#define ADMIN "reads-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define P "claims:"

/* Claim ids, in receipt order (their index scores grow with the number). */
#define C1 "11111111-1111-4111-8111-111111111111" /* approved medical, M1001-02, with EOB */
#define C2 "22222222-2222-4222-8222-222222222222" /* pended pharmacy, M1001, overdue */
#define C3 "33333333-3333-4333-8333-333333333333" /* received, M2001, by provider A */
#define C4 "44444444-4444-4444-8444-444444444444" /* received, unknown member X9999, overdue */
#define C5 "55555555-5555-4555-8555-555555555555" /* denied, M1001-02 while unknown */
#define C6 "66666666-6666-4666-8666-666666666666" /* approved, M2001-01 (no member reference) */
#define C7 "77777777-7777-4777-8777-777777777777" /* received, M2001: its audit trail */
#define C8 "88888888-8888-4888-8888-888888888888" /* received, LATE-01, after 10,050 others */

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], subscriber[80], child[80], other_family[80], provider_a[80];
static char *eob_text; /* C1's EOB record, as stored (before packing) */

static void ok(redisContext *c, redisReply *r)
{
    if (!r || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "seeding failed: %s\n", r ? r->str : c->errstr);
        exit(2);
    }
    freeReplyObject(r);
}

static void set_packed(redisContext *c, const char *key, const char *text)
{
    char *packed;
    size_t len;
    if (packed_pack(text, strlen(text), &packed, &len) != 0)
        exit(2);
    ok(c, redisCommand(c, "SET %s %b", key, packed, len));
    free(packed);
}

struct seed {
    const char *id, *type, *member, *subscriber, *status, *received, *target, *npi, *history;
    int seq;             /* index score: received day × 2^21 + seq */
    const char *indexes; /* space-separated index keys (after the prefix) */
};

static long long score_of(const struct seed *s)
{
    return (long long)D(s->received).days * (1LL << 21) + s->seq;
}

static void seed_claim(redisContext *c, const struct seed *s)
{
    char score[32], day[16];
    snprintf(score, sizeof score, "%lld", score_of(s));
    snprintf(day, sizeof day, "%d", (int)D(s->target).days);
    ok(c,
       redisCommand(c,
                    "HSET " P "{c}claim:%s id %s type %s member_id %s subscriber_id %s status %s "
                    "received %s target %s target_day %s score %s by_token t1 by_role %s "
                    "by_npi %s group_hint G100 plan_hint PPO-500 years 2026 history %s",
                    s->id, s->id, s->type, s->member, s->subscriber, s->status, s->received,
                    s->target, day, score, s->npi[0] ? "provider" : "member", s->npi, s->history));
    char list[256];
    snprintf(list, sizeof list, "%s", s->indexes);
    for (char *save = NULL, *k = strtok_r(list, " ", &save); k; k = strtok_r(NULL, " ", &save))
        ok(c, redisCommand(c, "ZADD " P "{c}%s %s %s", k, score, s->id));
}

#define PHARMACY_BODY                                                                              \
    "{\"type\":\"pharmacy\",\"member_id\":\"M1001\",\"received_date\":\"2026-03-03\","             \
    "\"patient\":{\"first_name\":\"Luis\",\"last_name\":\"Lopez\",\"birth_date\":\"1975-09-14\"}," \
    "\"pharmacy\":{\"name\":\"Corner Drug #12\",\"npi\":\"" NPI_A "\",\"network\":\"in\"},"        \
    "\"ndc\":\"00071015523\",\"fill_date\":\"2026-03-01\",\"drug_name\":\"Lipitor 20 mg tablet\"," \
    "\"quantity\":30,\"days_supply\":30,\"charge\":42.17}"
#define MEDICAL_BODY                                                                               \
    "{\"type\":\"medical\",\"member_id\":\"M1001-02\",\"provider\":{\"npi\":\"" NPI_A "\","        \
    "\"name\":\"Bay Clinic\",\"network\":\"in\",\"facility\":false},"                              \
    "\"lines\":[{\"service_date\":\"2026-03-02\",\"procedure_code\":\"99213\",\"units\":1,"        \
    "\"charge\":250.00}]}"
#define DECISION_C1                                                                                \
    "{\"outcome\":\"approved\",\"cob_position\":\"primary\",\"total_charge\":250.00,"              \
    "\"allowed\":180.00,\"plan_paid\":124.00,\"patient_responsibility\":56.00,"                    \
    "\"payee\":\"member\",\"codes\":[{\"group\":\"PR\",\"carc\":\"1\",\"amount\":20.00}],"         \
    "\"remarks\":[\"N130\"],\"lines\":[]}"
#define DECISION_C2                                                                                \
    "{\"outcome\":\"pended\",\"total_charge\":42.17,\"codes\":[],\"remarks\":[\"N479\"]}"
#define PENDING_C2                                                                                 \
    "{\"reason_codes\":[\"N479\"],\"needed\":[\"other_insurance\"],\"deadline\":\"2026-04-17\"}"

/* An EOB record built from a decision of the real rules (as test_eob.c). */
static char *build_eob_text(void)
{
    static struct fx X;
    static struct eob_year_standing S[ADJ_MAX_PLAN_YEARS];
    fx_init(&X);
    fx_line(&X, "2026-03-02", "99213", 1, USD(150));
    fx_run(&X, "2026-03-02");
    int n = eob_standing_after(&X.plan, &X.claim, X.acc, X.n_acc, &X.out, S, ADJ_MAX_PLAN_YEARS);
    struct eob_inputs in = {
        .claim_id = C1,
        .version = 1,
        .statement_date = D("2026-03-02"),
        .received_date = D("2026-03-02"),
        .claim = &X.claim,
        .patient = &X.patient,
        .subscriber = &X.patient,
        .group = &X.group,
        .plan = &X.plan,
        .decision = &X.out,
        .standing = S,
        .n_standing = n,
    };
    struct json_object *rec = NULL;
    if (n < 1 || eob_record_build(&in, &rec) != EOB_OK)
        exit(2);
    char *text = strdup(json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN));
    json_object_put(rec);
    return text;
}

static void seed(void)
{
    redisContext *c = test_redis_connect(&redis);
    /* 14:05:09, :10, :11 UTC on 2026-03-02 */
    const struct seed claims[] = {
        {C1, "medical", "M1001-02", "M1001", "approved", "2026-03-02", "2026-03-16", "",
         "received@1772460309,processing@1772460310,approved@1772460311", 1, "idx:all idx:f:M1001"},
        {C2, "pharmacy", "M1001", "M1001", "pended", "2026-03-03", "2026-03-17", "",
         "received@1772460309,processing@1772460310,pended@1772460311", 2,
         "idx:all idx:f:M1001 idx:s:pended"},
        {C3, "medical", "M2001", "M2001", "received", "2026-03-04", "2099-01-02", NPI_A,
         "received@1772460309", 3, "idx:all idx:f:M2001 idx:p:" NPI_A " idx:s:received"},
        {C4, "pharmacy", "X9999", "", "received", "2026-03-05", "2026-03-19", "",
         "received@1772460309", 4, "idx:all idx:f:X9999 idx:s:received"},
        {C5, "pharmacy", "M1001-02", "", "denied", "2026-03-06", "2026-03-20", "",
         "received@1772460309,processing@1772460310,denied@1772460311", 5,
         "idx:all idx:f:M1001-02"},
        {C6, "pharmacy", "M2001-01", "M2001", "approved", "2026-03-09", "2026-03-23", "",
         "received@1772460309,processing@1772460310,approved@1772460311", 6, "idx:all idx:f:M2001"},
        {C7, "pharmacy", "M2001", "M2001", "received", "2026-03-10", "2099-01-02", "",
         "received@1772460309", 7, "idx:all idx:f:M2001 idx:s:received"},
    };
    for (size_t i = 0; i < sizeof claims / sizeof *claims; i++)
        seed_claim(c, &claims[i]);
    ok(c, redisCommand(c, "HSET " P "{c}claim:" C1 " finalized_at 2026-03-02T14:05:11Z "
                          "within_target 1 eob_version 1"));
    ok(c, redisCommand(c, "SET " P "{c}body:" C1 " %s", MEDICAL_BODY));
    set_packed(c, P "{c}dec:" C1, "{\"decision\":" DECISION_C1 "}");
    eob_text = build_eob_text();
    set_packed(c, P "{c}eob:" C1 ":1", eob_text);
    ok(c, redisCommand(c, "SET " P "{c}body:" C2 " %s", PHARMACY_BODY));
    set_packed(c, P "{c}dec:" C2, "{\"decision\":" DECISION_C2 ",\"pending\":" PENDING_C2 "}");
    ok(c, redisCommand(c, "ZADD " P "{c}pended 20560 " C2));
    /* The member references: M2001-01 has none (written before they existed). */
    ok(c, redisCommand(c, "HSET " P
                          "{c}mref:M1001 subscriber_id M1001 group_id G100 plan_id PPO-500"));
    ok(c, redisCommand(c, "HSET " P
                          "{c}mref:M1001-02 subscriber_id M1001 group_id G100 plan_id PPO-500"));
    ok(c, redisCommand(c, "HSET " P
                          "{c}mref:M2001 subscriber_id M2001 group_id G200 plan_id PPO-500"));
    /* C7's audit trail: two records in the stream, their ids in its list. */
    const char *records[] = {
        "{\"at\":\"2026-03-10T09:00:00Z\",\"token_id\":\"t1\",\"role\":\"member\","
        "\"action\":\"claim.submit\",\"request_id\":\"r1\",\"from\":\"10.0.0.1\"}",
        "{\"at\":\"2026-03-10T09:00:01Z\",\"token_id\":\"\",\"role\":\"worker\","
        "\"action\":\"claim.decide\",\"request_id\":\"\",\"from\":\"\"}",
    };
    for (int i = 0; i < 2; i++) {
        redisReply *id =
            redisCommand(c, "XADD " P "{c}audit * claim_id " C7 " record %s", records[i]);
        ok(c, redisCommand(c, "RPUSH " P "{c}caudit:" C7 " %s", id->str));
        freeReplyObject(id);
    }
    redisFree(c);
}

static void setup(void)
{
    test_start_redis_and_claimsd(&redis, &server, ADMIN,
                                 (const char *const[]){"--workers", "0", NULL});
    test_put_sample_enrollment(&server, ADMIN, "G100 G200", "M1001 M1001-02 M2001");
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", subscriber);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001-02\"}", child);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M2001\"}",
                      other_family);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", provider_a);
    seed();
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
    free(eob_text);
}

/* GET path as token: expects the status, returns the body (caller frees). */
static char *get(const char *path, const char *token, long want)
{
    struct test_response res;
    test_api(&server, "GET", path, token, NULL, NULL, &res);
    ck_assert_msg(res.status == want, "GET %s: %ld %s", path, res.status, res.body);
    char *body = strdup(res.body);
    test_response_free(&res);
    return body;
}

START_TEST(test_finalized_claim_reads_back_with_decision_and_rfc3339_history)
{
    char *body = get("/v1/claims/" C1, child, 200);
    ck_assert_str_eq(body,
                     "{\"claim_id\":\"" C1 "\",\"type\":\"medical\",\"member_id\":\"M1001-02\","
                     "\"status\":\"approved\",\"received_date\":\"2026-03-02\","
                     "\"target_date\":\"2026-03-16\",\"finalized_at\":\"2026-03-02T14:05:11Z\","
                     "\"within_target\":true,\"submitted\":" MEDICAL_BODY ","
                     "\"decision\":" DECISION_C1 ","
                     "\"history\":[{\"at\":\"2026-03-02T14:05:09Z\",\"status\":\"received\"},"
                     "{\"at\":\"2026-03-02T14:05:10Z\",\"status\":\"processing\"},"
                     "{\"at\":\"2026-03-02T14:05:11Z\",\"status\":\"approved\"}]}");
    free(body);
    /* The subscriber sees the family's claim; staff too; no one else. */
    free(get("/v1/claims/" C1, subscriber, 200));
    free(get("/v1/claims/" C1, staff, 200));
    free(get("/v1/claims/" C1, other_family, 404));
    free(get("/v1/claims/" C1, provider_a, 404));
    free(get("/v1/claims/" C1, "no-such-token", 401));
    free(get("/v1/claims/99999999-9999-4999-8999-999999999999", staff, 404));
    free(get("/v1/claims/not-a-claim-id", staff, 404));
    /* Each read is audited once: the claim's list holds stream entry ids. */
    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "LRANGE " P "{c}caudit:" C1 " 0 -1");
    ck_assert_uint_eq(r->elements, 3);
    for (size_t i = 0; i < r->elements; i++) {
        const char *id = r->element[i]->str;
        ck_assert_msg(strspn(id, "0123456789-") == strlen(id), "not a stream id: %s", id);
        redisReply *e = redisCommand(c, "XRANGE " P "{c}audit %s %s", id, id);
        ck_assert_uint_eq(e->elements, 1);
        ck_assert_str_eq(e->element[0]->element[1]->element[1]->str, C1);
        ck_assert_str_eq(test_json_str(e->element[0]->element[1]->element[3]->str, "action"),
                         "claim.read");
        freeReplyObject(e);
    }
    freeReplyObject(r);
    redisFree(c);
}
END_TEST

START_TEST(test_pended_claim_reads_back_with_pending)
{
    char *body = get("/v1/claims/" C2, subscriber, 200);
    ck_assert_str_eq(body, "{\"claim_id\":\"" C2 "\",\"type\":\"pharmacy\",\"member_id\":\"M1001\","
                           "\"status\":\"pended\",\"received_date\":\"2026-03-03\","
                           "\"target_date\":\"2026-03-17\",\"submitted\":" PHARMACY_BODY ","
                           "\"decision\":" DECISION_C2 ",\"pending\":" PENDING_C2 ","
                           "\"history\":[{\"at\":\"2026-03-02T14:05:09Z\",\"status\":\"received\"},"
                           "{\"at\":\"2026-03-02T14:05:10Z\",\"status\":\"processing\"},"
                           "{\"at\":\"2026-03-02T14:05:11Z\",\"status\":\"pended\"}]}");
    free(body);
    /* The child may not read the parent's claim. */
    free(get("/v1/claims/" C2, child, 404));
    /* No submission or decision stored (yet): the hash alone. */
    body = get("/v1/claims/" C3, provider_a, 200);
    ck_assert_str_eq(body,
                     "{\"claim_id\":\"" C3 "\",\"type\":\"medical\",\"member_id\":\"M2001\","
                     "\"status\":\"received\",\"received_date\":\"2026-03-04\","
                     "\"target_date\":\"2099-01-02\","
                     "\"history\":[{\"at\":\"2026-03-02T14:05:09Z\",\"status\":\"received\"}]}");
    free(body);
}
END_TEST

START_TEST(test_eob_is_read_from_its_packed_version_in_each_format)
{
    char *body = get("/v1/claims/" C1 "/eob", child, 200);
    ck_assert_str_eq(body, eob_text);
    free(body);
    body = get("/v1/claims/" C1 "/eob?format=json&version=1", staff, 200);
    ck_assert_str_eq(body, eob_text);
    free(body);

    struct json_object *rec = json_tokener_parse(eob_text);
    struct json_object *fhir = eob_fhir(rec);
    ck_assert_ptr_nonnull(fhir);
    body = get("/v1/claims/" C1 "/eob?format=fhir", child, 200);
    ck_assert_str_eq(body, json_object_to_json_string_ext(
                               fhir, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    free(body);
    json_object_put(fhir);
    char *html = eob_html(rec);
    body = get("/v1/claims/" C1 "/eob?format=html&version=1", subscriber, 200);
    ck_assert_str_eq(body, html);
    free(body);
    free(html);
    json_object_put(rec);

    body = get("/v1/claims/" C1 "/eob?version=2", child, 404);
    ck_assert_str_eq(test_json_str(body, "error.code"), "no_eob");
    free(body);
    body = get("/v1/claims/" C2 "/eob", subscriber, 404);
    ck_assert_str_eq(test_json_str(body, "error.code"), "no_eob");
    ck_assert_str_eq(test_json_str(body, "error.message"),
                     "this claim has no Explanation of Benefits yet: it is not final");
    free(body);
    body = get("/v1/claims/" C1 "/eob", other_family, 404);
    ck_assert_str_eq(test_json_str(body, "error.code"), "not_found");
    free(body);
    body = get("/v1/claims/" C1 "/eob?format=pdf", child, 422);
    free(body);
}
END_TEST

/* Claims, EOBs and audit trails are personal: no cache may keep them
 * (issue 16, finding 6). */
START_TEST(test_claim_eob_and_audit_answers_forbid_caching)
{
    static const char *const paths[] = {"/v1/claims/" C1, "/v1/claims/" C1 "/eob",
                                        "/v1/claims/" C1 "/eob?format=html",
                                        "/v1/claims/" C7 "/audit"};
    for (int i = 0; i < 4; i++) {
        struct test_response res;
        test_api(&server, "GET", paths[i], staff, NULL, NULL, &res);
        ck_assert_int_eq(res.status, 200);
        char value[64];
        ck_assert_msg(test_response_header(&res, "Cache-Control", value, sizeof value),
                      "%s has no Cache-Control", paths[i]);
        ck_assert_str_eq(value, "no-store");
        test_response_free(&res);
    }
}
END_TEST

START_TEST(test_audit_trail_reads_records_through_the_claims_entry_ids)
{
    char *body = get("/v1/claims/" C7 "/audit", staff, 200);
    ck_assert_str_eq(test_json_str(body, "claim_id"), C7);
    ck_assert_int_eq(test_json_len(body, "entries"), 3);
    ck_assert_str_eq(test_json_str(body, "entries.0.action"), "claim.submit");
    ck_assert_str_eq(test_json_str(body, "entries.0.from"), "10.0.0.1");
    ck_assert_str_eq(test_json_str(body, "entries.1.action"), "claim.decide");
    ck_assert_str_eq(test_json_str(body, "entries.2.action"), "claim.audit.read");
    ck_assert_str_eq(test_json_str(body, "entries.2.role"), "staff");
    /* The first two exactly as stored. */
    ck_assert(strstr(body,
                     "{\"at\":\"2026-03-10T09:00:00Z\",\"token_id\":\"t1\",\"role\":\"member\","
                     "\"action\":\"claim.submit\",\"request_id\":\"r1\",\"from\":\"10.0.0.1\"}") !=
              NULL);
    free(body);
    free(get("/v1/claims/" C7 "/audit", other_family, 404));
    free(get("/v1/claims/99999999-9999-4999-8999-999999999999/audit", staff, 404));
}
END_TEST

/* The claim ids of a search answer, space-separated (static buffer). */
static const char *ids_of(const char *body)
{
    static char out[512];
    out[0] = '\0';
    for (int i = 0; i < test_json_len(body, "claims"); i++) {
        char q[32];
        snprintf(q, sizeof q, "claims.%d.claim_id", i);
        const char *id = test_json_str(body, q);
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%c", out[0] ? " " : "", id[0]);
    }
    return out;
}

/* The claims a search finds, by the first digit of their ids ("1 5"). */
static const char *search(const char *query, const char *token)
{
    static char ids[512];
    char path[256];
    snprintf(path, sizeof path, "/v1/claims?%s", query);
    char *body = get(path, token, 200);
    snprintf(ids, sizeof ids, "%s", ids_of(body));
    free(body);
    return ids;
}

/* The page after `page` (its next_cursor) of the search query ("limit=3"),
 * as staff: frees page, returns the next page's body (caller frees). */
static char *next_page(const char *query, char *page)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/claims?%s&cursor=%s", query,
             test_json_str(page, "next_cursor"));
    free(page);
    return get(path, staff, 200);
}

START_TEST(test_search_answer_shape_is_unchanged)
{
    char *body = get("/v1/claims?member_id=X9999", staff, 200);
    ck_assert_str_eq(body, "{\"claims\":[{\"claim_id\":\"" C4 "\",\"type\":\"pharmacy\","
                           "\"member_id\":\"X9999\",\"status\":\"received\","
                           "\"received_date\":\"2026-03-05\",\"target_date\":\"2026-03-19\"}],"
                           "\"next_cursor\":null}");
    free(body);
}
END_TEST

START_TEST(test_search_by_member_walks_the_family_resolved_by_member_reference)
{
    /* The child's claims: in the family's index and, received while the child
     * was unknown, under the child's own id. */
    ck_assert_str_eq(search("member_id=M1001-02", staff), "1 5");
    ck_assert_str_eq(search("member_id=M1001", staff), "2");
    /* An unknown member: the index under its own id. */
    ck_assert_str_eq(search("member_id=X9999", staff), "4");
    /* No member reference and no index of its own: every claim, filtered. */
    ck_assert_str_eq(search("member_id=M2001-01", staff), "6");
    ck_assert_str_eq(search("member_id=NOBODY", staff), "");
    ck_assert_str_eq(search("member_id=M1001-02&status=denied", staff), "5");
    ck_assert_str_eq(search("member_id=M1001-02&type=medical", staff), "1");
}
END_TEST

START_TEST(test_members_and_providers_search_only_their_own)
{
    /* The subscriber: the family's claims (subscriber_id M1001). */
    ck_assert_str_eq(search("", subscriber), "1 2");
    /* The child: its own, wherever indexed. */
    ck_assert_str_eq(search("", child), "1 5");
    ck_assert_str_eq(search("member_id=M1001", child), "");
    ck_assert_str_eq(search("member_id=M1001-02", subscriber), "1");
    ck_assert_str_eq(search("", other_family), "3 6 7");
    ck_assert_str_eq(search("", provider_a), "3");
    ck_assert_str_eq(search("member_id=M1001", provider_a), "");
}
END_TEST

START_TEST(test_search_by_status_and_overdue)
{
    ck_assert_str_eq(search("status=received", staff), "3 4 7");
    ck_assert_str_eq(search("status=pended", staff), "2");
    ck_assert_str_eq(search("status=processing", staff), "");
    ck_assert_str_eq(search("status=approved", staff), "1 6");
    ck_assert_str_eq(search("status=denied", staff), "5");
    ck_assert_str_eq(search("overdue=true", staff), "2 4");
    ck_assert_str_eq(search("overdue=true&status=received", staff), "4");
    ck_assert_str_eq(search("overdue=true&status=approved", staff), "");
    ck_assert_str_eq(search("received_from=2026-03-04&received_to=2026-03-06", staff), "3 4 5");
    ck_assert_str_eq(search("status=received&received_to=2026-03-04", staff), "3");
}
END_TEST

START_TEST(test_search_pages_with_the_cursor)
{
    char *body = get("/v1/claims?limit=3", staff, 200);
    ck_assert_str_eq(ids_of(body), "1 2 3");
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)D("2026-03-04").days * (1LL << 21) + 3);
    ck_assert_str_eq(test_json_str(body, "next_cursor"), want);
    body = next_page("limit=3", body);
    ck_assert_str_eq(ids_of(body), "4 5 6");
    body = next_page("limit=3", body);
    ck_assert_str_eq(ids_of(body), "7");
    ck_assert(strstr(body, "\"next_cursor\":null") != NULL);
    free(body);
    /* Over merged indexes too: the child's claims one at a time. */
    body = get("/v1/claims?member_id=M1001-02&limit=1", staff, 200);
    ck_assert_str_eq(ids_of(body), "1");
    body = next_page("member_id=M1001-02&limit=1", body);
    ck_assert_str_eq(ids_of(body), "5");
    free(body);
    /* Overdue over the three open-status indexes. */
    body = get("/v1/claims?overdue=true&limit=1", staff, 200);
    ck_assert_str_eq(ids_of(body), "2");
    body = next_page("overdue=true&limit=1", body);
    ck_assert_str_eq(ids_of(body), "4");
    free(body);
}
END_TEST

/* Issue 16, finding 7: information that supplies nothing is refused and the
 * claim stays pended (it waits for other_insurance). */
START_TEST(test_information_that_supplies_nothing_is_refused)
{
    static const struct {
        const char *body, *field, *problem;
    } cases[] = {
        {"{\"other_insurance\": null}", "other_insurance", "must not be null"},
        {"{\"itemized_bill\": false}", "itemized_bill",
         "must be true: it says the itemized bill is supplied"},
        {"{\"attachments\": [{\"kind\": \"other\", \"reference\": \"doc-1\"}]}", "",
         "supplies none of what the claim waits for (its pending.needed)"},
        {"{\"attachments\": [{\"kind\": null}]}", "",
         "supplies none of what the claim waits for (its pending.needed)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct test_response res;
        test_api(&server, "POST", "/v1/claims/" C2 "/information", subscriber, cases[i].body, NULL,
                 &res);
        ck_assert_msg(res.status == 422, "%s: %ld %s", cases[i].body, res.status, res.body);
        ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), cases[i].field);
        ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"), cases[i].problem);
        test_response_free(&res);
    }
    char *body = get("/v1/claims/" C2, subscriber, 200);
    ck_assert_str_eq(test_json_str(body, "status"), "pended");
    free(body);
}
END_TEST

START_TEST(test_information_supplied_requeues_the_pended_claim)
{
    struct test_response res;
    const char *supplied = "{\"other_insurance\":{\"payer_name\":\"Acme Health\",\"paid\":10.00,"
                           "\"allowed\":30.00,\"patient_responsibility\":20.00,"
                           "\"eob_date\":\"2026-03-05\"}}";
    test_api(&server, "POST", "/v1/claims/" C3 "/information", staff, supplied, NULL, &res);
    ck_assert_int_eq(res.status, 409); /* received, not pended */
    test_response_free(&res);
    test_api(&server, "POST", "/v1/claims/" C2 "/information", child, supplied, NULL, &res);
    ck_assert_int_eq(res.status, 404); /* the parent's claim */
    test_response_free(&res);
    test_api(&server, "POST", "/v1/claims/" C2 "/information", subscriber, supplied, NULL, &res);
    ck_assert_msg(res.status == 202, "%ld %s", res.status, res.body);
    ck_assert_str_eq(res.body, "{\"claim_id\":\"" C2 "\",\"status\":\"received\"}");
    test_response_free(&res);

    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "HMGET " P "{c}claim:" C2 " status history");
    ck_assert_str_eq(r->element[0]->str, "received");
    const char *h = r->element[1]->str;
    const char *prefix = "received@1772460309,processing@1772460310,pended@1772460311,received@";
    ck_assert_msg(strncmp(h, prefix, strlen(prefix)) == 0, "history %s", h);
    ck_assert_uint_eq(strspn(h + strlen(prefix), "0123456789"), strlen(h + strlen(prefix)));
    freeReplyObject(r);
    /* The merged submission replaces the stored one. */
    r = redisCommand(c, "GET " P "{c}body:" C2);
    ck_assert_str_eq(test_json_str(r->str, "other_insurance.payer_name"), "Acme Health");
    ck_assert_str_eq(test_json_str(r->str, "ndc"), "00071015523");
    freeReplyObject(r);
    /* The decision stays, without its pending part. */
    r = redisCommand(c, "GET " P "{c}dec:" C2);
    char *dec;
    size_t len;
    ck_assert_int_eq(packed_unpack(r->str, r->len, &dec, &len), 0);
    ck_assert_str_eq(dec, "{\"decision\":" DECISION_C2 "}");
    free(dec);
    freeReplyObject(r);
    r = redisCommand(c, "ZSCORE " P "{c}idx:s:pended " C2);
    ck_assert_int_eq(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    r = redisCommand(c, "ZSCORE " P "{c}pended " C2);
    ck_assert_int_eq(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    r = redisCommand(c, "ZSCORE " P "{c}idx:s:received " C2);
    ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
    /* Back on the work stream with the worker's hints. */
    r = redisCommand(c, "XRANGE " P "{c}work - +");
    ck_assert_uint_eq(r->elements, 1);
    const redisReply *f = r->element[0]->element[1];
    const char *want[] = {"claim", C2,     "member", "M1001",   "subscriber", "M1001",
                          "group", "G100", "plan",   "PPO-500", "years",      "2026"};
    ck_assert_uint_eq(f->elements, 12);
    for (int i = 0; i < 12; i++)
        ck_assert_str_eq(f->element[i]->str, want[i]);
    freeReplyObject(r);
    /* The audit record once, its id in the claim's list. */
    r = redisCommand(c, "LRANGE " P "{c}caudit:" C2 " -1 -1");
    redisReply *e =
        redisCommand(c, "XRANGE " P "{c}audit %s %s", r->element[0]->str, r->element[0]->str);
    ck_assert_str_eq(test_json_str(e->element[0]->element[1]->element[3]->str, "action"),
                     "claim.information");
    freeReplyObject(e);
    freeReplyObject(r);
    redisFree(c);

    char *body = get("/v1/claims/" C2, subscriber, 200);
    ck_assert_str_eq(test_json_str(body, "status"), "received");
    ck_assert_str_eq(test_json_str(body, "pending"), "");
    ck_assert_str_eq(test_json_str(body, "decision.outcome"), "pended");
    ck_assert_int_eq(test_json_len(body, "history"), 4);
    ck_assert_str_eq(test_json_str(body, "history.3.status"), "received");
    free(body);
    test_api(&server, "POST", "/v1/claims/" C2 "/information", subscriber, supplied, NULL, &res);
    ck_assert_int_eq(res.status, 409); /* no longer pended */
    test_response_free(&res);
}
END_TEST

START_TEST(test_compact_history_becomes_rfc3339_entries_and_skips_what_it_cannot_read)
{
    struct json_object *h = queue_history_json(
        "received@1772460309,broken,x@,@5,pended@12ab,processing@0,approved@1772460311");
    ck_assert_str_eq(json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN),
                     "[{\"at\":\"2026-03-02T14:05:09Z\",\"status\":\"received\"},"
                     "{\"at\":\"1970-01-01T00:00:00Z\",\"status\":\"processing\"},"
                     "{\"at\":\"2026-03-02T14:05:11Z\",\"status\":\"approved\"}]");
    json_object_put(h);
    h = queue_history_json(NULL);
    ck_assert_str_eq(json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN), "[]");
    json_object_put(h);
    h = queue_history_json("");
    ck_assert_uint_eq(json_object_array_length(h), 0);
    json_object_put(h);
}
END_TEST

START_TEST(test_search_examines_at_most_10000_index_entries_per_call)
{
    /* 10,050 claims of other members received after the others, then one of
     * a member with neither a member reference nor an index of its own: the
     * search walks every claim and needs a second call to reach it. */
    redisContext *c = test_redis_connect(&redis);
    long long base = (long long)D("2026-04-01").days * (1LL << 21);
    for (int i = 0; i < 10050; i++) {
        redisAppendCommand(c, "ZADD " P "{c}idx:all %lld fill-%d", base + i, i);
        redisAppendCommand(
            c, "HSET " P "{c}claim:fill-%d type pharmacy member_id FILL status denied", i);
    }
    redisAppendCommand(c, "ZADD " P "{c}idx:all %lld " C8, base + 20000);
    redisAppendCommand(c, "ZADD " P "{c}idx:s:received %lld " C8, base + 20000);
    redisAppendCommand(c, "HSET " P "{c}claim:" C8 " id " C8 " type pharmacy member_id LATE-01 "
                          "status received received 2026-04-01 target 2026-04-15");
    for (int i = 0; i < 2 * 10050 + 3; i++) {
        redisReply *r = NULL;
        ck_assert_int_eq(redisGetReply(c, (void **)&r), REDIS_OK);
        freeReplyObject(r);
    }
    redisFree(c);
    char *body = get("/v1/claims?member_id=LATE-01", staff, 200);
    ck_assert_int_eq(test_json_len(body, "claims"), 0);
    char want[32], path[128];
    /* Entries 1-7 (C1..C7) and 9,993 fillers: the last one looked at. */
    snprintf(want, sizeof want, "%lld", base + 9992);
    ck_assert_str_eq(test_json_str(body, "next_cursor"), want);
    snprintf(path, sizeof path, "/v1/claims?member_id=LATE-01&cursor=%s", want);
    free(body);
    body = get(path, staff, 200);
    ck_assert_str_eq(body, "{\"claims\":[{\"claim_id\":\"" C8 "\",\"type\":\"pharmacy\","
                           "\"member_id\":\"LATE-01\",\"status\":\"received\","
                           "\"received_date\":\"2026-04-01\",\"target_date\":\"2026-04-15\"}],"
                           "\"next_cursor\":null}");
    free(body);
    /* Asked for an open status, such a member's search walks that status's
     * index instead: found on the first call. */
    body = get("/v1/claims?member_id=LATE-01&status=received", staff, 200);
    ck_assert_str_eq(ids_of(body), "8");
    ck_assert(strstr(body, "\"next_cursor\":null") != NULL);
    free(body);
}
END_TEST

static Suite *reads_suite(void)
{
    Suite *s = suite_create("reads");
    TCase *tc = tcase_create("compact layout");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_finalized_claim_reads_back_with_decision_and_rfc3339_history);
    tcase_add_test(tc, test_pended_claim_reads_back_with_pending);
    tcase_add_test(tc, test_eob_is_read_from_its_packed_version_in_each_format);
    tcase_add_test(tc, test_audit_trail_reads_records_through_the_claims_entry_ids);
    tcase_add_test(tc, test_claim_eob_and_audit_answers_forbid_caching);
    tcase_add_test(tc, test_search_answer_shape_is_unchanged);
    tcase_add_test(tc, test_search_by_member_walks_the_family_resolved_by_member_reference);
    tcase_add_test(tc, test_members_and_providers_search_only_their_own);
    tcase_add_test(tc, test_search_by_status_and_overdue);
    tcase_add_test(tc, test_search_pages_with_the_cursor);
    /* Last: they change C2 and add claims. */
    tcase_add_test(tc, test_information_that_supplies_nothing_is_refused);
    tcase_add_test(tc, test_information_supplied_requeues_the_pended_claim);
    tcase_add_test(tc, test_search_examines_at_most_10000_index_entries_per_call);
    suite_add_tcase(s, tc);
    TCase *unit = tcase_create("history");
    tcase_add_test(unit,
                   test_compact_history_becomes_rfc3339_entries_and_skips_what_it_cannot_read);
    suite_add_tcase(s, unit);
    return s;
}

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    return test_run_suite(reads_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
