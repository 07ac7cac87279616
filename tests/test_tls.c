/*
 * HTTPS on the listener (docs/configuration.md "tls"): a self-signed
 * certificate made with the openssl command line, claimsd started with
 * tls.cert_file and tls.key_file, then libcurl and raw OpenSSL clients.
 * TLS 1.2 and later only, HSTS on every answer, plain HTTP on the port gets
 * no HTTP answer, the HTTP limits hold as they do without TLS, and a bad
 * certificate or key stops the start with the key named.
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness/harness.h"

#define ADMIN "tls-tests-bootstrap-admin-token-0123456789abcdef"

static struct test_redis redis;
static struct test_claimsd server;
static char certs[256]; /* cert.pem, key.pem, other-key.pem, the config */
static char ca_file[300];

/* A self-signed P-256 certificate for 127.0.0.1 and localhost. */
static void make_certificate(const char *dir, const char *name, const char *key_name)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-keyout %s/%s -out %s/%s -days 2 -subj /CN=localhost "
             "-addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1",
             dir, key_name, dir, name);
    if (system(cmd) != 0) {
        fprintf(stderr, "openssl could not make a test certificate (is openssl installed?)\n");
        exit(2);
    }
}

static void setup(void)
{
    test_redis_start(&redis);
    test_make_temp_dir(certs, "tls");
    make_certificate(certs, "cert.pem", "key.pem");
    make_certificate(certs, "other.pem", "other-key.pem");
    snprintf(ca_file, sizeof ca_file, "%s/cert.pem", certs);
    /* Relative paths: against the config file's folder. */
    char text[1024];
    snprintf(text, sizeof text,
             "{\"tls\": {\"cert_file\": \"cert.pem\", \"key_file\": \"key.pem\"},"
             " \"portal_dir\": \"%s/../portal\","
             " \"limits\": {\"max_body_bytes\": 2048, \"max_header_bytes\": 1024,"
             " \"read_timeout_seconds\": 2, \"max_connections\": 4, \"write_timeout_seconds\": 1}}",
             getenv("CLAIMS_CONFIG_DIR"));
    const char *cfg = test_write_file(certs, "tls.json", text);
    memset(&server, 0, sizeof server);
    test_claimsd_start_or_exit(
        &server,
        (const char *const[]){"--redis", redis.url, "--workers", "0", "--config", cfg, NULL},
        (const char *const[]){"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL}, " with TLS");
    if (strncmp(server.base_url, "https://", 8) != 0) {
        fprintf(stderr, "claimsd did not log an https listener: %s\n", server.base_url);
        exit(2);
    }
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
    test_remove_tree(certs);
}

struct answer {
    long status;
    char headers[4096];
    size_t headers_len;
    char body[65536];
    size_t body_len;
};

/* Appends len bytes of p to the text buf (cap bytes, *used of them taken) when they fit. */
static void append(char *buf, size_t cap, size_t *used, const char *p, size_t len)
{
    if (*used + len < cap) {
        memcpy(buf + *used, p, len);
        *used += len;
        buf[*used] = '\0';
    }
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct answer *a = arg;
    append(a->body, sizeof a->body, &a->body_len, p, size * n);
    return size * n;
}

static size_t on_head(char *p, size_t size, size_t n, void *arg)
{
    struct answer *a = arg;
    append(a->headers, sizeof a->headers, &a->headers_len, p, size * n);
    return size * n;
}

/* Performs curl's request of url trusting only the test certificate (10 s at
 * most), the answer into a (its status when one came), and cleans curl up. */
static CURLcode perform_trusting_the_test_ca(CURL *curl, const char *url, struct answer *a)
{
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_head);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_cleanup(curl);
    return rc;
}

/* GET url through libcurl trusting only the test certificate; ssl_version
 * is a CURLOPT_SSLVERSION value (0: libcurl's default). */
static CURLcode curl_get(const char *url, long ssl_version, struct answer *a)
{
    memset(a, 0, sizeof *a);
    CURL *curl = curl_easy_init();
    ck_assert_ptr_nonnull(curl);
    if (ssl_version)
        curl_easy_setopt(curl, CURLOPT_SSLVERSION, ssl_version);
    return perform_trusting_the_test_ca(curl, url, a);
}

/* A JSON request through libcurl over TLS: bearer (or none) and a body. */
static CURLcode curl_json(const char *method, const char *url, const char *bearer, const char *body,
                          struct answer *a)
{
    memset(a, 0, sizeof *a);
    CURL *curl = curl_easy_init();
    ck_assert_ptr_nonnull(curl);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char auth[200];
    if (bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    CURLcode rc = perform_trusting_the_test_ca(curl, url, a);
    curl_slist_free_all(h);
    return rc;
}

static void url_of(const char *path, char *out, size_t size)
{
    snprintf(out, size, "%s%s", server.base_url, path);
}

/* ---- a raw TLS client (OpenSSL), for what libcurl will not do ---- */

struct tls_client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
};

static int tcp_connect(int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)server.port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Connects and completes the handshake, verifying the test certificate. */
static void tls_open(struct tls_client *c, int rcvbuf)
{
    c->fd = tcp_connect(rcvbuf);
    c->ctx = SSL_CTX_new(TLS_client_method());
    ck_assert_ptr_nonnull(c->ctx);
    ck_assert_int_eq(SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL), 1);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set1_host(c->ssl, "127.0.0.1");
    ck_assert_msg(SSL_connect(c->ssl) == 1, "handshake failed: %s",
                  ERR_error_string(ERR_get_error(), NULL));
}

