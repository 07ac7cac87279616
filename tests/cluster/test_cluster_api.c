/*
 * claimsd on a Redis Cluster (issue 12, this step: one claims shard;
 * docs/operations.md "Running on a cluster"): a local cluster of 3 masters
 * and 3 replicas (tests/harness/cluster.c), claimsd started with
 * --redis-cluster, and the claim API end to end on it: submit, a worker
 * decides, the claim, its EOB and audit trail read back, search, the queue,
 * tokens (create, use, revoke), invitations, accounts and sign-in; the family
 * race (concurrent claims of one family, accumulators exact); a CLUSTER
 * FAILOVER of the master holding {c} during traffic (every claim answered 202
 * is finalized exactly once); the start-up refusal of a `shards` other than
 * the data's; a slot
 * without a master (its master and replica killed): 503 and one log line.
 */
#include <check.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "date.h"
#include "../harness/harness.h"
#include "queue/cluster.h"
#include "queue/scripts.h"

#define ADMIN "cluster-tests-bootstrap-admin-token-0123456789"

static struct test_cluster cluster;
static char pharmacy_id[64]; /* the flow test's claim, for the recovery test */
static struct test_claimsd server;
static char seeds[512], cfg_path[512];

static const char *const admin_env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};

/* The sample enrollment, no rate limits, quick recovery of a claim whose
 * worker lost its connection. */
static void write_config(const char *dir)
{
    test_sample_config(cfg_path, sizeof cfg_path, dir, "cluster.json",
                       "\"rate_limits\": null, \"claim_idle_timeout_ms\": 1000,"
                       " \"max_deliveries\": 20");
}

/* claimsd on the cluster with extra arguments; exits the binary when it
 * does not start. */
static void start(struct test_claimsd *d, const char *const extra[])
{
    test_claimsd_start_on_cluster(d, seeds, cfg_path, extra, admin_env);
}

static void setup(void)
{
    test_cluster_start(&cluster, true);
    test_cluster_seeds(&cluster, seeds, sizeof seeds);
    write_config(cluster.dir);
    start(&server, (const char *const[]){"--workers", "2", NULL});
}

static void teardown(void)
{
    test_claimsd_stop_clean(&server);
    test_cluster_stop(&cluster);
}

/* POST /v1/claims as admin; the status, and the claim id into id on 202.
 * Thread-safe (no test_json_str). */
static long submit(const char *body, char id[64])
{
    struct test_response res;
    char url[128];
    snprintf(url, sizeof url, "%s/v1/claims", server.base_url);
    const char *headers[] = {"Authorization: Bearer " ADMIN, "Content-Type: application/json",
                             NULL};
    if (test_http("POST", url, headers, body, &res) != 0)
        return -1;
    long status = res.status;
    id[0] = '\0';
    struct json_object *o = json_tokener_parse(res.body), *v = NULL;
    if (status == 202 && o && json_object_object_get_ex(o, "claim_id", &v))
        snprintf(id, 64, "%s", json_object_get_string(v));
    if (o)
        json_object_put(o);
    test_response_free(&res);
    return status;
}

/* GET /v1/claims/{id} as admin until its status is approved or denied;
 * the body (the caller frees it). */
/* Nothing was refused for its keys' slots (a script or command touching
 * keys of several slots: CROSSSLOT, or not sent at all), and no recovery
 * scan failed to read or store. */
static void assert_no_cross_slot(void)
{
    char *log = test_claimsd_log(&server);
    ck_assert_msg(!strstr(log, "CROSSSLOT") && !strstr(log, "several slots") &&
                      !strstr(log, "non local key") && !strstr(log, "recoveries scan not") &&
                      !strstr(log, "recoveries scan could not") &&
                      !strstr(log, "family claims read failed"),
                  "a command over several slots:\n%s", log);
    free(log);
}

struct burst {
    const char *member, *first, *birth;
    char ids[20][64];
};

