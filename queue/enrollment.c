#include "enrollment.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/redis_conn.h"
#include "queue/reply.h"

static const char *record_key_format(enum queue_record_kind kind)
{
    return kind == QUEUE_RECORD_GROUP    ? KEYF_GROUP
           : kind == QUEUE_RECORD_MEMBER ? KEYF_MEMBER
                                         : KEYF_PLAN;
}

static void record_key(char key[KEY_LEN], const char *prefix, enum queue_record_kind kind,
                       const char *id)
{
    snprintf(key, KEY_LEN, record_key_format(kind), prefix, id);
}

/* ---- reading ---- */

struct records_wait {
    queue_records_cb cb;
    void *arg;
    size_t n;
};

/* The MGET answer: one string or nil per record, in the asked order. */
static void on_records(redisReply *reply, void *arg)
{
    struct records_wait w = *(struct records_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != w.n) {
        w.cb(QUEUE_UNAVAILABLE, NULL, 0, w.arg);
        return;
    }
    const char *json[QUEUE_RECORDS_MAX];
    for (size_t i = 0; i < w.n; i++)
        json[i] = reply->element[i]->type == REDIS_REPLY_STRING ? reply->element[i]->str : NULL;
    w.cb(QUEUE_OK, json, w.n, w.arg);
}

int queue_get_records(struct rconn *rc, const char *prefix, const struct queue_record_ref *refs,
                      size_t n, queue_records_cb cb, void *arg)
{
    if (n == 0 || n > QUEUE_RECORDS_MAX)
        return -1;
    struct records_wait *w = malloc(sizeof *w);
    char(*keys)[KEY_LEN] = malloc(n * KEY_LEN);
    if (!w || !keys) {
        free(w);
        free(keys);
        return -1;
    }
    w->cb = cb;
    w->arg = arg;
    w->n = n;
    const char *argv[QUEUE_RECORDS_MAX + 1];
    argv[0] = "MGET";
    for (size_t i = 0; i < n; i++) {
        record_key(keys[i], prefix, refs[i].kind, refs[i].id);
        argv[i + 1] = keys[i];
    }
    int sent = rconn_command_argv(rc, on_records, w, (int)n + 1, argv, NULL);
    free(keys); /* hiredis formatted the command already */
    if (sent != 0) {
        free(w);
        return -1;
    }
    return 0;
}

int queue_record_exists(struct rconn *rc, const char *prefix, enum queue_record_kind kind,
                        const char *id, queue_status_cb cb, void *arg)
{
    char key[KEY_LEN];
    record_key(key, prefix, kind, id);
    return queue_key_exists(rc, key, cb, arg);
}

/* ---- writing ---- */

struct put_wait {
    queue_put_cb cb;
    void *arg;
};

static void on_put(redisReply *reply, void *arg)
{
    struct put_wait w = *(struct put_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        w.cb(QUEUE_UNAVAILABLE, false, w.arg);
        return;
    }
    /* EXEC's first answer is SET ... GET: the previous record or nil. */
    bool existed = reply->elements > 0 && reply->element[0]->type == REDIS_REPLY_STRING;
    w.cb(QUEUE_OK, existed, w.arg);
}

int queue_put_record(struct rconn *rc, const char *prefix, enum queue_record_kind kind,
                     const char *id, const char *json, const struct queue_member_facts *member,
                     const char *old_subscriber, queue_put_cb cb, void *arg)
{
    struct put_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char key[KEY_LEN];
    record_key(key, prefix, kind, id);
    if (rconn_command(rc, queue_ignore_reply, NULL, "MULTI") != 0) {
        free(w);
        return -1;
    }
    rconn_command(rc, queue_ignore_reply, NULL, "SET %s %s GET", key, json);
    if (member) {
        char fam[KEY_LEN];
        if (old_subscriber && old_subscriber[0] &&
            strcmp(old_subscriber, member->subscriber_id) != 0) {
            snprintf(fam, sizeof fam, KEYF_FAMILY, prefix, old_subscriber);
            rconn_command(rc, queue_ignore_reply, NULL, "SREM %s %s", fam, member->member_id);
        }
        snprintf(fam, sizeof fam, KEYF_FAMILY, prefix, member->subscriber_id);
        rconn_command(rc, queue_ignore_reply, NULL, "SADD %s %s", fam, member->member_id);
        /* What the intake step reads instead of the record (queue/intake.h). */
        char ref[KEY_LEN];
        snprintf(ref, sizeof ref, KEYF_MREF, SP0(prefix), member->member_id);
        rconn_command(rc, queue_ignore_reply, NULL,
                      "HSET %s subscriber_id %s group_id %s plan_id %s", ref, member->subscriber_id,
                      member->group_id, member->latest_plan_id);
    }
    if (rconn_command(rc, on_put, w, "EXEC") != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- blocking ---- */

/* Whether a blocking command was answered without an error; frees the reply. */
static bool stored(redisReply *r)
{
    bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (r)
        freeReplyObject(r);
    return ok;
}

int queue_put_record_blocking(struct rlink *c, const char *prefix, enum queue_record_kind kind,
                              const char *id, const char *json,
                              const struct queue_member_facts *member)
{
    if (member) {
        char fam[KEY_LEN], ref[KEY_LEN];
        snprintf(fam, sizeof fam, KEYF_FAMILY, prefix, member->subscriber_id);
        if (!stored(rlink_command(c, "SADD %s %s", fam, member->member_id)))
            return -1;
        snprintf(ref, sizeof ref, KEYF_MREF, SP0(prefix), member->member_id);
        if (!stored(rlink_command(c, "HSET %s subscriber_id %s group_id %s plan_id %s", ref,
                                  member->subscriber_id, member->group_id, member->latest_plan_id)))
            return -1;
    }
    char key[KEY_LEN];
    record_key(key, prefix, kind, id);
    return stored(rlink_command(c, "SET %s %s", key, json)) ? 0 : -1;
}

/* 1, 0 or -1 for an EXISTS of key. */
static int exists_blocking(struct rlink *c, const char *key)
{
    redisReply *r = rlink_command(c, "EXISTS %s", key);
    int answer = r && r->type == REDIS_REPLY_INTEGER ? r->integer != 0 : -1;
    if (r)
        freeReplyObject(r);
    return answer;
}

int queue_record_exists_blocking(struct rlink *c, const char *prefix, enum queue_record_kind kind,
                                 const char *id)
{
    char key[KEY_LEN];
    record_key(key, prefix, kind, id);
    return exists_blocking(c, key);
}

int queue_seeded_blocking(struct rlink *c, const char *prefix)
{
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_SEEDED, prefix);
    return exists_blocking(c, key);
}

int queue_mark_seeded_blocking(struct rlink *c, const char *prefix)
{
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_SEEDED, prefix);
    return stored(rlink_command(c, "SET %s 1", key)) ? 0 : -1;
}
