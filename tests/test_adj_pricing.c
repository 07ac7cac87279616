/*
 * Pricing and cost share (RULES.md § 7): allowed amounts in and out of
 * network, copay, deductible (individual and family), coinsurance, the
 * out-of-pocket maximum crossed partway through a line, pharmacy tiers, half-up
 * rounding, accumulator deltas, and lines that add up to the claim totals.
 *
 * The plan is the PPO 500 of API.md: in network deductible $500/$1,000,
 * out-of-pocket $3,000/$6,000, coinsurance 20%; out of network $1,000/$2,000,
 * $6,000/$12,000, 40%, allowed 70%; copay $25 on 99212 and 99213; fee
 * schedule 80053 $20, 99213 $100, 99214 $150.
 */
#include <stdlib.h>

#include "harness/harness.h"
#include "adj_fixtures.h"

static struct fx X;

static void setup(void)
{
    fx_init(&X);
}

static struct adj_tier_totals *ind(int year, enum network n)
{
    return &fx_year(&X, year)->individual[n];
}

static struct adj_tier_totals *fam(int year, enum network n)
{
    return &fx_year(&X, year)->family[n];
}

/* The member has met the year's in-network deductible: coinsurance only. */
static void deductible_met(int year)
{
    ind(year, NETWORK_IN)->deductible_met = USD(500);
    ind(year, NETWORK_IN)->oop_met = USD(500);
    fam(year, NETWORK_IN)->deductible_met = USD(500);
    fam(year, NETWORK_IN)->oop_met = USD(500);
}

static void expect_delta(int k, int year, enum network n, cents_t deductible, cents_t oop)
{
    ck_assert_int_gt(X.out.n_deltas, k);
    ck_assert_int_eq(X.out.deltas[k].year, year);
    ck_assert_int_eq(X.out.deltas[k].network, n);
    ck_assert_int_eq(X.out.deltas[k].deductible, deductible);
    ck_assert_int_eq(X.out.deltas[k].oop, oop);
}

/* ---- Allowed amounts ---- */

struct allowed_case {
    const char *name;
    enum network network;
    const char *code;
    int units;
    cents_t charge;
    cents_t allowed;
    const char *adjustments; /* the deductible is met in network, not out of network */
};

static const struct allowed_case allowed_cases[] = {
    {"in network, fee schedule below charge", NETWORK_IN, "99214", 1, 20000, 15000,
     "CO-45 5000, PR-2 3000"},
    {"in network, fee schedule × units", NETWORK_IN, "80053", 3, 10000, 6000,
     "CO-45 4000, PR-2 1200"},
    {"in network, charge below fee schedule", NETWORK_IN, "99214", 1, 12000, 12000, "PR-2 2400"},
    {"in network, code not on schedule: the charge", NETWORK_IN, "97110", 1, 8765, 8765,
     "PR-2 1753"},
    {"out of network, 70% of fee schedule", NETWORK_OUT, "99214", 1, 20000, 10500,
     "PR-45 9500, PR-1 10500"},
    {"out of network, 70% of charge, half-up", NETWORK_OUT, "97110", 1, 12345, 8642,
     "PR-45 3703, PR-1 8642"},
    {"out of network, copay code pays no copay", NETWORK_OUT, "99213", 1, 15000, 7000,
     "PR-45 8000, PR-1 7000"},
};

START_TEST(test_allowed_amount_in_and_out_of_network)
{
    const struct allowed_case *c = &allowed_cases[_i];
    deductible_met(2025);
    X.claim.provider.network = c->network;
    fx_line(&X, "2025-03-03", c->code, c->units, c->charge);
    fx_run(&X, "2025-03-10");
    ck_assert_msg(X.out.lines[0].allowed == c->allowed, "%s: allowed %lld", c->name,
                  (long long)X.out.lines[0].allowed);
    ck_assert_msg(strcmp(fx_adjustments(&X.out.lines[0]), c->adjustments) == 0, "%s: %s", c->name,
                  fx_adjustments(&X.out.lines[0]));
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
}
END_TEST

/* ---- Copay, deductible, coinsurance ---- */

START_TEST(test_copay_line_pays_copay_only)
{
    /* Deductible not met: a copay line still takes no deductible. */
    fx_line(&X, "2025-03-03", "99213", 1, USD(150));
    fx_run(&X, "2025-03-10");
    fx_expect_line(&X.out, 0, USD(150), USD(100), USD(75), USD(25), "CO-45 5000, PR-3 2500");
    expect_delta(0, 2025, NETWORK_IN, 0, USD(25));
    ck_assert_int_eq(X.out.n_deltas, 1);
}
END_TEST

