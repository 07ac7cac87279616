/*
 * The token cache (docs/operations.md "Token cache").
 *
 * The pure part (queue/token_cache.c) with an injected clock: lookups,
 * TTL, the bound, the epoch that keeps a lookup that crossed a revocation
 * out, opening and closing, the heartbeat lease.
 *
 * Then two real claimsd processes sharing one real redis-server: a token
 * revoked on one is refused by the other within 1 s; a token created on one
 * works at once on the other; a revocation published while the other's
 * subscriber is disconnected is still honoured; a stalled heartbeat turns
 * the cache off; a replaced bootstrap token is dropped everywhere.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/harness.h"
#include "queue/keys.h"
#include "queue/token_cache.h"
#include "queue/tokens.h"

/* ---- the pure cache ---- */

static void hash_of(const char *text, char out[TOKEN_HASH_HEX_LEN])
{
    queue_token_hash_hex(text, strlen(text), out);
}

static struct token_record record(const char *token_id, const char *role, const char *member_id)
{
    struct token_record r = {0};
    snprintf(r.token_id, sizeof r.token_id, "%s", token_id);
    snprintf(r.role, sizeof r.role, "%s", role);
    snprintf(r.member_id, sizeof r.member_id, "%s", member_id);
    return r;
}

START_TEST(test_closed_cache_stores_nothing_and_answers_miss)
{
    struct token_cache *c = queue_token_cache_new(10, 60000);
    char h[TOKEN_HASH_HEX_LEN];
    hash_of("a", h);
    struct token_record r = record("t1", "staff", ""), out;
    ck_assert(!queue_token_cache_insert(c, h, &r, queue_token_cache_epoch(c), 1000));
    ck_assert(!queue_token_cache_lookup(c, h, 1000, &out));
    struct queue_token_cache_stats s;
    queue_token_cache_stats(c, 1000, &s);
    ck_assert_uint_eq(s.hits, 0);
    ck_assert_uint_eq(s.misses, 1);
    ck_assert_uint_eq(s.entries, 0);
    ck_assert(!s.open);
    queue_token_cache_free(c);
}
END_TEST

START_TEST(test_open_cache_answers_the_stored_record)
{
    struct token_cache *c = queue_token_cache_new(10, 60000);
    queue_token_cache_open(c, INT64_MAX);
    char h[TOKEN_HASH_HEX_LEN], other[TOKEN_HASH_HEX_LEN];
    hash_of("a", h);
    hash_of("b", other);
    struct token_record r = record("t1", "member", "M1001"), out;
    ck_assert(!queue_token_cache_lookup(c, h, 1000, &out));
    ck_assert(queue_token_cache_insert(c, h, &r, queue_token_cache_epoch(c), 1000));
    ck_assert(queue_token_cache_lookup(c, h, 1001, &out));
    ck_assert_str_eq(out.token_id, "t1");
    ck_assert_str_eq(out.role, "member");
    ck_assert_str_eq(out.member_id, "M1001");
    ck_assert_str_eq(out.npi, "");
    ck_assert(!queue_token_cache_lookup(c, other, 1001, &out));
    struct queue_token_cache_stats s;
    queue_token_cache_stats(c, 1001, &s);
    ck_assert_uint_eq(s.hits, 1);
    ck_assert_uint_eq(s.misses, 2);
    ck_assert_uint_eq(s.entries, 1);
    ck_assert(s.open);
    /* Text that is not a SHA-256 hex is neither stored nor found. */
    ck_assert(!queue_token_cache_insert(c, "abc", &r, queue_token_cache_epoch(c), 1000));
    char upper[TOKEN_HASH_HEX_LEN];
    memcpy(upper, h, sizeof upper);
    upper[0] = 'G';
    ck_assert(!queue_token_cache_lookup(c, upper, 1001, &out));
    queue_token_cache_free(c);
}
END_TEST

