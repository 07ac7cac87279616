/* The claim endpoints (API.md "Endpoints"); each takes a fresh call. */
#ifndef CLAIMS_CLAIMS_API_H
#define CLAIMS_CLAIMS_API_H

#include "intake/api.h"
#include "queue/claims_read.h"
#include "queue/intake.h"

void claims_post(struct call *call);   /* POST /v1/claims */
void claims_get(struct call *call);    /* GET /v1/claims/{id} */
void claims_audit(struct call *call);  /* GET /v1/claims/{id}/audit */
void claims_search(struct call *call); /* GET /v1/claims */
void claims_information(struct call *call); /* POST /v1/claims/{id}/information */
void claims_eob(struct call *call);    /* GET /v1/claims/{id}/eob */
void claims_replace(struct call *call); /* POST /v1/claims/{id}/replace */
void claims_void(struct call *call);    /* POST /v1/claims/{id}/void */
void eligibility_get(struct call *call); /* GET /v1/eligibility */

/* Storing one checked claim exactly as POST /v1/claims does (the same
 * record, audit "claim.submit" by call->who, work queue entry, group commit);
 * POST /v1/x12 stores each claim of a file this way. */
struct claims_store_request {
    const struct claim *claim;  /* checked by intake_parse_claim */
    const char *claim_id;       /* from claims_new_id */
    date_t received, target;
    const char *idem_hash;      /* SHA-256 hex of an Idempotency-Key, or NULL */
    const char *idem_value;     /* what to remember under it (NULL: nothing) */
    const char *replaces;       /* a replacement: the final claim it replaces (NULL: none);
                                   audited "claim.replace" on that claim's trail */
};
/* Returns 0 (cb is called once, after this loop turn) or -1 when out of
 * memory (cb is not called). */
int claims_store(struct call *call, const struct claims_store_request *req, queue_intake_cb cb,
                 void *arg);
void claims_new_id(char out[CLAIM_ID_LEN]);
/* The target date: the configured business days after received. */
date_t claims_target_date(const struct app *app, date_t received);

/* Whether s can name a claim: a UUID in its lower-case text form. */
bool claims_id_valid(const char *s);
/* Object-level authorization of a claim (API.md "Roles"): staff, the
 * patient, the subscriber of the patient's family, the submitting provider. */
bool claims_may_read(const struct principal *who, const struct queue_claim *claim);
/* A claim fetched for call->who: answers 503 when Redis did not, 404 when the
 * claim does not exist or is another party's, and returns false then; true
 * when the caller may go on with it. */
bool claims_readable(struct call *call, enum queue_status st, const struct queue_claim *claim);

#endif
