#include "corrections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "packed.h"
#include "queue/keys.h"
#include "queue/redecide_records.h"
#include "queue/scripts.h"
#include "queue/shards.h"

/*
 * Voids a claim (queue_void_claim).
 * KEYS: 1 claim, 2 work stream, 3 SLA set, 4 pended set, 5 audit stream,
 *       6 claim audit list, 7 events stream, 8 remit:due, 9 memberpay:due,
 *       10 remit:info, 11 the open appeals set
 * ARGV: 1 claim id, 2 reason, 3 now (unix seconds), 4 audit JSON, 5 status
 *       index prefix, 6 fingerprint key prefix, 7 family version key prefix,
 *       8 voided_at (RFC 3339), 9 appeal key prefix
 * The claim's open appeal, if any, is withdrawn (status withdrawn, off the
 * open set): there is nothing left to decide on (docs/rules.md "Appeals").
 * The family's re-decision is queued whatever the claim's status: a final
 * claim's amounts come off the accumulators, and a pended or in-review one
 * held duplicate fingerprints that may have denied later claims.
 * Returns {"ok", prior status}, {"conflict", status} or {"missing"}.
 */
static struct script script_void = {
    "void",
    "local st = redis.call('HGET', KEYS[1], 'status')\n"
    "if not st then return {'missing'} end\n"
    "if st == 'voided' or st == 'replaced' then return {'conflict', st} end\n"
    "local id = ARGV[1]\n"
    "local f = redis.call('HMGET', KEYS[1], 'member_id', 'subscriber_id', 'years', 'history',\n"
    "                     'appeal_id')\n"
    "local member, sub = f[1] or '', f[2] or ''\n"
    "if sub == '' then sub = member end\n"
    "local final = st == 'approved' or st == 'denied'\n"
    "if f[5] and f[5] ~= '' then\n"
    "  local ak = ARGV[9] .. f[5]\n"
    "  if redis.call('HGET', ak, 'status') == 'open' then\n"
    "    redis.call('HSET', ak, 'status', 'withdrawn', 'withdrawn_at', ARGV[8])\n"
    "    redis.call('ZREM', KEYS[11], f[5])\n"
    "  end\n"
    "end\n"
    "local entry = 'voided@' .. ARGV[3]\n"
    "local h = f[4]\n"
    "if h and h ~= '' then h = h .. ',' .. entry else h = entry end\n"
    "redis.call('HSET', KEYS[1], 'status', 'voided', 'history', h, 'voided_reason', ARGV[2],\n"
    "           'voided_at', ARGV[8])\n"
    "if final then redis.call('HSET', KEYS[1], 'rev', '1') end\n"
    "redis.call('ZREM', KEYS[3], id)\n"
    "redis.call('ZREM', KEYS[4], id)\n"
    "redis.call('ZREM', ARGV[5] .. st, id)\n"
    "redis.call('ZREM', KEYS[8], id)\n"
    "redis.call('ZREM', KEYS[9], id)\n"
    "redis.call('HDEL', KEYS[10], id)\n"
    "local fk = ARGV[6] .. member\n"
    "local all = redis.call('HGETALL', fk)\n"
    "for i = 1, #all, 2 do\n"
    "  if all[i + 1] == id then redis.call('HDEL', fk, all[i]) end\n"
    "end\n"
    "local vk = ARGV[7] .. sub\n"
    "local v = redis.call('GET', vk) or '0'\n"
    "redis.call('SET', vk, ((tonumber(string.match(v, '^%d+')) or 0) + 1) .. ':void:' .. id)\n"
    "redis.call('XADD', KEYS[2], '*', 'claim', id, 'redecide', '1', 'member', member, "
    "'subscriber', sub,\n"
    "           'years', f[3] or '')\n"
    "local aid = redis.call('XADD', KEYS[5], '*', 'claim_id', id, 'record', ARGV[4])\n"
    "redis.call('RPUSH', KEYS[6], aid)\n"
    "redis.call('XADD', KEYS[7], 'MAXLEN', '~', 100000, '*', 'event', 'claim.voided',\n"
    "           'claim_id', id, 'status', 'voided')\n"
    "return {'ok', st}\n",
    "",
};

