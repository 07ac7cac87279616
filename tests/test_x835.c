/*
 * The 835 generator (eob/x835.c), pure: decisions of the real rules (the
 * fixtures of tests/adj_fixtures.h) become 835 text, which is split back
 * into segments here and checked to the cent: each claim's CLP03 − CLP04
 * equals the sum of its CAS (claim and lines), each line's SVC02 − SVC03
 * the sum of its CAS, BPR02 the sum of CLP04; the control segments count
 * what they enclose. No I/O.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adj_fixtures.h"
#include "adjudicate/decision_json.h"
#include "eob/x835.h"
#include "harness/harness.h"

static struct fx X;

static const struct eob_x835_payer PAYER = {
    "CLAIMS OFFICE", "1123456789", "PO BOX 1", "TALLAHASSEE", "FL", "32301", "8005550100"};

/* ---- the 835 split back ---- */

#define MAX_SEGS 400
#define MAX_ELS 32

struct seg {
    char *el[MAX_ELS]; /* el[0] the segment id */
    int n;
};

struct parsed {
    char *text;
    struct seg s[MAX_SEGS];
    int n;
};

static void parse(struct parsed *p, const char *edi)
{
    memset(p, 0, sizeof *p);
    p->text = strdup(edi);
    char *save = NULL;
    for (char *t = strtok_r(p->text, "~\n", &save); t; t = strtok_r(NULL, "~\n", &save)) {
        ck_assert_int_lt(p->n, MAX_SEGS);
        struct seg *s = &p->s[p->n++];
        char *q = t;
        while (q) {
            ck_assert_int_lt(s->n, MAX_ELS);
            s->el[s->n++] = q;
            q = strchr(q, '*');
            if (q)
                *q++ = '\0';
        }
    }
}

static const char *el(const struct seg *s, int i)
{
    return i < s->n ? s->el[i] : "";
}

/* An X12 decimal to cents; the test fails on anything else. */
static cents_t cents(const char *t)
{
    cents_t sign = 1, whole = 0, frac = 0;
    if (*t == '-') {
        sign = -1;
        t++;
    }
    ck_assert_msg(*t >= '0' && *t <= '9', "not an amount: %s", t);
    for (; *t >= '0' && *t <= '9'; t++)
        whole = whole * 10 + (*t - '0');
    if (*t == '.') {
        t++;
        int d = 0;
        for (; *t >= '0' && *t <= '9'; t++, d++)
            frac = frac * 10 + (*t - '0');
        ck_assert_msg(d == 1 || d == 2, "bad decimals");
        if (d == 1)
            frac *= 10;
        ck_assert_msg(frac % 10 != 0 || d == 0, "a trailing zero");
    }
    ck_assert_msg(*t == '\0', "not an amount");
    return sign * (whole * 100 + frac);
}

/* The sum of a CAS segment's amounts (elements 3, 6, 9, …). */
static cents_t cas_sum(const struct seg *s)
{
    cents_t sum = 0;
    for (int i = 3; i < s->n; i += 3)
        sum += cents(el(s, i));
    return sum;
}

struct totals {
    int claims, lines, cas_segments;
    cents_t bpr, clp04_sum;
};

/* Checks every balancing equation and the envelope counts; returns the
 * totals for the caller's exact checks. */
