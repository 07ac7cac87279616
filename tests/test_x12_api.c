/*
 * POST /v1/x12 end to end (docs/x12.md): a real claimsd on a real socket
 * with a real redis-server. The 837 files of tests/fixtures/x12 are sent and
 * their 999 and 277CA answers checked segment by segment, element by element;
 * then the claims are read back with exactly the mapped fields; replays,
 * roles, the TA1 and the JSON errors.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/harness.h"

#define ADMIN "x12-tests-bootstrap-admin-token-0123456789"
#define NPI_A "1245319599"
#define NPI_B "1003000126"

static struct test_redis redis;
static struct test_claimsd server;
static char staff[80], member[80], provider_a[80], provider_b[80];

static void setup(void)
{
    test_start_redis_and_claimsd(&redis, &server, ADMIN, NULL);
    test_put_sample_enrollment(&server, ADMIN, "G100", "M1001 M1001-02");
    test_create_token(&server, ADMIN, "{\"role\":\"staff\"}", staff);
    test_create_token(&server, ADMIN, "{\"role\":\"member\",\"member_id\":\"M1001\"}", member);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_A "\"}", provider_a);
    test_create_token(&server, ADMIN, "{\"role\":\"provider\",\"npi\":\"" NPI_B "\"}", provider_b);
}

static void teardown(void)
{
    test_stop_claimsd_and_redis(&server, &redis);
}

/* ---- helpers ---- */

static char *fixture(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/x12/%s", name);
    char *text = test_read_source(path);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* Every occurrence of from replaced by to (same length). */
static void replace_all(char *text, const char *from, const char *to)
{
    size_t n = strlen(from);
    ck_assert_uint_eq(strlen(to), n);
    for (char *p = strstr(text, from); p; p = strstr(p + n, from))
        memcpy(p, to, n);
}

static void post_x12(const char *token, const char *content_type, const char *body,
                     struct test_response *res)
{
    char url[128], auth[128], ct[128];
    snprintf(url, sizeof url, "%s/v1/x12", server.base_url);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
    ck_assert_int_eq(test_http("POST", url, (const char *const[]){auth, ct, NULL}, body, res), 0);
}

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool uuid_shape(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

#define MAX_SEGS 200

/* The answer cut into segments (without terminators), its delimiters read
 * from its own ISA the way any reader would. */
struct answer {
    char *copy;
    const char *segs[MAX_SEGS];
    int n;
    char el, comp, term;
    char control[10], time4[5], date8[9], ids[8][37];
    int n_ids;
};

static void answer_read(struct answer *a, const char *body)
{
    memset(a, 0, sizeof *a);
    ck_assert_uint_ge(strlen(body), 106);
    ck_assert(strncmp(body, "ISA", 3) == 0);
    a->el = body[3];
    a->comp = body[104];
    a->term = body[105];
    a->copy = strdup(body);
    char *p = a->copy;
    while (*p) {
        char *e = strchr(p, a->term);
        ck_assert_ptr_nonnull(e); /* every segment is terminated */
        *e = '\0';
        ck_assert_int_lt(a->n, MAX_SEGS);
        a->segs[a->n++] = p;
        p = e + 1;
    }
    /* ISA13 and the time are ours: 9 digits, HHMM; the date is today (UTC). */
    memcpy(a->control, a->segs[0] + 90, 9);
    memcpy(a->time4, a->segs[0] + 77, 4);
    ck_assert_msg(all_digits(a->control, 9), "ISA13 %s", a->control);
    ck_assert_msg(all_digits(a->time4, 4), "ISA10 %s", a->time4);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(a->date8, sizeof a->date8, "%Y%m%d", &tm);
    /* The claim ids: every REF*1K, in order. */
    char prefix[8];
    snprintf(prefix, sizeof prefix, "REF%c1K%c", a->el, a->el);
    for (int i = 0; i < a->n; i++)
        if (strncmp(a->segs[i], prefix, 7) == 0) {
            ck_assert(uuid_shape(a->segs[i] + 7));
            snprintf(a->ids[a->n_ids++], sizeof a->ids[0], "%s", a->segs[i] + 7);
        }
}

static void answer_free(struct answer *a)
{
    free(a->copy);
}

/* Expected segments are written with '*' and ':' and these placeholders:
 * {CTL} our ISA13, {D8} today CCYYMMDD, {D6} today YYMMDD, {TM} our time,
 * {ID1}.. the claim ids in order. */
static void expand(const struct answer *a, const char *tmpl, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = tmpl; *p && n + 40 < size;) {
        const char *v = NULL;
        size_t skip = 0;
        if (strncmp(p, "{CTL}", 5) == 0)
            v = a->control, skip = 5;
        else if (strncmp(p, "{D8}", 4) == 0)
            v = a->date8, skip = 4;
        else if (strncmp(p, "{D6}", 4) == 0)
            v = a->date8 + 2, skip = 4;
        else if (strncmp(p, "{TM}", 4) == 0)
            v = a->time4, skip = 4;
        else if (strncmp(p, "{ID", 3) == 0 && p[3] >= '1' && p[3] <= '8' && p[4] == '}')
            v = a->ids[p[3] - '1'], skip = 5;
        if (v) {
            n += (size_t)snprintf(out + n, size - n, "%s", v);
            p += skip;
            continue;
        }
        out[n++] = *p == '*' ? a->el : *p == ':' ? a->comp : *p;
        p++;
    }
    out[n] = '\0';
}

static void expect_answer(const struct answer *a, const char *const *expected)
{
    int n = 0;
    for (; expected[n]; n++) {
        char want[512];
        expand(a, expected[n], want, sizeof want);
        ck_assert_msg(n < a->n, "answer ends before segment %d (%s)", n + 1, want);
        ck_assert_str_eq(a->segs[n], want);
    }
    ck_assert_int_eq(a->n, n);
}

static void get_claim(const char *token, const char *id, struct test_response *res)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    test_api(&server, "GET", path, token, NULL, NULL, res);
    ck_assert_int_eq(res->status, 200);
}

