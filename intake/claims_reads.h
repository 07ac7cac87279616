/* Reading a claim back (API.md "Endpoints"): the claim, its Explanation of
 * Benefits, its audit trail. Each takes a fresh call. */
#ifndef CLAIMS_CLAIMS_READS_H
#define CLAIMS_CLAIMS_READS_H

#include "intake/api.h"

/* GET /v1/claims/{id}: answers and frees the call. */
void intake_claims_get(struct call *call);
/* GET /v1/claims/{id}/eob: answers and frees the call. */
void intake_claims_eob(struct call *call);
/* GET /v1/claims/{id}/audit (staff): answers and frees the call. */
void intake_claims_audit(struct call *call);

#endif
