/*
 * The corrections invariant (issue 14, docs/rules.md "Corrections, voids and
 * the adjustment cascade"): after any sequence of submissions, replacements,
 * voids and review overrides, every family's accumulators and every claim's
 * current amounts equal a fresh one-at-a-time adjudication of the claims that
 * stand, in receipt order, with the same reviewer decisions.
 *
 * A random sequence (fixed seed, printed; CORRECTIONS_SEED overrides it;
 * CORRECTIONS_STEPS the number of steps) of submissions (some exact copies of
 * earlier claims: duplicates), voids and replacements for five families runs
 * through a real claimsd whose plan has a review_threshold of 200.00: a claim
 * (or replacement) that goes to review is decided in the same step by a
 * random approve, adjust or deny (POST /v1/claims/{id}/review). The oracle is
 * independent of the re-decision code: a second claimsd on an empty Redis is
 * fed only the claims that stand, in receipt order, one at a time; a twin
 * that goes to review gets the same reviewer's decision (approve when its
 * claim has none: docs/rules.md "Staff review", a standing claim the rules
 * would refer now); each standing claim's decision on the first must equal
 * its twin's on the second, byte for byte, and so must every family's
 * accumulator hashes.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "money.h"

#define ADMIN "corrections-property-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define P "claims:"
#define DEFAULT_SEED 20261203u
#define DEFAULT_STEPS 300
#define MAX_CLAIMS 1024
#define N_FAMILIES 5

struct person {
    const char *id, *subscriber, *relationship, *first, *birth;
};

/* Five families of the sample group G100 (PPO-500): an employee and a child each. */
static const struct person people[] = {
    {"M1001", "M1001", "employee", "Luis", "1975-09-14"},
    {"M1001-02", "M1001", "child", "Ana", "2015-06-10"},
    {"Q100", "Q100", "employee", "Rosa", "1980-01-15"},
    {"Q100-1", "Q100", "child", "Tomas", "2012-05-01"},
    {"Q200", "Q200", "employee", "Ivan", "1969-11-30"},
    {"Q200-1", "Q200", "child", "Lena", "2010-02-02"},
    {"Q300", "Q300", "employee", "Omar", "1990-07-07"},
    {"Q300-1", "Q300", "child", "Nia", "2018-08-08"},
    {"Q400", "Q400", "employee", "Eva", "1985-03-03"},
    {"Q400-1", "Q400", "child", "Max", "2016-12-12"},
};
#define N_PEOPLE (sizeof people / sizeof *people)

struct claim_rec {
    char id[40];
    char *body;
    char *review; /* the reviewer's decision it got (the POST body), NULL when none */
    int person;
    bool standing;
};

static struct test_redis redis1, redis2;
static struct test_claimsd server1, server2;
static char staff1[80], staff2[80];
static struct claim_rec claims[MAX_CLAIMS];
static int n_claims;
static unsigned rng;

/* xorshift32: the same sequence for the same seed everywhere. */
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

/* PUT of a person's member record (the sample M1001's shape). */
static void put_person(const struct test_claimsd *d, const struct person *p)
{
    char body[1024], path[64];
    snprintf(body, sizeof body,
             "{\"member_id\":\"%s\",\"subscriber_id\":\"%s\",\"group_id\":\"G100\","
             "\"relationship\":\"%s\",\"first_name\":\"%s\",\"last_name\":\"Lopez\","
             "\"birth_date\":\"%s\",\"state\":\"FL\",\"student\":true,"
             "\"lives_with_employee\":true,\"married_on\":null,\"has_own_dependent\":false,"
             "\"handicapped_certified\":false,\"coverage\":[{\"plan_id\":\"PPO-500\","
             "\"effective\":\"2020-01-01\",\"termination_event\":null,\"kind\":\"active\"}],"
             "\"medicare\":null,\"other_coverage\":[]}",
             p->id, p->subscriber, p->relationship, p->first, p->birth);
    snprintf(path, sizeof path, "/v1/members/%s", p->id);
    struct test_response res;
    test_api(d, "PUT", path, ADMIN, body, NULL, &res);
    ck_assert_msg(res.status == 200 || res.status == 201, "PUT %s: %ld", p->id, res.status);
    test_response_free(&res);
}

