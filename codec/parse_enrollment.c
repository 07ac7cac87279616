#include "codec/parse_enrollment.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codes.h"
#include "codec/json_read.h"

#define P_PATH_ID "must equal the id in the path"

static const char *const certification_names[] = {"20_or_more", "19_or_fewer"};
static const char *const relationship_names[] = {"employee", "spouse", "child", "grandchild"};
static const char *const coverage_kind_names[] = {"active", "cobra", "state_continuation"};
static const char *const medicare_basis_names[] = {"age", "esrd", "disability"};
static const char *const other_kind_names[] = {"group", "individual"};
static const char *const other_relationship_names[] = {"employee", "dependent"};
/* NAIC children of separated parents: indexed by their enums (model.h). */
static const char *const parents_status_names[] = {"separated", "divorced", "never_married"};
static const char *const custodial_names[] = {"subscriber", "other_parent", "joint"};
static const char *const decree_names[] = {"", "subscriber", "other_parent", "both"};
static const char *const holder_names[] = {"", "subscriber", "subscriber_spouse", "other_parent",
                                           "other_parent_spouse"};
/* Indexed by enum drug_tier. */
static const char *const tier_names[] = {"generic", "preferred_brand", "non_preferred", "specialty",
                                         "excluded"};

/* The record's id: valid and equal to the path's. */
static void field_record_id(struct codec_reader *r, struct json_object *body, const char *key,
                            const char *expected_id, char out[ID_LEN])
{
    if (codec_field(r, body, key, true, codec_value_id, out) == CODEC_GOT && expected_id &&
        strcmp(out, expected_id) != 0)
        codec_report_key(r, key, P_PATH_ID);
}

/* A date that, when both are known, is not before `start`. */
static bool field_date_not_before(struct codec_reader *r, struct json_object *obj, const char *key,
                                  bool start_ok, date_t start, date_t *out)
{
    if (codec_field(r, obj, key, false, codec_value_date, out) != CODEC_GOT)
        return false;
    if (start_ok && date_cmp(*out, start) < 0)
        codec_report_key(r, key, "must not be before effective");
    return true;
}

/* ---- fact histories (issue 13 "every fact dated") ---- */

/*
 * Entry i's dates: the first entry holds from the beginning (`from` absent or
 * null); each later one from a date after the previous entry's. reported_on
 * is optional (null: not known).
 */
static void parse_fact_dates(struct codec_reader *r, struct json_object *o, size_t i,
                             const struct fact_dates *prev, struct fact_dates *d)
{
    if (i == 0) {
        if (codec_member(o, "from"))
            codec_report_key(r, "from", "must be null in the first entry");
    } else if (codec_field(r, o, "from", true, codec_value_date, &d->from) == CODEC_GOT) {
        d->has_from = true;
        if (prev && prev->has_from && date_cmp(d->from, prev->from) <= 0)
            codec_report_key(r, "from", "must be after the previous entry's from");
    }
    d->has_reported_on =
        codec_field(r, o, "reported_on", false, codec_value_date, &d->reported_on) == CODEC_GOT;
}

/*
 * The optional "history" array of a member or group: 1 to MAX_FACT_HISTORY
 * entries `stride` bytes apart in `history` (each starting with its struct
 * fact_dates), each entry's facts read by `facts`. Returns how many were
 * stored (0 when absent).
 */
static int parse_history(struct codec_reader *r, struct json_object *body, void *history,
                         size_t stride, const char *const *fields,
                         void (*facts)(struct codec_reader *, struct json_object *, void *entry))
{
    size_t mark, n;
    struct json_object *a = codec_enter_array(r, body, "history", false, 1, MAX_FACT_HISTORY,
                                              "must have 1 to 64 entries", &mark, &n);
    if (!a)
        return 0;
    const struct fact_dates *prev = NULL;
    for (size_t i = 0; i < n && i < MAX_FACT_HISTORY; i++) {
        size_t item = codec_path_push_index(&r->path, i);
        struct fact_dates *d = (struct fact_dates *)((char *)history + i * stride);
        struct json_object *o;
        if (codec_value_object(r, json_object_array_get_idx(a, i), &o)) {
            codec_reject_unknown(r, o, fields);
            parse_fact_dates(r, o, i, prev, d);
            facts(r, o, d);
        }
        prev = d;
        codec_path_pop(&r->path, item);
    }
    codec_path_pop(&r->path, mark);
    return n < MAX_FACT_HISTORY ? (int)n : MAX_FACT_HISTORY;
}

/* ---- group ---- */

/* A group's changing facts, both required, from the record or a history entry. */
static void parse_group_facts(struct codec_reader *r, struct json_object *o, struct group_facts *f,
                              bool *have_count)
{
    struct codec_int_spec count = {0, 10000000, "must be an integer from 0 to 10000000",
                                   &f->employee_count};
    bool got = codec_field(r, o, "employee_count", true, codec_value_int, &count) == CODEC_GOT;
    if (have_count)
        *have_count = got;
    int cert = 0;
    struct codec_enum_spec certs = {certification_names, 2, "must be 20_or_more or 19_or_fewer",
                                    &cert};
    codec_field(r, o, "medicare_certification", true, codec_value_enum, &certs);
    f->medicare_certification = (enum medicare_certification)cert;
}

static void parse_group_entry(struct codec_reader *r, struct json_object *o, void *entry)
{
    parse_group_facts(r, o, &((struct group_facts_entry *)entry)->facts, NULL);
}

static bool parse_group(struct json_object *body, const char *expected_id, struct group *out,
                        struct codec_group_put *put, struct codec_field_errors *errs)
{
    static const char *const fields[] = {"group_id",
                                         "name",
                                         "state",
                                         "employee_count",
                                         "medicare_certification",
                                         "dependent_to_30",
                                         "cobra_applies",
                                         "plan_id",
                                         "waiting_period_days",
                                         "leave_continuation",
                                         "state_continuation_months",
                                         "history",
                                         NULL};
    static const char *const entry_fields[] = {"from", "reported_on", "employee_count",
                                               "medicare_certification", NULL};
    struct group_facts facts = {0};
    memset(out, 0, sizeof *out);
    struct codec_reader r;
    if (!codec_reader_open(&r, errs, body, fields))
        return false;
    field_record_id(&r, body, "group_id", expected_id, out->group_id);
    codec_field(&r, body, "name", true, codec_value_name, out->name);
    codec_field(&r, body, "state", true, codec_value_state, out->state);
    bool have_count;
    parse_group_facts(&r, body, &facts, &have_count);
    /* With a history, the history is the record's timeline and the top-level
     * values are what a PUT sets from today (intake/dated_facts.c); without
     * one, the values hold from the beginning. */
    bool has_history = codec_member(body, "history") != NULL;
    if (has_history)
        out->n_history = parse_history(&r, body, out->history, sizeof out->history[0], entry_fields,
                                       parse_group_entry);
    else
        group_set_initial_facts(out, &facts);
    if (put) {
        put->has_history = has_history;
        put->facts = facts;
    }
    codec_field(&r, body, "dependent_to_30", false, codec_value_bool, &out->dependent_to_30);
    /* Derived (COBRA applies to 20 or more employees); accepted so that a
     * record read with GET can be sent back with PUT, but never trusted. */
    bool cobra;
    if (codec_field(&r, body, "cobra_applies", false, codec_value_bool, &cobra) == CODEC_GOT &&
        have_count && cobra != (facts.employee_count >= 20))
        codec_report_key(&r, "cobra_applies",
                         "must be true exactly when employee_count is 20 or more");
    codec_field(&r, body, "plan_id", true, codec_value_id, out->plan_id);
    struct codec_int_spec waiting = {0, 365, "must be an integer from 0 to 365",
                                     &out->waiting_period_days};
    codec_field(&r, body, "waiting_period_days", false, codec_value_int, &waiting);
    codec_field(&r, body, "leave_continuation", false, codec_value_bool, &out->leave_continuation);
    /* § IV "State requirements": the plan documents' period where the state
     * has no entry in adjudicate/continuation.c's table; absent, the default. */
    struct codec_int_spec state_months = {1, 36, "must be an integer from 1 to 36",
                                          &out->state_continuation_months};
    codec_field(&r, body, "state_continuation_months", false, codec_value_int, &state_months);
    return codec_reader_clean(&r);
}

