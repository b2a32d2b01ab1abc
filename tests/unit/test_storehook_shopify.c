/* Tests for src/core/storehook_shopify.c: orders/paid and refunds/create bodies (fixtures written
 * from the Admin REST order and refund layouts, 2025-07) in EUR and JPY, with taxes excluded and
 * included, click ids from the cart attribute and the landing page, 64-bit ids kept exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "storehook_fixture.h"

static void map(const json_t *root, const char *topic, const char *delivery,
                struct storehook_event *ev)
{
    fixture_map(STOREHOOK_SHOPIFY, root, topic, delivery, &arena, ev);
}

static void test_order_paid(void **state)
{
    (void)state;
    json_t *root = fixture_load("shopify_orders_paid.json");
    struct storehook_event ev;
    map(root, "orders/paid", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_string_equal(ev.event_id, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
    assert_string_equal(ev.event_type, "orders/paid");
    assert_string_equal(ev.order_id, "9007199254740993"); /* 2^53 + 1, not rounded */
    assert_string_equal(ev.customer_id, "115310627314723954");
    assert_string_equal(ev.currency, "EUR");
    assert_int_equal(ev.amount, 9000);
    assert_int_equal(ev.gross_total, 11305);
    assert_string_equal(ev.click_id, "clk_shop42");
    assert_string_equal(ev.email, "jon@example.org");
    assert_int_equal(ev.ncoupons, 1);
    assert_string_equal(ev.coupons[0], "ALICE10");
    assert_false(ev.test_mode);
    assert_true(ev.mode_stated);
    assert_int_equal(ev.nitems, 2);
    assert_string_equal(ev.items[0].ref, "SHIRT-M");
    assert_int_equal(ev.items[0].quantity, 2);
    assert_int_equal(ev.items[0].unit_amount, 4000);
    assert_int_equal(ev.items[0].amount, 7200);
    assert_string_equal(ev.items[1].ref, "788032119674292922"); /* no sku: the product id */
    assert_int_equal(ev.items[1].amount, 1800);
    json_decref(root);
}

static void test_order_variants(void **state)
{
    (void)state;
    json_t *root = fixture_load("shopify_orders_paid.json");
    struct storehook_event ev;
    /* The landing page's pd_click when the cart attribute is missing; then none at all. */
    json_array_remove(json_object_get(root, "note_attributes"), 1);
    map(root, "orders/paid", NULL, &ev);
    assert_string_equal(ev.click_id, "clk_landing");
    assert_string_equal(ev.event_id, "order:9007199254740993:paid");
    json_object_set_new(root, "landing_site", json_string("/products/cap?utm_source=x"));
    map(root, "orders/paid", NULL, &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_null(ev.click_id);
    /* Prices with tax included: the line items' taxes come off the subtotal (not shipping's). */
    json_object_set_new(root, "taxes_included", json_true());
    json_object_set_new(root, "test", json_true());
    map(root, "orders/paid", NULL, &ev);
    assert_int_equal(ev.amount, 9000 - 1368 - 342);
    assert_int_equal(ev.items[0].amount + ev.items[1].amount, ev.amount);
    assert_true(ev.test_mode);
    json_decref(root);
}

static void test_order_jpy(void **state)
{
    (void)state;
    json_t *root = fixture_load("shopify_orders_paid.json");
    json_object_set_new(root, "currency", json_string("JPY"));
    json_object_set_new(root, "subtotal_price", json_string("9000"));
    json_object_set_new(root, "total_price", json_string("10400.00"));
    json_t *items = json_object_get(root, "line_items");
    json_object_set_new(json_array_get(items, 0), "price", json_string("4000"));
    json_object_set_new(json_array_get(items, 1), "price", json_string("1000.00"));
    struct storehook_event ev;
    json_object_set_new(json_array_get(json_object_get(json_array_get(items, 0), "tax_lines"), 0),
                        "price", json_string("0"));
    json_object_set_new(json_array_get(json_object_get(json_array_get(items, 1), "tax_lines"), 0),
                        "price", json_string("0"));
    map(root, "orders/paid", NULL, &ev);
    assert_int_equal(ev.kind, STOREHOOK_PAID_ORDER);
    assert_int_equal(ev.exponent, 0);
    assert_int_equal(ev.amount, 9000);
    assert_int_equal(ev.gross_total, 10400);
    assert_int_equal(ev.items[0].amount, 8000);
    assert_int_equal(ev.items[1].amount, 1000);
    /* Yen with a fraction is not an amount. */
    json_object_set_new(root, "subtotal_price", json_string("9000.5"));
    map(root, "orders/paid", NULL, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
}

static void test_refund(void **state)
{
    (void)state;
    json_t *root = fixture_load("shopify_refunds_create.json");
    struct storehook_event ev;
    map(root, "refunds/create", "c1a2b3", &ev);
    assert_int_equal(ev.kind, STOREHOOK_REFUND);
    assert_string_equal(ev.event_id, "c1a2b3");
    assert_string_equal(ev.order_id, "9007199254740993");
    assert_string_equal(ev.refund.id, "929361464");
    assert_string_equal(ev.currency, "EUR");
    assert_true(ev.refund.net_given);
    assert_int_equal(ev.refund.net, 3600);
    assert_int_equal(ev.refund.gross, 4284);
    assert_false(ev.refund.cumulative);
    int64_t share;
    assert_true(storehook_refund_share(9000, &ev, 11305, &share));
    assert_int_equal(share, 3600);
    /* An amount-only refund (no line items): the gross share of the order's gross. */
    json_array_clear(json_object_get(root, "refund_line_items"));
    map(root, "refunds/create", NULL, &ev);
    assert_string_equal(ev.event_id, "refund:929361464");
    assert_false(ev.refund.net_given);
    assert_true(storehook_refund_share(9000, &ev, 11305, &share));
    assert_int_equal(share, 3411); /* 9000 × 42.84 / 113.05 = 3410.53 */
    /* A failed transaction refunds nothing. */
    json_object_set_new(json_array_get(json_object_get(root, "transactions"), 0), "status",
                        json_string("failure"));
    map(root, "refunds/create", NULL, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
}

static void test_ignored(void **state)
{
    (void)state;
    json_t *root = fixture_load("shopify_orders_paid.json");
    struct storehook_event ev;
    map(root, "orders/create", "d1", &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    assert_string_equal(ev.reason, "topic not used");
    map(root, NULL, "d1", &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_object_set_new(root, "total_price", json_real(113.05));
    map(root, "orders/paid", "d1", &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    json_decref(root);
    fixture_map_text(STOREHOOK_SHOPIFY, "{\"id\":", "orders/paid", &arena, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
    /* An id beyond 64 bits is refused by the JSON parser rather than rounded. */
    fixture_map_text(STOREHOOK_SHOPIFY, "{\"id\":18446744073709551617,\"currency\":\"EUR\"}",
                     "orders/paid", &arena, &ev);
    assert_int_equal(ev.kind, STOREHOOK_IGNORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_paid), cmocka_unit_test(test_order_variants),
        cmocka_unit_test(test_order_jpy),  cmocka_unit_test(test_refund),
        cmocka_unit_test(test_ignored),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
