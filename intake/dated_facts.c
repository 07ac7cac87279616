#include "intake/dated_facts.h"

#include <string.h>

static bool same_medicare(const struct medicare *a, const struct medicare *b)
{
    if (a->present != b->present)
        return false;
    return !a->present || (a->basis == b->basis && date_eq(a->entitlement_date, b->entitlement_date) &&
                           a->part_a == b->part_a && a->part_b == b->part_b);
}

/* The member facts to set (the bits of `mask`) and their values. */
struct member_set {
    unsigned mask;
    const struct member_facts *values;
};

static void set_member_facts(struct member_facts *f, const void *arg)
{
    const struct member_set *s = arg;
    if (s->mask & INTAKE_GIVEN_STUDENT)
        f->student = s->values->student;
    if (s->mask & INTAKE_GIVEN_LIVES_WITH_EMPLOYEE)
        f->lives_with_employee = s->values->lives_with_employee;
    if (s->mask & INTAKE_GIVEN_HAS_OWN_DEPENDENT)
        f->has_own_dependent = s->values->has_own_dependent;
    if (s->mask & INTAKE_GIVEN_HANDICAPPED)
        f->handicapped_certified = s->values->handicapped_certified;
    if (s->mask & INTAKE_GIVEN_MEDICARE)
        f->medicare = s->values->medicare;
}

int intake_member_apply_put(struct member *m, const struct intake_member_put *put, date_t today)
{
    const struct member_facts *now = member_facts_on(m, today), *v = &put->facts;
    unsigned differ = 0;
    if (now->student != v->student)
        differ |= INTAKE_GIVEN_STUDENT;
    if (now->lives_with_employee != v->lives_with_employee)
        differ |= INTAKE_GIVEN_LIVES_WITH_EMPLOYEE;
    if (now->has_own_dependent != v->has_own_dependent)
        differ |= INTAKE_GIVEN_HAS_OWN_DEPENDENT;
    if (now->handicapped_certified != v->handicapped_certified)
        differ |= INTAKE_GIVEN_HANDICAPPED;
    if (!same_medicare(&now->medicare, &v->medicare))
        differ |= INTAKE_GIVEN_MEDICARE;
    struct member_set set = {differ & put->given, v};
    if (!set.mask)
        return 0;
    return member_change_facts(m, today, today, set_member_facts, &set);
}

/* The group facts to set (count, certification or both) and their values. */
struct group_set {
    bool count, certification;
    const struct group_facts *values;
};

static void set_group_facts(struct group_facts *f, const void *arg)
{
    const struct group_set *s = arg;
    if (s->count)
        f->employee_count = s->values->employee_count;
    if (s->certification)
        f->medicare_certification = s->values->medicare_certification;
}

int intake_group_apply_put(struct group *g, const struct intake_group_put *put, date_t today)
{
    const struct group_facts *now = group_facts_on(g, today);
    struct group_set set = {now->employee_count != put->facts.employee_count,
                            now->medicare_certification != put->facts.medicare_certification,
                            &put->facts};
    if (!set.count && !set.certification)
        return 0;
    return group_change_facts(g, today, today, set_group_facts, &set);
}

void intake_member_keep_history(struct member *into, const struct member *from)
{
    memcpy(into->history, from->history, sizeof into->history);
    into->n_history = from->n_history;
}

void intake_group_keep_history(struct group *into, const struct group *from)
{
    memcpy(into->history, from->history, sizeof into->history);
    into->n_history = from->n_history;
}
