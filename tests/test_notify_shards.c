/*
 * Webhook fan-out and payment cycles over 16 claims shards (issue 12,
 * docs/webhooks.md "Delivery", docs/operations.md "Payment cycles"), through
 * the typed calls of queue/webhooks.c and queue/remit.c against a real
 * redis-server. The events and the due claims are written here the way the
 * commit script writes them, on their shard's keys. Checked: every event of
 * every shard becomes one delivery per subscription, with an event id unique
 * across shards; a fan-out stopped between its steps is taken over without
 * a second delivery; a payment cycle takes every shard's due claims, each in
 * exactly one cycle with its exact amount, also when a close stops after
 * some shards (the next close finishes it) and when closes run at once.
 */
#include <check.h>
#include <stdarg.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/queue.h"
#include "queue/redis_conn.h"
#include "queue/remit.h"
#include "queue/shards.h"
#include "queue/webhooks.h"

#define PREFIX "t:"
#define SHARDS 16

static struct test_redis redis;

/* A key of shard s: fmt's %s is the shard's key prefix. */
static const char *skey(int s, const char *fmt)
{
    static char buf[8][128];
    static int k;
    char *b = buf[k++ % 8];
    char f[96];
    snprintf(f, sizeof f, "%%s%s", fmt);
    snprintf(b, 128, f, queue_shard_prefix(PREFIX, s).s);
    return b;
}

/* A command's answer as text (integers in decimal, "" for nil). */
static const char *text_of(redisContext *c, const char *cmd)
{
    static char buf[4][8192];
    static int k;
    char *b = buf[k++ % 4];
    redisReply *r = redisCommand(c, cmd);
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(r->type != REDIS_REPLY_ERROR, "%s: %s", cmd, r->str);
    if (r->type == REDIS_REPLY_INTEGER)
        snprintf(b, 8192, "%lld", r->integer);
    else
        snprintf(b, 8192, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return b;
}

/* ---- event ids ---- */

START_TEST(test_event_ids_are_unique_across_shards_and_unchanged_with_one)
{
    char id[48];
    ck_assert_int_eq(queue_event_id("1795430874507-0", 0, 1, id, sizeof id), 0);
    ck_assert_str_eq(id, "1795430874507-0");
    ck_assert_int_eq(queue_event_id("1795430874507-12", 0, 1, id, sizeof id), 0);
    ck_assert_str_eq(id, "1795430874507-12");
    /* seq × 16 + shard: the same entry id on two shards, two event ids. */
    ck_assert_int_eq(queue_event_id("1795430874507-0", 3, 16, id, sizeof id), 0);
    ck_assert_str_eq(id, "1795430874507-3");
    ck_assert_int_eq(queue_event_id("1795430874507-0", 4, 16, id, sizeof id), 0);
    ck_assert_str_eq(id, "1795430874507-4");
    ck_assert_int_eq(queue_event_id("1795430874507-2", 15, 16, id, sizeof id), 0);
    ck_assert_str_eq(id, "1795430874507-47");
    ck_assert_int_eq(queue_event_id("1795430874507-2", 0, 256, id, sizeof id), 0);
    ck_assert_str_eq(id, "1795430874507-512");
    ck_assert_int_eq(queue_event_id("x-1", 0, 16, id, sizeof id), -1);
    ck_assert_int_eq(queue_event_id("17-", 0, 16, id, sizeof id), -1);
    ck_assert_int_eq(queue_event_id("17-1x", 0, 16, id, sizeof id), -1);
    ck_assert_int_eq(queue_event_id("17", 0, 16, id, sizeof id), -1);
    ck_assert_int_eq(queue_event_id("18446744073709551615-1", 0, 16, id, sizeof id), 0);
    ck_assert_str_eq(id, "18446744073709551615-16");
    ck_assert_int_eq(queue_event_id("1-18446744073709551615", 1, 16, id, sizeof id), -1);
    ck_assert_int_eq(queue_event_id("17-1", 0, 16, id, 4), -1);
    ck_assert_int_eq(queue_event_id("17-1", 0, 1, id, 4), -1);
}
END_TEST

/* ---- the webhook fan-out ---- */

struct put_answer {
    int done;
    enum queue_status status;
};

static void on_put(enum queue_status status, bool existed, const char *created_at, void *arg)
{
    (void)existed;
    (void)created_at;
    struct put_answer *a = arg;
    a->done++;
    a->status = status;
}

static void subscribe(struct test_queue *f, const char *id, const char *events)
{
    struct put_answer put = {0};
    ck_assert_int_eq(queue_webhook_put(f->rc, PREFIX, id, "http://127.0.0.1:9/x", events,
                                       "0123456789abcdef0123456789abcdef", "2026-03-02T14:05:09Z",
                                       on_put, &put),
                     0);
    test_run_until(f->base, &put.done);
    ck_assert_int_eq(put.status, QUEUE_OK);
}

static struct test_fanout_answer fanout(struct test_queue *f)
{
    struct test_fanout_answer a = {0};
    ck_assert_int_eq(
        queue_webhook_fanout(f->rc, PREFIX, "dispatcher", 100, 1000, test_on_fanout, &a), 0);
    test_run_until(f->base, &a.done);
    return a;
}

/* Appends an event to shard s's stream at entry id entry; returns the
 * event id deliveries carry. */
static const char *add_event(struct test_queue *f, int s, const char *entry, const char *event,
                             const char *claim_id, const char *status)
{
    static char out[8][48];
    static int k;
    char *b = out[k++ % 8];
    test_redis_ok(f->c, "XADD %s %s event %s claim_id %s status %s", skey(s, "events"), entry,
                  event, claim_id, status);
    ck_assert_int_eq(queue_event_id(entry, s, SHARDS, b, 48), 0);
    return b;
}

/* A delivery's field ("" when there is no such delivery). */
static const char *delivery_field(struct test_queue *f, const char *event_id, const char *sub,
                                  const char *field)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "HGET %s%s.%s %s", skey(0, "whdel:"), event_id, sub, field);
    return text_of(f->c, cmd);
}

