#include "remit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/scripts.h"

/*
 * The close, atomic.
 * KEYS: 1 provider due set, 2 member due set, 3 payments hash, 4 cycle
 *       counter, 5 summaries hash, 6 claims hash, 7 the date's scheduled marker
 * ARGV: 1 date (YYYY-MM-DD), 2 created_at, 3 "1" scheduled, 4 the date as
 *       YYYYMMDD (the cycle id's first part)
 * Returns the summary JSON, or "" (scheduled: already run, or nothing due).
 */
static struct script script_remit_close = {
    "remit_close",
    "if ARGV[3] == '1' then\n"
    "  if not redis.call('SET', KEYS[7], ARGV[2], 'NX', 'EX', 259200) then return '' end\n"
    "  if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[2]) == 0 then return '' "
    "end\n"
    "end\n"
    "local seq = redis.call('INCR', KEYS[4])\n"
    "local id = ARGV[4] .. '-' .. seq\n"
    "local prov = redis.call('ZRANGE', KEYS[1], 0, -1)\n"
    "local mem = redis.call('ZRANGE', KEYS[2], 0, -1)\n"
    "local by, npis = {}, {}\n"
    "local total, n = 0, 0\n"
    "for _, c in ipairs(prov) do\n"
    "  local v = redis.call('HGET', KEYS[3], c) or ''\n"
    "  local npi, cents = string.match(v, '^P|([^|]*)|(%d+)$')\n"
    "  if npi then\n"
    "    if not by[npi] then by[npi] = {npi = npi, ids = {}, total = 0}; npis[#npis + 1] = npi "
    "end\n"
    "    local p = by[npi]\n"
    "    p.ids[#p.ids + 1] = c\n"
    "    p.total = p.total + tonumber(cents)\n"
    "    total = total + tonumber(cents)\n"
    "    n = n + 1\n"
    "  end\n"
    "  redis.call('HDEL', KEYS[3], c)\n"
    "end\n"
    "table.sort(npis)\n"
    "local sp, cp = {}, {}\n"
    "for _, npi in ipairs(npis) do\n"
    "  local p = by[npi]\n"
    "  sp[#sp + 1] = {npi = npi, claims = #p.ids, total = p.total}\n"
    "  cp[#cp + 1] = {npi = npi, claims = p.ids}\n"
    "end\n"
    "local members, mt = {}, 0\n"
    "for _, c in ipairs(mem) do\n"
    "  local v = redis.call('HGET', KEYS[3], c) or ''\n"
    "  local m, cents = string.match(v, '^M|(.*)|(%d+)$')\n"
    "  if m then\n"
    "    members[#members + 1] = {claim_id = c, member_id = m, amount = tonumber(cents)}\n"
    "    mt = mt + tonumber(cents)\n"
    "  end\n"
    "  redis.call('HDEL', KEYS[3], c)\n"
    "end\n"
    "redis.call('DEL', KEYS[1], KEYS[2])\n"
    "local summary = cjson.encode({cycle_id = id, seq = seq, date = ARGV[1], created_at = "
    "ARGV[2],\n"
    "  claims = n, total = total, member_claims = #members, member_total = mt, payees = sp})\n"
    "redis.call('HSET', KEYS[5], id, summary)\n"
    "redis.call('HSET', KEYS[6], id, cjson.encode({payees = cp, members = members}))\n"
    "return summary\n",
    "",
};

static bool script_ready;

struct close_wait {
    queue_remit_close_cb cb;
    void *arg;
};

static void on_closed(redisReply *reply, void *arg)
{
    struct close_wait *w = arg;
    if (!reply || reply->type != REDIS_REPLY_STRING) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("payment cycle: the close failed: %s", reply->str);
        w->cb(QUEUE_UNAVAILABLE, NULL, w->arg);
    } else {
        w->cb(QUEUE_OK, reply->len > 0 ? reply->str : NULL, w->arg);
    }
    free(w);
}

int queue_remit_close(struct rconn *rc, const char *prefix, const char *date,
                      const char *created_at, bool scheduled, queue_remit_close_cb cb, void *arg)
{
    if (!script_ready) {
        script_init(&script_remit_close);
        script_ready = true;
    }
    if (strlen(date) != 10)
        return -1;
    struct close_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    *w = (struct close_wait){cb, arg};
    char k[7][KEY_LEN], compact[9];
    snprintf(k[0], KEY_LEN, KEYF_REMIT_DUE, SP0(prefix));
    snprintf(k[1], KEY_LEN, KEYF_MEMBERPAY_DUE, SP0(prefix));
    snprintf(k[2], KEY_LEN, KEYF_REMIT_INFO, SP0(prefix));
    snprintf(k[3], KEY_LEN, KEYF_REMIT_SEQ, SP0(prefix));
    snprintf(k[4], KEY_LEN, KEYF_REMIT_CYCLES, SP0(prefix));
    snprintf(k[5], KEY_LEN, KEYF_REMIT_CLAIMS, SP0(prefix));
    snprintf(k[6], KEY_LEN, KEYF_REMIT_AUTO, SP0(prefix), date);
    snprintf(compact, sizeof compact, "%.4s%.2s%.2s", date, date + 5, date + 8);
    const char *keys[] = {k[0], k[1], k[2], k[3], k[4], k[5], k[6]};
    const char *args[] = {date, created_at, scheduled ? "1" : "0", compact};
    if (script_eval_async(rc, &script_remit_close, on_closed, w, 7, keys, 4, args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

struct texts_wait {
    queue_remit_texts_cb cb;
    void *arg;
};

static void on_texts(redisReply *reply, void *arg)
{
    struct texts_wait *w = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("remittance read failed: %s", reply->str);
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, w->arg);
        free(w);
        return;
    }
    const char **texts = calloc(reply->elements + 1, sizeof *texts);
    if (!texts) {
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, w->arg);
        free(w);
        return;
    }
    for (size_t i = 0; i < reply->elements; i++)
        texts[i] = reply->element[i]->type == REDIS_REPLY_STRING ? reply->element[i]->str : NULL;
    w->cb(QUEUE_OK, texts, reply->elements, w->arg);
    free(texts);
    free(w);
}

int queue_remit_cycles(struct rconn *rc, const char *prefix, queue_remit_texts_cb cb, void *arg)
{
    struct texts_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    *w = (struct texts_wait){cb, arg};
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_REMIT_CYCLES, SP0(prefix));
    if (rconn_command(rc, on_texts, w, "HVALS %s", key) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

int queue_remit_cycle_claims(struct rconn *rc, const char *prefix, const char *const *cycle_ids,
                             size_t n, queue_remit_texts_cb cb, void *arg)
{
    if (n == 0 || n > 1000)
        return -1;
    struct texts_wait *w = malloc(sizeof *w);
    const char **argv = calloc(n + 2, sizeof *argv);
    if (!w || !argv) {
        free(w);
        free(argv);
        return -1;
    }
    *w = (struct texts_wait){cb, arg};
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_REMIT_CLAIMS, SP0(prefix));
    argv[0] = "HMGET";
    argv[1] = key;
    for (size_t i = 0; i < n; i++)
        argv[2 + i] = cycle_ids[i];
    int rc_ = rconn_command_argv(rc, on_texts, w, (int)n + 2, argv, NULL);
    free(argv);
    if (rc_ != 0) {
        free(w);
        return -1;
    }
    return 0;
}
