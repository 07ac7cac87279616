/*
 * People's accounts: invitations (admin, or staff for members and
 * providers), accounts created with an invitation's code, password sign-in
 * to a session held in an HttpOnly cookie, sign-out, and GET /v1/me.
 *
 * Codes and session ids are 256 random bits, shown once and stored only as
 * their SHA-256 (queue_token_hash_hex, like API tokens). Passwords are hashed and
 * verified with Argon2id on intake/password.c's threads, never on the loop.
 */
#include "accounts_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "codec/codes.h"
#include "codec/json_edge.h"
#include "codec/json_read.h"
#include "intake/password.h"
#include "date.h"
#include "log.h"
#include "queue/accounts.h"
#include "queue/tokens.h"
#include "secret.h"

#define SESSION_ID_LEN 43 /* 32 bytes, base64url without padding */
/* Sign-in failures: this many for one username within the window, then 429. */
#define SIGNIN_MAX_FAILURES 5
#define SIGNIN_WINDOW_MS (15LL * 60 * 1000)
/* The one answer for a code that is unknown, used or expired: not told apart. */
#define INVALID_INVITATION "is not a valid invitation (unknown, used or expired)"

/* An RFC 3339 timestamp of a moment in milliseconds (common/date.h). */
static void rfc3339_at_ms(long long ms, char out[32])
{
    rfc3339_at(ms / 1000, out);
}

/* 32 random bytes as base64url without padding: 43 characters and the NUL. */
static int random_base64url(char out[SESSION_ID_LEN + 1])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char b[33] = {0};
    if (secret_random_bytes(b, 32) != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < 33; i += 3) {
        unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | b[i + 2];
        for (int k = 3; k >= 0 && o < SESSION_ID_LEN; k--)
            out[o++] = alphabet[(v >> (6 * k)) & 63];
    }
    out[SESSION_ID_LEN] = '\0';
    explicit_bzero(b, sizeof b);
    return 0;
}

