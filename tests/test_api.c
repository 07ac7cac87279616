/*
 * The intake API end to end: a real claimsd on a real socket with a real
 * redis-server. Each role's allowed and refused access, each class of
 * validation error, idempotent replay and conflict, search and paging, the
 * audit trail, enrollment records and tokens.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness/harness.h"

#define ADMIN "api-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define NPI_B "1003000126"

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], subscriber[80], spouse[80], child[80], other_family[80], provider_a[80],
    provider_b[80];

static void setup(void)
{
    /* No workers: these tests look at claims as intake leaves them. */
    test_start_redis_and_claimsd(&redis, &server, ADMIN,
                                 (const char *const[]){"--workers", "0", NULL});
    test_put_sample_enrollment(&server, ADMIN, "G100 G200",
                               "M1001 M1001-01 M1001-02 M1001-03 M2001 M3001 M4001");
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", subscriber);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001-01\"}", spouse);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001-02\"}", child);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M2001\"}",
                      other_family);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", provider_a);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_B "\"}", provider_b);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

/* A valid pharmacy reimbursement for the child Ana (M1001-02). */
static char *pharmacy_claim(const char *member_id, const char *first, const char *birth,
                            const char *charge, const char *extra)
{
    char *body = malloc(2048);
    snprintf(body, 2048,
             "{\"type\":\"pharmacy\",\"member_id\":\"%s\","
             "\"patient\":{\"first_name\":\"%s\",\"last_name\":\"Lopez\",\"birth_date\":\"%s\"},"
             "\"pharmacy\":{\"name\":\"Corner Drug #12\",\"npi\":\"" NPI_A "\",\"network\":\"in\"},"
             "\"ndc\":\"0071-0155-23\",\"rx_number\":\"RX-1\",\"fill_date\":\"2026-01-05\","
             "\"drug_name\":\"Lipitor 20 mg tablet\",\"quantity\":30,\"days_supply\":30,"
             "\"charge\":%s%s}",
             member_id, first, birth, charge, extra ? extra : "");
    return body;
}

static char *ana_claim(const char *charge)
{
    return pharmacy_claim("M1001-02", "Ana", "2015-06-10", charge, NULL);
}

static char *medical_claim(const char *npi)
{
    char *body = malloc(2048);
    snprintf(body, 2048,
             "{\"type\":\"medical\",\"member_id\":\"M1001\","
             "\"patient\":{\"first_name\":\"Luis\",\"last_name\":\"Lopez\",\"birth_date\":\"1975-"
             "09-14\"},"
             "\"provider\":{\"npi\":\"%s\",\"name\":\"Bay "
             "Clinic\",\"network\":\"in\",\"facility\":false},"
             "\"diagnosis_codes\":[\"E11.9\"],"
             "\"lines\":[{\"service_date\":\"2026-01-06\",\"procedure_code\":\"99213\",\"units\":1,"
             "\"charge\":150.00}]}",
             npi);
    return body;
}

/* Submits and returns the new claim's id (static buffer). */
static const char *submit(const char *token, const char *body)
{
    static char id[64];
    test_submit_claim(&server, token, body, id);
    return id;
}

START_TEST(test_submission_is_accepted_with_receipt_and_target_dates)
{
    char *body = ana_claim("42.17");
    struct test_response res;
    test_api(&server, "POST", "/v1/claims", child, body, NULL, &res);
    ck_assert_int_eq(res.status, 202);
    date_t today = date_today();
    char t[DATE_STRLEN], target[DATE_STRLEN];
    date_format(today, t);
    test_business_days_after(t, 10, target); /* the oracle, not the product's calendar */
    ck_assert_str_eq(test_json_str(res.body, "status"), "received");
    ck_assert_str_eq(test_json_str(res.body, "type"), "pharmacy");
    ck_assert_str_eq(test_json_str(res.body, "received_date"), t);
    ck_assert_str_eq(test_json_str(res.body, "target_date"), target);
    const char *id = test_json_str(res.body, "claim_id");
    ck_assert_uint_eq(strlen(id), 36);
    char location[128], expected[128];
    ck_assert(test_response_header(&res, "Location", location, sizeof location));
    snprintf(expected, sizeof expected, "/v1/claims/%s", id);
    ck_assert_str_eq(location, expected);
    test_response_free(&res);
    free(body);
}
END_TEST

