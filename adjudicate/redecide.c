#include "redecide.h"

#include <string.h>

#include "adjudicate/rules.h"

void adj_deny_unknown_member(const struct claim *claim, struct adj_decision *d)
{
    memset(d, 0, sizeof *d);
    d->outcome = ADJ_DENIED;
    d->payee = adj_payee_for(claim);
    int n = claim->type == CLAIM_PHARMACY ? 1 : claim->n_lines;
    for (int i = 0; i < n; i++) {
        struct adj_line *l = &d->lines[i];
        l->service_date =
            claim->type == CLAIM_PHARMACY ? claim->fill_date : claim->lines[i].service_date;
        l->charge = claim->type == CLAIM_PHARMACY ? claim->charge : claim->lines[i].charge;
        l->denied = true;
        l->adjustments[0] = (struct adj_adjustment){ADJ_GROUP_CO, "140", l->charge};
        l->n_adjustments = 1;
        d->total_charge += l->charge;
    }
    d->n_lines = n;
    d->codes[0] = (struct adj_adjustment){ADJ_GROUP_CO, "140", d->total_charge};
    d->n_codes = 1;
}

/* The accumulators of `year` before a claim of member_id: the family's are
 * every entry of the year, the member's own only theirs. */
static void accumulators_of(const struct adj_acc_entry *totals, int n_totals, int year,
                            const char *member_id, struct adj_year_accumulators *out)
{
    memset(out, 0, sizeof *out);
    out->year = year;
    for (int i = 0; i < n_totals; i++) {
        const struct adj_acc_entry *e = &totals[i];
        if (e->year != year)
            continue;
        out->family[e->network].deductible_met += e->deductible;
        out->family[e->network].oop_met += e->oop;
        if (strcmp(e->member_id, member_id) == 0) {
            out->individual[e->network].deductible_met += e->deductible;
            out->individual[e->network].oop_met += e->oop;
        }
    }
}

/* Adds an approved claim's deltas to the running totals. Returns false when
 * the totals buffer is full. */
static bool add_deltas(struct adj_redecide_buffers *buf, int *n_totals, const char *member_id,
                       const struct adj_decision *d)
{
    for (int k = 0; k < d->n_deltas; k++) {
        const struct adj_accumulator_delta *delta = &d->deltas[k];
        struct adj_acc_entry *e = NULL;
        for (int i = 0; i < *n_totals && !e; i++)
            if (buf->totals[i].year == delta->year && buf->totals[i].network == delta->network &&
                strcmp(buf->totals[i].member_id, member_id) == 0)
                e = &buf->totals[i];
        if (!e) {
            if (*n_totals >= buf->cap_totals)
                return false;
            e = &buf->totals[(*n_totals)++];
            *e = (struct adj_acc_entry){delta->year, member_id, delta->network, 0, 0};
        }
        e->deductible += delta->deductible;
        e->oop += delta->oop;
    }
    return true;
}

