/*
 * Whole claims through adj_adjudicate(): patient identity (RULES.md § 1),
 * filing deadlines (§ 2), duplicates (§ 5), required information (§ 6), payee
 * (§ 8), the order of the rules, the code table, and facts the worker got
 * wrong.
 */
#include <stdlib.h>

#include "harness/harness.h"
#include "adj_fixtures.h"
#include "adjudicate/rules.h"

static struct fx X;

static void setup(void)
{
    fx_init(&X);
}

/* ---- 1. Patient identity ---- */

START_TEST(test_patient_name_matched_case_insensitive_and_trimmed)
{
    strcpy(X.claim.patient.first_name, "  aNA ");
    strcpy(X.claim.patient.last_name, "LOPEZ\t");
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
}
END_TEST

struct identity_case {
    const char *name;
    const char *first, *last, *birth;
};

static const struct identity_case identity_cases[] = {
    {"first name differs", "Anna", "Lopez", "1980-04-10"},
    {"last name differs", "Ana", "Lopes", "1980-04-10"},
    {"last name a prefix", "Ana", "Lope", "1980-04-10"},
    {"birth date differs by a day", "Ana", "Lopez", "1980-04-11"},
};

START_TEST(test_patient_mismatch_denies_whole_claim_co140)
{
    const struct identity_case *c = &identity_cases[_i];
    strcpy(X.claim.patient.first_name, c->first);
    strcpy(X.claim.patient.last_name, c->last);
    X.claim.patient.birth_date = D(c->birth);
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_line(&X, "2019-03-03", "99213", 1, USD(90)); /* also late and before coverage */
    fx_run(&X, "2025-03-10");
    ck_assert_msg(X.out.outcome == ADJ_DENIED, "%s", c->name);
    fx_expect_denied(&X.out, 0, "CO-140", "");
    fx_expect_denied(&X.out, 1, "CO-140", "");
    ck_assert_int_eq(X.out.n_codes, 1);
    ck_assert_int_eq(X.out.codes[0].amount, USD(240));
    ck_assert_int_eq(X.out.total_charge, USD(240));
    ck_assert_int_eq(X.out.total_plan_paid, 0);
    ck_assert_int_eq(X.out.n_deltas, 0);
    ck_assert_int_eq(X.out.payee, ADJ_PAYEE_PROVIDER); /* in network: named all the same */
}
END_TEST

START_TEST(test_patient_mismatch_stops_the_rest_on_a_late_pharmacy_claim)
{
    fx_pharmacy(&X, "2025-01-01", USD(150));
    strcpy(X.claim.patient.first_name, "Anna");
    fx_run(&X, "2025-12-01");
    fx_expect_denied(&X.out, 0, "CO-140", "");
}
END_TEST

START_TEST(test_same_name_rules)
{
    ck_assert(adj_same_name("   ", ""));
    ck_assert(adj_same_name("", " \t"));
    ck_assert(!adj_same_name("", "x"));
    ck_assert(adj_same_name(" De La Cruz ", "de la cruz"));
    ck_assert(!adj_same_name("De La Cruz", "DeLa Cruz"));
}
END_TEST

/* ---- 2. Filing deadlines ---- */

START_TEST(test_pharmacy_day_180_in_time_day_181_late)
{
    fx_pharmacy(&X, "2026-01-01", USD(150));
    fx_run(&X, "2026-06-30"); /* day 180 */
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    ck_assert_int_eq(X.out.total_plan_paid, USD(100));
    fx_run(&X, "2026-07-01"); /* day 181 */
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    fx_expect_denied(&X.out, 0, "CO-29", "");
}
END_TEST

START_TEST(test_medical_filing_limit_per_line)
{
    fx_line(&X, "2025-01-10", "99214", 1, USD(150));
    fx_line(&X, "2025-01-11", "99214", 1, USD(150));
    fx_run(&X, "2026-01-11"); /* day 366 and day 365 */
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    fx_expect_denied(&X.out, 0, "CO-29", "");
    ck_assert(!X.out.lines[1].denied);
    ck_assert_int_eq(X.out.total_plan_paid, 0); /* all deductible */
    ck_assert_int_eq(X.out.total_patient_responsibility, USD(150));
}
END_TEST

