/* Ledger postings: every write that moves money appends its entry here, in the caller's
 * transaction, and the partner's running balance moves with it (core/ledger.c decides the
 * amounts of each bucket). */
#include "app/postings.h"

#include "core/ids.h"
#include "core/money.h"
#include "store/totals.h"
#include "util/banned.h"

int ledger_balance_add(struct store *s, const char *partner_id, int64_t pending, int64_t approved,
                       int64_t paid, const char *what, struct pd_err *err)
{
    struct db_val b[4] = {db_text(partner_id), db_int(pending), db_int(approved), db_int(paid)};
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "INSERT INTO partner_balances (partner_id, pending, approved, paid)"
                             " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (partner_id) DO UPDATE SET"
                             " pending = partner_balances.pending + excluded.pending,"
                             " approved = partner_balances.approved + excluded.approved,"
                             " paid = partner_balances.paid + excluded.paid"
                             " RETURNING pending, approved, paid",
                             b, 4, &cur, err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "no balance row for %s", partner_id);
    bool ok = true;
    for (int i = 0; i < 3; i++) {
        int64_t bucket = 0;
        ok = ok && store_col_int_exact(&cur, i, &bucket) && money_total_ok(bucket);
    }
    store_finish(&cur);
    if (!ok)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount",
                          "this %s would take partner %s's balance past %lld minor units, the "
                          "largest total partnerd keeps",
                          what, partner_id, (long long)MONEY_MAX_TOTAL);
    return 0;
}

int ledger_append(struct store *s, const char *program_id, const char *partner_id,
                  const char *commission_id, const char *payout_id, const char *currency,
                  const struct ledger_delta *d, int64_t now, struct pd_err *err)
{
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "led_", (uint64_t)now);
    struct db_val v[11] = {db_text(id),
                           db_text(program_id),
                           db_text(partner_id),
                           db_text(commission_id),
                           db_text(payout_id),
                           db_text(currency),
                           db_text(ledger_kind_name(d->kind)),
                           db_int(d->pending),
                           db_int(d->approved),
                           db_int(d->paid),
                           db_int(now)};
    if (store_write(s,
                    "INSERT INTO ledger_entries (id, program_id, partner_id, commission_id,"
                    " payout_id, currency, kind, pending, approved, paid, created_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    v, 11, err) < 0)
        return -1;
    /* Deferred: only increments (store/totals.h), added once per batch. */
    if (s->defer_totals && d->pending >= 0 && d->approved >= 0 && d->paid >= 0) {
        const char *key[TOTAL_TEXTS] = {partner_id, NULL, NULL};
        int64_t inc[TOTAL_VALUES] = {d->pending, d->approved, d->paid, 0, 0};
        return store_total_add(s, TOTAL_BALANCE, key, 0, inc) == 0 ? 0 : store_totals_first(s, err);
    }
    if (store_totals_pending(s))
        return store_totals_first(s, err);
    /* An entry never exceeds MONEY_MAX_AMOUNT and a bucket never MONEY_MAX_TOTAL, so the addition
     * stays far inside int64. */
    return ledger_balance_add(s, partner_id, d->pending, d->approved, d->paid,
                              ledger_kind_name(d->kind), err);
}

/* The items payout_items_send moved: sent through ?2 at ?3. */
#define JUST_SENT " payout_id = ?1 AND status = 'sent' AND channel = ?2 AND sent_at = ?3"

int ledger_append_payout_items(struct store *s, const char *program_id, const char *payout_id,
                               const char *channel, int64_t sent_ms, struct pd_err *err)
{
    struct db_val v[4] = {db_text(payout_id), db_text(channel), db_int(sent_ms),
                          db_text(program_id)};
    /* One entry per item, named after the item's reference (unique), so the set needs no ids
     * made one by one. */
    if (store_exec(s,
                   "INSERT INTO ledger_entries (id, program_id, partner_id, commission_id,"
                   " payout_id, currency, kind, pending, approved, paid, created_at)"
                   " SELECT 'led_po_' || reference, ?4, partner_id, NULL, payout_id, currency,"
                   " 'payout', 0, -amount, amount, ?3 FROM payout_items WHERE" JUST_SENT,
                   v, 4, NULL, err) < 0 ||
        store_exec(s,
                   "UPDATE partner_balances SET"
                   " approved = approved - (SELECT i.amount FROM payout_items i"
                   "  WHERE i.payout_id = ?1 AND i.partner_id = partner_balances.partner_id),"
                   " paid = paid + (SELECT i.amount FROM payout_items i"
                   "  WHERE i.payout_id = ?1 AND i.partner_id = partner_balances.partner_id)"
                   " WHERE partner_id IN (SELECT partner_id FROM payout_items WHERE" JUST_SENT ")",
                   v, 3, NULL, err) < 0)
        return -1;
    int64_t beyond = 0;
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM partner_balances WHERE paid > " MONEY_MAX_TOTAL_SQL
                        " AND partner_id IN (SELECT partner_id FROM payout_items WHERE" JUST_SENT
                        ")",
                        v, 3, 0, &beyond, err) < 0)
        return -1;
    if (beyond)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount",
                          "this payout would take a partner's paid balance past %lld minor "
                          "units, the largest total partnerd keeps",
                          (long long)MONEY_MAX_TOTAL);
    return 0;
}
