#include "audit.h"

#include <stdio.h>
#include <stdlib.h>

#include "queue/keys.h"
#include "queue/scripts.h"

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

struct audit_wait {
    queue_status_cb cb;
    void *arg;
};

/* script_audit answers 1 once the record is in the stream. */
static void on_audit(redisReply *reply, void *arg)
{
    struct audit_wait w = *(struct audit_wait *)arg;
    free(arg);
    w.cb(reply && reply->type == REDIS_REPLY_INTEGER ? QUEUE_OK : QUEUE_UNAVAILABLE, w.arg);
}

int queue_audit_append(struct rconn *rc, const char *prefix, const char *claim_id,
                       const char *record_json, queue_status_cb cb, void *arg)
{
    struct audit_wait *w = malloc(sizeof *w);
    if (!w)
        return -1;
    w->cb = cb;
    w->arg = arg;
    char stream[KEY_LEN], list[KEY_LEN];
    snprintf(stream, sizeof stream, KEYF_AUDIT, prefix);
    /* Without a claim the list key is the stream again (script_audit does
     * not touch it then), so that the script's keys stay on one slot. */
    if (claim_id)
        snprintf(list, sizeof list, KEYF_CLAIM_AUDIT, prefix, claim_id);
    else
        snprintf(list, sizeof list, "%s", stream);
    const char *keys[] = {stream, list};
    const char *args[] = {record_json, claim_id ? "1" : "0", claim_id ? claim_id : ""};
    if (script_eval_async(rc, &script_audit, on_audit, w, 2, keys,
                          (int)(sizeof args / sizeof *args), args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}