START_TEST(test_entry_expires_exactly_at_the_ttl)
{
    struct token_cache *c = queue_token_cache_new(10, 60000);
    queue_token_cache_open(c, INT64_MAX);
    char h[TOKEN_HASH_HEX_LEN];
    hash_of("a", h);
    struct token_record r = record("t1", "staff", ""), out;
    ck_assert(queue_token_cache_insert(c, h, &r, queue_token_cache_epoch(c), 5000));
    ck_assert(queue_token_cache_lookup(c, h, 64999, &out));  /* 59.999 s old */
    ck_assert(!queue_token_cache_lookup(c, h, 65000, &out)); /* 60 s old: gone */
    struct queue_token_cache_stats s;
    queue_token_cache_stats(c, 65000, &s);
    ck_assert_uint_eq(s.entries, 0);
    ck_assert_uint_eq(s.hits, 1);
    ck_assert_uint_eq(s.misses, 1);
    /* A hit does not extend the life of an entry; a new answer from Redis does. */
    ck_assert(queue_token_cache_insert(c, h, &r, queue_token_cache_epoch(c), 70000));
    ck_assert(queue_token_cache_insert(c, h, &r, queue_token_cache_epoch(c), 80000));
    ck_assert(queue_token_cache_lookup(c, h, 139999, &out));
    ck_assert(!queue_token_cache_lookup(c, h, 140000, &out));
    queue_token_cache_free(c);
}
END_TEST

START_TEST(test_least_recently_used_entry_goes_at_the_bound)
{
    struct token_cache *c = queue_token_cache_new(3, 60000);
    queue_token_cache_open(c, INT64_MAX);
    char a[TOKEN_HASH_HEX_LEN], b[TOKEN_HASH_HEX_LEN], d[TOKEN_HASH_HEX_LEN], e[TOKEN_HASH_HEX_LEN];
    hash_of("a", a);
    hash_of("b", b);
    hash_of("d", d);
    hash_of("e", e);
    struct token_record ra = record("ta", "staff", ""), rb = record("tb", "staff", ""),
                        rd = record("td", "staff", ""), re = record("te", "staff", ""), out;
    ck_assert(queue_token_cache_insert(c, a, &ra, queue_token_cache_epoch(c), 1));
    ck_assert(queue_token_cache_insert(c, b, &rb, queue_token_cache_epoch(c), 2));
    ck_assert(queue_token_cache_insert(c, d, &rd, queue_token_cache_epoch(c), 3));
    ck_assert(queue_token_cache_lookup(c, a, 4, &out)); /* a is now the most recent; b the least */
    ck_assert(queue_token_cache_insert(c, e, &re, queue_token_cache_epoch(c), 5));
    struct queue_token_cache_stats s;
    queue_token_cache_stats(c, 5, &s);
    ck_assert_uint_eq(s.entries, 3);
    ck_assert(!queue_token_cache_lookup(c, b, 6, &out));
    ck_assert(queue_token_cache_lookup(c, a, 6, &out));
    ck_assert_str_eq(out.token_id, "ta");
    ck_assert(queue_token_cache_lookup(c, d, 6, &out));
    ck_assert_str_eq(out.token_id, "td");
    ck_assert(queue_token_cache_lookup(c, e, 6, &out));
    ck_assert_str_eq(out.token_id, "te");
    /* Next to go is a (least recently used now). */
    ck_assert(queue_token_cache_insert(c, b, &rb, queue_token_cache_epoch(c), 7));
    ck_assert(!queue_token_cache_lookup(c, a, 8, &out));
    queue_token_cache_stats(c, 8, &s);
    ck_assert_uint_eq(s.entries, 3);
    queue_token_cache_free(c);
}
END_TEST

