#include "queue/shard_fanout.h"

#include <stdbool.h>
#include <stdlib.h>

#include "queue/cluster_tx.h"
#include "queue/shards.h"

struct fanout_slot {
    struct shard_fanout *f;
    int i;
};

struct shard_fanout {
    shard_fanout_done_fn done;
    void *arg;
    int n;
    int waiting;  /* requests sent and not answered yet */
    int unsent;   /* requests marked not sent */
    bool sending; /* queue_shard_fanout_sent not called yet */
    redisReply *replies[SHARDS_MAX];
    struct fanout_slot slots[SHARDS_MAX];
};

struct shard_fanout *queue_shard_fanout_new(int n, shard_fanout_done_fn done, void *arg)
{
    if (n < 1 || n > SHARDS_MAX)
        return NULL;
    struct shard_fanout *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->done = done;
    f->arg = arg;
    f->n = n;
    f->waiting = n;
    f->sending = true;
    for (int i = 0; i < n; i++)
        f->slots[i] = (struct fanout_slot){f, i};
    return f;
}

void *queue_shard_fanout_arg(struct shard_fanout *f, int i)
{
    return &f->slots[i];
}

/* Calls done once nothing is awaited any more, then frees f. */
static void maybe_finish(struct shard_fanout *f)
{
    if (f->sending || f->waiting > 0)
        return;
    f->done(f->replies, f->n, f->arg);
    for (int i = 0; i < f->n; i++)
        if (f->replies[i])
            freeReplyObject(f->replies[i]);
    free(f);
}

void queue_shard_fanout_reply(redisReply *reply, void *arg)
{
    struct fanout_slot *slot = arg;
    struct shard_fanout *f = slot->f;
    if (f->n == 1 && !f->sending) {
        /* One request (one shard): its reply as it is, no copy. */
        f->done(&reply, 1, f->arg);
        free(f);
        return;
    }
    /* A copy: hiredis frees its reply when this returns. Out of memory
     * counts as no answer. */
    f->replies[slot->i] = reply ? queue_resp_copy(reply) : NULL;
    f->waiting--;
    maybe_finish(f);
}

void queue_shard_fanout_not_sent(struct shard_fanout *f, int i)
{
    f->replies[i] = NULL;
    f->waiting--;
    f->unsent++;
}

int queue_shard_fanout_sent(struct shard_fanout *f)
{
    if (f->unsent == f->n) {
        free(f);
        return -1;
    }
    f->sending = false;
    maybe_finish(f);
    return 0;
}

int queue_shard_fanout_each(int n, shard_fanout_send_fn send, void *ctx, shard_fanout_done_fn done,
                            void *arg)
{
    struct shard_fanout *f = queue_shard_fanout_new(n, done, arg);
    if (!f)
        return -1;
    for (int i = 0; i < n; i++)
        if (send(f, i, ctx) != 0)
            queue_shard_fanout_not_sent(f, i);
    return queue_shard_fanout_sent(f);
}
