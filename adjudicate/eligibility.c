/*
 * Eligibility on the date of service: coverage spans and their termination
 * effective dates (RULES.md § 3).
 *
 * Manual sources:
 *   § III "Termination effective date" — coverage ceases at midnight on the last
 *         day of the calendar month in which the termination event occurs.
 *   § III "Dependent termination" and § I "Eligible dependents" — dependents.c.
 *   § IV  "COBRA continuation" / "State requirements" — continuation.c.
 */
#include <string.h>

#include "rules.h"

/*
 * § III "Termination effective date": "Coverage ceases at midnight on the
 * last day of the calendar month in which the termination event occurs."
 * An employee who leaves on 10 March is covered through 31 March.
 */
date_t adj_termination_effective_date(date_t event)
{
    return date_end_of_month(event);
}

/*
 * Whether a span can cover anything at all. An active span always can; a
 * continuation span only where the law it rests on applies (continuation.c).
 */
bool adj_span_counts(const struct coverage_span *span, const struct group *group)
{
    if (span->kind == COVERAGE_ACTIVE)
        return true;
    return adj_continuation_span_counts(span, group);
}

/*
 * The last day a span covers. Returns false for an open span (no termination
 * event and no continuation period running out). A continuation span ends at
 * the end of its period (continuation.c: COBRA's maximum, the disability
 * extension's end, Medicare or another group plan after the election; the
 * state's continuation period) or, earlier, at the termination effective date
 * of its own termination event (§ IV "End of COBRA coverage period":
 * non-payment...). The member's facts are read as they stand on `on`, the
 * date asked about.
 */
bool adj_span_last_day(const struct coverage_span *span, const struct member *member,
                       const struct group *group, date_t on, date_t *last_day)
{
    bool ends = false;
    date_t last = {0};
    if (span->kind != COVERAGE_ACTIVE) {
        last = adj_continuation_last_day(span, member, group, on);
        ends = true;
    }
    if (span->has_termination_event) {
        date_t ted = adj_termination_effective_date(span->termination_event);
        if (!ends || date_cmp(ted, last) < 0)
            last = ted;
        ends = true;
    }
    *last_day = last;
    return ends;
}

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

/*
 * The first day of the unbroken coverage that includes span `span_index`:
 * spans that follow one another without a day's gap (active, then COBRA the
 * day after the termination effective date) count as one coverage. Used for
 * the NAIC "longer coverage" order rule.
 */
date_t adj_continuous_coverage_start(const struct member *member, const struct group *group,
                                     int span_index)
{
    date_t start = member->coverage[span_index].effective;
    bool moved = true;
    while (moved) {
        moved = false;
        for (int i = 0; i < member->n_coverage; i++) {
            const struct coverage_span *span = &member->coverage[i];
            date_t last;
            if (!adj_span_counts(span, group) || date_cmp(span->effective, start) >= 0)
                continue;
            /* Did the earlier span run up to `start`, as the facts then stood? */
            if (!adj_span_last_day(span, member, group, start, &last) ||
                date_cmp(date_add_days(last, 1), start) >= 0) {
                start = span->effective;
                moved = true;
            }
        }
    }
    return start;
}
