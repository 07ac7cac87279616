/*
 * The EOB record as a FHIR R4 ExplanationOfBenefit in the shape of the CARIN
 * Blue Button (C4BB) profiles. docs/eob.md "FHIR" lists every element and how
 * the record's codes map to adjudication categories.
 *
 * The resource is self-contained: the patient, the subscriber (when another
 * member), the insurer, the provider or pharmacy and the coverage are
 * contained resources referenced as "#id", each reference also carrying its
 * business identifier where there is one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eob/eob.h"
#include "eob/eob_internal.h"
#include "json_values.h"

#define SYS_CLAIM_TYPE "http://terminology.hl7.org/CodeSystem/claim-type"
#define SYS_ADJUDICATION "http://terminology.hl7.org/CodeSystem/adjudication"
#define SYS_C4BB_ADJUDICATION "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication"
#define SYS_C4BB_DISCRIMINATOR                                                                     \
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudicationDiscriminator"
#define SYS_C4BB_PAYER_STATUS                                                                      \
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayerAdjudicationStatus"
#define SYS_C4BB_IDENTIFIER "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType"
#define SYS_C4BB_SUPPORTING "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType"
#define SYS_C4BB_CONTRACTING                                                                       \
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayerProviderContractingStatus"
#define SYS_CARC "https://x12.org/codes/claim-adjustment-reason-codes"
#define SYS_CPT "http://www.ama-assn.org/go/cpt"
#define SYS_NDC "http://hl7.org/fhir/sid/ndc"
#define SYS_NPI "http://hl7.org/fhir/sid/us-npi"
#define SYS_V2_0203 "http://terminology.hl7.org/CodeSystem/v2-0203"
#define SYS_PAYEE_TYPE "http://terminology.hl7.org/CodeSystem/payeetype"
#define SYS_PAYMENT_TYPE "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
#define SYS_ORG_TYPE "http://terminology.hl7.org/CodeSystem/organization-type"
#define SYS_RELATIONSHIP "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
#define SYS_COVERAGE_CLASS "http://terminology.hl7.org/CodeSystem/coverage-class"
#define SYS_BENEFIT_CATEGORY "http://terminology.hl7.org/CodeSystem/ex-benefitcategory"
#define SYS_BENEFIT_NETWORK "http://terminology.hl7.org/CodeSystem/benefit-network"
#define SYS_BENEFIT_UNIT "http://terminology.hl7.org/CodeSystem/benefit-unit"
#define SYS_BENEFIT_TERM "http://terminology.hl7.org/CodeSystem/benefit-term"
#define SYS_BENEFIT_TYPE "http://terminology.hl7.org/CodeSystem/benefit-type"
#define PROFILE_BASE "http://hl7.org/fhir/us/carin-bb/StructureDefinition/"

/* ---- Reading the record: any missing or mistyped field makes it unusable ---- */

struct ctx {
    bool bad; /* the record is not one eob_record_build() writes, or out of memory */
};

static struct json_object *need(struct ctx *c, const struct json_object *o, const char *key,
                                enum json_type type)
{
    return eob_need(&c->bad, o, key, type);
}

static const char *need_str(struct ctx *c, const struct json_object *o, const char *key)
{
    return eob_need_str(&c->bad, o, key);
}

static cents_t need_money(struct ctx *c, const struct json_object *o, const char *key)
{
    return eob_need_money(&c->bad, o, key);
}

/* ---- Writing FHIR ---- */

static struct json_object *put(struct ctx *c, struct json_object *o, const char *key,
                               struct json_object *v)
{
    if (!v || !o || json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        c->bad = true;
        return NULL;
    }
    return v;
}

static struct json_object *add(struct ctx *c, struct json_object *arr, struct json_object *v)
{
    if (!v || !arr || json_object_array_add(arr, v) != 0) {
        json_object_put(v);
        c->bad = true;
        return NULL;
    }
    return v;
}

static void put_str(struct ctx *c, struct json_object *o, const char *key, const char *s)
{
    put(c, o, key, json_object_new_string(s));
}

