/*
 * claimctl: a command-line client of the claimsd API (docs/claimctl.md).
 *
 * claimctl.c   the command line: options, commands, help
 * ctl_http.c   one HTTP request through libcurl
 * ctl_output.c what the user sees: answers to stdout or a 0600 file, errors
 *              to stderr, input files read
 */
#ifndef CLAIMS_CTL_H
#define CLAIMS_CTL_H

#include <stdbool.h>
#include <stddef.h>

/* Exit statuses, the same for every command (docs/claimctl.md). */
enum ctl_status {
    CTL_OK = 0,           /* the server answered 2xx */
    CTL_SERVER_ERROR = 1, /* the server answered an error: code and message on stderr */
    CTL_LOCAL_ERROR = 2,  /* usage, a file that cannot be read or written, out of memory */
    CTL_UNREACHABLE = 3,  /* no answer: connection, TLS or timeout (a curl error) */
};

/* Where and how to talk to the server; filled from the command line and the
 * environment before the first request. The strings point into argv, the
 * environment or token_buf; nothing here is freed. */
struct ctl_conn {
    const char *url;    /* base URL, http:// or https://, without trailing '/' */
    const char *token;  /* the bearer token, visible ASCII only */
    const char *cacert; /* a CA bundle for a private CA, or NULL: the system's */
    long timeout_s;     /* the whole request; 0: none */
    void *curl;         /* the CURL handle, reused by every request */
};

/* An answer. ctl_response_free releases body. */
struct ctl_response {
    long status;
    char *body; /* NUL-terminated (the NUL not counted in len) */
    size_t len;
    char content_type[128];
    char request_id[80];
    char retry_after[32];
};

/* A growable byte buffer; ctl_buf_* exit(CTL_LOCAL_ERROR) when memory runs
 * out (a command-line tool has nothing better to do). p is always
 * NUL-terminated once anything was appended; the owner frees p. */
struct ctl_buf {
    char *p;
    size_t len, cap;
};
void ctl_buf_add(struct ctl_buf *b, const void *data, size_t n);
void ctl_buf_str(struct ctl_buf *b, const char *s);
/* Appends "name=value" (value percent-encoded), with '?' before the first
 * parameter and '&' before the others. */
void ctl_buf_param(struct ctl_buf *b, const struct ctl_conn *c, const char *name,
                   const char *value);
/* Appends a path segment, percent-encoded (an id can hold no '/' or '?'). */
void ctl_buf_segment(struct ctl_buf *b, const struct ctl_conn *c, const char *segment);

/* ---- ctl_http.c ---- */

/* Opens the libcurl handle (after curl_global_init). CTL_OK or CTL_LOCAL_ERROR. */
int ctl_conn_open(struct ctl_conn *c);
void ctl_conn_close(struct ctl_conn *c);
/* Sends method to c->url + path (path and query, already encoded) with the
 * bearer token; body (len bytes, may be NULL for none) with content_type;
 * extra_header ("Name: value", may be NULL). Fills *res (the caller frees it
 * with ctl_response_free) and returns CTL_OK whatever the HTTP status, or
 * CTL_UNREACHABLE after printing curl's error to stderr. */
int ctl_request(struct ctl_conn *c, const char *method, const char *path, const char *content_type,
                const char *body, size_t len, const char *extra_header, struct ctl_response *res);
void ctl_response_free(struct ctl_response *res);
/* True for "application/json" with or without parameters. */
bool ctl_is_json(const struct ctl_response *res);

/* ---- ctl_output.c ---- */

/* Prints "error: <code>: <message>" (then any further lines, indented) to
 * stderr; returns status so that callers can `return ctl_fail(...)`. */
int ctl_fail(int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A non-2xx answer on stderr: "error: <code>: <message>", then each
 * "  <field>: <problem>", "  retry after: <n> s" when the server said so, and
 * "  request id: <X-Request-Id>". Returns CTL_SERVER_ERROR. */
int ctl_report_error(const struct ctl_response *res);
/* Writes what the user asked for: text to output (NULL or "-": stdout),
 * a file replaced atomically and created 0600 (EOBs and remittances are
 * PHI). Returns CTL_OK or CTL_LOCAL_ERROR (reported). */
int ctl_write_output(const char *output, const char *text, size_t len);
/* The answer's text as the user sees it: JSON pretty-printed unless raw
 * (with a final newline), anything else (FHIR, HTML, X12, raw JSON) exactly
 * as returned. Then ctl_write_output. */
int ctl_emit(const struct ctl_response *res, bool raw, const char *output);
/* Reads a whole file ("-": stdin) into *b, at most max bytes. CTL_OK or
 * CTL_LOCAL_ERROR (reported). */
int ctl_read_file(const char *path, size_t max, struct ctl_buf *b);

#endif
