/* Unit tests for the shared value types: dates and money. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "json_values.h"
#include "money.h"
#include "packed.h"
#include "packed_dict.h"

#include <zlib.h>

#include "harness/harness.h"

/* Short names for the tables of cases (tests/harness/shared.c). */
#define D(text) test_date(text)
#define F(d) test_date_text(d)

START_TEST(test_date_round_trips_across_eras)
{
    const char *samples[] = {"1900-01-01", "1969-12-31", "1970-01-01", "2000-02-29",
                             "2024-02-29", "2026-11-23", "2199-12-31"};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++)
        ck_assert_str_eq(F(D(samples[i])), samples[i]);
    ck_assert_int_eq(D("1970-01-01").days, 0);
    ck_assert_int_eq(D("2000-03-01").days, 11017);
}
END_TEST

START_TEST(test_date_parse_rejects_malformed_and_impossible_dates)
{
    const char *bad[] = {"",           "2026-1-01",  "2026-02-30", "2025-02-29", "1900-02-29",
                         "2026-13-01", "2026-00-10", "2026-01-00", "20260101",   "2026-01-01T00",
                         "1899-12-31", "2200-01-01", "2O26-01-01", "2026/01/01"};
    date_t d;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!date_parse(bad[i], &d), "accepted %s", bad[i]);
    ck_assert(!date_parse(NULL, &d));
}
END_TEST

START_TEST(test_date_weekday_end_of_month_and_months)
{
    ck_assert_int_eq(date_weekday(D("2026-11-23")), 0); /* Monday */
    ck_assert_int_eq(date_weekday(D("1970-01-01")), 3); /* Thursday */
    ck_assert_int_eq(date_weekday(D("1969-12-28")), 6); /* Sunday */
    ck_assert_str_eq(F(date_end_of_month(D("2024-02-10"))), "2024-02-29");
    ck_assert_str_eq(F(date_end_of_month(D("2026-02-28"))), "2026-02-28");
    ck_assert_str_eq(F(date_end_of_month(D("2026-12-01"))), "2026-12-31");
    ck_assert_str_eq(F(date_end_of_year(D("2026-03-15"))), "2026-12-31");
    ck_assert_str_eq(F(date_add_months(D("2026-01-31"), 1)), "2026-02-28");
    ck_assert_str_eq(F(date_add_months(D("2024-01-31"), 1)), "2024-02-29");
    ck_assert_str_eq(F(date_add_months(D("2025-03-15"), 18)), "2026-09-15");
    ck_assert_str_eq(F(date_add_months(D("2025-12-15"), 36)), "2028-12-15");
    ck_assert_str_eq(F(date_add_months(D("2026-03-31"), -1)), "2026-02-28");
}
END_TEST

START_TEST(test_age_on_a_date_including_29_february_births)
{
    ck_assert_int_eq(date_age_on(D("2001-05-10"), D("2026-05-09")), 24);
    ck_assert_int_eq(date_age_on(D("2001-05-10"), D("2026-05-10")), 25);
    ck_assert_int_eq(date_age_on(D("2000-02-29"), D("2025-02-28")), 24);
    ck_assert_int_eq(date_age_on(D("2000-02-29"), D("2025-03-01")), 25);
    ck_assert_int_eq(date_age_on(D("2000-02-29"), D("2024-02-29")), 24);
    ck_assert_str_eq(F(date_nth_birthday(D("2000-02-29"), 25)), "2025-03-01");
    ck_assert_str_eq(F(date_nth_birthday(D("2000-02-29"), 24)), "2024-02-29");
    ck_assert_str_eq(F(date_nth_birthday(D("1961-07-04"), 65)), "2026-07-04");
}
END_TEST

