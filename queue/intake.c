#include "intake.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/keys.h"
#include "queue/scripts.h"

/* The per-claim argument layout of script_intake_batch. */
enum { K_CLAIM, K_BODY, K_IDEM, K_MREF, K_CAUDIT, KEYS_PER_CLAIM };
enum {
    A_ID,
    A_TYPE,
    A_MEMBER,
    A_RECEIVED,
    A_TARGET,
    A_RECEIVED_DAY,
    A_TARGET_DAY,
    A_YEARS,
    A_BY_TOKEN,
    A_BY_ROLE,
    A_BY_NPI,
    A_MEMBER_ONLY,
    A_HISTORY,
    A_SUBMITTED,
    A_AUDIT,
    A_IDEM_VALUE,
    A_IDEM_TTL,
    A_REPLACES,
    A_REPLACE_AUDIT,
    ARGS_PER_CLAIM
};
#define SHARED_KEYS 6 /* work stream, SLA, sequence, idx:all, idx:s:received, audit stream */
/* claim count, family and provider index prefixes, then what a replacement
 * touches: claim key, fingerprint and family version prefixes, the events
 * stream, the two payment due sets, remit:info, the claim audit list prefix */
#define SHARED_ARGS 11

/*
 * The intake step for a batch of claims; each claim stands alone (see
 * queue/intake.h). Per claim: an idempotency key already set answers
 * "replay" with what it remembers; a member token filing for someone who is
 * neither self nor, as the subscriber, a family member answers "forbidden";
 * otherwise the claim hash (small fields only: a listpack), its body, the
 * work stream entry with the worker's hints, the SLA entry, the search
 * indexes, the idempotency key and the audit record (written once, its id on
 * the claim's audit list) are written and "created" answers the index score.
 * KEYS: 1 work stream, 2 SLA zset, 3 sequence, 4 index of all claims,
 *       5 index of received claims, 6 audit stream, then per claim
 *       KEYS_PER_CLAIM keys in the K_* order (the idempotency key is the
 *       claim key again when there is none)
 * ARGV: 1 number of claims, 2 the family index key prefix, 3 the provider
 *       index key prefix, 4 claim key prefix, 5 fingerprint key prefix,
 *       6 family version key prefix, 7 events stream, 8 remit:due,
 *       9 memberpay:due, 10 remit:info, 11 claim audit list prefix, then per
 *       claim ARGS_PER_CLAIM values in the A_* order (A_IDEM_VALUE "" when
 *       there is no idempotency key, A_REPLACES "" for a new claim)
 * Returns {outcome, value} per claim, flattened: "created"/score,
 * "replay"/remembered value, "forbidden"/"", "conflict"/the original's
 * status or "member", "error"/reason.
 */
