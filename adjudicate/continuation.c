/*
 * Continuation coverage: COBRA and state continuation (RULES.md § 3,
 * manual § IV "Continuation provisions").
 */
#include "rules.h"

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
 * § IV "COBRA continuation": "COBRA applies to groups with 20 or more
 * eligible employees", "20 or more employees ... on more than 50% of the
 * previous calendar year" (adj_cobra_applies, group_size.c). A COBRA span
 * recorded for a smaller group rests on no law and covers nothing (smaller
 * groups use state continuation, § IV "State requirements", which the plan
 * documents govern and which is honoured as recorded). The size is judged
 * for the qualifying event, from the count history before it: a later change
 * of the count never takes back a continuation already elected.
 */
bool adj_continuation_span_counts(const struct coverage_span *span, const struct group *group)
{
    if (span->kind == COVERAGE_COBRA)
        return adj_cobra_applies(group, span->qualifying_event);
    return true;
}
