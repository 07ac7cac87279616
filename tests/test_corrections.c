/*
 * Corrections end to end (docs/api.md "Corrections", docs/rules.md
 * "Corrections, voids and the adjustment cascade"): a real claimsd and its
 * workers. A void takes a claim's effect off the accumulators and the later
 * claim that met the deductible is adjusted (new EOB version with the
 * difference); a replacement of a final claim is a new linked claim, never
 * a duplicate of the one it replaces; a pended claim is replaced in place;
 * a recovery is reversed through the same re-decision with the overpayment
 * on the EOB. Refusals: another family's claim 404, a voided or replaced
 * claim 409, a missing reason 422.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "harness/harness.h"
#include "queue/corrections.h"
#include "queue/redis_conn.h"

#define ADMIN "corrections-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define NPI_B "1003000126"
#define P "claims:"

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], member[80], other_member[80], provider[80], other_provider[80];

/* Asserts an error answer's status, code and (when field is not NULL) its first field. */
static void refused(const char *method, const char *path, const char *token, const char *body,
                    long status, const char *code, const char *field, const char *problem)
{
    char *res = test_call(&server, method, path, token, body, status);
    ck_assert_str_eq(test_json_str(res, "error.code"), code);
    if (field) {
        ck_assert_str_eq(test_json_str(res, "error.fields.0.field"), field);
        ck_assert_str_eq(test_json_str(res, "error.fields.0.problem"), problem);
    }
    free(res);
}

#define PATIENT_LUIS                                                                               \
    "\"patient\":{\"first_name\":\"Luis\",\"last_name\":\"Lopez\",\"birth_date\":\"1975-09-14\"}"
#define PATIENT_ANA                                                                                \
    "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Lopez\",\"birth_date\":\"2015-06-10\"}"
#define PROVIDER(dx)                                                                               \
    "\"provider\":{\"npi\":\"" NPI_A "\",\"name\":\"Bay Clinic\",\"network\":\"in\","              \
    "\"facility\":false},\"diagnosis_codes\":[\"" dx "\"],"
/* The employee's chest X-rays (71046, 60.00 a unit in PPO-500): units of them on date. */
#define XRAY(date, units, charge)                                                                  \
    "{\"type\":\"medical\",\"member_id\":\"M1001\"," PATIENT_LUIS                                  \
    "," PROVIDER("J06.9") "\"lines\":[{\"service_date\":\"" date                                   \
                          "\",\"procedure_code\":\"71046\",\"units\":" units ",\"charge\":" charge \
                          "}]}"

/* The status of a claim, as staff read it. */
static void status_of(const char *id, char out[32])
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    char *b = test_call(&server, "GET", path, staff, NULL, 200);
    snprintf(out, 32, "%s", test_json_str(b, "status"));
    free(b);
}

/* Waits until the claim's status is want (20 s at most). */
static void wait_status(const char *id, const char *want)
{
    free(test_wait_claim(&server, staff, id, want, 20000));
}

/* Posts a claim with this token and waits until it is final; its id in out. */
static void claim_as(const char *token, const char *body, const char *want_status, char out[40])
{
    char *res = test_call(&server, "POST", "/v1/claims", token, body, 202);
    snprintf(out, 40, "%s", test_json_str(res, "claim_id"));
    free(res);
    wait_status(out, want_status);
}

/* A field of the family's 2026 accumulator hash, in cents (-1 when absent). */
static long long acc(const char *field)
{
    redisContext *rc = test_redis_connect(&redis);
    redisReply *r = redisCommand(rc, "HGET " P "{c}acc:M1001:2026 %s", field);
    long long v = r && r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
    if (r)
        freeReplyObject(r);
    redisFree(rc);
    return v;
}

