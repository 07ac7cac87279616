#include "scripts.h"

#include <openssl/sha.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * One audit record, written once: the record goes into the audit stream and
 * the claim's list keeps the id of that stream entry (GET .../audit reads the
 * records back through the ids).
 * KEYS: 1 audit stream, 2 the claim's audit list (or the stream again when
 *       the record is not about one claim)
 * ARGV: 1 the record as JSON, 2 "1" to add it to the claim's list, 3 the
 *       claim id or ""
 */
struct script script_audit = {
    "audit",
    "local id = redis.call('XADD', KEYS[1], '*', 'claim_id', ARGV[3], 'record', ARGV[1])\n"
    "if ARGV[2] == '1' then redis.call('RPUSH', KEYS[2], id) end\n"
    "return 1\n",
    "",
};

/*
 * A worker takes a claim (approved, denied, voided and replaced are final): a
 * claim not yet final becomes "processing" (its
 * open-status index moves, and "processing@<unix seconds>" is appended to
 * its compact history, once) and what the worker needs is returned.
 * KEYS: 1 claim, 2 processing index, 3 the claim's submission ({c}body:<id>)
 * ARGV: 1 now (unix seconds), 2 the status index key prefix (the index of the
 *       claim's current status is that prefix and the status)
 * Returns {the claim hash's small fields as HGETALL does, the submission or
 * nil (nil too once final)}, or {} when the claim is gone.
 */
struct script script_claim_start = {
    "claim_start",
    "local st = redis.call('HGET', KEYS[1], 'status')\n"
    "if not st then return {} end\n"
    "if st == 'approved' or st == 'denied' or st == 'voided' or st == 'replaced' then\n"
    "  return {redis.call('HGETALL', KEYS[1]), false}\n"
    "end\n"
    "if st ~= 'processing' then\n"
    "  local id = redis.call('HGET', KEYS[1], 'id')\n"
    "  local score = redis.call('HGET', KEYS[1], 'score')\n"
    "  redis.call('ZREM', ARGV[2] .. st, id)\n"
    "  redis.call('ZADD', KEYS[2], score, id)\n"
    "  local h = redis.call('HGET', KEYS[1], 'history')\n"
    "  local entry = 'processing@' .. ARGV[1]\n"
    "  if h and h ~= '' then h = h .. ',' .. entry else h = entry end\n"
    "  redis.call('HSET', KEYS[1], 'status', 'processing', 'history', h)\n"
    "end\n"
    "return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[3])}\n",
    "",
};

/*
 * The commit of a decision, all or nothing. It first checks that the claim is
 * not final already (a redelivered claim is committed once; a voided or
 * replaced claim counts as final) and that its
 * family's version is still the one the facts were read at (else "stale":
 * decide again on fresh facts). The version becomes "<count>:<this claim
 * id>", so a batch can chain its commits: a claim decided on the facts plus
 * an earlier claim's changes expects the version only that earlier commit
 * leaves (queue_version_after). Then it writes the status and the compact
 * history entry, the decision (and pending) as one packed value, the EOB
 * version (final only), the duplicate fingerprints of the lines it keeps
 * (value: this claim id) and the removal of those of the lines it denies
 * (only where this claim still holds them), accumulators, SLA and pended
 * sets, the open-status indexes (a final claim leaves them), counters,
 * acknowledges and deletes the stream entry, appends the audit record once
 * (the stream; the claim's list gets its entry id) and the notification event.
 * KEYS: 1 claim, 2 family version, 3 work stream, 4 SLA set, 5 pended set,
 *       6 processing index, 7 pended index (in review: the in_review index),
 *       8 counters, 9 audit stream,
 *       10 claim audit list, 11 events stream, 12 the member's fingerprint
 *       hash, 13 the decision ({c}dec:<id>), 14 the EOB version this commit
 *       writes ({c}eob:<id>:<eob_version + 1>), then the accumulator hashes
 *       (ARGV[15] of them), then the submission ({c}body:<id>), then the
 *       payment's due set ({c}remit:due or {c}memberpay:due) and
 *       {c}remit:info (queue/remit.h)
 * ARGV: 1 expected family version, 2 stream entry id, 3 group name,
 *       4 new status, 5 packed {"decision", "pending"}, 6 "1" when pended,
 *       "2" when in review (docs/rules.md "Staff review": an open status),
 *       7 history entry ("<status>@<unix seconds>"), 8 finalized_at or "",
 *       9 "1" within target, 10 packed EOB or "", 11 number of fingerprints
 *       to store, 12 pend deadline day, 13 audit JSON, 14 claim id, 15 number
 *       of accumulator hashes, then per accumulator hash: field count and
 *       field/increment pairs, then the fingerprints to store (ARGV[11] of
 *       them), then the number of fingerprints to drop and those fingerprints,
 *       then the submission packed (a final claim's, which no step rewrites
 *       any more) or "" to leave it as it is, last the payment
 *       ("P|<npi>|<cents>" or "M|<member id>|<cents>"; "" for none) and its
 *       due score (unix ms): a final claim joins the due set of its payee
 * Returns "ok", "final" (already committed; acknowledged) or "stale".
 */
