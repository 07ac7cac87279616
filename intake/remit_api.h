/* Remittance: payment cycles, their 835s and member payment lists
 * (docs/api.md "Remittance", docs/x12.md "Remittance (835)"). */
#ifndef CLAIMS_REMIT_API_H
#define CLAIMS_REMIT_API_H

#include "intake/api.h"

/* GET /v1/remittances: the cycles (staff: all; a provider: those paying its
 * NPI); with ?npi=…&date=… (and optionally cycle_id=…) the 835. */
void intake_remit_get(struct call *call);
/* POST /v1/remittances/run (staff): closes a cycle now. */
void intake_remit_run(struct call *call);
/* GET /v1/remittances/{cycle_id}/members (staff): the member payment list. */
void intake_remit_members(struct call *call);

#endif
