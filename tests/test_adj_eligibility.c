/*
 * Eligibility on the date of service (RULES.md § 3): coverage spans and the
 * termination effective date (manual § III), dependents (§ I), COBRA and
 * state continuation (§ IV). Each case is a table of dates and what a line on
 * that date gets: "paid" or its denial code, the covered last day and the day
 * after side by side so an off-by-one fails.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "harness/harness.h"
#include "adj_fixtures.h"

/*
 * One line per date on one claim, then each line's result against the
 * expected one. Arguments: date, expected, date, expected, ..., NULL.
 */
static void expect_dates(struct fx *x, const char *name, ...)
{
    const char *dates[MAX_LINES], *want[MAX_LINES];
    int n = 0;
    va_list ap;
    va_start(ap, name);
    for (const char *d; (d = va_arg(ap, const char *)) != NULL; n++) {
        dates[n] = d;
        want[n] = va_arg(ap, const char *);
    }
    va_end(ap);

    x->claim.n_lines = 0;
    for (int i = 0; i < n; i++)
        fx_line(x, dates[i], "80053", 1, USD(100));
    x->plan.medical_filing_limit_days = 40000; /* filing is not what these cases test */
    fx_run(x, "2034-12-31");
    for (int i = 0; i < n; i++) {
        ck_assert_msg(strcmp(fx_line_result(&x->out, i), want[i]) == 0, "%s: %s gave %s, want %s",
                      name, dates[i], fx_line_result(&x->out, i), want[i]);
        if (strcmp(want[i], "CO-32") == 0)
            ck_assert_str_eq(fx_remarks(x->out.lines[i].remarks, x->out.lines[i].n_remarks), "N30");
    }
}

static struct fx X;

static void setup(void)
{
    fx_init(&X);
}

/* ---- Coverage spans and the termination effective date (§ III) ---- */

START_TEST(test_termination_mid_month_covers_to_last_day_of_month)
{
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D("2025-03-10");
    expect_dates(&X, "terminated 10 March", "2025-03-10", "paid", "2025-03-31", "paid",
                 "2025-04-01", "CO-27", NULL);
    ck_assert_str_eq(fx_remarks(X.out.remarks, X.out.n_remarks), "");
}
END_TEST

START_TEST(test_termination_in_february_of_a_leap_year)
{
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D("2024-02-01");
    expect_dates(&X, "terminated 1 Feb 2024", "2024-02-29", "paid", "2024-03-01", "CO-27", NULL);
}
END_TEST

START_TEST(test_service_before_first_span_is_co26)
{
    expect_dates(&X, "effective 1 Jan 2020", "2019-12-31", "CO-26", "2020-01-01", "paid", NULL);
}
END_TEST

START_TEST(test_member_without_any_span_is_co26)
{
    X.patient.n_coverage = 0;
    expect_dates(&X, "no coverage", "2025-01-01", "CO-26", NULL);
}
END_TEST

START_TEST(test_gap_between_spans_is_co200_lapse)
{
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D("2022-06-15");
    X.patient.n_coverage = 2;
    X.patient.coverage[1] = X.patient.coverage[0];
    X.patient.coverage[1].has_termination_event = false;
    X.patient.coverage[1].effective = D("2022-09-01");
    expect_dates(&X, "lapse Jul-Aug 2022", "2022-06-30", "paid", "2022-07-01", "CO-200",
                 "2022-08-31", "CO-200", "2022-09-01", "paid", "2019-05-01", "CO-26", NULL);
}
END_TEST

/* ---- Spouse (§ I, § III) ---- */

START_TEST(test_spouse_covered_until_end_of_month_of_divorce)
{
    fx_dependent(&X, "M1001-01", REL_SPOUSE, "Luis", "1979-09-02");
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D("2025-05-20");
    expect_dates(&X, "divorced 20 May", "2025-05-31", "paid", "2025-06-01", "CO-27", NULL);
}
END_TEST

/* ---- Children (§ I "Eligible dependents", § III "Dependent termination") ---- */