static void tls_close(struct tls_client *c)
{
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    close(c->fd);
}

static void tls_send(struct tls_client *c, const char *text)
{
    ck_assert_int_eq(SSL_write(c->ssl, text, (int)strlen(text)), (int)strlen(text));
}

/* Reads until the server closes (or 10 s pass). */
static void tls_read_all(struct tls_client *c, char *buf, size_t size)
{
    size_t got = 0;
    int n;
    while (got + 1 < size && (n = SSL_read(c->ssl, buf + got, (int)(size - 1 - got))) > 0)
        got += (size_t)n;
    buf[got] = '\0';
}

/* The resident memory of a process, in KiB (VmRSS of /proc/<pid>/status). */
/* ---- the tests ---- */

/* Over TLS the session cookie is also Secure: a browser never sends it over
 * plain HTTP (issue 16: "plus Secure under TLS"). */
START_TEST(test_the_session_cookie_is_secure_under_tls)
{
    char url[128], body[256];
    struct answer a;
    url_of("/v1/invitations", url, sizeof url);
    ck_assert_int_eq(
        curl_json("POST", url, ADMIN, "{\"role\":\"provider\",\"npi\":\"1245319599\"}", &a),
        CURLE_OK);
    ck_assert_msg(a.status == 201, "%ld %s", a.status, a.body);
    const char *code = strstr(a.body, "\"code\":\"");
    ck_assert_ptr_nonnull(code);
    code += 8;
    snprintf(body, sizeof body,
             "{\"code\":\"%.68s\",\"username\":\"front.desk\",\"password\":\"%s\"}", code,
             "cobalt harbor lantern 42");
    url_of("/v1/accounts", url, sizeof url);
    ck_assert_int_eq(curl_json("POST", url, NULL, body, &a), CURLE_OK);
    ck_assert_msg(a.status == 201, "%ld %s", a.status, a.body);
    url_of("/v1/sessions", url, sizeof url);
    ck_assert_int_eq(
        curl_json("POST", url, NULL,
                  "{\"username\":\"front.desk\",\"password\":\"cobalt harbor lantern 42\"}", &a),
        CURLE_OK);
    ck_assert_int_eq(a.status, 201);
    const char *set = strstr(a.headers, "\r\nSet-Cookie: claimsd_session=");
    ck_assert_msg(set != NULL, "%s", a.headers);
    const char *end = strstr(set + 2, "\r\n");
    ck_assert_ptr_nonnull(end);
    const char *attrs = memchr(set + 2, ';', (size_t)(end - set - 2));
    ck_assert_ptr_nonnull(attrs);
    char got[128];
    snprintf(got, sizeof got, "%.*s", (int)(end - attrs), attrs);
    ck_assert_str_eq(got, "; HttpOnly; SameSite=Strict; Path=/; Secure");
}
END_TEST

