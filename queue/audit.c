#include "audit.h"

struct json_object *audit_record_new(const char *at, const char *token_id, const char *role,
                                     const char *action, const char *request_id, const char *from)
{
    struct json_object *rec = json_object_new_object();
    json_object_object_add(rec, "at", json_object_new_string(at));
    json_object_object_add(rec, "token_id", json_object_new_string(token_id));
    json_object_object_add(rec, "role", json_object_new_string(role));
    json_object_object_add(rec, "action", json_object_new_string(action));
    json_object_object_add(rec, "request_id", json_object_new_string(request_id));
    json_object_object_add(rec, "from", json_object_new_string(from));
    return rec;
}
