#include "family_write.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "queue/keys.h"
#include "queue/members.h"
#include "queue/redis_conn.h"
#include "queue/reply.h"
#include "queue/scripts.h"
#include "queue/shards.h"

/*
 * A family's records, on the family's shard: the sorted ids of the family
 * set, each with its record, and the record of the id an event adds.
 * KEYS: 1 family set, 2 the added id's member record (or the family set again
 *       when there is none)
 * ARGV: 1 the member key prefix of the family's shard ("<prefix>{tag}member:"),
 *       2 "1" when KEYS[2] is an added member's key
 * Returns {added or nil, id1, record1 or nil, id2, ...}.
 */
static struct script script_family_read = {
    "family_read",
    "local ids = redis.call('SMEMBERS', KEYS[1])\n"
    "table.sort(ids)\n"
    "local added = false\n"
    "if ARGV[2] == '1' then added = redis.call('GET', KEYS[2]) end\n"
    "local out = {added}\n"
    "for _, id in ipairs(ids) do\n"
    "  out[#out + 1] = id\n"
    "  out[#out + 1] = redis.call('GET', ARGV[1] .. id)\n"
    "end\n"
    "return out\n",
    "",
};

/*
 * Compare-and-set of a family's member records (family_write.h says why not
 * WATCH), every key on the family's shard. Nothing is written unless the
 * family set holds exactly the ids read and every record is as read.
 * KEYS: 1 family set, 2 family version, then per record its member key
 * ARGV: 1 number of records, 2 the family ids read joined by ",", 3 the
 *       version's tag, then per record: member id, expected record ("" for
 *       none), new record
 * Returns "ok" or "conflict".
 */
static struct script script_family_write = {
    "family_write",
    "local n = tonumber(ARGV[1])\n"
    "local ids = redis.call('SMEMBERS', KEYS[1])\n"
    "table.sort(ids)\n"
    "if table.concat(ids, ',') ~= ARGV[2] then return 'conflict' end\n"
    "for i = 0, n - 1 do\n"
    "  local cur = redis.call('GET', KEYS[3 + i]) or ''\n"
    "  if cur ~= ARGV[5 + 3 * i] then return 'conflict' end\n"
    "end\n"
    "for i = 0, n - 1 do\n"
    "  redis.call('SET', KEYS[3 + i], ARGV[6 + 3 * i])\n"
    "  redis.call('SADD', KEYS[1], ARGV[4 + 3 * i])\n"
    "end\n"
    "local v = redis.call('GET', KEYS[2]) or '0'\n"
    "redis.call('SET', KEYS[2], ((tonumber(string.match(v, '^%d+')) or 0) + 1) .. ':' .. ARGV[3])\n"
    "return 'ok'\n",
    "",
};

void queue_family_write_scripts_init(void)
{
    queue_script_init(&script_family_read);
    queue_script_init(&script_family_write);
}

/* ---- reading ---- */

/* A family read in steps: the group (unsharded) and the added id's directory
 * entry; the added id's record when its directory names another shard's
 * family; then the family's records in one script on its shard. */
struct read_wait {
    struct rconn *rc;
    queue_family_cb cb;
    void *arg;
    char prefix[SHARD_PREFIX_LEN];
    char sub[ID_LEN], added_id[ID_LEN], added_sub[ID_LEN];
    char *group, *added; /* as read, NULL when absent */
    bool added_read;     /* added holds the added id's record (read elsewhere) */
};

static void read_done(struct read_wait *w, enum queue_status status, const struct queue_family *fam)
{
    w->cb(status, status == QUEUE_OK ? fam : NULL, w->arg);
    free(w->group);
    free(w->added);
    free(w);
}

static const char *string_or_null(const redisReply *r)
{
    return r->type == REDIS_REPLY_STRING ? r->str : NULL;
}

/* A copy of a string answer (out NULL for nil); false when out of memory. */
static bool copy_answer(const redisReply *r, char **out)
{
    *out = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
    return r->type != REDIS_REPLY_STRING || *out;
}

static void on_family(redisReply *reply, void *arg)
{
    struct read_wait *w = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->elements % 2 != 1) {
        read_done(w, QUEUE_UNAVAILABLE, NULL);
        return;
    }
    size_t n = (reply->elements - 1) / 2;
    if (n > QUEUE_FAMILY_MAX) {
        read_done(w, QUEUE_CONFLICT, NULL);
        return;
    }
    struct queue_family fam;
    memset(&fam, 0, sizeof fam);
    fam.group = w->group;
    fam.added = w->added_read ? w->added : string_or_null(reply->element[0]);
    for (size_t i = 0; i < n; i++) {
        const redisReply *id = reply->element[1 + 2 * i];
        if (id->type != REDIS_REPLY_STRING) {
            read_done(w, QUEUE_UNAVAILABLE, NULL);
            return;
        }
        fam.ids[i] = id->str;
        fam.records[i] = string_or_null(reply->element[2 + 2 * i]);
    }
    fam.n = n;
    read_done(w, QUEUE_OK, &fam);
}

