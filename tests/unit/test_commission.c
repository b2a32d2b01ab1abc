/* Tests for src/core/commission.c: percent, flat, tiers, items, specificity, lead, refunds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/commission.h"
#include "core/money.h"

#define ANY_MATCH                                                                                  \
    {                                                                                              \
        .first_purchase = -1, .min_amount = -1                                                     \
    }

static struct rule percent(const char *id, int64_t bps)
{
    return (struct rule){.id = id, .type = RULE_PERCENT, .bps = bps, .match = ANY_MATCH};
}

static struct rule flat(const char *id, int64_t amount)
{
    return (struct rule){.id = id, .type = RULE_FLAT, .amount = amount, .match = ANY_MATCH};
}

static struct rule lead(const char *id, int64_t amount)
{
    return (struct rule){.id = id, .type = RULE_LEAD, .amount = amount, .match = ANY_MATCH};
}

static struct commission_input order(int64_t amount)
{
    return (struct commission_input){
        .amount = amount, .partner_id = "ptn_a", .partner_group = "gold", .first_purchase = true};
}

static void compute_ok(const struct rule *rules, size_t n, const struct commission_input *in,
                       struct commission_result *out)
{
    struct ruleset rs = {.rules = (struct rule *)rules, .nrules = n, .version = 1};
    struct pd_err err = {0};
    if (commission_compute(&rs, in, out, &err) != 0)
        fail_msg("commission_compute: %s (%s)", err.message, err.param);
}

static void percent_rule_pays_bps_of_the_order(void **state)
{
    (void)state;
    struct rule rules[] = {percent("r0", 1000)};
    struct commission_input in = order(10000);
    struct commission_result out;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.nlines, 1);
    assert_int_equal(out.lines[0].rule_index, 0);
    assert_int_equal(out.lines[0].base, 10000);
    assert_int_equal(out.lines[0].bps, 1000);
    assert_int_equal(out.lines[0].amount, 1000);
    assert_int_equal(out.total, 1000);
    assert_non_null(strstr(out.explanation, "10000 * 1000 / 10000 = 1000"));
}

static void percent_commission_rounds_half_to_even(void **state)
{
    (void)state;
    struct rule rules[] = {percent("r0", 1000)};
    struct commission_input in = order(12345); /* 1234.5 → 1234 */
    struct commission_result out;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.total, 1234);
    in.amount = 12355; /* 1235.5 → 1236 */
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.total, 1236);
}

static void flat_rule_pays_its_amount(void **state)
{
    (void)state;
    struct rule rules[] = {flat("f", 500)};
    struct commission_input in = order(10000);
    struct commission_result out;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.nlines, 1);
    assert_int_equal(out.lines[0].amount, 500);
    assert_int_equal(out.lines[0].bps, 0);
    assert_int_equal(out.total, 500);
}

static void no_matching_rule_means_no_commission(void **state)
{
    (void)state;
    struct rule rules[] = {percent("shoes", 1500)};
    rules[0].match.category = "shoes";
    struct commission_input in = order(10000);
    struct commission_result out;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.nlines, 0);
    assert_int_equal(out.total, 0);
    assert_non_null(strstr(out.explanation, "no rule"));
    compute_ok(NULL, 0, &in, &out);
    assert_int_equal(out.nlines, 0);
}

static void partner_rule_beats_group_beats_sku_beats_default(void **state)
{
    (void)state;
    struct rule rules[] = {percent("default", 1000), percent("cat", 1100), percent("group", 1200),
                           percent("partner", 1300)};
    rules[1].match.category = "shoes";
    rules[2].match.group = "gold";
    rules[3].match.partner_id = "ptn_a";
    struct commission_item item = {
        .sku = "S1", .category = "shoes", .amount = 10000, .quantity = 1};
    struct commission_input in = order(10000);
    in.items = &item;
    in.nitems = 1;
    struct commission_result out;

    compute_ok(rules, 4, &in, &out);
    assert_int_equal(out.lines[0].rule_index, 3);
    in.partner_id = "ptn_b";
    compute_ok(rules, 4, &in, &out);
    assert_int_equal(out.lines[0].rule_index, 2);
    in.partner_group = NULL;
    compute_ok(rules, 4, &in, &out);
    assert_int_equal(out.lines[0].rule_index, 1);
    item.category = "hats";
    compute_ok(rules, 4, &in, &out);
    assert_int_equal(out.lines[0].rule_index, 0);
}

