/*
 * Webhook subscriptions and deliveries in Redis (docs/webhooks.md,
 * docs/operations.md "Redis keys"). Every state change of a delivery is one
 * of these scripts, so a claimsd killed at any point leaves each delivery
 * either due (it will be attempted, again if need be) or finished: delivery
 * is at least once, and receivers dedupe by event id.
 *
 * A delivery's id is "<event id>.<subscription id>": one per event and
 * subscription, whichever process fans the event out.
 *
 * Shards (docs/operations.md "Redis Cluster"): each claim's events are on its
 * shard's events stream; subscriptions and deliveries are on shard 0, so
 * every call but the fan-out touches one shard.
 */
#ifndef CLAIMS_QUEUE_WEBHOOKS_H
#define CLAIMS_QUEUE_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "queue/status.h"

struct rconn;

/* How long a finished delivery's record is kept (seconds), and how many
 * attempts and dead deliveries a subscription's log keeps. */
#define WEBHOOK_DELIVERED_TTL (7 * 24 * 3600)
#define WEBHOOK_DEAD_TTL (30 * 24 * 3600)
#define WEBHOOK_LOG_MAX 100
#define WEBHOOK_DEAD_MAX 1000

/* ---- subscriptions (the admin API) ----
 *
 * Each call sends one request on the event loop and returns 0, after which
 * its callback is called exactly once, or -1 when nothing was sent (Redis not
 * connected, out of memory): then the callback is not called. Every string
 * passed in is copied before the call returns; what a callback receives is
 * borrowed and valid during the call only. */

/* A subscription as stored ("" for a field it lacks). The secret itself is
 * never read back here. */
struct queue_webhook {
    const char *url;
    const char *events; /* comma-separated */
    const char *created_at, *updated_at;
    bool secret_set;
};

/* Answer of queue_webhook_put: QUEUE_OK with whether it replaced one and its
 * (kept) created_at, or QUEUE_UNAVAILABLE (created_at NULL). */
typedef void (*queue_webhook_put_cb)(enum queue_status status, bool existed, const char *created_at,
                                     void *arg);

/* Creates or replaces subscription id, keeping its created_at; now (RFC
 * 3339) becomes its updated_at (and created_at when new). */
int queue_webhook_put(struct rconn *rc, const char *prefix, const char *id, const char *url,
                      const char *events, const char *secret, const char *now,
                      queue_webhook_put_cb cb, void *arg);

/* QUEUE_OK with the subscription, QUEUE_NOT_FOUND or QUEUE_UNAVAILABLE (sub
 * NULL then). */
typedef void (*queue_webhook_cb)(enum queue_status status, const struct queue_webhook *sub,
                                 void *arg);
/* Reads subscription id; returns 0 when sent (cb is called once, sub
 * borrowed for the call) or -1 when not (cb is not called). */
int queue_webhook_get(struct rconn *rc, const char *prefix, const char *id, queue_webhook_cb cb,
                      void *arg);

/* Deletes the subscription with its log, dead list and undelivered
 * deliveries: QUEUE_OK, QUEUE_NOT_FOUND or QUEUE_UNAVAILABLE. */
int queue_webhook_delete(struct rconn *rc, const char *prefix, const char *id, queue_status_cb cb,
                         void *arg);

/* A delivery as the log lists it: strings, "" for what it lacks; next_at
 * and attempts as stored (milliseconds, decimal). */
struct queue_delivery_row {
    const char *delivery_id, *event_id, *event, *claim_id, *attempts, *next_at, *last_status,
        *last_error, *last_attempt_at;
};

/* Answer of queue_webhook_log: QUEUE_OK with the latest attempts (their JSON
 * log entries, newest first), the undelivered deliveries (by next attempt)
 * and the dead ones (newest first), at most limit of each; QUEUE_NOT_FOUND
 * when there is no such subscription; QUEUE_UNAVAILABLE. */
typedef void (*queue_webhook_log_cb)(enum queue_status status, const char *const *attempts,
                                     size_t n_attempts, const struct queue_delivery_row *pending,
                                     size_t n_pending, const struct queue_delivery_row *dead,
                                     size_t n_dead, void *arg);
/* Reads subscription id's log, undelivered and dead deliveries, at most
 * limit of each; returns 0 when sent (cb is called once, everything borrowed
 * for the call) or -1 when not (cb is not called). */
int queue_webhook_log(struct rconn *rc, const char *prefix, const char *id, int limit,
                      queue_webhook_log_cb cb, void *arg);

/* ---- the dispatcher (notify/notify.c) ---- */

