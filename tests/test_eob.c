/*
 * EOB tests: records built from decisions of the real rules (adj_adjudicate on
 * the fixtures of tests/adj_fixtures.h) checked to the cent against the
 * decision; the FHIR form validated by the independent validators of
 * tests/fhir (validate.sh, run from the repository root as `make check`
 * does); the HTML form checked for escaping and for no script and no asset.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/harness.h"
#include "adj_fixtures.h"
#include "adjudicate/decision_json.h"
#include "eob/eob.h"
#include "json_writer.h"

#define CLAIM_ID "7c0e4a52-1b7d-4d8e-9f3a-2b6c1d0e9a11"

static struct fx X;
static struct eob_year_standing S[ADJ_MAX_PLAN_YEARS];

/* ---- Building ---- */

static struct eob_inputs inputs(const char *statement, const char *received)
{
    int n = eob_standing_after(&X.plan, &X.claim, X.acc, X.n_acc, &X.out, S, ADJ_MAX_PLAN_YEARS);
    ck_assert_int_ge(n, 1);
    return (struct eob_inputs){
        .claim_id = CLAIM_ID,
        .version = 1,
        .statement_date = D(statement),
        .received_date = D(received),
        .claim = &X.claim,
        .patient = &X.patient,
        .subscriber = X.patient.relationship == REL_EMPLOYEE ? &X.patient : &X.subscriber,
        .group = &X.group,
        .plan = &X.plan,
        .decision = &X.out,
        .standing = S,
        .n_standing = n,
    };
}

/* The worker's text of the record, decision and pending part is JSON in
 * json-c's plain form: the trees are that text parsed back (eob_record_build,
 * adj_decision_to_json), and json-c writes them out again byte for byte (no
 * whitespace, its escapes and number forms), so a reader that re-serialises
 * a stored record changes nothing. */