static void *submit_burst(void *arg)
{
    struct burst *b = arg;
    for (int i = 0; i < 20; i++) {
        char date[32];
        snprintf(date, sizeof date, "2026-10-%02d", 1 + i);
        char *body = test_lab_claim(b->member, b->first, b->birth, date);
        long st = submit(body, b->ids[i]);
        if (st != 202)
            fprintf(stderr, "burst submission answered %ld\n", st);
        free(body);
    }
    return NULL;
}

START_TEST(test_family_race_spends_the_deductible_exactly_once)
{
    /* As tests/test_worker.c's race, on the cluster: 3 members × 20
     * in-network lab claims of $20.00 at once, decided by 2 + 4 workers in
     * two processes. The family deductible is $1,000: exactly $1,000.00 of
     * the $1,200.00 goes to it, 20 % of the remaining $200.00 is coinsurance. */
    struct test_claimsd more;
    start(&more, (const char *const[]){"--role", "worker", "--workers", "4", NULL});
    struct burst bursts[3] = {{"M1001", "Luis", "1975-09-14", {{0}}},
                              {"M1001-02", "Ana", "2015-06-10", {{0}}},
                              {"M1001-03", "Diego", "2003-01-20", {{0}}}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, submit_burst, &bursts[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    long deductible = 0, coinsurance = 0, paid = 0;
    for (int b = 0; b < 3; b++)
        for (int i = 0; i < 20; i++) {
            ck_assert_uint_eq(strlen(bursts[b].ids[i]), 36);
            char *claim =
                test_wait_claim(&server, ADMIN, bursts[b].ids[i], "approved|denied", 60 * 1000);
            ck_assert_str_eq(test_json_str(claim, "status"), "approved");
            deductible += test_carc_cents(claim, "1");
            coinsurance += test_carc_cents(claim, "2");
            paid += test_cents(claim, "decision.plan_paid");
            free(claim);
        }
    ck_assert_int_eq(deductible, 100000);
    ck_assert_int_eq(coinsurance, 4000);
    ck_assert_int_eq(paid, 16000);
    char out[64];
    test_cluster_on_key_master(&cluster, "claims:{c}acc:M1001:2026", out, sizeof out, "HGET %s %s",
                               "f:in:ded");
    ck_assert_str_eq(out, "100000");
    test_cluster_on_key_master(&cluster, "claims:{c}acc:M1001:2026", out, sizeof out, "HGET %s %s",
                               "f:in:oop");
    ck_assert_str_eq(out, "104000");
    ck_assert_int_eq(test_claimsd_stop(&more, SIGTERM), 0);
    test_remove_tree(more.dir);
}
END_TEST

START_TEST(test_claim_flow_submit_decide_read_eob_search_queue)
{
    char fill[16], id[64];
    char *body = test_ana_pharmacy_claim(test_days_ago(3, fill), "42.17");
    ck_assert_int_eq(submit(body, id), 202);
    free(body);
    snprintf(pharmacy_id, sizeof pharmacy_id, "%s", id);
    char *claim = test_wait_claim(&server, ADMIN, id, "approved|denied", 30 * 1000);
    /* Preferred brand: allowed = min(4.50 × 30, 42.17) = 42.17, copay 35.00. */
    ck_assert_str_eq(test_json_str(claim, "status"), "approved");
    ck_assert_str_eq(test_json_str(claim, "decision.allowed"), "42.17");
    ck_assert_str_eq(test_json_str(claim, "decision.plan_paid"), "7.17");
    ck_assert_str_eq(test_json_str(claim, "decision.patient_responsibility"), "35.00");
    ck_assert_str_eq(test_json_str(claim, "submitted.ndc"), "00071015523");
    ck_assert_int_eq(test_finals_in_history(claim), 1);
    free(claim);
    /* The claim's keys are on the master of {c}'s slot. */
    char key[128], out[64];
    snprintf(key, sizeof key, "claims:{c}claim:%s", id);
    test_cluster_on_key_master(&cluster, key, out, sizeof out, "HGET %s %s", "status");
    ck_assert_str_eq(out, "approved");

    char path[160];
    struct test_response res;
    snprintf(path, sizeof path, "/v1/claims/%s/eob", id);
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "version"), "1");
    ck_assert_str_eq(test_json_str(res.body, "totals.plan_paid"), "7.17");
    ck_assert_str_eq(test_json_str(res.body, "totals.patient_responsibility"), "35.00");
    ck_assert_str_eq(test_json_str(res.body, "subscriber.member_id"), "M1001");
    test_response_free(&res);

    snprintf(path, sizeof path, "/v1/claims/%s/audit", id);
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_ptr_nonnull(strstr(res.body, "\"claim.submit\""));
    test_response_free(&res);

    test_api(&server, "GET", "/v1/claims?member_id=M1001-02&type=pharmacy&status=approved", ADMIN,
             NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    int n = test_json_len(res.body, "claims");
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(test_json_str(res.body, "claims.0.claim_id"), id);
    test_response_free(&res);

    test_api(&server, "GET", "/v1/queue", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "depth"), "0");
    ck_assert_str_eq(test_json_str(res.body, "dead_lettered"), "0");
    ck_assert_str_eq(test_json_str(res.body, "finalized"), "61"); /* the race's 60 and this one */
    test_response_free(&res);

    /* Enrollment writes (a MULTI of keys on several slots) and reads. */
    char *member = test_read_source("config/sample/members/M1001-04.json");
    test_api(&server, "PUT", "/v1/members/M1001-04", ADMIN, member, NULL, &res);
    free(member);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    test_response_free(&res);
    test_api(&server, "GET", "/v1/members/M1001-04", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "subscriber_id"), "M1001");
    test_response_free(&res);
    test_cluster_on_key_master(&cluster, "claims:mref:M1001-04", out, sizeof out, "HGET %s %s",
                               "subscriber_id");
    ck_assert_str_eq(out, "M1001");
    test_cluster_on_key_master(&cluster, "claims:{c}family:M1001", out, sizeof out,
                               "SISMEMBER %s %s", "M1001-04");
    ck_assert_str_eq(out, "1");

    test_api(&server, "GET", "/readyz", NULL, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "redis"), "ok");
    test_response_free(&res);

    /* The shard count recorded at start. */
    test_cluster_on_key_master(&cluster, "claims:shards", out, sizeof out, "GET %s", "");
    ck_assert_str_eq(out, "1");
    assert_no_cross_slot();
}
END_TEST

