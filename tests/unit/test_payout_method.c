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

static void debtor_refused(const char *json, const char *param)
{
    json_t *in = json_loads(json, 0, NULL);
    assert_non_null(in);
    struct pd_err err = {0};
    assert_null(payout_debtor_canonical(in, &err));
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    assert_string_equal(err.param, param);
    json_decref(in);
}

static void payout_debtor_is_canonical_or_refused(void **state)
{
    (void)state;
    json_t *in = json_pack("{s:s, s:s, s:s}", "name", "Shop GmbH", "iban",
                           "de02 1203 0000 0000 2020 51", "bic", "byladem1001");
    struct pd_err err = {0};
    json_t *out = payout_debtor_canonical(in, &err);
    assert_non_null(out);
    assert_string_equal(json_string_value(json_object_get(out, "iban")), "DE02120300000000202051");
    assert_string_equal(json_string_value(json_object_get(out, "bic")), "BYLADEM1001");
    assert_string_equal(json_string_value(json_object_get(out, "name")), "Shop GmbH");
    json_t *again = payout_debtor_canonical(out, &err);
    assert_true(json_equal(again, out));
    json_decref(again);
    json_decref(out);
    json_decref(in);
    in = json_pack("{s:s, s:s}", "name", "No BIC", "iban", "FR1420041010050500013M02606");
    out = payout_debtor_canonical(in, &err);
    assert_non_null(out);
    assert_null(json_object_get(out, "bic"));
    json_decref(out);
    json_decref(in);
    /* One check digit off; a country outside SEPA; a BIC that is not one; missing or extra. */
    debtor_refused("{\"name\":\"X\",\"iban\":\"DE03120300000000202051\"}", "payout_debtor.iban");
    debtor_refused("{\"name\":\"X\",\"iban\":\"BR1500000000000010932840814P2\"}",
                   "payout_debtor.iban");
    debtor_refused("{\"name\":\"X\",\"iban\":\"DE02120300000000202051\",\"bic\":\"NOPE\"}",
                   "payout_debtor.bic");
    debtor_refused("{\"name\":\"\",\"iban\":\"DE02120300000000202051\"}", "payout_debtor.name");
    debtor_refused("{\"iban\":\"DE02120300000000202051\"}", "payout_debtor");
    debtor_refused("{\"name\":\"X\",\"iban\":\"DE02120300000000202051\",\"x\":1}", "payout_debtor");
    debtor_refused("[1]", "payout_debtor");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_ibans_are_normalized),
        cmocka_unit_test(iban_with_wrong_check_digits_is_refused),
        cmocka_unit_test(iban_shapes_that_are_not_ibans_are_refused),
        cmocka_unit_test(emails_are_checked_for_shape),
        cmocka_unit_test(payout_methods_are_canonical_or_refused),
        cmocka_unit_test(payout_debtor_is_canonical_or_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