bool codec_parse_group(struct json_object *body, const char *expected_id, struct group *out,
                       struct codec_field_errors *errs)
{
    return parse_group(body, expected_id, out, NULL, errs);
}

/* ---- member ---- */

static void parse_coverage_span(struct codec_reader *r, struct json_object *o,
                                struct coverage_span *span)
{
    static const char *const fields[] = {
        "plan_id",          "effective", "termination_event", "termination_reported_on", "kind",
        "qualifying_event", "months",    "elected_on",        "disability_ended_on",     NULL};
    codec_reject_unknown(r, o, fields);
    codec_field(r, o, "plan_id", true, codec_value_id, span->plan_id);
    bool have_effective =
        codec_field(r, o, "effective", true, codec_value_date, &span->effective) == CODEC_GOT;
    span->has_termination_event = field_date_not_before(r, o, "termination_event", have_effective,
                                                        span->effective, &span->termination_event);
    /* § III "Reporting terminations": the day the plan learned of it. */
    if (codec_field(r, o, "termination_reported_on", false, codec_value_date,
                    &span->termination_reported_on) == CODEC_GOT) {
        span->has_termination_reported_on = true;
        if (!span->has_termination_event)
            codec_report_key(r, "termination_reported_on", "only allowed with termination_event");
    }
    int kind = codec_required_enum(r, o, "kind", coverage_kind_names, 3,
                                   "must be active, cobra or state_continuation");
    if (kind >= 0)
        span->kind = (enum coverage_kind)kind;
    /* COBRA spans carry their qualifying event and 18, 29 or 36 months
     * (manual § IV "COBRA Continuation"); no other span does. */
    if (kind == COVERAGE_COBRA) {
        codec_field(r, o, "qualifying_event", true, codec_value_date, &span->qualifying_event);
        struct codec_int_spec months = {18, 36, "must be 18, 29 or 36", &span->months};
        if (codec_field(r, o, "months", true, codec_value_int, &months) == CODEC_GOT &&
            span->months != 18 && span->months != 29 && span->months != 36)
            codec_report_key(r, "months", "must be 18, 29 or 36");
        /* § IV "End of COBRA coverage period": the election, after which
         * Medicare or another group plan ends COBRA; by default the span's start. */
        span->elected_on = span->effective;
        codec_field(r, o, "elected_on", false, codec_value_date, &span->elected_on);
        /* The disability extension's end: only for a 29-month span. */
        if (span->months == 29)
            span->has_disability_ended_on =
                codec_field(r, o, "disability_ended_on", false, codec_value_date,
                            &span->disability_ended_on) == CODEC_GOT;
        else if (codec_member(o, "disability_ended_on"))
            codec_report_key(r, "disability_ended_on", "only allowed when months is 29");
    } else if (kind >= 0) {
        static const char *const cobra_only[] = {"qualifying_event", "months", "elected_on",
                                                 "disability_ended_on", NULL};
        for (int i = 0; cobra_only[i]; i++)
            if (codec_member(o, cobra_only[i]))
                codec_report_key(r, cobra_only[i], "only allowed when kind is cobra");
    }
}

static void parse_medicare(struct codec_reader *r, struct json_object *body, struct medicare *m)
{
    static const char *const fields[] = {"basis", "entitlement_date", "part_a", "part_b", NULL};
    size_t mark;
    struct json_object *o = codec_enter_object(r, body, "medicare", false, &mark);
    if (!o)
        return;
    m->present = true;
    codec_reject_unknown(r, o, fields);
    int basis = 0;
    struct codec_enum_spec bases = {medicare_basis_names, 3, "must be age, esrd or disability",
                                    &basis};
    codec_field(r, o, "basis", true, codec_value_enum, &bases);
    m->basis = (enum medicare_basis)basis;
    codec_field(r, o, "entitlement_date", true, codec_value_date, &m->entitlement_date);
    /* Both parts unless the record says otherwise (records stored before the
     * parts were kept meant Medicare as a whole). */
    m->part_a = m->part_b = true;
    codec_field(r, o, "part_a", false, codec_value_bool, &m->part_a);
    codec_field(r, o, "part_b", false, codec_value_bool, &m->part_b);
    codec_path_pop(&r->path, mark);
}

static void parse_other_coverage(struct codec_reader *r, struct json_object *o,
                                 struct other_coverage *oc)
{
    static const char *const fields[] = {
        "payer_name", "kind",        "relationship", "holder_birth_date",
        "effective",  "termination", "cobra",        "active_employment",
        "holder",     NULL};
    codec_reject_unknown(r, o, fields);
    codec_field(r, o, "payer_name", true, codec_value_name, oc->payer_name);
    int kind = 0, rel = 0;
    struct codec_enum_spec kinds = {other_kind_names, 2, "must be group or individual", &kind};
    struct codec_enum_spec rels = {other_relationship_names, 2, "must be employee or dependent",
                                   &rel};
    codec_field(r, o, "kind", true, codec_value_enum, &kinds);
    codec_field(r, o, "relationship", true, codec_value_enum, &rels);
    oc->kind = (enum other_coverage_kind)kind;
    oc->relationship = (enum other_coverage_relationship)rel;
    oc->has_holder_birth_date = codec_field(r, o, "holder_birth_date", false, codec_value_date,
                                            &oc->holder_birth_date) == CODEC_GOT;
    bool have_effective =
        codec_field(r, o, "effective", true, codec_value_date, &oc->effective) == CODEC_GOT;
    oc->has_termination =
        field_date_not_before(r, o, "termination", have_effective, oc->effective, &oc->termination);
    codec_field(r, o, "cobra", false, codec_value_bool, &oc->cobra);
    codec_field(r, o, "active_employment", false, codec_value_bool, &oc->active_employment);
    /* Who holds it, relative to a child of separated parents (NAIC). */
    int holder = 0;
    struct codec_enum_spec holders = {
        holder_names + 1, 4,
        "must be subscriber, subscriber_spouse, other_parent or other_parent_spouse", &holder};
    if (codec_field(r, o, "holder", false, codec_value_enum, &holders) == CODEC_GOT)
        oc->holder = (enum coverage_holder)(holder + 1);
}

/* The NAIC rule for a dependent child of divorced, separated or never-married
 * parents: `parents` {status, custodial_parent, court_decree_responsible}. */
static void parse_parents(struct codec_reader *r, struct json_object *body,
                          struct separated_parents *p)
{
    static const char *const fields[] = {"status", "custodial_parent", "court_decree_responsible",
                                         NULL};
    size_t mark;
    struct json_object *o = codec_enter_object(r, body, "parents", false, &mark);
    if (!o)
        return;
    p->present = true;
    codec_reject_unknown(r, o, fields);
    int status = 0, custodial = 0, decree = 0;
    struct codec_enum_spec statuses = {parents_status_names, 3,
                                       "must be separated, divorced or never_married", &status};
    struct codec_enum_spec custody = {custodial_names, 3,
                                      "must be subscriber, other_parent or joint", &custodial};
    struct codec_enum_spec decrees = {decree_names + 1, 3,
                                      "must be subscriber, other_parent or both", &decree};
    codec_field(r, o, "status", true, codec_value_enum, &statuses);
    codec_field(r, o, "custodial_parent", true, codec_value_enum, &custody);
    p->status = (enum parents_status)status;
    p->custodial = (enum custodial_parent)custodial;
    if (codec_field(r, o, "court_decree_responsible", false, codec_value_enum, &decrees) ==
        CODEC_GOT)
        p->decree = (enum decree_responsible)(decree + 1);
    codec_path_pop(&r->path, mark);
}

