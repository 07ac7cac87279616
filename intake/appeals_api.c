/*
 * Appeals (intake/appeals_api.h). A claimant asks the plan to review a
 * final claim within 180 days of its EOB; staff decide within 60 days
 * (adjudicate/appeals.h has the dates and their sources). Filing, reading
 * and deciding each check the caller, the body and the claim here, then
 * store through one script of queue/appeals.h that also writes the audit
 * record and the webhook event.
 */
#include "appeals_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicate/appeals.h"
#include "adjudicate/decision_json.h"
#include "intake/claims_api.h"
#include "intake/claims_submit.h"
#include "intake/decision_lines.h"
#include "codec/json_edge.h"
#include "codec/json_read.h"
#include "log.h"
#include "queue/appeals.h"
#include "queue/claims_read.h"
#include "queue/shards.h"

/* A statement and a decision note: bytes of text (docs/validation.md
 * "Appeals"). */
#define STATEMENT_MAX 10000
#define NOTE_MAX 4000
#define APPEAL_ATTACHMENTS_MAX 20

static const char *const attachment_kinds[] = {"medical_record", "letter", "itemized_bill", "eob",
                                               "other"};
static const char *const outcome_names[] = {"upheld", "overturned"};
enum { OUTCOME_UPHELD, OUTCOME_OVERTURNED };

struct appeal_state {
    char *statement, *attachments, *note, *lines_json;
    char *review_json; /* an overturn: the reviewer's decision stored with the claim */
    int outcome;
    struct adj_review review; /* the decision's lines (action overturn) */
    bool line_given[MAX_LINES];
    struct json_object *view;    /* a read's answer, built before its audit */
    struct queue_appeal_row row; /* the filing's appeal, for its answer */
    char appeal_id[CLAIM_ID_LEN], claim_id[CLAIM_ID_LEN], member_id[ID_LEN], subscriber_id[ID_LEN],
        npi[NPI_LEN], filed_at[32], filed_on[DATE_STRLEN], due_date[DATE_STRLEN],
        eob_date[DATE_STRLEN], deadline[DATE_STRLEN], version[16];
    /* the list's query */
    char status[16], cursor[32];
    bool overdue;
    int limit;
};

static void state_free(void *p)
{
    struct appeal_state *s = p;
    if (!s)
        return;
    if (s->view)
        json_object_put(s->view);
    free(s->statement);
    free(s->attachments);
    free(s->note);
    free(s->lines_json);
    free(s->review_json);
    free(s);
}

/* value ("" for NULL) into out, cut to size. */
static void copy_field(char *out, size_t size, const char *value)
{
    size_t n = value ? strnlen(value, size - 1) : 0;
    memcpy(out, value ? value : "", n);
    out[n] = '\0';
}

/* ---- the view ---- */

static struct json_object *parsed_or(const char *json, struct json_object *fallback)
{
    struct json_object *o = json && json[0] ? json_tokener_parse(json) : NULL;
    if (!o)
        return fallback;
    if (fallback)
        json_object_put(fallback);
    return o;
}

/* Whether the open appeal due on due_date is overdue today. */
static bool row_overdue(const struct queue_appeal_row *r, date_t today)
{
    date_t due;
    return r->status && strcmp(r->status, "open") == 0 && r->due_date &&
           date_parse(r->due_date, &due) && adj_appeal_overdue(due, today);
}

/* The decision part of the view: null while open. decided_by (a token id)
 * is shown to staff only. */
static struct json_object *decision_view(const struct queue_appeal_row *r, bool staff)
{
    if (!r->outcome || !r->outcome[0])
        return NULL;
    struct json_object *d = json_object_new_object();
    if (!d)
        return NULL;
    json_object_object_add(d, "outcome", json_object_new_string(r->outcome));
    json_object_object_add(d, "lines", parsed_or(r->lines, json_object_new_array()));
    json_object_object_add(d, "note", intake_call_string_or_null(r->note));
    json_object_object_add(d, "decided_at", intake_call_string_or_null(r->decided_at));
    if (staff)
        json_object_object_add(d, "decided_by", intake_call_string_or_null(r->decided_by));
    return d;
}

