/*
 * The fault storm (issue 5): 10,000 claims submitted while worker processes
 * are killed with SIGKILL and redis-server is killed and restarted (AOF,
 * appendfsync always). Afterwards every claim that got a 202 is finalized
 * exactly once, nothing is left on the queue, and the accumulators equal a
 * recomputation from the claims' own decisions.
 *
 * Corrections mixed in (issue 14): meanwhile a corrector files claims for a
 * family of its own, waits for each decision, and voids every fourth and
 * replaces another fourth, through the same kills and restarts; afterwards
 * each has the status it must have, a voided claim's reversal EOB is
 * stored, and the family's accumulators equal the sums of the decisions of
 * the claims that still stand.
 *
 * Run by `make check` (and so by CI); STORM_CLAIMS overrides the count.
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
#include <time.h>

#include "date.h"
#include "packed.h"
#include "../harness/harness.h"

#define ADMIN "storm-tests-bootstrap-admin-token-0123456789"
#define SUBMITTERS 4
#define WORKER_PROCS 2

static struct test_redis redis;
static struct test_claimsd intake;
static struct test_claimsd workers[WORKER_PROCS];
static char cfg_path[512];
static int n_claims = 10000;
static char (*ids)[40];
static atomic_bool chaos_stop, chaos_exit, chaos_idle;
static atomic_int kills, redis_restarts, retries;
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};

struct person {
    const char *member, *first, *last, *birth, *subscriber;
};

/* Members whose claims finalize without waiting for information. */
static const struct person people[] = {
    {"M1001", "Luis", "Lopez", "1975-09-14", "M1001"},
    {"M1001-02", "Ana", "Lopez", "2015-06-10", "M1001"},
    {"M1001-03", "Diego", "Lopez", "2003-01-20", "M1001"},
    {"M1001-04", "Sofia", "Lopez", "1998-11-05", "M1001"},
    {"M2001", "Grace", "Kim", "1980-07-07", "M2001"},
    {"M3001", "Robert", "Evans", "1959-04-12", "M3001"},
};
#define N_PEOPLE (int)(sizeof people / sizeof *people)

static void start_worker(int i)
{
    pthread_mutex_lock(&spawn_lock);
    memset(&workers[i], 0, sizeof workers[i]);
    const char *args[] = {"--redis", redis.url,   "--config", cfg_path, "--role",
                          "worker",  "--workers", "2",        NULL};
    int rc = test_claimsd_start(&workers[i], args, env, NULL);
    pthread_mutex_unlock(&spawn_lock);
    (void)rc;
}

/* Claim k: its person, type and amounts follow from k, and every claim
 * differs from every other (charges), so none is a duplicate. */
