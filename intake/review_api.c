/*
 * Staff review (docs/api.md "Staff review", docs/rules.md "Staff review"):
 * the workbasket of claims in review and the reviewer's decision on one.
 * The decision is stored with the claim and the claim goes back on the work
 * queue; the worker decides it with the decision applied (adj_facts.review)
 * and commits it as any final decision, so the family's version check
 * protects the accumulators.
 */
#include "review_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adjudicate/decision_json.h"
#include "intake/claims_api.h"
#include "intake/decision_lines.h"
#include "codec/json_edge.h"
#include "codec/json_read.h"
#include "date.h"
#include "log.h"
#include "queue/claims_read.h"
#include "queue/review.h"

#define NOTE_MAX 2000 /* bytes of a reviewer's note */

/* ---- GET /v1/review ---- */

struct list_state {
    char cursor[128];
    int limit;
};

static void parse_list(const struct http_request *req, void *state, struct codec_field_errors *errs)
{
    struct list_state *p = state;
    static const char *const names[] = {"limit", "cursor"};
    intake_call_check_query_names(req, names, sizeof names / sizeof *names, errs);
    intake_call_read_paging(req, &p->limit, p->cursor, sizeof p->cursor, errs);
}

/* A member of the stored decision, a new reference (NULL when absent). */
static struct json_object *decision_member(struct json_object *decision, const char *key)
{
    struct json_object *v = NULL;
    if (!decision || !json_object_object_get_ex(decision, key, &v))
        return NULL;
    return json_object_get(v);
}

/* One claim of the workbasket (docs/api.md "Staff review"). */
static struct json_object *review_row_view(const void *row)
{
    const struct queue_review_row *r = row;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "claim_id", intake_call_string_or_null(r->claim_id));
    json_object_object_add(o, "type", intake_call_string_or_null(r->type));
    json_object_object_add(o, "received_date", intake_call_string_or_null(r->received_date));
    json_object_object_add(o, "target_date", intake_call_string_or_null(r->target_date));
    json_object_object_add(o, "total_allowed", decision_member(r->decision, "allowed"));
    struct json_object *reasons = decision_member(r->decision, "review_reasons");
    json_object_object_add(o, "reasons", reasons ? reasons : json_object_new_array());
    return o;
}

static void on_list(enum queue_status status, const struct queue_review_row *rows, size_t n,
                    const char *next_cursor, void *arg)
{
    intake_call_answer_page(arg, status, "claims", rows, n, sizeof *rows, review_row_view,
                            next_cursor);
}

static void list_audited(struct call *call)
{
    struct list_state *ls = call->state;
    if (!intake_call_audited(call))
        return;
    if (queue_review_list(call->app->redis, intake_call_key_prefix(call), ls->cursor, ls->limit,
                          on_list, call) != 0)
        intake_call_unavailable(call);
}

static void list_authed(struct call *call)
{
    intake_call_open_staff_list(call, parse_list, "review.list", list_audited);
}

void intake_review_list(struct call *call)
{
    intake_call_open(call, NULL, sizeof(struct list_state), free, list_authed);
}

/* ---- POST /v1/claims/{id}/review ---- */

struct submit_state {
    struct adj_review review;
    char note[NOTE_MAX + 1];
    bool line_given[MAX_LINES]; /* lines[i] had a "line" */
    char *review_json;          /* as stored with the claim */
};

static void submit_free(void *p)
{
    struct submit_state *ss = p;
    if (ss)
        free(ss->review_json);
    free(ss);
}

static const char *const action_names[] = {"approve", "adjust", "deny"};

/* A note: a string of at most NOTE_MAX bytes. */
static bool value_note(struct codec_reader *r, struct json_object *v, void *out)
{
    if (!json_object_is_type(v, json_type_string)) {
        codec_report(r, CODEC_P_STRING);
        return false;
    }
    if (json_object_get_string_len(v) > NOTE_MAX) {
        codec_report(r, "must be at most 2000 bytes");
        return false;
    }
    strcpy(out, json_object_get_string(v));
    return true;
}

