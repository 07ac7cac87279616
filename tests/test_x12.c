/*
 * The X12 tokenizer, envelope checks, 837 mapping and answer writer
 * (codec/x12*.c), without I/O: exact values for good and hostile input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "codec/x12.h"
#include "codec/x12_837.h"
#include "codec/x12_ack.h"

#define ISA_STAR                                                                                   \
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*CLAIMSD        *261120*1030*^*00501*"   \
    "000000001*0*T*:~"

/* A whole 837P interchange around the given 2000A..2400 segments
 * ("~"-terminated, '*' and ':'), with counts that match. */
static char *wrap_837p(const char *body, int body_segments)
{
    char *out = malloc(strlen(body) + 1024);
    sprintf(out,
            ISA_STAR "GS*HC*SENDER*CLAIMSD*20261120*1030*7*X*005010X222A1~"
                     "ST*837*0001*005010X222A1~BHT*0019*00*B1*20261120*1030*CH~"
                     "NM1*41*2*SUBMITTER*****46*S1~NM1*40*2*PAYER*****46*CLAIMSD~"
                     "%sSE*%d*0001~GE*1*7~IEA*1*000000001~",
            body, body_segments + 5);
    return out;
}

static const char *const claim_body =
    "HL*1**20*1~NM1*85*2*CLINIC*****XX*1245319599~HL*2*1*22*0~"
    "NM1*IL*1*Lopez*Luis****MI*M1001~DMG*D8*19750914*M~"
    "CLM*P1*150***11:B:1*Y*A*Y*Y~HI*ABK:J209~LX*1~SV1*HC:99213:25*150*UN*1***1~"
    "DTP*472*D8*20261102~";

/* ---- tokenizer ---- */

START_TEST(test_tokenizer_reads_the_isa_delimiters_and_splits)
{
    const char *in = "ISA|00|          |00|          |ZZ|A              |ZZ|B              |261120|"
                     "1030|!|00501|000000001|0|T|>\r\nGS|HC|A|B|20261120|1030|1|X|005010X222A1\r\n"
                     "IEA|1|000000001\r\n";
    struct codec_x12_doc doc;
    int at = -1;
    ck_assert_int_eq(codec_x12_tokenize(in, strlen(in), &doc, &at), CODEC_X12_OK);
    ck_assert_int_eq(doc.d.element, '|');
    ck_assert_int_eq(doc.d.repetition, '!');
    ck_assert_int_eq(doc.d.component, '>');
    ck_assert_int_eq(doc.d.segment, '\r');
    ck_assert_int_eq(doc.n_segs, 3);
    ck_assert_str_eq(doc.segs[0].el[0], "ISA");
    ck_assert_int_eq(doc.segs[0].n, 16);
    ck_assert_str_eq(codec_x12_el(&doc.segs[0], 6), "A              ");
    ck_assert_str_eq(codec_x12_el(&doc.segs[0], 16), ">");
    ck_assert_str_eq(doc.segs[1].el[0], "GS");
    ck_assert_int_eq(doc.segs[1].n, 8);
    ck_assert_str_eq(codec_x12_el(&doc.segs[1], 8), "005010X222A1");
    ck_assert_str_eq(codec_x12_el(&doc.segs[1], 9), "");
    ck_assert_str_eq(doc.segs[2].el[0], "IEA");
    ck_assert_str_eq(codec_x12_el(&doc.segs[2], 2), "000000001");
    codec_x12_doc_free(&doc);
}
END_TEST

START_TEST(test_tokenizer_refuses_hostile_input_with_a_status)
{
    struct codec_x12_doc doc;
    int at = -1;
    ck_assert_int_eq(codec_x12_tokenize("", 0, &doc, &at), CODEC_X12_NOT_ISA);
    ck_assert_int_eq(codec_x12_tokenize("{\"a\":1}", 7, &doc, &at), CODEC_X12_NOT_ISA);
    ck_assert_int_eq(codec_x12_tokenize("ISA*00*", 7, &doc, &at), CODEC_X12_BAD_ISA);
    char isa[200];
    /* A letter as the element separator. */
    snprintf(isa, sizeof isa, "%s", ISA_STAR);
    for (char *p = isa; *p; p++)
        if (*p == '*')
            *p = 'X';
    ck_assert_int_eq(codec_x12_tokenize(isa, strlen(isa), &doc, &at), CODEC_X12_BAD_ISA);
    /* The same separator twice. */
    snprintf(isa, sizeof isa, "%s", ISA_STAR);
    isa[104] = '^';
    ck_assert_int_eq(codec_x12_tokenize(isa, strlen(isa), &doc, &at), CODEC_X12_BAD_ISA);
    /* '-' is refused (claim ids and date ranges in the answers use it). */
    snprintf(isa, sizeof isa, "%s", ISA_STAR);
    isa[104] = '-';
    ck_assert_int_eq(codec_x12_tokenize(isa, strlen(isa), &doc, &at), CODEC_X12_BAD_ISA);
    /* An element separator out of its fixed place. */
    snprintf(isa, sizeof isa, "%s", ISA_STAR);
    isa[40] = '*';
    ck_assert_int_eq(codec_x12_tokenize(isa, strlen(isa), &doc, &at), CODEC_X12_BAD_ISA);
    /* A NUL byte. */
    char withnul[120];
    memcpy(withnul, ISA_STAR, 106);
    memcpy(withnul + 106, "GS\0*~", 5);
    ck_assert_int_eq(codec_x12_tokenize(withnul, 111, &doc, &at), CODEC_X12_BAD_CHARACTER);
    /* A bad segment id. */
    snprintf(isa, sizeof isa, "%sgs*HC~", ISA_STAR);
    ck_assert_int_eq(codec_x12_tokenize(isa, strlen(isa), &doc, &at), CODEC_X12_BAD_SEGMENT_ID);
    ck_assert_int_eq(at, 1);
    ck_assert_ptr_null(doc.buf);
}
END_TEST

