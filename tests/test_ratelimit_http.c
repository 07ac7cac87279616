/*
 * Rate limits end to end (docs/configuration.md "rate_limits"): a real
 * claimsd with a configuration whose buckets do not refill during a test
 * (0.001 a second), a real redis-server.
 *
 * Per token, not per address: two member tokens from the same address have
 * a bucket each. Staff have no limit by default. Requests answered 401 take
 * from the address's bucket and get 429 once it is empty; authenticated
 * requests from that address still pass. Every 429 carries the exact
 * Retry-After and is counted on /metrics.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/harness.h"

#define ADMIN "ratelimit-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"

static struct test_redis redis;
static struct test_claimsd server;
static char cfg_dir[256];
static char member_a[80], member_b[80], provider[80], staff[80];

/* One token every 1000 s: nothing comes back while a test runs. */
static const char CONFIG[] = "{\"rate_limits\": {"
                             "\"member\": {\"per_second\": 0.001, \"burst\": 3},"
                             "\"provider\": {\"per_second\": 0.001, \"burst\": 2},"
                             "\"address\": {\"per_second\": 0.001, \"burst\": 4}}}";

/* When the test's first request could be sent (end of setup): no bucket was
 * touched before it. */
static struct timespec started;

static void setup(void)
{
    test_redis_start(&redis);
    test_make_temp_dir(cfg_dir, "ratecfg");
    const char *cfg = test_write_file(cfg_dir, "claimsd.json", CONFIG);
    test_claimsd_start_admin(&server, redis.url, ADMIN,
                             (const char *const[]){"--workers", "0", "--config", cfg, NULL});
    test_put_sample_enrollment(&server, ADMIN, "G100 G200", "M1001 M2001");
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", member_a);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M2001\"}", member_b);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", provider);
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    clock_gettime(CLOCK_MONOTONIC, &started);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
    test_remove_tree(cfg_dir);
}

/* The value of a metric line "name{labels} value"; -1 when absent. */
static long long limited(const char *class)
{
    char name[128];
    snprintf(name, sizeof name, "claimsd_rate_limited_total{class=\"%s\"}", class);
    return test_metric(&server, name);
}

/* A 429 in API.md's shape, with the exact Retry-After and nothing personal.
 * One token comes back in 1000 s, so Retry-After is 1000 less the whole
 * seconds since the bucket's first request: 1000 while the test has run under
 * a second, and at least 1000 less the seconds since setup ended when it ran
 * longer (sign-ins hash passwords: seconds on a loaded machine). */
static void assert_rate_limited(const struct test_response *res)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ran = (long)(now.tv_sec - started.tv_sec) - (now.tv_nsec < started.tv_nsec);
    char retry_after[16];
    ck_assert(test_response_header(res, "Retry-After", retry_after, sizeof retry_after));
    long retry = atol(retry_after);
    char digits[16];
    snprintf(digits, sizeof digits, "%ld", retry);
    ck_assert_str_eq(retry_after, digits); /* a whole number of seconds, nothing else */
    ck_assert_int_le(retry, 1000);
    ck_assert_int_ge(retry, 1000 - ran);
    ck_assert_int_eq(res->status, 429);
    ck_assert_str_eq(test_json_str(res->body, "error.code"), "rate_limited");
    char message[64];
    snprintf(message, sizeof message, "too many requests; retry in %s s", retry_after);
    ck_assert_str_eq(test_json_str(res->body, "error.message"), message);
    ck_assert_ptr_null(strstr(res->body, "M1001"));
    ck_assert_ptr_null(strstr(res->body, "M2001"));
    char h[64];
    ck_assert(test_response_header(res, "Content-Type", h, sizeof h));
    ck_assert_ptr_nonnull(strstr(h, "application/json"));
    ck_assert(test_response_header(res, "X-Request-Id", h, sizeof h));
    ck_assert(!test_response_header(res, "WWW-Authenticate", h, sizeof h));
}