static struct script script_intake_batch = {
    "intake_batch",
    "local fpre, ppre = ARGV[2], ARGV[3]\n"
    "local function replace_original(orig, id, member, hist, audit)\n"
    "  local ck = ARGV[4] .. orig\n"
    "  local f = redis.call('HMGET', ck, 'subscriber_id', 'years', 'history')\n"
    "  local sub = f[1] or ''\n"
    "  if sub == '' then sub = member end\n"
    "  local entry = 'replaced@' .. string.match(hist, '@(%d+)$')\n"
    "  local h = f[3]\n"
    "  if h and h ~= '' then h = h .. ',' .. entry else h = entry end\n"
    "  redis.call('HSET', ck, 'status', 'replaced', 'replaced_by', id, 'history', h, 'rev', '1')\n"
    "  redis.call('ZREM', ARGV[8], orig)\n"
    "  redis.call('ZREM', ARGV[9], orig)\n"
    "  redis.call('HDEL', ARGV[10], orig)\n"
    "  local fk = ARGV[5] .. member\n"
    "  local all = redis.call('HGETALL', fk)\n"
    "  for i = 1, #all, 2 do\n"
    "    if all[i + 1] == orig then redis.call('HDEL', fk, all[i]) end\n"
    "  end\n"
    "  local vk = ARGV[6] .. sub\n"
    "  local v = redis.call('GET', vk) or '0'\n"
    "  local count = (tonumber(string.match(v, '^%d+')) or 0) + 1\n"
    "  redis.call('SET', vk, count .. ':replace:' .. orig)\n"
    "  redis.call('XADD', KEYS[1], '*', 'claim', orig, 'redecide', '1', 'm', member, 's', sub,\n"
    "             'y', f[2] or '')\n"
    "  local aid = redis.call('XADD', KEYS[6], '*', 'claim_id', orig, 'record', audit)\n"
    "  redis.call('RPUSH', ARGV[11] .. orig, aid)\n"
    "  redis.call('XADD', ARGV[7], 'MAXLEN', '~', 100000, '*', 'event', 'claim.replaced',\n"
    "             'claim_id', orig, 'status', 'replaced')\n"
    "end\n"
    "local function one(k, a)\n"
    "  local claim, body, idem, mref, caudit = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], "
    "KEYS[k + 4]\n"
    "  local id, member, years = ARGV[a], ARGV[a + 2], ARGV[a + 7]\n"
    "  if ARGV[a + 15] ~= '' then\n"
    "    local prev = redis.call('GET', idem)\n"
    "    if prev then return 'replay', prev end\n"
    "  end\n"
    "  local ref = redis.call('HMGET', mref, 'subscriber_id', 'group_id', 'plan_id')\n"
    "  local sub, grp, plan = ref[1] or '', ref[2] or '', ref[3] or ''\n"
    "  local only = ARGV[a + 11]\n"
    "  if only ~= '' and only ~= member and (sub == '' or only ~= sub) then return 'forbidden', '' "
    "end\n"
    "  if redis.call('EXISTS', claim) == 1 then return 'error', 'claim id in use' end\n"
    "  local orig = ARGV[a + 17]\n"
    "  if orig ~= '' then\n"
    "    local o = redis.call('HMGET', ARGV[4] .. orig, 'status', 'member_id')\n"
    "    if o[1] ~= 'approved' and o[1] ~= 'denied' then return 'conflict', o[1] or '' end\n"
    "    if o[2] ~= member then return 'conflict', 'member' end\n"
    "  end\n"
    "  local seq = redis.call('INCR', KEYS[3]) % 2097152\n"
    "  local score = tonumber(ARGV[a + 5]) * 2097152 + seq\n"
    "  redis.call('HSET', claim, 'id', id, 'type', ARGV[a + 1], 'member_id', member,\n"
    "    'subscriber_id', sub, 'status', 'received', 'received', ARGV[a + 3], 'target', ARGV[a + "
    "4],\n"
    "    'target_day', ARGV[a + 6], 'score', score, 'by_token', ARGV[a + 8], 'by_role', ARGV[a + "
    "9],\n"
    "    'by_npi', ARGV[a + 10], 'group_hint', grp, 'plan_hint', plan, 'years', years,\n"
    "    'history', ARGV[a + 12])\n"
    "  redis.call('SET', body, ARGV[a + 13])\n"
    "  redis.call('XADD', KEYS[1], '*', 'claim', id, 'm', member, 's', sub, 'g', grp, 'p', plan, "
    "'y', years)\n"
    "  redis.call('ZADD', KEYS[2], ARGV[a + 6], id)\n"
    "  redis.call('ZADD', KEYS[4], score, id)\n"
    "  redis.call('ZADD', KEYS[5], score, id)\n"
    "  if sub ~= '' then member = sub end\n"
    "  redis.call('ZADD', fpre .. member, score, id)\n"
    "  if ARGV[a + 10] ~= '' then redis.call('ZADD', ppre .. ARGV[a + 10], score, id) end\n"
    "  if ARGV[a + 15] ~= '' then redis.call('SET', idem, ARGV[a + 15], 'EX', ARGV[a + 16]) end\n"
    "  local aid = redis.call('XADD', KEYS[6], '*', 'claim_id', id, 'record', ARGV[a + 14])\n"
    "  redis.call('RPUSH', caudit, aid)\n"
    "  if orig ~= '' then\n"
    "    redis.call('HSET', claim, 'replaces', orig)\n"
    "    replace_original(orig, id, ARGV[a + 2], ARGV[a + 12], ARGV[a + 18])\n"
    "  end\n"
    "  return 'created', string.format('%.0f', score)\n"
    "end\n"
    "local out = {}\n"
    "for i = 0, tonumber(ARGV[1]) - 1 do\n"
    "  local o, v = one(7 + i * 5, 12 + i * 19)\n"
    "  out[#out + 1] = o\n"
    "  out[#out + 1] = v\n"
    "end\n"
    "return out\n",
    "",
};

