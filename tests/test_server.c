/*
 * claimsd as a process: command line and config, the embedded redis-server,
 * health and readiness, the bootstrap token, HTTP limits, shutdown.
 * Everything through real processes and sockets.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/harness.h"
#include "queue/tokens.h"

static struct test_redis redis;

static void redis_up(void)
{
    test_redis_start(&redis);
}

static void redis_down(void)
{
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
}

static void start_with_redis(struct test_claimsd *d, const char *const extra[])
{
    const char *args[16] = {"--redis", redis.url};
    int n = 2;
    for (const char *const *a = extra; a && *a; a++)
        args[n++] = *a;
    args[n] = NULL;
    memset(d, 0, sizeof *d);
    ck_assert_int_eq(test_claimsd_start(d, args, NULL, NULL), 0);
}

static void finish(struct test_claimsd *d)
{
    ck_assert_int_eq(test_claimsd_stop(d, SIGTERM), 0);
    test_remove_tree(d->dir);
}

static void get(const struct test_claimsd *d, const char *path, struct test_response *res)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", d->base_url, path);
    ck_assert_int_eq(test_http("GET", url, NULL, NULL, res), 0);
}

START_TEST(test_healthz_and_readyz_answer_when_redis_is_up)
{
    struct test_claimsd d;
    start_with_redis(&d, NULL);
    struct test_response res;
    get(&d, "/healthz", &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, "{\"status\":\"ok\"}");
    char ctype[128], rid[64];
    ck_assert(test_response_header(&res, "Content-Type", ctype, sizeof ctype));
    ck_assert_str_eq(ctype, "application/json; charset=utf-8");
    ck_assert(test_response_header(&res, "X-Request-Id", rid, sizeof rid));
    ck_assert_uint_eq(strlen(rid), 36);
    test_response_free(&res);
    get(&d, "/readyz", &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, "{\"status\":\"ready\",\"redis\":\"ok\"}");
    test_response_free(&res);
    finish(&d);
}
END_TEST

/* GET /readyz every 50 ms until it answers 200 (at most 100 times); the last status. */
static long readyz_within_5_s(const struct test_claimsd *d)
{
    long status = 0;
    for (int i = 0; i < 100 && status != 200; i++) {
        struct test_response res;
        test_sleep_ms(50);
        get(d, "/readyz", &res);
        status = res.status;
        test_response_free(&res);
    }
    return status;
}

START_TEST(test_readyz_fails_while_redis_is_down_and_recovers_after)
{
    /* A private redis-server: this test stops and restarts it. */
    struct test_redis own;
    test_redis_start(&own);
    struct test_claimsd d = {0};
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--redis", own.url, NULL}, NULL, NULL), 0);
    struct test_response res;
    get(&d, "/readyz", &res);
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);

    test_redis_stop(&own);
    test_sleep_ms(200);
    get(&d, "/readyz", &res);
    ck_assert_int_eq(res.status, 503);
    ck_assert_str_eq(
        res.body,
        "{\"error\":{\"code\":\"redis_unavailable\",\"message\":\"storage is not reachable\"}}");
    char retry[16];
    ck_assert(test_response_header(&res, "Retry-After", retry, sizeof retry));
    ck_assert_str_eq(retry, "1");
    test_response_free(&res);
    /* The process itself is still healthy. */
    get(&d, "/healthz", &res);
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);

    test_redis_restart(&own);
    ck_assert_int_eq(readyz_within_5_s(&d), 200);
    finish(&d);
    test_redis_stop(&own);
    test_remove_tree(own.dir);
}
END_TEST

START_TEST(test_readyz_times_out_when_redis_hangs)
{
    /* A SIGSTOPped redis-server accepts nothing and answers nothing: the
     * command deadline (not the client's patience) must end the request. */
    struct test_claimsd d;
    const char *cfg =
        test_write_file(redis.dir, "short-timeout.json", "{\"redis_timeout_ms\": 300}");
    start_with_redis(&d, (const char *const[]){"--config", cfg, NULL});
    kill(redis.pid, SIGSTOP);
    struct test_response res;
    get(&d, "/readyz", &res);
    kill(redis.pid, SIGCONT);
    ck_assert_int_eq(res.status, 503);
    test_response_free(&res);
    ck_assert_int_eq(readyz_within_5_s(&d), 200);
    finish(&d);
}
END_TEST

