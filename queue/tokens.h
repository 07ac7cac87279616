/*
 * API tokens (API.md "Roles"): random 256-bit values shown once, stored only
 * as their SHA-256 hash. Key layout in docs/operations.md:
 *   <prefix>token:<sha256 hex>   hash: token_id, role, member_id, npi, created_at
 *   <prefix>token_id:<token_id>  the sha256 hex, to revoke by id
 */
#ifndef CLAIMS_TOKENS_H
#define CLAIMS_TOKENS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "model.h"
#include "queue/rlink.h"

#define TOKEN_HASH_HEX_LEN 65 /* 64 hex digits and the NUL */
#define TOKEN_TEXT_LEN 69     /* "clm_" + 64 hex digits and the NUL */
#define BOOTSTRAP_TOKEN_MIN_LEN 32

/* What a token grants, as stored in its hash (strings; "" when absent). */
struct token_record {
    char token_id[64];
    char role[16]; /* member, provider, staff, admin */
    char member_id[ID_LEN];
    char npi[NPI_LEN];
};

/* SHA-256 of the token text, as lower-case hex. */
void queue_token_hash_hex(const char *token, size_t len, char out[TOKEN_HASH_HEX_LEN]);

/* A new random token "clm_<64 hex>" from the kernel's CSPRNG. Returns 0 or -1. */
int queue_token_generate(char out[TOKEN_TEXT_LEN]);

/* Registers the bootstrap admin token (its hash only) under the token id
 * "bootstrap", replacing an earlier bootstrap token, whose hash it publishes
 * as revoked (queue/token_sub.h) in the same transaction. Blocking; returns
 * 0 or -1. */
int queue_tokens_register_bootstrap(struct rlink *c, const char *prefix, const char *token);

/* Creates a token (blocking): a new random token and token id, stored as the
 * hash with role and member id or NPI (empty strings when not applicable).
 * Returns 0 with the token's text and id filled in, or -1. */
int queue_tokens_create_blocking(struct rlink *c, const char *prefix, const char *role,
                                 const char *member_id, const char *npi, char token[TOKEN_TEXT_LEN],
                                 char token_id[37]);

/* ---- asynchronous, on the event loop ---- */

struct rconn;

/* Answer of queue_tokens_lookup_async: status 1 with the token's record, 0 when
 * Redis holds no such token (rec NULL), -1 when Redis did not answer (rec
 * NULL). rec is valid only during the call. */
typedef void (*tokens_lookup_cb)(int status, const struct token_record *rec, void *arg);

/* Reads the token stored under hash (queue_token_hash_hex). Returns 0 when the
 * command was sent (cb is called once), -1 when there is no connection (cb
 * is not called). */
int queue_tokens_lookup_async(struct rconn *rc, const char *prefix, const char *hash,
                              tokens_lookup_cb cb, void *arg);

/* Answer of queue_tokens_store_async: 0 when both keys were written, -1 when Redis
 * did not answer or refused. */
typedef void (*tokens_store_cb)(int status, void *arg);

/* Stores a new token in one transaction: its hash (hash: queue_token_hash_hex of
 * the token) with rec's token id, role, member id and NPI ("" when not
 * applicable) and created_at (RFC 3339), and its id's key, to revoke it by
 * id. Every string is copied before the call returns. Returns 0 when sent
 * (cb is called once), -1 when there is no connection (cb is not called). */
int queue_tokens_store_async(struct rconn *rc, const char *prefix, const char *hash,
                             const struct token_record *rec, const char *created_at,
                             tokens_store_cb cb, void *arg);

/* Answer of queue_tokens_revoke_async: status 1 when the token was deleted (hash
 * is its SHA-256 hex), 0 when no token has that id, -1 when Redis did not
 * answer (hash NULL). hash is valid only during the call. */
typedef void (*tokens_revoke_cb)(int status, const char *hash, void *arg);

/* Revokes the token token_id in one step: deletes both its keys and
 * publishes its hash on the revocation channel, so that every process drops
 * it from its token cache. On a cluster (the two keys on different slots)
 * it takes four: read the hash, delete the token, publish, delete the id
 * (a revocation cut short is finished by the next one of that id).
 * Returns 0 when sent (cb is called once), -1 when there is no connection
 * (cb is not called). */
int queue_tokens_revoke_async(struct rconn *rc, const char *prefix, const char *token_id,
                              tokens_revoke_cb cb, void *arg);

#endif
