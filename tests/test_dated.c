/*
 * Dated facts end to end (issue 13 "every fact dated"): a real claimsd with
 * workers and a real redis-server. Histories through PUT and GET ?as_of=,
 * the PUT of an existing client that never reaches back, group events (and
 * two at once), GET /v1/eligibility for the date asked, and the examiner's
 * scenarios: a student status change reported after claims for earlier dates,
 * a group's count edited below 20 after a COBRA election, a certification
 * change after services.
 *
 * Dates are counted back from the server's today so that claims stay within
 * the filing limit whenever the tests run.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness/harness.h"

#define ADMIN "dated-tests-bootstrap-admin-token-0123456789"

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], member_token[80];

static void setup(void)
{
    test_start_redis_and_claimsd(&redis, &server, ADMIN,
                                 (const char *const[]){"--workers", "1", NULL});
    test_put_sample_enrollment(&server, ADMIN, "G100", "M1001");
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}",
                      member_token);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

/* Today minus n days as "YYYY-MM-DD", in one of 16 rotating buffers. */
static const char *ago(int n)
{
    static char buf[16][DATE_STRLEN];
    static int next;
    char *out = buf[next++ % 16];
    return date_format(date_add_days(date_today_utc(), -n), out);
}

/* The first day of the month after today minus n days. */
static const char *month_after(int n)
{
    static char out[DATE_STRLEN];
    date_t d = date_add_days(date_end_of_month(date_add_days(date_today_utc(), -n)), 1);
    return date_format(d, out);
}

/* A call answered with `want`; the body (allocated) for more checks. */
static void put(const char *path, const char *body, long want)
{
    free(test_call(&server, "PUT", path, ADMIN, body, want));
}

/* A 422 validation_failed whose only field is `field` with `problem`. */
static void refused(const char *method, const char *path, const char *body, const char *field,
                    const char *problem)
{
    test_assert_422(&server, method, path, staff, body, field, problem);
}

/* A one-line lab claim for member on service_date, decided by the worker:
 * returns the claim as GET answers it once final. */
static char *decided_claim(const char *member, const char *first, const char *birth,
                           const char *service_date)
{
    char *body = test_lab_claim(member, first, birth, service_date);
    char *r = test_call(&server, "POST", "/v1/claims", ADMIN, body, 202);
    free(body);
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", test_json_str(r, "claim_id"));
    free(r);
    for (int i = 0; i < 500; i++) {
        char *c = test_call(&server, "GET", path, ADMIN, NULL, 200);
        const char *st = test_json_str(c, "status");
        if (strcmp(st, "received") != 0 && strcmp(st, "processing") != 0)
            return c;
        free(c);
        test_sleep_ms(20);
    }
    ck_abort_msg("claim for %s never decided", service_date);
    return NULL;
}

/* ---- histories through PUT and GET ---- */

/* Ana's sister Eva, 22, in Georgia (so the age-30 option's Florida clause
 * does not keep her): a student until `until` (from then not), as reported
 * on `reported`. */
static char *eva(const char *until, const char *reported, const char *top)
{
    char *b = malloc(2048);
    char birth[DATE_STRLEN];
    date_t t = date_today_utc();
    date_format(date_from_ymd(date_year(t) - 22, 1, 15), birth);
    snprintf(b, 2048,
             "{\"member_id\":\"M1001-05\",\"subscriber_id\":\"M1001\",\"group_id\":\"G100\","
             "\"relationship\":\"child\",\"first_name\":\"Eva\",\"last_name\":\"Lopez\","
             "\"birth_date\":\"%s\",\"state\":\"GA\"%s,"
             "\"coverage\":[{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\","
             "\"termination_event\":null,\"kind\":\"active\"}],"
             "\"history\":[{\"student\":true},{\"from\":\"%s\",\"reported_on\":\"%s\","
             "\"student\":false}]}",
             birth, top ? top : "", until, reported);
    return b;
}

static const char *eva_birth(void)
{
    static char birth[DATE_STRLEN];
    return date_format(date_from_ymd(date_year(date_today_utc()) - 22, 1, 15), birth);
}

