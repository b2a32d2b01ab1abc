/* Payout statements (app/statements.h), read from the batch's item, the commissions it paid
 * (commissions.payout_id), their reversals and the partner's claw-backs in the ledger. */
#include "app/statements.h"

#include <stdlib.h>
#include <string.h>

#include "app/fields.h"
#include "core/statement.h"
#include "util/arena.h"
#include "util/banned.h"

struct stmt_item {
    const char *id, *payout_id, *partner_id, *reference, *status, *currency, *method, *period;
    const char *program_id, *program_name, *debtor, *partner_name, *partner_email;
    int64_t amount, sent_at, paid_at;
};

#define ITEM_SELECT                                                                                \
    "SELECT i.id, i.payout_id, i.partner_id, i.reference, i.status, i.currency, i.method,"         \
    " y.period, y.program_id, g.name, g.payout_debtor, p.name, p.email, i.amount,"                 \
    " COALESCE(i.sent_at, 0), COALESCE(i.paid_at, 0)"                                              \
    " FROM payout_items i JOIN payouts y ON y.id = i.payout_id"                                    \
    " JOIN programs g ON g.id = y.program_id JOIN partners p ON p.id = i.partner_id"

static int item_load(struct store *s, const char *payout_id, const char *item_id,
                     const char *partner_id, struct arena *a, struct stmt_item *it,
                     struct pd_err *err)
{
    struct db_val k[2] = {db_text(payout_id), db_text(item_id ? item_id : partner_id)};
    struct store_cursor cur;
    int rc = item_id
                 ? store_query_row(s,
                                   ITEM_SELECT " WHERE i.payout_id = ?1"
                                               " AND (i.id = ?2 OR i.reference = ?2)",
                                   k, 2, &cur, err)
                 : store_query_row(s, ITEM_SELECT " WHERE i.payout_id = ?1 AND i.partner_id = ?2",
                                   k, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no such payout item");
    const char **text[13] = {
        &it->id,       &it->payout_id,    &it->partner_id,   &it->reference,  &it->status,
        &it->currency, &it->method,       &it->period,       &it->program_id, &it->program_name,
        &it->debtor,   &it->partner_name, &it->partner_email};
    for (int i = 0; i < 13; i++)
        *text[i] = col_dup(a, &cur, i);
    it->amount = store_col_int(&cur, 13);
    it->sent_at = store_col_int(&cur, 14);
    it->paid_at = store_col_int(&cur, 15);
    store_finish(&cur);
    if (strcmp(it->status, "paid") != 0)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "id",
                          "the item is %s: a statement exists once it is paid", it->status);
    return 0;
}

/* The commissions the item paid, each with what was reversed before the payment left; their
 * lines (malloc'd) for the totals. */
static json_t *commissions(struct store *s, const struct stmt_item *it,
                           struct statement_line **lines, size_t *n, struct pd_err *err)
{
    struct db_val k[3] = {db_text(it->payout_id), db_text(it->partner_id), db_int(it->sent_at)};
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT c.id, c.conversion_id, v.order_id, c.created_at, c.amount,"
                    " COALESCE((SELECT -SUM(e.pending + e.approved) FROM ledger_entries e"
                    "  WHERE e.commission_id = c.id AND e.kind = 'reversal'"
                    "  AND e.created_at <= ?3), 0)"
                    " FROM commissions c LEFT JOIN conversions v ON v.id = c.conversion_id"
                    " WHERE c.payout_id = ?1 AND c.partner_id = ?2 ORDER BY c.created_at, c.id",
                    k, 3, &cur, err) < 0)
        return NULL;
    json_t *list = json_array();
    size_t cap = 0;
    *n = 0;
    *lines = NULL;
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *lines = realloc(*lines, cap * sizeof **lines);
            if (!*lines)
                abort();
        }
        struct statement_line *l = &(*lines)[(*n)++];
        l->amount = store_col_int(&cur, 4);
        l->reversed = store_col_int(&cur, 5);
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(store_col_text(&cur, 0)));
        json_object_set_new(o, "conversion_id",
                            store_is_null(&cur, 1) ? json_null()
                                                   : json_string(store_col_text(&cur, 1)));
        json_object_set_new(o, "order_id",
                            store_is_null(&cur, 2) ? json_null()
                                                   : json_string(store_col_text(&cur, 2)));
        json_object_set_new(o, "created", pd_json_time(store_col_int(&cur, 3)));
        json_object_set_new(o, "amount", pd_json_money(l->amount));
        json_object_set_new(o, "reversed", pd_json_money(l->reversed));
        json_array_append_new(list, o);
    }
    store_finish(&cur);
    if (rc < 0) {
        json_decref(list);
        free(*lines);
        *lines = NULL;
        return NULL;
    }
    return list;
}

