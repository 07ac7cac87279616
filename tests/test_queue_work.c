/*
 * The worker's Redis steps (queue/work.c and its scripts) against a real
 * redis-server, without the rules: the family version chain of a batch, the
 * duplicate fingerprints a commit stores and drops, a commit refused for a
 * claim already final, what claim_start returns and records, and a claim
 * whose facts or commit text could not be copied (out of memory) left alone.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "packed.h"
#include "queue/scripts.h"
#include "queue/work.h"

#define A "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define B "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define C "cccccccc-cccc-4ccc-8ccc-cccccccccccc"

static struct test_redis redis;
static redisContext *rc;
static struct work_conn *wc;

static void setup(void)
{
    queue_scripts_init();
    test_redis_start(&redis);
    rc = test_redis_connect(&redis);
    struct redis_address addr;
    ck_assert_int_eq(queue_redis_address_parse(redis.url, &addr), 0);
    wc = queue_work_connect(&addr, 2000, "claims:", "test-consumer");
    ck_assert_ptr_nonnull(wc);
}

static void teardown(void)
{
    queue_work_close(wc);
    redisFree(rc);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
}

/* Runs a command that must not fail. */
static void ok(redisReply *r)
{
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(r->type != REDIS_REPLY_ERROR, "%s", r->str);
    freeReplyObject(r);
}

/* A claim of member M1 (subscriber S1) that a worker has taken. */
static void processing_claim(const char *id)
{
    ok(redisCommand(rc,
                    "HSET claims:{c}claim:%s id %s status processing score 7 "
                    "history received@1,processing@2 member_id M1 subscriber_id S1",
                    id, id));
    ok(redisCommand(rc, "ZADD claims:{c}idx:s:processing 7 %s", id));
}

/* The string at key (formatted with one argument) or NULL; the caller frees. */
static char *get(const char *fmt, const char *arg)
{
    redisReply *r = redisCommand(rc, fmt, arg);
    char *out = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
    freeReplyObject(r);
    return out;
}

/* The unpacked text of a packed value at key, or NULL; the caller frees. */
static char *unpacked(const char *fmt, const char *arg)
{
    redisReply *r = redisCommand(rc, fmt, arg);
    char *out = NULL;
    size_t n;
    if (r->type != REDIS_REPLY_STRING || packed_unpack(r->str, r->len, &out, &n) != 0)
        out = NULL;
    freeReplyObject(r);
    return out;
}

static long long integer(redisReply *r)
{
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return v;
}

static struct work_item item_of(const char *id)
{
    struct work_item it;
    memset(&it, 0, sizeof it);
    snprintf(it.entry_id, sizeof it.entry_id, "0-1");
    snprintf(it.claim_id, sizeof it.claim_id, "%s", id);
    snprintf(it.member_id, sizeof it.member_id, "M1");
    snprintf(it.subscriber_id, sizeof it.subscriber_id, "S1");
    return it;
}

/* A decision of claim `item` at family version `expected`. */
static struct work_commit decision(const struct work_item *item, const char *expected,
                                   const char *status)
{
    bool pended = strcmp(status, "pended") == 0;
    return (struct work_commit){
        .item = item,
        .expected_version = expected,
        .status = status,
        .decision = pended ? "{\"outcome\":\"pended\"}" : "{\"outcome\":\"final\"}",
        .pending = pended ? "{\"needed\":[\"other_insurance\"]}" : NULL,
        .eob = pended ? NULL : "{\"version\":1}",
        .eob_version = 1,
        .audit = "{\"action\":\"test\"}",
        .final = !pended,
        .within_target = true,
        .pend_deadline_day = 20800,
    };
}

