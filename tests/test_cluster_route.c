/*
 * queue/cluster.c: key slots (CRC16 XMODEM and hash tags, per the Redis
 * Cluster specification), the slot map from CLUSTER SLOTS, the reading of
 * MOVED/ASK/TRYAGAIN/CLUSTERDOWN, and the router's behaviour against
 * scripted fake nodes: tiny TCP servers in this test speaking RESP that
 * answer each command as the test says and log what they received.
 *
 * The expected slots of test_key_slots_match_redis were printed by
 * redis-server 7.0.15 (CLUSTER KEYSLOT), not computed by this code.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <check.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "harness/harness.h"

/* How much earlier than asked a backoff may end, measured from outside:
 * libevent times a timer from the loop's cached clock, read when the loop
 * woke, so a wait added later in that turn ends early by that much (56 ms
 * for 20 + 40 and 109 for 110 were seen under a load average of 11). */
#define BACKOFF_SLACK_MS 10
#include "log.h"
#include "queue/cluster.h"
#include "queue/cluster_sync.h"

/* ---- pure parts ---- */

START_TEST(test_crc16_specification_vector)
{
    ck_assert_uint_eq(queue_cluster_crc16("123456789", 9), 0x31C3);
    ck_assert_uint_eq(queue_cluster_crc16("", 0), 0);
}
END_TEST

