/*
 * Duplicate fingerprints (RULES.md § 5, adjudicate/duplicates.c): a lookup
 * hit of a later line on an earlier claim's stored fingerprints happens
 * exactly when adj_is_duplicate() compares the two lines equal. Each table
 * row changes one field of the earlier claim and states both sides of the
 * boundary; every row also checks that the fingerprint answer and the
 * field-by-field comparison agree.
 */
#include <check.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "harness/harness.h"
#include "adj_fixtures.h"
#include "adjudicate/rules.h"

#define EARLIER "22222222-2222-4222-8222-222222222222"
#define LATER "11111111-1111-4111-8111-111111111111"

/* Whether a lookup fingerprint of `later` is stored by `earlier` (line 0 of each). */
static bool lookup_hits(const struct claim *later, const struct claim *earlier,
                        enum adj_fp_kind *kind)
{
    struct adj_fingerprint look[ADJ_FP_PER_LINE], stored[ADJ_FP_PER_LINE];
    int nl = adj_line_fingerprints_to_look_up(later, 0, look);
    int ns = adj_line_fingerprints_to_store(earlier, 0, stored);
    ck_assert_int_gt(nl, 0);
    ck_assert_int_gt(ns, 0);
    for (int i = 0; i < nl; i++)
        for (int j = 0; j < ns; j++)
            if (strcmp(look[i].text, stored[j].text) == 0) {
                ck_assert_int_eq(look[i].kind, stored[j].kind);
                *kind = look[i].kind;
                return true;
            }
    return false;
}

/* What the field-by-field comparison says of the same two claims. */
static bool compared_duplicate(const struct claim *later, const struct claim *earlier)
{
    struct adj_prior_line prior;
    ck_assert_int_eq(adj_prior_lines_from_claim(EARLIER, earlier, NULL, &prior, 1), 1);
    struct adj_facts facts = {
        .claim_id = LATER, .claim = later, .prior_lines = &prior, .n_prior_lines = 1};
    return adj_is_duplicate(&facts, 0);
}

/* A hit stands for an earlier line that adj_is_duplicate() finds. */
static void expect_hit_means_duplicate(const struct claim *later, enum adj_fp_kind kind)
{
    struct adj_prior_line prior;
    adj_prior_line_for_hit(later, 0, kind, EARLIER, &prior);
    ck_assert_str_eq(prior.claim_id, EARLIER);
    ck_assert(!prior.denied);
    struct adj_facts facts = {
        .claim_id = LATER, .claim = later, .prior_lines = &prior, .n_prior_lines = 1};
    ck_assert(adj_is_duplicate(&facts, 0));
    facts.claim_id = EARLIER; /* the claim's own fingerprint never counts */
    ck_assert(!adj_is_duplicate(&facts, 0));
}

/* ---- medical ---- */

static struct claim medical_base(void)
{
    struct fx x;
    fx_init(&x);
    fx_line(&x, "2025-03-03", "99214", 1, USD(150));
    strcpy(x.claim.lines[0].modifiers[0], "25");
    strcpy(x.claim.lines[0].modifiers[1], "LT");
    x.claim.lines[0].n_modifiers = 2;
    return x.claim;
}

struct medical_case {
    const char *name;
    void (*change)(struct claim *c);
    bool duplicate;
};

static void m_same(struct claim *c)
{
    (void)c;
}
static void m_charge_cent_more(struct claim *c)
{
    c->lines[0].charge += 1;
}
static void m_charge_cent_less(struct claim *c)
{
    c->lines[0].charge -= 1;
}
static void m_modifiers_reordered(struct claim *c)
{
    strcpy(c->lines[0].modifiers[0], "LT");
    strcpy(c->lines[0].modifiers[1], "25");
}
static void m_modifier_extra(struct claim *c)
{
    strcpy(c->lines[0].modifiers[c->lines[0].n_modifiers++], "59");
}
static void m_modifier_other(struct claim *c)
{
    strcpy(c->lines[0].modifiers[1], "RT");
}
static void m_modifier_repeated(struct claim *c)
{
    strcpy(c->lines[0].modifiers[1], "25");
}
static void m_no_modifiers(struct claim *c)
{
    c->lines[0].n_modifiers = 0;
}
static void m_units(struct claim *c)
{
    c->lines[0].units = 2;
}
static void m_date_next_day(struct claim *c)
{
    c->lines[0].service_date = D("2025-03-04");
}
static void m_procedure(struct claim *c)
{
    strcpy(c->lines[0].procedure_code, "99213");
}
static void m_provider(struct claim *c)
{
    strcpy(c->provider.npi, "1245319599");
}
static void m_provider_name(struct claim *c)
{
    strcpy(c->provider.name, "Another Clinic");
}
static void m_other_line_first(struct claim *c)
{
    /* The same line at index 1 is still the same service; only line 0 is compared here. */
    c->lines[1] = c->lines[0];
    c->n_lines = 2;
}

