/* Tests core/iban.c: IBANs of SEPA countries must have their country's length and pass mod 97;
 * other countries the format and mod 97; BICs the pattern both pain.001 schemas accept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/iban.h"
#include "core/payout_method.h"

static void valid_ibans_are_normalised(void **state)
{
    (void)state;
    char out[IBAN_MAX_LEN + 1];
    assert_int_equal(iban_validate(" de89 3704 0044 0532 0130 00 ", out), IBAN_OK);
    assert_string_equal(out, "DE89370400440532013000");
    assert_int_equal(iban_validate("NO9386011117947", out), IBAN_OK); /* the shortest */
    assert_int_equal(iban_validate("MT84MALT011000012345MTLCAST001S", out), IBAN_OK); /* longest */
    assert_int_equal(iban_validate("FR1420041010050500013M02606", out), IBAN_OK);
    assert_true(iban_is_sepa(out));
    assert_int_equal(iban_validate("XK051212012345678906", out), IBAN_OK); /* not SEPA */
    assert_false(iban_is_sepa(out));
}

static void wrong_check_digits_are_refused(void **state)
{
    (void)state;
    char out[IBAN_MAX_LEN + 1] = "untouched";
    assert_int_equal(iban_validate("DE88370400440532013000", out), IBAN_BAD_CHECKSUM);
    assert_int_equal(iban_validate("GB82WEST12345698765433", out), IBAN_BAD_CHECKSUM);
    assert_string_equal(out, "untouched");
    assert_non_null(strstr(iban_status_message(IBAN_BAD_CHECKSUM), "check digits"));
}

static void a_sepa_country_needs_its_length(void **state)
{
    (void)state;
    char out[IBAN_MAX_LEN + 1];
    /* Check digits computed for these 23 characters: only the German length (22) refuses it. */
    assert_int_equal(iban_validate("DE543704004405320130001", out), IBAN_BAD_LENGTH);
    assert_false(iban_normalize("DE543704004405320130001", out, sizeof out));
    assert_int_equal(iban_validate("NO938601111794", out), IBAN_BAD_FORMAT); /* 14 < 15 */
}

static void shapes_that_are_not_ibans_are_refused(void **state)
{
    (void)state;
    char out[IBAN_MAX_LEN + 1];
    assert_int_equal(iban_validate("", out), IBAN_BAD_FORMAT);
    assert_int_equal(iban_validate(NULL, out), IBAN_BAD_FORMAT);
    assert_int_equal(iban_validate("1289370400440532013000", out), IBAN_BAD_FORMAT);
    assert_int_equal(iban_validate("DE89-3704-0044-0532-0130-00", out), IBAN_BAD_FORMAT);
    assert_int_equal(iban_validate("DE89370400440532013000\xc3\xa4", out), IBAN_BAD_FORMAT);
    assert_int_equal(iban_validate("XK051212012345678906123456789012345", out), IBAN_BAD_FORMAT);
}

static void bics_follow_the_schema_pattern(void **state)
{
    (void)state;
    char out[BIC_MAX_LEN + 1];
    assert_true(bic_validate("bylade m1 001", out));
    assert_string_equal(out, "BYLADEM1001");
    assert_true(bic_validate("AIBKIE2D", out));
    assert_string_equal(out, "AIBKIE2D");
    assert_false(bic_validate("AIBKIE2", out));      /* 7 */
    assert_false(bic_validate("AIBKIE2D1", out));    /* 9 */
    assert_false(bic_validate("A1BKIE2D", out));     /* digit in the bank code */
    assert_false(bic_validate("AIBKIE1D", out));     /* location starts with 1 */
    assert_false(bic_validate("AIBKIE2O", out));     /* location ends with O */
    assert_false(bic_validate("AIBKIE2D-XX", out));
    assert_false(bic_validate(NULL, out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_ibans_are_normalised),
        cmocka_unit_test(wrong_check_digits_are_refused),
        cmocka_unit_test(a_sepa_country_needs_its_length),
        cmocka_unit_test(shapes_that_are_not_ibans_are_refused),
        cmocka_unit_test(bics_follow_the_schema_pattern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