START_TEST(test_copay_at_most_allowed)
{
    fx_line(&X, "2025-03-03", "99212", 1, USD(20));
    fx_run(&X, "2025-03-10");
    fx_expect_line(&X.out, 0, USD(20), USD(20), 0, USD(20), "PR-3 2000");
}
END_TEST

START_TEST(test_deductible_met_halfway_through_a_line)
{
    ind(2025, NETWORK_IN)->deductible_met = USD(400);
    ind(2025, NETWORK_IN)->oop_met = USD(400);
    fam(2025, NETWORK_IN)->deductible_met = USD(400);
    fam(2025, NETWORK_IN)->oop_met = USD(400);
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    /* $100 of deductible left: $100 deductible, 20% of the other $50 = $10. */
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(40), USD(110), "PR-1 10000, PR-2 1000");
    expect_delta(0, 2025, NETWORK_IN, USD(100), USD(110));
}
END_TEST

START_TEST(test_deductible_met_between_lines_of_one_claim)
{
    ind(2025, NETWORK_IN)->deductible_met = USD(450);
    fam(2025, NETWORK_IN)->deductible_met = USD(450);
    fx_line(&X, "2025-03-03", "80053", 2, USD(40));
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_line(&X, "2025-03-04", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    fx_expect_line(&X.out, 0, USD(40), USD(40), 0, USD(40), "PR-1 4000");
    fx_expect_line(&X.out, 1, USD(150), USD(150), USD(112), USD(38), "PR-1 1000, PR-2 2800");
    fx_expect_line(&X.out, 2, USD(150), USD(150), USD(120), USD(30), "PR-2 3000");
    expect_delta(0, 2025, NETWORK_IN, USD(50), USD(108));
    ck_assert_int_eq(X.out.total_charge, USD(340));
    ck_assert_int_eq(X.out.total_allowed, USD(340));
    ck_assert_int_eq(X.out.total_plan_paid, USD(232));
    ck_assert_int_eq(X.out.total_patient_responsibility, USD(108));
    ck_assert_int_eq(X.out.n_codes, 2);
    ck_assert_str_eq(X.out.codes[0].carc, "1");
    ck_assert_int_eq(X.out.codes[0].amount, USD(50));
    ck_assert_str_eq(X.out.codes[1].carc, "2");
    ck_assert_int_eq(X.out.codes[1].amount, USD(58));
}
END_TEST

START_TEST(test_family_deductible_met_by_two_members)
{
    /* The employee, then the spouse, each meet the $500 individual deductible:
     * the family's $1,000 is met, and the child pays none. */
    struct adj_tier_totals family = {0, 0};
    const char *who[] = {"employee", "spouse", "child"};
    const cents_t deductible[] = {USD(500), USD(500), 0};
    for (int m = 0; m < 3; m++) {
        fx_init(&X);
        if (m == 1)
            fx_dependent(&X, "M1001-01", REL_SPOUSE, "Luis", "1979-09-02");
        if (m == 2)
            fx_dependent(&X, "M1001-02", REL_CHILD, "Eva", "2012-01-15");
        *fam(2025, NETWORK_IN) = family;
        fx_line(&X, "2025-03-03", "99214", 4, USD(600));
        fx_run(&X, "2025-03-10");
        cents_t coins = money_percent(USD(600) - deductible[m], 20);
        ck_assert_msg(X.out.lines[0].patient_responsibility == deductible[m] + coins, "%s", who[m]);
        ck_assert_int_eq(X.out.lines[0].plan_paid, USD(600) - deductible[m] - coins);
        family.deductible_met += X.out.deltas[0].deductible;
        family.oop_met += X.out.deltas[0].oop;
    }
    fx_expect_line(&X.out, 0, USD(600), USD(600), USD(480), USD(120), "PR-2 12000");
    ck_assert_int_eq(family.deductible_met, USD(1000));
    ck_assert_int_eq(family.oop_met, USD(1000) + USD(20) + USD(20) + USD(120));
}
END_TEST

START_TEST(test_family_deductible_nearly_met_limits_individual)
{
    fam(2025, NETWORK_IN)->deductible_met = USD(900);
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(40), USD(110), "PR-1 10000, PR-2 1000");
}
END_TEST