START_TEST(test_a_lookup_that_crossed_a_revocation_is_not_stored)
{
    struct token_cache *c = queue_token_cache_new(10, 60000);
    queue_token_cache_open(c, INT64_MAX);
    char a[TOKEN_HASH_HEX_LEN], b[TOKEN_HASH_HEX_LEN];
    hash_of("a", a);
    hash_of("b", b);
    struct token_record r = record("t1", "staff", ""), out;
    uint64_t asked = queue_token_cache_epoch(c);
    queue_token_cache_revoked(c, a); /* arrives while Redis answers the lookup of a */
    ck_assert(!queue_token_cache_insert(c, a, &r, asked, 10));
    ck_assert(!queue_token_cache_lookup(c, a, 11, &out));
    /* Any revocation, removal or reopening starts a new epoch. */
    asked = queue_token_cache_epoch(c);
    queue_token_cache_remove(c, b);
    ck_assert(!queue_token_cache_insert(c, a, &r, asked, 12));
    asked = queue_token_cache_epoch(c);
    queue_token_cache_open(c, INT64_MAX);
    ck_assert(!queue_token_cache_insert(c, a, &r, asked, 13));
    ck_assert(queue_token_cache_insert(c, a, &r, queue_token_cache_epoch(c), 14));
    struct queue_token_cache_stats s;
    queue_token_cache_stats(c, 14, &s);
    ck_assert_uint_eq(s.revocations, 1); /* only what came from the subscription */
    ck_assert_uint_eq(s.entries, 1);
    queue_token_cache_revoked(c, a);
    ck_assert(!queue_token_cache_lookup(c, a, 15, &out));
    queue_token_cache_stats(c, 15, &s);
    ck_assert_uint_eq(s.revocations, 2);
    ck_assert_uint_eq(s.entries, 0);
    queue_token_cache_free(c);
}
END_TEST

START_TEST(test_closing_and_reopening_empty_the_cache)
{
    struct token_cache *c = queue_token_cache_new(10, 60000);
    queue_token_cache_open(c, INT64_MAX);
    char a[TOKEN_HASH_HEX_LEN];
    hash_of("a", a);
    struct token_record r = record("t1", "staff", ""), out;
    ck_assert(queue_token_cache_insert(c, a, &r, queue_token_cache_epoch(c), 1));
    queue_token_cache_open(c, INT64_MAX); /* a new subscription */
    ck_assert(!queue_token_cache_lookup(c, a, 2, &out));
    ck_assert(queue_token_cache_insert(c, a, &r, queue_token_cache_epoch(c), 3));
    queue_token_cache_close(c); /* the subscription went away */
    struct queue_token_cache_stats s;
    queue_token_cache_stats(c, 4, &s);
    ck_assert_uint_eq(s.entries, 0);
    ck_assert(!s.open);
    queue_token_cache_open(c, INT64_MAX);
    ck_assert(!queue_token_cache_lookup(c, a, 5, &out));
    queue_token_cache_free(c);
}
END_TEST

START_TEST(test_cache_is_used_only_within_the_heartbeat_lease)
{
    struct token_cache *c = queue_token_cache_new(10, 60000);
    queue_token_cache_open(c, 2000);
    char a[TOKEN_HASH_HEX_LEN];
    hash_of("a", a);
    struct token_record r = record("t1", "staff", ""), out;
    ck_assert(queue_token_cache_insert(c, a, &r, queue_token_cache_epoch(c), 1000));
    ck_assert(queue_token_cache_lookup(c, a, 1999, &out));
    ck_assert(!queue_token_cache_lookup(c, a, 2000, &out)); /* lease over: not used */
    ck_assert(!queue_token_cache_insert(c, a, &r, queue_token_cache_epoch(c), 2000));
    queue_token_cache_extend(c, 3000);                     /* a heartbeat came back */
    ck_assert(queue_token_cache_lookup(c, a, 2500, &out)); /* the entry was kept */
    queue_token_cache_extend(c, 2600);                     /* never backwards */
    ck_assert(queue_token_cache_lookup(c, a, 2900, &out));
    queue_token_cache_close(c);
    queue_token_cache_extend(c, 10000); /* no effect on a closed cache */
    struct queue_token_cache_stats s;
    queue_token_cache_stats(c, 5000, &s);
    ck_assert(!s.open);
    queue_token_cache_free(c);
}
END_TEST

