/*
 * The token buckets of common/ratelimit.c with an injected clock: the burst,
 * the exact Retry-After, refill, independent classes and keys, the bound on
 * memory, a class without a limit. The HTTP side is tests/test_ratelimit_http.c.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "ratelimit.h"
#include "config.h"

enum { C_SLOW, C_FAST, C_OFF, N_CLASSES };

/* slow: 1 token a second, burst 3; fast: 10 a second, burst 5; off. */
static const struct ratelimit_rule RULES[N_CLASSES] = {
    [C_SLOW] = {.per_second_milli = 1000, .burst = 3},
    [C_FAST] = {.per_second_milli = 10000, .burst = 5},
    [C_OFF] = {.per_second_milli = 0, .burst = 0},
};

static struct ratelimit *fresh(size_t capacity)
{
    struct ratelimit *rl = ratelimit_new(RULES, N_CLASSES, capacity);
    ck_assert_ptr_nonnull(rl);
    return rl;
}

static uint64_t refused(const struct ratelimit *rl, int class)
{
    struct ratelimit_stats s;
    ratelimit_stats(rl, class, &s);
    return s.refused;
}

static size_t entries(const struct ratelimit *rl, int class)
{
    struct ratelimit_stats s;
    ratelimit_stats(rl, class, &s);
    return s.entries;
}

