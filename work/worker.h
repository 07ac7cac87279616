/*
 * The worker pool (DESIGN.md "Parts"): threads that take claims from the work
 * stream's consumer group in batches, load a batch's facts in one pipelined
 * round trip (and its duplicate fingerprints in a second), run the rules, and
 * commit each claim with one atomic script, a batch's scripts pipelined.
 * Redis is reached only through queue/work.h.
 *
 * Delivery is at least once: an entry is acknowledged only by the commit.
 * A worker that dies holding a claim leaves it pending; after
 * claim_idle_timeout_ms another worker takes it over (XAUTOCLAIM). An entry
 * delivered max_deliveries times goes to the dead-letter stream. Two claims
 * of one family never both spend the same accumulator room: the facts carry
 * the family's version, and a commit on stale facts is refused and decided
 * again.
 */
#ifndef CLAIMS_WORKER_H
#define CLAIMS_WORKER_H

#include <stdint.h>

#include "queue/redis_conn.h" /* struct redis_address */

struct worker_pool;

struct worker_settings {
    struct redis_address redis;
    char key_prefix[64];
    int threads;
    int redis_timeout_ms;
    int claim_idle_timeout_ms;
    int max_deliveries;
    /* How long an idle worker waits in one read of the work stream (a
     * claim arriving meanwhile ends the wait at once). */
    int idle_read_ms;
};

/* Starts the threads; returns NULL after logging on failure. */
struct worker_pool *worker_pool_start(const struct worker_settings *settings);
/* Asks every worker to stop after the claim it holds, waits, frees the pool. */
void worker_pool_stop(struct worker_pool *pool);

/* Process-wide counters for /metrics (all workers of this process). */
#define WORKER_OUTCOMES 4 /* approved, denied, pended, in_review: enum adj_outcome's order */
struct worker_stats {
    uint64_t committed[WORKER_OUTCOMES]; /* by outcome (enum adj_outcome) */
    uint64_t stale_retries;
    uint64_t dead_lettered;
    uint64_t failures;    /* claims left for redelivery after an error */
    uint64_t facts_bytes; /* bytes of Redis replies (RESP) read while loading facts */
    /* adjudication latency (load + decide + commit), cumulative buckets */
    uint64_t latency_buckets[8];
    uint64_t latency_count;
    double latency_sum_seconds;
};
extern const double worker_latency_bounds[8]; /* seconds; the last is +Inf */
/* Copies the process-wide worker counters into out. */
void worker_stats_read(struct worker_stats *out);

#endif
