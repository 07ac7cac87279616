#include "claims_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "log.h"
#include "packed.h"
#include "queue/keys.h"
#include "queue/members.h"
#include "queue/reply.h"
#include "queue/scripts.h"
#include "queue/shard_fanout.h"
#include "queue/shard_merge.h"
#include "queue/shards.h"

/*
 * The claim, its submission and its decision in one step.
 * KEYS: 1 claim hash, 2 submission, 3 decision
 * Returns {} when the claim does not exist, else {hash pairs, submission or
 * nil, packed decision or nil}.
 */
static struct script script_claim_read = {
    "claim_read",
    "local h = redis.call('HGETALL', KEYS[1])\n"
    "if #h == 0 then return {} end\n"
    "return {h, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3])}\n",
    "",
};

/*
 * The claim's hash and one EOB version.
 * KEYS: 1 claim hash, 2 the claim's EOB key without the version number
 * ARGV: 1 the version, "0" for the latest (the hash's eob_version)
 * Returns {} when the claim does not exist, else {hash pairs, packed EOB or
 * nil (no such version)}.
 */
static struct script script_eob_read = {
    "eob_read",
    "local h = redis.call('HGETALL', KEYS[1])\n"
    "if #h == 0 then return {} end\n"
    "local latest = tonumber(redis.call('HGET', KEYS[1], 'eob_version') or '0') or 0\n"
    "local v = tonumber(ARGV[1])\n"
    "if v == 0 then v = latest end\n"
    "local e = false\n"
    "if v >= 1 and v <= latest then e = redis.call('GET', KEYS[2] .. v) end\n"
    "return {h, e}\n",
    "",
};

/*
 * A claim's audit records: the entry ids its list holds, each read from the
 * audit stream (where the record is kept once).
 * KEYS: 1 the claim's audit list, 2 audit stream
 * Returns the records (JSON texts), oldest first.
 */
static struct script script_audit_read = {
    "audit_read",
    "local ids = redis.call('LRANGE', KEYS[1], 0, -1)\n"
    "local out = {}\n"
    "for _, id in ipairs(ids) do\n"
    "  local e = redis.call('XRANGE', KEYS[2], id, id)\n"
    "  if e[1] then\n"
    "    local f = e[1][2]\n"
    "    for i = 1, #f, 2 do\n"
    "      if f[i] == 'record' then out[#out + 1] = f[i + 1] end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return out\n",
    "",
};

const char *queue_claim_field(const struct queue_claim *claim, const char *name)
{
    const redisReply *r = claim->fields;
    for (size_t i = 0; r && i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0)
            return r->element[i + 1]->type == REDIS_REPLY_STRING ? r->element[i + 1]->str : NULL;
    return NULL;
}

struct json_object *queue_history_json(const char *compact)
{
    struct json_object *list = json_object_new_array();
    if (!list)
        return NULL;
    for (const char *p = compact; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *at = memchr(p, '@', len);
        if (at && at > p) {
            char status[32], digits[24];
            size_t slen = (size_t)(at - p), dlen = len - slen - 1;
            if (slen < sizeof status && dlen > 0 && dlen < sizeof digits) {
                memcpy(status, p, slen);
                status[slen] = '\0';
                memcpy(digits, at + 1, dlen);
                digits[dlen] = '\0';
                char *end;
                long long secs = strtoll(digits, &end, 10);
                char when[32] = "";
                if (!*end && secs >= 0)
                    rfc3339_at(secs, when);
                if (when[0]) {
                    struct json_object *e = json_object_new_object();
                    json_object_object_add(e, "at", json_object_new_string(when));
                    json_object_object_add(e, "status", json_object_new_string(status));
                    json_object_array_add(list, e);
                }
            }
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return list;
}

/* ---- one claim, one EOB ---- */

struct claim_read {
    queue_claim_cb cb;
    void *arg;
    char claim_id[48];
};

/* Unpacks a packed value; NULL (and a log line naming the claim only) when it
 * cannot be read. Allocates. */
static char *unpack_reply(const redisReply *r, const char *what, const char *claim_id)
{
    if (!r || r->type != REDIS_REPLY_STRING)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    if (packed_unpack(r->str, r->len, &text, &len) != 0) {
        log_error("stored %s cannot be unpacked claim_id=%s", what, claim_id);
        return NULL;
    }
    return text;
}

static int eob_version_of(const struct queue_claim *c)
{
    const char *v = queue_claim_field(c, "eob_version");
    return v ? atoi(v) : 0;
}

/* The claim's hash out of a read script's answer: {} when the claim does not
 * exist, else n elements with the hash first. True with *c holding the hash
 * and its EOB version; false when the caller was answered (QUEUE_NOT_FOUND,
 * or QUEUE_UNAVAILABLE logged as "<what> read failed") and cr freed. */
static bool claim_of_reply(const redisReply *reply, size_t n, const char *what,
                           struct claim_read *cr, struct queue_claim *c)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY ||
        (reply->elements != 0 && reply->elements != n)) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("%s read failed: %s", what, reply->str);
        cr->cb(QUEUE_UNAVAILABLE, NULL, cr->arg);
        free(cr);
        return false;
    }
    if (reply->elements == 0) {
        cr->cb(QUEUE_NOT_FOUND, NULL, cr->arg);
        free(cr);
        return false;
    }
    *c = (struct queue_claim){.fields = reply->element[0]};
    c->eob_version = eob_version_of(c);
    return true;
}

