/*
 * claimctl (docs/claimctl.md) against a running claimsd with a real
 * redis-server: the built client ($CLAIMCTL_BIN) runs as a child process with
 * CLAIMS_URL and CLAIMS_TOKEN in its environment (and umask 0, so that the
 * 0600 of its output files is its own doing); its stdout, stderr and exit
 * status are compared with what the server holds. Routes not served by this
 * claimsd yet (POST /v1/x12, GET /v1/remittances) and answers claimsd never
 * gives (a proxy's 502, a redirect) are checked against a listener in the
 * test that records the request claimctl sends.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "date.h"
#include "harness/harness.h"

#define ADMIN "claimctl-tests-bootstrap-admin-token-0123456789"

extern char **environ;

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], member[80];
static char work[256]; /* claim files, outputs, the child's stdout and stderr */

static void start_server(const char *const extra[])
{
    test_start_redis_and_claimsd(&redis, &server, ADMIN, extra);
    test_put_sample_enrollment(&server, ADMIN, "G100", "M1001 M1001-01 M1001-02");
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", member);
    test_make_temp_dir(work, "claimctl");
}

static char cfg_dir[256];

/* No scheduled payment cycle (payment_cycle.time null): only the test's own
 * POST /v1/remittances/run closes one, whatever the hour CI runs at. */
static void setup(void)
{
    test_make_temp_dir(cfg_dir, "claimctl-cfg");
    const char *cfg = test_write_file(
        cfg_dir, "claimsd.json", "{\"rate_limits\": null, \"payment_cycle\": {\"time\": null}}");
    start_server((const char *const[]){"--config", cfg, NULL});
}

static void stop_server(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
    test_remove_tree(work);
    if (cfg_dir[0]) {
        test_remove_tree(cfg_dir);
        cfg_dir[0] = '\0';
    }
}

/* ---- running claimctl ---- */

struct ctl_run {
    int status; /* exit status, 128 + signal when killed */
    char *out, *err;
};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *text = NULL;
    size_t n = 0, cap = 0, got;
    char chunk[4096];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + got + 1 > cap) {
            cap = (n + got + 1) * 2;
            text = realloc(text, cap);
        }
        memcpy(text + n, chunk, got);
        n += got;
    }
    fclose(f);
    if (!text)
        text = calloc(1, 1);
    text[n] = '\0';
    if (len)
        *len = n;
    return text;
}

/* Runs claimctl args with CLAIMS_URL=url and CLAIMS_TOKEN=token (NULL: not
 * set; every other CLAIMS_* variable is removed) and, when stdin_path is
 * not NULL, that file as its standard input. */
static void run_ctl_in(struct ctl_run *r, const char *url, const char *token,
                       const char *stdin_path, const char *const args[])
{
    const char *bin = getenv("CLAIMCTL_BIN");
    if (!bin) {
        fprintf(stderr, "CLAIMCTL_BIN is not set (run the tests through make check)\n");
        exit(2);
    }
    char out_path[300], err_path[300];
    snprintf(out_path, sizeof out_path, "%s/stdout", work);
    snprintf(err_path, sizeof err_path, "%s/stderr", work);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        const char *argv[32] = {bin};
        int argc = 1;
        for (const char *const *a = args; *a && argc < 31; a++)
            argv[argc++] = *a;
        argv[argc] = NULL;
        static char url_env[300], token_env[300];
        const char *env[256];
        int n = 0;
        for (char **e = environ; *e && n < 250; e++)
            if (strncmp(*e, "CLAIMS_", 7) != 0 || strncmp(*e, "CLAIMS_CONFIG_DIR=", 18) == 0)
                env[n++] = *e;
        if (url) {
            snprintf(url_env, sizeof url_env, "CLAIMS_URL=%s", url);
            env[n++] = url_env;
        }
        if (token) {
            snprintf(token_env, sizeof token_env, "CLAIMS_TOKEN=%s", token);
            env[n++] = token_env;
        }
        env[n] = NULL;
        umask(0);
        if (!freopen(stdin_path ? stdin_path : "/dev/null", "r", stdin) ||
            !freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr))
            _exit(99);
        execve(bin, (char *const *)argv, (char *const *)env);
        _exit(98);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->out = read_file(out_path, NULL);
    r->err = read_file(err_path, NULL);
}

static void run_ctl(struct ctl_run *r, const char *url, const char *token, const char *const args[])
{
    run_ctl_in(r, url, token, NULL, args);
}

static void run_free(struct ctl_run *r)
{
    free(r->out);
    free(r->err);
}

#define CTL(r, token, ...)                                                                         \
    run_ctl((r), server.base_url, (token), (const char *const[]){__VA_ARGS__, NULL})

/* stderr of a server error: its first line exactly, then "  request id: <36>". */
static void assert_server_error(const struct ctl_run *r, const char *first_lines)
{
    ck_assert_int_eq(r->status, 1);
    ck_assert_str_eq(r->out, "");
    size_t n = strlen(first_lines);
    ck_assert_msg(strncmp(r->err, first_lines, n) == 0, "stderr: %s", r->err);
    ck_assert_msg(strncmp(r->err + n, "  request id: ", 14) == 0, "stderr: %s", r->err);
    ck_assert_uint_eq(strlen(r->err + n + 14), 36 + 1);
    ck_assert_int_eq(r->err[n + 14 + 36], '\n');
}

static bool starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* A pharmacy reimbursement for Ana (M1001-02) or Maria (M1001-01), written
 * to <work>/<name>; the path into path. */
static void claim_file(const char *name, const char *member_id, const char *charge, int filled_ago,
                       char path[300])
{
    bool ana = strcmp(member_id, "M1001-02") == 0;
    char body[1024], fill[16];
    snprintf(
        body, sizeof body,
        "\n  {\"type\":\"pharmacy\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
        "\"last_name\":\"Lopez\",\"birth_date\":\"%s\"},\"pharmacy\":{\"name\":\"Corner Drug #12\","
        "\"npi\":\"1245319599\",\"network\":\"in\"},\"ndc\":\"0071-0155-23\",\"fill_date\":\"%s\","
        "\"drug_name\":\"Lipitor 20 mg "
        "tablet\",\"quantity\":30,\"days_supply\":30,\"charge\":%s}\n",
        member_id, ana ? "Ana" : "Maria", ana ? "2015-06-10" : "1977-03-02",
        test_days_ago(filled_ago, fill), charge);
    snprintf(path, 300, "%s", test_write_file(work, name, body));
}

