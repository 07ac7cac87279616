#include "cluster.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "queue/cluster_tx.h"

/* ---- slots ---- */

/* Bit by bit: 8 shifts per byte costs nothing next to a network round trip,
 * and needs no table to get wrong. */
uint16_t queue_cluster_crc16(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int bit = 0; bit < 8; bit++)
            crc = (uint16_t)((crc & 0x8000) ? ((crc << 1) ^ 0x1021) : (crc << 1));
    }
    return crc;
}

/* The specification's rule: the tag is what lies between the first '{' and
 * the first '}' after it; when there is none, or it is empty ("foo{}{bar}"),
 * the whole key is hashed. So "foo{{bar}}zap" hashes "{bar". */
int queue_cluster_key_slot(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len);
    if (open) {
        size_t rest = len - (size_t)(open - key) - 1;
        const char *close = memchr(open + 1, '}', rest);
        if (close && close > open + 1)
            return queue_cluster_crc16(open + 1, (size_t)(close - open - 1)) & (CLUSTER_SLOTS - 1);
    }
    return queue_cluster_crc16(key, len) & (CLUSTER_SLOTS - 1);
}

int queue_cluster_endpoint_parse(const char *text, size_t len, const char *default_host,
                                 struct cluster_endpoint *out)
{
    memset(out, 0, sizeof *out);
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
        if (text[i] == ':')
            colon = text + i;
    if (!colon)
        return -1;
    size_t host_len = (size_t)(colon - text);
    size_t port_len = len - host_len - 1;
    if (port_len == 0 || port_len > 5)
        return -1;
    int port = 0;
    for (size_t i = 0; i < port_len; i++) {
        char c = colon[1 + i];
        if (c < '0' || c > '9')
            return -1;
        port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535)
        return -1;
    if (host_len == 0) {
        if (!default_host || !default_host[0] || strlen(default_host) >= sizeof out->host)
            return -1;
        snprintf(out->host, sizeof out->host, "%s", default_host);
    } else {
        if (host_len >= sizeof out->host || memchr(text, '\0', host_len))
            return -1;
        memcpy(out->host, text, host_len);
    }
    out->port = port;
    return 0;
}

static bool endpoint_same(const struct cluster_endpoint *a, const struct cluster_endpoint *b)
{
    return a->port == b->port && strcmp(a->host, b->host) == 0;
}

static void slot_map_clear(struct cluster_slot_map *map)
{
    map->n_masters = 0;
    memset(map->owner, -1, sizeof map->owner);
}

static bool reply_is_int_in(const redisReply *r, long long lo, long long hi)
{
    return r && r->type == REDIS_REPLY_INTEGER && r->integer >= lo && r->integer <= hi;
}

int queue_cluster_slot_map_parse(const redisReply *reply, const char *answered_by,
                                 struct cluster_slot_map *map)
{
    slot_map_clear(map);
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        return -1;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *range = reply->element[i];
        if (!range || range->type != REDIS_REPLY_ARRAY || range->elements < 3)
            goto bad;
        const redisReply *start = range->element[0], *end = range->element[1];
        const redisReply *node = range->element[2];
        if (!reply_is_int_in(start, 0, CLUSTER_SLOTS - 1) ||
            !reply_is_int_in(end, start->integer, CLUSTER_SLOTS - 1))
            goto bad;
        if (!node || node->type != REDIS_REPLY_ARRAY || node->elements < 2 ||
            node->element[0]->type != REDIS_REPLY_STRING ||
            !reply_is_int_in(node->element[1], 1, 65535))
            goto bad;
        /* "?" is Redis 7's unknown endpoint, like the empty one. */
        const char *host = node->element[0]->str;
        size_t host_len = node->element[0]->len;
        if (host_len == 1 && host[0] == '?')
            host_len = 0;
        char text[CLUSTER_HOST_LEN + 8];
        if (host_len >= CLUSTER_HOST_LEN)
            goto bad;
        int n = snprintf(text, sizeof text, "%.*s:%lld", (int)host_len, host,
                         node->element[1]->integer);
        struct cluster_endpoint ep;
        if (queue_cluster_endpoint_parse(text, (size_t)n, answered_by, &ep) != 0)
            goto bad;
        int idx = -1;
        for (int m = 0; m < map->n_masters; m++)
            if (endpoint_same(&map->masters[m], &ep))
                idx = m;
        if (idx < 0) {
            if (map->n_masters == CLUSTER_MAX_MASTERS) {
                log_error("redis cluster: more than %d masters; not supported",
                          CLUSTER_MAX_MASTERS);
                goto bad;
            }
            idx = map->n_masters++;
            map->masters[idx] = ep;
        }
        for (long long s = start->integer; s <= end->integer; s++)
            map->owner[s] = (int8_t)idx;
    }
    return 0;
