/*
 * The adjudication rules: facts in, decision out (RULES.md, DESIGN.md "Parts").
 *
 * Everything here is a pure function of its arguments. The worker loads the
 * facts (claim, patient and subscriber records, group, plan, accumulators, the
 * earlier lines its duplicate fingerprints found) and "today" from Redis,
 * calls adj_adjudicate(),
 * and commits the decision and the accumulator deltas in one atomic step. No
 * I/O, no clock, no allocation: a decision is a flat value the caller owns.
 *
 * Amounts are integer cents. Every line balances as a remittance does:
 *   charge = plan_paid + sum of its adjustments (CO, PR and OA)
 *   patient_responsibility = sum of its PR adjustments
 * and the claim totals are the sums of the lines.
 */
#ifndef CLAIMS_ADJUDICATE_H
#define CLAIMS_ADJUDICATE_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* ---- Facts in ---- */

/* Group codes; PI (payer initiated reductions) only as a reviewer gives it. */
enum adj_group { ADJ_GROUP_CO, ADJ_GROUP_PR, ADJ_GROUP_OA, ADJ_GROUP_PI };
#define ADJ_N_GROUPS 4
#define ADJ_CODE_LEN 8 /* "200", "N479", "MA04", "CO-16" and the NUL */

/* Deductible and out-of-pocket amounts met, in one network tier. */
struct adj_tier_totals {
    cents_t deductible_met;
    cents_t oop_met;
};

/*
 * The accumulators of one plan year (the calendar year of the date of
 * service), before this claim: the patient's own and the family's (every
 * member with the patient's subscriber_id, the patient included), each kept
 * separately for in- and out-of-network, indexed by enum network.
 */
struct adj_year_accumulators {
    int year;
    struct adj_tier_totals individual[2];
    struct adj_tier_totals family[2];
};

/* A claim's lines can fall in as many plan years as it has lines. */
#define ADJ_MAX_PLAN_YEARS MAX_LINES

/*
 * One line of another claim of the same member, for the duplicate check
 * (RULES.md § 5), so that the first claim keeps its benefit. The worker
 * passes one per duplicate fingerprint hit (adj_prior_line_for_hit: the line
 * of another claim not denied that the hit stands for); tests may pass whole
 * claims (adj_prior_lines_from_claim).
 */
struct adj_prior_line {
    char claim_id[CLAIM_ID_LEN];
    enum claim_type type;
    bool denied;         /* the line, or its whole claim, was denied */
    date_t service_date; /* pharmacy: the fill date */
    cents_t charge;

    /* type == CLAIM_MEDICAL */
    char provider_npi[NPI_LEN];
    char procedure_code[PROC_LEN];
    char modifiers[MAX_MODIFIERS][MODIFIER_LEN];
    int n_modifiers;
    int units;

    /* type == CLAIM_PHARMACY */
    bool pharmacy_has_npi;
    char pharmacy_npi[NPI_LEN];
    char pharmacy_name[NAME_LEN];
    char ndc[NDC_LEN];
    int64_t quantity_milli;
};

/*
 * A staff reviewer's decision on a claim in review (POST /v1/claims/{id}/review,
 * docs/rules.md "Staff review"). It stays with the claim: every later decision
 * of that claim (the review's own, and any re-decision after) passes it again
 * in adj_facts.review, and the rules apply it to the lines they decide.
 */
enum adj_review_action {
    ADJ_REVIEW_APPROVE,  /* the rules' amounts stand */
    ADJ_REVIEW_ADJUST,   /* the lines given take the reviewer's allowed amount (and codes) */
    ADJ_REVIEW_DENY,     /* the lines given (line 0: every line) are denied with their codes */
    ADJ_REVIEW_OVERTURN, /* an appeal overturned (docs/rules.md "Decision outcomes"): as adjust,
                            and a line the rules denied is allowed at the amount given too */
};

/* One line of a review: line is 1-based (0: every line, deny only). */
struct adj_line_decision {
    int line;
    bool has_allowed; /* adjust: the allowed amount that replaces the rules' */
    cents_t allowed;
    bool has_code; /* the group and CARC (deny: required) */
    enum adj_group group;
    char carc[ADJ_CODE_LEN];
    char rarc[ADJ_CODE_LEN]; /* "" when none */
};

#define ADJ_MAX_REVIEW_CODES 4 /* distinct group+CARC pairs one review may give */

struct adj_review {
    enum adj_review_action action;
    struct adj_line_decision lines[MAX_LINES];
    int n_lines;
};

/* Whether the review gives at most ADJ_MAX_REVIEW_CODES distinct group+CARC
 * pairs (so that a claim's code list always has room for them); the rules
 * refuse a review that does not (ADJ_ERR_FACTS), the API answers 422. */