static void first_listed_wins_among_equally_specific(void **state)
{
    (void)state;
    struct rule rules[] = {percent("a", 1000), percent("b", 2000)};
    struct commission_input in = order(10000);
    struct commission_result out;
    compute_ok(rules, 2, &in, &out);
    assert_int_equal(out.lines[0].rule_index, 0);
    assert_int_equal(out.total, 1000);
}

static void filters_narrow_a_rule(void **state)
{
    (void)state;
    struct rule rules[] = {percent("default", 1000), percent("first", 3000), flat("big", 2500)};
    rules[1].match.partner_id = "ptn_a";
    rules[1].match.first_purchase = 1;
    rules[2].match.partner_id = "ptn_a";
    rules[2].match.min_amount = 50000;
    struct commission_input in = order(10000);
    struct commission_result out;
    compute_ok(rules, 3, &in, &out);
    assert_int_equal(out.lines[0].rule_index, 1); /* first purchase */
    in.first_purchase = false;
    compute_ok(rules, 3, &in, &out);
    assert_int_equal(out.lines[0].rule_index, 0); /* repeat, under the minimum */
    in.amount = 50000;
    compute_ok(rules, 3, &in, &out);
    assert_int_equal(out.lines[0].rule_index, 2); /* minimum reached (inclusive) */
    assert_int_equal(out.total, 2500);
}

static void tier_rate_is_the_one_before_this_order(void **state)
{
    (void)state;
    struct rule_tier tiers[] = {{.from = 0, .bps = 1000}, {.from = 1000000, .bps = 1500}};
    struct rule rules[] = {percent("tiered", 0)};
    rules[0].tiers = tiers;
    rules[0].ntiers = 2;
    struct commission_input in = order(10000);
    struct commission_result out;

    in.month_revenue_before = 999999; /* this order crosses 1000000 but is paid at the lower rate */
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.lines[0].bps, 1000);
    assert_int_equal(out.total, 1000);

    in.month_revenue_before = 1000000;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.lines[0].bps, 1500);
    assert_int_equal(out.total, 1500);
    assert_non_null(strstr(out.explanation, "tier from 1000000"));
}

static void below_first_tier_pays_nothing(void **state)
{
    (void)state;
    struct rule_tier tiers[] = {{.from = 500000, .bps = 1000}};
    struct rule rules[] = {percent("tiered", 0)};
    rules[0].tiers = tiers;
    rules[0].ntiers = 1;
    struct commission_input in = order(10000);
    struct commission_result out;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.nlines, 0);
    assert_int_equal(out.total, 0);
    assert_non_null(strstr(out.explanation, "below the first tier"));
}

static void items_are_matched_per_line_and_summed_per_rule(void **state)
{
    (void)state;
    struct rule rules[] = {percent("default", 1000), percent("shoes", 1500)};
    rules[1].match.category = "shoes";
    struct commission_item items[] = {
        {.sku = "A", .category = "shoes", .amount = 2500, .quantity = 2}, /* 5000 → 750 */
        {.sku = "B", .category = "hats", .amount = 3333, .quantity = 1}, /* 3333 → 333.3 → 333 */
        {.sku = "C", .category = "shoes", .amount = 1003, .quantity = 1}, /* 1003 → 150.45 → 150 */
    };
    struct commission_input in = order(9336 + 500); /* shipping is in the order, not the items */
    in.items = items;
    in.nitems = 3;
    struct commission_result out;
    compute_ok(rules, 2, &in, &out);
    assert_int_equal(out.nlines, 2);
    /* lines appear in the order their rule was first matched */
    assert_int_equal(out.lines[0].rule_index, 1);
    assert_int_equal(out.lines[0].base, 6003);
    assert_int_equal(out.lines[0].amount, 900);
    assert_int_equal(out.lines[1].rule_index, 0);
    assert_int_equal(out.lines[1].base, 3333);
    assert_int_equal(out.lines[1].amount, 333);
    assert_int_equal(out.total, 1233);
    assert_non_null(strstr(out.explanation, "total shoes 900 + default 333 = 1233"));
}