/* docs/api.md "An appeal". summary: a list row (no statement, attachments
 * or decision lines). */
static struct json_object *appeal_view(const struct queue_appeal_row *r, bool staff, bool summary)
{
    date_t today = date_today();
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL; /* answered 500 by intake_call_json */
    json_object_object_add(o, "appeal_id", intake_call_string_or_null(r->appeal_id));
    json_object_object_add(o, "claim_id", intake_call_string_or_null(r->claim_id));
    json_object_object_add(o, "member_id", intake_call_string_or_null(r->member_id));
    json_object_object_add(o, "status", intake_call_string_or_null(r->status));
    json_object_object_add(o, "filed_at", intake_call_string_or_null(r->filed_at));
    json_object_object_add(o, "filed_by_role", intake_call_string_or_null(r->filed_by_role));
    json_object_object_add(o, "due_date", intake_call_string_or_null(r->due_date));
    json_object_object_add(o, "overdue", json_object_new_boolean(row_overdue(r, today)));
    json_object_object_add(o, "eob_version",
                           json_object_new_int(r->eob_version ? atoi(r->eob_version) : 0));
    json_object_object_add(o, "eob_date", intake_call_string_or_null(r->eob_date));
    json_object_object_add(o, "appeal_deadline", intake_call_string_or_null(r->deadline));
    if (summary) {
        json_object_object_add(o, "outcome", intake_call_string_or_null(r->outcome));
        json_object_object_add(o, "decided_at", intake_call_string_or_null(r->decided_at));
        return o;
    }
    json_object_object_add(o, "statement", intake_call_string_or_null(r->statement));
    json_object_object_add(o, "attachments", parsed_or(r->attachments, json_object_new_array()));
    json_object_object_add(o, "decision", decision_view(r, staff));
    return o;
}

/* Who may read an appeal: staff, and the appellant's side, i.e. whoever may
 * read its claim (the patient, the subscriber, the submitting provider). */
static bool may_read_appeal(const struct principal *who, const struct queue_appeal_row *r)
{
    if (intake_auth_is_staff(who))
        return true;
    if (who->role == AUTH_MEMBER)
        return (r->member_id && strcmp(r->member_id, who->member_id) == 0) ||
               (r->subscriber_id && r->subscriber_id[0] &&
                strcmp(r->subscriber_id, who->member_id) == 0);
    if (who->role == AUTH_PROVIDER)
        return r->by_npi && r->by_npi[0] && strcmp(r->by_npi, who->npi) == 0;
    return false;
}

/* ---- body fields ---- */

/* Text of 1..max bytes (UTF-8 checked at the edge), not only white space,
 * with no control character but tab, line feed and carriage return. */
static bool read_long_text(struct codec_reader *r, struct json_object *v, size_t max,
                           const char *too_long, char **out)
{
    if (!json_object_is_type(v, json_type_string)) {
        codec_report(r, CODEC_P_STRING);
        return false;
    }
    const char *s = json_object_get_string(v);
    size_t len = (size_t)json_object_get_string_len(v);
    bool blank = true, control = strlen(s) != len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        blank &= c == ' ' || c == '\t' || c == '\n' || c == '\r';
        control |= (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
    }
    const char *problem = blank       ? "must not be empty"
                          : len > max ? too_long
                          : control   ? "must not contain control characters other than tab "
                                        "and line breaks"
                                      : NULL;
    if (problem) {
        codec_report(r, problem);
        return false;
    }
    *out = strdup(s);
    return *out != NULL;
}

static bool value_statement(struct codec_reader *r, struct json_object *v, void *out)
{
    return read_long_text(r, v, STATEMENT_MAX, "must be at most 10000 bytes", out);
}

static bool value_note(struct codec_reader *r, struct json_object *v, void *out)
{
    return read_long_text(r, v, NOTE_MAX, "must be at most 4000 bytes", out);
}

/* attachments: 0..20 of {kind, reference}, written back canonical into
 * *out ("[]" when absent). */