/*
 * Replaces a claim not yet final in place (queue_replace_in_place); a claim
 * in review leaves the in_review index and its stored review goes. A pended
 * or in-review claim's duplicate fingerprints go, so the family's re-decision
 * is queued for the years it had (later claims it denied as duplicates).
 * KEYS: 1 claim, 2 submission, 3 decision, 4 work stream, 5 pended set,
 *       6 audit stream, 7 claim audit list, 8 events stream, 9 received index
 * ARGV: 1 claim id, 2 submission JSON, 3 type, 4 years, 5 now (unix
 *       seconds), 6 audit JSON, 7 status index prefix, 8 fingerprint key
 *       prefix, 9 family version key prefix, 10 the patient it must have
 * Returns {"ok", prior status}, {"conflict", status}, {"conflict", "member"}
 * or {"missing"}.
 */
static struct script script_replace_in_place = {
    "replace_in_place",
    "local st = redis.call('HGET', KEYS[1], 'status')\n"
    "if not st then return {'missing'} end\n"
    "if st ~= 'received' and st ~= 'processing' and st ~= 'pended' and st ~= 'in_review' then\n"
    "  return {'conflict', st}\n"
    "end\n"
    "local id = ARGV[1]\n"
    "local f = redis.call('HMGET', KEYS[1], 'member_id', 'subscriber_id', 'group_hint',\n"
    "                     'plan_hint', 'history', 'score', 'years')\n"
    "if f[1] ~= ARGV[10] then return {'conflict', 'member'} end\n"
    "local member, sub = f[1], f[2] or ''\n"
    "local fam = sub\n"
    "if fam == '' then fam = member end\n"
    "local entry = 'received@' .. ARGV[5]\n"
    "local h = f[5]\n"
    "if h and h ~= '' then h = h .. ',' .. entry else h = entry end\n"
    "redis.call('HSET', KEYS[1], 'status', 'received', 'history', h, 'type', ARGV[3],\n"
    "           'years', ARGV[4])\n"
    "redis.call('HDEL', KEYS[1], 'review')\n"
    "redis.call('SET', KEYS[2], ARGV[2])\n"
    "redis.call('DEL', KEYS[3])\n"
    "redis.call('ZREM', KEYS[5], id)\n"
    "redis.call('ZREM', ARGV[7] .. st, id)\n"
    "redis.call('ZADD', KEYS[9], f[6], id)\n"
    "local fk = ARGV[8] .. member\n"
    "local all = redis.call('HGETALL', fk)\n"
    "for i = 1, #all, 2 do\n"
    "  if all[i + 1] == id then redis.call('HDEL', fk, all[i]) end\n"
    "end\n"
    "local vk = ARGV[9] .. fam\n"
    "local v = redis.call('GET', vk) or '0'\n"
    "redis.call('SET', vk, ((tonumber(string.match(v, '^%d+')) or 0) + 1) .. ':replace:' .. id)\n"
    "redis.call('XADD', KEYS[4], '*', 'claim', id, 'member', member, 'subscriber', sub, 'group', "
    "f[3] or '',\n"
    "           'plan', f[4] or '', 'years', ARGV[4])\n"
    "if st == 'pended' or st == 'in_review' then\n"
    "  redis.call('XADD', KEYS[4], '*', 'claim', id, 'redecide', '1', 'member', member, "
    "'subscriber', sub,\n"
    "             'years', f[7] or '')\n"
    "end\n"
    "local aid = redis.call('XADD', KEYS[6], '*', 'claim_id', id, 'record', ARGV[6])\n"
    "redis.call('RPUSH', KEYS[7], aid)\n"
    "redis.call('XADD', KEYS[8], 'MAXLEN', '~', 100000, '*', 'event', 'claim.replaced',\n"
    "           'claim_id', id, 'status', 'received')\n"
    "return {'ok', st}\n",
    "",
};

static void queue_redecide_scripts_init(void);

/* The event-loop scripts also get their SHA-1 on first use (queue_script_ready);
 * the worker's are loaded with EVAL on NOSCRIPT by queue_script_eval_blocking,
 * which needs the SHA-1 too: set here, once, before the threads start. */
void queue_corrections_init(void)
{
    queue_script_ready(&script_void);
    queue_script_ready(&script_replace_in_place);
    queue_redecide_scripts_init();
}

struct correction_wait {
    queue_correction_cb cb;
    void *arg;
};

static void on_correction(redisReply *reply, void *arg)
{
    struct correction_wait w = *(struct correction_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("correction script failed: %s", reply->str);
        w.cb(QUEUE_UNAVAILABLE, "", w.arg);
        return;
    }
    const char *what = reply->element[0]->str;
    const char *st = reply->elements > 1 && reply->element[1]->type == REDIS_REPLY_STRING
                         ? reply->element[1]->str
                         : "";
    if (strcmp(what, "ok") == 0)
        w.cb(QUEUE_OK, st, w.arg);
    else if (strcmp(what, "conflict") == 0)
        w.cb(QUEUE_CONFLICT, st, w.arg);
    else
        w.cb(QUEUE_NOT_FOUND, "", w.arg);
}

