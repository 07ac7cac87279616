#include "accounts.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue/keys.h"
#include "queue/members.h"
#include "queue/redis_conn.h"
#include "queue/reply.h"
#include "queue/scripts.h"
#include "queue/shards.h"

/* Key formats of people's accounts (queue/accounts.h); unsharded, like tokens. */
#define KEYF_INVITE "%sinvite:%s"   /* prefix, sha256 hex of the code: hash */
#define KEYF_ACCOUNT "%saccount:%s" /* prefix, username: hash */
/* prefix, prefix, username: zset of failures by ms. Its hash tag is the account's
 * whole key, so both are on one slot of a cluster (signin_lookup reads them in
 * one script) while the account keys stay as they were. */
#define KEYF_SIGNIN_FAIL "%ssignin_fail:{%saccount:%s}"
#define KEYF_SESSION "%ssession:%s" /* prefix, sha256 hex of the id: hash */

static void copy_str(char *dst, size_t size, const redisReply *r)
{
    if (r && r->type == REDIS_REPLY_STRING)
        snprintf(dst, size, "%s", r->str);
    else
        dst[0] = '\0';
}

/* ---- invitations ---- */

static enum queue_status exec_status(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ARRAY ? QUEUE_OK : QUEUE_UNAVAILABLE;
}

int queue_accounts_invitation_store_async(struct rconn *rc, const char *prefix, const char *hash,
                                          const char *role, const char *member_id, const char *npi,
                                          const char *created_at, const char *created_by,
                                          int ttl_seconds, queue_status_cb cb, void *arg)
{
    struct queue_status_wait *w = queue_status_wait_new(exec_status, cb, arg);
    if (!w)
        return -1;
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_INVITE, prefix, hash);
    if (queue_rconn_command(rc, queue_ignore_reply, NULL, "MULTI") != 0) {
        free(w);
        return -1;
    }
    queue_rconn_command(rc, queue_ignore_reply, NULL,
                        "HSET %s role %s member_id %s npi %s created_at %s created_by %s", key,
                        role, member_id, npi, created_at, created_by);
    queue_rconn_command(rc, queue_ignore_reply, NULL, "EXPIRE %s %d", key, ttl_seconds);
    if (queue_rconn_command(rc, queue_on_status_reply, w, "EXEC") != 0) {
        free(w);
        return -1;
    }
    return 0;
}

int queue_accounts_invitation_store_blocking(struct rlink *c, const char *prefix, const char *hash,
                                             const char *role, const char *member_id,
                                             const char *npi, const char *created_at,
                                             const char *created_by, int ttl_seconds)
{
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_INVITE, prefix, hash);
    queue_rlink_append(c, "MULTI");
    queue_rlink_append(c, "HSET %s role %s member_id %s npi %s created_at %s created_by %s", key,
                       role, member_id, npi, created_at, created_by);
    queue_rlink_append(c, "EXPIRE %s %d", key, ttl_seconds);
    queue_rlink_append(c, "EXEC");
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        redisReply *r = NULL;
        if (queue_rlink_get_reply(c, &r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR ||
            (i == 3 && r->type != REDIS_REPLY_ARRAY))
            rc = -1;
        if (r)
            freeReplyObject(r);
        if (!r && queue_rlink_broken(c)) /* the connection is gone: no more replies will come */
            return -1;
    }
    return rc;
}

/* ---- accounts ---- */

/*
 * Creates an account from an invitation: the invitation is consumed in the
 * same step, and only when the account is created.
 * KEYS: 1 the invitation, 2 the account
 * ARGV: 1 username, 2 password hash, 3 account id, 4 created_at
 * Returns {"ok", role, member_id, npi}, {"invalid"} or {"taken"}.
 */