static bool valid_code_shape(const char *s)
{
    if (strlen(s) != SECRET_INVITATION_CODE_LEN || strncmp(s, SECRET_INVITATION_PREFIX, 4) != 0)
        return false;
    for (const char *p = s + 4; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* Folds s to lower case into out; true when it is 3..64 of [a-z0-9._-]. */
static bool username_fold(const char *s, size_t len, char out[ACCOUNT_USERNAME_LEN])
{
    if (len < 3 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
        out[i] = c;
    }
    out[len] = '\0';
    return true;
}

/* A field the body may not have: the reader's phrase (docs/validation.md). */
static void add_unknown_field(struct codec_field_errors *errs, const char *key)
{
    struct codec_path path;
    codec_path_init(&path);
    codec_path_push_key(&path, key, strlen(key));
    codec_field_errors_add(errs, path.text, CODEC_P_UNKNOWN);
}

static const char *string_of(struct json_object *v)
{
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* ---- POST /v1/invitations ---- */

struct invite_state {
    enum auth_role role;
    char member_id[ID_LEN];
    char npi[NPI_LEN];
    char code[SECRET_INVITATION_CODE_LEN + 1];
    char expires_at[32];
};

static void invite_state_free(void *p)
{
    struct invite_state *is = p;
    if (is) /* the code never outlives the request */
        explicit_bzero(is->code, sizeof is->code);
    free(is);
}

static void invite_respond(struct call *call)
{
    struct invite_state *is = call->state;
    if (!intake_call_audited(call))
        return;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "code", json_object_new_string(is->code));
    json_object_object_add(o, "expires_at", json_object_new_string(is->expires_at));
    log_info("invitation created role=%s by=%s", intake_auth_role_name(is->role),
             call->who.token_id);
    intake_call_json(call, 201, o);
}

static void on_invite_stored(enum queue_status status, void *arg)
{
    intake_call_audit_stored(arg, status, "invitation.create", invite_respond);
}

static void invite_store(struct call *call)
{
    struct invite_state *is = call->state;
    if (secret_invitation_code_new(is->code) != 0) {
        intake_call_error(call, 500, "internal", "no randomness available");
        return;
    }
    long long now = (long long)clock_wall_ms();
    char created_at[32], hash[TOKEN_HASH_HEX_LEN];
    rfc3339_at_ms(now, created_at);
    rfc3339_at_ms(now + SECRET_INVITATION_TTL_SECONDS * 1000LL, is->expires_at);
    queue_token_hash_hex(is->code, strlen(is->code), hash);
    if (queue_accounts_invitation_store_async(
            call->app->redis, intake_call_key_prefix(call), hash, intake_auth_role_name(is->role),
            is->member_id, is->npi, created_at, call->who.token_id, SECRET_INVITATION_TTL_SECONDS,
            on_invite_stored, call) != 0)
        intake_call_unavailable(call);
}

/* The body of POST /v1/invitations: the person the invitation is for. */
static void read_invitation_body(struct call *call, struct json_object *body,
                                 struct codec_field_errors *errs)
{
    struct invite_state *is = call->state;
    intake_call_read_principal(body, "invitation", errs, &is->role, is->member_id, is->npi);
}

static void invite_authed(struct call *call)
{
    struct invite_state *is = call->state;
    if (!intake_call_require_staff(call) ||
        !intake_call_read_body(call, read_invitation_body, "the invitation request is not valid"))
        return;
    /* Staff invite the people they serve; only an admin makes staff or admins. */
    if (call->who.role == AUTH_STAFF && (is->role == AUTH_STAFF || is->role == AUTH_ADMIN)) {
        intake_call_error(call, 403, "forbidden", "staff may invite members and providers only");
        return;
    }
    if (is->role == AUTH_MEMBER)
        intake_call_require_member(
            call, is->member_id, "the invitation names a member that does not exist", invite_store);
    else
        invite_store(call);
}

void intake_invitations_post(struct call *call)
{
    intake_call_open(call, NULL, sizeof(struct invite_state), invite_state_free, invite_authed);
}

/* ---- POST /v1/accounts ---- */

struct account_state {
    char invite_hash[TOKEN_HASH_HEX_LEN];
    char username[ACCOUNT_USERNAME_LEN];
    char account_id[37];
    struct account_record rec;
};

static void account_respond(struct call *call)
{
    struct account_state *as = call->state;
    if (!intake_call_audited(call))
        return;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "username", json_object_new_string(as->username));
    json_object_object_add(o, "role", json_object_new_string(as->rec.role));
    if (as->rec.member_id[0])
        json_object_object_add(o, "member_id", json_object_new_string(as->rec.member_id));
    if (as->rec.npi[0])
        json_object_object_add(o, "npi", json_object_new_string(as->rec.npi));
    log_info("account created account_id=%s role=%s", as->account_id, as->rec.role);
    intake_call_json(call, 201, o);
}

static void on_account_created(enum accounts_create_result result, const struct account_record *rec,
                               void *arg)
{
    struct call *call = arg;
    struct account_state *as = call->state;
    if (result == ACCOUNTS_UNAVAILABLE) {
        intake_call_unavailable(call);
        return;
    }
    if (result == ACCOUNTS_USERNAME_TAKEN) {
        intake_call_error(call, 409, "username_taken", "that username is taken; choose another");
        return;
    }
    if (result == ACCOUNTS_INVALID_INVITATION) {
        intake_call_invalid_field(call, "code", INVALID_INVITATION,
                                  "the invitation code cannot be used");
        return;
    }
    as->rec = *rec;
    /* The audit record names the new account (never its username). */
    memset(&call->who, 0, sizeof call->who);
    call->who.role = intake_auth_role_parse(rec->role);
    snprintf(call->who.token_id, sizeof call->who.token_id, "account:%s", as->account_id);
    intake_call_audit(call, NULL, "account.create", account_respond);
}

static void on_password_hashed(int ok, const char *encoded, void *arg)
{
    struct call *call = arg;
    struct account_state *as = call->state;
    if (ok != 0) {
        intake_call_error(call, 500, "internal", "the password could not be hashed");
        return;
    }
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, as->account_id);
    char now[32];
    rfc3339_now(now);
    if (queue_accounts_create_async(call->app->redis, intake_call_key_prefix(call), as->invite_hash,
                                    as->username, encoded, as->account_id, now, on_account_created,
                                    call) != 0)
        intake_call_unavailable(call);
}