static struct totals check_balanced(const struct parsed *p)
{
    struct totals t = {0};
    ck_assert_str_eq(el(&p->s[0], 0), "ISA");
    ck_assert_int_eq(p->s[0].n, 17);
    ck_assert_str_eq(el(&p->s[1], 0), "GS");
    int st_at = -1, n_st = 0;
    cents_t clp_diff = 0, clp_cas = 0, svc_diff = 0, svc_cas = 0;
    bool in_svc = false, in_clp = false;
    for (int i = 2; i < p->n; i++) {
        const struct seg *s = &p->s[i];
        const char *id = el(s, 0);
        if (strcmp(id, "ST") == 0) {
            st_at = i;
            n_st++;
            t.clp04_sum = 0;
        } else if (strcmp(id, "BPR") == 0) {
            t.bpr = cents(el(s, 2));
            ck_assert_str_eq(el(s, 1), t.bpr > 0 ? "I" : "H");
            ck_assert_int_eq(s->n, 17);
        } else if (strcmp(id, "CLP") == 0 || strcmp(id, "SE") == 0) {
            if (in_svc)
                ck_assert_int_eq(svc_diff, svc_cas);
            if (in_clp)
                ck_assert_int_eq(clp_diff, clp_cas);
            in_svc = false;
            in_clp = strcmp(id, "CLP") == 0;
            if (in_clp) {
                t.claims++;
                clp_diff = cents(el(s, 3)) - cents(el(s, 4));
                clp_cas = 0;
                t.clp04_sum += cents(el(s, 4));
            } else {
                /* SE01 counts ST through SE. */
                ck_assert_int_eq(atoi(el(s, 1)), i - st_at + 1);
                ck_assert_str_eq(el(s, 2), el(&p->s[st_at], 2));
                ck_assert_int_eq(t.bpr, t.clp04_sum); /* no PLB */
            }
        } else if (strcmp(id, "SVC") == 0) {
            if (in_svc)
                ck_assert_int_eq(svc_diff, svc_cas);
            in_svc = true;
            t.lines++;
            svc_diff = cents(el(s, 2)) - cents(el(s, 3));
            svc_cas = 0;
        } else if (strcmp(id, "CAS") == 0) {
            t.cas_segments++;
            ck_assert_int_le(s->n, 2 + 6 * 3);
            cents_t sum = cas_sum(s);
            clp_cas += sum;
            if (in_svc)
                svc_cas += sum;
        } else if (strcmp(id, "GE") == 0) {
            ck_assert_int_eq(atoi(el(s, 1)), n_st);
            ck_assert_str_eq(el(s, 2), el(&p->s[1], 6));
        } else if (strcmp(id, "IEA") == 0) {
            ck_assert_str_eq(el(s, 1), "1");
            ck_assert_str_eq(el(s, 2), el(&p->s[0], 13));
            ck_assert_int_eq(i, p->n - 1);
        }
    }
    return t;
}

/* ---- claims ---- */

/* The claim as read back: the fixture's claim as a submission and its
 * decision from the real rules. */
static struct json_object *claim_view(const char *id, const char *pcn, const char *mods_line0)
{
    struct json_object *sub = json_object_new_object();
    json_object_object_add(sub, "type", json_object_new_string("medical"));
    json_object_object_add(sub, "member_id", json_object_new_string(X.claim.member_id));
    if (pcn)
        json_object_object_add(sub, "patient_control_number", json_object_new_string(pcn));
    struct json_object *pat = json_object_new_object();
    json_object_object_add(pat, "first_name", json_object_new_string(X.claim.patient.first_name));
    json_object_object_add(pat, "last_name", json_object_new_string(X.claim.patient.last_name));
    json_object_object_add(sub, "patient", pat);
    struct json_object *prov = json_object_new_object();
    json_object_object_add(prov, "npi", json_object_new_string(X.claim.provider.npi));
    json_object_object_add(prov, "name", json_object_new_string(X.claim.provider.name));
    json_object_object_add(sub, "provider", prov);
    struct json_object *lines = json_object_new_array();
    for (int i = 0; i < X.claim.n_lines; i++) {
        struct json_object *l = json_object_new_object();
        char date[DATE_STRLEN];
        json_object_object_add(
            l, "service_date",
            json_object_new_string(date_format(X.claim.lines[i].service_date, date)));
        json_object_object_add(l, "procedure_code",
                               json_object_new_string(X.claim.lines[i].procedure_code));
        struct json_object *mods = json_object_new_array();
        if (i == 0 && mods_line0)
            for (const char *m = mods_line0; *m; m += 2) {
                char two[3] = {m[0], m[1], '\0'};
                json_object_array_add(mods, json_object_new_string(two));
            }
        json_object_object_add(l, "modifiers", mods);
        json_object_object_add(l, "units", json_object_new_int(X.claim.lines[i].units));
        json_object_object_add(l, "charge", json_money(X.claim.lines[i].charge));
        json_object_array_add(lines, l);
    }
    json_object_object_add(sub, "lines", lines);
    struct json_object *v = json_object_new_object();
    json_object_object_add(v, "claim_id", json_object_new_string(id));
    json_object_object_add(v, "submitted", sub);
    json_object_object_add(v, "decision", adj_decision_to_json(&X.out));
    return v;
}

