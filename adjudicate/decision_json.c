#include "decision_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void codes_write(struct json_writer *w, const struct adj_adjustment *adj, int n)
{
    json_writer_open(w, "codes", '[');
    for (int i = 0; i < n; i++) {
        json_writer_open(w, NULL, '{');
        json_writer_string(w, "group", adj_group_code(adj[i].group));
        json_writer_string(w, "carc", adj[i].carc);
        json_writer_money(w, "amount", adj[i].amount);
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

void adj_decision_write(struct json_writer *w, const char *key, const struct adj_decision *d)
{
    json_writer_open(w, key, '{');
    json_writer_string(w, "outcome", adj_outcome_name(d->outcome));
    json_writer_string(w, "cob_position", adj_cob_position_name(d->cob_position));
    json_writer_money(w, "total_charge", d->total_charge);
    json_writer_money(w, "allowed", d->total_allowed);
    json_writer_money(w, "plan_paid", d->total_plan_paid);
    json_writer_money(w, "patient_responsibility", d->total_patient_responsibility);
    json_writer_string(w, "payee", adj_payee_name(d->payee));
    codes_write(w, d->codes, d->n_codes);
    strings_write(w, "remarks", d->remarks, d->n_remarks);
    if (d->n_referrals > 0) {
        json_writer_open(w, "review_reasons", '[');
        for (int i = 0; i < d->n_referrals; i++)
            json_writer_string(w, NULL, d->referrals[i]);
        json_writer_close(w, ']');
    }
    json_writer_open(w, "lines", '[');
    for (int i = 0; i < d->n_lines; i++) {
        const struct adj_line *l = &d->lines[i];
        json_writer_open(w, NULL, '{');
        json_writer_int(w, "line", i + 1);
        json_writer_date(w, "service_date", l->service_date);
        json_writer_bool(w, "denied", l->denied);
        json_writer_money(w, "charge", l->charge);
        json_writer_money(w, "allowed", l->allowed);
        json_writer_money(w, "plan_paid", l->plan_paid);
        json_writer_money(w, "patient_responsibility", l->patient_responsibility);
        codes_write(w, l->adjustments, l->n_adjustments);
        strings_write(w, "remarks", l->remarks, l->n_remarks);
        json_writer_close(w, '}');
    }
    json_writer_close(w, ']');
    json_writer_close(w, '}');
}

void adj_pending_write(struct json_writer *w, const char *key, const struct adj_pend *p)
{
    json_writer_open(w, key, '{');
    strings_write(w, "reason_codes", p->reason_codes, p->n_reason_codes);
    json_writer_open(w, "needed", '[');
    for (int i = 0; i < p->n_needed; i++)
        json_writer_string(w, NULL, p->needed[i]);
    json_writer_close(w, ']');
    json_writer_date(w, "deadline", p->deadline);
    json_writer_close(w, '}');
}

char *adj_decision_to_text(const struct adj_decision *d)
{
    struct json_writer w;
    json_writer_init(&w, true);
    adj_decision_write(&w, NULL, d);
    return strbuf_take(&w.sb);
}

char *adj_pending_to_text(const struct adj_pend *p)
{
    struct json_writer w;
    json_writer_init(&w, true);
    adj_pending_write(&w, NULL, p);
    return strbuf_take(&w.sb);
}

/* The tree of a text written here; NULL when text is NULL (out of memory) or on failure. */
static struct json_object *parsed(char *text)
{
    struct json_object *o = text ? json_tokener_parse(text) : NULL;
    free(text);
    return o;
}

struct json_object *adj_decision_to_json(const struct adj_decision *d)
{
    return parsed(adj_decision_to_text(d));
}

struct json_object *adj_pending_to_json(const struct adj_pend *p)
{
    return parsed(adj_pending_to_text(p));
}

/* ---- a reviewer's decision ---- */

static const char *const review_actions[] = {[ADJ_REVIEW_APPROVE] = "approve",
                                             [ADJ_REVIEW_ADJUST] = "adjust",
                                             [ADJ_REVIEW_DENY] = "deny",
                                             [ADJ_REVIEW_OVERTURN] = "overturn"};

const char *adj_review_action_name(enum adj_review_action action)
{
    return review_actions[action];
}

bool adj_review_action_parse(const char *text, enum adj_review_action *out)
{
    for (int a = 0; a < 4; a++) {
        if (text && strcmp(text, review_actions[a]) == 0) {
            *out = (enum adj_review_action)a;
            return true;
        }
    }
    return false;
}

struct json_object *adj_review_to_json(const struct adj_review *rv)
{
    struct json_object *o = json_object_new_object(), *lines = json_object_new_array();
    if (!o || !lines) {
        json_object_put(o);
        json_object_put(lines);
        return NULL;
    }
    json_object_object_add(o, "action", json_object_new_string(adj_review_action_name(rv->action)));
    for (int i = 0; i < rv->n_lines; i++) {
        const struct adj_line_decision *ld = &rv->lines[i];
        struct json_object *lo = json_object_new_object();
        if (!lo) {
            json_object_put(o);
            json_object_put(lines);
            return NULL;
        }
        if (ld->line > 0)
            json_object_object_add(lo, "line", json_object_new_int(ld->line));
        if (ld->has_allowed)
            json_object_object_add(lo, "allowed", json_money(ld->allowed));
        if (ld->has_code) {
            json_object_object_add(lo, "group", json_object_new_string(adj_group_code(ld->group)));
            json_object_object_add(lo, "carc", json_object_new_string(ld->carc));
        }
        if (ld->rarc[0])
            json_object_object_add(lo, "rarc", json_object_new_string(ld->rarc));
        json_object_array_add(lines, lo);
    }
    json_object_object_add(o, "lines", lines);
    return o;
}

/* A code member copied into dst, false when it is not a string that fits. */
static bool code_member(struct json_object *o, const char *key, char dst[ADJ_CODE_LEN])
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string) ||
        json_object_get_string_len(v) >= ADJ_CODE_LEN)
        return false;
    strcpy(dst, json_object_get_string(v));
    return true;
}

