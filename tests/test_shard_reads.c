/*
 * Reads over the claims shards (issue 12, docs/operations.md "Redis
 * Cluster"): the merge of the queue's figures (pure, exact values), and
 * against a real redis-server with 16 shards laid out as intake writes them
 * (each claim on its family's shard, its id drawn onto that shard, index
 * scores per shard): the search paged to the end (every claim once, in
 * (score, shard) order) for all claims, a status, a provider, a family, the
 * overdue list and a date range; the queue's figures summed; the requeue of
 * a dead-lettered claim and the reads of one claim on its own shard; audit
 * records on the claim's shard or shard 0. With one shard the cursor is the
 * score, as before.
 */
#include <check.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/audit.h"
#include "queue/claims_read.h"
#include "queue/enrollment.h"
#include "queue/queue.h"
#include "queue/redis_conn.h"
#include "queue/shards.h"
#include "queue/stats.h"

#define PREFIX "t:"

static struct test_redis redis;

/* ---- the figures' merge (pure) ---- */

START_TEST(test_figures_of_three_shards_merge_into_one)
{
    struct queue_dead_entry d0[] = {{.entry_id = "1700000000002-0", .claim_id = "A2"},
                                    {.entry_id = "1700000000009-1", .claim_id = "A9"}};
    struct queue_dead_entry d2[] = {{.entry_id = "1700000000002-0", .claim_id = "C2"},
                                    {.entry_id = "1700000000005-3", .claim_id = "C5"},
                                    {.entry_id = "1700000000010-0", .claim_id = "C10"}};
    struct queue_stats_shard parts[3] = {
        {.stats = {.length = 4,
                   .in_flight = 1,
                   .pended = 2,
                   .dead = 2,
                   .overdue = 1,
                   .in_review = 3,
                   .finalized = 10,
                   .finalized_within_target = 9,
                   .oldest_claim_id = "b-claim",
                   .oldest_received = "2026-03-01",
                   .dead_entries = d0,
                   .n_dead_entries = 2},
         .oldest_target = 20600},
        {.stats = {.length = 0, .finalized = 5, .finalized_within_target = 5}},
        {.stats = {.length = 7,
                   .in_flight = 2,
                   .pended = 1,
                   .dead = 3,
                   .overdue = 4,
                   .in_review = 0,
                   .finalized = 1,
                   .finalized_within_target = 0,
                   .oldest_claim_id = "a-claim",
                   .oldest_received = "2026-02-27",
                   .dead_entries = d2,
                   .n_dead_entries = 3},
         .oldest_target = 20600},
    };
    struct queue_stats st;
    struct queue_dead_entry dead[QUEUE_STATS_DEAD_MAX];
    queue_stats_merge(parts, 3, &st, dead);
    ck_assert_int_eq(st.length, 11);
    ck_assert_int_eq(st.in_flight, 3);
    ck_assert_int_eq(st.pended, 3);
    ck_assert_int_eq(st.dead, 5);
    ck_assert_int_eq(st.overdue, 5);
    ck_assert_int_eq(st.in_review, 3);
    ck_assert_int_eq(st.finalized, 16);
    ck_assert_int_eq(st.finalized_within_target, 14);
    /* Equal target days: the smaller claim id, as one sorted set has it. */
    ck_assert_str_eq(st.oldest_claim_id, "a-claim");
    ck_assert_str_eq(st.oldest_received, "2026-02-27");
    ck_assert_uint_eq(st.n_dead_entries, 5);
    const char *order[] = {"A2", "C2", "C5", "A9", "C10"};
    for (int i = 0; i < 5; i++)
        ck_assert_str_eq(st.dead_entries[i].claim_id, order[i]);

    /* An earlier target wins over a smaller id; no open claim anywhere:
     * none. */
    parts[0].oldest_target = 20599;
    queue_stats_merge(parts, 3, &st, dead);
    ck_assert_str_eq(st.oldest_claim_id, "b-claim");
    ck_assert_str_eq(st.oldest_received, "2026-03-01");
    parts[0].stats.oldest_claim_id = parts[2].stats.oldest_claim_id = NULL;
    queue_stats_merge(parts, 3, &st, dead);
    ck_assert_ptr_null(st.oldest_claim_id);
    ck_assert_ptr_null(st.oldest_received);
}
END_TEST

