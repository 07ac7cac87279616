/* The typed calls of queue/ that the API and the webhook dispatcher use
 * (enrollment records, audit, queue figures and requeue, webhook
 * subscriptions and deliveries) against a real redis-server: each answers C
 * values and stores what docs/operations.md "Redis keys" says. */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/audit.h"
#include "queue/enrollment.h"
#include "queue/queue.h"
#include "queue/redis_conn.h"
#include "queue/stats.h"
#include "queue/webhooks.h"

#define PREFIX "t:"

static struct test_redis redis;

/* ---- answers ---- */

struct put_answer {
    int done;
    enum queue_status status;
    bool existed;
    char created_at[40];
};

static void on_put(enum queue_status status, bool existed, void *arg)
{
    struct put_answer *a = arg;
    a->done++;
    a->status = status;
    a->existed = existed;
}

struct records_answer {
    int done;
    enum queue_status status;
    size_t n;
    char json[4][128];
    bool present[4];
};

static void on_records(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct records_answer *a = arg;
    a->done++;
    a->status = status;
    a->n = n;
    for (size_t i = 0; i < n && i < 4; i++) {
        a->present[i] = json[i] != NULL;
        snprintf(a->json[i], sizeof a->json[i], "%s", json[i] ? json[i] : "");
    }
}

START_TEST(test_member_record_moves_family_and_writes_its_reference)
{
    struct test_queue f;
    test_queue_open(&f, &redis, 0);
    struct queue_member_facts facts = {"M1-02", "M1", "G1", "P1"};
    struct put_answer put = {0};
    ck_assert_int_eq(queue_put_record(f.rc, PREFIX, QUEUE_RECORD_MEMBER, "M1-02",
                                      "{\"member_id\":\"M1-02\"}", &facts, NULL, on_put, &put),
                     0);
    test_run_until(f.base, &put.done);
    ck_assert_int_eq(put.status, QUEUE_OK);
    ck_assert(!put.existed);
    ck_assert_int_eq(test_redis_int(f.c, "SISMEMBER t:{c}family:M1 M1-02"), 1);
    char text[128];
    test_redis_text(f.c, text, sizeof text, "HGET t:mref:M1-02 plan_id");
    ck_assert_str_eq(text, "P1");

    /* The member moves to another family: out of the old set, into the new. */
    struct queue_member_facts moved = {"M1-02", "M2", "G1", ""};
    struct put_answer again = {0};
    ck_assert_int_eq(queue_put_record(f.rc, PREFIX, QUEUE_RECORD_MEMBER, "M1-02",
                                      "{\"member_id\":\"M1-02\",\"v\":2}", &moved, "M1", on_put,
                                      &again),
                     0);
    test_run_until(f.base, &again.done);
    ck_assert_int_eq(again.status, QUEUE_OK);
    ck_assert(again.existed);
    ck_assert_int_eq(test_redis_int(f.c, "SISMEMBER t:{c}family:M1 M1-02"), 0);
    ck_assert_int_eq(test_redis_int(f.c, "SISMEMBER t:{c}family:M2 M1-02"), 1);
    test_redis_text(f.c, text, sizeof text, "HGET t:mref:M1-02 subscriber_id");
    ck_assert_str_eq(text, "M2");

    struct records_answer got = {0};
    struct queue_record_ref refs[] = {
        {QUEUE_RECORD_MEMBER, "M1-02"}, {QUEUE_RECORD_GROUP, "G1"}, {QUEUE_RECORD_PLAN, "P1"}};
    test_redis_ok(f.c, "SET t:plan:P1 {\"plan_id\":\"P1\"}");
    ck_assert_int_eq(queue_get_records(f.rc, PREFIX, refs, 3, on_records, &got), 0);
    test_run_until(f.base, &got.done);
    ck_assert_int_eq(got.status, QUEUE_OK);
    ck_assert_uint_eq(got.n, 3);
    ck_assert_str_eq(got.json[0], "{\"member_id\":\"M1-02\",\"v\":2}");
    ck_assert(!got.present[1]);
    ck_assert_str_eq(got.json[2], "{\"plan_id\":\"P1\"}");

    struct test_status_answer exists = {0}, missing = {0};
    ck_assert_int_eq(
        queue_record_exists(f.rc, PREFIX, QUEUE_RECORD_PLAN, "P1", test_on_status, &exists), 0);
    ck_assert_int_eq(
        queue_record_exists(f.rc, PREFIX, QUEUE_RECORD_GROUP, "G1", test_on_status, &missing), 0);
    test_run_until(f.base, &exists.done);
    test_run_until(f.base, &missing.done);
    ck_assert_int_eq(exists.status, QUEUE_OK);
    ck_assert_int_eq(missing.status, QUEUE_NOT_FOUND);

    /* The blocking writes of the sample enrollment (over a link of
     * queue/rlink.h on the test's own connection). */
    struct rlink *l = queue_rlink_wrap(f.c);
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(queue_seeded_blocking(l, PREFIX), 0);
    struct queue_member_facts sub = {"M3", "M3", "G1", "P1"};
    ck_assert_int_eq(queue_put_record_blocking(l, PREFIX, QUEUE_RECORD_MEMBER, "M3", "{}", &sub),
                     0);
    ck_assert_int_eq(queue_mark_seeded_blocking(l, PREFIX), 0);
    ck_assert_int_eq(queue_seeded_blocking(l, PREFIX), 1);
    ck_assert_int_eq(queue_record_exists_blocking(l, PREFIX, QUEUE_RECORD_MEMBER, "M3"), 1);
    queue_rlink_close(l);
    ck_assert_int_eq(test_redis_int(f.c, "SISMEMBER t:{c}family:M3 M3"), 1);
    test_queue_close(&f);
}
END_TEST