START_TEST(test_member_history_put_and_read_as_of)
{
    char *body = eva(ago(200), ago(183), NULL);
    char *r = test_call(&server, "PUT", "/v1/members/M1001-05", ADMIN, body, 201);
    /* As of today: no longer a student; the history whole, as sent. */
    ck_assert_str_eq(test_json_str(r, "student"), "false");
    ck_assert_int_eq(test_json_len(r, "history"), 2);
    ck_assert_str_eq(test_json_str(r, "history.0.from"), "");
    ck_assert_str_eq(test_json_str(r, "history.0.student"), "true");
    ck_assert_str_eq(test_json_str(r, "history.1.from"), ago(200));
    ck_assert_str_eq(test_json_str(r, "history.1.reported_on"), ago(183));
    free(r);
    char path[128];
    snprintf(path, sizeof path, "/v1/members/M1001-05?as_of=%s", ago(201));
    r = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(r, "student"), "true");
    free(r);
    snprintf(path, sizeof path, "/v1/members/M1001-05?as_of=%s", ago(200));
    r = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(r, "student"), "false");
    free(r);
    r = test_call(&server, "GET", "/v1/members/M1001-05", staff, NULL, 200);
    ck_assert_str_eq(test_json_str(r, "student"), "false");
    free(r);
    refused("GET", "/v1/members/M1001-05?as_of=2026-02-30", NULL, "as_of",
            "must be a date YYYY-MM-DD");
    r = test_call(&server, "GET", "/v1/groups/G100?as_of=yesterday", ADMIN, NULL, 422);
    ck_assert_str_eq(test_json_str(r, "error.fields.0.field"), "as_of");
    ck_assert_str_eq(test_json_str(r, "error.fields.0.problem"), "must be a date YYYY-MM-DD");
    free(r);
    free(body);
}
END_TEST

START_TEST(test_member_history_is_validated_with_its_paths)
{
    char *body = eva(ago(200), ago(183), NULL);
    /* The second entry's date repeated: not after the first dated one. */
    char bad[2600];
    snprintf(bad, sizeof bad, "%.*s,{\"from\":\"%s\",\"student\":true}]}", (int)(strlen(body) - 2),
             body, ago(200));
    char *r = test_call(&server, "PUT", "/v1/members/M1001-05", ADMIN, bad, 422);
    ck_assert_str_eq(test_json_str(r, "error.code"), "validation_failed");
    ck_assert_str_eq(test_json_str(r, "error.fields.0.field"), "history[2].from");
    ck_assert_str_eq(test_json_str(r, "error.fields.0.problem"),
                     "must be after the previous entry's from");
    free(r);
    free(body);
    /* Reported tomorrow: not yet. */
    char tomorrow[DATE_STRLEN];
    date_format(date_add_days(date_today_utc(), 1), tomorrow);
    body = eva(ago(200), tomorrow, NULL);
    r = test_call(&server, "PUT", "/v1/members/M1001-05", ADMIN, body, 422);
    ck_assert_int_eq(test_json_len(r, "error.fields"), 1);
    ck_assert_str_eq(test_json_str(r, "error.fields.0.field"), "history[1].reported_on");
    ck_assert_str_eq(test_json_str(r, "error.fields.0.problem"), "must not be in the future");
    free(r);
    free(body);
    free(test_call(&server, "GET", "/v1/members/M1001-05", ADMIN, NULL, 404)); /* nothing stored */
}
END_TEST

