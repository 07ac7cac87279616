/*
 * Remittance end to end (docs/x12.md "Remittance (835)"): claims posted as
 * JSON to a real claimsd, decided by its workers; a payment cycle run by
 * POST /v1/remittances/run; each payee NPI's 835 read back and checked by an
 * independent parser (tests/x12/check_835.sh: npm node-x12, no code shared
 * with eob/x835.c) against the JSON decisions of GET /v1/claims/{id}: the
 * balancing equations and every CLP and SVC amount. Also: member-payee
 * claims are on the member payment list and not in an 835, a second run
 * takes nothing, a provider reads only its own NPI's 835, the reads are
 * audited, bad queries are refused precisely.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/harness.h"
#include "queue/shards.h"
#include "config.h"

#define ADMIN "remit-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599" /* in network */
#define NPI_B "1003000126" /* out of network */

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], provider_a[80], provider_b[80], member[80];
static char today[16], service[16], yesterday[16];

/* The claims, decided once for the whole suite. */
enum { A, B, F, C, D, E, N_CLAIMS };
static char ids[N_CLAIMS][40];
static char *bodies[N_CLAIMS]; /* GET /v1/claims/{id} once final */
static char cycle_id[40];
static char *edi_a; /* NPI A's 835 as staff read it */

static void day_text(time_t t, char out[16])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

/* A JSON amount's text ("124", "124.5", "124.00") to cents. */
static long long cents(const char *t)
{
    long long whole = 0, frac = 0;
    int d = 0;
    for (; *t >= '0' && *t <= '9'; t++)
        whole = whole * 10 + (*t - '0');
    if (*t == '.')
        for (t++; *t >= '0' && *t <= '9' && d < 2; t++, d++)
            frac = frac * 10 + (*t - '0');
    if (d == 1)
        frac *= 10;
    return whole * 100 + frac;
}

static const char *money(long long c)
{
    static char buf[4][32];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 32, "%lld.%02lld", c / 100, c % 100);
    return b;
}

#define PATIENT_ANA                                                                                \
    "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Lopez\",\"birth_date\":\"2015-06-10\"}"
#define PATIENT_LUIS                                                                               \
    "\"patient\":{\"first_name\":\"Luis\",\"last_name\":\"Lopez\",\"birth_date\":\"1975-09-14\"}"
#define PATIENT_GRACE                                                                              \
    "\"patient\":{\"first_name\":\"Grace\",\"last_name\":\"Kim\",\"birth_date\":\"1980-07-07\"}"

static void post_claim(int k, const char *fmt)
{
    char body[2048];
    snprintf(body, sizeof body, fmt, service, service);
    char *res = test_call(&server, "POST", "/v1/claims", staff, body, 202);
    snprintf(ids[k], sizeof ids[k], "%s", test_json_str(res, "claim_id"));
    ck_assert_int_eq((int)strlen(ids[k]), 36);
    free(res);
}

static void wait_final(int k)
{
    bodies[k] = test_wait_claim(&server, staff, ids[k], "approved|denied", 20000);
}

static const char *checker_path(void)
{
    static char buf[4096];
    const char *root = getenv("CLAIMS_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s%stests/x12/check_835.sh", root ? root : "", root ? "/" : "");
    ck_assert_msg(access(buf, X_OK) == 0,
                  "%s not found: run the test from the repository root (make check)", buf);
    return buf;
}

/* Runs the independent checker on an 835 and the expected claims; returns
 * its exit status, its output (stdout and stderr) in out. */
