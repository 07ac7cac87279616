#include "webhooks.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/redis_conn.h"
#include "queue/reply.h"
#include "queue/scripts.h"
#include "queue/shard_fanout.h"

/* Subscriptions, deliveries, their due set, logs and dead lists: one set of
 * keys for the whole data set, on shard 0 (docs/operations.md "Redis
 * Cluster", rule 4: they belong to no claim). The events they are made from
 * are on each claim's shard. */
#define HOME(prefix) SHARD_PREFIX((prefix), 0)

/* Numbers written into the scripts' text. */
#define CLAIMS_STR_(x) #x
#define CLAIMS_STR(x) CLAIMS_STR_(x)

/* Create or replace a subscription, keeping its created_at.
 * KEYS: 1 subscription hash, 2 subscription set
 * ARGV: 1 id, 2 url, 3 events (comma-separated), 4 secret, 5 now (RFC 3339)
 * Returns {existed 0/1, created_at}. */
static struct script script_wh_put = {
    "wh_put",
    "local existed = redis.call('EXISTS', KEYS[1])\n"
    "if existed == 0 then redis.call('HSET', KEYS[1], 'created_at', ARGV[5]) end\n"
    "redis.call('HSET', KEYS[1], 'url', ARGV[2], 'events', ARGV[3], 'secret', ARGV[4],\n"
    "           'updated_at', ARGV[5])\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "return {existed, redis.call('HGET', KEYS[1], 'created_at')}\n",
    "",
};

/* Delete a subscription with its log, dead list and undelivered deliveries.
 * KEYS: 1 subscription hash, 2 subscription set, 3 its pending set, 4 its
 *       log, 5 its dead list, 6 due set
 * ARGV: 1 id, 2 delivery key prefix
 * Returns 1, or 0 when there was no such subscription. */
static struct script script_wh_delete = {
    "wh_delete",
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "for _, d in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do\n"
    "  redis.call('ZREM', KEYS[6], d)\n"
    "  redis.call('DEL', ARGV[2] .. d)\n"
    "end\n"
    "for _, d in ipairs(redis.call('LRANGE', KEYS[5], 0, -1)) do\n"
    "  redis.call('DEL', ARGV[2] .. d)\n"
    "end\n"
    "redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5])\n"
    "redis.call('SREM', KEYS[2], ARGV[1])\n"
    "return 1\n",
    "",
};

/* One shard's step 1 of the fan-out: events of its stream not yet fanned out
 * (docs/webhooks.md "Delivery: retries, at least once"). First those a step left
 * pending (read, not acknowledged: its process stopped before step 3) for
 * at least the idle time, taken over (XAUTOCLAIM); else new ones.
 * KEYS: 1 the shard's events stream
 * ARGV: 1 group, 2 consumer, 3 at most this many events, 4 idle time (ms)
 * Returns per event {stream id, event, claim_id, status}; a NOGROUP error
 * when the group does not exist yet. */
static struct script script_wh_read = {
    "wh_read",
    "local c = redis.pcall('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[4], '0-0',\n"
    "                      'COUNT', tonumber(ARGV[3]))\n"
    "if c.err then return c end\n"
    "local entries = c[2]\n"
    "if #entries == 0 then\n"
    "  local r = redis.pcall('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT',\n"
    "                        tonumber(ARGV[3]), 'STREAMS', KEYS[1], '>')\n"
    "  if type(r) == 'table' and r.err then return r end\n"
    "  if not r then return {} end\n"
    "  entries = r[1][2]\n"
    "end\n"
    "local out = {}\n"
    "for _, e in ipairs(entries) do\n"
    "  local f = {}\n"
    "  for i = 1, #(e[2] or {}), 2 do f[e[2][i]] = e[2][i + 1] end\n"
    "  out[#out + 1] = {e[1], f.event or '', f.claim_id or '', f.status or ''}\n"
    "end\n"
    "return out\n",
    "",
};

/* Step 2, on the subscriptions' shard: one delivery per event and matching
 * subscription, unless it exists already (a step 1 read again after a
 * stop: the delivery's id is derived from the event and the subscription).
 * KEYS: 1 subscription set, 2 due set
 * ARGV: 1 subscription key prefix, 2 delivery key prefix, 3 pending key
 *       prefix, 4 now (ms), then per event: event id, event, claim_id, status
 * Returns the number of deliveries made. */