START_TEST(test_key_slots_match_redis)
{
    static const struct {
        const char *key;
        int slot;
    } cases[] = {
        {"123456789", 12739}, /* 0x31C3 */
        {"foo", 12182},
        {"bar", 5061},
        {"user1000", 3443},
        {"{user1000}.following", 3443}, /* the tag */
        {"foo{}{bar}", 8363},           /* empty tag: the whole key */
        {"foo{{bar}}zap", 4015},        /* tag "{bar" */
        {"{bar", 4015},
        {"foo{bar}{zap}", 5061}, /* first tag only: "bar" */
        {"", 0},
        {"{}", 15257},   /* empty tag: the whole key */
        {"a{b", 13340},  /* no '}': the whole key */
        {"}{a}", 15495}, /* a '}' before the '{' does not count */
        {"{a}}", 15495},
        {"{f:S100}claim:x", 14093},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        ck_assert_msg(queue_cluster_key_slot(cases[i].key, strlen(cases[i].key)) == cases[i].slot,
                      "%s: slot %d, want %d", cases[i].key,
                      queue_cluster_key_slot(cases[i].key, strlen(cases[i].key)), cases[i].slot);
}
END_TEST

START_TEST(test_hash_tag_rules_of_the_specification)
{
#define SLOT(s) queue_cluster_key_slot(s, strlen(s))
    ck_assert_int_eq(SLOT("{user1000}.following"), SLOT("user1000"));
    ck_assert_int_eq(SLOT("{user1000}.followers"), SLOT("user1000"));
    ck_assert_int_eq(queue_cluster_key_slot("foo{}{bar}", 10),
                     queue_cluster_crc16("foo{}{bar}", 10) & 16383);
    ck_assert_int_eq(SLOT("foo{{bar}}zap"), SLOT("{bar"));
    ck_assert_int_eq(SLOT("foo{bar}{zap}"), SLOT("bar"));
    /* Binary keys: the length counts, not a NUL. */
    ck_assert_int_eq(queue_cluster_key_slot("a\0{b}", 5), SLOT("b"));
    ck_assert_int_eq(queue_cluster_key_slot("{b}", 2), SLOT("{b")); /* "}" beyond len */
#undef SLOT
}
END_TEST

START_TEST(test_endpoint_parse)
{
    struct cluster_endpoint ep;
    ck_assert_int_eq(queue_cluster_endpoint_parse("127.0.0.1:6381", 14, "h", &ep), 0);
    ck_assert_str_eq(ep.host, "127.0.0.1");
    ck_assert_int_eq(ep.port, 6381);
    ck_assert_int_eq(queue_cluster_endpoint_parse("::1:7000", 8, "h", &ep), 0);
    ck_assert_str_eq(ep.host, "::1");
    ck_assert_int_eq(ep.port, 7000);
    /* Empty host: the node that answered. */
    ck_assert_int_eq(queue_cluster_endpoint_parse(":6380", 5, "10.0.0.9", &ep), 0);
    ck_assert_str_eq(ep.host, "10.0.0.9");
    ck_assert_int_eq(ep.port, 6380);
    ck_assert_int_eq(queue_cluster_endpoint_parse("h:1", 3, NULL, &ep), 0);
    ck_assert_int_eq(ep.port, 1);
    ck_assert_int_eq(queue_cluster_endpoint_parse("h:65535", 7, NULL, &ep), 0);
    ck_assert_int_eq(ep.port, 65535);
    static const char *bad[] = {"h:0", "h:65536", "h:", "h", "h:12a", ":6380", "h:123456"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(queue_cluster_endpoint_parse(bad[i], strlen(bad[i]), NULL, &ep) == -1, "%s",
                      bad[i]);
}
END_TEST

/* A reply as hiredis would hand it over, from RESP text. */
static redisReply *resp(const char *text)
{
    redisReader *r = redisReaderCreate();
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(redisReaderFeed(r, text, strlen(text)), REDIS_OK);
    void *reply = NULL;
    ck_assert_int_eq(redisReaderGetReply(r, &reply), REDIS_OK);
    ck_assert_ptr_nonnull(reply);
    redisReaderFree(r);
    return reply;
}

/* One CLUSTER SLOTS range in RESP: start, end, master, one replica, with
 * Redis 7's fourth field (a map, empty here) on each node. */
static void slots_range(char *buf, size_t size, int start, int end, const char *host, int port,
                        int replica_port)
{
    snprintf(buf, size,
             "*4\r\n:%d\r\n:%d\r\n"
             "*4\r\n$%zu\r\n%s\r\n:%d\r\n$40\r\n%040d\r\n*0\r\n"
             "*4\r\n$%zu\r\n%s\r\n:%d\r\n$40\r\n%040d\r\n*0\r\n",
             start, end, strlen(host), host, port, port, strlen(host), host, replica_port,
             replica_port);
}

START_TEST(test_slot_map_from_cluster_slots)
{
    char a[512], b[512], c[512], text[2048];
    slots_range(a, sizeof a, 0, 5460, "127.0.0.1", 7001, 7004);
    slots_range(b, sizeof b, 5461, 10922, "127.0.0.1", 7002, 7005);
    slots_range(c, sizeof c, 10924, 16383, "", 7003, 7006); /* unknown endpoint */
    snprintf(text, sizeof text, "*3\r\n%s%s%s", a, b, c);
    redisReply *r = resp(text);
    struct cluster_slot_map *map = malloc(sizeof *map);
    ck_assert_int_eq(queue_cluster_slot_map_parse(r, "10.1.1.1", map), 0);
    ck_assert_int_eq(map->n_masters, 3);
    ck_assert_str_eq(map->masters[0].host, "127.0.0.1");
    ck_assert_int_eq(map->masters[0].port, 7001);
    ck_assert_int_eq(map->masters[1].port, 7002);
    ck_assert_str_eq(map->masters[2].host, "10.1.1.1");
    ck_assert_int_eq(map->masters[2].port, 7003);
    ck_assert_int_eq(map->owner[0], 0);
    ck_assert_int_eq(map->owner[5460], 0);
    ck_assert_int_eq(map->owner[5461], 1);
    ck_assert_int_eq(map->owner[10922], 1);
    ck_assert_int_eq(map->owner[10923], -1); /* no master: a gap */
    ck_assert_int_eq(map->owner[10924], 2);
    ck_assert_int_eq(map->owner[16383], 2);
    freeReplyObject(r);

    /* Two ranges of one master: one entry. */
    slots_range(a, sizeof a, 0, 99, "h", 7001, 7004);
    slots_range(b, sizeof b, 200, 299, "h", 7001, 7004);
    snprintf(text, sizeof text, "*2\r\n%s%s", a, b);
    r = resp(text);
    ck_assert_int_eq(queue_cluster_slot_map_parse(r, "x", map), 0);
    ck_assert_int_eq(map->n_masters, 1);
    ck_assert_int_eq(map->owner[99], 0);
    ck_assert_int_eq(map->owner[100], -1);
    ck_assert_int_eq(map->owner[200], 0);
    freeReplyObject(r);

    /* An empty cluster: no masters, nothing fails. */
    r = resp("*0\r\n");
    ck_assert_int_eq(queue_cluster_slot_map_parse(r, "x", map), 0);
    ck_assert_int_eq(map->n_masters, 0);
    ck_assert_int_eq(map->owner[0], -1);
    freeReplyObject(r);
    free(map);
}
END_TEST

START_TEST(test_slot_map_refuses_malformed_replies)
{
    static const char *bad[] = {
        "-ERR This instance has cluster support disabled\r\n",
        "$3\r\nfoo\r\n",
        "*1\r\n*2\r\n:0\r\n:10\r\n",                               /* no node */
        "*1\r\n*3\r\n:10\r\n:9\r\n*2\r\n$1\r\nh\r\n:7001\r\n",     /* end < start */
        "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:7001\r\n",  /* slot 16384 */
        "*1\r\n*3\r\n:-1\r\n:5\r\n*2\r\n$1\r\nh\r\n:7001\r\n",     /* slot -1 */
        "*1\r\n*3\r\n:0\r\n:5\r\n*1\r\n$1\r\nh\r\n",               /* no port */
        "*1\r\n*3\r\n:0\r\n:5\r\n*2\r\n$1\r\nh\r\n:0\r\n",         /* port 0 */
        "*1\r\n*3\r\n:0\r\n:5\r\n*2\r\n:1\r\n:7001\r\n",           /* host not a string */
        "*1\r\n*3\r\n$1\r\n0\r\n:5\r\n*2\r\n$1\r\nh\r\n:7001\r\n", /* start not a number */
    };
    struct cluster_slot_map *map = malloc(sizeof *map);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        redisReply *r = resp(bad[i]);
        ck_assert_msg(queue_cluster_slot_map_parse(r, "x", map) == -1, "case %zu accepted", i);
        ck_assert_int_eq(map->n_masters, 0);
        ck_assert_int_eq(map->owner[0], -1);
        freeReplyObject(r);
    }
    /* The limit side: slot 16383 and port 65535 are fine. */
    redisReply *r = resp("*1\r\n*3\r\n:16383\r\n:16383\r\n*2\r\n$1\r\nh\r\n:65535\r\n");
    ck_assert_int_eq(queue_cluster_slot_map_parse(r, "x", map), 0);
    ck_assert_int_eq(map->owner[16383], 0);
    ck_assert_int_eq(map->masters[0].port, 65535);
    freeReplyObject(r);
    free(map);
}
END_TEST

START_TEST(test_reply_classification)
{
    struct cluster_redirect to;
    static const struct {
        const char *text;
        enum cluster_reply_kind kind;
        int slot;
        const char *host;
        int port;
    } cases[] = {
        {"-MOVED 3999 127.0.0.1:6381\r\n", CLUSTER_REPLY_MOVED, 3999, "127.0.0.1", 6381},
        {"-MOVED 0 h:1\r\n", CLUSTER_REPLY_MOVED, 0, "h", 1},
        {"-MOVED 16383 h:7000\r\n", CLUSTER_REPLY_MOVED, 16383, "h", 7000},
        {"-MOVED 3999 :6380\r\n", CLUSTER_REPLY_MOVED, 3999, "answerer", 6380},
        {"-ASK 3999 127.0.0.1:6381\r\n", CLUSTER_REPLY_ASK, 3999, "127.0.0.1", 6381},
        {"-ASK 12 ::1:7002\r\n", CLUSTER_REPLY_ASK, 12, "::1", 7002},
        {"-TRYAGAIN Multiple keys request during rehashing of slot\r\n", CLUSTER_REPLY_TRYAGAIN, 0,
         NULL, 0},
        {"-CLUSTERDOWN The cluster is down\r\n", CLUSTER_REPLY_CLUSTERDOWN, 0, NULL, 0},
        {"-CLUSTERDOWN Hash slot not served\r\n", CLUSTER_REPLY_CLUSTERDOWN, 0, NULL, 0},
        /* Malformed or other: the caller sees the error itself. */
        {"-MOVED 16384 h:7000\r\n", CLUSTER_REPLY_PLAIN, 0, NULL, 0},
        {"-MOVED 3999\r\n", CLUSTER_REPLY_PLAIN, 0, NULL, 0},
        {"-MOVED x h:1\r\n", CLUSTER_REPLY_PLAIN, 0, NULL, 0},
        {"-MOVED 1 h:1 extra\r\n", CLUSTER_REPLY_PLAIN, 0, NULL, 0},
        {"-MOVEDX 1 h:1\r\n", CLUSTER_REPLY_PLAIN, 0, NULL, 0},
        {"-ASKING 1 h:1\r\n", CLUSTER_REPLY_PLAIN, 0, NULL, 0},
        {"-ERR wrong number of arguments\r\n", CLUSTER_REPLY_PLAIN, 0, NULL, 0},
        {"+MOVED 1 h:1\r\n", CLUSTER_REPLY_PLAIN, 0, NULL, 0}, /* a status, not an error */
        {"$5\r\nMOVED\r\n", CLUSTER_REPLY_PLAIN, 0, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        redisReply *r = resp(cases[i].text);
        memset(&to, 0, sizeof to);
        enum cluster_reply_kind kind = queue_cluster_reply_classify(r, "answerer", &to);
        ck_assert_msg(kind == cases[i].kind, "%s: kind %d, want %d", cases[i].text, kind,
                      cases[i].kind);
        if (cases[i].host) {
            ck_assert_int_eq(to.slot, cases[i].slot);
            ck_assert_str_eq(to.to.host, cases[i].host);
            ck_assert_int_eq(to.to.port, cases[i].port);
        }
        freeReplyObject(r);
    }
    ck_assert_int_eq(queue_cluster_reply_classify(NULL, "x", &to), CLUSTER_REPLY_PLAIN);
}
END_TEST

/* Commands as the code sends them, routed without naming the key. */
START_TEST(test_command_slot_finds_the_keys)
{
    static const struct {
        const char *line; /* arguments split at spaces */
        int slot;
    } cases[] = {
        {"GET foo", 12182},
        {"hset bar f v", 5061},
        {"XADD {foo}work * claim x", 12182},
        {"EVALSHA 0123456789abcdef0123456789abcdef01234567 2 {foo}a {foo}b arg1 arg2", 12182},
        {"EVAL body 1 bar foo", 5061}, /* "foo" is an ARGV here */
        {"EVALSHA sha 2 foo bar", CLUSTER_SLOT_CROSSSLOT},
        {"EVALSHA sha 0", CLUSTER_SLOT_NO_KEY},
        {"EVALSHA sha 3 foo bar", CLUSTER_SLOT_MALFORMED}, /* fewer keys than numkeys */
        {"EVALSHA sha x foo", CLUSTER_SLOT_MALFORMED},
        {"EVALSHA sha", CLUSTER_SLOT_MALFORMED},
        {"XREADGROUP GROUP workers c1 COUNT 10 BLOCK 100 STREAMS {foo}work >", 12182},
        {"XREADGROUP GROUP g c STREAMS {foo}a {foo}b > >", 12182},
        {"XREADGROUP GROUP g c STREAMS foo bar > >", CLUSTER_SLOT_CROSSSLOT},
        {"XREADGROUP GROUP g c STREAMS foo", CLUSTER_SLOT_MALFORMED},
        {"XREAD COUNT 1 foo", CLUSTER_SLOT_MALFORMED},
        {"XGROUP CREATE bar workers $ MKSTREAM", 5061},
        {"XINFO STREAM foo", 12182},
        {"DEL {foo}a {foo}b foo", 12182},
        {"DEL foo bar", CLUSTER_SLOT_CROSSSLOT},
        {"MSET foo 1 {foo}x 2", 12182},
        {"MSET foo 1 bar", CLUSTER_SLOT_MALFORMED},
        {"PING", CLUSTER_SLOT_NO_KEY},
        {"SCRIPT LOAD return", CLUSTER_SLOT_NO_KEY},
        {"wait 1 100", CLUSTER_SLOT_NO_KEY},
        {"PUBLISH claims:token-revoked abc", CLUSTER_SLOT_NO_KEY},
        {"GET", CLUSTER_SLOT_MALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", cases[i].line);
        const char *argv[32];
        size_t lens[32];
        int argc = 0;
        for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
            argv[argc] = tok;
            lens[argc++] = strlen(tok);
        }
        int got = queue_cluster_command_slot(argc, argv, lens);
        ck_assert_msg(got == cases[i].slot, "%s: %d, want %d", cases[i].line, got, cases[i].slot);
    }
    ck_assert_int_eq(queue_cluster_command_slot(0, NULL, NULL), CLUSTER_SLOT_MALFORMED);
}
END_TEST

/* ---- fake nodes ---- */

#define FAKE_RULES 8
#define FAKE_REPLIES 8
#define FAKE_LOG 128

/* For commands named cmd, answers replies[0], replies[1], ... and repeats
 * the last one. */
struct fake_rule {
    char cmd[32];
    char replies[FAKE_REPLIES][1024];
    int n, next;
};

struct fake_node {
    int lfd, port;
    int wake[2];
    pthread_t thread;
    pthread_mutex_t mu;
    struct fake_rule rules[FAKE_RULES];
    int n_rules;
    char log[FAKE_LOG][128]; /* "GET k" per command received, in order */
    int n_log;
};

static void fake_rule(struct fake_node *f, const char *cmd, int n, const char *const *replies)
{
    pthread_mutex_lock(&f->mu);
    struct fake_rule *r = NULL;
    for (int i = 0; i < f->n_rules; i++)
        if (strcasecmp(f->rules[i].cmd, cmd) == 0)
            r = &f->rules[i];
    if (!r) {
        ck_assert_int_lt(f->n_rules, FAKE_RULES);
        r = &f->rules[f->n_rules++];
    }
    snprintf(r->cmd, sizeof r->cmd, "%s", cmd);
    for (int i = 0; i < n; i++)
        snprintf(r->replies[i], sizeof r->replies[i], "%s", replies[i]);
    r->n = n;
    r->next = 0;
    pthread_mutex_unlock(&f->mu);
}

#define RULE(f, cmd, ...)                                                                          \
    do {                                                                                           \
        const char *const r_[] = {__VA_ARGS__};                                                    \
        fake_rule(f, cmd, (int)(sizeof r_ / sizeof *r_), r_);                                      \
    } while (0)

static int fake_count(struct fake_node *f, const char *line)
{
    pthread_mutex_lock(&f->mu);
    int n = 0;
    for (int i = 0; i < f->n_log; i++)
        n += strcmp(f->log[i], line) == 0;
    pthread_mutex_unlock(&f->mu);
    return n;
}

static void fake_log_copy(struct fake_node *f, char out[][128], int *n)
{
    pthread_mutex_lock(&f->mu);
    memcpy(out, f->log, sizeof f->log);
    *n = f->n_log;
    pthread_mutex_unlock(&f->mu);
}

static void fake_answer(struct fake_node *f, int fd, redisReply *cmd)
{
    char line[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < cmd->elements && used < sizeof line - 1; i++)
        used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", i ? " " : "",
                                 cmd->element[i]->str);
    char reply[1024] = "-ERR fake node: no rule\r\n";
    pthread_mutex_lock(&f->mu);
    if (f->n_log < FAKE_LOG)
        snprintf(f->log[f->n_log++], sizeof f->log[0], "%s", line);
    for (int i = 0; i < f->n_rules; i++) {
        struct fake_rule *r = &f->rules[i];
        if (cmd->elements && strcasecmp(r->cmd, cmd->element[0]->str) == 0 && r->n) {
            snprintf(reply, sizeof reply, "%s", r->replies[r->next]);
            if (r->next < r->n - 1)
                r->next++;
        }
    }
    pthread_mutex_unlock(&f->mu);
    ssize_t w = write(fd, reply, strlen(reply));
    (void)w;
}

static void *fake_main(void *arg)
{
    struct fake_node *f = arg;
    struct pollfd fds[34];
    redisReader *readers[34] = {0};
    int n = 2;
    fds[0] = (struct pollfd){.fd = f->wake[0], .events = POLLIN};
    fds[1] = (struct pollfd){.fd = f->lfd, .events = POLLIN};
    for (;;) {
        if (poll(fds, (nfds_t)n, -1) < 0)
            continue;
        if (fds[0].revents)
            break;
        if (fds[1].revents && n < 34) {
            int c = accept(f->lfd, NULL, NULL);
            if (c >= 0) {
                fds[n] = (struct pollfd){.fd = c, .events = POLLIN};
                readers[n] = redisReaderCreate();
                n++;
            }
        }
        for (int i = 2; i < n; i++) {
            if (!fds[i].revents)
                continue;
            char buf[4096];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got <= 0) {
                close(fds[i].fd);
                redisReaderFree(readers[i]);
                fds[i] = fds[n - 1];
                readers[i] = readers[n - 1];
                n--;
                i--;
                continue;
            }
            redisReaderFeed(readers[i], buf, (size_t)got);
            void *cmd;
            while (redisReaderGetReply(readers[i], &cmd) == REDIS_OK && cmd) {
                fake_answer(f, fds[i].fd, cmd);
                freeReplyObject(cmd);
            }
        }
    }
    for (int i = 2; i < n; i++) {
        close(fds[i].fd);
        redisReaderFree(readers[i]);
    }
    return NULL;
}

