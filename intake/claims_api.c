/*
 * The claim endpoints of API.md: submission, reading back, search, the
 * audit trail. Each handler authenticates, checks the role, then talks to
 * Redis asynchronously; nothing here blocks the event loop.
 */
#include "claims_api.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <uuid/uuid.h>

#include "adjudicate/adjudicate.h"
#include "calendar.h"
#include "eob/eob.h"
#include "codec/json_edge.h"
#include "codec/parse_claim.h"
#include "codec/parse_enrollment.h"
#include "date.h"
#include "log.h"
#include "queue/claims_read.h"
#include "queue/corrections.h"
#include "queue/enrollment.h"
#include "queue/audit.h"
#include "queue/intake.h"
#include "queue/tokens.h"
#include "strbuf.h"

#define SEARCH_LIMIT_DEFAULT 50
#define SEARCH_LIMIT_MAX 500

static const char *prefix_of(const struct call *call)
{
    return call->app->cfg.key_prefix;
}

/* A claim id is a UUID in its lower-case text form; anything else cannot
 * name a claim and is answered 404 without asking Redis. */
bool claims_id_valid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
    token_hash_hex(data, len, out);
}

/* ---- POST /v1/claims ---- */

struct submit {
    struct claim claim;
    char claim_id[CLAIM_ID_LEN];
    date_t received, target;
    bool has_idem;
    char idem_hash[65]; /* SHA-256 hex of the Idempotency-Key header */
    char body_hash[65];
    char *response; /* the 202 body, remembered for replays */
    char replaces[CLAIM_ID_LEN]; /* a replacement: the final claim it replaces; "" otherwise */
    char *in_place;              /* a replacement in place: the canonical submission */
};

static void submit_free(void *p)
{
    struct submit *s = p;
    if (!s)
        return;
    free(s->response);
    free(s->in_place);
    free(s);
}

/* Idempotency-Key: 1..255 printable ASCII characters (API.md). */
static bool valid_idempotency_key(const char *k)
{
    size_t n = strlen(k);
    if (n < 1 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x20 || k[i] > 0x7e)
            return false;
    return true;
}

static void respond_accepted(struct call *call, const char *claim_id, const char *body,
                             bool replayed)
{
    char location[64];
    snprintf(location, sizeof location, "/v1/claims/%s", claim_id);
    http_add_header(call->req, "Location", location);
    if (replayed)
        http_add_header(call->req, "Idempotent-Replayed", "true");
    call_respond(call, 202, JSON_CONTENT_TYPE, body, strlen(body));
}

static void correction_conflict(struct call *call, const char *status);

/* The intake step's answer for this claim (queue/intake.h). */
static void on_stored(enum queue_intake_outcome outcome, const char *value, void *arg)
{
    struct call *call = arg;
    struct submit *s = call->state;
    switch (outcome) {
    case QUEUE_INTAKE_CREATED:
        respond_accepted(call, s->claim_id, s->response, false);
        return;
    case QUEUE_INTAKE_FORBIDDEN:
        call_error(call, 403, "forbidden",
                   "a member may file claims only for self or, as the subscriber, for the family");
        return;
    case QUEUE_INTAKE_CONFLICT:
        /* The original stopped being final between the read and the store. */
        correction_conflict(call, value);
        return;
    case QUEUE_INTAKE_UNAVAILABLE:
        call_unavailable(call);
        return;
    case QUEUE_INTAKE_REPLAY:
        break;
    }
    /* Remembered as "<body sha256>\n<202 body>". */
    const char *nl = strchr(value, '\n');
    if (!nl || (size_t)(nl - value) != 64 || memcmp(value, s->body_hash, 64) != 0) {
        call_error(call, 422, "idempotency_key_reused",
                   "this Idempotency-Key was used with a different body");
        return;
    }
    struct json_object *prev = json_tokener_parse(nl + 1), *id = NULL;
    const char *claim_id =
        prev && json_object_object_get_ex(prev, "claim_id", &id) ? json_object_get_string(id) : "";
    char id_copy[CLAIM_ID_LEN];
    snprintf(id_copy, sizeof id_copy, "%s", claim_id);
    if (prev)
        json_object_put(prev);
    respond_accepted(call, id_copy, nl + 1, true);
}

/* A random (version 4) UUID, RFC 9562 § 5.4, from the kernel's generator.
 * libuuid's uuid_generate_random reseeds srandom on every call, which cost
 * more than the rest of the id; it stays as the fallback. */
static void new_claim_id(char out[CLAIM_ID_LEN])
{
    uuid_t u;
    if (getrandom(u, sizeof u, 0) != (ssize_t)sizeof u) {
        uuid_generate_random(u);
    } else {
        u[6] = (unsigned char)((u[6] & 0x0F) | 0x40); /* version 4 */
        u[8] = (unsigned char)((u[8] & 0x3F) | 0x80); /* variant 10 */
    }
    uuid_unparse_lower(u, out);
}

/* The 202 body (API.md "Submitting a claim"); remembered for replays.
 * Allocates: the caller frees it; NULL when out of memory. */
static char *accepted_body(const struct submit *s, const char *type, const char *received,
                           const char *target)
{
    struct json_writer w;
    json_writer_init(&w, false);
    strbuf_grow(&w.sb, 160); /* the body is about 130 bytes: one allocation */
    json_writer_open(&w, NULL, '{');
    json_writer_string(&w, "claim_id", s->claim_id);
    json_writer_string(&w, "status", "received");
    json_writer_string(&w, "type", type);
    json_writer_string(&w, "received_date", received);
    json_writer_string(&w, "target_date", target);
    if (s->replaces[0])
        json_writer_string(&w, "replaces", s->replaces);
    json_writer_close(&w, '}');
    return strbuf_take(&w.sb);
}

/* Hands the claim to the intake step of this loop turn (queue/intake.h):
 * one script call stores every claim of the turn. The stored submission and
 * the audit record are written straight into one buffer (no json-c tree). */
static void submit_store(struct call *call)
{
    struct submit *s = call->state;
    new_claim_id(s->claim_id);
    const char *type = s->claim.type == CLAIM_MEDICAL ? "medical" : "pharmacy";
    char received[DATE_STRLEN], target[DATE_STRLEN];
    date_format(s->received, received);
    date_format(s->target, target);
    s->response = accepted_body(s, type, received, target);
    if (!s->response) {
        call_out_of_memory(call);
        return;
    }
    struct strbuf idem;
    strbuf_init(&idem);
    strbuf_append(&idem, s->body_hash, strlen(s->body_hash));
    strbuf_append_char(&idem, '\n');
    strbuf_append_str(&idem, s->response);
    struct claims_store_request req = {
        .claim = &s->claim,
        .claim_id = s->claim_id,
        .received = s->received,
        .target = s->target,
        .idem_hash = s->has_idem ? s->idem_hash : NULL,
        .idem_value = idem.buf ? idem.buf : "",
        .replaces = s->replaces[0] ? s->replaces : NULL,
    };
    int rc = strbuf_failed(&idem) ? -1 : claims_store(call, &req, on_stored, call);
    strbuf_free(&idem);
    if (rc != 0)
        call_out_of_memory(call);
}

