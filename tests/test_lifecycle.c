/*
 * The enrollment lifecycle rules (adjudicate/lifecycle.c): each window on
 * both sides of its last day, the effective dates, the family terminations
 * of § III, the leave continuation of § IV, rehires, dated facts and the
 * COBRA months.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicate/lifecycle.h"
#include "adjudicate/rules.h"
#include "date.h"

#include "harness/harness.h"

/* A short name for the tables of cases (tests/harness/shared.c). */
#define D(text) test_date(text)

/* The plan's date in these tests. */
static date_t TODAY;

static struct group group;
static struct adj_lifecycle_family fam;
static struct adj_lifecycle_event ev;
static struct adj_lifecycle_refusal ref;

static void person(struct member *m, const char *id, enum relationship rel, const char *birth)
{
    memset(m, 0, sizeof *m);
    snprintf(m->member_id, sizeof m->member_id, "%s", id);
    snprintf(m->subscriber_id, sizeof m->subscriber_id, "E1");
    snprintf(m->group_id, sizeof m->group_id, "G1");
    m->relationship = rel;
    snprintf(m->first_name, sizeof m->first_name, "A");
    snprintf(m->last_name, sizeof m->last_name, "B");
    m->birth_date = D(birth);
    snprintf(m->state, sizeof m->state, "FL");
    struct member_facts f = {0};
    f.lives_with_employee = true;
    member_set_initial_facts(m, &f);
}

static void span(struct member *m, const char *effective, const char *termination)
{
    struct coverage_span *s = &m->coverage[m->n_coverage++];
    memset(s, 0, sizeof *s);
    snprintf(s->plan_id, sizeof s->plan_id, "P1");
    s->effective = D(effective);
    s->kind = COVERAGE_ACTIVE;
    if (termination) {
        s->has_termination_event = true;
        s->termination_event = D(termination);
    }
}

/* A group of 25 with plan P1, no waiting period, no leave continuation; an
 * employee E1 covered since 2025-01-01 with a spouse S1 and a child C1. */
static void setup(void)
{
    TODAY = D("2026-12-02");
    memset(&group, 0, sizeof group);
    snprintf(group.group_id, sizeof group.group_id, "G1");
    snprintf(group.plan_id, sizeof group.plan_id, "P1");
    struct group_facts gf = {25, MEDICARE_CERT_20_OR_MORE};
    group_set_initial_facts(&group, &gf);
    memset(&fam, 0, sizeof fam);
    person(&fam.members[0], "E1", REL_EMPLOYEE, "1980-05-05");
    span(&fam.members[0], "2025-01-01", NULL);
    person(&fam.members[1], "S1", REL_SPOUSE, "1982-06-06");
    span(&fam.members[1], "2025-01-01", NULL);
    person(&fam.members[2], "C1", REL_CHILD, "2010-07-07");
    span(&fam.members[2], "2025-01-01", NULL);
    fam.n = 3;
    fam.path = 0;
    memset(&ev, 0, sizeof ev);
    memset(&ref, 0, sizeof ref);
}

static void event(enum adj_lifecycle_event_kind kind, const char *date, const char *reported_on)
{
    ev.kind = kind;
    ev.date = D(date);
    ev.reported_on = D(reported_on);
}

static void adds(const char *id, enum relationship rel, const char *birth)
{
    ev.has_member = true;
    person(&ev.member, id, rel, birth);
}

