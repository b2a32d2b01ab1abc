/* Known-answer tests of refunds and payouts (money_kat_fixture.h), through the app functions the
 * server uses, on a real SQLite database: refunds that reverse exactly, claw-backs carried into
 * the next payout, refusals that write nothing, rule edits that leave the past alone. Every
 * expected number is worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "money_kat_fixture.h"

/* ---------------------------------------------------------------------------------------------
 * Refunds: round(C * R / A) - already_reversed with R cumulative, so the parts add up to C. */
static void three_refunds_reverse_exactly_the_commission(void **state)
{
    struct kat *k = *state;
    const char *prg = make_program(
        k, &(struct program_spec){.currency = "USD",
                                  .rules = "[{\"type\":\"percent\",\"bps\":3330},"
                                           "{\"id\":\"one\",\"type\":\"flat\",\"amount\":1,"
                                           "\"match\":{\"min_amount\":3,\"sku\":\"ONE\"}},"
                                           "{\"id\":\"seven\",\"type\":\"flat\",\"amount\":7,"
                                           "\"match\":{\"sku\":\"SEVEN\"}}]",
                                  .parent_bps = 5000,
                                  .cap = -1});
    const char *up = make_partner(k, prg, "parent", NULL, NULL);
    const char *p = make_partner(k, prg, "refunds", up, NULL);
    /* C = 33.3 % of 1000 = 333 (parent: 166.5 → 166). Refunds 333 + 333 + 334:
     * round(333*333/1000 = 110.889) = 111; round(333*666/1000 = 221.778) = 222 → 111;
     * 333 - 222 = 111. Parent: round(55.278) = 55; round(110.556) = 111 → 56; 166 - 111 = 55. */
    json_t *c = convert(k, prg, "r", 1000, "USD", "refunds", at(2026, 11, 2));
    assert_int_equal(earned(c, p, 0), 333);
    assert_int_equal(earned(c, up, 1), 166);
    json_decref(c);
    assert_int_equal(refund_ok(k, prg, "r", 333, at(2026, 11, 3)), 111 + 55);
    assert_int_equal(refund_ok(k, prg, "r", 333, at(2026, 11, 4)), 111 + 56);
    expect_balance(k, p, 333 - 222, 0, 0);
    assert_int_equal(refund_ok(k, prg, "r", 334, at(2026, 11, 5)), 111 + 55);
    expect_balance(k, p, 0, 0, 0);
    expect_balance(k, up, 0, 0, 0);
    assert_int_equal(query_int(k,
                               "SELECT COUNT(*) FROM commissions WHERE status = 'reversed'"
                               " AND amount = reversed",
                               NULL),
                     2);
    /* C = 1 on A = 3, refunded 1 + 1 + 1: each refund alone rounds to 0 (0.333), the cumulative
     * share does not: 0, round(0.667) = 1, 1 - 1 = 0. */
    struct commission_item one = {.sku = "ONE", .amount = 3, .quantity = 1};
    c = convert_full(k, prg, "one", 3, "USD", "refunds", &one, 1, at(2026, 11, 6), 0);
    assert_int_equal(earned(c, p, 0), 1);
    json_decref(c);
    assert_int_equal(refund_ok(k, prg, "one", 1, at(2026, 11, 6)), 0);
    assert_int_equal(refund_ok(k, prg, "one", 1, at(2026, 11, 6)), 1);
    assert_int_equal(refund_ok(k, prg, "one", 1, at(2026, 11, 6)), 0);
    /* C = 7 on A = 4 in four refunds of 1: round(1.75) = 2, round(3.5) = 4 → 2, round(5.25) = 5
     * → 1, 7 → 2. Parent 3.5 → 4: round(1) = 1, round(2) = 2 → 1, round(3) = 3 → 1, 4 → 1. */
    struct commission_item seven = {.sku = "SEVEN", .amount = 4, .quantity = 1};
    c = convert_full(k, prg, "seven", 4, "USD", "refunds", &seven, 1, at(2026, 11, 6), 0);
    assert_int_equal(earned(c, p, 0), 7);
    assert_int_equal(earned(c, up, 1), 4);
    json_decref(c);
    assert_int_equal(refund_ok(k, prg, "seven", 1, at(2026, 11, 7)), 2 + 1);
    assert_int_equal(refund_ok(k, prg, "seven", 1, at(2026, 11, 7)), 2 + 1);
    assert_int_equal(refund_ok(k, prg, "seven", 1, at(2026, 11, 7)), 1 + 1);
    assert_int_equal(refund_ok(k, prg, "seven", 1, at(2026, 11, 7)), 2 + 1);
    expect_balance(k, p, 0, 0, 0);
    expect_balance(k, up, 0, 0, 0);
}

