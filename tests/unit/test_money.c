/* Tests for src/core/money.c: currencies, exact rounding, overflow, decimal text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/money.h"

static void currency_exponents_follow_iso_4217(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        int exponent;
    } want[] = {{"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"JPY", 0}, {"KWD", 3}, {"BHD", 3},
                {"CHF", 2}, {"KRW", 0}, {"CLP", 0}, {"ISK", 0}, {"VND", 0}, {"TND", 3},
                {"JOD", 3}, {"OMR", 3}, {"SEK", 2}, {"HUF", 2}, {"INR", 2}, {"CLF", 4}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct currency *c = currency_find(want[i].code);
        assert_non_null(c);
        assert_string_equal(c->code, want[i].code);
        assert_int_equal(c->exponent, want[i].exponent);
    }
}

static void currency_lookup_ignores_case(void **state)
{
    (void)state;
    const struct currency *c = currency_find("usd");
    assert_non_null(c);
    assert_string_equal(c->code, "USD");
    assert_ptr_equal(currency_find("jPy"), currency_find("JPY"));
}

static void unknown_or_malformed_currency_is_refused(void **state)
{
    (void)state;
    assert_null(currency_find("XXX"));
    assert_null(currency_find("US"));
    assert_null(currency_find("USDD"));
    assert_null(currency_find(""));
    assert_null(currency_find("U$D"));
    assert_null(currency_find(NULL));
}

static void add_and_sub_refuse_overflow_and_leave_output(void **state)
{
    (void)state;
    int64_t out = 42;
    assert_false(money_add(INT64_MAX, 1, &out));
    assert_false(money_sub(INT64_MIN, 1, &out));
    assert_int_equal(out, 42);
    assert_true(money_add(INT64_MAX - 1, 1, &out));
    assert_true(out == INT64_MAX);
    assert_true(money_sub(5, 7, &out));
    assert_int_equal(out, -2);
}

static void half_rounds_to_even_both_ways(void **state)
{
    (void)state;
    int64_t out;
    /* 25 * 5000 / 10000 = 12.5 → 12 (even); 35 * 5000 / 10000 = 17.5 → 18 (even) */
    assert_true(money_apply_bps(25, 5000, &out));
    assert_int_equal(out, 12);
    assert_true(money_apply_bps(35, 5000, &out));
    assert_int_equal(out, 18);
    /* 0.5 → 0, 1.5 → 2, 2.5 → 2 */
    assert_true(money_mul_div(1, 1, 2, &out));
    assert_int_equal(out, 0);
    assert_true(money_mul_div(3, 1, 2, &out));
    assert_int_equal(out, 2);
    assert_true(money_mul_div(5, 1, 2, &out));
    assert_int_equal(out, 2);
}

static void negative_half_rounds_to_even(void **state)
{
    (void)state;
    int64_t out;
    assert_true(money_mul_div(-5, 1, 2, &out)); /* -2.5 → -2 */
    assert_int_equal(out, -2);
    assert_true(money_mul_div(-3, 1, 2, &out)); /* -1.5 → -2 */
    assert_int_equal(out, -2);
    assert_true(money_mul_div(3, -1, 2, &out));
    assert_int_equal(out, -2);
    assert_true(money_apply_bps(-25, 5000, &out));
    assert_int_equal(out, -12);
}

static void off_half_rounds_to_nearest(void **state)
{
    (void)state;
    int64_t out;
    assert_true(money_mul_div(333, 333, 1000, &out)); /* 110.889 */
    assert_int_equal(out, 111);
    assert_true(money_mul_div(-333, 333, 1000, &out));
    assert_int_equal(out, -111);
    assert_true(money_mul_div(1001, 1, 2000, &out)); /* 0.5005 */
    assert_int_equal(out, 1);
    assert_true(money_mul_div(999, 1, 2000, &out)); /* 0.4995 */
    assert_int_equal(out, 0);
    assert_true(money_apply_bps(12345, 1000, &out)); /* 1234.5 → 1234 */
    assert_int_equal(out, 1234);
}

