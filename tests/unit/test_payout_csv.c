/* Tests payout_csv_field (src/app/payouts.c): RFC 4180 quoting, and no field of the payout CSV a
 * spreadsheet would run as a formula, whatever a partner put in its name or payout details. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/payouts.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_values_are_written_as_they_are),
        cmocka_unit_test(separators_and_quotes_are_quoted),
        cmocka_unit_test(formula_starts_are_neutralised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
