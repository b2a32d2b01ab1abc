/* Tests for the money part of src/core/storehook_common.c: exact decimal strings for exponents 0,
 * 2 and 3, integer minor units as strings, spreading by largest remainder, refund shares. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/storehook.h"

static void test_parse_decimal(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int exponent;
        int64_t want;
    } ok[] = {
        {"123.45", 2, 12345}, {"0.5", 2, 50},       {"1000", 2, 100000}, {"12.345", 3, 12345},
        {"1000", 0, 1000},    {"1000.00", 0, 1000}, {"0.50", 3, 500},    {"7.100", 2, 710},
        {"0", 2, 0},          {"92233720368547758.07", 2, INT64_MAX},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = -1;
        assert_true(storehook_parse_decimal(ok[i].s, ok[i].exponent, false, &v));
        assert_int_equal(v, ok[i].want);
    }
    static const struct {
        const char *s;
        int exponent;
    } bad[] = {
        {"12.345", 2}, {"1000.5", 0}, {"1.0001", 3}, {"", 2},     {".5", 2},
        {"5.", 2},     {"1e3", 2},    {"0x10", 2},   {" 1", 2},   {"1 ", 2},
        {"+1", 2},     {"-1", 2},     {"1,5", 2},    {"NaN", 2},  {"92233720368547758.08", 2},
        {"99999999999999999999999999999999999999999", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 42;
        assert_false(storehook_parse_decimal(bad[i].s, bad[i].exponent, false, &v));
        assert_int_equal(v, 42);
    }
    int64_t v;
    assert_true(storehook_parse_decimal("-10.00", 2, true, &v));
    assert_int_equal(v, -1000);
    assert_false(storehook_parse_decimal(NULL, 2, true, &v));
}

static void test_parse_minor(void **state)
{
    (void)state;
    int64_t v;
    assert_true(storehook_parse_minor("1999", &v));
    assert_int_equal(v, 1999);
    assert_true(storehook_parse_minor("0", &v));
    assert_int_equal(v, 0);
    assert_true(storehook_parse_minor("9223372036854775807", &v));
    assert_false(storehook_parse_minor("9223372036854775808", &v));
    assert_false(storehook_parse_minor("19.99", &v));
    assert_false(storehook_parse_minor("-5", &v));
    assert_false(storehook_parse_minor("", &v));
    assert_false(storehook_parse_minor(NULL, &v));
}

static int64_t sum(const struct storehook_item *it, size_t n)
{
    int64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += it[i].amount;
    return s;
}

static void test_spread(void **state)
{
    (void)state;
    /* 100 over three equal lines: 33.33 each, the first line takes the unit left. */
    struct storehook_item three[3] = {{.subtotal = 500}, {.subtotal = 500}, {.subtotal = 500}};
    assert_true(storehook_spread(three, 3, 100));
    assert_int_equal(three[0].amount, 34);
    assert_int_equal(three[1].amount, 33);
    assert_int_equal(three[2].amount, 33);
    /* A 10 % order discount on 19.99 + 5.01 + 0.01: 22.50 shared by the largest remainders. */
    struct storehook_item odd[3] = {{.subtotal = 1999}, {.subtotal = 501}, {.subtotal = 1}};
    assert_true(storehook_spread(odd, 3, 2250));
    assert_int_equal(sum(odd, 3), 2250);
    assert_int_equal(odd[0].amount, 1798); /* 1798.38 */
    assert_int_equal(odd[1].amount, 451);  /* 450.72: the second largest remainder */
    assert_int_equal(odd[2].amount, 1);    /* 0.90: the largest remainder */
    /* Free items only: equal shares. A huge amount stays exact. */
    struct storehook_item zero[2] = {{.subtotal = 0}, {.subtotal = 0}};
    assert_true(storehook_spread(zero, 2, 3));
    assert_int_equal(zero[0].amount, 2);
    assert_int_equal(zero[1].amount, 1);
    struct storehook_item big[2] = {{.subtotal = INT64_MAX}, {.subtotal = INT64_MAX}};
    assert_true(storehook_spread(big, 2, INT64_MAX));
    assert_int_equal(big[0].amount, INT64_MAX / 2 + 1);
    assert_int_equal(big[1].amount, INT64_MAX / 2);
    assert_true(storehook_spread(NULL, 0, 500));
    assert_false(storehook_spread(three, 3, -1));
    struct storehook_item neg[1] = {{.subtotal = -1}};
    assert_false(storehook_spread(neg, 1, 1));
}

static void test_refund_share(void **state)
{
    (void)state;
    struct storehook_event e = {.has_refund = true, .gross_total = 0};
    int64_t share;
    /* Gross 3 of 7 on a conversion of 1000: 428.57 → 429; half-even on an exact half. */
    e.refund.gross = 3;
    assert_true(storehook_refund_share(1000, &e, 7, &share));
    assert_int_equal(share, 429);
    e.refund.gross = 1;
    assert_true(storehook_refund_share(5, &e, 2, &share)); /* 2.5 → 2 */
    assert_int_equal(share, 2);
    assert_true(storehook_refund_share(7, &e, 2, &share)); /* 3.5 → 4 */
    assert_int_equal(share, 4);
    /* The payment's own gross beats the stored one; more than the gross is capped at A. */
    e.gross_total = 10;
    e.refund.gross = 10;
    assert_true(storehook_refund_share(999, &e, 7, &share));
    assert_int_equal(share, 999);
    e.refund.gross = 20;
    assert_true(storehook_refund_share(999, &e, 7, &share));
    assert_int_equal(share, 999);
    /* A net amount given by the platform is taken as is (capped at A). */
    e.refund.net_given = true;
    e.refund.net = 300;
    assert_true(storehook_refund_share(999, &e, 0, &share));
    assert_int_equal(share, 300);
    e.refund.net = 5000;
    assert_true(storehook_refund_share(999, &e, 0, &share));
    assert_int_equal(share, 999);
    /* No gross to divide by, or no refund at all. */
    struct storehook_event none = {.has_refund = true};
    none.refund.gross = 5;
    assert_false(storehook_refund_share(100, &none, 0, &share));
    none.has_refund = false;
    assert_false(storehook_refund_share(100, &none, 10, &share));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_decimal),
        cmocka_unit_test(test_parse_minor),
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_refund_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
