/*
 * Recoveries end to end (docs/api.md "Recoveries", docs/rules.md
 * "Recoveries"): claims for a dependent paid by a real claimsd's workers in
 * April and May 2026, then the employee's record PUT with a termination event
 * in March (covered through 31 March, manual § III) reported on 10 June:
 * GET /v1/recoveries lists exactly the dependent's claims with lines after
 * 31 March, their lines and cents, and employer_liable (reported more than 31
 * days after the Termination Effective Date, § III "Reporting
 * terminations"). A rescan keeps one recovery per claim; the record put back
 * open withdraws them. Members and providers are refused 403, bad queries
 * 422, the reads are audited.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

#define ADMIN "recoveries-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define P "claims:"

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], member[80], provider[80];

#define PATIENT_ANA                                                                                \
    "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Lopez\",\"birth_date\":\"2015-06-10\"}"
#define PATIENT_LUIS                                                                               \
    "\"patient\":{\"first_name\":\"Luis\",\"last_name\":\"Lopez\",\"birth_date\":\"1975-09-14\"}"
#define PROVIDER                                                                                   \
    "\"provider\":{\"npi\":\"" NPI_A "\",\"name\":\"Bay Clinic\",\"network\":\"in\","              \
    "\"facility\":false},\"diagnosis_codes\":[\"J06.9\"],\"received_date\":\"2026-06-05\","

/* Posts a claim as staff and waits until it is decided; its id in out. */
static void claim(const char *body, const char *want_status, char out[40])
{
    char *res = test_call(&server, "POST", "/v1/claims", staff, body, 202);
    snprintf(out, 40, "%s", test_json_str(res, "claim_id"));
    free(res);
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s", out);
    for (int i = 0; i < 1000; i++) {
        char *b = test_call(&server, "GET", path, staff, NULL, 200);
        char st[32];
        snprintf(st, sizeof st, "%s", test_json_str(b, "status"));
        free(b);
        if (strcmp(st, "approved") == 0 || strcmp(st, "denied") == 0) {
            ck_assert_str_eq(st, want_status);
            return;
        }
        test_sleep_ms(20);
    }
    ck_abort_msg("claim not decided within 20 s");
}

/* The sample employee's record with its coverage span as given. */
static void setup(void)
{
    test_start_redis_and_claimsd(&redis, &server, ADMIN, NULL);
    test_put_sample_enrollment(&server, ADMIN, "G100", "M1001 M1001-02");
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", member);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", provider);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

/* The claim ids of a list answer, in order, space-separated. */
static const char *ids_of(const char *body)
{
    static char out[512];
    out[0] = '\0';
    int n = test_json_len(body, "recoveries");
    for (int i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "recoveries.%d.claim_id", i);
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "",
                 test_json_str(body, path));
    }
    return out;
}

static const char *field(const char *body, int i, const char *name)
{
    char path[96];
    snprintf(path, sizeof path, "recoveries.%d.%s", i, name);
    return test_json_str(body, path);
}