static void expect_text_equals_tree(const struct eob_inputs *in)
{
    struct json_object *rec = NULL;
    char *text = NULL;
    ck_assert_int_eq(eob_record_build(in, &rec), EOB_OK);
    ck_assert_int_eq(eob_record_text(in, &text), EOB_OK);
    ck_assert_str_eq(text, json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
    free(text);
    json_object_put(rec);
    struct json_object *d = adj_decision_to_json(in->decision);
    text = adj_decision_to_text(in->decision);
    ck_assert_str_eq(text, json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
    free(text);
    json_object_put(d);
    d = adj_pending_to_json(&in->decision->pend);
    text = adj_pending_to_text(&in->decision->pend);
    ck_assert_str_eq(text, json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
    free(text);
    json_object_put(d);
}

static struct json_object *build(const char *statement, const char *received)
{
    struct eob_inputs in = inputs(statement, received);
    expect_text_equals_tree(&in);
    struct json_object *rec = NULL;
    ck_assert_int_eq(eob_record_build(&in, &rec), EOB_OK);
    ck_assert_ptr_nonnull(rec);
    return rec;
}

/* ---- Reading the record ---- */

static struct json_object *get(const struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    ck_assert_msg(json_object_object_get_ex(o, key, &v), "no member %s", key);
    return v;
}

/* The claims of the tests, each built from a decision of the real rules. */
static struct json_object *approved_medical(void);
static struct json_object *cob_secondary(void);
static struct json_object *denied_late_pharmacy(void);
static struct json_object *oop_maximum(void);
static struct json_object *hostile_names(void);

static struct json_object *path(const struct json_object *o, const char *p)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", p);
    struct json_object *v = (struct json_object *)o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
        if (isdigit((unsigned char)k[0]))
            v = json_object_array_get_idx(v, (size_t)atoi(k));
        else
            v = get(v, k);
        ck_assert_msg(v != NULL, "no %s in %s", k, p);
    }
    return v;
}

static const char *text_at(const struct json_object *o, const char *p)
{
    return json_object_get_string(path(o, p));
}

/* An amount: a JSON number written with exactly two decimals, read as cents. */
static cents_t cents_at(const struct json_object *o, const char *p)
{
    struct json_object *v = path(o, p);
    ck_assert_msg(json_object_is_type(v, json_type_double), "%s is not a decimal number", p);
    const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    size_t n = strlen(s);
    ck_assert_msg(n >= 4 && s[n - 3] == '.' && isdigit((unsigned char)s[n - 1]) &&
                      isdigit((unsigned char)s[n - 2]),
                  "%s = %s: not two decimals", p, s);
    cents_t whole = 0;
    size_t i = s[0] == '-';
    for (; i < n - 3; i++) {
        ck_assert(isdigit((unsigned char)s[i]));
        whole = whole * 10 + (s[i] - '0');
    }
    cents_t v100 = whole * 100 + (s[n - 2] - '0') * 10 + (s[n - 1] - '0');
    return s[0] == '-' ? -v100 : v100;
}

static size_t count_at(const struct json_object *o, const char *p)
{
    struct json_object *v = path(o, p);
    ck_assert(json_object_is_type(v, json_type_array));
    return json_object_array_length(v);
}

/*
 * The record says exactly what the decision says, to the cent: every line's
 * amounts and adjustments, the totals and the code summary, and the record's
 * own numbers add up (lines to totals, each line balances).
 */
static void expect_record_matches_decision(const struct json_object *rec,
                                           const struct adj_decision *d)
{
    char p[128];
    ck_assert_str_eq(text_at(rec, "outcome"), adj_outcome_name(d->outcome));
    ck_assert_int_eq((int)count_at(rec, "lines"), d->n_lines);
    cents_t sum_charge = 0, sum_allowed = 0, sum_paid = 0, sum_patient = 0;
    for (int i = 0; i < d->n_lines; i++) {
        const struct adj_line *l = &d->lines[i];
        snprintf(p, sizeof p, "lines.%d.charge", i);
        ck_assert_int_eq(cents_at(rec, p), l->charge);
        snprintf(p, sizeof p, "lines.%d.allowed", i);
        ck_assert_int_eq(cents_at(rec, p), l->allowed);
        snprintf(p, sizeof p, "lines.%d.plan_paid", i);
        ck_assert_int_eq(cents_at(rec, p), l->plan_paid);
        snprintf(p, sizeof p, "lines.%d.patient_responsibility", i);
        ck_assert_int_eq(cents_at(rec, p), l->patient_responsibility);
        snprintf(p, sizeof p, "lines.%d.adjustments", i);
        ck_assert_int_eq((int)count_at(rec, p), l->n_adjustments);
        cents_t adjusted = 0, pr = 0;
        for (int k = 0; k < l->n_adjustments; k++) {
            const struct adj_adjustment *a = &l->adjustments[k];
            snprintf(p, sizeof p, "lines.%d.adjustments.%d.group", i, k);
            ck_assert_str_eq(text_at(rec, p), adj_group_code(a->group));
            snprintf(p, sizeof p, "lines.%d.adjustments.%d.code", i, k);
            ck_assert_str_eq(text_at(rec, p), a->carc);
            snprintf(p, sizeof p, "lines.%d.adjustments.%d.meaning", i, k);
            ck_assert_str_eq(text_at(rec, p), adj_carc_lookup(a->carc)->plain);
            snprintf(p, sizeof p, "lines.%d.adjustments.%d.amount", i, k);
            cents_t amount = cents_at(rec, p);
            ck_assert_int_eq(amount, a->amount);
            adjusted += amount;
            if (a->group == ADJ_GROUP_PR)
                pr += amount;
        }
        snprintf(p, sizeof p, "lines.%d.remarks", i);
        ck_assert_int_eq((int)count_at(rec, p), l->n_remarks);
        /* The record's own line balances. */
        snprintf(p, sizeof p, "lines.%d.charge", i);
        cents_t charge = cents_at(rec, p);
        snprintf(p, sizeof p, "lines.%d.plan_paid", i);
        cents_t paid = cents_at(rec, p);
        ck_assert_int_eq(charge, paid + adjusted);
        snprintf(p, sizeof p, "lines.%d.patient_responsibility", i);
        ck_assert_int_eq(cents_at(rec, p), pr);
        sum_charge += charge;
        sum_paid += paid;
        snprintf(p, sizeof p, "lines.%d.allowed", i);
        sum_allowed += cents_at(rec, p);
        sum_patient += pr;
    }
    ck_assert_int_eq(cents_at(rec, "totals.charge"), d->total_charge);
    ck_assert_int_eq(cents_at(rec, "totals.allowed"), d->total_allowed);
    ck_assert_int_eq(cents_at(rec, "totals.plan_paid"), d->total_plan_paid);
    ck_assert_int_eq(cents_at(rec, "totals.patient_responsibility"),
                     d->total_patient_responsibility);
    ck_assert_int_eq(cents_at(rec, "totals.charge"), sum_charge);
    ck_assert_int_eq(cents_at(rec, "totals.allowed"), sum_allowed);
    ck_assert_int_eq(cents_at(rec, "totals.plan_paid"), sum_paid);
    ck_assert_int_eq(cents_at(rec, "totals.patient_responsibility"), sum_patient);
    ck_assert_int_eq((int)count_at(rec, "totals.adjustments"), d->n_codes);
    for (int k = 0; k < d->n_codes; k++) {
        snprintf(p, sizeof p, "totals.adjustments.%d.code", k);
        ck_assert_str_eq(text_at(rec, p), d->codes[k].carc);
        snprintf(p, sizeof p, "totals.adjustments.%d.amount", k);
        ck_assert_int_eq(cents_at(rec, p), d->codes[k].amount);
    }
    ck_assert_int_eq((int)count_at(rec, "remarks"), d->n_remarks);
    for (int k = 0; k < d->n_remarks; k++) {
        snprintf(p, sizeof p, "remarks.%d.code", k);
        ck_assert_str_eq(text_at(rec, p), d->remarks[k]);
        snprintf(p, sizeof p, "remarks.%d.meaning", k);
        ck_assert_str_eq(text_at(rec, p), adj_rarc_lookup(d->remarks[k])->plain);
    }
    ck_assert_str_eq(text_at(rec, "payee.type"), adj_payee_name(d->payee));
    ck_assert_int_eq(cents_at(rec, "payee.amount"), d->total_plan_paid);
    ck_assert_str_eq(text_at(rec, "coordination_of_benefits.position"),
                     adj_cob_position_name(d->cob_position));
}

/* ---- FHIR ---- */

/* The adjudication amount of a category on an item or in total[] (-1 when absent). */
static cents_t fhir_amount(const struct json_object *list, const char *category)
{
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *a = json_object_array_get_idx(list, i);
        if (!strcmp(text_at(a, "category.coding.0.code"), category)) {
            ck_assert_str_eq(text_at(a, "amount.currency"), "USD");
            return cents_at(a, "amount.value");
        }
    }
    return -1;
}

