#include "rlink.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/cluster.h"
#include "queue/cluster_sync.h"
#include "queue/cluster_tx.h"

/* One command appended on a cluster link, until its reply is read. */
struct pending_cmd {
    redisContext *c; /* the master it was sent to; NULL: not sent yet */
    int slot;
    int argc;
    char **argv; /* one allocation with argvlen and the bytes; NULL for ready */
    size_t *argvlen;
    redisReply *ready; /* its answer, read already (see drain) or made here */
    bool made_here;    /* ready was made here (MULTI, QUEUED, EXEC, errors) */
    bool lost;         /* its connection failed: no answer */
};

struct rlink {
    redisContext *c; /* one Redis */
    bool owned;
    struct cluster_sync *cs; /* a cluster */
    struct pending_cmd *q;
    int q_head, q_len, q_cap;
    struct cluster_tx *tx; /* a MULTI being collected */
    bool broken;
    int timeout_ms;   /* each command's socket timeout (0: as the context was made) */
    int replica_acks; /* queue_rlink_writes_wait: struct redis_address's */
    int replica_acks_timeout_ms;
    struct cluster_endpoint one; /* one Redis: its address, for log lines */
};

struct rlink *queue_rlink_wrap(redisContext *c)
{
    struct rlink *l = calloc(1, sizeof *l);
    if (l)
        l->c = c;
    return l;
}

struct rlink *queue_rlink_connect(const struct redis_address *addr, int timeout_ms)
{
    struct rlink *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    if (addr->is_cluster) {
        struct cluster_options opt;
        queue_cluster_options_default(&opt);
        opt.timeout_ms = timeout_ms;
        l->cs = queue_cluster_sync_connect(addr->seeds, addr->n_seeds, &opt);
    } else {
        l->c = queue_redis_connect_blocking(addr, timeout_ms);
        l->owned = true;
    }
    if (!l->c && !l->cs) {
        free(l);
        return NULL;
    }
    l->timeout_ms = timeout_ms;
    snprintf(l->one.host, sizeof l->one.host, "%.200s", addr->is_unix ? addr->path : addr->host);
    l->one.port = addr->port;
    l->replica_acks = addr->replica_acks;
    l->replica_acks_timeout_ms = addr->replica_acks_timeout_ms;
    return l;
}

static void pending_free(struct pending_cmd *p)
{
    free(p->argv);
    if (p->ready)
        freeReplyObject(p->ready);
    memset(p, 0, sizeof *p);
}

void queue_rlink_close(struct rlink *l)
{
    if (!l)
        return;
    for (int i = l->q_head; i < l->q_len; i++)
        pending_free(&l->q[i]);
    free(l->q);
    if (l->tx) {
        queue_cluster_tx_clear(l->tx);
        free(l->tx);
    }
    if (l->cs)
        queue_cluster_sync_free(l->cs);
    if (l->c && l->owned)
        redisFree(l->c);
    free(l);
}

bool queue_rlink_broken(const struct rlink *l)
{
    if (!l)
        return true;
    if (l->cs)
        return l->broken;
    return !l->c || l->c->err != 0;
}

void queue_rlink_set_timeout(struct rlink *l, int ms)
{
    l->timeout_ms = ms;
    if (l->cs) {
        queue_cluster_sync_set_timeout(l->cs, ms);
        return;
    }
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    redisSetTimeout(l->c, tv);
}

/* A new entry at the end of the queue; NULL when out of memory (the link
 * is then broken: a reply would be missing). */
static struct pending_cmd *push(struct rlink *l)
{
    if (l->q_head == l->q_len)
        l->q_head = l->q_len = 0;
    if (l->q_len == l->q_cap) {
        int cap = l->q_cap ? l->q_cap * 2 : 16;
        struct pending_cmd *q = realloc(l->q, (size_t)cap * sizeof *q);
        if (!q) {
            l->broken = true;
            return NULL;
        }
        l->q = q;
        l->q_cap = cap;
    }
    struct pending_cmd *p = &l->q[l->q_len++];
    memset(p, 0, sizeof *p);
    return p;
}

static void push_ready(struct rlink *l, redisReply *r)
{
    struct pending_cmd *p = push(l);
    if (p) {
        p->ready = r;
        p->made_here = true;
    } else if (r)
        freeReplyObject(r);
    if (p && !r)
        p->lost = true;
}