START_TEST(test_child_without_status_covered_to_end_of_year_of_19th_birthday)
{
    /* § III: reaching the maximum age (19 without student or household
     * status), coverage continues to the end of the calendar year. */
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2006-05-10");
    expect_dates(&X, "19 on 10 May 2025, no student, not at home", "2025-05-09", "paid",
                 "2025-05-10", "paid", "2025-12-31", "paid", "2026-01-01", "CO-32", NULL);
}
END_TEST

START_TEST(test_child_covered_to_end_of_year_of_25th_birthday)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2000-05-10");
    X.patient.history[0].facts.student = true;
    expect_dates(&X, "student, 25 on 10 May 2025", "2025-05-10", "paid", "2025-12-31", "paid",
                 "2026-01-01", "CO-32", "2026-01-02", "CO-32", NULL);
}
END_TEST

START_TEST(test_child_living_with_employee_covered_to_end_of_year_of_25)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2000-05-10");
    X.patient.history[0].facts.lives_with_employee = true;
    expect_dates(&X, "at home, 25 in 2025", "2022-01-01", "paid", "2025-12-31", "paid",
                 "2026-01-02", "CO-32", NULL);
}
END_TEST

START_TEST(test_child_born_29_february_covered_to_end_of_year_of_19th_birthday)
{
    /* The 19th birthday falls in 2027 (1 March in a common year): covered
     * to 31 December 2027. */
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2008-02-29");
    expect_dates(&X, "born 29 Feb 2008", "2027-03-01", "paid", "2027-12-31", "paid", "2028-01-01",
                 "CO-32", NULL);
}
END_TEST

START_TEST(test_child_born_29_february_student_to_end_of_year_of_25)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2004-02-29");
    X.patient.history[0].facts.student = true;
    expect_dates(&X, "born 29 Feb 2004, 25 in 2029", "2029-12-31", "paid", "2030-01-01", "CO-32",
                 NULL);
}
END_TEST

START_TEST(test_married_child_covered_to_end_of_month_of_marriage)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2007-01-01");
    X.patient.has_married_on = true;
    X.patient.married_on = D("2024-06-10");
    expect_dates(&X, "married 10 June 2024 at 17", "2024-06-09", "paid", "2024-06-30", "paid",
                 "2024-07-01", "CO-32", NULL);
}
END_TEST

START_TEST(test_handicapped_child_covered_at_40)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "1985-06-01");
    X.patient.history[0].facts.handicapped_certified = true;
    expect_dates(&X, "certified handicapped, 40", "2025-06-01", "paid", "2026-01-01", "paid", NULL);
}
END_TEST

START_TEST(test_handicapped_child_who_marries_loses_coverage)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "1985-06-01");
    X.patient.history[0].facts.handicapped_certified = true;
    X.patient.has_married_on = true;
    X.patient.married_on = D("2025-02-14");
    expect_dates(&X, "handicapped, married 14 Feb", "2025-02-28", "paid", "2025-03-01", "CO-32",
                 NULL);
}
END_TEST

START_TEST(test_uncertified_child_at_40_not_eligible)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "1985-06-01");
    expect_dates(&X, "40, not certified", "2025-06-01", "CO-32", NULL);
}
END_TEST

/* ---- The age-30 option (§ I "If elected") ---- */

/* A child of 29 on 1 June 2026 (30 on 1 March 2027) who meets every condition. */
static void age30_child(void)
{
    fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "1997-03-01");
    X.group.dependent_to_30 = true;
    strcpy(X.patient.state, "FL");
}

START_TEST(test_age30_option_covers_to_end_of_year_of_30th_birthday)
{
    age30_child();
    expect_dates(&X, "age-30 option", "2026-06-01", "paid", "2027-12-31", "paid", "2028-01-01",
                 "CO-32", NULL);
}
END_TEST

START_TEST(test_age30_option_not_elected)
{
    age30_child();
    X.group.dependent_to_30 = false;
    expect_dates(&X, "not elected", "2026-06-01", "CO-32", NULL);
}
END_TEST