/* One queued claim: its keys and arguments, copied into one allocation. */
struct pending_claim {
    struct pending_claim *next;
    queue_intake_cb cb;
    void *arg;
    const char *keys[KEYS_PER_CLAIM];
    size_t key_lens[KEYS_PER_CLAIM];
    const char *args[ARGS_PER_CLAIM];
    size_t arg_lens[ARGS_PER_CLAIM];
    char text[]; /* every key and argument, NUL-terminated, back to back */
};

/* A batch on its way: the command line refers into the claims' copies. */
struct batch {
    struct queue_intake *qi;
    struct pending_claim *claims;
    int n;
    int argc;
    const char **argv;
    size_t *argvlen;
    bool retried; /* sent again with EVAL after NOSCRIPT */
    char nkeys[16], nclaims[16];
};

struct queue_intake {
    struct event_base *base;
    struct rconn *redis;
    struct event *flush_ev;
    int max_batch;
    char prefix[64]; /* the configured key prefix (config.h: at most 63 bytes) */
    struct pending_claim *head, **tail;
    int n_pending;
    struct queue_intake_stats stats;
    char k_stream[KEY_LEN], k_sla[KEY_LEN], k_seq[KEY_LEN], k_all[KEY_LEN], k_received[KEY_LEN],
        k_audit[KEY_LEN], family_prefix[KEY_LEN], provider_prefix[KEY_LEN];
    char claim_prefix[KEY_LEN], fp_prefix[KEY_LEN], famver_prefix[KEY_LEN], k_events[KEY_LEN],
        k_remit_due[KEY_LEN], k_memberpay_due[KEY_LEN], k_remit_info[KEY_LEN],
        caudit_prefix[KEY_LEN];
};

static void flush(struct queue_intake *qi);

static void on_flush_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    flush(arg);
}