/* Whether the events stream holds this event for this claim. */
static bool event_for(const char *event, const char *claim_id)
{
    redisContext *rc = test_redis_connect(&redis);
    redisReply *r = redisCommand(rc, "XRANGE " P "{c}events - +");
    bool found = false;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *f = r->element[i]->element[1];
        const char *e = NULL, *c = NULL;
        for (size_t k = 0; k + 1 < f->elements; k += 2) {
            if (strcmp(f->element[k]->str, "event") == 0)
                e = f->element[k + 1]->str;
            if (strcmp(f->element[k]->str, "claim_id") == 0)
                c = f->element[k + 1]->str;
        }
        found |= e && c && strcmp(e, event) == 0 && strcmp(c, claim_id) == 0;
    }
    if (r)
        freeReplyObject(r);
    redisFree(rc);
    return found;
}

static void setup(void)
{
    test_start_redis_and_claimsd(&redis, &server, ADMIN, NULL);
    test_put_sample_enrollment(&server, ADMIN, "G100 G200", "M1001 M1001-01 M1001-02 M2001");
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", member);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M2001\"}",
                      other_member);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", provider);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_B "\"}",
                      other_provider);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

START_TEST(test_void_reverses_and_adjusts_the_later_claim)
{
    char a[40], b[40], path[128];
    /* A: 10 X-rays, 600.00 allowed: the 500.00 deductible, then 20% of 100.00. */
    claim_as(member, XRAY("2026-03-02", "10", "800.00"), "approved", a);
    /* B: 5 X-rays, 300.00 allowed, deductible met: 20% coinsurance. */
    claim_as(member, XRAY("2026-03-09", "5", "400.00"), "approved", b);
    char *eob = test_wait_eob_version(&server, staff, b, 1);
    ck_assert_str_eq(test_json_str(eob, "totals.plan_paid"), "240.00");
    free(eob);
    ck_assert_int_eq(acc("f:in:ded"), 50000);
    ck_assert_int_eq(acc("m:M1001:in:oop"), 58000);

    snprintf(path, sizeof path, "/v1/claims/%s/void", a);
    char *res =
        test_call(&server, "POST", path, member, "{\"reason\": \"sent twice by mistake\"}", 200);
    ck_assert_str_eq(test_json_str(res, "claim_id"), a);
    ck_assert_str_eq(test_json_str(res, "status"), "voided");
    ck_assert_str_eq(test_json_str(res, "voided.reason"), "sent twice by mistake");
    free(res);
    /* A's reversal: every line's paid amount taken back. */
    eob = test_wait_eob_version(&server, staff, a, 2);
    ck_assert_str_eq(test_json_str(eob, "status"), "voided");
    ck_assert_str_eq(test_json_str(eob, "adjustment.kind"), "void");
    ck_assert_str_eq(test_json_str(eob, "adjustment.previous_version"), "1");
    ck_assert_str_eq(test_json_str(eob, "adjustment.previous.plan_paid"), "80.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.new.plan_paid"), "0.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.difference.plan_paid"), "-80.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.lines.0.previous_plan_paid"), "80.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.lines.0.difference"), "-80.00");
    free(eob);
    /* B now meets the deductible itself: nothing paid, 300.00 the patient's. */
    eob = test_wait_eob_version(&server, staff, b, 2);
    ck_assert_str_eq(test_json_str(eob, "adjustment.kind"), "adjustment");
    ck_assert_str_eq(test_json_str(eob, "adjustment.previous.plan_paid"), "240.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.new.plan_paid"), "0.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.difference.plan_paid"), "-240.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.difference.patient_responsibility"), "240.00");
    ck_assert_str_eq(test_json_str(eob, "totals.plan_paid"), "0.00");
    free(eob);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?version=1", b);
    eob = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(eob, "totals.plan_paid"), "240.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.kind"), "");
    free(eob);
    /* The adjusted and the voided versions render as FHIR and HTML too. */
    snprintf(path, sizeof path, "/v1/claims/%s/eob?format=fhir", b);
    eob = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(eob, "resourceType"), "ExplanationOfBenefit");
    free(eob);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?format=html", a);
    eob = test_call(&server, "GET", path, member, NULL, 200);
    ck_assert_ptr_nonnull(strstr(eob, "This claim was voided. What the plan paid on it is taken "
                                      "back. This statement replaces version 1."));
    ck_assert_ptr_nonnull(strstr(eob, "<tr><th scope=\"row\">The plan pays</th><td class=\"num\">"
                                      "$80.00</td><td class=\"num\">$0.00</td><td class=\"num\">"
                                      "-$80.00</td></tr>"));
    free(eob);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?format=html", b);
    eob = test_call(&server, "GET", path, member, NULL, 200);
    ck_assert_ptr_nonnull(strstr(eob, "another claim of your family was voided or corrected"));
    ck_assert_ptr_nonnull(strstr(eob, "<tr><th scope=\"row\">Your share</th><td class=\"num\">"
                                      "$60.00</td><td class=\"num\">$300.00</td><td class=\"num\">"
                                      "$240.00</td></tr>"));
    free(eob);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?format=html&version=1", b);
    eob = test_call(&server, "GET", path, member, NULL, 200);
    ck_assert_ptr_null(strstr(eob, "What changed"));
    free(eob);
    snprintf(path, sizeof path, "/v1/claims/%s", b);
    res = test_call(&server, "GET", path, member, NULL, 200);
    ck_assert_str_eq(test_json_str(res, "status"), "approved");
    ck_assert_str_eq(test_json_str(res, "decision.plan_paid"), "0.00");
    ck_assert_str_eq(test_json_str(res, "decision.patient_responsibility"), "300.00");
    free(res);
    snprintf(path, sizeof path, "/v1/claims/%s", a);
    res = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(res, "status"), "voided");
    ck_assert_str_eq(test_json_str(res, "voided.reason"), "sent twice by mistake");
    free(res);
    ck_assert_int_eq(acc("f:in:ded"), 30000);
    ck_assert_int_eq(acc("m:M1001:in:ded"), 30000);
    ck_assert_int_eq(acc("f:in:oop"), 30000);
    ck_assert(event_for("claim.voided", a));
    ck_assert(event_for("claim.adjusted", b));
    ck_assert(!event_for("claim.adjusted", a));

    /* Refusals. */
    snprintf(path, sizeof path, "/v1/claims/%s/void", a);
    refused("POST", path, member, "{\"reason\": \"again\"}", 409, "already_voided", NULL, NULL);
    snprintf(path, sizeof path, "/v1/claims/%s/void", b);
    refused("POST", path, other_member, "{\"reason\": \"not mine\"}", 404, "not_found", NULL, NULL);
    refused("POST", path, provider, "{\"reason\": \"a member filed it\"}", 404, "not_found", NULL,
            NULL);
    refused("POST", path, member, "{}", 422, "validation_failed", "reason", "is required");
    refused("POST", path, member, "{\"reason\": \"\"}", 422, "validation_failed", "reason",
            "must be 1 to 500 characters");
    refused("POST", path, member, "{\"reason\": 7}", 422, "validation_failed", "reason",
            "must be a string");
    refused("POST", path, member, "{\"reason\": \"x\", \"why\": \"y\"}", 422, "validation_failed",
            "why", "is not a known field");
    char long_reason[600];
    memset(long_reason, 'r', 501);
    long_reason[501] = '\0';
    char body[700];
    snprintf(body, sizeof body, "{\"reason\": \"%s\"}", long_reason);
    refused("POST", path, member, body, 422, "validation_failed", "reason",
            "must be 1 to 500 characters");
    refused("POST", "/v1/claims/00000000-0000-4000-8000-000000000000/void", staff,
            "{\"reason\": \"x\"}", 404, "not_found", NULL, NULL);
    /* Nothing changed by the refusals. */
    status_of(b, (char[32]){0});
    ck_assert_int_eq(acc("f:in:ded"), 30000);
}
END_TEST

