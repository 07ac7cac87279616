#include "claims_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "log.h"
#include "packed.h"
#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/reply.h"
#include "queue/scripts.h"

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

/* The scripts of this file get their SHA-1 on first use: they run only on
 * the event loop's thread. */
static const struct script *ready(struct script *s)
{
    if (!s->sha[0])
        script_init(s);
    return s;
}

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
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, SP0(prefix), claim_id);
    snprintf(k_body, sizeof k_body, KEYF_BODY, SP0(prefix), claim_id);
    snprintf(k_dec, sizeof k_dec, KEYF_DEC, SP0(prefix), claim_id);
    const char *keys[] = {k_claim, k_body, k_dec};
    if (script_eval_async(rc, ready(&script_claim_read), on_claim_read, cr, 3, keys, 0, NULL,
                          NULL) != 0) {
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
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, SP0(prefix), claim_id);
    /* The EOB key of version 0, less its "0": the script appends the version. */
    int n = snprintf(k_eob, sizeof k_eob, KEYF_EOB, SP0(prefix), claim_id, 0);
    if (n > 0 && (size_t)n < sizeof k_eob)
        k_eob[n - 1] = '\0';
    snprintf(v, sizeof v, "%d", version > 0 ? version : 0);
    const char *keys[] = {k_claim, k_eob};
    const char *args[] = {v};
    if (script_eval_async(rc, ready(&script_eob_read), on_eob_read, cr, 2, keys, 1, args, NULL) !=
        0) {
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
    snprintf(key, sizeof key, KEYF_CLAIM, SP0(prefix), claim_id);
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
    snprintf(k_list, sizeof k_list, KEYF_CLAIM_AUDIT, SP0(prefix), claim_id);
    snprintf(k_stream, sizeof k_stream, KEYF_AUDIT, SP0(prefix));
    const char *keys[] = {k_list, k_stream};
    if (script_eval_async(rc, ready(&script_audit_read), on_audit_read, w, 2, keys, 0, NULL,
                          NULL) != 0) {
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
    if (!reply || reply->type != REDIS_REPLY_STRING) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("information supply failed: %s", reply->str);
        return QUEUE_UNAVAILABLE;
    }
    if (strcmp(reply->str, "ok") == 0)
        return QUEUE_OK;
    return reply->str[0] ? QUEUE_CONFLICT : QUEUE_NOT_FOUND;
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
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, SP0(prefix), claim_id);
    snprintf(k_pended, sizeof k_pended, KEYF_PENDED, SP0(prefix));
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, SP0(prefix));
    snprintf(k_pidx, sizeof k_pidx, KEYF_IDX_STATUS, SP0(prefix), "pended");
    snprintf(k_ridx, sizeof k_ridx, KEYF_IDX_STATUS, SP0(prefix), "received");
    snprintf(k_audit, sizeof k_audit, KEYF_AUDIT, SP0(prefix));
    snprintf(k_caudit, sizeof k_caudit, KEYF_CLAIM_AUDIT, SP0(prefix), claim_id);
    snprintf(k_body, sizeof k_body, KEYF_BODY, SP0(prefix), claim_id);
    snprintf(k_dec, sizeof k_dec, KEYF_DEC, SP0(prefix), claim_id);
    snprintf(hist, sizeof hist, "received@%lld", now_secs);
    const char *keys[] = {k_claim, k_pended, k_stream, k_pidx, k_ridx,
                          k_audit, k_caudit, k_body,   k_dec};
    const char *args[] = {merged_json, hist, audit_json, claim_id, dec ? dec : ""};
    const size_t lens[] = {strlen(merged_json), strlen(hist), strlen(audit_json), strlen(claim_id),
                           dec_len};
    int rc_send =
        script_eval_async(rc, &script_supply, queue_on_status_reply, w, 9, keys, 5, args, lens);
    free(dec);
    if (rc_send != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- search ---- */

struct search_wait {
    queue_search_cb cb;
    void *arg;
};

static void on_search(redisReply *reply, void *arg)
{
    struct search_wait *w = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("search script failed: %s", reply->str);
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, NULL, w->arg);
        free(w);
        return;
    }
    size_t n = (reply->elements - 1) / 6;
    struct queue_search_row *rows = calloc(n + 1, sizeof *rows);
    if (!rows) {
        w->cb(QUEUE_UNAVAILABLE, NULL, 0, NULL, w->arg);
        free(w);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char **f[] = {&rows[i].claim_id, &rows[i].type,          &rows[i].member_id,
                            &rows[i].status,   &rows[i].received_date, &rows[i].target_date};
        for (size_t j = 0; j < 6; j++) {
            const redisReply *e = reply->element[1 + 6 * i + j];
            *f[j] = e->type == REDIS_REPLY_STRING ? e->str : NULL;
        }
    }
    const redisReply *next = reply->element[0];
    w->cb(QUEUE_OK, rows, n, next->type == REDIS_REPLY_STRING && next->str[0] ? next->str : NULL,
          w->arg);
    free(rows);
    free(w);
}

