#include "reply.h"

#include <stdlib.h>

struct queue_status_wait {
    queue_reply_status_fn classify;
    queue_status_cb cb;
    void *arg;
};

struct queue_status_wait *queue_status_wait_new(queue_reply_status_fn classify,
                                                queue_status_cb cb, void *arg)
{
    struct queue_status_wait *w = malloc(sizeof *w);
    if (!w)
        return NULL;
    *w = (struct queue_status_wait){classify, cb, arg};
    return w;
}

void queue_on_status_reply(redisReply *reply, void *wait)
{
    struct queue_status_wait w = *(struct queue_status_wait *)wait;
    free(wait);
    w.cb(w.classify(reply), w.arg);
}

static enum queue_status exists_status(const redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_INTEGER)
        return QUEUE_UNAVAILABLE;
    return reply->integer == 0 ? QUEUE_NOT_FOUND : QUEUE_OK;
}

int queue_key_exists(struct rconn *rc, const char *key, queue_status_cb cb, void *arg)
{
    struct queue_status_wait *w = queue_status_wait_new(exists_status, cb, arg);
    if (!w)
        return -1;
    if (rconn_command(rc, queue_on_status_reply, w, "EXISTS %s", key) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

void queue_ignore_reply(redisReply *reply, void *arg)
{
    (void)reply;
    (void)arg;
}
