/*
 * Coordination of benefits (RULES.md § 4): Medicare by age, ESRD and
 * disability (manual § II), the NAIC order rules, the secondary payment with
 * the primary's EOB, the pend without it, and the denial when the pend
 * deadline passes.
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

static void medicare(enum medicare_basis basis, const char *entitled)
{
    X.patient.history[0].facts.medicare.present = true;
    X.patient.history[0].facts.medicare.basis = basis;
    X.patient.history[0].facts.medicare.entitlement_date = D(entitled);
    /* Both parts, as the parser's default. */
    X.patient.history[0].facts.medicare.part_a = X.patient.history[0].facts.medicare.part_b = true;
}

/* One line on `date`, adjudicated: returns "primary" or "secondary" and checks
 * that a secondary claim without the primary's EOB pends for it. */
static const char *position_on(const char *date)
{
    X.claim.n_lines = 0;
    fx_line(&X, date, "99214", 1, USD(150));
    X.plan.medical_filing_limit_days = 40000;
    fx_run(&X, "2030-01-02");
    if (X.out.cob_position == ADJ_COB_PRIMARY) {
        ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
        return "primary";
    }
    ck_assert_int_eq(X.out.outcome, ADJ_PENDED);
    ck_assert_str_eq(X.out.pend.needed[0], "other_insurance");
    return "secondary";
}

/* ---- Medicare (§ II) ---- */

static void employee_65(void)
{
    X.patient.birth_date = D("1958-04-10");
    fx_claim_for(&X);
    medicare(MEDICARE_AGE, "2023-04-01");
}

START_TEST(test_medicare_by_age_group_20_or_more_active_plan_primary)
{
    employee_65();
    X.group.history[0].facts.employee_count = 20;
    X.group.history[0].facts.medicare_certification = MEDICARE_CERT_20_OR_MORE;
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
    ck_assert(!X.out.medicare_primary);
}
END_TEST

START_TEST(test_medicare_by_age_group_19_or_fewer_medicare_primary)
{
    employee_65();
    X.group.history[0].facts.employee_count = 19;
    X.group.history[0].facts.medicare_certification = MEDICARE_CERT_19_OR_FEWER;
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
    ck_assert(X.out.medicare_primary);
    ck_assert_int_eq(X.out.pend.n_reason_codes, 2);
    ck_assert_str_eq(X.out.pend.reason_codes[0], "N479");
    ck_assert_str_eq(X.out.pend.reason_codes[1], "MA04");
    ck_assert_str_eq(fx_remarks(X.out.remarks, X.out.n_remarks), "N479,MA04");
}
END_TEST

START_TEST(test_medicare_by_age_before_entitlement_plan_primary)
{
    employee_65();
    X.group.history[0].facts.medicare_certification = MEDICARE_CERT_19_OR_FEWER;
    ck_assert_str_eq(position_on("2023-03-31"), "primary");
    ck_assert_str_eq(position_on("2023-04-01"), "secondary");
}
END_TEST

START_TEST(test_medicare_by_age_on_cobra_medicare_primary)
{
    employee_65();
    X.group.history[0].facts.employee_count = 50;
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D("2024-12-31");
    X.patient.n_coverage = 2;
    X.patient.coverage[1] = X.patient.coverage[0];
    X.patient.coverage[1].has_termination_event = false;
    X.patient.coverage[1].kind = COVERAGE_COBRA;
    X.patient.coverage[1].effective = D("2025-01-01");
    X.patient.coverage[1].qualifying_event = D("2024-12-31");
    X.patient.coverage[1].months = 18;
    X.patient.coverage[1].elected_on = D("2025-01-01"); /* entitled before: COBRA stands */
    ck_assert_str_eq(position_on("2024-12-31"), "primary");
    ck_assert_str_eq(position_on("2025-01-01"), "secondary");
}
END_TEST

START_TEST(test_medicare_by_age_spouse_of_active_employee)
{
    fx_dependent(&X, "M1001-01", REL_SPOUSE, "Luis", "1957-09-02");
    medicare(MEDICARE_AGE, "2022-09-01");
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
    X.group.history[0].facts.medicare_certification = MEDICARE_CERT_19_OR_FEWER;
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
}
END_TEST

START_TEST(test_active_span_preferred_over_overlapping_cobra_span)
{
    /* A COBRA span entered ahead of time, listed before the active span that
     * still covers the date: the active span decides (working aged, 20+). */
    employee_65();
    X.patient.n_coverage = 2;
    X.patient.coverage[1] = X.patient.coverage[0];
    X.patient.coverage[0].kind = COVERAGE_COBRA;
    X.patient.coverage[0].qualifying_event = D("2024-12-10");
    X.patient.coverage[0].months = 18;
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
}
END_TEST