static void parse_span_item(struct codec_reader *r, struct json_object *o, void *out,
                            const void *ctx)
{
    (void)ctx;
    parse_coverage_span(r, o, out);
}

static void parse_other_item(struct codec_reader *r, struct json_object *o, void *out,
                             const void *ctx)
{
    (void)ctx;
    parse_other_coverage(r, o, out);
}

bool codec_parse_other_coverage(struct json_object *o, const char *key, struct other_coverage *out,
                                struct codec_field_errors *errs)
{
    memset(out, 0, sizeof *out);
    struct codec_reader r;
    codec_reader_init(&r, errs);
    codec_path_push_key(&r.path, key, strlen(key));
    parse_other_coverage(&r, o, out);
    return codec_reader_clean(&r);
}

/* The member's changing facts from the record or a history entry: absent
 * booleans are false, an absent medicare is none. *given (may be NULL) gets
 * an CODEC_GIVEN_* bit for each one the object holds. */
static void parse_member_facts(struct codec_reader *r, struct json_object *o,
                               struct member_facts *f, unsigned *given)
{
    static const char *const keys[] = {"student", "lives_with_employee", "has_own_dependent",
                                       "handicapped_certified"};
    bool *flags[] = {&f->student, &f->lives_with_employee, &f->has_own_dependent,
                     &f->handicapped_certified};
    unsigned bits = 0;
    for (int i = 0; i < 4; i++)
        if (codec_field(r, o, keys[i], false, codec_value_bool, flags[i]) != CODEC_ABSENT)
            bits |= 1u << i;
    if (codec_member(o, "medicare"))
        bits |= CODEC_GIVEN_MEDICARE;
    parse_medicare(r, o, &f->medicare);
    if (given)
        *given = bits;
}

static void parse_member_entry(struct codec_reader *r, struct json_object *o, void *entry)
{
    parse_member_facts(r, o, &((struct member_facts_entry *)entry)->facts, NULL);
}

/* The member's ids and relationship, checked together; returns the relationship or -1. */
static int parse_member_ids(struct codec_reader *r, struct json_object *body,
                            const char *expected_id, struct member *out)
{
    int problems = codec_problem_count(r);
    field_record_id(r, body, "member_id", expected_id, out->member_id);
    bool have_ids = codec_problem_count(r) == problems;
    have_ids &= codec_field(r, body, "subscriber_id", true, codec_value_id, out->subscriber_id) ==
                CODEC_GOT;
    codec_field(r, body, "group_id", true, codec_value_id, out->group_id);
    int rel = codec_required_enum(r, body, "relationship", relationship_names, 4,
                                  "must be employee, spouse, child or grandchild");
    if (rel >= 0)
        out->relationship = (enum relationship)rel;
    /* API.md: the subscriber's own record has member_id = subscriber_id and
     * relationship employee; a dependent's never does. */
    if (have_ids && rel >= 0) {
        bool self = strcmp(out->member_id, out->subscriber_id) == 0;
        if (self && rel != REL_EMPLOYEE)
            codec_report_key(r, "relationship",
                             "must be employee when member_id equals subscriber_id");
        else if (!self && rel == REL_EMPLOYEE)
            codec_report_key(r, "subscriber_id", "must equal member_id for an employee");
    }
    return rel;
}

/* A grandchild's parent_member_id and a child's parents, refused for other relationships. */
static void parse_member_parents(struct codec_reader *r, struct json_object *body, int rel,
                                 struct member *out)
{
    /* § I: a grandchild is covered while its parent is a covered dependent
     * child: the parent's record. Optional here so that records stored before
     * it existed still read; PUT requires it (intake/admin_api.c). */
    if (rel == REL_GRANDCHILD)
        codec_field(r, body, "parent_member_id", false, codec_value_id, out->parent_member_id);
    else if (rel >= 0 && codec_member(body, "parent_member_id"))
        codec_report_key(r, "parent_member_id", "only allowed when relationship is grandchild");
    if (rel == REL_CHILD)
        parse_parents(r, body, &out->parents);
    else if (rel >= 0 && codec_member(body, "parents"))
        codec_report_key(r, "parents", "only allowed when relationship is child");
}

/* The member's name, birth date, state, marriage date and coverage spans. */
static void parse_member_person(struct codec_reader *r, struct json_object *body,
                                struct member *out)
{
    codec_field(r, body, "first_name", true, codec_value_name, out->first_name);
    codec_field(r, body, "last_name", true, codec_value_name, out->last_name);
    codec_field(r, body, "birth_date", true, codec_value_date, &out->birth_date);
    codec_field(r, body, "state", true, codec_value_state, out->state);
    out->has_married_on =
        codec_field(r, body, "married_on", false, codec_value_date, &out->married_on) == CODEC_GOT;
    static const struct codec_list spans = {"coverage", true, 0, MAX_COVERAGE_SPANS,
                                            "must have at most 20 spans"};
    out->n_coverage = codec_object_list(r, body, &spans, parse_span_item, out->coverage,
                                        sizeof out->coverage[0], NULL);
}

/* The member's changing facts (history or top-level values), and what a PUT sets into *put. */
static void parse_member_timeline(struct codec_reader *r, struct json_object *body,
                                  struct member *out, struct codec_member_put *put)
{
    static const char *const entry_fields[] = {"from",
                                               "reported_on",
                                               "student",
                                               "lives_with_employee",
                                               "has_own_dependent",
                                               "handicapped_certified",
                                               "medicare",
                                               NULL};
    struct member_facts facts;
    memset(&facts, 0, sizeof facts);
    unsigned given;
    parse_member_facts(r, body, &facts, &given);
    /* As for a group: with a history, the history is the timeline and the
     * top-level values are what a PUT sets from today; without one, the
     * values hold from the beginning. */
    bool has_history = codec_member(body, "history") != NULL;
    if (has_history)
        out->n_history = parse_history(r, body, out->history, sizeof out->history[0], entry_fields,
                                       parse_member_entry);
    else
        member_set_initial_facts(out, &facts);
    if (put) {
        put->has_history = has_history;
        put->given = has_history ? given : CODEC_GIVEN_ALL;
        put->facts = facts;
    }
}

/* A member record into *out (and *put, may be NULL); false when errs got a problem. */
static bool parse_member(struct json_object *body, const char *expected_id, struct member *out,
                         struct codec_member_put *put, struct codec_field_errors *errs)
{
    static const char *const fields[] = {"member_id",
                                         "subscriber_id",
                                         "group_id",
                                         "relationship",
                                         "first_name",
                                         "last_name",
                                         "birth_date",
                                         "state",
                                         "student",
                                         "lives_with_employee",
                                         "married_on",
                                         "has_own_dependent",
                                         "handicapped_certified",
                                         "coverage",
                                         "medicare",
                                         "other_coverage",
                                         "parent_member_id",
                                         "parents",
                                         "history",
                                         NULL};
    memset(out, 0, sizeof *out);
    struct codec_reader r;
    if (!codec_reader_open(&r, errs, body, fields))
        return false;
    int rel = parse_member_ids(&r, body, expected_id, out);
    parse_member_parents(&r, body, rel, out);
    parse_member_person(&r, body, out);
    parse_member_timeline(&r, body, out, put);
    static const struct codec_list others = {"other_coverage", false, 0, MAX_OTHER_COVERAGE,
                                             "must have at most 8 entries"};
    out->n_other_coverage =
        codec_object_list(&r, body, &others, parse_other_item, out->other_coverage,
                          sizeof out->other_coverage[0], NULL);
    return codec_reader_clean(&r);
}

