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

#include "harness/harness.h"

#define ADMIN "accounts-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define PASSWORD "correct horse battery staple"

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], member_token[80];

static void setup(void)
{
    test_redis_start(&redis);
    test_claimsd_start_admin(&server, redis.url, ADMIN,
                             (const char *const[]){"--workers", "0", NULL});
    test_put_sample_record(&server, ADMIN, "plans", "PPO-500");
    test_put_sample_record(&server, ADMIN, "groups", "G100");
    const char *members[] = {"M1001", "M1001-01", "M1001-02", "M1001-03", "M1001-04"};
    for (size_t i = 0; i < sizeof members / sizeof *members; i++)
        test_put_sample_record(&server, ADMIN, "members", members[i]);
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}",
                      member_token);
}

static void teardown(void)
{
    test_claimsd_stop_clean(&server);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
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
    ck_assert_int_eq(keys->elements, 1);
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
    ck_assert_int_eq(invite(&server, staff, "{\"role\":\"member\",\"member_id\":\"M1001-01\"}",
                            NULL),
                     201);
    struct test_response res;
    test_api(&server, "POST", "/v1/invitations", staff, "{\"role\":\"admin\"}", NULL, &res);
    ck_assert_int_eq(res.status, 403);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "forbidden");
    test_response_free(&res);
    ck_assert_int_eq(invite(&server, staff, "{\"role\":\"staff\"}", NULL), 403);
    ck_assert_int_eq(invite(&server, ADMIN, "{\"role\":\"staff\"}", NULL), 201);
    ck_assert_int_eq(invite(&server, member_token, "{\"role\":\"member\",\"member_id\":\"M1001\"}",
                            NULL),
                     403);
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
    test_response_free(&res);
    test_api(&server, "POST", "/v1/invitations", ADMIN, "{\"role\":\"king\"}", NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "role");
    test_response_free(&res);
    test_api(&server, "POST", "/v1/invitations", ADMIN, "{\"role\":\"member\"}", NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "member_id");
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
    ck_assert_str_eq(res.body, "{\"username\":\"luis.lopez\",\"role\":\"member\",\"member_id\":\"M1001\"}");
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
    ck_assert_str_eq(res.body, "{\"username\":\"bayclinic\",\"role\":\"provider\",\"npi\":\"" NPI_A "\"}");
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
}
END_TEST

/*@SESSIONS@*/

int main(void)
{
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
    /*@SESSION_TESTS@*/
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK_GETENV) == 0 ? 0 : 1;
}