START_TEST(test_age30_option_fails_when_married)
{
    age30_child();
    X.patient.has_married_on = true;
    X.patient.married_on = D("2026-05-10");
    expect_dates(&X, "married 10 May 2026", "2026-05-31", "paid", "2026-06-01", "CO-32", NULL);
}
END_TEST

START_TEST(test_age30_option_fails_with_own_dependent)
{
    age30_child();
    X.patient.history[0].facts.has_own_dependent = true;
    expect_dates(&X, "own dependent", "2026-06-01", "CO-32", NULL);
}
END_TEST

START_TEST(test_age30_option_fails_outside_florida_unless_student)
{
    age30_child();
    strcpy(X.patient.state, "GA");
    expect_dates(&X, "Georgia resident, not a student", "2026-06-01", "CO-32", NULL);
    X.patient.history[0].facts.student = true;
    expect_dates(&X, "Georgia resident, student", "2026-06-01", "paid", NULL);
}
END_TEST

START_TEST(test_age30_option_fails_with_other_coverage)
{
    age30_child();
    X.patient.n_other_coverage = 1;
    struct other_coverage *o = &X.patient.other_coverage[0];
    strcpy(o->payer_name, "Blue Shield");
    o->kind = OTHER_INDIVIDUAL;
    o->relationship = OTHER_AS_EMPLOYEE;
    o->effective = D("2026-01-01");
    o->has_termination = true;
    o->termination = D("2026-05-31");
    expect_dates(&X, "individual policy Jan-May 2026", "2026-05-31", "CO-32", "2026-06-01", "paid",
                 "2025-12-31", "paid", NULL);
}
END_TEST

START_TEST(test_age30_option_fails_when_entitled_to_medicare)
{
    age30_child();
    X.patient.history[0].facts.medicare.present = true;
    X.patient.history[0].facts.medicare.basis = MEDICARE_DISABILITY;
    X.patient.history[0].facts.medicare.entitlement_date = D("2026-04-01");
    expect_dates(&X, "Medicare from 1 April 2026", "2026-03-31", "paid", "2026-04-01", "CO-32",
                 NULL);
}
END_TEST

/* ---- Grandchild (§ I "children" includes a child born to a dependent child) ---- */

static struct member PARENT;

/* A grandchild of the employee whose parent, M1001-02, is a dependent child
 * born 15 Mar 2006 and a student (covered to 31 Dec 2031). */
static void grandchild(const char *birth)
{
    fx_dependent(&X, "M1001-03", REL_GRANDCHILD, "Leo", birth);
    strcpy(X.patient.parent_member_id, "M1001-02");
    fx_member(&PARENT, "M1001-02", REL_CHILD, "Sofia", "2006-03-15");
    PARENT.history[0].facts.student = true;
    X.facts.parent = &PARENT;
}

START_TEST(test_grandchild_covered_to_end_of_month_of_18_months)
{
    grandchild("2024-02-10");
    expect_dates(&X, "18 months on 10 Aug 2025", "2025-08-10", "paid", "2025-08-31", "paid",
                 "2025-09-01", "CO-32", NULL);
    grandchild("2024-08-31");
    expect_dates(&X, "born 31 Aug: 18 months on 28 Feb 2026", "2026-02-28", "paid", "2026-03-01",
                 "CO-32", NULL);
}
END_TEST

/* § I: "a child born to a Dependent child": the parent must be a covered
 * dependent child on the date of service. Grandchild born 10 Feb 2025 (18
 * months on 10 Aug 2026). */
struct grandchild_case {
    const char *name;
    int change; /* what is done to the parent */
    const char *last_paid, *first_denied;
};

enum {
    PARENT_COVERED,
    PARENT_AGES_OUT,
    PARENT_MARRIES,
    PARENT_SPAN_ENDS,
    PARENT_NONE,
    PARENT_OTHER_FAMILY,
    PARENT_IS_SPOUSE,
    PARENT_ID_DIFFERS
};

