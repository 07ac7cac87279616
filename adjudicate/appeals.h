/*
 * Appeals of a decided claim (docs/rules.md "Appeals"): when a claimant may
 * still ask for a review of a benefit determination, and when the plan's
 * decision on that review is due.
 *
 * - Filing window: 29 CFR 2560.503-1(h)(3)(i) gives a claimant "at least 180
 *   days following receipt of a notification of an adverse benefit
 *   determination" to appeal. The plan counts the 180 calendar days from the
 *   date of the EOB (manual § VI "Explanation of Benefits": the EOB is the
 *   notice of each benefit determination): an appeal filed on day 180 after
 *   the EOB date is on time, one filed on day 181 is late. The EOB states the
 *   same last day (eob/eob.h uses adj_appeal_deadline).
 * - Decision due date: for a post-service claim the plan decides "not later
 *   than 60 days after receipt of the claimant's request for review", 29 CFR
 *   2560.503-1(i)(2)(iii)(A) (through (i)(1)(i)). Every claim this server
 *   takes is post-service (services and fills already provided), so the due
 *   date is the filing date plus 60 calendar days.
 *
 * Days are calendar days (not business days) and dates are calendar dates in
 * the plan's time zone: the caller passes "today" from date_today().
 * Pure, like the rest of adjudicate/: no I/O, no clock, no allocation.
 */
#ifndef CLAIMS_ADJ_APPEALS_H
#define CLAIMS_ADJ_APPEALS_H

#include <stdbool.h>

#include "date.h"

/* 29 CFR 2560.503-1(h)(3)(i): "at least 180 days following receipt of a
 * notification of an adverse benefit determination within which to appeal". */
#define ADJ_APPEAL_WINDOW_DAYS 180
/* 29 CFR 2560.503-1(i)(2)(iii)(A): post-service claims, "not later than 60
 * days after receipt of the claimant's request for review". */
#define ADJ_APPEAL_DECISION_DAYS 60

/* The last day an appeal of the EOB dated eob_date may be filed:
 * eob_date + 180 calendar days. */
date_t adj_appeal_deadline(date_t eob_date);

/* Whether an appeal filed on `filed_on` is within the window of the EOB
 * dated eob_date (on or before adj_appeal_deadline; not before the EOB). */
bool adj_appeal_window_open(date_t eob_date, date_t filed_on);

/* The day the plan's decision on an appeal filed on `filed_on` is due:
 * filed_on + 60 calendar days (post-service claim). */
date_t adj_appeal_due_date(date_t filed_on);

/* Whether an open appeal due on `due` is overdue on `today`: the due day has
 * passed (an appeal decided on its due day is on time). */
bool adj_appeal_overdue(date_t due, date_t today);

#endif