static struct fake_node *fake_start(void)
{
    struct fake_node *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    pthread_mutex_init(&f->mu, NULL);
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(f->lfd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(f->lfd, 16), 0);
    socklen_t len = sizeof sa;
    ck_assert_int_eq(getsockname(f->lfd, (struct sockaddr *)&sa, &len), 0);
    f->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pipe(f->wake), 0);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
    return f;
}

static void fake_stop(struct fake_node *f)
{
    ssize_t w = write(f->wake[1], "x", 1);
    (void)w;
    pthread_join(f->thread, NULL);
    close(f->lfd);
    close(f->wake[0]);
    close(f->wake[1]);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

/* CLUSTER SLOTS: slots 0..split-1 on a, split..16383 on b. */
static void slots_reply(char *buf, size_t size, int split, int port_a, int port_b)
{
    snprintf(buf, size,
             "*2\r\n"
             "*3\r\n:0\r\n:%d\r\n*3\r\n$9\r\n127.0.0.1\r\n:%d\r\n$1\r\na\r\n"
             "*3\r\n:%d\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:%d\r\n$1\r\nb\r\n",
             split - 1, port_a, split, port_b);
}

/* ---- the router against fake nodes ---- */

struct answer {
    bool done;
    bool null;
    int type;
    long long integer;
    char str[256];
    struct timeval at;
};

static void on_answer(redisReply *reply, void *arg)
{
    struct answer *a = arg;
    ck_assert_msg(!a->done, "answered twice");
    a->done = true;
    gettimeofday(&a->at, NULL);
    a->null = reply == NULL;
    if (reply) {
        a->type = reply->type;
        a->integer = reply->integer;
        if (reply->str)
            snprintf(a->str, sizeof a->str, "%s", reply->str);
    }
}

static void on_give_up(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* Runs the loop until *flag or ms pass; returns *flag. */
static bool run_until(struct event_base *base, const bool *flag, int ms)
{
    struct event *t = evtimer_new(base, on_give_up, base);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(t, &tv);
    while (!*flag) {
        if (event_base_loop(base, EVLOOP_ONCE) != 0 || event_base_got_break(base))
            break;
    }
    event_free(t);
    return *flag;
}

static bool map_ready(struct cluster *cl)
{
    return queue_cluster_has_map(cl);
}

static void wait_for_map(struct event_base *base, struct cluster *cl)
{
    struct timeval start, now;
    gettimeofday(&start, NULL);
    while (!map_ready(cl)) {
        bool never = false;
        run_until(base, &never, 20);
        gettimeofday(&now, NULL);
        ck_assert_msg(now.tv_sec - start.tv_sec < 5, "no slot map after 5 s");
    }
}

/* Sends "GET key" for a key of slot and waits for its answer. */
static void get(struct event_base *base, struct cluster *cl, const char *key, struct answer *a)
{
    memset(a, 0, sizeof *a);
    const char *argv[] = {"GET", key};
    size_t argvlen[] = {3, strlen(key)};
    ck_assert_int_eq(queue_cluster_command_argv(cl, queue_cluster_key_slot(key, strlen(key)),
                                                on_answer, a, 2, argv, argvlen),
                     0);
    ck_assert_msg(run_until(base, &a->done, 10000), "no answer in 10 s");
}

struct two_nodes {
    struct event_base *base;
    struct fake_node *a, *b;
    struct cluster *cl;
    int split;
};

/* Nodes a (slots below split) and b (the rest); the router seeded with a
 * only, so it learns of b from the slot map. */
static void two_nodes_start(struct two_nodes *t, const struct cluster_options *opt)
{
    t->base = event_base_new();
    t->a = fake_start();
    t->b = fake_start();
    t->split = 8192;
    char slots[1024];
    slots_reply(slots, sizeof slots, t->split, t->a->port, t->b->port);
    RULE(t->a, "CLUSTER", slots);
    RULE(t->b, "CLUSTER", slots);
    struct cluster_endpoint seed = {"127.0.0.1", t->a->port};
    t->cl = queue_cluster_new(t->base, &seed, 1, opt);
    ck_assert_ptr_nonnull(t->cl);
    wait_for_map(t->base, t->cl);
}

static void two_nodes_stop(struct two_nodes *t)
{
    queue_cluster_free(t->cl);
    fake_stop(t->a);
    fake_stop(t->b);
    event_base_free(t->base);
}

/* Keys on each side of the split: "foo" is slot 12182 (b), "bar" 5061 (a). */
#define KEY_OF_A "bar"
#define KEY_OF_B "foo"

START_TEST(test_startup_reads_slot_map_from_seed_and_routes_by_slot)
{
    struct two_nodes t;
    two_nodes_start(&t, NULL);
    struct cluster_slot_map *map = malloc(sizeof *map);
    queue_cluster_get_map(t.cl, map);
    ck_assert_int_eq(map->n_masters, 2);
    ck_assert_int_eq(map->masters[map->owner[0]].port, t.a->port);
    ck_assert_int_eq(map->masters[map->owner[8191]].port, t.a->port);
    ck_assert_int_eq(map->masters[map->owner[8192]].port, t.b->port);
    ck_assert_int_eq(map->masters[map->owner[16383]].port, t.b->port);
    free(map);
    RULE(t.a, "GET", "$6\r\nfrom-a\r\n");
    RULE(t.b, "GET", "$6\r\nfrom-b\r\n");
    struct answer ans;
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert_int_eq(ans.type, REDIS_REPLY_STRING);
    ck_assert_str_eq(ans.str, "from-a");
    get(t.base, t.cl, KEY_OF_B, &ans);
    ck_assert_int_eq(ans.type, REDIS_REPLY_STRING);
    ck_assert_str_eq(ans.str, "from-b");
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_A), 1);
    ck_assert_int_eq(fake_count(t.b, "GET " KEY_OF_B), 1);
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_B), 0);
    ck_assert_int_eq(fake_count(t.b, "GET " KEY_OF_A), 0);
    /* A plain error is the command's own answer. */
    RULE(t.a, "GET", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert_int_eq(ans.type, REDIS_REPLY_ERROR);
    ck_assert_str_eq(ans.str, "WRONGTYPE Operation against a key holding the wrong kind of value");
    two_nodes_stop(&t);
}
END_TEST