static void parse_attachments(struct codec_reader *r, struct json_object *body, char **out)
{
    static const char *const keys[] = {"kind", "reference", NULL};
    struct json_object *canon = json_object_new_array();
    bool oom = false;
    size_t mark = 0, n = 0;
    struct json_object *a =
        codec_enter_array(r, body, "attachments", false, 0, APPEAL_ATTACHMENTS_MAX,
                          "must have at most 20 attachments", &mark, &n);
    for (size_t i = 0; a && canon && i < n && i < APPEAL_ATTACHMENTS_MAX; i++) {
        struct json_object *item = json_object_array_get_idx(a, i);
        size_t m = codec_path_push_index(&r->path, i);
        int kind = -1;
        char reference[REF_LEN] = "";
        struct codec_enum_spec kinds = {attachment_kinds, 5,
                                        "must be medical_record, letter, itemized_bill, eob "
                                        "or other",
                                        &kind};
        if (!json_object_is_type(item, json_type_object)) {
            codec_report(r, CODEC_P_OBJECT);
        } else {
            codec_reject_unknown(r, item, keys);
            bool ok = codec_field(r, item, "kind", true, codec_value_enum, &kinds) == CODEC_GOT;
            ok &= codec_field(r, item, "reference", true, codec_value_reference, reference) ==
                  CODEC_GOT;
            struct json_object *o = ok ? json_object_new_object() : NULL;
            if (ok && (!o || codec_put_string(o, "kind", attachment_kinds[kind]) ||
                       codec_put_string(o, "reference", reference))) {
                if (o)
                    json_object_put(o);
                oom = true;
            } else if (ok && codec_append(canon, o)) {
                oom = true; /* codec_append put o */
            }
        }
        codec_path_pop(&r->path, m);
    }
    if (a)
        codec_path_pop(&r->path, mark);
    /* NULL when out of memory: the caller answers 500. */
    *out = canon && !oom ? strdup(json_object_to_json_string_ext(
                               canon, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))
                         : NULL;
    if (canon)
        json_object_put(canon);
}

/* What a 422 of an appeal's body or decision lines says. */
#define BODY_PROBLEMS "the body has problems listed in fields"

/* ---- POST /v1/claims/{claim_id}/appeals ---- */

static void on_filed(enum queue_status status, const char *why, void *arg)
{
    struct call *call = arg;
    struct appeal_state *s = call->state;
    if (intake_call_refuse_missing(call, status))
        return;
    if (status == QUEUE_CONFLICT) {
        if (strcmp(why, "already_appealed") == 0)
            intake_call_error(call, 409, "already_appealed",
                              "this claim's Explanation of Benefits has been appealed already");
        else
            intake_call_error(call, 409, "conflict",
                              "the claim changed while the appeal was filed; "
                              "read it again");
        return;
    }
    log_info("appeal filed appeal_id=%s claim_id=%s request_id=%s", s->appeal_id, s->claim_id,
             call->req->request_id);
    char location[80];
    snprintf(location, sizeof location, "/v1/appeals/%s", s->appeal_id);
    intake_http_add_header(call->req, "Location", location);
    intake_call_json(call, 201, appeal_view(&s->row, intake_auth_is_staff(&call->who), false));
}