static const struct medical_case medical_cases[] = {
    {"identical", m_same, true},
    {"charge a cent more", m_charge_cent_more, false},
    {"charge a cent less", m_charge_cent_less, false},
    {"modifiers reordered", m_modifiers_reordered, true},
    {"an extra modifier", m_modifier_extra, false},
    {"another modifier", m_modifier_other, false},
    {"same count, one modifier repeated", m_modifier_repeated, false},
    {"no modifiers", m_no_modifiers, false},
    {"other units", m_units, false},
    {"the next day", m_date_next_day, false},
    {"another procedure", m_procedure, false},
    {"another provider NPI", m_provider, false},
    {"the provider's name is not compared", m_provider_name, true},
    {"a second line on the earlier claim", m_other_line_first, true},
};

START_TEST(test_medical_fingerprint_hits_exactly_when_the_lines_compare_equal)
{
    const struct medical_case *c = &medical_cases[_i];
    struct claim later = medical_base(), earlier = medical_base();
    c->change(&earlier);
    enum adj_fp_kind kind = ADJ_FP_MEDICAL;
    bool hit = lookup_hits(&later, &earlier, &kind);
    ck_assert_msg(hit == c->duplicate, "%s: hit %d", c->name, hit);
    ck_assert_msg(compared_duplicate(&later, &earlier) == c->duplicate, "%s: compared", c->name);
    if (hit) {
        ck_assert_int_eq(kind, ADJ_FP_MEDICAL);
        expect_hit_means_duplicate(&later, kind);
    }
}
END_TEST

/* The stored form is a contract with the data already in Redis: the
 * fingerprint is "m:" and the first 16 bytes of SHA-256, in hex, of the
 * canonical text written out here by hand (docs/rules.md § 5). */
START_TEST(test_medical_fingerprint_is_sha256_of_the_documented_canonical_text)
{
    struct claim c = medical_base();
    char text[256];
    snprintf(text, sizeof text,
             "npi=10:%s;date=%d;proc=5:99214;mods=2;mod=2:25;mod=2:LT;units=1;charge=15000;",
             c.provider.npi, (int)c.lines[0].service_date.days);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, strlen(text), digest);
    char want[64] = "m:";
    for (int i = 0; i < 16; i++)
        snprintf(want + 2 + 2 * i, sizeof want - 2 - 2 * (size_t)i, "%02x", digest[i]);
    struct adj_fingerprint fp[ADJ_FP_PER_LINE];
    ck_assert_int_eq(adj_line_fingerprints_to_store(&c, 0, fp), 1);
    ck_assert_str_eq(fp[0].text, want);
}
END_TEST

START_TEST(test_medical_fingerprint_text_is_prefix_and_128_bits_hex)
{
    struct claim c = medical_base();
    struct adj_fingerprint fp[ADJ_FP_PER_LINE];
    ck_assert_int_eq(adj_line_fingerprints_to_store(&c, 0, fp), 1);
    ck_assert_uint_eq(strlen(fp[0].text), 2 + 32);
    ck_assert_int_eq(strncmp(fp[0].text, "m:", 2), 0);
    ck_assert_uint_eq(strspn(fp[0].text + 2, "0123456789abcdef"), 32);
    /* Lines that do not exist have none. */
    ck_assert_int_eq(adj_line_fingerprints_to_store(&c, 1, fp), 0);
    ck_assert_int_eq(adj_line_fingerprints_to_look_up(&c, -1, fp), 0);
}
END_TEST

/* ---- pharmacy ---- */