/* The FHIR resource carries the record's amounts, item by item and in total. */
static void expect_fhir_matches_record(const struct json_object *fhir,
                                       const struct json_object *rec)
{
    char p[64];
    bool to_provider = !strcmp(text_at(rec, "payee.type"), "provider");
    const char *paid_cat = to_provider ? "paidtoprovider" : "paidtopatient";
    ck_assert_str_eq(text_at(fhir, "resourceType"), "ExplanationOfBenefit");
    ck_assert_str_eq(text_at(fhir, "identifier.0.value"), text_at(rec, "claim_id"));
    ck_assert_str_eq(text_at(fhir, "outcome"), "complete");
    ck_assert_str_eq(text_at(fhir, "use"), "claim");
    ck_assert_str_eq(text_at(fhir, "created"), text_at(rec, "statement_date"));
    ck_assert_uint_eq(count_at(fhir, "item"), count_at(rec, "lines"));
    for (size_t i = 0; i < count_at(rec, "lines"); i++) {
        snprintf(p, sizeof p, "item.%zu.adjudication", i);
        struct json_object *adj = path(fhir, p);
        snprintf(p, sizeof p, "lines.%zu", i);
        struct json_object *line = path(rec, p);
        ck_assert_int_eq(fhir_amount(adj, "submitted"), cents_at(line, "charge"));
        ck_assert_int_eq(fhir_amount(adj, "eligible"), cents_at(line, "allowed"));
        ck_assert_int_eq(fhir_amount(adj, "benefit"), cents_at(line, "plan_paid"));
        ck_assert_int_eq(fhir_amount(adj, paid_cat), cents_at(line, "plan_paid"));
        ck_assert_int_eq(fhir_amount(adj, "memberliability"),
                         cents_at(line, "patient_responsibility"));
    }
    struct json_object *total = path(fhir, "total");
    ck_assert_int_eq(fhir_amount(total, "submitted"), cents_at(rec, "totals.charge"));
    ck_assert_int_eq(fhir_amount(total, "eligible"), cents_at(rec, "totals.allowed"));
    ck_assert_int_eq(fhir_amount(total, "benefit"), cents_at(rec, "totals.plan_paid"));
    ck_assert_int_eq(fhir_amount(total, paid_cat), cents_at(rec, "totals.plan_paid"));
    ck_assert_int_eq(fhir_amount(total, "memberliability"),
                     cents_at(rec, "totals.patient_responsibility"));
    ck_assert_int_eq(cents_at(fhir, "payment.amount.value"), cents_at(rec, "totals.plan_paid"));
    ck_assert_str_eq(text_at(fhir, "payee.type.coding.0.code"),
                     to_provider ? "provider" : "subscriber");
}

/* Where tests/fhir/validate.sh is: the repository root is the working
 * directory under `make check`; CLAIMS_SOURCE_DIR may say otherwise. */
static const char *validator_path(void)
{
    static char buf[4096];
    const char *root = getenv("CLAIMS_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s%stests/fhir/validate.sh", root ? root : "", root ? "/" : "");
    ck_assert_msg(access(buf, X_OK) == 0,
                  "%s not found: run the test from the repository root (make check)", buf);
    return buf;
}

static char tmpdir[64];
static int n_files;

static void write_fhir(struct json_object *fhir, const char *name)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/test_eob.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    }
    char file[128];
    snprintf(file, sizeof file, "%s/%s.json", tmpdir, name);
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs(json_object_to_json_string_ext(fhir, JSON_C_TO_STRING_PRETTY), f);
    ck_assert_int_eq(fclose(f), 0);
    n_files++;
}

/* Runs the validators on the files matching pattern; returns the exit status. */
static int run_validator(const char *pattern, bool quiet)
{
    char cmd[4500];
    snprintf(cmd, sizeof cmd, "'%s' %s/%s%s", validator_path(), tmpdir, pattern,
             quiet ? " >/dev/null" : "");
    int rc = system(cmd);
    ck_assert_int_ne(rc, -1);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static void cleanup_tmpdir(void)
{
    if (!tmpdir[0])
        return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    tmpdir[0] = '\0';
    n_files = 0;
}

/* Every format of a record: FHIR (matched to the record and written for the
 * validator) and HTML (no script, no asset), also from the stored text. */
static void check_formats(struct json_object *rec)
{
    struct json_object *fhir = eob_fhir(rec);
    ck_assert_ptr_nonnull(fhir);
    expect_fhir_matches_record(fhir, rec);

    char *html = eob_html(rec);
    ck_assert_ptr_nonnull(html);
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "http://"));
    ck_assert_ptr_null(strstr(html, "https://"));
    ck_assert_ptr_null(strstr(html, "<link"));
    ck_assert_ptr_null(strstr(html, "<img"));
    ck_assert_ptr_null(strstr(html, "url("));
    ck_assert_ptr_nonnull(strstr(html, "<html lang=\"en\">"));
    ck_assert_ptr_nonnull(strstr(html, "<title>"));
    ck_assert_ptr_nonnull(strstr(html, "<th scope=\"col\">"));

    /* The server renders from the stored text: same output. */
    const char *stored = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
    struct json_object *back = json_tokener_parse(stored);
    ck_assert_ptr_nonnull(back);
    ck_assert_str_eq(json_object_to_json_string_ext(back, JSON_C_TO_STRING_PLAIN), stored);
    struct json_object *fhir2 = eob_fhir(back);
    ck_assert_ptr_nonnull(fhir2);
    ck_assert_str_eq(json_object_to_json_string_ext(fhir2, JSON_C_TO_STRING_PLAIN),
                     json_object_to_json_string_ext(fhir, JSON_C_TO_STRING_PLAIN));
    char *html2 = eob_html(back);
    ck_assert_ptr_nonnull(html2);
    ck_assert_str_eq(html2, html);
    free(html2);
    free(html);
    json_object_put(fhir2);
    json_object_put(back);
    json_object_put(fhir);
}

/* ---- The four claims of the issue ---- */

/* In network, two lines: a copay visit and lab work that finishes the deductible. */
static struct json_object *approved_medical(void)
{
    fx_init(&X);
    struct adj_year_accumulators *y = fx_year(&X, 2026);
    y->individual[NETWORK_IN].deductible_met = y->family[NETWORK_IN].deductible_met = USD(480);
    y->individual[NETWORK_IN].oop_met = y->family[NETWORK_IN].oop_met = USD(480);
    fx_line(&X, "2026-03-02", "99213", 1, USD(150));
    fx_line(&X, "2026-03-02", "80053", 5, USD(120));
    fx_run(&X, "2026-03-05");
    return build("2026-03-09", "2026-03-05");
}