START_TEST(test_healthz_over_https_carries_hsts)
{
    char url[128];
    url_of("/healthz", url, sizeof url);
    struct answer a;
    ck_assert_int_eq(curl_get(url, 0, &a), CURLE_OK);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(a.body, "{\"status\":\"ok\"}");
    ck_assert_msg(strstr(a.headers, "\r\nStrict-Transport-Security: max-age=31536000\r\n") != NULL,
                  "%s", a.headers);
    /* An error answer carries it too. */
    url_of("/nowhere", url, sizeof url);
    ck_assert_int_eq(curl_get(url, 0, &a), CURLE_OK);
    ck_assert_int_eq(a.status, 404);
    ck_assert_ptr_nonnull(strstr(a.headers, "\r\nStrict-Transport-Security: max-age=31536000\r\n"));
    /* And a portal file. */
    url_of("/portal/index.html", url, sizeof url);
    ck_assert_int_eq(curl_get(url, 0, &a), CURLE_OK);
    ck_assert_int_eq(a.status, 200);
    ck_assert_ptr_nonnull(strstr(a.headers, "\r\nStrict-Transport-Security: max-age=31536000\r\n"));
}
END_TEST

START_TEST(test_tls_1_1_is_refused_and_1_2_and_1_3_are_served)
{
    char url[128];
    url_of("/healthz", url, sizeof url);
    struct answer a;
    CURLcode rc = curl_get(url, CURL_SSLVERSION_TLSv1_1 | CURL_SSLVERSION_MAX_TLSv1_1, &a);
    ck_assert_msg(rc != CURLE_OK, "a TLS 1.1 client was served");
    ck_assert_int_eq(a.status, 0);
    ck_assert_int_eq(curl_get(url, CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2, &a),
                     CURLE_OK);
    ck_assert_int_eq(a.status, 200);
    ck_assert_int_eq(curl_get(url, CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3, &a),
                     CURLE_OK);
    ck_assert_int_eq(a.status, 200);
    /* A client that does not trust the certificate does not get through. */
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CAINFO, "/dev/null");
    curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    ck_assert_int_ne(curl_easy_perform(curl), CURLE_OK);
    curl_easy_cleanup(curl);
}
END_TEST

