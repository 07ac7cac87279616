#include "notify.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "notify/webhook.h"
#include "notify/webhook_dns.h"
#include "date.h"
#include "log.h"
#include "netaddr.h"
#include "queue/redis_conn.h"
#include "queue/webhooks.h"

#define FANOUT_BATCH 100               /* events per fan-out step */
#define CLAIM_BATCH 50                 /* deliveries taken per step */
#define MAX_RESPONSE_BYTES (64 * 1024) /* more of a receiver's answer is not read */
/* The events' consumer, one for all processes: events a stopped fan-out left
 * pending under it are taken over (queue_webhook_fanout). */
#define CONSUMER "dispatcher"
#define USER_AGENT "claimsd-webhooks/1"
/* The error of an attempt refused because the receiver's address is not
 * public (docs/webhooks.md): fixed, so the log says nothing about what
 * answers inside. */
#define REFUSED_ERROR "address not allowed"
#define UNRESOLVED_ERROR "host does not resolve"

/* A socket curl asked to have watched. */
struct sock {
    struct notify_dispatcher *n;
    struct event *ev;
    struct sock *prev, *next;
};

/* One delivery attempt: from the lease until its outcome is recorded. */
struct attempt {
    struct notify_dispatcher *n;
    struct attempt *prev, *next; /* the in-flight list: address check, then request */
    CURL *easy;
    bool in_multi;                  /* the request runs (else its address is being checked) */
    struct notify_dns *dns;         /* the address check, until it answers */
    struct sockaddr_storage pinned; /* the checked address, the only one connected to */
    bool refused;                   /* curl was about to connect elsewhere: refused */
    struct curl_slist *headers;
    struct curl_slist *connect_to;
    char *body;
    size_t received;
    bool capped; /* the answer was longer than MAX_RESPONSE_BYTES */
    int attempts_before;
    char id[NOTIFY_ID_MAX + 64];
    char webhook_id[NOTIFY_ID_MAX + 1];
    char event_id[48];
    char event[32];
    char claim_id[64];
    char status[32];
};

struct notify_dispatcher {
    struct event_base *base;
    struct rconn *redis;
    struct notify_settings set;
    CURLM *multi;
    struct event *poll_timer;
    struct event *curl_timer;
    struct sock *socks;
    struct attempt *in_flight;
    int n_in_flight;
    bool fanout_busy, claim_busy, stopped;
};

/* Values that go into request headers: ids and event names, nothing that
 * could end a header line. */
static bool header_safe(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void start_fanout(struct notify_dispatcher *n);
static void start_claim(struct notify_dispatcher *n);

/* ---- libcurl's sockets and timer on the event loop ---- */

static void check_done(struct notify_dispatcher *n);

static void on_socket_ready(evutil_socket_t fd, short what, void *arg)
{
    struct notify_dispatcher *n = ((struct sock *)arg)->n;
    int flags =
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running;
    /* This may remove (and free) the sock whose event is running now. */
    curl_multi_socket_action(n->multi, fd, flags, &running);
    check_done(n);
}

static void sock_free(struct notify_dispatcher *n, struct sock *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        n->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    event_free(s->ev);
    free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl waits for, or stop. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    struct notify_dispatcher *n = userp;
    struct sock *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s)
            sock_free(n, s);
        return 0;
    }
    short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1;
        s->n = n;
        s->ev = event_new(n->base, fd, kind, on_socket_ready, s);
        if (!s->ev) {
            free(s);
            return -1;
        }
        s->next = n->socks;
        if (n->socks)
            n->socks->prev = s;
        n->socks = s;
        curl_multi_assign(n->multi, fd, s);
    } else {
        event_del(s->ev);
        event_assign(s->ev, n->base, fd, kind, on_socket_ready, s);
    }
    event_add(s->ev, NULL);
    return 0;
}

static void on_curl_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct notify_dispatcher *n = arg;
    int running;
    curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(n);
}