START_TEST(test_moved_updates_the_map_and_resends)
{
    struct two_nodes t;
    two_nodes_start(&t, NULL);
    /* The refresh a MOVED asks for fails here, so what routes the next
     * command is the MOVED itself. */
    RULE(t.a, "CLUSTER", "-ERR refresh refused\r\n");
    RULE(t.b, "CLUSTER", "-ERR refresh refused\r\n");
    int slot = queue_cluster_key_slot(KEY_OF_A, 3);
    char moved[128];
    snprintf(moved, sizeof moved, "-MOVED %d 127.0.0.1:%d\r\n", slot, t.b->port);
    RULE(t.a, "GET", moved);
    RULE(t.b, "GET", "$3\r\nnew\r\n");
    struct answer ans;
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert_int_eq(ans.type, REDIS_REPLY_STRING);
    ck_assert_str_eq(ans.str, "new");
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_A), 1);
    ck_assert_int_eq(fake_count(t.b, "GET " KEY_OF_A), 1);
    /* The next command of that slot goes straight to b; its neighbour
     * slot stays on a... */
    struct cluster_slot_map *map = malloc(sizeof *map);
    queue_cluster_get_map(t.cl, map);
    ck_assert_int_eq(map->masters[map->owner[slot]].port, t.b->port);
    ck_assert_int_eq(map->masters[map->owner[slot + 1]].port, t.a->port);
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert_str_eq(ans.str, "new");
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_A), 1);
    ck_assert_int_eq(fake_count(t.b, "GET " KEY_OF_A), 2);
    /* ...and a refresh (CLUSTER SLOTS) was asked for after the MOVED (at
     * most one each 100 ms: it may come a little later). */
    int slots_asked = 0;
    for (int i = 0; i < 100 && slots_asked < 2; i++) {
        bool never = false;
        run_until(t.base, &never, 10);
        slots_asked = fake_count(t.a, "CLUSTER SLOTS") + fake_count(t.b, "CLUSTER SLOTS");
    }
    ck_assert_int_ge(slots_asked, 2);
    free(map);
    two_nodes_stop(&t);
}
END_TEST

