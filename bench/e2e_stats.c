/*
 * End-to-end figures for the benchmark (bench/run.sh), read on the Redis
 * side so that no polling client adds load to the server being measured.
 *
 *   e2e_stats --port P --since MS [--host H] [--prefix claims:] [--timeout S]
 *
 * First waits until the work stream is empty (every claim submitted so far
 * has been committed: the commit acknowledges and deletes its entry) or the
 * timeout passes. Then reads the audit stream from MS (milliseconds since
 * the epoch) on. The intake script appends "claim.submit" to it in the same
 * atomic step that stores the claim and before the 202 is sent; the
 * worker's commit appends "claim.finalize" (or "claim.pend") in the step
 * that stores the decision and EOB. The stream entry ids are Redis's
 * millisecond clock, so for each claim finalize id - submit id is its time
 * from 202 to finalized, to the millisecond.
 *
 * Prints "RESULT submitted=N finalized=N pended=N left=N seconds=S
 * claims_per_s=X p50_ms=.. p99_ms=.. max_ms=..": claims_per_s is the
 * finalized claims over the time from the first submission to the last
 * finalization; left is what was still on the work stream at the timeout.
 */
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ID_MAX 40

struct slot {
    char id[ID_MAX];
    int64_t submit_ms; /* 0: empty slot */
};

static struct slot *table;
static size_t table_size; /* a power of two */

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static struct slot *lookup(const char *id, int insert)
{
    for (size_t i = hash_id(id) & (table_size - 1);; i = (i + 1) & (table_size - 1)) {
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
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (strcmp(fields->element[i]->str, name) == 0)
            return fields->element[i + 1]->str;
    return NULL;
}

static long long stream_len(redisContext *c, const char *key)
{
    redisReply *r = redisCommand(c, "XLEN %s", key);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    return n;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *prefix = "claims:";
    int port = 0;
    double timeout = 120;
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
        else
            port = -1;
    }
    if (port <= 0 || since < 0 || argc % 2 == 0) {
        fprintf(stderr, "usage: e2e_stats --port P --since MS [--host H] [--prefix P] "
                        "[--timeout S]\n");
        return 2;
    }
    redisContext *c = redisConnect(host, port);
    if (!c || c->err) {
        fprintf(stderr, "e2e_stats: cannot connect to Redis\n");
        return 1;
    }
    char k_work[256], k_audit[256];
    snprintf(k_work, sizeof k_work, "%s{c}work", prefix);
    snprintf(k_audit, sizeof k_audit, "%s{c}audit", prefix);

    long long left = 0;
    for (double waited = 0; (left = stream_len(c, k_work)) > 0 && waited < timeout; waited += 0.05)
        usleep(50 * 1000);

    size_t n_lat = 0, cap_lat = 0;
    int64_t *lat = NULL;
    long submitted = 0, finalized = 0, pended = 0;
    int64_t first_submit = 0, last_final = 0;
    char start[48];
    snprintf(start, sizeof start, "%lld-0", since);
    for (;;) {
        redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 2000", k_audit, start);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "e2e_stats: XRANGE failed\n");
            return 1;
        }
        if (r->elements == 0) {
            freeReplyObject(r);
            break;
        }
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *e = r->element[i];
            const char *entry_id = e->element[0]->str;
            int64_t ms = atoll(entry_id);
            /* The next batch starts just after this entry. */
            long long seq = atoll(strchr(entry_id, '-') + 1);
            snprintf(start, sizeof start, "%lld-%lld", (long long)ms, seq + 1);
            const char *claim = entry_field(e->element[1], "claim_id");
            const char *record = entry_field(e->element[1], "record");
            if (!claim || !record || !*claim || strlen(claim) >= ID_MAX)
                continue;
            if (strstr(record, "\"claim.submit\"")) {
                grow((size_t)submitted + 1);
                struct slot *s = lookup(claim, 1);
                if (s->submit_ms == 0) {
                    snprintf(s->id, sizeof s->id, "%s", claim);
                    s->submit_ms = ms;
                    submitted++;
                    if (!first_submit)
                        first_submit = ms;
                }
            } else if (strstr(record, "\"claim.finalize\"") || strstr(record, "\"claim.pend\"")) {
                int final = strstr(record, "\"claim.finalize\"") != NULL;
                struct slot *s = table_size ? lookup(claim, 0) : NULL;
                if (!s)
                    continue; /* submitted before --since */
                if (!final) {
                    pended++;
                    continue;
                }
                finalized++;
                last_final = ms;
                if (n_lat == cap_lat) {
                    cap_lat = cap_lat ? cap_lat * 2 : 65536;
                    lat = realloc(lat, cap_lat * sizeof *lat);
                    if (!lat)
                        return 1;
                }
                lat[n_lat++] = ms - s->submit_ms;
            }
        }
        freeReplyObject(r);
    }
    qsort(lat, n_lat, sizeof *lat, cmp_i64);
#define PCT(p) (n_lat ? (long long)lat[(size_t)((double)(n_lat - 1) * (p))] : -1)
    double seconds = last_final > first_submit ? (double)(last_final - first_submit) / 1000 : 0;
    printf("RESULT submitted=%ld finalized=%ld pended=%ld left=%lld seconds=%.3f "
           "claims_per_s=%.0f p50_ms=%lld p99_ms=%lld max_ms=%lld\n",
           submitted, finalized, pended, left, seconds,
           seconds > 0 ? (double)finalized / seconds : 0.0, PCT(0.50), PCT(0.99),
           n_lat ? (long long)lat[n_lat - 1] : -1);
    free(lat);
    free(table);
    redisFree(c);
    return 0;
}