START_TEST(test_claim_read_back_has_the_submission_normalised_and_history)
{
    char *body = ana_claim("42.17");
    char id[64];
    snprintf(id, sizeof id, "%s", submit(child, body));
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    struct test_response res;
    test_api(&server, "GET", path, child, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "claim_id"), id);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "M1001-02");
    ck_assert_str_eq(test_json_str(res.body, "status"), "received");
    ck_assert_str_eq(test_json_str(res.body, "submitted.ndc"), "00071015523");
    ck_assert_str_eq(test_json_str(res.body, "submitted.charge"), "42.17");
    ck_assert_str_eq(test_json_str(res.body, "history.0.status"), "received");
    ck_assert_int_eq(test_json_len(res.body, "history"), 1);
    test_response_free(&res);
    free(body);
}
END_TEST

START_TEST(test_who_may_read_a_claim_and_who_is_told_it_does_not_exist)
{
    char *body = ana_claim("10.00");
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", submit(child, body));
    ck_assert_int_eq(test_status(&server, "GET", path, child, NULL), 200);      /* the patient */
    ck_assert_int_eq(test_status(&server, "GET", path, subscriber, NULL), 200); /* the subscriber */
    ck_assert_int_eq(test_status(&server, "GET", path, staff, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", path, ADMIN, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", path, spouse, NULL),
                     404); /* same family, not subscriber */
    ck_assert_int_eq(test_status(&server, "GET", path, other_family, NULL), 404);
    ck_assert_int_eq(test_status(&server, "GET", path, provider_a, NULL),
                     404); /* did not submit it */
    ck_assert_int_eq(test_status(&server, "GET", path, NULL, NULL), 401);
    ck_assert_int_eq(test_status(&server, "GET", path, "clm_not_a_real_token", NULL), 401);
    ck_assert_int_eq(
        test_status(&server, "GET", "/v1/claims/00000000-0000-4000-8000-000000000000", staff, NULL),
        404);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims/not-a-uuid", staff, NULL), 404);
    free(body);
}
END_TEST

