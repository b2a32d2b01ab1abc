/* Tests for src/core/rate.c: a burst of per_minute, then the steady rate, and a full bucket again
 * after a quiet minute. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/rate.h"

static void a_burst_of_the_limit_is_allowed_then_refused(void **state)
{
    (void)state;
    int64_t tat = 0, now = 1000000000;
    for (int i = 0; i < 60; i++)
        assert_true(rate_allow(&tat, now, 60));
    assert_false(rate_allow(&tat, now, 60));
    assert_false(rate_allow(&tat, now + 999999, 60)); /* not yet a second later */
}

static void the_allowance_refills_at_the_steady_rate(void **state)
{
    (void)state;
    int64_t tat = 0, now = 5000000;
    for (int i = 0; i < 60; i++)
        assert_true(rate_allow(&tat, now, 60));
    assert_true(rate_allow(&tat, now + 1000000, 60)); /* one per second comes back */
    assert_false(rate_allow(&tat, now + 1000000, 60));
    assert_true(rate_allow(&tat, now + 2000000, 60));
}

static void a_quiet_minute_fills_the_bucket_again(void **state)
{
    (void)state;
    int64_t tat = 0, now = 0;
    for (int i = 0; i < 10; i++)
        assert_true(rate_allow(&tat, now, 10));
    assert_false(rate_allow(&tat, now, 10));
    now += 60000000;
    for (int i = 0; i < 10; i++)
        assert_true(rate_allow(&tat, now, 10));
    assert_false(rate_allow(&tat, now, 10));
}

static void refused_events_do_not_count(void **state)
{
    (void)state;
    int64_t tat = 0, now = 0;
    assert_true(rate_allow(&tat, now, 1));
    for (int i = 0; i < 100; i++)
        assert_false(rate_allow(&tat, now + i, 1));
    assert_true(rate_allow(&tat, now + 60000000, 1)); /* refusals did not push the time out */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_burst_of_the_limit_is_allowed_then_refused),
        cmocka_unit_test(the_allowance_refills_at_the_steady_rate),
        cmocka_unit_test(a_quiet_minute_fills_the_bucket_again),
        cmocka_unit_test(refused_events_do_not_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