static struct json_object *obj(struct ctx *c, struct json_object *o, const char *key)
{
    return put(c, o, key, json_object_new_object());
}

static struct json_object *arr(struct ctx *c, struct json_object *o, const char *key)
{
    return put(c, o, key, json_object_new_array());
}

/* {"value": 12.50, "currency": "USD"}: the value's text is the amount's exact text. */
static void put_money(struct ctx *c, struct json_object *o, const char *key, cents_t amount)
{
    struct json_object *m = obj(c, o, key);
    put(c, m, "value", json_money(amount));
    put_str(c, m, "currency", "USD");
}

static struct json_object *coding(struct ctx *c, struct json_object *codings, const char *system,
                                  const char *code, const char *display)
{
    struct json_object *cd = add(c, codings, json_object_new_object());
    put_str(c, cd, "system", system);
    put_str(c, cd, "code", code);
    if (display)
        put_str(c, cd, "display", display);
    return cd;
}

/* A CodeableConcept with one coding (and text when given). */
static struct json_object *put_concept(struct ctx *c, struct json_object *o, const char *key,
                                       const char *system, const char *code, const char *display,
                                       const char *text)
{
    struct json_object *cc = obj(c, o, key);
    coding(c, arr(c, cc, "coding"), system, code, display);
    if (text)
        put_str(c, cc, "text", text);
    return cc;
}

static struct json_object *add_concept(struct ctx *c, struct json_object *list, const char *system,
                                       const char *code, const char *display)
{
    struct json_object *cc = add(c, list, json_object_new_object());
    coding(c, arr(c, cc, "coding"), system, code, display);
    return cc;
}

static void put_reference(struct ctx *c, struct json_object *o, const char *key, const char *ref,
                          const char *display)
{
    struct json_object *r = obj(c, o, key);
    put_str(c, r, "reference", ref);
    if (display)
        put_str(c, r, "display", display);
}

/* ---- Contained resources ---- */

static void member_identifier(struct ctx *c, struct json_object *list, const char *member_id)
{
    struct json_object *id = add(c, list, json_object_new_object());
    put_concept(c, id, "type", SYS_V2_0203, "MB", "Member Number", NULL);
    put_str(c, id, "value", member_id);
}

static void add_person(struct ctx *c, struct json_object *contained, const char *id,
                       const struct json_object *person)
{
    struct json_object *p = add(c, contained, json_object_new_object());
    put_str(c, p, "resourceType", "Patient");
    put_str(c, p, "id", id);
    member_identifier(c, arr(c, p, "identifier"), need_str(c, person, "member_id"));
    struct json_object *name = add(c, arr(c, p, "name"), json_object_new_object());
    put_str(c, name, "family", need_str(c, person, "last_name"));
    add(c, arr(c, name, "given"), json_object_new_string(need_str(c, person, "first_name")));
}

static void add_insurer(struct ctx *c, struct json_object *contained, const char *payer_name)
{
    struct json_object *o = add(c, contained, json_object_new_object());
    put_str(c, o, "resourceType", "Organization");
    put_str(c, o, "id", "insurer");
    put(c, o, "active", json_object_new_boolean(1));
    add_concept(c, arr(c, o, "type"), SYS_ORG_TYPE, "pay", "Payer");
    put_str(c, o, "name", payer_name);
}

static void npi_identifier(struct ctx *c, struct json_object *o, const char *key, const char *npi,
                           bool in_list)
{
    struct json_object *id =
        in_list ? add(c, arr(c, o, key), json_object_new_object()) : obj(c, o, key);
    put_concept(c, id, "type", SYS_V2_0203, "NPI", "National provider identifier", NULL);
    put_str(c, id, "system", SYS_NPI);
    put_str(c, id, "value", npi);
}

static void add_provider(struct ctx *c, struct json_object *contained,
                         const struct json_object *provider)
{
    struct json_object *o = add(c, contained, json_object_new_object());
    put_str(c, o, "resourceType", "Organization");
    put_str(c, o, "id", "provider");
    const char *npi = eob_get_str(provider, "npi");
    if (npi)
        npi_identifier(c, o, "identifier", npi, true);
    put(c, o, "active", json_object_new_boolean(1));
    add_concept(c, arr(c, o, "type"), SYS_ORG_TYPE, "prov", "Healthcare Provider");
    put_str(c, o, "name", need_str(c, provider, "name"));
}

