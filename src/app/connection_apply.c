/* A store-webhook event turned into a conversion, a refund, a waiting refund or an ignored event
 * (the contract is in connection_apply.h). */
#include "app/connection_apply.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/attribute.h"
#include "app/conversions.h"
#include "app/programs.h"
#include "util/banned.h"

/* What an apply step shares: the store, the event, the program, the answer being built. */
struct apply {
    struct store *s;
    const struct connection *c;
    const struct storehook_event *e;
    struct program prog;
    int64_t now_ms;
    struct arena *a;
    struct connection_outcome *out;
};

static void ignore(struct apply *ap, const char *reason)
{
    ap->out->outcome = "ignored";
    ap->out->reason = reason;
}

/* The same order always hashes the same, so a second delivery of it (another event id) is a
 * replay of the conversion, never a conflict. */
static void order_hash(const char *connection_id, const char *order_id, char out[65])
{
    unsigned char digest[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof digest);
    crypto_generichash_update(&st, (const unsigned char *)connection_id, strlen(connection_id) + 1);
    crypto_generichash_update(&st, (const unsigned char *)order_id, strlen(order_id) + 1);
    crypto_generichash_final(&st, digest, sizeof digest);
    sodium_bin2hex(out, 65, digest, sizeof digest);
}

/* The event's lines as the conversion's items (each line's share of the amount; per unit when
 * it divides evenly), with their canonical JSON. None when there are too many to keep. */
static void order_items(struct apply *ap, struct conversion_input *in)
{
    const struct storehook_event *e = ap->e;
    if (e->nitems == 0 || e->nitems > CONVERSION_MAX_ITEMS)
        return;
    in->items = arena_calloc(ap->a, e->nitems * sizeof *in->items);
    json_t *list = json_array();
    for (size_t i = 0; i < e->nitems; i++) {
        const struct storehook_item *it = &e->items[i];
        struct commission_item *ci = &in->items[i];
        bool per_unit = it->quantity > 0 && it->amount % it->quantity == 0;
        ci->sku = it->ref;
        ci->quantity = per_unit ? it->quantity : 1;
        ci->amount = per_unit ? it->amount / it->quantity : it->amount;
        json_t *o = json_pack("{s:I, s:I}", "amount", (json_int_t)ci->amount, "quantity",
                              (json_int_t)ci->quantity);
        if (ci->sku)
            json_object_set_new(o, "sku", json_string(ci->sku));
        json_array_append_new(list, o);
    }
    char *text = json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(list);
    if (!text)
        abort();
    in->items_json = arena_strdup(ap->a, text);
    free(text);
    in->nitems = e->nitems;
}

/* The order's conversion: its id, amount and what is refunded of it (0 when there is none). */
static int load_conversion(struct apply *ap, const char *order_id, const char **id,
                           int64_t *amount, int64_t *refunded, struct pd_err *err)
{
    struct db_val v[2] = {db_text(ap->prog.id), db_text(order_id)};
    struct store_cursor cur;
    *id = NULL;
    int rc = store_query_row(ap->s,
                             "SELECT id, amount, refunded_amount FROM conversions"
                             " WHERE program_id = ?1 AND order_id = ?2",
                             v, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_ROW) {
        *id = arena_strdup(ap->a, store_col_text(&cur, 0));
        *amount = store_col_int(&cur, 1);
        *refunded = store_col_int(&cur, 2);
        store_finish(&cur);
    }
    return 0;
}

/* The part of the order's amount that refund r takes back. A cumulative refund gives the total
 * to have refunded so far; separate gross refunds add up through the gross they returned before
 * (prior), so that refunds adding up to the gross total reverse exactly the amount. */
static bool refund_delta(int64_t amount, int64_t refunded, int64_t gross_total,
                         int64_t order_gross, int64_t prior, const struct storehook_refund *r,
                         int64_t *delta)
{
    struct storehook_event ev = {.kind = STOREHOOK_REFUND, .gross_total = gross_total,
                                 .has_refund = true, .refund = *r};
    int64_t share, before = 0;
    bool separate = !r->cumulative && !r->net_given;
    if (separate && __builtin_add_overflow(prior, r->gross, &ev.refund.gross))
        return false;
    if (!storehook_refund_share(amount, &ev, order_gross, &share))
        return false;
    if (separate && prior > 0) {
        ev.refund.gross = prior;
        if (!storehook_refund_share(amount, &ev, order_gross, &before))
            return false;
    }
    *delta = r->cumulative ? share - refunded : share - before;
    if (*delta > amount - refunded)
        *delta = amount - refunded;
    return true;
}

