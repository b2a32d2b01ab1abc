/* How a partner is paid: PayPal (an email) or a bank transfer (IBAN + holder). Pure validation, so
 * a payout batch never carries an account that cannot be paid. */
#ifndef PD_CORE_PAYOUT_METHOD_H
#define PD_CORE_PAYOUT_METHOD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* iban_validate (core/iban.h) as a yes or no: spaces are allowed in the input and dropped in out
 * (upper-cased); outlen ≥ 35. */
bool iban_normalize(const char *in, char *out, size_t outlen);

/* A plausible email address: one '@', a dot in the domain, no spaces, ≤ 254 characters. */
bool email_plausible(const char *s);

/* Validates {"type":"paypal","email":…} or {"type":"iban","iban":…,"holder":…} and returns its
 * canonical form (new reference: IBAN normalized, keys sorted), or NULL with err (param
 * "payout_method.<field>"). */
json_t *payout_method_canonical(const json_t *pm, struct pd_err *err);

/* Validates a program's payout debtor {"name":…,"iban":…,"bic":…?} (the account a SEPA file
 * debits) and returns its canonical form (new reference: IBAN and BIC normalised), or NULL with
 * err, 422 naming "payout_debtor.<field>": a name of 1 to 140 bytes, an IBAN of a SEPA country
 * whose check digits match, a BIC when given. */
json_t *payout_debtor_canonical(const json_t *d, struct pd_err *err);

#endif
