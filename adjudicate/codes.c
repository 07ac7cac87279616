/*
 * The codes this adjudicator puts on a decision, with the standard's wording
 * (X12 Claim Adjustment Reason Codes and Remittance Advice Remark Codes, as
 * published by the Washington Publishing Company for X12) and a plain-language
 * meaning for the member's EOB (RULES.md § 10: "each adjustment with group,
 * code, amount and meaning").
 */
#include <string.h>

#include "adjudicate.h"

static const struct adj_code_info carcs[] = {
    {"1", "Deductible Amount.",
     "Applied to your deductible: you pay this part before the plan starts paying."},
    {"2", "Coinsurance Amount.", "Your coinsurance: your percentage share of the allowed amount."},
    {"3", "Co-payment Amount.", "Your copay: the fixed amount you pay for this service."},
    {"16", "Claim/service lacks information or has submission/billing error(s).",
     "We need more information to process this claim; the remark says what is missing."},
    {"18", "Exact duplicate claim/service.",
     "This service was already billed on another claim; that claim carries the benefit."},
    {"22", "This care may be covered by another payer per coordination of benefits.",
     "Another plan pays first; send us its Explanation of Benefits to have this plan consider "
     "the rest."},
    {"23", "The impact of prior payer(s) adjudication including payments and/or adjustments.",
     "What your other plan, which pays first, paid or adjusted on this service."},
    {"26", "Expenses incurred prior to coverage.",
     "The service was before your coverage with this plan began."},
    {"27", "Expenses incurred after coverage terminated.",
     "The service was after your coverage with this plan ended."},
    {"29", "The time limit for filing has expired.",
     "The claim reached us after the time allowed for filing it."},
    {"32", "Our records indicate the patient is not an eligible dependent.",
     "On the date of service the patient did not meet the plan's rules for a covered "
     "dependent."},
    {"45",
     "Charge exceeds fee schedule/maximum allowable or contracted/legislated fee arrangement.",
     "The charge is more than the plan allows for this service. With group CO the provider "
     "writes it off; with group PR you may be billed for it."},
    {"96", "Non-covered charge(s).", "The plan does not cover this drug or service."},
    {"140", "Patient/Insured health identification number and name do not match.",
     "The patient's name or birth date on the claim does not match our records for this "
     "member."},
    {"200", "Expenses incurred during lapse in coverage.",
     "The service was during a break in your coverage with this plan."},
};

static const struct adj_code_info rarcs[] = {
    {"MA04",
     "Secondary payment cannot be considered without the identity of or payment information "
     "from the primary payer. The information was either not reported or was illegible.",
     "Medicare pays first for this service: send us Medicare's notice of what it paid."},
    {"N26", "Missing itemized bill/statement.",
     "Send an itemized bill; a canceled check or a balance-due statement cannot take its "
     "place."},
    {"N30", "Patient ineligible for this service.",
     "The patient was not eligible for benefits on the date of service."},
    {"N479",
     "Missing Explanation of Benefits (Coordination of Benefits or Medicare Secondary "
     "Payer).",
     "Send the Explanation of Benefits from the plan that pays first."},
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

static const struct adj_code_info *lookup(const struct adj_code_info *table, size_t n,
                                          const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].code, code) == 0)
            return &table[i];
    return NULL;
}

const struct adj_code_info *adj_carc_lookup(const char *carc)
{
    return lookup(carcs, COUNT(carcs), carc);
}

const struct adj_code_info *adj_rarc_lookup(const char *rarc)
{
    return lookup(rarcs, COUNT(rarcs), rarc);
}

const struct adj_code_info *adj_carc_table(size_t *n)
{
    *n = COUNT(carcs);
    return carcs;
}

const struct adj_code_info *adj_rarc_table(size_t *n)
{
    *n = COUNT(rarcs);
    return rarcs;
}

/* Indexed by the enums: adding an enum value without its name leaves a NULL a
 * test catches. */
static const char *const group_codes[ADJ_N_GROUPS] = {
    [ADJ_GROUP_CO] = "CO", [ADJ_GROUP_PR] = "PR", [ADJ_GROUP_OA] = "OA", [ADJ_GROUP_PI] = "PI"};
static const char *const group_wordings[ADJ_N_GROUPS] = {[ADJ_GROUP_CO] = "Contractual Obligations",
                                                         [ADJ_GROUP_PR] = "Patient Responsibility",
                                                         [ADJ_GROUP_OA] = "Other Adjustments",
                                                         [ADJ_GROUP_PI] =
                                                             "Payor Initiated Reductions"};
static const char *const outcome_names[] = {[ADJ_APPROVED] = "approved",
                                            [ADJ_DENIED] = "denied",
                                            [ADJ_PENDED] = "pended",
                                            [ADJ_IN_REVIEW] = "in_review"};
static const char *const cob_position_names[] = {
    [ADJ_COB_PRIMARY] = "primary", [ADJ_COB_SECONDARY] = "secondary"};
static const char *const payee_names[] = {
    [ADJ_PAYEE_MEMBER] = "member", [ADJ_PAYEE_PROVIDER] = "provider"};

const char *adj_group_code(enum adj_group group)
{
    return group_codes[group];
}

const char *adj_group_wording(enum adj_group group)
{
    return group_wordings[group];
}

bool adj_group_parse(const char *code, enum adj_group *out)
{
    for (int g = 0; g < ADJ_N_GROUPS; g++) {
        if (code && strcmp(code, group_codes[g]) == 0) {
            *out = (enum adj_group)g;
            return true;
        }
    }
    return false;
}

const char *adj_outcome_name(enum adj_outcome outcome)
{
    return outcome_names[outcome];
}

const char *adj_cob_position_name(enum adj_cob_position position)
{
    return cob_position_names[position];
}

const char *adj_payee_name(enum adj_payee payee)
{
    return payee_names[payee];
}
