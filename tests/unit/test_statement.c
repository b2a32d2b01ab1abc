/* Tests for src/core/statement.c: a statement's commissions, reversals and what the balance
 * carried add up to the item's total exactly, and inconsistent lines are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/statement.h"

static void commissions_less_reversals_plus_carried_is_the_total(void **state)
{
    (void)state;
    struct statement_line lines[3] = {{1000, 0}, {2500, 500}, {999, 999}};
    struct statement_totals t;
    /* 4499 earned, 1499 reversed, a 300 claw-back carried from an earlier payment */
    assert_true(statement_totals(lines, 3, 2700, &t));
    assert_int_equal(t.commissions, 4499);
    assert_int_equal(t.reversals, 1499);
    assert_int_equal(t.carried, -300);
    assert_int_equal(t.total, 2700);
    assert_int_equal(t.commissions - t.reversals + t.carried, t.total);
}

static void a_failed_payout_returned_is_carried_in(void **state)
{
    (void)state;
    struct statement_line one = {500, 0};
    struct statement_totals t;
    assert_true(statement_totals(&one, 1, 1700, &t));
    assert_int_equal(t.carried, 1200);
    assert_true(statement_totals(NULL, 0, 800, &t));
    assert_int_equal(t.carried, 800);
}

static void inconsistent_lines_are_refused(void **state)
{
    (void)state;
    struct statement_totals t;
    struct statement_line over = {100, 101}, neg = {-1, 0}, negrev = {10, -1};
    assert_false(statement_totals(&over, 1, 0, &t));
    assert_false(statement_totals(&neg, 1, 0, &t));
    assert_false(statement_totals(&negrev, 1, 0, &t));
    struct statement_line big[2] = {{INT64_MAX, 0}, {1, 0}};
    assert_false(statement_totals(big, 2, 0, &t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commissions_less_reversals_plus_carried_is_the_total),
        cmocka_unit_test(a_failed_payout_returned_is_carried_in),
        cmocka_unit_test(inconsistent_lines_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
