/*
 * Staff review in the rules (docs/rules.md "Staff review"): referral over
 * the plan's review_threshold, and a reviewer's decision (adj_facts.review)
 * applied to the lines — approve, adjust (the reviewer's allowed amount, cost
 * share computed on the accumulators as they stand), deny (the reviewer's
 * codes) — and the stored form of a review (adj_review_to_json/adj_review_from_json).
 *
 * The fixture: PPO 500, in network, $500 deductible, 20 % coinsurance; 99214
 * allowed $150, 99213 $100 with a $25 copay (a copay service owes the copay
 * only: no deductible, no coinsurance).
 */
#include <stdlib.h>

#include "harness/harness.h"
#include "adj_fixtures.h"
#include "adjudicate/decision_json.h"

static struct fx X;
static struct adj_review R;

static void setup(void)
{
    fx_init(&X);
    memset(&R, 0, sizeof R);
}

/* Two lines: 99214 charged $200 (allowed $150), 99213 charged $120 (allowed $100). */
static void two_lines(void)
{
    fx_line(&X, "2026-03-02", "99214", 1, USD(200));
    fx_line(&X, "2026-03-02", "99213", 1, USD(120));
}

static void threshold(cents_t amount)
{
    X.plan.has_review_threshold = true;
    X.plan.review_threshold = amount;
}

static struct adj_line_decision *add_decision(int line)
{
    struct adj_line_decision *ld = &R.lines[R.n_lines++];
    memset(ld, 0, sizeof *ld);
    ld->line = line;
    return ld;
}

static void run_reviewed(void)
{
    X.facts.review = &R;
    fx_run(&X, "2026-03-10");
}

/* ---- referral ---- */

