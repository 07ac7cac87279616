/*
 * common/netaddr.c: which addresses are public, CIDR blocks and the allow
 * list (docs/webhooks.md "Which addresses are refused"), and the verdict of
 * notify/webhook_dns.c on a resolved address list. No I/O: addresses are made
 * with getaddrinfo(AI_NUMERICHOST), which takes the same numeric forms as
 * curl and inet_aton (2130706433, 0177.0.0.1, 0x7f.1, 127.1).
 */
#include <arpa/inet.h>
#include <check.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "harness/harness.h"
#include "notify/webhook_dns.h"
#include "netaddr.h"

/* The numeric host text as an address; the test fails if it is not one. */
static struct sockaddr_storage A(const char *text) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(text, NULL, &hints, &res);
    ck_assert_msg(rc == 0 && res, "%s is not a numeric address", text);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return ss;
}

static bool
pub(const char *text)
{
    struct sockaddr_storage ss = A(text);
    return netaddr_is_public((struct sockaddr *)&ss);
}

static void expect_public(const char *const *texts, size_t n, bool want)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(pub(texts[i]) == want, "%s: public is %d, want %d", texts[i], pub(texts[i]),
                      want);
}

#define EXPECT(want, ...)                                                                          \
    do {                                                                                           \
        const char *const list_[] = {__VA_ARGS__};                                                 \
        expect_public(list_, sizeof list_ / sizeof *list_, want);                                  \
    } while (0)

START_TEST(test_ipv4_ranges_and_their_boundaries)
{
    /* unspecified, "this network" 0/8 */
    EXPECT(false, "0.0.0.0", "0.255.255.255");
    EXPECT(true, "1.0.0.0");
    /* private 10/8 */
    EXPECT(true, "9.255.255.255", "11.0.0.0");
    EXPECT(false, "10.0.0.0", "10.255.255.255");
    /* CGNAT 100.64/10 */
    EXPECT(true, "100.63.255.255", "100.128.0.0");
    EXPECT(false, "100.64.0.0", "100.127.255.255");
    /* loopback 127/8 */
    EXPECT(true, "126.255.255.255", "128.0.0.0");
    EXPECT(false, "127.0.0.0", "127.0.0.1", "127.255.255.255");
    /* link-local 169.254/16 (cloud metadata) */
    EXPECT(true, "169.253.255.255", "169.255.0.0");
    EXPECT(false, "169.254.0.0", "169.254.169.254", "169.254.255.255");
    /* private 172.16/12 */
    EXPECT(true, "172.15.255.255", "172.32.0.0");
    EXPECT(false, "172.16.0.0", "172.31.255.255");
    /* private 192.168/16 */
    EXPECT(true, "192.167.255.255", "192.169.0.0");
    EXPECT(false, "192.168.0.0", "192.168.255.255");
    /* IETF 192.0.0/24, documentation, benchmarking */
    EXPECT(false, "192.0.0.0", "192.0.0.255", "192.0.2.0", "192.0.2.255", "198.18.0.0",
           "198.19.255.255", "198.51.100.0", "198.51.100.255", "203.0.113.0", "203.0.113.255");
    EXPECT(true, "191.255.255.255", "192.0.1.0", "192.0.3.0", "198.17.255.255", "198.20.0.0",
           "198.51.99.255", "198.51.101.0", "203.0.112.255", "203.0.114.0");
    /* multicast 224/4, reserved 240/4, broadcast */
    EXPECT(true, "223.255.255.255");
    EXPECT(false, "224.0.0.0", "239.255.255.255", "240.0.0.0", "255.255.255.254",
           "255.255.255.255");
    /* public */
    EXPECT(true, "8.8.8.8", "93.184.215.14", "1.1.1.1");
}
END_TEST

START_TEST(test_numeric_forms_curl_and_inet_aton_accept)
{
    /* All of them 127.0.0.1, or 169.254.169.254, or 0.0.0.0. */
    EXPECT(false, "2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f000001", "017700000001",
           "0x7f.0.0.1", "127.0.1", "0xa9.0xfe.0xa9.0xfe", "2852039166", "0");
    struct sockaddr_storage ss = A("2130706433");
    ck_assert_int_eq(ss.ss_family, AF_INET);
    ck_assert_uint_eq(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000001u);
    ss = A("0x7f.1");
    ck_assert_uint_eq(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000001u);
    ss = A("0177.0.0.1");
    ck_assert_uint_eq(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000001u);
    /* inet_aton, the same rules. */
    struct in_addr in;
    ck_assert_int_eq(inet_aton("127.1", &in), 1);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = in};
    ck_assert(!netaddr_is_public((struct sockaddr *)&sin));
    ck_assert_int_eq(inet_aton("2130706433", &in), 1);
    sin.sin_addr = in;
    ck_assert(!netaddr_is_public((struct sockaddr *)&sin));
}
END_TEST