START_TEST(test_free_of_a_full_cache_and_of_null)
{
    struct token_cache *c = queue_token_cache_new(1000, 60000);
    queue_token_cache_open(c, INT64_MAX);
    struct token_record r = record("t", "staff", "");
    for (int i = 0; i < 2500; i++) {
        char text[16], h[TOKEN_HASH_HEX_LEN];
        snprintf(text, sizeof text, "tok%d", i);
        hash_of(text, h);
        ck_assert(queue_token_cache_insert(c, h, &r, queue_token_cache_epoch(c), i));
    }
    struct queue_token_cache_stats s;
    queue_token_cache_stats(c, 2500, &s);
    ck_assert_uint_eq(s.entries, 1000);
    char h[TOKEN_HASH_HEX_LEN];
    struct token_record out;
    hash_of("tok1499", h);
    ck_assert(!queue_token_cache_lookup(c, h, 2500, &out));
    hash_of("tok1500", h);
    ck_assert(queue_token_cache_lookup(c, h, 2500, &out));
    queue_token_cache_free(c);
    queue_token_cache_free(NULL);
    ck_assert_ptr_null(queue_token_cache_new(0, 60000));
}
END_TEST

/* ---- two processes, one Redis ---- */

#define ADMIN "token-cache-tests-bootstrap-admin-0123456789"
#define ADMIN2 "token-cache-tests-second-bootstrap-0123456789"

static struct test_redis redis;
static struct test_claimsd proc_a, proc_b;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void start_proc(struct test_claimsd *d, const char *admin)
{
    test_claimsd_start_admin(d, redis.url, admin, (const char *const[]){"--workers", "0", NULL});
}

/* The value of an unlabelled metric of d's /metrics; -1 when absent. */
/* Waits up to timeout_ms for a metric to reach value; true when it did. */
static bool metric_reaches(const struct test_claimsd *d, const char *name, long long value,
                           int timeout_ms)
{
    for (int64_t until = now_ms() + timeout_ms;; test_sleep_ms(10)) {
        if (test_metric(d, name) == value)
            return true;
        if (now_ms() > until)
            return false;
    }
}

/* Creates a staff token on d; its text and id into the buffers. */
static void create_staff_token(const struct test_claimsd *d, char token[80], char id[64])
{
    struct test_response res;
    test_api(d, "POST", "/v1/tokens", ADMIN, "{\"role\":\"staff\"}", NULL, &res);
    ck_assert_int_eq(res.status, 201);
    snprintf(token, 80, "%s", test_json_str(res.body, "token"));
    snprintf(id, 64, "%s", test_json_str(res.body, "token_id"));
    test_response_free(&res);
}

/* Polls GET /v1/queue with token on d until it is answered `status`;
 * returns the milliseconds that took, or -1 past the deadline. */
static long ms_until_status(const struct test_claimsd *d, const char *token, long status,
                            int64_t since, int timeout_ms)
{
    for (;;) {
        if (test_status(d, "GET", "/v1/queue", token, NULL) == status)
            return (long)(now_ms() - since);
        if (now_ms() - since > timeout_ms)
            return -1;
        test_sleep_ms(5);
    }
}

static void two_up(void)
{
    test_redis_start(&redis);
    start_proc(&proc_a, ADMIN);
    start_proc(&proc_b, ADMIN);
    /* Both caches on: their subscriptions are confirmed. */
    if (!metric_reaches(&proc_a, "claimsd_token_cache_on", 1, 5000) ||
        !metric_reaches(&proc_b, "claimsd_token_cache_on", 1, 5000)) {
        fprintf(stderr, "the token caches did not come on\n");
        exit(2);
    }
}

static void stop_proc(struct test_claimsd *d)
{
    if (d->pid > 0)
        test_claimsd_stop_clean(d);
}

static void two_down(void)
{
    stop_proc(&proc_a);
    stop_proc(&proc_b);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
}

/* Uses token on b until it is answered from b's cache: the first use is a
 * miss that fills it, the next a hit (polled, in case b's heartbeat lease
 * lapsed for a moment on a loaded machine). */
static void warm(const struct test_claimsd *b, const char *token)
{
    long long hits = test_metric(b, "claimsd_token_cache_hits_total");
    long long misses = test_metric(b, "claimsd_token_cache_misses_total");
    ck_assert_int_eq(test_status(b, "GET", "/v1/queue", token, NULL), 200);
    ck_assert_int_eq(test_metric(b, "claimsd_token_cache_misses_total"), misses + 1);
    for (int64_t until = now_ms() + 2000;;) {
        ck_assert_int_eq(test_status(b, "GET", "/v1/queue", token, NULL), 200);
        if (test_metric(b, "claimsd_token_cache_hits_total") == hits + 1)
            break;
        ck_assert_msg(now_ms() < until, "the token was never answered from the cache");
    }
}

