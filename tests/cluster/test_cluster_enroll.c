/*
 * Enrollment on a Redis Cluster (issue 12, queue/members.h): a local
 * cluster of 3 masters (tests/harness/cluster.c) and claimsd started with
 * --redis-cluster, with one shard and with 16. A family's member records,
 * member set and version are on the family's shard, so an enrollment
 * event's compare-and-set is one script on one slot: POST
 * /v1/members/{id}/events answers 200 (a hire, a newborn added, a
 * termination), the records read back by member id through the unsharded
 * directory (GET /v1/members/{id}, GET /v1/eligibility, GET /v1/me), a
 * member moved by PUT to a family of another shard (16 shards) leaves the
 * old one, the keys are where docs/operations.md says, and no command
 * crossed slots.
 */
#include <check.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness/harness.h"
#include "queue/cluster.h"
#include "queue/shards.h"

#define ADMIN "cluster-enroll-bootstrap-admin-token-0123456789"

static struct test_cluster cluster;
static struct test_claimsd server;
static char seeds[512], cfg_path[512];
static int shards; /* claimsd's, and this process's layout for the key names */

static const char *const admin_env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};

/* A group of 25 employees without a waiting period. */
static const char *const GROUP =
    "{\"group_id\":\"G910\",\"name\":\"Pier Works\",\"state\":\"FL\",\"employee_count\":25,"
    "\"medicare_certification\":\"20_or_more\",\"dependent_to_30\":false,\"plan_id\":\"PPO-500\","
    "\"waiting_period_days\":0,\"leave_continuation\":false}";

static void setup(void)
{
    ck_assert_int_eq(queue_shards_configure(shards), 0);
    memset(&server, 0, sizeof server);
    memset(&cluster, 0, sizeof cluster);
    test_cluster_start(&cluster, false);
    test_cluster_seeds(&cluster, seeds, sizeof seeds);
    test_sample_config(cfg_path, sizeof cfg_path, cluster.dir, "enroll.json",
                       "\"rate_limits\": null, \"shards\": %d", shards);
    test_claimsd_start_on_cluster(&server, seeds, cfg_path,
                                  (const char *const[]){"--workers", "1", NULL}, admin_env);
}

static void setup_1(void)
{
    shards = 1;
    setup();
}

static void setup_16(void)
{
    shards = 16;
    setup();
}

static void teardown(void)
{
    test_claimsd_stop_clean(&server);
    test_cluster_stop(&cluster);
}

static void assert_no_cross_slot(void)
{
    char *log = test_claimsd_log(&server);
    ck_assert_msg(!strstr(log, "CROSSSLOT") && !strstr(log, "several slots") &&
                      !strstr(log, "non local key") && !strstr(log, "member directory"),
                  "a command over several slots, or a directory entry not written:\n%s", log);
    free(log);
}