void intake_accounts_post(struct call *call)
{
    struct account_state *as = intake_call_state_new(call, sizeof *as, free);
    if (!as)
        return;
    struct codec_field_errors *errs;
    struct json_object *body = intake_call_parse_body(call, &errs);
    if (!body)
        return;
    const char *password = NULL;
    size_t password_len = 0;
    bool has_code = false, has_user = false;
    json_object_object_foreach(body, key, value)
    {
        const char *v = string_of(value);
        if (strcmp(key, "code") == 0) {
            has_code = true;
            if (!v)
                codec_field_errors_add(errs, "code", "must be a string");
            else if (!valid_code_shape(v))
                codec_field_errors_add(errs, "code", INVALID_INVITATION);
            else
                queue_token_hash_hex(v, strlen(v), as->invite_hash);
        } else if (strcmp(key, "username") == 0) {
            has_user = true;
            if (!v || !username_fold(v, (size_t)json_object_get_string_len(value), as->username))
                codec_field_errors_add(errs, "username",
                                       "must be 3 to 64 of the characters a-z 0-9 . _ -");
        } else if (strcmp(key, "password") == 0) {
            if (!v) {
                codec_field_errors_add(errs, "password", "must be a string");
                password = "";
            } else {
                password = v;
                password_len = (size_t)json_object_get_string_len(value);
                const char *problem = intake_password_policy_problem(password, password_len);
                if (problem)
                    codec_field_errors_add(errs, "password", problem);
            }
        } else {
            add_unknown_field(errs, key);
        }
    }
    if (!has_code)
        codec_field_errors_add(errs, "code", "is required");
    if (!has_user)
        codec_field_errors_add(errs, "username", "is required");
    if (!password)
        codec_field_errors_add(errs, "password", "is required");
    if (!intake_call_fields_checked(call, errs, "the account request is not valid")) {
        json_object_put(body); /* the password is read from it until it is hashed */
        return;
    }
    int rc = intake_password_hash_async(call->app->base, password, password_len, on_password_hashed,
                                        call);
    json_object_put(body);
    if (rc != 0)
        intake_call_error(call, 503, "unavailable", "the password could not be hashed now; retry");
}

/* ---- POST /v1/sessions ---- */

struct signin_state {
    char username[ACCOUNT_USERNAME_LEN];
    bool username_valid;
    char *password;
    size_t password_len;
    bool known;
    struct account_record rec;
    char session_id[SESSION_ID_LEN + 1];
    struct session_record session;
};

static void signin_state_free(void *p)
{
    struct signin_state *ss = p;
    if (!ss)
        return;
    if (ss->password) {
        explicit_bzero(ss->password, ss->password_len);
        free(ss->password);
    }
    explicit_bzero(ss->session_id, sizeof ss->session_id);
    explicit_bzero(ss->rec.password_hash, sizeof ss->rec.password_hash);
    free(ss);
}

static void invalid_credentials(struct call *call)
{
    intake_call_error(call, 401, "invalid_credentials", "the username or password is not right");
}

static void signin_fail_respond(struct call *call)
{
    /* A failed sign-in also draws on the client address's bucket
     * (rate_limits.address): guessing across many usernames from one
     * address is slowed too, not only five tries per username. */
    if (intake_call_limit_address(call))
        invalid_credentials(call);
}

static void on_failure_counted(enum queue_status status, void *arg)
{
    struct call *call = arg;
    if (status != QUEUE_OK)
        log_error("a failed sign-in was not counted request_id=%s", call->req->request_id);
    /* The audit record of a failure names no one: no username, no account. */
    memset(&call->who, 0, sizeof call->who);
    intake_call_audit(call, NULL, "session.fail", signin_fail_respond);
}

static void signin_failed(struct call *call)
{
    struct signin_state *ss = call->state;
    if (!ss->username_valid || queue_accounts_signin_failed_async(
                                   call->app->redis, intake_call_key_prefix(call), ss->username,
                                   (long long)clock_wall_ms(), call->req->request_id,
                                   SIGNIN_WINDOW_MS, on_failure_counted, call) != 0)
        on_failure_counted(ss->username_valid ? QUEUE_UNAVAILABLE : QUEUE_OK, call);
}

static void cookie_header(struct call *call, const char *value, bool clear)
{
    char cookie[160];
    snprintf(cookie, sizeof cookie, SESSION_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/%s%s",
             value, clear ? "; Max-Age=0" : "", call->req->tls ? "; Secure" : "");
    intake_http_add_header(call->req, "Set-Cookie", cookie);
}