/* Sends one correction script; 0 or -1 (nothing sent). */
static int send_correction(struct rconn *rc, struct script *s, int nkeys, const char *const *keys,
                           int nargs, const char *const *args, queue_correction_cb cb, void *arg)
{
    struct correction_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    if (queue_script_eval_async(rc, queue_script_ready(s), on_correction, w, nkeys, keys, nargs,
                                args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* What both claim corrections (void, replace in place) pass on the claim's
 * shard: the status index, fingerprint and family version key prefixes,
 * and now in unix seconds. */
struct correction_common {
    char idx[KEY_LEN], fp[KEY_LEN], ver[KEY_LEN], now[24];
};

static void correction_common(const struct queue_shard_prefix *sp, long long now_secs,
                              struct correction_common *out)
{
    snprintf(out->idx, sizeof out->idx, KEYF_IDX_STATUS, sp->s, "");
    snprintf(out->fp, sizeof out->fp, KEYF_FP, sp->s, "");
    snprintf(out->ver, sizeof out->ver, KEYF_FAMILY_VERSION, sp->s, "");
    snprintf(out->now, sizeof out->now, "%lld", now_secs);
}

int queue_void_claim(struct rconn *rc, const char *prefix, const char *claim_id, const char *reason,
                     const char *voided_at, long long now_secs, const char *audit_json,
                     queue_correction_cb cb, void *arg)
{
    char k[11][KEY_LEN], appeal[KEY_LEN];
    /* Every key on the claim's shard: its family's, its appeal's. */
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, queue_shard_of_claim(claim_id));
    snprintf(k[0], KEY_LEN, KEYF_CLAIM, sp.s, claim_id);
    snprintf(k[1], KEY_LEN, KEYF_STREAM, sp.s);
    snprintf(k[2], KEY_LEN, KEYF_SLA, sp.s);
    snprintf(k[3], KEY_LEN, KEYF_PENDED, sp.s);
    snprintf(k[4], KEY_LEN, KEYF_AUDIT, sp.s);
    snprintf(k[5], KEY_LEN, KEYF_CLAIM_AUDIT, sp.s, claim_id);
    snprintf(k[6], KEY_LEN, KEYF_EVENTS, sp.s);
    snprintf(k[7], KEY_LEN, KEYF_REMIT_DUE, sp.s);
    snprintf(k[8], KEY_LEN, KEYF_MEMBERPAY_DUE, sp.s);
    snprintf(k[9], KEY_LEN, KEYF_REMIT_INFO, sp.s);
    snprintf(k[10], KEY_LEN, KEYF_APPEALS_OPEN, sp.s);
    snprintf(appeal, sizeof appeal, KEYF_APPEAL, sp.s, "");
    struct correction_common c;
    correction_common(&sp, now_secs, &c);
    const char *keys[11];
    for (int i = 0; i < 11; i++)
        keys[i] = k[i];
    const char *args[] = {claim_id, reason, c.now,     audit_json, c.idx,
                          c.fp,     c.ver,  voided_at, appeal};
    return send_correction(rc, &script_void, 11, keys, 9, args, cb, arg);
}

int queue_replace_in_place(struct rconn *rc, const char *prefix, const char *claim_id,
                           const char *member_id, const char *submission_json, const char *type,
                           const char *years, long long now_secs, const char *audit_json,
                           queue_correction_cb cb, void *arg)
{
    char k[9][KEY_LEN];
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, queue_shard_of_claim(claim_id));
    snprintf(k[0], KEY_LEN, KEYF_CLAIM, sp.s, claim_id);
    snprintf(k[1], KEY_LEN, KEYF_BODY, sp.s, claim_id);
    snprintf(k[2], KEY_LEN, KEYF_DEC, sp.s, claim_id);
    snprintf(k[3], KEY_LEN, KEYF_STREAM, sp.s);
    snprintf(k[4], KEY_LEN, KEYF_PENDED, sp.s);
    snprintf(k[5], KEY_LEN, KEYF_AUDIT, sp.s);
    snprintf(k[6], KEY_LEN, KEYF_CLAIM_AUDIT, sp.s, claim_id);
    snprintf(k[7], KEY_LEN, KEYF_EVENTS, sp.s);
    snprintf(k[8], KEY_LEN, KEYF_IDX_STATUS, sp.s, "received");
    struct correction_common c;
    correction_common(&sp, now_secs, &c);
    const char *keys[9];
    for (int i = 0; i < 9; i++)
        keys[i] = k[i];
    const char *args[] = {claim_id,   submission_json, type, years, c.now,
                          audit_json, c.idx,           c.fp, c.ver, member_id};
    return send_correction(rc, &script_replace_in_place, 9, keys, 10, args, cb, arg);
}

/*
 * Queues a family re-decision for one claim's family and years
 * (queue_request_redecision).
 * KEYS: 1 claim, 2 work stream
 * ARGV: 1 claim id, 2 family version key prefix, 3 tag
 * Returns {"ok", status} or {"missing"}.
 */
static struct script script_request_redecision = {
    "request_redecision",
    QUEUE_LUA_REDECIDE "local st = redecide(KEYS[1], KEYS[2], ARGV[2], ARGV[1], ARGV[3])\n"
                       "if not st then return {'missing'} end\n"
                       "return {'ok', st}\n",
    "",
};

int queue_request_redecision(struct rconn *rc, const char *prefix, const char *claim_id,
                             const char *tag, queue_correction_cb cb, void *arg)
{
    char k_claim[KEY_LEN], k_stream[KEY_LEN], ver[KEY_LEN];
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, queue_shard_of_claim(claim_id));
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, sp.s, claim_id);
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, sp.s);
    snprintf(ver, sizeof ver, KEYF_FAMILY_VERSION, sp.s, "");
    const char *keys[] = {k_claim, k_stream};
    const char *args[] = {claim_id, ver, tag};
    return send_correction(rc, &script_request_redecision, 2, keys, 3, args, cb, arg);
}

