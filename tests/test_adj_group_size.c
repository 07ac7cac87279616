/*
 * The group-size tests over a group's employee_count history
 * (adjudicate/group_size.c, docs/rules.md "Group size over time"): manual
 * § II working aged (the 20th calendar week, 31 December / 1 January, the
 * certification where the history does not reach back) and § IV COBRA (more
 * than 50% of the previous calendar year's business days), each on both
 * sides of its boundary.
 */
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "adj_fixtures.h"
#include "adjudicate/rules.h"

/* A history written as "count" for the undated first value, then
 * "YYYY-MM-DD=count" entries; every entry has the certification `cert`. */
static void group_with(struct group *g, enum medicare_certification cert, const char *first,
                       const char *const *dated)
{
    memset(g, 0, sizeof *g);
    g->history[0].facts.employee_count = atoi(first);
    g->history[0].facts.medicare_certification = cert;
    g->n_history = 1;
    for (; dated && *dated; dated++) {
        struct group_facts_entry *e = &g->history[g->n_history++];
        char day[11];
        memcpy(day, *dated, 10);
        day[10] = '\0';
        e->dates.has_from = true;
        e->dates.from = D(day);
        e->facts.employee_count = atoi(*dated + 11);
        e->facts.medicare_certification = cert;
    }
}

#define H(...) ((const char *const[]){__VA_ARGS__, NULL})
#define C20 MEDICARE_CERT_20_OR_MORE
#define C19 MEDICARE_CERT_19_OR_FEWER

static const struct msp_case {
    const char *why;
    enum medicare_certification cert;
    const char *first;
    const char *const *dated;
    const char *on;
    bool large;
} msp_cases[] = {
    /* The 20th week: 10 known from 2025, 25 from Sunday 1 Mar 2026; weeks
     * 1 Mar .. 18 Jul are twenty. The certification says the opposite. */
    {"week 20 still running", C20, "10", H("2025-01-01=10", "2026-03-01=25"), "2026-07-18", false},
    {"20 weeks done", C19, "10", H("2025-01-01=10", "2026-03-01=25"), "2026-07-19", true},
    {"one working day short in week 20", C19, "10",
     H("2025-01-01=10", "2026-03-01=25", "2026-07-17=19", "2026-07-18=25"), "2026-07-19", false},
    /* The manual's example: 19 from 15 Jan 2008, 25 known through 2007. */
    {"below 20 through 31 Dec 2008", C19, "25", H("2007-01-01=25", "2008-01-15=19"), "2008-12-31",
     true},
    {"Medicare primary 1 Jan 2009", C20, "25", H("2007-01-01=25", "2008-01-15=19"), "2009-01-01",
     false},
    /* A drop late in the year: 2008 still had 20 weeks, so all of 2009 is large. */
    {"drop in December, 31 Dec 2009", C19, "25", H("2007-01-01=25", "2008-12-20=19"), "2009-12-31",
     true},
    {"drop in December, 1 Jan 2010", C20, "25", H("2007-01-01=25", "2008-12-20=19"), "2010-01-01",
     false},
    /* 20 weeks of the current year, not consecutive (Attachment A). */
    {"20 weeks of this year with a gap", C19, "10",
     H("2025-01-01=10", "2026-01-04=25", "2026-03-01=10", "2026-04-05=25"), "2026-06-28", true},
    {"19 weeks of this year with a gap", C19, "10",
     H("2025-01-01=10", "2026-01-04=25", "2026-03-01=10", "2026-04-05=25"), "2026-06-21", false},
    /* Where the history does not reach back, the certification decides. */
    {"undated only, certified 20 or more", C20, "10", NULL, "2026-06-01", true},
    {"undated only, certified 19 or fewer", C19, "50", NULL, "2026-06-01", false},
    {"drop known only from June: unknown, certification", C20, "25", H("2026-06-01=18"),
     "2027-01-01", true},
    {"drop known for a whole year: the history", C20, "25", H("2026-06-01=18"), "2028-01-01",
     false},
};

START_TEST(test_msp_large_group_by_count_history)
{
    const struct msp_case *t = &msp_cases[_i];
    static struct group g;
    group_with(&g, t->cert, t->first, t->dated);
    ck_assert_msg(adj_msp_large_group(&g, D(t->on)) == t->large, "%s", t->why);
}
END_TEST

static const struct cobra_case {
    const char *why;
    const char *first;
    const char *const *dated;
    const char *qualifying_event;
    bool applies;
} cobra_cases[] = {
    /* 2024 has 262 weekdays: 20+ from 1 Jul is 132 of them, from 2 Jul 131. */
    {"132 of 262 days", "10", H("2024-07-01=25"), "2025-03-01", true},
    {"exactly half", "10", H("2024-07-02=25"), "2025-03-01", false},
    /* The previous calendar year changes on 1 January. */
    {"31 Dec 2025 reads 2024", "25", H("2025-01-01=10"), "2025-12-31", true},
    {"1 Jan 2026 reads 2025", "25", H("2025-01-01=10"), "2026-01-01", false},
    /* A later edit of the count does not take back an earlier event. */
    {"count edited to 18 after the event", "25", H("2026-06-01=18"), "2026-03-01", true},
    {"the year after the edit", "25", H("2026-06-01=18"), "2027-02-01", false},
    {"undated 20", "20", NULL, "2026-03-01", true},
    {"undated 19", "19", NULL, "2026-03-01", false},
};

START_TEST(test_cobra_applies_by_previous_calendar_year)
{
    const struct cobra_case *t = &cobra_cases[_i];
    static struct group g;
    group_with(&g, C20, t->first, t->dated);
    ck_assert_msg(adj_cobra_applies(&g, D(t->qualifying_event)) == t->applies, "%s", t->why);
}
END_TEST

static Suite *group_size_suite(void)
{
    Suite *s = suite_create("adjudicate group size");
    TCase *t = tcase_create("history");
    tcase_add_loop_test(t, test_msp_large_group_by_count_history, 0,
                        (int)(sizeof msp_cases / sizeof *msp_cases));
    tcase_add_loop_test(t, test_cobra_applies_by_previous_calendar_year, 0,
                        (int)(sizeof cobra_cases / sizeof *cobra_cases));
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return test_run_suite(group_size_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
