/*
 * End-to-end figures for the benchmark (bench/run.sh), read on the Redis
 * side so that no polling client adds load to the server being measured.
 *
 *   e2e_stats --port P --since MS [--host H] [--prefix claims:] [--timeout S]
 *             [--idle S] [--ids FILE] [--submitted-ids FILE] [--shards N]
 *
 * Reads the audit stream ({c}audit) from MS (milliseconds since the epoch)
 * on, following it as it grows, until every claim submitted since MS has
 * been finalized or pended, or nothing was finalized for --idle seconds
 * (default 10) while the work stream is empty or gone, or --timeout
 * seconds (default 120) have passed; --timeout 0 reads once (to count the
 * claims submitted when no worker runs).
 *
 * On a Redis Cluster (--port names any master) it follows the `{c}` streams
 * and, with --shards N > 1, those of every claims shard too (the tags of
 * queue/shards.h, "{c<i>.<k>}audit" and "{c<i>.<k>}work"), each on the
 * master that holds it: a -MOVED reply names the master, and the key is read
 * there from then on. A stream that does not exist reads as empty, so the
 * figures hold whichever of these streams the layout uses. Each master
 * stamps its own entry ids; they share this machine's clock. Each entry has the fields
 * claim_id and record, a JSON object whose "action" says what happened:
 * "claim.submit" is appended in the intake step that stores the claim,
 * before the 202 is sent; "claim.finalize" (or "claim.pend") in the
 * worker's commit. The action is read from the record's JSON (whatever
 * other fields it has or their order), so a change of the record's layout
 * does not break the figures. The stream entry ids are Redis's millisecond
 * clock, so for each claim its first finalize id - its submit id is its
 * time from 202 to finalized, to the millisecond.
 *
 * Prints "RESULT submitted=N finalized=N pended=N left=N work_len=N
 * seconds=S claims_per_s=X p50_ms=.. p99_ms=.. max_ms=..": claims_per_s is
 * the finalized claims over the time from the first submission to the last
 * finalization; left is the claims submitted but neither finalized nor
 * pended when it stopped; work_len is the length of the work stream then.
 * --ids FILE writes the ids of the finalized claims, one a line, in the
 * order they were finalized; --submitted-ids FILE those of the claims
 * submitted, in the order they were submitted.
 */
#include <json-c/json.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue/shards.h"

#include "bench/bench.h"

#define ID_MAX 40
#define NODES_MAX 16

struct slot {
    char id[ID_MAX];
    int64_t submit_ms; /* 0: empty slot */
    int done;          /* finalized or pended */
};

static struct slot *table;
static size_t table_size; /* a power of two */
static size_t table_used;

static struct slot *lookup(const char *id, int insert)
{
    if (!table_size)
        return NULL;
    for (size_t i = bench_hash(id) & (table_size - 1);; i = (i + 1) & (table_size - 1)) {
        struct slot *s = &table[i];
        if (s->submit_ms == 0)
            return insert ? s : NULL;
        if (strcmp(s->id, id) == 0)
            return s;
    }
}