static const struct grandchild_case grandchild_cases[] = {
    {"parent covered: the 18 months decide", PARENT_COVERED, "2026-08-31", "2026-09-01"},
    {"parent (no status) ages out at the end of the year of 19", PARENT_AGES_OUT, "2025-12-31",
     "2026-01-01"},
    {"parent marries 10 Mar 2026: end of March", PARENT_MARRIES, "2026-03-31", "2026-04-01"},
    {"parent's own coverage ends 5 May 2026: end of May", PARENT_SPAN_ENDS, "2026-05-31",
     "2026-06-01"},
};

/* Cases where the grandchild is never covered: the parent's record is not
 * one that can make the grandchild a dependent. */
static const struct grandchild_case no_parent_cases[] = {
    {"no parent record on file", PARENT_NONE, NULL, "2025-03-01"},
    {"parent of another subscriber", PARENT_OTHER_FAMILY, NULL, "2025-03-01"},
    {"parent is the spouse, not a dependent child", PARENT_IS_SPOUSE, NULL, "2025-03-01"},
    {"record loaded is not the one named", PARENT_ID_DIFFERS, NULL, "2025-03-01"},
};

static void change_parent(int change)
{
    switch (change) {
    case PARENT_AGES_OUT:
        PARENT.history[0].facts.student = false; /* 19 on 15 Mar 2025 */
        break;
    case PARENT_MARRIES:
        PARENT.has_married_on = true;
        PARENT.married_on = D("2026-03-10");
        break;
    case PARENT_SPAN_ENDS:
        PARENT.coverage[0].has_termination_event = true;
        PARENT.coverage[0].termination_event = D("2026-05-05");
        break;
    case PARENT_NONE: X.facts.parent = NULL; break;
    case PARENT_OTHER_FAMILY: strcpy(PARENT.subscriber_id, "M2001"); break;
    case PARENT_IS_SPOUSE: PARENT.relationship = REL_SPOUSE; break;
    case PARENT_ID_DIFFERS: strcpy(X.patient.parent_member_id, "M1001-04"); break;
    }
}

START_TEST(test_grandchild_covered_only_while_parent_is_covered_dependent_child)
{
    const struct grandchild_case *c = &grandchild_cases[_i];
    grandchild("2025-02-10");
    change_parent(c->change);
    expect_dates(&X, c->name, "2025-02-10", "paid", c->last_paid, "paid", c->first_denied, "CO-32",
                 NULL);
}
END_TEST

START_TEST(test_grandchild_without_a_covered_parent_is_co32)
{
    const struct grandchild_case *c = &no_parent_cases[_i];
    grandchild("2025-02-10");
    change_parent(c->change);
    expect_dates(&X, c->name, c->first_denied, "CO-32", NULL);
}
END_TEST

/* ---- COBRA and state continuation (§ IV) ---- */

/* Active coverage lost on a qualifying event, then a COBRA span. */
static void cobra(const char *event, int months)
{
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D(event);
    X.patient.n_coverage = 2;
    struct coverage_span *s = &X.patient.coverage[1];
    strcpy(s->plan_id, "PPO-500");
    s->effective = date_add_days(date_end_of_month(D(event)), 1);
    s->kind = COVERAGE_COBRA;
    s->qualifying_event = D(event);
    s->months = months;
    s->elected_on = s->effective; /* the parser's default */
}

START_TEST(test_cobra_18_months_ends_at_end_of_last_month)
{
    cobra("2025-03-15", 18);
    expect_dates(&X, "COBRA 18", "2025-03-31", "paid", "2025-04-01", "paid", "2026-09-30", "paid",
                 "2026-10-01", "CO-27", NULL);
}
END_TEST

START_TEST(test_cobra_29_months_disability_extension)
{
    cobra("2025-03-15", 29);
    expect_dates(&X, "COBRA 29", "2027-08-31", "paid", "2027-09-01", "CO-27", NULL);
}
END_TEST

START_TEST(test_cobra_36_months)
{
    cobra("2025-03-15", 36);
    expect_dates(&X, "COBRA 36", "2028-03-31", "paid", "2028-04-01", "CO-27", NULL);
}
END_TEST

