#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/keys.h"
#include "queue/reply.h"
#include "queue/scripts.h"
#include "queue/shard_fanout.h"
#include "queue/shard_merge.h"
#include "queue/shards.h"

/*
 * The queue's figures of one shard (GET /v1/queue, /metrics): the shards'
 * answers are summed by queue_stats_merge.
 * KEYS: 1 work stream, 2 pended set, 3 dead stream, 4 SLA set, 5 counters,
 *       6 the in_review status index (all of one shard)
 * ARGV: 1 today's day number, 2 the shard's claim key prefix, 3 the group
 * Returns {stream length, in flight, pended, dead, overdue, oldest open
 * claim id or "", its received date or "", finalized, within target,
 * up to 50 dead entries as {id, fields}, claims in review, the oldest open
 * claim's target day (its SLA score) or ""}
 */
static struct script script_queue_stats_shard = {
    "queue_stats_shard",
    "local len = redis.call('XLEN', KEYS[1])\n"
    "local inflight = 0\n"
    "local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[3])\n"
    "if ok then inflight = p[1] end\n"
    "local oldest, received, target = '', '', ''\n"
    "local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')\n"
    "if first[1] then\n"
    "  oldest, target = first[1], first[2]\n"
    "  received = redis.call('HGET', ARGV[2] .. oldest, 'received') or ''\n"
    "end\n"
    "local s = redis.call('HMGET', KEYS[5], 'finalized', 'within_target')\n"
    "return {len, inflight, redis.call('ZCARD', KEYS[2]), redis.call('XLEN', KEYS[3]),\n"
    "        redis.call('ZCOUNT', KEYS[4], '-inf', '(' .. ARGV[1]), oldest, received,\n"
    "        tonumber(s[1] or '0'), tonumber(s[2] or '0'),\n"
    "        redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 50), redis.call('ZCARD', KEYS[6]),\n"
    "        target}\n",
    "",
};

/* A stream entry's field, NULL when absent. e: {id, {field, value, ...}}. */
static const char *entry_field(const redisReply *e, const char *name)
{
    return queue_reply_field(e->element[1], name);
}

static const char *nonempty(const redisReply *r)
{
    return r->type == REDIS_REPLY_STRING && r->str[0] ? r->str : NULL;
}

/* One shard's answer into *part, its dead entries into dead (at most
 * QUEUE_STATS_DEAD_MAX). False when the reply is not the script's answer. */
static bool stats_part(const redisReply *reply, struct queue_stats_shard *part,
                       struct queue_dead_entry *dead)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 12) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("queue figures read failed: %s", reply->str);
        return false;
    }
    memset(part, 0, sizeof *part);
    struct queue_stats *st = &part->stats;
    long long *ints[] = {&st->length, &st->in_flight, &st->pended, &st->dead, &st->overdue};
    for (int i = 0; i < 5; i++)
        *ints[i] = reply->element[i]->integer;
    st->oldest_claim_id = nonempty(reply->element[5]);
    st->oldest_received = nonempty(reply->element[6]);
    st->finalized = reply->element[7]->integer;
    st->finalized_within_target = reply->element[8]->integer;
    st->in_review = reply->element[10]->integer;
    const char *target = nonempty(reply->element[11]);
    part->oldest_target = target ? strtoll(target, NULL, 10) : 0;
    const redisReply *entries = reply->element[9];
    for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements &&
                       st->n_dead_entries < QUEUE_STATS_DEAD_MAX;
         i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
            e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        dead[st->n_dead_entries++] = (struct queue_dead_entry){
            .entry_id = e->element[0]->str,
            .claim_id = entry_field(e, "claim"),
            .reason = entry_field(e, "reason"),
            .at = entry_field(e, "at"),
            .deliveries = entry_field(e, "deliveries"),
        };
    }
    st->dead_entries = dead;
    return true;
}

/* Whether a's oldest open claim comes before b's: the earlier target, then
 * the smaller claim id (the order of one sorted set). */
static bool oldest_before(const struct queue_stats_shard *a, const struct queue_stats_shard *b)
{
    if (a->oldest_target != b->oldest_target)
        return a->oldest_target < b->oldest_target;
    return strcmp(a->stats.oldest_claim_id, b->stats.oldest_claim_id) < 0;
}

void queue_stats_merge(const struct queue_stats_shard *parts, int n, struct queue_stats *out,
                       struct queue_dead_entry dead[QUEUE_STATS_DEAD_MAX])
{
    memset(out, 0, sizeof *out);
    const struct queue_stats_shard *oldest = NULL;
    size_t pos[SHARDS_MAX] = {0};
    for (int s = 0; s < n && s < SHARDS_MAX; s++) {
        const struct queue_stats *st = &parts[s].stats;
        out->length += st->length;
        out->in_flight += st->in_flight;
        out->pended += st->pended;
        out->dead += st->dead;
        out->overdue += st->overdue;
        out->in_review += st->in_review;
        out->finalized += st->finalized;
        out->finalized_within_target += st->finalized_within_target;
        if (st->oldest_claim_id && (!oldest || oldest_before(&parts[s], oldest)))
            oldest = &parts[s];
    }
    if (oldest) {
        out->oldest_claim_id = oldest->stats.oldest_claim_id;
        out->oldest_received = oldest->stats.oldest_received;
    }
    /* The dead entries by entry id (a k-way merge: each shard's are in
     * order); equal ids (two shards, one millisecond) in shard order. */
    while (out->n_dead_entries < QUEUE_STATS_DEAD_MAX) {
        int best = -1;
        for (int s = 0; s < n && s < SHARDS_MAX; s++) {
            if (pos[s] >= parts[s].stats.n_dead_entries)
                continue;
            const struct queue_dead_entry *e = &parts[s].stats.dead_entries[pos[s]];
            if (best < 0 ||
                queue_stream_id_compare(e->entry_id,
                                        parts[best].stats.dead_entries[pos[best]].entry_id) < 0)
                best = s;
        }
        if (best < 0)
            break;
        dead[out->n_dead_entries++] = parts[best].stats.dead_entries[pos[best]++];
    }
    out->dead_entries = dead;
}

