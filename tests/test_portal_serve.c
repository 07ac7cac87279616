/*
 * The portal's static files through a real claimsd (intake/portal.c): types,
 * caching and security headers, the redirect, methods, and every way of
 * asking for a file outside the portal folder. Paths that libcurl would
 * normalise ("..") are sent over a raw socket exactly as written.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/harness.h"
#include "intake/portal.h"

static struct test_redis redis;
static struct test_claimsd served; /* portal_dir = <tmp>/site, given relative to the config */
static char tmp[256];

static const char index_html[] = "<!doctype html><title>Test portal</title>"
                                 "<script type=\"module\" src=\"app.js\"></script>\n";
static const char app_js[] = "export const answer = 42;\n";
static const char style_css[] = "body { color: #111; }\n";

static void write_site(void)
{
    char path[512];
    test_make_temp_dir(tmp, "portal");
    snprintf(path, sizeof path, "%s/site", tmp);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/site/sub", tmp);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/site/folder.html", tmp);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/site", tmp);
    test_write_file(path, "index.html", index_html);
    test_write_file(path, "app.js", app_js);
    test_write_file(path, "style.css", style_css);
    test_write_file(path, "notes.bak", "not for the web\n");
    test_write_file(path, ".hidden.html", "hidden\n");
    snprintf(path, sizeof path, "%s/site/sub", tmp);
    test_write_file(path, "page.html", "<!doctype html><title>Sub</title>\n");
    /* Outside the portal folder, next to it. */
    test_write_file(tmp, "secret.html", "SECRET outside the portal\n");
    char link[512];
    snprintf(link, sizeof link, "%s/site/escape.html", tmp);
    ck_assert_int_eq(symlink("../secret.html", link), 0);
    snprintf(link, sizeof link, "%s/site/alias.js", tmp);
    ck_assert_int_eq(symlink("app.js", link), 0);
}

static void setup(void)
{
    test_redis_start(&redis);
    write_site();
    const char *cfg = test_write_file(tmp, "portal.json", "{\"portal_dir\": \"site\"}");
    memset(&served, 0, sizeof served);
    ck_assert_int_eq(
        test_claimsd_start(&served,
                           (const char *const[]){"--redis", redis.url, "--config", cfg, NULL}, NULL,
                           NULL),
        0);
}

static void teardown(void)
{
    test_claimsd_stop_clean(&served);
    test_remove_tree(tmp);
    test_redis_stop(&redis);
    test_remove_tree(redis.dir);
}

static void get(const char *method, const char *path, const char *const headers[],
                struct test_response *res)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", served.base_url, path);
    ck_assert_int_eq(test_http(method, url, headers, NULL, res), 0);
}

static void assert_header(const struct test_response *res, const char *name, const char *want)
{
    char value[1024];
    ck_assert_msg(test_response_header(res, name, value, sizeof value), "no %s header", name);
    ck_assert_str_eq(value, want);
}

/* The router's own 404 (not a portal path, or no portal). */
static void assert_api_not_found(const struct test_response *res)
{
    ck_assert_int_eq(res->status, 404);
    ck_assert_str_eq(res->body,
                     "{\"error\":{\"code\":\"not_found\",\"message\":\"no such resource\"}}");
    assert_header(res, "Content-Type", "application/json; charset=utf-8");
}

/* The portal's 404: the same body, never sniffed. */
static void assert_not_found_json(const struct test_response *res)
{
    assert_api_not_found(res);
    assert_header(res, "X-Content-Type-Options", "nosniff");
}

/* Sends target exactly as written and returns the status code; the whole
 * answer goes into buf. */
