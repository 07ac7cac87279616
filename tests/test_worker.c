/*
 * The worker pool against a real redis-server: claims flow from POST to a
 * final status with their EOB record, pended claims wait and come back, a
 * family's accumulators are never spent twice, a worker killed between load
 * and commit leaves its claim to another, claims that keep failing go to the
 * dead-letter stream and come back by staff request, the pend deadline is
 * enforced when time passes (faketime), and a stop acknowledges nothing
 * unfinished.
 */
#include <check.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "packed.h"
#include "harness/harness.h"

#define ADMIN "worker-tests-bootstrap-admin-token-0123456789"
#define FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

static struct test_redis redis;
static struct test_claimsd server;
static char cfg_path[512];

static const char *const admin_env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};

/* A config with the sample enrollment and quick recovery timings. */
static void write_config(const char *dir)
{
    test_sample_config(cfg_path, sizeof cfg_path, dir, "worker.json",
                       "\"claim_idle_timeout_ms\": 400, \"max_deliveries\": 3,"
                       " \"pend_sweep_seconds\": 1");
}

static void start(struct test_claimsd *d, const char *const extra[], const char *const env[])
{
    const char *args[16] = {"--redis", redis.url, "--config", cfg_path};
    int n = 4;
    for (const char *const *a = extra; a && *a; a++)
        args[n++] = *a;
    args[n] = NULL;
    test_claimsd_start_or_exit(d, args, env ? env : admin_env, "");
}

static void setup(void)
{
    test_redis_start(&redis);
    write_config(redis.dir);
    memset(&server, 0, sizeof server);
    start(&server, (const char *const[]){"--workers", "2", NULL}, NULL);
}

/* Intake only: each recovery test starts the workers it needs. */
static void setup_intake(void)
{
    test_redis_start(&redis);
    write_config(redis.dir);
    memset(&server, 0, sizeof server);
    start(&server, (const char *const[]){"--workers", "0", NULL}, NULL);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

/* The claim as the worker's commit stored it, read from Redis (the layout of
 * docs/operations.md "Redis keys"): {"status", "history", "within_target",
 * "finalized_at", "eob_version", "decision", "pending"} with the decision and
 * pending of the packed {c}dec:<id>. NULL when the claim has no record.
 * Allocates; the caller frees. */
static char *stored_claim(const char *id)
{
    redisContext *c = test_redis_connect(&redis);
    redisReply *h = redisCommand(
        c, "HMGET claims:{c}claim:%s status history within_target finalized_at eob_version", id);
    redisReply *d = redisCommand(c, "GET claims:{c}dec:%s", id);
    char *out = NULL;
    if (h && h->type == REDIS_REPLY_ARRAY && h->element[0]->type == REDIS_REPLY_STRING) {
        struct json_object *o = NULL;
        char *dec = NULL;
        size_t n;
        if (d && d->type == REDIS_REPLY_STRING && packed_unpack(d->str, d->len, &dec, &n) == 0)
            o = json_tokener_parse(dec);
        free(dec);
        if (!o)
            o = json_object_new_object();
        static const char *const names[] = {"status", "history", "within_target", "finalized_at",
                                            "eob_version"};
        for (int i = 0; i < 5; i++)
            if (h->element[i]->type == REDIS_REPLY_STRING)
                json_object_object_add(o, names[i], json_object_new_string(h->element[i]->str));
        out = strdup(json_object_to_json_string(o));
        json_object_put(o);
    }
    if (h)
        freeReplyObject(h);
    if (d)
        freeReplyObject(d);
    redisFree(c);
    return out;
}

/* How many entries of a compact history ("received@1764670000,processing@…")
 * have one of the statuses in `which` ("approved|denied"). */
static int history_count(const char *history, const char *which)
{
    int n = 0;
    const char *p = history;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *at = memchr(p, '@', len);
        if (at && at > p) {
            char status[32];
            snprintf(status, sizeof status, "%.*s", (int)(at - p), p);
            const char *w = which;
            while (*w) { /* one of the names separated by '|' */
                size_t wl = strcspn(w, "|");
                if (wl == strlen(status) && strncmp(w, status, wl) == 0)
                    n++;
                w += wl + (w[wl] == '|');
            }
        }
        p += len + (p[len] == ',');
    }
    return n;
}

/* Polls the stored claim until its status is one of want ("approved|denied");
 * returns stored_claim()'s JSON. */
static char *wait_status(const struct test_claimsd *d, const char *id, const char *want)
{
    (void)d;
    for (int i = 0; i < 300; i++) {
        char *claim = stored_claim(id);
        const char *st = claim ? test_json_str(claim, "status") : "";
        if (st[0] && strstr(want, st))
            return claim;
        free(claim);
        test_sleep_ms(20);
    }
    ck_abort_msg("claim %s never reached %s", id, want);
    return NULL;
}

START_TEST(test_pharmacy_claim_is_approved_with_copay_and_eob_record)
{
    char fill[16], id[64];
    char *body = test_pharmacy_claim("M1001-02", "Ana", "Lopez", "2015-06-10",
                                     test_days_ago(3, fill), "0071-0155-23", "42.17", NULL);
    test_submit_claim(&server, ADMIN, body, id);
    char *claim = wait_status(&server, id, "approved");
    /* Preferred brand: allowed = min(4.50 × 30, 42.17) = 42.17, copay 35.00. */
    ck_assert_str_eq(test_json_str(claim, "decision.outcome"), "approved");
    ck_assert_str_eq(test_json_str(claim, "decision.total_charge"), "42.17");
    ck_assert_str_eq(test_json_str(claim, "decision.allowed"), "42.17");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "7.17");
    ck_assert_str_eq(test_json_str(claim, "decision.patient_responsibility"), "35.00");
    ck_assert_str_eq(test_json_str(claim, "decision.payee"), "member");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.group"), "PR");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.carc"), "3");
    ck_assert_str_eq(test_json_str(claim, "within_target"), "1");
    ck_assert_uint_eq(strlen(test_json_str(claim, "finalized_at")), 20);
    ck_assert_str_eq(test_json_str(claim, "eob_version"), "1");
    const char *history = test_json_str(claim, "history");
    ck_assert_int_eq(history_count(history, "processing"), 1);
    ck_assert_int_eq(history_count(history, "approved"), 1);
    ck_assert_int_eq(strncmp(strrchr(history, ',') + 1, "approved@", 9), 0);
    ck_assert_ptr_null(strstr(test_json_str(claim, "decision"), "\"pending\""));
    free(claim);
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s/eob", id);
    struct test_response res;
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "claim_id"), id);
    ck_assert_str_eq(test_json_str(res.body, "version"), "1");
    ck_assert_str_eq(test_json_str(res.body, "subscriber.member_id"), "M1001");
    ck_assert_str_eq(test_json_str(res.body, "patient.member_id"), "M1001-02");
    ck_assert_str_eq(test_json_str(res.body, "totals.plan_paid"), "7.17");
    ck_assert_str_eq(test_json_str(res.body, "totals.patient_responsibility"), "35.00");
    ck_assert_str_eq(test_json_str(res.body, "payee.type"), "member");
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?format=fhir", id);
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "resourceType"), "ExplanationOfBenefit");
    ck_assert_str_eq(test_json_str(res.body, "outcome"), "complete");
    char ctype[128];
    ck_assert(test_response_header(&res, "Content-Type", ctype, sizeof ctype));
    ck_assert_str_eq(ctype, "application/fhir+json; charset=utf-8");
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?format=html", id);
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert(test_response_header(&res, "Content-Type", ctype, sizeof ctype));
    ck_assert_str_eq(ctype, "text/html; charset=utf-8");
    ck_assert(test_response_header(&res, "Content-Security-Policy", ctype, sizeof ctype));
    ck_assert_ptr_null(strstr(res.body, "<script"));
    ck_assert_ptr_nonnull(strstr(res.body, "7.17"));
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?format=pdf", id);
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 422);
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?version=2", id);
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 404);
    test_response_free(&res);
    free(body);
}
END_TEST

