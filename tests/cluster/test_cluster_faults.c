/*
 * The fault run of issue 12 (docs/operations.md "Running on a cluster"): a
 * local cluster of 3 masters and 3 replicas (tests/harness/cluster.c), two
 * claimsd processes on it (the API with 2 workers, and 2 more workers), 100
 * families enrolled through the admin API (PUT /v1/plans, /v1/groups,
 * /v1/members), and at least 5,000 claims (medical in and out of network,
 * pharmacy; 2 % with a birth date that does not match, to be denied) sent by
 * 4 concurrent clients, about 150 a second, each with its Idempotency-Key,
 * sent again with the same key after a 503 or a broken connection. While
 * they flow:
 *
 *   1. CLUSTER FAILOVER on the replica of the master of a claims slot;
 *   2. SIGKILL of another master; its replica is promoted;
 *   3. redis-cli --cluster reshard of the slots of the claims slot's master
 *      up to 16 past the claims slot, to the third master: its keys move by
 *      MIGRATE while claims arrive, so the router meets ASK and then
 *      TRYAGAIN (counted in the API's debug log: more than none, or the
 *      migration did not meet the traffic); the clients go on until 250
 *      more claims were accepted after it, and 5,000 in all. The keys move
 *      one per MIGRATE, so the claims slot migrates for longer than
 *      claimsd's retries (some submissions get 503 and are sent again).
 *
 * Then, once the queue is empty: the claims the API lists, and the claim
 * hashes in Redis (SCAN of every master), are exactly the 202'd ids, each
 * hash at EOB version 1; each claim is final with one final entry in its
 * history and the outcome its submission calls for; each has exactly one
 * claim.finalized event in its shard's events stream (read from Redis);
 * the finalized counter equals the number of claims, nothing pended, in
 * review or dead-lettered; every family's accumulator hash, read from
 * Redis, equals the sums recomputed from its claims' decision lines (PR-1
 * deductible; PR-1, PR-2, PR-3 out-of-pocket; per plan year, network tier,
 * family and member), and none is over the plan's limits.
 *
 * CLUSTER_FAULT_SHARDS (default 16, claimsd's default for a new data set)
 * is given to claimsd as "shards"; the claims slot and the keys read are
 * found from queue/shards.h's layout for it. CLUSTER_FAULT_CLAIMS (default
 * 5,000) the least number of claims, smaller for a quick local run.
 */
#include <check.h>
#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../harness/harness.h"
#include "date.h"
#include "queue/cluster.h"
#include "queue/shards.h"

#define ADMIN "cluster-faults-bootstrap-admin-token-0123456789"
#define PREFIX "claims:"
#define DEFAULT_CLAIMS 5000
#define N_FAMILIES 100
#define N_HEAVY 20 /* families that get half of the claims: they reach the OOP maximum */
#define N_CLIENTS 4
#define MAX_MEMBERS 4
#define MAX_LINES 3
#define MAX_YEARS 4
#define SUBMIT_GIVE_UP_MS 180000
#define CLIENT_PAUSE_MS 25 /* after each 202: about 150 claims a second in all */
#define AFTER_RESHARD 250  /* claims accepted after the reshard, at least */
/* Keys per MIGRATE of the reshard: one (redis-cli's default is 10), so that
 * the claims slot migrates for some seconds, longer than claimsd's retries
 * of a TRYAGAIN (about 2.5 s): some submissions are answered 503 then. */
#define RESHARD_PIPELINE 1

/* The plan of the run: small limits, so that deductibles and out-of-pocket
 * maximums are reached and the accumulators matter (docs/rules.md § 7). */
#define DED_IND 150
#define DED_FAM 300
#define OOP_IND 800
#define OOP_FAM 1600

struct person {
    char id[16], first[16], birth[11];
    const char *relationship;
};

struct family {
    int n;
    struct person p[MAX_MEMBERS]; /* p[0] is the subscriber (employee) */
};

/* One line of a claim's decision, as read back. */
struct line_result {
    int year, tier; /* tier 0 in network, 1 out */
    long long ded, oop;
};

struct claim {
    int family, member;
    bool deny; /* a wrong birth date: denied CO-140 */
    bool out;  /* out-of-network medical */
    char *body;
    char key[32];
    char id[40]; /* from the 202 */
    /* read back */
    char status[16];
    int finals, n_lines;
    struct line_result lines[MAX_LINES];
};

struct run {
    atomic_bool stop; /* set once the faults are over and enough claims were accepted */
    atomic_int next, accepted, done_clients;
    atomic_int retried_503, retried_broken, replayed;
    atomic_int unexpected; /* answers other than 202, 503 or a broken connection */
    char first_unexpected[512];
    pthread_mutex_t lock;
};

static struct test_cluster cluster;
static struct test_claimsd api, workers;
static struct shard_layout layout;
static struct family families[N_FAMILIES];
static struct claim *claims;
/* n_planned: at least this many claims (CLUSTER_FAULT_CLAIMS); n_made: the
 * bodies made (3 × n_planned: the traffic goes on until the reshard ends);
 * n_claims: how many were submitted, known once the clients stopped. */
static int n_planned, n_made, n_claims, n_shards;
static char seeds[512], cfg_path[512];
static unsigned rng = 20261203u;

static const char *const admin_env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};

static unsigned next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int pick(int n)
{
    return (int)(next_rand() % (unsigned)n);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int env_int(const char *name, int def, int min, int max)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    int n = atoi(v);
    ck_assert_msg(n >= min && n <= max, "%s must be %d..%d", name, min, max);
    return n;
}

/* ---- enrollment ---- */

