/* SEPA credit transfer initiation files: ISO 20022 pain.001.001.09 (the current SEPA rulebook's
 * version) and pain.001.001.03 (the 2009 version many banks still take). Pure: a description of
 * the payments in, the XML document out. One payment information block (one debtor account, one
 * execution date) with one transaction per item. Money is integer cents: NbOfTxs and CtrlSum are
 * computed exactly and amounts printed from integers, never through a floating point value. */
#ifndef PD_CORE_PAIN001_H
#define PD_CORE_PAIN001_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"

enum pain001_version {
    PAIN001_V09 = 0, /* pain.001.001.09, the default */
    PAIN001_V03,     /* pain.001.001.03 */
};

/* The SEPA limits: names 70 characters, unstructured remittance 140; one amount at most
 * 999,999,999.99 EUR. */
#define PAIN001_NAME_MAX 70
#define PAIN001_REMITTANCE_MAX 140
#define PAIN001_ID_MAX 35
#define PAIN001_AMOUNT_MAX INT64_C(99999999999)

struct pain001_party {
    const char *name; /* UTF-8: transliterated to the SEPA set, cut at 70 characters */
    const char *iban; /* spaces allowed; must pass its check digits and be a SEPA country's */
    const char *bic;  /* NULL or "" when not known */
};

struct pain001_item {
    struct pain001_party creditor;
    int64_t amount;          /* EUR cents, > 0 */
    const char *reference;   /* EndToEndId: an item reference (payout_ref_valid) */
    const char *remittance;  /* UTF-8, NULL or ""; transliterated, cut at 140 characters */
};

struct pain001_doc {
    enum pain001_version version;
    const char *message_id;     /* MsgId and PmtInfId: 1-35 of A-Z a-z 0-9 / - ? : ( ) . , ' + and
                                 * space, not starting or ending with / nor containing // */
    int64_t created_ms;         /* CreDtTm, from the caller's clock */
    const char *execution_date; /* ReqdExctnDt, "YYYY-MM-DD" */
    const char *currency;       /* must be "EUR" */
    struct pain001_party debtor;
    const struct pain001_item *items;
    size_t n_items;
};

/* Appends the document to out. Refuses, with -1 and err (422 unless said), before writing
 * anything: a currency other than EUR ("currency"), a debtor without a name or whose IBAN fails
 * ("debtor.iban") or BIC ("debtor.bic"), a malformed message id or date, an empty item list
 * ("items"), and per item ("items[i].amount", ".iban", ".bic", ".reference", ".name") an amount
 * ≤ 0 or above the maximum, an invalid IBAN or BIC, an invalid reference, a name with no
 * character left after transliteration; the total over int64 or CtrlSum's 18 digits. A document
 * past out's limit is 413 (out then holds a partial document to discard). */
int pain001_write(const struct pain001_doc *doc, struct strbuf *out, struct pd_err *err);

/* Formats cents as a decimal with two fraction digits ("1234.05"); cents ≥ 0. */
void pain001_put_amount(struct strbuf *b, int64_t cents);

#endif