START_TEST(test_figures_list_at_most_fifty_dead_entries_oldest_first)
{
    static char ids[4][QUEUE_STATS_DEAD_MAX][24];
    static struct queue_dead_entry d[4][QUEUE_STATS_DEAD_MAX];
    struct queue_stats_shard parts[4] = {0};
    /* Shard s holds entries at milliseconds s, s + 4, s + 8, ... */
    for (int s = 0; s < 4; s++) {
        for (int i = 0; i < QUEUE_STATS_DEAD_MAX; i++) {
            snprintf(ids[s][i], sizeof ids[s][i], "%d-0", s + 4 * i);
            d[s][i] = (struct queue_dead_entry){.entry_id = ids[s][i], .claim_id = ids[s][i]};
        }
        parts[s].stats = (struct queue_stats){
            .dead = 60, .dead_entries = d[s], .n_dead_entries = QUEUE_STATS_DEAD_MAX};
    }
    struct queue_stats st;
    struct queue_dead_entry dead[QUEUE_STATS_DEAD_MAX];
    queue_stats_merge(parts, 4, &st, dead);
    ck_assert_int_eq(st.dead, 240);
    ck_assert_uint_eq(st.n_dead_entries, QUEUE_STATS_DEAD_MAX);
    for (int i = 0; i < QUEUE_STATS_DEAD_MAX; i++) {
        char want[24];
        snprintf(want, sizeof want, "%d-0", i);
        ck_assert_str_eq(st.dead_entries[i].entry_id, want);
    }
}
END_TEST

/* ---- against Redis: claims laid out over 16 shards ---- */

#define FAMILIES 40
#define CLAIMS_MAX 700
#define DAY0 20500 /* 2026-02-15 */
#define TODAY 20520

struct claim {
    char id[24], member[24], sub[24], npi[8], status[16], type[16];
    int shard, received_day, target_day;
    long long score;
};

static struct claim claims[CLAIMS_MAX];
static int n_claims;

/* The seeding is pipelined: commands queued, then every answer checked. */
static int queued;

static void command_queue(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ck_assert_int_eq(redisvAppendCommand(c, fmt, ap), REDIS_OK);
    va_end(ap);
    queued++;
}

static void commands_flush(redisContext *c)
{
    for (; queued > 0; queued--) {
        void *reply = NULL;
        ck_assert_int_eq(redisGetReply(c, &reply), REDIS_OK);
        redisReply *r = reply;
        ck_assert_msg(r->type != REDIS_REPLY_ERROR, "%s", r->str);
        freeReplyObject(r);
    }
}

struct put_answer {
    int done;
    enum queue_status status;
};

static void on_put(enum queue_status status, bool existed, void *arg)
{
    (void)existed;
    struct put_answer *a = arg;
    a->done++;
    a->status = status;
}

/* A member record stored as PUT /v1/members stores it, with its directory
 * entry (mref: member id -> subscriber) wherever queue/enrollment.c keeps
 * it. */
static void put_member(struct test_queue *f, const char *member, const char *sub)
{
    char json[128];
    snprintf(json, sizeof json, "{\"member_id\":\"%s\",\"subscriber_id\":\"%s\"}", member, sub);
    struct queue_member_facts facts = {member, sub, "G1", "P1"};
    struct put_answer a = {0};
    ck_assert_int_eq(queue_put_record(f->rc, PREFIX, QUEUE_RECORD_MEMBER, member, json, &facts,
                                      NULL, on_put, &a),
                     0);
    test_run_until(f->base, &a.done);
    ck_assert_int_eq(a.status, QUEUE_OK);
}

