/* Tests for src/core/paypal.c: base URLs a program may set, sender_batch_ids, the create body with
 * amounts formatted exactly, and PayPal's answers parsed (tokens, created batches, a duplicate
 * sender_batch_id naming its batch, item states and what they mean for the money). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/paypal.h"

static void base_urls_must_be_https_unless_loopback(void **state)
{
    (void)state;
    assert_null(paypal_base_url_refusal("https://api-m.sandbox.paypal.com"));
    assert_null(paypal_base_url_refusal("https://paypal.example:8443/proxy"));
    assert_null(paypal_base_url_refusal("http://127.0.0.1:9999"));
    assert_null(paypal_base_url_refusal("http://localhost:9999"));
    assert_non_null(paypal_base_url_refusal("http://api-m.paypal.com"));
    assert_non_null(paypal_base_url_refusal("http://10.0.0.1"));
    assert_non_null(paypal_base_url_refusal("http://127.0.0.1.example.com"));
    assert_non_null(paypal_base_url_refusal("http://127.0.0"));
    assert_non_null(paypal_base_url_refusal("http://127.0.0.256"));
    assert_non_null(paypal_base_url_refusal("ftp://127.0.0.1"));
    assert_non_null(paypal_base_url_refusal("https://api-m.paypal.com/?x=1"));
    assert_non_null(paypal_base_url_refusal("not a url"));
}

static void modes_have_paypals_base_urls(void **state)
{
    (void)state;
    assert_string_equal(paypal_mode_base_url("sandbox"), "https://api-m.sandbox.paypal.com");
    assert_string_equal(paypal_mode_base_url("live"), "https://api-m.paypal.com");
    assert_null(paypal_mode_base_url("production"));
    assert_null(paypal_mode_base_url(NULL));
}

static void sender_batch_id_is_the_batch_and_its_part(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(paypal_sender_batch_id("pay_01ABC", 2, out, sizeof out), 0);
    assert_string_equal(out, "pay_01ABC-2");
    char tiny[5];
    assert_int_equal(paypal_sender_batch_id("pay_01ABC", 2, tiny, sizeof tiny), -1);
}

static void create_body_formats_amounts_from_minor_units(void **state)
{
    (void)state;
    struct paypal_item_in items[3] = {
        {"a@partners.example", "PAY1-A", NULL, 93210},
        {"b@partners.example", "PAY1-B", "thanks", 5},
        {"c@partners.example", "PAY1-C", NULL, 900719925474099},
    };
    struct pd_err err = {0};
    char *body =
        paypal_create_body("pay_1-1", "Subject", "Message", currency_find("USD"), items, 3, &err);
    assert_non_null(body);
    json_t *o = json_loads(body, 0, NULL);
    free(body);
    assert_non_null(o);
    json_t *h = json_object_get(o, "sender_batch_header");
    assert_string_equal(json_string_value(json_object_get(h, "sender_batch_id")), "pay_1-1");
    assert_string_equal(json_string_value(json_object_get(h, "recipient_type")), "EMAIL");
    json_t *list = json_object_get(o, "items");
    assert_int_equal(json_array_size(list), 3);
    const char *values[3] = {"932.10", "0.05", "9007199254740.99"};
    for (size_t i = 0; i < 3; i++) {
        json_t *it = json_array_get(list, i);
        json_t *amt = json_object_get(it, "amount");
        assert_string_equal(json_string_value(json_object_get(amt, "value")), values[i]);
        assert_string_equal(json_string_value(json_object_get(amt, "currency")), "USD");
        assert_string_equal(json_string_value(json_object_get(it, "sender_item_id")),
                            items[i].sender_item_id);
        assert_string_equal(json_string_value(json_object_get(it, "recipient_type")), "EMAIL");
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "note")),
                        "thanks");
    json_decref(o);

    struct paypal_item_in jpy = {"a@partners.example", "PAY1-A", NULL, 1234};
    body = paypal_create_body("pay_1-1", "S", "M", currency_find("JPY"), &jpy, 1, &err);
    assert_non_null(strstr(body, "\"value\":\"1234\""));
    free(body);
}

static void create_body_refuses_what_cannot_be_paid(void **state)
{
    (void)state;
    struct paypal_item_in zero = {"a@partners.example", "PAY1-A", NULL, 0};
    struct pd_err err = {0};
    assert_null(paypal_create_body("p-1", "S", "M", currency_find("USD"), &zero, 1, &err));
    assert_null(paypal_create_body("p-1", "S", "M", currency_find("USD"), &zero, 0, &err));
    assert_null(paypal_create_body("p-1", "S", "M", currency_find("USD"), &zero,
                                   PAYPAL_ITEMS_PER_REQUEST + 1, &err));
}

static void token_answer_is_parsed(void **state)
{
    (void)state;
    static const char ok[] = "{\"scope\":\"https://uri.paypal.com/services/payouts\","
                             "\"access_token\":\"A21AAF\",\"token_type\":\"Bearer\","
                             "\"app_id\":\"APP-80W\",\"expires_in\":32400,\"nonce\":\"x\"}";
    char token[64];
    int64_t exp = 0;
    struct pd_err err = {0};
    assert_int_equal(paypal_parse_token(ok, strlen(ok), token, sizeof token, &exp, &err), 0);
    assert_string_equal(token, "A21AAF");
    assert_int_equal(exp, 32400);
    static const char bad[] = "{\"access_token\":\"a\\r\\nX-Evil: 1\",\"expires_in\":5}";
    assert_int_equal(paypal_parse_token(bad, strlen(bad), token, sizeof token, &exp, &err), -1);
    static const char none[] = "{\"error\":\"invalid_client\"}";
    assert_int_equal(paypal_parse_token(none, strlen(none), token, sizeof token, &exp, &err), -1);
    assert_int_equal(paypal_parse_token("[]", 2, token, sizeof token, &exp, &err), -1);
}

static void created_batch_id_is_read(void **state)
{
    (void)state;
    static const char ok[] =
        "{\"batch_header\":{\"payout_batch_id\":\"5UXD2E8A7EBQJ\",\"batch_status\":\"PENDING\","
        "\"sender_batch_header\":{\"sender_batch_id\":\"pay_1-1\"}},\"links\":[]}";
    char id[64];
    struct pd_err err = {0};
    assert_int_equal(paypal_parse_created(ok, strlen(ok), id, sizeof id, &err), 0);
    assert_string_equal(id, "5UXD2E8A7EBQJ");
    static const char evil[] = "{\"batch_header\":{\"payout_batch_id\":\"../../x\"}}";
    assert_int_equal(paypal_parse_created(evil, strlen(evil), id, sizeof id, &err), -1);
}

static void duplicate_sender_batch_id_names_the_original_batch(void **state)
{
    (void)state;
    static const char dup[] =
        "{\"name\":\"USER_BUSINESS_ERROR\",\"message\":\"User business error.\","
        "\"debug_id\":\"f1\",\"details\":[{\"field\":\"SENDER_BATCH_ID\",\"location\":\"body\","
        "\"issue\":\"Batch with given sender_batch_id already exists\",\"link\":[{\"href\":"
        "\"https://api.sandbox.paypal.com/v1/payments/payouts/HQDUUL4VSN7YC\",\"rel\":\"self\","
        "\"method\":\"GET\"}]}]}";
    struct paypal_error pe;
    paypal_parse_error(dup, strlen(dup), &pe);
    assert_true(pe.duplicate);
    assert_string_equal(pe.name, "USER_BUSINESS_ERROR");
    assert_string_equal(pe.payout_batch_id, "HQDUUL4VSN7YC");

    static const char other[] = "{\"name\":\"INSUFFICIENT_FUNDS\",\"message\":\"Sender does not"
                                " have sufficient funds.\",\"links\":[{\"href\":\"https://x/v1/"
                                "payments/payouts/ZZZ\"}]}";
    paypal_parse_error(other, strlen(other), &pe);
    assert_false(pe.duplicate);
    assert_string_equal(pe.name, "INSUFFICIENT_FUNDS");
    assert_string_equal(pe.payout_batch_id, "");

    paypal_parse_error("<html>oops</html>", 17, &pe);
    assert_false(pe.duplicate);
    assert_string_equal(pe.name, "");
}

static const char batch_page[] =
    "{\"total_items\":4,\"total_pages\":2,\"batch_header\":{\"payout_batch_id\":\"B1\","
    "\"batch_status\":\"SUCCESS\"},\"items\":["
    "{\"payout_item_id\":\"I1\",\"transaction_status\":\"SUCCESS\",\"payout_item\":"
    "{\"sender_item_id\":\"PAY1-A\"},\"time_processed\":\"2026-12-01T10:00:00Z\"},"
    "{\"payout_item_id\":\"I2\",\"transaction_status\":\"FAILED\",\"payout_item\":"
    "{\"sender_item_id\":\"PAY1-B\"},\"errors\":{\"name\":\"RECEIVER_UNREGISTERED\","
    "\"message\":\"Receiver is unregistered\"}},"
    "{\"payout_item_id\":\"I3\",\"transaction_status\":\"UNCLAIMED\",\"payout_item\":"
    "{\"sender_item_id\":\"PAY1-C\"},\"time_processed\":\"2026-12-01T10:00:00Z\"},"
    "{\"payout_item_id\":\"I4\",\"transaction_status\":\"PENDING\",\"payout_item\":{}},"
    "\"junk\"]}";

static void batch_page_items_are_read(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 4096);
    struct paypal_batch_page pg;
    struct pd_err err = {0};
    assert_int_equal(paypal_parse_batch(batch_page, strlen(batch_page), &a, &pg, &err), 0);
    assert_string_equal(pg.batch_status, "SUCCESS");
    assert_int_equal(pg.total_pages, 2);
    assert_int_equal(pg.nitems, 3); /* the item without a sender_item_id is left out */
    assert_string_equal(pg.items[1].sender_item_id, "PAY1-B");
    assert_string_equal(pg.items[1].error, "RECEIVER_UNREGISTERED: Receiver is unregistered");
    assert_true(pg.items[0].time_processed_ms > 0);
    assert_int_equal(paypal_parse_batch("{\"items\":[]}", 12, &a, &pg, &err), -1);
    arena_free(&a);
}