/* claimsd started with the config file <dir>/<name> of text exits 2 before it
 * listens, its log naming `problem`. */
static void assert_config_refused(const char *dir, const char *name, const char *text,
                                  const char *problem)
{
    const char *cfg = test_write_file(dir, name, text);
    struct test_claimsd d = {0};
    snprintf(d.dir, sizeof d.dir, "%s", dir);
    int status = -1;
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--config", cfg, NULL}, NULL, &status), -1);
    ck_assert_int_eq(status, 2);
    char *log = test_claimsd_log(&d);
    ck_assert_msg(strstr(log, problem) != NULL, "log: %s", log);
    free(log);
}

START_TEST(test_unknown_config_key_exits_non_zero_naming_the_key)
{
    char dir[256];
    test_make_temp_dir(dir, "cfg");
    assert_config_refused(dir, "bad.json", "{\"listen\": \"127.0.0.1:0\", \"wrokers\": 4}",
                          "unknown key \"wrokers\"");
    assert_config_refused(dir, "bad2.json", "{\"limits\": {\"max_body_bytez\": 10}}",
                          "unknown key \"limits.max_body_bytez\"");
    assert_config_refused(dir, "bad3.json", "{\"workers\": \"four\"}",
                          "key \"workers\" has the wrong type");
    test_remove_tree(dir);
}
END_TEST

static bool process_exists(pid_t pid)
{
    return kill(pid, 0) == 0;
}

static pid_t embedded_redis_pid(const struct test_claimsd *d)
{
    char *log = test_claimsd_log(d);
    char *p = strstr(log, "started embedded redis-server (pid ");
    pid_t pid = p ? (pid_t)atoi(p + strlen("started embedded redis-server (pid ")) : -1;
    free(log);
    return pid;
}

/* Starts d with --data-dir <a new folder>/data (its path into data, 300
 * bytes); the pid of the redis-server it started. */
static pid_t start_embedded(struct test_claimsd *d, char *data)
{
    test_make_temp_dir(d->dir, "embedded");
    snprintf(data, 300, "%s/data", d->dir);
    ck_assert_int_eq(
        test_claimsd_start(d, (const char *const[]){"--data-dir", data, NULL}, NULL, NULL), 0);
    pid_t rpid = embedded_redis_pid(d);
    ck_assert_int_gt(rpid, 0);
    return rpid;
}

START_TEST(test_embedded_redis_starts_with_aof_and_stops_with_claimsd)
{
    struct test_claimsd d = {0};
    char data[300];
    pid_t rpid = start_embedded(&d, data);
    ck_assert(process_exists(rpid));
    struct test_response res;
    get(&d, "/readyz", &res);
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);

    /* AOF on, no RDB snapshots, unix socket only. */
    char sock[400];
    snprintf(sock, sizeof sock, "%s/redis.sock", data);
    redisContext *c = redisConnectUnix(sock);
    ck_assert(c && !c->err);
    redisReply *r = redisCommand(c, "CONFIG GET appendonly");
    ck_assert_str_eq(r->element[1]->str, "yes");
    freeReplyObject(r);
    r = redisCommand(c, "CONFIG GET save");
    ck_assert_str_eq(r->element[1]->str, "");
    freeReplyObject(r);
    r = redisCommand(c, "CONFIG GET port");
    ck_assert_str_eq(r->element[1]->str, "0");
    freeReplyObject(r);
    redisFree(c);

    /* A second claimsd on the same data directory is refused. */
    struct test_claimsd twin = {0};
    test_make_temp_dir(twin.dir, "twin");
    int status = -1;
    ck_assert_int_eq(
        test_claimsd_start(&twin, (const char *const[]){"--data-dir", data, NULL}, NULL, &status),
        -1);
    ck_assert_int_eq(status, 1);
    test_remove_tree(twin.dir);

    ck_assert_int_eq(test_claimsd_stop(&d, SIGINT), 0);
    ck_assert(!process_exists(rpid));
    test_remove_tree(d.dir);
}
END_TEST

/* Every regular file under dir (and its folders) is 0600 and every folder
 * 0700; returns how many files were seen. */
static int assert_private_tree(const char *dir)
{
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_msg((st.st_mode & 0777) == 0700, "%s is %o", dir, st.st_mode & 0777);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ck_assert_int_eq(lstat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            files += assert_private_tree(path);
        } else if (S_ISREG(st.st_mode)) {
            ck_assert_msg((st.st_mode & 0777) == 0600, "%s is %o", path, st.st_mode & 0777);
            files++;
        }
    }
    closedir(d);
    return files;
}

