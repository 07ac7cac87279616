/*
 * Setting dated facts (intake/dated_facts.c): a change holds from its date
 * until the next later change of the same fact, leaves the other facts as
 * they are, and a PUT's top-level values become changes from today only
 * where they differ from the timeline's values as of today.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "intake/dated_facts.h"

#include "harness/harness.h"

/* A short name for the tables of cases (tests/harness/shared.c). */
#define D(text) test_date(text)

static struct group G;
static struct member M;

static void group_25(void)
{
    memset(&G, 0, sizeof G);
    struct group_facts f = {25, MEDICARE_CERT_20_OR_MORE};
    group_set_initial_facts(&G, &f);
}

static int count_on(const char *d)
{
    return group_facts_on(&G, D(d))->employee_count;
}

static enum medicare_certification cert_on(const char *d)
{
    return group_facts_on(&G, D(d))->medicare_certification;
}

START_TEST(test_earlier_change_stops_at_the_next_change_of_the_same_fact)
{
    group_25();
    struct group_facts v = {18, MEDICARE_CERT_20_OR_MORE};
    ck_assert_int_eq(
        group_set_facts(&G, D("2026-05-01"), D("2026-05-02"), GROUP_FACT_EMPLOYEE_COUNT, &v), 0);
    v.employee_count = 22;
    ck_assert_int_eq(
        group_set_facts(&G, D("2026-03-01"), D("2026-06-01"), GROUP_FACT_EMPLOYEE_COUNT, &v), 0);
    ck_assert_int_eq(G.n_history, 3);
    ck_assert_int_eq(count_on("2026-02-28"), 25);
    ck_assert_int_eq(count_on("2026-03-01"), 22);
    ck_assert_int_eq(count_on("2026-04-30"), 22);
    ck_assert_int_eq(count_on("2026-05-01"), 18); /* the later change is kept */
    ck_assert(date_eq(G.history[1].dates.reported_on, D("2026-06-01")));
    /* A certification from 1 Apr reaches every later entry (no later change
     * of the certification), and leaves the counts alone. */
    v.medicare_certification = MEDICARE_CERT_19_OR_FEWER;
    v.employee_count = 99;
    ck_assert_int_eq(group_set_facts(&G, D("2026-04-01"), D("2026-06-01"),
                                     GROUP_FACT_MEDICARE_CERTIFICATION, &v),
                     0);
    ck_assert_int_eq(G.n_history, 4);
    ck_assert_int_eq(cert_on("2026-03-31"), MEDICARE_CERT_20_OR_MORE);
    ck_assert_int_eq(cert_on("2026-04-01"), MEDICARE_CERT_19_OR_FEWER);
    ck_assert_int_eq(cert_on("2027-01-01"), MEDICARE_CERT_19_OR_FEWER);
    ck_assert_int_eq(count_on("2026-04-01"), 22);
    ck_assert_int_eq(count_on("2026-05-01"), 18);
    /* A change on an existing entry's date updates it in place. */
    v.employee_count = 17;
    ck_assert_int_eq(
        group_set_facts(&G, D("2026-05-01"), D("2026-06-02"), GROUP_FACT_EMPLOYEE_COUNT, &v), 0);
    ck_assert_int_eq(G.n_history, 4);
    ck_assert_int_eq(count_on("2026-05-01"), 17);
}
END_TEST

START_TEST(test_group_put_changes_from_today_only_what_differs)
{
    group_25();
    struct codec_group_put put = {false, {25, MEDICARE_CERT_20_OR_MORE}};
    ck_assert_int_eq(intake_group_apply_put(&G, &put, D("2026-06-01")), 0);
    ck_assert_int_eq(G.n_history, 1); /* nothing differs */
    put.facts.employee_count = 18;
    ck_assert_int_eq(intake_group_apply_put(&G, &put, D("2026-06-01")), 0);
    ck_assert_int_eq(G.n_history, 2);
    ck_assert_int_eq(count_on("2026-05-31"), 25);
    ck_assert_int_eq(count_on("2026-06-01"), 18);
    ck_assert(G.history[1].dates.has_reported_on);
    ck_assert(date_eq(G.history[1].dates.reported_on, D("2026-06-01")));
}
END_TEST