static long long zscore_exists(redisContext *c, const char *key, const char *member)
{
    redisReply *r = redisCommand(c, "ZSCORE %s %s", key, member);
    long long found = r->type == REDIS_REPLY_STRING;
    freeReplyObject(r);
    return found;
}

/* The audit record (JSON) of stream entry `entry_id` if it is about claim_id. */
static char *audit_record_of(redisContext *c, const char *entry_id, const char *claim_id)
{
    redisReply *r = redisCommand(c, "XRANGE claims:{c}audit %s %s", entry_id, entry_id);
    char *out = NULL;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        const redisReply *f = r->element[0]->element[1];
        bool mine = false;
        for (size_t k = 0; k + 1 < f->elements; k += 2) {
            if (strcmp(f->element[k]->str, "claim_id") == 0)
                mine = strcmp(f->element[k + 1]->str, claim_id) == 0;
            else if (strcmp(f->element[k]->str, "record") == 0)
                out = strdup(f->element[k + 1]->str);
        }
        if (!mine) {
            free(out);
            out = NULL;
        }
    }
    freeReplyObject(r);
    return out;
}

START_TEST(test_commit_writes_decision_eob_audit_and_open_indexes_once)
{
    redisContext *c = test_redis_connect(&redis);
    char fill[16], id[64], pended_id[64];
    char *body = test_pharmacy_claim("M1001-02", "Ana", "Lopez", "2015-06-10",
                                     test_days_ago(6, fill), "0071-0155-23", "41.99", NULL);
    test_submit_claim(&server, ADMIN, body, id);
    free(body);
    /* Maria's claims pend for the primary payer's EOB. */
    body = test_pharmacy_claim("M1001-01", "Maria", "Lopez", "1977-03-02", fill, "00093505698",
                               "11.11", NULL);
    test_submit_claim(&server, ADMIN, body, pended_id);
    free(body);
    free(wait_status(&server, id, "approved"));
    free(wait_status(&server, pended_id, "pended"));

    /* The final claim: one packed decision without pending, EOB version 1 packed. */
    redisReply *r = redisCommand(c, "GET claims:{c}dec:%s", id);
    ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
    ck_assert_int_eq(r->str[0], 'D');
    char *text = NULL;
    size_t len;
    ck_assert_int_eq(packed_unpack(r->str, r->len, &text, &len), 0);
    ck_assert_str_eq(test_json_str(text, "decision.outcome"), "approved");
    ck_assert_str_eq(test_json_str(text, "decision.plan_paid"), "6.99");
    ck_assert_int_eq(test_json_len(text, "pending"), -1);
    free(text);
    freeReplyObject(r);
    r = redisCommand(c, "GET claims:{c}eob:%s:1", id);
    ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
    ck_assert_int_eq(packed_unpack(r->str, r->len, &text, &len), 0);
    ck_assert_str_eq(test_json_str(text, "claim_id"), id);
    ck_assert_str_eq(test_json_str(text, "version"), "1");
    ck_assert_str_eq(test_json_str(text, "totals.plan_paid"), "6.99");
    free(text);
    freeReplyObject(r);
    r = redisCommand(c, "EXISTS claims:{c}eob:%s:2", id);
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);
    /* No large field in the claim hash: it stays a listpack. */
    r = redisCommand(c, "HMGET claims:{c}claim:%s decision pending eob:1 eob_version", id);
    ck_assert_int_eq(r->element[0]->type, REDIS_REPLY_NIL);
    ck_assert_int_eq(r->element[1]->type, REDIS_REPLY_NIL);
    ck_assert_int_eq(r->element[2]->type, REDIS_REPLY_NIL);
    ck_assert_str_eq(r->element[3]->str, "1");
    freeReplyObject(r);
    /* Open-status indexes only: a final claim is in none of them. */
    static const char *const statuses[] = {"received", "processing", "pended", "approved",
                                           "denied"};
    for (int i = 0; i < 5; i++) {
        char key[64];
        snprintf(key, sizeof key, "claims:{c}idx:s:%s", statuses[i]);
        ck_assert_msg(!zscore_exists(c, key, id), "final claim in %s", key);
        ck_assert_int_eq(zscore_exists(c, key, pended_id), strcmp(statuses[i], "pended") == 0);
    }
    ck_assert(zscore_exists(c, "claims:{c}pended", pended_id));
    ck_assert(!zscore_exists(c, "claims:{c}pended", id));
    /* The audit record is in the stream once; the claim's list holds its id. */
    r = redisCommand(c, "LRANGE claims:{c}caudit:%s 0 -1", id);
    ck_assert_uint_ge(r->elements, 1);
    char *last = audit_record_of(c, r->element[r->elements - 1]->str, id);
    ck_assert_ptr_nonnull(last);
    ck_assert_str_eq(test_json_str(last, "action"), "claim.finalize");
    ck_assert_str_eq(test_json_str(last, "role"), "worker");
    free(last);
    freeReplyObject(r);
    /* The pended claim: its decision carries pending; no EOB yet. */
    r = redisCommand(c, "GET claims:{c}dec:%s", pended_id);
    ck_assert_int_eq(packed_unpack(r->str, r->len, &text, &len), 0);
    ck_assert_str_eq(test_json_str(text, "decision.outcome"), "pended");
    ck_assert_str_eq(test_json_str(text, "pending.needed.0"), "other_insurance");
    free(text);
    freeReplyObject(r);
    r = redisCommand(c, "EXISTS claims:{c}eob:%s:1", pended_id);
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);
    r = redisCommand(c, "HGET claims:{c}claim:%s history", pended_id);
    ck_assert_int_eq(history_count(r->str, "processing"), 1);
    ck_assert_int_eq(history_count(r->str, "pended"), 1);
    freeReplyObject(r);
    redisFree(c);
}
END_TEST

START_TEST(test_pharmacy_claim_filed_181_days_after_fill_is_denied_co29)
{
    char fill[16], id[64];
    char *body = test_pharmacy_claim("M1001", "Luis", "Lopez", "1975-09-14",
                                     test_days_ago(181, fill), "00093505698", "9.99", NULL);
    test_submit_claim(&server, ADMIN, body, id);
    char *claim = wait_status(&server, id, "approved|denied");
    ck_assert_str_eq(test_json_str(claim, "status"), "denied");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.group"), "CO");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.carc"), "29");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.amount"), "9.99");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "0.00");
    free(claim);
    free(body);
    /* Day 180 is in time. */
    body = test_pharmacy_claim("M1001", "Luis", "Lopez", "1975-09-14", test_days_ago(180, fill),
                               "00093505698", "9.98", NULL);
    test_submit_claim(&server, ADMIN, body, id);
    claim = wait_status(&server, id, "approved|denied");
    ck_assert_str_eq(test_json_str(claim, "status"), "approved");
    free(claim);
    free(body);
}
END_TEST

