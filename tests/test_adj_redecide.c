/*
 * The adjustment cascade's pure part (adjudicate/redecide.c, docs/rules.md
 * "Corrections, voids and the adjustment cascade"): a family's standing
 * claims decided again from zero accumulators in receipt order, each against
 * the earlier ones only; the plan years a re-decision must cover.
 */
#include <stdlib.h>

#include "harness/harness.h"
#include "adj_fixtures.h"
#include "adjudicate/redecide.h"

#define N_MAX 6

static struct fx X;
static struct claim claims[N_MAX];
static struct adj_redecide_claim in[N_MAX];
static struct adj_redecide_result out[N_MAX];
static struct adj_acc_entry totals[N_MAX * ADJ_MAX_DELTAS];
static struct adj_prior_line prior[N_MAX * MAX_LINES];
static const char *const ids[N_MAX] = {
    "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b",
    "00000000-0000-4000-8000-00000000000c", "00000000-0000-4000-8000-00000000000d",
    "00000000-0000-4000-8000-00000000000e", "00000000-0000-4000-8000-00000000000f"};

static void setup(void)
{
    fx_init(&X);
    fx_dependent(&X, "M1001-02", REL_CHILD, "Ana", "2015-06-10");
}

/* Claim i: one in-network 99214 line ($150.00 allowed) on `date` for the
 * employee (dependent false) or the child. */
static void office_visit(int i, const char *date, bool dependent)
{
    struct claim *c = &claims[i];
    *c = X.claim;
    c->n_lines = 0;
    const struct member *m = dependent ? &X.patient : &X.subscriber;
    snprintf(c->member_id, sizeof c->member_id, "%s", m->member_id);
    snprintf(c->patient.first_name, sizeof c->patient.first_name, "%s", m->first_name);
    c->patient.birth_date = m->birth_date;
    struct claim_line *l = &c->lines[c->n_lines++];
    memset(l, 0, sizeof *l);
    l->service_date = D(date);
    strcpy(l->procedure_code, "99214");
    l->units = 1;
    l->charge = USD(200);
    in[i] = (struct adj_redecide_claim){
        .claim_id = ids[i],
        .member_id = c->member_id,
        .claim = c,
        .patient = m,
        .subscriber = &X.subscriber,
        .group = &X.group,
        .plan = &X.plan,
        .received_date = D("2025-06-02"),
    };
}

static int run(const struct adj_redecide_claim *list, int n, int *n_totals)
{
    struct adj_redecide_buffers buf = {totals, N_MAX * ADJ_MAX_DELTAS, prior, N_MAX * MAX_LINES};
    return adj_redecide_family(list, n, D("2025-06-10"), &buf, out, n_totals);
}

/* The total of one (year, member or NULL for the family, network). */
static cents_t total(int n_totals, const char *member, bool oop)
{
    cents_t sum = 0;
    for (int i = 0; i < n_totals; i++)
        if (totals[i].year == 2025 && totals[i].network == NETWORK_IN &&
            (!member || strcmp(totals[i].member_id, member) == 0))
            sum += oop ? totals[i].oop : totals[i].deductible;
    return sum;
}

START_TEST(test_void_of_first_claim_moves_deductible_to_the_fourth)
{
    /* Four visits of $150.00 allowed against the $500.00 deductible: the
     * fourth meets the last $50.00 and pays 80% of the other $100.00. */
    const char *const dates[4] = {"2025-03-02", "2025-03-03", "2025-03-04", "2025-03-05"};
    for (int i = 0; i < 4; i++)
        office_visit(i, dates[i], false);
    int n_totals = 0;
    ck_assert_int_eq(run(in, 4, &n_totals), ADJ_OK);
    ck_assert_int_eq(out[3].decision.total_plan_paid, USD(80));
    ck_assert_int_eq(out[3].decision.total_patient_responsibility, USD(70));
    ck_assert_int_eq(total(n_totals, "M1001", false), USD(500));
    ck_assert_int_eq(total(n_totals, "M1001", true), USD(520));
    /* The first voided: the other three each go to the deductible. */
    ck_assert_int_eq(run(in + 1, 3, &n_totals), ADJ_OK);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(out[i].decision.outcome, ADJ_APPROVED);
        ck_assert_int_eq(out[i].decision.total_plan_paid, 0);
        ck_assert_int_eq(out[i].decision.total_patient_responsibility, USD(150));
    }
    ck_assert_int_eq(out[2].before[0].individual[NETWORK_IN].deductible_met, USD(300));
    ck_assert_int_eq(total(n_totals, "M1001", false), USD(450));
    ck_assert_int_eq(total(n_totals, NULL, true), USD(450));
}
END_TEST

