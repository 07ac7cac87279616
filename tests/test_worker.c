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
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
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
    char text[1024];
    snprintf(text, sizeof text,
             "{\"seed_dir\": \"%s/sample\", \"claim_idle_timeout_ms\": 400, \"max_deliveries\": 3,"
             " \"pend_sweep_seconds\": 1}",
             getenv("CLAIMS_CONFIG_DIR"));
    snprintf(cfg_path, sizeof cfg_path, "%s", test_write_file(dir, "worker.json", text));
}

static void start(struct test_claimsd *d, const char *const extra[], const char *const env[])
{
    const char *args[16] = {"--redis", redis.url, "--config", cfg_path};
    int n = 4;
    for (const char *const *a = extra; a && *a; a++)
        args[n++] = *a;
    args[n] = NULL;
    if (test_claimsd_start(d, args, env ? env : admin_env, NULL) != 0) {
        char *log = test_claimsd_log(d);
        fprintf(stderr, "claimsd did not start:\n%s\n", log);
        free(log);
        exit(2);
    }
}

static void setup(void)
{
    test_redis_start(&redis);
    write_config(redis.dir);
    memset(&server, 0, sizeof server);
    start(&server, (const char *const[]){"--workers", "2", NULL}, NULL);
}

static void teardown(void)
{
    int status = test_claimsd_stop(&server, SIGTERM);
    if (status != 0) {
        char *log = test_claimsd_log(&server);
        fprintf(stderr, "claimsd exited %d at teardown; its log:\n%s\n", status, log);
        free(log);
        exit(1);
    }
    test_remove_tree(server.dir);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
}

static char *days_ago(int n, char out[16])
{
    date_t d = date_add_days(date_today_utc(), -n);
    return date_format(d, out);
}

static char *pharmacy(const char *member, const char *first, const char *last, const char *birth,
                      const char *fill_date, const char *ndc, const char *charge, const char *extra)
{
    char *b = malloc(2048);
    snprintf(b, 2048,
             "{\"type\":\"pharmacy\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
             "\"last_name\":\"%s\",\"birth_date\":\"%s\"},\"pharmacy\":{\"name\":\"Corner Drug #12\","
             "\"npi\":\"1245319599\",\"network\":\"in\"},\"ndc\":\"%s\",\"fill_date\":\"%s\","
             "\"drug_name\":\"Test drug\",\"quantity\":30,\"days_supply\":30,\"charge\":%s%s}",
             member, first, last, birth, ndc, fill_date, charge, extra ? extra : "");
    return b;
}

static char *lab_claim(const char *member, const char *first, const char *birth,
                       const char *service_date)
{
    char *b = malloc(2048);
    snprintf(b, 2048,
             "{\"type\":\"medical\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
             "\"last_name\":\"Lopez\",\"birth_date\":\"%s\"},\"provider\":{\"npi\":\"1003000126\","
             "\"name\":\"Bay Lab\",\"network\":\"in\"},\"diagnosis_codes\":[\"E11.9\"],"
             "\"lines\":[{\"service_date\":\"%s\",\"procedure_code\":\"80053\",\"units\":1,"
             "\"charge\":20.00}]}",
             member, first, birth, service_date);
    return b;
}

static void submit_to(const struct test_claimsd *d, const char *body, char id[64])
{
    struct test_response res;
    test_api(d, "POST", "/v1/claims", ADMIN, body, NULL, &res);
    ck_assert_msg(res.status == 202, "%ld %s", res.status, res.body);
    snprintf(id, 64, "%s", test_json_str(res.body, "claim_id"));
    test_response_free(&res);
}

/* Polls the claim until its status is one of want ("approved|denied"). */
static char *wait_status(const struct test_claimsd *d, const char *id, const char *want)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    for (int i = 0; i < 300; i++) {
        struct test_response res;
        test_api(d, "GET", path, ADMIN, NULL, NULL, &res);
        const char *st = test_json_str(res.body, "status");
        if (st[0] && strstr(want, st)) {
            char *body = res.body;
            free(res.headers);
            return body;
        }
        test_response_free(&res);
        test_sleep_ms(20);
    }
    ck_abort_msg("claim %s never reached %s", id, want);
    return NULL;
}

