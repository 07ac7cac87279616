/*
 * Business days and the holiday calendar (RULES.md § 9, DESIGN.md "Time").
 *
 * Holidays are rules, not lists: a fixed date with weekend observance
 * (Saturday → the Friday before, Sunday → the Monday after, as the U.S. Office
 * of Personnel Management observes federal holidays), or the n-th (or last)
 * weekday of a month. The calendar computes any year's holidays from them.
 */
#ifndef CLAIMS_CALENDAR_H
#define CLAIMS_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#include "date.h"

#define CALENDAR_MAX_RULES 32
#define CALENDAR_ERR_LEN 256

enum calendar_rule_kind { CALENDAR_FIXED, CALENDAR_NTH_WEEKDAY };

struct calendar_rule {
    char name[64];
    enum calendar_rule_kind kind;
    int month;     /* 1..12 */
    int day;       /* CALENDAR_FIXED: day of month */
    bool observed; /* CALENDAR_FIXED: shift off weekends */
    int weekday;   /* CALENDAR_NTH_WEEKDAY: 0 = Monday .. 6 = Sunday */
    int nth;       /* CALENDAR_NTH_WEEKDAY: 1..5, or -1 for the last */
    int from_year; /* first year the holiday exists (Juneteenth: 2021); 0 = always */
};

/* Observed holidays are computed once for these years and looked up by
 * binary search; dates outside fall back to the rules. */
#define CALENDAR_CACHE_FIRST_YEAR 1990
#define CALENDAR_CACHE_LAST_YEAR 2100
#define CALENDAR_CACHE_MAX                                                                         \
    (CALENDAR_MAX_RULES * (CALENDAR_CACHE_LAST_YEAR - CALENDAR_CACHE_FIRST_YEAR + 1))

struct calendar {
    struct calendar_rule rules[CALENDAR_MAX_RULES];
    int n_rules;
    int32_t cached[CALENDAR_CACHE_MAX]; /* sorted day numbers */
    int n_cached;
};

/* The eleven U.S. federal holidays (5 U.S.C. 6103) with their observed dates. */
void calendar_us_federal(struct calendar *cal);

/* Reads rules from a JSON file: {"holidays": [{"name", "month", "day"} |
 * {"name", "month", "weekday": "monday", "nth": 3 | "last"}, optional
 * "observed" (default true for fixed dates) and "from_year"]}.
 * Returns 0, or -1 with a message naming the entry in err. */
int calendar_load_file(struct calendar *cal, const char *path, char err[CALENDAR_ERR_LEN]);

/* The date a rule falls on (observed) in a given year; false if the rule does
 * not apply that year. */
bool calendar_rule_date(const struct calendar_rule *rule, int year, date_t *out);

/* Whether d is an observed holiday of the calendar. */
bool calendar_is_holiday(const struct calendar *cal, date_t d);
/* Whether d is a business day: not a weekend day, not an observed holiday (RULES.md § 9). */
bool calendar_is_business_day(const struct calendar *cal, date_t d);

/* The n-th business day after d (d itself is not counted): the processing
 * target is calendar_add_business_days(cal, received_date, 10). */
date_t calendar_add_business_days(const struct calendar *cal, date_t d, int n);

#endif