static int claims_visible_to(const char *token)
{
    struct test_response res;
    test_api(&server, "GET", "/v1/claims?limit=500", token, NULL, NULL, &res);
    ck_assert_int_eq(res.status, 200);
    int n = test_json_len(res.body, "claims");
    test_response_free(&res);
    return n;
}

static const char *const isa_to_northside = "ISA*00*          *00*          *ZZ*CLAIMSD        "
                                            "*ZZ*NORTHSIDE      *{D6}*{TM}*^*00501*{CTL}*0*T*:";

/* ---- tests ---- */

START_TEST(test_837p_several_claims_and_lines_are_accepted_and_stored_as_mapped)
{
    char *file = fixture("837p_claims.x12");
    struct test_response res;
    post_x12(provider_a, "application/edi-x12", file, &res);
    ck_assert_int_eq(res.status, 200);
    char ct[64];
    ck_assert(test_response_header(&res, "Content-Type", ct, sizeof ct));
    ck_assert_str_eq(ct, "application/edi-x12");
    struct answer a;
    answer_read(&a, res.body);
    ck_assert_int_eq(a.n_ids, 3);
    const char *const expected[] = {
        isa_to_northside,
        "GS*FA*CLAIMSD*NORTHSIDE*{D8}*{TM}*1*X*005010X231A1",
        "ST*999*0001*005010X231A1",
        "AK1*HC*1*005010X222A1",
        "AK2*837*0001*005010X222A1",
        "IK5*A",
        "AK9*A*1*1*1",
        "SE*6*0001",
        "GE*1*1",
        "GS*HN*CLAIMSD*NORTHSIDE*{D8}*{TM}*2*X*005010X214",
        "ST*277*0001*005010X214",
        "BHT*0085*08*{CTL}1*{D8}*{TM}*TH",
        "HL*1**20*1",
        "NM1*PR*2*CLAIMSD HEALTH PLAN*****46*CLAIMSD",
        "TRN*1*{CTL}1",
        "DTP*050*D8*{D8}",
        "DTP*009*D8*{D8}",
        "HL*2*1*21*1",
        "NM1*41*2*NORTHSIDE CLINIC*****46*SUB12345",
        "TRN*2*BATCH0001",
        "STC*A1:19:PR*{D8}*WQ*450.5",
        "QTY*90*3",
        "AMT*YU*450.5",
        "HL*3*2*19*1",
        "NM1*85*2*NORTHSIDE CLINIC*****XX*" NPI_A,
        "TRN*1*0",
        "HL*4*3*PT",
        "NM1*QC*1*Lopez*Luis****MI*M1001",
        "TRN*2*PCN-1001-A",
        "STC*A2:20*{D8}*WQ*250",
        "REF*1K*{ID1}",
        "REF*D9*CH-TRACE-77",
        "DTP*472*D8*20261102",
        "HL*5*3*PT",
        "NM1*QC*1*Lopez*Luis****MI*M1001",
        "TRN*2*PCN-1001-B",
        "STC*A2:20*{D8}*WQ*80",
        "REF*1K*{ID2}",
        "DTP*472*D8*20261109",
        "HL*6*3*PT",
        "NM1*QC*1*Lopez*Ana****MI*M1001-02",
        "TRN*2*PCN-1002",
        "STC*A2:20*{D8}*WQ*120.5",
        "REF*1K*{ID3}",
        "DTP*472*D8*20261110",
        "SE*36*0001",
        "GE*1*2",
        "IEA*2*{CTL}",
        NULL,
    };
    expect_answer(&a, expected);

    /* The claims, exactly as mapped (docs/x12.md "Claims in (837)"). */
    struct test_response c;
    get_claim(provider_a, a.ids[0], &c);
    const char *b = c.body;
    ck_assert_str_eq(test_json_str(b, "type"), "medical");
    ck_assert_str_eq(test_json_str(b, "member_id"), "M1001");
    ck_assert_str_eq(test_json_str(b, "submitted.member_id"), "M1001");
    ck_assert_str_eq(test_json_str(b, "submitted.patient.first_name"), "Luis");
    ck_assert_str_eq(test_json_str(b, "submitted.patient.last_name"), "Lopez");
    ck_assert_str_eq(test_json_str(b, "submitted.patient.birth_date"), "1975-09-14");
    ck_assert_str_eq(test_json_str(b, "submitted.patient_control_number"), "PCN-1001-A");
    ck_assert_str_eq(test_json_str(b, "submitted.assignment_of_benefits"), "true");
    ck_assert_str_eq(test_json_str(b, "submitted.provider.npi"), NPI_A);
    ck_assert_str_eq(test_json_str(b, "submitted.provider.name"), "NORTHSIDE CLINIC");
    ck_assert_str_eq(test_json_str(b, "submitted.provider.network"), "in");
    ck_assert_str_eq(test_json_str(b, "submitted.provider.facility"), "false");
    ck_assert_str_eq(test_json_str(b, "submitted.inpatient"), "false");
    ck_assert_str_eq(test_json_str(b, "submitted.itemized_bill"), "true");
    ck_assert_int_eq(test_json_len(b, "submitted.diagnosis_codes"), 2);
    ck_assert_str_eq(test_json_str(b, "submitted.diagnosis_codes.0"), "J20.9");
    ck_assert_str_eq(test_json_str(b, "submitted.diagnosis_codes.1"), "R05");
    ck_assert_int_eq(test_json_len(b, "submitted.lines"), 2);
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.service_date"), "2026-11-02");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.procedure_code"), "99213");
    ck_assert_int_eq(test_json_len(b, "submitted.lines.0.modifiers"), 1);
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.modifiers.0"), "25");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.units"), "1");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.charge"), "150.00");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.1.procedure_code"), "87880");
    ck_assert_int_eq(test_json_len(b, "submitted.lines.1.modifiers"), 0);
    ck_assert_str_eq(test_json_str(b, "submitted.lines.1.units"), "2");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.1.charge"), "100.00");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.1.revenue_code"), "");
    test_response_free(&c);

    get_claim(staff, a.ids[1], &c);
    b = c.body;
    ck_assert_str_eq(test_json_str(b, "submitted.patient_control_number"), "PCN-1001-B");
    ck_assert_str_eq(test_json_str(b, "submitted.assignment_of_benefits"), "false");
    ck_assert_str_eq(test_json_str(b, "submitted.diagnosis_codes.0"), "M54.5");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.procedure_code"), "97110");
    ck_assert_int_eq(test_json_len(b, "submitted.lines.0.modifiers"), 2);
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.modifiers.0"), "GP");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.modifiers.1"), "59");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.service_date"), "2026-11-09");
    test_response_free(&c);

    get_claim(staff, a.ids[2], &c);
    b = c.body;
    ck_assert_str_eq(test_json_str(b, "member_id"), "M1001-02");
    ck_assert_str_eq(test_json_str(b, "submitted.patient.first_name"), "Ana");
    ck_assert_str_eq(test_json_str(b, "submitted.patient.birth_date"), "2015-06-10");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.charge"), "120.50");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.procedure_code"), "99214");
    test_response_free(&c);

    /* The same audit as a JSON submission. */
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s/audit", a.ids[0]);
    test_api(&server, "GET", path, staff, NULL, NULL, &c);
    ck_assert_int_eq(c.status, 200);
    ck_assert_str_eq(test_json_str(c.body, "entries.0.action"), "claim.submit");
    ck_assert_str_eq(test_json_str(c.body, "entries.0.role"), "provider");
    test_response_free(&c);

    /* Sent again: the first answer, byte for byte, and no new claim. */
    ck_assert_int_eq(claims_visible_to(provider_a), 3);
    struct test_response again;
    post_x12(provider_a, "application/edi-x12", file, &again);
    ck_assert_int_eq(again.status, 200);
    char replayed[16];
    ck_assert(test_response_header(&again, "X12-Replayed", replayed, sizeof replayed));
    ck_assert_str_eq(replayed, "true");
    ck_assert_str_eq(again.body, res.body);
    ck_assert_int_eq(claims_visible_to(provider_a), 3);
    test_response_free(&again);

    /* Another submitter with the same sender and ISA13: refused, nothing shown. */
    post_x12(provider_b, "application/edi-x12", file, &again);
    ck_assert_int_eq(again.status, 409);
    ck_assert_str_eq(test_json_str(again.body, "error.code"), "x12_control_number_used");
    test_response_free(&again);

    answer_free(&a);
    test_response_free(&res);
    free(file);
}
END_TEST

