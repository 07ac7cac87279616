/*
 * A local Redis Cluster for tests (tests/harness/harness.h "Redis Cluster"):
 * redis-server nodes with --cluster-enabled yes on free ports, joined by
 * redis-cli --cluster create. Used by tests/test_cluster_route.c and
 * tests/cluster/.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "queue/cluster.h"

/* The folder of the running cluster, removed at exit also when a check
 * fails (the nodes die with the test: PR_SET_PDEATHSIG). */
static char cluster_dir_at_exit[256];

static void cluster_remove_dir(void)
{
    if (cluster_dir_at_exit[0])
        test_remove_tree(cluster_dir_at_exit);
}

/* Runs argv with its output in <dir>/<log>; dies with the test. */
static pid_t cluster_spawn(const char *const argv[], const char *dir, const char *log)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, log);
    return test_spawn(argv, NULL, path, false);
}

static bool port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* A port for a cluster node: its bus port (10,000 higher) must be free too.
 * Both are taken below the kernel's ephemeral range (where the single-node
 * tests' ports and every outgoing connection's port come from), so neither
 * is likely to be taken between this check and the node's bind. */
static int cluster_free_port(void)
{
    int low = 32768, high = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d %d", &low, &high) != 2)
            low = 32768;
        fclose(f);
    }
    int first = 20000, span = low - 10000 - first; /* bus port below low */
    if (span < 1000) {                             /* an unusual range: anywhere */
        first = 1024;
        span = 65535 - 10000 - first;
    }
    for (int t = 0; t < 1000; t++) {
        int port = first + (int)(random() % span);
        if (port_free(port) && port_free(port + 10000))
            return port;
    }
    ck_abort_msg("no free port pair for a cluster node");
    return -1;
}

static redisContext *cluster_connect(int port)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    ck_assert_msg(c && !c->err, "cannot connect to port %d", port);
    return c;
}

/* A command on node i; the reply as text (status, string, or error with a
 * leading '-'), or its integer. */
void test_cluster_cmd(const struct test_cluster *rc, int i, char *out, size_t size, const char *fmt,
                      ...)
{
    redisContext *c = cluster_connect(rc->port[i]);
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    ck_assert_ptr_nonnull(r);
    if (r->type == REDIS_REPLY_INTEGER)
        snprintf(out, size, "%lld", r->integer);
    else if (r->type == REDIS_REPLY_ERROR)
        snprintf(out, size, "-%s", r->str);
    else if (r->str)
        snprintf(out, size, "%s", r->str);
    else
        snprintf(out, size, "(type %d)", r->type);
    freeReplyObject(r);
    redisFree(c);
}

static bool cluster_state_ok(const struct test_cluster *rc, int i)
{
    char info[4096];
    test_cluster_cmd(rc, i, info, sizeof info, "CLUSTER INFO");
    return strstr(info, "cluster_state:ok") != NULL;
}

/* "master_link_status:up" is not yet enough for WAIT: just after its first
 * synchronisation a replica may acknowledge nothing for about a second (3
 * of 10 starts had one master whose WAIT 1 answered 0 for 960-1000 ms; CI
 * failed on it once, test_cluster_acks's first claim answered 503). So a
 * write to each master is acknowledged by its replica before the cluster
 * is handed to a test, and a test's replica_acks timeout measures claimsd,
 * not the end of the replicas' first synchronisation. */
static void replicas_acknowledge(const struct test_cluster *rc)
{
    for (int m = 0; m < TEST_CLUSTER_MASTERS; m++) {
        char key[32];
        for (int n = 0;; n++) {
            snprintf(key, sizeof key, "acks-probe-%d", n);
            int slot = queue_cluster_key_slot(key, strlen(key));
            if (test_cluster_master_of_slot(rc, slot) == m)
                break;
        }
        redisContext *c = cluster_connect(rc->port[m]);
        redisReply *r = redisCommand(c, "SET %s 1", key);
        ck_assert_msg(r && r->type == REDIS_REPLY_STATUS, "SET on master %d", m);
        freeReplyObject(r);
        long long acked = 0;
        for (int t = 0; t < 100 && acked < 1; t++) {
            r = redisCommand(c, "WAIT 1 100");
            ck_assert_msg(r && r->type == REDIS_REPLY_INTEGER, "WAIT on master %d", m);
            acked = r->integer;
            freeReplyObject(r);
        }
        ck_assert_msg(acked >= 1, "the replica of master %d acknowledged no write in 10 s", m);
        r = redisCommand(c, "DEL %s", key);
        freeReplyObject(r);
        redisFree(c);
    }
}

/* Starts node i on a free port: true once it answers PING, false when it
 * exited first (its port taken meanwhile) or did not answer in 10 s. */
