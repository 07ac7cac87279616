/*
 * Fixtures for the adjudication rule tests: a sample plan (the PPO 500 of
 * API.md), a 25-employee Florida group, an employee and a claim, all values
 * that each test then changes in the one place its rule reads.
 *
 * Header-only (static inline) so that each tests/test_adj_*.c stays its own
 * Check binary with nothing extra to link.
 */
#ifndef CLAIMS_TESTS_ADJ_FIXTURES_H
#define CLAIMS_TESTS_ADJ_FIXTURES_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "adjudicate/adjudicate.h"
#include "date.h"

#define USD(d) ((cents_t)(d)*100)

static inline date_t D(const char *s)
{
    date_t d;
    ck_assert_msg(date_parse(s, &d), "bad test date %s", s);
    return d;
}

/* Fee schedule and formulary, sorted as plan_*_lookup require. */
static struct fee_entry fx_fees[] = {
    {"80053", 2000},  /* $20.00 a unit */
    {"99213", 10000}, /* $100.00 */
    {"99214", 15000}, /* $150.00 */
};

static struct formulary_entry fx_formulary[] = {
    {"00071015523", TIER_PREFERRED_BRAND, true, 450}, {"00093505698", TIER_GENERIC, true, 12},
    {"00555555555", TIER_SPECIALTY, true, 10000},     {"00777777777", TIER_NON_PREFERRED, false, 0},
    {"12345678901", TIER_EXCLUDED, false, 0},
};

#define FX_YEARS 20 /* accumulators loaded for 2015..2034, all zero to start */

struct fx {
    struct plan plan;
    struct group group;
    struct member patient;
    struct member subscriber; /* used when the patient is a dependent */
    struct claim claim;
    struct adj_year_accumulators acc[FX_YEARS];
    int n_acc;
    struct adj_prior_line prior[8];
    int n_prior;
    struct adj_facts facts;
    struct adj_decision out;
};

static inline void fx_plan(struct plan *p)
{
    memset(p, 0, sizeof *p);
    strcpy(p->plan_id, "PPO-500");
    strcpy(p->name, "PPO 500");
    p->in_network = (struct tier_terms){USD(500), USD(1000), USD(3000), USD(6000), 20, 100};
    p->out_of_network = (struct tier_terms){USD(1000), USD(2000), USD(6000), USD(12000), 40, 70};
    p->n_copays = 1;
    strcpy(p->copays[0].procedure_codes[0], "99212");
    strcpy(p->copays[0].procedure_codes[1], "99213");
    p->copays[0].n_procedure_codes = 2;
    p->copays[0].amount = USD(25);
    p->fee_schedule = fx_fees;
    p->n_fee_schedule = sizeof fx_fees / sizeof *fx_fees;
    p->medical_filing_limit_days = 365;
    p->pend_days = 45;
    p->pharmacy[TIER_GENERIC] = (struct pharmacy_tier_terms){true, USD(10), 0};
    p->pharmacy[TIER_PREFERRED_BRAND] = (struct pharmacy_tier_terms){true, USD(35), 0};
    p->pharmacy[TIER_NON_PREFERRED] = (struct pharmacy_tier_terms){false, 0, 50};
    p->pharmacy[TIER_SPECIALTY] = (struct pharmacy_tier_terms){false, 0, 25};
    p->formulary = fx_formulary;
    p->n_formulary = sizeof fx_formulary / sizeof *fx_formulary;
}

static inline void fx_member(struct member *m, const char *id, enum relationship rel,
                             const char *first, const char *birth)
{
    memset(m, 0, sizeof *m);
    strcpy(m->member_id, id);
    strcpy(m->subscriber_id, "M1001");
    strcpy(m->group_id, "G100");
    m->relationship = rel;
    strcpy(m->first_name, first);
    strcpy(m->last_name, "Lopez");
    m->birth_date = D(birth);
    strcpy(m->state, "FL");
    m->n_history = 1;
    m->n_coverage = 1;
    strcpy(m->coverage[0].plan_id, "PPO-500");
    m->coverage[0].effective = D("2020-01-01");
    m->coverage[0].kind = COVERAGE_ACTIVE;
}

