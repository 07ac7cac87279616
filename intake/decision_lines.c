/*
 * Decision lines (intake/decision_lines.h): a person's per-line decision on a
 * claim, checked like every other body (docs/validation.md "Decision lines").
 */
#include "decision_lines.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "money.h"

static const char *const group_names[] = {"CO", "PR", "OA", "PI"};

/* A code of one of the adjudicator's tables (adjudicate/codes.c). */
static bool value_code(struct codec_reader *r, struct json_object *v, char out[ADJ_CODE_LEN],
                       const struct adj_code_info *(*lookup)(const char *), const char *problem)
{
    if (!json_object_is_type(v, json_type_string) ||
        json_object_get_string_len(v) >= ADJ_CODE_LEN || !lookup(json_object_get_string(v))) {
        codec_report(r, problem);
        return false;
    }
    strcpy(out, json_object_get_string(v));
    return true;
}

static bool value_carc(struct codec_reader *r, struct json_object *v, void *out)
{
    return value_code(r, v, out, adj_carc_lookup, "must be a CARC of docs/rules.md \"Codes\"");
}

static bool value_rarc(struct codec_reader *r, struct json_object *v, void *out)
{
    return value_code(r, v, out, adj_rarc_lookup, "must be a RARC of docs/rules.md \"Codes\"");
}

/* One item, at the reader's current path. */
static void parse_item(struct codec_reader *r, struct json_object *o,
                       const struct decision_lines_spec *spec, struct adj_line_decision *ld,
                       bool *given)
{
    static const char *const fields[] = {"line", "allowed", "group", "carc", "rarc", NULL};
    memset(ld, 0, sizeof *ld);
    codec_reject_unknown(r, o, fields);
    struct codec_int_spec line = {1, MAX_LINES, "must be a line number of the claim", &ld->line};
    *given = codec_field(r, o, "line", !spec->line_optional, codec_value_int, &line) == CODEC_GOT;
    if (spec->allowed)
        ld->has_allowed =
            codec_field(r, o, "allowed", true, codec_value_money, &ld->allowed) == CODEC_GOT;
    else if (codec_member(o, "allowed"))
        codec_report_key(r, "allowed", "must be absent unless the action is adjust");
    int group = 0;
    struct codec_enum_spec gs = {group_names, 4, "must be CO, PR, OA or PI", &group};
    bool has_group = codec_member(o, "group") != NULL, has_carc = codec_member(o, "carc") != NULL;
    bool need = spec->code_required;
    enum codec_got g = codec_field(r, o, "group", need || has_carc, codec_value_enum, &gs);
    enum codec_got c = codec_field(r, o, "carc", need || has_group, value_carc, ld->carc);
    ld->group = (enum adj_group)group;
    ld->has_code = g == CODEC_GOT && c == CODEC_GOT;
    codec_field(r, o, "rarc", false, value_rarc, ld->rarc);
}

bool intake_decision_lines_parse(struct codec_reader *r, struct json_object *body, const char *key,
                                 const struct decision_lines_spec *spec, struct adj_review *out,
                                 bool line_given[MAX_LINES])
{
    int before = codec_problem_count(r);
    size_t mark = 0, n = 0;
    out->n_lines = 0;
    struct json_object *a = codec_enter_array(r, body, key, false, 0, MAX_LINES,
                                              "must have at most 50 lines", &mark, &n);
    if (!a)
        return codec_problem_count(r) == before;
    for (size_t i = 0; i < n && i < MAX_LINES; i++) {
        size_t item = codec_path_push_index(&r->path, i);
        struct json_object *o;
        line_given[i] = false;
        if (codec_value_object(r, json_object_array_get_idx(a, i), &o))
            parse_item(r, o, spec, &out->lines[i], &line_given[i]);
        else
            memset(&out->lines[i], 0, sizeof out->lines[i]);
        codec_path_pop(&r->path, item);
    }
    out->n_lines = n < MAX_LINES ? (int)n : MAX_LINES;
    /* An item without "line" stands for every line: then it is the only one. */
    for (int i = 0; spec->line_optional && n > 1 && i < out->n_lines; i++) {
        if (line_given[i])
            continue;
        size_t item = codec_path_push_index(&r->path, (size_t)i);
        codec_report_key(r, "line", "is required when more than one line is given");
        codec_path_pop(&r->path, item);
    }
    codec_path_pop(&r->path, mark);
    if (!adj_review_codes_fit(out))
        codec_report_key(r, key, "must use at most 4 different group and CARC pairs");
    return codec_problem_count(r) == before;
}

