/*
 * Reads that span the claims shards (issue 12, docs/operations.md "Redis
 * Cluster"): a search walks each shard's index on its own and the pages are
 * merged here into one page in receipt order, with one cursor for all
 * shards. Pure functions, no I/O; the search script of each shard supplies
 * the hits (index score each) and where it stopped.
 *
 * Order: (score, shard). Scores are unique within a shard (received day ×
 * 2^21 + the shard's sequence), not across shards, so the shard breaks ties.
 *
 * The cursor is one decimal number, score × shards + shard: "every entry up
 * to and including (score, shard) has been looked at". With one shard it is
 * the score itself, today's cursor; it fits the API's cursor rule (at most
 * 20 digits) for any day before year 9999 and up to 256 shards.
 */
#ifndef CLAIMS_SHARD_MERGE_H
#define CLAIMS_SHARD_MERGE_H

#include <stdbool.h>
#include <stddef.h>

struct shard_cursor {
    bool start;      /* no cursor: from the beginning */
    long long score; /* the last entry looked at... */
    int shard;       /* ...and its shard */
};

/* "" is the start; else the number above, for n_shards shards. Returns 0, or
 * -1 when the text is no cursor (not digits, too long, too big). */
int queue_shard_cursor_parse(const char *text, int n_shards, struct shard_cursor *out);

/* The cursor's text for n_shards shards. */
void queue_shard_cursor_format(const struct shard_cursor *c, int n_shards, char *buf, size_t size);

/* The lower score bound (ZRANGEBYSCORE form) from which shard s continues:
 * "-inf" at the start; "(score" for the cursor's shard and those before it
 * (their entries of that score were looked at), "score" for the shards after
 * it. */
void queue_shard_cursor_lower_bound(const struct shard_cursor *c, int shard, char *buf,
                                    size_t size);

struct shard_hit {
    long long score;
    int shard;
    int index; /* the caller's: which result this is */
};

/* What one shard's walk returned: its hits in score order (at most the
 * page's limit) and whether it stopped before the end of its index (limit
 * reached or its scan budget spent), having looked at every entry up to
 * stop_score and none after. */
struct shard_part {
    const struct shard_hit *hits;
    int n_hits;
    bool stopped;
    long long stop_score;
};

/*
 * Merges the shards' pages into the first `limit` hits in (score, shard)
 * order that every shard has looked up to: a hit beyond where some shard
 * stopped could be preceded by entries that shard has not looked at yet, so
 * it waits for the next page. Writes at most limit hits to out and returns
 * how many; *next is the cursor after them, and *more says whether there is
 * a next page (false: the walk is over, the API's next_cursor is null).
 * parts[s] is shard s's page; hits must carry shard s.
 */
int queue_shard_merge(const struct shard_part *parts, int n_shards, int limit,
                      struct shard_hit *out, struct shard_cursor *next, bool *more);

/* Stream entry ids ("<ms>-<seq>") in time order: <0, 0, >0. An id that does
 * not parse sorts last. Merges the shards' dead-letter entries. */
int queue_stream_id_compare(const char *a, const char *b);

#endif