static void on_claim_read(redisReply *reply, void *arg)
{
    struct claim_read *cr = arg;
    struct queue_claim c;
    if (!claim_of_reply(reply, 3, "claim", cr, &c))
        return;
    /* The submission is JSON text until the claim is final, then packed. */
    const redisReply *body = reply->element[1];
    if (body->type == REDIS_REPLY_STRING) {
        char *packed_text = body->len > 0 && body->str[0] != '{'
                                ? unpack_reply(body, "submission", cr->claim_id)
                                : NULL;
        const char *text = packed_text ? packed_text : body->str;
        if (!(c.submitted = json_tokener_parse(text)))
            log_error("stored submission cannot be read claim_id=%s", cr->claim_id);
        free(packed_text);
    }
    struct json_object *dec = NULL;
    char *dec_text = unpack_reply(reply->element[2], "decision", cr->claim_id);
    if (dec_text && !(dec = json_tokener_parse(dec_text)))
        log_error("stored decision cannot be read claim_id=%s", cr->claim_id);
    free(dec_text);
    if (dec) {
        json_object_object_get_ex(dec, "decision", &c.decision);
        json_object_object_get_ex(dec, "pending", &c.pending);
        if (c.decision && json_object_is_type(c.decision, json_type_null))
            c.decision = NULL;
        if (c.pending && json_object_is_type(c.pending, json_type_null))
            c.pending = NULL;
    }
    cr->cb(QUEUE_OK, &c, cr->arg);
    if (c.submitted)
        json_object_put(c.submitted);
    if (dec)
        json_object_put(dec);
    free(cr);
}

static struct claim_read *claim_read_new(const char *claim_id, queue_claim_cb cb, void *arg)
{
    struct claim_read *cr = calloc(1, sizeof *cr);
    if (!cr)
        return NULL;
    cr->cb = cb;
    cr->arg = arg;
    snprintf(cr->claim_id, sizeof cr->claim_id, "%s", claim_id);
    return cr;
}

int queue_get_claim(struct rconn *rc, const char *prefix, const char *claim_id, queue_claim_cb cb,
                    void *arg)
{
    struct claim_read *cr = claim_read_new(claim_id, cb, arg);
    if (!cr)
        return -1;
    char k_claim[KEY_LEN], k_body[KEY_LEN], k_dec[KEY_LEN];
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, CLAIM_PREFIX(prefix, claim_id), claim_id);
    snprintf(k_body, sizeof k_body, KEYF_BODY, CLAIM_PREFIX(prefix, claim_id), claim_id);
    snprintf(k_dec, sizeof k_dec, KEYF_DEC, CLAIM_PREFIX(prefix, claim_id), claim_id);
    const char *keys[] = {k_claim, k_body, k_dec};
    if (queue_script_eval_async(rc, queue_script_ready(&script_claim_read), on_claim_read, cr, 3,
                                keys, 0, NULL, NULL) != 0) {
        free(cr);
        return -1;
    }
    return 0;
}