/* ---- the re-decision job ---- */

/*
 * A family's claims for a re-decision, at one instant, on the family's
 * shard. The enrollment records they need carry no shard tag (on a cluster
 * they are on other slots): they are read after this, outside the script
 * (queue/redecide_records.h).
 * KEYS: 1 the family's claim index, 2 the family version
 * ARGV: 1 claim key prefix, 2 submission key prefix, 3 decision key prefix,
 *       4 EOB key prefix (the key is that, the claim id, ':' and the version),
 *       5 claim-to-recovery key prefix, 6 recovery key prefix
 * Returns {version, {10 fields per claim}}; a claim's fields: id, status,
 *          member id, received, eob_version, submission, decision, latest
 *          EOB (a reversal only; else false), recovery id, the stored
 *          reviewer's decision (the `review` field; else false).
 */
static struct script script_redecide_load = {
    "redecide_load",
    "local version = redis.call('GET', KEYS[2]) or '0'\n"
    "local claims = {}\n"
    "for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "  local f = redis.call('HMGET', ARGV[1] .. id, 'status', 'member_id', 'received',\n"
    "                       'eob_version', 'rev', 'recover', 'review')\n"
    "  local st = f[1]\n"
    "  local final = st == 'approved' or st == 'denied'\n"
    "  local rev = (st == 'voided' or st == 'replaced') and f[5] == '1'\n"
    "  if final or rev then\n"
    "    local rid = f[6] or ''\n"
    "    if rid == '' and final then\n"
    "      local r = redis.call('GET', ARGV[5] .. id)\n"
    "      if r and redis.call('HGET', ARGV[6] .. r, 'status') == 'open' then rid = r end\n"
    "    end\n"
    "    local ev = tonumber(f[4] or '0') or 0\n"
    "    local eob = false\n"
    "    if rev and ev > 0 then eob = redis.call('GET', ARGV[4] .. id .. ':' .. ev) end\n"
    "    claims[#claims + 1] = id\n"
    "    claims[#claims + 1] = st\n"
    "    claims[#claims + 1] = f[2] or ''\n"
    "    claims[#claims + 1] = f[3] or ''\n"
    "    claims[#claims + 1] = tostring(ev)\n"
    "    claims[#claims + 1] = redis.call('GET', ARGV[2] .. id)\n"
    "    claims[#claims + 1] = redis.call('GET', ARGV[3] .. id)\n"
    "    claims[#claims + 1] = eob\n"
    "    claims[#claims + 1] = rid\n"
    "    claims[#claims + 1] = f[7] or false\n"
    "  end\n"
    "end\n"
    "return {version, claims}\n",
    "",
};

#define ROW_FIELDS 10

/* A packed or plain stored text as plain text (allocated), NULL for nil;
 * sets *bad when it cannot be read. */
static char *stored_text(const redisReply *r, bool *bad)
{
    if (r->type != REDIS_REPLY_STRING)
        return NULL;
    if (r->len > 0 && r->str[0] == '{') {
        char *t = strdup(r->str);
        *bad |= !t;
        return t;
    }
    char *text = NULL;
    size_t len = 0;
    if (packed_unpack(r->str, r->len, &text, &len) != 0) {
        *bad = true;
        return NULL;
    }
    return text;
}

/* A string element as text ("" for anything else). */
static const char *text_at(const redisReply *r, size_t i)
{
    return r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str : "";
}

/* Fills out from the load script's answer; false when it does not read or
 * memory ran out. */
static bool take_facts(const redisReply *r, struct redecide_facts *out)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY)
        return false;
    snprintf(out->version, sizeof out->version, "%s", r->element[0]->str);
    const redisReply *c = r->element[1];
    out->n_rows = c->elements / ROW_FIELDS;
    out->rows = calloc(out->n_rows + 1, sizeof *out->rows);
    if (!out->rows)
        return false;
    bool bad = false;
    for (size_t i = 0; i < out->n_rows; i++) {
        struct redecide_row *row = &out->rows[i];
        size_t at = i * ROW_FIELDS;
        snprintf(row->claim_id, sizeof row->claim_id, "%s", text_at(c, at));
        snprintf(row->status, sizeof row->status, "%s", text_at(c, at + 1));
        snprintf(row->member_id, sizeof row->member_id, "%s", text_at(c, at + 2));
        snprintf(row->received, sizeof row->received, "%s", text_at(c, at + 3));
        row->eob_version = atoi(text_at(c, at + 4));
        row->submission = stored_text(c->element[at + 5], &bad);
        row->decision = stored_text(c->element[at + 6], &bad);
        row->eob = stored_text(c->element[at + 7], &bad);
        snprintf(row->recovery_id, sizeof row->recovery_id, "%s", text_at(c, at + 8));
        row->review = stored_text(c->element[at + 9], &bad);
    }
    return !bad;
}

