/*
 * Sample enrollment for the embedded default (config key seed_dir): plans,
 * groups and members loaded into an empty store at first start, checked by
 * the same parsers as PUT /v1/{plans,groups,members}/{id}.
 */
#ifndef CLAIMS_SEED_H
#define CLAIMS_SEED_H

struct redisContext; /* a blocking connection (queue/redis_conn.h) */

/* Loads the .json files of DIR/plans, DIR/groups, then DIR/members
 * (subscribers before their dependents), unless the store was seeded
 * before. A file's name without ".json" must equal its record's id. Returns
 * 1 when it loaded them, 0 when the store was seeded before, or -1 after
 * logging the file and the first problem. Blocking. */
int seed_load(struct redisContext *c, const char *prefix, const char *dir);

/* Creates tokens for the sample (admin, staff, the sample providers, each
 * sample member) and prints them once on standard output, never to the log.
 * Returns 0 or -1. */
int seed_print_tokens(struct redisContext *c, const char *prefix, const char *dir);

#endif