static struct script script_wh_fanout = {
    "wh_fanout",
    "local subs = redis.call('SMEMBERS', KEYS[1])\n"
    "local wants = {}\n"
    "for _, s in ipairs(subs) do\n"
    "  wants[s] = ',' .. (redis.call('HGET', ARGV[1] .. s, 'events') or '') .. ','\n"
    "end\n"
    "local made = 0\n"
    "for i = 5, #ARGV - 3, 4 do\n"
    "  local ev = ARGV[i + 1]\n"
    "  for _, s in ipairs(subs) do\n"
    "    if ev ~= '' and string.find(wants[s], ',' .. ev .. ',', 1, true) then\n"
    "      local id = ARGV[i] .. '.' .. s\n"
    "      if redis.call('EXISTS', ARGV[2] .. id) == 0 then\n"
    "        redis.call('HSET', ARGV[2] .. id, 'webhook_id', s, 'event_id', ARGV[i],\n"
    "                   'event', ev, 'claim_id', ARGV[i + 2], 'status', ARGV[i + 3],\n"
    "                   'attempts', 0, 'state', 'pending', 'next_at', ARGV[4])\n"
    "        redis.call('ZADD', KEYS[2], ARGV[4], id)\n"
    "        redis.call('ZADD', ARGV[3] .. s, ARGV[4], id)\n"
    "        made = made + 1\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return made\n",
    "",
};

/* Take due deliveries for an attempt: each is leased (its due score moved to
 * the lease's end) so that no other process attempts it meanwhile; one whose
 * subscription is gone is dropped.
 * KEYS: 1 due set
 * ARGV: 1 now (ms), 2 lease end (ms), 3 at most this many, 4 subscription
 *       key prefix, 5 delivery key prefix, 6 pending key prefix
 * Returns per delivery {id, webhook_id, event_id, event, claim_id, status,
 * attempts so far, url, secret}. */
static struct script script_wh_claim = {
    "wh_claim",
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1],\n"
    "                       'LIMIT', 0, tonumber(ARGV[3]))\n"
    "local out = {}\n"
    "for _, id in ipairs(ids) do\n"
    "  local d = redis.call('HMGET', ARGV[5] .. id, 'webhook_id', 'event_id', 'event',\n"
    "                       'claim_id', 'status', 'attempts', 'state')\n"
    "  local s = d[1] and redis.call('HMGET', ARGV[4] .. d[1], 'url', 'secret') or {false, false}\n"
    "  if d[7] ~= 'pending' then\n"
    "    redis.call('ZREM', KEYS[1], id)\n"
    "  elseif not s[1] then\n"
    "    redis.call('ZREM', KEYS[1], id)\n"
    "    redis.call('ZREM', ARGV[6] .. d[1], id)\n"
    "    redis.call('DEL', ARGV[5] .. id)\n"
    "  else\n"
    "    redis.call('ZADD', KEYS[1], ARGV[2], id)\n"
    "    out[#out + 1] = {id, d[1], d[2], d[3], d[4], d[5], d[6], s[1], s[2]}\n"
    "  end\n"
    "end\n"
    "return out\n",
    "",
};

/* Record an attempt's outcome: "delivered", "retry" (due again at next) or
 * "dead". Ignored ("stale") unless the delivery is still pending with the
 * attempt count the attempt started from.
 * KEYS: 1 delivery hash, 2 due set, 3 pending set, 4 log, 5 dead list,
 *       6 subscription hash
 * ARGV: 1 delivery id, 2 attempts before, 3 outcome, 4 next attempt (ms),
 *       5 log entry JSON, 6 status code or "", 7 error or "", 8 now (RFC 3339)
 * Returns "ok", "stale" or "gone" (the subscription was deleted). */
static struct script script_wh_record = {
    "wh_record",
    "local d = redis.call('HMGET', KEYS[1], 'attempts', 'state')\n"
    "if d[2] ~= 'pending' or d[1] ~= ARGV[2] then return 'stale' end\n"
    "if redis.call('EXISTS', KEYS[6]) == 0 then\n"
    "  redis.call('DEL', KEYS[1])\n"
    "  redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "  redis.call('ZREM', KEYS[3], ARGV[1])\n"
    "  return 'gone'\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'attempts', tonumber(ARGV[2]) + 1, 'last_status', ARGV[6],\n"
    "           'last_error', ARGV[7], 'last_attempt_at', ARGV[8])\n"
    "if ARGV[3] == 'retry' then\n"
    "  redis.call('HSET', KEYS[1], 'next_at', ARGV[4])\n"
    "  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])\n"
    "  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])\n"
    "else\n"
    "  redis.call('HSET', KEYS[1], 'state', ARGV[3], 'next_at', '')\n"
    "  redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "  redis.call('ZREM', KEYS[3], ARGV[1])\n"
    "  if ARGV[3] == 'dead' then\n"
    "    redis.call('LPUSH', KEYS[5], ARGV[1])\n"
    "    redis.call('LTRIM', KEYS[5], 0, " CLAIMS_STR(
        WEBHOOK_DEAD_MAX) " - 1)\n"
                          "    redis.call('EXPIRE', KEYS[1], " CLAIMS_STR(
                              WEBHOOK_DEAD_TTL) ")\n"
                                                "  else\n"
                                                "    redis.call('EXPIRE', KEYS[1], " CLAIMS_STR(
                                                    WEBHOOK_DELIVERED_TTL) ")\n"
                                                                           "  end\n"
                                                                           "end\n"
                                                                           "redis.call('LPUSH', "
                                                                           "KEYS[4], ARGV[5])\n"
                                                                           "redis.call('LTRIM', "
                                                                           "KEYS[4], "
                                                                           "0, " CLAIMS_STR(
                                                                               WEBHOOK_LOG_MAX) " -"
                                                                                                " 1"
                                                                                                ")"
                                                                                                "\n"
                                                                                                "re"
                                                                                                "tu"
                                                                                                "rn"
                                                                                                " '"
                                                                                                "ok"
                                                                                                "'"
                                                                                                "\n",
    "",
};