START_TEST(test_medicare_esrd_month_30_plan_primary_month_31_medicare)
{
    X.group.history[0].facts.employee_count = 12; /* whatever the group size */
    X.group.history[0].facts.medicare_certification = MEDICARE_CERT_19_OR_FEWER;
    medicare(MEDICARE_ESRD, "2024-03-01");
    ck_assert_str_eq(position_on("2026-08-01"), "primary"); /* month 30 */
    ck_assert_str_eq(position_on("2026-08-31"), "primary");
    ck_assert_str_eq(position_on("2026-09-01"), "secondary"); /* month 31 */
    ck_assert(X.out.medicare_primary);
    medicare(MEDICARE_ESRD, "2024-03-20"); /* March is month 1 whatever the day */
    ck_assert_str_eq(position_on("2026-08-31"), "primary");
    ck_assert_str_eq(position_on("2026-09-01"), "secondary");
    X.group.history[0].facts.employee_count = 40; /* COBRA coverage coordinates the same way */
    X.patient.coverage[0].kind = COVERAGE_COBRA;
    X.patient.coverage[0].qualifying_event = D("2025-12-15");
    X.patient.coverage[0].months = 36;
    X.patient.coverage[0].elected_on = D("2025-12-20");
    ck_assert_str_eq(position_on("2026-08-31"), "primary");
    ck_assert_str_eq(position_on("2026-09-01"), "secondary");
}
END_TEST

START_TEST(test_medicare_disability_large_group_active_plan_primary)
{
    medicare(MEDICARE_DISABILITY, "2023-01-01");
    X.group.history[0].facts.employee_count = 100;
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
    X.group.history[0].facts.employee_count = 99;
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
    ck_assert(X.out.medicare_primary);
}
END_TEST

START_TEST(test_medicare_disability_large_group_cobra_medicare_primary)
{
    medicare(MEDICARE_DISABILITY, "2023-01-01");
    X.group.history[0].facts.employee_count = 500;
    X.patient.coverage[0].kind = COVERAGE_COBRA;
    X.patient.coverage[0].qualifying_event = D("2024-10-01");
    X.patient.coverage[0].months = 29;
    X.patient.coverage[0].elected_on = D("2024-10-15");
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
}
END_TEST

START_TEST(test_cob_decided_per_line_esrd_coordination_ends_mid_claim)
{
    medicare(MEDICARE_ESRD, "2024-03-01");
    fx_year(&X, 2026)->individual[NETWORK_IN].deductible_met = USD(500);
    fx_year(&X, 2026)->family[NETWORK_IN].deductible_met = USD(500);
    fx_line(&X, "2026-08-31", "99214", 1, USD(150)); /* month 30: this plan first */
    fx_line(&X, "2026-09-01", "99214", 1, USD(150)); /* month 31: Medicare first */
    fx_line(&X, "2026-09-02", "99214", 1, USD(150));
    fx_run(&X, "2026-09-10");
    ck_assert_int_eq(X.out.outcome, ADJ_PENDED);
    ck_assert_str_eq(fx_remarks(X.out.pend.reason_codes, X.out.pend.n_reason_codes), "N479,MA04");
    ck_assert_int_eq(X.out.lines[0].cob_position, ADJ_COB_PRIMARY);
    ck_assert_int_eq(X.out.lines[1].cob_position, ADJ_COB_SECONDARY);
    ck_assert_int_eq(adj_decide_expired_pend(&X.facts, &X.out), ADJ_OK);
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    ck_assert_int_eq(X.out.cob_position, ADJ_COB_SECONDARY);
    ck_assert(X.out.medicare_primary);
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(120), USD(30), "PR-2 3000");
    fx_expect_denied(&X.out, 1, "OA-22", "N479,MA04");
    fx_expect_denied(&X.out, 2, "OA-22", "N479,MA04");
}
END_TEST

START_TEST(test_active_span_listed_first_stays_the_covering_span)
{
    employee_65();
    X.patient.n_coverage = 2;
    X.patient.coverage[1] = X.patient.coverage[0];
    X.patient.coverage[1].kind = COVERAGE_COBRA;
    X.patient.coverage[1].qualifying_event = D("2024-12-10");
    X.patient.coverage[1].months = 18;
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
}
END_TEST

/* ---- Medicare Part A and Part B (§ II "Working aged") ---- */

enum part_claim {
    PROFESSIONAL,
    INPATIENT_FACILITY,
    INPATIENT_PHYSICIAN,
    OUTPATIENT_FACILITY,
    PHARMACY
};

struct part_case {
    const char *name;
    bool part_a, part_b;
    enum part_claim claim;
    const char *want; /* "secondary": pends for Medicare's EOB; "primary": paid now */
};

/* A 67-year-old employee, Medicare by age since 2023, in a group certified 19
 * or fewer: Medicare is primary for what it covers. */
static const struct part_case part_cases[] = {
    {"Part A only, doctor's visit", true, false, PROFESSIONAL, "primary"},
    {"Part A only, hospital's inpatient bill", true, false, INPATIENT_FACILITY, "secondary"},
    {"Part A only, physician during the stay", true, false, INPATIENT_PHYSICIAN, "primary"},
    {"Part A only, hospital outpatient", true, false, OUTPATIENT_FACILITY, "primary"},
    {"Part B only, doctor's visit", false, true, PROFESSIONAL, "secondary"},
    {"Part B only, hospital's inpatient bill", false, true, INPATIENT_FACILITY, "primary"},
    {"Part B only, physician during the stay", false, true, INPATIENT_PHYSICIAN, "secondary"},
    {"Part B only, hospital outpatient", false, true, OUTPATIENT_FACILITY, "secondary"},
    {"both parts, doctor's visit", true, true, PROFESSIONAL, "secondary"},
    {"both parts, hospital's inpatient bill", true, true, INPATIENT_FACILITY, "secondary"},
    {"both parts, pharmacy fill (Part D not in the model)", true, true, PHARMACY, "primary"},
    {"neither part recorded, doctor's visit", false, false, PROFESSIONAL, "primary"},
};

