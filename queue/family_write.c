#include "family_write.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/redis_conn.h"
#include "queue/scripts.h"

/*
 * A family's records: the sorted ids of the family set, each with its
 * record, then the group and the record of the id an event adds.
 * KEYS: 1 family set, 2 group record, 3 the added id's member record (or the
 *       group again when there is none)
 * ARGV: 1 the member key prefix ("<prefix>member:"), 2 "1" when KEYS[3] is
 *       an added member's key
 * Returns {group or nil, added or nil, id1, record1 or nil, id2, ...}.
 */
static struct script script_family_read = {
    "family_read",
    "local ids = redis.call('SMEMBERS', KEYS[1])\n"
    "table.sort(ids)\n"
    "local added = false\n"
    "if ARGV[2] == '1' then added = redis.call('GET', KEYS[3]) end\n"
    "local out = {redis.call('GET', KEYS[2]), added}\n"
    "for _, id in ipairs(ids) do\n"
    "  out[#out + 1] = id\n"
    "  out[#out + 1] = redis.call('GET', ARGV[1] .. id)\n"
    "end\n"
    "return out\n",
    "",
};

/*
 * Compare-and-set of a family's member records (family_write.h says why not
 * WATCH). Nothing is written unless the family set holds exactly the ids read
 * and every record is as read.
 * KEYS: 1 family set, 2 family version, then per record its member key and
 *       its reference key
 * ARGV: 1 number of records, 2 the family ids read joined by ",", 3 the
 *       version's tag, then per record: member id, expected record ("" for
 *       none), new record, subscriber id, group id, latest plan id
 * Returns "ok" or "conflict".
 */
static struct script script_family_write = {
    "family_write",
    "local n = tonumber(ARGV[1])\n"
    "local ids = redis.call('SMEMBERS', KEYS[1])\n"
    "table.sort(ids)\n"
    "if table.concat(ids, ',') ~= ARGV[2] then return 'conflict' end\n"
    "for i = 0, n - 1 do\n"
    "  local cur = redis.call('GET', KEYS[3 + 2 * i]) or ''\n"
    "  if cur ~= ARGV[5 + 6 * i] then return 'conflict' end\n"
    "end\n"
    "for i = 0, n - 1 do\n"
    "  local a = 4 + 6 * i\n"
    "  redis.call('SET', KEYS[3 + 2 * i], ARGV[a + 2])\n"
    "  redis.call('SADD', KEYS[1], ARGV[a])\n"
    "  redis.call('HSET', KEYS[4 + 2 * i], 'subscriber_id', ARGV[a + 3], 'group_id', ARGV[a + 4],\n"
    "             'plan_id', ARGV[a + 5])\n"
    "end\n"
    "local v = redis.call('GET', KEYS[2]) or '0'\n"
    "redis.call('SET', KEYS[2], ((tonumber(string.match(v, '^%d+')) or 0) + 1) .. ':' .. ARGV[3])\n"
    "return 'ok'\n",
    "",
};

void family_write_scripts_init(void)
{
    script_init(&script_family_read);
    script_init(&script_family_write);
}

/* ---- reading ---- */

struct read_wait {
    queue_family_cb cb;
    void *arg;
};

static const char *string_or_null(const redisReply *r)
{
    return r->type == REDIS_REPLY_STRING ? r->str : NULL;
}

static void on_family(redisReply *reply, void *arg)
{
    struct read_wait w = *(struct read_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
        reply->elements % 2 != 0) {
        w.cb(QUEUE_UNAVAILABLE, NULL, w.arg);
        return;
    }
    size_t n = (reply->elements - 2) / 2;
    if (n > QUEUE_FAMILY_MAX) {
        w.cb(QUEUE_CONFLICT, NULL, w.arg);
        return;
    }
    struct queue_family fam;
    memset(&fam, 0, sizeof fam);
    fam.group = string_or_null(reply->element[0]);
    fam.added = string_or_null(reply->element[1]);
    for (size_t i = 0; i < n; i++) {
        const redisReply *id = reply->element[2 + 2 * i];
        if (id->type != REDIS_REPLY_STRING) {
            w.cb(QUEUE_UNAVAILABLE, NULL, w.arg);
            return;
        }
        fam.ids[i] = id->str;
        fam.records[i] = string_or_null(reply->element[3 + 2 * i]);
    }
    fam.n = n;
    w.cb(QUEUE_OK, &fam, w.arg);
}

