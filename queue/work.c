#include "work.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "date.h"
#include "log.h"
#include "packed.h"
#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/reply.h"
#include "queue/scripts.h"
#include "queue/shard_fanout.h"

#define WORK_BLOCK_MS 1000 /* the read's own wait allowed for by the connection's timeout */

struct work_conn {
    struct rlink *c;
    char prefix[64];
    char consumer[128];
    int n_shards;
    int next_shard; /* where the next sweep of the shards starts */
    /* Per shard: read this consumer's own pending entries before new ones. */
    bool read_own[SHARDS_MAX];
    int timeout_ms; /* for a connect and each command */
};

/* On a cluster each shard's stream is read on its own; an idle worker
 * blocks on one shard at a time for at most this long before it looks at
 * every shard again (what a claim on another shard may wait). */
#define WORK_SHARD_BLOCK_MS 20

/* Shard `shard`'s work stream. */
static void stream_key(const struct work_conn *wc, int shard, char out[KEY_LEN])
{
    snprintf(out, KEY_LEN, KEYF_STREAM, SHARD_PREFIX(wc->prefix, shard));
}

static struct script *const worker_scripts[] = {&script_claim_start, &script_commit,
                                                &script_dead_letter};

/* The size of a reply as Redis sent it (RESP2): what loading facts costs. */
/* Digits of n in decimal (resp_bytes runs for every reply: no snprintf). */
static uint64_t decimal_digits(uint64_t n)
{
    uint64_t d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

static uint64_t resp_bytes(const redisReply *r)
{
    switch (r->type) {
    case REDIS_REPLY_STRING: return 1 + decimal_digits(r->len) + 2 + r->len + 2;
    case REDIS_REPLY_ARRAY: {
        uint64_t total = 1 + decimal_digits(r->elements) + 2;
        for (size_t i = 0; i < r->elements; i++)
            total += resp_bytes(r->element[i]);
        return total;
    }
    case REDIS_REPLY_INTEGER:
        return 1 + (uint64_t)(r->integer < 0) +
               decimal_digits(r->integer < 0 ? (uint64_t)0 - (uint64_t)r->integer
                                             : (uint64_t)r->integer) +
               2;
    case REDIS_REPLY_NIL: return 5; /* $-1\r\n */
    default: /* status, error */ return 1 + r->len + 2;
    }
}

/* Reads the next pipelined reply. Returns it (the caller frees it) or NULL
 * when the connection failed. */
static redisReply *next_reply(struct work_conn *wc)
{
    redisReply *r = NULL;
    if (queue_rlink_get_reply(wc->c, &r) != REDIS_OK)
        return NULL;
    return r;
}

/* Creates the consumer group (and the stream) of a shard unless it exists. */
static bool ensure_group(struct work_conn *wc, int shard)
{
    char k_stream[KEY_LEN];
    stream_key(wc, shard, k_stream);
    redisReply *r =
        queue_rlink_command(wc->c, "XGROUP CREATE %s %s 0 MKSTREAM", k_stream, WORK_GROUP);
    bool ok = r && (r->type == REDIS_REPLY_STATUS ||
                    (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) == 0));
    if (r)
        freeReplyObject(r);
    return ok;
}

/* The consumer group of every shard's stream. */
static bool ensure_groups(struct work_conn *wc)
{
    for (int i = 0; i < wc->n_shards; i++)
        if (!ensure_group(wc, i))
            return false;
    return true;
}

/* Loads the worker's scripts so that pipelined EVALSHA calls find them. */
static bool load_scripts(struct work_conn *wc)
{
    for (size_t i = 0; i < sizeof worker_scripts / sizeof *worker_scripts; i++) {
        /* On every master of a cluster (a promoted replica has none). */
        if (queue_rlink_script_load(wc->c, worker_scripts[i]->body) != 0)
            return false;
    }
    return true;
}

/* The socket timeout of every command from now on. */
static void set_timeout(struct work_conn *wc, int ms)
{
    queue_rlink_set_timeout(wc->c, ms);
}

struct work_conn *queue_work_connect(const struct redis_address *addr, int timeout_ms,
                                     const char *key_prefix, const char *consumer)
{
    struct work_conn *wc = calloc(1, sizeof *wc);
    if (!wc)
        return NULL;
    wc->c = queue_rlink_connect(addr, timeout_ms);
    if (!wc->c) {
        free(wc);
        return NULL;
    }
    /* A blocking read waits up to WORK_BLOCK_MS; allow for that on top (a
     * longer read sets a longer timeout for itself). */
    wc->timeout_ms = timeout_ms;
    set_timeout(wc, timeout_ms + WORK_BLOCK_MS);
    snprintf(wc->prefix, sizeof wc->prefix, "%s", key_prefix);
    snprintf(wc->consumer, sizeof wc->consumer, "%s", consumer);
    wc->n_shards = queue_shard_count();
    for (int i = 0; i < wc->n_shards; i++)
        wc->read_own[i] = true;
    if (!ensure_groups(wc) || !load_scripts(wc)) {
        queue_work_close(wc);
        return NULL;
    }
    return wc;
}

void queue_work_close(struct work_conn *wc)
{
    if (!wc)
        return;
    queue_rlink_close(wc->c);
    free(wc);
}

struct rlink *queue_work_link(struct work_conn *wc)
{
    return wc->c;
}

const char *queue_work_prefix(const struct work_conn *wc)
{
    return wc->prefix;
}

bool queue_work_broken(const struct work_conn *wc)
{
    return !wc || queue_rlink_broken(wc->c);
}

/* ---- entries ---- */