/* Makes `m` the patient the claim is for (names, birth date, member id). */
static inline void fx_claim_for(struct fx *x)
{
    strcpy(x->claim.member_id, x->patient.member_id);
    strcpy(x->claim.patient.first_name, x->patient.first_name);
    strcpy(x->claim.patient.last_name, x->patient.last_name);
    x->claim.patient.birth_date = x->patient.birth_date;
}

/* Adds a medical line; returns its index. */
static inline int fx_line(struct fx *x, const char *date, const char *code, int units,
                          cents_t charge)
{
    int i = x->claim.n_lines++;
    struct claim_line *l = &x->claim.lines[i];
    memset(l, 0, sizeof *l);
    l->service_date = D(date);
    strcpy(l->procedure_code, code);
    l->units = units;
    l->charge = charge;
    return i;
}

/* An in-network medical claim for the employee, no lines yet. */
static inline void fx_init(struct fx *x)
{
    memset(x, 0, sizeof *x);
    fx_plan(&x->plan);
    strcpy(x->group.group_id, "G100");
    strcpy(x->group.name, "Acme Tools");
    strcpy(x->group.state, "FL");
    x->group.history[0].facts.employee_count = 25;
    x->group.history[0].facts.medicare_certification = MEDICARE_CERT_20_OR_MORE;
    x->group.n_history = 1;
    strcpy(x->group.plan_id, "PPO-500");
    fx_member(&x->patient, "M1001", REL_EMPLOYEE, "Ana", "1980-04-10");
    fx_member(&x->subscriber, "M1001", REL_EMPLOYEE, "Ana", "1980-04-10");
    x->claim.type = CLAIM_MEDICAL;
    strcpy(x->claim.provider.npi, "1234567893");
    strcpy(x->claim.provider.name, "Bay Clinic");
    x->claim.provider.network = NETWORK_IN;
    x->claim.itemized_bill = true;
    x->claim.n_diagnosis_codes = 1;
    strcpy(x->claim.diagnosis_codes[0], "J06.9");
    fx_claim_for(x);
    for (int i = 0; i < FX_YEARS; i++)
        x->acc[i].year = 2015 + i;
    x->n_acc = FX_YEARS;
}

/* Turns the patient into a dependent of the fixture's employee. */
static inline void fx_dependent(struct fx *x, const char *id, enum relationship rel,
                                const char *first, const char *birth)
{
    fx_member(&x->patient, id, rel, first, birth);
    fx_claim_for(x);
}

/* A pharmacy reimbursement request: 30 tablets of the preferred brand at $4.50. */
static inline void fx_pharmacy(struct fx *x, const char *fill, cents_t charge)
{
    x->claim.type = CLAIM_PHARMACY;
    x->claim.n_lines = 0;
    strcpy(x->claim.pharmacy.name, "Main St Pharmacy");
    x->claim.pharmacy.has_npi = true;
    strcpy(x->claim.pharmacy.npi, "1588667638");
    x->claim.pharmacy.network = NETWORK_OUT;
    strcpy(x->claim.ndc, "00071015523");
    x->claim.fill_date = D(fill);
    strcpy(x->claim.drug_name, "Lipitor 20mg");
    x->claim.quantity_milli = 30000;
    x->claim.days_supply = 30;
    x->claim.charge = charge;
}

/* Runs the adjudicator; received defaults to today. */
static inline int fx_run_on(struct fx *x, const char *received, const char *today)
{
    x->facts.claim_id = "11111111-1111-4111-8111-111111111111";
    x->facts.claim = &x->claim;
    x->facts.patient = &x->patient;
    x->facts.subscriber = x->patient.relationship == REL_EMPLOYEE ? &x->patient : &x->subscriber;
    x->facts.group = &x->group;
    x->facts.plan = &x->plan;
    x->facts.accumulators = x->acc;
    x->facts.n_accumulators = x->n_acc;
    x->facts.prior_lines = x->prior;
    x->facts.n_prior_lines = x->n_prior;
    x->facts.received_date = D(received);
    x->facts.today = D(today);
    return adj_adjudicate(&x->facts, &x->out);
}

