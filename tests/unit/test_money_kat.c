/* Known-answer tests of commissions (money_kat_fixture.h), through the app functions the server
 * uses, on a real SQLite database: tier crossing, multi-tier chains, caps, JPY and KWD rounding.
 * Every expected number is worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "money_kat_fixture.h"

/* ---------------------------------------------------------------------------------------------
 * Tiers. src/core/commission.c: the rate is the tier the partner's attributed revenue this month
 * is in BEFORE the order (highest tier with from <= revenue before), applied to the whole order. */
static void tier_crossing_order_earns_the_rate_of_the_revenue_before_it(void **state)
{
    struct kat *k = *state;
    const char *prg = make_program(
        k, &(struct program_spec){
               .currency = "USD",
               .rules = "[{\"id\":\"t\",\"type\":\"percent\",\"tiers\":[{\"from\":0,\"bps\":1000},"
                        "{\"from\":100000,\"bps\":1500}]}]",
               .cap = -1});
    const char *p = make_partner(k, prg, "tiers", NULL, NULL);
    json_t *c;
    /* 90000 at 10 % = 9000; the month now has 90000. */
    c = convert(k, prg, "t1", 90000, "USD", "tiers", at(2026, 11, 2));
    assert_int_equal(earned(c, p, 0), 9000);
    json_decref(c);
    /* 20000 crosses 100000 (90000 → 110000): the whole order at the rate before it, 10 % = 2000
     * (splitting it would have been 10000 at 10 % + 10000 at 15 % = 2500). */
    c = convert(k, prg, "t2", 20000, "USD", "tiers", at(2026, 11, 3));
    assert_int_equal(earned(c, p, 0), 2000);
    json_t *com = commission_for(c, p, 0);
    assert_non_null(strstr(json_string_value(json_object_get(com, "explanation")),
                           "tier from 0 (month revenue before 90000) 1000 bps"));
    json_decref(c);
    /* 110000 before: 15 % of 10000 = 1500. */
    c = convert(k, prg, "t3", 10000, "USD", "tiers", at(2026, 11, 4));
    assert_int_equal(earned(c, p, 0), 1500);
    json_decref(c);
    /* A refund takes revenue off: 120000 - 20000 = 100000, exactly the threshold, still 15 %
     * (from <= revenue): 333 * 1500 / 10000 = 49.95 → 50. */
    assert_int_equal(refund_ok(k, prg, "t3", 10000, at(2026, 11, 5)), 1500);
    assert_int_equal(refund_ok(k, prg, "t1", 10000, at(2026, 11, 5)), 1000);
    c = convert(k, prg, "t4", 333, "USD", "tiers", at(2026, 11, 6));
    assert_int_equal(earned(c, p, 0), 50);
    json_decref(c);
    /* One more cent off and it is back below: 100333 - 334 = 99999 → 10 %: 1000. */
    assert_int_equal(refund_ok(k, prg, "t4", 333, at(2026, 11, 6)), 50);
    assert_int_equal(refund_ok(k, prg, "t2", 1, at(2026, 11, 6)), 0); /* round(2000/20000) = 0 */
    c = convert(k, prg, "t5", 10000, "USD", "tiers", at(2026, 11, 7));
    assert_int_equal(earned(c, p, 0), 1000);
    json_decref(c);
    /* A new month starts from 0 revenue: 10 %. */
    c = convert(k, prg, "t6", 10000, "USD", "tiers", at(2026, 12, 1));
    assert_int_equal(earned(c, p, 0), 1000);
    json_decref(c);
}

/* An order dated in an earlier month (occurred_at) is priced on that month's revenue only, not
 * on revenue of later months recorded before it arrived. */
static void backdated_order_uses_its_own_months_tier_and_cap(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){
                            .currency = "USD",
                            .rules = "[{\"type\":\"percent\",\"tiers\":[{\"from\":0,\"bps\":1000},"
                                     "{\"from\":100000,\"bps\":2000}]}]",
                            .cap = 25000});
    const char *p = make_partner(k, prg, "late", NULL, NULL);
    json_t *c = convert(k, prg, "n1", 200000, "USD", "late", at(2026, 11, 20));
    assert_int_equal(earned(c, p, 0), 20000); /* November: 10 % of 200000 */
    json_decref(c);
    /* Dated 15 October, received in November: October had no revenue and no commission, so 10 %
     * and the cap's whole room: 10 % of 60000 = 6000 (November's 200000 would make it 20 % and
     * November's 20000 earned would cut it to 5000). */
    c = convert_full(k, prg, "o1", 60000, "USD", "late", NULL, 0, at(2026, 11, 21),
                     at(2026, 10, 15));
    assert_int_equal(earned(c, p, 0), 6000);
    json_decref(c);
}

