/*
 * POST /v1/claims (API.md "Submitting a claim"): the Idempotency-Key and the
 * body checked, the claim stored by the intake step of this loop turn
 * (queue/intake.h) with its audit record and work queue entry, then 202.
 * Also what a replacement (corrections_api.c) and POST /v1/x12 share with
 * it: the submission's checks and the storing of one checked claim.
 */
#include "claims_submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <uuid/uuid.h>

#include "calendar.h"
#include "codec/parse_claim.h"
#include "date.h"
#include "intake/claims_api.h"
#include "queue/audit.h"
#include "queue/members.h"
#include "queue/shards.h"
#include "queue/tokens.h"
#include "json_writer.h"

static void submission_free(void *p)
{
    struct claims_submission *s = p;
    if (!s)
        return;
    free(s->response);
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

void intake_claims_respond_accepted(struct call *call, const char *claim_id, const char *body,
                                    bool replayed)
{
    char location[64];
    snprintf(location, sizeof location, "/v1/claims/%s", claim_id);
    intake_http_add_header(call->req, "Location", location);
    if (replayed)
        intake_http_add_header(call->req, "Idempotent-Replayed", "true");
    intake_call_respond(call, 202, JSON_CONTENT_TYPE, body, strlen(body));
}

/* A replay of an Idempotency-Key: the remembered 202 when the body is the
 * same, 422 otherwise. value is "<body sha256>\n<202 body>". */
static void respond_replay(struct call *call, const char *value)
{
    struct claims_submission *s = call->state;
    const char *nl = strchr(value, '\n');
    if (!nl || (size_t)(nl - value) != 64 || memcmp(value, s->body_hash, 64) != 0) {
        intake_call_error(call, 422, "idempotency_key_reused",
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
    intake_claims_respond_accepted(call, id_copy, nl + 1, true);
}

/* The intake step's answer for this claim (queue/intake.h). */
static void on_stored(enum queue_intake_outcome outcome, const char *value, void *arg)
{
    struct call *call = arg;
    struct claims_submission *s = call->state;
    switch (outcome) {
    case QUEUE_INTAKE_CREATED:
        intake_claims_respond_accepted(call, s->claim_id, s->response, false);
        return;
    case QUEUE_INTAKE_FORBIDDEN:
        intake_call_error(
            call, 403, "forbidden",
            "a member may file claims only for self or, as the subscriber, for the family");
        return;
    case QUEUE_INTAKE_CONFLICT:
        /* The original stopped being final between the read and the store. */
        intake_claims_correction_conflict(call, value);
        return;
    case QUEUE_INTAKE_UNAVAILABLE: intake_call_unavailable(call); return;
    case QUEUE_INTAKE_REPLAY: break;
    }
    respond_replay(call, value);
}

/* A random (version 4) UUID, RFC 9562 § 5.4, from the kernel's generator.
 * libuuid's uuid_generate_random reseeds srandom on every call, which cost
 * more than the rest of the id; it stays as the fallback. */
void intake_claims_new_id(char out[CLAIM_ID_LEN])
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

void intake_claims_new_id_on_shard(char out[CLAIM_ID_LEN], int shard)
{
    /* On average one draw per shard: an id's shard is its CRC16 modulo the
     * shard count (queue/shards.h). */
    do
        intake_claims_new_id(out);
    while (queue_shard_of_claim(out) != shard);
}

/* Remembered for replays. */
char *intake_claims_accepted_body(const struct claims_submission *s, const char *received,
                                  const char *target)
{
    struct json_writer w;
    json_writer_init(&w, false);
    strbuf_grow(&w.sb, 160); /* the body is about 130 bytes: one allocation */
    json_writer_open(&w, NULL, '{');
    json_writer_string(&w, "claim_id", s->claim_id);
    json_writer_string(&w, "status", "received");
    json_writer_string(&w, "type", s->claim.type == CLAIM_MEDICAL ? "medical" : "pharmacy");
    json_writer_string(&w, "received_date", received);
    json_writer_string(&w, "target_date", target);
    if (s->replaces[0])
        json_writer_string(&w, "replaces", s->replaces);
    json_writer_close(&w, '}');
    return strbuf_take(&w.sb);
}

struct placing {
    claims_placed_cb cb;
    void *arg;
    char *claim_id;
    char member_id[ID_LEN];
};

static void on_family(enum queue_status status, const struct queue_member_ref *found, void *arg)
{
    struct placing *p = arg;
    bool ok = status != QUEUE_UNAVAILABLE;
    struct queue_member_ref none = {{0}, {0}, {0}};
    const struct queue_member_ref *ref = found ? found : &none; /* unknown: its own family */
    if (ok)
        intake_claims_new_id_on_shard(p->claim_id, queue_family_shard(p->member_id, ref));
    p->cb(ok, ref, p->arg);
    free(p);
}

int intake_claims_place(struct call *call, const char *member_id, char claim_id[CLAIM_ID_LEN],
                        claims_placed_cb cb, void *arg)
{
    struct placing *p = malloc(sizeof *p);
    if (!p)
        return -1;
    p->cb = cb;
    p->arg = arg;
    p->claim_id = claim_id;
    snprintf(p->member_id, sizeof p->member_id, "%s", member_id);
    if (queue_member_dir_get(call->app->redis, intake_call_key_prefix(call), member_id, on_family,
                             p) != 0) {
        free(p);
        return -1;
    }
    return 0;
}

/* The claim's id is drawn on its family's shard: hands the claim to the
 * intake step of this loop turn (queue/intake.h): one script call per shard
 * stores every claim of the turn. The stored submission and the audit
 * record are written straight into one buffer (no json-c tree). */
static void on_placed(bool ok, const struct queue_member_ref *ref, void *arg)
{
    struct call *call = arg;
    struct claims_submission *s = call->state;
    if (!ok) {
        intake_call_unavailable(call);
        return;
    }
    s->ref = *ref;
    char received[DATE_STRLEN], target[DATE_STRLEN];
    date_format(s->received, received);
    date_format(s->target, target);
    s->response = intake_claims_accepted_body(s, received, target);
    if (!s->response) {
        intake_call_out_of_memory(call);
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
        .ref = &s->ref,
    };
    int rc = strbuf_failed(&idem) ? -1 : intake_claims_store(call, &req, on_stored, call);
    strbuf_free(&idem);
    if (rc != 0)
        intake_call_out_of_memory(call);
}

void intake_claims_submission_store(struct call *call)
{
    struct claims_submission *s = call->state;
    if (intake_claims_place(call, s->claim.member_id, s->claim_id, on_placed, call) != 0)
        intake_call_unavailable(call);
}

date_t intake_claims_target_date(const struct app *app, date_t received)
{
    return calendar_add_business_days(&app->calendar, received, app->cfg.target_business_days);
}

void intake_claims_years_text(const struct claim *claim, char out[CLAIMS_YEARS_TEXT_LEN])
{
    int year_list[ADJ_MAX_PLAN_YEARS];
    int n_years = adj_claim_plan_years(claim, year_list);
    out[0] = '\0';
    for (int i = 0, off = 0; i < n_years; i++)
        off += snprintf(out + off, CLAIMS_YEARS_TEXT_LEN - (size_t)off, "%s%d", i ? "," : "",
                        year_list[i]);
}

/* "<submitted>\0<audit>\0<idempotency value>\0<replacement audit>": the
 * texts intake_claims_store hands to the intake step, in one buffer; *audit_at,
 * *idem_at and *replace_at are where the later ones start. false when out
 * of memory (sb is then freed). */
static bool store_texts(struct call *call, const struct claims_store_request *req,
                        struct strbuf *sb, size_t *audit_at, size_t *idem_at, size_t *replace_at)
{
    const struct principal *who = &call->who;
    const struct http_request *r = call->req;
    char now[32];
    rfc3339_now(now);
    strbuf_init(sb);
    /* Room for a typical claim and its records at once: growing by
     * doubling would copy it a few times over. */
    strbuf_grow(sb, 4096);
    codec_claim_write_json(req->claim, sb);
    *audit_at = sb->len + 1;
    strbuf_append_char(sb, '\0');
    queue_audit_record_write(sb, now, who->token_id, intake_auth_role_name(who->role),
                             "claim.submit", r->request_id, r->client_request_id, r->peer);
    *idem_at = sb->len + 1;
    strbuf_append_char(sb, '\0');
    if (req->idem_value)
        strbuf_append_str(sb, req->idem_value);
    /* A replacement's record on the original's trail. */
    *replace_at = sb->len + 1;
    strbuf_append_char(sb, '\0');
    if (req->replaces)
        queue_audit_record_write(sb, now, who->token_id, intake_auth_role_name(who->role),
                                 "claim.replace", r->request_id, r->client_request_id, r->peer);
    if (strbuf_failed(sb)) {
        strbuf_free(sb);
        return false;
    }
    return true;
}

int intake_claims_store(struct call *call, const struct claims_store_request *req,
                        queue_intake_cb cb, void *arg)
{
    struct app *app = call->app;
    const struct claim *claim = req->claim;
    char received[DATE_STRLEN], target[DATE_STRLEN];
    date_format(req->received, received);
    date_format(req->target, target);
    struct strbuf sb;
    size_t audit_at, idem_at, replace_at;
    if (!store_texts(call, req, &sb, &audit_at, &idem_at, &replace_at))
        return -1;
    /* The plan years of the lines: the accumulators the worker will load. */
    char years[CLAIMS_YEARS_TEXT_LEN];
    intake_claims_years_text(claim, years);
    bool provider = call->who.role == AUTH_PROVIDER;
    struct queue_claim_record rec = {
        .claim_id = req->claim_id,
        .type = claim->type == CLAIM_MEDICAL ? "medical" : "pharmacy",
        .member_id = claim->member_id,
        .received = received,
        .target = target,
        .received_day = (int)req->received.days,
        .target_day = (int)req->target.days,
        .years = years,
        .by_token = call->who.token_id,
        .by_role = intake_auth_role_name(call->who.role),
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
        .ref = *req->ref,
    };
    int rc = queue_intake_submit(app->intake, &rec, cb, arg);
    strbuf_free(&sb);
    return rc;
}

struct claims_submission *intake_claims_submission_new(struct call *call)
{
    /* Not calloc: the claim (most of the struct) is zeroed by the parse,
     * and read only after a parse that succeeded. */
    struct claims_submission *s = malloc(sizeof *s);
    if (!s) {
        intake_call_out_of_memory(call);
        return NULL;
    }
    s->claim_id[0] = '\0';
    s->has_idem = false;
    s->idem_hash[0] = '\0';
    s->body_hash[0] = '\0';
    s->response = NULL;
    s->replaces[0] = '\0';
    call->state = s;
    call->state_free = submission_free;
    return s;
}

/* The Idempotency-Key header, if any, into s (its hash, and the body's for
 * a replay to compare); false after answering 400 for a malformed key. */
static bool read_idempotency_key(struct call *call, struct claims_submission *s)
{
    const char *idem = intake_http_header_get(call->req, "idempotency-key");
    if (!idem)
        return true;
    if (!valid_idempotency_key(idem)) {
        intake_call_error(call, 400, "invalid_idempotency_key",
                          "Idempotency-Key must be 1 to 255 printable ASCII characters");
        return false;
    }
    queue_token_hash_hex(idem, strlen(idem), s->idem_hash);
    s->has_idem = true;
    /* Only a replay compares bodies. */
    queue_token_hash_hex(call->req->body, call->req->body_len, s->body_hash);
    return true;
}

bool intake_claims_submission_parse(struct call *call, struct claims_submission *s)
{
    struct principal *who = &call->who;
    if (!read_idempotency_key(call, s))
        return false;
    date_t today = date_today();
    struct codec_claim_options opt = {.may_set_received_date = intake_auth_is_staff(who),
                                      .today = today};
    /* On the stack, as the other handlers here keep theirs: a malloc of this
     * size per claim costs malloc a consolidation of its small-chunk bins. */
    struct codec_field_errors errs;
    const char *reason = NULL;
    enum codec_status st = codec_claim_from_body(call->req->body, call->req->body_len, &opt,
                                                 &s->claim, &errs, &reason);
    if (st != CODEC_OK) {
        if (st == CODEC_NO_MEMORY)
            intake_call_out_of_memory(call);
        else
            intake_call_invalid(call, codec_status_http(st), reason, &errs);
        return false;
    }
    if (who->role == AUTH_PROVIDER) {
        const char *npi = s->claim.type == CLAIM_MEDICAL
                              ? s->claim.provider.npi
                              : (s->claim.pharmacy.has_npi ? s->claim.pharmacy.npi : "");
        if (strcmp(npi, who->npi) != 0) {
            intake_call_error(call, 403, "forbidden",
                              "a provider may file only claims that name its own NPI");
            return false;
        }
    }
    s->received = s->claim.has_received_date ? s->claim.received_date : today;
    s->target = intake_claims_target_date(call->app, s->received);
    return true;
}

static void submit_authed(struct call *call)
{
    if (!intake_call_require_role(call) || !intake_call_require_json(call))
        return;
    struct claims_submission *s = intake_claims_submission_new(call);
    if (s && intake_claims_submission_parse(call, s))
        intake_claims_submission_store(call);
}

void intake_claims_post(struct call *call)
{
    intake_call_authenticate(call, submit_authed);
}