START_TEST(test_provider_files_only_under_its_own_npi_and_reads_only_its_claims)
{
    char *mine = medical_claim(NPI_A), *theirs = medical_claim(NPI_B);
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", submit(provider_a, mine));
    ck_assert_int_eq(test_status(&server, "GET", path, provider_a, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", path, provider_b, NULL), 404);
    ck_assert_int_eq(test_status(&server, "GET", path, subscriber, NULL),
                     200); /* the patient's own claim */
    struct test_response res;
    test_api(&server, "POST", "/v1/claims", provider_a, theirs, NULL, &res);
    ck_assert_int_eq(res.status, 403);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "forbidden");
    test_response_free(&res);
    free(mine);
    free(theirs);
}
END_TEST

START_TEST(test_member_files_for_self_or_as_subscriber_for_the_family_only)
{
    char *for_child = ana_claim("11.00");
    submit(subscriber, for_child); /* subscriber for child */
    ck_assert_int_eq(test_status(&server, "POST", "/v1/claims", spouse, for_child),
                     403); /* spouse for child */
    ck_assert_int_eq(test_status(&server, "POST", "/v1/claims", other_family, for_child), 403);
    free(for_child);
}
END_TEST

START_TEST(test_validation_errors_name_every_field_at_once)
{
    struct test_response res;
    const char *bad =
        "{\"type\":\"pharmacy\",\"member_id\":\"M1001-02\",\"ndc\":\"12-34\",\"charge\":1.234,"
        "\"colour\":\"red\"}";
    test_api(&server, "POST", "/v1/claims", child, bad, NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "validation_failed");
    const char *body = res.body;
    bool ndc = false, charge = false, colour = false, patient = false;
    for (int i = 0; i < test_json_len(body, "error.fields"); i++) {
        char p[64];
        snprintf(p, sizeof p, "error.fields.%d.field", i);
        const char *f = test_json_str(body, p);
        ndc |= strcmp(f, "ndc") == 0;
        charge |= strcmp(f, "charge") == 0;
        colour |= strcmp(f, "colour") == 0;
        patient |= strcmp(f, "patient") == 0;
    }
    ck_assert(ndc && charge && colour && patient);
    test_response_free(&res);

    test_api(&server, "POST", "/v1/claims", child, "{\"type\": pharmacy}", NULL, &res);
    ck_assert_int_eq(res.status, 400);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "invalid_json");
    test_response_free(&res);

    /* Another content type. */
    char url[256];
    snprintf(url, sizeof url, "%s/v1/claims", server.base_url);
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", child);
    test_http("POST", url, (const char *const[]){auth, "Content-Type: text/plain", NULL}, "{}",
              &res);
    ck_assert_int_eq(res.status, 415);
    test_response_free(&res);

    /* received_date is staff's; a future one is refused even for staff. */
    char *with_date = pharmacy_claim("M1001-02", "Ana", "2015-06-10", "5.00",
                                     ",\"received_date\":\"2026-01-10\"");
    test_api(&server, "POST", "/v1/claims", child, with_date, NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "received_date");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"),
                     "not allowed for this role");
    test_response_free(&res);
    test_api(&server, "POST", "/v1/claims", staff, with_date, NULL, &res);
    ck_assert_int_eq(res.status, 202);
    ck_assert_str_eq(test_json_str(res.body, "received_date"), "2026-01-10");
    ck_assert_str_eq(test_json_str(res.body, "target_date"), "2026-01-26"); /* MLK Day skipped */
    test_response_free(&res);
    free(with_date);
    /* Nothing of a refused submission is stored: the error never echoes PHI. */
    char *wrong = pharmacy_claim("M1001-02", "Ana", "2015-06-10", "-1", NULL);
    test_api(&server, "POST", "/v1/claims", child, wrong, NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_ptr_null(strstr(res.body, "Ana"));
    ck_assert_ptr_null(strstr(res.body, "2015-06-10"));
    test_response_free(&res);
    free(wrong);
}
END_TEST

START_TEST(test_idempotent_replay_returns_the_first_answer_and_conflict_is_422)
{
    char *body = ana_claim("21.00");
    struct test_response first, again, other;
    test_api(&server, "POST", "/v1/claims", child, body, "Idempotency-Key: key-replay-1", &first);
    ck_assert_int_eq(first.status, 202);
    test_api(&server, "POST", "/v1/claims", child, body, "Idempotency-Key: key-replay-1", &again);
    ck_assert_int_eq(again.status, 202);
    ck_assert_str_eq(again.body, first.body);
    char h[16];
    ck_assert(test_response_header(&again, "Idempotent-Replayed", h, sizeof h));
    ck_assert_str_eq(h, "true");
    ck_assert(!test_response_header(&first, "Idempotent-Replayed", h, sizeof h));
    char *changed = ana_claim("21.01");
    test_api(&server, "POST", "/v1/claims", child, changed, "Idempotency-Key: key-replay-1",
             &other);
    ck_assert_int_eq(other.status, 422);
    ck_assert_str_eq(test_json_str(other.body, "error.code"), "idempotency_key_reused");
    /* The same key from another client is its own key. */
    struct test_response theirs;
    test_api(&server, "POST", "/v1/claims", subscriber, body, "Idempotency-Key: key-replay-1",
             &theirs);
    ck_assert_int_eq(theirs.status, 202);
    ck_assert_str_ne(test_json_str(theirs.body, "claim_id"), test_json_str(first.body, "claim_id"));
    ck_assert_int_eq(test_status(&server, "POST", "/v1/claims", child, body),
                     202); /* no key: a new claim */
    test_response_free(&first);
    test_response_free(&again);
    test_response_free(&other);
    test_response_free(&theirs);
    free(body);
    free(changed);
    struct test_response bad;
    test_api(&server, "POST", "/v1/claims", child, "{}", "Idempotency-Key: \x01", &bad);
    ck_assert_int_eq(bad.status, 400);
    test_response_free(&bad);
}
END_TEST

