#include "date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

bool date_is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int date_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && date_is_leap_year(year))
        return 29;
    return days[month - 1];
}

bool date_valid_ymd(int year, int month, int day)
{
    return year >= DATE_MIN_YEAR && year <= DATE_MAX_YEAR && month >= 1 && month <= 12 &&
           day >= 1 && day <= date_days_in_month(year, month);
}

/* Days from civil, in the era-based formulation: shift the year so it
 * starts in March, which puts the leap day at the end of the year. */
date_t date_from_ymd(int year, int month, int day)
{
    int y = year - (month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int mp = (month + 9) % 12;
    int doy = (153 * mp + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (date_t){era * 146097 + doe - 719468};
}

void date_to_ymd(date_t d, int *year, int *month, int *day)
{
    int z = d.days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int dd = doy - (153 * mp + 2) / 5 + 1;
    int mm = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (mm <= 2);
    *month = mm;
    *day = dd;
}

int date_year(date_t d)
{
    int y, m, dd;
    date_to_ymd(d, &y, &m, &dd);
    return y;
}

int date_month(date_t d)
{
    int y, m, dd;
    date_to_ymd(d, &y, &m, &dd);
    return m;
}

int date_day(date_t d)
{
    int y, m, dd;
    date_to_ymd(d, &y, &m, &dd);
    return dd;
}

static int two_digits(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

bool date_parse(const char *s, date_t *out)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int hi = two_digits(s), lo = two_digits(s + 2);
    int month = two_digits(s + 5), day = two_digits(s + 8);
    if (hi < 0 || lo < 0 || month < 0 || day < 0)
        return false;
    int year = hi * 100 + lo;
    if (!date_valid_ymd(year, month, day))
        return false;
    *out = date_from_ymd(year, month, day);
    return true;
}

char *date_format(date_t d, char buf[DATE_STRLEN])
{
    int y, m, dd;
    date_to_ymd(d, &y, &m, &dd);
    /* Digits by hand: the year is within DATE_MIN_YEAR..DATE_MAX_YEAR. */
    unsigned uy = (unsigned)y % 10000u, um = (unsigned)m, ud = (unsigned)dd;
    buf[0] = (char)('0' + uy / 1000);
    buf[1] = (char)('0' + uy / 100 % 10);
    buf[2] = (char)('0' + uy / 10 % 10);
    buf[3] = (char)('0' + uy % 10);
    buf[4] = '-';
    buf[5] = (char)('0' + um / 10);
    buf[6] = (char)('0' + um % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + ud / 10);
    buf[9] = (char)('0' + ud % 10);
    buf[10] = '\0';
    return buf;
}

int date_weekday(date_t d)
{
    /* 1970-01-01 was a Thursday (3 in Monday-based numbering). */
    int w = (d.days + 3) % 7;
    return w < 0 ? w + 7 : w;
}

date_t date_end_of_month(date_t d)
{
    int y, m, dd;
    date_to_ymd(d, &y, &m, &dd);
    return date_from_ymd(y, m, date_days_in_month(y, m));
}

date_t date_end_of_year(date_t d)
{
    return date_from_ymd(date_year(d), 12, 31);
}

date_t date_add_months(date_t d, int n)
{
    int y, m, dd;
    date_to_ymd(d, &y, &m, &dd);
    int total = y * 12 + (m - 1) + n;
    int ny = total / 12, nm = total % 12 + 1;
    int last = date_days_in_month(ny, nm);
    return date_from_ymd(ny, nm, dd > last ? last : dd);
}

int date_age_on(date_t birth, date_t on)
{
    int by, bm, bd, oy, om, od;
    date_to_ymd(birth, &by, &bm, &bd);
    date_to_ymd(on, &oy, &om, &od);
    int age = oy - by;
    if (om < bm || (om == bm && od < bd))
        age--;
    return age;
}

date_t date_nth_birthday(date_t birth, int n)
{
    int by, bm, bd;
    date_to_ymd(birth, &by, &bm, &bd);
    int y = by + n;
    if (bm == 2 && bd == 29 && !date_is_leap_year(y))
        return date_from_ymd(y, 3, 1);
    return date_from_ymd(y, bm, bd);
}

/* An IANA zone name: Area/Location letters, digits and _ + -, no "..", not
 * absolute (a name, never a path out of the zoneinfo directory). */
static bool zone_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128 || name[0] == '/' || strstr(name, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '+' || c == '-' || c == '/';
        if (!ok)
            return false;
    }
    return true;
}

bool date_time_zone_known(const char *iana_name)
{
    if (!iana_name || !zone_name_valid(iana_name))
        return false;
    const char *dir = getenv("TZDIR");
    char path[512];
    int n = snprintf(path, sizeof path, "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo",
                     iana_name);
    struct stat st;
    return n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool date_set_time_zone(const char *iana_name)
{
    if (!date_time_zone_known(iana_name) || setenv("TZ", iana_name, 1) != 0)
        return false;
    tzset();
    return true;
}

date_t date_at(long long unix_seconds)
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    if (!localtime_r(&t, &tm))
        gmtime_r(&t, &tm);
    return date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

date_t date_today(void)
{
    return date_at((long long)clock_wall_seconds());
}

date_t date_today_utc(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void rfc3339_at(long long unix_seconds, char out[32])
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

void rfc3339_ms_at(int64_t unix_ms, char out[32])
{
    if (unix_ms < 0)
        unix_ms = 0;
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    char seconds[24] = "";
    if (gmtime_r(&t, &tm))
        strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", seconds, (int)(unix_ms % 1000));
}

void rfc3339_now(char out[32])
{
    rfc3339_at((long long)clock_wall_seconds(), out);
}

int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_wall_seconds(void)
{
    return (int64_t)time(NULL);
}

uint64_t clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t clock_monotonic_ms(void)
{
    return (int64_t)(clock_monotonic_ns() / 1000000);
}
