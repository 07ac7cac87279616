/* Webhook subscriptions, admin only (docs/webhooks.md). */
#ifndef CLAIMS_WEBHOOKS_API_H
#define CLAIMS_WEBHOOKS_API_H

#include "intake/api.h"

void webhooks_put(struct call *call);        /* PUT /v1/webhooks/{id} */
void webhooks_get(struct call *call);        /* GET /v1/webhooks/{id} */
void webhooks_delete(struct call *call);     /* DELETE /v1/webhooks/{id} */
void webhooks_deliveries(struct call *call); /* GET /v1/webhooks/{id}/deliveries */

#endif
