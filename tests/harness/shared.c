/*
 * Helpers more than one suite needs (declared in harness.h): test dates, one
 * API call checked or not, waiting for a claim's status, the end-to-end
 * teardown, sample bodies (a lab claim, the employee's record), a metric's
 * value, a process's memory, and the answer of an asynchronous queue/ call.
 * Each lives here once instead of a copy per test file.
 */
#include "harness.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
