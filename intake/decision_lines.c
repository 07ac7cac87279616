/*
 * Decision lines (intake/decision_lines.h): a person's per-line decision on a
 * claim, checked like every other body (docs/validation.md).
 */
#include "decision_lines.h"

#include <stdio.h>
#include <string.h>

#include "adjudicate/adjudicate.h"

static const char *const group_names[] = {"CO", "PR", "OA"};

/* A code of the plan's table (lookup) into out (size bytes). */
static bool read_code(struct intake_reader *r, struct json_object *item, const char *key,
                      const struct adj_code_info *(*lookup)(const char *), const char *problem,
                      char *out, size_t size)
{
    struct json_object *v = intake_member(item, key);
    if (!v)
        return true;
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    if (!s || strlen(s) >= size || !lookup(s)) {
        intake_report_key(r, key, problem);
        return false;
    }
    snprintf(out, size, "%s", s);
    return true;
}

/* One item of the array, at the reader's current path. */
static void parse_item(struct intake_reader *r, struct json_object *item, struct decision_line *d)
{
    static const char *const allowed_keys[] = {"line", "allowed", "group", "carc", "rarc", NULL};
    memset(d, 0, sizeof *d);
    if (!json_object_is_type(item, json_type_object)) {
        intake_report(r, INTAKE_P_OBJECT);
        return;
    }
    intake_reject_unknown(r, item, allowed_keys);
    struct intake_int_spec line = {1, MAX_LINES, "must be an integer from 1 to 50", &d->line};
    intake_field(r, item, "line", true, intake_value_int, &line);
    intake_field(r, item, "allowed", true, intake_value_money, &d->allowed);
    int group = -1;
    struct intake_enum_spec groups = {group_names, 3, "must be CO, PR or OA", &group};
    if (intake_field(r, item, "group", false, intake_value_enum, &groups) == INTAKE_GOT)
        snprintf(d->group, sizeof d->group, "%s", group_names[group]);
    read_code(r, item, "carc", adj_carc_lookup,
              "must be a claim adjustment reason code of the plan's table (docs/rules.md)",
              d->carc, sizeof d->carc);
    read_code(r, item, "rarc", adj_rarc_lookup,
              "must be a remark code of the plan's table (docs/rules.md)", d->rarc,
              sizeof d->rarc);
    /* Given or left out together (a wrong value is reported as such). */
    if (!intake_member(item, "group") != !intake_member(item, "carc"))
        intake_report(r, "must give group and carc together");
}

bool intake_decision_lines_parse(struct intake_reader *r, struct json_object *body,
                                 const char *key, struct decision_line *out, size_t *n)
{
    int before = intake_problem_count(r);
    size_t mark = 0, len = 0;
    *n = 0;
    struct json_object *a = intake_enter_array(r, body, key, false, 0, MAX_LINES,
                                               "must have at most 50 lines", &mark, &len);
    if (!a)
        return intake_problem_count(r) == before;
    for (size_t i = 0; i < len && i < MAX_LINES; i++) {
        size_t m = intake_path_push_index(&r->path, i);
        parse_item(r, json_object_array_get_idx(a, i), &out[i]);
        intake_path_pop(&r->path, m);
    }
    *n = len < MAX_LINES ? len : MAX_LINES;
    intake_path_pop(&r->path, mark);
    return intake_problem_count(r) == before;
}

bool intake_decision_lines_check(struct intake_reader *r, const char *key,
                                 const struct decision_line *lines, size_t n,
                                 const cents_t *charges, size_t n_claim)
{
    int before = intake_problem_count(r);
    bool seen[MAX_LINES] = {false};
    size_t mark = intake_path_push_key(&r->path, key, strlen(key));
    for (size_t i = 0; i < n; i++) {
        const struct decision_line *d = &lines[i];
        size_t m = intake_path_push_index(&r->path, i);
        if (d->line < 1 || (size_t)d->line > n_claim) {
            intake_report_key(r, "line", "must be a line of the claim");
        } else if (seen[d->line - 1]) {
            intake_report_key(r, "line", "is listed twice");
        } else {
            seen[d->line - 1] = true;
            if (d->allowed > charges[d->line - 1])
                intake_report_key(r, "allowed", "must not be more than the line's charge");
            else if (d->allowed < charges[d->line - 1] && !d->group[0])
                intake_report_key(r, "group",
                                  "is required when allowed is less than the line's charge");
        }
        intake_path_pop(&r->path, m);
    }
    intake_path_pop(&r->path, mark);
    return intake_problem_count(r) == before;
}

/* key: s, or null when s is "". */
static int put_code(struct json_object *o, const char *key, const char *s)
{
    return s[0] ? intake_put_string(o, key, s) : intake_put_null(o, key);
}

struct json_object *intake_decision_lines_json(const struct decision_line *lines, size_t n)
{
    struct json_object *a = json_object_new_array();
    if (!a)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const struct decision_line *d = &lines[i];
        struct json_object *o = json_object_new_object();
        bool ok = o && !intake_put_int(o, "line", d->line) &&
                  !intake_put_money(o, "allowed", d->allowed) &&
                  !put_code(o, "group", d->group) && !put_code(o, "carc", d->carc) &&
                  !put_code(o, "rarc", d->rarc);
        if (!ok && o)
            json_object_put(o);
        /* intake_append takes o, also when it fails. */
        if (!ok || intake_append(a, o)) {
            json_object_put(a);
            return NULL;
        }
    }
    return a;
}
