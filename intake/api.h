/*
 * What every API handler shares: the per-request call (who is asking, the
 * path's id, the app), authentication, JSON answers and audit records.
 *
 * A call is allocated when a request is routed and freed by the call_*
 * answer functions, exactly once, whether the answer comes now or after
 * Redis replies.
 */
#ifndef CLAIMS_API_H
#define CLAIMS_API_H

#include <json-c/json.h>
#include <stdbool.h>

#include "codec/field_errors.h"
#include "intake/http.h"
#include "model.h"
#include "queue/status.h"
#include "intake/app.h"

#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

/* How often a compare-and-set write of an enrollment record (group events,
 * member events, a group PUT) reads again after finding it changed. Each
 * conflict means another write went through, so this bounds only how many
 * writers to one record a request may lose to in a burst. */
#define CALL_WRITE_ATTEMPTS 20

enum auth_role { AUTH_NONE, AUTH_MEMBER, AUTH_PROVIDER, AUTH_STAFF, AUTH_ADMIN };

struct principal {
    char token_id[64];
    enum auth_role role;
    char member_id[ID_LEN]; /* AUTH_MEMBER */
    char npi[NPI_LEN];      /* AUTH_PROVIDER */
    /* Signed in with the session cookie: the SHA-256 hex of its id ("" for a
     * bearer token). token_id is then "session:" and its first 12 digits. */
    char session_hash[65];
};

struct call;
typedef void (*call_fn)(struct call *call);

struct call {
    struct http_request *req;
    struct app *app;
    struct principal who;
    char path_id[CLAIM_ID_LEN > ID_LEN ? CLAIM_ID_LEN : ID_LEN];
    const char *action; /* for the audit record: "claim.read", ... */
    bool audit_ok;      /* the last intake_call_audit was stored */
    call_fn after_audit;
    void *state; /* the handler's own, freed with state_free */
    void (*state_free)(void *state);
};

/* The API's name of a role ("member", "provider", "staff", "admin"), a static string. */
const char *intake_auth_role_name(enum auth_role role);
/* "member", "provider", "staff", "admin" → role; AUTH_NONE otherwise. */
enum auth_role intake_auth_role_parse(const char *name);
/* Whether the caller is staff or an admin. */
static inline bool intake_auth_is_staff(const struct principal *who)
{
    return who->role == AUTH_STAFF || who->role == AUTH_ADMIN;
}

/* The Redis key prefix of the call's app (cfg.key_prefix). */
static inline const char *intake_call_key_prefix(const struct call *call)
{
    return call->app->cfg.key_prefix;
}

/* A call for a request (owned by the caller until it is answered); NULL when out of memory. */
struct call *intake_call_new(struct http_request *req, struct app *app);

/* Reads the bearer token, looks it up (by its hash) and calls next with
 * call->who filled in; answers 401 itself when the token is missing or unknown.
 * Without an Authorization header, the claimsd_session cookie instead: the
 * session is looked up (and its idle expiry moved on), and a request that
 * changes anything (POST, PUT, PATCH, DELETE) must carry its CSRF token in
 * X-CSRF-Token (403 csrf_failed otherwise). */
void intake_call_authenticate(struct call *call, call_fn next);

/* Rate limits (docs/configuration.md "rate_limits"). Each takes a token
 * from a bucket and returns true, or answers 429 rate_limited with
 * Retry-After itself (the call is then freed) and returns false.
 * intake_call_limit_principal: the bucket of call->who's token or session, by its
 * role (intake_call_authenticate calls it before next). intake_call_limit_address: the
 * bucket of the client's address, for a request answered 401 and a failed
 * sign-in (call it before answering the failure). */
bool intake_call_limit_principal(struct call *call);
/* Takes a request from the client address's bucket; false (answered 429, freed) when empty. */
bool intake_call_limit_address(struct call *call);

/* Answers and frees the call. intake_call_json takes ownership of body. */
void intake_call_json(struct call *call, int status, struct json_object *body);
/* Answers with len bytes of body (the caller keeps body) as content_type, and frees the call. */
void intake_call_respond(struct call *call, int status, const char *content_type, const char *body,
                         size_t len);
/* Answers status with an error body in API.md's shape (code, message), and frees the call. */
void intake_call_error(struct call *call, int status, const char *code, const char *message);
/* 400 invalid_json / 422 validation_failed with the field list. */
void intake_call_invalid(struct call *call, int status, const char *message,
                         const struct codec_field_errors *errs);
