#include "tokens.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "queue/keys.h"
#include "queue/redis_conn.h"
#include "queue/reply.h"
#include <uuid/uuid.h>

static void to_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

void queue_token_hash_hex(const char *token, size_t len, char out[TOKEN_HASH_HEX_LEN])
{
    unsigned char digest[32];
    unsigned int dlen = 0;
    EVP_Digest(token, len, digest, &dlen, EVP_sha256(), NULL);
    to_hex(digest, 32, out);
}

int queue_token_generate(char out[TOKEN_TEXT_LEN])
{
    unsigned char bytes[32];
    size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0)
            return -1;
        got += (size_t)n;
    }
    memcpy(out, "clm_", 4);
    to_hex(bytes, sizeof bytes, out + 4);
    return 0;
}

static bool reply_ok(redisReply *r)
{
    return r && r->type != REDIS_REPLY_ERROR;
}

/* Reads the answers of n pipelined commands (redisAppendCommand), freeing
 * each; 0 when every one came without an error, else -1 (all n are read
 * either way). */
static int read_answers(struct rlink *c, int n)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (queue_rlink_get_reply(c, &r) != REDIS_OK || !reply_ok(r))
            rc = -1;
        if (r)
            freeReplyObject(r);
    }
    return rc;
}

int queue_tokens_register_bootstrap(struct rlink *c, const char *prefix, const char *token)
{
    char hash[TOKEN_HASH_HEX_LEN];
    queue_token_hash_hex(token, strlen(token), hash);
    char now[32];
    rfc3339_now(now);

    redisReply *old = queue_rlink_command(c, "GET %stoken_id:bootstrap", prefix);
    if (!reply_ok(old)) {
        if (old)
            freeReplyObject(old);
        return -1;
    }
    /* One transaction: the old bootstrap token stops working as the new one starts. */
    queue_rlink_append(c, "MULTI");
    int queued = 1;
    if (old->type == REDIS_REPLY_STRING && strcmp(old->str, hash) != 0) {
        queue_rlink_append(c, "DEL " KEYF_TOKEN, prefix, old->str);
        /* Every running claimsd drops the old token from its cache. */
        queue_rlink_append(c, "PUBLISH " CHANF_TOKEN_REVOKED " %s", prefix, old->str);
        queued += 2;
    }
    freeReplyObject(old);
    queue_rlink_append(c, "HSET %stoken:%s token_id bootstrap role admin created_at %s", prefix,
                       hash, now);
    queue_rlink_append(c, "SET %stoken_id:bootstrap %s", prefix, hash);
    queue_rlink_append(c, "EXEC");
    queued += 3;
    int rc = read_answers(c, queued);
    if (rc == 0)
        log_info("bootstrap admin token registered (token_id bootstrap)");
    return rc;
}

int queue_tokens_create_blocking(struct rlink *c, const char *prefix, const char *role,
                                 const char *member_id, const char *npi, char token[TOKEN_TEXT_LEN],
                                 char token_id[37])
{
    if (queue_token_generate(token) != 0)
        return -1;
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, token_id);
    char hash[TOKEN_HASH_HEX_LEN], now[32];
    queue_token_hash_hex(token, strlen(token), hash);
    rfc3339_now(now);
    queue_rlink_append(c, "MULTI");
    queue_rlink_append(c,
                       "HSET " KEYF_TOKEN " token_id %s role %s member_id %s npi %s created_at %s",
                       prefix, hash, token_id, role, member_id, npi, now);
    queue_rlink_append(c, "SET " KEYF_TOKEN_ID " %s", prefix, token_id, hash);
    queue_rlink_append(c, "EXEC");
    return read_answers(c, 4);
}

/* ---- asynchronous ---- */

struct lookup_wait {
    tokens_lookup_cb cb;
    void *arg;
};

/* The HGETALL of a token hash: field/value pairs, none when unknown. */
static void on_lookup(redisReply *reply, void *arg)
{
    struct lookup_wait w = *(struct lookup_wait *)arg;
    free(arg);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        w.cb(-1, NULL, w.arg);
        return;
    }
    struct token_record rec = {0};
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *k = reply->element[i], *v = reply->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(k->str, "token_id") == 0)
            snprintf(rec.token_id, sizeof rec.token_id, "%s", v->str);
        else if (strcmp(k->str, "role") == 0)
            snprintf(rec.role, sizeof rec.role, "%s", v->str);
        else if (strcmp(k->str, "member_id") == 0)
            snprintf(rec.member_id, sizeof rec.member_id, "%s", v->str);
        else if (strcmp(k->str, "npi") == 0)
            snprintf(rec.npi, sizeof rec.npi, "%s", v->str);
    }
    if (reply->elements == 0)
        w.cb(0, NULL, w.arg);
    else
        w.cb(1, &rec, w.arg);
}

