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
    const char *private[] = {"127.0.0.1",      "10.1.2.3",        "172.16.0.1", "172.31.255.255",
                             "192.168.1.1",    "169.254.169.254", "0.0.0.0",    "100.64.0.1",
                             "224.0.0.1",      "255.255.255.255", "::1",        "::",
                             "fe80::1",        "fd00::1",         "ff02::1",    "::ffff:127.0.0.1",
                             "::ffff:10.0.0.1"};
    const char *public[] = {"8.8.8.8",     "172.32.0.1", "172.15.255.255",       "192.169.0.1",
                            "100.128.0.1", "1.1.1.1",    "2001:4860:4860::8888", "::ffff:8.8.8.8"};
    for (size_t i = 0; i < sizeof private / sizeof private[0]; i++)
        if (!private_address(private[i]))
            fail_msg("%s should be private", private[i]);
    for (size_t i = 0; i < sizeof public / sizeof public[0]; i++)
        if (private_address(public[i]))
            fail_msg("%s should be public", public[i]);
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
        cmocka_unit_test_setup_teardown(postback_template_expands_and_encodes, setup, teardown),
        cmocka_unit_test_setup_teardown(postback_template_respects_max_len, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