static void assert_refused(const char *code, const char *field, const char *problem)
{
    ck_assert(!adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    ck_assert_str_eq(ref.code, code);
    ck_assert_str_eq(ref.field, field);
    ck_assert_str_eq(ref.problem, problem);
}

static const char *date_text(date_t d, char buf[DATE_STRLEN])
{
    return date_format(d, buf);
}

/* ---- windows, on both sides of the last day ---- */

struct window_case {
    const char *name;
    enum adj_lifecycle_event_kind kind;
    bool enrolled;        /* the path employee is covered on the event's date */
    int waiting;          /* the group's waiting period */
    const char *date;     /* the event */
    const char *reported; /* the report */
    bool late;
    const char *problem;   /* when late */
    const char *effective; /* when accepted: the new span's */
};

#define NEWBORN_LATE                                                                               \
    "is more than 60 days after the birth (the window for adding a newborn, manual § II)"
#define ADOPTION_LATE                                                                              \
    "is more than 60 days after the adoption (the window for adding an adopted child, manual "     \
    "§ II)"
#define PLACEMENT_LATE                                                                             \
    "is more than 60 days after the placement (the window for adding a child placed for "          \
    "adoption or in foster care, manual § II)"
#define GUARDIAN_LATE                                                                              \
    "is more than 60 days after the guardianship was granted (the window for adding a child "      \
    "under legal guardianship, manual § II)"
#define SPOUSE_LATE                                                                                \
    "is more than 60 days after the marriage (the window for adding a spouse, manual § I "        \
    "\"Addition of a newly acquired dependent\")"
#define SPECIAL_LATE                                                                               \
    "is more than 31 days after the marriage (the window for special enrollment, manual § II)"
#define LOSS_LATE                                                                                  \
    "is more than 31 days after the loss of the other coverage (the window for enrolling after "   \
    "a loss of prior creditable coverage, manual § II)"
#define HIRE_LATE                                                                                  \
    "is more than 31 days after the date of eligibility (the window for enrolling a new hire, "    \
    "manual § I \"Enrollment for new hires\")"

static const struct window_case windows[] = {
    /* 2026-03-01 + 60 days = 2026-04-30 */
    {"newborn day 60", ADJ_EVENT_NEWBORN, true, 0, "2026-03-01", "2026-04-30", false, NULL,
     "2026-03-01"},
    {"newborn day 61", ADJ_EVENT_NEWBORN, true, 0, "2026-03-01", "2026-05-01", true, NEWBORN_LATE,
     NULL},
    {"newborn before birth", ADJ_EVENT_NEWBORN, true, 0, "2026-03-01", "2026-02-01", false, NULL,
     "2026-03-01"},
    {"adoption day 60", ADJ_EVENT_ADOPTION, true, 0, "2026-03-01", "2026-04-30", false, NULL,
     "2026-03-01"},
    {"adoption day 61", ADJ_EVENT_ADOPTION, true, 0, "2026-03-01", "2026-05-01", true,
     ADOPTION_LATE, NULL},
    {"placement day 60", ADJ_EVENT_PLACEMENT, true, 0, "2026-01-15", "2026-03-16", false, NULL,
     "2026-01-15"},
    {"placement day 61", ADJ_EVENT_PLACEMENT, true, 0, "2026-01-15", "2026-03-17", true,
     PLACEMENT_LATE, NULL},
    {"guardianship day 60", ADJ_EVENT_GUARDIANSHIP, true, 0, "2026-01-15", "2026-03-16", false,
     NULL, "2026-01-15"},
    {"guardianship day 61", ADJ_EVENT_GUARDIANSHIP, true, 0, "2026-01-15", "2026-03-17", true,
     GUARDIAN_LATE, NULL},
    /* An enrolled employee adds a spouse: 60 days. */
    {"spouse day 60", ADJ_EVENT_MARRIAGE, true, 0, "2026-06-20", "2026-08-19", false, NULL,
     "2026-06-20"},
    {"spouse day 61", ADJ_EVENT_MARRIAGE, true, 0, "2026-06-20", "2026-08-20", true, SPOUSE_LATE,
     NULL},
    /* Special enrollment of an employee not enrolled: 31 days. */
    {"special day 31", ADJ_EVENT_MARRIAGE, false, 0, "2026-06-20", "2026-07-21", false, NULL,
     "2026-06-20"},
    {"special day 32", ADJ_EVENT_MARRIAGE, false, 0, "2026-06-20", "2026-07-22", true, SPECIAL_LATE,
     NULL},
    /* Loss of other coverage: 31 days; effective the first of the month
     * after the report. */
    {"loss day 31, report on a month's last day", ADJ_EVENT_LOSS_OF_OTHER_COVERAGE, false, 0,
     "2026-02-28", "2026-03-31", false, NULL, "2026-04-01"},
    {"loss day 32", ADJ_EVENT_LOSS_OF_OTHER_COVERAGE, false, 0, "2026-02-28", "2026-04-01", true,
     LOSS_LATE, NULL},
    {"loss reported on the first of a month", ADJ_EVENT_LOSS_OF_OTHER_COVERAGE, false, 0,
     "2026-03-20", "2026-04-01", false, NULL, "2026-05-01"},
    /* A hire: 31 days after eligibility, the waiting period added. */
    {"hire day 31, no waiting period", ADJ_EVENT_HIRE, false, 0, "2026-03-01", "2026-04-01", false,
     NULL, "2026-03-01"},
    {"hire day 32, no waiting period", ADJ_EVENT_HIRE, false, 0, "2026-03-01", "2026-04-02", true,
     HIRE_LATE, NULL},
    {"hire with 30-day wait, day 61", ADJ_EVENT_HIRE, false, 30, "2026-03-01", "2026-05-01", false,
     NULL, "2026-03-31"},
    {"hire with 30-day wait, day 62", ADJ_EVENT_HIRE, false, 30, "2026-03-01", "2026-05-02", true,
     HIRE_LATE, NULL},
};

START_TEST(test_window_boundaries)
{
    const struct window_case *c = &windows[_i];
    setup();
    group.waiting_period_days = c->waiting;
    if (!c->enrolled) {
        fam.n = 1; /* the employee alone, without coverage */
        fam.members[0].n_coverage = 0;
    }
    event(c->kind, c->date, c->reported);
    int added_at = fam.n;
    switch (c->kind) {
    case ADJ_EVENT_HIRE:
        fam.n = 0;
        fam.path = -1;
        added_at = 0;
        adds("E9", REL_EMPLOYEE, "1990-01-01");
        snprintf(ev.member.subscriber_id, ID_LEN, "E9");
        break;
    case ADJ_EVENT_NEWBORN: adds("N1", REL_CHILD, c->date); break;
    case ADJ_EVENT_ADOPTION:
    case ADJ_EVENT_PLACEMENT:
    case ADJ_EVENT_GUARDIANSHIP: adds("N1", REL_CHILD, "2024-01-01"); break;
    case ADJ_EVENT_MARRIAGE: adds("S2", REL_SPOUSE, "1985-01-01"); break;
    default: /* loss: the path employee enrols */ added_at = 0; break;
    }
    if (c->late) {
        assert_refused(ADJ_LIFECYCLE_LATE, "reported_on", c->problem);
        return;
    }
    ck_assert_msg(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref), "%s: refused %s %s", c->name,
                  ref.field, ref.problem);
    ck_assert_int_eq(fam.answer, added_at);
    ck_assert(fam.changed[added_at]);
    const struct member *m = &fam.members[added_at];
    const struct coverage_span *s = &m->coverage[m->n_coverage - 1];
    char buf[DATE_STRLEN];
    ck_assert_str_eq(date_text(s->effective, buf), c->effective);
    ck_assert_int_eq(s->kind, COVERAGE_ACTIVE);
    ck_assert_str_eq(s->plan_id, "P1");
    ck_assert(!s->has_termination_event);
}
END_TEST

