/*
 * The per-line decision a person gives on a claim, `lines: [{"line",
 * "allowed", "group", "carc", "rarc"}]`: the body of an appeal decision
 * (POST /v1/appeals/{id}/decision) and of a staff review (issue 14). Parsed
 * in two steps: the shape of each item without the claim, then against the
 * claim's lines (which exist, what each charged). Problems are reported with
 * the reader's paths and fixed phrases (docs/validation.md "Decision
 * lines").
 */
#ifndef CLAIMS_INTAKE_DECISION_LINES_H
#define CLAIMS_INTAKE_DECISION_LINES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "codec/json_read.h"
#include "model.h"

/* One line's decision. group and carc are "" when not given (allowed at the
 * full charge), rarc "" when not given. */
struct decision_line {
    int line;          /* 1-based line of the claim */
    cents_t allowed;
    char group[3];     /* CO, PR, OA */
    char carc[8];      /* a CARC the plan uses (adj_carc_lookup) */
    char rarc[8];      /* a RARC the plan uses (adj_rarc_lookup), or "" */
};

/* Reads body[key] as an array of 0..MAX_LINES decision lines into out (at
 * least MAX_LINES entries), their count into *n; every problem is reported
 * at its path (`lines[0].carc`). Returns false when anything was reported
 * (out and *n then hold the items that could be read). An absent key (or
 * null) is *n = 0 and true. */
bool intake_decision_lines_parse(struct intake_reader *r, struct json_object *body,
                                 const char *key, struct decision_line *out, size_t *n);

/* Checks parsed lines against the claim's lines: each `line` names one of
 * the claim's n_claim lines, at most once; `allowed` is at most that line's
 * charge (charges[line - 1]); `group` and `carc` are given when allowed is
 * less than the charge. Problems at `<key>[i].<field>`. Returns true when
 * none was found. */
bool intake_decision_lines_check(struct intake_reader *r, const char *key,
                                 const struct decision_line *lines, size_t n,
                                 const cents_t *charges, size_t n_claim);

/* The lines as the API writes them back: [{"line", "allowed", "group",
 * "carc", "rarc"}] with null for what was not given. Allocates (the caller
 * puts it); NULL when out of memory. */
struct json_object *intake_decision_lines_json(const struct decision_line *lines, size_t n);

#endif
