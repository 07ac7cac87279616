#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "intake/accounts_api.h"
#include "intake/admin_api.h"
#include "intake/appeals_api.h"
#include "intake/api.h"
#include "intake/claims_reads.h"
#include "intake/claims_search.h"
#include "intake/claims_submit.h"
#include "intake/claims_supply.h"
#include "intake/corrections_api.h"
#include "intake/eligibility_api.h"
#include "intake/group_events_api.h"
#include "intake/member_events_api.h"
#include "intake/portal.h"
#include "intake/queue_api.h"
#include "intake/recoveries.h"
#include "intake/review_api.h"
#include "intake/remit_api.h"
#include "intake/webhooks_api.h"
#include "intake/x12_api.h"
#include "log.h"
#include "queue/stats.h"
#include "intake/app.h"

/* GET /healthz: the process runs and its loop turns. */
static void handle_healthz(struct call *call)
{
    intake_call_respond(call, 200, JSON_CONTENT_TYPE, "{\"status\":\"ok\"}", 15);
}

static void redis_unavailable(struct call *call)
{
    intake_http_add_header(call->req, "Retry-After", "1");
    intake_call_error(call, 503, "redis_unavailable", "storage is not reachable");
}

static void on_ready_ping(enum queue_status status, void *arg)
{
    struct call *call = arg;
    if (status == QUEUE_OK) {
        const char *body = "{\"status\":\"ready\",\"redis\":\"ok\"}";
        intake_call_respond(call, 200, JSON_CONTENT_TYPE, body, strlen(body));
        return;
    }
    redis_unavailable(call);
}

/* GET /readyz: 200 only when Redis answers a PING through the event loop's
 * own connection, the one every request uses. */
static void handle_readyz(struct call *call)
{
    if (call->app->stopping) {
        intake_call_error(call, 503, "stopping", "the server is shutting down");
        return;
    }
    if (queue_ping(call->app->redis, on_ready_ping, call) != 0)
        redis_unavailable(call);
}

static void put_group(struct call *c)
{
    intake_admin_put_record(c, RECORD_GROUP);
}
static void get_group(struct call *c)
{
    intake_admin_get_record(c, RECORD_GROUP);
}
static void put_member(struct call *c)
{
    intake_admin_put_record(c, RECORD_MEMBER);
}
static void get_member(struct call *c)
{
    intake_admin_get_record(c, RECORD_MEMBER);
}
static void put_plan(struct call *c)
{
    intake_admin_put_record(c, RECORD_PLAN);
}
static void get_plan(struct call *c)
{
    intake_admin_get_record(c, RECORD_PLAN);
}

struct route {
    const char *method;
    const char *pattern; /* "{id}" matches one path segment */
    void (*handler)(struct call *call);
};

static const struct route routes[] = {
    {"GET", "/healthz", handle_healthz},
    {"GET", "/readyz", handle_readyz},
    {"POST", "/v1/claims", intake_claims_post},
    {"GET", "/v1/claims", intake_claims_search},
    {"GET", "/v1/claims/{id}", intake_claims_get},
    {"GET", "/v1/claims/{id}/audit", intake_claims_audit},
    {"POST", "/v1/claims/{id}/information", intake_claims_information},
    {"GET", "/v1/claims/{id}/eob", intake_claims_eob},
    {"POST", "/v1/claims/{id}/replace", intake_claims_replace},
    {"POST", "/v1/claims/{id}/void", intake_claims_void},
    {"GET", "/v1/eligibility", intake_eligibility_get},
    {"GET", "/v1/queue", intake_queue_get},
    {"POST", "/v1/queue/dead/{id}/retry", intake_queue_retry_dead},
    {"GET", "/metrics", intake_metrics_get},
    {"PUT", "/v1/groups/{id}", put_group},
    {"GET", "/v1/groups/{id}", get_group},
    {"POST", "/v1/groups/{id}/events", intake_group_events_post},
    {"PUT", "/v1/members/{id}", put_member},
    {"GET", "/v1/members/{id}", get_member},
    {"POST", "/v1/members/{id}/events", intake_member_events_post},
    {"PUT", "/v1/plans/{id}", put_plan},
    {"GET", "/v1/plans/{id}", get_plan},
    {"POST", "/v1/tokens", intake_admin_post_token},
    {"DELETE", "/v1/tokens/{id}", intake_admin_delete_token},
    {"PUT", "/v1/webhooks/{id}", intake_webhooks_put},
    {"GET", "/v1/webhooks/{id}", intake_webhooks_get},
    {"DELETE", "/v1/webhooks/{id}", intake_webhooks_delete},
    {"POST", "/v1/invitations", intake_invitations_post},
    {"POST", "/v1/accounts", intake_accounts_post},
    {"POST", "/v1/sessions", intake_sessions_post},
    {"DELETE", "/v1/sessions/current", intake_sessions_delete_current},
    {"GET", "/v1/me", intake_me_get},
    {"GET", "/v1/webhooks/{id}/deliveries", intake_webhooks_deliveries},
    {"POST", "/v1/x12", intake_x12_post},
    {"GET", "/v1/remittances", intake_remit_get},
    {"POST", "/v1/remittances/run", intake_remit_run},
    {"GET", "/v1/remittances/{id}/members", intake_remit_members},
    {"GET", "/v1/recoveries", intake_recoveries_get},
    {"POST", "/v1/claims/{id}/appeals", intake_appeals_file},
    {"GET", "/v1/appeals", intake_appeals_list},
    {"GET", "/v1/appeals/{id}", intake_appeals_get},
    {"POST", "/v1/appeals/{id}/decision", intake_appeals_decide},
    {"GET", "/v1/review", intake_review_list},
    {"POST", "/v1/claims/{id}/review", intake_review_post},
    {"POST", "/v1/recoveries/{id}/reverse", intake_recoveries_reverse},
};

/* Matches path against pattern; the {id} segment is copied into id. */
static bool match(const char *pattern, const char *path, char *id, size_t id_size)
{
    while (*pattern && *path) {
        if (strncmp(pattern, "{id}", 4) == 0) {
            const char *end = strchr(path, '/');
            size_t len = end ? (size_t)(end - path) : strlen(path);
            if (len == 0 || len >= id_size)
                return false;
            memcpy(id, path, len);
            id[len] = '\0';
            pattern += 4;
            path += len;
            continue;
        }
        if (*pattern != *path)
            return false;
        pattern++;
        path++;
    }
    return *pattern == '\0' && *path == '\0';
}

void intake_handle_request(struct http_request *req, void *arg)
{
    struct app *app = arg;
    bool path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        char id[sizeof((struct call *)0)->path_id];
        if (!match(routes[i].pattern, req->path, id, sizeof id))
            continue;
        path_known = true;
        if (strcmp(req->method, routes[i].method) != 0 &&
            !(strcmp(req->method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0))
            continue;
        struct call *call = intake_call_new(req, app);
        if (!call) {
            intake_http_respond_error(req, 503, "unavailable", "the server is out of memory");
            return;
        }
        memcpy(call->path_id, id, sizeof id);
        routes[i].handler(call);
        return;
    }
    if (!path_known && app->cfg.portal_dir[0] && intake_portal_serve(req, app->cfg.portal_dir))
        return;
    if (path_known)
        intake_http_respond_error(req, 405, "method_not_allowed",
                                  "this method is not allowed here");
    else
        intake_http_respond_error(req, 404, "not_found", "no such resource");
}