static void put(const char *path, const char *body)
{
    struct test_response res;
    test_api(&api, "PUT", path, ADMIN, body, NULL, &res);
    ck_assert_msg(res.status == 200 || res.status == 201, "PUT %s: %ld %s", path, res.status,
                  res.body);
    test_response_free(&res);
}

static void put_plan_and_group(void)
{
    char body[2048];
    snprintf(body, sizeof body,
             "{\"plan_id\":\"FAULT-PPO\",\"name\":\"Fault run PPO\",\"in_network\":"
             "{\"deductible_individual\":%d,\"deductible_family\":%d,\"oop_max_individual\":%d,"
             "\"oop_max_family\":%d,\"coinsurance_percent\":20},\"out_of_network\":"
             "{\"deductible_individual\":%d,\"deductible_family\":%d,\"oop_max_individual\":%d,"
             "\"oop_max_family\":%d,\"coinsurance_percent\":40,\"allowed_percent\":70},"
             "\"copays\":[{\"procedure_codes\":[\"99212\",\"99213\",\"99214\"],\"amount\":25}],"
             "\"fee_schedule\":{\"99212\":75.00,\"99213\":100.00,\"99214\":145.00,"
             "\"80053\":20.00,\"85025\":12.00,\"71046\":60.00},"
             "\"medical_filing_limit_days\":365,\"pend_days\":45,"
             "\"pharmacy\":{\"generic\":{\"copay\":10},\"preferred_brand\":{\"copay\":35},"
             "\"non_preferred\":{\"coinsurance_percent\":50},"
             "\"specialty\":{\"coinsurance_percent\":25}},"
             "\"formulary\":{\"00071015523\":{\"tier\":\"preferred_brand\",\"unit_price\":4.50},"
             "\"00093505698\":{\"tier\":\"generic\",\"unit_price\":0.12}}}",
             DED_IND, DED_FAM, OOP_IND, OOP_FAM, 2 * DED_IND, 2 * DED_FAM, 2 * OOP_IND,
             2 * OOP_FAM);
    put("/v1/plans/FAULT-PPO", body);
    put("/v1/groups/GF1", "{\"group_id\":\"GF1\",\"name\":\"Fault Run Tools\",\"state\":\"FL\","
                          "\"employee_count\":40,\"medicare_certification\":\"20_or_more\","
                          "\"dependent_to_30\":false,\"plan_id\":\"FAULT-PPO\"}");
}

static void put_member(const struct family *f, int k)
{
    const struct person *p = &f->p[k];
    char body[2048], path[64];
    snprintf(body, sizeof body,
             "{\"member_id\":\"%s\",\"subscriber_id\":\"%s\",\"group_id\":\"GF1\","
             "\"relationship\":\"%s\",\"first_name\":\"%s\",\"last_name\":\"Fault\","
             "\"birth_date\":\"%s\",\"state\":\"FL\",\"student\":false,"
             "\"lives_with_employee\":true,\"married_on\":null,\"has_own_dependent\":%s,"
             "\"handicapped_certified\":false,\"coverage\":[{\"plan_id\":\"FAULT-PPO\","
             "\"effective\":\"2020-01-01\",\"termination_event\":null,\"kind\":\"active\"}],"
             "\"medicare\":null,\"other_coverage\":[]}",
             p->id, f->p[0].id, p->relationship, p->first, p->birth, k == 0 ? "true" : "false");
    snprintf(path, sizeof path, "/v1/members/%s", p->id);
    put(path, body);
}

/* Member `suffix` (0: the employee) of family i, born in one of `span`
 * years from `from`. */
static void add_person(struct family *f, int i, int suffix, const char *relationship, int from,
                       int span)
{
    static const char *const names[] = {"Ada", "Ben",  "Cleo", "Dan",  "Eli", "Fay",
                                        "Gus", "Hana", "Ivo",  "June", "Kai", "Lea"};
    struct person *p = &f->p[f->n++];
    if (suffix == 0)
        snprintf(p->id, sizeof p->id, "F%03d", i);
    else
        snprintf(p->id, sizeof p->id, "F%03d-%d", i, suffix);
    p->relationship = relationship;
    snprintf(p->first, sizeof p->first, "%s", names[pick(12)]);
    snprintf(p->birth, sizeof p->birth, "%d-%02d-%02d", from + pick(span), 1 + pick(12),
             1 + pick(28));
}

/* 100 families: an employee (born 1970-1994), a spouse for 70 %, 0-2
 * children under 19 (born 2011-2018); none has other coverage or Medicare,
 * so no claim waits for another payer's EOB. */
static void enroll(void)
{
    put_plan_and_group();
    for (int i = 0; i < N_FAMILIES; i++) {
        struct family *f = &families[i];
        f->n = 0;
        add_person(f, i, 0, "employee", 1970, 25);
        if (pick(10) < 7)
            add_person(f, i, 1, "spouse", 1970, 25);
        for (int c = pick(3); c > 0; c--)
            add_person(f, i, 1 + c, "child", 2011, 8);
        for (int k = 0; k < f->n; k++) /* the employee first: the others name it */
            put_member(f, k);
    }
}

/* ---- the claims ---- */

static void days_ago(int n, char out[DATE_STRLEN])
{
    date_format(date_add_days(date_today_utc(), -n), out);
}

/* Medical line k of claim `index`, of a scheduled code; its charge is
 * unique to the line, so that no line is a duplicate (docs/rules.md § 5). */