void claims_new_id(char out[CLAIM_ID_LEN])
{
    new_claim_id(out);
}

date_t claims_target_date(const struct app *app, date_t received)
{
    return calendar_add_business_days(&app->calendar, received, app->cfg.target_business_days);
}

#define YEARS_TEXT_LEN (ADJ_MAX_PLAN_YEARS * 12 + 1)

/* The plan years of the claim's lines as the work entry and the claim hash
 * keep them: "2025,2026". */
static void years_text(const struct claim *claim, char out[YEARS_TEXT_LEN])
{
    int year_list[ADJ_MAX_PLAN_YEARS];
    int n_years = adj_claim_plan_years(claim, year_list);
    out[0] = '\0';
    for (int i = 0, off = 0; i < n_years; i++)
        off += snprintf(out + off, YEARS_TEXT_LEN - (size_t)off, "%s%d", i ? "," : "",
                        year_list[i]);
}

int claims_store(struct call *call, const struct claims_store_request *req, queue_intake_cb cb,
                 void *arg)
{
    struct app *app = call->app;
    const struct claim *claim = req->claim;
    const char *type = claim->type == CLAIM_MEDICAL ? "medical" : "pharmacy";
    char received[DATE_STRLEN], target[DATE_STRLEN], now[32];
    date_format(req->received, received);
    date_format(req->target, target);
    rfc3339_now(now);
    /* "<submitted>\0<audit>\0<idempotency value>": three texts, one buffer. */
    struct strbuf sb;
    strbuf_init(&sb);
    /* Room for a typical claim and its records at once: growing by
     * doubling would copy it a few times over. */
    strbuf_grow(&sb, 4096);
    intake_claim_write_json(claim, &sb);
    size_t audit_at = sb.len + 1;
    strbuf_append_char(&sb, '\0');
    audit_record_write(&sb, now, call->who.token_id, auth_role_name(call->who.role), "claim.submit",
                       call->req->request_id, call->req->client_request_id, call->req->peer);
    size_t idem_at = sb.len + 1;
    strbuf_append_char(&sb, '\0');
    if (req->idem_value)
        strbuf_append_str(&sb, req->idem_value);
    /* A replacement's record on the original's trail. */
    size_t replace_at = sb.len + 1;
    strbuf_append_char(&sb, '\0');
    if (req->replaces)
        audit_record_write(&sb, now, call->who.token_id, auth_role_name(call->who.role),
                           "claim.replace", call->req->request_id, call->req->client_request_id,
                           call->req->peer);
    if (strbuf_failed(&sb)) {
        strbuf_free(&sb);
        return -1;
    }
    /* The plan years of the lines: the accumulators the worker will load. */
    char years[YEARS_TEXT_LEN];
    years_text(claim, years);
    bool provider = call->who.role == AUTH_PROVIDER;
    struct queue_claim_record rec = {
        .claim_id = req->claim_id,
        .type = type,
        .member_id = claim->member_id,
        .received = received,
        .target = target,
        .received_day = (int)req->received.days,
        .target_day = (int)req->target.days,
        .years = years,
        .by_token = call->who.token_id,
        .by_role = auth_role_name(call->who.role),
        .by_npi = provider ? call->who.npi : "",
        .member_only = call->who.role == AUTH_MEMBER ? call->who.member_id : "",
        .now_seconds = (long long)clock_wall_seconds(),
        .submitted = sb.buf,
        .audit = sb.buf + audit_at,
        .idem_hash = req->idem_hash,
        .idem_value = sb.buf + idem_at,
        .idem_ttl_seconds = app->cfg.idempotency_ttl_seconds,
        .replaces = req->replaces,
        .replace_audit = req->replaces ? sb.buf + replace_at : NULL,
    };
    int rc = queue_intake_submit(app->intake, &rec, cb, arg);
    strbuf_free(&sb);
    return rc;
}

/* A new submit state for this call (owned by the call); NULL (answered
 * 500) when out of memory. */
static struct submit *submit_new(struct call *call)
{
    /* Not calloc: the claim (most of the struct) is zeroed by the parse,
     * and read only after a parse that succeeded. */
    struct submit *s = malloc(sizeof *s);
    if (!s) {
        call_out_of_memory(call);
        return NULL;
    }
    s->claim_id[0] = '\0';
    s->has_idem = false;
    s->idem_hash[0] = '\0';
    s->body_hash[0] = '\0';
    s->response = NULL;
    s->replaces[0] = '\0';
    s->in_place = NULL;
    call->state = s;
    call->state_free = submit_free;
    return s;
}

/* Checks the request's Idempotency-Key and body as POST /v1/claims does
 * (the submitter's own NPI for a provider), and sets the receipt and target
 * dates. Returns false after answering the problem. */
static bool submit_parse(struct call *call, struct submit *s)
{
    struct principal *who = &call->who;
    const char *idem = http_header_get(call->req, "idempotency-key");
    if (idem) {
        if (!valid_idempotency_key(idem)) {
            call_error(call, 400, "invalid_idempotency_key",
                       "Idempotency-Key must be 1 to 255 printable ASCII characters");
            return false;
        }
        sha256_hex(idem, strlen(idem), s->idem_hash);
        s->has_idem = true;
        /* Only a replay compares bodies. */
        sha256_hex(call->req->body, call->req->body_len, s->body_hash);
    }

    date_t today = date_today();
    struct intake_claim_options opt = {.may_set_received_date = auth_is_staff(who), .today = today};
    /* On the stack, as the other handlers here keep theirs: a malloc of this
     * size per claim costs malloc a consolidation of its small-chunk bins. */
    struct intake_field_errors errs;
    const char *reason = NULL;
    enum intake_status st = intake_claim_from_body(call->req->body, call->req->body_len, &opt,
                                                   &s->claim, &errs, &reason);
    if (st != INTAKE_OK) {
        if (st == INTAKE_NO_MEMORY)
            call_out_of_memory(call);
        else
            call_invalid(call, intake_status_http(st), reason, &errs);
        return false;
    }
    if (who->role == AUTH_PROVIDER) {
        const char *npi = s->claim.type == CLAIM_MEDICAL
                              ? s->claim.provider.npi
                              : (s->claim.pharmacy.has_npi ? s->claim.pharmacy.npi : "");
        if (strcmp(npi, who->npi) != 0) {
            call_error(call, 403, "forbidden",
                       "a provider may file only claims that name its own NPI");
            return false;
        }
    }
    s->received = s->claim.has_received_date ? s->claim.received_date : today;
    s->target = claims_target_date(call->app, s->received);
    return true;
}

