/* Partners' names, remittance texts, IBANs and BICs come from outside: SEPA transliteration and
 * IBAN/BIC parsing must never crash, always produce the SEPA character set within the limit, and
 * what they accept must be accepted again unchanged. The first byte picks the length limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/iban.h"
#include "core/sepa_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_transliteration(const char *in, size_t len, size_t max)
{
    char out[256];
    size_t n = sepa_transliterate(in, len, out, max);
    if (n > max || strlen(out) != n || !sepa_text_valid(out))
        abort();
    if (n && (out[0] == ' ' || out[n - 1] == ' ' || strstr(out, "  ")))
        abort();
    char again[256];
    if (sepa_transliterate(out, n, again, max) != n || memcmp(again, out, n) != 0)
        abort(); /* SEPA text is its own transliteration */
}

static void check_identifiers(const char *s)
{
    char iban[IBAN_MAX_LEN + 1], iban2[IBAN_MAX_LEN + 1];
    if (iban_validate(s, iban) == IBAN_OK &&
        (iban_validate(iban, iban2) != IBAN_OK || strcmp(iban, iban2) != 0))
        abort();
    char bic[BIC_MAX_LEN + 1], bic2[BIC_MAX_LEN + 1];
    if (bic_validate(s, bic) && (!bic_validate(bic, bic2) || strcmp(bic, bic2) != 0))
        abort();
    char ref[PAYOUT_REF_MAX + 1];
    payout_ref_make(s, strlen(s), ref);
    if (!payout_ref_valid(ref))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t max = data[0] % 200;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0'; /* the C-string view stops at the first NUL; the transliteration does not */
    check_transliteration(s, size - 1, max);
    check_identifiers(s);
    free(s);
    return 0;
}