/* How many events of shard s's stream were read and not acknowledged. */
static long long pending_count(struct test_queue *f, int s)
{
    redisReply *r = redisCommand(f->c, "XPENDING %s notifiers", skey(s, "events"));
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
    long long n = r->element[0]->integer;
    freeReplyObject(r);
    return n;
}

START_TEST(test_fanout_reads_every_shard_and_makes_one_delivery_per_event)
{
    struct test_queue f;
    test_queue_open(&f, &redis, SHARDS);
    subscribe(&f, "fin", "claim.finalized");
    subscribe(&f, "all", "claim.finalized,claim.pended");
    /* The same entry id on shards 0 and 3 (their clocks met): two events. */
    const char *e0 = add_event(&f, 0, "1000-1", "claim.finalized", "C0", "approved");
    const char *e3 = add_event(&f, 3, "1000-1", "claim.pended", "C3", "pended");
    const char *e9 = add_event(&f, 9, "1001-0", "claim.finalized", "C9", "denied");
    const char *e15a = add_event(&f, 15, "1002-0", "claim.finalized", "C15", "approved");
    const char *e15b = add_event(&f, 15, "1003-0", "claim.adjusted", "C15", "approved");
    ck_assert_str_eq(e0, "1000-16");
    ck_assert_str_eq(e3, "1000-19");

    /* No group on any shard yet: made on every shard, from its start. */
    struct test_fanout_answer first = fanout(&f);
    ck_assert_int_eq(first.status, QUEUE_NOT_FOUND);
    ck_assert_int_eq(first.made, 0);
    struct test_status_answer group = {0};
    ck_assert_int_eq(queue_events_group_create(f.rc, PREFIX, test_on_status, &group), 0);
    test_run_until(f.base, &group.done);
    ck_assert_int_eq(group.status, QUEUE_OK);
    for (int s = 0; s < SHARDS; s++) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "EXISTS %s", skey(s, "events"));
        ck_assert_str_eq(text_of(f.c, cmd), "1");
    }

    struct test_fanout_answer fan = fanout(&f);
    ck_assert_int_eq(fan.status, QUEUE_OK);
    ck_assert_int_eq(fan.read, 5);
    ck_assert_int_eq(fan.made, 7); /* fin: e0 e9 e15a; all: e0 e3 e9 e15a; e15b: nobody */
    ck_assert_int_eq(test_redis_int(f.c, "ZCARD %s", skey(0, "whdue")), 7);
    ck_assert_str_eq(delivery_field(&f, e0, "fin", "claim_id"), "C0");
    ck_assert_str_eq(delivery_field(&f, e0, "all", "event_id"), "1000-16");
    ck_assert_str_eq(delivery_field(&f, e3, "all", "claim_id"), "C3");
    ck_assert_str_eq(delivery_field(&f, e3, "all", "event"), "claim.pended");
    ck_assert_str_eq(delivery_field(&f, e3, "fin", "claim_id"), "");
    ck_assert_str_eq(delivery_field(&f, e9, "fin", "status"), "denied");
    ck_assert_str_eq(delivery_field(&f, e9, "all", "state"), "pending");
    ck_assert_str_eq(delivery_field(&f, e15a, "all", "claim_id"), "C15");
    ck_assert_str_eq(delivery_field(&f, e15b, "all", "claim_id"), "");
    for (int s = 0; s < SHARDS; s++)
        ck_assert_int_eq(pending_count(&f, s), 0);

    /* Only what came since. */
    const char *e7 = add_event(&f, 7, "1004-0", "claim.finalized", "C7", "approved");
    struct test_fanout_answer again = fanout(&f);
    ck_assert_int_eq(again.status, QUEUE_OK);
    ck_assert_int_eq(again.read, 1);
    ck_assert_int_eq(again.made, 2);
    ck_assert_str_eq(delivery_field(&f, e7, "fin", "claim_id"), "C7");
    ck_assert_int_eq(test_redis_int(f.c, "ZCARD %s", skey(0, "whdue")), 9);
    struct test_fanout_answer idle = fanout(&f);
    ck_assert_int_eq(idle.status, QUEUE_OK);
    ck_assert_int_eq(idle.read, 0);
    ck_assert_int_eq(idle.made, 0);
    test_queue_close(&f);
}
END_TEST