START_TEST(test_family_limits_move_between_lines_of_one_claim)
{
    /* The family has $100 of deductible and $200 of out-of-pocket left; the
     * member alone has all of theirs. Each line uses up what the one before left. */
    fam(2025, NETWORK_IN)->deductible_met = USD(900);
    fam(2025, NETWORK_IN)->oop_met = USD(5800);
    fx_line(&X, "2025-03-03", "80053", 3, USD(60));
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_line(&X, "2025-03-04", "80053", 50, USD(1000));
    fx_run(&X, "2025-03-10");
    fx_expect_line(&X.out, 0, USD(60), USD(60), 0, USD(60), "PR-1 6000");
    fx_expect_line(&X.out, 1, USD(150), USD(150), USD(88), USD(62), "PR-1 4000, PR-2 2200");
    fx_expect_line(&X.out, 2, USD(1000), USD(1000), USD(922), USD(78), "PR-2 7800");
    expect_delta(0, 2025, NETWORK_IN, USD(100), USD(200));
}
END_TEST

START_TEST(test_out_of_network_has_its_own_accumulators)
{
    deductible_met(2025); /* in network only */
    X.claim.provider.network = NETWORK_OUT;
    fx_line(&X, "2025-03-03", "99214", 1, USD(150));
    fx_run(&X, "2025-03-10");
    fx_expect_line(&X.out, 0, USD(150), USD(105), 0, USD(150), "PR-45 4500, PR-1 10500");
    expect_delta(0, 2025, NETWORK_OUT, USD(105), USD(105));
}
END_TEST

START_TEST(test_out_of_network_coinsurance_after_deductible)
{
    ind(2025, NETWORK_OUT)->deductible_met = USD(1000);
    fam(2025, NETWORK_OUT)->deductible_met = USD(1000);
    X.claim.provider.network = NETWORK_OUT;
    fx_line(&X, "2025-03-03", "97110", 1, 12345);
    fx_run(&X, "2025-03-10");
    /* allowed 70% of $123.45 = $86.415 → $86.42; coinsurance 40% = $34.568 → $34.57 */
    fx_expect_line(&X.out, 0, 12345, 8642, 5185, 3703 + 3457, "PR-45 3703, PR-2 3457");
}
END_TEST

/* ---- Out-of-pocket maximum ---- */

START_TEST(test_oop_max_reached_mid_claim)
{
    deductible_met(2025);
    ind(2025, NETWORK_IN)->oop_met = USD(2950);
    fam(2025, NETWORK_IN)->oop_met = USD(2950);
    fx_line(&X, "2025-06-02", "99214", 1, USD(150));
    fx_line(&X, "2025-06-02", "99214", 1, USD(150));
    fx_line(&X, "2025-06-03", "99214", 1, USD(150));
    fx_run(&X, "2025-06-10");
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(120), USD(30), "PR-2 3000");
    fx_expect_line(&X.out, 1, USD(150), USD(150), USD(130), USD(20), "PR-2 2000");
    fx_expect_line(&X.out, 2, USD(150), USD(150), USD(150), 0, "");
    expect_delta(0, 2025, NETWORK_IN, 0, USD(50));
}
END_TEST

START_TEST(test_family_oop_max_stops_cost_share)
{
    deductible_met(2025);
    fam(2025, NETWORK_IN)->oop_met = USD(5990);
    fx_line(&X, "2025-06-02", "99214", 1, USD(150));
    fx_run(&X, "2025-06-10");
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(140), USD(10), "PR-2 1000");
}
END_TEST

START_TEST(test_oop_max_caps_copay_and_deductible)
{
    ind(2025, NETWORK_IN)->oop_met = USD(2990);
    fam(2025, NETWORK_IN)->oop_met = USD(2990);
    fx_line(&X, "2025-06-02", "99213", 1, USD(100));
    fx_line(&X, "2025-06-02", "99214", 1, USD(150));
    fx_run(&X, "2025-06-10");
    fx_expect_line(&X.out, 0, USD(100), USD(100), USD(90), USD(10), "PR-3 1000");
    fx_expect_line(&X.out, 1, USD(150), USD(150), USD(150), 0, "");
    ind(2025, NETWORK_IN)->oop_met = USD(2996);
    fam(2025, NETWORK_IN)->oop_met = USD(2996);
    X.claim.n_lines = 1;
    strcpy(X.claim.lines[0].procedure_code, "99214");
    X.claim.lines[0].charge = USD(150);
    fx_run(&X, "2025-06-10");
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(146), USD(4), "PR-1 400");
    expect_delta(0, 2025, NETWORK_IN, USD(4), USD(4));
}
END_TEST

