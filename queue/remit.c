#include "remit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/redis_conn.h"
#include "queue/scripts.h"

/*
 * A payment cycle over the shards (docs/x12.md "Remittance (835)",
 * docs/operations.md "Payment cycles"). The due claims are on their claims'
 * shards; the cycles on shard 0, the home shard. A close is a sequence of
 * atomic steps, each on one shard:
 *   1. (scheduled only) the due claims of every shard are counted;
 *   2. begin, on shard 0: the day's marker (scheduled), the cycle's number
 *      and its entry in the open cycles;
 *   3. move, on each shard in turn: every due claim of the shard leaves the
 *      due sets and goes into the shard's part of the cycle (remit:took);
 *   4. finish, on shard 0: the parts merged into the cycle's summary and
 *      claims, the cycle no longer open; then the parts are deleted.
 * A close stopped between steps (a crash, Redis gone) leaves the cycle open:
 * every close begins by finishing the open cycles, oldest first. A move is
 * done once per shard and cycle (a second one answers the stored part), and
 * a shard refuses to move claims into a cycle older than the last it moved
 * into unless its part is stored ("late": that cycle was finished by
 * another close): so a claim is in exactly one cycle.
 */

/* Step 1: KEYS: 1 provider due set, 2 member due set. Returns their sizes'
 * sum. */
static struct script script_remit_due = {
    "remit_due",
    "return redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])\n",
    "",
};

/* Step 2. KEYS: 1 cycle counter, 2 open cycles, 3 the date's scheduled marker
 * ARGV: 1 date (YYYY-MM-DD), 2 created_at, 3 "1" scheduled, 4 the date as
 *       YYYYMMDD (the cycle id's first part), 5 the due claims counted
 * Returns {the new cycle's id or "" (scheduled: already run, or nothing
 * due), the open cycles as HGETALL pairs, the new one included}. */
static struct script script_remit_begin = {
    "remit_begin",
    "local id = ''\n"
    "local make = true\n"
    "if ARGV[3] == '1' then\n"
    "  if not redis.call('SET', KEYS[3], ARGV[2], 'NX', 'EX', 259200) then make = false\n"
    "  elseif ARGV[5] == '0' then make = false end\n"
    "end\n"
    "if make then\n"
    "  local seq = redis.call('INCR', KEYS[1])\n"
    "  id = ARGV[4] .. '-' .. seq\n"
    "  redis.call('HSET', KEYS[2], id,\n"
    "             cjson.encode({seq = seq, date = ARGV[1], created_at = ARGV[2]}))\n"
    "end\n"
    "return {id, redis.call('HGETALL', KEYS[2])}\n",
    "",
};

/* Step 3, on one shard; every read comes before the first write, so an
 * error leaves the shard as it was.
 * KEYS: 1 provider due set, 2 member due set, 3 payments hash, 4 the
 *       cycle's part, 5 the last cycle moved into
 * ARGV: 1 the cycle's number
 * Returns the part, JSON {"p": [[claim id, npi, cents, score], ...],
 * "m": [[claim id, member id, cents, score], ...]} in due order, or ""
 * (late). */
static struct script script_remit_move = {
    "remit_move",
    "local part = redis.call('GET', KEYS[4])\n"
    "if part then return part end\n"
    "if tonumber(redis.call('GET', KEYS[5]) or '0') >= tonumber(ARGV[1]) then return '' end\n"
    "local prov = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')\n"
    "local mem = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')\n"
    "local p, m = {}, {}\n"
    "for i = 1, #prov, 2 do\n"
    "  local v = redis.call('HGET', KEYS[3], prov[i]) or ''\n"
    "  local npi, cents = string.match(v, '^P|([^|]*)|(%d+)$')\n"
    "  if npi then p[#p + 1] = {prov[i], npi, cents, prov[i + 1]} end\n"
    "end\n"
    "for i = 1, #mem, 2 do\n"
    "  local v = redis.call('HGET', KEYS[3], mem[i]) or ''\n"
    "  local who, cents = string.match(v, '^M|(.*)|(%d+)$')\n"
    "  if who then m[#m + 1] = {mem[i], who, cents, mem[i + 1]} end\n"
    "end\n"
    "for i = 1, #prov, 2 do redis.call('HDEL', KEYS[3], prov[i]) end\n"
    "for i = 1, #mem, 2 do redis.call('HDEL', KEYS[3], mem[i]) end\n"
    "redis.call('DEL', KEYS[1], KEYS[2])\n"
    "part = cjson.encode({p = p, m = m})\n"
    "redis.call('SET', KEYS[4], part)\n"
    "redis.call('SET', KEYS[5], ARGV[1])\n"
    "return part\n",
    "",
};