static int check_835(const char *edi, const char *npi, const int *claims, int n, char *out,
                     size_t out_size)
{
    char dir[256], cmd[5000];
    test_make_temp_dir(dir, "remit");
    test_write_file(dir, "remit.835", edi);
    size_t len = 64;
    for (int i = 0; i < n; i++)
        len += strlen(bodies[claims[i]]) + 2;
    char *expected = malloc(len);
    ck_assert_ptr_nonnull(expected);
    int w = snprintf(expected, len, "{\"npi\":\"%s\",\"claims\":[", npi);
    for (int i = 0; i < n; i++)
        w += snprintf(expected + w, len - (size_t)w, "%s%s", i ? "," : "", bodies[claims[i]]);
    snprintf(expected + w, len - (size_t)w, "]}");
    test_write_file(dir, "expected.json", expected);
    free(expected);
    snprintf(cmd, sizeof cmd, "'%s' '%s/remit.835' '%s/expected.json' 2>&1", checker_path(), dir,
             dir);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t got = fread(out, 1, out_size - 1, p);
    out[got] = '\0';
    int rc = pclose(p);
    test_remove_tree(dir);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static long long plan_paid(int k)
{
    return cents(test_json_str(bodies[k], "decision.plan_paid"));
}

static void setup(void)
{
    time_t now = time(NULL);
    day_text(now, today);
    day_text(now - 3 * 86400, service);
    day_text(now - 86400, yesterday);
    test_redis_start(&redis);
    char dir[256];
    test_make_temp_dir(dir, "remit-cfg");
    /* No scheduled cycle: the tests close cycles by hand. */
    const char *cfg = test_write_file(
        dir, "claimsd.json", "{\"rate_limits\": null, \"payment_cycle\": {\"time\": null}}");
    test_claimsd_start_admin(&server, redis.url, ADMIN,
                             (const char *const[]){"--config", cfg, NULL});
    test_put_sample_enrollment(&server, ADMIN, "G100", "M1001 M1001-02");
    test_put_g100_employee(&server, ADMIN, "M7001", "Grace", "Kim", "1980-07-07", NULL, 201);
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", provider_a);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_B "\"}", provider_b);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", member);

    /* Provider payee: in network (A, B, and F denied: the patient's name
     * does not match), out of network with the assignment of benefits (C). */
    post_claim(
        A, "{\"type\":\"medical\",\"member_id\":\"M1001-02\"," PATIENT_ANA ","
           "\"provider\":{\"npi\":\"" NPI_A
           "\",\"name\":\"Bay Clinic\",\"network\":\"in\",\"facility\":false},"
           "\"diagnosis_codes\":[\"J06.9\"],\"lines\":["
           "{\"service_date\":\"%s\",\"procedure_code\":\"99213\",\"modifiers\":[\"25\"],\"units\":"
           "1,\"charge\":150.00},"
           "{\"service_date\":\"%s\",\"procedure_code\":\"80053\",\"units\":2,\"charge\":40.50}]}");
    post_claim(B, "{\"type\":\"medical\",\"member_id\":\"M7001\"," PATIENT_GRACE ","
                  "\"provider\":{\"npi\":\"" NPI_A
                  "\",\"name\":\"Bay Clinic\",\"network\":\"in\",\"facility\":false},"
                  "\"diagnosis_codes\":[\"M54.5\"],\"lines\":["
                  "{\"service_date\":\"%s\",\"procedure_code\":\"99214\",\"units\":1,\"charge\":"
                  "200.00}]}%.0s");
    post_claim(
        F,
        "{\"type\":\"medical\",\"member_id\":\"M7001\","
        "\"patient\":{\"first_name\":\"Gina\",\"last_name\":\"Kim\",\"birth_date\":\"1980-07-07\"},"
        "\"provider\":{\"npi\":\"" NPI_A
        "\",\"name\":\"Bay Clinic\",\"network\":\"in\",\"facility\":false},"
        "\"diagnosis_codes\":[\"M54.5\"],\"lines\":["
        "{\"service_date\":\"%s\",\"procedure_code\":\"99212\",\"units\":1,\"charge\":90.00}]}%."
        "0s");
    post_claim(C, "{\"type\":\"medical\",\"member_id\":\"M1001\"," PATIENT_LUIS ","
                  "\"assignment_of_benefits\":true,\"itemized_bill\":true,"
                  "\"provider\":{\"npi\":\"" NPI_B
                  "\",\"name\":\"Shore Medical\",\"network\":\"out\",\"facility\":false},"
                  "\"diagnosis_codes\":[\"J02.9\"],\"lines\":["
                  "{\"service_date\":\"%s\",\"procedure_code\":\"99213\",\"modifiers\":[\"25\","
                  "\"GT\"],\"units\":1,\"charge\":120.00}]}%.0s");
    /* Member payee: out of network without the assignment (D), pharmacy (E). */
    post_claim(D, "{\"type\":\"medical\",\"member_id\":\"M7001\"," PATIENT_GRACE ","
                  "\"itemized_bill\":true,"
                  "\"provider\":{\"npi\":\"" NPI_B
                  "\",\"name\":\"Shore Medical\",\"network\":\"out\",\"facility\":false},"
                  "\"diagnosis_codes\":[\"M54.5\"],\"lines\":["
                  "{\"service_date\":\"%s\",\"procedure_code\":\"80053\",\"units\":1,\"charge\":30."
                  "00}]}%.0s");
    post_claim(E, "{\"type\":\"pharmacy\",\"member_id\":\"M1001\"," PATIENT_LUIS ","
                  "\"pharmacy\":{\"name\":\"Corner Drug\",\"network\":\"in\"},"
                  "\"ndc\":\"00093505698\",\"fill_date\":\"%s\",\"drug_name\":\"Generic tablet\","
                  "\"quantity\":30,\"days_supply\":30,\"charge\":25.00}%.0s");
    for (int k = 0; k < N_CLAIMS; k++)
        wait_final(k);
    ck_assert_str_eq(test_json_str(bodies[A], "decision.payee"), "provider");
    ck_assert_str_eq(test_json_str(bodies[F], "status"), "denied");
    ck_assert_str_eq(test_json_str(bodies[C], "decision.payee"), "provider");
    ck_assert_str_eq(test_json_str(bodies[D], "decision.payee"), "member");
    ck_assert_str_eq(test_json_str(bodies[E], "decision.payee"), "member");

    /* Before the cycle: each final claim is due under its payee, with its
     * payment (docs/operations.md "Redis keys"). */
    redisContext *rc = test_redis_connect(&redis);
    ck_assert_int_eq(test_redis_int(rc, "ZCARD claims:{c}remit:due"), 4);
    ck_assert_int_eq(test_redis_int(rc, "ZCARD claims:{c}memberpay:due"), 2);
    redisReply *info = redisCommand(rc, "HGET claims:{c}remit:info %s", ids[A]);
    ck_assert_ptr_nonnull(info);
    char want_info[64];
    snprintf(want_info, sizeof want_info, "P|" NPI_A "|%lld", plan_paid(A));
    ck_assert_str_eq(info->str, want_info);
    freeReplyObject(info);
    info = redisCommand(rc, "HGET claims:{c}remit:info %s", ids[E]);
    ck_assert_ptr_nonnull(info);
    snprintf(want_info, sizeof want_info, "M|M1001|%lld", plan_paid(E));
    ck_assert_str_eq(info->str, want_info);
    freeReplyObject(info);

    /* The cycle: the four provider-payee claims. */
    char *run = test_call(&server, "POST", "/v1/remittances/run", staff, NULL, 201);
    snprintf(cycle_id, sizeof cycle_id, "%s", test_json_str(run, "cycle_id"));
    ck_assert_str_eq(test_json_str(run, "date"), today);
    ck_assert_str_eq(test_json_str(run, "claims"), "4");
    ck_assert_str_eq(test_json_str(run, "total"),
                     money(plan_paid(A) + plan_paid(B) + plan_paid(F) + plan_paid(C)));
    free(run);
    /* Nothing is due any more: every claim moved into the cycle. */
    ck_assert_int_eq(test_redis_int(rc, "EXISTS claims:{c}remit:due claims:{c}memberpay:due "
                                        "claims:{c}remit:info"),
                     0);
    redisFree(rc);
    char path[128];
    snprintf(path, sizeof path, "/v1/remittances?npi=" NPI_A "&date=%s", today);
    struct test_response res;
    test_api(&server, "GET", path, staff, NULL, NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    char ct[64];
    ck_assert(test_response_header(&res, "Content-Type", ct, sizeof ct));
    ck_assert_str_eq(ct, "application/edi-x12");
    edi_a = strdup(res.body);
    test_response_free(&res);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
    for (int k = 0; k < N_CLAIMS; k++)
        free(bodies[k]);
    free(edi_a);
}

START_TEST(test_835_of_npi_a_balances_and_matches_the_decisions)
{
    char out[1024];
    const int claims[] = {A, B, F};
    int rc = check_835(edi_a, NPI_A, claims, 3, out, sizeof out);
    ck_assert_msg(rc == 0, "check_835 exit %d: %s", rc, out);
    char want[160];
    snprintf(want, sizeof want, "835 ok: 1 transactions, 3 claims, 4 lines, paid %s\n",
             money(plan_paid(A) + plan_paid(B) + plan_paid(F)));
    ck_assert_str_eq(out, want);
    ck_assert_int_gt(plan_paid(A), 0);
    if (getenv("REMIT_PRINT_835"))
        fputs(edi_a, stderr);
    /* The denied claim is there with status 4 and nothing paid. */
    char clp[128];
    snprintf(clp, sizeof clp, "CLP*%s*4*90*0*", ids[F]);
    ck_assert_ptr_nonnull(strstr(edi_a, clp));
}
END_TEST

START_TEST(test_835_of_npi_b_holds_only_the_assigned_claim)
{
    char path[128], out[1024];
    snprintf(path, sizeof path, "/v1/remittances?npi=" NPI_B "&date=%s", today);
    char *edi = test_call(&server, "GET", path, provider_b, NULL, 200);
    const int claims[] = {C};
    int rc = check_835(edi, NPI_B, claims, 1, out, sizeof out);
    ck_assert_msg(rc == 0, "check_835 exit %d: %s", rc, out);
    char want[160];
    snprintf(want, sizeof want, "835 ok: 1 transactions, 1 claims, 1 lines, paid %s\n",
             money(plan_paid(C)));
    ck_assert_str_eq(out, want);
    /* Member-payee claims are in no 835. */
    ck_assert_ptr_null(strstr(edi, ids[D]));
    ck_assert_ptr_null(strstr(edi_a, ids[D]));
    ck_assert_ptr_null(strstr(edi_a, ids[E]));
    free(edi);
}
END_TEST

START_TEST(test_the_checker_fails_a_tampered_835)
{
    /* The independent checker is not a rubber stamp: one cent off in the
     * payment total is found. */
    char *bpr = strstr(edi_a, "BPR*I*");
    ck_assert_ptr_nonnull(bpr);
    char *tampered = malloc(strlen(edi_a) + 8);
    ck_assert_ptr_nonnull(tampered);
    size_t head = (size_t)(bpr - edi_a) + 6;
    const char *rest = strchr(bpr + 6, '*');
    snprintf(tampered, strlen(edi_a) + 8, "%.*s%s%s", (int)head, edi_a,
             money(plan_paid(A) + plan_paid(B) + plan_paid(F) + 1), rest);
    char out[1024];
    const int claims[] = {A, B, F};
    ck_assert_int_eq(check_835(tampered, NPI_A, claims, 3, out, sizeof out), 1);
    long long paid = plan_paid(A) + plan_paid(B) + plan_paid(F);
    char want[160];
    snprintf(want, sizeof want,
             "ST 0001: BPR02 = %lld cents, \u03a3 CLP04 \u2212 \u03a3 PLB = %lld\n", paid + 1,
             paid);
    ck_assert_str_eq(out, want);
    free(tampered);
}
END_TEST

START_TEST(test_member_payee_claims_are_on_the_member_list)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/remittances/%s/members", cycle_id);
    char *b = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(b, "cycle_id"), cycle_id);
    ck_assert_str_eq(test_json_str(b, "claims"), "2");
    ck_assert_str_eq(test_json_str(b, "total"), money(plan_paid(D) + plan_paid(E)));
    ck_assert_int_eq(test_json_len(b, "payments"), 2);
    int d = strcmp(test_json_str(b, "payments.0.claim_id"), ids[D]) == 0 ? 0 : 1;
    char p[64];
    snprintf(p, sizeof p, "payments.%d.claim_id", d);
    ck_assert_str_eq(test_json_str(b, p), ids[D]);
    snprintf(p, sizeof p, "payments.%d.member_id", d);
    ck_assert_str_eq(test_json_str(b, p), "M7001");
    snprintf(p, sizeof p, "payments.%d.amount", d);
    ck_assert_str_eq(test_json_str(b, p), money(plan_paid(D)));
    snprintf(p, sizeof p, "payments.%d.claim_id", 1 - d);
    ck_assert_str_eq(test_json_str(b, p), ids[E]);
    snprintf(p, sizeof p, "payments.%d.member_id", 1 - d);
    ck_assert_str_eq(test_json_str(b, p), "M1001");
    snprintf(p, sizeof p, "payments.%d.amount", 1 - d);
    ck_assert_str_eq(test_json_str(b, p), money(plan_paid(E)));
    free(b);
    /* Staff only; an unknown cycle is 404. */
    free(test_call(&server, "GET", path, provider_a, NULL, 404));
    free(test_call(&server, "GET", "/v1/remittances/20200101-999/members", staff, NULL, 404));
}
END_TEST