/* ---- Plan years ---- */

START_TEST(test_claim_spanning_two_plan_years_uses_each_years_accumulators)
{
    deductible_met(2025);
    fx_line(&X, "2025-12-30", "99214", 1, USD(150));
    fx_line(&X, "2026-01-02", "99214", 1, USD(150));
    fx_run(&X, "2026-01-10");
    fx_expect_line(&X.out, 0, USD(150), USD(150), USD(120), USD(30), "PR-2 3000");
    fx_expect_line(&X.out, 1, USD(150), USD(150), 0, USD(150), "PR-1 15000");
    ck_assert_int_eq(X.out.n_deltas, 2);
    expect_delta(0, 2025, NETWORK_IN, 0, USD(30));
    expect_delta(1, 2026, NETWORK_IN, USD(150), USD(150));
    int years[ADJ_MAX_PLAN_YEARS];
    ck_assert_int_eq(adj_claim_plan_years(&X.claim, years), 2);
    ck_assert_int_eq(years[0], 2025);
    ck_assert_int_eq(years[1], 2026);
}
END_TEST

START_TEST(test_missing_accumulators_for_a_priced_year_is_a_facts_error)
{
    fx_line(&X, "2025-12-30", "99214", 1, USD(150));
    X.n_acc = 0;
    ck_assert_int_eq(fx_run_on(&X, "2026-01-10", "2026-01-10"), ADJ_ERR_FACTS);
}
END_TEST

START_TEST(test_plan_years_sorted_and_distinct)
{
    fx_line(&X, "2026-02-01", "99214", 1, USD(1));
    fx_line(&X, "2024-02-01", "99214", 1, USD(1));
    fx_line(&X, "2026-03-01", "99214", 1, USD(1));
    fx_line(&X, "2025-03-01", "99214", 1, USD(1));
    int years[ADJ_MAX_PLAN_YEARS];
    ck_assert_int_eq(adj_claim_plan_years(&X.claim, years), 3);
    ck_assert_int_eq(years[0], 2024);
    ck_assert_int_eq(years[1], 2025);
    ck_assert_int_eq(years[2], 2026);
    X.claim.n_lines = MAX_LINES + 1; /* never read past the lines array */
    ck_assert_int_eq(adj_claim_plan_years(&X.claim, years), 4); /* blank lines are 1970 */
    ck_assert_int_eq(years[0], 1970);
    fx_pharmacy(&X, "2026-05-05", USD(10));
    ck_assert_int_eq(adj_claim_plan_years(&X.claim, years), 1);
    ck_assert_int_eq(years[0], 2026);
}
END_TEST

/* ---- Pharmacy ---- */

struct rx_case {
    const char *name;
    const char *ndc;
    int64_t quantity_milli;
    cents_t charge;
    cents_t allowed;
    cents_t paid;
    const char *adjustments;
};

static const struct rx_case rx_cases[] = {
    {"preferred brand, $35 copay", "00071015523", 30000, USD(150), USD(135), USD(100),
     "PR-45 1500, PR-3 3500"},
    {"generic, copay at most allowed", "00093505698", 30000, USD(12), 360, 0,
     "PR-45 840, PR-3 360"},
    {"not on formulary: non-preferred at the charge", "99999999999", 30000, USD(80), USD(80),
     USD(40), "PR-2 4000"},
    {"listed without a unit price: at the charge", "00777777777", 30000, 5001, 5001, 2500,
     "PR-2 2501"},
    {"specialty 25%, fractional quantity, half-up", "00555555555", 333, USD(50), 3330, 2497,
     "PR-45 1670, PR-2 833"},
    {"charge below the formulary price", "00071015523", 30000, USD(100), USD(100), USD(65),
     "PR-3 3500"},
};