/* A subscription's delivery log.
 * KEYS: 1 subscription hash, 2 log, 3 pending set, 4 dead list
 * ARGV: 1 delivery key prefix, 2 at most this many of each
 * Returns 0 when there is no such subscription, else {1, {log JSON...},
 * {pending rows}, {dead rows}}, a row being {id, event_id, event, claim_id,
 * attempts, next_at, last_status, last_error, last_attempt_at}. */
static struct script script_wh_log = {
    "wh_log",
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "local n = tonumber(ARGV[2])\n"
    "local function rows(ids)\n"
    "  local out = {}\n"
    "  for _, id in ipairs(ids) do\n"
    "    local d = redis.call('HMGET', ARGV[1] .. id, 'event_id', 'event', 'claim_id',\n"
    "                         'attempts', 'next_at', 'last_status', 'last_error',\n"
    "                         'last_attempt_at')\n"
    "    if d[1] then\n"
    "      local row = {id}\n"
    "      for i = 1, 8 do row[i + 1] = d[i] or '' end\n"
    "      out[#out + 1] = row\n"
    "    end\n"
    "  end\n"
    "  return out\n"
    "end\n"
    "return {1, redis.call('LRANGE', KEYS[2], 0, n - 1),\n"
    "        rows(redis.call('ZRANGE', KEYS[3], 0, n - 1)),\n"
    "        rows(redis.call('LRANGE', KEYS[4], 0, n - 1))}\n",
    "",
};

void queue_webhook_scripts_init(void)
{
    struct script *all[] = {&script_wh_put,   &script_wh_delete, &script_wh_read, &script_wh_fanout,
                            &script_wh_claim, &script_wh_record, &script_wh_log};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        queue_script_init(all[i]);
}

/* ---- subscriptions ---- */

/* What every asynchronous call remembers until its answer. */
struct wait {
    void (*cb)(void);
    void *arg;
};

static struct wait *wait_new(void (*cb)(void), void *arg)
{
    struct wait *w = malloc(sizeof *w);
    if (w) {
        w->cb = cb;
        w->arg = arg;
    }
    return w;
}

/* Sends a script with a wait as its callback's argument; frees the wait
 * when nothing was sent. */