START_TEST(test_audit_record_is_written_once_and_listed_for_its_claim)
{
    struct test_queue f;
    test_queue_open(&f, &redis, 0);
    struct test_status_answer a = {0}, b = {0};
    ck_assert_int_eq(
        queue_audit_append(f.rc, PREFIX, "C1", "{\"action\":\"claim.read\"}", test_on_status, &a),
        0);
    ck_assert_int_eq(
        queue_audit_append(f.rc, PREFIX, NULL, "{\"action\":\"group.put\"}", test_on_status, &b),
        0);
    test_run_until(f.base, &a.done);
    test_run_until(f.base, &b.done);
    ck_assert_int_eq(a.status, QUEUE_OK);
    ck_assert_int_eq(b.status, QUEUE_OK);
    ck_assert_int_eq(test_redis_int(f.c, "XLEN t:{c}audit"), 2);
    ck_assert_int_eq(test_redis_int(f.c, "LLEN t:{c}caudit:C1"), 1);
    test_queue_close(&f);
}
END_TEST

struct stats_answer {
    int done;
    enum queue_status status;
    long long length, dead, finalized;
    size_t n_dead;
    char dead_claim[64], dead_reason[64], dead_deliveries[8];
};

static void on_stats(enum queue_status status, const struct queue_stats *st, void *arg)
{
    struct stats_answer *a = arg;
    a->done++;
    a->status = status;
    if (status != QUEUE_OK)
        return;
    a->length = st->length;
    a->dead = st->dead;
    a->finalized = st->finalized;
    a->n_dead = st->n_dead_entries;
    if (st->n_dead_entries) {
        const struct queue_dead_entry *e = &st->dead_entries[0];
        snprintf(a->dead_claim, sizeof a->dead_claim, "%s", e->claim_id ? e->claim_id : "");
        snprintf(a->dead_reason, sizeof a->dead_reason, "%s", e->reason ? e->reason : "");
        snprintf(a->dead_deliveries, sizeof a->dead_deliveries, "%s",
                 e->deliveries ? e->deliveries : "");
    }
}