bad:
    slot_map_clear(map);
    return -1;
}

static bool error_starts(const redisReply *r, const char *word)
{
    size_t n = strlen(word);
    return r->len >= n && strncmp(r->str, word, n) == 0 && (r->len == n || r->str[n] == ' ');
}

/* "MOVED 3999 127.0.0.1:6381": two fields after the word, nothing else. */
static int parse_redirect(const redisReply *r, size_t word_len, const char *answered_by,
                          struct cluster_redirect *out)
{
    const char *p = r->str + word_len, *end = r->str + r->len;
    if (p >= end || *p != ' ')
        return -1;
    p++;
    int slot = 0, digits = 0;
    while (p < end && *p >= '0' && *p <= '9' && digits < 6) {
        slot = slot * 10 + (*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || slot >= CLUSTER_SLOTS || p >= end || *p != ' ')
        return -1;
    p++;
    const char *ep_start = p;
    while (p < end && *p != ' ')
        p++;
    if (p != end)
        return -1;
    if (queue_cluster_endpoint_parse(ep_start, (size_t)(end - ep_start), answered_by, &out->to) !=
        0)
        return -1;
    out->slot = slot;
    return 0;
}

enum cluster_reply_kind queue_cluster_reply_classify(const redisReply *reply,
                                                     const char *answered_by,
                                                     struct cluster_redirect *out)
{
    if (!reply || reply->type != REDIS_REPLY_ERROR || !reply->str)
        return CLUSTER_REPLY_PLAIN;
    if (error_starts(reply, "MOVED"))
        return parse_redirect(reply, 5, answered_by, out) == 0 ? CLUSTER_REPLY_MOVED
                                                               : CLUSTER_REPLY_PLAIN;
    if (error_starts(reply, "ASK"))
        return parse_redirect(reply, 3, answered_by, out) == 0 ? CLUSTER_REPLY_ASK
                                                               : CLUSTER_REPLY_PLAIN;
    if (error_starts(reply, "TRYAGAIN"))
        return CLUSTER_REPLY_TRYAGAIN;
    if (error_starts(reply, "CLUSTERDOWN"))
        return CLUSTER_REPLY_CLUSTERDOWN;
    return CLUSTER_REPLY_PLAIN;
}

static bool arg_is(const char *arg, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(arg, name, len) == 0;
}

static bool arg_in(const char *arg, size_t len, const char *const *names)
{
    for (; *names; names++)
        if (arg_is(arg, len, *names))
            return true;
    return false;
}

/* The slot of keys argv[from], argv[from + step], ... below `to`. */
static int keys_slot(const char *const *argv, const size_t *argvlen, int from, int to, int step)
{
    int slot = CLUSTER_SLOT_NO_KEY;
    for (int i = from; i < to; i += step) {
        int s = queue_cluster_key_slot(argv[i], argvlen[i]);
        if (slot >= 0 && s != slot)
            return CLUSTER_SLOT_CROSSSLOT;
        slot = s;
    }
    return slot;
}

int queue_cluster_command_slot(int argc, const char *const *argv, const size_t *argvlen)
{
    static const char *const keyless[] = {
        "PING",     "SCRIPT",    "CLUSTER",   "INFO",        "WAIT",     "MULTI",     "EXEC",
        "DISCARD",  "PUBLISH",   "SUBSCRIBE", "UNSUBSCRIBE", "SELECT",   "COMMAND",   "DBSIZE",
        "FLUSHALL", "FLUSHDB",   "TIME",      "ASKING",      "READONLY", "READWRITE", "SCAN",
        "KEYS",     "RANDOMKEY", "AUTH",      "HELLO",       "CLIENT",   "CONFIG",    "FUNCTION",
        "ECHO",     "QUIT",      "RESET",     NULL};
    static const char *const scripts[] = {"EVAL",  "EVALSHA",  "EVAL_RO", "EVALSHA_RO",
                                          "FCALL", "FCALL_RO", NULL};
    static const char *const subcommand_first[] = {"XGROUP", "XINFO", "OBJECT", "MEMORY", NULL};
    static const char *const all_keys[] = {"DEL",   "EXISTS", "UNLINK", "MGET",  "TOUCH",
                                           "WATCH", "SINTER", "SUNION", "SDIFF", NULL};
    if (argc < 1)
        return CLUSTER_SLOT_MALFORMED;
    const char *cmd = argv[0];
    size_t len = argvlen[0];
    if (arg_in(cmd, len, keyless))
        return CLUSTER_SLOT_NO_KEY;
    if (arg_in(cmd, len, scripts)) {
        if (argc < 3 || argvlen[2] == 0 || argvlen[2] > 6)
            return CLUSTER_SLOT_MALFORMED;
        int numkeys = 0;
        for (size_t i = 0; i < argvlen[2]; i++) {
            if (argv[2][i] < '0' || argv[2][i] > '9')
                return CLUSTER_SLOT_MALFORMED;
            numkeys = numkeys * 10 + (argv[2][i] - '0');
        }
        if (numkeys > argc - 3)
            return CLUSTER_SLOT_MALFORMED;
        return keys_slot(argv, argvlen, 3, 3 + numkeys, 1);
    }
    if (arg_is(cmd, len, "XREAD") || arg_is(cmd, len, "XREADGROUP")) {
        for (int i = 1; i < argc; i++) {
            if (arg_is(argv[i], argvlen[i], "STREAMS")) {
                int rest = argc - i - 1;
                if (rest < 2 || rest % 2)
                    return CLUSTER_SLOT_MALFORMED;
                return keys_slot(argv, argvlen, i + 1, i + 1 + rest / 2, 1);
            }
        }
        return CLUSTER_SLOT_MALFORMED;
    }
    if (arg_in(cmd, len, subcommand_first))
        return argc >= 3 ? queue_cluster_key_slot(argv[2], argvlen[2]) : CLUSTER_SLOT_MALFORMED;
    if (arg_in(cmd, len, all_keys))
        return argc >= 2 ? keys_slot(argv, argvlen, 1, argc, 1) : CLUSTER_SLOT_MALFORMED;
    if (arg_is(cmd, len, "MSET") || arg_is(cmd, len, "MSETNX"))
        return argc >= 3 && argc % 2 ? keys_slot(argv, argvlen, 1, argc, 2)
                                     : CLUSTER_SLOT_MALFORMED;
    return argc >= 2 ? queue_cluster_key_slot(argv[1], argvlen[1]) : CLUSTER_SLOT_MALFORMED;
}

/* ---- the router ---- */

struct cluster_node {
    struct cluster *cl;
    struct cluster_endpoint ep;
    struct rconn *rc;
};

/* One command until its caller is answered. Lives on cl's list so that
 * queue_cluster_free can answer it. */
struct ccmd {
    struct cluster *cl;
    struct ccmd *prev, *next;
    rconn_reply_cb cb;
    void *arg;
    int slot;
    int argc;
    char **argv;
    size_t *argvlen;
    int tries;     /* waits so far */
    int redirects; /* MOVED + ASK so far */
    bool asking;   /* the next send goes to ask_to, after ASKING */
    struct cluster_endpoint ask_to;
    struct cluster_node *sent_to;
    struct event *timer;
    bool acked; /* sent with queue_rconn_command_argv_acked: WAIT follows it on its node */
};

struct cluster {
    struct event_base *base;
    struct cluster_options opt;
    struct cluster_node *nodes[CLUSTER_MAX_MASTERS * 2];
    int n_nodes;
    int n_seeds; /* nodes[0..n_seeds) are the seeds */
    struct cluster_slot_map *map;
    bool have_map;
    bool refreshing;
    bool refresh_again; /* a MOVED came while a refresh was in flight */
    bool closing;
    struct timeval last_refresh; /* when the last CLUSTER SLOTS answer came */
    struct event *refresh_ev;
    struct ccmd *cmds;
    rconn_ready_cb ready_cb;
    void *ready_arg;
};

void queue_cluster_options_default(struct cluster_options *opt)
{
    opt->timeout_ms = 2000;
    opt->max_tries = 10;
    opt->backoff_first_ms = 10;
    opt->backoff_max_ms = 500;
    opt->max_redirects = 16;
    opt->replica_acks = 0;
    opt->replica_acks_timeout_ms = 0;
}

static void request_refresh(struct cluster *cl);

static void on_node_ready(struct rconn *rc, void *arg)
{
    struct cluster_node *node = arg;
    struct cluster *cl = node->cl;
    log_info("redis cluster: connected to %s:%d", node->ep.host, node->ep.port);
    if (cl->ready_cb)
        cl->ready_cb(rc, cl->ready_arg);
    if (!cl->have_map)
        request_refresh(cl);
}

static struct cluster_node *node_find(struct cluster *cl, const struct cluster_endpoint *ep)
{
    for (int i = 0; i < cl->n_nodes; i++)
        if (endpoint_same(&cl->nodes[i]->ep, ep))
            return cl->nodes[i];
    return NULL;
}

/* The node at ep, connecting to it the first time. NULL when out of memory
 * or when the cluster has more nodes than this router holds. */
static struct cluster_node *node_get(struct cluster *cl, const struct cluster_endpoint *ep)
{
    struct cluster_node *node = node_find(cl, ep);
    if (node)
        return node;
    if (cl->n_nodes == (int)(sizeof cl->nodes / sizeof *cl->nodes)) {
        log_error("redis cluster: too many nodes; not connecting to %s:%d", ep->host, ep->port);
        return NULL;
    }
    node = calloc(1, sizeof *node);
    if (!node)
        return NULL;
    node->cl = cl;
    node->ep = *ep;
    struct redis_address addr;
    memset(&addr, 0, sizeof addr);
    snprintf(addr.host, sizeof addr.host, "%s", ep->host);
    addr.port = ep->port;
    addr.replica_acks = cl->opt.replica_acks;
    addr.replica_acks_timeout_ms = cl->opt.replica_acks_timeout_ms;
    node->rc = queue_rconn_new(cl->base, &addr, cl->opt.timeout_ms);
    if (!node->rc) {
        free(node);
        return NULL;
    }
    queue_rconn_set_ready_cb(node->rc, on_node_ready, node);
    cl->nodes[cl->n_nodes++] = node;
    return node;
}

/* Drops the connections to nodes that are neither seeds nor masters of the
 * map and are down (a killed master after its replica took over): they would
 * otherwise try to reconnect, and log it, forever. A connected one is kept:
 * commands in flight there will be answered (MOVED, at worst). */
static void prune_nodes(struct cluster *cl, const struct cluster_node *keep)
{
    int kept = 0;
    for (int i = 0; i < cl->n_nodes; i++) {
        struct cluster_node *node = cl->nodes[i];
        bool master = false;
        for (int m = 0; m < cl->map->n_masters; m++)
            master |= endpoint_same(&cl->map->masters[m], &node->ep);
        if (i < cl->n_seeds || master || node == keep || queue_rconn_is_connected(node->rc)) {
            cl->nodes[kept++] = node;
            continue;
        }
        log_info("redis cluster: %s:%d is no master any more and is down; not reconnecting",
                 node->ep.host, node->ep.port);
        queue_rconn_free(node->rc);
        free(node);
    }
    cl->n_nodes = kept;
}

static void on_slots(redisReply *reply, void *arg)
{
    struct cluster_node *node = arg;
    struct cluster *cl = node->cl;
    cl->refreshing = false;
    if (cl->closing)
        return;
    event_base_gettimeofday_cached(cl->base, &cl->last_refresh);
    struct cluster_slot_map *fresh = malloc(sizeof *fresh);
    if (!fresh) {
        log_error("redis cluster: out of memory reading the slot map");
        return;
    }
    if (queue_cluster_slot_map_parse(reply, node->ep.host, fresh) != 0) {
        log_warn("redis cluster: %s:%d answered CLUSTER SLOTS with %s", node->ep.host,
                 node->ep.port,
                 reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "no slot map");
        free(fresh);
        return;
    }
    int uncovered = 0;
    for (int s = 0; s < CLUSTER_SLOTS; s++)
        uncovered += fresh->owner[s] < 0;
    for (int m = 0; m < fresh->n_masters; m++)
        node_get(cl, &fresh->masters[m]);
    memcpy(cl->map, fresh, sizeof *fresh);
    free(fresh);
    if (!cl->have_map || uncovered)
        log_info("redis cluster: slot map read from %s:%d: %d masters, %d slots without one",
                 node->ep.host, node->ep.port, cl->map->n_masters, uncovered);
    cl->have_map = true;
    prune_nodes(cl, node);
    if (cl->refresh_again) {
        cl->refresh_again = false;
        request_refresh(cl);
    }
}

/* Reads CLUSTER SLOTS from a connected node: a master of the map first,
 * else any node. At most one read in flight and one each REFRESH_GAP_MS
 * (many commands waiting for one dead master ask for it together); tries
 * again shortly while no node is connected. */
#define REFRESH_GAP_MS 100
static void request_refresh(struct cluster *cl)
{
    if (cl->closing)
        return;
    if (cl->refreshing) {
        cl->refresh_again = true;
        return;
    }
    if (evtimer_pending(cl->refresh_ev, NULL))
        return;
    if (cl->last_refresh.tv_sec || cl->last_refresh.tv_usec) {
        struct timeval now;
        event_base_gettimeofday_cached(cl->base, &now);
        long ms = (now.tv_sec - cl->last_refresh.tv_sec) * 1000 +
                  (now.tv_usec - cl->last_refresh.tv_usec) / 1000;
        if (ms >= 0 && ms < REFRESH_GAP_MS) {
            struct timeval tv = {0, (REFRESH_GAP_MS - ms) * 1000};
            evtimer_add(cl->refresh_ev, &tv);
            return;
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < cl->n_nodes; i++) {
            struct cluster_node *node = cl->nodes[i];
            bool master = false;
            for (int m = 0; m < cl->map->n_masters; m++)
                master |= endpoint_same(&cl->map->masters[m], &node->ep);
            if ((pass == 0 && !master) || !queue_rconn_is_connected(node->rc))
                continue;
            if (queue_rconn_command(node->rc, on_slots, node, "CLUSTER SLOTS") == 0) {
                cl->refreshing = true;
                return;
            }
        }
    }
    struct timeval tv = {0, 100 * 1000};
    evtimer_add(cl->refresh_ev, &tv);
}

static void on_refresh_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    request_refresh(arg);
}

