/*
 * Enrollment records in Redis (API.md "Enrollment records", docs/operations.md
 * "Redis keys"): plans, groups and members stored as their canonical JSON, a
 * family's member set, and a member's directory entry (queue/members.h) that
 * names its family and that the intake step reads instead of the record. Key
 * formats stay here; callers name a record by its kind and id. Plans and
 * groups are unsharded; a member record is on its family's shard, found by
 * member id through its directory entry (one more round trip).
 *
 * The asynchronous calls run on the event loop: each returns 0 when the
 * request was sent (its callback is then called exactly once) or -1 when
 * nothing was sent (Redis not connected, out of memory; the callback is not
 * called). What a callback receives is borrowed, valid during the call only.
 * The blocking calls are for start-up and the command line.
 */
#ifndef CLAIMS_QUEUE_ENROLLMENT_H
#define CLAIMS_QUEUE_ENROLLMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "queue/rlink.h"
#include "queue/status.h"

struct rconn;
struct redisContext;

enum queue_record_kind { QUEUE_RECORD_GROUP, QUEUE_RECORD_MEMBER, QUEUE_RECORD_PLAN };

/* One record to read: its kind and id. */
struct queue_record_ref {
    enum queue_record_kind kind;
    const char *id;
};

/* What a member record implies for the keys beside it: its family set
 * (subscriber) and its directory entry (subscriber, group, the plan of its
 * latest coverage span, "" when it has none). */
struct queue_member_facts {
    const char *member_id;
    const char *subscriber_id;
    const char *group_id;
    const char *latest_plan_id;
};

/* Answer of queue_get_records: status QUEUE_OK with json[i] the record of
 * refs[i] as stored (NULL when there is none), n of them; QUEUE_UNAVAILABLE
 * with json NULL. */
typedef void (*queue_records_cb)(enum queue_status status, const char *const *json, size_t n,
                                 void *arg);

#define QUEUE_RECORDS_MAX 32

/* Reads n records (at most QUEUE_RECORDS_MAX): one round trip, two when
 * members are among them (their directory entries first; a member without
 * one reads as NULL). refs and their ids are copied before the call
 * returns. */
int queue_get_records(struct rconn *rc, const char *prefix, const struct queue_record_ref *refs,
                      size_t n, queue_records_cb cb, void *arg);

/* Whether the record exists (a member: its directory entry and its record):
 * QUEUE_OK, QUEUE_NOT_FOUND or QUEUE_UNAVAILABLE. */
int queue_record_exists(struct rconn *rc, const char *prefix, enum queue_record_kind kind,
                        const char *id, queue_status_cb cb, void *arg);

/* Answer of queue_put_record: QUEUE_OK with existed telling whether a record
 * was replaced, or QUEUE_UNAVAILABLE (existed false; the write may or may not
 * have happened). */
typedef void (*queue_put_cb)(enum queue_status status, bool existed, void *arg);

/* Stores the record's canonical JSON under its kind and id. For a member
 * (member not NULL), in steps (enrollment.c says what a crash between them
 * leaves): the record and its family set on its family's shard, when it
 * left the family of old_subscriber (not NULL, not empty and not its
 * subscriber now) its old record and set entry removed there, then its
 * directory entry; existed tells whether it had a record in either family.
 * Every string is copied before the call returns; -1 too for an id of
 * ID_LEN characters or more. */
int queue_put_record(struct rconn *rc, const char *prefix, enum queue_record_kind kind,
                     const char *id, const char *json, const struct queue_member_facts *member,
                     const char *old_subscriber, queue_put_cb cb, void *arg);

/* ---- blocking, at start-up and on the command line ---- */

/* The same writes as queue_put_record for a new store (no old family): a
 * member's record and family set, then its directory entry. Returns 0, or
 * -1 when Redis failed or refused a write. */
int queue_put_record_blocking(struct rlink *c, const char *prefix, enum queue_record_kind kind,
                              const char *id, const char *json,
                              const struct queue_member_facts *member);

/* 1 when the record exists (a member: its directory entry and record), 0
 * when not, -1 when Redis did not answer. */
int queue_record_exists_blocking(struct rlink *c, const char *prefix, enum queue_record_kind kind,
                                 const char *id);

/* The sample enrollment's marker: 1 when it was loaded before, 0 when not,
 * -1 when Redis did not answer. */
int queue_seeded_blocking(struct rlink *c, const char *prefix);
/* Sets the sample enrollment's marker; returns 0, or -1 when Redis did not
 * store it. */
int queue_mark_seeded_blocking(struct rlink *c, const char *prefix);

#endif
