/*
 * An open-loop HTTP/1.1 load generator for the benchmark (bench/run.sh):
 * sends requests at a fixed rate whatever the server's answers do, and
 * reports latency percentiles measured from when each request was due, not
 * from when it could be sent. wrk (closed loop) cannot do that: when the
 * server stalls, wrk stops sending and the stall disappears from its
 * percentiles ("coordinated omission"); wrk2, which fixes it, is not in
 * Debian 12, nor is another open-loop tool (hey and h2load limit the rate per
 * connection but still wait for each answer before timing the next request).
 *
 *   rate_load --port P --rate R --duration S --file claims.tsv
 *             [--host H] [--path /v1/claims] [--connections C] [--warmup S]
 *             [--count N]
 *
 * Request k is due at start + k/R. It goes out on an idle keep-alive
 * connection as soon as it is due; when all C connections are busy it waits
 * in order, and that wait counts in its latency. Requests due during the
 * first --warmup seconds (default 1) are sent but not counted.
 *
 * --count N sends exactly N requests (due at the rate given, so a rate far
 * above what the server takes posts N requests as fast as the C connections
 * are answered); --duration then is N / R.
 *
 * The file holds one request a line, "token<TAB>body" (bench/gen_claims),
 * sent in order, cycling. Prints
 * "RESULT rate=R sent=N ok=N errors=N achieved_rps=X p50_us=.. p90_us=..
 *  p99_us=.. p999_us=.. max_us=..", counting 2xx as ok.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

struct load;

struct conn {
    struct load *load;
    struct bufferevent *bev;
    int busy;       /* 0 idle, 1 a request in flight, 2 closed */
    long k;         /* the request in flight */
    long body_left; /* -1 while the head of the answer is still arriving */
    int status;
};

struct load {
    struct event_base *base;
    struct event *timer;
    struct conn *conns;
    int n_conns;
    char **requests; /* complete HTTP requests */
    size_t *request_lens;
    int n_requests;
    double rate;
    long total; /* requests to send */
    long next;  /* next request to send */
    long done;
    long counted_from; /* first request in the statistics */
    uint64_t start_ns;
    uint32_t *latency_us; /* by request number */
    long ok, errors;
    uint64_t last_done_ns;
    struct sockaddr_in addr;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t due_ns(const struct load *l, long k)
{
    return l->start_ns + (uint64_t)((double)k * 1e9 / l->rate);
}

static void send_due(struct load *l);

static void send_on(struct load *l, struct conn *c)
{
    long k = l->next++;
    int r = (int)(k % l->n_requests);
    c->busy = 1;
    c->k = k;
    c->body_left = -1;
    bufferevent_write(c->bev, l->requests[r], l->request_lens[r]);
}

static void finish(struct load *l, struct conn *c, int ok)
{
    uint64_t t = now_ns();
    uint64_t lat = (t - due_ns(l, c->k)) / 1000;
    l->latency_us[c->k] = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
    if (c->k >= l->counted_from) {
        if (ok)
            l->ok++;
        else
            l->errors++;
    }
    l->done++;
    l->last_done_ns = t;
    c->busy = 0;
    if (l->done == l->total)
        event_base_loopbreak(l->base);
    else
        send_due(l);
}

/* Parses as much of the answer as has arrived. */
static void on_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        if (!c->busy) {
            evbuffer_drain(in, evbuffer_get_length(in));
            return;
        }
        if (c->body_left < 0) {
            struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
            if (end.pos < 0)
                return;
            size_t head_len = (size_t)end.pos + 4;
            char *head = malloc(head_len + 1);
            if (!head)
                exit(1);
            evbuffer_remove(in, head, head_len);
            head[head_len] = '\0';
            c->status = strncmp(head, "HTTP/1.", 7) == 0 ? atoi(head + 9) : 0;
            c->body_left = 0;
            for (char *p = strchr(head, '\n'); p; p = strchr(p + 1, '\n'))
                if (strncasecmp(p + 1, "content-length:", 15) == 0)
                    c->body_left = atol(p + 16);
            free(head);
        }
        size_t have = evbuffer_get_length(in);
        if ((long)have < c->body_left)
            return;
        evbuffer_drain(in, (size_t)c->body_left);
        finish(c->load, c, c->status >= 200 && c->status < 300);
        if (evbuffer_get_length(in) == 0)
            return;
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    (void)bev;
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return;
    }
    if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
        /* An idle connection closed by the server's idle timeout is no error. */
        if (c->busy == 1) {
            fprintf(stderr, "rate_load: a connection was closed with a request in flight (%s)\n",
                    what & BEV_EVENT_EOF ? "by the server" : strerror(errno));
            finish(c->load, c, 0);
        }
        /* Not reopened: a run that loses connections is reported, not hidden. */
        c->busy = 2;
    }
}

