/* Enrollment on the family's shard (issue 12, queue/members.h) with 16
 * shards, against a real redis-server: a member record and its family set
 * live under the family's shard prefix and are found by member id through
 * the unsharded directory `mref`; a change of family moves the record
 * across shards; an enrollment event's read and compare-and-set touch the
 * family's shard only and write the directory after; the start-up pass
 * moves records of the earlier layout, rebuilds missing, outdated and
 * dangling directory entries, leaves an entry naming another live record,
 * deletes the earlier directory, and does nothing the second time; GET
 * /v1/me's family read goes through the directory. */
#include <check.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/accounts.h"
#include "queue/enrollment.h"
#include "queue/family_write.h"
#include "queue/members.h"
#include "queue/queue.h"
#include "queue/redis_conn.h"
#include "queue/rlink.h"
#include "queue/shards.h"

#define PREFIX "t:"

static struct test_redis redis;
static struct test_queue q;
/* Two subscribers whose families are on different shards, a third on A's. */
static char sub_a[16], sub_b[16], sub_a2[16];
static char pa[SHARD_PREFIX_LEN], pb[SHARD_PREFIX_LEN];

static void setup(void)
{
    test_queue_open(&q, &redis, 0);
}

static void teardown(void)
{
    test_queue_close(&q);
}

struct answer {
    int done;
    enum queue_status status;
    bool existed;
    size_t n;
    char json[4][160];
    char sub[16];
    char ids[4][16];
};

static void on_put(enum queue_status status, bool existed, void *arg)
{
    struct answer *a = arg;
    a->done++;
    a->status = status;
    a->existed = existed;
}

static void on_status(enum queue_status status, void *arg)
{
    struct answer *a = arg;
    a->done++;
    a->status = status;
}

static void on_records(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct answer *a = arg;
    a->done++;
    a->status = status;
    a->n = n;
    for (size_t i = 0; i < n && i < 4; i++)
        snprintf(a->json[i], sizeof a->json[i], "%s", json[i] ? json[i] : "-");
}

static struct answer put_member(const char *id, const char *sub, const char *old_sub,
                                const char *json)
{
    struct queue_member_facts facts = {id, sub, "G1", "P1"};
    struct answer a = {0};
    ck_assert_int_eq(
        queue_put_record(q.rc, PREFIX, QUEUE_RECORD_MEMBER, id, json, &facts, old_sub, on_put, &a),
        0);
    test_run_until(q.base, &a.done);
    return a;
}

