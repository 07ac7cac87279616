/* Searching claims (docs/api.md "GET /v1/claims — search"); takes a fresh call. */
#ifndef CLAIMS_CLAIMS_SEARCH_H
#define CLAIMS_CLAIMS_SEARCH_H

#include "intake/api.h"

void claims_search(struct call *call); /* GET /v1/claims */

#endif
