#include "members.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "queue/redis_conn.h"
#include "queue/reply.h"
#include "queue/shards.h"

void queue_member_key(char key[KEY_LEN], const char *prefix, const char *subscriber_id,
                      const char *member_id)
{
    snprintf(key, KEY_LEN, KEYF_MEMBER, FAMILY_PREFIX(prefix, subscriber_id), member_id);
}

void queue_family_key(char key[KEY_LEN], const char *prefix, const char *subscriber_id)
{
    snprintf(key, KEY_LEN, KEYF_FAMILY, FAMILY_PREFIX(prefix, subscriber_id), subscriber_id);
}

void queue_member_ref_key(char key[KEY_LEN], const char *prefix, const char *member_id)
{
    snprintf(key, KEY_LEN, KEYF_MREF, prefix, member_id);
}

/* ---- the directory, on the event loop ---- */

struct ref_wait {
    queue_member_dir_cb cb;
    void *arg;
};

static void copy_reply_str(char *out, size_t size, const redisReply *r)
{
    snprintf(out, size, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
}

/* Fills ref from an HMGET of subscriber_id, group_id, plan_id; false when
 * the answer is no such array, or the entry has no subscriber. */
static bool ref_from_reply(const redisReply *r, struct queue_member_ref *ref)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len == 0)
        return false;
    copy_reply_str(ref->subscriber_id, sizeof ref->subscriber_id, r->element[0]);
    copy_reply_str(ref->group_id, sizeof ref->group_id, r->element[1]);
    copy_reply_str(ref->plan_id, sizeof ref->plan_id, r->element[2]);
    return true;
}

static void on_ref(redisReply *reply, void *arg)
{
    struct ref_wait w = *(struct ref_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        w.cb(QUEUE_UNAVAILABLE, NULL, w.arg);
        return;
    }
    struct queue_member_ref ref;
    if (!ref_from_reply(reply, &ref)) {
        w.cb(QUEUE_NOT_FOUND, NULL, w.arg);
        return;
    }
    w.cb(QUEUE_OK, &ref, w.arg);
}