static struct claim pharmacy_base(bool has_npi)
{
    struct fx x;
    fx_init(&x);
    fx_pharmacy(&x, "2025-03-03", USD(150));
    x.claim.pharmacy.has_npi = has_npi;
    if (!has_npi)
        x.claim.pharmacy.npi[0] = '\0';
    return x.claim;
}

struct pharmacy_case {
    const char *name;
    bool later_npi, earlier_npi;
    void (*change)(struct claim *c);
    bool duplicate;
    enum adj_fp_kind kind; /* of the hit */
};

static void p_same(struct claim *c)
{
    (void)c;
}
static void p_charge_cent_more(struct claim *c)
{
    c->charge += 1;
}
static void p_quantity(struct claim *c)
{
    c->quantity_milli += 1;
}
static void p_ndc(struct claim *c)
{
    strcpy(c->ndc, "00093505698");
}
static void p_fill_date(struct claim *c)
{
    c->fill_date = D("2025-03-02");
}
static void p_other_npi(struct claim *c)
{
    strcpy(c->pharmacy.npi, "1245319599");
}
static void p_other_npi_same_name(struct claim *c)
{
    strcpy(c->pharmacy.npi, "1003000126");
}
static void p_name_case_blanks(struct claim *c)
{
    strcpy(c->pharmacy.name, "  main st PHARMACY \t");
}
static void p_other_name(struct claim *c)
{
    strcpy(c->pharmacy.name, "Main St Pharmacy 2");
}
static void p_inner_blank(struct claim *c)
{
    strcpy(c->pharmacy.name, "Main St  Pharmacy");
}
static void p_drug_name(struct claim *c)
{
    strcpy(c->drug_name, "Atorvastatin");
}

static const struct pharmacy_case pharmacy_cases[] = {
    /* Both with an NPI: the NPI decides, the name does not. */
    {"both NPI, identical", true, true, p_same, true, ADJ_FP_PHARMACY_NPI},
    {"both NPI, charge a cent more", true, true, p_charge_cent_more, false, 0},
    {"both NPI, a thousandth more quantity", true, true, p_quantity, false, 0},
    {"both NPI, another NDC", true, true, p_ndc, false, 0},
    {"both NPI, the day before", true, true, p_fill_date, false, 0},
    {"both NPI, another NPI, same name", true, true, p_other_npi_same_name, false, 0},
    {"both NPI, same NPI, another name", true, true, p_other_name, true, ADJ_FP_PHARMACY_NPI},
    {"both NPI, another NPI", true, true, p_other_npi, false, 0},
    {"both NPI, another drug name", true, true, p_drug_name, true, ADJ_FP_PHARMACY_NPI},
    /* Only the later claim has one: by name. */
    {"later NPI, same name", true, false, p_same, true, ADJ_FP_PHARMACY_NAME_NONPI},
    {"later NPI, name in other case and blanks", true, false, p_name_case_blanks, true,
     ADJ_FP_PHARMACY_NAME_NONPI},
    {"later NPI, another name", true, false, p_other_name, false, 0},
    {"later NPI, a blank inside the name", true, false, p_inner_blank, false, 0},
    {"later NPI, charge a cent more", true, false, p_charge_cent_more, false, 0},
    /* Only the earlier claim has one: by name. */
    {"earlier NPI, same name", false, true, p_same, true, ADJ_FP_PHARMACY_NAME_ANY},
    {"earlier NPI, name in other case and blanks", false, true, p_name_case_blanks, true,
     ADJ_FP_PHARMACY_NAME_ANY},
    {"earlier NPI, another name", false, true, p_other_name, false, 0},
    {"earlier NPI, a thousandth more quantity", false, true, p_quantity, false, 0},
    /* Neither: by name. */
    {"no NPI, same name", false, false, p_same, true, ADJ_FP_PHARMACY_NAME_ANY},
    {"no NPI, name in other case and blanks", false, false, p_name_case_blanks, true,
     ADJ_FP_PHARMACY_NAME_ANY},
    {"no NPI, another name", false, false, p_other_name, false, 0},
    {"no NPI, another NDC", false, false, p_ndc, false, 0},
};

