#include "intake.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/scripts.h"

/* The per-claim argument layout of script_intake_batch. */
enum { K_CLAIM, K_BODY, K_IDEM, K_CAUDIT, KEYS_PER_CLAIM };
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
    A_SUBSCRIBER,
    A_GROUP,
    A_PLAN,
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
    "  redis.call('XADD', KEYS[1], '*', 'claim', orig, 'redecide', '1', 'member', member, "
    "'subscriber', sub,\n"
    "             'years', f[2] or '')\n"
    "  local aid = redis.call('XADD', KEYS[6], '*', 'claim_id', orig, 'record', audit)\n"
    "  redis.call('RPUSH', ARGV[11] .. orig, aid)\n"
    "  redis.call('XADD', ARGV[7], 'MAXLEN', '~', 100000, '*', 'event', 'claim.replaced',\n"
    "             'claim_id', orig, 'status', 'replaced')\n"
    "end\n"
    "local function one(k, a)\n"
    "  local claim, body, idem, caudit = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]\n"
    "  local id, member, years = ARGV[a], ARGV[a + 2], ARGV[a + 7]\n"
    "  if ARGV[a + 15] ~= '' then\n"
    "    local prev = redis.call('GET', idem)\n"
    "    if prev then return 'replay', prev end\n"
    "  end\n"
    "  local sub, grp, plan = ARGV[a + 19], ARGV[a + 20], ARGV[a + 21]\n"
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
    "  redis.call('XADD', KEYS[1], '*', 'claim', id, 'member', member, 'subscriber', sub, 'group', "
    "grp, 'plan', plan, "
    "'years', years)\n"
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
    "  local o, v = one(7 + i * 4, 12 + i * 22)\n"
    "  out[#out + 1] = o\n"
    "  out[#out + 1] = v\n"
    "end\n"
    "return out\n",
    "",
};

/* One queued claim: its shard, keys and arguments, copied into one allocation. */
struct pending_claim {
    struct pending_claim *next;
    queue_intake_cb cb;
    void *arg;
    int shard;
    const char *keys[KEYS_PER_CLAIM];
    size_t key_lens[KEYS_PER_CLAIM];
    const char *args[ARGS_PER_CLAIM];
    size_t arg_lens[ARGS_PER_CLAIM];
    char text[]; /* every key and argument, NUL-terminated, back to back */
};

/* The shard-wide keys and key prefixes one script call of a shard names. */
enum {
    S_STREAM,
    S_SLA,
    S_SEQ,
    S_ALL,
    S_RECEIVED,
    S_AUDIT, /* the SHARED_KEYS keys, then the SHARED_ARGS prefixes and keys after the count */
    S_FAMILY_IDX,
    S_PROVIDER_IDX,
    S_CLAIM,
    S_FP,
    S_FAMILY_VERSION,
    S_EVENTS,
    S_REMIT_DUE,
    S_MEMBERPAY_DUE,
    S_REMIT_INFO,
    S_CAUDIT,
    S_COUNT
};
_Static_assert(S_COUNT == SHARED_KEYS + SHARED_ARGS - 1, "a shard's keys: the shared keys, then "
                                                         "the arguments after the claim count");

/* A batch on its way: the claims of one shard; the command line refers
 * into the claims' copies and the shard's keys. */
struct batch {
    struct queue_intake *qi;
    struct pending_claim *claims;
    int n;
    int argc;
    const char **argv;
    size_t *argvlen;
    bool retried; /* sent again with EVAL after NOSCRIPT */
    char nkeys[16], nclaims[16];
    char shared[S_COUNT][KEY_LEN];
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
    queue_script_init(&script_intake_batch);
    qi->base = base;
    qi->redis = redis;
    qi->max_batch = max_batch > 0 ? max_batch : 1;
    qi->tail = &qi->head;
    snprintf(qi->prefix, sizeof qi->prefix, "%s", prefix);
    return qi;
}

/* The shard-wide keys of shard `shard` (S_* order). */
static void shard_keys(const char *prefix, int shard, char out[S_COUNT][KEY_LEN])
{
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, shard);
    const char *p = sp.s;
    snprintf(out[S_STREAM], KEY_LEN, KEYF_STREAM, p);
    snprintf(out[S_SLA], KEY_LEN, KEYF_SLA, p);
    snprintf(out[S_SEQ], KEY_LEN, KEYF_SEQ, p);
    snprintf(out[S_ALL], KEY_LEN, KEYF_IDX_ALL, p);
    snprintf(out[S_RECEIVED], KEY_LEN, KEYF_IDX_STATUS, p, "received");
    snprintf(out[S_AUDIT], KEY_LEN, KEYF_AUDIT, p);
    snprintf(out[S_FAMILY_IDX], KEY_LEN, KEYF_IDX_FAMILY, p, "");
    snprintf(out[S_PROVIDER_IDX], KEY_LEN, KEYF_IDX_PROVIDER, p, "");
    snprintf(out[S_CLAIM], KEY_LEN, KEYF_CLAIM, p, "");
    snprintf(out[S_FP], KEY_LEN, KEYF_FP, p, "");
    snprintf(out[S_FAMILY_VERSION], KEY_LEN, KEYF_FAMILY_VERSION, p, "");
    snprintf(out[S_EVENTS], KEY_LEN, KEYF_EVENTS, p);
    snprintf(out[S_REMIT_DUE], KEY_LEN, KEYF_REMIT_DUE, p);
    snprintf(out[S_MEMBERPAY_DUE], KEY_LEN, KEYF_MEMBERPAY_DUE, p);
    snprintf(out[S_REMIT_INFO], KEY_LEN, KEYF_REMIT_INFO, p);
    snprintf(out[S_CAUDIT], KEY_LEN, KEYF_CLAIM_AUDIT, p, "");
}

