/*
 * The embedded default (DESIGN.md "Processes"): with no Redis configured,
 * claimsd runs its own redis-server as a child process with its data under
 * the data directory (unix socket only, AOF on, no RDB snapshots unless
 * configured) and stops it on exit. The child is in its own process group,
 * so a terminal's Ctrl-C reaches claimsd alone, which then drains its work
 * before stopping Redis; and it is sent SIGTERM if claimsd dies.
 */
#ifndef CLAIMS_REDIS_CHILD_H
#define CLAIMS_REDIS_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "queue/redis_conn.h"

struct redis_child {
    pid_t pid;
    int lock_fd; /* flock on <data_dir>/claimsd.lock: one claimsd per data dir */
    char data_dir[CONFIG_PATH_LEN];
    char socket_path[CONFIG_PATH_LEN];
};

/* Creates the data directory (0700), locks it, starts redis-server and waits
 * until it answers PING (up to wait_ms). Fills *addr with its socket.
 * Returns 0, or -1 after logging why (nothing left running). */
int server_redis_child_start(const struct config *cfg, int wait_ms, struct redis_child *child,
                             struct redis_address *addr);

/* True once the child has exited; reaps it (call on SIGCHLD). */
bool server_redis_child_exited(struct redis_child *child, int *status);

/* Asks redis-server to stop (SIGTERM: it flushes the AOF), waits up to
 * wait_ms, then kills it. Releases the data directory lock. */
void server_redis_child_stop(struct redis_child *child, int wait_ms);

#endif