bool codec_parse_member(struct json_object *body, const char *expected_id, struct member *out,
                        struct codec_field_errors *errs)
{
    return parse_member(body, expected_id, out, NULL, errs);
}

/* ---- plan ---- */

static void parse_tier_terms(struct codec_reader *r, struct json_object *body, const char *key,
                             bool out_of_network, struct tier_terms *t)
{
    static const char *const in_fields[] = {"deductible_individual", "deductible_family",
                                            "oop_max_individual",    "oop_max_family",
                                            "coinsurance_percent",   NULL};
    static const char *const out_fields[] = {"deductible_individual",
                                             "deductible_family",
                                             "oop_max_individual",
                                             "oop_max_family",
                                             "coinsurance_percent",
                                             "allowed_percent",
                                             NULL};
    size_t mark;
    struct json_object *o = codec_enter_object(r, body, key, true, &mark);
    if (!o)
        return;
    codec_reject_unknown(r, o, out_of_network ? out_fields : in_fields);
    codec_field(r, o, "deductible_individual", true, codec_value_money, &t->deductible_individual);
    codec_field(r, o, "deductible_family", true, codec_value_money, &t->deductible_family);
    codec_field(r, o, "oop_max_individual", true, codec_value_money, &t->oop_max_individual);
    codec_field(r, o, "oop_max_family", true, codec_value_money, &t->oop_max_family);
    struct codec_int_spec coins = {0, 100, "must be an integer from 0 to 100",
                                   &t->coinsurance_percent};
    codec_field(r, o, "coinsurance_percent", true, codec_value_int, &coins);
    if (out_of_network) {
        struct codec_int_spec allowed = {0, 100, "must be an integer from 0 to 100",
                                         &t->allowed_percent};
        codec_field(r, o, "allowed_percent", true, codec_value_int, &allowed);
    }
    codec_path_pop(&r->path, mark);
}

static void parse_copay_rule(struct codec_reader *r, struct json_object *o, void *out,
                             const void *ctx)
{
    static const char *const fields[] = {"procedure_codes", "amount", NULL};
    static const struct codec_list codes = {"procedure_codes", true, 1, MAX_COPAY_CODES,
                                            "must have 1 to 64 codes"};
    struct copay_rule *rule = out;
    (void)ctx;
    codec_reject_unknown(r, o, fields);
    rule->n_procedure_codes =
        codec_value_list(r, o, &codes, codec_value_procedure, rule->procedure_codes,
                         sizeof rule->procedure_codes[0]);
    codec_field(r, o, "amount", true, codec_value_money, &rule->amount);
}

static void parse_pharmacy_tiers(struct codec_reader *r, struct json_object *body,
                                 struct pharmacy_tier_terms tiers[DRUG_TIER_PRICED])
{
    static const char *const fields[] = {"generic", "preferred_brand", "non_preferred", "specialty",
                                         NULL};
    static const char *const term_fields[] = {"copay", "coinsurance_percent", NULL};
    size_t mark;
    struct json_object *o = codec_enter_object(r, body, "pharmacy", true, &mark);
    if (!o)
        return;
    codec_reject_unknown(r, o, fields);
    for (int t = 0; t < DRUG_TIER_PRICED; t++) {
        size_t tier_mark;
        struct json_object *terms = codec_enter_object(r, o, tier_names[t], true, &tier_mark);
        if (!terms)
            continue;
        codec_reject_unknown(r, terms, term_fields);
        struct codec_int_spec coins = {0, 100, "must be an integer from 0 to 100",
                                       &tiers[t].coinsurance_percent};
        bool has_copay = codec_member(terms, "copay") != NULL;
        bool has_coins = codec_member(terms, "coinsurance_percent") != NULL;
        if (has_copay == has_coins)
            codec_report(r, "must have exactly one of copay or coinsurance_percent");
        else if (has_copay)
            tiers[t].is_copay = codec_field(r, terms, "copay", true, codec_value_money,
                                            &tiers[t].copay) == CODEC_GOT;
        else
            codec_field(r, terms, "coinsurance_percent", true, codec_value_int, &coins);
        codec_path_pop(&r->path, tier_mark);
    }
    codec_path_pop(&r->path, mark);
}

static int fee_cmp(const void *a, const void *b)
{
    return strcmp(((const struct fee_entry *)a)->procedure_code,
                  ((const struct fee_entry *)b)->procedure_code);
}

static int formulary_cmp(const void *a, const void *b)
{
    return strcmp(((const struct formulary_entry *)a)->ndc,
                  ((const struct formulary_entry *)b)->ndc);
}

/*
 * A map object under key (fee_schedule, formulary): checks its size and
 * returns it with *n entries, or NULL when absent or reported. Pushes key.
 */
static struct json_object *enter_map(struct codec_reader *r, struct json_object *body,
                                     const char *key, size_t *mark, size_t *n)
{
    struct json_object *o = codec_enter_object(r, body, key, false, mark);
    *n = 0;
    if (!o)
        return NULL;
    *n = (size_t)json_object_object_length(o);
    if (*n > CODEC_MAX_MAP_ENTRIES) {
        codec_report(r, "must have at most 100000 entries");
        codec_path_pop(&r->path, *mark);
        return NULL;
    }
    return o;
}

/* Two keys that normalise to the same code ("0071-0155-23" and
 * "00071015523") would be one entry with two prices: refused. Entries are
 * sorted; `code` gives an entry's key (empty for a key already reported as
 * malformed). Reports at map["code"]. */
static void report_normalised_duplicates(struct codec_reader *r, const void *entries, size_t n,
                                         size_t size, const char *(*code)(const void *))
{
    for (size_t i = 1; i < n; i++) {
        const char *prev = code((const char *)entries + (i - 1) * size);
        const char *cur = code((const char *)entries + i * size);
        if (cur[0] != '\0' && strcmp(prev, cur) == 0 &&
            (i < 2 || strcmp(code((const char *)entries + (i - 2) * size), cur) != 0)) {
            size_t mark = codec_path_push_map_key(&r->path, cur, strlen(cur));
            codec_report(r, "is duplicated");
            codec_path_pop(&r->path, mark);
        }
    }
}

static const char *fee_code(const void *e)
{
    return ((const struct fee_entry *)e)->procedure_code;
}
static const char *formulary_code(const void *e)
{
    return ((const struct formulary_entry *)e)->ndc;
}

static void parse_formulary_entry(struct codec_reader *r, struct json_object *val,
                                  struct formulary_entry *e)
{
    static const char *const fields[] = {"tier", "unit_price", NULL};
    struct json_object *o;
    if (!codec_value_object(r, val, &o))
        return;
    codec_reject_unknown(r, o, fields);
    int tier = codec_required_enum(r, o, "tier", tier_names, 5,
                                   "must be generic, preferred_brand, non_preferred, specialty "
                                   "or excluded");
    if (tier < 0)
        return;
    e->tier = (enum drug_tier)tier;
    /* Excluded drugs carry no price (model.h); every other tier needs one. */
    if (tier == TIER_EXCLUDED) {
        if (codec_member(o, "unit_price"))
            codec_report_key(r, "unit_price", "not allowed for an excluded drug");
    } else {
        e->has_unit_price =
            codec_field(r, o, "unit_price", true, codec_value_money, &e->unit_price) == CODEC_GOT;
    }
}

/* How one code-keyed map of a plan is read (fee_schedule, formulary). */
struct code_map {
    const char *key;         /* the plan's field */
    size_t size;             /* one entry's size */
    const char *key_problem; /* a key that is no such code */
    /* Writes the key's normalised code into the entry; false when it is none. */
    bool (*normalize)(const char *key, size_t len, void *entry);
    /* Reads the value into the entry, reporting its problems. */
    void (*value)(struct codec_reader *r, struct json_object *val, void *entry);
    int (*cmp)(const void *a, const void *b);
    const char *(*code)(const void *entry);
};