/* claimctl submit as staff; the claim id into id. */
static void submit(const char *file, char id[64])
{
    struct ctl_run r;
    CTL(&r, staff, "submit", file);
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    ck_assert_str_eq(r.err, "");
    snprintf(id, 64, "%s", test_json_str(r.out, "claim_id"));
    ck_assert_uint_eq(strlen(id), 36);
    run_free(&r);
}

/* Polls the API (not claimctl) until the claim is final; its status. */
static const char *wait_final(const char *id)
{
    static char status[32];
    char *claim = test_wait_claim(&server, ADMIN, id, "approved|denied", 10000);
    snprintf(status, sizeof status, "%s", test_json_str(claim, "status"));
    free(claim);
    return status;
}

/* GET path as staff through the harness: the server's own bytes. */
static char *server_body(const char *path, long want_status)
{
    struct test_response res;
    test_api(&server, "GET", path, staff, NULL, NULL, &res);
    ck_assert_msg(res.status == want_status, "%s: %ld %s", path, res.status, res.body);
    char *body = strdup(res.body);
    test_response_free(&res);
    return body;
}

static bool same_json(const char *a, const char *b)
{
    struct json_object *x = json_tokener_parse(a), *y = json_tokener_parse(b);
    bool same = x && y && json_object_equal(x, y);
    json_object_put(x);
    json_object_put(y);
    return same;
}

static int file_mode(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return (int)(st.st_mode & 07777);
}

/* ---- against claimsd ---- */

START_TEST(test_submit_json_claim_prints_the_receipt_and_exits_0)
{
    char file[300], expected[512], today[DATE_STRLEN], target[DATE_STRLEN];
    claim_file("receipt.json", "M1001-02", "42.17", 3, file);
    struct ctl_run r;
    CTL(&r, staff, "submit", file);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    const char *id = test_json_str(r.out, "claim_id");
    ck_assert_uint_eq(strlen(id), 36);
    date_format(date_today(), today);
    test_business_days_after(today, 10, target); /* the oracle, not the product's calendar */
    /* Pretty-printed, two spaces, the server's order, a final newline. */
    snprintf(expected, sizeof expected,
             "{\n  \"claim_id\": \"%s\",\n  \"status\": \"received\",\n  \"type\": \"pharmacy\",\n"
             "  \"received_date\": \"%s\",\n  \"target_date\": \"%s\"\n}\n",
             id, today, target);
    ck_assert_str_eq(r.out, expected);
    /* Stored as a JSON submission is. */
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    char *claim = server_body(path, 200);
    ck_assert_str_eq(test_json_str(claim, "member_id"), "M1001-02");
    ck_assert_str_eq(test_json_str(claim, "submitted.charge"), "42.17");
    ck_assert_str_eq(test_json_str(claim, "submitted.ndc"), "00071015523");
    free(claim);
    run_free(&r);
}
END_TEST

START_TEST(test_submit_reads_standard_input_for_a_dash)
{
    char file[300];
    claim_file("stdin.json", "M1001-02", "41.03", 3, file);
    struct ctl_run r;
    run_ctl_in(&r, server.base_url, staff, file,
               (const char *const[]){"--raw", "submit", "-", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    /* --raw: the server's bytes, no newline added. */
    ck_assert_int_eq(r.out[0], '{');
    ck_assert_int_eq(r.out[strlen(r.out) - 1], '}');
    ck_assert_ptr_null(strchr(r.out, '\n'));
    ck_assert_str_eq(test_json_str(r.out, "status"), "received");
    run_free(&r);
}
END_TEST

START_TEST(test_idempotency_key_replays_the_first_claim_and_refuses_another_body)
{
    char first[300], other[300];
    claim_file("idem-1.json", "M1001-02", "43.01", 3, first);
    claim_file("idem-2.json", "M1001-02", "43.02", 3, other);
    struct ctl_run a, b, c;
    CTL(&a, staff, "submit", first, "--idempotency-key", "claimctl-test-key-1");
    CTL(&b, staff, "submit", "--idempotency-key", "claimctl-test-key-1", first);
    ck_assert_int_eq(a.status, 0);
    ck_assert_int_eq(b.status, 0);
    ck_assert_str_eq(b.out, a.out); /* the same claim_id and receipt */
    ck_assert_str_eq(b.err, "");
    CTL(&c, staff, "submit", other, "--idempotency-key", "claimctl-test-key-1");
    assert_server_error(&c, "error: idempotency_key_reused: this Idempotency-Key was used with a "
                            "different body\n");
    run_free(&a);
    run_free(&b);
    run_free(&c);
    /* Checked before anything is sent: 256 characters. */
    char key[257];
    memset(key, 'k', 256);
    key[256] = '\0';
    CTL(&a, staff, "submit", first, "--idempotency-key", key);
    ck_assert_int_eq(a.status, 2);
    ck_assert_str_eq(a.out, "");
    ck_assert_str_eq(a.err, "error: usage: --idempotency-key must be 1 to 255 printable ASCII "
                            "characters\n");
    run_free(&a);
}
END_TEST

START_TEST(test_status_prints_the_claim_with_its_decision)
{
    char file[300], id[64], path[128];
    claim_file("status.json", "M1001-02", "44.44", 4, file);
    submit(file, id);
    ck_assert_str_eq(wait_final(id), "approved");
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    struct ctl_run pretty, raw;
    CTL(&pretty, staff, "status", id);
    CTL(&raw, staff, "--raw", "status", id);
    char *body = server_body(path, 200);
    ck_assert_int_eq(pretty.status, 0);
    ck_assert_str_eq(pretty.err, "");
    ck_assert_int_eq(raw.status, 0);
    ck_assert_str_eq(raw.out, body); /* --raw: byte for byte */
    ck_assert(same_json(pretty.out, body));
    /* Amounts keep their two decimals; one member per line, indented. */
    ck_assert_ptr_nonnull(strstr(pretty.out, "\n  \"status\": \"approved\",\n"));
    ck_assert_ptr_nonnull(strstr(pretty.out, "\n    \"plan_paid\": 9.44,\n"));
    ck_assert_ptr_nonnull(strstr(pretty.out, "\n    \"patient_responsibility\": 35.00,\n"));
    ck_assert_str_eq(test_json_str(pretty.out, "decision.outcome"), "approved");
    free(body);
    run_free(&pretty);
    run_free(&raw);
    /* Another family's member, or nobody's claim: 404 alike. */
    struct ctl_run r;
    CTL(&r, staff, "status", "00000000-0000-4000-8000-000000000000");
    assert_server_error(&r, "error: not_found: no such resource\n");
    run_free(&r);
}
END_TEST

START_TEST(test_search_filters_pages_and_follows_every_page_with_all)
{
    char files[3][300], ids[3][64];
    const char *charges[] = {"10.01", "10.02", "10.03"};
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "maria-%d.json", i);
        claim_file(name, "M1001-01", charges[i], 5 + i, files[i]);
        submit(files[i], ids[i]);
    }
    struct ctl_run page, all, bad;
    CTL(&page, staff, "search", "--member-id", "M1001-01", "--type", "pharmacy", "--limit", "2");
    ck_assert_int_eq(page.status, 0);
    ck_assert_str_eq(page.err, "");
    char *body = server_body("/v1/claims?member_id=M1001-01&type=pharmacy&limit=2", 200);
    ck_assert(same_json(page.out, body));
    ck_assert_int_eq(test_json_len(page.out, "claims"), 2);
    ck_assert_str_eq(test_json_str(page.out, "claims.0.claim_id"), ids[0]);
    ck_assert_str_eq(test_json_str(page.out, "claims.1.claim_id"), ids[1]);
    ck_assert_str_ne(test_json_str(page.out, "next_cursor"), "");
    free(body);
    CTL(&all, staff, "search", "--member-id", "M1001-01", "--limit", "1", "--all", "--raw");
    ck_assert_int_eq(all.status, 0);
    ck_assert_str_eq(all.err, "");
    ck_assert_int_eq(test_json_len(all.out, "claims"), 3);
    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof key, "claims.%d.claim_id", i);
        ck_assert_str_eq(test_json_str(all.out, key), ids[i]);
        snprintf(key, sizeof key, "claims.%d.member_id", i);
        ck_assert_str_eq(test_json_str(all.out, key), "M1001-01");
    }
    ck_assert_ptr_nonnull(strstr(all.out, ",\"next_cursor\":null}"));
    /* The server's field problems, one a line. */
    CTL(&bad, staff, "search", "--limit", "0", "--status", "lost");
    ck_assert_int_eq(bad.status, 1);
    ck_assert_str_eq(test_json_str(page.out, "claims.0.member_id"), "M1001-01");
    assert_server_error(&bad, "error: validation_failed: the search parameters are not valid\n"
                              "  status: must be received, processing, pended, in_review, "
                              "approved, denied, voided or replaced\n"
                              "  limit: must be an integer from 1 to 500\n");
    run_free(&page);
    run_free(&all);
    run_free(&bad);
}
END_TEST

