#include "scripts.h"

#include <openssl/sha.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * KEYS: 1 claim, 2 idempotency key (or the claim key again when there is
 *       none), 3 work stream, 4 SLA zset, 5 sequence, 6 index of all claims,
 *       7 member index, 8 status index, 9 family index, 10 provider index
 *       (9 and 10: the claim key again when not applicable), 11 audit
 *       stream, 12 the claim's audit list
 * ARGV: 1 "1" when an idempotency key applies, 2 the value to remember for
 *       it, 3 its time to live in seconds, 4 claim id, 5 received day number,
 *       6 target day number, 7 "1" with a family index, 8 "1" with a provider
 *       index, 9 the audit record (JSON), 10.. the claim hash's field/value
 *       pairs
 * Returns {"replay", remembered value} or {"created", index score}.
 */
struct script script_intake = {
    "intake",
    "if ARGV[1] == '1' then\n"
    "  local prev = redis.call('GET', KEYS[2])\n"
    "  if prev then return {'replay', prev} end\n"
    "end\n"
    "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('ERR claim id in use') end\n"
    "local seq = redis.call('INCR', KEYS[5]) % 2097152\n"
    "local score = tonumber(ARGV[5]) * 2097152 + seq\n"
    "redis.call('HSET', KEYS[1], 'score', score, unpack(ARGV, 10))\n"
    "redis.call('XADD', KEYS[3], '*', 'claim', ARGV[4])\n"
    "redis.call('ZADD', KEYS[4], ARGV[6], ARGV[4])\n"
    "redis.call('ZADD', KEYS[6], score, ARGV[4])\n"
    "redis.call('ZADD', KEYS[7], score, ARGV[4])\n"
    "redis.call('ZADD', KEYS[8], score, ARGV[4])\n"
    "if ARGV[7] == '1' then redis.call('ZADD', KEYS[9], score, ARGV[4]) end\n"
    "if ARGV[8] == '1' then redis.call('ZADD', KEYS[10], score, ARGV[4]) end\n"
    "if ARGV[1] == '1' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end\n"
    "redis.call('XADD', KEYS[11], '*', 'claim_id', ARGV[4], 'record', ARGV[9])\n"
    "redis.call('RPUSH', KEYS[12], ARGV[9])\n"
    "return {'created', tostring(score)}\n",
    "",
};

/*
 * KEYS: 1 audit stream, 2 the claim's audit list (or the stream again when
 *       the record is not about one claim)
 * ARGV: 1 the record as JSON, 2 "1" to add it to the claim's list, 3 the
 *       claim id or ""
 */
struct script script_audit = {
    "audit",
    "redis.call('XADD', KEYS[1], '*', 'claim_id', ARGV[3], 'record', ARGV[1])\n"
    "if ARGV[2] == '1' then redis.call('RPUSH', KEYS[2], ARGV[1]) end\n"
    "return 1\n",
    "",
};

/*
 * Claim search over one index zset, oldest receipt first, filtering each
 * candidate by its hash fields. Scans at most 10000 index entries per call
 * so that one search cannot hold Redis; the caller continues from the
 * returned cursor.
 * KEYS: 1 the index to walk, 2 the family index to prefer when it exists
 *       (member searches; else KEYS[1] again)
 * ARGV: 1 lower score bound ("(123" exclusive, or "-inf"), 2 upper bound,
 *       3 limit, 4 status, 5 type, 6 member id, 7 subscriber the claim must
 *       belong to (or be the member of ARGV[8]), 8 member the claim may
 *       belong to, 9 submitting provider NPI, 10 overdue before this day
 *       number, 11 the claim key prefix ("" for a filter that does not apply)
 * Returns {next cursor or "", id, type, member, status, received, target, ...}
 */
struct script script_search = {
    "search",
    "local key = KEYS[1]\n"
    "if KEYS[2] ~= KEYS[1] and redis.call('EXISTS', KEYS[2]) == 1 then key = KEYS[2] end\n"
    "local lo, hi, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
    "local out = {''}\n"
    "local found, scanned = 0, 0\n"
    "while found < limit and scanned < 10000 do\n"
    "  local batch = redis.call('ZRANGEBYSCORE', key, lo, hi, 'WITHSCORES', 'LIMIT', 0, 256)\n"
    "  if #batch == 0 then out[1] = ''; return out end\n"
    "  for i = 1, #batch, 2 do\n"
    "    local id = batch[i]\n"
    "    scanned = scanned + 1\n"
    "    lo = '(' .. batch[i + 1]\n"
    "    local f = redis.call('HMGET', ARGV[11] .. id, 'type', 'member_id', 'status', 'received',\n"
    "                         'target', 'subscriber_id', 'by_npi', 'target_day')\n"
    "    local ok = f[1] ~= false\n"
    "    if ok and ARGV[4] ~= '' and f[3] ~= ARGV[4] then ok = false end\n"
    "    if ok and ARGV[5] ~= '' and f[1] ~= ARGV[5] then ok = false end\n"
    "    if ok and ARGV[6] ~= '' and f[2] ~= ARGV[6] then ok = false end\n"
    "    if ok and ARGV[7] ~= '' and f[6] ~= ARGV[7] and f[2] ~= ARGV[8] then ok = false end\n"
    "    if ok and ARGV[9] ~= '' and f[7] ~= ARGV[9] then ok = false end\n"
    "    if ok and ARGV[10] ~= '' then\n"
    "      if f[3] == 'approved' or f[3] == 'denied' or tonumber(f[8]) >= tonumber(ARGV[10]) then ok = false end\n"
    "    end\n"
    "    if ok then\n"
    "      for j = 1, 5 do out[#out + 1] = f[j] end\n"
    "      table.insert(out, #out - 4, id)\n"
    "      found = found + 1\n"
    "      if found == limit then break end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "out[1] = string.sub(lo, 2)\n"
    "return out\n",
    "",
};

