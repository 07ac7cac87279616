/*
 * Staff review in Redis (docs/api.md "Staff review", docs/operations.md
 * "Redis keys"): the workbasket, read from the open-status index
 * {c}idx:s:in_review (receipt order, which is target order: a claim's target
 * is its received date plus ten business days), and the reviewer's decision,
 * stored on the claim hash (field `review`) before the claim goes back on the
 * work stream to be decided with it.
 *
 * Every function sends one request on the event loop and returns 0, after
 * which its callback is called exactly once, or -1 when nothing was sent
 * (Redis not connected, out of memory; the callback is not called).
 * Everything a callback receives is borrowed, valid during the call only.
 */
#ifndef CLAIMS_QUEUE_REVIEW_H
#define CLAIMS_QUEUE_REVIEW_H

#include <json-c/json.h>
#include <stddef.h>

#include "queue/redis_conn.h"
#include "queue/status.h"

/* One claim in review. */
struct queue_review_row {
    const char *claim_id, *type, *received_date, *target_date;
    struct json_object *decision; /* the stored decision object; NULL when unreadable */
};

/* rows oldest target first; next_cursor NULL on the last page. */
typedef void (*queue_review_list_cb)(enum queue_status status, const struct queue_review_row *rows,
                                     size_t n, const char *next_cursor, void *arg);

/* A page of at most limit claims in review after cursor ("" for the first
 * page): QUEUE_OK with the rows, or QUEUE_UNAVAILABLE (rows NULL). */
int queue_review_list(struct rconn *rc, const char *prefix, const char *cursor, int limit,
                      queue_review_list_cb cb, void *arg);

/* The reviewer's decision, if and only if the claim is in review: review_json
 * goes on the claim (field `review`), the claim becomes "received" (history
 * entry at now_secs), leaves the in_review index for the received one and
 * goes back on the work stream, and the audit record is written, all in one
 * step. QUEUE_OK, QUEUE_CONFLICT (not in review), QUEUE_NOT_FOUND (no such
 * claim) or QUEUE_UNAVAILABLE. */
int queue_review_submit(struct rconn *rc, const char *prefix, const char *claim_id,
                        const char *review_json, const char *audit_json, long long now_secs,
                        queue_status_cb cb, void *arg);

#endif