static char *claim_body(int k)
{
    const struct person *p = &people[k % N_PEOPLE];
    char *b = malloc(4096);
    /* All dates in 2026, up to 300 days ago: one plan year, within filing limits. */
    date_t today = date_today();
    date_t start = date_from_ymd(2026, 1, 2);
    int span = date_diff_days(today, start);
    if (span > 170)
        span = 170;
    date_t d = date_add_days(today, -(1 + k % span));
    if (date_year(d) != 2026)
        d = start;
    char date[DATE_STRLEN];
    date_format(d, date);
    int cents = 1000 + (k * 7919) % 90000; /* distinct per k modulo the mix */
    if (k % 3 == 0) {
        static const char *const ndcs[] = {"0071-0155-23", "00093505698", "00378181001",
                                           "00169413212",  "12345678901", "55555-1234-01"};
        snprintf(
            b, 4096,
            "{\"type\":\"pharmacy\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
            "\"last_name\":\"%s\",\"birth_date\":\"%s\"},\"pharmacy\":{\"name\":\"Corner Drug "
            "#12\","
            "\"npi\":\"1245319599\",\"network\":\"in\"},\"ndc\":\"%s\",\"fill_date\":\"%s\","
            "\"drug_name\":\"Storm drug\",\"quantity\":%d,\"days_supply\":30,\"charge\":%d.%02d}",
            p->member, p->first, p->last, p->birth, ndcs[(k / 3) % 6], date, 10 + k % 50,
            cents / 100 + k / 10, cents % 100);
    } else {
        static const char *const codes[] = {"99213", "80053", "85025", "71046", "99214"};
        bool out = k % 5 == 1;
        int n_lines = 1 + k % 3;
        int off = snprintf(
            b, 4096,
            "{\"type\":\"medical\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
            "\"last_name\":\"%s\",\"birth_date\":\"%s\"},\"provider\":{\"npi\":\"1003000126\","
            "\"name\":\"Bay Clinic\",\"network\":\"%s\"},\"itemized_bill\":true,"
            "\"diagnosis_codes\":[\"E11.9\"],\"lines\":[",
            p->member, p->first, p->last, p->birth, out ? "out" : "in");
        for (int l = 0; l < n_lines; l++)
            off += snprintf(b + off, (size_t)(4096 - off),
                            "%s{\"service_date\":\"%s\",\"procedure_code\":\"%s\",\"units\":1,"
                            "\"charge\":%d.%02d}",
                            l ? "," : "", date, codes[(k + l) % 5], 50 + cents / 100 + k / 10 + l,
                            cents % 100);
        snprintf(b + off, (size_t)(4096 - off), "]}");
    }
    return b;
}

/* A claim with more than one EOB version although its history holds one
 * final entry: what the store holds about it, for the next reader of a
 * failed run (the commit script alone cannot do this; the suspicion is a
 * commit's effects applied twice when Redis reloads its append-only file
 * after a SIGKILL). Prints to stderr; the assertion that follows fails. */
static void explain_eob_versions(const char *id, const char *history, const char *version)
{
    /* A connection of its own: the caller's has pipelined replies waiting. */
    redisContext *c = test_redis_connect(&redis);
    fprintf(stderr, "storm: claim %s eob_version %s history %s\n", id, version, history);
    redisReply *list = redisCommand(c, "LRANGE claims:{c}caudit:%s 0 -1", id);
    for (size_t i = 0; list && list->type == REDIS_REPLY_ARRAY && i < list->elements; i++) {
        redisReply *e = redisCommand(c, "XRANGE claims:{c}audit %s %s", list->element[i]->str,
                                     list->element[i]->str);
        const char *rec = e && e->type == REDIS_REPLY_ARRAY && e->elements == 1 &&
                                  e->element[0]->elements == 2 &&
                                  e->element[0]->element[1]->elements == 4
                              ? e->element[0]->element[1]->element[3]->str
                              : "(missing)";
        fprintf(stderr, "storm:   audit %s %s\n", list->element[i]->str, rec);
        if (e)
            freeReplyObject(e);
    }
    if (list)
        freeReplyObject(list);
    for (int v = 1; v <= 3; v++) {
        redisReply *e = redisCommand(c, "EXISTS claims:{c}eob:%s:%d", id, v);
        fprintf(stderr, "storm:   eob version %d stored: %lld\n", v, e ? e->integer : -1);
        if (e)
            freeReplyObject(e);
    }
    redisFree(c);
    char path[400], line[512];
    snprintf(path, sizeof path, "%s/redis.out", redis.dir);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "AOF") || strstr(line, "append only") || strstr(line, "Truncat") ||
            strstr(line, "rewrite"))
            fprintf(stderr, "storm:   redis: %s", line);
    if (f)
        fclose(f);
    /* Keep the append-only files for reading after the run (the fixture
     * removes its directory): each effect block of the claim's commits is in
     * there, so a block applied twice shows as two HINCRBY of eob_version. */
    char keep[400], cmd[1024];
    snprintf(keep, sizeof keep, "/tmp/storm-failure-%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s' 2>/dev/null", redis.dir, keep);
    if (system(cmd) == 0)
        fprintf(stderr, "storm:   Redis's files kept in %s\n", keep);
}

