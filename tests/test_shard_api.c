/*
 * The read side over 16 claims shards, end to end (issue 12, docs/operations.md
 * "What a read costs with N shards"): a claimsd with `"shards": 16` on one
 * redis-server, and again on a Redis Cluster of three masters, no workers (claims stay received),
 * 120 claims of 30 families filed through the API by staff (back-dated receipts, many overdue) and
 * by two providers. Every search paged to its end returns each claim it should exactly once, oldest
 * receipt first: all claims, a status, the overdue list, a provider's, a family's, a date range;
 * GET /v1/queue and /metrics sum the shards; a claim and its audit trail are read from its shard.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness/harness.h"

#define ADMIN "shard-api-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define NPI_B "1003000126"
#define FAMILIES 30
#define PER_FAMILY 4
#define N_CLAIMS (FAMILIES * PER_FAMILY)

static struct test_redis redis;
static struct test_cluster cluster;
static struct test_claimsd server;
static const char *const admin_env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};
static char staff[80], provider_a[80], provider_b[80];

struct filed {
    char id[64], family[16], received[16], target[16];
    int by; /* 0 staff, 1 provider A, 2 provider B */
};
static struct filed filed[N_CLAIMS];
static char today[16];

/* A pharmacy claim of the member: by staff received days_ago days ago, or
 * by a provider today. */
static void file_claim(struct filed *f, const char *member, int by, int days_ago)
{
    const char *token = by == 0 ? staff : by == 1 ? provider_a : provider_b;
    const char *npi = by == 2 ? NPI_B : NPI_A;
    char body[2048], fill[16], received[64] = "";
    date_t day = date_add_days(date_today(), -days_ago);
    date_format(date_add_days(day, -1), fill);
    if (by == 0) {
        char d[16];
        date_format(day, d);
        snprintf(received, sizeof received, "\"received_date\":\"%s\",", d);
    }
    snprintf(body, sizeof body,
             "{\"type\":\"pharmacy\",\"member_id\":\"%s\",%s\"patient\":{\"first_name\":\"Pat\","
             "\"last_name\":\"Shard\",\"birth_date\":\"1980-01-01\"},\"pharmacy\":{\"name\":"
             "\"Corner Drug #12\",\"npi\":\"%s\",\"network\":\"in\"},\"ndc\":"
             "\"0071-0155-23\",\"fill_date\":\"%s\",\"drug_name\":\"Test drug\",\"quantity\":30,"
             "\"days_supply\":30,\"charge\":42.17}",
             member, received, npi, fill);
    struct test_response res;
    test_api(&server, "POST", "/v1/claims", token, body, NULL, &res);
    ck_assert_msg(res.status == 202, "POST /v1/claims: %ld %s", res.status, res.body);
    snprintf(f->id, sizeof f->id, "%s", test_json_str(res.body, "claim_id"));
    snprintf(f->family, sizeof f->family, "%s", member);
    snprintf(f->received, sizeof f->received, "%s", test_json_str(res.body, "received_date"));
    snprintf(f->target, sizeof f->target, "%s", test_json_str(res.body, "target_date"));
    f->by = by;
    test_response_free(&res);
}

/* claimsd with 16 shards on redis_args ("--redis url" or "--redis-cluster
 * seeds"), no workers, the tokens, and the claims filed. */
static void start_and_file(const char *const redis_args[2], const char *dir)
{
    char cfg[512];
    test_sample_config(cfg, sizeof cfg, dir, "shards.json",
                       "\"rate_limits\": null, \"shards\": 16");
    const char *args[] = {redis_args[0], redis_args[1], "--config", cfg, "--workers", "0", NULL};
    memset(&server, 0, sizeof server);
    test_claimsd_start_or_exit(&server, args, admin_env, " with 16 shards");
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", provider_a);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_B "\"}", provider_b);
    date_format(date_today(), today);
    int n = 0;
    for (int fam = 0; fam < FAMILIES; fam++) {
        char member[16];
        snprintf(member, sizeof member, "S%04d", 100 + fam);
        test_put_g100_employee(&server, ADMIN, member, "Pat", "Shard", "1980-01-01", NULL, 0);
        /* Two back-dated by staff (5 to 44 days ago; one claim 60 days
         * ago, the oldest of all), one by each provider today. */
        file_claim(&filed[n++], member, 0, fam == 7 ? 60 : 5 + (fam * 7) % 40);
        file_claim(&filed[n++], member, 0, 5 + (fam * 11 + 3) % 40);
        file_claim(&filed[n++], member, 1, 0);
        file_claim(&filed[n++], member, 2, 0);
    }
}