static char *build(struct json_object **claims, size_t n)
{
    struct eob_x835_payment pay = {"20261202-1-1234567893", "2026-12-02", "1234567893", claims, n};
    struct eob_x835_interchange ix = {&PAYER, "1234567893", 1, "2026-12-02T18:00:05Z", &pay, 1};
    char err[EOB_X835_ERR_LEN];
    char *text = eob_x835_build(&ix, err);
    ck_assert_msg(text != NULL, "%s", err);
    return text;
}

/* The index of the n-th (0-based) segment with this id, -1 when none. */
static int find(const struct parsed *p, const char *id, int nth)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(el(&p->s[i], 0), id) == 0 && nth-- == 0)
            return i;
    return -1;
}

START_TEST(test_amounts_are_x12_decimals)
{
    char b[EOB_X835_AMOUNT_LEN];
    ck_assert_str_eq(eob_x835_amount(15000, b), "150");
    ck_assert_str_eq(eob_x835_amount(15050, b), "150.5");
    ck_assert_str_eq(eob_x835_amount(15025, b), "150.25");
    ck_assert_str_eq(eob_x835_amount(25, b), "0.25");
    ck_assert_str_eq(eob_x835_amount(1, b), "0.01");
    ck_assert_str_eq(eob_x835_amount(0, b), "0");
    ck_assert_str_eq(eob_x835_amount(-300, b), "-3");
    ck_assert_str_eq(eob_x835_amount(999999999, b), "9999999.99");
}
END_TEST

/* In network, deductible unmet: 99213 at $150 (fee $100, copay $25) and
 * 80053 at $40 (fee $20, to the deductible). */
