/* Enrollment events (docs/api.md "Member events", docs/rules.md "Enrollment events"). */
#ifndef CLAIMS_MEMBER_EVENTS_API_H
#define CLAIMS_MEMBER_EVENTS_API_H

#include "intake/api.h"

void member_events_post(struct call *call); /* POST /v1/members/{member_id}/events */

#endif
