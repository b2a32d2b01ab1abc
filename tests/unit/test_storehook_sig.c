/* Tests for src/core/storehook_sig.c: each platform's signature scheme against vectors computed
 * independently with OpenSSL, e.g.
 *   printf '%s' "1700000000.$BODY" | openssl dgst -sha256 -hmac whsec_test_secret
 *   printf '%s' "$BODY" | openssl dgst -sha256 -hmac shpss_secret -binary | base64
 * and every refusal reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/storehook.h"

#define STRIPE_BODY "{\"id\":\"evt_1\",\"object\":\"event\"}"
#define STRIPE_SECRET "whsec_test_secret"
#define STRIPE_TS 1700000000
#define STRIPE_V1 "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd"
/* The same payload signed with another secret ("whsec_other"), as during a secret roll. */
#define STRIPE_V1_OTHER "ce486949e2e39bec553617072a9bf7c086e490c7071f3324a664d8082cf43f97"

#define SHOPIFY_BODY "{\"id\":820982911946154508}"
#define SHOPIFY_SECRET "shpss_secret"
#define SHOPIFY_MAC "jqbalbO3Z8mDmrF2/+wzM3KYvbgqzVBF969vgiIy80I="

#define WOO_BODY "{\"id\":727}"
#define WOO_SECRET "woo secret"
#define WOO_MAC "dazNFJevgH73Xi78YAaDkZzxj0GJXET8ZZZiGYh1neU="

#define PADDLE_BODY "{\"event_id\":\"evt_01\"}"
#define PADDLE_SECRET "pdl_ntfset_01_secret"
#define PADDLE_TS 1671552777
#define PADDLE_H1 "0242caeffc1d7cb5d36550982ba52610bb6baff6531d60db0c213607c893433d"

static const uint8_t *u8(const char *s)
{
    return (const uint8_t *)s;
}

static enum storehook_sig stripe(const char *header, const char *body, int64_t now)
{
    return storehook_verify_stripe(header, u8(body), strlen(body), STRIPE_SECRET, now);
}

static void test_stripe_valid(void **state)
{
    (void)state;
    const char *h = "t=1700000000,v1=" STRIPE_V1;
    assert_int_equal(stripe(h, STRIPE_BODY, STRIPE_TS), STOREHOOK_SIG_OK);
    assert_int_equal(stripe(h, STRIPE_BODY, STRIPE_TS + 300), STOREHOOK_SIG_OK);
    assert_int_equal(stripe(h, STRIPE_BODY, STRIPE_TS - 300), STOREHOOK_SIG_OK);
    /* Any v1 may match, in any position; v0 and unknown schemes are skipped. */
    const char *several = "t=1700000000,v1=" STRIPE_V1_OTHER ",v0=abc,v1=" STRIPE_V1;
    assert_int_equal(stripe(several, STRIPE_BODY, STRIPE_TS), STOREHOOK_SIG_OK);
    const char *upper = "t=1700000000,v1=0C8670ED117751CC551A20E35839447075C42800EA3CF3E8A2FBDA99"
                        "CD1E6EDD";
    assert_int_equal(stripe(upper, STRIPE_BODY, STRIPE_TS), STOREHOOK_SIG_OK);
    assert_int_equal(storehook_verify(STOREHOOK_STRIPE, h, u8(STRIPE_BODY), strlen(STRIPE_BODY),
                                      STRIPE_SECRET, STRIPE_TS),
                     STOREHOOK_SIG_OK);
}

