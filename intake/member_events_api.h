/* Enrollment events (docs/api.md "Member events", docs/rules.md "Enrollment events"). */
#ifndef CLAIMS_MEMBER_EVENTS_API_H
#define CLAIMS_MEMBER_EVENTS_API_H

#include "intake/api.h"

/* Answers POST /v1/members/{member_id}/events (docs/api.md "Member events"): checks the
 * event, then applies it to the member's family records and audits it. */
void intake_member_events_post(struct call *call);

#endif
