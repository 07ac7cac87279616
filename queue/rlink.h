/*
 * A blocking connection to Redis for worker threads, start-up steps and
 * command-line tools: one Redis (a plain hiredis context), or a Redis
 * Cluster (issue 12) through queue/cluster_sync.h, with the calls of
 * hiredis's blocking API (command, append, get reply) so that callers pipeline
 * as they do on one Redis:
 * - each command goes to the master of its keys' slot (keyless ones to slot
 *   0's); replies come back in the order the commands were appended, whichever
 *   master answers them;
 * - a command refused by redirect, TRYAGAIN or CLUSTERDOWN (it ran nothing)
 *   is sent again through the router (redirects followed, bounded backoff);
 * - MULTI ... EXEC runs as one script per slot (queue/cluster_tx.h);
 * - a connection that fails makes the link broken (queue_rlink_broken): replies
 *   still due on it are lost, and the caller connects again.
 * Not shared between threads.
 */
#ifndef CLAIMS_RLINK_H
#define CLAIMS_RLINK_H

#include <hiredis/hiredis.h>
#include <stdbool.h>

#include "queue/redis_conn.h"

struct rlink;

/* Connects (one Redis: SELECTs its db; a cluster: reads the slot map from
 * the first seed that answers). NULL when it cannot (logged at debug level
 * for one Redis, as queue_redis_connect_blocking). Close with queue_rlink_close. */
struct rlink *queue_rlink_connect(const struct redis_address *addr, int timeout_ms);

/* A link over a context the caller keeps (queue_rlink_close leaves it open). NULL
 * when out of memory. */
struct rlink *queue_rlink_wrap(redisContext *c);

/* Closes the link (NULL is fine). */
void queue_rlink_close(struct rlink *l);

/* Whether a connection of the link failed: connect again. */
bool queue_rlink_broken(const struct rlink *l);

/* The socket timeout of every command from now on. */
void queue_rlink_set_timeout(struct rlink *l, int ms);

/* As redisCommand: the next reply (the caller frees it), NULL when the link
 * failed. */
redisReply *queue_rlink_command(struct rlink *l, const char *fmt, ...);
/* As redisCommandArgv: the next reply (the caller frees it), NULL when the
 * link failed. */
redisReply *queue_rlink_command_argv(struct rlink *l, int argc, const char **argv,
                                     const size_t *argvlen);

/* As redisAppendCommand; the reply is read with queue_rlink_get_reply. */
void queue_rlink_append(struct rlink *l, const char *fmt, ...);
/* As redisAppendCommandArgv, with argvlen NULL meaning strlen of each
 * argument; the reply is read with queue_rlink_get_reply. */
void queue_rlink_append_argv(struct rlink *l, int argc, const char **argv, const size_t *argvlen);

/* As redisGetReply: REDIS_OK with *out (the caller frees it), or REDIS_ERR
 * (then *out is NULL). */
int queue_rlink_get_reply(struct rlink *l, redisReply **out);

/* Whether the link is to a cluster. */
bool queue_rlink_is_cluster(const struct rlink *l);

/* The masters of a cluster's slot map (1 for one Redis). */
int queue_rlink_masters(struct rlink *l);

/* A command on master m (0 .. queue_rlink_masters - 1) of a cluster, for what runs
 * on every node (SCAN); on one Redis, on it. The caller frees the reply;
 * NULL when it failed. */
redisReply *queue_rlink_command_on_master(struct rlink *l, int m, int argc, const char **argv,
                                          const size_t *argvlen);

/* Starts a group of writes that must reach replicas (the address's
 * replica_acks, queue/redis_conn.h): the connections that carry commands
 * from now on are the ones queue_rlink_writes_wait waits on. */
void queue_rlink_writes_begin(struct rlink *l);

/* After the replies of the writes since queue_rlink_writes_begin are read: WAIT
 * replica_acks replica_acks_timeout_ms on each connection they used (one
 * Redis: its connection; a cluster: each master written to). Returns 0 when
 * every WAIT counted replica_acks replicas or more (or replica_acks is 0:
 * nothing sent); 1 when one counted fewer (one log line per such master,
 * naming it and `what`, e.g. "3 commits"; counted once as
 * REDIS_ACKS_COMMIT): the writes stand on the master only; -1 when a WAIT
 * got no answer (the link is then broken). */
int queue_rlink_writes_wait(struct rlink *l, const char *what);

/* SCRIPT LOAD body, on every master of a cluster. Returns 0 or -1. */
int queue_rlink_script_load(struct rlink *l, const char *body);

#endif
