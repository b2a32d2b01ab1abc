/* The payouts and payout_items tables (app/payout_batches.h): every write of a batch and of its
 * items, each one statement over the whole batch where it can be, so a batch of many partners is
 * made, refreshed or sent in a few set-based statements. */
#include "app/payout_batches.h"

#include <stdio.h>
#include <string.h>

#include "app/fields.h"
#include "core/sepa_text.h"
#include "util/banned.h"

int payout_batch_load(struct store *s, const char *id, struct arena *a, struct payout_batch *b,
                      struct pd_err *err)
{
    struct db_val k = db_text(id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT id, program_id, period, status, currency, total, updated_at,"
                             " exported_at FROM payouts WHERE id = ?1",
                             &k, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no payout %s", id);
    b->id = col_dup(a, &cur, 0);
    b->program_id = col_dup(a, &cur, 1);
    b->period = col_dup(a, &cur, 2);
    b->status = col_dup(a, &cur, 3);
    b->currency = col_dup(a, &cur, 4);
    b->total = store_col_int(&cur, 5);
    b->updated_at = store_col_int(&cur, 6);
    b->exported_at = store_is_null(&cur, 7) ? 0 : store_col_int(&cur, 7);
    store_finish(&cur);
    return 0;
}

int payout_batch_draft_of(struct store *s, const char *program_id, struct arena *a, const char **id,
                          const char **period, struct pd_err *err)
{
    struct db_val k = db_text(program_id);
    struct store_cursor cur;
    *id = *period = NULL;
    int rc = store_query_row(s,
                             "SELECT id, period FROM payouts WHERE program_id = ?1"
                             " AND status = 'draft' ORDER BY id DESC LIMIT 1",
                             &k, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_ROW) {
        *id = col_dup(a, &cur, 0);
        *period = col_dup(a, &cur, 1);
        store_finish(&cur);
    }
    return 0;
}

int payout_batch_insert(struct store *s, const char *id, const char *program_id, const char *period,
                        const char *currency, int64_t now_ms, struct pd_err *err)
{
    struct db_val p[5] = {db_text(id), db_text(program_id), db_text(period), db_text(currency),
                          db_int(now_ms)};
    return store_exec(s,
                      "INSERT INTO payouts (id, program_id, period, status, total, currency,"
                      " created_at, updated_at) VALUES (?1, ?2, ?3, 'draft', 0, ?4, ?5, ?5)",
                      p, 5, NULL, err);
}

static int update_total(struct store *s, const char *id, struct pd_err *err)
{
    struct db_val k = db_text(id);
    return store_exec(s,
                      "UPDATE payouts SET total = (SELECT COALESCE(SUM(amount), 0)"
                      " FROM payout_items WHERE payout_id = ?1 AND status <> 'held')"
                      " WHERE id = ?1",
                      &k, 1, NULL, err);
}

/* Why a partner's item is held, as SQL over partners p and the amount: suspended first, then no
 * method, then below the program's minimum (?3). */
#define HELD_REASON                                                                                \
    "CASE WHEN p.status = 'suspended' THEN 'suspended'"                                            \
    " WHEN p.payout_method IS NULL OR p.payout_method = '' THEN 'no_payout_method'"                \
    " WHEN b.approved < ?3 THEN 'below_min_payout' END"

int payout_batch_compute(struct store *s, const char *id, const char *program_id,
                         int64_t min_payout, const char *currency, int64_t now_ms, int64_t *items,
                         struct pd_err *err)
{
    /* References: the batch id's tail, '-', the item's number; room is kept for seven digits. */
    char prefix[PAYOUT_REF_MAX + 1];
    size_t len = payout_ref_make(id, 9999999, prefix);
    prefix[len - 8] = '\0';
    struct db_val k[6] = {db_text(id),     db_text(program_id), db_int(min_payout),
                          db_text(prefix), db_text(currency),   db_int(now_ms)};
    *items = 0;
    if (store_exec(s, "DELETE FROM payout_items WHERE payout_id = ?1", k, 1, NULL, err) < 0 ||
        store_exec(
            s,
            "INSERT INTO payout_items (id, payout_id, partner_id, amount, currency, method,"
            " reference, status, reason)"
            " SELECT 'poi_' || CAST(?4 AS TEXT) || '-' || CAST(x.n AS TEXT), ?1, x.id, x.amount,"
            " ?5, x.payout_method, CAST(?4 AS TEXT) || '-' || CAST(x.n AS TEXT),"
            " CASE WHEN x.reason IS NULL THEN 'payable' ELSE 'held' END, x.reason"
            " FROM (SELECT p.id, b.approved AS amount, p.payout_method,"
            "  " HELD_REASON " AS reason, ROW_NUMBER() OVER (ORDER BY p.id) AS n"
            "  FROM partners p JOIN partner_balances b ON b.partner_id = p.id"
            "  WHERE p.program_id = ?2 AND b.approved > 0) x",
            k, 5, items, err) < 0)
        return -1;
    struct db_val u[2] = {db_text(id), db_int(now_ms)};
    if (store_exec(s, "UPDATE payouts SET updated_at = ?2 WHERE id = ?1", u, 2, NULL, err) < 0)
        return -1;
    return update_total(s, id, err);
}

int payout_drafts_reduce_partner(struct store *s, const char *program_id, const char *partner_id,
                                 int64_t delta, struct pd_err *err)
{
    struct db_val k[3] = {db_text(program_id), db_text(partner_id), db_int(delta)};
#define DRAFT_ITEM                                                                                 \
    " partner_id = ?2 AND payout_id IN (SELECT id FROM payouts WHERE program_id = ?1"              \
    " AND status = 'draft')"
#define BALANCE "(SELECT b.approved FROM partner_balances b WHERE b.partner_id = ?2)"
    int64_t changed = 0;
    if (store_exec(s,
                   "UPDATE payout_items SET amount = CASE WHEN amount - ?3 < " BALANCE
                   " THEN amount - ?3 ELSE " BALANCE " END WHERE" DRAFT_ITEM,
                   k, 3, &changed, err) < 0)
        return -1;
    if (changed == 0)
        return 0;
    if (store_exec(s, "DELETE FROM payout_items WHERE amount <= 0 AND" DRAFT_ITEM, k, 2, NULL,
                   err) < 0 ||
        store_exec(
            s,
            "UPDATE payout_items SET reason = CASE"
            " WHEN (SELECT status FROM partners WHERE id = ?2) = 'suspended' THEN 'suspended'"
            " WHEN method IS NULL OR method = '' THEN 'no_payout_method'"
            " WHEN amount < (SELECT min_payout FROM programs WHERE id = ?1)"
            "  THEN 'below_min_payout' END WHERE" DRAFT_ITEM,
            k, 2, NULL, err) < 0 ||
        store_exec(s,
                   "UPDATE payout_items SET status = CASE WHEN reason IS NULL THEN 'payable'"
                   " ELSE 'held' END WHERE" DRAFT_ITEM,
                   k, 2, NULL, err) < 0)
        return -1;
#undef DRAFT_ITEM
#undef BALANCE
    return store_exec(s,
                      "UPDATE payouts SET total = (SELECT COALESCE(SUM(i.amount), 0)"
                      " FROM payout_items i WHERE i.payout_id = payouts.id"
                      " AND i.status <> 'held') WHERE program_id = ?1 AND status = 'draft'",
                      k, 1, NULL, err);
}

int payout_batch_delete(struct store *s, const char *id, struct pd_err *err)
{
    struct db_val k = db_text(id);
    if (store_exec(s, "DELETE FROM payout_items WHERE payout_id = ?1", &k, 1, NULL, err) < 0)
        return -1;
    return store_exec(s, "DELETE FROM payouts WHERE id = ?1 AND status = 'draft'", &k, 1, NULL,
                      err);
}

/* Items of a method type ("paypal", "iban" or NULL: any), found in the method's JSON: an
 * unescaped "type":"…" pair can only be the key, as quotes inside strings are escaped. The type is
 * one of ours, never the caller's text. */
static const char *method_is(const char *type)
{
    if (!type)
        return "";
    return strcmp(type, "paypal") == 0 ? " AND method LIKE '%\"type\":\"paypal\"%'"
                                       : " AND method LIKE '%\"type\":\"iban\"%'";
}

int payout_items_send(struct store *s, const char *id, const char *method_type, const char *channel,
                      const char *batch_status, int64_t now_ms, int64_t *count, struct pd_err *err)
{
    struct db_val k[4] = {db_text(id), db_text(channel), db_int(now_ms), db_text(batch_status)};
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE payout_items SET status = 'sent', channel = ?2, sent_at = ?3"
             " WHERE payout_id = ?1 AND status = 'payable'%s",
             method_is(method_type));
    *count = 0;
    /* A partner suspended since the batch was computed is held, never paid. */
    int64_t held = 0;
    if (store_exec(s,
                   "UPDATE payout_items SET status = 'held', reason = 'suspended'"
                   " WHERE payout_id = ?1 AND status = 'payable' AND partner_id IN"
                   " (SELECT id FROM partners WHERE status = 'suspended')",
                   k, 1, &held, err) < 0 ||
        (held && update_total(s, id, err) < 0))
        return -1;
    if (store_exec(s, sql, k, 3, count, err) < 0)
        return -1;
    if (*count == 0)
        return 0;
    return store_exec(s,
                      "UPDATE payouts SET status = CASE WHEN status = 'draft' THEN ?4"
                      " ELSE status END,"
                      " exported_at = CASE WHEN ?4 = 'exported' AND exported_at IS NULL"
                      "  THEN ?3 ELSE exported_at END,"
                      " sent_at = CASE WHEN ?4 = 'sent' AND sent_at IS NULL THEN ?3"
                      "  ELSE sent_at END"
                      " WHERE id = ?1",
                      k, 4, NULL, err);
}

