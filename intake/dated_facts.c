#include "intake/dated_facts.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

int intake_member_apply_put(struct member *m, const struct codec_member_put *put, date_t today)
{
    unsigned differ = member_facts_differ(member_facts_on(m, today), &put->facts) & put->given;
    return differ ? member_set_facts(m, today, today, differ, &put->facts) : 0;
}

int intake_group_apply_put(struct group *g, const struct codec_group_put *put, date_t today)
{
    unsigned differ = group_facts_differ(group_facts_on(g, today), &put->facts);
    return differ ? group_set_facts(g, today, today, differ, &put->facts) : 0;
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