/* Issue 16, finding 5: a data directory made beforehand with 0755 and a file
 * in it with 0644 become 0700 and 0600; Redis's own files are 0600. */
START_TEST(test_embedded_data_directory_and_redis_files_are_private)
{
    struct test_claimsd d = {0};
    test_make_temp_dir(d.dir, "private");
    char data[300], stale[400];
    snprintf(data, sizeof data, "%s/data", d.dir);
    ck_assert_int_eq(mkdir(data, 0755), 0);
    ck_assert_int_eq(chmod(data, 0755), 0);
    snprintf(stale, sizeof stale, "%s/notes.txt", data);
    FILE *f = fopen(stale, "w");
    ck_assert_ptr_nonnull(f);
    fputs("left by an operator\n", f);
    fclose(f);
    ck_assert_int_eq(chmod(stale, 0644), 0);
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--data-dir", data, NULL}, NULL, NULL), 0);
    /* The AOF files exist once Redis has started with appendonly on. */
    int files = assert_private_tree(data);
    ck_assert_int_ge(files, 4); /* notes.txt, the lock, the AOF manifest and its files */
    ck_assert_int_eq(test_claimsd_stop(&d, SIGTERM), 0);
    assert_private_tree(data);
    test_remove_tree(d.dir);
}
END_TEST

START_TEST(test_claimsd_exits_non_zero_when_its_redis_dies)
{
    struct test_claimsd d = {0};
    char data[300];
    pid_t rpid = start_embedded(&d, data);
    kill(rpid, SIGKILL);
    ck_assert_int_eq(test_claimsd_wait(&d, 10000), 1);
    char *log = test_claimsd_log(&d);
    ck_assert_msg(strstr(log, "the embedded redis-server exited") != NULL, "log: %s", log);
    free(log);
    test_remove_tree(d.dir);
}
END_TEST

START_TEST(test_bootstrap_admin_token_is_stored_only_as_its_hash)
{
    const char *token = "bootstrap-token-for-tests-0123456789abcdef";
    char env_entry[128];
    snprintf(env_entry, sizeof env_entry, "CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=%s", token);
    struct test_claimsd d = {0};
    ck_assert_int_eq(test_claimsd_start(&d, (const char *const[]){"--redis", redis.url, NULL},
                                        (const char *const[]){env_entry, NULL}, NULL),
                     0);
    char hash[TOKEN_HASH_HEX_LEN];
    queue_token_hash_hex(token, strlen(token), hash);
    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "HGET claims:token:%s role", hash);
    ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
    ck_assert_str_eq(r->str, "admin");
    freeReplyObject(r);
    r = redisCommand(c, "GET claims:token_id:bootstrap");
    ck_assert_str_eq(r->str, hash);
    freeReplyObject(r);
    /* The token's own text is nowhere in Redis. */
    r = redisCommand(c, "KEYS *");
    for (size_t i = 0; i < r->elements; i++) {
        ck_assert_ptr_null(strstr(r->element[i]->str, token));
        redisReply *dump = redisCommand(c, "DUMP %s", r->element[i]->str);
        ck_assert(dump->type == REDIS_REPLY_STRING);
        ck_assert_ptr_null(memmem(dump->str, dump->len, token, strlen(token)));
        freeReplyObject(dump);
    }
    freeReplyObject(r);
    ck_assert_int_eq(test_claimsd_stop(&d, SIGTERM), 0);

    /* A new bootstrap value replaces the old one. */
    const char *token2 = "another-bootstrap-token-0123456789abcdef";
    snprintf(env_entry, sizeof env_entry, "CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=%s", token2);
    ck_assert_int_eq(test_claimsd_start(&d, (const char *const[]){"--redis", redis.url, NULL},
                                        (const char *const[]){env_entry, NULL}, NULL),
                     0);
    r = redisCommand(c, "EXISTS claims:token:%s", hash);
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);
    redisFree(c);
    ck_assert_int_eq(test_claimsd_stop(&d, SIGTERM), 0);

    /* Too short a bootstrap token is refused. */
    int status = -1;
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--redis", redis.url, NULL},
                           (const char *const[]){"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=short", NULL},
                           &status),
        -1);
    ck_assert_int_eq(status, 1);
    test_remove_tree(d.dir);
}
END_TEST

