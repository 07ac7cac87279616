/*
 * Reading a claim back (API.md "A claim as read back", its EOB, its audit
 * trail, search) and the one write that belongs to reading it: information
 * supplied for a pended claim. The claim's storage layout is in
 * docs/operations.md "Redis keys": a small hash, the submission in
 * {c}body:<id>, the packed decision in {c}dec:<id>, packed EOB versions in
 * {c}eob:<id>:<n>, audit entry ids in {c}caudit:<id>, all on the claim's
 * shard (found from the claim id, queue/shards.h). Key formats and script
 * argument layouts stay in queue/; callers get C values.
 *
 * Every function sends its requests on the event loop (one round trip; a
 * member's search two) and returns 0, after which its callback is called
 * exactly once, or -1 when
 * nothing was sent (Redis not connected, out of memory): then the callback is
 * not called. Everything a callback receives is borrowed and valid only
 * during the call (take a reference with json_object_get to keep an object).
 */
#ifndef CLAIMS_QUEUE_CLAIMS_READ_H
#define CLAIMS_QUEUE_CLAIMS_READ_H

#include <hiredis/hiredis.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "date.h"
#include "queue/redis_conn.h"
#include "queue/status.h"

/* A claim as stored. */
struct queue_claim {
    const redisReply *fields;      /* the hash's field/value pairs (HGETALL) */
    struct json_object *submitted; /* the submission as accepted; NULL if absent or unreadable */
    struct json_object *decision;  /* NULL before the first decision */
    struct json_object *pending;   /* what a pended claim waits for; NULL otherwise */
    int eob_version;               /* the latest EOB version, 0 before the first */
    const char *eob;               /* queue_get_eob: the asked EOB record (JSON text), or NULL */
    size_t eob_len;
};

/* The value of one hash field, NULL when absent. */
const char *queue_claim_field(const struct queue_claim *claim, const char *name);

/* The claim's history in the API shape [{"at": RFC 3339 UTC, "status"}],
 * oldest first, from the stored compact form "<status>@<unix seconds>,...".
 * Allocates (the caller puts it); NULL only when out of memory. */
struct json_object *queue_history_json(const char *compact);

typedef void (*queue_claim_cb)(enum queue_status status, const struct queue_claim *claim,
                               void *arg);

/* The claim with its submission and decision: QUEUE_OK with the claim,
 * QUEUE_NOT_FOUND, or QUEUE_UNAVAILABLE (claim NULL then). */
int queue_get_claim(struct rconn *rc, const char *prefix, const char *claim_id, queue_claim_cb cb,
                    void *arg);

/* The claim's hash and its EOB record of this version (0: the latest),
 * unpacked, in claim->eob (NULL when the claim has no EOB of that version:
 * claim->eob_version says whether it has any). submitted, decision and
 * pending are not read (NULL). */
int queue_get_eob(struct rconn *rc, const char *prefix, const char *claim_id, int version,
                  queue_claim_cb cb, void *arg);

/* Whether the claim exists: QUEUE_OK, QUEUE_NOT_FOUND or QUEUE_UNAVAILABLE. */
int queue_claim_exists(struct rconn *rc, const char *prefix, const char *claim_id,
                       queue_status_cb cb, void *arg);

/* The claim's audit records (JSON texts, oldest first). */
typedef void (*queue_audit_cb)(enum queue_status status, const char *const *records, size_t n,
                               void *arg);
/* Reads the audit records of claim_id; returns 0 when sent (cb is called
 * once, records borrowed for the call) or -1 when not (cb is not called). */
int queue_get_audit(struct rconn *rc, const char *prefix, const char *claim_id, queue_audit_cb cb,
                    void *arg);

/* Information supplied for a pended claim: if and only if the claim is still
 * pended, merged_json (the whole merged submission) replaces the stored one,
 * the decision is kept without its pending part (decision NULL: none), the
 * claim becomes "received" (history entry at now_secs) and goes back on the
 * work stream, and the audit record is written. QUEUE_OK, QUEUE_CONFLICT (not
 * pended), QUEUE_NOT_FOUND (gone) or QUEUE_UNAVAILABLE. */
int queue_supply(struct rconn *rc, const char *prefix, const char *claim_id,
                 const char *merged_json, struct json_object *decision, const char *audit_json,
                 long long now_secs, queue_status_cb cb, void *arg);

/* A claim search (GET /v1/claims). Empty strings for filters that do not
 * apply. The indexes walked are chosen here: a member's family (resolved
 * through the member reference first) on the family's shard, else on every
 * claims shard at once a provider's, the open-status indexes, or all claims;
 * the shards' pages are merged in (score, shard) order with one cursor
 * (queue/shard_merge.h; with one shard the cursor is the score). At most
 * 10,000 index entries are looked at per call and shard, so a page may hold
 * fewer than limit claims and still have a next cursor. */
struct queue_search_query {
    const char *family_of;  /* walk the claims of this member's family ("": not a member search) */
    const char *member_id;  /* the claim's patient is this member */
    const char *own_member; /* the claim's patient or its subscriber is this member */
    const char *npi;        /* submitted by this provider (its index is walked) */
    const char *status;     /* received, processing, pended, in_review, approved, denied */
    const char *type;       /* medical, pharmacy */
    bool has_from, has_to;  /* received date range, inclusive */
    date_t from, to;
    const char *cursor; /* from an earlier page ("" for the first; digits, at most 20) */
    int limit;
    bool overdue; /* open claims past their target day */
    date_t today;
};

struct queue_search_row {
    const char *claim_id, *type, *member_id, *status, *received_date, *target_date;
};

/* rows in receipt order; next_cursor NULL when there is nothing more. */
typedef void (*queue_search_cb)(enum queue_status status, const struct queue_search_row *rows,
                                size_t n, const char *next_cursor, void *arg);
/* Finds one page of the claims matching q; returns 0 when sent (cb is called once, rows borrowed
 * for the call) or -1 when not (cb is not called). */
int queue_search(struct rconn *rc, const char *prefix, const struct queue_search_query *q,
                 queue_search_cb cb, void *arg);

#endif