struct cluster *queue_cluster_new(struct event_base *base, const struct cluster_endpoint *seeds,
                                  int n_seeds, const struct cluster_options *opt)
{
    if (n_seeds < 1 || n_seeds > CLUSTER_MAX_MASTERS)
        return NULL;
    struct cluster *cl = calloc(1, sizeof *cl);
    if (!cl)
        return NULL;
    cl->base = base;
    if (opt)
        cl->opt = *opt;
    else
        queue_cluster_options_default(&cl->opt);
    cl->map = malloc(sizeof *cl->map);
    cl->refresh_ev = evtimer_new(base, on_refresh_timer, cl);
    if (!cl->map || !cl->refresh_ev) {
        queue_cluster_free(cl);
        return NULL;
    }
    slot_map_clear(cl->map);
    for (int i = 0; i < n_seeds; i++) {
        if (!node_get(cl, &seeds[i])) {
            queue_cluster_free(cl);
            return NULL;
        }
    }
    cl->n_seeds = cl->n_nodes;
    return cl;
}

void queue_cluster_set_ready_cb(struct cluster *cl, rconn_ready_cb cb, void *arg)
{
    cl->ready_cb = cb;
    cl->ready_arg = arg;
}

bool queue_cluster_has_map(const struct cluster *cl)
{
    return cl->have_map;
}

