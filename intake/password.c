#include "password.h"

#include <argon2.h>
#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common_passwords.h"
#include "log.h"

/* The hash an unknown user's password is checked against: the parameters of
 * new hashes (PASSWORD_ARGON2_*), a fixed salt, a password nobody knows. */
static const char dummy_hash[] = "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$0qsHs573+"
                                 "LgGInzYb7sRqlOTBmqY4X6srNEm6ybpJ20";

/* ---- policy ---- */

static int cmp_common(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

int intake_password_is_common(const char *password, size_t len)
{
    if (len < PASSWORD_MIN_LEN || len > 64)
        return 0; /* the list holds 12..64 characters only */
    char lower[65];
    for (size_t i = 0; i < len; i++)
        lower[i] = (char)tolower((unsigned char)password[i]);
    lower[len] = '\0';
    return bsearch(lower, common_passwords, common_passwords_count, sizeof *common_passwords,
                   cmp_common) != NULL;
}

const char *intake_password_policy_problem(const char *password, size_t len)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)password[i] & 0xC0) != 0x80)
            chars++;
    if (chars < PASSWORD_MIN_LEN)
        return "must be at least 12 characters";
    if (len > PASSWORD_MAX_LEN)
        return "must be at most 1024 bytes";
    if (memchr(password, '\0', len))
        return "must not contain a NUL character";
    if (intake_password_is_common(password, len))
        return "is too common";
    return NULL;
}

/* ---- the worker pool ---- */

struct job {
    struct job *next;
    bool verify;
    bool dummy; /* verified against dummy_hash: never a match */
    char *password;
    size_t len;
    char encoded[PASSWORD_ENCODED_LEN]; /* verify: the stored hash; hash: the result */
    int result;
    password_hash_cb hash_cb;
    password_verify_cb verify_cb;
    void *arg;
};

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct job *todo, *todo_tail;
    struct job *done;
    int pipe_rd, pipe_wr;
    struct event *ev;
    struct event_base *base;
};

static struct pool *pool;

static void job_free(struct job *j)
{
    if (j->password) {
        explicit_bzero(j->password, j->len);
        free(j->password);
    }
    free(j);
}

static void run_job(struct job *j)
{
    if (j->verify) {
        int rc = argon2id_verify(j->encoded, j->password, j->len);
        j->result = rc == ARGON2_OK ? 1 : rc == ARGON2_VERIFY_MISMATCH ? 0 : -1;
        if (j->dummy)
            j->result = 0;
        return;
    }
    unsigned char salt[16];
    size_t got = 0;
    while (got < sizeof salt) {
        ssize_t n = getrandom(salt + got, sizeof salt - got, 0);
        if (n < 0) {
            j->result = -1;
            return;
        }
        got += (size_t)n;
    }
    int rc = argon2id_hash_encoded(PASSWORD_ARGON2_T, PASSWORD_ARGON2_M_KIB, PASSWORD_ARGON2_P,
                                   j->password, j->len, salt, sizeof salt, 32, j->encoded,
                                   sizeof j->encoded);
    j->result = rc == ARGON2_OK ? 0 : -1;
    if (rc != ARGON2_OK)
        log_error("argon2id hashing failed: %s", argon2_error_message(rc));
}

static void *worker_main(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->todo)
            pthread_cond_wait(&p->wake, &p->lock);
        struct job *j = p->todo;
        p->todo = j->next;
        if (!p->todo)
            p->todo_tail = NULL;
        pthread_mutex_unlock(&p->lock);

        run_job(j);
        explicit_bzero(j->password, j->len);

        pthread_mutex_lock(&p->lock);
        j->next = p->done;
        p->done = j;
        pthread_mutex_unlock(&p->lock);
        char one = 1;
        while (write(p->pipe_wr, &one, 1) < 0 && errno == EINTR)
            ;
    }
    return NULL;
}

/* On the loop: the pipe says jobs are done; their callbacks run here. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct pool *p = arg;
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&p->lock);
    struct job *list = p->done;
    p->done = NULL;
    pthread_mutex_unlock(&p->lock);
    /* The list is newest first; answer in the order the jobs finished. */
    struct job *rev = NULL;
    while (list) {
        struct job *n = list->next;
        list->next = rev;
        rev = list;
        list = n;
    }
    while (rev) {
        struct job *j = rev;
        rev = j->next;
        if (j->verify)
            j->verify_cb(j->result, j->arg);
        else
            j->hash_cb(j->result, j->result == 0 ? j->encoded : NULL, j->arg);
        explicit_bzero(j->encoded, sizeof j->encoded);
        job_free(j);
    }
}

static struct pool *pool_get(struct event_base *base)
{
    if (pool)
        return pool->base == base ? pool : NULL;
    struct pool *p = calloc(1, sizeof *p);
    int fds[2];
    if (!p || pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->pipe_rd = fds[0];
    p->pipe_wr = fds[1];
    p->base = base;
    p->ev = event_new(base, p->pipe_rd, EV_READ | EV_PERSIST, on_done, p);
    if (!p->ev || event_add(p->ev, NULL) != 0)
        goto fail;
    for (int i = 0; i < PASSWORD_THREADS; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker_main, p) != 0)
            goto fail;
        pthread_detach(t);
    }
    pool = p;
    return p;
fail:
    log_error("the password hashing threads could not start");
    /* Threads already started keep waiting on p: leave it allocated. */
    return NULL;
}

static int submit(struct event_base *base, struct job *j, const char *password, size_t len)
{
    struct pool *p = pool_get(base);
    j->password = malloc(len + 1);
    if (!p || !j->password) {
        job_free(j);
        return -1;
    }
    memcpy(j->password, password, len);
    j->password[len] = '\0';
    j->len = len;
    pthread_mutex_lock(&p->lock);
    if (p->todo_tail)
        p->todo_tail->next = j;
    else
        p->todo = j;
    p->todo_tail = j;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

int intake_password_hash_async(struct event_base *base, const char *password, size_t len,
                               password_hash_cb cb, void *arg)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return -1;
    j->hash_cb = cb;
    j->arg = arg;
    return submit(base, j, password, len);
}

int intake_password_verify_async(struct event_base *base, const char *encoded, const char *password,
                                 size_t len, password_verify_cb cb, void *arg)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return -1;
    j->verify = true;
    j->verify_cb = cb;
    j->arg = arg;
    /* A stored value too long to be ours costs the same and never matches. */
    j->dummy = !encoded || strlen(encoded) >= sizeof j->encoded;
    snprintf(j->encoded, sizeof j->encoded, "%s", j->dummy ? dummy_hash : encoded);
    return submit(base, j, password, len);
}