static void on_eob_read(redisReply *reply, void *arg)
{
    struct claim_read *cr = arg;
    struct queue_claim c;
    if (!claim_of_reply(reply, 2, "EOB", cr, &c))
        return;
    char *eob = unpack_reply(reply->element[1], "EOB", cr->claim_id);
    c.eob = eob;
    c.eob_len = eob ? strlen(eob) : 0;
    cr->cb(QUEUE_OK, &c, cr->arg);
    free(eob);
    free(cr);
}

int queue_get_eob(struct rconn *rc, const char *prefix, const char *claim_id, int version,
                  queue_claim_cb cb, void *arg)
{
    struct claim_read *cr = claim_read_new(claim_id, cb, arg);
    if (!cr)
        return -1;
    char k_claim[KEY_LEN], k_eob[KEY_LEN], v[16];
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, CLAIM_PREFIX(prefix, claim_id), claim_id);
    /* The EOB key of version 0, less its "0": the script appends the version. */
    int n = snprintf(k_eob, sizeof k_eob, KEYF_EOB, CLAIM_PREFIX(prefix, claim_id), claim_id, 0);
    if (n > 0 && (size_t)n < sizeof k_eob)
        k_eob[n - 1] = '\0';
    snprintf(v, sizeof v, "%d", version > 0 ? version : 0);
    const char *keys[] = {k_claim, k_eob};
    const char *args[] = {v};
    if (queue_script_eval_async(rc, queue_script_ready(&script_eob_read), on_eob_read, cr, 2, keys,
                                1, args, NULL) != 0) {
        free(cr);
        return -1;
    }
    return 0;
}

/* ---- existence, audit trail ---- */

int queue_claim_exists(struct rconn *rc, const char *prefix, const char *claim_id,
                       queue_status_cb cb, void *arg)
{
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_CLAIM, CLAIM_PREFIX(prefix, claim_id), claim_id);
    return queue_key_exists(rc, key, cb, arg);
}

struct audit_wait {
    queue_audit_cb cb;
    void *arg;
};

static void on_audit_read(redisReply *reply, void *arg)
{
    struct audit_wait *w = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("audit read failed: %s", reply->str);
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, w->arg);
        free(w);
        return;
    }
    const char **records = calloc(reply->elements + 1, sizeof *records);
    if (!records) {
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, w->arg);
        free(w);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING)
            records[n++] = reply->element[i]->str;
    w->cb(QUEUE_OK, records, n, w->arg);
    free(records);
    free(w);
}

