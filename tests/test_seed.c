/*
 * What `make run` prints on a new data directory (server/seed.c): an
 * invitation per sample person, which works once with POST /v1/accounts, as
 * a portal link when there is a portal, and API tokens for programs; nothing
 * again on the next start. Through a real claimsd with its own embedded
 * redis-server, as `make run` starts it.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "server/seed.h"

#define ADMIN "seed-test-admin-token-0123456789abcdef"
#define PASSWORD "copper kettle on a windy pier"

/* How often needle occurs in hay. */
static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The 68-character code that follows prefix in the log ("" when absent). */
static void code_after(const char *log, const char *prefix, char code[69])
{
    const char *p = strstr(log, prefix);
    code[0] = '\0';
    if (p)
        snprintf(code, 69, "%.68s", p + strlen(prefix));
}

static const char *start(struct test_claimsd *d, const char *portal, int port)
{
    char cfg_text[2048], sample[512], data[300], listen[64];
    snprintf(sample, sizeof sample, "%s/sample", getenv("CLAIMS_CONFIG_DIR"));
    snprintf(data, sizeof data, "%s/data", d->dir);
    if (portal)
        snprintf(cfg_text, sizeof cfg_text,
                 "{\"seed_dir\": \"%s\", \"data_dir\": \"%s\", \"portal_dir\": \"%s\"}", sample,
                 data, portal);
    else
        snprintf(cfg_text, sizeof cfg_text, "{\"seed_dir\": \"%s\", \"data_dir\": \"%s\"}", sample,
                 data);
    const char *cfg = test_write_file(d->dir, "seed.json", cfg_text);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    const char *const env[] = {"CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=" ADMIN, NULL};
    ck_assert_int_eq(test_claimsd_start(d,
                                        (const char *const[]){"--config", cfg, "--listen", listen,
                                                              "--workers", "0", NULL},
                                        env, NULL),
                     0);
    return cfg;
}

/* The printed link names the listener as a browser reaches it: https when
 * the listener serves TLS, the loopback for a wildcard host, IPv6 in
 * brackets, the path alone while the port is not known. */
START_TEST(test_the_portal_link_follows_the_listener)
{
    char url[400];
    server_seed_portal_url("127.0.0.1", 8080, false, url, sizeof url);
    ck_assert_str_eq(url, "http://127.0.0.1:8080/portal/");
    server_seed_portal_url("0.0.0.0", 8443, true, url, sizeof url);
    ck_assert_str_eq(url, "https://127.0.0.1:8443/portal/");
    server_seed_portal_url("::", 8080, false, url, sizeof url);
    ck_assert_str_eq(url, "http://[::1]:8080/portal/");
    server_seed_portal_url("claims.example.org", 443, true, url, sizeof url);
    ck_assert_str_eq(url, "https://claims.example.org:443/portal/");
    server_seed_portal_url("127.0.0.1", 0, true, url, sizeof url);
    ck_assert_str_eq(url, "/portal/");
}
END_TEST