START_TEST(test_secondary_claim_pends_for_the_primary_eob_then_pays_as_secondary)
{
    /* Maria has her own employer's plan: it pays first. */
    char fill[16], id[64], path[160];
    char *body = test_pharmacy_claim("M1001-01", "Maria", "Lopez", "1977-03-02",
                                     test_days_ago(5, fill), "00093505698", "12.00", NULL);
    test_submit_claim(&server, ADMIN, body, id);
    char *claim = wait_status(&server, id, "pended");
    ck_assert_str_eq(test_json_str(claim, "pending.reason_codes.0"), "N479");
    ck_assert_str_eq(test_json_str(claim, "pending.needed.0"), "other_insurance");
    char deadline[16];
    date_format(date_add_days(date_today(), 45), deadline);
    ck_assert_str_eq(test_json_str(claim, "pending.deadline"), deadline);
    free(claim);
    snprintf(path, sizeof path, "/v1/claims/%s/eob", id);
    struct test_response res;
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 404); /* no determination yet, no EOB */
    test_response_free(&res);

    snprintf(path, sizeof path, "/v1/claims/%s/information", id);
    test_api(&server, "POST", path, ADMIN, "{\"charge\": 1.00}", NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "charge");
    test_response_free(&res);
    const char *info =
        "{\"other_insurance\": {\"payer_name\": \"Gulf Coast Health Plan\", \"paid\": 2.00,"
        " \"allowed\": 3.60, \"patient_responsibility\": 1.60, \"eob_date\": \"%s\"}}";
    char info_body[512];
    snprintf(info_body, sizeof info_body, info, fill);
    test_api(&server, "POST", path, ADMIN, info_body, NULL, &res);
    ck_assert_int_eq(res.status, 202);
    ck_assert_str_eq(test_json_str(res.body, "status"), "received");
    test_response_free(&res);
    claim = wait_status(&server, id, "approved|denied");
    ck_assert_str_eq(test_json_str(claim, "status"), "approved");
    ck_assert_str_eq(test_json_str(claim, "decision.cob_position"), "secondary");
    /* Generic: allowed 0.12 × 30 = 3.60; as primary the plan would pay 0
     * (copay 10.00 ≥ allowed); secondary pays min(0, 3.60 − 2.00) = 0. */
    ck_assert_str_eq(test_json_str(claim, "decision.allowed"), "3.60");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "0.00");
    /* The merged submission is what was decided; once final it is kept
     * packed ({c}body:<id>, docs/operations.md "Redis keys"). */
    redisContext *rc = test_redis_connect(&redis);
    redisReply *sub = redisCommand(rc, "GET claims:{c}body:%s", id);
    ck_assert_int_eq(sub->type, REDIS_REPLY_STRING);
    ck_assert_int_eq(sub->str[0], 'D');
    char *text = NULL;
    size_t text_len = 0;
    ck_assert_int_eq(packed_unpack(sub->str, sub->len, &text, &text_len), 0);
    ck_assert_str_eq(test_json_str(text, "other_insurance.paid"), "2.00");
    free(text);
    freeReplyObject(sub);
    redisFree(rc);
    /* Read back through the API, the packed submission is the same JSON. */
    char read_path[128];
    snprintf(read_path, sizeof read_path, "/v1/claims/%s", id);
    test_api(&server, "GET", read_path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "submitted.other_insurance.paid"), "2.00");
    ck_assert_str_eq(test_json_str(res.body, "submitted.other_insurance.payer_name"),
                     "Gulf Coast Health Plan");
    test_response_free(&res);
    free(claim);
    test_api(&server, "POST", path, ADMIN, info_body, NULL, &res);
    ck_assert_int_eq(res.status, 409);
    test_response_free(&res);
    free(body);
}
END_TEST

START_TEST(test_duplicate_line_on_a_second_claim_is_denied_oa18)
{
    char id1[64], id2[64];
    char *body = test_lab_claim("M1001-02", "Ana", "2015-06-10", "2026-09-01");
    test_submit_claim(&server, ADMIN, body, id1);
    free(wait_status(&server, id1, "approved|denied"));
    test_submit_claim(&server, ADMIN, body, id2);
    char *claim = wait_status(&server, id2, "approved|denied");
    ck_assert_str_eq(test_json_str(claim, "decision.lines.0.denied"), "true");
    ck_assert_str_eq(test_json_str(claim, "decision.lines.0.codes.0.group"), "OA");
    ck_assert_str_eq(test_json_str(claim, "decision.lines.0.codes.0.carc"), "18");
    ck_assert_str_eq(test_json_str(claim, "decision.lines.0.codes.0.amount"), "20.00");
    free(claim);
    free(body);
}
END_TEST

struct burst {
    const char *member, *first, *birth;
    int first_day;
    char ids[20][64];
};

static void *submit_burst(void *arg)
{
    struct burst *b = arg;
    for (int i = 0; i < 20; i++) {
        char date[16];
        snprintf(date, sizeof date, "2026-10-%02d", b->first_day + i);
        char *body = test_lab_claim(b->member, b->first, b->birth, date);
        struct test_response res;
        test_api(&server, "POST", "/v1/claims", ADMIN, body, NULL, &res);
        if (res.status != 202)
            fprintf(stderr, "burst submission answered %ld: %s\n", res.status, res.body);
        /* Three threads submit at once and test_json_str is not thread-safe. */
        struct json_object *o = json_tokener_parse(res.body), *v = NULL;
        if (o && json_object_object_get_ex(o, "claim_id", &v))
            snprintf(b->ids[i], 64, "%s", json_object_get_string(v));
        if (o)
            json_object_put(o);
        test_response_free(&res);
        free(body);
    }
    return NULL;
}

