/*
 * Redis Cluster routing for blocking connections (worker threads, command
 * line tools): the same rules as queue/cluster.h (slots, the map from
 * CLUSTER SLOTS, MOVED, ASK, TRYAGAIN and CLUSTERDOWN with bounded backoff),
 * with one blocking connection per master, made when first needed. Not
 * shared between threads: each worker has its own.
 */
#ifndef CLAIMS_CLUSTER_SYNC_H
#define CLAIMS_CLUSTER_SYNC_H

#include <hiredis/hiredis.h>

#include "queue/cluster.h"

struct cluster_sync;

/* Connects to the first seed that answers and reads the slot map. Returns
 * NULL (logged) when no seed gave one; free with queue_cluster_sync_free. opt NULL:
 * queue_cluster_options_default. */
struct cluster_sync *queue_cluster_sync_connect(const struct cluster_endpoint *seeds, int n_seeds,
                                                const struct cluster_options *opt);

/* Reads the slot map again. Returns 0, or -1 when no node gave one (the old
 * map stays). */
int queue_cluster_sync_refresh(struct cluster_sync *cs);

/* Runs a command on the master of slot, following redirects and waiting out
 * TRYAGAIN and CLUSTERDOWN. Returns the reply (the caller frees it with
 * freeReplyObject), or NULL when it gave up (logged) or the connection
 * failed after the command was sent (not resent: it may have run). */
redisReply *queue_cluster_sync_command_argv(struct cluster_sync *cs, int slot, int argc,
                                            const char **argv, const size_t *argvlen);

/* The connection to the master of slot, connecting if needed, for a caller
 * that pipelines several commands of that one slot (then a MOVED reply among
 * them means: queue_cluster_sync_refresh and send the batch again). NULL when the
 * slot has no master or it cannot be reached. Owned by cs; a caller that
 * sees an error on it calls queue_cluster_sync_drop. */
redisContext *queue_cluster_sync_node(struct cluster_sync *cs, int slot);

/* Closes a connection that failed (it is made again when next needed). */
void queue_cluster_sync_drop(struct cluster_sync *cs, redisContext *c);

/* The socket timeout of every command from now on (connections made later
 * too); the connect timeout stays the options' timeout_ms. */
void queue_cluster_sync_set_timeout(struct cluster_sync *cs, int ms);

/* Forgets which connections carried commands (queue_cluster_sync_used). */
void queue_cluster_sync_used_clear(struct cluster_sync *cs);

/* The open connections that carried a command (sent here, or handed out by
 * queue_cluster_sync_node) since queue_cluster_sync_used_clear, at most max, into out[]
 * with their nodes into eps[]. Returns how many. */
int queue_cluster_sync_used(struct cluster_sync *cs, redisContext **out,
                            struct cluster_endpoint *eps, int max);

/* Copies the current slot map into out. */
void queue_cluster_sync_get_map(const struct cluster_sync *cs, struct cluster_slot_map *out);

/* Closes every connection and frees cs; NULL is a no-op. */
void queue_cluster_sync_free(struct cluster_sync *cs);

#endif