START_TEST(test_a_provider_reads_only_its_own_npi)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/remittances?npi=" NPI_A "&date=%s", today);
    char *own = test_call(&server, "GET", path, provider_a, NULL, 200);
    ck_assert_str_eq(own, edi_a); /* rebuilt the same, byte for byte */
    free(own);
    char *other = test_call(&server, "GET", path, provider_b, NULL, 404);
    ck_assert_str_eq(test_json_str(other, "error.code"), "not_found");
    free(other);
    /* No cycle on that date. */
    snprintf(path, sizeof path, "/v1/remittances?npi=" NPI_A "&date=%s", yesterday);
    free(test_call(&server, "GET", path, staff, NULL, 404));
    /* The list: a provider sees its own cycles, its own payment only. */
    char *list = test_call(&server, "GET", "/v1/remittances", provider_a, NULL, 200);
    ck_assert_int_eq(test_json_len(list, "cycles"), 1);
    ck_assert_str_eq(test_json_str(list, "cycles.0.cycle_id"), cycle_id);
    ck_assert_str_eq(test_json_str(list, "cycles.0.date"), today);
    ck_assert_str_eq(test_json_str(list, "cycles.0.claims"), "3");
    ck_assert_str_eq(test_json_str(list, "cycles.0.total"),
                     money(plan_paid(A) + plan_paid(B) + plan_paid(F)));
    ck_assert_int_eq(test_json_len(list, "cycles.0.payees"), 1);
    ck_assert_str_eq(test_json_str(list, "cycles.0.payees.0.npi"), NPI_A);
    ck_assert_str_eq(test_json_str(list, "cycles.0.member_claims"), "");
    free(list);
}
END_TEST