static void setup_one_redis(void)
{
    test_redis_start(&redis);
    char dir[256];
    test_make_temp_dir(dir, "shard-api");
    start_and_file((const char *const[]){"--redis", redis.url}, dir);
    test_remove_tree(dir);
}

static void teardown_one_redis(void)
{
    ck_assert_int_eq(test_claimsd_stop(&server, SIGTERM), 0);
    test_remove_tree(server.dir);
    test_redis_stop(&redis);
}

/* The same on a Redis Cluster of three masters: the shards' requests go to
 * their masters through the router. */
static void setup_cluster(void)
{
    test_cluster_start(&cluster, false);
    char seeds[512];
    test_cluster_seeds(&cluster, seeds, sizeof seeds);
    start_and_file((const char *const[]){"--redis-cluster", seeds}, cluster.dir);
}

static void teardown_cluster(void)
{
    ck_assert_int_eq(test_claimsd_stop(&server, SIGTERM), 0);
    test_remove_tree(server.dir);
    test_cluster_stop(&cluster);
}

typedef bool (*filed_filter)(const struct filed *f);

/* Pages through GET path (a query without cursor) with token to the end: each
 * claim `want` accepts exactly once, none other, oldest receipt first. */
static void page_through(const char *token, const char *path, filed_filter want)
{
    bool seen[N_CLAIMS] = {false};
    char url[512], cursor[64] = "", last_received[16] = "";
    int got = 0, pages = 0;
    for (;;) {
        if (cursor[0])
            snprintf(url, sizeof url, "%s&cursor=%s", path, cursor);
        else
            snprintf(url, sizeof url, "%s", path);
        struct test_response res;
        test_api(&server, "GET", url, token, NULL, NULL, &res);
        ck_assert_msg(res.status == 200, "GET %s: %ld %s", url, res.status, res.body);
        int n = test_json_len(res.body, "claims");
        ck_assert_int_ge(n, 0);
        for (int i = 0; i < n; i++) {
            char at[64];
            snprintf(at, sizeof at, "claims.%d.claim_id", i);
            const char *id = test_json_str(res.body, at);
            int k = 0;
            while (k < N_CLAIMS && strcmp(filed[k].id, id) != 0)
                k++;
            ck_assert_msg(k < N_CLAIMS, "%s: unknown claim %s", path, id);
            ck_assert_msg(want(&filed[k]), "%s: claim %s should not be found", path, id);
            ck_assert_msg(!seen[k], "%s: claim %s found twice", path, id);
            seen[k] = true;
            got++;
            snprintf(at, sizeof at, "claims.%d.received_date", i);
            ck_assert_str_eq(test_json_str(res.body, at), filed[k].received);
            ck_assert_msg(strcmp(last_received, filed[k].received) <= 0,
                          "%s: %s received %s after %s", path, id, filed[k].received,
                          last_received);
            snprintf(last_received, sizeof last_received, "%s", filed[k].received);
        }
        snprintf(cursor, sizeof cursor, "%s", test_json_str(res.body, "next_cursor"));
        test_response_free(&res);
        ck_assert_int_lt(++pages, 500);
        if (!cursor[0])
            break;
    }
    int expected = 0;
    for (int k = 0; k < N_CLAIMS; k++)
        expected += want(&filed[k]);
    ck_assert_int_eq(got, expected);
}

static bool any(const struct filed *f)
{
    (void)f;
    return true;
}
static bool overdue(const struct filed *f)
{
    return strcmp(f->target, today) < 0;
}
static bool by_provider_a(const struct filed *f)
{
    return f->by == 1;
}
static bool of_s0107(const struct filed *f)
{
    return strcmp(f->family, "S0107") == 0;
}
static char range_from[16], range_to[16];
static bool in_range(const struct filed *f)
{
    return strcmp(f->received, range_from) >= 0 && strcmp(f->received, range_to) <= 0;
}

START_TEST(test_searches_over_sixteen_shards_find_every_claim_once_oldest_first)
{
    page_through(staff, "/v1/claims?limit=7", any);
    page_through(staff, "/v1/claims?limit=500", any);
    page_through(staff, "/v1/claims?status=received&limit=9", any);
    page_through(staff, "/v1/claims?overdue=true&limit=5", overdue);
    page_through(provider_a, "/v1/claims?limit=4", by_provider_a);
    page_through(staff, "/v1/claims?member_id=S0107&limit=1", of_s0107);
    date_format(date_add_days(date_today(), -30), range_from);
    date_format(date_add_days(date_today(), -10), range_to);
    char path[256];
    snprintf(path, sizeof path, "/v1/claims?received_from=%s&received_to=%s&limit=3", range_from,
             range_to);
    page_through(staff, path, in_range);
    int n_overdue = 0;
    for (int k = 0; k < N_CLAIMS; k++)
        n_overdue += overdue(&filed[k]);
    /* The load is really spread and some claims are overdue. */
    ck_assert_int_gt(n_overdue, 10);
    ck_assert_int_lt(n_overdue, N_CLAIMS);
}
END_TEST

