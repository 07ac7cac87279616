#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "date.h"
#include "hex.h"
#include "log.h"

struct http_server {
    struct event_base *base;
    struct http_limits limits;
    http_handler handler;
    void *handler_arg;
    struct evconnlistener *listener;
    struct http_conn *conns; /* doubly linked list of open connections */
    int n_conns;
    int in_flight;
    int n_paused; /* connections not read while their answers drain */
    SSL_CTX *tls; /* NULL: plain HTTP */
    bool accepting;
};

struct http_conn {
    struct http_server *srv;
    struct bufferevent *bev;
    struct http_conn *prev, *next;
    struct event *deadline;       /* the current request must be complete by then */
    struct http_request *reading; /* head parsed, body still arriving */
    struct http_request *current; /* handed to the handler, not yet answered */
    bool close_after_write;
    bool keep_alive; /* of the request being read or handled */
    bool paused;     /* not read: too much of its output is unsent */
    char peer[64];
};

const char *intake_http_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static void request_free(struct http_request *req)
{
    if (!req)
        return;
    free(req->target);
    free(req->body);
    for (int i = 0; i < req->n_headers; i++) {
        free(req->headers[i].name);
        free(req->headers[i].value);
    }
    for (int i = 0; i < req->n_resp_headers; i++)
        free(req->resp_headers[i]);
    free(req);
}

static void conn_free(struct http_conn *conn)
{
    struct http_server *srv = conn->srv;
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        srv->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    srv->n_conns--;
    if (conn->paused)
        srv->n_paused--;
    if (conn->bev)
        bufferevent_free(conn->bev);
    if (conn->deadline)
        event_free(conn->deadline);
    request_free(conn->reading);
    free(conn);
}

/* Closes a connection. A request still with the handler is detached: the
 * handler's answer is then dropped (intake_http_respond frees it). */
static void conn_close(struct http_conn *conn)
{
    if (conn->current) {
        conn->current->conn = NULL;
        conn->current = NULL;
    }
    conn_free(conn);
}

static bool valid_request_id(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* Every answer over TLS (RFC 6797): browsers then use only HTTPS for a year. */
#define HSTS_LINE "Strict-Transport-Security: max-age=31536000\r\n"

static void new_request_id(char out[REQUEST_ID_LEN])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

/* Writes a complete response on a connection that has no request object
 * (limit violations found while reading) and closes it after the write. */
static void send_raw_error(struct http_conn *conn, int status, const char *code,
                           const char *message)
{
    char id[REQUEST_ID_LEN];
    new_request_id(id);
    char body[512];
    int n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code,
                     message);
    struct evbuffer *out = bufferevent_get_output(conn->bev);
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
                        "Content-Length: %d\r\nX-Request-Id: %s\r\n%s%sConnection: close\r\n\r\n%s",
                        status, intake_http_status_text(status), n, id,
                        status == 503 ? "Retry-After: 1\r\n" : "", conn->srv->tls ? HSTS_LINE : "",
                        body);
    conn->close_after_write = true;
    bufferevent_disable(conn->bev, EV_READ);
    evtimer_del(conn->deadline);
    /* The peer gets a few seconds to take the answer, then it is closed. */
    struct timeval wt = {5, 0};
    bufferevent_set_timeouts(conn->bev, NULL, &wt);
    log_info("http %d %s request_id=%s", status, code, id);
}

static void process_input(struct http_conn *conn);

/* Backpressure (issue 16, finding 1): a client that pipelines requests and
 * reads no answer would otherwise have every answer built and queued in
 * memory. Once max_output_bytes of answers wait unsent, the connection is
 * not read (nor its buffered requests parsed) until they drain to half of
 * that (the write low watermark calls on_write); the request deadline stops
 * meanwhile, since the client is not what is late. Returns whether it is
 * paused. */
