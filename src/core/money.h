/* Money is int64 minor units of one ISO 4217 currency. No floating point touches money.
 * The one rounding rule: half to even ("banker's rounding") wherever a division is inexact. */
#ifndef PD_CORE_MONEY_H
#define PD_CORE_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct currency {
    char code[4];  /* upper-case ISO 4217 code */
    int exponent;  /* minor-unit digits: JPY 0, USD 2, KWD 3 */
};

/* The largest amount of one order, refund or item (unit price or line): 10^15 minor units. */
#define MONEY_MAX_AMOUNT INT64_C(1000000000000000)
#define MONEY_MAX_AMOUNT_SQL "1000000000000000" /* the same, for SQL text */
/* The largest magnitude of any stored total (a balance bucket, a rollup row, a partner's month
 * revenue, a payout's total): 2^53 - 1, the largest integer a double holds exactly, so the
 * dashboards' JavaScript shows every figure exactly. A write that would pass it is refused. */
#define MONEY_MAX_TOTAL INT64_C(9007199254740991)
#define MONEY_MAX_TOTAL_SQL "9007199254740991" /* the same, for SQL text */

/* -MONEY_MAX_TOTAL <= v <= MONEY_MAX_TOTAL. */
bool money_total_ok(int64_t v);

/* Case-insensitive lookup ("usd", "USD"); NULL when not an ISO 4217 currency we know. */
const struct currency *currency_find(const char *code);

/* *out = a + b; false on overflow (nothing written). */
bool money_add(int64_t a, int64_t b, int64_t *out);
bool money_sub(int64_t a, int64_t b, int64_t *out);
/* *out = round_half_even(a * b / d) computed exactly in 128 bits; d > 0. false on overflow of the
 * result or d <= 0. Works for negative a or b. */
bool money_mul_div(int64_t a, int64_t b, int64_t d, int64_t *out);
/* Commission of amount at bps basis points (10000 = 100 %): round_half_even(amount * bps / 10000). */
bool money_apply_bps(int64_t amount, int64_t bps, int64_t *out);

/* Formats minor units as a decimal string in the currency's exponent: 1234,2 → "12.34";
 * -5,2 → "-0.05"; 7,0 → "7". Returns the length, or -1 when buf is too small. */
int money_format(int64_t amount, int exponent, char *buf, size_t len);
/* Parses a decimal string ("12.34", "12", "12.3", "-1.5" when allow_negative) into minor units of the
 * given exponent. More fraction digits than the exponent, junk, empty, or overflow → false. */
bool money_parse_decimal(const char *s, int exponent, bool allow_negative, int64_t *out);

#endif
