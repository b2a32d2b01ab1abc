/* Tests for src/core/ledger.c: postings move money between buckets and keep the invariants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/commission.h"
#include "core/ledger.h"

static void apply_all(struct ledger_balance *b, const struct ledger_delta *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_true(ledger_apply(b, &d[i]));
}

static void kind_and_status_names_round_trip(void **state)
{
    (void)state;
    for (int k = LEDGER_COMMISSION; k <= LEDGER_PAYOUT_FAILED; k++)
        assert_int_equal(ledger_kind_parse(ledger_kind_name((enum ledger_kind)k)), k);
    for (int s = COMMISSION_PENDING; s <= COMMISSION_REJECTED; s++)
        assert_int_equal(commission_status_parse(commission_status_name((enum commission_status)s)),
                         s);
    assert_string_equal(ledger_kind_name(LEDGER_CLAWBACK), "clawback");
    assert_string_equal(ledger_kind_name(LEDGER_PAYOUT_FAILED), "payout_failed");
    assert_string_equal(commission_status_name(COMMISSION_APPROVED), "approved");
    assert_int_equal(ledger_kind_parse("Commission"), -1);
    assert_int_equal(ledger_kind_parse(NULL), -1);
    assert_int_equal(commission_status_parse("void"), -1);
}

static void commission_approval_payout_moves_through_buckets(void **state)
{
    (void)state;
    struct ledger_balance b = {0, 0, 0};
    struct ledger_delta d[] = {ledger_post_commission(1000), ledger_post_approval(1000),
                               ledger_post_payout(1000)};
    assert_int_equal(d[0].kind, LEDGER_COMMISSION);
    assert_int_equal(d[1].kind, LEDGER_APPROVAL);
    assert_int_equal(d[2].kind, LEDGER_PAYOUT);
    assert_true(ledger_apply(&b, &d[0]));
    assert_int_equal(b.pending, 1000);
    assert_true(ledger_apply(&b, &d[1]));
    assert_int_equal(b.pending, 0);
    assert_int_equal(b.approved, 1000);
    assert_true(ledger_apply(&b, &d[2]));
    assert_int_equal(b.approved, 0);
    assert_int_equal(b.paid, 1000);
    struct ledger_balance want = ledger_expected_for_commission(COMMISSION_PAID, 1000);
    assert_memory_equal(&b, &want, sizeof b);
}

static void reversal_takes_from_the_bucket_the_commission_is_in(void **state)
{
    (void)state;
    struct ledger_delta d;
    assert_true(ledger_post_reversal(COMMISSION_PENDING, 300, &d));
    assert_int_equal(d.kind, LEDGER_REVERSAL);
    assert_int_equal(d.pending, -300);
    assert_int_equal(d.approved, 0);
    assert_true(ledger_post_reversal(COMMISSION_APPROVED, 300, &d));
    assert_int_equal(d.kind, LEDGER_REVERSAL);
    assert_int_equal(d.approved, -300);
    assert_int_equal(d.pending, 0);
}

static void refund_after_payment_is_a_clawback_from_approved(void **state)
{
    (void)state;
    struct ledger_balance b = {0, 0, 0};
    struct ledger_delta d[4] = {ledger_post_commission(1000), ledger_post_approval(1000),
                                ledger_post_payout(1000)};
    assert_true(ledger_post_reversal(COMMISSION_PAID, 400, &d[3]));
    assert_int_equal(d[3].kind, LEDGER_CLAWBACK);
    apply_all(&b, d, 4);
    assert_int_equal(b.paid, 1000);     /* what was paid stays paid */
    assert_int_equal(b.approved, -400); /* carried into the next payout */
    int64_t total;
    assert_true(ledger_balance_total(&b, &total));
    assert_int_equal(total, 600); /* the commission's current amount */
}

static void reversed_or_rejected_commission_cannot_be_reversed_again(void **state)
{
    (void)state;
    struct ledger_delta d = {.kind = LEDGER_ADJUSTMENT, .pending = 5};
    assert_false(ledger_post_reversal(COMMISSION_REVERSED, 1, &d));
    assert_false(ledger_post_reversal(COMMISSION_REJECTED, 1, &d));
    assert_false(ledger_post_reversal(COMMISSION_PENDING, -1, &d));
    assert_int_equal(d.pending, 5);
}