struct racer {
    const char *body;
    struct test_response res;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    test_api(&server, "POST", "/v1/claims", child, r->body, "Idempotency-Key: key-race-7", &r->res);
    return NULL;
}

START_TEST(test_concurrent_retries_with_one_key_file_one_claim)
{
    char *body = pharmacy_claim("M1001-02", "Ana", "2015-06-10", "77.70", NULL);
    struct racer racers[8];
    pthread_t threads[8];
    for (int i = 0; i < 8; i++) {
        racers[i].body = body;
        pthread_create(&threads[i], NULL, race, &racers[i]);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(threads[i], NULL);
    int replayed = 0;
    char first[64];
    snprintf(first, sizeof first, "%s", test_json_str(racers[0].res.body, "claim_id"));
    ck_assert_uint_eq(strlen(first), 36);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(racers[i].res.status, 202);
        ck_assert_str_eq(test_json_str(racers[i].res.body, "claim_id"), first);
        char h[16];
        replayed += test_response_header(&racers[i].res, "Idempotent-Replayed", h, sizeof h);
        test_response_free(&racers[i].res);
    }
    ck_assert_int_eq(replayed, 7);
    free(body);
}
END_TEST

START_TEST(test_search_filters_pages_and_keeps_to_the_callers_claims)
{
    /* Five claims for the spouse received on known days (staff-supplied). */
    const char *days[] = {"2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-06"};
    for (int i = 0; i < 5; i++) {
        char extra[128];
        snprintf(extra, sizeof extra, ",\"received_date\":\"%s\"", days[i]);
        char *b = pharmacy_claim("M1001-01", "Maria", "1977-03-02", "3.00", extra);
        submit(staff, b);
        free(b);
    }
    struct test_response res;
    test_api(&server, "GET", "/v1/claims?member_id=M1001-01&limit=2", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_int_eq(test_json_len(res.body, "claims"), 2);
    ck_assert_str_eq(test_json_str(res.body, "claims.0.received_date"), "2026-02-02");
    ck_assert_str_eq(test_json_str(res.body, "claims.1.received_date"), "2026-02-03");
    char next[256];
    snprintf(next, sizeof next, "/v1/claims?member_id=M1001-01&limit=2&cursor=%s",
             test_json_str(res.body, "next_cursor"));
    test_response_free(&res);
    test_api(&server, "GET", next, staff, NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "claims"), 2);
    ck_assert_str_eq(test_json_str(res.body, "claims.0.received_date"), "2026-02-04");
    test_response_free(&res);
    test_api(
        &server, "GET",
        "/v1/"
        "claims?member_id=M1001-01&received_from=2026-02-03&received_to=2026-02-05&type=pharmacy",
        staff, NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "claims"), 3);
    ck_assert_str_eq(test_json_str(res.body, "next_cursor"), "");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/claims?member_id=M1001-01&type=medical", staff, NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "claims"), 0);
    test_response_free(&res);
    /* Received in early February, ten business days long past: overdue. */
    test_api(&server, "GET", "/v1/claims?member_id=M1001-01&overdue=true&status=received", staff,
             NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "claims"), 5);
    test_response_free(&res);
    /* The spouse sees her five; the subscriber sees them as family; another
     * family and a provider who filed none see nothing. */
    test_api(&server, "GET", "/v1/claims?received_from=2026-02-01&received_to=2026-02-28", spouse,
             NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "claims"), 5);
    test_response_free(&res);
    test_api(&server, "GET", "/v1/claims?member_id=M1001-01&received_to=2026-02-28", subscriber,
             NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "claims"), 5);
    test_response_free(&res);
    test_api(&server, "GET", "/v1/claims?member_id=M1001-01", other_family, NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "claims"), 0);
    test_response_free(&res);
    test_api(&server, "GET", "/v1/claims?member_id=M1001-01", provider_b, NULL, NULL, &res);
    ck_assert_int_eq(test_json_len(res.body, "claims"), 0);
    test_response_free(&res);
    test_api(&server, "GET", "/v1/claims?status=lost&limit=501&cursor=x&bogus=1", staff, NULL, NULL,
             &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_int_eq(test_json_len(res.body, "error.fields"), 4);
    test_response_free(&res);
}
END_TEST