void queue_cluster_get_map(const struct cluster *cl, struct cluster_slot_map *out)
{
    memcpy(out, cl->map, sizeof *out);
}

int queue_cluster_master_of_slot(const struct cluster *cl, int slot, struct cluster_endpoint *out)
{
    if (!cl->have_map || slot < 0 || slot >= CLUSTER_SLOTS || cl->map->owner[slot] < 0)
        return -1;
    *out = cl->map->masters[cl->map->owner[slot]];
    return 0;
}

int queue_cluster_connections(const struct cluster *cl)
{
    return cl->n_nodes;
}

static void ccmd_free(struct ccmd *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->cl->cmds = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->timer)
        event_free(c->timer);
    free(c->argv);
    free(c);
}

/* Answers the caller and frees the command. */
static void ccmd_finish(struct ccmd *c, redisReply *reply)
{
    rconn_reply_cb cb = c->cb;
    void *arg = c->arg;
    ccmd_free(c);
    cb(reply, arg);
}

static void ccmd_send(struct ccmd *c);

static void on_ccmd_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ccmd_send(arg);
}

/* The command could not run now (why): wait and send it again, or give up
 * once max_tries waits have passed. */
static void ccmd_wait(struct ccmd *c, const char *why)
{
    struct cluster *cl = c->cl;
    if (c->tries >= cl->opt.max_tries) {
        log_error("redis cluster: slot %d: %s after %d tries; giving up (the request is "
                  "answered 503)",
                  c->slot, why, c->tries + 1);
        ccmd_finish(c, NULL);
        return;
    }
    long ms = cl->opt.backoff_first_ms;
    for (int i = 0; i < c->tries && ms < cl->opt.backoff_max_ms; i++)
        ms *= 2;
    if (ms > cl->opt.backoff_max_ms)
        ms = cl->opt.backoff_max_ms;
    c->tries++;
    log_debug("redis cluster: slot %d: %s; trying again in %ld ms", c->slot, why, ms);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
}