START_TEST(test_member_lives_on_its_familys_shard_and_moves_across_shards)
{
    struct answer a = put_member("M7", sub_a, NULL, "{\"v\":1}");
    ck_assert_int_eq(a.status, QUEUE_OK);
    ck_assert(!a.existed);
    char out[160];
    test_redis_text(q.c, out, sizeof out, "GET %smember:M7", pa);
    ck_assert_str_eq(out, "{\"v\":1}");
    ck_assert_int_eq(test_redis_int(q.c, "SISMEMBER %sfamily:%s M7", pa, sub_a), 1);
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:M7 subscriber_id");
    ck_assert_str_eq(out, sub_a);
    ck_assert_int_eq(test_redis_int(q.c, "EXISTS t:member:M7"), 0);

    /* To a family on another shard: the record and set entry leave A's. */
    a = put_member("M7", sub_b, sub_a, "{\"v\":2}");
    ck_assert_int_eq(a.status, QUEUE_OK);
    ck_assert(a.existed);
    test_redis_text(q.c, out, sizeof out, "GET %smember:M7", pb);
    ck_assert_str_eq(out, "{\"v\":2}");
    ck_assert_int_eq(test_redis_int(q.c, "EXISTS %smember:M7", pa), 0);
    ck_assert_int_eq(test_redis_int(q.c, "SISMEMBER %sfamily:%s M7", pa, sub_a), 0);
    ck_assert_int_eq(test_redis_int(q.c, "SISMEMBER %sfamily:%s M7", pb, sub_b), 1);
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:M7 subscriber_id");
    ck_assert_str_eq(out, sub_b);

    /* Read by id through the directory, beside a group; an unknown member. */
    test_redis_ok(q.c, "SET t:group:G1 {\"g\":1}");
    struct queue_record_ref refs[] = {
        {QUEUE_RECORD_MEMBER, "M7"}, {QUEUE_RECORD_GROUP, "G1"}, {QUEUE_RECORD_MEMBER, "M404"}};
    struct answer got = {0};
    ck_assert_int_eq(queue_get_records(q.rc, PREFIX, refs, 3, on_records, &got), 0);
    test_run_until(q.base, &got.done);
    ck_assert_int_eq(got.status, QUEUE_OK);
    ck_assert_uint_eq(got.n, 3);
    ck_assert_str_eq(got.json[0], "{\"v\":2}");
    ck_assert_str_eq(got.json[1], "{\"g\":1}");
    ck_assert_str_eq(got.json[2], "-");
    struct answer only_unknown = {0};
    ck_assert_int_eq(queue_get_records(q.rc, PREFIX, &refs[2], 1, on_records, &only_unknown), 0);
    test_run_until(q.base, &only_unknown.done);
    ck_assert_int_eq(only_unknown.status, QUEUE_OK);
    ck_assert_str_eq(only_unknown.json[0], "-");
    struct answer yes = {0}, no = {0};
    ck_assert_int_eq(queue_record_exists(q.rc, PREFIX, QUEUE_RECORD_MEMBER, "M7", on_status, &yes),
                     0);
    ck_assert_int_eq(queue_record_exists(q.rc, PREFIX, QUEUE_RECORD_MEMBER, "M404", on_status, &no),
                     0);
    test_run_until(q.base, &yes.done);
    test_run_until(q.base, &no.done);
    ck_assert_int_eq(yes.status, QUEUE_OK);
    ck_assert_int_eq(no.status, QUEUE_NOT_FOUND);

    /* To a family of the same shard: one key, the sets swapped. */
    a = put_member("M8", sub_a, NULL, "{\"w\":1}");
    a = put_member("M8", sub_a2, sub_a, "{\"w\":2}");
    ck_assert_int_eq(a.status, QUEUE_OK);
    ck_assert(a.existed);
    test_redis_text(q.c, out, sizeof out, "GET %smember:M8", pa);
    ck_assert_str_eq(out, "{\"w\":2}");
    ck_assert_int_eq(test_redis_int(q.c, "SISMEMBER %sfamily:%s M8", pa, sub_a), 0);
    ck_assert_int_eq(test_redis_int(q.c, "SISMEMBER %sfamily:%s M8", pa, sub_a2), 1);

    /* The blocking calls of the sample enrollment and the command line. */
    struct rlink *l = queue_rlink_wrap(q.c);
    ck_assert_ptr_nonnull(l);
    struct queue_member_facts facts = {"M9", sub_b, "G1", ""};
    ck_assert_int_eq(queue_put_record_blocking(l, PREFIX, QUEUE_RECORD_MEMBER, "M9", "{}", &facts),
                     0);
    ck_assert_int_eq(queue_record_exists_blocking(l, PREFIX, QUEUE_RECORD_MEMBER, "M9"), 1);
    ck_assert_int_eq(queue_record_exists_blocking(l, PREFIX, QUEUE_RECORD_MEMBER, "M404"), 0);
    char sub[ID_LEN];
    ck_assert_int_eq(queue_member_subscriber_blocking(l, PREFIX, "M9", sub), 1);
    ck_assert_str_eq(sub, sub_b);
    queue_rlink_close(l);
    test_redis_text(q.c, out, sizeof out, "GET %smember:M9", pb);
    ck_assert_str_eq(out, "{}");
    ck_assert_int_eq(test_redis_int(q.c, "SISMEMBER %sfamily:%s M9", pb, sub_b), 1);
}
END_TEST

