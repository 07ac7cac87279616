#include "calendar.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static void prepare(struct calendar *cal);

/* The calendar's next rule, emptied, with its name, kind and month set. */
static struct calendar_rule *add_rule(struct calendar *cal, const char *name,
                                      enum calendar_rule_kind kind, int month)
{
    struct calendar_rule *r = &cal->rules[cal->n_rules++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->kind = kind;
    r->month = month;
    return r;
}

static void add_fixed(struct calendar *cal, const char *name, int month, int day, int from_year)
{
    struct calendar_rule *r = add_rule(cal, name, CALENDAR_FIXED, month);
    r->day = day;
    r->observed = true;
    r->from_year = from_year;
}

static void add_nth(struct calendar *cal, const char *name, int month, int weekday, int nth)
{
    struct calendar_rule *r = add_rule(cal, name, CALENDAR_NTH_WEEKDAY, month);
    r->weekday = weekday;
    r->nth = nth;
}

void calendar_us_federal(struct calendar *cal)
{
    cal->n_rules = 0;
    add_fixed(cal, "New Year's Day", 1, 1, 0);
    add_nth(cal, "Birthday of Martin Luther King, Jr.", 1, 0, 3);
    add_nth(cal, "Washington's Birthday", 2, 0, 3);
    add_nth(cal, "Memorial Day", 5, 0, -1);
    add_fixed(cal, "Juneteenth National Independence Day", 6, 19, 2021);
    add_fixed(cal, "Independence Day", 7, 4, 0);
    add_nth(cal, "Labor Day", 9, 0, 1);
    add_nth(cal, "Columbus Day", 10, 0, 2);
    add_fixed(cal, "Veterans Day", 11, 11, 0);
    add_nth(cal, "Thanksgiving Day", 11, 3, 4);
    add_fixed(cal, "Christmas Day", 12, 25, 0);
    prepare(cal);
}

bool calendar_rule_date(const struct calendar_rule *r, int year, date_t *out)
{
    if (year < DATE_MIN_YEAR || year > DATE_MAX_YEAR || (r->from_year && year < r->from_year))
        return false;
    if (r->kind == CALENDAR_FIXED) {
        date_t d = date_from_ymd(year, r->month, r->day);
        if (r->observed) {
            int w = date_weekday(d);
            if (w == 5)
                d = date_add_days(d, -1);
            else if (w == 6)
                d = date_add_days(d, 1);
        }
        *out = d;
        return true;
    }
    if (r->nth > 0) {
        date_t first = date_from_ymd(year, r->month, 1);
        int shift = (r->weekday - date_weekday(first) + 7) % 7;
        date_t d = date_add_days(first, shift + 7 * (r->nth - 1));
        if (date_month(d) != r->month)
            return false; /* no fifth such weekday this month */
        *out = d;
        return true;
    }
    date_t last = date_end_of_month(date_from_ymd(year, r->month, 1));
    int back = (date_weekday(last) - r->weekday + 7) % 7;
    *out = date_add_days(last, -back);
    return true;
}

static int cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Fills the table of observed holidays of the cached years. */
static void prepare(struct calendar *cal)
{
    cal->n_cached = 0;
    for (int y = CALENDAR_CACHE_FIRST_YEAR; y <= CALENDAR_CACHE_LAST_YEAR; y++)
        for (int i = 0; i < cal->n_rules; i++) {
            date_t h;
            if (calendar_rule_date(&cal->rules[i], y, &h))
                cal->cached[cal->n_cached++] = h.days;
        }
    qsort(cal->cached, (size_t)cal->n_cached, sizeof *cal->cached, cmp_day);
}

bool calendar_is_holiday(const struct calendar *cal, date_t d)
{
    int year = date_year(d);
    /* Inside the cached years (an observed date may sit in the year before:
     * 31 December for a Saturday New Year's Day). */
    if (year > CALENDAR_CACHE_FIRST_YEAR && year < CALENDAR_CACHE_LAST_YEAR)
        return bsearch(&d.days, cal->cached, (size_t)cal->n_cached, sizeof *cal->cached, cmp_day) !=
               NULL;
    for (int i = 0; i < cal->n_rules; i++) {
        /* An observed date can fall in the neighbouring year (1 January on a
         * Saturday is observed on 31 December). */
        for (int y = year - 1; y <= year + 1; y++) {
            date_t h;
            if (calendar_rule_date(&cal->rules[i], y, &h) && date_eq(h, d))
                return true;
        }
    }
    return false;
}

bool calendar_is_business_day(const struct calendar *cal, date_t d)
{
    return !date_is_weekend(d) && !calendar_is_holiday(cal, d);
}

date_t calendar_add_business_days(const struct calendar *cal, date_t d, int n)
{
    while (n > 0) {
        d = date_add_days(d, 1);
        if (calendar_is_business_day(cal, d))
            n--;
    }
    return d;
}

static int weekday_from_name(const char *name)
{
    static const char *names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                  "friday", "saturday", "sunday"};
    for (int i = 0; i < 7; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

static bool get_int(json_object *obj, const char *key, int lo, int hi, int *out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    int64_t n = json_object_get_int64(v);
    if (n < lo || n > hi)
        return false;
    *out = (int)n;
    return true;
}

static int parse_rule(json_object *e, struct calendar_rule *r, int idx, const char *path,
                      char err[CALENDAR_ERR_LEN])
{
    memset(r, 0, sizeof *r);
    json_object *v;
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        int n_ = snprintf(err, CALENDAR_ERR_LEN, "%s: holidays[%d]: ", path, idx);                 \
        snprintf(err + n_, (size_t)(CALENDAR_ERR_LEN - n_), __VA_ARGS__);                          \
        return -1;                                                                                 \
    } while (0)
    if (!json_object_is_type(e, json_type_object))
        FAIL("must be an object");
    json_object_object_foreach(e, key, val)
    {
        (void)val;
        static const char *known[] = {"name", "month",    "day",      "weekday",
                                      "nth",  "observed", "from_year"};
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof *known; i++)
            ok |= strcmp(key, known[i]) == 0;
        if (!ok)
            FAIL("unknown key \"%s\"", key);
    }
    if (!json_object_object_get_ex(e, "name", &v) || !json_object_is_type(v, json_type_string))
        FAIL("\"name\" is required");
    snprintf(r->name, sizeof r->name, "%s", json_object_get_string(v));
    if (!get_int(e, "month", 1, 12, &r->month))
        FAIL("\"month\" must be 1..12");
    if (json_object_object_get_ex(e, "from_year", &v) &&
        !get_int(e, "from_year", DATE_MIN_YEAR, DATE_MAX_YEAR, &r->from_year))
        FAIL("\"from_year\" must be a year");
    bool has_day = json_object_object_get_ex(e, "day", NULL);
    bool has_weekday = json_object_object_get_ex(e, "weekday", &v);
    if (has_day == has_weekday)
        FAIL("needs either \"day\" or \"weekday\" with \"nth\"");
    if (has_day) {
        r->kind = CALENDAR_FIXED;
        r->observed = true;
        if (!get_int(e, "day", 1, 31, &r->day) ||
            r->day > date_days_in_month(2000, r->month)) /* 2000: a leap year */
            FAIL("\"day\" is not a day of that month");
        json_object *obs;
        if (json_object_object_get_ex(e, "observed", &obs)) {
            if (!json_object_is_type(obs, json_type_boolean))
                FAIL("\"observed\" must be true or false");
            r->observed = json_object_get_boolean(obs);
        }
        if (r->month == 2 && r->day == 29)
            FAIL("29 February is not a yearly date");
        return 0;
    }
    r->kind = CALENDAR_NTH_WEEKDAY;
    if (!json_object_is_type(v, json_type_string) ||
        (r->weekday = weekday_from_name(json_object_get_string(v))) < 0)
        FAIL("\"weekday\" must be a lower-case day name");
    json_object *nth;
    if (json_object_object_get_ex(e, "observed", NULL))
        FAIL("\"observed\" applies only to fixed dates");
    if (!json_object_object_get_ex(e, "nth", &nth))
        FAIL("\"nth\" is required with \"weekday\"");
    if (json_object_is_type(nth, json_type_string) &&
        strcmp(json_object_get_string(nth), "last") == 0)
        r->nth = -1;
    else if (!get_int(e, "nth", 1, 5, &r->nth))
        FAIL("\"nth\" must be 1..5 or \"last\"");
    return 0;
#undef FAIL
}

