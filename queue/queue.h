/*
 * What the rest of the program does with queue/ as a whole. Everything that
 * talks to Redis lives in queue/ (DESIGN.md "Redis layout"; make
 * lint-layers): the key formats (keys.h) and the Lua scripts (scripts.h,
 * webhooks.c, and each file's own) are private to it, and the other parts call
 * the typed functions of intake.h, claims_read.h, enrollment.h, audit.h,
 * tokens.h, token_cache.h, stats.h and webhooks.h.
 */
#ifndef CLAIMS_QUEUE_QUEUE_H
#define CLAIMS_QUEUE_QUEUE_H

/* Computes the SHA-1 of every shared script (each is sent with EVALSHA).
 * Call once at start, before any other queue call and before threads start. */
void queue_init(void);

struct rlink;

/* The claims shard count of the data (issue 12: the key layout depends on
 * it): the count recorded in Redis; if none, records `shards` (0: not
 * configured, then SHARDS_DEFAULT for new data, or 1 for data written
 * before counts were recorded, whose keys are the one shard's). Returns the
 * recorded count, or -1 when Redis did not answer. Blocking. */
int queue_shards_record(struct rlink *c, const char *prefix, int shards);

#endif
