/* Shopify Admin webhooks (2025-07 and later) to store webhook events. The topic comes from the
 * X-Shopify-Topic header and the event id from X-Shopify-Webhook-Id.
 *
 * - orders/paid: a paid order in the shop's currency (the *_price strings; ids kept as text).
 *   The amount is subtotal_price (after discounts, without shipping) less the line items' taxes
 *   when prices include tax. The click id is the cart attribute pd_click (note_attributes) or the
 *   pd_click parameter of landing_site.
 * - refunds/create: the refund's net amount is the sum of refund_line_items[].subtotal_set in the
 *   shop's money; its gross the successful refund transactions. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/money.h"
#include "core/storehook_common.h"

#include "util/banned.h"

/* A money field in the shop's currency: obj[key] (a decimal string), else the shop_money of
 * obj[key_set]. Absent is 0. */
static bool shop_amount(const json_t *obj, const char *key, int exponent, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        char set_key[64];
        int n = snprintf(set_key, sizeof set_key, "%s_set", key);
        if (n < 0 || (size_t)n >= sizeof set_key)
            return false;
        v = json_object_get(sh_obj(json_object_get(obj, set_key), "shop_money"), "amount");
    }
    if (!v || json_is_null(v)) {
        *out = 0;
        return true;
    }
    return sh_decimal(v, exponent, false, out);
}

static const char *click_of(struct arena *a, const json_t *o)
{
    size_t i;
    json_t *attr;
    json_array_foreach(sh_arr(o, "note_attributes"), i, attr) {
        const char *name = sh_str(attr, "name");
        if (name && strcmp(name, "pd_click") == 0) {
            const char *v = sh_dup(a, attr, "value");
            if (v)
                return v;
        }
    }
    return sh_query_param(a, sh_str(o, "landing_site"), "pd_click");
}

/* line_items[]: sku (else product_id), quantity, price; adds up their tax_lines into *tax. */
static bool order_items(const json_t *o, struct arena *a, struct storehook_event *out,
                        int64_t *tax)
{
    json_t *lines = sh_arr(o, "line_items");
    sh_items(a, lines, false, "sku", "product_id", out);
    *tax = 0;
    for (size_t i = 0; i < out->nitems; i++) {
        json_t *l = json_array_get(lines, i);
        struct storehook_item *it = &out->items[i];
        if (!shop_amount(l, "price", out->exponent, &it->unit_amount) ||
            __builtin_mul_overflow(it->unit_amount, it->quantity, &it->subtotal))
            return false;
        size_t k;
        json_t *t;
        json_array_foreach(sh_arr(l, "tax_lines"), k, t) {
            int64_t v;
            if (!shop_amount(t, "price", out->exponent, &v) || !money_add(*tax, v, tax))
                return false;
        }
    }
    return true;
}

static int map_order(const json_t *o, struct arena *a, struct storehook_event *out)
{
    if (!sh_currency(out, sh_str(o, "currency")))
        return sh_ignore(out, "unknown or missing currency");
    out->order_id = sh_id_at(a, o, "id");
    if (!out->order_id)
        return sh_ignore(out, "order without an id");
    out->mode_stated = json_is_boolean(json_object_get(o, "test"));
    out->test_mode = json_is_true(json_object_get(o, "test"));
    const json_t *cust = sh_obj(o, "customer");
    out->customer_id = sh_id_at(a, cust, "id");
    out->email = sh_dup(a, o, "email");
    if (!out->email)
        out->email = sh_dup(a, o, "contact_email");
    if (!out->email)
        out->email = sh_dup(a, cust, "email");
    out->click_id = click_of(a, o);
    size_t i;
    json_t *dc;
    json_array_foreach(sh_arr(o, "discount_codes"), i, dc)
        sh_add_coupon(out, sh_dup(a, dc, "code"));
    int64_t subtotal, total, line_tax;
    if (!shop_amount(o, "subtotal_price", out->exponent, &subtotal) ||
        !shop_amount(o, "total_price", out->exponent, &total) ||
        !order_items(o, a, out, &line_tax))
        return sh_ignore(out, "amount not exact in the currency");
    if (json_is_true(json_object_get(o, "taxes_included")))
        subtotal -= line_tax;
    if (subtotal < 0)
        return sh_ignore(out, "taxes exceed the subtotal");
    out->amount = subtotal;
    out->gross_total = total;
    if (!storehook_spread(out->items, out->nitems, out->amount))
        return sh_ignore(out, "line items not exact");
    out->kind = STOREHOOK_PAID_ORDER;
    return 0;
}