static bool is_open(const char *status)
{
    return strcmp(status, "approved") != 0 && strcmp(status, "denied") != 0;
}

/* One claim stored as intake and the worker leave it, on its family's
 * shard: family is the subscriber (or, for a claim of an unknown member,
 * the member id). */
static void put_claim(redisContext *c, const char *member, const char *family, const char *npi,
                      const char *status, int received_day, int target_day)
{
    ck_assert_int_lt(n_claims, CLAIMS_MAX);
    struct claim *cl = &claims[n_claims++];
    int shard = queue_shard_of_family(family);
    /* Intake draws ids until one falls on the family's shard. */
    static int draw;
    do
        snprintf(cl->id, sizeof cl->id, "C%06d", ++draw);
    while (queue_shard_of_claim(cl->id) != shard);
    snprintf(cl->member, sizeof cl->member, "%s", member);
    snprintf(cl->sub, sizeof cl->sub, "%s", family);
    snprintf(cl->npi, sizeof cl->npi, "%s", npi);
    snprintf(cl->status, sizeof cl->status, "%s", status);
    snprintf(cl->type, sizeof cl->type, "%s", received_day % 3 ? "medical" : "pharmacy");
    cl->shard = shard;
    cl->received_day = received_day;
    cl->target_day = target_day;
    char sp[SHARD_PREFIX_LEN];
    snprintf(sp, sizeof sp, "%s", queue_shard_prefix(PREFIX, shard).s);
    /* A sequence per shard and day: scores unique within a shard, as the
     * product's `seq` makes them, and equal across shards often (the
     * product's sequences do not reset each day, but nothing keeps two
     * shards' scores apart either): the merge must order them by shard and
     * a cursor may fall between equal scores. */
    static long long seq[SHARDS_MAX][16];
    if (n_claims == 1)
        memset(seq, 0, sizeof seq);
    cl->score = (long long)received_day * 2097152 + ++seq[shard][(received_day - DAY0) % 16];
    char received[16], target[16];
    snprintf(received, sizeof received, "R%d", received_day);
    snprintf(target, sizeof target, "T%d", target_day);
    command_queue(
        c,
        "HSET %sclaim:%s id %s type %s member_id %s subscriber_id %s status %s received %s "
        "target %s target_day %d score %lld by_npi %s",
        sp, cl->id, cl->id, cl->type, member, family, status, received, target, target_day,
        cl->score, npi);
    command_queue(c, "ZADD %sidx:all %lld %s", sp, cl->score, cl->id);
    command_queue(c, "ZADD %sidx:f:%s %lld %s", sp, family, cl->score, cl->id);
    command_queue(c, "ZADD %sidx:p:%s %lld %s", sp, npi, cl->score, cl->id);
    if (is_open(status)) {
        command_queue(c, "ZADD %sidx:s:%s %lld %s", sp, status, cl->score, cl->id);
        command_queue(c, "ZADD %ssla %d %s", sp, target_day, cl->id);
    }
}

/* FAMILIES families "F<n>" of two members each (the subscriber "F<n>-01" is
 * the family id), claims on days DAY0 .. DAY0 + 9; plus claims of "U-1", a
 * member that was unknown when they came (its own family index), and that
 * later joined family F3. */
static void seed(struct test_queue *f)
{
    redisContext *c = f->c;
    static const char *const statuses[] = {"received",   "approved", "pended",   "denied",
                                           "processing", "approved", "in_review"};
    n_claims = 0;
    for (int fam = 0; fam < FAMILIES; fam++) {
        char sub[24], dep[24];
        snprintf(sub, sizeof sub, "F%d-01", fam);
        snprintf(dep, sizeof dep, "F%d-02", fam);
        put_member(f, sub, sub);
        put_member(f, dep, sub);
        for (int k = 0; k < 15; k++) {
            int day = DAY0 + (fam + k) % 10;
            put_claim(c, k % 2 ? dep : sub, sub, k % 3 ? "NPI-A" : "NPI-B", statuses[(fam + k) % 7],
                      day, day + 10 + k % 15);
        }
    }
    for (int k = 0; k < 5; k++)
        put_claim(c, "U-1", "U-1", "NPI-A", "received", DAY0 + k, DAY0 + 30);
    put_member(f, "U-1", "F3-01");
    commands_flush(c);
}

