#include "queue.h"

#include <stdio.h>
#include <stdlib.h>

#include "queue/family_write.h"
#include "queue/keys.h"
#include "queue/rlink.h"
#include "queue/scripts.h"
#include "queue/webhooks.h"

void queue_init(void)
{
    scripts_init();
    webhook_scripts_init();
    family_write_scripts_init();
}

int queue_shards_record(struct rlink *c, const char *prefix, int shards)
{
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_SHARDS, prefix);
    redisReply *r = rlink_command(c, "SET %s %d NX GET", key, shards);
    int stored = -1;
    if (r && r->type == REDIS_REPLY_NIL)
        stored = shards;
    else if (r && r->type == REDIS_REPLY_STRING)
        stored = atoi(r->str);
    if (r)
        freeReplyObject(r);
    return stored;
}
