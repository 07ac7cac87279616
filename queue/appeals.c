#include "appeals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/corrections.h"
#include "queue/keys.h"
#include "queue/reply.h"
#include "queue/scripts.h"
#include "queue/shard_gather.h"
#include "queue/shards.h"

static bool is_array(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY;
}

static bool is_status_text(const redisReply *r, const char *text)
{
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
           strcmp(r->str, text) == 0;
}

/* The hash fields in the order of struct queue_appeal_row; the first
 * APPEAL_SUMMARY_FIELDS are what a list row carries. */
#define APPEAL_FIELD_NAMES                                                                         \
    "'appeal_id', 'claim_id', 'member_id', 'subscriber_id', 'by_npi', 'status', 'filed_at', "      \
    "'filed_on', 'due_date', 'eob_version', 'eob_date', 'deadline', 'filed_by', 'filed_by_role', " \
    "'outcome', 'decided_at', 'decided_by', 'statement', 'attachments', 'lines', 'note'"
#define APPEAL_FIELDS 21
#define APPEAL_SUMMARY_FIELDS 17

/* Fills row from n replies in the order of APPEAL_FIELD_NAMES. */
static void row_from(const redisReply *const *e, size_t n, struct queue_appeal_row *row)
{
    const char **f[APPEAL_FIELDS] = {
        &row->appeal_id,  &row->claim_id,   &row->member_id, &row->subscriber_id, &row->by_npi,
        &row->status,     &row->filed_at,   &row->filed_on,  &row->due_date,      &row->eob_version,
        &row->eob_date,   &row->deadline,   &row->filed_by,  &row->filed_by_role, &row->outcome,
        &row->decided_at, &row->decided_by, &row->statement, &row->attachments,   &row->lines,
        &row->note};
    memset(row, 0, sizeof *row);
    queue_reply_strings(e, n < APPEAL_FIELDS ? n : APPEAL_FIELDS, f);
}

/* ---- filing ---- */

/*
 * An appeal filed against a final claim (queue_file_appeal).
 * KEYS: 1 claim hash, 2 appeal hash, 3 {c}appeals, 4 {c}appeals:open,
 *       5 {c}appeals:seq, 6 audit stream, 7 the claim's audit list,
 *       8 events stream
 * ARGV: 1 appeal id, 2 claim id, 3 EOB version, 4 due day, 5 filed_at,
 *       6 filed_on, 7 due_date, 8 statement, 9 attachments JSON, 10 audit
 *       JSON, 11 filed_by, 12 filed_by_role, 13 eob_date, 14 deadline
 * Returns "ok", "gone", "changed" or "already_appealed".
 */
static struct script script_file_appeal = {
    "file_appeal",
    "local c = redis.call('HMGET', KEYS[1], 'status', 'eob_version', 'appeal_eob_version',\n"
    "                     'member_id', 'subscriber_id', 'by_npi')\n"
    "if not c[1] then return 'gone' end\n"
    "if (c[1] ~= 'approved' and c[1] ~= 'denied') or c[2] ~= ARGV[3] then return 'changed' end\n"
    "if c[3] == ARGV[3] then return 'already_appealed' end\n"
    "local seq = redis.call('INCR', KEYS[5]) % 2097152\n"
    "local score = tonumber(ARGV[4]) * 2097152 + seq\n"
    "redis.call('HSET', KEYS[2], 'appeal_id', ARGV[1], 'claim_id', ARGV[2],\n"
    "  'member_id', c[4] or '', 'subscriber_id', c[5] or '', 'by_npi', c[6] or '',\n"
    "  'status', 'open', 'filed_at', ARGV[5],\n"
    "  'filed_on', ARGV[6], 'due_date', ARGV[7], 'eob_version', ARGV[3], 'eob_date', ARGV[13],\n"
    "  'deadline', ARGV[14], 'filed_by', ARGV[11], 'filed_by_role', ARGV[12],\n"
    "  'statement', ARGV[8], 'attachments', ARGV[9])\n"
    "redis.call('ZADD', KEYS[3], score, ARGV[1])\n"
    "redis.call('ZADD', KEYS[4], score, ARGV[1])\n"
    "redis.call('HSET', KEYS[1], 'appeal_id', ARGV[1], 'appeal_eob_version', ARGV[3])\n"
    "local aid = redis.call('XADD', KEYS[6], '*', 'claim_id', ARGV[2], 'record', ARGV[10])\n"
    "redis.call('RPUSH', KEYS[7], aid)\n"
    "redis.call('XADD', KEYS[8], 'MAXLEN', '~', 100000, '*', 'event', 'appeal.filed',\n"
    "           'claim_id', ARGV[2], 'status', 'open', 'appeal_id', ARGV[1])\n"
    "return 'ok'\n",
    "",
};