static void item_states_decide_paid_failed_or_pending(void **state)
{
    (void)state;
    char reason[201];
    int64_t t0 = 1764583200000; /* 2025-12-01T10:00:00Z */
    struct paypal_item_state it = {"R", "I", "SUCCESS", NULL, t0};
    assert_int_equal(paypal_item_outcome(&it, "SUCCESS", t0, t0, reason, sizeof reason),
                     PAYPAL_PAID);
    const char *failed[] = {"FAILED", "RETURNED", "BLOCKED", "REFUNDED", "REVERSED"};
    for (size_t i = 0; i < 5; i++) {
        it.transaction_status = failed[i];
        assert_int_equal(paypal_item_outcome(&it, "SUCCESS", t0, t0, reason, sizeof reason),
                         PAYPAL_FAILED);
        assert_non_null(strstr(reason, failed[i]));
    }
    const char *pending[] = {"PENDING", "ONHOLD", "NEW", ""};
    for (size_t i = 0; i < 4; i++) {
        it.transaction_status = pending[i];
        assert_int_equal(paypal_item_outcome(&it, "PROCESSING", t0, t0, reason, sizeof reason),
                         PAYPAL_PENDING);
    }
    it.transaction_status = "UNCLAIMED";
    assert_int_equal(paypal_item_outcome(&it, "SUCCESS", t0, t0 + PAYPAL_UNCLAIMED_MS - 1, reason,
                                         sizeof reason),
                     PAYPAL_PENDING);
    assert_int_equal(
        paypal_item_outcome(&it, "SUCCESS", t0, t0 + PAYPAL_UNCLAIMED_MS, reason, sizeof reason),
        PAYPAL_FAILED);
    it.time_processed_ms = 0; /* no time from PayPal: counted from when it was sent */
    assert_int_equal(paypal_item_outcome(&it, "SUCCESS", t0 + 5, t0 + PAYPAL_UNCLAIMED_MS, reason,
                                         sizeof reason),
                     PAYPAL_PENDING);
    it.transaction_status = "";
    assert_int_equal(paypal_item_outcome(&it, "DENIED", t0, t0, reason, sizeof reason),
                     PAYPAL_FAILED);
    it.transaction_status = "FAILED";
    it.error = "RECEIVER_UNREGISTERED: nope";
    char small[12];
    assert_int_equal(paypal_item_outcome(&it, "SUCCESS", t0, t0, small, sizeof small),
                     PAYPAL_FAILED);
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void chunked_bodies_are_decoded(void **state)
{
    (void)state;
    char ok[] = "4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\n\r\n";
    size_t len = strlen(ok);
    assert_int_equal(paypal_dechunk(ok, &len), 0);
    assert_int_equal(len, 7);
    assert_string_equal(ok, "{\"a\":1}");
    char cut[] = "10\r\nabc";
    len = strlen(cut);
    assert_int_equal(paypal_dechunk(cut, &len), -1);
    char junk[] = "zz\r\n";
    len = strlen(junk);
    assert_int_equal(paypal_dechunk(junk, &len), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base_urls_must_be_https_unless_loopback),
        cmocka_unit_test(modes_have_paypals_base_urls),
        cmocka_unit_test(sender_batch_id_is_the_batch_and_its_part),
        cmocka_unit_test(create_body_formats_amounts_from_minor_units),
        cmocka_unit_test(create_body_refuses_what_cannot_be_paid),
        cmocka_unit_test(token_answer_is_parsed),
        cmocka_unit_test(created_batch_id_is_read),
        cmocka_unit_test(duplicate_sender_batch_id_names_the_original_batch),
        cmocka_unit_test(batch_page_items_are_read),
        cmocka_unit_test(item_states_decide_paid_failed_or_pending),
        cmocka_unit_test(chunked_bodies_are_decoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
