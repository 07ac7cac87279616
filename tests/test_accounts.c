/*
 * People's accounts end to end (docs/api.md "Accounts and sessions"): a real
 * claimsd on a real socket with a real redis-server. Invitations, accounts
 * made from them, password sign-in to a cookie session, CSRF, GET /v1/me,
 * the failed sign-in lockout, sign-out and idle expiry.
 */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness/harness.h"
#include "intake/http.h"

#define ADMIN "accounts-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define PASSWORD "correct horse battery staple"

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], member_token[80];

static void setup(void)
{
    test_start_redis_and_claimsd(&redis, &server, ADMIN,
                                 (const char *const[]){"--workers", "0", NULL});
    test_put_sample_enrollment(&server, ADMIN, "G100", "M1001 M1001-01 M1001-02 M1001-03 M1001-04");
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}",
                      member_token);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

static bool matches(const char *s, const char *pattern)
{
    regex_t re;
    ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* POST /v1/invitations by token; the code into code (when 201). */
static long invite(const struct test_claimsd *d, const char *token, const char *body,
                   char code[128])
{
    struct test_response res;
    test_api(d, "POST", "/v1/invitations", token, body, NULL, &res);
    long st = res.status;
    if (code)
        snprintf(code, 128, "%s", st == 201 ? test_json_str(res.body, "code") : "");
    test_response_free(&res);
    return st;
}

static void create_account_body(const struct test_claimsd *d, const char *code,
                                const char *username, const char *password,
                                struct test_response *res)
{
    char body[512];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"username\":\"%s\",\"password\":\"%s\"}", code,
             username, password);
    test_api(d, "POST", "/v1/accounts", NULL, body, NULL, res);
}

/* An invitation (as admin) for invitation_body and an account made with it. */
static void make_account(const struct test_claimsd *d, const char *invitation_body,
                         const char *username)
{
    char code[128];
    ck_assert_int_eq(invite(d, ADMIN, invitation_body, code), 201);
    struct test_response res;
    create_account_body(d, code, username, PASSWORD, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    test_response_free(&res);
}

START_TEST(test_invitation_by_admin_has_a_one_time_code)
{
    struct test_response res;
    test_api(&server, "POST", "/v1/invitations", ADMIN,
             "{\"role\":\"member\",\"member_id\":\"M1001\"}", NULL, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    const char *code = test_json_str(res.body, "code");
    ck_assert_msg(matches(code, "^inv_[0-9a-f]{64}$"), "code %s", code);
    ck_assert(matches(test_json_str(res.body, "expires_at"),
                      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"));
    /* Stored only hashed: no key and no value holds the code. */
    redisContext *c = test_redis_connect(&redis);
    redisReply *keys = redisCommand(c, "KEYS *invite:*");
    ck_assert_int_eq(keys->type, REDIS_REPLY_ARRAY);
    ck_assert_uint_eq(keys->elements, 1);
    ck_assert_ptr_null(strstr(keys->element[0]->str, code + 4));
    redisReply *vals = redisCommand(c, "HGETALL %s", keys->element[0]->str);
    for (size_t i = 0; i < vals->elements; i++)
        ck_assert_ptr_null(strstr(vals->element[i]->str, code + 4));
    ck_assert_int_gt(test_redis_int(c, "TTL %s", keys->element[0]->str), 7 * 86400 - 60);
    freeReplyObject(vals);
    freeReplyObject(keys);
    redisFree(c);
    test_response_free(&res);
}
END_TEST

START_TEST(test_staff_invites_members_and_providers_only)
{
    ck_assert_int_eq(invite(&server, staff, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", NULL),
                     201);
    ck_assert_int_eq(
        invite(&server, staff, "{\"role\":\"member\",\"member_id\":\"M1001-01\"}", NULL), 201);
    struct test_response res;
    test_api(&server, "POST", "/v1/invitations", staff, "{\"role\":\"admin\"}", NULL, &res);
    ck_assert_int_eq(res.status, 403);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "forbidden");
    test_response_free(&res);
    ck_assert_int_eq(invite(&server, staff, "{\"role\":\"staff\"}", NULL), 403);
    ck_assert_int_eq(invite(&server, ADMIN, "{\"role\":\"staff\"}", NULL), 201);
    ck_assert_int_eq(
        invite(&server, member_token, "{\"role\":\"member\",\"member_id\":\"M1001\"}", NULL), 403);
    ck_assert_int_eq(invite(&server, NULL, "{\"role\":\"staff\"}", NULL), 401);
}
END_TEST

START_TEST(test_invitation_validation)
{
    struct test_response res;
    test_api(&server, "POST", "/v1/invitations", ADMIN,
             "{\"role\":\"member\",\"member_id\":\"M9999\"}", NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "validation_failed");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "member_id");
    test_response_free(&res);
    test_api(&server, "POST", "/v1/invitations", ADMIN, "{\"role\":\"provider\",\"npi\":\"123\"}",
             NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "npi");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"), "must be 10 digits");
    test_response_free(&res);
    test_api(&server, "POST", "/v1/invitations", ADMIN, "{\"role\":\"king\"}", NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "role");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"),
                     "must be member, provider, staff or admin");
    test_response_free(&res);
    test_api(&server, "POST", "/v1/invitations", ADMIN, "{\"role\":\"member\"}", NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "member_id");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"),
                     "is required for a member invitation");
    test_response_free(&res);
    test_api(&server, "POST", "/v1/invitations", ADMIN,
             "{\"role\":\"staff\",\"npi\":\"1245319599\",\"note\":1}", NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_int_eq(test_json_len(res.body, "error.fields"), 2);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "note");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"), "unknown field");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.1.field"), "npi");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.1.problem"),
                     "is allowed only for a provider invitation");
    test_response_free(&res);
}
END_TEST