START_TEST(test_queue_figures_list_the_dead_letter_and_requeue_puts_it_back)
{
    struct test_queue f;
    test_queue_open(&f, &redis, 0);
    /* A dead-lettered claim as the dead-letter step leaves it. */
    redisReply *id = redisCommand(f.c, "XADD t:{c}dead * reason boom deliveries 3 at "
                                       "2026-03-02T14:05:09Z claim C9 m M1 s M1 g G1 p P1 y 2026");
    ck_assert_int_eq(id->type, REDIS_REPLY_STRING);
    redisReply *r = redisCommand(f.c, "HSET t:{c}deadidx C9 %s", id->str);
    freeReplyObject(r);
    freeReplyObject(id);
    test_redis_ok(f.c, "HSET t:{c}stats finalized 5 within_target 4");

    struct stats_answer st = {0};
    ck_assert_int_eq(queue_stats_read(f.rc, PREFIX, 20514, on_stats, &st), 0);
    test_run_until(f.base, &st.done);
    ck_assert_int_eq(st.status, QUEUE_OK);
    ck_assert_int_eq(st.dead, 1);
    ck_assert_int_eq(st.length, 0);
    ck_assert_int_eq(st.finalized, 5);
    ck_assert_uint_eq(st.n_dead, 1);
    ck_assert_str_eq(st.dead_claim, "C9");
    ck_assert_str_eq(st.dead_reason, "boom");
    ck_assert_str_eq(st.dead_deliveries, "3");

    struct test_status_answer retry = {0}, again = {0};
    ck_assert_int_eq(queue_requeue_dead(f.rc, PREFIX, "C9", test_on_status, &retry), 0);
    test_run_until(f.base, &retry.done);
    ck_assert_int_eq(retry.status, QUEUE_OK);
    ck_assert_int_eq(test_redis_int(f.c, "XLEN t:{c}dead"), 0);
    ck_assert_int_eq(test_redis_int(f.c, "XLEN t:{c}work"), 1);
    ck_assert_int_eq(queue_requeue_dead(f.rc, PREFIX, "C9", test_on_status, &again), 0);
    test_run_until(f.base, &again.done);
    ck_assert_int_eq(again.status, QUEUE_NOT_FOUND);

    struct test_status_answer ping = {0};
    ck_assert_int_eq(queue_ping(f.rc, test_on_status, &ping), 0);
    test_run_until(f.base, &ping.done);
    ck_assert_int_eq(ping.status, QUEUE_OK);
    test_queue_close(&f);
}
END_TEST

/* ---- webhooks ---- */

static void on_webhook_put(enum queue_status status, bool existed, const char *created_at,
                           void *arg)
{
    struct put_answer *a = arg;
    a->done++;
    a->status = status;
    a->existed = existed;
    snprintf(a->created_at, sizeof a->created_at, "%s", created_at ? created_at : "");
}

struct webhook_answer {
    int done;
    enum queue_status status;
    char url[128], events[64];
    bool secret_set;
};

static void on_webhook(enum queue_status status, const struct queue_webhook *sub, void *arg)
{
    struct webhook_answer *a = arg;
    a->done++;
    a->status = status;
    if (sub) {
        snprintf(a->url, sizeof a->url, "%s", sub->url);
        snprintf(a->events, sizeof a->events, "%s", sub->events);
        a->secret_set = sub->secret_set;
    }
}

struct lease_answer {
    int done;
    enum queue_status status;
    size_t n;
    char id[128], url[128], secret[64], claim_id[64];
    int attempts;
};

static void on_lease(enum queue_status status, const struct queue_delivery_lease *rows, size_t n,
                     const char *error, void *arg)
{
    (void)error;
    struct lease_answer *a = arg;
    a->done++;
    a->status = status;
    a->n = n;
    if (n) {
        snprintf(a->id, sizeof a->id, "%s", rows[0].delivery_id);
        snprintf(a->url, sizeof a->url, "%s", rows[0].url);
        snprintf(a->secret, sizeof a->secret, "%s", rows[0].secret);
        snprintf(a->claim_id, sizeof a->claim_id, "%s", rows[0].claim_id);
        a->attempts = rows[0].attempts;
    }
}