/* Decides claims[i] on the totals so far and the earlier claims' decisions. */
static int decide_one(const struct adj_redecide_claim *claims, int i, date_t today,
                      struct adj_redecide_buffers *buf, struct adj_redecide_result *out,
                      int n_totals)
{
    const struct adj_redecide_claim *c = &claims[i];
    struct adj_redecide_result *r = &out[i];
    int years[ADJ_MAX_PLAN_YEARS];
    int n_years = adj_claim_plan_years(c->claim, years);
    r->n_before = n_years;
    for (int y = 0; y < n_years; y++)
        accumulators_of(buf->totals, n_totals, years[y], c->member_id, &r->before[y]);
    if (!c->patient) {
        adj_deny_unknown_member(c->claim, &r->decision);
        return ADJ_OK;
    }
    /* The duplicate check sees the earlier standing claims of the same
     * patient, as they are decided now (RULES.md § 5: the first keeps its
     * benefit). */
    int n_prior = 0;
    for (int j = 0; j < i; j++) {
        if (strcmp(claims[j].member_id, c->member_id) != 0)
            continue;
        int lines = claims[j].claim->type == CLAIM_PHARMACY ? 1 : claims[j].claim->n_lines;
        if (n_prior + lines > buf->cap_prior)
            return ADJ_ERR_FACTS;
        n_prior += adj_prior_lines_from_claim(claims[j].claim_id, claims[j].claim, &out[j].decision,
                                              buf->prior + n_prior, buf->cap_prior - n_prior);
    }
    struct adj_facts facts = {
        .claim_id = c->claim_id,
        .claim = c->claim,
        .patient = c->patient,
        .subscriber = c->subscriber ? c->subscriber : c->patient,
        .parent = c->parent,
        .group = c->group,
        .plan = c->plan,
        .accumulators = r->before,
        .n_accumulators = r->n_before,
        .prior_lines = buf->prior,
        .n_prior_lines = n_prior,
        .received_date = c->received_date,
        .today = today,
        .review = c->review,
    };
    int rc = adj_adjudicate(&facts, &r->decision);
    if (rc == ADJ_OK && r->decision.outcome == ADJ_IN_REVIEW) {
        /* Final already: never back to review; the rules' amounts stand. */
        static const struct adj_review approve = {.action = ADJ_REVIEW_APPROVE};
        facts.review = &approve;
        rc = adj_adjudicate(&facts, &r->decision);
    }
    if (rc == ADJ_OK && r->decision.outcome == ADJ_PENDED)
        rc = adj_decide_expired_pend(&facts, &r->decision);
    return rc;
}

int adj_redecide_family(const struct adj_redecide_claim *claims, int n, date_t today,
                        struct adj_redecide_buffers *buf, struct adj_redecide_result *out,
                        int *n_totals)
{
    *n_totals = 0;
    if (n < 0 || (n > 0 && (!claims || !out || !buf || !buf->totals || !buf->prior)))
        return ADJ_ERR_FACTS;
    for (int i = 0; i < n; i++) {
        if (!claims[i].claim || !claims[i].claim_id || !claims[i].member_id)
            return ADJ_ERR_FACTS;
        int rc = decide_one(claims, i, today, buf, out, *n_totals);
        if (rc != ADJ_OK)
            return rc;
        /* Only an approved claim moves the accumulators (as the worker commits). */
        if (out[i].decision.outcome == ADJ_APPROVED &&
            !add_deltas(buf, n_totals, claims[i].member_id, &out[i].decision))
            return ADJ_ERR_FACTS;
    }
    return ADJ_OK;
}

/* Whether year is one of list[0..n). */
static bool year_listed(const int *list, int n, int year)
{
    for (int i = 0; i < n; i++)
        if (list[i] == year)
            return true;
    return false;
}

/* Adds year to the list (*n of at most max) unless it is there; false when the list is full. */
static bool list_year(int *years, int *n, int max, int year)
{
    if (year_listed(years, *n, year))
        return true;
    if (*n >= max)
        return false;
    years[(*n)++] = year;
    return true;
}

int adj_redecide_scope(const struct claim *const *claims, int n, const int *seed, int n_seed,
                       bool *in_scope, int *years_out, int max)
{
    int n_years = 0;
    for (int i = 0; i < n_seed; i++)
        if (!list_year(years_out, &n_years, max, seed[i]))
            return -1;
    for (int i = 0; i < n; i++)
        in_scope[i] = false;
    /* Until nothing changes: a claim that meets the scope brings its years. */
    for (bool grew = true; grew;) {
        grew = false;
        for (int i = 0; i < n; i++) {
            if (in_scope[i])
                continue;
            int ys[ADJ_MAX_PLAN_YEARS];
            int k = adj_claim_plan_years(claims[i], ys);
            bool meets = false;
            for (int y = 0; y < k && !meets; y++)
                meets = year_listed(years_out, n_years, ys[y]);
            if (!meets)
                continue;
            in_scope[i] = grew = true;
            for (int y = 0; y < k; y++)
                if (!list_year(years_out, &n_years, max, ys[y]))
                    return -1;
        }
    }
    return n_years;
}