START_TEST(test_money_parse_accepts_json_numbers_with_two_decimals)
{
    struct {
        const char *text;
        cents_t cents;
    } ok[] = {{"0", 0},          {"150", 15000},  {"150.5", 15050},
              {"150.00", 15000}, {"12.05", 1205}, {"9999999.99", 999999999},
              {"0.01", 1}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        cents_t c = -1;
        ck_assert_msg(money_parse(ok[i].text, &c), "rejected %s", ok[i].text);
        ck_assert_int_eq(c, ok[i].cents);
    }
    const char *bad[] = {"",         "-1",          "1.234", "1.", ".5", "01",   "1e2",
                         "10000000", "9999999.999", "12a",   " 1", "+1", "1.000"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cents_t c;
        ck_assert_msg(!money_parse(bad[i], &c), "accepted %s", bad[i]);
    }
}
END_TEST

START_TEST(test_money_format_and_half_up_percent)
{
    char buf[MONEY_STRLEN];
    ck_assert_str_eq(money_format(15000, buf), "150.00");
    ck_assert_str_eq(money_format(5, buf), "0.05");
    ck_assert_str_eq(money_format(-310, buf), "-3.10");
    ck_assert_str_eq(money_format(0, buf), "0.00");
    ck_assert_str_eq(money_format(-1, buf), "-0.01");
    ck_assert_str_eq(money_format(100, buf), "1.00");
    ck_assert_str_eq(money_format(INT64_MAX, buf), "92233720368547758.07");
    ck_assert_str_eq(money_format(INT64_MIN, buf), "-92233720368547758.08");
    ck_assert_int_eq(money_percent(1001, 50), 501); /* 500.5 rounds up */
    ck_assert_int_eq(money_percent(1003, 20), 201); /* 200.6 */
    ck_assert_int_eq(money_percent(1002, 20), 200); /* 200.4 */
    ck_assert_int_eq(money_percent(12345, 0), 0);
    ck_assert_int_eq(money_percent(12345, 100), 12345);
    ck_assert_int_eq(money_mul_div(450, 2500, 1000), 1125); /* 4.50 x 2.5 */
    ck_assert_int_eq(money_mul_div(1, 1, 2), 1);            /* 0.5 cent rounds up */
}
END_TEST

START_TEST(test_stored_amounts_and_quantities_read_and_write_exactly)
{
    cents_t c = 0;
    ck_assert(money_parse_stored("150.00", &c));
    ck_assert_int_eq(c, 15000);
    ck_assert(money_parse_stored("-3.1", &c));
    ck_assert_int_eq(c, -310);
    ck_assert(money_parse_stored("7", &c));
    ck_assert_int_eq(c, 700);
    ck_assert(money_parse_stored("999999999999999.99", &c));
    ck_assert_int_eq(c, 99999999999999999);
    c = 42;
    ck_assert(!money_parse_stored("1000000000000000", &c)); /* 16 digits */
    ck_assert(!money_parse_stored("1.234", &c));
    ck_assert(!money_parse_stored("1.", &c));
    ck_assert(!money_parse_stored(".5", &c));
    ck_assert(!money_parse_stored("1e2", &c));
    ck_assert(!money_parse_stored("", &c));
    ck_assert(!money_parse_stored("-", &c));
    ck_assert_int_eq(c, 42); /* untouched on refusal */

    char q[MONEY_QUANTITY_STRLEN];
    ck_assert_str_eq(money_quantity_format(30000, q), "30");
    ck_assert_str_eq(money_quantity_format(2500, q), "2.5");
    ck_assert_str_eq(money_quantity_format(125, q), "0.125");
    ck_assert_str_eq(money_quantity_format(1010, q), "1.01");
    ck_assert_str_eq(money_quantity_format(0, q), "0");

    struct json_object *m = json_money(-310);
    ck_assert_str_eq(json_object_to_json_string(m), "-3.10");
    json_object_put(m);
    struct json_object *whole = json_quantity(30000), *part = json_quantity(2500);
    ck_assert(json_object_is_type(whole, json_type_int));
    ck_assert_str_eq(json_object_to_json_string(whole), "30");
    ck_assert_str_eq(json_object_to_json_string(part), "2.5");
    json_object_put(whole);
    json_object_put(part);
}
END_TEST

