#include "api.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "codec/json_edge.h"
#include "codec/json_read.h"
#include "date.h"
#include "log.h"
#include "queue/accounts.h"
#include "queue/audit.h"
#include "queue/enrollment.h"
#include "queue/token_cache.h"
#include "queue/tokens.h"
#include "ratelimit.h"

const char *intake_auth_role_name(enum auth_role role)
{
    switch (role) {
    case AUTH_MEMBER: return "member";
    case AUTH_PROVIDER: return "provider";
    case AUTH_STAFF: return "staff";
    case AUTH_ADMIN: return "admin";
    default: return "none";
    }
}

enum auth_role intake_auth_role_parse(const char *name)
{
    for (enum auth_role r = AUTH_MEMBER; r <= AUTH_ADMIN; r++)
        if (strcmp(name, intake_auth_role_name(r)) == 0)
            return r;
    return AUTH_NONE;
}

struct call *intake_call_new(struct http_request *req, struct app *app)
{
    struct call *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->req = req;
    call->app = app;
    return call;
}

static void call_free(struct call *call)
{
    if (call->state_free)
        call->state_free(call->state);
    free(call);
}

/* API answers (claims, EOBs, audit trails, members) are personal: no browser
 * or proxy may keep a copy (issue 16, finding 6). The portal's static files
 * are served elsewhere and stay cacheable. */
static void forbid_caching(struct call *call)
{
    intake_http_add_header(call->req, "Cache-Control", "no-store");
}

void intake_call_json(struct call *call, int status, struct json_object *body)
{
    forbid_caching(call);
    size_t len = 0;
    const char *text =
        body ? json_object_to_json_string_length(
                   body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len)
             : NULL;
    if (!text) {
        intake_http_respond_error(call->req, 500, "internal", "the answer could not be built");
    } else {
        intake_http_respond(call->req, status, JSON_CONTENT_TYPE, text, len);
    }
    if (body)
        json_object_put(body);
    call_free(call);
}

void intake_call_respond(struct call *call, int status, const char *content_type, const char *body,
                         size_t len)
{
    forbid_caching(call);
    intake_http_respond(call->req, status, content_type, body, len);
    call_free(call);
}

void intake_call_error(struct call *call, int status, const char *code, const char *message)
{
    forbid_caching(call);
    intake_http_respond_error(call->req, status, code, message);
    call_free(call);
}

void intake_call_invalid(struct call *call, int status, const char *message,
                         const struct codec_field_errors *errs)
{
    const char *code = status == 400 ? CODEC_CODE_INVALID_JSON : CODEC_CODE_VALIDATION_FAILED;
    struct json_object *body = codec_error_render(code, message, errs);
    if (!body) {
        intake_call_error(call, 500, "internal", "the answer could not be built");
        return;
    }
    intake_call_json(call, status, body);
}

void intake_call_unavailable(struct call *call)
{
    intake_http_add_header(call->req, "Retry-After", "1");
    intake_call_error(call, 503, "unavailable", "storage is not reachable; retry shortly");
}

void intake_call_not_found(struct call *call)
{
    intake_call_error(call, 404, "not_found", "no such resource");
}

void intake_call_out_of_memory(struct call *call)
{
    intake_call_error(call, 500, "internal", "out of memory");
}

/* A lookup of the member a body names, waited for (intake_call_require_member). */
struct member_wait {
    struct call *call;
    const char *message;
    call_fn next;
};

static void on_member_known(enum queue_status status, void *arg)
{
    struct member_wait w = *(struct member_wait *)arg;
    free(arg);
    if (status == QUEUE_UNAVAILABLE)
        intake_call_unavailable(w.call);
    else if (status == QUEUE_NOT_FOUND)
        intake_call_invalid_field(w.call, "member_id", "is not a known member", w.message);
    else
        w.next(w.call);
}

void intake_call_require_member(struct call *call, const char *member_id, const char *message,
                                call_fn next)
{
    struct member_wait *w = malloc(sizeof *w);
    if (!w) {
        intake_call_out_of_memory(call);
        return;
    }
    *w = (struct member_wait){call, message, next};
    if (queue_record_exists(call->app->redis, intake_call_key_prefix(call), QUEUE_RECORD_MEMBER,
                            member_id, on_member_known, w) != 0) {
        free(w);
        intake_call_unavailable(call);
    }
}