START_TEST(test_replacement_links_both_ways_and_is_no_duplicate)
{
    char a[40], path[128];
    claim_as(provider, XRAY("2026-04-06", "5", "400.00"), "approved", a);
    /* The same line, another diagnosis: a duplicate of A, were A still standing. */
    const char *corrected = "{\"type\":\"medical\",\"member_id\":\"M1001\"," PATIENT_LUIS
                            "," PROVIDER("R05.9") "\"lines\":[{\"service_date\":\"2026-04-06\","
                                                  "\"procedure_code\":\"71046\",\"units\":5,"
                                                  "\"charge\":400.00}]}";
    snprintf(path, sizeof path, "/v1/claims/%s/replace", a);
    refused("POST", path, other_provider, corrected, 403, "forbidden", NULL, NULL);
    refused("POST", path, other_member, corrected, 404, "not_found", NULL, NULL);
    char *res = test_call(&server, "POST", path, provider, corrected, 202);
    char r[40];
    snprintf(r, sizeof r, "%s", test_json_str(res, "claim_id"));
    ck_assert_str_ne(r, a);
    ck_assert_str_eq(test_json_str(res, "status"), "received");
    ck_assert_str_eq(test_json_str(res, "replaces"), a);
    free(res);
    wait_status(r, "approved");
    snprintf(path, sizeof path, "/v1/claims/%s", r);
    res = test_call(&server, "GET", path, provider, NULL, 200);
    ck_assert_str_eq(test_json_str(res, "replaces"), a);
    ck_assert_str_eq(test_json_str(res, "submitted.diagnosis_codes.0"), "R05.9");
    /* 300.00 allowed, all of it the deductible: as A was decided. */
    ck_assert_str_eq(test_json_str(res, "decision.patient_responsibility"), "300.00");
    ck_assert_str_eq(test_json_str(res, "decision.lines.0.allowed"), "300.00");
    free(res);
    snprintf(path, sizeof path, "/v1/claims/%s", a);
    res = test_call(&server, "GET", path, provider, NULL, 200);
    ck_assert_str_eq(test_json_str(res, "status"), "replaced");
    ck_assert_str_eq(test_json_str(res, "replaced_by"), r);
    free(res);
    char *eob = test_wait_eob_version(&server, staff, a, 2);
    ck_assert_str_eq(test_json_str(eob, "status"), "replaced");
    ck_assert_str_eq(test_json_str(eob, "adjustment.kind"), "replacement");
    ck_assert_str_eq(test_json_str(eob, "adjustment.previous.patient_responsibility"), "300.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.new.patient_responsibility"), "0.00");
    free(eob);
    /* A replaced claim counted once: the accumulators hold R only. */
    ck_assert_int_eq(acc("f:in:ded"), 30000);
    ck_assert(event_for("claim.replaced", a));

    /* Refusals: the replaced claim again; another patient. */
    snprintf(path, sizeof path, "/v1/claims/%s/replace", a);
    refused("POST", path, provider, corrected, 409, "already_replaced", NULL, NULL);
    snprintf(path, sizeof path, "/v1/claims/%s/void", a);
    refused("POST", path, staff, "{\"reason\": \"x\"}", 409, "already_replaced", NULL, NULL);
    snprintf(path, sizeof path, "/v1/claims/%s/replace", r);
    refused("POST", path, staff,
            "{\"type\":\"medical\",\"member_id\":\"M1001-02\"," PATIENT_ANA "," PROVIDER(
                "J06.9") "\"lines\":[{\"service_date\":\"2026-04-06\",\"procedure_code\":\"71046\","
                         "\"units\":5,\"charge\":400.00}]}",
            422, "validation_failed", "member_id",
            "must be the member_id of the claim it replaces (file a new claim for another "
            "patient)");
    refused("POST", path, provider, "{\"type\":\"medical\"}", 422, "validation_failed", NULL, NULL);
}
END_TEST