struct stats_wait {
    queue_stats_cb cb;
    void *arg;
};

/* shard_fanout_done_fn: every shard's figures, merged, to the caller. */
static void on_stats(redisReply *const *replies, int n, void *arg)
{
    struct stats_wait w = *(struct stats_wait *)arg;
    free(arg);
    struct queue_stats_shard *parts = calloc((size_t)n, sizeof *parts);
    struct queue_dead_entry *dead = calloc((size_t)n * QUEUE_STATS_DEAD_MAX, sizeof *dead);
    bool ok = parts && dead;
    for (int s = 0; ok && s < n; s++)
        ok = stats_part(replies[s], &parts[s], dead + (size_t)s * QUEUE_STATS_DEAD_MAX);
    if (ok) {
        struct queue_stats st;
        struct queue_dead_entry merged[QUEUE_STATS_DEAD_MAX];
        queue_stats_merge(parts, n, &st, merged);
        w.cb(QUEUE_OK, &st, w.arg);
    } else {
        w.cb(QUEUE_UNAVAILABLE, NULL, w.arg);
    }
    free(parts);
    free(dead);
}

/* What every shard's figures request is built from. */
struct stats_query {
    struct rconn *rc;
    const char *prefix;
    const char *day;
};

/* shard_fanout_send_fn: shard s's figures script as request s of f. */
static int stats_send(struct shard_fanout *f, int s, void *ctx)
{
    const struct stats_query *sq = ctx;
    char sp[SHARD_PREFIX_LEN], k_stream[KEY_LEN], k_pended[KEY_LEN], k_dead[KEY_LEN],
        k_sla[KEY_LEN], k_stats[KEY_LEN], k_review[KEY_LEN], claim_prefix[KEY_LEN];
    snprintf(sp, sizeof sp, "%s", SHARD_PREFIX(sq->prefix, s));
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, sp);
    snprintf(k_pended, sizeof k_pended, KEYF_PENDED, sp);
    snprintf(k_dead, sizeof k_dead, KEYF_DEAD, sp);
    snprintf(k_sla, sizeof k_sla, KEYF_SLA, sp);
    snprintf(k_stats, sizeof k_stats, KEYF_STATS, sp);
    snprintf(k_review, sizeof k_review, KEYF_IDX_STATUS, sp, "in_review");
    snprintf(claim_prefix, sizeof claim_prefix, KEYF_CLAIM, sp, "");
    const char *keys[] = {k_stream, k_pended, k_dead, k_sla, k_stats, k_review};
    const char *args[] = {sq->day, claim_prefix, WORK_GROUP};
    return queue_script_eval_async(sq->rc, queue_script_ready(&script_queue_stats_shard),
                                   queue_shard_fanout_reply, queue_shard_fanout_arg(f, s), 6, keys,
                                   3, args, NULL);
}

int queue_stats_read(struct rconn *rc, const char *prefix, int today, queue_stats_cb cb, void *arg)
{
    struct stats_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char day[16];
    snprintf(day, sizeof day, "%d", today);
    struct stats_query sq = {rc, prefix, day};
    if (queue_shard_fanout_each(queue_shard_count(), stats_send, &sq, on_stats, w) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* script_retry_dead answers the new work entry's id, or "" when the claim
 * is not dead-lettered. */
static enum queue_status retry_status(const redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_STRING)
        return QUEUE_UNAVAILABLE;
    return reply->str[0] ? QUEUE_OK : QUEUE_NOT_FOUND;
}

int queue_requeue_dead(struct rconn *rc, const char *prefix, const char *claim_id,
                       queue_status_cb cb, void *arg)
{
    struct queue_status_wait *w = queue_status_wait_new(retry_status, cb, arg);
    if (!w)
        return -1;
    /* The claim's dead-letter entry is on the claim's shard. */
    char sp[SHARD_PREFIX_LEN], k_dead[KEY_LEN], k_idx[KEY_LEN], k_stream[KEY_LEN];
    snprintf(sp, sizeof sp, "%s", CLAIM_PREFIX(prefix, claim_id));
    snprintf(k_dead, sizeof k_dead, KEYF_DEAD, sp);
    snprintf(k_idx, sizeof k_idx, KEYF_DEADIDX, sp);
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, sp);
    const char *keys[] = {k_dead, k_idx, k_stream};
    const char *args[] = {claim_id};
    if (queue_script_eval_async(rc, &script_retry_dead, queue_on_status_reply, w, 3, keys, 1, args,
                                NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

static enum queue_status ping_status(const redisReply *reply)
{
    bool pong = reply && reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0;
    return pong ? QUEUE_OK : QUEUE_UNAVAILABLE;
}

int queue_ping(struct rconn *rc, queue_status_cb cb, void *arg)
{
    struct queue_status_wait *w = queue_status_wait_new(ping_status, cb, arg);
    if (!w)
        return -1;
    if (queue_rconn_command(rc, queue_on_status_reply, w, "PING") != 0) {
        free(w);
        return -1;
    }
    return 0;
}