START_TEST(test_ipv6_ranges)
{
    /* unspecified, loopback, IPv4-compatible ::/96 (deprecated) */
    EXPECT(false, "::", "::1", "::2", "::127.0.0.1", "::8.8.8.8", "::ffff:ffff");
    /* IPv4-mapped: judged as the IPv4 address */
    EXPECT(false, "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
           "::ffff:0.0.0.0", "::ffff:255.255.255.255", "::ffff:100.64.0.1", "::ffff:224.0.0.1");
    EXPECT(true, "::ffff:8.8.8.8");
    /* NAT64 64:ff9b::/96: judged as the IPv4 address; 64:ff9b:1::/48 local use */
    EXPECT(false, "64:ff9b::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
           "64:ff9b::192.168.1.1", "64:ff9b:1::1", "64:ff9b:1:ffff::1");
    EXPECT(true, "64:ff9b::8.8.8.8");
    /* link-local fe80::/10, site-local fec0::/10 */
    EXPECT(false, "fe80::", "fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::1");
    /* unique-local fc00::/7 */
    EXPECT(false, "fc00::", "fc00::1", "fd12:3456::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    /* multicast ff00::/8 */
    EXPECT(false, "ff00::", "ff02::1", "ff05::2", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    /* discard-only, and outside 2000::/3 */
    EXPECT(false, "100::", "100::1", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "4000::");
    /* global unicast 2000::/3 and its special blocks */
    EXPECT(true, "2000::", "2001:200::", "2001:4860:4860::8888", "2606:4700:4700::1111",
           "2a00:1450:4001:82a::200e", "3ffe:ffff::1",
           "3fff:1000::", "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    EXPECT(false, "2001::", "2001::1", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
           "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "3fff::", "3fff:fff:ffff::1");
    /* 6to4 2002::/16: judged by the IPv4 address it carries */
    EXPECT(false, "2002:7f00:1::", "2002:a00:1::1", "2002:a9fe:a9fe::");
    EXPECT(true, "2002:808:808::1");
}
END_TEST

START_TEST(test_other_families_are_not_public)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    ck_assert(!netaddr_is_public((struct sockaddr *)&sun));
    ck_assert(!netaddr_allowed((struct sockaddr *)&sun, NULL));
    ck_assert(!netaddr_is_public(NULL));
}
END_TEST

static struct netaddr_cidr C(const char *text) {
    struct netaddr_cidr c;
    ck_assert_msg(netaddr_parse_cidr(text, &c) == 0, "%s was refused", text);
    return c;
}

START_TEST(test_cidr_parsing)
{
    struct netaddr_cidr c = C("127.0.0.1/32");
    ck_assert_int_eq(c.family, AF_INET);
    ck_assert_int_eq(c.prefix, 32);
    ck_assert_int_eq(c.bytes[0], 127);
    ck_assert_int_eq(c.bytes[3], 1);
    c = C("127.0.0.1");
    ck_assert_int_eq(c.prefix, 32);
    c = C("::1");
    ck_assert_int_eq(c.family, AF_INET6);
    ck_assert_int_eq(c.prefix, 128);
    ck_assert_int_eq(c.bytes[15], 1);
    c = C("10.1.0.0/16");
    ck_assert_int_eq(c.prefix, 16);
    c = C("172.16.0.0/12");
    ck_assert_int_eq(c.prefix, 12);
    c = C("0.0.0.0/0");
    ck_assert_int_eq(c.prefix, 0);
    c = C("::/0");
    ck_assert_int_eq(c.family, AF_INET6);
    c = C("fd00::/8");
    ck_assert_int_eq(c.prefix, 8);
    /* A mapped block is the IPv4 block. */
    c = C("::ffff:10.0.0.0/104");
    ck_assert_int_eq(c.family, AF_INET);
    ck_assert_int_eq(c.prefix, 8);
    ck_assert_int_eq(c.bytes[0], 10);
    c = C("::ffff:127.0.0.1");
    ck_assert_int_eq(c.family, AF_INET);
    ck_assert_int_eq(c.prefix, 32);

    const char *bad[] = {"",
                         "/8",
                         "10.1.0.0/",
                         "10.1.0.0/33",
                         "::/129",
                         "10.1.2.3/16",
                         "10.1.0.0/016",
                         "10.1.0.0/-1",
                         "10.1.0.0/ 16",
                         "10.1.0.0/16/1",
                         "10.1.0.0/1000",
                         "localhost",
                         "2130706433",
                         "127.1",
                         "0x7f.0.0.1",
                         "0177.0.0.1",
                         "fe80::1%eth0",
                         " 10.0.0.1",
                         "10.0.0.1 ",
                         "10.0.0.256",
                         "fd00::1/8",
                         "1.2.3.4.5",
                         "[::1]",
                         "::1/12a"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct netaddr_cidr x;
        ck_assert_msg(netaddr_parse_cidr(bad[i], &x) == -1, "\"%s\" was taken", bad[i]);
    }
}
END_TEST

static bool in(const char *cidr, const char *addr)
{
    struct netaddr_cidr c = C(cidr);
    struct sockaddr_storage ss = A(addr);
    return netaddr_cidr_contains(&c, (struct sockaddr *)&ss);
}

START_TEST(test_cidr_membership)
{
    ck_assert(in("10.1.0.0/16", "10.1.0.0"));
    ck_assert(in("10.1.0.0/16", "10.1.255.255"));
    ck_assert(!in("10.1.0.0/16", "10.0.255.255"));
    ck_assert(!in("10.1.0.0/16", "10.2.0.0"));
    ck_assert(in("172.16.0.0/12", "172.31.255.255"));
    ck_assert(!in("172.16.0.0/12", "172.32.0.0"));
    ck_assert(!in("172.16.0.0/12", "172.15.255.255"));
    ck_assert(in("127.0.0.1/32", "127.0.0.1"));
    ck_assert(!in("127.0.0.1/32", "127.0.0.2"));
    /* IPv4 blocks cover the mapped and NAT64 forms and the numeric ones. */
    ck_assert(in("127.0.0.1/32", "::ffff:127.0.0.1"));
    ck_assert(in("127.0.0.1/32", "64:ff9b::7f00:1"));
    ck_assert(in("127.0.0.1/32", "2130706433"));
    ck_assert(in("10.1.0.0/16", "::ffff:10.1.2.3"));
    /* Families do not mix otherwise. */
    ck_assert(!in("127.0.0.1/32", "::1"));
    ck_assert(!in("::1", "127.0.0.1"));
    ck_assert(in("::1", "::1"));
    ck_assert(!in("::1", "::2"));
    ck_assert(!in("0.0.0.0/0", "::1"));
    ck_assert(in("0.0.0.0/0", "255.255.255.255"));
    ck_assert(in("::/0", "fe80::1"));
    ck_assert(in("fd12:3456::/32", "fd12:3456:ffff::1"));
    ck_assert(!in("fd12:3456::/32", "fd12:3457::"));
    ck_assert(in("fe80::/10", "febf::1"));
    ck_assert(!in("fe80::/10", "fec0::1"));
}
END_TEST

static bool allowed(const struct netaddr_list *list, const char *addr)
{
    struct sockaddr_storage ss = A(addr);
    return netaddr_allowed((struct sockaddr *)&ss, list);
}

START_TEST(test_allow_list_hits_and_misses)
{
    struct netaddr_list list = {0};
    /* Empty (and NULL): public addresses only. */
    ck_assert(allowed(&list, "8.8.8.8"));
    ck_assert(allowed(NULL, "2001:4860:4860::8888"));
    ck_assert(!allowed(&list, "127.0.0.1"));
    ck_assert(!allowed(NULL, "169.254.169.254"));

    list.cidr[list.n++] = C("127.0.0.1/32");
    list.cidr[list.n++] = C("::1");
    list.cidr[list.n++] = C("10.1.0.0/16");
    ck_assert(allowed(&list, "127.0.0.1"));
    ck_assert(allowed(&list, "2130706433"));
    ck_assert(allowed(&list, "::ffff:127.0.0.1"));
    ck_assert(allowed(&list, "::1"));
    ck_assert(allowed(&list, "10.1.200.7"));
    ck_assert(allowed(&list, "8.8.8.8"));
    ck_assert(!allowed(&list, "127.0.0.2"));
    ck_assert(!allowed(&list, "10.2.0.1"));
    ck_assert(!allowed(&list, "169.254.169.254"));
    ck_assert(!allowed(&list, "192.168.0.1"));
    ck_assert(!allowed(&list, "fe80::1"));
    ck_assert(!allowed(&list, "::2"));
}
END_TEST

START_TEST(test_format_and_same)
{
    char text[64];
    struct sockaddr_storage v4 = A("0x7f.1"), v6 = A("::1"), other = A("127.0.0.2");
    ck_assert_int_eq(netaddr_format((struct sockaddr *)&v4, true, text, sizeof text), 0);
    ck_assert_str_eq(text, "127.0.0.1");
    ck_assert_int_eq(netaddr_format((struct sockaddr *)&v6, true, text, sizeof text), 0);
    ck_assert_str_eq(text, "[::1]");
    ck_assert_int_eq(netaddr_format((struct sockaddr *)&v6, false, text, sizeof text), 0);
    ck_assert_str_eq(text, "::1");
    ck_assert_int_eq(netaddr_format((struct sockaddr *)&v6, true, text, 4), -1);
    struct sockaddr_in with_port = *(struct sockaddr_in *)&v4;
    with_port.sin_port = htons(8080);
    ck_assert(netaddr_same((struct sockaddr *)&v4, (struct sockaddr *)&with_port));
    ck_assert(!netaddr_same((struct sockaddr *)&v4, (struct sockaddr *)&other));
    ck_assert(!netaddr_same((struct sockaddr *)&v4, (struct sockaddr *)&v6));
}
END_TEST

/* ---- notify/webhook_dns.c's verdict on a resolved list ---- */

struct fake_list {
    struct addrinfo ai[4];
    struct sockaddr_storage ss[4];
};

static struct addrinfo *fake(struct fake_list *f, const char *const *addrs, int n)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < n; i++) {
        f->ss[i] = A(addrs[i]);
        f->ai[i].ai_family = f->ss[i].ss_family;
        f->ai[i].ai_addr = (struct sockaddr *)&f->ss[i];
        f->ai[i].ai_addrlen = f->ss[i].ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                                            : sizeof(struct sockaddr_in6);
        f->ai[i].ai_next = i + 1 < n ? &f->ai[i + 1] : NULL;
    }
    return n ? &f->ai[0] : NULL;
}