static void part_claim(enum part_claim kind)
{
    if (kind == PHARMACY) {
        fx_pharmacy(&X, "2025-03-03", USD(150));
        return;
    }
    X.claim.inpatient = kind == INPATIENT_FACILITY || kind == INPATIENT_PHYSICIAN;
    X.claim.provider.facility = kind == INPATIENT_FACILITY || kind == OUTPATIENT_FACILITY;
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
}

START_TEST(test_medicare_primary_only_for_the_part_the_member_has)
{
    const struct part_case *c = &part_cases[_i];
    X.patient.birth_date = D("1958-04-10");
    fx_claim_for(&X);
    medicare(MEDICARE_AGE, "2023-04-01");
    X.patient.history[0].facts.medicare.part_a = c->part_a;
    X.patient.history[0].facts.medicare.part_b = c->part_b;
    X.group.history[0].facts.employee_count = 12;
    X.group.history[0].facts.medicare_certification = MEDICARE_CERT_19_OR_FEWER;
    part_claim(c->claim);
    fx_run(&X, "2025-03-10");
    if (strcmp(c->want, "secondary") == 0) {
        ck_assert_msg(X.out.outcome == ADJ_PENDED, "%s: not pended", c->name);
        ck_assert_str_eq(fx_remarks(X.out.pend.reason_codes, X.out.pend.n_reason_codes),
                         "N479,MA04");
        ck_assert(X.out.medicare_primary);
        return;
    }
    /* No Medicare EOB can exist: paid now as primary, no remark asking for one. */
    ck_assert_msg(X.out.outcome == ADJ_APPROVED, "%s: outcome %d", c->name, X.out.outcome);
    ck_assert_int_eq(X.out.cob_position, ADJ_COB_PRIMARY);
    ck_assert(!X.out.medicare_primary);
    ck_assert_str_eq(fx_remarks(X.out.remarks, X.out.n_remarks), "");
    ck_assert_int_eq(X.out.lines[0].plan_paid, c->claim == PHARMACY
                                                   ? USD(135) - USD(35) /* preferred brand copay */
                                                   : 0 /* all to the deductible */);
    ck_assert_int_eq(X.out.total_patient_responsibility,
                     c->claim == PHARMACY ? USD(15) + USD(35) /* PR-45, PR-3 */ : USD(150));
}
END_TEST

START_TEST(test_part_a_only_professional_claim_not_denied_at_the_pend_deadline)
{
    /* The scenario: pended for a Medicare EOB that cannot exist, then
     * denied OA-22 after 45 days. Now decided at once, and the same at the deadline. */
    X.patient.birth_date = D("1958-04-10");
    fx_claim_for(&X);
    medicare(MEDICARE_AGE, "2023-04-01");
    X.patient.history[0].facts.medicare.part_b = false;
    X.group.history[0].facts.employee_count = 12;
    X.group.history[0].facts.medicare_certification = MEDICARE_CERT_19_OR_FEWER;
    struct adj_year_accumulators *y = fx_year(&X, 2025);
    y->individual[NETWORK_IN].deductible_met = y->family[NETWORK_IN].deductible_met = USD(500);
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(120), USD(30), "PR-2 3000");
    ck_assert_int_eq(adj_decide_expired_pend(&X.facts, &X.out), ADJ_OK);
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(120), USD(30), "PR-2 3000");
}
END_TEST

/* ---- NAIC order rules ---- */

static struct other_coverage *other(enum other_coverage_relationship rel, const char *effective)
{
    struct other_coverage *o = &X.patient.other_coverage[X.patient.n_other_coverage++];
    memset(o, 0, sizeof *o);
    strcpy(o->payer_name, "Other Health");
    o->kind = OTHER_GROUP;
    o->relationship = rel;
    o->effective = D(effective);
    o->active_employment = true;
    return o;
}

START_TEST(test_naic_employee_plan_before_dependent_plan)
{
    other(OTHER_AS_DEPENDENT, "2010-01-01"); /* covered longer, but as a dependent */
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
    ck_assert(!X.out.medicare_primary);

    fx_init(&X);
    fx_dependent(&X, "M1001-01", REL_SPOUSE, "Luis", "1979-09-02");
    other(OTHER_AS_EMPLOYEE, "2024-01-01"); /* the spouse's own job */
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
    ck_assert_int_eq(X.out.pend.n_reason_codes, 1);
    ck_assert_str_eq(X.out.pend.reason_codes[0], "N479");
}
END_TEST

struct birthday_case {
    const char *name;
    const char *other_holder_birth;
    const char *other_effective;
    const char *expect;
};

/* Our holder, the employee, was born 10 April 1980; our coverage from 1 Jan 2020. */
static const struct birthday_case birthday_cases[] = {
    {"other parent's birthday later in the year", "1981-06-01", "2010-01-01", "primary"},
    {"other parent's birthday earlier in the year", "1985-02-01", "2024-01-01", "secondary"},
    {"same month, earlier day", "1990-04-09", "2024-01-01", "secondary"},
    {"same month, later day; year ignored", "1970-04-11", "2010-01-01", "primary"},
    {"same birthday, other covered longer", "1982-04-10", "2018-01-01", "secondary"},
    {"same birthday, ours covered longer", "1982-04-10", "2021-01-01", "primary"},
    {"same birthday, same start: this plan", "1982-04-10", "2020-01-01", "primary"},
};

