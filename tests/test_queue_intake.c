/* The intake step with group commit (queue/intake.h) against a real
 * redis-server: claims of one loop turn go as one script call, each claim
 * stands alone, and what is stored follows docs/operations.md. */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/intake.h"
#include "queue/redis_conn.h"

#define PREFIX "t:"

static struct test_redis redis;

struct answer {
    int done;
    enum queue_intake_outcome outcome;
    char value[256];
};

static void on_answer(enum queue_intake_outcome outcome, const char *value, void *arg)
{
    struct answer *a = arg;
    a->done++;
    a->outcome = outcome;
    snprintf(a->value, sizeof a->value, "%s", value);
}

struct fixture {
    struct event_base *base;
    struct rconn *rc;
    struct queue_intake *qi;
    redisContext *c;
};

static void fixture_open(struct fixture *f, int max_batch)
{
    test_redis_flush(&redis);
    f->c = test_redis_connect(&redis);
    f->base = event_base_new();
    f->rc = test_rconn_connect(f->base, &redis);
    f->qi = queue_intake_new(f->base, f->rc, PREFIX, max_batch);
    ck_assert_ptr_nonnull(f->qi);
}

static void fixture_close(struct fixture *f)
{
    queue_rconn_free(f->rc);
    queue_intake_free(f->qi);
    event_base_free(f->base);
    redisFree(f->c);
}

static void record_for(struct queue_claim_record *rec, const char *claim_id, const char *member,
                       const char *member_only)
{
    *rec = (struct queue_claim_record){
        .claim_id = claim_id,
        .type = "pharmacy",
        .member_id = member,
        .received = "2026-03-02",
        .target = "2026-03-16",
        .received_day = 20514,
        .target_day = 20528,
        .years = "2026",
        .by_token = "tok-1",
        .by_role = member_only[0] ? "member" : "staff",
        .by_npi = "",
        .member_only = member_only,
        .now_seconds = 1772460309,
        .submitted = "{\"type\":\"pharmacy\"}",
        .audit = "{\"action\":\"claim.submit\"}",
        .idem_hash = NULL,
        .idem_value = "",
        .idem_ttl_seconds = 60,
    };
    /* The family the caller read from the member directory before drawing
     * the id: members of family M1, anyone else unknown. */
    if (strcmp(member, "M1") == 0 || strcmp(member, "M1-02") == 0)
        rec->ref = (struct queue_member_ref){"M1", "G1", "P1"};
}