/* Copies src into dst[size], truncating. */
static void copy_field(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

/* A stream entry's fields (claim, member, subscriber, group, plan, years,
 * expired, redecide) into *e; the subscriber defaults to the member. */
static void parse_item(const redisReply *fields, struct work_item *e)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const char *k = fields->element[i]->str, *v = fields->element[i + 1]->str;
        if (!k || !v)
            continue;
        if (strcmp(k, "claim") == 0)
            copy_field(e->claim_id, sizeof e->claim_id, v);
        /* m, s, g, p, y: the names earlier versions wrote, still read. */
        else if (strcmp(k, "member") == 0 || strcmp(k, "m") == 0)
            copy_field(e->member_id, sizeof e->member_id, v);
        else if (strcmp(k, "subscriber") == 0 || strcmp(k, "s") == 0)
            copy_field(e->subscriber_id, sizeof e->subscriber_id, v);
        else if (strcmp(k, "group") == 0 || strcmp(k, "g") == 0)
            copy_field(e->group_id, sizeof e->group_id, v);
        else if (strcmp(k, "plan") == 0 || strcmp(k, "p") == 0)
            copy_field(e->plan_id, sizeof e->plan_id, v);
        else if (strcmp(k, "expired") == 0)
            e->expired = strcmp(v, "1") == 0;
        else if (strcmp(k, "redecide") == 0)
            e->redecide = strcmp(v, "1") == 0;
        else if (strcmp(k, "years") == 0 || strcmp(k, "y") == 0)
            for (const char *p = v; *p && e->n_years < WORK_MAX_YEARS;) {
                e->years[e->n_years++] = atoi(p);
                p = strchr(p, ',');
                if (!p)
                    break;
                p++;
            }
    }
    if (!e->subscriber_id[0])
        copy_field(e->subscriber_id, sizeof e->subscriber_id, e->member_id);
}

/* Entries of an XREADGROUP / XAUTOCLAIM list into items; an entry deleted
 * meanwhile, or one without a claim id, is acknowledged and skipped. */
static int parse_entries(struct work_conn *wc, int shard, const redisReply *list,
                         struct work_item *items, int max)
{
    int n = 0;
    for (size_t i = 0; list && list->type == REDIS_REPLY_ARRAY && i < list->elements && n < max;
         i++) {
        const redisReply *it = list->element[i];
        if (it->type != REDIS_REPLY_ARRAY || it->elements != 2 ||
            it->element[0]->type != REDIS_REPLY_STRING)
            continue;
        struct work_item *e = &items[n];
        memset(e, 0, sizeof *e);
        e->shard = shard;
        copy_field(e->entry_id, sizeof e->entry_id, it->element[0]->str);
        if (it->element[1]->type == REDIS_REPLY_ARRAY)
            parse_item(it->element[1], e);
        if (!e->claim_id[0]) {
            queue_ack(wc, e);
            continue;
        }
        n++;
    }
    return n;
}

/* The entries list of a one-stream XREADGROUP reply, or NULL. */
static const redisReply *stream_entries(const redisReply *r)
{
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2)
        return r->element[0]->element[1];
    return NULL;
}

/* Entries Redis delivered to this consumer on a shard while its connection
 * broke: nobody else reads them until they have been idle for
 * claim_idle_timeout_ms, so they are taken first. Returns the number read
 * into items, or -1 when the connection broke. */
static int read_own(struct work_conn *wc, int shard, struct work_item *items, int max)
{
    char k_stream[KEY_LEN];
    stream_key(wc, shard, k_stream);
    redisReply *r = queue_rlink_command(wc->c, "XREADGROUP GROUP %s %s COUNT %d STREAMS %s 0",
                                        WORK_GROUP, wc->consumer, max, k_stream);
    if (!r)
        return -1;
    const redisReply *list = stream_entries(r);
    int n = list ? parse_entries(wc, shard, list, items, max) : 0;
    if (!list || list->elements == 0)
        wc->read_own[shard] = false;
    freeReplyObject(r);
    return n;
}

/* New entries of one shard, waiting up to block_ms (0: not at all). */
static int read_new(struct work_conn *wc, int shard, struct work_item *items, int max, int block_ms)
{
    char k_stream[KEY_LEN];
    stream_key(wc, shard, k_stream);
    if (block_ms > WORK_BLOCK_MS)
        set_timeout(wc, wc->timeout_ms + block_ms);
    redisReply *r =
        block_ms > 0
            ? queue_rlink_command(wc->c, "XREADGROUP GROUP %s %s COUNT %d BLOCK %d STREAMS %s >",
                                  WORK_GROUP, wc->consumer, max, block_ms, k_stream)
            : queue_rlink_command(wc->c, "XREADGROUP GROUP %s %s COUNT %d STREAMS %s >", WORK_GROUP,
                                  wc->consumer, max, k_stream);
    if (block_ms > WORK_BLOCK_MS && r)
        set_timeout(wc, wc->timeout_ms + WORK_BLOCK_MS);
    if (!r)
        return -1;
    int n = 0;
    const redisReply *list = stream_entries(r);
    if (list)
        n = parse_entries(wc, shard, list, items, max);
    else if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOGROUP", 7) == 0 &&
             !ensure_group(wc, shard))
        n = -1;
    freeReplyObject(r);
    return n;
}

/* New entries of every shard at once, waiting up to block_ms: one Redis
 * (not a cluster, where a command's keys must share a slot) can block on
 * all the streams in one command. It answers up to max entries of each
 * stream that has some: entries beyond the first max stay delivered to
 * this consumer and are read first next time (read_own). */
