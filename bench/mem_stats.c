/*
 * Redis memory per finalized claim, by key, for the benchmark (bench/run.sh,
 * issue 11: at most 4,096 bytes a claim). Knows nothing of the key layout:
 * it SCANs the whole keyspace and asks MEMORY USAGE (SAMPLES 0: every
 * element counted, not estimated) of every key.
 *
 *   mem_stats --port P [--host H] --save FILE
 *   mem_stats --port P [--host H] --before FILE --claims N
 *             [--sample-ids FILE] [--sample K]
 *
 * --save writes "key<TAB>bytes" for every key (the state before the load).
 *
 * The report groups keys by pattern: a claim id (a UUID) in a key name
 * becomes <claim>, and every other ':'-separated part of the name that
 * holds a digit (member, family, provider ids, days, years, hashes) becomes
 * *. So "claims:{c}claim:<uuid>" is "claims:{c}claim:<claim>",
 * "claims:{c}idx:f:BM00012" is "claims:{c}idx:f:*".
 *
 * - Per claim, for a sample of finalized claims (K ids spread evenly over
 *   --sample-ids, one a line; default 20): every key whose name contains
 *   the claim's id, its MEMORY USAGE, averaged over the sample by pattern.
 * - Shared structures (keys whose name holds no claim id: streams, sorted
 *   sets, per-member and per-family keys, counters): MEMORY USAGE now minus
 *   before, by pattern, divided by N (the claims finalized in between).
 * - All keys holding a claim id, now minus before, divided by N.
 *
 * Prints
 *   RESULT keys=.. claims=N sample=K sample_keys_per_claim=..
 *          sample_bytes_per_claim=.. claim_keys_bytes_per_claim=..
 *          shared_bytes_per_claim=.. total_bytes_per_claim=..
 *   CLAIM <pattern> keys_per_claim=.. bytes_per_claim=..     (the sample)
 *   SHARED <pattern> keys=.. delta_bytes=.. bytes_per_claim=..
 * the CLAIM and SHARED lines largest first (SHARED lines of less than one
 * byte a claim left out). MEMORY USAGE counts a key's name, value and
 * allocations but not the keyspace's dict entry nor allocator fragmentation,
 * which INFO's used_memory delta includes: total_bytes_per_claim is
 * therefore a little below the used_memory figure.
 */
#include <ctype.h>
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

#define PATTERN_MAX 256
#define MAX_SAMPLE 200

struct group {
    char pattern[PATTERN_MAX];
    long long before, after; /* bytes */
    long keys_before, keys_after;
    long long sample_bytes;
    long sample_keys;
    int used;
};

static struct group *groups;
static size_t n_groups_cap = 4096; /* a power of two */
static size_t n_groups;

static struct group *group_of(const char *pattern)
{
    for (size_t i = bench_hash(pattern) & (n_groups_cap - 1);; i = (i + 1) & (n_groups_cap - 1)) {
        struct group *g = &groups[i];
        if (!g->used) {
            if (n_groups * 2 >= n_groups_cap) {
                fprintf(stderr, "mem_stats: too many key patterns\n");
                exit(1);
            }
            g->used = 1;
            snprintf(g->pattern, sizeof g->pattern, "%s", pattern);
            n_groups++;
            return g;
        }
        if (strcmp(g->pattern, pattern) == 0)
            return g;
    }
}

/* Where a UUID (8-4-4-4-12 hex digits) starts in s, or NULL. */
static const char *find_uuid(const char *s, size_t len)
{
    static const size_t dash_at[] = {8, 13, 18, 23};
    for (size_t i = 0; i + 36 <= len; i++) {
        int ok = 1;
        for (size_t j = 0, d = 0; j < 36 && ok; j++) {
            if (d < 4 && j == dash_at[d]) {
                ok = s[i + j] == '-';
                d++;
            } else {
                ok = isxdigit((unsigned char)s[i + j]);
            }
        }
        if (ok)
            return s + i;
    }
    return NULL;
}

/* The key's pattern (see the top of the file); returns 1 when it holds a
 * claim id. */
