/*
 * Appeals end to end (docs/api.md "Appeals"): a real claimsd with a worker
 * decides the claims; appeals are filed, listed, read and decided through
 * the HTTP API. Days pass by starting more claimsd processes on the same
 * Redis under libfaketime, their clock set to a day counted from the claim's
 * EOB date: day 180 is on time, day 181 is late, an appeal filed on day 180
 * is overdue on day 241.
 */
#include <check.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness/harness.h"

#define ADMIN "appeals-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define NPI_B "1003000126"
#define FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
#define STATEMENT "{\"statement\": \"The drug was prescribed after the generic failed.\"}"

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], staff_token_id[80], subscriber[80], spouse[80], child[80], other_family[80],
    provider_a[80], provider_b[80], helen[80];

static void setup(void)
{
    test_start_redis_and_claimsd(&redis, &server, ADMIN,
                                 (const char *const[]){"--workers", "1", NULL});
    test_put_sample_enrollment(&server, ADMIN, "G100 G200", "M1001 M1001-01 M1001-02 M2001 M4001");
    struct test_response res;
    test_api(&server, "POST", "/v1/tokens", ADMIN, "{\"role\":\"staff\"}", NULL, &res);
    ck_assert_int_eq(res.status, 201);
    snprintf(staff, sizeof staff, "%s", test_json_str(res.body, "token"));
    snprintf(staff_token_id, sizeof staff_token_id, "%s", test_json_str(res.body, "token_id"));
    test_response_free(&res);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", subscriber);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001-01\"}", spouse);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001-02\"}", child);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M2001\"}",
                      other_family);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M4001\"}", helen);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", provider_a);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_B "\"}", provider_b);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

static const char *days_from_today(int n, char out[DATE_STRLEN])
{
    return date_format(date_add_days(date_today(), n), out);
}

/* Ana's (M1001-02) pharmacy fill a few days ago; approved. charge makes
 * claims differ (no duplicates). */
static char *ana_fill(const char *charge)
{
    char *b = malloc(2048), fill[DATE_STRLEN];
    snprintf(b, 2048,
             "{\"type\":\"pharmacy\",\"member_id\":\"M1001-02\",\"patient\":{\"first_name\":"
             "\"Ana\",\"last_name\":\"Lopez\",\"birth_date\":\"2015-06-10\"},\"pharmacy\":{"
             "\"name\":\"Corner Drug #12\",\"npi\":\"" NPI_A "\",\"network\":\"in\"},"
             "\"ndc\":\"0071-0155-23\",\"fill_date\":\"%s\",\"drug_name\":\"Lipitor 20 mg "
             "tablet\",\"quantity\":30,\"days_supply\":30,\"charge\":%s}",
             days_from_today(-3, fill), charge);
    return b;
}

/* Luis's (M1001) office visit of 2019, before his coverage began: denied. */
static const char *luis_2019_visit =
    "{\"type\":\"medical\",\"member_id\":\"M1001\",\"patient\":{\"first_name\":\"Luis\","
    "\"last_name\":\"Lopez\",\"birth_date\":\"1975-09-14\"},\"provider\":{\"npi\":\"" NPI_B "\","
    "\"name\":\"Bay Clinic\",\"network\":\"in\",\"facility\":false},\"diagnosis_codes\":["
    "\"E11.9\"],\"lines\":[{\"service_date\":\"2019-06-03\",\"procedure_code\":\"99213\","
    "\"units\":1,\"charge\":150.00}]}";

/* Waits until the claim has one of the statuses ("a|b"); returns it. */
static const char *wait_status(const char *id, const char *want)
{
    static char status[32];
    char *claim = test_wait_claim(&server, ADMIN, id, want, 15000);
    snprintf(status, sizeof status, "%s", test_json_str(claim, "status"));
    free(claim);
    return status;
}

/* A final claim's EOB statement date. */
static date_t eob_date_of(const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s/eob", id);
    struct test_response res;
    test_api(&server, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    date_t d;
    ck_assert(date_parse(test_json_str(res.body, "statement_date"), &d));
    test_response_free(&res);
    return d;
}

/* A claim filed by token and decided: its id into id. */
static void decided_claim(const char *token, const char *body, const char *want, char id[64])
{
    test_submit_claim(&server, token, body, id);
    ck_assert_str_eq(wait_status(id, "approved|denied"), want);
}

static void file_appeal(const struct test_claimsd *d, const char *token, const char *claim_id,
                        const char *body, struct test_response *res)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s/appeals", claim_id);
    test_api(d, "POST", path, token, body, NULL, res);
}

