/*
 * Enrollment on a Redis Cluster (issue 12, queue/members.h): a local
 * cluster of 3 masters (tests/harness/cluster.c) and claimsd started with
 * --redis-cluster. A family's member records, member set and version are on
 * the family's shard, so an enrollment event's compare-and-set is one script
 * on one slot: POST /v1/members/{id}/events answers 200 (a hire, a newborn
 * added, a termination), the records read back by member id through the
 * unsharded directory (GET /v1/members/{id}, GET /v1/eligibility, GET
 * /v1/me), the keys are where docs/operations.md says, and no command
 * crossed slots.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness/harness.h"
#include "queue/cluster.h"

#define ADMIN "cluster-enroll-bootstrap-admin-token-0123456789"

static struct test_cluster cluster;
static struct test_claimsd server;
static char seeds[512], cfg_path[512];

static const char *const admin_env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};

/* A group of 25 employees without a waiting period. */
static const char *const GROUP =
    "{\"group_id\":\"G910\",\"name\":\"Pier Works\",\"state\":\"FL\",\"employee_count\":25,"
    "\"medicare_certification\":\"20_or_more\",\"dependent_to_30\":false,\"plan_id\":\"PPO-500\","
    "\"waiting_period_days\":0,\"leave_continuation\":false}";

static void setup(void)
{
    test_cluster_start(&cluster, false);
    test_cluster_seeds(&cluster, seeds, sizeof seeds);
    char text[1024];
    snprintf(text, sizeof text, "{\"seed_dir\": \"%s/sample\", \"rate_limits\": null}",
             getenv("CLAIMS_CONFIG_DIR"));
    snprintf(cfg_path, sizeof cfg_path, "%s", test_write_file(cluster.dir, "enroll.json", text));
    const char *args[] = {"--redis-cluster", seeds, "--config", cfg_path, "--workers", "1", NULL};
    if (test_claimsd_start(&server, args, admin_env, NULL) != 0) {
        char *log = test_claimsd_log(&server);
        fprintf(stderr, "claimsd did not start on the cluster:\n%s\n", log);
        free(log);
        exit(2);
    }
}

static void teardown(void)
{
    int status = test_claimsd_stop(&server, SIGTERM);
    if (status != 0) {
        char *log = test_claimsd_log(&server);
        fprintf(stderr, "claimsd exited %d at teardown; its log:\n%s\n", status, log);
        free(log);
        exit(1);
    }
    test_remove_tree(server.dir);
    test_cluster_stop(&cluster);
}

/* A command on the master that holds key now; the reply as text. */
static void on_key_master(const char *key, char *out, size_t size, const char *fmt, const char *arg)
{
    int m = test_cluster_master_of_slot(&cluster, cluster_key_slot(key, strlen(key)));
    test_cluster_cmd(&cluster, m, out, size, fmt, key, arg);
}

static void assert_no_cross_slot(void)
{
    char *log = test_claimsd_log(&server);
    ck_assert_msg(!strstr(log, "CROSSSLOT") && !strstr(log, "several slots") &&
                      !strstr(log, "non local key") && !strstr(log, "member directory"),
                  "a command over several slots, or a directory entry not written:\n%s", log);
    free(log);
}

static void event_ok(const char *member_id, const char *body, struct test_response *res)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/members/%s/events", member_id);
    test_api(&server, "POST", path, ADMIN, body, NULL, res);
    ck_assert_msg(res->status == 200, "%s: %ld %s", body, res->status, res->body);
}

