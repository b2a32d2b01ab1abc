/* pain.001 credit transfer documents (see pain001.h). The element names and their order follow
 * the two schemas: pain.001.001.09 (ISO 20022 2019) and pain.001.001.03 in its SEPA form. */
#include "core/pain001.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/iban.h"
#include "core/sepa_text.h"
#include "util/timefmt.h"
#include "util/banned.h"

/* CtrlSum is a decimal of at most 18 digits, 2 of them after the point. */
#define CTRL_SUM_MAX INT64_C(9999999999999999)

/* What the validation pass learns and the writing pass uses. */
struct checked {
    char debtor_name[PAIN001_NAME_MAX + 1];
    char debtor_iban[IBAN_MAX_LEN + 1];
    char debtor_bic[BIC_MAX_LEN + 1]; /* "" when none */
    int64_t total;
};

/* A name in the SEPA set, 1..70 characters; false when nothing printable is left. */
static bool sepa_name(const char *in, char out[PAIN001_NAME_MAX + 1])
{
    return in && sepa_transliterate(in, strlen(in), out, PAIN001_NAME_MAX) > 0;
}

/* Checks a party's name, IBAN and BIC (field names under `param`, e.g. "debtor" or
 * "items[3]"), filling the normalised forms. */
static int check_party(const struct pain001_party *p, const char *param,
                       char name[PAIN001_NAME_MAX + 1], char iban[IBAN_MAX_LEN + 1],
                       char bic[BIC_MAX_LEN + 1], struct pd_err *err)
{
    char field[64];
    if (!sepa_name(p->name, name)) {
        snprintf(field, sizeof field, "%s.name", param);
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, field,
                          "a name needs at least one letter or digit of the SEPA character set");
    }
    enum iban_status st = p->iban ? iban_validate(p->iban, iban) : IBAN_BAD_FORMAT;
    snprintf(field, sizeof field, "%s.iban", param);
    if (st != IBAN_OK)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, field, "%s", iban_status_message(st));
    if (!iban_is_sepa(iban))
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, field,
                          "the IBAN's country %.2s is not in the SEPA scheme", iban);
    bic[0] = '\0';
    if (p->bic && p->bic[0] && !bic_validate(p->bic, bic)) {
        snprintf(field, sizeof field, "%s.bic", param);
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, field,
                          "a BIC is 8 or 11 letters and digits (bank, country, location, branch)");
    }
    return 0;
}

/* The SEPA rules for identifiers: 1-35 characters of the SEPA set, not starting or ending with
 * '/' and without "//". */
static bool message_id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= PAIN001_ID_MAX && sepa_text_valid(s) && s[0] != '/' && s[n - 1] != '/' &&
           !strstr(s, "//");
}

static bool date_valid(const char *s)
{
    int64_t ms;
    return s && strlen(s) == 10 && s[4] == '-' && s[7] == '-' && time_parse_rfc3339(s, &ms);
}

static int check_item(const struct pain001_item *it, size_t i, int64_t *total, struct pd_err *err)
{
    char param[32], field[48];
    snprintf(param, sizeof param, "items[%zu]", i);
    if (it->amount <= 0 || it->amount > PAIN001_AMOUNT_MAX) {
        snprintf(field, sizeof field, "%s.amount", param);
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, field,
                          "a SEPA amount is from 0.01 to 999999999.99 EUR");
    }
    if (!it->reference || !payout_ref_valid(it->reference)) {
        snprintf(field, sizeof field, "%s.reference", param);
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, field,
                          "a reference is 1 to %d characters of A-Z, 0-9 and -", PAYOUT_REF_MAX);
    }
    char name[PAIN001_NAME_MAX + 1], iban[IBAN_MAX_LEN + 1], bic[BIC_MAX_LEN + 1];
    if (check_party(&it->creditor, param, name, iban, bic, err) < 0)
        return -1;
    if (__builtin_add_overflow(*total, it->amount, total) || *total > CTRL_SUM_MAX)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "items",
                          "the total passes the 16 digits a control sum holds");
    return 0;
}

static int check_doc(const struct pain001_doc *doc, struct checked *c, struct pd_err *err)
{
    if (doc->version != PAIN001_V09 && doc->version != PAIN001_V03)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "version", "version must be 09 or 03");
    if (!doc->currency || strcmp(doc->currency, "EUR") != 0)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "currency",
                          "a SEPA credit transfer is in EUR only, not %s",
                          doc->currency ? doc->currency : "(none)");
    if (!message_id_valid(doc->message_id))
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "message_id",
                          "a message id is 1 to 35 characters of the SEPA character set, "
                          "not starting or ending with / nor containing //");
    if (!date_valid(doc->execution_date))
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "execution_date",
                          "the execution date must be a date YYYY-MM-DD");
    if (check_party(&doc->debtor, "debtor", c->debtor_name, c->debtor_iban, c->debtor_bic,
                    err) < 0)
        return -1;
    if (doc->n_items == 0 || !doc->items)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "items",
                          "a credit transfer file needs at least one item");
    c->total = 0;
    for (size_t i = 0; i < doc->n_items; i++)
        if (check_item(&doc->items[i], i, &c->total, err) < 0)
            return -1;
    return 0;
}