/* PUT of the sample employee with one coverage span. */
START_TEST(test_retroactive_termination_finds_the_paid_claim_and_undoing_it_withdraws)
{
    /* The family's facts are read in steps on a cluster (queue/recoveries.c).
     * The employee leaves 40 days ago (covered to the end of that month):
     * the race's October lab claims stay covered, the flow's pharmacy claim
     * of 3 days ago (plan paid 7.17) is no longer. */
    ck_assert_uint_eq(strlen(pharmacy_id), 36);
    char ended[16], reported[16], span[256];
    snprintf(span, sizeof span,
             "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\",\"termination_event\":"
             "\"%s\",\"termination_reported_on\":\"%s\",\"kind\":\"active\"}",
             test_days_ago(40, ended), test_days_ago(5, reported));
    test_put_employee(&server, ADMIN, span);
    struct test_response res;
    test_api(&server, "GET", "/v1/recoveries", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_int_eq(test_json_len(res.body, "recoveries"), 1);
    ck_assert_str_eq(test_json_str(res.body, "recoveries.0.claim_id"), pharmacy_id);
    ck_assert_str_eq(test_json_str(res.body, "recoveries.0.member_id"), "M1001-02");
    ck_assert_str_eq(test_json_str(res.body, "recoveries.0.subscriber_id"), "M1001");
    ck_assert_str_eq(test_json_str(res.body, "recoveries.0.amount"), "7.17");
    ck_assert_str_eq(test_json_str(res.body, "recoveries.0.status"), "open");
    test_response_free(&res);
    /* Coverage restored: the recovery is withdrawn. */
    test_put_employee(&server, ADMIN,
                      "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
                      "\"termination_event\":null,\"kind\":\"active\"}");
    test_api(&server, "GET", "/v1/recoveries", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_int_eq(test_json_len(res.body, "recoveries"), 1);
    ck_assert_str_eq(test_json_str(res.body, "recoveries.0.status"), "withdrawn");
    test_response_free(&res);
    assert_no_cross_slot();
}
END_TEST

START_TEST(test_tokens_work_at_once_and_revocation_reaches_every_process)
{
    char staff[80], token_id[64];
    struct test_response res;
    test_api(&server, "POST", "/v1/tokens", ADMIN, "{\"role\":\"staff\"}", NULL, &res);
    ck_assert_int_eq(res.status, 201);
    snprintf(staff, sizeof staff, "%s", test_json_str(res.body, "token"));
    snprintf(token_id, sizeof token_id, "%s", test_json_str(res.body, "token_id"));
    test_response_free(&res);
    test_api(&server, "GET", "/v1/queue", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);
    /* A second process, started from another seed, has the token in its
     * cache: the revocation published by the first reaches it within the
     * 1 s of docs/operations.md "Token cache". */
    char other_seed[64];
    snprintf(other_seed, sizeof other_seed, "127.0.0.1:%d", cluster.port[2]);
    struct test_claimsd other;
    memset(&other, 0, sizeof other);
    ck_assert_int_eq(
        test_claimsd_start(&other,
                           (const char *const[]){"--redis-cluster", other_seed, "--config",
                                                 cfg_path, "--workers", "0", NULL},
                           admin_env, NULL),
        0);
    for (int i = 0; i < 50; i++) { /* until its subscription is up */
        char *log = test_claimsd_log(&other);
        bool up = strstr(log, "token revocations: subscribed") != NULL;
        free(log);
        if (up)
            break;
        test_sleep_ms(50);
    }
    test_api(&other, "GET", "/v1/queue", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);
    char path[128];
    snprintf(path, sizeof path, "/v1/tokens/%s", token_id);
    test_api(&server, "DELETE", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 204);
    test_response_free(&res);
    test_api(&server, "GET", "/v1/queue", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 401);
    test_response_free(&res);
    test_sleep_ms(1100);
    test_api(&other, "GET", "/v1/queue", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 401);
    test_response_free(&res);
    ck_assert_int_eq(test_claimsd_stop(&other, SIGTERM), 0);
    test_remove_tree(other.dir);
    test_api(&server, "DELETE", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 404);
    test_response_free(&res);
}
END_TEST

START_TEST(test_invitations_accounts_and_sign_in)
{
    struct test_response res;
    /* An invitation makes one account; a second use of the code is refused. */
    test_api(&server, "POST", "/v1/invitations", ADMIN,
             "{\"role\":\"member\",\"member_id\":\"M1001\"}", NULL, &res);
    ck_assert_int_eq(res.status, 201);
    char code[100], body[512];
    snprintf(code, sizeof code, "%s", test_json_str(res.body, "code"));
    test_response_free(&res);
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"username\":\"Luis.Lopez\",\"password\":\"violet tractor "
             "harbor 42\"}",
             code);
    test_api(&server, "POST", "/v1/accounts", NULL, body, NULL, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "username"), "luis.lopez");
    ck_assert_str_eq(test_json_str(res.body, "role"), "member");
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "M1001");
    test_response_free(&res);
    test_api(&server, "POST", "/v1/accounts", NULL, body, NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "code");
    test_response_free(&res);
    /* A taken username leaves the invitation usable. */
    test_api(&server, "POST", "/v1/invitations", ADMIN,
             "{\"role\":\"member\",\"member_id\":\"M1001-01\"}", NULL, &res);
    ck_assert_int_eq(res.status, 201);
    snprintf(code, sizeof code, "%s", test_json_str(res.body, "code"));
    test_response_free(&res);
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"username\":\"luis.lopez\",\"password\":\"violet tractor "
             "harbor 43\"}",
             code);
    test_api(&server, "POST", "/v1/accounts", NULL, body, NULL, &res);
    ck_assert_int_eq(res.status, 409);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "username_taken");
    test_response_free(&res);
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"username\":\"maria.lopez\",\"password\":\"violet tractor "
             "harbor 43\"}",
             code);
    test_api(&server, "POST", "/v1/accounts", NULL, body, NULL, &res);
    ck_assert_int_eq(res.status, 201);
    test_response_free(&res);

    /* Sign-in: a wrong password is counted (on the account's slot), the
     * right one gives a session that reads the family. */
    const char *wrong = "{\"username\":\"luis.lopez\",\"password\":\"not the password 1\"}";
    test_api(&server, "POST", "/v1/sessions", NULL, wrong, NULL, &res);
    ck_assert_int_eq(res.status, 401);
    test_response_free(&res);
    char out[64];
    test_cluster_on_key_master(&cluster, "claims:signin_fail:{claims:account:luis.lopez}", out,
                               sizeof out, "ZCARD %s", "");
    ck_assert_str_eq(out, "1");
    const char *right = "{\"username\":\"luis.lopez\",\"password\":\"violet tractor harbor 42\"}";
    test_api(&server, "POST", "/v1/sessions", NULL, right, NULL, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "M1001");
    char cookie[200], header[260];
    ck_assert(test_response_header(&res, "Set-Cookie", cookie, sizeof cookie));
    test_response_free(&res);
    test_cluster_on_key_master(&cluster, "claims:signin_fail:{claims:account:luis.lopez}", out,
                               sizeof out, "EXISTS %s", "");
    ck_assert_str_eq(out, "0");
    *strchr(cookie, ';') = '\0';
    snprintf(header, sizeof header, "Cookie: %s", cookie);
    test_api(&server, "GET", "/v1/me", NULL, NULL, header, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "M1001");
    /* The subscriber's family, read key by key on the cluster. */
    ck_assert_int_ge(test_json_len(res.body, "family"), 4);
    ck_assert_str_eq(test_json_str(res.body, "family.0.member_id"), "M1001");
    ck_assert_str_eq(test_json_str(res.body, "family.1.member_id"), "M1001-01");
    test_response_free(&res);
    assert_no_cross_slot();
}
END_TEST

