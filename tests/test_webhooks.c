/*
 * Webhook notifications end to end: a real redis-server, real claimsd
 * processes and a receiver written here (a small HTTP server on a free port,
 * in a thread, that records every request and answers 500 or 200 as told).
 * Subscriptions are admin only and never show their secret; a finalized or
 * pended claim reaches the subscriptions that want that event, signed with
 * HMAC-SHA256 over "<t>.<body>", with no PHI in the body; a 500 is retried
 * and then delivered, a delivery failing max_attempts times is dead and
 * shown in the log; a due delivery is attempted by a new process after a
 * restart; two processes on one Redis deliver each event once. Receivers
 * whose address is not public (loopback, private, link-local, ... in any
 * numeric form) are refused at registration and again at each attempt,
 * unless webhooks.allow_private lists them: the receivers here listen on
 * 127.0.0.1, which the config of most tests allows.
 */
#include <arpa/inet.h>
#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "date.h"
#include "notify/webhook.h"
#include "harness/harness.h"
#include "queue/queue.h"
#include "queue/redis_conn.h"
#include "queue/shards.h"
#include "queue/webhooks.h"
#include "config.h"

#define ADMIN "webhook-tests-bootstrap-admin-token-0123456789"
#define SECRET "whsec-test-0123456789abcdefghijklmnopqrstuvwxyz"
#define MAX_ATTEMPTS 3

static struct test_redis redis;
static struct test_claimsd server;
static char cfg_path[512];        /* allows 127.0.0.1 (the receivers) and 192.0.2.0/24 */
static char cfg_public_path[512]; /* no webhooks.allow_private: public receivers only */
/* The fixed answer and log text for a receiver whose address is not public. */
#define NOT_PUBLIC "host is not a public address"
#define REFUSED_ERROR "address not allowed"

static const char *const server_env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN,
                                         "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1", NULL};

/* ---- the receiver ---- */

#define MAX_REQUESTS 128

struct received {
    char path[64];
    char content_type[64];
    char event[64];
    char delivery[160];
    char signature[160];
    char *body;
};

struct receiver {
    int fd;
    int port;
    pthread_t thread;
    volatile int stop;
    pthread_mutex_t mu;
    int fail_first;   /* answer 500 to this many requests, then 200 */
    bool always_fail; /* answer 500 to everything */
    int hang_first;   /* keep this many requests waiting 4 s before answering */
    int n;
    struct received req[MAX_REQUESTS];
};

static void header_value(const char *head, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    size_t n = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line && line[2];
         line = strstr(line + 2, "\r\n")) {
        const char *p = line + 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ')
                p++;
            const char *end = strstr(p, "\r\n");
            snprintf(out, size, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
            return;
        }
    }
}

/* Reads one request (headers, then Content-Length bytes), records it and
 * answers; one request per connection. */
static void serve_one(struct receiver *r, int c)
{
    struct timeval tv = {3, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[16384];
    size_t len = 0;
    char *end = NULL;
    while (!end && len < sizeof buf - 1) {
        ssize_t got = recv(c, buf + len, sizeof buf - 1 - len, 0);
        if (got <= 0)
            return;
        len += (size_t)got;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end)
        return;
    *end = '\0';
    char value[64];
    header_value(buf, "Content-Length", value, sizeof value);
    size_t want = (size_t)atol(value), have = len - (size_t)(end + 4 - buf);
    char *body = malloc(want + 1);
    memcpy(body, end + 4, have < want ? have : want);
    while (have < want) {
        ssize_t got = recv(c, body + have, want - have, 0);
        if (got <= 0)
            break;
        have += (size_t)got;
    }
    body[have < want ? have : want] = '\0';
    int status = 200;
    bool hang = false;
    pthread_mutex_lock(&r->mu);
    if (r->n < MAX_REQUESTS) {
        struct received *q = &r->req[r->n];
        sscanf(buf, "POST %63s", q->path);
        header_value(buf, "Content-Type", q->content_type, sizeof q->content_type);
        header_value(buf, "X-Claims-Event", q->event, sizeof q->event);
        header_value(buf, "X-Claims-Delivery", q->delivery, sizeof q->delivery);
        header_value(buf, "X-Claims-Signature", q->signature, sizeof q->signature);
        q->body = body;
        body = NULL;
        status = r->always_fail || r->n < r->fail_first ? 500 : 200;
        hang = r->n < r->hang_first;
        r->n++;
    }
    pthread_mutex_unlock(&r->mu);
    free(body);
    if (hang)
        test_sleep_ms(4000);
    char answer[128];
    int n = snprintf(answer, sizeof answer,
                     "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", status);
    if (send(c, answer, (size_t)n, MSG_NOSIGNAL) < 0)
        return;
}

static void *receiver_main(void *arg)
{
    struct receiver *r = arg;
    while (!r->stop) {
        struct pollfd p = {r->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(r->fd, NULL, NULL);
        if (c < 0)
            continue;
        serve_one(r, c);
        close(c);
    }
    return NULL;
}

static void receiver_start(struct receiver *r, int fail_first, bool always_fail)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->fail_first = fail_first;
    r->always_fail = always_fail;
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sin;
    ck_assert_int_eq(bind(r->fd, (struct sockaddr *)&sin, sizeof sin), 0);
    ck_assert_int_eq(listen(r->fd, 64), 0);
    getsockname(r->fd, (struct sockaddr *)&sin, &sl);
    r->port = ntohs(sin.sin_port);
    ck_assert_int_eq(pthread_create(&r->thread, NULL, receiver_main, r), 0);
}

static void receiver_stop(struct receiver *r)
{
    r->stop = 1;
    pthread_join(r->thread, NULL);
    close(r->fd);
    for (int i = 0; i < r->n; i++)
        free(r->req[i].body);
    pthread_mutex_destroy(&r->mu);
}

/* How many requests came for path (NULL: any). */
static int received_count(struct receiver *r, const char *path)
{
    pthread_mutex_lock(&r->mu);
    int n = 0;
    for (int i = 0; i < r->n; i++)
        n += !path || strcmp(r->req[i].path, path) == 0;
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* Waits until count requests came for path; fails the test after timeout. */
static void wait_received(struct receiver *r, const char *path, int count, int timeout_ms)
{
    for (int waited = 0; received_count(r, path) < count; waited += 20) {
        ck_assert_msg(waited < timeout_ms, "the receiver got %d of %d requests for %s",
                      received_count(r, path), count, path ? path : "any path");
        test_sleep_ms(20);
    }
}

/* The index-th request for path (the receiver is done with it). */
static const struct received *request_for(struct receiver *r, const char *path, int index)
{
    pthread_mutex_lock(&r->mu);
    const struct received *found = NULL;
    for (int i = 0, k = 0; i < r->n && !found; i++)
        if (strcmp(r->req[i].path, path) == 0 && k++ == index)
            found = &r->req[i];
    pthread_mutex_unlock(&r->mu);
    ck_assert_ptr_nonnull(found);
    return found;
}

/* ---- claimsd ---- */

/* Two configs: cfg_path with the allow list the receivers need (127.0.0.1)
 * and a documentation block for subscriptions that are never delivered,
 * cfg_public_path without one. */
static const char *config_extra = ""; /* more keys, each after a comma */

static void write_config(const char *dir, int backoff_base_ms)
{
    const char *allow = ", \"allow_private\": [\"127.0.0.1/32\", \"192.0.2.0/24\"]";
    for (int with_allow = 0; with_allow < 2; with_allow++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"seed_dir\": \"%s/sample\", \"webhooks\": {\"backoff_base_ms\": %d,"
                 " \"backoff_max_ms\": %d, \"max_attempts\": %d, \"poll_interval_ms\": 100,"
                 " \"timeout_ms\": 2000, \"connect_timeout_ms\": 1000%s}%s}",
                 getenv("CLAIMS_CONFIG_DIR"), backoff_base_ms, backoff_base_ms * 2, MAX_ATTEMPTS,
                 with_allow ? allow : "", config_extra);
        const char *path =
            test_write_file(dir, with_allow ? "webhooks.json" : "webhooks-public.json", text);
        snprintf(with_allow ? cfg_path : cfg_public_path, sizeof cfg_path, "%s", path);
    }
}

static void start_with(struct test_claimsd *d, const char *config, const char *const extra[])
{
    const char *args[16] = {"--redis", redis.url, "--config", config};
    int n = 4;
    for (const char *const *a = extra; a && *a; a++)
        args[n++] = *a;
    args[n] = NULL;
    test_claimsd_start_or_exit(d, args, server_env, "");
}

static void start(struct test_claimsd *d, const char *const extra[])
{
    start_with(d, cfg_path, extra);
}

static void stop_cleanly(struct test_claimsd *d)
{
    int status = test_claimsd_stop(d, SIGTERM);
    if (status != 0) {
        char *log = test_claimsd_log(d);
        fprintf(stderr, "claimsd exited %d; its log:\n%s\n", status, log);
        free(log);
    }
    ck_assert_int_eq(status, 0);
    test_remove_tree(d->dir);
}

static void setup_with(int backoff_base_ms, bool with_server)
{
    test_redis_start(&redis);
    write_config(redis.dir, backoff_base_ms);
    memset(&server, 0, sizeof server);
    if (with_server)
        start(&server, (const char *const[]){"--workers", "2", NULL});
}

static void setup(void)
{
    setup_with(200, true);
}

/* Redis only: the test runs its own claimsd processes. */
static void setup_store_only(void)
{
    setup_with(2000, false);
}

/* A claimsd without webhooks.allow_private. */
static void setup_public_only(void)
{
    setup_with(200, false);
    start_with(&server, cfg_public_path, (const char *const[]){"--workers", "2", NULL});
}

/* Claims on 16 shards (issue 12). */
static void setup_sharded(void)
{
    config_extra = ", \"shards\": 16";
    setup_with(200, true);
    config_extra = "";
}

static void teardown(void)
{
    if (server.pid > 0)
        test_claimsd_stop_clean(&server);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
}

/* ---- API helpers ---- */

static long put_webhook(const struct test_claimsd *d, const char *id, const char *body,
                        struct test_response *res)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/webhooks/%s", id);
    test_api(d, "PUT", path, ADMIN, body, NULL, res);
    return res->status;
}

