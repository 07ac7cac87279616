/*
 * Staff review end to end (docs/api.md "Staff review", docs/rules.md "Staff
 * review") through a real claimsd and its workers: the plan PPO-500 with a
 * review_threshold of 300.00 sends claims whose total allowed exceeds it to
 * in_review (no EOB, no accumulators moved, its duplicate fingerprints held,
 * listed oldest target first,
 * overdue like any open claim, counted in /v1/queue and /metrics, a
 * claim.in_review event); staff approve, adjust and deny them, each with the
 * exact amounts and codes on the EOB and the reviewer and note in the audit.
 * Refusals: 403 for members and providers, 404, 409 not_in_review, 422
 * naming the field.
 *
 * Amounts (PPO-500, in network): 71046 allowed 60.00 a unit, 85025 12.00;
 * deductible 500.00 a person and 1,000.00 a family, then 20 % coinsurance.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness/harness.h"

#define ADMIN "review-tests-bootstrap-admin-token-0123456789abcdef"
#define NPI_A "1245319599"

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], staff_id[64], member[80], provider[80];

/* The day `offset` days from today, YYYY-MM-DD (static slots). */
static const char *day(int offset)
{
    static char slots[8][DATE_STRLEN];
    static int slot;
    slot = (slot + 1) % 8;
    return date_format(date_add_days(date_today(), offset), slots[slot]);
}

#define LUIS                                                                                       \
    "\"member_id\":\"M1001\",\"patient\":{\"first_name\":\"Luis\","                                \
    "\"last_name\":\"Lopez\",\"birth_date\":\"1975-09-14\"}"
#define ANA                                                                                        \
    "\"member_id\":\"M1001-02\",\"patient\":{\"first_name\":\"Ana\",\"last_name\":"                \
    "\"Lopez\",\"birth_date\":\"2015-06-10\"}"

/* Posts a medical claim as staff (received `received` days from today, a
 * line on day -40 unless it says another day); its id into out. lines:
 * "code:units:charge[:day],..." */
static void claim_body(const char *who, int received, const char *lines, char body[4096])
{
    char list[2048] = "";
    char code[16];
    int units, on = -40;
    double charge;
    for (const char *p = lines; p && *p;) {
        int got = sscanf(p, "%15[^:]:%d:%lf:%d", code, &units, &charge, &on);
        ck_assert(got == 3 || got == 4);
        snprintf(list + strlen(list), sizeof list - strlen(list),
                 "%s{\"service_date\":\"%s\",\"procedure_code\":\"%s\",\"units\":%d,"
                 "\"charge\":%.2f}",
                 list[0] ? "," : "", day(got == 4 ? on : -40), code, units, charge);
        p = strchr(p, ',');
        if (p)
            p++;
    }
    snprintf(body, 4096,
             "{\"type\":\"medical\",%s,\"provider\":{\"npi\":\"" NPI_A "\",\"name\":\"Bay Clinic\","
             "\"network\":\"in\",\"facility\":false},\"diagnosis_codes\":[\"J06.9\"],"
             "\"received_date\":\"%s\",\"lines\":[%s]}",
             who, day(received), list);
}

static void post_claim(const char *who, int received, const char *lines, char out[40])
{
    char body[4096];
    claim_body(who, received, lines, body);
    char *res = test_call(&server, "POST", "/v1/claims", staff, body, 202);
    snprintf(out, 40, "%s", test_json_str(res, "claim_id"));
    free(res);
}

/* Waits until the claim has the status; the claim as read back (caller frees). */
static void expect_status(const char *id, const char *want)
{
    free(test_wait_claim(&server, staff, id, want, 20000));
}

static char *eob(const char *id)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s/eob", id);
    return test_call(&server, "GET", path, staff, NULL, 200);
}

/* "CO-45 100.00, PR-1 500.00" from an adjustments array at path. */
static const char *adjustments(const char *body, const char *path)
{
    static char out[512];
    out[0] = '\0';
    int n = test_json_len(body, path);
    for (int i = 0; i < n; i++) {
        char g[96], c[96], a[96];
        snprintf(g, sizeof g, "%s.%d.group", path, i);
        snprintf(c, sizeof c, "%s.%d.code", path, i);
        snprintf(a, sizeof a, "%s.%d.amount", path, i);
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s-%s %s", i ? ", " : "",
                 test_json_str(body, g), test_json_str(body, c), test_json_str(body, a));
    }
    return out;
}