START_TEST(test_refresh_after_moved_learns_the_whole_new_map)
{
    struct two_nodes t;
    two_nodes_start(&t, NULL);
    /* Slots 4000..8191 moved to b: the fakes now answer that map. */
    char slots[1024];
    slots_reply(slots, sizeof slots, 4000, t.a->port, t.b->port);
    RULE(t.a, "CLUSTER", slots);
    RULE(t.b, "CLUSTER", slots);
    int slot = queue_cluster_key_slot(KEY_OF_A, 3);
    char moved[128];
    snprintf(moved, sizeof moved, "-MOVED %d 127.0.0.1:%d\r\n", slot, t.b->port);
    RULE(t.a, "GET", moved);
    RULE(t.b, "GET", "$3\r\nnew\r\n");
    struct answer ans;
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert_str_eq(ans.str, "new");
    struct cluster_slot_map *map = malloc(sizeof *map);
    struct timeval start, now;
    gettimeofday(&start, NULL);
    for (;;) {
        queue_cluster_get_map(t.cl, map);
        if (map->masters[map->owner[4000]].port == t.b->port)
            break;
        bool never = false;
        run_until(t.base, &never, 10);
        gettimeofday(&now, NULL);
        ck_assert_msg(now.tv_sec - start.tv_sec < 5, "the map was not refreshed");
    }
    ck_assert_int_eq(map->masters[map->owner[3999]].port, t.a->port);
    ck_assert_int_eq(map->masters[map->owner[4000]].port, t.b->port);
    ck_assert_int_eq(map->masters[map->owner[8191]].port, t.b->port);
    free(map);
    two_nodes_stop(&t);
}
END_TEST

START_TEST(test_ask_sends_asking_then_the_command_once_without_changing_the_map)
{
    struct two_nodes t;
    two_nodes_start(&t, NULL);
    int slot = queue_cluster_key_slot(KEY_OF_A, 3);
    char ask[128];
    snprintf(ask, sizeof ask, "-ASK %d 127.0.0.1:%d\r\n", slot, t.b->port);
    RULE(t.a, "GET", ask, "$3\r\nold\r\n");
    RULE(t.b, "ASKING", "+OK\r\n");
    RULE(t.b, "GET", "$8\r\nmigrated\r\n");
    struct answer ans;
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert_int_eq(ans.type, REDIS_REPLY_STRING);
    ck_assert_str_eq(ans.str, "migrated");
    char log[FAKE_LOG][128];
    int n;
    fake_log_copy(t.b, log, &n);
    int asking_at = -1, get_at = -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(log[i], "ASKING") == 0)
            asking_at = i;
        if (strcmp(log[i], "GET " KEY_OF_A) == 0)
            get_at = i;
    }
    ck_assert_int_ge(asking_at, 0);
    ck_assert_int_eq(get_at, asking_at + 1);
    ck_assert_int_eq(fake_count(t.b, "ASKING"), 1);
    /* The map still says a: the next command goes to a, without ASKING. */
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert_str_eq(ans.str, "old");
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_A), 2);
    ck_assert_int_eq(fake_count(t.b, "GET " KEY_OF_A), 1);
    ck_assert_int_eq(fake_count(t.b, "ASKING"), 1);
    ck_assert_int_eq(fake_count(t.a, "ASKING"), 0);
    two_nodes_stop(&t);
}
END_TEST

START_TEST(test_tryagain_is_retried_after_backoff)
{
    struct cluster_options opt;
    queue_cluster_options_default(&opt);
    opt.backoff_first_ms = 20;
    struct two_nodes t;
    two_nodes_start(&t, &opt);
    RULE(t.a, "GET", "-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
         "-TRYAGAIN Multiple keys request during rehashing of slot\r\n", "$2\r\nok\r\n");
    struct timeval start;
    gettimeofday(&start, NULL);
    struct answer ans;
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert_int_eq(ans.type, REDIS_REPLY_STRING);
    ck_assert_str_eq(ans.str, "ok");
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_A), 3);
    /* Waited 20 + 40 ms (BACKOFF_SLACK_MS). */
    long ms = (ans.at.tv_sec - start.tv_sec) * 1000 + (ans.at.tv_usec - start.tv_usec) / 1000;
    ck_assert_int_ge(ms, 60 - BACKOFF_SLACK_MS);
    two_nodes_stop(&t);
}
END_TEST

START_TEST(test_clusterdown_gives_up_after_bounded_tries)
{
    struct cluster_options opt;
    queue_cluster_options_default(&opt);
    opt.max_tries = 4;
    opt.backoff_first_ms = 10;
    opt.backoff_max_ms = 40;
    struct two_nodes t;
    two_nodes_start(&t, &opt);
    RULE(t.a, "GET", "-CLUSTERDOWN The cluster is down\r\n");
    struct timeval start;
    gettimeofday(&start, NULL);
    struct answer ans;
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert(ans.null);
    /* The first send and one after each of the 4 waits (10, 20, 40, 40 ms). */
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_A), 5);
    long ms = (ans.at.tv_sec - start.tv_sec) * 1000 + (ans.at.tv_usec - start.tv_usec) / 1000;
    ck_assert_int_ge(ms, 110 - BACKOFF_SLACK_MS);
    ck_assert_int_lt(ms, 2000);
    /* It recovers: the next command is answered once the slot has a master. */
    RULE(t.a, "GET", "$4\r\nback\r\n");
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert_str_eq(ans.str, "back");
    two_nodes_stop(&t);
}
END_TEST

START_TEST(test_slot_without_master_gives_up)
{
    struct cluster_options opt;
    queue_cluster_options_default(&opt);
    opt.max_tries = 3;
    opt.backoff_first_ms = 60; /* waits of 60, 120 and 240 ms */
    struct event_base *base = event_base_new();
    struct fake_node *a = fake_start();
    /* Only slots 0..99 are served. */
    char slots[256];
    snprintf(slots, sizeof slots,
             "*1\r\n*3\r\n:0\r\n:99\r\n*3\r\n$9\r\n127.0.0.1\r\n:%d\r\n$1\r\na\r\n", a->port);
    RULE(a, "CLUSTER", slots);
    RULE(a, "GET", "$1\r\nx\r\n");
    struct cluster_endpoint seed = {"127.0.0.1", a->port};
    struct cluster *cl = queue_cluster_new(base, &seed, 1, &opt);
    wait_for_map(base, cl);
    struct answer ans;
    get(base, cl, KEY_OF_A, &ans); /* slot 5061: nobody */
    ck_assert(ans.null);
    ck_assert_int_eq(fake_count(a, "GET " KEY_OF_A), 0);
    /* The waits asked for fresh maps (at most one each 100 ms). */
    ck_assert_int_ge(fake_count(a, "CLUSTER SLOTS"), 2);
    queue_cluster_free(cl);
    fake_stop(a);
    event_base_free(base);
}
END_TEST

START_TEST(test_redirect_loop_is_bounded)
{
    struct cluster_options opt;
    queue_cluster_options_default(&opt);
    opt.max_redirects = 5;
    struct two_nodes t;
    two_nodes_start(&t, &opt);
    int slot = queue_cluster_key_slot(KEY_OF_A, 3);
    char to_b[128], to_a[128];
    snprintf(to_b, sizeof to_b, "-MOVED %d 127.0.0.1:%d\r\n", slot, t.b->port);
    snprintf(to_a, sizeof to_a, "-MOVED %d 127.0.0.1:%d\r\n", slot, t.a->port);
    RULE(t.a, "GET", to_b);
    RULE(t.b, "GET", to_a);
    struct answer ans;
    get(t.base, t.cl, KEY_OF_A, &ans);
    ck_assert(ans.null);
    /* The first send and 5 redirects: 3 on a, 3 on b. */
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_A) + fake_count(t.b, "GET " KEY_OF_A), 6);
    two_nodes_stop(&t);
}
END_TEST