int payout_items_channel(struct store *s, const char *id, const char *method_type, struct arena *a,
                         const char **channel, struct pd_err *err)
{
    struct db_val k = db_text(id);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT channel FROM payout_items WHERE payout_id = ?1 AND channel IS NOT NULL%s"
             " LIMIT 1",
             method_is(method_type));
    struct store_cursor cur;
    *channel = NULL;
    int rc = store_query_row(s, sql, &k, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_ROW) {
        *channel = col_dup(a, &cur, 0);
        store_finish(&cur);
    }
    return 0;
}

int payout_items_pay_all(struct store *s, const char *id, int64_t now_ms, int64_t *count,
                         struct pd_err *err)
{
    struct db_val k[2] = {db_text(id), db_int(now_ms)};
    return store_exec(s,
                      "UPDATE payout_items SET status = 'paid', paid_at = ?2"
                      " WHERE payout_id = ?1 AND status = 'sent'",
                      k, 2, count, err);
}

int payout_item_find(struct store *s, const char *id, const char *reference, struct arena *a,
                     struct payout_item_ref *it, struct pd_err *err)
{
    struct db_val k[2] = {db_text(id), db_text(reference)};
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT partner_id, status, currency, amount, channel FROM payout_items"
                             " WHERE payout_id = ?1 AND reference = ?2",
                             k, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "item", "payout %s has no item %s", id, reference);
    it->partner_id = col_dup(a, &cur, 0);
    it->status = col_dup(a, &cur, 1);
    it->currency = col_dup(a, &cur, 2);
    it->amount = store_col_int(&cur, 3);
    it->channel = store_is_null(&cur, 4) ? NULL : col_dup(a, &cur, 4);
    store_finish(&cur);
    return 0;
}

