#include "queue/x12.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/keys.h"
#include "queue/reply.h"
#include "queue/scripts.h"

struct claim_wait {
    queue_x12_claim_cb cb;
    void *arg;
};

static void on_claim(redisReply *reply, void *arg)
{
    struct claim_wait w = *(struct claim_wait *)arg;
    free(arg);
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        w.cb(QUEUE_X12_UNAVAILABLE, NULL, 0, w.arg);
        return;
    }
    if (reply->type == REDIS_REPLY_NIL) {
        w.cb(QUEUE_X12_CLAIMED, NULL, 0, w.arg);
        return;
    }
    if (reply->type == REDIS_REPLY_STRING && reply->len >= 1 && reply->str[0] == 'A') {
        w.cb(QUEUE_X12_ANSWERED, reply->str + 1, reply->len - 1, w.arg);
        return;
    }
    if (reply->type == REDIS_REPLY_STRING) {
        w.cb(QUEUE_X12_IN_PROGRESS, NULL, 0, w.arg);
        return;
    }
    w.cb(QUEUE_X12_UNAVAILABLE, NULL, 0, w.arg);
}

int queue_x12_claim(struct rconn *rc, const char *prefix, const char *key_hash, int pending_ttl,
                    queue_x12_claim_cb cb, void *arg)
{
    char key[KEY_LEN], ttl[16];
    snprintf(key, sizeof key, KEYF_X12, prefix, key_hash);
    snprintf(ttl, sizeof ttl, "%d", pending_ttl > 0 ? pending_ttl : 1);
    struct claim_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    /* SET NX GET (Redis 7): nil when this call set it, else the old value. */
    const char *argv[] = {"SET", key, "P", "NX", "GET", "EX", ttl};
    if (queue_rconn_command_argv(rc, on_claim, w, 7, argv, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

static enum queue_status ok_status(const redisReply *reply)
{
    return reply && reply->type != REDIS_REPLY_ERROR ? QUEUE_OK : QUEUE_UNAVAILABLE;
}

int queue_x12_answer(struct rconn *rc, const char *prefix, const char *key_hash, const char *answer,
                     size_t len, queue_status_cb cb, void *arg)
{
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_X12, prefix, key_hash);
    char *value = malloc(len + 1);
    if (!value)
        return -1;
    value[0] = 'A';
    memcpy(value + 1, answer, len);
    struct queue_status_wait *w = queue_status_wait_new(ok_status, cb, arg);
    if (!w) {
        free(value);
        return -1;
    }
    const char *argv[] = {"SET", key, value};
    size_t lens[] = {3, strlen(key), len + 1};
    int rc2 = queue_rconn_command_argv(rc, queue_on_status_reply, w, 3, argv, lens);
    free(value);
    if (rc2 != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* Deletes the key only while it holds the "P" mark. */
static struct script script_x12_release = {
    "x12_release",
    "if redis.call('GET', KEYS[1]) == 'P' then redis.call('DEL', KEYS[1]) end\n"
    "return 1\n",
    "",
};

int queue_x12_release(struct rconn *rc, const char *prefix, const char *key_hash,
                      queue_status_cb cb, void *arg)
{
    queue_script_init(&script_x12_release);
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_X12, prefix, key_hash);
    struct queue_status_wait *w = queue_status_wait_new(ok_status, cb, arg);
    if (!w)
        return -1;
    const char *keys[] = {key};
    if (queue_script_eval_async(rc, &script_x12_release, queue_on_status_reply, w, 1, keys, 0, NULL,
                                NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}
