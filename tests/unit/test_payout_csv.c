/* Tests core/payout_csv.c (csv_put_field, also through app/payouts.c's payout_csv_field): RFC 4180
 * quoting, and no field of a payout CSV a spreadsheet would run as a formula, whatever a partner
 * put in its name or payout details; the PayPal and Wise files, their parts and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/payouts.h"
#include "core/payout_csv.h"

/* The text payout_csv_field writes for v, in a buffer the caller frees. */
static char *field(const char *v, bool last)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    payout_csv_field(f, v, last);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void expect_field(const char *v, bool last, const char *want)
{
    char *got = field(v, last);
    if (strcmp(got, want) != 0)
        fail_msg("field %s: got %s, want %s", v ? v : "(null)", got, want);
    free(got);
}

static void plain_values_are_written_as_they_are(void **state)
{
    (void)state;
    expect_field("Ada Lovelace", false, "Ada Lovelace,");
    expect_field("12.50", true, "12.50\r\n");
    expect_field("", false, ",");
    expect_field(NULL, true, "\r\n");
    expect_field("a=b", false, "a=b,"); /* only a leading character starts a formula */
}

static void separators_and_quotes_are_quoted(void **state)
{
    (void)state;
    expect_field("Smith, Jo", false, "\"Smith, Jo\",");
    expect_field("say \"hi\"", false, "\"say \"\"hi\"\"\",");
    expect_field("two\nlines", false, "\"two\nlines\",");
}

static void formula_starts_are_neutralised(void **state)
{
    (void)state;
    expect_field("=HYPERLINK(\"http://x.example\")", false,
                 "\"'=HYPERLINK(\"\"http://x.example\"\")\",");
    expect_field("+1", false, "\"'+1\",");
    expect_field("-1+2", false, "\"'-1+2\",");
    expect_field("@SUM(A1)", false, "\"'@SUM(A1)\",");
    /* Spreadsheets skip a leading tab or carriage return, then read a formula. */
    expect_field("\t=1+1", false, "\"'\t=1+1\",");
    expect_field("\r=1+1", true, "\"'\r=1+1\"\r\n");
    expect_field("\tname", false, "\"'\tname\",");
}

static void paypal_rows_follow_the_upload_format(void **state)
{
    (void)state;
    const struct paypal_csv_row rows[] = {
        {"ann@example.org", 93210, "01KX-1", "November, \"thanks\""},
        {"bob@example.org", 5, "01KX-2", NULL},
        {"-cmd@example.org", 100, "01KX-3", "=1+1"},
    };
    struct strbuf b;
    struct pd_err err = {0};
    strbuf_init(&b, 1 << 20);
    assert_int_equal(paypal_csv_write_part(rows, 3, "usd", 1, &b, &err), 0);
    assert_string_equal(b.data, "ann@example.org,932.10,USD,01KX-1,\"November, \"\"thanks\"\"\"\r\n"
                                "bob@example.org,0.05,USD,01KX-2,\r\n"
                                "\"'-cmd@example.org\",1.00,USD,01KX-3,\"'=1+1\"\r\n");
    strbuf_reset(&b);
    assert_int_equal(paypal_csv_write_part(rows, 1, "JPY", 1, &b, &err), 0);
    assert_string_equal(b.data, "ann@example.org,93210,JPY,01KX-1,\"November, \"\"thanks\"\"\"\r\n");
    strbuf_reset(&b);
    assert_int_equal(paypal_csv_write_part(rows, 1, "KWD", 1, &b, &err), 0);
    assert_non_null(strstr(b.data, ",93.210,KWD,"));
    strbuf_free(&b);
}

/* A list of n PayPal rows whose amount is the row's index + 1. */
static struct paypal_csv_row *paypal_rows(size_t n)
{
    struct paypal_csv_row *rows = calloc(n, sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = (struct paypal_csv_row){"p@example.org", (int64_t)i + 1, "R-1", NULL};
    return rows;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; (s = strstr(s, "\r\n")) != NULL; s += 2)
        n++;
    return n;
}

static void parts_split_long_lists(void **state)
{
    (void)state;
    assert_int_equal(csv_part_count(0, 5000), 0);
    assert_int_equal(csv_part_count(1, 5000), 1);
    assert_int_equal(csv_part_count(5000, 5000), 1);
    assert_int_equal(csv_part_count(5001, 5000), 2);
    size_t n = 2 * PAYPAL_CSV_PART_ROWS + 1;
    struct paypal_csv_row *rows = paypal_rows(n);
    struct strbuf b;
    struct pd_err err = {0};
    strbuf_init(&b, 16 << 20);
    assert_int_equal(paypal_csv_write_part(rows, n, "EUR", 2, &b, &err), 0);
    assert_int_equal(count_lines(b.data), PAYPAL_CSV_PART_ROWS);
    assert_memory_equal(b.data, "p@example.org,50.01,EUR,", 24); /* row 5001 */
    strbuf_reset(&b);
    assert_int_equal(paypal_csv_write_part(rows, n, "EUR", 3, &b, &err), 0);
    assert_string_equal(b.data, "p@example.org,100.01,EUR,R-1,\r\n");
    strbuf_reset(&b);
    assert_int_equal(paypal_csv_write_part(rows, n, "EUR", 4, &b, &err), -1);
    assert_int_equal(err.kind, PD_ERR_NOT_FOUND);
    assert_string_equal(err.param, "part");
    assert_int_equal(paypal_csv_write_part(rows, n, "EUR", 0, &b, &err), -1);
    assert_int_equal(err.kind, PD_ERR_NOT_FOUND);
    assert_int_equal(b.len, 0);
    free(rows);
    strbuf_free(&b);
}