static void start(struct test_redis *r, struct test_claimsd *d, char staff[80])
{
    test_redis_start(r);
    test_claimsd_start_admin(d, r->url, ADMIN, NULL);
    /* The sample plan with a review threshold of 200.00. */
    char *plan = test_read_source("config/sample/plans/PPO-500.json");
    char *brace = strchr(plan, '{');
    ck_assert_ptr_nonnull(brace);
    char body[8192];
    snprintf(body, sizeof body, "{\"review_threshold\": 200.00, %s", brace + 1);
    free(plan);
    free(test_call(d, "PUT", "/v1/plans/PPO-500", ADMIN, body, 201));
    test_put_sample_record(d, ADMIN, "groups", "G100");
    for (size_t i = 0; i < N_PEOPLE; i += 2) /* employees first: a child names one */
        put_person(d, &people[i]);
    for (size_t i = 1; i < N_PEOPLE; i += 2)
        put_person(d, &people[i]);
    test_create_token(d, ADMIN, "{\"role\":\"staff\"}", staff);
}

static void setup(void)
{
    start(&redis1, &server1, staff1);
    start(&redis2, &server2, staff2);
}

static void teardown(void)
{
    for (int i = 0; i < n_claims; i++) {
        free(claims[i].body);
        free(claims[i].review);
    }
    test_claimsd_stop_clean(&server1);
    test_claimsd_stop_clean(&server2);
    test_redis_stop(&redis1);
    test_redis_stop(&redis2);
    test_remove_tree(redis1.dir);
    test_remove_tree(redis2.dir);
}

/* A random line: a service the deductible and coinsurance apply to (X-rays,
 * blood counts, panels) or a copay visit, on a date of late 2025 or 2026. */
static void random_line(char *out, size_t size, bool year_2025)
{
    static const char *const codes[] = {"71046", "85025", "80053", "99214", "71046"};
    const char *code = codes[pick(5)];
    int units = 1 + pick(strcmp(code, "99214") == 0 ? 1 : 6);
    char date[16];
    if (year_2025)
        snprintf(date, sizeof date, "2025-12-%02d", 5 + pick(20));
    else
        snprintf(date, sizeof date, "2026-%02d-%02d", 1 + pick(11), 1 + pick(28));
    snprintf(out, size,
             "{\"service_date\":\"%s\",\"procedure_code\":\"%s\",\"units\":%d,\"charge\":%d.00}",
             date, code, units, 50 + 40 * units + pick(4) * 10);
}

/* A new random claim body for person p: one line, or two spanning the years. */
static char *random_body(int p)
{
    char l1[256], l2[300] = "";
    int kind = pick(10);
    random_line(l1, sizeof l1, kind == 0);
    if (kind == 1) {
        char second[256];
        random_line(second, sizeof second, true);
        snprintf(l2, sizeof l2, ",%s", second);
    }
    char *body = malloc(2048);
    snprintf(body, 2048,
             "{\"type\":\"medical\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
             "\"last_name\":\"Lopez\",\"birth_date\":\"%s\"},\"provider\":{\"npi\":\"" NPI_A
             "\",\"name\":\"Bay Clinic\",\"network\":\"in\",\"facility\":false},"
             "\"diagnosis_codes\":[\"J06.9\"],\"lines\":[%s%s]}",
             people[p].id, people[p].first, people[p].birth, l1, l2);
    return body;
}

/* The claim's status on d. */
static void status_on(const struct test_claimsd *d, const char *token, const char *id, char out[32])
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    char *b = test_call(d, "GET", path, token, NULL, 200);
    snprintf(out, 32, "%s", test_json_str(b, "status"));
    free(b);
}

/* Waits until the claim is approved or denied (or in review, when
 * review_too); returns whether it is in review. */
