/*
 * Recoveries (docs/rules.md "Recoveries"): a retroactive termination,
 * recorded after claims for later dates were paid, leaves paid lines on dates
 * the member is no longer covered. adj_find_recovery() lists them, with what
 * was paid on them, and records the manual's reporting rule (§ III
 * "Reporting terminations": the employer may be liable when it reported the
 * termination more than 31 days after the Termination Effective Date).
 *
 * Pure, like the rest of adjudicate/: no I/O, no clock, no allocation.
 */
#ifndef CLAIMS_ADJ_RECOVERY_H
#define CLAIMS_ADJ_RECOVERY_H

#include <stdbool.h>

#include "model.h"

/* § III "Reporting terminations": "within 31 days following the
 * Termination Effective Date". */
#define ADJ_TERMINATION_REPORT_DAYS 31
/* How far back from an uncovered date the last covered day is looked for. */
#define ADJ_RECOVERY_LOOKBACK_DAYS 3660

/* One line of a finalized claim as its decision stands. */
struct adj_paid_line {
    date_t service_date; /* pharmacy: the fill date */
    bool denied;
    cents_t plan_paid;
};

struct adj_recovery_line {
    int line; /* index into the claim's lines (0-based) */
    date_t service_date;
    cents_t plan_paid;
    bool employer_liable; /* after the termination effective date, up to a late report */
};

struct adj_recovery {
    struct adj_recovery_line lines[MAX_LINES];
    int n_lines;
    cents_t amount; /* the plan_paid of lines[] */
    /* The last covered day before the first listed line (the termination
     * effective date); has_coverage_ended false when no day in the
     * ADJ_RECOVERY_LOOKBACK_DAYS before it is covered (coverage now starts
     * later than it did). */
    bool has_coverage_ended;
    date_t coverage_ended;
    /* When the termination was reported: the termination_reported_on of the
     * span that ends on coverage_ended, else `today` (the scan's day). */
    date_t termination_reported_on;
    bool employer_liable; /* any line is */
};

/*
 * Whether `on` is covered for the patient now: adj_check_eligibility's answer
 * (spans, termination effective dates, dependent rules), and for a dependent
 * covered by an active span, the employee's own coverage on `on` too (§ III
 * "Dependent termination": "Group coverage ... for all of an employee's
 * dependents will terminate when ... the employee's group coverage
 * terminates"). subscriber may be NULL or the patient itself; parent is a
 * grandchild's parent record (§ I; NULL for anyone else).
 */
bool adj_covered_now(const struct member *patient, const struct member *subscriber,
                     const struct member *parent, const struct group *group, date_t on);

/*
 * The lines of a claim (its n lines as decided) that were not denied and
 * whose date is no longer covered by the records as they stand now. Fills
 * *out and returns out->n_lines (0: nothing to recover), or -1 when a pointer
 * is NULL or n is out of range (*out then empty).
 */
int adj_find_recovery(const struct adj_paid_line *lines, int n, const struct member *patient,
                      const struct member *subscriber, const struct member *parent,
                      const struct group *group, date_t today, struct adj_recovery *out);

#endif
