#include "members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "model.h"
#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/scripts.h"

/*
 * One SCAN page of member records: each one without a reference gets one,
 * read from the record's JSON.
 * ARGV: 1 cursor, 2 the member key pattern, 3 the member key prefix, 4 the
 *       reference key prefix
 * Returns {next cursor, references written}.
 */
static struct script script_mref_backfill = {
    "mref_backfill",
    "local page = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', 500)\n"
    "local written = 0\n"
    "for _, key in ipairs(page[2]) do\n"
    "  local id = string.sub(key, #ARGV[3] + 1)\n"
    "  local ref = ARGV[4] .. id\n"
    "  if redis.call('EXISTS', ref) == 0 then\n"
    "    local ok, m = pcall(cjson.decode, redis.call('GET', key))\n"
    "    if ok and type(m) == 'table' then\n"
    "      local plan = ''\n"
    "      if type(m.coverage) == 'table' and #m.coverage > 0 then plan = "
    "m.coverage[#m.coverage].plan_id or '' end\n"
    "      redis.call('HSET', ref, 'subscriber_id', m.subscriber_id or '', 'group_id', m.group_id "
    "or '',\n"
    "                 'plan_id', plan)\n"
    "      written = written + 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return {page[1], written}\n",
    "",
};

/* A member record's reference fields: subscriber, group, latest span's plan
 * (as mref_backfill). Returns 0, or -1 when the text is no JSON object. */
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

/* The reference of one member key unless it has one; 1 written, 0 not, -1
 * when Redis failed. */
static int backfill_one(struct rlink *c, const char *key, const char *id, const char *ref_prefix)
{
    char ref[KEY_LEN], sub[ID_LEN], group[ID_LEN], plan[ID_LEN];
    snprintf(ref, sizeof ref, "%s%s", ref_prefix, id);
    redisReply *r = rlink_command(c, "EXISTS %s", ref);
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        if (r)
            freeReplyObject(r);
        return -1;
    }
    bool exists = r->integer == 1;
    freeReplyObject(r);
    if (exists)
        return 0;
    r = rlink_command(c, "GET %s", key);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_STRING && ref_fields(r->str, sub, group, plan) == 0;
    freeReplyObject(r);
    if (!rc)
        return 0;
    r = rlink_command(c, "HSET %s subscriber_id %s group_id %s plan_id %s", ref, sub, group, plan);
    rc = r && r->type == REDIS_REPLY_INTEGER ? 1 : -1;
    if (r)
        freeReplyObject(r);
    return rc;
}

/* On a cluster: each master's member keys (SCAN runs on one node), then key
 * by key, since a record and its reference are on different slots. */
static long backfill_cluster(struct rlink *c, const char *pattern, const char *member_prefix,
                             const char *ref_prefix)
{
    long written = 0;
    size_t plen = strlen(member_prefix);
    for (int m = 0; m < rlink_masters(c); m++) {
        char cursor[32] = "0";
        do {
            const char *argv[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", "500"};
            size_t lens[6];
            for (int i = 0; i < 6; i++)
                lens[i] = strlen(argv[i]);
            redisReply *r = rlink_command_on_master(c, m, 6, argv, lens);
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                r->element[0]->type != REDIS_REPLY_STRING ||
                r->element[1]->type != REDIS_REPLY_ARRAY) {
                if (r)
                    freeReplyObject(r);
                return -1;
            }
            snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
            for (size_t i = 0; i < r->element[1]->elements; i++) {
                const redisReply *k = r->element[1]->element[i];
                int one = k->type == REDIS_REPLY_STRING && k->len > plen
                              ? backfill_one(c, k->str, k->str + plen, ref_prefix)
                              : 0;
                if (one < 0) {
                    freeReplyObject(r);
                    return -1;
                }
                written += one;
            }
            freeReplyObject(r);
        } while (strcmp(cursor, "0") != 0);
    }
    return written;
}

long queue_member_refs_backfill(struct rlink *c, const char *prefix)
{
    script_init(&script_mref_backfill);
    char pattern[KEY_LEN + 1], member_prefix[KEY_LEN], ref_prefix[KEY_LEN], cursor[32] = "0";
    snprintf(member_prefix, sizeof member_prefix, KEYF_MEMBER, prefix, "");
    snprintf(pattern, sizeof pattern, "%s*", member_prefix);
    snprintf(ref_prefix, sizeof ref_prefix, KEYF_MREF, SP0(prefix), "");
    long written = 0;
    if (rlink_is_cluster(c)) {
        written = backfill_cluster(c, pattern, member_prefix, ref_prefix);
        if (written > 0)
            log_info("wrote the intake references of %ld member records", written);
        return written;
    }
    do {
        const char *args[] = {cursor, pattern, member_prefix, ref_prefix};
        redisReply *r = script_eval_blocking(c, &script_mref_backfill, 0, NULL, 4, args, NULL);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING) {
            if (r && r->type == REDIS_REPLY_ERROR)
                log_error("member references: %s", r->str);
            if (r)
                freeReplyObject(r);
            return -1;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        written += (long)r->element[1]->integer;
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    if (written > 0)
        log_info("wrote the intake references of %ld member records", written);
    return written;
}
