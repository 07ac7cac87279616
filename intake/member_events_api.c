/*
 * POST /v1/members/{member_id}/events (admin, staff): an enrollment event
 * (docs/api.md "Member events"). The body is checked here; the family's
 * records and group are read in one step (queue/family_write.h), the event
 * is applied by the pure rules of adjudicate/lifecycle.c, and every changed
 * or new record is written in one atomic compare-and-set that also moves the
 * family version on. When the family changed between the read and the write
 * the whole step runs again (at most CALL_WRITE_ATTEMPTS times).
 */
#include "member_events_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicate/lifecycle.h"
#include "codec/json_edge.h"
#include "codec/json_read.h"
#include "codec/parse_enrollment.h"
#include "intake/dated_facts.h"
#include "intake/recoveries.h"
#include "log.h"
#include "queue/enrollment.h"
#include "queue/family_write.h"

struct event_state {
    struct adj_lifecycle_event ev;
    struct adj_lifecycle_family fam;
    struct group group;
    char subscriber_id[ID_LEN];
    char group_id[ID_LEN];
    char *path_record;                        /* the path member's stored record */
    char *expected[ADJ_LIFECYCLE_MAX_FAMILY]; /* each family record as read ("" when new) */
    char family_ids[QUEUE_FAMILY_MAX][ID_LEN];
    size_t n_family_ids;
    char *answer; /* the record answered */
    int attempts;
    char action[48]; /* the audit action: "member.event.<event>" */
};

static void clear_read(struct event_state *es)
{
    for (int i = 0; i < ADJ_LIFECYCLE_MAX_FAMILY; i++) {
        free(es->expected[i]);
        es->expected[i] = NULL;
    }
    free(es->answer);
    es->answer = NULL;
}

static void event_state_free(void *p)
{
    struct event_state *es = p;
    if (!es)
        return;
    clear_read(es);
    free(es->path_record);
    free(es);
}

/* ---- the body ---- */

static const char *const medicare_bases[] = {"age", "esrd", "disability"};

/* The fields each event takes besides event, date and reported_on. */
static const char *const *event_fields(enum adj_lifecycle_event_kind kind)
{
    static const char *const adds[] = {"event", "date", "reported_on", "member", NULL};
    static const char *const plain[] = {"event", "date", "reported_on", NULL};
    static const char *const student[] = {"event", "date", "reported_on", "student", NULL};
    static const char *const household[] = {
        "event", "date", "reported_on", "lives_with_employee", "has_own_dependent", NULL};
    static const char *const handicapped[] = {"event", "date", "reported_on",
                                              "handicapped_certified", NULL};
    static const char *const medicare[] = {"event",  "date",   "reported_on", "basis",
                                           "part_a", "part_b", NULL};
    static const char *const other[] = {"event", "date", "reported_on", "other_coverage", NULL};
    static const char *const cobra[] = {"event",  "date",   "reported_on", "qualifying_event",
                                        "reason", "months", NULL};
    if (adj_lifecycle_event_adds_allowed(kind))
        return adds;
    switch (kind) {
    case ADJ_EVENT_STUDENT_STATUS: return student;
    case ADJ_EVENT_HOUSEHOLD_STATUS: return household;
    case ADJ_EVENT_HANDICAPPED_STATUS: return handicapped;
    case ADJ_EVENT_MEDICARE_ENTITLEMENT: return medicare;
    case ADJ_EVENT_OTHER_GROUP_COVERAGE: return other;
    case ADJ_EVENT_COBRA_ELECTION: return cobra;
    default: return plain;
    }
}

/* Copies the problems of a nested parse under `prefix` ("member."). */
static void add_prefixed(struct codec_field_errors *errs, const char *prefix,
                         const struct codec_field_errors *inner)
{
    for (int i = 0; i < inner->count; i++) {
        char path[CODEC_PATH_MAX];
        snprintf(path, sizeof path, "%s%s%s", prefix, inner->items[i].field[0] ? "." : "",
                 inner->items[i].field);
        codec_field_errors_add(errs, path, inner->items[i].problem);
    }
}

/* The person an event adds: a member record without coverage (the event
 * derives it). For a hire its member_id must be the path's. */
