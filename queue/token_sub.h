/*
 * The token cache's revocation subscriber (docs/operations.md "Token cache").
 *
 * One dedicated asynchronous connection per process with an HTTP listener,
 * SUBSCRIBEd to the channel on which every revocation publishes the revoked
 * token's hash (queue_tokens_revoke_async, queue_tokens_register_bootstrap), and to a
 * heartbeat channel of its own. It drives the cache:
 * - subscription confirmed: the cache is emptied and opened;
 * - a revocation message: that entry goes;
 * - connection lost, connect or subscribe failing: the cache is closed (every
 *   request asks Redis) until the next confirmed subscription, which empties
 *   it again, so a revocation published meanwhile is never missed.
 * Every HEARTBEAT_MS the process PUBLISHes a heartbeat to its own channel
 * through the app's command connection. Messages reach a subscriber in the
 * order Redis ran the PUBLISHes, so a heartbeat received proves that every
 * revocation published before it was sent has been applied; the cache is
 * used only while such a proof is younger than TOKEN_SUB_LEASE_MS (1 s).
 * That bounds a revocation's delay at 1 s even over a connection that died
 * without a word; one silent for longer than TOKEN_SUB_DEAD_MS is remade.
 *
 * Runs on the event loop; not thread-safe.
 */
#ifndef CLAIMS_TOKEN_SUB_H
#define CLAIMS_TOKEN_SUB_H

#include "queue/redis_conn.h"
#include "queue/token_cache.h"

#define TOKEN_SUB_HEARTBEAT_MS 250
#define TOKEN_SUB_LEASE_MS 1000
#define TOKEN_SUB_DEAD_MS 3000

struct event_base;
struct token_sub;

/* Allocates the subscriber and starts connecting to addr; heartbeats go out
 * through publisher. cache, publisher and base must outlive it. Returns NULL
 * when out of memory; stop and free with queue_token_sub_free. */
struct token_sub *queue_token_sub_start(struct event_base *base, const struct redis_address *addr,
                                        int timeout_ms, struct rconn *publisher, const char *prefix,
                                        struct token_cache *cache);
/* Closes the connection, closes the cache and frees the subscriber; NULL is
 * allowed. Heartbeats still in flight on the publisher are answered to a
 * callback that does not touch the subscriber. */
void queue_token_sub_free(struct token_sub *ts);

#endif