static void each_item_line_is_rounded_before_summing(void **state)
{
    (void)state;
    /* Two lines of 5 at 1000 bps: 0.5 + 0.5 → 0 + 0 per line (per line, then summed:
     * src/core/commission.c), where rounding the sum would give 1. */
    struct rule rules[] = {percent("r", 1000)};
    struct commission_item items[] = {{.sku = "A", .amount = 5, .quantity = 1},
                                      {.sku = "B", .amount = 5, .quantity = 1}};
    struct commission_input in = order(10);
    in.items = items;
    in.nitems = 2;
    struct commission_result out;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.total, 0);
    assert_int_equal(out.nlines, 0);
}

static void flat_rule_counts_once_per_conversion(void **state)
{
    (void)state;
    struct rule rules[] = {flat("f", 500)};
    struct commission_item items[] = {{.sku = "A", .amount = 1000, .quantity = 3},
                                      {.sku = "B", .amount = 2000, .quantity = 1}};
    struct commission_input in = order(5000);
    in.items = items;
    in.nitems = 2;
    struct commission_result out;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.nlines, 1);
    assert_int_equal(out.lines[0].base, 5000);
    assert_int_equal(out.lines[0].amount, 500);
    assert_int_equal(out.total, 500);
}

static void unmatched_items_earn_nothing(void **state)
{
    (void)state;
    struct rule rules[] = {percent("shoes", 1000)};
    rules[0].match.sku = "A";
    struct commission_item items[] = {{.sku = "A", .amount = 1000, .quantity = 1},
                                      {.sku = "B", .amount = 9000, .quantity = 1}};
    struct commission_input in = order(10000);
    in.items = items;
    in.nitems = 2;
    struct commission_result out;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.total, 100);
    assert_non_null(
        strstr(out.explanation, "item 1 (sku B, category -) 1 x 9000 = 9000 -> no rule"));
}

static void overflow_is_unprocessable(void **state)
{
    (void)state;
    struct rule rules[] = {percent("r", 1000)};
    struct ruleset rs = {.rules = rules, .nrules = 1};
    struct commission_item item = {.sku = "A", .amount = INT64_MAX / 2, .quantity = 3};
    struct commission_input in = order(100);
    in.items = &item;
    in.nitems = 1;
    struct commission_result out;
    struct pd_err err = {0};
    assert_int_equal(commission_compute(&rs, &in, &out, &err), -1);
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    assert_int_equal(out.nlines, 0);
}

static void bad_item_quantity_is_refused(void **state)
{
    (void)state;
    struct rule rules[] = {percent("r", 1000)};
    struct ruleset rs = {.rules = rules, .nrules = 1};
    struct commission_item item = {.sku = "A", .amount = 100, .quantity = 0};
    struct commission_input in = order(100);
    in.items = &item;
    in.nitems = 1;
    struct commission_result out;
    struct pd_err err = {0};
    assert_int_equal(commission_compute(&rs, &in, &out, &err), -1);
    assert_string_equal(err.param, "items[0].quantity");
    in = order(-1);
    assert_int_equal(commission_compute(&rs, &in, &out, &err), -1);
    assert_string_equal(err.param, "amount");
}

static void explanation_never_overflows(void **state)
{
    (void)state;
    struct rule rules[] = {percent("a-rather-long-rule-identifier-for-the-explanation", 1000)};
    struct commission_item items[64];
    for (size_t i = 0; i < 64; i++)
        items[i] = (struct commission_item){
            .sku = "SKU-WITH-A-LONG-NAME", .category = "category", .amount = 1000, .quantity = 1};
    struct commission_input in = order(64000);
    in.items = items;
    in.nitems = 64;
    struct commission_result out;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.total, 6400);
    assert_true(strlen(out.explanation) < sizeof out.explanation);
    assert_non_null(strstr(out.explanation, "..."));
}

