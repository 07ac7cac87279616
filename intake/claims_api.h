/*
 * What the claim endpoints share (API.md "Endpoints"): the claim id check,
 * who may read a claim, fetching the claim a path names, the opening of a
 * request that changes a claim, the answer to a correction refused for the
 * claim's status, and the state of an answer built as JSON. The endpoints
 * themselves live one family to a file: claims_submit.c, claims_reads.c,
 * claims_search.c, claims_supply.c, corrections_api.c (and, apart,
 * eligibility_api.c).
 */
#ifndef CLAIMS_CLAIMS_API_H
#define CLAIMS_CLAIMS_API_H

#include <json-c/json.h>
#include <stdbool.h>

#include "intake/api.h"
#include "queue/claims_read.h"

/* Whether s can name a claim: a UUID in its lower-case text form (appeal
 * and recovery ids are drawn the same way, intake_claims_new_id_on_shard). */
bool intake_claims_id_valid(const char *s);
/* Whether the path id can name a claim (intake_claims_id_valid); answers 404 and
 * returns false otherwise. */
bool intake_claims_require_id(struct call *call);
/* Object-level authorization of a claim (API.md "Roles"): staff, the
 * patient, the subscriber of the patient's family, the submitting provider. */
bool intake_claims_may_read(const struct principal *who, const struct queue_claim *claim);
/* A claim fetched for call->who: answers 503 when Redis did not, 404 when the
 * claim does not exist or is another party's, and returns false then; true
 * when the caller may go on with it. */
bool intake_claims_readable(struct call *call, enum queue_status st,
                            const struct queue_claim *claim);
/* Reads the claim the path names (its hash, submission and decision) and
 * passes it to cb with the call; answers 404 itself when the path id cannot
 * be a claim id, 503 when Redis cannot be asked. */
void intake_claims_fetch(struct call *call, queue_claim_cb cb);

/* The opening of a request that changes the claim its path names (POST
 * .../information, .../replace, .../void): true when the caller has a role,
 * the path id can name a claim and the body is JSON; false after answering
 * 403, 404 or 415. */
bool intake_claims_change_opening(struct call *call);
/* Answers a correction refused for the claim's status ("voided": 409
 * already_voided, "replaced": 409 already_replaced, "": 404, any other: 409
 * not_correctable) or, with "member", a replacement for another patient (422
 * naming member_id). */
void intake_claims_correction_conflict(struct call *call, const char *status);

/* A call's state that holds the JSON answer being built (a claim as read
 * back, an audit trail, a page of a search); it may start a larger state. */
struct claims_view_state {
    struct json_object *view;
};
/* Frees a claims_view_state (or a state that starts with one) and its view. */
void intake_claims_view_state_free(void *state);
/* Answers 200 with vs's view, handing it over to the answer. */
void intake_claims_view_answer(struct call *call, struct claims_view_state *vs);

#endif