/* One stored line decision; false when it is not adj_review_to_json's form. */
static bool line_decision_from_json(struct json_object *lo, struct adj_line_decision *ld)
{
    struct json_object *v = NULL;
    memset(ld, 0, sizeof *ld);
    if (!json_object_is_type(lo, json_type_object))
        return false;
    if (json_object_object_get_ex(lo, "line", &v) &&
        (!json_object_is_type(v, json_type_int) || (ld->line = json_object_get_int(v)) < 1))
        return false;
    if (json_object_object_get_ex(lo, "allowed", &v)) {
        if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
            return false;
        if (!money_parse(json_object_get_string(v), &ld->allowed))
            return false;
        ld->has_allowed = true;
    }
    if (json_object_object_get_ex(lo, "group", &v)) {
        if (!adj_group_parse(json_object_get_string(v), &ld->group) ||
            !code_member(lo, "carc", ld->carc))
            return false;
        ld->has_code = true;
    }
    if (json_object_object_get_ex(lo, "rarc", &v) && !code_member(lo, "rarc", ld->rarc))
        return false;
    return true;
}

bool adj_review_from_json(struct json_object *o, struct adj_review *out)
{
    struct json_object *v = NULL;
    memset(out, 0, sizeof *out);
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "action", &v) ||
        !adj_review_action_parse(json_object_get_string(v), &out->action))
        return false;
    if (!json_object_object_get_ex(o, "lines", &v) || !json_object_is_type(v, json_type_array) ||
        json_object_array_length(v) > MAX_LINES)
        return false;
    for (size_t i = 0; i < json_object_array_length(v); i++)
        if (!line_decision_from_json(json_object_array_get_idx(v, i), &out->lines[out->n_lines++]))
            return false;
    return true;
}
