/*
 * The processing target made visible (RULES.md § 9): GET /v1/queue for
 * staff, the same figures on /metrics for Prometheus, and the requeue of a
 * dead-lettered claim.
 */
#include "queue_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "work/worker.h"
#include "log.h"
#include "queue/appeals.h"
#include "queue/intake.h"
#include "queue/redis_conn.h"
#include "queue/stats.h"
#include "queue/token_cache.h"
#include "ratelimit.h"

static int stats_call(struct call *call, queue_stats_cb cb)
{
    return queue_stats_read(call->app->redis, intake_call_key_prefix(call), (int)date_today().days,
                            cb, call);
}

/* The appeals' counts (docs/api.md "Appeals"), read after the queue's own
 * figures and added to the answer held in the call's state. */
static void on_queue_appeals(enum queue_status status, long long open, long long overdue, void *arg)
{
    struct call *call = arg;
    if (!intake_call_queue_ok(call, status))
        return;
    struct json_object *o = intake_call_take_json(call);
    json_object_object_add(o, "appeals_open", json_object_new_int64(open));
    json_object_object_add(o, "appeals_overdue", json_object_new_int64(overdue));
    intake_call_json(call, 200, o);
}

static void on_queue_stats(enum queue_status status, const struct queue_stats *q, void *arg)
{
    struct call *call = arg;
    if (!intake_call_queue_ok(call, status))
        return;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "depth", json_object_new_int64(q->length - q->in_flight));
    json_object_object_add(o, "in_flight", json_object_new_int64(q->in_flight));
    json_object_object_add(o, "pended", json_object_new_int64(q->pended));
    json_object_object_add(o, "in_review", json_object_new_int64(q->in_review));
    json_object_object_add(o, "dead_lettered", json_object_new_int64(q->dead));
    json_object_object_add(o, "overdue", json_object_new_int64(q->overdue));
    if (q->oldest_claim_id) {
        date_t received;
        json_object_object_add(o, "oldest_open_claim_id",
                               json_object_new_string(q->oldest_claim_id));
        if (q->oldest_received && date_parse(q->oldest_received, &received))
            json_object_object_add(o, "oldest_open_age_days",
                                   json_object_new_int(date_diff_days(date_today(), received)));
    } else {
        json_object_object_add(o, "oldest_open_claim_id", NULL);
        json_object_object_add(o, "oldest_open_age_days", NULL);
    }
    long long finalized = q->finalized, within = q->finalized_within_target;
    json_object_object_add(o, "finalized", json_object_new_int64(finalized));
    json_object_object_add(o, "finalized_within_target", json_object_new_int64(within));
    /* A share of nothing is unknown, not 0 % or 100 %. */
    json_object_object_add(o, "share_within_target",
                           finalized ? json_object_new_double((double)within / (double)finalized)
                                     : NULL);
    struct json_object *dead = json_object_new_array();
    for (size_t i = 0; i < q->n_dead_entries; i++) {
        const struct queue_dead_entry *e = &q->dead_entries[i];
        /* The fields in the order the dead-letter step writes them. */
        struct json_object *d = json_object_new_object();
        if (e->reason)
            json_object_object_add(d, "reason", json_object_new_string(e->reason));
        if (e->deliveries)
            json_object_object_add(d, "deliveries", json_object_new_int(atoi(e->deliveries)));
        if (e->at)
            json_object_object_add(d, "at", json_object_new_string(e->at));
        if (e->claim_id)
            json_object_object_add(d, "claim_id", json_object_new_string(e->claim_id));
        json_object_array_add(dead, d);
    }
    json_object_object_add(o, "dead", dead);
    intake_call_hold_json(call, o);
    if (queue_appeal_counts(call->app->redis, intake_call_key_prefix(call), (int)date_today().days,
                            on_queue_appeals, call) != 0)
        intake_call_unavailable(call);
}

static void queue_authed(struct call *call)
{
    if (!intake_call_require_staff(call))
        return;
    if (stats_call(call, on_queue_stats) != 0)
        intake_call_unavailable(call);
}

void intake_queue_get(struct call *call)
{
    intake_call_authenticate(call, queue_authed);
}

/* ---- POST /v1/queue/dead/{claim_id}/retry ---- */