START_TEST(test_eob_json_fhir_and_html_with_files_created_0600)
{
    char file[300], id[64], path[160], out[300];
    claim_file("eob.json", "M1001-02", "45.55", 5, file);
    submit(file, id);
    ck_assert_str_eq(wait_final(id), "approved");
    struct ctl_run json, fhir, html;
    CTL(&json, staff, "eob", id);
    snprintf(path, sizeof path, "/v1/claims/%s/eob", id);
    char *record = server_body(path, 200);
    ck_assert_int_eq(json.status, 0);
    ck_assert_str_eq(json.err, "");
    ck_assert(same_json(json.out, record));
    ck_assert_ptr_nonnull(strstr(json.out, "\n    \"plan_paid\": 10.55,\n"));
    ck_assert_str_eq(test_json_str(json.out, "claim_id"), id);
    free(record);
    /* FHIR as returned, byte for byte. */
    CTL(&fhir, staff, "eob", id, "--format", "fhir");
    snprintf(path, sizeof path, "/v1/claims/%s/eob?format=fhir", id);
    char *fhir_body = server_body(path, 200);
    ck_assert_int_eq(fhir.status, 0);
    ck_assert_str_eq(fhir.out, fhir_body);
    ck_assert_str_eq(test_json_str(fhir.out, "resourceType"), "ExplanationOfBenefit");
    free(fhir_body);
    /* HTML to a file: only its owner may read it, even in place of a file
     * anyone could read, and nothing on stdout. */
    snprintf(out, sizeof out, "%s/eob.html", work);
    test_write_file(work, "eob.html", "an older file");
    ck_assert_int_eq(chmod(out, 0644), 0);
    CTL(&html, staff, "eob", "--format", "html", id, "-o", out);
    ck_assert_int_eq(html.status, 0);
    ck_assert_str_eq(html.out, "");
    ck_assert_str_eq(html.err, "");
    ck_assert_int_eq(file_mode(out), 0600);
    snprintf(path, sizeof path, "/v1/claims/%s/eob?format=html", id);
    char *page = server_body(path, 200), *written = read_file(out, NULL);
    ck_assert_str_eq(written, page);
    ck_assert_ptr_nonnull(strstr(written, "10.55"));
    free(page);
    free(written);
    run_free(&json);
    run_free(&fhir);
    run_free(&html);
    /* The JSON record to a new file: 0600 too, pretty as on stdout. */
    snprintf(out, sizeof out, "%s/eob.json", work);
    CTL(&json, staff, "--output", out, "eob", id, "--format", "json");
    ck_assert_int_eq(json.status, 0);
    ck_assert_str_eq(json.out, "");
    ck_assert_int_eq(file_mode(out), 0600);
    written = read_file(out, NULL);
    ck_assert_ptr_nonnull(strstr(written, "\n    \"plan_paid\": 10.55,\n"));
    free(written);
    run_free(&json);
    /* An error writes no file. */
    snprintf(out, sizeof out, "%s/none.html", work);
    CTL(&html, staff, "eob", "00000000-0000-4000-8000-000000000000", "--format", "html", "-o", out);
    assert_server_error(&html, "error: not_found: no such resource\n");
    ck_assert_int_eq(access(out, F_OK), -1);
    run_free(&html);
}
END_TEST

START_TEST(test_queue_as_staff_and_forbidden_to_a_member)
{
    char file[300], id[64];
    claim_file("queue.json", "M1001-02", "46.66", 6, file);
    submit(file, id);
    wait_final(id);
    struct ctl_run r;
    CTL(&r, staff, "queue");
    char *body = server_body("/v1/queue", 200);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert(same_json(r.out, body));
    ck_assert_str_eq(test_json_str(r.out, "in_flight"), "0");
    ck_assert_str_eq(test_json_str(r.out, "dead_lettered"), "0");
    ck_assert_int_eq(test_json_len(r.out, "dead"), 0);
    free(body);
    run_free(&r);
    CTL(&r, member, "queue");
    assert_server_error(&r, "error: forbidden: this token's role may not do this\n");
    run_free(&r);
}
END_TEST

