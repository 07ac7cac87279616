/* Holiday rules and business days (RULES.md § 9). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "harness/harness.h"

/* Short names for the tables of cases (tests/harness/shared.c). */
#define D(text) test_date(text)
#define F(d) test_date_text(d)

static struct calendar us;

static void setup(void)
{
    calendar_us_federal(&us);
}

START_TEST(test_federal_holidays_of_2026_with_observed_dates)
{
    /* 2026: Independence Day is a Saturday → observed Friday 3 July. */
    const char *expected[] = {"2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25",
                              "2026-06-19", "2026-07-03", "2026-09-07", "2026-10-12",
                              "2026-11-11", "2026-11-26", "2026-12-25"};
    for (int i = 0; i < us.n_rules; i++) {
        date_t d;
        ck_assert(calendar_rule_date(&us.rules[i], 2026, &d));
        ck_assert_str_eq(F(d), expected[i]);
    }
    ck_assert_int_eq(us.n_rules, 11);
    ck_assert(!calendar_is_holiday(&us, D("2026-07-04")));
    ck_assert(calendar_is_holiday(&us, D("2026-07-03")));
}
END_TEST

START_TEST(test_new_years_day_on_saturday_is_observed_on_31_december)
{
    /* 1 January 2022 was a Saturday: observed Friday 31 December 2021. */
    ck_assert(calendar_is_holiday(&us, D("2021-12-31")));
    ck_assert(!calendar_is_holiday(&us, D("2022-01-01")));
    /* Christmas 2022 on a Sunday: observed Monday 26 December. */
    ck_assert(calendar_is_holiday(&us, D("2022-12-26")));
    /* Juneteenth did not exist before 2021. */
    ck_assert(!calendar_is_holiday(&us, D("2020-06-19")));
    ck_assert(calendar_is_holiday(&us, D("2023-06-19")));
    /* Memorial Day 2027 is the last Monday, 31 May. */
    ck_assert(calendar_is_holiday(&us, D("2027-05-31")));
}
END_TEST

START_TEST(test_target_is_tenth_business_day_after_receipt)
{
    /* API.md example: received Monday 2 March 2026, target Monday 16 March. */
    ck_assert_str_eq(F(calendar_add_business_days(&us, D("2026-03-02"), 10)), "2026-03-16");
    /* Received Friday 20 November 2026: Thanksgiving (26th) is skipped. */
    ck_assert_str_eq(F(calendar_add_business_days(&us, D("2026-11-20"), 10)), "2026-12-07");
    /* Received on a Saturday: counting starts Monday. */
    ck_assert_str_eq(F(calendar_add_business_days(&us, D("2026-12-19"), 10)), "2027-01-05");
    /* Christmas 2027 is observed Friday 24 December, New Year's Day 2028 on Friday
     * 31 December 2027: both skipped. */
    ck_assert_str_eq(F(calendar_add_business_days(&us, D("2027-12-20"), 10)), "2028-01-05");
    ck_assert_str_eq(F(calendar_add_business_days(&us, D("2026-03-02"), 0)), "2026-03-02");
}
END_TEST

START_TEST(test_holiday_file_in_config_equals_built_in_rules)
{
    const char *dir = getenv("CLAIMS_CONFIG_DIR");
    ck_assert_msg(dir != NULL, "CLAIMS_CONFIG_DIR is not set (run through make check)");
    char path[1024], err[CALENDAR_ERR_LEN];
    snprintf(path, sizeof path, "%s/holidays.json", dir);
    struct calendar file;
    ck_assert_msg(calendar_load_file(&file, path, err) == 0, "%s", err);
    ck_assert_int_eq(file.n_rules, us.n_rules);
    /* Every day of 2020..2030 is classified the same way. */
    for (date_t d = D("2020-01-01"); date_cmp(d, D("2030-12-31")) <= 0; d = date_add_days(d, 1))
        ck_assert_msg(calendar_is_holiday(&file, d) == calendar_is_holiday(&us, d), "%s", F(d));
}
END_TEST

static int load_text(const char *json, struct calendar *cal, char err[CALENDAR_ERR_LEN])
{
    char path[] = "/tmp/holidays-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(json, f);
    fclose(f);
    int rc = calendar_load_file(cal, path, err);
    unlink(path);
    return rc;
}

