/*
 * What cluster mode adds to the connections (issue 12): queue/cluster_tx.c
 * (formatted commands split back into arguments, MULTI ... EXEC as one
 * script per slot, the answers put back in order), its script's answers on
 * a real redis-server, and queue/rlink.c's pipelines over a real cluster of
 * three masters (replies in the order appended across masters, a MOVED in
 * the middle of a pipeline, transactions, scripts loaded on every master),
 * and the event loop's connection (queue/redis_conn.c) in cluster mode.
 */
#include <check.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "log.h"
#include "queue/cluster.h"
#include "queue/cluster_tx.h"
#include "queue/redis_conn.h"
#include "queue/rlink.h"

#define SLOT(s) queue_cluster_key_slot(s, strlen(s))

/* A reply read from RESP text. */
static redisReply *resp(const char *text)
{
    redisReader *rd = redisReaderCreate();
    void *reply = NULL;
    ck_assert_int_eq(redisReaderFeed(rd, text, strlen(text)), REDIS_OK);
    ck_assert_int_eq(redisReaderGetReply(rd, &reply), REDIS_OK);
    ck_assert_ptr_nonnull(reply);
    redisReaderFree(rd);
    return reply;
}

START_TEST(test_resp_split_gives_back_the_arguments)
{
    char *cmd = NULL;
    int len = redisFormatCommand(&cmd, "HSET %s f %b", "key", "a\0b", (size_t)3);
    ck_assert_int_gt(len, 0);
    int argc;
    const char **argv;
    size_t *argvlen;
    ck_assert_int_eq(queue_resp_split(cmd, (size_t)len, &argc, &argv, &argvlen), 0);
    ck_assert_int_eq(argc, 4);
    ck_assert_uint_eq(argvlen[0], 4);
    ck_assert_int_eq(memcmp(argv[0], "HSET", 4), 0);
    ck_assert_uint_eq(argvlen[1], 3);
    ck_assert_int_eq(memcmp(argv[1], "key", 3), 0);
    ck_assert_uint_eq(argvlen[3], 3);
    ck_assert_int_eq(memcmp(argv[3], "a\0b", 3), 0);
    free(argv);
    /* Not a command, or cut short. */
    ck_assert_int_eq(queue_resp_split("+OK\r\n", 5, &argc, &argv, &argvlen), -1);
    ck_assert_int_eq(queue_resp_split(cmd, (size_t)len - 3, &argc, &argv, &argvlen), -1);
    free(cmd);
}
END_TEST

static void add(struct cluster_tx *tx, int argc, const char **argv)
{
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    queue_cluster_tx_add(tx, argc, argv, lens);
}

