/*
 * The data model as C structs (DESIGN.md "Data model", API.md).
 *
 * These are the parsed, validated forms of claims and enrollment records.
 * JSON from outside becomes these structs once, at the edge (codec/parse*.c);
 * the rules in adjudicate/ read only these structs. Fixed-size fields keep a
 * claim or a member a flat value with no ownership questions; only a plan,
 * whose fee schedule and formulary have no natural bound, owns heap memory
 * (release it with plan_free).
 */
#ifndef CLAIMS_MODEL_H
#define CLAIMS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "money.h"

/* Lengths include the terminating NUL. */
#define ID_LEN 65        /* member, subscriber, group, plan ids: 1..64 of [A-Za-z0-9._-] */
#define NAME_LEN 101     /* people, providers, pharmacies, drugs, payers: 1..100 bytes */
#define CLAIM_ID_LEN 37  /* UUID text form */
#define NPI_LEN 11       /* 10 digits */
#define NDC_LEN 13       /* 11 digits today; sized for the FDA's 12-digit 6-4-2 form */
#define PROC_LEN 6       /* CPT/HCPCS: 5 characters */
#define MODIFIER_LEN 3   /* 2 characters */
#define ICD_LEN 9        /* ICD-10-CM with its dot: "A00.0000" at most 8 */
#define STATE_LEN 3      /* US postal code */
#define REF_LEN 513      /* attachment reference: 1..512 bytes */
#define RX_NUMBER_LEN 33 /* pharmacy's prescription number: 1..32 bytes */
#define PCN_LEN 39       /* patient control number (X12 CLM01): 1..38 bytes */
#define REVENUE_LEN 5    /* institutional revenue code: 4 digits */

#define MAX_LINES 50
#define MAX_DIAGNOSES 12
#define MAX_MODIFIERS 4
#define MAX_ATTACHMENTS 20
#define MAX_COVERAGE_SPANS 20
#define MAX_OTHER_COVERAGE 8
#define MAX_COPAY_RULES 16
#define MAX_COPAY_CODES 64
#define MAX_FACT_HISTORY 64 /* dated values of a member's or a group's changing facts */

enum claim_type { CLAIM_MEDICAL, CLAIM_PHARMACY };
enum network { NETWORK_IN, NETWORK_OUT };
enum attachment_kind { ATTACH_ITEMIZED_BILL, ATTACH_PRIMARY_EOB, ATTACH_OTHER };

/* ---- Claim (API.md "Submitting a claim") ---- */

struct patient {
    char first_name[NAME_LEN];
    char last_name[NAME_LEN];
    date_t birth_date;
};

/* The primary payer's EOB, present when this plan is secondary. */
struct other_insurance {
    bool present;
    char payer_name[NAME_LEN];
    cents_t paid;
    cents_t allowed;
    cents_t patient_responsibility;
    date_t eob_date;
};

struct attachment {
    enum attachment_kind kind;
    char reference[REF_LEN];
};

struct claim_line {
    date_t service_date;
    char procedure_code[PROC_LEN];
    char modifiers[MAX_MODIFIERS][MODIFIER_LEN];
    int n_modifiers;
    int units; /* 1..999 */
    cents_t charge;
    char revenue_code[REVENUE_LEN]; /* optional: "" when absent */
};

struct medical_provider {
    char npi[NPI_LEN];
    char name[NAME_LEN];
    enum network network;
    bool facility;
};

struct pharmacy_info {
    char name[NAME_LEN];
    bool has_npi;
    char npi[NPI_LEN];
    enum network network;
};

struct prescriber {
    bool present;
    char name[NAME_LEN];
    bool has_npi;
    char npi[NPI_LEN];
};

struct claim {
    enum claim_type type;
    char member_id[ID_LEN];
    struct patient patient;
    bool has_received_date; /* staff supplied it; otherwise the server sets it */
    date_t received_date;
    struct other_insurance other_insurance;
    bool assignment_of_benefits;
    struct attachment attachments[MAX_ATTACHMENTS];
    int n_attachments;
    /* Optional: the provider's own claim number (X12 CLM01), "" when absent;
     * echoed in the 835's CLP01. */
    char patient_control_number[PCN_LEN];