/* ---------------------------------------------------------------------------------------------
 * Multi-tier: each ancestor up to parent_levels earns parent_bps of the level below, rounded half
 * to even at each level; a share that rounds to 0 ends the chain; a suspended ancestor is skipped
 * and the chain goes on above it. */
static void multi_tier_chain_rounds_half_to_even_at_each_level(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "USD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":10000}]",
                                               .parent_bps = 2500,
                                               .parent_levels = 3,
                                               .cap = -1});
    const char *top = make_partner(k, prg, "top", NULL, NULL);
    const char *mid = make_partner(k, prg, "mid", top, NULL);
    const char *low = make_partner(k, prg, "low", mid, NULL);
    const char *kid = make_partner(k, prg, "kid", low, NULL);
    const char *deep = make_partner(k, prg, "deep", kid, NULL);
    json_t *c;
    /* 90 at 100 % = 90; 90/4 = 22.5 → 22 (down to even); 22/4 = 5.5 → 6 (up to even);
     * 6/4 = 1.5 → 2 (up to even). */
    c = convert(k, prg, "m1", 90, "USD", "kid", at(2026, 11, 2));
    assert_int_equal(ncommissions(c), 4);
    assert_int_equal(earned(c, kid, 0), 90);
    assert_int_equal(earned(c, low, 1), 22);
    assert_int_equal(earned(c, mid, 2), 6);
    assert_int_equal(earned(c, top, 3), 2);
    json_t *com = commission_for(c, low, 1);
    assert_string_equal(json_string_value(json_object_get(com, "rule_id")), "parent:1");
    assert_int_equal(json_integer_value(json_object_get(com, "base")), 90);
    assert_non_null(strstr(json_string_value(json_object_get(com, "explanation")),
                           "90 * 2500 bps / 10000 = 22 (half to even)"));
    json_decref(c);
    /* parent_levels = 3: from "deep", top is a fourth level and earns nothing.
     * 1000 → 250 → 62.5 → 62 → 15.5 → 16. */
    c = convert(k, prg, "m2", 1000, "USD", "deep", at(2026, 11, 2));
    assert_int_equal(ncommissions(c), 4);
    assert_int_equal(earned(c, kid, 1), 250);
    assert_int_equal(earned(c, low, 2), 62);
    assert_int_equal(earned(c, mid, 3), 16);
    assert_null(commission_for(c, top, 4));
    json_decref(c);
    /* 10 → 2.5 → 2 → 0.5 → 0: a share of 0 ends the chain. */
    c = convert(k, prg, "m3", 10, "USD", "kid", at(2026, 11, 3));
    assert_int_equal(ncommissions(c), 2);
    assert_int_equal(earned(c, low, 1), 2);
    json_decref(c);
    expect_balance(k, kid, 90 + 250 + 10, 0, 0);
    expect_balance(k, low, 22 + 62 + 2, 0, 0);
    expect_balance(k, mid, 6 + 16, 0, 0);
    expect_balance(k, top, 2, 0, 0);
    expect_balance(k, deep, 1000, 0, 0);
}

static void suspended_parent_is_skipped_and_the_chain_goes_on(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "USD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":1000}]",
                                               .parent_bps = 5000,
                                               .parent_levels = 2,
                                               .cap = -1});
    const char *grand = make_partner(k, prg, "grand", NULL, NULL);
    const char *gone = make_partner(k, prg, "gone", grand, "suspended");
    const char *child = make_partner(k, prg, "child", gone, NULL);
    /* 10 % of 12345 = 1234.5 → 1234; level 1 (suspended, skipped) 617; level 2: 308.5 → 308. */
    json_t *c = convert(k, prg, "s1", 12345, "USD", "child", at(2026, 11, 2));
    assert_int_equal(ncommissions(c), 2);
    assert_int_equal(earned(c, child, 0), 1234);
    assert_null(commission_for(c, gone, 1));
    assert_int_equal(earned(c, grand, 2), 308);
    json_decref(c);
}

