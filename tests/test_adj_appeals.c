/*
 * Appeal dates (adjudicate/appeals.h, docs/rules.md "Appeals"): the 180-day
 * filing window of 29 CFR 2560.503-1(h)(3)(i) counted in calendar days from
 * the EOB date, and the 60-day decision due date of (i)(2)(iii)(A). Each
 * boundary on both sides: day 180 and day 181, the due day and the day after.
 */
#include <check.h>
#include <stdlib.h>

#include "adjudicate/appeals.h"
#include "harness/harness.h"

/* A short name for the tables of cases (tests/harness/shared.c). */
#define D(text) test_date(text)

static const char *text(date_t d)
{
    static char buf[4][DATE_STRLEN];
    static int slot;
    slot = (slot + 1) % 4;
    return date_format(d, buf[slot]);
}

START_TEST(test_deadline_is_180_calendar_days_after_the_eob_date)
{
    ck_assert_str_eq(text(adj_appeal_deadline(D("2026-12-03"))), "2027-06-01");
    /* Across 29 February: 2028 is a leap year. */
    ck_assert_str_eq(text(adj_appeal_deadline(D("2027-12-31"))), "2028-06-28");
    ck_assert_str_eq(text(adj_appeal_deadline(D("2026-01-01"))), "2026-06-30");
}
END_TEST

START_TEST(test_filing_on_day_180_is_on_time_and_day_181_is_late)
{
    date_t eob = D("2026-12-03");
    ck_assert(adj_appeal_window_open(eob, D("2026-12-03")));  /* the EOB's own day */
    ck_assert(adj_appeal_window_open(eob, D("2027-05-31")));  /* day 179 */
    ck_assert(adj_appeal_window_open(eob, D("2027-06-01")));  /* day 180 */
    ck_assert(!adj_appeal_window_open(eob, D("2027-06-02"))); /* day 181 */
    ck_assert(!adj_appeal_window_open(eob, D("2026-12-02"))); /* before the EOB */
}
END_TEST

START_TEST(test_decision_is_due_60_calendar_days_after_filing)
{
    ck_assert_str_eq(text(adj_appeal_due_date(D("2027-06-01"))), "2027-07-31");
    ck_assert_str_eq(text(adj_appeal_due_date(D("2028-01-15"))), "2028-03-15"); /* leap year */
    ck_assert_str_eq(text(adj_appeal_due_date(D("2027-01-15"))), "2027-03-16");
    /* Calendar days: a due date on a weekend stays there (2027-07-31 is a Saturday). */
    ck_assert_int_eq(date_weekday(adj_appeal_due_date(D("2027-06-01"))), 5);
}
END_TEST

START_TEST(test_an_appeal_is_overdue_from_the_day_after_its_due_date)
{
    date_t due = D("2027-07-31");
    ck_assert(!adj_appeal_overdue(due, D("2027-07-30")));
    ck_assert(!adj_appeal_overdue(due, D("2027-07-31")));
    ck_assert(adj_appeal_overdue(due, D("2027-08-01")));
}
END_TEST

static Suite *appeals_suite(void)
{
    Suite *s = suite_create("adj_appeals");
    TCase *tc = tcase_create("dates");
    tcase_add_test(tc, test_deadline_is_180_calendar_days_after_the_eob_date);
    tcase_add_test(tc, test_filing_on_day_180_is_on_time_and_day_181_is_late);
    tcase_add_test(tc, test_decision_is_due_60_calendar_days_after_filing);
    tcase_add_test(tc, test_an_appeal_is_overdue_from_the_day_after_its_due_date);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(appeals_suite(), CK_NOFORK) ? EXIT_FAILURE : EXIT_SUCCESS;
}