/* The family's records, on its shard. */
static void read_family_records(struct read_wait *w)
{
    char k_fam[KEY_LEN], k_added[KEY_LEN], member_prefix[KEY_LEN];
    bool in_script = w->added_id[0] && !w->added_read;
    queue_family_key(k_fam, w->prefix, w->sub);
    queue_member_key(k_added, w->prefix, w->sub, w->added_id);
    queue_member_key(member_prefix, w->prefix, w->sub, "");
    const char *keys[2] = {k_fam, in_script ? k_added : k_fam};
    const char *args[2] = {member_prefix, in_script ? "1" : "0"};
    if (queue_script_eval_async(w->rc, &script_family_read, on_family, w, 2, keys, 2, args, NULL) !=
        0)
        read_done(w, QUEUE_UNAVAILABLE, NULL);
}

static void on_added_elsewhere(redisReply *reply, void *arg)
{
    struct read_wait *w = arg;
    if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL) ||
        !copy_answer(reply, &w->added)) {
        read_done(w, QUEUE_UNAVAILABLE, NULL);
        return;
    }
    w->added_read = true;
    read_family_records(w);
}

/* EXEC's answer: the group's record, and the added id's subscriber. */
static void on_group(redisReply *reply, void *arg)
{
    struct read_wait *w = arg;
    size_t want = w->added_id[0] ? 2 : 1;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != want ||
        !copy_answer(reply->element[0], &w->group)) {
        read_done(w, QUEUE_UNAVAILABLE, NULL);
        return;
    }
    if (want == 2 && reply->element[1]->type == REDIS_REPLY_STRING)
        snprintf(w->added_sub, sizeof w->added_sub, "%s", reply->element[1]->str);
    if (!w->added_sub[0] || queue_shard_of_family(w->added_sub) == queue_shard_of_family(w->sub)) {
        read_family_records(w); /* the added id's record, if any, is on this shard */
        return;
    }
    char key[KEY_LEN];
    queue_member_key(key, w->prefix, w->added_sub, w->added_id);
    if (queue_rconn_command(w->rc, on_added_elsewhere, w, "GET %s", key) != 0)
        read_done(w, QUEUE_UNAVAILABLE, NULL);
}