START_TEST(test_redecision_equals_one_at_a_time_adjudication)
{
    /* The oracle: adj_adjudicate claim by claim, accumulators carried by hand. */
    office_visit(0, "2025-03-02", false);
    office_visit(1, "2025-03-03", true);
    office_visit(2, "2025-03-04", false);
    office_visit(3, "2025-03-05", true);
    office_visit(4, "2025-03-06", false);
    int n_totals = 0;
    ck_assert_int_eq(run(in, 5, &n_totals), ADJ_OK);
    struct adj_year_accumulators acc[2] = {{.year = 2025}, {.year = 2025}}; /* employee, child */
    cents_t fam_ded = 0, fam_oop = 0;
    for (int i = 0; i < 5; i++) {
        int who = strcmp(in[i].member_id, "M1001") == 0 ? 0 : 1;
        struct adj_year_accumulators year = acc[who];
        year.family[NETWORK_IN] = (struct adj_tier_totals){fam_ded, fam_oop};
        struct adj_facts f = {.claim_id = ids[i],
                              .claim = in[i].claim,
                              .patient = in[i].patient,
                              .subscriber = &X.subscriber,
                              .group = &X.group,
                              .plan = &X.plan,
                              .accumulators = &year,
                              .n_accumulators = 1,
                              .received_date = D("2025-06-02"),
                              .today = D("2025-06-10")};
        struct adj_decision d;
        ck_assert_int_eq(adj_adjudicate(&f, &d), ADJ_OK);
        ck_assert_int_eq(out[i].decision.total_plan_paid, d.total_plan_paid);
        ck_assert_int_eq(out[i].decision.total_patient_responsibility,
                         d.total_patient_responsibility);
        ck_assert_int_eq(out[i].before[0].family[NETWORK_IN].deductible_met, fam_ded);
        for (int k = 0; k < d.n_deltas; k++) {
            acc[who].individual[NETWORK_IN].deductible_met += d.deltas[k].deductible;
            acc[who].individual[NETWORK_IN].oop_met += d.deltas[k].oop;
            fam_ded += d.deltas[k].deductible;
            fam_oop += d.deltas[k].oop;
        }
    }
    ck_assert_int_eq(total(n_totals, NULL, false), fam_ded);
    ck_assert_int_eq(total(n_totals, NULL, true), fam_oop);
    ck_assert_int_eq(total(n_totals, "M1001-02", false),
                     acc[1].individual[NETWORK_IN].deductible_met);
    /* Child's two visits: $300.00 of the deductible; the employee's three: $450.00. */
    ck_assert_int_eq(total(n_totals, "M1001-02", false), USD(300));
    ck_assert_int_eq(total(n_totals, "M1001", false), USD(450));
}
END_TEST

START_TEST(test_duplicate_checked_against_earlier_standing_claims_only)
{
    office_visit(0, "2025-03-02", false);
    office_visit(1, "2025-03-02", false); /* the same line again */
    int n_totals = 0;
    ck_assert_int_eq(run(in, 2, &n_totals), ADJ_OK);
    ck_assert_int_eq(out[0].decision.outcome, ADJ_APPROVED);
    ck_assert_int_eq(out[1].decision.outcome, ADJ_DENIED);
    fx_expect_denied(&out[1].decision, 0, "OA-18", "");
    /* The first voided: the second stands alone and is paid as the first was. */
    ck_assert_int_eq(run(in + 1, 1, &n_totals), ADJ_OK);
    ck_assert_int_eq(out[0].decision.outcome, ADJ_APPROVED);
    ck_assert_int_eq(out[0].decision.total_patient_responsibility, USD(150));
    ck_assert_int_eq(total(n_totals, "M1001", false), USD(150));
    /* The child's identical visit is no duplicate of the employee's. */
    office_visit(2, "2025-03-02", true);
    struct adj_redecide_claim two[2] = {in[0], in[2]};
    ck_assert_int_eq(run(two, 2, &n_totals), ADJ_OK);
    ck_assert_int_eq(out[1].decision.outcome, ADJ_APPROVED);
}
END_TEST

START_TEST(test_unknown_patient_denied_co140_and_moves_nothing)
{
    office_visit(0, "2025-03-02", false);
    in[0].patient = NULL;
    int n_totals = 0;
    ck_assert_int_eq(run(in, 1, &n_totals), ADJ_OK);
    ck_assert_int_eq(out[0].decision.outcome, ADJ_DENIED);
    fx_expect_denied(&out[0].decision, 0, "CO-140", "");
    ck_assert_int_eq(n_totals, 0);
}
END_TEST

