/*
 * What coverage a member holds on a date: coverage spans and their last days
 * (§ III "Termination effective date", continuation periods of § IV from
 * continuation.c), unbroken coverage, Medicare entitlement and other coverage
 * in force. The lowest rule file: eligibility.c, dependents.c and cob.c read
 * these facts; it calls only continuation.c.
 */
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

/* Medicare covers the member on `on` (entitlement has begun). */
bool adj_medicare_entitled_on(const struct member *member, date_t on)
{
    const struct medicare *m = &member_facts_on(member, on)->medicare;
    return m->present && date_cmp(m->entitlement_date, on) <= 0;
}

/* The other coverage is in force on `on`: effective, and not past its last day. */
bool adj_other_coverage_in_force(const struct other_coverage *other, date_t on)
{
    if (date_cmp(on, other->effective) < 0)
        return false;
    return !other->has_termination || date_cmp(on, other->termination) <= 0;
}