static int pattern_of(const char *key, size_t len, char out[PATTERN_MAX])
{
    char tmp[PATTERN_MAX * 2];
    size_t n = 0;
    int claim = 0;
    for (size_t i = 0; i < len && n + 8 < sizeof tmp;) {
        const char *u = find_uuid(key + i, len - i);
        if (u == key + i) {
            memcpy(tmp + n, "\x01", 1); /* a placeholder, put back below */
            n++;
            i += 36;
            claim = 1;
            continue;
        }
        tmp[n++] = key[i++];
    }
    tmp[n] = '\0';
    /* Parts holding a digit become '*'. */
    size_t o = 0;
    for (char *part = tmp, *next; part && o + 10 < PATTERN_MAX; part = next) {
        next = strchr(part, ':');
        if (next)
            *next++ = '\0';
        int digit = 0;
        for (const char *p = part; *p; p++)
            digit |= isdigit((unsigned char)*p) != 0;
        if (strchr(part, '\x01') && strlen(part) == 1)
            o += (size_t)snprintf(out + o, PATTERN_MAX - o, "<claim>");
        else if (strchr(part, '\x01') || digit) {
            /* A part with a claim id and more (e.g. "<id>.1"): the id, then '*'. */
            o += (size_t)snprintf(out + o, PATTERN_MAX - o, "%s",
                                  strchr(part, '\x01') ? "<claim>*" : "*");
        } else {
            o += (size_t)snprintf(out + o, PATTERN_MAX - o, "%s", part);
        }
        if (next && o + 1 < PATTERN_MAX)
            out[o++] = ':';
        out[o] = '\0';
    }
    return claim;
}

static int cmp_sample(const void *a, const void *b)
{
    const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
    return x->sample_bytes < y->sample_bytes ? 1 : x->sample_bytes > y->sample_bytes ? -1 : 0;
}

static int cmp_delta(const void *a, const void *b)
{
    const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
    long long dx = x->after - x->before, dy = y->after - y->before;
    return dx < dy ? 1 : dx > dy ? -1 : 0;
}

static char sample_ids[MAX_SAMPLE][64];
static int n_sample;

static void load_sample(const char *file, int want)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "mem_stats: cannot read %s\n", file);
        exit(1);
    }
    char **ids = NULL;
    size_t n = 0, cap = 0;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line || strlen(line) >= sizeof sample_ids[0])
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            ids = realloc(ids, cap * sizeof *ids);
            if (!ids)
                exit(1);
        }
        ids[n++] = strdup(line);
    }
    fclose(f);
    if (want > MAX_SAMPLE)
        want = MAX_SAMPLE;
    if ((size_t)want > n)
        want = (int)n;
    for (int i = 0; i < want; i++)
        snprintf(sample_ids[n_sample++], sizeof sample_ids[0], "%s",
                 ids[(size_t)((double)i * (double)n / want)]);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

