/*
 * The EOB record (eob.h, docs/eob.md "The record"): the decision and the
 * facts it was made from, with every code's wording and plain-language
 * meaning written into the record, so that a stored EOB reads the same after
 * the code table changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eob/eob.h"
#include "eob/eob_internal.h"
#include "json_values.h"
#include "json_writer.h"

/* ---- Standing ---- */

static struct eob_amount_standing standing_of(cents_t limit, cents_t met)
{
    return (struct eob_amount_standing){limit, met, money_max(0, limit - met)};
}

int eob_standing_after(const struct plan *plan, const struct claim *claim,
                       const struct adj_year_accumulators *before, int n_before,
                       const struct adj_decision *decision, struct eob_year_standing *out, int max)
{
    if (!plan || !claim || !decision || !out || (n_before > 0 && !before) || max < 0)
        return -1;
    int years[ADJ_MAX_PLAN_YEARS];
    int n_years = adj_claim_plan_years(claim, years);
    int n = 0;
    for (int y = 0; y < n_years && n < max; y++) {
        const struct adj_year_accumulators *acc = NULL;
        for (int i = 0; i < n_before; i++)
            if (before[i].year == years[y])
                acc = &before[i];
        if (!acc)
            return -1;
        struct eob_year_standing *s = &out[n++];
        memset(s, 0, sizeof *s);
        s->year = years[y];
        for (int net = NETWORK_IN; net <= NETWORK_OUT; net++) {
            struct adj_tier_totals ind = acc->individual[net], fam = acc->family[net];
            for (int d = 0; d < decision->n_deltas; d++) {
                const struct adj_accumulator_delta *delta = &decision->deltas[d];
                if (delta->year != years[y] || (int)delta->network != net)
                    continue;
                ind.deductible_met += delta->deductible;
                ind.oop_met += delta->oop;
                fam.deductible_met += delta->deductible;
                fam.oop_met += delta->oop;
            }
            const struct tier_terms *t =
                net == NETWORK_IN ? &plan->in_network : &plan->out_of_network;
            s->individual[net].deductible =
                standing_of(t->deductible_individual, ind.deductible_met);
            s->individual[net].out_of_pocket = standing_of(t->oop_max_individual, ind.oop_met);
            s->family[net].deductible = standing_of(t->deductible_family, fam.deductible_met);
            s->family[net].out_of_pocket = standing_of(t->oop_max_family, fam.oop_met);
        }
    }
    return n;
}

/* ---- Checks: an EOB adds up to the cent or is not written ---- */

static bool id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= CLAIM_ID_LEN) /* a FHIR id with "-v<version>" stays within 64 */
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '.'))
            return false;
    }
    return true;
}

static int claim_line_count(const struct claim *c)
{
    return c->type == CLAIM_PHARMACY ? 1 : c->n_lines;
}

static bool decision_adds_up(const struct adj_decision *d)
{
    cents_t charge = 0, allowed = 0, paid = 0, patient = 0;
    struct adj_adjustment codes[ADJ_MAX_CODES];
    int n_codes = 0;
    for (int i = 0; i < d->n_lines; i++) {
        const struct adj_line *l = &d->lines[i];
        if (l->n_adjustments < 0 || l->n_adjustments > ADJ_MAX_ADJUSTMENTS || l->n_remarks < 0 ||
            l->n_remarks > ADJ_MAX_REMARKS)
            return false;
        cents_t adjusted = 0, pr = 0;
        for (int k = 0; k < l->n_adjustments; k++) {
            const struct adj_adjustment *a = &l->adjustments[k];
            if (!adj_carc_lookup(a->carc) || (unsigned)a->group > ADJ_GROUP_PI)
                return false;
            adjusted += a->amount;
            if (a->group == ADJ_GROUP_PR)
                pr += a->amount;
            int c = 0;
            while (c < n_codes && !(codes[c].group == a->group && !strcmp(codes[c].carc, a->carc)))
                c++;
            if (c == n_codes) {
                if (n_codes == ADJ_MAX_CODES)
                    return false;
                codes[n_codes++] = (struct adj_adjustment){a->group, "", 0};
                strcpy(codes[c].carc, a->carc);
            }
            codes[c].amount += a->amount;
        }
        for (int k = 0; k < l->n_remarks; k++)
            if (!adj_rarc_lookup(l->remarks[k]))
                return false;
        if (l->charge != l->plan_paid + adjusted || l->patient_responsibility != pr)
            return false;
        charge += l->charge;
        allowed += l->allowed;
        paid += l->plan_paid;
        patient += l->patient_responsibility;
    }
    if (charge != d->total_charge || allowed != d->total_allowed || paid != d->total_plan_paid ||
        patient != d->total_patient_responsibility || n_codes != d->n_codes)
        return false;
    for (int c = 0; c < n_codes; c++)
        if (codes[c].group != d->codes[c].group || strcmp(codes[c].carc, d->codes[c].carc) ||
            codes[c].amount != d->codes[c].amount)
            return false;
    if (d->n_remarks < 0 || d->n_remarks > ADJ_MAX_REMARKS * 2)
        return false;
    for (int k = 0; k < d->n_remarks; k++)
        if (!adj_rarc_lookup(d->remarks[k]))
            return false;
    return true;
}