START_TEST(test_stored_reviews_are_applied_and_nothing_goes_back_to_review)
{
    /* Threshold 100.00: each visit ($150.00 allowed) would be referred. */
    X.plan.has_review_threshold = true;
    X.plan.review_threshold = USD(100);
    for (int i = 0; i < 3; i++)
        office_visit(i, i == 0 ? "2025-03-02" : i == 1 ? "2025-03-03" : "2025-03-04", false);
    /* Claim 0 adjusted to 120.00 (CO-45), claim 1 denied CO-96, claim 2 no review. */
    struct adj_review adjust = {.action = ADJ_REVIEW_ADJUST, .n_lines = 1};
    adjust.lines[0] = (struct adj_line_decision){.line = 1,
                                                 .has_allowed = true,
                                                 .allowed = USD(120),
                                                 .has_code = true,
                                                 .group = ADJ_GROUP_CO,
                                                 .carc = "45"};
    struct adj_review deny = {.action = ADJ_REVIEW_DENY, .n_lines = 1};
    deny.lines[0] = (struct adj_line_decision){
        .line = 1, .has_code = true, .group = ADJ_GROUP_CO, .carc = "96"};
    in[0].review = &adjust;
    in[1].review = &deny;
    int n_totals = 0;
    ck_assert_int_eq(run(in, 3, &n_totals), ADJ_OK);
    ck_assert_int_eq(out[0].decision.outcome, ADJ_APPROVED);
    ck_assert_int_eq(out[0].decision.total_allowed, USD(120));
    ck_assert_int_eq(out[0].decision.total_patient_responsibility, USD(120));
    ck_assert_int_eq(out[0].decision.lines[0].adjustments[0].amount, USD(80));
    ck_assert_str_eq(out[0].decision.lines[0].adjustments[0].carc, "45");
    ck_assert_int_eq(out[1].decision.outcome, ADJ_DENIED);
    ck_assert_str_eq(out[1].decision.lines[0].adjustments[0].carc, "96");
    ck_assert_int_eq(out[1].decision.lines[0].adjustments[0].amount, USD(200));
    /* Claim 2 would be referred: final already, it is decided as approve decides it. */
    ck_assert_int_eq(out[2].decision.outcome, ADJ_APPROVED);
    ck_assert_int_eq(out[2].decision.n_referrals, 0);
    ck_assert_int_eq(out[2].decision.total_allowed, USD(150));
    ck_assert_int_eq(out[2].decision.total_patient_responsibility, USD(150));
    ck_assert_int_eq(out[2].before[0].individual[NETWORK_IN].deductible_met, USD(120));
    ck_assert_int_eq(total(n_totals, "M1001", false), USD(270));
}
END_TEST

START_TEST(test_buffers_too_small_refused)
{
    office_visit(0, "2025-03-02", false);
    office_visit(1, "2025-03-03", false);
    struct adj_redecide_buffers buf = {totals, 0, prior, N_MAX * MAX_LINES};
    int n_totals = 0;
    ck_assert_int_eq(adj_redecide_family(in, 2, D("2025-06-10"), &buf, out, &n_totals),
                     ADJ_ERR_FACTS);
    buf = (struct adj_redecide_buffers){totals, N_MAX * ADJ_MAX_DELTAS, prior, 0};
    ck_assert_int_eq(adj_redecide_family(in, 2, D("2025-06-10"), &buf, out, &n_totals),
                     ADJ_ERR_FACTS);
}
END_TEST

START_TEST(test_scope_closes_over_claims_spanning_years)
{
    office_visit(0, "2024-12-30", false);
    office_visit(1, "2024-12-31", false);
    claims[1].lines[claims[1].n_lines] = claims[1].lines[0];
    claims[1].lines[claims[1].n_lines++].service_date = D("2025-01-02");
    office_visit(2, "2025-02-02", false);
    office_visit(3, "2026-02-02", false);
    const struct claim *list[4] = {&claims[0], &claims[1], &claims[2], &claims[3]};
    bool scope[4];
    int years[8];
    int seed = 2024;
    ck_assert_int_eq(adj_redecide_scope(list, 4, &seed, 1, scope, years, 8), 2);
    ck_assert_int_eq(years[0], 2024);
    ck_assert_int_eq(years[1], 2025);
    ck_assert(scope[0] && scope[1] && scope[2] && !scope[3]);
    seed = 2026;
    ck_assert_int_eq(adj_redecide_scope(list, 4, &seed, 1, scope, years, 8), 1);
    ck_assert(!scope[0] && !scope[1] && !scope[2] && scope[3]);
    seed = 2024;
    ck_assert_int_eq(adj_redecide_scope(list, 4, &seed, 1, scope, years, 1), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("adj_redecide");
    TCase *tc = tcase_create("redecide");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_void_of_first_claim_moves_deductible_to_the_fourth);
    tcase_add_test(tc, test_redecision_equals_one_at_a_time_adjudication);
    tcase_add_test(tc, test_duplicate_checked_against_earlier_standing_claims_only);
    tcase_add_test(tc, test_unknown_patient_denied_co140_and_moves_nothing);
    tcase_add_test(tc, test_buffers_too_small_refused);
    tcase_add_test(tc, test_stored_reviews_are_applied_and_nothing_goes_back_to_review);
    tcase_add_test(tc, test_scope_closes_over_claims_spanning_years);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