static void drain(struct rlink *l);

/* EXEC of a collected transaction: each slot's script, run now. */
static void run_tx(struct rlink *l)
{
    struct cluster_tx *tx = l->tx;
    l->tx = NULL;
    drain(l);
    redisReply *replies[CLUSTER_TX_MAX] = {0};
    redisReply *exec;
    if (tx->failed) {
        log_error("redis cluster: a transaction with a command of several slots, or too long; "
                  "not run");
        exec = queue_resp_error("ERR claimsd: transaction not run in cluster mode");
    } else {
        queue_cluster_tx_plan(tx);
        for (int g = 0; g < tx->n_groups; g++) {
            int argc;
            const char **argv;
            size_t *argvlen;
            if (queue_cluster_tx_group_call(tx, g, &argc, &argv, &argvlen) != 0)
                break;
            replies[g] =
                queue_cluster_sync_command_argv(l->cs, tx->group_slot[g], argc, argv, argvlen);
            free(argv);
            if (!replies[g])
                break;
        }
        exec = queue_cluster_tx_exec_reply(tx, replies);
        for (int g = 0; g < tx->n_groups; g++)
            if (replies[g])
                freeReplyObject(replies[g]);
    }
    if (!exec)
        l->broken = true;
    push_ready(l, exec);
    queue_cluster_tx_clear(tx);
    free(tx);
}

/* A copy of argv into p. Returns 0 or -1. */
static int copy_args(struct pending_cmd *p, int argc, const char *const *argv,
                     const size_t *argvlen)
{
    if (queue_resp_argv_copy(argc, argv, argvlen, &p->argv, &p->argvlen) != 0)
        return -1;
    p->argc = argc;
    return 0;
}

/* Appends one command on a cluster link (see the header). */
static void cluster_append(struct rlink *l, int argc, const char **argv, const size_t *argvlen)
{
    if (queue_resp_is(argc, argv, argvlen, "MULTI") && !l->tx) {
        l->tx = malloc(sizeof *l->tx);
        if (l->tx)
            queue_cluster_tx_init(l->tx);
        push_ready(l, l->tx ? queue_resp_status("OK") : NULL);
        return;
    }
    if (l->tx) {
        if (queue_resp_is(argc, argv, argvlen, "EXEC")) {
            run_tx(l);
            return;
        }
        queue_cluster_tx_add(l->tx, argc, argv, argvlen);
        push_ready(l, queue_resp_status("QUEUED"));
        return;
    }
    int slot = queue_cluster_command_slot(argc, argv, argvlen);
    if (slot == CLUSTER_SLOT_NO_KEY)
        slot = 0;
    if (slot < 0) {
        log_error("redis cluster: a %.*s over keys of several slots; not sent", (int)argvlen[0],
                  argv[0]);
        push_ready(l, queue_resp_error("CROSSSLOT Keys in request don't hash to the same slot"));
        return;
    }
    struct pending_cmd *p = push(l);
    if (!p)
        return;
    p->slot = slot;
    if (copy_args(p, argc, argv, argvlen) != 0) {
        p->lost = true;
        l->broken = true;
        return;
    }
    p->c = queue_cluster_sync_node(l->cs, slot);
    if (p->c)
        redisAppendCommandArgv(p->c, argc, (const char **)p->argv, p->argvlen);
}

void queue_rlink_append_argv(struct rlink *l, int argc, const char **argv, const size_t *argvlen)
{
    size_t lens[argc > 0 ? argc : 1];
    if (!argvlen) {
        for (int i = 0; i < argc; i++)
            lens[i] = strlen(argv[i]);
        argvlen = lens;
    }
    if (l->cs)
        cluster_append(l, argc, argv, argvlen);
    else
        redisAppendCommandArgv(l->c, argc, argv, argvlen);
}

static void append_v(struct rlink *l, const char *fmt, va_list ap)
{
    if (!l->cs) {
        redisvAppendCommand(l->c, fmt, ap);
        return;
    }
    char *cmd = NULL;
    int len = redisvFormatCommand(&cmd, fmt, ap);
    int argc;
    const char **argv;
    size_t *argvlen;
    if (len > 0 && queue_resp_split(cmd, (size_t)len, &argc, &argv, &argvlen) == 0) {
        cluster_append(l, argc, argv, argvlen);
        free(argv);
    } else {
        push_ready(l, NULL);
        l->broken = true;
    }
    free(cmd);
}