START_TEST(test_fanout_stopped_between_its_steps_is_taken_over_once)
{
    struct test_queue f;
    test_queue_open(&f, &redis, SHARDS);
    subscribe(&f, "fin", "claim.finalized");
    struct test_status_answer group = {0};
    ck_assert_int_eq(queue_events_group_create(f.rc, PREFIX, test_on_status, &group), 0);
    test_run_until(f.base, &group.done);
    ck_assert_int_eq(group.status, QUEUE_OK);

    /* Step 1 of a process that then stopped: read, never acknowledged. */
    const char *a = add_event(&f, 5, "2000-0", "claim.finalized", "A", "approved");
    const char *b = add_event(&f, 5, "2000-1", "claim.finalized", "B", "denied");
    test_redis_ok(f.c, "XREADGROUP GROUP notifiers dispatcher COUNT 10 STREAMS %s >",
                  skey(5, "events"));
    struct test_fanout_answer young = fanout(&f);
    ck_assert_int_eq(young.status, QUEUE_OK);
    ck_assert_int_eq(young.read, 0); /* not idle long enough: its reader may still run */
    ck_assert_int_eq(pending_count(&f, 5), 2);
    /* Idle past WEBHOOK_FANOUT_RECLAIM_MS: taken over. */
    test_redis_ok(f.c, "XCLAIM %s notifiers dispatcher 0 2000-0 2000-1 IDLE 31000",
                  skey(5, "events"));
    struct test_fanout_answer taken = fanout(&f);
    ck_assert_int_eq(taken.status, QUEUE_OK);
    ck_assert_int_eq(taken.read, 2);
    ck_assert_int_eq(taken.made, 2);
    ck_assert_str_eq(delivery_field(&f, a, "fin", "claim_id"), "A");
    ck_assert_str_eq(delivery_field(&f, b, "fin", "status"), "denied");
    ck_assert_int_eq(pending_count(&f, 5), 0);

    /* Steps 1 and 2 done, the delivery even delivered, then a stop before
     * step 3: taken over, no second delivery. */
    const char *c = add_event(&f, 12, "3000-0", "claim.finalized", "C", "approved");
    test_redis_ok(f.c, "XREADGROUP GROUP notifiers dispatcher COUNT 10 STREAMS %s >",
                  skey(12, "events"));
    test_redis_ok(f.c, "HSET %s%s.fin webhook_id fin event_id %s state delivered attempts 1",
                  skey(0, "whdel:"), c, c);
    test_redis_ok(f.c, "XCLAIM %s notifiers dispatcher 0 3000-0 IDLE 31000", skey(12, "events"));
    struct test_fanout_answer done = fanout(&f);
    ck_assert_int_eq(done.status, QUEUE_OK);
    ck_assert_int_eq(done.read, 1);
    ck_assert_int_eq(done.made, 0);
    ck_assert_str_eq(delivery_field(&f, c, "fin", "state"), "delivered");
    ck_assert_int_eq(pending_count(&f, 12), 0);
    ck_assert_int_eq(test_redis_int(f.c, "ZCARD %s", skey(0, "whdue")), 2);
    test_queue_close(&f);
}
END_TEST

