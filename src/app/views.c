/* The API's JSON shapes of commissions, conversions and payouts: read from the store by id, or
 * built from a row the caller has (a list's cursor, a commission just written). Events carry the
 * same shapes, so a webhook's data is what GET answers. */
#include "app/views.h"

#include <stdio.h>
#include <string.h>

#include "app/fields.h"
#include "app/programs.h"
#include "util/banned.h"

json_t *commission_json_from(const struct commission_row *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "object", json_string("commission"));
    json_object_set_new(o, "program_id", json_string(c->program_id));
    json_object_set_new(o, "partner_id", json_string(c->partner_id));
    json_object_set_new(o, "conversion_id", pd_json_str_or_null(c->conversion_id));
    json_object_set_new(o, "lead_id", pd_json_str_or_null(c->lead_id));
    json_object_set_new(o, "level", json_integer(c->level));
    json_object_set_new(o, "rule_id", json_string(c->rule_id));
    json_object_set_new(o, "rule_version", json_integer(c->rule_version));
    json_object_set_new(o, "base", json_integer(c->base));
    json_object_set_new(o, "amount", json_integer(c->amount));
    json_object_set_new(o, "reversed", json_integer(c->reversed));
    json_object_set_new(o, "net", json_integer(c->amount - c->reversed));
    json_object_set_new(o, "currency", json_string(c->currency));
    json_object_set_new(o, "status", json_string(c->status));
    json_object_set_new(o, "explanation", json_string(c->explanation));
    json_object_set_new(o, "hold_until", pd_json_time(c->hold_until));
    json_object_set_new(o, "created", pd_json_time(c->created_at));
    return o;
}

static const char *col_text_or_null(struct store_cursor *cur, int col)
{
    return store_is_null(cur, col) ? NULL : store_col_text(cur, col);
}

json_t *commission_json_row(struct store_cursor *cur)
{
    struct commission_row c = {
        .id = store_col_text(cur, 0),
        .program_id = store_col_text(cur, 1),
        .partner_id = store_col_text(cur, 2),
        .conversion_id = col_text_or_null(cur, 3),
        .lead_id = col_text_or_null(cur, 4),
        .level = store_col_int(cur, 5),
        .rule_id = store_col_text(cur, 6),
        .rule_version = store_col_int(cur, 7),
        .base = store_col_int(cur, 8),
        .amount = store_col_int(cur, 9),
        .reversed = store_col_int(cur, 10),
        .currency = store_col_text(cur, 11),
        .status = store_col_text(cur, 12),
        .explanation = store_col_text(cur, 13),
        .hold_until = store_col_int(cur, 14),
        .created_at = store_col_int(cur, 15),
    };
    return commission_json_from(&c);
}

json_t *conversion_json_from(const struct conversion_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "object", json_string("conversion"));
    json_object_set_new(o, "program_id", json_string(r->program_id));
    json_object_set_new(o, "order_id", json_string(r->order_id));
    json_object_set_new(o, "amount", json_integer(r->amount));
    json_object_set_new(o, "currency", json_string(r->currency));
    json_object_set_new(o, "partner_id", pd_json_str_or_null(r->partner_id));
    json_t *attr = json_object();
    json_object_set_new(attr, "method", json_string(r->method));
    json_object_set_new(attr, "click_id", pd_json_str_or_null(r->click_id));
    json_object_set_new(attr, "reason", pd_json_str_or_null(r->reason));
    json_object_set_new(o, "attribution", attr);
    json_object_set_new(o, "customer_id", pd_json_str_or_null(r->customer_id));
    json_object_set_new(o, "coupon", pd_json_str_or_null(r->coupon));
    json_object_set_new(o, "ref", pd_json_str_or_null(r->ref));
    json_object_set_new(o, "fraud_reason", pd_json_str_or_null(r->fraud_reason));
    json_object_set_new(o, "refunded_amount", json_integer(r->refunded_amount));
    json_object_set_new(o, "items", r->items ? json_loads(r->items, 0, NULL) : json_null());
    json_object_set_new(o, "metadata",
                        r->metadata ? json_loads(r->metadata, 0, NULL) : json_null());
    json_object_set_new(o, "occurred_at", pd_json_time(r->occurred_at));
    json_object_set_new(o, "created", pd_json_time(r->created_at));
    return o;
}