int queue_tokens_lookup_async(struct rconn *rc, const char *prefix, const char *hash,
                              tokens_lookup_cb cb, void *arg)
{
    struct lookup_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_TOKEN, prefix, hash);
    if (queue_rconn_command(rc, on_lookup, w, "HGETALL %s", key) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

struct store_wait {
    tokens_store_cb cb;
    void *arg;
};

/* EXEC's answer: an array when the transaction ran. */
static void on_store(redisReply *reply, void *arg)
{
    struct store_wait w = *(struct store_wait *)arg;
    free(arg);
    w.cb(reply && reply->type == REDIS_REPLY_ARRAY ? 0 : -1, w.arg);
}

int queue_tokens_store_async(struct rconn *rc, const char *prefix, const char *hash,
                             const struct token_record *rec, const char *created_at,
                             tokens_store_cb cb, void *arg)
{
    struct store_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char k_token[KEY_LEN], k_id[KEY_LEN];
    snprintf(k_token, sizeof k_token, KEYF_TOKEN, prefix, hash);
    snprintf(k_id, sizeof k_id, KEYF_TOKEN_ID, prefix, rec->token_id);
    if (queue_rconn_command(rc, queue_ignore_reply, NULL, "MULTI") != 0) {
        free(w);
        return -1;
    }
    queue_rconn_command(rc, queue_ignore_reply, NULL,
                        "HSET %s token_id %s role %s member_id %s npi %s created_at %s", k_token,
                        rec->token_id, rec->role, rec->member_id, rec->npi, created_at);
    queue_rconn_command(rc, queue_ignore_reply, NULL, "SET %s %s", k_id, hash);
    if (queue_rconn_command(rc, on_store, w, "EXEC") != 0) {
        free(w);
        return -1;
    }
    return 0;
}

struct revoke_wait {
    tokens_revoke_cb cb;
    void *arg;
};

static void on_revoke(redisReply *reply, void *arg)
{
    struct revoke_wait w = *(struct revoke_wait *)arg;
    free(arg);
    if (reply && reply->type == REDIS_REPLY_STRING)
        w.cb(1, reply->str, w.arg);
    else if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0)
        w.cb(0, NULL, w.arg);
    else
        w.cb(-1, NULL, w.arg);
}

/* KEYS[1] the token id's key; ARGV[1] the token key prefix, ARGV[2] the
 * revocation channel. Both keys go together, or neither, and the hash is
 * published in the same step. */
static const char revoke_script[] = "local h = redis.call('GET', KEYS[1]) "
                                    "if not h then return 0 end "
                                    "redis.call('DEL', ARGV[1] .. h) "
                                    "redis.call('DEL', KEYS[1]) "
                                    "redis.call('PUBLISH', ARGV[2], h) "
                                    "return h";

/* A revocation on a cluster, step by step (tokens.h): each step starts when
 * the one before was answered. */
struct revoke_steps {
    struct rconn *rc;
    tokens_revoke_cb cb;
    void *arg;
    int step;
    char k_id[KEY_LEN], token_prefix[KEY_LEN], channel[KEY_LEN];
    char hash[TOKEN_HASH_HEX_LEN];
};

/* Deletes the id's key only while it still names this hash. */
static const char revoke_id_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 1";

static void on_revoke_step(redisReply *reply, void *arg)
{
    struct revoke_steps *st = arg;
    int sent = -1;
    bool ok = reply && reply->type != REDIS_REPLY_ERROR;
    if (ok && st->step == 0 && reply->type == REDIS_REPLY_NIL) {
        st->cb(0, NULL, st->arg);
        free(st);
        return;
    }
    if (ok && st->step == 0 && reply->type == REDIS_REPLY_STRING && reply->len < sizeof st->hash) {
        snprintf(st->hash, sizeof st->hash, "%s", reply->str);
        st->step = 1;
        sent =
            queue_rconn_command(st->rc, on_revoke_step, st, "DEL %s%s", st->token_prefix, st->hash);
    } else if (ok && st->step == 1) {
        st->step = 2; /* keyless: from slot 0's master, like the heartbeats */
        sent =
            queue_rconn_command(st->rc, on_revoke_step, st, "PUBLISH %s %s", st->channel, st->hash);
    } else if (ok && st->step == 2) {
        st->step = 3;
        sent = queue_rconn_command(st->rc, on_revoke_step, st, "EVAL %s 1 %s %s", revoke_id_script,
                                   st->k_id, st->hash);
    } else if (ok && st->step == 3) {
        st->cb(1, st->hash, st->arg);
        free(st);
        return;
    }
    if (sent != 0) {
        st->cb(-1, NULL, st->arg);
        free(st);
    }
}

static int revoke_in_steps(struct rconn *rc, const char *k_id, const char *token_prefix,
                           const char *channel, tokens_revoke_cb cb, void *arg)
{
    struct revoke_steps *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    *st = (struct revoke_steps){.rc = rc, .cb = cb, .arg = arg};
    snprintf(st->k_id, sizeof st->k_id, "%s", k_id);
    snprintf(st->token_prefix, sizeof st->token_prefix, "%s", token_prefix);
    snprintf(st->channel, sizeof st->channel, "%s", channel);
    if (queue_rconn_command(rc, on_revoke_step, st, "GET %s", k_id) != 0) {
        free(st);
        return -1;
    }
    return 0;
}

int queue_tokens_revoke_async(struct rconn *rc, const char *prefix, const char *token_id,
                              tokens_revoke_cb cb, void *arg)
{
    struct revoke_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char k_id[KEY_LEN], token_prefix[KEY_LEN], channel[KEY_LEN];
    snprintf(k_id, sizeof k_id, KEYF_TOKEN_ID, prefix, token_id);
    snprintf(token_prefix, sizeof token_prefix, KEYF_TOKEN, prefix, "");
    snprintf(channel, sizeof channel, CHANF_TOKEN_REVOKED, prefix);
    if (queue_rconn_is_cluster(rc)) {
        free(w);
        return revoke_in_steps(rc, k_id, token_prefix, channel, cb, arg);
    }
    if (queue_rconn_command(rc, on_revoke, w, "EVAL %s 1 %s %s %s", revoke_script, k_id,
                            token_prefix, channel) != 0) {
        free(w);
        return -1;
    }
    return 0;
}