/* Subscribes id to events (a JSON list) at path on the receiver. */
static void subscribe(const struct test_claimsd *d, const char *id, const struct receiver *r,
                      const char *path, const char *events)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"url\": \"http://127.0.0.1:%d%s\", \"events\": %s, \"secret\": \"" SECRET "\"}",
             r->port, path, events);
    struct test_response res;
    long status = put_webhook(d, id, body, &res);
    ck_assert_msg(status == 201 || status == 200, "%ld %s", status, res.body);
    test_response_free(&res);
}

/* A pharmacy claim for Ana (approved) or Maria (pended: other insurance
 * pays first). charge_cents keeps claims from being duplicates. */
static void submit(const struct test_claimsd *d, bool pends, int charge_cents, char id[64])
{
    char fill[16], charge[16];
    snprintf(charge, sizeof charge, "%d.%02d", charge_cents / 100, charge_cents % 100);
    char *body =
        test_pharmacy_claim(pends ? "M1001-01" : "M1001-02", pends ? "Maria" : "Ana", "Lopez",
                            pends ? "1977-03-02" : "2015-06-10", test_days_ago(3, fill),
                            pends ? "00093505698" : "0071-0155-23", charge, NULL);
    test_submit_claim(d, ADMIN, body, id);
    free(body);
}

/* GET .../deliveries; the caller frees. */
static char *deliveries(const struct test_claimsd *d, const char *id)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/webhooks/%s/deliveries", id);
    struct test_response res;
    test_api(d, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    free(res.headers);
    return res.body;
}

/* Polls the delivery log until its newest attempt has this result. */
static char *wait_log_result(const struct test_claimsd *d, const char *id, const char *result)
{
    for (int i = 0; i < 500; i++) {
        char *log = deliveries(d, id);
        if (strcmp(test_json_str(log, "attempts.0.result"), result) == 0)
            return log;
        free(log);
        test_sleep_ms(20);
    }
    ck_abort_msg("the delivery log of %s never showed %s", id, result);
    return NULL;
}

static void create_token(const char *body, char out[80])
{
    struct test_response res;
    test_api(&server, "POST", "/v1/tokens", ADMIN, body, NULL, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    snprintf(out, 80, "%s", test_json_str(res.body, "token"));
    test_response_free(&res);
}

/* ---- subscriptions ---- */

START_TEST(test_subscription_is_stored_and_its_secret_never_returned)
{
    const char *body = "{\"url\": \"https://192.0.2.10/claims?x=1\", \"events\": "
                       "[\"claim.pended\", \"claim.finalized\"], \"secret\": \"" SECRET "\"}";
    struct test_response res;
    ck_assert_int_eq(put_webhook(&server, "billing", body, &res), 201);
    ck_assert_str_eq(test_json_str(res.body, "id"), "billing");
    ck_assert_str_eq(test_json_str(res.body, "url"), "https://192.0.2.10/claims?x=1");
    ck_assert_str_eq(test_json_str(res.body, "events.0"), "claim.finalized");
    ck_assert_str_eq(test_json_str(res.body, "events.1"), "claim.pended");
    ck_assert_str_eq(test_json_str(res.body, "secret_set"), "true");
    ck_assert_ptr_null(strstr(res.body, SECRET));
    ck_assert_ptr_null(strstr(res.body, "\"secret\""));
    char created[32];
    snprintf(created, sizeof created, "%s", test_json_str(res.body, "created_at"));
    test_response_free(&res);

    test_api(&server, "GET", "/v1/webhooks/billing", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "secret_set"), "true");
    ck_assert_str_eq(test_json_str(res.body, "created_at"), created);
    ck_assert_int_eq(test_json_len(res.body, "events"), 2);
    ck_assert_ptr_null(strstr(res.body, SECRET));
    ck_assert_ptr_null(strstr(res.body, "\"secret\""));
    test_response_free(&res);

    /* A second PUT replaces it: 200, created_at kept. */
    const char *narrower = "{\"url\": \"http://127.0.0.1:9/x\", \"events\": [\"claim.pended\"],"
                           " \"secret\": \"" SECRET "-rotated\"}";
    ck_assert_int_eq(put_webhook(&server, "billing", narrower, &res), 200);
    ck_assert_str_eq(test_json_str(res.body, "created_at"), created);
    ck_assert_int_eq(test_json_len(res.body, "events"), 1);
    ck_assert_str_eq(test_json_str(res.body, "events.0"), "claim.pended");
    test_response_free(&res);

    char *log = deliveries(&server, "billing");
    ck_assert_int_eq(test_json_len(log, "attempts"), 0);
    ck_assert_int_eq(test_json_len(log, "pending"), 0);
    ck_assert_int_eq(test_json_len(log, "dead"), 0);
    free(log);

    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/billing", ADMIN, NULL), 204);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/webhooks/billing", ADMIN, NULL), 404);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/webhooks/billing/deliveries", ADMIN, NULL),
                     404);
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/billing", ADMIN, NULL), 404);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/webhooks/no-such-hook", ADMIN, NULL), 404);
}
END_TEST