static const char *relationship_code(const char *relationship)
{
    if (!strcmp(relationship, "employee"))
        return "self";
    if (!strcmp(relationship, "spouse") || !strcmp(relationship, "child"))
        return relationship;
    return "other"; /* grandchild: the code system has no closer code */
}

static void coverage_class(struct ctx *c, struct json_object *list, const char *type,
                           const char *display, const char *value, const char *name)
{
    struct json_object *cl = add(c, list, json_object_new_object());
    put_concept(c, cl, "type", SYS_COVERAGE_CLASS, type, display, NULL);
    put_str(c, cl, "value", value);
    put_str(c, cl, "name", name);
}

static void add_coverage(struct ctx *c, struct json_object *contained,
                         const struct json_object *rec, const char *subscriber_ref)
{
    const struct json_object *plan = need(c, rec, "plan", json_type_object);
    const struct json_object *subscriber = need(c, rec, "subscriber", json_type_object);
    const struct json_object *patient = need(c, rec, "patient", json_type_object);
    struct json_object *o = add(c, contained, json_object_new_object());
    put_str(c, o, "resourceType", "Coverage");
    put_str(c, o, "id", "coverage");
    put_str(c, o, "status", "active");
    put_reference(c, o, "subscriber", subscriber_ref, NULL);
    put_str(c, o, "subscriberId", need_str(c, subscriber, "member_id"));
    put_reference(c, o, "beneficiary", "#patient", NULL);
    put_concept(c, o, "relationship", SYS_RELATIONSHIP,
                relationship_code(need_str(c, patient, "relationship")), NULL, NULL);
    struct json_object *payor = add(c, arr(c, o, "payor"), json_object_new_object());
    put_str(c, payor, "reference", "#insurer");
    struct json_object *classes = arr(c, o, "class");
    coverage_class(c, classes, "group", "Group", need_str(c, plan, "group_id"),
                   need_str(c, plan, "group_name"));
    coverage_class(c, classes, "plan", "Plan", need_str(c, plan, "plan_id"),
                   need_str(c, plan, "name"));
}

/* ---- Adjudication ---- */

/* The adjudication category of an adjustment (docs/eob.md "How codes map"). */
static void adjustment_category(const char *group, const char *code, const char **system,
                                const char **cat)
{
    *system = SYS_C4BB_ADJUDICATION;
    if (!strcmp(code, "1")) {
        *system = SYS_ADJUDICATION;
        *cat = "deductible";
    } else if (!strcmp(code, "3")) {
        *system = SYS_ADJUDICATION;
        *cat = "copay";
    } else if (!strcmp(code, "2")) {
        *cat = "coinsurance";
    } else if (!strcmp(code, "23")) {
        *cat = "priorpayerpaid";
    } else if (!strcmp(code, "45") && !strcmp(group, "CO")) {
        *cat = "discount"; /* the provider's contractual write-off */
    } else {
        *cat = "noncovered";
    }
}

static struct json_object *add_amount(struct ctx *c, struct json_object *list, const char *system,
                                      const char *cat, cents_t amount)
{
    struct json_object *a = add(c, list, json_object_new_object());
    put_concept(c, a, "category", system, cat, NULL, NULL);
    put_money(c, a, "amount", amount);
    return a;
}

/* The CARC as a reason, "PR-1: <meaning>" as its text. */
static void put_carc_reason(struct ctx *c, struct json_object *o, const struct json_object *adj)
{
    const char *group = need_str(c, adj, "group"), *code = need_str(c, adj, "code");
    char text[1024];
    snprintf(text, sizeof text, "%s-%s: %s", group, code, need_str(c, adj, "meaning"));
    put_concept(c, o, "reason", SYS_CARC, code, need_str(c, adj, "wording"), text);
}

