/*
 * replica_acks (issue 12; docs/operations.md "Waiting for replicas:
 * replica_acks"): claimsd on one Redis that has one replica (a second
 * redis-server told REPLICAOF), started with --replica-acks 1. A claim is
 * answered 202 only once the replica has it; with the replica stopped
 * (SIGSTOP) the intake is answered 503 within replica_acks_timeout_ms while
 * reads are not held, the claim stays on the master, the worker's commit of
 * it is counted short; with the replica back, the retry with the same
 * Idempotency-Key is answered 202 with the same claim, and there is exactly
 * one. The start-up refusals of the options; the connection layer's acked
 * write and queue_rlink_writes_wait; and a commit lost with its master, decided
 * again once on the replica that takes over.
 */
#include <check.h>
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "date.h"
#include "harness/harness.h"
#include "queue/redis_conn.h"
#include "queue/rlink.h"

#define ADMIN "acks-tests-bootstrap-admin-token-0123456789"
#define WAIT_MS 400 /* replica_acks_timeout_ms of these tests */

static struct test_redis master, replica;
static struct test_claimsd server;
static char child[80];
static char first_id[64]; /* the claim of the first test */

/* Waits (at most 10 s) until the master counts one replica online and
 * the replica's link is up. */
static void wait_replica_in_sync(const struct test_redis *of, const struct test_redis *copy)
{
    redisContext *m = test_redis_connect(of), *r = test_redis_connect(copy);
    bool ok = false;
    for (int i = 0; i < 200 && !ok; i++) {
        redisReply *a = redisCommand(m, "INFO replication");
        redisReply *b = redisCommand(r, "INFO replication");
        ok = a && b && strstr(a->str, "connected_slaves:1") && strstr(a->str, "state=online") &&
             strstr(b->str, "master_link_status:up");
        if (a)
            freeReplyObject(a);
        if (b)
            freeReplyObject(b);
        if (!ok)
            test_sleep_ms(50);
    }
    redisFree(m);
    redisFree(r);
    ck_assert_msg(ok, "the replica did not come in sync");
}

/* A master and its replica (REPLICAOF), in sync. */
static void start_pair(struct test_redis *of, struct test_redis *copy)
{
    test_redis_start(of);
    test_redis_start(copy);
    redisContext *r = test_redis_connect(copy);
    redisReply *rep = redisCommand(r, "REPLICAOF 127.0.0.1 %d", of->port);
    ck_assert(rep && rep->type == REDIS_REPLY_STATUS);
    freeReplyObject(rep);
    redisFree(r);
    wait_replica_in_sync(of, copy);
}

/* The configuration of these tests (sample enrollment, no rate limits,
 * replica_acks_timeout_ms WAIT_MS), written in dir; its path. */
static const char *write_config(const char *dir)
{
    static char path[512];
    return test_sample_config(path, sizeof path, dir, "acks.json",
                              "\"rate_limits\": null, \"replica_acks_timeout_ms\": %d", WAIT_MS);
}

static void setup(void)
{
    start_pair(&master, &replica);
    const char *path = write_config(master.dir);
    test_claimsd_start_admin(
        &server, master.url, ADMIN,
        (const char *const[]){"--config", path, "--replica-acks", "1", "--workers", "1", NULL});
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001-02\"}", child);
}

static void teardown(void)
{
    kill(replica.pid, SIGCONT);
    test_claimsd_stop_clean(&server);
    test_redis_stop(&replica);
    test_redis_stop(&master);
    test_remove_tree(replica.dir);
    test_remove_tree(master.dir);
}

/* A pharmacy claim of Ana (M1001-02), filled n days ago. */
static char *pharmacy(int n)
{
    char fill[16];
    return test_ana_pharmacy_claim(test_days_ago(n, fill), "42.17");
}

/* The claim once final (at most 30 s); the caller frees it. */
static char *wait_final(const char *id)
{
    return test_wait_claim(&server, ADMIN, id, "approved|denied", 30 * 1000);
}