static bool wait_final(const struct test_claimsd *d, const char *token, const char *id,
                       bool review_too)
{
    char st[32] = "";
    for (int i = 0; i < 2000; i++) {
        status_on(d, token, id, st);
        if (strcmp(st, "approved") == 0 || strcmp(st, "denied") == 0)
            return false;
        if (review_too && strcmp(st, "in_review") == 0)
            return true;
        test_sleep_ms(5);
    }
    ck_abort_msg("claim %s not final (%s) after the wait", id, st);
    return false;
}

/* Posts body to path on d and waits until the new claim is final or in
 * review; its id in out; returns whether it is in review. */
static bool post_settled(const struct test_claimsd *d, const char *token, const char *path,
                         const char *body, char out[40])
{
    char *res = test_call(d, "POST", path, token, body, 202);
    snprintf(out, 40, "%s", test_json_str(res, "claim_id"));
    free(res);
    return wait_final(d, token, out, true);
}

/* The reviewer's decision on a claim in review, then final. */
static void review(const struct test_claimsd *d, const char *token, const char *id,
                   const char *body)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s/review", id);
    free(test_call(d, "POST", path, token, body, 202));
    wait_final(d, token, id, false);
}

/* A random reviewer's decision on the claim in review on server 1 (adjust
 * only a line the rules priced: the API refuses to adjust a denied one). */
static char *random_review(const char *id, int *counts)
{
    char path[96], *body = malloc(512);
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    char *claim = test_call(&server1, "GET", path, staff1, NULL, 200);
    bool line1_priced = strcmp(test_json_str(claim, "decision.lines.0.denied"), "false") == 0;
    cents_t charge = 0;
    ck_assert(money_parse(test_json_str(claim, "decision.lines.0.charge"), &charge));
    free(claim);
    int action = pick(3);
    if (action == 1 && !line1_priced)
        action = 0;
    if (action == 0) {
        snprintf(body, 512, "{\"action\":\"approve\",\"note\":\"property test\"}");
    } else if (action == 1) {
        char allowed[MONEY_STRLEN];
        money_format(charge * (40 + pick(61)) / 100, allowed);
        snprintf(body, 512, "{\"action\":\"adjust\",\"lines\":[{\"line\":1,\"allowed\":%s%s}]}",
                 allowed, pick(2) ? ",\"group\":\"CO\",\"carc\":\"45\"" : "");
    } else if (pick(2)) {
        snprintf(body, 512,
                 "{\"action\":\"deny\",\"lines\":[{\"line\":1,\"group\":\"CO\","
                 "\"carc\":\"96\",\"rarc\":\"N30\"}]}");
    } else {
        snprintf(body, 512, "{\"action\":\"deny\",\"lines\":[{\"group\":\"PR\",\"carc\":\"96\"}]}");
    }
    counts[4 + action]++;
    return body;
}

/* A random standing claim, -1 when none stands. */
static int random_standing(void)
{
    int n = 0;
    for (int i = 0; i < n_claims; i++)
        n += claims[i].standing;
    if (n == 0)
        return -1;
    int k = pick(n);
    for (int i = 0; i < n_claims; i++)
        if (claims[i].standing && k-- == 0)
            return i;
    return -1;
}

/* A new standing claim; one in review is decided by a random reviewer's
 * decision, kept for the oracle. */
static void add_claim(const char *id, char *body, int person, bool in_review, int *counts)
{
    ck_assert_int_lt(n_claims, MAX_CLAIMS);
    struct claim_rec *c = &claims[n_claims++];
    snprintf(c->id, sizeof c->id, "%s", id);
    c->body = body;
    c->review = NULL;
    c->person = person;
    c->standing = true;
    if (in_review) {
        c->review = random_review(id, counts);
        review(&server1, staff1, id, c->review);
    }
}

/* How many of the patient's duplicate fingerprints name claim k. */
static int fps_held(int k)
{
    redisContext *rc = test_redis_connect(&redis1);
    redisReply *fr = redisCommand(rc, "HGETALL " P "{c}fp:%s", people[claims[k].person].id);
    int n = 0;
    for (size_t j = 0; j + 1 < fr->elements; j += 2)
        n += strcmp(fr->element[j + 1]->str, claims[k].id) == 0;
    freeReplyObject(fr);
    redisFree(rc);
    return n;
}

