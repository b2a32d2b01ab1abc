/* Tests for src/core/attribution.c: the order of its rules, windows, models, suspended partners,
 * bots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/attribution.h"
#include "util/timefmt.h"

#define DAY INT64_C(86400000)
#define NOW INT64_C(1795891466000) /* 2026-11-28T18:44:26Z */

/* A program with a 30-day window, last click, no lifetime; nothing given. */
static struct attr_input base_input(void)
{
    return (struct attr_input){
        .occurred_at_ms = NOW,
        .program = {.window_ms = 30 * DAY,
                    .model = ATTR_LAST_CLICK,
                    .lifetime = false,
                    .recurring_months = -1},
    };
}

static struct attr_click valid_click(int64_t at)
{
    return (struct attr_click){.given = true,
                               .found = true,
                               .same_program = true,
                               .partner_active = true,
                               .click_id = "CLICK1",
                               .partner_id = "ptn_click",
                               .clicked_at_ms = at};
}

static struct attr_code code_for(const char *partner)
{
    return (struct attr_code){
        .given = true, .found = true, .partner_active = true, .partner_id = partner};
}

static struct attr_binding binding_since(int64_t since)
{
    return (struct attr_binding){.found = true,
                                 .partner_active = true,
                                 .partner_id = "ptn_bound",
                                 .click_id = "CLICK0",
                                 .since_ms = since};
}

static void nothing_given_is_unattributed(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_NONE);
    assert_null(r.partner_id);
    assert_null(r.reason);
    assert_false(r.rebind);
    assert_string_equal(attr_method_name(r.method), "none");
}

static void valid_click_attributes_to_its_partner_and_rebinds(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.click = valid_click(NOW - DAY);
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CLICK);
    assert_string_equal(r.partner_id, "ptn_click");
    assert_string_equal(r.click_id, "CLICK1");
    assert_int_equal(r.since_ms, NOW - DAY);
    assert_true(r.rebind);
    assert_false(r.bot);
    assert_null(r.reason);
    assert_string_equal(attr_method_name(r.method), "click");
}

static void click_exactly_at_window_end_still_attributes(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.click = valid_click(NOW - 30 * DAY); /* the window is inclusive at its end */
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CLICK);
}

static void click_one_ms_past_window_does_not_attribute(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.click = valid_click(NOW - 30 * DAY - 1);
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_NONE);
    assert_string_equal(r.reason, "click_outside_window");
}

static void conversion_slightly_before_click_tolerates_clock_skew(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.click = valid_click(NOW + 60 * 1000); /* the store's clock a minute behind ours */
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CLICK);
    in.click = valid_click(NOW + DAY); /* a day before the click is not "after the click" */
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_NONE);
    assert_string_equal(r.reason, "click_outside_window");
}

static void unknown_or_foreign_click_says_why_and_falls_through(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.click = valid_click(NOW);
    in.click.found = false;
    in.ref = code_for("ptn_ref");
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_REF);
    assert_string_equal(r.partner_id, "ptn_ref");
    assert_string_equal(r.reason, "click_not_found");

    in.click = valid_click(NOW);
    in.click.same_program = false;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_REF);
    assert_string_equal(r.reason, "click_other_program");
}

static void coupon_attributes_when_no_click(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.coupon = code_for("ptn_coupon");
    in.binding = binding_since(NOW - DAY);
    in.ref = code_for("ptn_ref");
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_COUPON);
    assert_string_equal(r.partner_id, "ptn_coupon");
    assert_null(r.click_id);
    assert_int_equal(r.since_ms, NOW);
    assert_true(r.rebind);
}

static void click_beats_coupon_binding_and_ref(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.click = valid_click(NOW - DAY);
    in.coupon = code_for("ptn_coupon");
    in.binding = binding_since(NOW - 2 * DAY);
    in.ref = code_for("ptn_ref");
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CLICK);
    assert_string_equal(r.partner_id, "ptn_click");
}

static void binding_beats_ref_and_keeps_its_time(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.binding = binding_since(NOW - 10 * DAY);
    in.ref = code_for("ptn_ref");
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CUSTOMER);
    assert_string_equal(r.partner_id, "ptn_bound");
    assert_string_equal(r.click_id, "CLICK0");
    assert_int_equal(r.since_ms, NOW - 10 * DAY);
    assert_false(r.rebind);
    assert_string_equal(attr_method_name(r.method), "customer");
}

static void ref_attributes_last(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.ref = code_for("ptn_ref");
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_REF);
    assert_true(r.rebind);
    assert_string_equal(attr_method_name(r.method), "ref");
    in.ref.found = false;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_NONE);
    assert_string_equal(r.reason, "ref_not_found");
}

static void last_click_newer_click_overrides_binding(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.binding = binding_since(NOW - 5 * DAY);
    in.click = valid_click(NOW - DAY);
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CLICK);
    assert_string_equal(r.partner_id, "ptn_click");
    assert_true(r.rebind);
}

static void first_click_existing_binding_beats_newer_click_and_coupon(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.program.model = ATTR_FIRST_CLICK;
    in.binding = binding_since(NOW - 5 * DAY);
    in.click = valid_click(NOW - DAY);
    in.coupon = code_for("ptn_coupon");
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CUSTOMER);
    assert_string_equal(r.partner_id, "ptn_bound");
    assert_false(r.rebind);
    assert_null(r.reason);
}

static void first_click_without_binding_binds_the_click(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.program.model = ATTR_FIRST_CLICK;
    in.click = valid_click(NOW - DAY);
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CLICK);
    assert_true(r.rebind);
}

