/*
 * A small HTTP/1.1 server on libevent bufferevents.
 *
 * Why not evhttp: libevent 2.1's evhttp answers limit violations itself, with
 * HTML bodies (API.md requires a JSON error body on every error), closes slow
 * clients without a 408, and has no cap on open connections. This server
 * enforces each limit of struct http_limits with a JSON answer, keeps
 * connections alive, handles requests on one connection one at a time (a
 * pipelined request waits in the buffer), and lets a handler answer later
 * (after Redis replies) without blocking the loop.
 *
 * Bodies must come with Content-Length (chunked uploads are answered 411).
 *
 * Backpressure: a client that sends requests and does not read the answers
 * holds at most about max_output_bytes of them in memory; past that its
 * connection is not read until they drain, and it is closed when none of
 * them is taken for write_timeout_seconds.
 *
 * With an OpenSSL context (intake_http_server_use_tls) the listener speaks TLS only
 * (libevent's OpenSSL bufferevents); the limits are the same.
 */
#ifndef CLAIMS_HTTP_H
#define CLAIMS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct ssl_ctx_st;
struct http_server;
struct http_conn;

#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_RESPONSE_HEADERS 16
#define REQUEST_ID_LEN 37
#define HTTP_DEFAULT_MAX_OUTPUT_BYTES (256 * 1024)

struct http_limits {
    size_t max_body_bytes;     /* 413 above */
    size_t max_header_bytes;   /* request line + headers; 431 above */
    int read_timeout_seconds;  /* a request not complete in time: 408 */
    int max_connections;       /* further connections: 503 and closed */
    size_t max_output_bytes;   /* unsent answers above this: the connection's requests wait
                                * (0: HTTP_DEFAULT_MAX_OUTPUT_BYTES) */
    int write_timeout_seconds; /* answers pending and none taken for this long: closed
                                * (0: never) */
};

struct http_header {
    char *name; /* lower-cased */
    char *value;
};

struct http_request {
    struct http_server *server;
    struct http_conn *conn; /* NULL once the client has gone */
    char method[16];
    char *target; /* as sent: path and query */
    char *path;   /* the path part, not decoded */
    char *query;  /* after '?', not decoded; "" when none */
    struct http_header headers[HTTP_MAX_HEADERS];
    int n_headers;
    char *body; /* NUL-terminated for convenience; body_len excludes the NUL */
    size_t body_len;
    char request_id[REQUEST_ID_LEN];        /* the server's own, new for every request */
    char client_request_id[REQUEST_ID_LEN]; /* the client's X-Request-Id (a UUID, lower
                                             * case), "" when it sent none or another form */
    char peer[64];                          /* the client's address, for audit records */
    bool tls;            /* arrived over TLS (cookies get Secure, HSTS is sent) */
    uint64_t started_ns; /* monotonic clock when the request was complete */
    char *resp_headers[HTTP_MAX_RESPONSE_HEADERS]; /* "Name: value" lines */
    int n_resp_headers;
    void *user; /* for the handler */
};

/* Called once per complete request; the handler must eventually call
 * intake_http_respond exactly once, now or from a later callback. */
typedef void (*http_handler)(struct http_request *req, void *arg);

/* A server on base that hands each complete request to handler with arg, within limits (a
 * max_output_bytes of 0 takes the default); allocates (intake_http_server_free), NULL when out of
 * memory. */
struct http_server *intake_http_server_new(struct event_base *base,
                                           const struct http_limits *limits, http_handler handler,
                                           void *arg);
/* Serves HTTPS only with this OpenSSL context (call before listening; the
 * caller keeps ownership and frees it after intake_http_server_free). */
void intake_http_server_use_tls(struct http_server *srv, struct ssl_ctx_st *ctx);
/* Binds and listens; returns the bound port (useful with port 0) or -1. */
int intake_http_server_listen(struct http_server *srv, const char *host, int port);
/* Stops accepting and closes idle connections; requests in progress finish. */
void intake_http_server_stop_accepting(struct http_server *srv);
/* Requests handed to the handler and not yet answered. */
int intake_http_server_in_flight(const struct http_server *srv);
/* Connections open now. */
int intake_http_server_connections(const struct http_server *srv);
/* Connections whose reading waits for their unsent answers to drain. */
int intake_http_server_paused(const struct http_server *srv);
/* Stops listening, closes every connection and frees the server (NULL is fine). */
void intake_http_server_free(struct http_server *srv);

/* The header's value (name is case-insensitive), or NULL. */
const char *intake_http_header_get(const struct http_request *req, const char *name);
/* Decodes one query parameter into buf. Returns 1 when present, 0 when
 * absent, -1 when malformed (bad %-escape, a NUL, or longer than size-1). */
int intake_http_query_get(const struct http_request *req, const char *name, char *buf, size_t size);
/* Adds a response header; name and value must not contain CR or LF. */
void intake_http_add_header(struct http_request *req, const char *name, const char *value);
/* Sends the response and frees the request. */
void intake_http_respond(struct http_request *req, int status, const char *content_type,
                         const char *body, size_t body_len);
/* A JSON error body in API.md's shape, with no "fields". */
void intake_http_respond_error(struct http_request *req, int status, const char *code,
                               const char *message);

/* The reason phrase of an HTTP status ("Not Found"), "Unknown" for one not used here. */
const char *intake_http_status_text(int status);

/* For the fuzz target tests/fuzz/fuzz_http.c only (docs/fuzzing.md): feeds
 * `len` bytes, as if one client had sent them, through the server's request
 * parser with these limits (only the two byte limits are used), as the
 * connection would: each complete request (head and body) is passed to each
 * (when not NULL) and then freed; parsing goes on with the next pipelined
 * request while the connection is kept alive. Returns the error status the
 * server would answer with (400, 411, 413, 431, 505, 503), or 0 when the
 * input was all taken or more of it is needed. Frees everything it made. */
int intake_http_parse_for_fuzz(const struct http_limits *limits, const char *data, size_t len,
                               void (*each)(struct http_request *req, void *arg), void *arg);

#endif