static int medical_line(char *out, size_t size, int index, int k)
{
    static const char *const codes[] = {"80053", "85025", "71046", "99213", "99214"};
    static const int fees[] = {2000, 1200, 6000, 10000, 14500};
    int c = pick(5), units = c < 3 ? 1 + pick(2) : 1;
    char date[DATE_STRLEN];
    days_ago(3 + pick(300), date);
    long long charge = (long long)fees[c] * units + 500 + (long long)index * MAX_LINES + k;
    return snprintf(out, size,
                    "{\"service_date\":\"%s\",\"procedure_code\":\"%s\",\"units\":%d,"
                    "\"charge\":%lld.%02lld}",
                    date, codes[c], units, charge / 100, charge % 100);
}

static char *medical_body(const struct claim *c, const struct person *p, int index)
{
    char lines[1024];
    size_t used = 0;
    int n = 1 + pick(MAX_LINES);
    for (int k = 0; k < n; k++) {
        if (k)
            lines[used++] = ',';
        used += (size_t)medical_line(lines + used, sizeof lines - used, index, k);
    }
    char *b = malloc(2048);
    ck_assert_ptr_nonnull(b);
    snprintf(b, 2048,
             "{\"type\":\"medical\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
             "\"last_name\":\"Fault\",\"birth_date\":\"%s\"},\"provider\":{\"npi\":\"1003000126\","
             "\"name\":\"Bay Clinic\",\"network\":\"%s\"},%s\"diagnosis_codes\":[\"E11.9\"],"
             "\"lines\":[%s]}",
             p->id, p->first, c->deny ? "1901-01-01" : p->birth, c->out ? "out" : "in",
             c->out ? "\"itemized_bill\":true," : "", lines);
    return b;
}

static char *pharmacy_body(const struct claim *c, const struct person *p, int index)
{
    static const char *const ndcs[] = {"00071015523", "00093505698", "00000000117"};
    char date[DATE_STRLEN];
    days_ago(3 + pick(170), date);
    long long charge = 1000 + (long long)index * 3; /* unique to the claim (cents) */
    char *b = malloc(2048);
    ck_assert_ptr_nonnull(b);
    snprintf(b, 2048,
             "{\"type\":\"pharmacy\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
             "\"last_name\":\"Fault\",\"birth_date\":\"%s\"},\"pharmacy\":{\"name\":\"Corner "
             "Drug #12\",\"npi\":\"1245319599\",\"network\":\"in\"},\"ndc\":\"%s\","
             "\"fill_date\":\"%s\",\"drug_name\":\"Test drug\",\"quantity\":30,"
             "\"days_supply\":30,\"charge\":%lld.%02lld}",
             p->id, p->first, c->deny ? "1901-01-01" : p->birth, ndcs[pick(3)], date, charge / 100,
             charge % 100);
    return b;
}

/* Half of the claims for the heavy families, half spread over all; 40 %
 * pharmacy, 10 % out-of-network medical (with the itemized bill), 2 % with a
 * birth date that does not match (denied CO-140). */
static void make_claims(void)
{
    n_made = 3 * n_planned;
    claims = calloc((size_t)n_made, sizeof *claims);
    ck_assert_ptr_nonnull(claims);
    for (int i = 0; i < n_made; i++) {
        struct claim *c = &claims[i];
        c->family = pick(2) ? pick(N_HEAVY) : pick(N_FAMILIES);
        c->member = pick(families[c->family].n);
        c->deny = pick(50) == 0;
        int kind = pick(10);
        c->out = kind == 0;
        const struct person *p = &families[c->family].p[c->member];
        c->body = kind < 6 ? medical_body(c, p, i) : pharmacy_body(c, p, i);
        snprintf(c->key, sizeof c->key, "fault-run-%d", i);
    }
}

/* ---- the clients ---- */

/* The claim id of a 202's body into out; false when there is none. */
static bool claim_id_of(const char *body, char out[40])
{
    struct json_object *o = json_tokener_parse(body), *v = NULL;
    bool ok = o && json_object_object_get_ex(o, "claim_id", &v) &&
              strlen(json_object_get_string(v)) == 36;
    if (ok)
        snprintf(out, 40, "%s", json_object_get_string(v));
    if (o)
        json_object_put(o);
    return ok;
}

static void note_unexpected(struct run *r, int i, long status, const char *body)
{
    atomic_fetch_add(&r->unexpected, 1);
    pthread_mutex_lock(&r->lock);
    if (!r->first_unexpected[0])
        snprintf(r->first_unexpected, sizeof r->first_unexpected, "claim %d: %ld %.300s", i, status,
                 body ? body : "");
    pthread_mutex_unlock(&r->lock);
}

/* POSTs claim i until it is answered 202, with the same Idempotency-Key:
 * again after a 503 (250 ms later) or a broken connection (the contract of
 * docs/api.md); any other answer is noted and the claim given up. */
static void submit_until_accepted(struct run *r, int i)
{
    struct claim *c = &claims[i];
    char url[128], key[64];
    snprintf(url, sizeof url, "%s/v1/claims", api.base_url);
    snprintf(key, sizeof key, "Idempotency-Key: %s", c->key);
    const char *headers[] = {"Authorization: Bearer " ADMIN, "Content-Type: application/json", key,
                             NULL};
    for (double start = now_s(); now_s() - start < SUBMIT_GIVE_UP_MS / 1000.0;) {
        struct test_response res;
        if (test_http("POST", url, headers, c->body, &res) != 0) {
            test_response_free(&res);
            atomic_fetch_add(&r->retried_broken, 1);
            test_sleep_ms(250);
            continue;
        }
        long status = res.status;
        if (status == 202 && claim_id_of(res.body, c->id)) {
            char replayed[16];
            if (test_response_header(&res, "Idempotent-Replayed", replayed, sizeof replayed))
                atomic_fetch_add(&r->replayed, 1);
            atomic_fetch_add(&r->accepted, 1);
            test_response_free(&res);
            return;
        }
        if (status != 503) {
            note_unexpected(r, i, status, res.body);
            test_response_free(&res);
            return;
        }
        test_response_free(&res);
        atomic_fetch_add(&r->retried_503, 1);
        test_sleep_ms(250);
    }
    note_unexpected(r, i, 0, "no 202 within the give-up time");
}

