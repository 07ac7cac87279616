#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "packed.h"
#include "queue/keys.h"
#include "queue/reply.h"
#include "queue/scripts.h"
#include "queue/shard_gather.h"
#include "queue/shard_merge.h"
#include "queue/shards.h"

/*
 * A page of the workbasket on one shard.
 * KEYS: 1 the shard's in_review status index
 * ARGV: 1 lowest score ("-inf", "(<score>" or "<score>": queue/shard_merge.h),
 *       2 at most this many, 3 the claim key prefix, 4 the decision key prefix
 * Returns {the last score looked at when more follow, else "", then per
 * claim: score, id, type, received, target, packed decision or false}.
 */
static struct script script_review_list = {
    "review_list",
    "local limit, cp, dp = tonumber(ARGV[2]), ARGV[3], ARGV[4]\n"
    "local out, last = {''}, nil\n"
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf', 'WITHSCORES',\n"
    "                       'LIMIT', 0, limit)\n"
    "for j = 1, #ids, 2 do\n"
    "  local id = ids[j]\n"
    "  last = ids[j + 1]\n"
    "  local f = redis.call('HMGET', cp .. id, 'type', 'received', 'target')\n"
    "  out[#out + 1] = last\n"
    "  out[#out + 1] = id\n"
    "  for k = 1, 3 do out[#out + 1] = f[k] or false end\n"
    "  out[#out + 1] = redis.call('GET', dp .. id)\n"
    "end\n"
    "if last and redis.call('ZCOUNT', KEYS[1], '(' .. last, '+inf') > 0 then out[1] = last end\n"
    "return out\n",
    "",
};

/*
 * The reviewer's decision on a claim in review (POST /v1/claims/{id}/review).
 * KEYS: 1 claim, 2 in_review index, 3 received index, 4 work stream, 5 audit
 *       stream, 6 claim audit list
 * ARGV: 1 review JSON, 2 history entry ("received@<unix seconds>"), 3 audit
 *       JSON, 4 claim id
 * Returns "ok", or the claim's status when it is not in review ("" when gone).
 */
static struct script script_review_submit = {
    "review_submit",
    "local st = redis.call('HGET', KEYS[1], 'status')\n"
    "if st ~= 'in_review' then return st or '' end\n"
    "local id = ARGV[4]\n"
    "local h = redis.call('HGET', KEYS[1], 'history')\n"
    "if h and h ~= '' then h = h .. ',' .. ARGV[2] else h = ARGV[2] end\n"
    "redis.call('HSET', KEYS[1], 'status', 'received', 'history', h, 'review', ARGV[1])\n"
    "local score = redis.call('HGET', KEYS[1], 'score')\n"
    "redis.call('ZREM', KEYS[2], id)\n"
    "redis.call('ZADD', KEYS[3], score, id)\n"
    "local f = redis.call('HMGET', KEYS[1], 'member_id', 'subscriber_id', 'group_hint',\n"
    "                     'plan_hint', 'years')\n"
    "redis.call('XADD', KEYS[4], '*', 'claim', id, 'member', f[1] or '', 'subscriber', f[2] or "
    "'',\n"
    "           'group', f[3] or '', 'plan', f[4] or '', 'years', f[5] or '')\n"
    "local aid = redis.call('XADD', KEYS[5], '*', 'claim_id', id, 'record', ARGV[3])\n"
    "redis.call('RPUSH', KEYS[6], aid)\n"
    "return 'ok'\n",
    "",
};

#define REVIEW_WIDTH 6 /* a row of script_review_list: score and 5 fields */

struct list_wait {
    queue_review_list_cb cb;
    void *arg;
};

/* The stored decision object of a packed {"decision", "pending"} value
 * (a reference the caller puts), NULL when absent or unreadable. */
static struct json_object *decision_of(const redisReply *r, const char *claim_id)
{
    if (r->type != REDIS_REPLY_STRING)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    if (packed_unpack(r->str, r->len, &text, &len) != 0) {
        log_error("stored decision cannot be unpacked claim_id=%s", claim_id);
        return NULL;
    }
    struct json_object *all = json_tokener_parse(text), *d = NULL;
    free(text);
    if (all && json_object_object_get_ex(all, "decision", &d) &&
        json_object_is_type(d, json_type_object))
        json_object_get(d);
    else
        d = NULL;
    json_object_put(all);
    return d;
}