static void lead_rule_for_partner_is_most_specific(void **state)
{
    (void)state;
    struct rule rules[] = {percent("sale", 1000), lead("lead", 200), lead("lead-gold", 300),
                           lead("lead-a", 400)};
    rules[2].match.group = "gold";
    rules[3].match.partner_id = "ptn_a";
    struct ruleset rs = {.rules = rules, .nrules = 4};
    size_t index = 99;
    assert_int_equal(commission_for_lead(&rs, "ptn_a", "gold", &index), 400);
    assert_int_equal(index, 3);
    assert_int_equal(commission_for_lead(&rs, "ptn_b", "gold", &index), 300);
    assert_int_equal(commission_for_lead(&rs, "ptn_b", NULL, &index), 200);
    assert_int_equal(index, 1);
    struct ruleset sales_only = {.rules = rules, .nrules = 1};
    assert_int_equal(commission_for_lead(&sales_only, "ptn_a", NULL, NULL), 0);
}

static void lead_rules_do_not_pay_on_sales(void **state)
{
    (void)state;
    struct rule rules[] = {lead("lead", 200)};
    struct commission_input in = order(10000);
    struct commission_result out;
    compute_ok(rules, 1, &in, &out);
    assert_int_equal(out.nlines, 0);
}

static void refund_of_full_amount_reverses_exact_commission(void **state)
{
    (void)state;
    int64_t rev;
    assert_true(commission_refund_reversal(333, 1000, 1000, 0, &rev));
    assert_int_equal(rev, 333);
    assert_true(commission_refund_reversal(1, 3, 3, 0, &rev));
    assert_int_equal(rev, 1);
}

static void three_partial_refunds_reverse_exactly_the_commission(void **state)
{
    (void)state;
    static const int64_t refunds[] = {333, 333, 334};
    int64_t already = 0, cumulative = 0;
    for (size_t i = 0; i < 3; i++) {
        cumulative += refunds[i];
        int64_t rev;
        assert_true(commission_refund_reversal(333, 1000, cumulative, already, &rev));
        assert_int_equal(rev, 111);
        already += rev;
    }
    assert_int_equal(already, 333);
}

static void refunds_of_any_split_sum_to_the_commission(void **state)
{
    (void)state;
    /* Every split of A into k equal-ish parts reverses exactly C in total, for awkward C and A. */
    static const int64_t cs[] = {1, 7, 333, 999, 12345};
    static const int64_t as[] = {3, 1000, 9999, 100001};
    for (size_t ci = 0; ci < 5; ci++)
        for (size_t ai = 0; ai < 4; ai++)
            for (int64_t k = 1; k <= 7; k++) {
                int64_t a = as[ai], already = 0, cumulative = 0;
                for (int64_t part = 0; part < k; part++) {
                    cumulative = part == k - 1 ? a : cumulative + a / k;
                    int64_t rev;
                    assert_true(commission_refund_reversal(cs[ci], a, cumulative, already, &rev));
                    assert_true(rev >= 0);
                    already += rev;
                }
                assert_int_equal(already, cs[ci]);
            }
}

static void refund_reversal_refuses_bad_input(void **state)
{
    (void)state;
    int64_t rev = 5;
    assert_false(commission_refund_reversal(100, 0, 0, 0, &rev));
    assert_false(commission_refund_reversal(100, 1000, 1001, 0, &rev));
    assert_false(commission_refund_reversal(100, 1000, -1, 0, &rev));
    assert_false(commission_refund_reversal(100, 1000, 10, INT64_MIN, &rev));
    assert_int_equal(rev, 5);
}