START_TEST(test_in_network_claim_balances_and_echoes_the_lines)
{
    fx_init(&X);
    fx_line(&X, "2026-11-20", "99213", 1, USD(150));
    fx_line(&X, "2026-11-20", "80053", 2, USD(40));
    fx_run(&X, "2026-11-25");
    ck_assert_int_eq(X.out.outcome, ADJ_APPROVED);
    struct json_object *c = claim_view("11111111-1111-4111-8111-111111111111", NULL, "25");
    char *text = build(&c, 1);
    struct parsed p;
    parse(&p, text);
    struct totals t = check_balanced(&p);
    ck_assert_int_eq(t.claims, 1);
    ck_assert_int_eq(t.lines, 2);
    ck_assert_int_eq(t.bpr, X.out.total_plan_paid);
    const struct seg *clp = &p.s[find(&p, "CLP", 0)];
    ck_assert_str_eq(el(clp, 1), "11111111-1111-4111-8111-111111111111"); /* no PCN: the id */
    ck_assert_str_eq(el(clp, 2), "1");
    ck_assert_int_eq(cents(el(clp, 3)), USD(190));
    ck_assert_int_eq(cents(el(clp, 4)), X.out.total_plan_paid);
    ck_assert_int_eq(cents(el(clp, 5)), X.out.total_patient_responsibility);
    ck_assert_str_eq(el(clp, 6), "CI");
    ck_assert_str_eq(el(clp, 7), "11111111-1111-4111-8111-111111111111");
    const struct seg *svc = &p.s[find(&p, "SVC", 0)];
    ck_assert_str_eq(el(svc, 1), "HC:99213:25");
    ck_assert_str_eq(el(svc, 2), "150");
    ck_assert_int_eq(cents(el(svc, 3)), X.out.lines[0].plan_paid);
    ck_assert_str_eq(el(svc, 5), "1");
    const struct seg *svc2 = &p.s[find(&p, "SVC", 1)];
    ck_assert_str_eq(el(svc2, 1), "HC:80053");
    ck_assert_str_eq(el(svc2, 5), "2");
    ck_assert_str_eq(el(&p.s[find(&p, "DTM", 1)], 1), "472");
    ck_assert_str_eq(el(&p.s[find(&p, "DTM", 1)], 2), "20261120");
    ck_assert_int_eq(cents(el(&p.s[find(&p, "AMT", 0)], 2)), X.out.lines[0].allowed);
    const struct seg *nm1 = &p.s[find(&p, "NM1", 0)];
    ck_assert_str_eq(el(nm1, 1), "QC");
    ck_assert_str_eq(el(nm1, 3), "Lopez");
    ck_assert_str_eq(el(nm1, 4), "Ana");
    ck_assert_str_eq(el(nm1, 9), "M1001");
    const struct seg *pe = &p.s[find(&p, "N1", 1)];
    ck_assert_str_eq(el(pe, 1), "PE");
    ck_assert_str_eq(el(pe, 2), "Bay Clinic");
    ck_assert_str_eq(el(pe, 4), "1234567893");
    ck_assert_str_eq(el(&p.s[find(&p, "TRN", 0)], 2), "20261202-1-1234567893");
    ck_assert_str_eq(el(&p.s[find(&p, "TRN", 0)], 3), "1123456789");
    ck_assert_str_eq(el(&p.s[find(&p, "ST", 0)], 3), "005010X221A1");
    ck_assert_str_eq(el(&p.s[1], 8), "005010X221A1");
    free(p.text);
    free(text);
    json_object_put(c);
}
END_TEST

/* The exact text of a small claim: every segment, in order. */
START_TEST(test_exact_segments_of_a_copay_claim)
{
    fx_init(&X);
    fx_year(&X, 2026)->individual[NETWORK_IN].deductible_met = USD(500);
    fx_year(&X, 2026)->family[NETWORK_IN].deductible_met = USD(1000);
    fx_line(&X, "2026-11-20", "99213", 1, USD(150));
    fx_run(&X, "2026-11-25");
    struct json_object *c = claim_view("11111111-1111-4111-8111-111111111111", "PCN-0042", NULL);
    char *text = build(&c, 1);
    const char *want = "ISA*00*          *00*          *ZZ*1123456789     *ZZ*1234567893     "
                       "*261202*1800*^*00501*000000001*0*P*:~\n"
                       "GS*HP*1123456789*1234567893*20261202*1800*1*X*005010X221A1~\n"
                       "ST*835*0001*005010X221A1~\n"
                       "BPR*I*75*C*CHK************20261202~\n"
                       "TRN*1*20261202-1-1234567893*1123456789~\n"
                       "DTM*405*20261202~\n"
                       "N1*PR*CLAIMS OFFICE~\n"
                       "N3*PO BOX 1~\n"
                       "N4*TALLAHASSEE*FL*32301~\n"
                       "PER*BL*CLAIMS OFFICE*TE*8005550100~\n"
                       "N1*PE*Bay Clinic*XX*1234567893~\n"
                       "LX*1~\n"
                       "CLP*PCN-0042*1*150*75*25*CI*11111111-1111-4111-8111-111111111111~\n"
                       "NM1*QC*1*Lopez*Ana****MI*M1001~\n"
                       "SVC*HC:99213*150*75**1~\n"
                       "DTM*472*20261120~\n"
                       "CAS*CO*45*50~\n"
                       "CAS*PR*3*25~\n"
                       "REF*6R*1~\n"
                       "AMT*B6*100~\n"
                       "SE*19*0001~\n"
                       "GE*1*1~\n"
                       "IEA*1*000000001~\n";
    ck_assert_str_eq(text, want);
    free(text);
    json_object_put(c);
}
END_TEST