START_TEST(test_transaction_groups_by_slot_keyless_on_slot_0)
{
    ck_assert_int_ne(SLOT("{a}x"), SLOT("{b}y"));
    ck_assert_int_ne(SLOT("{a}x"), 0);
    struct cluster_tx tx;
    queue_cluster_tx_init(&tx);
    add(&tx, 3, (const char *[]){"SET", "{a}x", "1"});
    add(&tx, 3, (const char *[]){"SET", "{b}y", "2"});
    add(&tx, 3, (const char *[]){"PUBLISH", "chan", "m"});
    add(&tx, 4, (const char *[]){"HSET", "{a}z", "f", "v"});
    ck_assert(!tx.failed);
    queue_cluster_tx_plan(&tx);
    ck_assert_int_eq(tx.n_groups, 3);
    ck_assert_int_eq(tx.group_slot[0], SLOT("{a}x"));
    ck_assert_int_eq(tx.group_slot[1], SLOT("{b}y"));
    ck_assert_int_eq(tx.group_slot[2], 0);
    int want_group[] = {0, 1, 2, 0}, want_pos[] = {0, 0, 0, 1};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(tx.group_of[i], want_group[i]);
        ck_assert_int_eq(tx.pos_of[i], want_pos[i]);
    }
    int argc;
    const char **argv;
    size_t *argvlen;
    ck_assert_int_eq(queue_cluster_tx_group_call(&tx, 0, &argc, &argv, &argvlen), 0);
    const char *want[] = {"EVAL", NULL, "1",    "{a}x", "3", "SET", "{a}x",
                          "1",    "4",  "HSET", "{a}z", "f", "v"};
    ck_assert_int_eq(argc, 13);
    for (int i = 0; i < argc; i++)
        if (want[i]) {
            ck_assert_uint_eq(argvlen[i], strlen(want[i]));
            ck_assert_int_eq(memcmp(argv[i], want[i], argvlen[i]), 0);
        }
    /* The router finds the group's slot from the call itself. */
    ck_assert_int_eq(queue_cluster_command_slot(argc, argv, argvlen), SLOT("{a}x"));
    free(argv);
    /* The keyless group declares no key. */
    ck_assert_int_eq(queue_cluster_tx_group_call(&tx, 2, &argc, &argv, &argvlen), 0);
    ck_assert_int_eq(argc, 7);
    ck_assert_int_eq(memcmp(argv[2], "0", 1), 0);
    free(argv);

    /* Answers back in the commands' order. */
    redisReply *replies[3] = {resp("*2\r\n+OK\r\n:1\r\n"), resp("*1\r\n+OK\r\n"),
                              resp("*1\r\n:0\r\n")};
    redisReply *exec = queue_cluster_tx_exec_reply(&tx, replies);
    ck_assert_ptr_nonnull(exec);
    ck_assert_int_eq(exec->type, REDIS_REPLY_ARRAY);
    ck_assert_uint_eq(exec->elements, 4);
    ck_assert_int_eq(exec->element[0]->type, REDIS_REPLY_STATUS);
    ck_assert_str_eq(exec->element[0]->str, "OK");
    ck_assert_int_eq(exec->element[1]->type, REDIS_REPLY_STATUS);
    ck_assert_int_eq(exec->element[2]->type, REDIS_REPLY_INTEGER);
    ck_assert_int_eq(exec->element[2]->integer, 0);
    ck_assert_int_eq(exec->element[3]->type, REDIS_REPLY_INTEGER);
    ck_assert_int_eq(exec->element[3]->integer, 1);
    freeReplyObject(exec);
    /* A group without an answer: EXEC has none; a group's error: EXEC's. */
    redisReply *missing[3] = {replies[0], NULL, replies[2]};
    ck_assert_ptr_null(queue_cluster_tx_exec_reply(&tx, missing));
    redisReply *err = resp("-CLUSTERDOWN The cluster is down\r\n");
    redisReply *failed[3] = {replies[0], err, replies[2]};
    exec = queue_cluster_tx_exec_reply(&tx, failed);
    ck_assert_int_eq(exec->type, REDIS_REPLY_ERROR);
    ck_assert_str_eq(exec->str, "CLUSTERDOWN The cluster is down");
    freeReplyObject(exec);
    freeReplyObject(err);
    for (int g = 0; g < 3; g++)
        freeReplyObject(replies[g]);
    queue_cluster_tx_clear(&tx);

    /* A command of several slots cannot be part of one. */
    queue_cluster_tx_init(&tx);
    add(&tx, 3, (const char *[]){"DEL", "{a}x", "{b}y"});
    ck_assert(tx.failed);
    queue_cluster_tx_clear(&tx);
}
END_TEST

/* The transaction's script on a real redis-server: each answer as EXEC would
 * give it (nil, integer, error, status, string), in order. */