/* ---- payment cycles ---- */

struct close_answer {
    int done;
    enum queue_status status;
    char summary[4096];
};

static void on_closed(enum queue_status status, const char *summary, void *arg)
{
    struct close_answer *a = arg;
    a->done++;
    a->status = status;
    snprintf(a->summary, sizeof a->summary, "%s", summary ? summary : "");
}

static struct close_answer close_cycle(struct test_queue *f, bool scheduled)
{
    struct close_answer a = {0};
    ck_assert_int_eq(queue_remit_close(f->rc, PREFIX, "2026-12-02", "2026-12-02T18:00:00Z",
                                       scheduled, on_closed, &a),
                     0);
    test_run_until(f->base, &a.done);
    return a;
}

/* A due claim on shard s as the commit script leaves it: provider payee
 * (payee an NPI) or member payee (payee a member id). */
static void add_due(struct test_queue *f, int s, const char *claim, bool provider,
                    const char *payee, long long cents, long long score)
{
    test_redis_ok(f->c, "ZADD %s %lld %s", skey(s, provider ? "remit:due" : "memberpay:due"), score,
                  claim);
    test_redis_ok(f->c, "HSET %s %s %s|%s|%lld", skey(s, "remit:info"), claim, provider ? "P" : "M",
                  payee, cents);
}

static const char *cycle_claims(struct test_queue *f, const char *cycle_id)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "HGET %s %s", skey(0, "remit:claims"), cycle_id);
    return text_of(f->c, cmd);
}

static const char *cycle_summary(struct test_queue *f, const char *cycle_id)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "HGET %s %s", skey(0, "remit:cycles"), cycle_id);
    return text_of(f->c, cmd);
}

/* Nothing due, no part and no open cycle left on any shard. */
static void assert_all_taken(struct test_queue *f)
{
    for (int s = 0; s < SHARDS; s++) {
        ck_assert_int_eq(test_redis_int(f->c, "EXISTS %s %s %s", skey(s, "remit:due"),
                                        skey(s, "memberpay:due"), skey(s, "remit:info")),
                         0);
        redisReply *r = redisCommand(f->c, "KEYS %s", skey(s, "remit:took:*"));
        ck_assert_uint_eq(r->elements, 0);
        freeReplyObject(r);
    }
    ck_assert_int_eq(test_redis_int(f->c, "HLEN %s", skey(0, "remit:open")), 0);
}