START_TEST(test_pharmacy_fingerprint_hits_exactly_when_the_fills_compare_equal)
{
    const struct pharmacy_case *c = &pharmacy_cases[_i];
    struct claim later = pharmacy_base(c->later_npi), earlier = pharmacy_base(c->earlier_npi);
    c->change(&earlier);
    enum adj_fp_kind kind = ADJ_FP_MEDICAL;
    bool hit = lookup_hits(&later, &earlier, &kind);
    ck_assert_msg(hit == c->duplicate, "%s: hit %d", c->name, hit);
    ck_assert_msg(compared_duplicate(&later, &earlier) == c->duplicate, "%s: compared", c->name);
    if (hit) {
        ck_assert_msg(kind == c->kind, "%s: kind %d", c->name, kind);
        expect_hit_means_duplicate(&later, kind);
    }
}
END_TEST

START_TEST(test_pharmacy_line_stores_two_fingerprints_and_looks_up_by_its_npi)
{
    struct adj_fingerprint fp[ADJ_FP_PER_LINE];
    struct claim with = pharmacy_base(true), without = pharmacy_base(false);
    ck_assert_int_eq(adj_line_fingerprints_to_store(&with, 0, fp), 2);
    ck_assert_int_eq(fp[0].kind, ADJ_FP_PHARMACY_NPI);
    ck_assert_int_eq(strncmp(fp[0].text, "p:npi:", 6), 0);
    ck_assert_int_eq(fp[1].kind, ADJ_FP_PHARMACY_NAME_ANY);
    ck_assert_uint_eq(strlen(fp[1].text), strlen("p:name-any:") + 32);
    ck_assert_int_eq(adj_line_fingerprints_to_store(&without, 0, fp), 2);
    ck_assert_int_eq(fp[0].kind, ADJ_FP_PHARMACY_NAME_NONPI);
    ck_assert_uint_eq(strlen(fp[0].text), strlen("p:name-nonpi:") + 32);
    ck_assert_int_eq(fp[1].kind, ADJ_FP_PHARMACY_NAME_ANY);
    ck_assert_int_eq(adj_line_fingerprints_to_look_up(&with, 0, fp), 2);
    ck_assert_int_eq(fp[0].kind, ADJ_FP_PHARMACY_NPI);
    ck_assert_int_eq(fp[1].kind, ADJ_FP_PHARMACY_NAME_NONPI);
    ck_assert_int_eq(adj_line_fingerprints_to_look_up(&without, 0, fp), 1);
    ck_assert_int_eq(fp[0].kind, ADJ_FP_PHARMACY_NAME_ANY);
    ck_assert_int_eq(adj_line_fingerprints_to_look_up(&without, 1, fp), 0);
}
END_TEST

START_TEST(test_medical_and_pharmacy_fingerprints_never_meet)
{
    struct adj_fingerprint m[ADJ_FP_PER_LINE], p[ADJ_FP_PER_LINE];
    struct claim med = medical_base(), ph = pharmacy_base(true);
    adj_line_fingerprints_to_look_up(&med, 0, m);
    int n = adj_line_fingerprints_to_store(&ph, 0, p);
    for (int i = 0; i < n; i++)
        ck_assert_str_ne(m[0].text, p[i].text);
}
END_TEST

static Suite *fingerprint_suite(void)
{
    Suite *s = suite_create("adj_fingerprint");
    TCase *t = tcase_create("fingerprints");
    tcase_add_loop_test(t, test_medical_fingerprint_hits_exactly_when_the_lines_compare_equal, 0,
                        (int)(sizeof medical_cases / sizeof *medical_cases));
    tcase_add_test(t, test_medical_fingerprint_text_is_prefix_and_128_bits_hex);
    tcase_add_test(t, test_medical_fingerprint_is_sha256_of_the_documented_canonical_text);
    tcase_add_loop_test(t, test_pharmacy_fingerprint_hits_exactly_when_the_fills_compare_equal, 0,
                        (int)(sizeof pharmacy_cases / sizeof *pharmacy_cases));
    tcase_add_test(t, test_pharmacy_line_stores_two_fingerprints_and_looks_up_by_its_npi);
    tcase_add_test(t, test_medical_and_pharmacy_fingerprints_never_meet);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return test_run_suite(fingerprint_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