struct page {
    int done;
    enum queue_status status;
    int n;
    char ids[500][24];
    char cursor[32];
    bool has_cursor;
};

static void on_page(enum queue_status status, const struct queue_search_row *rows, size_t n,
                    const char *next_cursor, void *arg)
{
    struct page *p = arg;
    p->done++;
    p->status = status;
    p->n = (int)n;
    for (size_t i = 0; i < n && i < 500; i++)
        snprintf(p->ids[i], sizeof p->ids[i], "%s", rows[i].claim_id);
    p->has_cursor = next_cursor != NULL;
    snprintf(p->cursor, sizeof p->cursor, "%s", next_cursor ? next_cursor : "");
}

static int claim_order(const void *a, const void *b)
{
    const struct claim *x = *(const struct claim *const *)a, *y = *(const struct claim *const *)b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return x->shard - y->shard;
}

typedef bool (*claim_filter)(const struct claim *c);

/* Pages through the search q (limit as given) to the end and checks that it
 * returns exactly the claims `want` accepts, each once, in (score, shard)
 * order. Returns how many pages it took. */
static int page_through(struct test_queue *f, struct queue_search_query q, claim_filter want)
{
    static const struct claim *expect[CLAIMS_MAX];
    int n_expect = 0;
    for (int i = 0; i < n_claims; i++)
        if (want(&claims[i]))
            expect[n_expect++] = &claims[i];
    qsort(expect, (size_t)n_expect, sizeof *expect, claim_order);
    char cursor[32] = "";
    int got = 0, pages = 0;
    for (;;) {
        struct page p = {0};
        q.cursor = cursor;
        ck_assert_int_eq(queue_search(f->rc, PREFIX, &q, on_page, &p), 0);
        test_run_until(f->base, &p.done);
        ck_assert_int_eq(p.status, QUEUE_OK);
        ck_assert_int_le(p.n, q.limit);
        pages++;
        for (int i = 0; i < p.n; i++, got++) {
            ck_assert_msg(got < n_expect, "more claims than expected: %s", p.ids[i]);
            ck_assert_str_eq(p.ids[i], expect[got]->id);
        }
        if (!p.has_cursor)
            break;
        ck_assert_msg(pages < 1000, "the search does not end");
        snprintf(cursor, sizeof cursor, "%s", p.cursor);
    }
    ck_assert_int_eq(got, n_expect);
    return pages;
}

static struct queue_search_query query(int limit)
{
    return (struct queue_search_query){.family_of = "",
                                       .member_id = "",
                                       .own_member = "",
                                       .npi = "",
                                       .status = "",
                                       .type = "",
                                       .cursor = "",
                                       .limit = limit,
                                       .today = {.days = TODAY}};
}

static bool any(const struct claim *c)
{
    (void)c;
    return true;
}
static bool pended(const struct claim *c)
{
    return strcmp(c->status, "pended") == 0;
}
static bool approved_pharmacy(const struct claim *c)
{
    return strcmp(c->status, "approved") == 0 && strcmp(c->type, "pharmacy") == 0;
}
static bool of_npi_b(const struct claim *c)
{
    return strcmp(c->npi, "NPI-B") == 0;
}
static bool overdue(const struct claim *c)
{
    return is_open(c->status) && c->target_day < TODAY;
}
static bool family_f3(const struct claim *c)
{
    return strcmp(c->sub, "F3-01") == 0 || strcmp(c->sub, "U-1") == 0;
}
static bool family_f7(const struct claim *c)
{
    return strcmp(c->sub, "F7-01") == 0;
}
static bool dependent_of_f7(const struct claim *c)
{
    return strcmp(c->member, "F7-02") == 0;
}
static bool received_days_3_to_5(const struct claim *c)
{
    return c->received_day >= DAY0 + 3 && c->received_day <= DAY0 + 5;
}

