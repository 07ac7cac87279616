/*
 * Helpers more than one suite needs (declared in harness.h): test dates, one
 * API call checked or not, waiting for a claim's status, the end-to-end
 * teardown, sample bodies (a lab claim, the employee's record), a metric's
 * value, a process's memory, the answer of an asynchronous queue/ call, starting claimsd or
 * exiting, sample bodies, amounts in cents, blocking Redis commands checked, and a queue/ test's
 * connections.
 * Each lives here once instead of a copy per test file.
 */
#include "harness.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "queue/family_write.h"
#include "queue/redis_conn.h"
#include "queue/shards.h"

date_t test_date(const char *text)
{
    date_t d;
    ck_assert_msg(date_parse(text, &d), "bad test date %s", text);
    return d;
}

const char *test_date_text(date_t d)
{
    static char buf[4][DATE_STRLEN];
    static int i;
    i = (i + 1) % 4;
    return date_format(d, buf[i]);
}

char *test_days_ago(int n, char out[16])
{
    return date_format(date_add_days(date_today(), -n), out);
}

long test_status(const struct test_claimsd *d, const char *method, const char *path,
                 const char *token, const char *body)
{
    struct test_response res;
    test_api(d, method, path, token, body, NULL, &res);
    long status = res.status;
    test_response_free(&res);
    return status;
}

char *test_call(const struct test_claimsd *d, const char *method, const char *path,
                const char *token, const char *body, long want)
{
    struct test_response res;
    test_api(d, method, path, token, body, NULL, &res);
    ck_assert_msg(res.status == want, "%s %s: %ld %s", method, path, res.status, res.body);
    char *out = strdup(res.body ? res.body : "");
    ck_assert_ptr_nonnull(out);
    test_response_free(&res);
    return out;
}

void test_assert_422(const struct test_claimsd *d, const char *method, const char *path,
                     const char *token, const char *body, const char *field, const char *problem)
{
    struct test_response res;
    test_api(d, method, path, token, body, NULL, &res);
    ck_assert_msg(res.status == 422, "%s %s %s: %ld %s", method, path, body ? body : "", res.status,
                  res.body);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "validation_failed");
    ck_assert_msg(test_json_len(res.body, "error.fields") == 1, "%s: %s", body ? body : "",
                  res.body);
    ck_assert_msg(strcmp(test_json_str(res.body, "error.fields.0.field"), field) == 0 &&
                      strcmp(test_json_str(res.body, "error.fields.0.problem"), problem) == 0,
                  "%s: want %s \"%s\", got %s", body ? body : "", field, problem, res.body);
    test_response_free(&res);
}

void test_submit_claim(const struct test_claimsd *d, const char *token, const char *body,
                       char id[64])
{
    struct test_response res;
    test_api(d, "POST", "/v1/claims", token, body, NULL, &res);
    ck_assert_msg(res.status == 202, "%ld %s", res.status, res.body);
    snprintf(id, 64, "%s", test_json_str(res.body, "claim_id"));
    test_response_free(&res);
}

/* Whether status is one of the '|'-separated names of `statuses`. */
static bool status_among(const char *status, const char *statuses)
{
    size_t n = strlen(status);
    for (const char *p = statuses; n > 0 && *p;) {
        const char *end = strchr(p, '|');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, status, n) == 0)
            return true;
        p += len + (end != NULL);
    }
    return false;
}

char *test_wait_claim(const struct test_claimsd *d, const char *token, const char *id,
                      const char *statuses, int timeout_ms)
{
    char path[128], status[32] = "";
    long http = 0;
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        struct test_response res;
        test_api(d, "GET", path, token, NULL, NULL, &res);
        http = res.status;
        if (http == 200) {
            snprintf(status, sizeof status, "%s", test_json_str(res.body, "status"));
            if (status_among(status, statuses)) {
                char *body = strdup(res.body);
                ck_assert_ptr_nonnull(body);
                test_response_free(&res);
                return body;
            }
        }
        test_response_free(&res);
        test_sleep_ms(20);
    }
    ck_abort_msg("claim %s not %s within %d ms (last answer %ld, status \"%s\")", id, statuses,
                 timeout_ms, http, status);
    return NULL;
}