static int send_script(struct rconn *rc, const struct script *s, rconn_reply_cb on_reply,
                       struct wait *w, int nkeys, const char *const *keys, int nargs,
                       const char *const *args)
{
    if (!w)
        return -1;
    if (queue_script_eval_async(rc, s, on_reply, w, nkeys, keys, nargs, args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

static void on_put(redisReply *reply, void *arg)
{
    struct wait w = *(struct wait *)arg;
    free(arg);
    queue_webhook_put_cb cb = (queue_webhook_put_cb)w.cb;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[1]->type != REDIS_REPLY_STRING) {
        cb(QUEUE_UNAVAILABLE, false, NULL, w.arg);
        return;
    }
    cb(QUEUE_OK, reply->element[0]->integer == 1, reply->element[1]->str, w.arg);
}

int queue_webhook_put(struct rconn *rc, const char *prefix, const char *id, const char *url,
                      const char *events, const char *secret, const char *now,
                      queue_webhook_put_cb cb, void *arg)
{
    char k_sub[KEY_LEN], k_set[KEY_LEN];
    snprintf(k_sub, sizeof k_sub, KEYF_WEBHOOK, HOME(prefix), id);
    snprintf(k_set, sizeof k_set, KEYF_WEBHOOKS, HOME(prefix));
    const char *keys[] = {k_sub, k_set};
    const char *args[] = {id, url, events, secret, now};
    return send_script(rc, &script_wh_put, on_put, wait_new((void (*)(void))cb, arg), 2, keys, 5,
                       args);
}

/* A hash's field from HGETALL's pairs, "" when absent. */
static const char *field_of(const redisReply *pairs, const char *name)
{
    const char *v = queue_reply_field(pairs, name);
    return v ? v : "";
}

static void on_get(redisReply *reply, void *arg)
{
    struct wait w = *(struct wait *)arg;
    free(arg);
    queue_webhook_cb cb = (queue_webhook_cb)w.cb;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        cb(QUEUE_UNAVAILABLE, NULL, w.arg);
        return;
    }
    if (reply->elements == 0) {
        cb(QUEUE_NOT_FOUND, NULL, w.arg);
        return;
    }
    struct queue_webhook sub = {
        .url = field_of(reply, "url"),
        .events = field_of(reply, "events"),
        .created_at = field_of(reply, "created_at"),
        .updated_at = field_of(reply, "updated_at"),
        .secret_set = field_of(reply, "secret")[0] != '\0',
    };
    cb(QUEUE_OK, &sub, w.arg);
}

int queue_webhook_get(struct rconn *rc, const char *prefix, const char *id, queue_webhook_cb cb,
                      void *arg)
{
    struct wait *w = wait_new((void (*)(void))cb, arg);
    if (!w)
        return -1;
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_WEBHOOK, HOME(prefix), id);
    if (queue_rconn_command(rc, on_get, w, "HGETALL %s", key) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

static void on_delete(redisReply *reply, void *arg)
{
    struct wait w = *(struct wait *)arg;
    free(arg);
    queue_status_cb cb = (queue_status_cb)w.cb;
    if (!reply || reply->type != REDIS_REPLY_INTEGER)
        cb(QUEUE_UNAVAILABLE, w.arg);
    else
        cb(reply->integer == 0 ? QUEUE_NOT_FOUND : QUEUE_OK, w.arg);
}

int queue_webhook_delete(struct rconn *rc, const char *prefix, const char *id, queue_status_cb cb,
                         void *arg)
{
    char k_sub[KEY_LEN], k_set[KEY_LEN], k_pend[KEY_LEN], k_log[KEY_LEN], k_dead[KEY_LEN],
        k_due[KEY_LEN], p_del[KEY_LEN];
    snprintf(k_sub, sizeof k_sub, KEYF_WEBHOOK, HOME(prefix), id);
    snprintf(k_set, sizeof k_set, KEYF_WEBHOOKS, HOME(prefix));
    snprintf(k_pend, sizeof k_pend, KEYF_WH_PENDING, HOME(prefix), id);
    snprintf(k_log, sizeof k_log, KEYF_WH_LOG, HOME(prefix), id);
    snprintf(k_dead, sizeof k_dead, KEYF_WH_DEAD, HOME(prefix), id);
    snprintf(k_due, sizeof k_due, KEYF_WH_DUE, HOME(prefix));
    snprintf(p_del, sizeof p_del, KEYF_WH_DELIVERY, HOME(prefix), "");
    const char *keys[] = {k_sub, k_set, k_pend, k_log, k_dead, k_due};
    const char *args[] = {id, p_del};
    return send_script(rc, &script_wh_delete, on_delete, wait_new((void (*)(void))cb, arg), 6, keys,
                       2, args);
}

/* The rows of script_wh_log that have its 9 fields, into out (allocated,
 * the caller frees it; NULL when there are none or memory ran out). */
static size_t delivery_rows(const redisReply *rows, struct queue_delivery_row **out)
{
    *out = NULL;
    if (rows->type != REDIS_REPLY_ARRAY || rows->elements == 0)
        return 0;
    struct queue_delivery_row *r = calloc(rows->elements, sizeof *r);
    if (!r)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < rows->elements; i++) {
        const redisReply *row = rows->element[i];
        if (row->type != REDIS_REPLY_ARRAY || row->elements != 9)
            continue;
        const char *v[9];
        for (size_t j = 0; j < 9; j++)
            v[j] = row->element[j]->type == REDIS_REPLY_STRING ? row->element[j]->str : "";
        r[n++] = (struct queue_delivery_row){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
    }
    *out = r;
    return n;
}

/* script_wh_log answers 0 (no such subscription) or {1, log, pending rows,
 * dead rows}. */
static void on_log(redisReply *reply, void *arg)
{
    struct wait w = *(struct wait *)arg;
    free(arg);
    queue_webhook_log_cb cb = (queue_webhook_log_cb)w.cb;
    if (!reply || (reply->type != REDIS_REPLY_ARRAY && reply->type != REDIS_REPLY_INTEGER)) {
        cb(QUEUE_UNAVAILABLE, NULL, 0, NULL, 0, NULL, 0, w.arg);
        return;
    }
    if (reply->type == REDIS_REPLY_INTEGER || reply->elements != 4) {
        cb(QUEUE_NOT_FOUND, NULL, 0, NULL, 0, NULL, 0, w.arg);
        return;
    }
    const redisReply *log = reply->element[1];
    const char **attempts = log->elements ? calloc(log->elements, sizeof *attempts) : NULL;
    size_t n_attempts = 0;
    for (size_t i = 0; attempts && i < log->elements; i++)
        if (log->element[i]->type == REDIS_REPLY_STRING)
            attempts[n_attempts++] = log->element[i]->str;
    struct queue_delivery_row *pending, *dead;
    size_t n_pending = delivery_rows(reply->element[2], &pending);
    size_t n_dead = delivery_rows(reply->element[3], &dead);
    cb(QUEUE_OK, attempts, n_attempts, pending, n_pending, dead, n_dead, w.arg);
    free(attempts);
    free(pending);
    free(dead);
}

int queue_webhook_log(struct rconn *rc, const char *prefix, const char *id, int limit,
                      queue_webhook_log_cb cb, void *arg)
{
    char k_sub[KEY_LEN], k_log[KEY_LEN], k_pend[KEY_LEN], k_dead[KEY_LEN], p_del[KEY_LEN],
        limit_text[16];
    snprintf(k_sub, sizeof k_sub, KEYF_WEBHOOK, HOME(prefix), id);
    snprintf(k_log, sizeof k_log, KEYF_WH_LOG, HOME(prefix), id);
    snprintf(k_pend, sizeof k_pend, KEYF_WH_PENDING, HOME(prefix), id);
    snprintf(k_dead, sizeof k_dead, KEYF_WH_DEAD, HOME(prefix), id);
    snprintf(p_del, sizeof p_del, KEYF_WH_DELIVERY, HOME(prefix), "");
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *keys[] = {k_sub, k_log, k_pend, k_dead};
    const char *args[] = {p_del, limit_text};
    return send_script(rc, &script_wh_log, on_log, wait_new((void (*)(void))cb, arg), 4, keys, 2,
                       args);
}

/* ---- the dispatcher ---- */

int queue_event_id(const char *stream_id, int shard, int n_shards, char *buf, size_t size)
{
    if (n_shards <= 1) {
        int w = snprintf(buf, size, "%s", stream_id);
        return w < 0 || (size_t)w >= size ? -1 : 0;
    }
    char *end;
    errno = 0;
    unsigned long long ms = strtoull(stream_id, &end, 10);
    if (errno || end == stream_id || *end != '-' || !isdigit((unsigned char)end[1]))
        return -1;
    const char *seq_text = end + 1;
    unsigned long long seq = strtoull(seq_text, &end, 10);
    if (errno || *end != '\0' || seq > (ULLONG_MAX - (unsigned)shard) / (unsigned)n_shards)
        return -1;
    int w = snprintf(buf, size, "%llu-%llu", ms, seq * (unsigned)n_shards + (unsigned)shard);
    return w < 0 || (size_t)w >= size ? -1 : 0;
}

/*
 * The fan-out over the shards (docs/webhooks.md "Delivery"): step 1 reads
 * every shard's stream (script_wh_read, one request per shard, all sent at
 * once), step 2 makes the deliveries of every event read on the home shard
 * (script_wh_fanout, one request), step 3 acknowledges each shard's events
 * (XACK, all at once). A stop or a failure after step 1 leaves the events
 * pending in the group: a later step 1 takes them over once idle for
 * WEBHOOK_FANOUT_RECLAIM_MS, and step 2 makes only the deliveries that do not
 * exist yet, so every event is fanned out, once per subscription.
 */
struct fan_event {
    int shard;
    char *stream_id; /* its entry in the shard's stream (XACK) */
    char *event_id;  /* queue_event_id: what deliveries carry */
    char *event, *claim_id, *status;
};

struct fan_run {
    struct rconn *rc;
    char *prefix, *consumer;
    char now_text[24], count[16];
    queue_fanout_cb cb;
    void *arg;
    int n_shards, waiting;
    bool no_group, failed;
    char *error; /* the first Redis error met, or NULL */
    struct fan_event *ev;
    size_t n_ev, cap_ev;
    long long made;
};

static void fan_run_free(struct fan_run *r)
{
    for (size_t i = 0; i < r->n_ev; i++) {
        struct fan_event *e = &r->ev[i];
        free(e->stream_id);
        free(e->event_id);
        free(e->event);
        free(e->claim_id);
        free(e->status);
    }
    free(r->ev);
    free(r->error);
    free(r->prefix);
    free(r->consumer);
    free(r);
}

static void fan_fail(struct fan_run *r, const char *error)
{
    r->failed = true;
    if (error && !r->error)
        r->error = strdup(error);
}

static void fan_finish(struct fan_run *r)
{
    enum queue_status st = r->failed ? QUEUE_UNAVAILABLE : r->no_group ? QUEUE_NOT_FOUND : QUEUE_OK;
    r->cb(st, (long long)r->n_ev, r->made, r->error, r->arg);
    fan_run_free(r);
}

/* Adds one row {stream id, event, claim_id, status} of shard s's step 1.
 * Returns 0, or -1 when memory ran out. */
static int fan_add(struct fan_run *r, int s, const redisReply *row)
{
    if (row->type != REDIS_REPLY_ARRAY || row->elements != 4)
        return 0;
    for (size_t j = 0; j < 4; j++)
        if (row->element[j]->type != REDIS_REPLY_STRING)
            return 0;
    char id[48];
    if (queue_event_id(row->element[0]->str, s, r->n_shards, id, sizeof id) != 0) {
        log_error("webhook fan-out: event %s of shard %d has no usable id", row->element[0]->str,
                  s);
        return 0; /* stays pending: seen again, and logged, after the idle time */
    }
    if (r->n_ev == r->cap_ev) {
        size_t cap = r->cap_ev ? 2 * r->cap_ev : 64;
        struct fan_event *ev = realloc(r->ev, cap * sizeof *ev);
        if (!ev)
            return -1;
        r->ev = ev;
        r->cap_ev = cap;
    }
    struct fan_event e = {s,
                          strdup(row->element[0]->str),
                          strdup(id),
                          strdup(row->element[1]->str),
                          strdup(row->element[2]->str),
                          strdup(row->element[3]->str)};
    r->ev[r->n_ev++] = e; /* freed with the run, also when a copy failed */
    return e.stream_id && e.event_id && e.event && e.claim_id && e.status ? 0 : -1;
}

static void fan_put(struct fan_run *r);

/* Shard s's step 1 answer. */
static void fan_read_one(struct fan_run *r, int s, const redisReply *reply)
{
    if (!reply) {
        fan_fail(r, NULL);
    } else if (reply->type == REDIS_REPLY_ERROR) {
        if (strstr(reply->str, "NOGROUP"))
            r->no_group = true;
        else
            fan_fail(r, reply->str);
    } else if (reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < reply->elements; i++)
            if (fan_add(r, s, reply->element[i]) != 0) {
                fan_fail(r, "out of memory");
                break;
            }
    } else {
        fan_fail(r, NULL);
    }
}

/* shard_fanout_done_fn of step 1: every shard's events, then step 2. */
static void on_fan_read(redisReply *const *replies, int n_shards, void *arg)
{
    struct fan_run *r = arg;
    for (int s = 0; s < n_shards; s++)
        fan_read_one(r, s, replies[s]);
    fan_put(r);
}

static void on_fan_acked(redisReply *reply, void *arg)
{
    struct fan_run *r = arg;
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        fan_fail(r, reply ? reply->str : NULL);
    if (--r->waiting == 0)
        fan_finish(r);
}

/* Step 3: each shard's events acknowledged, one XACK per shard. */
static void fan_ack(struct fan_run *r)
{
    const char **argv = calloc(r->n_ev + 3, sizeof *argv);
    if (!argv) {
        fan_fail(r, "out of memory");
        fan_finish(r);
        return;
    }
    r->waiting = 1; /* held until every XACK is sent */
    for (int s = 0; s < r->n_shards; s++) {
        char key[KEY_LEN];
        snprintf(key, sizeof key, KEYF_EVENTS, SHARD_PREFIX(r->prefix, s));
        int argc = 3;
        for (size_t i = 0; i < r->n_ev; i++)
            if (r->ev[i].shard == s)
                argv[argc++] = r->ev[i].stream_id;
        if (argc == 3)
            continue;
        argv[0] = "XACK";
        argv[1] = key;
        argv[2] = EVENTS_GROUP;
        if (queue_rconn_command_argv(r->rc, on_fan_acked, r, argc, argv, NULL) == 0)
            r->waiting++;
        else
            fan_fail(r, NULL);
    }
    free(argv);
    if (--r->waiting == 0)
        fan_finish(r);
}

static void on_fan_put(redisReply *reply, void *arg)
{
    struct fan_run *r = arg;
    if (!reply || reply->type != REDIS_REPLY_INTEGER) {
        fan_fail(r, reply && reply->type == REDIS_REPLY_ERROR ? reply->str : NULL);
        fan_finish(r); /* not acknowledged: taken over after the idle time */
        return;
    }
    r->made = reply->integer;
    fan_ack(r);
}

/* Step 2: the deliveries of every event read, in one script on the home
 * shard. */
static void fan_put(struct fan_run *r)
{
    if (r->failed || r->n_ev == 0) {
        fan_finish(r); /* what was read stays pending, taken over later */
        return;
    }
    char k_subs[KEY_LEN], k_due[KEY_LEN], p_sub[KEY_LEN], p_del[KEY_LEN], p_pend[KEY_LEN];
    snprintf(k_subs, sizeof k_subs, KEYF_WEBHOOKS, HOME(r->prefix));
    snprintf(k_due, sizeof k_due, KEYF_WH_DUE, HOME(r->prefix));
    snprintf(p_sub, sizeof p_sub, KEYF_WEBHOOK, HOME(r->prefix), "");
    snprintf(p_del, sizeof p_del, KEYF_WH_DELIVERY, HOME(r->prefix), "");
    snprintf(p_pend, sizeof p_pend, KEYF_WH_PENDING, HOME(r->prefix), "");
    const char **args = calloc(4 + 4 * r->n_ev, sizeof *args);
    if (!args) {
        fan_fail(r, "out of memory");
        fan_finish(r);
        return;
    }
    args[0] = p_sub;
    args[1] = p_del;
    args[2] = p_pend;
    args[3] = r->now_text;
    for (size_t i = 0; i < r->n_ev; i++) {
        args[4 + 4 * i] = r->ev[i].event_id;
        args[5 + 4 * i] = r->ev[i].event;
        args[6 + 4 * i] = r->ev[i].claim_id;
        args[7 + 4 * i] = r->ev[i].status;
    }
    const char *keys[] = {k_subs, k_due};
    int sent = queue_script_eval_async(r->rc, &script_wh_fanout, on_fan_put, r, 2, keys,
                                       (int)(4 + 4 * r->n_ev), args, NULL);
    free(args);
    if (sent != 0) {
        fan_fail(r, NULL);
        fan_finish(r);
    }
}

static struct fan_run *fan_run_new(struct rconn *rc, const char *prefix, const char *consumer,
                                   int max_events, int64_t now_ms, queue_fanout_cb cb, void *arg)
{
    int n = queue_shard_count();
    struct fan_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->rc = rc;
    r->prefix = strdup(prefix);
    r->consumer = strdup(consumer);
    r->cb = cb;
    r->arg = arg;
    r->n_shards = n;
    snprintf(r->now_text, sizeof r->now_text, "%" PRId64, now_ms);
    snprintf(r->count, sizeof r->count, "%d", max_events);
    if (!r->prefix || !r->consumer) {
        fan_run_free(r);
        return NULL;
    }
    return r;
}

/* shard_fanout_send_fn of step 1: shard s's stream read. */
static int fan_read_send(struct shard_fanout *f, int s, void *ctx)
{
    const struct fan_run *r = ctx;
    char k_events[KEY_LEN];
    snprintf(k_events, sizeof k_events, KEYF_EVENTS, SHARD_PREFIX(r->prefix, s));
    const char *keys[] = {k_events};
    const char *args[] = {EVENTS_GROUP, r->consumer, r->count,
                          CLAIMS_STR(WEBHOOK_FANOUT_RECLAIM_MS)};
    return queue_script_eval_async(r->rc, &script_wh_read, queue_shard_fanout_reply,
                                   queue_shard_fanout_arg(f, s), 1, keys, 4, args, NULL);
}

int queue_webhook_fanout(struct rconn *rc, const char *prefix, const char *consumer, int max_events,
                         int64_t now_ms, queue_fanout_cb cb, void *arg)
{
    struct fan_run *r = fan_run_new(rc, prefix, consumer, max_events, now_ms, cb, arg);
    if (!r)
        return -1;
    if (queue_shard_fanout_each(r->n_shards, fan_read_send, r, on_fan_read, r) != 0) {
        fan_run_free(r); /* nothing sent: no callback */
        return -1;
    }
    return 0;
}

/* Making the group on every shard's stream: one XGROUP CREATE per shard. */
struct group_run {
    queue_status_cb cb;
    void *arg;
};

/* shard_fanout_done_fn: QUEUE_OK when every shard has the group. */
static void on_groups_made(redisReply *const *replies, int n_shards, void *arg)
{
    struct group_run g = *(struct group_run *)arg;
    free(arg);
    bool failed = false;
    for (int s = 0; s < n_shards; s++) {
        const redisReply *reply = replies[s];
        if (!reply) {
            failed = true;
        } else if (reply->type == REDIS_REPLY_STATUS) {
            if (n_shards == 1)
                log_info("events consumer group \"%s\" created", EVENTS_GROUP);
            else
                log_info("events consumer group \"%s\" created on shard %d", EVENTS_GROUP, s);
        } else if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "BUSYGROUP", 9) != 0) {
            log_warn("events consumer group not created: %s", reply->str);
            failed = true;
        } /* BUSYGROUP: another process made it meanwhile */
    }
    g.cb(failed ? QUEUE_UNAVAILABLE : QUEUE_OK, g.arg);
}