START_TEST(test_medical_filing_limit_from_plan_and_default)
{
    X.plan.medical_filing_limit_days = 90;
    fx_line(&X, "2025-01-10", "99214", 1, USD(150));
    fx_run(&X, "2025-04-10"); /* day 90 */
    ck_assert(!X.out.lines[0].denied);
    fx_run(&X, "2025-04-11"); /* day 91 */
    fx_expect_denied(&X.out, 0, "CO-29", "");
    X.plan.medical_filing_limit_days = 0; /* unset: 365 */
    fx_run(&X, "2026-01-10");
    ck_assert(!X.out.lines[0].denied);
    fx_run(&X, "2026-01-11");
    fx_expect_denied(&X.out, 0, "CO-29", "");
}
END_TEST

/* ---- 3. Eligibility, on the fill date for pharmacy ---- */

START_TEST(test_pharmacy_eligibility_on_fill_date)
{
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D("2025-03-10");
    fx_pharmacy(&X, "2025-03-31", USD(150));
    fx_run(&X, "2025-04-15");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    fx_pharmacy(&X, "2025-04-01", USD(150));
    fx_run(&X, "2025-04-15");
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    fx_expect_denied(&X.out, 0, "CO-27", "");
}
END_TEST

START_TEST(test_ineligible_dependent_claim_denied_co32_n30)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "1999-05-10");
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    fx_expect_denied(&X.out, 0, "CO-32", "N30");
    ck_assert_str_eq(fx_remarks(X.out.remarks, X.out.n_remarks), "N30");
}
END_TEST

/* ---- 5. Duplicates ---- */

#define FIRST_CLAIM "22222222-2222-4222-8222-222222222222"

START_TEST(test_duplicate_line_on_second_claim_denied_oa18)
{
    /* The first claim: two lines, adjudicated and approved. */
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_line(&X, "2025-03-03", "80053", 1, USD(30));
    strcpy(X.claim.lines[0].modifiers[0], "25");
    strcpy(X.claim.lines[0].modifiers[1], "59");
    X.claim.lines[0].n_modifiers = 2;
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    struct adj_decision first = X.out;
    X.n_prior = adj_prior_lines_from_claim(FIRST_CLAIM, &X.claim, &first, X.prior, 8);
    ck_assert_int_eq(X.n_prior, 2);
    fx_year(&X, 2025)->individual[NETWORK_IN].deductible_met = first.deltas[0].deductible;
    fx_year(&X, 2025)->family[NETWORK_IN].deductible_met = first.deltas[0].deductible;

    /* The second: the 99214 again (modifiers in another order) and a new line. */
    strcpy(X.claim.lines[0].modifiers[0], "59");
    strcpy(X.claim.lines[0].modifiers[1], "25");
    X.claim.lines[1].service_date = D("2025-03-04");
    fx_run(&X, "2025-03-12");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    fx_expect_denied(&X.out, 0, "OA-18", "");
    fx_expect_line(&X.out, 1, USD(30), USD(20), 0, USD(20), "CO-45 1000, PR-1 2000");
}
END_TEST

struct dup_case {
    const char *name;
    void (*change)(struct adj_prior_line *p);
    bool duplicate;
};

static void same(struct adj_prior_line *p)
{
    (void)p;
}
static void other_date(struct adj_prior_line *p)
{
    p->service_date = D("2025-03-04");
}
static void other_npi(struct adj_prior_line *p)
{
    strcpy(p->provider_npi, "1245319599");
}
static void other_code(struct adj_prior_line *p)
{
    strcpy(p->procedure_code, "99213");
}
static void other_units(struct adj_prior_line *p)
{
    p->units = 2;
}
static void other_charge(struct adj_prior_line *p)
{
    p->charge += 1;
}
static void extra_modifier(struct adj_prior_line *p)
{
    strcpy(p->modifiers[p->n_modifiers++], "LT");
}
static void other_modifier(struct adj_prior_line *p)
{
    strcpy(p->modifiers[0], "RT");
}
static void repeated_modifier(struct adj_prior_line *p)
{
    strcpy(p->modifiers[1], "25");
    strcpy(p->modifiers[0], "25");
    p->n_modifiers = 2;
}
static void prior_line_denied(struct adj_prior_line *p)
{
    p->denied = true;
}
static void same_claim_id(struct adj_prior_line *p)
{
    strcpy(p->claim_id, "11111111-1111-4111-8111-111111111111");
}
static void pharmacy_line(struct adj_prior_line *p)
{
    p->type = CLAIM_PHARMACY;
}