START_TEST(test_put_without_history_keeps_the_timeline_and_changes_from_today)
{
    char *body = eva(ago(200), ago(183), NULL);
    put("/v1/members/M1001-05", body, 201);
    free(body);
    /* An existing client sends the record back without a history, with
     * lives_with_employee now true: the stored timeline stays, the change
     * holds from today. */
    char birth[DATE_STRLEN];
    snprintf(birth, sizeof birth, "%s", eva_birth());
    char old_client[2048];
    snprintf(old_client, sizeof old_client,
             "{\"member_id\":\"M1001-05\",\"subscriber_id\":\"M1001\",\"group_id\":\"G100\","
             "\"relationship\":\"child\",\"first_name\":\"Eva\",\"last_name\":\"Lopez\","
             "\"birth_date\":\"%s\",\"state\":\"GA\",\"student\":false,"
             "\"lives_with_employee\":true,\"coverage\":[{\"plan_id\":\"PPO-500\","
             "\"effective\":\"2020-01-01\",\"termination_event\":null,\"kind\":\"active\"}]}",
             birth);
    char *r = test_call(&server, "PUT", "/v1/members/M1001-05", ADMIN, old_client, 200);
    ck_assert_int_eq(test_json_len(r, "history"), 3);
    ck_assert_str_eq(test_json_str(r, "history.1.from"), ago(200));
    ck_assert_str_eq(test_json_str(r, "history.2.from"), ago(0));
    ck_assert_str_eq(test_json_str(r, "history.2.reported_on"), ago(0));
    ck_assert_str_eq(test_json_str(r, "history.2.lives_with_employee"), "true");
    ck_assert_str_eq(test_json_str(r, "history.1.lives_with_employee"), "false");
    free(r);
    /* Sent again unchanged: nothing new. */
    r = test_call(&server, "PUT", "/v1/members/M1001-05", ADMIN, old_client, 200);
    ck_assert_int_eq(test_json_len(r, "history"), 3);
    free(r);
    /* Eligibility answers for the date asked: yesterday not a student nor at
     * home (CO-32), today at home; before the change, a student. */
    char path[160];
    snprintf(path, sizeof path, "/v1/eligibility?member_id=M1001-05&date=%s", ago(1));
    r = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(r, "covered"), "false");
    ck_assert_str_eq(test_json_str(r, "reason.carc"), "32");
    free(r);
    snprintf(path, sizeof path, "/v1/eligibility?member_id=M1001-05&date=%s", ago(0));
    r = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(r, "covered"), "true");
    free(r);
    snprintf(path, sizeof path, "/v1/eligibility?member_id=M1001-05&date=%s", ago(201));
    r = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(r, "covered"), "true");
    free(r);
}
END_TEST

/* ---- the examiner's scenarios ---- */

START_TEST(test_student_change_reported_later_does_not_reach_back)
{
    /* Student until 200 days ago, reported 183 days ago (15 May / 1 June). */
    char *body = eva(ago(200), ago(183), NULL);
    put("/v1/members/M1001-05", body, 201);
    free(body);
    char *c = decided_claim("M1001-05", "Eva", eva_birth(), ago(210));
    ck_assert_str_eq(test_json_str(c, "status"), "approved");
    free(c);
    c = decided_claim("M1001-05", "Eva", eva_birth(), ago(190));
    ck_assert_str_eq(test_json_str(c, "status"), "denied");
    ck_assert_str_eq(test_json_str(c, "decision.lines.0.codes.0.carc"), "32");
    free(c);
}
END_TEST

static void put_group(const char *id, int count, const char *cert, long want)
{
    char body[512], path[96];
    snprintf(body, sizeof body,
             "{\"group_id\":\"%s\",\"name\":\"Dated Co\",\"state\":\"FL\",\"employee_count\":%d,"
             "\"medicare_certification\":\"%s\",\"plan_id\":\"PPO-500\"}",
             id, count, cert);
    snprintf(path, sizeof path, "/v1/groups/%s", id);
    put(path, body, want);
}

/* Employee Raul of group_id: active until qualifying_event, then COBRA for
 * 18 months from the first of the next month. */
static void put_cobra_employee(const char *group_id, const char *qualifying_event,
                               const char *cobra_from)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"member_id\":\"M7001\",\"subscriber_id\":\"M7001\",\"group_id\":\"%s\","
             "\"relationship\":\"employee\",\"first_name\":\"Raul\",\"last_name\":\"Lopez\","
             "\"birth_date\":\"1980-03-03\",\"state\":\"FL\",\"coverage\":["
             "{\"plan_id\":\"PPO-500\",\"effective\":\"2020-01-01\",\"termination_event\":\"%s\","
             "\"kind\":\"active\"},{\"plan_id\":\"PPO-500\",\"effective\":\"%s\","
             "\"termination_event\":null,\"kind\":\"cobra\",\"qualifying_event\":\"%s\","
             "\"months\":18}]}",
             group_id, qualifying_event, cobra_from, qualifying_event);
    put("/v1/members/M7001", body, 201);
}

