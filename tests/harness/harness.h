/*
 * Test harness: real processes, real sockets.
 *
 * test_redis_*   a private redis-server on a free port in a temporary folder,
 *                always stopped (also if the test binary dies: it gets SIGTERM).
 * test_claimsd_* the built claimsd (CLAIMSD_BIN) on a free port, its stderr in a
 *                log file the test can read.
 * test_http      one HTTP request through libcurl.
 */
#ifndef CLAIMS_TEST_HARNESS_H
#define CLAIMS_TEST_HARNESS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct test_redis {
    pid_t pid;
    int port;
    char dir[256];
    char url[300];
};

/* Starts redis-server on a free port; aborts the test binary on failure. */
void test_redis_start(struct test_redis *r);
/* Starts it again on the same port and folder (after test_redis_stop). */
void test_redis_restart(struct test_redis *r);
void test_redis_stop(struct test_redis *r);
/* A blocking connection to it; the caller frees with redisFree. */
redisContext *test_redis_connect(const struct test_redis *r);
/* FLUSHALL, between tests. */
void test_redis_flush(const struct test_redis *r);

struct test_claimsd {
    const char *bin;    /* the program to run; NULL: $CLAIMSD_BIN */
    pid_t pid;
    int port;
    char dir[256];      /* temporary folder: log, config, data */
    char log_path[300];
    char base_url[64];
};

/* Starts claimsd with --listen 127.0.0.1:0 plus args (NULL-terminated, may be
 * NULL) and extra environment entries "NAME=value" (NULL-terminated, may be
 * NULL); waits until it logs the port it listens on. Returns 0, or -1 if it
 * exited or did not listen within 15 s (its exit status in *exit_status when
 * it exited, if exit_status is not NULL). */
int test_claimsd_start(struct test_claimsd *d, const char *const args[], const char *const env[],
                       int *exit_status);
/* Sends sig and waits up to 30 s; returns the exit status (128+signal if it
 * was killed by one), or -1 if it had to be killed. */
int test_claimsd_stop(struct test_claimsd *d, int sig);
/* Waits up to timeout_ms for the process to exit on its own; returns its
 * exit status or -1 if it is still running. */
int test_claimsd_wait(struct test_claimsd *d, int timeout_ms);
/* The whole log so far (malloc'd; caller frees). */
char *test_claimsd_log(const struct test_claimsd *d);
/* Writes text to <dir>/<name> and returns the path (static buffer per call slot). */
const char *test_write_file(const char *dir, const char *name, const char *text);
/* A fresh temporary folder under /tmp. */
void test_make_temp_dir(char out[256], const char *tag);
void test_remove_tree(const char *dir);

struct test_response {
    long status;
    char *body;       /* NUL-terminated; caller frees with test_response_free */
    size_t body_len;
    char *headers;    /* raw header block of the final response */
};

/* method, url, NULL-terminated list of "Name: value" headers (may be NULL),
 * body (may be NULL). Returns 0, or -1 if the request could not be made. */
int test_http(const char *method, const char *url, const char *const headers[],
              const char *body, struct test_response *res);
/* The value of a response header (case-insensitive name) into buf; false if absent. */
bool test_response_header(const struct test_response *res, const char *name, char *buf,
                          size_t size);
void test_response_free(struct test_response *res);

/* A free TCP port on 127.0.0.1 (bound and released). */
int test_free_port(void);
void test_sleep_ms(int ms);

#endif

/* ---- the claimsd API, for end-to-end tests ---- */

/* One API call: method, path (appended to d->base_url), bearer token (NULL:
 * none), JSON body (NULL: none; sent with Content-Type application/json) and
 * one extra header line (NULL: none). Aborts the test if no answer came. */
void test_api(const struct test_claimsd *d, const char *method, const char *path,
              const char *token, const char *body, const char *extra_header,
              struct test_response *res);
/* A string at a dotted path in a JSON text ("error.fields.0.field"); a
 * buffer of 8 rotating slots per thread, "" when absent. Numbers come as
 * their text. */
const char *test_json_str(const char *json, const char *path);
/* Number of elements of the array at path, -1 when absent. */
int test_json_len(const char *json, const char *path);
/* The contents of a file under the source tree (CLAIMS_CONFIG_DIR/..);
 * malloc'd, caller frees. */
char *test_read_source(const char *relative_path);