int queue_redecide_load(struct work_conn *wc, const char *subscriber_id, struct redecide_facts *out)
{
    const char *p = queue_work_prefix(wc);
    memset(out, 0, sizeof *out);
    /* The family's keys are on its shard. */
    struct queue_shard_prefix sp = queue_shard_prefix(p, queue_shard_of_family(subscriber_id));
    char k_idx[KEY_LEN], k_ver[KEY_LEN], a[6][KEY_LEN];
    snprintf(k_idx, sizeof k_idx, KEYF_IDX_FAMILY, sp.s, subscriber_id);
    snprintf(k_ver, sizeof k_ver, KEYF_FAMILY_VERSION, sp.s, subscriber_id);
    snprintf(a[0], KEY_LEN, KEYF_CLAIM, sp.s, "");
    snprintf(a[1], KEY_LEN, KEYF_BODY, sp.s, "");
    snprintf(a[2], KEY_LEN, KEYF_DEC, sp.s, "");
    snprintf(a[3], KEY_LEN, "%seob:", sp.s); /* KEYF_EOB without id and version */
    snprintf(a[4], KEY_LEN, KEYF_RECOVERY_CLAIM, sp.s, "");
    snprintf(a[5], KEY_LEN, KEYF_RECOVERY, sp.s, "");
    const char *keys[] = {k_idx, k_ver};
    const char *args[6];
    for (int i = 0; i < 6; i++)
        args[i] = a[i];
    struct rlink *c = queue_work_link(wc);
    redisReply *r = queue_script_eval_blocking(c, queue_script_ready(&script_redecide_load), 2,
                                               keys, 6, args, NULL);
    if (!r)
        return -1;
    bool ok = take_facts(r, out);
    if (!ok && r->type == REDIS_REPLY_ERROR)
        log_error("re-decision load failed: %s", r->str);
    freeReplyObject(r);
    /* The records after the version: an enrollment change between the two
     * moves the version on, and the commit is then stale. */
    int rc = ok ? queue_redecide_read_records(c, p, subscriber_id, out) : -2;
    if (rc != 0)
        queue_redecide_facts_free(out);
    return rc;
}

/* Frees a record list of n entries. */
static void records_free(struct redecide_record *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i].json);
    free(list);
}