START_TEST(test_a_chained_commit_passes_only_after_the_commit_it_follows)
{
    processing_claim(A);
    processing_claim(B);
    struct work_item a = item_of(A), b = item_of(B);
    /* A and B read the family at version 5; B is decided on those facts plus
     * A's changes, so it expects the version A's commit leaves. */
    char after_a[WORK_VERSION_LEN], after_c[WORK_VERSION_LEN];
    queue_version_after("5", A, after_a);
    ck_assert_str_eq(after_a, "6:" A);
    /* Meanwhile another process committed claim C of the family: the
     * version is 6 as well, but not A's. A bare counter would let B pass
     * on facts that lack C's changes. */
    queue_version_after("5", C, after_c);
    ok(redisCommand(rc, "SET claims:{c}famver:S1 %s", after_c));
    struct work_commit c[2] = {decision(&a, "5", "approved"), decision(&b, after_a, "approved")};
    enum work_commit_result res[2];
    ck_assert_int_eq(queue_commit(wc, c, 2, res), 0);
    ck_assert_int_eq(res[0], WORK_COMMIT_STALE);
    ck_assert_int_eq(res[1], WORK_COMMIT_STALE);
    /* At the version they were read at, the chain passes in order. */
    ok(redisCommand(rc, "SET claims:{c}famver:S1 5"));
    ck_assert_int_eq(queue_commit(wc, c, 2, res), 0);
    ck_assert_int_eq(res[0], WORK_COMMIT_OK);
    ck_assert_int_eq(res[1], WORK_COMMIT_OK);
    char *v = get("GET claims:{c}famver:%s", "S1");
    ck_assert_str_eq(v, "7:" B);
    free(v);
    /* Committed once: a redelivery is acknowledged and writes nothing. */
    c[0].expected_version = "7:" B;
    ck_assert_int_eq(queue_commit(wc, c, 1, res), 0);
    ck_assert_int_eq(res[0], WORK_COMMIT_FINAL);
    v = get("GET claims:{c}famver:%s", "S1");
    ck_assert_str_eq(v, "7:" B);
    free(v);
    v = get("HGET claims:{c}claim:%s eob_version", A);
    ck_assert_str_eq(v, "1");
    free(v);
}
END_TEST

START_TEST(test_commit_writes_the_compact_layout_once)
{
    processing_claim(A);
    struct work_item a = item_of(A);
    struct work_commit c = decision(&a, "0", "approved");
    enum work_commit_result res;
    ck_assert_int_eq(queue_commit(wc, &c, 1, &res), 0);
    ck_assert_int_eq(res, WORK_COMMIT_OK);
    char *v = get("HGET claims:{c}claim:%s history", A);
    ck_assert_int_eq(strncmp(v, "received@1,processing@2,approved@", 33), 0);
    ck_assert_int_gt(atoll(v + 33), 1700000000);
    free(v);
    v = unpacked("GET claims:{c}dec:%s", A);
    ck_assert_str_eq(v, "{\"decision\":{\"outcome\":\"final\"}}");
    free(v);
    v = unpacked("GET claims:{c}eob:%s:1", A);
    ck_assert_str_eq(v, "{\"version\":1}");
    free(v);
    ck_assert_int_eq(integer(redisCommand(rc, "HEXISTS claims:{c}claim:%s decision", A)), 0);
    ck_assert_int_eq(integer(redisCommand(rc, "ZCARD claims:{c}idx:s:processing")), 0);
    ck_assert_int_eq(integer(redisCommand(rc, "EXISTS claims:{c}idx:s:approved")), 0);
    /* The audit record once, in the stream; the claim's list holds its id. */
    ck_assert_int_eq(integer(redisCommand(rc, "XLEN claims:{c}audit")), 1);
    redisReply *ids = redisCommand(rc, "LRANGE claims:{c}caudit:%s 0 -1", A);
    ck_assert_uint_eq(ids->elements, 1);
    redisReply *e = redisCommand(rc, "XRANGE claims:{c}audit - +");
    ck_assert_str_eq(e->element[0]->element[0]->str, ids->element[0]->str);
    ck_assert_str_eq(e->element[0]->element[1]->element[1]->str, A);
    ck_assert_str_eq(e->element[0]->element[1]->element[3]->str, "{\"action\":\"test\"}");
    freeReplyObject(e);
    freeReplyObject(ids);
}
END_TEST

