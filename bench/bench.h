/*
 * Small pieces the benchmark's programs share (each program is one file
 * linked with libclaims.a; these are inline so that no build rule changes):
 * the no-work servers' 202 answer and listener, the stop on SIGTERM and
 * SIGINT, and the string hash of the tables that count claims.
 */
#ifndef CLAIMS_BENCH_H
#define CLAIMS_BENCH_H

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>

/* The same shape and size as claimsd's 202 body. */
#define BENCH_ACCEPTED_BODY                                                                        \
    "{\"claim_id\":\"7c0e6f2a-2b1d-4c55-9a7e-3f1b2c4d5e6f\",\"status\":\"received\","              \
    "\"type\":\"medical\",\"received_date\":\"2026-03-02\",\"target_date\":\"2026-03-16\"}"

/* Answers req 202 with claimsd's headers and a body of its size (500 when out of memory). */
static inline void bench_send_accepted(struct evhttp_request *req)
{
    static const char body[] = BENCH_ACCEPTED_BODY;
    struct evkeyvalq *out_headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(out_headers, "Content-Type", "application/json; charset=utf-8");
    evhttp_add_header(out_headers, "Location", "/v1/claims/7c0e6f2a-2b1d-4c55-9a7e-3f1b2c4d5e6f");
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evbuffer_add(out, body, sizeof body - 1);
    evhttp_send_reply(req, 202, "Accepted", out);
    evbuffer_free(out);
}

/* An evhttp server on 127.0.0.1:port (0: any free port) whose requests go to cb, with
 * claimsd's default body limit, into *eh (NULL when it could not be made). Returns the
 * port it listens on, or -1. */
static inline int bench_evhttp_listen(struct event_base *base, int port,
                                      void (*cb)(struct evhttp_request *, void *),
                                      struct evhttp **eh)
{
    *eh = evhttp_new(base);
    struct evhttp_bound_socket *sock =
        *eh ? evhttp_bind_socket_with_handle(*eh, "127.0.0.1", (ev_uint16_t)port) : NULL;
    if (!sock)
        return -1;
    evhttp_set_gencb(*eh, cb, NULL);
    evhttp_set_max_body_size(*eh, 262144);
    struct sockaddr_in sin;
    ev_socklen_t len = sizeof sin;
    if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sin, &len) != 0)
        return -1;
    return ntohs(sin.sin_port);
}

static inline void bench_on_signal(evutil_socket_t sig, short what, void *base)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(base);
}

/* Ends base's loop on SIGTERM or SIGINT (ev[0], ev[1]: event_free them after the loop) and
 * ignores SIGPIPE. */
static inline void bench_stop_on_signals(struct event_base *base, struct event *ev[2])
{
    signal(SIGPIPE, SIG_IGN);
    ev[0] = evsignal_new(base, SIGTERM, bench_on_signal, base);
    ev[1] = evsignal_new(base, SIGINT, bench_on_signal, base);
    event_add(ev[0], NULL);
    event_add(ev[1], NULL);
}

/* Frees the signal events of bench_stop_on_signals and then base. */
static inline void bench_loop_free(struct event_base *base, struct event *ev[2])
{
    event_free(ev[0]);
    event_free(ev[1]);
    event_base_free(base);
}

/* FNV-1a of a NUL-terminated string, for the programs' open-addressing tables. */
static inline uint64_t bench_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

#endif
