#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/reply.h"
#include "queue/scripts.h"

struct stats_wait {
    queue_stats_cb cb;
    void *arg;
};

/* A stream entry's field, NULL when absent. e: {id, {field, value, ...}}. */
static const char *entry_field(const redisReply *e, const char *name)
{
    return queue_reply_field(e->element[1], name);
}

/* script_queue_stats answers {stream length, in flight, pended, dead,
 * overdue, oldest claim id or "", its received date or "", finalized,
 * within target, up to 50 dead-letter entries, in review}. */
static void on_stats(redisReply *reply, void *arg)
{
    struct stats_wait w = *(struct stats_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 11) {
        w.cb(QUEUE_UNAVAILABLE, NULL, w.arg);
        return;
    }
    struct queue_stats st = {0};
    long long *ints[] = {&st.length, &st.in_flight, &st.pended, &st.dead, &st.overdue};
    for (int i = 0; i < 5; i++)
        *ints[i] = reply->element[i]->integer;
    if (reply->element[5]->type == REDIS_REPLY_STRING && reply->element[5]->str[0])
        st.oldest_claim_id = reply->element[5]->str;
    if (reply->element[6]->type == REDIS_REPLY_STRING && reply->element[6]->str[0])
        st.oldest_received = reply->element[6]->str;
    st.finalized = reply->element[7]->integer;
    st.finalized_within_target = reply->element[8]->integer;
    st.in_review = reply->element[10]->integer;
    struct queue_dead_entry dead[QUEUE_STATS_DEAD_MAX];
    const redisReply *entries = reply->element[9];
    for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements &&
                       st.n_dead_entries < QUEUE_STATS_DEAD_MAX;
         i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
            continue;
        dead[st.n_dead_entries++] = (struct queue_dead_entry){
            .claim_id = entry_field(e, "claim"),
            .reason = entry_field(e, "reason"),
            .at = entry_field(e, "at"),
            .deliveries = entry_field(e, "deliveries"),
        };
    }
    st.dead_entries = dead;
    w.cb(QUEUE_OK, &st, w.arg);
}

int queue_stats_read(struct rconn *rc, const char *prefix, int today, queue_stats_cb cb, void *arg)
{
    struct stats_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char k_stream[KEY_LEN], k_pended[KEY_LEN], k_dead[KEY_LEN], k_sla[KEY_LEN], k_stats[KEY_LEN],
        k_review[KEY_LEN], claim_prefix[KEY_LEN], day[16];
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, SP0(prefix));
    snprintf(k_pended, sizeof k_pended, KEYF_PENDED, SP0(prefix));
    snprintf(k_dead, sizeof k_dead, KEYF_DEAD, SP0(prefix));
    snprintf(k_sla, sizeof k_sla, KEYF_SLA, SP0(prefix));
    snprintf(k_stats, sizeof k_stats, KEYF_STATS, SP0(prefix));
    snprintf(k_review, sizeof k_review, KEYF_IDX_STATUS, SP0(prefix), "in_review");
    snprintf(claim_prefix, sizeof claim_prefix, KEYF_CLAIM, SP0(prefix), "");
    snprintf(day, sizeof day, "%d", today);
    const char *keys[] = {k_stream, k_pended, k_dead, k_sla, k_stats, k_review};
    const char *args[] = {day, claim_prefix, WORK_GROUP};
    if (script_eval_async(rc, &script_queue_stats, on_stats, w, 6, keys, 3, args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* script_retry_dead answers the new work entry's id, or "" when the claim
 * is not dead-lettered. */
static enum queue_status retry_status(const redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_STRING)
        return QUEUE_UNAVAILABLE;
    return reply->str[0] ? QUEUE_OK : QUEUE_NOT_FOUND;
}

int queue_requeue_dead(struct rconn *rc, const char *prefix, const char *claim_id,
                       queue_status_cb cb, void *arg)
{
    struct queue_status_wait *w = queue_status_wait_new(retry_status, cb, arg);
    if (!w)
        return -1;
    char k_dead[KEY_LEN], k_idx[KEY_LEN], k_stream[KEY_LEN];
    snprintf(k_dead, sizeof k_dead, KEYF_DEAD, SP0(prefix));
    snprintf(k_idx, sizeof k_idx, KEYF_DEADIDX, SP0(prefix));
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, SP0(prefix));
    const char *keys[] = {k_dead, k_idx, k_stream};
    const char *args[] = {claim_id};
    if (script_eval_async(rc, &script_retry_dead, queue_on_status_reply, w, 3, keys, 1, args,
                          NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

static enum queue_status ping_status(const redisReply *reply)
{
    bool pong = reply && reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0;
    return pong ? QUEUE_OK : QUEUE_UNAVAILABLE;
}

int queue_ping(struct rconn *rc, queue_status_cb cb, void *arg)
{
    struct queue_status_wait *w = queue_status_wait_new(ping_status, cb, arg);
    if (!w)
        return -1;
    if (rconn_command(rc, queue_on_status_reply, w, "PING") != 0) {
        free(w);
        return -1;
    }
    return 0;
}