/* The first field error of a PUT with body, which must be answered 422. */
static void assert_refused(const char *body, const char *field, const char *problem)
{
    struct test_response res;
    ck_assert_int_eq(put_webhook(&server, "bad", body, &res), 422);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "validation_failed");
    ck_assert_msg(strcmp(test_json_str(res.body, "error.fields.0.field"), field) == 0,
                  "field %s in %s", field, res.body);
    ck_assert_msg(strcmp(test_json_str(res.body, "error.fields.0.problem"), problem) == 0,
                  "problem %s in %s", problem, res.body);
    ck_assert_ptr_null(strstr(res.body, "short-secret"));
    test_response_free(&res);
}

START_TEST(test_invalid_subscriptions_are_refused_with_the_field_named)
{
#define OK_URL "\"url\": \"https://192.0.2.10/x\""
#define OK_EVENTS "\"events\": [\"claim.finalized\"]"
#define OK_SECRET "\"secret\": \"" SECRET "\""
    assert_refused("{" OK_URL ", " OK_EVENTS ", " OK_SECRET ", \"colour\": \"red\"}", "colour",
                   "unknown field");
    assert_refused("{\"url\": \"ftp://hooks.example.com/x\", " OK_EVENTS ", " OK_SECRET "}", "url",
                   "must be an http or https URL with a host");
    assert_refused("{\"url\": \"http://\", " OK_EVENTS ", " OK_SECRET "}", "url",
                   "must be an http or https URL with a host");
    assert_refused("{\"url\": \"hooks.example.com/x\", " OK_EVENTS ", " OK_SECRET "}", "url",
                   "must be an http or https URL with a host");
    assert_refused("{\"url\": 42, " OK_EVENTS ", " OK_SECRET "}", "url",
                   "must be an http or https URL with a host");
    assert_refused("{\"url\": \"https://user:pw@hooks.example.com/x\", " OK_EVENTS ", " OK_SECRET
                   "}",
                   "url", "must not contain a user name or password");
    assert_refused("{" OK_URL ", \"events\": [], " OK_SECRET "}", "events",
                   "must be a non-empty list of claim.finalized, claim.pended, claim.in_review, "
                   "claim.replaced, claim.voided, claim.adjusted, appeal.filed, appeal.decided");
    assert_refused("{" OK_URL ", \"events\": \"claim.finalized\", " OK_SECRET "}", "events",
                   "must be a non-empty list of claim.finalized, claim.pended, claim.in_review, "
                   "claim.replaced, claim.voided, claim.adjusted, appeal.filed, appeal.decided");
    assert_refused("{" OK_URL ", \"events\": [\"claim.finalized\", \"claim.paid\"], " OK_SECRET "}",
                   "events[1]",
                   "must be claim.finalized, claim.pended, claim.in_review, claim.replaced, "
                   "claim.voided, claim.adjusted, appeal.filed or appeal.decided");
    assert_refused("{" OK_URL ", \"events\": [\"claim.pended\", \"claim.pended\"], " OK_SECRET "}",
                   "events[1]", "is listed twice");
    assert_refused("{" OK_URL ", " OK_EVENTS ", \"secret\": \"short-secret\"}", "secret",
                   "must be at least 32 characters");
    assert_refused("{" OK_URL ", " OK_EVENTS ", \"secret\": \"with a space 0123456789abcdefghij\"}",
                   "secret", "must be printable ASCII without spaces");

    struct test_response res;
    ck_assert_int_eq(put_webhook(&server, "bad", "{}", &res), 422);
    ck_assert_int_eq(test_json_len(res.body, "error.fields"), 3);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "url");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"), "is required");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.1.field"), "events");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.2.field"), "secret");
    test_response_free(&res);
    ck_assert_int_eq(put_webhook(&server, "bad", "{\"url\": ", &res), 400);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "invalid_json");
    test_response_free(&res);
    test_api(&server, "PUT", "/v1/webhooks/bad", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 415);
    test_response_free(&res);
    /* Ids are 1..64 of [A-Za-z0-9._-]. */
    ck_assert_int_eq(test_status(&server, "PUT", "/v1/webhooks/bad%20id", ADMIN,
                                 "{" OK_URL ", " OK_EVENTS ", " OK_SECRET "}"),
                     404);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/webhooks/bad", ADMIN, NULL), 404);
}
END_TEST

START_TEST(test_only_admins_manage_webhooks)
{
    char staff[80], member[80], provider[80];
    create_token("{\"role\":\"staff\"}", staff);
    create_token("{\"role\":\"member\",\"member_id\":\"M1001\"}", member);
    create_token("{\"role\":\"provider\",\"npi\":\"1245319599\"}", provider);
    const char *body = "{" OK_URL ", " OK_EVENTS ", " OK_SECRET "}";
    struct test_response res;
    ck_assert_int_eq(put_webhook(&server, "ops", body, &res), 201);
    test_response_free(&res);
    const char *tokens[] = {staff, member, provider};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(test_status(&server, "PUT", "/v1/webhooks/ops", tokens[i], body), 403);
        ck_assert_int_eq(test_status(&server, "GET", "/v1/webhooks/ops", tokens[i], NULL), 403);
        ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/ops", tokens[i], NULL), 403);
        ck_assert_int_eq(
            test_status(&server, "GET", "/v1/webhooks/ops/deliveries", tokens[i], NULL), 403);
    }
    ck_assert_int_eq(test_status(&server, "PUT", "/v1/webhooks/ops", NULL, body), 401);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/webhooks/ops", NULL, NULL), 401);
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/ops", NULL, NULL), 401);
    ck_assert_int_eq(
        test_status(&server, "GET", "/v1/webhooks/ops/deliveries", "not-a-token", NULL), 401);
    ck_assert_int_eq(test_status(&server, "POST", "/v1/webhooks/ops", ADMIN, body), 405);
    /* Still there, unchanged by the refused calls. */
    ck_assert_int_eq(test_status(&server, "GET", "/v1/webhooks/ops", ADMIN, NULL), 200);
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/ops", ADMIN, NULL), 204);
}
END_TEST

/* ---- deliveries ---- */