static void add_adjustment(struct ctx *c, struct json_object *list, const struct json_object *adj)
{
    const char *system, *cat;
    adjustment_category(need_str(c, adj, "group"), need_str(c, adj, "code"), &system, &cat);
    struct json_object *a = add(c, list, json_object_new_object());
    put_concept(c, a, "category", system, cat, NULL, NULL);
    put_carc_reason(c, a, adj);
    put_money(c, a, "amount", need_money(c, adj, "amount"));
}

/* The processNote number of a remark code: notes are the record's remarks in order, from 1. */
static int note_number(const struct json_object *remarks, const char *code)
{
    for (size_t i = 0; i < eob_array_len(remarks); i++) {
        const char *s = eob_get_str(eob_array_at(remarks, i), "code");
        if (s && !strcmp(s, code))
            return (int)i + 1;
    }
    return 0;
}

static void add_item(struct ctx *c, struct json_object *items, const struct json_object *line,
                     bool pharmacy, const char *paid_category, const struct json_object *remarks)
{
    int64_t seq = 0;
    if (!eob_get_int(line, "line", &seq) || seq < 1)
        c->bad = true;
    struct json_object *it = add(c, items, json_object_new_object());
    put(c, it, "sequence", json_object_new_int64(seq));
    struct json_object *notes = NULL;
    const struct json_object *line_remarks = need(c, line, "remarks", json_type_array);
    for (size_t k = 0; k < eob_array_len(line_remarks); k++) {
        int n = note_number(remarks, need_str(c, eob_array_at(line_remarks, k), "code"));
        if (n == 0) {
            c->bad = true; /* a line remark is always among the claim's remarks */
            continue;
        }
        if (!notes)
            notes = arr(c, it, "noteNumber");
        add(c, notes, json_object_new_int(n));
    }
    if (pharmacy) {
        struct json_object *ps =
            put_concept(c, it, "productOrService", SYS_NDC, need_str(c, line, "ndc"),
                        need_str(c, line, "drug_name"), NULL);
        put_str(c, ps, "text", need_str(c, line, "drug_name"));
    } else {
        const char *code = need_str(c, line, "procedure_code");
        put_concept(c, it, "productOrService", SYS_CPT, code, NULL, need_str(c, line, "service"));
        const struct json_object *mods = need(c, line, "modifiers", json_type_array);
        if (eob_array_len(mods)) {
            struct json_object *list = arr(c, it, "modifier");
            for (size_t m = 0; m < eob_array_len(mods); m++)
                add_concept(c, list, SYS_CPT, json_object_get_string(eob_array_at(mods, m)), NULL);
        }
    }
    put_str(c, it, "servicedDate", need_str(c, line, "service_date"));
    struct json_object *qty = obj(c, it, "quantity");
    const char *qkey = pharmacy ? "quantity" : "units";
    struct json_object *q = eob_get(line, qkey, json_type_int);
    if (!q)
        q = need(c, line, qkey, json_type_double);
    if (q) /* the number's text as written in the record */
        put(c, qty, "value",
            json_object_new_double_s(json_object_get_double(q), json_object_get_string(q)));

    struct json_object *adj = arr(c, it, "adjudication");
    add_amount(c, adj, SYS_ADJUDICATION, "submitted", need_money(c, line, "charge"));
    add_amount(c, adj, SYS_ADJUDICATION, "eligible", need_money(c, line, "allowed"));
    const struct json_object *adjs = need(c, line, "adjustments", json_type_array);
    for (size_t k = 0; k < eob_array_len(adjs); k++)
        add_adjustment(c, adj, eob_array_at(adjs, k));
    cents_t paid = need_money(c, line, "plan_paid");
    add_amount(c, adj, SYS_ADJUDICATION, "benefit", paid);
    add_amount(c, adj, SYS_C4BB_ADJUDICATION, paid_category, paid);
    add_amount(c, adj, SYS_C4BB_ADJUDICATION, "memberliability",
               need_money(c, line, "patient_responsibility"));
    struct json_object *status = add(c, adj, json_object_new_object());
    put_concept(c, status, "category", SYS_C4BB_DISCRIMINATOR, "benefitpaymentstatus", NULL, NULL);
    bool in_network = !strcmp(need_str(c, line, "network"), "in");
    put_concept(c, status, "reason", SYS_C4BB_PAYER_STATUS,
                in_network ? "innetwork" : "outofnetwork", NULL, NULL);
    bool denied = false;
    if (!eob_get_bool(line, "denied", &denied))
        c->bad = true;
    if (denied && eob_array_len(adjs) > 0) {
        /* The denial's code (the line's only adjustment, by the rules). */
        struct json_object *dr = add(c, adj, json_object_new_object());
        put_concept(c, dr, "category", SYS_C4BB_DISCRIMINATOR, "denialreason", NULL, NULL);
        put_carc_reason(c, dr, eob_array_at(adjs, 0));
    }
}

