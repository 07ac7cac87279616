/*
 * Re-deciding a family's standing claims (docs/rules.md "Corrections,
 * voids and the adjustment cascade"): when a claim is voided or replaced its
 * effect on the accumulators goes, and later claims of the family in the
 * same plan year may owe something else (the deductible it used is free
 * again). The family's standing claims (final, neither voided nor replaced)
 * are decided again from zero accumulators, one at a time, in receipt order,
 * each against the earlier standing claims only (duplicates, RULES.md § 5),
 * exactly as a fresh one-at-a-time adjudication of them would decide.
 *
 * Pure, like the rest of adjudicate/: facts in, decisions and totals out; no
 * I/O, no clock, no allocation (the caller passes every buffer).
 */
#ifndef CLAIMS_ADJ_REDECIDE_H
#define CLAIMS_ADJ_REDECIDE_H

#include <stdbool.h>

#include "adjudicate/adjudicate.h"

/* One standing claim of the family, with the records it is decided on. */
struct adj_redecide_claim {
    const char *claim_id;
    const char *member_id; /* the patient (the claim's member_id) */
    const struct claim *claim;
    const struct member *patient;    /* NULL: not on file (denied CO-140, as the worker does) */
    const struct member *subscriber; /* NULL: the patient */
    const struct member *parent;     /* a grandchild's parent, else NULL */
    const struct group *group;
    const struct plan *plan;
    date_t received_date;
    /* The reviewer's decision stored with the claim (its `review` field: a
     * staff review or an appeal overturn), NULL when none: applied as the
     * worker applies it (adj_facts.review). */
    const struct adj_review *review;
};

/* What one claim is decided to now, and the accumulators it was decided
 * with (one per plan year of its lines, adj_claim_plan_years order). */
struct adj_redecide_result {
    struct adj_decision decision;
    struct adj_year_accumulators before[ADJ_MAX_PLAN_YEARS];
    int n_before;
};

/* The accumulators after the re-decision: one entry per plan year, member
 * and network that some approved claim moved. The family's amount of a
 * year and network is the sum of its members' entries. */
struct adj_acc_entry {
    int year;
    const char *member_id; /* borrowed from the adj_redecide_claim */
    enum network network;
    cents_t deductible;
    cents_t oop;
};

/* A caller's buffers for adj_redecide_family. */
struct adj_redecide_buffers {
    struct adj_acc_entry *totals; /* room for cap_totals entries (n claims x ADJ_MAX_DELTAS
                                     always suffices) */
    int cap_totals;
    struct adj_prior_line *prior; /* scratch: room for the lines of every claim of one
                                     member (n claims x MAX_LINES always suffices) */
    int cap_prior;
};

/*
 * Decides claims[0..n) (receipt order) one at a time from zero
 * accumulators: claim i sees the approved deltas of claims 0..i-1 (its
 * member's own and the family's) and, for the duplicate check, the lines of
 * the earlier claims of the same patient as they are decided now. A claim
 * the rules would pend is final already (its information deadline passed, or
 * it never waited for any): what would still be missing is denied, as at the
 * pend deadline (adj_decide_expired_pend, RULES.md § 4, § 6). A claim with a
 * stored review is decided with it; a standing claim is never sent back to
 * review: one without a review that the rules would now refer (its allowed
 * over a review_threshold set or lowered since it was decided, or a
 * duplicate denial lifted) is decided as a reviewer's approve would decide
 * it, the rules' amounts (docs/rules.md "Staff review"). Fills out[i]
 * for every claim and buf->totals; *n_totals gets the number of entries.
 * Returns ADJ_OK, or ADJ_ERR_FACTS when the rules refuse a claim's facts or
 * a buffer is too small (out[] and totals then unspecified).
 */
int adj_redecide_family(const struct adj_redecide_claim *claims, int n, date_t today,
                        struct adj_redecide_buffers *buf, struct adj_redecide_result *out,
                        int *n_totals);

/*
 * Which claims a re-decision of plan years seed[0..n_seed) must include: a
 * claim with a line in one of those years, and, because one claim's lines
 * can span years, every claim with a line in a year such a claim spans (the
 * closure). in_scope[i] is set for claims[i]; the scope's years go to
 * years_out (at most max; ADJ_MAX_PLAN_YEARS x n is always enough). Returns
 * how many years, or -1 when years_out is too small.
 */
int adj_redecide_scope(const struct claim *const *claims, int n, const int *seed, int n_seed,
                       bool *in_scope, int *years_out, int max);

/*
 * The decision for a claim whose member id names nobody on file: the patient
 * is not identified as our member, as when the name does not match (RULES.md
 * § 1): every line denied CO-140.
 */
void adj_deny_unknown_member(const struct claim *claim, struct adj_decision *out);

#endif