static int read_new_any(struct work_conn *wc, struct work_item *items, int max, int block_ms)
{
    int n_shards = wc->n_shards;
    const char **argv = malloc(sizeof *argv * (size_t)(9 + 2 * n_shards));
    char(*keys)[KEY_LEN] = malloc(sizeof *keys * (size_t)n_shards);
    char count[16], block[16];
    if (!argv || !keys) {
        free(argv);
        free(keys);
        return 0; /* nothing read: the next call tries again */
    }
    snprintf(count, sizeof count, "%d", max);
    snprintf(block, sizeof block, "%d", block_ms);
    int argc = 0;
    const char *head[] = {"XREADGROUP", "GROUP", WORK_GROUP, wc->consumer, "COUNT",
                          count,        "BLOCK", block,      "STREAMS"};
    for (size_t i = 0; i < sizeof head / sizeof *head; i++)
        argv[argc++] = head[i];
    for (int i = 0; i < n_shards; i++) {
        stream_key(wc, i, keys[i]);
        argv[argc++] = keys[i];
    }
    for (int i = 0; i < n_shards; i++)
        argv[argc++] = ">";
    if (block_ms > WORK_BLOCK_MS)
        set_timeout(wc, wc->timeout_ms + block_ms);
    redisReply *r = queue_rlink_command_argv(wc->c, argc, argv, NULL);
    if (block_ms > WORK_BLOCK_MS && r)
        set_timeout(wc, wc->timeout_ms + WORK_BLOCK_MS);
    free(argv);
    int n = r ? 0 : -1;
    for (size_t s = 0; r && r->type == REDIS_REPLY_ARRAY && s < r->elements; s++) {
        const redisReply *st = r->element[s];
        if (st->type != REDIS_REPLY_ARRAY || st->elements != 2 ||
            st->element[0]->type != REDIS_REPLY_STRING)
            continue;
        for (int shard = 0; shard < n_shards; shard++) {
            if (strcmp(keys[shard], st->element[0]->str) != 0)
                continue;
            if (n < max)
                n += parse_entries(wc, shard, st->element[1], items + n, max - n);
            else
                wc->read_own[shard] = true;
            if (st->element[1]->type == REDIS_REPLY_ARRAY && n >= max)
                wc->read_own[shard] = true; /* some may not have fitted */
            break;
        }
    }
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOGROUP", 7) == 0 &&
        !ensure_groups(wc))
        n = -1;
    if (r)
        freeReplyObject(r);
    free(keys);
    return n;
}

int queue_next_batch(struct work_conn *wc, struct work_item *items, int max, int block_ms)
{
    /* A batch comes from one shard. The sweep starts after the shard the
     * last batch came from, so that a busy shard does not starve the rest. */
    int n_shards = wc->n_shards;
    for (int k = 0; k < n_shards; k++) {
        int shard = (wc->next_shard + k) % n_shards;
        if (!wc->read_own[shard])
            continue;
        int n = read_own(wc, shard, items, max);
        if (n != 0) {
            wc->next_shard = (shard + 1) % n_shards;
            return n;
        }
    }
    if (n_shards == 1)
        return read_new(wc, 0, items, max, block_ms);
    for (int k = 0; k < n_shards; k++) {
        int shard = (wc->next_shard + k) % n_shards;
        int n = read_new(wc, shard, items, max, 0);
        if (n != 0) {
            wc->next_shard = (shard + 1) % n_shards;
            return n;
        }
    }
    if (!queue_rlink_is_cluster(wc->c))
        return read_new_any(wc, items, max, block_ms);
    /* On a cluster, every shard empty: wait on one, a different one each time. */
    int shard = wc->next_shard;
    wc->next_shard = (shard + 1) % n_shards;
    return read_new(wc, shard, items, max,
                    block_ms < WORK_SHARD_BLOCK_MS ? block_ms : WORK_SHARD_BLOCK_MS);
}

void queue_ack(struct work_conn *wc, const struct work_item *e)
{
    char k_stream[KEY_LEN];
    stream_key(wc, e->shard, k_stream);
    queue_rlink_append(wc->c, "XACK %s %s %s", k_stream, WORK_GROUP, e->entry_id);
    queue_rlink_append(wc->c, "XDEL %s %s", k_stream, e->entry_id);
    for (int i = 0; i < 2; i++) {
        redisReply *r = next_reply(wc);
        if (!r)
            return;
        freeReplyObject(r);
    }
}

/* ---- facts ---- */

/* A copy of a string reply (the caller frees it), or NULL for nil. Sets
 * *no_memory when the copy could not be made. */
static char *string_of(const redisReply *r, bool *no_memory)
{
    char *copy = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
    *no_memory |= r->type == REDIS_REPLY_STRING && !copy;
    return copy;
}

/* Element i of an HMGET reply as an integer (0 where nil). */
static int64_t integer_at(const redisReply *r, size_t i)
{
    return r->type == REDIS_REPLY_ARRAY && i < r->elements &&
                   r->element[i]->type == REDIS_REPLY_STRING
               ? atoll(r->element[i]->str)
               : 0;
}

/* claim_start's answer: {the claim's small fields, its submission}. A
 * claim stored before the submission had a key of its own still has it as
 * the hash field `submitted`. */
