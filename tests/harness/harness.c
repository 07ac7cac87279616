#include "harness.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "queue/redis_conn.h"

extern char **environ;

static void die(const char *what)
{
    fprintf(stderr, "test harness: %s\n", what);
    exit(2);
}

void test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
        die("cannot find a free port");
    int port = ntohs(sin.sin_port);
    close(fd);
    return port;
}

void test_make_temp_dir(char out[256], const char *tag)
{
    snprintf(out, 256, "/tmp/claims-%s-XXXXXX", tag);
    if (!mkdtemp(out))
        die("mkdtemp failed");
}

void test_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            test_remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

const char *test_write_file(const char *dir, const char *name, const char *text)
{
    static char paths[4][512];
    static int slot;
    slot = (slot + 1) % 4;
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir, name);
    FILE *f = fopen(paths[slot], "w");
    if (!f)
        die("cannot write a test file");
    fputs(text, f);
    fclose(f);
    return paths[slot];
}

/* fork + exec with the child tied to our life (PDEATHSIG). */
pid_t test_spawn(const char *const argv[], const char *const env[], const char *out_path,
                 bool own_group)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed");
    if (pid > 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    if (own_group)
        setpgid(0, 0);
    int out = out_path ? open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0600)
                       : open("/dev/null", O_WRONLY);
    if (out >= 0) {
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        close(out);
    }
    for (const char *const *e = env; e && *e; e++)
        putenv((char *)*e);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
}

bool test_redis_pings(int port, int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    bool ok = false;
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok;
}

static void redis_launch(struct test_redis *r)
{
    char port[16];
    snprintf(port, sizeof port, "%d", r->port);
    const char *argv[] = {"redis-server",
                          "--port",
                          port,
                          "--bind",
                          "127.0.0.1",
                          "--dir",
                          r->dir,
                          "--save",
                          "",
                          "--appendonly",
                          "yes",
                          "--appendfsync",
                          "always",
                          "--daemonize",
                          "no",
                          NULL};
    char log[320];
    snprintf(log, sizeof log, "%s/redis.out", r->dir);
    r->pid = test_spawn(argv, NULL, log, true);
    /* Up to 30 s: a restarted server first loads its append-only file. */
    for (int i = 0; i < 1200; i++) {
        if (test_redis_pings(r->port, 300))
            return;
        int st;
        if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
            r->pid = -1;
            return;
        }
        test_sleep_ms(25);
    }
    die("redis-server did not answer");
}

void test_redis_start(struct test_redis *r)
{
    memset(r, 0, sizeof *r);
    test_make_temp_dir(r->dir, "redis");
    for (int attempt = 0; attempt < 5; attempt++) {
        r->port = test_free_port();
        redis_launch(r);
        if (r->pid > 0) {
            snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d", r->port);
            return;
        }
    }
    die("cannot start redis-server (is it installed?)");
}

void test_redis_restart(struct test_redis *r)
{
    redis_launch(r);
    if (r->pid <= 0)
        die("cannot restart redis-server on its port");
}

void test_redis_stop(struct test_redis *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGTERM);
        int st;
        /* A test (a forked child of the binary) may stop the fixture's
         * server, which is not its own child: then wait until it is gone. */
        if (waitpid(r->pid, &st, 0) < 0 && errno == ECHILD)
            for (int i = 0; i < 500 && kill(r->pid, 0) == 0; i++)
                test_sleep_ms(10);
        r->pid = -1;
    }
}

redisContext *test_redis_connect(const struct test_redis *r)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
    if (!c || c->err)
        die("cannot connect to the test redis-server");
    return c;
}

void test_redis_flush(const struct test_redis *r)
{
    redisContext *c = test_redis_connect(r);
    redisReply *rep = redisCommand(c, "FLUSHALL");
    if (rep)
        freeReplyObject(rep);
    redisFree(c);
}

/* The whole contents of the file at path (malloc'd, NUL-terminated); NULL when it cannot be
 * opened. Dies when memory runs out. */
static char *read_whole_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n > 0 ? (size_t)n + 1 : 1);
    if (!buf)
        die("out of memory");
    size_t got = n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
    buf[got] = '\0';
    fclose(f);
    return buf;
}

char *test_claimsd_log(const struct test_claimsd *d)
{
    char *text = read_whole_file(d->log_path);
    if (!text)
        text = strdup("");
    if (!text)
        die("out of memory");
    return text;
}

int test_claimsd_wait(struct test_claimsd *d, int timeout_ms)
{
    for (int waited = 0; d->pid > 0; waited += 10) {
        int st;
        if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
            d->pid = -1;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        if (waited >= timeout_ms)
            return -1;
        test_sleep_ms(10);
    }
    return -1;
}

