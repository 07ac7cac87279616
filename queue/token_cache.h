/*
 * The in-process cache of authenticated tokens (docs/operations.md "Token
 * cache"): token hash (SHA-256 hex) → the token's record, so that an
 * authenticated request normally costs no Redis round trip.
 *
 * Only tokens Redis knew are cached (no negative entries: a token created on
 * another process works at once). Entries live at most a TTL and the cache
 * holds at most a bound of entries, dropping the least recently used.
 *
 * Revocations reach the cache through the subscriber (queue/token_sub.c),
 * which opens the cache only while its subscription is confirmed and fresh:
 * a closed cache answers every lookup with a miss and stores nothing, and
 * every opening starts empty, so a revocation published while the
 * subscriber was away can never be missed. A lookup answered by Redis is
 * stored only if no revocation, flush or closing happened since it was sent
 * (queue_token_cache_epoch), so a reply that crossed a revocation on the wire is
 * not cached.
 *
 * Pure: no I/O, no clock. Times are milliseconds of a monotonic clock the
 * caller reads (queue_token_cache_now_ms). Not thread-safe: used only on the
 * event-loop thread.
 */
#ifndef CLAIMS_TOKEN_CACHE_H
#define CLAIMS_TOKEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "queue/tokens.h"

#define TOKEN_CACHE_DEFAULT_CAPACITY 100000
#define TOKEN_CACHE_DEFAULT_TTL_MS 60000

struct token_cache;

struct queue_token_cache_stats {
    uint64_t hits;        /* lookups answered from the cache */
    uint64_t misses;      /* lookups that had to ask Redis (including while closed) */
    uint64_t revocations; /* revocation messages received (queue_token_cache_revoked) */
    size_t entries;
    bool open; /* usable right now */
};

/* Allocates an empty, closed cache of at most capacity (≥ 1) entries, each
 * kept at most ttl_ms. Returns NULL when out of memory; free with
 * queue_token_cache_free. */
struct token_cache *queue_token_cache_new(size_t capacity, int64_t ttl_ms);
/* Frees the cache and its entries; NULL is allowed. */
void queue_token_cache_free(struct token_cache *cache);

/* Empties the cache and makes it usable until fresh_until_ms (INT64_MAX:
 * until closed). Called when the revocation subscription is confirmed. */
void queue_token_cache_open(struct token_cache *cache, int64_t fresh_until_ms);
/* Moves the end of usability forward (never back) after the subscriber has
 * proven it received every revocation published before a given time. No
 * effect on a closed cache. */
void queue_token_cache_extend(struct token_cache *cache, int64_t fresh_until_ms);
/* Empties the cache and stops using it: the subscription is down. */
void queue_token_cache_close(struct token_cache *cache);

/* The current epoch: take it before asking Redis, hand it to
 * queue_token_cache_insert with the answer. */
uint64_t queue_token_cache_epoch(const struct token_cache *cache);

/* Copies the record of hash into *out and returns true when the cache is
 * open and holds an entry younger than the TTL; otherwise returns false
 * (an expired entry is dropped). Counts a hit or a miss. */
bool queue_token_cache_lookup(struct token_cache *cache, const char *hash, int64_t now_ms,
                              struct token_record *out);
/* Stores a copy of rec under hash when the cache is open and the epoch is
 * still `epoch`; otherwise does nothing. At the bound, the least recently
 * used entry goes. Returns true when stored. */
bool queue_token_cache_insert(struct token_cache *cache, const char *hash,
                              const struct token_record *rec, uint64_t epoch, int64_t now_ms);
/* Drops the entry of hash (if any) and starts a new epoch: the token was
 * revoked by this process. */
void queue_token_cache_remove(struct token_cache *cache, const char *hash);
/* Same as queue_token_cache_remove, counted as a revocation message received. */
void queue_token_cache_revoked(struct token_cache *cache, const char *hash);

/* Copies the cache's counters, its entry count and whether it is usable at
 * now_ms into *out. */
void queue_token_cache_stats(const struct token_cache *cache, int64_t now_ms,
                             struct queue_token_cache_stats *out);

/* Milliseconds of CLOCK_MONOTONIC, for the arguments above. */
int64_t queue_token_cache_now_ms(void);

#endif