START_TEST(test_reads_of_the_835_are_audited)
{
    for (int k = A; k <= F; k++) {
        char path[320];
        snprintf(path, sizeof path, "/v1/claims/%s/audit", ids[k]);
        char *b = test_call(&server, "GET", path, staff, NULL, 200);
        ck_assert_ptr_nonnull(strstr(b, "\"action\":\"remittance.read\""));
        free(b);
    }
}
END_TEST

START_TEST(test_bad_queries_and_roles_are_refused)
{
    char *b =
        test_call(&server, "GET", "/v1/remittances?npi=12345&date=2026-12-01", staff, NULL, 422);
    ck_assert_str_eq(test_json_str(b, "error.code"), "validation_failed");
    ck_assert_str_eq(test_json_str(b, "error.message"), "npi must be 10 digits");
    free(b);
    b = test_call(&server, "GET", "/v1/remittances?npi=" NPI_A "&date=2026-02-30", staff, NULL,
                  422);
    ck_assert_str_eq(test_json_str(b, "error.message"), "date must be a date YYYY-MM-DD");
    free(b);
    b = test_call(&server, "GET", "/v1/remittances?date=2026-12-01", staff, NULL, 422);
    ck_assert_str_eq(test_json_str(b, "error.message"),
                     "npi and date go together (the 835 of that payee on that date)");
    free(b);
    free(test_call(&server, "GET", "/v1/remittances", member, NULL, 403));
    free(test_call(&server, "POST", "/v1/remittances/run", provider_a, NULL, 403));
    free(test_call(&server, "GET", "/v1/remittances", NULL, NULL, 401));
}
END_TEST