START_TEST(test_a_new_data_directory_prints_one_use_invitations_and_program_tokens)
{
    struct test_claimsd d = {0};
    test_make_temp_dir(d.dir, "seed");
    start(&d, NULL, test_free_port());
    char *log = test_claimsd_log(&d);
    /* No portal: the codes alone. Staff, the two providers, the 8 members. */
    ck_assert_ptr_nonnull(strstr(log, "POST /v1/accounts {\"code\", \"username\", \"password\"}"));
    ck_assert_int_eq(count(log, " inv_"), 11);
    ck_assert_int_eq(count(log, "\n  staff                inv_"), 1);
    ck_assert_int_eq(count(log, "\n  provider 1245319599  inv_"), 1);
    ck_assert_int_eq(count(log, "\n  provider 1003000126  inv_"), 1);
    ck_assert_int_eq(count(log, "\n  member   M1001       inv_"), 1);
    ck_assert_int_eq(count(log, "\n  member   M4001       inv_"), 1);
    ck_assert_int_eq(count(log, "/portal/"), 0);
    /* Programs keep their tokens: admin, staff, 2 providers, 8 members. */
    ck_assert_int_eq(count(log, " clm_"), 12);
    char code[69];
    code_after(log, "\n  member   M1001       ", code);
    ck_assert_int_eq((int)strlen(code), 68);
    ck_assert_int_eq((int)strspn(code + 4, "0123456789abcdef"), 64);
    free(log);

    /* The printed code makes Luis Lopez's account, once. */
    char body[512];
    snprintf(body, sizeof body, "{\"code\": \"%s\", \"username\": \"luis\", \"password\": \"%s\"}",
             code, PASSWORD);
    struct test_response res;
    test_api(&d, "POST", "/v1/accounts", NULL, body, NULL, &res);
    ck_assert_int_eq(res.status, 201);
    ck_assert_str_eq(test_json_str(res.body, "role"), "member");
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "M1001");
    test_response_free(&res);
    snprintf(body, sizeof body, "{\"code\": \"%s\", \"username\": \"luis2\", \"password\": \"%s\"}",
             code, PASSWORD);
    test_api(&d, "POST", "/v1/accounts", NULL, body, NULL, &res);
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(test_json_str(res.body, "error.fields.0.field"), "code");
    test_response_free(&res);

    /* The staff invitation makes a staff account. */
    log = test_claimsd_log(&d);
    code_after(log, "\n  staff                ", code);
    free(log);
    snprintf(body, sizeof body, "{\"code\": \"%s\", \"username\": \"sam\", \"password\": \"%s\"}",
             code, PASSWORD);
    test_api(&d, "POST", "/v1/accounts", NULL, body, NULL, &res);
    ck_assert_int_eq(res.status, 201);
    ck_assert_str_eq(test_json_str(res.body, "role"), "staff");
    test_response_free(&res);

    /* The next start on the same data directory (a new log) prints nothing. */
    ck_assert_int_eq(test_claimsd_stop(&d, SIGTERM), 0);
    start(&d, NULL, test_free_port());
    log = test_claimsd_log(&d);
    ck_assert_int_eq(count(log, "inv_"), 0);
    ck_assert_int_eq(count(log, "clm_"), 0);
    free(log);
    ck_assert_int_eq(test_claimsd_stop(&d, SIGTERM), 0);
    test_remove_tree(d.dir);
}
END_TEST

START_TEST(test_with_a_portal_each_invitation_is_a_link_to_accept_it)
{
    struct test_claimsd d = {0};
    test_make_temp_dir(d.dir, "seedportal");
    char portal[512], want[128];
    snprintf(portal, sizeof portal, "%s/../portal", getenv("CLAIMS_CONFIG_DIR"));
    int port = test_free_port();
    start(&d, portal, port);
    char *log = test_claimsd_log(&d);
    snprintf(want, sizeof want, "http://127.0.0.1:%d/portal/#/accept?code=inv_", port);
    ck_assert_int_eq(count(log, want), 11);
    snprintf(want, sizeof want,
             "\n  member   M2001       http://127.0.0.1:%d/portal/#/accept?code=", port);
    char code[69];
    code_after(log, want, code);
    free(log);
    char body[512];
    snprintf(body, sizeof body, "{\"code\": \"%s\", \"username\": \"grace\", \"password\": \"%s\"}",
             code, PASSWORD);
    struct test_response res;
    test_api(&d, "POST", "/v1/accounts", NULL, body, NULL, &res);
    ck_assert_int_eq(res.status, 201);
    ck_assert_str_eq(test_json_str(res.body, "member_id"), "M2001");
    test_response_free(&res);
    ck_assert_int_eq(test_claimsd_stop(&d, SIGTERM), 0);
    test_remove_tree(d.dir);
}
END_TEST

static Suite *seed_suite(void)
{
    Suite *s = suite_create("seed");
    TCase *tc = tcase_create("first start");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_the_portal_link_follows_the_listener);
    tcase_add_test(tc, test_a_new_data_directory_prints_one_use_invitations_and_program_tokens);
    tcase_add_test(tc, test_with_a_portal_each_invitation_is_a_link_to_accept_it);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(seed_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