START_TEST(test_burst_is_consumed_then_refused)
{
    struct ratelimit *rl = fresh(16);
    int retry = -1;
    for (int i = 0; i < 3; i++)
        ck_assert_msg(ratelimit_take(rl, C_SLOW, "k", 1000, &retry), "take %d", i);
    ck_assert_int_eq(retry, -1); /* untouched while allowed */
    ck_assert(!ratelimit_take(rl, C_SLOW, "k", 1000, &retry));
    ck_assert_int_eq(retry, 1);
    ck_assert(!ratelimit_take(rl, C_SLOW, "k", 1000, &retry));
    ck_assert_uint_eq(refused(rl, C_SLOW), 2);
    struct ratelimit_stats s;
    ratelimit_stats(rl, C_SLOW, &s);
    ck_assert_uint_eq(s.allowed, 3);
    ck_assert_uint_eq(s.entries, 1);
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_retry_after_is_the_exact_wait_rounded_up)
{
    /* 0.001 a second: one token every 1000 s. */
    struct ratelimit_rule slow = {.per_second_milli = 1, .burst = 2};
    struct ratelimit *rl = ratelimit_new(&slow, 1, 4);
    int retry = 0;
    ck_assert(ratelimit_take(rl, 0, "k", 0, &retry));
    ck_assert(ratelimit_take(rl, 0, "k", 0, &retry));
    ck_assert(!ratelimit_take(rl, 0, "k", 0, &retry));
    ck_assert_int_eq(retry, 1000);
    /* 1 ms later a millionth has come back: 999.999 s, rounded up. */
    ck_assert(!ratelimit_take(rl, 0, "k", 1, &retry));
    ck_assert_int_eq(retry, 1000);
    /* 1 ms past a whole second: 998.999 s → 999. */
    ck_assert(!ratelimit_take(rl, 0, "k", 1001, &retry));
    ck_assert_int_eq(retry, 999);
    /* Exactly 1 s before the token: 1. */
    ck_assert(!ratelimit_take(rl, 0, "k", 999000, &retry));
    ck_assert_int_eq(retry, 1);
    /* 1 ms before: still 1 (never 0). */
    ck_assert(!ratelimit_take(rl, 0, "k", 999999, &retry));
    ck_assert_int_eq(retry, 1);
    /* On time: the token is there, and the next one is 1000 s away. */
    ck_assert(ratelimit_take(rl, 0, "k", 1000000, &retry));
    ck_assert(!ratelimit_take(rl, 0, "k", 1000000, &retry));
    ck_assert_int_eq(retry, 1000);
    ratelimit_free(rl);

    /* 3 a second: a token every 333.33 ms; after one at 0, 334 ms → 1 s. */
    struct ratelimit_rule three = {.per_second_milli = 3000, .burst = 1};
    rl = ratelimit_new(&three, 1, 4);
    ck_assert(ratelimit_take(rl, 0, "k", 0, &retry));
    ck_assert(!ratelimit_take(rl, 0, "k", 333, &retry));
    ck_assert_int_eq(retry, 1);
    ck_assert(ratelimit_take(rl, 0, "k", 334, &retry));
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_refill_after_elapsed_time_up_to_the_burst)
{
    struct ratelimit *rl = fresh(16);
    int retry = 0;
    for (int i = 0; i < 3; i++)
        ck_assert(ratelimit_take(rl, C_SLOW, "k", 5000, &retry));
    ck_assert(!ratelimit_take(rl, C_SLOW, "k", 5999, &retry));
    ck_assert_int_eq(retry, 1);
    /* One token a second: at +1 s exactly one. */
    ck_assert(ratelimit_take(rl, C_SLOW, "k", 6000, &retry));
    ck_assert(!ratelimit_take(rl, C_SLOW, "k", 6000, &retry));
    /* +2.5 s: two whole tokens and half of a third. */
    ck_assert(ratelimit_take(rl, C_SLOW, "k", 8500, &retry));
    ck_assert(ratelimit_take(rl, C_SLOW, "k", 8500, &retry));
    ck_assert(!ratelimit_take(rl, C_SLOW, "k", 8500, &retry));
    ck_assert_int_eq(retry, 1); /* 0.5 s, rounded up */
    /* A day idle: full again, no more than the burst. */
    int64_t later = 8500 + 86400000LL;
    for (int i = 0; i < 3; i++)
        ck_assert(ratelimit_take(rl, C_SLOW, "k", later, &retry));
    ck_assert(!ratelimit_take(rl, C_SLOW, "k", later, &retry));
    /* A clock that went back adds nothing. */
    ck_assert(!ratelimit_take(rl, C_SLOW, "k", later - 10000, &retry));
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_classes_and_keys_are_independent)
{
    struct ratelimit *rl = fresh(16);
    int retry = 0;
    for (int i = 0; i < 3; i++)
        ck_assert(ratelimit_take(rl, C_SLOW, "same", 0, &retry));
    ck_assert(!ratelimit_take(rl, C_SLOW, "same", 0, &retry));
    /* The same key in another class has its own bucket and rule. */
    for (int i = 0; i < 5; i++)
        ck_assert(ratelimit_take(rl, C_FAST, "same", 0, &retry));
    ck_assert(!ratelimit_take(rl, C_FAST, "same", 0, &retry));
    ck_assert_int_eq(retry, 1);
    /* Another key in the same class too. */
    for (int i = 0; i < 3; i++)
        ck_assert(ratelimit_take(rl, C_SLOW, "other", 0, &retry));
    ck_assert(!ratelimit_take(rl, C_SLOW, "other", 0, &retry));
    /* A prefix of a key is another key. */
    ck_assert(ratelimit_take(rl, C_SLOW, "othe", 0, &retry));
    ck_assert_uint_eq(refused(rl, C_SLOW), 2);
    ck_assert_uint_eq(refused(rl, C_FAST), 1);
    ck_assert_uint_eq(entries(rl, C_SLOW), 3);
    ck_assert_uint_eq(entries(rl, C_FAST), 1);
    /* Keys are cut at RATELIMIT_KEY_MAX bytes: what differs later is the same key. */
    char long_a[RATELIMIT_KEY_MAX + 10], long_b[RATELIMIT_KEY_MAX + 10];
    memset(long_a, 'x', sizeof long_a);
    memcpy(long_b, long_a, sizeof long_b);
    long_a[sizeof long_a - 1] = long_b[sizeof long_b - 1] = '\0';
    long_b[RATELIMIT_KEY_MAX + 2] = 'y';
    for (int i = 0; i < 3; i++)
        ck_assert(ratelimit_take(rl, C_SLOW, long_a, 0, &retry));
    ck_assert(!ratelimit_take(rl, C_SLOW, long_b, 0, &retry));
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_rate_zero_is_no_limit_and_stores_nothing)
{
    struct ratelimit *rl = fresh(16);
    int retry = -1;
    for (int i = 0; i < 10000; i++)
        ck_assert(ratelimit_take(rl, C_OFF, "k", 0, &retry));
    ck_assert_int_eq(retry, -1);
    ck_assert_uint_eq(entries(rl, C_OFF), 0);
    ck_assert_uint_eq(refused(rl, C_OFF), 0);
    ck_assert(!ratelimit_limited(rl, C_OFF));
    ck_assert(ratelimit_limited(rl, C_SLOW));
    /* An unknown class and no limiter at all: no limit. */
    ck_assert(ratelimit_take(rl, N_CLASSES, "k", 0, &retry));
    ck_assert(ratelimit_take(rl, -1, "k", 0, &retry));
    ck_assert(ratelimit_take(NULL, C_SLOW, "k", 0, &retry));
    ck_assert(!ratelimit_limited(NULL, C_SLOW));
    ratelimit_free(rl);
    ratelimit_free(NULL);
}
END_TEST