START_TEST(test_cobra_event_on_first_of_month_counts_whole_months)
{
    cobra("2025-03-01", 18);
    expect_dates(&X, "event 1 March", "2026-09-30", "paid", "2026-10-01", "CO-27", NULL);
}
END_TEST

START_TEST(test_cobra_ends_early_at_its_own_termination_event)
{
    cobra("2025-03-15", 18);
    X.patient.coverage[1].has_termination_event = true;
    X.patient.coverage[1].termination_event = D("2025-11-05");
    expect_dates(&X, "new group plan 5 Nov", "2025-11-30", "paid", "2025-12-01", "CO-27", NULL);
}
END_TEST

START_TEST(test_cobra_termination_after_maximum_period_changes_nothing)
{
    cobra("2025-03-15", 18);
    X.patient.coverage[1].has_termination_event = true;
    X.patient.coverage[1].termination_event = D("2027-05-05");
    expect_dates(&X, "event after the 18 months", "2026-09-30", "paid", "2026-10-01", "CO-27",
                 NULL);
}
END_TEST

START_TEST(test_cobra_span_in_group_under_20_covers_nothing)
{
    X.group.history[0].facts.employee_count = 19;
    cobra("2025-03-15", 18);
    expect_dates(&X, "19 employees", "2025-03-31", "paid", "2025-04-01", "CO-27", NULL);
}
END_TEST

START_TEST(test_state_continuation_in_small_group)
{
    X.group.history[0].facts.employee_count = 12;
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D("2025-03-15");
    X.patient.n_coverage = 2;
    X.patient.coverage[1] = X.patient.coverage[0];
    X.patient.coverage[1].kind = COVERAGE_STATE_CONTINUATION;
    X.patient.coverage[1].effective = D("2025-04-01");
    X.patient.coverage[1].termination_event = D("2025-12-10");
    expect_dates(&X, "state continuation", "2025-04-01", "paid", "2025-12-31", "paid", "2026-01-01",
                 "CO-27", NULL);
}
END_TEST

/* ---- § IV "End of COBRA coverage period": Medicare or another group plan
 * after the election; the end of the disability extension ---- */

struct cobra_end_case {
    const char *name;
    const char *elected_on;  /* NULL: the span's effective date, 1 Apr 2025 */
    const char *medicare;    /* entitlement date, recorded as a dated fact; NULL: none */
    const char *other_group; /* another plan's effective date; NULL: none */
    enum other_coverage_kind other_kind;
    const char *last_paid, *first_denied;
};

/* Qualifying event 15 Mar 2025, COBRA from 1 Apr 2025, 18 months: through 30 Sep 2026. */
static const struct cobra_end_case cobra_end_cases[] = {
    {"no event: the 18 months", NULL, NULL, NULL, OTHER_GROUP, "2026-09-30", "2026-10-01"},
    {"Medicare 1 Sep 2025", NULL, "2025-09-01", NULL, OTHER_GROUP, "2025-08-31", "2025-09-01"},
    {"Medicare the day after the election", "2025-04-10", "2025-04-11", NULL, OTHER_GROUP,
     "2025-04-10", "2025-04-11"},
    {"Medicare on the election day", "2025-04-10", "2025-04-10", NULL, OTHER_GROUP, "2026-09-30",
     "2026-10-01"},
    {"Medicare before the election", NULL, "2025-01-01", NULL, OTHER_GROUP, "2026-09-30",
     "2026-10-01"},
    {"group plan 1 Nov 2025", NULL, NULL, "2025-11-01", OTHER_GROUP, "2025-10-31", "2025-11-01"},
    {"group plan the day after the election", "2025-04-20", NULL, "2025-04-21", OTHER_GROUP,
     "2025-04-20", "2025-04-21"},
    {"group plan on the election day", "2025-04-20", NULL, "2025-04-20", OTHER_GROUP, "2026-09-30",
     "2026-10-01"},
    {"individual policy ends nothing", NULL, NULL, "2025-11-01", OTHER_INDIVIDUAL, "2026-09-30",
     "2026-10-01"},
    {"Medicare after the 18 months", NULL, "2026-12-01", NULL, OTHER_GROUP, "2026-09-30",
     "2026-10-01"},
    {"the earlier of Medicare and a group plan", NULL, "2026-02-01", "2025-12-01", OTHER_GROUP,
     "2025-11-30", "2025-12-01"},
};

