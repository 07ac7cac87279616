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
    return queue_stats_read(call->app->redis, call->app->cfg.key_prefix, (int)date_today().days, cb,
                            call);
}

/* The appeals' counts (docs/api.md "Appeals"), read after the queue's own
 * figures and added to the answer held in the call's state. */
static void on_queue_appeals(enum queue_status status, long long open, long long overdue, void *arg)
{
    struct call *call = arg;
    if (status != QUEUE_OK) {
        call_unavailable(call);
        return;
    }
    struct json_object *o = call_take_json(call);
    json_object_object_add(o, "appeals_open", json_object_new_int64(open));
    json_object_object_add(o, "appeals_overdue", json_object_new_int64(overdue));
    call_json(call, 200, o);
}

static void on_queue_stats(enum queue_status status, const struct queue_stats *q, void *arg)
{
    struct call *call = arg;
    if (status != QUEUE_OK) {
        call_unavailable(call);
        return;
    }
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
    call_hold_json(call, o);
    if (queue_appeal_counts(call->app->redis, call->app->cfg.key_prefix, (int)date_today().days,
                            on_queue_appeals, call) != 0)
        call_unavailable(call);
}

static void queue_authed(struct call *call)
{
    if (!call_require_staff(call))
        return;
    if (stats_call(call, on_queue_stats) != 0)
        call_unavailable(call);
}

void queue_get(struct call *call)
{
    call_authenticate(call, queue_authed);
}

/* ---- POST /v1/queue/dead/{claim_id}/retry ---- */

static void on_retry(enum queue_status status, void *arg)
{
    struct call *call = arg;
    if (call_refuse_missing(call, status))
        return;
    log_info("dead-lettered claim requeued claim_id=%s", call->path_id);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "claim_id", json_object_new_string(call->path_id));
    json_object_object_add(o, "status", json_object_new_string("requeued"));
    call_json(call, 202, o);
}

static void retry_audited(struct call *call)
{
    if (!call_audited(call))
        return;
    if (queue_requeue_dead(call->app->redis, call->app->cfg.key_prefix, call->path_id, on_retry,
                           call) != 0)
        call_unavailable(call);
}

static void retry_authed(struct call *call)
{
    if (!call_require_staff(call))
        return;
    if (strlen(call->path_id) != 36) {
        call_not_found(call);
        return;
    }
    call_audit(call, call->path_id, "claim.requeue", retry_audited);
}