static struct test_family_answer read_family(const char *sub, const char *added)
{
    struct test_family_answer a = {0};
    ck_assert_int_eq(queue_family_read(q.rc, PREFIX, sub, "G1", added, test_on_family, &a), 0);
    test_run_until(q.base, &a.done);
    return a;
}

START_TEST(test_family_event_reads_and_writes_the_familys_shard_then_the_directory)
{
    test_redis_ok(q.c, "SADD %sfamily:%s %s", pa, sub_a, sub_a);
    test_redis_ok(q.c, "SET %smember:%s {\"e\":1}", pa, sub_a);
    test_redis_ok(q.c, "HSET t:mref:%s subscriber_id %s group_id G1 plan_id P1", sub_a, sub_a);
    test_redis_ok(q.c, "SET t:group:G1 {\"g\":1}");
    struct test_family_answer f = read_family(sub_a, "N1");
    ck_assert_int_eq(f.status, QUEUE_OK);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_str_eq(f.ids[0], sub_a);
    ck_assert_str_eq(f.records[0], "{\"e\":1}");
    ck_assert_str_eq(f.group, "{\"g\":1}");
    ck_assert_str_eq(f.added, "-");

    /* A newborn added: the record, the set and the version on A's shard. */
    const char *ids[] = {sub_a};
    struct queue_family_record rec = {"N1", "", "{\"n\":1}", sub_a, "G1", "P2"};
    struct answer w = {0};
    ck_assert_int_eq(queue_family_write(q.rc, PREFIX, sub_a, ids, 1, &rec, 1, on_status, &w), 0);
    test_run_until(q.base, &w.done);
    ck_assert_int_eq(w.status, QUEUE_OK);
    char out[64];
    test_redis_text(q.c, out, sizeof out, "GET %smember:N1", pa);
    ck_assert_str_eq(out, "{\"n\":1}");
    test_redis_text(q.c, out, sizeof out, "GET %sfamver:%s", pa, sub_a);
    ck_assert_str_eq(out, "1:event");
    ck_assert_int_eq(test_redis_int(q.c, "SISMEMBER %sfamily:%s N1", pa, sub_a), 1);
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:N1 subscriber_id");
    ck_assert_str_eq(out, sub_a);
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:N1 plan_id");
    ck_assert_str_eq(out, "P2");

    /* Adding N1 again is seen (on this shard); so is an id taken in a
     * family of another shard (through its directory entry). */
    f = read_family(sub_a, "N1");
    ck_assert_uint_eq(f.n, 2);
    ck_assert_str_eq(f.added, "{\"n\":1}");
    test_redis_ok(q.c, "SET %smember:X1 {\"x\":1}", pb);
    test_redis_ok(q.c, "HSET t:mref:X1 subscriber_id %s group_id G1 plan_id P1", sub_b);
    f = read_family(sub_a, "X1");
    ck_assert_int_eq(f.status, QUEUE_OK);
    ck_assert_str_eq(f.added, "{\"x\":1}");

    /* A write on what changed since: nothing written, directory untouched. */
    struct queue_family_record stale = {"N1", "{\"n\":0}", "{\"n\":2}", sub_a, "G1", "P3"};
    const char *ids2[] = {sub_a, "N1"};
    struct answer refused = {0};
    ck_assert_int_eq(
        queue_family_write(q.rc, PREFIX, sub_a, ids2, 2, &stale, 1, on_status, &refused), 0);
    test_run_until(q.base, &refused.done);
    ck_assert_int_eq(refused.status, QUEUE_CONFLICT);
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:N1 plan_id");
    ck_assert_str_eq(out, "P2");
    test_redis_text(q.c, out, sizeof out, "GET %sfamver:%s", pa, sub_a);
    ck_assert_str_eq(out, "1:event");
}
END_TEST

