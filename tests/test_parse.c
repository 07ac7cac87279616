/* Unit tests for the intake edge: strict JSON, field errors, claim and
 * enrollment parsing, canonical JSON round trips (docs/validation.md). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "harness/harness.h"
#include "codec/codes.h"
#include "codec/field_errors.h"
#include "codec/json_edge.h"
#include "codec/parse_claim.h"
#include "codec/parse_enrollment.h"
#include "strbuf.h"

/* ---- helpers ---- */

static struct codec_field_errors E;
static struct claim C;

/* Short names for the tables of cases (tests/harness/shared.c). */
#define D(text) test_date(text)
#define F(d) test_date_text(d)

#define TODAY "2026-03-02"

/* Fixtures live in tests/fixtures; the tests run from the repository root
 * (make check), or CLAIMS_TEST_FIXTURES names the folder. */
static char *read_fixture(const char *name, size_t *len)
{
    const char *dir = getenv("CLAIMS_TEST_FIXTURES");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static struct json_object *fixture_object(const char *name)
{
    size_t len;
    char *text = read_fixture(name, &len);
    struct json_object *obj;
    codec_field_errors_init(&E);
    enum codec_status st = codec_json_parse(text, len, &obj, &E, NULL);
    free(text);
    ck_assert_int_eq(st, CODEC_OK);
    ck_assert_int_eq(E.count, 0);
    return obj;
}

/* Sets (or, with value NULL, deletes) the value at a path like
 * "lines[0].charge" in root; value is JSON text ("null" sets JSON null). */
static void set_at(struct json_object *root, const char *path, const char *value)
{
    struct json_object *cur = root;
    const char *p = path;
    for (;;) {
        char key[128];
        long index = -1;
        if (*p == '[') {
            index = strtol(p + 1, (char **)&p, 10);
            ck_assert(*p == ']');
            p++;
        } else {
            size_t n = strcspn(p, ".[");
            ck_assert(n < sizeof key);
            memcpy(key, p, n);
            key[n] = '\0';
            p += n;
        }
        if (*p == '.')
            p++;
        if (*p == '\0') {
            struct json_object *v = value ? json_tokener_parse(value) : NULL;
            ck_assert_msg(!value || v || strcmp(value, "null") == 0, "bad test value %s", value);
            if (index >= 0) {
                if (value)
                    json_object_array_put_idx(cur, (size_t)index, v);
                else
                    json_object_array_del_idx(cur, (size_t)index, 1);
            } else if (value) {
                json_object_object_add(cur, key, v);
            } else {
                json_object_object_del(cur, key);
            }
            return;
        }
        struct json_object *next = NULL;
        if (index >= 0)
            next = json_object_array_get_idx(cur, (size_t)index);
        else
            json_object_object_get_ex(cur, key, &next);
        ck_assert_msg(next != NULL, "no %s in the fixture", path);
        cur = next;
    }
}

/* Parses a fixture claim after edits: pairs of (path, JSON text or NULL to
 * delete), ended by NULL. Returns codec_parse_claim's answer. */
static bool claim_edited(const char *fixture, bool staff, ...)
{
    struct json_object *obj = fixture_object(fixture);
    va_list ap;
    va_start(ap, staff);
    for (const char *path; (path = va_arg(ap, const char *));) {
        const char *value = va_arg(ap, const char *);
        set_at(obj, path, value);
    }
    va_end(ap);
    struct codec_claim_options opt = {.may_set_received_date = staff, .today = D(TODAY)};
    codec_field_errors_init(&E);
    bool ok = codec_parse_claim(obj, &opt, &C, &E);
    json_object_put(obj);
    return ok;
}

static char *dump_errors(void)
{
    static char buf[8192];
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < E.count && n < sizeof buf - 300; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " {%s: %s}", E.items[i].field,
                              E.items[i].problem);
    return buf;
}

/* Exactly one problem, this one. */
#define assert_only_problem(field_, problem_)                                                      \
    do {                                                                                           \
        ck_assert_msg(E.count == 1 && strcmp(E.items[0].field, field_) == 0 &&                     \
                          strcmp(E.items[0].problem, problem_) == 0,                               \
                      "want {%s: %s}, got%s", field_, problem_, dump_errors());                    \
    } while (0)

#define assert_has_problem(field_, problem_)                                                       \
    ck_assert_msg(codec_field_errors_find(&E, field_, problem_) >= 0, "want {%s: %s}, got%s",      \
                  field_, problem_, dump_errors())

static enum codec_status edge(const char *text, size_t len, const char **reason)
{
    struct json_object *obj = NULL;
    codec_field_errors_init(&E);
    enum codec_status st = codec_json_parse(text, len, &obj, &E, reason);
    if (st == CODEC_OK)
        ck_assert_ptr_nonnull(obj);
    else
        ck_assert_ptr_null(obj);
    json_object_put(obj);
    return st;
}

#define EDGE(lit, reason) edge(lit, sizeof lit - 1, reason)

/* ---- the JSON edge ---- */

START_TEST(test_bytes_that_are_not_json_are_refused_as_not_json)
{
    static const struct {
        const char *text;
        size_t len;
        const char *reason;
    } cases[] = {
#define C_(lit, why) {lit, sizeof lit - 1, why}
        C_("", "the body is empty"),
        C_(" \n\t", "the body is empty"),
        C_("{", "the body is not valid JSON"),
        C_("{'a':1}", "the body is not valid JSON"),
        C_("{\"a\":NaN}", "the body is not valid JSON"),
        C_("{\"a\":Infinity}", "the body is not valid JSON"),
        C_("{\"a\":1.}", "the body is not valid JSON"),
        C_("{\"a\":.5}", "the body is not valid JSON"),
        C_("{\"a\":01}", "the body is not valid JSON"),
        C_("{\"a\":+1}", "the body is not valid JSON"),
        C_("{\"a\":1,}", "the body is not valid JSON"),
        C_("{\"a\" 1}", "the body is not valid JSON"),
        C_("{\"a\":tru}", "the body is not valid JSON"),
        C_("{\"a\":\"x\ty\"}", "the body is not valid JSON"),    /* raw control character */
        C_("{\"a\":\"\\x\"}", "the body is not valid JSON"),     /* bad escape */
        C_("{\"a\":\"\\u12G4\"}", "the body is not valid JSON"), /* bad hex */
        C_("/* c */{}", "the body is not valid JSON"),
        C_("{} x", "the body has content after the JSON value"),
        C_("{}{}", "the body has content after the JSON value"),
        C_("{\"a\":1}\n]", "the body has content after the JSON value"),
        C_("{\"a\":\"\xff\"}", "the body is not valid UTF-8"),
        C_("{\"a\":\"\xc0\xaf\"}", "the body is not valid UTF-8"),         /* overlong '/' */
        C_("{\"a\":\"\xed\xa0\x80\"}", "the body is not valid UTF-8"),     /* surrogate */
        C_("{\"a\":\"\xf4\x90\x80\x80\"}", "the body is not valid UTF-8"), /* > U+10FFFF */
        C_("{\"a\":\"\xe2\x82\"}", "the body is not valid UTF-8"),         /* cut short */
        C_("{\"a\":\"\\ud800\"}", "the body is not valid UTF-8"),          /* lone high */
        C_("{\"a\":\"\\udc00\"}", "the body is not valid UTF-8"),          /* lone low */
        C_("{\"a\":1}\0", "the body contains a NUL byte"),
        C_("{\"a\":\"x\0y\"}", "the body contains a NUL byte"),
#undef C_
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *reason = NULL;
        enum codec_status st = edge(cases[i].text, cases[i].len, &reason);
        ck_assert_msg(st == CODEC_NOT_JSON, "case %zu: status %d", i, st);
        ck_assert_str_eq(reason, cases[i].reason);
        ck_assert_int_eq(codec_status_http(st), 400);
    }
}
END_TEST

START_TEST(test_json_that_is_not_an_object_is_refused_as_invalid)
{
    const char *bodies[] = {"[1]", "\"x\"", "1", "null", "true", " [ {\"a\": 1} ] "};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        const char *reason = NULL;
        enum codec_status st = edge(bodies[i], strlen(bodies[i]), &reason);
        ck_assert_int_eq(st, CODEC_INVALID);
        ck_assert_str_eq(reason, "the body must be a JSON object");
        ck_assert_int_eq(codec_status_http(st), 422);
    }
}
END_TEST