json_t *conversion_json(struct store *s, const char *id, struct arena *a, struct pd_err *err)
{
    struct db_val p = db_text(id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT id, program_id, order_id, amount, currency, partner_id,"
                             " attribution_method, click_id, attribution_reason, customer_id,"
                             " coupon, ref, fraud_reason, refunded_amount, items, metadata,"
                             " occurred_at, created_at FROM conversions WHERE id = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return NULL;
    if (rc == STORE_DONE) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no conversion %s", id);
        return NULL;
    }
    struct conversion_row r = {
        .id = store_col_text(&cur, 0),
        .program_id = store_col_text(&cur, 1),
        .order_id = store_col_text(&cur, 2),
        .amount = store_col_int(&cur, 3),
        .currency = store_col_text(&cur, 4),
        .partner_id = col_text_or_null(&cur, 5),
        .method = store_col_text(&cur, 6),
        .click_id = col_text_or_null(&cur, 7),
        .reason = col_text_or_null(&cur, 8),
        .customer_id = col_text_or_null(&cur, 9),
        .coupon = col_text_or_null(&cur, 10),
        .ref = col_text_or_null(&cur, 11),
        .fraud_reason = col_text_or_null(&cur, 12),
        .refunded_amount = store_col_int(&cur, 13),
        .items = col_text_or_null(&cur, 14),
        .metadata = col_text_or_null(&cur, 15),
        .occurred_at = store_col_int(&cur, 16),
        .created_at = store_col_int(&cur, 17),
    };
    json_t *o = conversion_json_from(&r);
    store_finish(&cur);

    json_t *list = json_array();
    rc = store_query(s,
                     "SELECT " COMMISSION_COLUMNS
                     " FROM commissions WHERE conversion_id = ?1 ORDER BY level, id",
                     &p, 1, &cur, err);
    if (rc == 0) {
        while ((rc = store_step(&cur, err)) == STORE_ROW)
            json_array_append_new(list, commission_json_row(&cur));
        store_finish(&cur);
    }
    json_object_set_new(o, "commissions", list);
    if (rc < 0) {
        json_decref(o);
        return NULL;
    }
    (void)a;
    return o;
}

json_t *commission_explained(struct store *s, const char *id, struct arena *a, struct pd_err *err)
{
    struct db_val p = db_text(id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT " COMMISSION_COLUMNS ", details, approved_at,"
                             " rejected_reason, payout_id FROM commissions WHERE id = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return NULL;
    if (rc == STORE_DONE) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no commission %s", id);
        return NULL;
    }
    json_t *o = commission_json_row(&cur);
    json_object_set_new(o, "details",
                        store_is_null(&cur, 16) ? json_null()
                                                : json_loads(store_col_text(&cur, 16), 0, NULL));
    json_object_set_new(o, "approved_at",
                        store_is_null(&cur, 17) ? json_null()
                                                : pd_json_time(store_col_int(&cur, 17)));
    json_object_set_new(o, "rejected_reason",
                        store_is_null(&cur, 18) ? json_null()
                                                : json_string(store_col_text(&cur, 18)));
    json_object_set_new(o, "payout_id",
                        store_is_null(&cur, 19) ? json_null()
                                                : json_string(store_col_text(&cur, 19)));
    const char *program_id = col_dup(a, &cur, 1);
    const char *rule_id = col_dup(a, &cur, 6);
    int version = (int)store_col_int(&cur, 7);
    store_finish(&cur);
    /* The rule as it was at that version: editing rules never changes what a commission shows. */
    const char *rules_text = program_rules_at(s, program_id, version, a, err);
    json_t *rule = json_null();
    json_t *rules = rules_text ? json_loads(rules_text, 0, NULL) : NULL;
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r)
    {
        const char *rid = json_string_value(json_object_get(r, "id"));
        char implicit[24];
        snprintf(implicit, sizeof implicit, "r%zu", i);
        if ((rid && strcmp(rid, rule_id) == 0) || (!rid && strcmp(implicit, rule_id) == 0)) {
            rule = json_incref(r);
            break;
        }
    }
    json_decref(rules);
    json_object_set_new(o, "rule", rule);
    return o;
}

static json_t *time_or_null(struct store_cursor *cur, int col)
{
    return store_is_null(cur, col) ? json_null() : pd_json_time(store_col_int(cur, col));
}