/* ---------------------------------------------------------------------------------------------
 * Caps: per partner per calendar month; the cut is in the explanation and the details; never
 * exceeded over several orders; a new month starts again. */
static void cap_cuts_visibly_never_exceeds_and_resets_each_month(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "USD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":1000}]",
                                               .parent_bps = 1000,
                                               .cap = 5000});
    const char *up = make_partner(k, prg, "upline", NULL, NULL);
    const char *p = make_partner(k, prg, "capped", up, NULL);
    json_t *c = convert(k, prg, "c1", 30000, "USD", "capped", at(2026, 11, 2));
    assert_int_equal(earned(c, p, 0), 3000);
    assert_int_equal(earned(c, up, 1), 300);
    json_decref(c);
    /* 3000 more would make 6000: cut by 1000 to 2000; the parent earns 10 % of what is left. */
    c = convert(k, prg, "c2", 30000, "USD", "capped", at(2026, 11, 3));
    assert_int_equal(earned(c, p, 0), 2000);
    assert_int_equal(earned(c, up, 1), 200);
    json_t *com = commission_for(c, p, 0);
    assert_non_null(strstr(json_string_value(json_object_get(com, "explanation")),
                           "monthly cap 5000 with 3000 earned this month: cut by 1000 to 2000"));
    struct pd_err err = {0};
    json_t *explained =
        commission_explained(k->s, json_string_value(json_object_get(com, "id")), &k->a, &err);
    assert_non_null(explained);
    json_t *cap = json_object_get(json_object_get(explained, "details"), "cap");
    assert_int_equal(json_integer_value(json_object_get(cap, "monthly_cap")), 5000);
    assert_int_equal(json_integer_value(json_object_get(cap, "earned_before")), 3000);
    assert_int_equal(json_integer_value(json_object_get(cap, "cut")), 1000);
    json_decref(explained);
    json_decref(c);
    /* The cap is reached: nothing more this month. */
    c = convert(k, prg, "c3", 999, "USD", "capped", at(2026, 11, 30));
    assert_int_equal(ncommissions(c), 0);
    json_decref(c);
    assert_int_equal(query_int(k, "SELECT SUM(amount) FROM commissions WHERE partner_id = ?1", p),
                     5000);
    /* December starts again. */
    c = convert(k, prg, "c4", 30000, "USD", "capped", at(2026, 12, 1));
    assert_int_equal(earned(c, p, 0), 3000);
    json_decref(c);
}

/* A refund gives back cap room to the partner whose commission it reverses, and only to them:
 * the parent's reversed share comes off the parent's month, not the child's. */
static void refund_gives_cap_room_back_to_each_partner_it_reverses(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "USD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":1000}]",
                                               .parent_bps = 1000,
                                               .cap = 5000});
    const char *up = make_partner(k, prg, "up", NULL, NULL);
    const char *p = make_partner(k, prg, "down", up, NULL);
    json_t *c = convert(k, prg, "r1", 30000, "USD", "down", at(2026, 11, 2));
    assert_int_equal(earned(c, p, 0), 3000);
    assert_int_equal(earned(c, up, 1), 300);
    json_decref(c);
    assert_int_equal(refund_ok(k, prg, "r1", 30000, at(2026, 11, 3)), 3300);
    /* Both months are back to 0 earned: each new order is cut at exactly 5000. */
    c = convert(k, prg, "r2", 60000, "USD", "down", at(2026, 11, 4));
    assert_int_equal(earned(c, p, 0), 5000);
    assert_int_equal(earned(c, up, 1), 500);
    json_decref(c);
    /* up earned 500 (its share) this month: 60000 at 10 % = 6000, cut to 4500. */
    c = convert(k, prg, "r3", 60000, "USD", "up", at(2026, 11, 5));
    assert_int_equal(earned(c, up, 0), 4500);
    json_decref(c);
    assert_int_equal(query_int(k,
                               "SELECT SUM(amount - reversed) FROM commissions"
                               " WHERE partner_id = ?1",
                               p),
                     5000);
}

/* ---------------------------------------------------------------------------------------------
 * Currencies with 0 and 3 minor-unit digits: the same half-to-even rule in minor units, and the
 * CSV amount in the currency's exponent. */
