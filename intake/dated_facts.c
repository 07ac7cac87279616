#include "intake/dated_facts.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

static bool same_medicare(const struct medicare *a, const struct medicare *b)
{
    if (a->present != b->present)
        return false;
    return !a->present ||
           (a->basis == b->basis && date_eq(a->entitlement_date, b->entitlement_date) &&
            a->part_a == b->part_a && a->part_b == b->part_b);
}

/*
 * A change of some facts from `from` holds until the next entry that changes
 * the same fact (a later dated change of that fact is kept); other facts are
 * left as they are. Each fact's limit, as a day number (INT32_MAX: none).
 */
#define MEMBER_FACTS 5

static bool member_fact_differs(const struct member_facts *a, const struct member_facts *b, int k)
{
    switch (k) {
    case 0: return a->student != b->student;
    case 1: return a->lives_with_employee != b->lives_with_employee;
    case 2: return a->has_own_dependent != b->has_own_dependent;
    case 3: return a->handicapped_certified != b->handicapped_certified;
    default: return !same_medicare(&a->medicare, &b->medicare);
    }
}

struct member_set {
    unsigned mask;
    const struct member_facts *values;
    int32_t until[MEMBER_FACTS];
};

static void set_member_facts(struct member_facts *f, const void *arg)
{
    const struct member_set *s = arg;
    /* f is the facts of a history entry: its dates precede it. */
    const struct fact_dates *d =
        &((const struct member_facts_entry *)((const char *)f -
                                              offsetof(struct member_facts_entry, facts)))
             ->dates;
    int32_t day = d->has_from ? d->from.days : INT32_MIN;
    for (int k = 0; k < MEMBER_FACTS; k++) {
        if (!(s->mask & (1u << k)) || day >= s->until[k])
            continue;
        switch (k) {
        case 0: f->student = s->values->student; break;
        case 1: f->lives_with_employee = s->values->lives_with_employee; break;
        case 2: f->has_own_dependent = s->values->has_own_dependent; break;
        case 3: f->handicapped_certified = s->values->handicapped_certified; break;
        default: f->medicare = s->values->medicare; break;
        }
    }
}

int intake_member_set_facts(struct member *m, date_t from, date_t reported_on, unsigned mask,
                            const struct member_facts *values)
{
    struct member_set set = {mask, values, {0}};
    for (int k = 0; k < MEMBER_FACTS; k++) {
        set.until[k] = INT32_MAX;
        for (int i = 1; i < m->n_history; i++)
            if (m->history[i].dates.has_from && date_cmp(m->history[i].dates.from, from) > 0 &&
                member_fact_differs(&m->history[i].facts, &m->history[i - 1].facts, k)) {
                set.until[k] = m->history[i].dates.from.days;
                break;
            }
    }
    return member_change_facts(m, from, reported_on, set_member_facts, &set);
}

int intake_member_apply_put(struct member *m, const struct intake_member_put *put, date_t today)
{
    const struct member_facts *now = member_facts_on(m, today);
    unsigned differ = 0;
    for (int k = 0; k < MEMBER_FACTS; k++)
        if (member_fact_differs(now, &put->facts, k))
            differ |= 1u << k;
    if (!(differ & put->given))
        return 0;
    return intake_member_set_facts(m, today, today, differ & put->given, &put->facts);
}

struct group_set {
    bool count, certification;
    const struct group_facts *values;
    int32_t count_until, certification_until;
};

static void set_group_facts(struct group_facts *f, const void *arg)
{
    const struct group_set *s = arg;
    const struct fact_dates *d =
        &((const struct group_facts_entry *)((const char *)f -
                                             offsetof(struct group_facts_entry, facts)))
             ->dates;
    int32_t day = d->has_from ? d->from.days : INT32_MIN;
    if (s->count && day < s->count_until)
        f->employee_count = s->values->employee_count;
    if (s->certification && day < s->certification_until)
        f->medicare_certification = s->values->medicare_certification;
}

int intake_group_set_facts(struct group *g, date_t from, date_t reported_on, bool count,
                           bool certification, const struct group_facts *values)
{
    struct group_set set = {count, certification, values, INT32_MAX, INT32_MAX};
    for (int i = g->n_history - 1; i >= 1; i--) {
        const struct group_facts_entry *e = &g->history[i], *prev = &g->history[i - 1];
        if (!e->dates.has_from || date_cmp(e->dates.from, from) <= 0)
            break;
        if (e->facts.employee_count != prev->facts.employee_count)
            set.count_until = e->dates.from.days;
        if (e->facts.medicare_certification != prev->facts.medicare_certification)
            set.certification_until = e->dates.from.days;
    }
    return group_change_facts(g, from, reported_on, set_group_facts, &set);
}

int intake_group_apply_put(struct group *g, const struct intake_group_put *put, date_t today)
{
    const struct group_facts *now = group_facts_on(g, today);
    bool count = now->employee_count != put->facts.employee_count;
    bool cert = now->medicare_certification != put->facts.medicare_certification;
    if (!count && !cert)
        return 0;
    return intake_group_set_facts(g, today, today, count, cert, &put->facts);
}

int intake_member_reported_after(const struct member *m, date_t today)
{
    for (int i = 0; i < m->n_history; i++)
        if (m->history[i].dates.has_reported_on &&
            date_cmp(m->history[i].dates.reported_on, today) > 0)
            return i;
    return -1;
}

int intake_group_reported_after(const struct group *g, date_t today)
{
    for (int i = 0; i < g->n_history; i++)
        if (g->history[i].dates.has_reported_on &&
            date_cmp(g->history[i].dates.reported_on, today) > 0)
            return i;
    return -1;
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