START_TEST(test_naic_birthday_rule_for_dependent_child)
{
    const struct birthday_case *c = &birthday_cases[_i];
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2012-01-15");
    struct other_coverage *o = other(OTHER_AS_DEPENDENT, c->other_effective);
    o->has_holder_birth_date = true;
    o->holder_birth_date = D(c->other_holder_birth);
    ck_assert_msg(strcmp(position_on("2025-03-03"), c->expect) == 0, "%s", c->name);
}
END_TEST

/* NAIC: dependent child of divorced, separated or never-married parents. Our
 * plan's holder is the subscriber (born 10 Apr); the other plan started after
 * ours, so without this rule a January-born holder wins by the birthday rule
 * and a December-born one loses. */
#define NO_DECREE DECREE_NONE
struct separated_case {
    const char *name;
    bool parents; /* false: married or living together */
    enum parents_status status;
    enum custodial_parent custodial;
    enum decree_responsible decree;
    enum coverage_holder holder;
    const char *holder_birth;
    const char *expect;
};

static const struct separated_case separated_cases[] = {
    {"custodial subscriber beats the other parent's earlier birthday", true, PARENTS_DIVORCED,
     CUSTODY_SUBSCRIBER, NO_DECREE, HOLDER_OTHER_PARENT, "1981-01-20", "primary"},
    {"custodial other parent first, whatever the birthdays", true, PARENTS_DIVORCED,
     CUSTODY_OTHER_PARENT, NO_DECREE, HOLDER_OTHER_PARENT, "1981-12-20", "secondary"},
    {"custodial parent's spouse before the non-custodial parent", true, PARENTS_SEPARATED,
     CUSTODY_OTHER_PARENT, NO_DECREE, HOLDER_OTHER_PARENT_SPOUSE, "1981-12-20", "secondary"},
    {"custodial parent before its own spouse", true, PARENTS_DIVORCED, CUSTODY_SUBSCRIBER,
     NO_DECREE, HOLDER_SUBSCRIBER_SPOUSE, "1981-01-20", "primary"},
    {"non-custodial parent before the non-custodial parent's spouse", true, PARENTS_DIVORCED,
     CUSTODY_OTHER_PARENT, NO_DECREE, HOLDER_SUBSCRIBER_SPOUSE, "1981-01-20", "primary"},
    {"custodial subscriber before the other parent's spouse", true, PARENTS_DIVORCED,
     CUSTODY_SUBSCRIBER, NO_DECREE, HOLDER_OTHER_PARENT_SPOUSE, "1981-01-20", "primary"},
    {"decree names the subscriber: ours first though the other has custody", true, PARENTS_DIVORCED,
     CUSTODY_OTHER_PARENT, DECREE_SUBSCRIBER, HOLDER_OTHER_PARENT, "1981-01-20", "primary"},
    {"decree names the other parent: theirs first though we have custody", true, PARENTS_DIVORCED,
     CUSTODY_SUBSCRIBER, DECREE_OTHER_PARENT, HOLDER_OTHER_PARENT, "1981-12-20", "secondary"},
    {"decree names the other parent; the other parent's spouse by custody", true, PARENTS_DIVORCED,
     CUSTODY_SUBSCRIBER, DECREE_OTHER_PARENT, HOLDER_OTHER_PARENT_SPOUSE, "1981-01-20", "primary"},
    {"decree makes both responsible: birthday rule, theirs earlier", true, PARENTS_DIVORCED,
     CUSTODY_SUBSCRIBER, DECREE_BOTH, HOLDER_OTHER_PARENT, "1981-01-20", "secondary"},
    {"decree makes both responsible: birthday rule, ours earlier", true, PARENTS_DIVORCED,
     CUSTODY_OTHER_PARENT, DECREE_BOTH, HOLDER_OTHER_PARENT, "1981-12-20", "primary"},
    {"joint custody, no decree: birthday rule, theirs earlier", true, PARENTS_SEPARATED,
     CUSTODY_JOINT, NO_DECREE, HOLDER_OTHER_PARENT, "1981-01-20", "secondary"},
    {"joint custody, no decree: birthday rule, ours earlier", true, PARENTS_SEPARATED,
     CUSTODY_JOINT, NO_DECREE, HOLDER_OTHER_PARENT, "1981-12-20", "primary"},
    {"never married, custodial subscriber", true, PARENTS_NEVER_MARRIED, CUSTODY_SUBSCRIBER,
     NO_DECREE, HOLDER_OTHER_PARENT, "1981-01-20", "primary"},
    {"never married, custodial other parent", true, PARENTS_NEVER_MARRIED, CUSTODY_OTHER_PARENT,
     NO_DECREE, HOLDER_OTHER_PARENT, "1981-12-20", "secondary"},
    {"parents together: the birthday rule", false, 0, 0, NO_DECREE, HOLDER_OTHER_PARENT,
     "1981-01-20", "secondary"},
    {"holder not recorded: the birthday rule", true, PARENTS_DIVORCED, CUSTODY_SUBSCRIBER,
     NO_DECREE, HOLDER_UNKNOWN, "1981-01-20", "secondary"},
};