/* Files with the standard statement; expects 201; the appeal id into id. */
static void filed(const struct test_claimsd *d, const char *claim_id, char id[64])
{
    struct test_response res;
    file_appeal(d, subscriber, claim_id, STATEMENT, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    snprintf(id, 64, "%s", test_json_str(res.body, "appeal_id"));
    test_response_free(&res);
}

/* Another claimsd (intake only) on the same Redis whose clock reads 15:00
 * on `day` (15:00 is the same date in UTC and in New York). */
static void start_on(struct test_claimsd *d, date_t day)
{
    char faketime[64], text[DATE_STRLEN], cfg[512];
    snprintf(faketime, sizeof faketime, "FAKETIME=@%s 15:00:00", date_format(day, text));
    memset(d, 0, sizeof *d);
    test_make_temp_dir(d->dir, "claimsd-later");
    snprintf(cfg, sizeof cfg, "%s",
             test_write_file(d->dir, "later.json", "{\"rate_limits\": null}"));
    const char *const args[] = {"--redis", redis.url, "--config", cfg, "--workers", "0", NULL};
    const char *const env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN,
                               "LD_PRELOAD=" FAKETIME_LIB,
                               faketime,
                               "FAKETIME_DONT_FAKE_MONOTONIC=1",
                               "ASAN_OPTIONS=verify_asan_link_order=0",
                               NULL};
    test_claimsd_start_or_exit(d, args, env, " under faketime");
}

START_TEST(test_a_denied_claim_is_appealed_with_its_due_date_60_days_on)
{
    char claim[64], path[160], expected[160], text[DATE_STRLEN];
    decided_claim(subscriber, luis_2019_visit, "denied", claim);
    date_t eob = eob_date_of(claim);
    struct test_response res;
    file_appeal(&server, subscriber, claim,
                "{\"statement\": \"I was covered then.\\nSee the letter.\", \"attachments\": "
                "[{\"kind\": \"letter\", \"reference\": \"scan-2026-12-01.pdf\"}]}",
                &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    const char *id = test_json_str(res.body, "appeal_id");
    ck_assert_uint_eq(strlen(id), 36);
    ck_assert(test_response_header(&res, "Location", path, sizeof path));
    snprintf(expected, sizeof expected, "/v1/appeals/%s", id);
    ck_assert_str_eq(path, expected);
    ck_assert_str_eq(test_json_str(res.body, "claim_id"), claim);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "M1001");
    ck_assert_str_eq(test_json_str(res.body, "status"), "open");
    ck_assert_str_eq(test_json_str(res.body, "filed_by_role"), "member");
    ck_assert_str_eq(test_json_str(res.body, "due_date"), days_from_today(60, text));
    ck_assert_str_eq(test_json_str(res.body, "overdue"), "false");
    ck_assert_str_eq(test_json_str(res.body, "eob_version"), "1");
    ck_assert_str_eq(test_json_str(res.body, "eob_date"), date_format(eob, text));
    ck_assert_str_eq(test_json_str(res.body, "appeal_deadline"),
                     date_format(date_add_days(eob, 180), text));
    ck_assert_str_eq(test_json_str(res.body, "statement"), "I was covered then.\nSee the letter.");
    ck_assert_str_eq(test_json_str(res.body, "attachments.0.kind"), "letter");
    ck_assert_str_eq(test_json_str(res.body, "attachments.0.reference"), "scan-2026-12-01.pdf");
    ck_assert(strstr(res.body, "\"decision\":null"));
    snprintf(path, sizeof path, "%s", expected);
    test_response_free(&res);
    /* The same, read back; the claim names its appeal. */
    test_api(&server, "GET", path, subscriber, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "status"), "open");
    ck_assert_str_eq(test_json_str(res.body, "due_date"), days_from_today(60, text));
    ck_assert_int_eq(test_json_len(res.body, "attachments"), 1);
    char appeal_id[64];
    snprintf(appeal_id, sizeof appeal_id, "%s", test_json_str(res.body, "appeal_id"));
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/claims/%s", claim);
    test_api(&server, "GET", path, subscriber, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "appeal_id"), appeal_id);
    ck_assert_str_eq(test_json_str(res.body, "status"), "denied");
    test_response_free(&res);
    /* One appeal per EOB version. */
    file_appeal(&server, subscriber, claim, STATEMENT, &res);
    ck_assert_int_eq(res.status, 409);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "already_appealed");
    test_response_free(&res);
    /* Counted as open, not overdue. */
    test_api(&server, "GET", "/v1/queue", staff, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "appeals_open"), "1");
    ck_assert_str_eq(test_json_str(res.body, "appeals_overdue"), "0");
    test_response_free(&res);
    /* The event for webhooks, in the same step as the filing. */
    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "XREVRANGE claims:{c}events + - COUNT 1");
    ck_assert_uint_eq(r->elements, 1);
    const redisReply *f = r->element[0]->element[1];
    ck_assert_uint_eq(f->elements, 8);
    ck_assert_str_eq(f->element[1]->str, "appeal.filed");
    ck_assert_str_eq(f->element[3]->str, claim);
    ck_assert_str_eq(f->element[5]->str, "open");
    ck_assert_str_eq(f->element[7]->str, appeal_id);
    freeReplyObject(r);
    redisFree(c);
}
END_TEST