START_TEST(test_member_token_gets_its_burst_then_429_with_exact_retry_after)
{
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", member_a, NULL), 200);
    struct test_response res;
    test_api(&server, "GET", "/v1/claims", member_a, NULL, NULL, &res);
    /* 1 token in 1000 s; under a second has passed since the first request. */
    assert_rate_limited(&res);
    test_response_free(&res);
    /* Every route of the API is behind the same bucket. */
    ck_assert_int_eq(test_status(&server, "GET", "/v1/eligibility?member_id=M1001&date=2026-01-05",
                                 member_a, NULL),
                     429);
    /* The second member token, from the same address, has its own bucket. */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", member_b, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", member_b, NULL), 429);
    ck_assert_int_eq(limited("member"), 3);
    ck_assert_int_eq(limited("provider"), 0);
    ck_assert_int_eq(limited("address"), 0);
    ck_assert_int_eq(test_metric(&server, "claimsd_rate_limit_buckets{class=\"member\"}"), 2);
    /* Both ways of authenticating were limited: the first request of each
     * token asked Redis, the later ones came from the token cache. */
    ck_assert_int_gt(test_metric(&server, "claimsd_token_cache_hits_total"), 0);
    /* The log names the class and the token id (at most a line a second). */
    char *log = test_claimsd_log(&server);
    ck_assert_msg(strstr(log, "rate limited class=member token_id=") != NULL, "log: %s", log);
    free(log);
}
END_TEST

START_TEST(test_provider_has_its_own_class)
{
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", provider, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", provider, NULL), 200);
    struct test_response res;
    test_api(&server, "GET", "/v1/claims", provider, NULL, NULL, &res);
    assert_rate_limited(&res);
    test_response_free(&res);
    ck_assert_int_eq(limited("provider"), 1);
    ck_assert_int_eq(limited("member"), 0);
    /* Members are unaffected by a provider's bucket. */
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", member_a, NULL), 200);
}
END_TEST

/* CONFIG gives staff and admin no rule, as the defaults do (checked in
 * tests/test_ratelimit.c). */
START_TEST(test_staff_and_admin_without_a_rule_have_no_limit)
{
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", staff, NULL), 200);
    for (int i = 0; i < 30; i++)
        ck_assert_int_eq(test_status(&server, "GET", "/v1/queue", ADMIN, NULL), 200);
    ck_assert_int_eq(limited("staff"), 0);
    ck_assert_int_eq(limited("admin"), 0);
    ck_assert_int_eq(test_metric(&server, "claimsd_rate_limit_buckets{class=\"staff\"}"), 0);
    ck_assert_int_eq(test_metric(&server, "claimsd_rate_limit_buckets{class=\"admin\"}"), 0);
}
END_TEST

START_TEST(test_unauthenticated_requests_get_429_instead_of_401_after_the_address_burst)
{
    struct test_response res;
    /* No token, a malformed header, an unknown token (asked of Redis): all
     * failures of the same address. */
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", NULL, NULL), 401);
    ck_assert_int_eq(
        test_status(&server, "GET", "/v1/claims", "not-a-token-anyone-was-given", NULL), 401);
    test_api(&server, "GET", "/v1/claims", NULL, NULL, "Authorization: Basic Zm9vOmJhcg==", &res);
    ck_assert_int_eq(res.status, 401);
    test_response_free(&res);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/queue", NULL, NULL), 401);
    test_api(&server, "GET", "/v1/claims", NULL, NULL, NULL, &res);
    assert_rate_limited(&res);
    test_response_free(&res);
    ck_assert_int_eq(
        test_status(&server, "GET", "/v1/claims", "not-a-token-anyone-was-given", NULL), 429);
    /* Known tokens from the same address are limited by their own buckets. */
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", member_a, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", staff, NULL), 200);
    /* Health, readiness and metrics are never limited. */
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(test_status(&server, "GET", "/healthz", NULL, NULL), 200);
        ck_assert_int_eq(test_status(&server, "GET", "/readyz", NULL, NULL), 200);
    }
    ck_assert_int_eq(limited("address"), 2);
    ck_assert_int_eq(limited("member"), 0);
    ck_assert_int_eq(test_metric(&server, "claimsd_rate_limit_buckets{class=\"address\"}"), 1);
    /* A client's address is personal: the log line does not carry it. */
    char *log = test_claimsd_log(&server);
    const char *line = strstr(log, "rate limited class=address");
    ck_assert_msg(line != NULL, "log: %s", log);
    const char *end = strchr(line, '\n');
    ck_assert(end != NULL);
    ck_assert_msg(memmem(line, (size_t)(end - line), "127.0.0.1", 9) == NULL, "log: %s", log);
    free(log);
}
END_TEST

/* A failed sign-in and an ended or forged session cookie are failures of
 * the address like a bad token: guessing passwords across many usernames
 * from one address is slowed, not only five tries per username. */