START_TEST(test_token_create_command_makes_a_working_admin_token)
{
    struct test_claimsd d = {0};
    test_make_temp_dir(d.dir, "cli");
    char data[300], cmd[1024];
    snprintf(data, sizeof data, "%s/data", d.dir);
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--data-dir", data, NULL}, NULL, NULL), 0);
    snprintf(cmd, sizeof cmd, "%s token create --role admin --data-dir %s", getenv("CLAIMSD_BIN"),
             data);
    FILE *p = popen(cmd, "r");
    char out[512] = "";
    ck_assert_ptr_nonnull(fgets(out, sizeof out, p));
    ck_assert_int_eq(pclose(p), 0);
    char token[80];
    snprintf(token, sizeof token, "%s", test_json_str(out, "token"));
    ck_assert_uint_eq(strlen(token), 68);
    ck_assert_str_eq(test_json_str(out, "role"), "admin");
    struct test_response res;
    test_api(&d, "GET", "/v1/queue", token, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);
    snprintf(cmd, sizeof cmd, "%s token create --role member --data-dir %s 2>/dev/null",
             getenv("CLAIMSD_BIN"), data);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    /* A member token names a member the store holds. */
    snprintf(cmd, sizeof cmd,
             "%s token create --role member --member-id NOBODY --data-dir %s 2>/dev/null",
             getenv("CLAIMSD_BIN"), data);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 1);
    ck_assert_int_eq(test_claimsd_stop(&d, SIGTERM), 0);
    test_remove_tree(d.dir);
}
END_TEST

/* ---- HTTP limits, through raw sockets ---- */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Reads until the peer closes or 10 s pass. */
static void read_all(int fd, char *buf, size_t size)
{
    size_t got = 0;
    ssize_t n;
    while (got + 1 < size && (n = read(fd, buf + got, size - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
}

static void send_text(int fd, const char *text)
{
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

static struct test_claimsd limited;

static void start_limited(void)
{
    memset(&limited, 0, sizeof limited);
    test_make_temp_dir(limited.dir, "limits");
    const char *cfg =
        test_write_file(limited.dir, "limits.json",
                        "{\"limits\": {\"max_body_bytes\": 2048, \"max_header_bytes\": 1024,"
                        " \"read_timeout_seconds\": 1, \"max_connections\": 3}}");
    ck_assert_int_eq(
        test_claimsd_start(&limited,
                           (const char *const[]){"--redis", redis.url, "--config", cfg, NULL}, NULL,
                           NULL),
        0);
}

START_TEST(test_body_over_the_limit_is_413_with_json_and_nothing_read)
{
    start_limited();
    int fd = connect_to(limited.port);
    send_text(fd, "POST /v1/claims HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: 4096\r\n\r\n");
    char buf[4096];
    read_all(fd, buf, sizeof buf);
    close(fd);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 413 Content Too Large\r\n", 32) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "\r\n\r\n{\"error\":{\"code\":\"body_too_large\","));
    ck_assert_ptr_nonnull(strstr(buf, "Connection: close\r\n"));
    finish(&limited);
}
END_TEST

START_TEST(test_headers_over_the_limit_are_431)
{
    start_limited();
    int fd = connect_to(limited.port);
    char big[2048];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    send_text(fd, "GET /healthz HTTP/1.1\r\nX-Big: ");
    send_text(fd, big);
    char buf[4096];
    read_all(fd, buf, sizeof buf);
    close(fd);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 431 ", 13) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "{\"error\":{\"code\":\"headers_too_large\","));
    finish(&limited);
}
END_TEST

START_TEST(test_slow_client_gets_408_and_others_are_served_meanwhile)
{
    start_limited();
    int slow = connect_to(limited.port);
    send_text(slow, "POST /v1/claims HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"type\":");
    /* Another client is served while the slow one dawdles. */
    struct test_response res;
    get(&limited, "/healthz", &res);
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);
    char buf[4096];
    read_all(slow, buf, sizeof buf); /* the server answers within ~1 s and closes */
    close(slow);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "{\"error\":{\"code\":\"request_timeout\","));
    finish(&limited);
}
END_TEST