int test_claimsd_shards = 0;

int test_claimsd_start(struct test_claimsd *d, const char *const args[], const char *const env[],
                       int *exit_status)
{
    const char *bin = d->bin ? d->bin : getenv("CLAIMSD_BIN");
    if (!bin)
        die("CLAIMSD_BIN is not set (run the tests through make check)");
    if (!d->dir[0])
        test_make_temp_dir(d->dir, "claimsd");
    snprintf(d->log_path, sizeof d->log_path, "%s/claimsd.log", d->dir);
    unlink(d->log_path);
    const char *argv[64];
    int argc = 0;
    argv[argc++] = bin;
    argv[argc++] = "--listen";
    argv[argc++] = "127.0.0.1:0";
    for (const char *const *a = args; a && *a && argc < 60; a++)
        argv[argc++] = *a;
    char shards_config[512];
    if (test_claimsd_shards > 0) {
        /* Read last, so it overrides a `shards` of the configs before it.
         * Written here rather than by test_write_file, whose few paths a
         * caller's args may still point into. */
        snprintf(shards_config, sizeof shards_config, "%s/shards.json", d->dir);
        FILE *f = fopen(shards_config, "w");
        if (!f)
            die("cannot write a test file");
        fprintf(f, "{\"shards\": %d}", test_claimsd_shards);
        fclose(f);
        argv[argc++] = "--config";
        argv[argc++] = shards_config;
    }
    argv[argc] = NULL;
    d->pid = test_spawn(argv, env, d->log_path, true);
    d->port = 0;
    for (int waited = 0; waited < 15000; waited += 20) {
        char *log = test_claimsd_log(d);
        /* "listening on http://..." or, with tls configured, "https://...". */
        char *p = strstr(log, "listening on http://127.0.0.1:");
        bool tls = !p && (p = strstr(log, "listening on https://127.0.0.1:"));
        if (p)
            d->port = atoi(strchr(p + strlen("listening on https://"), ':') + 1);
        /* A worker-only process has no listener: its workers' start is the sign. */
        bool worker_only =
            !p && strstr(log, "role worker") && strstr(log, "adjudication workers started");
        free(log);
        if (worker_only)
            return 0;
        if (d->port > 0) {
            snprintf(d->base_url, sizeof d->base_url, "%s://127.0.0.1:%d", tls ? "https" : "http",
                     d->port);
            return 0;
        }
        int st = test_claimsd_wait(d, 0);
        if (st >= 0) {
            if (exit_status)
                *exit_status = st;
            return -1;
        }
        test_sleep_ms(20);
    }
    test_claimsd_stop(d, SIGKILL);
    return -1;
}

int test_claimsd_stop(struct test_claimsd *d, int sig)
{
    if (d->pid <= 0)
        return -1;
    kill(d->pid, sig);
    int st = test_claimsd_wait(d, 30000);
    if (st < 0) {
        kill(d->pid, SIGKILL);
        int raw;
        waitpid(d->pid, &raw, 0);
        d->pid = -1;
    }
    return st;
}

struct buf {
    char *data;
    size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t n = size * nmemb;
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t n = size * nmemb;
    /* A new status line starts a new header block (after 100 Continue). */
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
        b->len = 0;
    return on_data(ptr, size, nmemb, b);
}

int test_http(const char *method, const char *url, const char *const headers[], const char *body,
              struct test_response *res)
{
    memset(res, 0, sizeof *res);
    CURL *curl = curl_easy_init();
    if (!curl)
        return -1;
    struct buf body_buf = {calloc(1, 1), 0}, head_buf = {calloc(1, 1), 0};
    struct curl_slist *list = NULL;
    for (const char *const *h = headers; h && *h; h++)
        list = curl_slist_append(list, *h);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body_buf);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &head_buf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    res->body = body_buf.data;
    res->body_len = body_buf.len;
    res->headers = head_buf.data;
    return rc == CURLE_OK ? 0 : -1;
}

bool test_response_header(const struct test_response *res, const char *name, char *buf, size_t size)
{
    size_t name_len = strlen(name);
    for (const char *line = res->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        if (!end)
            break;
        if ((size_t)(end - line) > name_len && strncasecmp(line, name, name_len) == 0 &&
            line[name_len] == ':') {
            const char *v = line + name_len + 1;
            while (*v == ' ')
                v++;
            snprintf(buf, size, "%.*s", (int)(end - v), v);
            return true;
        }
        line = end + 2;
    }
    return false;
}

void test_response_free(struct test_response *res)
{
    free(res->body);
    free(res->headers);
    res->body = res->headers = NULL;
}