/* A key of the family of subscriber_id: its shard's prefix, then rest. */
static void family_key(char *out, size_t size, const char *subscriber_id, const char *rest)
{
    snprintf(out, size, "%s%s", FAMILY_PREFIX("claims:", subscriber_id), rest);
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
    char out[256], key[256];
    test_cluster_on_key_master(&cluster, "claims:mref:E910-02", out, sizeof out, "HGET %s %s",
                               "subscriber_id");
    ck_assert_str_eq(out, "E910");
    test_cluster_on_key_master(&cluster, "claims:mref:E910-02", out, sizeof out, "HGET %s %s",
                               "plan_id");
    ck_assert_str_eq(out, "PPO-500");
    family_key(key, sizeof key, "E910", "family:E910");
    test_cluster_on_key_master(&cluster, key, out, sizeof out, "SISMEMBER %s %s", "E910-02");
    ck_assert_str_eq(out, "1");
    family_key(key, sizeof key, "E910", "member:E910-02");
    test_cluster_on_key_master(&cluster, key, out, sizeof out, "EXISTS %s%s", "");
    ck_assert_str_eq(out, "1");
    family_key(key, sizeof key, "E910", "famver:E910");
    test_cluster_on_key_master(&cluster, key, out, sizeof out, "GET %s%s", "");
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
    test_cluster_on_key_master(&cluster, key, out, sizeof out, "GET %s%s", "");
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

/* An employee whose family is on another shard than E910's when there are
 * several (E92x, the first that is). */
static void other_family(char id[16])
{
    for (int i = 0; i < 100; i++) {
        snprintf(id, 16, "E92%d", i);
        if (shards == 1 || queue_shard_of_family(id) != queue_shard_of_family("E910"))
            return;
    }
    ck_abort_msg("no family on another shard");
}

START_TEST(test_a_member_moved_to_another_family_leaves_the_old_one)
{
    char other[16], body[1024], path[64], out[256], key[256];
    other_family(other);
    snprintf(body, sizeof body,
             "{\"event\":\"hire\",\"date\":\"2026-01-05\",\"reported_on\":\"2026-01-06\","
             "\"member\":{\"member_id\":\"%s\",\"subscriber_id\":\"%s\",\"group_id\":\"G910\","
             "\"relationship\":\"employee\",\"first_name\":\"Ines\",\"last_name\":\"Mora\","
             "\"birth_date\":\"1986-05-02\",\"state\":\"FL\"}}",
             other, other);
    struct test_response res;
    event_ok(other, body, &res);
    test_response_free(&res);
    /* The newborn's record, now in the other family. */
    test_api(&server, "GET", "/v1/members/E910-02", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    struct json_object *rec = json_tokener_parse(res.body);
    test_response_free(&res);
    ck_assert_ptr_nonnull(rec);
    json_object_object_add(rec, "subscriber_id", json_object_new_string(other));
    json_object_object_del(rec, "history");
    snprintf(path, sizeof path, "/v1/members/E910-02");
    test_api(&server, "PUT", path, ADMIN, json_object_to_json_string(rec), NULL, &res);
    json_object_put(rec);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    test_response_free(&res);
    test_api(&server, "GET", "/v1/members/E910-02", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "subscriber_id"), other);
    test_response_free(&res);
    test_cluster_on_key_master(&cluster, "claims:mref:E910-02", out, sizeof out, "HGET %s %s",
                               "subscriber_id");
    ck_assert_str_eq(out, other);
    family_key(key, sizeof key, other, "member:E910-02");
    test_cluster_on_key_master(&cluster, key, out, sizeof out, "EXISTS %s%s", "");
    ck_assert_str_eq(out, "1");
    snprintf(path, sizeof path, "family:%s", other);
    family_key(key, sizeof key, other, path);
    test_cluster_on_key_master(&cluster, key, out, sizeof out, "SISMEMBER %s %s", "E910-02");
    ck_assert_str_eq(out, "1");
    family_key(key, sizeof key, "E910", "family:E910");
    test_cluster_on_key_master(&cluster, key, out, sizeof out, "SISMEMBER %s %s", "E910-02");
    ck_assert_str_eq(out, "0");
    if (shards > 1) {
        family_key(key, sizeof key, "E910", "member:E910-02");
        test_cluster_on_key_master(&cluster, key, out, sizeof out, "EXISTS %s%s", "");
        ck_assert_str_eq(out, "0");
    }
    assert_no_cross_slot();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cluster_enroll");
    TCase *one = tcase_create("one_shard");
    tcase_add_unchecked_fixture(one, setup_1, teardown);
    tcase_set_timeout(one, 300);
    tcase_add_test(one, test_member_events_on_a_cluster_answer_200_and_read_back_by_id);
    tcase_add_test(one, test_a_member_moved_to_another_family_leaves_the_old_one);
    suite_add_tcase(s, one);
    TCase *many = tcase_create("16_shards");
    tcase_add_unchecked_fixture(many, setup_16, teardown);
    tcase_set_timeout(many, 300);
    tcase_add_test(many, test_member_events_on_a_cluster_answer_200_and_read_back_by_id);
    tcase_add_test(many, test_a_member_moved_to_another_family_leaves_the_old_one);
    suite_add_tcase(s, many);
    return test_run_suite(s, CK_NOFORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