/* Reads map m->key of body into *entries (owned, sorted by code, *n of them):
 * each key normalised, each value read, two keys of one code reported.
 * Returns false only when out of memory. */
static bool parse_code_map(struct codec_reader *r, struct json_object *body,
                           const struct code_map *m, void **entries, size_t *n)
{
    size_t mark;
    struct json_object *map = enter_map(r, body, m->key, &mark, n);
    if (!map)
        return true;
    char *all = NULL;
    if (*n > 0 && !(all = calloc(*n, m->size))) {
        *n = 0;
        codec_path_pop(&r->path, mark);
        return false;
    }
    size_t i = 0;
    json_object_object_foreach(map, key, val)
    {
        void *e = all + m->size * i++;
        size_t key_mark = codec_path_push_map_key(&r->path, key, strlen(key));
        if (!m->normalize(key, strlen(key), e))
            codec_report(r, m->key_problem);
        else
            m->value(r, val, e);
        codec_path_pop(&r->path, key_mark);
    }
    if (*n > 0) /* an empty map has no array: qsort's base must not be NULL */
        qsort(all, *n, m->size, m->cmp);
    report_normalised_duplicates(r, all, *n, m->size, m->code);
    codec_path_pop(&r->path, mark);
    *entries = all;
    return true;
}

static bool fee_normalize(const char *key, size_t len, void *e)
{
    return codec_procedure_normalize(key, len, ((struct fee_entry *)e)->procedure_code);
}

static void fee_value(struct codec_reader *r, struct json_object *val, void *e)
{
    codec_value_money(r, val, &((struct fee_entry *)e)->allowed);
}

static bool formulary_normalize(const char *key, size_t len, void *e)
{
    return codec_ndc_normalize(key, len, ((struct formulary_entry *)e)->ndc);
}

static void formulary_value(struct codec_reader *r, struct json_object *val, void *e)
{
    parse_formulary_entry(r, val, e);
}

/* The plan's fee schedule and formulary; false only when out of memory. */
static bool parse_code_maps(struct codec_reader *r, struct json_object *body, struct plan *plan)
{
    static const struct code_map fees = {"fee_schedule",
                                         sizeof(struct fee_entry),
                                         "key must be a 5-character CPT or HCPCS code",
                                         fee_normalize,
                                         fee_value,
                                         fee_cmp,
                                         fee_code};
    static const struct code_map drugs = {"formulary",
                                          sizeof(struct formulary_entry),
                                          "key must be an NDC in 4-4-2, 5-3-2, 5-4-1 or 5-4-2 form",
                                          formulary_normalize,
                                          formulary_value,
                                          formulary_cmp,
                                          formulary_code};
    void *fee_entries = NULL, *drug_entries = NULL;
    bool ok = parse_code_map(r, body, &fees, &fee_entries, &plan->n_fee_schedule);
    plan->fee_schedule = fee_entries;
    ok = ok && parse_code_map(r, body, &drugs, &drug_entries, &plan->n_formulary);
    plan->formulary = drug_entries;
    return ok;
}

static void parse_copays(struct codec_reader *r, struct json_object *body, struct plan *plan)
{
    static const struct codec_list copays = {"copays", false, 0, MAX_COPAY_RULES,
                                             "must have at most 16 copay rules"};
    plan->n_copays = codec_object_list(r, body, &copays, parse_copay_rule, plan->copays,
                                       sizeof plan->copays[0], NULL);
}

enum codec_status codec_parse_plan(struct json_object *body, const char *expected_id,
                                   struct plan *out, struct codec_field_errors *errs)
{
    static const char *const fields[] = {"plan_id",
                                         "name",
                                         "in_network",
                                         "out_of_network",
                                         "copays",
                                         "fee_schedule",
                                         "medical_filing_limit_days",
                                         "pend_days",
                                         "review_threshold",
                                         "pharmacy",
                                         "formulary",
                                         NULL};
    memset(out, 0, sizeof *out);
    struct codec_reader r;
    if (!codec_reader_open(&r, errs, body, fields))
        return CODEC_INVALID;
    field_record_id(&r, body, "plan_id", expected_id, out->plan_id);
    codec_field(&r, body, "name", true, codec_value_name, out->name);
    parse_tier_terms(&r, body, "in_network", false, &out->in_network);
    parse_tier_terms(&r, body, "out_of_network", true, &out->out_of_network);
    parse_copays(&r, body, out);
    /* Defaults when absent: the manual's one-year filing limit and 45 days
     * to answer a request for information (API.md "Plan"). */
    out->medical_filing_limit_days = PLAN_DEFAULT_MEDICAL_FILING_DAYS;
    out->pend_days = PLAN_DEFAULT_PEND_DAYS;
    struct codec_int_spec filing = {1, 3650, "must be an integer from 1 to 3650",
                                    &out->medical_filing_limit_days};
    codec_field(&r, body, "medical_filing_limit_days", false, codec_value_int, &filing);
    struct codec_int_spec pend = {1, 365, "must be an integer from 1 to 365", &out->pend_days};
    codec_field(&r, body, "pend_days", false, codec_value_int, &pend);
    /* Staff review (docs/rules.md "Staff review"): absent or null, none. */
    out->has_review_threshold = codec_field(&r, body, "review_threshold", false, codec_value_money,
                                            &out->review_threshold) == CODEC_GOT;
    parse_pharmacy_tiers(&r, body, out->pharmacy);
    if (!parse_code_maps(&r, body, out)) {
        plan_free(out);
        return CODEC_NO_MEMORY;
    }
    if (!codec_reader_clean(&r)) {
        plan_free(out);
        return CODEC_INVALID;
    }
    return CODEC_OK;
}

/* ---- from bytes ---- */

static const char *const problems_reason = "the record has problems listed in fields";

static enum codec_status edge(const char *bytes, size_t len, struct json_object **body,
                              struct codec_field_errors *errs, const char **reason)
{
    codec_field_errors_init(errs);
    return codec_json_parse(bytes, len, body, errs, reason);
}

static enum codec_status finish(struct json_object *body, bool parsed,
                                const struct codec_field_errors *errs, const char **reason)
{
    json_object_put(body);
    if (!parsed || codec_field_errors_any(errs)) {
        if (reason)
            *reason = problems_reason;
        return CODEC_INVALID;
    }
    return CODEC_OK;
}

/* Parses a group or member record into out (and put, may be NULL); false when errs got a
 * problem. */
typedef bool (*record_parser)(struct json_object *body, const char *expected_id, void *out,
                              void *put, struct codec_field_errors *errs);

static bool group_record(struct json_object *body, const char *expected_id, void *out, void *put,
                         struct codec_field_errors *errs)
{
    return parse_group(body, expected_id, out, put, errs);
}

static bool member_record(struct json_object *body, const char *expected_id, void *out, void *put,
                          struct codec_field_errors *errs)
{
    return parse_member(body, expected_id, out, put, errs);
}

/* A group or member record from a request's bytes, read by parse: the edge's status, or
 * CODEC_OK, or CODEC_INVALID with *reason set. */
static enum codec_status record_from_body(const char *bytes, size_t len, record_parser parse,
                                          const char *expected_id, void *out, void *put,
                                          struct codec_field_errors *errs, const char **reason)
{
    struct json_object *body;
    enum codec_status status = edge(bytes, len, &body, errs, reason);
    if (status != CODEC_OK)
        return status;
    return finish(body, parse(body, expected_id, out, put, errs), errs, reason);
}

enum codec_status codec_group_from_body(const char *bytes, size_t len, const char *expected_id,
                                        struct group *out, struct codec_field_errors *errs,
                                        const char **reason)
{
    return record_from_body(bytes, len, group_record, expected_id, out, NULL, errs, reason);
}

