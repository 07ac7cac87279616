/*
 * Secrets made here: random bytes from the kernel and the one-time
 * invitation codes of people's accounts (docs/api.md "Accounts and
 * sessions"). Both POST /v1/invitations and the sample invitations printed at
 * first start (server/seed.c) make their codes with secret_invitation_code_new.
 */
#ifndef CLAIMS_SECRET_H
#define CLAIMS_SECRET_H

#include <stddef.h>

#define SECRET_INVITATION_PREFIX "inv_"
#define SECRET_INVITATION_CODE_LEN (4 + 64) /* "inv_" and 64 hex digits: 256 random bits */
#define SECRET_INVITATION_TTL_SECONDS (7 * 24 * 3600)

/* n bytes from getrandom(2). Returns 0, or -1 when the kernel gives none. */
int secret_random_bytes(unsigned char *out, size_t n);

/* A new invitation code, "inv_" and 64 lower-case hex digits. Returns 0 or -1. */
int secret_invitation_code_new(char out[SECRET_INVITATION_CODE_LEN + 1]);

#endif