START_TEST(test_naic_children_of_separated_parents)
{
    const struct separated_case *c = &separated_cases[_i];
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2012-01-15");
    X.patient.parents = (struct separated_parents){c->parents, c->status, c->custodial, c->decree};
    struct other_coverage *o = other(OTHER_AS_DEPENDENT, "2024-01-01");
    o->has_holder_birth_date = true;
    o->holder_birth_date = D(c->holder_birth);
    o->holder = c->holder;
    ck_assert_msg(strcmp(position_on("2025-03-03"), c->expect) == 0, "%s", c->name);
}
END_TEST

START_TEST(test_naic_birthday_rule_for_grandchild)
{
    fx_dependent(&X, "M1001-03", REL_GRANDCHILD, "Leo", "2024-08-01");
    static struct member parent; /* § I: born to a covered dependent child */
    fx_member(&parent, "M1001-02", REL_CHILD, "Sofia", "2006-03-15");
    parent.history[0].facts.student = true;
    strcpy(X.patient.parent_member_id, "M1001-02");
    X.facts.parent = &parent;
    struct other_coverage *o = other(OTHER_AS_DEPENDENT, "2024-08-01");
    o->has_holder_birth_date = true;
    o->holder_birth_date = D("2001-01-20"); /* the parent's plan: January before April */
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
}
END_TEST

START_TEST(test_naic_birthday_29_february_comes_before_1_march)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2012-01-15");
    X.subscriber.birth_date = D("1980-03-01");
    struct other_coverage *o = other(OTHER_AS_DEPENDENT, "2024-01-01");
    o->has_holder_birth_date = true;
    o->holder_birth_date = D("1984-02-29");
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
}
END_TEST

START_TEST(test_naic_child_without_other_holder_birth_date_uses_longer_coverage)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2012-01-15");
    other(OTHER_AS_DEPENDENT, "2019-01-01");
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
}
END_TEST

START_TEST(test_naic_active_before_cobra_or_retiree)
{
    struct other_coverage *o = other(OTHER_AS_EMPLOYEE, "2005-01-01");
    o->cobra = true;
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
    o->cobra = false;
    o->active_employment = false; /* retiree coverage */
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
    /* Now ours is COBRA and theirs active employment. */
    o->active_employment = true;
    o->effective = D("2024-01-01");
    X.patient.coverage[0].kind = COVERAGE_COBRA;
    X.patient.coverage[0].qualifying_event = D("2024-12-01");
    X.patient.coverage[0].months = 18;
    X.patient.coverage[0].elected_on = D("2024-12-15"); /* theirs began before the election */
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
}
END_TEST

START_TEST(test_naic_longer_coverage_pays_first)
{
    struct other_coverage *o = other(OTHER_AS_EMPLOYEE, "2015-01-01");
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
    o->kind = OTHER_INDIVIDUAL; /* an individual policy is ordered the same way */
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
    o->effective = D("2022-01-01");
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
    o->effective = D("2020-01-01"); /* a tie: this plan pays first */
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
}
END_TEST

START_TEST(test_naic_longer_coverage_counts_unbroken_spans_together)
{
    /* Ours: active from 2010, then COBRA the day after; theirs COBRA from 2015. */
    X.patient.coverage[0].effective = D("2010-01-01");
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D("2024-06-10");
    X.patient.n_coverage = 2;
    struct coverage_span *c = &X.patient.coverage[1];
    *c = X.patient.coverage[0];
    c->has_termination_event = false;
    c->kind = COVERAGE_COBRA;
    c->effective = D("2024-07-01");
    c->qualifying_event = D("2024-06-10");
    c->months = 18;
    c->elected_on = c->effective;
    struct other_coverage *o = other(OTHER_AS_EMPLOYEE, "2015-01-01");
    o->cobra = true;
    o->active_employment = false;
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
    c->effective = D("2024-08-01"); /* a month's gap: ours starts over */
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
}
END_TEST

START_TEST(test_naic_longer_coverage_ignores_cobra_span_of_small_group)
{
    /* A COBRA span recorded for a 15-employee group covers nothing, so it does
     * not make this plan's coverage older. */
    X.group.history[0].facts.employee_count = 15;
    X.patient.n_coverage = 2;
    X.patient.coverage[1] = X.patient.coverage[0];
    X.patient.coverage[0].kind = COVERAGE_COBRA;
    X.patient.coverage[0].effective = D("2010-01-01");
    X.patient.coverage[0].qualifying_event = D("2009-12-15");
    X.patient.coverage[0].months = 36;
    other(OTHER_AS_EMPLOYEE, "2015-01-01");
    ck_assert_str_eq(position_on("2025-03-03"), "secondary");
}
END_TEST

START_TEST(test_naic_longer_coverage_counts_from_earliest_overlapping_span)
{
    X.patient.n_coverage = 2;
    X.patient.coverage[1] = X.patient.coverage[0];
    X.patient.coverage[1].effective = D("2010-01-01"); /* open, overlapping, older */
    other(OTHER_AS_EMPLOYEE, "2015-01-01");
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
}
END_TEST

