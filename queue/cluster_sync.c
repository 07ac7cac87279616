#include "cluster_sync.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define SYNC_MAX_NODES (CLUSTER_MAX_MASTERS * 2)

struct sync_node {
    struct cluster_endpoint ep;
    redisContext *c; /* NULL until needed, and after a failure */
    bool used;       /* carried a command since queue_cluster_sync_used_clear */
};

struct cluster_sync {
    struct cluster_options opt;
    struct sync_node nodes[SYNC_MAX_NODES];
    int n_nodes;
    struct cluster_slot_map *map;
    bool have_map;
    int cmd_timeout_ms; /* each command's socket timeout */
};

static bool same(const struct cluster_endpoint *a, const struct cluster_endpoint *b)
{
    return a->port == b->port && strcmp(a->host, b->host) == 0;
}

static struct sync_node *node_get(struct cluster_sync *cs, const struct cluster_endpoint *ep)
{
    for (int i = 0; i < cs->n_nodes; i++)
        if (same(&cs->nodes[i].ep, ep))
            return &cs->nodes[i];
    if (cs->n_nodes == SYNC_MAX_NODES) {
        log_error("redis cluster: too many nodes; not connecting to %s:%d", ep->host, ep->port);
        return NULL;
    }
    struct sync_node *n = &cs->nodes[cs->n_nodes++];
    n->ep = *ep;
    n->c = NULL;
    return n;
}

static void node_close(struct sync_node *n)
{
    if (n->c) {
        redisFree(n->c);
        n->c = NULL;
    }
}