static bool node_start(struct test_cluster *rc, int i)
{
    rc->port[i] = cluster_free_port();
    char port[16], conf[64];
    snprintf(port, sizeof port, "%d", rc->port[i]);
    snprintf(conf, sizeof conf, "nodes-%d.conf", rc->port[i]);
    const char *argv[] = {"redis-server",
                          "--port",
                          port,
                          "--bind",
                          "127.0.0.1",
                          "--dir",
                          rc->dir,
                          "--cluster-enabled",
                          "yes",
                          "--cluster-config-file",
                          conf,
                          "--cluster-node-timeout",
                          "1000",
                          "--save",
                          "",
                          "--appendonly",
                          "no",
                          "--daemonize",
                          "no",
                          NULL};
    rc->pid[i] = cluster_spawn(argv, rc->dir, "redis.out");
    for (int t = 0; t < 400; t++) {
        if (test_redis_pings(rc->port[i], 200))
            return true;
        if (waitpid(rc->pid[i], NULL, WNOHANG) == rc->pid[i]) {
            rc->pid[i] = 0;
            return false;
        }
        test_sleep_ms(25);
    }
    kill(rc->pid[i], SIGKILL);
    waitpid(rc->pid[i], NULL, 0);
    rc->pid[i] = 0;
    return false;
}

/* Three masters made by redis-cli --cluster create (slots 0-5460,
 * 5461-10922, 10923-16383 in port order), with a replica each when asked. */
void test_cluster_start(struct test_cluster *rc, bool replicas)
{
    memset(rc, 0, sizeof *rc);
    rc->n = replicas ? TEST_CLUSTER_NODES : TEST_CLUSTER_MASTERS;
    srandom((unsigned)getpid());
    test_make_temp_dir(rc->dir, "cluster");
    snprintf(cluster_dir_at_exit, sizeof cluster_dir_at_exit, "%s", rc->dir);
    atexit(cluster_remove_dir);
    for (int i = 0; i < rc->n; i++) {
        /* A port found free can be taken before the node binds it: the
         * node then exits, and is started again on another. */
        bool up = false;
        for (int attempt = 0; attempt < 5 && !up; attempt++)
            up = node_start(rc, i);
        ck_assert_msg(up, "redis-server on %d did not start", rc->port[i]);
        test_cluster_cmd(rc, i, rc->id[i], sizeof rc->id[i], "CLUSTER MYID");
    }
    char addr[TEST_CLUSTER_NODES][32];
    const char *create[TEST_CLUSTER_NODES + 8] = {"redis-cli", "--cluster", "create"};
    int argc = 3;
    for (int i = 0; i < rc->n; i++) {
        snprintf(addr[i], sizeof addr[i], "127.0.0.1:%d", rc->port[i]);
        create[argc++] = addr[i];
    }
    if (replicas) {
        create[argc++] = "--cluster-replicas";
        create[argc++] = "1";
    }
    create[argc++] = "--cluster-yes";
    create[argc] = NULL;
    pid_t cli = cluster_spawn(create, rc->dir, "create.out");
    int st;
    ck_assert_int_eq(waitpid(cli, &st, 0), cli);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "redis-cli --cluster create failed");
    for (int t = 0; t < 600; t++) {
        bool ok = true;
        for (int i = 0; i < rc->n; i++)
            ok = ok && cluster_state_ok(rc, i);
        /* Replicas in sync with their masters. */
        for (int i = TEST_CLUSTER_MASTERS; ok && i < rc->n; i++) {
            char info[4096];
            test_cluster_cmd(rc, i, info, sizeof info, "INFO replication");
            ok = strstr(info, "master_link_status:up") != NULL;
        }
        if (ok) {
            if (replicas)
                replicas_acknowledge(rc);
            return;
        }
        test_sleep_ms(50);
    }
    ck_abort_msg("the cluster did not reach cluster_state:ok");
}

int test_cluster_index_of_port(const struct test_cluster *rc, int port)
{
    for (int i = 0; i < rc->n; i++)
        if (rc->port[i] == port)
            return i;
    ck_abort_msg("no node on port %d", port);
    return -1;
}

/* The node that replicates master m (CLUSTER REPLICAS: "id ip:port@bus ..."). */
int test_cluster_replica_of(const struct test_cluster *rc, int m)
{
    redisContext *c = cluster_connect(rc->port[m]);
    redisReply *r = redisCommand(c, "CLUSTER REPLICAS %s", rc->id[m]);
    ck_assert_msg(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1,
                  "master %d has no single replica", m);
    const char *colon = strchr(r->element[0]->str, ':');
    ck_assert_ptr_nonnull(colon);
    int port = atoi(colon + 1);
    freeReplyObject(r);
    redisFree(c);
    return test_cluster_index_of_port(rc, port);
}

void test_cluster_stop(struct test_cluster *rc)
{
    for (int i = 0; i < rc->n; i++) {
        if (rc->pid[i] > 0) {
            kill(rc->pid[i], SIGKILL);
            waitpid(rc->pid[i], NULL, 0);
        }
    }
    test_remove_tree(rc->dir);
    cluster_dir_at_exit[0] = '\0';
}

void test_cluster_seeds(const struct test_cluster *rc, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < rc->n && used < size; i++)
        if (rc->pid[i] > 0)
            used += (size_t)snprintf(out + used, size - used, "%s127.0.0.1:%d", used ? "," : "",
                                     rc->port[i]);
}

