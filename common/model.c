#include "model.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void plan_free(struct plan *plan)
{
    free(plan->fee_schedule);
    free(plan->formulary);
    plan->fee_schedule = NULL;
    plan->formulary = NULL;
    plan->n_fee_schedule = 0;
    plan->n_formulary = 0;
}

static int fee_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct fee_entry *)elem)->procedure_code);
}

static int formulary_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct formulary_entry *)elem)->ndc);
}

const struct fee_entry *plan_fee_lookup(const struct plan *plan, const char *procedure_code)
{
    if (!plan->n_fee_schedule)
        return NULL;
    return bsearch(procedure_code, plan->fee_schedule, plan->n_fee_schedule,
                   sizeof *plan->fee_schedule, fee_cmp);
}

const struct formulary_entry *plan_formulary_lookup(const struct plan *plan, const char *ndc)
{
    if (!plan->n_formulary)
        return NULL;
    return bsearch(ndc, plan->formulary, plan->n_formulary, sizeof *plan->formulary, formulary_cmp);
}

/* ---- Dated facts ---- */

/* Entry i of a history whose entries are `stride` bytes apart. */
static struct fact_dates *entry_at(void *history, size_t stride, int i)
{
    return (struct fact_dates *)((char *)history + (size_t)i * stride);
}

/* The index of the entry in force on `on` (entry 0 holds from the beginning). */
static int entry_on(const void *history, size_t stride, int n, date_t on)
{
    int found = 0;
    for (int i = 1; i < n; i++) {
        const struct fact_dates *d = entry_at((void *)history, stride, i);
        if (d->has_from && date_cmp(d->from, on) <= 0)
            found = i;
    }
    return found;
}

const struct member_facts *member_facts_on(const struct member *m, date_t on)
{
    return &m->history[entry_on(m->history, sizeof m->history[0], m->n_history, on)].facts;
}

const struct group_facts *group_facts_on(const struct group *g, date_t on)
{
    return &g->history[entry_on(g->history, sizeof g->history[0], g->n_history, on)].facts;
}

/* One history to change: where its entries are, and how to compare their
 * facts and set the named ones (the two record kinds share this code). */
struct history_change {
    void *history;
    int *n;
    size_t stride;
    size_t facts_offset;
    int n_facts;                                          /* bits of a mask */
    bool (*differs)(const void *a, const void *b, int k); /* fact k of two entries */
    void (*set)(void *facts, const void *values, int k);  /* fact k from values */
    unsigned mask;
    const void *values;
};

static void *facts_of(const struct history_change *c, int i)
{
    return (char *)entry_at(c->history, c->stride, i) + c->facts_offset;
}

static bool same_facts(const struct history_change *c, const void *a, const void *b)
{
    for (int k = 0; k < c->n_facts; k++)
        if (c->differs(a, b, k))
            return false;
    return true;
}

static int change_history(const struct history_change *c, date_t from, date_t reported_on)
{
    int n = *c->n;
    /* Each named fact's reach: up to the first later entry changing it. */
    int until[8];
    for (int k = 0; k < c->n_facts; k++) {
        until[k] = n;
        for (int i = 1; i < n; i++) {
            const struct fact_dates *d = entry_at(c->history, c->stride, i);
            if (d->has_from && date_cmp(d->from, from) > 0 &&
                c->differs(facts_of(c, i), facts_of(c, i - 1), k)) {
                until[k] = i;
                break;
            }
        }
    }
    int at = entry_on(c->history, c->stride, n, from);
    struct fact_dates *d = entry_at(c->history, c->stride, at);
    bool made = false;
    if (!(d->has_from && date_eq(d->from, from))) {
        if (n >= MAX_FACT_HISTORY)
            return -1;
        /* A new entry after `at`, a copy of the facts in force on `from`. */
        at++;
        memmove(entry_at(c->history, c->stride, at + 1), entry_at(c->history, c->stride, at),
                (size_t)(n - at) * c->stride);
        memcpy(entry_at(c->history, c->stride, at), entry_at(c->history, c->stride, at - 1),
               c->stride);
        d = entry_at(c->history, c->stride, at);
        d->has_from = true;
        d->from = from;
        n++;
        made = true;
        for (int k = 0; k < c->n_facts; k++)
            if (until[k] >= at)
                until[k]++;
    }
    d->has_reported_on = true;
    d->reported_on = reported_on;
    for (int k = 0; k < c->n_facts; k++)
        if (c->mask & (1u << k))
            for (int i = at; i < until[k]; i++)
                c->set(facts_of(c, i), c->values, k);
    if (made && same_facts(c, facts_of(c, at), facts_of(c, at - 1))) {
        memmove(entry_at(c->history, c->stride, at), entry_at(c->history, c->stride, at + 1),
                (size_t)(n - at - 1) * c->stride);
        n--;
    }
    *c->n = n;
    return 0;
}