bool adj_review_codes_fit(const struct adj_review *rv);

struct adj_facts {
    const char *claim_id; /* this claim; its own lines are never its duplicates */
    const struct claim *claim;
    const struct member *patient;    /* the member the claim is for */
    const struct member *subscriber; /* the employee record of the patient's subscriber_id
                                        (the patient itself when the patient is the employee) */
    const struct member *parent;     /* a grandchild's parent (parent_member_id), NULL when
                                        the patient is no grandchild or it is not on file */
    const struct group *group;
    const struct plan *plan;
    const struct adj_year_accumulators *accumulators; /* one entry per plan year needed */
    int n_accumulators;
    const struct adj_prior_line *prior_lines;
    int n_prior_lines;
    date_t received_date; /* when the Claims Office received the claim */
    date_t today;         /* the adjudication date (pend deadlines count from it) */
    /* The reviewer's decision stored with the claim, NULL when it has none:
     * with one, the claim is never referred for review again. */
    const struct adj_review *review;
};

/* ---- Decision out ---- */

/* in_review: not final; the claim waits for a staff reviewer (docs/rules.md "Staff review"). */
enum adj_outcome { ADJ_APPROVED, ADJ_DENIED, ADJ_PENDED, ADJ_IN_REVIEW };
enum adj_cob_position { ADJ_COB_PRIMARY, ADJ_COB_SECONDARY };
enum adj_payee { ADJ_PAYEE_MEMBER, ADJ_PAYEE_PROVIDER };

#define ADJ_NEEDED_LEN 24     /* "other_insurance", "itemized_bill" */
#define ADJ_MAX_ADJUSTMENTS 8 /* per line: at most 45, 23, 3, 1, 2 or one denial */
#define ADJ_MAX_REMARKS 8
/* Distinct group+CARC pairs on a claim: the rules give at most 13 (one 45, 23, 3, 1, 2 and the
 * denials 29, 26, 27, 200, 32, 18, 16 or 22, 140), a reviewer at most ADJ_MAX_REVIEW_CODES. */
#define ADJ_MAX_CODES 24
#define ADJ_MAX_PEND_REASONS 4
#define ADJ_MAX_NEEDED 2
#define ADJ_MAX_DELTAS (ADJ_MAX_PLAN_YEARS * 2)
#define ADJ_MAX_REFERRALS 2
#define ADJ_REFERRAL_LEN 24 /* "review_threshold" */

/* One adjustment: group code, CARC and amount, as on an 835 CAS segment. */
struct adj_adjustment {
    enum adj_group group;
    char carc[ADJ_CODE_LEN];
    cents_t amount;
};

struct adj_line {
    date_t service_date;  /* pharmacy: the fill date */
    enum network network; /* the accumulator tier the line used (pharmacy: in-network) */
    enum adj_cob_position cob_position;
    bool denied;
    cents_t charge;
    cents_t allowed;
    cents_t plan_paid;
    cents_t patient_responsibility;
    struct adj_adjustment adjustments[ADJ_MAX_ADJUSTMENTS];
    int n_adjustments;
    char remarks[ADJ_MAX_REMARKS][ADJ_CODE_LEN]; /* RARCs */
    int n_remarks;
};

/*
 * What to add to the accumulators of one plan year and network tier. The
 * same amounts go to the patient's accumulators and to the family's: a claim
 * is for one patient, so the family grows by exactly what the patient owes.
 */
struct adj_accumulator_delta {
    int year;
    enum network network;
    cents_t deductible;
    cents_t oop;
};

struct adj_pend {
    /* "N479", "MA04" (missing primary EOB), "CO-16" and "N26" (missing itemized bill) */
    char reason_codes[ADJ_MAX_PEND_REASONS][ADJ_CODE_LEN];
    int n_reason_codes;
    /* API field names the claim waits for: "other_insurance", "itemized_bill" */
    char needed[ADJ_MAX_NEEDED][ADJ_NEEDED_LEN];
    int n_needed;
    date_t deadline; /* today + the plan's pend_days */
};

struct adj_decision {
    enum adj_outcome outcome;
    enum adj_cob_position cob_position; /* secondary when COB put any line second */
    bool medicare_primary;              /* Medicare is the primary payer on a secondary line */
    enum adj_payee payee;
    struct adj_line lines[MAX_LINES]; /* a pharmacy claim has exactly one line */
    int n_lines;
    cents_t total_charge;
    cents_t total_allowed;
    cents_t total_plan_paid;
    cents_t total_patient_responsibility;
    /* The lines' adjustments summed by group and CARC, in order of first appearance. */
    struct adj_adjustment codes[ADJ_MAX_CODES];
    int n_codes;
    /* The lines' remarks and the pend remarks, each once, in order of first appearance. */
    char remarks[ADJ_MAX_REMARKS * 2][ADJ_CODE_LEN];
    int n_remarks;
    struct adj_pend pend; /* meaningful when outcome == ADJ_PENDED */
    /* Why the claim went to review (outcome == ADJ_IN_REVIEW): "review_threshold". */
    char referrals[ADJ_MAX_REFERRALS][ADJ_REFERRAL_LEN];
    int n_referrals;
    /* Only for an approved claim; a denied, pended or in-review claim moves no accumulator. */
    struct adj_accumulator_delta deltas[ADJ_MAX_DELTAS];
    int n_deltas;
};

