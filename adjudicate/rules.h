/*
 * Internal interface between the rule files of adjudicate/. Not for callers
 * outside this folder: they use adjudicate.h. Each function is documented
 * where it is defined, next to the manual section it implements.
 */
#ifndef CLAIMS_ADJ_RULES_H
#define CLAIMS_ADJ_RULES_H

#include "adjudicate.h"

/* ---- continuation.c (§ IV): calls no other rule file ---- */

/* The last day a COBRA span covers: the end of the month `months` after its qualifying event's
 * month (§ IV). */
date_t adj_cobra_last_day(const struct coverage_span *span);
/* The last day a continuation span covers by its period, the member's facts read as they stand
 * on `on` (§ IV). */
date_t adj_continuation_last_day(const struct coverage_span *span, const struct member *member,
                                 const struct group *group, date_t on);
/* Whether a continuation span rests on a law that applies to the group (COBRA: 20 or more
 * employees, § IV). */
bool adj_continuation_span_counts(const struct coverage_span *span, const struct group *group);

#define ADJ_DEFAULT_STATE_CONTINUATION_MONTHS 18
/* The state continuation period in months for the group's state (§ IV "State requirements"). */
int adj_state_continuation_months(const struct group *group);

/* ---- coverage.c (§ III spans, Medicare, other coverage): calls continuation.c ---- */

/* The last covered day for a termination event: the end of its month (§ III). */
date_t adj_termination_effective_date(date_t event);
/* Whether a span can cover anything: an active span always, a continuation span where its law
 * applies. */
bool adj_span_counts(const struct coverage_span *span, const struct group *group);
/* The last day a span covers into *last_day; false for an open span (facts read as of `on`). */
bool adj_span_last_day(const struct coverage_span *span, const struct member *member,
                       const struct group *group, date_t on, date_t *last_day);
/* The first day of the unbroken coverage that includes span `span_index` (NAIC "longer
 * coverage"). */
date_t adj_continuous_coverage_start(const struct member *member, const struct group *group,
                                     int span_index);
/* Whether the member's Medicare entitlement has begun by `on`. */
bool adj_medicare_entitled_on(const struct member *member, date_t on);
/* Whether the other coverage is in force on `on`: effective and not past its last day. */
bool adj_other_coverage_in_force(const struct other_coverage *other, date_t on);

/* ---- dependents.c (§ I, § III "Dependent termination"): calls coverage.c ---- */

/* Whether the member is, on `on`, someone the plan covers in their relationship (§ I, § III). */
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
/* The remark that goes with an eligibility result's CARC, a static string; NULL when none. */
const char *adj_eligibility_rarc(enum adj_eligibility e);
/* The member's coverage on `on` (RULES.md § 3): covered, or why not; *span_index gets the
 * covering span. */
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

/* Whether the group passes the working-aged size test of § II on `on` (Medicare pays second). */
bool adj_msp_large_group(const struct group *group, date_t on);

/* ---- filing.c (§ VII, plan documents) ---- */

#define ADJ_PHARMACY_FILING_DAYS 180

/* Whether a pharmacy claim came within 180 days of the fill, day 180 included (§ VII). */
bool adj_pharmacy_filed_in_time(date_t fill_date, date_t received);
/* Whether a medical line came within the plan's filing limit (default 365 days) of its service
 * date. */
bool adj_medical_filed_in_time(const struct plan *plan, date_t service_date, date_t received);
/* How long a pended claim waits for information: the plan's `pend_days`, default 45. */
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

/* The Medicare part a claim's services fall under (§ II "Working aged"). */
enum adj_service adj_service_of(const struct claim *claim);
/* This plan's position on `on` for `service`, and whether Medicare pays first (§ II, § VI,
 * NAIC). */
struct adj_cob adj_cob_on(const struct member *patient, const struct member *subscriber,
                          const struct group *group, int span_index, date_t on,
                          enum adj_service service);
/* Whether Medicare pays before this plan on `on` for a member covered by `span` (Medicare
 * Secondary Payer). */
