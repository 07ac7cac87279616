/*
 * Recoveries: paid lines on dates that a later-recorded termination no
 * longer covers (adjudicate/recovery.h, docs/rules.md "Recoveries").
 *
 * Manual sources:
 *   § III "Termination effective date" — coverage ceases at midnight on the
 *         last day of the month of the termination event (eligibility.c).
 *   § III "Dependent termination" — all dependents' coverage ends with the
 *         employee's.
 *   § III "Reporting terminations" — "Each termination should be reported
 *         within 31 days following the Termination Effective Date. Otherwise,
 *         you (the employer) could become financially responsible for claims
 *         paid and health care services rendered after the Termination
 *         Effective Date through the date Enrollment Services receives
 *         notification of the termination."
 */
#include "recovery.h"

#include <string.h>

#include "rules.h"

bool adj_covered_now(const struct member *patient, const struct member *subscriber,
                     const struct member *parent, const struct group *group, date_t on)
{
    int span = -1;
    return adj_check_family_eligibility(patient, subscriber, parent, group, on, &span) ==
           ADJ_ELIG_COVERED;
}

/* The last covered day before `on`, within the look-back. */
static bool last_covered_before(const struct member *patient, const struct member *subscriber,
                                const struct member *parent, const struct group *group, date_t on,
                                date_t *out)
{
    for (int k = 1; k <= ADJ_RECOVERY_LOOKBACK_DAYS; k++) {
        date_t d = date_add_days(on, -k);
        if (adj_covered_now(patient, subscriber, parent, group, d)) {
            *out = d;
            return true;
        }
    }
    return false;
}

/* The earliest termination_reported_on of m's spans that end on `last`
 * through their own termination event. */
static bool reported_on_of(const struct member *m, const struct group *group, date_t last,
                           date_t *out)
{
    bool found = false;
    for (int i = 0; m && i < m->n_coverage; i++) {
        const struct coverage_span *s = &m->coverage[i];
        date_t span_last;
        if (!s->has_termination_event || !s->has_termination_reported_on ||
            !adj_span_counts(s, group) || !adj_span_last_day(s, m, group, last, &span_last) ||
            !date_eq(span_last, last) ||
            !date_eq(adj_termination_effective_date(s->termination_event), last))
            continue;
        if (!found || date_cmp(s->termination_reported_on, *out) < 0)
            *out = s->termination_reported_on;
        found = true;
    }
    return found;
}

/*
 * § III "Reporting terminations": reported more than 31 days after the
 * termination effective date, the employer answers for the services "after
 * the Termination Effective Date through the date Enrollment Services
 * receives notification": the lines dated after `last` and on or before the
 * report date.
 */
static bool employer_liable(date_t last, date_t reported, date_t service)
{
    bool late = date_diff_days(reported, last) > ADJ_TERMINATION_REPORT_DAYS;
    return late && date_cmp(service, last) > 0 && date_cmp(service, reported) <= 0;
}

int adj_find_recovery(const struct adj_paid_line *lines, int n, const struct member *patient,
                      const struct member *subscriber, const struct member *parent,
                      const struct group *group, date_t today, struct adj_recovery *out)
{
    if (!out)
        return -1;
    memset(out, 0, sizeof *out);
    if (!lines || !patient || !group || n < 0 || n > MAX_LINES)
        return -1;
    bool have_first = false;
    date_t first = {0};
    for (int i = 0; i < n; i++) {
        const struct adj_paid_line *l = &lines[i];
        if (l->denied || adj_covered_now(patient, subscriber, parent, group, l->service_date))
            continue;
        struct adj_recovery_line *r = &out->lines[out->n_lines++];
        r->line = i;
        r->service_date = l->service_date;
        r->plan_paid = l->plan_paid;
        out->amount += l->plan_paid;
        date_t last, reported = today;
        bool ended =
            last_covered_before(patient, subscriber, parent, group, l->service_date, &last);
        if (ended && !reported_on_of(patient, group, last, &reported) &&
            patient->relationship != REL_EMPLOYEE && subscriber && subscriber != patient)
            reported_on_of(subscriber, group, last, &reported);
        r->employer_liable = ended && employer_liable(last, reported, l->service_date);
        out->employer_liable |= r->employer_liable;
        /* The claim's dates are those of its earliest listed line. */
        if (!have_first || date_cmp(l->service_date, first) < 0) {
            first = l->service_date;
            out->has_coverage_ended = ended;
            out->coverage_ended = ended ? last : (date_t){0};
            out->termination_reported_on = reported;
            have_first = true;
        }
    }
    return out->n_lines;
}
