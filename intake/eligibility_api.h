/* Eligibility (docs/api.md "Eligibility"); takes a fresh call. */
#ifndef CLAIMS_ELIGIBILITY_API_H
#define CLAIMS_ELIGIBILITY_API_H

#include "intake/api.h"

/* GET /v1/eligibility?member_id=..&date=..: answers and frees the call. */
void intake_eligibility_get(struct call *call);

#endif