/* The filing, once the claim and the window are checked. */
static void file_store(struct call *call, int eob_version)
{
    struct appeal_state *s = call->state;
    /* Drawn on the claim's shard, so that the appeal is found from its id
     * alone (docs/operations.md "Redis Cluster"). */
    intake_claims_new_id_on_shard(s->appeal_id, queue_shard_of_claim(s->claim_id));
    rfc3339_now(s->filed_at);
    date_t today = date_today(), due = adj_appeal_due_date(today);
    date_format(today, s->filed_on);
    date_format(due, s->due_date);
    snprintf(s->version, sizeof s->version, "%d", eob_version);
    struct json_object *audit = intake_call_audit_record(call, s->filed_at, "appeal.file");
    if (!audit || codec_put_string(audit, "appeal_id", s->appeal_id)) {
        if (audit)
            json_object_put(audit);
        intake_call_out_of_memory(call);
        return;
    }
    struct queue_appeal_filing f = {
        .appeal_id = s->appeal_id,
        .claim_id = s->claim_id,
        .eob_version = eob_version,
        .eob_date = s->eob_date,
        .deadline = s->deadline,
        .filed_at = s->filed_at,
        .filed_on = s->filed_on,
        .due_day = due.days,
        .due_date = s->due_date,
        .statement = s->statement,
        .attachments = s->attachments,
        .filed_by = call->who.token_id,
        .filed_by_role = intake_auth_role_name(call->who.role),
        .audit_json = json_object_to_json_string_ext(audit, JSON_C_TO_STRING_PLAIN)};
    s->row = (struct queue_appeal_row){.appeal_id = s->appeal_id,
                                       .claim_id = s->claim_id,
                                       .member_id = s->member_id,
                                       .subscriber_id = s->subscriber_id,
                                       .by_npi = s->npi,
                                       .status = "open",
                                       .filed_at = s->filed_at,
                                       .filed_on = s->filed_on,
                                       .due_date = s->due_date,
                                       .eob_version = s->version,
                                       .eob_date = s->eob_date,
                                       .deadline = s->deadline,
                                       .filed_by_role = f.filed_by_role,
                                       .statement = s->statement,
                                       .attachments = s->attachments};
    int rc = queue_file_appeal(call->app->redis, intake_call_key_prefix(call), &f, on_filed, call);
    json_object_put(audit);
    if (rc != 0)
        intake_call_unavailable(call);
}

/* The statement date of the claim's latest EOB; false when unreadable. */
static bool eob_statement_date(const char *record, date_t *out)
{
    struct json_object *o = record ? json_tokener_parse(record) : NULL, *d = NULL;
    bool ok = o && json_object_object_get_ex(o, "statement_date", &d) &&
              json_object_is_type(d, json_type_string) &&
              date_parse(json_object_get_string(d), out);
    if (o)
        json_object_put(o);
    return ok;
}

static void on_claim_for_appeal(enum queue_status st, const struct queue_claim *claim, void *arg)
{
    struct call *call = arg;
    struct appeal_state *s = call->state;
    if (!intake_claims_readable(call, st, claim))
        return;
    const char *status = queue_claim_field(claim, "status");
    if (!status || (strcmp(status, "approved") != 0 && strcmp(status, "denied") != 0) ||
        claim->eob_version < 1 || !claim->eob) {
        intake_call_error(call, 409, "not_final",
                          "only a final claim with an Explanation of Benefits can be appealed");
        return;
    }
    date_t eob_date;
    if (!eob_statement_date(claim->eob, &eob_date)) {
        log_error("stored EOB cannot be read claim_id=%s", s->claim_id);
        intake_call_error(call, 500, "internal",
                          "the claim's Explanation of Benefits cannot be read");
        return;
    }
    date_format(eob_date, s->eob_date);
    date_format(adj_appeal_deadline(eob_date), s->deadline);
    /* 29 CFR 2560.503-1(h)(3)(i): 180 days from the EOB; day 180 is on time. */
    if (!adj_appeal_window_open(eob_date, date_today())) {
        char message[160];
        snprintf(message, sizeof message,
                 "the time to appeal ended on %s, 180 days after the Explanation of Benefits "
                 "of %s",
                 s->deadline, s->eob_date);
        intake_call_error(call, 422, "appeal_window_closed", message);
        return;
    }
    copy_field(s->member_id, sizeof s->member_id, queue_claim_field(claim, "member_id"));
    copy_field(s->subscriber_id, sizeof s->subscriber_id,
               queue_claim_field(claim, "subscriber_id"));
    copy_field(s->npi, sizeof s->npi, queue_claim_field(claim, "by_npi"));
    file_store(call, claim->eob_version);
}

/* The filing's body: its statement and attachments into the call's state. */
static void read_filing(struct call *call, struct json_object *body,
                        struct codec_field_errors *errs)
{
    struct appeal_state *s = call->state;
    static const char *const keys[] = {"statement", "attachments", NULL};
    struct codec_reader r;
    codec_reader_init(&r, errs);
    codec_reject_unknown(&r, body, keys);
    codec_field(&r, body, "statement", true, value_statement, &s->statement);
    parse_attachments(&r, body, &s->attachments);
}

