#include "recoveries.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "date.h"
#include "log.h"
#include "model.h"
#include "packed.h"
#include "queue/cluster_tx.h"
#include "queue/keys.h"
#include "queue/members.h"
#include "queue/reply.h"
#include "queue/scripts.h"
#include "queue/shard_gather.h"
#include "queue/shards.h"

/*
 * A family scan's facts, read at one instant: the family's version, the
 * member records (the subscriber's, the family set's and each claim
 * patient's), the groups they name, and every approved claim of the family
 * index with its packed decision. Enrollment keys carry no hash tag and are
 * named through ARGV prefixes, as queue/accounts.c's family read does.
 * KEYS: 1 the family's claim index, 2 the family's version
 * ARGV: 1 the family set key, 2 member key prefix, 3 group key prefix,
 *       4 claim key prefix, 5 decision key prefix, 6 subscriber id
 * Returns {version, {member JSON...}, {group id, group JSON, ...},
 *          {claim id, member id, packed decision, ...}}.
 */
static struct script script_family_paid = {
    "family_paid",
    "local version = redis.call('GET', KEYS[2]) or '0'\n"
    "local seen, gseen, members, groups, claims = {}, {}, {}, {}, {}\n"
    "local function member(id)\n"
    "  if seen[id] then return end\n"
    "  seen[id] = true\n"
    "  local r = redis.call('GET', ARGV[2] .. id)\n"
    "  if not r then return end\n"
    "  members[#members + 1] = r\n"
    "  local ok, d = pcall(cjson.decode, r)\n"
    "  if ok and type(d) == 'table' and type(d.group_id) == 'string' and not gseen[d.group_id] "
    "then\n"
    "    gseen[d.group_id] = true\n"
    "    local g = redis.call('GET', ARGV[3] .. d.group_id)\n"
    "    if g then groups[#groups + 1] = d.group_id; groups[#groups + 1] = g end\n"
    "  end\n"
    "end\n"
    "member(ARGV[6])\n"
    "for _, id in ipairs(redis.call('SMEMBERS', ARGV[1])) do member(id) end\n"
    "for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "  local f = redis.call('HMGET', ARGV[4] .. id, 'status', 'member_id')\n"
    "  if f[1] == 'approved' and f[2] then\n"
    "    local d = redis.call('GET', ARGV[5] .. id)\n"
    "    if d then\n"
    "      member(f[2])\n"
    "      claims[#claims + 1] = id; claims[#claims + 1] = f[2]; claims[#claims + 1] = d\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return {version, members, groups, claims}\n",
    "",
};

struct paid_wait {
    queue_family_paid_cb cb;
    void *arg;
};

static bool is_array(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY;
}

static bool all_strings(const redisReply *r)
{
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return false;
    return true;
}

/* The decision object out of a packed {"decision", "pending"}; NULL when it
 * cannot be read (logged without anything about the member). */
static struct json_object *decision_of(const redisReply *packed, const char *claim_id,
                                       struct json_object **holder)
{
    char *text = NULL;
    size_t len = 0;
    *holder = NULL;
    if (packed_unpack(packed->str, packed->len, &text, &len) != 0) {
        log_error("stored decision cannot be unpacked claim_id=%s", claim_id);
        return NULL;
    }
    struct json_object *o = json_tokener_parse(text), *d = NULL;
    free(text);
    if (!o || !json_object_object_get_ex(o, "decision", &d) ||
        !json_object_is_type(d, json_type_object)) {
        log_error("stored decision cannot be read claim_id=%s", claim_id);
        if (o)
            json_object_put(o);
        return NULL;
    }
    *holder = o;
    return d;
}