START_TEST(test_failed_sign_ins_and_bad_cookies_draw_on_the_address_bucket)
{
    struct test_response res;
    for (int i = 0; i < 3; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"username\":\"nobody%d\",\"password\":\"%s\"}", i,
                 "wrong password 123");
        test_api(&server, "POST", "/v1/sessions", NULL, body, NULL, &res);
        ck_assert_int_eq(res.status, 401);
        ck_assert_str_eq(test_json_str(res.body, "error.code"), "invalid_credentials");
        test_response_free(&res);
    }
    char url[256];
    snprintf(url, sizeof url, "%s/v1/claims", server.base_url);
    const char *cookie[] = {"Cookie: claimsd_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                            NULL};
    ck_assert_int_eq(test_http("GET", url, cookie, NULL, &res), 0);
    ck_assert_int_eq(res.status, 401);
    test_response_free(&res);
    /* The address's burst of 4 is spent: the next failure of either kind is 429. */
    test_api(&server, "POST", "/v1/sessions", NULL,
             "{\"username\":\"nobody9\",\"password\":\"wrong password 123\"}", NULL, &res);
    assert_rate_limited(&res);
    test_response_free(&res);
    ck_assert_int_eq(test_http("GET", url, cookie, NULL, &res), 0);
    assert_rate_limited(&res);
    test_response_free(&res);
    ck_assert_int_eq(limited("address"), 2);
}
END_TEST

/* A sign-in session is limited by the role it grants, like a token. */
START_TEST(test_a_member_session_has_the_member_bucket)
{
    struct test_response res;
    test_api(&server, "POST", "/v1/invitations", ADMIN,
             "{\"role\":\"member\",\"member_id\":\"M1001\"}", NULL, &res);
    ck_assert_int_eq(res.status, 201);
    char body[256];
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"username\":\"luis.l\",\"password\":\"cobalt harbor lantern 42\"}",
             test_json_str(res.body, "code"));
    test_response_free(&res);
    test_api(&server, "POST", "/v1/accounts", NULL, body, NULL, &res);
    ck_assert_int_eq(res.status, 201);
    test_response_free(&res);
    test_api(&server, "POST", "/v1/sessions", NULL,
             "{\"username\":\"luis.l\",\"password\":\"cobalt harbor lantern 42\"}", NULL, &res);
    ck_assert_int_eq(res.status, 201);
    char set[256], cookie[300];
    ck_assert(test_response_header(&res, "Set-Cookie", set, sizeof set));
    test_response_free(&res);
    *strchr(set, ';') = '\0';
    snprintf(cookie, sizeof cookie, "Cookie: %s", set);
    char url[256];
    snprintf(url, sizeof url, "%s/v1/claims", server.base_url);
    const char *headers[] = {cookie, NULL};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(test_http("GET", url, headers, NULL, &res), 0);
        ck_assert_int_eq(res.status, 200);
        test_response_free(&res);
    }
    ck_assert_int_eq(test_http("GET", url, headers, NULL, &res), 0);
    assert_rate_limited(&res);
    test_response_free(&res);
    /* The member's API token has a bucket of its own. */
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims", member_a, NULL), 200);
    ck_assert_int_eq(limited("member"), 1);
}
END_TEST

START_TEST(test_metrics_list_every_class)
{
    const char *classes[] = {"member", "provider", "staff", "admin", "address"};
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        ck_assert_int_eq(limited(classes[i]), 0);
        char name[128];
        snprintf(name, sizeof name, "claimsd_rate_limit_evictions_total{class=\"%s\"}", classes[i]);
        ck_assert_int_eq(test_metric(&server, name), 0);
    }
    struct test_response res;
    test_api(&server, "GET", "/metrics", NULL, NULL, NULL, &res);
    ck_assert_ptr_nonnull(strstr(res.body, "# TYPE claimsd_rate_limited_total counter\n"));
    ck_assert_ptr_nonnull(strstr(res.body, "# TYPE claimsd_rate_limit_buckets gauge\n"));
    test_response_free(&res);
}
END_TEST

static Suite *ratelimit_http_suite(void)
{
    Suite *s = suite_create("ratelimit_http");
    TCase *tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_member_token_gets_its_burst_then_429_with_exact_retry_after);
    tcase_add_test(tc, test_provider_has_its_own_class);
    tcase_add_test(tc, test_staff_and_admin_without_a_rule_have_no_limit);
    tcase_add_test(tc,
                   test_unauthenticated_requests_get_429_instead_of_401_after_the_address_burst);
    tcase_add_test(tc, test_failed_sign_ins_and_bad_cookies_draw_on_the_address_bucket);
    tcase_add_test(tc, test_a_member_session_has_the_member_bucket);
    tcase_add_test(tc, test_metrics_list_every_class);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(ratelimit_http_suite(), CK_FORK_GETENV) ? 1 : 0;
}
