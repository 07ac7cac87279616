/* Searching claims (docs/api.md "GET /v1/claims — search"); takes a fresh call. */
#ifndef CLAIMS_CLAIMS_SEARCH_H
#define CLAIMS_CLAIMS_SEARCH_H

#include "intake/api.h"

/* GET /v1/claims: answers and frees the call. */
void intake_claims_search(struct call *call);

#endif
