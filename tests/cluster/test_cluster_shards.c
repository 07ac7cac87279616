/*
 * Claims on several shards on a Redis Cluster (issue 12, docs/operations.md
 * "Running on a cluster"): three masters, claimsd with `"shards": 16`, and a
 * load spread over many families. Each family's claims live on its shard
 * (the claim hash, its family's version and accumulators all under the
 * shard's hash tag), the shards spread over the masters, so the keys of a
 * spread load land on every master, and every claim is decided.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness/harness.h"
#include "date.h"
#include "queue/cluster.h"

#define ADMIN "cluster-shards-bootstrap-admin-token-0123456789"
#define FAMILIES 24

static struct test_cluster cluster;
static struct test_claimsd server;
static char seeds[512];

static const char *const admin_env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};

static void setup(void)
{
    test_cluster_start(&cluster, false);
    test_cluster_seeds(&cluster, seeds, sizeof seeds);
    char cfg[512];
    test_sample_config(cfg, sizeof cfg, cluster.dir, "shards.json",
                       "\"rate_limits\": null, \"shards\": 16");
    test_claimsd_start_on_cluster(&server, seeds, cfg,
                                  (const char *const[]){"--workers", "2", NULL}, admin_env);
}

static void teardown(void)
{
    ck_assert_int_eq(test_claimsd_stop(&server, SIGTERM), 0);
    test_remove_tree(server.dir);
    test_cluster_stop(&cluster);
}

/* A pharmacy claim for the member filed yesterday; its id into id. */
static void submit(const char *member, char id[64])
{
    char fill[16];
    char *body = test_pharmacy_claim(member, "Pat", "Shard", "1980-01-01", test_days_ago(1, fill),
                                     "0071-0155-23", "42.17", NULL);
    test_submit_claim(&server, ADMIN, body, id);
    free(body);
}

/* The hash tag of a key ("{c3.17}"), into tag. */
static void tag_of(const char *key, char *tag, size_t size)
{
    const char *open = strchr(key, '{'), *close = open ? strchr(open, '}') : NULL;
    ck_assert_ptr_nonnull(close);
    snprintf(tag, size, "%.*s", (int)(close - open + 1), open);
}

START_TEST(test_a_spread_load_lands_on_every_master_and_is_decided)
{
    char members[FAMILIES][16], ids[FAMILIES][64];
    for (int i = 0; i < FAMILIES; i++) {
        snprintf(members[i], sizeof members[i], "S%04d", 100 + i);
        test_put_g100_employee(&server, ADMIN, members[i], "Pat", "Shard", "1980-01-01", NULL, 0);
    }
    for (int i = 0; i < FAMILIES; i++)
        submit(members[i], ids[i]);

    /* Every claim decided: its hash found on its family's shard, approved,
     * and the family's version and accumulators under the same tag. */
    int on_master[TEST_CLUSTER_MASTERS] = {0};
    for (int i = 0; i < FAMILIES; i++) {
        char key[512], out[256], tag[64];
        int found = -1;
        for (int m = 0; m < TEST_CLUSTER_MASTERS && found < 0; m++) {
            char pattern[2048];
            snprintf(pattern, sizeof pattern, "claims:*claim:%s", ids[i]);
            test_cluster_cmd(&cluster, m, out, sizeof out, "EVAL %s 0 %s",
                             "return redis.call('KEYS', ARGV[1])[1] or ''", pattern);
            if (out[0]) {
                found = m;
                snprintf(key, sizeof key, "%s", out);
            }
        }
        ck_assert_msg(found >= 0, "claim %s not stored on any master", ids[i]);
        on_master[found]++;
        for (int k = 0; k < 100; k++) {
            test_cluster_on_key_master(&cluster, key, out, sizeof out, "HGET %s %s", "status");
            if (strcmp(out, "approved") == 0)
                break;
            test_sleep_ms(100);
        }
        ck_assert_str_eq(out, "approved");
        tag_of(key, tag, sizeof tag);
        char k_ver[1024], k_acc[1024];
        snprintf(k_ver, sizeof k_ver, "claims:%sfamver:%s", tag, members[i]);
        test_cluster_on_key_master(&cluster, k_ver, out, sizeof out, "EXISTS %s", "");
        ck_assert_str_eq(out, "1");
        snprintf(k_acc, sizeof k_acc, "claims:%sacc:%s:%d", tag, members[i],
                 date_year(date_add_days(date_today(), -1)));
        test_cluster_on_key_master(&cluster, k_acc, out, sizeof out, "EXISTS %s", "");
        ck_assert_str_eq(out, "1");
    }
    for (int m = 0; m < TEST_CLUSTER_MASTERS; m++) {
        printf("master %d holds %d of the %d claims\n", m, on_master[m], FAMILIES);
        ck_assert_int_gt(on_master[m], 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cluster_shards");
    TCase *tc = tcase_create("shards");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_a_spread_load_lands_on_every_master_and_is_decided);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_NOFORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
