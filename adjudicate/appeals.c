/*
 * Appeal dates (adjudicate/appeals.h): the filing window and the decision's
 * due date, 29 CFR 2560.503-1(h)(3)(i) and (i)(2)(iii)(A).
 */
#include "appeals.h"

date_t adj_appeal_deadline(date_t eob_date)
{
    return date_add_days(eob_date, ADJ_APPEAL_WINDOW_DAYS);
}

bool adj_appeal_window_open(date_t eob_date, date_t filed_on)
{
    /* A filing dated before the EOB cannot happen with one clock; it is
     * refused rather than counted as early. */
    return date_cmp(filed_on, eob_date) >= 0 &&
           date_cmp(filed_on, adj_appeal_deadline(eob_date)) <= 0;
}

date_t adj_appeal_due_date(date_t filed_on)
{
    return date_add_days(filed_on, ADJ_APPEAL_DECISION_DAYS);
}

bool adj_appeal_overdue(date_t due, date_t today)
{
    return date_cmp(today, due) > 0;
}