START_TEST(test_837i_inpatient_stay_with_its_own_delimiters)
{
    char *file = fixture("837i_inpatient.x12");
    struct test_response res;
    post_x12(provider_b, "application/edi-x12; charset=us-ascii", file, &res);
    ck_assert_int_eq(res.status, 200);
    struct answer a;
    answer_read(&a, res.body);
    /* The answer speaks the file's delimiters: | > ! ~. */
    ck_assert_int_eq(a.el, '|');
    ck_assert_int_eq(a.comp, '>');
    ck_assert_int_eq(a.segs[0][82], '!');
    ck_assert_int_eq(a.n_ids, 1);
    const char *const expected[] = {
        "ISA*00*          *00*          *ZZ*CLAIMSD        *ZZ*BAYHOSP01      "
        "*{D6}*{TM}*!*00501*{CTL}*0*T*:",
        "GS*FA*CLAIMSD*BAYHOSP01*{D8}*{TM}*1*X*005010X231A1",
        "ST*999*0001*005010X231A1",
        "AK1*HC*1*005010X223A2",
        "AK2*837*0001*005010X223A2",
        "IK5*A",
        "AK9*A*1*1*1",
        "SE*6*0001",
        "GE*1*1",
        "GS*HN*CLAIMSD*BAYHOSP01*{D8}*{TM}*2*X*005010X214",
        "ST*277*0001*005010X214",
        "BHT*0085*08*{CTL}1*{D8}*{TM}*TH",
        "HL*1**20*1",
        "NM1*PR*2*CLAIMSD HEALTH PLAN*****46*CLAIMSD",
        "TRN*1*{CTL}1",
        "DTP*050*D8*{D8}",
        "DTP*009*D8*{D8}",
        "HL*2*1*21*1",
        "NM1*41*2*BAYSIDE HOSPITAL*****46*BAYHOSP01",
        "TRN*2*INST0001",
        "STC*A1:19:PR*{D8}*WQ*4200",
        "QTY*90*1",
        "AMT*YU*4200",
        "HL*3*2*19*1",
        "NM1*85*2*BAYSIDE HOSPITAL*****XX*" NPI_B,
        "TRN*1*0",
        "HL*4*3*PT",
        "NM1*QC*1*Lopez*Luis****MI*M1001",
        "TRN*2*HOSP-5501",
        "STC*A2:20*{D8}*WQ*4200",
        "REF*1K*{ID1}",
        "REF*BLT*111",
        "DTP*472*RD8*20261103-20261106",
        "SE*24*0001",
        "GE*1*2",
        "IEA*2*{CTL}",
        NULL,
    };
    /* The ISA's last element is the component separator: '>' here. */
    char isa[160];
    expand(&a, expected[0], isa, sizeof isa);
    ck_assert_int_eq(isa[104], '>');
    expect_answer(&a, expected);

    struct test_response c;
    get_claim(provider_b, a.ids[0], &c);
    const char *b = c.body;
    ck_assert_str_eq(test_json_str(b, "submitted.patient_control_number"), "HOSP-5501");
    ck_assert_str_eq(test_json_str(b, "submitted.provider.npi"), NPI_B);
    ck_assert_str_eq(test_json_str(b, "submitted.provider.name"), "BAYSIDE HOSPITAL");
    ck_assert_str_eq(test_json_str(b, "submitted.provider.network"), "in");
    ck_assert_str_eq(test_json_str(b, "submitted.provider.facility"), "true");
    ck_assert_str_eq(test_json_str(b, "submitted.inpatient"), "true");
    ck_assert_str_eq(test_json_str(b, "submitted.itemized_bill"), "true");
    ck_assert_int_eq(test_json_len(b, "submitted.diagnosis_codes"), 4);
    ck_assert_str_eq(test_json_str(b, "submitted.diagnosis_codes.0"), "J18.9");
    ck_assert_str_eq(test_json_str(b, "submitted.diagnosis_codes.1"), "R50.9");
    ck_assert_str_eq(test_json_str(b, "submitted.diagnosis_codes.2"), "E11.9");
    ck_assert_str_eq(test_json_str(b, "submitted.diagnosis_codes.3"), "I10");
    ck_assert_int_eq(test_json_len(b, "submitted.lines"), 3);
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.revenue_code"), "0450");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.procedure_code"), "99285");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.service_date"), "2026-11-03");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.0.charge"), "1200.00");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.1.revenue_code"), "0300");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.1.service_date"), "2026-11-04");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.2.revenue_code"), "0360");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.2.procedure_code"), "44970");
    /* No DTP*472 on the line: the statement's first day. */
    ck_assert_str_eq(test_json_str(b, "submitted.lines.2.service_date"), "2026-11-03");
    ck_assert_str_eq(test_json_str(b, "submitted.lines.2.charge"), "2850.00");
    test_response_free(&c);
    answer_free(&a);
    test_response_free(&res);
    free(file);
}
END_TEST