START_TEST(test_fingerprints_are_kept_by_lines_not_denied_and_dropped_by_their_holder_only)
{
    static const char fp1[1][WORK_FP_LEN] = {"m:00000000000000000000000000000001"};
    processing_claim(A);
    processing_claim(B);
    struct work_item a = item_of(A), b = item_of(B);
    /* A pends: its line keeps the fingerprint (the first claim keeps its benefit). */
    struct work_commit c = decision(&a, "0", "pended");
    c.store = fp1;
    c.n_store = 1;
    enum work_commit_result res;
    ck_assert_int_eq(queue_commit(wc, &c, 1, &res), 0);
    ck_assert_int_eq(res, WORK_COMMIT_OK);
    char *v = get("HGET claims:{c}fp:M1 %s", fp1[0]);
    ck_assert_str_eq(v, A);
    free(v);
    ck_assert_int_eq(integer(redisCommand(rc, "ZSCORE claims:{c}idx:s:pended %s", A)), -1);
    v = get("ZSCORE claims:{c}pended %s", A);
    ck_assert_str_eq(v, "20800");
    free(v);
    /* B's identical line is denied as its duplicate: B drops nothing of A's. */
    char ver[WORK_VERSION_LEN];
    queue_version_after("0", A, ver);
    c = decision(&b, ver, "denied");
    c.drop = fp1;
    c.n_drop = 1;
    ck_assert_int_eq(queue_commit(wc, &c, 1, &res), 0);
    ck_assert_int_eq(res, WORK_COMMIT_OK);
    v = get("HGET claims:{c}fp:M1 %s", fp1[0]);
    ck_assert_str_eq(v, A);
    free(v);
    /* A's deadline passes and it is denied (OA-22): its fingerprint goes. */
    ok(redisCommand(rc, "HSET claims:{c}claim:%s status processing", A));
    char ver2[WORK_VERSION_LEN];
    queue_version_after(ver, B, ver2);
    c = decision(&a, ver2, "denied");
    c.drop = fp1;
    c.n_drop = 1;
    ck_assert_int_eq(queue_commit(wc, &c, 1, &res), 0);
    ck_assert_int_eq(res, WORK_COMMIT_OK);
    ck_assert_int_eq(integer(redisCommand(rc, "HLEN claims:{c}fp:M1")), 0);
    ck_assert_int_eq(integer(redisCommand(rc, "ZCARD claims:{c}idx:s:pended")), 0);
    ck_assert_int_eq(integer(redisCommand(rc, "ZCARD claims:{c}pended")), 0);
    v = unpacked("GET claims:{c}dec:%s", A);
    ck_assert_str_eq(v, "{\"decision\":{\"outcome\":\"final\"}}"); /* pending gone */
    free(v);
}
END_TEST

START_TEST(test_claim_start_takes_the_claim_and_returns_its_submission)
{
    ok(redisCommand(rc,
                    "HSET claims:{c}claim:%s id %s status received score 9 history received@1 "
                    "received 2026-11-02 target 2026-11-16",
                    A, A));
    ok(redisCommand(rc, "ZADD claims:{c}idx:s:received 9 %s", A));
    ok(redisCommand(rc, "SET claims:{c}body:%s {\"type\":\"pharmacy\"}", A));
    /* A claim stored before the submission had its own key. */
    ok(redisCommand(rc,
                    "HSET claims:{c}claim:%s id %s status received score 10 history x "
                    "submitted {\"type\":\"medical\"}",
                    B, B));
    struct work_item items[3] = {item_of(A), item_of(B), item_of(C)};
    struct work_facts f[3];
    uint64_t bytes = 0;
    ck_assert_int_eq(queue_load_facts(wc, items, 3, f, &bytes), 0);
    ck_assert_uint_gt(bytes, 0);
    ck_assert_int_eq(f[0].state, WORK_LOADED);
    ck_assert_str_eq(f[0].submission, "{\"type\":\"pharmacy\"}");
    ck_assert_str_eq(f[0].received, "2026-11-02");
    ck_assert_str_eq(f[0].version, "0");
    ck_assert_int_eq(f[1].state, WORK_LOADED);
    ck_assert_str_eq(f[1].submission, "{\"type\":\"medical\"}");
    ck_assert_int_eq(f[2].state, WORK_GONE);
    for (int i = 0; i < 3; i++)
        queue_work_facts_free(&f[i]);
    char *v = get("HGET claims:{c}claim:%s history", A);
    ck_assert_int_eq(strncmp(v, "received@1,processing@", 22), 0);
    free(v);
    ck_assert_int_eq(integer(redisCommand(rc, "ZCARD claims:{c}idx:s:received")), 0);
    ck_assert_int_eq(integer(redisCommand(rc, "ZCARD claims:{c}idx:s:processing")), 2);
    /* Taken once: a second load adds no history entry. */
    ck_assert_int_eq(queue_load_facts(wc, items, 1, f, &bytes), 0);
    queue_work_facts_free(&f[0]);
    v = get("HGET claims:{c}claim:%s history", A);
    ck_assert_ptr_null(strstr(strstr(v, "processing@") + 1, "processing@"));
    free(v);
    /* A final claim is only acknowledged. */
    ok(redisCommand(rc, "HSET claims:{c}claim:%s status approved", A));
    ck_assert_int_eq(queue_load_facts(wc, items, 1, f, &bytes), 0);
    ck_assert_int_eq(f[0].state, WORK_FINAL);
    ck_assert_ptr_null(f[0].submission);
    queue_work_facts_free(&f[0]);
}
END_TEST