START_TEST(test_over_threshold_goes_to_review_with_amounts_and_no_deltas)
{
    two_lines();
    threshold(USD(249) + 99); /* total allowed $250.00 > $249.99 */
    fx_run(&X, "2026-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_IN_REVIEW);
    ck_assert_int_eq(X.out.n_referrals, 1);
    ck_assert_str_eq(X.out.referrals[0], "review_threshold");
    ck_assert_int_eq(X.out.total_allowed, USD(250));
    /* The amounts as they would be: 99214 all deductible, 99213 the $25 copay. */
    fx_expect_line(&X.out, 0, USD(200), USD(150), 0, USD(150), "CO-45 5000, PR-1 15000");
    fx_expect_line(&X.out, 1, USD(120), USD(100), USD(75), USD(25), "CO-45 2000, PR-3 2500");
    ck_assert_int_eq(X.out.n_deltas, 0);
    ck_assert_str_eq(adj_outcome_name(X.out.outcome), "in_review");
}
END_TEST

START_TEST(test_at_threshold_or_without_one_is_decided)
{
    two_lines();
    threshold(USD(250)); /* not exceeded */
    fx_run(&X, "2026-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    ck_assert_int_eq(X.out.n_referrals, 0);
    ck_assert_int_eq(X.out.n_deltas, 1);
    X.plan.has_review_threshold = false;
    X.plan.review_threshold = 0;
    fx_run(&X, "2026-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
}
END_TEST

START_TEST(test_denied_claim_is_never_referred)
{
    two_lines();
    threshold(0);
    strcpy(X.claim.patient.first_name, "Anna"); /* CO-140 */
    fx_run(&X, "2026-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    ck_assert_int_eq(X.out.n_referrals, 0);
}
END_TEST

START_TEST(test_pended_claim_pends_first)
{
    X.claim.provider.network = NETWORK_OUT;
    X.claim.itemized_bill = false;
    two_lines();
    threshold(0);
    fx_run(&X, "2026-03-10");
    ck_assert_int_eq(X.out.outcome, ADJ_PENDED);
    ck_assert_int_eq(X.out.n_referrals, 0);
}
END_TEST

START_TEST(test_expired_pend_decision_is_referred_too)
{
    X.claim.provider.network = NETWORK_OUT;
    two_lines();
    threshold(USD(100));
    X.facts.claim_id = "x";
    ck_assert_int_eq(fx_run_on(&X, "2026-03-10", "2026-03-10"), ADJ_OK);
    /* out of network, itemized bill on file: 70 % of the fee schedule, $105 + $70 */
    ck_assert_int_eq(X.out.outcome, ADJ_IN_REVIEW);
    ck_assert_int_eq(adj_decide_expired_pend(&X.facts, &X.out), ADJ_OK);
    ck_assert_int_eq(X.out.outcome, ADJ_IN_REVIEW);
    ck_assert_int_eq(X.out.total_allowed, USD(175));
}
END_TEST

/* ---- the reviewer's decision ---- */

START_TEST(test_approve_stands_and_is_not_referred_again)
{
    two_lines();
    threshold(USD(100));
    R.action = ADJ_REVIEW_APPROVE;
    run_reviewed();
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    ck_assert_int_eq(X.out.n_referrals, 0);
    fx_expect_line(&X.out, 0, USD(200), USD(150), 0, USD(150), "CO-45 5000, PR-1 15000");
    fx_expect_line(&X.out, 1, USD(120), USD(100), USD(75), USD(25), "CO-45 2000, PR-3 2500");
    ck_assert_int_eq(X.out.n_deltas, 1);
    ck_assert_int_eq(X.out.deltas[0].deductible, USD(150));
    ck_assert_int_eq(X.out.deltas[0].oop, USD(175));
}
END_TEST

START_TEST(test_adjust_replaces_allowed_and_cost_share_follows_accumulators)
{
    two_lines();
    threshold(USD(100));
    /* $400 of the $500 deductible met already this year. */
    fx_year(&X, 2026)->individual[NETWORK_IN].deductible_met = USD(400);
    fx_year(&X, 2026)->family[NETWORK_IN].deductible_met = USD(400);
    fx_year(&X, 2026)->individual[NETWORK_IN].oop_met = USD(400);
    fx_year(&X, 2026)->family[NETWORK_IN].oop_met = USD(400);
    R.action = ADJ_REVIEW_ADJUST;
    struct adj_line_decision *ld = add_decision(1);
    ld->has_allowed = true;
    ld->allowed = USD(180);
    run_reviewed();
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    /* Line 1 at $180: $100 deductible (the rest of it), 20 % of $80 = $16. */
    fx_expect_line(&X.out, 0, USD(200), USD(180), USD(64), USD(116),
                   "CO-45 2000, PR-1 10000, PR-2 1600");
    /* Line 2 as the rules price it: the $25 copay. */
    fx_expect_line(&X.out, 1, USD(120), USD(100), USD(75), USD(25), "CO-45 2000, PR-3 2500");
    ck_assert_int_eq(X.out.total_allowed, USD(280));
    ck_assert_int_eq(X.out.deltas[0].deductible, USD(100));
    ck_assert_int_eq(X.out.deltas[0].oop, USD(141));
}
END_TEST

START_TEST(test_adjust_with_codes_and_remark)
{
    two_lines();
    R.action = ADJ_REVIEW_ADJUST;
    struct adj_line_decision *ld = add_decision(2);
    ld->has_allowed = true;
    ld->allowed = USD(60);
    ld->has_code = true;
    ld->group = ADJ_GROUP_PI;
    strcpy(ld->carc, "45");
    strcpy(ld->rarc, "N30");
    run_reviewed();
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    fx_expect_line(&X.out, 1, USD(120), USD(60), USD(35), USD(25), "PI-45 6000, PR-3 2500");
    ck_assert_str_eq(fx_remarks(X.out.lines[1].remarks, X.out.lines[1].n_remarks), "N30");
    ck_assert_str_eq(fx_remarks(X.out.remarks, X.out.n_remarks), "N30");
    ck_assert_str_eq(adj_group_code(X.out.codes[2].group), "PI");
    ck_assert_int_eq(X.out.codes[2].amount, USD(60));
}
END_TEST

START_TEST(test_adjust_above_charge_is_capped_at_the_charge)
{
    fx_line(&X, "2026-03-02", "99214", 1, USD(200));
    R.action = ADJ_REVIEW_ADJUST;
    struct adj_line_decision *ld = add_decision(1);
    ld->has_allowed = true;
    ld->allowed = USD(250);
    run_reviewed();
    fx_expect_line(&X.out, 0, USD(200), USD(200), 0, USD(200), "PR-1 20000");
}
END_TEST

START_TEST(test_adjust_leaves_a_rules_denial_standing)
{
    fx_line(&X, "2019-03-02", "99214", 1, USD(200)); /* before coverage: CO-26 */
    fx_line(&X, "2026-03-02", "99213", 1, USD(120));
    R.action = ADJ_REVIEW_ADJUST;
    struct adj_line_decision *ld = add_decision(1);
    ld->has_allowed = true;
    ld->allowed = USD(100);
    X.facts.review = &R;
    ck_assert_int_eq(fx_run_on(&X, "2019-12-01", "2019-12-01"), ADJ_OK);
    fx_expect_denied(&X.out, 0, "CO-26", "");
}
END_TEST

START_TEST(test_overturn_opens_a_rules_denial)
{
    /* An appeal overturned (docs/rules.md "Decision outcomes"): the line the
     * rules denied (before coverage) is allowed at the decider's amount. */
    fx_line(&X, "2019-12-02", "99214", 1, USD(200)); /* before coverage: CO-26 */
    fx_line(&X, "2019-12-03", "99214", 1, USD(200));
    R.action = ADJ_REVIEW_OVERTURN;
    struct adj_line_decision *ld = add_decision(1);
    ld->has_allowed = true;
    ld->allowed = USD(100);
    ld->has_code = true;
    ld->group = ADJ_GROUP_CO;
    strcpy(ld->carc, "45");
    X.facts.review = &R;
    ck_assert_int_eq(fx_run_on(&X, "2019-12-10", "2019-12-10"), ADJ_OK);
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    ck_assert(!X.out.lines[0].denied);
    ck_assert_int_eq(X.out.lines[0].allowed, USD(100));
    ck_assert_int_eq(X.out.lines[0].n_adjustments, 2);
    ck_assert_str_eq(X.out.lines[0].adjustments[0].carc, "45");
    ck_assert_int_eq(X.out.lines[0].adjustments[0].amount, USD(100));
    ck_assert_str_eq(X.out.lines[0].adjustments[1].carc, "1"); /* the deductible */
    ck_assert_int_eq(X.out.lines[0].adjustments[1].amount, USD(100));
    ck_assert_int_eq(X.out.lines[0].plan_paid, 0);
    fx_expect_denied(&X.out, 1, "CO-26", ""); /* not named: the rules' denial stands */
}
END_TEST

START_TEST(test_deny_given_lines_with_the_reviewers_codes)
{
    two_lines();
    threshold(USD(100));
    R.action = ADJ_REVIEW_DENY;
    struct adj_line_decision *ld = add_decision(1);
    ld->has_code = true;
    ld->group = ADJ_GROUP_CO;
    strcpy(ld->carc, "96");
    strcpy(ld->rarc, "N30");
    run_reviewed();
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED); /* line 2 still paid */
    fx_expect_denied(&X.out, 0, "CO-96", "N30");
    /* Line 2 as the rules price it: the $25 copay. */
    fx_expect_line(&X.out, 1, USD(120), USD(100), USD(75), USD(25), "CO-45 2000, PR-3 2500");
    ck_assert_int_eq(X.out.total_allowed, USD(100));
    ck_assert_int_eq(X.out.deltas[0].deductible, 0);
    ck_assert_int_eq(X.out.deltas[0].oop, USD(25));
}
END_TEST

START_TEST(test_deny_every_line_replaces_the_rules_codes)
{
    fx_line(&X, "2019-03-02", "99214", 1, USD(200)); /* CO-26 by the rules */
    fx_line(&X, "2026-03-02", "99213", 1, USD(120));
    R.action = ADJ_REVIEW_DENY;
    struct adj_line_decision *ld = add_decision(0); /* every line */
    ld->has_code = true;
    ld->group = ADJ_GROUP_PR;
    strcpy(ld->carc, "96");
    X.facts.review = &R;
    ck_assert_int_eq(fx_run_on(&X, "2026-03-10", "2026-03-10"), ADJ_OK);
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    fx_expect_denied(&X.out, 0, "PR-96", "");
    fx_expect_denied(&X.out, 1, "PR-96", "");
    ck_assert_int_eq(X.out.total_patient_responsibility, USD(320));
    ck_assert_int_eq(X.out.n_codes, 1);
    ck_assert_int_eq(X.out.codes[0].amount, USD(320));
    ck_assert_int_eq(X.out.n_deltas, 0);
}
END_TEST

START_TEST(test_bad_review_is_an_error)
{
    two_lines();
    R.action = ADJ_REVIEW_DENY;
    struct adj_line_decision *ld = add_decision(3); /* the claim has 2 lines */
    ld->has_code = true;
    strcpy(ld->carc, "96");
    X.facts.review = &R;
    ck_assert_int_eq(fx_run_on(&X, "2026-03-10", "2026-03-10"), ADJ_ERR_FACTS);
    ld->line = 1;
    ld->has_code = false; /* deny without a code */
    ck_assert_int_eq(fx_run_on(&X, "2026-03-10", "2026-03-10"), ADJ_ERR_FACTS);
    R.action = ADJ_REVIEW_ADJUST; /* adjust without an amount */
    ck_assert_int_eq(fx_run_on(&X, "2026-03-10", "2026-03-10"), ADJ_ERR_FACTS);
    ld->line = 0; /* line 0 is "every line" only for deny */
    ld->has_allowed = true;
    ck_assert_int_eq(fx_run_on(&X, "2026-03-10", "2026-03-10"), ADJ_ERR_FACTS);
}
END_TEST

START_TEST(test_review_codes_are_bounded_and_known)
{
    two_lines();
    R.action = ADJ_REVIEW_DENY;
    static const enum adj_group groups[] = {ADJ_GROUP_CO, ADJ_GROUP_PR, ADJ_GROUP_OA, ADJ_GROUP_PI};
    for (int g = 0; g < 4; g++) {
        struct adj_line_decision *ld = add_decision(1 + g % 2);
        ld->has_code = true;
        ld->group = groups[g];
        strcpy(ld->carc, "96");
    }
    ck_assert(adj_review_codes_fit(&R)); /* 4 distinct pairs */
    X.facts.review = &R;
    ck_assert_int_eq(fx_run_on(&X, "2026-03-10", "2026-03-10"), ADJ_OK);
    fx_expect_denied(&X.out, 0, "OA-96", ""); /* the last decision of a line wins */
    fx_expect_denied(&X.out, 1, "PI-96", "");
    struct adj_line_decision *again = add_decision(2); /* the same pair again: still 4 */
    again->has_code = true;
    again->group = ADJ_GROUP_PI;
    strcpy(again->carc, "96");
    ck_assert(adj_review_codes_fit(&R));
    struct adj_line_decision *fifth = add_decision(1);
    fifth->has_code = true;
    fifth->group = ADJ_GROUP_CO;
    strcpy(fifth->carc, "18");
    ck_assert(!adj_review_codes_fit(&R));
    ck_assert_int_eq(fx_run_on(&X, "2026-03-10", "2026-03-10"), ADJ_ERR_FACTS);
    /* Codes outside the tables are refused, not put on an EOB. */
    R.n_lines = 1;
    strcpy(R.lines[0].carc, "999");
    ck_assert_int_eq(fx_run_on(&X, "2026-03-10", "2026-03-10"), ADJ_ERR_FACTS);
    strcpy(R.lines[0].carc, "96");
    strcpy(R.lines[0].rarc, "ZZ1");
    ck_assert_int_eq(fx_run_on(&X, "2026-03-10", "2026-03-10"), ADJ_ERR_FACTS);
}
END_TEST

START_TEST(test_pharmacy_review_line_1)
{
    fx_pharmacy(&X, "2026-03-02", USD(150)); /* allowed $135, $35 copay */
    R.action = ADJ_REVIEW_ADJUST;
    struct adj_line_decision *ld = add_decision(1);
    ld->has_allowed = true;
    ld->allowed = USD(100);
    run_reviewed();
    fx_expect_line(&X.out, 0, USD(150), USD(100), USD(65), USD(85), "PR-45 5000, PR-3 3500");
}
END_TEST

/* ---- stored form ---- */

START_TEST(test_review_json_round_trip)
{
    R.action = ADJ_REVIEW_ADJUST;
    struct adj_line_decision *ld = add_decision(2);
    ld->has_allowed = true;
    ld->allowed = 8010;
    ld->has_code = true;
    ld->group = ADJ_GROUP_PI;
    strcpy(ld->carc, "45");
    strcpy(ld->rarc, "N30");
    add_decision(1)->has_allowed = true;
    struct json_object *o = adj_review_to_json(&R);
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    ck_assert_str_eq(text, "{\"action\":\"adjust\",\"lines\":[{\"line\":2,\"allowed\":80.10,"
                           "\"group\":\"PI\",\"carc\":\"45\",\"rarc\":\"N30\"},"
                           "{\"line\":1,\"allowed\":0.00}]}");
    struct json_object *back = json_tokener_parse(text);
    struct adj_review got;
    ck_assert(adj_review_from_json(back, &got));
    ck_assert_int_eq(got.action, ADJ_REVIEW_ADJUST);
    ck_assert_int_eq(got.n_lines, 2);
    ck_assert_int_eq(got.lines[0].line, 2);
    ck_assert_int_eq(got.lines[0].allowed, 8010);
    ck_assert(got.lines[0].has_code);
    ck_assert_int_eq(got.lines[0].group, ADJ_GROUP_PI);
    ck_assert_str_eq(got.lines[0].carc, "45");
    ck_assert_str_eq(got.lines[0].rarc, "N30");
    ck_assert(!got.lines[1].has_code);
    ck_assert_str_eq(got.lines[1].rarc, "");
    json_object_put(back);
    json_object_put(o);
}
END_TEST

START_TEST(test_review_from_json_refuses_other_shapes)
{
    const char *bad[] = {
        "[]",
        "{\"lines\": []}",
        "{\"action\": \"maybe\", \"lines\": []}",
        "{\"action\": \"deny\"}",
        "{\"action\": \"deny\", \"lines\": [{\"line\": 0}]}",
        "{\"action\": \"deny\", \"lines\": [{\"line\": 1, \"group\": \"XX\", \"carc\": \"96\"}]}",
        "{\"action\": \"deny\", \"lines\": [{\"line\": 1, \"group\": \"CO\"}]}",
        "{\"action\": \"adjust\", \"lines\": [{\"line\": 1, \"allowed\": \"10.00\"}]}",
        "{\"action\": \"adjust\", \"lines\": [{\"line\": 1, \"allowed\": 1.001}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct json_object *o = json_tokener_parse(bad[i]);
        struct adj_review got;
        ck_assert_msg(!adj_review_from_json(o, &got), "accepted %s", bad[i]);
        json_object_put(o);
    }
    struct json_object *ok = json_tokener_parse(
        "{\"action\": \"deny\", \"lines\": [{\"group\": \"CO\", \"carc\": \"96\"}], "
        "\"note\": \"x\"}");
    struct adj_review got;
    ck_assert(adj_review_from_json(ok, &got));
    ck_assert_int_eq(got.lines[0].line, 0);
    json_object_put(ok);
}
END_TEST

START_TEST(test_names)
{
    enum adj_group g;
    ck_assert(adj_group_parse("PI", &g));
    ck_assert_int_eq(g, ADJ_GROUP_PI);
    ck_assert(!adj_group_parse("pi", &g));
    ck_assert_str_eq(adj_group_wording(ADJ_GROUP_PI), "Payor Initiated Reductions");
    enum adj_review_action a;
    ck_assert(adj_review_action_parse("deny", &a));
    ck_assert_int_eq(a, ADJ_REVIEW_DENY);
    ck_assert_str_eq(adj_review_action_name(ADJ_REVIEW_APPROVE), "approve");
    ck_assert(adj_review_action_parse("overturn", &a));
    ck_assert_int_eq(a, ADJ_REVIEW_OVERTURN);
    ck_assert_str_eq(adj_review_action_name(ADJ_REVIEW_OVERTURN), "overturn");
}
END_TEST

START_TEST(test_decision_json_lists_review_reasons)
{
    two_lines();
    threshold(USD(1));
    fx_run(&X, "2026-03-10");
    char *text = adj_decision_to_text(&X.out);
    struct json_object *tree = adj_decision_to_json(&X.out);
    ck_assert_str_eq(text, json_object_to_json_string_ext(tree, JSON_C_TO_STRING_PLAIN));
    ck_assert_ptr_nonnull(strstr(text, "\"outcome\":\"in_review\""));
    ck_assert_ptr_nonnull(strstr(text, "\"review_reasons\":[\"review_threshold\"]"));
    free(text);
    json_object_put(tree);
}
END_TEST

static Suite *review_suite(void)
{
    Suite *s = suite_create("adjudicate review");
    TCase *t = tcase_create("review");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, test_over_threshold_goes_to_review_with_amounts_and_no_deltas);
    tcase_add_test(t, test_overturn_opens_a_rules_denial);
    tcase_add_test(t, test_at_threshold_or_without_one_is_decided);
    tcase_add_test(t, test_denied_claim_is_never_referred);
    tcase_add_test(t, test_pended_claim_pends_first);
    tcase_add_test(t, test_expired_pend_decision_is_referred_too);
    tcase_add_test(t, test_approve_stands_and_is_not_referred_again);
    tcase_add_test(t, test_adjust_replaces_allowed_and_cost_share_follows_accumulators);
    tcase_add_test(t, test_adjust_with_codes_and_remark);
    tcase_add_test(t, test_adjust_above_charge_is_capped_at_the_charge);
    tcase_add_test(t, test_adjust_leaves_a_rules_denial_standing);
    tcase_add_test(t, test_deny_given_lines_with_the_reviewers_codes);
    tcase_add_test(t, test_deny_every_line_replaces_the_rules_codes);
    tcase_add_test(t, test_bad_review_is_an_error);
    tcase_add_test(t, test_review_codes_are_bounded_and_known);
    tcase_add_test(t, test_pharmacy_review_line_1);
    tcase_add_test(t, test_review_json_round_trip);
    tcase_add_test(t, test_review_from_json_refuses_other_shapes);
    tcase_add_test(t, test_names);
    tcase_add_test(t, test_decision_json_lists_review_reasons);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return test_run_suite(review_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
