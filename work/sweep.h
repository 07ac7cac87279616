/*
 * The work side of a claimsd process: the worker pool (work/worker.h) and
 * the pend sweep, a timer on the event loop that sends pended claims whose
 * information deadline has passed back to the workers (RULES.md § 4, § 6).
 */
#ifndef CLAIMS_SWEEP_H
#define CLAIMS_SWEEP_H

#include <stdbool.h>

#include "config.h"
#include "queue/redis_conn.h"

struct event_base;
struct worker_side;

/* Starts cfg->workers worker threads on the store at addr and the pend
 * sweep every cfg->pend_sweep_seconds on base through redis (skipped while
 * *stopping); returns NULL after logging on failure. */
struct worker_side *worker_side_start(struct event_base *base, struct rconn *redis,
                                      const struct redis_address *addr, const struct config *cfg,
                                      const bool *stopping);
/* Stops the workers after the claim each holds, then the sweep; NULL is a no-op. */
void worker_side_stop(struct worker_side *side);

#endif