static bool inputs_ok(const struct eob_inputs *in)
{
    if (!in->claim || !in->patient || !in->subscriber || !in->group || !in->plan ||
        !id_ok(in->claim_id) || in->version < 1 || in->n_standing < 0 ||
        in->n_standing > ADJ_MAX_PLAN_YEARS || (in->n_standing > 0 && !in->standing))
        return false;
    const struct adj_decision *d = in->decision;
    if (d->n_lines < 1 || d->n_lines > MAX_LINES || d->n_lines != claim_line_count(in->claim))
        return false;
    return decision_adds_up(d);
}

/* ---- Writing ---- */

static const char *network_name(enum network n)
{
    return n == NETWORK_IN ? "in" : "out";
}

static const char *relationship_name(enum relationship r)
{
    switch (r) {
    case REL_EMPLOYEE: return "employee";
    case REL_SPOUSE: return "spouse";
    case REL_CHILD: return "child";
    case REL_GRANDCHILD: return "grandchild";
    }
    return "other";
}

/* The first and last service dates of the decision's lines (at least one). */
static void service_period(const struct adj_decision *d, date_t *first, date_t *last)
{
    *first = *last = d->lines[0].service_date;
    for (int i = 1; i < d->n_lines; i++) {
        if (date_cmp(d->lines[i].service_date, *first) < 0)
            *first = d->lines[i].service_date;
        if (date_cmp(d->lines[i].service_date, *last) > 0)
            *last = d->lines[i].service_date;
    }
}

/* Whether a record can be built from in: EOB_OK, EOB_PENDED (no
 * determination yet) or EOB_ERR_INPUTS (see eob_record_build). */
static enum eob_status record_inputs_status(const struct eob_inputs *in)
{
    if (!in || !in->decision)
        return EOB_ERR_INPUTS;
    if (in->decision->outcome == ADJ_PENDED)
        return EOB_PENDED;
    if (in->decision->outcome != ADJ_APPROVED && in->decision->outcome != ADJ_DENIED)
        return EOB_ERR_INPUTS;
    if (!inputs_ok(in))
        return EOB_ERR_INPUTS;
    return EOB_OK;
}

/* ---- The record, written as text ---- */

/*
 * The record is written once, straight into a buffer (the worker stores the
 * text without building and freeing a tree of ~400 objects for every
 * claim); eob_record_build() parses that text back for whoever wants the
 * tree.
 */
static void text_person(struct json_writer *w, const char *key, const struct member *m,
                        bool with_relationship)
{
    json_writer_open(w, key, '{');
    json_writer_string(w, "member_id", m->member_id);
    json_writer_string(w, "first_name", m->first_name);
    json_writer_string(w, "last_name", m->last_name);
    if (with_relationship)
        json_writer_string(w, "relationship", relationship_name(m->relationship));
    json_writer_close(w, '}');
}