int test_cluster_master_of_slot(const struct test_cluster *rc, int slot)
{
    for (int i = 0; i < rc->n; i++) {
        if (rc->pid[i] <= 0)
            continue;
        redisContext *c = cluster_connect(rc->port[i]);
        redisReply *r = redisCommand(c, "CLUSTER SLOTS");
        int port = -1;
        for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k < r->elements; k++) {
            const redisReply *range = r->element[k];
            if (range->elements >= 3 && slot >= range->element[0]->integer &&
                slot <= range->element[1]->integer)
                port = (int)range->element[2]->element[1]->integer;
        }
        if (r)
            freeReplyObject(r);
        redisFree(c);
        if (port > 0)
            return test_cluster_index_of_port(rc, port);
    }
    ck_abort_msg("no node knows the master of slot %d", slot);
    return -1;
}

void test_cluster_on_key_master(const struct test_cluster *rc, const char *key, char *out,
                                size_t size, const char *fmt, const char *arg)
{
    int m = test_cluster_master_of_slot(rc, queue_cluster_key_slot(key, strlen(key)));
    test_cluster_cmd(rc, m, out, size, fmt, key, arg);
}

void test_claimsd_start_on_cluster(struct test_claimsd *d, const char *seeds, const char *config,
                                   const char *const extra[], const char *const env[])
{
    const char *args[16] = {"--redis-cluster", seeds, "--config", config};
    int n = 4;
    for (const char *const *a = extra; a && *a; a++) {
        ck_assert_int_lt(n, 14);
        args[n++] = *a;
    }
    args[n] = NULL;
    memset(d, 0, sizeof *d);
    test_claimsd_start_or_exit(d, args, env, " on the cluster");
}

redisContext *test_cluster_connect(const struct test_cluster *rc, int i)
{
    ck_assert_msg(rc->pid[i] > 0, "node %d is not running", i);
    return cluster_connect(rc->port[i]);
}

void test_cluster_kill(struct test_cluster *rc, int i)
{
    ck_assert_msg(rc->pid[i] > 0, "node %d is not running", i);
    kill(rc->pid[i], SIGKILL);
    waitpid(rc->pid[i], NULL, 0);
    rc->pid[i] = -1;
}

bool test_cluster_wait_ok(const struct test_cluster *rc, int timeout_ms)
{
    for (int waited = 0;; waited += 50) {
        bool ok = true;
        for (int i = 0; i < rc->n && ok; i++)
            ok = rc->pid[i] <= 0 || cluster_state_ok(rc, i);
        if (ok)
            return true;
        if (waited >= timeout_ms)
            return false;
        test_sleep_ms(50);
    }
}

int test_cluster_slots_of(const struct test_cluster *rc, int m, int upto, int *at_most_upto,
                          int *lowest)
{
    int any = 0;
    while (any < rc->n && rc->pid[any] <= 0)
        any++;
    ck_assert_int_lt(any, rc->n);
    redisContext *c = cluster_connect(rc->port[any]);
    redisReply *r = redisCommand(c, "CLUSTER SLOTS");
    ck_assert_msg(r && r->type == REDIS_REPLY_ARRAY, "no CLUSTER SLOTS answer");
    int total = 0, below = 0, low = -1;
    for (size_t k = 0; k < r->elements; k++) {
        const redisReply *range = r->element[k];
        if (range->elements < 3 || (int)range->element[2]->element[1]->integer != rc->port[m])
            continue;
        long long from = range->element[0]->integer, to = range->element[1]->integer;
        total += (int)(to - from + 1);
        if (low < 0 || from < low)
            low = (int)from;
        if (from <= upto)
            below += (int)((to < upto ? to : upto) - from + 1);
    }
    freeReplyObject(r);
    redisFree(c);
    if (at_most_upto)
        *at_most_upto = below;
    if (lowest)
        *lowest = low;
    return total;
}

int test_cluster_reshard(const struct test_cluster *rc, int from, int to, int slots, int pipeline)
{
    char entry[32], count[16], keys[16];
    snprintf(entry, sizeof entry, "127.0.0.1:%d", rc->port[to]);
    snprintf(count, sizeof count, "%d", slots);
    snprintf(keys, sizeof keys, "%d", pipeline > 0 ? pipeline : 10);
    const char *argv[] = {
        "redis-cli",     "--cluster", "reshard",         entry, "--cluster-from",     rc->id[from],
        "--cluster-to",  rc->id[to],  "--cluster-slots", count, "--cluster-pipeline", keys,
        "--cluster-yes", NULL};
    pid_t cli = cluster_spawn(argv, rc->dir, "reshard.out");
    int st;
    ck_assert_int_eq(waitpid(cli, &st, 0), cli);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *test_cluster_file_tail(const struct test_cluster *rc, const char *name, size_t max)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", rc->dir, name);
    char *out = calloc(1, max + 1);
    ck_assert_ptr_nonnull(out);
    FILE *f = fopen(path, "r");
    if (!f)
        return out;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > (long)max ? size - (long)max : 0, SEEK_SET);
    size_t n = fread(out, 1, max, f);
    out[n] = '\0';
    fclose(f);
    return out;
}