struct script script_commit = {
    "commit",
    "local claim, family_version, stream, sla, pended = KEYS[1], KEYS[2], KEYS[3], KEYS[4], "
    "KEYS[5]\n"
    "local proc, pidx, stats, audit, caudit, events = KEYS[6], KEYS[7], KEYS[8], KEYS[9], "
    "KEYS[10], KEYS[11]\n"
    "local fp, dec, eob = KEYS[12], KEYS[13], KEYS[14]\n"
    "local st = redis.call('HGET', claim, 'status')\n"
    "if not st or st == 'approved' or st == 'denied' or st == 'voided' or st == 'replaced' then\n"
    "  redis.call('XACK', stream, ARGV[3], ARGV[2])\n"
    "  redis.call('XDEL', stream, ARGV[2])\n"
    "  return 'final'\n"
    "end\n"
    "local v = redis.call('GET', family_version) or '0'\n"
    "if v ~= ARGV[1] then return 'stale' end\n"
    "local id = ARGV[14]\n"
    "redis.call('SET', family_version, ((tonumber(string.match(v, '^%d+')) or 0) + 1) .. ':' .. "
    "id)\n"
    "local h = redis.call('HGET', claim, 'history')\n"
    "if h and h ~= '' then h = h .. ',' .. ARGV[7] else h = ARGV[7] end\n"
    "redis.call('HSET', claim, 'status', ARGV[4], 'history', h)\n"
    "redis.call('SET', dec, ARGV[5])\n"
    "local score = redis.call('HGET', claim, 'score')\n"
    "redis.call('ZREM', proc, id)\n"
    "if ARGV[6] == '1' then\n"
    "  redis.call('ZADD', pended, ARGV[12], id)\n"
    "  redis.call('ZADD', pidx, score, id)\n"
    "elseif ARGV[6] == '2' then\n"
    "  redis.call('ZREM', pended, id)\n"
    "  redis.call('ZADD', pidx, score, id)\n"
    "else\n"
    "  redis.call('ZREM', pended, id)\n"
    "  redis.call('ZREM', pidx, id)\n"
    "end\n"
    "if ARGV[8] ~= '' then\n"
    "  redis.call('HINCRBY', claim, 'eob_version', 1)\n"
    "  redis.call('HSET', claim, 'finalized_at', ARGV[8], 'within_target', ARGV[9])\n"
    "  redis.call('SET', eob, ARGV[10])\n"
    "  redis.call('ZREM', sla, id)\n"
    "  redis.call('HINCRBY', stats, 'finalized', 1)\n"
    "  if ARGV[9] == '1' then redis.call('HINCRBY', stats, 'within_target', 1) end\n"
    "end\n"
    "local nacc = tonumber(ARGV[15])\n"
    "local i = 16\n"
    "for k = 1, nacc do\n"
    "  local n = tonumber(ARGV[i]); i = i + 1\n"
    "  for j = 1, n do\n"
    "    redis.call('HINCRBY', KEYS[14 + k], ARGV[i], ARGV[i + 1]); i = i + 2\n"
    "  end\n"
    "end\n"
    "for k = 1, tonumber(ARGV[11]) do\n"
    "  redis.call('HSET', fp, ARGV[i], id); i = i + 1\n"
    "end\n"
    "local ndrop = tonumber(ARGV[i]); i = i + 1\n"
    "for k = 1, ndrop do\n"
    "  if redis.call('HGET', fp, ARGV[i]) == id then redis.call('HDEL', fp, ARGV[i]) end\n"
    "  i = i + 1\n"
    "end\n"
    "if ARGV[i] ~= '' and ARGV[8] ~= '' then redis.call('SET', KEYS[15 + nacc], ARGV[i]) end\n"
    "if ARGV[8] ~= '' and ARGV[i + 1] ~= '' then\n"
    "  redis.call('ZADD', KEYS[16 + nacc], ARGV[i + 2], id)\n"
    "  redis.call('HSET', KEYS[17 + nacc], id, ARGV[i + 1])\n"
    "end\n"
    "redis.call('XACK', stream, ARGV[3], ARGV[2])\n"
    "redis.call('XDEL', stream, ARGV[2])\n"
    "local aid = redis.call('XADD', audit, '*', 'claim_id', id, 'record', ARGV[13])\n"
    "redis.call('RPUSH', caudit, aid)\n"
    "redis.call('XADD', events, 'MAXLEN', '~', 100000, '*', 'event',\n"
    "           ARGV[6] == '1' and 'claim.pended' or ARGV[6] == '2' and 'claim.in_review'\n"
    "           or 'claim.finalized', 'claim_id', id, 'status', ARGV[4])\n"
    "return 'ok'\n",
    "",
};

