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

/* An amount as a JSON number with exactly two decimals ("124.00"). */
struct json_object *json_money(cents_t amount);

struct json_object *decision_to_json(const struct adj_decision *d);
struct json_object *pending_to_json(const struct adj_pend *p);


#endif