static void review(const char *id, const char *body, const char *token, long want)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s/review", id);
    char *res = test_call(&server, "POST", path, token, body, want);
    if (want == 202) {
        ck_assert_str_eq(test_json_str(res, "claim_id"), id);
        ck_assert_str_eq(test_json_str(res, "status"), "received");
    }
    free(res);
}

static void setup(void)
{
    test_start_redis_and_claimsd(&redis, &server, ADMIN, NULL);
    /* The sample plan with a review threshold of 300.00. */
    char *res = test_put_review_plan(&server, ADMIN);
    ck_assert_str_eq(test_json_str(res, "review_threshold"), "300.00");
    free(res);
    test_put_sample_record(&server, ADMIN, "groups", "G100");
    test_put_sample_record(&server, ADMIN, "members", "M1001");
    test_put_sample_record(&server, ADMIN, "members", "M1001-02");
    res = test_call(&server, "POST", "/v1/tokens", ADMIN, "{\"role\":\"staff\"}", 201);
    snprintf(staff, sizeof staff, "%s", test_json_str(res, "token"));
    snprintf(staff_id, sizeof staff_id, "%s", test_json_str(res, "token_id"));
    free(res);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", member);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", provider);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

/* The claim ids of a list at path, space-separated. */
static const char *ids_of(const char *body, const char *path)
{
    static char out[1024];
    out[0] = '\0';
    int n = test_json_len(body, path);
    for (int i = 0; i < n; i++) {
        char p[64];
        snprintf(p, sizeof p, "%s.%d.claim_id", path, i);
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "",
                 test_json_str(body, p));
    }
    return out;
}

static const char *join4(const char *a, const char *b, const char *c, const char *d)
{
    static char out[256];
    snprintf(out, sizeof out, "%s%s%s%s%s%s%s", a, b[0] ? " " : "", b, c[0] ? " " : "", c,
             d[0] ? " " : "", d);
    return out;
}

/* The audit record of the claim with this action (caller frees), or abort. */
static char *audit_record(const char *id, const char *action)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s/audit", id);
    char *b = test_call(&server, "GET", path, staff, NULL, 200);
    int n = test_json_len(b, "entries");
    for (int i = 0; i < n; i++) {
        char p[64];
        snprintf(p, sizeof p, "entries.%d.action", i);
        if (strcmp(test_json_str(b, p), action) == 0) {
            snprintf(p, sizeof p, "entries.%d", i);
            char *rec = strdup(test_json_str(b, p));
            free(b);
            return rec;
        }
    }
    ck_abort_msg("no %s audit record for %s: %s", action, id, b);
    return NULL;
}

/* Whether the events stream holds `event` for the claim. */
static bool has_event(const char *event, const char *id)
{
    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "XRANGE claims:{c}events - +");
    bool found = false;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *f = r->element[i]->element[1];
        bool ev = false, claim = false;
        for (size_t j = 0; j + 1 < f->elements; j += 2) {
            ev |= strcmp(f->element[j]->str, "event") == 0 &&
                  strcmp(f->element[j + 1]->str, event) == 0;
            claim |= strcmp(f->element[j]->str, "claim_id") == 0 &&
                     strcmp(f->element[j + 1]->str, id) == 0;
        }
        found |= ev && claim;
    }
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return found;
}