START_TEST(test_search_pages_over_sixteen_shards_find_every_claim_once_in_order)
{
    struct test_queue f;
    test_queue_open(&f, &redis, 16);
    seed(&f);
    /* The claims really are spread: every shard holds some. */
    int per_shard[16] = {0};
    for (int i = 0; i < n_claims; i++)
        per_shard[claims[i].shard]++;
    for (int s = 0; s < 16; s++)
        ck_assert_int_gt(per_shard[s], 0);

    /* Pages may be short (a hit past where another shard stopped waits);
     * never more than the claims' count of them. */
    ck_assert_int_le(page_through(&f, query(7), any), n_claims);
    ck_assert_int_eq(page_through(&f, query(500), any), 2);
    struct queue_search_query q = query(3);
    q.status = "pended";
    page_through(&f, q, pended);
    q = query(4);
    q.status = "approved";
    q.type = "pharmacy";
    page_through(&f, q, approved_pharmacy);
    q = query(9);
    q.npi = "NPI-B";
    page_through(&f, q, of_npi_b);
    q = query(5);
    q.overdue = true;
    page_through(&f, q, overdue);
    q = query(6);
    q.has_from = q.has_to = true;
    q.from.days = DAY0 + 3;
    q.to.days = DAY0 + 5;
    page_through(&f, q, received_days_3_to_5);
    test_queue_close(&f);
}
END_TEST

START_TEST(test_a_family_search_reads_the_family_shard_and_the_members_own_index)
{
    struct test_queue f;
    test_queue_open(&f, &redis, 16);
    seed(&f);
    /* U-1's claims came while it was unknown: on U-1's own shard. */
    ck_assert_int_ne(queue_shard_of_family("U-1"), queue_shard_of_family("F3-01"));
    struct queue_search_query q = query(4);
    q.family_of = "U-1";
    page_through(&f, q, family_f3);
    q = query(2);
    q.family_of = "F7-02";
    page_through(&f, q, family_f7);
    q = query(2);
    q.family_of = "F7-02";
    q.member_id = "F7-02";
    page_through(&f, q, dependent_of_f7);
    /* A member nobody knows and no claim names: every shard walked,
     * nothing found. */
    struct page p = {0};
    q = query(50);
    q.family_of = "X9999";
    q.member_id = "X9999";
    ck_assert_int_eq(queue_search(f.rc, PREFIX, &q, on_page, &p), 0);
    test_run_until(f.base, &p.done);
    ck_assert_int_eq(p.status, QUEUE_OK);
    ck_assert_int_eq(p.n, 0);
    ck_assert(!p.has_cursor);
    /* A cursor past every score of the layout: an empty last page. */
    p = (struct page){0};
    q = query(50);
    q.cursor = "99999999999999999999";
    ck_assert_int_eq(queue_search(f.rc, PREFIX, &q, on_page, &p), 0);
    test_run_until(f.base, &p.done);
    ck_assert_int_eq(p.status, QUEUE_OK);
    ck_assert_int_eq(p.n, 0);
    ck_assert(!p.has_cursor);
    test_queue_close(&f);
}
END_TEST

