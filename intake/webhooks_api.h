/* Webhook subscriptions, admin only (docs/webhooks.md). */
#ifndef CLAIMS_WEBHOOKS_API_H
#define CLAIMS_WEBHOOKS_API_H

#include "intake/api.h"

/* PUT /v1/webhooks/{id}: answers and frees the call. */
void intake_webhooks_put(struct call *call);
/* GET /v1/webhooks/{id}: answers and frees the call. */
void intake_webhooks_get(struct call *call);
/* DELETE /v1/webhooks/{id}: answers and frees the call. */
void intake_webhooks_delete(struct call *call);
/* GET /v1/webhooks/{id}/deliveries: answers and frees the call. */
void intake_webhooks_deliveries(struct call *call);

#endif