int queue_get_audit(struct rconn *rc, const char *prefix, const char *claim_id, queue_audit_cb cb,
                    void *arg)
{
    struct audit_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char k_list[KEY_LEN], k_stream[KEY_LEN];
    snprintf(k_list, sizeof k_list, KEYF_CLAIM_AUDIT, CLAIM_PREFIX(prefix, claim_id), claim_id);
    snprintf(k_stream, sizeof k_stream, KEYF_AUDIT, CLAIM_PREFIX(prefix, claim_id));
    const char *keys[] = {k_list, k_stream};
    if (queue_script_eval_async(rc, queue_script_ready(&script_audit_read), on_audit_read, w, 2,
                                keys, 0, NULL, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- information supplied ---- */

/* script_supply answers "ok", the claim's status when it is not pended, or
 * "" when it is gone. */
static enum queue_status supplied_status(const redisReply *reply)
{
    return queue_ok_or_state(reply, "information supply");
}

int queue_supply(struct rconn *rc, const char *prefix, const char *claim_id,
                 const char *merged_json, struct json_object *decision, const char *audit_json,
                 long long now_secs, queue_status_cb cb, void *arg)
{
    /* The stored decision without its pending part ("pending" only while
     * pended, docs/operations.md). */
    char *dec = NULL;
    size_t dec_len = 0;
    if (decision) {
        struct json_object *o = json_object_new_object();
        if (!o)
            return -1;
        json_object_object_add(o, "decision", json_object_get(decision));
        size_t len = 0;
        const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
        int rc_pack = text ? packed_pack(text, len, &dec, &dec_len) : -1;
        json_object_put(o);
        if (rc_pack != 0)
            return -1;
    }
    struct queue_status_wait *w = queue_status_wait_new(supplied_status, cb, arg);
    if (!w) {
        free(dec);
        return -1;
    }
    char k_claim[KEY_LEN], k_pended[KEY_LEN], k_stream[KEY_LEN], k_pidx[KEY_LEN], k_ridx[KEY_LEN],
        k_audit[KEY_LEN], k_caudit[KEY_LEN], k_body[KEY_LEN], k_dec[KEY_LEN], hist[48];
    /* Every key on the claim's shard. */
    char sp[SHARD_PREFIX_LEN];
    snprintf(sp, sizeof sp, "%s", CLAIM_PREFIX(prefix, claim_id));
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, sp, claim_id);
    snprintf(k_pended, sizeof k_pended, KEYF_PENDED, sp);
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, sp);
    snprintf(k_pidx, sizeof k_pidx, KEYF_IDX_STATUS, sp, "pended");
    snprintf(k_ridx, sizeof k_ridx, KEYF_IDX_STATUS, sp, "received");
    snprintf(k_audit, sizeof k_audit, KEYF_AUDIT, sp);
    snprintf(k_caudit, sizeof k_caudit, KEYF_CLAIM_AUDIT, sp, claim_id);
    snprintf(k_body, sizeof k_body, KEYF_BODY, sp, claim_id);
    snprintf(k_dec, sizeof k_dec, KEYF_DEC, sp, claim_id);
    snprintf(hist, sizeof hist, "received@%lld", now_secs);
    const char *keys[] = {k_claim, k_pended, k_stream, k_pidx, k_ridx,
                          k_audit, k_caudit, k_body,   k_dec};
    const char *args[] = {merged_json, hist, audit_json, claim_id, dec ? dec : ""};
    const size_t lens[] = {strlen(merged_json), strlen(hist), strlen(audit_json), strlen(claim_id),
                           dec_len};
    int rc_send = queue_script_eval_async(rc, &script_supply, queue_on_status_reply, w, 9, keys, 5,
                                          args, lens);
    free(dec);
    if (rc_send != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- search (docs/operations.md "Reading claims back", "Redis Cluster") ---- */

/*
 * One shard's part of a claim search: walks the shard's index zsets given
 * as KEYS merged by score (receipt order, oldest first), filtering each
 * candidate by its hash fields. Looks at most 10000 index entries per call
 * so that one search cannot hold Redis. Every key is of one shard (the claim
 * hashes too: the prefix in ARGV carries the shard's tag).
 * KEYS: the indexes to walk (1 to 4)
 * ARGV: 1 lower score bound ("(123" exclusive, "123" inclusive, or "-inf"),
 *       2 upper bound, 3 limit, 4 status, 5 type, 6 member id, 7 subscriber
 *       the claim must belong to (or be the member of ARGV[8]), 8 member the
 *       claim may belong to, 9 submitting provider NPI, 10 overdue before
 *       this day number ("" for a filter that does not apply), 11 the claim
 *       key prefix
 * Returns {the score of the last entry looked at, or "" when the walk reached
 * the end, then per hit: id, score, type, member, status, received, target}.
 */
static struct script script_search_shard = {
    "search_shard",
    "local lo, hi, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
    "local buf, pos, done, from = {}, {}, {}, {}\n"
    "for k = 1, #KEYS do buf[k] = {}; pos[k] = 1; done[k] = false; from[k] = lo end\n"
    "local function head(k)\n"
    "  if pos[k] > #buf[k] then\n"
    "    if done[k] then return nil end\n"
    "    buf[k] = redis.call('ZRANGEBYSCORE', KEYS[k], from[k], hi, 'WITHSCORES', 'LIMIT', 0, "
    "256)\n"
    "    pos[k] = 1\n"
    "    if #buf[k] < 512 then done[k] = true end\n"
    "    if #buf[k] == 0 then return nil end\n"
    "    from[k] = '(' .. buf[k][#buf[k]]\n"
    "  end\n"
    "  return tonumber(buf[k][pos[k] + 1])\n"
    "end\n"
    "local out = {''}\n"
    "local found, scanned, last = 0, 0, nil\n"
    "while found < limit and scanned < 10000 do\n"
    "  local best, bs = nil, nil\n"
    "  for k = 1, #KEYS do\n"
    "    local s = head(k)\n"
    "    if s and (not bs or s < bs) then best, bs = k, s end\n"
    "  end\n"
    "  if not best then out[1] = ''; return out end\n"
    "  local id, score = buf[best][pos[best]], buf[best][pos[best] + 1]\n"
    "  lo = score\n"
    "  pos[best] = pos[best] + 2\n"
    "  scanned = scanned + 1\n"
    "  if bs ~= last then\n"
    "    last = bs\n"
    "    local f = redis.call('HMGET', ARGV[11] .. id, 'type', 'member_id', 'status', 'received',\n"
    "                         'target', 'subscriber_id', 'by_npi', 'target_day')\n"
    "    local ok = f[1] ~= false\n"
    "    if ok and ARGV[4] ~= '' and f[3] ~= ARGV[4] then ok = false end\n"
    "    if ok and ARGV[5] ~= '' and f[1] ~= ARGV[5] then ok = false end\n"
    "    if ok and ARGV[6] ~= '' and f[2] ~= ARGV[6] then ok = false end\n"
    "    if ok and ARGV[7] ~= '' and f[6] ~= ARGV[7] and f[2] ~= ARGV[8] then ok = false end\n"
    "    if ok and ARGV[9] ~= '' and f[7] ~= ARGV[9] then ok = false end\n"
    "    if ok and ARGV[10] ~= '' then\n"
    "      local day = tonumber(f[8])\n"
    "      if f[3] == 'approved' or f[3] == 'denied' or not day or day >= tonumber(ARGV[10]) then "
    "ok = false end\n"
    "    end\n"
    "    if ok then\n"
    "      out[#out + 1] = id\n"
    "      out[#out + 1] = score\n"
    "      for j = 1, 5 do out[#out + 1] = f[j] end\n"
    "      found = found + 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "out[1] = lo\n"
    "return out\n",
    "",
};

#define SEARCH_HIT_FIELDS 7 /* id, score, type, member, status, received, target */

/* A search on its way: the query copied (the caller's strings may be gone
 * when the member's family has been looked up), and which shard each
 * request of the walk went to. */
struct search_wait {
    queue_search_cb cb;
    void *arg;
    struct rconn *rc;
    char prefix[64];
    char family_of[128], member[128], own_member[128], npi[128], status[32], type[32];
    char from[32], hi[32], limit[16], overdue[16];
    int limit_n;
    bool past_end; /* a cursor beyond every score: an empty last page */
    struct shard_cursor cursor;
    int n_requests;
    int shard_of_request[SHARDS_MAX];
};

static bool is_open_status(const char *s)
{
    return strcmp(s, "received") == 0 || strcmp(s, "processing") == 0 || strcmp(s, "pended") == 0 ||
           strcmp(s, "in_review") == 0;
}

/* One shard's reply into part; hit i is row i of that reply. False when the
 * reply is not a search answer. */
static bool search_part(const redisReply *r, int shard, int limit, struct shard_hit *hits,
                        struct shard_part *part)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        (r->elements - 1) % SEARCH_HIT_FIELDS != 0 ||
        (r->elements - 1) / SEARCH_HIT_FIELDS > (size_t)limit ||
        r->element[0]->type != REDIS_REPLY_STRING) {
        if (r && r->type == REDIS_REPLY_ERROR)
            log_error("search script failed: %s", r->str);
        return false;
    }
    int n = (int)((r->elements - 1) / SEARCH_HIT_FIELDS);
    for (int i = 0; i < n; i++) {
        hits[i] = (struct shard_hit){.shard = shard, .index = i};
        if (!queue_reply_score(r->element[1 + SEARCH_HIT_FIELDS * i + 1], &hits[i].score))
            return false;
    }
    *part = (struct shard_part){.hits = hits, .n_hits = n};
    if (r->element[0]->str[0]) {
        part->stopped = true;
        if (!queue_reply_score(r->element[0], &part->stop_score))
            return false;
    }
    return true;
}

/* The rows of the merged page, pointing into the shards' replies. */
static void search_rows(redisReply *const *by_shard, const struct shard_hit *page, int n,
                        struct queue_search_row *rows)
{
    for (int i = 0; i < n; i++) {
        const redisReply *r = by_shard[page[i].shard];
        const char **f[] = {&rows[i].claim_id,   NULL,
                            &rows[i].type,       &rows[i].member_id,
                            &rows[i].status,     &rows[i].received_date,
                            &rows[i].target_date};
        const redisReply *const *e =
            (const redisReply *const *)&r->element[1 + SEARCH_HIT_FIELDS * page[i].index];
        queue_reply_strings(e, SEARCH_HIT_FIELDS, f);
    }
}

/* shard_fanout_done_fn of the walk: merges the shards' pages (shards not
 * walked have nothing) and answers the caller; frees the search. */
static void on_search_walk(redisReply *const *replies, int n_requests, void *arg)
{
    struct search_wait *w = arg;
    int n_shards = queue_shard_count(), limit = w->limit_n;
    redisReply **by_shard = calloc((size_t)n_shards, sizeof *by_shard);
    struct shard_part *parts = calloc((size_t)n_shards, sizeof *parts);
    struct shard_hit *hits = calloc((size_t)n_requests * (size_t)limit, sizeof *hits);
    struct shard_hit *page = calloc((size_t)limit, sizeof *page);
    struct queue_search_row *rows = calloc((size_t)limit, sizeof *rows);
    bool ok = by_shard && parts && hits && page && rows;
    for (int i = 0; ok && i < n_requests; i++) {
        int s = w->shard_of_request[i];
        by_shard[s] = replies[i];
        ok = search_part(replies[i], s, limit, hits + (size_t)i * (size_t)limit, &parts[s]);
    }
    struct shard_cursor next;
    bool more = false;
    int n = ok ? queue_shard_merge(parts, n_shards, limit, page, &next, &more) : 0;
    char text[32] = "";
    if (ok) {
        search_rows(by_shard, page, n, rows);
        if (more)
            queue_shard_cursor_format(&next, n_shards, text, sizeof text);
        w->cb(QUEUE_OK, rows, (size_t)n, more ? text : NULL, w->arg);
    } else {
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, NULL, w->arg);
    }
    free(by_shard);
    free(parts);
    free(hits);
    free(page);
    free(rows);
    free(w);
}