START_TEST(test_referral_list_and_the_three_actions)
{
    char a[40], b[40], c[40], d[40], e[40];
    /* A: Luis, 6 x 71046 = 360.00 allowed on 400.00: over 300.00. */
    post_claim(LUIS, -20, "71046:6:400.00", a);
    /* B: Ana, 10 x 71046 = 600.00 allowed on 700.00, received earlier. */
    post_claim(ANA, -30, "71046:10:700.00", b);
    /* C: Luis, 4 x 71046 = 240.00 on 300.00: not over, decided at once. */
    post_claim(LUIS, -10, "71046:4:300.00", c);
    /* D: Luis, 10 x 85025 = 120.00 on 150.00 and 4 x 71046 = 240.00 on 320.00. */
    post_claim(LUIS, -10, "85025:10:150.00,71046:4:320.00", d);
    /* E: Ana, 30 x 85025 = 360.00 on 400.00. */
    post_claim(ANA, -5, "85025:30:400.00", e);

    char *got = test_wait_claim(&server, staff, a, "in_review", 20000);
    ck_assert_str_eq(test_json_str(got, "decision.outcome"), "in_review");
    ck_assert_str_eq(test_json_str(got, "decision.allowed"), "360.00");
    ck_assert_str_eq(test_json_str(got, "decision.review_reasons.0"), "review_threshold");
    free(got);
    expect_status(b, "in_review");
    expect_status(d, "in_review");
    expect_status(e, "in_review");
    /* C saw none of A's deductible: A moved no accumulator. */
    got = test_wait_claim(&server, staff, c, "approved", 20000);
    ck_assert_str_eq(test_json_str(got, "decision.plan_paid"), "0.00");
    ck_assert_str_eq(test_json_str(got, "decision.patient_responsibility"), "240.00");
    free(got);

    /* No EOB while in review. */
    char path[160];
    snprintf(path, sizeof path, "/v1/claims/%s/eob", a);
    got = test_call(&server, "GET", path, staff, NULL, 404);
    ck_assert_str_eq(test_json_str(got, "error.code"), "no_eob");
    free(got);

    /* The workbasket, oldest target first. */
    got = test_call(&server, "GET", "/v1/review", staff, NULL, 200);
    ck_assert_str_eq(ids_of(got, "claims"), join4(b, a, d, e));
    char target[11];
    ck_assert_str_eq(test_json_str(got, "claims.0.type"), "medical");
    ck_assert_str_eq(test_json_str(got, "claims.0.received_date"), day(-30));
    ck_assert_str_eq(test_json_str(got, "claims.0.target_date"),
                     test_business_days_after(day(-30), 10, target));
    ck_assert_str_eq(test_json_str(got, "claims.0.total_allowed"), "600.00");
    ck_assert_int_eq(test_json_len(got, "claims.0.reasons"), 1);
    ck_assert_str_eq(test_json_str(got, "claims.0.reasons.0"), "review_threshold");
    ck_assert_str_eq(test_json_str(got, "claims.1.total_allowed"), "360.00");
    ck_assert_str_eq(test_json_str(got, "claims.1.target_date"),
                     test_business_days_after(day(-20), 10, target));
    ck_assert_str_eq(test_json_str(got, "claims.2.total_allowed"), "360.00");
    ck_assert_str_eq(test_json_str(got, "claims.3.total_allowed"), "360.00");
    ck_assert_ptr_nonnull(strstr(got, "\"next_cursor\":null"));
    free(got);
    /* Paged with a cursor. */
    got = test_call(&server, "GET", "/v1/review?limit=3", staff, NULL, 200);
    ck_assert_str_eq(ids_of(got, "claims"), join4(b, a, d, ""));
    char next[64];
    snprintf(next, sizeof next, "%s", test_json_str(got, "next_cursor"));
    ck_assert_str_ne(next, "");
    free(got);
    snprintf(path, sizeof path, "/v1/review?limit=3&cursor=%s", next);
    got = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(ids_of(got, "claims"), e);
    ck_assert_ptr_nonnull(strstr(got, "\"next_cursor\":null"));
    free(got);

    /* Open claims: by status; overdue, as the target keeps running (10
     * business days after day -30 and -20 are past, after -10 and -5 not
     * yet); the queue's and the metrics' counts. */
    got = test_call(&server, "GET", "/v1/claims?status=in_review", staff, NULL, 200);
    ck_assert_str_eq(ids_of(got, "claims"), join4(b, a, d, e));
    free(got);
    got = test_call(&server, "GET", "/v1/claims?overdue=true", staff, NULL, 200);
    ck_assert_str_eq(ids_of(got, "claims"), join4(b, a, "", ""));
    free(got);
    got = test_call(&server, "GET", "/v1/queue", staff, NULL, 200);
    ck_assert_str_eq(test_json_str(got, "in_review"), "4");
    ck_assert_str_eq(test_json_str(got, "pended"), "0");
    ck_assert_str_eq(test_json_str(got, "overdue"), "2");
    free(got);
    got = test_call(&server, "GET", "/metrics", staff, NULL, 200);
    ck_assert_ptr_nonnull(strstr(got, "\nclaimsd_claims_in_review 4\n"));
    ck_assert_ptr_nonnull(
        strstr(got, "\nclaimsd_worker_decisions_total{outcome=\"in_review\"} 4\n"));
    ck_assert_ptr_nonnull(
        strstr(got, "\nclaimsd_worker_decisions_total{outcome=\"approved\"} 1\n"));
    free(got);
    ck_assert(has_event("claim.in_review", a));
    ck_assert(has_event("claim.in_review", e));
    ck_assert(!has_event("claim.in_review", c));

    /* Approve B: Ana's 600.00 — 500.00 deductible, 20 % of 100.00. */
    review(b, "{\"action\":\"approve\",\"note\":\"checked the operative report\"}", staff, 202);
    expect_status(b, "approved");
    got = eob(b);
    ck_assert_str_eq(test_json_str(got, "outcome"), "approved");
    ck_assert_str_eq(adjustments(got, "totals.adjustments"),
                     "CO-45 100.00, PR-1 500.00, PR-2 20.00");
    ck_assert_str_eq(test_json_str(got, "totals.plan_paid"), "80.00");
    free(got);
    char *rec = audit_record(b, "claim.review");
    ck_assert_str_eq(test_json_str(rec, "role"), "staff");
    ck_assert_str_eq(test_json_str(rec, "token_id"), staff_id);
    ck_assert_str_eq(test_json_str(rec, "note"), "checked the operative report");
    ck_assert_str_eq(test_json_str(rec, "review.action"), "approve");
    free(rec);

    /* Adjust A to 300.00 allowed: Luis has 240.00 of deductible met (C), the
     * family 740.00 (B, C): 260.00 deductible, 20 % of 40.00 = 8.00. */
    review(a,
           "{\"action\":\"adjust\",\"lines\":[{\"line\":1,\"allowed\":300.00,\"group\":\"CO\","
           "\"carc\":\"45\"}],\"note\":\"priced at the contract rate\"}",
           staff, 202);
    expect_status(a, "approved");
    got = eob(a);
    ck_assert_str_eq(adjustments(got, "lines.0.adjustments"),
                     "CO-45 100.00, PR-1 260.00, PR-2 8.00");
    ck_assert_str_eq(test_json_str(got, "totals.allowed"), "300.00");
    ck_assert_str_eq(test_json_str(got, "totals.plan_paid"), "32.00");
    ck_assert_str_eq(test_json_str(got, "totals.patient_responsibility"), "268.00");
    free(got);
    rec = audit_record(a, "claim.review");
    ck_assert_str_eq(test_json_str(rec, "review.lines.0.allowed"), "300.00");
    ck_assert_str_eq(test_json_str(rec, "note"), "priced at the contract rate");
    free(rec);

    /* Deny D's line 2 CO-96 with N30; line 1 paid, every deductible met now. */
    review(d,
           "{\"action\":\"deny\",\"lines\":[{\"line\":2,\"group\":\"CO\",\"carc\":\"96\","
           "\"rarc\":\"N30\"}],\"note\":\"not covered\"}",
           staff, 202);
    expect_status(d, "approved");
    got = eob(d);
    ck_assert_str_eq(adjustments(got, "lines.0.adjustments"), "CO-45 30.00, PR-2 24.00");
    ck_assert_str_eq(adjustments(got, "lines.1.adjustments"), "CO-96 320.00");
    ck_assert_str_eq(test_json_str(got, "lines.1.denied"), "true");
    ck_assert_str_eq(test_json_str(got, "lines.1.remarks.0.code"), "N30");
    ck_assert_str_eq(adjustments(got, "totals.adjustments"),
                     "CO-45 30.00, PR-2 24.00, CO-96 320.00");
    ck_assert_str_eq(test_json_str(got, "totals.plan_paid"), "96.00");
    free(got);

    /* Deny all of E: an entry without "line". */
    review(e, "{\"action\":\"deny\",\"lines\":[{\"group\":\"PR\",\"carc\":\"96\"}]}", staff, 202);
    expect_status(e, "denied");
    got = eob(e);
    ck_assert_str_eq(adjustments(got, "totals.adjustments"), "PR-96 400.00");
    ck_assert_str_eq(test_json_str(got, "totals.plan_paid"), "0.00");
    ck_assert_str_eq(test_json_str(got, "totals.patient_responsibility"), "400.00");
    free(got);

    /* The workbasket is empty; a second review of a final claim: 409. */
    got = test_call(&server, "GET", "/v1/review", staff, NULL, 200);
    ck_assert_int_eq(test_json_len(got, "claims"), 0);
    free(got);
    got = test_call(&server, "GET", "/v1/queue", staff, NULL, 200);
    ck_assert_str_eq(test_json_str(got, "in_review"), "0");
    free(got);
    snprintf(path, sizeof path, "/v1/claims/%s/review", b);
    got = test_call(&server, "POST", path, staff, "{\"action\":\"approve\"}", 409);
    ck_assert_str_eq(test_json_str(got, "error.code"), "not_in_review");
    free(got);
}
END_TEST

