/*
 * Enrollment administration and tokens. Records are checked as strictly as
 * claims (codec/parse_enrollment.c) and stored as their canonical JSON; a
 * member's group, plans and subscriber must exist, so that adjudication
 * never meets a dangling reference.
 */
#include "admin_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "codec/codes.h"
#include "intake/dated_facts.h"
#include "codec/json_edge.h"
#include "codec/json_read.h"
#include "codec/parse_enrollment.h"
#include "intake/recoveries.h"
#include "log.h"
#include "queue/enrollment.h"
#include "queue/record_cas.h"
#include "queue/token_cache.h"
#include "queue/tokens.h"

/* What a 422 of a record's own fields says. */
#define RECORD_PROBLEMS "the record has problems listed in fields"

static const char *kind_name(enum record_kind kind)
{
    return kind == RECORD_GROUP ? "group" : kind == RECORD_MEMBER ? "member" : "plan";
}

static enum queue_record_kind stored_kind(enum record_kind kind)
{
    return kind == RECORD_GROUP    ? QUEUE_RECORD_GROUP
           : kind == RECORD_MEMBER ? QUEUE_RECORD_MEMBER
                                   : QUEUE_RECORD_PLAN;
}

struct put_state {
    enum record_kind kind;
    char *json;                         /* canonical record */
    struct member member;               /* RECORD_MEMBER */
    struct group group;                 /* RECORD_GROUP */
    struct codec_member_put member_put; /* the body's history and top-level facts */
    struct codec_group_put group_put;
    char *current; /* RECORD_GROUP: the stored text the change was made on */
    int attempts;  /* RECORD_GROUP: reads of it (a concurrent write reads again) */
    char old_subscriber[ID_LEN];
    bool existed;
};

static void put_state_free(void *p)
{
    struct put_state *ps = p;
    if (ps) {
        free(ps->json);
        free(ps->current);
    }
    free(ps);
}

static void put_respond(struct call *call)
{
    struct put_state *ps = call->state;
    if (!intake_call_audited(call))
        return;
    log_info("%s stored request_id=%s", kind_name(ps->kind), call->req->request_id);
    intake_call_respond(call, ps->existed ? 200 : 201, JSON_CONTENT_TYPE, ps->json,
                        strlen(ps->json));
}

static void audit_put(struct call *call)
{
    struct put_state *ps = call->state;
    call->action = NULL;
    intake_call_audit(call, NULL,
                      kind_name(ps->kind)[0] == 'g'   ? "group.put"
                      : kind_name(ps->kind)[0] == 'm' ? "member.put"
                                                      : "plan.put",
                      put_respond);
}

/* The record is stored whatever the scan did (a failed scan is logged and
 * runs again with the family's next write). */
static void on_scanned(bool ok, void *arg)
{
    (void)ok;
    audit_put(arg);
}

static void on_stored(enum queue_status status, bool existed, void *arg)
{
    struct call *call = arg;
    struct put_state *ps = call->state;
    if (!intake_call_queue_ok(call, status))
        return;
    ps->existed = existed;
    if (ps->kind == RECORD_MEMBER) {
        /* A member's record can end coverage retroactively: the family's paid
         * claims are checked before the answer (docs/api.md "Recoveries"),
         * and the old family's too when the member moved. */
        const struct member *m = &ps->member;
        if (ps->old_subscriber[0] && strcmp(ps->old_subscriber, m->subscriber_id) != 0)
            intake_recoveries_scan_family(call->app, ps->old_subscriber);
        intake_recoveries_scan_family_then(call->app, m->subscriber_id, on_scanned, call);
        return;
    }
    audit_put(call);
}

/*
 * A member's or group's dated facts (docs/api.md "Dated facts"): the body's
 * history, else the stored record's (`current`, NULL when there is none),
 * else the body's values from the beginning; then each top-level value that
 * differs from the timeline's as of today is a change from today. The
 * record's canonical JSON (as of today) goes to ps->json. Answers the call
 * and returns false when it cannot go on.
 */
