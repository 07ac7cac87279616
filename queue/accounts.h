/*
 * People's accounts, their invitations, sign-in failures and sessions in
 * Redis (docs/api.md "Accounts and sessions"). Key layout (unsharded, like
 * tokens; formats private to queue/accounts.c):
 *   <prefix>invite:<sha256 hex of the code>   hash: role, member_id, npi, created_at,
 *                                             created_by; expires with the invitation
 *   <prefix>account:<username>                hash: account_id, username, role, member_id,
 *                                             npi, password_hash (Argon2id), created_at
 *   <prefix>signin_fail:<username>            zset: failed sign-ins by time (ms)
 *   <prefix>session:<sha256 hex of the id>    hash: account_id, role, member_id, npi, csrf,
 *                                             created_at_ms, expires_at_ms; expires when idle
 * Neither an invitation code nor a session id is stored: only their hashes.
 *
 * Every asynchronous call returns 0 when sent (its callback is called once)
 * or -1 when not (no connection, out of memory; the callback is not called).
 * What a callback receives is valid during the call only.
 */
#ifndef CLAIMS_QUEUE_ACCOUNTS_H
#define CLAIMS_QUEUE_ACCOUNTS_H

struct redisContext;

#include <stddef.h>

#include "model.h"
#include "queue/rlink.h"
#include "queue/status.h"

struct rconn;

#define ACCOUNT_USERNAME_LEN 65
#define ACCOUNT_HASH_LEN 256
#define SESSION_CSRF_LEN 64

struct account_record {
    char account_id[37];
    char username[ACCOUNT_USERNAME_LEN];
    char role[16];
    char member_id[ID_LEN];
    char npi[NPI_LEN];
    char password_hash[ACCOUNT_HASH_LEN];
};

/* Stores an invitation (hash: SHA-256 hex of its code) that expires after
 * ttl_seconds. QUEUE_OK or QUEUE_UNAVAILABLE. */
int queue_accounts_invitation_store_async(struct rconn *rc, const char *prefix, const char *hash,
                                          const char *role, const char *member_id, const char *npi,
                                          const char *created_at, const char *created_by,
                                          int ttl_seconds, queue_status_cb cb, void *arg);

/* The same, blocking, before the event loop runs (the sample invitations
 * server/seed.c prints at first start). Returns 0 or -1. */
int queue_accounts_invitation_store_blocking(struct rlink *c, const char *prefix, const char *hash,
                                             const char *role, const char *member_id,
                                             const char *npi, const char *created_at,
                                             const char *created_by, int ttl_seconds);

enum accounts_create_result {
    ACCOUNTS_CREATED,
    ACCOUNTS_INVALID_INVITATION, /* unknown, used or expired */
    ACCOUNTS_USERNAME_TAKEN,
    ACCOUNTS_UNAVAILABLE,
};

/* rec (ACCOUNTS_CREATED only, else NULL): the new account, without its hash. */
typedef void (*accounts_create_cb)(enum accounts_create_result result,
                                   const struct account_record *rec, void *arg);

/* Creates the account username from the invitation invite_hash in one
 * script: the invitation is consumed exactly when the account is created
 * (a taken username leaves it usable). */
int queue_accounts_create_async(struct rconn *rc, const char *prefix, const char *invite_hash,
                                const char *username, const char *password_hash,
                                const char *account_id, const char *created_at,
                                accounts_create_cb cb, void *arg);

/* Answer of queue_accounts_signin_lookup_async: status -1 when Redis did not
 * answer; else retry_after_ms > 0 when username has max_failures failures
 * within the window (then how long until one more attempt is let through),
 * and rec the account (NULL when there is none). */
typedef void (*accounts_signin_cb)(int status, long long retry_after_ms,
                                   const struct account_record *rec, void *arg);

/* Reads the account and its recent sign-in failures in one step (failures
 * older than window_ms are dropped). */
int queue_accounts_signin_lookup_async(struct rconn *rc, const char *prefix, const char *username,
                                       long long now_ms, long long window_ms, int max_failures,
                                       accounts_signin_cb cb, void *arg);

/* Counts one failed sign-in for username at now_ms (unique names it), kept
 * for window_ms. QUEUE_OK or QUEUE_UNAVAILABLE. */
int queue_accounts_signin_failed_async(struct rconn *rc, const char *prefix, const char *username,
                                       long long now_ms, const char *unique, long long window_ms,
                                       queue_status_cb cb, void *arg);

struct session_record {
    char account_id[37];
    char role[16];
    char member_id[ID_LEN];
    char npi[NPI_LEN];
    char csrf[SESSION_CSRF_LEN];
    long long expires_at_ms; /* the end of its lifetime, whatever its use */
};

/* Stores a new session under hash (SHA-256 hex of its id), idle for at most
 * idle_ms, and clears username's sign-in failures, in one transaction.
 * QUEUE_OK or QUEUE_UNAVAILABLE. */
int queue_sessions_store_async(struct rconn *rc, const char *prefix, const char *hash,
                               const struct session_record *rec, long long now_ms,
                               long long idle_ms, const char *username, queue_status_cb cb,
                               void *arg);

/* Answer of queue_sessions_touch_async: 1 with the session, 0 when there is none
 * (unknown, idle too long or past its lifetime), -1 when Redis did not
 * answer. */
typedef void (*sessions_touch_cb)(int status, const struct session_record *rec, void *arg);

/* Looks the session up and, when it lives, moves its idle expiry to
 * now + idle_ms (never past its lifetime); one expired by lifetime is
 * deleted. */
int queue_sessions_touch_async(struct rconn *rc, const char *prefix, const char *hash,
                               long long now_ms, long long idle_ms, sessions_touch_cb cb,
                               void *arg);

/* Deletes the session: QUEUE_OK (also when it was gone already) or
 * QUEUE_UNAVAILABLE. */
int queue_sessions_delete_async(struct rconn *rc, const char *prefix, const char *hash,
                                queue_status_cb cb, void *arg);

/* One member of a family as GET /v1/me lists it. */
struct family_entry {
    char member_id[ID_LEN];
    char first_name[64];
    char relationship[32];
};

#define FAMILY_MAX 32

/* Answer of queue_accounts_member_family_async: QUEUE_OK with the member's
 * subscriber id and, when the member is the subscriber, the family (the
 * subscriber first, then the others by member id; at most FAMILY_MAX);
 * QUEUE_NOT_FOUND when there is no member record; QUEUE_UNAVAILABLE. */
typedef void (*accounts_family_cb)(enum queue_status status, const char *subscriber_id,
                                   const struct family_entry *family, size_t n, void *arg);

/* Reads a member's subscriber id and, for a subscriber, the family; returns 0
 * when sent (cb is called once) or -1 when not (member_id too long, no
 * connection, out of memory: cb is not called). */
int queue_accounts_member_family_async(struct rconn *rc, const char *prefix, const char *member_id,
                                       accounts_family_cb cb, void *arg);

#endif