void queue_redecide_facts_free(struct redecide_facts *f)
{
    for (size_t i = 0; f->rows && i < f->n_rows; i++) {
        free(f->rows[i].submission);
        free(f->rows[i].decision);
        free(f->rows[i].eob);
        free(f->rows[i].review);
    }
    free(f->rows);
    records_free(f->members, f->n_members);
    records_free(f->groups, f->n_groups);
    records_free(f->plans, f->n_plans);
    memset(f, 0, sizeof *f);
}

const char *queue_redecide_record_of(const struct redecide_record *list, size_t n, const char *id)
{
    for (size_t i = 0; id && id[0] && i < n; i++)
        if (strcmp(list[i].id, id) == 0)
            return list[i].json;
    return NULL;
}

/*
 * A re-decision's outcome, all or nothing (queue_redecide_commit).
 * KEYS: 1 family version, 2 work stream, 3 audit stream, 4 events stream,
 *       5 remit:info
 * ARGV: 1 expected version, 2 job entry id, 3 group, 4 claim key prefix,
 *       5 decision key prefix, 6 EOB key prefix, 7 fingerprint key prefix,
 *       8 claim audit list prefix, 9 the family's accumulator key prefix
 *       ("...acc:<subscriber>:"), 10 recovery key prefix, 11 now (unix
 *       seconds), 12 now (RFC 3339), 13 number of years, then per year: the
 *       year, its field count, field/value pairs; then the number of
 *       changes, per change: claim id, member id, "1" reversal, status,
 *       packed decision, packed EOB, EOB version, audit JSON, recovery id,
 *       payment, store count, the fingerprints, drop count, the fingerprints
 * Returns "ok" or "stale".
 */
static struct script script_redecide_commit = {
    "redecide_commit",
    "local v = redis.call('GET', KEYS[1]) or '0'\n"
    "if v ~= ARGV[1] then return 'stale' end\n"
    "local count = (tonumber(string.match(v, '^%d+')) or 0) + 1\n"
    "redis.call('SET', KEYS[1], count .. ':redecide:' .. ARGV[2])\n"
    "local cp, dp, ep, fp = ARGV[4], ARGV[5], ARGV[6], ARGV[7]\n"
    "local ap, acp, rp = ARGV[8], ARGV[9], ARGV[10]\n"
    "local i = 14\n"
    "for y = 1, tonumber(ARGV[13]) do\n"
    "  local key, n = acp .. ARGV[i], tonumber(ARGV[i + 1])\n"
    "  i = i + 2\n"
    "  redis.call('DEL', key)\n"
    "  for k = 1, n do\n"
    "    redis.call('HSET', key, ARGV[i], ARGV[i + 1]); i = i + 2\n"
    "  end\n"
    "end\n"
    "local nc = tonumber(ARGV[i]); i = i + 1\n"
    "for c = 1, nc do\n"
    "  local id, member, rev, st = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]\n"
    "  local dec, eob, ver, audit = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7]\n"
    "  local rid, pay = ARGV[i + 8], ARGV[i + 9]\n"
    "  i = i + 10\n"
    "  local ck = cp .. id\n"
    "  if rev == '1' then\n"
    "    redis.call('HDEL', ck, 'rev')\n"
    "  else\n"
    "    local cur = redis.call('HMGET', ck, 'status', 'history')\n"
    "    if cur[1] ~= st then\n"
    "      local h, entry = cur[2], st .. '@' .. ARGV[11]\n"
    "      if h and h ~= '' then h = h .. ',' .. entry else h = entry end\n"
    "      redis.call('HSET', ck, 'status', st, 'history', h)\n"
    "    end\n"
    "    redis.call('SET', dp .. id, dec)\n"
    "    if pay ~= '' and redis.call('HEXISTS', KEYS[5], id) == 1 then\n"
    "      redis.call('HSET', KEYS[5], id, pay)\n"
    "    end\n"
    "    redis.call('XADD', KEYS[4], 'MAXLEN', '~', 100000, '*', 'event', 'claim.adjusted',\n"
    "               'claim_id', id, 'status', st)\n"
    "  end\n"
    "  local fk = fp .. member\n"
    "  for k = 1, tonumber(ARGV[i]) do redis.call('HSET', fk, ARGV[i + k], id) end\n"
    "  i = i + tonumber(ARGV[i]) + 1\n"
    "  for k = 1, tonumber(ARGV[i]) do\n"
    "    if redis.call('HGET', fk, ARGV[i + k]) == id then\n"
    "      redis.call('HDEL', fk, ARGV[i + k])\n"
    "    end\n"
    "  end\n"
    "  i = i + tonumber(ARGV[i]) + 1\n"
    "  if eob ~= '' then\n"
    "    redis.call('SET', ep .. id .. ':' .. ver, eob)\n"
    "    redis.call('HSET', ck, 'eob_version', ver)\n"
    "  end\n"
    "  if rid ~= '' then\n"
    "    if redis.call('HGET', rp .. rid, 'status') == 'open' then\n"
    "      redis.call('HSET', rp .. rid, 'status', 'reversed', 'reversed_at', ARGV[12],\n"
    "                 'updated_at', ARGV[12])\n"
    "    end\n"
    "    redis.call('HDEL', ck, 'recover')\n"
    "  end\n"
    "  local aid = redis.call('XADD', KEYS[3], '*', 'claim_id', id, 'record', audit)\n"
    "  redis.call('RPUSH', ap .. id, aid)\n"
    "end\n"
    "redis.call('XACK', KEYS[2], ARGV[3], ARGV[2])\n"
    "redis.call('XDEL', KEYS[2], ARGV[2])\n"
    "return 'ok'\n",
    "",
};

