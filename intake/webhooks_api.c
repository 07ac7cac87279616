/*
 * Webhook subscriptions: an admin registers a URL, the events it wants and a
 * shared secret; claimsd POSTs signed notifications there (notify/notify.c).
 * The secret is write-only: no answer ever contains it. Bodies are checked
 * as strictly as every other body (unknown fields are refused by name).
 */
#include "webhooks_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/webhook.h"
#include "notify/webhook_dns.h"
#include "codec/json_edge.h"
#include "codec/json_read.h"
#include "log.h"
#include "queue/webhooks.h"

/* How many attempts, pending and dead deliveries the log answer lists. */
#define DELIVERIES_LIST_MAX 100

static const char *const events_problem =
    "must be a non-empty list of claim.finalized, claim.pended, claim.in_review, claim.replaced, "
    "claim.voided, claim.adjusted, appeal.filed, appeal.decided";
/* The url problems found by resolving its host: fixed phrases that never
 * say which address the host has. */
static const char *const not_public_problem = "host is not a public address";
static const char *const unresolved_problem = "host does not resolve";

/* Who may: admins only. Answers and returns false otherwise. */
static bool admin_with_valid_id(struct call *call)
{
    if (!intake_call_require_admin(call))
        return false;
    if (!notify_id_valid(call->path_id)) {
        intake_call_not_found(call);
        return false;
    }
    return true;
}

/* The subscription as answered: never the secret, only that one is set. */
static struct json_object *subscription_view(const char *id, const char *url, const char *events,
                                             bool secret_set, const char *created_at,
                                             const char *updated_at)
{
    struct json_object *o = json_object_new_object(), *list = json_object_new_array();
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "url", json_object_new_string(url));
    for (int i = 0; i < NOTIFY_N_EVENTS; i++) {
        char wrapped[256], name[40];
        snprintf(wrapped, sizeof wrapped, ",%s,", events);
        snprintf(name, sizeof name, ",%s,", notify_events[i]);
        if (strstr(wrapped, name))
            json_object_array_add(list, json_object_new_string(notify_events[i]));
    }
    json_object_object_add(o, "events", list);
    json_object_object_add(o, "secret_set", json_object_new_boolean(secret_set));
    json_object_object_add(o, "created_at", json_object_new_string(created_at));
    json_object_object_add(o, "updated_at", json_object_new_string(updated_at));
    return o;
}

/* ---- PUT ---- */

struct put_state {
    char url[NOTIFY_URL_MAX + 1];
    char events[256]; /* comma-separated, in the documented order */
    char secret[NOTIFY_SECRET_MAX + 1];
    bool existed;
    char created_at[32], updated_at[32];
    struct notify_dns *dns; /* the url's host being checked */
};

static void put_state_free(void *p)
{
    struct put_state *ps = p;
    if (ps) { /* the secret does not outlive the request in this process */
        notify_dns_cancel(ps->dns);
        memset(ps->secret, 0, sizeof ps->secret);
    }
    free(ps);
}

static void parse_events(struct json_object *value, struct put_state *ps,
                         struct codec_field_errors *errs)
{
    if (!json_object_is_type(value, json_type_array) || json_object_array_length(value) == 0) {
        codec_field_errors_add(errs, "events", events_problem);
        return;
    }
    bool wanted[NOTIFY_N_EVENTS] = {false};
    size_t n = json_object_array_length(value);
    for (size_t i = 0; i < n; i++) {
        struct json_object *item = json_object_array_get_idx(value, i);
        char path[32];
        snprintf(path, sizeof path, "events[%zu]", i);
        int which = -1;
        for (int e = 0; e < NOTIFY_N_EVENTS && json_object_is_type(item, json_type_string); e++)
            if (strcmp(json_object_get_string(item), notify_events[e]) == 0)
                which = e;
        if (which < 0)
            codec_field_errors_add(errs, path,
                                   "must be claim.finalized, claim.pended, claim.in_review, "
                                   "claim.replaced, claim.voided, claim.adjusted, appeal.filed "
                                   "or appeal.decided");
        else if (wanted[which])
            codec_field_errors_add(errs, path, "is listed twice");
        else
            wanted[which] = true;
    }
    ps->events[0] = '\0';
    for (int e = 0; e < NOTIFY_N_EVENTS; e++) {
        if (!wanted[e])
            continue;
        size_t len = strlen(ps->events);
        snprintf(ps->events + len, sizeof ps->events - len, "%s%s", len ? "," : "",
                 notify_events[e]);
    }
}

/* A string field that check accepts (check names its problem, NULL when
 * none), copied into out of size bytes; not_string when it is no string. */