START_TEST(test_day_180_after_the_eob_is_on_time_and_day_181_is_late)
{
    char late[64], on_time[64], text[DATE_STRLEN], due[DATE_STRLEN];
    char *b1 = ana_fill("31.00"), *b2 = ana_fill("32.00");
    decided_claim(child, b1, "approved", late);
    decided_claim(child, b2, "approved", on_time);
    date_t eob = eob_date_of(late);
    ck_assert(date_eq(eob, eob_date_of(on_time)));
    struct test_claimsd day181, day180, day241;
    start_on(&day181, date_add_days(eob, 181));
    struct test_response res;
    file_appeal(&day181, subscriber, late, STATEMENT, &res);
    ck_assert_msg(res.status == 422, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "appeal_window_closed");
    char message[200], day0[DATE_STRLEN], day180_text[DATE_STRLEN];
    snprintf(message, sizeof message,
             "the time to appeal ended on %s, 180 days after the Explanation of Benefits of %s",
             date_format(date_add_days(eob, 180), day180_text), date_format(eob, day0));
    ck_assert_str_eq(test_json_str(res.body, "error.message"), message);
    test_response_free(&res);
    test_claimsd_stop_clean(&day181);
    start_on(&day180, date_add_days(eob, 180));
    file_appeal(&day180, child, on_time, STATEMENT, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    date_format(date_add_days(eob, 240), due);
    ck_assert_str_eq(test_json_str(res.body, "due_date"), due);
    ck_assert_str_eq(test_json_str(res.body, "appeal_deadline"), day180_text);
    char id[64];
    snprintf(id, sizeof id, "%s", test_json_str(res.body, "appeal_id"));
    test_response_free(&res);
    /* Not overdue on its filing day. */
    test_api(&day180, "GET", "/v1/appeals?overdue=true", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_int_eq(test_json_len(res.body, "appeals"), 0);
    test_response_free(&res);
    test_claimsd_stop_clean(&day180);
    /* Day 241 after the EOB is the day after its due date: overdue. */
    start_on(&day241, date_add_days(eob, 241));
    test_api(&day241, "GET", "/v1/appeals?overdue=true", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_int_eq(test_json_len(res.body, "appeals"), 1);
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.appeal_id"), id);
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.overdue"), "true");
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.due_date"), due);
    ck_assert_str_eq(test_json_str(res.body, "next_cursor"), "");
    test_response_free(&res);
    test_api(&day241, "GET", "/v1/queue", staff, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "appeals_open"), "1");
    ck_assert_str_eq(test_json_str(res.body, "appeals_overdue"), "1");
    test_response_free(&res);
    test_api(&day241, "GET", "/metrics", NULL, NULL, NULL, &res);
    ck_assert_msg(strstr(res.body, "\nclaimsd_appeals_open 1\n"), "%s", res.body);
    ck_assert(strstr(res.body, "\nclaimsd_appeals_overdue 1\n"));
    test_response_free(&res);
    test_claimsd_stop_clean(&day241);
    /* Today it is neither. */
    test_api(&server, "GET", "/metrics", NULL, NULL, NULL, &res);
    ck_assert(strstr(res.body, "\nclaimsd_appeals_overdue 0\n"));
    test_response_free(&res);
    (void)text;
    free(b1);
    free(b2);
}
END_TEST

START_TEST(test_the_list_is_earliest_due_first_with_pages_and_status)
{
    char claims[3][64], ids[3][64];
    for (int i = 0; i < 3; i++) {
        char charge[16];
        snprintf(charge, sizeof charge, "4%d.00", i);
        char *b = ana_fill(charge);
        decided_claim(child, b, "approved", claims[i]);
        free(b);
    }
    date_t eob = eob_date_of(claims[0]);
    /* Filed on day 10, today (day 0) and day 5: due in the order 0, 5, 10. */
    struct test_claimsd later;
    start_on(&later, date_add_days(eob, 10));
    filed(&later, claims[0], ids[2]);
    test_claimsd_stop_clean(&later);
    filed(&server, claims[1], ids[0]);
    start_on(&later, date_add_days(eob, 5));
    filed(&later, claims[2], ids[1]);
    test_claimsd_stop_clean(&later);
    struct test_response res;
    test_api(&server, "GET", "/v1/appeals?limit=2", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_int_eq(test_json_len(res.body, "appeals"), 2);
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.appeal_id"), ids[0]);
    ck_assert_str_eq(test_json_str(res.body, "appeals.1.appeal_id"), ids[1]);
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.claim_id"), claims[1]);
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.member_id"), "M1001-02");
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.status"), "open");
    ck_assert_int_eq(test_json_len(res.body, "appeals.0.attachments"), -1); /* summary only */
    char next[64], path[128], text[DATE_STRLEN];
    ck_assert_str_eq(test_json_str(res.body, "appeals.1.due_date"),
                     date_format(date_add_days(eob, 65), text));
    snprintf(next, sizeof next, "%s", test_json_str(res.body, "next_cursor"));
    ck_assert(next[0]);
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/appeals?limit=2&cursor=%s", next);
    test_api(&server, "GET", path, staff, NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "appeals"), 1);
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.appeal_id"), ids[2]);
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.due_date"),
                     date_format(date_add_days(eob, 70), text));
    ck_assert_str_eq(test_json_str(res.body, "next_cursor"), "");
    test_response_free(&res);
    /* Decide the middle one: the status filters split them. */
    snprintf(path, sizeof path, "/v1/appeals/%s/decision", ids[1]);
    ck_assert_int_eq(test_status(&server, "POST", path, staff,
                                 "{\"outcome\": \"upheld\", \"note\": \"Billed as filled.\"}"),
                     200);
    test_api(&server, "GET", "/v1/appeals?status=decided", staff, NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "appeals"), 1);
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.appeal_id"), ids[1]);
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.outcome"), "upheld");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/appeals?status=open", staff, NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "appeals"), 2);
    ck_assert_str_eq(test_json_str(res.body, "appeals.0.appeal_id"), ids[0]);
    ck_assert_str_eq(test_json_str(res.body, "appeals.1.appeal_id"), ids[2]);
    test_response_free(&res);
}
END_TEST