int queue_family_shard(const char *member_id, const struct queue_member_ref *ref)
{
    return queue_shard_of_family(ref->subscriber_id[0] ? ref->subscriber_id : member_id);
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
    char k_claim[KEY_LEN], k_body[KEY_LEN], k_caudit[KEY_LEN];
    int shard = queue_shard_of_claim(rec->claim_id);
    struct queue_shard_prefix sp = queue_shard_prefix(qi->prefix, shard);
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, sp.s, rec->claim_id);
    snprintf(k_body, sizeof k_body, KEYF_BODY, sp.s, rec->claim_id);
    snprintf(k_caudit, sizeof k_caudit, KEYF_CLAIM_AUDIT, sp.s, rec->claim_id);
    bool idem = rec->idem_hash && rec->idem_hash[0];
    char k_idem[KEY_LEN];
    if (idem)
        snprintf(k_idem, sizeof k_idem, KEYF_IDEM, sp.s, rec->by_token, rec->idem_hash);
    const char *keys[KEYS_PER_CLAIM] = {
        [K_CLAIM] = k_claim,
        [K_BODY] = k_body,
        [K_IDEM] = idem ? k_idem : k_claim,
        [K_CAUDIT] = k_caudit,
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
        [A_SUBSCRIBER] = rec->ref.subscriber_id,
        [A_GROUP] = rec->ref.group_id,
        [A_PLAN] = rec->ref.plan_id,
    };
    struct pending_claim *p = pending_claim_new(keys, values);
    if (!p)
        return -1;
    p->cb = cb;
    p->arg = arg;
    p->shard = shard;
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

/* Answers each claim of a batch by its script outcome. */
static void answer_outcomes(struct queue_intake *qi, struct pending_claim *p,
                            const redisReply *reply)
{
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
}

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
        if (reply && reply->type == REDIS_REPLY_ERROR && !queue_rconn_reply_acks_short(reply))
            log_error("intake: the intake script failed for a batch of %d claims: %s", b->n,
                      reply->str);
        answer_all(b->claims, QUEUE_INTAKE_UNAVAILABLE, &qi->stats.unavailable);
    } else {
        answer_outcomes(qi, b->claims, reply);
    }
    batch_free(b);
}

static int batch_send(struct batch *b)
{
    /* With replica_acks, answered once replicas have it (else unavailable). */
    return queue_rconn_command_argv_acked(b->qi->redis, on_batch_reply, b, b->argc, b->argv,
                                          b->argvlen);
}

/* Sends the claims of one shard as one script call. */
static void flush_shard(struct queue_intake *qi, struct pending_claim *claims, int n, int shard)
{
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
    shard_keys(qi->prefix, shard, b->shared);
    snprintf(b->nkeys, sizeof b->nkeys, "%d", SHARED_KEYS + n * KEYS_PER_CLAIM);
    snprintf(b->nclaims, sizeof b->nclaims, "%d", n);
    int a = 0;
#define PUT(s, len) (b->argv[a] = (s), b->argvlen[a] = (len), a++)
#define PUTS(s) PUT((s), strlen(s))
    PUTS("EVALSHA");
    PUT(script_intake_batch.sha, 40);
    PUTS(b->nkeys);
    for (int k = 0; k < SHARED_KEYS; k++)
        PUTS(b->shared[k]);
    for (struct pending_claim *p = claims; p; p = p->next)
        for (int k = 0; k < KEYS_PER_CLAIM; k++)
            PUT(p->keys[k], p->key_lens[k]);
    PUTS(b->nclaims);
    for (int k = SHARED_KEYS; k < S_COUNT; k++)
        PUTS(b->shared[k]);
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

/* Sends every queued claim: one script call per shard among them, each
 * with that shard's claims in the order they came. */
static void flush(struct queue_intake *qi)
{
    struct pending_claim *claims = qi->head;
    qi->head = NULL;
    qi->tail = &qi->head;
    qi->n_pending = 0;
    while (claims) {
        int shard = claims->shard, n = 0;
        struct pending_claim *mine = NULL, **mine_tail = &mine, *rest = NULL, **rest_tail = &rest;
        for (struct pending_claim *p = claims, *next; p; p = next) {
            next = p->next;
            p->next = NULL;
            if (p->shard == shard) {
                *mine_tail = p;
                mine_tail = &p->next;
                n++;
            } else {
                *rest_tail = p;
                rest_tail = &p->next;
            }
        }
        flush_shard(qi, mine, n, shard);
        claims = rest;
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