static void signin_respond(struct call *call)
{
    struct signin_state *ss = call->state;
    if (!intake_call_audited(call))
        return;
    char expires[32];
    rfc3339_at_ms(ss->session.expires_at_ms, expires);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "csrf_token", json_object_new_string(ss->session.csrf));
    json_object_object_add(o, "role", json_object_new_string(ss->session.role));
    if (ss->session.member_id[0])
        json_object_object_add(o, "member_id", json_object_new_string(ss->session.member_id));
    if (ss->session.npi[0])
        json_object_object_add(o, "npi", json_object_new_string(ss->session.npi));
    json_object_object_add(o, "expires_at", json_object_new_string(expires));
    cookie_header(call, ss->session_id, false);
    log_info("signed in %s role=%s", call->who.token_id, ss->session.role);
    intake_call_json(call, 201, o);
}

static void on_session_stored(enum queue_status status, void *arg)
{
    intake_call_audit_stored(arg, status, "session.create", signin_respond);
}

static void start_session(struct call *call)
{
    struct signin_state *ss = call->state;
    struct session_record *s = &ss->session;
    if (random_base64url(ss->session_id) != 0 || random_base64url(s->csrf) != 0) {
        intake_call_error(call, 500, "internal", "no randomness available");
        return;
    }
    const struct config_sessions *cfg = &call->app->cfg.sessions;
    long long now = (long long)clock_wall_ms();
    snprintf(s->account_id, sizeof s->account_id, "%s", ss->rec.account_id);
    snprintf(s->role, sizeof s->role, "%s", ss->rec.role);
    snprintf(s->member_id, sizeof s->member_id, "%s", ss->rec.member_id);
    snprintf(s->npi, sizeof s->npi, "%s", ss->rec.npi);
    s->expires_at_ms = now + cfg->max_lifetime_seconds * 1000LL;
    char hash[TOKEN_HASH_HEX_LEN];
    queue_token_hash_hex(ss->session_id, strlen(ss->session_id), hash);
    /* The audit record names the session the way its later requests will. */
    memset(&call->who, 0, sizeof call->who);
    call->who.role = intake_auth_role_parse(s->role);
    snprintf(call->who.token_id, sizeof call->who.token_id, "session:%.12s", hash);
    if (queue_sessions_store_async(call->app->redis, intake_call_key_prefix(call), hash, s, now,
                                   cfg->idle_timeout_seconds * 1000LL, ss->username,
                                   on_session_stored, call) != 0)
        intake_call_unavailable(call);
}

static void on_verified(int match, void *arg)
{
    struct call *call = arg;
    struct signin_state *ss = call->state;
    if (match == 1 && ss->known && intake_auth_role_parse(ss->rec.role) != AUTH_NONE) {
        start_session(call);
        return;
    }
    if (match < 0)
        log_error("a stored password hash could not be used request_id=%s", call->req->request_id);
    signin_failed(call);
}

static void verify(struct call *call)
{
    struct signin_state *ss = call->state;
    /* An unknown user is checked against a dummy hash: the same answer in
     * about the same time as a wrong password. */
    if (intake_password_verify_async(call->app->base, ss->known ? ss->rec.password_hash : NULL,
                                     ss->password, ss->password_len, on_verified, call) != 0)
        intake_call_error(call, 503, "unavailable", "the password could not be checked now; retry");
}

static void on_signin_lookup(int status, long long retry_after_ms, const struct account_record *rec,
                             void *arg)
{
    struct call *call = arg;
    struct signin_state *ss = call->state;
    if (status < 0) {
        intake_call_unavailable(call);
        return;
    }
    if (retry_after_ms > 0) {
        char secs[24];
        snprintf(secs, sizeof secs, "%lld", (retry_after_ms + 999) / 1000);
        intake_http_add_header(call->req, "Retry-After", secs);
        intake_call_error(call, 429, "too_many_attempts",
                          "too many failed sign-ins for this username; retry later");
        return;
    }
    ss->known = status == 1;
    if (rec)
        ss->rec = *rec;
    verify(call);
}

/* The body of POST /v1/sessions: username and password into the call's signin_state. */
static void read_signin_body(struct call *call, struct json_object *body,
                             struct codec_field_errors *errs)
{
    struct signin_state *ss = call->state;
    bool has_user = false;
    json_object_object_foreach(body, key, value)
    {
        const char *v = string_of(value);
        if (strcmp(key, "username") == 0) {
            has_user = true;
            if (!v)
                codec_field_errors_add(errs, "username", "must be a string");
            else
                ss->username_valid =
                    username_fold(v, (size_t)json_object_get_string_len(value), ss->username);
        } else if (strcmp(key, "password") == 0) {
            if (!v || json_object_get_string_len(value) > PASSWORD_MAX_LEN) {
                codec_field_errors_add(errs, "password", "must be a string of at most 1024 bytes");
            } else {
                ss->password_len = (size_t)json_object_get_string_len(value);
                ss->password = malloc(ss->password_len + 1);
                if (ss->password)
                    memcpy(ss->password, v, ss->password_len + 1);
            }
        } else {
            add_unknown_field(errs, key);
        }
    }
    if (!has_user)
        codec_field_errors_add(errs, "username", "is required");
    if (!ss->password &&
        codec_field_errors_find(errs, "password", "must be a string of at most 1024 bytes") < 0)
        codec_field_errors_add(errs, "password", "is required");
}

