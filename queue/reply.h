/*
 * Shared handling of asynchronous Redis replies inside queue/ (private to
 * it): the wait record of a call whose caller is told only a queue_status,
 * and the callback for the commands of a transaction whose answers come with
 * its EXEC.
 */
#ifndef CLAIMS_QUEUE_REPLY_H
#define CLAIMS_QUEUE_REPLY_H

#include <hiredis/hiredis.h>
#include <stdbool.h>

#include "queue/redis_conn.h"
#include "queue/status.h"

/* What a reply means for the caller. reply is NULL when Redis did not answer
 * (rconn_reply_cb); a classifier may log, and must not keep the reply. */
typedef enum queue_status (*queue_reply_status_fn)(const redisReply *reply);

struct queue_status_wait;

/* Allocates the wait record of one status call: the classifier and the
 * caller's callback with its argument. NULL when out of memory. Pass it as
 * the argument of queue_on_status_reply; it is freed there once the command
 * was sent, and by the caller (free) only when sending failed. */
struct queue_status_wait *queue_status_wait_new(queue_reply_status_fn classify, queue_status_cb cb,
                                                void *arg);

/* rconn_reply_cb for a queue_status_wait: frees the wait, then calls the
 * caller's callback once with the classifier's status. */
void queue_on_status_reply(redisReply *reply, void *wait);

/* Whether key exists (EXISTS): QUEUE_OK, QUEUE_NOT_FOUND, or
 * QUEUE_UNAVAILABLE when Redis did not answer an integer. key is copied.
 * Returns 0 when sent (cb is called once), -1 when not (cb is not called). */
int queue_key_exists(struct rconn *rc, const char *key, queue_status_cb cb, void *arg);

/* rconn_reply_cb that ignores its reply: for MULTI and the commands queued
 * after it, whose answers come with EXEC. arg is not used (pass NULL). */
void queue_ignore_reply(redisReply *reply, void *arg);

/* The value of field `name` in a {field, value, ...} array reply (HGETALL, a
 * stream entry's fields), or NULL when the reply is no array or has no such
 * string field. */
const char *queue_reply_field(const redisReply *pairs, const char *name);

/* The status of a script's answer "ok" (QUEUE_OK), a record's status when
 * it is not in the state the call needs (QUEUE_CONFLICT) or "" when the
 * record is gone (QUEUE_NOT_FOUND); otherwise QUEUE_UNAVAILABLE, a Redis
 * error logged as "<what> failed: <error>". */
enum queue_status queue_ok_or_state(const redisReply *reply, const char *what);

/* A sorted-set score as Redis answers it (text of an integer from 0 to 2^53,
 * as every index score claimsd writes) into *out; false when reply is NULL,
 * no string, or not such a number (inf, nan, negative, too large). */
bool queue_reply_score(const redisReply *reply, long long *out);

/* Points *fields[j] at the text of replies[j] for j < n, NULL where that
 * reply is no string; a NULL fields[j] is skipped. */
void queue_reply_strings(const redisReply *const *replies, size_t n, const char **const *fields);

#endif
