/*
 * Lua scripts run atomically inside Redis. Each is sent with EVALSHA (its
 * SHA-1 computed here, so nothing needs loading first); a NOSCRIPT answer
 * (a restarted or flushed Redis) is retried once with EVAL, which also
 * caches the script again.
 */
#ifndef CLAIMS_SCRIPTS_H
#define CLAIMS_SCRIPTS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "queue/redis_conn.h"
#include "queue/rlink.h"

struct script {
    const char *name;
    const char *body;
    char sha[41];
};

/* One audit record: the global audit stream and the claim's own list. */
extern struct script script_audit;
/* Claim search: one index walked with filters, bounded work per call. */
/* The worker's steps and the queue's maintenance (see each in scripts.c). */
extern struct script script_claim_start;
extern struct script script_commit;
extern struct script script_expire_pended;
extern struct script script_supply;
extern struct script script_dead_letter;
extern struct script script_retry_dead;

/* Computes every script's SHA-1; call once at start. */
void queue_scripts_init(void);
/* Computes one script's SHA-1 (for scripts defined outside scripts.c). */
void queue_script_init(struct script *s);
/* The script with its SHA-1 computed on first use (queue_script_init), for the
 * scripts defined outside scripts.c; not thread-safe: for scripts first used
 * on one thread (the event loop's). */
const struct script *queue_script_ready(struct script *s);

/* EVALSHA with NOSCRIPT fallback, on the event loop. keys and args are
 * copied. Returns 0 (cb will be called once) or -1 (not sent; cb not called). */
int queue_script_eval_async(struct rconn *rc, const struct script *s, rconn_reply_cb cb, void *arg,
                            int nkeys, const char *const *keys, int nargs, const char *const *args,
                            const size_t *arglens);

/* The same over a blocking connection; the caller frees the reply. */
redisReply *queue_script_eval_blocking(struct rlink *c, const struct script *s, int nkeys,
                                       const char *const *keys, int nargs, const char *const *args,
                                       const size_t *arglens);

#endif
