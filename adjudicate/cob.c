/*
 * Coordination of benefits: does this plan pay first on the date of service,
 * and what does it pay when it pays second (RULES.md § 4).
 *
 * Sources:
 *   manual § II "Medical plan election (TEFRA/DEFRA/COBRA/OBRA) Medicare
 *   primary" and Attachment A (the employer's Medicare certification);
 *   manual § VI "Explanation of Benefits" (secondary claims come with the
 *   primary's EOB);
 *   the Medicare Secondary Payer rules (42 CFR 411 subparts E-H) where the
 *   manual is silent (disability);
 *   the NAIC Coordination of Benefits Model Regulation order rules for other
 *   group and individual coverage.
 */
#include "rules.h"

#define ESRD_COORDINATION_MONTHS 30 /* § II "Coverage for end-stage renal disease" */
#define DISABILITY_LARGE_GROUP 100  /* 42 CFR 411.101: large group health plan */

/*
 * § II "Coverage for ESRD": Medicare is secondary "for the first 30 months of
 * Medicare ESRD coverage". The months are calendar months, the month
 * entitlement begins being the first: entitled 1 Mar 2024 (or any day of
 * March 2024), month 30 is August 2026, and Medicare pays first from
 * 1 Sep 2026.
 */
static date_t esrd_coordination_last_day(date_t entitlement)
{
    return date_end_of_month(date_add_months(entitlement, ESRD_COORDINATION_MONTHS - 1));
}

/*
 * Whether Medicare pays before this plan on `on`, for a member covered by
 * `span` (the coverage span that covers that date). "Current employment"
 * means the span is active coverage; COBRA and state continuation are not.
 */
bool adj_medicare_primary(const struct member *patient, const struct group *group,
                          const struct coverage_span *span, date_t on)
{
    if (!adj_medicare_entitled_on(patient, on))
        return false;
    bool current_employment = span->kind == COVERAGE_ACTIVE;
    const struct medicare *medicare = &member_facts_on(patient, on)->medicare;
    const struct group_facts *size = group_facts_on(group, on);

    if (medicare->basis == MEDICARE_ESRD)
        /* § II: this plan first for the coordination period, "all group health
         * plans", whatever the group size or the kind of coverage. */
        return date_cmp(on, esrd_coordination_last_day(medicare->entitlement_date)) > 0;

    bool large_group;
    if (medicare->basis == MEDICARE_AGE)
        /* § II "Working aged" / "Determining when the employer health plan is
         * primary": the employee, or the spouse of an active employee, 65 or
         * over, in a group of 20 or more employees by the count history over
         * the previous weeks and years (group_size.c), or by its Medicare
         * certification (Attachment A) where the history does not reach back
         * far enough: this plan first. Otherwise, or for coverage that is not
         * through current employment (COBRA), Medicare first. */
        large_group = adj_msp_large_group(group, on);
    else
        /* Disability. The manual is silent; Medicare Secondary Payer: this plan
         * first only for a large group (100+ employees) and current employment. */
        large_group = size->employee_count >= DISABILITY_LARGE_GROUP;
    return !(large_group && current_employment);
}

/* -1, 0, 1 as a's month and day (the year ignored) come before, with, after b's. */
static int birthday_cmp(date_t a, date_t b)
{
    int am = date_month(a), ad = date_day(a), bm = date_month(b), bd = date_day(b);
    if (am != bm)
        return am < bm ? -1 : 1;
    return (ad > bd) - (ad < bd);
}

/* NAIC rule "longer or shorter length of coverage": the plan that covered the
 * person longer pays first. A tie leaves this plan primary. */
static int longer_coverage_first(const struct member *patient, const struct group *group,
                                 int span_index, const struct other_coverage *other)
{
    date_t ours = adj_continuous_coverage_start(patient, group, span_index);
    return date_cmp(other->effective, ours) < 0 ? 1 : -1;
}

/*
 * NAIC Coordination of Benefits Model Regulation, order of benefit
 * determination for a dependent child whose parents are divorced, separated
 * or not living together, whether or not they have ever been married:
 *   (i)   a court decree states that one parent is responsible for the child's
 *         health care expenses or coverage: that parent's plan first;
 *   (ii)  the decree makes both parents responsible, or
 *   (iii) gives joint custody without saying who is responsible for health
 *         care: the birthday rule, as for parents living together;
 *   (iv)  no decree: the plan covering the custodial parent, then the plan
 *         covering the custodial parent's spouse, then the non-custodial
 *         parent's, then the non-custodial parent's spouse's.
 * This plan is held by the subscriber (one of the child's parents); the other
 * plan's holder is recorded on it (other_coverage.holder). Returns 1 when the
 * other plan pays first, -1 when this plan does, 0 when this rule does not
 * order them (the birthday rule and the later rules decide). Between two
 * plans of which neither is the decree parent's, (iv) orders them.
 */
