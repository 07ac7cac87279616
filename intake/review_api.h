/* Staff review (docs/api.md "Staff review"); each takes a fresh call. */
#ifndef CLAIMS_REVIEW_API_H
#define CLAIMS_REVIEW_API_H

#include "intake/api.h"

/* GET /v1/review (staff, admin): answers and frees the call. */
void intake_review_list(struct call *call);
/* POST /v1/claims/{id}/review (staff, admin): answers and frees the call. */
void intake_review_post(struct call *call);

#endif