START_TEST(test_with_one_shard_the_cursor_is_the_last_score)
{
    struct test_queue f;
    test_queue_open(&f, &redis, 1);
    seed(&f);
    struct page p = {0};
    struct queue_search_query q = query(3);
    ck_assert_int_eq(queue_search(f.rc, PREFIX, &q, on_page, &p), 0);
    test_run_until(f.base, &p.done);
    ck_assert_int_eq(p.n, 3);
    ck_assert(p.has_cursor);
    /* The third claim by score: scores are the seeding order's per-shard
     * sequence within each day. */
    const struct claim *sorted[CLAIMS_MAX];
    for (int i = 0; i < n_claims; i++)
        sorted[i] = &claims[i];
    qsort(sorted, (size_t)n_claims, sizeof *sorted, claim_order);
    char want[32];
    snprintf(want, sizeof want, "%lld", sorted[2]->score);
    ck_assert_str_eq(p.cursor, want);
    ck_assert_str_eq(p.ids[2], sorted[2]->id);
    page_through(&f, query(11), any);
    test_queue_close(&f);
}
END_TEST

struct stats_answer {
    int done;
    enum queue_status status;
    struct queue_stats st;
    char oldest[24], dead_claims[8][24];
};

static void on_stats(enum queue_status status, const struct queue_stats *st, void *arg)
{
    struct stats_answer *a = arg;
    a->done++;
    a->status = status;
    if (status != QUEUE_OK)
        return;
    a->st = *st;
    snprintf(a->oldest, sizeof a->oldest, "%s", st->oldest_claim_id ? st->oldest_claim_id : "");
    for (size_t i = 0; i < st->n_dead_entries && i < 8; i++)
        snprintf(a->dead_claims[i], sizeof a->dead_claims[i], "%s", st->dead_entries[i].claim_id);
}

static void on_status(enum queue_status status, void *arg)
{
    struct stats_answer *a = arg;
    a->done++;
    a->status = status;
}

START_TEST(test_queue_figures_are_summed_over_the_shards_and_retry_finds_its_shard)
{
    struct test_queue f;
    test_queue_open(&f, &redis, 16);
    seed(&f);
    int open = 0, overdue_n = 0, review = 0, pended_n = 0;
    const struct claim *oldest = NULL;
    for (int i = 0; i < n_claims; i++) {
        const struct claim *c = &claims[i];
        if (!is_open(c->status))
            continue;
        open++;
        overdue_n += c->target_day < TODAY;
        review += strcmp(c->status, "in_review") == 0;
        if (strcmp(c->status, "pended") == 0) {
            pended_n++;
            test_redis_ok(f.c, "ZADD %spended %d %s", queue_shard_prefix(PREFIX, c->shard).s,
                          c->target_day, c->id);
        }
        if (!oldest || c->target_day < oldest->target_day ||
            (c->target_day == oldest->target_day && strcmp(c->id, oldest->id) < 0))
            oldest = c;
    }
    /* Two dead-lettered claims on two shards, the later one written first;
     * counters on three shards. */
    const struct claim *d1 = &claims[0], *d2 = NULL;
    for (int i = 1; i < n_claims && !d2; i++)
        if (claims[i].shard != d1->shard)
            d2 = &claims[i];
    ck_assert_ptr_nonnull(d2);
    char sp1[SHARD_PREFIX_LEN], sp2[SHARD_PREFIX_LEN];
    snprintf(sp1, sizeof sp1, "%s", queue_shard_prefix(PREFIX, d1->shard).s);
    snprintf(sp2, sizeof sp2, "%s", queue_shard_prefix(PREFIX, d2->shard).s);
    test_redis_ok(f.c, "XADD %sdead 1700000000500-0 reason late claim %s", sp1, d1->id);
    test_redis_ok(f.c, "HSET %sdeadidx %s 1700000000500-0", sp1, d1->id);
    test_redis_ok(f.c, "XADD %sdead 1700000000100-0 reason early claim %s", sp2, d2->id);
    test_redis_ok(f.c, "HSET %sdeadidx %s 1700000000100-0", sp2, d2->id);
    test_redis_ok(f.c, "HSET %sstats finalized 5 within_target 4", queue_shard_prefix(PREFIX, 0).s);
    test_redis_ok(f.c, "HSET %sstats finalized 7 within_target 7", queue_shard_prefix(PREFIX, 9).s);
    test_redis_ok(f.c, "HSET %sstats finalized 1", queue_shard_prefix(PREFIX, 15).s);
    test_redis_ok(f.c, "XADD %swork * claim %s", queue_shard_prefix(PREFIX, 4).s, claims[1].id);
    test_redis_ok(f.c, "XADD %swork * claim %s", queue_shard_prefix(PREFIX, 11).s, claims[2].id);

    struct stats_answer a = {0};
    ck_assert_int_eq(queue_stats_read(f.rc, PREFIX, TODAY, on_stats, &a), 0);
    test_run_until(f.base, &a.done);
    ck_assert_int_eq(a.status, QUEUE_OK);
    ck_assert_int_eq(a.st.length, 2);
    ck_assert_int_eq(a.st.in_flight, 0);
    ck_assert_int_eq(a.st.pended, pended_n);
    ck_assert_int_eq(a.st.in_review, review);
    ck_assert_int_eq(a.st.overdue, overdue_n);
    ck_assert_int_eq(a.st.dead, 2);
    ck_assert_int_eq(a.st.finalized, 13);
    ck_assert_int_eq(a.st.finalized_within_target, 11);
    ck_assert_str_eq(a.oldest, oldest->id);
    ck_assert_uint_eq(a.st.n_dead_entries, 2);
    ck_assert_str_eq(a.dead_claims[0], d2->id);
    ck_assert_str_eq(a.dead_claims[1], d1->id);
    ck_assert_int_gt(open, 0);

    /* The retry goes to the dead claim's own shard. */
    struct stats_answer r = {0}, again = {0};
    ck_assert_int_eq(queue_requeue_dead(f.rc, PREFIX, d1->id, on_status, &r), 0);
    test_run_until(f.base, &r.done);
    ck_assert_int_eq(r.status, QUEUE_OK);
    ck_assert_int_eq(test_redis_int(f.c, "XLEN %sdead", sp1), 0);
    ck_assert_int_eq(test_redis_int(f.c, "XLEN %swork", sp1),
                     1 + (d1->shard == 4) + (d1->shard == 11));
    ck_assert_int_eq(test_redis_int(f.c, "XLEN %sdead", sp2), 1);
    ck_assert_int_eq(queue_requeue_dead(f.rc, PREFIX, d1->id, on_status, &again), 0);
    test_run_until(f.base, &again.done);
    ck_assert_int_eq(again.status, QUEUE_NOT_FOUND);
    test_queue_close(&f);
}
END_TEST

