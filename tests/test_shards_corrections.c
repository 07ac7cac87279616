/*
 * Corrections, staff review, appeals and recoveries with the claims split
 * into 16 shards (issue 12, docs/operations.md "Redis Cluster"), on one Redis
 * and on a Redis Cluster of three masters (where a script whose keys span
 * slots is refused): a real claimsd with `"shards": 16` and families chosen
 * so that each lives on another shard. Every write lands on its claim's (its
 * family's) shard: the claim, its appeal, its recovery, the family's
 * version and accumulators, the shard's work stream; appeal and recovery ids
 * name their claim's shard, so they are found from the id alone. The lists
 * (GET /v1/review, /v1/appeals, /v1/recoveries) merge the shards: paged with
 * small limits, every item comes exactly once, in (score, shard) order, and
 * the last page has no cursor.
 *
 * Amounts (PPO-500, in network): 71046 allowed 60.00 a unit; deductible
 * 500.00 a person, then 20 % coinsurance.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness/harness.h"
#include "queue/cluster.h"
#include "queue/shards.h"

#define ADMIN "shards-corrections-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define P "claims:"
#define SHARDS 16
#define FAMILIES 6

static struct test_redis redis;
static struct test_cluster cluster;
static bool on_cluster; /* the fixture's: the cluster, else one Redis */
static struct test_claimsd server;
static char staff[80];
/* Employees, one family each, every family on another shard. */
static char family[FAMILIES][16];
static int family_shard[FAMILIES];

/* The day `offset` days from today, YYYY-MM-DD (static slots). */
static const char *day(int offset)
{
    static char slots[8][DATE_STRLEN];
    static int slot;
    slot = (slot + 1) % 8;
    return date_format(date_add_days(date_today(), offset), slots[slot]);
}

/* The employee's record: PPO-500 since 2020, ended as `ending` says (a
 * termination_event and termination_reported_on pair, or null). */
static void put_employee(const char *id, const char *ending)
{
    test_put_g100_employee(&server, ADMIN, id, "Pat", "Shard", "1980-01-01", ending, 0);
}

#define OPEN_ENDED "\"termination_event\":null"

/* The body of the employee's chest X-rays (71046, 80.00 each) received on
 * `received`, served on `served`, into body. */
static void xray_body(char *body, size_t size, const char *member, const char *received,
                      const char *served, int units)
{
    snprintf(body, size,
             "{\"type\":\"medical\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"Pat\","
             "\"last_name\":\"Shard\",\"birth_date\":\"1980-01-01\"},\"provider\":{\"npi\":\"" NPI_A
             "\",\"name\":\"Bay Clinic\",\"network\":\"in\",\"facility\":false},"
             "\"diagnosis_codes\":[\"J06.9\"],\"received_date\":\"%s\",\"lines\":[{"
             "\"service_date\":\"%s\",\"procedure_code\":\"71046\",\"units\":%d,"
             "\"charge\":%d.00}]}",
             member, received, served, units, units * 80);
}

/* Posts the employee's chest X-rays (71046) as staff, received on
 * `received`, served on `served`; the claim's id into out. */
static void post_xray(const char *member, const char *received, const char *served, int units,
                      char out[40])
{
    char body[2048];
    xray_body(body, sizeof body, member, received, served, units);
    char *res = test_call(&server, "POST", "/v1/claims", staff, body, 202);
    snprintf(out, 40, "%s", test_json_str(res, "claim_id"));
    free(res);
}

/* The key prefix of a shard ("claims:{c3.17}"). */
static const char *shard_key_prefix(int shard)
{
    static char slots[4][SHARD_PREFIX_LEN];
    static int slot;
    slot = (slot + 1) % 4;
    snprintf(slots[slot], sizeof slots[slot], "%s", queue_shard_prefix(P, shard).s);
    return slots[slot];
}

/* `cmd key arg` (arg NULL: none) on the Redis, or the cluster's master that
 * holds key; the reply as text ("" for nil). */