START_TEST(test_audit_trail_records_each_read_and_change_for_staff_only)
{
    char *body = ana_claim("8.00");
    char path[128], audit[160];
    const char *id = submit(child, body);
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    snprintf(audit, sizeof audit, "/v1/claims/%s/audit", id);
    ck_assert_int_eq(test_status(&server, "GET", path, subscriber, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", audit, child, NULL), 404);
    struct test_response res;
    test_api(&server, "GET", audit, staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_int_eq(test_json_len(res.body, "entries"), 3);
    ck_assert_str_eq(test_json_str(res.body, "entries.0.action"), "claim.submit");
    ck_assert_str_eq(test_json_str(res.body, "entries.0.role"), "member");
    ck_assert_str_eq(test_json_str(res.body, "entries.1.action"), "claim.read");
    ck_assert_str_eq(test_json_str(res.body, "entries.2.action"), "claim.audit.read");
    ck_assert_str_eq(test_json_str(res.body, "entries.2.role"), "staff");
    ck_assert_str_eq(test_json_str(res.body, "entries.0.from"), "127.0.0.1");
    ck_assert_uint_eq(strlen(test_json_str(res.body, "entries.1.request_id")), 36);
    test_response_free(&res);
    free(body);
}
END_TEST

START_TEST(test_enrollment_records_are_checked_and_admin_only)
{
    struct test_response res;
    test_api(&server, "GET", "/v1/members/M1001-02", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "subscriber_id"), "M1001");
    test_response_free(&res);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/members/M1001-02", child, NULL), 403);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/groups/G100", staff, NULL), 403);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/groups/G100", ADMIN, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/plans/NOPE", ADMIN, NULL), 404);
    char *m = test_read_source("config/sample/members/M1001-03.json");
    ck_assert_int_eq(test_status(&server, "PUT", "/v1/members/M1001-03", staff, m), 403);
    ck_assert_int_eq(test_status(&server, "PUT", "/v1/members/M1001-03", ADMIN, m),
                     200); /* replaced */
    test_api(&server, "PUT", "/v1/members/M9999", ADMIN, m, NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "member_id");
    test_response_free(&res);
    free(m);
    const char *orphan = "{\"member_id\": \"M7001\", \"subscriber_id\": \"M7001\", \"group_id\": "
                         "\"G999\", \"relationship\": \"employee\","
                         " \"first_name\": \"A\", \"last_name\": \"B\", \"birth_date\": "
                         "\"1980-01-01\", \"state\": \"FL\","
                         " \"student\": false, \"lives_with_employee\": true, \"married_on\": "
                         "null, \"has_own_dependent\": false,"
                         " \"handicapped_certified\": false, \"coverage\": [{\"plan_id\": "
                         "\"NOPE\", \"effective\": \"2020-01-01\","
                         " \"termination_event\": null, \"kind\": \"active\"}], \"medicare\": "
                         "null, \"other_coverage\": []}";
    test_api(&server, "PUT", "/v1/members/M7001", ADMIN, orphan, NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "group_id");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"), "is not a known group");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.1.field"), "coverage[0].plan_id");
    test_response_free(&res);
    /* A child named as subscriber would give the child's token a subscriber's
     * rights over the family (issue 16, finding 8). */
    const char *under_child =
        "{\"member_id\": \"M1001-09\", \"subscriber_id\": \"M1001-02\", \"group_id\": \"G100\","
        " \"relationship\": \"child\", \"first_name\": \"A\", \"last_name\": \"B\","
        " \"birth_date\": \"2020-01-01\", \"state\": \"FL\", \"student\": false,"
        " \"lives_with_employee\": true, \"married_on\": null, \"has_own_dependent\": false,"
        " \"handicapped_certified\": false, \"coverage\": [{\"plan_id\": \"PPO-500\","
        " \"effective\": \"2020-01-01\", \"termination_event\": null, \"kind\": \"active\"}],"
        " \"medicare\": null, \"other_coverage\": []}";
    test_api(&server, "PUT", "/v1/members/M1001-09", ADMIN, under_child, NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "subscriber_id");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"),
                     "must name an employee's own record (relationship employee)");
    test_response_free(&res);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/members/M1001-09", ADMIN, NULL), 404);
}
END_TEST

