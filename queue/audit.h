/* The audit record (DESIGN.md "Security"): who, what, when, from where. */
#ifndef CLAIMS_AUDIT_H
#define CLAIMS_AUDIT_H

#include <json-c/json.h>

/* {"at", "token_id", "role", "action", "request_id", "from"}; allocates (the
 * caller puts it). `at` is RFC 3339; empty strings where a field does not
 * apply (a worker has no token or request). */
struct json_object *audit_record_new(const char *at, const char *token_id, const char *role,
                                     const char *action, const char *request_id,
                                     const char *from);

#endif
