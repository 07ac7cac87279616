#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/keys.h"
#include "queue/shards.h"
#include "queue/scripts.h"

void queue_audit_record_write(struct strbuf *sb, const char *at, const char *token_id,
                              const char *role, const char *action, const char *request_id,
                              const char *client_request_id, const char *from)
{
    static const char *const keys[] = {"at",         "token_id",          "role", "action",
                                       "request_id", "client_request_id", "from"};
    const char *values[] = {at, token_id, role, action, request_id, client_request_id, from};
    strbuf_append_char(sb, '{');
    for (int i = 0; i < 7; i++) {
        if (i == 5 && !(client_request_id && client_request_id[0]))
            continue; /* only when the client sent one */
        if (i > 0)
            strbuf_append_char(sb, ',');
        strbuf_append_json_string(sb, keys[i], strlen(keys[i]));
        strbuf_append_char(sb, ':');
        strbuf_append_json_string(sb, values[i], strlen(values[i]));
    }
    strbuf_append_char(sb, '}');
}

struct json_object *queue_audit_record_new(const char *at, const char *token_id, const char *role,
                                           const char *action, const char *request_id,
                                           const char *client_request_id, const char *from)
{
    struct strbuf sb;
    strbuf_init(&sb);
    queue_audit_record_write(&sb, at, token_id, role, action, request_id, client_request_id, from);
    struct json_object *rec = strbuf_failed(&sb) ? NULL : json_tokener_parse(sb.buf);
    strbuf_free(&sb);
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
    /* A claim's record on the claim's shard (its stream and its list);
     * a record about no claim (tokens, enrollment, searches) on shard 0. */
    char sp[SHARD_PREFIX_LEN], stream[KEY_LEN], list[KEY_LEN];
    snprintf(sp, sizeof sp, "%s",
             SHARD_PREFIX(prefix, claim_id ? queue_shard_of_claim(claim_id) : 0));
    snprintf(stream, sizeof stream, KEYF_AUDIT, sp);
    /* Without a claim the list key is the stream again (script_audit does
     * not touch it then), so that the script's keys stay on one slot. */
    if (claim_id)
        snprintf(list, sizeof list, KEYF_CLAIM_AUDIT, sp, claim_id);
    else
        snprintf(list, sizeof list, "%s", stream);
    const char *keys[] = {stream, list};
    const char *args[] = {record_json, claim_id ? "1" : "0", claim_id ? claim_id : ""};
    if (queue_script_eval_async(rc, &script_audit, on_audit, w, 2, keys,
                                (int)(sizeof args / sizeof *args), args, NULL) != 0) {
        free(w);
        return -1;
    }
    return 0;
}