static void grow(size_t need)
{
    if (need * 2 < table_size)
        return;
    size_t old_size = table_size;
    struct slot *old = table;
    table_size = table_size ? table_size * 2 : 1 << 16;
    table = calloc(table_size, sizeof *table);
    if (!table) {
        fprintf(stderr, "e2e_stats: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < old_size; i++)
        if (old[i].submit_ms)
            *lookup(old[i].id, 1) = old[i];
    free(old);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static const char *entry_field(const redisReply *fields, const char *name)
{
    if (!fields || fields->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING &&
            strcmp(fields->element[i]->str, name) == 0 &&
            fields->element[i + 1]->type == REDIS_REPLY_STRING)
            return fields->element[i + 1]->str;
    return NULL;
}

/* The Redis nodes connected to: the one named by --host/--port, and each
 * master a -MOVED reply names. */
static struct node {
    char host[64];
    int port;
    redisContext *c;
} nodes[NODES_MAX];
static int n_nodes;

/* The index of the connection to host:port, made when first asked for; -1
 * when it cannot be made. */
static int node_index(const char *host, int port)
{
    for (int i = 0; i < n_nodes; i++)
        if (nodes[i].port == port && strcmp(nodes[i].host, host) == 0)
            return i;
    if (n_nodes == NODES_MAX)
        return -1;
    redisContext *c = redisConnect(host, port);
    if (!c || c->err) {
        fprintf(stderr, "e2e_stats: cannot connect to Redis at %s:%d\n", host, port);
        if (c)
            redisFree(c);
        return -1;
    }
    struct node *n = &nodes[n_nodes];
    snprintf(n->host, sizeof n->host, "%s", host);
    n->port = port;
    n->c = c;
    return n_nodes++;
}

/* One stream followed: its key, the node that holds it and (audit streams)
 * the id to read from next. */
struct stream {
    char key[256];
    int node;
    char start[48];
};

/* Runs FMT, whose first argument is the stream's key, on the node holding
 * the stream, following -MOVED to the master it names; NULL on a broken
 * connection or an unreachable master. */
static redisReply *stream_command(struct stream *s, const char *fmt, ...)
{
    for (int hop = 0; hop < 4; hop++) {
        va_list ap;
        va_start(ap, fmt);
        redisReply *r = redisvCommand(nodes[s->node].c, fmt, ap);
        va_end(ap);
        if (!r || r->type != REDIS_REPLY_ERROR || strncmp(r->str, "MOVED ", 6) != 0)
            return r;
        /* "MOVED <slot> <host>:<port>"; an empty host is the node that answered. */
        const char *ep = strchr(r->str + 6, ' ');
        const char *colon = ep ? strrchr(ep, ':') : NULL;
        int idx = -1;
        if (colon) {
            char host[64];
            size_t len = (size_t)(colon - ep - 1);
            if (len == 0 || len >= sizeof host)
                snprintf(host, sizeof host, "%s", nodes[s->node].host);
            else
                snprintf(host, sizeof host, "%.*s", (int)len, ep + 1);
            idx = node_index(host, atoi(colon + 1));
        }
        freeReplyObject(r);
        if (idx < 0)
            return NULL;
        s->node = idx;
    }
    return NULL;
}

static long long stream_len(struct stream *s)
{
    redisReply *r = stream_command(s, "XLEN %s", s->key);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    return n;
}

enum action { A_OTHER, A_SUBMIT, A_FINALIZE, A_PEND };

/* The record's "action", from its JSON; a record that is not JSON (or has
 * no action) counts as another action. */
static enum action record_action(const char *record)
{
    if (!strstr(record, "claim."))
        return A_OTHER; /* not one of ours: skip the parse */
    enum action a = A_OTHER;
    struct json_object *o = json_tokener_parse(record), *v = NULL;
    if (o && json_object_object_get_ex(o, "action", &v) &&
        json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        if (strcmp(s, "claim.submit") == 0)
            a = A_SUBMIT;
        else if (strcmp(s, "claim.finalize") == 0)
            a = A_FINALIZE;
        else if (strcmp(s, "claim.pend") == 0)
            a = A_PEND;
    }
    if (o)
        json_object_put(o);
    return a;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t n_lat, cap_lat;
static int64_t *lat;
static long submitted, finalized, pended;
static int64_t first_submit, last_final;
static FILE *ids_out, *submitted_out;

static void on_entry(const redisReply *e)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
        e->element[0]->type != REDIS_REPLY_STRING)
        return;
    int64_t ms = atoll(e->element[0]->str);
    const char *claim = entry_field(e->element[1], "claim_id");
    const char *record = entry_field(e->element[1], "record");
    if (!claim || !record || !*claim || strlen(claim) >= ID_MAX)
        return;
    enum action a = record_action(record);
    if (a == A_SUBMIT) {
        grow(table_used + 1);
        struct slot *s = lookup(claim, 1);
        if (s->submit_ms == 0) {
            snprintf(s->id, sizeof s->id, "%s", claim);
            s->submit_ms = ms;
            table_used++;
            submitted++;
            if (submitted_out)
                fprintf(submitted_out, "%s\n", claim);
            if (!first_submit || ms < first_submit)
                first_submit = ms; /* several streams: not read in time order */
        }
    } else if (a == A_FINALIZE || a == A_PEND) {
        struct slot *s = lookup(claim, 0);
        if (!s || s->done)
            return; /* submitted before --since, or counted already */
        s->done = 1;
        if (a == A_PEND) {
            pended++;
            return;
        }
        finalized++;
        if (ms > last_final)
            last_final = ms;
        if (ids_out)
            fprintf(ids_out, "%s\n", claim);
        if (n_lat == cap_lat) {
            cap_lat = cap_lat ? cap_lat * 2 : 65536;
            lat = realloc(lat, cap_lat * sizeof *lat);
            if (!lat)
                exit(1);
        }
        lat[n_lat++] = ms - s->submit_ms;
    }
}

/* Reads an audit stream from its start id to its current end; returns the
 * entries read, -1 on an error. */
static long read_audit(struct stream *s)
{
    long n = 0;
    for (;;) {
        redisReply *r = stream_command(s, "XRANGE %s %s + COUNT 2000", s->key, s->start);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "e2e_stats: XRANGE %s failed\n", s->key);
            if (r)
                freeReplyObject(r);
            return -1;
        }
        if (r->elements == 0) {
            freeReplyObject(r);
            return n;
        }
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *e = r->element[i];
            on_entry(e);
            n++;
            if (i + 1 == r->elements) {
                /* The next read starts just after this entry. */
                const char *entry_id = e->element[0]->str;
                const char *dash = strchr(entry_id, '-');
                snprintf(s->start, sizeof s->start, "%lld-%lld", atoll(entry_id),
                         dash ? atoll(dash + 1) + 1 : 0);
            }
        }
        freeReplyObject(r);
    }
}

