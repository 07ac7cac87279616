/*
 * The enrollment records of a family re-decision (queue/corrections.h),
 * read outside the load script: member, group and plan records carry no
 * shard tag, so on a Redis Cluster they live on other slots than the
 * family's keys and no script of the family's shard may read them (issue
 * 12, docs/operations.md "Redis Cluster"). They are read as the worker reads
 * a claim's records: plain GETs, pipelined, each routed to its key's master.
 * Private to queue/.
 */
#ifndef CLAIMS_QUEUE_REDECIDE_RECORDS_H
#define CLAIMS_QUEUE_REDECIDE_RECORDS_H

#include "queue/corrections.h"
#include "queue/rlink.h"

/*
 * Fills out's members, groups and plans: every member record named by the
 * subscriber id, the family set, each row's patient and, transitively, each
 * member's parent_member_id; the group each names (group_id) and that
 * group's plan (plan_id). Absent records are left out, as ids that do not
 * name one. Returns 0, -1 when the connection failed, -2 when Redis refused
 * or memory ran out (what was filled is freed by queue_redecide_facts_free).
 */
int queue_redecide_read_records(struct rlink *c, const char *prefix, const char *subscriber_id,
                                struct redecide_facts *out);

#endif