START_TEST(test_out_of_range_rules_are_refused)
{
    struct ratelimit_rule r = {.per_second_milli = 1000, .burst = 0};
    ck_assert_ptr_null(ratelimit_new(&r, 1, 4));
    r = (struct ratelimit_rule){.per_second_milli = -1, .burst = 1};
    ck_assert_ptr_null(ratelimit_new(&r, 1, 4));
    r = (struct ratelimit_rule){.per_second_milli = RATELIMIT_MAX_PER_SECOND_MILLI + 1, .burst = 1};
    ck_assert_ptr_null(ratelimit_new(&r, 1, 4));
    r = (struct ratelimit_rule){.per_second_milli = 1, .burst = RATELIMIT_MAX_BURST + 1};
    ck_assert_ptr_null(ratelimit_new(&r, 1, 4));
    r = (struct ratelimit_rule){.per_second_milli = 1, .burst = 1};
    ck_assert_ptr_null(ratelimit_new(&r, 1, 0));
    ck_assert_ptr_null(ratelimit_new(&r, 0, 4));
    ck_assert_ptr_null(ratelimit_new(&r, RATELIMIT_MAX_CLASSES + 1, 4));
    /* The largest values: a long idle time does not overflow. */
    r = (struct ratelimit_rule){.per_second_milli = RATELIMIT_MAX_PER_SECOND_MILLI,
                                .burst = RATELIMIT_MAX_BURST};
    struct ratelimit *rl = ratelimit_new(&r, 1, 4);
    ck_assert_ptr_nonnull(rl);
    int retry = 0;
    ck_assert(ratelimit_take(rl, 0, "k", 0, &retry));
    ck_assert(ratelimit_take(rl, 0, "k", INT64_MAX / 2, &retry));
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_rotating_keys_keep_the_table_bounded)
{
    struct ratelimit *rl = fresh(8);
    int retry = 0;
    char key[32];
    /* An attacker with 10,000 keys, all within the same millisecond. */
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
        ck_assert(ratelimit_take(rl, C_SLOW, key, 0, &retry));
        ck_assert_uint_le(entries(rl, C_SLOW), 8);
    }
    struct ratelimit_stats s;
    ratelimit_stats(rl, C_SLOW, &s);
    ck_assert_uint_eq(s.entries, 8);
    ck_assert_uint_eq(s.evicted, 10000 - 8); /* none was full again yet */
    /* The last 8 are still remembered: 2 tokens left each. */
    ck_assert(ratelimit_take(rl, C_SLOW, key, 0, &retry));
    ck_assert(ratelimit_take(rl, C_SLOW, key, 0, &retry));
    ck_assert(!ratelimit_take(rl, C_SLOW, key, 0, &retry));
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_full_buckets_are_dropped_as_time_passes)
{
    struct ratelimit *rl = fresh(100);
    int retry = 0;
    char key[32];
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ck_assert(ratelimit_take(rl, C_SLOW, key, 0, &retry));
    }
    ck_assert_uint_eq(entries(rl, C_SLOW), 50);
    /* 1 s later each has its token back: every call drops the oldest full
     * bucket, so a quiet key's calls empty the table of the idle ones. */
    for (int i = 0; i < 60; i++)
        ck_assert(ratelimit_take(rl, C_SLOW, "busy", 1000 + i * 1000, &retry));
    ck_assert_uint_eq(entries(rl, C_SLOW), 1);
    struct ratelimit_stats s;
    ratelimit_stats(rl, C_SLOW, &s);
    ck_assert_uint_eq(s.evicted, 0); /* full buckets carry nothing: not counted */
    /* A bucket not yet full stays (its owner is still limited). */
    for (int i = 0; i < 3; i++)
        ck_assert(ratelimit_take(rl, C_SLOW, "drained", 100000, &retry));
    ck_assert(ratelimit_take(rl, C_SLOW, "busy", 100500, &retry));
    ck_assert(!ratelimit_take(rl, C_SLOW, "drained", 100500, &retry));
    ratelimit_free(rl);
}
END_TEST