static struct script script_account_create = {
    "account_create",
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {'invalid'} end\n"
    "if redis.call('EXISTS', KEYS[2]) == 1 then return {'taken'} end\n"
    "local inv = redis.call('HGETALL', KEYS[1])\n"
    "local f = {}\n"
    "for i = 1, #inv, 2 do f[inv[i]] = inv[i + 1] end\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('HSET', KEYS[2], 'account_id', ARGV[3], 'username', ARGV[1], 'role', f.role or "
    "'',\n"
    "           'member_id', f.member_id or '', 'npi', f.npi or '', 'password_hash', ARGV[2],\n"
    "           'created_at', ARGV[4])\n"
    "return {'ok', f.role or '', f.member_id or '', f.npi or ''}\n",
    "",
};

struct create_wait {
    accounts_create_cb cb;
    void *arg;
    struct account_record rec;
};

static void on_create(redisReply *reply, void *arg)
{
    struct create_wait *w = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("account create: %s", reply->str);
        w->cb(ACCOUNTS_UNAVAILABLE, NULL, w->arg);
    } else if (strcmp(reply->element[0]->str, "invalid") == 0) {
        w->cb(ACCOUNTS_INVALID_INVITATION, NULL, w->arg);
    } else if (strcmp(reply->element[0]->str, "taken") == 0) {
        w->cb(ACCOUNTS_USERNAME_TAKEN, NULL, w->arg);
    } else if (reply->elements == 4) {
        copy_str(w->rec.role, sizeof w->rec.role, reply->element[1]);
        copy_str(w->rec.member_id, sizeof w->rec.member_id, reply->element[2]);
        copy_str(w->rec.npi, sizeof w->rec.npi, reply->element[3]);
        w->cb(ACCOUNTS_CREATED, &w->rec, w->arg);
    } else {
        w->cb(ACCOUNTS_UNAVAILABLE, NULL, w->arg);
    }
    free(w);
}

/*
 * On a cluster the invitation and the account are on different slots, so
 * account_create runs in steps (docs/operations.md "Running on a cluster"):
 * 1. invite_take: the invitation is held for this account id (a held one is
 *    "invalid" to any other request: one invitation never makes two
 *    accounts) and its fields read;
 * 2. account_put: the account is created unless the username is taken;
 * 3. the invitation is deleted (created) or released (taken).
 * A crash between 1 and 3 leaves the invitation held: unusable, as if used
 * (an admin invites again); it expires with its 7 days.
 */
static struct script script_invite_take = {
    "invite_take",
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {'invalid'} end\n"
    "local f = {}\n"
    "local inv = redis.call('HGETALL', KEYS[1])\n"
    "for i = 1, #inv, 2 do f[inv[i]] = inv[i + 1] end\n"
    "if f.held_by and f.held_by ~= ARGV[1] then return {'invalid'} end\n"
    "redis.call('HSET', KEYS[1], 'held_by', ARGV[1])\n"
    "return {'ok', f.role or '', f.member_id or '', f.npi or ''}\n",
    "",
};

static struct script script_account_put = {
    "account_put",
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 'taken' end\n"
    "redis.call('HSET', KEYS[1], 'account_id', ARGV[3], 'username', ARGV[1], 'role', ARGV[5],\n"
    "           'member_id', ARGV[6], 'npi', ARGV[7], 'password_hash', ARGV[2],\n"
    "           'created_at', ARGV[4])\n"
    "return 'ok'\n",
    "",
};

struct create_steps {
    struct rconn *rc;
    accounts_create_cb cb;
    void *arg;
    struct account_record rec;
    int step;
    char k_inv[KEY_LEN], k_acc[KEY_LEN];
    char password_hash[ACCOUNT_HASH_LEN], created_at[40];
    enum accounts_create_result result;
};

static void create_step_done(struct create_steps *st, enum accounts_create_result result)
{
    st->cb(result, result == ACCOUNTS_CREATED ? &st->rec : NULL, st->arg);
    free(st);
}