START_TEST(test_pharmacy_claim_is_approved_with_copay_and_eob_record)
{
    char fill[16], id[64];
    char *body = pharmacy("M1001-02", "Ana", "Lopez", "2015-06-10", days_ago(3, fill),
                          "0071-0155-23", "42.17", NULL);
    submit_to(&server, body, id);
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
    ck_assert_str_eq(test_json_str(claim, "within_target"), "true");
    ck_assert_int_eq(strlen(test_json_str(claim, "finalized_at")), 20);
    ck_assert_int_eq(test_json_len(claim, "history"), 3);
    ck_assert_str_eq(test_json_str(claim, "history.1.status"), "processing");
    ck_assert_str_eq(test_json_str(claim, "history.2.status"), "approved");
    free(claim);
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s/eob", id);
    struct test_response res;
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "claim_id"), id);
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?version=2", id);
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 404);
    test_response_free(&res);
    free(body);
}
END_TEST

START_TEST(test_pharmacy_claim_filed_181_days_after_fill_is_denied_co29)
{
    char fill[16], id[64];
    char *body = pharmacy("M1001", "Luis", "Lopez", "1975-09-14", days_ago(181, fill),
                          "00093505698", "9.99", NULL);
    submit_to(&server, body, id);
    char *claim = wait_status(&server, id, "approved|denied");
    ck_assert_str_eq(test_json_str(claim, "status"), "denied");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.group"), "CO");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.carc"), "29");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.amount"), "9.99");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "0.00");
    free(claim);
    free(body);
    /* Day 180 is in time. */
    body = pharmacy("M1001", "Luis", "Lopez", "1975-09-14", days_ago(180, fill), "00093505698",
                    "9.98", NULL);
    submit_to(&server, body, id);
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
    char *body = pharmacy("M1001-01", "Maria", "Lopez", "1977-03-02", days_ago(5, fill),
                          "00093505698", "12.00", NULL);
    submit_to(&server, body, id);
    char *claim = wait_status(&server, id, "pended");
    ck_assert_str_eq(test_json_str(claim, "pending.reason_codes.0"), "N479");
    ck_assert_str_eq(test_json_str(claim, "pending.needed.0"), "other_insurance");
    char deadline[16];
    date_format(date_add_days(date_today_utc(), 45), deadline);
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
    const char *info = "{\"other_insurance\": {\"payer_name\": \"Gulf Coast Health Plan\", \"paid\": 2.00,"
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
    ck_assert_str_eq(test_json_str(claim, "submitted.other_insurance.paid"), "2.00");
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
    char *body = lab_claim("M1001-02", "Ana", "2015-06-10", "2026-09-01");
    submit_to(&server, body, id1);
    free(wait_status(&server, id1, "approved|denied"));
    submit_to(&server, body, id2);
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
        char *body = lab_claim(b->member, b->first, b->birth, date);
        struct test_response res;
        test_api(&server, "POST", "/v1/claims", ADMIN, body, NULL, &res);
        snprintf(b->ids[i], 64, "%s", test_json_str(res.body, "claim_id"));
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
            for (int c = 0; c < test_json_len(claim, "decision.codes"); c++) {
                char p[64];
                snprintf(p, sizeof p, "decision.codes.%d.carc", c);
                const char *carc = test_json_str(claim, p);
                snprintf(p, sizeof p, "decision.codes.%d.amount", c);
                long cents = (long)(atof(test_json_str(claim, p)) * 100 + 0.5);
                if (strcmp(carc, "1") == 0)
                    deductible += cents;
                else if (strcmp(carc, "2") == 0)
                    coinsurance += cents;
            }
            paid += (long)(atof(test_json_str(claim, "decision.plan_paid")) * 100 + 0.5);
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

START_TEST(test_queue_dashboard_counts_what_is_open_pended_and_final)
{
    struct test_response res;
    test_api(&server, "GET", "/v1/queue", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    long finalized = atol(test_json_str(res.body, "finalized"));
    ck_assert_int_gt(finalized, 0);
    ck_assert_str_eq(test_json_str(res.body, "finalized_within_target"), test_json_str(res.body, "finalized"));
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

static Suite *worker_suite(void)
{
    Suite *s = suite_create("worker");
    TCase *tc = tcase_create("flow");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_pharmacy_claim_is_approved_with_copay_and_eob_record);
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
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(worker_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