/* ---- Functions ---- */

enum adj_status {
    ADJ_OK = 0,
    ADJ_ERR_FACTS = -1, /* missing or inconsistent facts: a bug, not a denial */
};

/*
 * Adjudicates facts->claim by the rules of RULES.md, in their order: patient
 * identity, filing deadline, eligibility, coordination of benefits,
 * duplicates, required information, pricing, payee. Fills *out completely.
 * Then staff review (docs/rules.md "Staff review"): facts->review, when set,
 * is applied to the lines (apply_line_decisions, adjudicate.c); without one, a
 * claim the rules approve with a total allowed over the plan's
 * review_threshold is referred: outcome ADJ_IN_REVIEW, the amounts as they
 * would be, referrals[] saying why, no accumulator deltas.
 * Returns ADJ_ERR_FACTS (and an unspecified *out) when a pointer is NULL,
 * the claim's line count is out of range, a line that reaches pricing has
 * no accumulators for its plan year, or the review names a line the claim
 * does not have: the worker should dead-letter the claim.
 */
int adj_adjudicate(const struct adj_facts *facts, struct adj_decision *out);

/*
 * Decides a pended claim whose information deadline has passed (RULES.md § 4
 * and § 6) with the facts as they stand now: whatever would still pend is
 * denied instead — a line still waiting for the primary's EOB OA-22 (remarks
 * N479, and MA04 when Medicare is primary), a claim still without its
 * itemized bill CO-16 with N26. Lines the rules pay (say, the information
 * arrived for them) are paid as adj_adjudicate() would (review and referral
 * included). Never pends.
 */
int adj_decide_expired_pend(const struct adj_facts *facts, struct adj_decision *out);

/*
 * Whether COBRA applies to a qualifying event on `qualifying_event` for this
 * group: manual § IV, "20 or more employees ... on more than 50% of the
 * previous calendar year", read from the group's employee_count history over
 * the typical business days (Monday to Friday) of the calendar year before
 * the event (adjudicate/group_size.c, docs/rules.md "Group size over time").
 */
bool adj_cobra_applies(const struct group *group, date_t qualifying_event);

/* Whether a member is covered on a date (GET /v1/eligibility), read as the
 * rules read a line of that date (RULES.md § 3, § 4). */
struct adj_eligibility_answer {
    bool covered;
    int span;                       /* covered: the member's covering coverage span */
    enum adj_cob_position position; /* covered: this plan's place, either Medicare part */
    bool medicare_primary;
    const char *carc; /* not covered: the CARC that says why */
    const char *rarc; /* not covered: its remark, or NULL */
};

/* The answer for `patient` on `on`; subscriber is the employee's record (the
 * patient itself for the employee), parent a grandchild's parent or NULL. */
struct adj_eligibility_answer adj_eligibility_on(const struct member *patient,
                                                 const struct member *subscriber,
                                                 const struct member *parent,
                                                 const struct group *group, date_t on);

/*
 * The distinct plan years (calendar years of the service or fill dates) of a
 * claim's lines, in increasing order: the worker loads the accumulators of
 * each. Returns how many were written to years[].
 */
int adj_claim_plan_years(const struct claim *claim, int years[ADJ_MAX_PLAN_YEARS]);

/*
 * Turns a stored claim and its decision (NULL when it has none yet) into the
 * lines the duplicate check compares against. Writes at most max lines and
 * returns how many it wrote.
 */
int adj_prior_lines_from_claim(const char *claim_id, const struct claim *claim,
                               const struct adj_decision *decision, struct adj_prior_line *out,
                               int max);

/* ---- Duplicate fingerprints (duplicates.c, RULES.md § 5) ---- */

