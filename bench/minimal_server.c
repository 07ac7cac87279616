/*
 * The HTTP ceiling of this machine for the benchmark (bench/run.sh): a
 * server that answers every request 202 with a small JSON body, the size of
 * claimsd's intake answer, and does no other work.
 *
 *   minimal_server [--project] [--port N]
 *
 * Two servers in one program, both single-threaded on one libevent loop as
 * claimsd's listener is:
 * - default: libevent's own evhttp. This is the ceiling the issue asks for,
 *   independent of the project's code: what a plain libevent HTTP server does
 *   on this machine with these bodies.
 * - --project: the project's own HTTP layer (intake/http.c) with a trivial
 *   handler. Comparing the two shows what the project's HTTP layer costs
 *   by itself; comparing it with claimsd shows what everything behind the
 *   layer (auth, parsing, validation, Redis) costs.
 *
 * Prints "listening on port N" on stdout once it accepts connections; stops
 * on SIGTERM or SIGINT.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/http.h"

/* The same shape and size as claimsd's 202 body. */
static const char accepted_body[] =
    "{\"claim_id\":\"7c0e6f2a-2b1d-4c55-9a7e-3f1b2c4d5e6f\",\"status\":\"received\","
    "\"type\":\"medical\",\"received_date\":\"2026-03-02\",\"target_date\":\"2026-03-16\"}";

static void on_evhttp_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    /* Touch the body as a server must (it arrives complete with evhttp). */
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    evbuffer_drain(in, evbuffer_get_length(in));
    struct evkeyvalq *out_headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(out_headers, "Content-Type", "application/json; charset=utf-8");
    evhttp_add_header(out_headers, "Location", "/v1/claims/7c0e6f2a-2b1d-4c55-9a7e-3f1b2c4d5e6f");
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evbuffer_add(out, accepted_body, sizeof accepted_body - 1);
    evhttp_send_reply(req, 202, "Accepted", out);
    evbuffer_free(out);
}

static void on_project_request(struct http_request *req, void *arg)
{
    (void)arg;
    http_add_header(req, "Location", "/v1/claims/7c0e6f2a-2b1d-4c55-9a7e-3f1b2c4d5e6f");
    http_respond(req, 202, "application/json; charset=utf-8", accepted_body,
                 sizeof accepted_body - 1);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    int port = 0;
    int project = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--project") == 0) {
            project = 1;
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: minimal_server [--project] [--port N]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    if (!base)
        return 1;
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    event_add(sigterm, NULL);
    event_add(sigint, NULL);

    struct evhttp *eh = NULL;
    struct http_server *hs = NULL;
    int bound = -1;
    if (project) {
        /* The limits claimsd uses by default (docs/configuration.md). */
        struct http_limits limits = {
            .max_body_bytes = 262144,
            .max_header_bytes = 16384,
            .read_timeout_seconds = 10,
            .max_connections = 1024,
        };
        hs = http_server_new(base, &limits, on_project_request, NULL);
        bound = hs ? http_server_listen(hs, "127.0.0.1", port) : -1;
    } else {
        eh = evhttp_new(base);
        struct evhttp_bound_socket *sock =
            eh ? evhttp_bind_socket_with_handle(eh, "127.0.0.1", (ev_uint16_t)port) : NULL;
        if (sock) {
            evhttp_set_gencb(eh, on_evhttp_request, NULL);
            evhttp_set_max_body_size(eh, 262144);
            struct sockaddr_in sin;
            ev_socklen_t len = sizeof sin;
            if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sin, &len) == 0)
                bound = ntohs(sin.sin_port);
        }
    }
    int rc = 1;
    if (bound > 0) {
        printf("listening on port %d (%s)\n", bound, project ? "intake/http.c" : "evhttp");
        fflush(stdout);
        event_base_dispatch(base);
        rc = 0;
    } else {
        fprintf(stderr, "minimal_server: cannot listen\n");
    }
    if (hs)
        http_server_free(hs);
    if (eh)
        evhttp_free(eh);
    event_free(sigterm);
    event_free(sigint);
    event_base_free(base);
    return rc;
}