START_TEST(test_start_up_moves_the_earlier_layout_and_rebuilds_the_directory)
{
    const char *m1 = "{\"member_id\":\"L1\",\"subscriber_id\":\"%s\",\"group_id\":\"G1\","
                     "\"coverage\":[{\"plan_id\":\"P0\"},{\"plan_id\":\"P1\"}]}";
    char rec[256];
    /* Written by an earlier version: unsharded record and set, the
     * directory on "{c}". */
    snprintf(rec, sizeof rec, m1, sub_a);
    test_redis_ok(q.c, "SET t:member:L1 %s", rec);
    test_redis_ok(q.c, "SADD t:family:%s L1 %s", sub_a, sub_a);
    test_redis_ok(q.c, "HSET t:{c}mref:L1 subscriber_id %s group_id G1 plan_id P1", sub_a);
    /* A record of this layout whose directory entry is outdated (group). */
    test_redis_ok(q.c, "SET %smember:L2 {\"subscriber_id\":\"%s\",\"group_id\":\"G2\"}", pb, sub_b);
    test_redis_ok(q.c, "HSET t:mref:L2 subscriber_id %s group_id G1 plan_id %s", sub_b, "");
    /* One whose entry names a family without its record (a move cut after
     * the old record was removed). */
    test_redis_ok(q.c, "SET %smember:L3 {\"subscriber_id\":\"%s\",\"group_id\":\"G1\"}", pb, sub_b);
    test_redis_ok(q.c, "HSET t:mref:L3 subscriber_id %s group_id G1 plan_id %s", sub_a, "");
    /* One whose entry names another family that has a record too (a move
     * cut before): the entry stands. */
    test_redis_ok(q.c, "SET %smember:L4 {\"subscriber_id\":\"%s\",\"group_id\":\"G1\"}", pb, sub_b);
    test_redis_ok(q.c, "SET %smember:L4 {\"subscriber_id\":\"%s\",\"group_id\":\"G1\"}", pa, sub_a);
    test_redis_ok(q.c, "HSET t:mref:L4 subscriber_id %s group_id G1 plan_id %s", sub_a, "");

    struct rlink *l = queue_rlink_wrap(q.c);
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(queue_member_refs_backfill(l, PREFIX), 3); /* L1, L2, L3 */
    char out[256];
    test_redis_text(q.c, out, sizeof out, "GET %smember:L1", pa);
    ck_assert_str_eq(out, rec);
    ck_assert_int_eq(test_redis_int(q.c, "EXISTS t:member:L1"), 0);
    ck_assert_int_eq(test_redis_int(q.c, "EXISTS t:family:%s", sub_a), 0);
    ck_assert_int_eq(test_redis_int(q.c, "SCARD %sfamily:%s", pa, sub_a), 2);
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:L1 plan_id");
    ck_assert_str_eq(out, "P1");
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:L1 subscriber_id");
    ck_assert_str_eq(out, sub_a);
    ck_assert_int_eq(test_redis_int(q.c, "EXISTS t:{c}mref:L1"), 0);
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:L2 group_id");
    ck_assert_str_eq(out, "G2");
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:L3 subscriber_id");
    ck_assert_str_eq(out, sub_b);
    test_redis_text(q.c, out, sizeof out, "HGET t:mref:L4 subscriber_id");
    ck_assert_str_eq(out, sub_a);
    /* Idempotent: the second start finds nothing to do. */
    ck_assert_int_eq(queue_member_refs_backfill(l, PREFIX), 0);
    test_redis_text(q.c, out, sizeof out, "GET %smember:L1", pa);
    ck_assert_str_eq(out, rec);
    queue_rlink_close(l);
}
END_TEST

