/*
 * Corrections (docs/api.md "Corrections"): POST /v1/claims/{id}/replace and
 * .../void, by staff or the party that filed the claim. A replacement of a
 * final claim is filed as a new claim through the intake step
 * (claims_submit.c) that marks the original replaced; of a claim not yet
 * final, it replaces the submission in place and queues the claim again. A
 * void closes the claim (queue/corrections.h).
 */
#include "corrections_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/parse_claim.h"
#include "date.h"
#include "intake/claims_api.h"
#include "intake/claims_submit.h"
#include "log.h"
#include "queue/claims_read.h"
#include "queue/corrections.h"
#include "strbuf.h"

#define VOID_REASON_MAX 500 /* characters */

/* Who may correct a claim (docs/api.md "Corrections"): staff and admin; the
 * provider that submitted it; a member when a member filed it and may read
 * it (the patient, or the family's subscriber). Everyone else is told the
 * claim does not exist. */
static bool may_correct_claim(const struct principal *who, const struct queue_claim *claim)
{
    if (intake_auth_is_staff(who))
        return true;
    const char *by_role = queue_claim_field(claim, "by_role");
    return by_role && strcmp(by_role, intake_auth_role_name(who->role)) == 0 &&
           intake_claims_may_read(who, claim);
}

/* The claim fetched for a correction: its status; NULL after answering 503
 * or 404, or the conflict of a claim voided or replaced already. */
static const char *claim_correctable(struct call *call, enum queue_status st,
                                     const struct queue_claim *claim)
{
    if (!intake_claims_readable(call, st, claim))
        return NULL;
    if (!may_correct_claim(&call->who, claim)) {
        intake_call_not_found(call);
        return NULL;
    }
    const char *status = queue_claim_field(claim, "status");
    if (!status || strcmp(status, "voided") == 0 || strcmp(status, "replaced") == 0) {
        intake_claims_correction_conflict(call, status ? status : "");
        return NULL;
    }
    return status;
}

/* A correction script's answer (queue/corrections.h): true when it stored
 * the correction; false after answering 503, or 404 or 409 for the status
 * (prior) it found the claim in. */
static bool correction_stored(struct call *call, enum queue_status st, const char *prior)
{
    if (st == QUEUE_UNAVAILABLE) {
        intake_call_unavailable(call);
        return false;
    }
    if (st != QUEUE_OK) {
        intake_claims_correction_conflict(call, st == QUEUE_NOT_FOUND ? "" : prior);
        return false;
    }
    return true;
}

/* ---- POST /v1/claims/{id}/replace ---- */

static void on_replaced_in_place(enum queue_status st, const char *prior, void *arg)
{
    struct call *call = arg;
    struct claims_submission *s = call->state;
    if (!correction_stored(call, st, prior))
        return;
    log_info("claim replaced in place; requeued claim_id=%s request_id=%s", call->path_id,
             call->req->request_id);
    intake_claims_respond_accepted(call, s->claim_id, s->response, false);
}

/* A claim not yet final: the submission replaced, the same id, back to the queue. */
static void replace_in_place(struct call *call, const struct queue_claim *stored)
{
    struct claims_submission *s = call->state;
    memcpy(s->claim_id, call->path_id, CLAIM_ID_LEN); /* a valid id: 36 characters */
    const char *received = queue_claim_field(stored, "received"),
               *target = queue_claim_field(stored, "target");
    const char *type = s->claim.type == CLAIM_MEDICAL ? "medical" : "pharmacy";
    s->response = intake_claims_accepted_body(s, received ? received : "", target ? target : "");
    struct strbuf sb;
    strbuf_init(&sb);
    codec_claim_write_json(&s->claim, &sb);
    char years[CLAIMS_YEARS_TEXT_LEN];
    intake_claims_years_text(&s->claim, years);
    char now[32];
    rfc3339_now(now);
    struct json_object *audit = intake_call_audit_record(call, now, "claim.replace");
    int rc = -1;
    if (s->response && !strbuf_failed(&sb) && audit)
        rc = queue_replace_in_place(call->app->redis, intake_call_key_prefix(call), call->path_id,
                                    s->claim.member_id, sb.buf, type, years,
                                    (long long)clock_wall_seconds(),
                                    json_object_to_json_string_ext(audit, JSON_C_TO_STRING_PLAIN),
                                    on_replaced_in_place, call);
    if (audit)
        json_object_put(audit);
    bool no_memory = !s->response || strbuf_failed(&sb) || !audit;
    strbuf_free(&sb);
    if (rc != 0) {
        if (no_memory)
            intake_call_out_of_memory(call);
        else
            intake_call_unavailable(call);
    }
}