static void partial_refunds_then_full_reversal_sum_to_zero(void **state)
{
    (void)state;
    /* C = 333 on A = 1000, refunded 333, 333, 334: reversals 111, 111, 111. */
    struct ledger_balance b = {0, 0, 0};
    struct ledger_delta post = ledger_post_commission(333);
    assert_true(ledger_apply(&b, &post));
    int64_t already = 0, cumulative = 0;
    static const int64_t refunds[] = {333, 333, 334};
    for (size_t i = 0; i < 3; i++) {
        cumulative += refunds[i];
        int64_t reverse;
        assert_true(commission_refund_reversal(333, 1000, cumulative, already, &reverse));
        struct ledger_delta d;
        assert_true(ledger_post_reversal(COMMISSION_PENDING, reverse, &d));
        assert_true(ledger_apply(&b, &d));
        already += reverse;
    }
    struct ledger_balance want = ledger_expected_for_commission(COMMISSION_REVERSED, 0);
    assert_memory_equal(&b, &want, sizeof b);
}

static void apply_refuses_overflow_and_leaves_balance(void **state)
{
    (void)state;
    struct ledger_balance b = {INT64_MAX, 5, 7};
    struct ledger_delta d = {.kind = LEDGER_COMMISSION, .pending = 1, .approved = 1};
    assert_false(ledger_apply(&b, &d));
    assert_true(b.pending == INT64_MAX);
    assert_int_equal(b.approved, 5);
    int64_t total;
    assert_false(ledger_balance_total(&b, &total));
}

static void adjustment_corrects_approved_either_way(void **state)
{
    (void)state;
    struct ledger_balance b = {0, 100, 0};
    struct ledger_delta up = ledger_post_adjustment(50), down = ledger_post_adjustment(-30);
    assert_int_equal(up.kind, LEDGER_ADJUSTMENT);
    assert_true(ledger_apply(&b, &up));
    assert_true(ledger_apply(&b, &down));
    assert_int_equal(b.approved, 120);
}

static void failed_payout_returns_exactly_what_was_paid(void **state)
{
    (void)state;
    struct ledger_balance b = {0, 900, 0};
    struct ledger_delta out = ledger_post_payout(900), back = ledger_post_payout_failed(900);
    assert_int_equal(back.kind, LEDGER_PAYOUT_FAILED);
    assert_true(ledger_apply(&b, &out));
    assert_int_equal(b.approved, 0);
    assert_int_equal(b.paid, 900);
    assert_true(ledger_apply(&b, &back));
    assert_int_equal(b.pending, 0);
    assert_int_equal(b.approved, 900);
    assert_int_equal(b.paid, 0);
    assert_int_equal(back.pending, 0);
    assert_int_equal(back.approved, -out.approved);
    assert_int_equal(back.paid, -out.paid);
}

static void expected_balance_by_status(void **state)
{
    (void)state;
    struct ledger_balance e = ledger_expected_for_commission(COMMISSION_PENDING, 10);
    assert_int_equal(e.pending, 10);
    e = ledger_expected_for_commission(COMMISSION_APPROVED, 10);
    assert_int_equal(e.approved, 10);
    assert_int_equal(e.pending, 0);
    e = ledger_expected_for_commission(COMMISSION_REJECTED, 10);
    assert_int_equal(e.pending + e.approved + e.paid, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kind_and_status_names_round_trip),
        cmocka_unit_test(commission_approval_payout_moves_through_buckets),
        cmocka_unit_test(reversal_takes_from_the_bucket_the_commission_is_in),
        cmocka_unit_test(refund_after_payment_is_a_clawback_from_approved),
        cmocka_unit_test(reversed_or_rejected_commission_cannot_be_reversed_again),
        cmocka_unit_test(partial_refunds_then_full_reversal_sum_to_zero),
        cmocka_unit_test(apply_refuses_overflow_and_leaves_balance),
        cmocka_unit_test(adjustment_corrects_approved_either_way),
        cmocka_unit_test(failed_payout_returns_exactly_what_was_paid),
        cmocka_unit_test(expected_balance_by_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