START_TEST(test_a_syntax_error_rejects_the_set_in_the_999_and_stores_nothing)
{
    char *file = fixture("837p_syntax_error.x12");
    int before = claims_visible_to(staff);
    struct test_response res;
    post_x12(staff, "application/edi-x12", file, &res);
    ck_assert_int_eq(res.status, 200);
    struct answer a;
    answer_read(&a, res.body);
    const char *const expected[] = {
        isa_to_northside,
        "GS*FA*CLAIMSD*NORTHSIDE*{D8}*{TM}*1*X*005010X231A1",
        "ST*999*0001*005010X231A1",
        "AK1*HC*1*005010X222A1",
        "AK2*837*0001*005010X222A1",
        /* CLM02 "25O": the 16th segment of the set, loop 2300, element 2
         * (data element 782) has an invalid character. */
        "IK3*CLM*16*2300*8",
        "CTX*CLM01:PCN-1001-A",
        "IK4*2*782*6",
        "IK5*R*5",
        "AK9*R*1*1*0",
        "SE*9*0001",
        "GE*1*1",
        "IEA*1*{CTL}",
        NULL,
    };
    expect_answer(&a, expected);
    ck_assert_int_eq(claims_visible_to(staff), before);
    answer_free(&a);
    test_response_free(&res);
    free(file);
}
END_TEST