static bool value_checked(struct codec_reader *r, struct json_object *v, char *out, size_t size,
                          const char *(*check)(const char *), const char *not_string)
{
    const char *problem =
        json_object_is_type(v, json_type_string) ? check(json_object_get_string(v)) : not_string;
    if (problem) {
        codec_report(r, problem);
        return false;
    }
    snprintf(out, size, "%s", json_object_get_string(v));
    return true;
}

/* A url field for codec_field: a string notify_url_problem accepts. */
static bool value_url(struct codec_reader *r, struct json_object *v, void *out)
{
    return value_checked(r, v, out, sizeof((struct put_state *)0)->url, notify_url_problem,
                         "must be an http or https URL with a host");
}

/* A secret field for codec_field: a string notify_secret_problem accepts. */
static bool value_secret(struct codec_reader *r, struct json_object *v, void *out)
{
    return value_checked(r, v, out, sizeof((struct put_state *)0)->secret, notify_secret_problem,
                         "must be a string of at least 32 characters");
}

/* Every problem of the body into errs (the reader's phrases, docs/validation.md
 * "Webhook subscription"); the accepted values into the call's put_state. */
static void parse_subscription(struct call *call, struct json_object *body,
                               struct codec_field_errors *errs)
{
    struct put_state *ps = call->state;
    static const char *const fields[] = {"url", "events", "secret", NULL};
    struct codec_reader r;
    codec_reader_init(&r, errs);
    codec_reject_unknown(&r, body, fields);
    codec_field(&r, body, "url", true, value_url, ps->url);
    struct json_object *events = codec_member(body, "events");
    if (events)
        parse_events(events, ps, errs);
    else
        codec_report_key(&r, "events", "is required");
    codec_field(&r, body, "secret", true, value_secret, ps->secret);
}

static void put_respond(struct call *call)
{
    struct put_state *ps = call->state;
    if (!intake_call_audited(call))
        return;
    log_info("webhook subscription %s %s request_id=%s", call->path_id,
             ps->existed ? "replaced" : "created", call->req->request_id);
    intake_call_json(call, ps->existed ? 200 : 201,
                     subscription_view(call->path_id, ps->url, ps->events, true, ps->created_at,
                                       ps->updated_at));
}

static void on_put_stored(enum queue_status status, bool existed, const char *created_at, void *arg)
{
    struct call *call = arg;
    struct put_state *ps = call->state;
    if (!intake_call_queue_ok(call, status))
        return;
    ps->existed = existed;
    snprintf(ps->created_at, sizeof ps->created_at, "%s", created_at);
    intake_call_audit(call, NULL, "webhook.put", put_respond);
}

/* What a 422 of a subscription's body says. */
#define SUBSCRIPTION_INVALID "the webhook subscription is not valid"

/* 422 with the one url problem. */
static void url_refused(struct call *call, const char *problem)
{
    intake_call_invalid_field(call, "url", problem, SUBSCRIPTION_INVALID);
}

/* The url's host is checked: store the subscription, or refuse it. */
static void on_url_checked(enum notify_dns_result result, const struct sockaddr *pinned, void *arg)
{
    (void)pinned;
    struct call *call = arg;
    struct put_state *ps = call->state;
    ps->dns = NULL;
    if (result != NOTIFY_DNS_OK) {
        log_info("webhook subscription %s refused: its host %s request_id=%s", call->path_id,
                 result == NOTIFY_DNS_NOT_ALLOWED ? "is not a public address" : "does not resolve",
                 call->req->request_id);
        url_refused(call,
                    result == NOTIFY_DNS_NOT_ALLOWED ? not_public_problem : unresolved_problem);
        return;
    }
    rfc3339_now(ps->updated_at);
    if (queue_webhook_put(call->app->redis, intake_call_key_prefix(call), call->path_id, ps->url,
                          ps->events, ps->secret, ps->updated_at, on_put_stored, call) != 0)
        intake_call_unavailable(call);
}

static void put_authed(struct call *call)
{
    struct put_state *ps = call->state;
    if (!admin_with_valid_id(call) ||
        !intake_call_read_body(call, parse_subscription, SUBSCRIPTION_INVALID))
        return;
    /* Where the url leads is checked last, once the body is otherwise
     * valid: every address its host has must be public or allowed
     * (webhooks.allow_private). Delivery checks it again at each attempt. */
    char host[NOTIFY_HOST_MAX], port[8];
    if (notify_url_target(ps->url, host, port) != 0) {
        url_refused(call, "must be an http or https URL with a host");
        return;
    }
    const struct config_webhooks *w = &call->app->cfg.webhooks;
    ps->dns = notify_dns_check(call->app->base, host, &w->allow_private, w->connect_timeout_ms,
                               on_url_checked, call);
    if (!ps->dns)
        intake_call_unavailable(call);
}

