/*
 * Webhook subscriptions and deliveries in Redis (docs/webhooks.md,
 * docs/operations.md "Redis keys"). Every state change of a delivery is one
 * of these scripts, so a claimsd killed at any point leaves each delivery
 * either due (it will be attempted, again if need be) or finished: delivery
 * is at least once, and receivers dedupe by event id.
 *
 * A delivery's id is "<event id>.<subscription id>": one per event and
 * subscription, whichever process fans the event out.
 */
#ifndef CLAIMS_QUEUE_WEBHOOKS_H
#define CLAIMS_QUEUE_WEBHOOKS_H

#include "queue/scripts.h"

/* How long a finished delivery's record is kept (seconds), and how many
 * attempts and dead deliveries a subscription's log keeps. */
#define WEBHOOK_DELIVERED_TTL (7 * 24 * 3600)
#define WEBHOOK_DEAD_TTL (30 * 24 * 3600)
#define WEBHOOK_LOG_MAX 100
#define WEBHOOK_DEAD_MAX 1000

/* Create or replace a subscription, keeping its created_at.
 * KEYS: 1 subscription hash, 2 subscription set
 * ARGV: 1 id, 2 url, 3 events (comma-separated), 4 secret, 5 now (RFC 3339)
 * Returns {existed 0/1, created_at}. */
extern struct script script_wh_put;
/* Delete a subscription with its log, dead list and undelivered deliveries.
 * KEYS: 1 subscription hash, 2 subscription set, 3 its pending set, 4 its
 *       log, 5 its dead list, 6 due set
 * ARGV: 1 id, 2 delivery key prefix
 * Returns 1, or 0 when there was no such subscription. */
extern struct script script_wh_delete;
/* Read new events through the consumer group and make one delivery per
 * event and matching subscription; the events are acknowledged in the same
 * step. KEYS: 1 events stream, 2 subscription set, 3 due set
 * ARGV: 1 group, 2 consumer, 3 at most this many events, 4 subscription key
 *       prefix, 5 delivery key prefix, 6 pending key prefix, 7 now (ms)
 * Returns {events read, deliveries made}; a NOGROUP error when the group
 * does not exist yet. */
extern struct script script_wh_fanout;
/* Take due deliveries for an attempt: each is leased (its due score moved to
 * the lease's end) so that no other process attempts it meanwhile; one whose
 * subscription is gone is dropped.
 * KEYS: 1 due set
 * ARGV: 1 now (ms), 2 lease end (ms), 3 at most this many, 4 subscription
 *       key prefix, 5 delivery key prefix, 6 pending key prefix
 * Returns per delivery {id, webhook_id, event_id, event, claim_id, status,
 * attempts so far, url, secret}. */
extern struct script script_wh_claim;
/* Record an attempt's outcome: "delivered", "retry" (due again at next) or
 * "dead". Ignored ("stale") unless the delivery is still pending with the
 * attempt count the attempt started from.
 * KEYS: 1 delivery hash, 2 due set, 3 pending set, 4 log, 5 dead list,
 *       6 subscription hash
 * ARGV: 1 delivery id, 2 attempts before, 3 outcome, 4 next attempt (ms),
 *       5 log entry JSON, 6 status code or "", 7 error or "", 8 now (RFC 3339)
 * Returns "ok", "stale" or "gone" (the subscription was deleted). */
extern struct script script_wh_record;
/* A subscription's delivery log.
 * KEYS: 1 subscription hash, 2 log, 3 pending set, 4 dead list
 * ARGV: 1 delivery key prefix, 2 at most this many of each
 * Returns 0 when there is no such subscription, else {1, {log JSON...},
 * {pending rows}, {dead rows}}, a row being {id, event_id, event, claim_id,
 * attempts, next_at, last_status, last_error, last_attempt_at}. */
extern struct script script_wh_log;

/* Computes the scripts' SHA-1s; call once at start, after scripts_init. */
void webhook_scripts_init(void);

#endif
