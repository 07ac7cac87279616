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
#include "strbuf.h"

struct json_object *decision_to_json(const struct adj_decision *d);
struct json_object *pending_to_json(const struct adj_pend *p);

/* The same records written straight into w under key (NULL in an array):
 * the bytes json-c writes for decision_to_json / pending_to_json with w's
 * slash flag, without the tree (the worker writes one per claim). */
void decision_write(struct json_writer *w, const char *key, const struct adj_decision *d);
void pending_write(struct json_writer *w, const char *key, const struct adj_pend *p);

/* Their text as json_object_to_json_string_ext(…, JSON_C_TO_STRING_PLAIN)
 * writes it. Allocates: the caller frees; NULL when out of memory. */
char *decision_to_text(const struct adj_decision *d);
char *pending_to_text(const struct adj_pend *p);

/* A reviewer's decision as stored with the claim (its `review` field,
 * docs/operations.md): {"action", "lines": [{"line", "allowed", "group",
 * "carc", "rarc"}]}, line 0 written as absent, absent members left out.
 * NULL when out of memory. */
struct json_object *review_to_json(const struct adj_review *rv);
/* Reads review_to_json's form (other members ignored) into *out; false when
 * o is not one (the claim is then left for redelivery, never decided without
 * its review). */
bool review_from_json(struct json_object *o, struct adj_review *out);
/* "approve", "adjust", "deny", "overturn" (an appeal's, stored only); review_action_parse:
 * false for another text. */
const char *review_action_name(enum adj_review_action action);
bool review_action_parse(const char *text, enum adj_review_action *out);

#endif