static void mul_div_is_exact_beyond_64_bits(void **state)
{
    (void)state;
    int64_t out;
    /* INT64_MAX * 10000 / 10000 needs 128-bit intermediates */
    assert_true(money_apply_bps(INT64_MAX, 10000, &out));
    assert_true(out == INT64_MAX);
    assert_true(money_mul_div(INT64_MAX, INT64_MAX, INT64_MAX, &out));
    assert_true(out == INT64_MAX);
    assert_true(money_mul_div(INT64_MIN, 1, 1, &out));
    assert_true(out == INT64_MIN);
}

static void mul_div_refuses_overflow_and_bad_divisor(void **state)
{
    (void)state;
    int64_t out = 7;
    assert_false(money_apply_bps(INT64_MAX, 10001, &out));
    assert_false(money_mul_div(INT64_MAX, 2, 1, &out));
    assert_false(money_mul_div(INT64_MIN, -1, 1, &out));
    assert_false(money_mul_div(1, 1, 0, &out));
    assert_false(money_mul_div(1, 1, -2, &out));
    assert_int_equal(out, 7);
}

static void format_uses_currency_exponent(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(money_format(1234, 2, buf, sizeof buf), 5);
    assert_string_equal(buf, "12.34");
    money_format(-5, 2, buf, sizeof buf);
    assert_string_equal(buf, "-0.05");
    money_format(7, 0, buf, sizeof buf);
    assert_string_equal(buf, "7");
    money_format(1234, 3, buf, sizeof buf);
    assert_string_equal(buf, "1.234");
    money_format(0, 2, buf, sizeof buf);
    assert_string_equal(buf, "0.00");
    money_format(INT64_MIN, 2, buf, sizeof buf);
    assert_string_equal(buf, "-92233720368547758.08");
    money_format(INT64_MAX, 0, buf, sizeof buf);
    assert_string_equal(buf, "9223372036854775807");
}

static void format_refuses_small_buffer(void **state)
{
    (void)state;
    char buf[5];
    assert_int_equal(money_format(1234, 2, buf, sizeof buf), -1); /* "12.34" needs 6 */
    assert_int_equal(money_format(123, 2, buf, sizeof buf), 4);
    assert_int_equal(money_format(1, -1, buf, sizeof buf), -1);
}

static void parse_reads_decimals_in_minor_units(void **state)
{
    (void)state;
    int64_t out;
    assert_true(money_parse_decimal("12.34", 2, false, &out));
    assert_int_equal(out, 1234);
    assert_true(money_parse_decimal("12", 2, false, &out));
    assert_int_equal(out, 1200);
    assert_true(money_parse_decimal("12.3", 2, false, &out));
    assert_int_equal(out, 1230);
    assert_true(money_parse_decimal("-1.5", 2, true, &out));
    assert_int_equal(out, -150);
    assert_true(money_parse_decimal("1500", 0, false, &out)); /* JPY */
    assert_int_equal(out, 1500);
    assert_true(money_parse_decimal("1.005", 3, false, &out)); /* KWD */
    assert_int_equal(out, 1005);
    assert_true(money_parse_decimal("007.10", 2, false, &out));
    assert_int_equal(out, 710);
    assert_true(money_parse_decimal("92233720368547758.07", 2, false, &out));
    assert_true(out == INT64_MAX);
}

static void parse_refuses_junk(void **state)
{
    (void)state;
    static const char *const junk[] = {"",      "-",   ".",   ".5",  "5.",  "1.234",
                                       "1,50",  " 1",  "1 ",  "+1",  "1e3", "0x10",
                                       "1.2.3", "--1", "12a", "NaN", "inf"};
    int64_t out = 99;
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        assert_false(money_parse_decimal(junk[i], 2, true, &out));
    assert_false(money_parse_decimal("-1", 2, false, &out));  /* negative not allowed */
    assert_false(money_parse_decimal("1.5", 0, false, &out)); /* JPY has no minor digits */
    assert_false(money_parse_decimal(NULL, 2, false, &out));
    assert_int_equal(out, 99);
}

