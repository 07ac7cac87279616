/*
 * One script sent to every claims shard on the event loop and the answers
 * gathered (issue 12, docs/operations.md "Redis Cluster", rule 2): the reads
 * that span the shards (the review workbasket, the appeal and recovery
 * lists, the appeal counts) send their script once per shard, each with that
 * shard's keys (on a cluster the router sends each to the master of its
 * shard's slot, so they run in parallel), and merge what comes back.
 * Private to queue/.
 */
#ifndef CLAIMS_QUEUE_SHARD_GATHER_H
#define CLAIMS_QUEUE_SHARD_GATHER_H

#include <hiredis/hiredis.h>

#include "queue/redis_conn.h"
#include "queue/scripts.h"
#include "queue/shard_merge.h"

#define SHARD_PAGE_MAX 500 /* the API's largest page (CALL_LIST_LIMIT_MAX) */

/* Called once when every shard answered: replies[s] is shard s's answer (a
 * copy, freed after the call), NULL where the shard did not answer or its
 * script could not be sent. */
typedef void (*shard_gather_done_fn)(redisReply *const *replies, int n, void *arg);

struct shard_gather;

/* A gathering of n answers (1 .. SHARDS_MAX); NULL when out of memory. */
struct shard_gather *shard_gather_new(int n, shard_gather_done_fn done, void *arg);

/* Sends shard s's script (keys and args are copied). A send that fails
 * leaves that shard's answer NULL. */
void shard_gather_send(struct shard_gather *g, int s, struct rconn *rc, const struct script *sc,
                       int nkeys, const char *const *keys, int nargs, const char *const *args);

/* After the sends: returns 0 when at least one was sent (done is then called
 * exactly once, possibly before this returns), or -1 when none was (done is
 * not called); g is freed either way. */
int shard_gather_start(struct shard_gather *g);

/* ---- one page of a list merged over the shards ---- */

/* The cursor of a list page for n_shards shards ("" the start). A text that
 * is no cursor of this layout (too big) reads as past every entry: the page
 * is empty and the last, as one Redis answered such a cursor before shards. */
void queue_list_cursor(const char *text, int n_shards, struct shard_cursor *out);

/* A list script's answer on one shard: {where it stopped (a score) or "" at
 * the end of its set, then per row: its score and width - 1 fields}, at
 * most the page's limit rows in score order, having looked at every entry up
 * to where it stopped (queue/shard_merge.h). */
struct shard_page {
    const redisReply *const *rows[SHARD_PAGE_MAX]; /* each row's first field after its score */
    int n;
    char next_cursor[32]; /* "" on the last page */
};

/*
 * Merges the shards' answers into the first `limit` rows (at most
 * SHARD_PAGE_MAX) in (score, shard) order, with the cursor after them (one
 * number for every shard, queue/shard_merge.h; with one shard the score
 * itself). The rows point into replies. Returns 0, or -1 when an answer is
 * missing or does not read.
 */
int shard_page_merge(redisReply *const *replies, int n, int width, int limit,
                     struct shard_page *out);

/* The merged page, allocated (the caller frees it); NULL when an answer is
 * missing or does not read, each shard's error logged as "<what> failed", or
 * when out of memory. */
struct shard_page *shard_page_read(redisReply *const *replies, int n, int width, int limit,
                                   const char *what);

#endif
