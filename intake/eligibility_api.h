/* Eligibility (docs/api.md "Eligibility"); takes a fresh call. */
#ifndef CLAIMS_ELIGIBILITY_API_H
#define CLAIMS_ELIGIBILITY_API_H

#include "intake/api.h"

void eligibility_get(struct call *call); /* GET /v1/eligibility?member_id=..&date=.. */

#endif
