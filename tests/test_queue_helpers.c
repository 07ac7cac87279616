/*
 * queue/'s shared helpers without Redis: queue_shard_fanout_each (requests sent or
 * not, replies to done in request order, nothing sent: -1 and no done),
 * queue_reply_strings, queue_ok_or_state and queue_resp_argv_copy. Replies are
 * made here and answered during the sending, as a reply read from a socket
 * would be afterwards.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "queue/cluster_tx.h"
#include "queue/reply.h"
#include "queue/shard_fanout.h"

/* What done saw. */
static int done_calls, done_n;
static char done_texts[4][16]; /* "" for a NULL reply */

static void on_done(redisReply *const *replies, int n, void *arg)
{
    (void)arg;
    done_calls++;
    done_n = n;
    for (int i = 0; i < n && i < 4; i++)
        strcpy(done_texts[i], replies[i] ? replies[i]->str : "");
}

/* Answers request i with the status text texts[i], or sends nothing when it
 * is NULL. */
static int send_answered(struct shard_fanout *f, int i, void *ctx)
{
    const char *const *texts = ctx;
    if (!texts[i])
        return -1;
    redisReply *r = queue_resp_status(texts[i]);
    ck_assert_ptr_nonnull(r);
    queue_shard_fanout_reply(r, queue_shard_fanout_arg(f, i));
    freeReplyObject(r);
    return 0;
}

static void reset_done(void)
{
    done_calls = 0;
    done_n = 0;
    memset(done_texts, 0, sizeof done_texts);
}

START_TEST(test_each_answers_in_request_order)
{
    reset_done();
    const char *texts[] = {"a", NULL, "c"};
    ck_assert_int_eq(queue_shard_fanout_each(3, send_answered, texts, on_done, NULL), 0);
    ck_assert_int_eq(done_calls, 1);
    ck_assert_int_eq(done_n, 3);
    ck_assert_str_eq(done_texts[0], "a");
    ck_assert_str_eq(done_texts[1], "");
    ck_assert_str_eq(done_texts[2], "c");
}
END_TEST

START_TEST(test_each_one_request)
{
    reset_done();
    const char *texts[] = {"only"};
    ck_assert_int_eq(queue_shard_fanout_each(1, send_answered, texts, on_done, NULL), 0);
    ck_assert_int_eq(done_calls, 1);
    ck_assert_int_eq(done_n, 1);
    ck_assert_str_eq(done_texts[0], "only");
}
END_TEST

START_TEST(test_each_nothing_sent)
{
    reset_done();
    const char *texts[] = {NULL, NULL};
    ck_assert_int_eq(queue_shard_fanout_each(2, send_answered, texts, on_done, NULL), -1);
    ck_assert_int_eq(done_calls, 0);
    ck_assert_int_eq(queue_shard_fanout_each(0, send_answered, texts, on_done, NULL), -1);
    ck_assert_int_eq(done_calls, 0);
}
END_TEST

START_TEST(test_reply_strings)
{
    char a[] = "first", c[] = "third";
    redisReply ra = {.type = REDIS_REPLY_STRING, .str = a, .len = 5};
    redisReply rb = {.type = REDIS_REPLY_NIL};
    redisReply rc = {.type = REDIS_REPLY_STRING, .str = c, .len = 5};
    const redisReply *replies[] = {&ra, &rb, &rc};
    const char *x = "unset", *y = "unset", *z = "unset";
    const char **fields[] = {&x, &y, NULL};
    queue_reply_strings(replies, 3, fields);
    ck_assert_str_eq(x, "first");
    ck_assert_ptr_null(y);
    const char **all[] = {&x, &y, &z};
    queue_reply_strings(replies, 2, all);
    ck_assert_str_eq(z, "unset");
    queue_reply_strings(replies, 3, all);
    ck_assert_str_eq(z, "third");
}
END_TEST