static void on_family_paid(redisReply *reply, void *arg)
{
    struct paid_wait w = *(struct paid_wait *)arg;
    free(arg);
    if (!is_array(reply) || reply->elements != 4 || reply->element[0]->type != REDIS_REPLY_STRING ||
        !is_array(reply->element[1]) || !is_array(reply->element[2]) ||
        !is_array(reply->element[3]) || !all_strings(reply->element[1]) ||
        !all_strings(reply->element[2]) || !all_strings(reply->element[3])) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("family claims read failed: %s", reply->str);
        w.cb(QUEUE_UNAVAILABLE, NULL, w.arg);
        return;
    }
    const redisReply *m = reply->element[1], *g = reply->element[2], *c = reply->element[3];
    size_t n_claims = c->elements / 3, n_groups = g->elements / 2;
    const char **members = calloc(m->elements + 1, sizeof *members);
    const char **gids = calloc(n_groups + 1, sizeof *gids);
    const char **groups = calloc(n_groups + 1, sizeof *groups);
    struct queue_paid_claim *claims = calloc(n_claims + 1, sizeof *claims);
    struct json_object **holders = calloc(n_claims + 1, sizeof *holders);
    if (!members || !gids || !groups || !claims || !holders) {
        w.cb(QUEUE_UNAVAILABLE, NULL, w.arg);
        goto out;
    }
    for (size_t i = 0; i < m->elements; i++)
        members[i] = m->element[i]->str;
    for (size_t i = 0; i < n_groups; i++) {
        gids[i] = g->element[2 * i]->str;
        groups[i] = g->element[2 * i + 1]->str;
    }
    for (size_t i = 0; i < n_claims; i++) {
        claims[i].claim_id = c->element[3 * i]->str;
        claims[i].member_id = c->element[3 * i + 1]->str;
        claims[i].decision = decision_of(c->element[3 * i + 2], claims[i].claim_id, &holders[i]);
    }
    struct queue_family_paid f = {
        .version = reply->element[0]->str,
        .members = members,
        .n_members = m->elements,
        .group_ids = gids,
        .groups = groups,
        .n_groups = n_groups,
        .claims = claims,
        .n_claims = n_claims,
    };
    w.cb(QUEUE_OK, &f, w.arg);
out:
    for (size_t i = 0; holders && i < n_claims; i++)
        if (holders[i])
            json_object_put(holders[i]);
    free(members);
    free(gids);
    free(groups);
    free(claims);
    free(holders);
}

/*
 * On a cluster the enrollment records are on other slots than {c}: the
 * family scan's facts are read in steps (a script for the claims' part, then
 * the family set, the member records and their groups key by key) and put
 * together as family_paid's answer. Not one instant any more: the family's
 * version read first still guards the store (queue_store_recoveries), and an
 * enrollment change moves it too.
 * KEYS: 1 the family's claim index, 2 the family's version
 * ARGV: 1 claim key prefix, 2 decision key prefix
 * Returns {version, {claim id, member id, packed decision, ...}}.
 */
static struct script script_family_paid_claims = {
    "family_paid_claims",
    "local version = redis.call('GET', KEYS[2]) or '0'\n"
    "local claims = {}\n"
    "for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "  local f = redis.call('HMGET', ARGV[1] .. id, 'status', 'member_id')\n"
    "  if f[1] == 'approved' and f[2] then\n"
    "    local d = redis.call('GET', ARGV[2] .. id)\n"
    "    if d then\n"
    "      claims[#claims + 1] = id; claims[#claims + 1] = f[2]; claims[#claims + 1] = d\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return {version, claims}\n",
    "",
};

/* Where a family's enrollment lives (its shard, queue/members.h): its member
 * set's key and the key prefix of its member records (a record's key is that
 * and the member id). Groups are shared, keyed by the configured prefix. */
static void family_record_keys(const char *prefix, const char *subscriber_id,
                               char family_set[KEY_LEN], char member_prefix[KEY_LEN])
{
    queue_family_key(family_set, prefix, subscriber_id);
    queue_member_key(member_prefix, prefix, subscriber_id, "");
}

/* The records read one key at a time: ids and their texts (NULL: none). */
struct record_set {
    char (*ids)[ID_LEN];
    char **texts;
    size_t n, cap;
};

struct paid_steps {
    struct rconn *rc;
    struct paid_wait *w;
    char member_prefix[KEY_LEN], group_prefix[KEY_LEN], family_set[KEY_LEN];
    redisReply *claims; /* the first step's answer */
    struct record_set members, groups;
    int waiting;
    bool failed;
};

struct record_get {
    struct paid_steps *st;
    struct record_set *set;
    size_t i;
};

/* Adds id unless it is there; false when out of memory. */
static bool record_set_add(struct record_set *rs, const char *id)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->ids[i], id) == 0)
            return true;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        char(*ids)[ID_LEN] = realloc(rs->ids, cap * ID_LEN);
        if (!ids)
            return false;
        rs->ids = ids;
        char **texts = realloc(rs->texts, cap * sizeof *texts);
        if (!texts)
            return false;
        rs->texts = texts;
        rs->cap = cap;
    }
    snprintf(rs->ids[rs->n], ID_LEN, "%s", id);
    rs->texts[rs->n++] = NULL;
    return true;
}

