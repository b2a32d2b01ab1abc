/* Attribution: click > coupon > customer binding > ref, the first that applies wins.
 *
 * Decisions this file makes (the tests pin each one):
 * - Windows are inclusive at the end: a conversion exactly window_ms after the click still counts,
 *   so "30 days" means up to and including the same millisecond 30 days later.
 * - A conversion may be a little *before* its click (the store's clock against ours): up to
 *   ATTR_CLOCK_SKEW_MS earlier is treated as at the click. Earlier than that is outside the window.
 * - First click: an existing valid binding (rule 3) is checked before rules 1 and 2, so the partner
 *   who first brought the customer keeps them against a newer click or coupon. Last click
 *   (default): the plain order, and a new click, coupon or ref rewrites the binding.
 * - Bot clicks: a valid click flagged as a bot still attributes, to its partner, with bot = true
 *   and reason "click_is_bot". The conversion is stored with a fraud reason and earns no
 *   commission, which keeps the evidence visible to the merchant. Falling through to a coupon or
 *   ref instead would let a partner who drives bot traffic hide it behind another code. A bot
 *   click never (re)binds the customer.
 * - A suspended partner never attributes (by any rule). The evaluation moves on to the next rule,
 *   and the first reason a given code failed is reported, e.g. "partner_suspended".
 * - A binding is valid within window_ms of its since_ms; after that, with lifetime on, until
 *   since_ms + recurring_months calendar months (inclusive; no limit when recurring_months < 0). */
#include "core/attribution.h"

#include <stddef.h>

#include "util/timefmt.h"
#include "util/banned.h"

#define ATTR_CLOCK_SKEW_MS (5 * 60 * 1000)
#define MS_PER_DAY INT64_C(86400000)

const char *attr_method_name(enum attr_method m)
{
    switch (m) {
    case ATTR_CLICK:
        return "click";
    case ATTR_COUPON:
        return "coupon";
    case ATTR_CUSTOMER:
        return "customer";
    case ATTR_REF:
        return "ref";
    case ATTR_NONE:
        break;
    }
    return "none";
}

int64_t time_add_months_ms(int64_t t_ms, int months)
{
    int64_t days = t_ms / MS_PER_DAY;
    int64_t ms_of_day = t_ms % MS_PER_DAY;
    if (ms_of_day < 0) { /* floor, for times before 1970 */
        ms_of_day += MS_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned m, d;
    time_civil_from_days(days, &y, &m, &d);
    /* Month arithmetic on a zero-based month count, floor-divided into years. */
    int64_t month_index = y * 12 + (int64_t)(m - 1) + months;
    int64_t ny = month_index / 12;
    int64_t nm0 = month_index % 12;
    if (nm0 < 0) {
        nm0 += 12;
        ny--;
    }
    unsigned nm = (unsigned)nm0 + 1;
    /* Clamp to the target month's last day: the first of the next month, minus one day. */
    int64_t first_next =
        nm == 12 ? time_days_from_civil(ny + 1, 1, 1) : time_days_from_civil(ny, nm + 1, 1);
    int64_t first_this = time_days_from_civil(ny, nm, 1);
    unsigned month_len = (unsigned)(first_next - first_this);
    if (d > month_len)
        d = month_len;
    return time_days_from_civil(ny, nm, d) * MS_PER_DAY + ms_of_day;
}

/* The conversion at `at` falls in [start - skew, end], end inclusive. */
static bool within(int64_t at, int64_t start, int64_t end)
{
    return at >= start - ATTR_CLOCK_SKEW_MS && at <= end;
}

static int64_t saturating_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static void note_reason(struct attr_result *out, const char *reason)
{
    if (!out->reason) /* the first failure is the one the caller asked about */
        out->reason = reason;
}

static bool binding_valid(const struct attr_input *in)
{
    const struct attr_binding *b = &in->binding;
    if (!b->found || !b->partner_id)
        return false;
    int64_t window_end = saturating_add(b->since_ms, in->program.window_ms);
    if (within(in->occurred_at_ms, b->since_ms, window_end))
        return true;
    if (!in->program.lifetime || in->occurred_at_ms < b->since_ms)
        return false;
    if (in->program.recurring_months < 0)
        return true;
    return in->occurred_at_ms <= time_add_months_ms(b->since_ms, in->program.recurring_months);
}

/* Rule 3. Returns true when it attributed. */
static bool try_binding(const struct attr_input *in, struct attr_result *out)
{
    const struct attr_binding *b = &in->binding;
    if (!b->found || !b->partner_id)
        return false;
    if (!binding_valid(in)) {
        note_reason(out, "binding_expired");
        return false;
    }
    if (!b->partner_active) {
        note_reason(out, "partner_suspended");
        return false;
    }
    out->method = ATTR_CUSTOMER;
    out->partner_id = b->partner_id;
    out->click_id = b->click_id;
    out->since_ms = b->since_ms; /* keep the original time: re-attributing must not extend it */
    out->rebind = false;
    return true;
}

/* Rule 1. Returns true when it attributed (bot clicks included, see the top of the file). */
static bool try_click(const struct attr_input *in, struct attr_result *out)
{
    const struct attr_click *c = &in->click;
    if (!c->given)
        return false;
    if (!c->found || !c->partner_id) {
        note_reason(out, "click_not_found");
        return false;
    }
    if (!c->same_program) {
        note_reason(out, "click_other_program");
        return false;
    }
    int64_t window_end = saturating_add(c->clicked_at_ms, in->program.window_ms);
    if (!within(in->occurred_at_ms, c->clicked_at_ms, window_end)) {
        note_reason(out, "click_outside_window");
        return false;
    }
    if (!c->partner_active) {
        note_reason(out, "partner_suspended");
        return false;
    }
    out->method = ATTR_CLICK;
    out->partner_id = c->partner_id;
    out->click_id = c->click_id;
    out->since_ms = c->clicked_at_ms;
    if (c->bot) {
        out->bot = true;
        out->rebind = false;
        note_reason(out, "click_is_bot");
    } else {
        out->rebind = true;
    }
    return true;
}

/* Rules 2 and 4: a coupon or a ref code. */
static bool try_code(const struct attr_input *in, const struct attr_code *code,
                     enum attr_method method, const char *not_found_reason, struct attr_result *out)
{
    if (!code->given)
        return false;
    if (!code->found || !code->partner_id) {
        note_reason(out, not_found_reason);
        return false;
    }
    if (!code->partner_active) {
        note_reason(out, "partner_suspended");
        return false;
    }
    out->method = method;
    out->partner_id = code->partner_id;
    out->click_id = NULL;
    out->since_ms = in->occurred_at_ms;
    out->rebind = true;
    return true;
}

void attribute(const struct attr_input *in, struct attr_result *out)
{
    *out = (struct attr_result){.method = ATTR_NONE};

    if (in->program.model == ATTR_FIRST_CLICK && binding_valid(in) && in->binding.partner_active &&
        try_binding(in, out))
        return;
    if (try_click(in, out))
        return;
    if (try_code(in, &in->coupon, ATTR_COUPON, "coupon_not_found", out))
        return;
    if (try_binding(in, out))
        return;
    if (try_code(in, &in->ref, ATTR_REF, "ref_not_found", out))
        return;
    out->method = ATTR_NONE;
    out->partner_id = NULL;
    out->click_id = NULL;
    out->rebind = false;
}