    /* type == CLAIM_MEDICAL */
    struct medical_provider provider;
    bool inpatient;
    bool itemized_bill;
    char diagnosis_codes[MAX_DIAGNOSES][ICD_LEN];
    int n_diagnosis_codes;
    struct claim_line lines[MAX_LINES];
    int n_lines;

    /* type == CLAIM_PHARMACY */
    struct pharmacy_info pharmacy;
    struct prescriber prescriber;
    char ndc[NDC_LEN]; /* normalised: 11 digits, no hyphens */
    bool has_rx_number;
    char rx_number[RX_NUMBER_LEN];
    date_t fill_date;
    char drug_name[NAME_LEN];
    int64_t quantity_milli; /* quantity in thousandths: 30 tablets = 30000, 2.5 ml = 2500 */
    int days_supply;        /* 1..365 */
    cents_t charge;
};

/* ---- Enrollment (DESIGN.md "Data model", API.md "Enrollment records") ---- */

enum medicare_certification { MEDICARE_CERT_20_OR_MORE, MEDICARE_CERT_19_OR_FEWER };

/* A group's facts that change over time (issue 13 "every fact dated"). */
struct group_facts {
    int employee_count;
    enum medicare_certification medicare_certification;
};

/* When an entry of a fact history holds: from `from` until the next entry's
 * `from`. The first entry holds from the beginning (has_from false);
 * reported_on is the day the plan learned of it (has_reported_on false when
 * unknown, as for a record stored whole without dates). */
struct fact_dates {
    bool has_from;
    date_t from;
    bool has_reported_on;
    date_t reported_on;
};

struct group_facts_entry {
    struct fact_dates dates; /* first member: model.c reads histories through it */
    struct group_facts facts;
};

struct group {
    char group_id[ID_LEN];
    char name[NAME_LEN];
    char state[STATE_LEN];
    bool dependent_to_30;
    char plan_id[ID_LEN];
    int waiting_period_days; /* § I "Enrollment for new hires": default 0 */
    bool leave_continuation; /* § IV "Temporary lay-off or leave of absence": "if the contract
                                permits" */
    int state_continuation_months; /* § IV "State requirements", states without a table entry: 0 =
                                      default */
    /* In increasing order of `from`; at least one entry, the first without `from`. */
    struct group_facts_entry history[MAX_FACT_HISTORY];
    int n_history;
};

enum relationship { REL_EMPLOYEE, REL_SPOUSE, REL_CHILD, REL_GRANDCHILD };
enum coverage_kind { COVERAGE_ACTIVE, COVERAGE_COBRA, COVERAGE_STATE_CONTINUATION };

struct coverage_span {
    char plan_id[ID_LEN];
    date_t effective;
    bool has_termination_event;
    date_t termination_event; /* the event's date; coverage ends at the end of its month */
    /* When the plan learned of the termination (§ III "Reporting terminations":
     * due within 31 days of the termination effective date); optional. */
    bool has_termination_reported_on;
    date_t termination_reported_on;
    enum coverage_kind kind;
    date_t qualifying_event;      /* kind == COVERAGE_COBRA */
    int months;                   /* kind == COVERAGE_COBRA: 18, 29 or 36 */
    date_t elected_on;            /* kind == COVERAGE_COBRA: the election (default: effective) */
    bool has_disability_ended_on; /* months == 29: SSA's final determination that the */
    date_t disability_ended_on;   /* individual is no longer disabled (§ IV) */
};

enum medicare_basis { MEDICARE_AGE, MEDICARE_ESRD, MEDICARE_DISABILITY };

struct medicare {
    bool present;
    enum medicare_basis basis;
    date_t entitlement_date;
    bool part_a; /* hospital insurance (§ II "Medicare Part A (Hospitalization)") */
    bool part_b; /* medical insurance, by enrolment and premium (§ II "Medicare Part B") */
};

/* NAIC COB Model Regulation, the dependent child of parents who are divorced,
 * separated or not living together (whether or not ever married): who the
 * parents are relative to the child's coverage under this plan, whose
 * holder is the subscriber ("subscriber" is the subscriber of this plan,
 * "other_parent" the child's other parent). */
enum parents_status { PARENTS_SEPARATED, PARENTS_DIVORCED, PARENTS_NEVER_MARRIED };
enum custodial_parent { CUSTODY_SUBSCRIBER, CUSTODY_OTHER_PARENT, CUSTODY_JOINT };
enum decree_responsible { DECREE_NONE, DECREE_SUBSCRIBER, DECREE_OTHER_PARENT, DECREE_BOTH };