static void submit_authed(struct call *call)
{
    if (call->who.role == AUTH_NONE) {
        call_forbidden(call);
        return;
    }
    if (!call_require_json(call))
        return;
    struct submit *s = submit_new(call);
    if (s && submit_parse(call, s))
        submit_store(call);
}

void claims_post(struct call *call)
{
    call_authenticate(call, submit_authed);
}

/* ---- reading a claim ---- */

/* Object-level authorization (API.md "Roles"): staff see every claim; a
 * member their own and, as the subscriber, the family's; a provider what it
 * submitted. Everyone else is told the claim does not exist. */
bool claims_may_read(const struct principal *who, const struct queue_claim *claim)
{
    if (auth_is_staff(who))
        return true;
    const char *member = queue_claim_field(claim, "member_id"),
               *sub = queue_claim_field(claim, "subscriber_id"),
               *npi = queue_claim_field(claim, "by_npi");
    if (who->role == AUTH_MEMBER)
        return (member && strcmp(member, who->member_id) == 0) ||
               (sub && sub[0] && strcmp(sub, who->member_id) == 0);
    if (who->role == AUTH_PROVIDER)
        return npi && npi[0] && strcmp(npi, who->npi) == 0;
    return false;
}

/* Reads the claim named in the path (its hash, submission and decision) and
 * passes it to cb; a path id that cannot be a claim id is answered 404 here. */
static void fetch_claim(struct call *call, queue_claim_cb cb)
{
    if (!claims_id_valid(call->path_id)) {
        call_not_found(call);
        return;
    }
    if (queue_get_claim(call->app->redis, prefix_of(call), call->path_id, cb, call) != 0)
        call_unavailable(call);
}

/* The claim fetched for this caller: answers 503 when Redis did not, 404
 * when the claim does not exist or is another party's, and returns false
 * then; true when the caller may go on with it. */
bool claims_readable(struct call *call, enum queue_status st, const struct queue_claim *claim)
{
    if (st == QUEUE_UNAVAILABLE || (st == QUEUE_OK && !claim)) {
        call_unavailable(call);
        return false;
    }
    if (st != QUEUE_OK || !claims_may_read(&call->who, claim)) {
        call_not_found(call);
        return false;
    }
    return true;
}

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

struct read_state {
    struct json_object *view;
};

static void read_state_free(void *p)
{
    struct read_state *rs = p;
    if (rs && rs->view)
        json_object_put(rs->view);
    free(rs);
}

static void read_audited(struct call *call)
{
    struct read_state *rs = call->state;
    if (!call_audited(call))
        return;
    struct json_object *view = rs->view;
    rs->view = NULL;
    call_json(call, 200, view);
}

static void on_claim_for_read(enum queue_status st, const struct queue_claim *claim, void *arg)
{
    struct call *call = arg;
    if (!claims_readable(call, st, claim))
        return;
    struct read_state *rs = calloc(1, sizeof *rs);
    if (!rs || !(rs->view = claim_view(claim))) {
        free(rs);
        call_out_of_memory(call);
        return;
    }
    call->state = rs;
    call->state_free = read_state_free;
    call_audit(call, call->path_id, "claim.read", read_audited);
}

static void read_authed(struct call *call)
{
    fetch_claim(call, on_claim_for_read);
}

void claims_get(struct call *call)
{
    call_authenticate(call, read_authed);
}

/* ---- GET /v1/claims/{id}/audit (staff) ---- */

static void on_audit_records(enum queue_status st, const char *const *records, size_t n, void *arg)
{
    struct call *call = arg;
    if (st != QUEUE_OK) {
        call_unavailable(call);
        return;
    }
    struct read_state *rs = call->state;
    struct json_object *entries = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_tokener_parse(records[i]);
        if (e)
            json_object_array_add(entries, e);
    }
    json_object_object_add(rs->view, "entries", entries);
    struct json_object *view = rs->view;
    rs->view = NULL;
    call_json(call, 200, view);
}

static void audit_audited(struct call *call)
{
    if (!call_audited(call))
        return;
    if (queue_get_audit(call->app->redis, prefix_of(call), call->path_id, on_audit_records, call) != 0)
        call_unavailable(call);
}

static void on_claim_exists_for_audit(enum queue_status st, void *arg)
{
    struct call *call = arg;
    if (st == QUEUE_UNAVAILABLE) {
        call_unavailable(call);
        return;
    }
    if (st != QUEUE_OK) {
        call_not_found(call);
        return;
    }
    struct read_state *rs = calloc(1, sizeof *rs);
    if (!rs) {
        call_out_of_memory(call);
        return;
    }
    rs->view = json_object_new_object();
    json_object_object_add(rs->view, "claim_id", json_object_new_string(call->path_id));
    call->state = rs;
    call->state_free = read_state_free;
    /* Reading the trail is itself recorded, before it is read. */
    call_audit(call, call->path_id, "claim.audit.read", audit_audited);
}

static void audit_authed(struct call *call)
{
    if (!auth_is_staff(&call->who)) {
        /* Members and providers may not see who else looked: as for
         * another party's claim, the answer does not say it exists. */
        call_not_found(call);
        return;
    }
    if (!claims_id_valid(call->path_id)) {
        call_not_found(call);
        return;
    }
    if (queue_claim_exists(call->app->redis, prefix_of(call), call->path_id,
                           on_claim_exists_for_audit, call) != 0)
        call_unavailable(call);
}

void claims_audit(struct call *call)
{
    call_authenticate(call, audit_authed);
}

/* ---- GET /v1/claims (search) ---- */

struct search_params {
    char member_id[ID_LEN];
    char status[128];
    char type[128];
    bool overdue;
    bool has_from, has_to;
    date_t from, to;
    int limit;
    char cursor[128];
};

static const char *const search_param_names[] = {"member_id",     "status",      "type",
                                                 "overdue",       "received_from", "received_to",
                                                 "limit",         "cursor"};