static void text_adjustment(struct json_writer *w, const struct adj_adjustment *a)
{
    const struct adj_code_info *info = adj_carc_lookup(a->carc); /* checked by inputs_ok */
    json_writer_open(w, NULL, '{');
    json_writer_string(w, "group", adj_group_code(a->group));
    json_writer_string(w, "group_name", adj_group_wording(a->group));
    json_writer_string(w, "code", a->carc);
    json_writer_money(w, "amount", a->amount);
    json_writer_string(w, "wording", info->wording);
    json_writer_string(w, "meaning", info->plain);
    json_writer_close(w, '}');
}

/* "adjustments": [...], of a line or of the claim's totals. */
static void text_adjustments(struct json_writer *w, const struct adj_adjustment *a, int n)
{
    json_writer_open(w, "adjustments", '[');
    for (int k = 0; k < n; k++)
        text_adjustment(w, &a[k]);
    json_writer_close(w, ']');
}

/* The four amounts a line and the claim's totals carry. */
static void text_amounts(struct json_writer *w, cents_t charge, cents_t allowed, cents_t plan_paid,
                         cents_t patient_responsibility)
{
    json_writer_money(w, "charge", charge);
    json_writer_money(w, "allowed", allowed);
    json_writer_money(w, "plan_paid", plan_paid);
    json_writer_money(w, "patient_responsibility", patient_responsibility);
}

static void text_remarks(struct json_writer *w, const char (*codes)[ADJ_CODE_LEN], int n)
{
    json_writer_open(w, "remarks", '[');
    for (int k = 0; k < n; k++) {
        const struct adj_code_info *info = adj_rarc_lookup(codes[k]);
        json_writer_open(w, NULL, '{');
        json_writer_string(w, "code", codes[k]);
        json_writer_string(w, "wording", info->wording);
        json_writer_string(w, "meaning", info->plain);
        json_writer_close(w, '}');
    }
    json_writer_close(w, ']');
}

/* A quantity's text: 30000 -> 30, 2500 -> 2.5. */
static void text_quantity(struct json_writer *w, const char *key, int64_t milli)
{
    char buf[MONEY_QUANTITY_STRLEN];
    json_writer_raw(w, key, money_quantity_format(milli, buf));
}

static void text_line(struct json_writer *w, const struct eob_inputs *in, int i)
{
    const struct claim *c = in->claim;
    const struct adj_line *l = &in->decision->lines[i];
    json_writer_open(w, NULL, '{');
    json_writer_int(w, "line", i + 1);
    json_writer_date(w, "service_date", l->service_date);
    if (c->type == CLAIM_MEDICAL) {
        const struct claim_line *cl = &c->lines[i];
        char label[32];
        snprintf(label, sizeof label, "Procedure %s", cl->procedure_code);
        json_writer_string(w, "service", label);
        json_writer_string(w, "procedure_code", cl->procedure_code);
        json_writer_open(w, "modifiers", '[');
        for (int m = 0; m < cl->n_modifiers; m++)
            json_writer_string(w, NULL, cl->modifiers[m]);
        json_writer_close(w, ']');
        json_writer_int(w, "units", cl->units);
    } else {
        json_writer_string(w, "service", c->drug_name);
        json_writer_string(w, "ndc", c->ndc);
        json_writer_string(w, "drug_name", c->drug_name);
        text_quantity(w, "quantity", c->quantity_milli);
        json_writer_int(w, "days_supply", c->days_supply);
    }
    json_writer_string(w, "network", network_name(l->network));
    json_writer_string(w, "cob_position", adj_cob_position_name(l->cob_position));
    json_writer_bool(w, "denied", l->denied);
    text_amounts(w, l->charge, l->allowed, l->plan_paid, l->patient_responsibility);
    text_adjustments(w, l->adjustments, l->n_adjustments);
    text_remarks(w, l->remarks, l->n_remarks);
    json_writer_close(w, '}');
}

static void text_amount_standing(struct json_writer *w, const char *key,
                                 const struct eob_amount_standing *s)
{
    json_writer_open(w, key, '{');
    json_writer_money(w, "limit", s->limit);
    json_writer_money(w, "met", s->met);
    json_writer_money(w, "remaining", s->remaining);
    json_writer_close(w, '}');
}