static void paypal_refusals(void **state)
{
    (void)state;
    struct paypal_csv_row rows[] = {{"ann@example.org", 100, "R-1", NULL}};
    struct strbuf b;
    struct pd_err err = {0};
    strbuf_init(&b, 1 << 20);
    assert_int_equal(paypal_csv_write_part(rows, 1, "XXX", 1, &b, &err), -1);
    assert_string_equal(err.param, "currency");
    rows[0].amount = 0;
    assert_int_equal(paypal_csv_write_part(rows, 1, "EUR", 1, &b, &err), -1);
    assert_string_equal(err.param, "items[0].amount");
    rows[0].amount = 1;
    rows[0].reference = "r-1";
    assert_int_equal(paypal_csv_write_part(rows, 1, "EUR", 1, &b, &err), -1);
    assert_string_equal(err.param, "items[0].reference");
    rows[0].reference = "R-1";
    rows[0].email = "not an email";
    assert_int_equal(paypal_csv_write_part(rows, 1, "EUR", 1, &b, &err), -1);
    assert_string_equal(err.param, "items[0].email");
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    assert_int_equal(b.len, 0);
    strbuf_free(&b);
}

static void wise_rows_follow_the_batch_template(void **state)
{
    (void)state;
    struct wise_csv_row rows[] = {
        {"Jäne & Søren Ñ", NULL, "01KX-1", 93210, "eur", "de89 3704 0044 0532 0130 00"},
        {"+Evil, Inc", "e@example.org", "01KX-2", 1, "GBP", "GB82WEST12345698765432"},
    };
    struct strbuf b;
    struct pd_err err = {0};
    strbuf_init(&b, 1 << 20);
    assert_int_equal(wise_csv_write_part(rows, 2, "EUR", 1, &b, &err), 0);
    assert_string_equal(b.data,
                        "name,recipientEmail,paymentReference,referenceNumber,receiverType,"
                        "amountCurrency,amount,sourceCurrency,targetCurrency,IBAN\r\n"
                        "Jäne & Søren Ñ,,01KX-1,,PERSON,source,932.10,EUR,EUR,"
                        "DE89370400440532013000\r\n"
                        "\"'+Evil, Inc\",e@example.org,01KX-2,,PERSON,source,0.01,EUR,GBP,"
                        "GB82WEST12345698765432\r\n");
    strbuf_reset(&b);
    rows[1].iban = "GB82WEST12345698765433";
    assert_int_equal(wise_csv_write_part(rows, 2, "EUR", 1, &b, &err), -1);
    assert_string_equal(err.param, "items[1].iban");
    assert_non_null(strstr(err.message, "check digits"));
    rows[1].iban = "GB82WEST12345698765432";
    rows[1].name = "";
    assert_int_equal(wise_csv_write_part(rows, 2, "EUR", 1, &b, &err), -1);
    assert_string_equal(err.param, "items[1].name");
    rows[1].name = "Bob";
    rows[1].target_currency = "ZZZ";
    assert_int_equal(wise_csv_write_part(rows, 2, "EUR", 1, &b, &err), -1);
    assert_string_equal(err.param, "items[1].target_currency");
    assert_int_equal(b.len, 0);
    strbuf_free(&b);
}

static void wise_parts_have_a_header_each(void **state)
{
    (void)state;
    size_t n = WISE_CSV_PART_ROWS + 2;
    struct wise_csv_row *rows = calloc(n, sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = (struct wise_csv_row){"Ann", NULL, "R-1", 100, "EUR", "AT611904300234573201"};
    struct strbuf b;
    struct pd_err err = {0};
    strbuf_init(&b, 16 << 20);
    assert_int_equal(wise_csv_write_part(rows, n, "EUR", 1, &b, &err), 0);
    assert_int_equal(count_lines(b.data), WISE_CSV_PART_ROWS + 1);
    strbuf_reset(&b);
    assert_int_equal(wise_csv_write_part(rows, n, "EUR", 2, &b, &err), 0);
    assert_int_equal(count_lines(b.data), 3);
    assert_memory_equal(b.data, "name,recipientEmail,", 20);
    free(rows);
    strbuf_free(&b);
}

static void a_file_past_the_limit_is_refused(void **state)
{
    (void)state;
    struct paypal_csv_row *rows = paypal_rows(100);
    struct strbuf b;
    struct pd_err err = {0};
    strbuf_init(&b, 1000);
    assert_int_equal(paypal_csv_write_part(rows, 100, "EUR", 1, &b, &err), -1);
    assert_int_equal(err.kind, PD_ERR_TOO_LARGE);
    assert_true(b.len <= 1000);
    free(rows);
    strbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_values_are_written_as_they_are),
        cmocka_unit_test(separators_and_quotes_are_quoted),
        cmocka_unit_test(formula_starts_are_neutralised),
        cmocka_unit_test(paypal_rows_follow_the_upload_format),
        cmocka_unit_test(parts_split_long_lists),
        cmocka_unit_test(paypal_refusals),
        cmocka_unit_test(wise_rows_follow_the_batch_template),
        cmocka_unit_test(wise_parts_have_a_header_each),
        cmocka_unit_test(a_file_past_the_limit_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