void queue_retry_dead(struct call *call)
{
    call_authenticate(call, retry_authed);
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

/* The appeals' gauges, when they and the queue's figures were read. */
static void emit_appeals(struct metrics_out *m, enum queue_status status,
                         const struct appeal_counts *ac)
{
    if (status == QUEUE_OK && ac && ac->ok) {
        emit(m,
             "# HELP claimsd_appeals_open Appeals waiting for a decision.\n"
             "# TYPE claimsd_appeals_open gauge\nclaimsd_appeals_open %lld\n",
             ac->open);
        emit(m,
             "# HELP claimsd_appeals_overdue Open appeals past their decision due date.\n"
             "# TYPE claimsd_appeals_overdue gauge\nclaimsd_appeals_overdue %lld\n",
             ac->overdue);
    }
}

/* The queue's gauges and counters (all processes), and whether Redis answered. */
static void emit_queue(struct metrics_out *m, enum queue_status status,
                       const struct queue_stats *stats)
{
    if (status == QUEUE_OK) {
        const struct {
            long long length, in_flight, pended, dead, overdue, finalized, within, in_review;
        } q = {stats->length,
               stats->in_flight,
               stats->pended,
               stats->dead,
               stats->overdue,
               stats->finalized,
               stats->finalized_within_target,
               stats->in_review};
        emit(m,
             "# HELP claimsd_queue_depth Claims waiting for a worker.\n# TYPE claimsd_queue_depth "
             "gauge\n"
             "claimsd_queue_depth %lld\n",
             q.length - q.in_flight);
        emit(m,
             "# HELP claimsd_queue_in_flight Claims held by a worker.\n# TYPE "
             "claimsd_queue_in_flight gauge\n"
             "claimsd_queue_in_flight %lld\n",
             q.in_flight);
        emit(m,
             "# HELP claimsd_claims_pended Claims waiting for information.\n# TYPE "
             "claimsd_claims_pended gauge\n"
             "claimsd_claims_pended %lld\n",
             q.pended);
        emit(m,
             "# HELP claimsd_claims_in_review Claims waiting for staff review.\n"
             "# TYPE claimsd_claims_in_review gauge\nclaimsd_claims_in_review %lld\n",
             q.in_review);
        emit(m,
             "# HELP claimsd_claims_dead_lettered Claims in the dead-letter stream.\n"
             "# TYPE claimsd_claims_dead_lettered gauge\nclaimsd_claims_dead_lettered %lld\n",
             q.dead);
        emit(m,
             "# HELP claimsd_claims_overdue Open claims past their target date.\n"
             "# TYPE claimsd_claims_overdue gauge\nclaimsd_claims_overdue %lld\n",
             q.overdue);
        emit(m,
             "# HELP claimsd_claims_finalized_total Claims finalized (all processes).\n"
             "# TYPE claimsd_claims_finalized_total counter\nclaimsd_claims_finalized_total %lld\n",
             q.finalized);
        emit(m,
             "# HELP claimsd_claims_finalized_within_target_total Claims finalized by their target "
             "date.\n"
             "# TYPE claimsd_claims_finalized_within_target_total counter\n"
             "claimsd_claims_finalized_within_target_total %lld\n",
             q.within);
        emit(m, "# HELP claimsd_redis_up Whether Redis answered.\n# TYPE claimsd_redis_up "
                "gauge\nclaimsd_redis_up 1\n");
    } else {
        emit(m, "# HELP claimsd_redis_up Whether Redis answered.\n# TYPE claimsd_redis_up "
                "gauge\nclaimsd_redis_up 0\n");
    }
}

/* This process's workers: decisions, retries, failures, latency. */
static void emit_workers(struct metrics_out *m)
{
    struct worker_stats w;
    worker_stats_read(&w);
    static const char *const outcomes[WORKER_OUTCOMES] = {"approved", "denied", "pended",
                                                          "in_review"};
    emit(m, "# HELP claimsd_worker_decisions_total Decisions committed by this process's workers.\n"
            "# TYPE claimsd_worker_decisions_total counter\n");
    for (int i = 0; i < WORKER_OUTCOMES; i++)
        emit(m, "claimsd_worker_decisions_total{outcome=\"%s\"} %llu\n", outcomes[i],
             (unsigned long long)w.committed[i]);
    emit(m,
         "# HELP claimsd_worker_stale_retries_total Decisions redone on fresher family facts.\n"
         "# TYPE claimsd_worker_stale_retries_total counter\nclaimsd_worker_stale_retries_total "
         "%llu\n",
         (unsigned long long)w.stale_retries);
    emit(m,
         "# HELP claimsd_worker_failures_total Claims left for redelivery after an error.\n"
         "# TYPE claimsd_worker_failures_total counter\nclaimsd_worker_failures_total %llu\n",
         (unsigned long long)w.failures);
    emit(m,
         "# HELP claimsd_worker_dead_lettered_total Claims this process moved to the dead-letter "
         "stream.\n"
         "# TYPE claimsd_worker_dead_lettered_total counter\nclaimsd_worker_dead_lettered_total "
         "%llu\n",
         (unsigned long long)w.dead_lettered);
    emit(m,
         "# HELP claimsd_worker_facts_bytes_total Bytes of Redis replies read loading facts.\n# "
         "TYPE claimsd_worker_facts_bytes_total counter\nclaimsd_worker_facts_bytes_total %llu\n",
         (unsigned long long)w.facts_bytes);
    emit(m, "# HELP claimsd_adjudication_seconds Time from taking a claim to its commit.\n"
            "# TYPE claimsd_adjudication_seconds histogram\n");
    for (int i = 0; i < 8; i++) {
        if (i < 7)
            emit(m, "claimsd_adjudication_seconds_bucket{le=\"%g\"} %llu\n",
                 worker_latency_bounds[i], (unsigned long long)w.latency_buckets[i]);
        else
            emit(m, "claimsd_adjudication_seconds_bucket{le=\"+Inf\"} %llu\n",
                 (unsigned long long)w.latency_count);
    }
    emit(m, "claimsd_adjudication_seconds_sum %.6f\nclaimsd_adjudication_seconds_count %llu\n",
         w.latency_sum_seconds, (unsigned long long)w.latency_count);
}

/* This process's HTTP server: requests in flight, connections. */
static void emit_http(struct metrics_out *m, const struct app *app)
{
    emit(m,
         "# HELP claimsd_http_requests_in_flight Requests being answered.\n"
         "# TYPE claimsd_http_requests_in_flight gauge\nclaimsd_http_requests_in_flight %d\n",
         app->http ? http_server_in_flight(app->http) : 0);
    emit(m,
         "# HELP claimsd_http_connections Open client connections.\n"
         "# TYPE claimsd_http_connections gauge\nclaimsd_http_connections %d\n",
         app->http ? http_server_connections(app->http) : 0);
    emit(m,
         "# HELP claimsd_http_connections_paused Connections not read while their unsent answers "
         "exceed limits.max_output_bytes.\n"
         "# TYPE claimsd_http_connections_paused gauge\nclaimsd_http_connections_paused %d\n",
         app->http ? http_server_paused(app->http) : 0);
}

/* This process's intake step. */
static void emit_intake(struct metrics_out *m, const struct app *app)
{
    struct queue_intake_stats in = {0};
    if (app->intake)
        queue_intake_stats_read(app->intake, &in);
    emit(m,
         "# HELP claimsd_intake_claims_total Accepted submissions handed to the intake step.\n"
         "# TYPE claimsd_intake_claims_total counter\nclaimsd_intake_claims_total %llu\n",
         in.claims);
    emit(m,
         "# HELP claimsd_intake_batches_total Intake script calls (each stores one loop turn's "
         "claims).\n"
         "# TYPE claimsd_intake_batches_total counter\nclaimsd_intake_batches_total %llu\n",
         in.batches);
    emit(m,
         "# HELP claimsd_intake_replays_total Submissions answered from an idempotency key.\n"
         "# TYPE claimsd_intake_replays_total counter\nclaimsd_intake_replays_total %llu\n",
         in.replays);
    emit(
        m,
        "# HELP claimsd_intake_forbidden_total Member submissions for someone outside the family.\n"
        "# TYPE claimsd_intake_forbidden_total counter\nclaimsd_intake_forbidden_total %llu\n",
        in.forbidden);
    emit(m,
         "# HELP claimsd_intake_unavailable_total Submissions answered 503: Redis failed or "
         "refused.\n"
         "# TYPE claimsd_intake_unavailable_total counter\nclaimsd_intake_unavailable_total %llu\n",
         in.unavailable);
}

/* This process's writes that too few replicas acknowledged (replica_acks). */
static void emit_replica_acks(struct metrics_out *m)
{
    emit(m,
         "# HELP claimsd_replica_acks_short_total Writes acknowledged by fewer than replica_acks "
         "replicas within replica_acks_timeout_ms: intake batches (answered 503) and worker "
         "commit batches (kept).\n"
         "# TYPE claimsd_replica_acks_short_total counter\n"
         "claimsd_replica_acks_short_total{step=\"intake\"} %llu\n"
         "claimsd_replica_acks_short_total{step=\"commit\"} %llu\n",
         redis_acks_short_total(REDIS_ACKS_INTAKE), redis_acks_short_total(REDIS_ACKS_COMMIT));
}

/* This process's token cache. */
static void emit_tokens(struct metrics_out *m, const struct app *app)
{
    struct token_cache_stats tc = {0};
    if (app->tokens)
        token_cache_stats(app->tokens, token_cache_now_ms(), &tc);
    emit(m,
         "# HELP claimsd_token_cache_hits_total Requests authenticated from this process's token "
         "cache.\n"
         "# TYPE claimsd_token_cache_hits_total counter\nclaimsd_token_cache_hits_total %llu\n",
         (unsigned long long)tc.hits);
    emit(m,
         "# HELP claimsd_token_cache_misses_total Token lookups that asked Redis.\n"
         "# TYPE claimsd_token_cache_misses_total counter\nclaimsd_token_cache_misses_total %llu\n",
         (unsigned long long)tc.misses);
    emit(m,
         "# HELP claimsd_token_revocations_received_total Token revocations heard on the "
         "subscription.\n"
         "# TYPE claimsd_token_revocations_received_total counter\n"
         "claimsd_token_revocations_received_total %llu\n",
         (unsigned long long)tc.revocations);
    emit(m,
         "# HELP claimsd_token_cache_entries Tokens in this process's cache.\n"
         "# TYPE claimsd_token_cache_entries gauge\nclaimsd_token_cache_entries %zu\n",
         tc.entries);
    emit(m,
         "# HELP claimsd_token_cache_on Whether the token cache is in use (revocation subscription "
         "up).\n"
         "# TYPE claimsd_token_cache_on gauge\nclaimsd_token_cache_on %d\n",
         tc.open ? 1 : 0);
}

/* This process's rate limits, by class. */
static void emit_rate_limits(struct metrics_out *m, const struct app *app)
{
    emit(m, "# HELP claimsd_rate_limited_total Requests this process answered 429 rate_limited, by "
            "class.\n"
            "# TYPE claimsd_rate_limited_total counter\n");
    for (enum config_rate_class c = 0; c < CONFIG_RATE_CLASSES; c++) {
        struct ratelimit_stats rs;
        ratelimit_stats(app->ratelimit, (int)c, &rs);
        emit(m, "claimsd_rate_limited_total{class=\"%s\"} %llu\n", config_rate_class_name(c),
             (unsigned long long)rs.refused);
    }
    emit(m, "# HELP claimsd_rate_limit_buckets Token buckets this process holds, by class.\n"
            "# TYPE claimsd_rate_limit_buckets gauge\n");
    for (enum config_rate_class c = 0; c < CONFIG_RATE_CLASSES; c++) {
        struct ratelimit_stats rs;
        ratelimit_stats(app->ratelimit, (int)c, &rs);
        emit(m, "claimsd_rate_limit_buckets{class=\"%s\"} %zu\n", config_rate_class_name(c),
             rs.entries);
    }
    emit(m, "# HELP claimsd_rate_limit_evictions_total Buckets dropped at the bound before they "
            "were full.\n"
            "# TYPE claimsd_rate_limit_evictions_total counter\n");
    for (enum config_rate_class c = 0; c < CONFIG_RATE_CLASSES; c++) {
        struct ratelimit_stats rs;
        ratelimit_stats(app->ratelimit, (int)c, &rs);
        emit(m, "claimsd_rate_limit_evictions_total{class=\"%s\"} %llu\n",
             config_rate_class_name(c), (unsigned long long)rs.evicted);
    }
}

/* Answers GET /metrics with the appeals' and the queue's figures just read
 * and this process's own counters. */
static void on_metrics_stats(enum queue_status status, const struct queue_stats *stats, void *arg)
{
    struct call *call = arg;
    struct metrics_out m = {.cap = 16384};
    m.buf = malloc(m.cap);
    if (!m.buf) {
        call_out_of_memory(call);
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
    call_respond(call, 200, "text/plain; version=0.0.4; charset=utf-8", m.buf, m.len);
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

void metrics_get(struct call *call)
{
    /* No PHI here: counts only. Anyone who can reach the listener may read it
     * (bind the listener to a private address in production). */
    struct appeal_counts *ac = call_state_new(call, sizeof *ac, free);
    if (!ac)
        return;
    if (queue_appeal_counts(call->app->redis, call->app->cfg.key_prefix, (int)date_today().days,
                            on_metrics_appeals, call) != 0)
        on_metrics_appeals(QUEUE_UNAVAILABLE, 0, 0, call);
}