/* ---- Totals, payment, notes, balances ---- */

struct category_sum {
    const char *system, *cat;
    cents_t amount;
};

static void add_totals(struct ctx *c, struct json_object *eob, const struct json_object *totals,
                       const char *paid_category)
{
    struct json_object *list = arr(c, eob, "total");
    add_amount(c, list, SYS_ADJUDICATION, "submitted", need_money(c, totals, "charge"));
    add_amount(c, list, SYS_ADJUDICATION, "eligible", need_money(c, totals, "allowed"));
    /* The adjustments summed by category, in order of first appearance. */
    struct category_sum sums[16];
    size_t n = 0;
    const struct json_object *adjs = need(c, totals, "adjustments", json_type_array);
    for (size_t k = 0; k < eob_array_len(adjs); k++) {
        const struct json_object *a = eob_array_at(adjs, k);
        const char *system, *cat;
        adjustment_category(need_str(c, a, "group"), need_str(c, a, "code"), &system, &cat);
        size_t i = 0;
        while (i < n && strcmp(sums[i].cat, cat))
            i++;
        if (i == n) {
            if (n == sizeof sums / sizeof *sums) {
                c->bad = true;
                return;
            }
            sums[n++] = (struct category_sum){system, cat, 0};
        }
        sums[i].amount += need_money(c, a, "amount");
    }
    for (size_t i = 0; i < n; i++)
        add_amount(c, list, sums[i].system, sums[i].cat, sums[i].amount);
    cents_t paid = need_money(c, totals, "plan_paid");
    add_amount(c, list, SYS_ADJUDICATION, "benefit", paid);
    add_amount(c, list, SYS_C4BB_ADJUDICATION, paid_category, paid);
    add_amount(c, list, SYS_C4BB_ADJUDICATION, "memberliability",
               need_money(c, totals, "patient_responsibility"));
}

static void add_notes(struct ctx *c, struct json_object *eob, const struct json_object *remarks,
                      const struct json_object *appeal)
{
    struct json_object *notes = arr(c, eob, "processNote");
    size_t n = eob_array_len(remarks);
    for (size_t i = 0; i <= n; i++) {
        struct eob_buf text = {0};
        if (i < n) {
            const struct json_object *r = eob_array_at(remarks, i);
            eob_buf_addf(&text, "%s: %s %s", need_str(c, r, "code"), need_str(c, r, "wording"),
                         need_str(c, r, "meaning"));
        } else {
            int64_t days = 0;
            if (!eob_get_int(appeal, "days", &days))
                c->bad = true;
            eob_buf_addf(
                &text, "How to appeal: within %lld days of this statement, by %s. Write to: %s. %s",
                (long long)days, need_str(c, appeal, "deadline"), need_str(c, appeal, "address"),
                need_str(c, appeal, "instructions"));
            /* Records issued before decision_days existed lack it. */
            int64_t decision_days = 0;
            if (json_object_object_get_ex(appeal, "decision_days", NULL) &&
                eob_get_int(appeal, "decision_days", &decision_days))
                eob_buf_addf(&text, " We decide an appeal within %lld days of receiving it.",
                             (long long)decision_days);
        }
        char *s = eob_buf_finish(&text);
        if (!s) {
            c->bad = true;
            return;
        }
        struct json_object *note = add(c, notes, json_object_new_object());
        put(c, note, "number", json_object_new_int((int)i + 1));
        put_str(c, note, "type", "display");
        put_str(c, note, "text", s);
        free(s);
    }
}