static bool output_full(struct http_conn *conn)
{
    size_t pending = evbuffer_get_length(bufferevent_get_output(conn->bev));
    if (pending < conn->srv->limits.max_output_bytes)
        return false;
    if (!conn->paused) {
        conn->paused = true;
        conn->srv->n_paused++;
        bufferevent_disable(conn->bev, EV_READ);
        evtimer_del(conn->deadline);
    }
    return true;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    process_input(arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    struct http_conn *conn = arg;
    size_t pending = evbuffer_get_length(bufferevent_get_output(bev));
    /* Deferred callbacks can run for an earlier "writable" event while an
     * answer is still queued: close only once the output is really empty. */
    if (conn->close_after_write && !conn->current && pending == 0) {
        conn_close(conn);
        return;
    }
    if (conn->paused && pending <= conn->srv->limits.max_output_bytes / 2) {
        conn->paused = false;
        conn->srv->n_paused--;
        if (conn->current || conn->close_after_write)
            return;
        bufferevent_enable(bev, EV_READ);
        /* A request whose body was still arriving gets its time again. */
        if (conn->reading && !evtimer_pending(conn->deadline, NULL)) {
            struct timeval tv = {conn->srv->limits.read_timeout_seconds, 0};
            evtimer_add(conn->deadline, &tv);
        }
        process_input(conn);
    }
}

/* A request that started arriving did not complete within
 * read_timeout_seconds (a slow or stalled client): 408, then close. */
static void answer_timeout(struct http_conn *conn)
{
    request_free(conn->reading);
    conn->reading = NULL;
    send_raw_error(conn, 408, "request_timeout", "the request was not received in time");
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct http_conn *conn = arg;
    if (what & BEV_EVENT_CONNECTED)
        return; /* a TLS handshake done: the request comes as input */
    bool partial = conn->reading || evbuffer_get_length(bufferevent_get_input(bev)) > 0;
    bool read_timeout = (what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING);
    if (read_timeout && conn->close_after_write)
        return; /* queued before reading stopped; the answer is on its way */
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && partial && !conn->current &&
        !conn->close_after_write) {
        answer_timeout(conn);
        return;
    }
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_WRITING))
        log_info("http connection from %s closed: its answers were not taken in time", conn->peer);
    /* EOF, an error (a failed TLS handshake too), a write timeout, or an
     * idle keep-alive connection. */
    conn_close(conn);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct http_conn *conn = arg;
    if (!conn->current && !conn->close_after_write)
        answer_timeout(conn);
}

/* Parses the header lines that follow the request line, up to the empty
 * line. A line ends only at CRLF: a bare CR or LF inside the header section
 * is refused (a proxy that passes the byte through would see other headers
 * than we do: request smuggling, issue 16 finding 2). */
static int parse_headers(struct http_request *req, char *lines, const char **problem)
{
    for (char *line = lines;;) {
        char *crlf = strstr(line, "\r\n");
        if (!crlf || crlf == line)
            break; /* the empty line that ends the head */
        *crlf = '\0';
        char *next = crlf + 2;
        if (strpbrk(line, "\r\n")) {
            *problem = "a bare CR or LF in the header section";
            return -1;
        }
        char *colon = strchr(line, ':');
        if (!colon || colon == line) {
            *problem = "malformed header line";
            return -1;
        }
        for (char *p = line; p < colon; p++)
            if (!isgraph((unsigned char)*p)) {
                *problem = "malformed header name";
                return -1;
            }
        if (req->n_headers == HTTP_MAX_HEADERS) {
            *problem = "too many headers";
            return -1;
        }
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        size_t vlen = strlen(value);
        while (vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
            value[--vlen] = '\0';
        for (char *p = value; *p; p++)
            if (((unsigned char)*p < 0x20 && *p != '\t') || (unsigned char)*p == 0x7f) {
                *problem = "control character in a header value";
                return -1;
            }
        for (char *p = line; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        struct http_header *h = &req->headers[req->n_headers++];
        h->name = strdup(line);
        h->value = strdup(value);
        if (!h->name || !h->value) {
            *problem = "out of memory";
            return -1;
        }
        line = next;
    }
    return 0;
}

/* A method is an RFC 9110 token. */
static bool is_token(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || strchr("!#$%&'*+-.^_`|~", c)) || c == '\0')
            return false;
    }
    return n > 0;
}