START_TEST(test_an_upheld_decision_is_stored_audited_and_read_by_the_member)
{
    char claim[64], id[64], path[160];
    decided_claim(subscriber, luis_2019_visit, "denied", claim);
    filed(&server, claim, id);
    snprintf(path, sizeof path, "/v1/appeals/%s/decision", id);
    struct test_response res;
    test_api(&server, "POST", path, staff,
             "{\"outcome\": \"upheld\", \"lines\": [], \"note\": \"Coverage began 2020-01-01.\"}",
             NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "status"), "decided");
    ck_assert_str_eq(test_json_str(res.body, "decision.outcome"), "upheld");
    ck_assert_str_eq(test_json_str(res.body, "decision.note"), "Coverage began 2020-01-01.");
    ck_assert_str_eq(test_json_str(res.body, "decision.decided_by"), staff_token_id);
    ck_assert_int_eq(test_json_len(res.body, "decision.lines"), 0);
    ck_assert_str_eq(test_json_str(res.body, "overdue"), "false");
    test_response_free(&res);
    /* Decided once. */
    test_api(&server, "POST", path, staff, "{\"outcome\": \"upheld\", \"note\": \"again\"}", NULL,
             &res);
    ck_assert_int_eq(res.status, 409);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "already_decided");
    test_response_free(&res);
    /* The member reads the decision, without the decider's token id. */
    snprintf(path, sizeof path, "/v1/appeals/%s", id);
    test_api(&server, "GET", path, subscriber, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "decision.outcome"), "upheld");
    ck_assert_str_eq(test_json_str(res.body, "decision.note"), "Coverage began 2020-01-01.");
    ck_assert_ptr_null(strstr(res.body, "decided_by"));
    test_response_free(&res);
    /* The claim stands: same status, still one EOB version. */
    snprintf(path, sizeof path, "/v1/claims/%s/eob?version=2", claim);
    ck_assert_int_eq(test_status(&server, "GET", path, subscriber, NULL), 404);
    ck_assert_str_eq(wait_status(claim, "denied"), "denied");
    /* Filing and decision in the claim's audit trail, the note with the decider. */
    snprintf(path, sizeof path, "/v1/claims/%s/audit", claim);
    test_api(&server, "GET", path, staff, NULL, NULL, &res);
    bool file = false, decide = false;
    for (int i = 0; i < test_json_len(res.body, "entries"); i++) {
        char key[64];
        snprintf(key, sizeof key, "entries.%d.action", i);
        const char *action = test_json_str(res.body, key);
        if (strcmp(action, "appeal.file") == 0) {
            file = true;
            snprintf(key, sizeof key, "entries.%d.appeal_id", i);
            ck_assert_str_eq(test_json_str(res.body, key), id);
        }
        if (strcmp(action, "appeal.decide") == 0) {
            decide = true;
            snprintf(key, sizeof key, "entries.%d.note", i);
            ck_assert_str_eq(test_json_str(res.body, key), "Coverage began 2020-01-01.");
            snprintf(key, sizeof key, "entries.%d.token_id", i);
            ck_assert_str_eq(test_json_str(res.body, key), staff_token_id);
            snprintf(key, sizeof key, "entries.%d.outcome", i);
            ck_assert_str_eq(test_json_str(res.body, key), "upheld");
        }
    }
    ck_assert(file && decide);
    test_response_free(&res);
    test_api(&server, "GET", "/v1/queue", staff, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "appeals_open"), "0");
    test_response_free(&res);
    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "XREVRANGE claims:{c}events + - COUNT 1");
    const redisReply *f = r->element[0]->element[1];
    ck_assert_str_eq(f->element[1]->str, "appeal.decided");
    ck_assert_str_eq(f->element[3]->str, claim);
    ck_assert_str_eq(f->element[5]->str, "upheld");
    ck_assert_str_eq(f->element[7]->str, id);
    freeReplyObject(r);
    redisFree(c);
}
END_TEST

