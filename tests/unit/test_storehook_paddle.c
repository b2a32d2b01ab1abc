/* Tests for src/core/storehook_paddle.c: Paddle Billing transaction.completed and refund
 * adjustments (fixtures written from the documented transaction and adjustment entities), in USD
 * and JPY, with and without a click id; pending, rejected and non-refund adjustments ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "storehook_fixture.h"

static void map(const json_t *root, struct storehook_event *ev)
{
    fixture_map(STOREHOOK_PADDLE, root, NULL, NULL, &arena, ev);
}

static void test_transaction(void **state)
{
    (void)state;
    json_t *root = fixture_load("paddle_transaction_completed.json");
    struct storehook_event ev;
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_string_equal(ev.event_id, "ntf_01k2pad0ffq1w2e3r4t5y6u7i8");
    assert_string_equal(ev.event_type, "transaction.completed");
    assert_string_equal(ev.order_id, "txn_01k2pad0aa1b2c3d4e5f6g7h8j");
    assert_string_equal(ev.customer_id, "ctm_01k2pad0cust0000000000000");
    assert_string_equal(ev.subscription_id, "sub_01k2pad0subs0000000000000");
    assert_string_equal(ev.click_id, "clk_paddle9");
    assert_string_equal(ev.coupons[0], "dsc_01k2pad0disc0000000000000");
    assert_string_equal(ev.currency, "USD");
    assert_int_equal(ev.gross_total, 5400);
    assert_int_equal(ev.amount, 4500); /* 54.00 less 9.00 tax: after the 5.00 discount */
    assert_false(ev.mode_stated); /* a notification never says; the connection's mode decides */
    assert_false(ev.recurring);
    assert_int_equal(ev.nitems, 2);
    assert_string_equal(ev.items[0].ref, "pro_01k2pad0seat0000000000000");
    assert_int_equal(ev.items[0].amount, 2700);
    assert_int_equal(ev.items[1].quantity, 2);
    assert_int_equal(ev.items[1].unit_amount, 1000);
    assert_int_equal(ev.items[1].amount, 1800);

    json_t *data = json_object_get(root, "data");
    json_object_set_new(data, "origin", json_string("subscription_recurring"));
    json_object_set_new(data, "custom_data", json_null());
    json_object_del(root, "notification_id");
    map(root, &ev);
    assert_true(ev.recurring);
    assert_null(ev.click_id);
    assert_string_equal(ev.event_id, "evt_01k2pad0e8r6x9q3w5t7y1u4i2");
    json_decref(root);
}

static void test_transaction_jpy(void **state)
{
    (void)state;
    json_t *root = fixture_load("paddle_transaction_completed.json");
    json_t *data = json_object_get(root, "data");
    json_object_set_new(data, "currency_code", json_string("JPY"));
    json_t *totals = fixture_at(root, "data.details.totals");
    json_object_set_new(totals, "total", json_string("1100"));
    json_object_set_new(totals, "tax", json_string("100"));
    json_object_set_new(fixture_at(root, "data.details"), "line_items", json_array());
    struct storehook_event ev;
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_int_equal(ev.exponent, 0);
    assert_int_equal(ev.amount, 1000);
    assert_int_equal(ev.nitems, 0);
    /* Minor units are whole numbers: a decimal point or a sign is not one. */
    json_object_set_new(totals, "total", json_string("1100.0"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_object_set_new(totals, "total", json_string("-1100"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
}

static void test_refund(void **state)
{
    (void)state;
    json_t *root = fixture_load("paddle_adjustment_refund.json");
    struct storehook_event ev;
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_REFUND);
    assert_string_equal(ev.order_id, "txn_01k2pad0aa1b2c3d4e5f6g7h8j");
    assert_string_equal(ev.refund.id, "adj_01k2pad1refund000000000000");
    assert_true(ev.refund.net_given);
    assert_int_equal(ev.refund.net, 900);
    assert_int_equal(ev.refund.gross, 1080);
    assert_false(ev.refund.cumulative);
    int64_t share;
    assert_true(storehook_refund_share(4500, &ev, 5400, &share));
    assert_int_equal(share, 900);

    json_t *data = json_object_get(root, "data");
    json_object_set_new(data, "status", json_string("pending_approval"));
    json_object_set_new(root, "event_type", json_string("adjustment.created"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    assert_string_equal(ev.reason, "refund not approved");
    json_object_set_new(data, "status", json_string("approved"));
    json_object_set_new(data, "action", json_string("credit"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    assert_string_equal(ev.reason, "adjustment is not a refund");
    json_decref(root);
}

static void test_ignored(void **state)
{
    (void)state;
    json_t *root = fixture_load("paddle_transaction_completed.json");
    struct storehook_event ev;
    json_object_set_new(root, "event_type", json_string("transaction.paid"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    assert_string_equal(ev.reason, "event type not used");
    json_object_set_new(root, "event_type", json_string("transaction.completed"));
    json_object_set_new(json_object_get(root, "data"), "currency_code", json_string("XXX"));
    map(root, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
    fixture_map_text(STOREHOOK_PADDLE, "{\"event_type\":\"transaction.completed\"}", NULL,
                     &arena, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transaction),
        cmocka_unit_test(test_transaction_jpy),
        cmocka_unit_test(test_refund),
        cmocka_unit_test(test_ignored),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