/* HMAC-SHA256(secret, "<t>.<body>") in hex, computed here independently. */
static void expected_signature(const char *t, const char *body, char hex[65])
{
    size_t tlen = strlen(t), blen = strlen(body);
    char *signed_text = malloc(tlen + 1 + blen + 1);
    snprintf(signed_text, tlen + 1 + blen + 1, "%s.%s", t, body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)signed_text,
         tlen + 1 + blen, mac, &mac_len);
    free(signed_text);
    ck_assert_uint_eq(mac_len, 32);
    for (unsigned i = 0; i < mac_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

START_TEST(test_finalized_claim_is_posted_signed_and_without_phi)
{
    struct receiver r;
    receiver_start(&r, 0, false);
    subscribe(&server, "signed", &r, "/signed", "[\"claim.finalized\"]");
    char id[64];
    submit(&server, false, 4217, id);
    wait_received(&r, "/signed", 1, 10000);
    const struct received *q = request_for(&r, "/signed", 0);

    ck_assert_str_eq(q->content_type, "application/json");
    ck_assert_str_eq(q->event, "claim.finalized");
    /* The signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>. */
    char t[32], v1[80];
    ck_assert_int_eq(sscanf(q->signature, "t=%31[0-9],v1=%79s", t, v1), 2);
    char want[65];
    expected_signature(t, q->body, want);
    ck_assert_str_eq(v1, want);
    long long age = (long long)time(NULL) - atoll(t);
    ck_assert_msg(age >= 0 && age < 60, "signature time %s is %lld s old", t, age);
    /* A different body or secret does not verify. */
    char other[65];
    expected_signature(t, "{}", other);
    ck_assert_str_ne(v1, other);

    /* The body: exactly the documented keys; no PHI. */
    struct json_object *body = json_tokener_parse(q->body);
    ck_assert_ptr_nonnull(body);
    const char *keys[] = {"event_id", "event", "claim_id", "status", "occurred_at"};
    ck_assert_int_eq(json_object_object_length(body), 5);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(json_object_object_get_ex(body, keys[i], NULL), "no %s", keys[i]);
    json_object_put(body);
    ck_assert_str_eq(test_json_str(q->body, "event"), "claim.finalized");
    ck_assert_str_eq(test_json_str(q->body, "claim_id"), id);
    ck_assert_str_eq(test_json_str(q->body, "status"), "approved");
    ck_assert_uint_eq(strlen(test_json_str(q->body, "occurred_at")), 24);
    char event_id[64];
    snprintf(event_id, sizeof event_id, "%s", test_json_str(q->body, "event_id"));
    ck_assert(strchr(event_id, '-') != NULL);
    const char *phi[] = {"M1001", "Ana",  "Lopez",      "2015-06-10",  "42.17",    "7.17",
                         "35.00", "0071", "1245319599", "Corner Drug", "Test drug"};
    /* The server's own numbers (the event id, the time) are masked first:
     * "…:37.173Z" would otherwise read as the amount 7.17. */
    char masked[2048];
    snprintf(masked, sizeof masked, "%s", q->body);
    const char *own[] = {event_id, test_json_str(q->body, "occurred_at")};
    for (size_t k = 0; k < 2; k++) {
        char *at = own[k][0] ? strstr(masked, own[k]) : NULL;
        if (at)
            memset(at, '#', strlen(own[k]));
    }
    for (size_t i = 0; i < sizeof phi / sizeof *phi; i++)
        ck_assert_msg(!strstr(masked, phi[i]), "the body carries %s: %s", phi[i], q->body);
    /* The delivery id names the event and the subscription. */
    char want_delivery[160];
    snprintf(want_delivery, sizeof want_delivery, "%s.signed", event_id);
    ck_assert_str_eq(q->delivery, want_delivery);

    char *log = wait_log_result(&server, "signed", "delivered");
    ck_assert_int_eq(test_json_len(log, "attempts"), 1);
    ck_assert_str_eq(test_json_str(log, "attempts.0.delivery_id"), want_delivery);
    ck_assert_str_eq(test_json_str(log, "attempts.0.event_id"), event_id);
    ck_assert_str_eq(test_json_str(log, "attempts.0.claim_id"), id);
    ck_assert_str_eq(test_json_str(log, "attempts.0.attempt"), "1");
    ck_assert_str_eq(test_json_str(log, "attempts.0.status_code"), "200");
    ck_assert_int_eq(test_json_len(log, "pending"), 0);
    free(log);
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/signed", ADMIN, NULL), 204);
    receiver_stop(&r);
}
END_TEST

START_TEST(test_delivery_answered_500_is_retried_and_then_delivered)
{
    struct receiver r;
    receiver_start(&r, 1, false);
    subscribe(&server, "retry", &r, "/retry", "[\"claim.finalized\"]");
    char id[64];
    submit(&server, false, 1234, id);
    wait_received(&r, "/retry", 2, 10000);
    const struct received *first = request_for(&r, "/retry", 0);
    const struct received *second = request_for(&r, "/retry", 1);
    /* The same delivery, the same bytes, a fresh valid signature. */
    ck_assert_str_eq(first->delivery, second->delivery);
    ck_assert_str_eq(first->body, second->body);
    char t[32], v1[80], want[65];
    ck_assert_int_eq(sscanf(second->signature, "t=%31[0-9],v1=%79s", t, v1), 2);
    expected_signature(t, second->body, want);
    ck_assert_str_eq(v1, want);

    char *log = wait_log_result(&server, "retry", "delivered");
    ck_assert_int_eq(test_json_len(log, "attempts"), 2);
    /* Newest first. */
    ck_assert_str_eq(test_json_str(log, "attempts.0.attempt"), "2");
    ck_assert_str_eq(test_json_str(log, "attempts.0.status_code"), "200");
    ck_assert_str_eq(test_json_str(log, "attempts.0.next_attempt_at"), "");
    ck_assert_str_eq(test_json_str(log, "attempts.1.attempt"), "1");
    ck_assert_str_eq(test_json_str(log, "attempts.1.status_code"), "500");
    ck_assert_str_eq(test_json_str(log, "attempts.1.result"), "retry");
    ck_assert_str_eq(test_json_str(log, "attempts.1.claim_id"), id);
    ck_assert_uint_eq(strlen(test_json_str(log, "attempts.1.next_attempt_at")), 24);
    ck_assert_int_eq(test_json_len(log, "pending"), 0);
    ck_assert_int_eq(test_json_len(log, "dead"), 0);
    free(log);
    /* Delivered is final: nothing more arrives. */
    test_sleep_ms(800);
    ck_assert_int_eq(received_count(&r, "/retry"), 2);
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/retry", ADMIN, NULL), 204);
    receiver_stop(&r);
}
END_TEST

START_TEST(test_each_subscription_gets_only_the_events_it_asked_for)
{
    struct receiver r;
    receiver_start(&r, 0, false);
    subscribe(&server, "finals", &r, "/finals", "[\"claim.finalized\"]");
    subscribe(&server, "pends", &r, "/pends", "[\"claim.pended\"]");
    subscribe(&server, "both", &r, "/both", "[\"claim.finalized\", \"claim.pended\"]");
    char approved[64], pended[64];
    submit(&server, false, 2001, approved);
    submit(&server, true, 1200, pended);
    wait_received(&r, "/finals", 1, 10000);
    wait_received(&r, "/pends", 1, 10000);
    wait_received(&r, "/both", 2, 10000);
    test_sleep_ms(800); /* and nothing else comes */
    ck_assert_int_eq(received_count(&r, "/finals"), 1);
    ck_assert_int_eq(received_count(&r, "/pends"), 1);
    ck_assert_int_eq(received_count(&r, "/both"), 2);
    const struct received *f = request_for(&r, "/finals", 0), *p = request_for(&r, "/pends", 0);
    ck_assert_str_eq(f->event, "claim.finalized");
    ck_assert_str_eq(test_json_str(f->body, "claim_id"), approved);
    ck_assert_str_eq(p->event, "claim.pended");
    ck_assert_str_eq(test_json_str(p->body, "claim_id"), pended);
    ck_assert_str_eq(test_json_str(p->body, "status"), "pended");
    ck_assert_ptr_null(strstr(p->body, "Maria"));
    ck_assert_ptr_null(strstr(p->body, "M1001"));
    const char *ids[] = {"finals", "pends", "both"};
    for (int i = 0; i < 3; i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/webhooks/%s", ids[i]);
        ck_assert_int_eq(test_status(&server, "DELETE", path, ADMIN, NULL), 204);
    }
    receiver_stop(&r);
}
END_TEST

/* Waits until the claim is approved or denied. */
static void wait_final(const char *id)
{
    free(test_wait_claim(&server, ADMIN, id, "approved|denied", 10000));
}

START_TEST(test_appeal_filed_and_decided_are_posted_to_their_subscribers)
{
    struct receiver r;
    receiver_start(&r, 0, false);
    subscribe(&server, "appeals", &r, "/appeals", "[\"appeal.filed\", \"appeal.decided\"]");
    char id[64], path[128], appeal[64];
    submit(&server, false, 4001, id);
    wait_final(id);
    snprintf(path, sizeof path, "/v1/claims/%s/appeals", id);
    struct test_response res;
    test_api(&server, "POST", path, ADMIN, "{\"statement\": \"Ana needs the brand drug.\"}", NULL,
             &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    snprintf(appeal, sizeof appeal, "%s", test_json_str(res.body, "appeal_id"));
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/appeals/%s/decision", appeal);
    ck_assert_int_eq(
        test_status(&server, "POST", path, ADMIN, "{\"outcome\": \"upheld\", \"note\": \"x\"}"),
        200);
    wait_received(&r, "/appeals", 2, 10000);
    test_sleep_ms(800); /* and the claim's own finalization is not among them */
    ck_assert_int_eq(received_count(&r, "/appeals"), 2);
    const struct received *filed = request_for(&r, "/appeals", 0),
                          *decided = request_for(&r, "/appeals", 1);
    /* No ordering is promised: take them as they came. */
    if (strcmp(filed->event, "appeal.filed") != 0) {
        const struct received *t = filed;
        filed = decided;
        decided = t;
    }
    ck_assert_str_eq(filed->event, "appeal.filed");
    ck_assert_str_eq(test_json_str(filed->body, "event"), "appeal.filed");
    ck_assert_str_eq(test_json_str(filed->body, "claim_id"), id);
    ck_assert_str_eq(test_json_str(filed->body, "status"), "open");
    ck_assert_str_eq(decided->event, "appeal.decided");
    ck_assert_str_eq(test_json_str(decided->body, "claim_id"), id);
    ck_assert_str_eq(test_json_str(decided->body, "status"), "upheld");
    /* The five keys only: not the statement, not the note. */
    ck_assert_ptr_null(strstr(filed->body, "brand"));
    ck_assert_ptr_null(strstr(filed->body, "appeal_id"));
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/appeals", ADMIN, NULL), 204);
    receiver_stop(&r);
}
END_TEST

START_TEST(test_delivery_failing_max_attempts_times_is_dead_and_shown)
{
    struct receiver r;
    receiver_start(&r, 0, true);
    subscribe(&server, "broken", &r, "/broken", "[\"claim.finalized\"]");
    char id[64];
    submit(&server, false, 3003, id);
    wait_received(&r, "/broken", MAX_ATTEMPTS, 15000);
    char *log = wait_log_result(&server, "broken", "dead");
    ck_assert_int_eq(test_json_len(log, "attempts"), MAX_ATTEMPTS);
    ck_assert_str_eq(test_json_str(log, "attempts.0.attempt"), "3");
    ck_assert_str_eq(test_json_str(log, "attempts.0.status_code"), "500");
    ck_assert_str_eq(test_json_str(log, "attempts.0.next_attempt_at"), "");
    ck_assert_str_eq(test_json_str(log, "attempts.1.result"), "retry");
    ck_assert_int_eq(test_json_len(log, "pending"), 0);
    ck_assert_int_eq(test_json_len(log, "dead"), 1);
    ck_assert_str_eq(test_json_str(log, "dead.0.claim_id"), id);
    ck_assert_str_eq(test_json_str(log, "dead.0.attempts"), "3");
    ck_assert_str_eq(test_json_str(log, "dead.0.last_status_code"), "500");
    ck_assert_str_eq(test_json_str(log, "dead.0.delivery_id"),
                     test_json_str(log, "attempts.0.delivery_id"));
    free(log);
    test_sleep_ms(1000); /* dead is final */
    ck_assert_int_eq(received_count(&r, "/broken"), MAX_ATTEMPTS);
    receiver_stop(&r);

    /* Nobody listening: a network error, also retried and logged. */
    subscribe(&server, "nobody", &r, "/gone", "[\"claim.finalized\"]");
    submit(&server, false, 3004, id);
    log = wait_log_result(&server, "nobody", "retry");
    ck_assert_str_eq(test_json_str(log, "attempts.0.status_code"), "");
    ck_assert_str_eq(test_json_str(log, "attempts.0.error"), "Couldn't connect to server");
    ck_assert_int_eq(test_json_len(log, "pending"), 1);
    ck_assert_str_eq(test_json_str(log, "pending.0.claim_id"), id);
    ck_assert_uint_eq(strlen(test_json_str(log, "pending.0.next_attempt_at")), 24);
    free(log);
    /* Deleting the subscription drops its undelivered deliveries. */
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/nobody", ADMIN, NULL), 204);
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/broken", ADMIN, NULL), 204);
}
END_TEST

/* ---- restarts and several processes ---- */

START_TEST(test_due_delivery_is_attempted_by_a_new_process_after_a_restart)
{
    struct receiver r;
    receiver_start(&r, 1, false);
    struct test_claimsd first = {0};
    start(&first, (const char *const[]){"--workers", "2", NULL});
    subscribe(&first, "durable", &r, "/durable", "[\"claim.finalized\"]");
    char id[64];
    submit(&first, false, 5005, id);
    wait_received(&r, "/durable", 1, 10000);
    char *log = wait_log_result(&first, "durable", "retry");
    free(log);
    /* The retry is due 2 s later; this process stops before that. */
    stop_cleanly(&first);
    ck_assert_int_eq(received_count(&r, "/durable"), 1);

    struct test_claimsd second = {0};
    start(&second, (const char *const[]){"--workers", "0", NULL});
    wait_received(&r, "/durable", 2, 10000);
    ck_assert_str_eq(request_for(&r, "/durable", 1)->delivery,
                     request_for(&r, "/durable", 0)->delivery);
    log = wait_log_result(&second, "durable", "delivered");
    ck_assert_str_eq(test_json_str(log, "attempts.0.attempt"), "2");
    ck_assert_str_eq(test_json_str(log, "attempts.0.claim_id"), id);
    free(log);
    stop_cleanly(&second);
    receiver_stop(&r);
}
END_TEST

START_TEST(test_attempt_abandoned_at_stop_is_made_again_by_another_process)
{
    struct receiver r;
    receiver_start(&r, 0, false);
    r.hang_first = 1;
    struct test_claimsd first = {0};
    start(&first, (const char *const[]){"--workers", "2", NULL});
    subscribe(&first, "abandoned", &r, "/abandoned", "[\"claim.finalized\"]");
    char id[64];
    submit(&first, false, 6006, id);
    wait_received(&r, "/abandoned", 1, 10000);
    /* The request is in flight (the receiver has not answered): stop now. */
    int status = test_claimsd_stop(&first, SIGTERM);
    char *text = test_claimsd_log(&first);
    ck_assert_msg(strstr(text, "1 requests in flight abandoned"), "%s", text);
    free(text);
    ck_assert_int_eq(status, 0);
    test_remove_tree(first.dir);

    struct test_claimsd second = {0};
    start(&second, (const char *const[]){"--workers", "0", NULL});
    /* Due again once the lease ends (2 s timeout + 2 × 2 s Redis + 1 s). */
    wait_received(&r, "/abandoned", 2, 15000);
    ck_assert_str_eq(request_for(&r, "/abandoned", 1)->delivery,
                     request_for(&r, "/abandoned", 0)->delivery);
    ck_assert_str_eq(request_for(&r, "/abandoned", 1)->body,
                     request_for(&r, "/abandoned", 0)->body);
    char *log = wait_log_result(&second, "abandoned", "delivered");
    ck_assert_int_eq(test_json_len(log, "attempts"), 1);
    ck_assert_str_eq(test_json_str(log, "attempts.0.claim_id"), id);
    free(log);
    stop_cleanly(&second);
    receiver_stop(&r);
}
END_TEST

START_TEST(test_two_processes_deliver_each_event_once)
{
    struct receiver r;
    receiver_start(&r, 0, false);
    struct test_claimsd a = {0}, b = {0};
    start(&a, (const char *const[]){"--workers", "2", NULL});
    start(&b, (const char *const[]){"--role", "intake", NULL});
    subscribe(&a, "once", &r, "/once", "[\"claim.finalized\", \"claim.pended\"]");
    enum { N = 12 };
    char ids[N][64];
    for (int i = 0; i < N; i++)
        submit(i % 2 ? &a : &b, i % 3 == 0, 100 + i, ids[i]);
    wait_received(&r, "/once", N, 20000);
    test_sleep_ms(1500);
    ck_assert_int_eq(received_count(&r, "/once"), N);
    for (int i = 0; i < N; i++) {
        int seen = 0;
        for (int k = 0; k < N; k++)
            seen +=
                strcmp(test_json_str(request_for(&r, "/once", k)->body, "claim_id"), ids[i]) == 0;
        ck_assert_msg(seen == 1, "claim %d notified %d times", i, seen);
    }
    stop_cleanly(&b);
    stop_cleanly(&a);
    receiver_stop(&r);
}
END_TEST

/* ---- receivers whose address is not public ---- */

/* PUT of url to a claimsd without allow list: 422 naming url with problem. */
static void assert_url_refused(const char *url, const char *problem)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"url\": \"%s\", \"events\": [\"claim.finalized\"], \"secret\": \"" SECRET "\"}",
             url);
    struct test_response res;
    long status = put_webhook(&server, "internal", body, &res);
    ck_assert_msg(status == 422, "%s: %ld %s", url, status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "validation_failed");
    ck_assert_int_eq(test_json_len(res.body, "error.fields"), 1);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "url");
    ck_assert_msg(strcmp(test_json_str(res.body, "error.fields.0.problem"), problem) == 0, "%s: %s",
                  url, res.body);
    /* Nothing about what the host resolved to. */
    ck_assert_msg(!strstr(res.body, "127.0.0") && !strstr(res.body, "169.254") &&
                      !strstr(res.body, "::1"),
                  "%s: %s", url, res.body);
    test_response_free(&res);
}