/*
 * The duplicate check by exact lookup: each line of a claim that is not
 * denied is stored under one or more fingerprints of its compared fields
 * (kept per member), and a later line is a duplicate when one of its lookup
 * fingerprints is held by another claim. A lookup hit means exactly what
 * adj_is_duplicate()'s comparison means:
 *   medical   "m:"             provider NPI, service date, procedure code,
 *                              modifiers (sorted: any order), units, charge;
 *   pharmacy  "p:npi:"         pharmacy NPI, NDC, fill date, quantity, charge
 *                              (the same pharmacy by NPI when both claims
 *                              carry one);
 *             "p:name-any:"    pharmacy name (blanks trimmed, case folded),
 *                              NDC, fill date, quantity, charge: stored by
 *                              every pharmacy line, looked up by one without
 *                              an NPI (then the name decides);
 *             "p:name-nonpi:"  the same text, stored only by a line without an
 *                              NPI, looked up by one with an NPI.
 * The text after the prefix is the first 128 bits of SHA-256 of the exact
 * canonical field text (integers and length-prefixed strings), in hex.
 */
#define ADJ_FP_LEN 48     /* "p:name-nonpi:" + 32 hex digits + NUL */
#define ADJ_FP_PER_LINE 2 /* a pharmacy line stores 2 and looks up at most 2 */

enum adj_fp_kind {
    ADJ_FP_MEDICAL,
    ADJ_FP_PHARMACY_NPI,
    ADJ_FP_PHARMACY_NAME_ANY,
    ADJ_FP_PHARMACY_NAME_NONPI,
};

struct adj_fingerprint {
    enum adj_fp_kind kind;
    char text[ADJ_FP_LEN];
};

/* The fingerprints to store for line `line` of claim (a pharmacy claim has
 * line 0 only). Returns how many were written to out (1 or 2), or 0 when the
 * line does not exist. */
int adj_line_fingerprints_to_store(const struct claim *claim, int line,
                                   struct adj_fingerprint out[ADJ_FP_PER_LINE]);

/* The fingerprints to look up for line `line`: a hit on any of them, held by
 * another claim that is not denied, makes the line a duplicate. Returns how
 * many were written (1 or 2), or 0 when the line does not exist. */
int adj_line_fingerprints_to_look_up(const struct claim *claim, int line,
                                     struct adj_fingerprint out[ADJ_FP_PER_LINE]);

/* The earlier line a lookup hit of `kind` stands for: line `line` of claim
 * as claim `holder` filed it (pharmacy: with an NPI only for an NPI hit), not
 * denied. Passed in adj_facts.prior_lines, adj_is_duplicate() finds it. */
void adj_prior_line_for_hit(const struct claim *claim, int line, enum adj_fp_kind kind,
                            const char *holder, struct adj_prior_line *out);

/*
 * The fingerprint changes a decision makes (RULES.md § 5): every line not
 * denied holds its fingerprints (a pended claim's lines too: the first claim
 * keeps its benefit); a line the decision denies gives up its own, unless a
 * kept line holds the same one. line_fps[i] is a fingerprint the claim's line
 * line_of[i] stores (adj_line_fingerprints_to_store). Writes the distinct
 * ones to store (at most max) and drop (at most max).
 */
void adj_fingerprint_changes(const char (*line_fps)[ADJ_FP_LEN], const int *line_of, int n,
                             const struct adj_decision *d, char (*store)[ADJ_FP_LEN], int *n_store,
                             char (*drop)[ADJ_FP_LEN], int *n_drop, int max);

/* ---- Code table (codes.c): every CARC and RARC the rules emit ---- */

struct adj_code_info {
    const char *code;    /* "45", "N479" */
    const char *wording; /* the standard's wording (X12 CARC / RARC lists) */
    const char *plain;   /* what it means for the member, for the EOB */
};

/* The CARC's entry in the code table; NULL when the code is not one this adjudicator emits. */
const struct adj_code_info *adj_carc_lookup(const char *carc);
/* The RARC's entry in the remark table; NULL when the code is not one this adjudicator emits. */
const struct adj_code_info *adj_rarc_lookup(const char *rarc);
/* The whole CARC table (static), its length in *n: for documentation and the EOB legend. */
const struct adj_code_info *adj_carc_table(size_t *n);
/* The whole RARC table (static, never freed), its length in *n. */
const struct adj_code_info *adj_rarc_table(size_t *n);
/* The group's code ("CO", "PR", "OA", "PI"), a static string. */
const char *adj_group_code(enum adj_group group);
/* The group code's standard name ("Contractual Obligation", ...), a static string. */
const char *adj_group_wording(enum adj_group group);
/* The enum of a group code ("CO", "PR", "OA", "PI") into *out; false when it is none of them. */
bool adj_group_parse(const char *code, enum adj_group *out);

/* The API's name of an outcome ("approved", "denied", ...), a static string (API.md). */
const char *adj_outcome_name(enum adj_outcome outcome);
/* The API's name of a COB position ("primary", "secondary"), a static string. */
const char *adj_cob_position_name(enum adj_cob_position position);
/* The API's name of a payee ("member", "provider"), a static string. */
const char *adj_payee_name(enum adj_payee payee);

#endif
