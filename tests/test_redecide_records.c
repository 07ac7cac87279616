/*
 * queue/redecide_records.c against a real redis-server: the enrollment
 * records a family re-decision reads outside its load script. From the
 * subscriber, the family set and the claims' patients it follows each
 * member's parent_member_id (a grandchild's parent), group_id and the
 * group's plan_id, each record once; ids that name no record, records that
 * are no JSON object and empty or too long ids are left out, not failed on.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/redecide_records.h"

#define P "t:"
/* Member records and family sets are on the family's shard: "{c}" with the
 * one shard of this process. Groups and plans are untagged. */

static struct test_redis redis;
static redisContext *ctx;

static void setup(void)
{
    test_redis_start(&redis);
    ctx = test_redis_connect(&redis);
}

static void teardown(void)
{
    redisFree(ctx);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
}

static void set(const char *key, const char *value)
{
    redisReply *r = redisCommand(ctx, "SET %s %s", key, value);
    ck_assert_ptr_nonnull(r);
    freeReplyObject(r);
}

/* The ids of a record list, sorted and space-separated. */
static const char *ids_of(const struct redecide_record *list, size_t n)
{
    static char out[512];
    const char *ids[32];
    ck_assert_uint_le(n, 32);
    for (size_t i = 0; i < n; i++)
        ids[i] = list[i].id;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
            const char *t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "", ids[i]);
    return out;
}

START_TEST(test_follows_parents_groups_and_plans_once)
{
    /* S (the subscriber, group G1) and its set {S, D, GONE}; D names group
     * G2; K, a claim's patient outside the set, names parent D; G1 names
     * plan P1, G2 names P2, which has no record; X's record is no JSON. */
    set(P "{c}member:S", "{\"member_id\":\"S\",\"group_id\":\"G1\"}");
    set(P "{c}member:D", "{\"member_id\":\"D\",\"group_id\":\"G2\"}");
    set(P "{c}member:K", "{\"member_id\":\"K\",\"group_id\":\"G1\",\"parent_member_id\":\"D\"}");
    set(P "{c}member:X", "not json");
    set(P "group:G1", "{\"group_id\":\"G1\",\"plan_id\":\"P1\"}");
    set(P "group:G2", "{\"group_id\":\"G2\",\"plan_id\":\"P2\"}");
    set(P "plan:P1", "{\"plan_id\":\"P1\"}");
    redisReply *r = redisCommand(ctx, "SADD " P "{c}family:S S D GONE");
    ck_assert_ptr_nonnull(r);
    freeReplyObject(r);
    struct redecide_row rows[3] = {0};
    snprintf(rows[0].member_id, sizeof rows[0].member_id, "K");
    snprintf(rows[1].member_id, sizeof rows[1].member_id, "X");
    snprintf(rows[2].member_id, sizeof rows[2].member_id, "S");
    struct redecide_facts f = {.rows = rows, .n_rows = 3};
    struct rlink *link = queue_rlink_wrap(ctx);
    ck_assert_ptr_nonnull(link);
    ck_assert_int_eq(queue_redecide_read_records(link, P, "S", &f), 0);
    queue_rlink_close(link);
    /* GONE has no record; X's record is kept as it is (the job fails on it
     * only if a claim needs it) but names nothing. */
    ck_assert_str_eq(ids_of(f.members, f.n_members), "D K S X");
    ck_assert_str_eq(ids_of(f.groups, f.n_groups), "G1 G2");
    ck_assert_str_eq(ids_of(f.plans, f.n_plans), "P1");
    ck_assert_str_eq(queue_redecide_record_of(f.members, f.n_members, "K"),
                     "{\"member_id\":\"K\",\"group_id\":\"G1\",\"parent_member_id\":\"D\"}");
    ck_assert_str_eq(queue_redecide_record_of(f.plans, f.n_plans, "P1"), "{\"plan_id\":\"P1\"}");
    f.rows = NULL;
    f.n_rows = 0;
    queue_redecide_facts_free(&f);
}
END_TEST

START_TEST(test_an_empty_family_reads_nothing)
{
    struct redecide_facts f = {0};
    struct rlink *link = queue_rlink_wrap(ctx);
    ck_assert_int_eq(queue_redecide_read_records(link, P, "NOBODY", &f), 0);
    queue_rlink_close(link);
    ck_assert_uint_eq(f.n_members, 0);
    ck_assert_uint_eq(f.n_groups, 0);
    ck_assert_uint_eq(f.n_plans, 0);
    queue_redecide_facts_free(&f);
}
END_TEST

START_TEST(test_a_family_key_of_another_type_is_refused)
{
    set(P "{c}family:S", "a string, not a set");
    struct redecide_facts f = {0};
    struct rlink *link = queue_rlink_wrap(ctx);
    ck_assert_int_eq(queue_redecide_read_records(link, P, "S", &f), -2);
    queue_rlink_close(link);
    queue_redecide_facts_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("redecide_records");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_follows_parents_groups_and_plans_once);
    tcase_add_test(tc, test_an_empty_family_reads_nothing);
    tcase_add_test(tc, test_a_family_key_of_another_type_is_refused);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_NOFORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
