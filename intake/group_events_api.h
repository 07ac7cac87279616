/*
 * POST /v1/groups/{group_id}/events (admin, staff): a dated change of a
 * group's employee_count or Medicare certification (issue 13 "every fact
 * dated"; docs/api.md "Group events").
 */
#ifndef CLAIMS_INTAKE_GROUP_EVENTS_API_H
#define CLAIMS_INTAKE_GROUP_EVENTS_API_H

#include "intake/api.h"

/* POST /v1/groups/{group_id}/events: answers and frees the call. */
void intake_group_events_post(struct call *call);

#endif