static void add_financial(struct ctx *c, struct json_object *list, const char *type_code,
                          const char *type_text, const struct json_object *standing)
{
    struct json_object *f = add(c, list, json_object_new_object());
    struct json_object *type = obj(c, f, "type");
    if (type_code)
        coding(c, arr(c, type, "coding"), SYS_BENEFIT_TYPE, type_code, NULL);
    put_str(c, type, "text", type_text);
    put_money(c, f, "allowedMoney", need_money(c, standing, "limit"));
    put_money(c, f, "usedMoney", need_money(c, standing, "met"));
}

static void add_balances(struct ctx *c, struct json_object *eob, const struct json_object *acc)
{
    if (eob_array_len(acc) == 0)
        return;
    struct json_object *list = arr(c, eob, "benefitBalance");
    static const char *const units[] = {"individual", "family"};
    static const char *const tiers[] = {"in_network", "out_of_network"};
    static const char *const network_codes[] = {"in", "out"};
    for (size_t y = 0; y < eob_array_len(acc); y++) {
        const struct json_object *year = eob_array_at(acc, y);
        int64_t plan_year = 0;
        if (!eob_get_int(year, "plan_year", &plan_year))
            c->bad = true;
        for (int u = 0; u < 2; u++)
            for (int t = 0; t < 2; t++) {
                const struct json_object *tier =
                    need(c, need(c, year, units[u], json_type_object), tiers[t], json_type_object);
                struct json_object *b = add(c, list, json_object_new_object());
                put_concept(c, b, "category", SYS_BENEFIT_CATEGORY, "30",
                            "Health Benefit Plan Coverage", NULL);
                char name[64];
                snprintf(name, sizeof name, "Plan year %lld", (long long)plan_year);
                put_str(c, b, "name", name);
                put_concept(c, b, "network", SYS_BENEFIT_NETWORK, network_codes[t], NULL, NULL);
                put_concept(c, b, "unit", SYS_BENEFIT_UNIT, units[u], NULL, NULL);
                put_concept(c, b, "term", SYS_BENEFIT_TERM, "annual", NULL, NULL);
                struct json_object *fin = arr(c, b, "financial");
                add_financial(c, fin, "deductible", "Deductible",
                              need(c, tier, "deductible", json_type_object));
                add_financial(c, fin, NULL, "Out-of-pocket maximum",
                              need(c, tier, "out_of_pocket", json_type_object));
            }
    }
}

static void add_supporting_info(struct ctx *c, struct json_object *eob,
                                const struct json_object *rec, bool pharmacy)
{
    struct json_object *list = arr(c, eob, "supportingInfo");
    int seq = 1;
    struct json_object *si = add(c, list, json_object_new_object());
    put(c, si, "sequence", json_object_new_int(seq++));
    put_concept(c, si, "category", SYS_C4BB_SUPPORTING, "clmrecvddate", NULL, NULL);
    put_str(c, si, "timingDate", need_str(c, rec, "received_date"));

    const struct json_object *provider = need(c, rec, "provider", json_type_object);
    bool in_network = !strcmp(need_str(c, provider, "network"), "in");
    si = add(c, list, json_object_new_object());
    put(c, si, "sequence", json_object_new_int(seq++));
    put_concept(c, si, "category", SYS_C4BB_SUPPORTING, "billingnetworkcontractingstatus", NULL,
                NULL);
    put_concept(c, si, "code", SYS_C4BB_CONTRACTING, in_network ? "contracted" : "noncontracted",
                NULL, NULL);

    if (pharmacy) {
        const struct json_object *line = eob_array_at(need(c, rec, "lines", json_type_array), 0);
        int64_t days = 0;
        if (!eob_get_int(line, "days_supply", &days))
            c->bad = true;
        si = add(c, list, json_object_new_object());
        put(c, si, "sequence", json_object_new_int(seq++));
        put_concept(c, si, "category", SYS_C4BB_SUPPORTING, "dayssupply", NULL, NULL);
        struct json_object *v = obj(c, si, "valueQuantity");
        put(c, v, "value", json_object_new_int64(days));
    }
}