struct filed_wait {
    queue_appeal_filed_cb cb;
    void *arg;
};

static void on_filed(redisReply *reply, void *arg)
{
    struct filed_wait w = *(struct filed_wait *)arg;
    free(arg);
    if (is_status_text(reply, "ok"))
        w.cb(QUEUE_OK, NULL, w.arg);
    else if (is_status_text(reply, "gone"))
        w.cb(QUEUE_NOT_FOUND, NULL, w.arg);
    else if (is_status_text(reply, "changed"))
        w.cb(QUEUE_CONFLICT, "changed", w.arg);
    else if (is_status_text(reply, "already_appealed"))
        w.cb(QUEUE_CONFLICT, "already_appealed", w.arg);
    else {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("appeal filing failed: %s", reply->str);
        w.cb(QUEUE_UNAVAILABLE, NULL, w.arg);
    }
}

int queue_file_appeal(struct rconn *rc, const char *prefix, const struct queue_appeal_filing *f,
                      queue_appeal_filed_cb cb, void *arg)
{
    char k_claim[KEY_LEN], k_appeal[KEY_LEN], k_all[KEY_LEN], k_open[KEY_LEN], k_seq[KEY_LEN],
        k_audit[KEY_LEN], k_caudit[KEY_LEN], k_events[KEY_LEN], version[16], due[16];
    int shard = queue_shard_of_claim(f->claim_id);
    if (queue_shard_of_claim(f->appeal_id) != shard) {
        log_error("appeal id not drawn on its claim's shard appeal_id=%s claim_id=%s", f->appeal_id,
                  f->claim_id);
        return -1;
    }
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, shard);
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, sp.s, f->claim_id);
    snprintf(k_appeal, sizeof k_appeal, KEYF_APPEAL, sp.s, f->appeal_id);
    snprintf(k_all, sizeof k_all, KEYF_APPEALS, sp.s);
    snprintf(k_open, sizeof k_open, KEYF_APPEALS_OPEN, sp.s);
    snprintf(k_seq, sizeof k_seq, KEYF_APPEALS_SEQ, sp.s);
    snprintf(k_audit, sizeof k_audit, KEYF_AUDIT, sp.s);
    snprintf(k_caudit, sizeof k_caudit, KEYF_CLAIM_AUDIT, sp.s, f->claim_id);
    snprintf(k_events, sizeof k_events, KEYF_EVENTS, sp.s);
    snprintf(version, sizeof version, "%d", f->eob_version);
    snprintf(due, sizeof due, "%d", f->due_day);
    struct filed_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    const char *keys[] = {k_claim, k_appeal, k_all, k_open, k_seq, k_audit, k_caudit, k_events};
    const char *args[] = {f->appeal_id,   f->claim_id,   version,     due,
                          f->filed_at,    f->filed_on,   f->due_date, f->statement,
                          f->attachments, f->audit_json, f->filed_by, f->filed_by_role,
                          f->eob_date,    f->deadline};
    if (queue_script_eval_async(rc, queue_script_ready(&script_file_appeal), on_filed, w, 8, keys,
                                14, args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- reading one ---- */

/* KEYS: 1 appeal hash. Returns the fields of APPEAL_FIELD_NAMES, or an empty
 * array when there is no such appeal. */
static struct script script_get_appeal = {
    "get_appeal",
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {} end\n"
    "return redis.call('HMGET', KEYS[1], " APPEAL_FIELD_NAMES ")\n",
    "",
};

struct get_wait {
    queue_appeal_cb cb;
    void *arg;
};

static void on_get(redisReply *reply, void *arg)
{
    struct get_wait w = *(struct get_wait *)arg;
    free(arg);
    if (!is_array(reply) || (reply->elements != 0 && reply->elements != APPEAL_FIELDS)) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("appeal read failed: %s", reply->str);
        w.cb(QUEUE_UNAVAILABLE, NULL, w.arg);
        return;
    }
    if (reply->elements == 0) {
        w.cb(QUEUE_NOT_FOUND, NULL, w.arg);
        return;
    }
    struct queue_appeal_row row;
    row_from((const redisReply *const *)reply->element, reply->elements, &row);
    w.cb(QUEUE_OK, &row, w.arg);
}

int queue_get_appeal(struct rconn *rc, const char *prefix, const char *appeal_id,
                     queue_appeal_cb cb, void *arg)
{
    char k_appeal[KEY_LEN];
    /* Drawn on its claim's shard: found from the id alone. */
    snprintf(k_appeal, sizeof k_appeal, KEYF_APPEAL, CLAIM_PREFIX(prefix, appeal_id), appeal_id);
    struct get_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    const char *keys[] = {k_appeal};
    if (queue_script_eval_async(rc, queue_script_ready(&script_get_appeal), on_get, w, 1, keys, 0,
                                NULL, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- the staff list ---- */

/*
 * Appeals in due order after the cursor on one shard, filtered by status,
 * looking at no more than 10,000 entries.
 * KEYS: 1 the set walked ({c}appeals, or {c}appeals:open for open and
 *       overdue lists)
 * ARGV: 1 lower bound ("-inf", "(score" or "score": queue/shard_merge.h),
 *       2 upper bound ("+inf", or "(score" of today's first score for
 *       overdue), 3 limit, 4 status ("" any), 5 appeal key prefix
 * Returns {the last score looked at when more follow, else "", then per
 * appeal: its score and APPEAL_SUMMARY_FIELDS fields}.
 */
static struct script script_list_appeals = {
    "list_appeals",
    "local limit, want, ap = tonumber(ARGV[3]), ARGV[4], ARGV[5]\n"
    "local out, found, last = {''}, 0, nil\n"
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES',\n"
    "                       'LIMIT', 0, 10000)\n"
    "for j = 1, #ids, 2 do\n"
    "  if found >= limit then break end\n"
    "  local id, score = ids[j], ids[j + 1]\n"
    "  last = score\n"
    "  local f = redis.call('HMGET', ap .. id, " APPEAL_FIELD_NAMES ")\n"
    "  if f[1] and (want == '' or f[6] == want) then\n"
    "    out[#out + 1] = score\n"
    "    for k = 1, 17 do out[#out + 1] = f[k] or false end\n"
    "    found = found + 1\n"
    "  end\n"
    "end\n"
    "if last and redis.call('ZCOUNT', KEYS[1], '(' .. last, ARGV[2]) > 0 then out[1] = last end\n"
    "return out\n",
    "",
};

struct list_wait {
    queue_appeals_cb cb;
    void *arg;
};

/* The merged page's rows to the caller (queue/shard_gather.h). */
static void on_list(const struct shard_page *page, void *arg)
{
    struct list_wait w = *(struct list_wait *)arg;
    free(arg);
    size_t n = page ? (size_t)page->n : 0;
    struct queue_appeal_row *rows = page ? calloc(n + 1, sizeof *rows) : NULL;
    if (!rows) {
        w.cb(QUEUE_UNAVAILABLE, NULL, 0, NULL, w.arg);
        return;
    }
    for (size_t i = 0; i < n; i++)
        row_from(page->rows[i], APPEAL_SUMMARY_FIELDS, &rows[i]);
    w.cb(QUEUE_OK, rows, n, queue_shard_page_cursor(page), w.arg);
    free(rows);
}

/* What every shard's list request is built from. */
struct list_query {
    struct rconn *rc;
    const char *prefix;
    const struct queue_appeal_query *q;
    const char *hi;
};

/* shard_list_send_fn: shard s's part of the staff list. */
static int list_send(struct shard_fanout *f, int s, const char *lo, const char *lim, void *ctx)
{
    const struct list_query *lq = ctx;
    const struct queue_appeal_query *q = lq->q;
    bool open_set = q->overdue || strcmp(q->status, "open") == 0;
    struct queue_shard_prefix sp = queue_shard_prefix(lq->prefix, s);
    char k_set[KEY_LEN], ap[KEY_LEN];
    snprintf(k_set, sizeof k_set, open_set ? KEYF_APPEALS_OPEN : KEYF_APPEALS, sp.s);
    snprintf(ap, sizeof ap, KEYF_APPEAL, sp.s, "");
    const char *keys[] = {k_set};
    const char *args[] = {lo, lq->hi, lim, q->overdue ? "open" : q->status, ap};
    return queue_shard_fanout_script(f, s, lq->rc, queue_script_ready(&script_list_appeals), 1,
                                     keys, 5, args);
}

int queue_list_appeals(struct rconn *rc, const char *prefix, const struct queue_appeal_query *q,
                       queue_appeals_cb cb, void *arg)
{
    char hi[64];
    /* Overdue: due before today, i.e. every score below today's first. */
    if (q->overdue)
        snprintf(hi, sizeof hi, "(%lld", (long long)q->today_day << INDEX_SEQ_BITS);
    else
        snprintf(hi, sizeof hi, "+inf");
    struct list_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    *w = (struct list_wait){cb, arg};
    struct list_query lq = {rc, prefix, q, hi};
    struct shard_list l = {q->cursor, q->limit, 1 + APPEAL_SUMMARY_FIELDS, "appeals list"};
    if (queue_shard_list_read(&l, list_send, &lq, on_list, w) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- the decision ---- */

/*
 * The decision on an open appeal (queue_decide_appeal).
 * KEYS: 1 appeal, 2 open set, 3 audit stream, 4 claim audit list, 5 events,
 *       6 claim, 7 work stream
 * ARGV: 1 appeal id, 2 outcome, 3 lines JSON, 4 note, 5 decided_at,
 *       6 decided_by, 7 audit JSON, 8 decided_on, 9 claim id, 10 the review
 *       JSON an overturn stores with the claim ("" for upheld), 11 family
 *       version key prefix
 * Returns "ok", "gone", "decided" or "claim_changed" (an overturn of a claim
 * no longer approved or denied: nothing stored).
 */
static struct script script_decide_appeal = {
    "decide_appeal",
    QUEUE_LUA_REDECIDE
    "local st = redis.call('HGET', KEYS[1], 'status')\n"
    "if not st then return 'gone' end\n"
    "if st ~= 'open' then return 'decided' end\n"
    "if ARGV[10] ~= '' then\n"
    "  local cs = redis.call('HGET', KEYS[6], 'status')\n"
    "  if cs ~= 'approved' and cs ~= 'denied' then return 'claim_changed' end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'status', 'decided', 'outcome', ARGV[2], 'lines', ARGV[3],\n"
    "           'note', ARGV[4], 'decided_at', ARGV[5], 'decided_by', ARGV[6],\n"
    "           'decided_on', ARGV[8])\n"
    "redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "local aid = redis.call('XADD', KEYS[3], '*', 'claim_id', ARGV[9], 'record', ARGV[7])\n"
    "redis.call('RPUSH', KEYS[4], aid)\n"
    "redis.call('XADD', KEYS[5], 'MAXLEN', '~', 100000, '*', 'event', 'appeal.decided',\n"
    "           'claim_id', ARGV[9], 'status', ARGV[2], 'appeal_id', ARGV[1])\n"
    "if ARGV[10] ~= '' then\n"
    "  redis.call('HSET', KEYS[6], 'review', ARGV[10])\n"
    "  redecide(KEYS[6], KEYS[7], ARGV[11], ARGV[9], 'appeal')\n"
    "end\n"
    "return 'ok'\n",
    "",
};

static enum queue_status classify_decided(const redisReply *reply)
{
    if (is_status_text(reply, "ok"))
        return QUEUE_OK;
    if (is_status_text(reply, "gone"))
        return QUEUE_NOT_FOUND;
    if (is_status_text(reply, "decided"))
        return QUEUE_CONFLICT;
    if (is_status_text(reply, "claim_changed"))
        return QUEUE_CHANGED;
    if (reply && reply->type == REDIS_REPLY_ERROR)
        log_error("appeal decision failed: %s", reply->str);
    return QUEUE_UNAVAILABLE;
}

struct decide_wait {
    queue_status_cb cb;
    void *arg;
};

static void on_decided(redisReply *reply, void *arg)
{
    struct decide_wait w = *(struct decide_wait *)arg;
    free(arg);
    w.cb(classify_decided(reply), w.arg);
}

int queue_decide_appeal(struct rconn *rc, const char *prefix, const struct queue_appeal_decision *d,
                        queue_status_cb cb, void *arg)
{
    char k_appeal[KEY_LEN], k_open[KEY_LEN], k_audit[KEY_LEN], k_caudit[KEY_LEN], k_events[KEY_LEN],
        k_claim[KEY_LEN], k_stream[KEY_LEN], ver[KEY_LEN];
    int shard = queue_shard_of_claim(d->claim_id);
    if (queue_shard_of_claim(d->appeal_id) != shard) {
        log_error("appeal not on its claim's shard appeal_id=%s claim_id=%s", d->appeal_id,
                  d->claim_id);
        return -1;
    }
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, shard);
    snprintf(k_appeal, sizeof k_appeal, KEYF_APPEAL, sp.s, d->appeal_id);
    snprintf(k_open, sizeof k_open, KEYF_APPEALS_OPEN, sp.s);
    snprintf(k_audit, sizeof k_audit, KEYF_AUDIT, sp.s);
    snprintf(k_caudit, sizeof k_caudit, KEYF_CLAIM_AUDIT, sp.s, d->claim_id);
    snprintf(k_events, sizeof k_events, KEYF_EVENTS, sp.s);
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, sp.s, d->claim_id);
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, sp.s);
    snprintf(ver, sizeof ver, KEYF_FAMILY_VERSION, sp.s, "");
    struct decide_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    const char *keys[] = {k_appeal, k_open, k_audit, k_caudit, k_events, k_claim, k_stream};
    const char *args[] = {d->appeal_id,
                          d->outcome,
                          d->lines,
                          d->note,
                          d->decided_at,
                          d->decided_by,
                          d->audit_json,
                          d->decided_on,
                          d->claim_id,
                          d->review ? d->review : "",
                          ver};
    if (queue_script_eval_async(rc, queue_script_ready(&script_decide_appeal), on_decided, w, 7,
                                keys, 11, args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- counts ---- */

/* KEYS: 1 {c}appeals:open. ARGV: 1 "(" and today's first score.
 * Returns {open, overdue}. */
static struct script script_appeal_counts = {
    "appeal_counts",
    "return {redis.call('ZCARD', KEYS[1]), redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1])}\n",
    "",
};

struct counts_wait {
    queue_appeal_counts_cb cb;
    void *arg;
};

/* Every shard's counts, summed. */
static void on_counts(redisReply *const *replies, int n_shards, void *arg)
{
    struct counts_wait w = *(struct counts_wait *)arg;
    free(arg);
    long long open = 0, overdue = 0;
    for (int s = 0; s < n_shards; s++) {
        const redisReply *r = replies[s];
        if (!is_array(r) || r->elements != 2 || r->element[0]->type != REDIS_REPLY_INTEGER ||
            r->element[1]->type != REDIS_REPLY_INTEGER) {
            w.cb(QUEUE_UNAVAILABLE, 0, 0, w.arg);
            return;
        }
        open += r->element[0]->integer;
        overdue += r->element[1]->integer;
    }
    w.cb(QUEUE_OK, open, overdue, w.arg);
}

/* What every shard's counts request is built from. */
struct counts_query {
    struct rconn *rc;
    const char *prefix;
    const char *hi;
};

/* shard_fanout_send_fn: shard s's counts. */
static int counts_send(struct shard_fanout *f, int s, void *ctx)
{
    const struct counts_query *cq = ctx;
    char k_open[KEY_LEN];
    snprintf(k_open, sizeof k_open, KEYF_APPEALS_OPEN, SHARD_PREFIX(cq->prefix, s));
    const char *keys[] = {k_open};
    const char *args[] = {cq->hi};
    return queue_shard_fanout_script(f, s, cq->rc, queue_script_ready(&script_appeal_counts), 1,
                                     keys, 1, args);
}

int queue_appeal_counts(struct rconn *rc, const char *prefix, int today_day,
                        queue_appeal_counts_cb cb, void *arg)
{
    char hi[64];
    snprintf(hi, sizeof hi, "(%lld", (long long)today_day << INDEX_SEQ_BITS);
    struct counts_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    struct counts_query cq = {rc, prefix, hi};
    if (queue_shard_fanout_each(queue_shard_count(), counts_send, &cq, on_counts, w) != 0) {
        free(w);
        return -1;
    }
    return 0;
}