START_TEST(test_special_enrollment_enrols_the_employee_too)
{
    fam.n = 1;
    fam.members[0].n_coverage = 0;
    event(ADJ_EVENT_MARRIAGE, "2026-06-20", "2026-07-01");
    adds("S2", REL_SPOUSE, "1985-01-01");
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    ck_assert(fam.changed[0]);
    ck_assert_int_eq(fam.members[0].n_coverage, 1);
    char buf[DATE_STRLEN];
    ck_assert_str_eq(date_text(fam.members[0].coverage[0].effective, buf), "2026-06-20");
    ck_assert(fam.members[1].has_married_on);
}
END_TEST

START_TEST(test_reported_on_today_accepted_tomorrow_refused)
{
    event(ADJ_EVENT_TERMINATION, "2026-11-10", "2026-12-02");
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    setup();
    event(ADJ_EVENT_TERMINATION, "2026-11-10", "2026-12-03");
    assert_refused(ADJ_LIFECYCLE_INVALID, "reported_on", "must not be in the future");
}
END_TEST

START_TEST(test_newborn_needs_an_enrolled_parent)
{
    fam.members[0].coverage[0].has_termination_event = true;
    fam.members[0].coverage[0].termination_event = D("2026-01-10"); /* covered through 31 Jan */
    event(ADJ_EVENT_NEWBORN, "2026-02-01", "2026-02-02");
    adds("N1", REL_CHILD, "2026-02-01");
    assert_refused(ADJ_LIFECYCLE_INVALID, "date",
                   "the member in the path is not enrolled on this date (manual § II: the "
                   "employee must be enrolled for coverage)");
    setup();
    fam.members[0].coverage[0].has_termination_event = true;
    fam.members[0].coverage[0].termination_event = D("2026-01-10");
    event(ADJ_EVENT_NEWBORN, "2026-01-31", "2026-02-02");
    adds("N1", REL_CHILD, "2026-01-31");
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
}
END_TEST