/* ---- The resource ---- */

/* What build reads first from the EOB record (c->bad when it is not usable). */
struct eob_parts {
    const char *claim_id, *outcome, *subscriber_ref, *paid_category, *payer_name;
    int64_t version;
    bool pharmacy, subscriber_is_patient, to_provider;
    const struct json_object *subscriber, *patient, *provider, *payee, *remarks;
};

/* Reads the record's identity, parties and outcome into p; sets c->bad
 * when a field is missing or out of range. */
static void read_parts(struct ctx *c, const struct json_object *rec, struct eob_parts *p)
{
    p->claim_id = need_str(c, rec, "claim_id");
    p->version = 0;
    if (!eob_get_int(rec, "version", &p->version) || p->version < 1)
        c->bad = true;
    const char *type = need_str(c, rec, "claim_type");
    p->pharmacy = !strcmp(type, "pharmacy");
    if (!p->pharmacy && strcmp(type, "medical"))
        c->bad = true;
    p->outcome = need_str(c, rec, "outcome");
    if (strcmp(p->outcome, "approved") && strcmp(p->outcome, "denied"))
        c->bad = true;
    p->subscriber = need(c, rec, "subscriber", json_type_object);
    p->patient = need(c, rec, "patient", json_type_object);
    p->provider = need(c, rec, "provider", json_type_object);
    p->payee = need(c, rec, "payee", json_type_object);
    p->remarks = need(c, rec, "remarks", json_type_array);
    p->subscriber_is_patient =
        !strcmp(need_str(c, p->subscriber, "member_id"), need_str(c, p->patient, "member_id"));
    p->subscriber_ref = p->subscriber_is_patient ? "#patient" : "#subscriber";
    p->to_provider = !strcmp(need_str(c, p->payee, "type"), "provider");
    p->paid_category = p->to_provider ? "paidtoprovider" : "paidtopatient";
}

/* resourceType, id, meta, the contained resources, identifier, status, type, use. */
static void add_head(struct ctx *c, struct json_object *eob, const struct json_object *rec,
                     struct eob_parts *p)
{
    put_str(c, eob, "resourceType", "ExplanationOfBenefit");
    char id[96];
    snprintf(id, sizeof id, "%s-v%lld", p->claim_id, (long long)p->version);
    put_str(c, eob, "id", id);
    struct json_object *meta = obj(c, eob, "meta");
    add(c, arr(c, meta, "profile"),
        json_object_new_string(p->pharmacy ? PROFILE_BASE "C4BB-ExplanationOfBenefit-Pharmacy"
                                           : PROFILE_BASE
                                   "C4BB-ExplanationOfBenefit-Professional-NonClinician"));

    struct json_object *contained = arr(c, eob, "contained");
    add_person(c, contained, "patient", p->patient);
    if (!p->subscriber_is_patient)
        add_person(c, contained, "subscriber", p->subscriber);
    p->payer_name = need_str(c, need(c, rec, "payer", json_type_object), "name");
    add_insurer(c, contained, p->payer_name);
    add_provider(c, contained, p->provider);
    add_coverage(c, contained, rec, p->subscriber_ref);

    struct json_object *ident = add(c, arr(c, eob, "identifier"), json_object_new_object());
    put_concept(c, ident, "type", SYS_C4BB_IDENTIFIER, "uc", "Unique Claim ID", NULL);
    put_str(c, ident, "value", p->claim_id);

    put_str(c, eob, "status", "active");
    put_concept(c, eob, "type", SYS_CLAIM_TYPE, p->pharmacy ? "pharmacy" : "professional",
                p->pharmacy ? "Pharmacy" : "Professional", NULL);
    put_str(c, eob, "use", "claim");
}