START_TEST(test_transaction_script_answers_like_exec)
{
    struct test_redis r;
    test_redis_start(&r);
    redisContext *c = test_redis_connect(&r);
    struct cluster_tx tx;
    queue_cluster_tx_init(&tx);
    add(&tx, 4, (const char *[]){"SET", "{t}k", "v", "GET"});
    add(&tx, 4, (const char *[]){"HSET", "{t}h", "f", "v"});
    add(&tx, 2, (const char *[]){"INCR", "{t}h"});
    add(&tx, 3, (const char *[]){"SET", "{t}k2", "x"});
    add(&tx, 2, (const char *[]){"GET", "{t}k"});
    queue_cluster_tx_plan(&tx);
    ck_assert_int_eq(tx.n_groups, 1);
    int argc;
    const char **argv;
    size_t *argvlen;
    ck_assert_int_eq(queue_cluster_tx_group_call(&tx, 0, &argc, &argv, &argvlen), 0);
    redisReply *reply = redisCommandArgv(c, argc, argv, argvlen);
    free(argv);
    ck_assert_ptr_nonnull(reply);
    redisReply *replies[1] = {reply};
    redisReply *exec = queue_cluster_tx_exec_reply(&tx, replies);
    ck_assert_int_eq(exec->type, REDIS_REPLY_ARRAY);
    ck_assert_uint_eq(exec->elements, 5);
    ck_assert_int_eq(exec->element[0]->type, REDIS_REPLY_NIL);
    ck_assert_int_eq(exec->element[1]->type, REDIS_REPLY_INTEGER);
    ck_assert_int_eq(exec->element[1]->integer, 1);
    ck_assert_int_eq(exec->element[2]->type, REDIS_REPLY_ERROR);
    ck_assert_int_eq(strncmp(exec->element[2]->str, "WRONGTYPE", 9), 0);
    ck_assert_int_eq(exec->element[3]->type, REDIS_REPLY_STATUS);
    ck_assert_str_eq(exec->element[3]->str, "OK");
    ck_assert_int_eq(exec->element[4]->type, REDIS_REPLY_STRING);
    ck_assert_str_eq(exec->element[4]->str, "v");
    freeReplyObject(exec);
    freeReplyObject(reply);
    queue_cluster_tx_clear(&tx);
    redisFree(c);
    test_redis_stop(&r);
    test_remove_tree(r.dir);
}
END_TEST

static struct redis_address cluster_address(const struct test_cluster *tc)
{
    char seeds[256];
    test_cluster_seeds(tc, seeds, sizeof seeds);
    struct redis_address addr;
    ck_assert_int_eq(queue_redis_cluster_address_parse(seeds, &addr), 0);
    ck_assert(addr.is_cluster);
    ck_assert_int_eq(addr.n_seeds, 3);
    return addr;
}

/* A reply's text (string or status) or its integer, for comparing. */
static void text_of(const redisReply *r, char *out, size_t size)
{
    if (!r)
        snprintf(out, size, "(none)");
    else if (r->type == REDIS_REPLY_INTEGER)
        snprintf(out, size, "%lld", r->integer);
    else if (r->type == REDIS_REPLY_NIL)
        snprintf(out, size, "(nil)");
    else
        snprintf(out, size, "%s%s", r->type == REDIS_REPLY_ERROR ? "-" : "", r->str);
}

static void expect_next(struct rlink *l, const char *want)
{
    redisReply *r = NULL;
    ck_assert_int_eq(queue_rlink_get_reply(l, &r), REDIS_OK);
    char got[256];
    text_of(r, got, sizeof got);
    ck_assert_str_eq(got, want);
    freeReplyObject(r);
}

/* Moves slot 12182 ("foo", "{foo}x") with its keys from master src to dst. */
static void move_foo_slot(const struct test_cluster *tc, int src, int dst)
{
    const int slot = 12182;
    char out[256];
    test_cluster_cmd(tc, dst, out, sizeof out, "CLUSTER SETSLOT %d IMPORTING %s", slot,
                     tc->id[src]);
    test_cluster_cmd(tc, src, out, sizeof out, "CLUSTER SETSLOT %d MIGRATING %s", slot,
                     tc->id[dst]);
    test_cluster_cmd(tc, src, out, sizeof out, "MIGRATE 127.0.0.1 %d %s 0 5000 KEYS foo {foo}x",
                     tc->port[dst], "");
    ck_assert_str_eq(out, "OK");
    for (int i = 0; i < TEST_CLUSTER_MASTERS; i++) {
        test_cluster_cmd(tc, i, out, sizeof out, "CLUSTER SETSLOT %d NODE %s", slot, tc->id[dst]);
        ck_assert_str_eq(out, "OK");
    }
}