int calendar_load_file(struct calendar *cal, const char *path, char err[CALENDAR_ERR_LEN])
{
    json_object *root = json_object_from_file(path), *list;
    int rc = -1;
    cal->n_rules = 0;
    if (!root) {
        snprintf(err, CALENDAR_ERR_LEN, "%s: cannot read it as JSON", path);
        return -1;
    }
    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "holidays", &list) ||
        !json_object_is_type(list, json_type_array)) {
        snprintf(err, CALENDAR_ERR_LEN, "%s: expected {\"holidays\": [...]}", path);
        goto out;
    }
    json_object_object_foreach(root, key, val)
    {
        (void)val;
        if (strcmp(key, "holidays") != 0 && strcmp(key, "$comment") != 0) {
            snprintf(err, CALENDAR_ERR_LEN, "%s: unknown key \"%s\"", path, key);
            goto out;
        }
    }
    size_t n = json_object_array_length(list);
    if (n > CALENDAR_MAX_RULES) {
        snprintf(err, CALENDAR_ERR_LEN, "%s: at most %d holidays", path, CALENDAR_MAX_RULES);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (parse_rule(json_object_array_get_idx(list, i), &cal->rules[i], (int)i, path, err))
            goto out;
    cal->n_rules = (int)n;
    prepare(cal);
    rc = 0;
out:
    json_object_put(root);
    return rc;
}