void *intake_call_state_new(struct call *call, size_t size, void (*state_free)(void *state))
{
    void *state = calloc(1, size);
    if (!state) {
        intake_call_out_of_memory(call);
        return NULL;
    }
    call->state = state;
    call->state_free = state_free;
    return state;
}

void intake_call_forbidden(struct call *call)
{
    intake_call_error(call, 403, "forbidden", "this token's role may not do this");
}

void intake_call_open(struct call *call, const void *initial, size_t size,
                      void (*state_free)(void *state), call_fn next)
{
    void *state = intake_call_state_new(call, size, state_free);
    if (!state)
        return;
    if (initial)
        memcpy(state, initial, size);
    intake_call_authenticate(call, next);
}

bool intake_call_require_role(struct call *call)
{
    if (call->who.role != AUTH_NONE)
        return true;
    intake_call_forbidden(call);
    return false;
}

bool intake_call_require_admin(struct call *call)
{
    if (call->who.role == AUTH_ADMIN)
        return true;
    intake_call_forbidden(call);
    return false;
}

bool intake_call_require_staff(struct call *call)
{
    if (intake_auth_is_staff(&call->who))
        return true;
    intake_call_forbidden(call);
    return false;
}

bool intake_call_require_record_id(struct call *call)
{
    if (codec_is_record_id(call->path_id, strlen(call->path_id)))
        return true;
    intake_call_not_found(call);
    return false;
}

bool intake_call_queue_ok(struct call *call, enum queue_status status)
{
    if (status == QUEUE_OK)
        return true;
    intake_call_unavailable(call);
    return false;
}

bool intake_call_one_record(struct call *call, enum queue_status status, const char *const *json,
                            size_t n)
{
    if (status != QUEUE_OK || n != 1) {
        intake_call_unavailable(call);
        return false;
    }
    if (!json[0]) {
        intake_call_not_found(call);
        return false;
    }
    return true;
}

bool intake_call_refuse_missing(struct call *call, enum queue_status status)
{
    if (status == QUEUE_UNAVAILABLE) {
        intake_call_unavailable(call);
        return true;
    }
    if (status == QUEUE_NOT_FOUND) {
        intake_call_not_found(call);
        return true;
    }
    return false;
}

bool intake_call_found(struct call *call, enum queue_status status)
{
    if (status == QUEUE_OK)
        return true;
    if (status == QUEUE_UNAVAILABLE)
        intake_call_unavailable(call);
    else
        intake_call_not_found(call);
    return false;
}

void intake_call_audit_stored(struct call *call, enum queue_status status, const char *action,
                              call_fn next)
{
    if (intake_call_queue_ok(call, status))
        intake_call_audit(call, NULL, action, next);
}

void intake_call_refuse_field(struct call *call, const char *code, const char *message,
                              const char *field, const char *problem)
{
    struct codec_field_errors *errs = malloc(sizeof *errs);
    if (!errs) {
        intake_call_out_of_memory(call);
        return;
    }
    codec_field_errors_init(errs);
    codec_field_errors_add(errs, field, problem);
    struct json_object *body = codec_error_render(code, message, errs);
    free(errs);
    if (!body) {
        intake_call_out_of_memory(call);
        return;
    }
    intake_call_json(call, 422, body);
}

void intake_call_invalid_field(struct call *call, const char *field, const char *problem,
                               const char *message)
{
    intake_call_refuse_field(call, CODEC_CODE_VALIDATION_FAILED, message, field, problem);
}

bool intake_call_refuse_fields(struct call *call, const struct codec_field_errors *errs,
                               const char *message)
{
    if (!codec_field_errors_any(errs))
        return false;
    intake_call_invalid(call, 422, message, errs);
    return true;
}

bool intake_call_fields_checked(struct call *call, struct codec_field_errors *errs,
                                const char *message)
{
    bool refused = intake_call_refuse_fields(call, errs, message);
    free(errs);
    return !refused;
}