/* An item's amount is a unit price: the lines (amount * quantity) add up to the order. */
static void order_items_add_up_to_the_amount(void **state)
{
    (void)state;
    struct pd_err err = {0};
    struct commission_item items[] = {{.sku = "A", .amount = 2500, .quantity = 2},
                                      {.sku = "SHIP", .amount = 499, .quantity = 1}};
    assert_int_equal(commission_order_check(5499, items, 2, &err), 0);
    assert_int_equal(commission_order_check(5499, NULL, 0, &err), 0);
    assert_int_equal(commission_order_check(5500, items, 2, &err), -1);
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    assert_string_equal(err.param, "items");
    assert_int_equal(commission_order_check(5000, items, 1, &err), 0);
    /* amount 100 with one item of 1,000,000 */
    struct commission_item big = {.sku = "A", .amount = 1000000, .quantity = 1};
    assert_int_equal(commission_order_check(100, &big, 1, &err), -1);
    assert_string_equal(err.param, "items");
    assert_non_null(strstr(err.message, "1000000"));
}

static void order_amounts_are_bounded(void **state)
{
    (void)state;
    struct pd_err err = {0};
    assert_int_equal(commission_order_check(MONEY_MAX_AMOUNT, NULL, 0, &err), 0);
    assert_int_equal(commission_order_check(0, NULL, 0, &err), 0);
    assert_int_equal(commission_order_check(MONEY_MAX_AMOUNT + 1, NULL, 0, &err), -1);
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    assert_string_equal(err.param, "amount");
    assert_int_equal(commission_order_check(INT64_MAX, NULL, 0, &err), -1);
    assert_int_equal(commission_order_check(-1, NULL, 0, &err), -1);
    assert_string_equal(err.param, "amount");
    /* An item or a line above the maximum names the item, even when the lines would add up. */
    struct commission_item items[] = {
        {.sku = "A", .amount = 1, .quantity = 1},
        {.sku = "B", .amount = MONEY_MAX_AMOUNT, .quantity = 1000000}};
    assert_int_equal(commission_order_check(MONEY_MAX_AMOUNT, items, 2, &err), -1);
    assert_string_equal(err.param, "items[1].amount");
    items[1] = (struct commission_item){.sku = "B", .amount = INT64_MAX, .quantity = 1000000};
    assert_int_equal(commission_order_check(MONEY_MAX_AMOUNT, items, 2, &err), -1);
    assert_string_equal(err.param, "items[1].amount");
    items[1] = (struct commission_item){.sku = "B", .amount = MONEY_MAX_AMOUNT, .quantity = 1};
    assert_int_equal(commission_order_check(MONEY_MAX_AMOUNT, items, 2, &err), -1);
    assert_string_equal(err.param, "items"); /* 10^15 + 1 */
    items[0].amount = 0;
    assert_int_equal(commission_order_check(MONEY_MAX_AMOUNT, items, 2, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percent_rule_pays_bps_of_the_order),
        cmocka_unit_test(percent_commission_rounds_half_to_even),
        cmocka_unit_test(flat_rule_pays_its_amount),
        cmocka_unit_test(no_matching_rule_means_no_commission),
        cmocka_unit_test(partner_rule_beats_group_beats_sku_beats_default),
        cmocka_unit_test(first_listed_wins_among_equally_specific),
        cmocka_unit_test(filters_narrow_a_rule),
        cmocka_unit_test(tier_rate_is_the_one_before_this_order),
        cmocka_unit_test(below_first_tier_pays_nothing),
        cmocka_unit_test(items_are_matched_per_line_and_summed_per_rule),
        cmocka_unit_test(each_item_line_is_rounded_before_summing),
        cmocka_unit_test(flat_rule_counts_once_per_conversion),
        cmocka_unit_test(unmatched_items_earn_nothing),
        cmocka_unit_test(overflow_is_unprocessable),
        cmocka_unit_test(bad_item_quantity_is_refused),
        cmocka_unit_test(explanation_never_overflows),
        cmocka_unit_test(lead_rule_for_partner_is_most_specific),
        cmocka_unit_test(lead_rules_do_not_pay_on_sales),
        cmocka_unit_test(refund_of_full_amount_reverses_exact_commission),
        cmocka_unit_test(three_partial_refunds_reverse_exactly_the_commission),
        cmocka_unit_test(refunds_of_any_split_sum_to_the_commission),
        cmocka_unit_test(refund_reversal_refuses_bad_input),
        cmocka_unit_test(order_items_add_up_to_the_amount),
        cmocka_unit_test(order_amounts_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