START_TEST(test_concurrent_claims_of_one_family_never_spend_the_deductible_twice)
{
    /* 3 members × 20 in-network lab claims of $20.00 (80053, fee schedule
     * $20.00, no copay), submitted at once and decided by 4 workers. The
     * family deductible is $1,000: exactly $1,000.00 of the $1,200.00 goes to
     * it, and 20 % of the remaining $200.00 is coinsurance, whatever the order. */
    struct test_claimsd more = {0};
    start(&more, (const char *const[]){"--role", "worker", "--workers", "4", NULL}, NULL);
    struct burst bursts[3] = {{"M1001", "Luis", "1975-09-14", 1, {{0}}},
                              {"M1001-02", "Ana", "2015-06-10", 1, {{0}}},
                              {"M1001-03", "Diego", "2003-01-20", 1, {{0}}}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, submit_burst, &bursts[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    long deductible = 0, coinsurance = 0, paid = 0;
    for (int b = 0; b < 3; b++)
        for (int i = 0; i < 20; i++) {
            char *claim = wait_status(&server, bursts[b].ids[i], "approved|denied");
            ck_assert_str_eq(test_json_str(claim, "status"), "approved");
            deductible += test_carc_cents(claim, "1");
            coinsurance += test_carc_cents(claim, "2");
            paid += test_cents(claim, "decision.plan_paid");
            free(claim);
        }
    ck_assert_int_eq(deductible, 100000);
    ck_assert_int_eq(coinsurance, 4000);
    ck_assert_int_eq(paid, 16000);
    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "HGET claims:{c}acc:M1001:2026 f:in:ded");
    ck_assert_str_eq(r->str, "100000");
    freeReplyObject(r);
    r = redisCommand(c, "HGET claims:{c}acc:M1001:2026 f:in:oop");
    ck_assert_str_eq(r->str, "104000");
    freeReplyObject(r);
    redisFree(c);
    ck_assert_int_eq(test_claimsd_stop(&more, SIGTERM), 0);
    test_remove_tree(more.dir);
}
END_TEST

START_TEST(test_claim_with_lines_in_six_plan_years_moves_each_years_accumulators)
{
    /* PPO-500 with a 10-year filing limit (1..3650 days, RULES.md § 2), so
     * that one claim of M1001 (covered since 2020) can have a line in each of
     * the six last calendar years; before, the worker loaded four years and
     * the rules refused a line of a year not loaded (the claim never decided).
     * Line i: 80053 (fee $20.00, no copay) × (i + 1) units, all in network,
     * all to the deductible of a fresh store ($500 individual). */
    char path[600], *plan = NULL;
    snprintf(path, sizeof path, "%s/sample/plans/PPO-500.json", getenv("CLAIMS_CONFIG_DIR"));
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    plan = calloc(1, 8192);
    size_t len = fread(plan, 1, 8191, f);
    fclose(f);
    ck_assert_uint_gt(len, 0);
    char *limit = strstr(plan, "\"medical_filing_limit_days\": 365,");
    ck_assert_ptr_nonnull(limit);
    memmove(limit + 33, limit + 32, strlen(limit + 32) + 1); /* 365 → 3650 */
    limit[32] = '0';
    struct test_response res;
    test_api(&server, "PUT", "/v1/plans/PPO-500", ADMIN, plan, NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    test_response_free(&res);
    free(plan);
    int this_year = atoi(test_days_ago(0, (char[16]){0}));
    char body[4096];
    int n = snprintf(body, sizeof body,
                     "{\"type\":\"medical\",\"member_id\":\"M1001\",\"patient\":{\"first_name\":"
                     "\"Luis\",\"last_name\":\"Lopez\",\"birth_date\":\"1975-09-14\"},"
                     "\"provider\":{\"npi\":\"1003000126\",\"name\":\"Bay Lab\","
                     "\"network\":\"in\"},"
                     "\"diagnosis_codes\":[\"E11.9\"],\"lines\":[");
    for (int i = 0; i < 6; i++)
        n += snprintf(body + n, sizeof body - (size_t)n,
                      "%s{\"service_date\":\"%d-06-15\",\"procedure_code\":\"80053\","
                      "\"units\":%d,\"charge\":%d.00}",
                      i ? "," : "", this_year - 6 + i, i + 1, 20 * (i + 1));
    snprintf(body + n, sizeof body - (size_t)n, "]}");
    char id[64];
    test_submit_claim(&server, ADMIN, body, id);
    char *claim = wait_status(&server, id, "approved|denied|pended");
    ck_assert_str_eq(test_json_str(claim, "status"), "approved");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "0.00");
    ck_assert_int_eq(test_json_len(claim, "decision.lines"), 6);
    free(claim);
    redisContext *c = test_redis_connect(&redis);
    for (int i = 0; i < 6; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d", 2000 * (i + 1));
        static const char *const fields[] = {"f:in:ded", "f:in:oop", "m:M1001:in:ded",
                                             "m:M1001:in:oop"};
        for (int k = 0; k < 4; k++) {
            redisReply *r =
                redisCommand(c, "HGET claims:{c}acc:M1001:%d %s", this_year - 6 + i, fields[k]);
            ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
            ck_assert_msg(strcmp(r->str, want) == 0, "%d %s: %s, want %s", this_year - 6 + i,
                          fields[k], r->str, want);
            freeReplyObject(r);
        }
        redisReply *r = redisCommand(c, "HLEN claims:{c}acc:M1001:%d", this_year - 6 + i);
        ck_assert_int_eq(r->integer, 4); /* nothing out of network */
        freeReplyObject(r);
    }
    redisReply *r = redisCommand(c, "EXISTS claims:{c}acc:M1001:%d", this_year);
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);
    redisFree(c);
}
END_TEST

/* Milliseconds from a claim's 202 to its commit, from the audit stream's
 * entry ids (Redis's clock): "claim.submit" by intake, then the worker's
 * "claim.finalize" or "claim.pend". */
static long long ms_to_decide(redisContext *c, const char *claim_id)
{
    long long submit = -1, decided = -1;
    redisReply *r = redisCommand(c, "XREVRANGE claims:{c}audit + - COUNT 200");
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *e = r->element[i], *f = e->element[1];
        bool mine = false;
        const char *record = "";
        for (size_t k = 0; k + 1 < f->elements; k += 2) {
            if (strcmp(f->element[k]->str, "claim_id") == 0)
                mine = strcmp(f->element[k + 1]->str, claim_id) == 0;
            else if (strcmp(f->element[k]->str, "record") == 0)
                record = f->element[k + 1]->str;
        }
        if (!mine)
            continue;
        if (strstr(record, "\"claim.submit\""))
            submit = atoll(e->element[0]->str);
        else if (strstr(record, "\"claim.finalize\"") || strstr(record, "\"claim.pend\""))
            decided = atoll(e->element[0]->str);
    }
    if (r)
        freeReplyObject(r);
    ck_assert_int_ge(submit, 0);
    ck_assert_int_ge(decided, 0);
    return decided - submit;
}

START_TEST(test_idle_worker_takes_a_new_claim_during_its_read_not_after)
{
    /* Intake only here, and one worker whose idle read lasts 10 s. A claim
     * arriving 1.1 to 2 s into that read is taken at once: a worker that
     * only saw it when the read ended would decide it 8 s or more after its
     * 202. So the bound is half the read, far above what load adds, and no
     * speed target (those live in bench/). */
    struct test_claimsd waiter = {0};
    char saved[sizeof cfg_path];
    memcpy(saved, cfg_path, sizeof saved);
    test_sample_config(cfg_path, sizeof cfg_path, redis.dir, "idle.json",
                       "\"claim_idle_timeout_ms\": 400, \"max_deliveries\": 3,"
                       " \"worker_idle_read_ms\": 10000");
    start(&waiter, (const char *const[]){"--role", "worker", "--workers", "1", NULL}, NULL);
    memcpy(cfg_path, saved, sizeof cfg_path);
    redisContext *c = test_redis_connect(&redis);
    char fill[16];
    test_days_ago(2, fill);
    for (int i = 0; i < 5; i++) {
        /* Idle since its last commit (a new read began then): land at
         * another point of the read's first half each time. */
        test_sleep_ms(1100 + 230 * i);
        char charge[16], id[64];
        snprintf(charge, sizeof charge, "3.%02d", 10 + i);
        char *body = test_pharmacy_claim("M1001", "Luis", "Lopez", "1975-09-14", fill,
                                         "00093505698", charge, NULL);
        test_submit_claim(&server, ADMIN, body, id);
        free(wait_status(&server, id, "approved|denied|pended"));
        long long ms = ms_to_decide(c, id);
        ck_assert_msg(ms < 5000, "claim %d decided %lld ms after its 202 (the read is 10 s)", i,
                      ms);
        free(body);
    }
    redisFree(c);
    test_claimsd_stop_clean(&waiter);
}
END_TEST

