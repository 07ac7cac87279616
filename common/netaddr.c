#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* An address reduced to what is compared: 4 bytes (IPv4, also the IPv4 of
 * a mapped or NAT64 IPv6 address) or 16. */
struct eff {
    int family; /* AF_INET, AF_INET6; 0: neither */
    unsigned char b[16];
};

static const unsigned char mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const unsigned char nat64_prefix[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

/* ::ffff:0:0/96 and 64:ff9b::/96 carry an IPv4 address in their last 4 bytes. */
static bool carries_ipv4(const unsigned char b[16])
{
    return memcmp(b, mapped_prefix, 12) == 0 || memcmp(b, nat64_prefix, 12) == 0;
}

static struct eff effective(const struct sockaddr *sa)
{
    struct eff e = {0};
    if (!sa)
        return e;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        e.family = AF_INET;
        memcpy(e.b, &sin->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        const unsigned char *b = sin6->sin6_addr.s6_addr;
        if (carries_ipv4(b)) {
            e.family = AF_INET;
            memcpy(e.b, b + 12, 4);
        } else {
            e.family = AF_INET6;
            memcpy(e.b, b, 16);
        }
    }
    return e;
}

/* Whether the first prefix bits of a and b are equal. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b, int prefix)
{
    int whole = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

int netaddr_parse_cidr(const char *text, struct netaddr_cidr *out)
{
    char addr[64];
    const char *slash = strchr(text, '/');
    size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
    if (addr_len == 0 || addr_len >= sizeof addr)
        return -1;
    memcpy(addr, text, addr_len);
    addr[addr_len] = '\0';
    struct netaddr_cidr c = {0};
    int max;
    if (inet_pton(AF_INET, addr, c.bytes) == 1) {
        c.family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, addr, c.bytes) == 1) {
        c.family = AF_INET6;
        max = 128;
    } else {
        return -1;
    }
    c.prefix = max;
    if (slash) {
        const char *p = slash + 1;
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || digits > 3 || p[digits] != '\0' || (digits > 1 && p[0] == '0'))
            return -1;
        int prefix = 0;
        for (size_t i = 0; i < digits; i++)
            prefix = prefix * 10 + (p[i] - '0');
        if (prefix > max)
            return -1;
        c.prefix = prefix;
    }
    /* No bit set after the prefix: "10.1.2.3/16" is a typo of something. */
    int bytes = max / 8;
    for (int bit = c.prefix; bit < bytes * 8; bit++)
        if (c.bytes[bit / 8] & (0x80 >> (bit % 8)))
            return -1;
    /* ::ffff:a.b.c.d/96.. and 64:ff9b::a.b.c.d/96.. are IPv4 blocks. */
    if (c.family == AF_INET6 && c.prefix >= 96 && carries_ipv4(c.bytes)) {
        c.family = AF_INET;
        memmove(c.bytes, c.bytes + 12, 4);
        memset(c.bytes + 4, 0, 12);
        c.prefix -= 96;
    }
    *out = c;
    return 0;
}

bool netaddr_cidr_contains(const struct netaddr_cidr *c, const struct sockaddr *sa)
{
    struct eff e = effective(sa);
    return e.family != 0 && e.family == c->family && prefix_equal(e.b, c->bytes, c->prefix);
}

/* A block of the tables below: network bytes and prefix length. */
struct block {
    unsigned char b[16];
    int prefix;
};

/* IPv4 addresses that are not globally reachable (IANA IPv4 Special-Purpose
 * Address Registry, and multicast and the reserved class E). */
static const struct block v4_not_public[] = {
    {{0, 0, 0, 0}, 8},       /* "this network", 0.0.0.0 unspecified */
    {{10, 0, 0, 0}, 8},      /* private (RFC 1918) */
    {{100, 64, 0, 0}, 10},   /* shared address space, CGNAT (RFC 6598) */
    {{127, 0, 0, 0}, 8},     /* loopback */
    {{169, 254, 0, 0}, 16},  /* link-local, cloud metadata services */
    {{172, 16, 0, 0}, 12},   /* private */
    {{192, 0, 0, 0}, 24},    /* IETF protocol assignments (DS-Lite, NAT64 discovery) */
    {{192, 0, 2, 0}, 24},    /* documentation (TEST-NET-1) */
    {{192, 168, 0, 0}, 16},  /* private */
    {{198, 18, 0, 0}, 15},   /* benchmarking */
    {{198, 51, 100, 0}, 24}, /* documentation (TEST-NET-2) */
    {{203, 0, 113, 0}, 24},  /* documentation (TEST-NET-3) */
    {{224, 0, 0, 0}, 4},     /* multicast */
    {{240, 0, 0, 0}, 4},     /* reserved, and 255.255.255.255 broadcast */
};

/* Inside 2000::/3 (the only IPv6 unicast space allocated for global use),
 * the blocks that are not globally reachable. */
static const struct block v6_not_public[] = {
    {{0x20, 0x01, 0x00, 0x00}, 23}, /* IETF protocol assignments, Teredo */
    {{0x20, 0x01, 0x0d, 0xb8}, 32}, /* documentation */
    {{0x3f, 0xff, 0x00, 0x00}, 20}, /* documentation (RFC 9637) */
};

static bool in_blocks(const unsigned char *b, const struct block *blocks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (prefix_equal(b, blocks[i].b, blocks[i].prefix))
            return true;
    return false;
}

static bool ipv4_public(const unsigned char b[4])
{
    return !in_blocks(b, v4_not_public, sizeof v4_not_public / sizeof *v4_not_public);
}

bool netaddr_is_public(const struct sockaddr *sa)
{
    struct eff e = effective(sa);
    if (e.family == AF_INET)
        return ipv4_public(e.b);
    if (e.family != AF_INET6)
        return false;
    /* Outside 2000::/3: ::, ::1, the deprecated IPv4-compatible ::/96,
     * discard-only 100::/64, local-use NAT64 64:ff9b:1::/48, unique-local
     * fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast
     * ff00::/8 and everything not allocated. */
    if ((e.b[0] & 0xe0) != 0x20)
        return false;
    if (in_blocks(e.b, v6_not_public, sizeof v6_not_public / sizeof *v6_not_public))
        return false;
    /* 6to4 (2002::/16) reaches the IPv4 address in its bytes 2..5. */
    if (e.b[0] == 0x20 && e.b[1] == 0x02)
        return ipv4_public(e.b + 2);
    return true;
}

bool netaddr_allowed(const struct sockaddr *sa, const struct netaddr_list *allow)
{
    if (netaddr_is_public(sa))
        return true;
    for (int i = 0; allow && i < allow->n && i < NETADDR_LIST_MAX; i++)
        if (netaddr_cidr_contains(&allow->cidr[i], sa))
            return true;
    return false;
}

int netaddr_format(const struct sockaddr *sa, bool brackets, char *out, size_t size)
{
    char text[INET6_ADDRSTRLEN];
    int n;
    if (sa && sa->sa_family == AF_INET &&
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof text))
        n = snprintf(out, size, "%s", text);
    else if (sa && sa->sa_family == AF_INET6 &&
             inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof text))
        n = snprintf(out, size, brackets ? "[%s]" : "%s", text);
    else
        return -1;
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

bool netaddr_same(const struct sockaddr *a, const struct sockaddr *b)
{
    if (!a || !b || a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                      &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
    if (a->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
    return false;
}
