/*
 * Invitations made at start-up (server/seed.c prints one per sample person),
 * over a blocking connection, before the event loop runs.
 *
 * The invitation is the one POST /v1/invitations makes (intake/accounts_api.c,
 * queue/accounts.h): a code "inv_" and 64 hex digits, stored only as the
 * SHA-256 hex of the code (token_hash_hex) under the layout of
 * accounts_invitation_store_async, for 7 days, accepted once with
 * POST /v1/accounts. This file is the blocking twin of that call; keep the
 * two in step (or fold this one into queue/accounts.c).
 */
#ifndef CLAIMS_QUEUE_INVITATIONS_SEED_H
#define CLAIMS_QUEUE_INVITATIONS_SEED_H

struct redisContext;

#define SEED_INVITATION_CODE_LEN (4 + 64) /* "inv_" and 64 hex digits */
#define SEED_INVITATION_TTL_SECONDS (7 * 24 * 3600)

/* Creates an invitation for role ("member" with member_id, "provider" with
 * npi, "staff" or "admin" with neither; "" for the id it does not need).
 * code receives it (shown once: the store keeps its hash), expires_at its end
 * in RFC 3339. Returns 0 or -1. Blocking. */
int invitation_create_blocking(struct redisContext *c, const char *prefix, const char *role,
                               const char *member_id, const char *npi,
                               char code[SEED_INVITATION_CODE_LEN + 1], char expires_at[32]);

#endif
