/*
 * Sample enrollment for the embedded default (config key seed_dir): plans,
 * groups and members loaded into an empty store at first start, checked by
 * the same parsers as PUT /v1/{plans,groups,members}/{id}.
 */
#ifndef CLAIMS_SEED_H
#define CLAIMS_SEED_H

#include <stdbool.h>
#include <stddef.h>

struct rlink; /* a blocking connection (queue/rlink.h) */

/* Loads the .json files of DIR/plans, DIR/groups, then DIR/members
 * (subscribers before their dependents), unless the store was seeded
 * before. A file's name without ".json" must equal its record's id. Returns
 * 1 when it loaded them, 0 when the store was seeded before, or -1 after
 * logging the file and the first problem. Blocking. */
int server_seed_load(struct rlink *c, const char *prefix, const char *dir);

/* Creates an invitation for each sample person (a staff member, the sample
 * providers, each sample member) and API tokens for programs (admin, staff,
 * the providers, each member), and prints them once on standard output,
 * never to the log: each invitation as the link portal_url#/accept?code=…
 * ("http://127.0.0.1:8080/portal/"), or as its code when portal_url is NULL
 * or empty (no portal). Returns 0 or -1. */
int server_seed_print_tokens(struct rlink *c, const char *prefix, const char *dir,
                             const char *portal_url);

/* The portal's address on the listener host:port, for the printed links:
 * "http://127.0.0.1:8080/portal/" ("https://" when tls is true; a wildcard host is shown as the
 * loopback, an IPv6 address in brackets; port 0, picked by the system
 * later, gives the path "/portal/" alone). */
void server_seed_portal_url(const char *host, int port, bool tls, char *out, size_t size);

#endif
