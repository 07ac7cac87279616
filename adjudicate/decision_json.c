#include "decision_json.h"

#include <stdio.h>
#include <string.h>

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


static void money_write(struct json_writer *w, const char *key, cents_t amount)
{
    char text[MONEY_STRLEN];
    json_writer_raw(w, key, money_format(amount, text));
}

static void codes_write(struct json_writer *w, const struct adj_adjustment *adj, int n)
{
    json_writer_open(w, "codes", '[');
    for (int i = 0; i < n; i++) {
        json_writer_open(w, NULL, '{');
        json_writer_string(w, "group", adj_group_code(adj[i].group));
        json_writer_string(w, "carc", adj[i].carc);
        money_write(w, "amount", adj[i].amount);
        json_writer_close(w, '}');
    }
    json_writer_close(w, ']');
}

static void strings_write(struct json_writer *w, const char *key, const char (*s)[ADJ_CODE_LEN],
                          int n)
{
    json_writer_open(w, key, '[');
    for (int i = 0; i < n; i++)
        json_writer_string(w, NULL, s[i]);
    json_writer_close(w, ']');
}

void decision_write(struct json_writer *w, const char *key, const struct adj_decision *d)
{
    json_writer_open(w, key, '{');
    json_writer_string(w, "outcome", adj_outcome_name(d->outcome));
    json_writer_string(w, "cob_position", adj_cob_position_name(d->cob_position));
    money_write(w, "total_charge", d->total_charge);
    money_write(w, "allowed", d->total_allowed);
    money_write(w, "plan_paid", d->total_plan_paid);
    money_write(w, "patient_responsibility", d->total_patient_responsibility);
    json_writer_string(w, "payee", adj_payee_name(d->payee));
    codes_write(w, d->codes, d->n_codes);
    strings_write(w, "remarks", d->remarks, d->n_remarks);
    json_writer_open(w, "lines", '[');
    for (int i = 0; i < d->n_lines; i++) {
        const struct adj_line *l = &d->lines[i];
        char date[DATE_STRLEN];
        json_writer_open(w, NULL, '{');
        json_writer_int(w, "line", i + 1);
        json_writer_string(w, "service_date", date_format(l->service_date, date));
        json_writer_bool(w, "denied", l->denied);
        money_write(w, "charge", l->charge);
        money_write(w, "allowed", l->allowed);
        money_write(w, "plan_paid", l->plan_paid);
        money_write(w, "patient_responsibility", l->patient_responsibility);
        codes_write(w, l->adjustments, l->n_adjustments);
        strings_write(w, "remarks", l->remarks, l->n_remarks);
        json_writer_close(w, '}');
    }
    json_writer_close(w, ']');
    json_writer_close(w, '}');
}

void pending_write(struct json_writer *w, const char *key, const struct adj_pend *p)
{
    json_writer_open(w, key, '{');
    strings_write(w, "reason_codes", p->reason_codes, p->n_reason_codes);
    json_writer_open(w, "needed", '[');
    for (int i = 0; i < p->n_needed; i++)
        json_writer_string(w, NULL, p->needed[i]);
    json_writer_close(w, ']');
    char date[DATE_STRLEN];
    json_writer_string(w, "deadline", date_format(p->deadline, date));
    json_writer_close(w, '}');
}

char *decision_to_text(const struct adj_decision *d)
{
    struct json_writer w;
    json_writer_init(&w, true);
    decision_write(&w, NULL, d);
    return strbuf_take(&w.sb);
}

char *pending_to_text(const struct adj_pend *p)
{
    struct json_writer w;
    json_writer_init(&w, true);
    pending_write(&w, NULL, p);
    return strbuf_take(&w.sb);
}
