/*
 * POST /v1/members/{member_id}/events end to end: a real claimsd with a
 * worker, a real redis-server. A family is walked through a hire (with a
 * waiting period), a marriage, a newborn, a student who graduates, a layoff
 * (with the group's leave continuation) and a retroactive termination, and
 * claims on dates between the events are decided as the manual says (paid,
 * or denied with the exact CARC). Refusals: a newborn reported on day 61, a
 * reported_on in the future, an unknown member, an id that exists, a role
 * that may not record events.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness/harness.h"

#define ADMIN "events-tests-bootstrap-admin-token-0123456789"
#define NPI "1245319599"

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], member_token[80];

/* A 25-employee group with a 30-day waiting period whose contract continues
 * coverage during a leave (§ IV). */
static const char *const GROUP =
    "{\"group_id\":\"G900\",\"name\":\"Harbor Works\",\"state\":\"FL\",\"employee_count\":25,"
    "\"medicare_certification\":\"20_or_more\",\"dependent_to_30\":false,\"plan_id\":\"PPO-500\","
    "\"waiting_period_days\":30,\"leave_continuation\":true}";

static void setup(void)
{
    test_start_redis_and_claimsd(&redis, &server, ADMIN,
                                 (const char *const[]){"--workers", "1", NULL});
    test_put_sample_enrollment(&server, ADMIN, "G100", "M1001");
    struct test_response res;
    test_api(&server, "PUT", "/v1/groups/G900", ADMIN, GROUP, NULL, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    test_response_free(&res);
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}",
                      member_token);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

/* POSTs an event for member_id; the response is the caller's to free. */
static void post_event(const char *member_id, const char *body, struct test_response *res)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/members/%s/events", member_id);
    test_api(&server, "POST", path, staff, body, NULL, res);
}

static void event_ok(const char *member_id, const char *body, struct test_response *res)
{
    post_event(member_id, body, res);
    ck_assert_msg(res->status == 200, "%s: %ld %s", body, res->status, res->body);
}

struct person {
    const char *id, *first, *birth;
};

static const struct person EMPLOYEE = {"E900", "Rosa", "1984-02-11"};
static const struct person SPOUSE = {"E900-01", "Tomas", "1983-07-30"};
static const struct person NEWBORN = {"E900-02", "Lena", "2026-04-01"};
static const struct person STUDENT = {"E900-03", "Ivo", "2004-03-01"};

/* Submits a medical office visit of `who` on `service` (received the next
 * day, as staff may say) and waits for its final status; returns the claim
 * JSON (caller frees). */
static char *claim_on(const struct person *who, const char *service)
{
    date_t d;
    ck_assert(date_parse(service, &d));
    char received[DATE_STRLEN], body[2048];
    date_format(date_add_days(d, 1), received);
    snprintf(body, sizeof body,
             "{\"type\":\"medical\",\"member_id\":\"%s\",\"received_date\":\"%s\","
             "\"patient\":{\"first_name\":\"%s\",\"last_name\":\"Vega\",\"birth_date\":\"%s\"},"
             "\"provider\":{\"npi\":\"" NPI "\",\"name\":\"Bay Clinic\",\"network\":\"in\","
             "\"facility\":false},\"diagnosis_codes\":[\"J06.9\"],"
             "\"lines\":[{\"service_date\":\"%s\",\"procedure_code\":\"99213\",\"units\":1,"
             "\"charge\":150.00}]}",
             who->id, received, who->first, who->birth, service);
    struct test_response res;
    test_api(&server, "POST", "/v1/claims", staff, body, NULL, &res);
    ck_assert_msg(res.status == 202, "%ld %s", res.status, res.body);
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", test_json_str(res.body, "claim_id"));
    test_response_free(&res);
    for (int i = 0; i < 500; i++) {
        test_api(&server, "GET", path, staff, NULL, NULL, &res);
        ck_assert_int_eq(res.status, 200);
        const char *st = test_json_str(res.body, "status");
        if (strcmp(st, "approved") == 0 || strcmp(st, "denied") == 0 || strcmp(st, "pended") == 0) {
            char *claim = strdup(res.body);
            test_response_free(&res);
            return claim;
        }
        test_response_free(&res);
        test_sleep_ms(20);
    }
    ck_abort_msg("claim on %s never decided", service);
    return NULL;
}