static struct script *all_scripts[] = {&script_intake, &script_audit, &script_search};

void scripts_init(void)
{
    for (size_t i = 0; i < sizeof all_scripts / sizeof *all_scripts; i++) {
        struct script *s = all_scripts[i];
        unsigned char digest[SHA_DIGEST_LENGTH];
        SHA1((const unsigned char *)s->body, strlen(s->body), digest);
        for (int j = 0; j < SHA_DIGEST_LENGTH; j++)
            snprintf(s->sha + 2 * j, 3, "%02x", digest[j]);
    }
}

/* A command line "EVALSHA sha nkeys keys... args..." that can be resent as
 * "EVAL body ...". Owns copies of every argument. */
struct eval_call {
    struct rconn *rc;
    const struct script *script;
    rconn_reply_cb cb;
    void *arg;
    int argc;
    char **argv;
    size_t *argvlen;
    bool retried;
};

static void eval_call_free(struct eval_call *call)
{
    for (int i = 2; i < call->argc; i++)
        free(call->argv[i]);
    free(call->argv);
    free(call->argvlen);
    free(call);
}

static struct eval_call *eval_call_new(const struct script *s, int nkeys, const char *const *keys,
                                       int nargs, const char *const *args, const size_t *arglens)
{
    struct eval_call *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->script = s;
    call->argc = 3 + nkeys + nargs;
    call->argv = calloc((size_t)call->argc, sizeof *call->argv);
    call->argvlen = calloc((size_t)call->argc, sizeof *call->argvlen);
    if (!call->argv || !call->argvlen) {
        free(call->argv);
        free(call->argvlen);
        free(call);
        return NULL;
    }
    call->argv[0] = "EVALSHA";
    call->argv[1] = (char *)s->sha;
    char n[16];
    snprintf(n, sizeof n, "%d", nkeys);
    bool ok = (call->argv[2] = strdup(n)) != NULL;
    for (int i = 0; ok && i < nkeys; i++) {
        size_t len = strlen(keys[i]);
        ok = (call->argv[3 + i] = malloc(len + 1)) != NULL;
        if (ok)
            memcpy(call->argv[3 + i], keys[i], len + 1);
        call->argvlen[3 + i] = len;
    }
    for (int i = 0; ok && i < nargs; i++) {
        size_t len = arglens ? arglens[i] : strlen(args[i]);
        ok = (call->argv[3 + nkeys + i] = malloc(len + 1)) != NULL;
        if (ok) {
            memcpy(call->argv[3 + nkeys + i], args[i], len);
            call->argv[3 + nkeys + i][len] = '\0';
        }
        call->argvlen[3 + nkeys + i] = len;
    }
    call->argvlen[0] = 7;
    call->argvlen[1] = 40;
    call->argvlen[2] = strlen(n);
    if (!ok) {
        eval_call_free(call);
        return NULL;
    }
    return call;
}

static int send_call(struct eval_call *call);

static void on_eval_reply(redisReply *reply, void *arg)
{
    struct eval_call *call = arg;
    if (reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0 &&
        !call->retried) {
        call->retried = true;
        call->argv[0] = "EVAL";
        call->argvlen[0] = 4;
        call->argv[1] = (char *)call->script->body;
        call->argvlen[1] = strlen(call->script->body);
        if (send_call(call) == 0)
            return;
        reply = NULL;
    }
    call->cb(reply, call->arg);
    eval_call_free(call);
}

static int send_call(struct eval_call *call)
{
    return rconn_command_argv(call->rc, on_eval_reply, call, call->argc,
                              (const char **)call->argv, call->argvlen);
}

int script_eval_async(struct rconn *rc, const struct script *s, rconn_reply_cb cb, void *arg,
                      int nkeys, const char *const *keys, int nargs, const char *const *args,
                      const size_t *arglens)
{
    struct eval_call *call = eval_call_new(s, nkeys, keys, nargs, args, arglens);
    if (!call)
        return -1;
    call->rc = rc;
    call->cb = cb;
    call->arg = arg;
    if (send_call(call) != 0) {
        eval_call_free(call);
        return -1;
    }
    return 0;
}

redisReply *script_eval_blocking(redisContext *c, const struct script *s, int nkeys,
                                 const char *const *keys, int nargs, const char *const *args,
                                 const size_t *arglens)
{
    struct eval_call *call = eval_call_new(s, nkeys, keys, nargs, args, arglens);
    if (!call)
        return NULL;
    redisReply *r = redisCommandArgv(c, call->argc, (const char **)call->argv, call->argvlen);
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(r);
        call->argv[0] = "EVAL";
        call->argvlen[0] = 4;
        call->argv[1] = (char *)s->body;
        call->argvlen[1] = strlen(s->body);
        r = redisCommandArgv(c, call->argc, (const char **)call->argv, call->argvlen);
    }
    eval_call_free(call);
    return r;
}