START_TEST(test_a_cycle_takes_the_due_claims_of_every_shard_once)
{
    struct test_queue f;
    test_queue_open(&f, &redis, SHARDS);
    add_due(&f, 7, "p1", true, "1245319599", 12345, 100);
    add_due(&f, 0, "p2", true, "1003000126", 5000, 101);
    add_due(&f, 15, "p3", true, "1245319599", 1, 102);
    add_due(&f, 1, "p4", true, "1245319599", 99999, 100); /* ties p1: shard 1 first */
    add_due(&f, 15, "m1", false, "M1001", 2500, 103);
    add_due(&f, 3, "m2", false, "M7001", 1075, 99);
    struct close_answer a = close_cycle(&f, false);
    ck_assert_int_eq(a.status, QUEUE_OK);
    ck_assert_str_eq(test_json_str(a.summary, "cycle_id"), "20261202-1");
    ck_assert_str_eq(test_json_str(a.summary, "seq"), "1");
    ck_assert_str_eq(test_json_str(a.summary, "date"), "2026-12-02");
    ck_assert_str_eq(test_json_str(a.summary, "created_at"), "2026-12-02T18:00:00Z");
    ck_assert_str_eq(test_json_str(a.summary, "claims"), "4");
    ck_assert_str_eq(test_json_str(a.summary, "total"), "117345");
    ck_assert_str_eq(test_json_str(a.summary, "member_claims"), "2");
    ck_assert_str_eq(test_json_str(a.summary, "member_total"), "3575");
    ck_assert_int_eq(test_json_len(a.summary, "payees"), 2);
    ck_assert_str_eq(test_json_str(a.summary, "payees.0.npi"), "1003000126");
    ck_assert_str_eq(test_json_str(a.summary, "payees.0.claims"), "1");
    ck_assert_str_eq(test_json_str(a.summary, "payees.0.total"), "5000");
    ck_assert_str_eq(test_json_str(a.summary, "payees.1.npi"), "1245319599");
    ck_assert_str_eq(test_json_str(a.summary, "payees.1.claims"), "3");
    ck_assert_str_eq(test_json_str(a.summary, "payees.1.total"), "112345");
    ck_assert_str_eq(cycle_summary(&f, "20261202-1"), a.summary);
    const char *claims = cycle_claims(&f, "20261202-1");
    /* In due order over the shards: (finalize time, shard). */
    ck_assert_str_eq(test_json_str(claims, "payees.0.claims.0"), "p2");
    ck_assert_str_eq(test_json_str(claims, "payees.1.claims.0"), "p4");
    ck_assert_str_eq(test_json_str(claims, "payees.1.claims.1"), "p1");
    ck_assert_str_eq(test_json_str(claims, "payees.1.claims.2"), "p3");
    ck_assert_int_eq(test_json_len(claims, "members"), 2);
    ck_assert_str_eq(test_json_str(claims, "members.0.claim_id"), "m2");
    ck_assert_str_eq(test_json_str(claims, "members.0.member_id"), "M7001");
    ck_assert_str_eq(test_json_str(claims, "members.0.amount"), "1075");
    ck_assert_str_eq(test_json_str(claims, "members.1.claim_id"), "m1");
    assert_all_taken(&f);

    /* A scheduled close with nothing due on any shard makes no cycle. */
    struct close_answer none = close_cycle(&f, true);
    ck_assert_int_eq(none.status, QUEUE_OK);
    ck_assert_str_eq(none.summary, "");
    ck_assert_int_eq(test_redis_int(f.c, "HLEN %s", skey(0, "remit:cycles")), 1);
    ck_assert_int_eq(test_redis_int(f.c, "EXISTS %s", skey(0, "remit:auto:2026-12-02")), 1);
    test_queue_close(&f);
}
END_TEST