START_TEST(test_packed_round_trips_json_and_shrinks_it)
{
    char text[4096];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "{\"lines\":[");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "%s{\"group\":\"PR\",\"code\":\"1\",\"amount\":%d.00,"
                              "\"wording\":\"Deductible Amount\"}",
                              i ? "," : "", 10 + i);
    n += (size_t)snprintf(text + n, sizeof text - n, "]}");
    char *packed = NULL, *back = NULL;
    size_t plen = 0, blen = 0;
    ck_assert_int_eq(packed_pack(text, n, &packed, &plen), 0);
    ck_assert_int_eq(packed[0], 'D');
    ck_assert_uint_lt(plen, n / 3);
    ck_assert_int_eq(packed_unpack(packed, plen, &back, &blen), 0);
    ck_assert_uint_eq(blen, n);
    ck_assert_str_eq(back, text);
    free(back);
    /* A cut value is refused, not read past its end. */
    ck_assert_int_eq(packed_unpack(packed, plen / 2, &back, &blen), -1);
    packed[3] ^= 0x55;
    ck_assert_int_eq(packed_unpack(packed, plen, &back, &blen), -1);
    free(packed);
}
END_TEST

/* What a stream freshly primed with the dictionary writes for text (the
 * packing before each thread kept one primed stream to copy). */