START_TEST(test_newborn_birth_date_must_be_the_event_date)
{
    event(ADJ_EVENT_NEWBORN, "2026-03-01", "2026-03-02");
    adds("N1", REL_CHILD, "2026-02-28");
    assert_refused(ADJ_LIFECYCLE_INVALID, "member.birth_date", "must equal date for a newborn");
}
END_TEST

START_TEST(test_added_member_of_another_family_refused)
{
    event(ADJ_EVENT_NEWBORN, "2026-03-01", "2026-03-02");
    adds("N1", REL_CHILD, "2026-03-01");
    snprintf(ev.member.subscriber_id, ID_LEN, "E7");
    assert_refused(ADJ_LIFECYCLE_INVALID, "member.subscriber_id",
                   "must equal the subscriber of the member in the path");
}
END_TEST

START_TEST(test_member_required_and_not_allowed)
{
    event(ADJ_EVENT_NEWBORN, "2026-03-01", "2026-03-02");
    assert_refused(ADJ_LIFECYCLE_INVALID, "member", "is required");
    setup();
    event(ADJ_EVENT_TERMINATION, "2026-03-01", "2026-03-02");
    adds("N1", REL_CHILD, "2026-03-01");
    assert_refused(ADJ_LIFECYCLE_INVALID, "member", "is not allowed for this event");
}
END_TEST

/* ---- § III terminations ---- */

START_TEST(test_employee_termination_ends_every_dependent)
{
    fam.members[2].coverage[0].has_termination_event = true; /* ended before, for itself */
    fam.members[2].coverage[0].termination_event = D("2026-01-05");
    event(ADJ_EVENT_TERMINATION, "2026-03-10", "2026-05-20"); /* reported late: still accepted */
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    char buf[DATE_STRLEN];
    for (int i = 0; i < 2; i++) {
        const struct coverage_span *s = &fam.members[i].coverage[0];
        ck_assert(fam.changed[i]);
        ck_assert(s->has_termination_event);
        ck_assert_str_eq(date_text(s->termination_event, buf), "2026-03-10");
        ck_assert(s->has_termination_reported_on);
        ck_assert_str_eq(date_text(s->termination_reported_on, buf), "2026-05-20");
        date_t last;
        ck_assert(adj_span_last_day(s, &fam.members[i], &group, TODAY, &last));
        ck_assert_str_eq(date_text(last, buf), "2026-03-31");
    }
    /* The child's earlier end stays. */
    ck_assert(!fam.changed[2]);
    ck_assert_str_eq(date_text(fam.members[2].coverage[0].termination_event, buf), "2026-01-05");
    ck_assert(!fam.members[2].coverage[0].has_termination_reported_on);
    ck_assert_int_eq(fam.answer, 0);
}
END_TEST

START_TEST(test_dependent_termination_ends_only_that_dependent)
{
    fam.path = 2;
    event(ADJ_EVENT_TERMINATION, "2026-03-10", "2026-03-11");
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    ck_assert(fam.changed[2]);
    ck_assert(!fam.changed[0]);
    ck_assert(!fam.changed[1]);
    ck_assert(!fam.members[0].coverage[0].has_termination_event);
    ck_assert(fam.members[2].coverage[0].has_termination_event);
}
END_TEST

START_TEST(test_child_marriage_is_its_termination_event)
{
    fam.path = 2;
    event(ADJ_EVENT_MARRIAGE, "2026-08-15", "2026-08-20");
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    char buf[DATE_STRLEN];
    ck_assert(fam.members[2].has_married_on);
    ck_assert_str_eq(date_text(fam.members[2].married_on, buf), "2026-08-15");
    ck_assert_str_eq(date_text(fam.members[2].coverage[0].termination_event, buf), "2026-08-15");
    ck_assert(!fam.changed[0]);
}
END_TEST