/* A batch's items, in partner order. */
static json_t *payout_items_json(struct store *s, const char *payout_id, struct pd_err *err)
{
    struct db_val k = db_text(payout_id);
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT id, partner_id, amount, currency, method, reference, status, reason,"
                    " channel, sent_at, paid_at, failed_at FROM payout_items"
                    " WHERE payout_id = ?1 ORDER BY partner_id",
                    &k, 1, &cur, err) < 0)
        return NULL;
    json_t *items = json_array();
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        json_t *m = store_is_null(&cur, 4) ? NULL : json_loads(store_col_text(&cur, 4), 0, NULL);
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(store_col_text(&cur, 0)));
        json_object_set_new(o, "partner_id", json_string(store_col_text(&cur, 1)));
        json_object_set_new(o, "amount", json_integer(store_col_int(&cur, 2)));
        json_object_set_new(o, "currency", json_string(store_col_text(&cur, 3)));
        json_object_set_new(o, "method", m ? m : json_null());
        json_object_set_new(o, "reference", json_string(store_col_text(&cur, 5)));
        json_object_set_new(o, "status", json_string(store_col_text(&cur, 6)));
        json_object_set_new(o, "reason",
                            store_is_null(&cur, 7) ? json_null()
                                                   : json_string(store_col_text(&cur, 7)));
        json_object_set_new(o, "channel",
                            store_is_null(&cur, 8) ? json_null()
                                                   : json_string(store_col_text(&cur, 8)));
        json_object_set_new(o, "sent_at", time_or_null(&cur, 9));
        json_object_set_new(o, "paid_at", time_or_null(&cur, 10));
        json_object_set_new(o, "failed_at", time_or_null(&cur, 11));
        json_array_append_new(items, o);
    }
    store_finish(&cur);
    if (rc < 0) {
        json_decref(items);
        return NULL;
    }
    return items;
}

json_t *payout_json(struct store *s, const char *payout_id, bool with_items, struct pd_err *err)
{
    struct db_val k = db_text(payout_id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT id, program_id, period, status, total, currency, created_at,"
                             " updated_at, exported_at, sent_at, paid_at,"
                             " (SELECT COUNT(*) FROM payout_items WHERE payout_id = ?1),"
                             " (SELECT COUNT(*) FROM payout_items WHERE payout_id = ?1"
                             "  AND status = 'held'),"
                             " (SELECT COALESCE(SUM(amount), 0) FROM payout_items"
                             "  WHERE payout_id = ?1 AND status = 'held')"
                             " FROM payouts WHERE id = ?1",
                             &k, 1, &cur, err);
    if (rc < 0)
        return NULL;
    if (rc == STORE_DONE) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no payout %s", payout_id);
        return NULL;
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(store_col_text(&cur, 0)));
    json_object_set_new(o, "object", json_string("payout"));
    json_object_set_new(o, "program_id", json_string(store_col_text(&cur, 1)));
    json_object_set_new(o, "period", json_string(store_col_text(&cur, 2)));
    json_object_set_new(o, "status", json_string(store_col_text(&cur, 3)));
    json_object_set_new(o, "total", json_integer(store_col_int(&cur, 4)));
    json_object_set_new(o, "currency", json_string(store_col_text(&cur, 5)));
    json_object_set_new(o, "created", pd_json_time(store_col_int(&cur, 6)));
    json_object_set_new(o, "updated", pd_json_time(store_col_int(&cur, 7)));
    json_object_set_new(o, "exported_at", time_or_null(&cur, 8));
    json_object_set_new(o, "sent_at", time_or_null(&cur, 9));
    json_object_set_new(o, "paid_at", time_or_null(&cur, 10));
    json_object_set_new(o, "item_count", json_integer(store_col_int(&cur, 11)));
    json_object_set_new(o, "held_count", json_integer(store_col_int(&cur, 12)));
    json_object_set_new(o, "held_total", json_integer(store_col_int(&cur, 13)));
    store_finish(&cur);
    if (!with_items)
        return o;
    json_t *items = payout_items_json(s, payout_id, err);
    if (!items) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "items", items);
    return o;
}

json_t *payout_statement_json(struct store_cursor *cur)
{
    /* A partner sees its item: pending until it leaves, then sent, then paid (or failed). */
    const char *status = store_col_text(cur, 2);
    if (strcmp(status, "payable") == 0 || strcmp(status, "held") == 0)
        status = "pending";
    json_t *o = json_object();
    json_object_set_new(o, "payout_id", json_string(store_col_text(cur, 0)));
    json_object_set_new(o, "object", json_string("payout_statement"));
    json_object_set_new(o, "period", json_string(store_col_text(cur, 1)));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "amount", json_integer(store_col_int(cur, 3)));
    json_object_set_new(o, "currency", json_string(store_col_text(cur, 4)));
    json_object_set_new(o, "reference", json_string(store_col_text(cur, 5)));
    json_object_set_new(o, "created", pd_json_time(store_col_int(cur, 6)));
    json_object_set_new(o, "sent_at", time_or_null(cur, 7));
    json_object_set_new(o, "paid_at", time_or_null(cur, 8));
    json_object_set_new(o, "failed_at", time_or_null(cur, 9));
    json_object_set_new(
        o, "reason", store_is_null(cur, 10) ? json_null() : json_string(store_col_text(cur, 10)));
    return o;
}
