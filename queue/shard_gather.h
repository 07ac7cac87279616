/*
 * The lists that span the claims shards (issue 12, docs/operations.md "Redis
 * Cluster", rule 2): the review workbasket, the appeal and recovery lists and
 * the appeal counts send their script once per shard, each with that shard's
 * keys, all at once (queue/shard_fanout.h; on a cluster each goes to the
 * master of its shard's slot), and merge the pages here: one page in (score,
 * shard) order with one cursor. Private to queue/.
 */
#ifndef CLAIMS_QUEUE_SHARD_GATHER_H
#define CLAIMS_QUEUE_SHARD_GATHER_H

#include <hiredis/hiredis.h>

#include "queue/redis_conn.h"
#include "queue/scripts.h"
#include "queue/shard_fanout.h"
#include "queue/shard_merge.h"

#define SHARD_PAGE_MAX 500 /* the API's largest page (CALL_LIST_LIMIT_MAX) */

/* Sends request i of a fan-out (queue/shard_fanout.h): script sc with keys
 * and args (copied), answered to the fan-out. Returns 0 when sent, -1 when
 * not (a shard_fanout_send_fn's answer). */
int queue_shard_fanout_script(struct shard_fanout *f, int i, struct rconn *rc,
                              const struct script *sc, int nkeys, const char *const *keys,
                              int nargs, const char *const *args);

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
int queue_shard_page_merge(redisReply *const *replies, int n, int width, int limit,
                           struct shard_page *out);

/* The merged page, allocated (the caller frees it); NULL when an answer is
 * missing or does not read, each shard's error logged as "<what> failed", or
 * when out of memory. */
struct shard_page *queue_shard_page_read(redisReply *const *replies, int n, int width, int limit,
                                         const char *what);

/* The next_cursor a list callback is given: the page's, NULL on the last
 * page. */
const char *queue_shard_page_cursor(const struct shard_page *page);

/* ---- a list read over every shard ---- */

/* A list page's request to shard s (request s of f, sent with
 * queue_shard_fanout_script): lo is the shard's lower score bound
 * (queue_shard_cursor_lower_bound) and lim the page's limit as text. Returns 0
 * when sent, -1 when not. */
typedef int (*shard_list_send_fn)(struct shard_fanout *f, int s, const char *lo, const char *lim,
                                  void *ctx);

/* Called once with the merged page (freed after the call), or with NULL
 * when an answer is missing or does not read or memory ran out. */
typedef void (*shard_list_done_fn)(const struct shard_page *page, void *arg);

/* What a list read asks every shard for. */
struct shard_list {
    const char *cursor; /* the API's cursor, "" the start (queue_list_cursor) */
    int limit;          /* rows at most */
    int width;          /* replies per row: its score and its fields */
    const char *what;   /* the read's name in the log ("appeals list"), a literal */
};

/* One page of a list over every shard: send(f, s, lo, lim, ctx) sends each
 * shard's request (ctx is used during this call only) and the answers are
 * merged (queue_shard_page_read). Returns 0, after which done is called exactly
 * once, or -1 when nothing was sent (done is not called). */
int queue_shard_list_read(const struct shard_list *l, shard_list_send_fn send, void *ctx,
                          shard_list_done_fn done, void *arg);

#endif
