#include "redis_child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int mkdir_p(const char *path, mode_t mode)
{
    char buf[CONFIG_PATH_LEN];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void unlock_dir(struct redis_child *child)
{
    if (child->lock_fd >= 0) {
        close(child->lock_fd); /* releases the flock */
        child->lock_fd = -1;
    }
}

/*
 * The data directory holds PHI and webhook secrets (issue 16, finding 5): it
 * is 0700 and every file in it and in Redis's appendonlydir 0600, whatever
 * created them before (a pre-created folder, an older claimsd). redis-server
 * then runs with umask 077, so what it creates is private too. Returns 0, or
 * -1 (errno set) when the folder itself cannot be made private.
 */
static int make_private(const char *dir)
{
    if (chmod(dir, 0700) != 0)
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[CONFIG_PATH_LEN + 300];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            make_private(path); /* appendonlydir */
        else if (S_ISREG(st.st_mode))
            chmod(path, 0600);
    }
    closedir(d);
    return 0;
}

/* Creates, resolves (child->data_dir) and privatises the data directory; 0, or -1 logged. */
static int prepare_data_dir(const struct config *cfg, struct redis_child *child)
{
    if (mkdir_p(cfg->data_dir, 0700) != 0) {
        log_error("cannot create data directory %s: %s", cfg->data_dir, strerror(errno));
        return -1;
    }
    if (!realpath(cfg->data_dir, child->data_dir)) {
        log_error("cannot resolve data directory %s: %s", cfg->data_dir, strerror(errno));
        return -1;
    }
    if (make_private(child->data_dir) != 0) {
        log_error("cannot make data directory %s private (0700): %s", child->data_dir,
                  strerror(errno));
        return -1;
    }
    return 0;
}

/* Locks the data directory (child->lock_fd), waiting up to 5 s; 0, or -1 logged. */
static int lock_data_dir(struct redis_child *child)
{
    char lock_path[CONFIG_PATH_LEN + 32];
    snprintf(lock_path, sizeof lock_path, "%s/claimsd.lock", child->data_dir);
    /* The lock is inherited by redis-server and so held until both are gone:
     * a restarted claimsd waits (up to 5 s) for a previous Redis that is
     * still flushing its AOF, instead of starting a second one on the same
     * files. */
    child->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    bool locked = false;
    for (int waited = 0; child->lock_fd >= 0 && waited <= 5000; waited += 50) {
        if (flock(child->lock_fd, LOCK_EX | LOCK_NB) == 0) {
            locked = true;
            break;
        }
        if (waited == 0)
            log_info("waiting for the data directory lock (a previous Redis may be stopping)");
        sleep_ms(50);
    }
    if (!locked) {
        log_error("data directory %s is in use by another claimsd (or not writable)",
                  child->data_dir);
        unlock_dir(child);
        return -1;
    }
    return 0;
}

/* child->socket_path in the data directory, a stale one removed; 0, or -1 logged. */
static int set_socket_path(struct redis_child *child)
{
    struct sockaddr_un sun;
    int n =
        snprintf(child->socket_path, sizeof child->socket_path, "%s/redis.sock", child->data_dir);
    if (n < 0 || (size_t)n >= sizeof sun.sun_path) {
        log_error("data directory path is too long for a unix socket (max %zu bytes)",
                  sizeof sun.sun_path - 12);
        return -1;
    }
    unlink(child->socket_path); /* a stale socket from a killed run */
    return 0;
}

/* redis-server's command line into argv (NULL-terminated), as the header describes. */
static void redis_argv(const struct config *cfg, const struct redis_child *child,
                       const char *logfile, const char *argv[40])
{
    int argc = 0;
    argv[argc++] = cfg->redis_server_path;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--unixsocket";
    argv[argc++] = child->socket_path;
    argv[argc++] = "--unixsocketperm";
    argv[argc++] = "700";
    argv[argc++] = "--dir";
    argv[argc++] = child->data_dir;
    argv[argc++] = "--daemonize";
    argv[argc++] = "no";
    argv[argc++] = "--logfile";
    argv[argc++] = logfile;
    argv[argc++] = "--appendonly";
    argv[argc++] = "yes";
    argv[argc++] = "--appendfsync";
    argv[argc++] = cfg->appendfsync;
    if (!cfg->rdb_snapshots) {
        argv[argc++] = "--save";
        argv[argc++] = "";
    }
    argv[argc] = NULL;
}