static void *submitter(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int k = t; k < n_claims; k += SUBMITTERS) {
        char *body = claim_body(k);
        char key[64];
        snprintf(key, sizeof key, "Idempotency-Key: storm-%d", k);
        for (int attempt = 0; attempt < 600; attempt++) {
            struct test_response res;
            char url[128];
            snprintf(url, sizeof url, "%s/v1/claims", intake.base_url);
            const char *headers[] = {"Authorization: Bearer " ADMIN,
                                     "Content-Type: application/json", key, NULL};
            int rc = test_http("POST", url, headers, body, &res);
            long status = res.status;
            if (rc == 0 && status == 202) {
                /* test_json_str is not thread-safe: parse here. */
                struct json_object *o = json_tokener_parse(res.body), *v = NULL;
                if (o && json_object_object_get_ex(o, "claim_id", &v))
                    snprintf(ids[k], sizeof ids[k], "%s", json_object_get_string(v));
                if (o)
                    json_object_put(o);
            } else if (rc == 0 && status != 503)
                fprintf(stderr, "storm claim %d answered %ld: %s\n", k, status, res.body);
            test_response_free(&res);
            if (rc == 0 && status != 503)
                break;
            if (attempt == 599)
                fprintf(stderr, "storm claim %d: gave up (rc %d, status %ld)\n", k, rc, status);
            atomic_fetch_add(&retries, 1);
            test_sleep_ms(50); /* Redis is restarting: retry with the same key */
        }
        free(body);
    }
    return NULL;
}

static void kill_redis_and_restart(void)
{
    kill(redis.pid, SIGKILL);
    int st;
    waitpid(redis.pid, &st, 0);
    test_sleep_ms(300);
    test_redis_restart(&redis);
}

static void *chaos(void *arg)
{
    (void)arg;
    for (int round = 1; !atomic_load(&chaos_stop); round++) {
        test_sleep_ms(600);
        if (atomic_load(&chaos_stop))
            break;
        int w = round % WORKER_PROCS;
        if (workers[w].pid > 0) {
            kill(workers[w].pid, SIGKILL);
            test_claimsd_wait(&workers[w], 5000);
            atomic_fetch_add(&kills, 1);
        }
        start_worker(w);
        if (round % 4 == 0) {
            kill_redis_and_restart();
            atomic_fetch_add(&redis_restarts, 1);
        }
    }
    atomic_store(&chaos_idle, true);
    /* The processes this thread started die with it (PR_SET_PDEATHSIG is
     * per thread): it lives until the teardown. */
    while (!atomic_load(&chaos_exit))
        test_sleep_ms(20);
    return NULL;
}

/* ---- corrections mixed in ---- */

#define CORR_CLAIMS 40
#define CORR_FAMILY "S900"

static long to_cents(const char *s);

struct corr_claim {
    char id[40];
    char want[16]; /* the status it must end with: "" final (approved or denied) */
};
static struct corr_claim corr[CORR_CLAIMS * 2];
static int n_corr;

/* One API call as admin that outlasts the chaos: answers 503 and lost
 * connections are retried (with the same Idempotency-Key, if any) for up to
 * 60 s. Returns the status (0: never answered); the body into *body (freed by
 * the caller) when it is not NULL. */
static long storm_call(const char *method, const char *path, const char *json, const char *key,
                       char **body)
{
    char url[256], idem[96];
    snprintf(url, sizeof url, "%s%s", intake.base_url, path);
    snprintf(idem, sizeof idem, "Idempotency-Key: %s", key ? key : "");
    const char *headers[] = {"Authorization: Bearer " ADMIN, "Content-Type: application/json",
                             key ? idem : NULL, NULL};
    for (int attempt = 0; attempt < 1200; attempt++) {
        struct test_response res;
        int rc = test_http(method, url, headers, json, &res);
        long status = rc == 0 ? res.status : 0;
        if (rc == 0 && status != 503) {
            if (body)
                *body = strdup(res.body);
            test_response_free(&res);
            return status;
        }
        if (rc == 0)
            test_response_free(&res);
        test_sleep_ms(50);
    }
    return 0;
}

