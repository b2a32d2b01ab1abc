/* Payout files as CSV (RFC 4180, CRLF line ends) for the providers' upload forms: PayPal Payouts'
 * web upload and Wise's batch template. Pure: rows in, bytes out. Each provider takes a limited
 * number of rows per file, so a long batch is written as numbered parts (1, 2, ...). */
#ifndef PD_CORE_PAYOUT_CSV_H
#define PD_CORE_PAYOUT_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"

#define PAYPAL_CSV_PART_ROWS 5000
#define WISE_CSV_PART_ROWS 1000

/* One CSV field and its separator (",", or CRLF when last): RFC 4180 quoting, and a leading '
 * before a value starting with = + - @, a tab or a carriage return, so a spreadsheet never runs a
 * partner's name as a formula. NULL is written as an empty field. */
void csv_put_field(struct strbuf *b, const char *v, bool last);

/* How many parts of at most per_part rows n rows make: 1 for 1..per_part rows, 0 for none. */
size_t csv_part_count(size_t n, size_t per_part);

/* A PayPal Payouts item: the receiver's email, the amount in minor units of the batch's currency
 * (> 0), the reference (PayPal's item id, see payout_ref_valid) and a note for the receiver
 * (may be NULL). */
struct paypal_csv_row {
    const char *email;
    int64_t amount;
    const char *reference;
    const char *note;
};

/* Appends part `part` (1-based) of rows[0..n) as PayPal's web upload file: no header, one line
 * per item: email, amount with the currency's decimals, currency, item id, note. Refuses
 * (422, param naming the row) an unknown currency, an implausible email, an amount ≤ 0, an
 * invalid reference; a part past the last one is 404 (param "part"). */
int paypal_csv_write_part(const struct paypal_csv_row *rows, size_t n, const char *currency,
                          size_t part, struct strbuf *out, struct pd_err *err);

/* A Wise bank transfer: the account holder's name, an email (may be NULL or ""), the reference
 * (the payment reference the recipient sees), the amount in minor units of the source currency
 * (> 0), the currency the recipient receives and their IBAN. */
struct wise_csv_row {
    const char *name;
    const char *email;
    const char *reference;
    int64_t amount;
    const char *target_currency;
    const char *iban;
};

/* Appends part `part` (1-based) of rows[0..n) as a Wise batch file: the header
 * name,recipientEmail,paymentReference,referenceNumber,receiverType,amountCurrency,amount,
 * sourceCurrency,targetCurrency,IBAN then one line per transfer: receiverType PERSON,
 * amountCurrency "source" (the amount is what leaves the payer's account), referenceNumber empty,
 * the IBAN normalised. Refuses (422, param naming the row) an unknown currency, an empty name, an
 * invalid IBAN, an amount ≤ 0, an invalid reference; a part past the last one is 404. */
int wise_csv_write_part(const struct wise_csv_row *rows, size_t n, const char *source_currency,
                        size_t part, struct strbuf *out, struct pd_err *err);

#endif