START_TEST(test_queue_dashboard_counts_what_is_open_pended_and_final)
{
    struct test_response res;
    test_api(&server, "GET", "/v1/queue", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    long finalized = atol(test_json_str(res.body, "finalized"));
    ck_assert_int_gt(finalized, 0);
    ck_assert_str_eq(test_json_str(res.body, "finalized_within_target"),
                     test_json_str(res.body, "finalized"));
    ck_assert_str_eq(test_json_str(res.body, "share_within_target"), "1.0");
    ck_assert_str_eq(test_json_str(res.body, "depth"), "0");
    ck_assert_str_eq(test_json_str(res.body, "dead_lettered"), "0");
    ck_assert_str_eq(test_json_str(res.body, "overdue"), "0");
    test_response_free(&res);
    test_api(&server, "GET", "/metrics", NULL, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_ptr_nonnull(strstr(res.body, "claimsd_queue_depth 0\n"));
    ck_assert_ptr_nonnull(strstr(res.body, "claimsd_adjudication_seconds_bucket{le=\"+Inf\"}"));
    ck_assert_ptr_nonnull(strstr(res.body, "claimsd_redis_up 1\n"));
    test_response_free(&res);
}
END_TEST

START_TEST(test_worker_killed_between_load_and_commit_leaves_the_claim_to_another)
{
    /* Intake only here; a worker process with the fault hook kills itself
     * (SIGKILL) after loading the claim's facts, before its commit. */
    struct test_claimsd doomed = {0}, rescuer = {0};
    struct test_claimsd intake = server;
    char fill[16], id[64], path[128];
    char *body = test_pharmacy_claim("M1001", "Luis", "Lopez", "1975-09-14", test_days_ago(2, fill),
                                     "0071-0155-23", "42.17", NULL);
    test_submit_claim(&intake, ADMIN, body, id);
    doomed.bin = getenv("CLAIMSD_FAULTS_BIN");
    ck_assert_ptr_nonnull(doomed.bin);
    const char *const fault_env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN,
                                     "CLAIMSD_FAULT=kill_after_load", NULL};
    start(&doomed, (const char *const[]){"--role", "worker", "--workers", "1", NULL}, fault_env);
    ck_assert_int_eq(test_claimsd_wait(&doomed, 10000), 128 + SIGKILL);
    char *claim = wait_status(&intake, id, "processing");
    /* taken, not decided */
    ck_assert_int_eq(history_count(test_json_str(claim, "history"), "processing"), 1);
    ck_assert_int_eq(history_count(test_json_str(claim, "history"), "approved|denied|pended"), 0);
    free(claim);
    /* Another worker takes it over once it has been idle 400 ms. */
    start(&rescuer, (const char *const[]){"--role", "worker", "--workers", "1", NULL}, NULL);
    claim = wait_status(&intake, id, "approved");
    ck_assert_int_eq(history_count(test_json_str(claim, "history"), "approved|denied"), 1);
    free(claim);
    /* Applied once: one EOB version, the copay counted once. */
    snprintf(path, sizeof path, "/v1/claims/%s/eob?version=2", id);
    struct test_response res;
    test_api(&intake, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 404);
    test_response_free(&res);
    redisContext *c = test_redis_connect(&redis);
    redisReply *r =
        redisCommand(c, "HGET claims:{c}acc:M1001:%d m:M1001:in:oop", date_year(date_today()));
    ck_assert_str_eq(r->str, "3500");
    freeReplyObject(r);
    r = redisCommand(c, "XPENDING claims:{c}work workers");
    ck_assert_int_eq(r->element[0]->integer, 0);
    freeReplyObject(r);
    redisFree(c);
    ck_assert_int_eq(test_claimsd_stop(&rescuer, SIGTERM), 0);
    test_remove_tree(doomed.dir);
    test_remove_tree(rescuer.dir);
    free(body);
}
END_TEST

START_TEST(test_claim_that_keeps_failing_is_dead_lettered_and_staff_can_requeue_it)
{
    struct test_claimsd worker = {0};
    struct test_claimsd intake = server;
    char fill[16], id[64], path[160];
    char *body = test_pharmacy_claim("M1001-02", "Ana", "Lopez", "2015-06-10",
                                     test_days_ago(4, fill), "00093505698", "5.55", NULL);
    test_submit_claim(&intake, ADMIN, body, id);
    /* Damage the stored submission: every worker that takes the claim fails
     * to read it (a bug, not a denial). */
    redisContext *c = test_redis_connect(&redis);
    redisReply *saved = redisCommand(c, "GET claims:{c}body:%s", id);
    redisReply *r = redisCommand(c, "SET claims:{c}body:%s {broken", id);
    freeReplyObject(r);
    start(&worker, (const char *const[]){"--role", "worker", "--workers", "1", NULL}, NULL);
    struct test_response res;
    long dead = 0;
    for (int i = 0; i < 200 && dead == 0; i++) {
        test_sleep_ms(50);
        test_api(&intake, "GET", "/v1/queue", ADMIN, NULL, NULL, &res);
        dead = atol(test_json_str(res.body, "dead_lettered"));
        if (dead) {
            ck_assert_str_eq(test_json_str(res.body, "dead.0.claim_id"), id);
            ck_assert_str_eq(test_json_str(res.body, "dead.0.deliveries"), "3");
            ck_assert_str_eq(test_json_str(res.body, "in_flight"), "0");
        }
        test_response_free(&res);
    }
    ck_assert_int_eq(dead, 1);
    /* Repaired, then requeued by staff: it is decided normally. */
    r = redisCommand(c, "SET claims:{c}body:%s %b", id, saved->str, saved->len);
    freeReplyObject(r);
    freeReplyObject(saved);
    redisFree(c);
    snprintf(path, sizeof path, "/v1/queue/dead/%s/retry", id);
    test_api(&intake, "POST", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 202);
    test_response_free(&res);
    char *claim = wait_status(&intake, id, "approved|denied");
    ck_assert_str_eq(test_json_str(claim, "status"), "approved");
    free(claim);
    test_api(&intake, "POST", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 404);
    test_response_free(&res);
    test_api(&intake, "GET", "/v1/queue", ADMIN, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "dead_lettered"), "0");
    test_response_free(&res);
    ck_assert_int_eq(test_claimsd_stop(&worker, SIGTERM), 0);
    test_remove_tree(worker.dir);
    free(body);
}
END_TEST