char *test_wait_eob_version(const struct test_claimsd *d, const char *token, const char *id,
                            int version)
{
    char path[128], want[16];
    snprintf(path, sizeof path, "/v1/claims/%s/eob", id);
    snprintf(want, sizeof want, "%d", version);
    for (int i = 0; i < 1000; i++) {
        struct test_response res;
        test_api(d, "GET", path, token, NULL, NULL, &res);
        if (res.status == 200 && strcmp(test_json_str(res.body, "version"), want) == 0) {
            char *out = strdup(res.body);
            ck_assert_ptr_nonnull(out);
            test_response_free(&res);
            return out;
        }
        test_response_free(&res);
        test_sleep_ms(20);
    }
    ck_abort_msg("claim %s: no EOB version %d after 20 s", id, version);
    return NULL;
}

void test_start_redis_and_claimsd(struct test_redis *r, struct test_claimsd *d, const char *admin,
                                  const char *const extra_args[])
{
    test_redis_start(r);
    test_claimsd_start_admin(d, r->url, admin, extra_args);
}

void test_stop_claimsd_and_redis(struct test_claimsd *d, struct test_redis *r)
{
    test_claimsd_stop_clean(d);
    test_redis_stop(r);
    test_remove_tree(r->dir);
}

char *test_lab_claim(const char *member, const char *first, const char *birth,
                     const char *service_date)
{
    char *b = malloc(2048);
    ck_assert_ptr_nonnull(b);
    snprintf(b, 2048,
             "{\"type\":\"medical\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
             "\"last_name\":\"Lopez\",\"birth_date\":\"%s\"},\"provider\":{\"npi\":\"1003000126\","
             "\"name\":\"Bay Lab\",\"network\":\"in\"},\"diagnosis_codes\":[\"E11.9\"],"
             "\"lines\":[{\"service_date\":\"%s\",\"procedure_code\":\"80053\",\"units\":1,"
             "\"charge\":20.00}]}",
             member, first, birth, service_date);
    return b;
}

void test_put_employee(const struct test_claimsd *d, const char *admin, const char *span)
{
    char body[2048];
    snprintf(body, sizeof body,
             "{\"member_id\":\"M1001\",\"subscriber_id\":\"M1001\",\"group_id\":\"G100\","
             "\"relationship\":\"employee\",\"first_name\":\"Luis\",\"last_name\":\"Lopez\","
             "\"birth_date\":\"1975-09-14\",\"state\":\"FL\",\"student\":false,"
             "\"lives_with_employee\":true,\"married_on\":null,\"has_own_dependent\":true,"
             "\"handicapped_certified\":false,\"coverage\":[%s],\"medicare\":null,"
             "\"other_coverage\":[]}",
             span);
    free(test_call(d, "PUT", "/v1/members/M1001", admin, body, 200));
}