static redisContext *node_connect(struct cluster_sync *cs, struct sync_node *n)
{
    if (n->c)
        return n->c;
    struct timeval tv = {cs->opt.timeout_ms / 1000, (cs->opt.timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(n->ep.host, n->ep.port, tv);
    if (!c || c->err) {
        log_debug("redis cluster: cannot connect to %s:%d: %s", n->ep.host, n->ep.port,
                  c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    struct timeval cmd = {cs->cmd_timeout_ms / 1000, (cs->cmd_timeout_ms % 1000) * 1000};
    redisSetTimeout(c, cmd);
    n->c = c;
    return c;
}

static bool is_master(const struct cluster_sync *cs, const struct cluster_endpoint *ep)
{
    for (int m = 0; m < cs->map->n_masters; m++)
        if (same(&cs->map->masters[m], ep))
            return true;
    return false;
}

int queue_cluster_sync_refresh(struct cluster_sync *cs)
{
    struct cluster_slot_map *fresh = malloc(sizeof *fresh);
    if (!fresh)
        return -1;
    /* The masters of the map first: they know it best. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < cs->n_nodes; i++) {
            struct sync_node *n = &cs->nodes[i];
            if ((pass == 0) != is_master(cs, &n->ep))
                continue;
            redisContext *c = node_connect(cs, n);
            if (!c)
                continue;
            redisReply *r = redisCommand(c, "CLUSTER SLOTS");
            if (!r) {
                node_close(n);
                continue;
            }
            int rc = queue_cluster_slot_map_parse(r, n->ep.host, fresh);
            freeReplyObject(r);
            if (rc != 0)
                continue;
            memcpy(cs->map, fresh, sizeof *fresh);
            free(fresh);
            cs->have_map = true;
            for (int m = 0; m < cs->map->n_masters; m++)
                node_get(cs, &cs->map->masters[m]);
            return 0;
        }
    }
    free(fresh);
    return -1;
}

struct cluster_sync *queue_cluster_sync_connect(const struct cluster_endpoint *seeds, int n_seeds,
                                                const struct cluster_options *opt)
{
    if (n_seeds < 1 || n_seeds > SYNC_MAX_NODES)
        return NULL;
    struct cluster_sync *cs = calloc(1, sizeof *cs);
    if (!cs)
        return NULL;
    if (opt)
        cs->opt = *opt;
    else
        queue_cluster_options_default(&cs->opt);
    cs->cmd_timeout_ms = cs->opt.timeout_ms;
    cs->map = malloc(sizeof *cs->map);
    if (!cs->map) {
        free(cs);
        return NULL;
    }
    cs->map->n_masters = 0;
    memset(cs->map->owner, -1, sizeof cs->map->owner);
    for (int i = 0; i < n_seeds; i++)
        node_get(cs, &seeds[i]);
    if (queue_cluster_sync_refresh(cs) != 0) {
        log_error("redis cluster: no seed node gave the slot map");
        queue_cluster_sync_free(cs);
        return NULL;
    }
    return cs;
}

static struct sync_node *slot_master(struct cluster_sync *cs, int slot)
{
    if (slot < 0 || slot >= CLUSTER_SLOTS || !cs->have_map || cs->map->owner[slot] < 0)
        return NULL;
    return node_get(cs, &cs->map->masters[cs->map->owner[slot]]);
}

redisContext *queue_cluster_sync_node(struct cluster_sync *cs, int slot)
{
    struct sync_node *n = slot_master(cs, slot);
    redisContext *c = n ? node_connect(cs, n) : NULL;
    if (c)
        n->used = true;
    return c;
}

void queue_cluster_sync_drop(struct cluster_sync *cs, redisContext *c)
{
    for (int i = 0; i < cs->n_nodes; i++)
        if (cs->nodes[i].c == c)
            node_close(&cs->nodes[i]);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Where a command goes next and why its last try failed. */
struct route {
    bool asking; /* the next try goes to ask_to, after ASKING */
    struct cluster_endpoint ask_to;
    int redirects;
    const char *why;
};

/* How one try ended: an answer (or a failure not to retry), a redirect to
 * follow at once, or a failure to retry after the backoff. */
enum try_result { TRY_DONE, TRY_REDIRECTED, TRY_BACKOFF };

/* Sends the command on c (after ASKING when asking) and reads its reply;
 * NULL (logged, the node closed) when the connection failed. */
static redisReply *send_on(struct sync_node *n, redisContext *c, bool asking, int argc,
                           const char **argv, const size_t *argvlen)
{
    n->used = true;
    if (asking)
        redisAppendCommand(c, "ASKING");
    redisAppendCommandArgv(c, argc, argv, argvlen);
    void *reply = NULL;
    if (asking) {
        if (redisGetReply(c, &reply) == REDIS_OK && reply)
            freeReplyObject(reply);
        reply = NULL;
    }
    if (redisGetReply(c, &reply) != REDIS_OK || !reply) {
        /* Sent, perhaps run: not resent. */
        log_warn("redis cluster: %s:%d failed: %s", n->ep.host, n->ep.port, c->errstr);
        node_close(n);
        return NULL;
    }
    return reply;
}

/* After MOVED: refreshes the slot map, and where the map lags the redirect,
 * trusts the redirect. */
static void follow_moved(struct cluster_sync *cs, const struct cluster_redirect *to)
{
    if (queue_cluster_sync_refresh(cs) == 0 && cs->map->owner[to->slot] >= 0 &&
        same(&cs->map->masters[cs->map->owner[to->slot]], &to->to))
        return;
    int idx = -1;
    for (int m = 0; m < cs->map->n_masters; m++)
        if (same(&cs->map->masters[m], &to->to))
            idx = m;
    if (idx < 0 && cs->map->n_masters < CLUSTER_MAX_MASTERS) {
        idx = cs->map->n_masters++;
        cs->map->masters[idx] = to->to;
    }
    if (idx >= 0)
        cs->map->owner[to->slot] = (int8_t)idx;
}

/* Sorts the node's reply r: a plain answer (into *out), a redirect
 * followed, or a retryable refusal (freed, rt->why set). */
static enum try_result sort_reply(struct cluster_sync *cs, int slot, struct route *rt,
                                  struct sync_node *n, redisReply *r, redisReply **out)
{
    struct cluster_redirect to;
    enum cluster_reply_kind kind = queue_cluster_reply_classify(r, n->ep.host, &to);
    switch (kind) {
    case CLUSTER_REPLY_PLAIN: *out = r; return TRY_DONE;
    case CLUSTER_REPLY_MOVED:
    case CLUSTER_REPLY_ASK:
        freeReplyObject(r);
        if (++rt->redirects > cs->opt.max_redirects) {
            log_error("redis cluster: slot %d: more than %d redirects; giving up", slot,
                      cs->opt.max_redirects);
            *out = NULL;
            return TRY_DONE;
        }
        if (kind == CLUSTER_REPLY_MOVED) {
            follow_moved(cs, &to);
        } else {
            rt->asking = true;
            rt->ask_to = to.to;
        }
        return TRY_REDIRECTED;
    case CLUSTER_REPLY_TRYAGAIN: rt->why = "TRYAGAIN (slot migrating)"; break;
    case CLUSTER_REPLY_CLUSTERDOWN: rt->why = "CLUSTERDOWN (no master serves it)"; break;
    }
    freeReplyObject(r);
    return TRY_BACKOFF;
}

/* One try on the slot's master (or the ASK target); *no_node when there
 * was no node or no connection to it. */
static enum try_result try_once(struct cluster_sync *cs, int slot, struct route *rt, int argc,
                                const char **argv, const size_t *argvlen, redisReply **out,
                                bool *no_node)
{
    struct sync_node *n = rt->asking ? node_get(cs, &rt->ask_to) : slot_master(cs, slot);
    redisContext *c = n ? node_connect(cs, n) : NULL;
    *no_node = !n || !c;
    if (!n) {
        rt->why = "no master in the slot map";
        return TRY_BACKOFF;
    }
    if (!c) {
        rt->why = "no connection to its master";
        return TRY_BACKOFF;
    }
    redisReply *r = send_on(n, c, rt->asking, argc, argv, argvlen);
    if (!r) {
        *out = NULL;
        return TRY_DONE;
    }
    rt->asking = false;
    return sort_reply(cs, slot, rt, n, r, out);
}

redisReply *queue_cluster_sync_command_argv(struct cluster_sync *cs, int slot, int argc,
                                            const char **argv, const size_t *argvlen)
{
    if (slot < 0 || slot >= CLUSTER_SLOTS || argc < 1)
        return NULL;
    int tries = 0;
    long backoff = cs->opt.backoff_first_ms;
    struct route rt = {.asking = false, .redirects = 0, .why = ""};
    for (;;) {
        redisReply *r = NULL;
        bool no_node;
        enum try_result t = try_once(cs, slot, &rt, argc, argv, argvlen, &r, &no_node);
        if (t == TRY_DONE)
            return r;
        if (t == TRY_REDIRECTED)
            continue;
        if (tries >= cs->opt.max_tries) {
            log_error("redis cluster: slot %d: %s after %d tries; giving up", slot, rt.why,
                      tries + 1);
            return NULL;
        }
        tries++;
        sleep_ms(backoff);
        backoff = backoff * 2 > cs->opt.backoff_max_ms ? cs->opt.backoff_max_ms : backoff * 2;
        if (no_node)
            queue_cluster_sync_refresh(cs);
    }
}

void queue_cluster_sync_set_timeout(struct cluster_sync *cs, int ms)
{
    cs->cmd_timeout_ms = ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    for (int i = 0; i < cs->n_nodes; i++)
        if (cs->nodes[i].c)
            redisSetTimeout(cs->nodes[i].c, tv);
}

void queue_cluster_sync_used_clear(struct cluster_sync *cs)
{
    for (int i = 0; i < cs->n_nodes; i++)
        cs->nodes[i].used = false;
}

int queue_cluster_sync_used(struct cluster_sync *cs, redisContext **out,
                            struct cluster_endpoint *eps, int max)
{
    int n = 0;
    for (int i = 0; i < cs->n_nodes && n < max; i++) {
        if (!cs->nodes[i].used || !cs->nodes[i].c)
            continue;
        out[n] = cs->nodes[i].c;
        eps[n++] = cs->nodes[i].ep;
    }
    return n;
}

void queue_cluster_sync_get_map(const struct cluster_sync *cs, struct cluster_slot_map *out)
{
    memcpy(out, cs->map, sizeof *out);
}

void queue_cluster_sync_free(struct cluster_sync *cs)
{
    if (!cs)
        return;
    for (int i = 0; i < cs->n_nodes; i++)
        node_close(&cs->nodes[i]);
    free(cs->map);
    free(cs);
}
