/* Money arithmetic: int64 minor units, exact 128-bit intermediates, half-to-even rounding. */
#include "core/money.h"

#include <string.h>

#include "util/banned.h"

/* ISO 4217 codes with their minor-unit exponents (ISO 4217 list, 2024 edition). Sorted by code so a
 * reader can find one; looked up with a linear scan because the table is small. */
static const struct currency currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2},
    {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0},
    {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BRL", 2}, {"BSD", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2},
    {"CAD", 2}, {"CDF", 2}, {"CHF", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"CRC", 2},
    {"CVE", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ETB", 2},
    {"EUR", 2}, {"FJD", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2},
    {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3},
    {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0},
    {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LYD", 3},
    {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MUR", 2},
    {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2},
    {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2},
    {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0},
    {"SAR", 2}, {"SCR", 2}, {"SEK", 2}, {"SGD", 2}, {"THB", 2}, {"TND", 3}, {"TRY", 2}, {"TTD", 2},
    {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4},
    {"UZS", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"XAF", 0}, {"XCD", 2}, {"XOF", 0}, {"XPF", 0},
    {"ZAR", 2}, {"ZMW", 2},
};

/* The largest exponent money_format and money_parse_decimal accept: 10^18 still fits in int64. */
#define MONEY_MAX_EXPONENT 18

static char ascii_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

const struct currency *currency_find(const char *code)
{
    if (!code)
        return NULL;
    char upper[4];
    for (int i = 0; i < 3; i++) {
        char c = ascii_upper(code[i]);
        if (c < 'A' || c > 'Z')
            return NULL; /* also stops at a NUL before three letters */
        upper[i] = c;
    }
    if (code[3] != '\0')
        return NULL;
    upper[3] = '\0';
    for (size_t i = 0; i < sizeof currencies / sizeof currencies[0]; i++)
        if (memcmp(currencies[i].code, upper, 4) == 0)
            return &currencies[i];
    return NULL;
}

bool money_total_ok(int64_t v)
{
    return v >= -MONEY_MAX_TOTAL && v <= MONEY_MAX_TOTAL;
}

bool money_add(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

bool money_sub(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

bool money_mul_div(int64_t a, int64_t b, int64_t d, int64_t *out)
{
    if (d <= 0)
        return false;
    /* |a * b| ≤ 2^126: exact in 128 bits, so the only rounding is the one below. */
    __int128 product = (__int128)a * (__int128)b;
    __int128 quotient = product / d;                                  /* truncates toward zero */
    __int128 remainder = product % d;                                 /* same sign as product */
    __int128 abs_rem2 = (remainder < 0 ? -remainder : remainder) * 2; /* < 2^64, no overflow */
    if (abs_rem2 > d || (abs_rem2 == d && (quotient & 1) != 0))
        quotient += product < 0 ? -1 : 1; /* away from zero: past half, or half and odd */
    if (quotient > INT64_MAX || quotient < INT64_MIN)
        return false;
    *out = (int64_t)quotient;
    return true;
}

bool money_apply_bps(int64_t amount, int64_t bps, int64_t *out)
{
    return money_mul_div(amount, bps, 10000, out);
}

int money_format(int64_t amount, int exponent, char *buf, size_t len)
{
    if (exponent < 0 || exponent > MONEY_MAX_EXPONENT || !buf || len == 0)
        return -1;
    /* Work on the magnitude in unsigned arithmetic so INT64_MIN formats too. */
    uint64_t magnitude = amount < 0 ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount;
    char digits[24]; /* 20 digits of uint64 at most, least significant first */
    int ndigits = 0;
    do {
        digits[ndigits++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    /* At least exponent + 1 digits, so there is always a digit before the point: "0.05". */
    while (ndigits < exponent + 1)
        digits[ndigits++] = '0';

    size_t need = (amount < 0 ? 1u : 0u) + (size_t)ndigits + (exponent > 0 ? 1u : 0u);
    if (need + 1 > len)
        return -1;
    size_t pos = 0;
    if (amount < 0)
        buf[pos++] = '-';
    for (int i = ndigits - 1; i >= 0; i--) {
        buf[pos++] = digits[i];
        if (i == exponent && exponent > 0)
            buf[pos++] = '.';
    }
    buf[pos] = '\0';
    return (int)pos;
}

bool money_parse_decimal(const char *s, int exponent, bool allow_negative, int64_t *out)
{
    if (!s || exponent < 0 || exponent > MONEY_MAX_EXPONENT)
        return false;
    bool negative = false;
    if (*s == '-') {
        if (!allow_negative)
            return false;
        negative = true;
        s++;
    }
    /* The magnitude is accumulated up to INT64_MAX, so "-9223372036854775808" is refused: a money
     * amount that large is a mistake, and symmetry keeps negation safe for every caller. */
    uint64_t value = 0;
    int int_digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (value > ((uint64_t)INT64_MAX - (uint64_t)(*s - '0')) / 10)
            return false;
        value = value * 10 + (uint64_t)(*s - '0');
        int_digits++;
        s++;
    }
    if (int_digits == 0)
        return false; /* "", "-", ".5" */
    int frac_digits = 0;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (++frac_digits > exponent)
                return false;
            if (value > ((uint64_t)INT64_MAX - (uint64_t)(*s - '0')) / 10)
                return false;
            value = value * 10 + (uint64_t)(*s - '0');
            s++;
        }
        if (frac_digits == 0)
            return false; /* "5." */
    }
    if (*s != '\0')
        return false;
    for (int i = frac_digits; i < exponent; i++) {
        if (value > (uint64_t)INT64_MAX / 10)
            return false;
        value *= 10;
    }
    *out = negative ? -(int64_t)value : (int64_t)value;
    return true;
}
