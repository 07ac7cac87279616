/*
 * Who is an eligible dependent on a date (RULES.md § 3, manual § I "Eligible
 * dependents", § I "Handicapped children", § III "Dependent termination").
 * A dependent who is not eligible on the date of service is denied CO-32
 * ("not an eligible dependent") with remark N30.
 *
 * The employee and the spouse are eligible while their coverage span is open:
 * divorce, like the employee's own termination, is recorded as the span's
 * termination event (eligibility.c), so nothing more is checked here.
 */
#include <string.h>

#include "rules.h"

#define CHILD_AGE_LIMIT 19    /* § I: "Children under 19 years of age" */
#define STUDENT_AGE_LIMIT 25  /* § I: "until the end of the calendar year ... age 25" */
#define OPTIONAL_AGE_LIMIT 30 /* § I: "If elected ... age 30" */
#define GRANDCHILD_MONTHS_LIMIT                                                                    \
    18                          /* § I: "a child born to a Dependent child ... 18 months old"     \
                                 */
#define OPTIONAL_AGE_STATE "FL" /* § I: "a resident of Florida" */

/*
 * § III "Dependent termination": the dependent's marriage is a termination
 * event, and "coverage ceases at midnight on the last day of the calendar
 * month in which the termination event occurs". So a child married on
 * 10 June is still covered on 30 June and not on 1 July. This one test is
 * also the "unmarried" condition of the age-30 option and of a handicapped
 * child (§ I): whatever rule a child is covered under, marriage ends it at the
 * end of that month.
 */
static bool marriage_ended_coverage(const struct member *m, date_t on)
{
    return m->has_married_on && date_cmp(on, adj_termination_effective_date(m->married_on)) > 0;
}

/* The end of the calendar year in which the child reaches `age` (§ I). */
static date_t end_of_year_of_birthday(date_t birth, int age)
{
    return date_end_of_year(date_nth_birthday(birth, age));
}

static bool other_coverage_on(const struct member *m, date_t on)
{
    for (int i = 0; i < m->n_other_coverage; i++)
        if (adj_other_coverage_in_force(&m->other_coverage[i], on))
            return true;
    return false;
}

/*
 * § I, the age-30 option, "if elected": the child is unmarried (see above),
 * "does not have a dependent of his or her own", "is a resident of Florida or
 * a full-time or part-time student", is "not covered ... under any other
 * group, blanket or franchise health insurance policy or individual health
 * benefits plan", and "is not entitled to benefits under Title XVIII of the
 * Social Security Act" (Medicare).
 */
static bool optional_age_conditions_met(const struct member *m, date_t on)
{
    const struct member_facts *f = member_facts_on(m, on);
    if (f->has_own_dependent)
        return false;
    if (strcmp(m->state, OPTIONAL_AGE_STATE) != 0 && !f->student)
        return false;
    if (other_coverage_on(m, on))
        return false;
    return !adj_medicare_entitled_on(m, on);
}

static bool child_eligible(const struct member *m, const struct group *g, date_t on)
{
    /* The statuses as they stood on the date of service (issue 13: a later
     * change never reaches back). */
    const struct member_facts *f = member_facts_on(m, on);
    if (marriage_ended_coverage(m, on))
        return false;
    /* § I: children under 19. § III "Dependent termination": a dependent who
     * "reaches the maximum age for dependent children (coverage will continue
     * until the end of the calendar year)". For a child who at 19 is neither
     * a student nor living in the employee's household, 19 is that maximum
     * age, so coverage runs to 31 December of the year of the 19th birthday. */
    if (date_cmp(on, end_of_year_of_birthday(m->birth_date, CHILD_AGE_LIMIT)) <= 0)
        return true;
    /* § I "Handicapped children": "may be continued indefinitely"; the
     * certification records that the disability began before 19. */
    if (f->handicapped_certified)
        return true;
    /* § I: from 19 to the end of the year of the 25th birthday, "living in the
     * employee's household or enrolled as a full-time or part-time student". */
    if ((f->student || f->lives_with_employee) &&
        date_cmp(on, end_of_year_of_birthday(m->birth_date, STUDENT_AGE_LIMIT)) <= 0)
        return true;
    /* § I: the age-30 option, when the group elected it. */
    return g->dependent_to_30 &&
           date_cmp(on, end_of_year_of_birthday(m->birth_date, OPTIONAL_AGE_LIMIT)) <= 0 &&
           optional_age_conditions_met(m, on);
}

/*
 * § I: "a child born to a Dependent child of the employee's until such child
 * is 18 months old". Reaching 18 months is the termination event; by § III the
 * coverage runs to the end of that month. Born 10 Feb 2024: 18 months on
 * 10 Aug 2025, covered through 31 Aug 2025.
 *
 * "Born to a Dependent child": on the date of service the parent must itself
 * be a covered dependent child of the same employee — the record named by
 * parent_member_id, relationship child, same subscriber, covered on that date
 * by its own spans and the child rules. A parent who ages out, marries or
 * loses coverage takes the grandchild's coverage with it, from the same day.
 * No parent on file (a record stored before parent_member_id, or a parent
 * record that is gone): the condition cannot be shown, so not eligible.
 */
static bool grandchild_eligible(const struct member *m, const struct member *parent,
                                const struct group *g, date_t on)
{
    date_t eighteen_months = date_add_months(m->birth_date, GRANDCHILD_MONTHS_LIMIT);
    if (date_cmp(on, adj_termination_effective_date(eighteen_months)) > 0)
        return false;
    if (!parent || parent->relationship != REL_CHILD ||
        strcmp(parent->member_id, m->parent_member_id) != 0 ||
        strcmp(parent->subscriber_id, m->subscriber_id) != 0)
        return false;
    int span;
    return adj_check_eligibility(parent, NULL, g, on, &span) == ADJ_ELIG_COVERED;
}

/* Whether the member is, on `on`, someone the plan covers in their relationship.
 * The employee and the spouse: while their span is open (eligibility.c). A
 * grandchild: with its parent's record (NULL when not on file). */
bool adj_dependent_eligible(const struct member *member, const struct member *parent,
                            const struct group *group, date_t on)
{
    if (member->relationship == REL_CHILD)
        return child_eligible(member, group, on);
    if (member->relationship == REL_GRANDCHILD)
        return grandchild_eligible(member, parent, group, on);
    return true;
}
