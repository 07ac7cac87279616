/*
 * Redis Cluster routing (issue 12; docs/operations.md "Redis Cluster").
 *
 * Debian's hiredis 0.14 has no cluster support, so queue/ routes by itself,
 * following the Redis Cluster specification:
 * - a key's hash slot is CRC16 (XMODEM) of the key, or of its hash tag (the
 *   text between the first '{' and the first '}' after it, when that text is
 *   not empty), modulo 16384;
 * - the slot map (which master serves which slots) comes from CLUSTER SLOTS
 *   at start, and again after any MOVED;
 * - "-MOVED slot host:port": the slot now lives there; the map is updated,
 *   a full refresh requested, and the command resent there;
 * - "-ASK slot host:port": only this command goes there, once, preceded by
 *   ASKING on the same connection; the map is not changed;
 * - "-TRYAGAIN" (a multi-key command during a slot migration) and
 *   "-CLUSTERDOWN" (a slot has no master, e.g. during a failover) are
 *   retried after a bounded, doubling backoff; then the caller is answered
 *   with NULL (the intake turns that into 503) and one log line says which
 *   slot and why.
 * One asynchronous connection (struct rconn) per master.
 *
 * A command that was sent and whose connection then failed (or whose
 * deadline passed) is answered with NULL, never resent: it may have run.
 * Only commands that were not sent, or that a node refused by redirect or
 * TRYAGAIN/CLUSTERDOWN (which run nothing), are sent again.
 */
#ifndef CLAIMS_CLUSTER_H
#define CLAIMS_CLUSTER_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redis_conn.h"

#define CLUSTER_SLOTS 16384
/* Masters the slot map can hold; a bigger cluster is refused by
 * queue_cluster_slot_map_parse (and logged), not truncated. */
#define CLUSTER_MAX_MASTERS 64
#define CLUSTER_HOST_LEN 256 /* struct cluster_endpoint's host (queue/redis_conn.h) */

/* CRC16 of the Redis Cluster specification (XMODEM: polynomial 0x1021,
 * initial 0, no reflection, no final xor): "123456789" gives 0x31C3. */
uint16_t queue_cluster_crc16(const void *buf, size_t len);

/* The hash slot of a key (0..16383), hash tags included. */
int queue_cluster_key_slot(const char *key, size_t len);

/* "host:port" (the last ':' splits, so an IPv6 host works); an empty host
 * means default_host (Redis 7 sends ":port" for a node whose endpoint is
 * unknown: "the same endpoint as the current request"). Returns 0 or -1. */
int queue_cluster_endpoint_parse(const char *text, size_t len, const char *default_host,
                                 struct cluster_endpoint *out);

struct cluster_slot_map {
    int n_masters;
    struct cluster_endpoint masters[CLUSTER_MAX_MASTERS];
    int8_t owner[CLUSTER_SLOTS]; /* index into masters, -1: no master */
};

/* Fills map from a CLUSTER SLOTS reply: [[start, end, [host, port, id, ...],
 * replica...], ...]. Only masters (the first node of each range) are kept.
 * An empty host is answered_by (see queue_cluster_endpoint_parse). Returns 0, or
 * -1 when the reply is not that shape (map is then all -1). */
int queue_cluster_slot_map_parse(const redisReply *reply, const char *answered_by,
                                 struct cluster_slot_map *map);

enum cluster_reply_kind {
    CLUSTER_REPLY_PLAIN, /* anything else: the command's own answer */
    CLUSTER_REPLY_MOVED,
    CLUSTER_REPLY_ASK,
    CLUSTER_REPLY_TRYAGAIN,
    CLUSTER_REPLY_CLUSTERDOWN,
};

struct cluster_redirect {
    int slot;
    struct cluster_endpoint to;
};

/* What a reply asks of the router. For MOVED and ASK, *out gets the slot and
 * the node (a malformed MOVED/ASK is PLAIN: the caller sees the error). */
enum cluster_reply_kind queue_cluster_reply_classify(const redisReply *reply,
                                                     const char *answered_by,
                                                     struct cluster_redirect *out);