START_TEST(test_other_coverage_not_in_force_is_ignored)
{
    struct other_coverage *o = other(OTHER_AS_EMPLOYEE, "2015-01-01");
    o->has_termination = true;
    o->termination = D("2025-03-02");
    ck_assert_str_eq(position_on("2025-03-02"), "secondary");
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
    o->has_termination = false;
    o->effective = D("2025-03-04");
    ck_assert_str_eq(position_on("2025-03-03"), "primary");
}
END_TEST

/* ---- Secondary payment with the primary's EOB ---- */

static void secondary_to_other_plan(cents_t primary_paid)
{
    other(OTHER_AS_EMPLOYEE, "2015-01-01");
    X.claim.other_insurance.present = true;
    strcpy(X.claim.other_insurance.payer_name, "Other Health");
    X.claim.other_insurance.paid = primary_paid;
    X.claim.other_insurance.eob_date = D("2025-03-08");
}

static void deductible_met_2025(void)
{
    struct adj_year_accumulators *y = fx_year(&X, 2025);
    y->individual[NETWORK_IN].deductible_met = y->family[NETWORK_IN].deductible_met = USD(500);
    y->individual[NETWORK_IN].oop_met = y->family[NETWORK_IN].oop_met = USD(500);
}

START_TEST(test_secondary_primary_paid_more_than_cost_share)
{
    deductible_met_2025();
    secondary_to_other_plan(USD(150));
    fx_line(&X, "2025-03-03", "99214", 1, USD(200)); /* A 150, B 120, C 30 */
    fx_line(&X, "2025-03-03", "80053", 5, USD(120)); /* A 100, B 80, C 20 */
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    ck_assert_int_eq(X.out.cob_position, ADJ_COB_SECONDARY);
    /* P spread 150 × 150/250 = 90, remainder 60. S = min(B, A − P). */
    fx_expect_line(&X.out, 0, USD(200), USD(150), USD(60), 0, "CO-45 5000, OA-23 9000");
    fx_expect_line(&X.out, 1, USD(120), USD(100), USD(40), 0, "CO-45 2000, OA-23 6000");
    ck_assert_int_eq(X.out.n_deltas, 0);
    ck_assert_int_eq(X.out.total_plan_paid, USD(100));
}
END_TEST

START_TEST(test_secondary_primary_paid_less_than_cost_share)
{
    deductible_met_2025();
    secondary_to_other_plan(USD(10));
    fx_line(&X, "2025-03-03", "99214", 1, USD(200));
    fx_line(&X, "2025-03-03", "80053", 5, USD(120));
    fx_run(&X, "2025-03-10");
    /* P 6 and 4: the plan pays its full B, the member owes C − P as coinsurance. */
    fx_expect_line(&X.out, 0, USD(200), USD(150), USD(120), USD(24),
                   "CO-45 5000, OA-23 600, PR-2 2400");
    fx_expect_line(&X.out, 1, USD(120), USD(100), USD(80), USD(16),
                   "CO-45 2000, OA-23 400, PR-2 1600");
    ck_assert_int_eq(X.out.deltas[0].deductible, 0);
    ck_assert_int_eq(X.out.deltas[0].oop, USD(40));
}
END_TEST

START_TEST(test_secondary_member_owes_deductible_first)
{
    struct adj_year_accumulators *y = fx_year(&X, 2025);
    y->individual[NETWORK_IN].deductible_met = y->family[NETWORK_IN].deductible_met = USD(400);
    secondary_to_other_plan(USD(70));
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    /* A 150: C = deductible 100 + coinsurance 10, B 40; P 70: S = min(40, 80) = 40;
     * the member owes 110 − 70 = 40, all of it deductible. */
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(40), USD(40), "OA-23 7000, PR-1 4000");
    ck_assert_int_eq(X.out.deltas[0].deductible, USD(40));
    ck_assert_int_eq(X.out.deltas[0].oop, USD(40));
}
END_TEST

START_TEST(test_secondary_primary_payment_capped_at_allowed)
{
    deductible_met_2025();
    secondary_to_other_plan(USD(500));
    fx_line(&X, "2025-03-03", "99214", 1, USD(200));
    fx_run(&X, "2025-03-10");
    fx_expect_line(&X.out, 0, USD(200), USD(150), 0, 0, "CO-45 5000, OA-23 15000");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
}
END_TEST

START_TEST(test_secondary_remainder_on_last_line_and_not_on_denied_line)
{
    deductible_met_2025();
    secondary_to_other_plan(USD(100));
    fx_line(&X, "2025-03-03", "80053", 5, USD(100)); /* A 100 each */
    fx_line(&X, "2025-03-03", "80053", 5, USD(101));
    fx_line(&X, "2025-03-03", "80053", 5, USD(102));
    fx_line(&X, "2019-03-03", "80053", 5, USD(103)); /* before coverage: denied */
    fx_run(&X, "2025-03-10");
    /* $100 over three allowed $100 lines: 33.33, 33.33 and the remainder 33.34 on
     * the last line that has an allowed amount, not on the denied one. */
    fx_expect_line(&X.out, 0, USD(100), USD(100), 6667, 0, "OA-23 3333");
    fx_expect_line(&X.out, 1, USD(101), USD(100), 6667, 0, "CO-45 100, OA-23 3333");
    fx_expect_line(&X.out, 2, USD(102), USD(100), 6666, 0, "CO-45 200, OA-23 3334");
    fx_expect_denied(&X.out, 3, "CO-29", "");
}
END_TEST