static void take_claim(const redisReply *r, struct work_facts *f, bool *no_memory)
{
    if (r->type == REDIS_REPLY_ERROR) {
        f->state = strncmp(r->str, "NOSCRIPT", 8) == 0 ? WORK_RETRY : WORK_ERROR;
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        f->state = WORK_ERROR;
        return;
    }
    if (r->elements == 0) {
        f->state = WORK_GONE;
        return;
    }
    if (r->elements != 2 || r->element[0]->type != REDIS_REPLY_ARRAY) {
        f->state = WORK_ERROR;
        return;
    }
    const redisReply *h = r->element[0];
    const char *v;
    copy_field(f->status, sizeof f->status, (v = queue_reply_field(h, "status")) ? v : "");
    f->eob_version = (v = queue_reply_field(h, "eob_version")) ? atoi(v) : 0;
    copy_field(f->received, sizeof f->received, (v = queue_reply_field(h, "received")) ? v : "");
    copy_field(f->target, sizeof f->target, (v = queue_reply_field(h, "target")) ? v : "");
    if (r->element[1]->type == REDIS_REPLY_STRING)
        f->submission = string_of(r->element[1], no_memory);
    else if ((v = queue_reply_field(h, "submitted")) && !(f->submission = strdup(v)))
        *no_memory = true;
    if ((v = queue_reply_field(h, "review")) && !(f->review = strdup(v)))
        *no_memory = true;
    /* A voided or replaced claim is as final as a decided one: nothing to decide. */
    f->state = strcmp(f->status, "approved") == 0 || strcmp(f->status, "denied") == 0 ||
                       strcmp(f->status, "voided") == 0 || strcmp(f->status, "replaced") == 0
                   ? WORK_FINAL
                   : WORK_LOADED;
}

/* One year's HMGET of the accumulator fields queue_load_facts asks for. */
static void read_accumulators(const redisReply *r, int year, struct work_accumulators *a)
{
    memset(a, 0, sizeof *a);
    a->year = year;
    /* The HMGET order of queue_load_facts. */
    for (int t = 0; t < 2; t++) {
        a->family_deductible[t] = integer_at(r, (size_t)t * 2);
        a->family_oop[t] = integer_at(r, (size_t)t * 2 + 1);
        a->member_deductible[t] = integer_at(r, 4 + (size_t)t * 2);
        a->member_oop[t] = integer_at(r, 4 + (size_t)t * 2 + 1);
    }
}

/* Appends one HMGET per plan year of the family's and the member's
 * accumulator fields (the order read_accumulators reads). */
static void append_accumulator_reads(struct work_conn *wc, const struct work_item *e)
{
    struct queue_shard_prefix sp = queue_shard_prefix(wc->prefix, e->shard);
    for (int y = 0; y < e->n_years; y++) {
        char k_acc[KEY_LEN], m[8][ID_LEN + 16];
        snprintf(k_acc, sizeof k_acc, KEYF_ACC, sp.s, e->subscriber_id, e->years[y]);
        static const char *const tiers[2] = {"in", "out"};
        for (int t = 0; t < 2; t++) {
            snprintf(m[t * 2], sizeof m[0], "f:%s:ded", tiers[t]);
            snprintf(m[t * 2 + 1], sizeof m[0], "f:%s:oop", tiers[t]);
            snprintf(m[4 + t * 2], sizeof m[0], "m:%s:%s:ded", e->member_id, tiers[t]);
            snprintf(m[4 + t * 2 + 1], sizeof m[0], "m:%s:%s:oop", e->member_id, tiers[t]);
        }
        const char *hm[10] = {"HMGET", k_acc, m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]};
        queue_rlink_append_argv(wc->c, 10, hm, NULL);
    }
}

/* Appends one claim's reads: the claim_start script, the member,
 * subscriber, group, plan, parent, accumulators and the family version. */
static void append_fact_reads(struct work_conn *wc, const struct work_item *e, const char *now)
{
    const char *p = wc->prefix;
    struct queue_shard_prefix sp = queue_shard_prefix(p, e->shard);
    char k_claim[KEY_LEN], k_body[KEY_LEN], k_proc[KEY_LEN], idx_prefix[KEY_LEN];
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, sp.s, e->claim_id);
    snprintf(k_body, sizeof k_body, KEYF_BODY, sp.s, e->claim_id);
    snprintf(k_proc, sizeof k_proc, KEYF_IDX_STATUS, sp.s, "processing");
    snprintf(idx_prefix, sizeof idx_prefix, KEYF_IDX_STATUS, sp.s, "");
    const char *argv[] = {"EVALSHA", script_claim_start.sha, "3", k_claim, k_proc, k_body, now,
                          idx_prefix};
    queue_rlink_append_argv(wc->c, 8, argv, NULL);
    /* Member records are on the family's shard, the claim's (queue/members.h). */
    queue_rlink_append(wc->c, "GET " KEYF_MEMBER, sp.s, e->member_id);
    queue_rlink_append(wc->c, "GET " KEYF_MEMBER, sp.s, e->subscriber_id);
    queue_rlink_append(wc->c, "GET " KEYF_GROUP, p, e->group_id);
    queue_rlink_append(wc->c, "GET " KEYF_PLAN, p, e->plan_id);
    if (e->parent_id[0])
        queue_rlink_append(wc->c, "GET " KEYF_MEMBER, sp.s, e->parent_id);
    append_accumulator_reads(wc, e);
    queue_rlink_append(wc->c, "GET " KEYF_FAMILY_VERSION, sp.s, e->subscriber_id);
}

/* Reads one claim's replies into f (after *broken, only counts them);
 * sets *broken when the connection broke. */
