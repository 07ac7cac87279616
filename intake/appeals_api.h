/*
 * Appeals of decided claims (docs/api.md "Appeals", docs/rules.md "Appeals"):
 * filing one, reading one, the staff list, the staff decision, and the open
 * and overdue counts of GET /v1/queue and /metrics. Each handler takes a
 * fresh call.
 */
#ifndef CLAIMS_APPEALS_API_H
#define CLAIMS_APPEALS_API_H

#include "intake/api.h"

/* POST /v1/claims/{id}/appeals: answers and frees the call. */
void intake_appeals_file(struct call *call);
/* GET /v1/appeals/{id}: answers and frees the call. */
void intake_appeals_get(struct call *call);
/* GET /v1/appeals: answers and frees the call. */
void intake_appeals_list(struct call *call);
/* POST /v1/appeals/{id}/decision: answers and frees the call. */
void intake_appeals_decide(struct call *call);

/* An overturned appeal, its decision checked and not stored yet: builds the
 * reviewer's decision the claim keeps (its `review` field, action overturn,
 * the appeal's lines) into the call's state and calls store(call), which
 * records the appeal's decision, stores that review on the claim and queues
 * the family's re-decision in one script (queue_decide_appeal), so that the
 * claim gets a new EOB version (an adjustment, docs/rules.md "Decision
 * outcomes") and two decisions at once cannot both overturn. */
void intake_appeal_overturn_redecide(struct call *call, const char *claim_id, const char *appeal_id,
                                     call_fn store);

#endif
