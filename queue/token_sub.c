#include "token_sub.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "queue/keys.h"

/* Heartbeats remembered by sequence number: 4 s of them at 250 ms. */
#define HEARTBEAT_RING 16

struct token_sub {
    struct event_base *base;
    struct redis_address addr;
    int timeout_ms;
    struct rconn *publisher;
    struct token_cache *cache;
    char channel[KEY_LEN];    /* revocations */
    char hb_channel[KEY_LEN]; /* this process's heartbeats */
    redisAsyncContext *ctx;   /* NULL while disconnected */
    bool subscribed;          /* both channels confirmed */
    bool closing;
    int backoff_ms;
    int64_t subscribe_sent_ms;
    uint64_t hb_sent; /* last heartbeat number published */
    int64_t hb_sent_ms[HEARTBEAT_RING];
    int64_t first_unanswered_ms;    /* 0: every heartbeat sent so far came back */
    struct event *retry_ev;         /* reconnect timer */
    struct event *connect_ev;       /* connect-and-subscribe deadline */
    struct event *reset_ev;         /* drops the connection outside any hiredis callback */
    struct event *hb_ev;            /* heartbeat timer */
    unsigned next_seed;             /* cluster mode: the seed tried next without a map */
    struct cluster_endpoint sub_at; /* cluster mode: the node subscribed on */
};

static void start_connect(struct token_sub *ts);

/* Tries again after the current backoff (0.1 s doubling to 2 s), unless
 * queue_token_sub_free has begun. */
static void schedule_reconnect(struct token_sub *ts)
{
    if (ts->closing)
        return;
    queue_redis_backoff_arm(ts->retry_ev, &ts->backoff_ms);
}

/* The subscription is gone or never came: stop using the cache. */
static void lost(struct token_sub *ts)
{
    if (ts->subscribed && !ts->closing)
        log_warn("token revocations: subscription lost; the token cache is off until it is back");
    ts->subscribed = false;
    ts->first_unanswered_ms = 0;
    queue_token_cache_close(ts->cache);
}

/* Frees the current context; its callbacks are ignored from here on. Must
 * not be called from inside a hiredis callback (use reset_ev). */
static void drop_context(struct token_sub *ts)
{
    redisAsyncContext *ac = ts->ctx;
    lost(ts);
    if (!ac)
        return;
    ts->ctx = NULL;
    evtimer_del(ts->connect_ev);
    ac->data = NULL;
    redisAsyncFree(ac);
}

/* reset_ev: a hiredis callback asked for the connection to be remade. */
static void on_reset(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct token_sub *ts = arg;
    if (!ts->ctx)
        return;
    drop_context(ts);
    schedule_reconnect(ts);
}

/* A heartbeat number came back on our channel: every revocation published
 * before it was sent has been received, so the cache is good until one
 * lease after that moment. */
static void on_heartbeat(struct token_sub *ts, const char *text)
{
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    if (*end || n == 0 || n > ts->hb_sent || ts->hb_sent - n >= HEARTBEAT_RING)
        return;
    queue_token_cache_extend(ts->cache, ts->hb_sent_ms[n % HEARTBEAT_RING] + TOKEN_SUB_LEASE_MS);
    ts->first_unanswered_ms = n == ts->hb_sent ? 0 : ts->hb_sent_ms[(n + 1) % HEARTBEAT_RING];
}

/* Every reply on the subscribed connection: subscribe confirmations and
 * messages of both channels. NULL when the context goes away (ignored:
 * on_disconnect or drop_context has handled it). */
static void on_sub_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)privdata;
    struct token_sub *ts = ac->data;
    redisReply *reply = r;
    if (!ts || ac != ts->ctx || !reply)
        return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        log_error("token revocations: unexpected reply to SUBSCRIBE; reconnecting");
        event_active(ts->reset_ev, 0, 0);
        return;
    }
    const char *kind = reply->element[0]->str;
    const redisReply *channel = reply->element[1], *value = reply->element[2];
    if (strcmp(kind, "subscribe") == 0) {
        /* The count of our subscriptions: both channels make 2. */
        if (value->type == REDIS_REPLY_INTEGER && value->integer == 2 && !ts->subscribed) {
            evtimer_del(ts->connect_ev);
            ts->subscribed = true;
            ts->backoff_ms = 100;
            /* Whatever was revoked before the SUBSCRIBE ran is out of Redis,
             * and the cache starts empty. */
            queue_token_cache_open(ts->cache, ts->subscribe_sent_ms + TOKEN_SUB_LEASE_MS);
            log_info("token revocations: subscribed; the token cache is on");
        }
        return;
    }
    if (strcmp(kind, "message") != 0 || channel->type != REDIS_REPLY_STRING ||
        value->type != REDIS_REPLY_STRING)
        return;
    if (strcmp(channel->str, ts->channel) == 0)
        queue_token_cache_revoked(ts->cache, value->str);
    else if (ts->subscribed && strcmp(channel->str, ts->hb_channel) == 0)
        on_heartbeat(ts, value->str);
}