START_TEST(test_tokens_are_admin_only_shown_once_and_revocable)
{
    struct test_response res;
    ck_assert_int_eq(test_status(&server, "POST", "/v1/tokens", staff, "{\"role\":\"admin\"}"),
                     403);
    test_api(&server, "POST", "/v1/tokens", ADMIN, "{\"role\":\"member\",\"member_id\":\"M404\"}",
             NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"), "is not a known member");
    test_response_free(&res);
    test_api(&server, "POST", "/v1/tokens", ADMIN,
             "{\"role\":\"provider\",\"npi\":\"1234567890\",\"x\":1}", NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_int_eq(test_json_len(res.body, "error.fields"), 2);
    test_response_free(&res);
    /* Each problem named with the reader's phrase (docs/validation.md "Token"). */
    static const struct {
        const char *body, *field, *problem;
    } refused[] = {
        {"{\"role\":\"provider\",\"npi\":\"1234567890\",\"x\":1}", "x", "unknown field"},
        {"{}", "role", "is required"},
        {"{\"role\":\"boss\"}", "role", "must be member, provider, staff or admin"},
        {"{\"role\":7}", "role", "must be member, provider, staff or admin"},
        {"{\"role\":\"member\"}", "member_id", "is required for a member token"},
        {"{\"role\":\"member\",\"member_id\":\"M 1\"}", "member_id",
         "must be 1 to 64 characters of A-Z a-z 0-9 . _ -"},
        {"{\"role\":\"provider\"}", "npi", "is required for a provider token"},
        {"{\"role\":\"provider\",\"npi\":\"12345\"}", "npi", "must be 10 digits"},
        {"{\"role\":\"provider\",\"npi\":\"1245319590\"}", "npi", "NPI check digit is wrong"},
        {"{\"role\":\"staff\",\"member_id\":\"M1001\"}", "member_id",
         "is allowed only for a member token"},
        {"{\"role\":\"admin\",\"npi\":\"1245319599\"}", "npi",
         "is allowed only for a provider token"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        test_api(&server, "POST", "/v1/tokens", ADMIN, refused[i].body, NULL, &res);
        ck_assert_msg(res.status == 422, "%s: %ld", refused[i].body, res.status);
        ck_assert_str_eq(test_json_str(res.body, "error.code"), "validation_failed");
        ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), refused[i].field);
        ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"), refused[i].problem);
        test_response_free(&res);
    }
    test_api(&server, "POST", "/v1/tokens", ADMIN, "{\"role\":\"staff\"}", NULL, &res);
    ck_assert_int_eq(res.status, 201);
    char token[80], id[64], path[128];
    snprintf(token, sizeof token, "%s", test_json_str(res.body, "token"));
    snprintf(id, sizeof id, "%s", test_json_str(res.body, "token_id"));
    ck_assert_uint_eq(strlen(token), 68);
    ck_assert(strncmp(token, "clm_", 4) == 0);
    test_response_free(&res);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims?limit=1", token, NULL), 200);
    snprintf(path, sizeof path, "/v1/tokens/%s", id);
    ck_assert_int_eq(test_status(&server, "DELETE", path, staff, NULL), 403);
    ck_assert_int_eq(test_status(&server, "DELETE", path, ADMIN, NULL), 204);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/claims?limit=1", token, NULL), 401);
    ck_assert_int_eq(test_status(&server, "DELETE", path, ADMIN, NULL), 404);
}
END_TEST

START_TEST(test_eligibility_on_a_date_with_plan_kind_cob_and_reason)
{
    struct test_response res;
    test_api(&server, "GET", "/v1/eligibility?member_id=M1001-03&date=2026-06-01", provider_a, NULL,
             NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "covered"), "true");
    ck_assert_str_eq(test_json_str(res.body, "plan_id"), "PPO-500");
    ck_assert_str_eq(test_json_str(res.body, "coverage_kind"), "active");
    ck_assert_str_eq(test_json_str(res.body, "cob.position"), "primary");
    test_response_free(&res);
    /* Diego, a student in a group with the age-30 option, is covered to the
     * end of the year he turns 30 (2033), and not after. */
    test_api(&server, "GET", "/v1/eligibility?member_id=M1001-03&date=2033-12-31", staff, NULL,
             NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "covered"), "true");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/eligibility?member_id=M1001-03&date=2034-01-02", staff, NULL,
             NULL, &res);
    ck_assert_str_eq(test_json_str(res.body, "covered"), "false");
    ck_assert_str_eq(test_json_str(res.body, "reason.carc"), "32");
    ck_assert_str_eq(test_json_str(res.body, "reason.remark"), "N30");
    test_response_free(&res);
    /* Grace's COBRA: 18 months after May 2026, to 30 November 2027. */
    test_api(&server, "GET", "/v1/eligibility?member_id=M2001&date=2027-11-30", staff, NULL, NULL,
             &res);
    ck_assert_str_eq(test_json_str(res.body, "covered"), "true");
    ck_assert_str_eq(test_json_str(res.body, "coverage_kind"), "cobra");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/eligibility?member_id=M2001&date=2027-12-01", staff, NULL, NULL,
             &res);
    ck_assert_str_eq(test_json_str(res.body, "covered"), "false");
    ck_assert_str_eq(test_json_str(res.body, "reason.carc"), "27");
    test_response_free(&res);
    /* Maria's own employer plan pays first. */
    test_api(&server, "GET", "/v1/eligibility?member_id=M1001-01&date=2026-06-01", spouse, NULL,
             NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "cob.position"), "secondary");
    test_response_free(&res);
    ck_assert_int_eq(
        test_status(&server, "GET", "/v1/eligibility?member_id=M2001&date=2026-06-01", child, NULL),
        404);
    ck_assert_int_eq(
        test_status(&server, "GET", "/v1/eligibility?member_id=M1001-02", subscriber, NULL), 200);
    ck_assert_int_eq(test_status(&server, "GET", "/v1/eligibility?member_id=NOBODY", staff, NULL),
                     404);
    test_api(&server, "GET", "/v1/eligibility?date=2026-02-30", staff, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_int_eq(test_json_len(res.body, "error.fields"), 2);
    test_response_free(&res);
}
END_TEST