/* CURLMOPT_TIMERFUNCTION: wake curl after timeout_ms (-1: never). */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct notify_dispatcher *n = userp;
    if (timeout_ms < 0) {
        evtimer_del(n->curl_timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(n->curl_timer, &tv);
    return 0;
}

/* ---- attempts ---- */

static void attempt_free(struct attempt *a)
{
    if (a->easy)
        curl_easy_cleanup(a->easy);
    curl_slist_free_all(a->headers);
    curl_slist_free_all(a->connect_to);
    free(a->body);
    free(a);
}

/* Takes a running attempt off the in-flight list, and off the multi handle
 * or its address check. */
static void attempt_detach(struct attempt *a)
{
    struct notify_dispatcher *n = a->n;
    if (a->prev)
        a->prev->next = a->next;
    else
        n->in_flight = a->next;
    if (a->next)
        a->next->prev = a->prev;
    a->prev = a->next = NULL;
    n->n_in_flight--;
    notify_dns_cancel(a->dns);
    a->dns = NULL;
    if (a->in_multi)
        curl_multi_remove_handle(n->multi, a->easy);
    a->in_multi = false;
    curl_easy_cleanup(a->easy);
    a->easy = NULL;
}

static size_t on_response_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    (void)ptr;
    struct attempt *a = arg;
    size_t len = size * nmemb;
    a->received += len;
    if (a->received > MAX_RESPONSE_BYTES) {
        a->capped = true;
        return 0; /* ends the transfer; the status line is already known */
    }
    return len;
}

static struct curl_slist *add_header(struct curl_slist *list, bool *ok, const char *name,
                                     const char *value)
{
    char line[256];
    snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *grown = *ok ? curl_slist_append(list, line) : NULL;
    if (!grown) {
        *ok = false;
        return list;
    }
    return grown;
}

/* CURLOPT_OPENSOCKETFUNCTION: the last look at the address curl connects
 * to. It must be the pinned one (CURLOPT_CONNECT_TO makes it so) and
 * allowed; anything else is refused and the attempt recorded as such. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *address)
{
    struct attempt *a = clientp;
    struct sockaddr_storage to;
    memset(&to, 0, sizeof to);
    size_t len = address->addrlen < sizeof to ? address->addrlen : sizeof to;
    memcpy(&to, &address->addr, len);
    if (purpose != CURLSOCKTYPE_IPCXN ||
        (to.ss_family == AF_INET && len < sizeof(struct sockaddr_in)) ||
        (to.ss_family == AF_INET6 && len < sizeof(struct sockaddr_in6)) ||
        !netaddr_same((struct sockaddr *)&to, (struct sockaddr *)&a->pinned) ||
        !netaddr_allowed((struct sockaddr *)&to, &a->n->set.allow_private)) {
        a->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

static void record_outcome(struct attempt *a, bool answered, long code, const char *error,
                           bool permanent);

/* The receiver's address is checked: start the request pinned to it, or
 * record why not. */
static void on_checked(enum notify_dns_result result, const struct sockaddr *pinned, void *arg)
{
    struct attempt *a = arg;
    struct notify_dispatcher *n = a->n;
    a->dns = NULL;
    if (result == NOTIFY_DNS_NOT_ALLOWED) {
        record_outcome(a, false, 0, REFUSED_ERROR, true);
    } else if (result == NOTIFY_DNS_NO_ADDRESS) {
        record_outcome(a, false, 0, UNRESOLVED_ERROR, false);
    } else {
        /* "::ADDR:" connects whatever host and port the URL names to ADDR
         * at the URL's port; TLS still checks the URL's host name. */
        char addr[INET6_ADDRSTRLEN + 2], rule[INET6_ADDRSTRLEN + 8];
        memset(&a->pinned, 0, sizeof a->pinned);
        memcpy(&a->pinned, pinned,
               pinned->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                            : sizeof(struct sockaddr_in6));
        bool ok = netaddr_format(pinned, true, addr, sizeof addr) == 0;
        snprintf(rule, sizeof rule, "::%s:", addr);
        if (ok)
            a->connect_to = curl_slist_append(NULL, rule);
        if (!ok || !a->connect_to ||
            curl_easy_setopt(a->easy, CURLOPT_CONNECT_TO, a->connect_to) != CURLE_OK ||
            curl_multi_add_handle(n->multi, a->easy) != CURLM_OK) {
            log_error("webhook delivery %s not attempted: curl refused the request", a->id);
            attempt_detach(a);
            attempt_free(a);
            return;
        }
        a->in_multi = true;
        return;
    }
    if (!n->stopped)
        start_claim(n);
}