void intake_webhooks_put(struct call *call)
{
    intake_call_open(call, NULL, sizeof(struct put_state), put_state_free, put_authed);
}

/* ---- GET ---- */

static void on_subscription(enum queue_status status, const struct queue_webhook *sub, void *arg)
{
    struct call *call = arg;
    if (intake_call_refuse_missing(call, status))
        return;
    intake_call_json(call, 200,
                     subscription_view(call->path_id, sub->url, sub->events, sub->secret_set,
                                       sub->created_at, sub->updated_at));
}

static void get_authed(struct call *call)
{
    if (!admin_with_valid_id(call))
        return;
    if (queue_webhook_get(call->app->redis, intake_call_key_prefix(call), call->path_id,
                          on_subscription, call) != 0)
        intake_call_unavailable(call);
}

void intake_webhooks_get(struct call *call)
{
    intake_call_authenticate(call, get_authed);
}

/* ---- DELETE ---- */

static void delete_respond(struct call *call)
{
    if (!intake_call_audited(call))
        return;
    log_info("webhook subscription %s deleted request_id=%s", call->path_id, call->req->request_id);
    intake_call_respond(call, 204, NULL, "", 0);
}

static void on_deleted(enum queue_status status, void *arg)
{
    struct call *call = arg;
    if (intake_call_refuse_missing(call, status))
        return;
    intake_call_audit(call, NULL, "webhook.delete", delete_respond);
}

static void delete_authed(struct call *call)
{
    if (!admin_with_valid_id(call))
        return;
    if (queue_webhook_delete(call->app->redis, intake_call_key_prefix(call), call->path_id,
                             on_deleted, call) != 0)
        intake_call_unavailable(call);
}

void intake_webhooks_delete(struct call *call)
{
    intake_call_authenticate(call, delete_authed);
}

/* ---- GET .../deliveries ---- */

static struct json_object *ms_time_or_null(const char *ms_text)
{
    char *end;
    long long ms = strtoll(ms_text, &end, 10);
    if (!ms_text[0] || *end || ms <= 0)
        return NULL;
    char text[NOTIFY_TIME_LEN];
    notify_format_ms(ms, text);
    return json_object_new_string(text);
}

/* A delivery as JSON. */
static struct json_object *delivery_view(const struct queue_delivery_row *row, bool with_next)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "delivery_id", json_object_new_string(row->delivery_id));
    json_object_object_add(o, "event_id", json_object_new_string(row->event_id));
    json_object_object_add(o, "event", json_object_new_string(row->event));
    json_object_object_add(o, "claim_id", json_object_new_string(row->claim_id));
    json_object_object_add(o, "attempts", json_object_new_int(atoi(row->attempts)));
    if (with_next)
        json_object_object_add(o, "next_attempt_at", ms_time_or_null(row->next_at));
    int status = atoi(row->last_status);
    json_object_object_add(o, "last_status_code", status > 0 ? json_object_new_int(status) : NULL);
    json_object_object_add(o, "last_error", intake_call_string_or_null(row->last_error));
    json_object_object_add(o, "last_attempt_at", intake_call_string_or_null(row->last_attempt_at));
    return o;
}

static void on_log(enum queue_status status, const char *const *log, size_t n_log,
                   const struct queue_delivery_row *pending, size_t n_pending,
                   const struct queue_delivery_row *dead, size_t n_dead, void *arg)
{
    struct call *call = arg;
    if (intake_call_refuse_missing(call, status))
        return;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "webhook_id", json_object_new_string(call->path_id));
    struct json_object *attempts = json_object_new_array();
    for (size_t i = 0; i < n_log; i++) {
        struct json_object *entry = json_tokener_parse(log[i]);
        if (entry)
            json_object_array_add(attempts, entry);
    }
    json_object_object_add(o, "attempts", attempts);
    const char *names[] = {"pending", "dead"};
    const struct queue_delivery_row *rows[] = {pending, dead};
    size_t counts[] = {n_pending, n_dead};
    for (int part = 0; part < 2; part++) {
        struct json_object *list = json_object_new_array();
        for (size_t i = 0; i < counts[part]; i++)
            json_object_array_add(list, delivery_view(&rows[part][i], part == 0));
        json_object_object_add(o, names[part], list);
    }
    intake_call_json(call, 200, o);
}

static void deliveries_authed(struct call *call)
{
    if (!admin_with_valid_id(call))
        return;
    if (queue_webhook_log(call->app->redis, intake_call_key_prefix(call), call->path_id,
                          DELIVERIES_LIST_MAX, on_log, call) != 0)
        intake_call_unavailable(call);
}

void intake_webhooks_deliveries(struct call *call)
{
    intake_call_authenticate(call, deliveries_authed);
}