struct account_try {
    char body[512];
    long status;
};

static void *try_account(void *arg)
{
    struct account_try *t = arg;
    char url[128];
    snprintf(url, sizeof url, "%s/v1/accounts", server.base_url);
    const char *headers[] = {"Content-Type: application/json", NULL};
    struct test_response res;
    t->status = test_http("POST", url, headers, t->body, &res) == 0 ? res.status : -1;
    if (t->status >= 0)
        test_response_free(&res);
    return NULL;
}

START_TEST(test_one_invitation_used_twice_at_once_makes_one_account)
{
    /* The invitation and the accounts are on different slots: the
     * invitation is held for the first account_put, so the second request
     * finds it used, whichever order the steps run in. */
    struct test_response res;
    test_api(&server, "POST", "/v1/invitations", ADMIN,
             "{\"role\":\"member\",\"member_id\":\"M1001-03\"}", NULL, &res);
    ck_assert_int_eq(res.status, 201);
    char code[100];
    snprintf(code, sizeof code, "%s", test_json_str(res.body, "code"));
    test_response_free(&res);
    struct account_try tries[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        snprintf(tries[i].body, sizeof tries[i].body,
                 "{\"code\":\"%s\",\"username\":\"diego.%d\",\"password\":\"violet tractor "
                 "harbor 5%d\"}",
                 code, i, i);
        pthread_create(&t[i], NULL, try_account, &tries[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(tries[0].status + tries[1].status, 201 + 422);
    ck_assert(tries[0].status == 201 || tries[1].status == 201);
    int made = tries[0].status == 201 ? 0 : 1;
    char key[64], out[64];
    snprintf(key, sizeof key, "claims:account:diego.%d", made);
    test_cluster_on_key_master(&cluster, key, out, sizeof out, "HGET %s %s", "member_id");
    ck_assert_str_eq(out, "M1001-03");
    snprintf(key, sizeof key, "claims:account:diego.%d", 1 - made);
    test_cluster_on_key_master(&cluster, key, out, sizeof out, "EXISTS %s", "");
    ck_assert_str_eq(out, "0");
}
END_TEST

struct traffic {
    atomic_bool stop;
    int n;
    char ids[400][64];
    int refused; /* 503s while the slot had no master */
};

/* Lab claims for members of two families, 202'd ids kept. */
static void *traffic_main(void *arg)
{
    struct traffic *t = arg;
    static const char *const who[][3] = {{"M3001", "Sam", "1990-02-02"},
                                         {"M4001", "Rosa", "1985-03-03"}};
    for (int i = 0; i < 400 && !atomic_load(&t->stop); i++) {
        char date[16];
        snprintf(date, sizeof date, "2026-%02d-%02d", 1 + (i / 28) % 11, 1 + i % 28);
        char *body = test_lab_claim(who[i % 2][0], who[i % 2][1], who[i % 2][2], date);
        char id[64];
        long st = submit(body, id);
        free(body);
        if (st == 202)
            snprintf(t->ids[t->n++], 64, "%s", id);
        else
            t->refused++;
        test_sleep_ms(10);
    }
    return NULL;
}

START_TEST(test_failover_of_the_claims_master_during_traffic_finalizes_each_claim_once)
{
    int slot = queue_cluster_key_slot("{c}", 3);
    int m = test_cluster_master_of_slot(&cluster, slot);
    int r = test_cluster_replica_of(&cluster, m);
    /* Intake reads the patient's member directory entry (unsharded) first:
     * its slot is in {c}'s range, on the same master. */
    const char *dir = "claims:mref:M1001-02";
    int dir_slot = queue_cluster_key_slot(dir, strlen(dir));
    ck_assert_int_eq(test_cluster_master_of_slot(&cluster, dir_slot), m);
    struct traffic *t = calloc(1, sizeof *t);
    pthread_t th;
    pthread_create(&th, NULL, traffic_main, t);
    while (t->n < 40)
        test_sleep_ms(20);
    char out[256];
    test_cluster_cmd(&cluster, r, out, sizeof out, "CLUSTER FAILOVER");
    ck_assert_str_eq(out, "OK");
    bool promoted = false;
    for (int i = 0; i < 200 && !promoted; i++) {
        promoted = test_cluster_master_of_slot(&cluster, slot) == r;
        if (!promoted)
            test_sleep_ms(50);
    }
    ck_assert_msg(promoted, "the replica did not take {c}'s slot over");
    int at_failover = t->n;
    while (t->n < at_failover + 40)
        test_sleep_ms(20);
    atomic_store(&t->stop, true);
    pthread_join(th, NULL);
    ck_assert_int_ge(t->n, 80);
    for (int i = 0; i < t->n; i++) {
        char *claim = test_wait_claim(&server, ADMIN, t->ids[i], "approved|denied", 90 * 1000);
        ck_assert_msg(test_finals_in_history(claim) == 1, "claim %s: %s", t->ids[i], claim);
        free(claim);
    }
    /* The promoted replica started with no scripts: the workers, which lost
     * their connections to the old master, loaded theirs on every master. */
    redisContext *c = redisConnect("127.0.0.1", cluster.port[r]);
    ck_assert(c && !c->err);
    redisReply *exists =
        redisCommand(c, "SCRIPT EXISTS %s %s", script_commit.sha, script_claim_start.sha);
    ck_assert_int_eq(exists->type, REDIS_REPLY_ARRAY);
    ck_assert_int_eq(exists->element[0]->integer, 1);
    ck_assert_int_eq(exists->element[1]->integer, 1);
    freeReplyObject(exists);
    redisFree(c);
    /* Nothing left open or dead-lettered, and the counters saw each claim once. */
    struct test_response res;
    test_api(&server, "GET", "/v1/queue", ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "depth"), "0");
    ck_assert_str_eq(test_json_str(res.body, "dead_lettered"), "0");
    char finalized[16];
    snprintf(finalized, sizeof finalized, "%d", 61 + t->n);
    ck_assert_str_eq(test_json_str(res.body, "finalized"), finalized);
    test_response_free(&res);
    free(t);
}
END_TEST

/* claimsd with config cfg (and the cluster): refused with exit status 2 and
 * `expect` in its log. */
static void assert_refused(const char *cfg, const char *expect)
{
    int pinned = test_claimsd_shards;
    test_claimsd_shards = 0; /* the count under test is cfg's own */
    struct test_claimsd d = {0};
    int status = -1;
    ck_assert_int_ne(test_claimsd_start(
                         &d, (const char *const[]){"--redis-cluster", seeds, "--config", cfg, NULL},
                         admin_env, &status),
                     0);
    ck_assert_int_eq(status, 2);
    char *log = test_claimsd_log(&d);
    ck_assert_ptr_nonnull(strstr(log, expect));
    free(log);
    test_remove_tree(d.dir);
    test_claimsd_shards = pinned;
}

START_TEST(test_a_shard_count_other_than_the_datas_is_refused_at_start)
{
    /* The data was laid out for one shard (recorded at the first start). */
    assert_refused(test_write_file(cluster.dir, "sixteen.json", "{\"shards\": 16}"),
                   "key \"shards\": the data in Redis was laid out for 1 shards, this "
                   "configuration says 16");

    /* A data set recorded for another count: refused, the key named. */
    char out[64];
    test_cluster_on_key_master(&cluster, "claims:shards", out, sizeof out, "SET %s %s", "16");
    ck_assert_str_eq(out, "OK");
    assert_refused(test_write_file(cluster.dir, "one.json", "{\"shards\": 1}"),
                   "key \"shards\": the data in Redis was laid out for 16 shards, this "
                   "configuration says 1");
    test_cluster_on_key_master(&cluster, "claims:shards", out, sizeof out, "SET %s %s", "1");
}
END_TEST

START_TEST(test_token_subscription_follows_slot_0s_master)
{
    /* Revocations and heartbeats are published on slot 0's master and
     * heard there; after a failover of that master the subscription moves
     * to the new one once the router's map shows it. */
    int m = test_cluster_master_of_slot(&cluster, 0);
    int r = test_cluster_replica_of(&cluster, m);
    char out[256];
    test_cluster_cmd(&cluster, r, out, sizeof out, "CLUSTER FAILOVER");
    ck_assert_str_eq(out, "OK");
    for (int i = 0; i < 200 && test_cluster_master_of_slot(&cluster, 0) != r; i++)
        test_sleep_ms(50);
    ck_assert_int_eq(test_cluster_master_of_slot(&cluster, 0), r);
    /* Tokens of random slots: some were on the old master, whose MOVED
     * refreshes the router's map. */
    const char *moved = NULL;
    char *log = NULL;
    for (int i = 0; i < 100 && !moved; i++) {
        char token[80];
        test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", token);
        struct test_response res;
        test_api(&server, "GET", "/v1/queue", token, NULL, NULL, &res);
        ck_assert_int_eq(res.status, 200);
        test_response_free(&res);
        free(log);
        log = test_claimsd_log(&server);
        moved = strstr(log, "token revocations: slot 0 has another master; subscribing there");
        if (!moved)
            test_sleep_ms(50);
    }
    ck_assert_msg(moved, "the subscription did not move to slot 0's new master");
    bool again = false;
    for (int i = 0; i < 100 && !again; i++) {
        free(log);
        log = test_claimsd_log(&server);
        moved = strstr(log, "subscribing there");
        again = strstr(moved, "token revocations: subscribed; the token cache is on") != NULL;
        if (!again)
            test_sleep_ms(50);
    }
    free(log);
    ck_assert_msg(again, "no subscription on slot 0's new master");
}
END_TEST

START_TEST(test_a_slot_without_a_master_is_one_log_line_and_503)
{
    /* {c}'s master and its replica both gone: nobody serves the slot (and,
     * with cluster-require-full-coverage, the cluster is down). */
    int slot = queue_cluster_key_slot("{c}", 3);
    int m = test_cluster_master_of_slot(&cluster, slot);
    int r = test_cluster_replica_of(&cluster, m);
    /* Intake reads the patient's member directory entry (unsharded) first:
     * its slot is in {c}'s range, on the same master. */
    const char *dir = "claims:mref:M1001-02";
    int dir_slot = queue_cluster_key_slot(dir, strlen(dir));
    ck_assert_int_eq(test_cluster_master_of_slot(&cluster, dir_slot), m);
    kill(cluster.pid[r], SIGKILL);
    kill(cluster.pid[m], SIGKILL);
    waitpid(cluster.pid[r], NULL, 0);
    waitpid(cluster.pid[m], NULL, 0);
    cluster.pid[r] = cluster.pid[m] = -1;
    char fill[16], id[64];
    char *body = test_ana_pharmacy_claim(test_days_ago(2, fill), "10.00");
    struct test_response res;
    test_api(&server, "POST", "/v1/claims", ADMIN, body, NULL, &res);
    free(body);
    ck_assert_int_eq(res.status, 503);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "unavailable");
    char retry[16];
    ck_assert(test_response_header(&res, "Retry-After", retry, sizeof retry));
    ck_assert_str_eq(retry, "1");
    test_response_free(&res);
    (void)id;
    char *log = test_claimsd_log(&server);
    char line[96];
    snprintf(line, sizeof line, "redis cluster: slot %d: ", slot);
    const char *at = strstr(log, line);
    if (!at) {
        snprintf(line, sizeof line, "redis cluster: slot %d: ", dir_slot);
        at = strstr(log, line);
    }
    ck_assert_msg(at, "no log line names slot %d or %d", slot, dir_slot);
    ck_assert_ptr_nonnull(strstr(at, "giving up (the request is answered 503)"));
    free(log);
}
END_TEST

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    queue_scripts_init(); /* the scripts' SHA-1s, to look for them on a promoted replica */
    Suite *s = suite_create("cluster_api");
    /* One cluster and one claimsd for the whole run, in this order: the
     * race needs the family's accumulators fresh, the failover goes last. */
    TCase *tc = tcase_create("claimsd_on_a_cluster");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_family_race_spends_the_deductible_exactly_once);
    tcase_add_test(tc, test_claim_flow_submit_decide_read_eob_search_queue);
    tcase_add_test(tc, test_retroactive_termination_finds_the_paid_claim_and_undoing_it_withdraws);
    tcase_add_test(tc, test_tokens_work_at_once_and_revocation_reaches_every_process);
    tcase_add_test(tc, test_invitations_accounts_and_sign_in);
    tcase_add_test(tc, test_one_invitation_used_twice_at_once_makes_one_account);
    tcase_add_test(tc, test_a_shard_count_other_than_the_datas_is_refused_at_start);
    tcase_add_test(tc, test_failover_of_the_claims_master_during_traffic_finalizes_each_claim_once);
    tcase_add_test(tc, test_token_subscription_follows_slot_0s_master);
    tcase_add_test(tc, test_a_slot_without_a_master_is_one_log_line_and_503);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_NOFORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
