/*
 * A PUT of a whole member or group record over its dated facts (issue 13
 * "every fact dated", docs/api.md "Dated facts"): the record's timeline is the
 * body's `history`, or the stored one, and each top-level value that differs
 * from the timeline's value as of today becomes a change effective today,
 * reported today. A PUT therefore never reaches back to an earlier date.
 * Also the one reading of a stored member or group record's text back into
 * its struct, for the handlers that change or scan a record.
 */
#ifndef CLAIMS_INTAKE_DATED_FACTS_H
#define CLAIMS_INTAKE_DATED_FACTS_H

#include "codec/parse_enrollment.h"
#include "model.h"

/* Each returns 0, or -1 (record unchanged) when the change would take the
 * history past MAX_FACT_HISTORY entries. */
int intake_member_apply_put(struct member *m, const struct codec_member_put *put, date_t today);
/* Applies a PUT's dated group facts to g, as intake_member_apply_put does a member's; 0 or -1. */
int intake_group_apply_put(struct group *g, const struct codec_group_put *put, date_t today);

/* The index of the first history entry reported after `today` (a PUT's
 * history must not be reported in the future), or -1. */
int intake_member_reported_after(const struct member *m, date_t today);
/* The index of the group's first history entry reported after `today`, or -1. */
int intake_group_reported_after(const struct group *g, date_t today);

/* Replaces `into`'s history with `from`'s (the stored timeline kept by a PUT
 * without one). */
void intake_member_keep_history(struct member *into, const struct member *from);
/* Replaces `into`'s history with `from`'s, as intake_member_keep_history does a member's. */
void intake_group_keep_history(struct group *into, const struct group *from);

/* Parses a stored member record's text into *out (id: the id it must have,
 * NULL for any); false when it cannot be read or memory ran out. */
bool intake_member_from_text(const char *text, const char *id, struct member *out);
/* Parses a stored group record's text into *out, as intake_member_from_text does a member's. */
bool intake_group_from_text(const char *text, const char *id, struct group *out);

#endif