START_TEST(test_retroactive_termination_lists_paid_claims_of_dependent)
{
    char a[40], b[40], c[40], d[40], e[40];
    /* A: the dependent on 31 March (covered) and 20 April (not, now). */
    claim("{\"type\":\"medical\",\"member_id\":\"M1001-02\"," PATIENT_ANA "," PROVIDER
          "\"lines\":[{\"service_date\":\"2026-03-31\",\"procedure_code\":\"99213\",\"units\":1,"
          "\"charge\":150.00},{\"service_date\":\"2026-04-20\",\"procedure_code\":\"99213\","
          "\"units\":1,\"charge\":150.00}]}",
          "approved", a);
    /* B: the dependent on 15 May: 99214 allowed 145.00, copay 25.00. */
    claim("{\"type\":\"medical\",\"member_id\":\"M1001-02\"," PATIENT_ANA "," PROVIDER
          "\"lines\":[{\"service_date\":\"2026-05-15\",\"procedure_code\":\"99214\",\"units\":1,"
          "\"charge\":200.00}]}",
          "approved", b);
    /* C: the dependent on 15 March only: still covered, never listed. */
    claim("{\"type\":\"medical\",\"member_id\":\"M1001-02\"," PATIENT_ANA "," PROVIDER
          "\"lines\":[{\"service_date\":\"2026-03-15\",\"procedure_code\":\"99213\",\"units\":1,"
          "\"charge\":150.00}]}",
          "approved", c);
    /* D: denied (the patient's name does not match): nothing was paid. */
    claim("{\"type\":\"medical\",\"member_id\":\"M1001-02\",\"patient\":{\"first_name\":\"Zoe\","
          "\"last_name\":\"Lopez\",\"birth_date\":\"2015-06-10\"}," PROVIDER
          "\"lines\":[{\"service_date\":\"2026-04-21\",\"procedure_code\":\"99213\",\"units\":1,"
          "\"charge\":150.00}]}",
          "denied", d);
    /* E: the employee on 2 June, before the report date of 10 June. */
    claim("{\"type\":\"medical\",\"member_id\":\"M1001\"," PATIENT_LUIS "," PROVIDER
          "\"lines\":[{\"service_date\":\"2026-06-02\",\"procedure_code\":\"99212\",\"units\":1,"
          "\"charge\":90.00}]}",
          "approved", e);
    char *none = test_call(&server, "GET", "/v1/recoveries", staff, NULL, 200);
    ck_assert_str_eq(none, "{\"recoveries\":[],\"next_cursor\":null}");
    free(none);

    /* The employee leaves on 10 March (covered through 31 March); the
     * employer reports it on 10 June, 71 days after: late. */
    test_put_employee(&server, ADMIN,
                      "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
                      "\"termination_event\":\"2026-03-10\","
                      "\"termination_reported_on\":\"2026-06-10\",\"kind\":\"active\"}");
    char *body = test_call(&server, "GET", "/v1/recoveries", staff, NULL, 200);
    char want[64 * 3];
    snprintf(want, sizeof want, "%s %s %s", a, b, e);
    ck_assert_str_eq(ids_of(body), want);
    /* A: line 2 only, 100.00 allowed less the 25.00 copay. */
    ck_assert_str_eq(field(body, 0, "member_id"), "M1001-02");
    ck_assert_int_eq(test_json_len(body, "recoveries.0.lines"), 1);
    ck_assert_str_eq(field(body, 0, "lines.0.line"), "2");
    ck_assert_str_eq(field(body, 0, "lines.0.service_date"), "2026-04-20");
    ck_assert_str_eq(field(body, 0, "lines.0.plan_paid"), "75.00");
    ck_assert_str_eq(field(body, 0, "lines.0.employer_liable"), "true");
    ck_assert_str_eq(field(body, 0, "amount"), "75.00");
    ck_assert_str_eq(field(body, 0, "coverage_ended"), "2026-03-31");
    ck_assert_str_eq(field(body, 0, "termination_reported_on"), "2026-06-10");
    ck_assert_str_eq(field(body, 0, "employer_liable"), "true");
    ck_assert_str_eq(field(body, 0, "status"), "open");
    ck_assert_int_eq((int)strlen(field(body, 0, "recovery_id")), 36);
    ck_assert_int_eq((int)strlen(field(body, 0, "found_at")), 20);
    /* B: 145.00 allowed less 25.00. */
    ck_assert_int_eq(test_json_len(body, "recoveries.1.lines"), 1);
    ck_assert_str_eq(field(body, 1, "lines.0.line"), "1");
    ck_assert_str_eq(field(body, 1, "lines.0.service_date"), "2026-05-15");
    ck_assert_str_eq(field(body, 1, "lines.0.plan_paid"), "120.00");
    ck_assert_str_eq(field(body, 1, "amount"), "120.00");
    ck_assert_str_eq(field(body, 1, "employer_liable"), "true");
    /* E: the employee's own claim, 75.00 allowed less 25.00, dated before
     * the report: the employer's too. */
    ck_assert_str_eq(field(body, 2, "member_id"), "M1001");
    ck_assert_str_eq(field(body, 2, "lines.0.service_date"), "2026-06-02");
    ck_assert_str_eq(field(body, 2, "lines.0.plan_paid"), "50.00");
    ck_assert_str_eq(field(body, 2, "lines.0.employer_liable"), "true");
    ck_assert_str_eq(field(body, 2, "employer_liable"), "true");
    ck_assert_str_eq(field(body, 2, "coverage_ended"), "2026-03-31");
    char rid_a[40];
    snprintf(rid_a, sizeof rid_a, "%s", field(body, 0, "recovery_id"));
    free(body);

    /* Reported on day 31 after 31 March (1 May): in time, nobody liable;
     * the same recoveries, updated in place. */
    test_put_employee(&server, ADMIN,
                      "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
                      "\"termination_event\":\"2026-03-10\","
                      "\"termination_reported_on\":\"2026-05-01\",\"kind\":\"active\"}");
    body = test_call(&server, "GET", "/v1/recoveries?status=open", staff, NULL, 200);
    ck_assert_str_eq(ids_of(body), want);
    ck_assert_str_eq(field(body, 0, "recovery_id"), rid_a);
    ck_assert_str_eq(field(body, 0, "termination_reported_on"), "2026-05-01");
    ck_assert_str_eq(field(body, 0, "employer_liable"), "false");
    ck_assert_str_eq(field(body, 1, "employer_liable"), "false");
    ck_assert_str_eq(field(body, 0, "lines.0.employer_liable"), "false");
    free(body);
    /* Day 32 (2 May): late, for the lines up to 2 May only: A's of 20 April,
     * not B's of 15 May nor E's of 2 June. */
    test_put_employee(&server, ADMIN,
                      "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
                      "\"termination_event\":\"2026-03-10\","
                      "\"termination_reported_on\":\"2026-05-02\",\"kind\":\"active\"}");
    body = test_call(&server, "GET", "/v1/recoveries?limit=2", staff, NULL, 200);
    ck_assert_int_eq(test_json_len(body, "recoveries"), 2);
    ck_assert_str_eq(field(body, 0, "employer_liable"), "true");
    ck_assert_str_eq(field(body, 1, "employer_liable"), "false"); /* 15 May: after the report */
    char cursor[32];
    snprintf(cursor, sizeof cursor, "%s", test_json_str(body, "next_cursor"));
    ck_assert(cursor[0]);
    free(body);
    char path[96];
    snprintf(path, sizeof path, "/v1/recoveries?limit=2&cursor=%s", cursor);
    body = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(ids_of(body), e);
    ck_assert_str_eq(field(body, 0, "employer_liable"), "false");
    ck_assert_str_eq(test_json_str(body, "next_cursor"), "");
    free(body);

    /* The record put back open: every recovery is withdrawn, none is left open. */
    test_put_employee(&server, ADMIN,
                      "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
                      "\"termination_event\":null,\"kind\":\"active\"}");
    body = test_call(&server, "GET", "/v1/recoveries?status=open", staff, NULL, 200);
    ck_assert_str_eq(body, "{\"recoveries\":[],\"next_cursor\":null}");
    free(body);
    body = test_call(&server, "GET", "/v1/recoveries?status=withdrawn", staff, NULL, 200);
    ck_assert_str_eq(ids_of(body), want);
    ck_assert_str_eq(field(body, 0, "recovery_id"), rid_a);
    free(body);
    /* Terminated again: the same recoveries open again, still one per claim. */
    test_put_employee(&server, ADMIN,
                      "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
                      "\"termination_event\":\"2026-03-10\","
                      "\"termination_reported_on\":\"2026-06-10\",\"kind\":\"active\"}");
    body = test_call(&server, "GET", "/v1/recoveries", staff, NULL, 200);
    ck_assert_str_eq(ids_of(body), want);
    ck_assert_str_eq(field(body, 0, "recovery_id"), rid_a);
    ck_assert_str_eq(field(body, 0, "status"), "open");
    free(body);
    redisContext *rc = test_redis_connect(&redis);
    ck_assert_int_eq(test_redis_int(rc, "ZCARD " P "{c}recoveries"), 3);

    /* A claim whose stored decision cannot be read is not checked: its
     * recovery stays as it is while the others are withdrawn. */
    redisReply *saved = redisCommand(rc, "GET " P "{c}dec:%s", b);
    ck_assert(saved && saved->type == REDIS_REPLY_STRING);
    freeReplyObject(redisCommand(rc, "SET " P "{c}dec:%s %s", b, "not a packed decision"));
    test_put_employee(&server, ADMIN,
                      "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
                      "\"termination_event\":null,\"kind\":\"active\"}");
    body = test_call(&server, "GET", "/v1/recoveries?status=open", staff, NULL, 200);
    ck_assert_str_eq(ids_of(body), b);
    free(body);
    freeReplyObject(redisCommand(rc, "SET " P "{c}dec:%s %b", b, saved->str, saved->len));
    freeReplyObject(saved);
    test_put_employee(&server, ADMIN,
                      "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
                      "\"termination_event\":null,\"kind\":\"active\"}");
    body = test_call(&server, "GET", "/v1/recoveries?status=open", staff, NULL, 200);
    ck_assert_str_eq(body, "{\"recoveries\":[],\"next_cursor\":null}");
    free(body);
    redisFree(rc);
}
END_TEST