/* Runs the loop until every answer came (or 5 s). */
static void run_until_answered(struct fixture *f, struct answer *answers, int n)
{
    for (int spin = 0; spin < 1000; spin++) {
        int done = 0;
        for (int i = 0; i < n; i++)
            done += answers[i].done;
        if (done == n)
            return;
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    ck_abort_msg("the intake step did not answer");
}

START_TEST(test_claims_of_one_loop_turn_are_stored_by_one_script_call)
{
    struct fixture f;
    fixture_open(&f, 256);
    struct answer answers[20] = {0};
    char ids[20][40];
    for (int i = 0; i < 20; i++) {
        struct queue_claim_record rec;
        snprintf(ids[i], sizeof ids[i], "00000000-0000-4000-8000-%012d", i);
        record_for(&rec, ids[i], "M1-02", "");
        ck_assert_int_eq(queue_intake_submit(f.qi, &rec, on_answer, &answers[i]), 0);
    }
    run_until_answered(&f, answers, 20);
    struct queue_intake_stats st;
    queue_intake_stats_read(f.qi, &st);
    ck_assert_uint_eq(st.claims, 20);
    ck_assert_uint_eq(st.batches, 1);
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(answers[i].done, 1);
        ck_assert_int_eq(answers[i].outcome, QUEUE_INTAKE_CREATED);
        /* The index score: received day × 2^21 + the sequence. */
        char want[32];
        snprintf(want, sizeof want, "%lld", 20514LL * 2097152 + i + 1);
        ck_assert_str_eq(answers[i].value, want);
    }
    ck_assert_int_eq(test_redis_int(f.c, "XLEN %s", "t:{c}work"), 20);
    ck_assert_int_eq(test_redis_int(f.c, "ZCARD %s", "t:{c}idx:f:M1"), 20);
    ck_assert_int_eq(test_redis_int(f.c, "ZCARD %s", "t:{c}idx:s:received"), 20);
    ck_assert_int_eq(test_redis_int(f.c, "XLEN %s", "t:{c}audit"), 20);
    /* The hash holds small fields only, so Redis keeps it compact. */
    redisReply *r = redisCommand(f.c, "OBJECT ENCODING t:{c}claim:%s", ids[3]);
    ck_assert_str_eq(r->str, "listpack");
    freeReplyObject(r);
    r = redisCommand(f.c, "HMGET t:{c}claim:%s subscriber_id group_hint plan_hint history status",
                     ids[3]);
    ck_assert_str_eq(r->element[0]->str, "M1");
    ck_assert_str_eq(r->element[1]->str, "G1");
    ck_assert_str_eq(r->element[2]->str, "P1");
    ck_assert_str_eq(r->element[3]->str, "received@1772460309");
    ck_assert_str_eq(r->element[4]->str, "received");
    freeReplyObject(r);
    r = redisCommand(f.c, "GET t:{c}body:%s", ids[3]);
    ck_assert_str_eq(r->str, "{\"type\":\"pharmacy\"}");
    freeReplyObject(r);
    /* The audit record is written once; the claim's list holds its id. */
    r = redisCommand(f.c, "LRANGE t:{c}caudit:%s 0 -1", ids[3]);
    ck_assert_uint_eq(r->elements, 1);
    redisReply *e =
        redisCommand(f.c, "XRANGE t:{c}audit %s %s", r->element[0]->str, r->element[0]->str);
    ck_assert_uint_eq(e->elements, 1);
    ck_assert_str_eq(e->element[0]->element[1]->element[1]->str, ids[3]);
    ck_assert_str_eq(e->element[0]->element[1]->element[3]->str, "{\"action\":\"claim.submit\"}");
    freeReplyObject(e);
    freeReplyObject(r);
    fixture_close(&f);
}
END_TEST

START_TEST(test_a_batch_is_split_at_its_bound)
{
    struct fixture f;
    fixture_open(&f, 8);
    struct answer answers[20] = {0};
    char ids[20][40];
    for (int i = 0; i < 20; i++) {
        struct queue_claim_record rec;
        snprintf(ids[i], sizeof ids[i], "00000000-0000-4000-8000-%012d", 100 + i);
        record_for(&rec, ids[i], "M1", "");
        ck_assert_int_eq(queue_intake_submit(f.qi, &rec, on_answer, &answers[i]), 0);
    }
    run_until_answered(&f, answers, 20);
    struct queue_intake_stats st;
    queue_intake_stats_read(f.qi, &st);
    ck_assert_uint_eq(st.batches, 3); /* 8 + 8 + 4 */
    ck_assert_int_eq(test_redis_int(f.c, "XLEN %s", "t:{c}work"), 20);
    fixture_close(&f);
}
END_TEST