static void arm_timer(struct load *l)
{
    if (l->next >= l->total)
        return;
    uint64_t due = due_ns(l, l->next), t = now_ns();
    uint64_t wait = due > t ? due - t : 0;
    struct timeval tv = {(time_t)(wait / 1000000000ull),
                         (suseconds_t)(wait % 1000000000ull / 1000)};
    evtimer_add(l->timer, &tv);
}

/* Sends every request that is due, as long as a connection is idle. */
static void send_due(struct load *l)
{
    uint64_t t = now_ns();
    for (int i = 0; i < l->n_conns && l->next < l->total && due_ns(l, l->next) <= t; i++)
        if (l->conns[i].busy == 0)
            send_on(l, &l->conns[i]);
    arm_timer(l);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    send_due(arg);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void load_file(struct load *l, const char *file, const char *host, int port,
                      const char *path)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "rate_load: cannot read %s\n", file);
        exit(1);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int alloc = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        const char *body = tab + 1;
        size_t body_len = strlen(body);
        if (l->n_requests == alloc) {
            alloc = alloc ? alloc * 2 : 1024;
            l->requests = realloc(l->requests, (size_t)alloc * sizeof *l->requests);
            l->request_lens = realloc(l->request_lens, (size_t)alloc * sizeof *l->request_lens);
            if (!l->requests || !l->request_lens)
                exit(1);
        }
        size_t size = body_len + strlen(line) + 256;
        char *req = malloc(size);
        if (!req)
            exit(1);
        int len = snprintf(req, size,
                           "POST %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                           "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           path, host, port, line, body_len, body);
        l->requests[l->n_requests] = req;
        l->request_lens[l->n_requests++] = (size_t)len;
    }
    free(line);
    fclose(f);
    if (l->n_requests == 0) {
        fprintf(stderr, "rate_load: no requests in %s\n", file);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *file = NULL, *path = "/v1/claims";
    int port = 0, connections = 64;
    double rate = 0, duration = 10, warmup = 1;
    long count = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *v = argv[i + 1];
        if (strcmp(argv[i], "--host") == 0)
            host = v;
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(v);
        else if (strcmp(argv[i], "--rate") == 0)
            rate = atof(v);
        else if (strcmp(argv[i], "--duration") == 0)
            duration = atof(v);
        else if (strcmp(argv[i], "--warmup") == 0)
            warmup = atof(v);
        else if (strcmp(argv[i], "--connections") == 0)
            connections = atoi(v);
        else if (strcmp(argv[i], "--file") == 0)
            file = v;
        else if (strcmp(argv[i], "--path") == 0)
            path = v;
        else if (strcmp(argv[i], "--count") == 0)
            count = atol(v);
        else
            port = -1;
    }
    if (count > 0 && rate > 0) {
        duration = (double)count / rate;
        if (warmup >= duration)
            warmup = 0;
    }
    if (port <= 0 || rate <= 0 || count < 0 || (duration <= warmup && !count) || !file ||
        connections < 1 || argc % 2 == 0) {
        fprintf(stderr, "usage: rate_load --port P --rate R --duration S --file claims.tsv [--host "
                        "H] [--path P] [--connections C] [--warmup S] [--count N]\n");
        return 2;
    }
    static struct load l;
    l.rate = rate;
    l.total = count > 0 ? count : (long)(rate * duration);
    l.counted_from = (long)(rate * warmup);
    load_file(&l, file, host, port, path);
    l.latency_us = calloc((size_t)l.total, sizeof *l.latency_us);
    /* timerfd: requests go out when due, not at the next millisecond tick. */
    struct event_config *cfg = event_config_new();
    if (cfg)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    l.base = cfg ? event_base_new_with_config(cfg) : NULL;
    if (cfg)
        event_config_free(cfg);
    l.timer = evtimer_new(l.base, on_timer, &l);
    l.conns = calloc((size_t)connections, sizeof *l.conns);
    if (!l.latency_us || !l.base || !l.timer || !l.conns)
        return 1;
    l.n_conns = connections;
    l.addr.sin_family = AF_INET;
    l.addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &l.addr.sin_addr) != 1) {
        fprintf(stderr, "rate_load: --host must be an IPv4 address\n");
        return 2;
    }
    for (int i = 0; i < connections; i++) {
        struct conn *c = &l.conns[i];
        c->load = &l;
        c->bev = bufferevent_socket_new(l.base, -1, BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
        bufferevent_enable(c->bev, EV_READ | EV_WRITE);
        if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&l.addr, sizeof l.addr) != 0) {
            fprintf(stderr, "rate_load: cannot connect\n");
            return 1;
        }
    }
    /* Let the connections open before the clock starts. */
    struct timeval settle = {0, 200000};
    event_base_loopexit(l.base, &settle);
    event_base_dispatch(l.base);

    l.start_ns = now_ns();
    arm_timer(&l);
    /* Give up on answers that have not come 10 s after the last request was due
     * (60 s with --count, whose requests are all due at once). */
    struct timeval limit = {(time_t)duration + (count ? 60 : 10), 0};
    event_base_loopexit(l.base, &limit);
    event_base_dispatch(l.base);

    long counted = l.done - l.counted_from;
    long lost = l.total - l.done;
    uint32_t *sorted = NULL;
    long n = 0;
    if (counted > 0) {
        sorted = malloc((size_t)counted * sizeof *sorted);
        if (!sorted)
            return 1;
        for (long k = l.counted_from; k < l.total; k++)
            if (l.latency_us[k])
                sorted[n++] = l.latency_us[k];
        qsort(sorted, (size_t)n, sizeof *sorted, cmp_u32);
    }