START_TEST(test_the_issue_urls_are_refused_at_registration)
{
    /* The four of issue 16. */
    assert_url_refused("http://169.254.169.254/latest/meta-data/", NOT_PUBLIC);
    assert_url_refused("http://127.0.0.1:6379/", NOT_PUBLIC);
    assert_url_refused("http://[::1]:8080/x", NOT_PUBLIC);
    assert_url_refused("http://2130706433/", NOT_PUBLIC);
    /* Other numeric forms, mapped and NAT64 IPv6, and the other ranges. */
    const char *more[] = {
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://127.1:6379/",
        "http://0x7f000001/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[::127.0.0.1]/",
        "http://[::]/",
        "http://0.0.0.0:8080/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://172.31.255.255/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://169.254.0.1/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://[fc00::1]/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://255.255.255.255/",
        "http://localhost:6379/",
        "http://LOCALHOST:6379/",
        "http://192.0.2.10/",
    };
    for (size_t i = 0; i < sizeof more / sizeof *more; i++)
        assert_url_refused(more[i], NOT_PUBLIC);
    /* A name that does not resolve. */
    assert_url_refused("https://hooks.invalid/x", "host does not resolve");
    /* Nothing was stored. */
    ck_assert_int_eq(test_status(&server, "GET", "/v1/webhooks/internal", ADMIN, NULL), 404);
    /* A public address is taken (no claim is decided here: nothing is sent). */
    const char *body = "{\"url\": \"https://1.1.1.1/hooks\", \"events\": [\"claim.pended\"],"
                       " \"secret\": \"" SECRET "\"}";
    ck_assert_int_eq(test_status(&server, "PUT", "/v1/webhooks/public", ADMIN, body), 201);
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/public", ADMIN, NULL), 204);
}
END_TEST

