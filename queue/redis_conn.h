/*
 * Connections to Redis.
 *
 * The event loop talks to Redis only through struct rconn: an asynchronous
 * hiredis context attached to libevent that reconnects by itself and gives
 * every command a deadline. hiredis 0.14 has no timeouts for asynchronous
 * commands, so each command carries a libevent timer; when it fires the
 * caller is answered with NULL and the connection is dropped and remade
 * (a stuck connection would otherwise hold every later command too).
 *
 * Worker threads and command-line tools use plain blocking contexts
 * (queue_redis_connect_blocking) with socket timeouts.
 */
#ifndef CLAIMS_REDIS_CONN_H
#define CLAIMS_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

struct event;
struct event_base;
struct redisAsyncContext;

#define REDIS_ADDR_LEN 1024
#define REDIS_MAX_SEEDS 16

/* A Redis Cluster node, "host:port" (queue/cluster.h). */
struct cluster_endpoint {
    char host[256];
    int port;
};

/* One Redis (a TCP address or a unix socket), or a Redis Cluster given by
 * its seed nodes (is_cluster: every command is routed, queue/cluster.h). */
struct redis_address {
    bool is_unix;
    char host[256];
    int port;
    char path[REDIS_ADDR_LEN]; /* unix socket */
    int db;
    bool is_cluster;
    int n_seeds;
    struct cluster_endpoint seeds[REDIS_MAX_SEEDS];
    /* Durability across a master's loss (config replica_acks): the writes
     * sent with queue_rconn_command_argv_acked and those between queue_rlink_writes_begin
     * and queue_rlink_writes_wait are followed by WAIT replica_acks
     * replica_acks_timeout_ms on their own connection. 0: no WAIT. Not set
     * by the parsers (0). */
    int replica_acks;
    int replica_acks_timeout_ms;
};

/* Parses "redis://host:port[/db]", "unix:/path/to.sock" or "unix:///path".
 * Returns 0 or -1. */
int queue_redis_address_parse(const char *url, struct redis_address *out);
/* A cluster's seed nodes, "host:port[,host:port...]" (at most
 * REDIS_MAX_SEEDS), into out (is_cluster). Returns 0 or -1. */
int queue_redis_cluster_address_parse(const char *seeds, struct redis_address *out);
/* "unix:/path", "redis://host:port/db" or "cluster host:port,..."; for logs
 * (no secrets in the URL form we accept). */
void queue_redis_address_format(const struct redis_address *addr, char *buf, size_t size);

/* A blocking connection with connect and command timeouts, SELECTing the db.
 * Returns NULL (and logs why) on failure; close with queue_redis_close_blocking. */
redisContext *queue_redis_connect_blocking(const struct redis_address *addr, int timeout_ms);

/* Closes a connection of queue_redis_connect_blocking (NULL is fine). */
void queue_redis_close_blocking(redisContext *c);

/* Starts an asynchronous connect to addr (its unix path, or host and port)
 * attached to base, the context carrying data and the two callbacks; NULL,
 * with "<who>: connect failed: <why>" logged, when it cannot start. For the
 * reconnecting connections of queue/ (struct rconn, queue/token_sub.h). */
struct redisAsyncContext *
queue_redis_connect_async(struct event_base *base, const struct redis_address *addr, void *data,
                          void (*on_connect)(const struct redisAsyncContext *, int),
                          void (*on_disconnect)(const struct redisAsyncContext *, int),
                          const char *who);

/* Arms retry_ev for *backoff_ms, then doubles *backoff_ms up to 2 s: the
 * wait before an asynchronous connection's next try (0.1 s doubling to 2 s;
 * the caller sets 100 again once connected). */
void queue_redis_backoff_arm(struct event *retry_ev, int *backoff_ms);

/* Whether Redis at addr answers PONG within timeout_ms on a fresh blocking
 * connection (a Redis still loading its AOF answers an error: false). */
bool queue_redis_ping_blocking(const struct redis_address *addr, int timeout_ms);

/* ---- replica acknowledgements (WAIT) ---- */

/* Where a short count was met: the event loop's acked writes (the intake
 * step) or a blocking link's (a worker's commits). */
enum redis_acks_site { REDIS_ACKS_INTAKE, REDIS_ACKS_COMMIT, REDIS_ACKS_SITES };

/* Writes that fewer than replica_acks replicas acknowledged within the
 * timeout, since start, in this process (for /metrics). Thread-safe. */
unsigned long long queue_redis_acks_short_total(enum redis_acks_site site);
/* Counts one short count at site (queue/ only). Thread-safe. */
void queue_redis_acks_short_count(enum redis_acks_site site);

/* ---- asynchronous, on the event loop ---- */

struct rconn;

/* Called exactly once per accepted command: with the reply, or with NULL when
 * the connection failed or the deadline passed. The reply belongs to hiredis
 * and is valid only during the call. */
typedef void (*rconn_reply_cb)(redisReply *reply, void *arg);
/* Called each time the connection comes up (after SELECT), e.g. to load scripts. */
typedef void (*rconn_ready_cb)(struct rconn *rc, void *arg);

/* Allocates a connection and starts connecting; free with queue_rconn_free. */
struct rconn *queue_rconn_new(struct event_base *base, const struct redis_address *addr,
                              int timeout_ms);
/* Sets the callback called (with arg) each time rc comes up, replacing any
 * earlier one. */
void queue_rconn_set_ready_cb(struct rconn *rc, rconn_ready_cb cb, void *arg);
/* Whether rc can send now: connected, or on a cluster, holding a slot map. */
bool queue_rconn_is_connected(const struct rconn *rc);
/* Whether rc routes over a Redis Cluster (then a script may touch only its
 * declared keys, all of one slot). */
bool queue_rconn_is_cluster(const struct rconn *rc);
/* Cluster mode: the master of slot now (queue/cluster.h). Returns 0, or -1
 * (not a cluster, or no master known). */
int queue_rconn_master_of_slot(const struct rconn *rc, int slot, struct cluster_endpoint *out);

/* Sends a command. Returns 0 when it was sent (cb will be called once), or
 * -1 when there is no connection right now (cb is not called). */
int queue_rconn_command(struct rconn *rc, rconn_reply_cb cb, void *arg, const char *fmt, ...);
/* As queue_rconn_command, with the arguments as argv (argvlen NULL: strlen of
 * each): 0 when sent (cb will be called once), -1 when not (cb is not
 * called). */
int queue_rconn_command_argv(struct rconn *rc, rconn_reply_cb cb, void *arg, int argc,
                             const char **argv, const size_t *argvlen);

/* As queue_rconn_command_argv, for a write that must reach replicas: with the
 * address's replica_acks > 0, a reply that is no error is held, WAIT
 * replica_acks replica_acks_timeout_ms is sent on the connection the write
 * ran on (on a cluster: to the master that answered it), and cb gets the
 * held reply once that many replicas acknowledged; fewer: cb gets an error
 * reply for which queue_rconn_reply_acks_short is true (the write stays on the
 * master, unconfirmed; logged once, counted as REDIS_ACKS_INTAKE); no answer
 * to WAIT: NULL. With replica_acks 0, queue_rconn_command_argv. */
int queue_rconn_command_argv_acked(struct rconn *rc, rconn_reply_cb cb, void *arg, int argc,
                                   const char **argv, const size_t *argvlen);

/* Whether reply is queue_rconn_command_argv_acked's "too few replicas" answer. */
bool queue_rconn_reply_acks_short(const redisReply *reply);

/* Closes the connection; pending commands are answered with NULL. */
void queue_rconn_free(struct rconn *rc);

#endif