/* The string at key of a JSON body ("" when absent), copied into out. */
static void json_field(const char *body, const char *key, char *out, size_t size)
{
    struct json_object *o = json_tokener_parse(body), *v = NULL;
    snprintf(out, size, "%s",
             o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "");
    if (o)
        json_object_put(o);
}

/* Waits (through the chaos) until the claim is approved or denied. */
static bool corr_wait_final(const char *id)
{
    char path[96], status[32] = "";
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    for (int i = 0; i < 2400; i++) {
        char *body = NULL;
        if (storm_call("GET", path, NULL, NULL, &body) == 200) {
            json_field(body, "status", status, sizeof status);
            free(body);
            if (!strcmp(status, "approved") || !strcmp(status, "denied"))
                return true;
        }
        test_sleep_ms(50);
    }
    fprintf(stderr, "storm corrector: claim %s not final (%s)\n", id, status);
    return false;
}

/* Claim j of the corrector's family: one in-network X-ray, its own charge. */
static void corr_body(int j, int cents, char *out, size_t size)
{
    char date[DATE_STRLEN];
    date_format(date_add_days(date_today(), -(1 + j % 20)), date);
    snprintf(
        out, size,
        "{\"type\":\"medical\",\"member_id\":\"" CORR_FAMILY "\",\"patient\":{\"first_name\":"
        "\"Vera\",\"last_name\":\"Stone\",\"birth_date\":\"1981-02-03\"},\"provider\":{\"npi\":"
        "\"1003000126\",\"name\":\"Bay Clinic\",\"network\":\"in\"},\"itemized_bill\":true,"
        "\"diagnosis_codes\":[\"E11.9\"],\"lines\":[{\"service_date\":\"%s\","
        "\"procedure_code\":\"71046\",\"units\":1,\"charge\":%d.%02d}]}",
        date, cents / 100, cents % 100);
}

/* Files, waits for, and voids or replaces claims of its family while the
 * chaos goes on. */
static void *corrector(void *arg)
{
    (void)arg;
    for (int j = 0; j < CORR_CLAIMS; j++) {
        char body[1024], key[32], *answer = NULL, path[128];
        corr_body(j, 9000 + 137 * j, body, sizeof body);
        snprintf(key, sizeof key, "corr-%d", j);
        if (storm_call("POST", "/v1/claims", body, key, &answer) != 202)
            continue;
        struct corr_claim *c = &corr[n_corr++];
        json_field(answer, "claim_id", c->id, sizeof c->id);
        free(answer);
        if (!corr_wait_final(c->id))
            continue;
        if (j % 4 == 1) {
            snprintf(path, sizeof path, "/v1/claims/%s/void", c->id);
            /* 409 already_voided: a retry after an answer lost in a Redis kill */
            long st = storm_call("POST", path, "{\"reason\":\"storm\"}", NULL, NULL);
            if (st == 200 || st == 409)
                snprintf(c->want, sizeof c->want, "voided");
        } else if (j % 4 == 3) {
            snprintf(path, sizeof path, "/v1/claims/%s/replace", c->id);
            snprintf(key, sizeof key, "corr-r-%d", j);
            corr_body(j, 20000 + 137 * j, body, sizeof body);
            if (storm_call("POST", path, body, key, &answer) == 202) {
                snprintf(c->want, sizeof c->want, "replaced");
                struct corr_claim *r = &corr[n_corr++];
                json_field(answer, "claim_id", r->id, sizeof r->id);
                free(answer);
                corr_wait_final(r->id);
            }
        }
    }
    return NULL;
}

/* Adds an approved decision's PR-1 (deductible) and PR-1/2/3 (out of
 * pocket) amounts, in-network, to ded and oop. */
