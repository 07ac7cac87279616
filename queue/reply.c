#include "reply.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct queue_status_wait {
    queue_reply_status_fn classify;
    queue_status_cb cb;
    void *arg;
};

struct queue_status_wait *queue_status_wait_new(queue_reply_status_fn classify, queue_status_cb cb,
                                                void *arg)
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
    if (queue_rconn_command(rc, queue_on_status_reply, w, "EXISTS %s", key) != 0) {
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

const char *queue_reply_field(const redisReply *pairs, const char *name)
{
    for (size_t i = 0; pairs->type == REDIS_REPLY_ARRAY && i + 1 < pairs->elements; i += 2)
        if (pairs->element[i]->type == REDIS_REPLY_STRING &&
            pairs->element[i + 1]->type == REDIS_REPLY_STRING &&
            strcmp(pairs->element[i]->str, name) == 0)
            return pairs->element[i + 1]->str;
    return NULL;
}

void queue_reply_strings(const redisReply *const *replies, size_t n, const char **const *fields)
{
    for (size_t j = 0; j < n; j++)
        if (fields[j])
            *fields[j] = replies[j]->type == REDIS_REPLY_STRING ? replies[j]->str : NULL;
}

enum queue_status queue_ok_or_state(const redisReply *reply, const char *what)
{
    if (!reply || reply->type != REDIS_REPLY_STRING) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("%s failed: %s", what, reply->str);
        return QUEUE_UNAVAILABLE;
    }
    if (strcmp(reply->str, "ok") == 0)
        return QUEUE_OK;
    return reply->str[0] ? QUEUE_CONFLICT : QUEUE_NOT_FOUND;
}

bool queue_reply_score(const redisReply *reply, long long *out)
{
    if (!reply || reply->type != REDIS_REPLY_STRING || !reply->str[0])
        return false;
    char *end;
    double d = strtod(reply->str, &end);
    if (*end || !isfinite(d) || d < 0 || d > 9007199254740992.0)
        return false;
    *out = (long long)d;
    return true;
}