static void test_stripe_refused(void **state)
{
    (void)state;
    const char *h = "t=1700000000,v1=" STRIPE_V1;
    assert_int_equal(stripe(h, STRIPE_BODY, STRIPE_TS + 301), STOREHOOK_SIG_STALE);
    assert_int_equal(stripe(h, STRIPE_BODY, STRIPE_TS - 301), STOREHOOK_SIG_FUTURE);
    /* One byte of the body changed, the timestamp changed, only the other secret's v1. */
    assert_int_equal(stripe(h, "{\"id\":\"evt_2\",\"object\":\"event\"}", STRIPE_TS),
                     STOREHOOK_SIG_MISMATCH);
    assert_int_equal(stripe("t=1700000001,v1=" STRIPE_V1, STRIPE_BODY, STRIPE_TS),
                     STOREHOOK_SIG_MISMATCH);
    assert_int_equal(stripe("t=1700000000,v1=" STRIPE_V1_OTHER, STRIPE_BODY, STRIPE_TS),
                     STOREHOOK_SIG_MISMATCH);
    /* A stale header with a wrong signature says mismatch: the window is told only to the
     * holder of the secret. */
    assert_int_equal(stripe("t=1600000000,v1=" STRIPE_V1, STRIPE_BODY, STRIPE_TS),
                     STOREHOOK_SIG_MISMATCH);
    assert_int_equal(stripe("t=1700000000,v1=0c86", STRIPE_BODY, STRIPE_TS),
                     STOREHOOK_SIG_MISMATCH);
    assert_int_equal(stripe(NULL, STRIPE_BODY, STRIPE_TS), STOREHOOK_SIG_MISSING);
    assert_int_equal(stripe("", STRIPE_BODY, STRIPE_TS), STOREHOOK_SIG_MISSING);
    assert_int_equal(stripe("v1=" STRIPE_V1, STRIPE_BODY, STRIPE_TS), STOREHOOK_SIG_MALFORMED);
    assert_int_equal(stripe("t=1700000000", STRIPE_BODY, STRIPE_TS), STOREHOOK_SIG_MALFORMED);
    assert_int_equal(stripe("t=17x0,v1=" STRIPE_V1, STRIPE_BODY, STRIPE_TS),
                     STOREHOOK_SIG_MALFORMED);
    assert_int_equal(stripe("t=,v1=" STRIPE_V1, STRIPE_BODY, STRIPE_TS), STOREHOOK_SIG_MALFORMED);
    assert_int_equal(stripe("t=99999999999999999999,v1=" STRIPE_V1, STRIPE_BODY, STRIPE_TS),
                     STOREHOOK_SIG_MALFORMED);
    assert_int_equal(storehook_verify_stripe(h, u8(STRIPE_BODY), strlen(STRIPE_BODY), NULL,
                                             STRIPE_TS),
                     STOREHOOK_SIG_NO_SECRET);
    assert_int_equal(storehook_verify_stripe(h, u8(STRIPE_BODY), strlen(STRIPE_BODY), "",
                                             STRIPE_TS),
                     STOREHOOK_SIG_NO_SECRET);
    assert_int_equal(storehook_verify_stripe(h, u8(STRIPE_BODY), strlen(STRIPE_BODY),
                                             "whsec_wrong", STRIPE_TS),
                     STOREHOOK_SIG_MISMATCH);
}

static void test_shopify(void **state)
{
    (void)state;
    size_t n = strlen(SHOPIFY_BODY);
    assert_int_equal(storehook_verify_shopify(SHOPIFY_MAC, u8(SHOPIFY_BODY), n, SHOPIFY_SECRET),
                     STOREHOOK_SIG_OK);
    assert_int_equal(storehook_verify(STOREHOOK_SHOPIFY, SHOPIFY_MAC, u8(SHOPIFY_BODY), n,
                                      SHOPIFY_SECRET, 0),
                     STOREHOOK_SIG_OK);
    assert_int_equal(storehook_verify_shopify(SHOPIFY_MAC, u8("{\"id\":820982911946154509}"), n,
                                              SHOPIFY_SECRET),
                     STOREHOOK_SIG_MISMATCH);
    assert_int_equal(storehook_verify_shopify(SHOPIFY_MAC, u8(SHOPIFY_BODY), n, "shpss_other"),
                     STOREHOOK_SIG_MISMATCH);
    assert_int_equal(storehook_verify_shopify(NULL, u8(SHOPIFY_BODY), n, SHOPIFY_SECRET),
                     STOREHOOK_SIG_MISSING);
    assert_int_equal(storehook_verify_shopify("not base64!", u8(SHOPIFY_BODY), n, SHOPIFY_SECRET),
                     STOREHOOK_SIG_MALFORMED);
    /* The hex form of a MAC and a base64 of the wrong length are not Shopify's format. */
    assert_int_equal(storehook_verify_shopify(STRIPE_V1, u8(SHOPIFY_BODY), n, SHOPIFY_SECRET),
                     STOREHOOK_SIG_MALFORMED);
    assert_int_equal(storehook_verify_shopify("jqbalbO3Z8mDmrF2", u8(SHOPIFY_BODY), n,
                                              SHOPIFY_SECRET),
                     STOREHOOK_SIG_MALFORMED);
    assert_int_equal(storehook_verify_shopify(SHOPIFY_MAC, u8(SHOPIFY_BODY), n, NULL),
                     STOREHOOK_SIG_NO_SECRET);
}

