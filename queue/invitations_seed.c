#include "invitations_seed.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "queue/tokens.h"

/* The layout of accounts_invitation_store_async (queue/accounts.c). */
#define KEYF_SEED_INVITE "%sinvite:%s" /* prefix, sha256 hex of the code: hash */

static int random_code(char out[SEED_INVITATION_CODE_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char b[32];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0)
            return -1;
        got += (size_t)n;
    }
    memcpy(out, "inv_", 4);
    for (size_t i = 0; i < sizeof b; i++) {
        out[4 + 2 * i] = digits[b[i] >> 4];
        out[5 + 2 * i] = digits[b[i] & 15];
    }
    out[SEED_INVITATION_CODE_LEN] = '\0';
    explicit_bzero(b, sizeof b);
    return 0;
}

static void rfc3339_at(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int invitation_create_blocking(redisContext *c, const char *prefix, const char *role,
                               const char *member_id, const char *npi,
                               char code[SEED_INVITATION_CODE_LEN + 1], char expires_at[32])
{
    if (random_code(code) != 0)
        return -1;
    char hash[TOKEN_HASH_HEX_LEN], created_at[32], key[512];
    token_hash_hex(code, strlen(code), hash);
    time_t now = time(NULL);
    rfc3339_at(now, created_at);
    rfc3339_at(now + SEED_INVITATION_TTL_SECONDS, expires_at);
    snprintf(key, sizeof key, KEYF_SEED_INVITE, prefix, hash);
    redisAppendCommand(c, "MULTI");
    redisAppendCommand(c, "HSET %s role %s member_id %s npi %s created_at %s created_by %s", key,
                       role, member_id, npi, created_at, "seed");
    redisAppendCommand(c, "EXPIRE %s %d", key, SEED_INVITATION_TTL_SECONDS);
    redisAppendCommand(c, "EXEC");
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR ||
            (i == 3 && r->type != REDIS_REPLY_ARRAY))
            rc = -1;
        if (r)
            freeReplyObject(r);
    }
    return rc;
}