static void key_cmd(const char *cmd, const char *key, const char *arg, char *out, size_t size)
{
    const char *fmt = arg ? "%s %s %s" : "%s %s";
    if (on_cluster) {
        int m = test_cluster_master_of_slot(&cluster, queue_cluster_key_slot(key, strlen(key)));
        test_cluster_cmd(&cluster, m, out, size, fmt, cmd, key, arg);
        if (strncmp(out, "(type", 5) == 0) /* nil */
            out[0] = '\0';
        ck_assert_msg(out[0] != '-', "%s %s: %s", cmd, key, out);
        return;
    }
    redisContext *rc = test_redis_connect(&redis);
    redisReply *r = redisCommand(rc, fmt, cmd, key, arg);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_ne(r->type, REDIS_REPLY_ERROR);
    if (r->type == REDIS_REPLY_INTEGER)
        snprintf(out, size, "%lld", r->integer);
    else
        snprintf(out, size, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    redisFree(rc);
}

/* A field of a hash on a shard ("" when absent): `what` is the key after the
 * shard's prefix ("claim:<id>"). */
static void hash_field(int shard, const char *what, const char *field, char *out, size_t size)
{
    char key[512];
    snprintf(key, sizeof key, "%s%s", shard_key_prefix(shard), what);
    key_cmd("HGET", key, field, out, size);
}

/* The claim's status as stored on its shard (the shard its id names). */
static void stored_status(const char *id, char out[32])
{
    char what[64];
    snprintf(what, sizeof what, "claim:%s", id);
    hash_field(queue_shard_of_claim(id), what, "status", out, 32);
}

/* Waits until the stored claim has the status (20 s at most). */
static void wait_stored(const char *id, const char *want)
{
    char st[32] = "";
    for (int i = 0; i < 1000; i++) {
        stored_status(id, st);
        if (strcmp(st, want) == 0)
            return;
        test_sleep_ms(20);
    }
    ck_abort_msg("claim %s: status %s, not %s, after 20 s", id, st, want);
}

/* The score of member in a sorted set of a shard (-1 when absent). */
static long long zscore(int shard, const char *set, const char *member)
{
    char key[512], out[64];
    snprintf(key, sizeof key, "%s%s", shard_key_prefix(shard), set);
    key_cmd("ZSCORE", key, member, out, sizeof out);
    return out[0] ? atoll(out) : -1;
}

/* Pages through a list with this limit; the ids of field `id_field` of
 * array `array`, in order, into ids (at most max); returns how many. Every
 * page but the last has a next_cursor and at most `limit` items. */
static int page_all(const char *path, const char *array, const char *id_field, int limit,
                    char ids[][40], int max)
{
    char cursor[32] = "";
    int n = 0;
    for (int page = 0; page < 100; page++) {
        char url[256];
        snprintf(url, sizeof url, "%s%slimit=%d%s%s", path, strchr(path, '?') ? "&" : "?", limit,
                 cursor[0] ? "&cursor=" : "", cursor);
        char *body = test_call(&server, "GET", url, staff, NULL, 200);
        int k = test_json_len(body, array);
        ck_assert_int_le(k, limit);
        for (int i = 0; i < k; i++) {
            char p[96];
            snprintf(p, sizeof p, "%s.%d.%s", array, i, id_field);
            ck_assert_int_lt(n, max);
            snprintf(ids[n++], 40, "%s", test_json_str(body, p));
        }
        bool last = strstr(body, "\"next_cursor\":null") != NULL;
        if (!last)
            snprintf(cursor, sizeof cursor, "%s", test_json_str(body, "next_cursor"));
        free(body);
        if (last)
            return n;
        ck_assert(cursor[0]);
    }
    ck_abort_msg("%s: more than 100 pages", path);
    return n;
}

/* Asserts that ids, the rows of a list, are in (score, shard) order of the
 * sorted set `set` of each row's shard: the shard its claim names (claims[i];
 * claims NULL: the row is the claim). */
static void assert_merged_order(char ids[][40], int n, const char *set, const char *const *claims)
{
    long long prev_score = -1;
    int prev_shard = -1;
    for (int i = 0; i < n; i++) {
        int shard = queue_shard_of_claim(claims ? claims[i] : ids[i]);
        long long score = zscore(shard, set, ids[i]);
        ck_assert_msg(score >= 0, "%s not in %s of shard %d", ids[i], set, shard);
        ck_assert_msg(score > prev_score || (score == prev_score && shard > prev_shard),
                      "row %d (%lld, shard %d) after (%lld, shard %d)", i, score, shard, prev_score,
                      prev_shard);
        prev_score = score;
        prev_shard = shard;
    }
}

/* Starts claimsd with 16 shards on the fixture's Redis (args: how to reach
 * it), then the plan, the group, a staff token and the families. */
static void start_server(const char *const *redis_args)
{
    ck_assert_int_eq(queue_shards_configure(SHARDS), 0);
    char dir[256], text[128];
    test_make_temp_dir(dir, "shards-config");
    snprintf(text, sizeof text, "{\"rate_limits\": null, \"shards\": %d}", SHARDS);
    char cfg[512];
    snprintf(cfg, sizeof cfg, "%s", test_write_file(dir, "shards.json", text));
    const char *args[8];
    int n = 0;
    for (; redis_args[n]; n++)
        args[n] = redis_args[n];
    args[n++] = "--config";
    args[n++] = cfg;
    args[n] = NULL;
    char env_entry[128];
    snprintf(env_entry, sizeof env_entry, "CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=%s", ADMIN);
    memset(&server, 0, sizeof server);
    test_claimsd_start_or_exit(&server, args, (const char *const[]){env_entry, NULL}, "");
    test_remove_tree(dir);
    /* The sample plan with a review threshold of 300.00. */
    free(test_put_review_plan(&server, ADMIN));
    test_put_sample_record(&server, ADMIN, "groups", "G100");
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    /* Families on distinct shards, none on shard 0 but the first. */
    bool used[SHARDS] = {false};
    n = 0;
    for (int i = 0; n < FAMILIES; i++) {
        char id[16];
        snprintf(id, sizeof id, "SF%03d", i);
        int s = queue_shard_of_family(id);
        if (used[s] || (n > 0 && s == 0))
            continue;
        used[s] = true;
        snprintf(family[n], sizeof family[n], "%s", id);
        family_shard[n++] = s;
        put_employee(id, OPEN_ENDED);
    }
}

static void setup(void)
{
    on_cluster = false;
    test_redis_start(&redis);
    start_server((const char *const[]){"--redis", redis.url, NULL});
}

static void setup_cluster(void)
{
    on_cluster = true;
    test_cluster_start(&cluster, false);
    char seeds[512];
    test_cluster_seeds(&cluster, seeds, sizeof seeds);
    start_server((const char *const[]){"--redis-cluster", seeds, NULL});
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

static void teardown_cluster(void)
{
    test_claimsd_stop_clean(&server);
    test_cluster_stop(&cluster);
}

START_TEST(test_review_workbasket_merges_the_shards)
{
    /* Two claims a family, 6 X-rays each (360.00 allowed, over the review
     * threshold), served and received on distinct days: receipt order is
     * one order over every shard. */
    enum { N = 2 * FAMILIES };
    char ids[N][40];
    for (int i = 0; i < N; i++) {
        int f = (i * 5) % FAMILIES; /* the days interleave the families */
        post_xray(family[f], day(-40 + i), day(-60 + i), 6, ids[i]);
        ck_assert_int_eq(queue_shard_of_claim(ids[i]), family_shard[f]);
    }
    for (int i = 0; i < N; i++)
        wait_stored(ids[i], "in_review");
    for (int limit = 1; limit <= 5; limit++) {
        char got[N + 1][40];
        int n = page_all("/v1/review", "claims", "claim_id", limit, got, N + 1);
        ck_assert_int_eq(n, N);
        for (int i = 0; i < N; i++)
            ck_assert_str_eq(got[i], ids[i]);
        assert_merged_order(got, n, "idx:s:in_review", NULL);
    }
    /* One page holds them all: no cursor. */
    char *body = test_call(&server, "GET", "/v1/review?limit=50", staff, NULL, 200);
    ck_assert_int_eq(test_json_len(body, "claims"), N);
    ck_assert_ptr_nonnull(strstr(body, "\"next_cursor\":null"));
    ck_assert_str_eq(test_json_str(body, "claims.3.received_date"), day(-37));
    ck_assert_str_eq(test_json_str(body, "claims.3.total_allowed"), "360.00");
    free(body);
    /* A cursor past every score: an empty last page. */
    body = test_call(&server, "GET", "/v1/review?cursor=99999999999999999999", staff, NULL, 200);
    ck_assert_str_eq(body, "{\"claims\":[],\"next_cursor\":null}");
    free(body);
}
END_TEST

START_TEST(test_recoveries_on_their_claims_shards_listed_in_creation_order)
{
    /* A family's first claim, 5 X-rays on 1 May (300.00 allowed, at the
     * review threshold: decided as usual), goes to the deductible; the
     * second, 5 on 2 May, pays 80.00 (200.00 deductible, 20 % of 100.00). */
    enum { F = 4, N = 2 * F };
    char ids[N][40]; /* family f's claims: 2f and 2f + 1 */
    for (int f = 0; f < F; f++) {
        post_xray(family[f], "2026-06-05", "2026-05-01", 5, ids[2 * f]);
        wait_stored(ids[2 * f], "approved");
        post_xray(family[f], "2026-06-05", "2026-05-02", 5, ids[2 * f + 1]);
        wait_stored(ids[2 * f + 1], "approved");
    }
    /* Nothing terminated yet: no recovery anywhere. */
    char *body = test_call(&server, "GET", "/v1/recoveries", staff, NULL, 200);
    ck_assert_str_eq(body, "{\"recoveries\":[],\"next_cursor\":null}");
    free(body);
    /* Each employee ended in March, reported in June: each family's scan
     * stores a recovery for each of its claims (the first's of 0.00), on the
     * claims' shard, in this order, a family's in receipt order. */
    int order[F] = {2, 0, 3, 1};
    for (int k = 0; k < F; k++) {
        put_employee(family[order[k]], "\"termination_event\":\"2026-03-10\","
                                       "\"termination_reported_on\":\"2026-06-10\"");
        test_sleep_ms(5); /* creation order to the millisecond */
    }
    char rids[N][40], cids[N][40];
    for (int limit = 1; limit <= 3; limit++) {
        int n = page_all("/v1/recoveries", "recoveries", "claim_id", limit, cids, N);
        ck_assert_int_eq(n, N);
        for (int k = 0; k < N; k++)
            ck_assert_str_eq(cids[k], ids[2 * order[k / 2] + k % 2]);
    }
    int n = page_all("/v1/recoveries", "recoveries", "recovery_id", 2, rids, N);
    ck_assert_int_eq(n, N);
    const char *claims[N];
    for (int k = 0; k < N; k++) {
        claims[k] = cids[k];
        /* Found from its id alone: the id names its claim's shard. */
        int shard = family_shard[order[k / 2]];
        ck_assert_int_eq(queue_shard_of_claim(rids[k]), shard);
        char what[512], got[64];
        snprintf(what, sizeof what, "recovery:%s", rids[k]);
        hash_field(shard, what, "claim_id", got, sizeof got);
        ck_assert_str_eq(got, cids[k]);
    }
    assert_merged_order(rids, N, "recoveries", claims);
    body = test_call(&server, "GET", "/v1/recoveries?limit=2", staff, NULL, 200);
    ck_assert_str_eq(test_json_str(body, "recoveries.0.amount"), "0.00");
    ck_assert_str_eq(test_json_str(body, "recoveries.1.amount"), "80.00");
    ck_assert_str_eq(test_json_str(body, "recoveries.1.lines.0.service_date"), "2026-05-02");
    ck_assert_str_eq(test_json_str(body, "recoveries.1.subscriber_id"), family[order[0]]);
    ck_assert_str_eq(test_json_str(body, "recoveries.1.status"), "open");
    free(body);

    /* Staff reverse the paid one of the second family: on its shard, the
     * family's re-decision denies the claim and issues EOB version 2. */
    const char *rid = rids[3], *cid = cids[3];
    int shard = family_shard[order[1]];
    char path[96];
    snprintf(path, sizeof path, "/v1/recoveries/%s/reverse", rid);
    body = test_call(&server, "POST", path, staff, NULL, 202);
    ck_assert_str_eq(test_json_str(body, "claim_id"), cid);
    ck_assert_str_eq(test_json_str(body, "status"), "reversed");
    free(body);
    wait_stored(cid, "denied");
    char what[512], got[64];
    snprintf(what, sizeof what, "claim:%s", cid);
    hash_field(shard, what, "eob_version", got, sizeof got);
    ck_assert_str_eq(got, "2");
    snprintf(what, sizeof what, "recovery:%s", rid);
    hash_field(shard, what, "status", got, sizeof got);
    ck_assert_str_eq(got, "reversed");
    body = test_call(&server, "POST", path, staff, NULL, 409);
    ck_assert_str_eq(test_json_str(body, "error.code"), "recovery_not_open");
    free(body);
    /* The re-decision denied the family's first claim too: its open
     * recovery is reversed with it (docs/rules.md "Reversing a recovery"). */
    wait_stored(cids[2], "denied");
    snprintf(what, sizeof what, "recovery:%s", rids[2]);
    hash_field(shard, what, "status", got, sizeof got);
    ck_assert_str_eq(got, "reversed");
    /* The status filter over every shard, in order. */
    char listed[N][40];
    n = page_all("/v1/recoveries?status=reversed", "recoveries", "recovery_id", 1, listed, N);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(listed[0], rids[2]);
    ck_assert_str_eq(listed[1], rid);
    n = page_all("/v1/recoveries?status=open", "recoveries", "recovery_id", 2, listed, N);
    ck_assert_int_eq(n, N - 2);
    for (int k = 0, j = 0; k < N; k++)
        if (k != 2 && k != 3)
            ck_assert_str_eq(listed[j++], rids[k]);
    /* The other families' claims untouched. */
    char st[32];
    stored_status(cids[1], st);
    ck_assert_str_eq(st, "approved");
    stored_status(cids[5], st);
    ck_assert_str_eq(st, "approved");
}
END_TEST

/* A field of the family's accumulator hash for the year, on its shard, in
 * cents (-1 when absent). */
static long long acc(int f, int year, const char *field)
{
    char what[64], got[32];
    snprintf(what, sizeof what, "acc:%s:%d", family[f], year);
    hash_field(family_shard[f], what, field, got, sizeof got);
    return got[0] ? atoll(got) : -1;
}

/* The claim's stored EOB version once it is `want` (20 s at most). */
static void wait_eob_version(const char *id, const char *want)
{
    char what[64], got[16] = "";
    snprintf(what, sizeof what, "claim:%s", id);
    for (int i = 0; i < 1000; i++) {
        hash_field(queue_shard_of_claim(id), what, "eob_version", got, sizeof got);
        if (strcmp(got, want) == 0)
            return;
        test_sleep_ms(20);
    }
    ck_abort_msg("claim %s: EOB version %s, not %s, after 20 s", id, got, want);
}

START_TEST(test_void_replace_and_review_on_their_families_shards)
{
    /* Family 1: A (5 X-rays, 300.00, all deductible), then B (5 more: 200.00
     * deductible, 20 % of 100.00: 80.00 paid). */
    char a[40], b[40], c[40], d[40], path[128];
    post_xray(family[1], day(-20), day(-30), 5, a);
    wait_stored(a, "approved");
    post_xray(family[1], day(-20), day(-29), 5, b);
    wait_stored(b, "approved");
    int year = date_year(date_add_days(date_today(), -30));
    ck_assert_int_eq(acc(1, year, "f:in:ded"), 50000);
    /* Voiding A: on the family's shard, B re-decided there (EOB version 2),
     * the accumulators recomputed. */
    snprintf(path, sizeof path, "/v1/claims/%s/void", a);
    char *res = test_call(&server, "POST", path, staff, "{\"reason\": \"sent twice\"}", 200);
    ck_assert_str_eq(test_json_str(res, "status"), "voided");
    free(res);
    wait_stored(a, "voided");
    wait_eob_version(b, "2");
    wait_eob_version(a, "2"); /* A's reversal */
    ck_assert_int_eq(acc(1, year, "f:in:ded"), 30000);
    snprintf(path, sizeof path, "/v1/claims/%s/eob", b);
    res = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(res, "adjustment.kind"), "adjustment");
    ck_assert_str_eq(test_json_str(res, "adjustment.previous.plan_paid"), "80.00");
    ck_assert_str_eq(test_json_str(res, "totals.plan_paid"), "0.00");
    free(res);
    /* Family 2: C (6 X-rays, 360.00) in review, replaced in place by 5
     * (300.00): received again on its shard, approved, out of review. */
    post_xray(family[2], day(-20), day(-30), 6, c);
    wait_stored(c, "in_review");
    char body[2048];
    xray_body(body, sizeof body, family[2], day(-20), day(-30), 5);
    snprintf(path, sizeof path, "/v1/claims/%s/replace", c);
    res = test_call(&server, "POST", path, staff, body, 202);
    ck_assert_str_eq(test_json_str(res, "claim_id"), c);
    free(res);
    wait_stored(c, "approved");
    ck_assert_int_eq(acc(2, year, "f:in:ded"), 30000);
    /* Family 3: D in review, approved by a reviewer on its shard. */
    post_xray(family[3], day(-20), day(-30), 6, d);
    wait_stored(d, "in_review");
    res = test_call(&server, "GET", "/v1/review", staff, NULL, 200);
    ck_assert_int_eq(test_json_len(res, "claims"), 1);
    ck_assert_str_eq(test_json_str(res, "claims.0.claim_id"), d);
    free(res);
    snprintf(path, sizeof path, "/v1/claims/%s/review", d);
    free(test_call(&server, "POST", path, staff, "{\"action\":\"approve\",\"note\":\"checked\"}",
                   202));
    wait_stored(d, "approved");
    ck_assert_int_eq(acc(3, year, "f:in:ded"), 36000);
    res = test_call(&server, "GET", "/v1/review", staff, NULL, 200);
    ck_assert_str_eq(res, "{\"claims\":[],\"next_cursor\":null}");
    free(res);
    /* Nothing of these families landed on shard 0's work stream. */
    for (int f = 1; f <= 3; f++) {
        char key[128], out[16];
        snprintf(key, sizeof key, "%sfamver:%s", shard_key_prefix(0), family[f]);
        key_cmd("EXISTS", key, NULL, out, sizeof out);
        ck_assert_str_eq(out, "0");
        snprintf(key, sizeof key, "%sfamver:%s", shard_key_prefix(family_shard[f]), family[f]);
        key_cmd("EXISTS", key, NULL, out, sizeof out);
        ck_assert_str_eq(out, "1");
    }
}
END_TEST

/* Files an appeal as staff on a final claim; its id into id. */
static void file_appeal(const char *claim, char id[40])
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s/appeals", claim);
    char *res = test_call(&server, "POST", path, staff,
                          "{\"statement\": \"The X-rays were needed.\"}", 201);
    snprintf(id, 40, "%s", test_json_str(res, "appeal_id"));
    ck_assert_str_eq(test_json_str(res, "claim_id"), claim);
    free(res);
}