START_TEST(test_every_resolved_address_must_be_allowed)
{
    struct fake_list f;
    const struct sockaddr *first;
    const char *public_only[] = {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"};
    ck_assert_int_eq(notify_dns_judge(fake(&f, public_only, 2), NULL, &first), NOTIFY_DNS_OK);
    ck_assert_ptr_eq(first, f.ai[0].ai_addr);
    /* One internal address among public ones refuses the host. */
    const char *mixed[] = {"93.184.215.14", "127.0.0.1", "8.8.8.8"};
    ck_assert_int_eq(notify_dns_judge(fake(&f, mixed, 3), NULL, &first), NOTIFY_DNS_NOT_ALLOWED);
    ck_assert_ptr_null(first);
    const char *mixed6[] = {"8.8.8.8", "::ffff:169.254.169.254"};
    ck_assert_int_eq(notify_dns_judge(fake(&f, mixed6, 2), NULL, &first), NOTIFY_DNS_NOT_ALLOWED);
    /* Allowed by the list. */
    struct netaddr_list list = {.n = 1};
    list.cidr[0] = C("127.0.0.1/32");
    ck_assert_int_eq(notify_dns_judge(fake(&f, mixed, 3), &list, &first), NOTIFY_DNS_OK);
    ck_assert_ptr_eq(first, f.ai[0].ai_addr);
    const char *both_loopbacks[] = {"::1", "127.0.0.1"};
    ck_assert_int_eq(notify_dns_judge(fake(&f, both_loopbacks, 2), &list, &first),
                     NOTIFY_DNS_NOT_ALLOWED);
    /* Nothing resolved. */
    ck_assert_int_eq(notify_dns_judge(NULL, &list, &first), NOTIFY_DNS_NO_ADDRESS);
    ck_assert_ptr_null(first);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("netaddr");
    TCase *tc = tcase_create("classification_and_cidr");
    tcase_add_test(tc, test_ipv4_ranges_and_their_boundaries);
    tcase_add_test(tc, test_numeric_forms_curl_and_inet_aton_accept);
    tcase_add_test(tc, test_ipv6_ranges);
    tcase_add_test(tc, test_other_families_are_not_public);
    tcase_add_test(tc, test_cidr_parsing);
    tcase_add_test(tc, test_cidr_membership);
    tcase_add_test(tc, test_allow_list_hits_and_misses);
    tcase_add_test(tc, test_format_and_same);
    tcase_add_test(tc, test_every_resolved_address_must_be_allowed);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
