/* Tests core/pain001.c beyond what tests/sepa/validate.sh checks with the schemas: exact counts and
 * sums from integer cents, the refusals (non-EUR, a debtor IBAN failing its check digits, no
 * items, amounts ≤ 0), the limits, and the BIC elements of each version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/pain001.h"

static struct pain001_item items[3];

static struct pain001_doc sample(void)
{
    items[0] = (struct pain001_item){{"Jäne & Søren Ñ", "DE89370400440532013000", NULL}, 10,
                                     "REF-1", "Commissions"};
    items[1] = (struct pain001_item){{"Bob", "IE29AIBK93115212345678", "aibkie2d"}, 20, "REF-2",
                                     NULL};
    items[2] = (struct pain001_item){{"Carla", "AT611904300234573201", NULL}, 99999999999, "REF-3",
                                     ""};
    return (struct pain001_doc){
        .version = PAIN001_V09,
        .message_id = "MSG-1",
        .created_ms = INT64_C(1796522400999),
        .execution_date = "2026-12-07",
        .currency = "EUR",
        .debtor = {"Shop", "DE02120300000000202051", NULL},
        .items = items,
        .n_items = 3,
    };
}

static char *write_ok(const struct pain001_doc *doc, struct strbuf *b)
{
    struct pd_err err = {0};
    strbuf_init(b, 1 << 20);
    if (pain001_write(doc, b, &err) < 0)
        fail_msg("refused: %s: %s", err.param, err.message);
    return b->data;
}

static void expect_refused(const struct pain001_doc *doc, const char *param, const char *words)
{
    struct strbuf b;
    struct pd_err err = {0};
    strbuf_init(&b, 1 << 20);
    assert_int_equal(pain001_write(doc, &b, &err), -1);
    assert_int_equal(b.len, 0); /* nothing written */
    if (strcmp(err.param, param) != 0 || !strstr(err.message, words))
        fail_msg("got %s: %s, want %s: …%s…", err.param, err.message, param, words);
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    strbuf_free(&b);
}

static void counts_and_sums_are_exact(void **state)
{
    (void)state;
    struct pain001_doc doc = sample();
    struct strbuf b;
    const char *xml = write_ok(&doc, &b);
    /* 0.10 + 0.20 + 999999999.99: a double would print 1000000000.2899999 */
    assert_non_null(strstr(xml, "<NbOfTxs>3</NbOfTxs>\n      <CtrlSum>1000000000.29</CtrlSum>"));
    assert_non_null(strstr(xml, "<InstdAmt Ccy=\"EUR\">0.10</InstdAmt>"));
    assert_non_null(strstr(xml, "<InstdAmt Ccy=\"EUR\">999999999.99</InstdAmt>"));
    assert_non_null(strstr(xml, "<CreDtTm>2026-12-06T02:00:00Z</CreDtTm>"));
    assert_non_null(strstr(xml, "<Nm>Jane + Soren N</Nm>"));
    assert_non_null(strstr(xml, "<ReqdExctnDt>\n        <Dt>2026-12-07</Dt>"));
    assert_null(strstr(xml, "<Ustrd></Ustrd>")); /* an empty remittance is left out */
    strbuf_free(&b);
}

static void bics_per_version(void **state)
{
    (void)state;
    struct pain001_doc doc = sample();
    struct strbuf b;
    const char *xml = write_ok(&doc, &b);
    assert_non_null(strstr(xml, "<BICFI>AIBKIE2D</BICFI>"));
    assert_non_null(strstr(xml, "<DbtrAgt>\n        <FinInstnId/>"));
    assert_null(strstr(xml, "NOTPROVIDED"));
    assert_non_null(strstr(xml, "<CdtrAgt>"));
    strbuf_free(&b);
    doc.version = PAIN001_V03;
    xml = write_ok(&doc, &b);
    assert_non_null(strstr(xml, "xsd:pain.001.001.03\""));
    assert_non_null(strstr(xml, "<BIC>AIBKIE2D</BIC>"));
    assert_non_null(strstr(xml, "<ReqdExctnDt>2026-12-07</ReqdExctnDt>"));
    /* Only the debtor's agent needs NOTPROVIDED; creditors without a BIC have no agent. */
    const char *first = strstr(xml, "NOTPROVIDED");
    assert_non_null(first);
    assert_null(strstr(first + 1, "NOTPROVIDED"));
    assert_null(strstr(xml, "<BICFI>"));
    strbuf_free(&b);
}

static void the_brief_refusals(void **state)
{
    (void)state;
    struct pain001_doc doc = sample();
    doc.currency = "USD";
    expect_refused(&doc, "currency", "EUR only");
    doc = sample();
    doc.debtor.iban = "DE03120300000000202051";
    expect_refused(&doc, "debtor.iban", "check digits");
    doc = sample();
    doc.n_items = 0;
    expect_refused(&doc, "items", "at least one item");
    doc = sample();
    items[1].amount = 0;
    expect_refused(&doc, "items[1].amount", "0.01");
    doc = sample();
    items[2].amount = -5;
    expect_refused(&doc, "items[2].amount", "0.01");
    doc = sample();
    items[2].amount = PAIN001_AMOUNT_MAX + 1;
    expect_refused(&doc, "items[2].amount", "999999999.99");
}

static void other_refusals(void **state)
{
    (void)state;
    struct pain001_doc doc = sample();
    items[0].creditor.iban = "XK051212012345678906";
    expect_refused(&doc, "items[0].iban", "SEPA");
    doc = sample();
    items[1].creditor.bic = "AIBK";
    expect_refused(&doc, "items[1].bic", "BIC");
    doc = sample();
    items[0].creditor.name = "李小龍";
    expect_refused(&doc, "items[0].name", "SEPA character set");
    doc = sample();
    items[0].reference = "ref-1";
    expect_refused(&doc, "items[0].reference", "A-Z");
    doc = sample();
    doc.message_id = "MSG_1";
    expect_refused(&doc, "message_id", "35");
    doc.message_id = "MSG//1";
    expect_refused(&doc, "message_id", "35");
    doc.message_id = "/MSG1";
    expect_refused(&doc, "message_id", "35");
    doc = sample();
    doc.execution_date = "2026-02-30";
    expect_refused(&doc, "execution_date", "YYYY-MM-DD");
    doc = sample();
    doc.debtor.name = NULL;
    expect_refused(&doc, "debtor.name", "letter");
}

static void limits_are_kept(void **state)
{
    (void)state;
    struct pain001_doc doc = sample();
    char name[200], remittance[400];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    memset(remittance, 'r', sizeof remittance - 1);
    remittance[sizeof remittance - 1] = '\0';
    items[0].creditor.name = name;
    items[0].remittance = remittance;
    struct strbuf b;
    const char *xml = write_ok(&doc, &b);
    char want[200];
    snprintf(want, sizeof want, "<Nm>%.70s</Nm>", name);
    assert_non_null(strstr(xml, want));
    snprintf(want, sizeof want, "<Ustrd>%.140s</Ustrd>", remittance);
    assert_non_null(strstr(xml, want));
    strbuf_free(&b);
    /* A document past the buffer's limit is 413, not a truncated file. */
    doc = sample();
    struct pd_err err = {0};
    strbuf_init(&b, 100);
    assert_int_equal(pain001_write(&doc, &b, &err), -1);
    assert_int_equal(err.kind, PD_ERR_TOO_LARGE);
    strbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_and_sums_are_exact), cmocka_unit_test(bics_per_version),
        cmocka_unit_test(the_brief_refusals),        cmocka_unit_test(other_refusals),
        cmocka_unit_test(limits_are_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