/* Starts the request of one leased delivery: first its receiver's address
 * is checked (on_checked). On failure the delivery stays leased and is
 * attempted again when the lease ends. */
static void start_attempt(struct notify_dispatcher *n, const struct queue_delivery_lease *row)
{
    struct attempt *a = calloc(1, sizeof *a);
    if (!a) {
        log_error("webhook delivery %s not attempted: out of memory", row->delivery_id);
        return;
    }
    a->n = n;
    snprintf(a->id, sizeof a->id, "%s", row->delivery_id);
    snprintf(a->webhook_id, sizeof a->webhook_id, "%s", row->webhook_id);
    snprintf(a->event_id, sizeof a->event_id, "%s", row->event_id);
    snprintf(a->event, sizeof a->event, "%s", row->event);
    snprintf(a->claim_id, sizeof a->claim_id, "%s", row->claim_id);
    snprintf(a->status, sizeof a->status, "%s", row->status);
    a->attempts_before = row->attempts;
    if (!header_safe(a->id) || !header_safe(a->event) || strcmp(a->id, row->delivery_id) != 0) {
        log_error("webhook delivery with a malformed id or event skipped");
        attempt_free(a);
        return;
    }
    a->body = notify_body(a->event_id, a->event, a->claim_id, a->status);
    char signature[NOTIFY_SIGNATURE_LEN];
    bool ok = a->body && notify_signature(row->secret, clock_wall_seconds(), a->body,
                                          strlen(a->body), signature) == 0;
    a->headers = add_header(a->headers, &ok, "Content-Type", "application/json");
    a->headers = add_header(a->headers, &ok, "X-Claims-Event", a->event);
    a->headers = add_header(a->headers, &ok, "X-Claims-Delivery", a->id);
    a->headers = add_header(a->headers, &ok, "X-Claims-Signature", signature);
    if (ok)
        a->headers = curl_slist_append(a->headers, "Expect:"); /* no 100-continue round trip */
    a->easy = ok && a->headers ? curl_easy_init() : NULL;
    if (!a->easy) {
        log_error("webhook delivery %s not attempted: out of memory", a->id);
        attempt_free(a);
        return;
    }
    CURL *e = a->easy;
    curl_easy_setopt(e, CURLOPT_URL, row->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    /* Redirects are never followed: a 3xx is a failed attempt (docs/webhooks.md). */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    /* No proxy, also none from the environment: the connection goes to the
     * checked address and nowhere else. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, a);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, a->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(a->body));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)n->set.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)n->set.timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_response_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(e, CURLOPT_PRIVATE, a);
    a->next = n->in_flight;
    if (n->in_flight)
        n->in_flight->prev = a;
    n->in_flight = a;
    n->n_in_flight++;
    char host[NOTIFY_HOST_MAX], port[8];
    if (notify_url_target(row->url, host, port) != 0) {
        /* Stored URLs were checked when registered; this one has no host. */
        record_outcome(a, false, 0, REFUSED_ERROR, true);
        return;
    }
    a->dns = notify_dns_check(n->base, host, &n->set.allow_private, n->set.connect_timeout_ms,
                              on_checked, a);
    if (!a->dns) {
        log_warn("webhook delivery %s not attempted now: its address could not be checked", a->id);
        attempt_detach(a);
        attempt_free(a);
    }
}

static void on_recorded(enum queue_status status, const char *result, void *arg)
{
    struct attempt *a = arg;
    if (status != QUEUE_OK)
        log_warn("webhook delivery %s: outcome not stored (it will be attempted again)", a->id);
    else if (result && strcmp(result, "ok") != 0)
        log_debug("webhook delivery %s: outcome %s", a->id, result);
    attempt_free(a);
}

/* The attempt a is over (answered with code, or failed with error): decide
 * delivered, retry or dead and store it. A permanent failure is dead at
 * once. */