START_TEST(test_member_put_sets_given_facts_from_today)
{
    memset(&M, 0, sizeof M);
    struct member_facts f = {0};
    f.student = true;
    member_set_initial_facts(&M, &f);
    /* A history says: not a student from 15 May. */
    f.student = false;
    ck_assert_int_eq(
        member_set_facts(&M, D("2026-05-15"), D("2026-06-01"), CODEC_GIVEN_STUDENT, &f), 0);
    /* A PUT with a history and only lives_with_employee at the top level:
     * the student flag is not given, so it is left as the timeline has it. */
    struct codec_member_put put = {true, CODEC_GIVEN_LIVES_WITH_EMPLOYEE, {0}};
    put.facts.student = true;
    put.facts.lives_with_employee = true;
    ck_assert_int_eq(intake_member_apply_put(&M, &put, D("2026-07-01")), 0);
    ck_assert_int_eq(M.n_history, 3);
    ck_assert(member_facts_on(&M, D("2026-05-14"))->student);
    ck_assert(!member_facts_on(&M, D("2026-05-15"))->student);
    ck_assert(!member_facts_on(&M, D("2026-07-01"))->student);
    ck_assert(!member_facts_on(&M, D("2026-06-30"))->lives_with_employee);
    ck_assert(member_facts_on(&M, D("2026-07-01"))->lives_with_employee);
    /* Without a history every top-level fact counts: student true from today. */
    put.given = CODEC_GIVEN_ALL;
    ck_assert_int_eq(intake_member_apply_put(&M, &put, D("2026-08-01")), 0);
    ck_assert_int_eq(M.n_history, 4);
    ck_assert(!member_facts_on(&M, D("2026-07-31"))->student);
    ck_assert(member_facts_on(&M, D("2026-08-01"))->student);
    /* Medicare added from today. */
    put.facts.medicare.present = true;
    put.facts.medicare.basis = MEDICARE_AGE;
    put.facts.medicare.entitlement_date = D("2026-09-01");
    put.facts.medicare.part_a = put.facts.medicare.part_b = true;
    ck_assert_int_eq(intake_member_apply_put(&M, &put, D("2026-09-02")), 0);
    ck_assert(!member_facts_on(&M, D("2026-09-01"))->medicare.present);
    ck_assert(member_facts_on(&M, D("2026-09-02"))->medicare.present);
}
END_TEST

START_TEST(test_full_history_is_refused_and_left_unchanged)
{
    group_25();
    struct group_facts v = {0, MEDICARE_CERT_20_OR_MORE};
    for (int i = 1; i < MAX_FACT_HISTORY; i++) {
        v.employee_count = 25 + i;
        ck_assert_int_eq(group_set_facts(&G, date_add_days(D("2020-01-01"), i), D("2020-01-01"),
                                         GROUP_FACT_EMPLOYEE_COUNT, &v),
                         0);
    }
    ck_assert_int_eq(G.n_history, MAX_FACT_HISTORY);
    struct group before = G;
    v.employee_count = 1;
    ck_assert_int_eq(
        group_set_facts(&G, D("2026-01-01"), D("2026-01-01"), GROUP_FACT_EMPLOYEE_COUNT, &v), -1);
    ck_assert(memcmp(&before, &G, sizeof G) == 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dated facts");
    TCase *t = tcase_create("set");
    tcase_add_test(t, test_earlier_change_stops_at_the_next_change_of_the_same_fact);
    tcase_add_test(t, test_group_put_changes_from_today_only_what_differs);
    tcase_add_test(t, test_member_put_sets_given_facts_from_today);
    tcase_add_test(t, test_full_history_is_refused_and_left_unchanged);
    suite_add_tcase(s, t);
    return test_run_suite(s, CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
