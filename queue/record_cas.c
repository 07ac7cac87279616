#include "queue/record_cas.h"

#include <stdio.h>
#include <stdlib.h>

#include "queue/keys.h"
#include "queue/reply.h"
#include "queue/scripts.h"

/* KEYS[1] the record; ARGV[1] "1" when ARGV[2] is the text it was read
 * with, "0" when it must not exist; ARGV[3] the new text. Returns 1
 * (written), 0 (changed or created meanwhile) or -1 (gone). */
static struct script script_record_replace = {
    "record_replace",
    "local cur = redis.call('GET', KEYS[1])\n"
    "if ARGV[1] == '0' then\n"
    "  if cur then return 0 end\n"
    "else\n"
    "  if not cur then return -1 end\n"
    "  if cur ~= ARGV[2] then return 0 end\n"
    "end\n"
    "redis.call('SET', KEYS[1], ARGV[3])\n"
    "return 1\n",
    "",
};

static enum queue_status replace_status(const redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_INTEGER)
        return QUEUE_UNAVAILABLE;
    return reply->integer == 1 ? QUEUE_OK : reply->integer == 0 ? QUEUE_CONFLICT : QUEUE_NOT_FOUND;
}

int queue_replace_record(struct rconn *rc, const char *prefix, enum queue_record_kind kind,
                         const char *id, const char *expected, const char *json, queue_status_cb cb,
                         void *arg)
{
    queue_script_ready(&script_record_replace);
    char key[KEY_LEN];
    snprintf(key, sizeof key,
             kind == QUEUE_RECORD_GROUP    ? KEYF_GROUP
             : kind == QUEUE_RECORD_MEMBER ? KEYF_MEMBER
                                           : KEYF_PLAN,
             prefix, id);
    struct queue_status_wait *w = queue_status_wait_new(replace_status, cb, arg);
    if (!w)
        return -1;
    const char *keys[] = {key};
    const char *args[] = {expected ? "1" : "0", expected ? expected : "", json};
    if (queue_script_eval_async(rc, &script_record_replace, queue_on_status_reply, w, 1, keys, 3,
                                args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}