#define PCT(p) (n ? sorted[(long)((double)(n - 1) * (p))] : 0)
    double seconds = l.last_done_ns > l.start_ns ? (double)(l.last_done_ns - l.start_ns) / 1e9 : 0;
    printf("RESULT rate=%.0f sent=%ld ok=%ld errors=%ld unanswered=%ld achieved_rps=%.0f "
           "p50_us=%u p90_us=%u p99_us=%u p999_us=%u max_us=%u\n",
           rate, l.next, l.ok, l.errors, lost, seconds > 0 ? (double)l.done / seconds : 0.0,
           PCT(0.50), PCT(0.90), PCT(0.99), PCT(0.999), n ? sorted[n - 1] : 0);
    /* The worst answer of each second, so that a stall can be placed in time
     * (an AOF rewrite, a disk flush, another process). */
    printf("WORST_PER_SECOND_MS");
    for (long sec = 0; (double)sec * rate < (double)l.total; sec++) {
        uint32_t worst = 0;
        for (long k = (long)((double)sec * rate);
             k < (long)((double)(sec + 1) * rate) && k < l.total; k++)
            if (l.latency_us[k] > worst)
                worst = l.latency_us[k];
        printf(" %u", worst / 1000);
    }
    printf("\n");
    free(sorted);
    for (int i = 0; i < connections; i++)
        bufferevent_free(l.conns[i].bev);
    for (int i = 0; i < l.n_requests; i++)
        free(l.requests[i]);
    free(l.requests);
    free(l.request_lens);
    free(l.conns);
    free(l.latency_us);
    event_free(l.timer);
    event_base_free(l.base);
    return lost || l.errors ? 1 : 0;
}