/* Step 4. KEYS: 1 summaries hash, 2 claims hash, 3 open cycles
 * ARGV: 1 cycle id, then each shard's part in shard order ("" when late)
 * Returns the summary JSON (the stored one when the cycle was finished
 * already); an error when a part is missing and the cycle is not finished.
 * Claims are listed in due order over the shards: (score, shard, order). */
static struct script script_remit_finish = {
    "remit_finish",
    "local done = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if done then redis.call('HDEL', KEYS[3], ARGV[1]); return done end\n"
    "local o = redis.call('HGET', KEYS[3], ARGV[1])\n"
    "if not o then return redis.error_reply('cycle ' .. ARGV[1] .. ' is not open') end\n"
    "o = cjson.decode(o)\n"
    "local prov, mem = {}, {}\n"
    "for s = 2, #ARGV do\n"
    "  if ARGV[s] == '' then\n"
    "    return redis.error_reply('cycle ' .. ARGV[1] .. ': a part is missing')\n"
    "  end\n"
    "  local part = cjson.decode(ARGV[s])\n"
    "  for _, e in ipairs(part.p or {}) do prov[#prov + 1] = {e = e, s = s, k = #prov} end\n"
    "  for _, e in ipairs(part.m or {}) do mem[#mem + 1] = {e = e, s = s, k = #mem} end\n"
    "end\n"
    "local function before(a, b)\n"
    "  local x, y = tonumber(a.e[4]), tonumber(b.e[4])\n"
    "  if x ~= y then return x < y end\n"
    "  if a.s ~= b.s then return a.s < b.s end\n"
    "  return a.k < b.k\n"
    "end\n"
    "table.sort(prov, before)\n"
    "table.sort(mem, before)\n"
    "local by, npis = {}, {}\n"
    "local total, n = 0, 0\n"
    "for _, x in ipairs(prov) do\n"
    "  local c, npi, cents = x.e[1], x.e[2], tonumber(x.e[3])\n"
    "  if not by[npi] then by[npi] = {ids = {}, total = 0}; npis[#npis + 1] = npi end\n"
    "  local p = by[npi]\n"
    "  p.ids[#p.ids + 1] = c\n"
    "  p.total = p.total + cents\n"
    "  total = total + cents\n"
    "  n = n + 1\n"
    "end\n"
    "table.sort(npis)\n"
    "local sp, cp = {}, {}\n"
    "for _, npi in ipairs(npis) do\n"
    "  local p = by[npi]\n"
    "  sp[#sp + 1] = {npi = npi, claims = #p.ids, total = p.total}\n"
    "  cp[#cp + 1] = {npi = npi, claims = p.ids}\n"
    "end\n"
    "local members, mt = {}, 0\n"
    "for _, x in ipairs(mem) do\n"
    "  local cents = tonumber(x.e[3])\n"
    "  members[#members + 1] = {claim_id = x.e[1], member_id = x.e[2], amount = cents}\n"
    "  mt = mt + cents\n"
    "end\n"
    "local summary = cjson.encode({cycle_id = ARGV[1], seq = o.seq, date = o.date,\n"
    "  created_at = o.created_at, claims = n, total = total, member_claims = #members,\n"
    "  member_total = mt, payees = sp})\n"
    "redis.call('HSET', KEYS[1], ARGV[1], summary)\n"
    "redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({payees = cp, members = members}))\n"
    "redis.call('HDEL', KEYS[3], ARGV[1])\n"
    "return summary\n",
    "",
};

static bool scripts_ready;

static void remit_scripts_init(void)
{
    if (scripts_ready)
        return;
    struct script *all[] = {&script_remit_due, &script_remit_begin, &script_remit_move,
                            &script_remit_finish};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        queue_script_init(all[i]);
    scripts_ready = true;
}