START_TEST(test_divorce_ends_the_spouse)
{
    event(ADJ_EVENT_DIVORCE, "2026-04-30", "2026-05-02");
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    ck_assert(fam.changed[1]);
    ck_assert(!fam.changed[2]);
    ck_assert(!fam.members[0].coverage[0].has_termination_event);
    date_t last;
    char buf[DATE_STRLEN];
    ck_assert(
        adj_span_last_day(&fam.members[1].coverage[0], &fam.members[1], &group, TODAY, &last));
    ck_assert_str_eq(date_text(last, buf), "2026-04-30");
}
END_TEST

START_TEST(test_divorce_recorded_on_the_employee_ends_the_spouse)
{
    event(ADJ_EVENT_DIVORCE, "2026-04-30", "2026-05-02");
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    ck_assert(fam.changed[1]);
    ck_assert(!fam.changed[0]);
    ck_assert(!fam.changed[2]);
    ck_assert_int_eq(fam.answer, 0);
    char buf[DATE_STRLEN];
    ck_assert_str_eq(date_text(fam.members[1].coverage[0].termination_event, buf), "2026-04-30");
    setup();
    fam.path = 2;
    event(ADJ_EVENT_DIVORCE, "2026-04-30", "2026-05-02");
    assert_refused(ADJ_LIFECYCLE_INVALID, "event",
                   "needs a spouse: the member in the path or the employee's spouse");
}
END_TEST

START_TEST(test_loss_of_other_coverage_adds_a_dependent_and_ends_the_other_coverage)
{
    event(ADJ_EVENT_LOSS_OF_OTHER_COVERAGE, "2026-02-10", "2026-02-27");
    adds("C2", REL_CHILD, "2012-01-01");
    struct other_coverage *oc = &ev.member.other_coverage[ev.member.n_other_coverage++];
    snprintf(oc->payer_name, NAME_LEN, "Other");
    oc->effective = D("2024-01-01");
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    ck_assert_int_eq(fam.n, 4);
    ck_assert_int_eq(fam.answer, 3);
    const struct member *m = &fam.members[3];
    char buf[DATE_STRLEN];
    ck_assert_str_eq(date_text(m->coverage[0].effective, buf), "2026-03-01");
    ck_assert(m->other_coverage[0].has_termination);
    ck_assert_str_eq(date_text(m->other_coverage[0].termination, buf), "2026-02-10");
    /* The employee, already enrolled, cannot enrol through it. */
    setup();
    event(ADJ_EVENT_LOSS_OF_OTHER_COVERAGE, "2026-02-10", "2026-02-27");
    assert_refused(ADJ_LIFECYCLE_INVALID, "event",
                   "the member is already enrolled; loss_of_other_coverage enrols someone who is "
                   "not");
}
END_TEST

/* ---- § IV leave and return ---- */

struct leave_case {
    bool continuation;
    const char *date;
    const char *event;    /* the termination event written */
    const char *last_day; /* the last day covered */
};

static const struct leave_case leaves[] = {
    /* 2026-03-15 + 60 days = 2026-05-14: covered through 31 May. */
    {true, "2026-03-15", "2026-05-14", "2026-05-31"},
    /* 2026-03-02 + 60 = 2026-05-01: the first of a month, covered through 31 May. */
    {true, "2026-03-02", "2026-05-01", "2026-05-31"},
    /* 2026-03-01 + 60 = 2026-04-30: the last of a month, covered through 30 April. */
    {true, "2026-03-01", "2026-04-30", "2026-04-30"},
    /* Without continuation: a termination on the leave's first day. */
    {false, "2026-03-15", "2026-03-15", "2026-03-31"},
};