START_TEST(test_group_count_edited_below_20_keeps_an_earlier_cobra_continuant)
{
    put_group("G700", 25, "20_or_more", 201);
    put_cobra_employee("G700", ago(150), month_after(150));
    char *c = decided_claim("M7001", "Raul", "1980-03-03", ago(30));
    ck_assert_str_eq(test_json_str(c, "status"), "approved");
    free(c);
    /* The count edited to 18 by an existing client's PUT: a change from today. */
    put_group("G700", 18, "20_or_more", 200);
    char *g = test_call(&server, "GET", "/v1/groups/G700", ADMIN, NULL, 200);
    ck_assert_str_eq(test_json_str(g, "employee_count"), "18");
    ck_assert_str_eq(test_json_str(g, "cobra_applies"), "false");
    ck_assert_int_eq(test_json_len(g, "history"), 2);
    ck_assert_str_eq(test_json_str(g, "history.1.from"), ago(0));
    free(g);
    char path[96];
    snprintf(path, sizeof path, "/v1/groups/G700?as_of=%s", ago(150));
    g = test_call(&server, "GET", path, ADMIN, NULL, 200);
    ck_assert_str_eq(test_json_str(g, "employee_count"), "25");
    ck_assert_str_eq(test_json_str(g, "cobra_applies"), "true");
    free(g);
    c = decided_claim("M7001", "Raul", "1980-03-03", ago(29));
    ck_assert_str_eq(test_json_str(c, "status"), "approved");
    free(c);
}
END_TEST

START_TEST(test_cobra_span_of_a_group_always_under_20_covers_nothing)
{
    /* The control: a group of 18 from the beginning; COBRA does not apply. */
    put_group("G701", 18, "19_or_fewer", 201);
    put_cobra_employee("G701", ago(150), month_after(150));
    char *c = decided_claim("M7001", "Raul", "1980-03-03", ago(30));
    ck_assert_str_eq(test_json_str(c, "status"), "denied");
    ck_assert_str_eq(test_json_str(c, "decision.lines.0.codes.0.carc"), "27");
    free(c);
}
END_TEST

START_TEST(test_certification_change_does_not_move_medicare_to_primary_for_past_services)
{
    put_group("G702", 25, "20_or_more", 201);
    /* Working aged: 67, Medicare by age for years, active coverage. */
    char body[1024], birth[DATE_STRLEN];
    date_format(date_from_ymd(date_year(date_today_utc()) - 67, 2, 2), birth);
    snprintf(body, sizeof body,
             "{\"member_id\":\"M7002\",\"subscriber_id\":\"M7002\",\"group_id\":\"G702\","
             "\"relationship\":\"employee\",\"first_name\":\"Olga\",\"last_name\":\"Lopez\","
             "\"birth_date\":\"%s\",\"state\":\"FL\",\"coverage\":[{\"plan_id\":\"PPO-500\","
             "\"effective\":\"2015-01-01\",\"termination_event\":null,\"kind\":\"active\"}],"
             "\"medicare\":{\"basis\":\"age\",\"entitlement_date\":\"2020-01-01\"}}",
             birth);
    put("/v1/members/M7002", body, 201);
    put_group("G702", 25, "19_or_fewer", 200); /* certified 19 or fewer from today */
    char path[160];
    snprintf(path, sizeof path, "/v1/eligibility?member_id=M7002&date=%s", ago(1));
    char *r = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(r, "cob.position"), "primary");
    ck_assert_str_eq(test_json_str(r, "cob.medicare_primary"), "false");
    free(r);
    snprintf(path, sizeof path, "/v1/eligibility?member_id=M7002&date=%s", ago(0));
    r = test_call(&server, "GET", path, staff, NULL, 200);
    ck_assert_str_eq(test_json_str(r, "cob.position"), "secondary");
    ck_assert_str_eq(test_json_str(r, "cob.medicare_primary"), "true");
    free(r);
    /* A service of last month is paid as primary, not pended for Medicare's EOB. */
    char *c = decided_claim("M7002", "Olga", birth, ago(30));
    ck_assert_str_eq(test_json_str(c, "status"), "approved");
    ck_assert_str_eq(test_json_str(c, "decision.cob_position"), "primary");
    free(c);
}
END_TEST

/* ---- group events ---- */