/* One refused body: 422 with exactly this first field and problem. */
static void refused(const char *id, const char *body, const char *field, const char *problem)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s/review", id);
    char *got = test_call(&server, "POST", path, staff, body, 422);
    ck_assert_str_eq(test_json_str(got, "error.code"), "validation_failed");
    ck_assert_msg(strcmp(test_json_str(got, "error.fields.0.field"), field) == 0 &&
                      strcmp(test_json_str(got, "error.fields.0.problem"), problem) == 0,
                  "%s: %s", body, got);
    free(got);
}

START_TEST(test_refusals)
{
    char x[40], y[40];
    post_claim(LUIS, -3, "71046:6:400.00", x);
    post_claim(LUIS, -3, "71046:1:80.00", y);
    expect_status(x, "in_review");
    expect_status(y, "approved");
    /* X in review holds its line's duplicate fingerprint, as a pended claim does. */
    char w[40];
    post_claim(LUIS, -2, "71046:6:400.00", w);
    char *dup = test_wait_claim(&server, staff, w, "denied", 20000);
    ck_assert_str_eq(test_json_str(dup, "decision.lines.0.codes.0.group"), "OA");
    ck_assert_str_eq(test_json_str(dup, "decision.lines.0.codes.0.carc"), "18");
    free(dup);

    free(test_call(&server, "GET", "/v1/review", member, NULL, 403));
    free(test_call(&server, "GET", "/v1/review", provider, NULL, 403));
    free(test_call(&server, "GET", "/v1/review", NULL, NULL, 401));
    char *got = test_call(&server, "GET", "/v1/review", ADMIN, NULL, 200);
    ck_assert_str_eq(ids_of(got, "claims"), x);
    free(got);
    review(x, "{\"action\":\"approve\"}", member, 403);
    review(x, "{\"action\":\"approve\"}", provider, 403);
    review("00000000-0000-4000-8000-000000000000", "{\"action\":\"approve\"}", staff, 404);
    review("not-a-claim", "{\"action\":\"approve\"}", staff, 404);
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s/review", y);
    got = test_call(&server, "POST", path, staff, "{\"action\":\"approve\"}", 409);
    ck_assert_str_eq(test_json_str(got, "error.code"), "not_in_review");
    free(got);

    refused(x, "{\"action\":\"maybe\"}", "action", "must be approve, adjust or deny");
    refused(x, "{\"note\":\"x\"}", "action", "is required");
    refused(x, "{\"action\":\"approve\",\"color\":\"red\"}", "color", "unknown field");
    refused(x, "{\"action\":\"approve\",\"lines\":[{\"line\":1}]}", "lines",
            "must be absent or empty when the action is approve");
    refused(x, "{\"action\":\"adjust\"}", "lines", "is required when the action is adjust or deny");
    refused(x, "{\"action\":\"adjust\",\"lines\":[]}", "lines",
            "must have at least one line when the action is adjust or deny");
    refused(x, "{\"action\":\"adjust\",\"lines\":[{\"allowed\":10.00}]}", "lines[0].line",
            "is required");
    refused(x, "{\"action\":\"adjust\",\"lines\":[{\"line\":1}]}", "lines[0].allowed",
            "is required");
    refused(x, "{\"action\":\"adjust\",\"lines\":[{\"line\":1,\"allowed\":10.001}]}",
            "lines[0].allowed", "must have at most two decimals");
    refused(x, "{\"action\":\"adjust\",\"lines\":[{\"line\":2,\"allowed\":10.00}]}",
            "lines[0].line", "must be a line number of the claim");
    refused(x, "{\"action\":\"adjust\",\"lines\":[{\"line\":1,\"allowed\":400.01}]}",
            "lines[0].allowed", "must not exceed the line's charge");
    refused(x,
            "{\"action\":\"adjust\",\"lines\":[{\"line\":1,\"allowed\":10.00},{\"line\":1,"
            "\"allowed\":20.00}]}",
            "lines[1].line", "is listed twice");
    refused(x,
            "{\"action\":\"adjust\",\"lines\":[{\"line\":1,\"allowed\":10.00,\"group\":\"CO\"}]}",
            "lines[0].carc", "is required");
    refused(x, "{\"action\":\"deny\",\"lines\":[{\"line\":1}]}", "lines[0].group", "is required");
    refused(x, "{\"action\":\"deny\",\"lines\":[{\"line\":1,\"group\":\"XX\",\"carc\":\"96\"}]}",
            "lines[0].group", "must be CO, PR, OA or PI");
    refused(x, "{\"action\":\"deny\",\"lines\":[{\"line\":1,\"group\":\"CO\",\"carc\":\"999\"}]}",
            "lines[0].carc", "must be a CARC of docs/rules.md \"Codes\"");
    refused(x,
            "{\"action\":\"deny\",\"lines\":[{\"line\":1,\"group\":\"CO\",\"carc\":\"96\","
            "\"rarc\":\"ZZ1\"}]}",
            "lines[0].rarc", "must be a RARC of docs/rules.md \"Codes\"");
    refused(x,
            "{\"action\":\"deny\",\"lines\":[{\"line\":1,\"group\":\"CO\",\"carc\":\"96\","
            "\"allowed\":1.00}]}",
            "lines[0].allowed", "must be absent unless the action is adjust");
    refused(x,
            "{\"action\":\"deny\",\"lines\":[{\"group\":\"CO\",\"carc\":\"96\"},{\"line\":1,"
            "\"group\":\"CO\",\"carc\":\"96\"}]}",
            "lines[0].line", "is required when more than one line is given");
    refused(x,
            "{\"action\":\"deny\",\"lines\":[{\"line\":1,\"group\":\"CO\",\"carc\":\"96\"},"
            "{\"line\":1,\"group\":\"PR\",\"carc\":\"96\"},{\"line\":1,\"group\":\"OA\","
            "\"carc\":\"96\"},{\"line\":1,\"group\":\"PI\",\"carc\":\"96\"},{\"line\":1,"
            "\"group\":\"CO\",\"carc\":\"18\"}]}",
            "lines", "must use at most 4 different group and CARC pairs");
    /* Z: line 2 is 400 days old, denied CO-29 by the rules: not adjusted, but denied. */
    char z[40];
    post_claim(LUIS, -3, "71046:7:450.00,85025:1:20.00:-400", z);
    got = test_wait_claim(&server, staff, z, "in_review", 20000);
    ck_assert_str_eq(test_json_str(got, "decision.lines.1.codes.0.carc"), "29");
    free(got);
    refused(z, "{\"action\":\"adjust\",\"lines\":[{\"line\":2,\"allowed\":12.00}]}",
            "lines[0].line", "is a line the rules denied: it can be denied, not adjusted");
    review(z, "{\"action\":\"deny\",\"lines\":[{\"line\":2,\"group\":\"CO\",\"carc\":\"96\"}]}",
           staff, 202);
    got = test_wait_claim(&server, staff, z, "approved", 20000);
    ck_assert_str_eq(test_json_str(got, "decision.lines.1.codes.0.group"), "CO");
    ck_assert_str_eq(test_json_str(got, "decision.lines.1.codes.0.carc"), "96");
    ck_assert_str_eq(test_json_str(got, "decision.lines.1.codes.0.amount"), "20.00");
    free(got);
    /* Bad queries of the list. */
    got = test_call(&server, "GET", "/v1/review?limit=0", staff, NULL, 422);
    ck_assert_str_eq(test_json_str(got, "error.fields.0.field"), "limit");
    ck_assert_str_eq(test_json_str(got, "error.fields.0.problem"),
                     "must be an integer from 1 to 500");
    free(got);
    got = test_call(&server, "GET", "/v1/review?cursor=abc&sort=age", staff, NULL, 422);
    ck_assert_str_eq(test_json_str(got, "error.fields.0.field"), "sort");
    ck_assert_str_eq(test_json_str(got, "error.fields.0.problem"), "unknown parameter");
    ck_assert_str_eq(test_json_str(got, "error.fields.1.field"), "cursor");
    ck_assert_str_eq(test_json_str(got, "error.fields.1.problem"),
                     "must be a cursor returned by a search");
    free(got);

    /* Nothing refused changed the claim; one decision, then 409. */
    expect_status(x, "in_review");
    review(x, "{\"action\":\"approve\"}", staff, 202);
    snprintf(path, sizeof path, "/v1/claims/%s/review", x);
    got = test_call(&server, "POST", path, staff, "{\"action\":\"approve\"}", 409);
    ck_assert_str_eq(test_json_str(got, "error.code"), "not_in_review");
    free(got);
    /* Luis: 360.00 allowed; 480.00 of his deductible met by Y (60.00) and Z
     * (420.00): 20.00 deductible, 20 % of 340.00 = 68.00. */
    got = test_wait_claim(&server, staff, x, "approved", 20000);
    ck_assert_str_eq(test_json_str(got, "decision.patient_responsibility"), "88.00");
    ck_assert_str_eq(test_json_str(got, "decision.plan_paid"), "272.00");
    free(got);
}
END_TEST

