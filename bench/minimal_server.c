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

#include "bench/bench.h"
#include "intake/http.h"

static const char accepted_body[] = BENCH_ACCEPTED_BODY;

static void on_evhttp_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    /* Touch the body as a server must (it arrives complete with evhttp). */
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    evbuffer_drain(in, evbuffer_get_length(in));
    bench_send_accepted(req);
}

static void on_project_request(struct http_request *req, void *arg)
{
    (void)arg;
    intake_http_add_header(req, "Location", "/v1/claims/7c0e6f2a-2b1d-4c55-9a7e-3f1b2c4d5e6f");
    intake_http_respond(req, 202, "application/json; charset=utf-8", accepted_body,
                        sizeof accepted_body - 1);
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
    struct event_base *base = event_base_new();
    if (!base)
        return 1;
    struct event *signals[2];
    bench_stop_on_signals(base, signals);

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
        hs = intake_http_server_new(base, &limits, on_project_request, NULL);
        bound = hs ? intake_http_server_listen(hs, "127.0.0.1", port) : -1;
    } else {
        bound = bench_evhttp_listen(base, port, on_evhttp_request, &eh);
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
        intake_http_server_free(hs);
    if (eh)
        evhttp_free(eh);
    bench_loop_free(base, signals);
    return rc;
}
