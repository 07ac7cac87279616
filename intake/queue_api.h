/* The queue dashboard, dead-letter retry and metrics (API.md, docs/api.md). */
#ifndef CLAIMS_QUEUE_API_H
#define CLAIMS_QUEUE_API_H

#include "intake/api.h"

/* GET /v1/queue: the queue's figures, for staff. */
void intake_queue_get(struct call *call);
/* POST /v1/queue/dead/{claim_id}/retry: puts a dead-lettered claim back on the work stream. */
void intake_queue_retry_dead(struct call *call);
/* GET /metrics: the Prometheus text of the queue's and this process's figures. */
void intake_metrics_get(struct call *call);

#endif