START_TEST(test_approved_medical_claim_to_the_cent)
{
    struct json_object *rec = approved_medical();
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    expect_record_matches_decision(rec, &X.out);
    /* The numbers as a claims examiner works them out. */
    ck_assert_int_eq(cents_at(rec, "lines.0.charge"), 15000);
    ck_assert_int_eq(cents_at(rec, "lines.0.allowed"), 10000);
    ck_assert_str_eq(text_at(rec, "lines.0.adjustments.0.group"), "CO");
    ck_assert_str_eq(text_at(rec, "lines.0.adjustments.0.code"), "45");
    ck_assert_int_eq(cents_at(rec, "lines.0.adjustments.0.amount"), 5000);
    ck_assert_str_eq(text_at(rec, "lines.0.adjustments.1.code"), "3");
    ck_assert_int_eq(cents_at(rec, "lines.0.adjustments.1.amount"), 2500);
    ck_assert_int_eq(cents_at(rec, "lines.0.plan_paid"), 7500);
    ck_assert_int_eq(cents_at(rec, "lines.1.allowed"), 10000);
    ck_assert_int_eq(cents_at(rec, "lines.1.adjustments.1.amount"), 2000); /* PR-1 */
    ck_assert_int_eq(cents_at(rec, "lines.1.adjustments.2.amount"), 1600); /* PR-2 20% of 80 */
    ck_assert_int_eq(cents_at(rec, "lines.1.plan_paid"), 6400);
    ck_assert_int_eq(cents_at(rec, "totals.charge"), 27000);
    ck_assert_int_eq(cents_at(rec, "totals.plan_paid"), 13900);
    ck_assert_int_eq(cents_at(rec, "totals.patient_responsibility"), 6100);
    ck_assert_str_eq(json_object_to_json_string(path(rec, "totals.plan_paid")), "139.00");
    ck_assert_str_eq(text_at(rec, "payee.type"), "provider");
    ck_assert_str_eq(text_at(rec, "payee.name"), "Bay Clinic");
    /* Standing after the claim: deductible met, OOP 480 + 25 + 20 + 16. */
    ck_assert_int_eq(json_object_get_int(path(rec, "accumulators.0.plan_year")), 2026);
    ck_assert_int_eq(cents_at(rec, "accumulators.0.individual.in_network.deductible.met"), 50000);
    ck_assert_int_eq(cents_at(rec, "accumulators.0.individual.in_network.deductible.remaining"), 0);
    ck_assert_int_eq(cents_at(rec, "accumulators.0.individual.in_network.out_of_pocket.met"),
                     54100);
    ck_assert_int_eq(cents_at(rec, "accumulators.0.individual.in_network.out_of_pocket.remaining"),
                     245900);
    ck_assert_int_eq(cents_at(rec, "accumulators.0.family.in_network.deductible.remaining"), 50000);
    ck_assert_int_eq(cents_at(rec, "accumulators.0.family.out_of_network.out_of_pocket.limit"),
                     1200000);
    /* Addressed to the employee; the appeal window runs 180 days from the statement. */
    ck_assert_str_eq(text_at(rec, "subscriber.member_id"), "M1001");
    ck_assert_str_eq(text_at(rec, "patient.relationship"), "employee");
    ck_assert_str_eq(text_at(rec, "provider.npi"), "1234567893");
    ck_assert_str_eq(text_at(rec, "lines.0.procedure_code"), "99213");
    ck_assert_str_eq(text_at(rec, "appeal.deadline"), "2026-09-05");
    ck_assert_int_eq(json_object_get_int(path(rec, "appeal.days")), 180);
    struct json_object *other = (struct json_object *)1;
    ck_assert(
        json_object_object_get_ex(path(rec, "coordination_of_benefits"), "other_payer", &other));
    ck_assert_ptr_null(other); /* JSON null: this plan paid first */
    check_formats(rec);
    json_object_put(rec);
}
END_TEST

/* A spouse with her own employer's plan: that plan pays first; the EOB goes to the employee. */
static struct json_object *cob_secondary(void)
{
    fx_init(&X);
    fx_dependent(&X, "M1001-01", REL_SPOUSE, "Luis", "1979-06-01");
    struct adj_year_accumulators *y = fx_year(&X, 2026);
    y->individual[NETWORK_IN].deductible_met = y->family[NETWORK_IN].deductible_met = USD(500);
    y->individual[NETWORK_IN].oop_met = y->family[NETWORK_IN].oop_met = USD(500);
    struct other_coverage *o = &X.patient.other_coverage[X.patient.n_other_coverage++];
    strcpy(o->payer_name, "Other Health");
    o->kind = OTHER_GROUP;
    o->relationship = OTHER_AS_EMPLOYEE;
    o->effective = D("2015-01-01");
    o->active_employment = true;
    X.claim.other_insurance.present = true;
    strcpy(X.claim.other_insurance.payer_name, "Other Health");
    X.claim.other_insurance.paid = USD(10);
    X.claim.other_insurance.allowed = USD(250);
    X.claim.other_insurance.patient_responsibility = USD(240);
    X.claim.other_insurance.eob_date = D("2026-03-08");
    fx_line(&X, "2026-03-03", "99214", 1, USD(200));
    fx_line(&X, "2026-03-03", "80053", 5, USD(120));
    fx_run(&X, "2026-03-10");
    ck_assert_int_eq(X.out.cob_position, ADJ_COB_SECONDARY);
    return build("2026-03-12", "2026-03-10");
}