enum codec_status codec_member_from_body(const char *bytes, size_t len, const char *expected_id,
                                         struct member *out, struct codec_field_errors *errs,
                                         const char **reason)
{
    return record_from_body(bytes, len, member_record, expected_id, out, NULL, errs, reason);
}

enum codec_status codec_group_put_from_body(const char *bytes, size_t len, const char *expected_id,
                                            struct group *out, struct codec_group_put *put,
                                            struct codec_field_errors *errs, const char **reason)
{
    return record_from_body(bytes, len, group_record, expected_id, out, put, errs, reason);
}

enum codec_status codec_member_put_from_body(const char *bytes, size_t len, const char *expected_id,
                                             struct member *out, struct codec_member_put *put,
                                             struct codec_field_errors *errs, const char **reason)
{
    return record_from_body(bytes, len, member_record, expected_id, out, put, errs, reason);
}

enum codec_status codec_plan_from_body(const char *bytes, size_t len, const char *expected_id,
                                       struct plan *out, struct codec_field_errors *errs,
                                       const char **reason)
{
    struct json_object *body;
    enum codec_status status = edge(bytes, len, &body, errs, reason);
    if (status != CODEC_OK)
        return status;
    status = codec_parse_plan(body, expected_id, out, errs);
    json_object_put(body);
    if (status == CODEC_OK && codec_field_errors_any(errs)) {
        plan_free(out); /* duplicate keys found at the edge */
        status = CODEC_INVALID;
    }
    if (status == CODEC_INVALID && reason)
        *reason = problems_reason;
    else if (status == CODEC_NO_MEMORY && reason)
        *reason = "out of memory";
    return status;
}

/* ---- canonical JSON ---- */

static int put_date_or_null(struct json_object *o, const char *key, bool has, date_t d)
{
    return has ? codec_put_date(o, key, d) : codec_put_null(o, key);
}

static int put_fact_dates(struct json_object *o, const struct fact_dates *d)
{
    return put_date_or_null(o, "from", d->has_from, d->from) ||
           put_date_or_null(o, "reported_on", d->has_reported_on, d->reported_on);
}

static int put_group_facts(struct json_object *o, const struct group_facts *f)
{
    return codec_put_int(o, "employee_count", f->employee_count) ||
           codec_put_string(o, "medicare_certification",
                            certification_names[f->medicare_certification]);
}

/* A history's n entries, `stride` bytes apart (each starting with its struct fact_dates), as a
 * JSON array: each entry's dates, then its facts written by put_facts. NULL when out of memory. */
static struct json_object *history_to_json(const void *history, int n, size_t stride,
                                           int (*put_facts)(struct json_object *o,
                                                            const void *entry))
{
    struct json_object *a = json_object_new_array();
    for (int i = 0; a && i < n; i++) {
        const void *entry = (const char *)history + (size_t)i * stride;
        struct json_object *e = json_object_new_object();
        if (codec_append(a, e) || put_fact_dates(e, entry) || put_facts(e, entry)) {
            json_object_put(a);
            return NULL;
        }
    }
    return a;
}

static int put_group_entry(struct json_object *o, const void *entry)
{
    return put_group_facts(o, &((const struct group_facts_entry *)entry)->facts);
}