START_TEST(test_a_close_stopped_after_some_shards_is_finished_by_the_next)
{
    struct test_queue f;
    test_queue_open(&f, &redis, SHARDS);
    add_due(&f, 2, "a", true, "1245319599", 1000, 10);
    add_due(&f, 6, "b", true, "1245319599", 2000, 11);
    add_due(&f, 11, "c", false, "M1001", 300, 12);
    /* Shard 6 answers an error (Redis failed it): the close stops after
     * shards 0..5. */
    test_redis_ok(f.c, "HSET %s x 1", skey(6, "remit:moved"));
    struct close_answer stopped = close_cycle(&f, false);
    ck_assert_int_eq(stopped.status, QUEUE_UNAVAILABLE);
    ck_assert_int_eq(test_redis_int(f.c, "EXISTS %s", skey(2, "remit:due")), 0);
    ck_assert_int_eq(test_redis_int(f.c, "EXISTS %s", skey(2, "remit:took:20261202-1")), 1);
    ck_assert_int_eq(test_redis_int(f.c, "ZCARD %s", skey(6, "remit:due")), 1);
    ck_assert_int_eq(test_redis_int(f.c, "ZCARD %s", skey(11, "memberpay:due")), 1);
    ck_assert_int_eq(test_redis_int(f.c, "HLEN %s", skey(0, "remit:open")), 1);
    ck_assert_int_eq(test_redis_int(f.c, "HLEN %s", skey(0, "remit:cycles")), 0);

    /* Meanwhile claims are finalized on a shard already moved (2) and on
     * one not yet moved (11); the failure passes. */
    add_due(&f, 2, "d", true, "1003000126", 400, 13);
    add_due(&f, 11, "e", true, "1003000126", 50, 14);
    test_redis_ok(f.c, "DEL %s", skey(6, "remit:moved"));

    /* The day's scheduled close already ran: this one makes no cycle of its
     * own, but finishes the stopped one. */
    test_redis_ok(f.c, "SET %s earlier", skey(0, "remit:auto:2026-12-02"));
    struct close_answer resumed = close_cycle(&f, true);
    ck_assert_int_eq(resumed.status, QUEUE_OK);
    ck_assert_str_eq(resumed.summary, "");
    const char *first = cycle_summary(&f, "20261202-1");
    ck_assert_str_eq(test_json_str(first, "claims"), "3");
    ck_assert_str_eq(test_json_str(first, "total"), "3050");
    ck_assert_str_eq(test_json_str(first, "member_claims"), "1");
    ck_assert_str_eq(test_json_str(first, "member_total"), "300");
    ck_assert_str_eq(test_json_str(first, "created_at"), "2026-12-02T18:00:00Z");
    const char *claims = cycle_claims(&f, "20261202-1");
    ck_assert_str_eq(test_json_str(claims, "payees.0.npi"), "1003000126");
    ck_assert_int_eq(test_json_len(claims, "payees.0.claims"), 1);
    ck_assert_str_eq(test_json_str(claims, "payees.0.claims.0"), "e");
    ck_assert_str_eq(test_json_str(claims, "payees.1.npi"), "1245319599");
    ck_assert_int_eq(test_json_len(claims, "payees.1.claims"), 2);
    ck_assert_str_eq(test_json_str(claims, "payees.1.claims.0"), "a");
    ck_assert_str_eq(test_json_str(claims, "payees.1.claims.1"), "b");
    ck_assert_str_eq(test_json_str(claims, "members.0.claim_id"), "c");
    ck_assert_int_eq(test_redis_int(f.c, "HLEN %s", skey(0, "remit:open")), 0);
    /* d, finalized on shard 2 after shard 2 moved, waits for the next cycle. */
    ck_assert_int_eq(test_redis_int(f.c, "ZCARD %s", skey(2, "remit:due")), 1);

    struct close_answer next = close_cycle(&f, false);
    ck_assert_int_eq(next.status, QUEUE_OK);
    ck_assert_str_eq(test_json_str(next.summary, "cycle_id"), "20261202-2");
    ck_assert_str_eq(test_json_str(next.summary, "claims"), "1");
    ck_assert_str_eq(test_json_str(next.summary, "total"), "400");
    ck_assert_str_eq(test_json_str(cycle_claims(&f, "20261202-2"), "payees.0.claims.0"), "d");
    assert_all_taken(&f);
    test_queue_close(&f);
}
END_TEST

/* A close that saw a cycle open which another close has since finished
 * (and whose parts it deleted) takes nothing into it. */
START_TEST(test_a_close_late_for_a_finished_cycle_moves_nothing_into_it)
{
    struct test_queue f;
    test_queue_open(&f, &redis, SHARDS);
    add_due(&f, 4, "x", true, "1245319599", 700, 1);
    struct close_answer first = close_cycle(&f, false);
    ck_assert_int_eq(first.status, QUEUE_OK);
    ck_assert_str_eq(test_json_str(first.summary, "cycle_id"), "20261202-1");
    add_due(&f, 4, "y", true, "1245319599", 800, 2);
    /* The other close's view: cycle 1 still open. */
    test_redis_ok(f.c, "HSET %s 20261202-1 {\"seq\":1,\"date\":\"2026-12-02\"}",
                  skey(0, "remit:open"));
    struct close_answer second = close_cycle(&f, false);
    ck_assert_int_eq(second.status, QUEUE_OK);
    ck_assert_str_eq(test_json_str(second.summary, "cycle_id"), "20261202-2");
    ck_assert_str_eq(test_json_str(second.summary, "total"), "800");
    ck_assert_str_eq(cycle_summary(&f, "20261202-1"), first.summary);
    const char *claims = cycle_claims(&f, "20261202-1");
    ck_assert_int_eq(test_json_len(claims, "payees.0.claims"), 1);
    ck_assert_str_eq(test_json_str(claims, "payees.0.claims.0"), "x");
    ck_assert_str_eq(test_json_str(cycle_claims(&f, "20261202-2"), "payees.0.claims.0"), "y");
    assert_all_taken(&f);
    test_queue_close(&f);
}
END_TEST