/* Subscribes to both channels; the cache opens when both are confirmed. */
static void subscribe(struct token_sub *ts, redisAsyncContext *ac)
{
    ts->subscribe_sent_ms = queue_token_cache_now_ms();
    if (redisAsyncCommand(ac, on_sub_reply, NULL, "SUBSCRIBE %s %s", ts->channel, ts->hb_channel) !=
        REDIS_OK) {
        log_warn("token revocations: SUBSCRIBE could not be sent; reconnecting");
        event_active(ts->reset_ev, 0, 0);
    }
}

/* The SELECT of a non-zero database answered: subscribe next. */
static void on_select(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)privdata;
    struct token_sub *ts = ac->data;
    redisReply *reply = r;
    if (!ts || ac != ts->ctx || !reply)
        return;
    if (reply->type != REDIS_REPLY_STATUS) {
        log_error("token revocations: SELECT %d failed", ts->addr.db);
        event_active(ts->reset_ev, 0, 0);
        return;
    }
    subscribe(ts, ac);
}

/* The connection is up (or failed; hiredis then frees the context). */
static void on_connect(const redisAsyncContext *cac, int status)
{
    redisAsyncContext *ac = (redisAsyncContext *)cac;
    struct token_sub *ts = ac->data;
    if (!ts || ac != ts->ctx)
        return;
    if (status != REDIS_OK) {
        log_warn("token revocations: connect failed: %s", ac->errstr);
        ts->ctx = NULL; /* hiredis frees the context after this callback */
        evtimer_del(ts->connect_ev);
        schedule_reconnect(ts);
        return;
    }
    /* Selecting the database is not needed for pub/sub, whose channels are
     * global, but keeps this connection like the others in CLIENT LIST. */
    if (ts->addr.db)
        redisAsyncCommand(ac, on_select, NULL, "SELECT %d", ts->addr.db);
    else
        subscribe(ts, ac);
}

/* Redis closed the connection (or it broke): the cache goes off and a new
 * connection is tried after the backoff. hiredis frees the context. */
static void on_disconnect(const redisAsyncContext *cac, int status)
{
    redisAsyncContext *ac = (redisAsyncContext *)cac;
    struct token_sub *ts = ac->data;
    if (!ts || ac != ts->ctx)
        return;
    ts->ctx = NULL; /* hiredis frees it */
    evtimer_del(ts->connect_ev);
    if (status != REDIS_OK)
        log_warn("token revocations: disconnected: %s", ac->errstr);
    lost(ts);
    schedule_reconnect(ts);
}

/* Connecting and subscribing together must finish within the timeout. */
static void on_connect_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct token_sub *ts = arg;
    if (ts->ctx && !ts->subscribed) {
        log_warn("token revocations: connect or subscribe timed out");
        drop_context(ts);
        schedule_reconnect(ts);
    }
}

/* Starts an asynchronous connect on the event base, with a deadline for
 * connecting and subscribing together. */
static void start_connect(struct token_sub *ts)
{
    if (ts->addr.is_cluster) {
        /* The master of slot 0, where every revocation and heartbeat is
         * published (keyless commands go there): delivered there in the
         * order published, as on one Redis, with no cluster bus between.
         * Before the map is known, the seeds in turn. */
        struct cluster_endpoint ep;
        if (queue_rconn_master_of_slot(ts->publisher, 0, &ep) != 0)
            ep = ts->addr.seeds[ts->next_seed++ % (unsigned)ts->addr.n_seeds];
        ts->sub_at = ep;
        snprintf(ts->addr.host, sizeof ts->addr.host, "%s", ep.host);
        ts->addr.port = ep.port;
    }
    redisAsyncContext *ac = queue_redis_connect_async(ts->base, &ts->addr, ts, on_connect,
                                                      on_disconnect, "token revocations");
    if (!ac) {
        schedule_reconnect(ts);
        return;
    }
    ts->ctx = ac;
    struct timeval tv = {ts->timeout_ms / 1000, (ts->timeout_ms % 1000) * 1000};
    evtimer_add(ts->connect_ev, &tv);
}