static void assert_paid(const struct person *who, const char *service)
{
    char *claim = claim_on(who, service);
    ck_assert_msg(strcmp(test_json_str(claim, "status"), "approved") == 0, "%s on %s: %s", who->id,
                  service, claim);
    ck_assert_str_eq(test_json_str(claim, "decision.outcome"), "approved");
    free(claim);
}

static void assert_denied(const struct person *who, const char *service, const char *carc)
{
    char *claim = claim_on(who, service);
    ck_assert_msg(strcmp(test_json_str(claim, "status"), "denied") == 0, "%s on %s: %s", who->id,
                  service, claim);
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.group"), "CO");
    ck_assert_str_eq(test_json_str(claim, "decision.codes.0.carc"), carc);
    free(claim);
}

static void assert_refusal(const struct test_response *res, long status, const char *code,
                           const char *field, const char *problem)
{
    ck_assert_msg(res->status == status, "%ld %s", res->status, res->body);
    ck_assert_str_eq(test_json_str(res->body, "error.code"), code);
    ck_assert_str_eq(test_json_str(res->body, "error.fields.0.field"), field);
    ck_assert_str_eq(test_json_str(res->body, "error.fields.0.problem"), problem);
}

START_TEST(test_family_walk_through_the_lifecycle)
{
    struct test_response res;

    /* Hire on 5 January with a 30-day waiting period: eligible and covered
     * from 4 February (§ I); reported the next day. */
    event_ok("E900",
             "{\"event\":\"hire\",\"date\":\"2026-01-05\",\"reported_on\":\"2026-01-06\","
             "\"member\":{\"member_id\":\"E900\",\"subscriber_id\":\"E900\",\"group_id\":\"G900\","
             "\"relationship\":\"employee\",\"first_name\":\"Rosa\",\"last_name\":\"Vega\","
             "\"birth_date\":\"1984-02-11\",\"state\":\"FL\"}}",
             &res);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "E900");
    ck_assert_int_eq(test_json_len(res.body, "coverage"), 1);
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.effective"), "2026-02-04");
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.plan_id"), "PPO-500");
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.kind"), "active");
    test_response_free(&res);
    assert_denied(&EMPLOYEE, "2026-02-03", "26"); /* in the waiting period */
    assert_paid(&EMPLOYEE, "2026-02-04");

    /* The same hire again: the id exists. */
    post_event(
        "E900",
        "{\"event\":\"hire\",\"date\":\"2026-01-05\",\"reported_on\":\"2026-01-06\","
        "\"member\":{\"member_id\":\"E900\",\"subscriber_id\":\"E900\",\"group_id\":\"G900\","
        "\"relationship\":\"employee\",\"first_name\":\"Rosa\",\"last_name\":\"Vega\","
        "\"birth_date\":\"1984-02-11\",\"state\":\"FL\"}}",
        &res);
    ck_assert_int_eq(res.status, 409);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "conflict");
    test_response_free(&res);

    /* Marriage on 14 March reported on day 60 (13 May): the spouse is
     * covered from the marriage date (§ I, 60 days for a new dependent). */
    event_ok(
        "E900",
        "{\"event\":\"marriage\",\"date\":\"2026-03-14\",\"reported_on\":\"2026-05-13\","
        "\"member\":{\"member_id\":\"E900-01\",\"subscriber_id\":\"E900\",\"group_id\":\"G900\","
        "\"relationship\":\"spouse\",\"first_name\":\"Tomas\",\"last_name\":\"Vega\","
        "\"birth_date\":\"1983-07-30\",\"state\":\"FL\"}}",
        &res);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "E900-01");
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.effective"), "2026-03-14");
    ck_assert_str_eq(test_json_str(res.body, "married_on"), "2026-03-14");
    test_response_free(&res);
    assert_denied(&SPOUSE, "2026-03-13", "26");
    assert_paid(&SPOUSE, "2026-03-14");

    /* A newborn of 1 April reported on day 61 (1 June): late (§ II). */
    const char *newborn_member =
        "\"member\":{\"member_id\":\"E900-02\",\"subscriber_id\":\"E900\",\"group_id\":\"G900\","
        "\"relationship\":\"child\",\"first_name\":\"Lena\",\"last_name\":\"Vega\","
        "\"birth_date\":\"2026-04-01\",\"state\":\"FL\",\"lives_with_employee\":true}}";
    char body[1024];
    snprintf(body, sizeof body,
             "{\"event\":\"newborn\",\"date\":\"2026-04-01\",\"reported_on\":\"2026-06-01\",%s",
             newborn_member);
    post_event("E900", body, &res);
    assert_refusal(&res, 422, "late_enrollment", "reported_on",
                   "is more than 60 days after the birth (the window for adding a newborn, "
                   "manual § II)");
    test_response_free(&res);
    /* Reported on day 60 (31 May): covered from the birth. */
    snprintf(body, sizeof body,
             "{\"event\":\"newborn\",\"date\":\"2026-04-01\",\"reported_on\":\"2026-05-31\",%s",
             newborn_member);
    event_ok("E900", body, &res);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "E900-02");
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.effective"), "2026-04-01");
    test_response_free(&res);
    assert_paid(&NEWBORN, "2026-04-01");

    /* A 22-year-old student, away from home, on the family's record since
     * the employee's coverage began. */
    const char *student =
        "{\"member_id\":\"E900-03\",\"subscriber_id\":\"E900\",\"group_id\":\"G900\","
        "\"relationship\":\"child\",\"first_name\":\"Ivo\",\"last_name\":\"Vega\","
        "\"birth_date\":\"2004-03-01\",\"state\":\"FL\",\"student\":true,"
        "\"lives_with_employee\":false,\"coverage\":[{\"plan_id\":\"PPO-500\","
        "\"effective\":\"2026-02-04\",\"termination_event\":null,\"kind\":\"active\"}]}";
    test_api(&server, "PUT", "/v1/members/E900-03", ADMIN, student, NULL, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    test_response_free(&res);
    assert_paid(&STUDENT, "2026-06-10"); /* still a student (§ I) */
    /* Graduates on 15 June, reported 20 June: no longer an eligible
     * dependent from that date (§ I "Eligible dependents"). */
    event_ok("E900-03",
             "{\"event\":\"student_status\",\"date\":\"2026-06-15\",\"reported_on\":\"2026-06-20\","
             "\"student\":false}",
             &res);
    ck_assert_str_eq(test_json_str(res.body, "student"), "false");
    test_response_free(&res);
    assert_denied(&STUDENT, "2026-06-16", "32");

    /* Layoff on 10 July: the group continues coverage for 60 days (§ IV),
     * the 60th day (8 September) is the termination event, coverage runs to
     * 30 September for the whole family. */
    event_ok("E900",
             "{\"event\":\"layoff\",\"date\":\"2026-07-10\",\"reported_on\":\"2026-07-10\"}", &res);
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.termination_event"), "2026-09-08");
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.termination_reported_on"), "2026-07-10");
    test_response_free(&res);
    assert_paid(&EMPLOYEE, "2026-09-15");
    assert_paid(&SPOUSE, "2026-09-30");
    assert_denied(&SPOUSE, "2026-10-01", "27");

    /* Each write moved the family version on (a claim being decided meanwhile
     * is decided again, queue/scripts.c commit). */
    redisContext *c = test_redis_connect(&redis);
    redisReply *before = redisCommand(c, "GET claims:{c}famver:E900");
    ck_assert_int_eq(before->type, REDIS_REPLY_STRING);
    long long version = strtoll(before->str, NULL, 10);
    freeReplyObject(before);

    /* The employment ends on 20 August, reported late on 15 October after
     * September's claims were paid: a retroactive termination, accepted; the
     * whole family's coverage ends 31 August (§ III). */
    event_ok("E900",
             "{\"event\":\"termination\",\"date\":\"2026-08-20\",\"reported_on\":\"2026-10-15\"}",
             &res);
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.termination_event"), "2026-08-20");
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.termination_reported_on"), "2026-10-15");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/members/E900-02", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.termination_event"), "2026-08-20");
    test_response_free(&res);
    /* The two September claims paid before the report are listed for staff
     * to recover (docs/api.md "Recoveries"): reported 45 days after the
     * termination effective date (31 August), so the employer answers for
     * them (§ III "Reporting terminations"). */
    test_api(&server, "GET", "/v1/recoveries", staff, NULL, NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    ck_assert_msg(!*test_json_str(res.body, "recoveries.2.claim_id"), "%s", res.body);
    int employee = 0, spouse = 0;
    for (int k = 0; k < 2; k++) {
        char key[64];
        snprintf(key, sizeof key, "recoveries.%d.member_id", k);
        const char *who = test_json_str(res.body, key);
        employee += strcmp(who, EMPLOYEE.id) == 0;
        spouse += strcmp(who, SPOUSE.id) == 0;
        snprintf(key, sizeof key, "recoveries.%d.coverage_ended", k);
        ck_assert_str_eq(test_json_str(res.body, key), "2026-08-31");
        snprintf(key, sizeof key, "recoveries.%d.termination_reported_on", k);
        ck_assert_str_eq(test_json_str(res.body, key), "2026-10-15");
        snprintf(key, sizeof key, "recoveries.%d.employer_liable", k);
        ck_assert_str_eq(test_json_str(res.body, key), "true");
        snprintf(key, sizeof key, "recoveries.%d.lines.0.service_date", k);
        ck_assert_str_eq(test_json_str(res.body, key),
                         strcmp(who, EMPLOYEE.id) == 0 ? "2026-09-15" : "2026-09-30");
        /* What was paid on the claim is what is to be recovered. */
        char path[128], amount[32];
        snprintf(key, sizeof key, "recoveries.%d.amount", k);
        snprintf(amount, sizeof amount, "%s", test_json_str(res.body, key));
        snprintf(key, sizeof key, "recoveries.%d.claim_id", k);
        snprintf(path, sizeof path, "/v1/claims/%s", test_json_str(res.body, key));
        struct test_response claim;
        test_api(&server, "GET", path, staff, NULL, NULL, &claim);
        ck_assert_str_eq(test_json_str(claim.body, "decision.plan_paid"), amount);
        ck_assert_str_ne(amount, "0.00");
        test_response_free(&claim);
    }
    ck_assert_int_eq(employee, 1);
    ck_assert_int_eq(spouse, 1);
    test_response_free(&res);
    assert_paid(&SPOUSE, "2026-08-31");
    assert_denied(&SPOUSE, "2026-09-01", "27");
    assert_denied(&EMPLOYEE, "2026-09-15", "27");
    assert_denied(&NEWBORN, "2026-09-02", "27");

    redisReply *after = redisCommand(c, "GET claims:{c}famver:E900");
    ck_assert_int_eq(after->type, REDIS_REPLY_STRING);
    ck_assert_int_gt(strtoll(after->str, NULL, 10), version);
    freeReplyObject(after);
    /* The event's audit record names the event and who recorded it. */
    redisReply *audit = redisCommand(c, "XRANGE claims:{c}audit - +");
    ck_assert_int_eq(audit->type, REDIS_REPLY_ARRAY);
    int terminations = 0;
    for (size_t i = 0; i < audit->elements; i++) {
        const redisReply *fields = audit->element[i]->element[1];
        for (size_t f = 0; f + 1 < fields->elements; f += 2)
            if (strstr(fields->element[f + 1]->str, "\"member.event.termination\"") &&
                strstr(fields->element[f + 1]->str, "\"staff\""))
                terminations++;
    }
    ck_assert_int_eq(terminations, 1);
    freeReplyObject(audit);
    redisFree(c);
}
END_TEST

START_TEST(test_reported_on_in_the_future_refused)
{
    char tomorrow[DATE_STRLEN], body[256];
    date_format(date_add_days(date_today_utc(), 1), tomorrow);
    snprintf(body, sizeof body,
             "{\"event\":\"termination\",\"date\":\"2026-01-10\",\"reported_on\":\"%s\"}",
             tomorrow);
    struct test_response res;
    post_event("M1001", body, &res);
    assert_refusal(&res, 422, "validation_failed", "reported_on", "must not be in the future");
    test_response_free(&res);
    /* Nothing was written. */
    test_api(&server, "GET", "/v1/members/M1001", staff, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "coverage.0.termination_event"), "");
    test_response_free(&res);
}
END_TEST