static void jpy_rounds_half_to_even_in_whole_yen(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "JPY",
                                               .rules = "[{\"type\":\"percent\",\"bps\":1250}]",
                                               .hold_days = 0,
                                               .min_payout = 1,
                                               .cap = -1});
    const char *p = make_partner(k, prg, "yen", NULL, NULL);
    /* 12.5 %: 4 → 0.5 → 0; 12 → 1.5 → 2; 20 → 2.5 → 2; 28 → 3.5 → 4; 9877 → 1234.625 → 1235. */
    static const struct {
        const char *order;
        int64_t amount, want;
    } cases[] = {{"y1", 4, 0}, {"y2", 12, 2}, {"y3", 20, 2}, {"y4", 28, 4}, {"y5", 9877, 1235}};
    int64_t total = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *c = convert(k, prg, cases[i].order, cases[i].amount, i % 2 ? "jpy" : "JPY", "yen",
                            at(2026, 11, 2));
        assert_int_equal(earned(c, p, 0), cases[i].want);
        total += cases[i].want;
        json_decref(c);
    }
    /* A conversion in another currency is refused (422) and writes nothing. */
    struct conversion_input in = {
        .program_id = prg, .order_id = "usd", .amount = 100, .currency = "USD", .ref = "yen"};
    struct pd_err err = {0};
    json_t *out = NULL;
    int status = 0;
    assert_int_equal(conversion_record(k->s, &in, at(2026, 11, 2), &k->a, &status, &out, &err), -1);
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    assert_int_equal(query_int(k, "SELECT COUNT(*) FROM conversions", NULL), 5);
    /* Paid out in whole yen: "1243", no decimal point. */
    approve_all_due(k, at(2026, 11, 3));
    const char *pay = payout(k, prg, "2026-11", at(2026, 12, 1));
    assert_int_equal(payout_item(k, pay, p), total);
    assert_int_equal(total, 1243);
    char *csv = csv_of(k, pay);
    assert_non_null(strstr(csv, ",1243,JPY,"));
    free(csv);
}

static void kwd_rounds_half_to_even_in_fils(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "KWD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":5}]",
                                               .hold_days = 0,
                                               .min_payout = 1,
                                               .cap = -1});
    const char *p = make_partner(k, prg, "fils", NULL, NULL);
    /* 0.05 % (5 bps) of amounts in fils: 1000 → 0.5 → 0; 3000 → 1.5 → 2; 5000 → 2.5 → 2;
     * 7000 → 3.5 → 4; 24691357 → 12345.6785 → 12346. */
    static const struct {
        const char *order;
        int64_t amount, want;
    } cases[] = {{"k1", 1000, 0},
                 {"k2", 3000, 2},
                 {"k3", 5000, 2},
                 {"k4", 7000, 4},
                 {"k5", 24691357, 12346}};
    int64_t total = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *c = convert(k, prg, cases[i].order, cases[i].amount, i % 2 ? "kwd" : "KWD", "fils",
                            at(2026, 11, 2));
        assert_int_equal(earned(c, p, 0), cases[i].want);
        total += cases[i].want;
        json_decref(c);
    }
    assert_int_equal(total, 12354);
    /* A refund in fils: half of k5 (12345678 of 24691357) reverses round(12346 * 12345678 /
     * 24691357) = round(6172.99975...) = 6173. */
    assert_int_equal(refund_ok(k, prg, "k5", 12345678, at(2026, 11, 2)), 6173);
    approve_all_due(k, at(2026, 11, 3));
    const char *pay = payout(k, prg, "2026-11", at(2026, 12, 1));
    assert_int_equal(payout_item(k, pay, p), 12354 - 6173);
    char *csv = csv_of(k, pay);
    assert_non_null(strstr(csv, ",6.181,KWD,")); /* 6181 fils */
    free(csv);
}

/* ---------------------------------------------------------------------------------------------
 * One transaction, several jobs: the writer's batch, each job in a savepoint of its own. Each sale
 * of a partner reads the partner and its month as the database holds them at that point of the
 * transaction: after the batch's earlier sales, without a job that was undone, after a refund,
 * in the month the order is dated in, after an edit of the partner. Tiers: 10 % from 0, 15 %
 * from 100000, 20 % from 150000. */
