/*
 * A family's enrollment records read and written as one (enrollment events,
 * POST /v1/members/{member_id}/events): the members of the subscriber's
 * family set are read together (with the group, unsharded, read just
 * before), and every changed or new member record is written in one atomic
 * step that first checks nothing it read has changed since (optimistic
 * concurrency: the caller reads again and retries on QUEUE_CONFLICT). The
 * same step moves the family version on, so that a claim of the family being
 * adjudicated meanwhile is decided again on the new facts (the commit script
 * answers "stale", queue/scripts.c). The family set, its member records and
 * its version are on the family's shard (queue/members.h), so each step is
 * one script on one slot, on a Redis Cluster too; the members' directory
 * entries are written after the step (members.h says what a crash between
 * leaves).
 *
 * Why a script and not WATCH/MULTI/EXEC: the event loop shares one Redis
 * connection among all requests, and any other request's EXEC on it between
 * our WATCH and our EXEC would clear our WATCH silently. The script compares
 * what was read with what is stored and writes only when they agree, which
 * is what WATCH promises, without depending on the connection.
 *
 * Calls return 0 when sent (the callback is then called exactly once) or -1
 * when nothing was sent. What a callback receives is borrowed for the call.
 */
#ifndef CLAIMS_QUEUE_FAMILY_WRITE_H
#define CLAIMS_QUEUE_FAMILY_WRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "queue/status.h"

struct rconn;

/* The most members a family read answers (QUEUE_CONFLICT beyond: the caller
 * refuses the event). */
#define QUEUE_FAMILY_MAX 24

/* A family as stored: member ids in sorted order with their records (NULL
 * when a set member has no record), the group's record (NULL when absent)
 * and the record stored under the id an event adds (NULL when free). */
struct queue_family {
    const char *ids[QUEUE_FAMILY_MAX];
    const char *records[QUEUE_FAMILY_MAX];
    size_t n;
    const char *group;
    const char *added;
};

/* QUEUE_OK with the family; QUEUE_CONFLICT (family NULL) when the family set
 * has more than QUEUE_FAMILY_MAX members; QUEUE_UNAVAILABLE. */
typedef void (*queue_family_cb)(enum queue_status status, const struct queue_family *family,
                                void *arg);

/* Reads the family of subscriber_id, the group group_id and the member
 * record of added_id (NULL or "": none; found through its directory entry,
 * else on this family's shard). Strings are copied; -1 too for an id of
 * ID_LEN characters or more. */
int queue_family_read(struct rconn *rc, const char *prefix, const char *subscriber_id,
                      const char *group_id, const char *added_id, queue_family_cb cb, void *arg);

/* One member record to write: what was read for it ("" when it did not
 * exist), its new canonical JSON, and its keys' facts. */
struct queue_family_record {
    const char *member_id;
    const char *expected;
    const char *json;
    const char *subscriber_id;
    const char *group_id;
    const char *latest_plan_id; /* "" when it has no span */
};

/*
 * Writes the records in one atomic step on the family's shard, provided the
 * family set still holds exactly `family_ids` (n_family of them, sorted, as
 * read) and each record is still as `expected`: sets each record, adds it to
 * the family set of subscriber_id, and moves the family version on; then
 * writes each record's directory entry (queue/members.h). Answers QUEUE_OK
 * (once the directory entries were written, or failed: logged),
 * QUEUE_CONFLICT (something changed since the read: nothing was written) or
 * QUEUE_UNAVAILABLE. Strings are copied.
 */
int queue_family_write(struct rconn *rc, const char *prefix, const char *subscriber_id,
                       const char *const *family_ids, size_t n_family,
                       const struct queue_family_record *records, size_t n, queue_status_cb cb,
                       void *arg);

/* Computes the scripts' SHA-1s; queue_init calls it. */
void queue_family_write_scripts_init(void);

#endif
