#include "token_cache.h"

#include "date.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HASH_HEX_DIGITS (TOKEN_HASH_HEX_LEN - 1)

/* One cached token: in its bucket's chain and in the recency list (most
 * recently used at the head). */
struct entry {
    char hash[TOKEN_HASH_HEX_LEN];
    struct token_record rec;
    int64_t expires_ms;
    struct entry *chain;
    struct entry *newer, *older;
};

struct token_cache {
    size_t capacity;
    int64_t ttl_ms;
    struct entry **buckets;
    size_t mask; /* buckets - 1, a power of two minus one */
    struct entry *newest, *oldest;
    size_t count;
    bool open;
    int64_t fresh_until_ms;
    uint64_t epoch;
    uint64_t hits, misses, revocations;
};

/* A SHA-256 is uniformly spread: its first 16 hex digits make the bucket
 * index. Returns false for text that is not 64 lower-case hex digits. */
static bool hash_index(const char *hash, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < HASH_HEX_DIGITS; i++) {
        char c = hash[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return false;
        if (i < 16)
            v = v << 4 | d;
    }
    if (hash[HASH_HEX_DIGITS] != '\0')
        return false;
    *out = v;
    return true;
}

struct token_cache *queue_token_cache_new(size_t capacity, int64_t ttl_ms)
{
    if (capacity == 0)
        return NULL;
    struct token_cache *cache = calloc(1, sizeof *cache);
    if (!cache)
        return NULL;
    size_t n = 1;
    while (n < capacity && n < ((size_t)1 << 30))
        n <<= 1;
    cache->buckets = calloc(n, sizeof *cache->buckets);
    if (!cache->buckets) {
        free(cache);
        return NULL;
    }
    cache->mask = n - 1;
    cache->capacity = capacity;
    cache->ttl_ms = ttl_ms;
    return cache;
}

/* Unlinks e from its chain and the recency list and frees it. */
static void entry_drop(struct token_cache *cache, struct entry *e)
{
    uint64_t idx = 0;
    hash_index(e->hash, &idx);
    struct entry **p = &cache->buckets[idx & cache->mask];
    while (*p != e)
        p = &(*p)->chain;
    *p = e->chain;
    if (e->newer)
        e->newer->older = e->older;
    else
        cache->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        cache->oldest = e->newer;
    cache->count--;
    free(e);
}

/* Drops every entry and starts a new epoch. */
static void flush(struct token_cache *cache)
{
    struct entry *e = cache->newest;
    while (e) {
        struct entry *next = e->older;
        free(e);
        e = next;
    }
    memset(cache->buckets, 0, (cache->mask + 1) * sizeof *cache->buckets);
    cache->newest = cache->oldest = NULL;
    cache->count = 0;
    cache->epoch++;
}

void queue_token_cache_free(struct token_cache *cache)
{
    if (!cache)
        return;
    flush(cache);
    free(cache->buckets);
    free(cache);
}

void queue_token_cache_open(struct token_cache *cache, int64_t fresh_until_ms)
{
    flush(cache);
    cache->open = true;
    cache->fresh_until_ms = fresh_until_ms;
}

void queue_token_cache_extend(struct token_cache *cache, int64_t fresh_until_ms)
{
    if (cache->open && fresh_until_ms > cache->fresh_until_ms)
        cache->fresh_until_ms = fresh_until_ms;
}

void queue_token_cache_close(struct token_cache *cache)
{
    flush(cache);
    cache->open = false;
}

uint64_t queue_token_cache_epoch(const struct token_cache *cache)
{
    return cache->epoch;
}

/* Open, and the last proof of hearing every revocation is fresh enough. */
static bool usable(const struct token_cache *cache, int64_t now_ms)
{
    return cache->open && now_ms < cache->fresh_until_ms;
}

/* The entry of hash, expired or not; NULL when absent or hash is malformed. */
static struct entry *find(const struct token_cache *cache, const char *hash)
{
    uint64_t idx;
    if (!hash_index(hash, &idx))
        return NULL;
    for (struct entry *e = cache->buckets[idx & cache->mask]; e; e = e->chain)
        if (memcmp(e->hash, hash, HASH_HEX_DIGITS) == 0)
            return e;
    return NULL;
}

/* Moves e to the head of the recency list. */
static void touch(struct token_cache *cache, struct entry *e)
{
    if (cache->newest == e)
        return;
    /* e has a newer neighbour, since it is not the newest. */
    e->newer->older = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        cache->oldest = e->newer;
    e->newer = NULL;
    e->older = cache->newest;
    cache->newest->newer = e;
    cache->newest = e;
}

bool queue_token_cache_lookup(struct token_cache *cache, const char *hash, int64_t now_ms,
                              struct token_record *out)
{
    struct entry *e = usable(cache, now_ms) ? find(cache, hash) : NULL;
    if (e && now_ms >= e->expires_ms) {
        entry_drop(cache, e);
        e = NULL;
    }
    if (!e) {
        cache->misses++;
        return false;
    }
    touch(cache, e);
    *out = e->rec;
    cache->hits++;
    return true;
}

bool queue_token_cache_insert(struct token_cache *cache, const char *hash,
                              const struct token_record *rec, uint64_t epoch, int64_t now_ms)
{
    uint64_t idx;
    if (!usable(cache, now_ms) || epoch != cache->epoch || !hash_index(hash, &idx))
        return false;
    struct entry *e = find(cache, hash);
    if (e) {
        e->rec = *rec;
        e->expires_ms = now_ms + cache->ttl_ms;
        touch(cache, e);
        return true;
    }
    if (cache->count >= cache->capacity)
        entry_drop(cache, cache->oldest);
    e = calloc(1, sizeof *e);
    if (!e)
        return false;
    memcpy(e->hash, hash, TOKEN_HASH_HEX_LEN);
    e->rec = *rec;
    e->expires_ms = now_ms + cache->ttl_ms;
    struct entry **bucket = &cache->buckets[idx & cache->mask];
    e->chain = *bucket;
    *bucket = e;
    e->older = cache->newest;
    if (cache->newest)
        cache->newest->newer = e;
    else
        cache->oldest = e;
    cache->newest = e;
    cache->count++;
    return true;
}

void queue_token_cache_remove(struct token_cache *cache, const char *hash)
{
    struct entry *e = find(cache, hash);
    if (e)
        entry_drop(cache, e);
    cache->epoch++;
}

void queue_token_cache_revoked(struct token_cache *cache, const char *hash)
{
    cache->revocations++;
    queue_token_cache_remove(cache, hash);
}

void queue_token_cache_stats(const struct token_cache *cache, int64_t now_ms,
                             struct queue_token_cache_stats *out)
{
    out->hits = cache->hits;
    out->misses = cache->misses;
    out->revocations = cache->revocations;
    out->entries = cache->count;
    out->open = usable(cache, now_ms);
}

int64_t queue_token_cache_now_ms(void)
{
    return clock_monotonic_ms();
}
