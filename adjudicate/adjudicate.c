/*
 * Runs the rules of RULES.md in their order on one claim:
 *   1 patient identity (CO-140)          5 duplicates (OA-18)
 *   2 filing deadline (CO-29)            6 required information (CO-16 + N26, CO-96)
 *   3 eligibility (CO-26/27/200, CO-32)  7 pricing and cost share
 *   4 coordination of benefits           8 payee
 * A claim-level denial stops the rest; a line-level denial stops only its
 * line. A denied line carries its whole charge in the denial's adjustment.
 * Whatever must wait for information (the primary's EOB, an itemized bill) is
 * asked for all at once, after every denial has been found, so the member is
 * not asked twice and not asked at all when nothing would be paid anyway.
 */
#include <assert.h>
#include <string.h>

#include "rules.h"

struct run {
    const struct adj_facts *f;
    struct adj_decision *out;
    bool expired;              /* the pend deadline passed: deny what would wait */
    int span[MAX_LINES];       /* the coverage span covering each line */
    bool needs_eob[MAX_LINES]; /* secondary line and no primary EOB with the claim */
    bool medicare[MAX_LINES];  /* Medicare is the payer before this plan on the line */
    bool needs_itemized;       /* out-of-network medical without an itemized bill */
    enum drug_tier rx_tier;
    cents_t rx_allowed;
    /* The reviewer's adjustments (facts->review, action adjust), by line. */
    const struct adj_line_decision *adjusted[MAX_LINES];
};

static void copy_code(char dst[ADJ_CODE_LEN], const char *code)
{
    size_t n = strnlen(code, ADJ_CODE_LEN - 1);
    memcpy(dst, code, n);
    dst[n] = '\0';
}

/* Adds a code to a list unless it is there already. */
static void add_code(char (*list)[ADJ_CODE_LEN], int *n, int max, const char *code)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(list[i], code) == 0)
            return;
    assert(*n < max);
    copy_code(list[(*n)++], code);
}

static void add_remark(struct adj_line *line, const char *rarc)
{
    add_code(line->remarks, &line->n_remarks, ADJ_MAX_REMARKS, rarc);
}

/* Adds an adjustment of a positive amount; an amount of zero is no adjustment. */
static void add_adjustment(struct adj_line *line, enum adj_group group, const char *carc,
                           cents_t amount)
{
    if (amount <= 0)
        return;
    assert(line->n_adjustments < ADJ_MAX_ADJUSTMENTS);
    struct adj_adjustment *a = &line->adjustments[line->n_adjustments++];
    a->group = group;
    copy_code(a->carc, carc);
    a->amount = amount;
}

/* A denied line: nothing allowed, its whole charge in the denial's adjustment. */
static void deny_line(struct adj_line *line, enum adj_group group, const char *carc)
{
    line->denied = true;
    line->allowed = 0;
    line->plan_paid = 0;
    line->n_adjustments = 0;
    add_adjustment(line, group, carc, line->charge);
}

static bool line_open(const struct run *r, int i)
{
    return !r->out->lines[i].denied;
}

static bool any_line_open(const struct run *r)
{
    for (int i = 0; i < r->out->n_lines; i++)
        if (line_open(r, i))
            return true;
    return false;
}

/* A claim-level denial: every line still open gets it. */
static void deny_claim(struct run *r, enum adj_group group, const char *carc)
{
    for (int i = 0; i < r->out->n_lines; i++)
        if (line_open(r, i))
            deny_line(&r->out->lines[i], group, carc);
}

static bool facts_usable(const struct adj_facts *f)
{
    if (!f || !f->claim || !f->patient || !f->subscriber || !f->group || !f->plan)
        return false;
    if (f->n_accumulators < 0 || f->n_accumulators > ADJ_MAX_PLAN_YEARS ||
        (f->n_accumulators > 0 && !f->accumulators))
        return false;
    if (f->n_prior_lines < 0 || (f->n_prior_lines > 0 && !f->prior_lines))
        return false;
    if (f->claim->type == CLAIM_MEDICAL && (f->claim->n_lines < 1 || f->claim->n_lines > MAX_LINES))
        return false;
    /* The worker loads the member the claim names. */
    return strcmp(f->claim->member_id, f->patient->member_id) == 0;
}