static const struct dup_case dup_cases[] = {
    {"identical", same, true},
    {"another date", other_date, false},
    {"another provider", other_npi, false},
    {"another procedure", other_code, false},
    {"other units", other_units, false},
    {"charge a cent more", other_charge, false},
    {"an extra modifier", extra_modifier, false},
    {"another modifier", other_modifier, false},
    {"same count, modifiers differ", repeated_modifier, false},
    {"the earlier line was denied", prior_line_denied, false},
    {"this claim's own earlier decision", same_claim_id, false},
    {"a pharmacy line", pharmacy_line, false},
};

START_TEST(test_duplicate_compares_every_field)
{
    const struct dup_case *c = &dup_cases[_i];
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    strcpy(X.claim.lines[0].modifiers[0], "25");
    strcpy(X.claim.lines[0].modifiers[1], "LT");
    X.claim.lines[0].n_modifiers = 2;
    X.n_prior = adj_prior_lines_from_claim(FIRST_CLAIM, &X.claim, NULL, X.prior, 8);
    c->change(&X.prior[0]);
    fx_run(&X, "2025-03-10");
    ck_assert_msg(X.out.lines[0].denied == c->duplicate, "%s", c->name);
}
END_TEST

START_TEST(test_denied_first_claim_does_not_make_duplicates)
{
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    struct adj_decision denied;
    memset(&denied, 0, sizeof denied);
    denied.outcome = ADJ_DENIED;
    X.n_prior = adj_prior_lines_from_claim(FIRST_CLAIM, &X.claim, &denied, X.prior, 8);
    ck_assert(X.prior[0].denied);
    fx_run(&X, "2025-03-10");
    ck_assert(!X.out.lines[0].denied);
}
END_TEST

START_TEST(test_duplicate_check_without_own_claim_id)
{
    /* Before the claim has an id every prior line counts, even one with the
     * id the fixture uses. */
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    X.n_prior = adj_prior_lines_from_claim("11111111-1111-4111-8111-111111111111", &X.claim, NULL,
                                           X.prior, 8);
    fx_run(&X, "2025-03-10");
    ck_assert(!X.out.lines[0].denied);
    X.facts.claim_id = NULL;
    ck_assert_int_eq(adj_adjudicate(&X.facts, &X.out), ADJ_OK);
    fx_expect_denied(&X.out, 0, "OA-18", "");
}
END_TEST

START_TEST(test_identical_lines_on_one_claim_are_not_duplicates)
{
    fx_line(&X, "2025-03-03", "80053", 1, USD(20));
    fx_line(&X, "2025-03-03", "80053", 1, USD(20));
    fx_run(&X, "2025-03-10");
    ck_assert(!X.out.lines[0].denied);
    ck_assert(!X.out.lines[1].denied);
}
END_TEST

