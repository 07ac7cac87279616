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

#define TOKEN_HASH_HEX_LEN 65 /* 64 hex digits and the NUL */
#define TOKEN_TEXT_LEN 69     /* "clm_" + 64 hex digits and the NUL */
#define BOOTSTRAP_TOKEN_MIN_LEN 32

/* SHA-256 of the token text, as lower-case hex. */
void token_hash_hex(const char *token, size_t len, char out[TOKEN_HASH_HEX_LEN]);

/* A new random token "clm_<64 hex>" from the kernel's CSPRNG. Returns 0 or -1. */
int token_generate(char out[TOKEN_TEXT_LEN]);

/* Registers the bootstrap admin token (its hash only) under the token id
 * "bootstrap", replacing an earlier bootstrap token. Blocking; returns 0 or -1. */
int tokens_register_bootstrap(redisContext *c, const char *prefix, const char *token);

/* Creates a token (blocking): a new random token and token id, stored as the
 * hash with role and member id or NPI (empty strings when not applicable).
 * Returns 0 with the token's text and id filled in, or -1. */
int tokens_create_blocking(redisContext *c, const char *prefix, const char *role,
                           const char *member_id, const char *npi, char token[TOKEN_TEXT_LEN],
                           char token_id[37]);

#endif
