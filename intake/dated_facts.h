/*
 * A PUT of a whole member or group record over its dated facts (issue 13
 * "every fact dated", docs/api.md "Dated facts"): the record's timeline is the
 * body's `history`, or the stored one, and each top-level value that differs
 * from the timeline's value as of today becomes a change effective today,
 * reported today. A PUT therefore never reaches back to an earlier date.
 */
#ifndef CLAIMS_INTAKE_DATED_FACTS_H
#define CLAIMS_INTAKE_DATED_FACTS_H

#include "intake/parse_enrollment.h"
#include "model.h"

/* Each returns 0, or -1 (record unchanged) when the change would take the
 * history past MAX_FACT_HISTORY entries. */
int intake_member_apply_put(struct member *m, const struct intake_member_put *put, date_t today);
int intake_group_apply_put(struct group *g, const struct intake_group_put *put, date_t today);

/*
 * Sets facts from `from` on, as reported on `reported_on`: each fact set (the
 * INTAKE_GIVEN_* bits of mask; for a group, count and/or certification) takes
 * `values`' value from `from` until the next later entry that already changes
 * that same fact, so a later dated change of it is kept; the other facts stay
 * as they are. (model.c's *_change_facts applies an edit to every later entry;
 * these limit it.) Return 0, or -1 (record unchanged) when the history is full.
 */
int intake_member_set_facts(struct member *m, date_t from, date_t reported_on, unsigned mask,
                            const struct member_facts *values);
int intake_group_set_facts(struct group *g, date_t from, date_t reported_on, bool count,
                           bool certification, const struct group_facts *values);

/* The index of the first history entry reported after `today` (a PUT's
 * history must not be reported in the future), or -1. */
int intake_member_reported_after(const struct member *m, date_t today);
int intake_group_reported_after(const struct group *g, date_t today);

/* Replaces `into`'s history with `from`'s (the stored timeline kept by a PUT
 * without one). */
void intake_member_keep_history(struct member *into, const struct member *from);
void intake_group_keep_history(struct group *into, const struct group *from);

#endif