/* The commit's argument list, growing; every text it owns is kept in owned. */
struct arglist {
    const char **argv;
    size_t *len;
    int n, cap;
    char **owned;
    int n_owned;
    bool failed;
};

static void arg_put(struct arglist *a, const char *s, size_t len)
{
    if (a->failed)
        return;
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 256;
        const char **argv = realloc(a->argv, sizeof *argv * (size_t)cap);
        if (argv)
            a->argv = argv;
        size_t *lens = realloc(a->len, sizeof *lens * (size_t)cap);
        if (lens)
            a->len = lens;
        char **owned = realloc(a->owned, sizeof *owned * (size_t)cap);
        if (owned)
            a->owned = owned;
        if (!argv || !lens || !owned) {
            a->failed = true;
            return;
        }
        a->cap = cap;
    }
    a->argv[a->n] = s ? s : "";
    a->len[a->n++] = s ? len : 0;
}

static void arg_str(struct arglist *a, const char *s)
{
    arg_put(a, s, s ? strlen(s) : 0);
}

/* Puts an allocated text the list then owns (NULL: out of memory). */
static void arg_own(struct arglist *a, char *s, size_t len)
{
    if (!s) {
        a->failed = true;
        return;
    }
    arg_put(a, s, len);
    if (!a->failed)
        a->owned[a->n_owned++] = s;
    else
        free(s);
}

static void arg_int(struct arglist *a, long long v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", v);
    arg_own(a, strdup(buf), (size_t)n);
}

/* text packed (packed.h) as an owned argument. */
static void arg_packed(struct arglist *a, const char *text)
{
    char *out = NULL;
    size_t len = 0;
    if (packed_pack(text, strlen(text), &out, &len) != 0) {
        a->failed = true;
        return;
    }
    arg_own(a, out, len);
}

static void arglist_free(struct arglist *a)
{
    for (int i = 0; i < a->n_owned; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->argv);
    free(a->len);
}

/* The changes' part of the arguments. */
static void put_changes(struct arglist *a, const struct redecide_commit *c)
{
    arg_int(a, c->n_changes);
    for (int k = 0; k < c->n_changes; k++) {
        const struct redecide_change *ch = &c->changes[k];
        arg_str(a, ch->claim_id);
        arg_str(a, ch->member_id);
        arg_str(a, ch->reversal ? "1" : "");
        arg_str(a, ch->reversal ? "" : ch->status);
        if (ch->reversal || !ch->decision) {
            arg_str(a, "");
        } else {
            size_t n = strlen(ch->decision) + 16;
            char *t = malloc(n);
            if (t)
                snprintf(t, n, "{\"decision\":%s}", ch->decision);
            if (t)
                arg_packed(a, t);
            else
                a->failed = true;
            free(t);
        }
        if (ch->eob)
            arg_packed(a, ch->eob);
        else
            arg_str(a, "");
        arg_int(a, ch->eob_version);
        arg_str(a, ch->audit);
        arg_str(a, ch->recovery_id);
        arg_str(a, ch->payment);
        arg_int(a, ch->n_store);
        for (int i = 0; i < ch->n_store; i++)
            arg_str(a, ch->store[i]);
        arg_int(a, ch->n_drop);
        for (int i = 0; i < ch->n_drop; i++)
            arg_str(a, ch->drop[i]);
    }
}

