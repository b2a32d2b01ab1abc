/* Which partner caused a conversion (README "How it works"). Pure: the store looks up the click,
 * coupon, customer binding and referral code; this decides. Times are milliseconds since the epoch,
 * UTC. */
#ifndef PD_CORE_ATTRIBUTION_H
#define PD_CORE_ATTRIBUTION_H

#include <stdbool.h>
#include <stdint.h>

enum attr_model { ATTR_LAST_CLICK = 0, ATTR_FIRST_CLICK };
enum attr_method { ATTR_NONE = 0, ATTR_CLICK, ATTR_COUPON, ATTR_CUSTOMER, ATTR_REF };

struct attr_program {
    int64_t window_ms;     /* attribution window after the click */
    enum attr_model model;
    bool lifetime;         /* a customer binding outlives the window */
    int recurring_months;  /* with lifetime: how long after the binding's click; < 0 = no limit */
};

struct attr_click {        /* the click the request named by click_id */
    bool given;            /* the request carried a click id */
    bool found;            /* it exists in any program */
    bool same_program;
    bool bot;
    bool partner_active;   /* the click's partner is not suspended */
    const char *click_id;
    const char *partner_id;
    int64_t clicked_at_ms;
};

struct attr_code {         /* a coupon or ref code the request carried */
    bool given;
    bool found;            /* mapped to a partner of this program */
    bool partner_active;
    const char *partner_id;
};

struct attr_binding {      /* the customer's current binding, if any */
    bool found;
    bool partner_active;
    const char *partner_id;
    const char *click_id;  /* may be NULL (bound by coupon or ref) */
    int64_t since_ms;      /* the time of the binding click (or of the binding when no click) */
};

struct attr_input {
    int64_t occurred_at_ms;
    struct attr_program program;
    struct attr_click click;
    struct attr_code coupon;
    struct attr_binding binding; /* only meaningful when the request carried a customer_id */
    struct attr_code ref;
};

struct attr_result {
    enum attr_method method;
    const char *partner_id;   /* NULL when method == ATTR_NONE */
    const char *click_id;     /* the click credited, when there is one */
    int64_t since_ms;         /* the time to store on a new binding */
    /* Why a given click_id did not attribute ("click_not_found", "click_other_program",
     * "click_outside_window", "click_is_bot", "partner_suspended"), or NULL. Static string.
     * When no click was given, why a coupon, binding or ref did not ("coupon_not_found",
     * "binding_expired", "ref_not_found", "partner_suspended"). The first failure is kept, so it
     * may be set even when a later rule attributed. "click_is_bot" comes with bot = true. */
    const char *reason;
    /* true when the customer's binding should be (re)written to partner_id: a new attribution under
     * last click, or the first one under first click. */
    bool rebind;
    bool bot;                 /* the credited click was a bot's: store with fraud_reason, no commission */
};

void attribute(const struct attr_input *in, struct attr_result *out);
const char *attr_method_name(enum attr_method m); /* "click", "coupon", "customer", "ref", "none" */

/* t + months calendar months (UTC), day clamped to the month's end (Jan 31 + 1 = Feb 28/29). */
int64_t time_add_months_ms(int64_t t_ms, int months);

#endif