/* The body: every problem into errs, the review and note into the call's submit_state. */
static void parse_review_body(struct call *call, struct json_object *body,
                              struct codec_field_errors *errs)
{
    struct submit_state *ss = call->state;
    static const char *const fields[] = {"action", "lines", "note", NULL};
    struct codec_reader r;
    if (!codec_reader_open(&r, errs, body, fields))
        return;
    int action = -1;
    struct codec_enum_spec as = {action_names, 3, "must be approve, adjust or deny", &action};
    codec_field(&r, body, "action", true, codec_value_enum, &as);
    codec_field(&r, body, "note", false, value_note, ss->note);
    if (action < 0)
        return;
    ss->review.action = (enum adj_review_action)action;
    if (ss->review.action == ADJ_REVIEW_APPROVE) {
        struct json_object *lines = codec_member(body, "lines");
        if (lines &&
            !(json_object_is_type(lines, json_type_array) && json_object_array_length(lines) == 0))
            codec_report_key(&r, "lines", "must be absent or empty when the action is approve");
        return;
    }
    /* The lines (docs/validation.md "Decision lines"): adjust gives amounts,
     * deny codes (an entry without "line": every line). */
    struct decision_lines_spec spec = {.allowed = ss->review.action == ADJ_REVIEW_ADJUST,
                                       .code_required = ss->review.action == ADJ_REVIEW_DENY,
                                       .line_optional = ss->review.action == ADJ_REVIEW_DENY};
    intake_decision_lines_parse(&r, body, "lines", &spec, &ss->review, ss->line_given);
    if (!codec_member(body, "lines"))
        codec_report_key(&r, "lines", "is required when the action is adjust or deny");
    else if (ss->review.n_lines == 0 &&
             json_object_is_type(codec_member(body, "lines"), json_type_array))
        codec_report_key(&r, "lines",
                         "must have at least one line when the action is adjust or deny");
}

static void on_submitted(enum queue_status st, void *arg)
{
    intake_call_answer_requeued(arg, st, "review decision stored", "not_in_review",
                                "only a claim in review takes a review decision");
}

/* The review as stored with the claim: its decision, the reviewer and note. */
static char *stored_review(const struct call *call, const struct submit_state *ss, const char *now)
{
    struct json_object *o = adj_review_to_json(&ss->review);
    if (!o)
        return NULL;
    json_object_object_add(o, "note", json_object_new_string(ss->note));
    json_object_object_add(o, "reviewer", json_object_new_string(call->who.token_id));
    json_object_object_add(o, "role",
                           json_object_new_string(intake_auth_role_name(call->who.role)));
    json_object_object_add(o, "at", json_object_new_string(now));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    char *copy = text ? strdup(text) : NULL;
    json_object_put(o);
    return copy;
}

static void on_claim_for_review(enum queue_status st, const struct queue_claim *claim, void *arg)
{
    struct call *call = arg;
    struct submit_state *ss = call->state;
    if (st == QUEUE_UNAVAILABLE || (st == QUEUE_OK && !claim)) {
        intake_call_unavailable(call);
        return;
    }
    if (st != QUEUE_OK) {
        intake_call_not_found(call);
        return;
    }
    const char *status = queue_claim_field(claim, "status");
    if (!status || strcmp(status, "in_review") != 0) {
        intake_call_error(call, 409, "not_in_review",
                          "only a claim in review takes a review decision");
        return;
    }
    if (!intake_decision_lines_fit(call, call->path_id, claim->decision, &ss->review,
                                   ss->line_given, ss->review.action == ADJ_REVIEW_ADJUST, false))
        return;
    char now[32];
    rfc3339_now(now);
    ss->review_json = stored_review(call, ss, now);
    struct json_object *audit = intake_call_audit_record(call, now, "claim.review");
    struct json_object *rv = adj_review_to_json(&ss->review);
    if (!ss->review_json || !audit || !rv) {
        json_object_put(audit);
        json_object_put(rv);
        intake_call_out_of_memory(call);
        return;
    }
    /* The reviewer (the record's token and role) and the note, in the audit. */
    json_object_object_add(audit, "review", rv);
    json_object_object_add(audit, "note", json_object_new_string(ss->note));
    int rc = queue_review_submit(call->app->redis, intake_call_key_prefix(call), call->path_id,
                                 ss->review_json,
                                 json_object_to_json_string_ext(audit, JSON_C_TO_STRING_PLAIN),
                                 (long long)clock_wall_seconds(), on_submitted, call);
    json_object_put(audit);
    if (rc != 0)
        intake_call_unavailable(call);
}

static void submit_authed(struct call *call)
{
    if (!intake_call_require_staff(call) || !intake_claims_require_id(call) ||
        !intake_call_read_body(call, parse_review_body, "the body has problems listed in fields"))
        return;
    if (queue_get_claim(call->app->redis, intake_call_key_prefix(call), call->path_id,
                        on_claim_for_review, call) != 0)
        intake_call_unavailable(call);
}

void intake_review_post(struct call *call)
{
    intake_call_open(call, NULL, sizeof(struct submit_state), submit_free, submit_authed);
}