static long long key_int(const struct test_redis *r, const char *fmt, const char *arg)
{
    redisContext *c = test_redis_connect(r);
    long long v = test_redis_int(c, fmt, arg);
    redisFree(c);
    return v;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_a_202_means_the_replica_has_the_claim)
{
    char *body = pharmacy(3);
    struct test_response res;
    test_api(&server, "POST", "/v1/claims", child, body, "Idempotency-Key: acks-first", &res);
    free(body);
    ck_assert_int_eq(res.status, 202);
    snprintf(first_id, sizeof first_id, "%s", test_json_str(res.body, "claim_id"));
    test_response_free(&res);
    /* At the moment of the 202, the replica holds the claim and its body. */
    ck_assert_int_eq(key_int(&replica, "EXISTS claims:{c}claim:%s", first_id), 1);
    ck_assert_int_eq(key_int(&replica, "EXISTS claims:{c}body:%s", first_id), 1);
    char *claim = wait_final(first_id);
    /* Preferred brand: allowed min(4.50 × 30, 42.17) = 42.17, copay 35.00. */
    ck_assert_str_eq(test_json_str(claim, "status"), "approved");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "7.17");
    free(claim);
    ck_assert_int_eq(test_metric(&server, "claimsd_replica_acks_short_total{step=\"intake\"}"), 0);
    ck_assert_int_eq(test_metric(&server, "claimsd_replica_acks_short_total{step=\"commit\"}"), 0);
}
END_TEST

/* The log lines about short counts, which must name no patient. */
static void assert_short_lines_without_phi(int expected)
{
    char *log = test_claimsd_log(&server);
    int n = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(line, "replicas acknowledged"))
            continue;
        n++;
        ck_assert_msg(strstr(line, "0 of 1 replicas acknowledged") != NULL, "%s", line);
        ck_assert_msg(!strstr(line, "M1001") && !strstr(line, "Ana") && !strstr(line, "Lopez") &&
                          !strstr(line, "2015-06-10"),
                      "PHI in a log line: %s", line);
    }
    free(log);
    ck_assert_int_eq(n, expected);
}

/* A POST /v1/claims on a thread of its own, timed. */
struct timed_post {
    const char *body;
    long status;
    char code[32], retry_after[8];
    long long took_ms;
};

static void *post_main(void *arg)
{
    struct timed_post *p = arg;
    struct test_response res;
    long long t0 = now_ms();
    test_api(&server, "POST", "/v1/claims", child, p->body, "Idempotency-Key: acks-second", &res);
    p->took_ms = now_ms() - t0;
    p->status = res.status;
    snprintf(p->code, sizeof p->code, "%s", test_json_str(res.body, "error.code"));
    if (!test_response_header(&res, "Retry-After", p->retry_after, sizeof p->retry_after))
        p->retry_after[0] = '\0';
    test_response_free(&res);
    return NULL;
}

