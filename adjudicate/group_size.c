/*
 * The group-size tests that read a group's employee_count history (issue 13
 * "every fact dated"; docs/rules.md "Group size over time").
 *
 * Sources:
 *   manual § II "Determining When the Employer Health Plan is Primary" and
 *   "Determining When Medicare is Primary" (the working-aged Medicare
 *   Secondary Payer test), Attachment A (the employer's Medicare
 *   certification: "20 or more active employees for at least 20 calendar weeks
 *   in either the current or preceding year"), 42 CFR 411.170 where the manual
 *   is read together with the form;
 *   manual § IV "COBRA Continuation" ("if the employer employs 20 or more
 *   employees ... on more than 50% of the previous calendar year"), with
 *   26 CFR 54.4980B-2 Q&A-5 for "typical business days".
 *
 * What the history knows: its first entry (no `from`) is the value recorded
 * with no date, so the plan does not know since when it held; every day from
 * the first dated entry's `from` on is known. The MSP test treats the days
 * before that as unknown and, where they could change the answer, lets the
 * employer's certification in force on the date decide. The COBRA test has
 * no such statement to fall back on and takes the first value as holding from
 * the beginning, as the record says (model.h).
 */
#include "rules.h"

#define SIZE_THRESHOLD 20 /* § II and § IV: "20 or more employees" */
#define MSP_WEEKS 20      /* § II: "each of the previous 20 calendar weeks" */

enum tri { TRI_NO, TRI_UNKNOWN, TRI_YES };

static enum tri tri_or(enum tri a, enum tri b)
{
    return a > b ? a : b;
}

/* Monday to Friday: the employer's working days and the typical business
 * days (the manual names no other; holidays are not removed). */
static bool working_day(date_t d)
{
    return date_weekday(d) < 5;
}

/* The Sunday that starts the calendar week holding d (weeks run Sunday to
 * Saturday). date_weekday: 0 Monday ... 6 Sunday. */
static date_t week_start(date_t d)
{
    return date_add_days(d, -((date_weekday(d) + 1) % 7));
}

/* Whether the history knows the count on d: on or after its first dated entry. */
static bool count_known(const struct group *g, date_t d)
{
    return g->n_history > 1 && g->history[1].dates.has_from &&
           date_cmp(d, g->history[1].dates.from) >= 0;
}

/*
 * § II: "An employer is considered to have 20 or more employees for each
 * working day of a particular week if the employer has at least 20 ...
 * employees on its payroll each working day of that week." A known day under
 * 20 makes the week small; otherwise a day not known leaves it unknown.
 */
static enum tri week_large(const struct group *g, date_t sunday)
{
    enum tri answer = TRI_YES;
    for (int i = 1; i <= 5; i++) {
        date_t d = date_add_days(sunday, i);
        if (!count_known(g, d))
            answer = TRI_UNKNOWN;
        else if (group_facts_on(g, d)->employee_count < SIZE_THRESHOLD)
            return TRI_NO;
    }
    return answer;
}

/* "20 or more for at least 20 calendar weeks" of `year`, counting the weeks
 * that end (Saturday) in it and start before `before` (a Sunday). */
static enum tri year_has_20_weeks(const struct group *g, int year, date_t before)
{
    int large = 0, unknown = 0;
    /* The week holding 1 January ends in `year`: it is the year's first. */
    date_t sunday = week_start(date_from_ymd(year, 1, 1));
    for (; date_cmp(sunday, before) < 0 && date_year(date_add_days(sunday, 6)) == year;
         sunday = date_add_days(sunday, 7)) {
        enum tri w = week_large(g, sunday);
        large += w == TRI_YES;
        unknown += w == TRI_UNKNOWN;
    }
    if (large >= MSP_WEEKS)
        return TRI_YES;
    return large + unknown < MSP_WEEKS ? TRI_NO : TRI_UNKNOWN;
}

/*
 * Whether the group counts as 20 or more employees for the working-aged
 * Medicare Secondary Payer rule on `on`. § II: "Once an employer has 20 or
 * more employees for each working day in each of the previous 20 calendar
 * weeks, the employer plan is the primary payer. If the Group falls below 20
 * employees and remains below 20 employees for one full calendar year (1/1 –
 * 12/31), then Medicare will become the primary payer on January 1st of the
 * following year." Its example (19 employees from 15 Jan 2008, Medicare
 * primary 1 Jan 2009) counts the year of the drop, which the "full calendar
 * year" wording does not; Attachment A's "at least 20 calendar weeks in
 * either the current or preceding year" (42 CFR 411.170) gives the example's
 * answer and the other sentence's, so the group is large on `on` when any of:
 *   (a) each of the 20 calendar weeks before the week of `on` was a 20+ week;
 *   (b) 20 weeks of the current calendar year before the week of `on` were;
 *   (c) 20 weeks of the preceding calendar year were.
 * A week belongs to the year its Saturday falls in. Returns TRI_UNKNOWN when
 * the days the history does not know could change the answer.
 *   19 from Tue 15 Jan 2008, 25 known through 2007: large through
 *   31 Dec 2008 by (c), small from 1 Jan 2009 (2008 had 2 weeks of 20+).
 *   10 known, 25 from Sun 1 Mar 2026: small through Sat 18 Jul 2026,
 *   large from Sun 19 Jul 2026 (weeks 1 Mar..18 Jul are the 20), by (a).
 */
static enum tri msp_large_group(const struct group *g, date_t on)
{
    date_t this_week = week_start(on);
    enum tri previous = TRI_YES;
    for (int k = 1; k <= MSP_WEEKS && previous != TRI_NO; k++) {
        enum tri w = week_large(g, date_add_days(this_week, -7 * k));
        if (w == TRI_NO)
            previous = TRI_NO;
        else if (w == TRI_UNKNOWN)
            previous = TRI_UNKNOWN;
    }
    int year = date_year(on);
    enum tri answer = tri_or(previous, year_has_20_weeks(g, year, this_week));
    /* The preceding year's weeks all start before this week. */
    return tri_or(answer, year_has_20_weeks(g, year - 1, this_week));
}

/*
 * The working-aged test of § II on `on`: the count history where it decides,
 * else the employer's Medicare certification in force that day (Attachment A,
 * which § II "When Group Size Changes" asks for whenever the size changes).
 */
bool adj_msp_large_group(const struct group *g, date_t on)
{
    enum tri t = msp_large_group(g, on);
    if (t != TRI_UNKNOWN)
        return t == TRI_YES;
    return group_facts_on(g, on)->medicare_certification == MEDICARE_CERT_20_OR_MORE;
}

/*
 * § IV "COBRA Continuation": COBRA applies "if the employer employs 20 or
 * more employees (full and part-time) on more than 50% of the previous
 * calendar year" — the calendar year before the qualifying event's. Counted
 * over typical business days (26 CFR 54.4980B-2 Q&A-5), Monday to Friday:
 * COBRA applies when the count was 20 or more on more than half of them;
 * exactly half is not more than 50%.
 *   2024 has 262 weekdays: 20+ on 132 of them applies, on 131 does not.
 */
bool adj_cobra_applies(const struct group *g, date_t qualifying_event)
{
    int year = date_year(qualifying_event) - 1;
    int days = 0, large = 0;
    date_t end = date_from_ymd(year, 12, 31);
    for (date_t d = date_from_ymd(year, 1, 1); date_cmp(d, end) <= 0; d = date_add_days(d, 1)) {
        if (!working_day(d))
            continue;
        days++;
        large += group_facts_on(g, d)->employee_count >= SIZE_THRESHOLD;
    }
    return 2 * large > days;
}