START_TEST(test_member_events_on_a_cluster_answer_200_and_read_back_by_id)
{
    struct test_response res;
    test_api(&server, "PUT", "/v1/groups/G910", ADMIN, GROUP, NULL, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    test_response_free(&res);

    event_ok("E910",
             "{\"event\":\"hire\",\"date\":\"2026-01-05\",\"reported_on\":\"2026-01-06\","
             "\"member\":{\"member_id\":\"E910\",\"subscriber_id\":\"E910\",\"group_id\":\"G910\","
             "\"relationship\":\"employee\",\"first_name\":\"Rosa\",\"last_name\":\"Vega\","
             "\"birth_date\":\"1984-02-11\",\"state\":\"FL\"}}",
             &res);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "E910");
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.effective"), "2026-01-05");
    test_response_free(&res);

    /* A newborn added to the family. */
    event_ok("E910",
             "{\"event\":\"newborn\",\"date\":\"2026-04-01\",\"reported_on\":\"2026-04-10\","
             "\"member\":{\"member_id\":\"E910-02\",\"subscriber_id\":\"E910\","
             "\"group_id\":\"G910\",\"relationship\":\"child\",\"first_name\":\"Lena\","
             "\"last_name\":\"Vega\",\"birth_date\":\"2026-04-01\",\"state\":\"FL\","
             "\"lives_with_employee\":true}}",
             &res);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "E910-02");
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.effective"), "2026-04-01");
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.plan_id"), "PPO-500");
    test_response_free(&res);

    /* Read back by member id, through the directory. */
    test_api(&server, "GET", "/v1/members/E910-02", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "subscriber_id"), "E910");
    ck_assert_str_eq(test_json_str(res.body, "first_name"), "Lena");
    test_response_free(&res);

    /* The keys: records, set and version under the family's tag (one shard:
     * "{c}"), the directory unsharded. */
    char out[256];
    on_key_master("claims:mref:E910-02", out, sizeof out, "HGET %s %s", "subscriber_id");
    ck_assert_str_eq(out, "E910");
    on_key_master("claims:mref:E910-02", out, sizeof out, "HGET %s %s", "plan_id");
    ck_assert_str_eq(out, "PPO-500");
    on_key_master("claims:{c}family:E910", out, sizeof out, "SISMEMBER %s %s", "E910-02");
    ck_assert_str_eq(out, "1");
    on_key_master("claims:{c}member:E910-02", out, sizeof out, "EXISTS %s%s", "");
    ck_assert_str_eq(out, "1");
    on_key_master("claims:{c}famver:E910", out, sizeof out, "GET %s%s", "");
    ck_assert_str_eq(out, "2:event");

    /* The employment ends: the whole family's coverage ends with it. */
    event_ok("E910",
             "{\"event\":\"termination\",\"date\":\"2026-08-20\",\"reported_on\":\"2026-08-21\"}",
             &res);
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.termination_event"), "2026-08-20");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/members/E910-02", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.termination_event"), "2026-08-20");
    test_response_free(&res);
    on_key_master("claims:{c}famver:E910", out, sizeof out, "GET %s%s", "");
    ck_assert_str_eq(out, "3:event");

    /* Eligibility by member id (its own record, group and plan). */
    test_api(&server, "GET", "/v1/eligibility?member_id=E910-02&date=2026-05-01", ADMIN, NULL, NULL,
             &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "covered"), "true");
    ck_assert_str_eq(test_json_str(res.body, "plan_id"), "PPO-500");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/eligibility?member_id=E910-02&date=2026-09-01", ADMIN, NULL, NULL,
             &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "covered"), "false");
    ck_assert_str_eq(test_json_str(res.body, "reason.carc"), "27");
    test_response_free(&res);

    /* GET /v1/me of the subscriber: the family from the family's shard. */
    char token[80];
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"E910\"}", token);
    test_api(&server, "GET", "/v1/me", token, NULL, NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "E910");
    ck_assert_str_eq(test_json_str(res.body, "subscriber_id"), "E910");
    ck_assert_int_eq(test_json_len(res.body, "family"), 2);
    ck_assert_str_eq(test_json_str(res.body, "family.0.member_id"), "E910");
    ck_assert_str_eq(test_json_str(res.body, "family.1.member_id"), "E910-02");
    test_response_free(&res);
    assert_no_cross_slot();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cluster_enroll");
    TCase *tc = tcase_create("enrollment_on_a_cluster");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_member_events_on_a_cluster_answer_200_and_read_back_by_id);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_NOFORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
