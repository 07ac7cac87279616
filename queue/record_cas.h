/*
 * A read-modify-write of one enrollment record that two writers cannot
 * interleave (issue 13: dated events on a group or a member): the record is
 * replaced only if it still holds exactly the text it was read with, checked
 * and written in one Lua script. A writer that loses reads again and
 * re-applies its change.
 */
#ifndef CLAIMS_QUEUE_RECORD_CAS_H
#define CLAIMS_QUEUE_RECORD_CAS_H

#include "queue/enrollment.h"
#include "queue/status.h"

struct rconn;

/* Replaces the record of (kind, id) by `json` if it holds `expected` now
 * (expected NULL: writes it only if there is no record). The callback gets
 * QUEUE_OK (written), QUEUE_CONFLICT (it changed, or was created, since:
 * nothing written), QUEUE_NOT_FOUND (it is gone) or QUEUE_UNAVAILABLE.
 * Only the record's own key is written (a member's family set and
 * reference hash are queue_put_record's).
 * Strings are copied. Returns 0 when sent (cb called once), -1 when not. */
int queue_replace_record(struct rconn *rc, const char *prefix, enum queue_record_kind kind,
                         const char *id, const char *expected, const char *json, queue_status_cb cb,
                         void *arg);

#endif