static void on_retry(enum queue_status status, void *arg)
{
    struct call *call = arg;
    if (intake_call_refuse_missing(call, status))
        return;
    log_info("dead-lettered claim requeued claim_id=%s", call->path_id);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "claim_id", json_object_new_string(call->path_id));
    json_object_object_add(o, "status", json_object_new_string("requeued"));
    intake_call_json(call, 202, o);
}

static void retry_audited(struct call *call)
{
    if (!intake_call_audited(call))
        return;
    if (queue_requeue_dead(call->app->redis, intake_call_key_prefix(call), call->path_id, on_retry,
                           call) != 0)
        intake_call_unavailable(call);
}

static void retry_authed(struct call *call)
{
    if (!intake_call_require_staff(call))
        return;
    if (strlen(call->path_id) != 36) {
        intake_call_not_found(call);
        return;
    }
    intake_call_audit(call, call->path_id, "claim.requeue", retry_audited);
}

void intake_queue_retry_dead(struct call *call)
{
    intake_call_authenticate(call, retry_authed);
}

/* ---- GET /metrics ---- */

/* The appeals' gauges, read before the queue's figures. */
struct appeal_counts {
    bool ok;
    long long open, overdue;
};

/* The /metrics text being written: a fixed buffer; what does not fit is cut. */
struct metrics_out {
    char *buf;
    size_t cap, len;
};