START_TEST(test_seed_down_then_up_and_free_answers_waiting_commands)
{
    struct cluster_options opt;
    queue_cluster_options_default(&opt);
    opt.max_tries = 1000; /* waits until freed */
    struct event_base *base = event_base_new();
    /* A port nobody listens on: reserve one, then close it. */
    struct fake_node *gone = fake_start();
    int port = gone->port;
    fake_stop(gone);
    struct cluster_endpoint seed = {"127.0.0.1", port};
    struct cluster *cl = queue_cluster_new(base, &seed, 1, &opt);
    ck_assert_ptr_nonnull(cl);
    struct answer ans = {0};
    const char *argv[] = {"GET", "k"};
    size_t argvlen[] = {3, 1};
    ck_assert_int_eq(queue_cluster_command_argv(cl, 7, on_answer, &ans, 2, argv, argvlen), 0);
    bool never = false;
    run_until(base, &never, 150);
    ck_assert(!queue_cluster_has_map(cl));
    ck_assert(!ans.done);
    queue_cluster_free(cl);
    ck_assert(ans.done);
    ck_assert(ans.null);
    event_base_free(base);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    struct event_base *base = event_base_new();
    struct cluster_endpoint seed = {"127.0.0.1", 1};
    ck_assert_ptr_null(queue_cluster_new(base, &seed, 0, NULL));
    struct cluster *cl = queue_cluster_new(base, &seed, 1, NULL);
    const char *argv[] = {"GET", "k"};
    size_t argvlen[] = {3, 1};
    struct answer ans = {0};
    ck_assert_int_eq(queue_cluster_command_argv(cl, 16384, on_answer, &ans, 2, argv, argvlen), -1);
    ck_assert_int_eq(queue_cluster_command_argv(cl, -1, on_answer, &ans, 2, argv, argvlen), -1);
    ck_assert_int_eq(queue_cluster_command_argv(cl, 0, on_answer, &ans, 0, argv, argvlen), -1);
    ck_assert(!ans.done);
    queue_cluster_free(cl);
    event_base_free(base);
}
END_TEST

/* ---- the blocking router against fake nodes ---- */

struct sync_pair {
    struct fake_node *a, *b;
    struct cluster_sync *cs;
};

static void sync_start(struct sync_pair *t, const struct cluster_options *opt)
{
    t->a = fake_start();
    t->b = fake_start();
    char slots[1024];
    slots_reply(slots, sizeof slots, 8192, t->a->port, t->b->port);
    RULE(t->a, "CLUSTER", slots);
    RULE(t->b, "CLUSTER", slots);
    struct cluster_endpoint seed = {"127.0.0.1", t->a->port};
    t->cs = queue_cluster_sync_connect(&seed, 1, opt);
    ck_assert_ptr_nonnull(t->cs);
}

static void sync_stop(struct sync_pair *t)
{
    queue_cluster_sync_free(t->cs);
    fake_stop(t->a);
    fake_stop(t->b);
}

static redisReply *sync_get(struct cluster_sync *cs, const char *key)
{
    const char *argv[] = {"GET", key};
    size_t lens[] = {3, strlen(key)};
    return queue_cluster_sync_command_argv(cs, queue_cluster_key_slot(key, lens[1]), 2, argv, lens);
}

START_TEST(test_sync_routes_and_follows_moved_and_ask)
{
    struct sync_pair t;
    sync_start(&t, NULL);
    RULE(t.a, "GET", "$1\r\na\r\n");
    RULE(t.b, "GET", "$1\r\nb\r\n");
    redisReply *r = sync_get(t.cs, KEY_OF_A);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->str, "a");
    freeReplyObject(r);
    r = sync_get(t.cs, KEY_OF_B);
    ck_assert_str_eq(r->str, "b");
    freeReplyObject(r);
    /* The connection for pipelining a slot's batch is b's. */
    redisContext *c = queue_cluster_sync_node(t.cs, queue_cluster_key_slot(KEY_OF_B, 3));
    ck_assert_ptr_nonnull(c);
    redisReply *direct = redisCommand(c, "GET pipelined");
    ck_assert_str_eq(direct->str, "b");
    freeReplyObject(direct);
    ck_assert_int_eq(fake_count(t.b, "GET pipelined"), 1);

    /* MOVED: the fakes' map still says a, so the redirect itself routes. */
    int slot = queue_cluster_key_slot(KEY_OF_A, 3);
    char moved[128], ask[128];
    snprintf(moved, sizeof moved, "-MOVED %d 127.0.0.1:%d\r\n", slot, t.b->port);
    RULE(t.a, "GET", moved);
    r = sync_get(t.cs, KEY_OF_A);
    ck_assert_str_eq(r->str, "b");
    freeReplyObject(r);
    r = sync_get(t.cs, KEY_OF_A);
    ck_assert_str_eq(r->str, "b");
    freeReplyObject(r);
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_A), 2);
    ck_assert_int_eq(fake_count(t.b, "GET " KEY_OF_A), 2);

    /* ASK (b sends KEY_OF_B's slot to a, once): ASKING then the command. */
    int slot_b = queue_cluster_key_slot(KEY_OF_B, 3);
    snprintf(ask, sizeof ask, "-ASK %d 127.0.0.1:%d\r\n", slot_b, t.a->port);
    RULE(t.b, "GET", ask, "$1\r\nb\r\n");
    RULE(t.a, "ASKING", "+OK\r\n");
    RULE(t.a, "GET", "$8\r\nmigrated\r\n");
    r = sync_get(t.cs, KEY_OF_B);
    ck_assert_str_eq(r->str, "migrated");
    freeReplyObject(r);
    char log[FAKE_LOG][128];
    int n;
    fake_log_copy(t.a, log, &n);
    ck_assert_int_ge(n, 2);
    ck_assert_str_eq(log[n - 2], "ASKING");
    ck_assert_str_eq(log[n - 1], "GET " KEY_OF_B);
    r = sync_get(t.cs, KEY_OF_B); /* the map did not change */
    ck_assert_str_eq(r->str, "b");
    freeReplyObject(r);
    ck_assert_int_eq(fake_count(t.a, "ASKING"), 1);
    sync_stop(&t);
}
END_TEST

START_TEST(test_sync_tryagain_then_clusterdown_gives_up)
{
    struct cluster_options opt;
    queue_cluster_options_default(&opt);
    opt.max_tries = 3;
    opt.backoff_first_ms = 10;
    struct sync_pair t;
    sync_start(&t, &opt);
    RULE(t.a, "GET", "-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
         "$2\r\nok\r\n");
    redisReply *r = sync_get(t.cs, KEY_OF_A);
    ck_assert_str_eq(r->str, "ok");
    freeReplyObject(r);
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_A), 2);
    RULE(t.a, "GET", "-CLUSTERDOWN The cluster is down\r\n");
    struct timeval start, end;
    gettimeofday(&start, NULL);
    ck_assert_ptr_null(sync_get(t.cs, KEY_OF_A));
    gettimeofday(&end, NULL);
    /* 1 + 3 sends, waits of 10, 20 and 40 ms. */
    ck_assert_int_eq(fake_count(t.a, "GET " KEY_OF_A), 2 + 4);
    long ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_usec - start.tv_usec) / 1000;
    ck_assert_int_ge(ms, 70);
    ck_assert_int_lt(ms, 2000);
    /* A plain error is the command's own. */
    RULE(t.a, "GET", "-ERR boom\r\n");
    r = sync_get(t.cs, KEY_OF_A);
    ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
    ck_assert_str_eq(r->str, "ERR boom");
    freeReplyObject(r);
    sync_stop(&t);
}
END_TEST