/* The home shard's key prefix: cycles, their numbers, the open cycles and
 * the day's marker are records of no claim (docs/operations.md "Redis
 * Cluster", rule 4). */
#define HOME(prefix) SHARD_PREFIX((prefix), 0)

#define CYCLE_ID_LEN 32

struct open_cycle {
    char id[CYCLE_ID_LEN];
    long long seq;
};

/* One close in progress: its steps run one after another, each from the
 * previous one's answer. */
struct intake_remit_run {
    struct rconn *rc;
    char *prefix, *created_at;
    char date[11], compact[9];
    bool scheduled;
    queue_remit_close_cb cb;
    void *arg;
    int n_shards, shard;       /* the step's shard */
    int waiting;               /* deletions of parts not yet answered */
    long long due;             /* step 1's count */
    char own[CYCLE_ID_LEN];    /* the cycle this close made, "" when none */
    struct open_cycle *cycles; /* the open cycles, oldest first */
    size_t n_cycles, cur;      /* the one being finished */
    char **parts;              /* n_shards: its parts so far */
    char *summary;             /* the own cycle's, once finished */
};

static void remit_run_free(struct intake_remit_run *r)
{
    for (int s = 0; r->parts && s < r->n_shards; s++)
        free(r->parts[s]);
    free(r->parts);
    free(r->cycles);
    free(r->summary);
    free(r->prefix);
    free(r->created_at);
    free(r);
}

/* Answers the close and ends the run. */
static void remit_done(struct intake_remit_run *r, enum queue_status status, const char *error)
{
    if (error)
        log_error("payment cycle: the close failed: %s", error);
    r->cb(status, status == QUEUE_OK ? r->summary : NULL, r->arg);
    remit_run_free(r);
}

static const char *reply_error(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ERROR ? reply->str : NULL;
}

static int remit_count_next(struct intake_remit_run *r);
static int remit_begin(struct intake_remit_run *r);
static void remit_cycle_next(struct intake_remit_run *r);
static void remit_move_next(struct intake_remit_run *r);

static void on_due(redisReply *reply, void *arg)
{
    struct intake_remit_run *r = arg;
    if (!reply || reply->type != REDIS_REPLY_INTEGER) {
        remit_done(r, QUEUE_UNAVAILABLE, reply_error(reply));
        return;
    }
    r->due += reply->integer;
    r->shard++;
    if (remit_count_next(r) != 0)
        remit_done(r, QUEUE_UNAVAILABLE, NULL);
}

/* Step 1 on the next shard, or step 2 once every shard is counted. Returns
 * 0, or -1 when nothing was sent. */
static int remit_count_next(struct intake_remit_run *r)
{
    if (r->shard == r->n_shards)
        return remit_begin(r);
    char k_prov[KEY_LEN], k_mem[KEY_LEN];
    snprintf(k_prov, sizeof k_prov, KEYF_REMIT_DUE, SHARD_PREFIX(r->prefix, r->shard));
    snprintf(k_mem, sizeof k_mem, KEYF_MEMBERPAY_DUE, SHARD_PREFIX(r->prefix, r->shard));
    const char *keys[] = {k_prov, k_mem};
    return queue_script_eval_async(r->rc, &script_remit_due, on_due, r, 2, keys, 0, NULL, NULL);
}

static int by_seq(const void *a, const void *b)
{
    const struct open_cycle *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The open cycles of step 2's answer (HGETALL pairs), oldest first. Returns
 * 0, or -1 when memory ran out. */
static int open_cycles_read(struct intake_remit_run *r, const redisReply *pairs)
{
    size_t n = pairs->elements / 2;
    r->cycles = n ? calloc(n, sizeof *r->cycles) : NULL;
    if (n && !r->cycles)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const redisReply *id = pairs->element[2 * i];
        const char *dash = id->type == REDIS_REPLY_STRING ? strrchr(id->str, '-') : NULL;
        if (!dash || id->len >= CYCLE_ID_LEN)
            continue; /* not written by script_remit_begin */
        struct open_cycle *c = &r->cycles[r->n_cycles++];
        snprintf(c->id, sizeof c->id, "%s", id->str);
        c->seq = atoll(dash + 1);
    }
    if (r->n_cycles > 1) /* qsort's array may not be NULL, even empty */
        qsort(r->cycles, r->n_cycles, sizeof *r->cycles, by_seq);
    return 0;
}

