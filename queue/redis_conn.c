#include "redis_conn.h"

#include <errno.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/cluster.h"
#include "queue/cluster_tx.h"

int queue_redis_address_parse(const char *url, struct redis_address *out)
{
    memset(out, 0, sizeof *out);
    if (strncmp(url, "unix:", 5) == 0) {
        const char *p = url + 5;
        if (strncmp(p, "//", 2) == 0)
            p += 2;
        if (p[0] != '/' || strlen(p) >= sizeof out->path)
            return -1;
        out->is_unix = true;
        snprintf(out->path, sizeof out->path, "%s", p);
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0)
        return -1;
    const char *host = url + 8;
    const char *colon = strchr(host, ':');
    const char *slash = strchr(host, '/');
    const char *host_end = colon ? colon : slash ? slash : host + strlen(host);
    if (host_end == host || (size_t)(host_end - host) >= sizeof out->host)
        return -1;
    memcpy(out->host, host, (size_t)(host_end - host));
    out->port = 6379;
    if (colon) {
        char *end;
        errno = 0;
        long port = strtol(colon + 1, &end, 10);
        if (errno || end == colon + 1 || port < 1 || port > 65535 || (*end && *end != '/'))
            return -1;
        out->port = (int)port;
        slash = *end == '/' ? end : NULL;
    }
    if (slash && slash[1]) {
        char *end;
        long db = strtol(slash + 1, &end, 10);
        if (*end || db < 0 || db > 15)
            return -1;
        out->db = (int)db;
    }
    return 0;
}

int queue_redis_cluster_address_parse(const char *seeds, struct redis_address *out)
{
    memset(out, 0, sizeof *out);
    out->is_cluster = true;
    const char *p = seeds;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (out->n_seeds == REDIS_MAX_SEEDS || len == 0 ||
            queue_cluster_endpoint_parse(p, len, NULL, &out->seeds[out->n_seeds]) != 0)
            return -1;
        out->n_seeds++;
        if (!comma)
            break;
        p = comma + 1;
        if (!*p)
            return -1;
    }
    if (out->n_seeds == 0)
        return -1;
    snprintf(out->host, sizeof out->host, "%s", out->seeds[0].host);
    out->port = out->seeds[0].port;
    return 0;
}

void queue_redis_address_format(const struct redis_address *addr, char *buf, size_t size)
{
    if (addr->is_cluster) {
        size_t used = (size_t)snprintf(buf, size, "cluster ");
        for (int i = 0; i < addr->n_seeds && used < size; i++)
            used += (size_t)snprintf(buf + used, size - used, "%s%s:%d", i ? "," : "",
                                     addr->seeds[i].host, addr->seeds[i].port);
        return;
    }
    if (addr->is_unix)
        snprintf(buf, size, "unix:%s", addr->path);
    else
        snprintf(buf, size, "redis://%s:%d/%d", addr->host, addr->port, addr->db);
}

