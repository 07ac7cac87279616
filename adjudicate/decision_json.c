#include "decision_json.h"

#include <stdio.h>
#include <string.h>

struct json_object *json_money(cents_t amount)
{
    char text[MONEY_STRLEN];
    money_format(amount, text);
    /* The text is kept as written: no floating-point rounding on output. */
    return json_object_new_double_s((double)amount / 100.0, text);
}

static struct json_object *codes_json(const struct adj_adjustment *adj, int n)
{
    struct json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++) {
        struct json_object *c = json_object_new_object();
        json_object_object_add(c, "group", json_object_new_string(adj_group_code(adj[i].group)));
        json_object_object_add(c, "carc", json_object_new_string(adj[i].carc));
        json_object_object_add(c, "amount", json_money(adj[i].amount));
        json_object_array_add(a, c);
    }
    return a;
}

static struct json_object *remarks_json(const char (*remarks)[ADJ_CODE_LEN], int n)
{
    struct json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(remarks[i]));
    return a;
}

struct json_object *decision_to_json(const struct adj_decision *d)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "outcome", json_object_new_string(adj_outcome_name(d->outcome)));
    json_object_object_add(o, "cob_position",
                           json_object_new_string(adj_cob_position_name(d->cob_position)));
    json_object_object_add(o, "total_charge", json_money(d->total_charge));
    json_object_object_add(o, "allowed", json_money(d->total_allowed));
    json_object_object_add(o, "plan_paid", json_money(d->total_plan_paid));
    json_object_object_add(o, "patient_responsibility", json_money(d->total_patient_responsibility));
    json_object_object_add(o, "payee", json_object_new_string(adj_payee_name(d->payee)));
    json_object_object_add(o, "codes", codes_json(d->codes, d->n_codes));
    json_object_object_add(o, "remarks", remarks_json(d->remarks, d->n_remarks));
    struct json_object *lines = json_object_new_array();
    for (int i = 0; i < d->n_lines; i++) {
        const struct adj_line *l = &d->lines[i];
        struct json_object *lo = json_object_new_object();
        char date[DATE_STRLEN];
        json_object_object_add(lo, "line", json_object_new_int(i + 1));
        json_object_object_add(lo, "service_date", json_object_new_string(date_format(l->service_date, date)));
        json_object_object_add(lo, "denied", json_object_new_boolean(l->denied));
        json_object_object_add(lo, "charge", json_money(l->charge));
        json_object_object_add(lo, "allowed", json_money(l->allowed));
        json_object_object_add(lo, "plan_paid", json_money(l->plan_paid));
        json_object_object_add(lo, "patient_responsibility", json_money(l->patient_responsibility));
        json_object_object_add(lo, "codes", codes_json(l->adjustments, l->n_adjustments));
        json_object_object_add(lo, "remarks", remarks_json(l->remarks, l->n_remarks));
        json_object_array_add(lines, lo);
    }
    json_object_object_add(o, "lines", lines);
    return o;
}

struct json_object *pending_to_json(const struct adj_pend *p)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "reason_codes", remarks_json(p->reason_codes, p->n_reason_codes));
    struct json_object *needed = json_object_new_array();
    for (int i = 0; i < p->n_needed; i++)
        json_object_array_add(needed, json_object_new_string(p->needed[i]));
    json_object_object_add(o, "needed", needed);
    char date[DATE_STRLEN];
    json_object_object_add(o, "deadline", json_object_new_string(date_format(p->deadline, date)));
    return o;
}

/* Compact keys: this array is kept per member for every claim decided. */
struct json_object *prior_lines_to_json(const struct adj_prior_line *lines, int n)
{
    struct json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++) {
        const struct adj_prior_line *l = &lines[i];
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "t", json_object_new_int(l->type == CLAIM_PHARMACY));
        json_object_object_add(o, "x", json_object_new_boolean(l->denied));
        json_object_object_add(o, "d", json_object_new_int(l->service_date.days));
        json_object_object_add(o, "c", json_object_new_int64(l->charge));
        if (l->type == CLAIM_MEDICAL) {
            json_object_object_add(o, "n", json_object_new_string(l->provider_npi));
            json_object_object_add(o, "p", json_object_new_string(l->procedure_code));
            struct json_object *mods = json_object_new_array();
            for (int m = 0; m < l->n_modifiers; m++)
                json_object_array_add(mods, json_object_new_string(l->modifiers[m]));
            json_object_object_add(o, "m", mods);
            json_object_object_add(o, "u", json_object_new_int(l->units));
        } else {
            if (l->pharmacy_has_npi)
                json_object_object_add(o, "n", json_object_new_string(l->pharmacy_npi));
            json_object_object_add(o, "f", json_object_new_string(l->pharmacy_name));
            json_object_object_add(o, "k", json_object_new_string(l->ndc));
            json_object_object_add(o, "q", json_object_new_int64(l->quantity_milli));
        }
        json_object_array_add(a, o);
    }
    return a;
}

static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static int64_t int_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

int prior_lines_from_json(const char *text, struct adj_prior_line *out, int max)
{
    struct json_object *a = json_tokener_parse(text);
    if (!a || !json_object_is_type(a, json_type_array)) {
        if (a)
            json_object_put(a);
        return -1;
    }
    int n = 0;
    for (size_t i = 0; i < json_object_array_length(a) && n < max; i++) {
        struct json_object *o = json_object_array_get_idx(a, i);
        struct adj_prior_line *l = &out[n++];
        memset(l, 0, sizeof *l);
        l->type = int_of(o, "t") ? CLAIM_PHARMACY : CLAIM_MEDICAL;
        struct json_object *x;
        l->denied = json_object_object_get_ex(o, "x", &x) && json_object_get_boolean(x);
        l->service_date.days = (int32_t)int_of(o, "d");
        l->charge = int_of(o, "c");
        const char *s;
        if (l->type == CLAIM_MEDICAL) {
            if ((s = str_of(o, "n")))
                snprintf(l->provider_npi, sizeof l->provider_npi, "%s", s);
            if ((s = str_of(o, "p")))
                snprintf(l->procedure_code, sizeof l->procedure_code, "%s", s);
            struct json_object *mods;
            if (json_object_object_get_ex(o, "m", &mods) && json_object_is_type(mods, json_type_array))
                for (size_t m = 0; m < json_object_array_length(mods) && m < MAX_MODIFIERS; m++)
                    snprintf(l->modifiers[l->n_modifiers++], MODIFIER_LEN, "%s",
                             json_object_get_string(json_object_array_get_idx(mods, m)));
            l->units = (int)int_of(o, "u");
        } else {
            if ((s = str_of(o, "n"))) {
                l->pharmacy_has_npi = true;
                snprintf(l->pharmacy_npi, sizeof l->pharmacy_npi, "%s", s);
            }
            if ((s = str_of(o, "f")))
                snprintf(l->pharmacy_name, sizeof l->pharmacy_name, "%s", s);
            if ((s = str_of(o, "k")))
                snprintf(l->ndc, sizeof l->ndc, "%s", s);
            l->quantity_milli = int_of(o, "q");
        }
    }
    json_object_put(a);
    return n;
}