/* Appends printf-style text to m while it has room. */
__attribute__((format(printf, 2, 3))) static void emit(struct metrics_out *m, const char *fmt, ...)
{
    if (m->len >= m->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    m->len += (size_t)vsnprintf(m->buf + m->len, m->cap - m->len, fmt, ap);
    va_end(ap);
}

/* The HELP and TYPE lines of the metric family `name` (Prometheus text format). */
static void emit_head(struct metrics_out *m, const char *name, const char *type, const char *help)
{
    emit(m, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one signed value: its HELP and TYPE lines and the value. */
static void emit_signed(struct metrics_out *m, const char *name, const char *type, const char *help,
                        long long value)
{
    emit_head(m, name, type, help);
    emit(m, "%s %lld\n", name, value);
}

/* A family of one unsigned value (this process's counters). */
static void emit_unsigned(struct metrics_out *m, const char *name, const char *type,
                          const char *help, unsigned long long value)
{
    emit_head(m, name, type, help);
    emit(m, "%s %llu\n", name, value);
}

/* A family of one unsigned value, a row of emit_table. */
struct metric {
    const char *name, *type, *help;
    unsigned long long value;
};

/* Each family of the table t (n rows), in order. */
static void emit_table(struct metrics_out *m, const struct metric *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        emit_unsigned(m, t[i].name, t[i].type, t[i].help, t[i].value);
}

/* The appeals' gauges, when they and the queue's figures were read. */
static void emit_appeals(struct metrics_out *m, enum queue_status status,
                         const struct appeal_counts *ac)
{
    if (status == QUEUE_OK && ac && ac->ok) {
        emit_signed(m, "claimsd_appeals_open", "gauge", "Appeals waiting for a decision.",
                    ac->open);
        emit_signed(m, "claimsd_appeals_overdue", "gauge",
                    "Open appeals past their decision due date.", ac->overdue);
    }
}

/* The queue's gauges and counters (all processes), and whether Redis answered. */
static void emit_queue(struct metrics_out *m, enum queue_status status, const struct queue_stats *q)
{
    if (status == QUEUE_OK) {
        emit_signed(m, "claimsd_queue_depth", "gauge", "Claims waiting for a worker.",
                    q->length - q->in_flight);
        emit_signed(m, "claimsd_queue_in_flight", "gauge", "Claims held by a worker.",
                    q->in_flight);
        emit_signed(m, "claimsd_claims_pended", "gauge", "Claims waiting for information.",
                    q->pended);
        emit_signed(m, "claimsd_claims_in_review", "gauge", "Claims waiting for staff review.",
                    q->in_review);
        emit_signed(m, "claimsd_claims_dead_lettered", "gauge", "Claims in the dead-letter stream.",
                    q->dead);
        emit_signed(m, "claimsd_claims_overdue", "gauge", "Open claims past their target date.",
                    q->overdue);
        emit_signed(m, "claimsd_claims_finalized_total", "counter",
                    "Claims finalized (all processes).", q->finalized);
        emit_signed(m, "claimsd_claims_finalized_within_target_total", "counter",
                    "Claims finalized by their target date.", q->finalized_within_target);
    }
    emit_signed(m, "claimsd_redis_up", "gauge", "Whether Redis answered.", status == QUEUE_OK);
}

/* This process's workers: decisions, retries, failures, latency. */
static void emit_workers(struct metrics_out *m)
{
    struct worker_stats w;
    worker_stats_read(&w);
    static const char *const outcomes[WORKER_OUTCOMES] = {"approved", "denied", "pended",
                                                          "in_review"};
    emit_head(m, "claimsd_worker_decisions_total", "counter",
              "Decisions committed by this process's workers.");
    for (int i = 0; i < WORKER_OUTCOMES; i++)
        emit(m, "claimsd_worker_decisions_total{outcome=\"%s\"} %llu\n", outcomes[i],
             (unsigned long long)w.committed[i]);
    const struct metric counters[] = {
        {"claimsd_worker_stale_retries_total", "counter",
         "Decisions redone on fresher family facts.", w.stale_retries},
        {"claimsd_worker_failures_total", "counter", "Claims left for redelivery after an error.",
         w.failures},
        {"claimsd_worker_dead_lettered_total", "counter",
         "Claims this process moved to the dead-letter stream.", w.dead_lettered},
        {"claimsd_worker_facts_bytes_total", "counter",
         "Bytes of Redis replies read loading facts.", w.facts_bytes},
    };
    emit_table(m, counters, sizeof counters / sizeof *counters);
    emit_head(m, "claimsd_adjudication_seconds", "histogram",
              "Time from taking a claim to its commit.");
    for (int i = 0; i < 7; i++)
        emit(m, "claimsd_adjudication_seconds_bucket{le=\"%g\"} %llu\n", worker_latency_bounds[i],
             (unsigned long long)w.latency_buckets[i]);
    emit(m, "claimsd_adjudication_seconds_bucket{le=\"+Inf\"} %llu\n",
         (unsigned long long)w.latency_count);
    emit(m, "claimsd_adjudication_seconds_sum %.6f\nclaimsd_adjudication_seconds_count %llu\n",
         w.latency_sum_seconds, (unsigned long long)w.latency_count);
}

/* This process's HTTP server: requests in flight, connections. */
static void emit_http(struct metrics_out *m, const struct app *app)
{
    emit_signed(m, "claimsd_http_requests_in_flight", "gauge", "Requests being answered.",
                app->http ? intake_http_server_in_flight(app->http) : 0);
    emit_signed(m, "claimsd_http_connections", "gauge", "Open client connections.",
                app->http ? intake_http_server_connections(app->http) : 0);
    emit_signed(m, "claimsd_http_connections_paused", "gauge",
                "Connections not read while their unsent answers exceed limits.max_output_bytes.",
                app->http ? intake_http_server_paused(app->http) : 0);
}

/* This process's intake step. */
static void emit_intake(struct metrics_out *m, const struct app *app)
{
    struct queue_intake_stats in = {0};
    if (app->intake)
        queue_intake_stats_read(app->intake, &in);
    const struct metric counters[] = {
        {"claimsd_intake_claims_total", "counter",
         "Accepted submissions handed to the intake step.", in.claims},
        {"claimsd_intake_batches_total", "counter",
         "Intake script calls (each stores one loop turn's claims).", in.batches},
        {"claimsd_intake_replays_total", "counter", "Submissions answered from an idempotency key.",
         in.replays},
        {"claimsd_intake_forbidden_total", "counter",
         "Member submissions for someone outside the family.", in.forbidden},
        {"claimsd_intake_unavailable_total", "counter",
         "Submissions answered 503: Redis failed or refused.", in.unavailable},
    };
    emit_table(m, counters, sizeof counters / sizeof *counters);
}

/* This process's writes that too few replicas acknowledged (replica_acks). */
static void emit_replica_acks(struct metrics_out *m)
{
    emit_head(m, "claimsd_replica_acks_short_total", "counter",
              "Writes acknowledged by fewer than replica_acks replicas within "
              "replica_acks_timeout_ms: intake batches (answered 503) and worker commit batches "
              "(kept).");
    emit(m,
         "claimsd_replica_acks_short_total{step=\"intake\"} %llu\n"
         "claimsd_replica_acks_short_total{step=\"commit\"} %llu\n",
         queue_redis_acks_short_total(REDIS_ACKS_INTAKE),
         queue_redis_acks_short_total(REDIS_ACKS_COMMIT));
}

/* This process's token cache. */
static void emit_tokens(struct metrics_out *m, const struct app *app)
{
    struct queue_token_cache_stats tc = {0};
    if (app->tokens)
        queue_token_cache_stats(app->tokens, queue_token_cache_now_ms(), &tc);
    const struct metric figures[] = {
        {"claimsd_token_cache_hits_total", "counter",
         "Requests authenticated from this process's token cache.", tc.hits},
        {"claimsd_token_cache_misses_total", "counter", "Token lookups that asked Redis.",
         tc.misses},
        {"claimsd_token_revocations_received_total", "counter",
         "Token revocations heard on the subscription.", tc.revocations},
        {"claimsd_token_cache_entries", "gauge", "Tokens in this process's cache.", tc.entries},
    };
    emit_table(m, figures, sizeof figures / sizeof *figures);
    emit_signed(m, "claimsd_token_cache_on", "gauge",
                "Whether the token cache is in use (revocation subscription up).", tc.open);
}

/* Which figure of a class's rate limits a family shows. */
enum rate_figure { RATE_REFUSED, RATE_BUCKETS, RATE_EVICTED };

/* A family of one figure of this process's rate limits, a line per class. */
static void emit_rate_family(struct metrics_out *m, const struct app *app, const char *name,
                             const char *type, const char *help, enum rate_figure figure)
{
    emit_head(m, name, type, help);
    for (enum config_rate_class c = 0; c < CONFIG_RATE_CLASSES; c++) {
        struct ratelimit_stats rs;
        ratelimit_stats(app->ratelimit, (int)c, &rs);
        unsigned long long v = figure == RATE_REFUSED   ? rs.refused
                               : figure == RATE_BUCKETS ? rs.entries
                                                        : rs.evicted;
        emit(m, "%s{class=\"%s\"} %llu\n", name, config_rate_class_name(c), v);
    }
}

/* This process's rate limits, by class. */
static void emit_rate_limits(struct metrics_out *m, const struct app *app)
{
    emit_rate_family(m, app, "claimsd_rate_limited_total", "counter",
                     "Requests this process answered 429 rate_limited, by class.", RATE_REFUSED);
    emit_rate_family(m, app, "claimsd_rate_limit_buckets", "gauge",
                     "Token buckets this process holds, by class.", RATE_BUCKETS);
    emit_rate_family(m, app, "claimsd_rate_limit_evictions_total", "counter",
                     "Buckets dropped at the bound before they were full.", RATE_EVICTED);
}

/* Answers GET /metrics with the appeals' and the queue's figures just read
 * and this process's own counters. */
static void on_metrics_stats(enum queue_status status, const struct queue_stats *stats, void *arg)
{
    struct call *call = arg;
    struct metrics_out m = {.cap = 16384};
    m.buf = malloc(m.cap);
    if (!m.buf) {
        intake_call_out_of_memory(call);
        return;
    }
    emit_appeals(&m, status, call->state);
    emit_queue(&m, status, stats);
    emit_workers(&m);
    emit_http(&m, call->app);
    emit_intake(&m, call->app);
    emit_replica_acks(&m);
    emit_tokens(&m, call->app);
    emit_rate_limits(&m, call->app);
    if (m.len >= m.cap)
        m.len = m.cap - 1;
    intake_call_respond(call, 200, "text/plain; version=0.0.4; charset=utf-8", m.buf, m.len);
    free(m.buf);
}

static void on_metrics_appeals(enum queue_status status, long long open, long long overdue,
                               void *arg)
{
    struct call *call = arg;
    struct appeal_counts *ac = call->state;
    *ac = (struct appeal_counts){status == QUEUE_OK, open, overdue};
    if (stats_call(call, on_metrics_stats) != 0)
        on_metrics_stats(QUEUE_UNAVAILABLE, NULL, call);
}

void intake_metrics_get(struct call *call)
{
    /* No PHI here: counts only. Anyone who can reach the listener may read it
     * (bind the listener to a private address in production). */
    struct appeal_counts *ac = intake_call_state_new(call, sizeof *ac, free);
    if (!ac)
        return;
    if (queue_appeal_counts(call->app->redis, intake_call_key_prefix(call), (int)date_today().days,
                            on_metrics_appeals, call) != 0)
        on_metrics_appeals(QUEUE_UNAVAILABLE, 0, 0, call);
}