void queue_rlink_append(struct rlink *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_v(l, fmt, ap);
    va_end(ap);
}

/* The connection c failed: nothing more comes from it. */
static void lose_connection(struct rlink *l, redisContext *c)
{
    for (int i = l->q_head; i < l->q_len; i++)
        if (l->q[i].c == c)
            l->q[i].lost = true, l->q[i].c = NULL;
    queue_cluster_sync_drop(l->cs, c);
    l->broken = true;
}

/* Reads every reply still due on the masters' connections into its entry,
 * so that the router may use a connection for a command of its own (a
 * resend, a transaction, a script load) without taking a reply that
 * belongs to a later entry. */
static void drain(struct rlink *l)
{
    for (int i = l->q_head; i < l->q_len; i++) {
        struct pending_cmd *q = &l->q[i];
        if (q->ready || q->lost || !q->c)
            continue;
        void *reply = NULL;
        if (redisGetReply(q->c, &reply) != REDIS_OK || !reply) {
            log_warn("redis cluster: a connection failed: %s", q->c->errstr);
            lose_connection(l, q->c);
            continue;
        }
        q->ready = reply;
        q->c = NULL;
    }
}

/* Sends p through the router, now (the connections drained first). */
static redisReply *route_now(struct rlink *l, struct pending_cmd *p)
{
    drain(l);
    return queue_cluster_sync_command_argv(l->cs, p->slot, p->argc, (const char **)p->argv,
                                           p->argvlen);
}

static int cluster_get_reply(struct rlink *l, redisReply **out)
{
    *out = NULL;
    if (l->q_head == l->q_len)
        return REDIS_ERR;
    struct pending_cmd *p = &l->q[l->q_head++];
    redisReply *r = NULL;
    if (p->ready) {
        r = p->ready;
        p->ready = NULL;
    } else if (!p->lost && !p->c) {
        r = route_now(l, p); /* its master could not be reached when appended */
    } else if (!p->lost) {
        void *reply = NULL;
        if (redisGetReply(p->c, &reply) != REDIS_OK || !reply) {
            log_warn("redis cluster: a connection failed: %s", p->c->errstr);
            lose_connection(l, p->c);
        }
        r = reply;
    }
    struct cluster_redirect to;
    if (r && !p->made_here && queue_cluster_reply_classify(r, "", &to) != CLUSTER_REPLY_PLAIN) {
        /* Refused, so not run: the router sends it where it runs now. */
        freeReplyObject(r);
        r = route_now(l, p);
    }
    pending_free(p);
    if (!r) {
        l->broken = true;
        return REDIS_ERR;
    }
    *out = r;
    return REDIS_OK;
}

int queue_rlink_get_reply(struct rlink *l, redisReply **out)
{
    if (l->cs)
        return cluster_get_reply(l, out);
    *out = NULL;
    return redisGetReply(l->c, (void **)out);
}

redisReply *queue_rlink_command_argv(struct rlink *l, int argc, const char **argv,
                                     const size_t *argvlen)
{
    if (!l->cs)
        return redisCommandArgv(l->c, argc, argv, argvlen);
    queue_rlink_append_argv(l, argc, argv, argvlen);
    redisReply *r = NULL;
    queue_rlink_get_reply(l, &r);
    return r;
}

redisReply *queue_rlink_command(struct rlink *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = NULL;
    if (!l->cs) {
        r = redisvCommand(l->c, fmt, ap);
    } else {
        append_v(l, fmt, ap);
        queue_rlink_get_reply(l, &r);
    }
    va_end(ap);
    return r;
}

bool queue_rlink_is_cluster(const struct rlink *l)
{
    return l->cs != NULL;
}

int queue_rlink_masters(struct rlink *l)
{
    if (!l->cs)
        return 1;
    struct cluster_slot_map *map = malloc(sizeof *map);
    if (!map)
        return 0;
    queue_cluster_sync_get_map(l->cs, map);
    int n = map->n_masters;
    free(map);
    return n;
}