redisContext *queue_redis_connect_blocking(const struct redis_address *addr, int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = addr->is_unix ? redisConnectUnixWithTimeout(addr->path, tv)
                                    : redisConnectWithTimeout(addr->host, addr->port, tv);
    if (!c) {
        log_error("redis: out of memory connecting");
        return NULL;
    }
    if (c->err) {
        log_debug("redis: connect failed: %s", c->errstr);
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (addr->db) {
        redisReply *r = redisCommand(c, "SELECT %d", addr->db);
        bool ok = r && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
        if (!ok) {
            log_error("redis: SELECT %d failed", addr->db);
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

redisAsyncContext *queue_redis_connect_async(struct event_base *base,
                                             const struct redis_address *addr, void *data,
                                             void (*on_connect)(const redisAsyncContext *, int),
                                             void (*on_disconnect)(const redisAsyncContext *, int),
                                             const char *who)
{
    redisAsyncContext *ac = addr->is_unix ? redisAsyncConnectUnix(addr->path)
                                          : redisAsyncConnect(addr->host, addr->port);
    if (!ac || ac->err) {
        log_warn("%s: connect failed: %s", who, ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        return NULL;
    }
    ac->data = data;
    redisLibeventAttach(ac, base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return ac;
}

void queue_redis_backoff_arm(struct event *retry_ev, int *backoff_ms)
{
    struct timeval tv = {*backoff_ms / 1000, (*backoff_ms % 1000) * 1000};
    evtimer_add(retry_ev, &tv);
    *backoff_ms = *backoff_ms * 2 > 2000 ? 2000 : *backoff_ms * 2;
}

void queue_redis_close_blocking(redisContext *c)
{
    if (c)
        redisFree(c);
}

bool queue_redis_ping_blocking(const struct redis_address *addr, int timeout_ms)
{
    redisContext *c = queue_redis_connect_blocking(addr, timeout_ms);
    if (!c)
        return false;
    redisReply *r = redisCommand(c, "PING");
    bool ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return ok;
}

/* ---- asynchronous connection ---- */

struct tx_call;

struct rconn {
    struct cluster *cl; /* cluster mode: every command goes through the router */
    struct tx_call *tx; /* cluster mode: a MULTI collected until its EXEC */
    struct event_base *base;
    struct redis_address addr;
    int timeout_ms;
    redisAsyncContext *ctx; /* NULL while disconnected */
    bool connected;         /* connected and SELECTed */
    bool closing;           /* queue_rconn_free in progress: no reconnect */
    int backoff_ms;
    struct event *retry_ev;   /* reconnect timer */
    struct event *connect_ev; /* connect deadline */
    struct event *reset_ev;   /* drops a stuck connection outside any callback */
    rconn_ready_cb ready_cb;
    void *ready_arg;
};

/* One command in flight. Freed by on_reply, which hiredis always calls
 * (with NULL when the context goes away). */
struct pending {
    struct rconn *rc;
    rconn_reply_cb cb;
    void *arg;
    struct event *timer;
    bool answered;
};

static void start_connect(struct rconn *rc);

static void schedule_reconnect(struct rconn *rc)
{
    if (rc->closing)
        return;
    queue_redis_backoff_arm(rc->retry_ev, &rc->backoff_ms);
}

/* Drops the current context: pending commands are answered with NULL. */
static void drop_context(struct rconn *rc)
{
    redisAsyncContext *ac = rc->ctx;
    if (!ac)
        return;
    rc->ctx = NULL;
    rc->connected = false;
    evtimer_del(rc->connect_ev);
    ac->data = NULL; /* callbacks from the dying context are ignored */
    redisAsyncFree(ac);
}

static void on_reset(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rconn *rc = arg;
    if (!rc->ctx)
        return;
    log_warn("redis: a command passed its deadline; reconnecting");
    drop_context(rc);
    schedule_reconnect(rc);
}

/* The connection is ready for commands (connected, its database selected). */
static void mark_connected(struct rconn *rc)
{
    rc->connected = true;
    rc->backoff_ms = 100;
    log_info("redis: connected");
    if (rc->ready_cb)
        rc->ready_cb(rc, rc->ready_arg);
}

static void on_select(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)privdata;
    struct rconn *rc = ac->data;
    redisReply *reply = r;
    if (!rc || ac != rc->ctx)
        return;
    if (!reply || reply->type != REDIS_REPLY_STATUS) {
        log_error("redis: SELECT %d failed", rc->addr.db);
        event_active(rc->reset_ev, 0, 0);
        return;
    }
    mark_connected(rc);
}

static void on_connect(const redisAsyncContext *cac, int status)
{
    redisAsyncContext *ac = (redisAsyncContext *)cac;
    struct rconn *rc = ac->data;
    if (!rc || ac != rc->ctx)
        return;
    evtimer_del(rc->connect_ev);
    if (status != REDIS_OK) {
        log_warn("redis: connect failed: %s", ac->errstr);
        rc->ctx = NULL; /* hiredis frees the context after this callback */
        schedule_reconnect(rc);
        return;
    }
    if (rc->addr.db) {
        redisAsyncCommand(ac, on_select, NULL, "SELECT %d", rc->addr.db);
        return;
    }
    mark_connected(rc);
}

static void on_disconnect(const redisAsyncContext *cac, int status)
{
    redisAsyncContext *ac = (redisAsyncContext *)cac;
    struct rconn *rc = ac->data;
    if (!rc || ac != rc->ctx)
        return;
    rc->ctx = NULL;
    rc->connected = false;
    if (status != REDIS_OK)
        log_warn("redis: disconnected: %s", ac->errstr);
    schedule_reconnect(rc);
}

static void on_connect_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rconn *rc = arg;
    if (rc->ctx && !rc->connected) {
        log_warn("redis: connect timed out");
        drop_context(rc);
        schedule_reconnect(rc);
    }
}

static void start_connect(struct rconn *rc)
{
    redisAsyncContext *ac =
        queue_redis_connect_async(rc->base, &rc->addr, rc, on_connect, on_disconnect, "redis");
    if (!ac) {
        schedule_reconnect(rc);
        return;
    }
    rc->ctx = ac;
    struct timeval tv = {rc->timeout_ms / 1000, (rc->timeout_ms % 1000) * 1000};
    evtimer_add(rc->connect_ev, &tv);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rconn *rc = arg;
    if (!rc->ctx && !rc->closing)
        start_connect(rc);
}

struct rconn *queue_rconn_new(struct event_base *base, const struct redis_address *addr,
                              int timeout_ms)
{
    struct rconn *rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    if (addr->is_cluster) {
        struct cluster_options opt;
        queue_cluster_options_default(&opt);
        opt.timeout_ms = timeout_ms;
        opt.replica_acks = addr->replica_acks;
        opt.replica_acks_timeout_ms = addr->replica_acks_timeout_ms;
        rc->base = base;
        rc->addr = *addr;
        rc->timeout_ms = timeout_ms;
        rc->cl = queue_cluster_new(base, addr->seeds, addr->n_seeds, &opt);
        if (!rc->cl) {
            free(rc);
            return NULL;
        }
        return rc;
    }
    rc->base = base;
    rc->addr = *addr;
    rc->timeout_ms = timeout_ms;
    rc->backoff_ms = 100;
    rc->retry_ev = evtimer_new(base, on_retry, rc);
    rc->connect_ev = evtimer_new(base, on_connect_deadline, rc);
    rc->reset_ev = event_new(base, -1, 0, on_reset, rc);
    if (!rc->retry_ev || !rc->connect_ev || !rc->reset_ev) {
        queue_rconn_free(rc);
        return NULL;
    }
    start_connect(rc);
    return rc;
}

void queue_rconn_set_ready_cb(struct rconn *rc, rconn_ready_cb cb, void *arg)
{
    if (rc->cl)
        queue_cluster_set_ready_cb(rc->cl, cb, arg);
    rc->ready_cb = cb;
    rc->ready_arg = arg;
}

bool queue_rconn_is_connected(const struct rconn *rc)
{
    if (rc->cl)
        return queue_cluster_has_map(rc->cl);
    return rc->connected;
}

bool queue_rconn_is_cluster(const struct rconn *rc)
{
    return rc->cl != NULL;
}

int queue_rconn_master_of_slot(const struct rconn *rc, int slot, struct cluster_endpoint *out)
{
    return rc->cl ? queue_cluster_master_of_slot(rc->cl, slot, out) : -1;
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)ac;
    struct pending *p = privdata;
    event_free(p->timer);
    if (!p->answered)
        p->cb(r, p->arg);
    free(p);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pending *p = arg;
    p->answered = true;
    p->cb(NULL, p->arg);
    /* The reply may still come, or never: drop the connection outside of
     * this callback; hiredis then calls on_reply(NULL), which frees p. */
    event_active(p->rc->reset_ev, 0, 0);
}

static struct pending *pending_new(struct rconn *rc, rconn_reply_cb cb, void *arg)
{
    struct pending *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->rc = rc;
    p->cb = cb;
    p->arg = arg;
    p->timer = evtimer_new(rc->base, on_deadline, p);
    if (!p->timer) {
        free(p);
        return NULL;
    }
    return p;
}

static int pending_sent(struct pending *p, int status, int deadline_ms)
{
    if (status != REDIS_OK) {
        event_free(p->timer);
        free(p);
        return -1;
    }
    struct timeval tv = {deadline_ms / 1000, (deadline_ms % 1000) * 1000};
    evtimer_add(p->timer, &tv);
    return 0;
}

/* A command on one Redis's connection, answered within deadline_ms. */
static int send_argv(struct rconn *rc, rconn_reply_cb cb, void *arg, int argc, const char **argv,
                     const size_t *argvlen, int deadline_ms)
{
    if (!rc->connected)
        return -1;
    struct pending *p = pending_new(rc, cb, arg);
    if (!p)
        return -1;
    int status = redisAsyncCommandArgv(rc->ctx, on_reply, p, argc, argv, argvlen);
    return pending_sent(p, status, deadline_ms);
}

/* ---- cluster mode (issue 12): every command through queue/cluster.c ---- */

/* A MULTI ... EXEC collected on a cluster connection (queue/cluster_tx.h). */
struct tx_call {
    struct rconn *rc;
    struct cluster_tx tx;
    rconn_reply_cb cb[CLUSTER_TX_MAX + 1]; /* MULTI's, then each command's */
    void *arg[CLUSTER_TX_MAX + 1];
    int n_cb;
    rconn_reply_cb exec_cb;
    void *exec_arg;
    bool send_failed; /* a group's script could not be sent: EXEC fails */
    redisReply *replies[CLUSTER_TX_MAX];
    struct tx_group {
        struct tx_call *call;
        int g;
    } groups[CLUSTER_TX_MAX];
    int waiting;
};

/* Answers every callback of the transaction (exec: EXEC's answer, NULL when
 * it failed) and frees it. */
static void tx_finish(struct tx_call *call, redisReply *exec)
{
    redisReply *ok = exec ? queue_resp_status("OK") : NULL,
               *queued = exec ? queue_resp_status("QUEUED") : NULL;
    for (int i = 0; i < call->n_cb; i++)
        call->cb[i](i == 0 ? ok : queued, call->arg[i]);
    if (call->exec_cb)
        call->exec_cb(exec, call->exec_arg);
    if (ok)
        freeReplyObject(ok);
    if (queued)
        freeReplyObject(queued);
    for (int g = 0; g < call->tx.n_groups; g++)
        if (call->replies[g])
            freeReplyObject(call->replies[g]);
    queue_cluster_tx_clear(&call->tx);
    free(call);
}

static void on_tx_group(redisReply *reply, void *arg)
{
    struct tx_group *grp = arg;
    struct tx_call *call = grp->call;
    if (grp->g >= 0) /* -1: tx_exec's own share */
        call->replies[grp->g] = reply ? queue_resp_copy(reply) : NULL;
    if (--call->waiting > 0)
        return;
    redisReply *exec =
        call->send_failed ? NULL : queue_cluster_tx_exec_reply(&call->tx, call->replies);
    tx_finish(call, exec);
    if (exec)
        freeReplyObject(exec);
}

/* EXEC: one script per slot of the transaction's commands. */
static void tx_exec(struct tx_call *call)
{
    struct cluster_tx *tx = &call->tx;
    if (tx->failed) {
        log_error("redis cluster: a transaction with a command of several slots, or too long; "
                  "not run");
        redisReply *err = queue_resp_error("ERR claimsd: transaction not run in cluster mode");
        tx_finish(call, err);
        if (err)
            freeReplyObject(err);
        return;
    }
    queue_cluster_tx_plan(tx);
    if (tx->n_groups == 0) {
        redisReply *empty = queue_cluster_tx_exec_reply(tx, call->replies);
        tx_finish(call, empty);
        if (empty)
            freeReplyObject(empty);
        return;
    }
    /* One share per group sent, and this function's own until the loop ends
     * (an answer may come before it does). */
    call->waiting = 1;
    for (int g = 0; g < tx->n_groups && !call->send_failed; g++) {
        int argc;
        const char **argv = NULL;
        size_t *argvlen;
        call->groups[g] = (struct tx_group){call, g};
        call->waiting++;
        if (queue_cluster_tx_group_call(tx, g, &argc, &argv, &argvlen) != 0 ||
            queue_cluster_command_argv(call->rc->cl, tx->group_slot[g], on_tx_group,
                                       &call->groups[g], argc, argv, argvlen) != 0) {
            call->waiting--;
            call->send_failed = true; /* the groups sent are answered, then EXEC fails */
        }
        free(argv);
    }
    on_tx_group(NULL, &(struct tx_group){call, -1});
}

/* MGET of keys on several slots: a GET of each, run like a transaction (one
 * script per slot), its answer MGET's array. */
static int split_mget(struct rconn *rc, rconn_reply_cb cb, void *arg, int argc, const char **argv,
                      const size_t *argvlen)
{
    if (argc - 1 > CLUSTER_TX_MAX)
        return -1;
    struct tx_call *call = calloc(1, sizeof *call);
    if (!call)
        return -1;
    call->rc = rc;
    queue_cluster_tx_init(&call->tx);
    for (int i = 1; i < argc; i++) {
        const char *get[] = {"GET", argv[i]};
        size_t lens[] = {3, argvlen[i]};
        queue_cluster_tx_add(&call->tx, 2, get, lens);
    }
    call->exec_cb = cb;
    call->exec_arg = arg;
    tx_exec(call);
    return 0;
}

/* A command on a cluster connection: MULTI, EXEC and what lies between are
 * collected (above), an MGET over several slots is split (above); others go
 * to the master of their keys' slot, keyless ones (PING, PUBLISH) to slot
 * 0's. */
static int routed_command(struct rconn *rc, rconn_reply_cb cb, void *arg, int argc,
                          const char **argv, const size_t *argvlen)
{
    if (queue_resp_is(argc, argv, argvlen, "MULTI")) {
        if (rc->tx)
            return -1;
        rc->tx = calloc(1, sizeof *rc->tx);
        if (!rc->tx)
            return -1;
        rc->tx->rc = rc;
        queue_cluster_tx_init(&rc->tx->tx);
        rc->tx->cb[0] = cb;
        rc->tx->arg[0] = arg;
        rc->tx->n_cb = 1;
        return 0;
    }
    if (rc->tx) {
        struct tx_call *call = rc->tx;
        if (queue_resp_is(argc, argv, argvlen, "EXEC")) {
            rc->tx = NULL;
            call->exec_cb = cb;
            call->exec_arg = arg;
            tx_exec(call);
            return 0;
        }
        if (call->n_cb == CLUSTER_TX_MAX + 1) {
            /* More than a transaction holds: it fails, and this command's
             * caller is answered at once (its callback has no room). */
            call->tx.failed = true;
            cb(NULL, arg);
            return 0;
        }
        call->cb[call->n_cb] = cb;
        call->arg[call->n_cb++] = arg;
        queue_cluster_tx_add(&call->tx, argc, argv, argvlen);
        return 0;
    }
    int slot = queue_cluster_command_slot(argc, argv, argvlen);
    if (slot == CLUSTER_SLOT_NO_KEY)
        slot = 0;
    if (slot == CLUSTER_SLOT_CROSSSLOT && queue_resp_is(argc, argv, argvlen, "MGET"))
        return split_mget(rc, cb, arg, argc, argv, argvlen);
    if (slot < 0) {
        log_error("redis cluster: a %.*s over keys of several slots; not sent",
                  argc > 0 ? (int)argvlen[0] : 0, argc > 0 ? argv[0] : "");
        return -1;
    }
    return queue_cluster_command_argv(rc->cl, slot, cb, arg, argc, argv, argvlen);
}

int queue_rconn_command(struct rconn *rc, rconn_reply_cb cb, void *arg, const char *fmt, ...)
{
    if (rc->cl) {
        va_list ap;
        va_start(ap, fmt);
        char *cmd = NULL;
        int len = redisvFormatCommand(&cmd, fmt, ap);
        va_end(ap);
        int argc = 0;
        const char **argv = NULL;
        size_t *argvlen = NULL;
        int status = -1;
        if (len > 0 && queue_resp_split(cmd, (size_t)len, &argc, &argv, &argvlen) == 0) {
            status = routed_command(rc, cb, arg, argc, argv, argvlen);
            free(argv);
        }
        free(cmd);
        return status;
    }
    if (!rc->connected)
        return -1;
    struct pending *p = pending_new(rc, cb, arg);
    if (!p)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int status = redisvAsyncCommand(rc->ctx, on_reply, p, fmt, ap);
    va_end(ap);
    return pending_sent(p, status, rc->timeout_ms);
}

int queue_rconn_command_argv(struct rconn *rc, rconn_reply_cb cb, void *arg, int argc,
                             const char **argv, const size_t *argvlen)
{
    if (rc->cl) {
        if (argvlen)
            return routed_command(rc, cb, arg, argc, argv, argvlen);
        size_t lens[argc > 0 ? argc : 1];
        for (int i = 0; i < argc; i++)
            lens[i] = strlen(argv[i]);
        return routed_command(rc, cb, arg, argc, argv, lens);
    }
    return send_argv(rc, cb, arg, argc, argv, argvlen, rc->timeout_ms);
}

/* ---- replica acknowledgements (WAIT) ---- */

static atomic_ullong acks_short[REDIS_ACKS_SITES];

unsigned long long queue_redis_acks_short_total(enum redis_acks_site site)
{
    return atomic_load(&acks_short[site]);
}

void queue_redis_acks_short_count(enum redis_acks_site site)
{
    atomic_fetch_add(&acks_short[site], 1);
}

#define ACKS_SHORT_WORD "REPLICAS "

bool queue_rconn_reply_acks_short(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ERROR &&
           strncmp(reply->str, ACKS_SHORT_WORD, strlen(ACKS_SHORT_WORD)) == 0;
}

/* A write of queue_rconn_command_argv_acked: its reply held until WAIT answers. */
struct acked {
    struct rconn *rc;
    rconn_reply_cb cb;
    void *arg;
    redisReply *held;
};

static void on_acked_wait(redisReply *reply, void *arg)
{
    struct acked *a = arg;
    const struct redis_address *addr = &a->rc->addr;
    if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer >= addr->replica_acks) {
        a->cb(a->held, a->arg);
    } else if (reply && reply->type == REDIS_REPLY_INTEGER) {
        queue_redis_acks_short_count(REDIS_ACKS_INTAKE);
        char text[128];
        snprintf(text, sizeof text,
                 ACKS_SHORT_WORD "%lld of %d replicas acknowledged a write "
                                 "within %d ms",
                 reply->integer, addr->replica_acks, addr->replica_acks_timeout_ms);
        if (addr->is_unix)
            log_warn("redis unix:%s: %s; answered 503 (the write stays, unconfirmed)", addr->path,
                     text + strlen(ACKS_SHORT_WORD));
        else
            log_warn("redis %s:%d: %s; answered 503 (the write stays, unconfirmed)", addr->host,
                     addr->port, text + strlen(ACKS_SHORT_WORD));
        redisReply *err = queue_resp_error(text);
        a->cb(err, a->arg); /* out of memory: NULL, unavailable as well */
        if (err)
            freeReplyObject(err);
    } else {
        log_warn("redis: WAIT for %d replicas not answered%s%s", addr->replica_acks,
                 reply && reply->type == REDIS_REPLY_ERROR ? ": " : "",
                 reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        a->cb(NULL, a->arg);
    }
    freeReplyObject(a->held);
    free(a);
}

/* The write's reply: an error is passed on at once (nothing to wait for, or
 * a redirect for the router); anything else waits for the replicas on this
 * very connection (WAIT counts the writes of the connection it is sent on). */
static void on_acked_write(redisReply *reply, void *arg)
{
    struct acked *a = arg;
    struct rconn *rc = a->rc;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        a->cb(reply, a->arg);
        free(a);
        return;
    }
    char n[16], ms[16];
    snprintf(n, sizeof n, "%d", rc->addr.replica_acks);
    snprintf(ms, sizeof ms, "%d", rc->addr.replica_acks_timeout_ms);
    const char *argv[] = {"WAIT", n, ms};
    a->held = queue_resp_copy(reply);
    /* WAIT blocks up to its timeout: its deadline is on top of that. */
    if (!a->held || send_argv(rc, on_acked_wait, a, 3, argv, NULL,
                              rc->timeout_ms + rc->addr.replica_acks_timeout_ms) != 0) {
        log_warn("redis: WAIT for %d replicas not sent", rc->addr.replica_acks);
        a->cb(NULL, a->arg);
        if (a->held)
            freeReplyObject(a->held);
        free(a);
    }
}

int queue_rconn_command_argv_acked(struct rconn *rc, rconn_reply_cb cb, void *arg, int argc,
                                   const char **argv, const size_t *argvlen)
{
    if (rc->addr.replica_acks <= 0)
        return queue_rconn_command_argv(rc, cb, arg, argc, argv, argvlen);
    size_t lens[argc > 0 ? argc : 1];
    if (!argvlen) {
        for (int i = 0; i < argc; i++)
            lens[i] = strlen(argv[i]);
        argvlen = lens;
    }
    if (rc->cl) {
        /* The router sends it, and WAIT after it, on the connection of the
         * master that runs it (redirects followed). */
        int slot = queue_cluster_command_slot(argc, argv, argvlen);
        if (slot < 0 && slot != CLUSTER_SLOT_NO_KEY) {
            log_error("redis cluster: a %.*s over keys of several slots; not sent",
                      argc > 0 ? (int)argvlen[0] : 0, argc > 0 ? argv[0] : "");
            return -1;
        }
        return queue_cluster_command_argv_acked(rc->cl, slot < 0 ? 0 : slot, cb, arg, argc, argv,
                                                argvlen);
    }
    struct acked *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    *a = (struct acked){rc, cb, arg, NULL};
    if (send_argv(rc, on_acked_write, a, argc, argv, argvlen, rc->timeout_ms) != 0) {
        free(a);
        return -1;
    }
    return 0;
}

void queue_rconn_free(struct rconn *rc)
{
    if (!rc)
        return;
    if (rc->cl) {
        if (rc->tx)
            tx_finish(rc->tx, NULL); /* a MULTI never followed by EXEC */
        rc->tx = NULL;
        queue_cluster_free(rc->cl);
        free(rc);
        return;
    }
    rc->closing = true;
    drop_context(rc);
    if (rc->retry_ev)
        event_free(rc->retry_ev);
    if (rc->connect_ev)
        event_free(rc->connect_ev);
    if (rc->reset_ev)
        event_free(rc->reset_ev);
    free(rc);
}
