/* Tests a program's commission in plain words (src/core/rules_words.c) from rules as the API
 * takes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/rules_json.h"
#include "core/rules_words.h"
#include "util/arena.h"

static void words_of(const char *rules_json, const char *currency, char *out, size_t len)
{
    struct arena arena;
    arena_init(&arena, 4096);
    struct arena *a = &arena;
    struct ruleset rs;
    struct pd_err err = {0};
    json_t *j = json_loads(rules_json, 0, NULL);
    assert_non_null(j);
    assert_int_equal(rules_from_json(j, a, &rs, &err), 0);
    rules_words(&rs, currency_find(currency), out, len);
    json_decref(j);
    arena_free(a);
}

static void each_public_rule_is_a_phrase(void **state)
{
    (void)state;
    char out[1024];
    words_of("[{\"type\":\"percent\",\"bps\":1000}]", "USD", out, sizeof out);
    assert_string_equal(out, "10% of each sale");
    words_of("[{\"type\":\"percent\",\"bps\":1250},{\"type\":\"percent\",\"bps\":725}]", "EUR", out,
             sizeof out);
    assert_string_equal(out, "12.5% of each sale; 7.25% of each sale");
    words_of("[{\"type\":\"flat\",\"amount\":500,\"match\":{\"first_purchase\":true}}]", "USD", out,
             sizeof out);
    assert_string_equal(out, "5.00 USD per sale on first purchases");
    words_of("[{\"type\":\"lead\",\"amount\":300}]", "JPY", out, sizeof out);
    assert_string_equal(out, "300 JPY per signup you refer");
    words_of(
        "[{\"type\":\"percent\",\"bps\":1000,\"match\":{\"sku\":\"PRO\",\"min_amount\":10000}}]",
        "USD", out, sizeof out);
    assert_string_equal(out,
                        "10% of each sale for the product PRO on orders of at least 100.00 USD");
    words_of("[{\"type\":\"percent\",\"tiers\":[{\"from\":0,\"bps\":1000},{\"from\":100000,\"bps\":"
             "1500}]}]",
             "USD", out, sizeof out);
    assert_string_equal(out, "10% of each sale, 15% once your sales this month reach 1000.00 USD");
}

static void private_rules_are_left_out(void **state)
{
    (void)state;
    char out[1024];
    words_of("[{\"type\":\"percent\",\"bps\":5000,\"match\":{\"group\":\"vip\"}},"
             "{\"type\":\"percent\",\"bps\":2000,\"match\":{\"partner_id\":\"ptn_x\"}},"
             "{\"type\":\"percent\",\"bps\":1000}]",
             "USD", out, sizeof out);
    assert_string_equal(out, "10% of each sale");
    words_of("[]", "USD", out, sizeof out);
    assert_string_equal(out, "The commission is not set yet.");
    words_of("[{\"type\":\"percent\",\"bps\":1000},{\"type\":\"percent\",\"bps\":2000}]", "USD",
             out, 12);
    assert_int_equal(strlen(out), 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_public_rule_is_a_phrase),
        cmocka_unit_test(private_rules_are_left_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