static void *client_main(void *arg)
{
    struct run *r = arg;
    while (!atomic_load(&r->stop)) {
        int i = atomic_fetch_add(&r->next, 1);
        if (i >= n_made)
            break;
        submit_until_accepted(r, i);
        test_sleep_ms(CLIENT_PAUSE_MS);
    }
    atomic_fetch_add(&r->done_clients, 1);
    return NULL;
}

/* Until `n` claims were accepted (or every client finished). */
static void wait_accepted(struct run *r, int n)
{
    int last = -1;
    double since = now_s();
    while (atomic_load(&r->accepted) < n && atomic_load(&r->done_clients) < N_CLIENTS) {
        int now = atomic_load(&r->accepted);
        if (now != last) {
            last = now;
            since = now_s();
        }
        ck_assert_msg(now_s() - since < 120, "no claim accepted for 120 s (%d so far)", now);
        test_sleep_ms(20);
    }
}

/* ---- the faults ---- */

/* The claims slot the faults aim at: the lowest slot of a shard tag on the
 * master of shard 0's tag (with one shard: {c}, slot 7365). */
static int claims_slot(void)
{
    int m = test_cluster_master_of_slot(&cluster, layout.slot[0]), best = layout.slot[0];
    for (int s = 1; s < layout.n; s++)
        if (layout.slot[s] < best && test_cluster_master_of_slot(&cluster, layout.slot[s]) == m)
            best = layout.slot[s];
    return best;
}

static bool is_master(int i)
{
    return cluster.pid[i] > 0 && test_cluster_slots_of(&cluster, i, 0, NULL, NULL) > 0;
}

/* A running master other than nodes a and b (-1: no node). */
static int other_master(int a, int b)
{
    for (int i = 0; i < cluster.n; i++)
        if (i != a && i != b && is_master(i))
            return i;
    ck_abort_msg("no third master");
    return -1;
}

static void wait_master_of(int slot, int node, const char *what)
{
    for (int t = 0; t < 400 && test_cluster_master_of_slot(&cluster, slot) != node; t++)
        test_sleep_ms(50);
    ck_assert_msg(test_cluster_master_of_slot(&cluster, slot) == node, "%s: slot %d not taken over",
                  what, slot);
    ck_assert_msg(test_cluster_wait_ok(&cluster, 20000), "%s: the cluster is not ok", what);
}

/* 1. A manual failover of the claims slot's master; returns the new master. */
static int fault_failover(int slot)
{
    int m = test_cluster_master_of_slot(&cluster, slot);
    int r = test_cluster_replica_of(&cluster, m);
    char out[256];
    test_cluster_cmd(&cluster, r, out, sizeof out, "CLUSTER FAILOVER");
    ck_assert_str_eq(out, "OK");
    wait_master_of(slot, r, "CLUSTER FAILOVER");
    return r;
}

/* 2. SIGKILL of another master; returns its replica, promoted. */
static int fault_kill(int claims_master)
{
    int victim = other_master(claims_master, -1);
    int replica = test_cluster_replica_of(&cluster, victim);
    int one_slot;
    test_cluster_slots_of(&cluster, victim, 0, NULL, &one_slot);
    test_cluster_kill(&cluster, victim);
    wait_master_of(one_slot, replica, "SIGKILL");
    return replica;
}

/* 3. redis-cli --cluster reshard of the first slots of the claims slot's
 * master, up to 16 past the claims slot, to the third master. */
static int fault_reshard(int slot, int claims_master, int promoted)
{
    int to = other_master(claims_master, promoted);
    int upto;
    test_cluster_slots_of(&cluster, claims_master, slot + 16, &upto, NULL);
    char keys[32];
    test_cluster_cmd(&cluster, claims_master, keys, sizeof keys, "CLUSTER COUNTKEYSINSLOT %d",
                     slot);
    printf("fault run: reshard of %d slots, slot %d holding %s keys\n", upto, slot, keys);
    int st = test_cluster_reshard(&cluster, claims_master, to, upto, RESHARD_PIPELINE);
    if (st != 0) {
        char *tail = test_cluster_file_tail(&cluster, "reshard.out", 3000);
        ck_abort_msg("redis-cli --cluster reshard exited %d:\n%s", st, tail);
    }
    ck_assert_int_eq(test_cluster_master_of_slot(&cluster, slot), to);
    return upto;
}

/* ---- reading back ---- */

/* A GET as admin, again on 503 or a broken connection (up to 30 s); the
 * body of the 200 (the caller frees it). */
static char *get_ok(const char *path)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", api.base_url, path);
    const char *headers[] = {"Authorization: Bearer " ADMIN, NULL};
    for (int t = 0; t < 120; t++) {
        struct test_response res;
        int rc = test_http("GET", url, headers, NULL, &res);
        if (rc == 0 && res.status == 200) {
            char *body = res.body;
            res.body = NULL;
            test_response_free(&res);
            return body;
        }
        ck_assert_msg(rc != 0 || res.status == 503, "GET %s: %ld %s", path, res.status, res.body);
        test_response_free(&res);
        test_sleep_ms(250);
    }
    ck_abort_msg("GET %s: no 200 within 30 s", path);
    return NULL;
}

