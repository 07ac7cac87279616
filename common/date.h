/*
 * Calendar dates as a small value type.
 *
 * A date is a count of days since 1970-01-01 in the proleptic Gregorian
 * calendar. No time zone, no time of day: dates of service, fill dates and
 * receipt dates are calendar dates (DESIGN.md "Time"). Arithmetic is exact
 * integer arithmetic; there is no time_t anywhere in calendar logic.
 */
#ifndef CLAIMS_DATE_H
#define CLAIMS_DATE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int32_t days; /* days since 1970-01-01 */
} date_t;

/* Range accepted by date_parse: years 1900..2199. */
#define DATE_MIN_YEAR 1900
#define DATE_MAX_YEAR 2199

/* Buffer size for date_format: "YYYY-MM-DD" and the terminator. */
#define DATE_STRLEN 11

/* Whether the Gregorian year has 29 February. */
bool date_is_leap_year(int year);
/* The number of days of a month (1..12) of a year. */
int date_days_in_month(int year, int month);
/* Whether year, month and day name a real calendar day in the range dates cover. */
bool date_valid_ymd(int year, int month, int day);

/* Builds a date; the caller guarantees date_valid_ymd(year, month, day). */
date_t date_from_ymd(int year, int month, int day);
/* Splits a date into year, month (1..12) and day (1..31). */
void date_to_ymd(date_t d, int *year, int *month, int *day);
/* The date's year. */
int date_year(date_t d);
/* The date's month, 1..12. */
int date_month(date_t d);
/* The date's day of the month, 1..31. */
int date_day(date_t d);

/* Strict "YYYY-MM-DD" (exactly 10 characters, a real day in range).
 * Returns true and sets *out on success. */
bool date_parse(const char *s, date_t *out);
/* Writes "YYYY-MM-DD" into buf (at least DATE_STRLEN bytes); returns buf. */
char *date_format(date_t d, char buf[DATE_STRLEN]);

/* The date n days after d (before it for a negative n). */
static inline date_t date_add_days(date_t d, int32_t n)
{
    return (date_t){d.days + n};
}
/* The number of days from earlier to later (negative when later is earlier). */
static inline int32_t date_diff_days(date_t later, date_t earlier)
{
    return later.days - earlier.days;
}
/* -1, 0 or 1 as a is before, on or after b. */
static inline int date_cmp(date_t a, date_t b)
{
    return (a.days > b.days) - (a.days < b.days);
}
/* Whether a and b are the same day. */
static inline bool date_eq(date_t a, date_t b)
{
    return a.days == b.days;
}

/* 0 = Monday ... 6 = Sunday (ISO 8601 order). */
int date_weekday(date_t d);
/* Whether d is a Saturday or a Sunday. */
static inline bool date_is_weekend(date_t d)
{
    return date_weekday(d) >= 5;
}

/* The last day of the month d falls in. */
date_t date_end_of_month(date_t d);
/* 31 December of the year d falls in. */
date_t date_end_of_year(date_t d);
/* d plus n calendar months; a day past the end of the target month is
 * clamped to its last day (31 January + 1 month = 28/29 February). */
date_t date_add_months(date_t d, int n);

/* Completed years of age on `on` for someone born on `birth`. A person born on
 * 29 February attains a new age on 1 March in common years (the day after
 * 28 February): the anniversary has not yet happened on 28 February. */
int date_age_on(date_t birth, date_t on);
/* The date of the n-th birthday (29 February births: 1 March in common years,
 * consistent with date_age_on). */
date_t date_nth_birthday(date_t birth, int n);

/* The plan's time zone (config `time_zone`, an IANA name such as
 * "America/New_York"): whether the system's zoneinfo has it. */
bool date_time_zone_known(const char *iana_name);
/* Makes `iana_name` the zone date_today() reads the date in (sets TZ for the
 * process): once, at start-up, before any thread starts. False, and nothing
 * changed, for an unknown zone. */
bool date_set_time_zone(const char *iana_name);
/* The calendar date of the instant `unix_seconds` in the zone set. */
date_t date_at(long long unix_seconds);
/* Today's date in the plan's time zone, read from the system clock: a claim
 * received at 02:00 UTC on 2 December is received on 1 December in New York.
 * The only place the clock is read for calendar purposes; rules take "today"
 * as a parameter. */
date_t date_today(void);
/* Today's date in UTC: only the payment cycle's day, which runs on a UTC
 * schedule so that every process agrees (docs/configuration.md
 * "payment_cycle.time"; a cycle id's date, docs/x12.md). */
date_t date_today_utc(void);

/* Now, UTC, as RFC 3339 to the second ("2026-03-02T14:05:09Z"): the one
 * reading of the wall clock for timestamps (history, audit, finalized_at). */
void rfc3339_now(char out[32]);
/* A given moment (seconds since the epoch), UTC, in the same form; "" when
 * it cannot be written. */
void rfc3339_at(long long unix_seconds, char out[32]);
/* A moment in milliseconds since the epoch (a negative one as 0), UTC, as RFC 3339 to the
 * millisecond: "2026-03-02T14:05:09.123Z" (log lines, webhook events). */
void rfc3339_ms_at(int64_t unix_ms, char out[32]);

/* The clocks, read here and nowhere else (DESIGN.md "Time"): the wall clock in
 * milliseconds and in seconds since the epoch, and a monotonic clock in
 * nanoseconds for intervals and latencies. */
int64_t clock_wall_ms(void);
/* The wall clock in whole seconds since the epoch. */
int64_t clock_wall_seconds(void);
/* The monotonic clock in nanoseconds, for intervals and latencies. */
uint64_t clock_monotonic_ns(void);
/* The monotonic clock in milliseconds (rate limits, the token cache). */
int64_t clock_monotonic_ms(void);

#endif
