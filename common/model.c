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
    return bsearch(ndc, plan->formulary, plan->n_formulary, sizeof *plan->formulary,
                   formulary_cmp);
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

/* One history to change: where its entries are and how to edit and compare
 * their facts (the two record kinds share this code). */
struct history_change {
    void *history;
    int *n;
    size_t stride;
    size_t facts_offset;
    void (*edit)(const struct history_change *c, void *facts);
    bool (*same)(const void *a, const void *b);
    member_facts_edit member_edit; /* the caller's edit: one of the two */
    group_facts_edit group_edit;
    const void *arg;
};

static void *facts_of(const struct history_change *c, int i)
{
    return (char *)entry_at(c->history, c->stride, i) + c->facts_offset;
}

static int change_history(const struct history_change *c, date_t from, date_t reported_on)
{
    int n = *c->n;
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
    }
    d->has_reported_on = true;
    d->reported_on = reported_on;
    for (int i = at; i < n; i++)
        c->edit(c, facts_of(c, i));
    if (made && c->same(facts_of(c, at), facts_of(c, at - 1))) {
        memmove(entry_at(c->history, c->stride, at), entry_at(c->history, c->stride, at + 1),
                (size_t)(n - at - 1) * c->stride);
        n--;
    }
    *c->n = n;
    return 0;
}

static void edit_member(const struct history_change *c, void *facts)
{
    c->member_edit(facts, c->arg);
}

static void edit_group(const struct history_change *c, void *facts)
{
    c->group_edit(facts, c->arg);
}

static bool same_medicare(const struct medicare *a, const struct medicare *b)
{
    if (a->present != b->present)
        return false;
    return !a->present || (a->basis == b->basis && date_eq(a->entitlement_date, b->entitlement_date) &&
                           a->part_a == b->part_a && a->part_b == b->part_b);
}

static bool same_member_facts(const void *pa, const void *pb)
{
    const struct member_facts *a = pa, *b = pb;
    return a->student == b->student && a->lives_with_employee == b->lives_with_employee &&
           a->has_own_dependent == b->has_own_dependent &&
           a->handicapped_certified == b->handicapped_certified &&
           same_medicare(&a->medicare, &b->medicare);
}

static bool same_group_facts(const void *pa, const void *pb)
{
    const struct group_facts *a = pa, *b = pb;
    return a->employee_count == b->employee_count &&
           a->medicare_certification == b->medicare_certification;
}

int member_change_facts(struct member *m, date_t from, date_t reported_on, member_facts_edit edit,
                        const void *arg)
{
    struct history_change c = {m->history,  &m->n_history, sizeof m->history[0],
                               offsetof(struct member_facts_entry, facts), edit_member,
                               same_member_facts, edit, NULL, arg};
    return change_history(&c, from, reported_on);
}

int group_change_facts(struct group *g, date_t from, date_t reported_on, group_facts_edit edit,
                       const void *arg)
{
    struct history_change c = {g->history,  &g->n_history, sizeof g->history[0],
                               offsetof(struct group_facts_entry, facts), edit_group,
                               same_group_facts, NULL, edit, arg};
    return change_history(&c, from, reported_on);
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