void pain001_put_amount(struct strbuf *b, int64_t cents)
{
    char frac[4] = {'.', (char)('0' + cents / 10 % 10), (char)('0' + cents % 10), '\0'};
    strbuf_put_u64(b, (uint64_t)(cents / 100));
    strbuf_puts(b, frac);
}

static void indent(struct strbuf *b, int depth)
{
    static const char spaces[] = "                    ";
    strbuf_put(b, spaces, (size_t)(2 * depth) < sizeof spaces - 1 ? (size_t)(2 * depth)
                                                                  : sizeof spaces - 1);
}

/* <tag> or </tag> on its own line. */
static void put_tag(struct strbuf *b, int depth, const char *tag, bool close)
{
    indent(b, depth);
    strbuf_puts(b, close ? "</" : "<");
    strbuf_puts(b, tag);
    strbuf_puts(b, ">\n");
}

/* <tag>escaped text</tag> on its own line. */
static void put_elem(struct strbuf *b, int depth, const char *tag, const char *text)
{
    indent(b, depth);
    strbuf_putc(b, '<');
    strbuf_puts(b, tag);
    strbuf_putc(b, '>');
    xml_put_escaped(b, text);
    strbuf_puts(b, "</");
    strbuf_puts(b, tag);
    strbuf_puts(b, ">\n");
}

static void put_count_sum(struct strbuf *b, int depth, size_t n, int64_t total)
{
    indent(b, depth);
    strbuf_puts(b, "<NbOfTxs>");
    strbuf_put_u64(b, n);
    strbuf_puts(b, "</NbOfTxs>\n");
    indent(b, depth);
    strbuf_puts(b, "<CtrlSum>");
    pain001_put_amount(b, total);
    strbuf_puts(b, "</CtrlSum>\n");
}

/* <tag><Nm>name</Nm></tag> */
static void put_party(struct strbuf *b, int depth, const char *tag, const char *name)
{
    put_tag(b, depth, tag, false);
    put_elem(b, depth + 1, "Nm", name);
    put_tag(b, depth, tag, true);
}

/* <tag><Id><IBAN>iban</IBAN></Id></tag> */
static void put_account(struct strbuf *b, int depth, const char *tag, const char *iban)
{
    put_tag(b, depth, tag, false);
    put_tag(b, depth + 1, "Id", false);
    put_elem(b, depth + 2, "IBAN", iban);
    put_tag(b, depth + 1, "Id", true);
    put_tag(b, depth, tag, true);
}

/* An agent (DbtrAgt, CdtrAgt) by its BIC: BICFI in pain.001.001.09, BIC in pain.001.001.03.
 * Without a BIC the creditor's agent is left out; the debtor's is required: pain.001.001.03's
 * SEPA schema wants Othr/Id NOTPROVIDED, pain.001.001.09 takes an empty identification. */
static void put_agent(struct strbuf *b, int depth, const char *tag, enum pain001_version v,
                      const char *bic)
{
    put_tag(b, depth, tag, false);
    if (bic[0]) {
        put_tag(b, depth + 1, "FinInstnId", false);
        put_elem(b, depth + 2, v == PAIN001_V09 ? "BICFI" : "BIC", bic);
        put_tag(b, depth + 1, "FinInstnId", true);
    } else if (v == PAIN001_V03) {
        put_tag(b, depth + 1, "FinInstnId", false);
        put_tag(b, depth + 2, "Othr", false);
        put_elem(b, depth + 3, "Id", "NOTPROVIDED");
        put_tag(b, depth + 2, "Othr", true);
        put_tag(b, depth + 1, "FinInstnId", true);
    } else {
        indent(b, depth + 1);
        strbuf_puts(b, "<FinInstnId/>\n");
    }
    put_tag(b, depth, tag, true);
}

/* One CdtTrfTxInf. The item passed check_item, so its name, IBAN and BIC normalise again; false
 * if they do not (nothing written). */