START_TEST(test_cob_secondary_claim_to_the_cent)
{
    struct json_object *rec = cob_secondary();
    expect_record_matches_decision(rec, &X.out);
    /* The primary's $10 spread 6 and 4; this plan pays B; the member owes C - P. */
    ck_assert_str_eq(text_at(rec, "lines.0.adjustments.1.code"), "23");
    ck_assert_str_eq(text_at(rec, "lines.0.adjustments.1.group"), "OA");
    ck_assert_int_eq(cents_at(rec, "lines.0.adjustments.1.amount"), 600);
    ck_assert_int_eq(cents_at(rec, "lines.1.adjustments.1.amount"), 400);
    ck_assert_int_eq(cents_at(rec, "lines.0.plan_paid"), 12000);
    ck_assert_int_eq(cents_at(rec, "lines.0.patient_responsibility"), 2400);
    ck_assert_int_eq(cents_at(rec, "lines.1.plan_paid"), 8000);
    ck_assert_int_eq(cents_at(rec, "totals.plan_paid"), 20000);
    ck_assert_int_eq(cents_at(rec, "totals.patient_responsibility"), 4000);
    ck_assert_str_eq(text_at(rec, "lines.0.cob_position"), "secondary");
    ck_assert_str_eq(text_at(rec, "coordination_of_benefits.position"), "secondary");
    ck_assert_str_eq(text_at(rec, "coordination_of_benefits.other_payer.name"), "Other Health");
    ck_assert_int_eq(cents_at(rec, "coordination_of_benefits.other_payer.paid"), 1000);
    /* Addressed to the employee, about the spouse. */
    ck_assert_str_eq(text_at(rec, "subscriber.first_name"), "Ana");
    ck_assert_str_eq(text_at(rec, "patient.first_name"), "Luis");
    ck_assert_str_eq(text_at(rec, "patient.relationship"), "spouse");
    ck_assert_int_eq(cents_at(rec, "accumulators.0.individual.in_network.out_of_pocket.met"),
                     USD(540));
    struct json_object *fhir = eob_fhir(rec);
    ck_assert_str_eq(text_at(fhir, "contained.1.id"), "subscriber");
    ck_assert_str_eq(text_at(fhir, "item.0.adjudication.3.category.coding.0.code"),
                     "priorpayerpaid");
    ck_assert_str_eq(text_at(fhir, "item.0.adjudication.3.reason.coding.0.code"), "23");
    json_object_put(fhir);
    check_formats(rec);
    json_object_put(rec);
}
END_TEST

/* Filled 2 January, received 15 July: 194 days, past the 180 of § VII. */
static struct json_object *denied_late_pharmacy(void)
{
    fx_init(&X);
    fx_pharmacy(&X, "2026-01-02", USD(150));
    fx_run(&X, "2026-07-15");
    return build("2026-07-16", "2026-07-15");
}

START_TEST(test_denied_late_pharmacy_claim)
{
    struct json_object *rec = denied_late_pharmacy();
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    expect_record_matches_decision(rec, &X.out);
    ck_assert_str_eq(text_at(rec, "outcome"), "denied");
    ck_assert_str_eq(text_at(rec, "claim_type"), "pharmacy");
    ck_assert_str_eq(text_at(rec, "lines.0.adjustments.0.group"), "CO");
    ck_assert_str_eq(text_at(rec, "lines.0.adjustments.0.code"), "29");
    ck_assert_int_eq(cents_at(rec, "lines.0.adjustments.0.amount"), 15000);
    ck_assert_str_eq(text_at(rec, "lines.0.adjustments.0.meaning"),
                     "The claim reached us after the time allowed for filing it.");
    ck_assert_int_eq(cents_at(rec, "lines.0.plan_paid"), 0);
    ck_assert_int_eq(cents_at(rec, "totals.plan_paid"), 0);
    ck_assert_int_eq(cents_at(rec, "totals.patient_responsibility"), 0);
    ck_assert_str_eq(text_at(rec, "lines.0.ndc"), "00071015523");
    ck_assert_str_eq(text_at(rec, "lines.0.drug_name"), "Lipitor 20mg");
    ck_assert_str_eq(text_at(rec, "lines.0.service_date"), "2026-01-02");
    ck_assert_int_eq(json_object_get_int(path(rec, "lines.0.quantity")), 30);
    ck_assert_str_eq(text_at(rec, "provider.kind"), "pharmacy");
    ck_assert_str_eq(text_at(rec, "payee.type"), "member");
    ck_assert_str_eq(text_at(rec, "payee.name"), "Ana Lopez");
    /* A denied claim moves no accumulator. */
    ck_assert_int_eq(cents_at(rec, "accumulators.0.individual.in_network.out_of_pocket.met"), 0);
    ck_assert_str_eq(text_at(rec, "appeal.deadline"), "2027-01-12");
    /* The review procedure's time limit, told with the deadline (29 CFR
     * 2560.503-1(g)(1)(iv)), in every format. */
    ck_assert_int_eq(json_object_get_int(path(rec, "appeal.decision_days")), 60);
    char *page = eob_html(rec);
    ck_assert_ptr_nonnull(strstr(page, "<p>We decide an appeal within 60 days of receiving it."));
    ck_assert_ptr_nonnull(strstr(page, "your appeal must reach us by <strong>"));
    free(page);
    struct json_object *fhir = eob_fhir(rec);
    struct json_object *notes = path(fhir, "processNote");
    const char *last = json_object_get_string(
        path(json_object_array_get_idx(notes, json_object_array_length(notes) - 1), "text"));
    ck_assert_ptr_nonnull(strstr(last, "How to appeal: within 180 days of this statement, by "
                                       "2027-01-12."));
    ck_assert_ptr_nonnull(strstr(last, "We decide an appeal within 60 days of receiving it."));
    ck_assert_str_eq(text_at(fhir, "type.coding.0.code"), "pharmacy");
    ck_assert_str_eq(text_at(fhir, "item.0.productOrService.coding.0.system"),
                     "http://hl7.org/fhir/sid/ndc");
    ck_assert_ptr_nonnull(
        strstr(text_at(fhir, "meta.profile.0"), "C4BB-ExplanationOfBenefit-Pharmacy"));
    json_object_put(fhir);
    check_formats(rec);
    json_object_put(rec);
}
END_TEST