START_TEST(test_without_the_replica_503_then_the_retry_gets_the_same_single_claim)
{
    ck_assert_int_eq(kill(replica.pid, SIGSTOP), 0);
    char *body = pharmacy(4);
    struct timed_post post = {.body = body};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, post_main, &post), 0);
    /* While intake waits for the replica, a read is not held behind it. */
    test_sleep_ms(WAIT_MS / 4);
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", first_id);
    struct test_response res;
    long long t0 = now_ms();
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    long long read_ms = now_ms() - t0;
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);
    ck_assert_msg(read_ms < WAIT_MS / 2, "a read took %lld ms during a WAIT", read_ms);
    pthread_join(th, NULL);
    ck_assert_int_eq(post.status, 503);
    ck_assert_str_eq(post.code, "unavailable");
    ck_assert_str_eq(post.retry_after, "1");
    long long took = post.took_ms;
    ck_assert_msg(took >= WAIT_MS && took < 2000, "answered after %lld ms", took);
    /* Stored on the master all the same: two claims there now. */
    ck_assert_int_eq(key_int(&master, "ZCARD %s", "claims:{c}idx:all"), 2);
    ck_assert_int_eq(test_metric(&server, "claimsd_replica_acks_short_total{step=\"intake\"}"), 1);
    /* The worker decided it meanwhile; its commit's WAIT came up short too. */
    long long commits = -1;
    for (int i = 0; i < 50 && commits != 1; i++) {
        commits = test_metric(&server, "claimsd_replica_acks_short_total{step=\"commit\"}");
        if (commits != 1)
            test_sleep_ms(100);
    }
    ck_assert_int_eq(commits, 1);
    assert_short_lines_without_phi(2);

    ck_assert_int_eq(kill(replica.pid, SIGCONT), 0);
    long status = 503;
    char id[64] = "";
    for (int i = 0; i < 50 && status == 503; i++) {
        test_api(&server, "POST", "/v1/claims", child, body, "Idempotency-Key: acks-second", &res);
        status = res.status;
        if (status == 202)
            snprintf(id, sizeof id, "%s", test_json_str(res.body, "claim_id"));
        test_response_free(&res);
        if (status == 503)
            test_sleep_ms(100);
    }
    ck_assert_int_eq(status, 202);
    ck_assert_str_ne(id, first_id);
    /* Exactly one claim for the two submissions: the one stored at the 503. */
    ck_assert_int_eq(key_int(&master, "ZCARD %s", "claims:{c}idx:all"), 2);
    ck_assert_int_eq(key_int(&master, "EXISTS claims:{c}claim:%s", id), 1);
    ck_assert_int_eq(key_int(&replica, "EXISTS claims:{c}claim:%s", id), 1);
    char *claim = wait_final(id);
    ck_assert_str_eq(test_json_str(claim, "status"), "approved");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "7.17");
    free(claim);
    /* Once more: the same answer, no new claim. */
    test_api(&server, "POST", "/v1/claims", child, body, "Idempotency-Key: acks-second", &res);
    ck_assert_int_eq(res.status, 202);
    ck_assert_str_eq(test_json_str(res.body, "claim_id"), id);
    test_response_free(&res);
    ck_assert_int_eq(key_int(&master, "ZCARD %s", "claims:{c}idx:all"), 2);
    free(body);
}
END_TEST

/* HGET on a Redis; "" when the field or key is missing. */
static void hget(const struct test_redis *r, const char *key, const char *field, char *out,
                 size_t size)
{
    redisContext *c = test_redis_connect(r);
    redisReply *rep = redisCommand(c, "HGET %s %s", key, field);
    ck_assert_ptr_nonnull(rep);
    snprintf(out, size, "%s", rep->type == REDIS_REPLY_STRING ? rep->str : "");
    freeReplyObject(rep);
    redisFree(c);
}

/* Waits (at most 10 s) until d's log holds text. */
static void wait_log(const struct test_claimsd *d, const char *text)
{
    bool found = false;
    for (int i = 0; i < 100 && !found; i++) {
        char *log = test_claimsd_log(d);
        found = strstr(log, text) != NULL;
        free(log);
        if (!found)
            test_sleep_ms(100);
    }
    ck_assert_msg(found, "\"%s\" not logged", text);
}

/*
 * What docs/operations.md says of a commit lost with its master: a claim
 * stored with its replica's acknowledgement, decided by a worker while the
 * replica is down (the commit counted short), then the master killed and
 * the replica back as the master: the claim is back as received, its stream
 * entry there, and a claimsd on it decides it again, once.
 */
