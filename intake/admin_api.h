/* Enrollment records and tokens (API.md "Enrollment records", "Roles"). */
#ifndef CLAIMS_ADMIN_API_H
#define CLAIMS_ADMIN_API_H

#include "intake/api.h"

enum record_kind { RECORD_GROUP, RECORD_MEMBER, RECORD_PLAN };

void admin_put_record(struct call *call, enum record_kind kind); /* PUT /v1/{groups,members,plans}/{id} */
void admin_get_record(struct call *call, enum record_kind kind); /* GET the same */
void admin_post_token(struct call *call);                        /* POST /v1/tokens */
void admin_delete_token(struct call *call);                      /* DELETE /v1/tokens/{id} */

#endif