static void test_woocommerce(void **state)
{
    (void)state;
    size_t n = strlen(WOO_BODY);
    assert_int_equal(storehook_verify_woocommerce(WOO_MAC, u8(WOO_BODY), n, WOO_SECRET),
                     STOREHOOK_SIG_OK);
    assert_int_equal(storehook_verify_woocommerce(WOO_MAC, u8("{\"id\":728}"), n, WOO_SECRET),
                     STOREHOOK_SIG_MISMATCH);
    assert_int_equal(storehook_verify_woocommerce(NULL, u8(WOO_BODY), n, WOO_SECRET),
                     STOREHOOK_SIG_MISSING);
    /* The unsigned creation ping, even before a secret is set; nothing else passes unsigned. */
    const char *ping = "webhook_id=15";
    assert_int_equal(storehook_verify_woocommerce(NULL, u8(ping), strlen(ping), NULL),
                     STOREHOOK_SIG_PING);
    assert_int_equal(storehook_verify(STOREHOOK_WOOCOMMERCE, "", u8(ping), strlen(ping),
                                      WOO_SECRET, 0),
                     STOREHOOK_SIG_PING);
    const char *not_ping[] = {"webhook_id=", "webhook_id=15&x=1", "webhook_id=1a", "webhook_id",
                              "{\"webhook_id\":15}"};
    for (size_t i = 0; i < sizeof not_ping / sizeof not_ping[0]; i++)
        assert_int_equal(storehook_verify_woocommerce(NULL, u8(not_ping[i]), strlen(not_ping[i]),
                                                      WOO_SECRET),
                         STOREHOOK_SIG_MISSING);
    /* A signed ping is checked like any body. */
    assert_int_equal(storehook_verify_woocommerce(WOO_MAC, u8(ping), strlen(ping), WOO_SECRET),
                     STOREHOOK_SIG_MISMATCH);
}

static enum storehook_sig paddle(const char *header, const char *body, int64_t now)
{
    return storehook_verify_paddle(header, u8(body), strlen(body), PADDLE_SECRET, now);
}

static void test_paddle(void **state)
{
    (void)state;
    const char *h = "ts=1671552777;h1=" PADDLE_H1;
    assert_int_equal(paddle(h, PADDLE_BODY, PADDLE_TS + 5), STOREHOOK_SIG_OK);
    assert_int_equal(paddle("ts=1671552777;h1=" STRIPE_V1 ";h1=" PADDLE_H1, PADDLE_BODY,
                            PADDLE_TS),
                     STOREHOOK_SIG_OK);
    assert_int_equal(paddle(h, PADDLE_BODY, PADDLE_TS + 301), STOREHOOK_SIG_STALE);
    assert_int_equal(paddle(h, PADDLE_BODY, PADDLE_TS - 301), STOREHOOK_SIG_FUTURE);
    assert_int_equal(paddle(h, "{\"event_id\":\"evt_02\"}", PADDLE_TS), STOREHOOK_SIG_MISMATCH);
    /* Stripe's separators are not Paddle's. */
    assert_int_equal(paddle("t=1671552777,v1=" PADDLE_H1, PADDLE_BODY, PADDLE_TS),
                     STOREHOOK_SIG_MALFORMED);
    assert_int_equal(paddle("ts=1671552777", PADDLE_BODY, PADDLE_TS), STOREHOOK_SIG_MALFORMED);
    assert_int_equal(paddle(NULL, PADDLE_BODY, PADDLE_TS), STOREHOOK_SIG_MISSING);
    assert_int_equal(storehook_verify(STOREHOOK_PADDLE, h, u8(PADDLE_BODY), strlen(PADDLE_BODY),
                                      "pdl_ntfset_other", PADDLE_TS),
                     STOREHOOK_SIG_MISMATCH);
}

static void test_names_and_reasons(void **state)
{
    (void)state;
    enum storehook_platform p;
    assert_true(storehook_platform_parse("woocommerce", &p));
    assert_int_equal(p, STOREHOOK_WOOCOMMERCE);
    assert_string_equal(storehook_platform_name(p), "woocommerce");
    assert_false(storehook_platform_parse("Stripe", &p));
    assert_false(storehook_platform_parse(NULL, &p));
    assert_string_equal(storehook_sig_header(STOREHOOK_PADDLE), "Paddle-Signature");
    assert_string_equal(storehook_sig_header(STOREHOOK_SHOPIFY), "X-Shopify-Hmac-Sha256");
    for (int r = STOREHOOK_SIG_OK; r <= STOREHOOK_SIG_FUTURE; r++)
        assert_string_not_equal(storehook_sig_reason((enum storehook_sig)r), "unknown");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stripe_valid),  cmocka_unit_test(test_stripe_refused),
        cmocka_unit_test(test_shopify),       cmocka_unit_test(test_woocommerce),
        cmocka_unit_test(test_paddle),        cmocka_unit_test(test_names_and_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
