/* PayPal Payouts and Wise batch CSV files (see payout_csv.h). */
#include "core/payout_csv.h"

#include <stdio.h>
#include <string.h>

#include "core/iban.h"
#include "core/money.h"
#include "core/payout_method.h"
#include "core/sepa_text.h"
#include "util/banned.h"

void csv_put_field(struct strbuf *b, const char *v, bool last)
{
    if (!v)
        v = "";
    /* Spreadsheets start a formula at = + - @, and skip a leading tab or carriage return first. */
    bool formula = v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL;
    bool quote = formula || strpbrk(v, ",\"\r\n") != NULL;
    if (quote)
        strbuf_putc(b, '"');
    if (formula)
        strbuf_putc(b, '\'');
    const char *run = v;
    for (const char *c = v; *c; c++) {
        if (*c == '"') {
            strbuf_put(b, run, (size_t)(c + 1 - run)); /* the quote, then it again */
            run = c;
        }
    }
    strbuf_puts(b, run);
    if (quote)
        strbuf_putc(b, '"');
    strbuf_puts(b, last ? "\r\n" : ",");
}

size_t csv_part_count(size_t n, size_t per_part)
{
    return n / per_part + (n % per_part ? 1 : 0);
}

/* The rows [*first, *end) of part `part`, or 404 when there is no such part. */
static int part_range(size_t n, size_t per_part, size_t part, size_t *first, size_t *end,
                      struct pd_err *err)
{
    size_t parts = csv_part_count(n, per_part);
    if (part < 1 || part > parts)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "part", "part %zu does not exist: %zu part%s",
                          part, parts, parts == 1 ? "" : "s");
    *first = (part - 1) * per_part;
    *end = *first + per_part < n ? *first + per_part : n;
    return 0;
}

static int check_amount_ref(int64_t amount, const char *reference, const char *kind, size_t i,
                            struct pd_err *err)
{
    char param[48];
    if (amount <= 0) {
        snprintf(param, sizeof param, "%s[%zu].amount", kind, i);
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, param, "an amount to pay must be positive");
    }
    if (!reference || !payout_ref_valid(reference)) {
        snprintf(param, sizeof param, "%s[%zu].reference", kind, i);
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, param,
                          "a reference is 1 to %d characters of A-Z, 0-9 and -", PAYOUT_REF_MAX);
    }
    return 0;
}

static const struct currency *find_currency(const char *code, const char *param, struct pd_err *err)
{
    const struct currency *c = currency_find(code);
    if (!c)
        pd_err_set(err, PD_ERR_UNPROCESSABLE, param, "%s is not a known ISO 4217 currency",
                   code ? code : "(none)");
    return c;
}

static void put_amount(struct strbuf *b, int64_t amount, int exponent)
{
    char text[32];
    int n = money_format(amount, exponent, text, sizeof text);
    csv_put_field(b, n < 0 ? "" : text, false); /* 32 bytes hold any int64 at any exponent */
}

int paypal_csv_write_part(const struct paypal_csv_row *rows, size_t n, const char *currency,
                          size_t part, struct strbuf *out, struct pd_err *err)
{
    const struct currency *cur = find_currency(currency, "currency", err);
    size_t first = 0, end = 0;
    if (!cur || part_range(n, PAYPAL_CSV_PART_ROWS, part, &first, &end, err) < 0)
        return -1;
    for (size_t i = first; i < end; i++) {
        if (!rows[i].email || !email_plausible(rows[i].email)) {
            char param[48];
            snprintf(param, sizeof param, "items[%zu].email", i);
            return pd_err_set(err, PD_ERR_UNPROCESSABLE, param,
                              "a PayPal receiver needs a plausible email address");
        }
        if (check_amount_ref(rows[i].amount, rows[i].reference, "items", i, err) < 0)
            return -1;
    }
    for (size_t i = first; i < end; i++) {
        csv_put_field(out, rows[i].email, false);
        put_amount(out, rows[i].amount, cur->exponent);
        csv_put_field(out, cur->code, false);
        csv_put_field(out, rows[i].reference, false);
        csv_put_field(out, rows[i].note, true);
    }
    return strbuf_check(out, "part", err);
}

static const char wise_header[] = "name,recipientEmail,paymentReference,referenceNumber,"
                                  "receiverType,amountCurrency,amount,sourceCurrency,"
                                  "targetCurrency,IBAN\r\n";

static int check_wise_row(const struct wise_csv_row *r, size_t i, char iban[IBAN_MAX_LEN + 1],
                          struct pd_err *err)
{
    char param[48];
    if (!r->name || !*r->name) {
        snprintf(param, sizeof param, "items[%zu].name", i);
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, param, "a bank transfer needs a name");
    }
    enum iban_status st = r->iban ? iban_validate(r->iban, iban) : IBAN_BAD_FORMAT;
    if (st != IBAN_OK) {
        snprintf(param, sizeof param, "items[%zu].iban", i);
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, param, "%s", iban_status_message(st));
    }
    snprintf(param, sizeof param, "items[%zu].target_currency", i);
    if (!find_currency(r->target_currency, param, err))
        return -1;
    return check_amount_ref(r->amount, r->reference, "items", i, err);
}

int wise_csv_write_part(const struct wise_csv_row *rows, size_t n, const char *source_currency,
                        size_t part, struct strbuf *out, struct pd_err *err)
{
    const struct currency *src = find_currency(source_currency, "currency", err);
    size_t first = 0, end = 0;
    if (!src || part_range(n, WISE_CSV_PART_ROWS, part, &first, &end, err) < 0)
        return -1;
    char iban[IBAN_MAX_LEN + 1];
    for (size_t i = first; i < end; i++)
        if (check_wise_row(&rows[i], i, iban, err) < 0)
            return -1;
    strbuf_puts(out, wise_header);
    for (size_t i = first; i < end; i++) {
        const struct wise_csv_row *r = &rows[i];
        if (iban_validate(r->iban, iban) != IBAN_OK) /* checked above */
            return pd_err_set(err, PD_ERR_INTERNAL, "iban", "IBAN changed while writing");
        csv_put_field(out, r->name, false);
        csv_put_field(out, r->email, false);
        csv_put_field(out, r->reference, false);
        csv_put_field(out, "", false);
        csv_put_field(out, "PERSON", false);
        csv_put_field(out, "source", false);
        put_amount(out, r->amount, src->exponent);
        csv_put_field(out, src->code, false);
        csv_put_field(out, currency_find(r->target_currency)->code, false);
        csv_put_field(out, iban, true);
    }
    return strbuf_check(out, "part", err);
}