/* The indexes shard s walks when the search is not a family's: a
 * provider's own, the open-status indexes when only open claims can match
 * (an overdue claim is open), or every claim, filtered. */
static int search_indexes(const struct search_wait *w, const char *sp, char keys[][KEY_LEN])
{
    if (w->npi[0]) {
        snprintf(keys[0], KEY_LEN, KEYF_IDX_PROVIDER, sp, w->npi);
        return 1;
    }
    if (w->status[0] && is_open_status(w->status)) {
        snprintf(keys[0], KEY_LEN, KEYF_IDX_STATUS, sp, w->status);
        return 1;
    }
    if (w->overdue[0] && !w->status[0]) {
        static const char *const open[] = {"received", "processing", "pended", "in_review"};
        for (int i = 0; i < 4; i++)
            snprintf(keys[i], KEY_LEN, KEYF_IDX_STATUS, sp, open[i]);
        return 4;
    }
    snprintf(keys[0], KEY_LEN, KEYF_IDX_ALL, sp);
    return 1;
}

/* Sends shard s's part of the walk (request i of the fan-out): its
 * indexes, or the given family indexes. Returns queue_script_eval_async's. */
static int search_send(struct search_wait *w, struct shard_fanout *f, int i, int s,
                       const char *const *families, int n_families)
{
    char keys[4][KEY_LEN], lo[40], claim_prefix[KEY_LEN];
    char sp_copy[SHARD_PREFIX_LEN];
    snprintf(sp_copy, sizeof sp_copy, "%s", SHARD_PREFIX(w->prefix, s));
    int n_keys = n_families;
    for (int k = 0; k < n_families; k++)
        snprintf(keys[k], KEY_LEN, KEYF_IDX_FAMILY, sp_copy, families[k]);
    if (!n_families)
        n_keys = search_indexes(w, sp_copy, keys);
    if (w->past_end)
        snprintf(lo, sizeof lo, "(+inf");
    else if (!w->cursor.start)
        queue_shard_cursor_lower_bound(&w->cursor, s, lo, sizeof lo);
    else
        snprintf(lo, sizeof lo, "%s", w->from);
    snprintf(claim_prefix, sizeof claim_prefix, KEYF_CLAIM, sp_copy, "");
    const char *key_ptrs[4] = {keys[0], keys[1], keys[2], keys[3]};
    const char *args[] = {lo,      w->hi,      w->limit,      w->status,
                          w->type, w->member,  w->own_member, w->own_member,
                          w->npi,  w->overdue, claim_prefix};
    w->shard_of_request[i] = s;
    return queue_script_eval_async(w->rc, queue_script_ready(&script_search_shard),
                                   queue_shard_fanout_reply, queue_shard_fanout_arg(f, i), n_keys,
                                   key_ptrs, (int)(sizeof args / sizeof *args), args, NULL);
}

