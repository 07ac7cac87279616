#include "enrollment.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "queue/keys.h"
#include "queue/members.h"
#include "queue/redis_conn.h"
#include "queue/reply.h"
#include "queue/shards.h"

/* The key of a group or plan record (unsharded); a member's key needs its
 * family (queue_member_key). */
static void record_key(char key[KEY_LEN], const char *prefix, enum queue_record_kind kind,
                       const char *id)
{
    snprintf(key, KEY_LEN, kind == QUEUE_RECORD_GROUP ? KEYF_GROUP : KEYF_PLAN, prefix, id);
}

/* ---- reading ---- */

/* A read of records: a member's key is known only once its directory entry
 * (queue/members.h) names its family, so members cost one more round trip. */
struct records_wait {
    struct rconn *rc;
    queue_records_cb cb;
    void *arg;
    size_t n;
    char prefix[SHARD_PREFIX_LEN];
    enum queue_record_kind kind[QUEUE_RECORDS_MAX];
    char id[QUEUE_RECORDS_MAX][ID_LEN];
    char sub[QUEUE_RECORDS_MAX][ID_LEN]; /* a member's subscriber, "" when unknown */
    int at[QUEUE_RECORDS_MAX];           /* the record's place in the MGET, -1: none */
    bool no_id[QUEUE_RECORDS_MAX];       /* an id too long to be one: no record */
};

/* The MGET answer: one string or nil per key, in the asked order. */
static void on_records(redisReply *reply, void *arg)
{
    struct records_wait *w = arg;
    size_t n_keys = 0;
    for (size_t i = 0; i < w->n; i++)
        n_keys += w->at[i] >= 0;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != n_keys) {
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, w->arg);
        free(w);
        return;
    }
    const char *json[QUEUE_RECORDS_MAX];
    for (size_t i = 0; i < w->n; i++) {
        const redisReply *r = w->at[i] >= 0 ? reply->element[w->at[i]] : NULL;
        json[i] = r && r->type == REDIS_REPLY_STRING ? r->str : NULL;
    }
    w->cb(QUEUE_OK, json, w->n, w->arg);
    free(w);
}

/* Reads every record whose key is known (one MGET). Returns 0 when the
 * caller is answered or will be (w is then theirs), -1 when nothing was sent
 * (w is still the caller's). */
static int read_known(struct records_wait *w)
{
    char(*keys)[KEY_LEN] = malloc(w->n * KEY_LEN);
    if (!keys)
        return -1;
    const char *argv[QUEUE_RECORDS_MAX + 1];
    int argc = 1;
    argv[0] = "MGET";
    for (size_t i = 0; i < w->n; i++) {
        w->at[i] = -1;
        if (w->no_id[i])
            continue;
        if (w->kind[i] == QUEUE_RECORD_MEMBER) {
            if (!w->sub[i][0])
                continue;
            queue_member_key(keys[i], w->prefix, w->sub[i], w->id[i]);
        } else {
            record_key(keys[i], w->prefix, w->kind[i], w->id[i]);
        }
        w->at[i] = argc - 1;
        argv[argc++] = keys[i];
    }
    int sent = argc == 1 ? 1 : queue_rconn_command_argv(w->rc, on_records, w, argc, argv, NULL);
    free(keys);    /* hiredis formatted the command already */
    if (sent == 1) /* no member has a directory entry: nothing to read */
        on_records(&(redisReply){.type = REDIS_REPLY_ARRAY, .elements = 0}, w);
    return sent == 1 ? 0 : sent;
}

/* EXEC's answer: each member's subscriber from its directory entry. */
static void on_directory(redisReply *reply, void *arg)
{
    struct records_wait *w = arg;
    size_t n_members = 0;
    for (size_t i = 0; i < w->n; i++)
        n_members += w->kind[i] == QUEUE_RECORD_MEMBER;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != n_members) {
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, w->arg);
        free(w);
        return;
    }
    for (size_t i = 0, j = 0; i < w->n; i++) {
        if (w->kind[i] != QUEUE_RECORD_MEMBER)
            continue;
        const redisReply *r = reply->element[j++];
        snprintf(w->sub[i], ID_LEN, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    }
    if (read_known(w) != 0) {
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, w->arg);
        free(w);
    }
}