const char *intake_http_header_get(const struct http_request *req, const char *name)
{
    for (int i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

struct parse_error {
    int status; /* 0: no error, need more input */
    const char *code;
    const char *message;
};

static void set_error(struct parse_error *e, int status, const char *code, const char *message)
{
    e->status = status;
    e->code = code;
    e->message = message;
}

/* Takes a complete head out of the input into *head (caller frees), with a new request. */
static struct http_request *take_head(struct http_conn *conn, struct parse_error *e, char **head,
                                      size_t *head_len)
{
    struct http_server *srv = conn->srv;
    struct evbuffer *in = bufferevent_get_input(conn->bev);
    /* Empty lines before a request line are ignored (RFC 9112 § 2.2). */
    for (;;) {
        unsigned char *p = evbuffer_pullup(in, 1);
        if (!p || (p[0] != '\r' && p[0] != '\n'))
            break;
        evbuffer_drain(in, 1);
    }
    if (evbuffer_get_length(in) == 0)
        return NULL;
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    size_t len = end.pos < 0 ? evbuffer_get_length(in) : (size_t)end.pos + 4;
    if (len > srv->limits.max_header_bytes) {
        set_error(e, 431, "headers_too_large", "the request headers are too large");
        return NULL;
    }
    if (end.pos < 0)
        return NULL;
    char *bytes = malloc(len + 1);
    struct http_request *req = calloc(1, sizeof *req);
    if (!bytes || !req) {
        free(bytes);
        free(req);
        set_error(e, 503, "unavailable", "the server is out of memory");
        return NULL;
    }
    req->server = srv;
    evbuffer_remove(in, bytes, len);
    bytes[len] = '\0';
    *head = bytes;
    *head_len = len;
    return req;
}

/* The request line into req's method and target; false (e's 400, or a 505) when refused. */
static bool parse_request_line(struct http_request *req, char *head, bool *http11,
                               struct parse_error *e)
{
    if (strpbrk(head, "\r\n"))
        return false; /* a bare CR or LF in the request line */
    char *sp1 = strchr(head, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strchr(sp2 + 1, ' ') || sp1 == head ||
        (size_t)(sp1 - head) >= sizeof req->method || sp1[1] != '/' ||
        !is_token(head, (size_t)(sp1 - head)))
        return false;
    memcpy(req->method, head, (size_t)(sp1 - head));
    const char *version = sp2 + 1;
    *http11 = strcmp(version, "HTTP/1.1") == 0;
    if (!*http11 && strcmp(version, "HTTP/1.0") != 0) {
        set_error(e, 505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
        return false;
    }
    *sp2 = '\0';
    for (const char *p = sp1 + 1; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    req->target = strdup(sp1 + 1);
    return req->target != NULL;
}

/* Splits the target into its path and query (after '?', "" when none). */
static void split_target(struct http_request *req)
{
    req->path = req->target;
    char *q = strchr(req->target, '?');
    if (q) {
        *q = '\0';
        req->query = q + 1;
    } else {
        req->query = req->target + strlen(req->target);
    }
}

/* The body's length from its one Content-Length, within the limit; false (e set) if not. */
static bool read_body_length(struct http_request *req, const struct http_server *srv,
                             struct parse_error *e)
{
    if (intake_http_header_get(req, "transfer-encoding")) {
        set_error(e, 411, "length_required",
                  "send the body with Content-Length; chunked bodies are not accepted");
        return false;
    }
    int n_length = 0;
    for (int i = 0; i < req->n_headers; i++) {
        if (strcmp(req->headers[i].name, "content-length") != 0)
            continue;
        const char *v = req->headers[i].value;
        if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 15 || ++n_length > 1) {
            e->message = "invalid Content-Length";
            return false;
        }
        req->body_len = (size_t)strtoull(v, NULL, 10);
    }
    if (req->body_len > srv->limits.max_body_bytes) {
        set_error(e, 413, "body_too_large", "the request body is larger than the server accepts");
        return false;
    }
    return true;
}

/* False (e's message set) when the request has not the one Host header it needs. */
static bool check_host(const struct http_request *req, bool http11, struct parse_error *e)
{
    /* RFC 9112 § 3.2: an HTTP/1.1 request has exactly one Host; none or two
     * is 400 (issue 16, finding 4). HTTP/1.0 may leave it out. */
    int n_host = 0;
    for (int i = 0; i < req->n_headers; i++)
        n_host += strcmp(req->headers[i].name, "host") == 0;
    if (n_host > 1 || (http11 && n_host == 0)) {
        e->message = "an HTTP/1.1 request needs exactly one Host header";
        return false;
    }
    return true;
}

/* Parses a request's head from the input buffer once it is all there.
 * Returns the request (body not read), or NULL: with e->status 0 when more
 * input is needed, otherwise the error to answer. */
static struct http_request *parse_head(struct http_conn *conn, struct parse_error *e)
{
    e->status = 0;
    char *head = NULL;
    size_t head_len = 0;
    struct http_request *req = take_head(conn, e, &head, &head_len);
    if (!req)
        return NULL;
    set_error(e, 400, "bad_request", "malformed request");
    if (memchr(head, '\0', head_len))
        goto fail;
    char *line_end = strstr(head, "\r\n");
    *line_end = '\0';
    bool http11;
    if (!parse_request_line(req, head, &http11, e))
        goto fail;
    const char *problem = NULL;
    if (parse_headers(req, line_end + 2, &problem) != 0) {
        e->message = problem;
        goto fail;
    }
    split_target(req);
    const char *connection = intake_http_header_get(req, "connection");
    conn->keep_alive = http11 ? !(connection && strcasecmp(connection, "close") == 0)
                              : (connection && strcasecmp(connection, "keep-alive") == 0);
    if (!read_body_length(req, conn->srv, e) || !check_host(req, http11, e))
        goto fail;
    /* The request's id is always the server's own: it is what the logs and
     * the audit records carry, so a client cannot choose it (issue 16,
     * finding 9). A client's UUID is kept beside it and echoed. */
    const char *id = intake_http_header_get(req, "x-request-id");
    if (valid_request_id(id))
        for (int i = 0; i < 36; i++)
            req->client_request_id[i] = (char)tolower((unsigned char)id[i]);
    new_request_id(req->request_id);
    free(head);
    e->status = 0;
    return req;
fail:
    free(head);
    request_free(req);
    return NULL;
}

static void process_input(struct http_conn *conn)
{
    struct http_server *srv = conn->srv;
    if (conn->current || conn->close_after_write || output_full(conn))
        return;
    struct evbuffer *in = bufferevent_get_input(conn->bev);
    if (!conn->reading) {
        if (evbuffer_get_length(in) > 0 && !evtimer_pending(conn->deadline, NULL)) {
            struct timeval tv = {srv->limits.read_timeout_seconds, 0};
            evtimer_add(conn->deadline, &tv);
        }
        struct parse_error e;
        conn->reading = parse_head(conn, &e);
        if (!conn->reading) {
            if (e.status)
                send_raw_error(conn, e.status, e.code, e.message);
            return;
        }
        const char *expect = intake_http_header_get(conn->reading, "expect");
        if (expect && strcasecmp(expect, "100-continue") == 0 &&
            evbuffer_get_length(in) < conn->reading->body_len)
            evbuffer_add_printf(bufferevent_get_output(conn->bev), "HTTP/1.1 100 Continue\r\n\r\n");
    }
    struct http_request *req = conn->reading;
    if (evbuffer_get_length(in) < req->body_len)
        return;
    req->body = malloc(req->body_len + 1);
    if (!req->body) {
        request_free(req);
        conn->reading = NULL;
        send_raw_error(conn, 503, "unavailable", "the server is out of memory");
        return;
    }
    evbuffer_remove(in, req->body, req->body_len);
    req->body[req->body_len] = '\0';
    conn->reading = NULL;
    conn->current = req;
    req->conn = conn;
    memcpy(req->peer, conn->peer, sizeof req->peer);
    req->tls = srv->tls != NULL;
    req->started_ns = clock_monotonic_ns();
    evtimer_del(conn->deadline);
    /* No reading, so no timeout, while the handler has the request; a
     * pipelined request waits in the buffer. */
    bufferevent_disable(conn->bev, EV_READ);
    srv->in_flight++;
    srv->handler(req, srv->handler_arg);
}

void intake_http_add_header(struct http_request *req, const char *name, const char *value)
{
    if (req->n_resp_headers == HTTP_MAX_RESPONSE_HEADERS || strpbrk(name, "\r\n") ||
        strpbrk(value, "\r\n"))
        return;
    size_t len = strlen(name) + strlen(value) + 3;
    char *line = malloc(len);
    if (!line)
        return;
    snprintf(line, len, "%s: %s", name, value);
    req->resp_headers[req->n_resp_headers++] = line;
}

void intake_http_respond(struct http_request *req, int status, const char *content_type,
                         const char *body, size_t body_len)
{
    struct http_conn *conn = req->conn;
    req->server->in_flight--;
    if (conn) {
        struct http_server *srv = conn->srv;
        bool keep = conn->keep_alive && srv->accepting;
        struct evbuffer *out = bufferevent_get_output(conn->bev);
        evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status, intake_http_status_text(status));
        if (content_type)
            evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
        /* API.md: the client's own id when it sent one, else the server's. */
        evbuffer_add_printf(out, "Content-Length: %zu\r\nX-Request-Id: %s\r\n%s", body_len,
                            req->client_request_id[0] ? req->client_request_id : req->request_id,
                            srv->tls ? HSTS_LINE : "");
        for (int i = 0; i < req->n_resp_headers; i++)
            evbuffer_add_printf(out, "%s\r\n", req->resp_headers[i]);
        evbuffer_add_printf(out, "Connection: %s\r\n\r\n", keep ? "keep-alive" : "close");
        if (body_len && strcmp(req->method, "HEAD") != 0)
            evbuffer_add(out, body, body_len);
        conn->current = NULL;
        if (!keep) {
            conn->close_after_write = true;
        } else if (!output_full(conn)) {
            bufferevent_enable(conn->bev, EV_READ);
            if (evbuffer_get_length(bufferevent_get_input(conn->bev)) > 0)
                process_input(conn);
        }
    }
    request_free(req);
}

void intake_http_respond_error(struct http_request *req, int status, const char *code,
                               const char *message)
{
    /* code and message are the server's own words: no escaping needed
     * beyond what they contain, which is checked here. */
    char body[1024];
    int n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code,
                     message);
    if (n < 0 || (size_t)n >= sizeof body || strpbrk(message, "\"\\"))
        n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"error\"}}",
                     code);
    intake_http_respond(req, status, "application/json; charset=utf-8", body, (size_t)n);
}