static void parse_added(struct codec_reader *r, struct json_object *body, const char *hire_id,
                        struct adj_lifecycle_event *ev, struct codec_field_errors *errs)
{
    struct json_object *o = codec_member(body, "member"); /* null counts as absent */
    if (!o)
        return;
    if (!json_object_is_type(o, json_type_object)) {
        codec_report_key(r, "member", CODEC_P_OBJECT);
        return;
    }
    ev->has_member = true;
    if (json_object_object_get_ex(o, "coverage", NULL)) {
        codec_field_errors_add(errs, "member.coverage",
                               "must be left out: the event derives the coverage");
        return;
    }
    struct json_object *copy = NULL;
    if (json_object_deep_copy(o, &copy, NULL) != 0 || !copy) {
        codec_report_key(r, "member", "could not be read (out of memory)");
        return;
    }
    json_object_object_add(copy, "coverage", json_object_new_array());
    struct codec_field_errors *inner = malloc(sizeof *inner);
    if (!inner) {
        json_object_put(copy);
        codec_report_key(r, "member", "could not be read (out of memory)");
        return;
    }
    codec_field_errors_init(inner);
    codec_parse_member(copy, hire_id, &ev->member, inner);
    add_prefixed(errs, "member", inner);
    free(inner);
    json_object_put(copy);
}

/* The event's name, date and reported_on; returns whether ev->kind is a known event. */
static bool parse_event_head(struct codec_reader *r, struct json_object *body, date_t today,
                             struct adj_lifecycle_event *ev)
{
    struct json_object *name = codec_member(body, "event");
    bool known = false;
    if (!name)
        codec_report_key(r, "event", CODEC_P_REQUIRED);
    else if (!json_object_is_type(name, json_type_string))
        codec_report_key(r, "event", CODEC_P_STRING);
    else if (!(known = adj_lifecycle_event_parse(json_object_get_string(name), &ev->kind)))
        codec_report_key(r, "event", "is not a known event (docs/api.md \"Member events\")");
    codec_field(r, body, "date", true, codec_value_date, &ev->date);
    ev->reported_on = today;
    if (codec_field(r, body, "reported_on", false, codec_value_date, &ev->reported_on) ==
            CODEC_GOT &&
        date_cmp(ev->reported_on, today) > 0)
        codec_report_key(r, "reported_on", CODEC_P_FUTURE);
    return known;
}

/* A medicare_entitlement's basis, part_a and part_b. */
static void parse_medicare_event(struct codec_reader *r, struct json_object *body,
                                 struct adj_lifecycle_event *ev)
{
    int basis = 0;
    struct codec_enum_spec bases = {medicare_bases, 3, "must be age, esrd or disability", &basis};
    codec_field(r, body, "basis", true, codec_value_enum, &bases);
    ev->medicare.basis = (enum medicare_basis)basis;
    codec_field(r, body, "part_a", true, codec_value_bool, &ev->medicare.part_a);
    codec_field(r, body, "part_b", true, codec_value_bool, &ev->medicare.part_b);
}

/* An other_group_coverage's entry, effective on the event's date (which it must not name). */
static void parse_other_coverage_event(struct codec_reader *r, struct json_object *body,
                                       struct adj_lifecycle_event *ev,
                                       struct codec_field_errors *errs)
{
    struct json_object *o = codec_member(body, "other_coverage");
    if (!o) {
        codec_report_key(r, "other_coverage", CODEC_P_REQUIRED);
    } else if (!json_object_is_type(o, json_type_object)) {
        codec_report_key(r, "other_coverage", CODEC_P_OBJECT);
    } else if (json_object_object_get_ex(o, "effective", NULL)) {
        codec_field_errors_add(errs, "other_coverage.effective",
                               "must be left out: the event's date is its effective date");
    } else {
        struct json_object *copy = NULL;
        if (json_object_deep_copy(o, &copy, NULL) != 0 || !copy) {
            codec_report_key(r, "other_coverage", "could not be read (out of memory)");
            return;
        }
        char d[DATE_STRLEN];
        json_object_object_add(copy, "effective", json_object_new_string(date_format(ev->date, d)));
        codec_parse_other_coverage(copy, "other_coverage", &ev->other_coverage, errs);
        json_object_put(copy);
    }
}