START_TEST(test_sync_without_a_seed_map_fails)
{
    struct fake_node *a = fake_start();
    RULE(a, "CLUSTER", "-ERR This instance has cluster support disabled\r\n");
    struct cluster_endpoint seed = {"127.0.0.1", a->port};
    ck_assert_ptr_null(queue_cluster_sync_connect(&seed, 1, NULL));
    ck_assert_ptr_null(queue_cluster_sync_connect(&seed, 0, NULL));
    fake_stop(a);
}
END_TEST

/* ---- the router against a real cluster of three masters ---- */

static int owner_port(struct cluster *cl, int slot)
{
    struct cluster_slot_map *map = malloc(sizeof *map);
    queue_cluster_get_map(cl, map);
    int port = map->owner[slot] >= 0 ? map->masters[map->owner[slot]].port : -1;
    free(map);
    return port;
}

/* WAIT for one replica on the connection of the router that wrote the slot
 * (WAIT counts the writes of its own connection only). */
static void router_wait_replica(struct event_base *base, struct cluster *cl, int slot)
{
    struct answer a = {0};
    const char *argv[] = {"WAIT", "1", "5000"};
    size_t lens[] = {4, 1, 4};
    ck_assert_int_eq(queue_cluster_command_argv(cl, slot, on_answer, &a, 3, argv, lens), 0);
    ck_assert_msg(run_until(base, &a.done, 10000), "no answer to WAIT");
    ck_assert_msg(!a.null && a.type == REDIS_REPLY_INTEGER, "WAIT failed");
    ck_assert_msg(a.integer == 1, "WAIT: %lld replicas", a.integer);
}

static void router_cmd(struct event_base *base, struct cluster *cl, struct answer *a, int argc,
                       const char **argv)
{
    memset(a, 0, sizeof *a);
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    ck_assert_int_eq(queue_cluster_command_argv(cl, queue_cluster_key_slot(argv[1], lens[1]),
                                                on_answer, a, argc, argv, lens),
                     0);
    ck_assert_msg(run_until(base, &a->done, 10000), "no answer in 10 s");
}

/* The router writes 300 keys through one seed: each lands on the master of
 * its slot (every master gets some) and reads back; then slot 12182 ("foo")
 * migrates from the third master to the first: during the migration a key
 * already moved is read through ASK (ASKING on the target), a new key is
 * written through ASK, a key not yet moved is read from the source; after
 * CLUSTER SETSLOT NODE the source answers MOVED and the router's map follows. */
START_TEST(test_real_cluster_routes_follows_ask_and_moved)
{
    struct test_cluster rc;
    test_cluster_start(&rc, false);
    struct event_base *base = event_base_new();
    struct cluster_endpoint seed = {"127.0.0.1", rc.port[1]};
    struct cluster *cl = queue_cluster_new(base, &seed, 1, NULL);
    wait_for_map(base, cl);
    /* The blocking router beside it, from the same seed. */
    struct cluster_sync *cs = queue_cluster_sync_connect(&seed, 1, NULL);
    ck_assert_ptr_nonnull(cs);
    struct cluster_slot_map *map = malloc(sizeof *map);
    queue_cluster_sync_get_map(cs, map);
    ck_assert_int_eq(map->n_masters, 3);
    ck_assert_int_eq(map->masters[map->owner[10923]].port, rc.port[2]);
    queue_cluster_get_map(cl, map);
    ck_assert_int_eq(map->n_masters, 3);
    ck_assert_int_eq(map->masters[map->owner[0]].port, rc.port[0]);
    ck_assert_int_eq(map->masters[map->owner[5460]].port, rc.port[0]);
    ck_assert_int_eq(map->masters[map->owner[5461]].port, rc.port[1]);
    ck_assert_int_eq(map->masters[map->owner[10922]].port, rc.port[1]);
    ck_assert_int_eq(map->masters[map->owner[10923]].port, rc.port[2]);
    ck_assert_int_eq(map->masters[map->owner[16383]].port, rc.port[2]);

    struct answer ans;
    for (int i = 0; i < 300; i++) {
        char key[16], val[16];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "v%d", i);
        const char *set[] = {"SET", key, val};
        router_cmd(base, cl, &ans, 3, set);
        ck_assert_msg(!ans.null && ans.type == REDIS_REPLY_STATUS, "SET %s failed", key);
        ck_assert_str_eq(ans.str, "OK");
    }
    long long total = 0;
    for (int i = 0; i < TEST_CLUSTER_MASTERS; i++) {
        char n[32];
        test_cluster_cmd(&rc, i, n, sizeof n, "DBSIZE");
        ck_assert_msg(atoll(n) > 50, "master %d holds %s of the 300 keys", i, n);
        total += atoll(n);
    }
    ck_assert_int_eq(total, 300);
    for (int i = 0; i < 300; i += 37) {
        char key[16], val[16];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "v%d", i);
        const char *get_[] = {"GET", key};
        router_cmd(base, cl, &ans, 2, get_);
        ck_assert_str_eq(ans.str, val);
    }

    /* Slot 12182 ("foo", "{foo}...") lives on the third master. */
    const int slot = 12182, src = 2, dst = 0;
    const char *set_foo[] = {"SET", "foo", "1"};
    const char *set_a[] = {"SET", "{foo}a", "2"};
    router_cmd(base, cl, &ans, 3, set_foo);
    router_cmd(base, cl, &ans, 3, set_a);
    char out[256];
    test_cluster_cmd(&rc, dst, out, sizeof out, "CLUSTER SETSLOT %d IMPORTING %s", slot,
                     rc.id[src]);
    ck_assert_str_eq(out, "OK");
    test_cluster_cmd(&rc, src, out, sizeof out, "CLUSTER SETSLOT %d MIGRATING %s", slot,
                     rc.id[dst]);
    ck_assert_str_eq(out, "OK");
    test_cluster_cmd(&rc, src, out, sizeof out, "MIGRATE 127.0.0.1 %d {foo}a 0 5000", rc.port[dst]);
    ck_assert_str_eq(out, "OK");
    /* Moved already: the source answers ASK; read on the target. */
    const char *get_a[] = {"GET", "{foo}a"};
    router_cmd(base, cl, &ans, 2, get_a);
    ck_assert(!ans.null);
    ck_assert_int_eq(ans.type, REDIS_REPLY_STRING);
    ck_assert_str_eq(ans.str, "2");
    /* Not moved yet: the source answers itself. */
    const char *get_foo[] = {"GET", "foo"};
    router_cmd(base, cl, &ans, 2, get_foo);
    ck_assert_str_eq(ans.str, "1");
    /* A new key of a migrating slot is created on the target, through ASK. */
    const char *set_new[] = {"SET", "{foo}new", "3"};
    router_cmd(base, cl, &ans, 3, set_new);
    ck_assert_str_eq(ans.str, "OK");
    test_cluster_cmd(&rc, dst, out, sizeof out, "CLUSTER COUNTKEYSINSLOT %d", slot);
    ck_assert_str_eq(out, "2");
    /* ASK changed nothing in the map. */
    queue_cluster_get_map(cl, map);
    ck_assert_int_eq(map->masters[map->owner[slot]].port, rc.port[src]);
    /* The blocking router: the same three cases. */
    redisReply *r = sync_get(cs, "{foo}a");
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->str, "2");
    freeReplyObject(r);
    r = sync_get(cs, "foo");
    ck_assert_str_eq(r->str, "1");
    freeReplyObject(r);
    r = sync_get(cs, "{foo}new");
    ck_assert_str_eq(r->str, "3");
    freeReplyObject(r);

    /* Finish the migration: the slot belongs to the first master. */
    test_cluster_cmd(&rc, src, out, sizeof out, "MIGRATE 127.0.0.1 %d foo 0 5000", rc.port[dst]);
    ck_assert_str_eq(out, "OK");
    for (int i = 0; i < TEST_CLUSTER_MASTERS; i++) {
        test_cluster_cmd(&rc, i, out, sizeof out, "CLUSTER SETSLOT %d NODE %s", slot, rc.id[dst]);
        ck_assert_str_eq(out, "OK");
    }
    router_cmd(base, cl, &ans, 2, get_foo);
    ck_assert_int_eq(ans.type, REDIS_REPLY_STRING);
    ck_assert_str_eq(ans.str, "1");
    queue_cluster_get_map(cl, map);
    ck_assert_int_eq(map->masters[map->owner[slot]].port, rc.port[dst]);
    ck_assert_int_eq(map->masters[map->owner[slot + 1]].port, rc.port[src]);
    router_cmd(base, cl, &ans, 2, get_a);
    ck_assert_str_eq(ans.str, "2");
    r = sync_get(cs, "foo"); /* MOVED now */
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->str, "1");
    freeReplyObject(r);
    queue_cluster_sync_get_map(cs, map);
    ck_assert_int_eq(map->masters[map->owner[slot]].port, rc.port[dst]);

    free(map);
    queue_cluster_sync_free(cs);
    queue_cluster_free(cl);
    event_base_free(base);
    test_cluster_stop(&rc);
}
END_TEST