bool intake_call_read_body(struct call *call, call_body_fn read, const char *message)
{
    struct codec_field_errors *errs;
    struct json_object *body = intake_call_parse_body(call, &errs);
    if (!body)
        return false;
    read(call, body, errs);
    json_object_put(body);
    return intake_call_fields_checked(call, errs, message);
}

bool intake_call_read_query(struct call *call, call_query_fn parse, const char *message)
{
    struct codec_field_errors *errs = malloc(sizeof *errs);
    if (!errs) {
        intake_call_out_of_memory(call);
        return false;
    }
    codec_field_errors_init(errs);
    parse(call->req, call->state, errs);
    return intake_call_fields_checked(call, errs, message);
}

struct json_object *intake_call_string_or_null(const char *s)
{
    return s && s[0] ? json_object_new_string(s) : NULL;
}

void intake_call_answer_page(struct call *call, enum queue_status status, const char *name,
                             const void *rows, size_t n, size_t row_size, call_row_fn view,
                             const char *next_cursor)
{
    if (!intake_call_queue_ok(call, status))
        return;
    struct json_object *list = json_object_new_array(), *body = json_object_new_object();
    for (size_t i = 0; list && i < n; i++)
        json_object_array_add(list, view((const char *)rows + i * row_size));
    if (!list || !body) {
        json_object_put(list);
        json_object_put(body);
        intake_call_out_of_memory(call);
        return;
    }
    json_object_object_add(body, name, list);
    json_object_object_add(body, "next_cursor", intake_call_string_or_null(next_cursor));
    intake_call_json(call, 200, body);
}

bool intake_call_json_text(struct call *call, struct json_object *o, char **out)
{
    const char *text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
    *out = text ? strdup(text) : NULL;
    json_object_put(o);
    if (*out)
        return true;
    intake_call_out_of_memory(call);
    return false;
}

static void put_json_state(void *state)
{
    if (state)
        json_object_put(state);
}

void intake_call_hold_json(struct call *call, struct json_object *o)
{
    call->state = o;
    call->state_free = put_json_state;
}

struct json_object *intake_call_take_json(struct call *call)
{
    struct json_object *o = call->state;
    call->state = NULL;
    return o;
}

bool intake_call_require_json(struct call *call)
{
    const char *type = intake_http_header_get(call->req, "content-type");
    /* application/json, optionally with parameters (charset=utf-8). */
    if (type && strncasecmp(type, "application/json", 16) == 0 &&
        (type[16] == '\0' || type[16] == ';' || type[16] == ' '))
        return true;
    intake_call_error(call, 415, "unsupported_media_type", "send the body as application/json");
    return false;
}

struct json_object *intake_call_parse_body(struct call *call, struct codec_field_errors **errs)
{
    *errs = NULL;
    if (!intake_call_require_json(call))
        return NULL;
    struct codec_field_errors *e = malloc(sizeof *e);
    if (!e) {
        intake_call_out_of_memory(call);
        return NULL;
    }
    codec_field_errors_init(e);
    struct json_object *body = NULL;
    const char *reason = NULL;
    enum codec_status st =
        codec_json_parse(call->req->body, call->req->body_len, &body, e, &reason);
    if (st != CODEC_OK) {
        intake_call_invalid(call, codec_status_http(st), reason, e);
        free(e);
        return NULL;
    }
    *errs = e;
    return body;
}

void intake_call_check_query_names(const struct http_request *req, const char *const *names,
                                   size_t n, struct codec_field_errors *errs)
{
    for (const char *q = req->query; *q;) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        bool known = false;
        for (size_t i = 0; i < n; i++)
            known |= strlen(names[i]) == klen && memcmp(names[i], q, klen) == 0;
        if (!known && klen > 0) {
            struct codec_path path;
            codec_path_init(&path);
            codec_path_push_key(&path, q, klen);
            codec_field_errors_add(errs, path.text, "unknown parameter");
        }
        if (!amp)
            break;
        q = amp + 1;
    }
}

