#include "cluster_tx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "queue/cluster.h"

/* Runs ARGV's commands (each: its argument count, then its arguments) with
 * redis.pcall and answers their replies in order. KEYS[1] only routes it. */
static const char TX_SCRIPT[] = "local out, i = {}, 1\n"
                                "while i <= #ARGV do\n"
                                "  local n = tonumber(ARGV[i])\n"
                                "  out[#out + 1] = redis.pcall(unpack(ARGV, i + 1, i + n))\n"
                                "  i = i + n + 1\n"
                                "end\n"
                                "return out\n";

/* Reads a decimal number ending in CRLF at *p (below end); advances *p. */
static long read_number(const char **p, const char *end)
{
    long n = 0;
    const char *q = *p;
    if (q >= end || *q < '0' || *q > '9')
        return -1;
    while (q < end && *q >= '0' && *q <= '9' && n < 1L << 40)
        n = n * 10 + (*q++ - '0');
    if (end - q < 2 || q[0] != '\r' || q[1] != '\n')
        return -1;
    *p = q + 2;
    return n;
}

int queue_resp_split(const char *cmd, size_t len, int *argc, const char ***argv, size_t **argvlen)
{
    const char *p = cmd, *end = cmd + len;
    if (p >= end || *p++ != '*')
        return -1;
    long n = read_number(&p, end);
    if (n < 1 || n > 1 << 20)
        return -1;
    char *block = malloc((size_t)n * (sizeof(char *) + sizeof(size_t)));
    if (!block)
        return -1;
    const char **av = (const char **)block;
    size_t *al = (size_t *)(block + (size_t)n * sizeof(char *));
    for (long i = 0; i < n; i++) {
        long l;
        if (p >= end || *p++ != '$' || (l = read_number(&p, end)) < 0 || end - p < l + 2) {
            free(block);
            return -1;
        }
        av[i] = p;
        al[i] = (size_t)l;
        p += l + 2;
    }
    *argc = (int)n;
    *argv = av;
    *argvlen = al;
    return 0;
}

static void sb_add(struct resp_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *s2 = realloc(b->s, cap);
        if (!s2) {
            b->failed = true;
            return;
        }
        b->s = s2;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
}

static void sb_head(struct resp_buf *b, char type, long long n)
{
    char head[32];
    int l = snprintf(head, sizeof head, "%c%lld\r\n", type, n);
    sb_add(b, head, (size_t)l);
}

/* r as RESP2. */
static void write_reply(struct resp_buf *b, const redisReply *r)
{
    switch (r->type) {
    case REDIS_REPLY_STRING:
        sb_head(b, '$', (long long)r->len);
        sb_add(b, r->str, r->len);
        sb_add(b, "\r\n", 2);
        break;
    case REDIS_REPLY_ARRAY:
        sb_head(b, '*', (long long)r->elements);
        for (size_t i = 0; i < r->elements; i++)
            write_reply(b, r->element[i]);
        break;
    case REDIS_REPLY_INTEGER: sb_head(b, ':', r->integer); break;
    case REDIS_REPLY_NIL: sb_add(b, "$-1\r\n", 5); break;
    case REDIS_REPLY_ERROR:
    case REDIS_REPLY_STATUS:
    default:
        sb_add(b, r->type == REDIS_REPLY_ERROR ? "-" : "+", 1);
        sb_add(b, r->str ? r->str : "", r->str ? r->len : 0);
        sb_add(b, "\r\n", 2);
        break;
    }
}

/* The reply that RESP text reads as; NULL when out of memory. */
static redisReply *read_reply(const char *text, size_t len)
{
    redisReader *rd = redisReaderCreate();
    if (!rd)
        return NULL;
    void *reply = NULL;
    if (redisReaderFeed(rd, text, len) != REDIS_OK || redisReaderGetReply(rd, &reply) != REDIS_OK)
        reply = NULL;
    redisReaderFree(rd);
    return reply;
}