static void expect_queue_appeals(const char *open)
{
    char *res = test_call(&server, "GET", "/v1/queue", staff, NULL, 200);
    ck_assert_str_eq(test_json_str(res, "appeals_open"), open);
    ck_assert_str_eq(test_json_str(res, "appeals_overdue"), "0");
    free(res);
}

START_TEST(test_appeals_on_their_claims_shards_merged_in_due_order)
{
    /* One final claim in each of five families, each appealed (the same due
     * date: the shards' orders merge by score, then shard). */
    enum { N = 5 };
    char claims[N][40], ids[N][40];
    for (int f = 0; f < N; f++) {
        post_xray(family[f], day(-20), day(-30), 5, claims[f]);
        wait_stored(claims[f], "approved");
    }
    for (int f = 0; f < N; f++) {
        file_appeal(claims[f], ids[f]);
        ck_assert_int_eq(queue_shard_of_claim(ids[f]), family_shard[f]);
        char what[64], got[64];
        snprintf(what, sizeof what, "appeal:%s", ids[f]);
        hash_field(family_shard[f], what, "claim_id", got, sizeof got);
        ck_assert_str_eq(got, claims[f]);
        /* Read from its id alone. */
        char path[96];
        snprintf(path, sizeof path, "/v1/appeals/%s", ids[f]);
        char *res = test_call(&server, "GET", path, staff, NULL, 200);
        ck_assert_str_eq(test_json_str(res, "claim_id"), claims[f]);
        ck_assert_str_eq(test_json_str(res, "status"), "open");
        free(res);
    }
    expect_queue_appeals("5");
    const char *of_claim[N];
    for (int limit = 1; limit <= 3; limit++) {
        char got[N][40];
        int n = page_all("/v1/appeals", "appeals", "appeal_id", limit, got, N);
        ck_assert_int_eq(n, N);
        for (int i = 0; i < N; i++) {
            int f = 0;
            while (f < N && strcmp(ids[f], got[i]) != 0)
                f++;
            ck_assert_int_lt(f, N);
            of_claim[i] = claims[f];
        }
        assert_merged_order(got, n, "appeals", of_claim);
    }
    char none[1][40];
    ck_assert_int_eq(page_all("/v1/appeals?overdue=true", "appeals", "appeal_id", 2, none, 1), 0);

    /* Upheld on one shard, overturned on another: the overturn re-decides
     * the claim on its family's shard (350.00 allowed: EOB version 2). */
    char path[96];
    snprintf(path, sizeof path, "/v1/appeals/%s/decision", ids[1]);
    char *res = test_call(&server, "POST", path, staff,
                          "{\"outcome\": \"upheld\", \"note\": \"as decided\"}", 200);
    ck_assert_str_eq(test_json_str(res, "status"), "decided");
    free(res);
    snprintf(path, sizeof path, "/v1/appeals/%s/decision", ids[2]);
    res = test_call(
        &server, "POST", path, staff,
        "{\"outcome\": \"overturned\", \"note\": \"allowed more\", \"lines\": [{\"line\": 1, "
        "\"allowed\": 350.00, \"group\": \"CO\", \"carc\": \"45\"}]}",
        200);
    ck_assert_str_eq(test_json_str(res, "decision.outcome"), "overturned");
    free(res);
    wait_eob_version(claims[2], "2");
    res = test_call(&server, "POST", path, staff, "{\"outcome\": \"upheld\", \"note\": \"again\"}",
                    409);
    ck_assert_str_eq(test_json_str(res, "error.code"), "already_decided");
    free(res);
    expect_queue_appeals("3");
    char open[N][40];
    int n = page_all("/v1/appeals?status=open", "appeals", "appeal_id", 1, open, N);
    ck_assert_int_eq(n, 3);
    n = page_all("/v1/appeals?status=decided", "appeals", "appeal_id", 1, open, N);
    ck_assert_int_eq(n, 2);

    /* Voiding a claim withdraws its open appeal, on the claim's shard. */
    snprintf(path, sizeof path, "/v1/claims/%s/void", claims[4]);
    free(test_call(&server, "POST", path, staff, "{\"reason\": \"filed by mistake\"}", 200));
    snprintf(path, sizeof path, "/v1/appeals/%s", ids[4]);
    res = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(res, "status"), "withdrawn");
    free(res);
    expect_queue_appeals("2");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shards_corrections");
    TCase *tc = tcase_create("sixteen shards");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_review_workbasket_merges_the_shards);
    tcase_add_test(tc, test_recoveries_on_their_claims_shards_listed_in_creation_order);
    tcase_add_test(tc, test_void_replace_and_review_on_their_families_shards);
    tcase_add_test(tc, test_appeals_on_their_claims_shards_merged_in_due_order);
    suite_add_tcase(s, tc);
    /* The same on a cluster: every script of these steps on one slot. */
    tc = tcase_create("sixteen shards on a cluster");
    tcase_add_checked_fixture(tc, setup_cluster, teardown_cluster);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_review_workbasket_merges_the_shards);
    tcase_add_test(tc, test_recoveries_on_their_claims_shards_listed_in_creation_order);
    tcase_add_test(tc, test_void_replace_and_review_on_their_families_shards);
    tcase_add_test(tc, test_appeals_on_their_claims_shards_merged_in_due_order);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_NOFORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
