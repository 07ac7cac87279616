/*
 * Token buckets (docs/configuration.md "rate_limits"): one bucket per key
 * (a principal's token id, a client address) and class (a role, "address"),
 * holding up to `burst` tokens and refilled at `per_second`. A request takes
 * one token; with none left it is refused, with the exact number of seconds
 * until one is back.
 *
 * Exact arithmetic: a bucket counts millionths of a token and the rate is in
 * thousandths of a token per second, i.e. millionths per millisecond, so a
 * refill over whole milliseconds is an integer and so is the wait.
 *
 * Bounded memory: each class holds at most `capacity` buckets. A full
 * bucket carries no information (a new one would be the same), so the least
 * recently used bucket is dropped as soon as it is full again, one per call;
 * at the bound the least recently used bucket goes even if it is not full
 * (its owner gets a fresh burst: rotating more keys than the bound faster
 * than they refill resets the oldest, it never grows memory).
 *
 * Pure: no I/O, no clock. Times are milliseconds of a monotonic clock the
 * caller reads. Not thread-safe: claimsd uses it on the event-loop thread
 * only.
 */
#ifndef CLAIMS_RATELIMIT_H
#define CLAIMS_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_MAX_CLASSES 8
/* Longer keys are cut to this many bytes (claimsd's are shorter). */
#define RATELIMIT_KEY_MAX 79
#define RATELIMIT_DEFAULT_CAPACITY 65536
/* per_second_milli and burst at most these (config ranges). */
#define RATELIMIT_MAX_PER_SECOND_MILLI 1000000000LL /* 1,000,000 a second */
#define RATELIMIT_MAX_BURST 1000000

struct ratelimit_rule {
    int64_t per_second_milli; /* thousandths of a token a second; 0: no limit */
    int64_t burst;            /* tokens when full (≥ 1 when limited) */
};

struct ratelimit;

struct ratelimit_stats {
    uint64_t allowed; /* takes that got a token (limited classes only) */
    uint64_t refused; /* takes refused */
    uint64_t evicted; /* buckets dropped at the bound while not full */
    size_t entries;   /* buckets held now */
};

/* n_classes (1..RATELIMIT_MAX_CLASSES) rules, class i = rules[i]; each class
 * holds at most capacity (≥ 1) buckets. Returns NULL when out of memory or
 * an argument is out of range; free with ratelimit_free. */
struct ratelimit *ratelimit_new(const struct ratelimit_rule *rules, size_t n_classes,
                                size_t capacity);
/* NULL is allowed. */
void ratelimit_free(struct ratelimit *rl);

/* Takes one token from the bucket of (class, key) at now_ms. Returns true
 * when allowed (always for a class without a limit, an unknown class or a
 * NULL rl; nothing is stored then); false when the bucket is empty, with
 * *retry_after_s the whole seconds (rounded up, ≥ 1) until it holds a token. */
bool ratelimit_take(struct ratelimit *rl, int class, const char *key, int64_t now_ms,
                    int *retry_after_s);

/* Whether class has a limit. */
bool ratelimit_limited(const struct ratelimit *rl, int class);
/* Figures of one class (zeros for an unknown class or a NULL rl). */
void ratelimit_stats(const struct ratelimit *rl, int class, struct ratelimit_stats *out);

#endif
