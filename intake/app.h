/*
 * The running server's shared state: configuration, event loop, Redis
 * connection, calendar. Built once in main(); request handlers get a pointer.
 */
#ifndef CLAIMS_APP_H
#define CLAIMS_APP_H

#include <stdbool.h>

#include "calendar.h"
#include "config.h"
#include "queue/redis_conn.h"

struct event_base;
struct http_server;
struct queue_intake;
struct ratelimit;
struct token_cache;
struct token_sub;

struct app {
    struct config cfg;
    struct calendar calendar;
    struct redis_address redis_addr;
    struct event_base *base;
    struct rconn *redis;
    struct queue_intake *intake; /* the intake step, batched per loop turn */
    /* With replica_acks, the intake step's own connection (its WAITs hold
     * the connection they are sent on); NULL: intake uses redis. */
    struct rconn *intake_redis;
    struct http_server *http;
    /* Authenticated tokens and the subscriber that keeps them honest
     * (queue/token_cache.h); NULL where there is no HTTP listener. Used on
     * the event-loop thread only. */
    struct token_cache *tokens;
    struct token_sub *token_sub;
    /* Rate limits (cfg.rate_limits, common/ratelimit.h), this process's
     * own; NULL where there is no HTTP listener. Event-loop thread only. */
    struct ratelimit *ratelimit;
    bool stopping;
};

#endif