void intake_call_read_principal(struct json_object *body, const char *what,
                                struct codec_field_errors *errs, enum auth_role *role_out,
                                char member_id[ID_LEN], char npi[NPI_LEN])
{
    /* Problems are string literals (codec/field_errors.h), one set per thing. */
    bool token = strcmp(what, "token") == 0;
    const char *required_member =
        token ? "is required for a member token" : "is required for a member invitation";
    const char *required_npi =
        token ? "is required for a provider token" : "is required for a provider invitation";
    const char *only_member =
        token ? "is allowed only for a member token" : "is allowed only for a member invitation";
    const char *only_npi = token ? "is allowed only for a provider token"
                                 : "is allowed only for a provider invitation";
    *role_out = AUTH_NONE;
    static const char *const fields[] = {"role", "member_id", "npi", NULL};
    static const char *const roles[] = {"member", "provider", "staff", "admin"};
    struct codec_reader r;
    codec_reader_init(&r, errs);
    codec_reject_unknown(&r, body, fields);
    int role = -1;
    struct codec_enum_spec role_spec = {roles, 4, "must be member, provider, staff or admin",
                                        &role};
    if (codec_field(&r, body, "role", true, codec_value_enum, &role_spec) == CODEC_GOT)
        *role_out = intake_auth_role_parse(roles[role]);
    bool has_member =
        codec_field(&r, body, "member_id", false, codec_value_id, member_id) == CODEC_GOT;
    bool has_npi = codec_field(&r, body, "npi", false, codec_value_npi, npi) == CODEC_GOT;
    bool member_given = codec_member(body, "member_id") != NULL;
    bool npi_given = codec_member(body, "npi") != NULL;
    if (*role_out == AUTH_MEMBER && !member_given)
        codec_field_errors_add(errs, "member_id", required_member);
    if (*role_out == AUTH_PROVIDER && !npi_given)
        codec_field_errors_add(errs, "npi", required_npi);
    if (*role_out != AUTH_NONE && *role_out != AUTH_MEMBER && has_member)
        codec_field_errors_add(errs, "member_id", only_member);
    if (*role_out != AUTH_NONE && *role_out != AUTH_PROVIDER && has_npi)
        codec_field_errors_add(errs, "npi", only_npi);
}

void intake_call_read_paging(const struct http_request *req, int *limit, char *cursor,
                             size_t cursor_size, struct codec_field_errors *errs)
{
    char buf[128];
    int rc;
    *limit = CALL_LIST_LIMIT_DEFAULT;
    cursor[0] = '\0';
    if ((rc = intake_http_query_get(req, "limit", buf, sizeof buf)) != 0) {
        char *end;
        long n = rc > 0 ? strtol(buf, &end, 10) : 0;
        if (rc < 0 || !buf[0] || *end || n < 1 || n > CALL_LIST_LIMIT_MAX)
            codec_field_errors_add(errs, "limit", "must be an integer from 1 to 500");
        else
            *limit = (int)n;
    }
    if ((rc = intake_http_query_get(req, "cursor", buf, sizeof buf)) != 0) {
        if (rc < 0 || !buf[0] || strlen(buf) > 20 || strspn(buf, "0123456789") != strlen(buf))
            codec_field_errors_add(errs, "cursor", "must be a cursor returned by a search");
        else
            snprintf(cursor, cursor_size, "%s", buf);
    }
}

void intake_call_open_staff_list(struct call *call, call_query_fn parse, const char *action,
                                 call_fn next)
{
    if (!intake_call_require_staff(call) ||
        !intake_call_read_query(call, parse, "the search parameters are not valid"))
        return;
    intake_call_audit(call, NULL, action, next);
}

void intake_call_answer_requeued(struct call *call, enum queue_status st, const char *what,
                                 const char *conflict_code, const char *conflict_message)
{
    if (intake_call_refuse_missing(call, st))
        return;
    if (st == QUEUE_CONFLICT) {
        intake_call_error(call, 409, conflict_code, conflict_message);
        return;
    }
    log_info("%s; claim requeued claim_id=%s request_id=%s", what, call->path_id,
             call->req->request_id);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "claim_id", json_object_new_string(call->path_id));
    json_object_object_add(o, "status", json_object_new_string("received"));
    intake_call_json(call, 202, o);
}

/* ---- authentication ---- */