struct queue_intake *queue_intake_new(struct event_base *base, struct rconn *redis,
                                      const char *prefix, int max_batch)
{
    struct queue_intake *qi = calloc(1, sizeof *qi);
    if (!qi)
        return NULL;
    qi->flush_ev = event_new(base, -1, 0, on_flush_event, qi);
    if (!qi->flush_ev) {
        free(qi);
        return NULL;
    }
    script_init(&script_intake_batch);
    qi->base = base;
    qi->redis = redis;
    qi->max_batch = max_batch > 0 ? max_batch : 1;
    qi->tail = &qi->head;
    snprintf(qi->prefix, sizeof qi->prefix, "%s", prefix);
    snprintf(qi->k_stream, sizeof qi->k_stream, KEYF_STREAM, prefix);
    snprintf(qi->k_sla, sizeof qi->k_sla, KEYF_SLA, prefix);
    snprintf(qi->k_seq, sizeof qi->k_seq, KEYF_SEQ, prefix);
    snprintf(qi->k_all, sizeof qi->k_all, KEYF_IDX_ALL, prefix);
    snprintf(qi->k_received, sizeof qi->k_received, KEYF_IDX_STATUS, prefix, "received");
    snprintf(qi->k_audit, sizeof qi->k_audit, KEYF_AUDIT, prefix);
    snprintf(qi->family_prefix, sizeof qi->family_prefix, KEYF_IDX_FAMILY, prefix, "");
    snprintf(qi->provider_prefix, sizeof qi->provider_prefix, KEYF_IDX_PROVIDER, prefix, "");
    snprintf(qi->claim_prefix, sizeof qi->claim_prefix, KEYF_CLAIM, prefix, "");
    snprintf(qi->fp_prefix, sizeof qi->fp_prefix, KEYF_FP, prefix, "");
    snprintf(qi->famver_prefix, sizeof qi->famver_prefix, KEYF_FAMVER, prefix, "");
    snprintf(qi->k_events, sizeof qi->k_events, KEYF_EVENTS, prefix);
    snprintf(qi->k_remit_due, sizeof qi->k_remit_due, KEYF_REMIT_DUE, prefix);
    snprintf(qi->k_memberpay_due, sizeof qi->k_memberpay_due, KEYF_MEMBERPAY_DUE, prefix);
    snprintf(qi->k_remit_info, sizeof qi->k_remit_info, KEYF_REMIT_INFO, prefix);
    snprintf(qi->caudit_prefix, sizeof qi->caudit_prefix, KEYF_CLAIM_AUDIT, prefix, "");
    return qi;
}

/* Copies the claim's keys and arguments into one allocation. */
static struct pending_claim *pending_claim_new(const char *prefix_keys[KEYS_PER_CLAIM],
                                               const char *values[ARGS_PER_CLAIM])
{
    size_t total = 0;
    for (int i = 0; i < KEYS_PER_CLAIM; i++)
        total += strlen(prefix_keys[i]) + 1;
    for (int i = 0; i < ARGS_PER_CLAIM; i++)
        total += strlen(values[i]) + 1;
    struct pending_claim *p = malloc(sizeof *p + total);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    char *at = p->text;
    for (int i = 0; i < KEYS_PER_CLAIM; i++) {
        size_t n = strlen(prefix_keys[i]);
        memcpy(at, prefix_keys[i], n + 1);
        p->keys[i] = at;
        p->key_lens[i] = n;
        at += n + 1;
    }
    for (int i = 0; i < ARGS_PER_CLAIM; i++) {
        size_t n = strlen(values[i]);
        memcpy(at, values[i], n + 1);
        p->args[i] = at;
        p->arg_lens[i] = n;
        at += n + 1;
    }
    return p;
}

