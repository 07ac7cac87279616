#include "intake/dated_facts.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
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

/* A stored record's text into m (a member) or else g (a group). */
static bool record_from_text(const char *text, const char *id, struct member *m, struct group *g)
{
    struct json_object *o = json_tokener_parse(text);
    struct codec_field_errors *errs = malloc(sizeof *errs);
    bool ok = o && errs;
    if (ok) {
        codec_field_errors_init(errs);
        ok = m ? codec_parse_member(o, id, m, errs) : codec_parse_group(o, id, g, errs);
    }
    free(errs);
    json_object_put(o);
    return ok;
}

bool intake_member_from_text(const char *text, const char *id, struct member *out)
{
    return record_from_text(text, id, out, NULL);
}

bool intake_group_from_text(const char *text, const char *id, struct group *out)
{
    return record_from_text(text, id, NULL, out);
}