static void refund_beyond_the_order_is_refused_and_writes_nothing(void **state)
{
    struct kat *k = *state;
    const char *prg = make_program(
        k, &(struct program_spec){
               .currency = "USD", .rules = "[{\"type\":\"percent\",\"bps\":1000}]", .cap = -1});
    const char *p = make_partner(k, prg, "over", NULL, NULL);
    json_decref(convert(k, prg, "o", 1000, "USD", "over", at(2026, 11, 2)));
    assert_int_equal(refund_ok(k, prg, "o", 600, at(2026, 11, 3)), 60);
    static const char *const counts[] = {
        "SELECT COUNT(*) FROM refunds",
        "SELECT COUNT(*) FROM ledger_entries",
        "SELECT SUM(refunded_amount) FROM conversions",
        "SELECT SUM(reversed) FROM commissions",
        "SELECT SUM(revenue) * 1000003 + SUM(commission) FROM daily_stats",
    };
    int64_t before[5];
    for (size_t i = 0; i < 5; i++)
        before[i] = query_int(k, counts[i], NULL);
    struct pd_err err = {0};
    /* 401 > the 400 left: 422 on "amount"; the transaction is committed anyway and nothing
     * changed. */
    assert_int_equal(refund(k, prg, "o", 401, at(2026, 11, 4), &err), -1);
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    assert_int_equal(pd_err_http_status(err.kind), 422);
    assert_string_equal(err.param, "amount");
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(query_int(k, counts[i], NULL), before[i]);
    expect_balance(k, p, 40, 0, 0);
    /* Exactly what is left is fine, and then not one cent more. */
    assert_int_equal(refund_ok(k, prg, "o", 400, at(2026, 11, 4)), 40);
    expect_balance(k, p, 0, 0, 0);
    assert_int_equal(refund(k, prg, "o", 1, at(2026, 11, 5), &err), -1);
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    /* An unknown order: 404. */
    assert_int_equal(refund(k, prg, "nope", 1, at(2026, 11, 5), &err), -1);
    assert_int_equal(err.kind, PD_ERR_NOT_FOUND);
    assert_int_equal(query_int(k, "SELECT COUNT(*) FROM refunds", NULL), 2);
}

/* ---------------------------------------------------------------------------------------------
 * A refund after payment claws back into a negative approved balance, which the next batch nets
 * out. */