static void add_cost_share(const char *dec, long *ded, long *oop)
{
    int n_codes = test_json_len(dec, "decision.codes");
    for (int i = 0; i < n_codes; i++) {
        char q[48];
        snprintf(q, sizeof q, "decision.codes.%d.group", i);
        if (strcmp(test_json_str(dec, q), "PR") != 0)
            continue;
        snprintf(q, sizeof q, "decision.codes.%d.carc", i);
        char carc[8];
        snprintf(carc, sizeof carc, "%s", test_json_str(dec, q));
        snprintf(q, sizeof q, "decision.codes.%d.amount", i);
        long cents = to_cents(test_json_str(dec, q));
        if (!strcmp(carc, "1"))
            *ded += cents;
        if (!strcmp(carc, "1") || !strcmp(carc, "2") || !strcmp(carc, "3"))
            *oop += cents;
    }
}

/* After the storm: every correction as it must be, and the family's
 * accumulators equal to its standing claims' decisions. */
static void check_corrections(redisContext *c)
{
    ck_assert_int_gt(n_corr, CORR_CLAIMS / 2);
    long ded = 0, oop = 0;
    int voided = 0, replaced = 0;
    for (int i = 0; i < n_corr; i++) {
        redisReply *h = redisCommand(c, "HMGET claims:{c}claim:%s status eob_version", corr[i].id);
        const char *st = h->element[0]->type == REDIS_REPLY_STRING ? h->element[0]->str : "";
        int version = h->element[1]->type == REDIS_REPLY_STRING ? atoi(h->element[1]->str) : 0;
        if (corr[i].want[0]) {
            ck_assert_msg(!strcmp(st, corr[i].want), "correction %d: %s, not %s", i, st,
                          corr[i].want);
            /* Final before it was corrected: its reversal is the latest EOB version. */
            ck_assert_int_ge(version, 2);
            redisReply *e = redisCommand(c, "GET claims:{c}eob:%s:%d", corr[i].id, version);
            char *eob = NULL;
            size_t eob_len = 0;
            ck_assert_int_eq(packed_unpack(e->str, e->len, &eob, &eob_len), 0);
            ck_assert_ptr_nonnull(strstr(eob, !strcmp(st, "voided") ? "\"kind\":\"void\""
                                                                    : "\"kind\":\"replacement\""));
            free(eob);
            freeReplyObject(e);
            voided += !strcmp(st, "voided");
            replaced += !strcmp(st, "replaced");
        } else {
            ck_assert_msg(!strcmp(st, "approved") || !strcmp(st, "denied"), "correction %d: %s", i,
                          st);
            if (!strcmp(st, "approved")) {
                redisReply *d = redisCommand(c, "GET claims:{c}dec:%s", corr[i].id);
                char *dec = NULL;
                size_t dec_len = 0;
                ck_assert_int_eq(packed_unpack(d->str, d->len, &dec, &dec_len), 0);
                add_cost_share(dec, &ded, &oop);
                free(dec);
                freeReplyObject(d);
            }
        }
        freeReplyObject(h);
    }
    ck_assert_int_gt(voided, 0);
    ck_assert_int_gt(replaced, 0);
    redisReply *r = redisCommand(c, "HMGET claims:{c}acc:" CORR_FAMILY ":2026 f:in:ded f:in:oop "
                                    "m:" CORR_FAMILY ":in:ded m:" CORR_FAMILY ":in:oop");
    long got[4];
    for (int i = 0; i < 4; i++)
        got[i] = r->element[i]->type == REDIS_REPLY_STRING ? atol(r->element[i]->str) : 0;
    freeReplyObject(r);
    ck_assert_int_eq(got[0], ded);
    ck_assert_int_eq(got[1], oop);
    ck_assert_int_eq(got[2], ded);
    ck_assert_int_eq(got[3], oop);
    fprintf(stderr,
            "fault storm corrections: %d claims, %d voided, %d replaced; deductible met "
            "%ld cents\n",
            n_corr, voided, replaced, ded);
}

