/*
 * Eligibility on the date of service: which coverage span covers the date,
 * or why none does (RULES.md § 3).
 *
 * Manual sources:
 *   § III "Termination effective date" — the spans' last days, coverage.c.
 *   § III "Dependent termination" and § I "Eligible dependents" — dependents.c.
 *   § IV  "COBRA continuation" / "State requirements" — continuation.c.
 */
#include <string.h>

#include "rules.h"

static bool span_covers(const struct coverage_span *span, const struct member *member,
                        const struct group *group, date_t on)
{
    date_t last;
    if (date_cmp(on, span->effective) < 0)
        return false;
    return !adj_span_last_day(span, member, group, on, &last) || date_cmp(on, last) <= 0;
}

/*
 * Checks the member's coverage on `on` (RULES.md § 3); `parent` is a
 * grandchild's parent record (NULL for anyone else, or when not on file):
 *   - a span that counts covers `on` → the dependent rules decide (CO-32 + N30);
 *   - no span has ended by `on` → the date is before coverage (CO-26);
 *   - one ended before and another starts after → a lapse (CO-200);
 *   - otherwise coverage had ended (CO-27).
 * Where more than one span covers the date (say, an active span and a COBRA
 * span entered in advance), the active one is used: it is the coverage through
 * current employment that coordination of benefits asks about. *span_index is
 * set to the covering span, or -1.
 */
enum adj_eligibility adj_check_eligibility(const struct member *member, const struct member *parent,
                                           const struct group *group, date_t on, int *span_index)
{
    bool ended_before = false, starts_after = false;
    int covering = -1;

    for (int i = 0; i < member->n_coverage; i++) {
        const struct coverage_span *span = &member->coverage[i];
        if (!adj_span_counts(span, group))
            continue;
        if (span_covers(span, member, group, on)) {
            if (covering < 0 || span->kind < member->coverage[covering].kind)
                covering = i;
        } else if (date_cmp(on, span->effective) < 0) {
            starts_after = true;
        } else {
            ended_before = true; /* on is past the span's last day */
        }
    }

    *span_index = covering;
    if (covering >= 0)
        return adj_dependent_eligible(member, parent, group, on) ? ADJ_ELIG_COVERED
                                                                 : ADJ_ELIG_NOT_ELIGIBLE_DEPENDENT;
    if (!ended_before)
        return ADJ_ELIG_BEFORE_COVERAGE;
    if (starts_after)
        return ADJ_ELIG_LAPSE;
    return ADJ_ELIG_AFTER_COVERAGE;
}

/*
 * § III "Dependent termination": "Group coverage ... for all of an employee's
 * dependents will terminate when ... the employee's group coverage
 * terminates." A dependent covered by an active span is covered on `on` only
 * while the employee (subscriber) is covered by active coverage that day too,
 * whatever the dependent's own record says: a record left open after the
 * employee's termination is not coverage (CO-27, coverage terminated). A
 * dependent's own continuation span (COBRA, state) outlives the employee's
 * coverage by design (§ IV) and is not affected. subscriber may be NULL or the
 * patient's own record (then only adj_check_eligibility decides).
 */
enum adj_eligibility adj_check_family_eligibility(const struct member *patient,
                                                  const struct member *subscriber,
                                                  const struct member *parent,
                                                  const struct group *group, date_t on,
                                                  int *span_index)
{
    enum adj_eligibility e = adj_check_eligibility(patient, parent, group, on, span_index);
    if (e != ADJ_ELIG_COVERED || patient->relationship == REL_EMPLOYEE || !subscriber ||
        strcmp(subscriber->member_id, patient->member_id) == 0 ||
        patient->coverage[*span_index].kind != COVERAGE_ACTIVE)
        return e;
    int employee_span = -1;
    if (adj_check_eligibility(subscriber, NULL, group, on, &employee_span) == ADJ_ELIG_COVERED &&
        subscriber->coverage[employee_span].kind == COVERAGE_ACTIVE)
        return e;
    *span_index = -1;
    return ADJ_ELIG_AFTER_COVERAGE;
}

/* The CARC for each reason a date is not covered (RULES.md § 3). */
static const char *const ineligible_carc[] = {
    [ADJ_ELIG_COVERED] = NULL,
    [ADJ_ELIG_BEFORE_COVERAGE] = "26",        /* expenses incurred prior to coverage */
    [ADJ_ELIG_AFTER_COVERAGE] = "27",         /* expenses incurred after coverage terminated */
    [ADJ_ELIG_LAPSE] = "200",                 /* expenses incurred during lapse in coverage */
    [ADJ_ELIG_NOT_ELIGIBLE_DEPENDENT] = "32", /* not an eligible dependent */
};

const char *adj_eligibility_carc(enum adj_eligibility e)
{
    return ineligible_carc[e];
}

const char *adj_eligibility_rarc(enum adj_eligibility e)
{
    return e == ADJ_ELIG_NOT_ELIGIBLE_DEPENDENT ? "N30" /* patient ineligible for this service */
                                                : NULL;
}