void test_api(const struct test_claimsd *d, const char *method, const char *path, const char *token,
              const char *body, const char *extra_header, struct test_response *res)
{
    char url[1024], auth[700];
    snprintf(url, sizeof url, "%s%s", d->base_url, path);
    const char *headers[4];
    int n = 0;
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        headers[n++] = auth;
    }
    if (body)
        headers[n++] = "Content-Type: application/json";
    if (extra_header)
        headers[n++] = extra_header;
    headers[n] = NULL;
    if (test_http(method, url, headers, body, res) != 0) {
        fprintf(stderr, "test harness: %s %s got no answer\n", method, path);
        exit(2);
    }
}

#include <json-c/json.h>

static struct json_object *json_at(struct json_object *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    struct json_object *cur = root;
    char *save = NULL;
    for (char *part = strtok_r(buf, ".", &save); part && cur; part = strtok_r(NULL, ".", &save)) {
        if (json_object_is_type(cur, json_type_array)) {
            char *end;
            long i = strtol(part, &end, 10);
            cur = *end || i < 0 || (size_t)i >= json_object_array_length(cur)
                      ? NULL
                      : json_object_array_get_idx(cur, (size_t)i);
        } else if (!json_object_object_get_ex(cur, part, &cur)) {
            cur = NULL;
        }
    }
    return cur;
}

const char *test_json_str(const char *json, const char *path)
{
    /* Per thread: tests call this from several threads at once. */
    static _Thread_local char slots[8][1024];
    static _Thread_local int slot;
    slot = (slot + 1) % 8;
    slots[slot][0] = '\0';
    struct json_object *root = json ? json_tokener_parse(json) : NULL;
    struct json_object *v = root ? json_at(root, path) : NULL;
    if (v && !json_object_is_type(v, json_type_null))
        snprintf(slots[slot], sizeof slots[slot], "%s", json_object_get_string(v));
    if (root)
        json_object_put(root);
    return slots[slot];
}

int test_json_len(const char *json, const char *path)
{
    struct json_object *root = json ? json_tokener_parse(json) : NULL;
    struct json_object *v = root ? json_at(root, path) : NULL;
    int n = v && json_object_is_type(v, json_type_array) ? (int)json_object_array_length(v) : -1;
    if (root)
        json_object_put(root);
    return n;
}

char *test_read_source(const char *relative_path)
{
    const char *config = getenv("CLAIMS_CONFIG_DIR");
    if (!config)
        die("CLAIMS_CONFIG_DIR is not set (run the tests through make check)");
    char path[1024];
    snprintf(path, sizeof path, "%s/../%s", config, relative_path);
    char *text = read_whole_file(path);
    if (!text)
        die("cannot read a source file");
    return text;
}

void test_claimsd_start_admin(struct test_claimsd *d, const char *redis_url, const char *admin,
                              const char *const extra_args[])
{
    memset(d, 0, sizeof *d);
    /* Functional tests are not held to rate limits; a --config among
     * extra_args is read after this one and overrides it. */
    test_make_temp_dir(d->dir, "claimsd");
    char no_limits[512];
    snprintf(no_limits, sizeof no_limits, "%s",
             test_write_file(d->dir, "no-rate-limits.json", "{\"rate_limits\": null}"));
    const char *args[14] = {"--redis", redis_url, "--config", no_limits};
    int n = 4;
    for (const char *const *a = extra_args; a && *a && n < 13; a++)
        args[n++] = *a;
    args[n] = NULL;
    char env_entry[128];
    snprintf(env_entry, sizeof env_entry, "CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=%s", admin);
    if (test_claimsd_start(d, args, (const char *const[]){env_entry, NULL}, NULL) != 0) {
        fprintf(stderr, "claimsd did not start\n");
        exit(2);
    }
}

void test_claimsd_stop_clean(struct test_claimsd *d)
{
    int status = test_claimsd_stop(d, SIGTERM);
    if (status != 0) {
        char *log = test_claimsd_log(d);
        fprintf(stderr, "claimsd exited %d at teardown; its log:\n%s\n", status, log);
        free(log);
        exit(1);
    }
    test_remove_tree(d->dir);
}

void test_create_token(const struct test_claimsd *d, const char *admin, const char *body,
                       char out[80])
{
    struct test_response res;
    test_api(d, "POST", "/v1/tokens", admin, body, NULL, &res);
    if (res.status != 201) {
        fprintf(stderr, "token creation failed: %ld %s\n", res.status, res.body);
        exit(2);
    }
    snprintf(out, 80, "%s", test_json_str(res.body, "token"));
    test_response_free(&res);
}