/* ---- out of memory ----
 * The test binary's own strdup fails the n-th copy made by this project's
 * code (the caller is inside the executable: queue/work.c is linked in), as
 * test_parse does for malloc. */
extern char __executable_start[], etext[];
static long strdup_countdown = -1; /* -1: never fail */
char *strdup(const char *s)
{
    const char *caller = __builtin_return_address(0);
    if (strdup_countdown >= 0 && caller >= __executable_start && caller < etext &&
        strdup_countdown-- == 0)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    return copy ? memcpy(copy, s, n) : NULL;
}

START_TEST(test_out_of_memory_leaves_the_claim_for_redelivery)
{
    char *(*volatile copy)(const char *) = strdup;
    strdup_countdown = 0;
    char *probe = copy("x");
    strdup_countdown = -1;
    if (probe) {
        free(probe);
        test_skipped("test_out_of_memory_leaves_the_claim_for_redelivery",
                     "strdup cannot be made to fail here (Valgrind replaces it)");
        return;
    }
    ok(redisCommand(rc,
                    "HSET claims:{c}claim:%s id %s status received score 9 history received@1 "
                    "received 2026-11-02 target 2026-11-16",
                    A, A));
    ok(redisCommand(rc, "SET claims:{c}body:%s {\"type\":\"pharmacy\"}", A));
    ok(redisCommand(rc, "SET claims:{c}member:M1 {\"member_id\":\"M1\"}"));
    ok(redisCommand(rc, "SET claims:{c}member:S1 {\"member_id\":\"S1\"}"));
    struct work_item items[1] = {item_of(A)};
    int refused = 0;
    for (long n = 0;; n++) {
        struct work_facts f;
        uint64_t bytes = 0;
        strdup_countdown = n; /* no assert until it is reset: Check copies too */
        int rc_load = queue_load_facts(wc, items, 1, &f, &bytes);
        bool finished = strdup_countdown >= 0; /* the n-th copy never came */
        strdup_countdown = -1;
        ck_assert_int_eq(rc_load, 0);
        if (f.state == WORK_LOADED) {
            ck_assert(finished);
            ck_assert_str_eq(f.submission, "{\"type\":\"pharmacy\"}");
            ck_assert_str_eq(f.patient, "{\"member_id\":\"M1\"}");
            ck_assert_str_eq(f.subscriber, "{\"member_id\":\"S1\"}");
        } else {
            ck_assert_int_eq(f.state, WORK_ERROR);
            refused++;
        }
        queue_work_facts_free(&f);
        if (finished)
            break;
    }
    ck_assert_int_eq(refused, 3); /* submission, member, subscriber */
    /* A commit whose text could not be made is not sent (no strlen(NULL)). */
    struct work_commit c = decision(&items[0], "0", "approved");
    c.decision = NULL;
    enum work_commit_result result;
    ck_assert_int_eq(queue_commit(wc, &c, 1, &result), 0);
    ck_assert_int_eq(result, WORK_COMMIT_ERROR);
    c = decision(&items[0], "0", "approved");
    c.audit = NULL;
    ck_assert_int_eq(queue_commit(wc, &c, 1, &result), 0);
    ck_assert_int_eq(result, WORK_COMMIT_ERROR);
    char *v = get("HGET claims:{c}claim:%s status", A);
    ck_assert_str_eq(v, "processing");
    free(v);
}
END_TEST

static Suite *queue_work_suite(void)
{
    Suite *s = suite_create("queue_work");
    TCase *t = tcase_create("commit");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_a_chained_commit_passes_only_after_the_commit_it_follows);
    tcase_add_test(t, test_commit_writes_the_compact_layout_once);
    tcase_add_test(t,
                   test_fingerprints_are_kept_by_lines_not_denied_and_dropped_by_their_holder_only);
    tcase_add_test(t, test_claim_start_takes_the_claim_and_returns_its_submission);
    tcase_add_test(t, test_out_of_memory_leaves_the_claim_for_redelivery);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return test_run_suite(queue_work_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
