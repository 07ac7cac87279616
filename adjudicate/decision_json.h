/*
 * Decisions and the facts the worker keeps between claims, as JSON: the
 * `decision` and `pending` objects of a claim as read back (API.md "A claim
 * as read back"), and a member's earlier claim lines for the duplicate check.
 * Each function that returns a json_object allocates it; the caller puts it.
 */
#ifndef CLAIMS_DECISION_JSON_H
#define CLAIMS_DECISION_JSON_H

#include <json-c/json.h>

#include "adjudicate/adjudicate.h"

/* An amount as a JSON number with exactly two decimals ("124.00"). */
struct json_object *json_money(cents_t amount);

struct json_object *decision_to_json(const struct adj_decision *d);
struct json_object *pending_to_json(const struct adj_pend *p);

/* A claim's lines for the duplicate check of later claims: an array of
 * compact objects. prior_lines_from_json appends the lines of one stored
 * array to out (at most max in all) and returns how many it added, or -1 if
 * the text is not such an array. */
struct json_object *prior_lines_to_json(const struct adj_prior_line *lines, int n);
int prior_lines_from_json(const char *text, struct adj_prior_line *out, int max);

#endif