START_TEST(test_rlink_pipelines_across_masters_and_follows_moved_in_order)
{
    struct test_cluster tc;
    test_cluster_start(&tc, false);
    struct redis_address addr = cluster_address(&tc);
    struct rlink *l = queue_rlink_connect(&addr, 2000);
    ck_assert_ptr_nonnull(l);
    ck_assert(queue_rlink_is_cluster(l));
    ck_assert_int_eq(queue_rlink_masters(l), 3);
    /* Slots: "bar" 5061 and "b" 3300 (first master), "foo" and "{foo}x"
     * 12182 (third). */
    queue_rlink_append(l, "SET bar 1");
    queue_rlink_append(l, "SET foo 2");
    queue_rlink_append(l, "SET {foo}x 3");
    queue_rlink_append(l, "SET b 4");
    queue_rlink_append(l, "GET bar");
    queue_rlink_append(l, "GET b");
    for (int i = 0; i < 4; i++)
        expect_next(l, "OK");
    expect_next(l, "1");
    expect_next(l, "4");

    /* Slot 12182 moves to the first master behind the link's back. */
    const int dst = 0;
    move_foo_slot(&tc, 2, dst);
    char out[256];
    /* The pipeline: the old master answers MOVED for foo's commands, which
     * are sent again to the new one while the others' answers wait. */
    queue_rlink_append(l, "GET b");       /* the first master: foo's slot's new home */
    queue_rlink_append(l, "GET foo");     /* to the third: MOVED */
    queue_rlink_append(l, "INCR {foo}x"); /* to the third: MOVED */
    queue_rlink_append(l, "GET bar");
    queue_rlink_append(l, "INCR b");
    expect_next(l, "4");
    expect_next(l, "2");
    expect_next(l, "4");
    expect_next(l, "1");
    expect_next(l, "5");
    ck_assert(!queue_rlink_broken(l));
    test_cluster_cmd(&tc, dst, out, sizeof out, "GET {foo}x");
    ck_assert_str_eq(out, "4");

    /* MULTI ... EXEC over two slots: one script each, answers in order. */
    queue_rlink_append(l, "MULTI");
    queue_rlink_append(l, "SET bar 10");
    queue_rlink_append(l, "INCR {foo}x");
    queue_rlink_append(l, "GET bar");
    queue_rlink_append(l, "EXEC");
    expect_next(l, "OK");
    for (int i = 0; i < 3; i++)
        expect_next(l, "QUEUED");
    redisReply *exec = NULL;
    ck_assert_int_eq(queue_rlink_get_reply(l, &exec), REDIS_OK);
    ck_assert_int_eq(exec->type, REDIS_REPLY_ARRAY);
    ck_assert_uint_eq(exec->elements, 3);
    ck_assert_str_eq(exec->element[0]->str, "OK");
    ck_assert_int_eq(exec->element[1]->integer, 5);
    ck_assert_str_eq(exec->element[2]->str, "10");
    freeReplyObject(exec);

    /* A script is loaded on every master. */
    const char *body = "return 'cluster_tx test'";
    ck_assert_int_eq(queue_rlink_script_load(l, body), 0);
    redisReply *sha = queue_rlink_command(l, "SCRIPT LOAD %s", body);
    ck_assert_int_eq(sha->type, REDIS_REPLY_STRING);
    for (int i = 0; i < TEST_CLUSTER_MASTERS; i++) {
        test_cluster_cmd(&tc, i, out, sizeof out, "EVALSHA %s 0", sha->str);
        ck_assert_str_eq(out, "cluster_tx test");
    }
    freeReplyObject(sha);
    queue_rlink_close(l);
    test_cluster_stop(&tc);
}
END_TEST