START_TEST(test_pharmacy_duplicate_same_pharmacy_ndc_fill)
{
    fx_pharmacy(&X, "2025-03-03", USD(150));
    X.n_prior = adj_prior_lines_from_claim(FIRST_CLAIM, &X.claim, NULL, X.prior, 8);
    ck_assert_int_eq(X.n_prior, 1);
    fx_run(&X, "2025-03-10");
    fx_expect_denied(&X.out, 0, "OA-18", "");
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);

    /* One receipt without the pharmacy's NPI: compared by name. */
    X.claim.pharmacy.has_npi = false;
    strcpy(X.prior[0].pharmacy_name, " main st PHARMACY ");
    fx_run(&X, "2025-03-10");
    fx_expect_denied(&X.out, 0, "OA-18", "");
    strcpy(X.prior[0].pharmacy_name, "Main St Pharmacy 2");
    fx_run(&X, "2025-03-10");
    ck_assert(!X.out.lines[0].denied);

    X.claim.pharmacy.has_npi = true;
    X.prior[0].pharmacy_has_npi = false; /* only the new receipt has it: by name */
    fx_run(&X, "2025-03-10");
    ck_assert(!X.out.lines[0].denied);
    strcpy(X.prior[0].pharmacy_name, X.claim.pharmacy.name);
    fx_run(&X, "2025-03-10");
    fx_expect_denied(&X.out, 0, "OA-18", "");
    X.prior[0].pharmacy_has_npi = true;
    strcpy(X.prior[0].pharmacy_npi, "1111111112");
    fx_run(&X, "2025-03-10");
    ck_assert(!X.out.lines[0].denied); /* both NPIs: they differ */
    strcpy(X.prior[0].pharmacy_npi, X.claim.pharmacy.npi);
    strcpy(X.prior[0].ndc, "00093505698");
    fx_run(&X, "2025-03-10");
    ck_assert(!X.out.lines[0].denied);
    strcpy(X.prior[0].ndc, X.claim.ndc);
    X.prior[0].quantity_milli = 60000;
    fx_run(&X, "2025-03-10");
    ck_assert(!X.out.lines[0].denied);
    X.prior[0].quantity_milli = X.claim.quantity_milli;
    X.prior[0].charge = USD(151);
    fx_run(&X, "2025-03-10");
    ck_assert(!X.out.lines[0].denied);
    X.prior[0].charge = USD(150);
    X.prior[0].service_date = D("2025-03-04");
    fx_run(&X, "2025-03-10");
    ck_assert(!X.out.lines[0].denied);
}
END_TEST

START_TEST(test_prior_lines_from_claim_respects_max_and_line_denials)
{
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_line(&X, "2019-03-03", "99214", 1, USD(150));
    fx_line(&X, "2025-03-03", "80053", 1, USD(20));
    X.plan.medical_filing_limit_days = 40000;
    fx_run(&X, "2025-03-10");
    struct adj_prior_line lines[3];
    ck_assert_int_eq(adj_prior_lines_from_claim(FIRST_CLAIM, &X.claim, &X.out, lines, 2), 2);
    ck_assert(!lines[0].denied);
    ck_assert(lines[1].denied); /* CO-26 */
    ck_assert_str_eq(lines[0].claim_id, FIRST_CLAIM);
    ck_assert_str_eq(lines[0].provider_npi, "1234567893");
    ck_assert_int_eq(lines[0].units, 1);
    struct adj_decision empty;
    memset(&empty, 0, sizeof empty); /* an approved decision without lines */
    ck_assert_int_eq(adj_prior_lines_from_claim(FIRST_CLAIM, &X.claim, &empty, lines, 3), 3);
    ck_assert(!lines[1].denied);
}
END_TEST

/* ---- 6. Required information ---- */

START_TEST(test_out_of_network_without_itemized_bill_pends_co16_n26)
{
    X.claim.provider.network = NETWORK_OUT;
    X.claim.itemized_bill = false;
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_PENDED);
    ck_assert_str_eq(fx_remarks(X.out.pend.reason_codes, X.out.pend.n_reason_codes), "CO-16,N26");
    ck_assert_int_eq(X.out.pend.n_needed, 1);
    ck_assert_str_eq(X.out.pend.needed[0], "itemized_bill");
    ck_assert_int_eq(X.out.pend.deadline.days, D("2025-04-24").days);
    ck_assert_str_eq(fx_remarks(X.out.remarks, X.out.n_remarks), "N26");
    ck_assert_int_eq(X.out.n_codes, 0); /* nothing decided yet */
}
END_TEST

START_TEST(test_itemized_bill_attachment_counts)
{
    X.claim.provider.network = NETWORK_OUT;
    X.claim.itemized_bill = false;
    X.claim.n_attachments = 2;
    X.claim.attachments[0].kind = ATTACH_OTHER;
    strcpy(X.claim.attachments[0].reference, "doc-1");
    X.claim.attachments[1].kind = ATTACH_ITEMIZED_BILL;
    strcpy(X.claim.attachments[1].reference, "doc-2");
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    X.claim.attachments[1].kind = ATTACH_PRIMARY_EOB;
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_PENDED);
}
END_TEST

START_TEST(test_in_network_needs_no_itemized_bill)
{
    X.claim.itemized_bill = false;
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
}
END_TEST