START_TEST(test_leave_continuation_table)
{
    const struct leave_case *c = &leaves[_i];
    setup();
    group.leave_continuation = c->continuation;
    event(_i % 2 ? ADJ_EVENT_LAYOFF : ADJ_EVENT_LEAVE_OF_ABSENCE, c->date, c->date);
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    char buf[DATE_STRLEN];
    for (int i = 0; i < 3; i++) {
        const struct coverage_span *s = &fam.members[i].coverage[0];
        ck_assert_str_eq(date_text(s->termination_event, buf), c->event);
        date_t last;
        ck_assert(adj_span_last_day(s, &fam.members[i], &group, TODAY, &last));
        ck_assert_str_eq(date_text(last, buf), c->last_day);
    }
}
END_TEST

START_TEST(test_return_during_leave_continues_coverage)
{
    group.leave_continuation = true;
    event(ADJ_EVENT_LEAVE_OF_ABSENCE, "2026-03-15", "2026-03-15");
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    event(ADJ_EVENT_RETURN_TO_WORK, "2026-05-31", "2026-06-01"); /* the last day covered */
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    for (int i = 0; i < 3; i++) {
        ck_assert(fam.changed[i]);
        ck_assert(!fam.members[i].coverage[0].has_termination_event);
        ck_assert(!fam.members[i].coverage[0].has_termination_reported_on);
        ck_assert_int_eq(fam.members[i].n_coverage, 1);
    }
}
END_TEST

struct rehire_case {
    const char *returned;
    const char *reported;
    int waiting;
    bool late;
    const char *effective;
};

static const struct rehire_case rehires[] = {
    /* Terminated 2026-01-10: coverage ended 2026-01-31; six months after is 2026-07-31. */
    {"2026-06-01", "2026-06-01", 30, false, "2026-06-01"}, /* the day after coverage: a rehire */
    {"2026-07-31", "2026-07-31", 30, false, "2026-07-31"}, /* six months: no waiting period */
    {"2026-08-01", "2026-08-01", 30, false, "2026-08-31"}, /* after six months: waiting again */
    {"2026-08-01", "2026-09-01", 30, false, "2026-08-31"}, /* day 31 of the form window */
    {"2026-08-01", "2026-09-02", 30, true, NULL},          /* day 32 */
};

START_TEST(test_rehire_table)
{
    const struct rehire_case *c = &rehires[_i];
    setup();
    group.waiting_period_days = c->waiting;
    event(ADJ_EVENT_TERMINATION, "2026-01-10", "2026-01-10");
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    event(ADJ_EVENT_RETURN_TO_WORK, c->returned, c->reported);
    if (c->late) {
        assert_refused(ADJ_LIFECYCLE_LATE, "reported_on",
                       "is more than 31 days after the rehire (the window for a former employee "
                       "returning to work, manual § I)");
        return;
    }
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    char buf[DATE_STRLEN];
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(fam.members[i].n_coverage, 2);
        ck_assert_str_eq(date_text(fam.members[i].coverage[1].effective, buf), c->effective);
    }
}
END_TEST

START_TEST(test_return_without_an_end_refused)
{
    event(ADJ_EVENT_RETURN_TO_WORK, "2026-03-01", "2026-03-01");
    assert_refused(ADJ_LIFECYCLE_INVALID, "event",
                   "the member's coverage has not been set to end: nothing to return from");
}
END_TEST

/* ---- dated facts ---- */

START_TEST(test_student_status_change_never_reaches_back)
{
    fam.path = 2;
    struct member_facts f = *member_facts_on(&fam.members[2], D("2026-01-01"));
    f.student = true;
    member_set_initial_facts(&fam.members[2], &f);
    event(ADJ_EVENT_STUDENT_STATUS, "2026-05-15", "2026-06-01");
    ev.flag = false;
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    ck_assert(member_facts_on(&fam.members[2], D("2026-05-14"))->student);
    ck_assert(!member_facts_on(&fam.members[2], D("2026-05-15"))->student);
    ck_assert_int_eq(fam.members[2].n_history, 2);
    char buf[DATE_STRLEN];
    ck_assert_str_eq(date_text(fam.members[2].history[1].dates.reported_on, buf), "2026-06-01");
}
END_TEST