struct separated_parents {
    bool present; /* false: parents married or living together (the birthday rule) */
    enum parents_status status;
    enum custodial_parent custodial;
    enum decree_responsible decree; /* the court decree's parent responsible for health care */
};

/* Who holds an other coverage, relative to a child whose parents are set. */
enum coverage_holder {
    HOLDER_UNKNOWN,
    HOLDER_SUBSCRIBER,
    HOLDER_SUBSCRIBER_SPOUSE,
    HOLDER_OTHER_PARENT,
    HOLDER_OTHER_PARENT_SPOUSE,
};

enum other_coverage_kind { OTHER_GROUP, OTHER_INDIVIDUAL };
enum other_coverage_relationship { OTHER_AS_EMPLOYEE, OTHER_AS_DEPENDENT };

struct other_coverage {
    char payer_name[NAME_LEN];
    enum other_coverage_kind kind;
    enum other_coverage_relationship relationship;
    bool has_holder_birth_date;
    date_t holder_birth_date; /* the policyholder's, for the birthday rule */
    date_t effective;
    bool has_termination;
    date_t termination;
    bool cobra;
    bool active_employment;
    enum coverage_holder holder; /* for a child of separated parents; HOLDER_UNKNOWN when absent */
};

/* A member's facts that change over time (issue 13 "every fact dated"). */
struct member_facts {
    bool student;
    bool lives_with_employee;
    bool has_own_dependent;
    bool handicapped_certified;
    struct medicare medicare;
};

struct member_facts_entry {
    struct fact_dates dates; /* first member: model.c reads histories through it */
    struct member_facts facts;
};

struct member {
    char member_id[ID_LEN];
    char subscriber_id[ID_LEN];
    char group_id[ID_LEN];
    enum relationship relationship;
    /* REL_GRANDCHILD: the member id of the grandchild's parent, a dependent
     * child of the same subscriber (§ I "Eligible dependents"); "" when not
     * recorded (records stored before the field existed). */
    char parent_member_id[ID_LEN];
    /* REL_CHILD whose parents are divorced, separated or never married. */
    struct separated_parents parents;
    char first_name[NAME_LEN];
    char last_name[NAME_LEN];
    date_t birth_date;
    char state[STATE_LEN];
    bool has_married_on;
    date_t married_on;
    struct coverage_span coverage[MAX_COVERAGE_SPANS];
    int n_coverage;
    /* In increasing order of `from`; at least one entry, the first without `from`. */
    struct member_facts_entry history[MAX_FACT_HISTORY];
    int n_history;
    struct other_coverage other_coverage[MAX_OTHER_COVERAGE];
    int n_other_coverage;
};

/* ---- Dated facts (common/model.c) ---- */

/* The facts in force on `on`: those of the last entry whose `from` is on or
 * before it (the first entry's for an earlier date). The record has at least
 * one entry. */
const struct member_facts *member_facts_on(const struct member *m, date_t on);
/* The group's facts in force on `on`, as member_facts_on does a member's. */
const struct group_facts *group_facts_on(const struct group *g, date_t on);

/* The changing facts, as bits of a mask (member_set_facts, group_set_facts). */
#define MEMBER_FACT_STUDENT 1u
#define MEMBER_FACT_LIVES_WITH_EMPLOYEE 2u
#define MEMBER_FACT_HAS_OWN_DEPENDENT 4u
#define MEMBER_FACT_HANDICAPPED 8u
#define MEMBER_FACT_MEDICARE 16u
#define MEMBER_FACTS_ALL 31u
#define GROUP_FACT_EMPLOYEE_COUNT 1u
#define GROUP_FACT_MEDICARE_CERTIFICATION 2u

/*
 * Records that from `from` on the facts named by `mask` take their values in
 * `values`, as reported on `reported_on`: an entry at `from` is made (a copy
 * of the facts in force on that day, or the entry already there), and each
 * named fact is set in it and in the later entries up to the next later
 * change of that same fact (a later dated change of it is kept; the other
 * facts are left as they are). An entry made at `from` that ends up equal to
 * the one before it is dropped (the change changed nothing). Returns 0, or -1
 * (record unchanged) when the history would exceed MAX_FACT_HISTORY entries.
 */
