/*
 * People's accounts (docs/api.md "Accounts and sessions"): invitations,
 * accounts made from them, sign-in sessions kept in a cookie, and who is
 * signed in. API tokens stay for programs.
 */
#ifndef CLAIMS_ACCOUNTS_API_H
#define CLAIMS_ACCOUNTS_API_H

#include "intake/api.h"

void invitations_post(struct call *call);        /* POST /v1/invitations */
void accounts_post(struct call *call);           /* POST /v1/accounts */
void sessions_post(struct call *call);           /* POST /v1/sessions */
void sessions_delete_current(struct call *call); /* DELETE /v1/sessions/current */
void me_get(struct call *call);                  /* GET /v1/me */

/* The session cookie's name. */
#define SESSION_COOKIE "claimsd_session"

#endif