START_TEST(test_pended_claim_replaced_in_place)
{
    /* The spouse has group coverage of her own, which pays first: without the
     * primary payer's EOB the claim pends (RULES.md § 4). */
    char p[40], path[128];
    const char *spouse =
        "\"patient\":{\"first_name\":\"Maria\",\"last_name\":\"Lopez\",\"birth_date\":"
        "\"1977-03-02\"}";
    char body[1024];
    snprintf(
        body, sizeof body,
        "{\"type\":\"medical\",\"member_id\":\"M1001-01\",%s," PROVIDER(
            "J06.9") "\"lines\":[{\"service_date\":\"2026-05-04\",\"procedure_code\":\"85025\","
                     "\"units\":1,\"charge\":30.00}]}",
        spouse);
    claim_as(staff, body, "pended", p);
    snprintf(
        body, sizeof body,
        "{\"type\":\"medical\",\"member_id\":\"M1001-01\",%s," PROVIDER(
            "J06.9") "\"other_insurance\":{\"payer_name\":\"Gulf Coast Health Plan\",\"paid\":9.60,"
                     "\"allowed\":12.00,\"patient_responsibility\":2.40,\"eob_date\":\"2026-05-"
                     "20\"},"
                     "\"lines\":[{\"service_date\":\"2026-05-04\",\"procedure_code\":\"85025\","
                     "\"units\":1,\"charge\":30.00}]}",
        spouse);
    snprintf(path, sizeof path, "/v1/claims/%s/replace", p);
    char *res = test_call(&server, "POST", path, staff, body, 202);
    ck_assert_str_eq(test_json_str(res, "claim_id"), p);
    ck_assert_str_eq(test_json_str(res, "status"), "received");
    ck_assert_str_eq(test_json_str(res, "replaces"), "");
    free(res);
    wait_status(p, "approved");
    snprintf(path, sizeof path, "/v1/claims/%s", p);
    res = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(res, "submitted.other_insurance.payer_name"),
                     "Gulf Coast Health Plan");
    ck_assert_str_eq(test_json_str(res, "replaced_by"), "");
    free(res);
}
END_TEST