int queue_resp_argv_copy(int argc, const char *const *argv, const size_t *argvlen, char ***out_argv,
                         size_t **out_lens)
{
    /* The pointers, the lengths, then the bytes. */
    size_t bytes = 0;
    for (int i = 0; i < argc; i++)
        bytes += argvlen[i] + 1;
    size_t head = (size_t)argc * (sizeof(char *) + sizeof(size_t));
    char *block = malloc(head + bytes);
    if (!block)
        return -1;
    char **copy = (char **)block;
    size_t *lens = (size_t *)(block + (size_t)argc * sizeof(char *));
    char *p = block + head;
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i], argvlen[i]);
        p[argvlen[i]] = '\0';
        copy[i] = p;
        lens[i] = argvlen[i];
        p += argvlen[i] + 1;
    }
    *out_argv = copy;
    *out_lens = lens;
    return 0;
}

redisReply *queue_resp_copy(const redisReply *r)
{
    struct resp_buf b = {0};
    write_reply(&b, r);
    redisReply *copy = b.failed ? NULL : read_reply(b.s, b.len);
    free(b.s);
    return copy;
}

/* A one-line reply: kind "+" (status) or "-" (error) and its text; NULL
 * when out of memory. */
static redisReply *resp_line(const char *kind, const char *text)
{
    struct resp_buf b = {0};
    sb_add(&b, kind, 1);
    sb_add(&b, text, strlen(text));
    sb_add(&b, "\r\n", 2);
    redisReply *r = b.failed ? NULL : read_reply(b.s, b.len);
    free(b.s);
    return r;
}

redisReply *queue_resp_status(const char *text)
{
    return resp_line("+", text);
}

redisReply *queue_resp_error(const char *text)
{
    return resp_line("-", text);
}

void queue_resp_buf_array(struct resp_buf *b, size_t n)
{
    sb_head(b, '*', (long long)n);
}

void queue_resp_buf_string(struct resp_buf *b, const char *s, size_t len)
{
    sb_head(b, '$', (long long)len);
    sb_add(b, s, len);
    sb_add(b, "\r\n", 2);
}

void queue_resp_buf_reply(struct resp_buf *b, const redisReply *r)
{
    write_reply(b, r);
}

redisReply *queue_resp_buf_read(struct resp_buf *b)
{
    redisReply *r = b->failed || !b->s ? NULL : read_reply(b->s, b->len);
    free(b->s);
    memset(b, 0, sizeof *b);
    return r;
}

bool queue_resp_is(int argc, const char *const *argv, const size_t *argvlen, const char *name)
{
    return argc >= 1 && argvlen[0] == strlen(name) && strncasecmp(argv[0], name, argvlen[0]) == 0;
}

void queue_cluster_tx_init(struct cluster_tx *tx)
{
    memset(tx, 0, sizeof *tx);
}

void queue_cluster_tx_add(struct cluster_tx *tx, int argc, const char *const *argv,
                          const size_t *argvlen)
{
    int slot = queue_cluster_command_slot(argc, argv, argvlen);
    if (tx->n == CLUSTER_TX_MAX || slot == CLUSTER_SLOT_CROSSSLOT ||
        slot == CLUSTER_SLOT_MALFORMED) {
        tx->failed = true;
        return;
    }
    char **av;
    size_t *al;
    if (queue_resp_argv_copy(argc, argv, argvlen, &av, &al) != 0) {
        tx->failed = true;
        return;
    }
    tx->argc[tx->n] = argc;
    tx->argv[tx->n] = av;
    tx->argvlen[tx->n] = al;
    tx->slot[tx->n] = slot;
    tx->n++;
}