START_TEST(test_group_event_records_a_dated_count)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"event\":\"employee_count\",\"date\":\"%s\",\"employee_count\":18}", ago(100));
    char *r = test_call(&server, "POST", "/v1/groups/G100/events", staff, body, 200);
    ck_assert_str_eq(test_json_str(r, "employee_count"), "18");
    ck_assert_str_eq(test_json_str(r, "medicare_certification"), "20_or_more");
    ck_assert_int_eq(test_json_len(r, "history"), 2);
    ck_assert_str_eq(test_json_str(r, "history.1.from"), ago(100));
    ck_assert_str_eq(test_json_str(r, "history.1.reported_on"), ago(0));
    ck_assert_str_eq(test_json_str(r, "history.0.employee_count"), "25");
    free(r);
    /* A certification earlier still, reported earlier: the later count stays. */
    snprintf(body, sizeof body,
             "{\"event\":\"medicare_certification\",\"date\":\"%s\",\"reported_on\":\"%s\","
             "\"medicare_certification\":\"19_or_fewer\"}",
             ago(120), ago(110));
    r = test_call(&server, "POST", "/v1/groups/G100/events", ADMIN, body, 200);
    ck_assert_int_eq(test_json_len(r, "history"), 3);
    ck_assert_str_eq(test_json_str(r, "history.1.from"), ago(120));
    ck_assert_str_eq(test_json_str(r, "history.1.reported_on"), ago(110));
    ck_assert_str_eq(test_json_str(r, "history.1.employee_count"), "25");
    ck_assert_str_eq(test_json_str(r, "history.2.employee_count"), "18");
    ck_assert_str_eq(test_json_str(r, "history.2.medicare_certification"), "19_or_fewer");
    free(r);
    /* The audit trail names the event. */
    redisContext *c = test_redis_connect(&redis);
    redisReply *a = redisCommand(c, "XREVRANGE claims:{c}audit + - COUNT 1");
    ck_assert(a && a->type == REDIS_REPLY_ARRAY && a->elements == 1);
    bool found = false;
    redisReply *fields = a->element[0]->element[1];
    for (size_t i = 0; i < fields->elements; i++)
        if (fields->element[i]->type == REDIS_REPLY_STRING &&
            strstr(fields->element[i]->str, "group.event"))
            found = true;
    ck_assert(found);
    freeReplyObject(a);
    redisFree(c);
}
END_TEST

START_TEST(test_group_event_refusals)
{
    char future[DATE_STRLEN], body[256];
    date_format(date_add_days(date_today_utc(), 1), future);
    const char *p = "/v1/groups/G100/events";
    refused("POST", p, "{\"date\":\"2026-01-01\",\"employee_count\":18}", "event", "is required");
    refused("POST", p, "{\"event\":\"size\",\"date\":\"2026-01-01\"}", "event",
            "must be employee_count or medicare_certification");
    refused("POST", p, "{\"event\":\"employee_count\",\"employee_count\":18}", "date",
            "is required");
    refused("POST", p, "{\"event\":\"employee_count\",\"date\":\"2026-01-01\"}", "employee_count",
            "is required");
    refused("POST", p,
            "{\"event\":\"employee_count\",\"date\":\"2026-01-01\",\"employee_count\":-1}",
            "employee_count", "must be an integer from 0 to 10000000");
    refused("POST", p,
            "{\"event\":\"employee_count\",\"date\":\"2026-01-01\",\"employee_count\":18,"
            "\"medicare_certification\":\"19_or_fewer\"}",
            "medicare_certification", "only allowed when event is medicare_certification");
    refused("POST", p,
            "{\"event\":\"medicare_certification\",\"date\":\"2026-01-01\","
            "\"medicare_certification\":\"19 or fewer\"}",
            "medicare_certification", "must be 20_or_more or 19_or_fewer");
    snprintf(body, sizeof body,
             "{\"event\":\"employee_count\",\"date\":\"2026-01-01\",\"reported_on\":\"%s\","
             "\"employee_count\":18}",
             future);
    refused("POST", p, body, "reported_on", "must not be in the future");
    refused("POST", p,
            "{\"event\":\"employee_count\",\"date\":\"2026-01-01\",\"employee_count\":1,"
            "\"why\":1}",
            "why", "unknown field");
    const char *ok = "{\"event\":\"employee_count\",\"date\":\"2026-01-01\",\"employee_count\":18}";
    free(test_call(&server, "POST", "/v1/groups/G999/events", staff, ok, 404));
    free(test_call(&server, "POST", p, member_token, ok, 403));
    free(test_call(&server, "POST", p, NULL, ok, 401));
    /* Nothing refused was stored. */
    char *g = test_call(&server, "GET", "/v1/groups/G100", ADMIN, NULL, 200);
    ck_assert_int_eq(test_json_len(g, "history"), 1);
    free(g);
}
END_TEST

