/*
 * POST /v1/claims (API.md "Submitting a claim") and the storing of one
 * checked claim that POST /v1/x12 and a replacement (corrections_api.c)
 * share with it.
 */
#ifndef CLAIMS_CLAIMS_SUBMIT_H
#define CLAIMS_CLAIMS_SUBMIT_H

#include <stdbool.h>

#include "adjudicate/adjudicate.h"
#include "intake/api.h"
#include "queue/intake.h"

/* POST /v1/claims: answers and frees the call. */
void intake_claims_post(struct call *call);

/* Storing one checked claim exactly as POST /v1/claims does (the same
 * record, audit "claim.submit" by call->who, work queue entry, group commit);
 * POST /v1/x12 stores each claim of a file this way. */
struct claims_store_request {
    const struct claim *claim; /* checked by codec_parse_claim */
    const char *claim_id;      /* from intake_claims_new_id */
    date_t received, target;
    const char *idem_hash;              /* SHA-256 hex of an Idempotency-Key, or NULL */
    const char *idem_value;             /* what to remember under it (NULL: nothing) */
    const char *replaces;               /* a replacement: the final claim it replaces (NULL: none);
                                           audited "claim.replace" on that claim's trail */
    const struct queue_member_ref *ref; /* the patient's family, from intake_claims_place */
};
/* Returns 0 (cb is called once, after this loop turn) or -1 when out of
 * memory (cb is not called). */
int intake_claims_store(struct call *call, const struct claims_store_request *req,
                        queue_intake_cb cb, void *arg);
/* A new claim id: a random (version 4) UUID in its lower-case text form. */
void intake_claims_new_id(char out[CLAIM_ID_LEN]);
/* A new id as intake_claims_new_id draws it, drawn again until it falls on shard
 * `shard` (queue/shards.h), so that the id alone names where its record is:
 * claims, appeals and recoveries are found from their ids this way. */
void intake_claims_new_id_on_shard(char out[CLAIM_ID_LEN], int shard);

/* Called by intake_claims_place: ok false when Redis did not answer (claim_id is
 * then untouched); else the patient's family (ref) and claim_id drawn. */
typedef void (*claims_placed_cb)(bool ok, const struct queue_member_ref *ref, void *arg);
/* Finds the family of the patient member_id in the member directory and
 * draws a new claim id into claim_id (which must live until cb) on that
 * family's shard, so that the id alone names where the claim is stored.
 * Returns 0 (cb is called once, later) or -1 when out of memory or without
 * a connection (cb is not called). */
int intake_claims_place(struct call *call, const char *member_id, char claim_id[CLAIM_ID_LEN],
                        claims_placed_cb cb, void *arg);
/* The target date: the configured business days after received. */
date_t intake_claims_target_date(const struct app *app, date_t received);

/* A claim being filed by POST /v1/claims or as a replacement: the checked
 * claim, its id and dates, and its 202 answer. A call's state. */
struct claims_submission {
    struct claim claim;
    char claim_id[CLAIM_ID_LEN];
    date_t received, target;
    bool has_idem;
    char idem_hash[65];          /* SHA-256 hex of the Idempotency-Key header */
    struct queue_member_ref ref; /* the patient's family (intake_claims_place) */
    char body_hash[65];
    char *response;              /* the 202 body, remembered for replays */
    char replaces[CLAIM_ID_LEN]; /* a replacement: the final claim it replaces; "" otherwise */
};
/* A new submission as call's state (freed with the call); NULL after
 * answering 500 when out of memory. */
struct claims_submission *intake_claims_submission_new(struct call *call);
/* Checks the request's Idempotency-Key and body as POST /v1/claims does (the
 * submitter's own NPI for a provider) and sets the receipt and target dates;
 * false after answering the problem. */
bool intake_claims_submission_parse(struct call *call, struct claims_submission *s);
/* Stores the call's submission (its state) as a new claim, replacing
 * s->replaces when set, and answers 202 or the intake step's refusal. */
void intake_claims_submission_store(struct call *call);
/* The 202 body of s (API.md "Submitting a claim") with these dates;
 * allocates (the caller frees it), NULL when out of memory. */
char *intake_claims_accepted_body(const struct claims_submission *s, const char *received,
                                  const char *target);
/* Answers 202 with body and a Location naming claim_id (and
 * Idempotent-Replayed when it repeats an earlier answer). */
void intake_claims_respond_accepted(struct call *call, const char *claim_id, const char *body,
                                    bool replayed);

#define CLAIMS_YEARS_TEXT_LEN (ADJ_MAX_PLAN_YEARS * 12 + 1)
/* The plan years of the claim's lines as the work entry and the claim hash
 * keep them: "2025,2026". */
void intake_claims_years_text(const struct claim *claim, char out[CLAIMS_YEARS_TEXT_LEN]);

#endif