/* patient, billablePeriod, created, insurer, provider, payee, outcome, disposition. */
static void add_parties(struct ctx *c, struct json_object *eob, const struct json_object *rec,
                        const struct eob_parts *p)
{
    struct json_object *pref = obj(c, eob, "patient");
    put_str(c, pref, "reference", "#patient");
    struct json_object *pid = obj(c, pref, "identifier");
    put_concept(c, pid, "type", SYS_V2_0203, "MB", "Member Number", NULL);
    put_str(c, pid, "value", need_str(c, p->patient, "member_id"));

    const struct json_object *period = need(c, rec, "service_period", json_type_object);
    struct json_object *bp = obj(c, eob, "billablePeriod");
    put_str(c, bp, "start", need_str(c, period, "start"));
    put_str(c, bp, "end", need_str(c, period, "end"));
    put_str(c, eob, "created", need_str(c, rec, "statement_date"));
    put_reference(c, eob, "insurer", "#insurer", p->payer_name);

    struct json_object *prov = obj(c, eob, "provider");
    put_str(c, prov, "reference", "#provider");
    const char *npi = eob_get_str(p->provider, "npi");
    if (npi)
        npi_identifier(c, prov, "identifier", npi, false);
    put_str(c, prov, "display", need_str(c, p->provider, "name"));

    struct json_object *py = obj(c, eob, "payee");
    put_concept(c, py, "type", SYS_PAYEE_TYPE, p->to_provider ? "provider" : "subscriber",
                p->to_provider ? "Provider" : "Subscriber", NULL);
    put_reference(c, py, "party", p->to_provider ? "#provider" : p->subscriber_ref,
                  need_str(c, p->payee, "name"));

    put_str(c, eob, "outcome", "complete");
    put_str(c, eob, "disposition",
            !strcmp(p->outcome, "approved") ? "Claim approved: benefits determined as shown."
                                            : "Claim denied: no benefit is payable. See the "
                                              "codes for the reasons and how to appeal.");
}

/* insurance, item (one per line), total and payment. */
static void add_items_and_payment(struct ctx *c, struct json_object *eob,
                                  const struct json_object *rec, const struct eob_parts *p)
{
    struct json_object *ins = add(c, arr(c, eob, "insurance"), json_object_new_object());
    put(c, ins, "focal", json_object_new_boolean(1));
    put_reference(c, ins, "coverage", "#coverage", NULL);

    const struct json_object *lines = need(c, rec, "lines", json_type_array);
    if (eob_array_len(lines) == 0)
        c->bad = true;
    struct json_object *items = arr(c, eob, "item");
    for (size_t i = 0; i < eob_array_len(lines); i++)
        add_item(c, items, eob_array_at(lines, i), p->pharmacy, p->paid_category, p->remarks);

    const struct json_object *totals = need(c, rec, "totals", json_type_object);
    add_totals(c, eob, totals, p->paid_category);

    struct json_object *payment = obj(c, eob, "payment");
    put_concept(c, payment, "type", SYS_PAYMENT_TYPE, "complete", "Complete", NULL);
    put_money(c, payment, "amount", need_money(c, totals, "plan_paid"));
}

/* The FHIR ExplanationOfBenefit resource of the record, in eob (c->bad
 * when the record cannot be rendered). */
static void build(struct ctx *c, struct json_object *eob, const struct json_object *rec)
{
    struct eob_parts p;
    read_parts(c, rec, &p);
    if (c->bad)
        return;
    add_head(c, eob, rec, &p);
    add_parties(c, eob, rec, &p);
    add_supporting_info(c, eob, rec, p.pharmacy);
    add_items_and_payment(c, eob, rec, &p);
    add_notes(c, eob, p.remarks, need(c, rec, "appeal", json_type_object));
    add_balances(c, eob, need(c, rec, "accumulators", json_type_array));
}

struct json_object *eob_fhir(const struct json_object *record)
{
    if (!record || !json_object_is_type(record, json_type_object))
        return NULL;
    struct ctx c = {false};
    struct json_object *eob = json_object_new_object();
    if (!eob)
        return NULL;
    build(&c, eob, record);
    if (c.bad) {
        json_object_put(eob);
        return NULL;
    }
    return eob;
}