/* depth containers: {"a":[[...[1]...]]} */
static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 16);
    ck_assert_ptr_nonnull(s);
    size_t n = 0;
    n += (size_t)sprintf(s, "{\"a\":");
    for (int i = 1; i < depth; i++)
        s[n++] = '[';
    s[n++] = '1';
    for (int i = 1; i < depth; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

START_TEST(test_nesting_deeper_than_32_is_refused)
{
    const char *reason = NULL;
    char *ok = nested(32), *deep = nested(33), *very_deep = nested(100000);
    ck_assert_int_eq(edge(ok, strlen(ok), &reason), CODEC_OK);
    ck_assert_int_eq(edge(deep, strlen(deep), &reason), CODEC_INVALID);
    ck_assert_str_eq(reason, "the body nests deeper than 32 levels");
    ck_assert_int_eq(edge(very_deep, strlen(very_deep), &reason), CODEC_INVALID);
    free(ok);
    free(deep);
    free(very_deep);
}
END_TEST

START_TEST(test_duplicate_keys_are_reported_at_their_paths)
{
    const char *reason = NULL;
    ck_assert_int_eq(
        EDGE("{\"a\":1,\"b\":{\"c\":1,\"c\":2,\"c\":3},\"l\":[{\"x\":1,\"\\u0078\":2}],"
             "\"a\":3}",
             &reason),
        CODEC_OK);
    ck_assert_int_eq(E.count, 3);
    assert_has_problem("b.c", "is duplicated"); /* three times, reported once */
    assert_has_problem("l[0].x", "is duplicated");
    assert_has_problem("a", "is duplicated");
    /* Duplicates in bytes that are not JSON are not reported. */
    ck_assert_int_eq(EDGE("{\"a\":1,\"a\":2", &reason), CODEC_NOT_JSON);
    ck_assert_int_eq(E.count, 0);
}
END_TEST

/* Issue 16, finding 9: json-c cuts a key at a NUL, so "lines\u0000x" would
 * reach the validators as "lines" and the error list would name that piece.
 * The edge refuses the body instead, naming the object that holds the key
 * and no part of the key; duplicates found before are dropped. */
START_TEST(test_a_key_holding_u0000_is_refused_naming_its_object)
{
    const char *reason = NULL;
    ck_assert_int_eq(EDGE("{\"type\\u0000x\":1}", &reason), CODEC_NOT_JSON);
    ck_assert_str_eq(reason, "an object key contains U+0000");
    assert_only_problem("", "has a key that contains U+0000");
    ck_assert_int_eq(
        EDGE("{\"a\":1,\"a\":2,\"lines\":[{},{\"charge\":1,\"memo\\u0000secret\":2}]}", &reason),
        CODEC_NOT_JSON);
    assert_only_problem("lines[1]", "has a key that contains U+0000");
    /* A NUL in a value is a string like any other (json-c keeps its length). */
    ck_assert_int_eq(EDGE("{\"a\":\"x\\u0000y\"}", &reason), CODEC_OK);
    ck_assert_int_eq(E.count, 0);

    /* The whole answer, through the claim parser as POST /v1/claims has it. */
    const char *body = "{\"type\":\"medical\",\"patient\":{\"first_\\u0000name\":\"Ana\"}}";
    struct codec_claim_options opt = {.today = D(TODAY)};
    ck_assert_int_eq(codec_claim_from_body(body, strlen(body), &opt, &C, &E, &reason),
                     CODEC_NOT_JSON);
    ck_assert_int_eq(codec_status_http(CODEC_NOT_JSON), 400);
    struct json_object *err = codec_error_render(CODEC_CODE_INVALID_JSON, reason, &E);
    ck_assert_str_eq(json_object_to_json_string_ext(err, JSON_C_TO_STRING_PLAIN),
                     "{\"error\":{\"code\":\"invalid_json\",\"message\":\"an object key "
                     "contains U+0000\",\"fields\":[{\"field\":\"patient\",\"problem\":\"has a "
                     "key that contains U+0000\"}]}}");
    json_object_put(err);
}
END_TEST

START_TEST(test_valid_json_with_whitespace_and_unicode_is_accepted)
{
    const char *reason = NULL;
    ck_assert_int_eq(EDGE("\r\n {\"a\" : \"\xc3\xa9\xf0\x9f\x98\x80\\ud83d\\ude00\\u00e9\\n\","
                          " \"b\": [ ], \"c\": { }, \"d\": -0.5e-3, \"e\": null } \n",
                          &reason),
                     CODEC_OK);
    ck_assert_ptr_null(reason);
    ck_assert_int_eq(E.count, 0);
}
END_TEST

/* How json-c 0.16 keeps a number's text, which the money rules rely on. */
START_TEST(test_json_c_keeps_the_text_of_a_parsed_double)
{
    struct json_object *o = json_tokener_parse("{\"d\":150.00,\"e\":1E2,\"i\":150,\"z\":-0,"
                                               "\"big\":99999999999999999999}");
    struct json_object *v;
    json_object_object_get_ex(o, "d", &v);
    ck_assert(json_object_is_type(v, json_type_double));
    ck_assert_str_eq(json_object_get_string(v), "150.00");
    json_object_object_get_ex(o, "e", &v);
    ck_assert_str_eq(json_object_get_string(v), "1E2");
    json_object_object_get_ex(o, "i", &v);
    ck_assert(json_object_is_type(v, json_type_int));
    ck_assert_str_eq(json_object_get_string(v), "150");
    json_object_object_get_ex(o, "z", &v);
    ck_assert_str_eq(json_object_get_string(v), "0"); /* an integer's text is reprinted */
    json_object_object_get_ex(o, "big", &v);
    ck_assert_str_eq(json_object_get_string(v), "18446744073709551615"); /* saturated */
    json_object_put(o);
}
END_TEST

/* ---- field errors ---- */

START_TEST(test_error_body_renders_code_message_and_fields)
{
    codec_field_errors_init(&E);
    codec_field_errors_add(&E, "lines[0].charge", "must be a number");
    codec_field_errors_add(&E, "patient.birth_date", "must be a date YYYY-MM-DD");
    struct json_object *body = codec_error_render(CODEC_CODE_VALIDATION_FAILED,
                                                  "the claim has problems listed in fields", &E);
    ck_assert_str_eq(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
                     "{\"error\":{\"code\":\"validation_failed\",\"message\":\"the claim has "
                     "problems listed in fields\",\"fields\":[{\"field\":\"lines[0].charge\","
                     "\"problem\":\"must be a number\"},{\"field\":\"patient.birth_date\","
                     "\"problem\":\"must be a date YYYY-MM-DD\"}]}}");
    json_object_put(body);
    body = codec_error_render(CODEC_CODE_INVALID_JSON, "the body is not valid JSON", NULL);
    ck_assert_str_eq(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
                     "{\"error\":{\"code\":\"invalid_json\",\"message\":\"the body is not valid "
                     "JSON\"}}");
    json_object_put(body);
}
END_TEST

START_TEST(test_error_list_is_bounded_with_a_truncation_marker)
{
    codec_field_errors_init(&E);
    for (int i = 0; i < 130; i++)
        codec_field_errors_add(&E, "x", "is required");
    ck_assert_int_eq(E.count, CODEC_FIELD_ERRORS_MAX);
    ck_assert_int_eq(E.dropped, 30);
    struct json_object *body = codec_error_render("validation_failed", "m", &E);
    struct json_object *err, *fields;
    json_object_object_get_ex(body, "error", &err);
    json_object_object_get_ex(err, "fields", &fields);
    ck_assert_uint_eq(json_object_array_length(fields), 101);
    struct json_object *last = json_object_array_get_idx(fields, 100), *v;
    json_object_object_get_ex(last, "field", &v);
    ck_assert_str_eq(json_object_get_string(v), "");
    json_object_object_get_ex(last, "problem", &v);
    ck_assert_str_eq(json_object_get_string(v), CODEC_FIELD_ERRORS_TRUNCATED_PROBLEM);
    json_object_put(body);
}
END_TEST

START_TEST(test_paths_quote_code_keys_and_hide_other_names)
{
    struct codec_path p;
    codec_path_init(&p);
    codec_path_push_key(&p, "formulary", 9);
    size_t m = codec_path_push_key(&p, "0071-0155-23", 12);
    codec_path_push_key(&p, "tier", 4);
    ck_assert_str_eq(p.text, "formulary[\"0071-0155-23\"].tier");
    codec_path_pop(&p, m);
    codec_path_push_key(&p, "Ana Lopez", 9);
    ck_assert_str_eq(p.text, "formulary[?]");
    codec_path_init(&p);
    codec_path_push_key(&p, "lines", 5);
    codec_path_push_index(&p, 12);
    codec_path_push_key(&p, "charge", 6);
    ck_assert_str_eq(p.text, "lines[12].charge");
    codec_path_init(&p);
    for (int i = 0; i < 100; i++)
        codec_path_push_key(&p, "abcdefghij", 10);
    ck_assert_uint_eq(strlen(p.text), CODEC_PATH_MAX - 1);
    ck_assert_str_eq(p.text + CODEC_PATH_MAX - 4, "...");
}
END_TEST

/* ---- codes ---- */

START_TEST(test_ndc_normalisation_table)
{
    static const struct {
        const char *in, *out;
    } ok[] = {
        {"0071-0155-23", "00071015523"},  /* 4-4-2: pad the labeler */
        {"12345-678-90", "12345067890"},  /* 5-3-2: pad the product */
        {"12345-6789-0", "12345678900"},  /* 5-4-1: pad the package */
        {"12345-6789-01", "12345678901"}, /* 5-4-2 with hyphens */
        {"12345678901", "12345678901"},   /* 11 digits */
        {"00093505698", "00093505698"},
    };
    char out[NDC_LEN];
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        ck_assert_msg(codec_ndc_normalize(ok[i].in, strlen(ok[i].in), out), "refused %s", ok[i].in);
        ck_assert_str_eq(out, ok[i].out);
    }
    const char *bad[] = {"",
                         "1234567890",
                         "123456789012",
                         "1234-567-89",
                         "123-4567-89",
                         "12345-67890-1",
                         "12345--6789",
                         "12345-6789-",
                         "-12345-6789",
                         "1234a-6789-01",
                         "12345 6789 01",
                         "12345-6789-012",
                         "1234-5678-901",
                         "12345-6789-01-2",
                         "123456-789-01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!codec_ndc_normalize(bad[i], strlen(bad[i]), out), "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_npi_check_digit)
{
    const char *ok[] = {"1234567893", "1245319599", "1003000126", "1456789019", "1987654328"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        ck_assert_msg(codec_npi_valid(ok[i], 10), "refused %s", ok[i]);
    const char *bad[] = {"1234567890",  "1234567894", "1245319590", "123456789",
                         "12345678930", "123456789a", "          "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!codec_npi_valid(bad[i], strlen(bad[i])), "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_icd10_shapes_and_normalisation)
{
    static const struct {
        const char *in, *out;
    } ok[] = {{"E11.9", "E11.9"},       {"E119", "E11.9"},       {"e11.9", "E11.9"},
              {"J06.9", "J06.9"},       {"R05.1", "R05.1"},      {"Z00", "Z00"},
              {"S72.001A", "S72.001A"}, {"S72001A", "S72.001A"}, {"U07.1", "U07.1"},
              {"C4A.0", "C4A.0"},       {"m1a.0110", "M1A.0110"}};
    char out[ICD_LEN];
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        ck_assert_msg(codec_icd10_normalize(ok[i].in, strlen(ok[i].in), out), "refused %s",
                      ok[i].in);
        ck_assert_str_eq(out, ok[i].out);
    }
    const char *bad[] = {"",       "E1",    "1E1.9", "EE1.9",  "E11.",  "E11.12345", "E1112345",
                         "E11..9", "E1.19", "E11-9", "E11.9 ", ".E119", "E1!"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!codec_icd10_normalize(bad[i], strlen(bad[i]), out), "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_procedure_code_and_modifier_shapes)
{
    static const struct {
        const char *in, *out;
    } ok[] = {{"99213", "99213"}, {"0001F", "0001F"}, {"0042T", "0042T"},
              {"0001u", "0001U"}, {"J1885", "J1885"}, {"g0008", "G0008"}};
    char out[PROC_LEN];
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        ck_assert_msg(codec_procedure_normalize(ok[i].in, strlen(ok[i].in), out), "refused %s",
                      ok[i].in);
        ck_assert_str_eq(out, ok[i].out);
    }
    const char *bad[] = {"",     "9921",   "992133", "0001A", "ABCDE",
                         "J188", "J18850", "1234-",  "J 885"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!codec_procedure_normalize(bad[i], strlen(bad[i]), out), "accepted %s",
                      bad[i]);
    char mod[MODIFIER_LEN];
    ck_assert(codec_modifier_normalize("lt", 2, mod));
    ck_assert_str_eq(mod, "LT");
    ck_assert(codec_modifier_normalize("25", 2, mod));
    ck_assert(!codec_modifier_normalize("2", 1, mod));
    ck_assert(!codec_modifier_normalize("252", 3, mod));
    ck_assert(!codec_modifier_normalize("2-", 2, mod));
    ck_assert(codec_state_valid("FL", 2));
    ck_assert(codec_state_valid("PR", 2));
    ck_assert(codec_state_valid("VI", 2));
    ck_assert(!codec_state_valid("fl", 2));
    ck_assert(!codec_state_valid("XX", 2));
    ck_assert(!codec_state_valid("F", 1));
}
END_TEST

/* ---- claims ---- */

START_TEST(test_medical_fixture_parses_with_normalised_codes)
{
    ck_assert_msg(claim_edited("claim_medical.json", false, NULL), "%s", dump_errors());
    ck_assert_int_eq(C.type, CLAIM_MEDICAL);
    ck_assert_str_eq(C.member_id, "M1001-02");
    ck_assert_str_eq(C.patient.first_name, "Ana");
    ck_assert_str_eq(F(C.patient.birth_date), "2001-05-10");
    ck_assert(!C.has_received_date);
    ck_assert(C.assignment_of_benefits);
    ck_assert_str_eq(C.provider.npi, "1234567893");
    ck_assert_str_eq(C.provider.name, "Bayview Family Medicine");
    ck_assert_int_eq(C.provider.network, NETWORK_OUT);
    ck_assert(!C.provider.facility);
    ck_assert(C.itemized_bill);
    ck_assert(!C.inpatient);
    ck_assert_int_eq(C.n_diagnosis_codes, 2);
    ck_assert_str_eq(C.diagnosis_codes[0], "J06.9");
    ck_assert_str_eq(C.diagnosis_codes[1], "R05.1");
    ck_assert_int_eq(C.n_lines, 3);
    ck_assert_str_eq(F(C.lines[0].service_date), "2026-02-20");
    ck_assert_str_eq(C.lines[0].procedure_code, "99213");
    ck_assert_int_eq(C.lines[0].n_modifiers, 1);
    ck_assert_str_eq(C.lines[0].modifiers[0], "25");
    ck_assert_int_eq(C.lines[0].units, 1);
    ck_assert_int_eq(C.lines[0].charge, 15000);
    ck_assert_int_eq(C.lines[1].n_modifiers, 0);
    ck_assert_int_eq(C.lines[1].charge, 3550);
    ck_assert_str_eq(C.lines[2].procedure_code, "J1885");
    ck_assert_int_eq(C.lines[2].units, 2);
    ck_assert_int_eq(C.lines[2].charge, 1200);
    ck_assert_int_eq(C.n_attachments, 1);
    ck_assert_int_eq(C.attachments[0].kind, ATTACH_ITEMIZED_BILL);
    ck_assert_str_eq(C.attachments[0].reference, "doc-7781");
    ck_assert(!C.other_insurance.present);
}
END_TEST

START_TEST(test_pharmacy_fixture_parses_with_normalised_ndc_and_trimmed_names)
{
    ck_assert_msg(claim_edited("claim_pharmacy.json", false, NULL), "%s", dump_errors());
    ck_assert_int_eq(C.type, CLAIM_PHARMACY);
    ck_assert_str_eq(C.patient.first_name, "Luis");
    ck_assert_str_eq(C.pharmacy.name, "Corner Drug #12");
    ck_assert(C.pharmacy.has_npi);
    ck_assert_str_eq(C.pharmacy.npi, "1245319599");
    ck_assert_int_eq(C.pharmacy.network, NETWORK_IN);
    ck_assert(C.prescriber.present);
    ck_assert_str_eq(C.prescriber.name, "Dr. Maya Chen");
    ck_assert_str_eq(C.prescriber.npi, "1003000126");
    ck_assert_str_eq(C.ndc, "00071015523");
    ck_assert(C.has_rx_number);
    ck_assert_str_eq(C.rx_number, "RX-448812");
    ck_assert_str_eq(F(C.fill_date), "2026-02-27");
    ck_assert_str_eq(C.drug_name, "Lipitor 20 mg tablet");
    ck_assert_int_eq(C.quantity_milli, 30000);
    ck_assert_int_eq(C.days_supply, 30);
    ck_assert_int_eq(C.charge, 4217);
    ck_assert(C.other_insurance.present);
    ck_assert_str_eq(C.other_insurance.payer_name, "Blue Shore Health");
    ck_assert_int_eq(C.other_insurance.paid, 2000);
    ck_assert_int_eq(C.other_insurance.allowed, 3850);
    ck_assert_int_eq(C.other_insurance.patient_responsibility, 1850);
    ck_assert_str_eq(F(C.other_insurance.eob_date), "2026-03-01");
    ck_assert_int_eq(C.n_attachments, 0);
}
END_TEST

/* One edit, one problem: every validation class with its exact path and text. */
static const struct one_problem {
    const char *fixture, *path, *value, *field, *problem;
} one_problem_cases[] = {
#define MED "claim_medical.json"
#define RX "claim_pharmacy.json"
    /* required, and null counts as missing */
    {MED, "member_id", NULL, "member_id", "is required"},
    {MED, "patient.first_name", "null", "patient.first_name", "is required"},
    {MED, "patient", NULL, "patient", "is required"},
    {MED, "provider.npi", NULL, "provider.npi", "is required"},
    {MED, "lines[1].charge", NULL, "lines[1].charge", "is required"},
    {MED, "lines[1].units", NULL, "lines[1].units", "is required"},
    {MED, "diagnosis_codes", "null", "diagnosis_codes", "is required"},
    {RX, "ndc", NULL, "ndc", "is required"},
    {RX, "pharmacy.network", NULL, "pharmacy.network", "is required"},
    {RX, "prescriber.name", NULL, "prescriber.name", "is required"},
    {RX, "other_insurance.eob_date", NULL, "other_insurance.eob_date", "is required"},
    {RX, "quantity", NULL, "quantity", "is required"},
    /* types */
    {MED, "type", "\"dental\"", "type", "must be medical or pharmacy"},
    {MED, "provider", "\"Bayview\"", "provider", "must be an object"},
    {MED, "lines", "{}", "lines", "must be an array"},
    {MED, "lines[0]", "5", "lines[0]", "must be an object"},
    {MED, "lines[0].procedure_code", "99213", "lines[0].procedure_code", "must be a string"},
    {MED, "assignment_of_benefits", "\"yes\"", "assignment_of_benefits", "must be true or false"},
    {MED, "provider.facility", "1", "provider.facility", "must be true or false"},
    {MED, "provider.network", "\"OUT\"", "provider.network", "must be in or out"},
    {MED, "attachments[0].kind", "\"invoice\"", "attachments[0].kind",
     "must be itemized_bill, primary_eob or other"},
    {MED, "attachments", "{}", "attachments", "must be an array"},
    /* money, from the number's text */
    {MED, "lines[0].charge", "\"150.00\"", "lines[0].charge", "must be a number"},
    {MED, "lines[0].charge", "\"150\"", "lines[0].charge", "must be a number"},
    {MED, "lines[0].charge", "1e2", "lines[0].charge", "must be written without an exponent"},
    {MED, "lines[0].charge", "150.001", "lines[0].charge", "must have at most two decimals"},
    {MED, "lines[0].charge", "150.000", "lines[0].charge", "must have at most two decimals"},
    {MED, "lines[0].charge", "-1", "lines[0].charge", "must not be negative"},
    {MED, "lines[0].charge", "-0.5", "lines[0].charge", "must not be negative"},
    {MED, "lines[0].charge", "10000000", "lines[0].charge", "must be at most 9999999.99"},
    {MED, "lines[0].charge", "9999999.991", "lines[0].charge", "must have at most two decimals"},
    {MED, "lines[0].charge", "99999999999999999999", "lines[0].charge",
     "must be at most 9999999.99"},
    {RX, "other_insurance.paid", "true", "other_insurance.paid", "must be a number"},
    /* dates */
    {MED, "lines[0].service_date", "\"2026-02-30\"", "lines[0].service_date",
     "must be a date YYYY-MM-DD"},
    {MED, "lines[0].service_date", "\"02/20/2026\"", "lines[0].service_date",
     "must be a date YYYY-MM-DD"},
    {MED, "lines[0].service_date", "20260220", "lines[0].service_date",
     "must be a date YYYY-MM-DD"},
    {MED, "patient.birth_date", "\"2001-5-10\"", "patient.birth_date", "must be a date YYYY-MM-DD"},
    /* NPI */
    {MED, "provider.npi", "\"1234567890\"", "provider.npi", "NPI check digit is wrong"},
    {MED, "provider.npi", "\"123456789\"", "provider.npi", "must be 10 digits"},
    {MED, "provider.npi", "\"123-456-7893\"", "provider.npi", "must be 10 digits"},
    {MED, "provider.npi", "1234567893", "provider.npi", "must be a string"},
    {RX, "pharmacy.npi", "\"1245319590\"", "pharmacy.npi", "NPI check digit is wrong"},
    {RX, "prescriber.npi", "\"100300012\"", "prescriber.npi", "must be 10 digits"},
    /* NDC */
    {RX, "ndc", "\"0071015523\"", "ndc", "must be an NDC in 4-4-2, 5-3-2, 5-4-1 or 5-4-2 form"},
    {RX, "ndc", "\"0071-155-23\"", "ndc", "must be an NDC in 4-4-2, 5-3-2, 5-4-1 or 5-4-2 form"},
    {RX, "ndc", "71015523", "ndc", "must be a string"},
    /* ICD-10-CM and procedure codes */
    {MED, "diagnosis_codes[1]", "\"R05.\"", "diagnosis_codes[1]", "must be an ICD-10-CM code"},
    {MED, "diagnosis_codes[0]", "\"123\"", "diagnosis_codes[0]", "must be an ICD-10-CM code"},
    {MED, "diagnosis_codes[0]", "null", "diagnosis_codes[0]", "must be a string"},
    {MED, "diagnosis_codes", "[]", "diagnosis_codes", "must have 1 to 12 codes"},
    {MED, "diagnosis_codes",
     "[\"A00\",\"A01\",\"A02\",\"A03\",\"A04\",\"A05\",\"A06\",\"A07\",\"A08\",\"A09\",\"B00\","
     "\"B01\",\"B02\"]",
     "diagnosis_codes", "must have 1 to 12 codes"},
    {MED, "lines[2].procedure_code", "\"J188\"", "lines[2].procedure_code",
     "must be a 5-character CPT or HCPCS code"},
    {MED, "lines[2].procedure_code", "\"0001A\"", "lines[2].procedure_code",
     "must be a 5-character CPT or HCPCS code"},
    {MED, "lines[0].modifiers[0]", "\"2\"", "lines[0].modifiers[0]", "must be 2 letters or digits"},
    {MED, "lines[0].modifiers", "[\"25\",\"59\",\"LT\",\"RT\",\"GA\"]", "lines[0].modifiers",
     "must have at most 4 modifiers"},
    /* counts and ranges */
    {MED, "lines", "[]", "lines", "must have 1 to 50 lines"},
    {MED, "lines[0].units", "0", "lines[0].units", "must be an integer from 1 to 999"},
    {MED, "lines[0].units", "1000", "lines[0].units", "must be an integer from 1 to 999"},
    {MED, "lines[0].units", "1.5", "lines[0].units", "must be an integer from 1 to 999"},
    {MED, "lines[0].units", "1.0", "lines[0].units", "must be an integer from 1 to 999"},
    {MED, "lines[0].units", "\"1\"", "lines[0].units", "must be an integer from 1 to 999"},
    {RX, "days_supply", "0", "days_supply", "must be an integer from 1 to 365"},
    {RX, "days_supply", "366", "days_supply", "must be an integer from 1 to 365"},
    {RX, "quantity", "0", "quantity", "must be greater than 0"},
    {RX, "quantity", "-2", "quantity", "must be greater than 0"},
    {RX, "quantity", "1.2345", "quantity", "must have at most three decimals"},
    {RX, "quantity", "1000000", "quantity", "must be at most 999999.999"},
    {RX, "quantity", "3e1", "quantity", "must be written without an exponent"},
    {RX, "quantity", "\"30\"", "quantity", "must be a number"},
    /* names, ids, free text */
    {MED, "patient.last_name", "\"\"", "patient.last_name", "must not be empty"},
    {MED, "patient.last_name", "\"   \"", "patient.last_name", "must not be empty"},
    {MED, "patient.last_name", "\"Lo\\tpez\"", "patient.last_name",
     "must not contain control characters"},
    {MED, "patient.last_name", "\"Lo\\u0000pez\"", "patient.last_name",
     "must not contain control characters"},
    {MED, "patient.last_name", "\"Lo\\u0085pez\"", "patient.last_name",
     "must not contain control characters"},
    {MED, "patient.last_name",
     "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxx\"",
     "patient.last_name", "must be at most 100 bytes"},
    {MED, "patient.last_name", "42", "patient.last_name", "must be a string"},
    {MED, "member_id", "\"M 1001\"", "member_id",
     "must be 1 to 64 characters of A-Z a-z 0-9 . _ -"},
    {MED, "member_id", "\"\"", "member_id", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -"},
    {MED, "member_id", "\"M1234567890123456789012345678901234567890123456789012345678901234\"",
     "member_id", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -"},
    {RX, "rx_number", "\"RX-4488121234567890123456789012345\"", "rx_number",
     "must be at most 32 bytes"},
    {MED, "attachments[0].reference", "\"\"", "attachments[0].reference", "must not be empty"},
    /* conditional requirements */
    {MED, "itemized_bill", NULL, "itemized_bill", "is required when provider.network is out"},
    /* unknown fields at every level */
    {MED, "note", "\"x\"", "note", "unknown field"},
    {MED, "patient.middle_name", "\"x\"", "patient.middle_name", "unknown field"},
    {MED, "provider.phone", "\"x\"", "provider.phone", "unknown field"},
    {MED, "lines[1].note", "\"x\"", "lines[1].note", "unknown field"},
    {MED, "attachments[0].size", "1", "attachments[0].size", "unknown field"},
    {RX, "pharmacy.fax", "\"x\"", "pharmacy.fax", "unknown field"},
    {RX, "prescriber.dea", "\"x\"", "prescriber.dea", "unknown field"},
    {RX, "other_insurance.claim_number", "\"x\"", "other_insurance.claim_number", "unknown field"},
    {MED, "Ana Lopez", "1", "[?]", "unknown field"},
    {MED, "claim_id", "\"7c0e\"", "claim_id", "unknown field"},
    {MED, "ndc", "\"0071-0155-23\"", "ndc", "not allowed for a medical claim"},
    {RX, "lines", "[]", "lines", "not allowed for a pharmacy claim"},
    /* dates against today and the received date (today is 2026-03-02) */
    {MED, "received_date", "\"2026-02-25\"", "received_date", "not allowed for this role"},
    {MED, "lines[0].service_date", "\"2026-03-03\"", "lines[0].service_date",
     "must not be after the received date"},
    {RX, "fill_date", "\"2026-03-03\"", "fill_date", "must not be after the received date"},
    {MED, "patient.birth_date", "\"2026-03-03\"", "patient.birth_date",
     "must not be in the future"},
    {RX, "other_insurance.eob_date", "\"2026-03-03\"", "other_insurance.eob_date",
     "must not be in the future"},
#undef MED
#undef RX
};

START_TEST(test_each_validation_class_reports_its_path_and_problem)
{
    const struct one_problem *t = &one_problem_cases[_i];
    bool ok = claim_edited(t->fixture, false, t->path, t->value, NULL);
    ck_assert_msg(!ok, "case %d (%s = %s) accepted", _i, t->path, t->value ? t->value : "delete");
    assert_only_problem(t->field, t->problem);
}
END_TEST

START_TEST(test_accepted_edge_values)
{
    ck_assert_msg(claim_edited("claim_medical.json", false, "lines[0].charge", "9999999.99",
                               "lines[1].charge", "0", "lines[2].charge", "0.5", "lines[2].units",
                               "999", "provider.network", "\"in\"", "itemized_bill", NULL,
                               "provider.facility", NULL, "attachments", "null",
                               "lines[0].modifiers", "[\"lt\",\"RT\",\"59\",\"25\"]",
                               "lines[0].service_date", "\"" TODAY "\"", NULL),
                  "%s", dump_errors());
    ck_assert_int_eq(C.lines[0].charge, 999999999);
    ck_assert_int_eq(C.lines[1].charge, 0);
    ck_assert_int_eq(C.lines[2].charge, 50);
    ck_assert_int_eq(C.lines[2].units, 999);
    ck_assert(!C.itemized_bill);
    ck_assert_int_eq(C.n_attachments, 0);
    ck_assert_str_eq(C.lines[0].modifiers[0], "LT");
    ck_assert_msg(claim_edited("claim_pharmacy.json", false, "quantity", "2.5", "days_supply",
                               "365", "ndc", "\"12345-678-90\"", "prescriber", "null", "rx_number",
                               NULL, "pharmacy.npi", NULL, "other_insurance", NULL, "fill_date",
                               "\"" TODAY "\"", NULL),
                  "%s", dump_errors());
    ck_assert_int_eq(C.quantity_milli, 2500);
    ck_assert_int_eq(C.days_supply, 365);
    ck_assert_str_eq(C.ndc, "12345067890");
    ck_assert(!C.prescriber.present && !C.has_rx_number && !C.pharmacy.has_npi);
    ck_assert(!C.other_insurance.present);
    ck_assert(claim_edited("claim_pharmacy.json", false, "quantity", "0.001", NULL));
    ck_assert_int_eq(C.quantity_milli, 1);
}
END_TEST

START_TEST(test_staff_may_set_received_date_not_in_the_future)
{
    ck_assert(claim_edited("claim_medical.json", true, "received_date", "\"2026-02-25\"", NULL));
    ck_assert(C.has_received_date);
    ck_assert_str_eq(F(C.received_date), "2026-02-25");
    ck_assert(!claim_edited("claim_medical.json", true, "received_date", "\"2026-03-03\"", NULL));
    assert_only_problem("received_date", "must not be in the future");
    ck_assert(!claim_edited("claim_medical.json", true, "received_date", "\"2026-3-01\"", NULL));
    assert_only_problem("received_date", "must be a date YYYY-MM-DD");
    /* Service dates are held against the received date, not today. */
    ck_assert(!claim_edited("claim_medical.json", true, "received_date", "\"2026-02-21\"", NULL));
    assert_only_problem("lines[2].service_date", "must not be after the received date");
    ck_assert(!claim_edited("claim_pharmacy.json", true, "received_date", "\"2026-02-26\"", NULL));
    assert_only_problem("fill_date", "must not be after the received date");
    /* received_date null is the same as absent, for anyone. */
    ck_assert(claim_edited("claim_medical.json", false, "received_date", "null", NULL));
    ck_assert(!C.has_received_date);
}
END_TEST

START_TEST(test_all_problems_are_reported_at_once)
{
    ck_assert(!claim_edited("claim_medical.json", false, "type", "\"medical\"", "member_id", NULL,
                            "patient.birth_date", "\"1990-02-29\"", "provider.npi",
                            "\"1234567890\"", "provider.network", "\"out\"", "itemized_bill", NULL,
                            "diagnosis_codes[0]", "\"E11.\"", "lines[0].charge", "150.001",
                            "lines[1].units", "0", "lines[2].procedure_code", "\"ABCDE\"",
                            "lines[2].surprise", "true", "received_date", "\"2026-01-01\"", NULL));
    static const char *const want[][2] = {
        {"received_date", "not allowed for this role"},
        {"member_id", "is required"},
        {"patient.birth_date", "must be a date YYYY-MM-DD"},
        {"provider.npi", "NPI check digit is wrong"},
        {"itemized_bill", "is required when provider.network is out"},
        {"diagnosis_codes[0]", "must be an ICD-10-CM code"},
        {"lines[0].charge", "must have at most two decimals"},
        {"lines[1].units", "must be an integer from 1 to 999"},
        {"lines[2].surprise", "unknown field"},
        {"lines[2].procedure_code", "must be a 5-character CPT or HCPCS code"},
    };
    ck_assert_msg(E.count == 10, "got%s", dump_errors());
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_has_problem(want[i][0], want[i][1]);
}
END_TEST

START_TEST(test_missing_type_still_checks_the_common_fields)
{
    ck_assert(!claim_edited("claim_medical.json", false, "type", NULL, "patient.first_name", NULL,
                            "bogus", "1", NULL));
    ck_assert_int_eq(E.count, 3);
    assert_has_problem("type", "is required");
    assert_has_problem("bogus", "unknown field");
    assert_has_problem("patient.first_name", "is required");
}
END_TEST

START_TEST(test_too_many_lines_and_a_full_error_list)
{
    /* 60 lines: the count is reported, the first 50 are checked. */
    struct json_object *obj = fixture_object("claim_medical.json");
    struct json_object *lines = json_object_new_array();
    for (int i = 0; i < 60; i++)
        json_object_array_add(lines, json_tokener_parse("{\"service_date\":\"2026-02-30\","
                                                        "\"procedure_code\":\"1\",\"units\":0,"
                                                        "\"charge\":-1}"));
    json_object_object_add(obj, "lines", lines);
    struct codec_claim_options opt = {.today = D(TODAY)};
    codec_field_errors_init(&E);
    ck_assert(!codec_parse_claim(obj, &opt, &C, &E));
    json_object_put(obj);
    ck_assert_int_eq(E.count, CODEC_FIELD_ERRORS_MAX);
    ck_assert_int_eq(E.dropped, 1 + 50 * 4 - CODEC_FIELD_ERRORS_MAX);
    ck_assert_str_eq(E.items[0].field, "lines");
    ck_assert_str_eq(E.items[0].problem, "must have 1 to 50 lines");
    ck_assert_str_eq(E.items[1].field, "lines[0].service_date");
    ck_assert_str_eq(E.items[99].field, "lines[24].units");
    ck_assert_int_eq(C.n_lines, MAX_LINES);
}
END_TEST

START_TEST(test_errors_never_echo_submitted_values)
{
    size_t len;
    char *text = read_fixture("claim_medical.json", &len);
    /* Swap in values that are wrong and distinctive. */
    struct json_object *obj = json_tokener_parse(text);
    free(text);
    set_at(obj, "patient.birth_date", "\"1999-13-45\"");
    set_at(obj, "patient.first_name", "\"Zelda\\u0001\"");
    set_at(obj, "member_id", "\"SECRET MEMBER\"");
    set_at(obj, "diagnosis_codes[0]", "\"F32.999999\"");
    const char *body = json_object_to_json_string(obj);
    struct codec_claim_options opt = {.today = D(TODAY)};
    const char *reason;
    ck_assert_int_eq(codec_claim_from_body(body, strlen(body), &opt, &C, &E, &reason),
                     CODEC_INVALID);
    ck_assert_int_eq(E.count, 4);
    struct json_object *err = codec_error_render(CODEC_CODE_VALIDATION_FAILED, reason, &E);
    const char *out = json_object_to_json_string(err);
    ck_assert_ptr_null(strstr(out, "1999-13-45"));
    ck_assert_ptr_null(strstr(out, "Zelda"));
    ck_assert_ptr_null(strstr(out, "SECRET"));
    ck_assert_ptr_null(strstr(out, "F32"));
    json_object_put(err);
    json_object_put(obj);
}
END_TEST

/* Money rules through real bytes, so json-c's own number text is used. */
START_TEST(test_money_text_through_the_whole_edge)
{
    static const struct {
        const char *charge, *problem;
        cents_t cents;
    } cases[] = {
        {"150", NULL, 15000},
        {"150.5", NULL, 15050},
        {"150.00", NULL, 15000},
        {"0.01", NULL, 1},
        {"9999999.99", NULL, 999999999},
        {"1e2", "must be written without an exponent", 0},
        {"1.5E+2", "must be written without an exponent", 0},
        {"150.001", "must have at most two decimals", 0},
        {"\"150\"", "must be a number", 0},
        {"-1", "must not be negative", 0},
        {"-0.01", "must not be negative", 0},
        {"10000000", "must be at most 9999999.99", 0},
        {"10000000.00", "must be at most 9999999.99", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"type\":\"pharmacy\",\"member_id\":\"M1\",\"patient\":{\"first_name\":\"A\","
                 "\"last_name\":\"B\",\"birth_date\":\"1980-01-01\"},\"pharmacy\":{\"name\":"
                 "\"P\",\"network\":\"in\"},\"ndc\":\"12345678901\",\"fill_date\":\"2026-03-01\","
                 "\"drug_name\":\"D\",\"quantity\":1,\"days_supply\":1,\"charge\":%s}",
                 cases[i].charge);
        struct codec_claim_options opt = {.today = D(TODAY)};
        const char *reason;
        enum codec_status st = codec_claim_from_body(body, strlen(body), &opt, &C, &E, &reason);
        if (cases[i].problem) {
            ck_assert_msg(st == CODEC_INVALID, "accepted %s", cases[i].charge);
            assert_only_problem("charge", cases[i].problem);
        } else {
            ck_assert_msg(st == CODEC_OK, "refused %s:%s", cases[i].charge, dump_errors());
            ck_assert_int_eq(C.charge, cases[i].cents);
        }
    }
}
END_TEST

START_TEST(test_claim_from_body_statuses)
{
    struct codec_claim_options opt = {.today = D(TODAY)};
    const char *reason;
    ck_assert_int_eq(codec_claim_from_body("{\"type\":", 8, &opt, &C, &E, &reason), CODEC_NOT_JSON);
    ck_assert_str_eq(reason, "the body is not valid JSON");
    ck_assert_int_eq(codec_claim_from_body("[]", 2, &opt, &C, &E, &reason), CODEC_INVALID);
    ck_assert_str_eq(reason, "the body must be a JSON object");
    ck_assert_int_eq(E.count, 0);
    /* A duplicated key is refused even when both values would pass. */
    size_t len;
    char *text = read_fixture("claim_pharmacy.json", &len);
    char *dup = malloc(len + 64);
    snprintf(dup, len + 64, "{\"charge\": 42.17,%s", strchr(text, '{') + 1);
    ck_assert_int_eq(codec_claim_from_body(dup, strlen(dup), &opt, &C, &E, &reason), CODEC_INVALID);
    assert_only_problem("charge", "is duplicated");
    ck_assert_int_eq(codec_claim_from_body(text, len, &opt, &C, &E, &reason), CODEC_OK);
    free(dup);
    free(text);
}
END_TEST

static void assert_claim_round_trip(const char *fixture, const char *canonical)
{
    ck_assert_msg(claim_edited(fixture, true, "received_date", "\"2026-03-01\"", NULL), "%s",
                  dump_errors());
    struct claim first = C, second, third;
    struct json_object *j1 = codec_claim_to_json(&first);
    ck_assert_ptr_nonnull(j1);
    const char *text1 = json_object_to_json_string_ext(j1, JSON_C_TO_STRING_PLAIN);
    if (canonical)
        ck_assert_str_eq(text1, canonical);
    struct codec_claim_options opt = {.may_set_received_date = true, .today = D(TODAY)};
    /* From the object itself ... */
    codec_field_errors_init(&E);
    ck_assert_msg(codec_parse_claim(j1, &opt, &second, &E), "%s", dump_errors());
    ck_assert(memcmp(&first, &second, sizeof first) == 0);
    /* ... and through its text, as storage reads it back. */
    const char *reason;
    ck_assert_int_eq(codec_claim_from_body(text1, strlen(text1), &opt, &third, &E, &reason),
                     CODEC_OK);
    ck_assert(memcmp(&first, &third, sizeof first) == 0);
    struct json_object *j3 = codec_claim_to_json(&third);
    ck_assert_str_eq(json_object_to_json_string_ext(j3, JSON_C_TO_STRING_PLAIN), text1);
    json_object_put(j3);
    json_object_put(j1);
}

START_TEST(test_claims_round_trip_through_canonical_json)
{
    assert_claim_round_trip(
        "claim_pharmacy.json",
        "{\"type\":\"pharmacy\",\"member_id\":\"M1001\",\"patient\":{\"first_name\":\"Luis\","
        "\"last_name\":\"Lopez\",\"birth_date\":\"1975-09-14\"},\"received_date\":\"2026-03-01\","
        "\"other_insurance\":{\"payer_name\":\"Blue Shore Health\",\"paid\":20.00,\"allowed\":"
        "38.50,\"patient_responsibility\":18.50,\"eob_date\":\"2026-03-01\"},"
        "\"assignment_of_benefits\":false,\"attachments\":[],\"pharmacy\":{\"name\":\"Corner "
        "Drug #12\",\"npi\":\"1245319599\",\"network\":\"in\"},\"prescriber\":{\"name\":\"Dr. "
        "Maya Chen\",\"npi\":\"1003000126\"},\"ndc\":\"00071015523\",\"rx_number\":\"RX-448812\","
        "\"fill_date\":\"2026-02-27\",\"drug_name\":\"Lipitor 20 mg tablet\",\"quantity\":30,"
        "\"days_supply\":30,\"charge\":42.17}");
    assert_claim_round_trip(
        "claim_medical.json",
        "{\"type\":\"medical\",\"member_id\":\"M1001-02\",\"patient\":{\"first_name\":\"Ana\","
        "\"last_name\":\"Lopez\",\"birth_date\":\"2001-05-10\"},\"received_date\":\"2026-03-01\","
        "\"assignment_of_benefits\":true,\"attachments\":[{\"kind\":\"itemized_bill\","
        "\"reference\":\"doc-7781\"}],\"provider\":{\"npi\":\"1234567893\",\"name\":\"Bayview "
        "Family Medicine\",\"network\":\"out\",\"facility\":false},\"inpatient\":false,"
        "\"itemized_bill\":true,\"diagnosis_codes\":[\"J06.9\",\"R05.1\"],\"lines\":[{"
        "\"service_date\":\"2026-02-20\",\"procedure_code\":\"99213\",\"modifiers\":[\"25\"],"
        "\"units\":1,\"charge\":150.00},{\"service_date\":\"2026-02-20\",\"procedure_code\":"
        "\"87880\",\"modifiers\":[],\"units\":1,\"charge\":35.50},{\"service_date\":"
        "\"2026-02-23\",\"procedure_code\":\"J1885\",\"modifiers\":[],\"units\":2,\"charge\":"
        "12.00}]}");
}
END_TEST

START_TEST(test_fractional_quantity_round_trips)
{
    ck_assert(claim_edited("claim_pharmacy.json", false, "quantity", "0.125", NULL));
    struct json_object *j = codec_claim_to_json(&C);
    struct json_object *q;
    json_object_object_get_ex(j, "quantity", &q);
    ck_assert_str_eq(json_object_get_string(q), "0.125");
    struct claim again;
    struct codec_claim_options opt = {.today = D(TODAY)};
    codec_field_errors_init(&E);
    ck_assert(codec_parse_claim(j, &opt, &again, &E));
    ck_assert_int_eq(again.quantity_milli, 125);
    json_object_put(j);
    ck_assert(claim_edited("claim_pharmacy.json", false, "quantity", "2.50", NULL));
    j = codec_claim_to_json(&C);
    json_object_object_get_ex(j, "quantity", &q);
    ck_assert_str_eq(json_object_get_string(q), "2.5");
    json_object_put(j);
}
END_TEST

/* ---- canonical JSON written as text (the submission path) ---- */

static char *written_json(const struct claim *c)
{
    struct strbuf sb;
    strbuf_init(&sb);
    ck_assert_int_eq(codec_claim_write_json(c, &sb), 0);
    return strbuf_take(&sb);
}

/* The written text means what codec_claim_to_json builds (json-c renders
 * both the same way once parsed) and reads back to the same struct. */
static void assert_written_like_tree(const struct claim *c)
{
    char *text = written_json(c);
    struct json_object *parsed = json_tokener_parse(text);
    ck_assert_msg(parsed != NULL, "not JSON: %s", text);
    struct json_object *tree = codec_claim_to_json(c);
    ck_assert_str_eq(json_object_to_json_string_ext(parsed, JSON_C_TO_STRING_PLAIN),
                     json_object_to_json_string_ext(tree, JSON_C_TO_STRING_PLAIN));
    struct codec_claim_options opt = {.may_set_received_date = true, .today = D(TODAY)};
    struct claim again;
    const char *reason;
    ck_assert_msg(codec_claim_from_body(text, strlen(text), &opt, &again, &E, &reason) == CODEC_OK,
                  "%s:%s", text, dump_errors());
    ck_assert(memcmp(c, &again, sizeof again) == 0);
    json_object_put(tree);
    json_object_put(parsed);
    free(text);
}

START_TEST(test_written_canonical_json_equals_the_tree_for_the_fixtures)
{
    ck_assert_msg(
        claim_edited("claim_pharmacy.json", true, "received_date", "\"2026-03-01\"", NULL), "%s",
        dump_errors());
    assert_written_like_tree(&C);
    ck_assert(claim_edited("claim_pharmacy.json", false, "quantity", "0.125", "prescriber", NULL,
                           "rx_number", NULL, "pharmacy.npi", NULL, "other_insurance", NULL, NULL));
    assert_written_like_tree(&C);
    ck_assert(claim_edited("claim_pharmacy.json", false, "quantity", "2.50", NULL));
    assert_written_like_tree(&C);
    ck_assert(claim_edited("claim_pharmacy.json", false, "quantity", "999999.999", "charge",
                           "9999999.99", NULL));
    assert_written_like_tree(&C);
    ck_assert_msg(claim_edited("claim_medical.json", true, "received_date", "\"2026-03-01\"", NULL),
                  "%s", dump_errors());
    assert_written_like_tree(&C);
    ck_assert(claim_edited("claim_medical.json", false, "lines[0].charge", "0",
                           "lines[0].modifiers", "[\"25\",\"59\",\"lt\",\"RT\"]", "attachments",
                           "[]", NULL));
    assert_written_like_tree(&C);
}
END_TEST

START_TEST(test_written_names_escape_quotes_backslashes_and_keep_utf8)
{
    /* Names as a client may send them: quotes, backslashes, a slash, escapes
     * of non-ASCII letters, raw UTF-8 (Zoë, 北京, an emoji). */
    ck_assert_msg(claim_edited("claim_medical.json", false, "patient.first_name",
                               "\"Zo\\u00eb \\\"Jo\\\" O\\\\Brien/Smith\"", "patient.last_name",
                               "\"\xe5\x8c\x97\xe4\xba\xac \xf0\x9f\x98\x80\"", "provider.name",
                               "\"A\\/B \\ud83d\\ude00 \\u00e9\"", "attachments[0].reference",
                               "\"s3://bucket/doc \\\"1\\\"\"", NULL),
                  "%s", dump_errors());
    ck_assert_str_eq(C.patient.first_name, "Zo\xc3\xab \"Jo\" O\\Brien/Smith");
    assert_written_like_tree(&C);
    char *text = written_json(&C);
    ck_assert_ptr_nonnull(
        strstr(text, "\"first_name\":\"Zo\xc3\xab \\\"Jo\\\" O\\\\Brien/Smith\""));
    ck_assert_ptr_nonnull(
        strstr(text, "\"last_name\":\"\xe5\x8c\x97\xe4\xba\xac \xf0\x9f\x98\x80\""));
    free(text);
}
END_TEST

START_TEST(test_written_strings_escape_every_control_character)
{
    /* The parse refuses control characters in names; the writer must still
     * escape them should a struct ever hold one. */
    ck_assert(claim_edited("claim_pharmacy.json", false, NULL));
    char name[40];
    for (int i = 0; i < 32; i++)
        name[i] = (char)(i + 1 == 32 ? 0x1f : i + 1);
    name[31] = '\0'; /* bytes 0x01..0x1f */
    memcpy(C.drug_name, name, sizeof name < NAME_LEN ? sizeof name : NAME_LEN);
    char *text = written_json(&C);
    struct json_object *parsed = json_tokener_parse(text);
    ck_assert_ptr_nonnull(parsed);
    struct json_object *v;
    ck_assert(json_object_object_get_ex(parsed, "drug_name", &v));
    ck_assert_str_eq(json_object_get_string(v), name);
    ck_assert_ptr_nonnull(strstr(text, "\"drug_name\":\"\\u0001\\u0002\\u0003\\u0004\\u0005"
                                       "\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e"));
    json_object_put(parsed);
    free(text);
}
END_TEST

START_TEST(test_strbuf_json_string_and_integers)
{
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_append_json_string(&sb, "a\"b\\c/d\x7f\xc3\xa9\n\x1f", 12);
    strbuf_append_char(&sb, ' ');
    strbuf_append_json_string(&sb, "\0x", 2);
    strbuf_append_char(&sb, ' ');
    strbuf_append_int(&sb, 0);
    strbuf_append_char(&sb, ' ');
    strbuf_append_int(&sb, -42);
    strbuf_append_char(&sb, ' ');
    strbuf_append_int(&sb, INT64_MIN);
    ck_assert(!strbuf_failed(&sb));
    ck_assert_str_eq(sb.buf, "\"a\\\"b\\\\c/d\x7f\xc3\xa9\\n\\u001f\" \"\\u0000x\" 0 -42 "
                             "-9223372036854775808");
    /* Growth past the first block keeps every byte. */
    for (int i = 0; i < 1000; i++)
        strbuf_append(&sb, "0123456789", 10);
    ck_assert_uint_eq(sb.len, strlen(sb.buf));
    char *text = strbuf_take(&sb);
    ck_assert_ptr_null(sb.buf);
    ck_assert_str_eq(text + strlen(text) - 10, "0123456789");
    free(text);
    strbuf_free(&sb);
}
END_TEST

/* ---- enrollment ---- */

static struct json_object *edited(const char *fixture, va_list ap)
{
    struct json_object *obj = fixture_object(fixture);
    for (const char *path; (path = va_arg(ap, const char *));) {
        const char *value = va_arg(ap, const char *);
        set_at(obj, path, value);
    }
    return obj;
}

static struct group G;
static struct member M;
static struct plan P;

static bool group_edited(const char *expected_id, ...)
{
    va_list ap;
    va_start(ap, expected_id);
    struct json_object *obj = edited("group.json", ap);
    va_end(ap);
    codec_field_errors_init(&E);
    bool ok = codec_parse_group(obj, expected_id, &G, &E);
    json_object_put(obj);
    return ok;
}

static bool member_edited(const char *fixture, const char *expected_id, ...)
{
    va_list ap;
    va_start(ap, expected_id);
    struct json_object *obj = edited(fixture, ap);
    va_end(ap);
    codec_field_errors_init(&E);
    bool ok = codec_parse_member(obj, expected_id, &M, &E);
    json_object_put(obj);
    return ok;
}

/* The plan is released here unless keep; P stays readable either way for
 * scalar fields. */
static enum codec_status plan_edited(bool keep, const char *expected_id, ...)
{
    va_list ap;
    va_start(ap, expected_id);
    struct json_object *obj = edited("plan.json", ap);
    va_end(ap);
    codec_field_errors_init(&E);
    enum codec_status st = codec_parse_plan(obj, expected_id, &P, &E);
    json_object_put(obj);
    if (st == CODEC_OK) {
        ck_assert_int_eq(E.count, 0);
        if (!keep)
            plan_free(&P);
    } else {
        ck_assert_ptr_null(P.fee_schedule);
        ck_assert_ptr_null(P.formulary);
    }
    return st;
}

/* The fixture with edits as text (allocated; the caller frees it). */
static char *edited_text(const char *fixture, ...)
{
    va_list ap;
    va_start(ap, fixture);
    struct json_object *obj = edited(fixture, ap);
    va_end(ap);
    char *t = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
    json_object_put(obj);
    return t;
}

START_TEST(test_enrollment_cache_hits_the_same_text_and_sees_a_changed_record_at_once)
{
    struct codec_enrollment_cache *c = codec_enrollment_cache_new();
    ck_assert_ptr_nonnull(c);
    unsigned long hits, parses;
    char *member = edited_text("member_employee.json", NULL);
    char *renamed = edited_text("member_employee.json", "first_name", "\"Luisa\"", NULL);
    struct member m;
    codec_enrollment_cache_begin(c);
    ck_assert(codec_cached_member(c, member, "M1001", &m, &E));
    ck_assert_str_eq(m.first_name, "Luis");
    ck_assert(codec_cached_member(c, member, "M1001", &m, &E));
    ck_assert_str_eq(m.first_name, "Luis");
    codec_enrollment_cache_counts(c, &hits, &parses);
    ck_assert_uint_eq(hits, 1);
    ck_assert_uint_eq(parses, 1);
    /* The record changed under the same id: parsed afresh, the new name. */
    ck_assert(codec_cached_member(c, renamed, "M1001", &m, &E));
    ck_assert_str_eq(m.first_name, "Luisa");
    /* The same text asked for under another id is not the cached answer. */
    ck_assert(!codec_cached_member(c, member, "M9999", &m, &E));
    ck_assert_int_gt(E.count, 0);
    /* And back: the old text is still the old record. */
    ck_assert(codec_cached_member(c, member, "M1001", &m, &E));
    ck_assert_str_eq(m.first_name, "Luis");
    ck_assert_int_eq(E.count, 0);
    codec_enrollment_cache_counts(c, &hits, &parses);
    ck_assert_uint_eq(hits, 2);
    ck_assert_uint_eq(parses, 3);

    char *group = edited_text("group.json", NULL);
    char *group2 = edited_text("group.json", "name", "\"Acme Tools West\"", NULL);
    struct group g;
    ck_assert(codec_cached_group(c, group, "G100", &g, &E));
    ck_assert(codec_cached_group(c, group2, "G100", &g, &E));
    ck_assert_str_eq(g.name, "Acme Tools West");
    ck_assert(codec_cached_group(c, group, "G100", &g, &E));
    ck_assert_str_eq(g.name, "Acme Tools");

    /* A record that does not parse is refused every time, never cached. */
    char *bad = edited_text("member_employee.json", "birth_date", "\"1970-02-30\"", NULL);
    for (int i = 0; i < 2; i++) {
        ck_assert(!codec_cached_member(c, bad, "M1001", &m, &E));
        ck_assert_int_gt(E.count, 0);
    }
    ck_assert(!codec_cached_member(c, "{", "M1001", &m, &E));
    free(member);
    free(renamed);
    free(group);
    free(group2);
    free(bad);
    codec_enrollment_cache_free(c);
}
END_TEST

START_TEST(test_enrollment_cache_shares_a_plan_and_keeps_it_through_the_batch)
{
    struct codec_enrollment_cache *c = codec_enrollment_cache_new();
    ck_assert_ptr_nonnull(c);
    char *plan = edited_text("plan.json", NULL);
    char *repriced = edited_text("plan.json", "fee_schedule.99213", "110.00", NULL);
    struct plan a, b, d;
    bool owned_a, owned_b, owned_d;
    codec_enrollment_cache_begin(c);
    ck_assert_int_eq(codec_cached_plan(c, plan, "PPO-500", &a, &owned_a, &E), CODEC_OK);
    ck_assert(!owned_a);
    ck_assert_int_eq(plan_fee_lookup(&a, "99213")->allowed, 10000);
    ck_assert_int_eq(codec_cached_plan(c, plan, "PPO-500", &b, &owned_b, &E), CODEC_OK);
    ck_assert(!owned_b);
    ck_assert_ptr_eq(a.fee_schedule, b.fee_schedule); /* parsed once */
    ck_assert_int_eq(codec_cached_plan(c, repriced, "PPO-500", &d, &owned_d, &E), CODEC_OK);
    ck_assert_int_eq(plan_fee_lookup(&d, "99213")->allowed, 11000);
    /* More plans than the cache holds in one batch: the ones handed out stay
     * readable, the rest are the caller's. */
    for (int i = 0; i < 40; i++) {
        char name[64], *t;
        snprintf(name, sizeof name, "\"Plan %d\"", i);
        t = edited_text("plan.json", "name", name, NULL);
        struct plan x;
        bool owned;
        ck_assert_int_eq(codec_cached_plan(c, t, "PPO-500", &x, &owned, &E), CODEC_OK);
        if (owned)
            plan_free(&x);
        free(t);
    }
    ck_assert_int_eq(plan_fee_lookup(&a, "99213")->allowed, 10000);
    ck_assert_int_eq(plan_fee_lookup(&d, "99213")->allowed, 11000);
    ck_assert_int_eq(codec_cached_plan(c, plan, "PPO-500", &b, &owned_b, &E), CODEC_OK);
    ck_assert(!owned_b);
    ck_assert_ptr_eq(a.fee_schedule, b.fee_schedule);
    /* Without a cache every plan is the caller's. */
    ck_assert_int_eq(codec_cached_plan(NULL, plan, "PPO-500", &b, &owned_b, &E), CODEC_OK);
    ck_assert(owned_b);
    plan_free(&b);
    free(plan);
    free(repriced);
    codec_enrollment_cache_free(c);
}
END_TEST

START_TEST(test_group_fixture_and_its_rules)
{
    ck_assert_msg(group_edited("G100", NULL), "%s", dump_errors());
    ck_assert_str_eq(G.group_id, "G100");
    ck_assert_str_eq(G.name, "Acme Tools");
    ck_assert_str_eq(G.state, "FL");
    ck_assert_int_eq(G.history[0].facts.employee_count, 25);
    ck_assert_int_eq(G.history[0].facts.medicare_certification, MEDICARE_CERT_20_OR_MORE);
    ck_assert(G.dependent_to_30);
    ck_assert(group_cobra_applies_on(&G, D("2026-01-01")));
    ck_assert_str_eq(G.plan_id, "PPO-500");

    ck_assert(!group_edited("G200", NULL));
    assert_only_problem("group_id", "must equal the id in the path");
    ck_assert(!group_edited("G100", "medicare_certification", "\"20 or more\"", NULL));
    assert_only_problem("medicare_certification", "must be 20_or_more or 19_or_fewer");
    ck_assert(!group_edited("G100", "state", "\"Florida\"", NULL));
    assert_only_problem("state", "must be a US state or territory code");
    ck_assert(!group_edited("G100", "employee_count", "-1", NULL));
    assert_only_problem("employee_count", "must be an integer from 0 to 10000000");
    ck_assert(!group_edited("G100", "cobra_applies", "false", NULL));
    assert_only_problem("cobra_applies", "must be true exactly when employee_count is 20 or more");
    ck_assert(group_edited("G100", "cobra_applies", "false", "employee_count", "19", NULL));
    /* A history: the timeline; entries need both facts and increasing dates. */
    ck_assert_msg(group_edited("G100", "employee_count", "18", "cobra_applies", "false", "history",
                               "[{\"employee_count\":25,\"medicare_certification\":\"20_or_more\"},"
                               "{\"from\":\"2026-03-01\",\"reported_on\":\"2026-03-05\","
                               "\"employee_count\":18,\"medicare_certification\":\"20_or_more\"}]",
                               NULL),
                  "%s", dump_errors());
    ck_assert_int_eq(G.n_history, 2);
    ck_assert_int_eq(group_facts_on(&G, D("2026-02-28"))->employee_count, 25);
    ck_assert_int_eq(group_facts_on(&G, D("2026-03-01"))->employee_count, 18);
    ck_assert(G.history[1].dates.has_reported_on);
    ck_assert(date_eq(G.history[1].dates.reported_on, D("2026-03-05")));
    ck_assert(!G.history[0].dates.has_from && !G.history[0].dates.has_reported_on);
    ck_assert(!group_edited("G100", "history", "[{\"employee_count\":25}]", NULL));
    assert_only_problem("history[0].medicare_certification", "is required");
    ck_assert(!group_edited("G100", "history",
                            "[{\"employee_count\":25,\"medicare_certification\":\"20_or_more\"},"
                            "{\"from\":\"2026-03-01\",\"employee_count\":-2,"
                            "\"medicare_certification\":\"20_or_more\"}]",
                            NULL));
    assert_only_problem("history[1].employee_count", "must be an integer from 0 to 10000000");
    ck_assert(!group_edited("G100", "plan_id", NULL, "employees", "25", NULL));
    ck_assert_int_eq(E.count, 2);
    assert_has_problem("plan_id", "is required");
    assert_has_problem("employees", "unknown field");
    ck_assert(group_edited(NULL, "dependent_to_30", NULL, NULL));
    ck_assert(!G.dependent_to_30);
    /* § IV "State requirements": the plan documents' period, 1 to 36 months. */
    ck_assert_int_eq(G.state_continuation_months, 0);
    ck_assert(group_edited("G100", "state_continuation_months", "1", NULL));
    ck_assert_int_eq(G.state_continuation_months, 1);
    ck_assert(group_edited("G100", "state_continuation_months", "36", NULL));
    ck_assert_int_eq(G.state_continuation_months, 36);
    ck_assert(group_edited("G100", "state_continuation_months", "null", NULL));
    ck_assert_int_eq(G.state_continuation_months, 0);
    ck_assert(!group_edited("G100", "state_continuation_months", "0", NULL));
    assert_only_problem("state_continuation_months", "must be an integer from 1 to 36");
    ck_assert(!group_edited("G100", "state_continuation_months", "37", NULL));
    assert_only_problem("state_continuation_months", "must be an integer from 1 to 36");
}
END_TEST

START_TEST(test_member_fixtures_parse)
{
    ck_assert_msg(member_edited("member_child.json", "M1001-02", NULL), "%s", dump_errors());
    ck_assert_str_eq(M.member_id, "M1001-02");
    ck_assert_str_eq(M.subscriber_id, "M1001");
    ck_assert_int_eq(M.relationship, REL_CHILD);
    ck_assert(M.history[0].facts.student);
    ck_assert(!M.has_married_on);
    ck_assert_int_eq(M.n_coverage, 1);
    ck_assert_int_eq(M.coverage[0].kind, COVERAGE_ACTIVE);
    ck_assert(!M.coverage[0].has_termination_event);
    ck_assert(!M.history[0].facts.medicare.present);
    ck_assert_int_eq(M.n_other_coverage, 0);

    ck_assert_msg(member_edited("member_employee.json", "M1001", NULL), "%s", dump_errors());
    ck_assert_int_eq(M.relationship, REL_EMPLOYEE);
    ck_assert_int_eq(M.n_coverage, 2);
    ck_assert_str_eq(F(M.coverage[0].termination_event), "2025-06-15");
    ck_assert_int_eq(M.coverage[1].kind, COVERAGE_COBRA);
    ck_assert_str_eq(F(M.coverage[1].qualifying_event), "2025-06-15");
    ck_assert_int_eq(M.coverage[1].months, 18);
    ck_assert(M.history[0].facts.medicare.present);
    ck_assert_int_eq(M.history[0].facts.medicare.basis, MEDICARE_AGE);
    ck_assert_str_eq(F(M.history[0].facts.medicare.entitlement_date), "2024-09-01");
    ck_assert_int_eq(M.n_other_coverage, 1);
    ck_assert_int_eq(M.other_coverage[0].kind, OTHER_GROUP);
    ck_assert_int_eq(M.other_coverage[0].relationship, OTHER_AS_DEPENDENT);
    ck_assert(M.other_coverage[0].has_holder_birth_date);
    ck_assert_str_eq(F(M.other_coverage[0].holder_birth_date), "1961-02-03");
    ck_assert(!M.other_coverage[0].has_termination);
    ck_assert(M.other_coverage[0].active_employment);
}
END_TEST

static const struct one_problem member_cases[] = {
#define CH "member_child.json"
#define EM "member_employee.json"
    {CH, "relationship", "\"son\"", "relationship",
     "must be employee, spouse, child or grandchild"},
    {CH, "subscriber_id", "\"M1001-02\"", "relationship",
     "must be employee when member_id equals subscriber_id"},
    {EM, "subscriber_id", "\"M1000\"", "subscriber_id", "must equal member_id for an employee"},
    {CH, "member_id", "\"M1001-03\"", "member_id", "must equal the id in the path"},
    {CH, "coverage", NULL, "coverage", "is required"},
    {EM, "coverage[1].qualifying_event", "null", "coverage[1].qualifying_event", "is required"},
    {EM, "coverage[1].months", "24", "coverage[1].months", "must be 18, 29 or 36"},
    {EM, "coverage[1].months", "37", "coverage[1].months", "must be 18, 29 or 36"},
    {EM, "coverage[1].months", NULL, "coverage[1].months", "is required"},
    {EM, "coverage[0].months", "18", "coverage[0].months", "only allowed when kind is cobra"},
    {EM, "coverage[0].qualifying_event", "\"2025-06-15\"", "coverage[0].qualifying_event",
     "only allowed when kind is cobra"},
    {EM, "coverage[0].elected_on", "\"2025-07-01\"", "coverage[0].elected_on",
     "only allowed when kind is cobra"},
    {EM, "coverage[0].disability_ended_on", "\"2026-07-01\"", "coverage[0].disability_ended_on",
     "only allowed when kind is cobra"},
    {EM, "coverage[1].disability_ended_on", "\"2026-07-01\"", "coverage[1].disability_ended_on",
     "only allowed when months is 29"},
    {EM, "coverage[1].elected_on", "\"2025-07-32\"", "coverage[1].elected_on",
     "must be a date YYYY-MM-DD"},
    {EM, "coverage[0].kind", "\"retiree\"", "coverage[0].kind",
     "must be active, cobra or state_continuation"},
    {EM, "coverage[0].termination_event", "\"2019-12-31\"", "coverage[0].termination_event",
     "must not be before effective"},
    {EM, "coverage[0].end", "\"2019-12-31\"", "coverage[0].end", "unknown field"},
    {EM, "coverage[0].plan_id", "\"PPO 500\"", "coverage[0].plan_id",
     "must be 1 to 64 characters of A-Z a-z 0-9 . _ -"},
    {EM, "medicare.basis", "\"ESRD\"", "medicare.basis", "must be age, esrd or disability"},
    {EM, "medicare.entitlement_date", NULL, "medicare.entitlement_date", "is required"},
    {EM, "medicare.part", "\"A\"", "medicare.part", "unknown field"},
    {EM, "other_coverage[0].kind", "\"employer\"", "other_coverage[0].kind",
     "must be group or individual"},
    {EM, "other_coverage[0].relationship", "\"spouse\"", "other_coverage[0].relationship",
     "must be employee or dependent"},
    {EM, "other_coverage[0].termination", "\"2022-01-01\"", "other_coverage[0].termination",
     "must not be before effective"},
    {EM, "other_coverage[0].cobra", "\"no\"", "other_coverage[0].cobra", "must be true or false"},
    {EM, "other_coverage[0].group_number", "\"X\"", "other_coverage[0].group_number",
     "unknown field"},
    {CH, "married_on", "\"2025-02-30\"", "married_on", "must be a date YYYY-MM-DD"},
    {CH, "parent_member_id", "\"M1001-01\"", "parent_member_id",
     "only allowed when relationship is grandchild"},
    {EM, "parents", "{\"status\":\"divorced\",\"custodial_parent\":\"subscriber\"}", "parents",
     "only allowed when relationship is child"},
    {CH, "parents", "{\"status\":\"apart\",\"custodial_parent\":\"subscriber\"}", "parents.status",
     "must be separated, divorced or never_married"},
    {CH, "parents", "{\"status\":\"divorced\",\"custodial_parent\":\"mother\"}",
     "parents.custodial_parent", "must be subscriber, other_parent or joint"},
    {CH, "parents", "{\"status\":\"divorced\"}", "parents.custodial_parent", "is required"},
    {CH, "parents",
     "{\"status\":\"divorced\",\"custodial_parent\":\"joint\",\"court_decree_responsible\":"
     "\"joint\"}",
     "parents.court_decree_responsible", "must be subscriber, other_parent or both"},
    {CH, "parents", "{\"status\":\"divorced\",\"custodial_parent\":\"joint\",\"judge\":1}",
     "parents.judge", "unknown field"},
    {EM, "other_coverage[0].holder", "\"mother\"", "other_coverage[0].holder",
     "must be subscriber, subscriber_spouse, other_parent or other_parent_spouse"},
    {CH, "student", "\"yes\"", "student", "must be true or false"},
    {CH, "nickname", "\"Annie\"", "nickname", "unknown field"},
    {EM, "coverage[1].termination_reported_on", "\"2025-08-01\"",
     "coverage[1].termination_reported_on", "only allowed with termination_event"},
    {EM, "coverage[0].termination_reported_on", "\"2025-06-31\"",
     "coverage[0].termination_reported_on", "must be a date YYYY-MM-DD"},
    /* Histories (docs/validation.md "Histories"). */
    {CH, "history", "[]", "history", "must have 1 to 64 entries"},
    {CH, "history", "{}", "history", "must be an array"},
    {CH, "history", "[1]", "history[0]", "must be an object"},
    {CH, "history", "[{\"from\":\"2025-01-01\"}]", "history[0].from",
     "must be null in the first entry"},
    {CH, "history", "[{},{\"student\":true}]", "history[1].from", "is required"},
    {CH, "history", "[{},{\"from\":\"2025-02-30\"}]", "history[1].from",
     "must be a date YYYY-MM-DD"},
    {CH, "history", "[{},{\"from\":\"2025-05-01\"},{\"from\":\"2025-05-01\"}]", "history[2].from",
     "must be after the previous entry's from"},
    {CH, "history", "[{},{\"from\":\"2025-05-02\"},{\"from\":\"2025-05-01\"}]", "history[2].from",
     "must be after the previous entry's from"},
    {CH, "history", "[{\"reported_on\":\"2025\"}]", "history[0].reported_on",
     "must be a date YYYY-MM-DD"},
    {CH, "history", "[{\"student\":1}]", "history[0].student", "must be true or false"},
    {CH, "history", "[{\"colour\":1}]", "history[0].colour", "unknown field"},
    {CH, "history", "[{\"medicare\":{\"basis\":\"age\"}}]", "history[0].medicare.entitlement_date",
     "is required"},
#undef CH
#undef EM
};

START_TEST(test_member_rules_report_their_path_and_problem)
{
    const struct one_problem *t = &member_cases[_i];
    const char *id = strcmp(t->fixture, "member_child.json") == 0 ? "M1001-02" : "M1001";
    ck_assert_msg(!member_edited(t->fixture, id, t->path, t->value, NULL), "case %d accepted", _i);
    assert_only_problem(t->field, t->problem);
}
END_TEST

/* § III "Reporting terminations": the day a termination was reported is kept
 * on its span, written only when known, and read back unchanged. */
START_TEST(test_span_termination_reported_on_round_trips)
{
    ck_assert_msg(member_edited("member_employee.json", "M1001",
                                "coverage[0].termination_reported_on", "\"2025-07-20\"", NULL),
                  "%s", dump_errors());
    ck_assert(M.coverage[0].has_termination_reported_on);
    ck_assert_str_eq(F(M.coverage[0].termination_reported_on), "2025-07-20");
    ck_assert(!M.coverage[1].has_termination_reported_on);
    struct json_object *j = codec_member_to_json(&M, D("2026-06-01"));
    const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    ck_assert_ptr_nonnull(strstr(text, "\"termination_event\":\"2025-06-15\","
                                       "\"termination_reported_on\":\"2025-07-20\",\"kind\""));
    ck_assert_ptr_null(strstr(strstr(text, "\"cobra\""), "termination_reported_on"));
    static struct member m2;
    const char *reason;
    ck_assert_int_eq(codec_member_from_body(text, strlen(text), "M1001", &m2, &E, &reason),
                     CODEC_OK);
    ck_assert(memcmp(&M, &m2, sizeof M) == 0);
    json_object_put(j);
}
END_TEST

START_TEST(test_member_cobra_span_with_all_its_months)
{
    ck_assert(member_edited("member_employee.json", "M1001", "coverage[1].months", "29", NULL));
    ck_assert_int_eq(M.coverage[1].months, 29);
    ck_assert(!M.coverage[1].has_disability_ended_on);
    /* The election defaults to the span's start (§ IV "End of COBRA coverage period"). */
    ck_assert_str_eq(F(M.coverage[1].elected_on), "2025-07-01");
    ck_assert(member_edited("member_employee.json", "M1001", "coverage[1].months", "29",
                            "coverage[1].elected_on", "\"2025-08-20\"",
                            "coverage[1].disability_ended_on", "\"2026-10-01\"", NULL));
    ck_assert_str_eq(F(M.coverage[1].elected_on), "2025-08-20");
    ck_assert(M.coverage[1].has_disability_ended_on);
    ck_assert_str_eq(F(M.coverage[1].disability_ended_on), "2026-10-01");
    struct json_object *j = codec_member_to_json(&M, D("2026-06-01"));
    ck_assert_str_eq(json_object_to_json_string_ext(
                         json_object_array_get_idx(json_object_object_get(j, "coverage"), 1),
                         JSON_C_TO_STRING_PLAIN),
                     "{\"plan_id\":\"PPO-500\",\"effective\":\"2025-07-01\",\"termination_event\":"
                     "null,\"kind\":\"cobra\",\"qualifying_event\":\"2025-06-15\",\"months\":29,"
                     "\"elected_on\":\"2025-08-20\",\"disability_ended_on\":\"2026-10-01\"}");
    static struct member again;
    const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    const char *reason;
    ck_assert_int_eq(codec_member_from_body(text, strlen(text), "M1001", &again, &E, &reason),
                     CODEC_OK);
    ck_assert(memcmp(&M, &again, sizeof M) == 0);
    json_object_put(j);
    ck_assert(member_edited("member_employee.json", "M1001", "coverage[1].months", "36",
                            "coverage[0].kind", "\"state_continuation\"", NULL));
    ck_assert_int_eq(M.coverage[0].kind, COVERAGE_STATE_CONTINUATION);
    ck_assert(member_edited("member_child.json", "M1001-02", "coverage", "[]", "married_on",
                            "\"2024-06-01\"", NULL));
    ck_assert(M.has_married_on);
    ck_assert_int_eq(M.n_coverage, 0);
}
END_TEST

START_TEST(test_member_grandchild_names_its_parent)
{
    /* § I: a grandchild's parent; optional when reading (records stored before
     * the field existed), written as null when absent, only for grandchildren. */
    ck_assert(member_edited("member_child.json", "M1001-02", "relationship", "\"grandchild\"",
                            "parent_member_id", "\"M1001-01\"", NULL));
    ck_assert_str_eq(M.parent_member_id, "M1001-01");
    struct json_object *j = codec_member_to_json(&M, D("2026-06-01")), *v = NULL;
    ck_assert(json_object_object_get_ex(j, "parent_member_id", &v));
    ck_assert_str_eq(json_object_get_string(v), "M1001-01");
    const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    static struct member again;
    const char *reason;
    ck_assert_int_eq(codec_member_from_body(text, strlen(text), "M1001-02", &again, &E, &reason),
                     CODEC_OK);
    ck_assert(memcmp(&M, &again, sizeof M) == 0);
    json_object_put(j);

    ck_assert(
        member_edited("member_child.json", "M1001-02", "relationship", "\"grandchild\"", NULL));
    ck_assert_str_eq(M.parent_member_id, "");
    j = codec_member_to_json(&M, D("2026-06-01"));
    ck_assert(json_object_object_get_ex(j, "parent_member_id", &v));
    ck_assert_ptr_null(v);
    json_object_put(j);

    ck_assert(!member_edited("member_child.json", "M1001-02", "relationship", "\"grandchild\"",
                             "parent_member_id", "\"M1001 01\"", NULL));
    assert_only_problem("parent_member_id", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
    /* Other relationships never write it. */
    ck_assert(member_edited("member_child.json", "M1001-02", NULL));
    j = codec_member_to_json(&M, D("2026-06-01"));
    ck_assert(!json_object_object_get_ex(j, "parent_member_id", &v));
    json_object_put(j);
}
END_TEST

START_TEST(test_member_child_of_separated_parents_round_trips)
{
    /* NAIC: a child's separated parents and who holds each other plan. */
    ck_assert(
        member_edited("member_child.json", "M1001-02", "parents",
                      "{\"status\":\"never_married\",\"custodial_parent\":\"other_parent\","
                      "\"court_decree_responsible\":\"both\"}",
                      "other_coverage",
                      "[{\"payer_name\":\"Harbor Health\",\"kind\":\"group\",\"relationship\":"
                      "\"dependent\",\"effective\":\"2024-01-01\",\"holder\":"
                      "\"other_parent_spouse\"}]",
                      NULL));
    ck_assert(M.parents.present);
    ck_assert_int_eq(M.parents.status, PARENTS_NEVER_MARRIED);
    ck_assert_int_eq(M.parents.custodial, CUSTODY_OTHER_PARENT);
    ck_assert_int_eq(M.parents.decree, DECREE_BOTH);
    ck_assert_int_eq(M.other_coverage[0].holder, HOLDER_OTHER_PARENT_SPOUSE);
    struct json_object *j = codec_member_to_json(&M, D("2026-06-01")), *v = NULL;
    ck_assert(json_object_object_get_ex(j, "parents", &v));
    ck_assert_str_eq(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
                     "{\"status\":\"never_married\",\"custodial_parent\":\"other_parent\","
                     "\"court_decree_responsible\":\"both\"}");
    const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    ck_assert_ptr_nonnull(strstr(text, "\"holder\":\"other_parent_spouse\""));
    static struct member again;
    const char *reason;
    ck_assert_int_eq(codec_member_from_body(text, strlen(text), "M1001-02", &again, &E, &reason),
                     CODEC_OK);
    ck_assert(memcmp(&M, &again, sizeof M) == 0);
    json_object_put(j);
    /* No decree: written null; no parents: null for a child, absent for others. */
    ck_assert(member_edited("member_child.json", "M1001-02", "parents",
                            "{\"status\":\"divorced\",\"custodial_parent\":\"subscriber\"}", NULL));
    ck_assert_int_eq(M.parents.decree, DECREE_NONE);
    j = codec_member_to_json(&M, D("2026-06-01"));
    ck_assert(json_object_object_get_ex(j, "parents", &v));
    ck_assert_str_eq(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
                     "{\"status\":\"divorced\",\"custodial_parent\":\"subscriber\","
                     "\"court_decree_responsible\":null}");
    json_object_put(j);
    ck_assert(member_edited("member_child.json", "M1001-02", NULL));
    ck_assert(!M.parents.present);
    j = codec_member_to_json(&M, D("2026-06-01"));
    ck_assert(json_object_object_get_ex(j, "parents", &v));
    ck_assert_ptr_null(v);
    json_object_put(j);
}
END_TEST

START_TEST(test_plan_fixture_parses_sorted_and_normalised)
{
    ck_assert_int_eq(plan_edited(true, "PPO-500", NULL), CODEC_OK);
    ck_assert_str_eq(P.plan_id, "PPO-500");
    ck_assert_str_eq(P.name, "PPO 500");
    ck_assert_int_eq(P.in_network.deductible_individual, 50000);
    ck_assert_int_eq(P.in_network.deductible_family, 100000);
    ck_assert_int_eq(P.in_network.oop_max_individual, 300000);
    ck_assert_int_eq(P.in_network.oop_max_family, 600000);
    ck_assert_int_eq(P.in_network.coinsurance_percent, 20);
    ck_assert_int_eq(P.out_of_network.coinsurance_percent, 40);
    ck_assert_int_eq(P.out_of_network.allowed_percent, 70);
    ck_assert_int_eq(P.n_copays, 1);
    ck_assert_int_eq(P.copays[0].n_procedure_codes, 3);
    ck_assert_str_eq(P.copays[0].procedure_codes[2], "99214");
    ck_assert_int_eq(P.copays[0].amount, 2500);
    ck_assert_uint_eq(P.n_fee_schedule, 3);
    ck_assert_str_eq(P.fee_schedule[0].procedure_code, "80053");
    ck_assert_str_eq(P.fee_schedule[1].procedure_code, "99213");
    ck_assert_str_eq(P.fee_schedule[2].procedure_code, "J1885");
    ck_assert_int_eq(plan_fee_lookup(&P, "99213")->allowed, 10000);
    ck_assert_int_eq(plan_fee_lookup(&P, "J1885")->allowed, 425);
    ck_assert_int_eq(P.medical_filing_limit_days, 365);
    ck_assert_int_eq(P.pend_days, 45);
    ck_assert(P.pharmacy[TIER_GENERIC].is_copay);
    ck_assert_int_eq(P.pharmacy[TIER_GENERIC].copay, 1000);
    ck_assert_int_eq(P.pharmacy[TIER_PREFERRED_BRAND].copay, 3500);
    ck_assert(!P.pharmacy[TIER_NON_PREFERRED].is_copay);
    ck_assert_int_eq(P.pharmacy[TIER_NON_PREFERRED].coinsurance_percent, 50);
    ck_assert_int_eq(P.pharmacy[TIER_SPECIALTY].coinsurance_percent, 25);
    ck_assert_uint_eq(P.n_formulary, 3);
    ck_assert_str_eq(P.formulary[0].ndc, "00071015523");
    ck_assert_str_eq(P.formulary[1].ndc, "00093505698"); /* from 0093-5056-98 */
    ck_assert_str_eq(P.formulary[2].ndc, "12345678901");
    const struct formulary_entry *e = plan_formulary_lookup(&P, "00093505698");
    ck_assert_int_eq(e->tier, TIER_GENERIC);
    ck_assert(e->has_unit_price);
    ck_assert_int_eq(e->unit_price, 12);
    e = plan_formulary_lookup(&P, "12345678901");
    ck_assert_int_eq(e->tier, TIER_EXCLUDED);
    ck_assert(!e->has_unit_price);
    plan_free(&P);
    ck_assert_ptr_null(P.fee_schedule);
}
END_TEST

START_TEST(test_plan_defaults_when_limits_are_absent)
{
    ck_assert_int_eq(plan_edited(false, "PPO-500", "medical_filing_limit_days", NULL, "pend_days",
                                 "null", "fee_schedule", NULL, "formulary", NULL, "copays", NULL,
                                 NULL),
                     CODEC_OK);
    ck_assert_int_eq(P.medical_filing_limit_days, 365);
    ck_assert_int_eq(P.pend_days, 45);
    ck_assert_uint_eq(P.n_fee_schedule, 0);
    ck_assert_uint_eq(P.n_formulary, 0);
    ck_assert_int_eq(
        plan_edited(false, "PPO-500", "medical_filing_limit_days", "90", "pend_days", "60", NULL),
        CODEC_OK);
    ck_assert_int_eq(P.medical_filing_limit_days, 90);
    ck_assert_int_eq(P.pend_days, 60);
}
END_TEST

/* An empty fee schedule or formulary ({}) is no entries and no array (fuzz
 * finding: it was sorted with qsort(NULL, 0, ...), undefined behaviour that
 * UBSan reports as a null argument). */
START_TEST(test_plan_with_empty_fee_schedule_and_formulary)
{
    ck_assert_int_eq(plan_edited(true, "PPO-500", "fee_schedule", "{}", "formulary", "{}", NULL),
                     CODEC_OK);
    ck_assert_uint_eq(P.n_fee_schedule, 0);
    ck_assert_ptr_null(P.fee_schedule);
    ck_assert_uint_eq(P.n_formulary, 0);
    ck_assert_ptr_null(P.formulary);
    ck_assert_ptr_null(plan_fee_lookup(&P, "99213"));
    ck_assert_ptr_null(plan_formulary_lookup(&P, "00071015523"));
    struct json_object *j = codec_plan_to_json(&P);
    struct json_object *v;
    ck_assert(json_object_object_get_ex(j, "fee_schedule", &v));
    ck_assert_str_eq(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), "{}");
    ck_assert(json_object_object_get_ex(j, "formulary", &v));
    ck_assert_str_eq(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), "{}");
    json_object_put(j);
    plan_free(&P);
}
END_TEST

static const struct one_problem plan_cases[] = {
    {"plan.json", "plan_id", "\"PPO-1000\"", "plan_id", "must equal the id in the path"},
    {"plan.json", "in_network", NULL, "in_network", "is required"},
    {"plan.json", "in_network.allowed_percent", "70", "in_network.allowed_percent",
     "unknown field"},
    {"plan.json", "out_of_network.allowed_percent", NULL, "out_of_network.allowed_percent",
     "is required"},
    {"plan.json", "in_network.coinsurance_percent", "101", "in_network.coinsurance_percent",
     "must be an integer from 0 to 100"},
    {"plan.json", "in_network.coinsurance_percent", "20.5", "in_network.coinsurance_percent",
     "must be an integer from 0 to 100"},
    {"plan.json", "in_network.deductible_family", "1000.005", "in_network.deductible_family",
     "must have at most two decimals"},
    {"plan.json", "out_of_network.oop_max_family", "\"12000\"", "out_of_network.oop_max_family",
     "must be a number"},
    {"plan.json", "copays[0].procedure_codes[1]", "\"9921\"", "copays[0].procedure_codes[1]",
     "must be a 5-character CPT or HCPCS code"},
    {"plan.json", "copays[0].procedure_codes", "[]", "copays[0].procedure_codes",
     "must have 1 to 64 codes"},
    {"plan.json", "copays[0].amount", "-25", "copays[0].amount", "must not be negative"},
    {"plan.json", "copays[0].visits", "1", "copays[0].visits", "unknown field"},
    {"plan.json", "fee_schedule.9921", "10", "fee_schedule[\"9921\"]",
     "key must be a 5-character CPT or HCPCS code"},
    {"plan.json", "fee_schedule.99213", "100.001", "fee_schedule[\"99213\"]",
     "must have at most two decimals"},
    {"plan.json", "fee_schedule.j1885", "4.25", "fee_schedule[\"J1885\"]", "is duplicated"},
    {"plan.json", "fee_schedule", "[]", "fee_schedule", "must be an object"},
    {"plan.json", "medical_filing_limit_days", "0", "medical_filing_limit_days",
     "must be an integer from 1 to 3650"},
    {"plan.json", "pend_days", "366", "pend_days", "must be an integer from 1 to 365"},
    {"plan.json", "pharmacy.generic", "{\"copay\":10,\"coinsurance_percent\":20}",
     "pharmacy.generic", "must have exactly one of copay or coinsurance_percent"},
    {"plan.json", "pharmacy.specialty", "{}", "pharmacy.specialty",
     "must have exactly one of copay or coinsurance_percent"},
    {"plan.json", "pharmacy.specialty", NULL, "pharmacy.specialty", "is required"},
    {"plan.json", "pharmacy.excluded", "{\"copay\":0}", "pharmacy.excluded", "unknown field"},
    {"plan.json", "pharmacy.generic.copay", "10.001", "pharmacy.generic.copay",
     "must have at most two decimals"},
    {"plan.json", "pharmacy.non_preferred.coinsurance_percent", "-5",
     "pharmacy.non_preferred.coinsurance_percent", "must be an integer from 0 to 100"},
    {"plan.json", "formulary.0071-0155-23", "{\"tier\":\"generic\",\"unit_price\":1}",
     "formulary[\"00071015523\"]", "is duplicated"},
    {"plan.json", "formulary.0071015523", "{\"tier\":\"generic\",\"unit_price\":1}",
     "formulary[\"0071015523\"]", "key must be an NDC in 4-4-2, 5-3-2, 5-4-1 or 5-4-2 form"},
    {"plan.json", "formulary.12345678901.unit_price", "1.00",
     "formulary[\"12345678901\"].unit_price", "not allowed for an excluded drug"},
    {"plan.json", "formulary.00071015523.unit_price", NULL, "formulary[\"00071015523\"].unit_price",
     "is required"},
    {"plan.json", "formulary.00071015523.tier", "\"brand\"", "formulary[\"00071015523\"].tier",
     "must be generic, preferred_brand, non_preferred, specialty or excluded"},
    {"plan.json", "formulary.00071015523.quantity_limit", "30",
     "formulary[\"00071015523\"].quantity_limit", "unknown field"},
    {"plan.json", "formulary.00071015523", "4.5", "formulary[\"00071015523\"]",
     "must be an object"},
    {"plan.json", "network", "\"PPO\"", "network", "unknown field"},
};

START_TEST(test_plan_rules_report_their_path_and_problem)
{
    const struct one_problem *t = &plan_cases[_i];
    ck_assert_msg(plan_edited(false, "PPO-500", t->path, t->value, NULL) == CODEC_INVALID,
                  "case %d accepted", _i);
    assert_only_problem(t->field, t->problem);
}
END_TEST

START_TEST(test_enrollment_round_trips_through_canonical_json)
{
    /* Group */
    ck_assert(group_edited("G100", NULL));
    struct group g2;
    struct json_object *j = codec_group_to_json(&G, D("2026-06-01"));
    const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    ck_assert_str_eq(text, "{\"group_id\":\"G100\",\"name\":\"Acme Tools\",\"state\":\"FL\","
                           "\"employee_count\":25,\"medicare_certification\":\"20_or_more\","
                           "\"dependent_to_30\":true,\"cobra_applies\":true,\"plan_id\":"
                           "\"PPO-500\",\"waiting_period_days\":0,\"leave_continuation\":false,"
                           "\"state_continuation_months\":null,"
                           "\"history\":[{\"from\":null,\"reported_on\":null,\"employee_count\":25,"
                           "\"medicare_certification\":\"20_or_more\"}]}");
    const char *reason;
    ck_assert_int_eq(codec_group_from_body(text, strlen(text), "G100", &g2, &E, &reason), CODEC_OK);
    ck_assert(memcmp(&G, &g2, sizeof G) == 0);
    json_object_put(j);

    /* Members */
    const char *fixtures[][2] = {{"member_child.json", "M1001-02"},
                                 {"member_employee.json", "M1001"}};
    for (int i = 0; i < 2; i++) {
        ck_assert(member_edited(fixtures[i][0], fixtures[i][1], NULL));
        static struct member m2;
        j = codec_member_to_json(&M, D("2026-06-01"));
        text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
        ck_assert_int_eq(
            codec_member_from_body(text, strlen(text), fixtures[i][1], &m2, &E, &reason), CODEC_OK);
        ck_assert(memcmp(&M, &m2, sizeof M) == 0);
        json_object_put(j);
    }
    j = codec_member_to_json(&M, D("2026-06-01"));
    ck_assert_str_eq(
        json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
        "{\"member_id\":\"M1001\",\"subscriber_id\":\"M1001\",\"group_id\":\"G100\","
        "\"relationship\":\"employee\",\"first_name\":\"Luis\",\"last_name\":\"Lopez\","
        "\"birth_date\":\"1959-09-14\",\"state\":\"FL\",\"student\":false,"
        "\"lives_with_employee\":true,\"married_on\":null,\"has_own_dependent\":true,"
        "\"handicapped_certified\":false,\"coverage\":[{\"plan_id\":\"PPO-500\",\"effective\":"
        "\"2020-01-01\",\"termination_event\":\"2025-06-15\",\"kind\":\"active\"},{\"plan_id\":"
        "\"PPO-500\",\"effective\":\"2025-07-01\",\"termination_event\":null,\"kind\":\"cobra\","
        "\"qualifying_event\":\"2025-06-15\",\"months\":18,\"elected_on\":\"2025-07-01\"}],"
        "\"medicare\":{\"basis\":\"age\","
        "\"entitlement_date\":\"2024-09-01\",\"part_a\":true,\"part_b\":true},\"other_coverage\":[{"
        "\"payer_name\":\"Blue Shore "
        "Health\",\"kind\":\"group\",\"relationship\":\"dependent\",\"holder_birth_date\":"
        "\"1961-02-03\",\"effective\":\"2023-01-01\",\"termination\":null,\"cobra\":false,"
        "\"active_employment\":true,\"holder\":null}],\"history\":[{\"from\":null,\"reported_on\":"
        "null,"
        "\"student\":false,\"lives_with_employee\":true,\"has_own_dependent\":true,"
        "\"handicapped_certified\":false,\"medicare\":{\"basis\":\"age\",\"entitlement_date\":"
        "\"2024-09-01\",\"part_a\":true,\"part_b\":true}}]}");
    json_object_put(j);

    /* A member with a history: the top level as of the date asked, the history whole. */
    ck_assert_msg(
        member_edited("member_child.json", "M1001-02", "history",
                      "[{\"student\":true},{\"from\":\"2026-05-15\",\"reported_on\":"
                      "\"2026-06-01\",\"lives_with_employee\":true,\"medicare\":{\"basis\":"
                      "\"disability\",\"entitlement_date\":\"2026-05-01\",\"part_b\":false}}]",
                      NULL),
        "%s", dump_errors());
    ck_assert_int_eq(M.n_history, 2);
    for (int k = 0; k < 2; k++) {
        static struct member m2;
        j = codec_member_to_json(&M, D(k ? "2026-05-15" : "2026-05-14"));
        text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
        struct json_object *student = NULL;
        ck_assert(json_object_object_get_ex(j, "student", &student));
        ck_assert_int_eq(json_object_get_boolean(student), k == 0);
        ck_assert_int_eq(codec_member_from_body(text, strlen(text), "M1001-02", &m2, &E, &reason),
                         CODEC_OK);
        ck_assert(memcmp(&M, &m2, sizeof M) == 0);
        json_object_put(j);
    }
    j = codec_member_to_json(&M, D("2026-06-01"));
    text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    ck_assert_ptr_nonnull(strstr(
        text, "\"history\":[{\"from\":null,\"reported_on\":null,\"student\":true,"
              "\"lives_with_employee\":false,\"has_own_dependent\":false,\"handicapped_certified\":"
              "false,\"medicare\":null},{\"from\":\"2026-05-15\",\"reported_on\":\"2026-06-01\","
              "\"student\":false,\"lives_with_employee\":true,\"has_own_dependent\":false,"
              "\"handicapped_certified\":false,\"medicare\":{\"basis\":\"disability\","
              "\"entitlement_date\":\"2026-05-01\",\"part_a\":true,\"part_b\":false}}]}"));
    json_object_put(j);

    /* Plan */
    ck_assert_int_eq(plan_edited(true, "PPO-500", NULL), CODEC_OK);
    j = codec_plan_to_json(&P);
    text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    ck_assert_str_eq(
        text,
        "{\"plan_id\":\"PPO-500\",\"name\":\"PPO 500\",\"in_network\":{\"deductible_individual\":"
        "500.00,\"deductible_family\":1000.00,\"oop_max_individual\":3000.00,\"oop_max_family\":"
        "6000.00,\"coinsurance_percent\":20},\"out_of_network\":{\"deductible_individual\":"
        "1000.00,\"deductible_family\":2000.00,\"oop_max_individual\":6000.00,"
        "\"oop_max_family\":12000.00,\"coinsurance_percent\":40,\"allowed_percent\":70},"
        "\"copays\":[{\"procedure_codes\":[\"99212\",\"99213\",\"99214\"],\"amount\":25.00}],"
        "\"fee_schedule\":{\"80053\":20.00,\"99213\":100.00,\"J1885\":4.25},"
        "\"medical_filing_limit_days\":365,\"pend_days\":45,\"pharmacy\":{\"generic\":{"
        "\"copay\":10.00},\"preferred_brand\":{\"copay\":35.00},\"non_preferred\":{"
        "\"coinsurance_percent\":50},\"specialty\":{\"coinsurance_percent\":25}},\"formulary\":{"
        "\"00071015523\":{\"tier\":\"preferred_brand\",\"unit_price\":4.50},\"00093505698\":{"
        "\"tier\":\"generic\",\"unit_price\":0.12},\"12345678901\":{\"tier\":\"excluded\"}}}");
    struct plan p2;
    ck_assert_int_eq(codec_plan_from_body(text, strlen(text), "PPO-500", &p2, &E, &reason),
                     CODEC_OK);
    ck_assert(memcmp(&P.in_network, &p2.in_network, sizeof P.in_network) == 0);
    ck_assert(memcmp(&P.out_of_network, &p2.out_of_network, sizeof P.out_of_network) == 0);
    ck_assert(memcmp(P.copays, p2.copays, sizeof P.copays) == 0);
    ck_assert(memcmp(P.pharmacy, p2.pharmacy, sizeof P.pharmacy) == 0);
    ck_assert_uint_eq(p2.n_fee_schedule, P.n_fee_schedule);
    ck_assert(memcmp(P.fee_schedule, p2.fee_schedule, P.n_fee_schedule * sizeof *P.fee_schedule) ==
              0);
    ck_assert_uint_eq(p2.n_formulary, P.n_formulary);
    ck_assert(memcmp(P.formulary, p2.formulary, P.n_formulary * sizeof *P.formulary) == 0);
    struct json_object *j2 = codec_plan_to_json(&p2);
    ck_assert_str_eq(json_object_to_json_string_ext(j2, JSON_C_TO_STRING_PLAIN), text);
    json_object_put(j2);
    json_object_put(j);
    plan_free(&p2);
    plan_free(&P);
}
END_TEST

START_TEST(test_enrollment_from_body_statuses)
{
    const char *reason;
    static struct member m;
    struct plan p;
    ck_assert_int_eq(codec_group_from_body("{", 1, "G1", &G, &E, &reason), CODEC_NOT_JSON);
    ck_assert_int_eq(codec_member_from_body("[]", 2, "M1", &m, &E, &reason), CODEC_INVALID);
    ck_assert_str_eq(reason, "the body must be a JSON object");
    ck_assert_int_eq(codec_plan_from_body("{}", 2, "PPO-500", &p, &E, &reason), CODEC_INVALID);
    ck_assert_str_eq(reason, "the record has problems listed in fields");
    ck_assert_int_eq(E.count, 5);
    assert_has_problem("plan_id", "is required");
    assert_has_problem("name", "is required");
    assert_has_problem("in_network", "is required");
    assert_has_problem("out_of_network", "is required");
    assert_has_problem("pharmacy", "is required");
    /* A duplicate key in a plan that is otherwise valid: nothing is kept. */
    size_t len;
    char *text = read_fixture("plan.json", &len);
    char *dup = malloc(len + 64);
    snprintf(dup, len + 64, "{\"pend_days\": 45,%s", strchr(text, '{') + 1);
    ck_assert_int_eq(codec_plan_from_body(dup, strlen(dup), "PPO-500", &p, &E, &reason),
                     CODEC_INVALID);
    assert_only_problem("pend_days", "is duplicated");
    ck_assert_ptr_null(p.fee_schedule);
    ck_assert_ptr_null(p.formulary);
    free(dup);
    free(text);
}
END_TEST

/* ---- allocation failures ----
 * The test binary's own malloc/calloc/realloc fail the n-th allocation made
 * by this project's code (the caller's address is inside the executable),
 * so each of our allocations on a path is made to fail once. json-c's own
 * allocations are left alone: json-c 0.16 does not survive them (its
 * tokener strdup()s a key and hashes the result without a NULL check).
 * Not under ASan, whose allocator must see every call; there the other
 * tests still run. */
#if defined(__SANITIZE_ADDRESS__)
#define FAULT_INJECTION 0
#else
#define FAULT_INJECTION 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern char __executable_start[], etext[];
static long fail_countdown = -1; /* -1: never fail */
static bool fault_now(const void *caller)
{
    if (fail_countdown < 0 || (const char *)caller < __executable_start ||
        (const char *)caller >= etext)
        return false;
    return fail_countdown-- == 0;
}
void *malloc(size_t n)
{
    return fault_now(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}
void *calloc(size_t n, size_t size)
{
    return fault_now(__builtin_return_address(0)) ? NULL : __libc_calloc(n, size);
}
void *realloc(void *p, size_t n)
{
    return fault_now(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}

/* Valgrind puts its own allocator in place of the executable's malloc, so
 * under Valgrind nothing can be made to fail; the plain run covers it. */
static bool fault_injection_works(void)
{
    void *(*volatile alloc)(size_t) = malloc;
    fail_countdown = 0;
    void *p = alloc(1);
    fail_countdown = -1;
    free(p);
    return p == NULL;
}
#endif

START_TEST(test_every_allocation_failure_is_refused_cleanly)
{
#if !FAULT_INJECTION
    /* Nothing is checked here: said so, and counted by scripts/run-tests.sh. */
    test_skipped("test_every_allocation_failure_is_refused_cleanly",
                 "built with ASan, whose allocator must see every call (the plain build runs it)");
#else
    if (!fault_injection_works()) {
        test_skipped("test_every_allocation_failure_is_refused_cleanly",
                     "malloc cannot be made to fail here (Valgrind replaces it; the plain run "
                     "runs it)");
        return;
    }
    size_t claim_len, plan_len;
    char *claim_text = read_fixture("claim_medical.json", &claim_len);
    char *plan_text = read_fixture("plan.json", &plan_len);
    struct codec_claim_options opt = {.today = D(TODAY)};
    const char *reason;
    struct claim want;
    ck_assert_int_eq(codec_claim_from_body(claim_text, claim_len, &opt, &want, &E, &reason),
                     CODEC_OK);
    struct json_object *j = codec_claim_to_json(&want);
    char *want_json = strdup(json_object_to_json_string(j));
    json_object_put(j);
    int failures_seen = 0;
    for (long n = 0;; n++) {
        /* Claim: refused, or exactly right. */
        fail_countdown = n;
        enum codec_status st = codec_claim_from_body(claim_text, claim_len, &opt, &C, &E, &reason);
        struct json_object *out = st == CODEC_OK ? codec_claim_to_json(&C) : NULL;
        const char *out_text = out ? json_object_to_json_string(out) : NULL;
        bool finished = fail_countdown >= 0; /* the n-th allocation never came */
        fail_countdown = -1;
        if (st == CODEC_OK) {
            ck_assert(memcmp(&C, &want, sizeof C) == 0);
            if (out_text)
                ck_assert_str_eq(out_text, want_json);
        } else {
            ck_assert_int_eq(st, CODEC_NO_MEMORY);
            failures_seen++;
        }
        json_object_put(out);
        if (finished)
            break;
    }
    ck_assert_int_gt(failures_seen, 0);
    int plan_no_memory = 0;
    for (long n = 0;; n++) {
        /* Plan: refused and owning nothing, or complete. */
        struct plan p;
        fail_countdown = n;
        enum codec_status st =
            codec_plan_from_body(plan_text, plan_len, "PPO-500", &p, &E, &reason);
        struct json_object *out = st == CODEC_OK ? codec_plan_to_json(&p) : NULL;
        bool finished = fail_countdown >= 0;
        fail_countdown = -1;
        if (st == CODEC_OK) {
            ck_assert_uint_eq(p.n_formulary, 3);
            ck_assert_uint_eq(p.n_fee_schedule, 3);
            plan_free(&p);
        } else {
            ck_assert_int_eq(st, CODEC_NO_MEMORY);
            ck_assert_ptr_null(p.fee_schedule);
            ck_assert_ptr_null(p.formulary);
            plan_no_memory++;
        }
        json_object_put(out);
        if (finished)
            break;
    }
    ck_assert_int_ge(plan_no_memory, 3); /* scan state, key list, fee schedule, formulary */
    free(want_json);
    free(claim_text);
    free(plan_text);
#endif
}
END_TEST

/* The edge builds the object itself in one pass; what it builds must be what
 * json-c's own strict tokener builds from the same bytes: the same types
 * (int, uint64, double with its text, null), values, key order, and, for a
 * repeated key, the last value in the first key's place. */
static void assert_built_like_json_c(const char *text, size_t len)
{
    struct json_object *mine = NULL;
    codec_field_errors_init(&E);
    ck_assert_msg(codec_json_parse(text, len, &mine, &E, NULL) == CODEC_OK, "%.*s", (int)len, text);
    struct json_tokener *tok = json_tokener_new_ex(CODEC_JSON_MAX_DEPTH + 1);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *theirs = json_tokener_parse_ex(tok, text, (int)len);
    ck_assert_int_eq(json_tokener_get_error(tok), json_tokener_success);
    json_tokener_free(tok);
    ck_assert_msg(json_object_equal(mine, theirs), "%.*s", (int)len, text);
    ck_assert_str_eq(json_object_to_json_string_ext(mine, JSON_C_TO_STRING_PLAIN),
                     json_object_to_json_string_ext(theirs, JSON_C_TO_STRING_PLAIN));
    json_object_put(mine);
    json_object_put(theirs);
}

START_TEST(test_edge_builds_the_same_object_as_json_c)
{
    static const char *const bodies[] = {
        "{}",
        "{\"a\":[]}",
        " {\"a\" : [ 1 , -2 , 0 , -0 , 1.50 , 150.001 , 1e2 , 1E-2 , -0.0 , 2.5e+3 ] } ",
        "{\"big\":9223372036854775807,\"bigger\":9223372036854775808,"
        "\"huge\":123456789012345678901234567890,\"neg\":-9223372036854775808,"
        "\"negbig\":-99999999999999999999999,\"dbl\":1e999,\"tiny\":-1e-999}",
        "{\"t\":true,\"f\":false,\"n\":null,\"arr\":[null,true,false,null],\"o\":{\"n\":null}}",
        "{\"s\":\"\",\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"u\":\"\\u00e9\\u4e2d\\ud83d\\ude00\","
        "\"nul\":\"a\\u0000b\",\"raw\":\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"}",
        "{\"k\\u00e9y\":1,\"k\\ty\":2}", /* a key with \u0000 is refused (see above) */
        "{\"a\":1,\"b\":2,\"a\":3,\"c\":{\"x\":[1],\"x\":[2,3]},\"b\":null}",
        "{\"deep\":[[[[[[[[[[{\"x\":[[]]}]]]]]]]]]]}",
        "{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,"
        "\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,\"k15\":15,\"k16\":16,"
        "\"k17\":17,\"k18\":18,\"k2\":\"again\"}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++)
        assert_built_like_json_c(bodies[i], strlen(bodies[i]));
    /* A long key and a long escaped string (past the on-stack buffers). */
    char long_body[4096];
    int n = snprintf(long_body, sizeof long_body, "{\"");
    for (int i = 0; i < 300; i++)
        long_body[n++] = 'k';
    n += snprintf(long_body + n, sizeof long_body - (size_t)n, "\":\"");
    for (int i = 0; i < 200; i++) /* 1,600 bytes escaped, 600 decoded */
        n += snprintf(long_body + n, sizeof long_body - (size_t)n, "\\n\\u00e9");
    n += snprintf(long_body + n, sizeof long_body - (size_t)n, "\",\"num\":");
    for (int i = 0; i < 80; i++)
        long_body[n++] = '7';
    n += snprintf(long_body + n, sizeof long_body - (size_t)n, ".5}");
    assert_built_like_json_c(long_body, (size_t)n);
    static const char *const fixtures[] = {"claim_medical.json",   "claim_pharmacy.json",
                                           "group.json",           "member_child.json",
                                           "member_employee.json", "plan.json"};
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
        size_t len;
        char *text = read_fixture(fixtures[i], &len);
        assert_built_like_json_c(text, len);
        free(text);
    }
}
END_TEST

/* ---- suite ---- */

static Suite *parse_suite(void)
{
    Suite *s = suite_create("parse");
    TCase *tc = tcase_create("json_edge");
    tcase_add_test(tc, test_bytes_that_are_not_json_are_refused_as_not_json);
    tcase_add_test(tc, test_json_that_is_not_an_object_is_refused_as_invalid);
    tcase_add_test(tc, test_nesting_deeper_than_32_is_refused);
    tcase_add_test(tc, test_duplicate_keys_are_reported_at_their_paths);
    tcase_add_test(tc, test_a_key_holding_u0000_is_refused_naming_its_object);
    tcase_add_test(tc, test_valid_json_with_whitespace_and_unicode_is_accepted);
    tcase_add_test(tc, test_json_c_keeps_the_text_of_a_parsed_double);
    tcase_add_test(tc, test_edge_builds_the_same_object_as_json_c);
    suite_add_tcase(s, tc);

    tc = tcase_create("field_errors");
    tcase_add_test(tc, test_error_body_renders_code_message_and_fields);
    tcase_add_test(tc, test_error_list_is_bounded_with_a_truncation_marker);
    tcase_add_test(tc, test_paths_quote_code_keys_and_hide_other_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("codes");
    tcase_add_test(tc, test_ndc_normalisation_table);
    tcase_add_test(tc, test_npi_check_digit);
    tcase_add_test(tc, test_icd10_shapes_and_normalisation);
    tcase_add_test(tc, test_procedure_code_and_modifier_shapes);
    suite_add_tcase(s, tc);

    tc = tcase_create("claims");
    tcase_add_test(tc, test_medical_fixture_parses_with_normalised_codes);
    tcase_add_test(tc, test_pharmacy_fixture_parses_with_normalised_ndc_and_trimmed_names);
    tcase_add_loop_test(tc, test_each_validation_class_reports_its_path_and_problem, 0,
                        (int)(sizeof one_problem_cases / sizeof *one_problem_cases));
    tcase_add_test(tc, test_accepted_edge_values);
    tcase_add_test(tc, test_staff_may_set_received_date_not_in_the_future);
    tcase_add_test(tc, test_all_problems_are_reported_at_once);
    tcase_add_test(tc, test_missing_type_still_checks_the_common_fields);
    tcase_add_test(tc, test_too_many_lines_and_a_full_error_list);
    tcase_add_test(tc, test_errors_never_echo_submitted_values);
    tcase_add_test(tc, test_money_text_through_the_whole_edge);
    tcase_add_test(tc, test_claim_from_body_statuses);
    tcase_add_test(tc, test_claims_round_trip_through_canonical_json);
    tcase_add_test(tc, test_fractional_quantity_round_trips);
    tcase_add_test(tc, test_written_canonical_json_equals_the_tree_for_the_fixtures);
    tcase_add_test(tc, test_written_names_escape_quotes_backslashes_and_keep_utf8);
    tcase_add_test(tc, test_written_strings_escape_every_control_character);
    tcase_add_test(tc, test_strbuf_json_string_and_integers);
    suite_add_tcase(s, tc);

    tc = tcase_create("enrollment");
    tcase_add_test(tc, test_group_fixture_and_its_rules);
    tcase_add_test(tc, test_member_fixtures_parse);
    tcase_add_loop_test(tc, test_member_rules_report_their_path_and_problem, 0,
                        (int)(sizeof member_cases / sizeof *member_cases));
    tcase_add_test(tc, test_member_cobra_span_with_all_its_months);
    tcase_add_test(tc, test_member_grandchild_names_its_parent);
    tcase_add_test(tc, test_member_child_of_separated_parents_round_trips);
    tcase_add_test(tc, test_plan_fixture_parses_sorted_and_normalised);
    tcase_add_test(tc, test_plan_defaults_when_limits_are_absent);
    tcase_add_test(tc, test_plan_with_empty_fee_schedule_and_formulary);
    tcase_add_loop_test(tc, test_plan_rules_report_their_path_and_problem, 0,
                        (int)(sizeof plan_cases / sizeof *plan_cases));
    tcase_add_test(tc, test_enrollment_round_trips_through_canonical_json);
    tcase_add_test(tc, test_span_termination_reported_on_round_trips);
    tcase_add_test(tc, test_enrollment_from_body_statuses);
    tcase_add_test(tc, test_enrollment_cache_hits_the_same_text_and_sees_a_changed_record_at_once);
    tcase_add_test(tc, test_enrollment_cache_shares_a_plan_and_keeps_it_through_the_batch);
    suite_add_tcase(s, tc);

    tc = tcase_create("allocation_failures");
    tcase_add_test(tc, test_every_allocation_failure_is_refused_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(parse_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