/* A slot master m serves, or -1. */
static int slot_of_master(struct rlink *l, int m)
{
    struct cluster_slot_map *map = malloc(sizeof *map);
    if (!map)
        return -1;
    queue_cluster_sync_get_map(l->cs, map);
    int slot = 0;
    while (slot < CLUSTER_SLOTS && map->owner[slot] != m)
        slot++;
    free(map);
    return slot < CLUSTER_SLOTS ? slot : -1;
}

redisReply *queue_rlink_command_on_master(struct rlink *l, int m, int argc, const char **argv,
                                          const size_t *argvlen)
{
    if (!l->cs)
        return redisCommandArgv(l->c, argc, argv, argvlen);
    drain(l);
    int slot = slot_of_master(l, m);
    return slot < 0 ? NULL : queue_cluster_sync_command_argv(l->cs, slot, argc, argv, argvlen);
}

int queue_rlink_script_load(struct rlink *l, const char *body)
{
    const char *argv[] = {"SCRIPT", "LOAD", body};
    size_t lens[] = {6, 4, strlen(body)};
    if (!l->cs) {
        redisReply *r = redisCommandArgv(l->c, 3, argv, lens);
        bool ok = r && r->type == REDIS_REPLY_STRING;
        if (r)
            freeReplyObject(r);
        return ok ? 0 : -1;
    }
    int rc = 0, n = queue_rlink_masters(l);
    for (int m = 0; m < n; m++) {
        redisReply *r = queue_rlink_command_on_master(l, m, 3, argv, lens);
        if (!r || r->type != REDIS_REPLY_STRING)
            rc = -1;
        if (r)
            freeReplyObject(r);
    }
    return rc;
}

void queue_rlink_writes_begin(struct rlink *l)
{
    if (l->cs)
        queue_cluster_sync_used_clear(l->cs);
}

/* WAIT on c (its socket timeout raised for the wait): the replicas that
 * acknowledged, or -1 when there was no answer. */
static long long wait_on(struct rlink *l, redisContext *c)
{
    int ms = l->timeout_ms + l->replica_acks_timeout_ms;
    struct timeval wait_tv = {ms / 1000, (ms % 1000) * 1000};
    struct timeval tv = {l->timeout_ms / 1000, (l->timeout_ms % 1000) * 1000};
    redisSetTimeout(c, wait_tv);
    redisReply *r = redisCommand(c, "WAIT %d %d", l->replica_acks, l->replica_acks_timeout_ms);
    if (l->timeout_ms > 0)
        redisSetTimeout(c, tv);
    long long acks = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (acks < 0)
        log_warn("redis: WAIT for %d replicas not answered%s%s", l->replica_acks,
                 r && r->type == REDIS_REPLY_ERROR ? ": " : "",
                 r && r->type == REDIS_REPLY_ERROR ? r->str : "");
    if (r)
        freeReplyObject(r);
    return acks;
}

int queue_rlink_writes_wait(struct rlink *l, const char *what)
{
    if (l->replica_acks <= 0 || queue_rlink_broken(l))
        return 0;
    redisContext *cs[CLUSTER_MAX_MASTERS * 2];
    struct cluster_endpoint eps[CLUSTER_MAX_MASTERS * 2];
    int n = 1;
    if (l->cs) {
        drain(l);
        n = queue_cluster_sync_used(l->cs, cs, eps, CLUSTER_MAX_MASTERS * 2);
    } else {
        cs[0] = l->c;
        eps[0] = l->one; /* one Redis */
    }
    bool failed = false, few = false;
    for (int i = 0; i < n; i++) {
        long long acks = wait_on(l, cs[i]);
        if (acks < 0) {
            if (l->cs)
                lose_connection(l, cs[i]);
            failed = true;
            continue;
        }
        if (acks >= l->replica_acks)
            continue;
        few = true;
        log_warn("redis %s:%d: %lld of %d replicas acknowledged %s within %d ms; kept, "
                 "unconfirmed",
                 eps[i].host, eps[i].port, acks, l->replica_acks, what, l->replica_acks_timeout_ms);
    }
    if (few)
        queue_redis_acks_short_count(REDIS_ACKS_COMMIT);
    return failed ? -1 : few ? 1 : 0;
}