/* A token's or a session's lookup in Redis, waited for. */
struct auth_wait {
    struct call *call;
    call_fn next;
    char hash[TOKEN_HASH_HEX_LEN];
    uint64_t epoch; /* of the token cache when Redis was asked (a token) */
};

/* A wait for call's lookup of hash; NULL after answering 503 when out of memory. */
static struct auth_wait *auth_wait_new(struct call *call, call_fn next, const char *hash)
{
    struct auth_wait *w = malloc(sizeof *w);
    if (!w) {
        intake_call_unavailable(call);
        return NULL;
    }
    w->call = call;
    w->next = next;
    memcpy(w->hash, hash, sizeof w->hash);
    w->epoch = 0;
    return w;
}

/* The lookup answered: the wait is copied into *out and freed; false after
 * answering 503 when Redis did not answer (status < 0). */
static bool auth_wait_end(void *arg, int status, struct auth_wait *out)
{
    *out = *(struct auth_wait *)arg;
    free(arg);
    if (status >= 0)
        return true;
    intake_call_unavailable(out->call);
    return false;
}

static void unauthorized(struct call *call)
{
    if (!intake_call_limit_address(call))
        return;
    intake_http_add_header(call->req, "WWW-Authenticate", "Bearer");
    intake_call_error(call, 401, "unauthorized", "a valid bearer token is required");
}

/* Fills *who from a stored token; false when the record grants no role. */
static bool principal_from_record(struct principal *who, const struct token_record *rec)
{
    memset(who, 0, sizeof *who);
    snprintf(who->token_id, sizeof who->token_id, "%s", rec->token_id);
    who->role = intake_auth_role_parse(rec->role);
    snprintf(who->member_id, sizeof who->member_id, "%s", rec->member_id);
    snprintf(who->npi, sizeof who->npi, "%s", rec->npi);
    return who->role != AUTH_NONE && who->token_id[0];
}

/* Redis answered the token lookup: a known token is cached (unless a
 * revocation crossed the lookup, see queue_token_cache_insert) and the call goes on. */
static void on_token(int status, const struct token_record *rec, void *arg)
{
    struct auth_wait w;
    if (!auth_wait_end(arg, status, &w))
        return;
    struct call *call = w.call;
    if (status == 0 || !principal_from_record(&call->who, rec)) {
        unauthorized(call);
        return;
    }
    if (call->app->tokens)
        queue_token_cache_insert(call->app->tokens, w.hash, rec, w.epoch,
                                 queue_token_cache_now_ms());
    if (intake_call_limit_principal(call))
        w.next(call);
}

/* ---- the session cookie (docs/api.md "Accounts and sessions") ---- */

#define SESSION_COOKIE_NAME "claimsd_session"
#define SESSION_ID_TEXT_LEN 43 /* 256 bits, base64url without padding */

/* The value of the session cookie in the Cookie header into out: 1, or 0
 * when there is none, -1 when it is not shaped like a session id. */
static int session_cookie(const struct http_request *req, char out[SESSION_ID_TEXT_LEN + 1])
{
    const char *c = intake_http_header_get(req, "cookie");
    const size_t name_len = sizeof SESSION_COOKIE_NAME - 1;
    while (c && *c) {
        while (*c == ' ' || *c == ';')
            c++;
        const char *end = strchr(c, ';');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        if (len > name_len && strncmp(c, SESSION_COOKIE_NAME "=", name_len + 1) == 0) {
            const char *v = c + name_len + 1;
            size_t vlen = len - name_len - 1;
            while (vlen > 0 && v[vlen - 1] == ' ')
                vlen--;
            if (vlen != SESSION_ID_TEXT_LEN)
                return -1;
            for (size_t i = 0; i < vlen; i++) {
                char ch = v[i];
                if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
                    return -1;
            }
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return 1;
        }
        c = end;
    }
    return 0;
}

static bool method_changes_state(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "PATCH") == 0 || strcmp(method, "DELETE") == 0;
}

static void session_unauthorized(struct call *call)
{
    /* An ended or forged cookie is a failure like a bad token: it draws on
     * the client address's bucket (rate_limits.address). */
    if (!intake_call_limit_address(call))
        return;
    intake_call_error(call, 401, "unauthorized",
                      "the session has ended or is unknown; sign in again");
}

