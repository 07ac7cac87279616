/* Enrollment records and tokens (API.md "Enrollment records", "Roles"). */
#ifndef CLAIMS_ADMIN_API_H
#define CLAIMS_ADMIN_API_H

#include "intake/api.h"

enum record_kind { RECORD_GROUP, RECORD_MEMBER, RECORD_PLAN };

/* Answers PUT /v1/{groups,members,plans}/{id} (admin only): checks the record and the records
 * it refers to, then stores it. */
void intake_admin_put_record(struct call *call, enum record_kind kind);
/* Answers GET /v1/{groups,members,plans}/{id} (admin; staff for a member) with the stored
 * record. */
void intake_admin_get_record(struct call *call, enum record_kind kind);
/* Answers POST /v1/tokens (admin only): creates an API token and returns it once. */
void intake_admin_post_token(struct call *call);
/* Answers DELETE /v1/tokens/{id} (admin only): revokes the token. */
void intake_admin_delete_token(struct call *call);

#endif