static bool same_medicare(const struct medicare *a, const struct medicare *b)
{
    if (a->present != b->present)
        return false;
    return !a->present ||
           (a->basis == b->basis && date_eq(a->entitlement_date, b->entitlement_date) &&
            a->part_a == b->part_a && a->part_b == b->part_b);
}

/* Fact k of a member, in the order of the MEMBER_FACT_* bits. */
static bool member_fact_differs(const void *pa, const void *pb, int k)
{
    const struct member_facts *a = pa, *b = pb;
    switch (k) {
    case 0: return a->student != b->student;
    case 1: return a->lives_with_employee != b->lives_with_employee;
    case 2: return a->has_own_dependent != b->has_own_dependent;
    case 3: return a->handicapped_certified != b->handicapped_certified;
    default: return !same_medicare(&a->medicare, &b->medicare);
    }
}

static void member_fact_set(void *pf, const void *pv, int k)
{
    struct member_facts *f = pf;
    const struct member_facts *v = pv;
    switch (k) {
    case 0: f->student = v->student; break;
    case 1: f->lives_with_employee = v->lives_with_employee; break;
    case 2: f->has_own_dependent = v->has_own_dependent; break;
    case 3: f->handicapped_certified = v->handicapped_certified; break;
    default: f->medicare = v->medicare; break;
    }
}

/* Fact k of a group, in the order of the GROUP_FACT_* bits. */
static bool group_fact_differs(const void *pa, const void *pb, int k)
{
    const struct group_facts *a = pa, *b = pb;
    return k == 0 ? a->employee_count != b->employee_count
                  : a->medicare_certification != b->medicare_certification;
}

static void group_fact_set(void *pf, const void *pv, int k)
{
    struct group_facts *f = pf;
    const struct group_facts *v = pv;
    if (k == 0)
        f->employee_count = v->employee_count;
    else
        f->medicare_certification = v->medicare_certification;
}

int member_set_facts(struct member *m, date_t from, date_t reported_on, unsigned mask,
                     const struct member_facts *values)
{
    struct history_change c = {m->history,
                               &m->n_history,
                               sizeof m->history[0],
                               offsetof(struct member_facts_entry, facts),
                               5,
                               member_fact_differs,
                               member_fact_set,
                               mask,
                               values};
    return change_history(&c, from, reported_on);
}

int group_set_facts(struct group *g, date_t from, date_t reported_on, unsigned mask,
                    const struct group_facts *values)
{
    struct history_change c = {g->history,
                               &g->n_history,
                               sizeof g->history[0],
                               offsetof(struct group_facts_entry, facts),
                               2,
                               group_fact_differs,
                               group_fact_set,
                               mask,
                               values};
    return change_history(&c, from, reported_on);
}

unsigned member_facts_differ(const struct member_facts *a, const struct member_facts *b)
{
    unsigned mask = 0;
    for (int k = 0; k < 5; k++)
        if (member_fact_differs(a, b, k))
            mask |= 1u << k;
    return mask;
}

unsigned group_facts_differ(const struct group_facts *a, const struct group_facts *b)
{
    return (group_fact_differs(a, b, 0) ? GROUP_FACT_EMPLOYEE_COUNT : 0) |
           (group_fact_differs(a, b, 1) ? GROUP_FACT_MEDICARE_CERTIFICATION : 0);
}

void member_set_initial_facts(struct member *m, const struct member_facts *facts)
{
    memset(m->history, 0, sizeof m->history);
    m->history[0].facts = *facts;
    m->n_history = 1;
}

void group_set_initial_facts(struct group *g, const struct group_facts *facts)
{
    memset(g->history, 0, sizeof g->history);
    g->history[0].facts = *facts;
    g->n_history = 1;
}

bool group_cobra_applies_on(const struct group *g, date_t on)
{
    return group_facts_on(g, on)->employee_count >= 20;
}