/* The walk's requests: one per shard, or one per family shard. */
struct walk_plan {
    struct search_wait *w;
    const char *const *families;
    int n_families;
    int shards[2]; /* with families: request i's shard */
};

/* shard_fanout_send_fn of the walk: request i, every index of shard i, or
 * the families of the plan's shard i. */
static int walk_send(struct shard_fanout *f, int i, void *ctx)
{
    const struct walk_plan *p = ctx;
    if (!p->n_families)
        return search_send(p->w, f, i, i, NULL, 0);
    /* The families of this request's shard. */
    const char *mine[2];
    int n_mine = 0;
    for (int k = 0; k < p->n_families; k++)
        if (queue_shard_of_family(p->families[k]) == p->shards[i])
            mine[n_mine++] = p->families[k];
    return search_send(p->w, f, i, p->shards[i], mine, n_mine);
}

/* Sends the walk: the family indexes (n_families of them, each on its
 * family's shard, one request per shard) or, with none, every shard's
 * indexes. Returns 0 (the caller is answered once), or -1 when nothing was
 * sent (w is not freed then). */
static int search_walk(struct search_wait *w, const char *const *families, int n_families)
{
    struct walk_plan p = {w, families, n_families, {0, 0}};
    int n_req = queue_shard_count();
    if (n_families) {
        n_req = 0;
        for (int k = 0; k < n_families; k++) {
            int s = queue_shard_of_family(families[k]);
            if (n_req == 0 || p.shards[0] != s)
                p.shards[n_req++] = s;
        }
    }
    w->n_requests = n_req;
    return queue_shard_fanout_each(n_req, walk_send, &p, on_search_walk, w);
}