static void record_set_free(struct record_set *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free(rs->texts[i]);
    free(rs->ids);
    free(rs->texts);
}

static void paid_steps_free(struct paid_steps *st)
{
    if (st->claims)
        freeReplyObject(st->claims);
    record_set_free(&st->members);
    record_set_free(&st->groups);
    free(st->w);
    free(st);
}

/* The end: family_paid's answer put together (or none) for on_family_paid. */
static void paid_steps_done(struct paid_steps *st)
{
    redisReply *reply = NULL;
    if (!st->failed) {
        struct resp_buf b = {0};
        queue_resp_buf_array(&b, 4);
        queue_resp_buf_reply(&b, st->claims->element[0]);
        size_t n = 0;
        for (size_t i = 0; i < st->members.n; i++)
            n += st->members.texts[i] != NULL;
        queue_resp_buf_array(&b, n);
        for (size_t i = 0; i < st->members.n; i++)
            if (st->members.texts[i])
                queue_resp_buf_string(&b, st->members.texts[i], strlen(st->members.texts[i]));
        n = 0;
        for (size_t i = 0; i < st->groups.n; i++)
            n += st->groups.texts[i] != NULL;
        queue_resp_buf_array(&b, n * 2);
        for (size_t i = 0; i < st->groups.n; i++)
            if (st->groups.texts[i]) {
                queue_resp_buf_string(&b, st->groups.ids[i], strlen(st->groups.ids[i]));
                queue_resp_buf_string(&b, st->groups.texts[i], strlen(st->groups.texts[i]));
            }
        queue_resp_buf_reply(&b, st->claims->element[1]);
        reply = queue_resp_buf_read(&b);
    }
    struct paid_wait *w = st->w;
    st->w = NULL;
    on_family_paid(reply, w); /* frees w */
    if (reply)
        freeReplyObject(reply);
    paid_steps_free(st);
}

static void read_groups(struct paid_steps *st);

static void on_record(redisReply *reply, void *arg)
{
    struct record_get *g = arg;
    struct paid_steps *st = g->st;
    if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL))
        st->failed = true;
    else if (reply->type == REDIS_REPLY_STRING && !(g->set->texts[g->i] = strdup(reply->str)))
        st->failed = true;
    bool members = g->set == &st->members;
    free(g);
    if (--st->waiting > 0)
        return;
    if (members && !st->failed)
        read_groups(st);
    else
        paid_steps_done(st);
}

/* GET of every record of set (key_prefix and the id); then on_record. */
static void get_records(struct paid_steps *st, struct record_set *set, const char *key_prefix)
{
    st->waiting = 1; /* this function's own share */
    for (size_t i = 0; i < set->n && !st->failed; i++) {
        struct record_get *g = malloc(sizeof *g);
        char key[KEY_LEN];
        snprintf(key, sizeof key, "%s%s", key_prefix, set->ids[i]);
        if (!g) {
            st->failed = true;
            break;
        }
        *g = (struct record_get){st, set, i};
        st->waiting++;
        if (queue_rconn_command(st->rc, on_record, g, "GET %s", key) != 0) {
            st->waiting--;
            st->failed = true;
            free(g);
        }
    }
    struct record_get *own = malloc(sizeof *own);
    if (!own) {
        st->failed = true;
        if (--st->waiting == 0)
            paid_steps_done(st);
        return;
    }
    *own = (struct record_get){st, set, 0};
    redisReply nil = {.type = REDIS_REPLY_NIL};
    on_record(&nil, own);
}

/* The groups the member records name. */
static void read_groups(struct paid_steps *st)
{
    for (size_t i = 0; i < st->members.n && !st->failed; i++) {
        struct json_object *o = st->members.texts[i] ? json_tokener_parse(st->members.texts[i])
                                                     : NULL,
                           *g = NULL;
        if (o && json_object_object_get_ex(o, "group_id", &g) &&
            json_object_is_type(g, json_type_string) &&
            !record_set_add(&st->groups, json_object_get_string(g)))
            st->failed = true;
        if (o)
            json_object_put(o);
    }
    if (st->failed || st->groups.n == 0) {
        paid_steps_done(st);
        return;
    }
    get_records(st, &st->groups, st->group_prefix);
}