/* Closes at once on one connection: their steps interleave; a close meets
 * the others' open cycles and finishes them too. */
START_TEST(test_closes_at_once_put_each_claim_in_exactly_one_cycle)
{
    struct test_queue f;
    test_queue_open(&f, &redis, SHARDS);
    long long want = 0;
    for (int i = 0; i < 64; i++) {
        char id[16];
        snprintf(id, sizeof id, "k%02d", i);
        add_due(&f, (i * 7) % SHARDS, id, true, "1245319599", 100 + i, 1000 + i);
        want += 100 + i;
    }
    enum { CLOSES = 4 };
    struct close_answer a[CLOSES];
    memset(a, 0, sizeof a);
    for (int k = 0; k < CLOSES; k++) {
        ck_assert_int_eq(queue_remit_close(f.rc, PREFIX, "2026-12-02", "2026-12-02T18:00:00Z",
                                           false, on_closed, &a[k]),
                         0);
        if (k == 1) /* more claims while the first closes run */
            for (int i = 64; i < 80; i++) {
                char id[16];
                snprintf(id, sizeof id, "k%02d", i);
                add_due(&f, i % SHARDS, id, true, "1245319599", 100 + i, 1000 + i);
                want += 100 + i;
            }
    }
    for (int k = 0; k < CLOSES; k++) {
        test_run_until(f.base, &a[k].done);
        ck_assert_int_eq(a[k].status, QUEUE_OK);
    }
    int seen[80] = {0};
    long long total = 0;
    for (int k = 0; k < CLOSES; k++) {
        char id[32];
        snprintf(id, sizeof id, "20261202-%d", k + 1);
        const char *sum = cycle_summary(&f, id);
        ck_assert_str_ne(sum, "");
        total += atoll(test_json_str(sum, "total"));
        const char *claims = cycle_claims(&f, id);
        int n = test_json_len(claims, "payees.0.claims");
        for (int i = 0; i < n; i++) {
            char path[32];
            snprintf(path, sizeof path, "payees.0.claims.%d", i);
            seen[atoi(test_json_str(claims, path) + 1)]++;
        }
    }
    for (int i = 0; i < 80; i++)
        ck_assert_msg(seen[i] == 1, "claim k%02d is in %d cycles", i, seen[i]);
    ck_assert_int_eq(total, want);
    assert_all_taken(&f);
    test_queue_close(&f);
}
END_TEST

int main(void)
{
    queue_init();
    test_redis_start(&redis);
    Suite *s = suite_create("notify_shards");
    TCase *tc = tcase_create("sixteen");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_event_ids_are_unique_across_shards_and_unchanged_with_one);
    tcase_add_test(tc, test_fanout_reads_every_shard_and_makes_one_delivery_per_event);
    tcase_add_test(tc, test_fanout_stopped_between_its_steps_is_taken_over_once);
    tcase_add_test(tc, test_a_cycle_takes_the_due_claims_of_every_shard_once);
    tcase_add_test(tc, test_a_close_stopped_after_some_shards_is_finished_by_the_next);
    tcase_add_test(tc, test_a_close_late_for_a_finished_cycle_moves_nothing_into_it);
    tcase_add_test(tc, test_closes_at_once_put_each_claim_in_exactly_one_cycle);
    suite_add_tcase(s, tc);
    int failed = test_run_suite(s, CK_NOFORK);
    test_redis_stop(&redis);
    return failed ? 1 : 0;
}