START_TEST(test_pended_claim_is_denied_once_its_deadline_has_passed)
{
    /* Helen's small group: Medicare pays first, and her lab test (a Part B
     * service; she has both parts) waits for Medicare's EOB (N479, MA04). 46
     * days later (faketime) nobody sent it. (A pharmacy fill would not wait:
     * Parts A and B never pay one, docs/rules.md § 4.) */
    char day[16], id[64], *body = malloc(1024);
    snprintf(body, 1024,
             "{\"type\":\"medical\",\"member_id\":\"M4001\",\"patient\":{\"first_name\":"
             "\"Helen\",\"last_name\":\"Park\",\"birth_date\":\"1958-08-30\"},\"provider\":{"
             "\"npi\":\"1003000126\",\"name\":\"Bay Lab\",\"network\":\"in\"},"
             "\"diagnosis_codes\":[\"E11.9\"],\"lines\":[{\"service_date\":\"%s\","
             "\"procedure_code\":\"80053\",\"units\":1,\"charge\":14.00}]}",
             test_days_ago(1, day));
    test_submit_claim(&server, ADMIN, body, id);
    struct test_claimsd now = {0};
    start(&now, (const char *const[]){"--role", "worker", "--workers", "1", NULL}, NULL);
    char *claim = wait_status(&server, id, "pended");
    ck_assert_str_eq(test_json_str(claim, "pending.reason_codes.0"), "N479");
    ck_assert_str_eq(test_json_str(claim, "pending.reason_codes.1"), "MA04");
    free(claim);
    /* Pended, its line holds its fingerprint: a copy filed meanwhile would be
     * its duplicate. */
    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "HVALS claims:{c}fp:M4001");
    ck_assert_uint_eq(r->elements, 1);
    ck_assert_str_eq(r->element[0]->str, id);
    freeReplyObject(r);
    ck_assert_int_eq(test_claimsd_stop(&now, SIGTERM), 0);
    test_remove_tree(now.dir);
    struct test_claimsd later = {0};
    const char *const env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN,
                               "LD_PRELOAD=" FAKETIME_LIB,
                               "FAKETIME=+46d",
                               "FAKETIME_DONT_FAKE_MONOTONIC=1",
                               "ASAN_OPTIONS=verify_asan_link_order=0",
                               NULL};
    start(&later, (const char *const[]){"--role", "worker", "--workers", "1", NULL}, env);
    claim = wait_status(&server, id, "approved|denied");
    ck_assert_str_eq(test_json_str(claim, "status"), "denied");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.group"), "OA");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.carc"), "22");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.amount"), "14.00");
    free(claim);
    /* Denied, it gives them up. */
    r = redisCommand(c, "EXISTS claims:{c}fp:M4001");
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);
    redisFree(c);
    ck_assert_int_eq(test_claimsd_stop(&later, SIGTERM), 0);
    test_remove_tree(later.dir);
    free(body);
}
END_TEST

START_TEST(test_stop_acknowledges_nothing_unfinished)
{
    struct test_claimsd busy = {0};
    start(&busy, (const char *const[]){"--workers", "2", NULL}, NULL);
    char ids[40][64];
    for (int i = 0; i < 40; i++) {
        char date[16];
        snprintf(date, sizeof date, "2026-08-%02d", 1 + i % 28);
        char *body = test_lab_claim(i % 2 ? "M1001-02" : "M1001", i % 2 ? "Ana" : "Luis",
                                    i % 2 ? "2015-06-10" : "1975-09-14", date);
        /* Different charges keep them from being duplicates of each other. */
        char *charge = strstr(body, "\"charge\":20.00");
        charge[10] = (char)('0' + i / 10);
        charge[11] = (char)('0' + i % 10);
        test_submit_claim(&busy, ADMIN, body, ids[i]);
        free(body);
    }
    ck_assert_int_eq(test_claimsd_stop(&busy, SIGTERM), 0);
    /* Whatever was unfinished is still pending or waiting; other workers
     * finish it, each claim decided exactly once. */
    struct test_claimsd after = {0};
    start(&after, (const char *const[]){"--role", "worker", "--workers", "2", NULL}, NULL);
    for (int i = 0; i < 40; i++) {
        char *claim = wait_status(&server, ids[i], "approved|denied");
        ck_assert_int_eq(history_count(test_json_str(claim, "history"), "approved|denied"), 1);
        free(claim);
    }
    ck_assert_int_eq(test_claimsd_stop(&after, SIGTERM), 0);
    test_remove_tree(after.dir);
    test_remove_tree(busy.dir);
}
END_TEST

/* ---- cost independent of history ---- */

static void put_employee_named(const char *id, const char *first)
{
    char body[1024], path[64];
    snprintf(body, sizeof body,
             "{\"member_id\": \"%s\", \"subscriber_id\": \"%s\", \"group_id\": \"G100\","
             " \"relationship\": \"employee\", \"first_name\": \"%s\", \"last_name\": \"Ortiz\","
             " \"birth_date\": \"1981-02-03\", \"state\": \"FL\", \"student\": false,"
             " \"lives_with_employee\": true, \"married_on\": null, \"has_own_dependent\": false,"
             " \"handicapped_certified\": false, \"coverage\": [{\"plan_id\": \"PPO-500\","
             " \"effective\": \"2018-01-01\", \"termination_event\": null, \"kind\": \"active\"}],"
             " \"medicare\": null, \"other_coverage\": []}",
             id, id, first);
    snprintf(path, sizeof path, "/v1/members/%s", id);
    struct test_response res;
    test_api(&server, "PUT", path, ADMIN, body, NULL, &res);
    ck_assert_msg(res.status == 200 || res.status == 201, "%ld %s", res.status, res.body);
    test_response_free(&res);
}

static void put_employee(const char *id)
{
    put_employee_named(id, "Sam");
}

/* The worker parses each enrollment record once per text (intake_cached_*):
 * a member changed between two claims is what the second claim sees. Five
 * names for two worker threads: some thread decides twice. */
START_TEST(test_a_member_changed_between_claims_is_seen_by_the_next_claim)
{
    char fill[16], id[64], path[128];
    const char *names[] = {"Sam", "Samuel", "Sammy", "Samson", "Samir"};
    put_employee_named("MCACHE1", names[0]);
    for (int i = 0; i < 5; i++) {
        if (i > 0)
            put_employee_named("MCACHE1", names[i]);
        char *body = test_pharmacy_claim("MCACHE1", names[i], "Ortiz", "1981-02-03",
                                         test_days_ago(2 + i, fill), "0071-0155-23", "42.17", NULL);
        test_submit_claim(&server, ADMIN, body, id);
        free(wait_status(&server, id, "approved"));
        snprintf(path, sizeof path, "/v1/claims/%s/eob", id);
        struct test_response res;
        test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
        ck_assert_int_eq(res.status, 200);
        ck_assert_str_eq(test_json_str(res.body, "patient.first_name"), names[i]);
        test_response_free(&res);
        free(body);
    }
}
END_TEST

/* A member record put by the admin; returns the HTTP status. */
static long put_member(const char *id, const char *body, char *problem, size_t problem_size)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/members/%s", id);
    struct test_response res;
    test_api(&server, "PUT", path, ADMIN, body, NULL, &res);
    long st = res.status;
    if (problem)
        snprintf(problem, problem_size, "%s %s", test_json_str(res.body, "error.fields.0.field"),
                 test_json_str(res.body, "error.fields.0.problem"));
    test_response_free(&res);
    return st;
}