/* Parses and checks the query; every problem goes to errs. */
static void parse_search(const struct http_request *req, struct search_params *p,
                         struct intake_field_errors *errs)
{
    memset(p, 0, sizeof *p);
    p->limit = SEARCH_LIMIT_DEFAULT;
    call_check_query_names(req, search_param_names, sizeof search_param_names / sizeof *search_param_names, errs);
    char buf[128];
    int rc;
    if ((rc = http_query_get(req, "member_id", p->member_id, sizeof p->member_id)) < 0)
        intake_field_errors_add(errs, "member_id", "must be a member id");
    if ((rc = http_query_get(req, "status", buf, sizeof buf)) != 0) {
        static const char *const statuses[] = {"received", "processing", "pended", "in_review",
                                               "approved", "denied",     "voided", "replaced"};
        bool ok = false;
        for (size_t i = 0; rc > 0 && i < sizeof statuses / sizeof *statuses; i++)
            ok |= strcmp(buf, statuses[i]) == 0;
        if (!ok)
            intake_field_errors_add(errs, "status",
                                    "must be received, processing, pended, in_review, approved, "
                                    "denied, voided or replaced");
        else
            snprintf(p->status, sizeof p->status, "%s", buf);
    }
    if ((rc = http_query_get(req, "type", buf, sizeof buf)) != 0) {
        if (rc < 0 || (strcmp(buf, "medical") != 0 && strcmp(buf, "pharmacy") != 0))
            intake_field_errors_add(errs, "type", "must be medical or pharmacy");
        else
            snprintf(p->type, sizeof p->type, "%s", buf);
    }
    if ((rc = http_query_get(req, "overdue", buf, sizeof buf)) != 0) {
        if (rc < 0 || (strcmp(buf, "true") != 0 && strcmp(buf, "false") != 0))
            intake_field_errors_add(errs, "overdue", "must be true or false");
        else
            p->overdue = strcmp(buf, "true") == 0;
    }
    if ((rc = http_query_get(req, "received_from", buf, sizeof buf)) != 0) {
        if (rc < 0 || !date_parse(buf, &p->from))
            intake_field_errors_add(errs, "received_from", "must be a date YYYY-MM-DD");
        else
            p->has_from = true;
    }
    if ((rc = http_query_get(req, "received_to", buf, sizeof buf)) != 0) {
        if (rc < 0 || !date_parse(buf, &p->to))
            intake_field_errors_add(errs, "received_to", "must be a date YYYY-MM-DD");
        else
            p->has_to = true;
    }
    if (p->has_from && p->has_to && date_cmp(p->from, p->to) > 0)
        intake_field_errors_add(errs, "received_to", "must not be before received_from");
    if ((rc = http_query_get(req, "limit", buf, sizeof buf)) != 0) {
        char *end;
        long n = rc > 0 ? strtol(buf, &end, 10) : 0;
        if (rc < 0 || !buf[0] || *end || n < 1 || n > SEARCH_LIMIT_MAX)
            intake_field_errors_add(errs, "limit", "must be an integer from 1 to 500");
        else
            p->limit = (int)n;
    }
    if ((rc = http_query_get(req, "cursor", buf, sizeof buf)) != 0) {
        if (rc < 0 || !buf[0] || strlen(buf) > 20 || strspn(buf, "0123456789") != strlen(buf))
            intake_field_errors_add(errs, "cursor", "must be a cursor returned by a search");
        else
            snprintf(p->cursor, sizeof p->cursor, "%s", buf);
    }
}

static void on_search(enum queue_status st, const struct queue_search_row *rows, size_t n,
                      const char *next_cursor, void *arg)
{
    struct call *call = arg;
    struct read_state *rs = call->state;
    if (st != QUEUE_OK) {
        call_unavailable(call);
        return;
    }
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_new_object();
        const struct queue_search_row *r = &rows[i];
        const char *const names[] = {"claim_id", "type", "member_id", "status",
                                     "received_date", "target_date"};
        const char *const values[] = {r->claim_id, r->type,          r->member_id,
                                      r->status,   r->received_date, r->target_date};
        for (int j = 0; j < 6; j++)
            if (values[j])
                json_object_object_add(c, names[j], json_object_new_string(values[j]));
        json_object_array_add(list, c);
    }
    json_object_object_add(rs->view, "claims", list);
    json_object_object_add(rs->view, "next_cursor",
                           next_cursor ? json_object_new_string(next_cursor) : NULL);
    struct json_object *view = rs->view;
    rs->view = NULL;
    call_json(call, 200, view);
}

struct search_state {
    struct read_state rs; /* first: read_state_free frees it */
    struct search_params p;
};

static void search_audited(struct call *call)
{
    struct search_state *ss = call->state;
    struct search_params *p = &ss->p;
    const struct principal *who = &call->who;
    if (!call_audited(call))
        return;
    struct queue_search_query q = {
        .family_of = "",
        .member_id = p->member_id,
        .own_member = "",
        .npi = "",
        .status = p->status,
        .type = p->type,
        .has_from = p->has_from,
        .has_to = p->has_to,
        .from = p->from,
        .to = p->to,
        .cursor = p->cursor,
        .limit = p->limit,
        .overdue = p->overdue,
        .today = date_today(),
    };
    if (who->role == AUTH_PROVIDER) {
        /* What this provider submitted, nothing else. */
        q.npi = who->npi;
    } else if (who->role == AUTH_MEMBER) {
        /* Their own claims, and the family's when they are the subscriber. */
        q.own_member = who->member_id;
        q.family_of = p->member_id[0] ? p->member_id : who->member_id;
    } else if (p->member_id[0]) {
        q.family_of = p->member_id;
    }
    if (queue_search(call->app->redis, prefix_of(call), &q, on_search, call) != 0)
        call_unavailable(call);
}

static void search_free(void *p)
{
    struct search_state *ss = p;
    if (ss && ss->rs.view)
        json_object_put(ss->rs.view);
    free(ss);
}

static void search_authed(struct call *call)
{
    struct search_state *ss = calloc(1, sizeof *ss);
    struct intake_field_errors *errs = malloc(sizeof *errs);
    if (!ss || !errs) {
        free(ss);
        free(errs);
        call_out_of_memory(call);
        return;
    }
    call->state = ss;
    call->state_free = search_free;
    intake_field_errors_init(errs);
    parse_search(call->req, &ss->p, errs);
    if (intake_field_errors_any(errs)) {
        call_invalid(call, 422, "the search parameters are not valid", errs);
        free(errs);
        return;
    }
    free(errs);
    ss->rs.view = json_object_new_object();
    call_audit(call, NULL, "claim.search", search_audited);
}

void claims_search(struct call *call)
{
    call_authenticate(call, search_authed);
}

/* ---- POST /v1/claims/{id}/information ---- */

/* What a pended claim may be given afterwards: the fields the rules pend
 * for (RULES.md § 4, § 6) and the documents that carry them. */
static const char *const supplement_fields[] = {"other_insurance", "itemized_bill", "attachments"};

struct supply_state {
    struct json_object *body;   /* the supplied fields */
    char *merged;               /* canonical merged submission */
};

static void supply_free(void *p)
{
    struct supply_state *ss = p;
    if (!ss)
        return;
    if (ss->body)
        json_object_put(ss->body);
    free(ss->merged);
    free(ss);
}