START_TEST(test_receiver_on_loopback_is_refused_without_allow_list)
{
    struct receiver r;
    receiver_start(&r, 0, false);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", r.port);
    assert_url_refused(url, NOT_PUBLIC);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/webhooks/internal", ADMIN, NULL), 404);
    ck_assert_int_eq(received_count(&r, NULL), 0);
    receiver_stop(&r);
}
END_TEST

static void on_stored(enum queue_status status, bool existed, const char *created_at, void *arg)
{
    (void)existed;
    (void)created_at;
    *(int *)arg = status == QUEUE_OK ? 1 : -1;
}

/* Stores a subscription as it would be if registered while allowed (or by
 * any other way around the API's check). */
static void store_subscription(const char *id, const char *url)
{
    queue_init();
    /* The key layout of the claimsd under test: a new data set's default. */
    ck_assert_int_eq(queue_shards_configure(SHARDS_DEFAULT), 0);
    struct event_base *base = event_base_new();
    struct rconn *rc = test_rconn_connect(base, &redis);
    int done = 0;
    ck_assert_int_eq(queue_webhook_put(rc, "claims:", id, url, "claim.finalized", SECRET,
                                       "2026-11-23T10:47:54Z", on_stored, &done),
                     0);
    for (int spin = 0; spin < 1000 && !done; spin++)
        event_base_loop(base, EVLOOP_ONCE);
    ck_assert_int_eq(done, 1);
    queue_rconn_free(rc);
    event_base_free(base);
}