START_TEST(test_a_bad_npi_rejects_each_claim_in_the_277ca_naming_nm109)
{
    char *file = fixture("837p_bad_npi.x12");
    int before = claims_visible_to(staff);
    struct test_response res;
    post_x12(staff, "application/edi-x12", file, &res);
    ck_assert_int_eq(res.status, 200);
    struct answer a;
    answer_read(&a, res.body);
    ck_assert_int_eq(a.n_ids, 0);
    const char *const expected[] = {
        isa_to_northside,
        "GS*FA*CLAIMSD*NORTHSIDE*{D8}*{TM}*1*X*005010X231A1",
        "ST*999*0001*005010X231A1",
        "AK1*HC*1*005010X222A1",
        "AK2*837*0001*005010X222A1",
        "IK5*A",
        "AK9*A*1*1*1",
        "SE*6*0001",
        "GE*1*1",
        "GS*HN*CLAIMSD*NORTHSIDE*{D8}*{TM}*2*X*005010X214",
        "ST*277*0001*005010X214",
        "BHT*0085*08*{CTL}1*{D8}*{TM}*TH",
        "HL*1**20*1",
        "NM1*PR*2*CLAIMSD HEALTH PLAN*****46*CLAIMSD",
        "TRN*1*{CTL}1",
        "DTP*050*D8*{D8}",
        "DTP*009*D8*{D8}",
        "HL*2*1*21*1",
        "NM1*41*2*NORTHSIDE CLINIC*****46*SUB12345",
        "TRN*2*BATCH0001",
        "STC*A1:19:PR*{D8}*WQ*450.5",
        "QTY*AA*3",
        "AMT*YY*450.5",
        "HL*3*2*19*1",
        "NM1*85*2*NORTHSIDE CLINIC*****XX*1245319598",
        "TRN*1*0",
        "HL*4*3*PT",
        "NM1*QC*1*Lopez*Luis****MI*M1001",
        "TRN*2*PCN-1001-A",
        "STC*A7:562:85*{D8}*U*250********2010AA NM109 NPI check digit is wrong",
        "REF*D9*CH-TRACE-77",
        "DTP*472*D8*20261102",
        "HL*5*3*PT",
        "NM1*QC*1*Lopez*Luis****MI*M1001",
        "TRN*2*PCN-1001-B",
        "STC*A7:562:85*{D8}*U*80********2010AA NM109 NPI check digit is wrong",
        "DTP*472*D8*20261109",
        "HL*6*3*PT",
        "NM1*QC*1*Lopez*Ana****MI*M1001-02",
        "TRN*2*PCN-1002",
        "STC*A7:562:85*{D8}*U*120.5********2010AA NM109 NPI check digit is wrong",
        "DTP*472*D8*20261110",
        "SE*33*0001",
        "GE*1*2",
        "IEA*2*{CTL}",
        NULL,
    };
    expect_answer(&a, expected);
    ck_assert_int_eq(claims_visible_to(staff), before);
    answer_free(&a);
    test_response_free(&res);
    free(file);
}
END_TEST

