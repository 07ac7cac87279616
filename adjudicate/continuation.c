/*
 * Continuation coverage: COBRA and state continuation (RULES.md § 3,
 * manual § IV "Continuation provisions").
 */
#include <string.h>

#include "rules.h"

#define COBRA_BASE_MONTHS                                                                          \
    18 /* § IV "COBRA provisions": "an 18-month COBRA continuation period"                        \
        */
#define COBRA_DISABILITY_MONTHS                                                                    \
    29 /* § IV: "extended by an additional 11 months, for a total of 29" */
#define DISABILITY_END_DAYS                                                                        \
    30 /* § IV: "more than 30 days after the date of final determination"                         \
        */

/*
 * § IV "COBRA provisions": continuation "of up to 18 to 36 months, depending
 * on the qualifying event", 29 with the disability extension. RULES.md § 3:
 * the span lasts `months` from the qualifying event, ending at the end of the
 * last month.
 *
 * Counted the way the loss of coverage works: the employee keeps active
 * coverage through the end of the qualifying event's month (§ III termination
 * effective date), then COBRA runs `months` whole calendar months. The last
 * covered day is the end of the month `months` after the event's month.
 *   qualifying event 15 Mar 2025, 18 months → covered through 30 Sep 2026
 *   qualifying event  1 Mar 2025, 18 months → covered through 30 Sep 2026
 *   qualifying event 15 Mar 2025, 29 months → covered through 31 Aug 2027
 *   qualifying event 15 Mar 2025, 36 months → covered through 31 Mar 2028
 */
date_t adj_cobra_last_day(const struct coverage_span *span)
{
    return date_end_of_month(date_add_months(span->qualifying_event, span->months));
}

/*
 * § IV "End of COBRA coverage period", the disability extension: COBRA ends
 * "at the end of the month that begins more than 30 days after the date of
 * final determination that the individual is no longer disabled under the
 * Social Security Act. (Only applies under the 11-month disability
 * extension)", and never before the 18 months it extends (26 CFR
 * 54.4980B-7 Q&A-5: the extension ends, the 18 months stand).
 * The month that begins more than 30 days after the determination F is the
 * first month whose first day is on or after F + 31:
 *   determined 1 Oct 2026 → 1 Nov is 31 days later → covered through 30 Nov 2026;
 *   determined 2 Oct 2026 → 1 Nov is 30 days later, not more → through 31 Dec 2026.
 */
static date_t disability_extension_last_day(const struct coverage_span *span)
{
    date_t first_day = date_add_days(span->disability_ended_on, DISABILITY_END_DAYS + 1);
    date_t month_start =
        date_day(first_day) == 1 ? first_day : date_add_days(date_end_of_month(first_day), 1);
    date_t last = date_end_of_month(month_start);
    date_t base = date_end_of_month(date_add_months(span->qualifying_event, COBRA_BASE_MONTHS));
    return date_cmp(last, base) < 0 ? base : last;
}

/*
 * The day Medicare entitlement begins after `elected_on`, as the member's
 * facts in force on `on` (the date asked about) record it: a later,
 * non-retroactive change never reaches back to an earlier date of service.
 */
static bool medicare_after(const struct member *m, date_t elected_on, date_t on, date_t *when)
{
    const struct medicare *mc = &member_facts_on(m, on)->medicare;
    if (!mc->present || date_cmp(mc->entitlement_date, elected_on) <= 0)
        return false;
    *when = mc->entitlement_date;
    return true;
}

/* The earliest effective date after `elected_on` of other group coverage. */
static bool other_group_after(const struct member *m, date_t elected_on, date_t *when)
{
    bool found = false;
    for (int i = 0; i < m->n_other_coverage; i++) {
        const struct other_coverage *o = &m->other_coverage[i];
        if (o->kind != OTHER_GROUP || date_cmp(o->effective, elected_on) <= 0)
            continue;
        if (!found || date_cmp(o->effective, *when) < 0)
            *when = o->effective;
        found = true;
    }
    return found;
}

