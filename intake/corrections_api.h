/* Corrections of a filed claim (docs/api.md "Corrections"): a replacement
 * and a void. Each takes a fresh call. */
#ifndef CLAIMS_CORRECTIONS_API_H
#define CLAIMS_CORRECTIONS_API_H

#include "intake/api.h"

/* POST /v1/claims/{id}/replace: answers and frees the call. */
void intake_claims_replace(struct call *call);
/* POST /v1/claims/{id}/void: answers and frees the call. */
void intake_claims_void(struct call *call);

#endif