/* Whether the claim hash has a stored review. */
static bool has_stored_review(const char *id)
{
    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "HEXISTS claims:{c}claim:%s review", id);
    bool has = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return has;
}

START_TEST(test_a_review_survives_the_cascade_and_corrections_leave_the_workbasket)
{
    char a[40], c[40], d[40], e[40], path[160], body[4096];
    /* C: Luis, 240.00 allowed, all deductible. A: Luis, 360.00: in review. */
    post_claim(LUIS, -10, "71046:4:300.00", c);
    free(test_wait_claim(&server, staff, c, "approved", 20000));
    post_claim(LUIS, -5, "71046:6:400.00", a);
    expect_status(a, "in_review");
    /* Adjusted to 300.00: 260.00 deductible left, 20 % of 40.00, plan pays 32.00. */
    review(a,
           "{\"action\":\"adjust\",\"lines\":[{\"line\":1,\"allowed\":300.00,\"group\":\"CO\","
           "\"carc\":\"45\"}],\"note\":\"contract rate\"}",
           staff, 202);
    char *got = test_wait_eob_version(&server, staff, a, 1);
    ck_assert_str_eq(test_json_str(got, "totals.plan_paid"), "32.00");
    free(got);
    ck_assert(has_stored_review(a));
    /* C voided: A is decided again with its review (300.00 allowed, never
     * back to review): all 300.00 to the deductible now. */
    snprintf(path, sizeof path, "/v1/claims/%s/void", c);
    free(test_call(&server, "POST", path, staff, "{\"reason\": \"sent by mistake\"}", 200));
    got = test_wait_eob_version(&server, staff, a, 2);
    ck_assert_str_eq(test_json_str(got, "adjustment.kind"), "adjustment");
    ck_assert_str_eq(test_json_str(got, "adjustment.previous.plan_paid"), "32.00");
    ck_assert_str_eq(test_json_str(got, "adjustment.new.allowed"), "300.00");
    ck_assert_str_eq(test_json_str(got, "adjustment.new.plan_paid"), "0.00");
    ck_assert_str_eq(test_json_str(got, "adjustment.new.patient_responsibility"), "300.00");
    ck_assert_str_eq(adjustments(got, "lines.0.adjustments"), "CO-45 100.00, PR-1 300.00");
    free(got);
    got = test_wait_claim(&server, staff, a, "approved", 20000);
    ck_assert_str_eq(test_json_str(got, "decision.allowed"), "300.00");
    free(got);
    /* A replaced: the replacement carries no review, so it is referred again. */
    claim_body(LUIS, -5, "71046:6:400.00", body);
    snprintf(path, sizeof path, "/v1/claims/%s/replace", a);
    got = test_call(&server, "POST", path, staff, body, 202);
    char r[40];
    snprintf(r, sizeof r, "%s", test_json_str(got, "claim_id"));
    free(got);
    expect_status(r, "in_review");
    ck_assert(!has_stored_review(r));
    /* D voided and E replaced in place while in review: both leave the
     * workbasket; E (24.00 allowed now) is decided at once. */
    post_claim(ANA, -30, "71046:10:700.00", d);
    post_claim(ANA, -20, "85025:30:400.00", e);
    expect_status(d, "in_review");
    expect_status(e, "in_review");
    got = test_call(&server, "GET", "/v1/review", staff, NULL, 200);
    ck_assert_str_eq(ids_of(got, "claims"), join4(d, e, r, ""));
    free(got);
    snprintf(path, sizeof path, "/v1/claims/%s/void", d);
    free(test_call(&server, "POST", path, staff, "{\"reason\": \"wrong patient\"}", 200));
    claim_body(ANA, -20, "85025:2:40.00", body);
    snprintf(path, sizeof path, "/v1/claims/%s/replace", e);
    got = test_call(&server, "POST", path, staff, body, 202);
    ck_assert_str_eq(test_json_str(got, "claim_id"), e);
    free(got);
    got = test_wait_claim(&server, staff, e, "approved", 20000);
    ck_assert_str_eq(test_json_str(got, "decision.allowed"), "24.00");
    free(got);
    got = test_call(&server, "GET", "/v1/review", staff, NULL, 200);
    ck_assert_str_eq(ids_of(got, "claims"), r);
    free(got);
    got = test_call(&server, "GET", "/v1/queue", staff, NULL, 200);
    ck_assert_str_eq(test_json_str(got, "in_review"), "1");
    free(got);
}
END_TEST