/* Last: it closes a second cycle. */
START_TEST(test_a_second_run_takes_nothing)
{
    char *run = test_call(&server, "POST", "/v1/remittances/run", staff, NULL, 201);
    ck_assert_str_ne(test_json_str(run, "cycle_id"), cycle_id);
    ck_assert_str_eq(test_json_str(run, "date"), today);
    ck_assert_str_eq(test_json_str(run, "claims"), "0");
    ck_assert_str_eq(test_json_str(run, "total"), "0.00");
    char second[40];
    snprintf(second, sizeof second, "%s", test_json_str(run, "cycle_id"));
    free(run);
    char *list = test_call(&server, "GET", "/v1/remittances", staff, NULL, 200);
    ck_assert_int_eq(test_json_len(list, "cycles"), 2);
    ck_assert_str_eq(test_json_str(list, "cycles.0.cycle_id"), cycle_id);
    ck_assert_str_eq(test_json_str(list, "cycles.0.claims"), "4");
    ck_assert_str_eq(test_json_str(list, "cycles.0.member_claims"), "2");
    ck_assert_int_eq(test_json_len(list, "cycles.0.payees"), 2);
    ck_assert_str_eq(test_json_str(list, "cycles.0.payees.0.npi"), NPI_B);
    ck_assert_str_eq(test_json_str(list, "cycles.0.payees.1.npi"), NPI_A);
    ck_assert_str_eq(test_json_str(list, "cycles.1.cycle_id"), second);
    ck_assert_str_eq(test_json_str(list, "cycles.1.claims"), "0");
    ck_assert_str_eq(test_json_str(list, "cycles.1.member_claims"), "0");
    ck_assert_int_eq(test_json_len(list, "cycles.1.payees"), 0);
    free(list);
    /* The date's 835 is still the first cycle's alone; cycle_id narrows it. */
    char path[160];
    snprintf(path, sizeof path, "/v1/remittances?npi=" NPI_A "&date=%s", today);
    char *edi = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(edi, edi_a);
    free(edi);
    snprintf(path, sizeof path, "/v1/remittances?npi=" NPI_A "&date=%s&cycle_id=%s", today,
             cycle_id);
    edi = test_call(&server, "GET", path, provider_a, NULL, 200);
    ck_assert_str_eq(edi, edi_a);
    free(edi);
    snprintf(path, sizeof path, "/v1/remittances?npi=" NPI_A "&date=%s&cycle_id=%s", today, second);
    free(test_call(&server, "GET", path, provider_a, NULL, 404));
    snprintf(path, sizeof path, "/v1/remittances?npi=" NPI_A "&date=%s&cycle_id=x-1", today);
    char *bad = test_call(&server, "GET", path, staff, NULL, 422);
    ck_assert_str_eq(test_json_str(bad, "error.message"), "cycle_id is not a cycle id");
    free(bad);
}
END_TEST

/* The scheduled cycle: two more processes configured for 00:00 UTC (long
 * past) start on the same Redis; exactly one of them closes the day's
 * cycle, which takes the claim finalized since. Last: it adds a cycle. */
