#include "shard_gather.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "queue/reply.h"
#include "queue/shards.h"

int queue_shard_fanout_script(struct shard_fanout *f, int i, struct rconn *rc,
                              const struct script *sc, int nkeys, const char *const *keys,
                              int nargs, const char *const *args)
{
    return queue_script_eval_async(rc, sc, queue_shard_fanout_reply, queue_shard_fanout_arg(f, i),
                                   nkeys, keys, nargs, args, NULL);
}

void queue_list_cursor(const char *text, int n_shards, struct shard_cursor *out)
{
    if (queue_shard_cursor_parse(text, n_shards, out) != 0)
        *out = (struct shard_cursor){.score = LLONG_MAX, .shard = n_shards - 1};
}

/* Reads shard s's answer into part (hits written to hits); false when it
 * does not read. */
static bool read_part(const redisReply *r, int s, int width, int limit, struct shard_hit *hits,
                      struct shard_part *part)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        (r->elements - 1) % (size_t)width != 0 || r->element[0]->type != REDIS_REPLY_STRING)
        return false;
    size_t rows = (r->elements - 1) / (size_t)width;
    if (rows > (size_t)limit)
        return false;
    *part = (struct shard_part){.hits = hits, .n_hits = (int)rows};
    for (size_t i = 0; i < rows; i++) {
        hits[i] = (struct shard_hit){.shard = s, .index = (int)i};
        if (!queue_reply_score(r->element[1 + i * (size_t)width], &hits[i].score))
            return false;
    }
    part->stopped = r->element[0]->str[0] != '\0';
    return !part->stopped || queue_reply_score(r->element[0], &part->stop_score);
}

int queue_shard_page_merge(redisReply *const *replies, int n, int width, int limit,
                           struct shard_page *out)
{
    out->n = 0;
    out->next_cursor[0] = '\0';
    if (limit > SHARD_PAGE_MAX)
        limit = SHARD_PAGE_MAX;
    struct shard_part *parts = calloc((size_t)n, sizeof *parts);
    struct shard_hit *hits = calloc((size_t)n * (size_t)limit + 1, sizeof *hits);
    struct shard_hit *merged = calloc((size_t)limit + 1, sizeof *merged);
    int rc = parts && hits && merged ? 0 : -1;
    for (int s = 0; rc == 0 && s < n; s++)
        if (!read_part(replies[s], s, width, limit, &hits[(size_t)s * (size_t)limit], &parts[s]))
            rc = -1;
    if (rc == 0) {
        struct shard_cursor next;
        bool more;
        out->n = queue_shard_merge(parts, n, limit, merged, &next, &more);
        for (int i = 0; i < out->n; i++) {
            const redisReply *r = replies[merged[i].shard];
            out->rows[i] =
                (const redisReply *const *)&r->element[2 + (size_t)merged[i].index * (size_t)width];
        }
        if (more)
            queue_shard_cursor_format(&next, n, out->next_cursor, sizeof out->next_cursor);
    }
    free(parts);
    free(hits);
    free(merged);
    return rc;
}

struct shard_page *queue_shard_page_read(redisReply *const *replies, int n, int width, int limit,
                                         const char *what)
{
    struct shard_page *page = malloc(sizeof *page);
    if (page && queue_shard_page_merge(replies, n, width, limit, page) == 0)
        return page;
    for (int s = 0; page && s < n; s++)
        if (replies[s] && replies[s]->type == REDIS_REPLY_ERROR)
            log_error("%s failed: %s", what, replies[s]->str);
    free(page);
    return NULL;
}

const char *queue_shard_page_cursor(const struct shard_page *page)
{
    return page->next_cursor[0] ? page->next_cursor : NULL;
}

/* A list read between sending and its answer. */
struct list_read {
    shard_list_done_fn done;
    void *arg;
    int limit, width;
    const char *what;
};

/* What each shard's request is sent with. */
struct list_send {
    struct shard_cursor from;
    char lim[16];
    shard_list_send_fn send;
    void *ctx;
};

/* shard_fanout_send_fn of a list read: shard s's request from its lower
 * bound. */
static int list_send(struct shard_fanout *f, int s, void *ctx)
{
    struct list_send *ls = ctx;
    char lo[64];
    queue_shard_cursor_lower_bound(&ls->from, s, lo, sizeof lo);
    return ls->send(f, s, lo, ls->lim, ls->ctx);
}

/* shard_fanout_done_fn of a list read: the merged page to the caller. */
static void on_list_replies(redisReply *const *replies, int n_shards, void *arg)
{
    struct list_read r = *(struct list_read *)arg;
    free(arg);
    struct shard_page *page = queue_shard_page_read(replies, n_shards, r.width, r.limit, r.what);
    r.done(page, r.arg);
    free(page);
}

int queue_shard_list_read(const struct shard_list *l, shard_list_send_fn send, void *ctx,
                          shard_list_done_fn done, void *arg)
{
    int n_shards = queue_shard_count();
    struct list_send ls = {.send = send, .ctx = ctx};
    queue_list_cursor(l->cursor, n_shards, &ls.from);
    snprintf(ls.lim, sizeof ls.lim, "%d", l->limit);
    struct list_read *r = malloc(sizeof *r);
    if (!r)
        return -1;
    *r = (struct list_read){done, arg, l->limit, l->width, l->what};
    if (queue_shard_fanout_each(n_shards, list_send, &ls, on_list_replies, r) != 0) {
        free(r);
        return -1;
    }
    return 0;
}