static bool settle_dated_facts(struct call *call, const char *current)
{
    struct put_state *ps = call->state;
    date_t today = date_today();
    int rc;
    struct json_object *canonical;
    if (ps->kind == RECORD_MEMBER) {
        struct member *stored =
            current && !ps->member_put.has_history ? malloc(sizeof *stored) : NULL;
        if (stored && intake_member_from_text(current, NULL, stored))
            intake_member_keep_history(&ps->member, stored);
        free(stored);
        rc = intake_member_apply_put(&ps->member, &ps->member_put, today);
        canonical = rc == 0 ? codec_member_to_json(&ps->member, today) : NULL;
    } else {
        struct group *stored =
            current && !ps->group_put.has_history ? malloc(sizeof *stored) : NULL;
        if (stored && intake_group_from_text(current, NULL, stored))
            intake_group_keep_history(&ps->group, stored);
        free(stored);
        rc = intake_group_apply_put(&ps->group, &ps->group_put, today);
        canonical = rc == 0 ? codec_group_to_json(&ps->group, today) : NULL;
    }
    if (rc != 0) {
        intake_call_invalid_field(call, "history", "must have at most 64 entries", RECORD_PROBLEMS);
        return false;
    }
    return intake_call_json_text(call, canonical, &ps->json);
}

static void read_group_refs(struct call *call);

/* A group is written only if it still holds the text its dated facts were
 * settled on (a group event may have landed since): otherwise it is read
 * and settled again. */
static void on_group_replaced(enum queue_status status, void *arg)
{
    struct call *call = arg;
    struct put_state *ps = call->state;
    if ((status == QUEUE_CONFLICT || status == QUEUE_NOT_FOUND) &&
        ps->attempts < CALL_WRITE_ATTEMPTS) {
        read_group_refs(call);
        return;
    }
    on_stored(status == QUEUE_OK ? QUEUE_OK : QUEUE_UNAVAILABLE, ps->current != NULL, call);
}

/* Writes the record (and a member's family set and reference) in one
 * transaction. */
static void store_record(struct call *call)
{
    struct put_state *ps = call->state;
    if (ps->kind == RECORD_GROUP) {
        if (queue_replace_record(call->app->redis, intake_call_key_prefix(call), QUEUE_RECORD_GROUP,
                                 call->path_id, ps->current, ps->json, on_group_replaced,
                                 call) != 0)
            intake_call_unavailable(call);
        return;
    }
    const struct member *m = &ps->member;
    struct queue_member_facts facts = {
        .member_id = m->member_id,
        .subscriber_id = m->subscriber_id,
        .group_id = m->group_id,
        .latest_plan_id = m->n_coverage ? m->coverage[m->n_coverage - 1].plan_id : "",
    };
    if (queue_put_record(call->app->redis, intake_call_key_prefix(call), stored_kind(ps->kind),
                         call->path_id, ps->json, ps->kind == RECORD_MEMBER ? &facts : NULL,
                         ps->old_subscriber, on_stored, call) != 0)
        intake_call_unavailable(call);
}

/* The member's references: the group, the subscriber (unless self), the
 * member's current record (for a family change) and each coverage plan. */
/* Whether the stored member record `json` is the employee's own record of
 * subscriber_id: relationship "employee" and its own subscriber. */
static bool is_employee_record(const char *json, const char *subscriber_id)
{
    struct json_object *o = json_tokener_parse(json), *rel = NULL, *sub = NULL;
    bool ok = o && json_object_object_get_ex(o, "relationship", &rel) &&
              json_object_object_get_ex(o, "subscriber_id", &sub) &&
              strcmp(json_object_get_string(rel), "employee") == 0 &&
              strcmp(json_object_get_string(sub), subscriber_id) == 0;
    if (o)
        json_object_put(o);
    return ok;
}

/* Whether the stored member record `json` is a dependent child of
 * subscriber_id (a grandchild's parent, § I). */
static bool is_child_record(const char *json, const char *subscriber_id)
{
    struct json_object *o = json_tokener_parse(json), *rel = NULL, *sub = NULL;
    bool ok = o && json_object_object_get_ex(o, "relationship", &rel) &&
              json_object_object_get_ex(o, "subscriber_id", &sub) &&
              strcmp(json_object_get_string(rel), "child") == 0 &&
              strcmp(json_object_get_string(sub), subscriber_id) == 0;
    if (o)
        json_object_put(o);
    return ok;
}

