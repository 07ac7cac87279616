#include "routes.h"

#include <hiredis/hiredis.h>
#include <string.h>

#include "log.h"
#include "server/app.h"

#define JSON_TYPE "application/json; charset=utf-8"

static void respond_json(struct http_request *req, int status, const char *body)
{
    http_respond(req, status, JSON_TYPE, body, strlen(body));
}

/* GET /healthz: the process runs and its loop turns. */
static void handle_healthz(struct http_request *req, struct app *app)
{
    (void)app;
    respond_json(req, 200, "{\"status\":\"ok\"}");
}

static void on_ready_ping(redisReply *reply, void *arg)
{
    struct http_request *req = arg;
    if (reply && reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0) {
        respond_json(req, 200, "{\"status\":\"ready\",\"redis\":\"ok\"}");
        return;
    }
    http_add_header(req, "Retry-After", "1");
    http_respond_error(req, 503, "redis_unavailable", "storage is not reachable");
}

/* GET /readyz: 200 only when Redis answers a PING through the event loop's
 * own connection, the one every request uses. */
static void handle_readyz(struct http_request *req, struct app *app)
{
    if (app->stopping) {
        http_respond_error(req, 503, "stopping", "the server is shutting down");
        return;
    }
    if (rconn_command(app->redis, on_ready_ping, req, "PING") != 0) {
        http_add_header(req, "Retry-After", "1");
        http_respond_error(req, 503, "redis_unavailable", "storage is not reachable");
    }
}

struct route {
    const char *method;
    const char *path;
    void (*handler)(struct http_request *req, struct app *app);
};

static const struct route routes[] = {
    {"GET", "/healthz", handle_healthz},
    {"GET", "/readyz", handle_readyz},
};

void intake_handle_request(struct http_request *req, void *arg)
{
    struct app *app = arg;
    bool path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        if (strcmp(req->path, routes[i].path) != 0)
            continue;
        path_known = true;
        if (strcmp(req->method, routes[i].method) == 0 ||
            (strcmp(req->method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
            routes[i].handler(req, app);
            return;
        }
    }
    if (path_known)
        http_respond_error(req, 405, "method_not_allowed", "this method is not allowed here");
    else
        http_respond_error(req, 404, "not_found", "no such resource");
}
