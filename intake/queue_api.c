/*
 * The processing target made visible (RULES.md § 9): GET /v1/queue for
 * staff, the same figures on /metrics for Prometheus, and the requeue of a
 * dead-lettered claim.
 */
#include "queue_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicate/worker.h"
#include "log.h"
#include "queue/intake.h"
#include "queue/keys.h"
#include "queue/scripts.h"
#include "queue/token_cache.h"

struct queue_figures {
    long long length, in_flight, pended, dead, overdue, finalized, within;
    char oldest_claim[CLAIM_ID_LEN];
    char oldest_received[DATE_STRLEN];
};

static void read_figures(const redisReply *r, struct queue_figures *q)
{
    memset(q, 0, sizeof *q);
    long long *ints[] = {&q->length, &q->in_flight, &q->pended, &q->dead, &q->overdue};
    for (int i = 0; i < 5; i++)
        *ints[i] = r->element[i]->integer;
    if (r->element[5]->type == REDIS_REPLY_STRING)
        snprintf(q->oldest_claim, sizeof q->oldest_claim, "%s", r->element[5]->str);
    if (r->element[6]->type == REDIS_REPLY_STRING)
        snprintf(q->oldest_received, sizeof q->oldest_received, "%s", r->element[6]->str);
    q->finalized = r->element[7]->integer;
    q->within = r->element[8]->integer;
}

static int stats_call(struct call *call, rconn_reply_cb cb)
{
    const char *prefix = call->app->cfg.key_prefix;
    char k_stream[KEY_LEN], k_pended[KEY_LEN], k_dead[KEY_LEN], k_sla[KEY_LEN], k_stats[KEY_LEN],
        claim_prefix[KEY_LEN], today[16];
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, prefix);
    snprintf(k_pended, sizeof k_pended, KEYF_PENDED, prefix);
    snprintf(k_dead, sizeof k_dead, KEYF_DEAD, prefix);
    snprintf(k_sla, sizeof k_sla, KEYF_SLA, prefix);
    snprintf(k_stats, sizeof k_stats, KEYF_STATS, prefix);
    snprintf(claim_prefix, sizeof claim_prefix, KEYF_CLAIM, prefix, "");
    snprintf(today, sizeof today, "%d", (int)date_today_utc().days);
    const char *keys[] = {k_stream, k_pended, k_dead, k_sla, k_stats};
    const char *args[] = {today, claim_prefix, WORK_GROUP};
    return script_eval_async(call->app->redis, &script_queue_stats, cb, call, 5, keys, 3, args,
                             NULL);
}

static bool stats_reply_ok(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY && r->elements == 10;
}

static void on_queue_stats(redisReply *reply, void *arg)
{
    struct call *call = arg;
    if (!stats_reply_ok(reply)) {
        call_unavailable(call);
        return;
    }
    struct queue_figures q;
    read_figures(reply, &q);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "depth", json_object_new_int64(q.length - q.in_flight));
    json_object_object_add(o, "in_flight", json_object_new_int64(q.in_flight));
    json_object_object_add(o, "pended", json_object_new_int64(q.pended));
    json_object_object_add(o, "dead_lettered", json_object_new_int64(q.dead));
    json_object_object_add(o, "overdue", json_object_new_int64(q.overdue));
    if (q.oldest_claim[0]) {
        date_t received;
        json_object_object_add(o, "oldest_open_claim_id", json_object_new_string(q.oldest_claim));
        if (date_parse(q.oldest_received, &received))
            json_object_object_add(o, "oldest_open_age_days",
                                   json_object_new_int(date_diff_days(date_today_utc(), received)));
    } else {
        json_object_object_add(o, "oldest_open_claim_id", NULL);
        json_object_object_add(o, "oldest_open_age_days", NULL);
    }
    json_object_object_add(o, "finalized", json_object_new_int64(q.finalized));
    json_object_object_add(o, "finalized_within_target", json_object_new_int64(q.within));
    /* A share of nothing is unknown, not 0 % or 100 %. */
    json_object_object_add(o, "share_within_target",
                           q.finalized ? json_object_new_double((double)q.within / (double)q.finalized)
                                       : NULL);
    struct json_object *dead = json_object_new_array();
    const redisReply *entries = reply->element[9];
    for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
            continue;
        struct json_object *d = json_object_new_object();
        const redisReply *f = e->element[1];
        for (size_t j = 0; j + 1 < f->elements; j += 2) {
            const char *k = f->element[j]->str, *v = f->element[j + 1]->str;
            if (strcmp(k, "claim") == 0)
                json_object_object_add(d, "claim_id", json_object_new_string(v));
            else if (strcmp(k, "reason") == 0 || strcmp(k, "at") == 0)
                json_object_object_add(d, k, json_object_new_string(v));
            else if (strcmp(k, "deliveries") == 0)
                json_object_object_add(d, k, json_object_new_int(atoi(v)));
        }
        json_object_array_add(dead, d);
    }
    json_object_object_add(o, "dead", dead);
    call_json(call, 200, o);
}

