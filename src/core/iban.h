/* Bank account identifiers for payouts: IBAN (ISO 13616) and BIC (ISO 9362). Pure validation with
 * normalised output, so a payout file never names an account its bank will reject as malformed. */
#ifndef PD_CORE_IBAN_H
#define PD_CORE_IBAN_H

#include <stdbool.h>
#include <stddef.h>

#define IBAN_MAX_LEN 34
#define BIC_MAX_LEN 11

enum iban_status {
    IBAN_OK = 0,
    IBAN_BAD_FORMAT,   /* not 2 letters, 2 digits, 11..30 letters or digits (spaces aside) */
    IBAN_BAD_LENGTH,   /* a SEPA country's IBAN of the wrong length */
    IBAN_BAD_CHECKSUM, /* mod 97 is not 1 */
};

/* Validates in (spaces anywhere are ignored, letters of either case) and writes its electronic
 * form (upper case, no spaces) to out, which holds IBAN_MAX_LEN + 1 bytes. Every country gets the
 * format and mod-97 check; the countries of the SEPA scheme also their exact length. out is
 * written only when the status is IBAN_OK. */
enum iban_status iban_validate(const char *in, char out[IBAN_MAX_LEN + 1]);
/* A sentence for an API error ("the IBAN's check digits do not match"). */
const char *iban_status_message(enum iban_status status);
/* true when a normalised IBAN's country belongs to the SEPA scheme (a SEPA credit transfer can
 * reach it). */
bool iban_is_sepa(const char *iban);

/* A BIC: 4 letters (institution), 2 letters (country), 2 letters or digits (location, the second
 * not the letter O), optionally 3 letters or digits (branch): the pattern both pain.001.001.03 and
 * pain.001.001.09 accept. Spaces are ignored, letters upper-cased into out (BIC_MAX_LEN + 1
 * bytes), written only when valid. */
bool bic_validate(const char *in, char out[BIC_MAX_LEN + 1]);

#endif