/* Medicare by age from `entitled` on, both parts, recorded from `from`. */
static int entitle(struct member *m, date_t from, date_t entitled)
{
    struct member_facts f = {0};
    f.medicare.present = true;
    f.medicare.basis = MEDICARE_AGE;
    f.medicare.entitlement_date = entitled;
    f.medicare.part_a = f.medicare.part_b = true;
    return member_set_facts(m, from, from, MEMBER_FACT_MEDICARE, &f);
}

START_TEST(test_cobra_ends_on_medicare_or_group_plan_after_election)
{
    const struct cobra_end_case *c = &cobra_end_cases[_i];
    cobra("2025-03-15", 18);
    struct coverage_span *s = &X.patient.coverage[1];
    if (c->elected_on)
        s->elected_on = D(c->elected_on);
    if (c->medicare) {
        date_t when = D(c->medicare);
        /* The dated fact: Medicare from its entitlement date on, reported then. */
        ck_assert_int_eq(entitle(&X.patient, when, when), 0);
    }
    if (c->other_group) {
        struct other_coverage *o = &X.patient.other_coverage[X.patient.n_other_coverage++];
        strcpy(o->payer_name, "Next Employer Health");
        o->kind = c->other_kind;
        o->relationship = OTHER_AS_EMPLOYEE;
        o->effective = D(c->other_group);
        o->active_employment = true;
    }
    /* Coordination is not what these cases test: the primary's EOB is there. */
    X.claim.other_insurance.present = true;
    strcpy(X.claim.other_insurance.payer_name, "Primary");
    X.claim.other_insurance.eob_date = D("2026-12-01");
    expect_dates(&X, c->name, c->last_paid, "paid", c->first_denied, "CO-27", NULL);
}
END_TEST

START_TEST(test_cobra_medicare_ending_is_read_from_dated_facts_not_today)
{
    /* Entitled from 1 Sep 2025, but the history records it only from 1 Oct 2025
     * on (a non-retroactive change): the facts in force in September show no
     * Medicare, so September is covered; from 1 Oct the facts say entitled
     * since 1 Sep, after the election, and COBRA has ended. */
    cobra("2025-03-15", 18);
    date_t entitled = D("2025-09-01"), from = D("2025-10-01");
    ck_assert_int_eq(entitle(&X.patient, from, entitled), 0);
    X.claim.other_insurance.present = true;
    strcpy(X.claim.other_insurance.payer_name, "Primary");
    expect_dates(&X, "entry from 1 Oct", "2025-09-01", "paid", "2025-09-30", "paid", "2025-10-01",
                 "CO-27", NULL);
}
END_TEST

struct disability_case {
    const char *name;
    const char *ended_on; /* the final determination; NULL: none */
    const char *last_paid, *first_denied;
};

/* Qualifying event 15 Mar 2025, 29 months: through 31 Aug 2027; its 18 months
 * through 30 Sep 2026. */
static const struct disability_case disability_cases[] = {
    {"no determination: the 29 months", NULL, "2027-08-31", "2027-09-01"},
    {"1 Oct 2026: 1 Nov is 31 days later", "2026-10-01", "2026-11-30", "2026-12-01"},
    {"2 Oct 2026: 1 Nov is 30 days later", "2026-10-02", "2026-12-31", "2027-01-01"},
    {"31 Oct 2026: 1 Dec is 31 days later", "2026-10-31", "2026-12-31", "2027-01-01"},
    {"early determination: never before the 18 months", "2025-06-10", "2026-09-30", "2026-10-01"},
    {"determination late in the 29 months: the maximum", "2027-07-20", "2027-08-31", "2027-09-01"},
};