START_TEST(test_only_staff_and_admin_list_recoveries)
{
    free(test_call(&server, "GET", "/v1/recoveries", member, NULL, 403));
    free(test_call(&server, "GET", "/v1/recoveries", provider, NULL, 403));
    free(test_call(&server, "GET", "/v1/recoveries", NULL, NULL, 401));
    free(test_call(&server, "GET", "/v1/recoveries", ADMIN, NULL, 200));
    char *body = test_call(&server, "GET", "/v1/recoveries", staff, NULL, 200);
    ck_assert_str_eq(body, "{\"recoveries\":[],\"next_cursor\":null}");
    free(body);
    /* Each read is audited. */
    redisContext *rc = test_redis_connect(&redis);
    redisReply *r = redisCommand(rc, "XRANGE " P "{c}audit - +");
    int lists = 0;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *f = r->element[i]->element[1];
        for (size_t j = 0; j + 1 < f->elements; j += 2)
            if (strcmp(f->element[j]->str, "record") == 0 &&
                strstr(f->element[j + 1]->str, "\"action\":\"recovery.list\""))
                lists++;
    }
    freeReplyObject(r);
    redisFree(rc);
    ck_assert_int_eq(lists, 2);
}
END_TEST

START_TEST(test_bad_queries_refused)
{
    const struct {
        const char *query, *field, *problem;
    } cases[] = {
        {"status=closed", "status", "must be open, withdrawn or reversed"},
        {"limit=0", "limit", "must be an integer from 1 to 500"},
        {"limit=501", "limit", "must be an integer from 1 to 500"},
        {"cursor=abc", "cursor", "must be a cursor returned by a search"},
        {"member_id=M1001", "member_id", "unknown parameter"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/recoveries?%s", cases[i].query);
        char *body = test_call(&server, "GET", path, staff, NULL, 422);
        ck_assert_str_eq(test_json_str(body, "error.code"), "validation_failed");
        ck_assert_str_eq(test_json_str(body, "error.fields.0.field"), cases[i].field);
        ck_assert_str_eq(test_json_str(body, "error.fields.0.problem"), cases[i].problem);
        free(body);
    }
    free(test_call(&server, "GET", "/v1/recoveries?limit=500&status=open", staff, NULL, 200));
    free(test_call(&server, "GET", "/v1/recoveries?limit=1", staff, NULL, 200));
}
END_TEST

static Suite *recoveries_suite(void)
{
    Suite *s = suite_create("recoveries");
    TCase *tc = tcase_create("recoveries");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_retroactive_termination_lists_paid_claims_of_dependent);
    tcase_add_test(tc, test_only_staff_and_admin_list_recoveries);
    tcase_add_test(tc, test_bad_queries_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    return test_run_suite(recoveries_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