/* 503 with Retry-After: storage did not answer. */
void intake_call_unavailable(struct call *call);
/* 404 not_found: also the answer for another party's claim (API.md). */
void intake_call_not_found(struct call *call);
/* Answers 403 forbidden, and frees the call. */
void intake_call_forbidden(struct call *call);
/* 500 internal "out of memory". */
void intake_call_out_of_memory(struct call *call);
/* Goes on with next once the member a body's "member_id" names is known to
 * exist; answers 503 when storage did not answer, 422 naming member_id (with
 * message, a string literal) when there is no such member, 500 when out of
 * memory. */
void intake_call_require_member(struct call *call, const char *member_id, const char *message,
                                call_fn next);

/* The handler's state, zeroed, handed to the call with the function that
 * frees it (freed with the call); NULL after answering 500 when out of
 * memory. */
void *intake_call_state_new(struct call *call, size_t size, void (*state_free)(void *state));

/* The opening of a handler with a state: a state of size bytes (a copy of
 * initial, zeroed when initial is NULL; freed with state_free) handed to the
 * call, which is then authenticated and goes on with next; answers 500 when
 * out of memory. */
void intake_call_open(struct call *call, const void *initial, size_t size,
                      void (*state_free)(void *state), call_fn next);

/* Whether the caller has a role (member, provider, staff or admin); answers
 * 403 and returns false otherwise. */
bool intake_call_require_role(struct call *call);
/* Whether the caller is an admin; answers 403 and returns false otherwise. */
bool intake_call_require_admin(struct call *call);
/* Whether the caller is staff or an admin; answers 403 and returns false otherwise. */
bool intake_call_require_staff(struct call *call);
/* Whether the path id can name an enrollment record (group, member, plan,
 * token); answers 404 and returns false otherwise. */
bool intake_call_require_record_id(struct call *call);

/* After a queue call: true for QUEUE_OK; otherwise answers 503 and returns false. */
bool intake_call_queue_ok(struct call *call, enum queue_status status);
/* After queue_get_records of one record: true when its text json[0] was
 * read; otherwise answers 503 (storage did not answer) or 404 (no such
 * record) and returns false. */
bool intake_call_one_record(struct call *call, enum queue_status status, const char *const *json,
                            size_t n);
/* After a queue call that names one thing: answers 503 for
 * QUEUE_UNAVAILABLE and 404 for QUEUE_NOT_FOUND and returns true; false
 * for any other status (the handler answers those). */
bool intake_call_refuse_missing(struct call *call, enum queue_status status);
/* After a lookup: true for QUEUE_OK; otherwise answers 503 for
 * QUEUE_UNAVAILABLE, 404 for any other status, and returns false. */
bool intake_call_found(struct call *call, enum queue_status status);
/* After a write: audits it as action and goes on with next (claim NULL) on
 * QUEUE_OK; answers 503 otherwise. */
void intake_call_audit_stored(struct call *call, enum queue_status status, const char *action,
                              call_fn next);

/* Answers 422 with the error code, message and the one problem at field. */
void intake_call_refuse_field(struct call *call, const char *code, const char *message,
                              const char *field, const char *problem);
/* Answers 422 validation_failed with message and the one problem at field. */
void intake_call_invalid_field(struct call *call, const char *field, const char *problem,
                               const char *message);
/* Answers 422 validation_failed with message and errs' list, and returns
 * true, when errs holds a problem; false otherwise (errs stays the caller's). */
bool intake_call_refuse_fields(struct call *call, const struct codec_field_errors *errs,
                               const char *message);
/* Ends the checks of a body read with intake_call_parse_body: frees errs and
 * returns true when it holds no problem; otherwise answers 422 with message
 * and the list and returns false. */
bool intake_call_fields_checked(struct call *call, struct codec_field_errors *errs,
                                const char *message);

/* Reads a request body's fields into call->state, each problem into errs. */
typedef void (*call_body_fn)(struct call *call, struct json_object *body,
                             struct codec_field_errors *errs);
/* Reads the request's JSON body with read; true when it holds no problem,
 * false after answering (415, 400, 422 with message and the list, 500). */
bool intake_call_read_body(struct call *call, call_body_fn read, const char *message);

/* A JSON string of s, or NULL (JSON null) when s is NULL or empty; allocates. */
struct json_object *intake_call_string_or_null(const char *s);
/* The JSON view of one row of a list page (allocates). */
typedef struct json_object *(*call_row_fn)(const void *row);
/* Answers a page of a list read with status: 503 unless QUEUE_OK, else 200
 * {name: [view of each of the n rows of row_size bytes], "next_cursor":
 * next_cursor or null} (500 when out of memory). */