static void record_outcome(struct attempt *a, bool answered, long code, const char *error,
                           bool permanent)
{
    struct notify_dispatcher *n = a->n;
    attempt_detach(a);
    bool delivered = answered && code >= 200 && code <= 299;
    if (answered)
        error = NULL;
    int attempt = a->attempts_before + 1;
    int64_t now = clock_wall_ms(), next = 0;
    const char *outcome = "delivered";
    if (!delivered && (permanent || attempt >= n->set.max_attempts)) {
        outcome = "dead";
    } else if (!delivered) {
        outcome = "retry";
        next = now + notify_backoff_ms(attempt, n->set.backoff_base_ms, n->set.backoff_max_ms);
    }
    char at[NOTIFY_TIME_LEN], next_at[NOTIFY_TIME_LEN], status_text[16];
    notify_format_ms(now, at);
    notify_format_ms(next, next_at);
    snprintf(status_text, sizeof status_text, "%ld", answered ? code : 0L);
    struct json_object *entry = json_object_new_object();
    json_object_object_add(entry, "delivery_id", json_object_new_string(a->id));
    json_object_object_add(entry, "event_id", json_object_new_string(a->event_id));
    json_object_object_add(entry, "event", json_object_new_string(a->event));
    json_object_object_add(entry, "claim_id", json_object_new_string(a->claim_id));
    json_object_object_add(entry, "attempt", json_object_new_int(attempt));
    json_object_object_add(entry, "at", json_object_new_string(at));
    json_object_object_add(entry, "status_code", answered ? json_object_new_int((int)code) : NULL);
    json_object_object_add(entry, "error", error ? json_object_new_string(error) : NULL);
    json_object_object_add(entry, "result", json_object_new_string(outcome));
    json_object_object_add(entry, "next_attempt_at", next ? json_object_new_string(next_at) : NULL);
    const char *entry_text = json_object_to_json_string_ext(
        entry, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (delivered)
        log_info("webhook delivery %s delivered (attempt %d, status %ld)", a->id, attempt, code);
    else
        log_warn("webhook delivery %s attempt %d failed (%s%s): %s", a->id, attempt,
                 answered ? "status " : "", answered ? status_text : error,
                 strcmp(outcome, "dead") == 0 ? "dead, no more attempts" : "will retry");

    char now_text[32];
    notify_format_ms(now, now_text);
    struct queue_delivery_outcome o = {
        .delivery_id = a->id,
        .webhook_id = a->webhook_id,
        .attempts_before = a->attempts_before,
        .outcome = outcome,
        .next_attempt_ms = next,
        .log_entry = entry_text ? entry_text : "{}",
        .status_code = answered ? status_text : "",
        .error = error ? error : "",
        .now = now_text,
    };
    int rc = queue_webhook_record(n->redis, n->set.key_prefix, &o, on_recorded, a);
    json_object_put(entry);
    if (rc != 0) {
        log_warn("webhook delivery %s: outcome not stored (it will be attempted again)", a->id);
        attempt_free(a);
    }
}

/* The request of a is over. */
static void finish_attempt(struct attempt *a, CURLcode result)
{
    long code = 0;
    curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &code);
    if (a->refused) {
        record_outcome(a, false, 0, REFUSED_ERROR, true);
        return;
    }
    bool answered = result == CURLE_OK || (result == CURLE_WRITE_ERROR && a->capped);
    record_outcome(a, answered, code, answered ? NULL : curl_easy_strerror(result), false);
}

