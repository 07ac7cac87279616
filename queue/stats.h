/*
 * The queue's figures (RULES.md § 9, API.md "GET /v1/queue", /metrics), the
 * requeue of a dead-lettered claim, and the readiness ping. Key formats and
 * the scripts' argument layouts stay in queue/.
 *
 * Each call sends one request on the event loop and returns 0, after which
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

/* status QUEUE_OK with the figures, or QUEUE_UNAVAILABLE with stats NULL. */
typedef void (*queue_stats_cb)(enum queue_status status, const struct queue_stats *stats,
                               void *arg);

/* The queue's figures in one script call; today (a day number) decides what
 * is overdue. */
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