/* Refunds the order's conversion by r's share; *refund_id NULL and *reason set when nothing
 * (more) is to refund. Runs in a savepoint of its own: a refused refund writes nothing. */
static int refund_order(struct apply *ap, const char *order_id, int64_t gross_total,
                        const struct storehook_refund *r, const char **refund_id,
                        const char **reason, struct pd_err *err)
{
    const char *conv_id;
    int64_t amount = 0, refunded = 0, delta, order_gross = 0, prior = 0;
    *refund_id = NULL;
    /* The order's lock first: refund_record takes it too, but the reads below must already be
     * under it, or two nodes could compute the same refund's share at once. */
    if (store_lock(ap->s, "order", ap->prog.id, order_id, err) < 0 ||
        load_conversion(ap, order_id, &conv_id, &amount, &refunded, err) < 0 ||
        connection_order_gross(ap->s, ap->c->id, order_id, &order_gross, &prior, err) < 0)
        return -1;
    if (!refund_delta(amount, refunded, gross_total, order_gross, prior, r, &delta)) {
        *reason = "the refund cannot be computed exactly from the event";
        return 0;
    }
    if (!r->cumulative && !r->net_given &&
        connection_order_refunded(ap->s, ap->c->id, order_id, r->gross, err) < 0)
        return -1;
    if (delta <= 0) {
        *reason = "nothing more to refund on this order";
        return 0;
    }
    struct refund_input in = {.program_id = ap->prog.id, .order_id = order_id, .amount = delta,
                              .reason = r->id};
    json_t *res = NULL;
    struct pd_err rerr = {0};
    if (store_begin(ap->s, err) < 0)
        return -1;
    if (refund_record(ap->s, &in, ap->now_ms, ap->a, &res, &rerr) < 0) {
        store_rollback(ap->s);
        if (rerr.kind == PD_ERR_INTERNAL || rerr.kind == PD_ERR_UNAVAILABLE) {
            *err = rerr;
            return -1;
        }
        *reason = arena_strdup(ap->a, rerr.message);
        return 0;
    }
    if (store_commit(ap->s, err) < 0) {
        json_decref(res);
        return -1;
    }
    *refund_id = arena_strdup(ap->a, json_string_value(json_object_get(res, "id")));
    json_decref(res);
    return 0;
}