static void on_member_refs(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct call *call = arg;
    struct put_state *ps = call->state;
    const struct member *m = &ps->member;
    if (!intake_call_queue_ok(call, status))
        return;
    struct codec_field_errors *errs = malloc(sizeof *errs);
    if (!errs) {
        intake_call_out_of_memory(call);
        return;
    }
    codec_field_errors_init(errs);
    size_t i = 0;
    if (!json[i++])
        codec_field_errors_add(errs, "group_id", "is not a known group");
    const char *subscriber = json[i++];
    if (!subscriber && strcmp(m->subscriber_id, m->member_id) != 0)
        codec_field_errors_add(errs, "subscriber_id", "is not a known member");
    else if (subscriber && strcmp(m->subscriber_id, m->member_id) != 0 &&
             !is_employee_record(subscriber, m->subscriber_id))
        /* A child named as subscriber would give that child's token a
         * subscriber's rights over the family (issue 16, finding 8). */
        codec_field_errors_add(errs, "subscriber_id",
                               "must name an employee's own record (relationship employee)");
    const char *current = json[i++];
    /* § I: a grandchild names its parent, a dependent child of the same
     * subscriber (records stored before the field existed still read). */
    if (m->relationship == REL_GRANDCHILD) {
        const char *parent = m->parent_member_id[0] ? json[i++] : NULL;
        if (!m->parent_member_id[0])
            codec_field_errors_add(errs, "parent_member_id", "is required for a grandchild");
        else if (!parent)
            codec_field_errors_add(errs, "parent_member_id", "is not a known member");
        else if (!is_child_record(parent, m->subscriber_id))
            codec_field_errors_add(errs, "parent_member_id",
                                   "must name a child of the same subscriber (relationship child)");
    }
    if (current) {
        struct json_object *old = json_tokener_parse(current), *sub = NULL;
        if (old && json_object_object_get_ex(old, "subscriber_id", &sub))
            snprintf(ps->old_subscriber, sizeof ps->old_subscriber, "%s",
                     json_object_get_string(sub));
        if (old)
            json_object_put(old);
    }
    for (int c = 0; c < m->n_coverage && i < n; c++, i++) {
        if (!json[i]) {
            char path[64];
            snprintf(path, sizeof path, "coverage[%d].plan_id", c);
            codec_field_errors_add(errs, path, "is not a known plan");
        }
    }
    if (!intake_call_fields_checked(call, errs, "the record refers to records that do not exist"))
        return;
    if (settle_dated_facts(call, current))
        store_record(call);
}

/* The group's plan and the group's current record. */
static void on_group_refs(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct call *call = arg;
    struct put_state *ps = call->state;
    if (status != QUEUE_OK || n != 2) {
        intake_call_unavailable(call);
        return;
    }
    if (!json[0]) {
        intake_call_invalid_field(call, "plan_id", "is not a known plan",
                                  "the record refers to records that do not exist");
        return;
    }
    free(ps->current);
    ps->current = json[1] ? strdup(json[1]) : NULL;
    if (json[1] && !ps->current) {
        intake_call_out_of_memory(call);
        return;
    }
    if (settle_dated_facts(call, json[1]))
        store_record(call);
}

/* The group's plan and its stored record, read again on a retry after the
 * body is parsed again (settling changed ps->group). */
static void read_group_refs(struct call *call)
{
    struct put_state *ps = call->state;
    if (ps->attempts++ > 0) {
        struct codec_field_errors *errs = malloc(sizeof *errs);
        const char *reason;
        enum codec_status st =
            errs ? codec_group_put_from_body(call->req->body, call->req->body_len, call->path_id,
                                             &ps->group, &ps->group_put, errs, &reason)
                 : CODEC_NO_MEMORY;
        free(errs);
        free(ps->json);
        ps->json = NULL;
        if (st != CODEC_OK) { /* it parsed the first time: only memory can fail */
            intake_call_out_of_memory(call);
            return;
        }
    }
    struct queue_record_ref refs[2] = {{QUEUE_RECORD_PLAN, ps->group.plan_id},
                                       {QUEUE_RECORD_GROUP, ps->group.group_id}};
    if (queue_get_records(call->app->redis, intake_call_key_prefix(call), refs, 2, on_group_refs,
                          call) != 0)
        intake_call_unavailable(call);
}