/* The family set's ids: with the subscriber and the claims' patients, the
 * member records to read. */
static void on_paid_family(redisReply *reply, void *arg)
{
    struct paid_steps *st = arg;
    if (!is_array(reply) || !all_strings(reply)) {
        st->failed = true;
        paid_steps_done(st);
        return;
    }
    for (size_t i = 0; i < reply->elements && !st->failed; i++)
        st->failed = !record_set_add(&st->members, reply->element[i]->str);
    const redisReply *c = st->claims->element[1];
    for (size_t i = 1; i < c->elements && !st->failed; i += 3)
        st->failed = !record_set_add(&st->members, c->element[i]->str);
    if (st->failed)
        paid_steps_done(st);
    else
        get_records(st, &st->members, st->member_prefix);
}

static void on_paid_claims(redisReply *reply, void *arg)
{
    struct paid_steps *st = arg;
    if (!is_array(reply) || reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_STRING ||
        !is_array(reply->element[1]) || !all_strings(reply->element[1]) ||
        reply->element[1]->elements % 3 != 0 || !(st->claims = queue_resp_copy(reply))) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("family claims read failed: %s", reply->str);
        st->failed = true;
        paid_steps_done(st);
        return;
    }
    if (queue_rconn_command(st->rc, on_paid_family, st, "SMEMBERS %s", st->family_set) != 0) {
        st->failed = true;
        paid_steps_done(st);
    }
}

static int read_family_paid_in_steps(struct rconn *rc, const char *prefix,
                                     const char *subscriber_id, struct paid_wait *w)
{
    struct paid_steps *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    st->rc = rc;
    family_record_keys(prefix, subscriber_id, st->family_set, st->member_prefix);
    snprintf(st->group_prefix, sizeof st->group_prefix, KEYF_GROUP, prefix, "");
    if (!record_set_add(&st->members, subscriber_id)) {
        paid_steps_free(st);
        return -1;
    }
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, queue_shard_of_family(subscriber_id));
    char k_idx[KEY_LEN], k_ver[KEY_LEN], clm[KEY_LEN], dec[KEY_LEN];
    snprintf(k_idx, sizeof k_idx, KEYF_IDX_FAMILY, sp.s, subscriber_id);
    snprintf(k_ver, sizeof k_ver, KEYF_FAMILY_VERSION, sp.s, subscriber_id);
    snprintf(clm, sizeof clm, KEYF_CLAIM, sp.s, "");
    snprintf(dec, sizeof dec, KEYF_DEC, sp.s, "");
    const char *keys[] = {k_idx, k_ver};
    const char *args[] = {clm, dec};
    if (queue_script_eval_async(rc, queue_script_ready(&script_family_paid_claims), on_paid_claims,
                                st, 2, keys, 2, args, NULL) != 0) {
        paid_steps_free(st);
        return -1;
    }
    st->w = w; /* from here on, answered through on_family_paid */
    return 0;
}

