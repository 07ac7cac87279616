/*
 * The Redis ceiling for the benchmark (bench/run.sh): how many claims per
 * second this Redis absorbs when it is given exactly the writes that one
 * claim's intake makes (queue/scripts.c, script "intake") and nothing else:
 * no HTTP, no parsing, no round-trip waits.
 *
 *   redis_ceiling [--host H] [--port P] [--db N] [--claims N] [--depth D]
 *                 [--connections C] [--members N] [--mode pipeline|lua]
 *
 * Per claim: INCR of the sequence; HSET of the claim hash (17 fields, one of
 * them a ~1 KB canonical claim JSON, one the history); XADD to the work
 * stream (claim id and five worker hints); ZADD to the SLA set and to the
 * all, member, status and family indexes; SET of the idempotency key with
 * EX; XADD to the audit stream; RPUSH to the claim's audit list; and the
 * script's EXISTS check of the new claim key: 12 commands.
 *
 * --mode pipeline sends them as plain commands, D claims per round trip.
 * --mode lua sends one EVALSHA per claim running the same 12 commands, D
 * claims per round trip: the shape claimsd uses, so the difference between
 * the two is the cost of the script layer itself.
 *
 * --connections C (default 1) sends D claims on each of C connections per
 * round: with appendfsync always Redis fsyncs once per event-loop turn and
 * reads at most 16 KB per connection per turn, so one deep pipeline gets
 * few claims per fsync while many connections share one, as claimsd's many
 * clients do.
 *
 * Works in its own database (--db, default 15), which it flushes before and
 * after: never point it at a database that holds data. Prints one line
 * "RESULT mode=... claims=N seconds=S claims_per_s=X bytes_per_claim=B",
 * the bytes being used_memory's growth over the run divided by N.
 */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMMANDS_PER_CLAIM 12
#define SUBMITTED_BYTES 1024

/* Redis's own script body for --mode lua. KEYS as the writes below;
 * ARGV 1 claim id, 2 member id, 3 submitted JSON, 4 history, 5 audit JSON,
 * 6 target day, 7 received day. */
static const char lua_body[] =
    "if redis.call('EXISTS', KEYS[2]) == 1 then return redis.error_reply('ERR id in use') end\n"
    "local seq = redis.call('INCR', KEYS[1]) % 2097152\n"
    "local score = tonumber(ARGV[7]) * 2097152 + seq\n"
    "redis.call('HSET', KEYS[2], 'score', score, 'id', ARGV[1], 'type', 'medical',\n"
    "  'member_id', ARGV[2], 'subscriber_id', ARGV[2], 'status', 'received',\n"
    "  'received', '2026-11-23', 'target', '2026-12-08', 'target_day', ARGV[6],\n"
    "  'by_token', 'tok-0001', 'by_role', 'provider', 'by_npi', '1234567893',\n"
    "  'created_at', '2026-11-23T10:14:35Z', 'group_hint', 'G100', 'plan_hint', 'PPO-500',\n"
    "  'years', '2026', 'submitted', ARGV[3], 'history', ARGV[4])\n"
    "redis.call('XADD', KEYS[3], '*', 'claim', ARGV[1], 'm', ARGV[2], 's', ARGV[2],\n"
    "  'g', 'G100', 'p', 'PPO-500', 'y', '2026')\n"
    "redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])\n"
    "redis.call('ZADD', KEYS[5], score, ARGV[1])\n"
    "redis.call('ZADD', KEYS[6], score, ARGV[1])\n"
    "redis.call('ZADD', KEYS[7], score, ARGV[1])\n"
    "redis.call('ZADD', KEYS[8], score, ARGV[1])\n"
    "redis.call('SET', KEYS[9], ARGV[1], 'EX', 86400)\n"
    "redis.call('XADD', KEYS[10], '*', 'claim_id', ARGV[1], 'record', ARGV[5])\n"
    "redis.call('RPUSH', KEYS[11], ARGV[5])\n"
    "return score\n";

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, redisContext *c)
{
    fprintf(stderr, "redis_ceiling: %s%s%s\n", what, c && c->err ? ": " : "",
            c && c->err ? c->errstr : "");
    exit(1);
}

static redisReply *command(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r)
        die("no answer", c);
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "redis_ceiling: %s\n", r->str);
        exit(1);
    }
    return r;
}

static long long used_memory(redisContext *c)
{
    redisReply *r = command(c, "INFO memory");
    const char *p = strstr(r->str, "used_memory:");
    long long v = p ? atoll(p + strlen("used_memory:")) : -1;
    freeReplyObject(r);
    return v;
}