START_TEST(test_connections_over_the_cap_get_503_and_the_rest_still_work)
{
    start_limited();
    int held[3];
    for (int i = 0; i < 3; i++)
        held[i] = connect_to(limited.port);
    test_sleep_ms(100);
    int extra = connect_to(limited.port);
    char buf[4096];
    read_all(extra, buf, sizeof buf);
    close(extra);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "Retry-After: 1\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "{\"error\":{\"code\":\"too_many_connections\","));
    /* A held connection is served normally. */
    send_text(held[0], "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    read_all(held[0], buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", buf);
    for (int i = 0; i < 3; i++)
        close(held[i]);
    finish(&limited);
}
END_TEST

START_TEST(test_pipelined_requests_are_answered_in_order_with_request_ids)
{
    start_limited();
    int fd = connect_to(limited.port);
    send_text(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: "
                  "0F8FAD5B-D9CB-469F-A165-70867728950E\r\n\r\n"
                  "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                  "DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    char buf[8192];
    read_all(fd, buf, sizeof buf);
    close(fd);
    char *first = strstr(buf, "HTTP/1.1 200 OK\r\n");
    char *second = strstr(buf, "HTTP/1.1 404 Not Found\r\n");
    char *third = strstr(buf, "HTTP/1.1 405 Method Not Allowed\r\n");
    ck_assert_msg(first && second && third && first < second && second < third, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "X-Request-Id: 0f8fad5b-d9cb-469f-a165-70867728950e\r\n"));
    ck_assert_ptr_nonnull(
        strstr(buf, "{\"error\":{\"code\":\"not_found\",\"message\":\"no such resource\"}}"));
    finish(&limited);
}
END_TEST

START_TEST(test_malformed_request_lines_are_400_json)
{
    start_limited();
    const char *bad[] = {
        "GARBAGE\r\n\r\n", "GET healthz HTTP/1.1\r\n\r\n", "GET /healthz HTTP/2.0\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nNoColon\r\n\r\n",
        "POST /v1/claims HTTP/1.1\r\nContent-Length: 12x\r\n\r\n",
        "POST /v1/claims HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        /* Issue 16, findings 2 and 4: a header hidden behind a bare CR or
         * LF, no Host, two Hosts, a method that is not a token, DEL in a
         * header value. */
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: x\rContent-Length: 25\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: x\nContent-Length: 25\r\n\r\n",
        "GET /healthz HTTP/1.1\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x7f\r\n\r\n"};
    const char *expect[] = {"HTTP/1.1 400 ", "HTTP/1.1 400 ", "HTTP/1.1 505 ", "HTTP/1.1 400 ",
                            "HTTP/1.1 400 ", "HTTP/1.1 411 ", "HTTP/1.1 400 ", "HTTP/1.1 400 ",
                            "HTTP/1.1 400 ", "HTTP/1.1 400 ", "HTTP/1.1 400 ", "HTTP/1.1 400 "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int fd = connect_to(limited.port);
        send_text(fd, bad[i]);
        char buf[4096];
        read_all(fd, buf, sizeof buf);
        close(fd);
        ck_assert_msg(strncmp(buf, expect[i], strlen(expect[i])) == 0, "case %zu: %s", i, buf);
        ck_assert_msg(strstr(buf, "\r\n\r\n{\"error\":{\"code\":") != NULL, "case %zu: %s", i, buf);
    }
    finish(&limited);
}
END_TEST

/* ---- backpressure and the write timeout (issue 16, finding 1) ---- */

/* The resident memory of a process, in KiB (VmRSS of /proc/<pid>/status). */
/* A client socket that takes little at a time: a 4 KiB receive buffer
 * (set before connecting, so the window is small from the start), and
 * non-blocking. */