/* ---- the rate_limits section of the configuration ---- */

static void assert_rule(const struct config *cfg, enum config_rate_class c, int64_t milli,
                        int64_t burst)
{
    ck_assert_msg(cfg->rate_limits[c].per_second_milli == milli &&
                      cfg->rate_limits[c].burst == burst,
                  "%s: %lld/%lld, expected %lld/%lld", config_rate_class_name(c),
                  (long long)cfg->rate_limits[c].per_second_milli,
                  (long long)cfg->rate_limits[c].burst, (long long)milli, (long long)burst);
}

START_TEST(test_config_defaults_and_overrides)
{
    struct config cfg;
    config_defaults(&cfg);
    assert_rule(&cfg, CONFIG_RATE_MEMBER, 5000, 20);
    assert_rule(&cfg, CONFIG_RATE_PROVIDER, 50000, 200);
    assert_rule(&cfg, CONFIG_RATE_STAFF, 0, 0);
    assert_rule(&cfg, CONFIG_RATE_ADMIN, 0, 0);
    assert_rule(&cfg, CONFIG_RATE_ADDRESS, 1000, 20);
    /* The defaults make a valid limiter. */
    struct ratelimit *rl = ratelimit_new(cfg.rate_limits, CONFIG_RATE_CLASSES, 16);
    ck_assert_ptr_nonnull(rl);
    ratelimit_free(rl);

    char err[CONFIG_ERR_LEN];
    /* A class left out keeps its default; null or per_second 0 is no limit. */
    ck_assert_int_eq(
        test_load_config("{\"rate_limits\": {\"member\": {\"per_second\": 0.001, \"burst\": 3},"
                         "\"staff\": {\"per_second\": 100, \"burst\": 500},"
                         "\"address\": null, \"provider\": {\"per_second\": 0, \"burst\": 9}}}",
                         &cfg, err),
        0);
    assert_rule(&cfg, CONFIG_RATE_MEMBER, 1, 3);
    assert_rule(&cfg, CONFIG_RATE_PROVIDER, 0, 0);
    assert_rule(&cfg, CONFIG_RATE_STAFF, 100000, 500);
    assert_rule(&cfg, CONFIG_RATE_ADMIN, 0, 0);
    assert_rule(&cfg, CONFIG_RATE_ADDRESS, 0, 0);
    ck_assert_int_eq(
        test_load_config("{\"rate_limits\": {\"admin\": {\"per_second\": 2.5, \"burst\": 1}}}",
                         &cfg, err),
        0);
    assert_rule(&cfg, CONFIG_RATE_ADMIN, 2500, 1);
    assert_rule(&cfg, CONFIG_RATE_MEMBER, 5000, 20);
    /* null for the whole section: no limits at all. */
    ck_assert_int_eq(test_load_config("{\"rate_limits\": null}", &cfg, err), 0);
    for (int c = 0; c < CONFIG_RATE_CLASSES; c++)
        assert_rule(&cfg, (enum config_rate_class)c, 0, 0);
    ck_assert_int_eq(test_load_config("{\"rate_limits\": {}}", &cfg, err), 0);
    assert_rule(&cfg, CONFIG_RATE_PROVIDER, 50000, 200);
}
END_TEST

