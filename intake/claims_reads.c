/*
 * Reading a claim back: GET /v1/claims/{id} (API.md "A claim as read back"),
 * its Explanation of Benefits in JSON, FHIR or HTML (docs/eob.md), and its
 * audit trail for staff. Each read is itself audited before it is answered.
 */
#include "claims_reads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eob/eob.h"
#include "intake/claims_api.h"
#include "queue/claims_read.h"

/* ---- GET /v1/claims/{id} ---- */

static void add_object(struct json_object *obj, const char *key, struct json_object *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_get(value));
}

static void add_string(struct json_object *obj, const char *key, const char *value)
{
    if (value && value[0])
        json_object_object_add(obj, key, json_object_new_string(value));
}

/* API.md "A claim as read back". */
static struct json_object *claim_view(const struct queue_claim *c)
{
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    add_string(o, "claim_id", queue_claim_field(c, "id"));
    add_string(o, "type", queue_claim_field(c, "type"));
    add_string(o, "member_id", queue_claim_field(c, "member_id"));
    add_string(o, "status", queue_claim_field(c, "status"));
    add_string(o, "received_date", queue_claim_field(c, "received"));
    add_string(o, "target_date", queue_claim_field(c, "target"));
    const char *fin = queue_claim_field(c, "finalized_at");
    if (fin && fin[0]) {
        add_string(o, "finalized_at", fin);
        const char *within = queue_claim_field(c, "within_target");
        json_object_object_add(o, "within_target",
                               json_object_new_boolean(within && strcmp(within, "1") == 0));
    }
    add_string(o, "replaces", queue_claim_field(c, "replaces"));
    add_string(o, "replaced_by", queue_claim_field(c, "replaced_by"));
    const char *voided_at = queue_claim_field(c, "voided_at");
    if (voided_at && voided_at[0]) {
        struct json_object *v = json_object_new_object();
        add_string(v, "reason", queue_claim_field(c, "voided_reason"));
        add_string(v, "at", voided_at);
        json_object_object_add(o, "voided", v);
    }
    add_object(o, "submitted", c->submitted);
    add_object(o, "decision", c->decision);
    add_object(o, "pending", c->pending);
    /* The latest appeal of the claim, if any (GET /v1/appeals/{id}). */
    add_string(o, "appeal_id", queue_claim_field(c, "appeal_id"));
    struct json_object *history = queue_history_json(queue_claim_field(c, "history"));
    if (!history) {
        json_object_put(o);
        return NULL;
    }
    json_object_object_add(o, "history", history);
    return o;
}

static void read_audited(struct call *call)
{
    if (!intake_call_audited(call))
        return;
    intake_claims_view_answer(call, call->state);
}

static void on_claim_for_read(enum queue_status st, const struct queue_claim *claim, void *arg)
{
    struct call *call = arg;
    if (!intake_claims_readable(call, st, claim))
        return;
    struct claims_view_state *vs =
        intake_call_state_new(call, sizeof *vs, intake_claims_view_state_free);
    if (!vs)
        return;
    vs->view = claim_view(claim);
    if (!vs->view) {
        intake_call_out_of_memory(call);
        return;
    }
    intake_call_audit(call, call->path_id, "claim.read", read_audited);
}

static void read_authed(struct call *call)
{
    intake_claims_fetch(call, on_claim_for_read);
}

void intake_claims_get(struct call *call)
{
    intake_call_authenticate(call, read_authed);
}

/* ---- GET /v1/claims/{id}/audit (staff) ---- */

static void on_audit_records(enum queue_status st, const char *const *records, size_t n, void *arg)
{
    struct call *call = arg;
    if (!intake_call_queue_ok(call, st))
        return;
    struct claims_view_state *vs = call->state;
    struct json_object *entries = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_tokener_parse(records[i]);
        if (e)
            json_object_array_add(entries, e);
    }
    json_object_object_add(vs->view, "entries", entries);
    intake_claims_view_answer(call, vs);
}

static void audit_audited(struct call *call)
{
    if (!intake_call_audited(call))
        return;
    if (queue_get_audit(call->app->redis, intake_call_key_prefix(call), call->path_id,
                        on_audit_records, call) != 0)
        intake_call_unavailable(call);
}

static void on_claim_exists_for_audit(enum queue_status st, void *arg)
{
    struct call *call = arg;
    if (!intake_call_found(call, st))
        return;
    struct claims_view_state *vs =
        intake_call_state_new(call, sizeof *vs, intake_claims_view_state_free);
    if (!vs)
        return;
    vs->view = json_object_new_object();
    json_object_object_add(vs->view, "claim_id", json_object_new_string(call->path_id));
    /* Reading the trail is itself recorded, before it is read. */
    intake_call_audit(call, call->path_id, "claim.audit.read", audit_audited);
}

static void audit_authed(struct call *call)
{
    if (!intake_auth_is_staff(&call->who)) {
        /* Members and providers may not see who else looked: as for
         * another party's claim, the answer does not say it exists. */
        intake_call_not_found(call);
        return;
    }
    if (!intake_claims_require_id(call))
        return;
    if (queue_claim_exists(call->app->redis, intake_call_key_prefix(call), call->path_id,
                           on_claim_exists_for_audit, call) != 0)
        intake_call_unavailable(call);
}