START_TEST(test_token_revoked_on_one_process_is_refused_by_another_within_one_second)
{
    char token[80], id[64], path[128];
    create_staff_token(&proc_a, token, id);
    warm(&proc_b, token);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_entries"), 1);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_revocations_received_total"), 0);
    snprintf(path, sizeof path, "/v1/tokens/%s", id);
    int64_t t0 = now_ms();
    ck_assert_int_eq(test_status(&proc_a, "DELETE", path, ADMIN, NULL), 204);
    long took = ms_until_status(&proc_b, token, 401, t0, 1000);
    ck_assert_msg(took >= 0, "process B still accepted the revoked token after 1 s");
    /* Refused because the revocation reached B's cache, not by a lapse. */
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_revocations_received_total"), 1);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_entries"), 0);
    /* The revoking process refuses it at once, and both heard it. */
    ck_assert_int_eq(test_status(&proc_a, "GET", "/v1/queue", token, NULL), 401);
    ck_assert(metric_reaches(&proc_a, "claimsd_token_revocations_received_total", 1, 1000));
}
END_TEST

START_TEST(test_token_created_on_one_process_works_at_once_on_another)
{
    /* An unknown token is refused and not remembered. */
    long long misses = test_metric(&proc_b, "claimsd_token_cache_misses_total");
    ck_assert_int_eq(test_status(&proc_b, "GET", "/v1/queue", "clm_no_such_token", NULL), 401);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_misses_total"), misses + 1);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_entries"), 0);
    char token[80], id[64];
    create_staff_token(&proc_a, token, id);
    ck_assert_int_eq(test_status(&proc_b, "GET", "/v1/queue", token, NULL), 200);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_entries"), 1);
}
END_TEST

START_TEST(test_revocation_published_while_the_subscriber_is_away_is_not_missed)
{
    char token[80], id[64], keep[80], keep_id[64];
    create_staff_token(&proc_a, token, id);
    create_staff_token(&proc_a, keep, keep_id);
    warm(&proc_b, token);
    warm(&proc_b, keep);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_entries"), 2);
    char hash[TOKEN_HASH_HEX_LEN], k_token[KEY_LEN], k_id[KEY_LEN], channel[KEY_LEN];
    queue_token_hash_hex(token, strlen(token), hash);
    snprintf(k_token, sizeof k_token, KEYF_TOKEN, "claims:", hash);
    snprintf(k_id, sizeof k_id, KEYF_TOKEN_ID, "claims:", id);
    snprintf(channel, sizeof channel, CHANF_TOKEN_REVOKED, "claims:");
    /* One atomic step: every subscriber connection is cut, then the token
     * is revoked and its revocation published to nobody. */
    redisContext *c = test_redis_connect(&redis);
    redisAppendCommand(c, "MULTI");
    redisAppendCommand(c, "CLIENT KILL TYPE pubsub");
    redisAppendCommand(c, "DEL %s %s", k_token, k_id);
    redisAppendCommand(c, "PUBLISH %s %s", channel, hash);
    redisAppendCommand(c, "EXEC");
    int64_t t0 = now_ms();
    redisReply *r = NULL;
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(redisGetReply(c, (void **)&r), REDIS_OK);
        if (i < 4) {
            freeReplyObject(r);
            r = NULL;
        }
    }
    ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
    ck_assert_uint_eq(r->elements, 3);
    ck_assert_int_eq(r->element[0]->integer, 2); /* both processes' subscribers */
    ck_assert_int_eq(r->element[1]->integer, 2);
    ck_assert_int_eq(r->element[2]->integer, 0); /* nobody heard the revocation */
    freeReplyObject(r);
    redisFree(c);
    long took = ms_until_status(&proc_b, token, 401, t0, 1000);
    ck_assert_msg(took >= 0, "process B still accepted the revoked token after 1 s");
    /* Back on after resubscribing, emptied, with the message never heard. */
    ck_assert(metric_reaches(&proc_b, "claimsd_token_cache_on", 1, 5000));
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_revocations_received_total"), 0);
    ck_assert_int_eq(test_status(&proc_b, "GET", "/v1/queue", token, NULL), 401);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_entries"), 0);
    /* The other token still works and is cached again. */
    warm(&proc_b, keep);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_entries"), 1);
}
END_TEST