static void on_create_step(redisReply *reply, void *arg)
{
    struct create_steps *st = arg;
    int sent = -1;
    if (st->step == 0 && reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
        reply->element[0]->type == REDIS_REPLY_STRING) {
        if (strcmp(reply->element[0]->str, "ok") != 0 || reply->elements != 4) {
            create_step_done(st, ACCOUNTS_INVALID_INVITATION);
            return;
        }
        copy_str(st->rec.role, sizeof st->rec.role, reply->element[1]);
        copy_str(st->rec.member_id, sizeof st->rec.member_id, reply->element[2]);
        copy_str(st->rec.npi, sizeof st->rec.npi, reply->element[3]);
        queue_script_ready(&script_account_put);
        const char *keys[] = {st->k_acc};
        const char *args[] = {st->rec.username, st->password_hash, st->rec.account_id,
                              st->created_at,   st->rec.role,      st->rec.member_id,
                              st->rec.npi};
        st->step = 1;
        sent = queue_script_eval_async(st->rc, &script_account_put, on_create_step, st, 1, keys, 7,
                                       args, NULL);
    } else if (st->step == 1 && reply && reply->type == REDIS_REPLY_STRING) {
        bool ok = strcmp(reply->str, "ok") == 0;
        st->result = ok ? ACCOUNTS_CREATED : ACCOUNTS_USERNAME_TAKEN;
        st->step = 2;
        sent = ok ? queue_rconn_command(st->rc, on_create_step, st, "DEL %s", st->k_inv)
                  : queue_rconn_command(st->rc, on_create_step, st, "HDEL %s held_by", st->k_inv);
    } else if (st->step == 1 && reply && reply->type == REDIS_REPLY_ERROR) {
        /* Refused, so not run: the invitation is released. (No answer at
         * all may mean it ran: the invitation stays held.) */
        log_error("account create: %s", reply->str);
        st->result = ACCOUNTS_UNAVAILABLE;
        st->step = 2;
        sent = queue_rconn_command(st->rc, on_create_step, st, "HDEL %s held_by", st->k_inv);
    } else if (st->step == 2) {
        /* The account exists (or not) whatever became of the invitation. */
        create_step_done(st, st->result);
        return;
    }
    if (sent != 0) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("account create: %s", reply->str);
        create_step_done(st, ACCOUNTS_UNAVAILABLE);
    }
}

static int create_in_steps(struct rconn *rc, const char *k_inv, const char *k_acc,
                           const char *username, const char *password_hash, const char *account_id,
                           const char *created_at, accounts_create_cb cb, void *arg)
{
    queue_script_ready(&script_invite_take);
    struct create_steps *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    st->rc = rc;
    st->cb = cb;
    st->arg = arg;
    snprintf(st->rec.account_id, sizeof st->rec.account_id, "%s", account_id);
    snprintf(st->rec.username, sizeof st->rec.username, "%s", username);
    snprintf(st->k_inv, sizeof st->k_inv, "%s", k_inv);
    snprintf(st->k_acc, sizeof st->k_acc, "%s", k_acc);
    snprintf(st->password_hash, sizeof st->password_hash, "%s", password_hash);
    snprintf(st->created_at, sizeof st->created_at, "%s", created_at);
    const char *keys[] = {k_inv};
    const char *args[] = {account_id};
    if (queue_script_eval_async(rc, &script_invite_take, on_create_step, st, 1, keys, 1, args,
                                NULL) != 0) {
        free(st);
        return -1;
    }
    return 0;
}

