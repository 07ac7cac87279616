/* The queue dashboard, dead-letter retry and metrics (API.md, docs/api.md). */
#ifndef CLAIMS_QUEUE_API_H
#define CLAIMS_QUEUE_API_H

#include "intake/api.h"

void queue_get(struct call *call);         /* GET /v1/queue */
void queue_retry_dead(struct call *call);  /* POST /v1/queue/dead/{claim_id}/retry */
void metrics_get(struct call *call);       /* GET /metrics */

#endif