static void read_fact_replies(struct work_conn *wc, const struct work_item *e, struct work_facts *f,
                              bool *broken, uint64_t *bytes_read)
{
    int has_parent = e->parent_id[0] ? 1 : 0;
    int replies = 6 + has_parent + e->n_years;
    bool no_memory = false;
    for (int k = 0; k < replies; k++) {
        redisReply *r = *broken ? NULL : next_reply(wc);
        if (!r) {
            *broken = true;
            continue;
        }
        *bytes_read += resp_bytes(r);
        if (k == 0)
            take_claim(r, f, &no_memory);
        else if (k == 1)
            f->patient = string_of(r, &no_memory);
        else if (k == 2)
            f->subscriber = string_of(r, &no_memory);
        else if (k == 3)
            f->group = string_of(r, &no_memory);
        else if (k == 4)
            f->plan = string_of(r, &no_memory);
        else if (k == 5 && has_parent)
            f->parent = string_of(r, &no_memory);
        else if (k < 5 + has_parent + e->n_years)
            read_accumulators(r, e->years[k - 5 - has_parent], &f->acc[f->n_acc++]);
        else
            copy_field(f->version, sizeof f->version, r->type == REDIS_REPLY_STRING ? r->str : "0");
        freeReplyObject(r);
    }
    if (no_memory && f->state == WORK_LOADED) {
        /* Not decided on what could be copied: a missing member record
         * would read as "not our member". */
        log_error("worker: out of memory loading the facts; claim left for redelivery "
                  "claim_id=%s",
                  e->claim_id);
        f->state = WORK_ERROR;
    }
}

int queue_load_facts(struct work_conn *wc, const struct work_item *items, int n,
                     struct work_facts *out, uint64_t *bytes_read)
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)clock_wall_seconds());
    for (int i = 0; i < n; i++)
        append_fact_reads(wc, &items[i], now);
    memset(out, 0, sizeof *out * (size_t)n);
    bool broken = false, reload = false;
    for (int i = 0; i < n; i++) {
        read_fact_replies(wc, &items[i], &out[i], &broken, bytes_read);
        reload |= out[i].state == WORK_RETRY;
    }
    if (broken) {
        for (int i = 0; i < n; i++)
            queue_work_facts_free(&out[i]);
        return -1;
    }
    if (reload && !load_scripts(wc))
        log_warn("worker: cannot load the worker's scripts");
    return 0;
}

void queue_work_facts_free(struct work_facts *f)
{
    free(f->submission);
    free(f->review);
    f->review = NULL;
    free(f->patient);
    free(f->subscriber);
    free(f->parent);
    free(f->group);
    free(f->plan);
    f->submission = f->patient = f->subscriber = f->parent = f->group = f->plan = NULL;
}

int queue_lookup_fingerprints(struct work_conn *wc, struct work_fp_lookup *lookups, int n,
                              uint64_t *bytes_read)
{
    const char *argv[2 + WORK_MAX_FPS];
    for (int i = 0; i < n; i++) {
        struct work_fp_lookup *l = &lookups[i];
        for (int j = 0; j < l->n; j++)
            l->holders[j][0] = '\0';
        if (l->n == 0)
            continue;
        char key[KEY_LEN];
        snprintf(key, sizeof key, KEYF_FP, SHARD_PREFIX(wc->prefix, l->shard), l->member_id);
        argv[0] = "HMGET";
        argv[1] = key;
        for (int j = 0; j < l->n && j < WORK_MAX_FPS; j++)
            argv[2 + j] = l->fps[j];
        queue_rlink_append_argv(wc->c, 2 + (l->n < WORK_MAX_FPS ? l->n : WORK_MAX_FPS), argv, NULL);
    }
    for (int i = 0; i < n; i++) {
        struct work_fp_lookup *l = &lookups[i];
        if (l->n == 0)
            continue;
        redisReply *r = next_reply(wc);
        if (!r)
            return -1;
        *bytes_read += resp_bytes(r);
        for (size_t j = 0; r->type == REDIS_REPLY_ARRAY && j < r->elements && j < (size_t)l->n; j++)
            if (r->element[j]->type == REDIS_REPLY_STRING)
                copy_field(l->holders[j], CLAIM_ID_LEN, r->element[j]->str);
        freeReplyObject(r);
    }
    return 0;
}

/* ---- commit ---- */

void queue_version_after(const char *from, const char *claim_id, char out[WORK_VERSION_LEN])
{
    snprintf(out, WORK_VERSION_LEN, "%lld:%s", atoll(from) + 1, claim_id);
}

/* The arguments of one commit call (scripts.c, script_commit), owning their text. */
struct commit_call {
    const char *argv[64 + 2 * WORK_MAX_FPS + WORK_MAX_YEARS * 2 * 9];
    size_t argvlen[64 + 2 * WORK_MAX_FPS + WORK_MAX_YEARS * 2 * 9];
    int argc;
    char keys[17 + WORK_MAX_YEARS * 2][KEY_LEN];
    char text[WORK_MAX_YEARS * 2 * 9 + 8][ID_LEN + 32];
    int n_text;
    char history[48];
    char now[32];
    char payment[ID_LEN + 48], due_at[24];
    char *dec, *eob, *body; /* packed; owned */
    size_t dec_len, eob_len, body_len;
};

/* Packs {"decision": …, "pending": …} (pending only when pended). */
static int pack_decision(const struct work_commit *c, char **out, size_t *out_len)
{
    size_t dl = strlen(c->decision), pl = c->pending ? strlen(c->pending) : 0;
    char *text = malloc(dl + pl + 32);
    if (!text)
        return -1;
    int n = c->pending ? sprintf(text, "{\"decision\":%s,\"pending\":%s}", c->decision, c->pending)
                       : sprintf(text, "{\"decision\":%s}", c->decision);
    int rc = packed_pack(text, (size_t)n, out, out_len);
    free(text);
    return rc;
}

/* v as text kept in cc for the call's lifetime. */
static const char *call_int(struct commit_call *cc, long long v)
{
    char *t = cc->text[cc->n_text++];
    snprintf(t, sizeof cc->text[0], "%lld", v);
    return t;
}