/* Parses the PUT body as a ps->kind record (a plan into *canonical); its intake status. */
static enum codec_status parse_put_body(struct call *call, struct codec_field_errors *errs,
                                        const char **reason, struct json_object **canonical)
{
    struct put_state *ps = call->state;
    const char *body = call->req->body;
    size_t len = call->req->body_len;
    if (ps->kind == RECORD_GROUP)
        return codec_group_put_from_body(body, len, call->path_id, &ps->group, &ps->group_put, errs,
                                         reason);
    if (ps->kind == RECORD_MEMBER)
        return codec_member_put_from_body(body, len, call->path_id, &ps->member, &ps->member_put,
                                          errs, reason);
    struct plan plan;
    enum codec_status st = codec_plan_from_body(body, len, call->path_id, &plan, errs, reason);
    if (st == CODEC_OK) {
        *canonical = codec_plan_to_json(&plan);
        plan_free(&plan);
    }
    return st;
}

/* Refuses (422) a record whose history was reported after today; true when it did. */
static bool refuse_future_report(struct call *call)
{
    /* A history's reported_on is a day already passed (or today). */
    struct put_state *ps = call->state;
    int future = ps->kind == RECORD_MEMBER ? intake_member_reported_after(&ps->member, date_today())
                 : ps->kind == RECORD_GROUP ? intake_group_reported_after(&ps->group, date_today())
                                            : -1;
    if (future < 0)
        return false;
    char field[48];
    snprintf(field, sizeof field, "history[%d].reported_on", future);
    intake_call_invalid_field(call, field, CODEC_P_FUTURE, RECORD_PROBLEMS);
    return true;
}

/* Reads and checks the PUT body into the call's state; false when the call was answered. */
static bool read_put_body(struct call *call)
{
    struct put_state *ps = call->state;
    struct codec_field_errors *errs = malloc(sizeof *errs);
    if (!errs) {
        intake_call_out_of_memory(call);
        return false;
    }
    const char *reason = NULL;
    struct json_object *canonical = NULL;
    enum codec_status st = parse_put_body(call, errs, &reason, &canonical);
    if (st != CODEC_OK) {
        if (st == CODEC_NO_MEMORY)
            intake_call_out_of_memory(call);
        else
            intake_call_invalid(call, codec_status_http(st), reason, errs);
        free(errs);
        return false;
    }
    free(errs);
    if (refuse_future_report(call))
        return false;
    return ps->kind != RECORD_PLAN || intake_call_json_text(call, canonical, &ps->json);
}

/* Reads the records a member refers to; on_member_refs goes on. */
static void read_member_refs(struct call *call)
{
    struct put_state *ps = call->state;
    const struct member *m = &ps->member;
    _Static_assert(4 + MAX_COVERAGE_SPANS <= QUEUE_RECORDS_MAX,
                   "a member's references are read in one call");
    struct queue_record_ref refs[4 + MAX_COVERAGE_SPANS] = {
        {QUEUE_RECORD_GROUP, m->group_id},
        {QUEUE_RECORD_MEMBER, m->subscriber_id},
        {QUEUE_RECORD_MEMBER, m->member_id},
    };
    size_t n_refs = 3;
    if (m->relationship == REL_GRANDCHILD && m->parent_member_id[0])
        refs[n_refs++] = (struct queue_record_ref){QUEUE_RECORD_MEMBER, m->parent_member_id};
    for (int i = 0; i < m->n_coverage; i++)
        refs[n_refs++] = (struct queue_record_ref){QUEUE_RECORD_PLAN, m->coverage[i].plan_id};
    if (queue_get_records(call->app->redis, intake_call_key_prefix(call), refs, n_refs,
                          on_member_refs, call) != 0)
        intake_call_unavailable(call);
}

/* PUT of a record by an admin: the body, then the records it refers to, then the store. */
static void put_authed(struct call *call)
{
    struct put_state *ps = call->state;
    if (!intake_call_require_admin(call) || !intake_call_require_record_id(call) ||
        !intake_call_require_json(call) || !read_put_body(call))
        return;
    if (ps->kind == RECORD_MEMBER)
        read_member_refs(call);
    else if (ps->kind == RECORD_GROUP)
        read_group_refs(call);
    else
        store_record(call);
}

void intake_admin_put_record(struct call *call, enum record_kind kind)
{
    intake_call_open(call, &(struct put_state){.kind = kind}, sizeof(struct put_state),
                     put_state_free, put_authed);
}