START_TEST(test_secondary_member_share_order_copay_deductible_coinsurance)
{
    struct {
        struct adj_cost_share normal;
        cents_t primary;
        struct adj_cost_share want;
    } cases[] = {
        {{0, 6000, 2800}, 7000, {0, 1800, 0}}, {{0, 6000, 2800}, 2000, {0, 6000, 800}},
        {{0, 6000, 2800}, 9000, {0, 0, 0}},    {{2500, 0, 0}, 1000, {1500, 0, 0}},
        {{2500, 0, 0}, 0, {2500, 0, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct adj_cost_share got = adj_secondary_member_share(cases[i].normal, cases[i].primary);
        ck_assert_int_eq(got.copay, cases[i].want.copay);
        ck_assert_int_eq(got.deductible, cases[i].want.deductible);
        ck_assert_int_eq(got.coinsurance, cases[i].want.coinsurance);
    }
}
END_TEST

START_TEST(test_spread_proportional_half_up_remainder_last)
{
    struct {
        cents_t total;
        cents_t weights[5];
        int n;
        cents_t want[5];
    } cases[] = {
        {10000, {5000, 3000, 2000}, 3, {5000, 3000, 2000}},
        {10000, {1, 1, 1}, 3, {3333, 3333, 3334}},
        {3, {1, 1, 1, 1, 1}, 5, {1, 1, 1, 0, 0}},
        {101, {50, 50, 0}, 3, {51, 50, 0}},
        {101, {0, 50, 0, 50, 0}, 5, {0, 51, 0, 50, 0}},
        {500, {0, 0}, 2, {0, 0}},
        {0, {7, 9}, 2, {0, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cents_t got[5];
        adj_spread(cases[i].total, cases[i].weights, cases[i].n, got);
        for (int k = 0; k < cases[i].n; k++)
            ck_assert_msg(got[k] == cases[i].want[k], "case %zu share %d: %lld", i, k,
                          (long long)got[k]);
    }
}
END_TEST

/* ---- Without the primary's EOB: pend, then deny at the deadline ---- */

START_TEST(test_secondary_without_eob_pends_n479)
{
    other(OTHER_AS_EMPLOYEE, "2015-01-01");
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    ck_assert_int_eq(fx_run_on(&X, "2025-03-10", "2025-03-12"), ADJ_OK);
    ck_assert_int_eq(X.out.outcome, ADJ_PENDED);
    ck_assert_int_eq(X.out.pend.n_reason_codes, 1);
    ck_assert_str_eq(X.out.pend.reason_codes[0], "N479");
    ck_assert_int_eq(X.out.pend.n_needed, 1);
    ck_assert_str_eq(X.out.pend.needed[0], "other_insurance");
    ck_assert_int_eq(X.out.pend.deadline.days, D("2025-04-26").days); /* today + 45 */
    ck_assert_int_eq(X.out.n_deltas, 0);
    ck_assert_int_eq(X.out.total_plan_paid, 0);
    ck_assert(!X.out.lines[0].denied);
    X.plan.pend_days = 0; /* unset: the default 45 */
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.pend.deadline.days, D("2025-04-24").days);
    X.plan.pend_days = 10;
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.pend.deadline.days, D("2025-03-20").days);
}
END_TEST

START_TEST(test_expired_pend_without_eob_denied_oa22)
{
    employee_65();
    X.group.history[0].facts.medicare_certification = MEDICARE_CERT_19_OR_FEWER;
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_line(&X, "2010-03-03", "99214", 1, USD(150)); /* denied anyway: CO-29 */
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(adj_decide_expired_pend(&X.facts, &X.out), ADJ_OK);
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    fx_expect_denied(&X.out, 0, "OA-22", "N479,MA04");
    fx_expect_denied(&X.out, 1, "CO-29", "");
    ck_assert_int_eq(X.out.cob_position, ADJ_COB_SECONDARY);
    ck_assert_int_eq(X.out.n_codes, 2);
    ck_assert_str_eq(fx_remarks(X.out.remarks, X.out.n_remarks), "N479,MA04");
}
END_TEST

START_TEST(test_expired_pend_with_eob_supplied_is_paid)
{
    deductible_met_2025();
    secondary_to_other_plan(USD(100));
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(adj_decide_expired_pend(&X.facts, &X.out), ADJ_OK);
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(50), 0, "OA-23 10000");
}
END_TEST

START_TEST(test_pend_asks_for_eob_and_itemized_bill_together)
{
    other(OTHER_AS_EMPLOYEE, "2015-01-01");
    X.claim.provider.network = NETWORK_OUT;
    X.claim.itemized_bill = false;
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_PENDED);
    ck_assert_str_eq(fx_remarks(X.out.pend.reason_codes, X.out.pend.n_reason_codes),
                     "N479,CO-16,N26");
    ck_assert_int_eq(X.out.pend.n_needed, 2);
    ck_assert_str_eq(X.out.pend.needed[0], "other_insurance");
    ck_assert_str_eq(X.out.pend.needed[1], "itemized_bill");
    ck_assert_str_eq(fx_remarks(X.out.remarks, X.out.n_remarks), "N479,N26");
    ck_assert_int_eq(adj_decide_expired_pend(&X.facts, &X.out), ADJ_OK);
    fx_expect_denied(&X.out, 0, "CO-16", "N26,N479");
}
END_TEST

