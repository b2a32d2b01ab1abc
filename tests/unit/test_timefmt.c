/* Tests for src/util/timefmt.c: civil calendar, RFC 3339 format and strict parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "util/timefmt.h"

#define DAY_MS INT64_C(86400000)

static void epoch_is_day_zero_and_round_trips(void **state)
{
    (void)state;
    assert_int_equal(time_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(time_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(time_days_from_civil(1969, 12, 31), -1);
    for (int64_t days = -800000; days <= 800000; days += 997) {
        int64_t y;
        unsigned m, d;
        time_civil_from_days(days, &y, &m, &d);
        assert_int_equal(time_days_from_civil(y, m, d), days);
    }
}

static void format_omits_zero_milliseconds(void **state)
{
    (void)state;
    char buf[32];
    time_format_rfc3339(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    time_format_rfc3339(1795891466000, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-28T18:44:26Z");
    time_format_rfc3339(1795891466123, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-28T18:44:26.123Z");
    time_format_rfc3339(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    time_format_rfc3339(951782400000, buf, sizeof buf); /* leap day 2000 */
    assert_string_equal(buf, "2000-02-29T00:00:00Z");
}

static void parse_reads_utc_offsets_and_fractions(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(time_parse_rfc3339("2026-11-28T18:44:26Z", &ms));
    assert_int_equal(ms, 1795891466000);
    assert_true(time_parse_rfc3339("2026-11-28t18:44:26z", &ms));
    assert_int_equal(ms, 1795891466000);
    assert_true(time_parse_rfc3339("2026-11-28T19:44:26.5+01:00", &ms));
    assert_int_equal(ms, 1795891466500);
    assert_true(time_parse_rfc3339("2026-11-28T13:14:26-05:30", &ms));
    assert_int_equal(ms, 1795891466000);
    assert_true(time_parse_rfc3339("2026-11-28T18:44:26.123456789Z", &ms)); /* truncated to ms */
    assert_int_equal(ms, 1795891466123);
    assert_true(time_parse_rfc3339("2026-11-28", &ms));
    assert_int_equal(ms, 1795824000000);
    assert_true(time_parse_rfc3339("1969-12-31T23:59:59.999Z", &ms));
    assert_int_equal(ms, -1);
    assert_true(time_parse_rfc3339("0000-01-01T00:00:00Z", &ms));
    assert_true(time_parse_rfc3339("9999-12-31T23:59:59.999Z", &ms));
}

static void parse_accepts_leap_day_and_leap_second(void **state)
{
    (void)state;
    int64_t ms, next;
    assert_true(time_parse_rfc3339("2024-02-29", &ms));
    assert_true(time_parse_rfc3339("2000-02-29T12:00:00Z", &ms));
    assert_true(time_parse_rfc3339("2016-12-31T23:59:60Z", &ms));
    assert_true(time_parse_rfc3339("2017-01-01T00:00:00Z", &next));
    assert_int_equal(ms, next);
}

static void parse_refuses_impossible_and_malformed_times(void **state)
{
    (void)state;
    static const char *const bad[] = {"",
                                      "2026",
                                      "2026-11",
                                      "2026-13-01",
                                      "2026-00-10",
                                      "2026-11-31",
                                      "2023-02-29",
                                      "1900-02-29",
                                      "2026-11-28T",
                                      "2026-11-28T24:00:00Z",
                                      "2026-11-28T18:60:00Z",
                                      "2026-11-28T18:44:61Z",
                                      "2026-11-28T18:44:26",
                                      "2026-11-28T18:44Z",
                                      "2026-11-28 18:44:26Z",
                                      "2026-11-28T18:44:26.Z",
                                      "2026-11-28T18:44:26.1234567890Z",
                                      "2026-11-28T18:44:26+0100",
                                      "2026-11-28T18:44:26+24:00",
                                      "2026-11-28T18:44:26+01:60",
                                      "2026-11-28T18:44:26ZZ",
                                      "2026-11-28T18:44:26Z ",
                                      " 2026-11-28",
                                      "+2026-11-28",
                                      "2026-1-28",
                                      "20261128",
                                      "0000-01-01T00:00:00+00:01",
                                      "9999-12-31T23:59:59-00:01",
                                      "2026-11-28T1:44:26Z",
                                      "2026-11-2aT18:44:26Z"};
    int64_t ms = 77;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (time_parse_rfc3339(bad[i], &ms))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_false(time_parse_rfc3339(NULL, &ms));
    assert_int_equal(ms, 77);
}

static void format_then_parse_round_trips(void **state)
{
    (void)state;
    static const int64_t times[] = {0, 1, 999, 1000, 1795891466123, -86400001, 253402300799999};
    char buf[32];
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        int64_t back;
        time_format_rfc3339(times[i], buf, sizeof buf);
        assert_true(time_parse_rfc3339(buf, &back));
        assert_int_equal(back, times[i]);
    }
}

static void month_start_is_first_day_midnight_utc(void **state)
{
    (void)state;
    int64_t ms, want;
    assert_true(time_parse_rfc3339("2026-11-28T18:44:26.5Z", &ms));
    assert_true(time_parse_rfc3339("2026-11-01T00:00:00Z", &want));
    assert_int_equal(time_month_start_ms(ms), want);
    assert_int_equal(time_month_start_ms(want), want);
    assert_int_equal(time_month_start_ms(want - 1), want - 31 * DAY_MS); /* October has 31 days */
    assert_true(time_parse_rfc3339("1969-12-01", &want));
    assert_int_equal(time_month_start_ms(-1), want);
}

static void clocks_move_forward(void **state)
{
    (void)state;
    int64_t now = time_now_ms();
    assert_true(now > 1700000000000); /* after 2023 */
    uint64_t a = time_mono_us();
    uint64_t b = time_mono_us();
    assert_true(b >= a);
}

static void a_deadline_is_that_far_ahead_of_the_wall_clock(void **state)
{
    (void)state;
    int64_t wait[] = {0, 999, 500000, 999999, 1000000, 2500000, 3600000000};
    for (size_t i = 0; i < sizeof wait / sizeof wait[0]; i++) {
        struct timespec before, after;
        clock_gettime(CLOCK_REALTIME, &before);
        struct timespec d = time_deadline_in_us(wait[i]);
        clock_gettime(CLOCK_REALTIME, &after);
        assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000);
        int64_t d_us = (int64_t)d.tv_sec * 1000000 + d.tv_nsec / 1000;
        int64_t lo = (int64_t)before.tv_sec * 1000000 + before.tv_nsec / 1000 + wait[i];
        int64_t hi = (int64_t)after.tv_sec * 1000000 + after.tv_nsec / 1000 + wait[i];
        assert_true(d_us >= lo && d_us <= hi);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(epoch_is_day_zero_and_round_trips),
        cmocka_unit_test(a_deadline_is_that_far_ahead_of_the_wall_clock),
        cmocka_unit_test(format_omits_zero_milliseconds),
        cmocka_unit_test(parse_reads_utc_offsets_and_fractions),
        cmocka_unit_test(parse_accepts_leap_day_and_leap_second),
        cmocka_unit_test(parse_refuses_impossible_and_malformed_times),
        cmocka_unit_test(format_then_parse_round_trips),
        cmocka_unit_test(month_start_is_first_day_midnight_utc),
        cmocka_unit_test(clocks_move_forward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