int queue_intake_submit(struct queue_intake *qi, const struct queue_claim_record *rec,
                        queue_intake_cb cb, void *arg)
{
    char k_claim[KEY_LEN], k_body[KEY_LEN], k_mref[KEY_LEN], k_caudit[KEY_LEN];
    const char *prefix = qi->prefix;
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, prefix, rec->claim_id);
    snprintf(k_body, sizeof k_body, KEYF_BODY, prefix, rec->claim_id);
    snprintf(k_mref, sizeof k_mref, KEYF_MREF, prefix, rec->member_id);
    snprintf(k_caudit, sizeof k_caudit, KEYF_CLAIM_AUDIT, prefix, rec->claim_id);
    bool idem = rec->idem_hash && rec->idem_hash[0];
    char k_idem[KEY_LEN];
    if (idem)
        snprintf(k_idem, sizeof k_idem, KEYF_IDEM, prefix, rec->by_token, rec->idem_hash);
    const char *keys[KEYS_PER_CLAIM] = {
        [K_CLAIM] = k_claim, [K_BODY] = k_body,     [K_IDEM] = idem ? k_idem : k_claim,
        [K_MREF] = k_mref,   [K_CAUDIT] = k_caudit,
    };
    char received_day[16], target_day[16], history[64], ttl[16];
    snprintf(received_day, sizeof received_day, "%d", rec->received_day);
    snprintf(target_day, sizeof target_day, "%d", rec->target_day);
    snprintf(history, sizeof history, "received@%lld", rec->now_seconds);
    snprintf(ttl, sizeof ttl, "%d", rec->idem_ttl_seconds);
    const char *values[ARGS_PER_CLAIM] = {
        [A_ID] = rec->claim_id,
        [A_TYPE] = rec->type,
        [A_MEMBER] = rec->member_id,
        [A_RECEIVED] = rec->received,
        [A_TARGET] = rec->target,
        [A_RECEIVED_DAY] = received_day,
        [A_TARGET_DAY] = target_day,
        [A_YEARS] = rec->years,
        [A_BY_TOKEN] = rec->by_token,
        [A_BY_ROLE] = rec->by_role,
        [A_BY_NPI] = rec->by_npi,
        [A_MEMBER_ONLY] = rec->member_only,
        [A_HISTORY] = history,
        [A_SUBMITTED] = rec->submitted,
        [A_AUDIT] = rec->audit,
        [A_IDEM_VALUE] = idem ? rec->idem_value : "",
        [A_IDEM_TTL] = ttl,
        [A_REPLACES] = rec->replaces ? rec->replaces : "",
        [A_REPLACE_AUDIT] = rec->replace_audit ? rec->replace_audit : "",
    };
    struct pending_claim *p = pending_claim_new(keys, values);
    if (!p)
        return -1;
    p->cb = cb;
    p->arg = arg;
    *qi->tail = p;
    qi->tail = &p->next;
    qi->n_pending++;
    qi->stats.claims++;
    if (qi->n_pending >= qi->max_batch)
        flush(qi);
    else if (qi->n_pending == 1)
        event_active(qi->flush_ev, EV_TIMEOUT, 0); /* runs once this turn's callbacks are done */
    return 0;
}

static void answer_all(struct pending_claim *claims, enum queue_intake_outcome outcome,
                       unsigned long long *counter)
{
    while (claims) {
        struct pending_claim *next = claims->next;
        claims->cb(outcome, "", claims->arg);
        if (counter)
            (*counter)++;
        free(claims);
        claims = next;
    }
}

static void batch_free(struct batch *b)
{
    free(b->argv);
    free(b->argvlen);
    free(b);
}

static int batch_send(struct batch *b);

static void on_batch_reply(redisReply *reply, void *arg)
{
    struct batch *b = arg;
    struct queue_intake *qi = b->qi;
    if (reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0 &&
        !b->retried) {
        b->retried = true;
        b->argv[0] = "EVAL";
        b->argvlen[0] = 4;
        b->argv[1] = script_intake_batch.body;
        b->argvlen[1] = strlen(script_intake_batch.body);
        if (batch_send(b) == 0)
            return;
        reply = NULL;
    }
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != (size_t)b->n * 2) {
        if (reply && reply->type == REDIS_REPLY_ERROR && !rconn_reply_acks_short(reply))
            log_error("intake: the intake script failed for a batch of %d claims: %s", b->n,
                      reply->str);
        answer_all(b->claims, QUEUE_INTAKE_UNAVAILABLE, &qi->stats.unavailable);
        batch_free(b);
        return;
    }
    struct pending_claim *p = b->claims;
    for (int i = 0; p; i++) {
        struct pending_claim *next = p->next;
        const redisReply *o = reply->element[2 * i], *v = reply->element[2 * i + 1];
        const char *value = v->type == REDIS_REPLY_STRING ? v->str : "";
        const char *what = o->type == REDIS_REPLY_STRING ? o->str : "";
        if (strcmp(what, "created") == 0) {
            p->cb(QUEUE_INTAKE_CREATED, value, p->arg);
        } else if (strcmp(what, "replay") == 0) {
            qi->stats.replays++;
            p->cb(QUEUE_INTAKE_REPLAY, value, p->arg);
        } else if (strcmp(what, "conflict") == 0) {
            p->cb(QUEUE_INTAKE_CONFLICT, value, p->arg);
        } else if (strcmp(what, "forbidden") == 0) {
            qi->stats.forbidden++;
            p->cb(QUEUE_INTAKE_FORBIDDEN, "", p->arg);
        } else {
            log_error("intake: a claim was refused by the intake script: %s", value);
            qi->stats.unavailable++;
            p->cb(QUEUE_INTAKE_UNAVAILABLE, "", p->arg);
        }
        free(p);
        p = next;
    }
    batch_free(b);
}

