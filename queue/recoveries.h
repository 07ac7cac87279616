/*
 * Recoveries in Redis (docs/api.md "Recoveries", docs/operations.md "Redis
 * keys"): what a family scan reads (the family's records and its approved
 * claims with their decisions), the recoveries it stores, and the staff list.
 * One recovery per claim, a hash {c}recovery:<id>, found through
 * {c}rclaim:<claim id>, listed in creation order in {c}recoveries and per
 * family in {c}recoveries:f:<subscriber>.
 *
 * Every function sends one request on the event loop and returns 0, after
 * which its callback is called exactly once, or -1 when nothing was sent
 * (Redis not connected, out of memory; the callback is not called).
 * Everything a callback receives is borrowed, valid during the call only.
 */
#ifndef CLAIMS_QUEUE_RECOVERIES_H
#define CLAIMS_QUEUE_RECOVERIES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "queue/redis_conn.h"
#include "queue/status.h"

/* One approved claim of the family with its decision. */
struct queue_paid_claim {
    const char *claim_id;
    const char *member_id;        /* the patient */
    struct json_object *decision; /* the decision object; NULL when unreadable */
};

/* What a scan of one family needs, read in one script. */
struct queue_family_paid {
    const char *version;        /* the family's commit counter ({c}famver) */
    const char *const *members; /* member records (canonical JSON): the
                                   subscriber, the family set, every patient */
    size_t n_members;
    const char *const *group_ids; /* the groups those records name */
    const char *const *groups;    /* and their records */
    size_t n_groups;
    const struct queue_paid_claim *claims; /* the family's approved claims, in receipt order */
    size_t n_claims;
};

typedef void (*queue_family_paid_cb)(enum queue_status status, const struct queue_family_paid *f,
                                     void *arg);

/* QUEUE_OK with the facts, or QUEUE_UNAVAILABLE (f NULL). */
int queue_read_family_paid(struct rconn *rc, const char *prefix, const char *subscriber_id,
                           queue_family_paid_cb cb, void *arg);

/* A recovery as a scan found it. lines: "<line>|<date>|<cents>|<0 or 1>"
 * entries (1-based line, employer liable) joined by ';'. */
struct queue_recovery_found {
    const char *claim_id;
    const char *member_id;
    const char *new_id; /* the id it gets if the claim has none yet; "": the claim
                           could not be checked, its recovery is left as it is */
    const char *lines;
    long long amount;           /* cents */
    const char *coverage_ended; /* YYYY-MM-DD or "" */
    const char *termination_reported_on;
    bool employer_liable;
};

/* Answer of queue_store_recoveries: QUEUE_OK (created, updated, withdrawn
 * counted), or QUEUE_CONFLICT when the family's version moved since the read
 * (a claim was committed meanwhile: scan again), or QUEUE_UNAVAILABLE. */
typedef void (*queue_recoveries_stored_cb)(enum queue_status status, int created, int updated,
                                           int withdrawn, void *arg);

/*
 * Stores one scan's findings for the family, atomically and idempotently:
 * if the family's version is still `version`, each found recovery is created
 * (status "open") or, when it is open or withdrawn, updated to what was found
 * (status "open" again); every open recovery of the family not found any more
 * becomes "withdrawn". A recovery in any other status (reversed, issue 14) is
 * left as it is. now: RFC 3339.
 */
int queue_store_recoveries(struct rconn *rc, const char *prefix, const char *subscriber_id,
                           const char *version, const char *now,
                           const struct queue_recovery_found *found, size_t n,
                           queue_recoveries_stored_cb cb, void *arg);

/* A recovery as stored: the hash's fields (NULL when absent). */
struct queue_recovery_row {
    const char *recovery_id, *claim_id, *member_id, *subscriber_id, *status, *lines, *amount,
        *coverage_ended, *termination_reported_on, *employer_liable, *found_at, *updated_at;
};

typedef void (*queue_recoveries_cb)(enum queue_status status, const struct queue_recovery_row *rows,
                                    size_t n, const char *next_cursor, void *arg);

/* Recoveries in creation order after `cursor` ("" from the start), of this
 * status ("" any), at most limit; at most 10,000 are looked at per call, so a
 * page may hold fewer and still have a next cursor (NULL at the end). */
int queue_list_recoveries(struct rconn *rc, const char *prefix, const char *status,
                          const char *cursor, int limit, queue_recoveries_cb cb, void *arg);

/* Answer of queue_reverse_recovery: QUEUE_OK with the recovery's claim id,
 * QUEUE_NOT_FOUND, QUEUE_CONFLICT (status: the recovery's, not "open") or
 * QUEUE_UNAVAILABLE. */
typedef void (*queue_reverse_cb)(enum queue_status status, const char *claim_id,
                                 const char *recovery_status, void *arg);

/*
 * Reverses an open recovery (POST /v1/recoveries/{id}/reverse): status
 * "reversed" (reversed_at, updated_at = now, RFC 3339); when its claim is
 * final, the claim is marked for a recovery EOB ("recover" = the recovery
 * id), the family version moves on and a family re-decision job is queued
 * (queue/corrections.h): the worker re-decides the claim on today's records
 * and issues the EOB version that states the overpayment. The audit record
 * goes on the claim's trail, in the same step.
 */
int queue_reverse_recovery(struct rconn *rc, const char *prefix, const char *recovery_id,
                           const char *now, const char *audit_json, queue_reverse_cb cb, void *arg);

#endif