static void on_supplied(enum queue_status st, void *arg)
{
    struct call *call = arg;
    if (st == QUEUE_UNAVAILABLE) {
        call_unavailable(call);
        return;
    }
    if (st == QUEUE_NOT_FOUND) {
        call_not_found(call);
        return;
    }
    if (st == QUEUE_CONFLICT) {
        call_error(call, 409, "not_pended", "only a pended claim takes more information");
        return;
    }
    log_info("information supplied; claim requeued claim_id=%s request_id=%s", call->path_id,
             call->req->request_id);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "claim_id", json_object_new_string(call->path_id));
    json_object_object_add(o, "status", json_object_new_string("received"));
    call_json(call, 202, o);
}

static void on_claim_for_supply(enum queue_status st, const struct queue_claim *stored, void *arg)
{
    struct call *call = arg;
    struct supply_state *ss = call->state;
    if (!claims_readable(call, st, stored))
        return;
    const char *status = queue_claim_field(stored, "status");
    if (!status || strcmp(status, "pended") != 0) {
        call_error(call, 409, "not_pended", "only a pended claim takes more information");
        return;
    }
    /* The information must include something the claim waits for. */
    struct json_object *needed = NULL;
    if (stored->pending && json_object_object_get_ex(stored->pending, "needed", &needed) &&
        json_object_is_type(needed, json_type_array) && json_object_array_length(needed) > 0) {
        bool answers = false;
        for (size_t i = 0; i < json_object_array_length(needed) && !answers; i++) {
            const char *want = json_object_get_string(json_object_array_get_idx(needed, i));
            struct json_object *given = NULL;
            answers = want && json_object_object_get_ex(ss->body, want, &given) && given;
            /* An attachment of the needed kind also answers (RULES.md § 6). */
            struct json_object *list = NULL;
            if (!answers && want && json_object_object_get_ex(ss->body, "attachments", &list) &&
                json_object_is_type(list, json_type_array))
                for (size_t k = 0; k < json_object_array_length(list) && !answers; k++) {
                    struct json_object *kind = NULL;
                    answers = json_object_object_get_ex(json_object_array_get_idx(list, k),
                                                        "kind", &kind) &&
                              strcmp(json_object_get_string(kind), want) == 0;
                }
        }
        if (!answers) {
            struct intake_field_errors errs;
            intake_field_errors_init(&errs);
            intake_field_errors_add(&errs, "", "supplies none of what the claim waits for "
                                               "(its pending.needed)");
            call_invalid(call, 422, "the body has problems listed in fields", &errs);
            return;
        }
    }
    struct json_object *merged = NULL;
    if (!stored->submitted || json_object_deep_copy(stored->submitted, &merged, NULL) != 0) {
        call_error(call, 500, "internal", "the stored claim cannot be read");
        return;
    }
    json_object_object_foreach(ss->body, key, value)
        json_object_object_add(merged, key, json_object_get(value));
    /* The merged claim is checked as a whole, as at submission. */
    struct claim *claim = malloc(sizeof *claim);
    struct intake_field_errors *errs = malloc(sizeof *errs);
    if (!claim || !errs) {
        free(claim);
        free(errs);
        json_object_put(merged);
        call_out_of_memory(call);
        return;
    }
    intake_field_errors_init(errs);
    struct intake_claim_options opt = {.may_set_received_date = true, .today = date_today()};
    bool ok = intake_parse_claim(merged, &opt, claim, errs);
    json_object_put(merged);
    if (!ok) {
        call_invalid(call, 422, "the claim with this information has problems listed in fields", errs);
        free(claim);
        free(errs);
        return;
    }
    struct json_object *canonical = intake_claim_to_json(claim);
    free(claim);
    free(errs);
    ss->merged = canonical ? strdup(json_object_to_json_string_ext(canonical, JSON_C_TO_STRING_PLAIN)) : NULL;
    json_object_put(canonical);
    if (!ss->merged) {
        call_out_of_memory(call);
        return;
    }
    char now[32];
    rfc3339_now(now);
    struct json_object *audit = call_audit_record(call, now, "claim.information");
    int rc = queue_supply(call->app->redis, prefix_of(call), call->path_id, ss->merged,
                          stored->decision,
                          json_object_to_json_string_ext(audit, JSON_C_TO_STRING_PLAIN),
                          (long long)clock_wall_seconds(), on_supplied, call);
    json_object_put(audit);
    if (rc != 0)
        call_unavailable(call);
}

static void supply_authed(struct call *call)
{
    if (call->who.role == AUTH_NONE) {
        call_forbidden(call);
        return;
    }
    if (!claims_id_valid(call->path_id)) {
        call_not_found(call);
        return;
    }
    if (!call_require_json(call))
        return;
    struct supply_state *ss = calloc(1, sizeof *ss);
    struct intake_field_errors *errs = malloc(sizeof *errs);
    if (!ss || !errs) {
        free(ss);
        free(errs);
        call_out_of_memory(call);
        return;
    }
    call->state = ss;
    call->state_free = supply_free;
    intake_field_errors_init(errs);
    const char *reason = NULL;
    enum intake_status st =
        intake_json_parse(call->req->body, call->req->body_len, &ss->body, errs, &reason);
    if (st != INTAKE_OK || intake_field_errors_any(errs)) {
        call_invalid(call, st == INTAKE_OK ? 422 : intake_status_http(st),
                     reason ? reason : "the body has problems listed in fields", errs);
        free(errs);
        return;
    }
    int n = 0;
    json_object_object_foreach(ss->body, key, value)
    {
        (void)value;
        n++;
        bool allowed = false;
        for (size_t i = 0; i < sizeof supplement_fields / sizeof *supplement_fields; i++)
            allowed |= strcmp(key, supplement_fields[i]) == 0;
        struct intake_path path;
        intake_path_init(&path);
        intake_path_push_key(&path, key, strlen(key));
        if (!allowed)
            intake_field_errors_add(errs, path.text,
                                    "cannot be supplied afterwards (only other_insurance, "
                                    "itemized_bill, attachments)");
        /* Supplying nothing is not supplying (issue 16, finding 7): a null,
         * or an itemized bill said not to exist, would requeue the claim
         * with nothing new, as often as one liked. */
        else if (!value)
            intake_field_errors_add(errs, path.text, "must not be null");
        else if (strcmp(key, "itemized_bill") == 0 && json_object_is_type(value, json_type_boolean) &&
                 !json_object_get_boolean(value))
            intake_field_errors_add(errs, path.text, "must be true: it says the itemized bill is supplied");
    }
    if (n == 0)
        intake_field_errors_add(errs, "", "supply at least one of other_insurance, itemized_bill, attachments");
    if (intake_field_errors_any(errs)) {
        call_invalid(call, 422, "the body has problems listed in fields", errs);
        free(errs);
        return;
    }
    free(errs);
    fetch_claim(call, on_claim_for_supply);
}