static struct json_object *field(struct json_object *o, const char *name)
{
    struct json_object *v = NULL;
    return o && json_object_object_get_ex(o, name, &v) ? v : NULL;
}

static long long cents_of(struct json_object *amount)
{
    return llround(json_object_get_double(amount) * 100.0);
}

/* One decision line's deductible and out-of-pocket (PR-1; PR-1, PR-2 and
 * PR-3: docs/rules.md § 7 "Cost share"). */
static void read_line(struct json_object *line, struct line_result *out)
{
    date_t d;
    ck_assert(date_parse(json_object_get_string(field(line, "service_date")), &d));
    out->year = date_year(d);
    out->ded = out->oop = 0;
    struct json_object *codes = field(line, "codes");
    for (size_t k = 0; k < json_object_array_length(codes); k++) {
        struct json_object *code = json_object_array_get_idx(codes, k);
        const char *group = json_object_get_string(field(code, "group"));
        const char *carc = json_object_get_string(field(code, "carc"));
        long long cents = cents_of(field(code, "amount"));
        if (strcmp(group, "PR") != 0)
            continue;
        if (strcmp(carc, "1") == 0)
            out->ded += cents;
        if (strcmp(carc, "1") == 0 || strcmp(carc, "2") == 0 || strcmp(carc, "3") == 0)
            out->oop += cents;
    }
}

/* GET /v1/claims/{id}: its status, how many final entries its history has
 * and, when approved, its lines' accumulator effects. */
static void read_claim(struct claim *c)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s", c->id);
    char *body = get_ok(path);
    struct json_object *o = json_tokener_parse(body);
    ck_assert_msg(o != NULL, "claim %s: not JSON", c->id);
    snprintf(c->status, sizeof c->status, "%s", json_object_get_string(field(o, "status")));
    struct json_object *history = field(o, "history");
    c->finals = 0;
    for (size_t k = 0; k < json_object_array_length(history); k++) {
        const char *st =
            json_object_get_string(field(json_object_array_get_idx(history, k), "status"));
        c->finals += strcmp(st, "approved") == 0 || strcmp(st, "denied") == 0;
    }
    c->n_lines = 0;
    struct json_object *lines = field(field(o, "decision"), "lines");
    bool pharmacy = strcmp(json_object_get_string(field(o, "type")), "pharmacy") == 0;
    if (strcmp(c->status, "approved") == 0) {
        ck_assert_int_le((int)json_object_array_length(lines), MAX_LINES);
        for (size_t k = 0; k < json_object_array_length(lines); k++) {
            struct line_result *l = &c->lines[c->n_lines++];
            read_line(json_object_array_get_idx(lines, k), l);
            l->tier = !pharmacy && c->out; /* pharmacy counts in network (§ 7 "Pharmacy") */
        }
    }
    json_object_put(o);
    free(body);
}

static atomic_int next_read;

static void *reader_main(void *arg)
{
    (void)arg;
    for (int i; (i = atomic_fetch_add(&next_read, 1)) < n_claims;)
        read_claim(&claims[i]);
    return NULL;
}

/* GET /v1/queue until nothing is waiting or held by a worker (3 minutes at
 * most); its body (the caller frees it). */
static char *wait_queue_empty(void)
{
    for (int t = 0; t < 720; t++) {
        char *q = get_ok("/v1/queue");
        if (strcmp(test_json_str(q, "depth"), "0") == 0 &&
            strcmp(test_json_str(q, "in_flight"), "0") == 0)
            return q;
        free(q);
        test_sleep_ms(250);
    }
    ck_abort_msg("the queue did not empty within 3 minutes");
    return NULL;
}

static int cmp_claim_ids(const void *a, const void *b)
{
    return strcmp(((const struct claim *)a)->id, ((const struct claim *)b)->id);
}

/* The index of the claim with that id (claims sorted by id), -1 if none. */
static int claim_index(const char *id, size_t len)
{
    struct claim key;
    if (len >= sizeof key.id)
        return -1;
    memcpy(key.id, id, len);
    key.id[len] = '\0';
    struct claim *c = bsearch(&key, claims, (size_t)n_claims, sizeof *claims, cmp_claim_ids);
    return c ? (int)(c - claims) : -1;
}

/* ---- the checks ---- */

/* GET /v1/claims, every page: each 202'd claim listed once, nothing else. */
static void check_listing(void)
{
    int *seen = calloc((size_t)n_claims, sizeof *seen), listed = 0, unknown = 0;
    ck_assert_ptr_nonnull(seen);
    char cursor[64] = "";
    do {
        char path[160];
        snprintf(path, sizeof path, "/v1/claims?limit=500%s%s", cursor[0] ? "&cursor=" : "",
                 cursor);
        char *body = get_ok(path);
        struct json_object *o = json_tokener_parse(body), *list = field(o, "claims");
        for (size_t k = 0; k < json_object_array_length(list); k++) {
            const char *id =
                json_object_get_string(field(json_object_array_get_idx(list, k), "claim_id"));
            int i = claim_index(id, strlen(id));
            listed++;
            if (i < 0)
                unknown++;
            else
                seen[i]++;
        }
        struct json_object *next = field(o, "next_cursor");
        snprintf(cursor, sizeof cursor, "%s", next ? json_object_get_string(next) : "");
        json_object_put(o);
        free(body);
    } while (cursor[0]);
    for (int i = 0; i < n_claims; i++)
        ck_assert_msg(seen[i] == 1, "claim %s listed %d times", claims[i].id, seen[i]);
    ck_assert_msg(unknown == 0, "%d claims listed that no client was answered 202 for", unknown);
    ck_assert_int_eq(listed, n_claims);
    free(seen);
}

