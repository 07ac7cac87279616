/*
 * Upgrading a store of an earlier version (docs/operations.md "Enrollment
 * keys"): member records at `claims:member:<id>`, family sets at
 * `claims:family:<subscriber>`, the directory at `claims:{c}mref:<id>`. A
 * real claimsd writes a family, is stopped, its keys are put back where the
 * earlier version kept them; at the next start claimsd moves them to the
 * family's shard (`claims:{c}...` with one shard), rebuilds the directory
 * (`claims:mref:<id>`), deletes the old one and logs the counts; the
 * members read back by id, eligibility answers and an enrollment event is
 * applied. A third start moves nothing.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

#define ADMIN "members-upgrade-bootstrap-admin-token-0123456789"

static struct test_redis redis;
static struct test_claimsd server;

static void start(void)
{
    test_claimsd_start_admin(&server, redis.url, ADMIN, (const char *const[]){NULL});
}

/* A command's answer: its string, its integer as text, "" for nil. */
static void text(redisContext *c, char *out, size_t size, const char *cmd)
{
    redisReply *r = redisCommand(c, cmd);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_ne(r->type, REDIS_REPLY_ERROR);
    if (r->type == REDIS_REPLY_INTEGER)
        snprintf(out, size, "%lld", r->integer);
    else
        snprintf(out, size, "%s",
                 r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ? r->str : "");
    freeReplyObject(r);
}

static void assert_text(redisContext *c, const char *cmd, const char *want)
{
    char out[256];
    text(c, out, sizeof out, cmd);
    ck_assert_msg(strcmp(out, want) == 0, "%s: %s, not %s", cmd, out, want);
}

START_TEST(test_records_of_an_earlier_layout_are_moved_at_start_and_keep_working)
{
    start();
    test_put_sample_enrollment(&server, ADMIN, "G100", "M1001 M1001-02");
    test_claimsd_stop_clean(&server);

    /* Back to the earlier version's keys. */
    redisContext *c = test_redis_connect(&redis);
    char record[4096];
    text(c, record, sizeof record, "GET claims:{c}member:M1001-02");
    ck_assert_uint_gt(strlen(record), 0);
    assert_text(c, "RENAME claims:{c}member:M1001 claims:member:M1001", "OK");
    assert_text(c, "RENAME claims:{c}member:M1001-02 claims:member:M1001-02", "OK");
    assert_text(c, "RENAME claims:{c}family:M1001 claims:family:M1001", "OK");
    assert_text(c, "RENAME claims:mref:M1001 claims:{c}mref:M1001", "OK");
    assert_text(c, "DEL claims:mref:M1001-02", "1");

    start();
    char *log = test_claimsd_log(&server);
    ck_assert_msg(strstr(log, "moved 2 member records and 1 family sets of an earlier version"),
                  "%s", log);
    ck_assert_msg(strstr(log, "wrote the member directory entries of 2 member records"), "%s", log);
    ck_assert_msg(strstr(log, "deleted 1 member directory entries of an earlier version"), "%s",
                  log);
    free(log);
    assert_text(c, "EXISTS claims:member:M1001-02", "0");
    assert_text(c, "EXISTS claims:family:M1001", "0");
    assert_text(c, "EXISTS claims:{c}mref:M1001", "0");
    char moved[4096];
    text(c, moved, sizeof moved, "GET claims:{c}member:M1001-02");
    ck_assert_str_eq(moved, record);
    assert_text(c, "SISMEMBER claims:{c}family:M1001 M1001-02", "1");
    assert_text(c, "HGET claims:mref:M1001-02 subscriber_id", "M1001");
    assert_text(c, "HGET claims:mref:M1001-02 group_id", "G100");
    assert_text(c, "HGET claims:mref:M1001-02 plan_id", "PPO-500");

    struct test_response res;
    test_api(&server, "GET", "/v1/members/M1001-02", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "first_name"), "Ana");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/eligibility?member_id=M1001-02&date=2026-03-02", ADMIN, NULL,
             NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "covered"), "true");
    ck_assert_str_eq(test_json_str(res.body, "plan_id"), "PPO-500");
    test_response_free(&res);
    /* An event on the moved family: read and written on its shard. */
    test_api(&server, "POST", "/v1/members/M1001-02/events", ADMIN,
             "{\"event\":\"student_status\",\"date\":\"2026-06-15\","
             "\"reported_on\":\"2026-06-20\",\"student\":false}",
             NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "student"), "false");
    test_response_free(&res);
    assert_text(c, "GET claims:{c}famver:M1001", "1:event");
    test_claimsd_stop_clean(&server);

    /* Nothing left to move. */
    start();
    log = test_claimsd_log(&server);
    ck_assert_msg(!strstr(log, "earlier version") && !strstr(log, "member directory entries"), "%s",
                  log);
    free(log);
    test_claimsd_stop_clean(&server);
    redisFree(c);
}
END_TEST

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    test_redis_start(&redis);
    Suite *s = suite_create("members upgrade");
    TCase *tc = tcase_create("upgrade");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_records_of_an_earlier_layout_are_moved_at_start_and_keep_working);
    suite_add_tcase(s, tc);
    int failed = test_run_suite(s, CK_NOFORK);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