static struct stream *audits, *works;
static int n_streams;

/* The streams to follow: "{c}" and, with shards > 1, each shard's tag
 * (queue/shards.h); all start on node 0 and move where -MOVED says. */
static int set_streams(const char *prefix, int shards, long long since)
{
    static struct shard_layout layout;
    if (queue_shard_layout_init(&layout, shards) < 0)
        return -1;
    int n = shards > 1 ? shards + 1 : 1;
    audits = calloc((size_t)n, sizeof *audits);
    works = calloc((size_t)n, sizeof *works);
    if (!audits || !works)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *tag = i == 0 ? "{c}" : layout.tag[i - 1];
        snprintf(audits[i].key, sizeof audits[i].key, "%s%saudit", prefix, tag);
        snprintf(works[i].key, sizeof works[i].key, "%s%swork", prefix, tag);
        snprintf(audits[i].start, sizeof audits[i].start, "%lld-0", since);
    }
    n_streams = n;
    return 0;
}

/* Follows the audit streams until every claim submitted is finalized or
 * pended and no work is left, or nothing moves for IDLE seconds with no
 * work left, or TIMEOUT seconds passed; returns the work streams' length at
 * the end (-1 when unknown), or -2 on an error. */
static long long follow(double timeout, double idle)
{
    double t0 = now_s(), last_progress = t0;
    long long work_len = 0;
    for (;;) {
        long before = finalized + pended;
        for (int i = 0; i < n_streams; i++)
            if (read_audit(&audits[i]) < 0)
                return -2;
        double t = now_s();
        if (finalized + pended > before)
            last_progress = t;
        work_len = 0;
        for (int i = 0; i < n_streams && work_len >= 0; i++) {
            long long len = stream_len(&works[i]);
            work_len = len < 0 ? -1 : work_len + len;
        }
        if (t - t0 >= timeout)
            break;
        if (submitted > 0 && finalized + pended >= submitted && work_len <= 0)
            break;
        if (t - last_progress >= idle && work_len <= 0)
            break;
        usleep(100 * 1000);
    }
    return work_len;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *prefix = "claims:", *ids_file = NULL, *sub_file = NULL;
    int port = 0, shards = 1;
    double timeout = 120, idle = 10;
    long long since = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--host") == 0)
            host = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--prefix") == 0)
            prefix = argv[i + 1];
        else if (strcmp(argv[i], "--since") == 0)
            since = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--idle") == 0)
            idle = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--ids") == 0)
            ids_file = argv[i + 1];
        else if (strcmp(argv[i], "--submitted-ids") == 0)
            sub_file = argv[i + 1];
        else if (strcmp(argv[i], "--shards") == 0)
            shards = atoi(argv[i + 1]);
        else
            port = -1;
    }
    if (port <= 0 || since < 0 || argc % 2 == 0 || shards < 1 || shards > SHARDS_MAX) {
        fprintf(stderr, "usage: e2e_stats --port P --since MS [--host H] [--prefix P] "
                        "[--timeout S] [--idle S] [--ids FILE] [--submitted-ids FILE] "
                        "[--shards N]\n");
        return 2;
    }
    if (node_index(host, port) < 0)
        return 1;
    if (ids_file && !(ids_out = fopen(ids_file, "w"))) {
        fprintf(stderr, "e2e_stats: cannot write %s\n", ids_file);
        return 1;
    }
    if (sub_file && !(submitted_out = fopen(sub_file, "w"))) {
        fprintf(stderr, "e2e_stats: cannot write %s\n", sub_file);
        return 1;
    }
    if (set_streams(prefix, shards, since) < 0) {
        fprintf(stderr, "e2e_stats: out of memory\n");
        return 1;
    }
    long long work_len = follow(timeout, idle);
    if (work_len == -2)
        return 1;
    qsort(lat, n_lat, sizeof *lat, cmp_i64);
#define PCT(p) (n_lat ? (long long)lat[(size_t)((double)(n_lat - 1) * (p))] : -1)
    double seconds = last_final > first_submit ? (double)(last_final - first_submit) / 1000 : 0;
    printf("RESULT submitted=%ld finalized=%ld pended=%ld left=%ld work_len=%lld seconds=%.3f "
           "claims_per_s=%.0f p50_ms=%lld p99_ms=%lld max_ms=%lld\n",
           submitted, finalized, pended, submitted - finalized - pended, work_len, seconds,
           seconds > 0 ? (double)finalized / seconds : 0.0, PCT(0.50), PCT(0.99),
           n_lat ? (long long)lat[n_lat - 1] : -1);
    if (ids_out)
        fclose(ids_out);
    if (submitted_out)
        fclose(submitted_out);
    free(lat);
    free(table);
    free(audits);
    free(works);
    for (int i = 0; i < n_nodes; i++)
        redisFree(nodes[i].c);
    return 0;
}
