/* The typed calls of queue/appeals.h against a real redis-server: a filing
 * only against the EOB version it was checked with and once per version, the
 * decision only on an open appeal (an overturned one with its lines, as the
 * adjustment path will store it), the due-ordered list and the open and
 * overdue counts, each with what docs/operations.md "Redis keys" says is
 * stored. */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/appeals.h"
#include "queue/queue.h"
#include "queue/redis_conn.h"

#define PREFIX "t:"
#define CLAIM "3f0c1a52-1b7d-4d8e-9f3a-2b6c1d0e9a11"
#define APPEAL "7a1e5c2d-8b3f-4a6e-9d0c-1e2f3a4b5c6d"
#define DUE_DAY 20600 /* 2026-05-27 */

static struct test_redis redis;
static struct test_queue fx;

static void setup(void)
{
    test_queue_open(&fx, &redis, 0);
    redisReply *r = redisCommand(fx.c, "HSET t:{c}claim:" CLAIM " status approved eob_version 2"
                                       " member_id M1001-02 subscriber_id M1001 by_npi 1245319599");
    freeReplyObject(r);
}

static void teardown(void)
{
    test_queue_close(&fx);
}

static const char *hget(const char *key, const char *field)
{
    static char out[4][256];
    static int slot;
    slot = (slot + 1) % 4;
    redisReply *r = redisCommand(fx.c, "HGET %s %s", key, field);
    snprintf(out[slot], sizeof out[slot], "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return out[slot];
}

struct filed {
    int done;
    enum queue_status status;
    char why[32];
};

static void on_filed(enum queue_status status, const char *why, void *arg)
{
    struct filed *a = arg;
    a->done++;
    a->status = status;
    snprintf(a->why, sizeof a->why, "%s", why ? why : "");
}

static struct filed file(const char *appeal_id, const char *claim_id, int eob_version, int due)
{
    struct queue_appeal_filing f = {.appeal_id = appeal_id,
                                    .claim_id = claim_id,
                                    .eob_version = eob_version,
                                    .eob_date = "2026-01-28",
                                    .deadline = "2026-07-27",
                                    .filed_at = "2026-03-28T14:00:00Z",
                                    .filed_on = "2026-03-28",
                                    .due_day = due,
                                    .due_date = "2026-05-27",
                                    .statement = "Please review.",
                                    .attachments = "[]",
                                    .filed_by = "tok1",
                                    .filed_by_role = "member",
                                    .audit_json = "{\"action\":\"appeal.file\"}"};
    struct filed a = {0};
    ck_assert_int_eq(queue_file_appeal(fx.rc, PREFIX, &f, on_filed, &a), 0);
    test_run_until(fx.base, &a.done);
    ck_assert_int_eq(a.done, 1);
    return a;
}

static enum queue_status decide(const char *appeal_id, const char *outcome, const char *lines)
{
    struct queue_appeal_decision d = {.appeal_id = appeal_id,
                                      .claim_id = CLAIM,
                                      .outcome = outcome,
                                      .lines = lines,
                                      .note = "Covered after all.",
                                      .decided_at = "2026-04-02T10:00:00Z",
                                      .decided_on = "2026-04-02",
                                      .decided_by = "tok9",
                                      .audit_json = "{\"action\":\"appeal.decide\"}"};
    struct test_status_answer a = {0};
    ck_assert_int_eq(queue_decide_appeal(fx.rc, PREFIX, &d, test_on_status, &a), 0);
    test_run_until(fx.base, &a.done);
    return a.status;
}

START_TEST(test_filing_is_checked_against_the_claim_and_stored_with_its_event)
{
    /* Checked against an older EOB version: the claim changed meanwhile. */
    struct filed a = file(APPEAL, CLAIM, 1, DUE_DAY);
    ck_assert_int_eq(a.status, QUEUE_CONFLICT);
    ck_assert_str_eq(a.why, "changed");
    a = file(APPEAL, "00000000-0000-4000-8000-000000000000", 1, DUE_DAY);
    ck_assert_int_eq(a.status, QUEUE_NOT_FOUND);
    ck_assert_int_eq(test_redis_int(fx.c, "EXISTS t:{c}appeal:" APPEAL), 0);
    a = file(APPEAL, CLAIM, 2, DUE_DAY);
    ck_assert_int_eq(a.status, QUEUE_OK);
    const char *key = "t:{c}appeal:" APPEAL;
    ck_assert_str_eq(hget(key, "status"), "open");
    ck_assert_str_eq(hget(key, "member_id"), "M1001-02");
    ck_assert_str_eq(hget(key, "subscriber_id"), "M1001");
    ck_assert_str_eq(hget(key, "by_npi"), "1245319599");
    ck_assert_str_eq(hget(key, "eob_version"), "2");
    ck_assert_str_eq(hget(key, "due_date"), "2026-05-27");
    ck_assert_str_eq(hget("t:{c}claim:" CLAIM, "appeal_id"), APPEAL);
    ck_assert_str_eq(hget("t:{c}claim:" CLAIM, "appeal_eob_version"), "2");
    /* Scored by due day x 2^21 plus the sequence (1 for the first). */
    redisReply *r = redisCommand(fx.c, "ZSCORE t:{c}appeals:open " APPEAL);
    ck_assert_str_eq(r->str, "43201331201"); /* 20600 * 2097152 + 1 */
    freeReplyObject(r);
    ck_assert_int_eq(test_redis_int(fx.c, "ZCARD t:{c}appeals"), 1);
    ck_assert_int_eq(test_redis_int(fx.c, "LLEN t:{c}caudit:" CLAIM), 1);
    r = redisCommand(fx.c, "XRANGE t:{c}events - +");
    ck_assert_uint_eq(r->elements, 1);
    const redisReply *e = r->element[0]->element[1];
    ck_assert_str_eq(e->element[1]->str, "appeal.filed");
    ck_assert_str_eq(e->element[5]->str, "open");
    freeReplyObject(r);
    /* Once per EOB version; a claim that is not final takes none. */
    a = file("8b2f6d3e-9c40-4b7f-8e1d-2f3a4b5c6d7e", CLAIM, 2, DUE_DAY);
    ck_assert_int_eq(a.status, QUEUE_CONFLICT);
    ck_assert_str_eq(a.why, "already_appealed");
    freeReplyObject(redisCommand(fx.c, "HSET t:{c}claim:" CLAIM " status processing"));
    a = file("8b2f6d3e-9c40-4b7f-8e1d-2f3a4b5c6d7e", CLAIM, 3, DUE_DAY);
    ck_assert_int_eq(a.status, QUEUE_CONFLICT);
    ck_assert_str_eq(a.why, "changed");
}
END_TEST

START_TEST(test_an_overturned_decision_is_stored_with_its_lines_once)
{
    ck_assert_int_eq(file(APPEAL, CLAIM, 2, DUE_DAY).status, QUEUE_OK);
    const char *lines = "[{\"line\":1,\"allowed\":90.00,\"group\":\"CO\",\"carc\":\"45\","
                        "\"rarc\":null}]";
    ck_assert_int_eq(decide(APPEAL, "overturned", lines), QUEUE_OK);
    const char *key = "t:{c}appeal:" APPEAL;
    ck_assert_str_eq(hget(key, "status"), "decided");
    ck_assert_str_eq(hget(key, "outcome"), "overturned");
    ck_assert_str_eq(hget(key, "lines"), lines);
    ck_assert_str_eq(hget(key, "note"), "Covered after all.");
    ck_assert_str_eq(hget(key, "decided_by"), "tok9");
    ck_assert_str_eq(hget(key, "decided_on"), "2026-04-02");
    ck_assert_int_eq(test_redis_int(fx.c, "ZCARD t:{c}appeals:open"), 0);
    ck_assert_int_eq(test_redis_int(fx.c, "ZCARD t:{c}appeals"), 1);
    ck_assert_int_eq(test_redis_int(fx.c, "LLEN t:{c}caudit:" CLAIM), 2);
    redisReply *r = redisCommand(fx.c, "XREVRANGE t:{c}events + - COUNT 1");
    const redisReply *e = r->element[0]->element[1];
    ck_assert_str_eq(e->element[1]->str, "appeal.decided");
    ck_assert_str_eq(e->element[3]->str, CLAIM);
    ck_assert_str_eq(e->element[5]->str, "overturned");
    ck_assert_str_eq(e->element[7]->str, APPEAL);
    freeReplyObject(r);
    ck_assert_int_eq(decide(APPEAL, "upheld", "[]"), QUEUE_CONFLICT);
    ck_assert_str_eq(hget(key, "outcome"), "overturned");
    ck_assert_int_eq(decide("00000000-0000-4000-8000-000000000000", "upheld", "[]"),
                     QUEUE_NOT_FOUND);
}
END_TEST

struct list_answer {
    int done;
    enum queue_status status;
    size_t n;
    char ids[4][40];
    char next[32];
};

static void on_list(enum queue_status status, const struct queue_appeal_row *rows, size_t n,
                    const char *next, void *arg)
{
    struct list_answer *a = arg;
    a->done++;
    a->status = status;
    a->n = n;
    for (size_t i = 0; i < n && i < 4; i++)
        snprintf(a->ids[i], sizeof a->ids[i], "%s", rows[i].appeal_id);
    snprintf(a->next, sizeof a->next, "%s", next ? next : "");
}

static struct list_answer list(const char *status, bool overdue, int today, const char *cursor,
                               int limit)
{
    struct queue_appeal_query q = {status, overdue, today, cursor, limit};
    struct list_answer a = {0};
    ck_assert_int_eq(queue_list_appeals(fx.rc, PREFIX, &q, on_list, &a), 0);
    test_run_until(fx.base, &a.done);
    ck_assert_int_eq(a.status, QUEUE_OK);
    return a;
}

struct counts_answer {
    int done;
    long long open, overdue;
};

static void on_counts(enum queue_status status, long long open, long long overdue, void *arg)
{
    struct counts_answer *a = arg;
    ck_assert_int_eq(status, QUEUE_OK);
    a->done++;
    a->open = open;
    a->overdue = overdue;
}

START_TEST(test_the_list_and_the_counts_go_by_due_day)
{
    /* Three claims, appeals due on days 10, 12 and 11 (filed in that order). */
    const char *claims[] = {"a0000000-0000-4000-8000-000000000001",
                            "a0000000-0000-4000-8000-000000000002",
                            "a0000000-0000-4000-8000-000000000003"};
    const char *appeals[] = {"b0000000-0000-4000-8000-000000000001",
                             "b0000000-0000-4000-8000-000000000002",
                             "b0000000-0000-4000-8000-000000000003"};
    const int due[] = {DUE_DAY + 10, DUE_DAY + 12, DUE_DAY + 11};
    for (int i = 0; i < 3; i++) {
        freeReplyObject(
            redisCommand(fx.c, "HSET t:{c}claim:%s status denied eob_version 1", claims[i]));
        ck_assert_int_eq(file(appeals[i], claims[i], 1, due[i]).status, QUEUE_OK);
    }
    struct list_answer a = list("", false, DUE_DAY, "", 2);
    ck_assert_uint_eq(a.n, 2);
    ck_assert_str_eq(a.ids[0], appeals[0]);
    ck_assert_str_eq(a.ids[1], appeals[2]);
    ck_assert(a.next[0]);
    a = list("", false, DUE_DAY, a.next, 2);
    ck_assert_uint_eq(a.n, 1);
    ck_assert_str_eq(a.ids[0], appeals[1]);
    ck_assert_str_eq(a.next, "");
    /* On day +12 the ones due on +10 and +11 are overdue; the one due +12 not yet. */
    a = list("open", true, DUE_DAY + 12, "", 50);
    ck_assert_uint_eq(a.n, 2);
    ck_assert_str_eq(a.ids[0], appeals[0]);
    ck_assert_str_eq(a.ids[1], appeals[2]);
    struct counts_answer k = {0};
    ck_assert_int_eq(queue_appeal_counts(fx.rc, PREFIX, DUE_DAY + 12, on_counts, &k), 0);
    test_run_until(fx.base, &k.done);
    ck_assert_int_eq(k.open, 3);
    ck_assert_int_eq(k.overdue, 2);
    /* Decided: out of the open set, in the decided list. */
    ck_assert_int_eq(decide(appeals[0], "upheld", "[]"), QUEUE_OK);
    a = list("decided", false, DUE_DAY, "", 50);
    ck_assert_uint_eq(a.n, 1);
    ck_assert_str_eq(a.ids[0], appeals[0]);
    a = list("open", false, DUE_DAY, "", 50);
    ck_assert_uint_eq(a.n, 2);
    k = (struct counts_answer){0};
    ck_assert_int_eq(queue_appeal_counts(fx.rc, PREFIX, DUE_DAY + 12, on_counts, &k), 0);
    test_run_until(fx.base, &k.done);
    ck_assert_int_eq(k.open, 2);
    ck_assert_int_eq(k.overdue, 1);
}
END_TEST

int main(void)
{
    queue_init();
    test_redis_start(&redis);
    Suite *s = suite_create("queue_appeals");
    TCase *tc = tcase_create("typed");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_filing_is_checked_against_the_claim_and_stored_with_its_event);
    tcase_add_test(tc, test_an_overturned_decision_is_stored_with_its_lines_once);
    tcase_add_test(tc, test_the_list_and_the_counts_go_by_due_day);
    suite_add_tcase(s, tc);
    int failed = test_run_suite(s, CK_NOFORK);
    test_redis_stop(&redis);
    return failed ? 1 : 0;
}