START_TEST(test_retry_of_a_claim_that_is_not_dead_lettered_is_not_found)
{
    struct ctl_run r;
    CTL(&r, staff, "retry", "00000000-0000-4000-8000-000000000000");
    assert_server_error(&r, "error: not_found: no such resource\n");
    run_free(&r);
}
END_TEST

START_TEST(test_unknown_token_is_unauthorized_exit_1)
{
    struct ctl_run r;
    CTL(&r, "not-a-token-this-server-knows", "queue");
    assert_server_error(&r, "error: unauthorized: a valid bearer token is required\n");
    run_free(&r);
}
END_TEST

START_TEST(test_token_from_a_file_or_the_command_line)
{
    char text[128], file[300];
    snprintf(text, sizeof text, "%s\n", staff);
    snprintf(file, sizeof file, "%s", test_write_file(work, "token", text));
    struct ctl_run r;
    /* The environment's token is ignored when one is given. */
    CTL(&r, "wrong-token", "queue", "--token-file", file);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(test_json_str(r.out, "in_flight"), "0");
    run_free(&r);
    run_ctl(&r, server.base_url, NULL, (const char *const[]){"--token", staff, "queue", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    run_free(&r);
    run_ctl(&r, NULL, staff, (const char *const[]){"queue", "--url", server.base_url, NULL});
    ck_assert_int_eq(r.status, 0);
    run_free(&r);
}
END_TEST

/* ---- without a server, or before asking one ---- */

START_TEST(test_no_server_is_exit_3)
{
    int port = test_free_port();
    char url[64], prefix[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    snprintf(prefix, sizeof prefix,
             "error: unreachable: %s: Failed to connect to 127.0.0.1 port %d", url, port);
    struct ctl_run r;
    run_ctl(&r, url, "any-token", (const char *const[]){"status", "some-claim", NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(strncmp(r.err, prefix, strlen(prefix)) == 0, "stderr: %s", r.err);
    const char *tail = "Couldn't connect to server\n";
    ck_assert_str_eq(r.err + strlen(r.err) - strlen(tail), tail);
    run_free(&r);
}
END_TEST

struct usage_case {
    const char *url, *token;
    const char *args[8];
    const char *err;
};

START_TEST(test_usage_errors_are_exit_2_before_anything_is_sent)
{
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-file.json", work);
    const struct usage_case cases[] = {
        {"http://127.0.0.1:9",
         "t",
         {"frobnicate"},
         "error: usage: unknown command frobnicate (claimctl --help)\n"},
        {"http://127.0.0.1:9", "t", {"--frob", "queue"}, "error: usage: unknown option --frob\n"},
        {"http://127.0.0.1:9", "t", {"queue", "-x"}, "error: usage: unknown option -x\n"},
        {"http://127.0.0.1:9",
         "t",
         {"queue", "--format", "html"},
         "error: usage: unknown option --format\n"},
        {"http://127.0.0.1:9",
         "t",
         {"search", "--limit"},
         "error: usage: option --limit needs a value\n"},
        {"http://127.0.0.1:9", "t", {"queue", "extra"}, NULL},
        {"http://127.0.0.1:9",
         "t",
         {"eob", "c1", "--format", "pdf"},
         "error: usage: --format is json, fhir or html\n"},
        {"http://127.0.0.1:9",
         "t",
         {"remit", "--npi", "1245319599"},
         "error: usage: remit needs --npi N and --date YYYY-MM-DD\n"},
        {NULL, "t", {"queue"}, "error: usage: no server: give --url URL or set CLAIMS_URL\n"},
        {"ftp://127.0.0.1:9",
         "t",
         {"queue"},
         "error: usage: the server URL must start with http:// or https://\n"},
        {"http://127.0.0.1:9",
         NULL,
         {"queue"},
         "error: usage: no token: set CLAIMS_TOKEN, or give --token-file FILE or --token TOKEN\n"},
        {"http://127.0.0.1:9",
         "a b",
         {"queue"},
         "error: usage: the token must be 1 to 256 visible ASCII characters\n"},
        {"http://127.0.0.1:9",
         NULL,
         {"--token", "t", "--token-file", "f", "queue"},
         "error: usage: give --token or --token-file, not both\n"},
        {"http://127.0.0.1:9",
         "t",
         {"--timeout", "soon", "queue"},
         "error: usage: --timeout is 0 to 86400 seconds\n"},
        {"http://127.0.0.1:9", "t", {"status", ""}, "error: usage: status: an empty argument\n"},
        {"http://127.0.0.1:9", "t", {"submit", missing}, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct ctl_run r;
        run_ctl(&r, cases[i].url, cases[i].token, cases[i].args);
        ck_assert_msg(r.status == 2, "case %zu: %d %s", i, r.status, r.err);
        ck_assert_str_eq(r.out, "");
        if (cases[i].err)
            ck_assert_str_eq(r.err, cases[i].err);
        run_free(&r);
    }
    struct ctl_run r;
    run_ctl(&r, "http://127.0.0.1:9", "t", (const char *const[]){"queue", "extra", NULL});
    ck_assert_str_eq(r.err,
                     "error: usage: queue takes no arguments\n"
                     "Usage: claimctl queue\n"
                     "The queue's figures and its dead-lettered claims (GET /v1/queue; staff).\n");
    run_free(&r);
    run_ctl(&r, "http://127.0.0.1:9", "t", (const char *const[]){"submit", missing, NULL});
    char expected[512];
    snprintf(expected, sizeof expected, "error: input: cannot open %s: No such file or directory\n",
             missing);
    ck_assert_str_eq(r.err, expected);
    run_free(&r);
    /* No command at all: the usage on stderr. */
    run_ctl(&r, "http://127.0.0.1:9", "t", (const char *const[]){NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out, "");
    ck_assert(
        starts_with(r.err, "Usage: claimctl [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGUMENTS]\n"));
    run_free(&r);
}
END_TEST

START_TEST(test_a_file_neither_json_nor_x12_is_exit_2)
{
    const char *texts[] = {"hello\n", "", "  \n\t", "[{\"type\":\"pharmacy\"}]", "IS", "isa*00*"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        const char *file = test_write_file(work, "neither.txt", texts[i]);
        char path[300], expected[512];
        snprintf(path, sizeof path, "%s", file);
        struct ctl_run r;
        CTL(&r, staff, "submit", path);
        ck_assert_msg(r.status == 2, "text %zu: %d", i, r.status);
        ck_assert_str_eq(r.out, "");
        snprintf(expected, sizeof expected,
                 "error: input: %s is neither a JSON claim (starting with '{') nor an X12 "
                 "interchange (starting with ISA)\n",
                 path);
        ck_assert_str_eq(r.err, expected);
        run_free(&r);
    }
}
END_TEST

START_TEST(test_help_is_exit_0_on_stdout_without_a_server_or_token)
{
    struct ctl_run r;
    run_ctl(&r, NULL, NULL, (const char *const[]){"--help", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert(
        starts_with(r.out, "Usage: claimctl [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGUMENTS]\n"));
    const char *lines[] = {"\n  submit FILE ",
                           "\n  status CLAIM_ID ",
                           "\n  search [OPTIONS] ",
                           "\n  eob CLAIM_ID [--format F] [-o F] ",
                           "\n  queue ",
                           "\n  retry CLAIM_ID ",
                           "\n  remit --npi N --date D [-o FILE] ",
                           "\n  --token-file FILE ",
                           "\nExit status: 0 success; 1 "};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        ck_assert_msg(strstr(r.out, lines[i]), "no '%s' in --help", lines[i]);
    run_free(&r);
    const char *per_command[][3] = {
        {"submit", "--help", "Usage: claimctl submit FILE [--idempotency-key KEY]\n"},
        {"status", "-h", "Usage: claimctl status CLAIM_ID\n"},
        {"search", "--help", "Usage: claimctl search [OPTIONS]\n"},
        {"eob", "--help",
         "Usage: claimctl eob CLAIM_ID [--format json|fhir|html] [--eob-version N] [-o FILE]\n"},
        {"queue", "--help", "Usage: claimctl queue\n"},
        {"retry", "--help", "Usage: claimctl retry CLAIM_ID\n"},
        {"remit", "--help", "Usage: claimctl remit --npi NPI --date YYYY-MM-DD [-o FILE]\n"},
        {"help", "remit", "Usage: claimctl remit --npi NPI --date YYYY-MM-DD [-o FILE]\n"},
    };
    for (size_t i = 0; i < sizeof per_command / sizeof *per_command; i++) {
        run_ctl(&r, NULL, NULL, (const char *const[]){per_command[i][0], per_command[i][1], NULL});
        ck_assert_int_eq(r.status, 0);
        ck_assert_str_eq(r.err, "");
        ck_assert_msg(strncmp(r.out, per_command[i][2], strlen(per_command[i][2])) == 0, "%s: %s",
                      per_command[i][0], r.out);
        run_free(&r);
    }
}
END_TEST

/* ---- the requests claimctl sends, recorded ---- */

/* A one-connection HTTP listener on 127.0.0.1: records the request (head and
 * body) and answers with `answer` (a whole HTTP response). */
struct recorder {
    int fd, port;
    const char *answer;
    char request[65536];
    size_t head_len, len;
    pthread_t thread;
};

static void *recorder_serve(void *arg)
{
    struct recorder *rec = arg;
    int conn = accept(rec->fd, NULL, NULL);
    if (conn < 0)
        return NULL;
    size_t want = 0;
    while (rec->len < sizeof rec->request - 1) {
        ssize_t n = read(conn, rec->request + rec->len, sizeof rec->request - 1 - rec->len);
        if (n <= 0)
            break;
        rec->len += (size_t)n;
        rec->request[rec->len] = '\0';
        char *end = strstr(rec->request, "\r\n\r\n");
        if (end && !rec->head_len) {
            rec->head_len = (size_t)(end + 4 - rec->request);
            const char *cl = strcasestr(rec->request, "\r\nContent-Length: ");
            want = rec->head_len + (cl && cl < end ? strtoul(cl + 18, NULL, 10) : 0);
        }
        if (rec->head_len && rec->len >= want)
            break;
    }
    size_t left = strlen(rec->answer);
    const char *p = rec->answer;
    while (left > 0) {
        ssize_t n = write(conn, p, left);
        if (n <= 0)
            break;
        p += n;
        left -= (size_t)n;
    }
    close(conn);
    return NULL;
}

static void recorder_start(struct recorder *rec, const char *answer)
{
    memset(rec, 0, sizeof *rec);
    rec->answer = answer;
    rec->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    ck_assert_int_eq(bind(rec->fd, (struct sockaddr *)&sin, sizeof sin), 0);
    ck_assert_int_eq(listen(rec->fd, 4), 0);
    ck_assert_int_eq(getsockname(rec->fd, (struct sockaddr *)&sin, &len), 0);
    rec->port = ntohs(sin.sin_port);
    ck_assert_int_eq(pthread_create(&rec->thread, NULL, recorder_serve, rec), 0);
}

static void recorder_finish(struct recorder *rec)
{
    pthread_join(rec->thread, NULL);
    close(rec->fd);
}

/* The request head has this header line exactly. */
static bool has_header(const struct recorder *rec, const char *line)
{
    char needle[1100];
    snprintf(needle, sizeof needle, "\r\n%s\r\n", line);
    char *head = strndup(rec->request, rec->head_len);
    bool found = strstr(head, needle) != NULL;
    free(head);
    return found;
}

#define X12_IN                                                                                     \
    "ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*RECEIVERID     *261202*1200*^*00501*"   \
    "000000101*0*T*:~GS*HC*SUBMITTERID*RECEIVERID*20261202*1200*101*X*005010X222A1~"               \
    "ST*837*0001*005010X222A1~SE*2*0001~GE*1*101~IEA*1*000000101~"
#define X12_OUT                                                                                    \
    "ISA*00*          *00*          *ZZ*RECEIVERID     *ZZ*SUBMITTERID    *261202*1201*^*00501*"   \
    "000000901*0*T*:~GS*FA*RECEIVERID*SUBMITTERID*20261202*1201*901*X*005010X231A1~"               \
    "ST*999*0001*005010X231A1~AK1*HC*101*005010X222A1~AK9*A*1*1*1~SE*4*0001~GE*1*901~"             \
    "IEA*1*000000901~"

/* claimctl remit against the real server: a provider-payee claim filed with
 * claimctl, finalized, a payment cycle run, and the provider's 835 for the
 * day written to a 0600 file, byte for byte what the server answers. */
START_TEST(test_remit_writes_the_days_835_from_the_server)
{
    char fill[16], body[1024], path[300], id[64];
    test_days_ago(3, fill);
    snprintf(body, sizeof body,
             "{\"type\":\"medical\",\"member_id\":\"M1001-02\",\"patient\":{\"first_name\":\"Ana\","
             "\"last_name\":\"Lopez\",\"birth_date\":\"2015-06-10\"},\"provider\":{\"npi\":"
             "\"1245319599\",\"name\":\"Bay Clinic\",\"network\":\"in\",\"facility\":false},"
             "\"diagnosis_codes\":[\"J06.9\"],\"lines\":[{\"service_date\":\"%s\","
             "\"procedure_code\":\"99213\",\"units\":1,\"charge\":150.00}]}",
             fill);
    snprintf(path, sizeof path, "%s", test_write_file(work, "medical.json", body));
    submit(path, id);
    wait_final(id);
    struct test_response res;
    test_api(&server, "POST", "/v1/remittances/run", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 201);
    char today[16];
    snprintf(today, sizeof today, "%s", test_json_str(res.body, "date"));
    ck_assert_str_eq(test_json_str(res.body, "claims"), "1");
    test_response_free(&res);
    char out[300], remit_path[128];
    snprintf(out, sizeof out, "%s/day.835", work);
    struct ctl_run r;
    CTL(&r, staff, "remit", "--npi", "1245319599", "--date", today, "-o", out);
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, "");
    run_free(&r);
    ck_assert_int_eq(file_mode(out), 0600);
    snprintf(remit_path, sizeof remit_path, "/v1/remittances?npi=1245319599&date=%s", today);
    char *want = server_body(remit_path, 200);
    char *written = read_file(out, NULL);
    ck_assert_str_eq(written, want);
    ck_assert(starts_with(written, "ISA*"));
    ck_assert_ptr_nonnull(strstr(written, "ST*835*"));
    free(written);
    free(want);
    /* Another NPI's 835 of that day: nothing was paid to it. */
    CTL(&r, staff, "remit", "--npi", "1003000126", "--date", today);
    ck_assert_int_eq(r.status, 1);
    ck_assert(starts_with(r.err, "error: not_found: "));
    run_free(&r);
}
END_TEST

/* claimctl submit of an 837 file against the real server: sent as X12 by
 * its content, the 999 and 277CA printed as the server wrote them, and the
 * claim the 277CA accepted is stored. */
START_TEST(test_submit_x12_837_gets_the_999_and_277ca_and_stores_the_claims)
{
    char path[512];
    snprintf(path, sizeof path, "%s/../tests/fixtures/x12/837p_claims.x12",
             getenv("CLAIMS_CONFIG_DIR"));
    struct ctl_run r;
    CTL(&r, staff, "submit", path);
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    ck_assert_str_eq(r.err, "");
    ck_assert(starts_with(r.out, "ISA*"));
    ck_assert_ptr_nonnull(strstr(r.out, "~ST*999*"));
    ck_assert_ptr_nonnull(strstr(r.out, "AK9*A*1*1*1~"));
    ck_assert_ptr_nonnull(strstr(r.out, "~ST*277*"));
    /* Each accepted claim's id is its payer claim control number (REF*1K). */
    const char *ref = strstr(r.out, "REF*1K*");
    ck_assert_ptr_nonnull(ref);
    char id[64], claim_path[128];
    snprintf(id, sizeof id, "%.36s", ref + 7);
    snprintf(claim_path, sizeof claim_path, "/v1/claims/%s", id);
    char *claim = server_body(claim_path, 200);
    ck_assert_str_eq(test_json_str(claim, "claim_id"), id);
    ck_assert_str_eq(test_json_str(claim, "submitted.patient_control_number"), "PCN-1001-A");
    free(claim);
    run_free(&r);
    /* Once final and paid in a cycle, the provider's 835 names the claim by
     * its CLM01 (CLP01) and by the claim id (CLP07). */
    wait_final(id);
    struct test_response res;
    test_api(&server, "POST", "/v1/remittances/run", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 201);
    char today[16];
    snprintf(today, sizeof today, "%s", test_json_str(res.body, "date"));
    test_response_free(&res);
    CTL(&r, staff, "remit", "--npi", "1245319599", "--date", today);
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    char clp[80];
    snprintf(clp, sizeof clp, "~\nCLP*PCN-1001-A*");
    const char *at = strstr(r.out, clp);
    ck_assert_ptr_nonnull(at);
    const char *end = strchr(at + 3, '~');
    ck_assert_ptr_nonnull(end);
    ck_assert_ptr_nonnull(memmem(at, (size_t)(end - at), id, strlen(id)));
    run_free(&r);
}
END_TEST

START_TEST(test_x12_file_is_posted_to_v1_x12_as_edi_x12_and_the_answer_printed_as_returned)
{
    char answer[2048], url[64], head[1024];
    snprintf(answer, sizeof answer,
             "HTTP/1.1 200 OK\r\nContent-Type: application/edi-x12\r\nContent-Length: %zu\r\n"
             "X-Request-Id: 3f1c4b8e-0d2a-4c55-9e61-7a8b9c0d1e2f\r\nConnection: close\r\n\r\n%s",
             strlen(X12_OUT), X12_OUT);
    struct recorder rec;
    recorder_start(&rec, answer);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", rec.port); /* the trailing '/' is dropped */
    /* Leading white space is not part of the interchange and is not sent. */
    const char *file = test_write_file(work, "claims.837", "\r\n  " X12_IN "\n");
    char path[300];
    snprintf(path, sizeof path, "%s", file);
    struct ctl_run r;
    run_ctl(&r, url, "x12-provider-token",
            (const char *const[]){"submit", path, "--idempotency-key", "batch-101", NULL});
    recorder_finish(&rec);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert_str_eq(r.out, X12_OUT);
    ck_assert(starts_with(rec.request, "POST /v1/x12 HTTP/1.1\r\n"));
    snprintf(head, sizeof head, "Content-Length: %zu", strlen(X12_IN "\n"));
    ck_assert(has_header(&rec, head));
    snprintf(head, sizeof head, "Host: 127.0.0.1:%d", rec.port);
    ck_assert(has_header(&rec, head));
    ck_assert(has_header(&rec, "Content-Type: application/edi-x12"));
    ck_assert(has_header(&rec, "Authorization: Bearer x12-provider-token"));
    ck_assert(has_header(&rec, "Idempotency-Key: batch-101"));
    ck_assert_ptr_null(strcasestr(rec.request, "\r\nExpect:"));
    ck_assert_str_eq(rec.request + rec.head_len, X12_IN "\n");
    run_free(&r);
}
END_TEST

#define X835                                                                                       \
    "ISA*00*          *00*          *ZZ*PAYER          *ZZ*1245319599     *261202*0600*^*00501*"   \
    "000000077*0*P*:~GS*HP*PAYER*1245319599*20261202*0600*77*X*005010X221A1~ST*835*0001~"          \
    "BPR*I*7.17*C*ACH~SE*3*0001~GE*1*77~IEA*1*000000077~"

START_TEST(test_remit_asks_for_the_providers_835_and_writes_it_0600)
{
    char answer[2048], url[64], out[300];
    snprintf(answer, sizeof answer,
             "HTTP/1.1 200 OK\r\nContent-Type: application/edi-x12\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n%s",
             strlen(X835), X835);
    struct recorder rec;
    recorder_start(&rec, answer);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", rec.port);
    snprintf(out, sizeof out, "%s/remit-2026-12-01.835", work);
    struct ctl_run r;
    run_ctl(&r, url, "staff-token",
            (const char *const[]){"remit", "--npi", "1245319599", "--date", "2026-12-01", "-o", out,
                                  NULL});
    recorder_finish(&rec);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, "");
    ck_assert(starts_with(rec.request,
                          "GET /v1/remittances?npi=1245319599&date=2026-12-01 HTTP/1.1\r\n"));
    ck_assert(has_header(&rec, "Authorization: Bearer staff-token"));
    ck_assert_ptr_null(strcasestr(rec.request, "\r\nContent-Type:"));
    ck_assert_uint_eq(rec.len, rec.head_len); /* no body */
    ck_assert_int_eq(file_mode(out), 0600);
    char *written = read_file(out, NULL);
    ck_assert_str_eq(written, X835);
    free(written);
    run_free(&r);
}
END_TEST

START_TEST(test_answers_that_are_not_the_apis_error_body_and_redirects_are_exit_1)
{
    const char *answers[][2] = {
        {"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 13\r\n"
         "Connection: close\r\n\r\n<h1>502</h1>\n",
         "error: http_502: the server answered HTTP 502 without an error body\n"},
        /* Never followed: the token would go with it. */
        {"HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/v1/queue\r\nContent-Length: "
         "0\r\n"
         "Connection: close\r\n\r\n",
         "error: http_302: the server answered HTTP 302 without an error body\n"},
        {"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=utf-8\r\n"
         "Retry-After: 3\r\nX-Request-Id: 0b6f2a8e-1c3d-4e5f-8a9b-0c1d2e3f4a5b\r\n"
         "Content-Length: 80\r\nConnection: close\r\n\r\n"
         "{\"error\":{\"code\":\"rate_limited\",\"message\":\"too many requests\x1b[2J; retry "
         "later\"}}",
         "error: rate_limited: too many requests?[2J; retry later\n  retry after: 3 s\n"
         "  request id: 0b6f2a8e-1c3d-4e5f-8a9b-0c1d2e3f4a5b\n"},
    };
    for (size_t i = 0; i < sizeof answers / sizeof *answers; i++) {
        struct recorder rec;
        char url[64];
        recorder_start(&rec, answers[i][0]);
        snprintf(url, sizeof url, "http://127.0.0.1:%d", rec.port);
        struct ctl_run r;
        run_ctl(&r, url, "t", (const char *const[]){"queue", NULL});
        recorder_finish(&rec);
        ck_assert(starts_with(rec.request, "GET /v1/queue HTTP/1.1\r\n"));
        ck_assert_int_eq(r.status, 1);
        ck_assert_str_eq(r.out, "");
        ck_assert_str_eq(r.err, answers[i][1]);
        run_free(&r);
    }
}
END_TEST

START_TEST(test_json_with_anything_after_the_value_is_printed_as_sent)
{
    /* Pretty-printing the first value would drop the rest. */
    const char *answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         "Content-Length: 15\r\nConnection: close\r\n\r\n{\"a\":1} {\"b\":2}";
    struct recorder rec;
    char url[64];
    recorder_start(&rec, answer);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", rec.port);
    struct ctl_run r;
    run_ctl(&r, url, "t", (const char *const[]){"queue", NULL});
    recorder_finish(&rec);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "{\"a\":1} {\"b\":2}");
    ck_assert_str_eq(r.err, "");
    run_free(&r);
}
END_TEST

/* ---- a dead-lettered claim requeued ---- */

static struct test_claimsd worker;

static void setup_dead_letter(void)
{
    /* Intake only; the worker process is started by the test. */
    start_server((const char *const[]){"--workers", "0", NULL});
}

START_TEST(test_retry_requeues_a_dead_lettered_claim)
{
    char file[300], id[64], cfg[300];
    claim_file("dead.json", "M1001-02", "47.77", 7, file);
    submit(file, id);
    /* Damage the stored submission: every worker that takes the claim fails
     * to read it (as test_worker.c), so it is dead-lettered. */
    redisContext *c = test_redis_connect(&redis);
    redisReply *saved = redisCommand(c, "GET claims:{c}body:%s", id);
    ck_assert_int_eq(saved->type, REDIS_REPLY_STRING);
    freeReplyObject(redisCommand(c, "SET claims:{c}body:%s {broken", id));
    snprintf(cfg, sizeof cfg, "%s",
             test_write_file(work, "worker.json",
                             "{\"claim_idle_timeout_ms\": 400, \"max_deliveries\": 3}"));
    test_claimsd_start_admin(
        &worker, redis.url, ADMIN,
        (const char *const[]){"--role", "worker", "--workers", "1", "--config", cfg, NULL});
    struct ctl_run r;
    bool dead = false;
    for (int i = 0; i < 300 && !dead; i++) {
        test_sleep_ms(50);
        CTL(&r, staff, "--raw", "queue");
        ck_assert_int_eq(r.status, 0);
        dead = strcmp(test_json_str(r.out, "dead_lettered"), "1") == 0;
        if (dead)
            ck_assert_str_eq(test_json_str(r.out, "dead.0.claim_id"), id);
        run_free(&r);
    }
    ck_assert(dead);
    freeReplyObject(redisCommand(c, "SET claims:{c}body:%s %b", id, saved->str, saved->len));
    freeReplyObject(saved);
    redisFree(c);
    CTL(&r, staff, "retry", id);
    char expected[128];
    snprintf(expected, sizeof expected,
             "{\n  \"claim_id\": \"%s\",\n  \"status\": \"requeued\"\n}\n", id);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert_str_eq(r.out, expected);
    run_free(&r);
    ck_assert_str_eq(wait_final(id), "approved");
    /* No longer dead-lettered: a second retry finds nothing. */
    CTL(&r, staff, "retry", id);
    assert_server_error(&r, "error: not_found: no such resource\n");
    run_free(&r);
    test_claimsd_stop_clean(&worker);
}
END_TEST

/* ---- HTTPS ---- */

static char ca_file[300];

static void setup_tls(void)
{
    char dir[256], cmd[1200], cfg_text[700];
    test_make_temp_dir(dir, "claimctl-tls");
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-keyout %s/key.pem -out %s/cert.pem -days 2 -subj /CN=localhost "
             "-addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1",
             dir, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "openssl could not make a test certificate (is openssl installed?)\n");
        exit(2);
    }
    snprintf(ca_file, sizeof ca_file, "%s/cert.pem", dir);
    snprintf(cfg_text, sizeof cfg_text,
             "{\"tls\": {\"cert_file\": \"%s/cert.pem\", \"key_file\": \"%s/key.pem\"}}", dir, dir);
    char cfg[300];
    snprintf(cfg, sizeof cfg, "%s", test_write_file(dir, "tls.json", cfg_text));
    /* Only claimctl speaks TLS here (the harness's client would not trust
     * the certificate): no enrollment, the bootstrap admin's token. */
    test_start_redis_and_claimsd(&redis, &server, ADMIN,
                                 (const char *const[]){"--workers", "0", "--config", cfg, NULL});
    test_make_temp_dir(work, "claimctl");
    if (strncmp(server.base_url, "https://", 8) != 0) {
        fprintf(stderr, "claimsd did not listen with TLS: %s\n", server.base_url);
        exit(2);
    }
}

static void teardown_tls(void)
{
    stop_server();
    char dir[300];
    snprintf(dir, sizeof dir, "%s", ca_file);
    *strrchr(dir, '/') = '\0';
    test_remove_tree(dir);
}

START_TEST(test_https_with_a_private_ca_and_refused_without_it)
{
    struct ctl_run r;
    CTL(&r, ADMIN, "queue", "--cacert", ca_file);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert_str_eq(test_json_str(r.out, "dead_lettered"), "0");
    run_free(&r);
    /* The system's CAs do not know the test certificate: not reached. */
    CTL(&r, ADMIN, "queue");
    ck_assert_int_eq(r.status, 3);
    ck_assert_str_eq(r.out, "");
    char prefix[128];
    snprintf(prefix, sizeof prefix, "error: unreachable: %s: ", server.base_url);
    ck_assert_msg(strncmp(r.err, prefix, strlen(prefix)) == 0, "stderr: %s", r.err);
    ck_assert_ptr_nonnull(strstr(r.err, "certificate"));
    run_free(&r);
}
END_TEST

static Suite *claimctl_suite(void)
{
    Suite *s = suite_create("claimctl");
    TCase *tc = tcase_create("commands");
    tcase_add_unchecked_fixture(tc, setup, stop_server);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_submit_json_claim_prints_the_receipt_and_exits_0);
    tcase_add_test(tc, test_submit_reads_standard_input_for_a_dash);
    tcase_add_test(tc, test_idempotency_key_replays_the_first_claim_and_refuses_another_body);
    tcase_add_test(tc, test_status_prints_the_claim_with_its_decision);
    tcase_add_test(tc, test_search_filters_pages_and_follows_every_page_with_all);
    tcase_add_test(tc, test_eob_json_fhir_and_html_with_files_created_0600);
    tcase_add_test(tc, test_remit_writes_the_days_835_from_the_server);
    tcase_add_test(tc, test_submit_x12_837_gets_the_999_and_277ca_and_stores_the_claims);
    tcase_add_test(tc, test_queue_as_staff_and_forbidden_to_a_member);
    tcase_add_test(tc, test_retry_of_a_claim_that_is_not_dead_lettered_is_not_found);
    tcase_add_test(tc, test_unknown_token_is_unauthorized_exit_1);
    tcase_add_test(tc, test_token_from_a_file_or_the_command_line);
    tcase_add_test(tc, test_no_server_is_exit_3);
    tcase_add_test(tc, test_usage_errors_are_exit_2_before_anything_is_sent);
    tcase_add_test(tc, test_a_file_neither_json_nor_x12_is_exit_2);
    tcase_add_test(tc, test_help_is_exit_0_on_stdout_without_a_server_or_token);
    suite_add_tcase(s, tc);
    TCase *wire = tcase_create("wire");
    tcase_add_unchecked_fixture(wire, setup, stop_server);
    tcase_set_timeout(wire, 30);
    tcase_add_test(wire,
                   test_x12_file_is_posted_to_v1_x12_as_edi_x12_and_the_answer_printed_as_returned);
    tcase_add_test(wire, test_remit_asks_for_the_providers_835_and_writes_it_0600);
    tcase_add_test(wire, test_answers_that_are_not_the_apis_error_body_and_redirects_are_exit_1);
    tcase_add_test(wire, test_json_with_anything_after_the_value_is_printed_as_sent);
    suite_add_tcase(s, wire);
    TCase *dead = tcase_create("dead letter");
    tcase_add_unchecked_fixture(dead, setup_dead_letter, stop_server);
    tcase_set_timeout(dead, 60);
    tcase_add_test(dead, test_retry_requeues_a_dead_lettered_claim);
    suite_add_tcase(s, dead);
    TCase *tls = tcase_create("https");
    tcase_add_unchecked_fixture(tls, setup_tls, teardown_tls);
    tcase_set_timeout(tls, 30);
    tcase_add_test(tls, test_https_with_a_private_ca_and_refused_without_it);
    suite_add_tcase(s, tls);
    return s;
}

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    /* "Today" as the servers under test count it: the default time_zone. */
    date_set_time_zone("America/New_York");
    return test_run_suite(claimctl_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