START_TEST(test_a_commit_lost_with_its_master_is_decided_again_on_the_replica)
{
    struct test_redis m, r;
    start_pair(&m, &r);
    const char *cfg = write_config(m.dir);
    struct test_claimsd intake_only, worker, promoted;
    test_claimsd_start_admin(
        &intake_only, m.url, ADMIN,
        (const char *const[]){"--config", cfg, "--replica-acks", "1", "--workers", "0", NULL});
    char member[80], id[64], key[128], out[64];
    test_create_token(&intake_only, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001-02\"}",
                      member);
    char *body = pharmacy(5);
    struct test_response res;
    test_api(&intake_only, "POST", "/v1/claims", member, body, "Idempotency-Key: lost-1", &res);
    ck_assert_int_eq(res.status, 202);
    snprintf(id, sizeof id, "%s", test_json_str(res.body, "claim_id"));
    test_response_free(&res);
    free(body);
    snprintf(key, sizeof key, "claims:{c}claim:%s", id);
    hget(&r, key, "status", out, sizeof out);
    ck_assert_str_eq(out, "received");

    /* The replica goes down (what it had received is in its append-only
     * file); a SIGSTOP would not do: the master's stream would wait in its
     * socket and be applied once it runs again. */
    kill(r.pid, SIGKILL);
    waitpid(r.pid, NULL, 0);
    r.pid = -1;
    test_claimsd_start_admin(&worker, m.url, ADMIN,
                             (const char *const[]){"--config", cfg, "--replica-acks", "1", "--role",
                                                   "worker", "--workers", "1", NULL});
    wait_log(&worker, "0 of 1 replicas acknowledged 1 commit within 400 ms");
    hget(&m, key, "status", out, sizeof out);
    ck_assert_str_eq(out, "approved");
    test_claimsd_stop_clean(&worker);
    test_claimsd_stop_clean(&intake_only);

    /* The master is lost; the replica comes back and takes over (a master
     * now: REPLICAOF was a command, not its configuration) with what it had
     * received. */
    kill(m.pid, SIGKILL);
    waitpid(m.pid, NULL, 0);
    m.pid = -1;
    test_redis_restart(&r);
    redisContext *c = test_redis_connect(&r);
    ck_assert_int_eq(test_redis_int(c, "XLEN claims:{c}work"), 1);
    ck_assert_int_eq(test_redis_int(c, "EXISTS claims:{c}dec:%s", id), 0);
    redisFree(c);
    hget(&r, key, "status", out, sizeof out);
    ck_assert_str_eq(out, "received");

    test_claimsd_start_admin(&promoted, r.url, ADMIN,
                             (const char *const[]){"--config", cfg, "--workers", "1", NULL});
    server = promoted; /* wait_final reads through `server` */
    char *claim = wait_final(id);
    ck_assert_str_eq(test_json_str(claim, "status"), "approved");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "7.17");
    int finals = 0, len = test_json_len(claim, "history");
    for (int i = 0; i < len; i++) {
        char p[32];
        snprintf(p, sizeof p, "history.%d.status", i);
        finals += strcmp(test_json_str(claim, p), "approved") == 0;
    }
    ck_assert_int_eq(finals, 1);
    free(claim);
    char path[160];
    snprintf(path, sizeof path, "/v1/claims/%s/eob", id);
    test_api(&promoted, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "version"), "1");
    ck_assert_str_eq(test_json_str(res.body, "totals.plan_paid"), "7.17");
    test_response_free(&res);
    test_claimsd_stop_clean(&promoted);
    test_redis_stop(&r);
    test_remove_tree(r.dir);
    test_remove_tree(m.dir);
}
END_TEST

/* claimsd with args exits 2 at start and logs `message`. */
static void assert_refused(const char *const args[], const char *message)
{
    struct test_claimsd d = {0};
    int status = -1;
    ck_assert_int_eq(test_claimsd_start(&d, args, NULL, &status), -1);
    ck_assert_int_eq(status, 2);
    char *log = test_claimsd_log(&d);
    ck_assert_msg(strstr(log, message) != NULL, "expected \"%s\" in:\n%s", message, log);
    free(log);
    test_remove_tree(d.dir);
}

