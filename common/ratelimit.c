#include "ratelimit.h"

#include <stdlib.h>
#include <string.h>

/* A bucket counts millionths of a token. */
#define MICRO 1000000LL

/* One key's bucket: in its slot's chain and in its class's recency list
 * (most recently used at the head). */
struct bucket {
    char key[RATELIMIT_KEY_MAX + 1];
    uint64_t hash;
    int64_t tokens;  /* millionths */
    int64_t last_ms; /* when tokens was last brought up to date */
    struct bucket *chain;
    struct bucket *newer, *older;
};

struct table {
    struct ratelimit_rule rule;
    struct bucket **slots; /* NULL for a class without a limit */
    size_t mask;
    struct bucket *newest, *oldest;
    size_t count;
    uint64_t allowed, refused, evicted;
};

struct ratelimit {
    size_t n_classes;
    size_t capacity;
    struct table tables[RATELIMIT_MAX_CLASSES];
};

static bool rule_limits(const struct ratelimit_rule *r)
{
    return r->per_second_milli > 0;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < rl->n_classes; i++) {
        struct table *t = &rl->tables[i];
        for (struct bucket *b = t->newest, *next; b; b = next) {
            next = b->older;
            free(b);
        }
        free(t->slots);
    }
    free(rl);
}

struct ratelimit *ratelimit_new(const struct ratelimit_rule *rules, size_t n_classes,
                                size_t capacity)
{
    if (n_classes == 0 || n_classes > RATELIMIT_MAX_CLASSES || capacity == 0)
        return NULL;
    for (size_t i = 0; i < n_classes; i++) {
        const struct ratelimit_rule *r = &rules[i];
        if (r->per_second_milli < 0 || r->per_second_milli > RATELIMIT_MAX_PER_SECOND_MILLI)
            return NULL;
        if (rule_limits(r) && (r->burst < 1 || r->burst > RATELIMIT_MAX_BURST))
            return NULL;
    }
    struct ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    rl->n_classes = n_classes;
    rl->capacity = capacity;
    size_t n = 1;
    while (n < capacity && n < ((size_t)1 << 30))
        n <<= 1;
    for (size_t i = 0; i < n_classes; i++) {
        struct table *t = &rl->tables[i];
        t->rule = rules[i];
        if (!rule_limits(&t->rule))
            continue;
        t->slots = calloc(n, sizeof *t->slots);
        if (!t->slots) {
            ratelimit_free(rl);
            return NULL;
        }
        t->mask = n - 1;
    }
    return rl;
}

static struct table *table_of(const struct ratelimit *rl, int class)
{
    if (!rl || class < 0 || (size_t) class >= rl->n_classes)
        return NULL;
    return (struct table *)&rl->tables[class];
}

bool ratelimit_limited(const struct ratelimit *rl, int class)
{
    const struct table *t = table_of(rl, class);
    return t && rule_limits(&t->rule);
}

/* FNV-1a over the key as stored (cut to RATELIMIT_KEY_MAX bytes). */
static uint64_t key_hash(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Brings b's tokens up to now_ms (never past full; a clock that went back
 * adds nothing). Returns true when the bucket is full. */
static bool refill(const struct ratelimit_rule *r, struct bucket *b, int64_t now_ms)
{
    int64_t full = r->burst * MICRO;
    if (now_ms > b->last_ms) {
        int64_t elapsed = now_ms - b->last_ms;
        int64_t missing = full - b->tokens;
        /* Compared before multiplying: a long idle time cannot overflow. */
        if (elapsed >= (missing + r->per_second_milli - 1) / r->per_second_milli)
            b->tokens = full;
        else
            b->tokens += elapsed * r->per_second_milli;
        b->last_ms = now_ms;
    }
    return b->tokens >= full;
}

static void unlink_recency(struct table *t, struct bucket *b)
{
    if (b->newer)
        b->newer->older = b->older;
    else
        t->newest = b->older;
    if (b->older)
        b->older->newer = b->newer;
    else
        t->oldest = b->newer;
    b->newer = b->older = NULL;
}

static void push_newest(struct table *t, struct bucket *b)
{
    b->newer = NULL;
    b->older = t->newest;
    if (t->newest)
        t->newest->newer = b;
    else
        t->oldest = b;
    t->newest = b;
}

static void drop(struct table *t, struct bucket *b)
{
    struct bucket **p = &t->slots[b->hash & t->mask];
    while (*p != b)
        p = &(*p)->chain;
    *p = b->chain;
    unlink_recency(t, b);
    t->count--;
    free(b);
}

bool ratelimit_take(struct ratelimit *rl, int class, const char *key, int64_t now_ms,
                    int *retry_after_s)
{
    struct table *t = table_of(rl, class);
    if (!t || !rule_limits(&t->rule))
        return true;
    const struct ratelimit_rule *r = &t->rule;
    size_t len = strnlen(key, RATELIMIT_KEY_MAX);
    uint64_t h = key_hash(key, len);
    struct bucket *b = t->slots[h & t->mask];
    while (b && !(b->hash == h && strncmp(b->key, key, len) == 0 && b->key[len] == '\0'))
        b = b->chain;
    if (b) {
        refill(r, b, now_ms);
        unlink_recency(t, b);
        push_newest(t, b);
    } else {
        if (t->count >= rl->capacity) {
            struct bucket *old = t->oldest;
            if (!refill(r, old, now_ms))
                t->evicted++;
            drop(t, old);
        }
        b = malloc(sizeof *b);
        if (!b)
            return true; /* out of memory: no limit rather than no service */
        memcpy(b->key, key, len);
        b->key[len] = '\0';
        b->hash = h;
        b->tokens = r->burst * MICRO;
        b->last_ms = now_ms;
        b->chain = t->slots[h & t->mask];
        t->slots[h & t->mask] = b;
        push_newest(t, b);
        t->count++;
    }
    /* Housekeeping, one bucket a call: the least recently used one goes
     * once it is full again (it would be recreated the same). */
    struct bucket *old = t->oldest;
    if (old != b && refill(r, old, now_ms))
        drop(t, old);

    if (b->tokens >= MICRO) {
        b->tokens -= MICRO;
        t->allowed++;
        return true;
    }
    int64_t wait_ms = (MICRO - b->tokens + r->per_second_milli - 1) / r->per_second_milli;
    int64_t wait_s = (wait_ms + 999) / 1000;
    if (retry_after_s)
        *retry_after_s = wait_s < 1 ? 1 : (int)wait_s;
    t->refused++;
    return false;
}

void ratelimit_stats(const struct ratelimit *rl, int class, struct ratelimit_stats *out)
{
    memset(out, 0, sizeof *out);
    const struct table *t = table_of(rl, class);
    if (!t)
        return;
    out->allowed = t->allowed;
    out->refused = t->refused;
    out->evicted = t->evicted;
    out->entries = t->count;
}