START_TEST(test_medicare_entitlement_from_its_date)
{
    event(ADJ_EVENT_MEDICARE_ENTITLEMENT, "2026-04-01", "2026-04-02");
    ev.medicare.basis = MEDICARE_AGE;
    ev.medicare.part_a = true;
    ev.medicare.part_b = false;
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    ck_assert(!member_facts_on(&fam.members[0], D("2026-03-31"))->medicare.present);
    const struct medicare *m = &member_facts_on(&fam.members[0], D("2026-04-01"))->medicare;
    ck_assert(m->present && m->part_a && !m->part_b);
    char buf[DATE_STRLEN];
    ck_assert_str_eq(date_text(m->entitlement_date, buf), "2026-04-01");
}
END_TEST

START_TEST(test_household_status_keeps_own_dependent_unless_given)
{
    fam.path = 2;
    event(ADJ_EVENT_HOUSEHOLD_STATUS, "2026-05-01", "2026-05-01");
    ev.flag = false;
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    const struct member_facts *f = member_facts_on(&fam.members[2], D("2026-05-01"));
    ck_assert(!f->lives_with_employee);
    ck_assert(!f->has_own_dependent);
    ck_assert(member_facts_on(&fam.members[2], D("2026-04-30"))->lives_with_employee);
}
END_TEST

START_TEST(test_other_group_coverage_starts_on_date)
{
    event(ADJ_EVENT_OTHER_GROUP_COVERAGE, "2026-02-01", "2026-02-03");
    snprintf(ev.other_coverage.payer_name, NAME_LEN, "Other");
    ev.other_coverage.kind = OTHER_GROUP;
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    ck_assert_int_eq(fam.members[0].n_other_coverage, 1);
    char buf[DATE_STRLEN];
    ck_assert_str_eq(date_text(fam.members[0].other_coverage[0].effective, buf), "2026-02-01");
}
END_TEST

/* ---- § IV COBRA ---- */

struct cobra_case {
    enum adj_cobra_reason reason;
    int months;
    bool fits;
};

static const struct cobra_case cobras[] = {
    {ADJ_COBRA_TERMINATION_OF_EMPLOYMENT, 18, true},
    {ADJ_COBRA_TERMINATION_OF_EMPLOYMENT, 29, true},
    {ADJ_COBRA_TERMINATION_OF_EMPLOYMENT, 36, false},
    {ADJ_COBRA_REDUCTION_OF_HOURS, 18, true},
    {ADJ_COBRA_REDUCTION_OF_HOURS, 36, false},
    {ADJ_COBRA_DIVORCE, 36, true},
    {ADJ_COBRA_DIVORCE, 18, false},
    {ADJ_COBRA_DIVORCE, 29, false},
    {ADJ_COBRA_LEGAL_SEPARATION, 36, true},
    {ADJ_COBRA_DEATH_OF_EMPLOYEE, 36, true},
    {ADJ_COBRA_MEDICARE_ENTITLEMENT, 36, true},
    {ADJ_COBRA_LOSS_OF_DEPENDENT_STATUS, 36, true},
    {ADJ_COBRA_LOSS_OF_DEPENDENT_STATUS, 29, false},
};