/* One random step on server 1. */
static void step(int *counts)
{
    int r = pick(100);
    char id[40], path[128];
    if (r < 60 || n_claims < 3) {
        int p = pick((int)N_PEOPLE);
        char *body;
        if (n_claims > 0 && pick(10) == 0) { /* an exact copy of an earlier claim */
            int k = pick(n_claims);
            body = strdup(claims[k].body);
            p = claims[k].person;
        } else {
            body = random_body(p);
        }
        bool in_review = post_settled(&server1, staff1, "/v1/claims", body, id);
        add_claim(id, body, p, in_review, counts);
        counts[0]++;
    } else if (r < 80) {
        int k = random_standing();
        if (k < 0)
            return;
        snprintf(path, sizeof path, "/v1/claims/%s/void", claims[k].id);
        free(test_call(&server1, "POST", path, staff1, "{\"reason\":\"property test\"}", 200));
        claims[k].standing = false;
        counts[1]++;
        /* A claim that no longer stands holds no duplicate fingerprint (RULES.md § 5). */
        ck_assert_int_eq(fps_held(k), 0);
    } else if (r < 97) {
        int k = random_standing();
        if (k < 0)
            return;
        /* The correction: the same patient, another line or the same one again. */
        char *body = pick(3) == 0 ? strdup(claims[k].body) : random_body(claims[k].person);
        snprintf(path, sizeof path, "/v1/claims/%s/replace", claims[k].id);
        bool in_review = post_settled(&server1, staff1, path, body, id);
        claims[k].standing = false;
        add_claim(id, body, claims[k].person, in_review, counts);
        counts[2]++;
        ck_assert_int_eq(fps_held(k), 0);
    } else {
        /* A claim that no longer stands cannot be voided again. */
        for (int k = 0; k < n_claims; k++)
            if (!claims[k].standing) {
                snprintf(path, sizeof path, "/v1/claims/%s/void", claims[k].id);
                char *b = test_call(&server1, "POST", path, staff1, "{\"reason\":\"again\"}", 409);
                free(b);
                counts[3]++;
                break;
            }
    }
}

/* Waits until server 1's work stream is empty and nothing is in flight, twice in a row. */
static void wait_quiet(void)
{
    int quiet = 0;
    for (int i = 0; i < 3000 && quiet < 2; i++) {
        char *q = test_call(&server1, "GET", "/v1/queue", staff1, NULL, 200);
        bool idle = strcmp(test_json_str(q, "depth"), "0") == 0 &&
                    strcmp(test_json_str(q, "in_flight"), "0") == 0;
        free(q);
        quiet = idle ? quiet + 1 : 0;
        test_sleep_ms(idle ? 50 : 10);
    }
    ck_assert_msg(quiet >= 2, "server 1 never went quiet");
}

/* The claim's decision object as canonical JSON, and its status. */
static char *decision_of(const struct test_claimsd *d, const char *token, const char *id,
                         char status[32])
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    char *b = test_call(d, "GET", path, token, NULL, 200);
    struct json_object *o = json_tokener_parse(b), *dec = NULL, *st = NULL;
    ck_assert_ptr_nonnull(o);
    ck_assert(json_object_object_get_ex(o, "decision", &dec));
    ck_assert(json_object_object_get_ex(o, "status", &st));
    snprintf(status, 32, "%s", json_object_get_string(st));
    char *text = strdup(json_object_to_json_string_ext(dec, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    free(b);
    return text;
}

/* A family's accumulator hash of one year, non-zero fields sorted, as text. */
static char *accumulators(const struct test_redis *r, const char *family, int year)
{
    redisContext *c = test_redis_connect(r);
    redisReply *rep = redisCommand(c, "HGETALL " P "{c}acc:%s:%d", family, year);
    ck_assert_ptr_nonnull(rep);
    size_t n = rep->elements / 2;
    char **lines = calloc(n + 1, sizeof *lines);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (atoll(rep->element[2 * i + 1]->str) == 0)
            continue;
        lines[k] = malloc(256);
        snprintf(lines[k++], 256, "%s=%s", rep->element[2 * i]->str, rep->element[2 * i + 1]->str);
    }
    for (size_t i = 0; i < k; i++) /* insertion sort: a handful of fields */
        for (size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
            char *t = lines[j];
            lines[j] = lines[j - 1];
            lines[j - 1] = t;
        }
    char *out = calloc(1, k * 256 + 1);
    for (size_t i = 0; i < k; i++) {
        strcat(out, lines[i]);
        strcat(out, ";");
        free(lines[i]);
    }
    free(lines);
    freeReplyObject(rep);
    redisFree(c);
    return out;
}

