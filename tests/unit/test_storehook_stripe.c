/* Tests for src/core/storehook_stripe.c: basil-shaped events (fixtures written from Stripe's
 * documented object layouts) mapped to store webhook events, in USD, JPY (zero-decimal) and KWD
 * (three decimals), with ISK/MGA where Stripe's minor units differ from ISO 4217's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "storehook_fixture.h"

static void map(const json_t *root, struct storehook_event *ev)
{
    fixture_map(STOREHOOK_STRIPE, root, NULL, NULL, &arena, ev);
}

static void test_checkout_paid(void **state)
{
    (void)state;
    json_t *root = fixture_load("stripe_checkout_paid.json");
    struct storehook_event ev;
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_string_equal(ev.event_id, "evt_1QcheckoutPaid01");
    assert_string_equal(ev.event_type, "checkout.session.completed");
    assert_false(ev.test_mode);
    assert_true(ev.mode_stated);
    assert_string_equal(ev.order_id, "cs_live_a1B2c3D4e5F6");
    assert_string_equal(ev.payment_ref, "pi_3QpaidIntent01");
    assert_string_equal(ev.currency, "USD");
    /* 96.80 charged = 100.00 - 15.00 discount + 6.80 tax + 5.00 shipping: 85.00 commissionable. */
    assert_int_equal(ev.gross_total, 9680);
    assert_int_equal(ev.amount, 8500);
    assert_string_equal(ev.click_id, "clk_abc123");
    assert_string_equal(ev.email, "buyer@example.org");
    assert_null(ev.customer_id);
    assert_int_equal(ev.ncoupons, 2);
    assert_string_equal(ev.coupons[0], "promo_1QspringAda");
    assert_string_equal(ev.coupons[1], "SPRING15");
    assert_false(ev.needs_bound_customer);

    /* Test mode is reported; metadata.pd_click stands in for client_reference_id. */
    json_object_set_new(root, "livemode", json_false());
    json_object_set_new(fixture_at(root, "data.object"), "client_reference_id", json_null());
    json_object_set_new(fixture_at(root, "data.object.metadata"), "pd_click",
                        json_string("clk_meta"));
    map(root, &ev);
    assert_true(ev.test_mode);
    assert_string_equal(ev.click_id, "clk_meta");

    /* Without any click id the order still converts (coupons may attribute it). */
    json_object_clear(fixture_at(root, "data.object.metadata"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_null(ev.click_id);
    json_decref(root);
}

static void test_checkout_async(void **state)
{
    (void)state;
    json_t *root = fixture_load("stripe_checkout_paid.json");
    json_t *s = fixture_at(root, "data.object");
    json_object_set_new(s, "payment_status", json_string("unpaid"));
    struct storehook_event ev;
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    assert_string_equal(ev.reason, "payment not completed yet");
    json_object_set_new(root, "type", json_string("checkout.session.async_payment_succeeded"));
    json_object_set_new(s, "payment_status", json_string("paid"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_int_equal(ev.amount, 8500);
    json_object_set_new(s, "payment_status", json_string("no_payment_required"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    assert_string_equal(ev.reason, "nothing to pay");
    json_object_set_new(s, "payment_status", json_string("paid"));
    json_object_set_new(s, "mode", json_string("setup"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
}

static void test_checkout_subscription_binds(void **state)
{
    (void)state;
    json_t *root = fixture_load("stripe_checkout_subscription.json");
    struct storehook_event ev;
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_BIND);
    assert_string_equal(ev.customer_id, "cus_RsubCustomer1");
    assert_string_equal(ev.subscription_id, "sub_1QmonthlyPlan");
    assert_string_equal(ev.click_id, "clk_sub777");
    assert_string_equal(ev.email, "subscriber@example.org");
    json_object_set_new(fixture_at(root, "data.object"), "customer", json_null());
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
}

static void test_invoice_paid_jpy(void **state)
{
    (void)state;
    json_t *root = fixture_load("stripe_invoice_paid.json");
    struct storehook_event ev;
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_true(ev.needs_bound_customer);
    assert_true(ev.recurring);
    assert_string_equal(ev.order_id, "in_1QrenewalJpy");
    assert_null(ev.payment_ref); /* basil invoices name no payment intent */
    assert_string_equal(ev.currency, "JPY");
    assert_int_equal(ev.exponent, 0);
    assert_int_equal(ev.gross_total, 3300);
    assert_int_equal(ev.amount, 3000);
    assert_string_equal(ev.subscription_id, "sub_1QmonthlyPlan");
    assert_string_equal(ev.customer_id, "cus_RsubCustomer1");
    assert_string_equal(ev.coupons[0], "di_1QloyaltyDiscount");
    /* 3000 over 2000:1500 → 1714.29 and 1285.71: the unit left goes to the larger remainder. */
    assert_int_equal(ev.nitems, 2);
    assert_string_equal(ev.items[0].ref, "prod_Seats");
    assert_int_equal(ev.items[0].quantity, 2);
    assert_int_equal(ev.items[0].unit_amount, 1000);
    assert_int_equal(ev.items[0].amount, 1714);
    assert_int_equal(ev.items[1].amount, 1286);

    json_object_set_new(fixture_at(root, "data.object"), "billing_reason",
                        json_string("subscription_create"));
    map(root, &ev);
    assert_false(ev.recurring);
    json_object_set_new(fixture_at(root, "data.object"), "amount_paid", json_integer(0));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
}

static void test_charge_refunded_kwd(void **state)
{
    (void)state;
    json_t *root = fixture_load("stripe_charge_refunded.json");
    struct storehook_event ev;
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_REFUND);
    assert_true(ev.has_refund);
    assert_string_equal(ev.payment_ref, "pi_3QkuwaitIntent");
    assert_null(ev.order_id);
    assert_string_equal(ev.currency, "KWD");
    assert_int_equal(ev.exponent, 3);
    assert_int_equal(ev.gross_total, 12340);
    assert_int_equal(ev.refund.gross, 5000);
    assert_true(ev.refund.cumulative);
    assert_false(ev.refund.net_given);
    assert_string_equal(ev.refund.id, "ch_3QkuwaitCharge");
    /* A conversion of 10.000 KWD: round_half_even(10000 × 5000 / 12340) = 4051.86 → 4052. */
    int64_t share;
    assert_true(storehook_refund_share(10000, &ev, 0, &share));
    assert_int_equal(share, 4052);
    /* Refunded in full, cumulatively: exactly the conversion's amount. */
    json_object_set_new(fixture_at(root, "data.object"), "amount_refunded", json_integer(12340));
    map(root, &ev);
    assert_true(storehook_refund_share(10000, &ev, 0, &share));
    assert_int_equal(share, 10000);
    json_decref(root);
}

static void test_invoice_payment_links(void **state)
{
    (void)state;
    json_t *root = fixture_load("stripe_invoice_payment_paid.json");
    struct storehook_event ev;
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_LINK);
    assert_string_equal(ev.order_id, "in_1QrenewalJpy");
    assert_string_equal(ev.payment_ref, "pi_3QrenewalIntent");
    json_t *pay = fixture_at(root, "data.object.payment");
    json_object_set_new(pay, "type", json_string("charge"));
    json_object_set_new(pay, "payment_intent", json_null());
    json_object_set_new(pay, "charge", json_string("ch_3Qoutofband"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
}

static void test_ignored(void **state)
{
    (void)state;
    json_t *root = fixture_load("stripe_checkout_paid.json");
    struct storehook_event ev;
    json_object_set_new(root, "type", json_string("customer.created"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    assert_string_equal(ev.reason, "event type not used");
    assert_string_equal(ev.event_id, "evt_1QcheckoutPaid01");
    json_object_set_new(root, "type", json_string("checkout.session.completed"));
    json_object_set_new(root, "api_version", json_string("2024-06-20"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_object_set_new(root, "api_version", json_string("2025-03-31.basil"));
    json_object_set_new(fixture_at(root, "data.object"), "currency", json_string("xyz"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    /* Amounts must be integers: a JSON real never becomes money. */
    json_object_set_new(fixture_at(root, "data.object"), "currency", json_string("usd"));
    json_object_set_new(fixture_at(root, "data.object"), "amount_total", json_real(96.8));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
    const char *bad[] = {"", "[]", "not json", "{\"id\":\"evt_1\"}", "{\"id\":1,\"type\":2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture_map_text(STOREHOOK_STRIPE, bad[i], NULL, &arena, &ev);
        assert_int_equal(ev.kind, STOREHOOK_IGNORE);
        assert_non_null(ev.reason);
    }
}

static void test_stripe_minor_units(void **state)
{
    (void)state;
    int64_t v;
    assert_true(storehook_stripe_to_minor(1999, "usd", &v));
    assert_int_equal(v, 1999);
    assert_true(storehook_stripe_to_minor(500, "JPY", &v));
    assert_int_equal(v, 500);
    assert_true(storehook_stripe_to_minor(12340, "kwd", &v));
    assert_int_equal(v, 12340);
    /* ISK travels in hundredths though it has no minor unit; MGA the other way round. */
    assert_true(storehook_stripe_to_minor(150000, "isk", &v));
    assert_int_equal(v, 1500);
    assert_false(storehook_stripe_to_minor(150050, "isk", &v));
    assert_true(storehook_stripe_to_minor(5000, "mga", &v));
    assert_int_equal(v, 500000);
    assert_false(storehook_stripe_to_minor(INT64_MAX / 10, "mga", &v));
    assert_false(storehook_stripe_to_minor(1, "zzz", &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkout_paid),
        cmocka_unit_test(test_checkout_async),
        cmocka_unit_test(test_checkout_subscription_binds),
        cmocka_unit_test(test_invoice_paid_jpy),
        cmocka_unit_test(test_charge_refunded_kwd),
        cmocka_unit_test(test_invoice_payment_links),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_stripe_minor_units),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