static void text_tiers(struct json_writer *w, const char *key,
                       const struct eob_tier_standing tiers[2])
{
    static const char *const names[2] = {
        [NETWORK_IN] = "in_network", [NETWORK_OUT] = "out_of_network"};
    json_writer_open(w, key, '{');
    for (int net = NETWORK_IN; net <= NETWORK_OUT; net++) {
        json_writer_open(w, names[net], '{');
        text_amount_standing(w, "deductible", &tiers[net].deductible);
        text_amount_standing(w, "out_of_pocket", &tiers[net].out_of_pocket);
        json_writer_close(w, '}');
    }
    json_writer_close(w, '}');
}

/* payer and plan: who pays, the plan and the group. */
static void text_payer_and_plan(struct json_writer *w, const struct eob_inputs *in)
{
    json_writer_open(w, "payer", '{');
    json_writer_string(w, "name", in->payer_name ? in->payer_name : EOB_DEFAULT_PAYER_NAME);
    json_writer_close(w, '}');

    json_writer_open(w, "plan", '{');
    json_writer_string(w, "plan_id", in->plan->plan_id);
    json_writer_string(w, "name", in->plan->name);
    json_writer_string(w, "group_id", in->group->group_id);
    json_writer_string(w, "group_name", in->group->name);
    json_writer_close(w, '}');
}

/* provider: the medical provider or the pharmacy. */
static void text_provider(struct json_writer *w, const struct claim *c)
{
    json_writer_open(w, "provider", '{');
    if (c->type == CLAIM_MEDICAL) {
        json_writer_string(w, "kind", "provider");
        json_writer_string(w, "name", c->provider.name);
        json_writer_string(w, "npi", c->provider.npi);
        json_writer_string(w, "network", network_name(c->provider.network));
    } else {
        json_writer_string(w, "kind", "pharmacy");
        json_writer_string(w, "name", c->pharmacy.name);
        if (c->pharmacy.has_npi)
            json_writer_string(w, "npi", c->pharmacy.npi);
        else
            json_writer_null(w, "npi");
        json_writer_string(w, "network", network_name(c->pharmacy.network));
    }
    json_writer_close(w, '}');
}

/* service_period: the first and last service dates of the lines. */
static void text_service_period(struct json_writer *w, const struct adj_decision *d)
{
    date_t first, last;
    service_period(d, &first, &last);
    json_writer_open(w, "service_period", '{');
    json_writer_date(w, "start", first);
    json_writer_date(w, "end", last);
    json_writer_close(w, '}');
}

/* lines, then totals with the claim-level adjustments. */
static void text_lines_and_totals(struct json_writer *w, const struct eob_inputs *in)
{
    const struct adj_decision *d = in->decision;
    json_writer_open(w, "lines", '[');
    for (int i = 0; i < d->n_lines; i++)
        text_line(w, in, i);
    json_writer_close(w, ']');

    json_writer_open(w, "totals", '{');
    text_amounts(w, d->total_charge, d->total_allowed, d->total_plan_paid,
                 d->total_patient_responsibility);
    text_adjustments(w, d->codes, d->n_codes);
    json_writer_close(w, '}');
}

/* payee: who is paid (the provider or the subscriber) and how much. */
static void text_payee(struct json_writer *w, const struct eob_inputs *in)
{
    const struct claim *c = in->claim;
    const struct adj_decision *d = in->decision;
    json_writer_open(w, "payee", '{');
    json_writer_string(w, "type", adj_payee_name(d->payee));
    if (d->payee == ADJ_PAYEE_PROVIDER) {
        json_writer_string(w, "name",
                           c->type == CLAIM_MEDICAL ? c->provider.name : c->pharmacy.name);
    } else {
        char name[2 * NAME_LEN];
        snprintf(name, sizeof name, "%s %s", in->subscriber->first_name, in->subscriber->last_name);
        json_writer_string(w, "name", name);
    }
    json_writer_money(w, "amount", d->total_plan_paid);
    json_writer_close(w, '}');
}