static void on_session(int status, const struct session_record *rec, void *arg)
{
    struct auth_wait w;
    if (!auth_wait_end(arg, status, &w))
        return;
    struct call *call = w.call;
    struct principal *who = &call->who;
    memset(who, 0, sizeof *who);
    who->role = status == 1 ? intake_auth_role_parse(rec->role) : AUTH_NONE;
    if (who->role == AUTH_NONE) {
        session_unauthorized(call);
        return;
    }
    snprintf(who->token_id, sizeof who->token_id, "session:%.12s", w.hash);
    snprintf(who->member_id, sizeof who->member_id, "%s", rec->member_id);
    snprintf(who->npi, sizeof who->npi, "%s", rec->npi);
    memcpy(who->session_hash, w.hash, sizeof who->session_hash);
    if (method_changes_state(call->req->method)) {
        /* The cookie goes with every request the browser makes, a forged
         * one too; the CSRF token only with the portal's own. */
        const char *sent = intake_http_header_get(call->req, "x-csrf-token");
        size_t want = strlen(rec->csrf);
        if (!sent || want == 0 || strlen(sent) != want ||
            CRYPTO_memcmp(sent, rec->csrf, want) != 0) {
            intake_call_error(
                call, 403, "csrf_failed",
                "a request signed in by cookie that changes anything needs X-CSRF-Token");
            return;
        }
    }
    if (intake_call_limit_principal(call))
        w.next(call);
}

static void authenticate_session(struct call *call, call_fn next, const char *session_id)
{
    char hash[TOKEN_HASH_HEX_LEN];
    queue_token_hash_hex(session_id, strlen(session_id), hash);
    struct auth_wait *w = auth_wait_new(call, next, hash);
    if (!w)
        return;
    long long now = (long long)clock_wall_ms();
    long long idle = call->app->cfg.sessions.idle_timeout_seconds * 1000LL;
    if (queue_sessions_touch_async(call->app->redis, intake_call_key_prefix(call), w->hash, now,
                                   idle, on_session, w) != 0) {
        free(w);
        intake_call_unavailable(call);
    }
}

void intake_call_authenticate(struct call *call, call_fn next)
{
    const char *auth = intake_http_header_get(call->req, "authorization");
    char session_id[SESSION_ID_TEXT_LEN + 1];
    int cookie = auth ? 0 : session_cookie(call->req, session_id);
    if (cookie < 0) {
        session_unauthorized(call);
        return;
    }
    if (cookie > 0) {
        authenticate_session(call, next, session_id);
        explicit_bzero(session_id, sizeof session_id);
        return;
    }
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7] || strlen(auth + 7) > 512) {
        unauthorized(call);
        return;
    }
    const char *token = auth + 7;
    while (*token == ' ')
        token++;
    char hash[TOKEN_HASH_HEX_LEN];
    queue_token_hash_hex(token, strlen(token), hash);
    /* The common case: a token this process saw within the cache's TTL. */
    struct token_cache *cache = call->app->tokens;
    struct token_record rec;
    if (cache && queue_token_cache_lookup(cache, hash, queue_token_cache_now_ms(), &rec) &&
        principal_from_record(&call->who, &rec)) {
        if (intake_call_limit_principal(call))
            next(call);
        return;
    }
    struct auth_wait *w = auth_wait_new(call, next, hash);
    if (!w)
        return;
    w->epoch = cache ? queue_token_cache_epoch(cache) : 0;
    if (queue_tokens_lookup_async(call->app->redis, intake_call_key_prefix(call), hash, on_token,
                                  w) != 0) {
        free(w);
        intake_call_unavailable(call);
    }
}

/* ---- rate limits (docs/configuration.md "rate_limits") ---- */

/* At most one line a second, so that a flood does not flood the log: the
 * token id of a role's bucket (never the address: a client's address is
 * personal); /metrics counts every 429. Event-loop thread only. */