static void check_done(struct notify_dispatcher *n)
{
    CURLMsg *msg;
    int left;
    bool finished = false;
    while (n->multi && (msg = curl_multi_info_read(n->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct attempt *a = NULL;
        CURLcode result = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&a);
        if (a) {
            finish_attempt(a, result);
            finished = true;
        }
    }
    if (finished && !n->stopped)
        start_claim(n);
}

/* ---- polling Redis ---- */

static void on_claimed(enum queue_status status, const struct queue_delivery_lease *rows,
                       size_t count, const char *error, void *arg)
{
    struct notify_dispatcher *n = arg;
    n->claim_busy = false;
    if (n->stopped)
        return; /* what was leased is attempted again once the lease ends */
    if (status != QUEUE_OK) {
        if (error)
            log_warn("webhook deliveries not read: %s", error);
        return;
    }
    for (size_t i = 0; i < count; i++)
        start_attempt(n, &rows[i]);
}

/* Leases the due deliveries this process has room for. */
static void start_claim(struct notify_dispatcher *n)
{
    int room = n->set.max_in_flight - n->n_in_flight;
    if (n->stopped || n->claim_busy || room <= 0 || !queue_rconn_is_connected(n->redis))
        return;
    int64_t now = clock_wall_ms();
    /* Longer than any request plus the time to store its outcome. */
    int64_t lease = now + n->set.timeout_ms + 2 * (int64_t)n->set.redis_timeout_ms + 1000;
    if (queue_webhook_lease(n->redis, n->set.key_prefix, now, lease,
                            room < CLAIM_BATCH ? room : CLAIM_BATCH, on_claimed, n) == 0)
        n->claim_busy = true;
}

static void on_group_made(enum queue_status status, void *arg)
{
    struct notify_dispatcher *n = arg;
    n->fanout_busy = false;
    if (n->stopped || status != QUEUE_OK)
        return;
    start_fanout(n);
}

static void on_fanned_out(enum queue_status status, long long read, long long made,
                          const char *error, void *arg)
{
    struct notify_dispatcher *n = arg;
    n->fanout_busy = false;
    if (n->stopped)
        return;
    if (status == QUEUE_NOT_FOUND) {
        /* No consumer group yet: made from the stream's start, so that
         * events committed before any dispatcher ran are notified too. */
        if (queue_events_group_create(n->redis, n->set.key_prefix, on_group_made, n) == 0)
            n->fanout_busy = true;
        return;
    }
    if (status != QUEUE_OK) {
        if (error)
            log_warn("webhook fan-out failed: %s", error);
        return;
    }
    if (made > 0) {
        log_debug("%lld webhook deliveries made from %lld events", made, read);
        start_claim(n);
    }
    if (read >= FANOUT_BATCH)
        start_fanout(n); /* a backlog: keep reading */
}

static void start_fanout(struct notify_dispatcher *n)
{
    if (n->stopped || n->fanout_busy || !queue_rconn_is_connected(n->redis))
        return;
    if (queue_webhook_fanout(n->redis, n->set.key_prefix, CONSUMER, FANOUT_BATCH, clock_wall_ms(),
                             on_fanned_out, n) == 0)
        n->fanout_busy = true;
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct notify_dispatcher *n = arg;
    start_fanout(n);
    start_claim(n);
}

/* ---- start and stop ---- */

struct notify_dispatcher *notify_start(struct event_base *base, struct rconn *redis,
                                       const struct notify_settings *settings)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("webhooks: libcurl could not be initialized");
        return NULL;
    }
    struct notify_dispatcher *n = calloc(1, sizeof *n);
    if (!n) {
        curl_global_cleanup();
        return NULL;
    }
    n->base = base;
    n->redis = redis;
    n->set = *settings;
    n->multi = curl_multi_init();
    n->poll_timer = event_new(base, -1, EV_PERSIST, on_poll, n);
    n->curl_timer = evtimer_new(base, on_curl_timeout, n);
    if (!n->multi || !n->poll_timer || !n->curl_timer) {
        log_error("webhooks: the dispatcher could not be started");
        notify_free(n);
        return NULL;
    }
    curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
    curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
    struct timeval every = {settings->poll_interval_ms / 1000,
                            (settings->poll_interval_ms % 1000) * 1000};
    event_add(n->poll_timer, &every);
    log_info("webhook dispatcher started (at most %d requests at once, %d attempts)",
             settings->max_in_flight, settings->max_attempts);
    return n;
}

void notify_stop(struct notify_dispatcher *n)
{
    if (!n || n->stopped)
        return;
    n->stopped = true;
    if (n->poll_timer)
        event_del(n->poll_timer);
    int abandoned = 0;
    while (n->in_flight) {
        struct attempt *a = n->in_flight;
        attempt_detach(a);
        attempt_free(a);
        abandoned++;
    }
    if (abandoned)
        log_info("webhooks: %d requests in flight abandoned; they stay due", abandoned);
    if (n->multi)
        curl_multi_cleanup(n->multi);
    n->multi = NULL;
    /* Sockets curl did not hand back (kept-alive connections). */
    while (n->socks)
        sock_free(n, n->socks);
    if (n->curl_timer)
        evtimer_del(n->curl_timer);
}

void notify_free(struct notify_dispatcher *n)
{
    if (!n)
        return;
    notify_stop(n);
    if (n->poll_timer)
        event_free(n->poll_timer);
    if (n->curl_timer)
        event_free(n->curl_timer);
    free(n);
    curl_global_cleanup();
}
