/*
 * Member references (docs/operations.md "Redis keys", `mref`): the three
 * facts of a member record that the intake step needs (subscriber, group,
 * plan of the latest coverage span), kept beside the record so that intake
 * reads them inside its script instead of fetching and parsing the record.
 * PUT /v1/members and the sample enrollment write them with the record.
 */
#ifndef CLAIMS_QUEUE_MEMBERS_H
#define CLAIMS_QUEUE_MEMBERS_H

#include <hiredis/hiredis.h>

#include "queue/rlink.h"

/* Writes the reference of every member record that has none (a store
 * written by an earlier version). Blocking, at start-up, a page of keys per
 * call to Redis. Returns how many were written, or -1 when Redis failed. */
long queue_member_refs_backfill(struct rlink *c, const char *prefix);

#endif