/* The employee's record with this coverage span. */
START_TEST(test_recovery_reversed_with_overpayment_on_eob)
{
    char c[40], path[128];
    /* The dependent on 15 May: 99214 allowed 145.00, copay 25.00: 120.00 paid. */
    claim_as(
        staff,
        "{\"type\":\"medical\",\"member_id\":\"M1001-02\"," PATIENT_ANA "," PROVIDER(
            "J06.9") "\"lines\":[{\"service_date\":\"2026-05-15\",\"procedure_code\":\"99214\","
                     "\"units\":1,\"charge\":200.00}]}",
        "approved", c);
    test_put_employee(&server, ADMIN,
                      "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
                      "\"termination_event\":\"2026-03-10\","
                      "\"termination_reported_on\":\"2026-06-10\",\"kind\":\"active\"}");
    char *list = test_call(&server, "GET", "/v1/recoveries", staff, NULL, 200);
    ck_assert_int_eq(test_json_len(list, "recoveries"), 1);
    char rid[40];
    snprintf(rid, sizeof rid, "%s", test_json_str(list, "recoveries.0.recovery_id"));
    free(list);
    snprintf(path, sizeof path, "/v1/recoveries/%s/reverse", rid);
    refused("POST", path, member, NULL, 403, "forbidden", NULL, NULL);
    refused("POST", "/v1/recoveries/00000000-0000-4000-8000-000000000000/reverse", staff, NULL, 404,
            "not_found", NULL, NULL);
    char *res = test_call(&server, "POST", path, staff, NULL, 202);
    ck_assert_str_eq(test_json_str(res, "recovery_id"), rid);
    ck_assert_str_eq(test_json_str(res, "claim_id"), c);
    ck_assert_str_eq(test_json_str(res, "status"), "reversed");
    free(res);
    char *eob = test_wait_eob_version(&server, staff, c, 2);
    ck_assert_str_eq(test_json_str(eob, "adjustment.kind"), "recovery");
    ck_assert_str_eq(test_json_str(eob, "adjustment.overpayment"), "120.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.previous.plan_paid"), "120.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.new.plan_paid"), "0.00");
    ck_assert_str_eq(test_json_str(eob, "lines.0.denied"), "true");
    free(eob);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?format=html", c);
    eob = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_ptr_nonnull(strstr(eob, "it was paid for. The plan overpaid $120.00. This statement "
                                      "replaces version 1."));
    free(eob);
    snprintf(path, sizeof path, "/v1/claims/%s", c);
    res = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(res, "status"), "denied");
    ck_assert_str_eq(test_json_str(res, "decision.plan_paid"), "0.00");
    free(res);
    list = test_call(&server, "GET", "/v1/recoveries?status=reversed", staff, NULL, 200);
    ck_assert_int_eq(test_json_len(list, "recoveries"), 1);
    ck_assert_str_eq(test_json_str(list, "recoveries.0.status"), "reversed");
    free(list);
    snprintf(path, sizeof path, "/v1/recoveries/%s/reverse", rid);
    refused("POST", path, staff, NULL, 409, "recovery_not_open", NULL, NULL);
}
END_TEST

