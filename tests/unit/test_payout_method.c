/* Tests for src/core/payout_method.c: IBANs normalised and their check digits verified, emails
 * checked for shape, payout methods stored canonical or refused with the field named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/payout_method.h"

static void valid_ibans_are_normalized(void **state)
{
    (void)state;
    char out[40];
    assert_true(iban_normalize("DE89 3704 0044 0532 0130 00", out, sizeof out));
    assert_string_equal(out, "DE89370400440532013000");
    assert_true(iban_normalize("gb82west12345698765432", out, sizeof out));
    assert_string_equal(out, "GB82WEST12345698765432");
}

static void iban_with_wrong_check_digits_is_refused(void **state)
{
    (void)state;
    char out[40];
    assert_false(iban_normalize("DE88370400440532013000", out, sizeof out));
    assert_false(iban_normalize("GB82WEST12345698765433", out, sizeof out));
}

static void iban_shapes_that_are_not_ibans_are_refused(void **state)
{
    (void)state;
    char out[40];
    assert_false(iban_normalize("", out, sizeof out));
    assert_false(iban_normalize("1289370400440532013000", out, sizeof out));
    assert_false(iban_normalize("DE89-3704-0044-0532-0130-00", out, sizeof out));
    assert_false(iban_normalize("DE8937040044053201300012345678901234", out, sizeof out));
    assert_false(iban_normalize("DE89", out, sizeof out));
}

static void emails_are_checked_for_shape(void **state)
{
    (void)state;
    assert_true(email_plausible("jane@partners.example"));
    assert_false(email_plausible("jane@example"));
    assert_false(email_plausible("@partners.example"));
    assert_false(email_plausible("jane@@partners.example"));
    assert_false(email_plausible("jane doe@partners.example"));
    assert_false(email_plausible("jane@partners."));
}

static void payout_methods_are_canonical_or_refused(void **state)
{
    (void)state;
    struct pd_err err = {0};
    json_t *in = json_pack("{s:s, s:s, s:s}", "type", "iban", "iban", "de89 3704 0044 0532 0130 00",
                           "holder", "Jane Doe");
    json_t *out = payout_method_canonical(in, &err);
    assert_non_null(out);
    assert_string_equal(json_string_value(json_object_get(out, "iban")), "DE89370400440532013000");
    json_decref(out);
    json_decref(in);

    in = json_pack("{s:s, s:s}", "type", "iban", "iban", "DE89370400440532013000");
    assert_null(payout_method_canonical(in, &err));
    assert_string_equal(err.param, "payout_method.holder");
    json_decref(in);

    in = json_pack("{s:s, s:s}", "type", "paypal", "email", "not-an-email");
    assert_null(payout_method_canonical(in, &err));
    assert_string_equal(err.param, "payout_method.email");
    json_decref(in);

    in = json_pack("{s:s}", "type", "cheque");
    assert_null(payout_method_canonical(in, &err));
    assert_string_equal(err.param, "payout_method.type");
    json_decref(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_ibans_are_normalized),
        cmocka_unit_test(iban_with_wrong_check_digits_is_refused),
        cmocka_unit_test(iban_shapes_that_are_not_ibans_are_refused),
        cmocka_unit_test(emails_are_checked_for_shape),
        cmocka_unit_test(payout_methods_are_canonical_or_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