/* Decodes application/x-www-form-urlencoded text of length len into buf. */
static int url_decode(const char *s, size_t len, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = hex_digit_value(s[i + 1]), lo = hex_digit_value(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1; /* a malformed escape, or a NUL */
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (o + 1 >= size)
            return -1;
        buf[o++] = c;
    }
    buf[o] = '\0';
    return 1;
}

int intake_http_query_get(const struct http_request *req, const char *name, char *buf, size_t size)
{
    size_t name_len = strlen(name);
    const char *p = req->query;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t key_len = eq ? (size_t)(eq - p) : len;
        if (key_len == name_len && memcmp(p, name, name_len) == 0) {
            const char *v = eq ? eq + 1 : p + len;
            return url_decode(v, (size_t)(p + len - v), buf, size);
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return 0;
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    (void)listener;
    (void)socklen;
    struct http_server *srv = arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct http_conn *conn = calloc(1, sizeof *conn);
    struct bufferevent *bev = NULL;
    if (srv->tls) {
        /* The handshake runs inside the bufferevent; a client that does not
         * speak TLS (plain HTTP included) fails it and is closed (on_event). */
        SSL *ssl = SSL_new(srv->tls);
        if (ssl) {
            bev = bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                 BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
            if (!bev)
                SSL_free(ssl);
        }
    } else {
        bev =
            bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    }
    struct event *deadline = conn ? evtimer_new(srv->base, on_deadline, conn) : NULL;
    if (!conn || !bev || !deadline) {
        free(conn);
        if (bev)
            bufferevent_free(bev);
        else
            evutil_closesocket(fd);
        if (deadline)
            event_free(deadline);
        return;
    }
    conn->srv = srv;
    conn->bev = bev;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, conn->peer, sizeof conn->peer);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, conn->peer, sizeof conn->peer);
    conn->deadline = deadline;
    conn->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = conn;
    srv->conns = conn;
    srv->n_conns++;
    bufferevent_setcb(bev, on_read, on_write, on_event, conn);
    /* The idle limit of a kept-alive connection; a started request is held
     * to the same limit by conn->deadline. Answers that wait unsent with
     * none of them taken for write_timeout_seconds close the connection
     * (on_event): the write event's timeout restarts with every write. */
    struct timeval idle = {srv->limits.read_timeout_seconds, 0};
    struct timeval write_limit = {srv->limits.write_timeout_seconds, 0};
    bufferevent_set_timeouts(bev, &idle, &write_limit);
    /* on_write runs once the output has drained to half the bound (and at
     * empty, which closes a connection after its last answer). */
    bufferevent_setwatermark(bev, EV_WRITE, srv->limits.max_output_bytes / 2, 0);
    if (srv->n_conns > srv->limits.max_connections) {
        send_raw_error(conn, 503, "too_many_connections",
                       "the server has too many open connections; retry shortly");
        return;
    }
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct http_server *intake_http_server_new(struct event_base *base,
                                           const struct http_limits *limits, http_handler handler,
                                           void *arg)
{
    struct http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->base = base;
    srv->limits = *limits;
    /* A caller that predates the bound (bench/minimal_server.c) gets the
     * default, not a bound of 0 that would hold every connection. */
    if (!srv->limits.max_output_bytes)
        srv->limits.max_output_bytes = HTTP_DEFAULT_MAX_OUTPUT_BYTES;
    srv->handler = handler;
    srv->handler_arg = arg;
    return srv;
}