/* A claim waiting in review holds its duplicate fingerprints; voiding it
 * frees the later claim it denied as a duplicate (docs/rules.md
 * "Corrections"): that claim is decided again, approved, with an adjustment. */
START_TEST(test_voiding_a_claim_in_review_frees_the_duplicate_it_denied)
{
    char f[40], g[40], path[160];
    post_claim(LUIS, -6, "71046:6:400.00:-12", f);
    expect_status(f, "in_review");
    post_claim(LUIS, -5, "71046:6:400.00:-12", g);
    char *got = test_wait_claim(&server, staff, g, "denied", 20000);
    ck_assert_str_eq(test_json_str(got, "decision.lines.0.codes.0.group"), "OA");
    ck_assert_str_eq(test_json_str(got, "decision.lines.0.codes.0.carc"), "18");
    ck_assert_str_eq(test_json_str(got, "decision.lines.0.codes.0.amount"), "400.00");
    free(got);
    snprintf(path, sizeof path, "/v1/claims/%s/void", f);
    free(test_call(&server, "POST", path, staff, "{\"reason\": \"sent twice\"}", 200));
    got = test_wait_eob_version(&server, staff, g, 2);
    ck_assert_str_eq(test_json_str(got, "adjustment.kind"), "adjustment");
    ck_assert_str_eq(test_json_str(got, "adjustment.previous.allowed"), "0.00");
    ck_assert_str_eq(test_json_str(got, "adjustment.previous.plan_paid"), "0.00");
    ck_assert_str_eq(test_json_str(got, "adjustment.new.allowed"), "360.00");
    free(got);
    got = test_wait_claim(&server, staff, g, "approved", 20000);
    ck_assert_str_eq(test_json_str(got, "decision.allowed"), "360.00");
    free(got);
}
END_TEST

static Suite *review_suite(void)
{
    Suite *s = suite_create("review");
    TCase *tc = tcase_create("review");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_referral_list_and_the_three_actions);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_a_review_survives_the_cascade_and_corrections_leave_the_workbasket);
    tcase_add_test(tc, test_voiding_a_claim_in_review_frees_the_duplicate_it_denied);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    return test_run_suite(review_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