/* The merged page's rows to the caller (queue/shard_gather.h). */
static void on_list(const struct shard_page *page, void *arg)
{
    struct list_wait w = *(struct list_wait *)arg;
    free(arg);
    size_t n = page ? (size_t)page->n : 0;
    struct queue_review_row *rows = page ? calloc(n + 1, sizeof *rows) : NULL;
    if (!rows) {
        w.cb(QUEUE_UNAVAILABLE, NULL, 0, NULL, w.arg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const redisReply *const *e = page->rows[i];
        const char **f[] = {&rows[i].claim_id, &rows[i].type, &rows[i].received_date,
                            &rows[i].target_date};
        queue_reply_strings(e, 4, f);
        rows[i].decision = decision_of(e[4], rows[i].claim_id ? rows[i].claim_id : "");
    }
    w.cb(QUEUE_OK, rows, n, queue_shard_page_cursor(page), w.arg);
    for (size_t i = 0; i < n; i++)
        json_object_put(rows[i].decision);
    free(rows);
}

/* What every shard's workbasket request is built from. */
struct list_query {
    struct rconn *rc;
    const char *prefix;
};

/* shard_list_send_fn: shard s's part of the workbasket. */
static int list_send(struct shard_fanout *f, int s, const char *lo, const char *lim, void *ctx)
{
    const struct list_query *lq = ctx;
    struct queue_shard_prefix sp = queue_shard_prefix(lq->prefix, s);
    char k_idx[KEY_LEN], cp[KEY_LEN], dp[KEY_LEN];
    snprintf(k_idx, sizeof k_idx, KEYF_IDX_STATUS, sp.s, "in_review");
    snprintf(cp, sizeof cp, KEYF_CLAIM, sp.s, "");
    snprintf(dp, sizeof dp, KEYF_DEC, sp.s, "");
    const char *keys[] = {k_idx};
    const char *args[] = {lo, lim, cp, dp};
    return queue_shard_fanout_script(f, s, lq->rc, queue_script_ready(&script_review_list), 1, keys,
                                     4, args);
}

int queue_review_list(struct rconn *rc, const char *prefix, const char *cursor, int limit,
                      queue_review_list_cb cb, void *arg)
{
    struct list_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    *w = (struct list_wait){cb, arg};
    struct list_query lq = {rc, prefix};
    struct shard_list l = {cursor, limit, REVIEW_WIDTH, "review list"};
    if (queue_shard_list_read(&l, list_send, &lq, on_list, w) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* script_review_submit answers "ok", the claim's status when it is not in
 * review, or "" when it is gone. */
static enum queue_status submitted_status(const redisReply *reply)
{
    return queue_ok_or_state(reply, "review submit");
}

int queue_review_submit(struct rconn *rc, const char *prefix, const char *claim_id,
                        const char *review_json, const char *audit_json, long long now_secs,
                        queue_status_cb cb, void *arg)
{
    struct queue_status_wait *w = queue_status_wait_new(submitted_status, cb, arg);
    if (!w)
        return -1;
    char k_claim[KEY_LEN], k_review[KEY_LEN], k_received[KEY_LEN], k_stream[KEY_LEN],
        k_audit[KEY_LEN], k_caudit[KEY_LEN], hist[48];
    /* Every key on the claim's shard (its family's). */
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, queue_shard_of_claim(claim_id));
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, sp.s, claim_id);
    snprintf(k_review, sizeof k_review, KEYF_IDX_STATUS, sp.s, "in_review");
    snprintf(k_received, sizeof k_received, KEYF_IDX_STATUS, sp.s, "received");
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, sp.s);
    snprintf(k_audit, sizeof k_audit, KEYF_AUDIT, sp.s);
    snprintf(k_caudit, sizeof k_caudit, KEYF_CLAIM_AUDIT, sp.s, claim_id);
    snprintf(hist, sizeof hist, "received@%lld", now_secs);
    const char *keys[] = {k_claim, k_review, k_received, k_stream, k_audit, k_caudit};
    const char *args[] = {review_json, hist, audit_json, claim_id};
    if (queue_script_eval_async(rc, queue_script_ready(&script_review_submit),
                                queue_on_status_reply, w, 6, keys, 4, args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}