static void log_rate_limited(const struct call *call, const char *class, const char *token_id,
                             int64_t now)
{
    static int64_t next_ms;
    if (now < next_ms)
        return;
    next_ms = now + 1000;
    log_warn("rate limited class=%s token_id=%s request_id=%s", class, token_id,
             call->req->request_id);
}

static void rate_limited(struct call *call, int retry_after_s)
{
    char seconds[16], message[96];
    snprintf(seconds, sizeof seconds, "%d", retry_after_s);
    intake_http_add_header(call->req, "Retry-After", seconds);
    snprintf(message, sizeof message, "too many requests; retry in %d s", retry_after_s);
    intake_call_error(call, 429, "rate_limited", message);
}

bool intake_call_limit_principal(struct call *call)
{
    static const enum config_rate_class of_role[] = {
        [AUTH_MEMBER] = CONFIG_RATE_MEMBER,
        [AUTH_PROVIDER] = CONFIG_RATE_PROVIDER,
        [AUTH_STAFF] = CONFIG_RATE_STAFF,
        [AUTH_ADMIN] = CONFIG_RATE_ADMIN,
    };
    enum auth_role role = call->who.role;
    if (role < AUTH_MEMBER || role > AUTH_ADMIN)
        return true;
    int retry_after = 0;
    /* The class is the role, the key its token id ("session:..." for a
     * signed-in person): a partner's gateway or an office behind one
     * address is limited per token, not per address. */
    int64_t now = clock_monotonic_ms();
    if (ratelimit_take(call->app->ratelimit, (int)of_role[role], call->who.token_id, now,
                       &retry_after))
        return true;
    log_rate_limited(call, intake_auth_role_name(role), call->who.token_id, now);
    rate_limited(call, retry_after);
    return false;
}

/* The bucket key of a client address: an IPv4 address (or an IPv4-mapped
 * IPv6 one) as it is; an IPv6 address by its /64, which one client
 * usually holds all of. */
static void address_key(const char *peer, char *out, size_t size)
{
    struct in6_addr a6;
    if (strchr(peer, ':') && inet_pton(AF_INET6, peer, &a6) == 1 && !IN6_IS_ADDR_V4MAPPED(&a6)) {
        char text[INET6_ADDRSTRLEN];
        memset(a6.s6_addr + 8, 0, 8);
        if (inet_ntop(AF_INET6, &a6, text, sizeof text)) {
            snprintf(out, size, "%s/64", text);
            return;
        }
    }
    snprintf(out, size, "%s", peer);
}

bool intake_call_limit_address(struct call *call)
{
    char key[sizeof call->req->peer + 8];
    address_key(call->req->peer, key, sizeof key);
    int retry_after = 0;
    int64_t now = clock_monotonic_ms();
    if (ratelimit_take(call->app->ratelimit, CONFIG_RATE_ADDRESS, key, now, &retry_after))
        return true;
    log_rate_limited(call, "address", "-", now);
    rate_limited(call, retry_after);
    return false;
}

/* ---- audit ---- */

static void on_audit(enum queue_status status, void *arg)
{
    struct call *call = arg;
    call->audit_ok = status == QUEUE_OK;
    if (!call->audit_ok)
        log_error("audit record not stored request_id=%s", call->req->request_id);
    call->after_audit(call);
}

void intake_call_audit(struct call *call, const char *claim_id, const char *action, call_fn next)
{
    char at[32];
    rfc3339_now(at);
    struct json_object *rec = intake_call_audit_record(call, at, action);
    const char *rec_text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
    call->after_audit = next;
    int rc = queue_audit_append(call->app->redis, intake_call_key_prefix(call), claim_id, rec_text,
                                on_audit, call);
    json_object_put(rec);
    if (rc != 0) {
        call->audit_ok = false;
        next(call);
    }
}

struct json_object *intake_call_audit_record(const struct call *call, const char *at,
                                             const char *action)
{
    return queue_audit_record_new(at, call->who.token_id, intake_auth_role_name(call->who.role),
                                  action, call->req->request_id, call->req->client_request_id,
                                  call->req->peer);
}

bool intake_call_audited(struct call *call)
{
    if (call->audit_ok)
        return true;
    intake_call_unavailable(call); /* answers and frees the call */
    return false;
}