/* shard_fanout_done_fn of a member search's first step: the member's
 * reference (its subscriber) and whether an index under the member's own id
 * exists decide the family indexes to walk (docs/operations.md "Reading
 * claims back"); without either, the walk of every shard, filtered. */
static void on_search_family(redisReply *const *replies, int n, void *arg)
{
    struct search_wait *w = arg;
    const redisReply *ref = replies[0], *own = n > 1 ? replies[1] : NULL;
    if (!ref || ref->type != REDIS_REPLY_ARRAY || ref->elements != 1 || !own ||
        own->type != REDIS_REPLY_INTEGER) {
        if (ref && ref->type == REDIS_REPLY_ERROR)
            log_error("search: member reference read failed: %s", ref->str);
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, NULL, w->arg);
        free(w);
        return;
    }
    const redisReply *sub = ref->element[0];
    const char *families[2];
    int n_families = 0;
    char sub_id[128] = "";
    if (sub->type == REDIS_REPLY_STRING && sub->str[0]) {
        snprintf(sub_id, sizeof sub_id, "%s", sub->str);
        families[n_families++] = sub_id;
        if (strcmp(sub_id, w->family_of) != 0)
            families[n_families++] = w->family_of;
    } else if (own->integer == 1) {
        families[n_families++] = w->family_of;
    }
    if (search_walk(w, families, n_families) != 0) {
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, NULL, w->arg);
        free(w);
    }
}

