/* Paddle Billing notifications to store webhook events. Amounts are strings of minor units.
 *
 * - transaction.completed: a paid order (the transaction id); the amount is details.totals.total
 *   less its tax (after discounts); the click id is custom_data.pd_click; origin
 *   subscription_recurring marks a renewal.
 * - adjustment.created / adjustment.updated with action refund and status approved: a refund of
 *   transaction_id, net amount totals.subtotal (without tax), gross totals.total. Pending or
 *   rejected refunds and other actions (credits, chargebacks) are ignored.
 * The event id is the notification_id (the same on every retry), else the event_id. */
#include <string.h>

#include "core/storehook_common.h"

#include "util/banned.h"

static bool minor_at(const json_t *obj, const char *key, int64_t *out)
{
    return sh_minor(json_object_get(obj, key), out);
}

/* details.line_items[]: product.id (else price_id), quantity, totals.subtotal. */
static bool txn_items(const json_t *txn, struct arena *a, struct storehook_event *out)
{
    json_t *lines = sh_arr(sh_obj(txn, "details"), "line_items");
    sh_items(a, lines, false, NULL, "price_id", out);
    for (size_t i = 0; i < out->nitems; i++) {
        json_t *l = json_array_get(lines, i);
        struct storehook_item *it = &out->items[i];
        const char *product = sh_dup(a, sh_obj(l, "product"), "id");
        if (product)
            it->ref = product;
        if (!minor_at(sh_obj(l, "totals"), "subtotal", &it->subtotal))
            return false;
        json_t *unit = json_object_get(sh_obj(l, "unit_totals"), "subtotal");
        if (unit && !sh_minor(unit, &it->unit_amount))
            return false;
    }
    return storehook_spread(out->items, out->nitems, out->amount);
}

static int map_transaction(const json_t *txn, struct arena *a, struct storehook_event *out)
{
    if (!sh_currency(out, sh_str(txn, "currency_code")))
        return sh_ignore(out, "unknown or missing currency");
    out->order_id = sh_dup(a, txn, "id");
    if (!out->order_id)
        return sh_ignore(out, "transaction without an id");
    out->customer_id = sh_dup(a, txn, "customer_id");
    out->subscription_id = sh_dup(a, txn, "subscription_id");
    out->click_id = sh_dup(a, sh_obj(txn, "custom_data"), "pd_click");
    sh_add_coupon(out, sh_dup(a, txn, "discount_id"));
    const char *origin = sh_str(txn, "origin");
    out->recurring = origin && strcmp(origin, "subscription_recurring") == 0;
    const json_t *totals = sh_obj(sh_obj(txn, "details"), "totals");
    int64_t total, tax;
    if (!minor_at(totals, "total", &total) || !minor_at(totals, "tax", &tax))
        return sh_ignore(out, "totals missing or not whole minor units");
    if (tax > total)
        return sh_ignore(out, "tax exceeds the total");
    if (total == 0)
        return sh_ignore(out, "transaction paid nothing");
    out->gross_total = total;
    out->amount = total - tax;
    if (!txn_items(txn, a, out))
        return sh_ignore(out, "line items not whole minor units");
    out->kind = STOREHOOK_PAID_ORDER;
    return 0;
}

static int map_adjustment(const json_t *adj, struct arena *a, struct storehook_event *out)
{
    const char *action = sh_str(adj, "action"), *status = sh_str(adj, "status");
    out->order_id = sh_dup(a, adj, "transaction_id");
    out->refund.id = sh_dup(a, adj, "id");
    out->customer_id = sh_dup(a, adj, "customer_id");
    if (!action || strcmp(action, "refund") != 0)
        return sh_ignore(out, "adjustment is not a refund");
    if (!status || strcmp(status, "approved") != 0)
        return sh_ignore(out, "refund not approved");
    if (!out->order_id || !out->refund.id)
        return sh_ignore(out, "refund without an id or a transaction id");
    if (!sh_currency(out, sh_str(adj, "currency_code")))
        return sh_ignore(out, "unknown or missing currency");
    const json_t *totals = sh_obj(adj, "totals");
    if (!minor_at(totals, "total", &out->refund.gross) ||
        !minor_at(totals, "subtotal", &out->refund.net))
        return sh_ignore(out, "totals missing or not whole minor units");
    out->refund.net_given = true;
    out->has_refund = true;
    out->kind = STOREHOOK_REFUND;
    return 0;
}

static void map_notification(const json_t *root, const struct storehook_delivery *d,
                             struct arena *a, struct storehook_event *out)
{
    (void)d;
    out->event_id = sh_dup(a, root, "notification_id");
    if (!out->event_id)
        out->event_id = sh_dup(a, root, "event_id");
    out->event_type = sh_dup(a, root, "event_type");
    const json_t *data = sh_obj(root, "data");
    const char *type = out->event_type ? out->event_type : "";
    if (!out->event_id || !data)
        sh_ignore(out, "not a Paddle notification");
    else if (strcmp(type, "transaction.completed") == 0)
        map_transaction(data, a, out);
    else if (strcmp(type, "adjustment.created") == 0 || strcmp(type, "adjustment.updated") == 0)
        map_adjustment(data, a, out);
    else
        sh_ignore(out, "event type not used");
}

int storehook_map_paddle(const struct storehook_delivery *d, struct arena *a,
                         struct storehook_event *out)
{
    return sh_run(d, a, out, map_notification);
}