START_TEST(test_accumulators_and_amounts_equal_a_fresh_run_of_the_standing_claims)
{
    const char *seed_env = getenv("CORRECTIONS_SEED");
    const char *steps_env = getenv("CORRECTIONS_STEPS");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : DEFAULT_SEED;
    int steps = steps_env ? atoi(steps_env) : DEFAULT_STEPS;
    rng = seed ? seed : 1;
    fprintf(stderr,
            "corrections property test: seed %u, %d steps (CORRECTIONS_SEED, "
            "CORRECTIONS_STEPS)\n",
            seed, steps);
    int counts[7] = {0};
    for (int i = 0; i < steps; i++)
        step(counts);
    wait_quiet();
    for (int k = 0; k < n_claims; k++)
        if (!claims[k].standing)
            ck_assert_msg(fps_held(k) == 0, "seed %u: claim %d still holds a fingerprint", seed, k);
    fprintf(stderr,
            "corrections property test: %d submissions, %d voids, %d replacements, "
            "%d refused voids; reviews: %d approve, %d adjust, %d deny\n",
            counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6]);
    ck_assert_int_gt(counts[1], 0);
    ck_assert_int_gt(counts[2], 0);
    ck_assert_int_gt(counts[4] + counts[5] + counts[6], 0);

    /* The oracle: only the standing claims, in receipt order, one at a time. */
    int standing = 0;
    for (int i = 0; i < n_claims; i++) {
        char st[32];
        if (!claims[i].standing) {
            status_on(&server1, staff1, claims[i].id, st);
            ck_assert_msg(strcmp(st, "voided") == 0 || strcmp(st, "replaced") == 0, "claim %s: %s",
                          claims[i].id, st);
            continue;
        }
        standing++;
        char twin[40], st1[32], st2[32];
        if (post_settled(&server2, staff2, "/v1/claims", claims[i].body, twin))
            review(&server2, staff2, twin,
                   claims[i].review ? claims[i].review : "{\"action\":\"approve\"}");
        char *d1 = decision_of(&server1, staff1, claims[i].id, st1);
        char *d2 = decision_of(&server2, staff2, twin, st2);
        ck_assert_msg(strcmp(st1, st2) == 0 && strcmp(d1, d2) == 0,
                      "seed %u: claim %d (%s) differs from a fresh run:\n  %s %s\n  %s %s", seed, i,
                      claims[i].id, st1, d1, st2, d2);
        free(d1);
        free(d2);
    }
    ck_assert_int_gt(standing, 0);
    for (size_t f = 0; f < N_PEOPLE; f += 2)
        for (int year = 2025; year <= 2026; year++) {
            char *a1 = accumulators(&redis1, people[f].id, year);
            char *a2 = accumulators(&redis2, people[f].id, year);
            ck_assert_msg(strcmp(a1, a2) == 0, "seed %u: %s %d accumulators %s, fresh run %s", seed,
                          people[f].id, year, a1, a2);
            free(a1);
            free(a2);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("corrections_property");
    TCase *tc = tcase_create("invariant");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_accumulators_and_amounts_equal_a_fresh_run_of_the_standing_claims);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