void intake_sessions_post(struct call *call)
{
    struct signin_state *ss = intake_call_state_new(call, sizeof *ss, signin_state_free);
    if (!ss || !intake_call_read_body(call, read_signin_body, "the sign-in request is not valid"))
        return;
    if (!ss->username_valid) {
        /* No account can have this name: a wrong-credentials answer, as slow as any. */
        verify(call);
        return;
    }
    if (queue_accounts_signin_lookup_async(call->app->redis, intake_call_key_prefix(call),
                                           ss->username, (long long)clock_wall_ms(),
                                           SIGNIN_WINDOW_MS, SIGNIN_MAX_FAILURES, on_signin_lookup,
                                           call) != 0)
        intake_call_unavailable(call);
}

/* ---- DELETE /v1/sessions/current ---- */

static void signout_respond(struct call *call)
{
    if (!intake_call_audited(call))
        return;
    cookie_header(call, "", true);
    intake_call_respond(call, 204, NULL, "", 0);
}

static void on_session_deleted(enum queue_status status, void *arg)
{
    intake_call_audit_stored(arg, status, "session.delete", signout_respond);
}

static void signout_authed(struct call *call)
{
    if (!call->who.session_hash[0]) {
        intake_call_error(call, 404, "not_found",
                          "this request was not made with a session cookie");
        return;
    }
    if (queue_sessions_delete_async(call->app->redis, intake_call_key_prefix(call),
                                    call->who.session_hash, on_session_deleted, call) != 0)
        intake_call_unavailable(call);
}

void intake_sessions_delete_current(struct call *call)
{
    intake_call_authenticate(call, signout_authed);
}

/* ---- GET /v1/me ---- */

static struct json_object *me_base(const struct call *call)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "role",
                           json_object_new_string(intake_auth_role_name(call->who.role)));
    if (call->who.role == AUTH_MEMBER)
        json_object_object_add(o, "member_id", json_object_new_string(call->who.member_id));
    if (call->who.role == AUTH_PROVIDER)
        json_object_object_add(o, "npi", json_object_new_string(call->who.npi));
    return o;
}

static void me_respond(struct call *call)
{
    struct json_object *o = intake_call_take_json(call); /* intake_call_json takes it */
    if (!intake_call_audited(call)) {
        json_object_put(o);
        return;
    }
    intake_call_json(call, 200, o);
}

static void on_family(enum queue_status status, const char *subscriber_id,
                      const struct family_entry *family, size_t n, void *arg)
{
    struct call *call = arg;
    if (status == QUEUE_UNAVAILABLE) {
        intake_call_unavailable(call);
        return;
    }
    struct json_object *o = me_base(call);
    if (status == QUEUE_OK && subscriber_id[0])
        json_object_object_add(o, "subscriber_id", json_object_new_string(subscriber_id));
    if (status == QUEUE_OK && n > 0) {
        struct json_object *arr = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
            struct json_object *m = json_object_new_object();
            json_object_object_add(m, "member_id", json_object_new_string(family[i].member_id));
            json_object_object_add(m, "first_name", json_object_new_string(family[i].first_name));
            json_object_object_add(m, "relationship",
                                   json_object_new_string(family[i].relationship));
            json_object_array_add(arr, m);
        }
        json_object_object_add(o, "family", arr);
    }
    intake_call_hold_json(call, o);
    /* The family's names are personal: the read is audited. */
    intake_call_audit(call, NULL, "me.read", me_respond);
}

static void me_authed(struct call *call)
{
    if (call->who.role != AUTH_MEMBER) {
        intake_call_json(call, 200, me_base(call));
        return;
    }
    if (queue_accounts_member_family_async(call->app->redis, intake_call_key_prefix(call),
                                           call->who.member_id, on_family, call) != 0)
        intake_call_unavailable(call);
}

void intake_me_get(struct call *call)
{
    intake_call_authenticate(call, me_authed);
}