START_TEST(test_cobra_disability_extension_ends_as_section_iv_says)
{
    const struct disability_case *c = &disability_cases[_i];
    cobra("2025-03-15", 29);
    if (c->ended_on) {
        X.patient.coverage[1].has_disability_ended_on = true;
        X.patient.coverage[1].disability_ended_on = D(c->ended_on);
    }
    expect_dates(&X, c->name, c->last_paid, "paid", c->first_denied, "CO-27", NULL);
}
END_TEST

/* ---- § IV "State requirements": the state's continuation period ---- */

struct state_case {
    const char *name;
    const char *state;
    int group_months; /* the group's state_continuation_months; 0: absent */
    const char *last_paid, *first_denied;
};

/* Active coverage ends 31 Mar 2025; state continuation from 1 Apr 2025. */
static const struct state_case state_cases[] = {
    {"Florida, 18 months (Fla. Stat. 627.6692)", "FL", 0, "2026-09-30", "2026-10-01"},
    {"Florida's table wins over the group's value", "FL", 6, "2026-09-30", "2026-10-01"},
    {"Georgia, 3 months (O.C.G.A. 33-24-21.1)", "GA", 0, "2025-06-30", "2025-07-01"},
    {"a state without an entry: the group's 9 months", "TX", 9, "2025-12-31", "2026-01-01"},
    {"a state without an entry, no value: 18 months", "TX", 0, "2026-09-30", "2026-10-01"},
};

START_TEST(test_state_continuation_lasts_the_states_period)
{
    const struct state_case *c = &state_cases[_i];
    X.group.history[0].facts.employee_count = 12;
    strcpy(X.group.state, c->state);
    X.group.state_continuation_months = c->group_months;
    X.patient.coverage[0].has_termination_event = true;
    X.patient.coverage[0].termination_event = D("2025-03-15");
    X.patient.n_coverage = 2;
    X.patient.coverage[1] = X.patient.coverage[0];
    X.patient.coverage[1].has_termination_event = false;
    X.patient.coverage[1].kind = COVERAGE_STATE_CONTINUATION;
    X.patient.coverage[1].effective = D("2025-04-01");
    expect_dates(&X, c->name, "2025-04-01", "paid", c->last_paid, "paid", c->first_denied, "CO-27",
                 NULL);
}
END_TEST

/* § III "Dependent termination": the employee's termination ends every
 * dependent's coverage, even when the dependent's own record was left open. */
START_TEST(test_open_dependent_record_ends_with_the_employee)
{
    fx_dependent(&X, "M1001-01", REL_SPOUSE, "Luis", "1979-09-02");
    X.subscriber.coverage[0].has_termination_event = true;
    X.subscriber.coverage[0].termination_event = D("2026-03-10");
    expect_dates(&X, "employee ended 31 Mar", "2026-03-31", "paid", "2026-04-01", "CO-27",
                 "2026-05-02", "CO-27", NULL);
    /* Before the employee's coverage begins the dependent is not covered
     * either (the employee's record decides for an active span). */
    X.subscriber.coverage[0].has_termination_event = false;
    X.subscriber.coverage[0].effective = D("2026-02-01");
    expect_dates(&X, "employee from 1 Feb", "2026-01-31", "CO-27", "2026-02-01", "paid", NULL);
}
END_TEST

START_TEST(test_dependent_cobra_outlives_the_employee)
{
    /* The spouse's own COBRA span (divorce, 36 months) is not the
     * employee's coverage: it continues after the employee's ends. */
    fx_dependent(&X, "M1001-01", REL_SPOUSE, "Luis", "1979-09-02");
    cobra("2025-05-20", 36);
    X.subscriber.coverage[0].has_termination_event = true;
    X.subscriber.coverage[0].termination_event = D("2025-09-10");
    expect_dates(&X, "spouse on COBRA", "2025-05-31", "paid", "2025-10-01", "paid", "2028-05-31",
                 "paid", "2028-06-01", "CO-27", NULL);
}
END_TEST