START_TEST(test_an_overturn_is_checked_then_decides_the_claim_again)
{
    char claim[64], id[64], path[160];
    decided_claim(subscriber, luis_2019_visit, "denied", claim);
    filed(&server, claim, id);
    snprintf(path, sizeof path, "/v1/appeals/%s/decision", id);
    test_assert_422(&server, "POST", path, staff, "{\"outcome\": \"overturned\", \"note\": \"n\"}",
                    "lines", "is required when outcome is overturned");
    test_assert_422(&server, "POST", path, staff,
                    "{\"outcome\": \"overturned\", \"lines\": [], \"note\": \"n\"}", "lines",
                    "must have at least one line when outcome is overturned");
    test_assert_422(&server, "POST", path, staff,
                    "{\"outcome\": \"overturned\", \"note\": \"n\", \"lines\": [{\"line\": 2, "
                    "\"allowed\": 90.00, \"group\": \"CO\", \"carc\": \"45\"}]}",
                    "lines[0].line", "must be a line number of the claim");
    test_assert_422(&server, "POST", path, staff,
                    "{\"outcome\": \"overturned\", \"note\": \"n\", \"lines\": [{\"line\": 1, "
                    "\"allowed\": 150.01, \"group\": \"CO\", \"carc\": \"45\"}]}",
                    "lines[0].allowed", "must not exceed the line's charge");
    test_assert_422(&server, "POST", path, staff,
                    "{\"outcome\": \"overturned\", \"note\": \"n\", \"lines\": [{\"line\": 1, "
                    "\"allowed\": 90.00}]}",
                    "lines[0].group", "is required when allowed is less than the line's charge");
    test_assert_422(&server, "POST", path, staff,
                    "{\"outcome\": \"overturned\", \"note\": \"n\", \"lines\": [{\"line\": 1, "
                    "\"allowed\": 90.00, \"group\": \"XX\", \"carc\": \"45\"}]}",
                    "lines[0].group", "must be CO, PR, OA or PI");
    test_assert_422(&server, "POST", path, staff,
                    "{\"outcome\": \"overturned\", \"note\": \"n\", \"lines\": [{\"line\": 1, "
                    "\"allowed\": 90.00, \"group\": \"CO\", \"carc\": \"999\"}]}",
                    "lines[0].carc", "must be a CARC of docs/rules.md \"Codes\"");
    test_assert_422(&server, "POST", path, staff,
                    "{\"outcome\": \"overturned\", \"note\": \"n\", \"lines\": [{\"line\": 1, "
                    "\"allowed\": 90.00, \"group\": \"CO\", \"carc\": \"45\", \"rarc\": \"ZZ9\"}]}",
                    "lines[0].rarc", "must be a RARC of docs/rules.md \"Codes\"");
    /* The same reader as a staff review: PI is a group, at most 4 group and CARC pairs. */
    test_assert_422(&server, "POST", path, staff,
                    "{\"outcome\": \"overturned\", \"note\": \"n\", \"lines\": [{\"line\": 1, "
                    "\"allowed\": 90.00, \"group\": \"PI\", \"carc\": \"45\"}, {\"line\": 1, "
                    "\"allowed\": 90.00, \"group\": \"CO\", \"carc\": \"45\"}, {\"line\": 1, "
                    "\"allowed\": 90.00, \"group\": \"PR\", \"carc\": \"45\"}, {\"line\": 1, "
                    "\"allowed\": 90.00, \"group\": \"OA\", \"carc\": \"45\"}, {\"line\": 1, "
                    "\"allowed\": 90.00, \"group\": \"CO\", \"carc\": \"96\"}]}",
                    "lines", "must use at most 4 different group and CARC pairs");
    test_assert_422(&server, "POST", path, staff,
                    "{\"outcome\": \"overturned\", \"note\": \"n\", \"lines\": [{\"line\": 1, "
                    "\"allowed\": 90.00, \"group\": \"PI\", \"carc\": \"45\"}, {\"line\": 1, "
                    "\"allowed\": 90.00, \"group\": \"PI\", \"carc\": \"45\"}]}",
                    "lines[1].line", "is listed twice");
    /* A valid overturn: recorded once, the claim decided again with the
     * lines (the rules' denial opened: docs/rules.md "Decision outcomes"). */
    struct test_response res;
    const char *overturn =
        "{\"outcome\": \"overturned\", \"note\": \"Covered: see the enrollment form.\", "
        "\"lines\": [{\"line\": 1, \"allowed\": 90.00, \"group\": \"CO\", \"carc\": \"45\","
        " \"rarc\": null}]}";
    test_api(&server, "POST", path, staff, overturn, NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "status"), "decided");
    ck_assert_str_eq(test_json_str(res.body, "decision.outcome"), "overturned");
    ck_assert_str_eq(test_json_str(res.body, "decision.lines.0.allowed"), "90.00");
    test_response_free(&res);
    /* A second decision (the same overturn again) is refused: one decision only. */
    test_api(&server, "POST", path, staff, overturn, NULL, &res);
    ck_assert_int_eq(res.status, 409);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "already_decided");
    test_response_free(&res);
    /* The claim's new EOB version: 150.00 charged, 90.00 allowed (CO-45 60.00),
     * the office visit's 25.00 copay, the plan pays 65.00. */
    char *eob = test_wait_eob_version(&server, ADMIN, claim, 2);
    ck_assert_str_eq(test_json_str(eob, "version"), "2");
    ck_assert_str_eq(test_json_str(eob, "adjustment.kind"), "adjustment");
    ck_assert_str_eq(test_json_str(eob, "adjustment.previous_version"), "1");
    ck_assert_str_eq(test_json_str(eob, "adjustment.previous.plan_paid"), "0.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.new.allowed"), "90.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.new.plan_paid"), "65.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.new.patient_responsibility"), "25.00");
    ck_assert_str_eq(test_json_str(eob, "adjustment.difference.plan_paid"), "65.00");
    ck_assert_str_eq(test_json_str(eob, "totals.plan_paid"), "65.00");
    free(eob);
    ck_assert_str_eq(wait_status(claim, "approved"), "approved");
    snprintf(path, sizeof path, "/v1/claims/%s", claim);
    test_api(&server, "GET", path, staff, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "decision.lines.0.allowed"), "90.00");
    ck_assert_str_eq(test_json_str(res.body, "decision.lines.0.codes.0.group"), "CO");
    ck_assert_str_eq(test_json_str(res.body, "decision.lines.0.codes.0.carc"), "45");
    ck_assert_str_eq(test_json_str(res.body, "decision.lines.0.codes.0.amount"), "60.00");
    ck_assert_str_eq(test_json_str(res.body, "decision.lines.0.denied"), "false");
    ck_assert_str_eq(test_json_str(res.body, "decision.lines.0.codes.1.group"), "PR");
    ck_assert_str_eq(test_json_str(res.body, "decision.lines.0.codes.1.carc"), "3");
    ck_assert_str_eq(test_json_str(res.body, "decision.lines.0.codes.1.amount"), "25.00");
    ck_assert_int_eq(test_json_len(res.body, "decision.lines.0.codes"), 2);
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/appeals/%s", id);
    test_api(&server, "GET", path, staff, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "status"), "decided");
    ck_assert_str_eq(test_json_str(res.body, "decision.outcome"), "overturned");
    test_response_free(&res);
}
END_TEST