bool intake_decision_lines_claim_of(struct json_object *decision, struct decision_lines_claim *c)
{
    struct json_object *lines = NULL;
    memset(c, 0, sizeof *c);
    if (!decision || !json_object_object_get_ex(decision, "lines", &lines) ||
        !json_object_is_type(lines, json_type_array) || json_object_array_length(lines) > MAX_LINES)
        return false;
    c->n = json_object_array_length(lines);
    for (size_t i = 0; i < c->n; i++) {
        struct json_object *lo = json_object_array_get_idx(lines, i), *v = NULL;
        if (!json_object_object_get_ex(lo, "charge", &v) ||
            !money_parse(json_object_get_string(v), &c->charges[i]))
            return false;
        c->denied[i] = json_object_object_get_ex(lo, "denied", &v) && json_object_get_boolean(v);
    }
    return true;
}

/* One named line against the claim, at the item's path. */
static void check_item(struct codec_reader *r, const struct adj_line_decision *ld,
                       const struct decision_lines_claim *c, bool seen[MAX_LINES])
{
    if (ld->line < 1 || (size_t)ld->line > c->n) {
        codec_report_key(r, "line", "must be a line number of the claim");
        return;
    }
    if (seen[ld->line - 1]) {
        codec_report_key(r, "line", "is listed twice");
        return;
    }
    seen[ld->line - 1] = true;
    if (!ld->has_allowed)
        return;
    cents_t charge = c->charges[ld->line - 1];
    if (c->priced_only && c->denied[ld->line - 1])
        codec_report_key(r, "line", "is a line the rules denied: it can be denied, not adjusted");
    else if (ld->allowed > charge)
        codec_report_key(r, "allowed", "must not exceed the line's charge");
    else if (c->code_below_charge && ld->allowed < charge && !ld->has_code)
        codec_report_key(r, "group", "is required when allowed is less than the line's charge");
}

bool intake_decision_lines_check(struct codec_reader *r, const char *key,
                                 const struct adj_review *rv, const bool line_given[MAX_LINES],
                                 const struct decision_lines_claim *c)
{
    int before = codec_problem_count(r);
    bool seen[MAX_LINES] = {false};
    size_t mark = codec_path_push_key(&r->path, key, strlen(key));
    for (int i = 0; i < rv->n_lines; i++) {
        if (!line_given[i])
            continue;
        size_t m = codec_path_push_index(&r->path, (size_t)i);
        check_item(r, &rv->lines[i], c, seen);
        codec_path_pop(&r->path, m);
    }
    codec_path_pop(&r->path, mark);
    return codec_problem_count(r) == before;
}

/* key: s, or null when s is "". */
static int put_code(struct json_object *o, const char *key, const char *s)
{
    return s[0] ? codec_put_string(o, key, s) : codec_put_null(o, key);
}

struct json_object *intake_decision_lines_json(const struct adj_review *rv)
{
    struct json_object *a = json_object_new_array();
    if (!a)
        return NULL;
    for (int i = 0; i < rv->n_lines; i++) {
        const struct adj_line_decision *d = &rv->lines[i];
        struct json_object *o = json_object_new_object();
        bool ok = o && !codec_put_int(o, "line", d->line) &&
                  !(d->has_allowed ? codec_put_money(o, "allowed", d->allowed)
                                   : codec_put_null(o, "allowed")) &&
                  !put_code(o, "group", d->has_code ? adj_group_code(d->group) : "") &&
                  !put_code(o, "carc", d->has_code ? d->carc : "") && !put_code(o, "rarc", d->rarc);
        if (!ok && o)
            json_object_put(o);
        /* codec_append takes o, also when it fails. */
        if (!ok || codec_append(a, o)) {
            json_object_put(a);
            return NULL;
        }
    }
    return a;
}

bool intake_decision_lines_fit(struct call *call, const char *claim_id,
                               struct json_object *decision, const struct adj_review *rv,
                               const bool line_given[MAX_LINES], bool priced_only,
                               bool code_below_charge)
{
    struct decision_lines_claim lines;
    if (!intake_decision_lines_claim_of(decision, &lines)) {
        log_error("stored decision cannot be read claim_id=%s", claim_id);
        intake_call_error(call, 500, "internal", "the claim's decision cannot be read");
        return false;
    }
    lines.priced_only = priced_only;
    lines.code_below_charge = code_below_charge;
    struct codec_field_errors errs;
    struct codec_reader r;
    codec_field_errors_init(&errs);
    codec_reader_init(&r, &errs);
    intake_decision_lines_check(&r, "lines", rv, line_given, &lines);
    return !intake_call_refuse_fields(call, &errs, "the body has problems listed in fields");
}
