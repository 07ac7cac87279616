/* POST /v1/x12 (docs/x12.md, API.md "Endpoints"): 837 claim files in, 999
 * and 277CA answers out. */
#ifndef CLAIMS_INTAKE_X12_API_H
#define CLAIMS_INTAKE_X12_API_H

#include "intake/api.h"

/* POST /v1/x12: answers and frees the call. */
void intake_x12_post(struct call *call);

#endif
