/*
 * The HTTP/1.1 request parser (intake/http.c parse_head and parse_headers,
 * driven as a connection drives them, through intake_http_parse_for_fuzz): bytes as
 * one client sent them, possibly several pipelined requests.
 *
 * Checked for every request the parser hands on: the shape http.h promises
 * (a token method, a target starting with "/", path and query split at the
 * first "?", lower-cased header names with no control characters in values,
 * a body within the limit and NUL-terminated, a 36-character request id),
 * and the query decoder's contract on every parameter.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "intake/http.h"

/* Small limits, so that the 431 and 413 paths are reached by short inputs. */
static const struct http_limits limits = {
    .max_body_bytes = 2048,
    .max_header_bytes = 1024,
    .read_timeout_seconds = 1,
    .max_connections = 1,
};

static void check_query(const struct http_request *req, const char *name)
{
    char small[8], big[256];
    int rc = intake_http_query_get(req, name, small, sizeof small);
    FUZZ_CHECK(rc >= -1 && rc <= 1);
    if (rc == 1)
        FUZZ_CHECK(strlen(small) < sizeof small);
    rc = intake_http_query_get(req, name, big, sizeof big);
    FUZZ_CHECK(rc >= -1 && rc <= 1);
    if (rc == 1)
        FUZZ_CHECK(strlen(big) < sizeof big);
}

static void each_request(struct http_request *req, void *arg)
{
    int *n = arg;
    (*n)++;
    size_t mlen = strnlen(req->method, sizeof req->method);
    FUZZ_CHECK(mlen > 0 && mlen < sizeof req->method);
    for (size_t i = 0; i < mlen; i++)
        FUZZ_CHECK(isgraph((unsigned char)req->method[i]));
    FUZZ_CHECK(req->target && req->path == req->target && req->target[0] == '/');
    FUZZ_CHECK(req->query != NULL && !strchr(req->path, '?'));
    for (const char *p = req->path; *p; p++)
        FUZZ_CHECK((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f);
    FUZZ_CHECK(req->n_headers >= 0 && req->n_headers <= HTTP_MAX_HEADERS);
    for (int i = 0; i < req->n_headers; i++) {
        const struct http_header *h = &req->headers[i];
        FUZZ_CHECK(h->name[0] != '\0');
        for (const char *p = h->name; *p; p++)
            FUZZ_CHECK(isgraph((unsigned char)*p) && !isupper((unsigned char)*p) && *p != ':');
        for (const char *p = h->value; *p; p++)
            FUZZ_CHECK(((unsigned char)*p >= 0x20 || *p == '\t') && (unsigned char)*p != 0x7f);
        FUZZ_CHECK(intake_http_header_get(req, h->name) != NULL);
    }
    FUZZ_CHECK(req->body != NULL && req->body_len <= limits.max_body_bytes);
    FUZZ_CHECK(req->body[req->body_len] == '\0');
    FUZZ_CHECK(strlen(req->request_id) == REQUEST_ID_LEN - 1);
    const char *length = intake_http_header_get(req, "content-length");
    if (!length)
        FUZZ_CHECK(req->body_len == 0);
    FUZZ_CHECK(intake_http_header_get(req, "transfer-encoding") == NULL);
    static const char *const names[] = {"member_id", "status", "limit", "cursor", "a", ""};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        check_query(req, names[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int n = 0;
    int status = intake_http_parse_for_fuzz(&limits, (const char *)data, size, each_request, &n);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "status %d, %d requests\n", status, n);
    FUZZ_CHECK(status == 0 || status == 400 || status == 411 || status == 413 || status == 431 ||
               status == 505);
    FUZZ_CHECK(strcmp(intake_http_status_text(status ? status : 200), "Unknown") != 0);
    return 0;
}