static int batch_send(struct batch *b)
{
    /* With replica_acks, answered once replicas have it (else unavailable). */
    return rconn_command_argv_acked(b->qi->redis, on_batch_reply, b, b->argc, b->argv, b->argvlen);
}

/* Sends every queued claim as one script call. */
static void flush(struct queue_intake *qi)
{
    struct pending_claim *claims = qi->head;
    int n = qi->n_pending;
    qi->head = NULL;
    qi->tail = &qi->head;
    qi->n_pending = 0;
    if (!claims)
        return;
    struct batch *b = calloc(1, sizeof *b);
    int argc = 3 + SHARED_KEYS + n * KEYS_PER_CLAIM + SHARED_ARGS + n * ARGS_PER_CLAIM;
    if (b) {
        b->argv = malloc(sizeof *b->argv * (size_t)argc);
        b->argvlen = malloc(sizeof *b->argvlen * (size_t)argc);
    }
    if (!b || !b->argv || !b->argvlen) {
        if (b)
            batch_free(b);
        answer_all(claims, QUEUE_INTAKE_UNAVAILABLE, &qi->stats.unavailable);
        return;
    }
    b->qi = qi;
    b->claims = claims;
    b->n = n;
    b->argc = argc;
    snprintf(b->nkeys, sizeof b->nkeys, "%d", SHARED_KEYS + n * KEYS_PER_CLAIM);
    snprintf(b->nclaims, sizeof b->nclaims, "%d", n);
    int a = 0;
#define PUT(s, len) (b->argv[a] = (s), b->argvlen[a] = (len), a++)
#define PUTS(s) PUT((s), strlen(s))
    PUTS("EVALSHA");
    PUT(script_intake_batch.sha, 40);
    PUTS(b->nkeys);
    PUTS(qi->k_stream);
    PUTS(qi->k_sla);
    PUTS(qi->k_seq);
    PUTS(qi->k_all);
    PUTS(qi->k_received);
    PUTS(qi->k_audit);
    for (struct pending_claim *p = claims; p; p = p->next)
        for (int k = 0; k < KEYS_PER_CLAIM; k++)
            PUT(p->keys[k], p->key_lens[k]);
    PUTS(b->nclaims);
    PUTS(qi->family_prefix);
    PUTS(qi->provider_prefix);
    PUTS(qi->claim_prefix);
    PUTS(qi->fp_prefix);
    PUTS(qi->famver_prefix);
    PUTS(qi->k_events);
    PUTS(qi->k_remit_due);
    PUTS(qi->k_memberpay_due);
    PUTS(qi->k_remit_info);
    PUTS(qi->caudit_prefix);
    for (struct pending_claim *p = claims; p; p = p->next)
        for (int k = 0; k < ARGS_PER_CLAIM; k++)
            PUT(p->args[k], p->arg_lens[k]);
#undef PUT
#undef PUTS
    qi->stats.batches++;
    if (batch_send(b) != 0) {
        batch_free(b);
        answer_all(claims, QUEUE_INTAKE_UNAVAILABLE, &qi->stats.unavailable);
    }
}

void queue_intake_stats_read(const struct queue_intake *qi, struct queue_intake_stats *out)
{
    *out = qi->stats;
}

void queue_intake_free(struct queue_intake *qi)
{
    if (!qi)
        return;
    struct pending_claim *claims = qi->head;
    qi->head = NULL;
    answer_all(claims, QUEUE_INTAKE_UNAVAILABLE, &qi->stats.unavailable);
    event_free(qi->flush_ev);
    free(qi);
}