static void file_authed(struct call *call)
{
    struct appeal_state *s = intake_call_state_new(call, sizeof *s, state_free);
    if (!s || !intake_claims_require_id(call))
        return;
    copy_field(s->claim_id, sizeof s->claim_id, call->path_id);
    if (!intake_call_read_body(call, read_filing, BODY_PROBLEMS))
        return;
    if (!s->statement || !s->attachments) {
        intake_call_out_of_memory(call);
        return;
    }
    if (queue_get_eob(call->app->redis, intake_call_key_prefix(call), s->claim_id, 0,
                      on_claim_for_appeal, call) != 0)
        intake_call_unavailable(call);
}

void intake_appeals_file(struct call *call)
{
    intake_call_authenticate(call, file_authed);
}

/* ---- GET /v1/appeals/{id} ---- */

static void read_audited(struct call *call)
{
    struct appeal_state *s = call->state;
    if (!intake_call_audited(call))
        return;
    struct json_object *view = s->view;
    s->view = NULL;
    intake_call_json(call, 200, view);
}

static void on_appeal_for_read(enum queue_status st, const struct queue_appeal_row *row, void *arg)
{
    struct call *call = arg;
    struct appeal_state *s = call->state;
    if (!intake_call_found(call, st))
        return;
    if (!may_read_appeal(&call->who, row)) {
        intake_call_not_found(call);
        return;
    }
    s->view = appeal_view(row, intake_auth_is_staff(&call->who), false);
    if (!s->view) {
        intake_call_out_of_memory(call);
        return;
    }
    copy_field(s->claim_id, sizeof s->claim_id, row->claim_id);
    /* The statement is the member's own words about their care: reads are
     * audited in the claim's trail. */
    intake_call_audit(call, s->claim_id, "appeal.read", read_audited);
}

static void get_authed(struct call *call)
{
    if (!intake_call_state_new(call, sizeof(struct appeal_state), state_free) ||
        !intake_claims_require_id(call))
        return;
    if (queue_get_appeal(call->app->redis, intake_call_key_prefix(call), call->path_id,
                         on_appeal_for_read, call) != 0)
        intake_call_unavailable(call);
}

void intake_appeals_get(struct call *call)
{
    intake_call_authenticate(call, get_authed);
}

/* ---- GET /v1/appeals ---- */

static void parse_list(const struct http_request *req, void *state, struct codec_field_errors *errs)
{
    struct appeal_state *s = state;
    static const char *const names[] = {"status", "overdue", "limit", "cursor"};
    intake_call_check_query_names(req, names, 4, errs);
    char buf[64];
    int rc;
    if ((rc = intake_http_query_get(req, "status", buf, sizeof buf)) != 0) {
        if (rc < 0 || (strcmp(buf, "open") != 0 && strcmp(buf, "decided") != 0))
            codec_field_errors_add(errs, "status", "must be open or decided");
        else
            copy_field(s->status, sizeof s->status, buf);
    }
    if ((rc = intake_http_query_get(req, "overdue", buf, sizeof buf)) != 0) {
        if (rc < 0 || (strcmp(buf, "true") != 0 && strcmp(buf, "false") != 0))
            codec_field_errors_add(errs, "overdue", "must be true or false");
        else
            s->overdue = strcmp(buf, "true") == 0;
    }
    if (s->overdue && strcmp(s->status, "decided") == 0)
        codec_field_errors_add(errs, "overdue", "only open appeals are overdue");
    intake_call_read_paging(req, &s->limit, s->cursor, sizeof s->cursor, errs);
}

/* A row of the staff list: the appeal's summary. */
static struct json_object *appeal_list_view(const void *row)
{
    return appeal_view(row, true, true);
}

static void on_list(enum queue_status status, const struct queue_appeal_row *rows, size_t n,
                    const char *next_cursor, void *arg)
{
    intake_call_answer_page(arg, status, "appeals", rows, n, sizeof *rows, appeal_list_view,
                            next_cursor);
}