START_TEST(test_ok_or_state)
{
    char ok[] = "ok", pended[] = "pended", gone[] = "", err[] = "ERR x";
    redisReply r_ok = {.type = REDIS_REPLY_STRING, .str = ok, .len = 2};
    redisReply r_state = {.type = REDIS_REPLY_STRING, .str = pended, .len = 6};
    redisReply r_gone = {.type = REDIS_REPLY_STRING, .str = gone, .len = 0};
    redisReply r_err = {.type = REDIS_REPLY_ERROR, .str = err, .len = 5};
    redisReply r_int = {.type = REDIS_REPLY_INTEGER, .integer = 1};
    ck_assert_int_eq(queue_ok_or_state(&r_ok, "t"), QUEUE_OK);
    ck_assert_int_eq(queue_ok_or_state(&r_state, "t"), QUEUE_CONFLICT);
    ck_assert_int_eq(queue_ok_or_state(&r_gone, "t"), QUEUE_NOT_FOUND);
    ck_assert_int_eq(queue_ok_or_state(&r_err, "t"), QUEUE_UNAVAILABLE);
    ck_assert_int_eq(queue_ok_or_state(&r_int, "t"), QUEUE_UNAVAILABLE);
    ck_assert_int_eq(queue_ok_or_state(NULL, "t"), QUEUE_UNAVAILABLE);
}
END_TEST

/* queue_reply_score: the one reader of index scores (the search's pages and
 * the shard lists' pages). */
START_TEST(test_reply_score)
{
    const char *good[] = {"0", "123", "9007199254740992", "2.5e3"};
    const long long want[] = {0, 123, 9007199254740992LL, 2500};
    for (int i = 0; i < 4; i++) {
        redisReply r = {.type = REDIS_REPLY_STRING, .str = (char *)good[i], .len = strlen(good[i])};
        long long v = -1;
        ck_assert_msg(queue_reply_score(&r, &v), "%s", good[i]);
        ck_assert_int_eq(v, want[i]);
    }
    const char *bad[] = {"", "inf", "-inf", "nan", "-1", "9007199254740994", "12x", " 1x"};
    for (int i = 0; i < 8; i++) {
        redisReply r = {.type = REDIS_REPLY_STRING, .str = (char *)bad[i], .len = strlen(bad[i])};
        long long v = 7;
        ck_assert_msg(!queue_reply_score(&r, &v), "%s", bad[i]);
        ck_assert_int_eq(v, 7);
    }
    redisReply r_int = {.type = REDIS_REPLY_INTEGER, .integer = 5};
    long long v = 7;
    ck_assert(!queue_reply_score(&r_int, &v));
    ck_assert(!queue_reply_score(NULL, &v));
    ck_assert_int_eq(v, 7);
}
END_TEST

START_TEST(test_argv_copy)
{
    const char *argv[] = {"SET", "k\0ey", ""};
    const size_t lens[] = {3, 4, 0};
    char **copy = NULL;
    size_t *copy_lens = NULL;
    ck_assert_int_eq(queue_resp_argv_copy(3, argv, lens, &copy, &copy_lens), 0);
    ck_assert_str_eq(copy[0], "SET");
    ck_assert_uint_eq(copy_lens[0], 3);
    ck_assert_int_eq(memcmp(copy[1], "k\0ey", 5), 0); /* the bytes and a NUL */
    ck_assert_uint_eq(copy_lens[1], 4);
    ck_assert_str_eq(copy[2], "");
    ck_assert_uint_eq(copy_lens[2], 0);
    ck_assert_ptr_ne(copy[0], argv[0]);
    free(copy);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("queue_helpers");
    TCase *tc = tcase_create("helpers");
    tcase_add_test(tc, test_each_answers_in_request_order);
    tcase_add_test(tc, test_each_one_request);
    tcase_add_test(tc, test_each_nothing_sent);
    tcase_add_test(tc, test_reply_strings);
    tcase_add_test(tc, test_ok_or_state);
    tcase_add_test(tc, test_reply_score);
    tcase_add_test(tc, test_argv_copy);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