void intake_claims_audit(struct call *call)
{
    intake_call_authenticate(call, audit_authed);
}

/* ---- GET /v1/claims/{id}/eob ---- */

struct eob_state {
    char format[32];
    int version;
    char *record;
};

static void eob_state_free(void *p)
{
    struct eob_state *es = p;
    if (es)
        free(es->record);
    free(es);
}

/* Answers the FHIR rendering of record (eob/eob_fhir.c); takes record. */
static void respond_fhir(struct call *call, struct json_object *record)
{
    struct json_object *fhir = record ? eob_fhir(record) : NULL;
    json_object_put(record);
    if (!fhir) {
        intake_call_error(call, 500, "internal", "the EOB cannot be rendered in this format");
        return;
    }
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        fhir, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    intake_call_respond(call, 200, "application/fhir+json; charset=utf-8", text, len);
    json_object_put(fhir);
}

/* Answers the printable HTML page of record (eob/eob_html.c); takes record. */
static void respond_html(struct call *call, struct json_object *record)
{
    char *html = record ? eob_html(record) : NULL;
    json_object_put(record);
    if (!html) {
        intake_call_error(call, 500, "internal", "the EOB cannot be rendered in this format");
        return;
    }
    /* A printable page: its own inline style, no script, nothing external. */
    intake_http_add_header(call->req, "Content-Security-Policy",
                           "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    intake_http_add_header(call->req, "X-Content-Type-Options", "nosniff");
    intake_call_respond(call, 200, "text/html; charset=utf-8", html, strlen(html));
    free(html);
}

/* Renders the stored record in the asked format (eob/eob.h). */
static void eob_audited(struct call *call)
{
    struct eob_state *es = call->state;
    if (!intake_call_audited(call))
        return;
    if (strcmp(es->format, "json") == 0) {
        intake_call_respond(call, 200, JSON_CONTENT_TYPE, es->record, strlen(es->record));
        return;
    }
    struct json_object *record = json_tokener_parse(es->record);
    if (record && !json_object_object_get_ex(record, "subscriber", NULL)) {
        /* The short record of a claim for an unknown member (docs/eob.md). */
        json_object_put(record);
        intake_call_error(call, 404, "format_unavailable",
                          "this Explanation of Benefits is available only as JSON");
        return;
    }
    if (strcmp(es->format, "fhir") == 0)
        respond_fhir(call, record);
    else
        respond_html(call, record);
}

static void on_claim_for_eob(enum queue_status st, const struct queue_claim *claim, void *arg)
{
    struct call *call = arg;
    struct eob_state *es = call->state;
    if (!intake_claims_readable(call, st, claim))
        return;
    if (claim->eob_version < 1) {
        intake_call_error(call, 404, "no_eob",
                          "this claim has no Explanation of Benefits yet: it is not final");
        return;
    }
    if (!claim->eob) {
        intake_call_error(call, 404, "no_eob",
                          "this claim has no Explanation of Benefits of that version");
        return;
    }
    es->record = strdup(claim->eob);
    if (!es->record) {
        intake_call_out_of_memory(call);
        return;
    }
    intake_call_audit(call, call->path_id, "claim.eob.read", eob_audited);
}

/* The query's format (json, fhir or html; json when absent) and version (a
 * positive integer; 0, the latest, when absent) into the eob_state, each
 * problem into errs. */
static void parse_eob_query(const struct http_request *req, void *state,
                            struct codec_field_errors *errs)
{
    struct eob_state *es = state;
    char buf[32];
    int rc = intake_http_query_get(req, "format", buf, sizeof buf);
    snprintf(es->format, sizeof es->format, "%s", rc > 0 ? buf : "json");
    if (rc < 0 || (strcmp(es->format, "json") != 0 && strcmp(es->format, "fhir") != 0 &&
                   strcmp(es->format, "html") != 0))
        codec_field_errors_add(errs, "format", "must be json, fhir or html");
    rc = intake_http_query_get(req, "version", buf, sizeof buf);
    if (rc != 0) {
        char *end;
        long v = rc > 0 ? strtol(buf, &end, 10) : 0;
        if (rc < 0 || !buf[0] || *end || v < 1 || v > 100000)
            codec_field_errors_add(errs, "version", "must be a positive integer");
        else
            es->version = (int)v;
    }
}

static void eob_authed(struct call *call)
{
    struct eob_state *es = intake_call_state_new(call, sizeof *es, eob_state_free);
    if (!es ||
        !intake_call_read_query(call, parse_eob_query, "the query has problems listed in fields") ||
        !intake_claims_require_id(call))
        return;
    if (queue_get_eob(call->app->redis, intake_call_key_prefix(call), call->path_id, es->version,
                      on_claim_for_eob, call) != 0)
        intake_call_unavailable(call);
}

void intake_claims_eob(struct call *call)
{
    intake_call_authenticate(call, eob_authed);
}
