/*
 * Decisions and the facts the worker keeps between claims, as JSON: the
 * `decision` and `pending` objects of a claim as read back (API.md "A claim
 * as read back").
 * Each function that returns a json_object allocates it; the caller puts it.
 */
#ifndef CLAIMS_DECISION_JSON_H
#define CLAIMS_DECISION_JSON_H

#include <json-c/json.h>

#include "adjudicate/adjudicate.h"
#include "json_values.h"
#include "json_writer.h"

/* A claim's `decision` object: adj_decision_to_text parsed back; the caller puts it, NULL
 * when out of memory. */
struct json_object *adj_decision_to_json(const struct adj_decision *d);
/* A claim's `pending` object: adj_pending_to_text parsed back; the caller puts it, NULL when
 * out of memory. */
struct json_object *adj_pending_to_json(const struct adj_pend *p);

/* The records written straight into w under key (NULL in an array), without a tree (the
 * worker writes one per claim): the bytes json-c writes for the same tree with w's slash flag. */
void adj_decision_write(struct json_writer *w, const char *key, const struct adj_decision *d);
/* Writes the `pending` object into w under key, the bytes adj_pending_to_json's text would have. */
void adj_pending_write(struct json_writer *w, const char *key, const struct adj_pend *p);

/* Their text as json_object_to_json_string_ext(…, JSON_C_TO_STRING_PLAIN)
 * writes it. Allocates: the caller frees; NULL when out of memory. */
char *adj_decision_to_text(const struct adj_decision *d);
/* The `pending` object's plain JSON text; the caller frees it, NULL when out of memory. */
char *adj_pending_to_text(const struct adj_pend *p);

/* A reviewer's decision as stored with the claim (its `review` field,
 * docs/operations.md): {"action", "lines": [{"line", "allowed", "group",
 * "carc", "rarc"}]}, line 0 written as absent, absent members left out.
 * NULL when out of memory. */
struct json_object *adj_review_to_json(const struct adj_review *rv);
/* Reads adj_review_to_json's form (other members ignored) into *out; false when
 * o is not one (the claim is then left for redelivery, never decided without
 * its review). */
bool adj_review_from_json(struct json_object *o, struct adj_review *out);
/* "approve", "adjust", "deny", "overturn" (an appeal's, stored only); adj_review_action_parse:
 * false for another text. */
const char *adj_review_action_name(enum adj_review_action action);
/* The review action a text names into *out; false for a text that is none of them. */
bool adj_review_action_parse(const char *text, enum adj_review_action *out);

#endif