/* The refund's currency: the shop money of its line items, else its transactions'. */
static const char *refund_currency(const json_t *r)
{
    const json_t *rli = json_array_get(sh_arr(r, "refund_line_items"), 0);
    const char *c = sh_str(sh_obj(sh_obj(rli, "subtotal_set"), "shop_money"), "currency_code");
    return c ? c : sh_str(json_array_get(sh_arr(r, "transactions"), 0), "currency");
}

static bool refund_amounts(const json_t *r, struct storehook_event *out)
{
    size_t i;
    json_t *v;
    json_array_foreach(sh_arr(r, "refund_line_items"), i, v) {
        int64_t sub;
        json_t *amt = json_object_get(sh_obj(sh_obj(v, "subtotal_set"), "shop_money"), "amount");
        if (!sh_decimal(amt, out->exponent, false, &sub) ||
            !money_add(out->refund.net, sub, &out->refund.net))
            return false;
        out->refund.net_given = true;
    }
    json_array_foreach(sh_arr(r, "transactions"), i, v) {
        const char *kind = sh_str(v, "kind"), *status = sh_str(v, "status");
        const char *cur = sh_str(v, "currency");
        if (!kind || strcmp(kind, "refund") != 0 || !status || strcmp(status, "success") != 0)
            continue;
        if (cur && strcasecmp(cur, out->currency) != 0)
            continue; /* presentment money of a multi-currency order: the net amount decides */
        int64_t amt;
        if (!sh_decimal(json_object_get(v, "amount"), out->exponent, false, &amt) ||
            !money_add(out->refund.gross, amt, &out->refund.gross))
            return false;
        if (json_is_boolean(json_object_get(v, "test")))
            out->mode_stated = true;
        if (json_is_true(json_object_get(v, "test")))
            out->test_mode = true;
    }
    return true;
}

static int map_refund(const json_t *r, struct arena *a, struct storehook_event *out)
{
    out->order_id = sh_id_at(a, r, "order_id");
    out->refund.id = sh_id_at(a, r, "id");
    if (!out->order_id || !out->refund.id)
        return sh_ignore(out, "refund without an id or an order id");
    if (!sh_currency(out, refund_currency(r)))
        return sh_ignore(out, "unknown or missing currency");
    if (!refund_amounts(r, out))
        return sh_ignore(out, "amount not exact in the currency");
    if (!out->refund.net_given && out->refund.gross == 0)
        return sh_ignore(out, "refund returns no money");
    out->has_refund = true;
    out->kind = STOREHOOK_REFUND;
    return 0;
}

static void map_body(const json_t *root, const struct storehook_delivery *d, struct arena *a,
                     struct storehook_event *out)
{
    out->event_type = d->topic ? arena_strdup(a, d->topic) : NULL;
    const char *topic = out->event_type ? out->event_type : "";
    if (strcmp(topic, "orders/paid") == 0)
        map_order(root, a, out);
    else if (strcmp(topic, "refunds/create") == 0)
        map_refund(root, a, out);
    else
        sh_ignore(out, "topic not used");
    /* Without the delivery header, the order or refund is its own natural key. */
    if (d->delivery_id && *d->delivery_id)
        out->event_id = arena_strdup(a, d->delivery_id);
    else if (out->refund.id)
        out->event_id = arena_sprintf(a, "refund:%s", out->refund.id);
    else if (out->order_id)
        out->event_id = arena_sprintf(a, "order:%s:paid", out->order_id);
}

int storehook_map_shopify(const struct storehook_delivery *d, struct arena *a,
                          struct storehook_event *out)
{
    return sh_run(d, a, out, map_body);
}