START_TEST(test_pharmacy_tiers)
{
    const struct rx_case *c = &rx_cases[_i];
    fx_pharmacy(&X, "2025-03-03", c->charge);
    strcpy(X.claim.ndc, c->ndc);
    X.claim.quantity_milli = c->quantity_milli;
    fx_run(&X, "2025-03-10");
    ck_assert_msg(strcmp(fx_adjustments(&X.out.lines[0]), c->adjustments) == 0, "%s: %s", c->name,
                  fx_adjustments(&X.out.lines[0]));
    cents_t pr = c->charge - c->paid;
    fx_expect_line(&X.out, 0, c->charge, c->allowed, c->paid, pr, c->adjustments);
    ck_assert_int_eq(X.out.n_lines, 1);
    ck_assert_int_eq(X.out.payee, ADJ_PAYEE_MEMBER);
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
}
END_TEST

START_TEST(test_pharmacy_excluded_ndc_is_co96)
{
    fx_pharmacy(&X, "2025-03-03", USD(60));
    strcpy(X.claim.ndc, "12345678901");
    fx_run(&X, "2025-03-10");
    fx_expect_denied(&X.out, 0, "CO-96", "");
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    ck_assert_int_eq(X.out.n_deltas, 0);
}
END_TEST

START_TEST(test_pharmacy_counts_toward_in_network_oop_without_deductible)
{
    /* Out-of-network pharmacy, deductible unmet: no deductible, and the copay
     * counts toward the in-network out-of-pocket maximum, which caps it. */
    ind(2025, NETWORK_IN)->oop_met = USD(2990);
    fam(2025, NETWORK_IN)->oop_met = USD(2990);
    fx_pharmacy(&X, "2025-03-03", USD(150));
    fx_run(&X, "2025-03-10");
    fx_expect_line(&X.out, 0, USD(150), USD(135), USD(125), USD(25), "PR-45 1500, PR-3 1000");
    ck_assert_int_eq(X.out.n_deltas, 1);
    expect_delta(0, 2025, NETWORK_IN, 0, USD(10));
    ck_assert_int_eq(X.out.lines[0].network, NETWORK_IN);
}
END_TEST

START_TEST(test_pharmacy_coinsurance_capped_by_oop)
{
    ind(2025, NETWORK_IN)->oop_met = USD(2990);
    fam(2025, NETWORK_IN)->oop_met = USD(2990);
    fx_pharmacy(&X, "2025-03-03", USD(80));
    strcpy(X.claim.ndc, "99999999999");
    fx_run(&X, "2025-03-10");
    fx_expect_line(&X.out, 0, USD(80), USD(80), USD(70), USD(10), "PR-2 1000");
}
END_TEST

static Suite *pricing_suite(void)
{
    Suite *s = suite_create("adjudicate pricing");
    TCase *t = tcase_create("medical");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_loop_test(t, test_allowed_amount_in_and_out_of_network, 0,
                        sizeof allowed_cases / sizeof *allowed_cases);
    tcase_add_test(t, test_copay_line_pays_copay_only);
    tcase_add_test(t, test_copay_at_most_allowed);
    tcase_add_test(t, test_deductible_met_halfway_through_a_line);
    tcase_add_test(t, test_deductible_met_between_lines_of_one_claim);
    tcase_add_test(t, test_family_deductible_met_by_two_members);
    tcase_add_test(t, test_family_deductible_nearly_met_limits_individual);
    tcase_add_test(t, test_family_limits_move_between_lines_of_one_claim);
    tcase_add_test(t, test_out_of_network_has_its_own_accumulators);
    tcase_add_test(t, test_out_of_network_coinsurance_after_deductible);
    tcase_add_test(t, test_oop_max_reached_mid_claim);
    tcase_add_test(t, test_family_oop_max_stops_cost_share);
    tcase_add_test(t, test_oop_max_caps_copay_and_deductible);
    tcase_add_test(t, test_claim_spanning_two_plan_years_uses_each_years_accumulators);
    tcase_add_test(t, test_missing_accumulators_for_a_priced_year_is_a_facts_error);
    tcase_add_test(t, test_plan_years_sorted_and_distinct);
    suite_add_tcase(s, t);

    TCase *rx = tcase_create("pharmacy");
    tcase_add_checked_fixture(rx, setup, NULL);
    tcase_add_loop_test(rx, test_pharmacy_tiers, 0, sizeof rx_cases / sizeof *rx_cases);
    tcase_add_test(rx, test_pharmacy_excluded_ndc_is_co96);
    tcase_add_test(rx, test_pharmacy_counts_toward_in_network_oop_without_deductible);
    tcase_add_test(rx, test_pharmacy_coinsurance_capped_by_oop);
    suite_add_tcase(s, rx);
    return s;
}

int main(void)
{
    return test_run_suite(pricing_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
