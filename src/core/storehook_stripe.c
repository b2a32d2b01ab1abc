/* Stripe events (API versions from 2025-03-31.basil) to store webhook events.
 *
 * - checkout.session.completed: mode=payment with payment_status=paid is a paid order (the
 *   session id; payment_ref = its payment intent); mode=subscription binds the customer; unpaid
 *   (an asynchronous method still pending) waits for checkout.session.async_payment_succeeded.
 * - invoice.paid: a paid order for a bound customer (recurring after the subscription's first).
 * - invoice_payment.paid: links the invoice and its payment intent (basil invoices name no payment
 *   intent and charges no invoice), so that a charge refund finds the invoice.
 * - charge.refunded: the cumulative amount_refunded of a payment intent.
 * Stripe amounts are in Stripe's minor units and are converted to ISO 4217 ones. */
#include <string.h>

#include "core/money.h"
#include "core/storehook_common.h"

#include "util/banned.h"

/* The first API version whose payload shapes are understood here. */
#define STRIPE_MIN_API "2025-03-31"

/* An expandable field: the id string, or the expanded object's "id". */
static const char *ref_at(struct arena *a, const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_object(v))
        v = json_object_get(v, "id");
    return sh_id(a, v);
}

/* obj[key] in Stripe minor units → ISO minor units of out->currency; absent or null is 0. */
static bool amount_at(const json_t *obj, const char *key, const struct storehook_event *out,
                      int64_t *v)
{
    json_t *j = json_object_get(obj, key);
    if (!j || json_is_null(j)) {
        *v = 0;
        return true;
    }
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return false;
    return storehook_stripe_to_minor((int64_t)json_integer_value(j), out->currency, v);
}

static const char *click_of(struct arena *a, const json_t *obj)
{
    const char *c = sh_dup(a, obj, "client_reference_id");
    return c ? c : sh_dup(a, sh_obj(obj, "metadata"), "pd_click");
}

/* discounts[]: a checkout session's {coupon, promotion_code} (ids, or expanded objects whose
 * code/id is used); an invoice's discount ids ("di_…") or expanded discounts. */
static void add_discounts(struct arena *a, const json_t *obj, struct storehook_event *out)
{
    size_t i;
    json_t *d;
    json_array_foreach(sh_arr(obj, "discounts"), i, d) {
        if (json_is_string(d)) {
            sh_add_coupon(out, sh_id(a, d));
            continue;
        }
        json_t *promo = json_object_get(d, "promotion_code");
        if (json_is_object(promo))
            sh_add_coupon(out, sh_dup(a, promo, "code"));
        else
            sh_add_coupon(out, sh_id(a, promo));
        sh_add_coupon(out, ref_at(a, d, "coupon"));
    }
}

static int map_session(const json_t *s, const char *type, struct arena *a,
                       struct storehook_event *out)
{
    const char *mode = sh_str(s, "mode");
    if (!sh_currency(out, sh_str(s, "currency")))
        return sh_ignore(out, "unknown or missing currency");
    out->order_id = sh_dup(a, s, "id");
    out->customer_id = ref_at(a, s, "customer");
    out->email = sh_dup(a, sh_obj(s, "customer_details"), "email");
    if (!out->email)
        out->email = sh_dup(a, s, "customer_email");
    out->click_id = click_of(a, s);
    add_discounts(a, s, out);
    if (mode && strcmp(mode, "subscription") == 0) {
        if (!out->customer_id)
            return sh_ignore(out, "subscription checkout without a customer");
        out->subscription_id = ref_at(a, s, "subscription");
        out->kind = STOREHOOK_BIND;
        return 0;
    }
    if (!mode || strcmp(mode, "payment") != 0)
        return sh_ignore(out, "checkout session mode is not payment or subscription");
    const char *status = sh_str(s, "payment_status");
    if (status && strcmp(status, "no_payment_required") == 0)
        return sh_ignore(out, "nothing to pay");
    if (!status || strcmp(status, "paid") != 0)
        return sh_ignore(out, strcmp(type, "checkout.session.completed") == 0
                                  ? "payment not completed yet"
                                  : "checkout session not paid");
    if (!out->order_id)
        return sh_ignore(out, "checkout session without an id");
    out->payment_ref = ref_at(a, s, "payment_intent");
    int64_t total, tax, shipping;
    const json_t *td = sh_obj(s, "total_details");
    if (!amount_at(s, "amount_total", out, &total) || !amount_at(td, "amount_tax", out, &tax) ||
        !amount_at(td, "amount_shipping", out, &shipping))
        return sh_ignore(out, "amount not exact in the currency");
    if (total - tax - shipping < 0)
        return sh_ignore(out, "tax and shipping exceed the total");
    out->gross_total = total;
    out->amount = total - tax - shipping;
    out->kind = STOREHOOK_PAID_ORDER;
    return 0;
}

/* lines.data[]: amount (before discounts, excluding tax), quantity, pricing.price_details.product. */
static bool invoice_items(const json_t *inv, struct arena *a, struct storehook_event *out)
{
    json_t *lines = sh_arr(sh_obj(inv, "lines"), "data");
    sh_items(a, lines, false, NULL, NULL, out);
    for (size_t i = 0; i < out->nitems; i++) {
        json_t *l = json_array_get(lines, i);
        struct storehook_item *it = &out->items[i];
        if (it->quantity == 0)
            it->quantity = 1; /* a line without a quantity is one amount */
        if (!amount_at(l, "amount", out, &it->subtotal))
            return false;
        it->ref = sh_dup(a, sh_obj(sh_obj(l, "pricing"), "price_details"), "product");
        if (!money_mul_div(it->subtotal, 1, it->quantity, &it->unit_amount))
            return false;
    }
    return storehook_spread(out->items, out->nitems, out->amount);
}