/*
 * The last day a COBRA span covers: the earliest of § IV "End of COBRA
 * coverage period":
 *   - "the expiration of the maximum continuation period" (adj_cobra_last_day);
 *   - for a 29-month span, the end of the disability extension
 *     (disability_extension_last_day) once the final determination is recorded;
 *   - "when the employee/dependent becomes entitled to Medicare" and "when
 *     [they] enroll in another group plan", each only when it happens after
 *     the election (26 CFR 54.4980B-7 Q&A-2 and Q&A-3: "first becomes ...
 *     after the date on which COBRA continuation coverage is elected"; an
 *     entitlement or a plan already there on the day of the election ends
 *     nothing). COBRA "will cease on" that date: the day before it is the
 *     last covered day, so the new coverage takes over with neither a gap nor
 *     a day of double coverage. The manual's "without a pre-existing condition
 *     that affects him or her" no longer limits anything: group plans may not
 *     exclude pre-existing conditions since 2014 (42 USC 300gg-3).
 */
static date_t cobra_span_last_day(const struct coverage_span *span, const struct member *member,
                                  date_t on)
{
    date_t last = adj_cobra_last_day(span);
    date_t when = last;
    if (span->months == COBRA_DISABILITY_MONTHS && span->has_disability_ended_on) {
        date_t d = disability_extension_last_day(span);
        if (date_cmp(d, last) < 0)
            last = d;
    }
    if (medicare_after(member, span->elected_on, on, &when) &&
        date_cmp(date_add_days(when, -1), last) < 0)
        last = date_add_days(when, -1);
    if (other_group_after(member, span->elected_on, &when) &&
        date_cmp(date_add_days(when, -1), last) < 0)
        last = date_add_days(when, -1);
    return last;
}

/*
 * § IV "State requirements": "Do not terminate them ... until the end of
 * their state continuation period." The period is the law of the state where
 * the group's contract is issued (the group's `state`), for the states of the
 * sample configuration and the tests:
 *   FL  18 months: Florida Health Insurance Coverage Continuation Act,
 *       Fla. Stat. § 627.6692(5) (employers with fewer than 20 employees);
 *   GA  3 months after the month coverage ended: O.C.G.A. § 33-24-21.1(c)
 *       ("the fractional policy month remaining ... plus three additional
 *       policy months"; the age-60 continuation of § 33-24-21.2 is not
 *       modelled).
 * Any other state: the group's `state_continuation_months` (its plan
 * documents), else ADJ_DEFAULT_STATE_CONTINUATION_MONTHS.
 */
static const struct {
    const char *state;
    int months;
} state_continuation_table[] = {
    {"FL", 18},
    {"GA", 3},
};

int adj_state_continuation_months(const struct group *group)
{
    for (size_t i = 0; i < sizeof state_continuation_table / sizeof *state_continuation_table; i++)
        if (strcmp(group->state, state_continuation_table[i].state) == 0)
            return state_continuation_table[i].months;
    return group->state_continuation_months > 0 ? group->state_continuation_months
                                                : ADJ_DEFAULT_STATE_CONTINUATION_MONTHS;
}

/*
 * A state continuation span runs its period from its own effective date, the
 * first day of continued coverage (the day after the active coverage ended at
 * the end of its month, § III), in whole calendar months like COBRA: the
 * month it starts in is the first. Effective 1 Apr 2025, Florida's 18 months:
 * covered through 30 Sep 2026; Georgia's 3: through 30 Jun 2025 (the rest of
 * March was the active coverage's, then three months).
 */
static date_t state_continuation_last_day(const struct coverage_span *span,
                                          const struct group *group)
{
    return date_end_of_month(
        date_add_months(span->effective, adj_state_continuation_months(group) - 1));
}

/*
 * The last day a continuation span covers before its own termination event
 * (eligibility.c applies that too), by the member's facts in force on `on`.
 */
date_t adj_continuation_last_day(const struct coverage_span *span, const struct member *member,
                                 const struct group *group, date_t on)
{
    if (span->kind == COVERAGE_COBRA)
        return cobra_span_last_day(span, member, on);
    return state_continuation_last_day(span, group);
}

/*
 * § IV "COBRA continuation": "COBRA applies to groups with 20 or more
 * eligible employees", "20 or more employees ... on more than 50% of the
 * previous calendar year" (adj_cobra_applies, group_size.c). A COBRA span
 * recorded for a smaller group rests on no law and covers nothing (smaller
 * groups use state continuation, § IV "State requirements"). The size is
 * judged for the qualifying event, from the count history before it: a later
 * change of the count never takes back a continuation already elected.
 */
bool adj_continuation_span_counts(const struct coverage_span *span, const struct group *group)
{
    if (span->kind == COVERAGE_COBRA)
        return adj_cobra_applies(group, span->qualifying_event);
    return true;
}
