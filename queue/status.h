/*
 * The outcome of a typed Redis call of queue/: what every asynchronous
 * queue_* callback is told first. The values a call can answer are listed in
 * its own contract comment.
 */
#ifndef CLAIMS_QUEUE_STATUS_H
#define CLAIMS_QUEUE_STATUS_H

enum queue_status {
    QUEUE_OK,
    QUEUE_NOT_FOUND,   /* no such claim, record, subscription, ... */
    QUEUE_CONFLICT,    /* the claim is not in a state that allows the change */
    QUEUE_UNAVAILABLE, /* Redis did not answer, or answered an error */
    QUEUE_CHANGED,     /* what the change depends on changed since it was read: nothing done */
};

/* Answer of a call that only succeeds or fails (or finds nothing). */
typedef void (*queue_status_cb)(enum queue_status status, void *arg);

#endif