static void parse_refuses_overflow(void **state)
{
    (void)state;
    int64_t out;
    assert_false(money_parse_decimal("92233720368547758.08", 2, false, &out));
    assert_false(money_parse_decimal("9223372036854775808", 0, false, &out));
    assert_false(money_parse_decimal("99999999999999999999999", 0, false, &out));
    assert_false(money_parse_decimal("-9223372036854775808", 0, true, &out));
    assert_true(money_parse_decimal("9223372036854775807", 0, false, &out));
}

static void format_and_parse_round_trip(void **state)
{
    (void)state;
    static const int64_t amounts[] = {0,   1,    -1,    5,      -5,        99,
                                      100, 1234, -1234, 100000, INT64_MAX, -INT64_MAX};
    char buf[32];
    for (int exponent = 0; exponent <= 4; exponent++) {
        for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
            int64_t back;
            assert_true(money_format(amounts[i], exponent, buf, sizeof buf) > 0);
            assert_true(money_parse_decimal(buf, exponent, true, &back));
            assert_true(back == amounts[i]);
        }
    }
}

/* Every stored total stays exact as a double (the dashboards' JavaScript). */
static void totals_are_bounded_by_2_pow_53(void **state)
{
    (void)state;
    assert_true(MONEY_MAX_TOTAL == (INT64_C(1) << 53) - 1);
    assert_true((int64_t)(double)MONEY_MAX_TOTAL == MONEY_MAX_TOTAL);
    assert_true(money_total_ok(0));
    assert_true(money_total_ok(MONEY_MAX_TOTAL));
    assert_true(money_total_ok(-MONEY_MAX_TOTAL));
    assert_false(money_total_ok(MONEY_MAX_TOTAL + 1));
    assert_false(money_total_ok(-MONEY_MAX_TOTAL - 1));
    assert_false(money_total_ok(INT64_MAX));
    assert_false(money_total_ok(INT64_MIN));
    /* Nine orders of the largest amount fit in one total; a tenth does not. */
    assert_true(money_total_ok(9 * MONEY_MAX_AMOUNT));
    assert_false(money_total_ok(10 * MONEY_MAX_AMOUNT));
    char text[32];
    assert_true(money_format(MONEY_MAX_TOTAL, 0, text, sizeof text) > 0);
    assert_string_equal(text, MONEY_MAX_TOTAL_SQL); /* the texts SQL compares with */
    assert_true(money_format(MONEY_MAX_AMOUNT, 0, text, sizeof text) > 0);
    assert_string_equal(text, MONEY_MAX_AMOUNT_SQL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(currency_exponents_follow_iso_4217),
        cmocka_unit_test(currency_lookup_ignores_case),
        cmocka_unit_test(unknown_or_malformed_currency_is_refused),
        cmocka_unit_test(add_and_sub_refuse_overflow_and_leave_output),
        cmocka_unit_test(totals_are_bounded_by_2_pow_53),
        cmocka_unit_test(half_rounds_to_even_both_ways),
        cmocka_unit_test(negative_half_rounds_to_even),
        cmocka_unit_test(off_half_rounds_to_nearest),
        cmocka_unit_test(mul_div_is_exact_beyond_64_bits),
        cmocka_unit_test(mul_div_refuses_overflow_and_bad_divisor),
        cmocka_unit_test(format_uses_currency_exponent),
        cmocka_unit_test(format_refuses_small_buffer),
        cmocka_unit_test(parse_reads_decimals_in_minor_units),
        cmocka_unit_test(parse_refuses_junk),
        cmocka_unit_test(parse_refuses_overflow),
        cmocka_unit_test(format_and_parse_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