START_TEST(test_expired_pend_without_itemized_bill_denied_co16_n26)
{
    X.claim.provider.network = NETWORK_OUT;
    X.claim.itemized_bill = false;
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_line(&X, "2025-03-04", "80053", 1, USD(30));
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(adj_decide_expired_pend(&X.facts, &X.out), ADJ_OK);
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    fx_expect_denied(&X.out, 0, "CO-16", "N26");
    fx_expect_denied(&X.out, 1, "CO-16", "N26");
    ck_assert_int_eq(X.out.n_codes, 1);
    ck_assert_int_eq(X.out.codes[0].amount, USD(180));
    ck_assert_int_eq(X.out.pend.n_reason_codes, 0);
}
END_TEST

START_TEST(test_expired_pend_with_nothing_missing_is_adjudicated)
{
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(adj_decide_expired_pend(&X.facts, &X.out), ADJ_OK);
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
}
END_TEST

/* ---- 8. Payee ---- */

struct payee_case {
    const char *name;
    enum claim_type type;
    enum network network;
    bool inpatient, assigned, facility;
    enum adj_payee payee;
};

static const struct payee_case payee_cases[] = {
    {"inpatient facility, out of network, unassigned", CLAIM_MEDICAL, NETWORK_OUT, true, false,
     true, ADJ_PAYEE_PROVIDER},
    {"inpatient, non-facility, out of network, unassigned: not paid as a facility", CLAIM_MEDICAL,
     NETWORK_OUT, true, false, false, ADJ_PAYEE_MEMBER},
    {"inpatient, non-facility, out of network, assigned", CLAIM_MEDICAL, NETWORK_OUT, true, true,
     false, ADJ_PAYEE_PROVIDER},
    {"inpatient, non-facility, in network", CLAIM_MEDICAL, NETWORK_IN, true, false, false,
     ADJ_PAYEE_PROVIDER},
    {"outpatient facility, out of network, unassigned", CLAIM_MEDICAL, NETWORK_OUT, false, false,
     true, ADJ_PAYEE_MEMBER},
    {"in network", CLAIM_MEDICAL, NETWORK_IN, false, false, false, ADJ_PAYEE_PROVIDER},
    {"out of network, assigned", CLAIM_MEDICAL, NETWORK_OUT, false, true, false,
     ADJ_PAYEE_PROVIDER},
    {"out of network, unassigned", CLAIM_MEDICAL, NETWORK_OUT, false, false, false,
     ADJ_PAYEE_MEMBER},
    {"pharmacy, even assigned", CLAIM_PHARMACY, NETWORK_IN, false, true, false, ADJ_PAYEE_MEMBER},
};

START_TEST(test_payee)
{
    const struct payee_case *c = &payee_cases[_i];
    if (c->type == CLAIM_PHARMACY)
        fx_pharmacy(&X, "2025-03-03", USD(150));
    else
        fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    X.claim.provider.network = c->network;
    X.claim.pharmacy.network = c->network;
    X.claim.inpatient = c->inpatient;
    X.claim.provider.facility = c->facility;
    X.claim.assignment_of_benefits = c->assigned;
    fx_run(&X, "2025-03-10");
    ck_assert_msg(X.out.payee == c->payee, "%s", c->name);
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
}
END_TEST

/* ---- Order of the rules and the decision's shape ---- */

START_TEST(test_each_line_denied_by_the_first_rule_that_fails)
{
    X.plan.medical_filing_limit_days = 400;
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D("2025-02-10");
    fx_line(&X, "2024-01-01", "99214", 1, USD(100)); /* late and covered: CO-29 */
    fx_line(&X, "2025-03-01", "99214", 1, USD(110)); /* after coverage: CO-27 */
    fx_line(&X, "2025-02-01", "99214", 1, USD(120)); /* paid */
    fx_line(&X, "2025-02-01", "99214", 1, USD(130)); /* duplicate of a prior claim */
    X.n_prior = adj_prior_lines_from_claim(FIRST_CLAIM, &X.claim, NULL, X.prior, 8);
    X.prior[0].service_date = D("2023-01-01");
    X.prior[1].service_date = D("2023-01-01");
    X.prior[2].service_date = D("2023-01-01");
    fx_run(&X, "2025-03-15");
    fx_expect_denied(&X.out, 0, "CO-29", "");
    fx_expect_denied(&X.out, 1, "CO-27", "");
    fx_expect_line(&X.out, 2, USD(120), USD(120), 0, USD(120), "PR-1 12000");
    fx_expect_denied(&X.out, 3, "OA-18", "");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    ck_assert_int_eq(X.out.n_codes, 4);
    ck_assert_int_eq(X.out.total_charge, USD(460));
    ck_assert_int_eq(X.out.total_allowed, USD(120));
    ck_assert_int_eq(X.out.total_patient_responsibility, USD(120));
    ck_assert_int_eq(X.out.deltas[0].deductible, USD(120));
}
END_TEST