void intake_http_server_use_tls(struct http_server *srv, struct ssl_ctx_st *ctx)
{
    srv->tls = ctx;
}

int intake_http_server_listen(struct http_server *srv, const char *host, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    int sslen;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    char spec[300];
    snprintf(spec, sizeof spec, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        sslen = sizeof *sin;
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        sslen = sizeof *sin6;
    } else {
        log_error("http: cannot parse listen address %s (use an IP address)", spec);
        return -1;
    }
    srv->listener =
        evconnlistener_new_bind(srv->base, on_accept, srv,
                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
                                1024, (struct sockaddr *)&ss, sslen);
    if (!srv->listener) {
        log_error("http: cannot listen on %s: %s", spec, strerror(errno));
        return -1;
    }
    srv->accepting = true;
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    getsockname(evconnlistener_get_fd(srv->listener), (struct sockaddr *)&bound, &blen);
    if (bound.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    return ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

void intake_http_server_stop_accepting(struct http_server *srv)
{
    srv->accepting = false;
    if (srv->listener) {
        evconnlistener_free(srv->listener);
        srv->listener = NULL;
    }
    /* Idle connections go now; busy ones close after their answer. */
    struct http_conn *conn = srv->conns;
    while (conn) {
        struct http_conn *next = conn->next;
        if (!conn->current && !conn->close_after_write)
            conn_close(conn);
        conn = next;
    }
}

int intake_http_server_in_flight(const struct http_server *srv)
{
    return srv->in_flight;
}

int intake_http_server_connections(const struct http_server *srv)
{
    return srv->n_conns;
}

int intake_http_server_paused(const struct http_server *srv)
{
    return srv->n_paused;
}

void intake_http_server_free(struct http_server *srv)
{
    if (!srv)
        return;
    if (srv->listener)
        evconnlistener_free(srv->listener);
    while (srv->conns)
        conn_close(srv->conns);
    free(srv);
}

/* ---- Fuzzing entry point (tests/fuzz/fuzz_http.c, docs/fuzzing.md) ---- */

int intake_http_parse_for_fuzz(const struct http_limits *limits, const char *data, size_t len,
                               void (*each)(struct http_request *req, void *arg), void *arg)
{
    /* One event base for the process: a socket bufferevent on no socket
     * (fd -1) only needs one to exist; it never polls. */
    static struct event_base *base;
    if (!base && !(base = event_base_new()))
        return 503;
    struct http_server srv = {.base = base, .limits = *limits};
    struct http_conn *conn = calloc(1, sizeof *conn);
    struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
    if (!conn || !bev) {
        free(conn);
        if (bev)
            bufferevent_free(bev);
        return 503;
    }
    conn->srv = &srv;
    conn->bev = bev;
    /* The bytes arrive as a read would add them: the input's end is frozen
     * except while the socket is read. */
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_unfreeze(in, 0);
    int added = len ? evbuffer_add(in, data, len) : 0;
    evbuffer_freeze(in, 0);
    if (added != 0) {
        bufferevent_free(bev);
        free(conn);
        event_base_loop(base, EVLOOP_NONBLOCK);
        return 503;
    }
    int status = 0;
    /* As process_input: a head, then its body once all of it is there, then
     * the next pipelined request while the connection is kept alive. */
    for (;;) {
        struct parse_error e;
        struct http_request *req = parse_head(conn, &e);
        if (!req) {
            status = e.status;
            break;
        }
        if (evbuffer_get_length(in) < req->body_len) {
            request_free(req); /* the rest of the body has not arrived */
            break;
        }
        req->body = malloc(req->body_len + 1);
        if (!req->body) {
            request_free(req);
            status = 503;
            break;
        }
        evbuffer_remove(in, req->body, req->body_len);
        req->body[req->body_len] = '\0';
        if (each)
            each(req, arg);
        request_free(req);
        if (!conn->keep_alive)
            break;
    }
    bufferevent_free(bev);
    free(conn);
    /* Lets libevent run the bufferevent's deferred finalizer now. */
    event_base_loop(base, EVLOOP_NONBLOCK);
    return status;
}
