/*
 * The webhook dispatcher (docs/webhooks.md): on the event loop, it fans the
 * events streams of every shard out to subscriptions through the consumer
 * group EVENTS_GROUP and POSTs each due delivery with libcurl's multi
 * interface, driven by libevent (curl tells which sockets to watch and when
 * to wake it; no thread per request, nothing blocks the loop). Redis is
 * reached only through the loop's rconn, and every state change of a
 * delivery is one script of queue/webhooks.h, so several claimsd processes
 * can run dispatchers on one Redis: each event is fanned out once per
 * subscription, each delivery attempted by one process at a time (a lease),
 * and a process killed at any point leaves its events pending and its
 * deliveries due.
 *
 * Before each request the receiver's host is resolved and every address
 * checked (notify/webhook_dns.h: public, or in allow_private); the request is
 * then pinned to the checked address (CURLOPT_CONNECT_TO) and curl's socket
 * is refused if it would go anywhere else. A refused receiver's delivery is
 * dead at once with the error "address not allowed" (docs/webhooks.md
 * "Which addresses are refused").
 */
#ifndef CLAIMS_EOB_NOTIFY_H
#define CLAIMS_EOB_NOTIFY_H

#include "netaddr.h"

struct event_base;
struct rconn;

struct notify_settings {
    char key_prefix[64];
    int connect_timeout_ms; /* TCP and TLS connect */
    int timeout_ms;         /* the whole request */
    int backoff_base_ms;    /* wait after the first failure, doubled after each next one */
    int backoff_max_ms;     /* the longest wait */
    int max_attempts;       /* a delivery failing this many times is dead */
    int poll_interval_ms;   /* how often the events stream and the due set are read */
    int max_in_flight;      /* requests at once, per process */
    int redis_timeout_ms;   /* the rconn's command deadline (part of the lease) */
    /* Receivers' addresses allowed although not public (webhooks.allow_private);
     * every other non-public address is refused (docs/webhooks.md). */
    struct netaddr_list allow_private;
};

struct notify_dispatcher;

/* Starts polling on base. Allocates; returns NULL on failure (logged). */
struct notify_dispatcher *notify_start(struct event_base *base, struct rconn *redis,
                                       const struct notify_settings *settings);

/* Stops polling and abandons requests in flight: their deliveries stay due
 * in Redis and are attempted again once their lease ends. Idempotent. */
void notify_stop(struct notify_dispatcher *n);

/* Frees the dispatcher (stopping it first). Call it after queue_rconn_free of the
 * connection it was given, whose pending commands still answer the
 * dispatcher's callbacks, and before event_base_free. NULL is fine. */
void notify_free(struct notify_dispatcher *n);

#endif