static void on_asking(redisReply *reply, void *arg)
{
    (void)reply;
    (void)arg;
}

static void on_ccmd_reply(redisReply *reply, void *arg)
{
    struct ccmd *c = arg;
    struct cluster *cl = c->cl;
    bool was_asking = c->asking;
    c->asking = false;
    if (cl->closing || !reply) {
        ccmd_finish(c, NULL);
        return;
    }
    struct cluster_redirect to;
    switch (queue_cluster_reply_classify(reply, c->sent_to->ep.host, &to)) {
    case CLUSTER_REPLY_MOVED: {
        if (++c->redirects > cl->opt.max_redirects)
            break;
        struct cluster_node *node = node_get(cl, &to.to);
        if (node) {
            int idx = -1;
            for (int m = 0; m < cl->map->n_masters; m++)
                if (endpoint_same(&cl->map->masters[m], &to.to))
                    idx = m;
            if (idx < 0 && cl->map->n_masters < CLUSTER_MAX_MASTERS) {
                idx = cl->map->n_masters++;
                cl->map->masters[idx] = to.to;
            }
            if (idx >= 0)
                cl->map->owner[to.slot] = (int8_t)idx;
        }
        log_debug("redis cluster: slot %d moved to %s:%d", to.slot, to.to.host, to.to.port);
        request_refresh(cl);
        ccmd_send(c);
        return;
    }
    case CLUSTER_REPLY_ASK:
        if (++c->redirects > cl->opt.max_redirects)
            break;
        c->asking = true;
        c->ask_to = to.to;
        ccmd_send(c);
        return;
    case CLUSTER_REPLY_TRYAGAIN: ccmd_wait(c, "TRYAGAIN (slot migrating)"); return;
    case CLUSTER_REPLY_CLUSTERDOWN: ccmd_wait(c, "CLUSTERDOWN (no master serves it)"); return;
    case CLUSTER_REPLY_PLAIN: ccmd_finish(c, reply); return;
    }
    log_error("redis cluster: slot %d: more than %d redirects%s; giving up (the request is "
              "answered 503)",
              c->slot, cl->opt.max_redirects, was_asking ? " (last one ASK)" : "");
    ccmd_finish(c, NULL);
}