START_TEST(test_a_provider_files_only_under_its_own_npi)
{
    char *file = fixture("837p_claims.x12");
    replace_all(file, "000000101", "000000111"); /* a new interchange (ISA13, IEA02) */
    int before = claims_visible_to(provider_b);
    struct test_response res;
    post_x12(provider_b, "application/edi-x12", file, &res);
    ck_assert_int_eq(res.status, 200);
    struct answer a;
    answer_read(&a, res.body);
    ck_assert_int_eq(a.n_ids, 0);
    int stc = 0;
    for (int i = 0; i < a.n; i++) {
        char want[200];
        if (strncmp(a.segs[i], "STC*A", 5) != 0 || strncmp(a.segs[i], "STC*A1", 6) == 0)
            continue;
        expand(&a, "STC*A3:24:85*{D8}*U*", want, sizeof want);
        ck_assert(strncmp(a.segs[i], want, strlen(want)) == 0);
        const char *text = strrchr(a.segs[i], '*') + 1;
        ck_assert_str_eq(text, "2010AA NM109 is not the NPI of the submitting provider");
        stc++;
    }
    ck_assert_int_eq(stc, 3);
    ck_assert_int_eq(claims_visible_to(provider_b), before);
    answer_free(&a);
    test_response_free(&res);
    free(file);
}
END_TEST

