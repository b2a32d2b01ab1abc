/* Tests for src/core/traffic.c: bot user agents, IP truncation, uniqueness fingerprint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/traffic.h"

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void known_crawlers_and_tools_are_bots(void **state)
{
    (void)state;
    static const char *const bots[] = {
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
        "curl/8.5.0",
        "Wget/1.21",
        "python-requests/2.31",
        "Mozilla/5.0 (compatible; Yahoo! Slurp)",
        "Slackbot-LinkExpanding 1.0",
        "SOME-CRAWLER",
        "WhatsApp/2.23"};
    for (size_t i = 0; i < sizeof bots / sizeof bots[0]; i++)
        if (!traffic_is_bot(bots[i]))
            fail_msg("not a bot: %s", bots[i]);
}

static void empty_or_missing_user_agent_is_a_bot(void **state)
{
    (void)state;
    assert_true(traffic_is_bot(""));
    assert_true(traffic_is_bot(NULL));
}

static void browsers_are_not_bots(void **state)
{
    (void)state;
    static const char *const people[] = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"};
    for (size_t i = 0; i < sizeof people / sizeof people[0]; i++)
        assert_false(traffic_is_bot(people[i]));
}

static void ipv4_is_truncated_to_slash_24(void **state)
{
    (void)state;
    char out[64];
    assert_true(traffic_truncate_ip("203.0.113.77", out, sizeof out));
    assert_string_equal(out, "203.0.113.0");
    assert_true(traffic_truncate_ip("10.0.0.0", out, sizeof out));
    assert_string_equal(out, "10.0.0.0");
}

static void ipv6_is_truncated_to_slash_48(void **state)
{
    (void)state;
    char out[64];
    assert_true(traffic_truncate_ip("2001:db8:1:2:3:4:5:6", out, sizeof out));
    assert_string_equal(out, "2001:db8:1::");
    assert_true(traffic_truncate_ip("2001:0DB8:abcd:ffff::1", out, sizeof out));
    assert_string_equal(out, "2001:db8:abcd::");
    assert_true(traffic_truncate_ip("::1", out, sizeof out));
    assert_string_equal(out, "::");
}

static void ipv4_mapped_ipv6_is_truncated_as_ipv4(void **state)
{
    (void)state;
    char out[64];
    assert_true(traffic_truncate_ip("::ffff:198.51.100.23", out, sizeof out));
    assert_string_equal(out, "198.51.100.0");
}

static void non_addresses_are_refused_with_empty_output(void **state)
{
    (void)state;
    static const char *const bad[] = {"",
                                      "localhost",
                                      "203.0.113",
                                      "203.0.113.256",
                                      "1.2.3.4/24",
                                      "[::1]",
                                      "fe80::1%eth0",
                                      " 1.2.3.4",
                                      "1.2.3.4 ",
                                      "2001:db8::1::2",
                                      "0000000000000000000000000000000000000000000000001.2.3.4"};
    char out[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        out[0] = 'x';
        out[1] = '\0';
        if (traffic_truncate_ip(bad[i], out, sizeof out))
            fail_msg("accepted \"%s\"", bad[i]);
        assert_string_equal(out, "");
    }
    assert_false(traffic_truncate_ip(NULL, out, sizeof out));
}

static void truncation_refuses_small_output_buffer(void **state)
{
    (void)state;
    char out[8];
    assert_false(traffic_truncate_ip("203.0.113.77", out, sizeof out)); /* needs 12 */
    assert_string_equal(out, "");
}

static void fingerprint_is_stable_and_keyed(void **state)
{
    (void)state;
    uint64_t a = traffic_fingerprint(key, "lnk_1", "203.0.113.0", "Firefox");
    assert_true(a == traffic_fingerprint(key, "lnk_1", "203.0.113.0", "Firefox"));
    uint8_t other_key[16] = {0};
    assert_true(a != traffic_fingerprint(other_key, "lnk_1", "203.0.113.0", "Firefox"));
    assert_true(a != traffic_fingerprint(key, "lnk_2", "203.0.113.0", "Firefox"));
    assert_true(a != traffic_fingerprint(key, "lnk_1", "203.0.114.0", "Firefox"));
    assert_true(a != traffic_fingerprint(key, "lnk_1", "203.0.113.0", "Chrome"));
}

static void fingerprint_fields_cannot_run_into_each_other(void **state)
{
    (void)state;
    assert_true(traffic_fingerprint(key, "ab", "c", "d") !=
                traffic_fingerprint(key, "a", "bc", "d"));
    assert_true(traffic_fingerprint(key, "a", "b", "cd") !=
                traffic_fingerprint(key, "a", "bc", "d"));
    assert_true(traffic_fingerprint(key, NULL, NULL, NULL) == traffic_fingerprint(key, "", "", ""));
}

static void fingerprint_handles_huge_user_agent(void **state)
{
    (void)state;
    static char ua[20000];
    memset(ua, 'A', sizeof ua - 1);
    uint64_t a = traffic_fingerprint(key, "lnk_1", "::", ua);
    ua[sizeof ua - 2] = 'B'; /* a difference past any stack buffer still counts */
    assert_true(a != traffic_fingerprint(key, "lnk_1", "::", ua));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_crawlers_and_tools_are_bots),
        cmocka_unit_test(empty_or_missing_user_agent_is_a_bot),
        cmocka_unit_test(browsers_are_not_bots),
        cmocka_unit_test(ipv4_is_truncated_to_slash_24),
        cmocka_unit_test(ipv6_is_truncated_to_slash_48),
        cmocka_unit_test(ipv4_mapped_ipv6_is_truncated_as_ipv4),
        cmocka_unit_test(non_addresses_are_refused_with_empty_output),
        cmocka_unit_test(truncation_refuses_small_output_buffer),
        cmocka_unit_test(fingerprint_is_stable_and_keyed),
        cmocka_unit_test(fingerprint_fields_cannot_run_into_each_other),
        cmocka_unit_test(fingerprint_handles_huge_user_agent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