/* $10 left before the in-network out-of-pocket maximum: coinsurance stops there. */
static struct json_object *oop_maximum(void)
{
    fx_init(&X);
    struct adj_year_accumulators *y = fx_year(&X, 2026);
    y->individual[NETWORK_IN].deductible_met = y->family[NETWORK_IN].deductible_met = USD(500);
    y->individual[NETWORK_IN].oop_met = y->family[NETWORK_IN].oop_met = USD(2990);
    fx_line(&X, "2026-05-04", "99214", 1, USD(200));
    fx_line(&X, "2026-05-04", "80053", 5, USD(100));
    fx_run(&X, "2026-05-06");
    return build("2026-05-07", "2026-05-06");
}

START_TEST(test_cost_share_hitting_the_out_of_pocket_maximum)
{
    struct json_object *rec = oop_maximum();
    expect_record_matches_decision(rec, &X.out);
    /* Line 1: 20% of 150 would be 30; only 10 is left. Line 2: nothing left. */
    ck_assert_str_eq(text_at(rec, "lines.0.adjustments.1.code"), "2");
    ck_assert_int_eq(cents_at(rec, "lines.0.adjustments.1.amount"), 1000);
    ck_assert_int_eq(cents_at(rec, "lines.0.plan_paid"), 14000);
    ck_assert_int_eq(cents_at(rec, "lines.1.patient_responsibility"), 0);
    ck_assert_int_eq(cents_at(rec, "lines.1.plan_paid"), 10000);
    ck_assert_int_eq(cents_at(rec, "totals.patient_responsibility"), 1000);
    ck_assert_int_eq(cents_at(rec, "accumulators.0.individual.in_network.out_of_pocket.met"),
                     USD(3000));
    ck_assert_int_eq(cents_at(rec, "accumulators.0.individual.in_network.out_of_pocket.remaining"),
                     0);
    ck_assert_int_eq(cents_at(rec, "accumulators.0.family.in_network.out_of_pocket.remaining"),
                     USD(3000));
    check_formats(rec);
    json_object_put(rec);
}
END_TEST

/* The FHIR of the four claims above (and of the hostile names) passes the
 * independent validators with zero errors. */
START_TEST(test_fhir_validates_with_independent_validators)
{
    static struct json_object *(*const claims[])(void) = {
        approved_medical, cob_secondary, denied_late_pharmacy, oop_maximum, hostile_names};
    static const char *const names[] = {"approved_medical", "cob_secondary", "denied_late_pharmacy",
                                        "oop_maximum", "hostile_names"};
    for (size_t i = 0; i < sizeof claims / sizeof *claims; i++) {
        struct json_object *rec = claims[i]();
        struct json_object *fhir = eob_fhir(rec);
        ck_assert_ptr_nonnull(fhir);
        write_fhir(fhir, names[i]);
        json_object_put(fhir);
        json_object_put(rec);
    }
    ck_assert_int_eq(n_files, 5);
    int rc = run_validator("*.json", false);
    cleanup_tmpdir();
    ck_assert_int_eq(rc, 0);
}
END_TEST

/* The validators are not a rubber stamp: a bad element and an unknown one fail. */
START_TEST(test_fhir_validator_rejects_an_invalid_resource)
{
    struct json_object *rec = approved_medical();
    struct json_object *fhir = eob_fhir(rec);
    json_object_object_add(fhir, "status", json_object_new_string("finalised"));
    json_object_object_add(fhir, "paidInFull", json_object_new_boolean(1));
    write_fhir(fhir, "bad");
    int rc = run_validator("bad.json", true);
    cleanup_tmpdir();
    ck_assert_int_eq(rc, 1);
    json_object_put(fhir);
    json_object_put(rec);
}
END_TEST

/* ---- The rest of the contract ---- */

START_TEST(test_pended_claim_has_no_eob)
{
    fx_init(&X);
    X.claim.provider.network = NETWORK_OUT;
    X.claim.itemized_bill = false;
    fx_line(&X, "2026-03-02", "99213", 1, USD(150));
    fx_run(&X, "2026-03-05");
    ck_assert_int_eq(X.out.outcome, ADJ_PENDED);
    struct eob_inputs in = inputs("2026-03-06", "2026-03-05");
    struct json_object *rec = (struct json_object *)1;
    ck_assert_int_eq(eob_record_build(&in, &rec), EOB_PENDED);
    ck_assert_ptr_null(rec);
    ck_assert_ptr_null(eob_record_json(&in));
}
END_TEST