/* Where every shard's XGROUP CREATE goes. */
struct group_query {
    struct rconn *rc;
    const char *prefix;
};

/* shard_fanout_send_fn: shard s's XGROUP CREATE. */
static int group_send(struct shard_fanout *f, int s, void *ctx)
{
    const struct group_query *q = ctx;
    char k_events[KEY_LEN];
    snprintf(k_events, sizeof k_events, KEYF_EVENTS, SHARD_PREFIX(q->prefix, s));
    return queue_rconn_command(q->rc, queue_shard_fanout_reply, queue_shard_fanout_arg(f, s),
                               "XGROUP CREATE %s %s 0 MKSTREAM", k_events, EVENTS_GROUP);
}

int queue_events_group_create(struct rconn *rc, const char *prefix, queue_status_cb cb, void *arg)
{
    struct group_run *g = malloc(sizeof *g);
    if (!g)
        return -1;
    *g = (struct group_run){cb, arg};
    struct group_query q = {rc, prefix};
    if (queue_shard_fanout_each(queue_shard_count(), group_send, &q, on_groups_made, g) != 0) {
        free(g);
        return -1;
    }
    return 0;
}

/* script_wh_claim answers per delivery {id, webhook_id, event_id, event,
 * claim_id, status, attempts so far, url, secret}. */