START_TEST(test_stored_internal_receiver_is_refused_at_connect_time)
{
    struct receiver r;
    receiver_start(&r, 0, false);
    char by_address[128], by_name[128];
    snprintf(by_address, sizeof by_address, "http://127.0.0.1:%d/address", r.port);
    snprintf(by_name, sizeof by_name, "http://localhost:%d/name", r.port);
    store_subscription("stored", by_address);
    store_subscription("by-name", by_name);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/webhooks/stored", ADMIN, NULL), 200);
    char id[64];
    submit(&server, false, 7007, id);
    const char *hooks[] = {"stored", "by-name"};
    for (int i = 0; i < 2; i++) {
        /* Refused once, for good: dead at the first attempt. */
        char *log = wait_log_result(&server, hooks[i], "dead");
        ck_assert_int_eq(test_json_len(log, "attempts"), 1);
        ck_assert_str_eq(test_json_str(log, "attempts.0.attempt"), "1");
        ck_assert_str_eq(test_json_str(log, "attempts.0.error"), REFUSED_ERROR);
        ck_assert_str_eq(test_json_str(log, "attempts.0.status_code"), "");
        ck_assert_str_eq(test_json_str(log, "attempts.0.next_attempt_at"), "");
        ck_assert_str_eq(test_json_str(log, "attempts.0.claim_id"), id);
        ck_assert_int_eq(test_json_len(log, "pending"), 0);
        ck_assert_int_eq(test_json_len(log, "dead"), 1);
        ck_assert_str_eq(test_json_str(log, "dead.0.last_error"), REFUSED_ERROR);
        ck_assert_str_eq(test_json_str(log, "dead.0.last_status_code"), "");
        free(log);
    }
    test_sleep_ms(800);
    ck_assert_int_eq(received_count(&r, NULL), 0);
    char *text = test_claimsd_log(&server);
    ck_assert_msg(strstr(text, "failed (address not allowed): dead"), "%s", text);
    free(text);
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/stored", ADMIN, NULL), 204);
    ck_assert_int_eq(test_status(&server, "DELETE", "/v1/webhooks/by-name", ADMIN, NULL), 204);
    receiver_stop(&r);
}
END_TEST