START_TEST(test_cobra_months_table)
{
    const struct cobra_case *c = &cobras[_i];
    setup();
    ck_assert_int_eq(adj_lifecycle_cobra_months_fit(c->reason, c->months), c->fits);
    event(ADJ_EVENT_COBRA_ELECTION, "2026-04-10", "2026-04-10");
    ev.qualifying_event = D("2026-03-10");
    ev.cobra_reason = c->reason;
    ev.cobra_months = c->months;
    if (!c->fits) {
        ck_assert(!adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
        ck_assert_str_eq(ref.field, "months");
        return;
    }
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
    const struct member *m = &fam.members[0];
    ck_assert_int_eq(m->n_coverage, 2);
    const struct coverage_span *s = &m->coverage[1];
    char buf[DATE_STRLEN];
    ck_assert_int_eq(s->kind, COVERAGE_COBRA);
    ck_assert_str_eq(date_text(s->effective, buf), "2026-04-01");
    ck_assert_str_eq(date_text(s->qualifying_event, buf), "2026-03-10");
    ck_assert_int_eq(s->months, c->months);
    ck_assert_str_eq(date_text(m->coverage[0].termination_event, buf), "2026-03-10");
}
END_TEST

START_TEST(test_cobra_needs_20_employees)
{
    struct group_facts gf = {19, MEDICARE_CERT_19_OR_FEWER};
    group_set_initial_facts(&group, &gf);
    event(ADJ_EVENT_COBRA_ELECTION, "2026-04-10", "2026-04-10");
    ev.qualifying_event = D("2026-03-10");
    ev.cobra_reason = ADJ_COBRA_TERMINATION_OF_EMPLOYMENT;
    ev.cobra_months = 18;
    assert_refused(ADJ_LIFECYCLE_INVALID, "qualifying_event",
                   "COBRA does not apply: the group has fewer than 20 employees (manual "
                   "§ IV \"COBRA continuation\")");
    gf.employee_count = 20;
    group_set_initial_facts(&group, &gf);
    setup();
    event(ADJ_EVENT_COBRA_ELECTION, "2026-04-10", "2026-04-10");
    ev.qualifying_event = D("2026-03-10");
    ev.cobra_reason = ADJ_COBRA_TERMINATION_OF_EMPLOYMENT;
    ev.cobra_months = 18;
    struct group_facts twenty = {20, MEDICARE_CERT_20_OR_MORE};
    group_set_initial_facts(&group, &twenty);
    ck_assert(adj_lifecycle_apply(&ev, &group, TODAY, &fam, &ref));
}
END_TEST

START_TEST(test_event_names_round_trip)
{
    for (int k = 0; k < ADJ_EVENT_KINDS; k++) {
        enum adj_lifecycle_event_kind back;
        ck_assert(adj_lifecycle_event_parse(
            adj_lifecycle_event_name((enum adj_lifecycle_event_kind)k), &back));
        ck_assert_int_eq(back, k);
    }
    enum adj_lifecycle_event_kind x;
    ck_assert(!adj_lifecycle_event_parse("birth", &x));
}
END_TEST

static Suite *lifecycle_suite(void)
{
    Suite *s = suite_create("enrollment lifecycle");
    TCase *w = tcase_create("windows");
    tcase_add_checked_fixture(w, setup, NULL);
    tcase_add_loop_test(w, test_window_boundaries, 0, (int)(sizeof windows / sizeof *windows));
    tcase_add_test(w, test_special_enrollment_enrols_the_employee_too);
    tcase_add_test(w, test_reported_on_today_accepted_tomorrow_refused);
    tcase_add_test(w, test_newborn_needs_an_enrolled_parent);
    tcase_add_test(w, test_newborn_birth_date_must_be_the_event_date);
    tcase_add_test(w, test_added_member_of_another_family_refused);
    tcase_add_test(w, test_member_required_and_not_allowed);
    suite_add_tcase(s, w);
    TCase *t = tcase_create("terminations");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, test_employee_termination_ends_every_dependent);
    tcase_add_test(t, test_dependent_termination_ends_only_that_dependent);
    tcase_add_test(t, test_child_marriage_is_its_termination_event);
    tcase_add_test(t, test_divorce_ends_the_spouse);
    tcase_add_test(t, test_divorce_recorded_on_the_employee_ends_the_spouse);
    tcase_add_test(t, test_loss_of_other_coverage_adds_a_dependent_and_ends_the_other_coverage);
    tcase_add_loop_test(t, test_leave_continuation_table, 0, (int)(sizeof leaves / sizeof *leaves));
    tcase_add_test(t, test_return_during_leave_continues_coverage);
    tcase_add_loop_test(t, test_rehire_table, 0, (int)(sizeof rehires / sizeof *rehires));
    tcase_add_test(t, test_return_without_an_end_refused);
    suite_add_tcase(s, t);
    TCase *f = tcase_create("facts and COBRA");
    tcase_add_checked_fixture(f, setup, NULL);
    tcase_add_test(f, test_student_status_change_never_reaches_back);
    tcase_add_test(f, test_medicare_entitlement_from_its_date);
    tcase_add_test(f, test_household_status_keeps_own_dependent_unless_given);
    tcase_add_test(f, test_other_group_coverage_starts_on_date);
    tcase_add_loop_test(f, test_cobra_months_table, 0, (int)(sizeof cobras / sizeof *cobras));
    tcase_add_test(f, test_cobra_needs_20_employees);
    tcase_add_test(f, test_event_names_round_trip);
    suite_add_tcase(s, f);
    return s;
}

int main(void)
{
    return test_run_suite(lifecycle_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
