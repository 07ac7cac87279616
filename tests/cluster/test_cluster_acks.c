/*
 * replica_acks on a Redis Cluster (issue 12; docs/operations.md "Running on
 * a cluster"): a local cluster of 3 masters and 3 replicas
 * (tests/harness/cluster.c), claimsd with --redis-cluster and
 * --replica-acks 1. Claims are answered 202 only once the replica of the
 * master that holds {c} has them (WAIT goes to the master the intake
 * script ran on, through the router), and every one is finalized once; with
 * that replica stopped, intake is answered 503 and the worker's commit is
 * counted short; with it back, the retry with the same Idempotency-Key gets
 * the same single claim.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "../harness/harness.h"
#include "queue/cluster.h"

#define ADMIN "cluster-acks-bootstrap-admin-token-0123456789"
#define WAIT_MS 400 /* replica_acks_timeout_ms of these tests */
#define IDX_ALL "claims:{c}idx:all"

static struct test_cluster cluster;
static struct test_claimsd server;
static int claims_master, claims_replica; /* the nodes holding {c}, and its replica */

static const char *const admin_env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};

static void setup(void)
{
    test_cluster_start(&cluster, true);
    char seeds[512], path[512];
    test_cluster_seeds(&cluster, seeds, sizeof seeds);
    test_sample_config(path, sizeof path, cluster.dir, "acks.json",
                       "\"rate_limits\": null, \"replica_acks_timeout_ms\": %d", WAIT_MS);
    const char *args[] = {"--redis-cluster", seeds, "--config", path, "--replica-acks", "1",
                          "--workers",       "2",   NULL};
    memset(&server, 0, sizeof server);
    test_claimsd_start_or_exit(&server, args, admin_env, " on the cluster");
    claims_master =
        test_cluster_master_of_slot(&cluster, queue_cluster_key_slot(IDX_ALL, strlen(IDX_ALL)));
    claims_replica = test_cluster_replica_of(&cluster, claims_master);
}

static void teardown(void)
{
    kill(cluster.pid[claims_replica], SIGCONT);
    test_claimsd_stop_clean(&server);
    test_cluster_stop(&cluster);
}

/* A pharmacy claim of Ana (M1001-02), filled n days ago. */
static char *pharmacy(int n)
{
    char fill[16];
    return test_ana_pharmacy_claim(test_days_ago(n, fill), "42.17");
}

/* POST /v1/claims as admin with an Idempotency-Key: the status, and the
 * claim id into id on 202. */
static long submit(const char *body, const char *key, char id[64])
{
    char header[128];
    snprintf(header, sizeof header, "Idempotency-Key: %s", key);
    struct test_response res;
    test_api(&server, "POST", "/v1/claims", ADMIN, body, header, &res);
    long status = res.status;
    snprintf(id, 64, "%s", status == 202 ? test_json_str(res.body, "claim_id") : "");
    if (status == 503) {
        char retry[8] = "";
        ck_assert_str_eq(test_json_str(res.body, "error.code"), "unavailable");
        ck_assert(test_response_header(&res, "Retry-After", retry, sizeof retry));
        ck_assert_str_eq(retry, "1");
    }
    test_response_free(&res);
    return status;
}

/* EXISTS of a claims key on the replica of {c}'s master (READONLY: a
 * replica answers reads of its master's slots). */
static long long exists_on_replica(const char *fmt, const char *id)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", cluster.port[claims_replica], tv);
    ck_assert(c && !c->err);
    redisReply *r = redisCommand(c, "READONLY");
    ck_assert(r && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    char key[160];
    snprintf(key, sizeof key, fmt, id);
    r = redisCommand(c, "EXISTS %s", key);
    ck_assert_msg(r && r->type == REDIS_REPLY_INTEGER, "EXISTS on the replica: %s",
                  r && r->str ? r->str : "no answer");
    long long n = r->integer;
    freeReplyObject(r);
    redisFree(c);
    return n;
}

/* ZCARD of every claim's index on {c}'s master. */
static long long claims_on_master(void)
{
    char out[32];
    test_cluster_cmd(&cluster, claims_master, out, sizeof out, "ZCARD %s", IDX_ALL);
    return atoll(out);
}

static void assert_final_once(const char *id)
{
    char *claim = test_wait_claim(&server, ADMIN, id, "approved|denied", 30 * 1000);
    /* Preferred brand: allowed min(4.50 × 30, 42.17) = 42.17, copay 35.00. */
    ck_assert_str_eq(test_json_str(claim, "status"), "approved");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "7.17");
    ck_assert_str_eq(test_json_str(claim, "decision.patient_responsibility"), "35.00");
    ck_assert_int_eq(test_finals_in_history(claim), 1);
    free(claim);
}

START_TEST(test_claims_pass_once_the_replica_has_them_and_are_finalized_once)
{
    char ids[5][64];
    for (int i = 0; i < 5; i++) {
        char *body = pharmacy(3 + i), key[32];
        snprintf(key, sizeof key, "acks-pass-%d", i);
        ck_assert_int_eq(submit(body, key, ids[i]), 202);
        free(body);
        /* At the 202, the replica of {c}'s master holds the claim. */
        ck_assert_int_eq(exists_on_replica("claims:{c}claim:%s", ids[i]), 1);
        ck_assert_int_eq(exists_on_replica("claims:{c}body:%s", ids[i]), 1);
    }
    for (int i = 0; i < 5; i++)
        assert_final_once(ids[i]);
    ck_assert_int_eq(claims_on_master(), 5);
    ck_assert_int_eq(test_metric(&server, "claimsd_replica_acks_short_total{step=\"intake\"}"), 0);
    ck_assert_int_eq(test_metric(&server, "claimsd_replica_acks_short_total{step=\"commit\"}"), 0);
}
END_TEST

START_TEST(test_without_the_replica_503_then_the_retry_gets_the_same_single_claim)
{
    ck_assert_int_eq(kill(cluster.pid[claims_replica], SIGSTOP), 0);
    char *body = pharmacy(10), id[64];
    ck_assert_int_eq(submit(body, "acks-short", id), 503);
    ck_assert_int_eq(claims_on_master(), 6); /* stored on the master all the same */
    ck_assert_int_eq(test_metric(&server, "claimsd_replica_acks_short_total{step=\"intake\"}"), 1);
    long long commits = -1;
    for (int i = 0; i < 50 && commits != 1; i++) {
        commits = test_metric(&server, "claimsd_replica_acks_short_total{step=\"commit\"}");
        if (commits != 1)
            test_sleep_ms(100);
    }
    ck_assert_int_eq(commits, 1);
    ck_assert_int_eq(kill(cluster.pid[claims_replica], SIGCONT), 0);
    long status = 503;
    for (int i = 0; i < 50 && status == 503; i++) {
        status = submit(body, "acks-short", id);
        if (status == 503)
            test_sleep_ms(100);
    }
    ck_assert_int_eq(status, 202);
    ck_assert_int_eq(claims_on_master(), 6);
    ck_assert_int_eq(exists_on_replica("claims:{c}claim:%s", id), 1);
    assert_final_once(id);
    char again[64];
    ck_assert_int_eq(submit(body, "acks-short", again), 202);
    ck_assert_str_eq(again, id);
    ck_assert_int_eq(claims_on_master(), 6);
    free(body);
}
END_TEST

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    Suite *s = suite_create("cluster_acks");
    TCase *tc = tcase_create("replica_acks_on_a_cluster");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_claims_pass_once_the_replica_has_them_and_are_finalized_once);
    tcase_add_test(tc, test_without_the_replica_503_then_the_retry_gets_the_same_single_claim);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_NOFORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