int queue_get_records(struct rconn *rc, const char *prefix, const struct queue_record_ref *refs,
                      size_t n, queue_records_cb cb, void *arg)
{
    if (n == 0 || n > QUEUE_RECORDS_MAX)
        return -1;
    struct records_wait *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    *w = (struct records_wait){.rc = rc, .cb = cb, .arg = arg, .n = n};
    snprintf(w->prefix, sizeof w->prefix, "%s", prefix);
    size_t n_members = 0;
    for (size_t i = 0; i < n; i++) {
        w->kind[i] = refs[i].kind;
        w->no_id[i] = strlen(refs[i].id) >= ID_LEN;
        snprintf(w->id[i], ID_LEN, "%s", w->no_id[i] ? "" : refs[i].id);
        n_members += refs[i].kind == QUEUE_RECORD_MEMBER;
    }
    if (n_members == 0) {
        if (read_known(w) != 0) {
            free(w);
            return -1;
        }
        return 0;
    }
    if (queue_rconn_command(rc, queue_ignore_reply, NULL, "MULTI") != 0) {
        free(w);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (refs[i].kind != QUEUE_RECORD_MEMBER)
            continue;
        char ref[KEY_LEN];
        queue_member_ref_key(ref, prefix, w->id[i]);
        queue_rconn_command(rc, queue_ignore_reply, NULL, "HGET %s subscriber_id", ref);
    }
    if (queue_rconn_command(rc, on_directory, w, "EXEC") != 0) {
        free(w);
        return -1;
    }
    return 0;
}

struct exists_wait {
    queue_status_cb cb;
    void *arg;
};

static void on_member_read(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct exists_wait w = *(struct exists_wait *)arg;
    free(arg);
    if (status != QUEUE_OK || n != 1)
        w.cb(QUEUE_UNAVAILABLE, w.arg);
    else
        w.cb(json[0] ? QUEUE_OK : QUEUE_NOT_FOUND, w.arg);
}

int queue_record_exists(struct rconn *rc, const char *prefix, enum queue_record_kind kind,
                        const char *id, queue_status_cb cb, void *arg)
{
    char key[KEY_LEN];
    if (kind != QUEUE_RECORD_MEMBER) {
        record_key(key, prefix, kind, id);
        return queue_key_exists(rc, key, cb, arg);
    }
    /* A member: its directory entry, then its record. */
    struct exists_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    *w = (struct exists_wait){cb, arg};
    struct queue_record_ref ref = {kind, id};
    if (queue_get_records(rc, prefix, &ref, 1, on_member_read, w) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- writing ---- */

/*
 * A member's record in steps (queue_put_record): 1. on its family's shard,
 * in one transaction, the record (SET ... GET), its family set, and when it
 * left a family of the same shard that family's set; 2. when it left a
 * family of another shard, there the old record (GETDEL) and the old set;
 * 3. its directory entry. A crash after 1 leaves the directory naming the
 * old family (reads by id see the old record); after 2, a directory naming a
 * family without its record; queue_member_refs_backfill repairs the second
 * at start, and the caller's retry of the write (its answer was lost)
 * finishes either.
 */
struct put_wait {
    struct rconn *rc;
    queue_put_cb cb;
    void *arg;
    bool existed;
    char prefix[SHARD_PREFIX_LEN];
    char id[ID_LEN], sub[ID_LEN], group[ID_LEN], plan[ID_LEN], old_sub[ID_LEN];
};

static void put_done(struct put_wait *w, enum queue_status status)
{
    w->cb(status, status == QUEUE_OK && w->existed, w->arg);
    free(w);
}

static void on_ref_written(enum queue_status status, void *arg)
{
    put_done(arg, status);
}

static void put_ref(struct put_wait *w)
{
    if (queue_member_dir_put(w->rc, w->prefix, w->id, w->sub, w->group, w->plan, on_ref_written,
                             w) != 0)
        put_done(w, QUEUE_UNAVAILABLE);
}

/* Step 2's EXEC: GETDEL's answer is the old record or nil. */
static void on_old_family(redisReply *reply, void *arg)
{
    struct put_wait *w = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        put_done(w, QUEUE_UNAVAILABLE);
        return;
    }
    w->existed = w->existed || reply->element[0]->type == REDIS_REPLY_STRING;
    put_ref(w);
}

/* Whether the member left a family of another shard (its old record's key
 * differs from its new one). */
static bool moves_shard(const struct put_wait *w)
{
    return w->old_sub[0] && queue_shard_of_family(w->old_sub) != queue_shard_of_family(w->sub);
}

/* Step 1's EXEC: SET ... GET's answer is the previous record or nil. */
static void on_new_family(redisReply *reply, void *arg)
{
    struct put_wait *w = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
        put_done(w, QUEUE_UNAVAILABLE);
        return;
    }
    w->existed = reply->element[0]->type == REDIS_REPLY_STRING;
    if (!moves_shard(w)) {
        put_ref(w);
        return;
    }
    char key[KEY_LEN], fam[KEY_LEN];
    queue_member_key(key, w->prefix, w->old_sub, w->id);
    queue_family_key(fam, w->prefix, w->old_sub);
    if (queue_rconn_command(w->rc, queue_ignore_reply, NULL, "MULTI") != 0) {
        put_done(w, QUEUE_UNAVAILABLE);
        return;
    }
    queue_rconn_command(w->rc, queue_ignore_reply, NULL, "GETDEL %s", key);
    queue_rconn_command(w->rc, queue_ignore_reply, NULL, "SREM %s %s", fam, w->id);
    if (queue_rconn_command(w->rc, on_old_family, w, "EXEC") != 0)
        put_done(w, QUEUE_UNAVAILABLE);
}