enum work_commit_result queue_redecide_commit(struct work_conn *wc, const struct redecide_commit *c)
{
    const char *p = queue_work_prefix(wc);
    const char *sub = c->job->subscriber_id;
    char k[5][KEY_LEN], pre[7][KEY_LEN];
    /* The job's entry is on its family's shard (its claim's), with every key
     * the commit touches: one slot. */
    int shard = queue_shard_of_family(sub);
    if (shard != c->job->shard) {
        log_error("re-decision job not on its family's shard claim_id=%s", c->job->claim_id);
        return WORK_COMMIT_ERROR;
    }
    struct queue_shard_prefix sp = queue_shard_prefix(p, shard);
    snprintf(k[0], KEY_LEN, KEYF_FAMILY_VERSION, sp.s, sub);
    snprintf(k[1], KEY_LEN, KEYF_STREAM, sp.s);
    snprintf(k[2], KEY_LEN, KEYF_AUDIT, sp.s);
    snprintf(k[3], KEY_LEN, KEYF_EVENTS, sp.s);
    snprintf(k[4], KEY_LEN, KEYF_REMIT_INFO, sp.s);
    snprintf(pre[0], KEY_LEN, KEYF_CLAIM, sp.s, "");
    snprintf(pre[1], KEY_LEN, KEYF_DEC, sp.s, "");
    snprintf(pre[2], KEY_LEN, "%seob:", sp.s); /* KEYF_EOB's prefix */
    snprintf(pre[3], KEY_LEN, KEYF_FP, sp.s, "");
    snprintf(pre[4], KEY_LEN, KEYF_CLAIM_AUDIT, sp.s, "");
    snprintf(pre[5], KEY_LEN, "%sacc:%s:", sp.s, sub); /* KEYF_ACC's prefix */
    snprintf(pre[6], KEY_LEN, KEYF_RECOVERY, sp.s, "");
    struct arglist a = {0};
    arg_str(&a, "EVALSHA");
    arg_str(&a, queue_script_ready(&script_redecide_commit)->sha);
    arg_str(&a, "5");
    for (int i = 0; i < 5; i++)
        arg_str(&a, k[i]);
    arg_str(&a, c->expected_version);
    arg_str(&a, c->job->entry_id);
    arg_str(&a, WORK_GROUP);
    for (int i = 0; i < 7; i++)
        arg_str(&a, pre[i]);
    arg_int(&a, c->now_secs);
    arg_str(&a, c->now_rfc3339);
    arg_int(&a, c->n_years);
    for (int y = 0; y < c->n_years; y++) {
        arg_int(&a, c->years[y].year);
        arg_int(&a, c->years[y].n);
        for (int f = 0; f < c->years[y].n; f++) {
            arg_str(&a, c->years[y].fields[f]);
            arg_int(&a, c->years[y].values[f]);
        }
    }
    put_changes(&a, c);
    if (a.failed) {
        arglist_free(&a);
        log_error("re-decision not committed (out of memory) claim_id=%s", c->job->claim_id);
        return WORK_COMMIT_ERROR;
    }
    struct rlink *ctx = queue_work_link(wc);
    queue_rlink_writes_begin(ctx);
    redisReply *r = queue_rlink_command_argv(ctx, a.n, a.argv, a.len);
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(r);
        a.argv[0] = "EVAL";
        a.len[0] = 4;
        a.argv[1] = script_redecide_commit.body;
        a.len[1] = strlen(script_redecide_commit.body);
        r = queue_rlink_command_argv(ctx, a.n, a.argv, a.len);
    }
    arglist_free(&a);
    enum work_commit_result res = WORK_COMMIT_ERROR;
    if (r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "ok") == 0)
        res = WORK_COMMIT_OK;
    else if (r && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING) &&
             strcmp(r->str, "stale") == 0)
        res = WORK_COMMIT_STALE;
    else if (r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "ok") == 0)
        res = WORK_COMMIT_OK;
    else if (r && r->type == REDIS_REPLY_ERROR)
        log_error("re-decision commit refused claim_id=%s: %s", c->job->claim_id, r->str);
    if (r)
        freeReplyObject(r);
    if (res == WORK_COMMIT_OK)
        queue_rlink_writes_wait(ctx, "a family re-decision"); /* replica_acks */
    return res;
}

static void queue_redecide_scripts_init(void)
{
    queue_script_ready(&script_redecide_load);
    queue_script_ready(&script_redecide_commit);
}