START_TEST(test_config_errors_name_the_key)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"{\"rate_limits\": {\"membr\": null}}", "unknown key \"rate_limits.membr\""},
        {"{\"rate_limits\": {\"member\": {\"per_second\": 1, \"burst\": 2, \"brust\": 3}}}",
         "unknown key \"rate_limits.member.brust\""},
        {"{\"rate_limits\": {\"member\": {\"per_second\": 1}}}",
         "key \"rate_limits.member.burst\" is required"},
        {"{\"rate_limits\": {\"provider\": {\"burst\": 1}}}",
         "key \"rate_limits.provider.per_second\" is required"},
        {"{\"rate_limits\": {\"member\": {\"per_second\": 1, \"burst\": 0}}}",
         "key \"rate_limits.member.burst\" must be between 1 and 1000000"},
        {"{\"rate_limits\": {\"member\": {\"per_second\": 1, \"burst\": 1000001}}}",
         "key \"rate_limits.member.burst\" must be between 1 and 1000000"},
        {"{\"rate_limits\": {\"member\": {\"per_second\": 1, \"burst\": 2.5}}}",
         "key \"rate_limits.member.burst\" has the wrong type"},
        {"{\"rate_limits\": {\"address\": {\"per_second\": -1, \"burst\": 1}}}",
         "key \"rate_limits.address.per_second\" must be 0 (no limit) or between 0.001 and "
         "1000000"},
        {"{\"rate_limits\": {\"address\": {\"per_second\": 0.0001, \"burst\": 1}}}",
         "key \"rate_limits.address.per_second\" must be 0 (no limit) or between 0.001 and "
         "1000000"},
        {"{\"rate_limits\": {\"address\": {\"per_second\": 1000001, \"burst\": 1}}}",
         "key \"rate_limits.address.per_second\" must be 0 (no limit) or between 0.001 and "
         "1000000"},
        {"{\"rate_limits\": {\"staff\": {\"per_second\": \"fast\", \"burst\": 1}}}",
         "key \"rate_limits.staff.per_second\" has the wrong type"},
        {"{\"rate_limits\": {\"staff\": 5}}",
         "key \"rate_limits.staff\" must be null or {\"per_second\": N, \"burst\": M}"},
        {"{\"rate_limits\": [1]}", "key \"rate_limits\" must be an object or null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct config cfg;
        char err[CONFIG_ERR_LEN];
        ck_assert_int_eq(test_load_config(cases[i].text, &cfg, err), -1);
        ck_assert_msg(strstr(err, cases[i].message) != NULL, "%s: got \"%s\"", cases[i].text, err);
    }
}
END_TEST

static Suite *ratelimit_suite(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("buckets");
    tcase_add_test(tc, test_burst_is_consumed_then_refused);
    tcase_add_test(tc, test_retry_after_is_the_exact_wait_rounded_up);
    tcase_add_test(tc, test_refill_after_elapsed_time_up_to_the_burst);
    tcase_add_test(tc, test_classes_and_keys_are_independent);
    tcase_add_test(tc, test_rate_zero_is_no_limit_and_stores_nothing);
    tcase_add_test(tc, test_out_of_range_rules_are_refused);
    tcase_add_test(tc, test_rotating_keys_keep_the_table_bounded);
    tcase_add_test(tc, test_full_buckets_are_dropped_as_time_passes);
    suite_add_tcase(s, tc);
    TCase *cfg = tcase_create("config");
    tcase_add_test(cfg, test_config_defaults_and_overrides);
    tcase_add_test(cfg, test_config_errors_name_the_key);
    suite_add_tcase(s, cfg);
    return s;
}

int main(void)
{
    return test_run_suite(ratelimit_suite(), CK_FORK_GETENV) ? 1 : 0;
}
