/*
 * Amounts and quantities as json-c numbers (API.md "Conventions"): the
 * number's text is written exactly (money_format, money_quantity_format) and kept
 * by json_object_new_double_s, so no floating point rounds what is sent; the
 * double beside it is for other json-c consumers, and nothing here reads it.
 */
#ifndef CLAIMS_JSON_VALUES_H
#define CLAIMS_JSON_VALUES_H

#include <stdint.h>

#include <json-c/json.h>

#include "money.h"

/* An amount as a JSON number with exactly two decimals ("150.00"); NULL when
 * out of memory. */
struct json_object *json_money(cents_t amount);

/* A quantity from thousandths: 30 as an integer, 2.5, 0.125; NULL when out of
 * memory. */
struct json_object *json_quantity(int64_t milli);

#endif