int queue_family_read(struct rconn *rc, const char *prefix, const char *subscriber_id,
                      const char *group_id, const char *added_id, queue_family_cb cb, void *arg)
{
    if (strlen(subscriber_id) >= ID_LEN || (added_id && strlen(added_id) >= ID_LEN))
        return -1;
    struct read_wait *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    *w = (struct read_wait){.rc = rc, .cb = cb, .arg = arg};
    snprintf(w->prefix, sizeof w->prefix, "%s", prefix);
    snprintf(w->sub, sizeof w->sub, "%s", subscriber_id);
    snprintf(w->added_id, sizeof w->added_id, "%s", added_id ? added_id : "");
    char k_group[KEY_LEN], k_ref[KEY_LEN];
    snprintf(k_group, sizeof k_group, KEYF_GROUP, prefix, group_id);
    queue_member_ref_key(k_ref, prefix, w->added_id);
    if (queue_rconn_command(rc, queue_ignore_reply, NULL, "MULTI") != 0) {
        free(w);
        return -1;
    }
    queue_rconn_command(rc, queue_ignore_reply, NULL, "GET %s", k_group);
    if (w->added_id[0])
        queue_rconn_command(rc, queue_ignore_reply, NULL, "HGET %s subscriber_id", k_ref);
    if (queue_rconn_command(rc, on_group, w, "EXEC") != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- writing ---- */

/* The directory entries of the records written, once the compare-and-set
 * answered "ok" (a second step: members.h says what a crash between leaves). */
struct write_wait {
    struct rconn *rc;
    queue_status_cb cb;
    void *arg;
    char prefix[SHARD_PREFIX_LEN];
    size_t n;
    struct {
        char member_id[ID_LEN], subscriber_id[ID_LEN], group_id[ID_LEN], plan_id[ID_LEN];
    } refs[QUEUE_FAMILY_MAX + 1];
};

static void on_refs_written(redisReply *reply, void *arg)
{
    struct write_wait *w = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        log_warn("a family's member directory entries were not written (the next write of "
                 "those members, or the next start, writes them)");
    w->cb(QUEUE_OK, w->arg);
    free(w);
}

static void write_refs(struct write_wait *w)
{
    if (queue_rconn_command(w->rc, queue_ignore_reply, NULL, "MULTI") != 0) {
        on_refs_written(NULL, w);
        return;
    }
    for (size_t i = 0; i < w->n; i++) {
        char key[KEY_LEN];
        queue_member_ref_key(key, w->prefix, w->refs[i].member_id);
        queue_rconn_command(w->rc, queue_ignore_reply, NULL,
                            "HSET %s subscriber_id %s group_id %s plan_id %s", key,
                            w->refs[i].subscriber_id, w->refs[i].group_id, w->refs[i].plan_id);
    }
    if (queue_rconn_command(w->rc, on_refs_written, w, "EXEC") != 0)
        on_refs_written(NULL, w);
}

static void on_written(redisReply *reply, void *arg)
{
    struct write_wait *w = arg;
    if (!reply || reply->type != REDIS_REPLY_STRING || strcmp(reply->str, "ok") != 0) {
        w->cb(reply && reply->type == REDIS_REPLY_STRING ? QUEUE_CONFLICT : QUEUE_UNAVAILABLE,
              w->arg);
        free(w);
        return;
    }
    write_refs(w);
}

/* The wait record with each record's directory fields; NULL when out of
 * memory or an id is too long. */
static struct write_wait *write_wait_new(struct rconn *rc, const char *prefix,
                                         const struct queue_family_record *records, size_t n)
{
    struct write_wait *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    *w = (struct write_wait){.rc = rc, .n = n};
    snprintf(w->prefix, sizeof w->prefix, "%s", prefix);
    for (size_t i = 0; i < n; i++) {
        const struct queue_family_record *r = &records[i];
        if (strlen(r->member_id) >= ID_LEN || strlen(r->subscriber_id) >= ID_LEN ||
            strlen(r->group_id) >= ID_LEN || strlen(r->latest_plan_id) >= ID_LEN) {
            free(w);
            return NULL;
        }
        snprintf(w->refs[i].member_id, ID_LEN, "%s", r->member_id);
        snprintf(w->refs[i].subscriber_id, ID_LEN, "%s", r->subscriber_id);
        snprintf(w->refs[i].group_id, ID_LEN, "%s", r->group_id);
        snprintf(w->refs[i].plan_id, ID_LEN, "%s", r->latest_plan_id);
    }
    return w;
}

int queue_family_write(struct rconn *rc, const char *prefix, const char *subscriber_id,
                       const char *const *family_ids, size_t n_family,
                       const struct queue_family_record *records, size_t n, queue_status_cb cb,
                       void *arg)
{
    if (n == 0 || n > QUEUE_FAMILY_MAX + 1 || n_family > QUEUE_FAMILY_MAX)
        return -1;
    int rc_out = -1;
    size_t nkeys = 2 + n, nargs = 3 + 3 * n;
    char(*keys)[KEY_LEN] = malloc(nkeys * KEY_LEN);
    const char **kp = malloc(nkeys * sizeof *kp);
    const char **ap = malloc(nargs * sizeof *ap);
    size_t joined_len = 1;
    for (size_t i = 0; i < n_family; i++)
        joined_len += strlen(family_ids[i]) + 1;
    char *joined = malloc(joined_len);
    struct write_wait *w = write_wait_new(rc, prefix, records, n);
    if (!keys || !kp || !ap || !joined || !w)
        goto out;
    joined[0] = '\0';
    for (size_t i = 0, at = 0; i < n_family; i++) {
        at += (size_t)snprintf(joined + at, joined_len - at, "%s%s", i ? "," : "", family_ids[i]);
    }
    queue_family_key(keys[0], prefix, subscriber_id);
    snprintf(keys[1], KEY_LEN, KEYF_FAMILY_VERSION, FAMILY_PREFIX(prefix, subscriber_id),
             subscriber_id);
    char count[16];
    snprintf(count, sizeof count, "%zu", n);
    ap[0] = count;
    ap[1] = joined;
    ap[2] = "event";
    for (size_t i = 0; i < n; i++) {
        /* Every record of the family is on the family's shard. */
        queue_member_key(keys[2 + i], prefix, subscriber_id, records[i].member_id);
        const char **a = &ap[3 + 3 * i];
        a[0] = records[i].member_id;
        a[1] = records[i].expected;
        a[2] = records[i].json;
    }
    for (size_t i = 0; i < nkeys; i++)
        kp[i] = keys[i];
    w->cb = cb;
    w->arg = arg;
    if (queue_script_eval_async(rc, &script_family_write, on_written, w, (int)nkeys, kp, (int)nargs,
                                ap, NULL) == 0) {
        w = NULL; /* the callback frees it */
        rc_out = 0;
    }
out:
    free(w);
    free(joined);
    free(ap);
    free(kp);
    free(keys);
    return rc_out;
}