void claims_information(struct call *call)
{
    call_authenticate(call, supply_authed);
}

/* ---- corrections: POST /v1/claims/{id}/replace and /void ---- */

#define VOID_REASON_MAX 500 /* characters */

/* Who may correct a claim (docs/api.md "Corrections"): staff and admin; the
 * provider that submitted it; a member when a member filed it and may read
 * it (the patient, or the family's subscriber). Everyone else is told the
 * claim does not exist. */
static bool may_correct_claim(const struct principal *who, const struct queue_claim *claim)
{
    if (auth_is_staff(who))
        return true;
    const char *by_role = queue_claim_field(claim, "by_role");
    return by_role && strcmp(by_role, auth_role_name(who->role)) == 0 &&
           claims_may_read(who, claim);
}

/* The claim fetched for a correction: false after answering 503 or 404. */
static bool claim_correctable(struct call *call, enum queue_status st,
                              const struct queue_claim *claim)
{
    if (!claims_readable(call, st, claim))
        return false;
    if (!may_correct_claim(&call->who, claim)) {
        call_not_found(call);
        return false;
    }
    return true;
}

/* A correction refused for the claim's status (or, from a script, for another patient). */
static void correction_conflict(struct call *call, const char *status)
{
    if (strcmp(status, "voided") == 0) {
        call_error(call, 409, "already_voided", "this claim is voided: it cannot be changed");
    } else if (strcmp(status, "replaced") == 0) {
        call_error(call, 409, "already_replaced",
                   "this claim was replaced: correct its replacement instead");
    } else if (strcmp(status, "member") == 0) {
        struct intake_field_errors errs;
        intake_field_errors_init(&errs);
        intake_field_errors_add(&errs, "member_id",
                                "must be the member_id of the claim it replaces (file a new "
                                "claim for another patient)");
        call_invalid(call, 422, "the body has problems listed in fields", &errs);
    } else if (!status[0]) {
        call_not_found(call);
    } else {
        call_error(call, 409, "not_correctable", "a claim in this status cannot be replaced");
    }
}

static void on_replaced_in_place(enum queue_status st, const char *prior, void *arg)
{
    struct call *call = arg;
    struct submit *s = call->state;
    if (st == QUEUE_UNAVAILABLE) {
        call_unavailable(call);
        return;
    }
    if (st != QUEUE_OK) {
        correction_conflict(call, st == QUEUE_NOT_FOUND ? "" : prior);
        return;
    }
    log_info("claim replaced in place; requeued claim_id=%s request_id=%s", call->path_id,
             call->req->request_id);
    respond_accepted(call, s->claim_id, s->response, false);
}

/* A claim not yet final: the submission replaced, the same id, back to the queue. */
static void replace_in_place(struct call *call, const struct queue_claim *stored)
{
    struct submit *s = call->state;
    memcpy(s->claim_id, call->path_id, CLAIM_ID_LEN); /* a valid id: 36 characters */
    const char *received = queue_claim_field(stored, "received"),
               *target = queue_claim_field(stored, "target");
    const char *type = s->claim.type == CLAIM_MEDICAL ? "medical" : "pharmacy";
    s->response = accepted_body(s, type, received ? received : "", target ? target : "");
    struct strbuf sb;
    strbuf_init(&sb);
    intake_claim_write_json(&s->claim, &sb);
    char years[YEARS_TEXT_LEN];
    years_text(&s->claim, years);
    char now[32];
    rfc3339_now(now);
    struct json_object *audit = call_audit_record(call, now, "claim.replace");
    int rc = -1;
    if (s->response && !strbuf_failed(&sb) && audit)
        rc = queue_replace_in_place(call->app->redis, prefix_of(call), call->path_id,
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
            call_out_of_memory(call);
        else
            call_unavailable(call);
    }
}

static void on_claim_for_replace(enum queue_status st, const struct queue_claim *stored,
                                 void *arg)
{
    struct call *call = arg;
    struct submit *s = call->state;
    if (!claim_correctable(call, st, stored))
        return;
    const char *status = queue_claim_field(stored, "status");
    const char *member = queue_claim_field(stored, "member_id");
    if (!status || strcmp(status, "voided") == 0 || strcmp(status, "replaced") == 0) {
        correction_conflict(call, status ? status : "");
        return;
    }
    if (!member || strcmp(member, s->claim.member_id) != 0) {
        correction_conflict(call, "member");
        return;
    }
    if (strcmp(status, "approved") == 0 || strcmp(status, "denied") == 0) {
        memcpy(s->replaces, call->path_id, CLAIM_ID_LEN); /* a valid id: 36 characters */
        submit_store(call);
        return;
    }
    if (strcmp(status, "received") != 0 && strcmp(status, "processing") != 0 &&
        strcmp(status, "pended") != 0 && strcmp(status, "in_review") != 0) {
        correction_conflict(call, status);
        return;
    }
    replace_in_place(call, stored);
}

static void replace_authed(struct call *call)
{
    if (call->who.role == AUTH_NONE) {
        call_forbidden(call);
        return;
    }
    if (!claims_id_valid(call->path_id)) {
        call_not_found(call);
        return;
    }
    if (!call_require_json(call))
        return;
    struct submit *s = submit_new(call);
    if (s && submit_parse(call, s))
        fetch_claim(call, on_claim_for_replace);
}

void claims_replace(struct call *call)
{
    call_authenticate(call, replace_authed);
}

struct void_state {
    char reason[VOID_REASON_MAX * 4 + 1]; /* UTF-8 */
    char voided_at[32];
};

static void on_voided(enum queue_status st, const char *prior, void *arg)
{
    struct call *call = arg;
    struct void_state *vs = call->state;
    if (st == QUEUE_UNAVAILABLE) {
        call_unavailable(call);
        return;
    }
    if (st != QUEUE_OK) {
        correction_conflict(call, st == QUEUE_NOT_FOUND ? "" : prior);
        return;
    }
    log_info("claim voided claim_id=%s request_id=%s", call->path_id, call->req->request_id);
    struct json_object *o = json_object_new_object(), *v = json_object_new_object();
    json_object_object_add(o, "claim_id", json_object_new_string(call->path_id));
    json_object_object_add(o, "status", json_object_new_string("voided"));
    json_object_object_add(v, "reason", json_object_new_string(vs->reason));
    json_object_object_add(v, "at", json_object_new_string(vs->voided_at));
    json_object_object_add(o, "voided", v);
    call_json(call, 200, o);
}