START_TEST(test_submission_while_redis_is_down_is_503_then_succeeds_once)
{
    char *body = ana_claim("33.33");
    test_redis_stop(&redis);
    struct test_response res;
    test_api(&server, "POST", "/v1/claims", child, body, "Idempotency-Key: outage-1", &res);
    ck_assert_int_eq(res.status, 503);
    char retry[8];
    ck_assert(test_response_header(&res, "Retry-After", retry, sizeof retry));
    test_response_free(&res);
    test_redis_restart(&redis);
    long st = 503;
    char first[64] = "";
    for (int i = 0; i < 100 && st == 503; i++) {
        test_sleep_ms(50);
        test_api(&server, "POST", "/v1/claims", child, body, "Idempotency-Key: outage-1", &res);
        st = res.status;
        if (st == 202)
            snprintf(first, sizeof first, "%s", test_json_str(res.body, "claim_id"));
        test_response_free(&res);
    }
    ck_assert_int_eq(st, 202);
    test_api(&server, "POST", "/v1/claims", child, body, "Idempotency-Key: outage-1", &res);
    ck_assert_str_eq(test_json_str(res.body, "claim_id"), first);
    test_response_free(&res);
    /* Exactly one claim carries this charge. */
    test_api(&server, "GET", "/v1/claims?member_id=M1001-02&limit=500", staff, NULL, NULL, &res);
    int n = test_json_len(res.body, "claims");
    test_response_free(&res);
    int with_charge = 0;
    for (int i = 0; i < n; i++) {
        /* Each listed claim is read back to compare its charge. */
        test_api(&server, "GET", "/v1/claims?member_id=M1001-02&limit=500", staff, NULL, NULL,
                 &res);
        char p[64], path[128];
        snprintf(p, sizeof p, "claims.%d.claim_id", i);
        snprintf(path, sizeof path, "/v1/claims/%s", test_json_str(res.body, p));
        test_response_free(&res);
        test_api(&server, "GET", path, staff, NULL, NULL, &res);
        with_charge += strcmp(test_json_str(res.body, "submitted.charge"), "33.33") == 0;
        test_response_free(&res);
    }
    ck_assert_int_eq(with_charge, 1);
    free(body);
}
END_TEST

