/*
 * The queue's figures (RULES.md § 9, API.md "GET /v1/queue", /metrics), the
 * requeue of a dead-lettered claim, and the readiness ping. Key formats and
 * the scripts' argument layouts stay in queue/.
 *
 * Each call sends its requests on the event loop and returns 0, after which
 * its callback is called exactly once, or -1 when nothing was sent (Redis not
 * connected, out of memory): then the callback is not called. What a callback
 * receives is borrowed and valid during the call only.
 */
#ifndef CLAIMS_QUEUE_STATS_H
#define CLAIMS_QUEUE_STATS_H

#include <stddef.h>

#include "queue/status.h"

struct rconn;

/* One entry of the dead-letter stream; NULL for a field the entry lacks. */
struct queue_dead_entry {
    const char *entry_id; /* the dead-letter stream entry's id ("<ms>-<seq>") */
    const char *claim_id;
    const char *reason;     /* why the claim was dead-lettered */
    const char *at;         /* when (RFC 3339) */
    const char *deliveries; /* how many times it was delivered (decimal) */
};

#define QUEUE_STATS_DEAD_MAX 50 /* dead entries listed, oldest first */

struct queue_stats {
    long long length;    /* entries in the work stream */
    long long in_flight; /* of them, held by a worker */
    long long pended, dead, overdue;
    long long in_review; /* claims waiting for staff review (docs/rules.md "Staff review") */
    long long finalized, finalized_within_target; /* counters of all processes */
    const char *oldest_claim_id; /* the open claim with the earliest target, NULL if none */
    const char *oldest_received; /* its received date (YYYY-MM-DD), NULL if unknown */
    const struct queue_dead_entry *dead_entries;
    size_t n_dead_entries;
};

/* One claims shard's figures (issue 12): its oldest open claim's target
 * day orders the shards' oldest claims. */
struct queue_stats_shard {
    struct queue_stats stats;
    long long oldest_target; /* the SLA score (target day) of stats.oldest_claim_id */
};

/* The figures of n shards as one (pure; the queue_stats_read merge): counts
 * summed; the oldest open claim the one of the earliest target day (equal
 * days: the smaller claim id, as one sorted set orders them); the dead
 * entries of every shard in entry id order (equal ids in shard order), the
 * first QUEUE_STATS_DEAD_MAX of them, written to dead. out's strings point
 * into parts. */
void queue_stats_merge(const struct queue_stats_shard *parts, int n, struct queue_stats *out,
                       struct queue_dead_entry dead[QUEUE_STATS_DEAD_MAX]);

/* status QUEUE_OK with the figures, or QUEUE_UNAVAILABLE with stats NULL. */
typedef void (*queue_stats_cb)(enum queue_status status, const struct queue_stats *stats,
                               void *arg);

/* The queue's figures: one script call per claims shard, sent together
 * and merged (queue_stats_merge); today (a day number) decides what is
 * overdue. */
int queue_stats_read(struct rconn *rc, const char *prefix, int today, queue_stats_cb cb, void *arg);

/* Puts a dead-lettered claim back on the work stream (and off the
 * dead-letter stream): QUEUE_OK, QUEUE_NOT_FOUND when the claim is not
 * dead-lettered, or QUEUE_UNAVAILABLE. */
int queue_requeue_dead(struct rconn *rc, const char *prefix, const char *claim_id,
                       queue_status_cb cb, void *arg);

/* Whether Redis answers a PING on this connection: QUEUE_OK or
 * QUEUE_UNAVAILABLE. */
int queue_ping(struct rconn *rc, queue_status_cb cb, void *arg);

#endif
