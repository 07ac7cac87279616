/*
 * The answers to X12 interchanges, for replays (docs/x12.md "Companion-guide
 * choices"): an interchange sent again by the same sender with the same
 * ISA13 gets the first answer back and creates no claim.
 *
 * One key per sender and control number (KEYF_X12, named by the SHA-256 of
 * "ISA05:ISA06:ISA13"): "P" while its first request is being answered, then
 * "A" and the answer. queue_x12_claim sets "P" only when the key is absent
 * (SET NX GET, one atomic command): of concurrent duplicates exactly one is
 * told CLAIMED and stores claims; the others are told IN_PROGRESS (or,
 * after the first finished, ANSWERED). "P" expires after pending_ttl seconds
 * so that a process that died between the two steps does not block the
 * sender for ever; the answer itself does not expire.
 */
#ifndef CLAIMS_QUEUE_X12_H
#define CLAIMS_QUEUE_X12_H

#include <stddef.h>

#include "queue/redis_conn.h"
#include "queue/status.h"

enum queue_x12_claim {
    QUEUE_X12_CLAIMED,     /* this request answers the interchange */
    QUEUE_X12_ANSWERED,    /* answered before: `answer` is that answer */
    QUEUE_X12_IN_PROGRESS, /* another request is answering it now */
    QUEUE_X12_UNAVAILABLE, /* Redis did not answer */
};

/* answer/len are valid during the call only (ANSWERED). */
typedef void (*queue_x12_claim_cb)(enum queue_x12_claim st, const char *answer, size_t len,
                                   void *arg);

/* key_hash: 64 hex digits. Returns 0 (cb called once) or -1 (not sent). */
int queue_x12_claim(struct rconn *rc, const char *prefix, const char *key_hash, int pending_ttl,
                    queue_x12_claim_cb cb, void *arg);
/* Stores the answer (no expiry) in place of the "P" mark. QUEUE_OK or
 * QUEUE_UNAVAILABLE. Returns 0 (cb called once) or -1. */
int queue_x12_answer(struct rconn *rc, const char *prefix, const char *key_hash, const char *answer,
                     size_t len, queue_status_cb cb, void *arg);
/* Drops the "P" mark (when the answer could not be made): the sender may
 * send again. Leaves a stored answer alone. Returns 0 (cb called once) or -1. */
int queue_x12_release(struct rconn *rc, const char *prefix, const char *key_hash,
                      queue_status_cb cb, void *arg);

#endif
