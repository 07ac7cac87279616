#include "redecide_records.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/keys.h"
#include "queue/members.h"

enum record_kind { REC_MEMBER, REC_GROUP, REC_PLAN, REC_KINDS };

/* The ids of one kind asked for, in order, and how many of them were read. */
struct wanted {
    char (*ids)[ID_LEN];
    size_t n, cap, read;
};

/* The records found of one kind. */
struct found {
    struct redecide_record *list;
    size_t n, cap;
};

struct record_walk {
    const char *prefix;        /* the configured key prefix */
    const char *subscriber_id; /* the family's */
    struct wanted want[REC_KINDS];
    struct found found[REC_KINDS];
    bool no_memory;
};

/* Asks for the record of kind named id, unless it was asked for already;
 * an empty or too long id names none. */
static void want(struct record_walk *w, enum record_kind kind, const char *id)
{
    struct wanted *x = &w->want[kind];
    if (!id || !id[0] || strlen(id) >= ID_LEN)
        return;
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->ids[i], id) == 0)
            return;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        char(*ids)[ID_LEN] = realloc(x->ids, cap * ID_LEN);
        if (!ids) {
            w->no_memory = true;
            return;
        }
        x->ids = ids;
        x->cap = cap;
    }
    snprintf(x->ids[x->n++], ID_LEN, "%s", id);
}

/* A string member of a JSON object, or NULL. */
static const char *string_member(struct json_object *o, const char *name)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Keeps a record read and asks for the records it names: a member's group
 * and parent, a group's plan. */
static void take(struct record_walk *w, enum record_kind kind, const char *id, const char *text)
{
    struct found *f = &w->found[kind];
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        struct redecide_record *list = realloc(f->list, cap * sizeof *list);
        if (!list) {
            w->no_memory = true;
            return;
        }
        f->list = list;
        f->cap = cap;
    }
    struct redecide_record *r = &f->list[f->n];
    snprintf(r->id, sizeof r->id, "%s", id);
    if (!(r->json = strdup(text))) {
        w->no_memory = true;
        return;
    }
    f->n++;
    struct json_object *o = json_tokener_parse(text);
    if (o && json_object_is_type(o, json_type_object)) {
        if (kind == REC_MEMBER) {
            want(w, REC_GROUP, string_member(o, "group_id"));
            want(w, REC_MEMBER, string_member(o, "parent_member_id"));
        } else if (kind == REC_GROUP) {
            want(w, REC_PLAN, string_member(o, "plan_id"));
        }
    }
    if (o)
        json_object_put(o);
}

/* The key of a record. Member records and the family set are on the
 * family's shard (queue/members.h); groups and plans are shared, untagged. */
static void record_key(const struct record_walk *w, enum record_kind kind, const char *id,
                       char key[KEY_LEN])
{
    if (kind == REC_MEMBER)
        queue_member_key(key, w->prefix, w->subscriber_id, id);
    else
        snprintf(key, KEY_LEN, kind == REC_GROUP ? KEYF_GROUP : KEYF_PLAN, w->prefix, id);
}

static void family_key(const struct record_walk *w, char key[KEY_LEN])
{
    queue_family_key(key, w->prefix, w->subscriber_id);
}

/* Reads every record asked for and not read yet, in one pipeline. Returns
 * 0, -1 (connection) or -2 (refused: every reply is still read). */
static int read_round(struct rlink *c, struct record_walk *w)
{
    size_t upto[REC_KINDS];
    for (int k = 0; k < REC_KINDS; k++) {
        upto[k] = w->want[k].n;
        for (size_t i = w->want[k].read; i < upto[k]; i++) {
            char key[KEY_LEN];
            record_key(w, (enum record_kind)k, w->want[k].ids[i], key);
            const char *argv[] = {"GET", key};
            queue_rlink_append_argv(c, 2, argv, NULL);
        }
    }
    int rc = 0;
    for (int k = 0; k < REC_KINDS; k++) {
        for (size_t i = w->want[k].read; i < upto[k]; i++) {
            redisReply *r = NULL;
            if (queue_rlink_get_reply(c, &r) != REDIS_OK || !r)
                return -1;
            if (r->type == REDIS_REPLY_STRING)
                take(w, (enum record_kind)k, w->want[k].ids[i], r->str);
            else if (r->type != REDIS_REPLY_NIL)
                rc = -2;
            freeReplyObject(r);
        }
        w->want[k].read = upto[k];
    }
    return rc;
}

static bool all_read(const struct record_walk *w)
{
    for (int k = 0; k < REC_KINDS; k++)
        if (w->want[k].read < w->want[k].n)
            return false;
    return true;
}

/* The family set's ids, asked for. Returns 0, -1 or -2 as read_round. */
static int want_family(struct rlink *c, struct record_walk *w)
{
    char key[KEY_LEN];
    family_key(w, key);
    const char *argv[] = {"SMEMBERS", key};
    redisReply *r = queue_rlink_command_argv(c, 2, argv, NULL);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_ARRAY ? 0 : -2;
    for (size_t i = 0; rc == 0 && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            want(w, REC_MEMBER, r->element[i]->str);
    freeReplyObject(r);
    return rc;
}

int queue_redecide_read_records(struct rlink *c, const char *prefix, const char *subscriber_id,
                                struct redecide_facts *out)
{
    struct record_walk w = {.prefix = prefix, .subscriber_id = subscriber_id};
    want(&w, REC_MEMBER, subscriber_id);
    int rc = want_family(c, &w);
    for (size_t i = 0; i < out->n_rows; i++)
        want(&w, REC_MEMBER, out->rows[i].member_id);
    while (rc == 0 && !w.no_memory && !all_read(&w))
        rc = read_round(c, &w);
    if (rc == 0 && w.no_memory)
        rc = -2;
    if (rc != 0 && rc != -1)
        log_error("re-decision: the family's records cannot be read");
    out->members = w.found[REC_MEMBER].list;
    out->n_members = w.found[REC_MEMBER].n;
    out->groups = w.found[REC_GROUP].list;
    out->n_groups = w.found[REC_GROUP].n;
    out->plans = w.found[REC_PLAN].list;
    out->n_plans = w.found[REC_PLAN].n;
    for (int k = 0; k < REC_KINDS; k++)
        free(w.want[k].ids);
    return rc;
}
