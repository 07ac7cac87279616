/*
 * People's accounts (docs/api.md "Accounts and sessions"): invitations,
 * accounts made from them, sign-in sessions kept in a cookie, and who is
 * signed in. API tokens stay for programs.
 */
#ifndef CLAIMS_ACCOUNTS_API_H
#define CLAIMS_ACCOUNTS_API_H

#include "intake/api.h"

/* POST /v1/invitations: answers and frees the call. */
void intake_invitations_post(struct call *call);
/* POST /v1/accounts: answers and frees the call. */
void intake_accounts_post(struct call *call);
/* POST /v1/sessions: answers and frees the call. */
void intake_sessions_post(struct call *call);
/* DELETE /v1/sessions/current: answers and frees the call. */
void intake_sessions_delete_current(struct call *call);
/* GET /v1/me: answers and frees the call. */
void intake_me_get(struct call *call);

/* The session cookie's name. */
#define SESSION_COOKIE "claimsd_session"

#endif
