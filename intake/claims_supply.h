/* Supplying information a pended claim waits for (docs/api.md "POST
 * /v1/claims/{claim_id}/information"); takes a fresh call. */
#ifndef CLAIMS_CLAIMS_SUPPLY_H
#define CLAIMS_CLAIMS_SUPPLY_H

#include "intake/api.h"

/* POST /v1/claims/{id}/information: answers and frees the call. */
void intake_claims_information(struct call *call);

#endif