static bool put_item(struct strbuf *b, enum pain001_version v, const struct pain001_item *it)
{
    char name[PAIN001_NAME_MAX + 1], iban[IBAN_MAX_LEN + 1], bic[BIC_MAX_LEN + 1] = "";
    char remittance[PAIN001_REMITTANCE_MAX + 1] = "";
    if (!sepa_name(it->creditor.name, name) || iban_validate(it->creditor.iban, iban) != IBAN_OK ||
        (it->creditor.bic && it->creditor.bic[0] && !bic_validate(it->creditor.bic, bic)))
        return false;
    if (it->remittance)
        sepa_transliterate(it->remittance, strlen(it->remittance), remittance,
                           PAIN001_REMITTANCE_MAX);
    put_tag(b, 3, "CdtTrfTxInf", false);
    put_tag(b, 4, "PmtId", false);
    put_elem(b, 5, "EndToEndId", it->reference);
    put_tag(b, 4, "PmtId", true);
    put_tag(b, 4, "Amt", false);
    indent(b, 5);
    strbuf_puts(b, "<InstdAmt Ccy=\"EUR\">");
    pain001_put_amount(b, it->amount);
    strbuf_puts(b, "</InstdAmt>\n");
    put_tag(b, 4, "Amt", true);
    if (bic[0])
        put_agent(b, 4, "CdtrAgt", v, bic);
    put_party(b, 4, "Cdtr", name);
    put_account(b, 4, "CdtrAcct", iban);
    if (remittance[0]) {
        put_tag(b, 4, "RmtInf", false);
        put_elem(b, 5, "Ustrd", remittance);
        put_tag(b, 4, "RmtInf", true);
    }
    put_tag(b, 3, "CdtTrfTxInf", true);
    return true;
}

static void put_group_header(struct strbuf *b, const struct pain001_doc *doc,
                             const struct checked *c)
{
    char created[40];
    /* Whole seconds: CreDtTm is an xs:dateTime, and banks compare it without fractions. */
    int64_t ms = doc->created_ms - ((doc->created_ms % 1000) + 1000) % 1000;
    time_format_rfc3339(ms, created, sizeof created);
    put_tag(b, 2, "GrpHdr", false);
    put_elem(b, 3, "MsgId", doc->message_id);
    put_elem(b, 3, "CreDtTm", created);
    put_count_sum(b, 3, doc->n_items, c->total);
    put_party(b, 3, "InitgPty", c->debtor_name);
    put_tag(b, 2, "GrpHdr", true);
}

/* PmtInf up to its first transaction. */
static void put_payment_info(struct strbuf *b, const struct pain001_doc *doc,
                             const struct checked *c)
{
    put_tag(b, 2, "PmtInf", false);
    put_elem(b, 3, "PmtInfId", doc->message_id);
    put_elem(b, 3, "PmtMtd", "TRF");
    put_count_sum(b, 3, doc->n_items, c->total);
    put_tag(b, 3, "PmtTpInf", false);
    put_tag(b, 4, "SvcLvl", false);
    put_elem(b, 5, "Cd", "SEPA");
    put_tag(b, 4, "SvcLvl", true);
    put_tag(b, 3, "PmtTpInf", true);
    if (doc->version == PAIN001_V09) {
        put_tag(b, 3, "ReqdExctnDt", false);
        put_elem(b, 4, "Dt", doc->execution_date);
        put_tag(b, 3, "ReqdExctnDt", true);
    } else {
        put_elem(b, 3, "ReqdExctnDt", doc->execution_date);
    }
    put_party(b, 3, "Dbtr", c->debtor_name);
    put_account(b, 3, "DbtrAcct", c->debtor_iban);
    put_agent(b, 3, "DbtrAgt", doc->version, c->debtor_bic);
    put_elem(b, 3, "ChrgBr", "SLEV");
}

int pain001_write(const struct pain001_doc *doc, struct strbuf *out, struct pd_err *err)
{
    struct checked c;
    if (check_doc(doc, &c, err) < 0)
        return -1;
    strbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:");
    strbuf_puts(out, doc->version == PAIN001_V09 ? "pain.001.001.09" : "pain.001.001.03");
    strbuf_puts(out, "\">\n");
    put_tag(out, 1, "CstmrCdtTrfInitn", false);
    put_group_header(out, doc, &c);
    put_payment_info(out, doc, &c);
    for (size_t i = 0; i < doc->n_items; i++)
        if (!put_item(out, doc->version, &doc->items[i]))
            return pd_err_set(err, PD_ERR_INTERNAL, "items", "item %zu changed while written", i);
    put_tag(out, 2, "PmtInf", true);
    put_tag(out, 1, "CstmrCdtTrfInitn", true);
    strbuf_puts(out, "</Document>\n");
    return strbuf_check(out, "items", err);
}