static int put_member(struct rconn *rc, const char *prefix, const char *json,
                      const struct queue_member_facts *m, const char *old_subscriber,
                      queue_put_cb cb, void *arg)
{
    const char *texts[] = {m->member_id, m->subscriber_id, m->group_id, m->latest_plan_id,
                           old_subscriber ? old_subscriber : ""};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (strlen(texts[i]) >= ID_LEN)
            return -1;
    struct put_wait *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    *w = (struct put_wait){.rc = rc, .cb = cb, .arg = arg};
    snprintf(w->prefix, sizeof w->prefix, "%s", prefix);
    snprintf(w->id, ID_LEN, "%s", m->member_id);
    snprintf(w->sub, ID_LEN, "%s", m->subscriber_id);
    snprintf(w->group, ID_LEN, "%s", m->group_id);
    snprintf(w->plan, ID_LEN, "%s", m->latest_plan_id);
    if (old_subscriber && strcmp(old_subscriber, m->subscriber_id) != 0)
        snprintf(w->old_sub, ID_LEN, "%s", old_subscriber);
    char key[KEY_LEN], fam[KEY_LEN];
    queue_member_key(key, prefix, w->sub, w->id);
    queue_family_key(fam, prefix, w->sub);
    if (queue_rconn_command(rc, queue_ignore_reply, NULL, "MULTI") != 0) {
        free(w);
        return -1;
    }
    queue_rconn_command(rc, queue_ignore_reply, NULL, "SET %s %s GET", key, json);
    if (w->old_sub[0] && !moves_shard(w)) {
        queue_family_key(fam, prefix, w->old_sub);
        queue_rconn_command(rc, queue_ignore_reply, NULL, "SREM %s %s", fam, w->id);
        queue_family_key(fam, prefix, w->sub);
    }
    queue_rconn_command(rc, queue_ignore_reply, NULL, "SADD %s %s", fam, w->id);
    if (queue_rconn_command(rc, on_new_family, w, "EXEC") != 0) {
        free(w);
        return -1;
    }
    return 0;
}

struct plain_wait {
    queue_put_cb cb;
    void *arg;
};

/* SET ... GET's answer: the previous record or nil. */
static void on_put(redisReply *reply, void *arg)
{
    struct plain_wait w = *(struct plain_wait *)arg;
    free(arg);
    if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL)) {
        w.cb(QUEUE_UNAVAILABLE, false, w.arg);
        return;
    }
    w.cb(QUEUE_OK, reply->type == REDIS_REPLY_STRING, w.arg);
}

int queue_put_record(struct rconn *rc, const char *prefix, enum queue_record_kind kind,
                     const char *id, const char *json, const struct queue_member_facts *member,
                     const char *old_subscriber, queue_put_cb cb, void *arg)
{
    if (member)
        return put_member(rc, prefix, json, member, old_subscriber, cb, arg);
    struct plain_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char key[KEY_LEN];
    record_key(key, prefix, kind, id);
    if (queue_rconn_command(rc, on_put, w, "SET %s %s GET", key, json) != 0) {
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
    char key[KEY_LEN];
    if (!member) {
        record_key(key, prefix, kind, id);
        return stored(queue_rlink_command(c, "SET %s %s", key, json)) ? 0 : -1;
    }
    /* The record and its family set on the family's shard, then the
     * directory entry (as queue_put_record). */
    char fam[KEY_LEN], ref[KEY_LEN];
    queue_member_key(key, prefix, member->subscriber_id, member->member_id);
    queue_family_key(fam, prefix, member->subscriber_id);
    queue_member_ref_key(ref, prefix, member->member_id);
    if (!stored(queue_rlink_command(c, "SET %s %s", key, json)) ||
        !stored(queue_rlink_command(c, "SADD %s %s", fam, member->member_id)))
        return -1;
    return stored(queue_rlink_command(c, "HSET %s subscriber_id %s group_id %s plan_id %s", ref,
                                      member->subscriber_id, member->group_id,
                                      member->latest_plan_id))
               ? 0
               : -1;
}

/* 1, 0 or -1 for an EXISTS of key. */
static int exists_blocking(struct rlink *c, const char *key)
{
    redisReply *r = queue_rlink_command(c, "EXISTS %s", key);
    int answer = r && r->type == REDIS_REPLY_INTEGER ? r->integer != 0 : -1;
    if (r)
        freeReplyObject(r);
    return answer;
}

int queue_record_exists_blocking(struct rlink *c, const char *prefix, enum queue_record_kind kind,
                                 const char *id)
{
    char key[KEY_LEN];
    if (kind != QUEUE_RECORD_MEMBER) {
        record_key(key, prefix, kind, id);
        return exists_blocking(c, key);
    }
    char sub[ID_LEN];
    int known = queue_member_subscriber_blocking(c, prefix, id, sub);
    if (known != 1)
        return known;
    queue_member_key(key, prefix, sub, id);
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
    return stored(queue_rlink_command(c, "SET %s 1", key)) ? 0 : -1;
}
