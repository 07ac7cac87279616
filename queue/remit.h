/*
 * Remittance storage (docs/x12.md "Remittance (835)", docs/operations.md
 * "Redis keys"): which claims a payment cycle takes.
 *
 * The worker's commit script adds each finalized claim to a due set of the
 * claim's shard by its payee: remit:due (provider-payee) or memberpay:due
 * (member-payee), scored by finalize time, with its payment
 * ("P|<npi>|<cents>" or "M|<member id>|<cents>") in remit:info. A cycle
 * (queue_remit_close) moves each shard's due claims, in one script per
 * shard, into the cycle, whose record is on shard 0: a claim is in exactly
 * one cycle, also when a close stops between shards (the next close
 * finishes it; queue/remit.c). The cycle's 835s are rebuilt from the stored
 * decisions, which never change once final.
 *
 * Every function sends one request on the event loop and returns 0 (its
 * callback is called exactly once) or -1 (nothing sent, no callback). What a
 * callback receives is borrowed and valid only during the call.
 */
#ifndef CLAIMS_QUEUE_REMIT_H
#define CLAIMS_QUEUE_REMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "queue/redis_conn.h"
#include "queue/status.h"

/*
 * A cycle's summary, JSON text:
 *   {"cycle_id": "20261202-3", "seq": 3, "date": "2026-12-02",
 *    "created_at": "2026-12-02T18:00:00Z", "claims": N, "total": cents,
 *    "member_claims": N, "member_total": cents,
 *    "payees": [{"npi": "…", "claims": N, "total": cents}, …]}
 * and its claims, JSON text:
 *   {"payees": [{"npi": "…", "claims": ["claim id", …]}, …],
 *    "members": [{"claim_id", "member_id", "amount": cents}, …]}
 * Amounts are integer cents. An empty list may come as {} (Lua's JSON).
 */

/* The close: QUEUE_OK with the new cycle's summary, or with NULL when a
 * scheduled close found the day's cycle already run (by any process) or
 * nothing due; QUEUE_UNAVAILABLE otherwise. */
typedef void (*queue_remit_close_cb)(enum queue_status status, const char *summary, void *arg);

/* Closes a payment cycle dated `date` (YYYY-MM-DD) at created_at (RFC 3339):
 * every due claim of every shard moves into it, after every cycle a stopped
 * close left open has been finished. scheduled: the daily cycle, which runs
 * at most once per date across every process (the marker remit:auto:<date>,
 * set in the step that begins it) and creates no cycle when nothing is due
 * (it still finishes open cycles); a manual close always creates one,
 * possibly empty. QUEUE_UNAVAILABLE when a step failed: what was begun is
 * finished by the next close. */
int queue_remit_close(struct rconn *rc, const char *prefix, const char *date,
                      const char *created_at, bool scheduled, queue_remit_close_cb cb, void *arg);

/* Texts: QUEUE_OK with n texts (an entry NULL where absent), or
 * QUEUE_UNAVAILABLE (texts NULL). */
typedef void (*queue_remit_texts_cb)(enum queue_status status, const char *const *texts, size_t n,
                                     void *arg);

/* Every cycle's summary, in no particular order. */
int queue_remit_cycles(struct rconn *rc, const char *prefix, queue_remit_texts_cb cb, void *arg);

/* The claims of these cycles, in the same order (at most 1000 ids). */
int queue_remit_cycle_claims(struct rconn *rc, const char *prefix, const char *const *cycle_ids,
                             size_t n, queue_remit_texts_cb cb, void *arg);

#endif