static void start_lines(struct run *r)
{
    const struct claim *c = r->f->claim;
    struct adj_decision *out = r->out;
    if (c->type == CLAIM_PHARMACY) {
        out->n_lines = 1;
        out->lines[0].service_date = c->fill_date;
        out->lines[0].charge = c->charge;
        out->lines[0].network = NETWORK_IN; /* § 7: pharmacy counts toward in-network OOP */
        return;
    }
    out->n_lines = c->n_lines;
    for (int i = 0; i < c->n_lines; i++) {
        out->lines[i].service_date = c->lines[i].service_date;
        out->lines[i].charge = c->lines[i].charge;
        out->lines[i].network = c->provider.network;
    }
}

/* ---- 1. Identify the patient ---- */

/* RULES.md § 1: the patient's name and birth date must match the member record
 * (case-insensitive, trimmed), else the claim is denied CO-140. */
static void check_patient(struct run *r)
{
    const struct patient *p = &r->f->claim->patient;
    const struct member *m = r->f->patient;
    if (!adj_same_name(p->first_name, m->first_name) ||
        !adj_same_name(p->last_name, m->last_name) || !date_eq(p->birth_date, m->birth_date))
        deny_claim(r, ADJ_GROUP_CO, "140");
}

/* ---- 2. Filing deadline ---- */

static void check_filing(struct run *r)
{
    const struct adj_facts *f = r->f;
    if (f->claim->type == CLAIM_PHARMACY) {
        if (!adj_pharmacy_filed_in_time(f->claim->fill_date, f->received_date))
            deny_claim(r, ADJ_GROUP_CO, "29");
        return;
    }
    for (int i = 0; i < r->out->n_lines; i++)
        if (line_open(r, i) &&
            !adj_medical_filed_in_time(f->plan, r->out->lines[i].service_date, f->received_date))
            deny_line(&r->out->lines[i], ADJ_GROUP_CO, "29");
}

/* ---- 3. Eligibility on the date of service ---- */

static void check_eligibility(struct run *r)
{
    for (int i = 0; i < r->out->n_lines; i++) {
        struct adj_line *line = &r->out->lines[i];
        if (!line_open(r, i))
            continue;
        enum adj_eligibility result =
            adj_check_family_eligibility(r->f->patient, r->f->subscriber, r->f->parent, r->f->group,
                                         line->service_date, &r->span[i]);
        if (result == ADJ_ELIG_COVERED)
            continue;
        deny_line(line, ADJ_GROUP_CO, adj_eligibility_carc(result));
        if (adj_eligibility_rarc(result))
            add_remark(line, adj_eligibility_rarc(result));
    }
}

struct adj_eligibility_answer adj_eligibility_on(const struct member *patient,
                                                 const struct member *subscriber,
                                                 const struct member *parent,
                                                 const struct group *group, date_t on)
{
    struct adj_eligibility_answer a = {.span = -1};
    enum adj_eligibility e =
        adj_check_family_eligibility(patient, subscriber, parent, group, on, &a.span);
    a.covered = e == ADJ_ELIG_COVERED && a.span >= 0;
    if (a.covered) {
        struct adj_cob cob = adj_cob_on(patient, subscriber, group, a.span, on, ADJ_SERVICE_ANY);
        a.position = cob.position;
        a.medicare_primary = cob.medicare_primary;
    } else {
        a.carc = adj_eligibility_carc(e == ADJ_ELIG_COVERED ? ADJ_ELIG_AFTER_COVERAGE : e);
        a.rarc = adj_eligibility_rarc(e);
    }
    return a;
}

/* ---- 4. Coordination of benefits ---- */

static void check_cob(struct run *r)
{
    const struct adj_facts *f = r->f;
    for (int i = 0; i < r->out->n_lines; i++) {
        struct adj_line *line = &r->out->lines[i];
        if (!line_open(r, i))
            continue;
        struct adj_cob cob = adj_cob_on(f->patient, f->subscriber, f->group, r->span[i],
                                        line->service_date, adj_service_of(f->claim));
        line->cob_position = cob.position;
        r->medicare[i] = cob.medicare_primary;
        r->needs_eob[i] = cob.position == ADJ_COB_SECONDARY && !f->claim->other_insurance.present;
    }
}