bool adj_medicare_primary(const struct member *patient, const struct group *group,
                          const struct coverage_span *span, date_t on);
/* The NAIC order between this plan and one other: 1 when the other pays first, -1 when this plan
 * does. */
int adj_naic_other_plan_first(const struct member *patient, const struct member *subscriber,
                              const struct group *group, int span_index,
                              const struct other_coverage *other);
/* Spreads a claim-level amount over n lines in proportion to weights into shares, rounding half-
 * up (RULES.md § 4). */
void adj_spread(cents_t total, const cents_t *weights, int n, cents_t *shares);

/* What the member owes on a line, by cost-share kind. */
struct adj_cost_share {
    cents_t copay;
    cents_t deductible;
    cents_t coinsurance;
};

/* The member's whole cost share on a line: copay, deductible and coinsurance. */
static inline cents_t adj_cost_share_total(struct adj_cost_share cs)
{
    return cs.copay + cs.deductible + cs.coinsurance;
}

/* What the member owes as secondary: max(0, normal share − primary paid), copay first (RULES.md
 * § 4). */
struct adj_cost_share adj_secondary_member_share(struct adj_cost_share normal,
                                                 cents_t primary_paid);

/* ---- duplicates.c (§ 5, X12 CARC 18) ---- */

/* Whether two names are the same as a person reads them (case and outer blanks ignored). */
bool adj_same_name(const char *a, const char *b);
/* Whether line `line_index` of the claim repeats a prior line of the same patient (RULES.md § 5,
 * CARC 18). */
bool adj_is_duplicate(const struct adj_facts *facts, int line_index);

/* ---- pricing.c (§ 7) ---- */

/* The accumulators as they move from line to line within one claim. */
struct adj_ledger {
    struct adj_year_accumulators years[ADJ_MAX_PLAN_YEARS];
    int n_years;
};

/* Starts a claim's ledger from the n plan years of accumulators the worker loaded. */
void adj_ledger_init(struct adj_ledger *ledger, const struct adj_year_accumulators *start, int n);
/* The ledger's accumulators of a plan year, or NULL when the worker did not load them. */
struct adj_year_accumulators *adj_ledger_year(struct adj_ledger *ledger, int year);
/* Counts what the member owes on a line toward the deductibles and out-of-pocket maximums (§ 7). */
void adj_ledger_add(struct adj_year_accumulators *year, enum network network,
                    struct adj_cost_share owed);
/* The changes from `before` to `after` into deltas, one per year and tier that moved; returns
 * their count. */
int adj_ledger_deltas(const struct adj_ledger *after, const struct adj_ledger *before,
                      struct adj_accumulator_delta *deltas);

/* A medical line's allowed amount (§ 7 "Allowed amount, medical"), at most its charge. */
cents_t adj_medical_allowed(const struct plan *plan, enum network network,
                            const struct claim_line *line);
/* What the member would owe on a medical line were this plan primary, given the year's
 * accumulators (§ 7). */
struct adj_cost_share adj_medical_cost_share(const struct plan *plan, enum network network,
                                             const char *procedure_code, cents_t allowed,
                                             const struct adj_year_accumulators *year);

enum adj_pharmacy_pricing { ADJ_RX_PRICED, ADJ_RX_EXCLUDED };
/* A fill's allowed amount and drug tier (§ 6, § 7); ADJ_RX_EXCLUDED for an excluded drug. */
enum adj_pharmacy_pricing adj_pharmacy_allowed(const struct plan *plan, const struct claim *claim,
                                               cents_t *allowed, enum drug_tier *tier);
/* What the member owes on a fill: the tier's copay or coinsurance, no deductible (§ 7). */
struct adj_cost_share adj_pharmacy_cost_share(const struct plan *plan, enum drug_tier tier,
                                              cents_t allowed,
                                              const struct adj_year_accumulators *year);

/* ---- payee.c (§ VI) ---- */

/* Who the plan pays for a claim, the member or the provider (§ VI, § VII). */
enum adj_payee adj_payee_for(const struct claim *claim);

#endif
