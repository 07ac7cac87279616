#include "members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/keys.h"
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
    "      if type(m.coverage) == 'table' and #m.coverage > 0 then plan = m.coverage[#m.coverage].plan_id or '' end\n"
    "      redis.call('HSET', ref, 'subscriber_id', m.subscriber_id or '', 'group_id', m.group_id or '',\n"
    "                 'plan_id', plan)\n"
    "      written = written + 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return {page[1], written}\n",
    "",
};

long queue_member_refs_backfill(redisContext *c, const char *prefix)
{
    script_init(&script_mref_backfill);
    char pattern[KEY_LEN + 1], member_prefix[KEY_LEN], ref_prefix[KEY_LEN], cursor[32] = "0";
    snprintf(member_prefix, sizeof member_prefix, KEYF_MEMBER, prefix, "");
    snprintf(pattern, sizeof pattern, "%s*", member_prefix);
    snprintf(ref_prefix, sizeof ref_prefix, KEYF_MREF, prefix, "");
    long written = 0;
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