int payout_item_set(struct store *s, const char *id, const char *reference, const char *from,
                    bool paid, const char *reason, int64_t now_ms, struct pd_err *err)
{
    struct db_val k[5] = {db_text(id), db_text(reference), db_text(from), db_int(now_ms),
                          db_text(reason)};
    int64_t changed = 0;
    int rc = paid ? store_exec(s,
                               "UPDATE payout_items SET status = 'paid', paid_at = ?4"
                               " WHERE payout_id = ?1 AND reference = ?2 AND status = ?3",
                               k, 4, &changed, err)
                  : store_exec(s,
                               "UPDATE payout_items SET status = 'failed', failed_at = ?4,"
                               " reason = ?5"
                               " WHERE payout_id = ?1 AND reference = ?2 AND status = ?3",
                               k, 5, &changed, err);
    if (rc < 0)
        return -1;
    if (changed != 1)
        return pd_err_set(err, PD_ERR_CONFLICT, "item", "item %s is no longer %s", reference, from);
    return 0;
}

int payout_batch_settle_if_done(struct store *s, const char *id, int64_t now_ms, bool *paid,
                                struct pd_err *err)
{
    struct db_val k[2] = {db_text(id), db_int(now_ms)};
    int64_t changed = 0;
    if (store_exec(s,
                   "UPDATE payouts SET status = 'paid', paid_at = ?2 WHERE id = ?1"
                   " AND status IN ('exported', 'sent') AND NOT EXISTS (SELECT 1 FROM"
                   " payout_items WHERE payout_id = ?1 AND status IN ('payable', 'sent'))",
                   k, 2, &changed, err) < 0)
        return -1;
    *paid = changed == 1;
    return 0;
}