int queue_member_dir_get(struct rconn *rc, const char *prefix, const char *member_id,
                         queue_member_dir_cb cb, void *arg)
{
    struct ref_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char key[KEY_LEN];
    queue_member_ref_key(key, prefix, member_id);
    if (queue_rconn_command(rc, on_ref, w, "HMGET %s subscriber_id group_id plan_id", key) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

static enum queue_status ref_put_status(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_INTEGER ? QUEUE_OK : QUEUE_UNAVAILABLE;
}

int queue_member_dir_put(struct rconn *rc, const char *prefix, const char *member_id,
                         const char *subscriber_id, const char *group_id, const char *plan_id,
                         queue_status_cb cb, void *arg)
{
    char key[KEY_LEN];
    queue_member_ref_key(key, prefix, member_id);
    if (!cb)
        return queue_rconn_command(rc, queue_ignore_reply, NULL,
                                   "HSET %s subscriber_id %s group_id %s plan_id %s", key,
                                   subscriber_id, group_id, plan_id);
    struct queue_status_wait *w = queue_status_wait_new(ref_put_status, cb, arg);
    if (!w)
        return -1;
    if (queue_rconn_command(rc, queue_on_status_reply, w,
                            "HSET %s subscriber_id %s group_id %s plan_id %s", key, subscriber_id,
                            group_id, plan_id) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

int queue_member_subscriber_blocking(struct rlink *c, const char *prefix, const char *member_id,
                                     char subscriber_id[ID_LEN])
{
    char key[KEY_LEN];
    queue_member_ref_key(key, prefix, member_id);
    redisReply *r = queue_rlink_command(c, "HGET %s subscriber_id", key);
    int answer = -1;
    if (r && r->type == REDIS_REPLY_STRING)
        answer = r->len > 0;
    else if (r && r->type == REDIS_REPLY_NIL)
        answer = 0;
    snprintf(subscriber_id, ID_LEN, "%s", answer == 1 ? r->str : "");
    if (r)
        freeReplyObject(r);
    return answer;
}

/* ---- start-up: the layout of an earlier version, the directory ---- */

/* A member record's directory fields: subscriber, group, latest span's plan.
 * Returns 0, or -1 when the text is no JSON object. */
static int ref_fields(const char *json, char sub[ID_LEN], char group[ID_LEN], char plan[ID_LEN])
{
    json_object *m = json_tokener_parse(json);
    if (!m || !json_object_is_type(m, json_type_object)) {
        json_object_put(m);
        return -1;
    }
    json_object *v, *cov;
    snprintf(sub, ID_LEN, "%s",
             json_object_object_get_ex(m, "subscriber_id", &v) &&
                     json_object_is_type(v, json_type_string)
                 ? json_object_get_string(v)
                 : "");
    snprintf(group, ID_LEN, "%s",
             json_object_object_get_ex(m, "group_id", &v) &&
                     json_object_is_type(v, json_type_string)
                 ? json_object_get_string(v)
                 : "");
    plan[0] = '\0';
    if (json_object_object_get_ex(m, "coverage", &cov) &&
        json_object_is_type(cov, json_type_array) && json_object_array_length(cov) > 0) {
        json_object *last = json_object_array_get_idx(cov, json_object_array_length(cov) - 1);
        if (json_object_object_get_ex(last, "plan_id", &v) &&
            json_object_is_type(v, json_type_string))
            snprintf(plan, ID_LEN, "%s", json_object_get_string(v));
    }
    json_object_put(m);
    return 0;
}

/* What is done with one SCAN page (an array of key names): 0, or -1 when
 * Redis failed. */
typedef int (*page_fn)(struct rlink *c, const redisReply *keys, void *ctx);

/* Every key matching pattern, a SCAN page at a time, on every master (SCAN
 * runs on one node). Returns 0, or -1 when Redis failed. */
static int scan_pages(struct rlink *c, const char *pattern, page_fn fn, void *ctx)
{
    for (int m = 0; m < queue_rlink_masters(c); m++) {
        char cursor[32] = "0";
        do {
            const char *argv[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", "500"};
            size_t lens[6];
            for (int i = 0; i < 6; i++)
                lens[i] = strlen(argv[i]);
            redisReply *r = queue_rlink_command_on_master(c, m, 6, argv, lens);
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                r->element[0]->type != REDIS_REPLY_STRING ||
                r->element[1]->type != REDIS_REPLY_ARRAY) {
                if (r)
                    freeReplyObject(r);
                return -1;
            }
            snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
            int rc = fn(c, r->element[1], ctx);
            freeReplyObject(r);
            if (rc != 0)
                return -1;
        } while (strcmp(cursor, "0") != 0);
    }
    return 0;
}

/* A blocking command's integer answer, -1 when Redis failed; frees it. */
static long long int_answer(redisReply *r)
{
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    return v;
}

/* Whether a blocking command was answered without an error; frees it. */
static bool answered(redisReply *r)
{
    bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (r)
        freeReplyObject(r);
    return ok;
}

struct migrate_ctx {
    const char *prefix;
    size_t old_len; /* of the earlier version's key prefix ("<prefix>member:") */
    long moved, skipped;
};

/* Moves one page of member records of an earlier version to their family's
 * shard (SET NX: a record written there since is newer), then drops the old. */
static int migrate_members(struct rlink *c, const redisReply *keys, void *arg)
{
    struct migrate_ctx *m = arg;
    for (size_t i = 0; i < keys->elements; i++) {
        const redisReply *k = keys->element[i];
        if (k->type != REDIS_REPLY_STRING || k->len <= m->old_len)
            continue;
        char sub[ID_LEN], group[ID_LEN], plan[ID_LEN], key[KEY_LEN];
        redisReply *r = queue_rlink_command(c, "GET %s", k->str);
        if (!r)
            return -1;
        bool ok =
            r->type == REDIS_REPLY_STRING && ref_fields(r->str, sub, group, plan) == 0 && sub[0];
        if (!ok) {
            m->skipped += r->type == REDIS_REPLY_STRING;
            freeReplyObject(r);
            continue;
        }
        queue_member_key(key, m->prefix, sub, k->str + m->old_len);
        bool set = answered(queue_rlink_command(c, "SET %s %b NX", key, r->str, r->len));
        freeReplyObject(r);
        if (!set)
            return -1;
        if (int_answer(queue_rlink_command(c, "DEL %s", k->str)) < 0)
            return -1;
        m->moved++;
    }
    return 0;
}

/* Moves one page of family sets of an earlier version to their family's
 * shard (a union with what is there), then drops the old. */
static int migrate_families(struct rlink *c, const redisReply *keys, void *arg)
{
    struct migrate_ctx *m = arg;
    for (size_t i = 0; i < keys->elements; i++) {
        const redisReply *k = keys->element[i];
        if (k->type != REDIS_REPLY_STRING || k->len <= m->old_len)
            continue;
        redisReply *r = queue_rlink_command(c, "SMEMBERS %s", k->str);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject(r);
            return -1;
        }
        char key[KEY_LEN];
        queue_family_key(key, m->prefix, k->str + m->old_len);
        for (size_t j = 0; j < r->elements; j++) {
            if (r->element[j]->type == REDIS_REPLY_STRING &&
                int_answer(queue_rlink_command(c, "SADD %s %s", key, r->element[j]->str)) < 0) {
                freeReplyObject(r);
                return -1;
            }
        }
        freeReplyObject(r);
        if (int_answer(queue_rlink_command(c, "DEL %s", k->str)) < 0)
            return -1;
        m->moved++;
    }
    return 0;
}

/* Deletes one page of keys (the directory of an earlier version). */
static int delete_page(struct rlink *c, const redisReply *keys, void *arg)
{
    long *deleted = arg;
    for (size_t i = 0; i < keys->elements; i++) {
        if (keys->element[i]->type != REDIS_REPLY_STRING)
            continue;
        long long n = int_answer(queue_rlink_command(c, "DEL %s", keys->element[i]->str));
        if (n < 0)
            return -1;
        *deleted += (long)n;
    }
    return 0;
}

/* Step 1 and 3 of queue_member_refs_backfill's contract: the earlier
 * version's records and family sets moved, its directory deleted (after
 * step 2, by the caller). Returns 0 or -1. */
static int migrate_earlier_layout(struct rlink *c, const char *prefix)
{
    char pattern[KEY_LEN + 1];
    struct migrate_ctx members = {prefix, 0, 0, 0}, families = {prefix, 0, 0, 0};
    members.old_len = (size_t)snprintf(pattern, sizeof pattern, KEYF_MEMBER, prefix, "");
    strcat(pattern, "*");
    if (scan_pages(c, pattern, migrate_members, &members) != 0)
        return -1;
    families.old_len = (size_t)snprintf(pattern, sizeof pattern, KEYF_FAMILY, prefix, "");
    strcat(pattern, "*");
    if (scan_pages(c, pattern, migrate_families, &families) != 0)
        return -1;
    if (members.moved || families.moved)
        log_info("moved %ld member records and %ld family sets of an earlier version to their "
                 "family's shard",
                 members.moved, families.moved);
    if (members.skipped)
        log_warn("%ld member records of an earlier version have no subscriber and were left "
                 "where they are",
                 members.skipped);
    return 0;
}

struct rebuild_ctx {
    const char *prefix;
    long written, left;
};

/* The member id of key when it is a member record of this layout (one of
 * its shards' prefixes followed by "member:"), with its shard; NULL when
 * not. */
static const char *record_member_id(const char *prefix, const char *key, int *shard)
{
    for (int s = 0; s < queue_shard_count(); s++) {
        char head[KEY_LEN];
        int n = snprintf(head, sizeof head, KEYF_MEMBER, SHARD_PREFIX(prefix, s), "");
        if (n > 0 && strncmp(key, head, (size_t)n) == 0 && key[n]) {
            *shard = s;
            return key + n;
        }
    }
    return NULL;
}

/* Whether the directory entry `dir` (an HMGET answer) must be written from
 * the record's fields: 1 when it is missing, differs for the same
 * subscriber, or names a family where the member has no record; 0 when it
 * is up to date; 2 when it names another family that has a record of the
 * member too (a move cut between its steps: the entry stands); -1 when Redis
 * failed. */
static int ref_outdated(struct rlink *c, const char *prefix, const char *id, const redisReply *dir,
                        const char *sub, const char *group, const char *plan)
{
    struct queue_member_ref ref;
    if (!ref_from_reply(dir, &ref))
        return 1;
    if (strcmp(ref.subscriber_id, sub) == 0)
        return strcmp(ref.group_id, group) != 0 || strcmp(ref.plan_id, plan) != 0;
    char key[KEY_LEN];
    queue_member_key(key, prefix, ref.subscriber_id, id);
    long long there = int_answer(queue_rlink_command(c, "EXISTS %s", key));
    return there == 0 ? 1 : there > 0 ? 2 : -1;
}

/* One page of member records: each record's directory entry read (one
 * pipeline), and written where ref_outdated says so. */
static int rebuild_page(struct rlink *c, const redisReply *keys, void *arg)
{
    struct rebuild_ctx *rb = arg;
    size_t n = keys->elements;
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    redisReply **got = calloc(n ? 2 * n : 1, sizeof *got);
    int rc = ids && got ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int shard;
        const redisReply *k = keys->element[i];
        ids[i] =
            k->type == REDIS_REPLY_STRING ? record_member_id(rb->prefix, k->str, &shard) : NULL;
        if (!ids[i])
            continue;
        char ref[KEY_LEN];
        queue_member_ref_key(ref, rb->prefix, ids[i]);
        queue_rlink_append(c, "GET %s", k->str);
        queue_rlink_append(c, "HMGET %s subscriber_id group_id plan_id", ref);
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        if (ids[i] && (queue_rlink_get_reply(c, &got[2 * i]) != REDIS_OK ||
                       queue_rlink_get_reply(c, &got[2 * i + 1]) != REDIS_OK))
            rc = -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char sub[ID_LEN], group[ID_LEN], plan[ID_LEN];
        const redisReply *rec = got[2 * i];
        if (!ids[i] || !rec || rec->type != REDIS_REPLY_STRING ||
            ref_fields(rec->str, sub, group, plan) != 0 || !sub[0])
            continue;
        int stale = ref_outdated(c, rb->prefix, ids[i], got[2 * i + 1], sub, group, plan);
        char ref[KEY_LEN];
        queue_member_ref_key(ref, rb->prefix, ids[i]);
        if (stale == 1)
            stale =
                answered(queue_rlink_command(c, "HSET %s subscriber_id %s group_id %s plan_id %s",
                                             ref, sub, group, plan))
                    ? 1
                    : -1;
        if (stale < 0)
            rc = -1;
        rb->written += stale == 1;
        rb->left += stale == 2;
    }
    for (size_t i = 0; got && i < 2 * n; i++)
        if (got[i])
            freeReplyObject(got[i]);
    free(got);
    free(ids);
    return rc;
}

long queue_member_refs_backfill(struct rlink *c, const char *prefix)
{
    if (migrate_earlier_layout(c, prefix) != 0)
        return -1;
    /* Every shard's records in one walk: the tag is matched by "{*}" and
     * checked against the layout's shards key by key. */
    char pattern[KEY_LEN + 8];
    snprintf(pattern, sizeof pattern, "%s{*}member:*", prefix);
    struct rebuild_ctx rb = {prefix, 0, 0};
    if (scan_pages(c, pattern, rebuild_page, &rb) != 0)
        return -1;
    if (rb.written > 0)
        log_info("wrote the member directory entries of %ld member records", rb.written);
    if (rb.left > 0)
        log_warn("%ld member records are in a family other than their directory entry's, which "
                 "also has one (a change of family cut short): the next write of the member "
                 "settles it",
                 rb.left);
    /* The directory of an earlier version was on the claims shard "{c}". */
    long deleted = 0;
    snprintf(pattern, sizeof pattern, "%s{c}mref:*", prefix);
    if (scan_pages(c, pattern, delete_page, &deleted) != 0)
        return -1;
    if (deleted > 0)
        log_info("deleted %ld member directory entries of an earlier version", deleted);
    return rb.written;
}