long long test_metric(const struct test_claimsd *d, const char *name_and_labels)
{
    struct test_response res;
    test_api(d, "GET", "/metrics", NULL, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    long long v = -1;
    size_t n = strlen(name_and_labels);
    for (const char *p = res.body; p && *p;) {
        if (strncmp(p, name_and_labels, n) == 0 && p[n] == ' ')
            v = atoll(p + n + 1);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    test_response_free(&res);
    return v;
}

long test_vm_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = atol(line + 6);
    fclose(f);
    ck_assert_int_gt(kib, 0);
    return kib;
}

void test_on_status(enum queue_status status, void *arg)
{
    struct test_status_answer *a = arg;
    a->done++;
    a->status = status;
}

void test_run_until(struct event_base *base, const int *done)
{
    for (int spin = 0; spin < 1000 && !*done; spin++)
        event_base_loop(base, EVLOOP_ONCE);
    ck_assert_msg(*done, "the call did not answer");
}

void test_claimsd_start_or_exit(struct test_claimsd *d, const char *const args[],
                                const char *const env[], const char *what)
{
    if (test_claimsd_start(d, args, env, NULL) != 0) {
        char *log = test_claimsd_log(d);
        fprintf(stderr, "claimsd did not start%s:\n%s\n", what, log);
        free(log);
        exit(2);
    }
}

char *test_pharmacy_claim(const char *member, const char *first, const char *last,
                          const char *birth, const char *fill_date, const char *ndc,
                          const char *charge, const char *extra)
{
    char *b = malloc(2048);
    ck_assert_ptr_nonnull(b);
    snprintf(
        b, 2048,
        "{\"type\":\"pharmacy\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
        "\"last_name\":\"%s\",\"birth_date\":\"%s\"},\"pharmacy\":{\"name\":\"Corner Drug #12\","
        "\"npi\":\"1245319599\",\"network\":\"in\"},\"ndc\":\"%s\",\"fill_date\":\"%s\","
        "\"drug_name\":\"Test drug\",\"quantity\":30,\"days_supply\":30,\"charge\":%s%s}",
        member, first, last, birth, ndc, fill_date, charge, extra ? extra : "");
    return b;
}

char *test_ana_pharmacy_claim(const char *fill_date, const char *charge)
{
    return test_pharmacy_claim("M1001-02", "Ana", "Lopez", "2015-06-10", fill_date, "0071-0155-23",
                               charge, NULL);
}

void test_put_g100_employee(const struct test_claimsd *d, const char *admin, const char *id,
                            const char *first, const char *last, const char *birth,
                            const char *ending, long want)
{
    char body[2048], path[512];
    snprintf(body, sizeof body,
             "{\"member_id\":\"%s\",\"subscriber_id\":\"%s\",\"group_id\":\"G100\","
             "\"relationship\":\"employee\",\"first_name\":\"%s\",\"last_name\":\"%s\","
             "\"birth_date\":\"%s\",\"state\":\"FL\",\"student\":false,"
             "\"lives_with_employee\":true,\"married_on\":null,\"has_own_dependent\":false,"
             "\"handicapped_certified\":false,\"coverage\":[{\"plan_id\":\"PPO-500\","
             "\"effective\":\"2020-01-01\",%s,\"kind\":\"active\"}],"
             "\"medicare\":null,\"other_coverage\":[]}",
             id, id, first, last, birth, ending ? ending : "\"termination_event\":null");
    snprintf(path, sizeof path, "/v1/members/%s", id);
    struct test_response res;
    test_api(d, "PUT", path, admin, body, NULL, &res);
    ck_assert_msg(want ? res.status == want : res.status == 200 || res.status == 201,
                  "PUT %s: %ld %s", path, res.status, res.body);
    test_response_free(&res);
}

int test_finals_in_history(const char *claim)
{
    int n = 0, len = test_json_len(claim, "history");
    for (int i = 0; i < len; i++) {
        char p[32];
        snprintf(p, sizeof p, "history.%d.status", i);
        const char *st = test_json_str(claim, p);
        n += strcmp(st, "approved") == 0 || strcmp(st, "denied") == 0;
    }
    return n;
}

long test_cents(const char *json, const char *path)
{
    return (long)(atof(test_json_str(json, path)) * 100 + 0.5);
}

long test_carc_cents(const char *claim, const char *carc)
{
    long sum = 0;
    for (int c = 0; c < test_json_len(claim, "decision.codes"); c++) {
        char p[64];
        snprintf(p, sizeof p, "decision.codes.%d.carc", c);
        if (strcmp(test_json_str(claim, p), carc) != 0)
            continue;
        snprintf(p, sizeof p, "decision.codes.%d.amount", c);
        sum += test_cents(claim, p);
    }
    return sum;
}

void test_redis_ok(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(r->type != REDIS_REPLY_ERROR, "%s: %s", fmt,
                  r->type == REDIS_REPLY_ERROR ? r->str : "");
    freeReplyObject(r);
}

void test_redis_text(redisContext *c, char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    ck_assert_ptr_nonnull(r);
    snprintf(out, size, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
}

void test_queue_open(struct test_queue *q, const struct test_redis *r, int shards)
{
    q->shards = shards;
    if (shards > 0)
        ck_assert_int_eq(queue_shards_configure(shards), 0);
    test_redis_flush(r);
    q->c = test_redis_connect(r);
    q->base = event_base_new();
    ck_assert_ptr_nonnull(q->base);
    q->rc = test_rconn_connect(q->base, r);
}

void test_queue_close(struct test_queue *q)
{
    queue_rconn_free(q->rc);
    event_base_free(q->base);
    redisFree(q->c);
    if (q->shards > 0)
        ck_assert_int_eq(queue_shards_configure(1), 0);
}

void test_on_fanout(enum queue_status status, long long read, long long made, const char *error,
                    void *arg)
{
    (void)error;
    struct test_fanout_answer *a = arg;
    a->done++;
    a->status = status;
    a->read = read;
    a->made = made;
}

void test_on_family(enum queue_status status, const struct queue_family *fam, void *arg)
{
    struct test_family_answer *a = arg;
    a->done++;
    a->status = status;
    if (!fam)
        return;
    a->n = fam->n;
    for (size_t i = 0; i < fam->n && i < 4; i++) {
        snprintf(a->ids[i], sizeof a->ids[i], "%s", fam->ids[i]);
        snprintf(a->records[i], sizeof a->records[i], "%s",
                 fam->records[i] ? fam->records[i] : "-");
    }
    snprintf(a->group, sizeof a->group, "%s", fam->group ? fam->group : "-");
    snprintf(a->added, sizeof a->added, "%s", fam->added ? fam->added : "-");
}

const char *test_sample_config(char *out, size_t size, const char *dir, const char *name,
                               const char *fmt, ...)
{
    char settings[1024], text[1536];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(settings, sizeof settings, fmt, ap);
    va_end(ap);
    ck_assert_msg(n >= 0 && (size_t)n < sizeof settings, "config settings too long");
    const char *config = getenv("CLAIMS_CONFIG_DIR");
    ck_assert_msg(config != NULL, "CLAIMS_CONFIG_DIR is not set");
    snprintf(text, sizeof text, "{\"seed_dir\": \"%s/sample\", %s}", config, settings);
    snprintf(out, size, "%s", test_write_file(dir, name, text));
    return out;
}

int test_load_config(const char *text, struct config *cfg, char *err)
{
    char dir[256];
    test_make_temp_dir(dir, "config");
    const char *path = test_write_file(dir, "c.json", text);
    config_defaults(cfg);
    err[0] = '\0';
    int rc = config_load_file(cfg, path, err);
    test_remove_tree(dir);
    return rc;
}

char *test_put_review_plan(const struct test_claimsd *d, const char *admin)
{
    char *plan = test_read_source("config/sample/plans/PPO-500.json");
    char *brace = strchr(plan, '{');
    ck_assert_ptr_nonnull(brace);
    char body[8192];
    snprintf(body, sizeof body, "{\"review_threshold\": 300.00, %s", brace + 1);
    free(plan);
    return test_call(d, "PUT", "/v1/plans/PPO-500", admin, body, 201);
}

unsigned test_rng(unsigned long long *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(*state >> 33);
}

bool test_after_bound(long long score, const char *bound)
{
    if (strcmp(bound, "-inf") == 0)
        return true;
    if (bound[0] == '(')
        return score > atoll(bound + 1);
    return score >= atoll(bound);
}