static void list_audited(struct call *call)
{
    struct appeal_state *s = call->state;
    if (!intake_call_audited(call))
        return;
    struct queue_appeal_query q = {.status = s->status,
                                   .overdue = s->overdue,
                                   .today_day = date_today().days,
                                   .cursor = s->cursor,
                                   .limit = s->limit};
    if (queue_list_appeals(call->app->redis, intake_call_key_prefix(call), &q, on_list, call) != 0)
        intake_call_unavailable(call);
}

static void list_authed(struct call *call)
{
    if (!intake_call_state_new(call, sizeof(struct appeal_state), state_free))
        return;
    /* The list names members: its reads are audited. */
    intake_call_open_staff_list(call, parse_list, "appeal.list", list_audited);
}

void intake_appeals_list(struct call *call)
{
    intake_call_authenticate(call, list_authed);
}

/* ---- POST /v1/appeals/{id}/decision ---- */

void intake_appeal_overturn_redecide(struct call *call, const char *claim_id, const char *appeal_id,
                                     call_fn store)
{
    struct appeal_state *s = call->state;
    /* The appeal's lines as the claim's reviewer's decision (docs/rules.md
     * "Decision outcomes"): each line at its allowed amount, also one the
     * rules denied. */
    s->review.action = ADJ_REVIEW_OVERTURN;
    struct json_object *o = adj_review_to_json(&s->review);
    if (o && (codec_put_string(o, "appeal_id", appeal_id) ||
              codec_put_string(o, "reviewer", call->who.token_id) ||
              codec_put_string(o, "role", intake_auth_role_name(call->who.role)) ||
              codec_put_string(o, "note", s->note))) {
        json_object_put(o);
        o = NULL;
    }
    const char *text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
    s->review_json = text ? strdup(text) : NULL;
    if (o)
        json_object_put(o);
    if (!s->review_json) {
        intake_call_out_of_memory(call);
        return;
    }
    log_info("appeal overturned; claim to be decided again appeal_id=%s claim_id=%s", appeal_id,
             claim_id);
    store(call);
}

static void on_decided_read(enum queue_status st, const struct queue_appeal_row *row, void *arg)
{
    struct call *call = arg;
    if (!intake_call_queue_ok(call, st))
        return;
    intake_call_json(call, 200, appeal_view(row, true, false));
}

static void on_decided(enum queue_status status, void *arg)
{
    struct call *call = arg;
    struct appeal_state *s = call->state;
    if (intake_call_refuse_missing(call, status))
        return;
    if (status == QUEUE_CONFLICT) {
        intake_call_error(call, 409, "already_decided", "this appeal has been decided already");
        return;
    }
    if (status == QUEUE_CHANGED) {
        intake_call_error(call, 409, "claim_changed",
                          "the claim is no longer approved or denied; nothing was stored");
        return;
    }
    log_info("appeal decided appeal_id=%s claim_id=%s outcome=%s request_id=%s", s->appeal_id,
             s->claim_id, outcome_names[s->outcome], call->req->request_id);
    if (queue_get_appeal(call->app->redis, intake_call_key_prefix(call), s->appeal_id,
                         on_decided_read, call) != 0)
        intake_call_unavailable(call);
}

/* Records the checked decision (decider and note in the audit record). */
static void decision_store(struct call *call)
{
    struct appeal_state *s = call->state;
    char at[32], on[DATE_STRLEN];
    rfc3339_now(at);
    date_format(date_today(), on);
    struct json_object *audit = intake_call_audit_record(call, at, "appeal.decide");
    if (!audit || codec_put_string(audit, "appeal_id", s->appeal_id) ||
        codec_put_string(audit, "outcome", outcome_names[s->outcome]) ||
        codec_put_string(audit, "note", s->note)) {
        if (audit)
            json_object_put(audit);
        intake_call_out_of_memory(call);
        return;
    }
    struct queue_appeal_decision d = {
        .appeal_id = s->appeal_id,
        .claim_id = s->claim_id,
        .outcome = outcome_names[s->outcome],
        .lines = s->lines_json,
        .note = s->note,
        .decided_at = at,
        .decided_on = on,
        .decided_by = call->who.token_id,
        .audit_json = json_object_to_json_string_ext(audit, JSON_C_TO_STRING_PLAIN),
        .review = s->review_json};
    int rc =
        queue_decide_appeal(call->app->redis, intake_call_key_prefix(call), &d, on_decided, call);
    json_object_put(audit);
    if (rc != 0)
        intake_call_unavailable(call);
}

