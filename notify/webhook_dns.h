/*
 * Where a webhook may connect (docs/webhooks.md "Which addresses are
 * refused"): a subscription's host is resolved, every address it resolves
 * to is checked with common/netaddr.h, and one of them is handed back to be
 * pinned for the connection, so that a name cannot resolve to a public
 * address when checked and to an internal one when connected (DNS
 * rebinding).
 *
 * Used on the event loop, which it never blocks: a numeric host (any form
 * getaddrinfo's AI_NUMERICHOST takes, so also 2130706433, 0177.0.0.1,
 * 0x7f.1 and 127.1) is answered on the next loop turn; a name is resolved
 * by getaddrinfo on a short-lived thread of its own (so /etc/hosts,
 * nsswitch and resolv.conf apply exactly as for any other program), and the
 * loop waits for it at most timeout_ms. A lookup still running then is left
 * to finish on its thread and its answer dropped.
 */
#ifndef CLAIMS_EOB_WEBHOOK_DNS_H
#define CLAIMS_EOB_WEBHOOK_DNS_H

#include <sys/socket.h>

#include "netaddr.h"

struct event_base;

/* At most this many lookups run at once in a process. */
#define NOTIFY_DNS_MAX_LOOKUPS 64

enum notify_dns_result {
    NOTIFY_DNS_OK,          /* every address allowed: pinned is the first one */
    NOTIFY_DNS_NOT_ALLOWED, /* some address is neither public nor in the allow list */
    NOTIFY_DNS_NO_ADDRESS,  /* no IPv4 or IPv6 address, or none within timeout_ms */
};

/* pinned: the address to connect to when NOTIFY_DNS_OK, else NULL;
 * borrowed for the call. */
typedef void (*notify_dns_cb)(enum notify_dns_result result, const struct sockaddr *pinned,
                              void *arg);

struct notify_dns;

/* Starts checking host (as notify_url_target gives it) against allow (may
 * be NULL: public addresses only; it must stay valid until the answer).
 * cb is called exactly once, from base's loop and never before this
 * returns, unless notify_dns_cancel comes first. Returns NULL when it
 * could not start (out of memory, NOTIFY_DNS_MAX_LOOKUPS running): then cb
 * is never called. */
struct notify_dns *notify_dns_check(struct event_base *base, const char *host,
                                    const struct netaddr_list *allow, int timeout_ms,
                                    notify_dns_cb cb, void *arg);

/* Drops a check whose callback has not run; its callback will not run. */
void notify_dns_cancel(struct notify_dns *d);

struct addrinfo;

/* The verdict on a resolved address list, as the check gives it (pure; for
 * tests): every AF_INET/AF_INET6 entry must be allowed; *first is the first
 * of them. */
enum notify_dns_result notify_dns_judge(const struct addrinfo *list,
                                        const struct netaddr_list *allow,
                                        const struct sockaddr **first);

#endif
