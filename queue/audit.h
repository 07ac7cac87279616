/* The audit record (DESIGN.md "Security"): who, what, when, from where. */
#ifndef CLAIMS_AUDIT_H
#define CLAIMS_AUDIT_H

#include <json-c/json.h>

#include "strbuf.h"

#include "queue/status.h"

struct rconn;

/* Appends the record's JSON text {"at", "token_id", "role", "action",
 * "request_id", "client_request_id", "from"} to sb, every value escaped: the
 * one definition of the record's form (queue_audit_record_new parses what this
 * writes). request_id is the server's own id of the request (the one in its
 * log lines); client_request_id the X-Request-Id the client sent, a member
 * written only when it is not NULL or empty: a client's word, kept apart so
 * that it cannot pose as the server's (issue 16, finding 9). */
void queue_audit_record_write(struct strbuf *sb, const char *at, const char *token_id,
                              const char *role, const char *action, const char *request_id,
                              const char *client_request_id, const char *from);

/* The same record as a json-c object; allocates (the caller puts it), NULL
 * when out of memory. `at` is RFC 3339; empty strings where a field does not
 * apply (a worker has no token or request). */
struct json_object *queue_audit_record_new(const char *at, const char *token_id, const char *role,
                                           const char *action, const char *request_id,
                                           const char *client_request_id, const char *from);

/* Appends one audit record (JSON text, copied) to the audit stream, once:
 * about a claim (claim_id not NULL) to the stream of the claim's shard, with
 * its entry id on the claim's own audit list, which GET
 * /v1/claims/{id}/audit reads; about no claim to shard 0's. One script call on the
 * event loop: returns 0 when sent (cb is then called once with QUEUE_OK, or
 * QUEUE_UNAVAILABLE when Redis did not store it) or -1 when nothing was sent
 * (cb is not called). */
int queue_audit_append(struct rconn *rc, const char *prefix, const char *claim_id,
                       const char *record_json, queue_status_cb cb, void *arg);

#endif