int queue_accounts_create_async(struct rconn *rc, const char *prefix, const char *invite_hash,
                                const char *username, const char *password_hash,
                                const char *account_id, const char *created_at,
                                accounts_create_cb cb, void *arg)
{
    queue_script_ready(&script_account_create);
    struct create_wait *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    snprintf(w->rec.account_id, sizeof w->rec.account_id, "%s", account_id);
    snprintf(w->rec.username, sizeof w->rec.username, "%s", username);
    char k_inv[KEY_LEN], k_acc[KEY_LEN];
    snprintf(k_inv, sizeof k_inv, KEYF_INVITE, prefix, invite_hash);
    snprintf(k_acc, sizeof k_acc, KEYF_ACCOUNT, prefix, username);
    if (queue_rconn_is_cluster(rc)) {
        free(w);
        return create_in_steps(rc, k_inv, k_acc, username, password_hash, account_id, created_at,
                               cb, arg);
    }
    const char *keys[] = {k_inv, k_acc};
    const char *args[] = {username, password_hash, account_id, created_at};
    if (queue_script_eval_async(rc, &script_account_create, on_create, w, 2, keys, 4, args, NULL) !=
        0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- sign-in ---- */

/*
 * The account and its recent failures: failures older than the window go,
 * and when max or more remain, how long until the oldest that matters
 * leaves the window (then one more attempt is let through).
 * KEYS: 1 the account, 2 its failures
 * ARGV: 1 now (ms), 2 window (ms), 3 max failures
 * Returns {retry_after_ms, {account field, value, ...}}.
 */
static struct script script_signin_lookup = {
    "signin_lookup",
    "local now, window, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)\n"
    "local n = redis.call('ZCARD', KEYS[2])\n"
    "local retry = 0\n"
    "if n >= max then\n"
    "  local e = redis.call('ZRANGE', KEYS[2], n - max, n - max, 'WITHSCORES')\n"
    "  retry = tonumber(e[2]) + window - now\n"
    "  if retry < 1 then retry = 1 end\n"
    "end\n"
    "return {retry, redis.call('HGETALL', KEYS[1])}\n",
    "",
};

struct signin_wait {
    accounts_signin_cb cb;
    void *arg;
};

static void account_from_pairs(struct account_record *rec, const redisReply *arr)
{
    memset(rec, 0, sizeof *rec);
    for (size_t i = 0; i + 1 < arr->elements; i += 2) {
        const redisReply *k = arr->element[i], *v = arr->element[i + 1];
        if (k->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(k->str, "account_id") == 0)
            copy_str(rec->account_id, sizeof rec->account_id, v);
        else if (strcmp(k->str, "username") == 0)
            copy_str(rec->username, sizeof rec->username, v);
        else if (strcmp(k->str, "role") == 0)
            copy_str(rec->role, sizeof rec->role, v);
        else if (strcmp(k->str, "member_id") == 0)
            copy_str(rec->member_id, sizeof rec->member_id, v);
        else if (strcmp(k->str, "npi") == 0)
            copy_str(rec->npi, sizeof rec->npi, v);
        else if (strcmp(k->str, "password_hash") == 0)
            copy_str(rec->password_hash, sizeof rec->password_hash, v);
    }
}

static void on_signin(redisReply *reply, void *arg)
{
    struct signin_wait w = *(struct signin_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_INTEGER ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("sign-in lookup: %s", reply->str);
        w.cb(-1, 0, NULL, w.arg);
        return;
    }
    long long retry = reply->element[0]->integer;
    const redisReply *acc = reply->element[1];
    if (acc->elements == 0) {
        w.cb(0, retry, NULL, w.arg);
        return;
    }
    struct account_record rec;
    account_from_pairs(&rec, acc);
    w.cb(1, retry, &rec, w.arg);
}

int queue_accounts_signin_lookup_async(struct rconn *rc, const char *prefix, const char *username,
                                       long long now_ms, long long window_ms, int max_failures,
                                       accounts_signin_cb cb, void *arg)
{
    queue_script_ready(&script_signin_lookup);
    struct signin_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char k_acc[KEY_LEN], k_fail[KEY_LEN], now[32], window[32], max[16];
    snprintf(k_acc, sizeof k_acc, KEYF_ACCOUNT, prefix, username);
    snprintf(k_fail, sizeof k_fail, KEYF_SIGNIN_FAIL, prefix, prefix, username);
    snprintf(now, sizeof now, "%lld", now_ms);
    snprintf(window, sizeof window, "%lld", window_ms);
    snprintf(max, sizeof max, "%d", max_failures);
    const char *keys[] = {k_acc, k_fail};
    const char *args[] = {now, window, max};
    if (queue_script_eval_async(rc, &script_signin_lookup, on_signin, w, 2, keys, 3, args, NULL) !=
        0) {
        free(w);
        return -1;
    }
    return 0;
}

int queue_accounts_signin_failed_async(struct rconn *rc, const char *prefix, const char *username,
                                       long long now_ms, const char *unique, long long window_ms,
                                       queue_status_cb cb, void *arg)
{
    struct queue_status_wait *w = queue_status_wait_new(exec_status, cb, arg);
    if (!w)
        return -1;
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_SIGNIN_FAIL, prefix, prefix, username);
    if (queue_rconn_command(rc, queue_ignore_reply, NULL, "MULTI") != 0) {
        free(w);
        return -1;
    }
    queue_rconn_command(rc, queue_ignore_reply, NULL, "ZADD %s %lld %lld:%s", key, now_ms, now_ms,
                        unique);
    queue_rconn_command(rc, queue_ignore_reply, NULL, "PEXPIRE %s %lld", key, window_ms);
    if (queue_rconn_command(rc, queue_on_status_reply, w, "EXEC") != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- sessions ---- */

int queue_sessions_store_async(struct rconn *rc, const char *prefix, const char *hash,
                               const struct session_record *rec, long long now_ms,
                               long long idle_ms, const char *username, queue_status_cb cb,
                               void *arg)
{
    struct queue_status_wait *w = queue_status_wait_new(exec_status, cb, arg);
    if (!w)
        return -1;
    char key[KEY_LEN], k_fail[KEY_LEN];
    snprintf(key, sizeof key, KEYF_SESSION, prefix, hash);
    snprintf(k_fail, sizeof k_fail, KEYF_SIGNIN_FAIL, prefix, prefix, username);
    long long ttl = rec->expires_at_ms - now_ms < idle_ms ? rec->expires_at_ms - now_ms : idle_ms;
    if (ttl < 1)
        ttl = 1;
    if (queue_rconn_command(rc, queue_ignore_reply, NULL, "MULTI") != 0) {
        free(w);
        return -1;
    }
    queue_rconn_command(
        rc, queue_ignore_reply, NULL,
        "HSET %s account_id %s role %s member_id %s npi %s csrf %s created_at_ms %lld "
        "expires_at_ms %lld",
        key, rec->account_id, rec->role, rec->member_id, rec->npi, rec->csrf, now_ms,
        rec->expires_at_ms);
    queue_rconn_command(rc, queue_ignore_reply, NULL, "PEXPIRE %s %lld", key, ttl);
    queue_rconn_command(rc, queue_ignore_reply, NULL, "DEL %s", k_fail);
    if (queue_rconn_command(rc, queue_on_status_reply, w, "EXEC") != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/*
 * A session is used: it lives on for another idle period, never past its
 * lifetime; one past its lifetime is deleted.
 * KEYS: 1 the session
 * ARGV: 1 now (ms), 2 idle timeout (ms)
 * Returns the session's fields and values, or an empty array.
 */
static struct script script_session_touch = {
    "session_touch",
    "local s = redis.call('HGETALL', KEYS[1])\n"
    "if #s == 0 then return {} end\n"
    "local now, idle = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
    "local exp = tonumber(redis.call('HGET', KEYS[1], 'expires_at_ms'))\n"
    "if not exp or exp <= now then redis.call('DEL', KEYS[1]) return {} end\n"
    "if exp - now < idle then idle = exp - now end\n"
    "redis.call('PEXPIRE', KEYS[1], idle)\n"
    "return s\n",
    "",
};

struct touch_wait {
    sessions_touch_cb cb;
    void *arg;
};

static void on_touch(redisReply *reply, void *arg)
{
    struct touch_wait w = *(struct touch_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("session lookup: %s", reply->str);
        w.cb(-1, NULL, w.arg);
        return;
    }
    if (reply->elements == 0) {
        w.cb(0, NULL, w.arg);
        return;
    }
    struct session_record rec = {0};
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *k = reply->element[i], *v = reply->element[i + 1];
        if (k->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(k->str, "account_id") == 0)
            copy_str(rec.account_id, sizeof rec.account_id, v);
        else if (strcmp(k->str, "role") == 0)
            copy_str(rec.role, sizeof rec.role, v);
        else if (strcmp(k->str, "member_id") == 0)
            copy_str(rec.member_id, sizeof rec.member_id, v);
        else if (strcmp(k->str, "npi") == 0)
            copy_str(rec.npi, sizeof rec.npi, v);
        else if (strcmp(k->str, "csrf") == 0)
            copy_str(rec.csrf, sizeof rec.csrf, v);
        else if (strcmp(k->str, "expires_at_ms") == 0 && v->type == REDIS_REPLY_STRING)
            rec.expires_at_ms = strtoll(v->str, NULL, 10);
    }
    w.cb(1, &rec, w.arg);
}

int queue_sessions_touch_async(struct rconn *rc, const char *prefix, const char *hash,
                               long long now_ms, long long idle_ms, sessions_touch_cb cb, void *arg)
{
    queue_script_ready(&script_session_touch);
    struct touch_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char key[KEY_LEN], now[32], idle[32];
    snprintf(key, sizeof key, KEYF_SESSION, prefix, hash);
    snprintf(now, sizeof now, "%lld", now_ms);
    snprintf(idle, sizeof idle, "%lld", idle_ms);
    const char *keys[] = {key};
    const char *args[] = {now, idle};
    if (queue_script_eval_async(rc, &script_session_touch, on_touch, w, 1, keys, 2, args, NULL) !=
        0) {
        free(w);
        return -1;
    }
    return 0;
}

static enum queue_status integer_status(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_INTEGER ? QUEUE_OK : QUEUE_UNAVAILABLE;
}

int queue_sessions_delete_async(struct rconn *rc, const char *prefix, const char *hash,
                                queue_status_cb cb, void *arg)
{
    struct queue_status_wait *w = queue_status_wait_new(integer_status, cb, arg);
    if (!w)
        return -1;
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_SESSION, prefix, hash);
    if (queue_rconn_command(rc, queue_on_status_reply, w, "DEL %s", key) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- a member's family ---- */

/*
 * A member's subscriber and, for the subscriber, the family's names and
 * relationships. The member's directory entry (queue/members.h) names its
 * family; the family set and its records are on that family's shard with
 * the member record, so this one script reads them by the ids in the family
 * set (keys built from ARGV, all of that one slot).
 * KEYS: 1 the member record
 * ARGV: 1 the member id, 2 the family set key prefix, 3 the member key prefix
 *       (both on the family's shard), 4 the subscriber its directory entry
 *       names
 * Returns {} when there is no record, else {subscriber_id, id, first_name,
 * relationship, ...} (the family only when the member is the subscriber,
 * as its directory entry says too: else the family would be on another
 * shard).
 */
static struct script script_member_family = {
    "member_family",
    "local raw = redis.call('GET', KEYS[1])\n"
    "if not raw then return {} end\n"
    "local ok, m = pcall(cjson.decode, raw)\n"
    "if not ok or type(m) ~= 'table' then return {} end\n"
    "local sub = m.subscriber_id\n"
    "if type(sub) ~= 'string' then sub = '' end\n"
    "local out = {sub}\n"
    "if sub ~= ARGV[1] or sub ~= ARGV[4] then return out end\n"
    "local ids = redis.call('SMEMBERS', ARGV[2] .. sub)\n"
    "table.sort(ids)\n"
    "local function add(id, rec)\n"
    "  local fname, rel = '', ''\n"
    "  if type(rec.first_name) == 'string' then fname = rec.first_name end\n"
    "  if type(rec.relationship) == 'string' then rel = rec.relationship end\n"
    "  out[#out + 1] = id; out[#out + 1] = fname; out[#out + 1] = rel\n"
    "end\n"
    "add(ARGV[1], m)\n"
    "for _, id in ipairs(ids) do\n"
    "  if id ~= ARGV[1] then\n"
    "    local r = redis.call('GET', ARGV[3] .. id)\n"
    "    if r then\n"
    "      local ok2, d = pcall(cjson.decode, r)\n"
    "      if ok2 and type(d) == 'table' and d.subscriber_id == sub then add(id, d) end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return out\n",
    "",
};

struct family_wait {
    accounts_family_cb cb;
    void *arg;
};

static void on_family(redisReply *reply, void *arg)
{
    struct family_wait w = *(struct family_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_error("member family: %s", reply->str);
        w.cb(QUEUE_UNAVAILABLE, NULL, NULL, 0, w.arg);
        return;
    }
    if (reply->elements == 0) {
        w.cb(QUEUE_NOT_FOUND, NULL, NULL, 0, w.arg);
        return;
    }
    struct family_entry *fam = calloc(FAMILY_MAX, sizeof *fam);
    if (!fam) {
        w.cb(QUEUE_UNAVAILABLE, NULL, NULL, 0, w.arg);
        return;
    }
    char sub[ID_LEN];
    copy_str(sub, sizeof sub, reply->element[0]);
    size_t n = 0;
    for (size_t i = 1; i + 2 < reply->elements + 0 && n < FAMILY_MAX; i += 3, n++) {
        copy_str(fam[n].member_id, sizeof fam[n].member_id, reply->element[i]);
        copy_str(fam[n].first_name, sizeof fam[n].first_name, reply->element[i + 1]);
        copy_str(fam[n].relationship, sizeof fam[n].relationship, reply->element[i + 2]);
    }
    w.cb(QUEUE_OK, sub, fam, n, w.arg);
    free(fam);
}

struct family_read {
    struct rconn *rc;
    accounts_family_cb cb;
    void *arg;
    char prefix[SHARD_PREFIX_LEN];
    char member_id[ID_LEN];
};

/* The directory entry names the member's family: its records, on the
 * family's shard, in one script. */
static void on_member_ref(enum queue_status status, const struct queue_member_ref *ref, void *arg)
{
    struct family_read *fr = arg;
    if (status != QUEUE_OK) {
        fr->cb(status == QUEUE_NOT_FOUND ? QUEUE_NOT_FOUND : QUEUE_UNAVAILABLE, NULL, NULL, 0,
               fr->arg);
        free(fr);
        return;
    }
    struct family_wait *w = malloc(sizeof *w);
    if (!w) {
        fr->cb(QUEUE_UNAVAILABLE, NULL, NULL, 0, fr->arg);
        free(fr);
        return;
    }
    w->cb = fr->cb;
    w->arg = fr->arg;
    char k_member[KEY_LEN], fam_prefix[KEY_LEN], member_prefix[KEY_LEN];
    queue_member_key(k_member, fr->prefix, ref->subscriber_id, fr->member_id);
    snprintf(fam_prefix, sizeof fam_prefix, KEYF_FAMILY,
             FAMILY_PREFIX(fr->prefix, ref->subscriber_id), "");
    queue_member_key(member_prefix, fr->prefix, ref->subscriber_id, "");
    const char *keys[] = {k_member};
    const char *args[] = {fr->member_id, fam_prefix, member_prefix, ref->subscriber_id};
    queue_script_ready(&script_member_family);
    if (queue_script_eval_async(fr->rc, &script_member_family, on_family, w, 1, keys, 4, args,
                                NULL) != 0) {
        free(w);
        fr->cb(QUEUE_UNAVAILABLE, NULL, NULL, 0, fr->arg);
    }
    free(fr);
}

int queue_accounts_member_family_async(struct rconn *rc, const char *prefix, const char *member_id,
                                       accounts_family_cb cb, void *arg)
{
    if (strlen(member_id) >= ID_LEN)
        return -1;
    struct family_read *fr = malloc(sizeof *fr);
    if (!fr)
        return -1;
    *fr = (struct family_read){.rc = rc, .cb = cb, .arg = arg};
    snprintf(fr->prefix, sizeof fr->prefix, "%s", prefix);
    snprintf(fr->member_id, sizeof fr->member_id, "%s", member_id);
    if (queue_member_dir_get(rc, prefix, member_id, on_member_ref, fr) != 0) {
        free(fr);
        return -1;
    }
    return 0;
}
