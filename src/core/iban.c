/* IBAN and BIC validation (see iban.h). */
#include "core/iban.h"

#include <string.h>

#include "util/banned.h"

/* Countries of the SEPA scheme (EPC list of countries and territories, 2025) and the length of
 * their IBANs (SWIFT IBAN registry). Territories that use another country's IBANs (French
 * overseas departments, Åland, Guernsey, Jersey, the Isle of Man) are covered by that country. */
static const struct {
    char country[3];
    unsigned char length;
} sepa_lengths[] = {
    {"AD", 24}, {"AL", 28}, {"AT", 20}, {"BE", 16}, {"BG", 22}, {"CH", 21}, {"CY", 28},
    {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"EE", 20}, {"ES", 24}, {"FI", 18}, {"FR", 27},
    {"GB", 22}, {"GI", 23}, {"GR", 27}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IS", 26},
    {"IT", 27}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24},
    {"ME", 22}, {"MK", 19}, {"MT", 31}, {"NL", 18}, {"NO", 15}, {"PL", 28}, {"PT", 25},
    {"RO", 24}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"VA", 22},
};

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char to_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* Copies in without spaces, upper-cased, into out (cap bytes with the NUL); false when a
 * character is not a letter or digit or the result would not fit. */
static bool compact(const char *in, char *out, size_t cap, size_t *len)
{
    size_t n = 0;
    for (const char *c = in; *c; c++) {
        if (*c == ' ')
            continue;
        char u = to_upper(*c);
        if (!is_upper(u) && !is_digit(u))
            return false;
        if (n + 1 >= cap)
            return false;
        out[n++] = u;
    }
    out[n] = '\0';
    *len = n;
    return true;
}

static int sepa_length(const char *iban)
{
    for (size_t i = 0; i < sizeof sepa_lengths / sizeof sepa_lengths[0]; i++)
        if (iban[0] == sepa_lengths[i].country[0] && iban[1] == sepa_lengths[i].country[1])
            return sepa_lengths[i].length;
    return 0;
}

bool iban_is_sepa(const char *iban)
{
    return iban && strlen(iban) >= 2 && sepa_length(iban) > 0;
}

enum iban_status iban_validate(const char *in, char out[IBAN_MAX_LEN + 1])
{
    char s[IBAN_MAX_LEN + 1];
    size_t n = 0;
    if (!in || !compact(in, s, sizeof s, &n))
        return IBAN_BAD_FORMAT;
    /* Norway's 15 characters are the shortest IBAN any country issues. */
    if (n < 15 || !is_upper(s[0]) || !is_upper(s[1]) || !is_digit(s[2]) || !is_digit(s[3]))
        return IBAN_BAD_FORMAT;
    int expected = sepa_length(s);
    if (expected > 0 && (size_t)expected != n)
        return IBAN_BAD_LENGTH;
    /* The first four characters move to the end, letters count as 10..35, and the number read in
     * decimal is 1 modulo 97. */
    unsigned remainder = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[(i + 4) % n];
        if (is_digit(c))
            remainder = (remainder * 10 + (unsigned)(c - '0')) % 97;
        else
            remainder = (remainder * 100 + (unsigned)(c - 'A' + 10)) % 97;
    }
    if (remainder != 1)
        return IBAN_BAD_CHECKSUM;
    memcpy(out, s, n + 1);
    return IBAN_OK;
}

const char *iban_status_message(enum iban_status status)
{
    switch (status) {
    case IBAN_OK:
        return "the IBAN is valid";
    case IBAN_BAD_FORMAT:
        return "an IBAN is 2 letters, 2 check digits and up to 30 letters or digits";
    case IBAN_BAD_LENGTH:
        return "the IBAN does not have its country's length";
    case IBAN_BAD_CHECKSUM:
        return "the IBAN's check digits do not match";
    }
    return "the IBAN is not valid";
}

bool bic_validate(const char *in, char out[BIC_MAX_LEN + 1])
{
    char s[BIC_MAX_LEN + 1];
    size_t n = 0;
    if (!in || !compact(in, s, sizeof s, &n) || (n != 8 && n != 11))
        return false;
    for (size_t i = 0; i < 6; i++)
        if (!is_upper(s[i]))
            return false;
    /* Location: a letter or 2-9, then a letter or digit but not the letter O (pain.001.001.03's
     * BICIdentifier pattern, which is stricter than pain.001.001.09's). */
    if (!(is_upper(s[6]) || (s[6] >= '2' && s[6] <= '9')) || s[7] == 'O')
        return false;
    memcpy(out, s, n + 1);
    return true;
}