START_TEST(test_bad_facts_are_an_error_not_a_denial)
{
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    struct adj_facts good = X.facts, f;
    ck_assert_int_eq(adj_adjudicate(NULL, &X.out), ADJ_ERR_FACTS);
    ck_assert_int_eq(adj_adjudicate(&good, NULL), ADJ_ERR_FACTS);
    ck_assert_int_eq(adj_decide_expired_pend(NULL, &X.out), ADJ_ERR_FACTS);
    const struct member *no_member = NULL;
    f = good, f.claim = NULL;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.patient = no_member;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.subscriber = no_member;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.group = NULL;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.plan = NULL;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.n_accumulators = -1;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.n_accumulators = ADJ_MAX_PLAN_YEARS + 1;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.accumulators = NULL;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.n_prior_lines = -1;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.n_prior_lines = 1, f.prior_lines = NULL;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.n_accumulators = 0, f.accumulators = NULL; /* fine until pricing needs them */
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_ERR_FACTS);
    f = good, f.n_prior_lines = 0, f.prior_lines = NULL;
    ck_assert_int_eq(adj_adjudicate(&f, &X.out), ADJ_OK);
    X.claim.n_lines = 0;
    ck_assert_int_eq(adj_adjudicate(&good, &X.out), ADJ_ERR_FACTS);
    X.claim.n_lines = MAX_LINES + 1;
    ck_assert_int_eq(adj_adjudicate(&good, &X.out), ADJ_ERR_FACTS);
    X.claim.n_lines = 1;
    strcpy(X.claim.member_id, "M9999");
    ck_assert_int_eq(adj_adjudicate(&good, &X.out), ADJ_ERR_FACTS);
}
END_TEST

START_TEST(test_denied_claim_needs_no_accumulators)
{
    fx_line(&X, "2019-03-03", "99214", 1, USD(150));
    X.n_acc = 0;
    X.plan.medical_filing_limit_days = 40000;
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
}
END_TEST

/* ---- The code table ---- */

START_TEST(test_every_emitted_code_has_its_standard_wording)
{
    const char *carcs[] = {"1",  "2",  "3",  "16", "18", "22",  "23", "26",
                           "27", "29", "32", "45", "96", "140", "200"};
    const char *rarcs[] = {"N26", "N30", "N479", "MA04"};
    size_t n;
    adj_carc_table(&n);
    ck_assert_uint_eq(n, sizeof carcs / sizeof *carcs);
    for (size_t i = 0; i < n; i++) {
        const struct adj_code_info *c = adj_carc_lookup(carcs[i]);
        ck_assert_msg(c && c->wording[0] && c->plain[0], "CARC %s", carcs[i]);
        ck_assert_str_eq(c->code, carcs[i]);
    }
    adj_rarc_table(&n);
    ck_assert_uint_eq(n, sizeof rarcs / sizeof *rarcs);
    for (size_t i = 0; i < n; i++) {
        const struct adj_code_info *c = adj_rarc_lookup(rarcs[i]);
        ck_assert_msg(c && c->wording[0] && c->plain[0], "RARC %s", rarcs[i]);
    }
    ck_assert_str_eq(adj_carc_lookup("140")->wording,
                     "Patient/Insured health identification number and name do not match.");
    ck_assert_str_eq(adj_carc_lookup("18")->wording, "Exact duplicate claim/service.");
    ck_assert_str_eq(adj_rarc_lookup("N26")->wording, "Missing itemized bill/statement.");
    ck_assert_ptr_null(adj_carc_lookup("999"));
    ck_assert_ptr_null(adj_carc_lookup("N26"));
    ck_assert_ptr_null(adj_rarc_lookup("45"));
}
END_TEST

