/*
 * One HTTP request of claimctl through libcurl: the bearer token, TLS with
 * the system's CAs (or --cacert), no redirects followed (a redirect would
 * carry the token elsewhere), the answer's body and the headers claimctl
 * reports (Content-Type, X-Request-Id, Retry-After).
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"

#define CONNECT_TIMEOUT_S 10L
/* An 835 for a large provider is big, but not this big. */
#define MAX_ANSWER_BYTES ((size_t)256 << 20)

void ctl_buf_add(struct ctl_buf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fputs("error: local: out of memory\n", stderr);
            exit(CTL_LOCAL_ERROR);
        }
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void ctl_buf_str(struct ctl_buf *b, const char *s)
{
    ctl_buf_add(b, s, strlen(s));
}

static void buf_escaped(struct ctl_buf *b, const struct ctl_conn *c, const char *s)
{
    char *e = curl_easy_escape(c->curl, s, (int)strlen(s));
    if (!e) {
        fputs("error: local: out of memory\n", stderr);
        exit(CTL_LOCAL_ERROR);
    }
    ctl_buf_str(b, e);
    curl_free(e);
}

void ctl_buf_param(struct ctl_buf *b, const struct ctl_conn *c, const char *name, const char *value)
{
    ctl_buf_str(b, b->p && strchr(b->p, '?') ? "&" : "?");
    ctl_buf_str(b, name);
    ctl_buf_str(b, "=");
    buf_escaped(b, c, value);
}

void ctl_buf_segment(struct ctl_buf *b, const struct ctl_conn *c, const char *segment)
{
    ctl_buf_str(b, "/");
    buf_escaped(b, c, segment);
}

int ctl_conn_open(struct ctl_conn *c)
{
    c->curl = curl_easy_init();
    if (!c->curl)
        return ctl_fail(CTL_LOCAL_ERROR, "local", "libcurl could not be initialised");
    return CTL_OK;
}

void ctl_conn_close(struct ctl_conn *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
}

struct answer {
    struct ctl_buf body;
    struct ctl_response *res;
    bool too_big;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct answer *a = arg;
    size_t bytes = size * n;
    if (a->body.len + bytes > MAX_ANSWER_BYTES) {
        a->too_big = true;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    ctl_buf_add(&a->body, data, bytes);
    return bytes;
}

/* Copies a header's value (trimmed) when the line is "name: value". */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    snprintf(out, size, "%.*s", (int)(end - v), v);
}

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    struct answer *a = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) { /* a new response (after 1xx) */
        a->res->content_type[0] = a->res->request_id[0] = a->res->retry_after[0] = '\0';
        return len;
    }
    header_value(line, len, "Content-Type", a->res->content_type, sizeof a->res->content_type);
    header_value(line, len, "X-Request-Id", a->res->request_id, sizeof a->res->request_id);
    header_value(line, len, "Retry-After", a->res->retry_after, sizeof a->res->retry_after);
    return len;
}

/* The request's header list; NULL when memory ran out. The Authorization
 * line is built in a buffer that is wiped once curl has copied it. */
static struct curl_slist *request_headers(const struct ctl_conn *c, const char *content_type,
                                          const char *extra_header)
{
    char line[512];
    struct curl_slist *h = NULL, *next;
    snprintf(line, sizeof line, "Authorization: Bearer %s", c->token);
    h = curl_slist_append(NULL, line);
    memset(line, 0, sizeof line);
    if (!h)
        return NULL;
    const char *more[4] = {"Accept: */*", "Expect:", NULL, NULL};
    char ct[160];
    /* No body: no Content-Type (curl would add a form type for a POST). */
    snprintf(ct, sizeof ct, "Content-Type:%s%s", content_type ? " " : "",
             content_type ? content_type : "");
    more[2] = ct;
    more[3] = extra_header;
    for (int i = 0; i < 4 && more[i]; i++) {
        next = curl_slist_append(h, more[i]);
        if (!next) {
            curl_slist_free_all(h);
            return NULL;
        }
        h = next;
    }
    return h;
}

int ctl_request(struct ctl_conn *c, const char *method, const char *path, const char *content_type,
                const char *body, size_t len, const char *extra_header, struct ctl_response *res)
{
    memset(res, 0, sizeof *res);
    CURL *curl = c->curl;
    struct ctl_buf url = {0};
    ctl_buf_str(&url, c->url);
    ctl_buf_str(&url, path);
    struct curl_slist *headers = request_headers(c, content_type, extra_header);
    if (!headers) {
        free(url.p);
        return ctl_fail(CTL_LOCAL_ERROR, "local", "out of memory");
    }
    struct answer a = {.res = res};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url.p);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "claimctl/1 libcurl");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, c->timeout_s);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &a);
    if (c->cacert)
        curl_easy_setopt(curl, CURLOPT_CAINFO, c->cacert);
    if (strcmp(method, "POST") == 0) {
        /* A POST always says how long its body is (Content-Length: 0 when empty). */
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    free(url.p);
    if (rc != CURLE_OK) {
        free(a.body.p);
        if (a.too_big)
            return ctl_fail(CTL_LOCAL_ERROR, "local", "the answer is larger than %zu MiB",
                            MAX_ANSWER_BYTES >> 20);
        return ctl_fail(CTL_UNREACHABLE, "unreachable", "%s: %s", c->url,
                        errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
    if (!a.body.p)
        ctl_buf_add(&a.body, "", 0);
    res->body = a.body.p;
    res->len = a.body.len;
    return CTL_OK;
}

void ctl_response_free(struct ctl_response *res)
{
    free(res->body);
    res->body = NULL;
    res->len = 0;
}

bool ctl_is_json(const struct ctl_response *res)
{
    static const char json[] = "application/json";
    size_t n = sizeof json - 1;
    return strncasecmp(res->content_type, json, n) == 0 &&
           (res->content_type[n] == '\0' || res->content_type[n] == ';' ||
            res->content_type[n] == ' ');
}