/* Several claims: out of network, denied (identity), a dependent. */
START_TEST(test_several_claims_balance_and_bpr_is_their_sum)
{
    struct json_object *c[3];
    cents_t paid = 0;
    fx_init(&X);
    X.claim.provider.network = NETWORK_OUT;
    X.claim.assignment_of_benefits = true;
    fx_line(&X, "2026-11-20", "99214", 1, USD(300));
    fx_line(&X, "2026-11-21", "99213", 1, USD(150));
    fx_run(&X, "2026-11-25");
    paid += X.out.total_plan_paid;
    c[0] = claim_view("11111111-1111-4111-8111-111111111111", NULL, "25GT");
    fx_init(&X);
    strcpy(X.claim.patient.first_name, "Someone");
    fx_line(&X, "2026-11-20", "99213", 1, USD(150));
    fx_run(&X, "2026-11-25");
    ck_assert_int_eq(X.out.outcome, ADJ_DENIED);
    c[1] = claim_view("22222222-2222-4222-8222-222222222222", NULL, NULL);
    fx_init(&X);
    fx_year(&X, 2026)->individual[NETWORK_IN].deductible_met = USD(400);
    fx_year(&X, 2026)->family[NETWORK_IN].deductible_met = USD(400);
    fx_line(&X, "2026-11-20", "99214", 1, USD(400));
    fx_run(&X, "2026-11-25");
    paid += X.out.total_plan_paid;
    c[2] = claim_view("33333333-3333-4333-8333-333333333333", NULL, NULL);
    char *text = build(c, 3);
    struct parsed p;
    parse(&p, text);
    struct totals t = check_balanced(&p);
    ck_assert_int_eq(t.claims, 3);
    ck_assert_int_eq(t.lines, 4);
    ck_assert_int_eq(t.bpr, paid);
    ck_assert_int_gt(paid, 0);
    ck_assert_str_eq(el(&p.s[find(&p, "CLP", 1)], 2), "4"); /* denied */
    ck_assert_str_eq(el(&p.s[find(&p, "CLP", 1)], 4), "0");
    ck_assert_str_eq(el(&p.s[find(&p, "SVC", 0)], 1), "HC:99214:25:GT");
    free(p.text);
    free(text);
    for (int i = 0; i < 3; i++)
        json_object_put(c[i]);
}
END_TEST

/* A payment of nothing: BPR*H, no check. */
START_TEST(test_nothing_paid_is_a_notification)
{
    fx_init(&X);
    strcpy(X.claim.patient.first_name, "Someone");
    fx_line(&X, "2026-11-20", "99213", 1, USD(150));
    fx_run(&X, "2026-11-25");
    struct json_object *c = claim_view("22222222-2222-4222-8222-222222222222", NULL, NULL);
    char *text = build(&c, 1);
    struct parsed p;
    parse(&p, text);
    struct totals t = check_balanced(&p);
    ck_assert_int_eq(t.bpr, 0);
    ck_assert_str_eq(el(&p.s[find(&p, "BPR", 0)], 4), "NON");
    free(p.text);
    free(text);
    json_object_put(c);
}
END_TEST

/* More than six reasons of one group: a second CAS segment; a claim-level
 * amount the lines do not carry goes on a claim CAS. */