START_TEST(test_plain_http_to_the_tls_port_gets_no_http_answer)
{
    int fd = tcp_connect(0);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    char buf[4096];
    size_t got = 0;
    ssize_t n;
    while (got + 1 < sizeof buf && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(fd);
    ck_assert_msg(got == 0 || strncmp(buf, "HTTP/", 5) != 0, "%s", buf);
    ck_assert_ptr_null(strstr(buf, "\"status\""));
    /* libcurl's http:// to the port: no HTTP answer either. */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", server.port);
    CURL *curl = curl_easy_init();
    struct answer a;
    memset(&a, 0, sizeof a);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    ck_assert_int_ne(curl_easy_perform(curl), CURLE_OK);
    curl_easy_cleanup(curl);
    /* A connection that never starts the handshake is closed as an idle
     * one, after read_timeout_seconds (2 s here). */
    fd = tcp_connect(0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(read(fd, buf, sizeof buf), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(fd);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(waited > 1.5 && waited < 8, "closed after %.1f s", waited);
    /* The server is none the worse. */
    url_of("/healthz", url, sizeof url);
    ck_assert_int_eq(curl_get(url, 0, &a), CURLE_OK);
    ck_assert_int_eq(a.status, 200);
}
END_TEST

START_TEST(test_http_limits_hold_under_tls)
{
    char buf[8192];
    struct tls_client c;
    /* 413 before the body is read. */
    tls_open(&c, 0);
    tls_send(&c, "POST /v1/claims HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Content-Length: 4096\r\n\r\n");
    tls_read_all(&c, buf, sizeof buf);
    tls_close(&c);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 413 Content Too Large\r\n", 32) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "\r\nStrict-Transport-Security: max-age=31536000\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\n\r\n{\"error\":{\"code\":\"body_too_large\","));
    /* 431. */
    tls_open(&c, 0);
    char big[2048];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tls_send(&c, "GET /healthz HTTP/1.1\r\nX-Big: ");
    tls_send(&c, big);
    tls_read_all(&c, buf, sizeof buf);
    tls_close(&c);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 431 ", 13) == 0, "%s", buf);
    /* 408 for a request not complete within read_timeout_seconds. */
    tls_open(&c, 0);
    tls_send(&c, "POST /v1/claims HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"type\":");
    tls_read_all(&c, buf, sizeof buf);
    tls_close(&c);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0, "%s", buf);
    /* A malformed request line: 400 JSON. */
    tls_open(&c, 0);
    tls_send(&c, "GARBAGE\r\n\r\n");
    tls_read_all(&c, buf, sizeof buf);
    tls_close(&c);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 400 ", 13) == 0, "%s", buf);
    /* Pipelined requests are answered in order, the client's id echoed. */
    tls_open(&c, 0);
    tls_send(&c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: "
                 "0F8FAD5B-D9CB-469F-A165-70867728950E\r\n\r\n"
                 "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                 "DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    tls_read_all(&c, buf, sizeof buf);
    tls_close(&c);
    char *first = strstr(buf, "HTTP/1.1 200 OK\r\n");
    char *second = strstr(buf, "HTTP/1.1 404 Not Found\r\n");
    char *third = strstr(buf, "HTTP/1.1 405 Method Not Allowed\r\n");
    ck_assert_msg(first && second && third && first < second && second < third, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "X-Request-Id: 0f8fad5b-d9cb-469f-a165-70867728950e\r\n"));
}
END_TEST

START_TEST(test_connections_over_the_cap_get_503_under_tls)
{
    test_sleep_ms(300); /* earlier tests' connections are gone */
    struct tls_client held[4];
    for (int i = 0; i < 4; i++)
        tls_open(&held[i], 0);
    struct tls_client extra;
    tls_open(&extra, 0);
    char buf[4096];
    tls_read_all(&extra, buf, sizeof buf);
    tls_close(&extra);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "{\"error\":{\"code\":\"too_many_connections\","));
    tls_send(&held[0], "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    tls_read_all(&held[0], buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", buf);
    for (int i = 0; i < 4; i++)
        tls_close(&held[i]);
}
END_TEST

/* Backpressure and the write timeout work on the decrypted answers as they
 * do without TLS: a client pipelining portal GETs and reading nothing is
 * closed after write_timeout_seconds (1 s here), the server's memory
 * bounded meanwhile. */