/* ---- 5. Duplicates ---- */

static void check_duplicates(struct run *r)
{
    for (int i = 0; i < r->out->n_lines; i++)
        if (line_open(r, i) && adj_is_duplicate(r->f, i))
            deny_line(&r->out->lines[i], ADJ_GROUP_OA, "18");
}

/* ---- 6. Required information ---- */

static bool has_itemized_bill(const struct claim *c)
{
    if (c->itemized_bill)
        return true;
    for (int i = 0; i < c->n_attachments; i++)
        if (c->attachments[i].kind == ATTACH_ITEMIZED_BILL)
            return true;
    return false;
}

static void check_required_information(struct run *r)
{
    const struct claim *c = r->f->claim;
    if (c->type == CLAIM_PHARMACY) {
        if (line_open(r, 0) &&
            adj_pharmacy_allowed(r->f->plan, c, &r->rx_allowed, &r->rx_tier) == ADJ_RX_EXCLUDED)
            deny_line(&r->out->lines[0], ADJ_GROUP_CO, "96");
        return;
    }
    /* § VI "The employee": an out-of-network claim comes with an itemized bill;
     * "canceled checks and balance-due bills are not acceptable substitutes". */
    r->needs_itemized = c->provider.network == NETWORK_OUT && !has_itemized_bill(c);
}

/* ---- Staff review (docs/rules.md "Staff review") ---- */

/* A line the reviewer denies: the reviewer's group and CARC carry the whole
 * charge and replace whatever the rules found; the reviewer's RARC, if any,
 * is the line's only remark. */
static void review_deny_line(struct adj_line *line, const struct adj_line_decision *ld)
{
    line->n_remarks = 0;
    deny_line(line, ld->group, ld->carc);
    if (ld->rarc[0])
        add_remark(line, ld->rarc);
}

/* A line an appeal decision overturns: whatever the rules denied it for
 * goes; it is priced at the decider's amount (29 CFR 2560.503-1(h)(3)(ii):
 * the review does not defer to the initial determination). */
static void reopen_line(struct adj_line *line)
{
    line->denied = false;
    line->n_adjustments = 0;
    line->n_remarks = 0;
}

bool adj_review_codes_fit(const struct adj_review *rv)
{
    int distinct = 0;
    for (int k = 0; k < rv->n_lines; k++) {
        const struct adj_line_decision *ld = &rv->lines[k];
        bool seen = false;
        for (int j = 0; j < k && ld->has_code && !seen; j++)
            seen = rv->lines[j].has_code && rv->lines[j].group == ld->group &&
                   strcmp(rv->lines[j].carc, ld->carc) == 0;
        distinct += ld->has_code && !seen;
    }
    return distinct <= ADJ_MAX_REVIEW_CODES;
}

/*
 * Applies facts->review to the lines, after the rules' own denials and
 * before pricing: deny denies the lines given (line 0: every line); adjust
 * marks the lines given for pricing at the reviewer's allowed amount (a line
 * the rules denied stays denied); overturn does the same and opens a line
 * the rules denied; approve changes nothing. Returns false when
 * a line number is out of range, a decision lacks what its action needs,
 * names a code the tables do not have, or the review gives more than
 * ADJ_MAX_REVIEW_CODES distinct group+CARC pairs.
 */