static void on_claim_for_void(enum queue_status st, const struct queue_claim *stored, void *arg)
{
    struct call *call = arg;
    struct void_state *vs = call->state;
    if (!claim_correctable(call, st, stored))
        return;
    const char *status = queue_claim_field(stored, "status");
    if (!status || strcmp(status, "voided") == 0 || strcmp(status, "replaced") == 0) {
        correction_conflict(call, status ? status : "");
        return;
    }
    rfc3339_now(vs->voided_at);
    struct json_object *audit = call_audit_record(call, vs->voided_at, "claim.void");
    int rc = audit ? queue_void_claim(call->app->redis, prefix_of(call), call->path_id,
                                      vs->reason, vs->voided_at, (long long)clock_wall_seconds(),
                                      json_object_to_json_string_ext(audit, JSON_C_TO_STRING_PLAIN),
                                      on_voided, call)
                   : -1;
    if (audit)
        json_object_put(audit);
    if (rc != 0)
        call_unavailable(call);
}

/* Characters (UTF-8 code points) of a valid UTF-8 text. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The void body: {"reason": 1..500 characters}, nothing else. Returns false
 * after answering the problem. */
static bool parse_void_body(struct call *call, struct void_state *vs)
{
    struct intake_field_errors errs;
    intake_field_errors_init(&errs);
    struct json_object *body = NULL;
    const char *why = NULL;
    enum intake_status st =
        intake_json_parse(call->req->body, call->req->body_len, &body, &errs, &why);
    if (st != INTAKE_OK) {
        call_invalid(call, intake_status_http(st), why ? why : "the body is not valid JSON",
                     &errs);
        return false;
    }
    json_object_object_foreach(body, key, value)
    {
        (void)value;
        if (strcmp(key, "reason") != 0) {
            struct intake_path path;
            intake_path_init(&path);
            intake_path_push_key(&path, key, strlen(key));
            intake_field_errors_add(&errs, path.text, "is not a known field");
        }
    }
    struct json_object *r = NULL;
    if (!json_object_object_get_ex(body, "reason", &r) || !r)
        intake_field_errors_add(&errs, "reason", "is required");
    else if (!json_object_is_type(r, json_type_string))
        intake_field_errors_add(&errs, "reason", "must be a string");
    else if (json_object_get_string_len(r) == 0 ||
             utf8_chars(json_object_get_string(r)) > VOID_REASON_MAX ||
             (size_t)json_object_get_string_len(r) >= sizeof vs->reason)
        intake_field_errors_add(&errs, "reason", "must be 1 to 500 characters");
    else
        snprintf(vs->reason, sizeof vs->reason, "%s", json_object_get_string(r));
    json_object_put(body);
    if (intake_field_errors_any(&errs)) {
        call_invalid(call, 422, "the body has problems listed in fields", &errs);
        return false;
    }
    return true;
}

static void void_authed(struct call *call)
{
    if (call->who.role == AUTH_NONE) {
        call_forbidden(call);
        return;
    }
    if (!claims_id_valid(call->path_id)) {
        call_not_found(call);
        return;
    }
    if (!call_require_json(call))
        return;
    struct void_state *vs = call_state_new(call, sizeof *vs, free);
    if (vs && parse_void_body(call, vs))
        fetch_claim(call, on_claim_for_void);
}