static void on_me_family(enum queue_status status, const char *subscriber_id,
                         const struct family_entry *family, size_t n, void *arg)
{
    struct answer *a = arg;
    a->done++;
    a->status = status;
    a->n = n;
    snprintf(a->sub, sizeof a->sub, "%s", subscriber_id ? subscriber_id : "-");
    for (size_t i = 0; i < n && i < 4; i++)
        snprintf(a->ids[i], sizeof a->ids[i], "%s", family[i].member_id);
}

START_TEST(test_me_reads_the_family_through_the_directory)
{
    char json[160];
    snprintf(json, sizeof json,
             "{\"subscriber_id\":\"%s\",\"first_name\":\"Ann\",\"relationship\":\"employee\"}",
             sub_a);
    put_member(sub_a, sub_a, NULL, json);
    snprintf(json, sizeof json,
             "{\"subscriber_id\":\"%s\",\"first_name\":\"Bo\",\"relationship\":\"child\"}", sub_a);
    put_member("K2", sub_a, NULL, json);
    struct answer me = {0}, child = {0}, none = {0};
    ck_assert_int_eq(queue_accounts_member_family_async(q.rc, PREFIX, sub_a, on_me_family, &me), 0);
    ck_assert_int_eq(queue_accounts_member_family_async(q.rc, PREFIX, "K2", on_me_family, &child),
                     0);
    ck_assert_int_eq(queue_accounts_member_family_async(q.rc, PREFIX, "K404", on_me_family, &none),
                     0);
    test_run_until(q.base, &me.done);
    test_run_until(q.base, &child.done);
    test_run_until(q.base, &none.done);
    ck_assert_int_eq(me.status, QUEUE_OK);
    ck_assert_str_eq(me.sub, sub_a);
    ck_assert_uint_eq(me.n, 2);
    ck_assert_str_eq(me.ids[0], sub_a);
    ck_assert_str_eq(me.ids[1], "K2");
    ck_assert_int_eq(child.status, QUEUE_OK);
    ck_assert_str_eq(child.sub, sub_a);
    ck_assert_uint_eq(child.n, 0);
    ck_assert_int_eq(none.status, QUEUE_NOT_FOUND);
}
END_TEST

/* Subscriber ids for the tests: A and B on different shards, A2 on A's. */
static void pick_families(void)
{
    snprintf(sub_a, sizeof sub_a, "S0");
    int sa = queue_shard_of_family(sub_a);
    sub_b[0] = sub_a2[0] = '\0';
    for (int i = 1; i < 1000 && (!sub_b[0] || !sub_a2[0]); i++) {
        char id[16];
        snprintf(id, sizeof id, "S%d", i);
        int s = queue_shard_of_family(id);
        if (s != sa && !sub_b[0])
            snprintf(sub_b, sizeof sub_b, "%s", id);
        else if (s == sa && !sub_a2[0])
            snprintf(sub_a2, sizeof sub_a2, "%s", id);
    }
    snprintf(pa, sizeof pa, "%s", FAMILY_PREFIX(PREFIX, sub_a));
    snprintf(pb, sizeof pb, "%s", FAMILY_PREFIX(PREFIX, sub_b));
}

int main(void)
{
    if (queue_shards_configure(16) != 0)
        return 1;
    pick_families();
    if (!sub_b[0] || !sub_a2[0] || strcmp(pa, pb) == 0)
        return 1;
    queue_init();
    test_redis_start(&redis);
    Suite *s = suite_create("members on shards");
    TCase *tc = tcase_create("members");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_member_lives_on_its_familys_shard_and_moves_across_shards);
    tcase_add_test(tc, test_family_event_reads_and_writes_the_familys_shard_then_the_directory);
    tcase_add_test(tc, test_start_up_moves_the_earlier_layout_and_rebuilds_the_directory);
    tcase_add_test(tc, test_me_reads_the_family_through_the_directory);
    suite_add_tcase(s, tc);
    int failed = test_run_suite(s, CK_NOFORK);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