/* The claw-backs (refunds after an earlier payment) posted since the partner's previous payment
 * left, up to this one: what the balance carried into the item. */
static json_t *clawbacks(struct store *s, const struct stmt_item *it, struct pd_err *err)
{
    struct db_val k[3] = {db_text(it->partner_id), db_int(it->sent_at), db_text(it->id)};
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT e.commission_id, e.approved, e.created_at FROM ledger_entries e"
                    " WHERE e.partner_id = ?1 AND e.kind = 'clawback' AND e.created_at <= ?2"
                    " AND e.created_at > COALESCE((SELECT MAX(i.sent_at) FROM payout_items i"
                    "  WHERE i.partner_id = ?1 AND i.id <> ?3 AND i.sent_at < ?2"
                    "  AND i.status = 'paid'), 0)"
                    " ORDER BY e.created_at, e.id",
                    k, 3, &cur, err) < 0)
        return NULL;
    json_t *list = json_array();
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW)
        json_array_append_new(
            list,
            json_pack("{s:o, s:o, s:o}", "commission_id",
                      store_is_null(&cur, 0) ? json_null() : json_string(store_col_text(&cur, 0)),
                      "amount", pd_json_money(store_col_int(&cur, 1)), "created",
                      pd_json_time(store_col_int(&cur, 2))));
    store_finish(&cur);
    if (rc < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

/* Both parties: the merchant's program and debtor name, the partner and the account paid. */
static void parties(json_t *o, const struct stmt_item *it)
{
    json_t *debtor = it->debtor ? json_loads(it->debtor, 0, NULL) : NULL;
    json_t *debtor_name = json_object_get(debtor, "name");
    json_object_set_new(o, "merchant",
                        json_pack("{s:s, s:s, s:O}", "program_id", it->program_id, "name",
                                  it->program_name, "debtor_name",
                                  debtor_name ? debtor_name : json_null()));
    json_decref(debtor);
    json_t *method = it->method ? json_loads(it->method, 0, NULL) : NULL;
    json_object_set_new(o, "partner",
                        json_pack("{s:s, s:s, s:s, s:o}", "id", it->partner_id, "name",
                                  it->partner_name, "email", it->partner_email, "payout_method",
                                  method ? method : json_null()));
}

json_t *statement_json(struct store *s, const char *payout_id, const char *item_id,
                       const char *partner_id, struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 2048);
    struct stmt_item it;
    struct statement_line *lines = NULL;
    size_t n = 0;
    json_t *o = NULL, *list = NULL, *claws = NULL;
    if (item_load(s, payout_id, item_id, partner_id, &a, &it, err) < 0 ||
        !(list = commissions(s, &it, &lines, &n, err)) || !(claws = clawbacks(s, &it, err)))
        goto done;
    struct statement_totals t;
    if (!statement_totals(lines, n, it.amount, &t)) {
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "the item's commissions do not add up");
        goto done;
    }
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "object", "statement", "id",
                  it.id, "payout_id", it.payout_id, "reference", it.reference, "period", it.period,
                  "status", it.status, "currency", it.currency, "sent_at", pd_json_time(it.sent_at),
                  "paid_at", pd_json_time(it.paid_at));
    parties(o, &it);
    json_object_set_new(o, "commissions", list);
    json_object_set_new(o, "clawbacks", claws);
    list = claws = NULL;
    json_object_set_new(o, "commissions_total", pd_json_money(t.commissions));
    json_object_set_new(o, "reversals_total", pd_json_money(t.reversals));
    json_object_set_new(o, "carried", pd_json_money(t.carried));
    json_object_set_new(o, "total", pd_json_money(t.total));
done:
    json_decref(list);
    json_decref(claws);
    free(lines);
    arena_free(&a);
    return o;
}