static void on_begun(redisReply *reply, void *arg)
{
    struct intake_remit_run *r = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        remit_done(r, QUEUE_UNAVAILABLE, reply_error(reply));
        return;
    }
    snprintf(r->own, sizeof r->own, "%s", reply->element[0]->str);
    if (open_cycles_read(r, reply->element[1]) != 0) {
        remit_done(r, QUEUE_UNAVAILABLE, "out of memory");
        return;
    }
    remit_cycle_next(r);
}

/* Step 2. Returns 0, or -1 when nothing was sent. */
static int remit_begin(struct intake_remit_run *r)
{
    char k_seq[KEY_LEN], k_open[KEY_LEN], k_auto[KEY_LEN], due[24];
    snprintf(k_seq, sizeof k_seq, KEYF_REMIT_SEQ, HOME(r->prefix));
    snprintf(k_open, sizeof k_open, KEYF_REMIT_OPEN, HOME(r->prefix));
    snprintf(k_auto, sizeof k_auto, KEYF_REMIT_AUTO, HOME(r->prefix), r->date);
    snprintf(due, sizeof due, "%lld", r->due);
    const char *keys[] = {k_seq, k_open, k_auto};
    const char *args[] = {r->date, r->created_at, r->scheduled ? "1" : "0", r->compact, due};
    return queue_script_eval_async(r->rc, &script_remit_begin, on_begun, r, 3, keys, 5, args, NULL);
}

/* One deletion of step 4 answered (or not sent): the next cycle after the
 * last. */
static void part_deleted(struct intake_remit_run *r)
{
    if (--r->waiting > 0)
        return;
    r->cur++;
    remit_cycle_next(r);
}

static void on_part_deleted(redisReply *reply, void *arg)
{
    struct intake_remit_run *r = arg;
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        log_warn("payment cycle: a part of closed cycle %s was not deleted (kept, unused)",
                 r->cycles[r->cur].id);
    part_deleted(r);
}

static void on_finished(redisReply *reply, void *arg)
{
    struct intake_remit_run *r = arg;
    if (!reply || reply->type != REDIS_REPLY_STRING) {
        remit_done(r, QUEUE_UNAVAILABLE, reply_error(reply));
        return;
    }
    const struct open_cycle *c = &r->cycles[r->cur];
    if (strcmp(c->id, r->own) == 0) {
        r->summary = strdup(reply->str);
        if (!r->summary) {
            remit_done(r, QUEUE_UNAVAILABLE, "out of memory");
            return;
        }
    }
    /* The parts, of no use once the cycle is stored: deleted before the
     * next cycle or the answer (a part left by a stop here is inert). */
    r->waiting = 1;
    for (int s = 0; s < r->n_shards; s++) {
        char k_took[KEY_LEN];
        snprintf(k_took, sizeof k_took, KEYF_REMIT_TOOK, SHARD_PREFIX(r->prefix, s), c->id);
        if (queue_rconn_command(r->rc, on_part_deleted, r, "DEL %s", k_took) != 0)
            break;
        r->waiting++;
    }
    part_deleted(r);
}

/* Step 4 for the current cycle. */
static void remit_finish(struct intake_remit_run *r)
{
    const struct open_cycle *c = &r->cycles[r->cur];
    char k_sum[KEY_LEN], k_claims[KEY_LEN], k_open[KEY_LEN];
    snprintf(k_sum, sizeof k_sum, KEYF_REMIT_CYCLES, HOME(r->prefix));
    snprintf(k_claims, sizeof k_claims, KEYF_REMIT_CLAIMS, HOME(r->prefix));
    snprintf(k_open, sizeof k_open, KEYF_REMIT_OPEN, HOME(r->prefix));
    const char **args = calloc((size_t)r->n_shards + 1, sizeof *args);
    if (!args) {
        remit_done(r, QUEUE_UNAVAILABLE, "out of memory");
        return;
    }
    args[0] = c->id;
    for (int s = 0; s < r->n_shards; s++)
        args[1 + s] = r->parts[s];
    const char *keys[] = {k_sum, k_claims, k_open};
    int sent = queue_script_eval_async(r->rc, &script_remit_finish, on_finished, r, 3, keys,
                                       r->n_shards + 1, args, NULL);
    free(args);
    if (sent != 0)
        remit_done(r, QUEUE_UNAVAILABLE, NULL);
}

