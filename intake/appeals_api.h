/*
 * Appeals of decided claims (docs/api.md "Appeals", docs/rules.md "Appeals"):
 * filing one, reading one, the staff list, the staff decision, and the open
 * and overdue counts of GET /v1/queue and /metrics. Each handler takes a
 * fresh call.
 */
#ifndef CLAIMS_APPEALS_API_H
#define CLAIMS_APPEALS_API_H

#include "intake/api.h"

void appeals_file(struct call *call);     /* POST /v1/claims/{id}/appeals */
void appeals_get(struct call *call);      /* GET /v1/appeals/{id} */
void appeals_list(struct call *call);     /* GET /v1/appeals */
void appeals_decide(struct call *call);   /* POST /v1/appeals/{id}/decision */

/* An overturned appeal, its decision checked and not stored yet: the claim
 * must be decided again through the adjustment path (issue 14, "an overturn
 * re-decides the claim through the adjustment path and issues a new EOB
 * version"), and only then is the decision stored, by calling store(call).
 * The adjustment path does not exist on this branch: for now this answers
 * 501 not_implemented and stores nothing (the appeal stays open). lines: the
 * checked decision lines as the API writes them ([{"line", "allowed",
 * "group", "carc", "rarc"}]), borrowed. */
void appeal_overturn_redecide(struct call *call, const char *claim_id, const char *appeal_id,
                              struct json_object *lines, call_fn store);

#endif