static bool apply_line_decisions(struct run *r)
{
    const struct adj_review *rv = r->f->review;
    if (!rv)
        return true;
    if (rv->n_lines < 0 || rv->n_lines > MAX_LINES || !adj_review_codes_fit(rv))
        return false;
    for (int k = 0; k < rv->n_lines; k++) {
        const struct adj_line_decision *ld = &rv->lines[k];
        bool every = ld->line == 0 && rv->action == ADJ_REVIEW_DENY;
        if (!every && (ld->line < 1 || ld->line > r->out->n_lines))
            return false;
        if (ld->has_code && !adj_carc_lookup(ld->carc))
            return false; /* an EOB can only carry codes with a meaning */
        if (ld->rarc[0] && !adj_rarc_lookup(ld->rarc))
            return false;
        if (rv->action == ADJ_REVIEW_DENY) {
            if (!ld->has_code)
                return false;
            for (int i = 0; i < r->out->n_lines; i++)
                if (every || i == ld->line - 1)
                    review_deny_line(&r->out->lines[i], ld);
        } else if (rv->action == ADJ_REVIEW_ADJUST || rv->action == ADJ_REVIEW_OVERTURN) {
            if (!ld->has_allowed || ld->allowed < 0)
                return false;
            if (rv->action == ADJ_REVIEW_OVERTURN)
                reopen_line(&r->out->lines[ld->line - 1]);
            r->adjusted[ld->line - 1] = ld;
        }
    }
    return true;
}

/* Without a reviewer's decision, a claim the rules approve whose total
 * allowed exceeds the plan's review_threshold waits for staff review: the
 * amounts stay as computed, nothing moves the accumulators yet. */
static void refer_for_review(struct run *r)
{
    struct adj_decision *out = r->out;
    const struct plan *plan = r->f->plan;
    if (r->f->review || out->outcome != ADJ_APPROVED || !plan->has_review_threshold ||
        out->total_allowed <= plan->review_threshold)
        return;
    out->outcome = ADJ_IN_REVIEW;
    strcpy(out->referrals[out->n_referrals++], "review_threshold");
    out->n_deltas = 0;
}

/* ---- Pend, or deny when the pend deadline has passed ---- */

static void add_pend_reason(struct adj_pend *pend, const char *code)
{
    add_code(pend->reason_codes, &pend->n_reason_codes, ADJ_MAX_PEND_REASONS, code);
}

static void add_needed(struct adj_pend *pend, const char *field)
{
    assert(pend->n_needed < ADJ_MAX_NEEDED);
    strcpy(pend->needed[pend->n_needed++], field);
}

/* The remarks that say the primary's EOB is missing (RULES.md § 4). */
static void add_missing_eob_remarks(struct run *r, int i)
{
    add_remark(&r->out->lines[i], "N479");
    if (r->medicare[i])
        add_remark(&r->out->lines[i], "MA04");
}

/*
 * Denies, at the deadline, the open lines still waiting for information:
 * without the itemized bill, CO-16 with N26 on every open line (RULES.md § 6;
 * a line also missing the primary's EOB carries N479 too); otherwise a line
 * missing the primary's EOB OA-22 with N479 (and MA04) (RULES.md § 4).
 */
static void deny_waiting_lines(struct run *r)
{
    for (int i = 0; i < r->out->n_lines; i++) {
        struct adj_line *line = &r->out->lines[i];
        if (!line_open(r, i))
            continue;
        if (r->needs_itemized) {
            deny_line(line, ADJ_GROUP_CO, "16");
            add_remark(line, "N26");
        } else if (r->needs_eob[i]) {
            deny_line(line, ADJ_GROUP_OA, "22");
        } else {
            continue;
        }
        if (r->needs_eob[i])
            add_missing_eob_remarks(r, i);
    }
}

/* Returns true when the claim pends (nothing more to do now). */
static bool pend_for_information(struct run *r)
{
    bool needs_eob = false, medicare = false;
    for (int i = 0; i < r->out->n_lines; i++) {
        if (line_open(r, i) && r->needs_eob[i]) {
            needs_eob = true;
            medicare = medicare || r->medicare[i];
        }
    }
    if (!any_line_open(r) || (!needs_eob && !r->needs_itemized))
        return false;
    if (r->expired) {
        deny_waiting_lines(r);
        return false;
    }
    struct adj_pend *pend = &r->out->pend;
    if (needs_eob) {
        add_pend_reason(pend, "N479");
        if (medicare)
            add_pend_reason(pend, "MA04");
        add_needed(pend, "other_insurance");
    }
    if (r->needs_itemized) {
        /* CO-16 is never sent alone: N26 says what is missing. */
        add_pend_reason(pend, "CO-16");
        add_pend_reason(pend, "N26");
        add_needed(pend, "itemized_bill");
    }
    pend->deadline = date_add_days(r->f->today, adj_pend_days(r->f->plan));
    r->out->outcome = ADJ_PENDED;
    return true;
}

