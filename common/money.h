/*
 * Money as integer cents. No floating point ever touches an amount
 * (API.md "Conventions"): amounts are parsed from their decimal text.
 */
#ifndef CLAIMS_MONEY_H
#define CLAIMS_MONEY_H

#include <stdbool.h>
#include <stdint.h>

typedef int64_t cents_t;

/* The largest amount the API accepts: 9,999,999.99. */
#define MONEY_MAX_CENTS ((cents_t)999999999)

/* Buffer size for money_format: "-9999999999999999.99" and the terminator. */
#define MONEY_STRLEN 24

/* Parses a JSON number's text ("150", "150.5", "150.00") into cents.
 * Rejects a sign, exponents, more than two decimals, leading zeros like "01",
 * and anything over MONEY_MAX_CENTS. Returns true on success. */
bool money_parse(const char *text, cents_t *out);

/* Writes the amount with exactly two decimals ("150.00", "0.05", "-3.10")
 * into buf; returns buf. The text is also a valid JSON number. */
char *money_format(cents_t amount, char buf[MONEY_STRLEN]);

/* Parses an amount as money_format writes it: an optional minus sign, up to
 * 15 digits, and one or two decimals when there is a point ("-3.1" is
 * -310). For stored text this program wrote, not for the API's input
 * (money_parse). Returns true on success. */
bool money_parse_stored(const char *text, cents_t *out);

/* Buffer size for money_quantity_format. */
#define MONEY_QUANTITY_STRLEN 32

/* Writes a quantity held in thousandths without trailing zeros ("30", "2.5",
 * "0.125") into buf; returns buf. The text is also a valid JSON number. */
char *money_quantity_format(int64_t milli, char buf[MONEY_QUANTITY_STRLEN]);

/* percent% of amount, rounded half-up to the cent (RULES.md § 7).
 * amount >= 0, 0 <= percent <= 100. */
cents_t money_percent(cents_t amount, int percent);

/* a * num / den rounded half-up; a >= 0, num >= 0, den > 0. Used for
 * proportional allocation and unit price × fractional quantity. */
cents_t money_mul_div(cents_t a, int64_t num, int64_t den);

/* The smaller of two amounts. */
static inline cents_t money_min(cents_t a, cents_t b)
{
    return a < b ? a : b;
}
/* The larger of two amounts. */
static inline cents_t money_max(cents_t a, cents_t b)
{
    return a > b ? a : b;
}

#endif
