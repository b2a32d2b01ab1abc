/* WooCommerce order webhooks (REST API v3 order objects, topics order.created and order.updated)
 * to store webhook events. Every delivery carries the whole order, so:
 *
 * - the order converts once it is paid: status processing, completed or refunded with date_paid
 *   set; its amount is the sum of the line items' totals (after coupons, without tax; shipping
 *   and fees are not line items);
 * - refunds are cumulative: the refunds[] totals (negative decimal strings, tax included) added
 *   up, or the whole order total once the status is refunded;
 * - the event id is the order id, its status and its refund ids, so a delivery that changes
 *   neither is a replay.
 * The click id is the meta_data key pd_click, else the pd_click parameter of the order
 * attribution's session entry URL (_wc_order_attribution_session_entry). An order has no test
 * flag of its own: WooPayments' meta _wcpay_mode ("test" or "prod") says it when present. */
#include <string.h>

#include "core/money.h"
#include "core/storehook_common.h"

#include "util/banned.h"

static const char *meta_value(const json_t *o, const char *key)
{
    size_t i;
    json_t *m;
    json_array_foreach(sh_arr(o, "meta_data"), i, m) {
        const char *k = sh_str(m, "key");
        if (k && strcmp(k, key) == 0)
            return sh_str(m, "value");
    }
    return NULL;
}

static const char *click_of(struct arena *a, const json_t *o)
{
    const char *c = meta_value(o, "pd_click");
    if (c && *c)
        return arena_strdup(a, c);
    return sh_query_param(a, meta_value(o, "_wc_order_attribution_session_entry"), "pd_click");
}

/* line_items[]: sku (else product_id), quantity, subtotal (before coupons), total (after). */
static bool order_items(const json_t *o, struct arena *a, struct storehook_event *out)
{
    json_t *lines = sh_arr(o, "line_items");
    /* The amount is the items' sum: all of them or none. */
    if (!sh_items(a, lines, true, "sku", "product_id", out))
        return false;
    for (size_t i = 0; i < out->nitems; i++) {
        json_t *l = json_array_get(lines, i);
        struct storehook_item *it = &out->items[i];
        if (!sh_decimal(json_object_get(l, "subtotal"), out->exponent, false, &it->subtotal) ||
            !sh_decimal(json_object_get(l, "total"), out->exponent, false, &it->amount) ||
            !money_add(out->amount, it->amount, &out->amount))
            return false;
        if (it->quantity > 0 && !money_mul_div(it->subtotal, 1, it->quantity, &it->unit_amount))
            return false;
    }
    return true;
}

static bool status_is(const char *status, const char *s)
{
    return status && strcmp(status, s) == 0;
}

/* The cumulative gross refunded and the refund ids ("r1,r2") for the event id. */
static bool refunds_of(const json_t *o, const char *status, struct arena *a,
                       struct storehook_event *out, const char **ids)
{
    size_t i;
    json_t *r;
    *ids = "";
    if (json_array_size(sh_arr(o, "refunds")) > SH_MAX_ITEMS)
        return false;
    json_array_foreach(sh_arr(o, "refunds"), i, r) {
        int64_t t;
        const char *id = sh_id_at(a, r, "id");
        if (!sh_decimal(json_object_get(r, "total"), out->exponent, true, &t))
            return false;
        if (t < 0)
            t = -t; /* WooCommerce writes refunds as negative amounts */
        if (!money_add(out->refund.gross, t, &out->refund.gross))
            return false;
        *ids = arena_sprintf(a, "%s%s%s", *ids, **ids ? "," : "", id ? id : "?");
    }
    if (status_is(status, "refunded") && out->refund.gross < out->gross_total)
        out->refund.gross = out->gross_total;
    if (out->refund.gross > 0) {
        out->has_refund = true;
        out->refund.cumulative = true;
        out->refund.id = out->order_id;
    }
    return true;
}

static int map_order(const json_t *o, struct arena *a, struct storehook_event *out)
{
    const char *status = sh_str(o, "status");
    const char *paid_at = sh_str(o, "date_paid");
    if (!sh_currency(out, sh_str(o, "currency")))
        return sh_ignore(out, "unknown or missing currency");
    out->order_id = sh_id_at(a, o, "id");
    if (!out->order_id || !status)
        return sh_ignore(out, "order without an id or a status");
    json_t *cust = json_object_get(o, "customer_id");
    if (!json_is_integer(cust) || json_integer_value(cust) != 0)
        out->customer_id = sh_id(a, cust); /* 0 is a guest */
    out->email = sh_dup(a, sh_obj(o, "billing"), "email");
    out->click_id = click_of(a, o);
    const char *pay_mode = meta_value(o, "_wcpay_mode");
    out->mode_stated = pay_mode && (strcmp(pay_mode, "test") == 0 || strcmp(pay_mode, "prod") == 0);
    out->test_mode = out->mode_stated && strcmp(pay_mode, "test") == 0;
    size_t i;
    json_t *cl;
    json_array_foreach(sh_arr(o, "coupon_lines"), i, cl)
        sh_add_coupon(out, sh_dup(a, cl, "code"));
    const char *refund_ids;
    if (!sh_decimal(json_object_get(o, "total"), out->exponent, false, &out->gross_total) ||
        !order_items(o, a, out) || !refunds_of(o, status, a, out, &refund_ids))
        return sh_ignore(out, "amount not exact in the currency");
    out->event_id = arena_sprintf(a, "%s:%s:%s", out->order_id, status, refund_ids);
    bool paid = (status_is(status, "processing") || status_is(status, "completed") ||
                 status_is(status, "refunded")) &&
                paid_at && *paid_at;
    if (!paid)
        return sh_ignore(out, "order not paid");
    out->kind = STOREHOOK_PAID_ORDER;
    return 0;
}

/* The form-encoded "webhook_id=<n>" WooCommerce posts when the webhook is saved. */
static void map_body(const json_t *root, const struct storehook_delivery *d, struct arena *a,
                     struct storehook_event *out)
{
    out->event_type = d->topic ? arena_strdup(a, d->topic) : NULL;
    const char *topic = out->event_type;
    if (topic && strcmp(topic, "order.created") != 0 && strcmp(topic, "order.updated") != 0)
        sh_ignore(out, "topic not used");
    else
        map_order(root, a, out);
}

int storehook_map_woocommerce(const struct storehook_delivery *d, struct arena *a,
                              struct storehook_event *out)
{
    int rc = sh_run(d, a, out, map_body);
    /* The creation ping is form-encoded, not JSON: say so instead of "not a JSON object". */
    if (rc == 0 && out->kind == STOREHOOK_IGNORE && d->body &&
        storehook_woocommerce_is_ping(d->body, d->len))
        sh_ignore(out, "webhook creation ping");
    return rc;
}