static void on_claim_for_decision(enum queue_status st, const struct queue_claim *claim, void *arg)
{
    struct call *call = arg;
    struct appeal_state *s = call->state;
    if (st != QUEUE_OK || !claim) {
        intake_call_unavailable(call);
        return;
    }
    if (!intake_decision_lines_fit(call, s->claim_id, claim->decision, &s->review, s->line_given,
                                   false, true) ||
        !intake_call_json_text(call, intake_decision_lines_json(&s->review), &s->lines_json))
        return;
    if (s->outcome == OUTCOME_OVERTURNED)
        intake_appeal_overturn_redecide(call, s->claim_id, s->appeal_id, decision_store);
    else
        decision_store(call);
}

static void on_appeal_for_decision(enum queue_status st, const struct queue_appeal_row *row,
                                   void *arg)
{
    struct call *call = arg;
    struct appeal_state *s = call->state;
    if (!intake_call_found(call, st))
        return;
    if (!row->status || strcmp(row->status, "open") != 0) {
        intake_call_error(call, 409, "already_decided", "this appeal has been decided already");
        return;
    }
    copy_field(s->claim_id, sizeof s->claim_id, row->claim_id);
    if (queue_get_claim(call->app->redis, intake_call_key_prefix(call), s->claim_id,
                        on_claim_for_decision, call) != 0)
        intake_call_unavailable(call);
}

/* The body's own rules, before anything is read. */
static void read_decision(struct call *call, struct json_object *body,
                          struct codec_field_errors *errs)
{
    struct appeal_state *s = call->state;
    static const char *const keys[] = {"outcome", "lines", "note", NULL};
    struct codec_reader r;
    codec_reader_init(&r, errs);
    codec_reject_unknown(&r, body, keys);
    struct codec_enum_spec outcomes = {outcome_names, 2, "must be upheld or overturned",
                                       &s->outcome};
    enum codec_got got = codec_field(&r, body, "outcome", true, codec_value_enum, &outcomes);
    static const struct decision_lines_spec spec = {.allowed = true};
    intake_decision_lines_parse(&r, body, "lines", &spec, &s->review, s->line_given);
    codec_field(&r, body, "note", true, value_note, &s->note);
    if (got != CODEC_GOT)
        return;
    if (s->outcome == OUTCOME_UPHELD && s->review.n_lines > 0)
        codec_report_key(&r, "lines",
                         "must be empty when outcome is upheld: the claim stands "
                         "as decided");
    if (s->outcome == OUTCOME_OVERTURNED && !codec_member(body, "lines"))
        codec_report_key(&r, "lines", "is required when outcome is overturned");
    else if (s->outcome == OUTCOME_OVERTURNED && s->review.n_lines == 0)
        codec_report_key(&r, "lines", "must have at least one line when outcome is overturned");
}

static void decide_authed(struct call *call)
{
    struct appeal_state *s = intake_call_state_new(call, sizeof *s, state_free);
    if (!s || !intake_call_require_staff(call) || !intake_claims_require_id(call))
        return;
    copy_field(s->appeal_id, sizeof s->appeal_id, call->path_id);
    if (!intake_call_read_body(call, read_decision, BODY_PROBLEMS))
        return;
    if (queue_get_appeal(call->app->redis, intake_call_key_prefix(call), s->appeal_id,
                         on_appeal_for_decision, call) != 0)
        intake_call_unavailable(call);
}

void intake_appeals_decide(struct call *call)
{
    intake_call_authenticate(call, decide_authed);
}