static void a_batch_of_one_partners_sales_reads_each_month_as_the_database_holds_it(void **state)
{
    struct kat *k = *state;
    const char *prg = make_program(
        k,
        &(struct program_spec){.currency = "USD",
                               .rules = "[{\"id\":\"t\",\"type\":\"percent\",\"tiers\":["
                                        "{\"from\":0,\"bps\":1000},{\"from\":100000,\"bps\":1500},"
                                        "{\"from\":150000,\"bps\":2000}]}]",
                               .cap = -1});
    const char *p = make_partner(k, prg, "batch", NULL, NULL);
    int64_t nov = at(2026, 11, 2);
    struct pd_err err = {0};
    assert_int_equal(store_begin(k->s, &err), 0); /* the batch */
    json_t *c = convert(k, prg, "b1", 100000, "USD", "batch", nov);
    assert_int_equal(earned(c, p, 0), 10000); /* 10 %; November: 100000 */
    json_decref(c);
    c = convert(k, prg, "b2", 20000, "USD", "batch", nov);
    assert_int_equal(earned(c, p, 0), 3000); /* 15 % of 100000 before; November: 120000 */
    json_decref(c);

    /* A job undone: its 50000 never counts. */
    struct conversion_input in = {
        .program_id = prg, .order_id = "b3", .amount = 50000, .currency = "USD", .ref = "batch"};
    snprintf(in.request_hash, sizeof in.request_hash, "kat-b3");
    int status = 0;
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(conversion_record(k->s, &in, nov, &k->a, &status, &c, &err), 0);
    json_decref(c);
    store_rollback(k->s);
    c = convert(k, prg, "b4", 10000, "USD", "batch", nov);
    assert_int_equal(earned(c, p, 0), 1500); /* 15 % of 120000 before (not 170000); 130000 */
    json_decref(c);

    /* A refund of 70000 of b1 reverses 7000 and takes November to 60000. */
    assert_int_equal(refund_ok(k, prg, "b1", 70000, nov), 7000);
    c = convert(k, prg, "b5", 10000, "USD", "batch", nov);
    assert_int_equal(earned(c, p, 0), 1000); /* 10 % of 60000 before; November: 70000 */
    json_decref(c);

    /* An order dated in October reads October, and the next November order November again. */
    c = convert_full(k, prg, "b6", 100000, "USD", "batch", NULL, 0, nov, at(2026, 10, 20));
    assert_int_equal(earned(c, p, 0), 10000); /* 10 % of nothing before; October: 100000 */
    json_decref(c);
    c = convert(k, prg, "b7", 10000, "USD", "batch", nov);
    assert_int_equal(earned(c, p, 0), 1000); /* 10 % of 70000 before (not October's 100000) */
    json_decref(c);

    /* Another job of the batch changes the partner's email to the next buyer's: that sale is the
     * partner's own purchase and earns nothing. */
    struct partner pt;
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(partner_load(k->s, p, &k->a, &pt, &err), 0);
    pt.email = "buyer@example.org";
    assert_int_equal(partner_update(k->s, &pt, nov, &err), 0);
    assert_int_equal(store_commit(k->s, &err), 0);
    in = (struct conversion_input){.program_id = prg,
                                   .order_id = "b8",
                                   .amount = 10000,
                                   .currency = "USD",
                                   .ref = "batch",
                                   .email = "buyer@example.org"};
    snprintf(in.request_hash, sizeof in.request_hash, "kat-b8");
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(conversion_record(k->s, &in, nov, &k->a, &status, &c, &err), 0);
    assert_int_equal(store_commit(k->s, &err), 0);
    assert_int_equal(ncommissions(c), 0);
    assert_string_equal(json_string_value(json_object_get(c, "fraud_reason")), "self_referral");
    json_decref(c);
    assert_int_equal(store_commit(k->s, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tier_crossing_order_earns_the_rate_of_the_revenue_before_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(backdated_order_uses_its_own_months_tier_and_cap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(multi_tier_chain_rounds_half_to_even_at_each_level, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(suspended_parent_is_skipped_and_the_chain_goes_on, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cap_cuts_visibly_never_exceeds_and_resets_each_month, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refund_gives_cap_room_back_to_each_partner_it_reverses,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(jpy_rounds_half_to_even_in_whole_yen, setup, teardown),
        cmocka_unit_test_setup_teardown(kwd_rounds_half_to_even_in_fils, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_batch_of_one_partners_sales_reads_each_month_as_the_database_holds_it, setup,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