struct answer {
    bool done;
    char text[8][64];
    int n;
};

static void on_answer(redisReply *reply, void *arg)
{
    struct answer *a = arg;
    if (reply && reply->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < reply->elements && a->n < 8; i++)
            text_of(reply->element[i], a->text[a->n++], sizeof a->text[0]);
    else if (a->n < 8)
        text_of(reply, a->text[a->n++], sizeof a->text[0]);
    a->done = true;
}

static void ignore(redisReply *reply, void *arg)
{
    (void)reply;
    (void)arg;
}

static void wait_for(struct event_base *base, struct answer *a)
{
    for (int i = 0; i < 500 && !a->done; i++) {
        struct timeval tv = {0, 10 * 1000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    ck_assert_msg(a->done, "no answer");
}

START_TEST(test_event_loop_connection_routes_and_runs_transactions)
{
    struct test_cluster tc;
    test_cluster_start(&tc, false);
    struct redis_address addr = cluster_address(&tc);
    struct event_base *base = event_base_new();
    struct rconn *rc = queue_rconn_new(base, &addr, 2000);
    ck_assert_ptr_nonnull(rc);
    ck_assert(queue_rconn_is_cluster(rc));
    for (int i = 0; i < 200 && !queue_rconn_is_connected(rc); i++) {
        struct timeval tv = {0, 10 * 1000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    ck_assert(queue_rconn_is_connected(rc));
    struct answer a = {0};
    ck_assert_int_eq(queue_rconn_command(rc, on_answer, &a, "SET %s %s", "foo", "1"), 0);
    wait_for(base, &a);
    ck_assert_str_eq(a.text[0], "OK");
    char out[64];
    test_cluster_cmd(&tc, 2, out, sizeof out, "GET foo");
    ck_assert_str_eq(out, "1");

    /* As queue_put_record does: SET ... GET and a set of another slot. */
    struct answer exec = {0};
    ck_assert_int_eq(queue_rconn_command(rc, ignore, NULL, "MULTI"), 0);
    ck_assert_int_eq(queue_rconn_command(rc, ignore, NULL, "SET %s %s GET", "foo", "2"), 0);
    ck_assert_int_eq(queue_rconn_command(rc, ignore, NULL, "SADD %s %s", "bar", "m"), 0);
    ck_assert_int_eq(queue_rconn_command(rc, on_answer, &exec, "EXEC"), 0);
    wait_for(base, &exec);
    ck_assert_int_eq(exec.n, 2);
    ck_assert_str_eq(exec.text[0], "1");
    ck_assert_str_eq(exec.text[1], "1");
    test_cluster_cmd(&tc, 0, out, sizeof out, "SISMEMBER bar m"); /* slot 5061 */
    ck_assert_str_eq(out, "1");

    /* A command over two slots is not sent. */
    ck_assert_int_eq(queue_rconn_command(rc, ignore, NULL, "DEL %s %s", "foo", "bar"), -1);
    queue_rconn_free(rc);
    event_base_free(base);
    test_cluster_stop(&tc);
}
END_TEST

int main(void)
{
    log_set_level(LOG_ERROR);
    Suite *s = suite_create("cluster_tx");
    TCase *pure = tcase_create("transactions");
    tcase_add_test(pure, test_resp_split_gives_back_the_arguments);
    tcase_add_test(pure, test_transaction_groups_by_slot_keyless_on_slot_0);
    suite_add_tcase(s, pure);
    TCase *real = tcase_create("against_redis");
    tcase_set_timeout(real, 120);
    tcase_add_test(real, test_transaction_script_answers_like_exec);
    tcase_add_test(real, test_rlink_pipelines_across_masters_and_follows_moved_in_order);
    tcase_add_test(real, test_event_loop_connection_routes_and_runs_transactions);
    suite_add_tcase(s, real);
    return test_run_suite(s, CK_FORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