static bool is_open_status(const char *s)
{
    return strcmp(s, "received") == 0 || strcmp(s, "processing") == 0 || strcmp(s, "pended") == 0 ||
           strcmp(s, "in_review") == 0;
}

int queue_search(struct rconn *rc, const char *prefix, const struct queue_search_query *q,
                 queue_search_cb cb, void *arg)
{
    /* The indexes to walk (docs/operations.md "Reading claims back"): a provider's own;
     * a member's family, resolved in the script from the member reference;
     * else (and for a member whose family cannot be resolved) the open-status
     * indexes when only open claims can match (an overdue claim is open), or
     * every claim, filtered. */
    char k_mref[KEY_LEN], walk[4][KEY_LEN];
    int n_walk = 0;
    if (q->npi[0]) {
        snprintf(walk[n_walk++], KEY_LEN, KEYF_IDX_PROVIDER, SP0(prefix), q->npi);
    } else if (q->status[0] && is_open_status(q->status)) {
        snprintf(walk[n_walk++], KEY_LEN, KEYF_IDX_STATUS, SP0(prefix), q->status);
    } else if (q->overdue && !q->status[0]) {
        static const char *const open[] = {"received", "processing", "pended", "in_review"};
        for (int i = 0; i < 4; i++)
            snprintf(walk[n_walk++], KEY_LEN, KEYF_IDX_STATUS, SP0(prefix), open[i]);
    } else {
        snprintf(walk[n_walk++], KEY_LEN, KEYF_IDX_ALL, SP0(prefix));
    }
    if (q->family_of[0] && !q->npi[0])
        snprintf(k_mref, sizeof k_mref, KEYF_MREF, SP0(prefix), q->family_of);
    else
        snprintf(k_mref, sizeof k_mref, "%s", walk[0]);

    char lo[160], hi[40], limit[16], overdue[16] = "", claim_prefix[KEY_LEN],
                                     family_prefix[KEY_LEN];
    long long shift = 1LL << INDEX_SEQ_BITS;
    if (q->cursor[0])
        snprintf(lo, sizeof lo, "(%s", q->cursor);
    else if (q->has_from)
        snprintf(lo, sizeof lo, "%lld", (long long)q->from.days * shift);
    else
        snprintf(lo, sizeof lo, "-inf");
    if (q->has_to)
        snprintf(hi, sizeof hi, "%lld", ((long long)q->to.days + 1) * shift - 1);
    else
        snprintf(hi, sizeof hi, "+inf");
    snprintf(limit, sizeof limit, "%d", q->limit);
    if (q->overdue)
        snprintf(overdue, sizeof overdue, "%d", (int)q->today.days);
    snprintf(claim_prefix, sizeof claim_prefix, KEYF_CLAIM, SP0(prefix), "");
    snprintf(family_prefix, sizeof family_prefix, KEYF_IDX_FAMILY, SP0(prefix), "");

    struct search_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    const char *keys[5] = {k_mref};
    for (int i = 0; i < n_walk; i++)
        keys[1 + i] = walk[i];
    const char *args[] = {lo,           hi,           limit,         q->status,
                          q->type,      q->member_id, q->own_member, q->own_member,
                          q->npi,       overdue,      claim_prefix,  q->npi[0] ? "" : q->family_of,
                          family_prefix};
    if (script_eval_async(rc, &script_search, on_search, w, 1 + n_walk, keys,
                          (int)(sizeof args / sizeof *args), args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}