int queue_family_read(struct rconn *rc, const char *prefix, const char *subscriber_id,
                      const char *group_id, const char *added_id, queue_family_cb cb, void *arg)
{
    char k_fam[KEY_LEN], k_group[KEY_LEN], k_added[KEY_LEN], member_prefix[KEY_LEN];
    bool has_added = added_id && added_id[0];
    snprintf(k_fam, sizeof k_fam, KEYF_FAMILY, prefix, subscriber_id);
    snprintf(k_group, sizeof k_group, KEYF_GROUP, prefix, group_id);
    snprintf(k_added, sizeof k_added, KEYF_MEMBER, prefix, has_added ? added_id : "");
    snprintf(member_prefix, sizeof member_prefix, KEYF_MEMBER, prefix, "");
    struct read_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    const char *keys[3] = {k_fam, k_group, has_added ? k_added : k_group};
    const char *args[2] = {member_prefix, has_added ? "1" : "0"};
    if (script_eval_async(rc, &script_family_read, on_family, w, 3, keys, 2, args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- writing ---- */

struct write_wait {
    queue_status_cb cb;
    void *arg;
};

static void on_written(redisReply *reply, void *arg)
{
    struct write_wait w = *(struct write_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_STRING) {
        w.cb(QUEUE_UNAVAILABLE, w.arg);
        return;
    }
    w.cb(strcmp(reply->str, "ok") == 0 ? QUEUE_OK : QUEUE_CONFLICT, w.arg);
}

int queue_family_write(struct rconn *rc, const char *prefix, const char *subscriber_id,
                       const char *const *family_ids, size_t n_family,
                       const struct queue_family_record *records, size_t n, queue_status_cb cb,
                       void *arg)
{
    if (n == 0 || n > QUEUE_FAMILY_MAX + 1 || n_family > QUEUE_FAMILY_MAX)
        return -1;
    int rc_out = -1;
    size_t nkeys = 2 + 2 * n, nargs = 3 + 6 * n;
    char(*keys)[KEY_LEN] = malloc(nkeys * KEY_LEN);
    const char **kp = malloc(nkeys * sizeof *kp);
    const char **ap = malloc(nargs * sizeof *ap);
    size_t joined_len = 1;
    for (size_t i = 0; i < n_family; i++)
        joined_len += strlen(family_ids[i]) + 1;
    char *joined = malloc(joined_len);
    struct write_wait *w = malloc(sizeof *w);
    if (!keys || !kp || !ap || !joined || !w)
        goto out;
    joined[0] = '\0';
    for (size_t i = 0, at = 0; i < n_family; i++) {
        at += (size_t)snprintf(joined + at, joined_len - at, "%s%s", i ? "," : "", family_ids[i]);
    }
    snprintf(keys[0], KEY_LEN, KEYF_FAMILY, prefix, subscriber_id);
    snprintf(keys[1], KEY_LEN, KEYF_FAMVER, SP0(prefix), subscriber_id);
    char count[16];
    snprintf(count, sizeof count, "%zu", n);
    ap[0] = count;
    ap[1] = joined;
    ap[2] = "event";
    for (size_t i = 0; i < n; i++) {
        snprintf(keys[2 + 2 * i], KEY_LEN, KEYF_MEMBER, prefix, records[i].member_id);
        snprintf(keys[3 + 2 * i], KEY_LEN, KEYF_MREF, SP0(prefix), records[i].member_id);
        const char **a = &ap[3 + 6 * i];
        a[0] = records[i].member_id;
        a[1] = records[i].expected;
        a[2] = records[i].json;
        a[3] = records[i].subscriber_id;
        a[4] = records[i].group_id;
        a[5] = records[i].latest_plan_id;
    }
    for (size_t i = 0; i < nkeys; i++)
        kp[i] = keys[i];
    w->cb = cb;
    w->arg = arg;
    if (script_eval_async(rc, &script_family_write, on_written, w, (int)nkeys, kp, (int)nargs, ap,
                          NULL) == 0) {
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