int queue_read_family_paid(struct rconn *rc, const char *prefix, const char *subscriber_id,
                           queue_family_paid_cb cb, void *arg)
{
    struct paid_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    /* The family's claims are on its shard; its records carry no tag. */
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, queue_shard_of_family(subscriber_id));
    char k_idx[KEY_LEN], k_ver[KEY_LEN], fam[KEY_LEN], mem[KEY_LEN], grp[KEY_LEN], clm[KEY_LEN],
        dec[KEY_LEN];
    snprintf(k_idx, sizeof k_idx, KEYF_IDX_FAMILY, sp.s, subscriber_id);
    snprintf(k_ver, sizeof k_ver, KEYF_FAMILY_VERSION, sp.s, subscriber_id);
    family_record_keys(prefix, subscriber_id, fam, mem);
    snprintf(grp, sizeof grp, KEYF_GROUP, prefix, "");
    snprintf(clm, sizeof clm, KEYF_CLAIM, sp.s, "");
    snprintf(dec, sizeof dec, KEYF_DEC, sp.s, "");
    if (queue_rconn_is_cluster(rc)) {
        if (read_family_paid_in_steps(rc, prefix, subscriber_id, w) != 0) {
            free(w);
            return -1;
        }
        return 0;
    }
    const char *keys[] = {k_idx, k_ver};
    const char *args[] = {fam, mem, grp, clm, dec, subscriber_id};
    if (queue_script_eval_async(rc, queue_script_ready(&script_family_paid), on_family_paid, w, 2,
                                keys, 6, args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/*
 * One scan's findings, stored all or nothing (queue_store_recoveries), on
 * the family's shard.
 * KEYS: 1 the family's version, 2 {c}recoveries, 3 the family's recovery
 *       set, 4 {c}recoveries:seq (the last score given)
 * ARGV: 1 expected version, 2 now, 3 recovery key prefix, 4 claim-to-
 *       recovery key prefix, 5 subscriber id, 6 how many found, 7 now in
 *       unix milliseconds, then 8 per recovery: claim id, member id, new id,
 *       lines, amount (cents), coverage_ended, termination_reported_on,
 *       employer_liable ("1"/"0"); an empty new id keeps the claim's
 *       recovery as it is
 * A new recovery's score in {c}recoveries is its creation time in
 * milliseconds x 1024, or one more than the shard's last score when that is
 * later: unique within the shard, and the shards' lists merge in creation
 * order (to the millisecond; scores from before the shards, a counter from
 * 1, sort first).
 * Returns {"ok", created, updated, withdrawn} or {"stale"}.
 */
static struct script script_store_recoveries = {
    "store_recoveries",
    "if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return {'stale'} end\n"
    "local now, rp, cp = ARGV[2], ARGV[3], ARGV[4]\n"
    "local found, created, updated, withdrawn = {}, 0, 0, 0\n"
    "local last = tonumber(redis.call('GET', KEYS[4]) or '0') or 0\n"
    "local i = 8\n"
    "for k = 1, tonumber(ARGV[6]) do\n"
    "  local cid = ARGV[i]\n"
    "  local rid = redis.call('GET', cp .. cid)\n"
    "  if ARGV[i + 2] == '' then\n"
    "    if rid then found[rid] = true end\n"
    "  else\n"
    "  if not rid then\n"
    "    rid = ARGV[i + 2]\n"
    "    redis.call('SET', cp .. cid, rid)\n"
    "    last = math.max(tonumber(ARGV[7]) * 1024, last + 1)\n"
    "    redis.call('SET', KEYS[4], string.format('%d', last))\n"
    "    redis.call('ZADD', KEYS[2], string.format('%d', last), rid)\n"
    "    redis.call('HSET', rp .. rid, 'recovery_id', rid, 'claim_id', cid, 'found_at', now, "
    "'status', 'open')\n"
    "    created = created + 1\n"
    "  else\n"
    "    updated = updated + 1\n"
    "  end\n"
    "  redis.call('SADD', KEYS[3], rid)\n"
    "  local st = redis.call('HGET', rp .. rid, 'status')\n"
    "  if st == 'open' or st == 'withdrawn' then\n"
    "    redis.call('HSET', rp .. rid, 'status', 'open', 'member_id', ARGV[i + 1], "
    "'subscriber_id', ARGV[5],\n"
    "               'lines', ARGV[i + 3], 'amount', ARGV[i + 4], 'coverage_ended', ARGV[i + 5],\n"
    "               'termination_reported_on', ARGV[i + 6], 'employer_liable', ARGV[i + 7], "
    "'updated_at', now)\n"
    "  end\n"
    "  found[rid] = true\n"
    "  end\n"
    "  i = i + 8\n"
    "end\n"
    "for _, rid in ipairs(redis.call('SMEMBERS', KEYS[3])) do\n"
    "  if not found[rid] and redis.call('HGET', rp .. rid, 'status') == 'open' then\n"
    "    redis.call('HSET', rp .. rid, 'status', 'withdrawn', 'updated_at', now)\n"
    "    withdrawn = withdrawn + 1\n"
    "  end\n"
    "end\n"
    "return {'ok', created, updated, withdrawn}\n",
    "",
};

struct store_wait {
    queue_recoveries_stored_cb cb;
    void *arg;
};

static void on_stored(redisReply *reply, void *arg)
{
    struct store_wait w = *(struct store_wait *)arg;
    free(arg);
    if (is_array(reply) && reply->elements == 1 && reply->element[0]->type == REDIS_REPLY_STRING &&
        strcmp(reply->element[0]->str, "stale") == 0) {
        w.cb(QUEUE_CONFLICT, 0, 0, 0, w.arg);
        return;
    }
    if (!is_array(reply) || reply->elements != 4 ||
        reply->element[1]->type != REDIS_REPLY_INTEGER ||
        reply->element[2]->type != REDIS_REPLY_INTEGER ||
        reply->element[3]->type != REDIS_REPLY_INTEGER) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("recoveries store failed: %s", reply->str);
        w.cb(QUEUE_UNAVAILABLE, 0, 0, 0, w.arg);
        return;
    }
    w.cb(QUEUE_OK, (int)reply->element[1]->integer, (int)reply->element[2]->integer,
         (int)reply->element[3]->integer, w.arg);
}

int queue_store_recoveries(struct rconn *rc, const char *prefix, const char *subscriber_id,
                           const char *version, const char *now,
                           const struct queue_recovery_found *found, size_t n,
                           queue_recoveries_stored_cb cb, void *arg)
{
    enum { PER = 8, FIXED = 7 };
    /* Every key on the family's shard, where its claims are; a new
     * recovery's id must name that shard too (found from the id alone). */
    int shard = queue_shard_of_family(subscriber_id);
    for (size_t i = 0; i < n; i++) {
        if (found[i].new_id[0] && queue_shard_of_claim(found[i].new_id) != shard) {
            log_error("recovery id not drawn on its family's shard recovery_id=%s",
                      found[i].new_id);
            return -1;
        }
    }
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, shard);
    char k_ver[KEY_LEN], k_all[KEY_LEN], k_fam[KEY_LEN], k_seq[KEY_LEN], rp[KEY_LEN], cp[KEY_LEN],
        count[24], now_ms[24];
    snprintf(k_ver, sizeof k_ver, KEYF_FAMILY_VERSION, sp.s, subscriber_id);
    snprintf(k_all, sizeof k_all, KEYF_RECOVERIES, sp.s);
    snprintf(k_fam, sizeof k_fam, KEYF_RECOVERY_FAMILY, sp.s, subscriber_id);
    snprintf(k_seq, sizeof k_seq, KEYF_RECOVERY_SEQ, sp.s);
    snprintf(rp, sizeof rp, KEYF_RECOVERY, sp.s, "");
    snprintf(cp, sizeof cp, KEYF_RECOVERY_CLAIM, sp.s, "");
    snprintf(count, sizeof count, "%zu", n);
    snprintf(now_ms, sizeof now_ms, "%lld", (long long)clock_wall_ms());
    const char **args = calloc(FIXED + PER * n, sizeof *args);
    char(*amounts)[24] = calloc(n + 1, sizeof *amounts);
    struct store_wait *w = malloc(sizeof *w);
    if (!args || !amounts || !w) {
        free(args);
        free(amounts);
        free(w);
        return -1;
    }
    w->cb = cb;
    w->arg = arg;
    args[0] = version;
    args[1] = now;
    args[2] = rp;
    args[3] = cp;
    args[4] = subscriber_id;
    args[5] = count;
    args[6] = now_ms;
    for (size_t i = 0; i < n; i++) {
        const struct queue_recovery_found *f = &found[i];
        const char **a = &args[FIXED + PER * i];
        snprintf(amounts[i], sizeof amounts[i], "%lld", f->amount);
        a[0] = f->claim_id;
        a[1] = f->member_id;
        a[2] = f->new_id;
        a[3] = f->lines;
        a[4] = amounts[i];
        a[5] = f->coverage_ended;
        a[6] = f->termination_reported_on;
        a[7] = f->employer_liable ? "1" : "0";
    }
    const char *keys[] = {k_ver, k_all, k_fam, k_seq};
    int rc_send =
        queue_script_eval_async(rc, queue_script_ready(&script_store_recoveries), on_stored, w, 4,
                                keys, (int)(FIXED + PER * n), args, NULL);
    free(args);
    free(amounts);
    if (rc_send != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/*
 * The staff list on one shard: recoveries in creation order after the
 * cursor, filtered by status, looking at no more than 10,000 entries.
 * KEYS: 1 {c}recoveries
 * ARGV: 1 lower bound ("-inf", "(score" or "score": queue/shard_merge.h),
 *       2 limit, 3 status ("" any), 4 recovery key prefix
 * Returns {the last score looked at when more follow, else "", then per
 * recovery: its score and 12 fields}.
 */
static struct script script_list_recoveries = {
    "list_recoveries",
    "local limit, want, rp = tonumber(ARGV[2]), ARGV[3], ARGV[4]\n"
    "local names = {'recovery_id', 'claim_id', 'member_id', 'subscriber_id', 'status', 'lines',\n"
    "  'amount', 'coverage_ended', 'termination_reported_on', 'employer_liable', 'found_at', "
    "'updated_at'}\n"
    "local out, found, looked, last = {''}, 0, 0, nil\n"
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, "
    "10000)\n"
    "for j = 1, #ids, 2 do\n"
    "  if found >= limit then break end\n"
    "  local id, score = ids[j], ids[j + 1]\n"
    "  looked = looked + 1\n"
    "  last = score\n"
    "  local f = redis.call('HMGET', rp .. id, unpack(names))\n"
    "  if f[1] and (want == '' or f[5] == want) then\n"
    "    out[#out + 1] = score\n"
    "    for k = 1, #names do out[#out + 1] = f[k] or false end\n"
    "    found = found + 1\n"
    "  end\n"
    "end\n"
    "if last and redis.call('ZCOUNT', KEYS[1], '(' .. last, '+inf') > 0 then out[1] = last end\n"
    "return out\n",
    "",
};

#define RECOVERY_FIELDS 12

struct list_wait {
    queue_recoveries_cb cb;
    void *arg;
};

/* The merged page's rows to the caller (queue/shard_gather.h). */
static void on_list(const struct shard_page *page, void *arg)
{
    struct list_wait w = *(struct list_wait *)arg;
    free(arg);
    size_t n = page ? (size_t)page->n : 0;
    struct queue_recovery_row *rows = page ? calloc(n + 1, sizeof *rows) : NULL;
    if (!rows) {
        w.cb(QUEUE_UNAVAILABLE, NULL, 0, NULL, w.arg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char **f[RECOVERY_FIELDS] = {
            &rows[i].recovery_id,     &rows[i].claim_id,       &rows[i].member_id,
            &rows[i].subscriber_id,   &rows[i].status,         &rows[i].lines,
            &rows[i].amount,          &rows[i].coverage_ended, &rows[i].termination_reported_on,
            &rows[i].employer_liable, &rows[i].found_at,       &rows[i].updated_at};
        queue_reply_strings(page->rows[i], RECOVERY_FIELDS, f);
    }
    w.cb(QUEUE_OK, rows, n, queue_shard_page_cursor(page), w.arg);
    free(rows);
}

/* What every shard's list request is built from. */
struct list_query {
    struct rconn *rc;
    const char *prefix;
    const char *status;
};

/* shard_list_send_fn: shard s's part of the staff list. */
static int list_send(struct shard_fanout *f, int s, const char *lo, const char *lim, void *ctx)
{
    const struct list_query *lq = ctx;
    struct queue_shard_prefix sp = queue_shard_prefix(lq->prefix, s);
    char k_all[KEY_LEN], rp[KEY_LEN];
    snprintf(k_all, sizeof k_all, KEYF_RECOVERIES, sp.s);
    snprintf(rp, sizeof rp, KEYF_RECOVERY, sp.s, "");
    const char *keys[] = {k_all};
    const char *args[] = {lo, lim, lq->status, rp};
    return queue_shard_fanout_script(f, s, lq->rc, queue_script_ready(&script_list_recoveries), 1,
                                     keys, 4, args);
}

int queue_list_recoveries(struct rconn *rc, const char *prefix, const char *status,
                          const char *cursor, int limit, queue_recoveries_cb cb, void *arg)
{
    struct list_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    *w = (struct list_wait){cb, arg};
    struct list_query lq = {rc, prefix, status};
    struct shard_list l = {cursor, limit, 1 + RECOVERY_FIELDS, "recoveries list"};
    if (queue_shard_list_read(&l, list_send, &lq, on_list, w) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/*
 * Reverses a recovery (queue_reverse_recovery).
 * KEYS: 1 the recovery, 2 work stream, 3 audit stream
 * ARGV: 1 recovery id, 2 now (RFC 3339), 3 claim key prefix, 4 family
 *       version key prefix, 5 claim audit list prefix, 6 audit JSON
 * Returns {"ok", claim id}, {"conflict", status} or {"missing"}.
 */
static struct script script_reverse_recovery = {
    "reverse_recovery",
    "local st = redis.call('HGET', KEYS[1], 'status')\n"
    "if not st then return {'missing'} end\n"
    "if st ~= 'open' then return {'conflict', st} end\n"
    "local cid = redis.call('HGET', KEYS[1], 'claim_id') or ''\n"
    "redis.call('HSET', KEYS[1], 'status', 'reversed', 'reversed_at', ARGV[2],\n"
    "           'updated_at', ARGV[2])\n"
    "local ck = ARGV[3] .. cid\n"
    "local f = redis.call('HMGET', ck, 'status', 'member_id', 'subscriber_id', 'years')\n"
    "if f[1] == 'approved' or f[1] == 'denied' then\n"
    "  local member, sub = f[2] or '', f[3] or ''\n"
    "  if sub == '' then sub = member end\n"
    "  redis.call('HSET', ck, 'recover', ARGV[1])\n"
    "  local vk = ARGV[4] .. sub\n"
    "  local v = redis.call('GET', vk) or '0'\n"
    "  local count = (tonumber(string.match(v, '^%d+')) or 0) + 1\n"
    "  redis.call('SET', vk, count .. ':recovery:' .. ARGV[1])\n"
    "  redis.call('XADD', KEYS[2], '*', 'claim', cid, 'redecide', '1', 'member', member, "
    "'subscriber', sub,\n"
    "             'years', f[4] or '')\n"
    "end\n"
    "if cid ~= '' then\n"
    "  local aid = redis.call('XADD', KEYS[3], '*', 'claim_id', cid, 'record', ARGV[6])\n"
    "  redis.call('RPUSH', ARGV[5] .. cid, aid)\n"
    "end\n"
    "return {'ok', cid}\n",
    "",
};

struct reverse_wait {
    queue_reverse_cb cb;
    void *arg;
};

static void on_reversed(redisReply *reply, void *arg)
{
    struct reverse_wait w = *(struct reverse_wait *)arg;
    free(arg);
    if (!is_array(reply) || reply->elements < 1 || reply->element[0]->type != REDIS_REPLY_STRING) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("recovery reversal failed: %s", reply->str);
        w.cb(QUEUE_UNAVAILABLE, "", "", w.arg);
        return;
    }
    const char *what = reply->element[0]->str;
    const char *v = reply->elements > 1 && reply->element[1]->type == REDIS_REPLY_STRING
                        ? reply->element[1]->str
                        : "";
    if (strcmp(what, "ok") == 0)
        w.cb(QUEUE_OK, v, "reversed", w.arg);
    else if (strcmp(what, "conflict") == 0)
        w.cb(QUEUE_CONFLICT, "", v, w.arg);
    else
        w.cb(QUEUE_NOT_FOUND, "", "", w.arg);
}

int queue_reverse_recovery(struct rconn *rc, const char *prefix, const char *recovery_id,
                           const char *now, const char *audit_json, queue_reverse_cb cb, void *arg)
{
    char k_rec[KEY_LEN], k_stream[KEY_LEN], k_audit[KEY_LEN], cp[KEY_LEN], vp[KEY_LEN], ap[KEY_LEN];
    /* Drawn on its claim's shard (queue_store_recoveries): found from its
     * id alone, with its claim and the claim's family. */
    struct queue_shard_prefix sp = queue_shard_prefix(prefix, queue_shard_of_claim(recovery_id));
    snprintf(k_rec, sizeof k_rec, KEYF_RECOVERY, sp.s, recovery_id);
    snprintf(k_stream, sizeof k_stream, KEYF_STREAM, sp.s);
    snprintf(k_audit, sizeof k_audit, KEYF_AUDIT, sp.s);
    snprintf(cp, sizeof cp, KEYF_CLAIM, sp.s, "");
    snprintf(vp, sizeof vp, KEYF_FAMILY_VERSION, sp.s, "");
    snprintf(ap, sizeof ap, KEYF_CLAIM_AUDIT, sp.s, "");
    struct reverse_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    const char *keys[] = {k_rec, k_stream, k_audit};
    const char *args[] = {recovery_id, now, cp, vp, ap, audit_json};
    if (queue_script_eval_async(rc, queue_script_ready(&script_reverse_recovery), on_reversed, w, 3,
                                keys, 6, args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}