static void queue_authed(struct call *call)
{
    if (!auth_is_staff(&call->who)) {
        call_forbidden(call);
        return;
    }
    if (stats_call(call, on_queue_stats) != 0)
        call_unavailable(call);
}

void queue_get(struct call *call)
{
    call_authenticate(call, queue_authed);
}

/* ---- POST /v1/queue/dead/{claim_id}/retry ---- */

static void on_retry(redisReply *reply, void *arg)
{
    struct call *call = arg;
    if (!reply || reply->type != REDIS_REPLY_STRING) {
        call_unavailable(call);
        return;
    }
    if (!reply->str[0]) {
        call_not_found(call);
        return;
    }
    log_info("dead-lettered claim requeued claim_id=%s", call->path_id);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "claim_id", json_object_new_string(call->path_id));
    json_object_object_add(o, "status", json_object_new_string("requeued"));
    call_json(call, 202, o);
}

static void retry_audited(struct call *call)
{
    if (!call_audit_ok(call)) {
        call_unavailable(call);
        return;
    }
    const char *prefix = call->app->cfg.key_prefix;
    char k_dead[KEY_LEN], k_idx[KEY_LEN], k_stream[KEY_LEN];
    snprintf(k_dead, sizeof k_dead, KEYF_DEAD, prefix);
    snprintf(k_idx, sizeof k_idx, KEYF_DEADIDX, prefix);
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, prefix);
    const char *keys[] = {k_dead, k_idx, k_stream};
    const char *args[] = {call->path_id};
    if (script_eval_async(call->app->redis, &script_retry_dead, on_retry, call, 3, keys, 1, args,
                          NULL) != 0)
        call_unavailable(call);
}