static void first_click_expired_binding_yields_to_click(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.program.model = ATTR_FIRST_CLICK;
    in.binding = binding_since(NOW - 40 * DAY);
    in.click = valid_click(NOW - DAY);
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CLICK);
    assert_true(r.rebind);
    assert_null(r.reason);
}

static void suspended_click_partner_does_not_attribute(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.click = valid_click(NOW - DAY);
    in.click.partner_active = false;
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_NONE);
    assert_null(r.partner_id);
    assert_string_equal(r.reason, "partner_suspended");
}

static void suspended_partner_never_attributes_by_any_rule(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.coupon = code_for("ptn_coupon");
    in.coupon.partner_active = false;
    in.binding = binding_since(NOW - DAY);
    in.binding.partner_active = false;
    in.ref = code_for("ptn_ref");
    in.ref.partner_active = false;
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_NONE);
    assert_string_equal(r.reason, "partner_suspended");

    in.ref.partner_active = true; /* an active partner further down still attributes */
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_REF);
    assert_string_equal(r.partner_id, "ptn_ref");
}

static void bot_click_attributes_flagged_without_rebinding(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.click = valid_click(NOW - DAY);
    in.click.bot = true;
    in.coupon = code_for("ptn_coupon"); /* a bot click is not hidden behind a coupon */
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CLICK);
    assert_string_equal(r.partner_id, "ptn_click");
    assert_true(r.bot);
    assert_false(r.rebind);
    assert_string_equal(r.reason, "click_is_bot");
}

static void binding_window_end_is_inclusive(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.binding = binding_since(NOW - 30 * DAY);
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CUSTOMER);
    in.binding = binding_since(NOW - 30 * DAY - 1);
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_NONE);
    assert_string_equal(r.reason, "binding_expired");
}

static void lifetime_binding_lasts_recurring_months(void **state)
{
    (void)state;
    int64_t since, at;
    assert_true(time_parse_rfc3339("2026-01-31T10:00:00Z", &since));
    struct attr_input in = base_input();
    in.program.lifetime = true;
    in.program.recurring_months = 12;
    in.binding = binding_since(since);
    struct attr_result r;

    assert_true(time_parse_rfc3339("2027-01-31T10:00:00Z", &at)); /* exactly 12 months: in */
    in.occurred_at_ms = at;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CUSTOMER);

    in.occurred_at_ms = at + 1;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_NONE);

    in.program.recurring_months = -1; /* no limit */
    assert_true(time_parse_rfc3339("2036-06-01T00:00:00Z", &at));
    in.occurred_at_ms = at;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CUSTOMER);
}

static void without_lifetime_binding_ends_with_window(void **state)
{
    (void)state;
    struct attr_input in = base_input();
    in.program.recurring_months = -1;
    in.binding = binding_since(NOW - 31 * DAY);
    struct attr_result r;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_NONE);
    in.program.lifetime = true;
    attribute(&in, &r);
    assert_int_equal(r.method, ATTR_CUSTOMER);
}

static void adding_months_clamps_to_month_end(void **state)
{
    (void)state;
    int64_t t, want;
    assert_true(time_parse_rfc3339("2026-01-31T12:34:56.789Z", &t));
    assert_true(time_parse_rfc3339("2026-02-28T12:34:56.789Z", &want));
    assert_int_equal(time_add_months_ms(t, 1), want);
    assert_true(time_parse_rfc3339("2028-02-29T12:34:56.789Z", &want)); /* leap year */
    assert_int_equal(time_add_months_ms(t, 25), want);
    assert_true(time_parse_rfc3339("2025-12-31T12:34:56.789Z", &want));
    assert_int_equal(time_add_months_ms(t, -1), want);
    assert_int_equal(time_add_months_ms(t, 0), t);
    assert_true(time_parse_rfc3339("1969-12-15T00:00:00Z", &t));
    assert_true(time_parse_rfc3339("1970-01-15T00:00:00Z", &want));
    assert_int_equal(time_add_months_ms(t, 1), want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_given_is_unattributed),
        cmocka_unit_test(valid_click_attributes_to_its_partner_and_rebinds),
        cmocka_unit_test(click_exactly_at_window_end_still_attributes),
        cmocka_unit_test(click_one_ms_past_window_does_not_attribute),
        cmocka_unit_test(conversion_slightly_before_click_tolerates_clock_skew),
        cmocka_unit_test(unknown_or_foreign_click_says_why_and_falls_through),
        cmocka_unit_test(coupon_attributes_when_no_click),
        cmocka_unit_test(click_beats_coupon_binding_and_ref),
        cmocka_unit_test(binding_beats_ref_and_keeps_its_time),
        cmocka_unit_test(ref_attributes_last),
        cmocka_unit_test(last_click_newer_click_overrides_binding),
        cmocka_unit_test(first_click_existing_binding_beats_newer_click_and_coupon),
        cmocka_unit_test(first_click_without_binding_binds_the_click),
        cmocka_unit_test(first_click_expired_binding_yields_to_click),
        cmocka_unit_test(suspended_click_partner_does_not_attribute),
        cmocka_unit_test(suspended_partner_never_attributes_by_any_rule),
        cmocka_unit_test(bot_click_attributes_flagged_without_rebinding),
        cmocka_unit_test(binding_window_end_is_inclusive),
        cmocka_unit_test(lifetime_binding_lasts_recurring_months),
        cmocka_unit_test(without_lifetime_binding_ends_with_window),
        cmocka_unit_test(adding_months_clamps_to_month_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