START_TEST(test_group_and_enum_names)
{
    ck_assert_str_eq(adj_group_code(ADJ_GROUP_CO), "CO");
    ck_assert_str_eq(adj_group_code(ADJ_GROUP_PR), "PR");
    ck_assert_str_eq(adj_group_code(ADJ_GROUP_OA), "OA");
    ck_assert_str_eq(adj_group_wording(ADJ_GROUP_CO), "Contractual Obligations");
    ck_assert_str_eq(adj_group_wording(ADJ_GROUP_PR), "Patient Responsibility");
    ck_assert_str_eq(adj_group_wording(ADJ_GROUP_OA), "Other Adjustments");
    ck_assert_str_eq(adj_outcome_name(ADJ_APPROVED), "approved");
    ck_assert_str_eq(adj_outcome_name(ADJ_DENIED), "denied");
    ck_assert_str_eq(adj_outcome_name(ADJ_PENDED), "pended");
    ck_assert_str_eq(adj_cob_position_name(ADJ_COB_PRIMARY), "primary");
    ck_assert_str_eq(adj_cob_position_name(ADJ_COB_SECONDARY), "secondary");
    ck_assert_str_eq(adj_payee_name(ADJ_PAYEE_MEMBER), "member");
    ck_assert_str_eq(adj_payee_name(ADJ_PAYEE_PROVIDER), "provider");
}
END_TEST

static Suite *claims_suite(void)
{
    Suite *s = suite_create("adjudicate claims");
    TCase *t = tcase_create("claims");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, test_patient_name_matched_case_insensitive_and_trimmed);
    tcase_add_loop_test(t, test_patient_mismatch_denies_whole_claim_co140, 0,
                        sizeof identity_cases / sizeof *identity_cases);
    tcase_add_test(t, test_patient_mismatch_stops_the_rest_on_a_late_pharmacy_claim);
    tcase_add_test(t, test_same_name_rules);
    tcase_add_test(t, test_pharmacy_day_180_in_time_day_181_late);
    tcase_add_test(t, test_medical_filing_limit_per_line);
    tcase_add_test(t, test_medical_filing_limit_from_plan_and_default);
    tcase_add_test(t, test_pharmacy_eligibility_on_fill_date);
    tcase_add_test(t, test_ineligible_dependent_claim_denied_co32_n30);
    tcase_add_test(t, test_duplicate_line_on_second_claim_denied_oa18);
    tcase_add_loop_test(t, test_duplicate_compares_every_field, 0,
                        sizeof dup_cases / sizeof *dup_cases);
    tcase_add_test(t, test_denied_first_claim_does_not_make_duplicates);
    tcase_add_test(t, test_duplicate_check_without_own_claim_id);
    tcase_add_test(t, test_identical_lines_on_one_claim_are_not_duplicates);
    tcase_add_test(t, test_pharmacy_duplicate_same_pharmacy_ndc_fill);
    tcase_add_test(t, test_prior_lines_from_claim_respects_max_and_line_denials);
    tcase_add_test(t, test_out_of_network_without_itemized_bill_pends_co16_n26);
    tcase_add_test(t, test_itemized_bill_attachment_counts);
    tcase_add_test(t, test_in_network_needs_no_itemized_bill);
    tcase_add_test(t, test_expired_pend_without_itemized_bill_denied_co16_n26);
    tcase_add_test(t, test_expired_pend_with_nothing_missing_is_adjudicated);
    tcase_add_loop_test(t, test_payee, 0, sizeof payee_cases / sizeof *payee_cases);
    tcase_add_test(t, test_each_line_denied_by_the_first_rule_that_fails);
    tcase_add_test(t, test_bad_facts_are_an_error_not_a_denial);
    tcase_add_test(t, test_denied_claim_needs_no_accumulators);
    tcase_add_test(t, test_every_emitted_code_has_its_standard_wording);
    tcase_add_test(t, test_group_and_enum_names);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return test_run_suite(claims_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