START_TEST(test_bad_replica_acks_settings_are_refused_at_start)
{
    char dir[256];
    test_make_temp_dir(dir, "acks-refusals");
    assert_refused((const char *const[]){"--redis", master.url, "--replica-acks", "17", NULL},
                   "--replica-acks must be 0..16");
    assert_refused((const char *const[]){"--redis", master.url, "--replica-acks", "x", NULL},
                   "--replica-acks must be 0..16");
    const char *big = test_write_file(dir, "big.json", "{\"replica_acks\": 17}");
    assert_refused((const char *const[]){"--config", big, NULL}, "replica_acks");
    char data[300];
    snprintf(data, sizeof data, "%s/data", dir);
    assert_refused((const char *const[]){"--data-dir", data, "--replica-acks", "1", NULL},
                   "replica_acks 1 needs --redis or --redis-cluster: the embedded Redis has no "
                   "replicas");
    const char *slow = test_write_file(
        dir, "slow.json", "{\"replica_acks_timeout_ms\": 2000, \"redis_timeout_ms\": 2000}");
    assert_refused(
        (const char *const[]){"--config", slow, "--redis", master.url, "--replica-acks", "1", NULL},
        "replica_acks_timeout_ms (2000) must be less than redis_timeout_ms (2000)");
    test_remove_tree(dir);
}
END_TEST

/* ---- the connection layer (queue/redis_conn.h, queue/rlink.h) ---- */

/* One acked command's answer, as the callback saw it. */
struct acked_answer {
    bool called, is_null, is_short;
    int type;
    char text[160];
};

static void on_acked(redisReply *reply, void *arg)
{
    struct acked_answer *a = arg;
    a->called = true;
    a->is_null = reply == NULL;
    a->is_short = queue_rconn_reply_acks_short(reply);
    a->type = reply ? reply->type : -1;
    snprintf(a->text, sizeof a->text, "%s", reply && reply->str ? reply->str : "");
}

/* queue_rconn_command_argv_acked of argv on r with replica_acks `acks` (WAIT
 * timeout 50 ms), run until answered. */
static struct acked_answer acked_command(const struct test_redis *r, int acks, int argc,
                                         const char **argv)
{
    struct event_base *base = event_base_new();
    struct redis_address addr;
    ck_assert_int_eq(queue_redis_address_parse(r->url, &addr), 0);
    addr.replica_acks = acks;
    addr.replica_acks_timeout_ms = 50;
    struct rconn *rc = queue_rconn_new(base, &addr, 2000);
    for (int i = 0; i < 200 && !queue_rconn_is_connected(rc); i++)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), test_sleep_ms(5);
    ck_assert(queue_rconn_is_connected(rc));
    struct acked_answer a = {0};
    ck_assert_int_eq(queue_rconn_command_argv_acked(rc, on_acked, &a, argc, argv, NULL), 0);
    for (int i = 0; i < 400 && !a.called; i++)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), test_sleep_ms(5);
    ck_assert(a.called);
    queue_rconn_free(rc);
    event_base_free(base);
    return a;
}