/* The refunds that waited for this order, applied now. */
static int apply_waiting(struct apply *ap, const char *order_id, struct pd_err *err)
{
    struct connection_pending *todo = arena_calloc(ap->a, CONNECTION_PENDING_MAX * sizeof *todo);
    size_t n = 0;
    if (connection_pending_take(ap->s, ap->c->id, order_id, ap->e->payment_ref, ap->a, todo, &n,
                                err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *refund_id = NULL, *reason = NULL;
        if (refund_order(ap, order_id, todo[i].gross_total, &todo[i].refund, &refund_id, &reason,
                         err) < 0 ||
            connection_event_resolved(ap->s, ap->c->id, todo[i].event_id, refund_id, reason,
                                      err) < 0)
            return -1;
    }
    return 0;
}

/* The order's coupon for attribution: the first of its codes that is a coupon of the program's
 * partners, else the first code (NULL when it has none). */
static int pick_coupon(struct apply *ap, const char **coupon, struct pd_err *err)
{
    const struct storehook_event *e = ap->e;
    *coupon = e->ncoupons ? e->coupons[0] : NULL;
    for (size_t i = 0; i < e->ncoupons; i++) {
        struct db_val v[2] = {db_text(ap->prog.id), db_text(e->coupons[i])};
        int64_t found = 0;
        if (store_query_int(ap->s,
                            "SELECT count(*) FROM coupons c JOIN partners p ON p.id = c.partner_id"
                            " WHERE c.program_id = ?1 AND c.code = UPPER(?2)",
                            v, 2, 0, &found, err) < 0)
            return -1;
        if (found) {
            *coupon = e->coupons[i];
            break;
        }
    }
    return 0;
}

static int apply_order(struct apply *ap, struct pd_err *err)
{
    const struct storehook_event *e = ap->e;
    struct conversion_input in = {
        .program_id = ap->prog.id, .order_id = e->order_id, .amount = e->amount,
        .currency = e->currency, .click_id = e->click_id, .customer_id = e->customer_id,
        .email = e->email};
    if (pick_coupon(ap, &in.coupon, err) < 0)
        return -1;
    order_items(ap, &in);
    order_hash(ap->c->id, e->order_id, in.request_hash);
    int status = 0;
    json_t *res = NULL;
    struct pd_err cerr = {0};
    if (store_begin(ap->s, err) < 0)
        return -1;
    if (conversion_record(ap->s, &in, ap->now_ms, ap->a, &status, &res, &cerr) < 0) {
        store_rollback(ap->s);
        if (cerr.kind == PD_ERR_INTERNAL || cerr.kind == PD_ERR_UNAVAILABLE) {
            *err = cerr;
            return -1;
        }
        ignore(ap, arena_strdup(ap->a, cerr.message));
        return 0;
    }
    if (store_commit(ap->s, err) < 0) {
        json_decref(res);
        return -1;
    }
    ap->out->conversion_id = arena_strdup(ap->a, json_string_value(json_object_get(res, "id")));
    json_decref(res);
    if (connection_order_record(ap->s, ap->c->id, e->order_id, e->payment_ref, e->gross_total,
                                ap->out->conversion_id, ap->now_ms, err) < 0)
        return -1;
    if (status == 201) {
        ap->out->outcome = "conversion";
    } else {
        ignore(ap, "the order is recorded already");
    }
    if (e->has_refund) {
        const char *reason = NULL;
        if (refund_order(ap, e->order_id, e->gross_total, &e->refund, &ap->out->refund_id,
                         &reason, err) < 0)
            return -1;
        if (ap->out->refund_id)
            ap->out->outcome = "refund";
        else if (status != 201)
            ap->out->reason = reason;
    }
    return apply_waiting(ap, e->order_id, err);
}

static int apply_refund(struct apply *ap, struct pd_err *err)
{
    const struct storehook_event *e = ap->e;
    const char *order_id = e->order_id;
    if (!order_id && e->payment_ref &&
        connection_order_of_payment(ap->s, ap->c->id, e->payment_ref, ap->a, &order_id, err) < 0)
        return -1;
    const char *conv_id = NULL;
    int64_t amount, refunded;
    if (order_id && load_conversion(ap, order_id, &conv_id, &amount, &refunded, err) < 0)
        return -1;
    if (!conv_id) {
        ap->out->outcome = "pending";
        return connection_pending_add(ap->s, ap->c->id, e->event_id, order_id, e->payment_ref,
                                      e->gross_total, &e->refund, ap->now_ms, err);
    }
    const char *reason = NULL;
    if (refund_order(ap, order_id, e->gross_total, &e->refund, &ap->out->refund_id, &reason,
                     err) < 0)
        return -1;
    ap->out->conversion_id = conv_id;
    if (ap->out->refund_id)
        ap->out->outcome = "refund";
    else
        ignore(ap, reason);
    return 0;
}

/* A subscription checkout: the Stripe customer is bound to the partner of the session's click or
 * coupon, as POST /api/v1/leads binds one (a customer bound within its binding keeps its partner);
 * the invoices of that customer then convert through customer_id. */
static int apply_bind(struct apply *ap, struct pd_err *err)
{
    const struct storehook_event *e = ap->e;
    const char *link_id = NULL, *coupon = NULL;
    struct attr_result ar;
    if (pick_coupon(ap, &coupon, err) < 0 ||
        attribute_in_store(ap->s, &ap->prog, ap->now_ms, e->click_id, coupon, e->customer_id,
                           NULL, ap->a, &link_id, &ar, err) < 0)
        return -1;
    if (!ar.partner_id) {
        ignore(ap, ar.reason ? arena_sprintf(ap->a, "the customer could not be attributed: %s",
                                             ar.reason)
                             : "the customer could not be attributed");
        return 0;
    }
    if (!ar.rebind) {
        ignore(ap, "the customer is bound already");
        return 0;
    }
    if (customer_bind(ap->s, ap->prog.id, e->customer_id, ar.partner_id, ar.click_id,
                      ar.since_ms ? ar.since_ms : ap->now_ms, ap->now_ms, err) < 0)
        return -1;
    ap->out->outcome = "bound";
    return 0;
}

/* invoice_payment.paid: the event row keeps invoice (order_id) and payment intent (payment_ref),
 * which is how a later charge refund finds the invoice. Refunds of the payment intent that waited
 * apply now when the invoice converted already, else they wait for the invoice by its id. */
static int apply_link(struct apply *ap, struct pd_err *err)
{
    const struct storehook_event *e = ap->e;
    const char *conv_id = NULL;
    int64_t amount, refunded;
    ap->out->outcome = "linked";
    if (load_conversion(ap, e->order_id, &conv_id, &amount, &refunded, err) < 0 ||
        connection_order_record(ap->s, ap->c->id, e->order_id, e->payment_ref, 0, conv_id,
                                ap->now_ms, err) < 0)
        return -1;
    ap->out->conversion_id = conv_id;
    if (conv_id)
        return apply_waiting(ap, e->order_id, err);
    return connection_pending_link(ap->s, ap->c->id, e->payment_ref, e->order_id, err) < 0 ? -1 : 0;
}

/* Whether customer_id has a binding in the program (an invoice converts only then). */
static int customer_is_bound(struct apply *ap, const char *customer_id, bool *bound,
                             struct pd_err *err)
{
    struct db_val v[2] = {db_text(ap->prog.id), db_text(customer_id)};
    struct store_cursor cur;
    int rc = store_query_row(ap->s,
                             "SELECT 1 FROM customers WHERE program_id = ?1 AND customer_id = ?2",
                             v, 2, &cur, err);
    if (rc < 0)
        return -1;
    *bound = rc == STORE_ROW;
    if (*bound)
        store_finish(&cur);
    return 0;
}

/* Why an authentic event is not applied, or NULL when it is. */
static const char *unusable(struct apply *ap)
{
    const struct storehook_event *e = ap->e;
    if (e->kind == STOREHOOK_IGNORE)
        return e->reason ? e->reason : "an event type partnerd does not use";
    bool test_connection = strcmp(ap->c->mode, "test") == 0;
    if (e->mode_stated && e->test_mode != test_connection)
        return e->test_mode ? "a test-mode event on a live connection"
                            : "a live event on a test connection";
    if (e->kind == STOREHOOK_LINK)
        return NULL; /* only joins two ids: no amount, whatever its currency */
    if (e->kind == STOREHOOK_PAID_ORDER && !e->order_id)
        return "the order has no id";
    if (strcmp(e->currency, ap->prog.currency->code) != 0)
        return arena_sprintf(ap->a, "an order in %s; the program counts in %s", e->currency,
                             ap->prog.currency->code);
    return NULL;
}

int connection_apply(struct store *s, const struct connection *c, const struct storehook_event *e,
                     int64_t now_ms, struct arena *a, struct connection_outcome *out,
                     struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    bool seen = false;
    if (connection_event_seen(s, c->id, e->event_id, &seen, err) < 0)
        return -1;
    if (seen) {
        out->duplicate = true;
        return 0;
    }
    struct apply ap = {.s = s, .c = c, .e = e, .now_ms = now_ms, .a = a, .out = out};
    if (program_load(s, c->program_id, a, &ap.prog, err) != 0)
        return -1;
    const char *why = unusable(&ap);
    bool bound = true;
    if (!why && e->needs_bound_customer &&
        customer_is_bound(&ap, e->customer_id, &bound, err) < 0)
        return -1;
    int rc = 0;
    if (why)
        ignore(&ap, why);
    else if (!bound)
        ignore(&ap, "customer not bound");
    else if (e->kind == STOREHOOK_BIND)
        rc = apply_bind(&ap, err);
    else if (e->kind == STOREHOOK_LINK)
        rc = apply_link(&ap, err);
    else if (e->kind == STOREHOOK_PAID_ORDER)
        rc = apply_order(&ap, err);
    else
        rc = apply_refund(&ap, err);
    if (rc < 0)
        return -1;
    struct connection_event row = {
        .connection_id = c->id, .event_id = e->event_id, .event_type = e->event_type,
        .outcome = out->outcome, .reason = out->reason, .order_id = e->order_id,
        .payment_ref = e->payment_ref, .conversion_id = out->conversion_id,
        .refund_id = out->refund_id};
    return connection_event_insert(s, &row, now_ms, err) < 0 ? -1 : 0;
}
