#include "shard_merge.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int queue_shard_cursor_parse(const char *text, int n_shards, struct shard_cursor *out)
{
    memset(out, 0, sizeof *out);
    if (n_shards < 1)
        return -1;
    if (!text[0]) {
        out->start = true;
        return 0;
    }
    size_t len = strlen(text);
    if (len > 20 || strspn(text, "0123456789") != len)
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v > (unsigned long long)LLONG_MAX)
        return -1;
    out->score = (long long)(v / (unsigned)n_shards);
    out->shard = (int)(v % (unsigned)n_shards);
    return 0;
}

void queue_shard_cursor_format(const struct shard_cursor *c, int n_shards, char *buf, size_t size)
{
    if (c->start) {
        snprintf(buf, size, "%s", "");
        return;
    }
    snprintf(buf, size, "%lld", c->score * n_shards + c->shard);
}

void queue_shard_cursor_lower_bound(const struct shard_cursor *c, int shard, char *buf, size_t size)
{
    if (c->start)
        snprintf(buf, size, "-inf");
    else if (shard <= c->shard)
        snprintf(buf, size, "(%lld", c->score);
    else
        snprintf(buf, size, "%lld", c->score);
}

static int hit_compare(const struct shard_hit *a, const struct shard_hit *b)
{
    if (a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return (a->shard > b->shard) - (a->shard < b->shard);
}

/*
 * Why the horizon is safe: shard s stopped at stop_score has looked at all
 * its entries with score <= stop_score (scores are unique in a shard and its
 * next walk starts after it). So every shard has looked at every entry of
 * score <= H, the smallest stop_score; a hit of score <= H cannot be
 * preceded by an entry not yet looked at, and a hit above H can. Taking the
 * hits in (score, shard) order up to H, at most limit of them, gives the
 * next cursor: the last hit taken when the page is full, else (H, last
 * shard), "all of score H looked at everywhere"; with no shard stopped and
 * the page not full the walk is over.
 */
int queue_shard_merge(const struct shard_part *parts, int n_shards, int limit,
                      struct shard_hit *out, struct shard_cursor *next, bool *more)
{
    bool any_stopped = false;
    long long horizon = LLONG_MAX;
    for (int s = 0; s < n_shards; s++) {
        if (parts[s].stopped) {
            any_stopped = true;
            if (parts[s].stop_score < horizon)
                horizon = parts[s].stop_score;
        }
    }
    /* A k-way merge: each shard's hits are in score order already. */
    int pos[n_shards > 0 ? n_shards : 1];
    memset(pos, 0, sizeof pos);
    int n = 0;
    while (n < limit) {
        int best = -1;
        for (int s = 0; s < n_shards; s++) {
            if (pos[s] >= parts[s].n_hits)
                continue;
            const struct shard_hit *h = &parts[s].hits[pos[s]];
            if (h->score > horizon)
                continue;
            if (best < 0 || hit_compare(h, &parts[best].hits[pos[best]]) < 0)
                best = s;
        }
        if (best < 0)
            break;
        out[n++] = parts[best].hits[pos[best]++];
    }
    memset(next, 0, sizeof *next);
    if (n == limit && n > 0) {
        next->score = out[n - 1].score;
        next->shard = out[n - 1].shard;
        /* Full page: more may follow unless every shard is done and every
         * hit was taken. */
        bool left = any_stopped;
        for (int s = 0; s < n_shards && !left; s++)
            left = pos[s] < parts[s].n_hits;
        *more = left;
        return n;
    }
    if (any_stopped) {
        next->score = horizon;
        next->shard = n_shards - 1;
        *more = true;
        return n;
    }
    next->start = true;
    *more = false;
    return n;
}

static int parse_stream_id(const char *id, unsigned long long *ms, unsigned long long *seq)
{
    char *end;
    errno = 0;
    *ms = strtoull(id, &end, 10);
    if (errno || end == id || *end != '-')
        return -1;
    const char *p = end + 1;
    *seq = strtoull(p, &end, 10);
    if (errno || end == p || *end)
        return -1;
    return 0;
}

int queue_stream_id_compare(const char *a, const char *b)
{
    unsigned long long ams, aseq, bms, bseq;
    int ab = parse_stream_id(a, &ams, &aseq), bb = parse_stream_id(b, &bms, &bseq);
    if (ab || bb)
        return (ab != 0) - (bb != 0);
    if (ams != bms)
        return ams < bms ? -1 : 1;
    return (aseq > bseq) - (aseq < bseq);
}
