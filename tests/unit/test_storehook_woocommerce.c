/* Tests for src/core/storehook_woocommerce.c: a REST v3 order (fixture written from the documented
 * order schema) through its life: pending, paid, partly refunded, refunded; click ids from
 * meta_data and the order attribution's session entry; USD and BHD (three decimals). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "storehook_fixture.h"

static void map(const json_t *root, const char *topic, struct storehook_event *ev)
{
    fixture_map(STOREHOOK_WOOCOMMERCE, root, topic, NULL, &arena, ev);
}

static void add_refund(json_t *root, int id, const char *total)
{
    json_array_append_new(json_object_get(root, "refunds"),
                          json_pack("{s:i,s:s,s:s}", "id", id, "reason", "", "total", total));
}

static void test_paid_order(void **state)
{
    (void)state;
    json_t *root = fixture_load("woocommerce_order.json");
    struct storehook_event ev;
    map(root, "order.created", &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_string_equal(ev.event_type, "order.created");
    assert_string_equal(ev.event_id, "727:processing:");
    assert_string_equal(ev.order_id, "727");
    assert_string_equal(ev.customer_id, "12");
    assert_string_equal(ev.email, "john.doe@example.org");
    assert_string_equal(ev.currency, "USD");
    /* The line totals after the coupon, without tax and shipping: 81.00 + 16.20. */
    assert_int_equal(ev.amount, 9720);
    assert_int_equal(ev.gross_total, 11038);
    assert_string_equal(ev.click_id, "clk_woo+x1");
    assert_int_equal(ev.ncoupons, 1);
    assert_string_equal(ev.coupons[0], "partner10");
    assert_int_equal(ev.nitems, 2);
    assert_string_equal(ev.items[0].ref, "WOO-HOODIE");
    assert_int_equal(ev.items[0].unit_amount, 4500);
    assert_int_equal(ev.items[0].amount, 8100);
    assert_string_equal(ev.items[1].ref, "22");
    assert_int_equal(ev.items[1].amount, 1620);
    assert_false(ev.has_refund);
    /* meta_data pd_click wins over the session entry. */
    json_array_append_new(json_object_get(root, "meta_data"),
                          json_pack("{s:i,s:s,s:s}", "id", 1, "key", "pd_click", "value", "clk_m"));
    map(root, "order.updated", &ev);
    assert_string_equal(ev.click_id, "clk_m");
    json_decref(root);
}

/* An order says nothing of test mode unless WooPayments wrote its _wcpay_mode meta. */
static void test_mode_from_woopayments(void **state)
{
    (void)state;
    json_t *root = fixture_load("woocommerce_order.json");
    struct storehook_event ev;
    map(root, "order.created", &ev);
    assert_false(ev.mode_stated);
    json_t *meta = json_pack("{s:i,s:s,s:s}", "id", 2, "key", "_wcpay_mode", "value", "test");
    json_array_append_new(json_object_get(root, "meta_data"), meta);
    map(root, "order.created", &ev);
    assert_true(ev.mode_stated);
    assert_true(ev.test_mode);
    json_object_set_new(meta, "value", json_string("prod"));
    map(root, "order.created", &ev);
    assert_true(ev.mode_stated);
    assert_false(ev.test_mode);
    json_object_set_new(meta, "value", json_string("staging"));
    map(root, "order.created", &ev);
    assert_false(ev.mode_stated);
    json_decref(root);
}

static void test_not_paid(void **state)
{
    (void)state;
    json_t *root = fixture_load("woocommerce_order.json");
    struct storehook_event ev;
    json_object_set_new(root, "status", json_string("pending"));
    json_object_set_new(root, "date_paid", json_null());
    json_object_set_new(root, "meta_data", json_array());
    map(root, "order.created", &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    assert_string_equal(ev.reason, "order not paid");
    assert_string_equal(ev.event_id, "727:pending:");
    assert_null(ev.click_id);
    /* on-hold (a bank transfer awaited) is not paid either, even with a paid date. */
    json_object_set_new(root, "status", json_string("on-hold"));
    json_object_set_new(root, "date_paid", json_string("2025-08-01T10:00:04"));
    map(root, "order.updated", &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_object_set_new(root, "status", json_string("completed"));
    map(root, "order.updated", &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    json_decref(root);
}

static void test_refunds(void **state)
{
    (void)state;
    json_t *root = fixture_load("woocommerce_order.json");
    struct storehook_event ev;
    int64_t share;
    add_refund(root, 730, "-22.08");
    map(root, "order.updated", &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER); /* converts once, refunds cumulatively */
    assert_true(ev.has_refund);
    assert_true(ev.refund.cumulative);
    assert_int_equal(ev.refund.gross, 2208);
    assert_string_equal(ev.event_id, "727:processing:730");
    assert_true(storehook_refund_share(ev.amount, &ev, 0, &share));
    assert_int_equal(share, 1944); /* 9720 × 22.08 / 110.38 = 1944.33 */
    add_refund(root, 731, "-10.00");
    map(root, "order.updated", &ev);
    assert_int_equal(ev.refund.gross, 3208);
    assert_string_equal(ev.event_id, "727:processing:730,731");
    /* Status refunded: the whole order, exactly the conversion's amount. */
    json_object_set_new(root, "status", json_string("refunded"));
    map(root, "order.updated", &ev);
    assert_int_equal(ev.refund.gross, 11038);
    assert_true(storehook_refund_share(ev.amount, &ev, 0, &share));
    assert_int_equal(share, 9720);
    json_decref(root);
}

static void test_three_decimals(void **state)
{
    (void)state;
    json_t *root = fixture_load("woocommerce_order.json");
    json_object_set_new(root, "currency", json_string("BHD"));
    json_object_set_new(root, "total", json_string("31.257"));
    json_t *items = json_object_get(root, "line_items");
    json_object_set_new(json_array_get(items, 0), "subtotal", json_string("20.000"));
    json_object_set_new(json_array_get(items, 0), "total", json_string("18.500"));
    json_object_set_new(json_array_get(items, 1), "subtotal", json_string("10.5"));
    json_object_set_new(json_array_get(items, 1), "total", json_string("10.125"));
    struct storehook_event ev;
    map(root, "order.created", &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_int_equal(ev.exponent, 3);
    assert_int_equal(ev.amount, 28625);
    assert_int_equal(ev.gross_total, 31257);
    assert_int_equal(ev.items[1].unit_amount, 10500);
    /* Four decimals are more than a dinar has. */
    json_object_set_new(json_array_get(items, 1), "total", json_string("10.1255"));
    map(root, "order.created", &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
}

static void test_ignored(void **state)
{
    (void)state;
    json_t *root = fixture_load("woocommerce_order.json");
    struct storehook_event ev;
    map(root, "product.updated", &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    assert_string_equal(ev.reason, "topic not used");
    json_object_set_new(root, "currency", json_string("???"));
    map(root, "order.updated", &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
    fixture_map_text(STOREHOOK_WOOCOMMERCE, "webhook_id=15", NULL, &arena, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    assert_string_equal(ev.reason, "webhook creation ping");
    fixture_map_text(STOREHOOK_WOOCOMMERCE, "[1,2]", "order.updated", &arena, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paid_order), cmocka_unit_test(test_not_paid),
        cmocka_unit_test(test_refunds),    cmocka_unit_test(test_three_decimals),
        cmocka_unit_test(test_ignored),    cmocka_unit_test(test_mode_from_woopayments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