/* A cobra_election's qualifying_event, reason and months. */
static void parse_cobra_event(struct codec_reader *r, struct json_object *body,
                              struct adj_lifecycle_event *ev)
{
    codec_field(r, body, "qualifying_event", true, codec_value_date, &ev->qualifying_event);
    struct json_object *reason = codec_member(body, "reason");
    if (!reason)
        codec_report_key(r, "reason", CODEC_P_REQUIRED);
    else if (!json_object_is_type(reason, json_type_string) ||
             !adj_lifecycle_cobra_reason_parse(json_object_get_string(reason), &ev->cobra_reason))
        codec_report_key(r, "reason",
                         "must be termination_of_employment, reduction_of_hours, divorce, "
                         "legal_separation, death_of_employee, medicare_entitlement or "
                         "loss_of_dependent_status");
    struct codec_int_spec months = {18, 36, "must be 18, 29 or 36", &ev->cobra_months};
    if (codec_field(r, body, "months", true, codec_value_int, &months) == CODEC_GOT &&
        ev->cobra_months != 18 && ev->cobra_months != 29 && ev->cobra_months != 36)
        codec_report_key(r, "months", "must be 18, 29 or 36");
}

/* The fields only an event of ev->kind carries. */
static void parse_event_fields(struct codec_reader *r, struct json_object *body,
                               struct adj_lifecycle_event *ev, struct codec_field_errors *errs)
{
    switch (ev->kind) {
    case ADJ_EVENT_STUDENT_STATUS:
        codec_field(r, body, "student", true, codec_value_bool, &ev->flag);
        break;
    case ADJ_EVENT_HOUSEHOLD_STATUS:
        codec_field(r, body, "lives_with_employee", true, codec_value_bool, &ev->flag);
        ev->has_own_dependent_given =
            codec_field(r, body, "has_own_dependent", false, codec_value_bool,
                        &ev->has_own_dependent) == CODEC_GOT;
        break;
    case ADJ_EVENT_HANDICAPPED_STATUS:
        codec_field(r, body, "handicapped_certified", true, codec_value_bool, &ev->flag);
        break;
    case ADJ_EVENT_MEDICARE_ENTITLEMENT: parse_medicare_event(r, body, ev); break;
    case ADJ_EVENT_OTHER_GROUP_COVERAGE: parse_other_coverage_event(r, body, ev, errs); break;
    case ADJ_EVENT_COBRA_ELECTION: parse_cobra_event(r, body, ev); break;
    default: break;
    }
}

/* Reads the body into ev, reporting every problem to errs. */
static void parse_event(struct json_object *body, const char *path_id, date_t today,
                        struct adj_lifecycle_event *ev, struct codec_field_errors *errs)
{
    struct codec_reader r;
    memset(ev, 0, sizeof *ev);
    if (!codec_reader_open(&r, errs, body, NULL))
        return;
    if (!parse_event_head(&r, body, today, ev))
        return;
    codec_reject_unknown(&r, body, event_fields(ev->kind));
    if (adj_lifecycle_event_adds_allowed(ev->kind))
        parse_added(&r, body, ev->kind == ADJ_EVENT_HIRE ? path_id : NULL, ev, errs);
    parse_event_fields(&r, body, ev, errs);
}

/* ---- answering ---- */

/*
 * The single place where the recoveries work (GET /v1/recoveries, branch
 * `recov`) hooks in: called after an event's records were written, with
 * whether the event set a termination event on any span (a retroactive
 * termination may make paid claims recoverable, § III "Reporting
 * terminations"). Nothing to do until that hook exists.
 */
static void audit_event(struct call *call);

/* The scan is over (its failure is logged and does not undo the event). */
static void on_scanned(bool ok, void *arg)
{
    (void)ok;
    audit_event(arg);
}

/* After the family's records are written: its paid claims are checked
 * against them before the answer (docs/api.md "Recoveries"), whatever the
 * event: a termination may leave paid claims on dates no longer covered, and
 * a return to work may withdraw such a recovery. */
static void member_events_after_write(struct call *call)
{
    struct event_state *es = call->state;
    intake_recoveries_scan_family_then(call->app, es->subscriber_id, on_scanned, call);
}

static void respond(struct call *call)
{
    struct event_state *es = call->state;
    if (!intake_call_audited(call))
        return;
    log_info("member event stored event=%s request_id=%s", adj_lifecycle_event_name(es->ev.kind),
             call->req->request_id);
    intake_call_respond(call, 200, JSON_CONTENT_TYPE, es->answer, strlen(es->answer));
}

static void read_path_member(struct call *call);