START_TEST(test_a_tls_client_that_never_reads_is_closed_after_the_write_timeout)
{
    long before = test_vm_rss_kib(server.pid);
    struct tls_client c;
    tls_open(&c, 4096);
    struct timeval tv = {1, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const char *one = "GET /portal/js/claim_forms.js HTTP/1.1\r\nHost: x\r\n\r\n";
    char chunk[100 * 64];
    size_t one_len = strlen(one), n = 0;
    for (int i = 0; i < 100; i++, n += one_len)
        memcpy(chunk + n, one, one_len);
    int sent = 0;
    for (int i = 0; i < 30; i++) { /* 3,000 requests, as far as the server takes them */
        if (SSL_write(c.ssl, chunk, (int)n) != (int)n)
            break;
        sent++;
    }
    ck_assert_int_gt(sent, 0);
    long grown = test_vm_rss_kib(server.pid) - before;
    ck_assert_msg(grown < 16 * 1024, "the server grew by %ld KiB", grown);
    struct pollfd p = {.fd = c.fd, .events = POLLRDHUP};
    ck_assert_int_eq(poll(&p, 1, 5000), 1);
    ck_assert_msg(p.revents & (POLLERR | POLLHUP | POLLRDHUP), "revents %x", p.revents);
    tls_close(&c);
    char *log = test_claimsd_log(&server);
    ck_assert_ptr_nonnull(strstr(log, "closed: its answers were not taken in time"));
    free(log);
    char url[128];
    url_of("/healthz", url, sizeof url);
    struct answer a;
    ck_assert_int_eq(curl_get(url, 0, &a), CURLE_OK);
    ck_assert_int_eq(a.status, 200);
}
END_TEST

/* Starts claimsd with the TLS settings in text (a config file in certs);
 * expects exit status 2 and a log holding each of the needles. */
static void assert_refused(const char *text, const char *needle1, const char *needle2)
{
    const char *cfg = test_write_file(certs, "bad-tls.json", text);
    struct test_claimsd d = {0};
    test_make_temp_dir(d.dir, "badtls");
    int status = -1;
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--redis", redis.url, "--config", cfg, NULL},
                           NULL, &status),
        -1);
    ck_assert_int_eq(status, 2);
    char *log = test_claimsd_log(&d);
    ck_assert_msg(strstr(log, needle1) != NULL, "want %s in: %s", needle1, log);
    ck_assert_msg(!needle2 || strstr(log, needle2) != NULL, "want %s in: %s", needle2, log);
    free(log);
    test_remove_tree(d.dir);
}

START_TEST(test_a_bad_certificate_or_key_stops_the_start_naming_the_key)
{
    char missing[400];
    snprintf(missing, sizeof missing, "tls.cert_file %s/missing.pem: cannot read it: No such file",
             certs);
    assert_refused("{\"tls\": {\"cert_file\": \"missing.pem\", \"key_file\": \"key.pem\"}}",
                   missing, NULL);
    assert_refused("{\"tls\": {\"cert_file\": \"cert.pem\", \"key_file\": \"nokey.pem\"}}",
                   "tls.key_file ", "nokey.pem: cannot read it");
    /* Not a certificate; a key that is not the certificate's; a key not PEM. */
    assert_refused("{\"tls\": {\"cert_file\": \"tls.json\", \"key_file\": \"key.pem\"}}",
                   "tls.cert_file ", "tls.json: not a usable PEM certificate");
    assert_refused("{\"tls\": {\"cert_file\": \"cert.pem\", \"key_file\": \"other-key.pem\"}}",
                   "tls.key_file ", "other-key.pem: the key does not belong to tls.cert_file");
    assert_refused("{\"tls\": {\"cert_file\": \"cert.pem\", \"key_file\": \"cert.pem\"}}",
                   "tls.key_file ", "cert.pem: not a usable PEM private key");
    /* Both or neither. */
    assert_refused("{\"tls\": {\"cert_file\": \"cert.pem\"}}",
                   "keys \"tls.cert_file\" and \"tls.key_file\" go together", NULL);
    assert_refused("{\"tls\": {\"key_file\": \"key.pem\", \"ciphers\": \"ALL\"}}",
                   "unknown key \"tls.ciphers\"", NULL);
}
END_TEST

static Suite *tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("https");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_healthz_over_https_carries_hsts);
    tcase_add_test(tc, test_the_session_cookie_is_secure_under_tls);
    tcase_add_test(tc, test_tls_1_1_is_refused_and_1_2_and_1_3_are_served);
    tcase_add_test(tc, test_plain_http_to_the_tls_port_gets_no_http_answer);
    tcase_add_test(tc, test_http_limits_hold_under_tls);
    tcase_add_test(tc, test_connections_over_the_cap_get_503_under_tls);
    tcase_add_test(tc, test_a_tls_client_that_never_reads_is_closed_after_the_write_timeout);
    tcase_add_test(tc, test_a_bad_certificate_or_key_stops_the_start_naming_the_key);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return test_run_suite(tls_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