START_TEST(test_the_scheduled_cycle_runs_in_exactly_one_process)
{
    static char g_id[40]; /* a claim of its own */
    char body[1024];
    snprintf(
        body, sizeof body,
        "{\"type\":\"medical\",\"member_id\":\"M7001\"," PATIENT_GRACE ","
        "\"provider\":{\"npi\":\"" NPI_A
        "\",\"name\":\"Bay Clinic\",\"network\":\"in\",\"facility\":false},"
        "\"diagnosis_codes\":[\"M54.5\"],\"lines\":["
        "{\"service_date\":\"%s\",\"procedure_code\":\"99213\",\"units\":1,\"charge\":110.00}]}",
        service);
    char *res = test_call(&server, "POST", "/v1/claims", staff, body, 202);
    snprintf(g_id, sizeof g_id, "%s", test_json_str(res, "claim_id"));
    free(res);
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s", g_id);
    for (int i = 0;; i++) {
        ck_assert_int_lt(i, 1000);
        char *b = test_call(&server, "GET", path, staff, NULL, 200);
        bool done = strcmp(test_json_str(b, "status"), "approved") == 0;
        free(b);
        if (done)
            break;
        test_sleep_ms(20);
    }
    char dir[256];
    test_make_temp_dir(dir, "remit-sched");
    const char *cfg = test_write_file(
        dir, "claimsd.json", "{\"rate_limits\": null, \"payment_cycle\": {\"time\": \"00:00\"}}");
    struct test_claimsd more[2];
    for (int i = 0; i < 2; i++)
        test_claimsd_start_admin(&more[i], redis.url, ADMIN,
                                 (const char *const[]){"--config", cfg, "--workers", "0", NULL});
    /* Each logs what its first tick found. */
    char closed[160], nothing[160];
    snprintf(closed, sizeof closed, "the scheduled payment cycle of %s closed", today);
    snprintf(nothing, sizeof nothing, "the scheduled payment cycle of %s: already run", today);
    int n_closed = 0;
    for (int i = 0; i < 2; i++) {
        for (int w = 0;; w++) {
            char *log = test_claimsd_log(&more[i]);
            bool c = strstr(log, closed) != NULL, n = strstr(log, nothing) != NULL;
            free(log);
            if (c || n) {
                n_closed += c;
                break;
            }
            ck_assert_msg(w < 500, "claimsd %d did not run its scheduled tick", i);
            test_sleep_ms(20);
        }
    }
    ck_assert_int_eq(n_closed, 1);
    char *list = test_call(&server, "GET", "/v1/remittances", staff, NULL, 200);
    ck_assert_int_eq(test_json_len(list, "cycles"), 3);
    ck_assert_str_eq(test_json_str(list, "cycles.2.date"), today);
    ck_assert_str_eq(test_json_str(list, "cycles.2.claims"), "1");
    ck_assert_str_eq(test_json_str(list, "cycles.2.member_claims"), "0");
    ck_assert_str_eq(test_json_str(list, "cycles.2.payees.0.npi"), NPI_A);
    free(list);
    for (int i = 0; i < 2; i++)
        test_claimsd_stop_clean(&more[i]);
    test_remove_tree(dir);
}
END_TEST

/* ---- configuration: payment_cycle ---- */

START_TEST(test_payment_cycle_defaults_and_times)
{
    struct config cfg;
    char err[CONFIG_ERR_LEN];
    config_defaults(&cfg);
    ck_assert_int_eq(cfg.payment_cycle.minute_of_day, 18 * 60);
    ck_assert_str_eq(cfg.payment_cycle.payer_name, "CLAIMS OFFICE");
    ck_assert_str_eq(cfg.payment_cycle.payer_id, "1000000000");
    ck_assert_int_eq(test_load_config("{\"payment_cycle\": {\"time\": \"06:30\", \"payer_name\": "
                                      "\"ACME HEALTH PLAN\", \"payer_id\": \"1234567890\"}}",
                                      &cfg, err),
                     0);
    ck_assert_int_eq(cfg.payment_cycle.minute_of_day, 6 * 60 + 30);
    ck_assert_str_eq(cfg.payment_cycle.payer_name, "ACME HEALTH PLAN");
    ck_assert_str_eq(cfg.payment_cycle.payer_id, "1234567890");
    ck_assert_int_eq(test_load_config("{\"payment_cycle\": {\"time\": null}}", &cfg, err), 0);
    ck_assert_int_eq(cfg.payment_cycle.minute_of_day, -1);
    ck_assert_int_eq(config_parse_time_of_day("00:00"), 0);
    ck_assert_int_eq(config_parse_time_of_day("23:59"), 23 * 60 + 59);
    ck_assert_int_eq(config_parse_time_of_day("24:00"), -1);
    ck_assert_int_eq(config_parse_time_of_day("12:60"), -1);
    ck_assert_int_eq(config_parse_time_of_day("6:30"), -1);
    ck_assert_int_eq(config_parse_time_of_day("06:30:00"), -1);
}
END_TEST

START_TEST(test_payment_cycle_errors_name_the_key)
{
    struct config cfg;
    char err[CONFIG_ERR_LEN];
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"{\"payment_cycle\": {\"time\": \"24:00\"}}",
         "key \"payment_cycle.time\" must be \"HH:MM\" (UTC) or null"},
        {"{\"payment_cycle\": {\"time\": 1800}}",
         "key \"payment_cycle.time\" must be \"HH:MM\" (UTC) or null"},
        {"{\"payment_cycle\": {\"when\": \"18:00\"}}", "unknown key \"payment_cycle.when\""},
        {"{\"payment_cycle\": {\"payer_id\": \"123456789\"}}",
         "key \"payment_cycle.payer_id\" must be \"1\" and the payer's 9-digit EIN"},
        {"{\"payment_cycle\": {\"payer_state\": \"Florida\"}}",
         "key \"payment_cycle.payer_state\" is too long"},
        {"{\"payment_cycle\": {\"payer_city\": \"\"}}",
         "the payer's name, address, city, 2-letter state, zip and phone in \"payment_cycle\" may "
         "not be empty"},
        {"{\"payment_cycle\": \"18:00\"}", "key \"payment_cycle\" must be an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ck_assert_int_eq(test_load_config(cases[i].text, &cfg, err), -1);
        const char *msg = strstr(err, ": ");
        ck_assert_msg(msg != NULL, "%s", err);
        ck_assert_str_eq(msg + 2, cases[i].message);
    }
}
END_TEST