/* Answer of queue_webhook_fanout: QUEUE_OK with how many events were read
 * and deliveries made; QUEUE_NOT_FOUND when some shard's events stream has
 * no consumer group yet (queue_events_group_create makes it; the other
 * shards' events were fanned out); QUEUE_UNAVAILABLE with Redis's error
 * text, or NULL when it did not answer. */
typedef void (*queue_fanout_cb)(enum queue_status status, long long events_read,
                                long long deliveries_made, const char *error, void *arg);

/* How long an event read but not acknowledged (its fan-out stopped between
 * the steps below) stays with its reader before another fan-out takes it
 * over (ms). */
#define WEBHOOK_FANOUT_RECLAIM_MS 30000

/* Reads at most max_events events of each shard's events stream through its
 * consumer group (as consumer), those a stopped fan-out left pending for
 * WEBHOOK_FANOUT_RECLAIM_MS first, and makes one due delivery (due at
 * now_ms) per event and subscription that wants it, unless it exists; then
 * acknowledges the events. At least once: a stop between the steps leaves
 * the events pending, and they are fanned out again, making only the
 * deliveries still missing. */
int queue_webhook_fanout(struct rconn *rc, const char *prefix, const char *consumer, int max_events,
                         int64_t now_ms, queue_fanout_cb cb, void *arg);

/* Creates every shard's events stream consumer group from the stream's
 * start (so events committed before any dispatcher ran are notified too),
 * logging it: QUEUE_OK when each was made or already existed,
 * QUEUE_UNAVAILABLE (logged when Redis refused) otherwise. */
int queue_events_group_create(struct rconn *rc, const char *prefix, queue_status_cb cb, void *arg);

/* The event id deliveries carry (docs/webhooks.md "What the receiver gets")
 * for the entry stream_id ("<ms>-<seq>") of shard's events stream:
 * "<ms>-<seq × n_shards + shard>", unique across shards, growing with time
 * within a shard (so within a claim); with one shard the entry's id itself.
 * Returns 0, or -1 when stream_id is no entry id or buf is too small. */
int queue_event_id(const char *stream_id, int shard, int n_shards, char *buf, size_t size);

/* A delivery leased for an attempt. */
struct queue_delivery_lease {
    const char *delivery_id, *webhook_id, *event_id, *event, *claim_id, *status;
    int attempts; /* attempts made before this one */
    const char *url, *secret;
};

/* Answer of queue_webhook_lease: QUEUE_OK with the leased deliveries (rows
 * Redis answered malformed are left out: they stay leased and come due again
 * when the lease ends); QUEUE_UNAVAILABLE with Redis's error text or NULL. */
typedef void (*queue_lease_cb)(enum queue_status status, const struct queue_delivery_lease *rows,
                               size_t n, const char *error, void *arg);

/* Leases at most max deliveries due at now_ms until lease_until_ms, so that
 * no other process attempts them meanwhile; one whose subscription is gone
 * is dropped. */
int queue_webhook_lease(struct rconn *rc, const char *prefix, int64_t now_ms,
                        int64_t lease_until_ms, int max, queue_lease_cb cb, void *arg);

/* The outcome of one attempt. */
struct queue_delivery_outcome {
    const char *delivery_id, *webhook_id;
    int attempts_before;     /* as leased: the outcome is stale if another attempt counted */
    const char *outcome;     /* "delivered", "retry" or "dead" */
    int64_t next_attempt_ms; /* "retry": when it is due again; else 0 */
    const char *log_entry;   /* JSON of the attempt for the subscription's log */
    const char *status_code; /* the receiver's HTTP status, "" when none */
    const char *error;       /* why it failed without an answer, "" */
    const char *now;         /* RFC 3339 */
};

/* Answer of queue_webhook_record: QUEUE_OK with "ok", "stale" (another
 * attempt counted meanwhile: nothing stored) or "gone" (the subscription
 * was deleted); QUEUE_UNAVAILABLE (result NULL): not stored, the delivery
 * is attempted again when its lease ends. */
typedef void (*queue_record_outcome_cb)(enum queue_status status, const char *result, void *arg);
/* Stores the outcome o of one delivery attempt in one script; returns 0 when
 * sent (cb is called once) or -1 when not (cb is not called). */
int queue_webhook_record(struct rconn *rc, const char *prefix,
                         const struct queue_delivery_outcome *o, queue_record_outcome_cb cb,
                         void *arg);

/* Computes the scripts' SHA-1s; call once at start, after queue_scripts_init. */
void queue_webhook_scripts_init(void);

#endif