static int connect_small_window(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Sends what the peer takes of text[*sent, len) within ms milliseconds. */
static void send_what_fits(int fd, const char *text, size_t len, size_t *sent, int ms)
{
    for (int waited = 0; *sent < len && waited < ms;) {
        ssize_t n = send(fd, text + *sent, len - *sent, MSG_NOSIGNAL);
        if (n > 0) {
            *sent += (size_t)n;
            continue;
        }
        ck_assert_msg(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "send: %s",
                      strerror(errno));
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        poll(&p, 1, 50);
        waited += 50;
    }
}

/* n pipelined GETs of path, the last with Connection: close (malloc'd). */
static char *pipeline(const char *path, int n, size_t *len)
{
    char one[256], last[256];
    int one_len = snprintf(one, sizeof one, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    int last_len = snprintf(last, sizeof last,
                            "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    char *text = malloc((size_t)one_len * (size_t)n + (size_t)last_len + 1);
    size_t at = 0;
    for (int i = 0; i < n - 1; i++, at += (size_t)one_len)
        memcpy(text + at, one, (size_t)one_len);
    memcpy(text + at, last, (size_t)last_len + 1);
    *len = at + (size_t)last_len;
    return text;
}

static void start_with_portal(struct test_claimsd *d, const char *limits)
{
    memset(d, 0, sizeof *d);
    test_make_temp_dir(d->dir, "backpressure");
    char text[1024];
    snprintf(text, sizeof text, "{\"portal_dir\": \"%s/../portal\", \"limits\": %s}",
             getenv("CLAIMS_CONFIG_DIR"), limits);
    const char *cfg = test_write_file(d->dir, "bp.json", text);
    ck_assert_int_eq(test_claimsd_start(d,
                                        (const char *const[]){"--redis", redis.url, "--workers",
                                                              "0", "--config", cfg, NULL},
                                        NULL, NULL),
                     0);
}

#define PORTAL_FILE "/portal/js/claim_forms.js" /* about 21 KB */
#define PIPELINED 3000

/* One connection pipelines 3,000 GETs of a 21 KB portal file and reads no
 * answer. Before, the server parsed every request and queued every answer:
 * about 64 MB more resident memory (17 MB to 81 MB). Now it stops reading
 * that connection once limits.max_output_bytes (256 KiB by default) of
 * answers wait unsent, so it grows by far less than 16 MiB; and when the
 * client then reads, every answer comes, in order. */
START_TEST(test_a_client_that_reads_no_answers_holds_bounded_memory)
{
    struct test_claimsd d;
    start_with_portal(&d, "{\"read_timeout_seconds\": 60}");
    struct test_response res;
    get(&d, PORTAL_FILE, &res);
    ck_assert_int_eq(res.status, 200);
    size_t file_len = res.body_len;
    ck_assert_uint_gt(file_len, 16000);
    test_response_free(&res);
    long before = test_vm_rss_kib(d.pid);

    size_t len, sent = 0;
    char *text = pipeline(PORTAL_FILE, PIPELINED, &len);
    int fd = connect_small_window(d.port);
    send_what_fits(fd, text, len, &sent, 2000);
    test_sleep_ms(1000); /* the old code had answered everything by then */
    long grown = test_vm_rss_kib(d.pid) - before;
    ck_assert_msg(grown < 16 * 1024, "the server grew by %ld KiB", grown);
    /* The connection is paused, and /metrics says so. */
    get(&d, "/metrics", &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_ptr_nonnull(strstr(res.body, "\nclaimsd_http_connections_paused 1\n"));
    test_response_free(&res);

    /* Reading resumes the connection: all 3,000 answers, then the close. */
    int answers = 0;
    size_t body_bytes = 0;
    char buf[65536 + 32], carry[32] = "";
    size_t carry_len = 0;
    for (int idle = 0; idle < 10000;) {
        send_what_fits(fd, text, len, &sent, 0);
        memcpy(buf, carry, carry_len);
        ssize_t n = read(fd, buf + carry_len, 65536);
        if (n == 0)
            break;
        if (n < 0) {
            ck_assert_msg(errno == EAGAIN, "read: %s", strerror(errno));
            struct pollfd p = {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
            poll(&p, 1, 50);
            idle += 50;
            continue;
        }
        idle = 0;
        body_bytes += (size_t)n;
        size_t have = carry_len + (size_t)n;
        buf[have] = '\0';
        for (char *p = buf; (p = memmem(p, have - (size_t)(p - buf), "HTTP/1.1 200 OK\r\n", 17));
             p += 17)
            answers++;
        /* The tail, in case a status line is split between two reads. */
        carry_len = have < 16 ? have : 16;
        memcpy(carry, buf + have - carry_len, carry_len);
    }
    close(fd);
    free(text);
    ck_assert_uint_eq(sent, len);
    ck_assert_int_eq(answers, PIPELINED);
    ck_assert_uint_gt(body_bytes, (size_t)PIPELINED * file_len);
    finish(&d);
}
END_TEST

/* A client that never reads its answers is closed once none of them has
 * been taken for limits.write_timeout_seconds (1 s here): its socket sees
 * the reset without reading a byte. Other clients are served meanwhile and
 * after. */
START_TEST(test_a_client_that_never_reads_is_closed_after_the_write_timeout)
{
    struct test_claimsd d;
    start_with_portal(&d, "{\"read_timeout_seconds\": 60, \"write_timeout_seconds\": 1}");
    size_t len, sent = 0;
    char *text = pipeline(PORTAL_FILE, PIPELINED, &len);
    int fd = connect_small_window(d.port);
    send_what_fits(fd, text, len, &sent, 300); /* well within the 1 s */
    free(text);
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    ck_assert_int_eq(poll(&p, 1, 0), 0); /* not closed at once */
    struct test_response res;
    get(&d, "/healthz", &res);
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);
    /* Closed within a few seconds: the requests it had not read yet make
     * the close a reset. */
    ck_assert_int_eq(poll(&p, 1, 5000), 1);
    ck_assert_msg(p.revents & (POLLERR | POLLHUP | POLLRDHUP), "revents %x", p.revents);
    int err = 0;
    socklen_t err_len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
    ck_assert_msg(err == ECONNRESET || (p.revents & POLLRDHUP), "error %d", err);
    close(fd);
    char *log = test_claimsd_log(&d);
    ck_assert_msg(strstr(log, "closed: its answers were not taken in time") != NULL, "%s", log);
    free(log);
    get(&d, "/healthz", &res);
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);
    finish(&d);
}
END_TEST

START_TEST(test_output_limits_in_the_config_are_checked)
{
    char dir[256];
    test_make_temp_dir(dir, "cfg");
    struct test_claimsd d = {0};
    snprintf(d.dir, sizeof d.dir, "%s", dir);
    int status = -1;
    const char *cfg = test_write_file(dir, "bad.json", "{\"limits\": {\"max_output_bytes\": 100}}");
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--config", cfg, NULL}, NULL, &status), -1);
    ck_assert_int_eq(status, 2);
    char *log = test_claimsd_log(&d);
    ck_assert_msg(
        strstr(log, "key \"limits.max_output_bytes\" must be between 4096 and 67108864") != NULL,
        "log: %s", log);
    free(log);
    cfg = test_write_file(dir, "bad2.json", "{\"limits\": {\"write_timeout_seconds\": 0}}");
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--config", cfg, NULL}, NULL, &status), -1);
    ck_assert_int_eq(status, 2);
    log = test_claimsd_log(&d);
    ck_assert_msg(strstr(log, "key \"limits.write_timeout_seconds\" must be between 1 and 3600") !=
                      NULL,
                  "log: %s", log);
    free(log);
    test_remove_tree(dir);
}
END_TEST

/* ---- request ids (issue 16, finding 9) ---- */

#define ADMIN "server-tests-bootstrap-admin-token-0123456789"
#define CLIENT_ID "0F8FAD5B-D9CB-469F-A165-70867728950E"
#define CLIENT_ID_LOWER "0f8fad5b-d9cb-469f-a165-70867728950e"

static bool is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
            return false;
    }
    return true;
}

/* A client's X-Request-Id is echoed in the answer but is not the request's
 * id in the audit: request_id there is the server's own (a new UUID), and
 * the client's is kept apart as client_request_id (only when it sent a
 * UUID). */
START_TEST(test_audit_records_the_servers_request_id_and_the_clients_apart)
{
    struct test_claimsd d;
    test_claimsd_start_admin(&d, redis.url, ADMIN, (const char *const[]){"--workers", "0", NULL});
    test_put_sample_enrollment(&d, ADMIN, "G100", "M1001 M1001-02");
    char member[80], staff[80];
    test_create_token(&d, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001-02\"}", member);
    test_create_token(&d, ADMIN, "{\"role\":\"staff\"}", staff);
    const char *claim =
        "{\"type\":\"pharmacy\",\"member_id\":\"M1001-02\","
        "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Lopez\",\"birth_date\":\"2015-06-10\"}"
        ","
        "\"pharmacy\":{\"name\":\"Corner Drug #12\",\"npi\":\"1245319599\",\"network\":\"in\"},"
        "\"ndc\":\"0071-0155-23\",\"rx_number\":\"RX-1\",\"fill_date\":\"2026-01-05\","
        "\"drug_name\":\"Lipitor 20 mg tablet\",\"quantity\":30,\"days_supply\":30,"
        "\"charge\":12.50}";
    struct test_response res;
    test_api(&d, "POST", "/v1/claims", member, claim, "X-Request-Id: " CLIENT_ID, &res);
    ck_assert_msg(res.status == 202, "%ld %s", res.status, res.body);
    char echoed[64], id[64], path[128];
    ck_assert(test_response_header(&res, "X-Request-Id", echoed, sizeof echoed));
    ck_assert_str_eq(echoed, CLIENT_ID_LOWER);
    snprintf(id, sizeof id, "%s", test_json_str(res.body, "claim_id"));
    test_response_free(&res);

    /* A read with an X-Request-Id that is not a UUID: a new id, no client id. */
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    test_api(&d, "GET", path, member, NULL, "X-Request-Id: my-own-id", &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert(test_response_header(&res, "X-Request-Id", echoed, sizeof echoed));
    ck_assert(is_uuid(echoed));
    test_response_free(&res);

    snprintf(path, sizeof path, "/v1/claims/%s/audit", id);
    test_api(&d, "GET", path, staff, NULL, "X-Request-Id: " CLIENT_ID, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_int_eq(test_json_len(res.body, "entries"), 3);
    ck_assert_str_eq(test_json_str(res.body, "entries.0.action"), "claim.submit");
    const char *rid = test_json_str(res.body, "entries.0.request_id");
    ck_assert_msg(is_uuid(rid) && strcmp(rid, CLIENT_ID_LOWER) != 0, "request_id %s", rid);
    ck_assert_str_eq(test_json_str(res.body, "entries.0.client_request_id"), CLIENT_ID_LOWER);
    ck_assert_str_eq(test_json_str(res.body, "entries.1.action"), "claim.read");
    ck_assert(is_uuid(test_json_str(res.body, "entries.1.request_id")));
    ck_assert_ptr_null(strstr(res.body, "my-own-id"));
    /* The read's record has no client_request_id ("" is absent here: an
     * empty one is never written). */
    ck_assert_str_eq(test_json_str(res.body, "entries.1.client_request_id"), "");
    ck_assert_str_eq(test_json_str(res.body, "entries.2.client_request_id"), CLIENT_ID_LOWER);
    ck_assert_str_ne(test_json_str(res.body, "entries.2.request_id"), CLIENT_ID_LOWER);
    test_response_free(&res);
    test_claimsd_stop_clean(&d);
}
END_TEST

static Suite *server_suite(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("process");
    tcase_add_unchecked_fixture(tc, redis_up, redis_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_healthz_and_readyz_answer_when_redis_is_up);
    tcase_add_test(tc, test_readyz_fails_while_redis_is_down_and_recovers_after);
    tcase_add_test(tc, test_readyz_times_out_when_redis_hangs);
    tcase_add_test(tc, test_unknown_config_key_exits_non_zero_naming_the_key);
    tcase_add_test(tc, test_embedded_redis_starts_with_aof_and_stops_with_claimsd);
    tcase_add_test(tc, test_claimsd_exits_non_zero_when_its_redis_dies);
    tcase_add_test(tc, test_embedded_data_directory_and_redis_files_are_private);
    tcase_add_test(tc, test_bootstrap_admin_token_is_stored_only_as_its_hash);
    tcase_add_test(tc, test_token_create_command_makes_a_working_admin_token);
    suite_add_tcase(s, tc);
    TCase *lim = tcase_create("http_limits");
    tcase_add_unchecked_fixture(lim, redis_up, redis_down);
    tcase_set_timeout(lim, 60);
    tcase_add_test(lim, test_body_over_the_limit_is_413_with_json_and_nothing_read);
    tcase_add_test(lim, test_headers_over_the_limit_are_431);
    tcase_add_test(lim, test_slow_client_gets_408_and_others_are_served_meanwhile);
    tcase_add_test(lim, test_connections_over_the_cap_get_503_and_the_rest_still_work);
    tcase_add_test(lim, test_pipelined_requests_are_answered_in_order_with_request_ids);
    tcase_add_test(lim, test_malformed_request_lines_are_400_json);
    tcase_add_test(lim, test_a_client_that_reads_no_answers_holds_bounded_memory);
    tcase_add_test(lim, test_a_client_that_never_reads_is_closed_after_the_write_timeout);
    tcase_add_test(lim, test_output_limits_in_the_config_are_checked);
    tcase_add_test(lim, test_audit_records_the_servers_request_id_and_the_clients_apart);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    return test_run_suite(server_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