/* Sends c to the node that should run it now, or waits. */
static void ccmd_send(struct ccmd *c)
{
    struct cluster *cl = c->cl;
    if (cl->closing) {
        ccmd_finish(c, NULL);
        return;
    }
    struct cluster_node *node = NULL;
    if (c->asking) {
        node = node_get(cl, &c->ask_to);
    } else if (cl->have_map && cl->map->owner[c->slot] >= 0) {
        node = node_get(cl, &cl->map->masters[cl->map->owner[c->slot]]);
    } else {
        request_refresh(cl);
        ccmd_wait(c, cl->have_map ? "no master in the slot map" : "no slot map yet");
        return;
    }
    if (!node || !queue_rconn_is_connected(node->rc)) {
        /* Down, perhaps for good (its replica may be taking over). */
        if (!c->asking)
            request_refresh(cl);
        ccmd_wait(c, "no connection to its master");
        return;
    }
    if (c->asking) {
        /* On the same connection, so the node reads ASKING first. */
        static const char *asking[] = {"ASKING"};
        static const size_t asking_len[] = {6};
        if (queue_rconn_command_argv(node->rc, on_asking, NULL, 1, asking, asking_len) != 0) {
            ccmd_wait(c, "no connection to the ASK target");
            return;
        }
    }
    c->sent_to = node;
    int (*send)(struct rconn *, rconn_reply_cb, void *, int, const char **, const size_t *) =
        c->acked ? queue_rconn_command_argv_acked : queue_rconn_command_argv;
    if (send(node->rc, on_ccmd_reply, c, c->argc, (const char **)c->argv, c->argvlen) != 0)
        ccmd_wait(c, "no connection to its master");
}