static void on_lease(redisReply *reply, void *arg)
{
    struct wait w = *(struct wait *)arg;
    free(arg);
    queue_lease_cb cb = (queue_lease_cb)w.cb;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        cb(QUEUE_UNAVAILABLE, NULL, 0,
           reply && reply->type == REDIS_REPLY_ERROR ? reply->str : NULL, w.arg);
        return;
    }
    struct queue_delivery_lease *rows =
        reply->elements ? calloc(reply->elements, sizeof *rows) : NULL;
    size_t n = 0;
    for (size_t i = 0; rows && i < reply->elements; i++) {
        const redisReply *row = reply->element[i];
        bool whole = row->type == REDIS_REPLY_ARRAY && row->elements == 9;
        for (size_t j = 0; whole && j < 9; j++)
            whole = row->element[j]->type == REDIS_REPLY_STRING;
        if (!whole)
            continue;
        const char *v[9];
        for (size_t j = 0; j < 9; j++)
            v[j] = row->element[j]->str;
        rows[n++] = (struct queue_delivery_lease){
            .delivery_id = v[0],
            .webhook_id = v[1],
            .event_id = v[2],
            .event = v[3],
            .claim_id = v[4],
            .status = v[5],
            .attempts = atoi(v[6]),
            .url = v[7],
            .secret = v[8],
        };
    }
    if (reply->elements && !rows)
        log_error("webhook deliveries not attempted: out of memory");
    cb(QUEUE_OK, rows, n, NULL, w.arg);
    free(rows);
}