int member_set_facts(struct member *m, date_t from, date_t reported_on, unsigned mask,
                     const struct member_facts *values);
/* Records a dated change of the group's facts, as member_set_facts does a member's; 0, or -1. */
int group_set_facts(struct group *g, date_t from, date_t reported_on, unsigned mask,
                    const struct group_facts *values);

/* The mask of the facts in which a and b differ. */
unsigned member_facts_differ(const struct member_facts *a, const struct member_facts *b);
/* The mask of the group facts in which a and b differ. */
unsigned group_facts_differ(const struct group_facts *a, const struct group_facts *b);

/* Sets a record's history to one entry holding `facts` from the beginning. */
void member_set_initial_facts(struct member *m, const struct member_facts *facts);
/* Sets a group's history to one entry holding `facts` from the beginning. */
void group_set_initial_facts(struct group *g, const struct group_facts *facts);

/* COBRA applies to groups of 20 or more employees (manual § IV "COBRA
 * Continuation"), by the count in force on `on`. */
bool group_cobra_applies_on(const struct group *g, date_t on);

/* ---- Plan (API.md "Plan", RULES.md § 7) ---- */

struct tier_terms {
    cents_t deductible_individual;
    cents_t deductible_family;
    cents_t oop_max_individual;
    cents_t oop_max_family;
    int coinsurance_percent; /* 0..100 */
    int allowed_percent;     /* out of network only: share of the fee schedule allowed */
};

struct copay_rule {
    char procedure_codes[MAX_COPAY_CODES][PROC_LEN];
    int n_procedure_codes;
    cents_t amount;
};

struct fee_entry {
    char procedure_code[PROC_LEN];
    cents_t allowed; /* per unit */
};

enum drug_tier {
    TIER_GENERIC,
    TIER_PREFERRED_BRAND,
    TIER_NON_PREFERRED,
    TIER_SPECIALTY,
    TIER_EXCLUDED,
};
#define DRUG_TIER_PRICED 4 /* the tiers that carry cost-share terms (all but excluded) */

struct pharmacy_tier_terms {
    bool is_copay; /* else coinsurance */
    cents_t copay;
    int coinsurance_percent;
};

struct formulary_entry {
    char ndc[NDC_LEN]; /* normalised, 11 digits */
    enum drug_tier tier;
    bool has_unit_price; /* excluded drugs carry no price */
    cents_t unit_price;
};

/* A plan's values where its record gives none (docs/validation.md "Plans"):
 * claims filed within 365 days of service (RULES.md § 2), and 45 days to send
 * what a pended claim waits for (§ 6). */
#define PLAN_DEFAULT_MEDICAL_FILING_DAYS 365
#define PLAN_DEFAULT_PEND_DAYS 45

struct plan {
    char plan_id[ID_LEN];
    char name[NAME_LEN];
    struct tier_terms in_network;
    struct tier_terms out_of_network;
    struct copay_rule copays[MAX_COPAY_RULES];
    int n_copays;
    struct fee_entry *fee_schedule; /* owned; sorted by procedure_code */
    size_t n_fee_schedule;
    int medical_filing_limit_days; /* default PLAN_DEFAULT_MEDICAL_FILING_DAYS */
    int pend_days;                 /* default PLAN_DEFAULT_PEND_DAYS */
    /* Staff review (docs/rules.md "Staff review"): a claim whose total allowed
     * exceeds this goes to review; has_review_threshold false: none. */
    bool has_review_threshold;
    cents_t review_threshold;
    struct pharmacy_tier_terms pharmacy[DRUG_TIER_PRICED]; /* indexed by enum drug_tier */
    struct formulary_entry *formulary;                     /* owned; sorted by ndc */
    size_t n_formulary;
};

/* Releases what a plan owns (not the struct itself) and zeroes the pointers. */
void plan_free(struct plan *plan);
/* Binary search in the sorted fee schedule / formulary; NULL when absent. */
const struct fee_entry *plan_fee_lookup(const struct plan *plan, const char *procedure_code);
/* The formulary entry of an NDC (binary search); NULL when absent. */
const struct formulary_entry *plan_formulary_lookup(const struct plan *plan, const char *ndc);

#endif