static void retry_authed(struct call *call)
{
    if (!auth_is_staff(&call->who)) {
        call_forbidden(call);
        return;
    }
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

static void on_metrics_stats(redisReply *reply, void *arg)
{
    struct call *call = arg;
    struct worker_stats w;
    worker_stats_read(&w);
    size_t cap = 16384, len = 0;
    char *out = malloc(cap);
    if (!out) {
        call_error(call, 500, "internal", "out of memory");
        return;
    }
#define EMIT(...)                                                                  \
    do {                                                                           \
        if (len < cap)                                                             \
            len += (size_t)snprintf(out + len, cap - len, __VA_ARGS__);            \
    } while (0)
    if (stats_reply_ok(reply)) {
        struct queue_figures q;
        read_figures(reply, &q);
        EMIT("# HELP claimsd_queue_depth Claims waiting for a worker.\n# TYPE claimsd_queue_depth gauge\n"
             "claimsd_queue_depth %lld\n", q.length - q.in_flight);
        EMIT("# HELP claimsd_queue_in_flight Claims held by a worker.\n# TYPE claimsd_queue_in_flight gauge\n"
             "claimsd_queue_in_flight %lld\n", q.in_flight);
        EMIT("# HELP claimsd_claims_pended Claims waiting for information.\n# TYPE claimsd_claims_pended gauge\n"
             "claimsd_claims_pended %lld\n", q.pended);
        EMIT("# HELP claimsd_claims_dead_lettered Claims in the dead-letter stream.\n"
             "# TYPE claimsd_claims_dead_lettered gauge\nclaimsd_claims_dead_lettered %lld\n", q.dead);
        EMIT("# HELP claimsd_claims_overdue Open claims past their target date.\n"
             "# TYPE claimsd_claims_overdue gauge\nclaimsd_claims_overdue %lld\n", q.overdue);
        EMIT("# HELP claimsd_claims_finalized_total Claims finalized (all processes).\n"
             "# TYPE claimsd_claims_finalized_total counter\nclaimsd_claims_finalized_total %lld\n",
             q.finalized);
        EMIT("# HELP claimsd_claims_finalized_within_target_total Claims finalized by their target date.\n"
             "# TYPE claimsd_claims_finalized_within_target_total counter\n"
             "claimsd_claims_finalized_within_target_total %lld\n", q.within);
        EMIT("# HELP claimsd_redis_up Whether Redis answered.\n# TYPE claimsd_redis_up gauge\nclaimsd_redis_up 1\n");
    } else {
        EMIT("# HELP claimsd_redis_up Whether Redis answered.\n# TYPE claimsd_redis_up gauge\nclaimsd_redis_up 0\n");
    }
    static const char *const outcomes[3] = {"approved", "denied", "pended"};
    EMIT("# HELP claimsd_worker_decisions_total Decisions committed by this process's workers.\n"
         "# TYPE claimsd_worker_decisions_total counter\n");
    for (int i = 0; i < 3; i++)
        EMIT("claimsd_worker_decisions_total{outcome=\"%s\"} %llu\n", outcomes[i],
             (unsigned long long)w.committed[i]);
    EMIT("# HELP claimsd_worker_stale_retries_total Decisions redone on fresher family facts.\n"
         "# TYPE claimsd_worker_stale_retries_total counter\nclaimsd_worker_stale_retries_total %llu\n",
         (unsigned long long)w.stale_retries);
    EMIT("# HELP claimsd_worker_failures_total Claims left for redelivery after an error.\n"
         "# TYPE claimsd_worker_failures_total counter\nclaimsd_worker_failures_total %llu\n",
         (unsigned long long)w.failures);
    EMIT("# HELP claimsd_worker_dead_lettered_total Claims this process moved to the dead-letter stream.\n"
         "# TYPE claimsd_worker_dead_lettered_total counter\nclaimsd_worker_dead_lettered_total %llu\n",
         (unsigned long long)w.dead_lettered);
    EMIT("# HELP claimsd_worker_facts_bytes_total Bytes of Redis replies read loading facts.\n# TYPE claimsd_worker_facts_bytes_total counter\nclaimsd_worker_facts_bytes_total %llu\n", (unsigned long long)w.facts_bytes);
    EMIT("# HELP claimsd_adjudication_seconds Time from taking a claim to its commit.\n"
         "# TYPE claimsd_adjudication_seconds histogram\n");
    for (int i = 0; i < 8; i++) {
        if (i < 7)
            EMIT("claimsd_adjudication_seconds_bucket{le=\"%g\"} %llu\n", worker_latency_bounds[i],
                 (unsigned long long)w.latency_buckets[i]);
        else
            EMIT("claimsd_adjudication_seconds_bucket{le=\"+Inf\"} %llu\n",
                 (unsigned long long)w.latency_count);
    }
    EMIT("claimsd_adjudication_seconds_sum %.6f\nclaimsd_adjudication_seconds_count %llu\n",
         w.latency_sum_seconds, (unsigned long long)w.latency_count);
    EMIT("# HELP claimsd_http_requests_in_flight Requests being answered.\n"
         "# TYPE claimsd_http_requests_in_flight gauge\nclaimsd_http_requests_in_flight %d\n",
         call->app->http ? http_server_in_flight(call->app->http) : 0);
    EMIT("# HELP claimsd_http_connections Open client connections.\n"
         "# TYPE claimsd_http_connections gauge\nclaimsd_http_connections %d\n",
         call->app->http ? http_server_connections(call->app->http) : 0);
    struct queue_intake_stats in = {0};
    if (call->app->intake)
        queue_intake_stats_read(call->app->intake, &in);
    EMIT("# HELP claimsd_intake_claims_total Accepted submissions handed to the intake step.\n"
         "# TYPE claimsd_intake_claims_total counter\nclaimsd_intake_claims_total %llu\n", in.claims);
    EMIT("# HELP claimsd_intake_batches_total Intake script calls (each stores one loop turn's claims).\n"
         "# TYPE claimsd_intake_batches_total counter\nclaimsd_intake_batches_total %llu\n", in.batches);
    EMIT("# HELP claimsd_intake_replays_total Submissions answered from an idempotency key.\n"
         "# TYPE claimsd_intake_replays_total counter\nclaimsd_intake_replays_total %llu\n", in.replays);
    EMIT("# HELP claimsd_intake_forbidden_total Member submissions for someone outside the family.\n"
         "# TYPE claimsd_intake_forbidden_total counter\nclaimsd_intake_forbidden_total %llu\n",
         in.forbidden);
    EMIT("# HELP claimsd_intake_unavailable_total Submissions answered 503: Redis failed or refused.\n"
         "# TYPE claimsd_intake_unavailable_total counter\nclaimsd_intake_unavailable_total %llu\n",
         in.unavailable);
    struct token_cache_stats tc = {0};
    if (call->app->tokens)
        token_cache_stats(call->app->tokens, token_cache_now_ms(), &tc);
    EMIT("# HELP claimsd_token_cache_hits_total Requests authenticated from this process's token cache.\n"
         "# TYPE claimsd_token_cache_hits_total counter\nclaimsd_token_cache_hits_total %llu\n",
         (unsigned long long)tc.hits);
    EMIT("# HELP claimsd_token_cache_misses_total Token lookups that asked Redis.\n"
         "# TYPE claimsd_token_cache_misses_total counter\nclaimsd_token_cache_misses_total %llu\n",
         (unsigned long long)tc.misses);
    EMIT("# HELP claimsd_token_revocations_received_total Token revocations heard on the subscription.\n"
         "# TYPE claimsd_token_revocations_received_total counter\n"
         "claimsd_token_revocations_received_total %llu\n",
         (unsigned long long)tc.revocations);
    EMIT("# HELP claimsd_token_cache_entries Tokens in this process's cache.\n"
         "# TYPE claimsd_token_cache_entries gauge\nclaimsd_token_cache_entries %zu\n", tc.entries);
    EMIT("# HELP claimsd_token_cache_on Whether the token cache is in use (revocation subscription up).\n"
         "# TYPE claimsd_token_cache_on gauge\nclaimsd_token_cache_on %d\n", tc.open ? 1 : 0);
#undef EMIT
    if (len >= cap)
        len = cap - 1;
    call_respond(call, 200, "text/plain; version=0.0.4; charset=utf-8", out, len);
    free(out);
}

void metrics_get(struct call *call)
{
    /* No PHI here: counts only. Anyone who can reach the listener may read it
     * (bind the listener to a private address in production). */
    if (stats_call(call, on_metrics_stats) != 0)
        on_metrics_stats(NULL, call);
}