void intake_call_answer_page(struct call *call, enum queue_status status, const char *name,
                             const void *rows, size_t n, size_t row_size, call_row_fn view,
                             const char *next_cursor);
/* The plain JSON text of o, a new string, into *out, and puts o; false
 * after answering 500 when o is NULL or memory ran out. */
bool intake_call_json_text(struct call *call, struct json_object *o, char **out);
/* Hands o to the call as its state (put when the call is freed). */
void intake_call_hold_json(struct call *call, struct json_object *o);
/* Takes back the JSON object intake_call_hold_json handed to the call; the caller owns it. */
struct json_object *intake_call_take_json(struct call *call);

/* The request has a JSON content type (415 otherwise, answered here). */
bool intake_call_require_json(struct call *call);

/* The request's JSON body, with *errs allocated for the caller's field
 * checks (the caller frees it); NULL after answering (415, 400/422, 500),
 * with nothing left to free. */
struct json_object *intake_call_parse_body(struct call *call, struct codec_field_errors **errs);

/* Reads the body of a request that names a person to act for (POST
 * /v1/tokens, POST /v1/invitations): role, member_id for a member, npi for a
 * provider, each problem into errs with the reader's phrases (docs/
 * validation.md "Token"); `what` is "token" or "invitation", the word the
 * phrases use. role is AUTH_NONE when absent or refused. */
void intake_call_read_principal(struct json_object *body, const char *what,
                                struct codec_field_errors *errs, enum auth_role *role,
                                char member_id[ID_LEN], char npi[NPI_LEN]);

/* Every list's page size: `limit` 1..CALL_LIST_LIMIT_MAX, CALL_LIST_LIMIT_DEFAULT
 * when absent (docs/api.md). */
#define CALL_LIST_LIMIT_DEFAULT 50
#define CALL_LIST_LIMIT_MAX 500

/* Reads a list's `limit` into *limit (CALL_LIST_LIMIT_DEFAULT when absent) and
 * `cursor` (1..20 digits, as a list returned it) into cursor ("" when absent),
 * each problem into errs with the phrases every list uses. */
void intake_call_read_paging(const struct http_request *req, int *limit, char *cursor,
                             size_t cursor_size, struct codec_field_errors *errs);

/* Answers a change that put the claim of the path back on the work queue:
 * 202 {claim_id, status: "received"} on QUEUE_OK (logged as `what`, with the
 * claim and request ids); 503, 404, or 409 with conflict_code and
 * conflict_message otherwise. */
void intake_call_answer_requeued(struct call *call, enum queue_status st, const char *what,
                                 const char *conflict_code, const char *conflict_message);

/* Reads a list's query into the call's state (intake_call_open_staff_list). */
typedef void (*call_query_fn)(const struct http_request *req, void *state,
                              struct codec_field_errors *errs);

/* Reads the request's query with parse into call->state; true when it holds
 * no problem, false after answering 422 with message and the list (or 500). */
bool intake_call_read_query(struct call *call, call_query_fn parse, const char *message);

/* The opening of a staff list (GET /v1/review, /v1/recoveries, /v1/appeals):
 * 403 unless staff or admin; the query read by parse into call->state, its
 * problems answered 422; the read audited as `action` (the lists name
 * members), then next, which asks intake_call_audited. */
void intake_call_open_staff_list(struct call *call, call_query_fn parse, const char *action,
                                 call_fn next);

/* Adds "unknown parameter" to errs for each query parameter of req not among
 * the n names (a typo must not silently widen a list). */
void intake_call_check_query_names(const struct http_request *req, const char *const *names,
                                   size_t n, struct codec_field_errors *errs);

/* Appends an audit record (who, what, when, request id, from where) about a
 * claim (claim_id may be NULL) and then calls next; next runs even if the
 * write failed, and asks intake_call_audited. */
void intake_call_audit(struct call *call, const char *claim_id, const char *action, call_fn next);
/* In intake_call_audit's next: true when the audit record was written; otherwise
 * answers 503 (nothing is done without its record) and returns false. */
bool intake_call_audited(struct call *call);
/* The audit record of this call's caller (for scripts that write it
 * themselves); allocates. */
struct json_object *intake_call_audit_record(const struct call *call, const char *at,
                                             const char *action);

#endif
