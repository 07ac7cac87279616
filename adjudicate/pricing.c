/*
 * Pricing and cost share (RULES.md § 7): the allowed amount of a line, and
 * what the member owes on it as copay, deductible and coinsurance, from the
 * accumulators of the member and the family for the plan year.
 *
 * The plan's terms (deductibles, out-of-pocket maximums, coinsurance, copays,
 * fee schedule, formulary) come from the plan documents (DESIGN.md "Plan");
 * the manual says only that the EOB "gives clear details about how benefits
 * were determined" (§ VI).
 */
#include <string.h>

#include "rules.h"

#define MILLI 1000 /* quantities are in thousandths */

/* ---- Accumulators as they move within one claim ---- */

void adj_ledger_init(struct adj_ledger *ledger, const struct adj_year_accumulators *start, int n)
{
    ledger->n_years = n;
    for (int i = 0; i < n; i++)
        ledger->years[i] = start[i];
}

/* The plan year's accumulators, or NULL when the worker did not load them. */
struct adj_year_accumulators *adj_ledger_year(struct adj_ledger *ledger, int year)
{
    for (int i = 0; i < ledger->n_years; i++)
        if (ledger->years[i].year == year)
            return &ledger->years[i];
    return NULL;
}

/*
 * What the member owes counts for the member and for the family alike: the
 * deductible part toward the deductibles, all of it toward the out-of-pocket
 * maximums ("copays, deductible and coinsurance all count", § 7).
 */
void adj_ledger_add(struct adj_year_accumulators *year, enum network network,
                    struct adj_cost_share owed)
{
    cents_t total = adj_cost_share_total(owed);
    year->individual[network].deductible_met += owed.deductible;
    year->individual[network].oop_met += total;
    year->family[network].deductible_met += owed.deductible;
    year->family[network].oop_met += total;
}

/* The changes from `before` to `after`, one entry per year and tier that moved. */
int adj_ledger_deltas(const struct adj_ledger *after, const struct adj_ledger *before,
                      struct adj_accumulator_delta *deltas)
{
    int n = 0;
    for (int i = 0; i < after->n_years; i++) {
        for (int net = NETWORK_IN; net <= NETWORK_OUT; net++) {
            cents_t ded = after->years[i].individual[net].deductible_met -
                          before->years[i].individual[net].deductible_met;
            cents_t oop =
                after->years[i].individual[net].oop_met - before->years[i].individual[net].oop_met;
            if (ded == 0 && oop == 0)
                continue;
            deltas[n].year = after->years[i].year;
            deltas[n].network = (enum network)net;
            deltas[n].deductible = ded;
            deltas[n].oop = oop;
            n++;
        }
    }
    return n;
}

/* What is left before a limit is met, for the member or the family, whichever
 * is reached first; never negative. */
static cents_t remaining(cents_t individual_limit, cents_t individual_met, cents_t family_limit,
                         cents_t family_met)
{
    cents_t left = money_min(individual_limit - individual_met, family_limit - family_met);
    return money_max(0, left);
}

static cents_t oop_remaining(const struct tier_terms *terms,
                             const struct adj_year_accumulators *year, enum network network)
{
    return remaining(terms->oop_max_individual, year->individual[network].oop_met,
                     terms->oop_max_family, year->family[network].oop_met);
}

/* ---- Medical ---- */

/*
 * § 7 "Allowed amount, medical".
 * In network: the fee schedule amount × units, at most the charge; a code
 * not on the schedule is allowed at the charge. The excess is CO-45, written
 * off by the provider.
 *   99213 at $100.00 a unit, 1 unit, charged $150.00 → allowed $100.00, CO-45 $50.00.
 * Out of network: `allowed_percent` of (fee schedule × units), or of the charge
 * for a code not on the schedule, at most the charge, rounded half-up. The
 * excess is PR-45: the member may be billed for it.
 *   70% of $100.00 = $70.00 allowed on a $150.00 charge → PR-45 $80.00.
 */
cents_t adj_medical_allowed(const struct plan *plan, enum network network,
                            const struct claim_line *line)
{
    const struct fee_entry *fee = plan_fee_lookup(plan, line->procedure_code);
    cents_t base = fee ? fee->allowed * line->units : line->charge;
    if (network == NETWORK_OUT)
        base = money_percent(base, plan->out_of_network.allowed_percent);
    return money_min(base, line->charge);
}