static int rank_in_custody(enum coverage_holder h, enum custodial_parent custodial)
{
    bool subscriber_side = h == HOLDER_SUBSCRIBER || h == HOLDER_SUBSCRIBER_SPOUSE;
    bool spouse = h == HOLDER_SUBSCRIBER_SPOUSE || h == HOLDER_OTHER_PARENT_SPOUSE;
    bool custodial_side = subscriber_side == (custodial == CUSTODY_SUBSCRIBER);
    return (custodial_side ? 0 : 2) + (spouse ? 1 : 0);
}

static int separated_parents_order(const struct separated_parents *p, enum coverage_holder theirs)
{
    if (theirs == HOLDER_SUBSCRIBER)
        return 0; /* both plans the subscriber's: the later rules */
    if (p->decree == DECREE_SUBSCRIBER)
        return -1;
    if (p->decree == DECREE_OTHER_PARENT && theirs == HOLDER_OTHER_PARENT)
        return 1;
    if (p->decree == DECREE_BOTH || (p->decree == DECREE_NONE && p->custodial == CUSTODY_JOINT))
        return 0;
    if (p->custodial == CUSTODY_JOINT)
        return 0; /* a decree on another parent, joint custody: the birthday rule */
    int ours = rank_in_custody(HOLDER_SUBSCRIBER, p->custodial);
    int other = rank_in_custody(theirs, p->custodial);
    return other < ours ? 1 : -1;
}

/*
 * The NAIC order rules between this plan and one other plan in force.
 * Returns 1 when the other plan pays first, -1 when this plan does.
 */
int adj_naic_other_plan_first(const struct member *patient, const struct member *subscriber,
                              const struct group *group, int span_index,
                              const struct other_coverage *other)
{
    bool ours_as_employee = patient->relationship == REL_EMPLOYEE;
    bool theirs_as_employee = other->relationship == OTHER_AS_EMPLOYEE;

    /* 1. Non-dependent / dependent: the plan covering the person as an
     *    employee (subscriber) pays before the plan covering them as a dependent. */
    if (ours_as_employee != theirs_as_employee)
        return theirs_as_employee ? 1 : -1;

    /* 2. Dependent child of parents divorced, separated or never married
     *    (separated_parents_order), when the other plan's holder is known;
     *    where that rule sends it to the birthday rule, on to it. */
    if (patient->relationship == REL_CHILD && patient->parents.present &&
        other->holder != HOLDER_UNKNOWN) {
        int order = separated_parents_order(&patient->parents, other->holder);
        if (order != 0)
            return order;
    }

    /*    Dependent child of parents married or living together: the plan of the
     *    parent whose birthday (month and day) falls earlier in the calendar year
     *    pays first; the same birthday, the plan that covered the parent longer.
     *    (Past rule 1 a child is a dependent on both plans.) */
    bool child = patient->relationship == REL_CHILD || patient->relationship == REL_GRANDCHILD;
    if (child && other->has_holder_birth_date) {
        int cmp = birthday_cmp(subscriber->birth_date, other->holder_birth_date);
        if (cmp != 0)
            return cmp > 0 ? 1 : -1;
        return longer_coverage_first(patient, group, span_index, other);
    }

    /* 3. Active employee / COBRA or retiree: coverage through active employment
     *    pays before continuation or retiree coverage. */
    bool ours_active = patient->coverage[span_index].kind == COVERAGE_ACTIVE;
    bool theirs_active = other->active_employment && !other->cobra;
    if (ours_active != theirs_active)
        return theirs_active ? 1 : -1;

    /* 4. Longer or shorter length of coverage. */
    return longer_coverage_first(patient, group, span_index, other);
}

/*
 * Which part of Medicare would pay a claim's services (manual § II "Working
 * aged": "Medicare Part A (Hospitalization)", "Medicare Part B (Doctors'
 * Visits)"):
 *   - Part A, hospital insurance: an inpatient claim billed by a facility
 *     (the hospital's own bill for the stay);
 *   - Part B, medical insurance: every other medical claim — physicians,
 *     including a physician's bill for services during an inpatient stay,
 *     and outpatient services;
 *   - none: a pharmacy fill. Retail prescriptions are Medicare Part D, which
 *     the model does not hold; Parts A and B do not pay them, so no Medicare
 *     EOB for a fill can be asked for.
 */