START_TEST(test_cas_holds_six_reasons_and_claim_level_remainders)
{
    const char *dec =
        "{\"outcome\":\"approved\",\"cob_position\":\"secondary\",\"total_charge\":100.00,"
        "\"allowed\":100.00,\"plan_paid\":30.00,\"patient_responsibility\":0.00,\"payee\":"
        "\"provider\","
        "\"codes\":[{\"group\":\"OA\",\"carc\":\"1\",\"amount\":1.00},{\"group\":\"OA\",\"carc\":"
        "\"2\",\"amount\":2.00},"
        "{\"group\":\"OA\",\"carc\":\"3\",\"amount\":3.00},{\"group\":\"OA\",\"carc\":\"4\","
        "\"amount\":4.00},"
        "{\"group\":\"OA\",\"carc\":\"5\",\"amount\":5.00},{\"group\":\"OA\",\"carc\":\"6\","
        "\"amount\":6.00},"
        "{\"group\":\"OA\",\"carc\":\"7\",\"amount\":7.00},{\"group\":\"OA\",\"carc\":\"23\","
        "\"amount\":24.00}],"
        "\"remarks\":[\"N130\",\"MA01\"],\"lines\":[{\"line\":1,\"service_date\":\"2026-11-20\","
        "\"denied\":false,"
        "\"charge\":100.00,\"allowed\":100.00,\"plan_paid\":30.00,\"patient_responsibility\":0.00,"
        "\"codes\":[{\"group\":\"OA\",\"carc\":\"1\",\"amount\":1.00},{\"group\":\"OA\",\"carc\":"
        "\"2\",\"amount\":2.00},"
        "{\"group\":\"OA\",\"carc\":\"3\",\"amount\":3.00},{\"group\":\"OA\",\"carc\":\"4\","
        "\"amount\":4.00},"
        "{\"group\":\"OA\",\"carc\":\"5\",\"amount\":5.00},{\"group\":\"OA\",\"carc\":\"6\","
        "\"amount\":6.00},"
        "{\"group\":\"OA\",\"carc\":\"7\",\"amount\":7.00},{\"group\":\"OA\",\"carc\":\"23\","
        "\"amount\":42.00}],"
        "\"remarks\":[\"N130\"]}]}";
    /* The line balances (100 − 30 = 70 of CAS); the claim's codes say 18 less
     * OA-23 than its line: a claim-level CAS of −18 carries the difference. */
    const char *sub =
        "{\"member_id\":\"M1001\",\"patient\":{\"first_name\":\"A*n~a\",\"last_name\":\"L:o^pez\"},"
        "\"provider\":{\"npi\":\"1234567893\",\"name\":\"Bay\"},\"lines\":[{\"service_date\":"
        "\"2026-11-20\",\"procedure_code\":\"99213\",\"modifiers\":[],\"units\":1,\"charge\":100."
        "00}]}";
    struct json_object *c = json_object_new_object();
    json_object_object_add(c, "claim_id",
                           json_object_new_string("44444444-4444-4444-8444-444444444444"));
    json_object_object_add(c, "submitted", json_tokener_parse(sub));
    json_object_object_add(c, "decision", json_tokener_parse(dec));
    char *text = build(&c, 1);
    struct parsed p;
    parse(&p, text);
    /* The claim-level CAS is the decision's codes less the lines': OA-23 −18. */
    int claim_cas = find(&p, "CAS", 0);
    ck_assert_str_eq(el(&p.s[claim_cas], 1), "OA");
    ck_assert_str_eq(el(&p.s[claim_cas], 2), "23");
    ck_assert_str_eq(el(&p.s[claim_cas], 3), "-18");
    ck_assert_int_eq(p.s[claim_cas].n, 4);
    /* The line's eight reasons: six, then two. */
    const struct seg *a = &p.s[find(&p, "CAS", 1)], *b = &p.s[find(&p, "CAS", 2)];
    ck_assert_int_eq(a->n, 2 + 6 * 3 - 1);
    ck_assert_str_eq(el(a, 17), "6");
    ck_assert_int_eq(b->n, 2 + 2 * 3 - 1);
    ck_assert_str_eq(el(b, 2), "7");
    ck_assert_str_eq(el(b, 5), "23");
    ck_assert_str_eq(el(b, 6), "42");
    ck_assert_str_eq(el(&p.s[find(&p, "CLP", 0)], 2), "2"); /* secondary */
    /* Delimiters in names become spaces. */
    ck_assert_str_eq(el(&p.s[find(&p, "NM1", 0)], 3), "L o pez");
    ck_assert_str_eq(el(&p.s[find(&p, "NM1", 0)], 4), "A n a");
    /* N130 is on the line (LQ); MA01 only on the claim (MOA). */
    ck_assert_str_eq(el(&p.s[find(&p, "LQ", 0)], 2), "N130");
    ck_assert_int_eq(find(&p, "LQ", 1), -1);
    ck_assert_str_eq(el(&p.s[find(&p, "MOA", 0)], 3), "MA01");
    free(p.text);
    free(text);
    json_object_put(c);
}
END_TEST

