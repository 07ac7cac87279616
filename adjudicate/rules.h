/*
 * Internal interface between the rule files of adjudicate/. Not for callers
 * outside this folder: they use adjudicate.h. Each function is documented
 * where it is defined, next to the manual section it implements.
 */
#ifndef CLAIMS_ADJ_RULES_H
#define CLAIMS_ADJ_RULES_H

#include "adjudicate.h"

/* ---- continuation.c (§ IV): calls no other rule file ---- */

date_t adj_cobra_last_day(const struct coverage_span *span);
date_t adj_continuation_last_day(const struct coverage_span *span, const struct member *member,
                                 const struct group *group, date_t on);
bool adj_continuation_span_counts(const struct coverage_span *span, const struct group *group);

#define ADJ_DEFAULT_STATE_CONTINUATION_MONTHS 18
int adj_state_continuation_months(const struct group *group);

/* ---- coverage.c (§ III spans, Medicare, other coverage): calls continuation.c ---- */

date_t adj_termination_effective_date(date_t event);
bool adj_span_counts(const struct coverage_span *span, const struct group *group);
bool adj_span_last_day(const struct coverage_span *span, const struct member *member,
                       const struct group *group, date_t on, date_t *last_day);
date_t adj_continuous_coverage_start(const struct member *member, const struct group *group,
                                     int span_index);
bool adj_medicare_entitled_on(const struct member *member, date_t on);
bool adj_other_coverage_in_force(const struct other_coverage *other, date_t on);

/* ---- dependents.c (§ I, § III "Dependent termination"): calls coverage.c ---- */

bool adj_dependent_eligible(const struct member *member, const struct member *parent,
                            const struct group *group, date_t on);

/* ---- eligibility.c (§ III): calls coverage.c, dependents.c ---- */

/* Why a date is not covered (the CARC that says so), or ADJ_ELIG_COVERED. */
enum adj_eligibility {
    ADJ_ELIG_COVERED,
    ADJ_ELIG_BEFORE_COVERAGE,       /* CO-26 */
    ADJ_ELIG_AFTER_COVERAGE,        /* CO-27 */
    ADJ_ELIG_LAPSE,                 /* CO-200 */
    ADJ_ELIG_NOT_ELIGIBLE_DEPENDENT /* CO-32 with N30 */
};

/* The CARC that says why a date is not covered (NULL for ADJ_ELIG_COVERED), and
 * the remark that goes with it (NULL when none). */
const char *adj_eligibility_carc(enum adj_eligibility e);
const char *adj_eligibility_rarc(enum adj_eligibility e);
enum adj_eligibility adj_check_eligibility(const struct member *member, const struct member *parent,
                                           const struct group *group, date_t on, int *span_index);
/* adj_check_eligibility, and for a dependent on an active span the
 * employee's active coverage on `on` too (§ III "Dependent termination"). */
enum adj_eligibility adj_check_family_eligibility(const struct member *patient,
                                                  const struct member *subscriber,
                                                  const struct member *parent,
                                                  const struct group *group, date_t on,
                                                  int *span_index);

/* ---- group_size.c (§ II working aged, § IV COBRA; adj_cobra_applies in adjudicate.h) ---- */

bool adj_msp_large_group(const struct group *group, date_t on);

/* ---- filing.c (§ VII, plan documents) ---- */

#define ADJ_PHARMACY_FILING_DAYS 180

bool adj_pharmacy_filed_in_time(date_t fill_date, date_t received);
bool adj_medical_filed_in_time(const struct plan *plan, date_t service_date, date_t received);
int adj_pend_days(const struct plan *plan);

/* ---- cob.c (§ II, § VI, NAIC model regulation, Medicare Secondary Payer): calls
 * coverage.c, group_size.c ---- */

/* The Medicare part a claim's services fall under (adj_service_of). */
enum adj_service {
    ADJ_SERVICE_ANY,      /* a question about a date (GET /v1/eligibility): either part */
    ADJ_SERVICE_HOSPITAL, /* Part A */
    ADJ_SERVICE_MEDICAL,  /* Part B */
    ADJ_SERVICE_PHARMACY, /* Part D, not in the model: no Medicare part pays */
};

struct adj_cob {
    enum adj_cob_position position;
    bool medicare_primary;
};

enum adj_service adj_service_of(const struct claim *claim);
struct adj_cob adj_cob_on(const struct member *patient, const struct member *subscriber,
                          const struct group *group, int span_index, date_t on,
                          enum adj_service service);
bool adj_medicare_primary(const struct member *patient, const struct group *group,
                          const struct coverage_span *span, date_t on);
int adj_naic_other_plan_first(const struct member *patient, const struct member *subscriber,
                              const struct group *group, int span_index,
                              const struct other_coverage *other);
void adj_spread(cents_t total, const cents_t *weights, int n, cents_t *shares);

/* What the member owes on a line, by cost-share kind. */
struct adj_cost_share {
    cents_t copay;
    cents_t deductible;
    cents_t coinsurance;
};

static inline cents_t adj_cost_share_total(struct adj_cost_share cs)
{
    return cs.copay + cs.deductible + cs.coinsurance;
}

struct adj_cost_share adj_secondary_member_share(struct adj_cost_share normal,
                                                 cents_t primary_paid);

/* ---- duplicates.c (§ 5, X12 CARC 18) ---- */

bool adj_same_name(const char *a, const char *b);
bool adj_is_duplicate(const struct adj_facts *facts, int line_index);

/* ---- pricing.c (§ 7) ---- */

/* The accumulators as they move from line to line within one claim. */
struct adj_ledger {
    struct adj_year_accumulators years[ADJ_MAX_PLAN_YEARS];
    int n_years;
};

void adj_ledger_init(struct adj_ledger *ledger, const struct adj_year_accumulators *start, int n);
struct adj_year_accumulators *adj_ledger_year(struct adj_ledger *ledger, int year);
void adj_ledger_add(struct adj_year_accumulators *year, enum network network,
                    struct adj_cost_share owed);
int adj_ledger_deltas(const struct adj_ledger *after, const struct adj_ledger *before,
                      struct adj_accumulator_delta *deltas);

cents_t adj_medical_allowed(const struct plan *plan, enum network network,
                            const struct claim_line *line);
struct adj_cost_share adj_medical_cost_share(const struct plan *plan, enum network network,
                                             const char *procedure_code, cents_t allowed,
                                             const struct adj_year_accumulators *year);

enum adj_pharmacy_pricing { ADJ_RX_PRICED, ADJ_RX_EXCLUDED };
enum adj_pharmacy_pricing adj_pharmacy_allowed(const struct plan *plan, const struct claim *claim,
                                               cents_t *allowed, enum drug_tier *tier);
struct adj_cost_share adj_pharmacy_cost_share(const struct plan *plan, enum drug_tier tier,
                                              cents_t allowed,
                                              const struct adj_year_accumulators *year);

/* ---- payee.c (§ VI) ---- */

enum adj_payee adj_payee_for(const struct claim *claim);

#endif