/* A command for the router to send (acked: queue_cluster_command_argv_acked). */
static int command_new(struct cluster *cl, int slot, bool acked, rconn_reply_cb cb, void *arg,
                       int argc, const char **argv, const size_t *argvlen)
{
    if (slot < 0 || slot >= CLUSTER_SLOTS || argc < 1)
        return -1;
    struct ccmd *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    if (queue_resp_argv_copy(argc, argv, argvlen, &c->argv, &c->argvlen) != 0) {
        free(c);
        return -1;
    }
    c->timer = evtimer_new(cl->base, on_ccmd_timer, c);
    if (!c->timer) {
        free(c->argv);
        free(c);
        return -1;
    }
    c->cl = cl;
    c->cb = cb;
    c->arg = arg;
    c->slot = slot;
    c->argc = argc;
    c->acked = acked;
    c->next = cl->cmds;
    if (cl->cmds)
        cl->cmds->prev = c;
    cl->cmds = c;
    ccmd_send(c);
    return 0;
}

int queue_cluster_command_argv(struct cluster *cl, int slot, rconn_reply_cb cb, void *arg, int argc,
                               const char **argv, const size_t *argvlen)
{
    return command_new(cl, slot, false, cb, arg, argc, argv, argvlen);
}

int queue_cluster_command_argv_acked(struct cluster *cl, int slot, rconn_reply_cb cb, void *arg,
                                     int argc, const char **argv, const size_t *argvlen)
{
    return command_new(cl, slot, true, cb, arg, argc, argv, argvlen);
}

void queue_cluster_free(struct cluster *cl)
{
    if (!cl)
        return;
    cl->closing = true;
    /* Commands on a connection are answered (NULL) by queue_rconn_free; the ones
     * waiting on a timer are answered here. */
    for (int i = 0; i < cl->n_nodes; i++) {
        queue_rconn_free(cl->nodes[i]->rc);
        free(cl->nodes[i]);
    }
    while (cl->cmds)
        ccmd_finish(cl->cmds, NULL);
    if (cl->refresh_ev)
        event_free(cl->refresh_ev);
    free(cl->map);
    free(cl);
}
