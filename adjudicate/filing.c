/*
 * Filing deadlines (RULES.md § 2) and the plan's pend period (§ 4, § 6).
 */
#include "rules.h"

/*
 * § VII "Where to send pharmacy claims": the claim form is sent "within 180
 * days of the date the prescription was filled". Day 180 itself is in time:
 * filled 1 Jan 2026, received 30 Jun 2026 (day 180) is paid, 1 Jul 2026
 * (day 181) is denied CO-29.
 */
bool adj_pharmacy_filed_in_time(date_t fill_date, date_t received)
{
    return date_diff_days(received, fill_date) <= ADJ_PHARMACY_FILING_DAYS;
}

/*
 * Medical claims: the manual sets no limit; the plan documents do
 * (`medical_filing_limit_days`, default 365), counted like the pharmacy limit
 * from the line's service date, the last day included.
 */
bool adj_medical_filed_in_time(const struct plan *plan, date_t service_date, date_t received)
{
    int limit = plan->medical_filing_limit_days > 0 ? plan->medical_filing_limit_days
                                                    : PLAN_DEFAULT_MEDICAL_FILING_DAYS;
    return date_diff_days(received, service_date) <= limit;
}

/* How long a pended claim waits for information: the plan's `pend_days`, default 45. */
int adj_pend_days(const struct plan *plan)
{
    return plan->pend_days > 0 ? plan->pend_days : PLAN_DEFAULT_PEND_DAYS;
}