/* A deterministic pseudo-random generator so that runs are comparable. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct claim_args {
    char id[40], member[32], family[32];
    char k_claim[96], k_member[96], k_family[96], k_idem[128], k_caudit[96];
};

static void make_claim(struct claim_args *a, long n, int members)
{
    uint64_t r = rng();
    snprintf(a->id, sizeof a->id, "%08lx-%04x-4%03x-8%03x-%012llx", (unsigned long)n,
             (unsigned)(r & 0xffff), (unsigned)((r >> 16) & 0xfff), (unsigned)((r >> 28) & 0xfff),
             (unsigned long long)((r >> 8) & 0xffffffffffffull));
    int m = (int)(r % (uint64_t)members);
    snprintf(a->family, sizeof a->family, "BM%05d", m / 3);
    snprintf(a->member, sizeof a->member, "BM%05d-%02d", m / 3, m % 3);
    snprintf(a->k_claim, sizeof a->k_claim, "bench:{c}claim:%s", a->id);
    snprintf(a->k_member, sizeof a->k_member, "bench:{c}idx:m:%s", a->member);
    snprintf(a->k_family, sizeof a->k_family, "bench:{c}idx:f:%s", a->family);
    snprintf(a->k_idem, sizeof a->k_idem, "bench:{c}idem:tok-0001:%016llx%016llx",
             (unsigned long long)rng(), (unsigned long long)rng());
    snprintf(a->k_caudit, sizeof a->k_caudit, "bench:{c}caudit:%s", a->id);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 6379, db = 15, depth = 64, members = 3500, n_conns = 1;
    long claims = 100000;
    const char *mode = "pipeline";
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "redis_ceiling: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--host") == 0)
            host = v;
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(v);
        else if (strcmp(argv[i], "--db") == 0)
            db = atoi(v);
        else if (strcmp(argv[i], "--claims") == 0)
            claims = atol(v);
        else if (strcmp(argv[i], "--depth") == 0)
            depth = atoi(v);
        else if (strcmp(argv[i], "--connections") == 0)
            n_conns = atoi(v);
        else if (strcmp(argv[i], "--members") == 0)
            members = atoi(v);
        else if (strcmp(argv[i], "--mode") == 0)
            mode = v;
        else {
            fprintf(stderr, "usage: redis_ceiling [--host H] [--port P] [--db N] [--claims N] "
                            "[--depth D] [--connections C] [--members N] [--mode pipeline|lua]\n");
            return 2;
        }
        i++;
    }
    int lua = strcmp(mode, "lua") == 0;
    if (!lua && strcmp(mode, "pipeline") != 0) {
        fprintf(stderr, "redis_ceiling: --mode must be pipeline or lua\n");
        return 2;
    }
    if (claims < 1 || depth < 1 || members < 3 || n_conns < 1 || n_conns > 1024) {
        fprintf(stderr, "redis_ceiling: --claims, --depth, --connections and --members must be "
                        "positive\n");
        return 2;
    }
    redisContext **conns = calloc((size_t)n_conns, sizeof *conns);
    if (!conns)
        die("out of memory", NULL);
    for (int i = 0; i < n_conns; i++) {
        conns[i] = redisConnect(host, port);
        if (!conns[i] || conns[i]->err)
            die("cannot connect", conns[i]);
        freeReplyObject(command(conns[i], "SELECT %d", db));
    }
    redisContext *c = conns[0];
    freeReplyObject(command(c, "FLUSHDB"));
    char sha[41] = "";
    if (lua) {
        redisReply *r = command(c, "SCRIPT LOAD %s", lua_body);
        snprintf(sha, sizeof sha, "%s", r->str);
        freeReplyObject(r);
    }

    /* The canonical claim JSON and history the server stores, ~1 KB. */
    char submitted[SUBMITTED_BYTES + 1];
    const char *head =
        "{\"type\":\"medical\",\"member_id\":\"BM00001-01\",\"patient\":{\"first_name\":"
        "\"Ana\",\"last_name\":\"Lopez\",\"birth_date\":\"2001-05-10\"},\"lines\":[";
    size_t off = (size_t)snprintf(submitted, sizeof submitted, "%s", head);
    while (off + 120 < SUBMITTED_BYTES)
        off += (size_t)snprintf(submitted + off, sizeof submitted - off,
                                "{\"service_date\":\"2026-11-02\",\"procedure_code\":\"99213\","
                                "\"modifiers\":[],\"units\":1,\"charge\":150.00},");
    snprintf(submitted + off, sizeof submitted - off, "{}]}");
    const char *history = "[{\"at\":\"2026-11-23T10:14:35Z\",\"status\":\"received\"}]";
    const char *audit = "{\"at\":\"2026-11-23T10:14:35Z\",\"token_id\":\"tok-0001\",\"role\":"
                        "\"provider\",\"action\":\"claim.submit\",\"request_id\":"
                        "\"0f6c3f7e-7a43-4bd4-9f0e-6f3d8a1c2b3d\",\"from\":\"127.0.0.1\"}";
    const int received_day = 20780, target_day = 20795;

    long long mem_before = used_memory(c);
    double t0 = now_seconds();
    struct claim_args *batch = calloc((size_t)depth * (size_t)n_conns, sizeof *batch);
    int *replies = calloc((size_t)n_conns, sizeof *replies);
    if (!batch || !replies)
        die("out of memory", NULL);
    long seq = 0;
    for (long done = 0; done < claims;) {
        long round = (long)depth * n_conns;
        int n = (int)(claims - done < round ? claims - done : round);
        memset(replies, 0, (size_t)n_conns * sizeof *replies);
        for (int i = 0; i < n; i++) {
            struct claim_args *a = &batch[i];
            int ci = i / depth;
            c = conns[ci];
            make_claim(a, done + i, members);
            char score[32], target[16], received[16];
            seq++;
            snprintf(score, sizeof score, "%lld", (long long)received_day * 2097152 + seq);
            snprintf(target, sizeof target, "%d", target_day);
            snprintf(received, sizeof received, "%d", received_day);
            if (lua) {
                redisAppendCommand(c,
                                   "EVALSHA %s 11 bench:{c}seq %s bench:{c}work bench:{c}sla "
                                   "bench:{c}idx:all %s bench:{c}idx:s:received %s %s "
                                   "bench:{c}audit %s %s %s %s %s %s %s %s",
                                   sha, a->k_claim, a->k_member, a->k_family, a->k_idem,
                                   a->k_caudit, a->id, a->member, submitted, history, audit, target,
                                   received);
                replies[ci]++;
                continue;
            }
            redisAppendCommand(c, "INCR bench:{c}seq");
            redisAppendCommand(
                c,
                "HSET %s score %s id %s type medical member_id %s subscriber_id %s status "
                "received received 2026-11-23 target 2026-12-08 target_day %s by_token tok-0001 "
                "by_role provider by_npi 1234567893 created_at 2026-11-23T10:14:35Z group_hint "
                "G100 plan_hint PPO-500 years 2026 submitted %s history %s",
                a->k_claim, score, a->id, a->member, a->family, target, submitted, history);
            redisAppendCommand(c, "XADD bench:{c}work * claim %s m %s s %s g G100 p PPO-500 y 2026",
                               a->id, a->member, a->family);
            redisAppendCommand(c, "ZADD bench:{c}sla %s %s", target, a->id);
            redisAppendCommand(c, "ZADD bench:{c}idx:all %s %s", score, a->id);
            redisAppendCommand(c, "ZADD %s %s %s", a->k_member, score, a->id);
            redisAppendCommand(c, "ZADD bench:{c}idx:s:received %s %s", score, a->id);
            redisAppendCommand(c, "ZADD %s %s %s", a->k_family, score, a->id);
            redisAppendCommand(c, "SET %s %s EX 86400", a->k_idem, a->id);
            redisAppendCommand(c, "XADD bench:{c}audit * claim_id %s record %s", a->id, audit);
            redisAppendCommand(c, "RPUSH %s %s", a->k_caudit, audit);
            /* The script's EXISTS check of the new claim key, a read. */
            redisAppendCommand(c, "EXISTS %s", a->k_claim);
            replies[ci] += COMMANDS_PER_CLAIM;
        }
        /* Everything is sent before any answer is read. */
        for (int ci = 0; ci < n_conns; ci++) {
            int wdone = 0;
            while (!wdone)
                if (redisBufferWrite(conns[ci], &wdone) != REDIS_OK)
                    die("cannot send", conns[ci]);
        }
        for (int ci = 0; ci < n_conns; ci++) {
            for (int i = 0; i < replies[ci]; i++) {
                redisReply *r = NULL;
                if (redisGetReply(conns[ci], (void **)&r) != REDIS_OK || !r)
                    die("no answer", conns[ci]);
                if (r->type == REDIS_REPLY_ERROR) {
                    fprintf(stderr, "redis_ceiling: %s\n", r->str);
                    return 1;
                }
                freeReplyObject(r);
            }
        }
        done += n;
    }
    double seconds = now_seconds() - t0;
    c = conns[0];
    long long mem_after = used_memory(c);
    printf("RESULT mode=%s connections=%d claims=%ld seconds=%.3f claims_per_s=%.0f "
           "bytes_per_claim=%.0f "
           "commands_per_claim=%d\n",
           mode, n_conns, claims, seconds, (double)claims / seconds,
           (double)(mem_after - mem_before) / (double)claims, COMMANDS_PER_CLAIM);
    freeReplyObject(command(c, "FLUSHDB"));
    free(batch);
    free(replies);
    for (int i = 0; i < n_conns; i++)
        redisFree(conns[i]);
    free(conns);
    return 0;
}
