/*
 * Recoveries (adjudicate/recovery.h, docs/rules.md "Recoveries"): the paid
 * lines a retroactive termination leaves on dates no longer covered, and the
 * manual's reporting rule (§ III "Reporting terminations": reported more than
 * 31 days after the Termination Effective Date, the employer answers for the
 * services after it through the report date). Each boundary is tested on both
 * sides: the last covered day and the day after, day 31 and day 32 of the
 * report, the report date and the day after.
 */
#include <stdlib.h>

#include "harness/harness.h"
#include "adj_fixtures.h"
#include "adjudicate/recovery.h"

static struct fx x;
static struct adj_paid_line lines[MAX_LINES];
static int n_lines;
static struct adj_recovery rec;

static void setup(void)
{
    fx_init(&x);
    n_lines = 0;
    memset(&rec, 0, sizeof rec);
}

static void paid(const char *date, cents_t plan_paid)
{
    lines[n_lines++] = (struct adj_paid_line){D(date), false, plan_paid};
}

static void denied(const char *date)
{
    lines[n_lines++] = (struct adj_paid_line){D(date), true, 0};
}

/* The employee's span ends with an event on 10 March 2026 (covered through
 * 31 March), reported on `reported` (NULL: not recorded). */
static void terminate(struct member *m, const char *reported)
{
    m->coverage[0].has_termination_event = true;
    m->coverage[0].termination_event = D("2026-03-10");
    if (reported) {
        m->coverage[0].has_termination_reported_on = true;
        m->coverage[0].termination_reported_on = D(reported);
    }
}

static int find(const char *today)
{
    return adj_find_recovery(lines, n_lines, &x.patient, &x.subscriber, NULL, &x.group, D(today),
                             &rec);
}

static void expect_line(int i, int line, const char *date, cents_t plan_paid, bool liable)
{
    char got[DATE_STRLEN];
    ck_assert_int_eq(rec.lines[i].line, line);
    ck_assert_str_eq(date_format(rec.lines[i].service_date, got), date);
    ck_assert_int_eq(rec.lines[i].plan_paid, plan_paid);
    ck_assert_msg(rec.lines[i].employer_liable == liable, "line %d: employer_liable %d, want %d",
                  line, rec.lines[i].employer_liable, liable);
}

static void expect_dates(const char *coverage_ended, const char *reported)
{
    char got[DATE_STRLEN];
    ck_assert(rec.has_coverage_ended);
    ck_assert_str_eq(date_format(rec.coverage_ended, got), coverage_ended);
    ck_assert_str_eq(date_format(rec.termination_reported_on, got), reported);
}

START_TEST(test_lines_after_termination_effective_date_listed)
{
    terminate(&x.patient, "2026-04-15");
    paid("2026-03-31", USD(80)); /* the termination effective date: still covered */
    paid("2026-04-01", USD(96)); /* the day after: not */
    denied("2026-04-02");        /* denied already: nothing was paid */
    paid("2026-05-20", 12345);
    ck_assert_int_eq(find("2026-06-01"), 2);
    expect_line(0, 1, "2026-04-01", USD(96), false);
    expect_line(1, 3, "2026-05-20", 12345, false);
    ck_assert_int_eq(rec.amount, USD(96) + 12345);
    expect_dates("2026-03-31", "2026-04-15");
    ck_assert(!rec.employer_liable);
}
END_TEST

START_TEST(test_reported_on_day_31_employer_not_liable)
{
    terminate(&x.patient, "2026-05-01"); /* 31 March + 31 days */
    paid("2026-04-01", USD(50));
    paid("2026-05-01", USD(60));
    ck_assert_int_eq(find("2026-07-01"), 2);
    expect_line(0, 0, "2026-04-01", USD(50), false);
    expect_line(1, 1, "2026-05-01", USD(60), false);
    expect_dates("2026-03-31", "2026-05-01");
    ck_assert(!rec.employer_liable);
}
END_TEST

START_TEST(test_reported_on_day_32_employer_liable_through_report_date)
{
    terminate(&x.patient, "2026-05-02"); /* 31 March + 32 days: late */
    paid("2026-04-01", USD(50));         /* first day after the effective date */
    paid("2026-05-02", USD(60));         /* the report date itself */
    paid("2026-05-03", USD(70));         /* after the plan was told: not the employer's */
    ck_assert_int_eq(find("2026-07-01"), 3);
    expect_line(0, 0, "2026-04-01", USD(50), true);
    expect_line(1, 1, "2026-05-02", USD(60), true);
    expect_line(2, 2, "2026-05-03", USD(70), false);
    ck_assert_int_eq(rec.amount, USD(180));
    expect_dates("2026-03-31", "2026-05-02");
    ck_assert(rec.employer_liable);
}
END_TEST

START_TEST(test_report_date_absent_is_today)
{
    terminate(&x.patient, NULL);
    paid("2026-04-10", USD(40));
    ck_assert_int_eq(find("2026-05-01"), 1); /* today is day 31: in time */
    expect_line(0, 0, "2026-04-10", USD(40), false);
    expect_dates("2026-03-31", "2026-05-01");
    ck_assert_int_eq(find("2026-05-02"), 1); /* day 32: late */
    expect_line(0, 0, "2026-04-10", USD(40), true);
    expect_dates("2026-03-31", "2026-05-02");
}
END_TEST