static void on_claim_for_replace(enum queue_status st, const struct queue_claim *stored, void *arg)
{
    struct call *call = arg;
    struct claims_submission *s = call->state;
    const char *status = claim_correctable(call, st, stored);
    if (!status)
        return;
    const char *member = queue_claim_field(stored, "member_id");
    if (!member || strcmp(member, s->claim.member_id) != 0) {
        intake_claims_correction_conflict(call, "member");
        return;
    }
    if (strcmp(status, "approved") == 0 || strcmp(status, "denied") == 0) {
        memcpy(s->replaces, call->path_id, CLAIM_ID_LEN); /* a valid id: 36 characters */
        intake_claims_submission_store(call);
        return;
    }
    if (strcmp(status, "received") != 0 && strcmp(status, "processing") != 0 &&
        strcmp(status, "pended") != 0 && strcmp(status, "in_review") != 0) {
        intake_claims_correction_conflict(call, status);
        return;
    }
    replace_in_place(call, stored);
}

static void replace_authed(struct call *call)
{
    if (!intake_claims_change_opening(call))
        return;
    struct claims_submission *s = intake_claims_submission_new(call);
    if (s && intake_claims_submission_parse(call, s))
        intake_claims_fetch(call, on_claim_for_replace);
}

void intake_claims_replace(struct call *call)
{
    intake_call_authenticate(call, replace_authed);
}

/* ---- POST /v1/claims/{id}/void ---- */

struct void_state {
    char reason[VOID_REASON_MAX * 4 + 1]; /* UTF-8 */
    char voided_at[32];
};

static void on_voided(enum queue_status st, const char *prior, void *arg)
{
    struct call *call = arg;
    struct void_state *vs = call->state;
    if (!correction_stored(call, st, prior))
        return;
    log_info("claim voided claim_id=%s request_id=%s", call->path_id, call->req->request_id);
    struct json_object *o = json_object_new_object(), *v = json_object_new_object();
    json_object_object_add(o, "claim_id", json_object_new_string(call->path_id));
    json_object_object_add(o, "status", json_object_new_string("voided"));
    json_object_object_add(v, "reason", json_object_new_string(vs->reason));
    json_object_object_add(v, "at", json_object_new_string(vs->voided_at));
    json_object_object_add(o, "voided", v);
    intake_call_json(call, 200, o);
}

static void on_claim_for_void(enum queue_status st, const struct queue_claim *stored, void *arg)
{
    struct call *call = arg;
    struct void_state *vs = call->state;
    if (!claim_correctable(call, st, stored))
        return;
    rfc3339_now(vs->voided_at);
    struct json_object *audit = intake_call_audit_record(call, vs->voided_at, "claim.void");
    int rc = audit ? queue_void_claim(call->app->redis, intake_call_key_prefix(call), call->path_id,
                                      vs->reason, vs->voided_at, (long long)clock_wall_seconds(),
                                      json_object_to_json_string_ext(audit, JSON_C_TO_STRING_PLAIN),
                                      on_voided, call)
                   : -1;
    if (audit)
        json_object_put(audit);
    if (rc != 0)
        intake_call_unavailable(call);
}

/* Characters (UTF-8 code points) of a valid UTF-8 text. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The void body's fields: "reason" (1..500 characters) into the call's
 * void_state, nothing else; each problem into errs. */
static void read_void_reason(struct call *call, struct json_object *body,
                             struct codec_field_errors *errs)
{
    struct void_state *vs = call->state;
    json_object_object_foreach(body, key, value)
    {
        (void)value;
        if (strcmp(key, "reason") != 0) {
            struct codec_path path;
            codec_path_init(&path);
            codec_path_push_key(&path, key, strlen(key));
            codec_field_errors_add(errs, path.text, "is not a known field");
        }
    }
    struct json_object *r = NULL;
    if (!json_object_object_get_ex(body, "reason", &r) || !r)
        codec_field_errors_add(errs, "reason", "is required");
    else if (!json_object_is_type(r, json_type_string))
        codec_field_errors_add(errs, "reason", "must be a string");
    else if (json_object_get_string_len(r) == 0 ||
             utf8_chars(json_object_get_string(r)) > VOID_REASON_MAX ||
             (size_t)json_object_get_string_len(r) >= sizeof vs->reason)
        codec_field_errors_add(errs, "reason", "must be 1 to 500 characters");
    else
        snprintf(vs->reason, sizeof vs->reason, "%s", json_object_get_string(r));
}

static void void_authed(struct call *call)
{
    if (!intake_claims_change_opening(call))
        return;
    if (!intake_call_state_new(call, sizeof(struct void_state), free) ||
        !intake_call_read_body(call, read_void_reason, "the body has problems listed in fields"))
        return;
    intake_claims_fetch(call, on_claim_for_void);
}

void intake_claims_void(struct call *call)
{
    intake_call_authenticate(call, void_authed);
}
