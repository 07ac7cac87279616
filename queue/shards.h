/*
 * The claims shards (issue 12, step 2 of docs/operations.md "Redis Cluster"):
 * how `shards` hash tags are chosen and which shard a family and a claim id
 * belong to. Pure functions, no I/O: every claimsd process computes the same
 * layout from the same `shards` setting.
 *
 * - Shard i's hash tag is "{c<i>.<k>}" with the smallest k whose key slot
 *   (queue/cluster.h) falls in the middle half of the i-th of n equal ranges
 *   of the 16,384 slots, so that the shards spread evenly over masters that
 *   hold contiguous slot ranges (what `redis-cli --cluster create` and
 *   `rebalance` make). With one shard the tag is "{c}", today's layout byte
 *   for byte.
 * - A family (subscriber id; a claim for an unknown member: its member id)
 *   belongs to shard crc16(id) mod shards: its claims, version,
 *   accumulators and fingerprints share its shard's tag, so each script of a
 *   claim touches one slot.
 * - A claim id belongs to shard crc16(id) mod shards too: intake draws
 *   UUIDs until one lands on the family's shard (on average `shards` draws),
 *   so GET /v1/claims/{id} finds the shard from the id alone and claim ids
 *   stay plain version 4 UUIDs.
 * Changing `shards` renames every claims key: it is set once per data set.
 */
#ifndef CLAIMS_SHARDS_H
#define CLAIMS_SHARDS_H

#include <stddef.h>

#define SHARDS_DEFAULT 16 /* for a new data set when `shards` is not configured */
#define SHARDS_MAX 256
#define SHARD_TAG_LEN 24

struct shard_layout {
    int n;
    char tag[SHARDS_MAX][SHARD_TAG_LEN]; /* "{c}" or "{c<i>.<k>}" */
    int slot[SHARDS_MAX];                /* the key slot of each tag */
};

/* Fills layout for n shards (1..SHARDS_MAX). Returns 0, or -1 for n out of
 * range. */
int queue_shard_layout_init(struct shard_layout *layout, int n);

/* The shard of a family (its subscriber id, or the member id of a claim for
 * an unknown member). */
int queue_layout_shard_of_family(const struct shard_layout *layout, const char *family_id);

/* The shard of a claim id (see above). */
int queue_shard_of_claim_id(const struct shard_layout *layout, const char *claim_id);

/* ---- the process's layout ----
 * Set once at start (queue_shards_configure, from the config's `shards`)
 * before any key is built; until then the layout is one shard. */

/* Sets the process's layout to n shards. Returns 0, or -1 for n out of
 * range (the layout is then unchanged). */
int queue_shards_configure(int n);

/* The process's layout. */
const struct shard_layout *queue_shards(void);

/* The number of shards of the process's layout. */
int queue_shard_count(void);

/* The shard of a claim id in the process's layout. */
int queue_shard_of_claim(const char *claim_id);
/* The shard of a family (its subscriber id) in the process's layout. */
int queue_shard_of_family(const char *family_id);

/* A claims key prefix: the configured key prefix followed by one shard's
 * hash tag ("claims:{c}"). Every claims key format of queue/keys.h takes one
 * in place of the configured prefix. */
#define SHARD_PREFIX_LEN (64 + SHARD_TAG_LEN)
struct queue_shard_prefix {
    char s[SHARD_PREFIX_LEN];
};

/* The claims key prefix of a shard (0 .. queue_shard_count() - 1). */
struct queue_shard_prefix queue_shard_prefix(const char *prefix, int shard);

/* The claims key prefix of a claim's shard and of a family's shard: use as
 * CLAIM_PREFIX(prefix, id) in an argument list (the text lives until the end
 * of the full expression). */
#define SHARD_PREFIX(prefix, shard) (queue_shard_prefix((prefix), (shard)).s)
#define CLAIM_PREFIX(prefix, claim_id) SHARD_PREFIX((prefix), queue_shard_of_claim(claim_id))
#define FAMILY_PREFIX(prefix, family_id) SHARD_PREFIX((prefix), queue_shard_of_family(family_id))

#endif
