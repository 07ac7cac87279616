/*
 * The durable-accept ceiling for the benchmark (bench/run.sh, issue 11): the
 * least any durable intake does. An HTTP server that, for each request,
 * appends the body to a Redis stream and answers 202 (with a body of
 * claimsd's size) only once Redis has replied, so that with appendfsync
 * always the answer is sent after the body is on disk, as claimsd's 202 is.
 *
 *   durable_ceiling --redis-port P [--redis-host H] [--port N] [--key K]
 *
 * One thread, one libevent loop: libevent's evhttp (the same server as
 * bench/minimal_server's no-work ceiling) and hiredis's asynchronous API on
 * the same loop (hiredis/adapters/libevent.h), one Redis connection. Each
 * request sends "XADD K * body <bytes>"; the replies come back in order and
 * every request whose XADD was answered in one read is answered in that
 * loop turn. Commands of the requests read in one loop turn reach Redis
 * together, so Redis serves them in one of its loop turns and, with
 * appendfsync always, one fsync covers them all (Redis's own group commit).
 * No validation, no auth, no other key: whatever claimsd does beyond this
 * is its own cost. A Redis error answers 503.
 *
 * Prints "listening on port N" on stdout once it accepts connections and is
 * connected to Redis; stops on SIGTERM or SIGINT and then prints
 * "STATS accepted=N failed=N".
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>

#include "bench/bench.h"
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redisAsyncContext *redis;
static const char *stream_key = "bench:durable";
static int redis_up;
static long accepted, failed;

static void answer(struct evhttp_request *req, int ok)
{
    if (!ok) {
        failed++;
        evhttp_send_error(req, 503, "Service Unavailable");
        return;
    }
    accepted++;
    bench_send_accepted(req);
}

/* The XADD's reply: an entry id, or an error (or NULL when the connection
 * went away; hiredis then calls every pending callback). A request whose
 * client has gone meanwhile is still owned by us (evhttp keeps a request
 * that the user has not finished) and is freed by the send. */
static void on_xadd(redisAsyncContext *ac, void *r, void *arg)
{
    (void)ac;
    const redisReply *reply = r;
    answer(arg, reply && reply->type == REDIS_REPLY_STRING);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    if (!redis_up) {
        answer(req, 0);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    /* The body arrives complete with evhttp; hiredis copies it into its
     * output buffer, so it may be drained right after. */
    const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
    if (redisAsyncCommand(redis, on_xadd, req, "XADD %s * body %b", stream_key, body, len) !=
        REDIS_OK) {
        answer(req, 0);
        return;
    }
    evbuffer_drain(in, len);
}

static void on_redis_connect(const redisAsyncContext *ac, int status)
{
    if (status != REDIS_OK) {
        fprintf(stderr, "durable_ceiling: cannot connect to Redis: %s\n", ac->errstr);
        exit(1);
    }
    redis_up = 1;
}

static void on_redis_disconnect(const redisAsyncContext *ac, int status)
{
    (void)ac;
    redis_up = 0;
    redis = NULL;
    if (status != REDIS_OK)
        fprintf(stderr, "durable_ceiling: Redis connection lost\n");
}

static void usage(void)
{
    fprintf(stderr, "usage: durable_ceiling --redis-port P [--redis-host H] [--port N] "
                    "[--key K]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *redis_host = "127.0.0.1";
    int redis_port = 0, port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--redis-port") == 0)
            redis_port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--redis-host") == 0)
            redis_host = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--key") == 0)
            stream_key = argv[i + 1];
        else
            usage();
    }
    if (redis_port <= 0 || argc % 2 == 0)
        usage();
    struct event_base *base = event_base_new();
    if (!base)
        return 1;
    struct event *signals[2];
    bench_stop_on_signals(base, signals);

    redis = redisAsyncConnect(redis_host, redis_port);
    if (!redis || redis->err) {
        fprintf(stderr, "durable_ceiling: cannot connect to Redis\n");
        return 1;
    }
    redisLibeventAttach(redis, base);
    redisAsyncSetConnectCallback(redis, on_redis_connect);
    redisAsyncSetDisconnectCallback(redis, on_redis_disconnect);
    /* Connected before the first request is accepted. */
    while (!redis_up)
        event_base_loop(base, EVLOOP_ONCE);

    struct evhttp *eh;
    int bound = bench_evhttp_listen(base, port, on_request, &eh);
    int rc = 1;
    if (bound > 0) {
        printf("listening on port %d (evhttp, XADD %s to Redis %s:%d)\n", bound, stream_key,
               redis_host, redis_port);
        fflush(stdout);
        event_base_dispatch(base);
        rc = 0;
        printf("STATS accepted=%ld failed=%ld\n", accepted, failed);
    } else {
        fprintf(stderr, "durable_ceiling: cannot listen\n");
    }
    /* Redis first: its pending callbacks still answer their requests. */
    if (redis)
        redisAsyncFree(redis);
    if (eh)
        evhttp_free(eh);
    bench_loop_free(base, signals);
    return rc;
}