START_TEST(test_cached_holidays_equal_the_rules_at_the_cache_edges)
{
    /* 1989..1991 and 2099..2101 straddle the cached years; every day must
     * be classified as the rules say. */
    const char *ranges[][2] = {{"1988-12-01", "1992-01-31"}, {"2098-12-01", "2101-01-31"}};
    for (int r = 0; r < 2; r++)
        for (date_t d = D(ranges[r][0]); date_cmp(d, D(ranges[r][1])) <= 0;
             d = date_add_days(d, 1)) {
            bool by_rules = false;
            for (int i = 0; i < us.n_rules; i++)
                for (int y = date_year(d) - 1; y <= date_year(d) + 1; y++) {
                    date_t h;
                    if (calendar_rule_date(&us.rules[i], y, &h) && date_eq(h, d))
                        by_rules = true;
                }
            ck_assert_msg(calendar_is_holiday(&us, d) == by_rules, "%s", F(d));
        }
    ck_assert(!calendar_is_holiday(&us, D("1990-12-31"))); /* 1 Jan 1991 was a Tuesday */
    ck_assert(calendar_is_holiday(&us, D("2099-12-25")));
}
END_TEST

START_TEST(test_holiday_file_errors_name_the_entry)
{
    struct calendar cal;
    char err[CALENDAR_ERR_LEN];
    ck_assert_int_eq(
        load_text("{\"holidays\":[{\"name\":\"X\",\"month\":13,\"day\":1}]}", &cal, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "holidays[0]: \"month\" must be 1..12"));
    ck_assert_int_eq(
        load_text("{\"holidays\":[{\"name\":\"X\",\"month\":1,\"day\":1,\"colour\":1}]}", &cal,
                  err),
        -1);
    ck_assert_ptr_nonnull(strstr(err, "holidays[0]: unknown key \"colour\""));
    ck_assert_int_eq(load_text("{\"holidays\":[], \"extra\": 1}", &cal, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unknown key \"extra\""));
    ck_assert_int_eq(
        load_text("{\"holidays\":[{\"name\":\"X\",\"month\":2,\"weekday\":\"mon\",\"nth\":1}]}",
                  &cal, err),
        -1);
    ck_assert_ptr_nonnull(strstr(err, "\"weekday\" must be a lower-case day name"));
    ck_assert_int_eq(
        load_text("{\"holidays\":[{\"name\":\"X\",\"month\":4,\"day\":31}]}", &cal, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "\"day\" is not a day of that month"));
    ck_assert_int_eq(
        load_text("{\"holidays\":[{\"name\":\"Fixed\",\"month\":3,\"day\":14,\"observed\":false}]}",
                  &cal, err),
        0);
    ck_assert(calendar_is_holiday(&cal, D("2026-03-14"))); /* a Saturday, not shifted */
}
END_TEST

START_TEST(test_business_days_agree_with_the_hand_written_oracle_for_every_start_day)
{
    /* The tests' oracle (a day-by-day walk over a literal holiday table)
     * and the product's rules agree from every day of 2025-2031. */
    ck_assert_str_eq(test_business_days_after("2026-12-19", 10, (char[11]){0}), "2027-01-05");
    ck_assert_str_eq(test_business_days_after("2027-12-20", 10, (char[11]){0}), "2028-01-05");
    int days = 0;
    for (date_t d = D("2025-01-01"); date_cmp(d, D("2031-12-01")) < 0; d.days++, days++) {
        char from[DATE_STRLEN], want[11];
        date_format(d, from);
        test_business_days_after(from, 10, want);
        ck_assert_msg(strcmp(F(calendar_add_business_days(&us, d, 10)), want) == 0,
                      "from %s: %s, the oracle says %s", from,
                      F(calendar_add_business_days(&us, d, 10)), want);
    }
    ck_assert_int_eq(days, 2525);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("calendar");
    TCase *tc = tcase_create("holidays_and_business_days");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_federal_holidays_of_2026_with_observed_dates);
    tcase_add_test(tc, test_new_years_day_on_saturday_is_observed_on_31_december);
    tcase_add_test(tc, test_target_is_tenth_business_day_after_receipt);
    tcase_add_test(tc, test_holiday_file_in_config_equals_built_in_rules);
    tcase_add_test(tc, test_holiday_file_errors_name_the_entry);
    tcase_add_test(tc, test_cached_holidays_equal_the_rules_at_the_cache_edges);
    tcase_add_test(tc, test_business_days_agree_with_the_hand_written_oracle_for_every_start_day);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