static Suite *eligibility_suite(void)
{
    Suite *s = suite_create("adjudicate eligibility");
    TCase *spans = tcase_create("spans");
    tcase_add_checked_fixture(spans, setup, NULL);
    tcase_add_test(spans, test_termination_mid_month_covers_to_last_day_of_month);
    tcase_add_test(spans, test_termination_in_february_of_a_leap_year);
    tcase_add_test(spans, test_service_before_first_span_is_co26);
    tcase_add_test(spans, test_member_without_any_span_is_co26);
    tcase_add_test(spans, test_gap_between_spans_is_co200_lapse);
    tcase_add_test(spans, test_spouse_covered_until_end_of_month_of_divorce);
    suite_add_tcase(s, spans);

    TCase *children = tcase_create("dependents");
    tcase_add_checked_fixture(children, setup, NULL);
    tcase_add_test(children, test_child_without_status_covered_to_end_of_year_of_19th_birthday);
    tcase_add_test(children, test_child_covered_to_end_of_year_of_25th_birthday);
    tcase_add_test(children, test_child_living_with_employee_covered_to_end_of_year_of_25);
    tcase_add_test(children, test_child_born_29_february_covered_to_end_of_year_of_19th_birthday);
    tcase_add_test(children, test_child_born_29_february_student_to_end_of_year_of_25);
    tcase_add_test(children, test_married_child_covered_to_end_of_month_of_marriage);
    tcase_add_test(children, test_handicapped_child_covered_at_40);
    tcase_add_test(children, test_handicapped_child_who_marries_loses_coverage);
    tcase_add_test(children, test_uncertified_child_at_40_not_eligible);
    tcase_add_test(children, test_age30_option_covers_to_end_of_year_of_30th_birthday);
    tcase_add_test(children, test_age30_option_not_elected);
    tcase_add_test(children, test_age30_option_fails_when_married);
    tcase_add_test(children, test_age30_option_fails_with_own_dependent);
    tcase_add_test(children, test_age30_option_fails_outside_florida_unless_student);
    tcase_add_test(children, test_age30_option_fails_with_other_coverage);
    tcase_add_test(children, test_age30_option_fails_when_entitled_to_medicare);
    tcase_add_test(children, test_grandchild_covered_to_end_of_month_of_18_months);
    tcase_add_loop_test(children,
                        test_grandchild_covered_only_while_parent_is_covered_dependent_child, 0,
                        sizeof grandchild_cases / sizeof *grandchild_cases);
    tcase_add_loop_test(children, test_grandchild_without_a_covered_parent_is_co32, 0,
                        sizeof no_parent_cases / sizeof *no_parent_cases);
    suite_add_tcase(s, children);

    TCase *cont = tcase_create("continuation");
    tcase_add_checked_fixture(cont, setup, NULL);
    tcase_add_test(cont, test_cobra_18_months_ends_at_end_of_last_month);
    tcase_add_test(cont, test_cobra_29_months_disability_extension);
    tcase_add_test(cont, test_cobra_36_months);
    tcase_add_test(cont, test_cobra_event_on_first_of_month_counts_whole_months);
    tcase_add_test(cont, test_cobra_ends_early_at_its_own_termination_event);
    tcase_add_test(cont, test_cobra_termination_after_maximum_period_changes_nothing);
    tcase_add_test(cont, test_cobra_span_in_group_under_20_covers_nothing);
    tcase_add_test(cont, test_state_continuation_in_small_group);
    tcase_add_loop_test(cont, test_cobra_ends_on_medicare_or_group_plan_after_election, 0,
                        sizeof cobra_end_cases / sizeof *cobra_end_cases);
    tcase_add_test(cont, test_cobra_medicare_ending_is_read_from_dated_facts_not_today);
    tcase_add_test(cont, test_open_dependent_record_ends_with_the_employee);
    tcase_add_test(cont, test_dependent_cobra_outlives_the_employee);
    tcase_add_loop_test(cont, test_cobra_disability_extension_ends_as_section_iv_says, 0,
                        sizeof disability_cases / sizeof *disability_cases);
    tcase_add_loop_test(cont, test_state_continuation_lasts_the_states_period, 0,
                        sizeof state_cases / sizeof *state_cases);
    suite_add_tcase(s, cont);
    return s;
}

int main(void)
{
    return test_run_suite(eligibility_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