void queue_cluster_tx_plan(struct cluster_tx *tx)
{
    tx->n_groups = 0;
    int count[CLUSTER_TX_MAX] = {0};
    for (int i = 0; i < tx->n; i++) {
        /* Keyless ones (PUBLISH) run on slot 0's master, where the router
         * sends every keyless command: one node publishes them all, in order. */
        int slot = tx->slot[i] < 0 ? 0 : tx->slot[i];
        int g = 0;
        while (g < tx->n_groups && tx->group_slot[g] != slot)
            g++;
        if (g == tx->n_groups)
            tx->group_slot[tx->n_groups++] = slot;
        tx->group_of[i] = g;
        tx->pos_of[i] = count[g]++;
    }
}

/* A key of slot among the group's commands (the script's KEYS[1]). */
static int group_key(const struct cluster_tx *tx, int g, const char **key, size_t *len)
{
    for (int i = 0; i < tx->n; i++) {
        if (tx->group_of[i] != g || tx->slot[i] < 0)
            continue;
        for (int a = 1; a < tx->argc[i]; a++) {
            if (queue_cluster_key_slot(tx->argv[i][a], tx->argvlen[i][a]) == tx->group_slot[g]) {
                *key = tx->argv[i][a];
                *len = tx->argvlen[i][a];
                return 0;
            }
        }
    }
    return -1;
}

int queue_cluster_tx_group_call(const struct cluster_tx *tx, int g, int *argc, const char ***argv,
                                size_t **argvlen)
{
    int n = 4;
    for (int i = 0; i < tx->n; i++)
        if (tx->group_of[i] == g)
            n += 1 + tx->argc[i];
    /* The counts' text follows the two arrays. */
    char *block = malloc((size_t)n * (sizeof(char *) + sizeof(size_t)) + (size_t)tx->n * 12);
    if (!block)
        return -1;
    const char **av = (const char **)block;
    size_t *al = (size_t *)(block + (size_t)n * sizeof(char *));
    char *text = block + (size_t)n * (sizeof(char *) + sizeof(size_t));
    int k = 0;
    av[k] = "EVAL", al[k++] = 4;
    av[k] = TX_SCRIPT, al[k++] = sizeof TX_SCRIPT - 1;
    const char *key = NULL;
    size_t key_len = 0;
    bool keyed = group_key(tx, g, &key, &key_len) == 0;
    av[k] = keyed ? "1" : "0", al[k++] = 1;
    if (keyed)
        av[k] = key, al[k++] = key_len;
    for (int i = 0; i < tx->n; i++) {
        if (tx->group_of[i] != g)
            continue;
        int l = snprintf(text, 12, "%d", tx->argc[i]);
        av[k] = text, al[k++] = (size_t)l;
        text += 12;
        for (int a = 0; a < tx->argc[i]; a++)
            av[k] = tx->argv[i][a], al[k++] = tx->argvlen[i][a];
    }
    *argc = k;
    *argv = av;
    *argvlen = al;
    return 0;
}

redisReply *queue_cluster_tx_exec_reply(const struct cluster_tx *tx, redisReply *const *replies)
{
    for (int g = 0; g < tx->n_groups; g++) {
        if (!replies[g])
            return NULL;
        if (replies[g]->type == REDIS_REPLY_ERROR)
            return queue_resp_copy(replies[g]);
        if (replies[g]->type != REDIS_REPLY_ARRAY)
            return queue_resp_error("ERR unexpected answer to a transaction's script");
    }
    struct resp_buf b = {0};
    sb_head(&b, '*', tx->n);
    for (int i = 0; i < tx->n; i++) {
        const redisReply *r = replies[tx->group_of[i]];
        if ((size_t)tx->pos_of[i] < r->elements)
            write_reply(&b, r->element[tx->pos_of[i]]);
        else
            sb_add(&b, "$-1\r\n", 5);
    }
    redisReply *out = b.failed ? NULL : read_reply(b.s, b.len);
    free(b.s);
    return out;
}

void queue_cluster_tx_clear(struct cluster_tx *tx)
{
    for (int i = 0; i < tx->n; i++)
        free(tx->argv[i]);
    queue_cluster_tx_init(tx);
}
