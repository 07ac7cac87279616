/*
 * The per-line decision a person gives on a claim, `lines: [{"line",
 * "allowed", "group", "carc", "rarc"}]`: the body of a staff review (POST
 * /v1/claims/{id}/review) and of an appeal decision (POST
 * /v1/appeals/{id}/decision). One reader for both, into the one
 * representation the rules apply (struct adj_line_decision, stored with the
 * claim as its `review`). Read in two steps: the shape of each item without
 * the claim, then against the claim's lines (which exist, what each
 * charged, which the rules denied). Problems are reported with the reader's
 * paths and the phrases of docs/validation.md "Decision lines".
 */
#ifndef CLAIMS_INTAKE_DECISION_LINES_H
#define CLAIMS_INTAKE_DECISION_LINES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "adjudicate/adjudicate.h"
#include "codec/json_read.h"
#include "intake/api.h"
#include "model.h"

/* What an endpoint asks of each item. */
struct decision_lines_spec {
    bool allowed;       /* true: `allowed` is required; false: it must be absent */
    bool code_required; /* `group` and `carc` on every item (a denial) */
    bool line_optional; /* an item may leave out `line` (every line) when it is the only one */
};

/* Reads body[key] (absent or null: none) as 0..MAX_LINES items into
 * out->lines and out->n_lines (out->action is left alone); line_given[i]:
 * item i named its line. Every problem is reported at its path
 * (`lines[0].carc`). Returns false when anything was reported. */
bool intake_decision_lines_parse(struct codec_reader *r, struct json_object *body, const char *key,
                                 const struct decision_lines_spec *spec, struct adj_review *out,
                                 bool line_given[MAX_LINES]);

/* The claim the lines are checked against: each line's charge and whether
 * the rules denied it. */
struct decision_lines_claim {
    cents_t charges[MAX_LINES];
    bool denied[MAX_LINES];
    size_t n;
    bool priced_only;       /* an `allowed` only on a line the rules priced (a review's adjust) */
    bool code_below_charge; /* `group` and `carc` required when allowed < charge (an appeal) */
};

/* The lines and charges of a stored decision object ({"lines": [{"charge",
 * "denied"}, ...]}) into c; false when it does not read. */
bool intake_decision_lines_claim_of(struct json_object *decision, struct decision_lines_claim *c);

/* Checks parsed lines against the claim: each named `line` is one of its
 * lines, at most once; `allowed` at most that line's charge; the claim's
 * own requirements (c->priced_only, c->code_below_charge). Problems at
 * `<key>[i].<field>`. Returns true when none was found. */
bool intake_decision_lines_check(struct codec_reader *r, const char *key,
                                 const struct adj_review *rv, const bool line_given[MAX_LINES],
                                 const struct decision_lines_claim *c);

/* The answer to a body's lines checked against the stored decision of the
 * claim claim_id (intake_decision_lines_claim_of, then
 * intake_decision_lines_check with the endpoint's priced_only and
 * code_below_charge): true when they fit; false after answering 500 when
 * the decision does not read, 422 with the problems otherwise. */
bool intake_decision_lines_fit(struct call *call, const char *claim_id,
                               struct json_object *decision, const struct adj_review *rv,
                               const bool line_given[MAX_LINES], bool priced_only,
                               bool code_below_charge);

/* The lines as the API writes them back: [{"line", "allowed", "group",
 * "carc", "rarc"}] with null for what was not given. Allocates (the caller
 * puts it); NULL when out of memory. */
struct json_object *intake_decision_lines_json(const struct adj_review *rv);

#endif
