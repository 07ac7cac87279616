/*
 * The work side of a claimsd process: starts and stops the worker pool and
 * the pend sweep timer (work/sweep.h).
 */
#include "work/sweep.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

#include "date.h"
#include "log.h"
#include "queue/work.h"
#include "work/worker.h"

struct worker_side {
    struct worker_pool *workers;
    struct event *sweep_timer;
    struct rconn *redis;
    const char *key_prefix; /* the configuration's, which outlives the work side */
    const bool *stopping;
};

/* How many pended claims the sweep requeued (a count, no claim ids). */
static void on_sweep_done(long long requeued, void *arg)
{
    (void)arg;
    if (requeued > 0)
        log_info("%lld pended claims passed their deadline and were requeued", requeued);
}

/* Pended claims whose information deadline has passed go back to the
 * workers, who deny them (RULES.md § 4, § 6). */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct worker_side *side = arg;
    if (*side->stopping)
        return;
    queue_expire_pended(side->redis, side->key_prefix, (int)date_today().days, 1000, on_sweep_done,
                        NULL);
}

struct worker_side *worker_side_start(struct event_base *base, struct rconn *redis,
                                      const struct redis_address *addr, const struct config *cfg,
                                      const bool *stopping)
{
    struct worker_side *side = calloc(1, sizeof *side);
    if (!side) {
        log_error("out of memory starting the workers");
        return NULL;
    }
    side->redis = redis;
    side->key_prefix = cfg->key_prefix;
    side->stopping = stopping;
    struct worker_settings ws = {
        .redis = *addr,
        .threads = cfg->workers,
        .redis_timeout_ms = cfg->redis_timeout_ms,
        .claim_idle_timeout_ms = cfg->claim_idle_timeout_ms,
        .max_deliveries = cfg->max_deliveries,
        .idle_read_ms = cfg->worker_idle_read_ms,
    };
    snprintf(ws.key_prefix, sizeof ws.key_prefix, "%s", cfg->key_prefix);
    side->workers = worker_pool_start(&ws);
    if (!side->workers) {
        free(side);
        return NULL;
    }
    side->sweep_timer = event_new(base, -1, EV_PERSIST, on_sweep, side);
    if (!side->sweep_timer) {
        log_error("out of memory starting the pend sweep");
        worker_side_stop(side);
        return NULL;
    }
    struct timeval every = {cfg->pend_sweep_seconds, 0};
    event_add(side->sweep_timer, &every);
    return side;
}

void worker_side_stop(struct worker_side *side)
{
    if (!side)
        return;
    /* Workers finish the claim each holds; nothing unfinished is acknowledged. */
    worker_pool_stop(side->workers);
    if (side->sweep_timer)
        event_free(side->sweep_timer);
    free(side);
}