START_TEST(test_no_pend_when_every_line_is_denied_anyway)
{
    other(OTHER_AS_EMPLOYEE, "2015-01-01");
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    X.n_prior = adj_prior_lines_from_claim("22222222-2222-4222-8222-222222222222", &X.claim, NULL,
                                           X.prior, 8);
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    fx_expect_denied(&X.out, 0, "OA-18", "");
    ck_assert_int_eq(X.out.pend.n_reason_codes, 0);
}
END_TEST

START_TEST(test_pended_claim_keeps_its_line_denials)
{
    other(OTHER_AS_EMPLOYEE, "2015-01-01");
    fx_line(&X, "2019-03-03", "99214", 1, USD(150));
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    X.plan.medical_filing_limit_days = 40000;
    fx_run(&X, "2025-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_PENDED);
    fx_expect_denied(&X.out, 0, "CO-26", "");
    ck_assert(!X.out.lines[1].denied);
    ck_assert_int_eq(X.out.lines[1].cob_position, ADJ_COB_SECONDARY);
}
END_TEST

static Suite *cob_suite(void)
{
    Suite *s = suite_create("adjudicate cob");
    TCase *m = tcase_create("medicare");
    tcase_add_checked_fixture(m, setup, NULL);
    tcase_add_test(m, test_medicare_by_age_group_20_or_more_active_plan_primary);
    tcase_add_test(m, test_medicare_by_age_group_19_or_fewer_medicare_primary);
    tcase_add_test(m, test_medicare_by_age_before_entitlement_plan_primary);
    tcase_add_test(m, test_medicare_by_age_on_cobra_medicare_primary);
    tcase_add_test(m, test_medicare_by_age_spouse_of_active_employee);
    tcase_add_test(m, test_active_span_preferred_over_overlapping_cobra_span);
    tcase_add_test(m, test_medicare_esrd_month_30_plan_primary_month_31_medicare);
    tcase_add_test(m, test_cob_decided_per_line_esrd_coordination_ends_mid_claim);
    tcase_add_test(m, test_active_span_listed_first_stays_the_covering_span);
    tcase_add_test(m, test_medicare_disability_large_group_active_plan_primary);
    tcase_add_test(m, test_medicare_disability_large_group_cobra_medicare_primary);
    tcase_add_loop_test(m, test_medicare_primary_only_for_the_part_the_member_has, 0,
                        sizeof part_cases / sizeof *part_cases);
    tcase_add_test(m, test_part_a_only_professional_claim_not_denied_at_the_pend_deadline);
    suite_add_tcase(s, m);

    TCase *n = tcase_create("naic");
    tcase_add_checked_fixture(n, setup, NULL);
    tcase_add_test(n, test_naic_employee_plan_before_dependent_plan);
    tcase_add_loop_test(n, test_naic_birthday_rule_for_dependent_child, 0,
                        sizeof birthday_cases / sizeof *birthday_cases);
    tcase_add_test(n, test_naic_birthday_rule_for_grandchild);
    tcase_add_loop_test(n, test_naic_children_of_separated_parents, 0,
                        sizeof separated_cases / sizeof *separated_cases);
    tcase_add_test(n, test_naic_birthday_29_february_comes_before_1_march);
    tcase_add_test(n, test_naic_longer_coverage_ignores_cobra_span_of_small_group);
    tcase_add_test(n, test_naic_longer_coverage_counts_from_earliest_overlapping_span);
    tcase_add_test(n, test_naic_child_without_other_holder_birth_date_uses_longer_coverage);
    tcase_add_test(n, test_naic_active_before_cobra_or_retiree);
    tcase_add_test(n, test_naic_longer_coverage_pays_first);
    tcase_add_test(n, test_naic_longer_coverage_counts_unbroken_spans_together);
    tcase_add_test(n, test_other_coverage_not_in_force_is_ignored);
    suite_add_tcase(s, n);

    TCase *p = tcase_create("secondary payment");
    tcase_add_checked_fixture(p, setup, NULL);
    tcase_add_test(p, test_secondary_primary_paid_more_than_cost_share);
    tcase_add_test(p, test_secondary_primary_paid_less_than_cost_share);
    tcase_add_test(p, test_secondary_member_owes_deductible_first);
    tcase_add_test(p, test_secondary_primary_payment_capped_at_allowed);
    tcase_add_test(p, test_secondary_remainder_on_last_line_and_not_on_denied_line);
    tcase_add_test(p, test_secondary_member_share_order_copay_deductible_coinsurance);
    tcase_add_test(p, test_spread_proportional_half_up_remainder_last);
    tcase_add_test(p, test_secondary_without_eob_pends_n479);
    tcase_add_test(p, test_expired_pend_without_eob_denied_oa22);
    tcase_add_test(p, test_expired_pend_with_eob_supplied_is_paid);
    tcase_add_test(p, test_pend_asks_for_eob_and_itemized_bill_together);
    tcase_add_test(p, test_no_pend_when_every_line_is_denied_anyway);
    tcase_add_test(p, test_pended_claim_keeps_its_line_denials);
    suite_add_tcase(s, p);
    return s;
}

int main(void)
{
    return test_run_suite(cob_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