START_TEST(test_amounts_that_do_not_add_up_are_refused)
{
    struct json_object *rec = approved_medical();
    json_object_put(rec);
    struct eob_inputs in = inputs("2026-03-09", "2026-03-05");
    X.out.lines[0].plan_paid += 1; /* a line that no longer balances */
    ck_assert_ptr_null(eob_record_json(&in));
    X.out.lines[0].plan_paid -= 1;
    X.out.total_plan_paid += 1; /* totals that are not the sum of the lines */
    ck_assert_ptr_null(eob_record_json(&in));
    X.out.total_plan_paid -= 1;
    X.out.codes[0].amount += 1; /* a code summary that is not the sum */
    ck_assert_ptr_null(eob_record_json(&in));
    X.out.codes[0].amount -= 1;
    strcpy(X.out.lines[1].adjustments[0].carc, "999"); /* a code with no meaning to show */
    ck_assert_ptr_null(eob_record_json(&in));
    strcpy(X.out.lines[1].adjustments[0].carc, "45");
    in.claim_id = "not an id";
    ck_assert_ptr_null(eob_record_json(&in));
    in.claim_id = CLAIM_ID;
    in.version = 0;
    ck_assert_ptr_null(eob_record_json(&in));
    in.version = 2;
    rec = eob_record_json(&in);
    ck_assert_ptr_nonnull(rec);
    ck_assert_int_eq(json_object_get_int(path(rec, "version")), 2);
    json_object_put(rec);
    ck_assert_int_eq(eob_record_build(NULL, &rec), EOB_ERR_INPUTS);
    ck_assert_int_eq(eob_record_build(&in, NULL), EOB_ERR_INPUTS);
}
END_TEST

START_TEST(test_standing_after_adds_the_deltas_and_needs_every_year)
{
    fx_init(&X);
    fx_line(&X, "2025-12-30", "80053", 5, USD(100));
    fx_line(&X, "2026-01-02", "80053", 5, USD(100));
    fx_run(&X, "2026-01-05");
    struct eob_year_standing s[ADJ_MAX_PLAN_YEARS];
    int n = eob_standing_after(&X.plan, &X.claim, X.acc, X.n_acc, &X.out, s, ADJ_MAX_PLAN_YEARS);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(s[0].year, 2025);
    ck_assert_int_eq(s[1].year, 2026);
    /* Each year: $100 to the deductible, none left over for coinsurance. */
    ck_assert_int_eq(s[0].individual[NETWORK_IN].deductible.met, USD(100));
    ck_assert_int_eq(s[0].individual[NETWORK_IN].deductible.remaining, USD(400));
    ck_assert_int_eq(s[1].family[NETWORK_IN].deductible.remaining, USD(900));
    ck_assert_int_eq(s[1].individual[NETWORK_OUT].deductible.met, 0);
    ck_assert_int_eq(s[1].individual[NETWORK_OUT].deductible.remaining, USD(1000));
    /* Without the accumulators of one of the years there is no standing. */
    ck_assert_int_eq(
        eob_standing_after(&X.plan, &X.claim, X.acc + 11, 1, &X.out, s, ADJ_MAX_PLAN_YEARS), -1);
    ck_assert_int_eq(eob_standing_after(NULL, &X.claim, X.acc, X.n_acc, &X.out, s, 2), -1);
}
END_TEST

START_TEST(test_html_escape)
{
    char *s = eob_html_escape("<script>alert(1)</script>");
    ck_assert_str_eq(s, "&lt;script&gt;alert(1)&lt;/script&gt;");
    free(s);
    s = eob_html_escape("\"&'");
    ck_assert_str_eq(s, "&quot;&amp;&#39;");
    free(s);
    s = eob_html_escape("O'Brien & Sons <Clinic> \"Main\"");
    ck_assert_str_eq(s, "O&#39;Brien &amp; Sons &lt;Clinic&gt; &quot;Main&quot;");
    free(s);
    s = eob_html_escape("");
    ck_assert_str_eq(s, "");
    free(s);
    s = eob_html_escape(NULL);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

/* Hostile names everywhere a name goes. */
static struct json_object *hostile_names(void)
{
    fx_init(&X);
    strcpy(X.claim.provider.name, "<script>alert(1)</script>");
    strcpy(X.patient.first_name, "\"&'");
    strcpy(X.patient.last_name, "<img src=x onerror=alert(2)>");
    fx_claim_for(&X);
    strcpy(X.plan.name, "</title><script>alert(3)</script>");
    strcpy(X.group.name, "Acme & <b>Tools</b>");
    fx_line(&X, "2026-03-02", "99213", 1, USD(150));
    fx_run(&X, "2026-03-05");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    struct eob_inputs in = inputs("2026-03-09", "2026-03-05");
    in.appeal_address = "<a href=\"javascript:alert(4)\">Appeals</a>";
    expect_text_equals_tree(&in);
    struct json_object *rec = eob_record_json(&in);
    ck_assert_ptr_nonnull(rec);
    return rec;
}

/* Escaped in HTML, intact in JSON and FHIR. */
START_TEST(test_json_writer_writes_strings_as_json_c_does)
{
    static const char *const strings[] = {
        "",
        "plain",
        "a/b//c/",
        "/",
        "\"quoted\" \\ back",
        "tab\tnl\ncr\rff\fbs\b",
        "\x01\x02\x1f\x7f end",
        "caf\xc3\xa9 \xe2\x82\xac",
        "</title><script>",
    };
    for (int slash = 0; slash < 2; slash++) {
        struct json_writer w;
        json_writer_init(&w, slash == 1);
        struct json_object *tree = json_object_new_object();
        json_writer_open(&w, NULL, '{');
        for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
            char key[16];
            snprintf(key, sizeof key, "k/%zu", i);
            json_writer_string(&w, key, strings[i]);
            json_object_object_add(tree, key, json_object_new_string(strings[i]));
        }
        json_writer_open(&w, "list", '[');
        json_writer_int(&w, NULL, -42);
        json_writer_bool(&w, NULL, true);
        json_writer_null(&w, NULL);
        json_writer_open(&w, NULL, '{');
        json_writer_close(&w, '}');
        json_writer_open(&w, NULL, '[');
        json_writer_close(&w, ']');
        json_writer_close(&w, ']');
        json_writer_close(&w, '}');
        struct json_object *list = json_object_new_array();
        json_object_array_add(list, json_object_new_int64(-42));
        json_object_array_add(list, json_object_new_boolean(true));
        json_object_array_add(list, NULL);
        json_object_array_add(list, json_object_new_object());
        json_object_array_add(list, json_object_new_array());
        json_object_object_add(tree, "list", list);
        char *text = strbuf_take(&w.sb);
        int flags = JSON_C_TO_STRING_PLAIN | (slash ? 0 : JSON_C_TO_STRING_NOSLASHESCAPE);
        ck_assert_str_eq(text, json_object_to_json_string_ext(tree, flags));
        free(text);
        json_object_put(tree);
    }
}
END_TEST