struct outcome_answer {
    int done;
    enum queue_status status;
    char result[16];
};

static void on_outcome(enum queue_status status, const char *result, void *arg)
{
    struct outcome_answer *a = arg;
    a->done++;
    a->status = status;
    snprintf(a->result, sizeof a->result, "%s", result ? result : "");
}

struct log_answer {
    int done;
    enum queue_status status;
    size_t n_attempts, n_pending, n_dead;
    char attempts_of_first[8];
};

static void on_log(enum queue_status status, const char *const *attempts, size_t n_attempts,
                   const struct queue_delivery_row *pending, size_t n_pending,
                   const struct queue_delivery_row *dead, size_t n_dead, void *arg)
{
    (void)attempts;
    (void)dead;
    struct log_answer *a = arg;
    a->done++;
    a->status = status;
    a->n_attempts = n_attempts;
    a->n_pending = n_pending;
    a->n_dead = n_dead;
    if (n_pending)
        snprintf(a->attempts_of_first, sizeof a->attempts_of_first, "%s", pending[0].attempts);
}

START_TEST(test_subscription_and_one_delivery_through_the_typed_calls)
{
    struct test_queue f;
    test_queue_open(&f, &redis, 0);
    const char *secret = "0123456789abcdef0123456789abcdef";
    struct put_answer put = {0}, replace = {0};
    ck_assert_int_eq(queue_webhook_put(f.rc, PREFIX, "w1", "http://127.0.0.1:9/x",
                                       "claim.finalized", secret, "2026-03-02T14:05:09Z",
                                       on_webhook_put, &put),
                     0);
    test_run_until(f.base, &put.done);
    ck_assert_int_eq(put.status, QUEUE_OK);
    ck_assert(!put.existed);
    ck_assert_str_eq(put.created_at, "2026-03-02T14:05:09Z");
    ck_assert_int_eq(queue_webhook_put(f.rc, PREFIX, "w1", "http://127.0.0.1:9/y",
                                       "claim.finalized", secret, "2026-03-03T00:00:00Z",
                                       on_webhook_put, &replace),
                     0);
    test_run_until(f.base, &replace.done);
    ck_assert(replace.existed);
    ck_assert_str_eq(replace.created_at, "2026-03-02T14:05:09Z");

    struct webhook_answer got = {0}, none = {0};
    ck_assert_int_eq(queue_webhook_get(f.rc, PREFIX, "w1", on_webhook, &got), 0);
    ck_assert_int_eq(queue_webhook_get(f.rc, PREFIX, "nope", on_webhook, &none), 0);
    test_run_until(f.base, &got.done);
    test_run_until(f.base, &none.done);
    ck_assert_int_eq(got.status, QUEUE_OK);
    ck_assert_str_eq(got.url, "http://127.0.0.1:9/y");
    ck_assert_str_eq(got.events, "claim.finalized");
    ck_assert(got.secret_set);
    ck_assert_int_eq(none.status, QUEUE_NOT_FOUND);

    /* The dispatcher: no group yet, then the group, then an event fanned out. */
    struct test_fanout_answer first = {0};
    ck_assert_int_eq(
        queue_webhook_fanout(f.rc, PREFIX, "dispatcher", 100, 1000, test_on_fanout, &first), 0);
    test_run_until(f.base, &first.done);
    ck_assert_int_eq(first.status, QUEUE_NOT_FOUND);
    struct test_status_answer group = {0};
    ck_assert_int_eq(queue_events_group_create(f.rc, PREFIX, test_on_status, &group), 0);
    test_run_until(f.base, &group.done);
    ck_assert_int_eq(group.status, QUEUE_OK);
    test_redis_ok(f.c, "XADD t:{c}events * event claim.finalized claim_id C1 status approved");
    struct test_fanout_answer fan = {0};
    ck_assert_int_eq(
        queue_webhook_fanout(f.rc, PREFIX, "dispatcher", 100, 1000, test_on_fanout, &fan), 0);
    test_run_until(f.base, &fan.done);
    ck_assert_int_eq(fan.status, QUEUE_OK);
    ck_assert_int_eq(fan.read, 1);
    ck_assert_int_eq(fan.made, 1);

    struct lease_answer lease = {0};
    ck_assert_int_eq(queue_webhook_lease(f.rc, PREFIX, 2000, 60000, 10, on_lease, &lease), 0);
    test_run_until(f.base, &lease.done);
    ck_assert_int_eq(lease.status, QUEUE_OK);
    ck_assert_uint_eq(lease.n, 1);
    ck_assert_str_eq(lease.url, "http://127.0.0.1:9/y");
    ck_assert_str_eq(lease.secret, secret);
    ck_assert_str_eq(lease.claim_id, "C1");
    ck_assert_int_eq(lease.attempts, 0);

    struct queue_delivery_outcome o = {
        .delivery_id = lease.id,
        .webhook_id = "w1",
        .attempts_before = 0,
        .outcome = "retry",
        .next_attempt_ms = 5000,
        .log_entry = "{\"attempt\":1}",
        .status_code = "500",
        .error = "",
        .now = "2026-03-02T14:05:10Z",
    };
    struct outcome_answer rec = {0}, stale = {0};
    ck_assert_int_eq(queue_webhook_record(f.rc, PREFIX, &o, on_outcome, &rec), 0);
    test_run_until(f.base, &rec.done);
    ck_assert_int_eq(rec.status, QUEUE_OK);
    ck_assert_str_eq(rec.result, "ok");
    ck_assert_int_eq(queue_webhook_record(f.rc, PREFIX, &o, on_outcome, &stale), 0);
    test_run_until(f.base, &stale.done);
    ck_assert_str_eq(stale.result, "stale");

    struct log_answer log = {0};
    ck_assert_int_eq(queue_webhook_log(f.rc, PREFIX, "w1", 100, on_log, &log), 0);
    test_run_until(f.base, &log.done);
    ck_assert_int_eq(log.status, QUEUE_OK);
    ck_assert_uint_eq(log.n_attempts, 1);
    ck_assert_uint_eq(log.n_pending, 1);
    ck_assert_uint_eq(log.n_dead, 0);
    ck_assert_str_eq(log.attempts_of_first, "1");

    struct test_status_answer del = {0}, del_again = {0};
    ck_assert_int_eq(queue_webhook_delete(f.rc, PREFIX, "w1", test_on_status, &del), 0);
    test_run_until(f.base, &del.done);
    ck_assert_int_eq(del.status, QUEUE_OK);
    ck_assert_int_eq(queue_webhook_delete(f.rc, PREFIX, "w1", test_on_status, &del_again), 0);
    test_run_until(f.base, &del_again.done);
    ck_assert_int_eq(del_again.status, QUEUE_NOT_FOUND);
    struct log_answer gone = {0};
    ck_assert_int_eq(queue_webhook_log(f.rc, PREFIX, "w1", 100, on_log, &gone), 0);
    test_run_until(f.base, &gone.done);
    ck_assert_int_eq(gone.status, QUEUE_NOT_FOUND);
    test_queue_close(&f);
}
END_TEST

int main(void)
{
    queue_init();
    test_redis_start(&redis);
    Suite *s = suite_create("queue_calls");
    TCase *tc = tcase_create("typed");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_member_record_moves_family_and_writes_its_reference);
    tcase_add_test(tc, test_audit_record_is_written_once_and_listed_for_its_claim);
    tcase_add_test(tc, test_queue_figures_list_the_dead_letter_and_requeue_puts_it_back);
    tcase_add_test(tc, test_subscription_and_one_delivery_through_the_typed_calls);
    suite_add_tcase(s, tc);
    int failed = test_run_suite(s, CK_NOFORK);
    test_redis_stop(&redis);
    return failed ? 1 : 0;
}