struct json_object *codec_group_to_json(const struct group *g, date_t as_of)
{
    struct json_object *o = json_object_new_object();
    const struct group_facts *f = group_facts_on(g, as_of);
    if (!o || codec_put_string(o, "group_id", g->group_id) ||
        codec_put_string(o, "name", g->name) || codec_put_string(o, "state", g->state) ||
        put_group_facts(o, f) || codec_put_bool(o, "dependent_to_30", g->dependent_to_30) ||
        codec_put_bool(o, "cobra_applies", group_cobra_applies_on(g, as_of)) ||
        codec_put_string(o, "plan_id", g->plan_id) ||
        codec_put_int(o, "waiting_period_days", g->waiting_period_days) ||
        codec_put_bool(o, "leave_continuation", g->leave_continuation) ||
        (g->state_continuation_months > 0
             ? codec_put_int(o, "state_continuation_months", g->state_continuation_months)
             : codec_put_null(o, "state_continuation_months")) ||
        codec_put(
            o, "history",
            history_to_json(g->history, g->n_history, sizeof g->history[0], put_group_entry))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static struct json_object *span_to_json(const struct coverage_span *s)
{
    struct json_object *o = json_object_new_object();
    if (!o || codec_put_string(o, "plan_id", s->plan_id) ||
        codec_put_date(o, "effective", s->effective) ||
        put_date_or_null(o, "termination_event", s->has_termination_event, s->termination_event) ||
        /* Written only when known: spans stored before it existed read back unchanged. */
        (s->has_termination_reported_on &&
         codec_put_date(o, "termination_reported_on", s->termination_reported_on)) ||
        codec_put_string(o, "kind", coverage_kind_names[s->kind]) ||
        (s->kind == COVERAGE_COBRA && (codec_put_date(o, "qualifying_event", s->qualifying_event) ||
                                       codec_put_int(o, "months", s->months) ||
                                       codec_put_date(o, "elected_on", s->elected_on))) ||
        (s->kind == COVERAGE_COBRA && s->months == 29 &&
         put_date_or_null(o, "disability_ended_on", s->has_disability_ended_on,
                          s->disability_ended_on))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static struct json_object *other_coverage_to_json(const struct other_coverage *c)
{
    struct json_object *o = json_object_new_object();
    if (!o || codec_put_string(o, "payer_name", c->payer_name) ||
        codec_put_string(o, "kind", other_kind_names[c->kind]) ||
        codec_put_string(o, "relationship", other_relationship_names[c->relationship]) ||
        put_date_or_null(o, "holder_birth_date", c->has_holder_birth_date, c->holder_birth_date) ||
        codec_put_date(o, "effective", c->effective) ||
        put_date_or_null(o, "termination", c->has_termination, c->termination) ||
        codec_put_bool(o, "cobra", c->cobra) ||
        codec_put_bool(o, "active_employment", c->active_employment) ||
        (c->holder != HOLDER_UNKNOWN ? codec_put_string(o, "holder", holder_names[c->holder])
                                     : codec_put_null(o, "holder"))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static struct json_object *medicare_to_json(const struct medicare *m)
{
    struct json_object *o = json_object_new_object();
    if (!o || codec_put_string(o, "basis", medicare_basis_names[m->basis]) ||
        codec_put_date(o, "entitlement_date", m->entitlement_date) ||
        codec_put_bool(o, "part_a", m->part_a) || codec_put_bool(o, "part_b", m->part_b)) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static struct json_object *parents_to_json(const struct separated_parents *p)
{
    struct json_object *o = json_object_new_object();
    if (!o || codec_put_string(o, "status", parents_status_names[p->status]) ||
        codec_put_string(o, "custodial_parent", custodial_names[p->custodial]) ||
        (p->decree != DECREE_NONE
             ? codec_put_string(o, "court_decree_responsible", decree_names[p->decree])
             : codec_put_null(o, "court_decree_responsible"))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static int put_member_flags(struct json_object *o, const struct member_facts *f)
{
    return codec_put_bool(o, "student", f->student) ||
           codec_put_bool(o, "lives_with_employee", f->lives_with_employee) ||
           codec_put_bool(o, "has_own_dependent", f->has_own_dependent) ||
           codec_put_bool(o, "handicapped_certified", f->handicapped_certified);
}

static int put_medicare(struct json_object *o, const struct medicare *m)
{
    return m->present ? codec_put(o, "medicare", medicare_to_json(m))
                      : codec_put_null(o, "medicare");
}

static int put_member_entry(struct json_object *o, const void *entry)
{
    const struct member_facts *f = &((const struct member_facts_entry *)entry)->facts;
    return put_member_flags(o, f) || put_medicare(o, &f->medicare);
}

struct json_object *codec_member_to_json(const struct member *m, date_t as_of)
{
    const struct member_facts *f = member_facts_on(m, as_of);
    struct json_object *o = json_object_new_object();
    struct json_object *coverage = json_object_new_array();
    struct json_object *other = json_object_new_array();
    if (!o || !coverage || !other)
        goto fail;
    for (int i = 0; i < m->n_coverage; i++)
        if (codec_append(coverage, span_to_json(&m->coverage[i])))
            goto fail;
    for (int i = 0; i < m->n_other_coverage; i++)
        if (codec_append(other, other_coverage_to_json(&m->other_coverage[i])))
            goto fail;
    if (codec_put_string(o, "member_id", m->member_id) ||
        codec_put_string(o, "subscriber_id", m->subscriber_id) ||
        codec_put_string(o, "group_id", m->group_id) ||
        codec_put_string(o, "relationship", relationship_names[m->relationship]) ||
        (m->relationship == REL_GRANDCHILD &&
         (m->parent_member_id[0] ? codec_put_string(o, "parent_member_id", m->parent_member_id)
                                 : codec_put_null(o, "parent_member_id"))) ||
        (m->relationship == REL_CHILD &&
         (m->parents.present ? codec_put(o, "parents", parents_to_json(&m->parents))
                             : codec_put_null(o, "parents"))) ||
        codec_put_string(o, "first_name", m->first_name) ||
        codec_put_string(o, "last_name", m->last_name) ||
        codec_put_date(o, "birth_date", m->birth_date) || codec_put_string(o, "state", m->state) ||
        codec_put_bool(o, "student", f->student) ||
        codec_put_bool(o, "lives_with_employee", f->lives_with_employee) ||
        put_date_or_null(o, "married_on", m->has_married_on, m->married_on) ||
        codec_put_bool(o, "has_own_dependent", f->has_own_dependent) ||
        codec_put_bool(o, "handicapped_certified", f->handicapped_certified))
        goto fail;
    int rc = codec_put(o, "coverage", coverage);
    coverage = NULL; /* owned by o, or freed */
    if (rc)
        goto fail;
    if (put_medicare(o, &f->medicare))
        goto fail;
    rc = codec_put(o, "other_coverage", other);
    other = NULL;
    if (rc || codec_put(o, "history",
                        history_to_json(m->history, m->n_history, sizeof m->history[0],
                                        put_member_entry)))
        goto fail;
    return o;
fail:
    json_object_put(coverage);
    json_object_put(other);
    json_object_put(o);
    return NULL;
}

static struct json_object *tier_terms_to_json(const struct tier_terms *t, bool out_of_network)
{
    struct json_object *o = json_object_new_object();
    if (!o || codec_put_money(o, "deductible_individual", t->deductible_individual) ||
        codec_put_money(o, "deductible_family", t->deductible_family) ||
        codec_put_money(o, "oop_max_individual", t->oop_max_individual) ||
        codec_put_money(o, "oop_max_family", t->oop_max_family) ||
        codec_put_int(o, "coinsurance_percent", t->coinsurance_percent) ||
        (out_of_network && codec_put_int(o, "allowed_percent", t->allowed_percent))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static struct json_object *copays_to_json(const struct plan *p)
{
    struct json_object *a = json_object_new_array();
    if (!a)
        return NULL;
    for (int i = 0; i < p->n_copays; i++) {
        const struct copay_rule *rule = &p->copays[i];
        struct json_object *o = json_object_new_object();
        struct json_object *codes = json_object_new_array();
        if (codec_append(a, o)) {
            json_object_put(codes);
            goto fail;
        }
        if (codec_put(o, "procedure_codes", codes))
            goto fail;
        for (int j = 0; j < rule->n_procedure_codes; j++)
            if (codec_append(codes, json_object_new_string(rule->procedure_codes[j])))
                goto fail;
        if (codec_put_money(o, "amount", rule->amount))
            goto fail;
    }
    return a;
fail:
    json_object_put(a);
    return NULL;
}

/* A JSON object that put_one(o, p, i) fills for each i below n; NULL when out of memory. */
static struct json_object *plan_map_to_json(const struct plan *p, size_t n,
                                            int (*put_one)(struct json_object *o,
                                                           const struct plan *p, size_t i))
{
    struct json_object *o = json_object_new_object();
    for (size_t i = 0; o && i < n; i++)
        if (put_one(o, p, i)) {
            json_object_put(o);
            return NULL;
        }
    return o;
}

static int put_pharmacy_tier(struct json_object *o, const struct plan *p, size_t t)
{
    const struct pharmacy_tier_terms *tier = &p->pharmacy[t];
    struct json_object *terms = json_object_new_object();
    return codec_put(o, tier_names[t], terms) ||
           (tier->is_copay
                ? codec_put_money(terms, "copay", tier->copay)
                : codec_put_int(terms, "coinsurance_percent", tier->coinsurance_percent));
}

static int put_fee(struct json_object *o, const struct plan *p, size_t i)
{
    return codec_put_money(o, p->fee_schedule[i].procedure_code, p->fee_schedule[i].allowed);
}

static int put_formulary_entry(struct json_object *o, const struct plan *p, size_t i)
{
    const struct formulary_entry *e = &p->formulary[i];
    struct json_object *entry = json_object_new_object();
    return codec_put(o, e->ndc, entry) || codec_put_string(entry, "tier", tier_names[e->tier]) ||
           (e->has_unit_price && codec_put_money(entry, "unit_price", e->unit_price));
}

struct json_object *codec_plan_to_json(const struct plan *p)
{
    struct json_object *o = json_object_new_object();
    if (!o || codec_put_string(o, "plan_id", p->plan_id) || codec_put_string(o, "name", p->name) ||
        codec_put(o, "in_network", tier_terms_to_json(&p->in_network, false)) ||
        codec_put(o, "out_of_network", tier_terms_to_json(&p->out_of_network, true)) ||
        codec_put(o, "copays", copays_to_json(p)) ||
        codec_put(o, "fee_schedule", plan_map_to_json(p, p->n_fee_schedule, put_fee)) ||
        codec_put_int(o, "medical_filing_limit_days", p->medical_filing_limit_days) ||
        codec_put_int(o, "pend_days", p->pend_days) ||
        (p->has_review_threshold && codec_put_money(o, "review_threshold", p->review_threshold)) ||
        codec_put(o, "pharmacy", plan_map_to_json(p, DRUG_TIER_PRICED, put_pharmacy_tier)) ||
        codec_put(o, "formulary", plan_map_to_json(p, p->n_formulary, put_formulary_entry))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* ---- A per-thread cache of parsed records ---- */

enum cache_kind { CACHE_MEMBER, CACHE_GROUP, CACHE_PLAN, CACHE_KINDS };

struct cache_entry {
    uint64_t hash;
    size_t len;
    char *text; /* the record's text, compared in full; NULL: the entry is empty */
    char id[ID_LEN];
    unsigned long used;  /* the lookup count at the last hit (least recently used goes) */
    unsigned long batch; /* a plan handed out in this batch stays */
    void *value; /* a struct member, group or plan (which owns its fee schedule and formulary) */
};

/* Sets of WAYS entries, the set chosen by the hash. Members: two a claim,
 * up to 2,048 kept (about 9 MB a thread when full); plans: few, but each
 * worth a great deal. */
static const size_t cache_sets[CACHE_KINDS] = {512, 64, 1};
static const size_t cache_ways[CACHE_KINDS] = {4, 4, 32};
static const size_t cache_value_size[CACHE_KINDS] = {sizeof(struct member), sizeof(struct group),
                                                     sizeof(struct plan)};

struct codec_enrollment_cache {
    struct cache_entry *entries[CACHE_KINDS];
    unsigned long clock, batch, hits, parses;
};

struct codec_enrollment_cache *codec_enrollment_cache_new(void)
{
    struct codec_enrollment_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (int k = 0; k < CACHE_KINDS; k++)
        if (!(c->entries[k] = calloc(cache_sets[k] * cache_ways[k], sizeof *c->entries[k]))) {
            codec_enrollment_cache_free(c);
            return NULL;
        }
    c->batch = 1;
    return c;
}

static void entry_clear(enum cache_kind kind, struct cache_entry *e)
{
    if (e->value && kind == CACHE_PLAN && e->text)
        plan_free(e->value);
    free(e->value);
    free(e->text);
    memset(e, 0, sizeof *e);
}

void codec_enrollment_cache_free(struct codec_enrollment_cache *c)
{
    if (!c)
        return;
    for (int k = 0; k < CACHE_KINDS; k++)
        for (size_t i = 0; c->entries[k] && i < cache_sets[k] * cache_ways[k]; i++)
            entry_clear((enum cache_kind)k, &c->entries[k][i]);
    for (int k = 0; k < CACHE_KINDS; k++)
        free(c->entries[k]);
    free(c);
}

void codec_enrollment_cache_begin(struct codec_enrollment_cache *c)
{
    c->batch++;
}

void codec_enrollment_cache_counts(const struct codec_enrollment_cache *c, unsigned long *hits,
                                   unsigned long *parses)
{
    *hits = c->hits;
    *parses = c->parses;
}

/* A 64-bit hash of the id and the text (eight bytes a step); equal hashes are
 * only a hint, the text is compared in full. */
static uint64_t record_hash(const char *id, const char *text, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
    for (const char *s = id; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, text + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    for (; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 0x100000001b3ull;
    return h ^ (h >> 32);
}

/* The entry holding exactly (id, text), or NULL. */
static struct cache_entry *cache_find(struct codec_enrollment_cache *c, enum cache_kind kind,
                                      uint64_t hash, const char *id, const char *text, size_t len)
{
    struct cache_entry *set = &c->entries[kind][(hash % cache_sets[kind]) * cache_ways[kind]];
    for (size_t w = 0; w < cache_ways[kind]; w++) {
        struct cache_entry *e = &set[w];
        if (e->text && e->hash == hash && e->len == len && strcmp(e->id, id) == 0 &&
            memcmp(e->text, text, len) == 0) {
            e->used = ++c->clock;
            c->hits++;
            return e;
        }
    }
    return NULL;
}

/* An emptied entry of the set for (id, text), its text copied and its value
 * allocated; NULL when every entry is a plan handed out in this batch, or
 * when out of memory (the caller then keeps what it parsed). */
static struct cache_entry *cache_claim(struct codec_enrollment_cache *c, enum cache_kind kind,
                                       uint64_t hash, const char *id, const char *text, size_t len)
{
    struct cache_entry *set = &c->entries[kind][(hash % cache_sets[kind]) * cache_ways[kind]];
    struct cache_entry *victim = NULL;
    for (size_t w = 0; w < cache_ways[kind]; w++) {
        struct cache_entry *e = &set[w];
        if (kind == CACHE_PLAN && e->text && e->batch == c->batch)
            continue;
        if (!victim || !e->text || (victim->text && e->used < victim->used))
            victim = e;
        if (!e->text)
            break;
    }
    if (!victim)
        return NULL;
    entry_clear(kind, victim);
    victim->text = malloc(len + 1);
    victim->value = malloc(cache_value_size[kind]);
    if (!victim->text || !victim->value) {
        entry_clear(kind, victim);
        return NULL;
    }
    memcpy(victim->text, text, len + 1);
    victim->len = len;
    victim->hash = hash;
    snprintf(victim->id, sizeof victim->id, "%s", id);
    victim->used = ++c->clock;
    return victim;
}

/* Whether (id, text) can be cached at all: an id to key it by, short enough to keep. */
static bool cacheable(const char *id, const char *text)
{
    return id && text && strlen(id) < ID_LEN;
}

/* A record's place in the cache: its id and text, the text's length and their hash. */
struct cache_key {
    const char *id, *text;
    size_t len;
    uint64_t hash;
};

/* Fills *k for (id, text) and returns the entry holding them (errs emptied), or NULL on a
 * miss or without a cache. */
static struct cache_entry *cache_lookup(struct codec_enrollment_cache *c, enum cache_kind kind,
                                        const char *id, const char *text, struct cache_key *k,
                                        struct codec_field_errors *errs)
{
    *k = (struct cache_key){id, text, text ? strlen(text) : 0, 0};
    if (!c || !cacheable(id, text))
        return NULL;
    k->hash = record_hash(id, text, k->len);
    struct cache_entry *e = cache_find(c, kind, k->hash, id, text, k->len);
    if (e)
        codec_field_errors_init(errs);
    return e;
}

/* Counts a parse of k's text and, when it parsed, returns an entry to keep the value in
 * (NULL: not kept). */
static struct cache_entry *cache_keep(struct codec_enrollment_cache *c, enum cache_kind kind,
                                      bool parsed, const struct cache_key *k)
{
    if (!c)
        return NULL;
    c->parses++;
    return parsed && cacheable(k->id, k->text)
               ? cache_claim(c, kind, k->hash, k->id, k->text, k->len)
               : NULL;
}

/* A member or group record through the cache: a hit copies the parsed
 * record; a miss parses it (parse) and keeps it when it parsed. */
static bool cached_record(struct codec_enrollment_cache *c, enum cache_kind kind,
                          record_parser parse, const char *text, const char *expected_id, void *out,
                          size_t size, struct codec_field_errors *errs)
{
    struct cache_key k;
    struct cache_entry *e = cache_lookup(c, kind, expected_id, text, &k, errs);
    if (e) {
        memcpy(out, e->value, size);
        return true;
    }
    struct json_object *o = text ? json_tokener_parse(text) : NULL;
    codec_field_errors_init(errs);
    bool ok = o && parse(o, expected_id, out, NULL, errs);
    if (o)
        json_object_put(o);
    if ((e = cache_keep(c, kind, ok, &k)))
        memcpy(e->value, out, size);
    return ok;
}

bool codec_cached_member(struct codec_enrollment_cache *c, const char *text,
                         const char *expected_id, struct member *out,
                         struct codec_field_errors *errs)
{
    return cached_record(c, CACHE_MEMBER, member_record, text, expected_id, out, sizeof *out, errs);
}

bool codec_cached_group(struct codec_enrollment_cache *c, const char *text, const char *expected_id,
                        struct group *out, struct codec_field_errors *errs)
{
    return cached_record(c, CACHE_GROUP, group_record, text, expected_id, out, sizeof *out, errs);
}

enum codec_status codec_cached_plan(struct codec_enrollment_cache *c, const char *text,
                                    const char *expected_id, struct plan *out, bool *owned,
                                    struct codec_field_errors *errs)
{
    *owned = true;
    struct cache_key k;
    struct cache_entry *e = cache_lookup(c, CACHE_PLAN, expected_id, text, &k, errs);
    if (e) {
        e->batch = c->batch;
        memcpy(out, e->value, sizeof *out);
        *owned = false;
        return CODEC_OK;
    }
    struct json_object *o = text ? json_tokener_parse(text) : NULL;
    codec_field_errors_init(errs);
    enum codec_status rc = o ? codec_parse_plan(o, expected_id, out, errs) : CODEC_INVALID;
    if (o)
        json_object_put(o);
    if ((e = cache_keep(c, CACHE_PLAN, rc == CODEC_OK, &k))) {
        /* The cache takes the plan's tables; the caller shares them. */
        memcpy(e->value, out, sizeof *out);
        e->batch = c->batch;
        *owned = false;
    }
    return rc;
}