static int raw_get(const char *target, char *buf, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)served.port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char request[1024];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", target);
    ck_assert_int_eq(write(fd, request, (size_t)n), n);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < size && (r = read(fd, buf + got, size - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
    int status = 0;
    ck_assert_int_eq(sscanf(buf, "HTTP/1.1 %d", &status), 1);
    return status;
}

START_TEST(test_index_is_served_at_the_portal_root_with_a_strict_policy)
{
    struct test_response res;
    get("GET", "/portal/", NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, index_html);
    assert_header(&res, "Content-Type", "text/html; charset=utf-8");
    assert_header(&res, "Cache-Control", "no-cache");
    assert_header(&res, "X-Content-Type-Options", "nosniff");
    assert_header(&res, "X-Frame-Options", "DENY");
    assert_header(&res, "Referrer-Policy", "no-referrer");
    assert_header(&res, "Content-Security-Policy",
                  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                  "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
                  "base-uri 'none'; form-action 'self'");
    char rid[64];
    ck_assert(test_response_header(&res, "X-Request-Id", rid, sizeof rid));
    test_response_free(&res);
    get("GET", "/portal/index.html", NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, index_html);
    test_response_free(&res);
}
END_TEST

START_TEST(test_bare_portal_path_redirects_to_the_folder)
{
    struct test_response res;
    get("GET", "/portal", NULL, &res);
    ck_assert_int_eq(res.status, 308);
    assert_header(&res, "Location", "/portal/");
    ck_assert_uint_eq(res.body_len, 0);
    test_response_free(&res);
}
END_TEST

START_TEST(test_assets_have_their_types_and_a_short_max_age)
{
    struct test_response res;
    get("GET", "/portal/app.js", NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, app_js);
    assert_header(&res, "Content-Type", "text/javascript; charset=utf-8");
    assert_header(&res, "Cache-Control", "public, max-age=300");
    assert_header(&res, "X-Content-Type-Options", "nosniff");
    test_response_free(&res);
    get("GET", "/portal/style.css", NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, style_css);
    assert_header(&res, "Content-Type", "text/css; charset=utf-8");
    test_response_free(&res);
    get("GET", "/portal/sub/page.html", NULL, &res);
    ck_assert_int_eq(res.status, 200);
    assert_header(&res, "Content-Type", "text/html; charset=utf-8");
    test_response_free(&res);
}
END_TEST

START_TEST(test_head_has_the_headers_and_no_body)
{
    struct test_response res;
    get("HEAD", "/portal/app.js", NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_uint_eq(res.body_len, 0);
    char length[32];
    ck_assert(test_response_header(&res, "Content-Length", length, sizeof length));
    ck_assert_int_eq(atoi(length), (int)strlen(app_js));
    assert_header(&res, "Content-Type", "text/javascript; charset=utf-8");
    test_response_free(&res);
}
END_TEST

START_TEST(test_other_methods_are_405_with_allow)
{
    struct test_response res;
    get("POST", "/portal/index.html", NULL, &res);
    ck_assert_int_eq(res.status, 405);
    assert_header(&res, "Allow", "GET, HEAD");
    assert_header(&res, "Content-Type", "application/json; charset=utf-8");
    test_response_free(&res);
    get("DELETE", "/portal/", NULL, &res);
    ck_assert_int_eq(res.status, 405);
    test_response_free(&res);
}
END_TEST

START_TEST(test_etag_revalidation_answers_304)
{
    struct test_response res;
    get("GET", "/portal/index.html", NULL, &res);
    char etag[128];
    ck_assert(test_response_header(&res, "ETag", etag, sizeof etag));
    ck_assert_int_eq(etag[0], '"');
    test_response_free(&res);
    char header[200];
    snprintf(header, sizeof header, "If-None-Match: %s", etag);
    get("GET", "/portal/index.html", (const char *const[]){header, NULL}, &res);
    ck_assert_int_eq(res.status, 304);
    ck_assert_uint_eq(res.body_len, 0);
    assert_header(&res, "ETag", etag);
    test_response_free(&res);
    get("GET", "/portal/index.html", (const char *const[]){"If-None-Match: \"other\"", NULL}, &res);
    ck_assert_int_eq(res.status, 200);
    test_response_free(&res);
}
END_TEST

START_TEST(test_missing_files_unknown_types_hidden_files_and_folders_are_404_json)
{
    static const char *const paths[] = {
        "/portal/nothing.html", "/portal/notes.bak",   "/portal/.hidden.html", "/portal/sub/",
        "/portal/sub",          "/portal/folder.html", "/portal/app.js/",      "/portal/README",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct test_response res;
        get("GET", paths[i], NULL, &res);
        assert_not_found_json(&res);
        test_response_free(&res);
    }
}
END_TEST

START_TEST(test_traversal_in_any_spelling_is_404)
{
    static const char *const targets[] = {
        "/portal/../secret.html",       "/portal/sub/../../secret.html",
        "/portal/./index.html",         "/portal/%2e%2e/secret.html",
        "/portal/%2E%2E/secret.html",   "/portal/..%2fsecret.html",
        "/portal/%2e%2e%2fsecret.html", "/portal/sub/%2e%2e/index.html",
        "/portal/index.html%00.js",     "/portal/%00",
        "/portal/..\\secret.html",      "/portal//etc/passwd",
        "/portal/sub//page.html",       "/portal/%69ndex.html",
    };
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        char buf[8192];
        int status = raw_get(targets[i], buf, sizeof buf);
        ck_assert_msg(status == 404 || status == 400, "%s answered %d", targets[i], status);
        ck_assert_msg(!strstr(buf, "SECRET"), "%s leaked the file outside", targets[i]);
        ck_assert_msg(!strstr(buf, "Test portal"), "%s was served", targets[i]);
    }
}
END_TEST

START_TEST(test_symlink_out_of_the_folder_is_404_and_inside_is_served)
{
    struct test_response res;
    get("GET", "/portal/escape.html", NULL, &res);
    assert_not_found_json(&res);
    ck_assert(!strstr(res.body, "SECRET"));
    test_response_free(&res);
    get("GET", "/portal/alias.js", NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, app_js);
    test_response_free(&res);
}
END_TEST

START_TEST(test_other_paths_are_left_to_the_api)
{
    struct test_response res;
    get("GET", "/portalx/index.html", NULL, &res);
    assert_api_not_found(&res);
    test_response_free(&res);
    get("GET", "/healthz", NULL, &res);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, "{\"status\":\"ok\"}");
    test_response_free(&res);
    /* The API's own answers are unchanged: no token is 401, not a file. */
    get("GET", "/v1/queue", NULL, &res);
    ck_assert_int_eq(res.status, 401);
    test_response_free(&res);
}
END_TEST