/* ---- GET a record ---- */

struct get_state {
    enum record_kind kind;
    date_t as_of; /* a member's or group's facts as of this date (default today) */
    char *json;
};

/*
 * A stored member or group record as it stands on `as_of`: its history whole
 * and its changing facts at the top level as of that date (the stored text
 * has them as of the day it was written). NULL when out of memory; a record
 * that does not parse is answered as stored.
 */
static char *record_as_of(enum record_kind kind, const char *stored, date_t as_of)
{
    struct json_object *o = json_tokener_parse(stored), *view = NULL;
    struct codec_field_errors *errs = malloc(sizeof *errs);
    void *record = malloc(kind == RECORD_MEMBER ? sizeof(struct member) : sizeof(struct group));
    bool parsed = false;
    if (o && errs && record) {
        codec_field_errors_init(errs);
        if (kind == RECORD_MEMBER && codec_parse_member(o, NULL, record, errs)) {
            parsed = true;
            view = codec_member_to_json(record, as_of);
        } else if (kind == RECORD_GROUP && codec_parse_group(o, NULL, record, errs)) {
            parsed = true;
            view = codec_group_to_json(record, as_of);
        }
    }
    char *text = NULL;
    if (!o || !errs || !record)
        text = NULL;
    else if (!parsed)
        text = strdup(stored);
    else if (view)
        text = strdup(json_object_to_json_string_ext(view, JSON_C_TO_STRING_PLAIN));
    json_object_put(view);
    if (o)
        json_object_put(o);
    free(errs);
    free(record);
    return text;
}

static void get_state_free(void *p)
{
    struct get_state *gs = p;
    if (gs)
        free(gs->json);
    free(gs);
}

static void get_respond(struct call *call)
{
    struct get_state *gs = call->state;
    if (!intake_call_audited(call))
        return;
    intake_call_respond(call, 200, JSON_CONTENT_TYPE, gs->json, strlen(gs->json));
}

static void on_record(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct call *call = arg;
    struct get_state *gs = call->state;
    if (!intake_call_one_record(call, status, json, n))
        return;
    gs->json =
        gs->kind == RECORD_PLAN ? strdup(json[0]) : record_as_of(gs->kind, json[0], gs->as_of);
    if (!gs->json) {
        intake_call_out_of_memory(call);
        return;
    }
    /* A member record is personal information: its reads are audited. */
    if (gs->kind == RECORD_MEMBER)
        intake_call_audit(call, NULL, "member.read", get_respond);
    else
        intake_call_respond(call, 200, JSON_CONTENT_TYPE, gs->json, strlen(gs->json));
}

static void get_authed(struct call *call)
{
    struct get_state *gs = call->state;
    bool allowed =
        call->who.role == AUTH_ADMIN || (gs->kind == RECORD_MEMBER && call->who.role == AUTH_STAFF);
    if (!allowed) {
        intake_call_forbidden(call);
        return;
    }
    if (!intake_call_require_record_id(call))
        return;
    /* ?as_of=YYYY-MM-DD: a member's or group's facts as of that date. */
    char buf[64];
    int rc =
        gs->kind == RECORD_PLAN ? 0 : intake_http_query_get(call->req, "as_of", buf, sizeof buf);
    gs->as_of = date_today();
    if (rc != 0 && (rc < 0 || !date_parse(buf, &gs->as_of))) {
        intake_call_invalid_field(call, "as_of", "must be a date YYYY-MM-DD",
                                  "the query has problems listed in fields");
        return;
    }
    struct queue_record_ref ref = {stored_kind(gs->kind), call->path_id};
    if (queue_get_records(call->app->redis, intake_call_key_prefix(call), &ref, 1, on_record,
                          call) != 0)
        intake_call_unavailable(call);
}

void intake_admin_get_record(struct call *call, enum record_kind kind)
{
    intake_call_open(call, &(struct get_state){.kind = kind}, sizeof(struct get_state),
                     get_state_free, get_authed);
}

/* ---- POST /v1/tokens ---- */

struct token_state {
    enum auth_role role;
    char member_id[ID_LEN];
    char npi[NPI_LEN];
    char token[TOKEN_TEXT_LEN];
    char token_id[CLAIM_ID_LEN];
};

