/*
 * Appeals in Redis (docs/api.md "Appeals", docs/operations.md "Redis keys"):
 * filing one against a final claim, reading one, the staff list ordered by
 * decision due date, recording the decision, and the open / overdue counts.
 * An appeal is a hash {c}appeal:<id>; {c}appeals holds every appeal and
 * {c}appeals:open the open ones, both scored by due day x 2^INDEX_SEQ_BITS
 * plus a sequence (earliest due first). The claim's hash names its latest
 * appeal (appeal_id) and the EOB version it was filed against
 * (appeal_eob_version).
 *
 * Every function sends one request on the event loop and returns 0, after
 * which its callback is called exactly once, or -1 when nothing was sent
 * (Redis not connected, out of memory; the callback is not called).
 * Everything a callback receives is borrowed, valid during the call only.
 */
#ifndef CLAIMS_QUEUE_APPEALS_H
#define CLAIMS_QUEUE_APPEALS_H

#include <stdbool.h>
#include <stddef.h>

#include "queue/redis_conn.h"
#include "queue/status.h"

/* What a filing stores; every string is copied into the request. */
struct queue_appeal_filing {
    const char *appeal_id; /* a new UUID */
    const char *claim_id;
    int eob_version;      /* the EOB version the window was checked against */
    const char *eob_date; /* its statement date, YYYY-MM-DD */
    const char *deadline; /* the last day of the filing window, YYYY-MM-DD */
    const char *filed_at; /* RFC 3339 */
    const char *filed_on; /* the filing's date in the plan's zone, YYYY-MM-DD */
    int due_day;          /* the decision's due date as a day number */
    const char *due_date; /* the same, YYYY-MM-DD */
    const char *statement;
    const char *attachments; /* canonical JSON array */
    const char *filed_by;    /* token id */
    const char *filed_by_role;
    const char *audit_json; /* the audit record (action appeal.file) */
};

/* Answer of queue_file_appeal: QUEUE_OK (stored, audited, appeal.filed
 * appended to the events stream), QUEUE_NOT_FOUND (no such claim),
 * QUEUE_CONFLICT with why ("already_appealed": an appeal was filed against
 * this EOB version already; "changed": the claim is no longer final at that
 * EOB version), or QUEUE_UNAVAILABLE. */
typedef void (*queue_appeal_filed_cb)(enum queue_status status, const char *why, void *arg);

/* Files the appeal in one script: only if the claim is still approved or
 * denied at EOB version f->eob_version and has no appeal against that
 * version yet. */
int queue_file_appeal(struct rconn *rc, const char *prefix, const struct queue_appeal_filing *f,
                      queue_appeal_filed_cb cb, void *arg);

/* An appeal as stored: the hash's fields (NULL when absent). A list row
 * carries the summary only (statement, attachments, lines and note NULL). */
struct queue_appeal_row {
    const char *appeal_id, *claim_id, *member_id, *subscriber_id, *by_npi, *status, *filed_at,
        *filed_on, *due_date, *eob_version, *eob_date, *deadline, *filed_by, *filed_by_role,
        *outcome, *decided_at, *decided_by, *statement, *attachments, *lines, *note;
};

/* QUEUE_OK with the appeal, QUEUE_NOT_FOUND (row NULL), QUEUE_UNAVAILABLE. */
typedef void (*queue_appeal_cb)(enum queue_status status, const struct queue_appeal_row *row,
                                void *arg);
/* Reads appeal appeal_id (on its claim's shard); returns 0 when sent (cb is
 * called once with the borrowed row) or -1 when not (cb is not called). */
int queue_get_appeal(struct rconn *rc, const char *prefix, const char *appeal_id,
                     queue_appeal_cb cb, void *arg);

/* A page of the staff list. */
struct queue_appeal_query {
    const char *status; /* "open", "decided" or "" for any */
    bool overdue;       /* open and due before today_day */
    int today_day;
    const char *cursor; /* from an earlier page ("" for the first) */
    int limit;
};

typedef void (*queue_appeals_cb)(enum queue_status status, const struct queue_appeal_row *rows,
                                 size_t n, const char *next_cursor, void *arg);

/* Appeals earliest due first (ties in filing order) after the cursor; at
 * most 10,000 entries are looked at per call, so a page may hold fewer than
 * limit and still have a next cursor (NULL at the end). */
int queue_list_appeals(struct rconn *rc, const char *prefix, const struct queue_appeal_query *q,
                       queue_appeals_cb cb, void *arg);

/* What a decision stores; strings are copied. */
struct queue_appeal_decision {
    const char *appeal_id;
    const char *claim_id; /* the appeal's claim: its audit list gets the record */
    const char *outcome;  /* "upheld" or "overturned" */
    const char *lines;    /* canonical JSON array ("[]" for upheld) */
    const char *note;
    const char *decided_at; /* RFC 3339 */
    const char *decided_on; /* YYYY-MM-DD in the plan's zone */
    const char *decided_by; /* token id */
    const char *audit_json; /* the audit record (action appeal.decide, with the note) */
    const char *review;     /* overturned: the reviewer's decision stored with the claim (its
                               `review` field, review_to_json's form); NULL for upheld */
};

/* Records the decision in one script, only if the appeal is still open:
 * QUEUE_OK (decided, off the open set, audited, appeal.decided appended to
 * the events stream; an overturn also stores d->review on the claim and
 * queues the family's re-decision, as queue_request_redecision does),
 * QUEUE_CONFLICT (decided already, or withdrawn), QUEUE_CHANGED (an overturn
 * of a claim no longer approved or denied: nothing stored), QUEUE_NOT_FOUND,
 * QUEUE_UNAVAILABLE. */
int queue_decide_appeal(struct rconn *rc, const char *prefix, const struct queue_appeal_decision *d,
                        queue_status_cb cb, void *arg);

/* Open appeals, and of them those due before today_day. */
typedef void (*queue_appeal_counts_cb)(enum queue_status status, long long open, long long overdue,
                                       void *arg);
/* Counts the open and overdue appeals over every shard; returns 0 when sent
 * (cb is called once) or -1 when nothing was sent (cb is not called). */
int queue_appeal_counts(struct rconn *rc, const char *prefix, int today_day,
                        queue_appeal_counts_cb cb, void *arg);

#endif