/* What queue_cluster_command_slot found besides a slot. */
#define CLUSTER_SLOT_NO_KEY (-1)    /* keyless (PING, SCRIPT LOAD, WAIT, PUBLISH...): any node */
#define CLUSTER_SLOT_CROSSSLOT (-2) /* keys of different slots: no node can run it */
#define CLUSTER_SLOT_MALFORMED (-3) /* e.g. EVALSHA whose key count is not a number or too big */

/* The slot a command's keys hash to, so that callers written for one Redis
 * (script calls with their KEYS, XREADGROUP ... STREAMS, XGROUP CREATE) can
 * be routed without naming a key: EVAL, EVALSHA (and their _RO forms) and
 * FCALL: the numkeys keys; XREAD, XREADGROUP: the streams after STREAMS;
 * XGROUP, XINFO, OBJECT, MEMORY: the key after the subcommand; DEL, EXISTS,
 * UNLINK, MGET, TOUCH, WATCH: every argument; the keyless commands above;
 * any other command: its first argument. Every key must hash to one slot. */
int queue_cluster_command_slot(int argc, const char *const *argv, const size_t *argvlen);

/* ---- the router, on the event loop ---- */

struct event_base;
struct cluster;

struct cluster_options {
    int timeout_ms; /* each connection's connect and command deadline */
    int max_tries;  /* waits (TRYAGAIN, CLUSTERDOWN, no master, not connected) before giving up */
    int backoff_first_ms; /* first wait; each later one doubles... */
    int backoff_max_ms;   /* ...up to this */
    int max_redirects;    /* MOVED + ASK hops of one command */
    int replica_acks;     /* WAIT after an acked command (struct redis_address); 0: none */
    int replica_acks_timeout_ms;
};

/* The defaults: 2 s deadline, 10 waits from 10 ms doubling to 500 ms (about
 * 2.5 s in all, longer than a replica's promotion after CLUSTER FAILOVER),
 * 16 redirects, no replica acknowledgements. */
void queue_cluster_options_default(struct cluster_options *opt);

/* Allocates the router and connects to the seed nodes; the slot map is read
 * from the first that answers. Free with queue_cluster_free. */
struct cluster *queue_cluster_new(struct event_base *base, const struct cluster_endpoint *seeds,
                                  int n_seeds, const struct cluster_options *opt);

/* Called each time a connection to a node comes up (e.g. to load scripts). */
void queue_cluster_set_ready_cb(struct cluster *cl, rconn_ready_cb cb, void *arg);

/* Whether a slot map has been read. */
bool queue_cluster_has_map(const struct cluster *cl);

/* A copy of the current slot map (all -1 before one is read). */
void queue_cluster_get_map(const struct cluster *cl, struct cluster_slot_map *out);

/* The master of slot in the current map into *out. Returns 0, or -1 when
 * no master serves it (or no map was read yet). */
int queue_cluster_master_of_slot(const struct cluster *cl, int slot, struct cluster_endpoint *out);

/* The nodes the router holds a connection (or a reconnecting one) to: the
 * seeds and the masters of the map, plus nodes a redirect named. */
int queue_cluster_connections(const struct cluster *cl);

/* Sends a command to the master of slot, following redirects. The argv is
 * copied. Returns 0 (cb is then called exactly once: the reply, or NULL on
 * failure or when queue_cluster_free runs) or -1 when out of memory (cb not called). */
int queue_cluster_command_argv(struct cluster *cl, int slot, rconn_reply_cb cb, void *arg, int argc,
                               const char **argv, const size_t *argvlen);

/* As queue_cluster_command_argv, for a write that must reach replicas: sent with
 * queue_rconn_command_argv_acked on the connection of the master that runs it, so
 * that WAIT follows it there (queue/redis_conn.h). */
int queue_cluster_command_argv_acked(struct cluster *cl, int slot, rconn_reply_cb cb, void *arg,
                                     int argc, const char **argv, const size_t *argvlen);

/* Closes every connection; commands in flight are answered with NULL. */
void queue_cluster_free(struct cluster *cl);

#endif