static void grandchild_record(char *body, size_t size, const char *birth, const char *parent)
{
    char parent_field[96] = "";
    if (parent)
        snprintf(parent_field, sizeof parent_field, " \"parent_member_id\": %s,", parent);
    snprintf(
        body, size,
        "{\"member_id\": \"M1001-07\", \"subscriber_id\": \"M1001\", \"group_id\": \"G100\","
        " \"relationship\": \"grandchild\",%s \"first_name\": \"Leo\", \"last_name\": \"Lopez\","
        " \"birth_date\": \"%s\", \"state\": \"FL\", \"coverage\": [{\"plan_id\": \"PPO-500\","
        " \"effective\": \"%s\", \"termination_event\": null, \"kind\": \"active\"}]}",
        parent_field, birth, birth);
}

/* § I: a grandchild is covered only while its parent is a covered dependent
 * child. The worker loads the parent named by parent_member_id (a second load
 * of the facts, like a changed group), and a change of the parent's record
 * reaches the grandchild's next claim. */
START_TEST(test_grandchild_is_decided_with_its_parents_record)
{
    char birth[16], fill[16], married[16], id[64], body[1024], problem[160];
    test_days_ago(200, birth);
    grandchild_record(body, sizeof body, birth, NULL);
    ck_assert_int_eq(put_member("M1001-07", body, problem, sizeof problem), 422);
    ck_assert_str_eq(problem, "parent_member_id is required for a grandchild");
    grandchild_record(body, sizeof body, birth, "\"M1001-01\""); /* the spouse */
    ck_assert_int_eq(put_member("M1001-07", body, problem, sizeof problem), 422);
    ck_assert_str_eq(
        problem, "parent_member_id must name a child of the same subscriber (relationship child)");
    grandchild_record(body, sizeof body, birth, "\"M1001-77\"");
    ck_assert_int_eq(put_member("M1001-07", body, problem, sizeof problem), 422);
    ck_assert_str_eq(problem, "parent_member_id is not a known member");
    grandchild_record(body, sizeof body, birth, "\"M1001-03\""); /* Diego, a covered student */
    ck_assert_int_eq(put_member("M1001-07", body, NULL, 0), 201);

    char *claim_body = test_pharmacy_claim("M1001-07", "Leo", "Lopez", birth,
                                           test_days_ago(3, fill), "0071-0155-23", "42.17", NULL);
    test_submit_claim(&server, ADMIN, claim_body, id);
    char *claim = wait_status(&server, id, "approved|denied");
    ck_assert_str_eq(test_json_str(claim, "status"), "approved");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "7.17");
    free(claim);
    char path[128];
    snprintf(path, sizeof path, "/v1/eligibility?member_id=M1001-07&date=%s", fill);
    struct test_response res;
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "covered"), "true");
    test_response_free(&res);

    /* Diego marries: his coverage ends at the end of that month, and the
     * grandchild's with it. */
    char *diego = test_read_source("config/sample/members/M1001-03.json");
    char *at = strstr(diego, "\"married_on\": null");
    ck_assert_ptr_nonnull(at);
    test_days_ago(60, married);
    char changed[2048];
    snprintf(changed, sizeof changed, "%.*s\"married_on\": \"%s\"%s", (int)(at - diego), diego,
             married, at + strlen("\"married_on\": null"));
    ck_assert_int_eq(put_member("M1001-03", changed, NULL, 0), 200);
    free(diego);
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res); /* GET /v1/eligibility loads him too */
    ck_assert_str_eq(test_json_str(res.body, "covered"), "false");
    ck_assert_str_eq(test_json_str(res.body, "reason.carc"), "32");
    ck_assert_str_eq(test_json_str(res.body, "reason.remark"), "N30");
    test_response_free(&res);
    free(claim_body);
    claim_body = test_pharmacy_claim("M1001-07", "Leo", "Lopez", birth, test_days_ago(2, fill),
                                     "0071-0155-23", "42.17", NULL);
    test_submit_claim(&server, ADMIN, claim_body, id);
    claim = wait_status(&server, id, "approved|denied");
    ck_assert_str_eq(test_json_str(claim, "status"), "denied");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.carc"), "32");
    free(claim);
    free(claim_body);
}
END_TEST

/* config time_zone (default America/New_York): a claim received at 02:00 UTC
 * on 2 December 2026 was received on 1 December where the plan is, and its
 * processing target counts from that day (faketime sets the clock). */
START_TEST(test_received_date_is_the_date_in_the_plans_time_zone)
{
    struct test_claimsd at2utc = {0};
    const char *const env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN,
                               "LD_PRELOAD=" FAKETIME_LIB,
                               "FAKETIME=@2026-12-02 02:00:00",
                               "TZ=UTC",
                               "FAKETIME_DONT_FAKE_MONOTONIC=1",
                               "ASAN_OPTIONS=verify_asan_link_order=0",
                               NULL};
    start(&at2utc, (const char *const[]){"--role", "intake", NULL}, env);
    char *body = test_pharmacy_claim("M1001-02", "Ana", "Lopez", "2015-06-10", "2026-11-28",
                                     "0071-0155-23", "42.17", NULL);
    struct test_response res;
    test_api(&at2utc, "POST", "/v1/claims", ADMIN, body, NULL, &res);
    ck_assert_msg(res.status == 202, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "received_date"), "2026-12-01");
    ck_assert_str_eq(test_json_str(res.body, "target_date"), "2026-12-15");
    test_response_free(&res);
    free(body);
    ck_assert_int_eq(test_claimsd_stop(&at2utc, SIGTERM), 0);
    test_remove_tree(at2utc.dir);
}
END_TEST

/* An unknown time_zone is a configuration error: exit 2, the key named. */
START_TEST(test_unknown_time_zone_stops_the_start_naming_the_key)
{
    const char *names[] = {"Mars/Olympus", "../../etc/passwd", "EST5EDT,M3.2.0,M11.1.0"};
    for (int i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof text, "{\"time_zone\": \"%s\"}", names[i]);
        const char *cfg = test_write_file(redis.dir, "tz.json", text);
        struct test_claimsd d = {0};
        test_make_temp_dir(d.dir, "tz");
        int status = -1;
        ck_assert_int_eq(test_claimsd_start(
                             &d, (const char *const[]){"--redis", redis.url, "--config", cfg, NULL},
                             admin_env, &status),
                         -1);
        ck_assert_int_eq(status, 2);
        char *log = test_claimsd_log(&d);
        ck_assert_msg(strstr(log, "key \"time_zone\" must be an IANA time zone name") != NULL,
                      "log: %s", log);
        free(log);
        test_remove_tree(d.dir);
    }
}
END_TEST

/* A medical claim of n lab lines on one date, charges first_cents, +1, +2, … */
static char *lab_lines(const char *member, const char *date, int n, long first_cents)
{
    size_t cap = 1024 + (size_t)n * 128, len = 0;
    char *b = malloc(cap);
    len +=
        (size_t)snprintf(b + len, cap - len,
                         "{\"type\":\"medical\",\"member_id\":\"%s\",\"patient\":{\"first_name\":"
                         "\"Sam\",\"last_name\":\"Ortiz\",\"birth_date\":\"1981-02-03\"},"
                         "\"provider\":{\"npi\":\"1003000126\",\"name\":\"Bay Lab\",\"network\":"
                         "\"in\"},\"diagnosis_codes\":[\"E11.9\"],\"lines\":[",
                         member);
    for (int i = 0; i < n; i++) {
        long c = first_cents + i;
        len += (size_t)snprintf(b + len, cap - len,
                                "%s{\"service_date\":\"%s\",\"procedure_code\":\"80053\","
                                "\"units\":1,\"charge\":%ld.%02ld}",
                                i ? "," : "", date, c / 100, c % 100);
    }
    snprintf(b + len, cap - len, "]}");
    return b;
}