/*
 * Pended claims whose information deadline has passed go back on the work
 * stream, marked so that the worker decides them as expired (RULES.md § 4, § 6).
 * The entry carries the hints intake stores (claim, member, subscriber, group, plan, years). The
 * claim hashes are read (by a prefix in ARGV: undeclared keys) before
 * anything is written: on a cluster, a script that touches an undeclared key
 * of a slot being migrated away stops there, keeping what it wrote before,
 * so a stop here leaves every claim pended for the next sweep.
 * KEYS: 1 pended set, 2 work stream
 * ARGV: 1 today's day number, 2 the claim key prefix, 3 at most this many
 * Returns how many were requeued.
 */
struct script script_expire_pended = {
    "expire_pended",
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, "
    "tonumber(ARGV[3]))\n"
    "local hints = {}\n"
    "for i, id in ipairs(ids) do\n"
    "  hints[i] = redis.call('HMGET', ARGV[2] .. id, 'member_id', 'subscriber_id', 'group_hint', "
    "'plan_hint', 'years')\n"
    "end\n"
    "for i, id in ipairs(ids) do\n"
    "  local f = hints[i]\n"
    "  redis.call('ZREM', KEYS[1], id)\n"
    "  redis.call('XADD', KEYS[2], '*', 'claim', id, 'member', f[1] or '', 'subscriber', f[2] or "
    "'', 'group', f[3] "
    "or '',\n"
    "             'plan', f[4] or '', 'years', f[5] or '', 'expired', '1')\n"
    "end\n"
    "return #ids\n",
    "",
};

/*
 * Information supplied for a pended claim (POST /v1/claims/{id}/information):
 * the merged submission replaces the old one, the decision is kept without
 * its pending part, and the claim goes back on the queue, if and only if it
 * is still pended. The audit record is written once (stream entry, its id in
 * the claim's list).
 * KEYS: 1 claim, 2 pended set, 3 work stream, 4 pended index, 5 received
 *       index, 6 audit stream, 7 claim audit list, 8 submission, 9 decision
 * ARGV: 1 merged submission JSON, 2 history entry ("received@<unix seconds>"),
 *       3 audit JSON, 4 claim id, 5 the packed decision without pending ("":
 *       none)
 * Returns "ok" or the claim's status when it is not pended ("" when gone).
 */
struct script script_supply = {
    "supply",
    "local st = redis.call('HGET', KEYS[1], 'status')\n"
    "if st ~= 'pended' then return st or '' end\n"
    "local id = ARGV[4]\n"
    "local h = redis.call('HGET', KEYS[1], 'history')\n"
    "if h and h ~= '' then h = h .. ',' .. ARGV[2] else h = ARGV[2] end\n"
    "redis.call('HSET', KEYS[1], 'status', 'received', 'history', h)\n"
    "redis.call('SET', KEYS[8], ARGV[1])\n"
    "if ARGV[5] ~= '' then redis.call('SET', KEYS[9], ARGV[5]) else redis.call('DEL', KEYS[9]) "
    "end\n"
    "redis.call('ZREM', KEYS[2], id)\n"
    "local score = redis.call('HGET', KEYS[1], 'score')\n"
    "redis.call('ZREM', KEYS[4], id)\n"
    "redis.call('ZADD', KEYS[5], score, id)\n"
    "local f = redis.call('HMGET', KEYS[1], 'member_id', 'subscriber_id', 'group_hint', "
    "'plan_hint', 'years')\n"
    "redis.call('XADD', KEYS[3], '*', 'claim', id, 'member', f[1] or '', 'subscriber', f[2] or '', "
    "'group', f[3] or "
    "'',\n"
    "           'plan', f[4] or '', 'years', f[5] or '')\n"
    "local aid = redis.call('XADD', KEYS[6], '*', 'claim_id', id, 'record', ARGV[3])\n"
    "redis.call('RPUSH', KEYS[7], aid)\n"
    "return 'ok'\n",
    "",
};