int queue_webhook_lease(struct rconn *rc, const char *prefix, int64_t now_ms,
                        int64_t lease_until_ms, int max, queue_lease_cb cb, void *arg)
{
    char k_due[KEY_LEN], p_sub[KEY_LEN], p_del[KEY_LEN], p_pend[KEY_LEN];
    snprintf(k_due, sizeof k_due, KEYF_WH_DUE, HOME(prefix));
    snprintf(p_sub, sizeof p_sub, KEYF_WEBHOOK, HOME(prefix), "");
    snprintf(p_del, sizeof p_del, KEYF_WH_DELIVERY, HOME(prefix), "");
    snprintf(p_pend, sizeof p_pend, KEYF_WH_PENDING, HOME(prefix), "");
    char now_text[24], lease_text[24], count[16];
    snprintf(now_text, sizeof now_text, "%" PRId64, now_ms);
    snprintf(lease_text, sizeof lease_text, "%" PRId64, lease_until_ms);
    snprintf(count, sizeof count, "%d", max);
    const char *keys[] = {k_due};
    const char *args[] = {now_text, lease_text, count, p_sub, p_del, p_pend};
    return send_script(rc, &script_wh_claim, on_lease, wait_new((void (*)(void))cb, arg), 1, keys,
                       6, args);
}