/* Three masters with a replica each. A manual CLUSTER FAILOVER on the
 * replica of "bar"'s master: the old master answers MOVED and the router
 * follows to the new one. Then the master of "foo" is SIGKILLed: commands
 * wait, give up after their bounded tries (NULL, the API's 503) while no
 * master serves the slot, and are answered again once its replica took over
 * (node timeout 1 s); the dead node's connection is dropped. */
START_TEST(test_real_cluster_failover_and_killed_master)
{
    struct test_cluster rc;
    test_cluster_start(&rc, true);
    struct event_base *base = event_base_new();
    struct cluster_endpoint seed = {"127.0.0.1", rc.port[1]};
    struct cluster *cl = queue_cluster_new(base, &seed, 1, NULL);
    wait_for_map(base, cl);
    struct answer ans;
    char out[256];

    const int slot_bar = 5061, slot_foo = 12182;
    int m = test_cluster_index_of_port(&rc, owner_port(cl, slot_bar));
    int r = test_cluster_replica_of(&rc, m);
    const char *set_bar[] = {"SET", "bar", "v"};
    router_cmd(base, cl, &ans, 3, set_bar);
    ck_assert_str_eq(ans.str, "OK");
    router_wait_replica(base, cl, slot_bar);
    test_cluster_cmd(&rc, r, out, sizeof out, "CLUSTER FAILOVER");
    ck_assert_str_eq(out, "OK");
    const char *get_bar[] = {"GET", "bar"};
    bool served = false;
    for (int t = 0; t < 150 && !served; t++) {
        router_cmd(base, cl, &ans, 2, get_bar);
        served = !ans.null && ans.type == REDIS_REPLY_STRING && strcmp(ans.str, "v") == 0 &&
                 owner_port(cl, slot_bar) == rc.port[r];
        if (!served)
            test_sleep_ms(100);
    }
    ck_assert_msg(served, "bar not served by the promoted replica within 15 s");

    int m2 = test_cluster_index_of_port(&rc, owner_port(cl, slot_foo));
    int r2 = test_cluster_replica_of(&rc, m2);
    ck_assert_int_ne(m2, 1); /* the seed stays up */
    const char *set_foo[] = {"SET", "foo", "1"};
    router_cmd(base, cl, &ans, 3, set_foo);
    ck_assert_str_eq(ans.str, "OK");
    router_wait_replica(base, cl, slot_foo);
    int before = queue_cluster_connections(cl);
    kill(rc.pid[m2], SIGKILL);
    waitpid(rc.pid[m2], NULL, 0);
    rc.pid[m2] = -1;
    const char *get_foo[] = {"GET", "foo"};
    served = false;
    int gave_up = 0;
    struct timeval start, now;
    gettimeofday(&start, NULL);
    for (;;) {
        router_cmd(base, cl, &ans, 2, get_foo);
        if (!ans.null && ans.type == REDIS_REPLY_STRING && strcmp(ans.str, "1") == 0) {
            served = true;
            break;
        }
        ck_assert_msg(ans.null, "GET foo answered type %d %s", ans.type, ans.str);
        gave_up++;
        gettimeofday(&now, NULL);
        if (now.tv_sec - start.tv_sec > 40)
            break;
    }
    ck_assert_msg(served, "foo not served within 40 s of its master's death");
    ck_assert_int_eq(owner_port(cl, slot_foo), rc.port[r2]);
    /* A command waits about 2.5 s before it gives up; the takeover takes
     * longer than the node timeout (1 s), so some gave up, but not forever. */
    ck_assert_int_lt(gave_up, 16);
    /* The dead master's connection went, the promoted replica's came. */
    ck_assert_int_eq(queue_cluster_connections(cl), before);
    queue_cluster_free(cl);
    event_base_free(base);
    test_cluster_stop(&rc);
}
END_TEST

int main(void)
{
    log_set_level(LOG_ERROR);
    Suite *s = suite_create("cluster_route");
    TCase *pure = tcase_create("slots_and_replies");
    tcase_add_test(pure, test_crc16_specification_vector);
    tcase_add_test(pure, test_key_slots_match_redis);
    tcase_add_test(pure, test_hash_tag_rules_of_the_specification);
    tcase_add_test(pure, test_endpoint_parse);
    tcase_add_test(pure, test_slot_map_from_cluster_slots);
    tcase_add_test(pure, test_slot_map_refuses_malformed_replies);
    tcase_add_test(pure, test_reply_classification);
    tcase_add_test(pure, test_command_slot_finds_the_keys);
    suite_add_tcase(s, pure);
    TCase *router = tcase_create("router_against_fake_nodes");
    tcase_set_timeout(router, 30);
    tcase_add_test(router, test_startup_reads_slot_map_from_seed_and_routes_by_slot);
    tcase_add_test(router, test_moved_updates_the_map_and_resends);
    tcase_add_test(router, test_refresh_after_moved_learns_the_whole_new_map);
    tcase_add_test(router, test_ask_sends_asking_then_the_command_once_without_changing_the_map);
    tcase_add_test(router, test_tryagain_is_retried_after_backoff);
    tcase_add_test(router, test_clusterdown_gives_up_after_bounded_tries);
    tcase_add_test(router, test_slot_without_master_gives_up);
    tcase_add_test(router, test_redirect_loop_is_bounded);
    tcase_add_test(router, test_seed_down_then_up_and_free_answers_waiting_commands);
    tcase_add_test(router, test_bad_arguments_are_refused);
    suite_add_tcase(s, router);
    TCase *sync = tcase_create("blocking_router_against_fake_nodes");
    tcase_set_timeout(sync, 30);
    tcase_add_test(sync, test_sync_routes_and_follows_moved_and_ask);
    tcase_add_test(sync, test_sync_tryagain_then_clusterdown_gives_up);
    tcase_add_test(sync, test_sync_without_a_seed_map_fails);
    suite_add_tcase(s, sync);
    TCase *real = tcase_create("router_against_a_real_cluster");
    tcase_set_timeout(real, 120);
    tcase_add_test(real, test_real_cluster_routes_follows_ask_and_moved);
    tcase_add_test(real, test_real_cluster_failover_and_killed_master);
    suite_add_tcase(s, real);
    return test_run_suite(s, CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