/* queue_request_redecision's answer. */
struct requested {
    int done; /* 0 waiting, else the status + 1 */
    char prior[32];
};

static void on_requested(enum queue_status st, const char *prior, void *arg)
{
    struct requested *r = arg;
    r->done = (int)st + 1;
    snprintf(r->prior, sizeof r->prior, "%s", prior);
}

/* queue_request_redecision from this process; returns the status. */
static enum queue_status request_redecision(const char *claim_id, char prior[32])
{
    struct event_base *base = event_base_new();
    struct rconn *rc = test_rconn_connect(base, &redis);
    struct requested r = {0, ""};
    ck_assert_int_eq(queue_request_redecision(rc, P, claim_id, "review", on_requested, &r), 0);
    for (int i = 0; i < 1000 && !r.done; i++)
        event_base_loop(base, EVLOOP_ONCE);
    queue_rconn_free(rc);
    event_base_free(base);
    ck_assert_int_ne(r.done, 0);
    snprintf(prior, 32, "%s", r.prior);
    return (enum queue_status)(r.done - 1);
}

START_TEST(test_requested_redecision_restores_the_accumulators)
{
    /* The path review overrides and appeal overturns take: queue a family
     * re-decision for one claim; the worker sets the accumulators to what
     * the standing claims make them, whatever they held. */
    char a[40], prior[32];
    claim_as(member, XRAY("2026-03-02", "10", "800.00"), "approved", a);
    ck_assert_int_eq(acc("f:in:ded"), 50000);
    redisContext *c = test_redis_connect(&redis);
    freeReplyObject(redisCommand(c, "HSET " P "{c}acc:M1001:2026 f:in:ded 7 m:M1001:in:ded 7"));
    redisFree(c);
    ck_assert_int_eq(request_redecision(a, prior), QUEUE_OK);
    ck_assert_str_eq(prior, "approved");
    for (int i = 0; i < 1000 && acc("m:M1001:in:ded") != 50000; i++)
        test_sleep_ms(20);
    ck_assert_int_eq(acc("f:in:ded"), 50000);
    ck_assert_int_eq(acc("m:M1001:in:ded"), 50000);
    ck_assert_int_eq(acc("f:in:oop"), 52000);
    /* Nothing changed in the claim's decision: no new EOB version. */
    char *eob = test_wait_eob_version(&server, staff, a, 1);
    free(eob);
    ck_assert_int_eq(request_redecision("00000000-0000-4000-8000-000000000000", prior),
                     QUEUE_NOT_FOUND);
}
END_TEST

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    Suite *s = suite_create("corrections");
    TCase *tc = tcase_create("corrections");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_void_reverses_and_adjusts_the_later_claim);
    tcase_add_test(tc, test_replacement_links_both_ways_and_is_no_duplicate);
    tcase_add_test(tc, test_pended_claim_replaced_in_place);
    tcase_add_test(tc, test_recovery_reversed_with_overpayment_on_eob);
    tcase_add_test(tc, test_requested_redecision_restores_the_accumulators);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