static void on_record(redisReply *reply, void *arg)
{
    struct wait w = *(struct wait *)arg;
    free(arg);
    queue_record_outcome_cb cb = (queue_record_outcome_cb)w.cb;
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        cb(QUEUE_UNAVAILABLE, NULL, w.arg);
    else
        cb(QUEUE_OK, reply->type == REDIS_REPLY_STRING ? reply->str : NULL, w.arg);
}

int queue_webhook_record(struct rconn *rc, const char *prefix,
                         const struct queue_delivery_outcome *o, queue_record_outcome_cb cb,
                         void *arg)
{
    char k_del[KEY_LEN], k_due[KEY_LEN], k_pend[KEY_LEN], k_log[KEY_LEN], k_dead[KEY_LEN],
        k_sub[KEY_LEN], before[16], next[24];
    snprintf(k_del, sizeof k_del, KEYF_WH_DELIVERY, HOME(prefix), o->delivery_id);
    snprintf(k_due, sizeof k_due, KEYF_WH_DUE, HOME(prefix));
    snprintf(k_pend, sizeof k_pend, KEYF_WH_PENDING, HOME(prefix), o->webhook_id);
    snprintf(k_log, sizeof k_log, KEYF_WH_LOG, HOME(prefix), o->webhook_id);
    snprintf(k_dead, sizeof k_dead, KEYF_WH_DEAD, HOME(prefix), o->webhook_id);
    snprintf(k_sub, sizeof k_sub, KEYF_WEBHOOK, HOME(prefix), o->webhook_id);
    snprintf(before, sizeof before, "%d", o->attempts_before);
    snprintf(next, sizeof next, "%" PRId64, o->next_attempt_ms);
    const char *keys[] = {k_del, k_due, k_pend, k_log, k_dead, k_sub};
    const char *args[] = {o->delivery_id, before,         o->outcome, next,
                          o->log_entry,   o->status_code, o->error,   o->now};
    return send_script(rc, &script_wh_record, on_record, wait_new((void (*)(void))cb, arg), 6, keys,
                       8, args);
}