START_TEST(test_a_void_withdraws_the_open_appeal)
{
    char claim[64], id[64], path[160];
    decided_claim(subscriber, luis_2019_visit, "denied", claim);
    filed(&server, claim, id);
    struct test_response res;
    test_api(&server, "GET", "/v1/queue", staff, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "appeals_open"), "1");
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/claims/%s/void", claim);
    test_api(&server, "POST", path, subscriber, "{\"reason\": \"filed by mistake\"}", NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    test_response_free(&res);
    /* Nothing left to decide on: withdrawn, off the open list and counts. */
    snprintf(path, sizeof path, "/v1/appeals/%s", id);
    test_api(&server, "GET", path, staff, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "status"), "withdrawn");
    ck_assert(strstr(res.body, "\"decision\":null"));
    test_response_free(&res);
    test_api(&server, "GET", "/v1/queue", staff, NULL, NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "appeals_open"), "0");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/appeals?status=open", staff, NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "appeals"), 0);
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/appeals/%s/decision", id);
    test_api(&server, "POST", path, staff,
             "{\"outcome\": \"overturned\", \"note\": \"n\", \"lines\": [{\"line\": 1, "
             "\"allowed\": 150.00}]}",
             NULL, &res);
    ck_assert_int_eq(res.status, 409);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "already_decided");
    test_response_free(&res);
}
END_TEST