/* "f:<tier>:<what>" or, with a member id, "m:<member>:<tier>:<what>". */
static const char *call_acc_field(struct commit_call *cc, const char *member, const char *tier,
                                  const char *what)
{
    char *t = cc->text[cc->n_text++];
    if (member)
        snprintf(t, sizeof cc->text[0], "m:%s:%s:%s", member, tier, what);
    else
        snprintf(t, sizeof cc->text[0], "f:%s:%s", tier, what);
    return t;
}

/* Checks the commit's texts and packs the decision, the EOB and (final)
 * the submission into cc; -1 when one is missing or out of memory (nothing
 * to free). */
static int pack_commit_texts(const struct work_commit *c, struct commit_call *cc)
{
    cc->dec = cc->eob = cc->body = NULL;
    cc->dec_len = cc->eob_len = cc->body_len = 0;
    /* Text a failed allocation left NULL is never measured (strlen). */
    if (!c->decision || !c->audit || !c->status || !c->expected_version || (c->final && !c->eob) ||
        (c->pending == NULL && strcmp(c->status, "pended") == 0))
        return -1;
    if (pack_decision(c, &cc->dec, &cc->dec_len) != 0)
        return -1;
    if ((c->eob && packed_pack(c->eob, strlen(c->eob), &cc->eob, &cc->eob_len) != 0) ||
        (c->final && c->submission &&
         packed_pack(c->submission, strlen(c->submission), &cc->body, &cc->body_len) != 0)) {
        free(cc->dec);
        free(cc->eob);
        cc->dec = cc->eob = NULL;
        return -1;
    }
    return 0;
}

/* The call's 17 + n_acc keys, in script_commit's KEYS order. */
static void commit_keys(struct work_conn *wc, const struct work_commit *c, struct commit_call *cc,
                        int n_acc)
{
    const struct work_item *e = c->item;
    struct queue_shard_prefix sp = queue_shard_prefix(wc->prefix, e->shard);
    const char *p = sp.s;
    snprintf(cc->keys[0], KEY_LEN, KEYF_CLAIM, p, e->claim_id);
    snprintf(cc->keys[1], KEY_LEN, KEYF_FAMILY_VERSION, p, e->subscriber_id);
    stream_key(wc, e->shard, cc->keys[2]);
    snprintf(cc->keys[3], KEY_LEN, KEYF_SLA, p);
    snprintf(cc->keys[4], KEY_LEN, KEYF_PENDED, p);
    snprintf(cc->keys[5], KEY_LEN, KEYF_IDX_STATUS, p, "processing");
    snprintf(cc->keys[6], KEY_LEN, KEYF_IDX_STATUS, p, c->in_review ? "in_review" : "pended");
    snprintf(cc->keys[7], KEY_LEN, KEYF_STATS, p);
    snprintf(cc->keys[8], KEY_LEN, KEYF_AUDIT, p);
    snprintf(cc->keys[9], KEY_LEN, KEYF_CLAIM_AUDIT, p, e->claim_id);
    snprintf(cc->keys[10], KEY_LEN, KEYF_EVENTS, p);
    snprintf(cc->keys[11], KEY_LEN, KEYF_FP, p, e->member_id);
    snprintf(cc->keys[12], KEY_LEN, KEYF_DEC, p, e->claim_id);
    snprintf(cc->keys[13], KEY_LEN, KEYF_EOB, p, e->claim_id, c->eob_version);
    for (int i = 0; i < n_acc; i++)
        snprintf(cc->keys[14 + i], KEY_LEN, KEYF_ACC, p, e->subscriber_id, c->deltas[i].year);
    snprintf(cc->keys[14 + n_acc], KEY_LEN, KEYF_BODY, p, e->claim_id);
    snprintf(cc->keys[15 + n_acc], KEY_LEN, c->provider_payee ? KEYF_REMIT_DUE : KEYF_MEMBERPAY_DUE,
             p);
    snprintf(cc->keys[16 + n_acc], KEY_LEN, KEYF_REMIT_INFO, p);
}

/* The payment line (final claims), the due time, now and the history entry. */
static void commit_stamps(const struct work_commit *c, struct commit_call *cc)
{
    const struct work_item *e = c->item;
    cc->payment[0] = '\0';
    if (c->final)
        snprintf(cc->payment, sizeof cc->payment, "%c|%s|%lld", c->provider_payee ? 'P' : 'M',
                 c->provider_payee ? (c->payee_npi ? c->payee_npi : "") : e->member_id,
                 (long long)c->plan_paid);
    snprintf(cc->due_at, sizeof cc->due_at, "%lld", (long long)clock_wall_ms());
    rfc3339_now(cc->now);
    snprintf(cc->history, sizeof cc->history, "%s@%lld", c->status,
             (long long)clock_wall_seconds());
}

/* Appends the accumulator increments: per delta, the family's and the
 * member's deductible and out-of-pocket fields; returns the new n. */
static int commit_acc_args(const struct work_commit *c, struct commit_call *cc, int n_acc, int n)
{
    const char **a = cc->argv;
    static const char *const tiers[2] = {"in", "out"};
    const char *member = c->item->member_id;
    for (int i = 0; i < n_acc; i++) {
        const struct work_acc_delta *d = &c->deltas[i];
        const char *t = tiers[d->network != 0];
        a[n++] = "4";
        a[n++] = call_acc_field(cc, NULL, t, "ded");
        a[n++] = call_int(cc, (long long)d->deductible);
        a[n++] = call_acc_field(cc, NULL, t, "oop");
        a[n++] = call_int(cc, (long long)d->oop);
        a[n++] = call_acc_field(cc, member, t, "ded");
        a[n++] = call_int(cc, (long long)d->deductible);
        a[n++] = call_acc_field(cc, member, t, "oop");
        a[n++] = call_int(cc, (long long)d->oop);
    }
    return n;
}