START_TEST(test_a_claim_survives_kill_9_of_claimsd_right_after_its_202)
{
    /* The embedded default: claimsd's own redis-server, AOF under the data dir. */
    struct test_claimsd d = {0};
    test_make_temp_dir(d.dir, "durable");
    char data[300], cfg_text[1024], sample[512];
    snprintf(data, sizeof data, "%s/data", d.dir);
    snprintf(sample, sizeof sample, "%s/sample", getenv("CLAIMS_CONFIG_DIR"));
    snprintf(cfg_text, sizeof cfg_text, "{\"seed_dir\": \"%s\", \"data_dir\": \"%s\"}", sample,
             data);
    const char *cfg = test_write_file(d.dir, "durable.json", cfg_text);
    const char *const env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--config", cfg, NULL}, env, NULL), 0);
    char *body = ana_claim("64.00");
    struct test_response res;
    test_api(&d, "POST", "/v1/claims", ADMIN, body, NULL, &res);
    ck_assert_int_eq(res.status, 202);
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", test_json_str(res.body, "claim_id"));
    test_response_free(&res);
    ck_assert_int_eq(test_claimsd_stop(&d, SIGKILL), 128 + SIGKILL);
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--config", cfg, NULL}, env, NULL), 0);
    test_api(&d, "GET", path, ADMIN, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(test_json_str(res.body, "submitted.charge"), "64.00");
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "M1001-02");
    test_response_free(&res);
    ck_assert_int_eq(test_claimsd_stop(&d, SIGTERM), 0);
    test_remove_tree(d.dir);
    free(body);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("intake");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_submission_is_accepted_with_receipt_and_target_dates);
    tcase_add_test(tc, test_claim_read_back_has_the_submission_normalised_and_history);
    tcase_add_test(tc, test_who_may_read_a_claim_and_who_is_told_it_does_not_exist);
    tcase_add_test(tc, test_provider_files_only_under_its_own_npi_and_reads_only_its_claims);
    tcase_add_test(tc, test_member_files_for_self_or_as_subscriber_for_the_family_only);
    tcase_add_test(tc, test_validation_errors_name_every_field_at_once);
    tcase_add_test(tc, test_idempotent_replay_returns_the_first_answer_and_conflict_is_422);
    tcase_add_test(tc, test_concurrent_retries_with_one_key_file_one_claim);
    tcase_add_test(tc, test_search_filters_pages_and_keeps_to_the_callers_claims);
    tcase_add_test(tc, test_audit_trail_records_each_read_and_change_for_staff_only);
    tcase_add_test(tc, test_enrollment_records_are_checked_and_admin_only);
    tcase_add_test(tc, test_tokens_are_admin_only_shown_once_and_revocable);
    tcase_add_test(tc, test_eligibility_on_a_date_with_plan_kind_cob_and_reason);
    suite_add_tcase(s, tc);
    TCase *outage = tcase_create("outage");
    tcase_add_unchecked_fixture(outage, setup, teardown);
    tcase_set_timeout(outage, 60);
    tcase_add_test(outage, test_submission_while_redis_is_down_is_503_then_succeeds_once);
    suite_add_tcase(s, outage);
    TCase *durable = tcase_create("durability");
    tcase_set_timeout(durable, 60);
    tcase_add_test(durable, test_a_claim_survives_kill_9_of_claimsd_right_after_its_202);
    suite_add_tcase(s, durable);
    return s;
}

int main(void)
{
    /* "Today" as the servers under test count it: the default time_zone. */
    date_set_time_zone("America/New_York");
    return test_run_suite(api_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