START_TEST(test_bytes_that_are_not_an_interchange_and_broken_envelopes)
{
    struct test_response res;
    post_x12(staff, "application/edi-x12", "hello, this is not X12", &res);
    ck_assert_int_eq(res.status, 400);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "invalid_x12");
    ck_assert_str_eq(test_json_str(res.body, "error.message"),
                     "the body is not an X12 interchange: it does not start with ISA");
    test_response_free(&res);

    post_x12(staff, "application/edi-x12", "ISA*00*short~", &res);
    ck_assert_int_eq(res.status, 400);
    ck_assert_str_eq(test_json_str(res.body, "error.message"),
                     "the ISA segment is not 106 bytes with usable delimiters");
    test_response_free(&res);

    char *file = fixture("837p_claims.x12");
    post_x12(staff, "application/json", file, &res);
    ck_assert_int_eq(res.status, 415);
    ck_assert_str_eq(test_json_str(res.body, "error.code"), "unsupported_media_type");
    test_response_free(&res);

    post_x12(member, "application/edi-x12", file, &res);
    ck_assert_int_eq(res.status, 403);
    test_response_free(&res);

    /* IEA02 differs from ISA13: a TA1 rejects the interchange (TA105 001). */
    char *iea = strstr(file, "IEA*1*000000101");
    ck_assert_ptr_nonnull(iea);
    memcpy(iea, "IEA*1*000000109", 15);
    post_x12(staff, "application/edi-x12", file, &res);
    ck_assert_int_eq(res.status, 200);
    struct answer a;
    answer_read(&a, res.body);
    const char *const ta1[] = {isa_to_northside, "TA1*000000101*261120*1030*R*001", "IEA*0*{CTL}",
                               NULL};
    expect_answer(&a, ta1);
    answer_free(&a);
    test_response_free(&res);

    /* No IEA at all: 023, premature end. */
    *iea = '\0';
    post_x12(staff, "application/edi-x12", file, &res);
    ck_assert_int_eq(res.status, 200);
    answer_read(&a, res.body);
    const char *const ta1_end[] = {isa_to_northside, "TA1*000000101*261120*1030*R*023",
                                   "IEA*0*{CTL}", NULL};
    expect_answer(&a, ta1_end);
    answer_free(&a);
    test_response_free(&res);
    free(file);
}
END_TEST

struct race {
    const char *body;
    struct test_response res;
};

static void *race_post(void *arg)
{
    struct race *r = arg;
    post_x12(staff, "application/edi-x12", r->body, &r->res);
    return NULL;
}

START_TEST(test_concurrent_copies_of_one_interchange_store_one_set_of_claims)
{
    char *file = fixture("837p_claims.x12");
    replace_all(file, "000000101", "000000121");
    int before = claims_visible_to(staff);
    struct race races[6];
    pthread_t threads[6];
    for (int i = 0; i < 6; i++) {
        races[i].body = file;
        pthread_create(&threads[i], NULL, race_post, &races[i]);
    }
    for (int i = 0; i < 6; i++)
        pthread_join(threads[i], NULL);
    int answered = 0;
    for (int i = 0; i < 6; i++) {
        /* 200 (the first answer or a replay of it) or 409 while it was being made. */
        if (races[i].res.status == 200)
            answered++;
        else
            ck_assert_int_eq(races[i].res.status, 409);
    }
    ck_assert_int_ge(answered, 1);
    ck_assert_int_eq(claims_visible_to(staff), before + 3);
    /* Afterwards every copy gets the same answer. */
    struct test_response res;
    post_x12(staff, "application/edi-x12", file, &res);
    ck_assert_int_eq(res.status, 200);
    for (int i = 0; i < 6; i++) {
        if (races[i].res.status == 200)
            ck_assert_str_eq(races[i].res.body, res.body);
        test_response_free(&races[i].res);
    }
    ck_assert_int_eq(claims_visible_to(staff), before + 3);
    test_response_free(&res);
    free(file);
}
END_TEST

static Suite *x12_api_suite(void)
{
    Suite *s = suite_create("x12_api");
    TCase *tc = tcase_create("x12");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_837p_several_claims_and_lines_are_accepted_and_stored_as_mapped);
    tcase_add_test(tc, test_837i_inpatient_stay_with_its_own_delimiters);
    tcase_add_test(tc, test_a_syntax_error_rejects_the_set_in_the_999_and_stores_nothing);
    tcase_add_test(tc, test_a_bad_npi_rejects_each_claim_in_the_277ca_naming_nm109);
    tcase_add_test(tc, test_a_provider_files_only_under_its_own_npi);
    tcase_add_test(tc, test_bytes_that_are_not_an_interchange_and_broken_envelopes);
    tcase_add_test(tc, test_concurrent_copies_of_one_interchange_store_one_set_of_claims);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(x12_api_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
