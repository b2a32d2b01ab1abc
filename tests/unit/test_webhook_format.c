/* Tests src/app/webhook_format.c: the signature header, the retry schedule, event names and the
 * partner postback template. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sodium.h>

#include "app/webhook_format.h"

static int setup(void **state)
{
    struct arena *a = test_malloc(sizeof *a);
    arena_init(a, 1024);
    *state = a;
    return 0;
}

static int teardown(void **state)
{
    arena_free(*state);
    test_free(*state);
    return 0;
}

static void signature_matches_hmac_sha256_of_t_dot_body(void **state)
{
    (void)state;
    char out[128];
    /* python3: hmac.new(b'whsec_test', b'1700000000.{"a":1}', hashlib.sha256).hexdigest() */
    int n = webhook_signature("whsec_test", 1700000000, "{\"a\":1}", 7, out, sizeof out);
    assert_int_equal(n, (int)strlen(out));
    assert_string_equal(out, "t=1700000000,v1="
                             "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
    assert_int_equal(webhook_signature("whsec_test", 1700000000, "{}", 2, out, 20), -1);
}

static void signature_depends_on_time_body_and_secret(void **state)
{
    (void)state;
    char a[128], b[128], c[128], d[128];
    webhook_signature("whsec_x", 1, "body", 4, a, sizeof a);
    webhook_signature("whsec_x", 2, "body", 4, b, sizeof b);
    webhook_signature("whsec_y", 1, "body", 4, c, sizeof c);
    webhook_signature("whsec_x", 1, "bodY", 4, d, sizeof d);
    assert_string_not_equal(a + 4, b + 4);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
}

static void backoff_doubles_up_to_an_hour(void **state)
{
    (void)state;
    assert_int_equal(webhook_backoff_ms(0, 1), 30000);
    assert_int_equal(webhook_backoff_ms(30000, 1), 30000);
    assert_int_equal(webhook_backoff_ms(30000, 2), 60000);
    assert_int_equal(webhook_backoff_ms(30000, 3), 120000);
    assert_int_equal(webhook_backoff_ms(30000, 7), 1920000);
    assert_int_equal(webhook_backoff_ms(30000, 8), 3600000);
    assert_int_equal(webhook_backoff_ms(30000, 1000000), 3600000);
    assert_int_equal(webhook_backoff_ms(200, 2), 400);
    /* Three days of the default schedule: about 7 + 68 attempts, never more than an hour apart. */
    int64_t t = 0;
    int attempts = 0;
    while (t <= WEBHOOK_MAX_AGE_MS) {
        attempts++;
        t += webhook_backoff_ms(30000, attempts);
    }
    assert_in_range(attempts, 70, 80);
}

static void event_names(void **state)
{
    (void)state;
    assert_true(webhook_event_known("conversion.created"));
    assert_true(webhook_event_known("payout.paid"));
    assert_true(webhook_event_known("commission.reversed"));
    assert_false(webhook_event_known("conversion.created "));
    assert_false(webhook_event_known(""));
    assert_false(webhook_event_known("*"));
}

static void postback_template_expands_and_encodes(void **state)
{
    struct arena *a = *state;
    struct postback_vars v = {.click_id = "01ABC",
                              .order_id = "A&B 1",
                              .commission = "12.34",
                              .sub = {"x y", NULL, NULL, NULL, "é"}};
    const char *out = postback_expand(
        a,
        "https://t.example/pb?c={click_id}&o={order_id}&a={commission}&s1={sub1}&s2={sub2}"
        "&s5={sub5}&k={unknown}&{&}",
        &v, 2048);
    assert_non_null(out);
    assert_string_equal(out, "https://t.example/pb?c=01ABC&o=A%26B%201&a=12.34&s1=x%20y&s2="
                             "&s5=%C3%A9&k={unknown}&{&}");
    assert_string_equal(postback_expand(a, "", &v, 10), "");
    assert_string_equal(postback_expand(a, "{sub1", &v, 10), "{sub1");
    assert_string_equal(postback_expand(a, "{{sub1}}", &v, 20), "{x%20y}");
}

static void postback_template_respects_max_len(void **state)
{
    struct arena *a = *state;
    struct postback_vars v = {.order_id = "0123456789"};
    assert_null(postback_expand(a, "http://h/{order_id}", &v, 15));
    assert_non_null(postback_expand(a, "http://h/{order_id}", &v, 19));
    assert_null(postback_expand(a, "http://h/{order_id}", &v, 18));
}