/* ---- claims on 16 shards (issue 12) ---- */

#define FAMILIES 40

/* The payment ("P|npi|cents" or "M|member|cents") the commit left for a
 * claim on its shard, "" while it is not final. */
static const char *due_info(redisContext *rc, const struct shard_layout *layout,
                            const char *claim_id, char out[96])
{
    redisReply *r = redisCommand(rc, "HGET claims:%sremit:info %s",
                                 layout->tag[queue_shard_of_claim_id(layout, claim_id)], claim_id);
    ck_assert_ptr_nonnull(r);
    snprintf(out, 96, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return out;
}

/* 40 families, each with a provider-payee claim (in network) and a
 * member-payee one (pharmacy), on the families' shards: one cycle takes
 * every claim of every shard once, with the amounts the commits recorded. */
START_TEST(test_one_cycle_pays_the_claims_of_every_shard_once)
{
    struct test_redis r16;
    struct test_claimsd d;
    test_redis_start(&r16);
    char dir[256];
    test_make_temp_dir(dir, "remit-shards");
    const char *cfg = test_write_file(dir, "claimsd.json",
                                      "{\"rate_limits\": null, \"shards\": 16,"
                                      " \"payment_cycle\": {\"time\": null}}");
    int pinned = test_claimsd_shards;
    test_claimsd_shards = 0; /* this one runs on cfg's 16 */
    test_claimsd_start_admin(&d, r16.url, ADMIN, (const char *const[]){"--config", cfg, NULL});
    test_claimsd_shards = pinned;
    test_put_sample_enrollment(&d, ADMIN, "G100", "");
    struct shard_layout layout;
    ck_assert_int_eq(queue_shard_layout_init(&layout, 16), 0);
    char service_day[16];
    day_text(time(NULL) - 3 * 86400, service_day);
    static char prov[FAMILIES][40], pharm[FAMILIES][40];
    for (int i = 0; i < FAMILIES; i++) {
        char member_id[16], body[2048];
        struct test_response res;
        snprintf(member_id, sizeof member_id, "M9%03d", i);
        test_put_g100_employee(&d, ADMIN, member_id, "Grace", "Kim", "1980-07-07", NULL, 201);
        snprintf(body, sizeof body,
                 "{\"type\":\"medical\",\"member_id\":\"%s\"," PATIENT_GRACE ","
                 "\"provider\":{\"npi\":\"" NPI_A "\",\"name\":\"Bay Clinic\",\"network\":\"in\","
                 "\"facility\":false},\"diagnosis_codes\":[\"M54.5\"],\"lines\":["
                 "{\"service_date\":\"%s\",\"procedure_code\":\"99214\",\"units\":1,"
                 "\"charge\":200.00}]}",
                 member_id, service_day);
        test_api(&d, "POST", "/v1/claims", ADMIN, body, NULL, &res);
        ck_assert_msg(res.status == 202, "%ld %s", res.status, res.body);
        snprintf(prov[i], sizeof prov[i], "%s", test_json_str(res.body, "claim_id"));
        test_response_free(&res);
        snprintf(body, sizeof body,
                 "{\"type\":\"pharmacy\",\"member_id\":\"%s\"," PATIENT_GRACE ","
                 "\"pharmacy\":{\"name\":\"Corner Drug\",\"network\":\"in\"},"
                 "\"ndc\":\"00071015523\",\"fill_date\":\"%s\",\"drug_name\":\"Brand tablet\","
                 "\"quantity\":30,\"days_supply\":30,\"charge\":150.00}",
                 member_id, service_day);
        test_api(&d, "POST", "/v1/claims", ADMIN, body, NULL, &res);
        ck_assert_msg(res.status == 202, "%ld %s", res.status, res.body);
        snprintf(pharm[i], sizeof pharm[i], "%s", test_json_str(res.body, "claim_id"));
        test_response_free(&res);
    }
    /* Final: each claim due on its own shard with its payment. Every family
     * files the same claims, paid after a copay (no deductible): each pays
     * the same, whatever order its two claims are decided in. */
    redisContext *rc = test_redis_connect(&r16);
    char first_p[96] = "", first_m[96] = "", info[96];
    bool shard_used[16] = {false};
    for (int i = 0; i < FAMILIES; i++) {
        for (int k = 0; k < 2; k++) {
            const char *id = k ? pharm[i] : prov[i];
            for (int waited = 0; due_info(rc, &layout, id, info)[0] == '\0'; waited += 20) {
                ck_assert_msg(waited < 60000, "claim %s was not final within 60 s", id);
                test_sleep_ms(20);
            }
            char *first = k ? first_m : first_p;
            if (!first[0])
                snprintf(first, 96, "%s", info);
            ck_assert_str_eq(strrchr(info, '|'), strrchr(first, '|'));
            ck_assert_int_eq(info[0], k ? 'M' : 'P');
            shard_used[queue_shard_of_claim_id(&layout, id)] = true;
        }
    }
    int shards = 0;
    for (int s = 0; s < 16; s++)
        shards += shard_used[s];
    ck_assert_int_ge(shards, 12);
    ck_assert(strncmp(first_p, "P|" NPI_A "|", 13) == 0);
    long long paid_p = atoll(first_p + 13);
    ck_assert_msg(strncmp(first_m, "M|M9", 4) == 0, "%s", first_m);
    long long paid_m = atoll(strrchr(first_m, '|') + 1);
    ck_assert_int_eq(paid_p, 12000); /* 99214: 145.00 allowed, 25.00 copay */
    ck_assert_int_eq(paid_m, 10000); /* preferred brand: 30 × 4.50, 35.00 copay */

    struct test_response res;
    test_api(&d, "POST", "/v1/remittances/run", ADMIN, NULL, NULL, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    char cycle[40];
    snprintf(cycle, sizeof cycle, "%s", test_json_str(res.body, "cycle_id"));
    ck_assert_str_eq(test_json_str(res.body, "claims"), "40");
    ck_assert_str_eq(test_json_str(res.body, "total"), money(FAMILIES * paid_p));
    test_response_free(&res);
    test_api(&d, "GET", "/v1/remittances", ADMIN, NULL, NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    ck_assert_int_eq(test_json_len(res.body, "cycles"), 1);
    ck_assert_str_eq(test_json_str(res.body, "cycles.0.cycle_id"), cycle);
    ck_assert_str_eq(test_json_str(res.body, "cycles.0.member_claims"), "40");
    ck_assert_str_eq(test_json_str(res.body, "cycles.0.member_total"), money(FAMILIES * paid_m));
    ck_assert_int_eq(test_json_len(res.body, "cycles.0.payees"), 1);
    ck_assert_str_eq(test_json_str(res.body, "cycles.0.payees.0.npi"), NPI_A);
    ck_assert_str_eq(test_json_str(res.body, "cycles.0.payees.0.claims"), "40");
    ck_assert_str_eq(test_json_str(res.body, "cycles.0.payees.0.total"), money(FAMILIES * paid_p));
    test_response_free(&res);

    /* The cycle's claims: each of ours exactly once; nothing left due. */
    redisReply *c = redisCommand(rc, "HGET claims:%sremit:claims %s", layout.tag[0], cycle);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->type, REDIS_REPLY_STRING);
    ck_assert_int_eq(test_json_len(c->str, "payees.0.claims"), FAMILIES);
    ck_assert_int_eq(test_json_len(c->str, "members"), FAMILIES);
    for (int i = 0; i < FAMILIES; i++) {
        char needle[48];
        snprintf(needle, sizeof needle, "\"%s\"", prov[i]);
        const char *at = strstr(c->str, needle);
        ck_assert_msg(at && !strstr(at + 1, needle), "claim %s not once in the cycle", prov[i]);
        snprintf(needle, sizeof needle, "\"%s\"", pharm[i]);
        at = strstr(c->str, needle);
        ck_assert_msg(at && !strstr(at + 1, needle), "claim %s not once in the cycle", pharm[i]);
    }
    freeReplyObject(c);
    for (int s = 0; s < 16; s++)
        ck_assert_int_eq(test_redis_int(rc,
                                        "EXISTS claims:%sremit:due claims:%smemberpay:due "
                                        "claims:%sremit:info",
                                        layout.tag[s], layout.tag[s], layout.tag[s]),
                         0);
    redisFree(rc);
    test_claimsd_stop_clean(&d);
    test_redis_stop(&r16);
    test_remove_tree(r16.dir);
    test_remove_tree(dir);
}
END_TEST

static Suite *remit_suite(void)
{
    Suite *s = suite_create("remit");
    TCase *tc = tcase_create("remit");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_835_of_npi_a_balances_and_matches_the_decisions);
    tcase_add_test(tc, test_835_of_npi_b_holds_only_the_assigned_claim);
    tcase_add_test(tc, test_the_checker_fails_a_tampered_835);
    tcase_add_test(tc, test_member_payee_claims_are_on_the_member_list);
    tcase_add_test(tc, test_a_provider_reads_only_its_own_npi);
    tcase_add_test(tc, test_reads_of_the_835_are_audited);
    tcase_add_test(tc, test_bad_queries_and_roles_are_refused);
    tcase_add_test(tc, test_a_second_run_takes_nothing);
    tcase_add_test(tc, test_the_scheduled_cycle_runs_in_exactly_one_process);
    suite_add_tcase(s, tc);
    TCase *sharded = tcase_create("sharded");
    tcase_set_timeout(sharded, 180);
    tcase_add_test(sharded, test_one_cycle_pays_the_claims_of_every_shard_once);
    suite_add_tcase(s, sharded);
    TCase *config = tcase_create("config");
    tcase_add_test(config, test_payment_cycle_defaults_and_times);
    tcase_add_test(config, test_payment_cycle_errors_name_the_key);
    suite_add_tcase(s, config);
    return s;
}

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    return test_run_suite(remit_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