/* The EOB versions of a SCAN page's claim hashes, read on the node that
 * holds them (one pipeline): each claim's must be 1, one EOB issued. */
static void check_eob_versions(redisContext *c, const redisReply *keys)
{
    for (size_t k = 0; k < keys->elements; k++)
        redisAppendCommand(c, "HGET %s eob_version", keys->element[k]->str);
    for (size_t k = 0; k < keys->elements; k++) {
        redisReply *v = NULL;
        ck_assert_int_eq(redisGetReply(c, (void **)&v), REDIS_OK);
        ck_assert_msg(v->type == REDIS_REPLY_STRING && strcmp(v->str, "1") == 0,
                      "%s: eob_version %s", keys->element[k]->str,
                      v->type == REDIS_REPLY_STRING ? v->str : "absent");
        freeReplyObject(v);
    }
}

/* SCAN of every master for claim hashes: exactly the 202'd ones, each with
 * one EOB version. */
static void check_claim_hashes(void)
{
    int found = 0, unknown = 0;
    for (int m = 0; m < cluster.n; m++) {
        if (!is_master(m))
            continue;
        redisContext *c = test_cluster_connect(&cluster, m);
        char cursor[32] = "0";
        do {
            redisReply *r =
                redisCommand(c, "SCAN %s MATCH " PREFIX "{*}claim:* COUNT 2000", cursor);
            ck_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
            snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
            for (size_t k = 0; k < r->element[1]->elements; k++) {
                const char *key = r->element[1]->element[k]->str, *id = strstr(key, "}claim:");
                found++;
                unknown += !id || claim_index(id + 7, strlen(id + 7)) < 0;
            }
            check_eob_versions(c, r->element[1]);
            freeReplyObject(r);
        } while (strcmp(cursor, "0") != 0);
        redisFree(c);
    }
    ck_assert_msg(unknown == 0, "%d claim hashes in Redis that no client was answered 202 for",
                  unknown);
    ck_assert_int_eq(found, n_claims);
}

/* The claim.finalized events of each shard's events stream, read from
 * Redis: one per claim. */
static void check_events(void)
{
    int *events = calloc((size_t)n_claims, sizeof *events), unknown = 0, total = 0;
    ck_assert_ptr_nonnull(events);
    for (int s = 0; s < layout.n; s++) {
        int m = test_cluster_master_of_slot(&cluster, layout.slot[s]);
        redisContext *c = test_cluster_connect(&cluster, m);
        char from[64] = "-", key[64];
        snprintf(key, sizeof key, PREFIX "%sevents", layout.tag[s]);
        for (;;) {
            redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 2000", key, from);
            ck_assert(r && r->type == REDIS_REPLY_ARRAY);
            size_t n = r->elements;
            for (size_t k = 0; k < n; k++) {
                const redisReply *e = r->element[k], *f = e->element[1];
                const char *event = "", *id = "";
                for (size_t j = 0; j + 1 < f->elements; j += 2) {
                    if (strcmp(f->element[j]->str, "event") == 0)
                        event = f->element[j + 1]->str;
                    else if (strcmp(f->element[j]->str, "claim_id") == 0)
                        id = f->element[j + 1]->str;
                }
                if (strcmp(event, "claim.finalized") != 0)
                    continue;
                total++;
                int i = claim_index(id, strlen(id));
                if (i < 0)
                    unknown++;
                else
                    events[i]++;
            }
            if (n)
                snprintf(from, sizeof from, "(%s", r->element[n - 1]->element[0]->str);
            freeReplyObject(r);
            if (n < 2000)
                break;
        }
        redisFree(c);
    }
    for (int i = 0; i < n_claims; i++)
        ck_assert_msg(events[i] == 1, "claim %s: %d claim.finalized events", claims[i].id,
                      events[i]);
    ck_assert_int_eq(unknown, 0);
    ck_assert_int_eq(total, n_claims);
    free(events);
}

/* Each claim final, once, with the outcome its submission calls for. */
static void check_claims(int *approved, int *denied)
{
    *approved = *denied = 0;
    for (int i = 0; i < n_claims; i++) {
        const struct claim *c = &claims[i];
        ck_assert_msg(c->finals == 1, "claim %s: %d final entries in its history", c->id,
                      c->finals);
        ck_assert_msg(strcmp(c->status, c->deny ? "denied" : "approved") == 0,
                      "claim %s: %s, not %s", c->id, c->status, c->deny ? "denied" : "approved");
        *approved += !c->deny;
        *denied += c->deny;
    }
}

/* One plan year of a family's accumulators: [0] the family's, [1 + k] its
 * member k's; [tier][0] deductible, [tier][1] out-of-pocket, in cents. */
struct year_sum {
    int year;
    long long v[1 + MAX_MEMBERS][2][2];
};

/* The sums of family f's approved claims' lines, per plan year. */
static int recompute(int f, struct year_sum sums[MAX_YEARS])
{
    int n = 0;
    for (int i = 0; i < n_claims; i++) {
        const struct claim *c = &claims[i];
        for (int k = 0; c->family == f && k < c->n_lines; k++) {
            const struct line_result *l = &c->lines[k];
            int y = 0;
            while (y < n && sums[y].year != l->year)
                y++;
            if (y == n) {
                ck_assert_int_lt(n, MAX_YEARS);
                memset(&sums[n], 0, sizeof sums[n]);
                sums[n++].year = l->year;
            }
            for (int who = 0; who < 2; who++) {
                sums[y].v[who ? 1 + c->member : 0][l->tier][0] += l->ded;
                sums[y].v[who ? 1 + c->member : 0][l->tier][1] += l->oop;
            }
        }
    }
    return n;
}