void test_put_sample_record(const struct test_claimsd *d, const char *admin, const char *kind,
                            const char *id)
{
    char file[256], path[256];
    snprintf(file, sizeof file, "config/sample/%s/%s.json", kind, id);
    snprintf(path, sizeof path, "/v1/%s/%s", kind, id);
    char *body = test_read_source(file);
    struct test_response res;
    test_api(d, "PUT", path, admin, body, NULL, &res);
    if (res.status != 201 && res.status != 200) {
        fprintf(stderr, "PUT %s failed: %ld %s\n", path, res.status, res.body);
        exit(2);
    }
    test_response_free(&res);
    free(body);
}

/* test_put_sample_record of kind for each space-separated id of ids. */
static void put_sample_records(const struct test_claimsd *d, const char *admin, const char *kind,
                               const char *ids)
{
    char list[512];
    snprintf(list, sizeof list, "%s", ids);
    for (char *save = NULL, *id = strtok_r(list, " ", &save); id; id = strtok_r(NULL, " ", &save))
        test_put_sample_record(d, admin, kind, id);
}

void test_put_sample_enrollment(const struct test_claimsd *d, const char *admin, const char *groups,
                                const char *members)
{
    test_put_sample_record(d, admin, "plans", "PPO-500");
    put_sample_records(d, admin, "groups", groups);
    put_sample_records(d, admin, "members", members);
}

struct rconn *test_rconn_connect(struct event_base *base, const struct test_redis *r)
{
    struct redis_address addr;
    ck_assert_int_eq(queue_redis_address_parse(r->url, &addr), 0);
    struct rconn *rc = queue_rconn_new(base, &addr, 2000);
    for (int i = 0; i < 200 && !queue_rconn_is_connected(rc); i++)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), test_sleep_ms(5);
    ck_assert(queue_rconn_is_connected(rc));
    return rc;
}

long long test_redis_int(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    ck_assert_ptr_nonnull(r);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return v;
}

int test_run_suite(Suite *s, enum fork_status fork)
{
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, fork);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}

/* ---- an independent date oracle ---- */

/* Observed US federal holidays (a Saturday's on the Friday before, a
 * Sunday's on the Monday after), listed by hand, not computed. */
static const char *const oracle_holidays[] = {
    "2025-01-01", "2025-01-20", "2025-02-17", "2025-05-26", "2025-06-19", "2025-07-04",
    "2025-09-01", "2025-10-13", "2025-11-11", "2025-11-27", "2025-12-25", "2026-01-01",
    "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03", "2026-09-07",
    "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25", "2027-01-01", "2027-01-18",
    "2027-02-15", "2027-05-31", "2027-06-18", "2027-07-05", "2027-09-06", "2027-10-11",
    "2027-11-11", "2027-11-25", "2027-12-24", "2027-12-31", "2028-01-17", "2028-02-21",
    "2028-05-29", "2028-06-19", "2028-07-04", "2028-09-04", "2028-10-09", "2028-11-10",
    "2028-11-23", "2028-12-25", "2029-01-01", "2029-01-15", "2029-02-19", "2029-05-28",
    "2029-06-19", "2029-07-04", "2029-09-03", "2029-10-08", "2029-11-12", "2029-11-22",
    "2029-12-25", "2030-01-01", "2030-01-21", "2030-02-18", "2030-05-27", "2030-06-19",
    "2030-07-04", "2030-09-02", "2030-10-14", "2030-11-11", "2030-11-28", "2030-12-25",
    "2031-01-01", "2031-01-20", "2031-02-17", "2031-05-26", "2031-06-19", "2031-07-04",
    "2031-09-01", "2031-10-13", "2031-11-11", "2031-11-27", "2031-12-25",
};

const char *test_business_days_after(const char *from, int n, char out[11])
{
    struct tm tm = {0};
    ck_assert_msg(sscanf(from, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3,
                  "bad date %s", from);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_hour = 12;
    time_t t = timegm(&tm);
    while (n > 0) {
        t += 24 * 60 * 60;
        struct tm day;
        gmtime_r(&t, &day);
        char text[16];
        strftime(text, sizeof text, "%Y-%m-%d", &day);
        ck_assert_msg(day.tm_year + 1900 >= 2025 && day.tm_year + 1900 <= 2031,
                      "the date oracle's holiday table ends before %s", text);
        bool holiday = false;
        for (size_t i = 0; i < sizeof oracle_holidays / sizeof *oracle_holidays; i++)
            holiday |= strcmp(oracle_holidays[i], text) == 0;
        if (day.tm_wday != 0 && day.tm_wday != 6 && !holiday)
            n--;
    }
    struct tm day;
    gmtime_r(&t, &day);
    strftime(out, 11, "%Y-%m-%d", &day);
    return out;
}

void test_skipped(const char *test, const char *why)
{
    fprintf(stderr, "SKIPPED: %s: %s\n", test, why);
    fflush(stderr);
}