static void on_written(enum queue_status status, void *arg)
{
    struct call *call = arg;
    struct event_state *es = call->state;
    if (status == QUEUE_CONFLICT) {
        if (++es->attempts < CALL_WRITE_ATTEMPTS) {
            clear_read(es);
            read_path_member(call);
            return;
        }
        intake_call_error(call, 409, "conflict",
                          "the family's records kept changing while the event was applied; retry");
        return;
    }
    if (!intake_call_queue_ok(call, status))
        return;
    member_events_after_write(call);
}

static void audit_event(struct call *call)
{
    struct event_state *es = call->state;
    intake_call_audit(call, NULL, es->action, respond);
}

static const char *latest_plan(const struct member *m)
{
    return m->n_coverage ? m->coverage[m->n_coverage - 1].plan_id : "";
}

/* Encodes every changed record and writes them together. */
static void write_family(struct call *call)
{
    struct event_state *es = call->state;
    struct adj_lifecycle_family *f = &es->fam;
    char *json[ADJ_LIFECYCLE_MAX_FAMILY] = {0};
    struct queue_family_record recs[ADJ_LIFECYCLE_MAX_FAMILY];
    const char *ids[QUEUE_FAMILY_MAX];
    size_t n = 0;
    bool ok = true;
    for (int i = 0; i < f->n && ok; i++) {
        if (!f->changed[i] && i != f->answer)
            continue;
        struct json_object *o = codec_member_to_json(&f->members[i], date_today());
        json[i] = o ? strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) : NULL;
        json_object_put(o);
        if (!json[i]) {
            ok = false;
            break;
        }
        if (i == f->answer)
            es->answer = strdup(json[i]);
        if (!f->changed[i])
            continue;
        const struct member *m = &f->members[i];
        recs[n++] =
            (struct queue_family_record){m->member_id, es->expected[i] ? es->expected[i] : "",
                                         json[i],      m->subscriber_id,
                                         m->group_id,  latest_plan(m)};
    }
    for (size_t i = 0; i < es->n_family_ids; i++)
        ids[i] = es->family_ids[i];
    int rc = -1;
    if (ok && es->answer)
        rc = n == 0 ? 0
                    : queue_family_write(call->app->redis, intake_call_key_prefix(call),
                                         es->subscriber_id, ids, es->n_family_ids, recs, n,
                                         on_written, call);
    for (int i = 0; i < ADJ_LIFECYCLE_MAX_FAMILY; i++)
        free(json[i]);
    if (!ok || !es->answer) {
        intake_call_out_of_memory(call);
        return;
    }
    if (rc != 0) {
        intake_call_unavailable(call);
        return;
    }
    if (n == 0) /* nothing changed (a fact set to the value it had): answer as it stands */
        intake_call_audit(call, NULL, es->action, respond);
}

/* 422: the family has no room for another member (ADJ_LIFECYCLE_MAX_FAMILY). */
static void family_too_large(struct call *call)
{
    intake_call_invalid_field(call, "member_id", "has a family of more than 23 members",
                              "the event cannot be applied");
}

static void on_family(enum queue_status status, const struct queue_family *family, void *arg)
{
    struct call *call = arg;
    struct event_state *es = call->state;
    struct adj_lifecycle_family *f = &es->fam;
    bool hire = es->ev.kind == ADJ_EVENT_HIRE;
    if (status == QUEUE_CONFLICT) {
        family_too_large(call);
        return;
    }
    if (!intake_call_queue_ok(call, status))
        return;
    if (!family->group) {
        intake_call_invalid_field(call, hire ? "member.group_id" : "group_id",
                                  "is not a known group",
                                  "the event refers to records that do not exist");
        return;
    }
    if (es->ev.has_member && family->added) {
        intake_call_error(call, 409, "conflict", "a member with the id to add exists already");
        return;
    }
    if (!intake_group_from_text(family->group, es->group_id, &es->group)) {
        intake_call_error(call, 500, "internal", "a stored record could not be read");
        return;
    }
    memset(f, 0, sizeof *f);
    f->path = -1;
    es->n_family_ids = family->n;
    for (size_t i = 0; i < family->n; i++) {
        snprintf(es->family_ids[i], ID_LEN, "%s", family->ids[i]);
        if (!family->records[i])
            continue; /* a set member without a record: nothing to change */
        int at = f->n;
        if (at >= ADJ_LIFECYCLE_MAX_FAMILY - 1) { /* room is kept for a person the event adds */
            family_too_large(call);
            return;
        }
        if (!intake_member_from_text(family->records[i], family->ids[i], &f->members[at])) {
            intake_call_error(call, 500, "internal", "a stored record could not be read");
            return;
        }
        if (!(es->expected[at] = strdup(family->records[i]))) {
            intake_call_out_of_memory(call);
            return;
        }
        if (strcmp(family->ids[i], call->path_id) == 0)
            f->path = at;
        f->n++;
    }
    if (!hire && f->path < 0) {
        /* The record exists but its family set does not list it (a record
         * stored before family sets were kept): it joins its family now. */
        int at = f->n;
        if (at >= ADJ_LIFECYCLE_MAX_FAMILY - 1 ||
            !intake_member_from_text(es->path_record, call->path_id, &f->members[at]) ||
            !(es->expected[at] = strdup(es->path_record))) {
            intake_call_error(call, 500, "internal", "a stored record could not be read");
            return;
        }
        f->path = at;
        f->n++;
    }
    struct adj_lifecycle_refusal refusal;
    if (!adj_lifecycle_apply(&es->ev, &es->group, date_today(), f, &refusal)) {
        bool late = strcmp(refusal.code, ADJ_LIFECYCLE_LATE) == 0;
        intake_call_refuse_field(call, refusal.code,
                                 late ? "the event was reported after its enrollment window closed"
                                      : "the event does not fit the member's records",
                                 refusal.field, refusal.problem);
        return;
    }
    write_family(call);
}