START_TEST(test_the_queue_figures_and_metrics_sum_the_shards)
{
    int n_overdue = 0;
    const struct filed *oldest = &filed[0];
    for (int k = 0; k < N_CLAIMS; k++) {
        n_overdue += overdue(&filed[k]);
        if (strcmp(filed[k].target, oldest->target) < 0)
            oldest = &filed[k];
    }
    ck_assert_str_eq(oldest->family, "S0107"); /* the one claim of 60 days ago */
    struct test_response res;
    test_api(&server, "GET", "/v1/queue", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "depth"), "120");
    ck_assert_str_eq(test_json_str(res.body, "in_flight"), "0");
    ck_assert_str_eq(test_json_str(res.body, "pended"), "0");
    ck_assert_str_eq(test_json_str(res.body, "dead_lettered"), "0");
    char want[16];
    snprintf(want, sizeof want, "%d", n_overdue);
    ck_assert_str_eq(test_json_str(res.body, "overdue"), want);
    ck_assert_str_eq(test_json_str(res.body, "oldest_open_claim_id"), oldest->id);
    ck_assert_str_eq(test_json_str(res.body, "oldest_open_age_days"), "60");
    ck_assert_int_eq(test_json_len(res.body, "dead"), 0);
    test_response_free(&res);

    test_api(&server, "GET", "/metrics", NULL, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_ptr_nonnull(strstr(res.body, "\nclaimsd_queue_depth 120\n"));
    char line[64];
    snprintf(line, sizeof line, "\nclaimsd_claims_overdue %d\n", n_overdue);
    ck_assert_ptr_nonnull(strstr(res.body, line));
    test_response_free(&res);
}
END_TEST

START_TEST(test_a_claim_and_its_audit_trail_are_read_from_its_shard)
{
    for (int k = 0; k < N_CLAIMS; k += 37) {
        char path[256];
        snprintf(path, sizeof path, "/v1/claims/%.63s", filed[k].id);
        struct test_response res;
        test_api(&server, "GET", path, staff, NULL, NULL, &res);
        ck_assert_int_eq(res.status, 200);
        ck_assert_str_eq(test_json_str(res.body, "claim_id"), filed[k].id);
        ck_assert_str_eq(test_json_str(res.body, "member_id"), filed[k].family);
        ck_assert_str_eq(test_json_str(res.body, "target_date"), filed[k].target);
        test_response_free(&res);
        snprintf(path, sizeof path, "/v1/claims/%.63s/audit", filed[k].id);
        test_api(&server, "GET", path, staff, NULL, NULL, &res);
        ck_assert_int_eq(res.status, 200);
        /* Its filing, the read just before and this read of the trail, on
         * the claim's own trail. */
        ck_assert_str_eq(test_json_str(res.body, "claim_id"), filed[k].id);
        ck_assert_int_eq(test_json_len(res.body, "entries"), 3);
        ck_assert_str_eq(test_json_str(res.body, "entries.0.action"), "claim.submit");
        ck_assert_str_eq(test_json_str(res.body, "entries.0.role"),
                         filed[k].by ? "provider" : "staff");
        ck_assert_str_eq(test_json_str(res.body, "entries.1.action"), "claim.read");
        ck_assert_str_eq(test_json_str(res.body, "entries.2.action"), "claim.audit.read");
        test_response_free(&res);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shard_api");
    TCase *one = tcase_create("one_redis");
    tcase_add_unchecked_fixture(one, setup_one_redis, teardown_one_redis);
    TCase *cl = tcase_create("cluster");
    tcase_add_unchecked_fixture(cl, setup_cluster, teardown_cluster);
    TCase *cases[] = {one, cl};
    for (int i = 0; i < 2; i++) {
        tcase_set_timeout(cases[i], 240);
        tcase_add_test(cases[i],
                       test_searches_over_sixteen_shards_find_every_claim_once_oldest_first);
        tcase_add_test(cases[i], test_the_queue_figures_and_metrics_sum_the_shards);
        tcase_add_test(cases[i], test_a_claim_and_its_audit_trail_are_read_from_its_shard);
        suite_add_tcase(s, cases[i]);
    }
    return test_run_suite(s, CK_NOFORK) ? 1 : 0;
}