/* ---- 7. Pricing and cost share ---- */

/*
 * Prices the open lines in claim order, the accumulators moving from line to
 * line. As secondary payer (RULES.md § 4), with A allowed, B what this plan
 * would pay as primary, C = A − B and P the line's share of the primary's
 * payment (at most A): this plan pays min(B, A − P), OA-23 shows P, and the
 * member owes max(0, C − P) as copay, deductible, coinsurance in that order.
 */
static int price_lines(struct run *r)
{
    const struct adj_facts *f = r->f;
    const struct claim *c = f->claim;
    struct adj_decision *out = r->out;
    struct adj_ledger before, ledger;
    cents_t allowed[MAX_LINES], weights[MAX_LINES], primary_paid[MAX_LINES];

    for (int i = 0; i < out->n_lines; i++) {
        allowed[i] = 0;
        if (line_open(r, i))
            allowed[i] = c->type == CLAIM_PHARMACY
                             ? r->rx_allowed
                             : adj_medical_allowed(f->plan, c->provider.network, &c->lines[i]);
        if (line_open(r, i) && r->adjusted[i]) /* the reviewer's amount, never over the charge */
            allowed[i] = money_min(r->adjusted[i]->allowed, out->lines[i].charge);
        weights[i] =
            out->lines[i].cob_position == ADJ_COB_SECONDARY && line_open(r, i) ? allowed[i] : 0;
    }
    adj_spread(c->other_insurance.present ? c->other_insurance.paid : 0, weights, out->n_lines,
               primary_paid);

    adj_ledger_init(&before, f->accumulators, f->n_accumulators);
    ledger = before;
    for (int i = 0; i < out->n_lines; i++) {
        struct adj_line *line = &out->lines[i];
        if (!line_open(r, i))
            continue;
        struct adj_year_accumulators *year =
            adj_ledger_year(&ledger, date_year(line->service_date));
        if (!year)
            return ADJ_ERR_FACTS;
        cents_t a = allowed[i];
        struct adj_cost_share normal =
            c->type == CLAIM_PHARMACY ? adj_pharmacy_cost_share(f->plan, r->rx_tier, a, year)
                                      : adj_medical_cost_share(f->plan, line->network,
                                                               c->lines[i].procedure_code, a, year);
        struct adj_cost_share owed = normal;
        cents_t paid = a - adj_cost_share_total(normal);
        cents_t prior = 0;
        if (line->cob_position == ADJ_COB_SECONDARY) {
            prior = money_min(primary_paid[i], a);
            paid = money_min(paid, a - prior);
            owed = adj_secondary_member_share(normal, prior);
        }
        /* Charge over allowed: an in-network provider's write-off (CO-45); out of
         * network, and at the pharmacy counter, the member's (PR-45). */
        bool write_off = c->type == CLAIM_MEDICAL && line->network == NETWORK_IN;
        const struct adj_line_decision *ld = r->adjusted[i];
        if (ld && ld->has_code) { /* the reviewer's reason for the reduction */
            add_adjustment(line, ld->group, ld->carc, line->charge - a);
        } else {
            add_adjustment(line, write_off ? ADJ_GROUP_CO : ADJ_GROUP_PR, "45", line->charge - a);
        }
        if (ld && ld->rarc[0])
            add_remark(line, ld->rarc);
        add_adjustment(line, ADJ_GROUP_OA, "23", prior);
        add_adjustment(line, ADJ_GROUP_PR, "3", owed.copay);
        add_adjustment(line, ADJ_GROUP_PR, "1", owed.deductible);
        add_adjustment(line, ADJ_GROUP_PR, "2", owed.coinsurance);
        line->allowed = a;
        line->plan_paid = paid;
        adj_ledger_add(year, line->network, owed);
    }
    out->n_deltas = adj_ledger_deltas(&ledger, &before, out->deltas);
    return ADJ_OK;
}

/* ---- Totals ---- */