START_TEST(test_tokenizer_limits)
{
    struct codec_x12_doc doc;
    int at = -1;
    /* A segment of 4,097 bytes. */
    size_t n = 106 + 4097 + 1;
    char *big = malloc(n + 1);
    memcpy(big, ISA_STAR, 106);
    memset(big + 106, 'A', 4097);
    big[n - 1] = '~';
    big[n] = '\0';
    ck_assert_int_eq(codec_x12_tokenize(big, n, &doc, &at), CODEC_X12_SEGMENT_TOO_LONG);
    ck_assert_int_eq(at, 1);
    /* 4,096 bytes is fine. */
    memcpy(big + 106, "NTE*", 4);
    big[106 + 4096] = '~';
    ck_assert_int_eq(codec_x12_tokenize(big, 106 + 4097, &doc, &at), CODEC_X12_OK);
    codec_x12_doc_free(&doc);
    free(big);
    /* 10,001 segments. */
    size_t m = 106 + 10000 * 3;
    char *many = malloc(m + 1);
    memcpy(many, ISA_STAR, 106);
    for (size_t i = 106; i < m; i += 3)
        memcpy(many + i, "LX~", 3);
    many[m] = '\0';
    ck_assert_int_eq(codec_x12_tokenize(many, m, &doc, &at), CODEC_X12_TOO_MANY_SEGMENTS);
    ck_assert_int_eq(codec_x12_tokenize(many, m - 3, &doc, &at), CODEC_X12_OK);
    ck_assert_int_eq(doc.n_segs, 10000);
    codec_x12_doc_free(&doc);
    free(many);
    /* 65 elements. */
    char el[300];
    snprintf(el, sizeof el, "%sHI", ISA_STAR);
    for (int i = 0; i < 65; i++)
        strcat(el, "*");
    strcat(el, "~");
    ck_assert_int_eq(codec_x12_tokenize(el, strlen(el), &doc, &at), CODEC_X12_TOO_MANY_ELEMENTS);
    /* Over 5 MiB. */
    size_t huge = CODEC_X12_MAX_BYTES + 1;
    char *h = malloc(huge);
    memset(h, 'A', huge);
    memcpy(h, "ISA", 3);
    ck_assert_int_eq(codec_x12_tokenize(h, huge, &doc, &at), CODEC_X12_TOO_LARGE);
    free(h);
}
END_TEST

