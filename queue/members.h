/*
 * Where a member's enrollment lives (docs/operations.md "Redis keys",
 * issue 12). A family's member records and member set are on the family's
 * shard (FAMILY_PREFIX of the subscriber id), beside its version, so that an
 * enrollment event's compare-and-set is one script on one slot. A member id
 * alone does not say which shard: the member directory `<prefix>mref:<id>`
 * (unsharded) names its subscriber, with the group and the plan of its
 * latest coverage span that the intake step needs.
 *
 * The directory is written after the family's records (a second step): a
 * crash in between leaves the records without their entry (a new member
 * reads as absent by id) or with an old one (intake sees the old group or
 * plan). The next write of that member writes the entry again, and the
 * start-up pass (queue_member_refs_backfill) rebuilds every missing or
 * outdated entry from the records.
 */
#ifndef CLAIMS_QUEUE_MEMBERS_H
#define CLAIMS_QUEUE_MEMBERS_H

#include <hiredis/hiredis.h>

#include "model.h"
#include "queue/intake.h"
#include "queue/keys.h"
#include "queue/rlink.h"
#include "queue/status.h"

struct rconn;

/* The key of a member record: member_id's record in the family of
 * subscriber_id (on that family's shard). */
void queue_member_key(char key[KEY_LEN], const char *prefix, const char *subscriber_id,
                      const char *member_id);

/* The key of a family's member set (on the family's shard). */
void queue_family_key(char key[KEY_LEN], const char *prefix, const char *subscriber_id);

/* The key of a member's directory entry (unsharded). */
void queue_member_ref_key(char key[KEY_LEN], const char *prefix, const char *member_id);

/* A member's directory entry is a struct queue_member_ref (queue/intake.h,
 * where intake reads it before its script). Answer of queue_member_dir_get:
 * QUEUE_OK with the entry, QUEUE_NOT_FOUND (ref NULL) when the member has
 * none, QUEUE_UNAVAILABLE (ref NULL). */
typedef void (*queue_member_dir_cb)(enum queue_status status, const struct queue_member_ref *ref,
                                    void *arg);

/* Reads a member's directory entry (one round trip). member_id is copied.
 * Returns 0 when sent (cb is called once), -1 when not (cb is not called). */
int queue_member_dir_get(struct rconn *rc, const char *prefix, const char *member_id,
                         queue_member_dir_cb cb, void *arg);

/* Writes a member's directory entry (HSET of its three fields). Returns 0
 * when sent (cb, when not NULL, is called once with QUEUE_OK or
 * QUEUE_UNAVAILABLE), -1 when not. */
int queue_member_dir_put(struct rconn *rc, const char *prefix, const char *member_id,
                         const char *subscriber_id, const char *group_id, const char *plan_id,
                         queue_status_cb cb, void *arg);

/* Blocking: a member's subscriber from its directory entry into
 * subscriber_id. Returns 1 when it has one, 0 when not, -1 when Redis did
 * not answer. */
int queue_member_subscriber_blocking(struct rlink *c, const char *prefix, const char *member_id,
                                     char subscriber_id[ID_LEN]);

/*
 * At start-up, blocking, key by key (no script spans slots):
 * 1. moves member records and family sets of an earlier version
 *    ("<prefix>member:<id>", "<prefix>family:<sub>") to their family's
 *    shard (a record already there is newer and kept), idempotent;
 * 2. writes the directory entry of every member record that has none, or
 *    whose entry differs from the record, or names a family where the
 *    member has no record (a write cut between its two steps);
 * 3. deletes the directory of an earlier version ("<prefix>{c}mref:<id>").
 * Each step's count is logged. Returns the number of entries written in
 * step 2, or -1 when Redis failed.
 */
long queue_member_refs_backfill(struct rlink *c, const char *prefix);

#endif