void claims_void(struct call *call)
{
    call_authenticate(call, void_authed);
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

/* Renders the stored record in the asked format (eob/eob.h). */
static void eob_audited(struct call *call)
{
    struct eob_state *es = call->state;
    if (!call_audited(call))
        return;
    if (strcmp(es->format, "json") == 0) {
        call_respond(call, 200, JSON_CONTENT_TYPE, es->record, strlen(es->record));
        return;
    }
    struct json_object *record = json_tokener_parse(es->record);
    if (record && !json_object_object_get_ex(record, "subscriber", NULL)) {
        /* The short record of a claim for an unknown member (docs/eob.md). */
        json_object_put(record);
        call_error(call, 404, "format_unavailable",
                   "this Explanation of Benefits is available only as JSON");
        return;
    }
    if (strcmp(es->format, "fhir") == 0) {
        struct json_object *fhir = record ? eob_fhir(record) : NULL;
        json_object_put(record);
        if (!fhir) {
            call_error(call, 500, "internal", "the EOB cannot be rendered in this format");
            return;
        }
        size_t len = 0;
        const char *text = json_object_to_json_string_length(
            fhir, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        call_respond(call, 200, "application/fhir+json; charset=utf-8", text, len);
        json_object_put(fhir);
        return;
    }
    char *html = record ? eob_html(record) : NULL;
    json_object_put(record);
    if (!html) {
        call_error(call, 500, "internal", "the EOB cannot be rendered in this format");
        return;
    }
    /* A printable page: its own inline style, no script, nothing external. */
    http_add_header(call->req, "Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    http_add_header(call->req, "X-Content-Type-Options", "nosniff");
    call_respond(call, 200, "text/html; charset=utf-8", html, strlen(html));
    free(html);
}

static void on_claim_for_eob(enum queue_status st, const struct queue_claim *claim, void *arg)
{
    struct call *call = arg;
    struct eob_state *es = call->state;
    if (!claims_readable(call, st, claim))
        return;
    if (claim->eob_version < 1) {
        call_error(call, 404, "no_eob", "this claim has no Explanation of Benefits yet: it is not final");
        return;
    }
    if (!claim->eob) {
        call_error(call, 404, "no_eob", "this claim has no Explanation of Benefits of that version");
        return;
    }
    es->record = strdup(claim->eob);
    if (!es->record) {
        call_out_of_memory(call);
        return;
    }
    call_audit(call, call->path_id, "claim.eob.read", eob_audited);
}

static void eob_authed(struct call *call)
{
    struct eob_state *es = call_state_new(call, sizeof *es, eob_state_free);
    if (!es)
        return;
    struct intake_field_errors errs;
    intake_field_errors_init(&errs);
    char buf[32];
    int rc = http_query_get(call->req, "format", buf, sizeof buf);
    snprintf(es->format, sizeof es->format, "%s", rc > 0 ? buf : "json");
    if (rc < 0 || (strcmp(es->format, "json") != 0 && strcmp(es->format, "fhir") != 0 &&
                   strcmp(es->format, "html") != 0))
        intake_field_errors_add(&errs, "format", "must be json, fhir or html");
    rc = http_query_get(call->req, "version", buf, sizeof buf);
    if (rc != 0) {
        char *end;
        long v = rc > 0 ? strtol(buf, &end, 10) : 0;
        if (rc < 0 || !buf[0] || *end || v < 1 || v > 100000)
            intake_field_errors_add(&errs, "version", "must be a positive integer");
        else
            es->version = (int)v;
    }
    if (intake_field_errors_any(&errs)) {
        call_invalid(call, 422, "the query has problems listed in fields", &errs);
        return;
    }
    if (!claims_id_valid(call->path_id)) {
        call_not_found(call);
        return;
    }
    if (queue_get_eob(call->app->redis, prefix_of(call), call->path_id, es->version,
                      on_claim_for_eob, call) != 0)
        call_unavailable(call);
}

void claims_eob(struct call *call)
{
    call_authenticate(call, eob_authed);
}

/* ---- GET /v1/eligibility?member_id=..&date=.. ---- */

struct elig_state {
    char member_id[ID_LEN];
    date_t on;
    struct member member, subscriber, parent;
    bool have_parent; /* a grandchild's parent record (§ I) */
    struct group group;
};

static void elig_free(void *p)
{
    free(p);
}

static const char *coverage_kind_name(enum coverage_kind k)
{
    return k == COVERAGE_COBRA ? "cobra" : k == COVERAGE_STATE_CONTINUATION ? "state_continuation" : "active";
}

static void elig_answer(struct call *call)
{
    struct elig_state *es = call->state;
    if (!call_audited(call))
        return;
    struct adj_eligibility_answer a =
        adj_eligibility_on(&es->member, &es->subscriber, es->have_parent ? &es->parent : NULL,
                           &es->group, es->on);
    struct json_object *o = json_object_new_object();
    char date[DATE_STRLEN];
    json_object_object_add(o, "member_id", json_object_new_string(es->member_id));
    json_object_object_add(o, "date", json_object_new_string(date_format(es->on, date)));
    json_object_object_add(o, "covered", json_object_new_boolean(a.covered));
    if (a.covered) {
        const struct coverage_span *cs = &es->member.coverage[a.span];
        json_object_object_add(o, "plan_id", json_object_new_string(cs->plan_id));
        json_object_object_add(o, "coverage_kind",
                               json_object_new_string(coverage_kind_name(cs->kind)));
        struct json_object *c = json_object_new_object();
        json_object_object_add(c, "position",
                               json_object_new_string(adj_cob_position_name(a.position)));
        json_object_object_add(c, "medicare_primary",
                               json_object_new_boolean(a.medicare_primary));
        json_object_object_add(o, "cob", c);
    } else {
        const struct adj_code_info *info = adj_carc_lookup(a.carc);
        struct json_object *r = json_object_new_object();
        json_object_object_add(r, "carc", json_object_new_string(a.carc));
        if (a.rarc)
            json_object_object_add(r, "remark", json_object_new_string(a.rarc));
        json_object_object_add(r, "meaning", json_object_new_string(info ? info->plain : ""));
        json_object_object_add(o, "reason", r);
    }
    call_json(call, 200, o);
}

/* The member's group and subscriber records, and a grandchild's parent (NULL
 * where there is none). */
static void on_elig_refs(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct call *call = arg;
    struct elig_state *es = call->state;
    if (status != QUEUE_OK || n < 2) {
        call_unavailable(call);
        return;
    }
    struct intake_field_errors errs;
    intake_field_errors_init(&errs);
    struct json_object *g = json[0] ? json_tokener_parse(json[0]) : NULL;
    bool ok = g && intake_parse_group(g, NULL, &es->group, &errs);
    if (g)
        json_object_put(g);
    es->subscriber = es->member;
    if (json[1]) {
        struct json_object *s = json_tokener_parse(json[1]);
        intake_field_errors_init(&errs);
        if (!(s && intake_parse_member(s, NULL, &es->subscriber, &errs)))
            es->subscriber = es->member;
        if (s)
            json_object_put(s);
    }
    if (n > 2 && json[2]) {
        struct json_object *p = json_tokener_parse(json[2]);
        intake_field_errors_init(&errs);
        es->have_parent = p && intake_parse_member(p, NULL, &es->parent, &errs);
        if (p)
            json_object_put(p);
    }
    if (!ok) {
        call_error(call, 500, "internal", "the member's group record cannot be read");
        return;
    }
    call_audit(call, NULL, "eligibility.read", elig_answer);
}

static void on_elig_member(enum queue_status status, const char *const *json, size_t n,
                           void *arg)
{
    struct call *call = arg;
    struct elig_state *es = call->state;
    if (status != QUEUE_OK || n != 1) {
        call_unavailable(call);
        return;
    }
    struct intake_field_errors errs;
    intake_field_errors_init(&errs);
    struct json_object *m = json[0] ? json_tokener_parse(json[0]) : NULL;
    bool ok = m && intake_parse_member(m, es->member_id, &es->member, &errs);
    if (m)
        json_object_put(m);
    /* A member asks about self or, as the subscriber, the family. */
    if (ok && call->who.role == AUTH_MEMBER && strcmp(es->member.member_id, call->who.member_id) != 0 &&
        strcmp(es->member.subscriber_id, call->who.member_id) != 0)
        ok = false;
    if (!ok) {
        call_not_found(call);
        return;
    }
    struct queue_record_ref refs[] = {{QUEUE_RECORD_GROUP, es->member.group_id},
                                      {QUEUE_RECORD_MEMBER, es->member.subscriber_id},
                                      {QUEUE_RECORD_MEMBER, es->member.parent_member_id}};
    size_t n_refs = es->member.parent_member_id[0] ? 3 : 2;
    if (queue_get_records(call->app->redis, prefix_of(call), refs, n_refs, on_elig_refs, call) !=
        0)
        call_unavailable(call);
}

static void elig_authed(struct call *call)
{
    if (call->who.role == AUTH_NONE) {
        call_forbidden(call);
        return;
    }
    struct elig_state *es = call_state_new(call, sizeof *es, elig_free);
    if (!es)
        return;
    struct intake_field_errors errs;
    intake_field_errors_init(&errs);
    char buf[128];
    int rc = http_query_get(call->req, "member_id", es->member_id, sizeof es->member_id);
    if (rc <= 0 || !es->member_id[0])
        intake_field_errors_add(&errs, "member_id", "is required");
    rc = http_query_get(call->req, "date", buf, sizeof buf);
    if (rc == 0)
        es->on = date_today();
    else if (rc < 0 || !date_parse(buf, &es->on))
        intake_field_errors_add(&errs, "date", "must be a date YYYY-MM-DD");
    if (intake_field_errors_any(&errs)) {
        call_invalid(call, 422, "the query has problems listed in fields", &errs);
        return;
    }
    struct queue_record_ref ref = {QUEUE_RECORD_MEMBER, es->member_id};
    if (queue_get_records(call->app->redis, prefix_of(call), &ref, 1, on_elig_member, call) != 0)
        call_unavailable(call);
}

void eligibility_get(struct call *call)
{
    call_authenticate(call, elig_authed);
}