START_TEST(test_unknown_member_role_and_fields)
{
    struct test_response res;
    post_event("NOBODY", "{\"event\":\"termination\",\"date\":\"2026-01-10\"}", &res);
    ck_assert_int_eq(res.status, 404);
    test_response_free(&res);
    char path[] = "/v1/members/M1001/events";
    test_api(&server, "POST", path, member_token,
             "{\"event\":\"termination\",\"date\":\"2026-01-10\"}", NULL, &res);
    ck_assert_int_eq(res.status, 403);
    test_response_free(&res);
    post_event("M1001", "{\"event\":\"birth\",\"date\":\"2026-01-10\"}", &res);
    assert_refusal(&res, 422, "validation_failed", "event",
                   "is not a known event (docs/api.md \"Member events\")");
    test_response_free(&res);
    post_event("M1001", "{\"event\":\"student_status\",\"date\":\"2026-01-10\"}", &res);
    assert_refusal(&res, 422, "validation_failed", "student", "is required");
    test_response_free(&res);
    post_event("M1001",
               "{\"event\":\"newborn\",\"date\":\"2026-01-10\",\"member\":{\"member_id\":\"X1\","
               "\"coverage\":[]}}",
               &res);
    assert_refusal(&res, 422, "validation_failed", "member.coverage",
                   "must be left out: the event derives the coverage");
    test_response_free(&res);
    post_event(
        "E950",
        "{\"event\":\"hire\",\"date\":\"2026-01-05\",\"reported_on\":\"2026-01-06\","
        "\"member\":{\"member_id\":\"E950\",\"subscriber_id\":\"E950\",\"group_id\":\"G404\","
        "\"relationship\":\"employee\",\"first_name\":\"Rosa\",\"last_name\":\"Vega\","
        "\"birth_date\":\"1984-02-11\",\"state\":\"FL\"}}",
        &res);
    assert_refusal(&res, 422, "validation_failed", "member.group_id", "is not a known group");
    test_response_free(&res);
    /* A hire reported on day 32 after eligibility (G100: no waiting period). */
    post_event(
        "E951",
        "{\"event\":\"hire\",\"date\":\"2026-01-05\",\"reported_on\":\"2026-02-06\","
        "\"member\":{\"member_id\":\"E951\",\"subscriber_id\":\"E951\",\"group_id\":\"G100\","
        "\"relationship\":\"employee\",\"first_name\":\"Rosa\",\"last_name\":\"Vega\","
        "\"birth_date\":\"1984-02-11\",\"state\":\"FL\"}}",
        &res);
    assert_refusal(&res, 422, "late_enrollment", "reported_on",
                   "is more than 31 days after the date of eligibility (the window for enrolling a "
                   "new hire, manual § I \"Enrollment for new hires\")");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/members/E951", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 404);
    test_response_free(&res);
    post_event("M1001",
               "{\"event\":\"cobra_election\",\"date\":\"2026-01-10\",\"qualifying_event\":"
               "\"2026-01-05\",\"reason\":\"divorce\",\"months\":18}",
               &res);
    assert_refusal(&res, 422, "validation_failed", "months", "must be 36 for this reason");
    test_response_free(&res);
}
END_TEST

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    Suite *s = suite_create("member events");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_family_walk_through_the_lifecycle);
    tcase_add_test(tc, test_reported_on_in_the_future_refused);
    tcase_add_test(tc, test_unknown_member_role_and_fields);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