static pthread_t chaos_thread;
static bool chaos_running;

static void setup(void)
{
    const char *n = getenv("STORM_CLAIMS");
    if (n && atoi(n) > 0)
        n_claims = atoi(n);
    ids = calloc((size_t)n_claims, sizeof *ids);
    test_redis_start(&redis);
    test_sample_config(cfg_path, sizeof cfg_path, redis.dir, "storm.json",
                       "\"claim_idle_timeout_ms\": 500, \"max_deliveries\": 1000,"
                       " \"redis_timeout_ms\": 1500");
    const char *args[] = {"--redis", redis.url, "--config", cfg_path, "--workers", "0", NULL};
    if (test_claimsd_start(&intake, args, env, NULL) != 0) {
        fprintf(stderr, "intake did not start\n");
        exit(2);
    }
}

static void teardown(void)
{
    atomic_store(&chaos_stop, true);
    atomic_store(&chaos_exit, true);
    if (chaos_running)
        pthread_join(chaos_thread, NULL);
    for (int i = 0; i < WORKER_PROCS; i++) {
        test_claimsd_stop(&workers[i], SIGTERM);
        test_remove_tree(workers[i].dir);
    }
    test_claimsd_stop(&intake, SIGTERM);
    test_remove_tree(intake.dir);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
    free(ids);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static long to_cents(const char *s)
{
    long whole = 0, frac = 0;
    const char *dot = strchr(s, '.');
    whole = atol(s);
    if (dot)
        frac = atol(dot + 1) * (strlen(dot + 1) == 1 ? 10 : 1);
    return whole * 100 + frac;
}

/* Accumulator sums recomputed from the decisions: per family and member,
 * per network: deductible (PR-1) and out of pocket (PR-1, PR-2, PR-3). */
struct sums {
    long fam_ded[3][2], fam_oop[3][2];
    long mem_ded[N_PEOPLE][2], mem_oop[N_PEOPLE][2];
};

static int family_index(const char *subscriber)
{
    return strcmp(subscriber, "M1001") == 0 ? 0 : strcmp(subscriber, "M2001") == 0 ? 1 : 2;
}

START_TEST(test_every_accepted_claim_is_final_exactly_once_through_the_storm)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < WORKER_PROCS; i++)
        start_worker(i);
    /* The corrector's family: an employee of the sample group G100. */
    ck_assert_int_eq(
        storm_call("PUT", "/v1/members/" CORR_FAMILY,
                   "{\"member_id\":\"" CORR_FAMILY "\",\"subscriber_id\":\"" CORR_FAMILY
                   "\",\"group_id\":\"G100\",\"relationship\":\"employee\","
                   "\"first_name\":\"Vera\",\"last_name\":\"Stone\","
                   "\"birth_date\":\"1981-02-03\",\"state\":\"FL\",\"student\":false,"
                   "\"lives_with_employee\":true,\"married_on\":null,"
                   "\"has_own_dependent\":false,\"handicapped_certified\":false,"
                   "\"coverage\":[{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
                   "\"termination_event\":null,\"kind\":\"active\"}],"
                   "\"medicare\":null,\"other_coverage\":[]}",
                   NULL, NULL),
        201);
    pthread_t subs[SUBMITTERS], corr_thread;
    pthread_create(&chaos_thread, NULL, chaos, NULL);
    chaos_running = true;
    pthread_create(&corr_thread, NULL, corrector, NULL);
    for (int t = 0; t < SUBMITTERS; t++)
        pthread_create(&subs[t], NULL, submitter, (void *)(intptr_t)t);
    for (int t = 0; t < SUBMITTERS; t++)
        pthread_join(subs[t], NULL);
    pthread_join(corr_thread, NULL);
    double submit_seconds = seconds_since(&t0);
    atomic_store(&chaos_stop, true);
    /* Its last round is over: a Redis restart in it may take many seconds
     * on a loaded machine (the append-only file is read back first). */
    while (!atomic_load(&chaos_idle))
        test_sleep_ms(20);
    for (int i = 0; i < WORKER_PROCS; i++)
        if (workers[i].pid <= 0 || test_claimsd_wait(&workers[i], 0) >= 0)
            start_worker(i);

    for (int k = 0; k < n_claims; k++) {
        if (!ids[k][0]) {
            char *log = test_claimsd_log(&intake);
            fprintf(stderr, "intake log:\n%s\n",
                    log + (strlen(log) > 3000 ? strlen(log) - 3000 : 0));
            free(log);
        }
        ck_assert_msg(ids[k][0], "claim %d never got a 202", k);
    }

    /* Wait until the queue is empty: as long as it keeps shrinking (a
     * sanitizer build is several times slower), at most 60 s without progress. */
    redisContext *c = NULL;
    long long last_left = -1;
    int idle_ticks = 0;
    while (idle_ticks < 600) {
        if (!c)
            c = test_redis_connect(&redis);
        redisReply *len = redisCommand(c, "XLEN claims:{c}work");
        long long left = len && len->type == REDIS_REPLY_INTEGER ? len->integer : -1;
        if (len)
            freeReplyObject(len);
        if (left == 0)
            break;
        idle_ticks = left == last_left ? idle_ticks + 1 : 0;
        last_left = left;
        test_sleep_ms(100);
    }
    double total_seconds = seconds_since(&t0);
    redisReply *r = redisCommand(c, "XLEN claims:{c}work");
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);
    r = redisCommand(c, "XLEN claims:{c}dead");
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);
    r = redisCommand(c, "ZCARD claims:{c}idx:all");
    ck_assert_int_eq(r->integer, n_claims + n_corr); /* retries made no extra claims */
    freeReplyObject(r);

    struct sums want;
    memset(&want, 0, sizeof want);
    int approved = 0, denied = 0;
    /* The layout of docs/operations.md "Redis keys": the decision packed in
     * {c}dec:<id>, the submission in {c}body:<id>, a compact history. */
    for (int k = 0; k < n_claims; k++) {
        redisAppendCommand(c, "HMGET claims:{c}claim:%s status history eob_version", ids[k]);
        redisAppendCommand(c, "GET claims:{c}dec:%s", ids[k]);
        redisAppendCommand(c, "GET claims:{c}body:%s", ids[k]);
    }
    for (int k = 0; k < n_claims; k++) {
        redisReply *h = NULL, *packed = NULL, *body = NULL;
        ck_assert_int_eq(redisGetReply(c, (void **)&h), REDIS_OK);
        ck_assert_int_eq(redisGetReply(c, (void **)&packed), REDIS_OK);
        ck_assert_int_eq(redisGetReply(c, (void **)&body), REDIS_OK);
        const char *status = h->element[0]->str;
        ck_assert_msg(status && (strcmp(status, "approved") == 0 || strcmp(status, "denied") == 0),
                      "claim %d is %s", k, status ? status : "missing");
        int finals = 0;
        for (const char *p = h->element[1]->str; (p = strchr(p, '@')); p++) {
            const char *start = p;
            while (start > h->element[1]->str && start[-1] != ',')
                start--;
            finals += (p - start == 8 && strncmp(start, "approved", 8) == 0) ||
                      (p - start == 6 && strncmp(start, "denied", 6) == 0);
        }
        ck_assert_msg(finals == 1, "claim %d has %d final history entries", k, finals);
        if (strcmp(h->element[2]->str, "1") != 0)
            explain_eob_versions(ids[k], h->element[1]->str, h->element[2]->str);
        ck_assert_str_eq(h->element[2]->str, "1");
        /* A final claim's submission is packed. */
        ck_assert_int_eq(body->type, REDIS_REPLY_STRING);
        char *submission = NULL;
        size_t submission_len = 0;
        ck_assert_int_eq(packed_unpack(body->str, body->len, &submission, &submission_len), 0);
        char *dec = NULL;
        size_t dec_len;
        ck_assert_int_eq(packed->type, REDIS_REPLY_STRING);
        ck_assert_int_eq(packed_unpack(packed->str, packed->len, &dec, &dec_len), 0);
        if (strcmp(status, "approved") == 0) {
            approved++;
            const struct person *p = &people[k % N_PEOPLE];
            int f = family_index(p->subscriber), m = k % N_PEOPLE;
            int net = strstr(submission, "\"network\":\"out\"") ? 1 : 0;
            int n_codes = test_json_len(dec, "decision.codes");
            for (int i = 0; i < n_codes; i++) {
                char q[48];
                snprintf(q, sizeof q, "decision.codes.%d.group", i);
                if (strcmp(test_json_str(dec, q), "PR") != 0)
                    continue;
                snprintf(q, sizeof q, "decision.codes.%d.carc", i);
                const char *carc = test_json_str(dec, q);
                snprintf(q, sizeof q, "decision.codes.%d.amount", i);
                long cents = to_cents(test_json_str(dec, q));
                bool ded = strcmp(carc, "1") == 0;
                bool oop = ded || strcmp(carc, "2") == 0 || strcmp(carc, "3") == 0;
                if (ded) {
                    want.fam_ded[f][net] += cents;
                    want.mem_ded[m][net] += cents;
                }
                if (oop) {
                    want.fam_oop[f][net] += cents;
                    want.mem_oop[m][net] += cents;
                }
            }
        } else {
            denied++;
        }
        free(dec);
        free(submission);
        freeReplyObject(h);
        freeReplyObject(packed);
        freeReplyObject(body);
    }
    /* The stored accumulators equal the sums of the decisions. */
    static const char *const tiers[2] = {"in", "out"};
    for (int m = 0; m < N_PEOPLE; m++)
        for (int t = 0; t < 2; t++) {
            const char *sub = people[m].subscriber;
            int f = family_index(sub);
            r = redisCommand(
                c, "HMGET claims:{c}acc:%s:2026 m:%s:%s:ded m:%s:%s:oop f:%s:ded f:%s:oop", sub,
                people[m].member, tiers[t], people[m].member, tiers[t], tiers[t], tiers[t]);
            long got[4];
            for (int i = 0; i < 4; i++)
                got[i] = r->element[i]->type == REDIS_REPLY_STRING ? atol(r->element[i]->str) : 0;
            freeReplyObject(r);
            ck_assert_int_eq(got[0], want.mem_ded[m][t]);
            ck_assert_int_eq(got[1], want.mem_oop[m][t]);
            ck_assert_int_eq(got[2], want.fam_ded[f][t]);
            ck_assert_int_eq(got[3], want.fam_oop[f][t]);
        }
    check_corrections(c);
    redisFree(c);
    fprintf(
        stderr,
        "fault storm: %d claims (%d approved, %d denied) in %.1f s (%.0f claims/s end to end, "
        "submissions done after %.1f s); %d worker kills, %d Redis kills, %d retried submissions\n",
        n_claims, approved, denied, total_seconds, n_claims / total_seconds, submit_seconds,
        atomic_load(&kills), atomic_load(&redis_restarts), atomic_load(&retries));
    ck_assert_int_gt(atomic_load(&kills), 0);
    ck_assert_int_gt(atomic_load(&redis_restarts), 0);
}
END_TEST

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    /* "Today" as the servers under test count it: the default time_zone. */
    date_set_time_zone("America/New_York");
    Suite *s = suite_create("fault_storm");
    TCase *tc = tcase_create("storm");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_every_accepted_claim_is_final_exactly_once_through_the_storm);
    suite_add_tcase(s, tc);
    /* One process: the fixture's servers and the test's threads share it. */
    return test_run_suite(s, CK_NOFORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
