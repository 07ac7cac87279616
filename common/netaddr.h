/*
 * IP address classification and CIDR matching, for outbound connections to
 * addresses an API user chose (webhook receivers, docs/webhooks.md "Which
 * addresses are refused"). Pure: no I/O, no name resolution.
 *
 * An address is classified by its effective IPv4 address when it carries
 * one: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4
 * (2002:AABB:CCDD::) are judged as a.b.c.d, so ::ffff:127.0.0.1 is loopback
 * and an allow-list entry 10.1.0.0/16 also covers ::ffff:10.1.0.5.
 */
#ifndef CLAIMS_NETADDR_H
#define CLAIMS_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* An address block: family AF_INET or AF_INET6, the network address
 * (4 or 16 bytes used) and the prefix length (0..32 or 0..128). */
struct netaddr_cidr {
    int family;
    unsigned char bytes[16];
    int prefix;
};

#define NETADDR_LIST_MAX 64

/* A list of blocks (the config's webhooks.allow_private). */
struct netaddr_list {
    int n;
    struct netaddr_cidr cidr[NETADDR_LIST_MAX];
};

/* Parses "ADDR" (a /32 or /128) or "ADDR/PREFIX", ADDR in standard
 * notation only (dotted quad, or RFC 4291 IPv6 text, no zone), PREFIX
 * decimal without leading zeros and no bit set in ADDR after the prefix
 * ("10.1.0.0/16", not "10.1.2.3/16"). An IPv4-mapped block
 * (::ffff:a.b.c.d/96..128) becomes the IPv4 block. Returns 0, or -1. */
int netaddr_parse_cidr(const char *text, struct netaddr_cidr *out);

/* Whether sa (AF_INET or AF_INET6; anything else: false) is in c, both
 * compared by their effective address (see above). */
bool netaddr_cidr_contains(const struct netaddr_cidr *c, const struct sockaddr *sa);

/* Whether sa is a globally reachable unicast address: false for
 * unspecified, loopback, private, shared (CGNAT), link-local, multicast,
 * broadcast and reserved addresses and the IETF special-purpose blocks
 * (docs/webhooks.md lists them), and for any family but AF_INET and
 * AF_INET6. */
bool netaddr_is_public(const struct sockaddr *sa);

/* netaddr_is_public, or in one of allow's blocks (allow may be NULL). */
bool netaddr_allowed(const struct sockaddr *sa, const struct netaddr_list *allow);

/* The address of sa (not its port) as text: "192.0.2.1", or "[2001:db8::1]"
 * when brackets is true and it is IPv6. Returns 0, or -1 (not AF_INET or
 * AF_INET6, or size too small). */
int netaddr_format(const struct sockaddr *sa, bool brackets, char *out, size_t size);

/* Whether a and b are the same address (family and bytes; ports ignored). */
bool netaddr_same(const struct sockaddr *a, const struct sockaddr *b);

#endif
