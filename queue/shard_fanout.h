/*
 * One request per claims shard (or any few requests) sent at once on the
 * event loop, answered together (issue 12, docs/operations.md "Redis
 * Cluster"): a read that spans the shards sends its N requests without
 * waiting (one pipeline, or one per master on a cluster) and gets every
 * reply in one callback, to merge. Private to queue/.
 *
 * Use: queue_shard_fanout_new, then for each request i send it with
 * queue_shard_fanout_reply as callback and queue_shard_fanout_arg(f, i) as argument
 * (queue_shard_fanout_not_sent(f, i) when it could not be sent), then
 * queue_shard_fanout_sent(f); or queue_shard_fanout_each, which does all of that with
 * one function that sends request i.
 */
#ifndef CLAIMS_QUEUE_SHARD_FANOUT_H
#define CLAIMS_QUEUE_SHARD_FANOUT_H

#include <hiredis/hiredis.h>

struct shard_fanout;

/* Called once with every request's reply, in request order: replies[i] is
 * NULL when request i was not answered (not sent, connection lost, deadline
 * passed). The replies are borrowed (freed after the call). */
typedef void (*shard_fanout_done_fn)(redisReply *const *replies, int n, void *arg);

/* A fan-out of n requests (1 .. SHARDS_MAX); NULL when out of memory. */
struct shard_fanout *queue_shard_fanout_new(int n, shard_fanout_done_fn done, void *arg);

/* The callback argument of request i. */
void *queue_shard_fanout_arg(struct shard_fanout *f, int i);

/* rconn_reply_cb of every request: keeps a copy of the reply. */
void queue_shard_fanout_reply(redisReply *reply, void *arg);

/* Request i was not sent: its reply is NULL. */
void queue_shard_fanout_not_sent(struct shard_fanout *f, int i);

/* Every request was sent or marked not sent. Returns 0, after which done is
 * called exactly once (perhaps already during this call), or -1 when no
 * request was sent: then done is not called and f is freed. */
int queue_shard_fanout_sent(struct shard_fanout *f);

/* Sends request i of f with queue_shard_fanout_reply as callback and
 * queue_shard_fanout_arg(f, i) as argument; returns 0 when sent, -1 when not. */
typedef int (*shard_fanout_send_fn)(struct shard_fanout *f, int i, void *ctx);

/* A fan-out of n requests, request i sent by send(f, i, ctx) (ctx is used
 * during this call only). Returns 0, after which done is called exactly once
 * (perhaps already during this call), or -1 when out of memory or no request
 * was sent: then done is not called. */
int queue_shard_fanout_each(int n, shard_fanout_send_fn send, void *ctx, shard_fanout_done_fn done,
                            void *arg);

#endif
