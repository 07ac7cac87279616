/*
 * What a Redis Cluster connection (queue/redis_conn.c, cluster mode) needs
 * besides routing single commands (issue 12, docs/operations.md "Running
 * on a cluster"):
 *
 * - Commands written with a format (queue_rconn_command, redisCommand) are
 *   formatted by hiredis and split back into arguments here, so that their
 *   keys can be found (queue_cluster_command_slot).
 * - MULTI ... EXEC cannot follow a router (MULTI has no key; its commands may
 *   live on different masters). A transaction is collected until EXEC and
 *   then run as one Lua script per slot (TX_SCRIPT below: each command with
 *   redis.pcall, answers in order), which is atomic per slot like EXEC. The
 *   answers are put back together as EXEC's array. Commands of different
 *   slots (a session and the sign-in failures it clears, a member record and
 *   its family set) are then separate steps: a crash between them leaves one
 *   done, the other not (docs/operations.md says which).
 * - Replies are copied (RESP written and read back) where they must outlive
 *   hiredis's callback.
 */
#ifndef CLAIMS_CLUSTER_TX_H
#define CLAIMS_CLUSTER_TX_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#define CLUSTER_TX_MAX 32 /* commands of one MULTI ... EXEC */

/* Splits a RESP command (redisvFormatCommand's output) into arguments that
 * point into cmd. *argv (one allocation holding both arrays) is freed by the
 * caller. Returns 0, or -1 when cmd is not a command or out of memory. */
int queue_resp_split(const char *cmd, size_t len, int *argc, const char ***argv, size_t **argvlen);

/* A copy of argc arguments in one allocation: (*argv)[i] holds argvlen[i]
 * bytes and a NUL, (*lens)[i] their length; free(*argv) frees it all.
 * Returns 0, or -1 when out of memory. */
int queue_resp_argv_copy(int argc, const char *const *argv, const size_t *argvlen, char ***out_argv,
                         size_t **out_lens);

/* A deep copy of a reply (freeReplyObject frees it); NULL when out of
 * memory. */
redisReply *queue_resp_copy(const redisReply *r);

/* A status reply ("OK", "QUEUED") made here (freeReplyObject frees it); NULL
 * when out of memory. */
redisReply *queue_resp_status(const char *text);
/* An error reply of text made here (freeReplyObject frees it); NULL when out
 * of memory. */
redisReply *queue_resp_error(const char *text);

/* A reply written piece by piece (RESP2) and then read back as one, for a
 * caller that puts an answer together from several (queue/recoveries.c). */
struct resp_buf {
    char *s;
    size_t len, cap;
    bool failed; /* out of memory: queue_resp_buf_read gives NULL */
};
/* Appends the header of an array of n elements (out of memory: b->failed). */
void queue_resp_buf_array(struct resp_buf *b, size_t n);
/* Appends a bulk string of len bytes of s (out of memory: b->failed). */
void queue_resp_buf_string(struct resp_buf *b, const char *s, size_t len);
/* A copy of r. */
void queue_resp_buf_reply(struct resp_buf *b, const redisReply *r);
/* The reply written (the caller frees it), NULL when out of memory or
 * incomplete; frees the buffer either way. */
redisReply *queue_resp_buf_read(struct resp_buf *b);

/* Whether argv[0] is name (any case). */
bool queue_resp_is(int argc, const char *const *argv, const size_t *argvlen, const char *name);

struct cluster_tx {
    int n;
    int argc[CLUSTER_TX_MAX];
    char **argv[CLUSTER_TX_MAX];
    size_t *argvlen[CLUSTER_TX_MAX];
    int slot[CLUSTER_TX_MAX];
    /* After queue_cluster_tx_plan: the groups (one per slot, in order of first
     * use) and each command's place. */
    int n_groups;
    int group_slot[CLUSTER_TX_MAX];
    int group_of[CLUSTER_TX_MAX];
    int pos_of[CLUSTER_TX_MAX];
    bool failed; /* a command could not be queued: EXEC answers an error */
};

/* Empties tx (no commands, not failed) before the first queue_cluster_tx_add. */
void queue_cluster_tx_init(struct cluster_tx *tx);
/* Queues a copy of one command; marks the transaction failed (no memory,
 * too many commands, keys of different slots in one command). */
void queue_cluster_tx_add(struct cluster_tx *tx, int argc, const char *const *argv,
                          const size_t *argvlen);
/* Groups the commands by slot (fills n_groups, group_slot, group_of, pos_of). */
void queue_cluster_tx_plan(struct cluster_tx *tx);
/* The EVAL of group g: argv (one allocation, freed by the caller) and
 * argc. Returns 0 or -1 when out of memory. */
int queue_cluster_tx_group_call(const struct cluster_tx *tx, int g, int *argc, const char ***argv,
                                size_t **argvlen);
/* EXEC's answer from the groups' answers (replies[g]: the script's array, or
 * NULL): NULL when a group got none (the connection failed), the group's
 * error when one failed, else the array of every command's answer in
 * order. The caller frees it. */
redisReply *queue_cluster_tx_exec_reply(const struct cluster_tx *tx, redisReply *const *replies);
/* Frees the copies; tx can be used again after queue_cluster_tx_init. */
void queue_cluster_tx_clear(struct cluster_tx *tx);

#endif