static int map_invoice(const json_t *inv, struct arena *a, struct storehook_event *out)
{
    if (!sh_currency(out, sh_str(inv, "currency")))
        return sh_ignore(out, "unknown or missing currency");
    out->order_id = sh_dup(a, inv, "id");
    out->customer_id = ref_at(a, inv, "customer");
    out->email = sh_dup(a, inv, "customer_email");
    out->subscription_id =
        ref_at(a, sh_obj(sh_obj(inv, "parent"), "subscription_details"), "subscription");
    out->click_id = sh_dup(a, sh_obj(inv, "metadata"), "pd_click");
    add_discounts(a, inv, out);
    if (!out->order_id || !out->customer_id)
        return sh_ignore(out, "invoice without an id or a customer");
    int64_t paid, net, ship_net;
    if (!amount_at(inv, "amount_paid", out, &paid) ||
        !amount_at(inv, "total_excluding_tax", out, &net) ||
        !amount_at(sh_obj(inv, "shipping_cost"), "amount_subtotal", out, &ship_net))
        return sh_ignore(out, "amount not exact in the currency");
    if (paid == 0)
        return sh_ignore(out, "invoice paid nothing");
    if (net - ship_net < 0)
        return sh_ignore(out, "shipping exceeds the invoice");
    out->gross_total = paid;
    out->amount = net - ship_net;
    if (!invoice_items(inv, a, out))
        return sh_ignore(out, "invoice lines not exact");
    const char *reason = sh_str(inv, "billing_reason");
    out->needs_bound_customer = true;
    out->recurring = reason && strcmp(reason, "subscription_create") != 0;
    out->kind = STOREHOOK_PAID_ORDER;
    return 0;
}

static int map_charge_refund(const json_t *ch, struct arena *a, struct storehook_event *out)
{
    if (!sh_currency(out, sh_str(ch, "currency")))
        return sh_ignore(out, "unknown or missing currency");
    out->payment_ref = ref_at(a, ch, "payment_intent");
    out->customer_id = ref_at(a, ch, "customer");
    out->refund.id = sh_dup(a, ch, "id");
    if (!out->payment_ref || !out->refund.id)
        return sh_ignore(out, "charge without a payment intent");
    if (!amount_at(ch, "amount", out, &out->gross_total) ||
        !amount_at(ch, "amount_refunded", out, &out->refund.gross))
        return sh_ignore(out, "amount not exact in the currency");
    if (out->refund.gross == 0)
        return sh_ignore(out, "nothing refunded");
    out->refund.cumulative = true;
    out->has_refund = true;
    out->kind = STOREHOOK_REFUND;
    return 0;
}

static int map_invoice_payment(const json_t *ip, struct arena *a, struct storehook_event *out)
{
    const json_t *pay = sh_obj(ip, "payment");
    out->order_id = ref_at(a, ip, "invoice");
    /* Later API versions name the payment intent on the invoice payment itself. */
    out->payment_ref = pay ? ref_at(a, pay, "payment_intent") : ref_at(a, ip, "payment_intent");
    if (!out->payment_ref)
        return sh_ignore(out, "invoice not paid through a payment intent");
    if (!out->order_id)
        return sh_ignore(out, "invoice payment without an invoice");
    sh_currency(out, sh_str(ip, "currency")); /* informative only */
    out->kind = STOREHOOK_LINK;
    return 0;
}

static int dispatch(const char *type, const json_t *obj, struct arena *a,
                    struct storehook_event *out)
{
    if (strcmp(type, "checkout.session.completed") == 0 ||
        strcmp(type, "checkout.session.async_payment_succeeded") == 0)
        return map_session(obj, type, a, out);
    if (strcmp(type, "invoice.paid") == 0)
        return map_invoice(obj, a, out);
    if (strcmp(type, "charge.refunded") == 0)
        return map_charge_refund(obj, a, out);
    if (strcmp(type, "invoice_payment.paid") == 0)
        return map_invoice_payment(obj, a, out);
    return sh_ignore(out, "event type not used");
}

static void map_event(const json_t *root, const struct storehook_delivery *d, struct arena *a,
                      struct storehook_event *out)
{
    (void)d;
    out->event_id = sh_dup(a, root, "id");
    out->event_type = sh_dup(a, root, "type");
    out->mode_stated = json_is_boolean(json_object_get(root, "livemode"));
    out->test_mode = json_is_false(json_object_get(root, "livemode"));
    const char *api = sh_str(root, "api_version");
    const json_t *obj = sh_obj(sh_obj(root, "data"), "object");
    if (!out->event_id || !out->event_type || !obj)
        sh_ignore(out, "not a Stripe event");
    else if (api && strcmp(api, STRIPE_MIN_API) < 0)
        sh_ignore(out, "Stripe API version older than 2025-03-31.basil");
    else
        dispatch(out->event_type, obj, a, out);
}

int storehook_map_stripe(const struct storehook_delivery *d, struct arena *a,
                         struct storehook_event *out)
{
    return sh_run(d, a, out, map_event);
}