static bool private_address(const char *text)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    if (inet_pton(AF_INET, text, &v4.sin_addr) == 1)
        return webhook_address_private((const struct sockaddr *)&v4);
    assert_int_equal(inet_pton(AF_INET6, text, &v6.sin6_addr), 1);
    return webhook_address_private((const struct sockaddr *)&v6);
}

static void private_addresses_are_told_apart(void **state)
{
    (void)state;
    const char *private[] = {
        /* IPv4: loopback, private, link-local, unspecified, shared, multicast, broadcast */
        "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "0.0.0.0", "0.1.2.3", "100.64.0.1", "100.127.255.255", "224.0.0.1",
        "239.255.255.250", "255.255.255.255",
        /* IPv4: IETF-reserved, documentation, benchmarking, 6to4 relays, 240/4 */
        "192.0.0.170", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "198.19.255.255",
        "192.88.99.1", "240.0.0.1",
        /* IPv6: loopback, unspecified, unique local, link-local, site-local, multicast */
        "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "fec0::1", "ff02::1",
        "ff0e::1",
        /* IPv6 forms that carry a refused IPv4 address */
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
        "::10.0.0.1", "::169.254.169.254", "::ffff:0:127.0.0.1", "64:ff9b::127.0.0.1",
        "64:ff9b::a9fe:a9fe", "64:ff9b::10.1.1.1", "2002:7f00:1::", "2002:a9fe:a9fe::1",
        "2002:c0a8:101:1::1", "2001:0:7f00:1::1", "2001:0:808:808:0:0:f5ff:fffe",
        /* IPv6: local-use NAT64, documentation, benchmarking, ORCHID, discard, reserved */
        "64:ff9b:1::1", "2001:db8::1", "2001:2::1", "2001:10::1", "2001:20::1", "100::1",
        "::2:0:0:1", "400::1", "e000::1"};
    const char *public[] = {"8.8.8.8",
                            "172.32.0.1",
                            "172.15.255.255",
                            "192.169.0.1",
                            "192.0.1.1",
                            "198.20.0.1",
                            "100.128.0.1",
                            "169.255.0.1",
                            "1.1.1.1",
                            "223.255.255.255",
                            "2001:4860:4860::8888",
                            "2a00:1450:4001::200e",
                            "::ffff:8.8.8.8",
                            "::8.8.8.8",
                            "64:ff9b::8.8.8.8",
                            "2002:808:808::1",
                            "2001:0:808:808:0:0:f7f7:f7f7",
                            "2001:3::1",
                            "2001:30::1",
                            "3fff::1"};
    for (size_t i = 0; i < sizeof private / sizeof private[0]; i++)
        if (!private_address(private[i]))
            fail_msg("%s should be private", private[i]);
    for (size_t i = 0; i < sizeof public / sizeof public[0]; i++)
        if (private_address(public[i]))
            fail_msg("%s should be public", public[i]);
    struct sockaddr other = {.sa_family = AF_UNIX};
    assert_true(webhook_address_private(&other));
}

static void private_hosts_are_refused_before_resolution(void **state)
{
    (void)state;
    /* Every spelling a resolver reads as a refused address, and localhost by name. */
    const char *private[] = {"127.0.0.1", "127.1",     "0x7f.0.0.1",  "0x7f000001", "2130706433",
                             "017700000001", "0",      "10.1",        "169.254.169.254",
                             "2852039166", "localhost", "LOCALHOST", "api.localhost", "::1",
                             "::ffff:127.0.0.1", "fe80::1", "64:ff9b::a9fe:a9fe"};
    const char *public[] = {"shop.example", "localhost.example", "mylocalhost", "8.8.8.8",
                            "134744072", "2001:4860:4860::8888", "127.0.0.1.example", ""};
    for (size_t i = 0; i < sizeof private / sizeof private[0]; i++)
        if (!webhook_host_private(private[i]))
            fail_msg("%s should be refused", private[i]);
    for (size_t i = 0; i < sizeof public / sizeof public[0]; i++)
        if (webhook_host_private(public[i]))
            fail_msg("%s should be allowed", public[i]);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signature_matches_hmac_sha256_of_t_dot_body),
        cmocka_unit_test(signature_depends_on_time_body_and_secret),
        cmocka_unit_test(backoff_doubles_up_to_an_hour),
        cmocka_unit_test(event_names),
        cmocka_unit_test(private_addresses_are_told_apart),
        cmocka_unit_test(private_hosts_are_refused_before_resolution),
        cmocka_unit_test_setup_teardown(postback_template_expands_and_encodes, setup, teardown),
        cmocka_unit_test_setup_teardown(postback_template_respects_max_len, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