static void refund_after_payment_claws_back_into_the_next_payout(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "USD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":1000}]",
                                               .hold_days = 1,
                                               .min_payout = 1000,
                                               .cap = -1});
    const char *p = make_partner(k, prg, "claw", NULL, NULL);
    json_t *c = convert(k, prg, "n", 100000, "USD", "claw", at(2026, 11, 2));
    const char *com_id =
        arena_strdup(&k->a, json_string_value(json_object_get(commission_for(c, p, 0), "id")));
    json_decref(c);
    approve_all_due(k, at(2026, 11, 3));
    expect_balance(k, p, 0, 10000, 0);
    const char *nov = payout(k, prg, "2026-11", at(2026, 12, 1));
    assert_int_equal(payout_item(k, nov, p), 10000);
    mark_paid(k, nov, at(2026, 12, 1));
    expect_balance(k, p, 0, 0, 10000);
    assert_int_equal(query_int(k,
                               "SELECT COUNT(*) FROM commissions WHERE id = ?1"
                               " AND status = 'paid'",
                               com_id),
                     1);

    /* Half the order comes back in December: 5000 clawed back; the commission stays paid with
     * 5000 reversed; approved goes to -5000. */
    assert_int_equal(refund_ok(k, prg, "n", 50000, at(2026, 12, 5)), 5000);
    expect_balance(k, p, 0, -5000, 10000);
    assert_int_equal(query_int(k, "SELECT reversed FROM commissions WHERE id = ?1", com_id), 5000);
    assert_int_equal(query_int(k,
                               "SELECT COUNT(*) FROM commissions WHERE id = ?1"
                               " AND status = 'paid'",
                               com_id),
                     1);
    assert_int_equal(query_int(k,
                               "SELECT SUM(approved) FROM ledger_entries WHERE kind ="
                               " 'clawback' AND commission_id = ?1",
                               com_id),
                     -5000);
    /* December's draft has nothing for a negative balance: there is nothing to mark paid (409),
     * and the draft is deleted so that January's can be made. */
    const char *dec = payout(k, prg, "2026-12", at(2027, 1, 1));
    assert_int_equal(payout_item(k, dec, p), -1);
    struct pd_err err = {0};
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(payout_mark_paid(k->s, dec, at(2027, 1, 1), &err), -1);
    assert_int_equal(err.kind, PD_ERR_CONFLICT);
    store_rollback(k->s);
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(payout_delete(k->s, dec, at(2027, 1, 1), &err), 0);
    assert_int_equal(store_commit(k->s, &err), 0);

    /* January earns 8000; the batch pays 8000 - 5000 = 3000. */
    json_decref(convert(k, prg, "j", 80000, "USD", "claw", at(2027, 1, 10)));
    approve_all_due(k, at(2027, 1, 12));
    expect_balance(k, p, 0, 3000, 10000);
    const char *jan = payout(k, prg, "2027-01", at(2027, 2, 1));
    assert_int_equal(payout_item(k, jan, p), 3000);
    char *csv = csv_of(k, jan);
    assert_non_null(strstr(csv, ",30.00,USD,"));
    free(csv);
    mark_paid(k, jan, at(2027, 2, 1));
    expect_balance(k, p, 0, 0, 13000);
    /* Paid 13000 in all = 10000 + 8000 earned - 5000 clawed back. */
    assert_int_equal(query_int(k, "SELECT SUM(paid) FROM ledger_entries WHERE partner_id = ?1", p),
                     13000);
}

/* Editing rules makes a new version; past commissions keep their amount, version and rule. */
static void rule_edit_never_changes_past_commissions(void **state)
{
    struct kat *k = *state;
    const char *prg = make_program(
        k, &(struct program_spec){.currency = "USD",
                                  .rules = "[{\"id\":\"std\",\"type\":\"percent\",\"bps\":1000}]",
                                  .cap = -1});
    const char *p = make_partner(k, prg, "edit", NULL, NULL);
    json_t *c1 = convert(k, prg, "e1", 10000, "USD", "edit", at(2026, 11, 2));
    const char *id1 =
        arena_strdup(&k->a, json_string_value(json_object_get(commission_for(c1, p, 0), "id")));
    json_decref(c1);
    edit_rules(k, prg, "[{\"id\":\"std\",\"type\":\"percent\",\"bps\":2000}]");
    json_t *c2 = convert(k, prg, "e2", 10000, "USD", "edit", at(2026, 11, 3));
    json_t *com2 = commission_for(c2, p, 0);
    assert_int_equal(json_integer_value(json_object_get(com2, "amount")), 2000);
    assert_int_equal(json_integer_value(json_object_get(com2, "rule_version")), 2);
    json_decref(c2);
    struct pd_err err = {0};
    json_t *e = commission_explained(k->s, id1, &k->a, &err);
    assert_non_null(e);
    assert_int_equal(json_integer_value(json_object_get(e, "amount")), 1000);
    assert_int_equal(json_integer_value(json_object_get(e, "rule_version")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "rule"), "bps")), 1000);
    json_decref(e);
    /* A refund of the old order reverses from the old amount: half of 1000. */
    assert_int_equal(refund_ok(k, prg, "e1", 5000, at(2026, 11, 4)), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(three_refunds_reverse_exactly_the_commission, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refund_beyond_the_order_is_refused_and_writes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(refund_after_payment_claws_back_into_the_next_payout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rule_edit_never_changes_past_commissions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