static size_t packed_reference(const char *text, size_t len, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    ck_assert_int_eq(deflateInit2(&z, 1, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    ck_assert_int_eq(deflateSetDictionary(&z, (const Bytef *)packed_dict_v1, packed_dict_v1_len),
                     Z_OK);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

START_TEST(test_packed_writes_the_same_bytes_as_a_freshly_primed_stream_every_call)
{
    /* Texts of several sizes, one past the dictionary's share of the window,
     * packed in turn and again: each call starts from the primed state. */
    size_t sizes[] = {300, 5000, 40000, 300, 5000};
    static char text[40001];
    static unsigned char ref[50000];
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        size_t n = 0;
        for (int i = 0; n + 80 < sizes[t]; i++)
            n += (size_t)snprintf(text + n, sizeof text - n,
                                  "%s{\"group\":\"CO\",\"code\":\"%d\",\"amount\":%d.%02d}",
                                  i ? "," : "[", i * 7 % 300, i * 13 % 997, i % 100);
        text[n++] = ']';
        text[n] = '\0';
        size_t rn = packed_reference(text, n, ref, sizeof ref);
        char *packed = NULL, *back = NULL;
        size_t plen = 0, blen = 0;
        ck_assert_int_eq(packed_pack(text, n, &packed, &plen), 0);
        ck_assert_int_eq(packed[0], 'D');
        ck_assert_uint_eq(plen, rn + 1);
        ck_assert_int_eq(memcmp(packed + 1, ref, rn), 0);
        ck_assert_int_eq(packed_unpack(packed, plen, &back, &blen), 0);
        ck_assert_uint_eq(blen, n);
        ck_assert_int_eq(memcmp(back, text, n), 0);
        free(back);
        free(packed);
    }
}
END_TEST

START_TEST(test_packed_keeps_short_text_as_is_and_refuses_unknown_markers)
{
    char *packed = NULL, *back = NULL;
    size_t plen = 0, blen = 0;
    ck_assert_int_eq(packed_pack("{}", 2, &packed, &plen), 0);
    ck_assert_uint_eq(plen, 3);
    ck_assert_int_eq(memcmp(packed, "T{}", 3), 0);
    ck_assert_int_eq(packed_unpack(packed, plen, &back, &blen), 0);
    ck_assert_str_eq(back, "{}");
    ck_assert_uint_eq(blen, 2);
    free(back);
    free(packed);
    ck_assert_int_eq(packed_unpack("{}", 2, &back, &blen), -1);
    ck_assert_int_eq(packed_unpack("", 0, &back, &blen), -1);
    ck_assert_int_eq(packed_unpack("T", 1, &back, &blen), 0);
    ck_assert_str_eq(back, "");
    free(back);
}
END_TEST

START_TEST(test_packed_reads_zlib_without_a_dictionary)
{
    const char *text = "{\"decision\":{\"outcome\":\"approved\",\"outcome2\":\"approved\"}}";
    unsigned char z[256];
    uLongf n = sizeof z - 1;
    ck_assert_int_eq(compress2(z + 1, &n, (const Bytef *)text, strlen(text), 6), Z_OK);
    z[0] = 'Z';
    char *back = NULL;
    size_t blen = 0;
    ck_assert_int_eq(packed_unpack((const char *)z, n + 1, &back, &blen), 0);
    ck_assert_str_eq(back, text);
    free(back);
}
END_TEST

/* config time_zone: the plan's calendar date of an instant (received dates,
 * "today"). Each instant and the second before the zone's midnight. */
struct zone_case {
    const char *zone;
    long long at; /* seconds since the epoch, UTC */
    const char *date;
};

static const struct zone_case zone_cases[] = {
    {"America/New_York", 1796176800, "2026-12-01"}, /* 02:00 UTC on 2 Dec: still 1 Dec */
    {"America/New_York", 1796187599, "2026-12-01"}, /* 04:59:59 UTC = 23:59:59 EST */
    {"America/New_York", 1796187600, "2026-12-02"}, /* 05:00 UTC = midnight EST */
    {"America/New_York", 1782878399, "2026-06-30"}, /* summer: 03:59:59 UTC = 23:59:59 EDT */
    {"America/New_York", 1782878400, "2026-07-01"},
    {"America/Los_Angeles", 1796198399, "2026-12-01"},
    {"America/Los_Angeles", 1796198400, "2026-12-02"},
    {"Etc/UTC", 1796169599, "2026-12-01"},
    {"Etc/UTC", 1796169600, "2026-12-02"},
};

START_TEST(test_date_at_is_the_date_in_the_configured_zone)
{
    const struct zone_case *c = &zone_cases[_i];
    ck_assert(date_time_zone_known(c->zone));
    ck_assert(date_set_time_zone(c->zone));
    char out[DATE_STRLEN];
    ck_assert_str_eq(date_format(date_at(c->at), out), c->date);
}
END_TEST

START_TEST(test_unknown_time_zone_is_refused_and_changes_nothing)
{
    ck_assert(date_set_time_zone("America/New_York"));
    const char *bad[] = {
        "Mars/Olympus", "",  "../../etc/passwd", "/usr/share/zoneinfo/UTC", "America/New York",
        "America",      NULL};
    for (int i = 0; bad[i]; i++) {
        ck_assert_msg(!date_time_zone_known(bad[i]), "%s", bad[i]);
        ck_assert_msg(!date_set_time_zone(bad[i]), "%s", bad[i]);
    }
    char out[DATE_STRLEN];
    ck_assert_str_eq(date_format(date_at(1796176800), out), "2026-12-01");
}
END_TEST

static Suite *common_suite(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("dates_and_money");
    tcase_add_test(tc, test_date_round_trips_across_eras);
    tcase_add_loop_test(tc, test_date_at_is_the_date_in_the_configured_zone, 0,
                        sizeof zone_cases / sizeof *zone_cases);
    tcase_add_test(tc, test_unknown_time_zone_is_refused_and_changes_nothing);
    tcase_add_test(tc, test_date_parse_rejects_malformed_and_impossible_dates);
    tcase_add_test(tc, test_date_weekday_end_of_month_and_months);
    tcase_add_test(tc, test_age_on_a_date_including_29_february_births);
    tcase_add_test(tc, test_money_parse_accepts_json_numbers_with_two_decimals);
    tcase_add_test(tc, test_money_format_and_half_up_percent);
    tcase_add_test(tc, test_stored_amounts_and_quantities_read_and_write_exactly);
    tcase_add_test(tc, test_packed_round_trips_json_and_shrinks_it);
    tcase_add_test(tc, test_packed_keeps_short_text_as_is_and_refuses_unknown_markers);
    tcase_add_test(tc, test_packed_writes_the_same_bytes_as_a_freshly_primed_stream_every_call);
    tcase_add_test(tc, test_packed_reads_zlib_without_a_dictionary);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(common_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