START_TEST(test_nothing_to_recover_while_covered)
{
    paid("2026-04-01", USD(50));
    paid("2030-01-01", USD(50));
    ck_assert_int_eq(find("2030-02-01"), 0);
    ck_assert_int_eq(rec.amount, 0);
    ck_assert(!rec.employer_liable);
}
END_TEST

/* § III "Dependent termination": the spouse's own record still open, the
 * employee's coverage ended: the spouse's later lines are listed, with the
 * employee's report date. */
START_TEST(test_dependent_follows_employee_termination)
{
    fx_dependent(&x, "M1002", REL_SPOUSE, "Luis", "1981-06-01");
    terminate(&x.subscriber, "2026-06-10");
    paid("2026-03-31", USD(10));
    paid("2026-04-01", USD(20));
    paid("2026-05-15", USD(30));
    ck_assert_int_eq(find("2026-07-01"), 2);
    expect_line(0, 1, "2026-04-01", USD(20), true);
    expect_line(1, 2, "2026-05-15", USD(30), true);
    expect_dates("2026-03-31", "2026-06-10");
    ck_assert(rec.employer_liable);
    /* The dependent's own span terminated the same way: the same answer. */
    terminate(&x.patient, "2026-06-10");
    ck_assert_int_eq(find("2026-07-01"), 2);
    expect_dates("2026-03-31", "2026-06-10");
    ck_assert(rec.employer_liable);
}
END_TEST

/* A dependent's own COBRA election outlives the employee's active coverage
 * (§ IV): nothing to recover. */
START_TEST(test_dependent_on_cobra_not_listed)
{
    fx_dependent(&x, "M1002", REL_SPOUSE, "Luis", "1981-06-01");
    terminate(&x.subscriber, "2026-06-10");
    terminate(&x.patient, "2026-06-10");
    struct coverage_span *c = &x.patient.coverage[1];
    strcpy(c->plan_id, "PPO-500");
    c->effective = D("2026-04-01");
    c->kind = COVERAGE_COBRA;
    c->qualifying_event = D("2026-03-10");
    c->months = 18;
    x.patient.n_coverage = 2;
    paid("2026-04-01", USD(20));
    paid("2026-05-15", USD(30));
    ck_assert_int_eq(find("2026-07-01"), 0);
}
END_TEST

/* A child who is no longer an eligible dependent (CO-32 today): covered to
 * the end of the year of the 19th birthday; no span's report: today. */
START_TEST(test_child_past_age_limit_last_covered_day_found)
{
    fx_dependent(&x, "M1003", REL_CHILD, "Eva", "2007-02-01");
    paid("2026-12-31", USD(10));
    paid("2027-01-01", USD(20));
    ck_assert_int_eq(find("2027-03-01"), 1);
    expect_line(0, 1, "2027-01-01", USD(20), true);
    expect_dates("2026-12-31", "2027-03-01");
}
END_TEST

/* Coverage now starts later than the paid dates: no last covered day, so no
 * termination to report late. */
START_TEST(test_coverage_moved_later_has_no_coverage_ended)
{
    x.patient.coverage[0].effective = D("2026-06-01");
    paid("2026-05-31", USD(10));
    paid("2026-06-01", USD(20));
    ck_assert_int_eq(find("2026-07-01"), 1);
    expect_line(0, 0, "2026-05-31", USD(10), false);
    ck_assert(!rec.has_coverage_ended);
    ck_assert(!rec.employer_liable);
}
END_TEST

START_TEST(test_bad_arguments)
{
    paid("2026-04-01", USD(10));
    ck_assert_int_eq(
        adj_find_recovery(NULL, 1, &x.patient, NULL, NULL, &x.group, D("2026-05-01"), &rec), -1);
    ck_assert_int_eq(adj_find_recovery(lines, MAX_LINES + 1, &x.patient, NULL, NULL, &x.group,
                                       D("2026-05-01"), &rec),
                     -1);
    ck_assert_int_eq(
        adj_find_recovery(lines, -1, &x.patient, NULL, NULL, &x.group, D("2026-05-01"), &rec), -1);
    ck_assert_int_eq(rec.n_lines, 0);
    ck_assert_int_eq(
        adj_find_recovery(lines, 1, &x.patient, NULL, NULL, &x.group, D("2026-05-01"), NULL), -1);
}
END_TEST

static Suite *recovery_suite(void)
{
    Suite *s = suite_create("recovery");
    TCase *tc = tcase_create("recovery");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_lines_after_termination_effective_date_listed);
    tcase_add_test(tc, test_reported_on_day_31_employer_not_liable);
    tcase_add_test(tc, test_reported_on_day_32_employer_liable_through_report_date);
    tcase_add_test(tc, test_report_date_absent_is_today);
    tcase_add_test(tc, test_nothing_to_recover_while_covered);
    tcase_add_test(tc, test_dependent_follows_employee_termination);
    tcase_add_test(tc, test_dependent_on_cobra_not_listed);
    tcase_add_test(tc, test_child_past_age_limit_last_covered_day_found);
    tcase_add_test(tc, test_coverage_moved_later_has_no_coverage_ended);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(recovery_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