static void token_state_free(void *p)
{
    struct token_state *ts = p;
    if (ts) /* the token's text never outlives the request */
        memset(ts->token, 0, sizeof ts->token);
    free(ts);
}

static void token_respond(struct call *call)
{
    struct token_state *ts = call->state;
    if (!intake_call_audited(call))
        return;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "token", json_object_new_string(ts->token));
    json_object_object_add(o, "token_id", json_object_new_string(ts->token_id));
    json_object_object_add(o, "role", json_object_new_string(intake_auth_role_name(ts->role)));
    if (ts->member_id[0])
        json_object_object_add(o, "member_id", json_object_new_string(ts->member_id));
    if (ts->npi[0])
        json_object_object_add(o, "npi", json_object_new_string(ts->npi));
    log_info("token created token_id=%s role=%s", ts->token_id, intake_auth_role_name(ts->role));
    intake_call_json(call, 201, o);
}

static void on_token_stored(int status, void *arg)
{
    intake_call_audit_stored(arg, status == 0 ? QUEUE_OK : QUEUE_UNAVAILABLE, "token.create",
                             token_respond);
}

static void token_store(struct call *call)
{
    struct token_state *ts = call->state;
    const char *prefix = intake_call_key_prefix(call);
    if (queue_token_generate(ts->token) != 0) {
        intake_call_error(call, 500, "internal", "no randomness available");
        return;
    }
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, ts->token_id);
    char hash[TOKEN_HASH_HEX_LEN], now[32];
    queue_token_hash_hex(ts->token, strlen(ts->token), hash);
    rfc3339_now(now);
    struct token_record rec = {0};
    snprintf(rec.token_id, sizeof rec.token_id, "%s", ts->token_id);
    snprintf(rec.role, sizeof rec.role, "%s", intake_auth_role_name(ts->role));
    snprintf(rec.member_id, sizeof rec.member_id, "%s", ts->member_id);
    snprintf(rec.npi, sizeof rec.npi, "%s", ts->npi);
    if (queue_tokens_store_async(call->app->redis, prefix, hash, &rec, now, on_token_stored,
                                 call) != 0)
        intake_call_unavailable(call);
}

/* The body of POST /v1/tokens: the person the token acts for. */
static void read_token_body(struct call *call, struct json_object *body,
                            struct codec_field_errors *errs)
{
    struct token_state *ts = call->state;
    intake_call_read_principal(body, "token", errs, &ts->role, ts->member_id, ts->npi);
}

static void token_authed(struct call *call)
{
    struct token_state *ts = call->state;
    if (!intake_call_require_admin(call) ||
        !intake_call_read_body(call, read_token_body, "the token request is not valid"))
        return;
    if (ts->role == AUTH_MEMBER)
        intake_call_require_member(call, ts->member_id,
                                   "the token names a member that does not exist", token_store);
    else
        token_store(call);
}

void intake_admin_post_token(struct call *call)
{
    intake_call_open(call, NULL, sizeof(struct token_state), token_state_free, token_authed);
}

/* ---- DELETE /v1/tokens/{id} ---- */

static void token_deleted(struct call *call)
{
    if (!intake_call_audited(call))
        return;
    log_info("token revoked token_id=%s", call->path_id);
    intake_call_respond(call, 204, NULL, "", 0);
}

/* The token is gone from Redis and its hash is published to every process;
 * this process drops it from its own cache at once, so that its next
 * request with that token is refused whatever the subscriber's pace. */
static void on_token_revoked(int status, const char *hash, void *arg)
{
    struct call *call = arg;
    if (status < 0) {
        intake_call_unavailable(call);
        return;
    }
    if (status == 0) {
        intake_call_not_found(call);
        return;
    }
    if (call->app->tokens)
        queue_token_cache_remove(call->app->tokens, hash);
    intake_call_audit(call, NULL, "token.revoke", token_deleted);
}

static void delete_authed(struct call *call)
{
    if (!intake_call_require_admin(call) || !intake_call_require_record_id(call))
        return;
    if (queue_tokens_revoke_async(call->app->redis, intake_call_key_prefix(call), call->path_id,
                                  on_token_revoked, call) != 0)
        intake_call_unavailable(call);
}

void intake_admin_delete_token(struct call *call)
{
    intake_call_authenticate(call, delete_authed);
}