START_TEST(test_each_claim_of_a_batch_stands_alone)
{
    struct fixture f;
    fixture_open(&f, 256);
    redisReply *r = redisCommand(f.c, "SET t:{c}idem:tok-1:k %s", "abc\n{}");
    freeReplyObject(r);
    struct answer answers[4] = {0};
    struct queue_claim_record rec;
    /* 1: a subscriber filing for a family member: stored. */
    record_for(&rec, "00000000-0000-4000-8000-000000000001", "M1-02", "M1");
    queue_intake_submit(f.qi, &rec, on_answer, &answers[0]);
    /* 2: a dependent filing for the subscriber: refused, nothing stored. */
    record_for(&rec, "00000000-0000-4000-8000-000000000002", "M1", "M1-02");
    queue_intake_submit(f.qi, &rec, on_answer, &answers[1]);
    /* 3: an idempotency key seen before: the remembered answer. */
    record_for(&rec, "00000000-0000-4000-8000-000000000003", "M1", "");
    rec.idem_hash = "k"; /* with by_token "tok-1": t:{c}idem:tok-1:k */
    rec.idem_value = "def\n{}";
    queue_intake_submit(f.qi, &rec, on_answer, &answers[2]);
    /* 4: a member id with no record, filed by staff: stored, indexed under itself. */
    record_for(&rec, "00000000-0000-4000-8000-000000000004", "NOBODY", "");
    queue_intake_submit(f.qi, &rec, on_answer, &answers[3]);
    run_until_answered(&f, answers, 4);
    ck_assert_int_eq(answers[0].outcome, QUEUE_INTAKE_CREATED);
    ck_assert_int_eq(answers[1].outcome, QUEUE_INTAKE_FORBIDDEN);
    ck_assert_int_eq(answers[2].outcome, QUEUE_INTAKE_REPLAY);
    ck_assert_str_eq(answers[2].value, "abc\n{}");
    ck_assert_int_eq(answers[3].outcome, QUEUE_INTAKE_CREATED);
    struct queue_intake_stats st;
    queue_intake_stats_read(f.qi, &st);
    ck_assert_uint_eq(st.batches, 1);
    ck_assert_uint_eq(st.forbidden, 1);
    ck_assert_uint_eq(st.replays, 1);
    ck_assert_int_eq(test_redis_int(f.c, "XLEN %s", "t:{c}work"), 2);
    ck_assert_int_eq(
        test_redis_int(f.c, "EXISTS %s", "t:{c}claim:00000000-0000-4000-8000-000000000002"), 0);
    ck_assert_int_eq(
        test_redis_int(f.c, "EXISTS %s", "t:{c}claim:00000000-0000-4000-8000-000000000003"), 0);
    ck_assert_int_eq(test_redis_int(f.c, "ZCARD %s", "t:{c}idx:f:NOBODY"), 1);
    ck_assert_int_eq(test_redis_int(f.c, "ZCARD %s", "t:{c}idx:f:M1"), 1);
    fixture_close(&f);
}
END_TEST

START_TEST(test_claims_not_yet_sent_are_answered_unavailable_when_freed)
{
    struct fixture f;
    fixture_open(&f, 256);
    struct answer a = {0};
    struct queue_claim_record rec;
    record_for(&rec, "00000000-0000-4000-8000-000000000009", "M1", "");
    ck_assert_int_eq(queue_intake_submit(f.qi, &rec, on_answer, &a), 0);
    queue_intake_free(f.qi);
    f.qi = NULL;
    ck_assert_int_eq(a.done, 1);
    ck_assert_int_eq(a.outcome, QUEUE_INTAKE_UNAVAILABLE);
    ck_assert_int_eq(test_redis_int(f.c, "XLEN %s", "t:{c}work"), 0);
    fixture_close(&f);
}
END_TEST

int main(void)
{
    test_redis_start(&redis);
    Suite *s = suite_create("queue_intake");
    TCase *tc = tcase_create("batches");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_claims_of_one_loop_turn_are_stored_by_one_script_call);
    tcase_add_test(tc, test_a_batch_is_split_at_its_bound);
    tcase_add_test(tc, test_each_claim_of_a_batch_stands_alone);
    tcase_add_test(tc, test_claims_not_yet_sent_are_answered_unavailable_when_freed);
    suite_add_tcase(s, tc);
    int failed = test_run_suite(s, CK_NOFORK);
    test_redis_stop(&redis);
    return failed ? 1 : 0;
}