struct claim_answer {
    int done;
    enum queue_status status;
    char member[24];
};

static void on_claim(enum queue_status status, const struct queue_claim *c, void *arg)
{
    struct claim_answer *a = arg;
    a->done++;
    a->status = status;
    if (c)
        snprintf(a->member, sizeof a->member, "%s", queue_claim_field(c, "member_id"));
}

struct audit_answer {
    int done;
    enum queue_status status;
    size_t n;
    char first[128];
};

static void on_audit(enum queue_status status, const char *const *records, size_t n, void *arg)
{
    struct audit_answer *a = arg;
    a->done++;
    a->status = status;
    a->n = n;
    snprintf(a->first, sizeof a->first, "%s", n ? records[0] : "");
}

START_TEST(test_a_claim_is_read_and_audited_on_its_own_shard)
{
    struct test_queue f;
    test_queue_open(&f, &redis, 16);
    seed(&f);
    const struct claim *c = NULL;
    for (int i = 0; i < n_claims && !c; i++)
        if (claims[i].shard != 0)
            c = &claims[i];
    ck_assert_ptr_nonnull(c);
    struct claim_answer got = {0};
    ck_assert_int_eq(queue_get_claim(f.rc, PREFIX, c->id, on_claim, &got), 0);
    test_run_until(f.base, &got.done);
    ck_assert_int_eq(got.status, QUEUE_OK);
    ck_assert_str_eq(got.member, c->member);

    struct stats_answer w1 = {0}, w2 = {0};
    ck_assert_int_eq(
        queue_audit_append(f.rc, PREFIX, c->id, "{\"action\":\"claim.read\"}", on_status, &w1), 0);
    test_run_until(f.base, &w1.done);
    ck_assert_int_eq(w1.status, QUEUE_OK);
    ck_assert_int_eq(
        queue_audit_append(f.rc, PREFIX, NULL, "{\"action\":\"group.put\"}", on_status, &w2), 0);
    test_run_until(f.base, &w2.done);
    ck_assert_int_eq(w2.status, QUEUE_OK);
    ck_assert_int_eq(test_redis_int(f.c, "XLEN %saudit", queue_shard_prefix(PREFIX, c->shard).s),
                     1);
    ck_assert_int_eq(test_redis_int(f.c, "XLEN %saudit", queue_shard_prefix(PREFIX, 0).s), 1);
    ck_assert_int_eq(
        test_redis_int(f.c, "LLEN %scaudit:%s", queue_shard_prefix(PREFIX, c->shard).s, c->id), 1);

    struct audit_answer trail = {0};
    ck_assert_int_eq(queue_get_audit(f.rc, PREFIX, c->id, on_audit, &trail), 0);
    test_run_until(f.base, &trail.done);
    ck_assert_int_eq(trail.status, QUEUE_OK);
    ck_assert_uint_eq(trail.n, 1);
    ck_assert_str_eq(trail.first, "{\"action\":\"claim.read\"}");
    test_queue_close(&f);
}
END_TEST