/* retry_ev: the backoff is over. */
static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct token_sub *ts = arg;
    if (!ts->ctx && !ts->closing)
        start_connect(ts);
}

/* The answer to a heartbeat PUBLISH; the proof is its arrival on the
 * subscribed connection, not this reply. Takes no argument, so that it is
 * safe after queue_token_sub_free. */
static void on_heartbeat_published(redisReply *reply, void *arg)
{
    (void)reply;
    (void)arg;
}

/* hb_ev, every TOKEN_SUB_HEARTBEAT_MS: remakes a subscription whose
 * heartbeats stopped coming back, else publishes the next heartbeat. */
static void on_heartbeat_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct token_sub *ts = arg;
    if (!ts->subscribed)
        return;
    struct cluster_endpoint master;
    if (ts->addr.is_cluster && queue_rconn_master_of_slot(ts->publisher, 0, &master) == 0 &&
        (master.port != ts->sub_at.port || strcmp(master.host, ts->sub_at.host) != 0)) {
        log_info("token revocations: slot 0 has another master; subscribing there");
        drop_context(ts);
        schedule_reconnect(ts);
        return;
    }
    int64_t now = queue_token_cache_now_ms();
    if (ts->first_unanswered_ms && now - ts->first_unanswered_ms > TOKEN_SUB_DEAD_MS) {
        log_warn("token revocations: heartbeats do not come back; reconnecting");
        drop_context(ts);
        schedule_reconnect(ts);
        return;
    }
    char number[24];
    snprintf(number, sizeof number, "%llu", (unsigned long long)(ts->hb_sent + 1));
    if (queue_rconn_command(ts->publisher, on_heartbeat_published, NULL, "PUBLISH %s %s",
                            ts->hb_channel, number) != 0)
        return; /* no command connection now; the lease runs out by itself */
    ts->hb_sent++;
    ts->hb_sent_ms[ts->hb_sent % HEARTBEAT_RING] = now;
    if (!ts->first_unanswered_ms)
        ts->first_unanswered_ms = now;
}

struct token_sub *queue_token_sub_start(struct event_base *base, const struct redis_address *addr,
                                        int timeout_ms, struct rconn *publisher, const char *prefix,
                                        struct token_cache *cache)
{
    struct token_sub *ts = calloc(1, sizeof *ts);
    if (!ts)
        return NULL;
    ts->base = base;
    ts->addr = *addr;
    ts->timeout_ms = timeout_ms;
    ts->publisher = publisher;
    ts->cache = cache;
    ts->backoff_ms = 100;
    /* A random name for this process's heartbeat channel. */
    unsigned char bytes[8] = {0};
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
        log_warn("token revocations: no randomness for the heartbeat channel name");
    char id[17];
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(id + 2 * i, 3, "%02x", bytes[i]);
    snprintf(ts->channel, sizeof ts->channel, CHANF_TOKEN_REVOKED, prefix);
    snprintf(ts->hb_channel, sizeof ts->hb_channel, CHANF_TOKEN_HEARTBEAT, prefix, id);
    ts->retry_ev = evtimer_new(base, on_retry, ts);
    ts->connect_ev = evtimer_new(base, on_connect_deadline, ts);
    ts->reset_ev = event_new(base, -1, 0, on_reset, ts);
    ts->hb_ev = event_new(base, -1, EV_PERSIST, on_heartbeat_tick, ts);
    if (!ts->retry_ev || !ts->connect_ev || !ts->reset_ev || !ts->hb_ev) {
        queue_token_sub_free(ts);
        return NULL;
    }
    struct timeval every = {0, TOKEN_SUB_HEARTBEAT_MS * 1000};
    event_add(ts->hb_ev, &every);
    queue_token_cache_close(cache);
    start_connect(ts);
    return ts;
}

void queue_token_sub_free(struct token_sub *ts)
{
    if (!ts)
        return;
    ts->closing = true;
    drop_context(ts);
    if (ts->retry_ev)
        event_free(ts->retry_ev);
    if (ts->connect_ev)
        event_free(ts->connect_ev);
    if (ts->reset_ev)
        event_free(ts->reset_ev);
    if (ts->hb_ev)
        event_free(ts->hb_ev);
    free(ts);
}