/* The accumulator field names of family f (docs/operations.md, the acc
 * hash): "f:in:ded", "m:<member>:out:oop", ... in year_sum's order. */
static void field_name(int f, int who, int tier, int kind, char out[48])
{
    static const char *const tiers[2] = {"in", "out"}, *const kinds[2] = {"ded", "oop"};
    if (who == 0)
        snprintf(out, 48, "f:%s:%s", tiers[tier], kinds[kind]);
    else
        snprintf(out, 48, "m:%s:%s:%s", families[f].p[who - 1].id, tiers[tier], kinds[kind]);
}

/* The plan's limit for an accumulator field, in cents. */
static long long limit_of(int who, int tier, int kind)
{
    long long in = kind == 0 ? (who ? DED_IND : DED_FAM) : (who ? OOP_IND : OOP_FAM);
    return in * 100 * (tier ? 2 : 1);
}

/* Family f's accumulator hash of one year, read from Redis, against the
 * recomputed sums: every field equal (absent is 0), none unknown, none over
 * the plan's limit. Returns whether the family's in-network out-of-pocket
 * maximum was reached. */
static bool check_year(int f, const struct year_sum *s)
{
    const char *sub = families[f].p[0].id;
    char key[128];
    snprintf(key, sizeof key, PREFIX "%sacc:%s:%d",
             layout.tag[queue_layout_shard_of_family(&layout, sub)], sub, s->year);
    int m = test_cluster_master_of_slot(&cluster, queue_cluster_key_slot(key, strlen(key)));
    redisContext *c = test_cluster_connect(&cluster, m);
    redisReply *r = redisCommand(c, "HGETALL %s", key);
    ck_assert(r && r->type == REDIS_REPLY_ARRAY);
    int matched = 0;
    for (int who = 0; who <= families[f].n; who++)
        for (int tier = 0; tier < 2; tier++)
            for (int kind = 0; kind < 2; kind++) {
                char name[48];
                field_name(f, who, tier, kind, name);
                long long want = s->v[who][tier][kind], got = 0;
                for (size_t k = 0; k + 1 < r->elements; k += 2)
                    if (strcmp(r->element[k]->str, name) == 0) {
                        got = atoll(r->element[k + 1]->str);
                        matched++;
                    }
                ck_assert_msg(got == want, "%s %s: %lld in Redis, %lld from the claims", key, name,
                              got, want);
                ck_assert_msg(got <= limit_of(who, tier, kind), "%s %s: %lld over the plan's", key,
                              name, got);
            }
    ck_assert_msg(matched == (int)r->elements / 2, "%s has fields of no member", key);
    freeReplyObject(r);
    redisFree(c);
    return s->v[0][0][1] == limit_of(0, 0, 1);
}

/* Every family's accumulators; returns how many families reached their
 * in-network out-of-pocket maximum in some year. */
static int check_accumulators(void)
{
    int reached = 0;
    for (int f = 0; f < N_FAMILIES; f++) {
        struct year_sum sums[MAX_YEARS];
        int n = recompute(f, sums);
        bool any = false;
        for (int y = 0; y < n; y++)
            any = check_year(f, &sums[y]) || any;
        reached += any;
    }
    return reached;
}

/* ---- the run ---- */

/* claimsd on the cluster with extra arguments; exits the binary when it
 * does not start. */
static void start(struct test_claimsd *d, const char *const extra[])
{
    test_claimsd_start_on_cluster(d, seeds, cfg_path, extra, admin_env);
}

/* No rate limits; a claim held 1 s by a worker that lost its connection is
 * taken over; a claim delivered 20 times without a commit is dead-lettered
 * (as tests/cluster/test_cluster_api.c; the run expects none). */
static void setup(void)
{
    n_shards = env_int("CLUSTER_FAULT_SHARDS", SHARDS_DEFAULT, 1, SHARDS_MAX);
    n_planned = env_int("CLUSTER_FAULT_CLAIMS", DEFAULT_CLAIMS, 100, 100000);
    ck_assert_int_eq(queue_shard_layout_init(&layout, n_shards), 0);
    test_cluster_start(&cluster, true);
    test_cluster_seeds(&cluster, seeds, sizeof seeds);
    char text[256];
    snprintf(text, sizeof text,
             "{\"rate_limits\": null, \"claim_idle_timeout_ms\": 1000, \"max_deliveries\": 20,"
             " \"shards\": %d}",
             n_shards);
    snprintf(cfg_path, sizeof cfg_path, "%s", test_write_file(cluster.dir, "faults.json", text));
    start(&api, (const char *const[]){"--workers", "2", "--log-level", "debug", NULL});
    start(&workers, (const char *const[]){"--role", "worker", "--workers", "2", NULL});
}

static void teardown(void)
{
    test_claimsd_stop_clean(&workers);
    test_claimsd_stop_clean(&api);
    test_cluster_stop(&cluster);
    for (int i = 0; i < n_made && claims; i++)
        free(claims[i].body);
    free(claims);
}

struct phase {
    const char *name;
    double seconds;
    int accepted, retried_503, retried_broken;
};

static void phase_end(struct phase *p, const char *name, double *since, const struct run *r)
{
    p->name = name;
    p->seconds = now_s() - *since;
    p->accepted = atomic_load(&r->accepted);
    p->retried_503 = atomic_load(&r->retried_503);
    p->retried_broken = atomic_load(&r->retried_broken);
    *since = now_s();
}