START_TEST(test_cache_goes_off_when_heartbeats_stop_coming_back)
{
    char token[80], id[64];
    create_staff_token(&proc_a, token, id);
    warm(&proc_b, token);
    long long hits = test_metric(&proc_b, "claimsd_token_cache_hits_total");
    long long misses = test_metric(&proc_b, "claimsd_token_cache_misses_total");
    /* Writes wait for 1.5 s, PUBLISH among them: B's heartbeats do not come
     * back, while its subscription stays up. */
    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "CLIENT PAUSE 1500 WRITE");
    int64_t t0 = now_ms();
    ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(c);
    /* The last heartbeat that came back was sent before the pause, so its
     * lease (1 s) is over by now. */
    test_sleep_ms((int)(1100 - (now_ms() - t0)));
    /* So the token is checked in Redis (answered once the pause is over). */
    ck_assert_int_eq(test_status(&proc_b, "GET", "/v1/queue", token, NULL), 200);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_hits_total"), hits);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_misses_total"), misses + 1);
    /* Heartbeats come back: on again, and the entry was kept. */
    ck_assert(metric_reaches(&proc_b, "claimsd_token_cache_on", 1, 2000));
    ck_assert_int_eq(test_status(&proc_b, "GET", "/v1/queue", token, NULL), 200);
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_cache_hits_total"), hits + 1);
}
END_TEST

START_TEST(test_replaced_bootstrap_token_is_dropped_by_every_process)
{
    warm(&proc_b, ADMIN);
    stop_proc(&proc_a);
    start_proc(&proc_a, ADMIN2);
    int64_t t0 = now_ms();
    long took = ms_until_status(&proc_b, ADMIN, 401, t0, 1000);
    ck_assert_msg(took >= 0, "process B still accepted the replaced bootstrap token after 1 s");
    ck_assert_int_eq(test_metric(&proc_b, "claimsd_token_revocations_received_total"), 1);
    ck_assert_int_eq(test_status(&proc_b, "GET", "/v1/queue", ADMIN2, NULL), 200);
}
END_TEST

static Suite *token_cache_suite(void)
{
    Suite *s = suite_create("token_cache");
    TCase *pure = tcase_create("pure");
    tcase_add_test(pure, test_closed_cache_stores_nothing_and_answers_miss);
    tcase_add_test(pure, test_open_cache_answers_the_stored_record);
    tcase_add_test(pure, test_entry_expires_exactly_at_the_ttl);
    tcase_add_test(pure, test_least_recently_used_entry_goes_at_the_bound);
    tcase_add_test(pure, test_a_lookup_that_crossed_a_revocation_is_not_stored);
    tcase_add_test(pure, test_closing_and_reopening_empty_the_cache);
    tcase_add_test(pure, test_cache_is_used_only_within_the_heartbeat_lease);
    tcase_add_test(pure, test_free_of_a_full_cache_and_of_null);
    suite_add_tcase(s, pure);
    TCase *procs = tcase_create("two processes");
    tcase_add_checked_fixture(procs, two_up, two_down);
    tcase_set_timeout(procs, 60);
    tcase_add_test(procs,
                   test_token_revoked_on_one_process_is_refused_by_another_within_one_second);
    tcase_add_test(procs, test_token_created_on_one_process_works_at_once_on_another);
    tcase_add_test(procs, test_revocation_published_while_the_subscriber_is_away_is_not_missed);
    tcase_add_test(procs, test_cache_goes_off_when_heartbeats_stop_coming_back);
    tcase_add_test(procs, test_replaced_bootstrap_token_is_dropped_by_every_process);
    suite_add_tcase(s, procs);
    return s;
}

int main(void)
{
    return test_run_suite(token_cache_suite(), CK_FORK_GETENV) ? 1 : 0;
}