static inline void fx_run(struct fx *x, const char *received)
{
    ck_assert_int_eq(fx_run_on(x, received, received), ADJ_OK);
}

static inline struct adj_year_accumulators *fx_year(struct fx *x, int year)
{
    for (int i = 0; i < x->n_acc; i++)
        if (x->acc[i].year == year)
            return &x->acc[i];
    ck_abort_msg("no accumulators for %d", year);
    return NULL;
}

/* ---- Assertions ---- */

static inline const char *fx_group(enum adj_group g)
{
    return adj_group_code(g);
}

/* The line's adjustments as text: "CO-45 5000, PR-3 2500". */
static inline const char *fx_adjustments(const struct adj_line *l)
{
    static char buf[4][256];
    static int which;
    char *b = buf[which++ % 4];
    b[0] = '\0';
    for (int k = 0; k < l->n_adjustments; k++) {
        char one[48];
        snprintf(one, sizeof one, "%s%s-%s %lld", k ? ", " : "", fx_group(l->adjustments[k].group),
                 l->adjustments[k].carc, (long long)l->adjustments[k].amount);
        strcat(b, one);
    }
    return b;
}

static inline const char *fx_remarks(const char (*r)[ADJ_CODE_LEN], int n)
{
    static char buf[4][128];
    static int which;
    char *b = buf[which++ % 4];
    b[0] = '\0';
    for (int k = 0; k < n; k++) {
        if (k)
            strcat(b, ",");
        strcat(b, r[k]);
    }
    return b;
}

/* Exact amounts of a line, its adjustments as text, and the remittance balance. */
static inline void fx_expect_line(const struct adj_decision *d, int i, cents_t charge,
                                  cents_t allowed, cents_t paid, cents_t patient,
                                  const char *adjustments)
{
    const struct adj_line *l = &d->lines[i];
    ck_assert_int_eq(l->charge, charge);
    ck_assert_int_eq(l->allowed, allowed);
    ck_assert_int_eq(l->plan_paid, paid);
    ck_assert_int_eq(l->patient_responsibility, patient);
    ck_assert_str_eq(fx_adjustments(l), adjustments);
    cents_t sum = 0, pr = 0;
    for (int k = 0; k < l->n_adjustments; k++) {
        sum += l->adjustments[k].amount;
        if (l->adjustments[k].group == ADJ_GROUP_PR)
            pr += l->adjustments[k].amount;
    }
    ck_assert_int_eq(l->charge, l->plan_paid + sum);
    ck_assert_int_eq(l->patient_responsibility, pr);
}

/* A line denied with one code carrying its whole charge. */
static inline void fx_expect_denied(const struct adj_decision *d, int i, const char *code,
                                    const char *remarks)
{
    const struct adj_line *l = &d->lines[i];
    char want[48];
    snprintf(want, sizeof want, "%s %lld", code, (long long)l->charge);
    ck_assert_msg(l->denied, "line %d not denied (%s)", i, fx_adjustments(l));
    ck_assert_str_eq(fx_adjustments(l), want);
    ck_assert_int_eq(l->allowed, 0);
    ck_assert_int_eq(l->plan_paid, 0);
    ck_assert_str_eq(fx_remarks(l->remarks, l->n_remarks), remarks);
}

/* A line's outcome in one word, for table-driven eligibility cases:
 * "paid" or the denial code ("CO-27"). */
static inline const char *fx_line_result(const struct adj_decision *d, int i)
{
    static char buf[4][16];
    static int which;
    char *b = buf[which++ % 4];
    const struct adj_line *l = &d->lines[i];
    if (!l->denied)
        return "paid";
    snprintf(b, 16, "%s-%s", fx_group(l->adjustments[0].group), l->adjustments[0].carc);
    return b;
}

#endif