START_TEST(test_a_claim_not_final_is_refused_by_id)
{
    struct json_object *c = json_tokener_parse(
        "{\"claim_id\":\"55555555-5555-4555-8555-555555555555\",\"submitted\":{\"lines\":[]},"
        "\"decision\":{\"outcome\":\"pended\",\"total_charge\":1,\"plan_paid\":0,"
        "\"patient_responsibility\":0,\"lines\":[]}}");
    struct eob_x835_payment pay = {"t", "2026-12-02", "1234567893", &c, 1};
    struct eob_x835_interchange ix = {&PAYER, "1234567893", 7, "2026-12-02T18:00:05Z", &pay, 1};
    char err[EOB_X835_ERR_LEN];
    ck_assert_ptr_null(eob_x835_build(&ix, err));
    ck_assert_str_eq(err, "claim 55555555-5555-4555-8555-555555555555 is not final");
    json_object_put(c);
}
END_TEST

START_TEST(test_claim_status_and_patient_control_number)
{
    struct json_object *d =
        json_tokener_parse("{\"outcome\":\"approved\",\"cob_position\":\"primary\"}");
    ck_assert_str_eq(eob_x835_claim_status(d), "1");
    json_object_put(d);
    d = json_tokener_parse("{\"outcome\":\"approved\",\"cob_position\":\"secondary\"}");
    ck_assert_str_eq(eob_x835_claim_status(d), "2");
    json_object_put(d);
    d = json_tokener_parse("{\"outcome\":\"denied\",\"cob_position\":\"secondary\"}");
    ck_assert_str_eq(eob_x835_claim_status(d), "4");
    json_object_put(d);
    struct json_object *c = json_tokener_parse(
        "{\"claim_id\":\"x\",\"submitted\":{\"patient_control_number\":\"PCN1\"}}");
    ck_assert_str_eq(eob_x835_patient_control_number(c), "PCN1");
    json_object_put(c);
    c = json_tokener_parse("{\"claim_id\":\"x\",\"submitted\":{}}");
    ck_assert_str_eq(eob_x835_patient_control_number(c), "x");
    json_object_put(c);
}
END_TEST

static Suite *x835_suite(void)
{
    Suite *s = suite_create("x835");
    TCase *tc = tcase_create("x835");
    tcase_add_test(tc, test_amounts_are_x12_decimals);
    tcase_add_test(tc, test_in_network_claim_balances_and_echoes_the_lines);
    tcase_add_test(tc, test_exact_segments_of_a_copay_claim);
    tcase_add_test(tc, test_several_claims_balance_and_bpr_is_their_sum);
    tcase_add_test(tc, test_nothing_paid_is_a_notification);
    tcase_add_test(tc, test_cas_holds_six_reasons_and_claim_level_remainders);
    tcase_add_test(tc, test_a_claim_not_final_is_refused_by_id);
    tcase_add_test(tc, test_claim_status_and_patient_control_number);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(x835_suite(), CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