/* The call's argv in script_commit's order, with each argument's length
 * (the packed values are binary). */
static void commit_argv(const struct work_commit *c, struct commit_call *cc, int n_acc)
{
    const struct work_item *e = c->item;
    const char **a = cc->argv;
    int n = 0;
    a[n++] = "EVALSHA";
    a[n++] = script_commit.sha;
    a[n++] = call_int(cc, 17 + n_acc);
    for (int i = 0; i < 17 + n_acc; i++)
        a[n++] = cc->keys[i];
    a[n++] = c->expected_version;
    a[n++] = e->entry_id;
    a[n++] = WORK_GROUP;
    a[n++] = c->status;
    int dec_at = n;
    a[n++] = cc->dec;
    a[n++] = c->pending ? "1" : c->in_review ? "2" : "";
    a[n++] = cc->history;
    a[n++] = c->final ? cc->now : "";
    a[n++] = c->within_target ? "1" : "0";
    int eob_at = n;
    a[n++] = cc->eob ? cc->eob : "";
    a[n++] = call_int(cc, c->n_store);
    a[n++] = call_int(cc, c->final ? 0 : c->pend_deadline_day);
    a[n++] = c->audit;
    a[n++] = e->claim_id;
    a[n++] = call_int(cc, n_acc);
    n = commit_acc_args(c, cc, n_acc, n);
    for (int i = 0; i < c->n_store; i++)
        a[n++] = c->store[i];
    a[n++] = call_int(cc, c->n_drop);
    for (int i = 0; i < c->n_drop; i++)
        a[n++] = c->drop[i];
    int body_at = n;
    a[n++] = cc->body ? cc->body : "";
    a[n++] = cc->payment;
    a[n++] = cc->due_at;
    cc->argc = n;
    for (int i = 0; i < n; i++) /* packed values are binary: their lengths are known */
        cc->argvlen[i] = i == dec_at    ? cc->dec_len
                         : i == eob_at  ? (cc->eob ? cc->eob_len : 0)
                         : i == body_at ? (cc->body ? cc->body_len : 0)
                                        : strlen(a[i]);
}

/* Fills cc with the call; returns -1 when out of memory (nothing to free). */
static int build_commit(struct work_conn *wc, const struct work_commit *c, struct commit_call *cc)
{
    if (pack_commit_texts(c, cc) != 0)
        return -1;
    cc->argc = 0;
    cc->n_text = 0;
    int n_acc = c->n_deltas < WORK_MAX_YEARS * 2 ? c->n_deltas : WORK_MAX_YEARS * 2;
    commit_keys(wc, c, cc, n_acc);
    commit_stamps(c, cc);
    commit_argv(c, cc, n_acc);
    return 0;
}

int queue_commit(struct work_conn *wc, const struct work_commit *commits, int n,
                 enum work_commit_result *results)
{
    struct commit_call *cc = malloc(sizeof *cc);
    if (!cc) {
        log_error("worker: %d commits not sent (out of memory); left for redelivery", n);
        for (int i = 0; i < n; i++)
            results[i] = WORK_COMMIT_ERROR;
        return 0;
    }
    for (int i = WORK_MAX_BATCH; i < n; i++)
        results[i] = WORK_COMMIT_ERROR; /* more than a batch: not sent, left pending */
    if (n > WORK_MAX_BATCH)
        n = WORK_MAX_BATCH;
    bool sent[WORK_MAX_BATCH];
    queue_rlink_writes_begin(wc->c);
    for (int i = 0; i < n; i++) {
        sent[i] = build_commit(wc, &commits[i], cc) == 0;
        if (!sent[i]) {
            log_error("worker: commit not sent (out of memory); claim left for redelivery "
                      "claim_id=%s",
                      commits[i].item->claim_id);
            continue;
        }
        queue_rlink_append_argv(wc->c, cc->argc, cc->argv, cc->argvlen);
        free(cc->dec);
        free(cc->eob);
        free(cc->body);
    }
    free(cc);
    bool broken = false, reload = false;
    for (int i = 0; i < n; i++) {
        results[i] = WORK_COMMIT_ERROR;
        if (!sent[i])
            continue; /* out of memory: left pending */
        redisReply *r = broken ? NULL : next_reply(wc);
        if (!r) {
            broken = true;
            continue;
        }
        if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
            if (strcmp(r->str, "ok") == 0)
                results[i] = WORK_COMMIT_OK;
            else if (strcmp(r->str, "final") == 0)
                results[i] = WORK_COMMIT_FINAL;
            else if (strcmp(r->str, "stale") == 0)
                results[i] = WORK_COMMIT_STALE;
        } else if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
            results[i] = WORK_COMMIT_STALE; /* not applied: decide again once loaded */
            reload = true;
        } else if (r->type == REDIS_REPLY_ERROR) {
            log_error("worker: commit refused claim_id=%s: %s", commits[i].item->claim_id, r->str);
        }
        freeReplyObject(r);
    }
    int done = 0;
    for (int i = 0; i < n; i++)
        done += results[i] == WORK_COMMIT_OK;
    char what[32];
    snprintf(what, sizeof what, "%d commit%s", done, done == 1 ? "" : "s");
    if (done > 0 && !broken && queue_rlink_writes_wait(wc->c, what) < 0)
        broken = true; /* committed; the link is remade (replica_acks) */
    if (reload && !broken && !load_scripts(wc))
        log_warn("worker: cannot load the worker's scripts");
    return broken ? -1 : 0;
}

/* ---- stalled entries ---- */

/* Moves the entries of one shard delivered max_deliveries times or more
 * and idle for idle_ms to the dead-letter stream. Returns 0 or -1 (the
 * connection failed). */