START_TEST(test_malformed_allow_list_stops_claimsd)
{
    const char *bad[][2] = {
        {"{\"webhooks\": {\"allow_private\": \"127.0.0.1\"}}",
         "key \"webhooks.allow_private\" must be a list of addresses or CIDR blocks"},
        {"{\"webhooks\": {\"allow_private\": [\"127.0.0.1/32\", \"10.1.2.3/16\"]}}",
         "key \"webhooks.allow_private[1]\" must be an IP address or a CIDR block"},
        {"{\"webhooks\": {\"allow_private\": [\"localhost\"]}}",
         "key \"webhooks.allow_private[0]\" must be an IP address or a CIDR block"},
        {"{\"webhooks\": {\"allow_privat\": []}}", "unknown key \"webhooks.allow_privat\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *path = test_write_file(redis.dir, "bad.json", bad[i][0]);
        struct test_claimsd d = {0};
        int status = -1;
        ck_assert_int_eq(
            test_claimsd_start(&d, (const char *const[]){"--config", path, NULL}, NULL, &status),
            -1);
        ck_assert_int_eq(status, 2);
        char *log = test_claimsd_log(&d);
        ck_assert_msg(strstr(log, bad[i][1]) != NULL, "log: %s", log);
        free(log);
        test_remove_tree(d.dir);
    }
}
END_TEST

/* ---- the pure parts (notify/webhook.c) ---- */

START_TEST(test_backoff_doubles_from_the_base_up_to_the_maximum)
{
    const int64_t want[] = {1000,  2000,   4000,   8000,   16000, 32000,
                            64000, 128000, 256000, 300000, 300000};
    for (int attempt = 1; attempt <= 11; attempt++)
        ck_assert_int_eq(notify_backoff_ms(attempt, 1000, 300000), want[attempt - 1]);
    ck_assert_int_eq(notify_backoff_ms(60, 1000, 300000), 300000);
    ck_assert_int_eq(notify_backoff_ms(1, 5000, 2000), 2000);
}
END_TEST

START_TEST(test_body_is_the_five_documented_keys_in_order)
{
    char *body = notify_body("1795430874507-0", "claim.finalized",
                             "7b31ad4a-f4ea-4976-b740-b7ec915213b1", "approved");
    ck_assert_str_eq(body, "{\"event_id\":\"1795430874507-0\",\"event\":\"claim.finalized\","
                           "\"claim_id\":\"7b31ad4a-f4ea-4976-b740-b7ec915213b1\",\"status\":"
                           "\"approved\",\"occurred_at\":\"2026-11-23T10:47:54.507Z\"}");
    free(body);
    ck_assert_int_eq(notify_event_time_ms("1795430874507-12"), 1795430874507LL);
    ck_assert_int_eq(notify_event_time_ms("x-1"), -1);
}
END_TEST

START_TEST(test_signature_is_hmac_sha256_over_time_dot_body)
{
    const char *body = "{\"event_id\":\"1-0\"}";
    char sig[NOTIFY_SIGNATURE_LEN], want[65], header[NOTIFY_SIGNATURE_LEN];
    ck_assert_int_eq(notify_signature(SECRET, 1795430875, body, strlen(body), sig), 0);
    expected_signature("1795430875", body, want);
    snprintf(header, sizeof header, "t=1795430875,v1=%s", want);
    ck_assert_str_eq(sig, header);
}
END_TEST

START_TEST(test_subscription_fields_are_checked)
{
    ck_assert_ptr_null(notify_url_problem("https://hooks.example.com/a?b=c"));
    ck_assert_ptr_null(notify_url_problem("http://127.0.0.1:8080/x"));
    ck_assert_ptr_null(notify_url_problem("http://[::1]:8080/x"));
    ck_assert_ptr_nonnull(notify_url_problem(""));
    ck_assert_ptr_nonnull(notify_url_problem("HTTPS://hooks.example.com/"));
    ck_assert_ptr_nonnull(notify_url_problem("file:///etc/passwd"));
    ck_assert_ptr_nonnull(notify_url_problem("https://"));
    ck_assert_ptr_nonnull(notify_url_problem("https://a b/"));
    ck_assert_ptr_nonnull(notify_url_problem("https://hooks.example.com/\r\nX: y"));
    ck_assert_ptr_nonnull(notify_url_problem("https://u@hooks.example.com/"));
    ck_assert_ptr_null(notify_secret_problem(SECRET));
    ck_assert_ptr_nonnull(notify_secret_problem("0123456789abcdef0123456789abcde"));
    ck_assert(notify_id_valid("billing.v2_a-1"));
    ck_assert(!notify_id_valid(""));
    ck_assert(!notify_id_valid("a/b"));
    ck_assert(notify_event_known("claim.pended"));
    ck_assert(!notify_event_known("claim.paid"));
}
END_TEST

START_TEST(test_url_target_is_the_host_and_port_to_resolve)
{
    char host[NOTIFY_HOST_MAX], port[8];
    ck_assert_int_eq(notify_url_target("https://hooks.example.com/a", host, port), 0);
    ck_assert_str_eq(host, "hooks.example.com");
    ck_assert_str_eq(port, "443");
    ck_assert_int_eq(notify_url_target("http://[::1]:8080/x", host, port), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_str_eq(port, "8080");
    ck_assert_int_eq(notify_url_target("http://2130706433/", host, port), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_str_eq(port, "80");
    ck_assert_int_eq(notify_url_target("http://[fe80::1%25eth0]/", host, port), 0);
    ck_assert_str_eq(host, "fe80::1");
    ck_assert_int_eq(notify_url_target("http://", host, port), -1);
}
END_TEST

START_TEST(test_allow_private_is_read_from_the_config)
{
    char dir[256], err[CONFIG_ERR_LEN];
    test_make_temp_dir(dir, "whcfg");
    struct config cfg;
    config_defaults(&cfg);
    ck_assert_int_eq(cfg.webhooks.allow_private.n, 0);
    const char *path = test_write_file(
        dir, "ok.json",
        "{\"webhooks\": {\"allow_private\": [\"127.0.0.1/32\", \"::1\", \"10.1.0.0/16\"],"
        " \"max_attempts\": 4}}");
    ck_assert_int_eq(config_load_file(&cfg, path, err), 0);
    ck_assert_int_eq(cfg.webhooks.allow_private.n, 3);
    ck_assert_int_eq(cfg.webhooks.max_attempts, 4);
    ck_assert_int_eq(cfg.webhooks.allow_private.cidr[2].prefix, 16);
    path = test_write_file(dir, "empty.json", "{\"webhooks\": {\"allow_private\": []}}");
    ck_assert_int_eq(config_load_file(&cfg, path, err), 0);
    ck_assert_int_eq(cfg.webhooks.allow_private.n, 0);
    path = test_write_file(dir, "bad.json", "{\"webhooks\": {\"allow_private\": [\"::1\", 7]}}");
    ck_assert_int_eq(config_load_file(&cfg, path, err), -1);
    ck_assert_msg(strstr(err, "key \"webhooks.allow_private[1]\""), "%s", err);
    test_remove_tree(dir);
}
END_TEST

/* ---- claims on 16 shards ---- */

#define FAMILIES 40

/* Every family's claim is finalized on its family's shard; each event of
 * each shard reaches the subscriber once, with an event id unique across the
 * shards that names the claim's shard (docs/webhooks.md). */
START_TEST(test_every_shard_s_events_are_delivered_once_each)
{
    struct receiver r;
    receiver_start(&r, 0, false);
    subscribe(&server, "finals", &r, "/finals", "[\"claim.finalized\"]");
    struct shard_layout layout;
    ck_assert_int_eq(queue_shard_layout_init(&layout, 16), 0);
    static char ids[FAMILIES][64];
    bool family_shard[16] = {false};
    char fill[16];
    for (int i = 0; i < FAMILIES; i++) {
        char member[16];
        snprintf(member, sizeof member, "M8%03d", i);
        test_put_g100_employee(&server, ADMIN, member, "Grace", "Kim", "1980-07-07", NULL, 201);
        family_shard[queue_layout_shard_of_family(&layout, member)] = true;
        char *body = test_pharmacy_claim(member, "Grace", "Kim", "1980-07-07",
                                         test_days_ago(3, fill), "0071-0155-23", "25.00", NULL);
        test_submit_claim(&server, ADMIN, body, ids[i]);
        free(body);
        ck_assert_int_eq(queue_shard_of_claim_id(&layout, ids[i]),
                         queue_layout_shard_of_family(&layout, member));
    }
    wait_received(&r, "/finals", FAMILIES, 60000);
    test_sleep_ms(800); /* and nothing else comes */
    ck_assert_int_eq(received_count(&r, "/finals"), FAMILIES);
    bool seen_shard[16] = {false};
    int seen[FAMILIES] = {0};
    for (int k = 0; k < FAMILIES; k++) {
        const struct received *q = request_for(&r, "/finals", k);
        char claim[64], event_id[48];
        snprintf(claim, sizeof claim, "%s", test_json_str(q->body, "claim_id"));
        snprintf(event_id, sizeof event_id, "%s", test_json_str(q->body, "event_id"));
        ck_assert_str_eq(test_json_str(q->body, "status"), "approved");
        int i = 0;
        while (i < FAMILIES && strcmp(ids[i], claim) != 0)
            i++;
        ck_assert_msg(i < FAMILIES, "a delivery for claim %s, not one of ours", claim);
        seen[i]++;
        /* "<ms>-<entry seq × 16 + shard>" */
        const char *dash = strchr(event_id, '-');
        ck_assert_ptr_nonnull(dash);
        int shard = (int)(strtoull(dash + 1, NULL, 10) % 16);
        ck_assert_int_eq(shard, queue_shard_of_claim_id(&layout, claim));
        seen_shard[shard] = true;
        char want_delivery[160];
        snprintf(want_delivery, sizeof want_delivery, "%s.finals", event_id);
        ck_assert_str_eq(q->delivery, want_delivery);
        for (int j = 0; j < k; j++)
            ck_assert_str_ne(test_json_str(request_for(&r, "/finals", j)->body, "event_id"),
                             event_id);
    }
    for (int i = 0; i < FAMILIES; i++)
        ck_assert_msg(seen[i] == 1, "claim %s delivered %d times", ids[i], seen[i]);
    int shards_used = 0;
    for (int s = 0; s < 16; s++) {
        ck_assert_int_eq(seen_shard[s], family_shard[s]);
        shards_used += seen_shard[s];
    }
    ck_assert_int_ge(shards_used, 12);
    receiver_stop(&r);
}
END_TEST

static Suite *webhooks_suite(void)
{
    Suite *s = suite_create("webhooks");
    TCase *pure = tcase_create("pure");
    tcase_add_test(pure, test_backoff_doubles_from_the_base_up_to_the_maximum);
    tcase_add_test(pure, test_body_is_the_five_documented_keys_in_order);
    tcase_add_test(pure, test_signature_is_hmac_sha256_over_time_dot_body);
    tcase_add_test(pure, test_subscription_fields_are_checked);
    tcase_add_test(pure, test_url_target_is_the_host_and_port_to_resolve);
    tcase_add_test(pure, test_allow_private_is_read_from_the_config);
    suite_add_tcase(s, pure);
    TCase *tc = tcase_create("subscriptions_and_deliveries");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_subscription_is_stored_and_its_secret_never_returned);
    tcase_add_test(tc, test_invalid_subscriptions_are_refused_with_the_field_named);
    tcase_add_test(tc, test_only_admins_manage_webhooks);
    tcase_add_test(tc, test_finalized_claim_is_posted_signed_and_without_phi);
    tcase_add_test(tc, test_delivery_answered_500_is_retried_and_then_delivered);
    tcase_add_test(tc, test_each_subscription_gets_only_the_events_it_asked_for);
    tcase_add_test(tc, test_appeal_filed_and_decided_are_posted_to_their_subscribers);
    tcase_add_test(tc, test_delivery_failing_max_attempts_times_is_dead_and_shown);
    suite_add_tcase(s, tc);
    TCase *processes = tcase_create("processes");
    tcase_add_checked_fixture(processes, setup_store_only, teardown);
    tcase_set_timeout(processes, 90);
    tcase_add_test(processes, test_due_delivery_is_attempted_by_a_new_process_after_a_restart);
    tcase_add_test(processes, test_attempt_abandoned_at_stop_is_made_again_by_another_process);
    tcase_add_test(processes, test_two_processes_deliver_each_event_once);
    suite_add_tcase(s, processes);
    TCase *sharded = tcase_create("sharded");
    tcase_add_checked_fixture(sharded, setup_sharded, teardown);
    tcase_set_timeout(sharded, 120);
    tcase_add_test(sharded, test_every_shard_s_events_are_delivered_once_each);
    suite_add_tcase(s, sharded);

    TCase *internal = tcase_create("internal_receivers");
    tcase_add_checked_fixture(internal, setup_public_only, teardown);
    tcase_set_timeout(internal, 60);
    tcase_add_test(internal, test_the_issue_urls_are_refused_at_registration);
    tcase_add_test(internal, test_receiver_on_loopback_is_refused_without_allow_list);
    tcase_add_test(internal, test_stored_internal_receiver_is_refused_at_connect_time);
    tcase_add_test(internal, test_malformed_allow_list_stops_claimsd);
    suite_add_tcase(s, internal);
    return s;
}

int main(void)
{
    /* "Today" as the servers under test count it: the default time_zone. */
    date_set_time_zone("America/New_York");
    return test_run_suite(webhooks_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
