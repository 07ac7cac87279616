#include "queue.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "queue/family_write.h"
#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/rlink.h"
#include "queue/scripts.h"
#include "queue/webhooks.h"

void queue_init(void)
{
    queue_scripts_init();
    queue_webhook_scripts_init();
    queue_family_write_scripts_init();
}

/* Whether the data in Redis was written before the shard count was
 * recorded: it then has the one shard's keys ("{c}"). */
static bool has_unrecorded_data(struct rlink *c, const char *prefix)
{
    char k_seq[KEY_LEN], k_stream[KEY_LEN];
    snprintf(k_seq, sizeof k_seq, "%s{c}seq", prefix);
    snprintf(k_stream, sizeof k_stream, "%s{c}work", prefix);
    redisReply *r = queue_rlink_command(c, "EXISTS %s", k_seq);
    bool found = r && r->type == REDIS_REPLY_INTEGER && r->integer > 0;
    if (r)
        freeReplyObject(r);
    if (found)
        return true;
    r = queue_rlink_command(c, "EXISTS %s", k_stream);
    found = r && r->type == REDIS_REPLY_INTEGER && r->integer > 0;
    if (r)
        freeReplyObject(r);
    return found;
}

int queue_shards_record(struct rlink *c, const char *prefix, int shards)
{
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_SHARDS, prefix);
    redisReply *r = queue_rlink_command(c, "GET %s", key);
    if (!r)
        return -1;
    int stored = r->type == REDIS_REPLY_STRING ? atoi(r->str) : 0;
    bool answered = r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL;
    freeReplyObject(r);
    if (!answered)
        return -1;
    if (stored > 0)
        return stored;
    /* Nothing recorded: the configured count, the default for new data, or
     * one shard for data written before counts were recorded. */
    if (shards <= 0)
        shards = has_unrecorded_data(c, prefix) ? 1 : SHARDS_DEFAULT;
    r = queue_rlink_command(c, "SET %s %d NX GET", key, shards);
    stored = -1;
    if (r && r->type == REDIS_REPLY_NIL)
        stored = shards;
    else if (r && r->type == REDIS_REPLY_STRING)
        stored = atoi(r->str);
    if (r)
        freeReplyObject(r);
    return stored;
}