enum adj_service adj_service_of(const struct claim *claim)
{
    if (claim->type == CLAIM_PHARMACY)
        return ADJ_SERVICE_PHARMACY;
    if (claim->inpatient && claim->provider.facility)
        return ADJ_SERVICE_HOSPITAL;
    return ADJ_SERVICE_MEDICAL;
}

/*
 * Whether the member has the Medicare part that would pay `service` on `on`.
 * ADJ_SERVICE_ANY (a question about a date, not a claim): either part.
 */
static bool medicare_part_pays(const struct member *patient, enum adj_service service, date_t on)
{
    const struct medicare *m = &member_facts_on(patient, on)->medicare;
    switch (service) {
    case ADJ_SERVICE_HOSPITAL: return m->part_a;
    case ADJ_SERVICE_MEDICAL: return m->part_b;
    case ADJ_SERVICE_PHARMACY: return false;
    case ADJ_SERVICE_ANY: break;
    }
    return m->part_a || m->part_b;
}

/*
 * This plan's position on `on` for `service`: secondary when Medicare pays
 * first or when any other coverage in force on that date comes before it in
 * the NAIC order.
 *
 * Medicare pays first only for what the member's Medicare covers. Where the
 * Medicare Secondary Payer rules make Medicare primary but the member lacks
 * the part that would pay the service (Part A only, and a doctor's bill;
 * Part B only, and the hospital's bill; any pharmacy fill), Medicare pays
 * nothing and no Medicare EOB can ever come: this plan pays as primary (with
 * respect to Medicare; other coverage still coordinates by the NAIC rules).
 * The manual nowhere reduces benefits by Medicare a member does not have
 * (§ II: Medicare pays for Part B services "only if the employee enrolls in
 * Medicare Part B and pays the applicable premium"), and the plan has no
 * Medicare fee schedule to estimate what Medicare "would have paid".
 */
struct adj_cob adj_cob_on(const struct member *patient, const struct member *subscriber,
                          const struct group *group, int span_index, date_t on,
                          enum adj_service service)
{
    struct adj_cob cob = {ADJ_COB_PRIMARY, false};
    if (adj_medicare_primary(patient, group, &patient->coverage[span_index], on) &&
        medicare_part_pays(patient, service, on)) {
        cob.position = ADJ_COB_SECONDARY;
        cob.medicare_primary = true;
    }
    for (int i = 0; i < patient->n_other_coverage; i++) {
        const struct other_coverage *other = &patient->other_coverage[i];
        if (adj_other_coverage_in_force(other, on) &&
            adj_naic_other_plan_first(patient, subscriber, group, span_index, other) > 0)
            cob.position = ADJ_COB_SECONDARY;
    }
    return cob;
}

/*
 * Spreads a claim-level amount of the primary's EOB over the lines in
 * proportion to `weights` (their allowed amounts), each share rounded half-up,
 * the rounding remainder on the last line that has a weight (RULES.md § 4).
 * A share never takes the running sum past the total, so the remainder is
 * never negative. With no weight at all every share is 0.
 *   $100.00 over allowed $50, $30, $20 → $50.00, $30.00, $20.00;
 *   $100.00 over three equal lines → $33.33, $33.33, $33.34.
 */
void adj_spread(cents_t total, const cents_t *weights, int n, cents_t *shares)
{
    cents_t weight_sum = 0, given = 0;
    int last = -1;
    for (int i = 0; i < n; i++) {
        shares[i] = 0;
        if (weights[i] > 0) {
            weight_sum += weights[i];
            last = i;
        }
    }
    for (int i = 0; i < last; i++) {
        if (weights[i] <= 0)
            continue;
        shares[i] = money_min(money_mul_div(total, weights[i], weight_sum), total - given);
        given += shares[i];
    }
    if (last >= 0)
        shares[last] = total - given;
}

/*
 * RULES.md § 4, secondary payment: with C the normal cost share (what the
 * member would owe were this plan primary) and P the primary's payment on the
 * line, the member owes max(0, C − P), taken from the normal cost share in the
 * order copay, deductible, coinsurance. The accumulators grow by exactly this.
 *   C = copay $0 + deductible $60 + coinsurance $28 = $88, P = $70 → the member
 *   owes $18, all of it deductible.
 */
struct adj_cost_share adj_secondary_member_share(struct adj_cost_share normal, cents_t primary_paid)
{
    cents_t owed = money_max(0, adj_cost_share_total(normal) - primary_paid);
    struct adj_cost_share share;
    share.copay = money_min(normal.copay, owed);
    owed -= share.copay;
    share.deductible = money_min(normal.deductible, owed);
    owed -= share.deductible;
    share.coinsurance = owed;
    return share;
}