/*
 * A stream entry delivered too many times (a crash or a bug, not a denial)
 * moves to the dead-letter stream with the reason. Another worker may have
 * moved it already: then nothing happens and "" is returned.
 * KEYS: 1 work stream, 2 dead stream, 3 dead index
 * ARGV: 1 entry id, 2 group, 3 claim id, 4 reason, 5 deliveries, 6 at
 */
struct script script_dead_letter = {
    "dead_letter",
    "local e = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])\n"
    "if not e[1] then\n"
    "  redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])\n"
    "  return ''\n"
    "end\n"
    "local fields = e[1][2]\n"
    "local did = redis.call('XADD', KEYS[2], '*', 'reason', ARGV[4], 'deliveries', ARGV[5], 'at', "
    "ARGV[6], unpack(fields))\n"
    "redis.call('HSET', KEYS[3], ARGV[3], did)\n"
    "redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])\n"
    "redis.call('XDEL', KEYS[1], ARGV[1])\n"
    "return did\n",
    "",
};

/*
 * Staff requeue a dead-lettered claim (POST /v1/queue/dead/{id}/retry).
 * KEYS: 1 dead stream, 2 dead index, 3 work stream
 * ARGV: 1 claim id
 * Returns the new work entry id, or "" when the claim is not dead-lettered.
 */
struct script script_retry_dead = {
    "retry_dead",
    "local did = redis.call('HGET', KEYS[2], ARGV[1])\n"
    "if not did then return '' end\n"
    "local e = redis.call('XRANGE', KEYS[1], did, did)\n"
    "redis.call('HDEL', KEYS[2], ARGV[1])\n"
    "redis.call('XDEL', KEYS[1], did)\n"
    "if not e[1] then return '' end\n"
    "local f, keep = e[1][2], {}\n"
    "for i = 1, #f, 2 do\n"
    "  if f[i] ~= 'reason' and f[i] ~= 'deliveries' and f[i] ~= 'at' then\n"
    "    keep[#keep + 1] = f[i]; keep[#keep + 1] = f[i + 1]\n"
    "  end\n"
    "end\n"
    "return redis.call('XADD', KEYS[3], '*', unpack(keep))\n",
    "",
};

static struct script *all_scripts[] = {
    &script_audit,  &script_claim_start, &script_commit,    &script_expire_pended,
    &script_supply, &script_dead_letter, &script_retry_dead};

void queue_script_init(struct script *s)
{
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)s->body, strlen(s->body), digest);
    for (int j = 0; j < SHA_DIGEST_LENGTH; j++)
        snprintf(s->sha + 2 * j, 3, "%02x", digest[j]);
}

const struct script *queue_script_ready(struct script *s)
{
    if (!s->sha[0])
        queue_script_init(s);
    return s;
}

void queue_scripts_init(void)
{
    for (size_t i = 0; i < sizeof all_scripts / sizeof *all_scripts; i++)
        queue_script_init(all_scripts[i]);
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
    return queue_rconn_command_argv(call->rc, on_eval_reply, call, call->argc,
                                    (const char **)call->argv, call->argvlen);
}

int queue_script_eval_async(struct rconn *rc, const struct script *s, rconn_reply_cb cb, void *arg,
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

redisReply *queue_script_eval_blocking(struct rlink *c, const struct script *s, int nkeys,
                                       const char *const *keys, int nargs, const char *const *args,
                                       const size_t *arglens)
{
    struct eval_call *call = eval_call_new(s, nkeys, keys, nargs, args, arglens);
    if (!call)
        return NULL;
    redisReply *r =
        queue_rlink_command_argv(c, call->argc, (const char **)call->argv, call->argvlen);
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(r);
        call->argv[0] = "EVAL";
        call->argvlen[0] = 4;
        call->argv[1] = (char *)s->body;
        call->argvlen[1] = strlen(s->body);
        r = queue_rlink_command_argv(c, call->argc, (const char **)call->argv, call->argvlen);
    }
    eval_call_free(call);
    return r;
}