START_TEST(test_acked_write_is_answered_by_the_replicas_count)
{
    struct test_redis alone;
    test_redis_start(&alone);
    unsigned long long before = queue_redis_acks_short_total(REDIS_ACKS_INTAKE);
    /* No replica: the write stands, the caller gets the short error. */
    struct acked_answer a = acked_command(&alone, 1, 3, (const char *[]){"SET", "k", "v"});
    ck_assert(a.is_short);
    ck_assert_int_eq(a.type, REDIS_REPLY_ERROR);
    ck_assert_str_eq(a.text, "REPLICAS 0 of 1 replicas acknowledged a write within 50 ms");
    ck_assert_uint_eq(queue_redis_acks_short_total(REDIS_ACKS_INTAKE), before + 1);
    redisContext *c = test_redis_connect(&alone);
    redisReply *rep = redisCommand(c, "GET k");
    ck_assert(rep && rep->type == REDIS_REPLY_STRING);
    ck_assert_str_eq(rep->str, "v");
    freeReplyObject(rep);
    /* An error is passed on without WAIT; replica_acks 0: no WAIT. */
    a = acked_command(&alone, 1, 2, (const char *[]){"INCR", "k"});
    ck_assert(!a.is_short);
    ck_assert_str_eq(a.text, "ERR value is not an integer or out of range");
    a = acked_command(&alone, 0, 3, (const char *[]){"SET", "k", "w"});
    ck_assert_int_eq(a.type, REDIS_REPLY_STATUS);
    ck_assert_str_eq(a.text, "OK");
    ck_assert_uint_eq(queue_redis_acks_short_total(REDIS_ACKS_INTAKE), before + 1);
    redisFree(c);
    test_redis_stop(&alone);
    test_remove_tree(alone.dir);
    /* With the fixture's replica in sync: the write's own reply. */
    a = acked_command(&master, 1, 3, (const char *[]){"SET", "acked", "1"});
    ck_assert_int_eq(a.type, REDIS_REPLY_STATUS);
    ck_assert_str_eq(a.text, "OK");
    ck_assert_uint_eq(queue_redis_acks_short_total(REDIS_ACKS_INTAKE), before + 1);
}
END_TEST

/* queue_rlink_writes_wait after one SET on r with replica_acks `acks`. */
static int link_wait(const struct test_redis *r, int acks)
{
    struct redis_address addr;
    ck_assert_int_eq(queue_redis_address_parse(r->url, &addr), 0);
    addr.replica_acks = acks;
    addr.replica_acks_timeout_ms = 50;
    struct rlink *l = queue_rlink_connect(&addr, 2000);
    ck_assert_ptr_nonnull(l);
    queue_rlink_writes_begin(l);
    redisReply *rep = queue_rlink_command(l, "SET linked 1");
    ck_assert(rep && rep->type == REDIS_REPLY_STATUS);
    freeReplyObject(rep);
    int rc = queue_rlink_writes_wait(l, "1 test write");
    queue_rlink_close(l);
    return rc;
}

START_TEST(test_link_writes_wait_counts_short_batches)
{
    struct test_redis alone;
    test_redis_start(&alone);
    unsigned long long before = queue_redis_acks_short_total(REDIS_ACKS_COMMIT);
    ck_assert_int_eq(link_wait(&alone, 1), 1);
    ck_assert_uint_eq(queue_redis_acks_short_total(REDIS_ACKS_COMMIT), before + 1);
    ck_assert_int_eq(link_wait(&alone, 0), 0);
    ck_assert_int_eq(link_wait(&master, 1), 0);
    ck_assert_int_eq(link_wait(&master, 2), 1); /* one replica only */
    ck_assert_uint_eq(queue_redis_acks_short_total(REDIS_ACKS_COMMIT), before + 2);
    test_redis_stop(&alone);
    test_remove_tree(alone.dir);
}
END_TEST

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    Suite *s = suite_create("replica_acks");
    TCase *tc = tcase_create("one_redis_with_a_replica");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_202_means_the_replica_has_the_claim);
    tcase_add_test(tc, test_without_the_replica_503_then_the_retry_gets_the_same_single_claim);
    tcase_add_test(tc, test_bad_replica_acks_settings_are_refused_at_start);
    tcase_add_test(tc, test_acked_write_is_answered_by_the_replicas_count);
    tcase_add_test(tc, test_link_writes_wait_counts_short_batches);
    suite_add_tcase(s, tc);
    TCase *lost = tcase_create("a_master_lost");
    tcase_set_timeout(lost, 120);
    tcase_add_test(lost, test_a_commit_lost_with_its_master_is_decided_again_on_the_replica);
    suite_add_tcase(s, lost);
    return test_run_suite(s, CK_NOFORK) ? 1 : 0;
}