START_TEST(test_account_is_created_once_from_an_invitation)
{
    char code[128];
    ck_assert_int_eq(invite(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", code),
                     201);
    struct test_response res;
    create_account_body(&server, code, "Luis.Lopez", PASSWORD, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    ck_assert_str_eq(res.body,
                     "{\"username\":\"luis.lopez\",\"role\":\"member\",\"member_id\":\"M1001\"}");
    test_response_free(&res);
    /* The code was used up. */
    create_account_body(&server, code, "someone-else", PASSWORD, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "validation_failed");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "code");
    test_response_free(&res);
    /* The password is stored as an Argon2id hash only. */
    redisContext *c = test_redis_connect(&redis);
    redisReply *h = redisCommand(c, "HGET claims:account:luis.lopez password_hash");
    ck_assert_int_eq(h->type, REDIS_REPLY_STRING);
    ck_assert_msg(strncmp(h->str, "$argon2id$v=19$", 15) == 0, "%s", h->str);
    freeReplyObject(h);
    redisFree(c);
}
END_TEST

START_TEST(test_account_password_rules)
{
    char code[128];
    ck_assert_int_eq(invite(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", code),
                     201);
    struct test_response res;
    create_account_body(&server, code, "bayclinic", "short-pw", &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "password");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"),
                     "must be at least 12 characters");
    test_response_free(&res);
    /* On the common list, whatever the case. */
    create_account_body(&server, code, "bayclinic", "PassWord1234", &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "password");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"), "is too common");
    test_response_free(&res);
    create_account_body(&server, code, "Qwertyuiop123", "qwertyuiop123", &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"), "is too common");
    test_response_free(&res);
    create_account_body(&server, code, "x", PASSWORD, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "username");
    test_response_free(&res);
    /* None of the refusals used the code. */
    create_account_body(&server, code, "bayclinic", PASSWORD, &res);
    ck_assert_int_eq(res.status, 201);
    ck_assert_str_eq(res.body,
                     "{\"username\":\"bayclinic\",\"role\":\"provider\",\"npi\":\"" NPI_A "\"}");
    test_response_free(&res);
}
END_TEST

START_TEST(test_taken_username_is_409_and_keeps_the_invitation)
{
    make_account(&server, "{\"role\":\"staff\"}", "desk");
    char code[128];
    ck_assert_int_eq(invite(&server, ADMIN, "{\"role\":\"staff\"}", code), 201);
    struct test_response res;
    create_account_body(&server, code, "DESK", PASSWORD, &res);
    ck_assert_int_eq(res.status, 409);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "username_taken");
    test_response_free(&res);
    create_account_body(&server, code, "desk2", PASSWORD, &res);
    ck_assert_int_eq(res.status, 201);
    test_response_free(&res);
    /* An unknown code of the right shape. */
    create_account_body(&server,
                        "inv_0000000000000000000000000000000000000000000000000000000000000000",
                        "desk3", PASSWORD, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "code");
    test_response_free(&res);
    /* A field no body has: the reader's phrase (docs/validation.md). */
    test_api(&server, "POST", "/v1/sessions", NULL,
             "{\"username\":\"desk\",\"password\":\"x\",\"remember\":true}", NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "remember");
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.problem"), "unknown field");
    test_response_free(&res);
}
END_TEST

/* ---- sessions ---- */

struct session {
    char cookie[128]; /* "claimsd_session=..." */
    char csrf[128];
};

static void sign_in_res(const struct test_claimsd *d, const char *username, const char *password,
                        struct test_response *res)
{
    char body[512];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", username, password);
    test_api(d, "POST", "/v1/sessions", NULL, body, NULL, res);
}

static void sign_in(const struct test_claimsd *d, const char *username, struct session *s)
{
    struct test_response res;
    sign_in_res(d, username, PASSWORD, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    char set[256];
    ck_assert(test_response_header(&res, "Set-Cookie", set, sizeof set));
    char *semi = strchr(set, ';');
    ck_assert_ptr_nonnull(semi);
    snprintf(s->cookie, sizeof s->cookie, "%.*s", (int)(semi - set), set);
    snprintf(s->csrf, sizeof s->csrf, "%s", test_json_str(res.body, "csrf_token"));
    test_response_free(&res);
}

/* A request with the session's cookie, its CSRF token when csrf is true, and
 * a JSON body when body is not NULL. */
static void with_cookie(const struct test_claimsd *d, const char *method, const char *path,
                        const struct session *s, bool csrf, const char *body,
                        struct test_response *res)
{
    char url[512], cookie[200], token[200];
    snprintf(url, sizeof url, "%s%s", d->base_url, path);
    snprintf(cookie, sizeof cookie, "Cookie: theme=dark; %s", s->cookie);
    snprintf(token, sizeof token, "X-CSRF-Token: %s", s->csrf);
    const char *headers[4];
    int n = 0;
    headers[n++] = cookie;
    if (csrf)
        headers[n++] = token;
    if (body)
        headers[n++] = "Content-Type: application/json";
    headers[n] = NULL;
    ck_assert_int_eq(test_http(method, url, headers, body, res), 0);
}

static long cookie_status(const struct test_claimsd *d, const char *method, const char *path,
                          const struct session *s, bool csrf, const char *body)
{
    struct test_response res;
    with_cookie(d, method, path, s, csrf, body, &res);
    long st = res.status;
    test_response_free(&res);
    return st;
}

START_TEST(test_sign_in_sets_the_session_cookie)
{
    make_account(&server, "{\"role\":\"member\",\"member_id\":\"M1001\"}", "luis");
    struct test_response res;
    sign_in_res(&server, "Luis", PASSWORD, &res);
    ck_assert_msg(res.status == 201, "%ld %s", res.status, res.body);
    char set[256];
    ck_assert(test_response_header(&res, "Set-Cookie", set, sizeof set));
    ck_assert_msg(
        matches(set, "^claimsd_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/$"),
        "Set-Cookie: %s", set);
    ck_assert(matches(test_json_str(res.body, "csrf_token"), "^[A-Za-z0-9_-]{43}$"));
    ck_assert_str_eq(test_json_str(res.body, "role"), "member");
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "M1001");
    ck_assert_ptr_null(strstr(res.body, "\"npi\""));
    ck_assert(matches(test_json_str(res.body, "expires_at"),
                      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"));
    /* The session is stored under the hash of its id, never the id. */
    char id[64];
    snprintf(id, sizeof id, "%.43s", set + strlen("claimsd_session="));
    redisContext *c = test_redis_connect(&redis);
    redisReply *keys = redisCommand(c, "KEYS *session:*");
    ck_assert_uint_eq(keys->elements, 1);
    ck_assert_ptr_null(strstr(keys->element[0]->str, id));
    ck_assert_int_gt(test_redis_int(c, "PTTL %s", keys->element[0]->str), 800 * 1000);
    ck_assert_int_le(test_redis_int(c, "PTTL %s", keys->element[0]->str), 900 * 1000);
    freeReplyObject(keys);
    redisFree(c);
    test_response_free(&res);
}
END_TEST

START_TEST(test_cookie_requests_need_the_csrf_token_to_change_anything)
{
    make_account(&server, "{\"role\":\"member\",\"member_id\":\"M1001\"}", "luis");
    struct session s;
    sign_in(&server, "luis", &s);
    const char *claim =
        "{\"type\":\"pharmacy\",\"member_id\":\"M1001-02\","
        "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Lopez\",\"birth_date\":\"2015-06-10\"}"
        ","
        "\"pharmacy\":{\"name\":\"Corner Drug #12\",\"npi\":\"" NPI_A "\",\"network\":\"in\"},"
        "\"ndc\":\"0071-0155-23\",\"rx_number\":\"RX-1\",\"fill_date\":\"2026-01-05\","
        "\"drug_name\":\"Lipitor 20 mg "
        "tablet\",\"quantity\":30,\"days_supply\":30,\"charge\":42.17}";
    struct test_response res;
    with_cookie(&server, "POST", "/v1/claims", &s, true, claim, &res);
    ck_assert_msg(res.status == 202, "%ld %s", res.status, res.body);
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", test_json_str(res.body, "claim_id"));
    test_response_free(&res);

    with_cookie(&server, "POST", "/v1/claims", &s, false, claim, &res);
    ck_assert_int_eq(res.status, 403);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "csrf_failed");
    test_response_free(&res);
    struct session wrong = s;
    wrong.csrf[0] = wrong.csrf[0] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(cookie_status(&server, "POST", "/v1/claims", &wrong, true, claim), 403);

    /* Reading needs no CSRF token. */
    ck_assert_int_eq(cookie_status(&server, "GET", path, &s, false, NULL), 200);
    ck_assert_int_eq(cookie_status(&server, "GET", "/v1/me", &s, false, NULL), 200);
    /* A bearer request needs none, even with a cookie beside it: the token decides. */
    char cookie[200];
    snprintf(cookie, sizeof cookie, "Cookie: %s", s.cookie);
    test_api(&server, "POST", "/v1/invitations", ADMIN, "{\"role\":\"staff\"}", cookie, &res);
    ck_assert_int_eq(res.status, 201);
    test_response_free(&res);
    /* An unknown cookie is 401. */
    struct session forged = s;
    snprintf(forged.cookie, sizeof forged.cookie,
             "claimsd_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    with_cookie(&server, "GET", "/v1/me", &forged, false, NULL, &res);
    ck_assert_int_eq(res.status, 401);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "unauthorized");
    test_response_free(&res);
}
END_TEST

START_TEST(test_me_lists_a_subscribers_family)
{
    make_account(&server, "{\"role\":\"member\",\"member_id\":\"M1001\"}", "luis");
    struct session s;
    sign_in(&server, "luis", &s);
    struct test_response res;
    with_cookie(&server, "GET", "/v1/me", &s, false, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(
        res.body,
        "{\"role\":\"member\",\"member_id\":\"M1001\",\"subscriber_id\":\"M1001\","
        "\"family\":["
        "{\"member_id\":\"M1001\",\"first_name\":\"Luis\",\"relationship\":\"employee\"},"
        "{\"member_id\":\"M1001-01\",\"first_name\":\"Maria\",\"relationship\":\"spouse\"},"
        "{\"member_id\":\"M1001-02\",\"first_name\":\"Ana\",\"relationship\":\"child\"},"
        "{\"member_id\":\"M1001-03\",\"first_name\":\"Diego\",\"relationship\":\"child\"},"
        "{\"member_id\":\"M1001-04\",\"first_name\":\"Sofia\",\"relationship\":\"child\"}]}");
    test_response_free(&res);
    /* The same with the bearer token of the same member. */
    test_api(&server, "GET", "/v1/me", member_token, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_int_eq(test_json_len(res.body, "family"), 5);
    test_response_free(&res);
}
END_TEST

START_TEST(test_me_for_a_dependent_and_a_provider)
{
    make_account(&server, "{\"role\":\"member\",\"member_id\":\"M1001-02\"}", "ana");
    make_account(&server, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", "bayclinic");
    struct session s;
    sign_in(&server, "ana", &s);
    struct test_response res;
    with_cookie(&server, "GET", "/v1/me", &s, false, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(
        res.body, "{\"role\":\"member\",\"member_id\":\"M1001-02\",\"subscriber_id\":\"M1001\"}");
    test_response_free(&res);
    sign_in(&server, "bayclinic", &s);
    with_cookie(&server, "GET", "/v1/me", &s, false, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}");
    test_response_free(&res);
    test_api(&server, "GET", "/v1/me", staff, NULL, NULL, &res);
    ck_assert_str_eq(res.body, "{\"role\":\"staff\"}");
    test_response_free(&res);
}
END_TEST

START_TEST(test_wrong_password_and_unknown_user_answer_the_same)
{
    make_account(&server, "{\"role\":\"staff\"}", "desk");
    struct test_response a, b;
    uint64_t t0 = clock_monotonic_ns();
    sign_in_res(&server, "desk", "not the right password", &a);
    uint64_t t1 = clock_monotonic_ns();
    sign_in_res(&server, "nobody-here", "not the right password", &b);
    uint64_t t2 = clock_monotonic_ns();
    /* About the same time: both verify an Argon2id hash of the same cost. */
    ck_assert_msg(t2 - t1 > (t1 - t0) / 3 && t1 - t0 > (t2 - t1) / 3,
                  "wrong %llu ns, unknown %llu ns", (unsigned long long)(t1 - t0),
                  (unsigned long long)(t2 - t1));
    ck_assert_int_eq(a.status, 401);
    ck_assert_int_eq(b.status, 401);
    ck_assert_str_eq(test_json_str(a.body, "error.code"), "invalid_credentials");
    ck_assert_str_eq(a.body, b.body);
    char cookie[64];
    ck_assert(!test_response_header(&a, "Set-Cookie", cookie, sizeof cookie));
    test_response_free(&a);
    test_response_free(&b);
}
END_TEST

START_TEST(test_five_failures_then_429_with_retry_after)
{
    make_account(&server, "{\"role\":\"staff\"}", "desk");
    for (int i = 0; i < 5; i++) {
        struct test_response res;
        sign_in_res(&server, "desk", "not the right password", &res);
        ck_assert_int_eq(res.status, 401);
        test_response_free(&res);
    }
    struct test_response res;
    sign_in_res(&server, "desk", PASSWORD, &res); /* even the right one now */
    ck_assert_int_eq(res.status, 429);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "too_many_attempts");
    char retry[32];
    ck_assert(test_response_header(&res, "Retry-After", retry, sizeof retry));
    ck_assert_int_gt(atoi(retry), 800);
    ck_assert_int_le(atoi(retry), 900);
    test_response_free(&res);
    /* Counted per username: another account signs in. */
    make_account(&server, "{\"role\":\"staff\"}", "desk2");
    struct session s;
    sign_in(&server, "desk2", &s);
}
END_TEST

START_TEST(test_sign_out_ends_the_session)
{
    make_account(&server, "{\"role\":\"staff\"}", "desk");
    struct session s;
    sign_in(&server, "desk", &s);
    ck_assert_int_eq(cookie_status(&server, "DELETE", "/v1/sessions/current", &s, false, NULL),
                     403);
    struct test_response res;
    with_cookie(&server, "DELETE", "/v1/sessions/current", &s, true, NULL, &res);
    ck_assert_int_eq(res.status, 204);
    char set[256];
    ck_assert(test_response_header(&res, "Set-Cookie", set, sizeof set));
    ck_assert_str_eq(set, "claimsd_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    test_response_free(&res);
    ck_assert_int_eq(cookie_status(&server, "GET", "/v1/me", &s, false, NULL), 401);
    /* The audit trail has each step, and no username. */
    redisContext *c = test_redis_connect(&redis);
    redisReply *r = redisCommand(c, "XRANGE claims:{c}audit - +");
    const char *want[] = {"invitation.create", "account.create", "session.create",
                          "session.delete"};
    for (size_t w = 0; w < sizeof want / sizeof *want; w++) {
        bool found = false;
        for (size_t i = 0; i < r->elements; i++) {
            redisReply *fields = r->element[i]->element[1];
            for (size_t k = 0; k + 1 < fields->elements; k++) {
                ck_assert_ptr_null(strstr(fields->element[k + 1]->str, "desk"));
                if (strstr(fields->element[k + 1]->str, want[w]))
                    found = true;
            }
        }
        ck_assert_msg(found, "no audit record %s", want[w]);
    }
    freeReplyObject(r);
    redisFree(c);
}
END_TEST

START_TEST(test_an_idle_session_ends)
{
    char dir[256];
    test_make_temp_dir(dir, "acct-idle");
    const char *cfg =
        test_write_file(dir, "claimsd.json", "{\"sessions\": {\"idle_timeout_seconds\": 2}}");
    struct test_claimsd idle;
    test_claimsd_start_admin(&idle, redis.url, ADMIN,
                             (const char *const[]){"--workers", "0", "--config", cfg, NULL});
    make_account(&idle, "{\"role\":\"staff\"}", "desk");
    struct session s;
    sign_in(&idle, "desk", &s);
    ck_assert_int_eq(cookie_status(&idle, "GET", "/v1/me", &s, false, NULL), 200);
    test_sleep_ms(1200);
    /* Use moves the idle end on. */
    ck_assert_int_eq(cookie_status(&idle, "GET", "/v1/me", &s, false, NULL), 200);
    test_sleep_ms(1200);
    ck_assert_int_eq(cookie_status(&idle, "GET", "/v1/me", &s, false, NULL), 200);
    test_sleep_ms(3000);
    ck_assert_int_eq(cookie_status(&idle, "GET", "/v1/me", &s, false, NULL), 401);
    test_claimsd_stop_clean(&idle);
    test_remove_tree(dir);
}
END_TEST

START_TEST(test_a_session_ends_at_its_lifetime_however_used)
{
    char dir[256];
    test_make_temp_dir(dir, "acct-life");
    const char *cfg = test_write_file(
        dir, "claimsd.json",
        "{\"sessions\": {\"idle_timeout_seconds\": 60, \"max_lifetime_seconds\": 3}}");
    struct test_claimsd d;
    test_claimsd_start_admin(&d, redis.url, ADMIN,
                             (const char *const[]){"--workers", "0", "--config", cfg, NULL});
    make_account(&d, "{\"role\":\"staff\"}", "desk");
    struct session s;
    sign_in(&d, "desk", &s);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(cookie_status(&d, "GET", "/v1/me", &s, false, NULL), 200);
        test_sleep_ms(1000);
    }
    test_sleep_ms(1500);
    ck_assert_int_eq(cookie_status(&d, "GET", "/v1/me", &s, false, NULL), 401);
    test_claimsd_stop_clean(&d);
    test_remove_tree(dir);
}
END_TEST

START_TEST(test_sessions_config_rejects_unknown_keys)
{
    char dir[256];
    test_make_temp_dir(dir, "acct-cfg");
    const char *cfg = test_write_file(dir, "claimsd.json", "{\"sessions\": {\"idle\": 2}}");
    struct test_claimsd d = {0};
    int status = 0;
    ck_assert_int_eq(
        test_claimsd_start(&d, (const char *const[]){"--redis", redis.url, "--config", cfg, NULL},
                           NULL, &status),
        -1);
    char *log = test_claimsd_log(&d);
    ck_assert_msg(strstr(log, "sessions.idle"), "%s", log);
    free(log);
    test_remove_tree(d.dir);
    test_remove_tree(dir);
}
END_TEST

int main(void)
{
    /* These tests read or write Redis keys by their one-shard names ({c}...). */
    test_claimsd_shards = 1;
    Suite *s = suite_create("accounts");
    TCase *tc = tcase_create("accounts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_invitation_by_admin_has_a_one_time_code);
    tcase_add_test(tc, test_staff_invites_members_and_providers_only);
    tcase_add_test(tc, test_invitation_validation);
    tcase_add_test(tc, test_account_is_created_once_from_an_invitation);
    tcase_add_test(tc, test_account_password_rules);
    tcase_add_test(tc, test_taken_username_is_409_and_keeps_the_invitation);
    tcase_add_test(tc, test_sign_in_sets_the_session_cookie);
    tcase_add_test(tc, test_cookie_requests_need_the_csrf_token_to_change_anything);
    tcase_add_test(tc, test_me_lists_a_subscribers_family);
    tcase_add_test(tc, test_me_for_a_dependent_and_a_provider);
    tcase_add_test(tc, test_wrong_password_and_unknown_user_answer_the_same);
    tcase_add_test(tc, test_five_failures_then_429_with_retry_after);
    tcase_add_test(tc, test_sign_out_ends_the_session);
    tcase_add_test(tc, test_an_idle_session_ends);
    tcase_add_test(tc, test_a_session_ends_at_its_lifetime_however_used);
    tcase_add_test(tc, test_sessions_config_rejects_unknown_keys);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK_GETENV) == 0 ? 0 : 1;
}