/* Redis gone: a read over every shard answers once, unavailable (no
 * partial page, no answer per shard), or is not sent at all. */
START_TEST(test_reads_over_the_shards_answer_once_when_redis_is_gone)
{
    struct test_queue f;
    test_queue_open(&f, &redis, 16);
    seed(&f);
    test_redis_stop(&redis);
    struct page p = {0};
    struct queue_search_query q = query(5);
    if (queue_search(f.rc, PREFIX, &q, on_page, &p) == 0) {
        for (int spin = 0; spin < 200; spin++)
            event_base_loop(f.base, EVLOOP_NONBLOCK);
        ck_assert_int_eq(p.done, 1);
        ck_assert_int_eq(p.status, QUEUE_UNAVAILABLE);
        ck_assert_int_eq(p.n, 0);
    }
    struct stats_answer a = {0};
    if (queue_stats_read(f.rc, PREFIX, TODAY, on_stats, &a) == 0) {
        for (int spin = 0; spin < 200; spin++)
            event_base_loop(f.base, EVLOOP_NONBLOCK);
        ck_assert_int_eq(a.done, 1);
        ck_assert_int_eq(a.status, QUEUE_UNAVAILABLE);
    }
    test_redis_restart(&redis);
    test_queue_close(&f);
}
END_TEST

int main(void)
{
    queue_init();
    Suite *s = suite_create("shard_reads");
    TCase *pure = tcase_create("merge");
    tcase_add_test(pure, test_figures_of_three_shards_merge_into_one);
    tcase_add_test(pure, test_figures_list_at_most_fifty_dead_entries_oldest_first);
    suite_add_tcase(s, pure);
    TCase *tc = tcase_create("redis");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_search_pages_over_sixteen_shards_find_every_claim_once_in_order);
    tcase_add_test(tc, test_a_family_search_reads_the_family_shard_and_the_members_own_index);
    tcase_add_test(tc, test_with_one_shard_the_cursor_is_the_last_score);
    tcase_add_test(tc, test_queue_figures_are_summed_over_the_shards_and_retry_finds_its_shard);
    tcase_add_test(tc, test_a_claim_is_read_and_audited_on_its_own_shard);
    tcase_add_test(tc, test_reads_over_the_shards_answer_once_when_redis_is_gone);
    suite_add_tcase(s, tc);
    test_redis_start(&redis);
    int failed = test_run_suite(s, CK_NOFORK);
    test_redis_stop(&redis);
    return failed ? 1 : 0;
}
