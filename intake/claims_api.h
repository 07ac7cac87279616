/* The claim endpoints (API.md "Endpoints"); each takes a fresh call. */
#ifndef CLAIMS_CLAIMS_API_H
#define CLAIMS_CLAIMS_API_H

#include "intake/api.h"

void claims_post(struct call *call);   /* POST /v1/claims */
void claims_get(struct call *call);    /* GET /v1/claims/{id} */
void claims_audit(struct call *call);  /* GET /v1/claims/{id}/audit */
void claims_search(struct call *call); /* GET /v1/claims */
void claims_information(struct call *call); /* POST /v1/claims/{id}/information */
void claims_eob(struct call *call);    /* GET /v1/claims/{id}/eob */
void eligibility_get(struct call *call); /* GET /v1/eligibility */

#endif