START_TEST(test_without_portal_dir_there_is_no_portal)
{
    struct test_claimsd plain = {0};
    ck_assert_int_eq(
        test_claimsd_start(&plain, (const char *const[]){"--redis", redis.url, NULL}, NULL, NULL),
        0);
    char url[256];
    snprintf(url, sizeof url, "%s/portal/", plain.base_url);
    struct test_response res;
    ck_assert_int_eq(test_http("GET", url, NULL, NULL, &res), 0);
    assert_api_not_found(&res);
    test_response_free(&res);
    snprintf(url, sizeof url, "%s/portal", plain.base_url);
    ck_assert_int_eq(test_http("GET", url, NULL, NULL, &res), 0);
    ck_assert_int_eq(res.status, 404);
    test_response_free(&res);
    ck_assert_int_eq(test_claimsd_stop(&plain, SIGTERM), 0);
    test_remove_tree(plain.dir);
}
END_TEST

START_TEST(test_the_shipped_portal_loads_only_its_own_modules)
{
    /* The repository's portal/ as configured by config/claimsd.json. */
    const char *config_dir = getenv("CLAIMS_CONFIG_DIR");
    ck_assert_ptr_nonnull(config_dir);
    char cfg_text[1200];
    snprintf(cfg_text, sizeof cfg_text, "{\"portal_dir\": \"%s/../portal\"}", config_dir);
    const char *cfg = test_write_file(tmp, "shipped.json", cfg_text);
    struct test_claimsd shipped = {0};
    ck_assert_int_eq(
        test_claimsd_start(&shipped,
                           (const char *const[]){"--redis", redis.url, "--config", cfg, NULL}, NULL,
                           NULL),
        0);
    char url[256];
    snprintf(url, sizeof url, "%s/portal/", shipped.base_url);
    struct test_response res;
    ck_assert_int_eq(test_http("GET", url, NULL, NULL, &res), 0);
    ck_assert_int_eq(res.status, 200);
    ck_assert_ptr_nonnull(strstr(res.body, "<script type=\"module\" src=\"js/app.js\"></script>"));
    ck_assert_ptr_null(strstr(res.body, "<style"));
    ck_assert_ptr_null(strstr(res.body, "style=\""));
    test_response_free(&res);
    snprintf(url, sizeof url, "%s/portal/js/app.js", shipped.base_url);
    ck_assert_int_eq(test_http("GET", url, NULL, NULL, &res), 0);
    ck_assert_int_eq(res.status, 200);
    assert_header(&res, "Content-Type", "text/javascript; charset=utf-8");
    test_response_free(&res);
    snprintf(url, sizeof url, "%s/portal/css/portal.css", shipped.base_url);
    ck_assert_int_eq(test_http("GET", url, NULL, NULL, &res), 0);
    ck_assert_int_eq(res.status, 200);
    assert_header(&res, "Content-Type", "text/css; charset=utf-8");
    test_response_free(&res);
    ck_assert_int_eq(test_claimsd_stop(&shipped, SIGTERM), 0);
    test_remove_tree(shipped.dir);
}
END_TEST

static Suite *portal_suite(void)
{
    Suite *s = suite_create("portal_serve");
    TCase *tc = tcase_create("files");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_index_is_served_at_the_portal_root_with_a_strict_policy);
    tcase_add_test(tc, test_bare_portal_path_redirects_to_the_folder);
    tcase_add_test(tc, test_assets_have_their_types_and_a_short_max_age);
    tcase_add_test(tc, test_head_has_the_headers_and_no_body);
    tcase_add_test(tc, test_other_methods_are_405_with_allow);
    tcase_add_test(tc, test_etag_revalidation_answers_304);
    tcase_add_test(tc, test_missing_files_unknown_types_hidden_files_and_folders_are_404_json);
    tcase_add_test(tc, test_traversal_in_any_spelling_is_404);
    tcase_add_test(tc, test_symlink_out_of_the_folder_is_404_and_inside_is_served);
    tcase_add_test(tc, test_other_paths_are_left_to_the_api);
    tcase_add_test(tc, test_without_portal_dir_there_is_no_portal);
    tcase_add_test(tc, test_the_shipped_portal_loads_only_its_own_modules);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(portal_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
