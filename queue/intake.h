/*
 * The intake step (API.md "A 202 means the claim is durably stored and
 * queued"), with group commit.
 *
 * Each accepted submission is handed to queue_intake_submit(). Submissions
 * made during one turn of the event loop are stored together by ONE script
 * call when the turn ends: one round trip, one Redis event, and with
 * `appendfsync always` one fsync for the whole batch. Each claim of a batch
 * still stands or falls alone: the script answers per claim.
 *
 * For each claim, atomically: the idempotency key (a remembered answer is
 * returned instead of storing), the member check (a member token may file
 * for self or, as the subscriber, for the family: decided inside the script
 * from the member's reference hash, so that intake costs no extra round
 * trip), the claim hash, the body, the work stream entry, the SLA entry, the
 * search indexes and the audit record. Key layout: docs/operations.md
 * "Redis keys"; only this file and queue/keys.h know it.
 *
 * Everything here runs on the event-loop thread.
 */
#ifndef CLAIMS_QUEUE_INTAKE_H
#define CLAIMS_QUEUE_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "queue/redis_conn.h"

struct event_base;

/* One claim to store. Every string is copied by queue_intake_submit. */
/* A member's entry in the member directory (`mref`, queue/members.h): the
 * family, group and latest plan; each "" when the member is unknown. */
struct queue_member_ref {
    char subscriber_id[ID_LEN];
    char group_id[ID_LEN];
    char plan_id[ID_LEN];
};

struct queue_claim_record {
    const char *claim_id;
    const char *type;      /* "medical" or "pharmacy" */
    const char *member_id; /* the patient */
    const char *received;  /* YYYY-MM-DD */
    const char *target;    /* YYYY-MM-DD */
    int received_day;      /* day numbers of the two dates */
    int target_day;
    const char *years;       /* the plan years of the lines: "2025,2026" */
    const char *by_token;    /* the submitter's token id */
    const char *by_role;     /* "member", "provider", "staff", "admin" */
    const char *by_npi;      /* a provider submitter's NPI, else "" */
    const char *member_only; /* a member submitter's member id (checked against the
                                patient and the patient's subscriber), else "" */
    long long now_seconds;   /* the receipt time, for the history */
    const char *submitted;   /* the submission as accepted (JSON) */
    const char *audit;       /* the audit record (JSON) */
    const char *idem_hash;   /* SHA-256 hex of the Idempotency-Key header, or NULL; the key
                                is remembered per submitting token (by_token) */
    const char *idem_value;  /* what to remember under it */
    int idem_ttl_seconds;
    /* A replacement (POST /v1/claims/{id}/replace): the id of the final claim
     * it replaces and the audit record written on that claim's trail; NULL
     * for a new claim. */
    const char *replaces;
    const char *replace_audit;
    /* The patient's family as the member directory said before the claim's
     * id was drawn on the family's shard (queue_member_dir_get); "" each
     * for a member the directory does not know. */
    struct queue_member_ref ref;
};

enum queue_intake_outcome {
    QUEUE_INTAKE_CREATED,     /* stored and queued */
    QUEUE_INTAKE_REPLAY,      /* the idempotency key was seen: `value` is what it remembered */
    QUEUE_INTAKE_FORBIDDEN,   /* a member filing for someone outside the family; nothing stored */
    QUEUE_INTAKE_CONFLICT,    /* a replacement whose original is not final (value: its status,
                                 "" when gone) or of another patient (value "member"); nothing
                                 stored */
    QUEUE_INTAKE_UNAVAILABLE, /* Redis did not answer or refused; nothing is known stored */
};

/* Called once per submitted claim; `value` is valid during the call only. */
typedef void (*queue_intake_cb)(enum queue_intake_outcome outcome, const char *value, void *arg);

struct queue_intake;

/* The shard of the family of a claim for member_id with directory entry ref. */
int queue_family_shard(const char *member_id, const struct queue_member_ref *ref);

/* Allocates the batcher for one event loop and connection; free with
 * queue_intake_free. max_batch bounds the claims of one script call. */
struct queue_intake *queue_intake_new(struct event_base *base, struct rconn *redis,
                                      const char *key_prefix, int max_batch);

/* Queues one claim for the batch of this loop turn. Returns 0 (cb will be
 * called exactly once, after the turn) or -1 when out of memory (cb is not
 * called). */
int queue_intake_submit(struct queue_intake *qi, const struct queue_claim_record *rec,
                        queue_intake_cb cb, void *arg);

/* Claims queued and batches sent since start (for /metrics). */
struct queue_intake_stats {
    unsigned long long claims, batches, replays, forbidden, unavailable;
};
/* Copies the batcher's counters since start into *out. */
void queue_intake_stats_read(const struct queue_intake *qi, struct queue_intake_stats *out);

/* Frees the batcher; claims not yet sent are answered UNAVAILABLE. Claims
 * already sent are answered by the connection (queue_rconn_free answers NULL). */
void queue_intake_free(struct queue_intake *qi);

#endif
