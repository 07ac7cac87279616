#include "webhook_dns.h"

#include <event2/event.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "notify/webhook.h"

static atomic_int lookups_running;

/* What the lookup thread and the loop share. Whoever is last frees it: the
 * loop when the answer came first, the thread when the loop gave up first. */
struct job {
    pthread_mutex_t mu;
    bool done;      /* the thread has answered (res, efd written) */
    bool abandoned; /* the loop no longer wants the answer */
    int efd;        /* written once by the thread when done */
    struct addrinfo *res;
    char host[NOTIFY_HOST_MAX];
};

struct notify_dns {
    const struct netaddr_list *allow;
    notify_dns_cb cb;
    void *arg;
    struct event *ready; /* the job's eventfd, or activated at once for a numeric host */
    struct event *timer; /* the wait's end; NULL for a numeric host */
    struct job *job;     /* NULL for a numeric host */
    struct addrinfo *numeric;
};

static void job_free(struct job *j)
{
    if (j->res)
        freeaddrinfo(j->res);
    close(j->efd);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

static void *lookup_main(void *arg)
{
    struct job *j = arg;
    /* Every address the name has, of both families: all of them are
     * checked (AI_ADDRCONFIG would hide some that a later lookup, curl's or
     * after a network change, could use). */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(j->host, NULL, &hints, &res) != 0)
        res = NULL;
    pthread_mutex_lock(&j->mu);
    j->res = res;
    j->done = true;
    bool abandoned = j->abandoned;
    if (!abandoned) {
        uint64_t one = 1;
        if (write(j->efd, &one, sizeof one) < 0) {
            /* An eventfd write of 1 does not fail; the wait would end it. */
        }
    }
    pthread_mutex_unlock(&j->mu);
    if (abandoned)
        job_free(j);
    atomic_fetch_sub(&lookups_running, 1);
    return NULL;
}

enum notify_dns_result notify_dns_judge(const struct addrinfo *list,
                                        const struct netaddr_list *allow,
                                        const struct sockaddr **first)
{
    *first = NULL;
    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        if (!ai->ai_addr || (ai->ai_family != AF_INET && ai->ai_family != AF_INET6))
            continue;
        /* Any one not allowed refuses the host: which one a connection
         * would use is not ours to choose. */
        if (!netaddr_allowed(ai->ai_addr, allow)) {
            *first = NULL;
            return NOTIFY_DNS_NOT_ALLOWED;
        }
        if (!*first)
            *first = ai->ai_addr;
    }
    return *first ? NOTIFY_DNS_OK : NOTIFY_DNS_NO_ADDRESS;
}

/* Ends d: takes the answer (NULL when there is none yet), frees d, and
 * calls back when report is true. */
static void finish(struct notify_dns *d, bool report)
{
    struct addrinfo *res = d->numeric;
    struct job *j = d->job;
    if (j) {
        pthread_mutex_lock(&j->mu);
        bool done = j->done;
        if (done) {
            res = j->res;
            j->res = NULL;
        } else {
            j->abandoned = true; /* the thread frees the job */
        }
        pthread_mutex_unlock(&j->mu);
        if (done)
            job_free(j);
    }
    event_free(d->ready);
    if (d->timer)
        event_free(d->timer);
    notify_dns_cb cb = d->cb;
    void *arg = d->arg;
    const struct netaddr_list *allow = d->allow;
    free(d);
    if (report) {
        const struct sockaddr *first = NULL;
        enum notify_dns_result result = notify_dns_judge(res, allow, &first);
        struct sockaddr_storage pinned;
        if (first) {
            memset(&pinned, 0, sizeof pinned);
            memcpy(&pinned, first,
                   first->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                               : sizeof(struct sockaddr_in6));
        }
        if (res)
            freeaddrinfo(res);
        cb(result, first ? (const struct sockaddr *)&pinned : NULL, arg);
    } else if (res) {
        freeaddrinfo(res);
    }
}

static void on_ready(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    finish(arg, true);
}

static void on_wait_over(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    finish(arg, true); /* no answer yet: NOTIFY_DNS_NO_ADDRESS */
}

/* Starts the lookup thread of d's job; -1 when it could not. */
static int start_thread(struct job *j)
{
    if (atomic_fetch_add(&lookups_running, 1) >= NOTIFY_DNS_MAX_LOOKUPS) {
        atomic_fetch_sub(&lookups_running, 1);
        return -1;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* Signals stay with the threads that handle them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    int rc = pthread_create(&t, &attr, lookup_main, j);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        atomic_fetch_sub(&lookups_running, 1);
        return -1;
    }
    return 0;
}

struct notify_dns *notify_dns_check(struct event_base *base, const char *host,
                                    const struct netaddr_list *allow, int timeout_ms,
                                    notify_dns_cb cb, void *arg)
{
    if (strlen(host) >= NOTIFY_HOST_MAX)
        return NULL;
    struct notify_dns *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->allow = allow;
    d->cb = cb;
    d->arg = arg;
    /* A numeric host needs no lookup: answered on the next loop turn. */
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    if (getaddrinfo(host, NULL, &hints, &d->numeric) == 0) {
        d->ready = event_new(base, -1, 0, on_ready, d);
        if (!d->ready) {
            freeaddrinfo(d->numeric);
            free(d);
            return NULL;
        }
        event_active(d->ready, EV_TIMEOUT, 0);
        return d;
    }
    d->numeric = NULL;
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        free(d);
        return NULL;
    }
    snprintf(j->host, sizeof j->host, "%s", host);
    j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (j->efd < 0) {
        free(j);
        free(d);
        return NULL;
    }
    pthread_mutex_init(&j->mu, NULL);
    d->job = j;
    d->ready = event_new(base, j->efd, EV_READ, on_ready, d);
    d->timer = evtimer_new(base, on_wait_over, d);
    struct timeval wait = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (!d->ready || !d->timer || event_add(d->ready, NULL) != 0 ||
        evtimer_add(d->timer, &wait) != 0 || start_thread(j) != 0) {
        if (d->ready)
            event_free(d->ready);
        if (d->timer)
            event_free(d->timer);
        job_free(j);
        free(d);
        return NULL;
    }
    return d;
}

void notify_dns_cancel(struct notify_dns *d)
{
    if (d)
        finish(d, false);
}
