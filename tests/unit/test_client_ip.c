/* Tests for src/core/client_ip.c: the trusted proxy list, and the client's address taken from
 * X-Forwarded-For only when the peer is trusted — the rightmost untrusted hop, so an address the
 * client wrote itself is ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/client_ip.h"

static struct proxy_list trusted(const char *text)
{
    struct proxy_list l;
    char err[128];
    if (proxy_list_parse(text, &l, err, sizeof err) != 0)
        fail_msg("%s: %s", text, err);
    return l;
}

static void lists_parse_addresses_and_networks(void **state)
{
    (void)state;
    struct proxy_list l = trusted(" 127.0.0.1, 10.0.0.0/8 ,::1,2001:db8::/32,");
    assert_int_equal(l.n, 4);
    assert_true(proxy_list_contains(&l, "127.0.0.1"));
    assert_false(proxy_list_contains(&l, "127.0.0.2"));
    assert_true(proxy_list_contains(&l, "10.200.3.4"));
    assert_false(proxy_list_contains(&l, "11.0.0.1"));
    assert_true(proxy_list_contains(&l, "::1"));
    assert_true(proxy_list_contains(&l, "2001:db8:5::1"));
    assert_false(proxy_list_contains(&l, "2001:db9::1"));
    assert_false(proxy_list_contains(&l, "not an address"));
    l = trusted("192.168.1.128/25");
    assert_true(proxy_list_contains(&l, "192.168.1.200"));
    assert_false(proxy_list_contains(&l, "192.168.1.100"));
    l = trusted("");
    assert_int_equal(l.n, 0);
}

static void bad_lists_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {"10.0.0.0/33", "::/129",    "example.com",
                         "1.2.3.4/",    "1.2.3.4/x", "1.2.3.4/-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct proxy_list l;
        char err[128] = "";
        assert_int_equal(proxy_list_parse(bad[i], &l, err, sizeof err), -1);
        assert_true(strlen(err) > 0);
    }
}

static const char *resolve(const char *list, const char *peer, const char *xff)
{
    static char out[CLIENT_IP_MAX];
    struct proxy_list l = trusted(list);
    client_ip_resolve(&l, peer, xff, out);
    return out;
}

static void the_peer_is_the_client_unless_it_is_a_trusted_proxy(void **state)
{
    (void)state;
    assert_string_equal(resolve("", "198.51.100.4", "203.0.113.9"), "198.51.100.4");
    assert_string_equal(resolve("127.0.0.1", "198.51.100.4", "203.0.113.9"), "198.51.100.4");
    assert_string_equal(resolve("127.0.0.1", "127.0.0.1", NULL), "127.0.0.1");
    assert_string_equal(resolve("127.0.0.1", "127.0.0.1", ""), "127.0.0.1");
    assert_string_equal(resolve("127.0.0.1", "127.0.0.1", "203.0.113.9"), "203.0.113.9");
}

static void the_rightmost_untrusted_hop_is_the_client(void **state)
{
    (void)state;
    const char *list = "127.0.0.1, 10.0.0.0/8";
    /* the client wrote "1.1.1.1" itself; the proxy appended the address it saw */
    assert_string_equal(resolve(list, "127.0.0.1", "1.1.1.1, 203.0.113.9"), "203.0.113.9");
    assert_string_equal(resolve(list, "127.0.0.1", "198.51.100.1, 203.0.113.9, 10.0.0.5"),
                        "203.0.113.9");
    /* every hop trusted: the leftmost */
    assert_string_equal(resolve(list, "127.0.0.1", "10.0.0.1,10.0.0.2"), "10.0.0.1");
    /* ports and brackets */
    assert_string_equal(resolve(list, "127.0.0.1", "203.0.113.9:5555"), "203.0.113.9");
    assert_string_equal(resolve(list, "127.0.0.1", "[2001:db8::1]:443"), "2001:db8::1");
    assert_string_equal(resolve(list, "127.0.0.1", " 2001:db8::2 "), "2001:db8::2");
}

static void a_malformed_entry_ends_the_walk_at_the_last_trusted_hop(void **state)
{
    (void)state;
    const char *list = "127.0.0.1, 10.0.0.0/8";
    assert_string_equal(resolve(list, "127.0.0.1", "garbage, 203.0.113.9"), "203.0.113.9");
    assert_string_equal(resolve(list, "127.0.0.1", "203.0.113.9, garbage"), "127.0.0.1");
    assert_string_equal(resolve(list, "127.0.0.1", "203.0.113.9, garbage, 10.0.0.7"), "10.0.0.7");
    assert_string_equal(resolve(list, "127.0.0.1", "[2001:db8::1"), "127.0.0.1");
    assert_string_equal(resolve(list, "127.0.0.1", ",,,"), "127.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_parse_addresses_and_networks),
        cmocka_unit_test(bad_lists_are_refused),
        cmocka_unit_test(the_peer_is_the_client_unless_it_is_a_trusted_proxy),
        cmocka_unit_test(the_rightmost_untrusted_hop_is_the_client),
        cmocka_unit_test(a_malformed_entry_ends_the_walk_at_the_last_trusted_hop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