/* coordination_of_benefits: the plan's position and the other payer's EOB. */
static void text_cob(struct json_writer *w, const struct claim *c, const struct adj_decision *d)
{
    json_writer_open(w, "coordination_of_benefits", '{');
    json_writer_string(w, "position", adj_cob_position_name(d->cob_position));
    json_writer_bool(w, "medicare_primary", d->medicare_primary);
    if (d->cob_position == ADJ_COB_SECONDARY && c->other_insurance.present) {
        const struct other_insurance *oi = &c->other_insurance;
        json_writer_open(w, "other_payer", '{');
        json_writer_string(w, "name", oi->payer_name);
        json_writer_money(w, "paid", oi->paid);
        json_writer_money(w, "allowed", oi->allowed);
        json_writer_money(w, "patient_responsibility", oi->patient_responsibility);
        json_writer_date(w, "eob_date", oi->eob_date);
        json_writer_close(w, '}');
    } else {
        json_writer_null(w, "other_payer");
    }
    json_writer_close(w, '}');
}

/* accumulators: each plan year's individual and family standing. */
static void text_accumulators(struct json_writer *w, const struct eob_inputs *in)
{
    json_writer_open(w, "accumulators", '[');
    for (int y = 0; y < in->n_standing; y++) {
        const struct eob_year_standing *s = &in->standing[y];
        json_writer_open(w, NULL, '{');
        json_writer_int(w, "plan_year", s->year);
        text_tiers(w, "individual", s->individual);
        text_tiers(w, "family", s->family);
        json_writer_close(w, '}');
    }
    json_writer_close(w, ']');
}

/* appeal: the days, the deadline, the address and the instructions. */
static void text_appeal(struct json_writer *w, const struct eob_inputs *in)
{
    json_writer_open(w, "appeal", '{');
    json_writer_int(w, "days", EOB_APPEAL_DAYS);
    json_writer_date(w, "deadline", adj_appeal_deadline(in->statement_date));
    json_writer_int(w, "decision_days", EOB_APPEAL_DECISION_DAYS);
    json_writer_string(w, "address",
                       in->appeal_address ? in->appeal_address : EOB_DEFAULT_APPEAL_ADDRESS);
    json_writer_string(w, "instructions",
                       in->appeal_instructions ? in->appeal_instructions
                                               : EOB_DEFAULT_APPEAL_INSTRUCTIONS);
    json_writer_close(w, '}');
}

/* The EOB record as text (docs/eob.md "The record", member for member). */
static void text_record(struct json_writer *w, const struct eob_inputs *in)
{
    const struct claim *c = in->claim;
    const struct adj_decision *d = in->decision;

    json_writer_open(w, NULL, '{');
    json_writer_string(w, "claim_id", in->claim_id);
    json_writer_int(w, "version", in->version);
    json_writer_date(w, "statement_date", in->statement_date);
    json_writer_date(w, "received_date", in->received_date);
    json_writer_string(w, "claim_type", c->type == CLAIM_MEDICAL ? "medical" : "pharmacy");
    json_writer_string(w, "outcome", adj_outcome_name(d->outcome));
    text_payer_and_plan(w, in);
    text_person(w, "subscriber", in->subscriber, false);
    text_person(w, "patient", in->patient, true);
    text_provider(w, c);
    text_service_period(w, d);
    text_lines_and_totals(w, in);
    text_payee(w, in);
    text_cob(w, c, d);
    text_accumulators(w, in);
    text_remarks(w, d->remarks, d->n_remarks);
    text_appeal(w, in);
    json_writer_close(w, '}');
}

enum eob_status eob_record_text(const struct eob_inputs *in, char **out)
{
    if (!out)
        return EOB_ERR_INPUTS;
    *out = NULL;
    enum eob_status checked = record_inputs_status(in);
    if (checked != EOB_OK)
        return checked;
    struct json_writer w;
    json_writer_init(&w, false);
    text_record(&w, in);
    *out = strbuf_take(&w.sb);
    return *out ? EOB_OK : EOB_ERR_NOMEM;
}

enum eob_status eob_record_build(const struct eob_inputs *in, struct json_object **out)
{
    if (!out)
        return EOB_ERR_INPUTS;
    *out = NULL;
    char *text;
    enum eob_status status = eob_record_text(in, &text);
    if (status != EOB_OK)
        return status;
    *out = json_tokener_parse(text);
    free(text);
    return *out ? EOB_OK : EOB_ERR_NOMEM;
}

struct json_object *eob_record_json(const struct eob_inputs *in)
{
    struct json_object *rec = NULL;
    eob_record_build(in, &rec);
    return rec;
}