/* SCANs every key; calls back with its name and MEMORY USAGE. */
static void scan_all(redisContext *c,
                     void (*fn)(const char *key, size_t len, long long bytes, void *), void *arg)
{
    char cursor[32] = "0";
    long long keys = 0;
    do {
        redisReply *r = redisCommand(c, "SCAN %s COUNT 1000", cursor);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            fprintf(stderr, "mem_stats: SCAN failed\n");
            exit(1);
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        const redisReply *names = r->element[1];
        for (size_t i = 0; i < names->elements; i++)
            redisAppendCommand(c, "MEMORY USAGE %b SAMPLES 0", names->element[i]->str,
                               (size_t)names->element[i]->len);
        for (size_t i = 0; i < names->elements; i++) {
            redisReply *m = NULL;
            if (redisGetReply(c, (void **)&m) != REDIS_OK) {
                fprintf(stderr, "mem_stats: MEMORY USAGE failed\n");
                exit(1);
            }
            /* A key gone meanwhile answers nil. */
            if (m->type == REDIS_REPLY_INTEGER)
                fn(names->element[i]->str, (size_t)names->element[i]->len, m->integer, arg);
            freeReplyObject(m);
            keys++;
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
}

static void on_save(const char *key, size_t len, long long bytes, void *arg)
{
    fprintf(arg, "%.*s\t%lld\n", (int)len, key, bytes);
}

static long long total_keys;

static void on_report(const char *key, size_t len, long long bytes, void *arg)
{
    (void)arg;
    char pattern[PATTERN_MAX];
    pattern_of(key, len, pattern);
    struct group *g = group_of(pattern);
    g->after += bytes;
    g->keys_after++;
    total_keys++;
    for (int i = 0; i < n_sample; i++) {
        if (memmem(key, len, sample_ids[i], strlen(sample_ids[i]))) {
            g->sample_bytes += bytes;
            g->sample_keys++;
            break;
        }
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: mem_stats --port P [--host H] --save FILE\n"
                    "       mem_stats --port P [--host H] --before FILE --claims N "
                    "[--sample-ids FILE] [--sample K]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *save = NULL, *before = NULL, *ids = NULL;
    int port = 0, sample = 20;
    long claims = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *v = argv[i + 1];
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(v);
        else if (strcmp(argv[i], "--host") == 0)
            host = v;
        else if (strcmp(argv[i], "--save") == 0)
            save = v;
        else if (strcmp(argv[i], "--before") == 0)
            before = v;
        else if (strcmp(argv[i], "--claims") == 0)
            claims = atol(v);
        else if (strcmp(argv[i], "--sample-ids") == 0)
            ids = v;
        else if (strcmp(argv[i], "--sample") == 0)
            sample = atoi(v);
        else
            usage();
    }
    if (port <= 0 || argc % 2 == 0 || (!save && !before) || (save && before) ||
        (before && claims <= 0))
        usage();
    redisContext *c = redisConnect(host, port);
    if (!c || c->err) {
        fprintf(stderr, "mem_stats: cannot connect to Redis\n");
        return 1;
    }
    if (save) {
        FILE *f = fopen(save, "w");
        if (!f) {
            fprintf(stderr, "mem_stats: cannot write %s\n", save);
            return 1;
        }
        scan_all(c, on_save, f);
        fclose(f);
        redisFree(c);
        return 0;
    }

    groups = calloc(n_groups_cap, sizeof *groups);
    if (!groups)
        return 1;
    FILE *f = fopen(before, "r");
    if (!f) {
        fprintf(stderr, "mem_stats: cannot read %s\n", before);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        char *tab = strrchr(line, '\t');
        if (!tab)
            continue;
        char pattern[PATTERN_MAX];
        pattern_of(line, (size_t)(tab - line), pattern);
        struct group *g = group_of(pattern);
        g->before += atoll(tab + 1);
        g->keys_before++;
    }
    free(line);
    fclose(f);
    if (ids)
        load_sample(ids, sample);
    scan_all(c, on_report, NULL);
    redisFree(c);

    struct group **list = malloc(n_groups * sizeof *list);
    if (!list)
        return 1;
    size_t k = 0;
    for (size_t i = 0; i < n_groups_cap; i++)
        if (groups[i].used)
            list[k++] = &groups[i];
    long long sample_bytes = 0, claim_delta = 0, shared_delta = 0;
    long sample_keys = 0;
    for (size_t i = 0; i < k; i++) {
        sample_bytes += list[i]->sample_bytes;
        sample_keys += list[i]->sample_keys;
        if (strstr(list[i]->pattern, "<claim>"))
            claim_delta += list[i]->after - list[i]->before;
        else
            shared_delta += list[i]->after - list[i]->before;
    }
    double ns = n_sample ? n_sample : 1;
    printf("RESULT keys=%lld claims=%ld sample=%d sample_keys_per_claim=%.1f "
           "sample_bytes_per_claim=%.0f claim_keys_bytes_per_claim=%.0f "
           "shared_bytes_per_claim=%.0f total_bytes_per_claim=%.0f\n",
           total_keys, claims, n_sample, (double)sample_keys / ns, (double)sample_bytes / ns,
           (double)claim_delta / (double)claims, (double)shared_delta / (double)claims,
           (double)(claim_delta + shared_delta) / (double)claims);
    qsort(list, k, sizeof *list, cmp_sample);
    for (size_t i = 0; i < k && list[i]->sample_keys; i++)
        printf("CLAIM %s keys_per_claim=%.2f bytes_per_claim=%.0f\n", list[i]->pattern,
               (double)list[i]->sample_keys / ns, (double)list[i]->sample_bytes / ns);
    qsort(list, k, sizeof *list, cmp_delta);
    for (size_t i = 0; i < k; i++) {
        long long d = list[i]->after - list[i]->before;
        if (strstr(list[i]->pattern, "<claim>") || (d < claims && d > -claims))
            continue;
        printf("SHARED %s keys=%ld delta_bytes=%lld bytes_per_claim=%.0f\n", list[i]->pattern,
               list[i]->keys_after, d, (double)d / (double)claims);
    }
    free(list);
    free(groups);
    return 0;
}