/* Two writers posting events at once: each one's change must be kept. */
struct writer {
    int first_day; /* days ago of its first event; it posts 5, one day apart */
    int failures;
};

static void *post_events(void *arg)
{
    struct writer *w = arg;
    for (int i = 0; i < 5; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"event\":\"employee_count\",\"date\":\"%s\",\"employee_count\":%d}",
                 ago(w->first_day - 2 * i), 30 + w->first_day - 2 * i);
        struct test_response res;
        test_api(&server, "POST", "/v1/groups/G100/events", staff, body, NULL, &res);
        w->failures += res.status != 200;
        test_response_free(&res);
    }
    return NULL;
}

/* A third writer: an existing client's PUT of the whole group, five times,
 * with a count of 24 (so the first of them always records a change today). */
static void *put_group_again(void *arg)
{
    int *failures = arg;
    const char *body = "{\"group_id\":\"G100\",\"name\":\"Acme Tools\",\"state\":\"FL\","
                       "\"employee_count\":24,\"medicare_certification\":\"20_or_more\","
                       "\"dependent_to_30\":true,\"plan_id\":\"PPO-500\"}";
    for (int i = 0; i < 5; i++) {
        struct test_response res;
        test_api(&server, "PUT", "/v1/groups/G100", ADMIN, body, NULL, &res);
        *failures += res.status != 200;
        test_response_free(&res);
    }
    return NULL;
}

START_TEST(test_concurrent_group_events_and_puts_are_all_kept)
{
    struct writer a = {60, 0}, b = {59, 0};
    int put_failures = 0;
    pthread_t ta, tb, tc;
    pthread_create(&ta, NULL, post_events, &a);
    pthread_create(&tb, NULL, post_events, &b);
    pthread_create(&tc, NULL, put_group_again, &put_failures);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_join(tc, NULL);
    ck_assert_int_eq(a.failures + b.failures + put_failures, 0);
    /* Every event, and the PUT's count 24 from today (the events are older). */
    char *g = test_call(&server, "GET", "/v1/groups/G100", ADMIN, NULL, 200);
    ck_assert_int_eq(test_json_len(g, "history"), 12);
    ck_assert_str_eq(test_json_str(g, "history.11.from"), ago(0));
    ck_assert_str_eq(test_json_str(g, "history.11.employee_count"), "24");
    ck_assert_str_eq(test_json_str(g, "employee_count"), "24");
    for (int i = 1; i <= 10; i++) {
        char key[48];
        snprintf(key, sizeof key, "history.%d.from", i);
        ck_assert_str_eq(test_json_str(g, key), ago(61 - i));
        snprintf(key, sizeof key, "history.%d.employee_count", i);
        char want[16];
        snprintf(want, sizeof want, "%d", 30 + 61 - i);
        ck_assert_str_eq(test_json_str(g, key), want);
    }
    free(g);
}
END_TEST

static Suite *dated_suite(void)
{
    Suite *s = suite_create("dated facts");
    TCase *t = tcase_create("api");
    tcase_set_timeout(t, 60);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_member_history_put_and_read_as_of);
    tcase_add_test(t, test_member_history_is_validated_with_its_paths);
    tcase_add_test(t, test_put_without_history_keeps_the_timeline_and_changes_from_today);
    tcase_add_test(t, test_student_change_reported_later_does_not_reach_back);
    tcase_add_test(t, test_group_count_edited_below_20_keeps_an_earlier_cobra_continuant);
    tcase_add_test(t, test_cobra_span_of_a_group_always_under_20_covers_nothing);
    tcase_add_test(t,
                   test_certification_change_does_not_move_medicare_to_primary_for_past_services);
    tcase_add_test(t, test_group_event_records_a_dated_count);
    tcase_add_test(t, test_group_event_refusals);
    tcase_add_test(t, test_concurrent_group_events_and_puts_are_all_kept);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    return test_run_suite(dated_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