static void print_phases(const struct phase *p, int n)
{
    for (int k = 0; k < n; k++)
        printf("fault run: %-34s %6.1f s, accepted by then %5d, 503s retried %4d, broken "
               "connections retried %3d\n",
               p[k].name, p[k].seconds, p[k].accepted, p[k].retried_503, p[k].retried_broken);
}

/* The submission with the three faults during it; the phases into p;
 * returns the claims slot. */
static int run_faults(struct run *r, struct phase p[5], int *moved_slots)
{
    pthread_t clients[N_CLIENTS];
    double since = now_s();
    for (int k = 0; k < N_CLIENTS; k++)
        pthread_create(&clients[k], NULL, client_main, r);
    int slot = claims_slot();
    wait_accepted(r, n_planned / 5);
    phase_end(&p[0], "traffic before the faults", &since, r);
    int claims_master = fault_failover(slot);
    wait_accepted(r, 2 * n_planned / 5);
    phase_end(&p[1], "CLUSTER FAILOVER, traffic after", &since, r);
    int promoted = fault_kill(claims_master);
    wait_accepted(r, 3 * n_planned / 5);
    phase_end(&p[2], "SIGKILL of a master, traffic after", &since, r);
    *moved_slots = fault_reshard(slot, claims_master, promoted);
    phase_end(&p[3], "redis-cli --cluster reshard", &since, r);
    int target = atomic_load(&r->accepted) + AFTER_RESHARD;
    wait_accepted(r, target > n_planned ? target : n_planned);
    atomic_store(&r->stop, true);
    for (int k = 0; k < N_CLIENTS; k++)
        pthread_join(clients[k], NULL);
    n_claims = atomic_load(&r->next) < n_made ? atomic_load(&r->next) : n_made;
    phase_end(&p[4], "traffic to the last claim", &since, r);
    printf("fault run: claims slot %d: failed over, %d slots up to it resharded\n", slot,
           *moved_slots);
    return slot;
}

/* How many times the API process's router met `what` ("TRYAGAIN", ...) on
 * slot (its debug lines, docs/operations.md "Running on a cluster"). */
static int log_count(int slot, const char *what)
{
    char *log = test_claimsd_log(&api), needle[96];
    snprintf(needle, sizeof needle, "redis cluster: slot %d: %s", slot, what);
    int n = 0;
    for (const char *at = log; (at = strstr(at, needle)) != NULL; at += strlen(needle))
        n++;
    free(log);
    return n;
}

START_TEST(test_every_accepted_claim_is_finalized_once_and_accumulators_add_up)
{
    double t0 = now_s();
    enroll();
    make_claims();
    printf("fault run: %d families enrolled through the API in %.1f s; %d shard(s)\n", N_FAMILIES,
           now_s() - t0, n_shards);
    struct run *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    pthread_mutex_init(&r->lock, NULL);
    struct phase p[7];
    int moved, slot = run_faults(r, p, &moved);
    /* The migration of the claims slot met the traffic: intake answered
     * ASK by the old master and TRYAGAIN by the new one until it ended. */
    int tryagain = log_count(slot, "TRYAGAIN");
    printf("fault run: slot %d: %d TRYAGAIN met by the API process's router, %d commands "
           "given up (a request's: answered 503)\n",
           slot, tryagain, log_count(slot, "TRYAGAIN (slot migrating) after"));
    ck_assert_int_gt(tryagain, 0);
    ck_assert_msg(atomic_load(&r->unexpected) == 0, "%d claims not accepted; the first: %s",
                  atomic_load(&r->unexpected), r->first_unexpected);
    ck_assert_int_eq(atomic_load(&r->accepted), n_claims);
    ck_assert_int_ge(n_claims, n_planned);

    double since = now_s();
    char *q = wait_queue_empty();
    phase_end(&p[5], "until the queue was empty", &since, r);
    qsort(claims, (size_t)n_claims, sizeof *claims, cmp_claim_ids);
    pthread_t readers[N_CLIENTS];
    for (int k = 0; k < N_CLIENTS; k++)
        pthread_create(&readers[k], NULL, reader_main, NULL);
    for (int k = 0; k < N_CLIENTS; k++)
        pthread_join(readers[k], NULL);
    int approved, denied;
    check_claims(&approved, &denied);
    check_listing();
    check_claim_hashes();
    check_events();
    int reached = check_accumulators();
    phase_end(&p[6], "reading back and checking", &since, r);
    print_phases(p, 7);
    printf("fault run: %d claims accepted (%d approved, %d denied), %d replayed 202s, every "
           "one final once; %d families' accumulators equal the recomputation (%d reached "
           "the out-of-pocket maximum)\n",
           n_claims, approved, denied, atomic_load(&r->replayed), N_FAMILIES, reached);
    ck_assert_str_eq(test_json_str(q, "pended"), "0");
    ck_assert_str_eq(test_json_str(q, "in_review"), "0");
    ck_assert_str_eq(test_json_str(q, "dead_lettered"), "0");
    char finalized[16];
    snprintf(finalized, sizeof finalized, "%d", n_claims);
    ck_assert_str_eq(test_json_str(q, "finalized"), finalized);
    if (n_planned >= DEFAULT_CLAIMS) /* the limits were reached, so they were tested */
        ck_assert_int_gt(reached, 0);
    free(q);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cluster_faults");
    TCase *tc = tcase_create("fault_run");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_every_accepted_claim_is_finalized_once_and_accumulators_add_up);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_NOFORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