/* The copay of the plan's copay rule that lists this code, or -1. */
static cents_t copay_for(const struct plan *plan, const char *procedure_code)
{
    for (int r = 0; r < plan->n_copays; r++)
        for (int i = 0; i < plan->copays[r].n_procedure_codes; i++)
            if (strcmp(plan->copays[r].procedure_codes[i], procedure_code) == 0)
                return plan->copays[r].amount;
    return -1;
}

/*
 * § 7 "Cost share", what the member would owe on a line were this plan
 * primary, given the accumulators before the line:
 *   - a copay code, in network only: the copay, at most the allowed amount
 *     (PR-3); no deductible or coinsurance on that line;
 *   - otherwise the deductible (PR-1) until the member's or the family's is
 *     met, then `coinsurance_percent` of the rest of the allowed amount
 *     (PR-2), rounded half-up;
 *   - all of it stops at the out-of-pocket maximum, the member's or the
 *     family's, whichever is met first, even partway through the line.
 * Deductible met halfway: $150.00 allowed, $100.00 of deductible left,
 * 20% coinsurance → deductible $100.00, coinsurance $10.00, plan $40.00.
 */
struct adj_cost_share adj_medical_cost_share(const struct plan *plan, enum network network,
                                             const char *procedure_code, cents_t allowed,
                                             const struct adj_year_accumulators *year)
{
    const struct tier_terms *terms =
        network == NETWORK_IN ? &plan->in_network : &plan->out_of_network;
    struct adj_cost_share cs = {0, 0, 0};
    cents_t oop_left = oop_remaining(terms, year, network);

    cents_t copay = network == NETWORK_IN ? copay_for(plan, procedure_code) : -1;
    if (copay >= 0) {
        cs.copay = money_min(money_min(copay, allowed), oop_left);
        return cs;
    }
    cents_t deductible_left =
        remaining(terms->deductible_individual, year->individual[network].deductible_met,
                  terms->deductible_family, year->family[network].deductible_met);
    cs.deductible = money_min(money_min(deductible_left, allowed), oop_left);
    cs.coinsurance = money_min(money_percent(allowed - cs.deductible, terms->coinsurance_percent),
                               oop_left - cs.deductible);
    return cs;
}

/* ---- Pharmacy ---- */

/*
 * § 6 and § 7, pharmacy. The formulary is looked up by the normalised 11-digit
 * NDC (intake normalises every accepted form; the field is sized for the
 * coming 12-digit form). Allowed = `unit_price` × quantity, rounded half-up, at
 * most the charge. A drug not on the formulary is priced as `non_preferred` at
 * the charge; so is a listed drug without a unit price. An `excluded` drug is
 * not covered (CO-96).
 *   30 tablets at $4.50 = $135.00 allowed on a $150.00 receipt → PR-45 $15.00.
 */
enum adj_pharmacy_pricing adj_pharmacy_allowed(const struct plan *plan, const struct claim *claim,
                                               cents_t *allowed, enum drug_tier *tier)
{
    const struct formulary_entry *entry = plan_formulary_lookup(plan, claim->ndc);
    *allowed = 0;
    *tier = entry ? entry->tier : TIER_NON_PREFERRED;
    if (*tier == TIER_EXCLUDED)
        return ADJ_RX_EXCLUDED;
    if (entry && entry->has_unit_price)
        *allowed = money_min(money_mul_div(entry->unit_price, claim->quantity_milli, MILLI),
                             claim->charge);
    else
        *allowed = claim->charge;
    return ADJ_RX_PRICED;
}

/*
 * § 7, pharmacy cost share: the tier's copay (at most the allowed amount,
 * PR-3) or coinsurance (PR-2); no deductible. It counts toward the in-network
 * out-of-pocket maximum and stops there like any cost share.
 */
struct adj_cost_share adj_pharmacy_cost_share(const struct plan *plan, enum drug_tier tier,
                                              cents_t allowed,
                                              const struct adj_year_accumulators *year)
{
    const struct pharmacy_tier_terms *terms = &plan->pharmacy[tier];
    cents_t oop_left = oop_remaining(&plan->in_network, year, NETWORK_IN);
    struct adj_cost_share cs = {0, 0, 0};
    if (terms->is_copay)
        cs.copay = money_min(money_min(terms->copay, allowed), oop_left);
    else
        cs.coinsurance = money_min(money_percent(allowed, terms->coinsurance_percent), oop_left);
    return cs;
}