static void add_claim_code(struct adj_decision *out, const struct adj_adjustment *a)
{
    for (int i = 0; i < out->n_codes; i++) {
        if (out->codes[i].group == a->group && strcmp(out->codes[i].carc, a->carc) == 0) {
            out->codes[i].amount += a->amount;
            return;
        }
    }
    assert(out->n_codes < ADJ_MAX_CODES);
    out->codes[out->n_codes++] = *a;
}

static void finish(struct run *r)
{
    struct adj_decision *out = r->out;
    bool all_denied = true;
    for (int i = 0; i < out->n_lines; i++) {
        struct adj_line *line = &out->lines[i];
        cents_t adjusted = 0;
        line->patient_responsibility = 0;
        for (int k = 0; k < line->n_adjustments; k++) {
            adjusted += line->adjustments[k].amount;
            if (line->adjustments[k].group == ADJ_GROUP_PR)
                line->patient_responsibility += line->adjustments[k].amount;
            add_claim_code(out, &line->adjustments[k]);
        }
        /* Every decided line balances as a remittance does (RULES.md § 7). */
        assert(out->outcome == ADJ_PENDED || line->charge == line->plan_paid + adjusted);
        for (int k = 0; k < line->n_remarks; k++)
            add_code(out->remarks, &out->n_remarks, ADJ_MAX_REMARKS * 2, line->remarks[k]);
        if (line->cob_position == ADJ_COB_SECONDARY) {
            out->cob_position = ADJ_COB_SECONDARY;
            out->medicare_primary = out->medicare_primary || r->medicare[i];
        }
        all_denied = all_denied && line->denied;
        out->total_charge += line->charge;
        out->total_allowed += line->allowed;
        out->total_plan_paid += line->plan_paid;
        out->total_patient_responsibility += line->patient_responsibility;
    }
    for (int k = 0; k < out->pend.n_reason_codes; k++)
        if (out->pend.reason_codes[k][0] != 'C') /* the RARCs, not "CO-16" */
            add_code(out->remarks, &out->n_remarks, ADJ_MAX_REMARKS * 2, out->pend.reason_codes[k]);
    if (out->outcome != ADJ_PENDED)
        out->outcome = all_denied ? ADJ_DENIED : ADJ_APPROVED;
}

static int run_rules(const struct adj_facts *facts, bool expired, struct adj_decision *out)
{
    if (!out || !facts_usable(facts))
        return ADJ_ERR_FACTS;
    struct run r;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    r.f = facts;
    r.out = out;
    r.expired = expired;
    out->outcome = ADJ_APPROVED;
    out->cob_position = ADJ_COB_PRIMARY;
    out->payee = adj_payee_for(facts->claim); /* § 8: decided by the claim, whatever its fate */
    start_lines(&r);

    check_patient(&r);
    check_filing(&r);
    check_eligibility(&r);
    check_cob(&r);
    check_duplicates(&r);
    check_required_information(&r);
    if (!apply_line_decisions(&r))
        return ADJ_ERR_FACTS;
    if (!pend_for_information(&r)) {
        int status = price_lines(&r);
        if (status != ADJ_OK)
            return status;
    }
    finish(&r);
    refer_for_review(&r);
    return ADJ_OK;
}

int adj_adjudicate(const struct adj_facts *facts, struct adj_decision *out)
{
    return run_rules(facts, false, out);
}

int adj_decide_expired_pend(const struct adj_facts *facts, struct adj_decision *out)
{
    return run_rules(facts, true, out);
}

int adj_claim_plan_years(const struct claim *claim, int years[ADJ_MAX_PLAN_YEARS])
{
    int n = 0;
    int n_lines = claim->type == CLAIM_PHARMACY ? 1 : claim->n_lines;
    if (n_lines > MAX_LINES)
        n_lines = MAX_LINES;
    for (int i = 0; i < n_lines; i++) {
        int year = date_year(claim->type == CLAIM_PHARMACY ? claim->fill_date
                                                           : claim->lines[i].service_date);
        int at = 0;
        while (at < n && years[at] < year)
            at++;
        if (at < n && years[at] == year)
            continue;
        memmove(&years[at + 1], &years[at], (size_t)(n - at) * sizeof *years);
        years[at] = year;
        n++;
    }
    return n;
}