/* A member search's first step: the member's reference and the existence of
 * the index under the member's own id (on that id's family shard), in one
 * round trip. Returns 0 or -1 (nothing sent; w not freed). */
static int search_family_lookup(struct search_wait *w)
{
    struct shard_fanout *f = queue_shard_fanout_new(2, on_search_family, w);
    if (!f)
        return -1;
    char k_mref[KEY_LEN], k_own[KEY_LEN];
    queue_member_ref_key(k_mref, w->prefix, w->family_of);
    snprintf(k_own, sizeof k_own, KEYF_IDX_FAMILY, FAMILY_PREFIX(w->prefix, w->family_of),
             w->family_of);
    if (queue_rconn_command(w->rc, queue_shard_fanout_reply, queue_shard_fanout_arg(f, 0),
                            "HMGET %s subscriber_id", k_mref) != 0)
        queue_shard_fanout_not_sent(f, 0);
    if (queue_rconn_command(w->rc, queue_shard_fanout_reply, queue_shard_fanout_arg(f, 1),
                            "EXISTS %s", k_own) != 0)
        queue_shard_fanout_not_sent(f, 1);
    return queue_shard_fanout_sent(f);
}

/* The query copied into a new search; NULL when out of memory. */
static struct search_wait *search_wait_new(struct rconn *rc, const char *prefix,
                                           const struct queue_search_query *q, queue_search_cb cb,
                                           void *arg)
{
    struct search_wait *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->cb = cb;
    w->arg = arg;
    w->rc = rc;
    snprintf(w->prefix, sizeof w->prefix, "%s", prefix);
    /* A provider's search is never a family's. */
    snprintf(w->family_of, sizeof w->family_of, "%s", q->npi[0] ? "" : q->family_of);
    snprintf(w->member, sizeof w->member, "%s", q->member_id);
    snprintf(w->own_member, sizeof w->own_member, "%s", q->own_member);
    snprintf(w->npi, sizeof w->npi, "%s", q->npi);
    snprintf(w->status, sizeof w->status, "%s", q->status);
    snprintf(w->type, sizeof w->type, "%s", q->type);
    long long shift = 1LL << INDEX_SEQ_BITS;
    if (q->has_from)
        snprintf(w->from, sizeof w->from, "%lld", (long long)q->from.days * shift);
    else
        snprintf(w->from, sizeof w->from, "-inf");
    if (q->has_to)
        snprintf(w->hi, sizeof w->hi, "%lld", ((long long)q->to.days + 1) * shift - 1);
    else
        snprintf(w->hi, sizeof w->hi, "+inf");
    w->limit_n = q->limit > 0 ? q->limit : 1;
    snprintf(w->limit, sizeof w->limit, "%d", w->limit_n);
    if (q->overdue)
        snprintf(w->overdue, sizeof w->overdue, "%d", (int)q->today.days);
    /* A cursor too big for any score of this layout can only be past the
     * end (the API checked that it is at most 20 digits). */
    w->past_end = queue_shard_cursor_parse(q->cursor, queue_shard_count(), &w->cursor) != 0;
    return w;
}

int queue_search(struct rconn *rc, const char *prefix, const struct queue_search_query *q,
                 queue_search_cb cb, void *arg)
{
    struct search_wait *w = search_wait_new(rc, prefix, q, cb, arg);
    if (!w)
        return -1;
    int sent = w->family_of[0] ? search_family_lookup(w) : search_walk(w, NULL, 0);
    if (sent != 0) {
        free(w);
        return -1;
    }
    return 0;
}