/* In the forked child: becomes redis-server (argv), holding the lock; never returns. */
static void exec_redis(const struct redis_child *child, const char *const *argv, pid_t parent)
{
    /* Own process group: the terminal's Ctrl-C goes to claimsd only. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(1); /* claimsd died before prctl took effect */
    umask(077);   /* the AOF, the socket and the log: owner only */
    /* Keep the data directory lock open in redis-server. */
    fcntl(child->lock_fd, F_SETFD, 0);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        close(devnull);
    }
    execvp(argv[0], (char *const *)argv);
    fprintf(stderr, "claimsd: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Waits up to wait_ms for redis-server to answer PING; 0, or -1 logged (and it stopped). */
static int wait_for_redis(struct redis_child *child, const struct redis_address *addr, int wait_ms,
                          const char *logfile)
{
    for (int waited = 0; waited <= wait_ms; waited += 50) {
        int status;
        if (server_redis_child_exited(child, &status)) {
            log_error("embedded redis-server exited at start (status %d); see %s", status, logfile);
            unlock_dir(child);
            return -1;
        }
        /* LOADING replies an error while the AOF is read: keep waiting. */
        if (queue_redis_ping_blocking(addr, 500))
            return 0;
        sleep_ms(50);
    }
    log_error("embedded redis-server did not answer within %d ms; see %s", wait_ms, logfile);
    server_redis_child_stop(child, 2000);
    return -1;
}

int server_redis_child_start(const struct config *cfg, int wait_ms, struct redis_child *child,
                             struct redis_address *addr)
{
    memset(child, 0, sizeof *child);
    child->pid = -1;
    child->lock_fd = -1;
    if (prepare_data_dir(cfg, child) != 0 || lock_data_dir(child) != 0)
        return -1;
    if (set_socket_path(child) != 0) {
        unlock_dir(child);
        return -1;
    }
    char logfile[CONFIG_PATH_LEN + 32];
    snprintf(logfile, sizeof logfile, "%s/redis.log", child->data_dir);
    const char *argv[40];
    redis_argv(cfg, child, logfile, argv);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork for redis-server failed: %s", strerror(errno));
        unlock_dir(child);
        return -1;
    }
    if (pid == 0)
        exec_redis(child, argv, parent);
    child->pid = pid;
    log_info("started embedded redis-server (pid %d), data in %s", (int)pid, child->data_dir);
    addr->is_unix = true;
    snprintf(addr->path, sizeof addr->path, "%s", child->socket_path);
    addr->db = 0;
    return wait_for_redis(child, addr, wait_ms, logfile);
}

bool server_redis_child_exited(struct redis_child *child, int *status)
{
    if (child->pid <= 0) {
        *status = 0;
        return true;
    }
    int st;
    pid_t r = waitpid(child->pid, &st, WNOHANG);
    if (r == child->pid) {
        child->pid = -1;
        *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return true;
    }
    return false;
}

void server_redis_child_stop(struct redis_child *child, int wait_ms)
{
    if (child->pid > 0) {
        kill(child->pid, SIGTERM);
        int status = 0;
        int waited = 0;
        while (!server_redis_child_exited(child, &status) && waited < wait_ms) {
            sleep_ms(20);
            waited += 20;
        }
        if (child->pid > 0) {
            log_warn("redis-server did not stop in %d ms; killing it", wait_ms);
            kill(child->pid, SIGKILL);
            waitpid(child->pid, &status, 0);
            child->pid = -1;
        } else {
            log_info("embedded redis-server stopped");
        }
    }
    unlock_dir(child);
}