static long long facts_bytes(void)
{
    struct test_response res;
    test_api(&server, "GET", "/metrics", NULL, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    const char *at = strstr(res.body, "\nclaimsd_worker_facts_bytes_total ");
    ck_assert_ptr_nonnull(at);
    long long v = atoll(at + strlen("\nclaimsd_worker_facts_bytes_total "));
    test_response_free(&res);
    return v;
}

/* Bytes the workers read to load the facts of one claim (nothing else in flight). */
static long long bytes_to_decide(const char *body, const char *want)
{
    char id[64];
    long long before = facts_bytes();
    test_submit_claim(&server, ADMIN, body, id);
    char *claim = wait_status(&server, id, "approved|denied|pended");
    ck_assert_str_eq(test_json_str(claim, "status"), want);
    free(claim);
    return facts_bytes() - before;
}

START_TEST(test_claim_of_member_with_10000_lines_on_its_date_loads_no_more_than_a_fresh_one)
{
    /* Two employees whose records differ only in one character of the id. */
    put_employee("T9001");
    put_employee("T9002");
    char date[16], other[16];
    test_days_ago(10, date);
    test_days_ago(11, other);
    /* T9001: 200 claims of 50 lines on one date, every charge distinct. */
    char ids[200][64];
    for (int c = 0; c < 200; c++) {
        char *body = lab_lines("T9001", date, 50, 100 + c * 50L);
        test_submit_claim(&server, ADMIN, body, ids[c]);
        free(body);
    }
    for (int c = 0; c < 200; c++) {
        char *claim = wait_status(&server, ids[c], "approved|denied");
        ck_assert_str_eq(test_json_str(claim, "status"), "approved");
        free(claim);
    }
    redisContext *rc = test_redis_connect(&redis);
    redisReply *r = redisCommand(rc, "HLEN claims:{c}fp:T9001");
    ck_assert_int_eq(r->integer, 10000);
    freeReplyObject(r);
    /* T9002: one earlier claim on another date, so that both families'
     * accumulator hashes have the same fields. */
    char *body = lab_lines("T9002", other, 1, 5000);
    char id[64];
    test_submit_claim(&server, ADMIN, body, id);
    free(wait_status(&server, id, "approved"));
    free(body);

    body = lab_lines("T9001", date, 1, 777777);
    long long heavy = bytes_to_decide(body, "approved");
    free(body);
    body = lab_lines("T9002", date, 1, 777777);
    long long fresh = bytes_to_decide(body, "approved");
    free(body);
    /* The same claim, the same records: what may differ is the digits of the
     * accumulator values (4 fields, at most 7 digits each more) and of the
     * family version (200 commits: 2 digits more). */
    ck_assert_int_gt(fresh, 1000);
    ck_assert_msg(heavy <= fresh + 4 * 7 + 2, "heavy %lld fresh %lld", heavy, fresh);
    /* And the lookup found the earlier lines when they are duplicates. */
    body = lab_lines("T9001", date, 1, 100 + 199 * 50L + 49);
    test_submit_claim(&server, ADMIN, body, id);
    char *claim = wait_status(&server, id, "approved|denied");
    ck_assert_str_eq(test_json_str(claim, "decision.lines.0.codes.0.carc"), "18");
    free(claim);
    free(body);
    redisFree(rc);
}
END_TEST

static Suite *worker_suite(void)
{
    Suite *s = suite_create("worker");
    TCase *tc = tcase_create("flow");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_pharmacy_claim_is_approved_with_copay_and_eob_record);
    tcase_add_test(tc, test_commit_writes_decision_eob_audit_and_open_indexes_once);
    tcase_add_test(tc, test_pharmacy_claim_filed_181_days_after_fill_is_denied_co29);
    tcase_add_test(tc, test_secondary_claim_pends_for_the_primary_eob_then_pays_as_secondary);
    tcase_add_test(tc, test_duplicate_line_on_a_second_claim_is_denied_oa18);
    tcase_add_test(tc, test_queue_dashboard_counts_what_is_open_pended_and_final);
    suite_add_tcase(s, tc);
    /* A fresh store: the family's accumulators start at zero. */
    TCase *race = tcase_create("family_race");
    tcase_add_unchecked_fixture(race, setup, teardown);
    tcase_set_timeout(race, 90);
    tcase_add_test(race, test_concurrent_claims_of_one_family_never_spend_the_deductible_twice);
    suite_add_tcase(s, race);
    TCase *history = tcase_create("history");
    tcase_add_unchecked_fixture(history, setup, teardown);
    tcase_set_timeout(history, 120);
    tcase_add_test(
        history, test_claim_of_member_with_10000_lines_on_its_date_loads_no_more_than_a_fresh_one);
    tcase_add_test(history, test_a_member_changed_between_claims_is_seen_by_the_next_claim);
    suite_add_tcase(s, history);
    TCase *grand = tcase_create("grandchild");
    tcase_add_unchecked_fixture(grand, setup, teardown);
    tcase_set_timeout(grand, 60);
    tcase_add_test(grand, test_grandchild_is_decided_with_its_parents_record);
    suite_add_tcase(s, grand);
    TCase *zone = tcase_create("time_zone");
    tcase_add_unchecked_fixture(zone, setup, teardown);
    tcase_set_timeout(zone, 60);
    tcase_add_test(zone, test_received_date_is_the_date_in_the_plans_time_zone);
    tcase_add_test(zone, test_unknown_time_zone_stops_the_start_naming_the_key);
    suite_add_tcase(s, zone);
    TCase *years = tcase_create("plan_years");
    tcase_add_unchecked_fixture(years, setup, teardown);
    tcase_set_timeout(years, 60);
    tcase_add_test(years, test_claim_with_lines_in_six_plan_years_moves_each_years_accumulators);
    suite_add_tcase(s, years);
    TCase *wake = tcase_create("wake_up");
    tcase_add_unchecked_fixture(wake, setup_intake, teardown);
    tcase_set_timeout(wake, 120);
    tcase_add_test(wake, test_idle_worker_takes_a_new_claim_during_its_read_not_after);
    suite_add_tcase(s, wake);
    TCase *recovery = tcase_create("recovery");
    tcase_add_unchecked_fixture(recovery, setup_intake, teardown);
    tcase_set_timeout(recovery, 120);
    tcase_add_test(recovery,
                   test_worker_killed_between_load_and_commit_leaves_the_claim_to_another);
    tcase_add_test(recovery,
                   test_claim_that_keeps_failing_is_dead_lettered_and_staff_can_requeue_it);
    tcase_add_test(recovery, test_pended_claim_is_denied_once_its_deadline_has_passed);
    tcase_add_test(recovery, test_stop_acknowledges_nothing_unfinished);
    suite_add_tcase(s, recovery);
    return s;
}

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    /* "Today" as the servers under test count it: the default time_zone. */
    date_set_time_zone("America/New_York");
    return test_run_suite(worker_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
