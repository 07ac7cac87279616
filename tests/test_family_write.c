/* queue/family_write.c against a real redis-server: a family read answers its
 * sorted members, group and the added id's record; a write stores every
 * record, its family set entry and reference hash and moves the family
 * version on, and writes nothing (QUEUE_CONFLICT) when a record or the
 * family set changed since the read. */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/family_write.h"
#include "queue/queue.h"
#include "queue/redis_conn.h"

#define PREFIX "t:"

static struct test_redis redis;
static struct test_queue q;

static void setup(void)
{
    test_queue_open(&q, &redis, 0);
}

static void teardown(void)
{
    test_queue_close(&q);
}

static enum queue_status write_one(const char *const *ids, size_t n_ids, const char *expected,
                                   const char *json)
{
    struct queue_family_record rec = {"E1-02", expected, json, "E1", "G1", "P1"};
    struct test_status_answer a = {0};
    ck_assert_int_eq(
        queue_family_write(q.rc, PREFIX, "E1", ids, n_ids, &rec, 1, test_on_status, &a), 0);
    test_run_until(q.base, &a.done);
    return a.status;
}

START_TEST(test_read_answers_sorted_family_group_and_added)
{
    test_redis_ok(q.c, "SADD t:{c}family:E1 E1-01 E1 E1-09");
    test_redis_ok(q.c, "SET t:{c}member:E1 {\"e\":1}");
    test_redis_ok(q.c, "SET t:{c}member:E1-01 {\"s\":1}");
    test_redis_ok(q.c, "SET t:group:G1 {\"g\":1}");
    test_redis_ok(q.c, "SET t:{c}member:X7 {\"x\":1}");
    struct test_family_answer a = {0};
    ck_assert_int_eq(queue_family_read(q.rc, PREFIX, "E1", "G1", "X7", test_on_family, &a), 0);
    test_run_until(q.base, &a.done);
    ck_assert_int_eq(a.status, QUEUE_OK);
    ck_assert_uint_eq(a.n, 3);
    ck_assert_str_eq(a.ids[0], "E1");
    ck_assert_str_eq(a.records[0], "{\"e\":1}");
    ck_assert_str_eq(a.ids[1], "E1-01");
    ck_assert_str_eq(a.ids[2], "E1-09");
    ck_assert_str_eq(a.records[2], "-");
    ck_assert_str_eq(a.group, "{\"g\":1}");
    ck_assert_str_eq(a.added, "{\"x\":1}");
    struct test_family_answer b = {0};
    ck_assert_int_eq(queue_family_read(q.rc, PREFIX, "E2", "G9", NULL, test_on_family, &b), 0);
    test_run_until(q.base, &b.done);
    ck_assert_int_eq(b.status, QUEUE_OK);
    ck_assert_uint_eq(b.n, 0);
    ck_assert_str_eq(b.group, "-");
    ck_assert_str_eq(b.added, "-");
}
END_TEST

START_TEST(test_write_stores_records_keys_and_moves_the_version)
{
    test_redis_ok(q.c, "SADD t:{c}family:E1 E1");
    test_redis_ok(q.c, "SET t:{c}famver:E1 7:claim-1");
    const char *ids[] = {"E1"};
    ck_assert_int_eq(write_one(ids, 1, "", "{\"v\":1}"), QUEUE_OK);
    char out[128];
    test_redis_text(q.c, out, sizeof out, "GET t:{c}member:E1-02");
    ck_assert_str_eq(out, "{\"v\":1}");
    test_redis_text(q.c, out, sizeof out, "GET t:{c}famver:E1");
    ck_assert_str_eq(out, "8:event");
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:E1-02 plan_id");
    ck_assert_str_eq(out, "P1");
    redisReply *r = redisCommand(q.c, "SISMEMBER t:{c}family:E1 E1-02");
    ck_assert_int_eq(r->integer, 1);
    freeReplyObject(r);
    /* The next write must expect what is stored now. */
    const char *ids2[] = {"E1", "E1-02"};
    ck_assert_int_eq(write_one(ids2, 2, "{\"v\":1}", "{\"v\":2}"), QUEUE_OK);
    test_redis_text(q.c, out, sizeof out, "GET t:{c}famver:E1");
    ck_assert_str_eq(out, "9:event");
}
END_TEST

START_TEST(test_write_refused_when_a_record_changed)
{
    test_redis_ok(q.c, "SADD t:{c}family:E1 E1 E1-02");
    test_redis_ok(q.c, "SET t:{c}member:E1-02 {\"v\":2}");
    const char *ids[] = {"E1", "E1-02"};
    ck_assert_int_eq(write_one(ids, 2, "{\"v\":1}", "{\"v\":3}"), QUEUE_CONFLICT);
    ck_assert_int_eq(write_one(ids, 2, "", "{\"v\":3}"), QUEUE_CONFLICT);
    char out[64];
    test_redis_text(q.c, out, sizeof out, "GET t:{c}member:E1-02");
    ck_assert_str_eq(out, "{\"v\":2}");
    test_redis_text(q.c, out, sizeof out, "GET t:{c}famver:E1");
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_write_refused_when_the_family_set_changed)
{
    test_redis_ok(q.c, "SADD t:{c}family:E1 E1 E1-05");
    const char *ids[] = {"E1"}; /* read before E1-05 joined */
    ck_assert_int_eq(write_one(ids, 1, "", "{\"v\":1}"), QUEUE_CONFLICT);
    char out[64];
    test_redis_text(q.c, out, sizeof out, "GET t:{c}member:E1-02");
    ck_assert_str_eq(out, "");
}
END_TEST

int main(void)
{
    queue_init();
    test_redis_start(&redis);
    Suite *s = suite_create("family write");
    TCase *tc = tcase_create("family");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_read_answers_sorted_family_group_and_added);
    tcase_add_test(tc, test_write_stores_records_keys_and_moves_the_version);
    tcase_add_test(tc, test_write_refused_when_a_record_changed);
    tcase_add_test(tc, test_write_refused_when_the_family_set_changed);
    suite_add_tcase(s, tc);
    int failed = test_run_suite(s, CK_NOFORK);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