static int dead_letter_shard(struct work_conn *wc, int shard, int idle_ms, int max_deliveries,
                             int max, char (*dead)[CLAIM_ID_LEN], int *n_dead)
{
    struct queue_shard_prefix sp = queue_shard_prefix(wc->prefix, shard);
    char k_stream[KEY_LEN];
    stream_key(wc, shard, k_stream);
    redisReply *p = queue_rlink_command(wc->c, "XPENDING %s %s IDLE %d - + %d", k_stream,
                                        WORK_GROUP, idle_ms, max);
    if (!p)
        return -1;
    for (size_t i = 0; p->type == REDIS_REPLY_ARRAY && i < p->elements; i++) {
        const redisReply *it = p->element[i];
        if (it->type != REDIS_REPLY_ARRAY || it->elements < 4)
            continue;
        long long deliveries = it->element[3]->integer;
        if (deliveries < max_deliveries)
            continue;
        const char *id = it->element[0]->str;
        redisReply *entry = queue_rlink_command(wc->c, "XRANGE %s %s %s", k_stream, id, id);
        struct work_item e;
        memset(&e, 0, sizeof e);
        if (entry && entry->type == REDIS_REPLY_ARRAY && entry->elements == 1)
            parse_item(entry->element[0]->element[1], &e);
        if (entry)
            freeReplyObject(entry);
        char k_dead[KEY_LEN], k_idx[KEY_LEN], at[32], nd[24];
        snprintf(k_dead, sizeof k_dead, KEYF_DEAD, sp.s);
        snprintf(k_idx, sizeof k_idx, KEYF_DEADIDX, sp.s);
        rfc3339_now(at);
        snprintf(nd, sizeof nd, "%lld", deliveries);
        const char *keys[] = {k_stream, k_dead, k_idx};
        const char *args[] = {
            id, WORK_GROUP, e.claim_id, "delivered too many times without a commit", nd, at};
        redisReply *r =
            queue_script_eval_blocking(wc->c, &script_dead_letter, 3, keys, 6, args, NULL);
        if (r && r->type == REDIS_REPLY_STRING && r->str[0] && *n_dead < max)
            copy_field(dead[(*n_dead)++], CLAIM_ID_LEN, e.claim_id);
        if (r)
            freeReplyObject(r);
    }
    freeReplyObject(p);
    return 0;
}

int queue_recover_stalled(struct work_conn *wc, int idle_ms, int max_deliveries,
                          struct work_item *items, int max, char (*dead)[CLAIM_ID_LEN], int *n_dead)
{
    *n_dead = 0;
    int n = 0;
    for (int shard = 0; shard < wc->n_shards && n < max; shard++) {
        if (dead_letter_shard(wc, shard, idle_ms, max_deliveries, max, dead, n_dead) != 0)
            return -1;
        char k_stream[KEY_LEN];
        stream_key(wc, shard, k_stream);
        redisReply *r = queue_rlink_command(wc->c, "XAUTOCLAIM %s %s %s %d 0-0 COUNT %d", k_stream,
                                            WORK_GROUP, wc->consumer, idle_ms, max - n);
        if (!r)
            return -1;
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2)
            n += parse_entries(wc, shard, r->element[1], items + n, max - n);
        freeReplyObject(r);
    }
    return n;
}

/* ---- pend deadlines, on the event loop ---- */

struct expire_call {
    work_expired_cb done;
    void *arg;
};

/* shard_fanout_done_fn: the shards' expire_pended answers, summed; -1 once
 * one failed. */
static void on_expired(redisReply *const *replies, int n_shards, void *arg)
{
    struct expire_call call = *(struct expire_call *)arg;
    free(arg);
    long long requeued = 0;
    for (int s = 0; s < n_shards && requeued >= 0; s++) {
        const redisReply *r = replies[s];
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer < 0)
            requeued = -1;
        else
            requeued += r->integer;
    }
    call.done(requeued, call.arg);
}

/* What every shard's expire_pended request is built from. */
struct expire_query {
    struct rconn *rc;
    const char *key_prefix;
    const char *today, *max;
};

/* shard_fanout_send_fn: shard s's expire_pended. */
static int expire_send(struct shard_fanout *f, int shard, void *ctx)
{
    const struct expire_query *q = ctx;
    struct queue_shard_prefix sp = queue_shard_prefix(q->key_prefix, shard);
    char k_pended[KEY_LEN], k_stream[KEY_LEN], claim_prefix[KEY_LEN];
    snprintf(k_pended, sizeof k_pended, KEYF_PENDED, sp.s);
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, sp.s);
    snprintf(claim_prefix, sizeof claim_prefix, KEYF_CLAIM, sp.s, "");
    const char *keys[] = {k_pended, k_stream};
    const char *args[] = {q->today, claim_prefix, q->max};
    return queue_script_eval_async(q->rc, &script_expire_pended, queue_shard_fanout_reply,
                                   queue_shard_fanout_arg(f, shard), 2, keys, 3, args, NULL);
}

int queue_expire_pended(struct rconn *rc, const char *key_prefix, int today_day, int max,
                        work_expired_cb done, void *arg)
{
    struct expire_call *call = malloc(sizeof *call);
    if (!call)
        return -1;
    *call = (struct expire_call){done, arg};
    char today[16], n[16];
    snprintf(today, sizeof today, "%d", today_day);
    snprintf(n, sizeof n, "%d", max);
    struct expire_query q = {rc, key_prefix, today, n};
    if (queue_shard_fanout_each(queue_shard_count(), expire_send, &q, on_expired, call) != 0) {
        free(call);
        return -1;
    }
    return 0;
}