START_TEST(test_element_types_and_components)
{
    char out[8];
    ck_assert_int_eq(codec_x12_component("HC:99213:25", ':', 1, out, sizeof out), 2);
    ck_assert_str_eq(out, "HC");
    ck_assert_int_eq(codec_x12_component("HC:99213:25", ':', 3, out, sizeof out), 2);
    ck_assert_str_eq(out, "25");
    ck_assert_int_eq(codec_x12_component("HC:99213:25", ':', 4, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(codec_x12_component("HC:123456789", ':', 2, out, sizeof out), -1);
    ck_assert_int_eq(codec_x12_component_count("HC:99213::", ':'), 4);
    ck_assert_int_eq(codec_x12_component_count("", ':'), 0);
    long long cents = 0;
    ck_assert(codec_x12_is_r_cents("120.5", 18, &cents));
    ck_assert_int_eq(cents, 12050);
    ck_assert(codec_x12_is_r_cents("-3", 18, &cents));
    ck_assert_int_eq(cents, -300);
    ck_assert(codec_x12_is_r_cents(".25", 18, &cents));
    ck_assert_int_eq(cents, 25);
    ck_assert(!codec_x12_is_r_cents("1.234", 18, NULL));
    ck_assert(!codec_x12_is_r_cents("1.2.3", 18, NULL));
    ck_assert(!codec_x12_is_r_cents("25O", 18, NULL));
    ck_assert(!codec_x12_is_r_cents("", 18, NULL));
    ck_assert(!codec_x12_is_r_cents("12345", 4, NULL));
    int y, m, d;
    ck_assert(codec_x12_is_date8("20240229", &y, &m, &d));
    ck_assert_int_eq(y * 10000 + m * 100 + d, 20240229);
    ck_assert(!codec_x12_is_date8("20230229", NULL, NULL, NULL));
    ck_assert(!codec_x12_is_date8("2024022", NULL, NULL, NULL));
    ck_assert(codec_x12_is_time("2359"));
    ck_assert(codec_x12_is_time("235959"));
    ck_assert(!codec_x12_is_time("2400"));
    ck_assert(!codec_x12_is_time("12"));
    ck_assert(codec_x12_is_an("AB C", 1, 4));
    ck_assert(!codec_x12_is_an("    ", 1, 4));
    ck_assert(!codec_x12_is_an("ABCDE", 1, 4));
    ck_assert(!codec_x12_is_an("A\x01", 1, 4));
    ck_assert(codec_x12_is_n0("0042", 1, 9));
    ck_assert(!codec_x12_is_n0("4.2", 1, 9));
}
END_TEST

/* ---- envelope ---- */

static bool envelope_of(const char *text, struct codec_x12_interchange *ix)
{
    struct codec_x12_doc doc;
    ck_assert_int_eq(codec_x12_tokenize(text, strlen(text), &doc, NULL), CODEC_X12_OK);
    bool ok = codec_x12_envelope(&doc, ix);
    codec_x12_doc_free(&doc);
    return ok;
}

START_TEST(test_envelope_counts_and_control_numbers)
{
    struct codec_x12_interchange *ix = malloc(sizeof *ix);
    char *good = wrap_837p(claim_body, 10);
    ck_assert(envelope_of(good, ix));
    ck_assert_ptr_null(ix->ta1_code);
    ck_assert_str_eq(ix->sender_qual, "ZZ");
    ck_assert_str_eq(ix->sender, "SENDER");
    ck_assert_str_eq(ix->receiver, "CLAIMSD");
    ck_assert_str_eq(ix->control, "000000001");
    ck_assert_str_eq(ix->date, "261120");
    ck_assert_int_eq(ix->usage, 'T');
    ck_assert_int_eq(ix->n_groups, 1);
    ck_assert_str_eq(ix->groups[0].control, "7");
    ck_assert_int_eq(ix->groups[0].ak9_code, 0);
    ck_assert_int_eq(ix->n_sets, 1);
    ck_assert_str_eq(ix->sets[0].control, "0001");
    ck_assert_str_eq(ix->sets[0].version, "005010X222A1");
    ck_assert_int_eq(ix->sets[0].ik5_code, 0);
    ck_assert_int_eq(ix->sets[0].se - ix->sets[0].st + 1, 15);
    free(good);

    /* SE01 off by one: IK5 4. */
    good = wrap_837p(claim_body, 11);
    ck_assert(envelope_of(good, ix));
    ck_assert_int_eq(ix->sets[0].ik5_code, 4);
    free(good);

    /* SE02 differs from ST02: IK5 3. GE02 differs from GS06: AK905 4. */
    good = wrap_837p(claim_body, 10);
    *strstr(good, "*0001~GE") = '\0';
    char text[2048];
    snprintf(text, sizeof text, "%s*0002~GE*1*8~IEA*1*000000001~", good);
    ck_assert(envelope_of(text, ix));
    ck_assert_int_eq(ix->sets[0].ik5_code, 3);
    ck_assert_int_eq(ix->groups[0].ak9_code, 4);
    free(good);

    /* GE01 counts 2 sets for 1: AK905 5. IEA01 counts 2 groups: TA1 021. */
    good = wrap_837p(claim_body, 10);
    memcpy(strstr(good, "GE*1*7"), "GE*2*7", 6);
    ck_assert(envelope_of(good, ix));
    ck_assert_int_eq(ix->groups[0].ak9_code, 5);
    memcpy(strstr(good, "IEA*1"), "IEA*2", 5);
    ck_assert(!envelope_of(good, ix));
    ck_assert_str_eq(ix->ta1_code, "021");
    free(good);

    /* No SE: IK5 2 (the set runs to the GE). */
    snprintf(text, sizeof text,
             ISA_STAR "GS*HC*SENDER*CLAIMSD*20261120*1030*7*X*005010X222A1~"
                      "ST*837*0001*005010X222A1~BHT*0019*00*B1*20261120*1030*CH~"
                      "GE*1*7~IEA*1*000000001~");
    ck_assert(envelope_of(text, ix));
    ck_assert_int_eq(ix->sets[0].ik5_code, 2);

    /* Not an 837, and a version we do not take. */
    snprintf(text, sizeof text,
             ISA_STAR "GS*HC*SENDER*CLAIMSD*20261120*1030*7*X*005010X222A1~"
                      "ST*270*0001*005010X279A1~SE*2*0001~GE*1*7~IEA*1*000000001~");
    ck_assert(envelope_of(text, ix));
    ck_assert_int_eq(ix->sets[0].ik5_code, 1);
    snprintf(text, sizeof text,
             ISA_STAR "GS*HC*SENDER*CLAIMSD*20261120*1030*7*X*004010X098A1~"
                      "ST*837*0001~SE*2*0001~GE*1*7~IEA*1*000000001~");
    ck_assert(envelope_of(text, ix));
    ck_assert_int_eq(ix->groups[0].ak9_code, 2);

    /* ISA elements: the TA105 code of the first bad one. */
    snprintf(text, sizeof text, "%s", ISA_STAR "IEA*0*000000001~");
    text[82 + 3] = 'X'; /* ISA12 "X0501" */
    ck_assert(!envelope_of(text, ix));
    ck_assert_str_eq(ix->ta1_code, "017");
    snprintf(text, sizeof text, "%s", ISA_STAR "IEA*0*000000001~");
    text[102] = 'X'; /* ISA15 */
    ck_assert(!envelope_of(text, ix));
    ck_assert_str_eq(ix->ta1_code, "020");
    /* No groups at all: 022. */
    ck_assert(!envelope_of(ISA_STAR "IEA*0*000000001~", ix));
    ck_assert_str_eq(ix->ta1_code, "022");
    /* A bad GS: 024. */
    ck_assert(!envelope_of(ISA_STAR "GS*HC*SENDER~GE*0*1~IEA*1*000000001~", ix));
    ck_assert_str_eq(ix->ta1_code, "024");
    free(ix);
}
END_TEST

/* ---- 837 ---- */

struct read_result {
    struct codec_x12_doc doc;
    struct codec_x12_interchange ix;
    struct codec_x12_837 m;
};

static struct read_result *read_837(const char *text)
{
    struct read_result *r = calloc(1, sizeof *r);
    ck_assert_int_eq(codec_x12_tokenize(text, strlen(text), &r->doc, NULL), CODEC_X12_OK);
    ck_assert(codec_x12_envelope(&r->doc, &r->ix));
    ck_assert_int_eq(r->ix.sets[0].ik5_code, 0);
    ck_assert_int_eq(codec_x12_837_read(&r->doc, &r->ix.sets[0], &r->m), 0);
    return r;
}

static void read_free(struct read_result *r)
{
    codec_x12_837_free(&r->m);
    codec_x12_doc_free(&r->doc);
    free(r);
}

START_TEST(test_837p_maps_to_the_json_submission)
{
    char *text = wrap_837p(claim_body, 10);
    struct read_result *r = read_837(text);
    ck_assert_int_eq(r->m.n_errs, 0);
    ck_assert(!r->m.institutional);
    ck_assert_str_eq(r->m.bht03, "B1");
    ck_assert_str_eq(r->m.submitter_name, "SUBMITTER");
    ck_assert_str_eq(r->m.receiver_id, "CLAIMSD");
    ck_assert_int_eq(r->m.n_providers, 1);
    ck_assert_int_eq(r->m.n_claims, 1);
    const struct codec_x12_claim_in *c = &r->m.claims[0];
    ck_assert_str_eq(c->clm01, "P1");
    ck_assert_int_eq(c->charge_cents, 15000);
    ck_assert_str_eq(c->from, "20261102");
    ck_assert_str_eq(c->to, "20261102");
    ck_assert_ptr_nonnull(c->submission);
    ck_assert_str_eq(
        json_object_to_json_string_ext(c->submission, JSON_C_TO_STRING_PLAIN),
        "{\"type\":\"medical\",\"member_id\":\"M1001\",\"patient\":{\"first_name\":\"Luis\","
        "\"last_name\":\"Lopez\",\"birth_date\":\"1975-09-14\"},\"assignment_of_benefits\":true,"
        "\"patient_control_number\":\"P1\",\"provider\":{\"npi\":\"1245319599\",\"name\":"
        "\"CLINIC\",\"network\":\"in\",\"facility\":false},\"inpatient\":false,\"itemized_bill\":"
        "true,\"diagnosis_codes\":[\"J20.9\"],\"lines\":[{\"service_date\":\"2026-11-02\","
        "\"procedure_code\":\"99213\",\"modifiers\":[\"25\"],\"units\":1,\"charge\":150.00}]}");
    read_free(r);
    free(text);
}
END_TEST

START_TEST(test_837p_clm07_c_is_out_of_network)
{
    char body[1024];
    snprintf(body, sizeof body, "%s", claim_body);
    memcpy(strstr(body, "*Y*A*Y*Y"), "*Y*C*N*Y", 8);
    char *text = wrap_837p(body, 10);
    struct read_result *r = read_837(text);
    struct json_object *prov, *net, *aob;
    ck_assert(json_object_object_get_ex(r->m.claims[0].submission, "provider", &prov));
    ck_assert(json_object_object_get_ex(prov, "network", &net));
    ck_assert_str_eq(json_object_get_string(net), "out");
    ck_assert(json_object_object_get_ex(r->m.claims[0].submission, "assignment_of_benefits", &aob));
    ck_assert(!json_object_get_boolean(aob));
    read_free(r);
    free(text);
}
END_TEST

START_TEST(test_837_clm02_must_be_the_total_of_the_lines)
{
    char body[1024];
    snprintf(body, sizeof body, "%s", claim_body);
    memcpy(strstr(body, "CLM*P1*150*"), "CLM*P1*151*", 11);
    char *text = wrap_837p(body, 10);
    struct read_result *r = read_837(text);
    ck_assert_int_eq(r->m.n_errs, 0);
    ck_assert_ptr_null(r->m.claims[0].submission);
    ck_assert_int_eq(r->m.claims[0].charge_cents, 15100);
    ck_assert_str_eq(r->m.claims[0].reject_category, "A7");
    ck_assert_str_eq(r->m.claims[0].reject_status, "400");
    ck_assert_str_eq(r->m.claims[0].reject_text,
                     "2300 CLM02 is not the total of the lines' charges (SV102)");
    read_free(r);
    free(text);
}
END_TEST

START_TEST(test_837_syntax_errors_are_ik3_ik4)
{
    /* CLM02 not a number, SV1 without units, an unknown segment, DTP*472 missing. */
    const char *body = "HL*1**20*1~NM1*85*2*CLINIC*****XX*1245319599~HL*2*1*22*0~"
                       "NM1*IL*1*Lopez*Luis****MI*M1001~DMG*D8*19751314*M~"
                       "CLM*P1*1X0***11:B:1*Y*A*Y*Y~HI*ABK:J209~ZZZ*1~LX*1~SV1*HC:99213*150*UN~";
    char *text = wrap_837p(body, 10);
    struct read_result *r = read_837(text);
    ck_assert_int_eq(r->m.n_errs, 5);
    const struct codec_x12_ik3 *e = r->m.errs;
    /* DMG02 not a date: position 9 (ST 1, BHT 2, NM1 3, NM1 4, HL 5, NM1 6, HL 7, NM1 8). */
    ck_assert_str_eq(e[0].seg_id, "DMG");
    ck_assert_int_eq(e[0].position, 9);
    ck_assert_str_eq(e[0].loop, "2010BA");
    ck_assert_int_eq(e[0].code, 8);
    ck_assert_int_eq(e[0].elem, 2);
    ck_assert_int_eq(e[0].elem_ref, 1251);
    ck_assert_int_eq(e[0].elem_code, 8);
    ck_assert_str_eq(e[0].clm01, "");
    ck_assert_str_eq(e[1].seg_id, "CLM");
    ck_assert_int_eq(e[1].position, 10);
    ck_assert_str_eq(e[1].loop, "2300");
    ck_assert_int_eq(e[1].elem, 2);
    ck_assert_int_eq(e[1].elem_ref, 782);
    ck_assert_int_eq(e[1].elem_code, 6);
    ck_assert_str_eq(e[1].clm01, "P1");
    ck_assert_str_eq(e[2].seg_id, "ZZZ");
    ck_assert_int_eq(e[2].position, 12);
    ck_assert_int_eq(e[2].code, 1);
    ck_assert_int_eq(e[2].elem, 0);
    ck_assert_str_eq(e[3].seg_id, "SV1");
    ck_assert_int_eq(e[3].position, 14);
    ck_assert_str_eq(e[3].loop, "2400");
    ck_assert_int_eq(e[3].elem, 4);
    ck_assert_int_eq(e[3].elem_ref, 380);
    ck_assert_int_eq(e[3].elem_code, 1);
    ck_assert_str_eq(e[4].seg_id, "DTP");
    ck_assert_int_eq(e[4].position, 13); /* reported at its line's LX */
    ck_assert_str_eq(e[4].loop, "2400");
    ck_assert_int_eq(e[4].code, 3);
    read_free(r);
    free(text);
}
END_TEST

START_TEST(test_837_mapping_rejections_and_element_names)
{
    /* A 2000C patient without a member id: rejected in the 277CA, not the 999. */
    const char *body = "HL*1**20*1~NM1*85*2*CLINIC*****XX*1245319599~HL*2*1*22*1~"
                       "NM1*IL*1*Lopez*Luis****MI*M1001~DMG*D8*19750914*M~HL*3*2*23*0~PAT*19~"
                       "NM1*QC*1*Lopez*Ana~DMG*D8*20150610*F~"
                       "CLM*P1*150***11:B:1*Y*A*Y*Y~HI*ABK:J209~LX*1~SV1*HC:99213*150*UN*1~"
                       "DTP*472*D8*20261102~";
    char *text = wrap_837p(body, 14);
    struct read_result *r = read_837(text);
    ck_assert_int_eq(r->m.n_errs, 0);
    ck_assert_ptr_null(r->m.claims[0].submission);
    ck_assert_str_eq(r->m.claims[0].reject_category, "A7");
    ck_assert_str_eq(r->m.claims[0].reject_status, "21");
    ck_assert_str_eq(r->m.claims[0].reject_entity, "QC");
    ck_assert_str_eq(r->m.claims[0].last_name, "Lopez");
    ck_assert_str_eq(r->m.claims[0].first_name, "Ana");
    read_free(r);
    free(text);

    char out[80];
    const char *status, *entity;
    codec_x12_837_element_of("provider.npi", false, out, sizeof out, &status, &entity);
    ck_assert_str_eq(out, "2010AA NM109");
    ck_assert_str_eq(status, "562");
    ck_assert_str_eq(entity, "85");
    codec_x12_837_element_of("lines[2].charge", false, out, sizeof out, &status, &entity);
    ck_assert_str_eq(out, "2400 SV102 (LX 3)");
    ck_assert_str_eq(status, "178");
    codec_x12_837_element_of("lines[0].units", true, out, sizeof out, &status, &entity);
    ck_assert_str_eq(out, "2400 SV205 (LX 1)");
    ck_assert_str_eq(status, "21");
    codec_x12_837_element_of("diagnosis_codes[0]", false, out, sizeof out, &status, &entity);
    ck_assert_str_eq(out, "2300 HI01-2 (ABK)");
    ck_assert_str_eq(status, "254");
    codec_x12_837_element_of("diagnosis_codes[3]", false, out, sizeof out, &status, &entity);
    ck_assert_str_eq(out, "2300 HI");
    ck_assert_str_eq(status, "255");
    codec_x12_837_element_of("patient.birth_date", false, out, sizeof out, &status, &entity);
    ck_assert_str_eq(out, "2010BA DMG02");
    ck_assert_str_eq(status, "158");
    ck_assert_str_eq(entity, "QC");
    codec_x12_837_element_of("", false, out, sizeof out, &status, &entity);
    ck_assert_str_eq(out, "2300 CLM");
}
END_TEST

/* ---- the answers ---- */

START_TEST(test_the_answer_to_a_rejected_set_is_exact)
{
    const char *body = "HL*1**20*1~NM1*85*2*CLINIC*****XX*1245319599~HL*2*1*22*0~"
                       "NM1*IL*1*Lopez*Luis****MI*M1001~DMG*D8*19750914*M~"
                       "CLM*P1*1X0***11:B:1*Y*A*Y*Y~HI*ABK:J209~LX*1~SV1*HC:99213*150*UN*1~"
                       "DTP*472*D8*20261102~";
    char *text = wrap_837p(body, 10);
    struct read_result *r = read_837(text);
    struct codec_x12_set_result set = {.read = true, .m = r->m, .claims = NULL};
    struct codec_x12_answer_input in = {.ix = &r->ix,
                                        .d = r->doc.d,
                                        .sets = &set,
                                        .control = "123456789",
                                        .date8 = "20261202",
                                        .time4 = "0915"};
    size_t len = 0;
    char *answer = codec_x12_answer_build(&in, &len);
    ck_assert_str_eq(answer,
                     "ISA*00*          *00*          *ZZ*CLAIMSD        *ZZ*SENDER         *261202*"
                     "0915*^*00501*123456789*0*T*:~"
                     "GS*FA*CLAIMSD*SENDER*20261202*0915*1*X*005010X231A1~"
                     "ST*999*0001*005010X231A1~AK1*HC*7*005010X222A1~AK2*837*0001*005010X222A1~"
                     "IK3*CLM*10*2300*8~CTX*CLM01:P1~IK4*2*782*6~IK5*R*5~AK9*R*1*1*0~SE*9*0001~"
                     "GE*1*1~IEA*1*123456789~");
    ck_assert_uint_eq(len, strlen(answer));
    free(answer);

    r->ix.ta1_code = "021";
    answer = codec_x12_ta1_build(&r->ix, &r->doc.d, "123456789", "20261202", "0915", &len);
    ck_assert_str_eq(answer,
                     "ISA*00*          *00*          *ZZ*CLAIMSD        *ZZ*SENDER         *261202*"
                     "0915*^*00501*123456789*0*T*:~TA1*000000001*261120*1030*R*021~"
                     "IEA*0*123456789~");
    free(answer);
    read_free(r);
    free(text);
}
END_TEST

START_TEST(test_the_277ca_of_an_accepted_and_a_rejected_claim_is_exact)
{
    char body[2048];
    snprintf(body, sizeof body, "%s%s", claim_body,
             "CLM*P2*20.25***11:B:1*Y*A*Y*Y~HI*ABK:J209~LX*1~SV1*HC:99213*20.25*UN*1~"
             "DTP*472*D8*20261103~");
    char *text = wrap_837p(body, 15);
    struct read_result *r = read_837(text);
    ck_assert_int_eq(r->m.n_errs, 0);
    struct codec_x12_claim_result results[2] = {
        {.accepted = true, .claim_id = "0a04c08d-d047-4624-8245-01054e998535"},
        {.accepted = false,
         .category = "A7",
         .status = "178",
         .entity = "",
         .text = "2400 SV102 (LX 1) must: not ~ * or ^"},
    };
    struct codec_x12_set_result set = {.read = true, .m = r->m, .claims = results};
    struct codec_x12_answer_input in = {.ix = &r->ix,
                                        .d = r->doc.d,
                                        .sets = &set,
                                        .control = "000000042",
                                        .date8 = "20261202",
                                        .time4 = "0915"};
    size_t len = 0;
    char *answer = codec_x12_answer_build(&in, &len);
    const char *tail = strstr(answer, "GS*HN");
    ck_assert_ptr_nonnull(tail);
    /* Delimiters in our own text are blanked. */
    ck_assert_str_eq(tail,
                     "GS*HN*CLAIMSD*SENDER*20261202*0915*2*X*005010X214~"
                     "ST*277*0001*005010X214~BHT*0085*08*0000000427*20261202*0915*TH~"
                     "HL*1**20*1~NM1*PR*2*PAYER*****46*CLAIMSD~TRN*1*0000000427~"
                     "DTP*050*D8*20261202~DTP*009*D8*20261202~HL*2*1*21*1~"
                     "NM1*41*2*SUBMITTER*****46*S1~TRN*2*B1~STC*A1:19:PR*20261202*WQ*170.25~"
                     "QTY*90*1~QTY*AA*1~AMT*YU*150~AMT*YY*20.25~HL*3*2*19*1~"
                     "NM1*85*2*CLINIC*****XX*1245319599~TRN*1*0~HL*4*3*PT~"
                     "NM1*QC*1*Lopez*Luis****MI*M1001~TRN*2*P1~STC*A2:20*20261202*WQ*150~"
                     "REF*1K*0a04c08d-d047-4624-8245-01054e998535~DTP*472*D8*20261102~"
                     "HL*5*3*PT~NM1*QC*1*Lopez*Luis****MI*M1001~TRN*2*P2~"
                     "STC*A7:178*20261202*U*20.25********2400 SV102 (LX 1) must  not     or  ~"
                     "DTP*472*D8*20261103~SE*30*0001~GE*1*2~IEA*2*000000042~");
    free(answer);
    read_free(r);
    free(text);
}
END_TEST

/* Every stage on mutated copies of the fixtures: whatever the bytes, a
 * status or an answer, never a crash (run under ASan by `make asan`). */
static void run_all_stages(const char *bytes, size_t len)
{
    struct codec_x12_doc doc;
    if (codec_x12_tokenize(bytes, len, &doc, NULL) != CODEC_X12_OK)
        return;
    struct codec_x12_interchange *ix = malloc(sizeof *ix);
    bool ok = codec_x12_envelope(&doc, ix);
    size_t out_len;
    if (!ok) {
        free(codec_x12_ta1_build(ix, &doc.d, "000000001", "20261202", "0915", &out_len));
    } else {
        struct codec_x12_set_result *sets = calloc((size_t)ix->n_sets + 1, sizeof *sets);
        for (int i = 0; i < ix->n_sets; i++) {
            if (ix->sets[i].ik5_code || codec_x12_837_read(&doc, &ix->sets[i], &sets[i].m) != 0)
                continue;
            sets[i].read = true;
            sets[i].claims = calloc((size_t)sets[i].m.n_claims + 1, sizeof *sets[i].claims);
            for (int c = 0; c < sets[i].m.n_claims; c++) {
                sets[i].claims[c].accepted = c % 2 == 0;
                snprintf(sets[i].claims[c].claim_id, CLAIM_ID_LEN, "id");
                sets[i].claims[c].category = "A7";
                sets[i].claims[c].status = "21";
                sets[i].claims[c].entity = "";
            }
        }
        struct codec_x12_answer_input in = {.ix = ix,
                                            .d = doc.d,
                                            .sets = sets,
                                            .control = "000000001",
                                            .date8 = "20261202",
                                            .time4 = "0915"};
        free(codec_x12_answer_build(&in, &out_len));
        for (int i = 0; i < ix->n_sets; i++) {
            codec_x12_837_free(&sets[i].m);
            free(sets[i].claims);
        }
        free(sets);
    }
    free(ix);
    codec_x12_doc_free(&doc);
}

START_TEST(test_mutated_fixtures_never_crash)
{
    const char *names[] = {"837p_claims.x12", "837i_inpatient.x12", "837p_syntax_error.x12"};
    unsigned long long seed = 0x9e3779b97f4a7c15ull;
    const char alphabet[] = "*~:^|>!0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .-\r\n";
    for (size_t f = 0; f < sizeof names / sizeof *names; f++) {
        char path[128];
        snprintf(path, sizeof path, "tests/fixtures/x12/%s", names[f]);
        char *orig = test_read_source(path);
        ck_assert_ptr_nonnull(orig);
        size_t len = strlen(orig);
        run_all_stages(orig, len);
        char *buf = malloc(len + 64);
        for (int round = 0; round < 3000; round++) {
            memcpy(buf, orig, len);
            size_t n = len;
            int edits = 1 + round % 8;
            for (int e = 0; e < edits; e++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                size_t at = (size_t)(seed >> 33) % n;
                char c = alphabet[(seed >> 13) % (sizeof alphabet - 1)];
                switch ((seed >> 7) % 3) {
                case 0: /* overwrite */ buf[at] = c; break;
                case 1: /* delete */
                    if (n > 1) {
                        memmove(buf + at, buf + at + 1, n - at - 1);
                        n--;
                    }
                    break;
                default: /* insert */
                    if (n < len + 63) {
                        memmove(buf + at + 1, buf + at, n - at);
                        buf[at] = c;
                        n++;
                    }
                }
            }
            run_all_stages(buf, n);
        }
        free(buf);
        free(orig);
    }
}
END_TEST

/* Found by fuzz_x12: the terminator inside the ISA (ISA12 "00~01") cuts it
 * short; the TA1's own ISA is still 106 bytes, ISA15 P for the unreadable one. */
START_TEST(test_a_ta1_to_a_cut_isa_is_still_a_whole_interchange)
{
    char in[300];
    snprintf(in, sizeof in, "%s",
             "ISA*00*          *00*          *ZZ*NORTHSIDE      *ZZ*CLAIMSD        *261120*1030*^*"
             "00~01*000000103*0*T*:~GS*HC*A*B*20261120*1030*1*X*005010X222A1~IEA*1*000000103~");
    struct codec_x12_doc doc;
    ck_assert_int_eq(codec_x12_tokenize(in, strlen(in), &doc, NULL), CODEC_X12_OK);
    struct codec_x12_interchange *ix = malloc(sizeof *ix);
    ck_assert(!codec_x12_envelope(&doc, ix));
    ck_assert_str_eq(ix->ta1_code, "022");
    size_t len;
    char *ta1 = codec_x12_ta1_build(ix, &doc.d, "000000001", "20261202", "0915", &len);
    ck_assert_str_eq(ta1, "ISA*00*          *00*          *ZZ*CLAIMSD        *ZZ*NORTHSIDE      *"
                          "261202*0915*^*00501*000000001*0*P*:~TA1**261120*1030*R*022~"
                          "IEA*0*000000001~");
    struct codec_x12_doc back;
    ck_assert_int_eq(codec_x12_tokenize(ta1, len, &back, NULL), CODEC_X12_OK);
    codec_x12_doc_free(&back);
    free(ta1);
    free(ix);
    codec_x12_doc_free(&doc);
}
END_TEST

static Suite *x12_suite(void)
{
    Suite *s = suite_create("x12");
    TCase *tc = tcase_create("x12");
    tcase_add_test(tc, test_tokenizer_reads_the_isa_delimiters_and_splits);
    tcase_add_test(tc, test_tokenizer_refuses_hostile_input_with_a_status);
    tcase_add_test(tc, test_tokenizer_limits);
    tcase_add_test(tc, test_element_types_and_components);
    tcase_add_test(tc, test_envelope_counts_and_control_numbers);
    tcase_add_test(tc, test_837p_maps_to_the_json_submission);
    tcase_add_test(tc, test_837p_clm07_c_is_out_of_network);
    tcase_add_test(tc, test_837_clm02_must_be_the_total_of_the_lines);
    tcase_add_test(tc, test_837_syntax_errors_are_ik3_ik4);
    tcase_add_test(tc, test_837_mapping_rejections_and_element_names);
    tcase_add_test(tc, test_the_answer_to_a_rejected_set_is_exact);
    tcase_add_test(tc, test_the_277ca_of_an_accepted_and_a_rejected_claim_is_exact);
    tcase_add_test(tc, test_a_ta1_to_a_cut_isa_is_still_a_whole_interchange);
    tcase_add_test(tc, test_mutated_fixtures_never_crash);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(x12_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