START_TEST(test_who_may_file_and_read_and_what_is_refused)
{
    char ana[64], pended[64], id[64], path[160], claim_path[160];
    char *b = ana_fill("55.00");
    decided_claim(provider_a, b, "approved", ana);
    free(b);
    snprintf(path, sizeof path, "/v1/claims/%s/appeals", ana);
    /* Another family, another provider, a family member who may not read the
     * claim: told it does not exist. */
    ck_assert_int_eq(test_status(&server, "POST", path, other_family, STATEMENT), 404);
    ck_assert_int_eq(test_status(&server, "POST", path, provider_b, STATEMENT), 404);
    ck_assert_int_eq(test_status(&server, "POST", path, spouse, STATEMENT), 404);
    ck_assert_int_eq(test_status(&server, "POST", path, NULL, STATEMENT), 401);
    ck_assert_int_eq(test_status(&server, "POST",
                                 "/v1/claims/00000000-0000-4000-8000-000000000000/appeals", child,
                                 STATEMENT),
                     404);
    ck_assert_int_eq(
        test_status(&server, "POST", "/v1/claims/not-a-claim/appeals", child, STATEMENT), 404);
    /* The body, field by field. */
    test_assert_422(&server, "POST", path, child, "{}", "statement", "is required");
    test_assert_422(&server, "POST", path, child, "{\"statement\": \" \\n \"}", "statement",
                    "must not be empty");
    test_assert_422(&server, "POST", path, child, "{\"statement\": 7}", "statement",
                    "must be a string");
    test_assert_422(&server, "POST", path, child, "{\"statement\": \"a\\u0007b\"}", "statement",
                    "must not contain control characters other than tab and line breaks");
    test_assert_422(&server, "POST", path, child, "{\"statement\": \"x\", \"colour\": 1}", "colour",
                    "unknown field");
    test_assert_422(&server, "POST", path, child,
                    "{\"statement\": \"x\", \"attachments\": [{\"kind\": \"photo\", \"reference\": "
                    "\"a\"}]}",
                    "attachments[0].kind",
                    "must be medical_record, letter, itemized_bill, eob or other");
    test_assert_422(&server, "POST", path, child,
                    "{\"statement\": \"x\", \"attachments\": [{\"kind\": \"letter\"}]}",
                    "attachments[0].reference", "is required");
    char *long_body = malloc(10100);
    snprintf(long_body, 10100, "{\"statement\": \"%010001d\"}", 0); /* 10,001 bytes */
    test_assert_422(&server, "POST", path, child, long_body, "statement",
                    "must be at most 10000 bytes");
    free(long_body);
    /* The submitting provider may appeal and read it; the patient too. */
    struct test_response res;
    file_appeal(&server, provider_a, ana, STATEMENT, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    ck_assert_str_eq(test_json_str(res.body, "filed_by_role"), "provider");
    snprintf(id, sizeof id, "%s", test_json_str(res.body, "appeal_id"));
    test_response_free(&res);
    snprintf(path, sizeof path, "/v1/appeals/%s", id);
    ck_assert_int_eq(test_status(&server, "GET", path, provider_a, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", path, child, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", path, subscriber, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", path, staff, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", path, spouse, NULL), 404);
    ck_assert_int_eq(test_status(&server, "GET", path, other_family, NULL), 404);
    ck_assert_int_eq(test_status(&server, "GET", path, provider_b, NULL), 404);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/appeals/00000000-0000-4000-8000-000000000000",
                                 staff, NULL),
                     404);
    /* Deciding is for staff; a bad body names its field. */
    snprintf(path, sizeof path, "/v1/appeals/%s/decision", id);
    const char *upheld = "{\"outcome\": \"upheld\", \"note\": \"As billed.\"}";
    ck_assert_int_eq(test_status(&server, "POST", path, child, upheld), 403);
    ck_assert_int_eq(test_status(&server, "POST", path, provider_a, upheld), 403);
    ck_assert_int_eq(test_status(&server, "POST",
                                 "/v1/appeals/00000000-0000-4000-8000-000000000000/decision", staff,
                                 upheld),
                     404);
    test_assert_422(&server, "POST", path, staff, "{\"outcome\": \"partly\", \"note\": \"x\"}",
                    "outcome", "must be upheld or overturned");
    test_assert_422(&server, "POST", path, staff, "{\"outcome\": \"upheld\"}", "note",
                    "is required");
    test_assert_422(&server, "POST", path, staff,
                    "{\"outcome\": \"upheld\", \"note\": \"x\", \"lines\": [{\"line\": 1, "
                    "\"allowed\": 1.00, \"group\": \"CO\", \"carc\": \"45\"}]}",
                    "lines", "must be empty when outcome is upheld: the claim stands as decided");
    /* The list is for staff, its parameters checked. */
    ck_assert_int_eq(test_status(&server, "GET", "/v1/appeals", child, NULL), 403);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/appeals", provider_a, NULL), 403);
    test_assert_422(&server, "GET", "/v1/appeals?status=closed", staff, NULL, "status",
                    "must be open or decided");
    test_assert_422(&server, "GET", "/v1/appeals?sort=due", staff, NULL, "sort",
                    "unknown parameter");
    test_assert_422(&server, "GET", "/v1/appeals?overdue=true&status=decided", staff, NULL,
                    "overdue", "only open appeals are overdue");
    /* Only a final claim with an EOB: Helen's lab test waits for Medicare's EOB. */
    char lab[1024], day[DATE_STRLEN];
    snprintf(lab, sizeof lab,
             "{\"type\":\"medical\",\"member_id\":\"M4001\",\"patient\":{\"first_name\":"
             "\"Helen\",\"last_name\":\"Park\",\"birth_date\":\"1958-08-30\"},\"provider\":{"
             "\"npi\":\"" NPI_B "\",\"name\":\"Bay Lab\",\"network\":\"in\"},"
             "\"diagnosis_codes\":[\"E11.9\"],\"lines\":[{\"service_date\":\"%s\","
             "\"procedure_code\":\"80053\",\"units\":1,\"charge\":14.00}]}",
             days_from_today(-1, day));
    test_submit_claim(&server, helen, lab, pended);
    ck_assert_str_eq(wait_status(pended, "pended|approved|denied"), "pended");
    snprintf(claim_path, sizeof claim_path, "/v1/claims/%s/appeals", pended);
    test_api(&server, "POST", claim_path, helen, STATEMENT, NULL, &res);
    ck_assert_int_eq(res.status, 409);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "not_final");
    test_response_free(&res);
}
END_TEST

static Suite *appeals_suite(void)
{
    Suite *s = suite_create("appeals");
    TCase *tc = tcase_create("appeals");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_denied_claim_is_appealed_with_its_due_date_60_days_on);
    tcase_add_test(tc, test_day_180_after_the_eob_is_on_time_and_day_181_is_late);
    tcase_add_test(tc, test_the_list_is_earliest_due_first_with_pages_and_status);
    tcase_add_test(tc, test_an_upheld_decision_is_stored_audited_and_read_by_the_member);
    tcase_add_test(tc, test_an_overturn_is_checked_then_decides_the_claim_again);
    tcase_add_test(tc, test_a_void_withdraws_the_open_appeal);
    tcase_add_test(tc, test_who_may_file_and_read_and_what_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    /* "Today" as the servers under test count it: the default time_zone. */
    date_set_time_zone("America/New_York");
    return test_run_suite(appeals_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