static void read_family(struct call *call)
{
    struct event_state *es = call->state;
    const char *added = es->ev.has_member ? es->ev.member.member_id : NULL;
    if (queue_family_read(call->app->redis, intake_call_key_prefix(call), es->subscriber_id,
                          es->group_id, added, on_family, call) != 0)
        intake_call_unavailable(call);
}

static void on_path_member(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct call *call = arg;
    struct event_state *es = call->state;
    if (status != QUEUE_OK || n != 1) {
        intake_call_unavailable(call);
        return;
    }
    if (es->ev.kind == ADJ_EVENT_HIRE) {
        if (json[0]) {
            intake_call_error(call, 409, "conflict", "a member with the id to add exists already");
            return;
        }
        read_family(call);
        return;
    }
    if (!json[0]) {
        intake_call_not_found(call);
        return;
    }
    struct member *m = malloc(sizeof *m);
    if (!m) {
        intake_call_out_of_memory(call);
        return;
    }
    bool ok = intake_member_from_text(json[0], call->path_id, m);
    if (ok) {
        snprintf(es->subscriber_id, sizeof es->subscriber_id, "%s", m->subscriber_id);
        snprintf(es->group_id, sizeof es->group_id, "%s", m->group_id);
    }
    free(m);
    free(es->path_record);
    es->path_record = ok ? strdup(json[0]) : NULL;
    if (!es->path_record) {
        intake_call_error(call, 500, "internal", "a stored record could not be read");
        return;
    }
    read_family(call);
}

static void read_path_member(struct call *call)
{
    struct queue_record_ref ref = {QUEUE_RECORD_MEMBER, call->path_id};
    if (queue_get_records(call->app->redis, intake_call_key_prefix(call), &ref, 1, on_path_member,
                          call) != 0)
        intake_call_unavailable(call);
}

/* The body into the call's event_state, each problem into errs. */
static void read_event_body(struct call *call, struct json_object *body,
                            struct codec_field_errors *errs)
{
    struct event_state *es = call->state;
    parse_event(body, call->path_id, date_today(), &es->ev, errs);
}

static void events_authed(struct call *call)
{
    struct event_state *es = call->state;
    if (!intake_call_require_staff(call) || !intake_call_require_record_id(call) ||
        !intake_call_read_body(call, read_event_body, "the event has problems listed in fields"))
        return;
    snprintf(es->action, sizeof es->action, "member.event.%s",
             adj_lifecycle_event_name(es->ev.kind));
    if (es->ev.kind == ADJ_EVENT_HIRE) {
        /* The new employee is its own subscriber; the group is the record's. */
        snprintf(es->subscriber_id, sizeof es->subscriber_id, "%s", call->path_id);
        snprintf(es->group_id, sizeof es->group_id, "%s", es->ev.member.group_id);
    }
    read_path_member(call);
}

void intake_member_events_post(struct call *call)
{
    intake_call_open(call, NULL, sizeof(struct event_state), event_state_free, events_authed);
}