START_TEST(test_html_escapes_every_value)
{
    struct json_object *rec = hostile_names();
    ck_assert_str_eq(text_at(rec, "provider.name"), "<script>alert(1)</script>");
    char *html = eob_html(rec);
    ck_assert_ptr_nonnull(html);
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "<img"));
    ck_assert_ptr_null(strstr(html, "<a "));
    ck_assert_ptr_null(strstr(html, "\"&'"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "&quot;&amp;&#39;"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;img src=x onerror=alert(2)&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;/title&gt;&lt;script&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;a href=&quot;javascript:alert(4)&quot;&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "Acme &amp; &lt;b&gt;Tools&lt;/b&gt;"));
    /* The page's only tags are the renderer's own. */
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        static const char *const allowed[] = {
            "!DOCTYPE", "html",   "/html",   "head",     "/head",  "meta",    "title",  "/title",
            "style",    "/style", "body",    "/body",    "header", "/header", "h1",     "/h1",
            "h2",       "/h2",    "p",       "/p",       "dl",     "/dl",     "dt",     "/dt",
            "dd",       "/dd",    "section", "/section", "div",    "/div",    "strong", "/strong",
            "table",    "/table", "caption", "/caption", "thead",  "/thead",  "tbody",  "/tbody",
            "tfoot",    "/tfoot", "tr",      "/tr",      "th",     "/th",     "td",     "/td",
            "ul",       "/ul",    "li",      "/li",      "span",   "/span",   "time",   "/time",
            "br",       "footer", "/footer"};
        size_t n = strcspn(p + 1, " >");
        bool ok = false;
        for (size_t k = 0; k < sizeof allowed / sizeof *allowed; k++)
            if (strlen(allowed[k]) == n && !strncmp(p + 1, allowed[k], n))
                ok = true;
        ck_assert_msg(ok, "unexpected tag at: %.40s", p);
    }
    ck_assert_ptr_null(strstr(html, "https://"));
    free(html);
    struct json_object *fhir = eob_fhir(rec);
    ck_assert_ptr_nonnull(fhir);
    ck_assert_str_eq(text_at(fhir, "provider.display"), "<script>alert(1)</script>");
    json_object_put(fhir);
    json_object_put(rec);
}
END_TEST

START_TEST(test_malformed_records_render_nothing)
{
    struct json_object *rec = approved_medical();
    static const char *const keys[] = {"totals",   "lines",        "payee",   "appeal",
                                       "claim_id", "accumulators", "remarks", "statement_date"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        struct json_object *copy = NULL;
        ck_assert_int_eq(json_object_deep_copy(rec, &copy, NULL), 0);
        json_object_object_del(copy, keys[k]);
        ck_assert_msg(eob_fhir(copy) == NULL, "FHIR without %s", keys[k]);
        ck_assert_msg(eob_html(copy) == NULL, "HTML without %s", keys[k]);
        json_object_put(copy);
    }
    /* An amount written as text, or with three decimals. */
    struct json_object *copy = NULL;
    ck_assert_int_eq(json_object_deep_copy(rec, &copy, NULL), 0);
    json_object_object_add(path(copy, "totals"), "plan_paid", json_object_new_string("139.00"));
    ck_assert_ptr_null(eob_fhir(copy));
    ck_assert_ptr_null(eob_html(copy));
    json_object_object_add(path(copy, "totals"), "plan_paid",
                           json_object_new_double_s(139.001, "139.001"));
    ck_assert_ptr_null(eob_fhir(copy));
    json_object_put(copy);
    ck_assert_ptr_null(eob_fhir(NULL));
    ck_assert_ptr_null(eob_html(NULL));
    struct json_object *arr = json_object_new_array();
    ck_assert_ptr_null(eob_fhir(arr));
    ck_assert_ptr_null(eob_html(arr));
    json_object_put(arr);
    json_object_put(rec);
}
END_TEST

static Suite *eob_suite(void)
{
    Suite *s = suite_create("eob");
    TCase *tc = tcase_create("eob");
    tcase_set_timeout(tc, 120); /* the validators may be installed (npm ci) on first use */
    tcase_add_test(tc, test_approved_medical_claim_to_the_cent);
    tcase_add_test(tc, test_cob_secondary_claim_to_the_cent);
    tcase_add_test(tc, test_denied_late_pharmacy_claim);
    tcase_add_test(tc, test_cost_share_hitting_the_out_of_pocket_maximum);
    tcase_add_test(tc, test_html_escapes_every_value);
    tcase_add_test(tc, test_fhir_validates_with_independent_validators);
    tcase_add_test(tc, test_fhir_validator_rejects_an_invalid_resource);
    tcase_add_test(tc, test_pended_claim_has_no_eob);
    tcase_add_test(tc, test_amounts_that_do_not_add_up_are_refused);
    tcase_add_test(tc, test_standing_after_adds_the_deltas_and_needs_every_year);
    tcase_add_test(tc, test_html_escape);
    tcase_add_test(tc, test_json_writer_writes_strings_as_json_c_does);
    tcase_add_test(tc, test_malformed_records_render_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = test_run_suite(eob_suite(), CK_FORK_GETENV);
    cleanup_tmpdir();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