static void on_moved(redisReply *reply, void *arg)
{
    struct intake_remit_run *r = arg;
    if (!reply || reply->type != REDIS_REPLY_STRING) {
        remit_done(r, QUEUE_UNAVAILABLE, reply_error(reply));
        return;
    }
    r->parts[r->shard] = strdup(reply->str);
    if (!r->parts[r->shard]) {
        remit_done(r, QUEUE_UNAVAILABLE, "out of memory");
        return;
    }
    r->shard++;
    remit_move_next(r);
}

/* Step 3 on the next shard, or step 4 once every shard has moved. */
static void remit_move_next(struct intake_remit_run *r)
{
    if (r->shard == r->n_shards) {
        remit_finish(r);
        return;
    }
    const struct open_cycle *c = &r->cycles[r->cur];
    const struct queue_shard_prefix shp = queue_shard_prefix(r->prefix, r->shard);
    const char *sp = shp.s;
    char k[5][KEY_LEN], seq[24];
    snprintf(k[0], KEY_LEN, KEYF_REMIT_DUE, sp);
    snprintf(k[1], KEY_LEN, KEYF_MEMBERPAY_DUE, sp);
    snprintf(k[2], KEY_LEN, KEYF_REMIT_INFO, sp);
    snprintf(k[3], KEY_LEN, KEYF_REMIT_TOOK, sp, c->id);
    snprintf(k[4], KEY_LEN, KEYF_REMIT_MOVED, sp);
    snprintf(seq, sizeof seq, "%lld", c->seq);
    const char *keys[] = {k[0], k[1], k[2], k[3], k[4]};
    const char *args[] = {seq};
    if (queue_script_eval_async(r->rc, &script_remit_move, on_moved, r, 5, keys, 1, args, NULL) !=
        0)
        remit_done(r, QUEUE_UNAVAILABLE, NULL);
}

/* The next open cycle's steps 3 and 4, or the answer once none is left. */
static void remit_cycle_next(struct intake_remit_run *r)
{
    if (r->cur == r->n_cycles) {
        remit_done(r, QUEUE_OK, NULL);
        return;
    }
    for (int s = 0; s < r->n_shards; s++) {
        free(r->parts[s]);
        r->parts[s] = NULL;
    }
    r->shard = 0;
    remit_move_next(r);
}

int queue_remit_close(struct rconn *rc, const char *prefix, const char *date,
                      const char *created_at, bool scheduled, queue_remit_close_cb cb, void *arg)
{
    remit_scripts_init();
    if (strlen(date) != 10)
        return -1;
    struct intake_remit_run *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->n_shards = queue_shard_count();
    r->parts = calloc((size_t)r->n_shards, sizeof *r->parts);
    r->prefix = strdup(prefix);
    r->created_at = strdup(created_at);
    if (!r->parts || !r->prefix || !r->created_at) {
        remit_run_free(r);
        return -1;
    }
    r->rc = rc;
    r->cb = cb;
    r->arg = arg;
    r->scheduled = scheduled;
    snprintf(r->date, sizeof r->date, "%s", date);
    snprintf(r->compact, sizeof r->compact, "%.4s%.2s%.2s", date, date + 5, date + 8);
    int sent = scheduled ? remit_count_next(r) : remit_begin(r);
    if (sent != 0) {
        remit_run_free(r);
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
    snprintf(key, sizeof key, KEYF_REMIT_CYCLES, HOME(prefix));
    if (queue_rconn_command(rc, on_texts, w, "HVALS %s", key) != 0) {
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
    snprintf(key, sizeof key, KEYF_REMIT_CLAIMS, HOME(prefix));
    argv[0] = "HMGET";
    argv[1] = key;
    for (size_t i = 0; i < n; i++)
        argv[2 + i] = cycle_ids[i];
    int rc_ = queue_rconn_command_argv(rc, on_texts, w, (int)n + 2, argv, NULL);
    free(argv);
    if (rc_ != 0) {
        free(w);
        return -1;
    }
    return 0;
}
