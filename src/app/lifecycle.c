/* A commission's life after it is made (app/lifecycle.h), and ledger_append, the one function that
 * writes ledger entries and keeps partner_balances equal to their sum. Every transition checks the
 * commission's current status in the caller's transaction and posts the matching entry
 * (core/ledger.c), so balances and statuses never disagree. */
#include "app/lifecycle.h"

#include <string.h>

#include "app/events.h" /* webhooks */
#include "app/fields.h"
#include "app/payout_batches.h"
#include "app/postings.h"
#include "app/rollups.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "util/banned.h"

#define DAY_MS (86400LL * 1000)

int commission_insert(struct store *s, const struct program *prog, const struct commission_new *c,
                      int64_t now, struct arena *a, struct commission_row *row,
                      struct pd_err *err)
{
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "com_", (uint64_t)now);
    int64_t hold_until = now + (int64_t)prog->hold_days * DAY_MS;
    struct db_val v[16] = {db_text(id),           db_text(prog->id),
                           db_text(c->partner_id), db_text(c->conversion_id),
                           db_text(c->lead_id),   db_int(c->level),
                           db_text(c->rule_id),   db_int(prog->rules.version),
                           db_int(c->base),       db_int(c->amount),
                           db_text(prog->currency->code), db_text(c->explanation),
                           db_int(hold_until),    db_int(now),
                           db_int(now),           db_text(c->details)};
    int rc = store_write(s,
                         "INSERT INTO commissions (id, program_id, partner_id, conversion_id,"
                         " lead_id, level, rule_id, rule_version, base, amount, reversed, currency,"
                         " status, explanation, hold_until, created_at, updated_at, details)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, 'pending', ?12,"
                         " ?13, ?14, ?15, ?16)",
                         v, 16, err);
    if (rc < 0)
        return rc;
    if (row)
        *row = (struct commission_row){
            .id = arena_strdup(a, id),
            .program_id = prog->id,
            .partner_id = arena_strdup(a, c->partner_id),
            .conversion_id = c->conversion_id ? arena_strdup(a, c->conversion_id) : NULL,
            .lead_id = c->lead_id ? arena_strdup(a, c->lead_id) : NULL,
            .rule_id = arena_strdup(a, c->rule_id),
            .currency = prog->currency->code,
            .status = "pending",
            .explanation = arena_strdup(a, c->explanation),
            .level = c->level,
            .rule_version = prog->rules.version,
            .base = c->base,
            .amount = c->amount,
            .reversed = 0,
            .hold_until = hold_until,
            .created_at = now,
        };
    struct ledger_delta d = ledger_post_commission(c->amount);
    return ledger_append(s, prog->id, c->partner_id, id, NULL, prog->currency->code, &d, now, err);
}

static int load_state(struct store *s, const char *id, struct arena *a,
                      struct commission_state *c, struct pd_err *err)
{
    struct db_val p = db_text(id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT id, program_id, partner_id, currency, amount, reversed, status"
                             " FROM commissions WHERE id = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no commission %s", id);
    c->id = col_dup(a, &cur, 0);
    c->program_id = col_dup(a, &cur, 1);
    c->partner_id = col_dup(a, &cur, 2);
    c->currency = col_dup(a, &cur, 3);
    c->amount = store_col_int(&cur, 4);
    c->reversed = store_col_int(&cur, 5);
    c->status = commission_status_parse(store_col_text(&cur, 6));
    store_finish(&cur);
    return 0;
}

/* A commission changed since it was read: the state a change is computed from is checked by its
 * UPDATE, so a change made meanwhile by another node (an approval, a refund's reversal) makes it
 * fail here instead of posting from a stale state. The job runs again (store.h, retry). */
static int changed_meanwhile(struct store *s, const char *id, struct pd_err *err)
{
    s->retry = true;
    return pd_err_set(err, PD_ERR_CONFLICT, "id", "commission %s changed meanwhile; try again", id);
}

static int approve_loaded(struct store *s, const struct commission_state *c, int64_t now,
                          struct pd_err *err)
{
    struct ledger_delta d = ledger_post_approval(c->amount - c->reversed);
    struct db_val v[3] = {db_text(c->id), db_int(now), db_int(c->reversed)};
    int64_t changed = 0;
    if (store_exec(s,
                   "UPDATE commissions SET status = 'approved', approved_at = ?2, updated_at = ?2"
                   " WHERE id = ?1 AND status = 'pending' AND reversed = ?3",
                   v, 3, &changed, err) < 0)
        return -1;
    if (changed != 1)
        return changed_meanwhile(s, c->id, err);
    if (ledger_append(s, c->program_id, c->partner_id, c->id, NULL, c->currency, &d, now, err) < 0)
        return -1;
    return event_commission(s, "commission.approved", c->id, now, err); /* webhooks */
}

int commission_approve(struct store *s, const char *id, int64_t now_ms, struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 1024);
    struct commission_state c;
    int rc = load_state(s, id, &a, &c, err);
    if (rc == 0 && c.status != COMMISSION_PENDING)
        rc = pd_err_set(err, PD_ERR_CONFLICT, "id", "commission %s is %s, not pending", id,
                        commission_status_name((enum commission_status)c.status));
    if (rc == 0)
        rc = approve_loaded(s, &c, now_ms, err);
    arena_free(&a);
    return rc;
}

int commission_reject(struct store *s, const char *id, const char *reason, int64_t now_ms,
                      struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 1024);
    struct commission_state c;
    int rc = load_state(s, id, &a, &c, err);
    if (rc < 0)
        goto done;
    if (c.status != COMMISSION_PENDING && c.status != COMMISSION_APPROVED) {
        rc = pd_err_set(err, PD_ERR_CONFLICT, "id", "commission %s is %s; only pending or "
                        "approved commissions can be rejected", id,
                        commission_status_name((enum commission_status)c.status));
        goto done;
    }
    int64_t in_batch = 0;
    struct db_val k = db_text(id);
    if ((rc = store_query_int(s,
                              "SELECT COUNT(*) FROM commissions WHERE id = ?1"
                              " AND payout_id IS NOT NULL",
                              &k, 1, 0, &in_batch, err)) < 0)
        goto done;
    if (in_batch) {
        rc = pd_err_set(err, PD_ERR_CONFLICT, "id",
                        "commission %s left in a payout batch; a "
                        "refund of its order claws it back",
                        id);
        goto done;
    }
    struct ledger_delta d;
    int64_t current = c.amount - c.reversed;
    if (!ledger_post_reversal((enum commission_status)c.status, current, &d)) {
        rc = pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot reverse commission %s", id);
        goto done;
    }
    struct db_val v[5] = {db_text(id), db_text(reason), db_int(now_ms), db_int(c.reversed),
                          db_text(commission_status_name((enum commission_status)c.status))};
    int64_t changed = 0;
    rc = store_exec(s,
                    "UPDATE commissions SET status = 'rejected', rejected_reason = ?2,"
                    " updated_at = ?3 WHERE id = ?1 AND reversed = ?4 AND status = ?5",
                    v, 5, &changed, err);
    if (rc == 0 && changed != 1)
        rc = changed_meanwhile(s, id, err);
    if (rc == 0 && current != 0)
        rc = ledger_append(s, c.program_id, c.partner_id, c.id, NULL, c.currency, &d, now_ms,
                           err);
    if (rc == 0 && c.status == COMMISSION_APPROVED && current != 0) /* it leaves a draft */
        rc = payout_drafts_reduce_partner(s, c.program_id, c.partner_id, current, err);
    if (rc == 0) {
        /* Reports show what partners earn: a rejected commission no longer counts. */
        struct db_val q = db_text(id);
        struct store_cursor cur;
        /* From the row the commission was added to: a partner's own commission (level 0) is on
         * the conversion's link, a parent's share (level 1+) on the parent's link-less row, where
         * pay_parents put it. */
        int row = store_query_row(s,
                                  "SELECT v.occurred_at, CASE WHEN c.level = 0 THEN v.link_id END"
                                  " FROM commissions c JOIN conversions v"
                                  " ON v.id = c.conversion_id WHERE c.id = ?1",
                                  &q, 1, &cur, err);
        if (row < 0)
            rc = -1;
        if (row == STORE_ROW) { /* no row for a lead's commission, which has no rollup */
            int64_t occurred = store_col_int(&cur, 0);
            const char *link_id = col_dup(&a, &cur, 1);
            store_finish(&cur);
            rc = stats_add(s, c.program_id, c.partner_id, link_id, occurred, 0, 0, 0, 0,
                           -current, err);
        }
    }
    if (rc == 0) /* webhooks: a rejection reverses the commission */
        rc = event_commission(s, "commission.reversed", id, now_ms, err);
done:
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

int commissions_approve_due(struct store *s, int64_t now_ms, int limit, int64_t *approved,
                            struct pd_err *err)
{
    return commissions_approve_due_by(s, now_ms, now_ms, limit, approved, err);
}

int commissions_approve_due_by(struct store *s, int64_t due_ms, int64_t now_ms, int limit,
                               int64_t *approved, struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 1 << 14);
    struct db_val v[2] = {db_int(due_ms), db_int(limit)};
    struct store_cursor cur;
    *approved = 0;
    int rc = store_query(s,
                         "SELECT id, program_id, partner_id, currency, amount, reversed"
                         " FROM commissions WHERE status = 'pending' AND hold_until <= ?1"
                         " ORDER BY hold_until LIMIT ?2",
                         v, 2, &cur, err);
    if (rc < 0)
        goto done;
    struct commission_state *due = arena_alloc(&a, (size_t)limit * sizeof *due);
    int n = 0;
    while (n < limit && (rc = store_step(&cur, err)) == STORE_ROW) {
        struct commission_state *c = &due[n++];
        c->id = col_dup(&a, &cur, 0);
        c->program_id = col_dup(&a, &cur, 1);
        c->partner_id = col_dup(&a, &cur, 2);
        c->currency = col_dup(&a, &cur, 3);
        c->amount = store_col_int(&cur, 4);
        c->reversed = store_col_int(&cur, 5);
        c->status = COMMISSION_PENDING;
    }
    store_finish(&cur);
    if (rc < 0)
        goto done;
    rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = approve_loaded(s, &due[i], now_ms, err);
        if (rc == 0)
            (*approved)++;
    }
done:
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

int commission_reverse(struct store *s, const struct commission_state *c, int64_t amount,
                       int64_t now_ms, struct pd_err *err)
{
    struct ledger_delta d;
    if (!ledger_post_reversal((enum commission_status)c->status, amount, &d))
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot reverse this commission");
    int64_t now_reversed = c->reversed + amount;
    const char *status = commission_status_name((enum commission_status)c->status);
    if (now_reversed == c->amount && c->status != COMMISSION_PAID)
        status = "reversed";
    const char *was = commission_status_name((enum commission_status)c->status);
    struct db_val up[6] = {db_text(c->id), db_int(now_reversed), db_text(status),
                           db_int(now_ms), db_int(c->reversed),  db_text(was)};
    int64_t changed = 0;
    if (store_exec(s,
                   "UPDATE commissions SET reversed = ?2, status = ?3, updated_at = ?4"
                   " WHERE id = ?1 AND reversed = ?5 AND status = ?6",
                   up, 6, &changed, err) < 0)
        return -1;
    if (changed != 1)
        return changed_meanwhile(s, c->id, err);
    if (ledger_append(s, c->program_id, c->partner_id, c->id, NULL, c->currency, &d, now_ms,
                      err) < 0)
        return -1;
    /* Approved money went: a draft holding it pays that much less. */
    if (d.approved != 0 &&
        payout_drafts_reduce_partner(s, c->program_id, c->partner_id, amount, err) < 0)
        return -1;
    return event_commission(s, "commission.reversed", c->id, now_ms, err); /* webhooks */
}

int commissions_join_items(struct store *s, const char *payout_id, const char *program_id,
                           const char *channel, int64_t sent_ms, int64_t approved_before_ms,
                           struct pd_err *err)
{
    /* Only payout_id changes: the one index it is in moves, so a batch of many commissions
     * joins quickly; each becomes paid with its item. The items just sent are named by their
     * channel and time alone, so a planner without statistics looks each partner up by its
     * (payout_id, partner_id) key rather than rescanning the batch's sent items. */
    struct db_val v[5] = {db_text(payout_id), db_text(channel), db_int(sent_ms),
                          db_text(program_id), db_int(approved_before_ms)};
    return store_exec(s,
                      "UPDATE commissions SET payout_id = ?1"
                      " WHERE program_id = ?4 AND status = 'approved' AND payout_id IS NULL"
                      " AND approved_at <= ?5 AND partner_id IN (SELECT partner_id"
                      " FROM payout_items WHERE payout_id = ?1 AND channel = ?2"
                      " AND sent_at = ?3)",
                      v, 5, NULL, err);
}

int commissions_mark_paid(struct store *s, const char *payout_id, const char *partner_id,
                          int64_t now_ms, struct pd_err *err)
{
    struct db_val v[3] = {db_text(payout_id), db_int(now_ms), db_text(partner_id)};
    if (!partner_id)
        return store_exec(s,
                          "UPDATE commissions SET status = 'paid', updated_at = ?2"
                          " WHERE payout_id = ?1 AND status = 'approved'",
                          v, 2, NULL, err);
    return store_exec(s,
                      "UPDATE commissions SET status = 'paid', updated_at = ?2"
                      " WHERE payout_id = ?1 AND partner_id = ?3 AND status = 'approved'",
                      v, 3, NULL, err);
}

int commissions_unpay(struct store *s, const char *payout_id, const char *partner_id,
                      int64_t now_ms, struct pd_err *err)
{
    struct db_val v[3] = {db_text(payout_id), db_text(partner_id), db_int(now_ms)};
    return store_exec(s,
                      "UPDATE commissions SET payout_id = NULL, updated_at = ?3,"
                      " status = CASE WHEN status NOT IN ('approved', 'paid') THEN status"
                      " WHEN reversed >= amount THEN 'reversed' ELSE 'approved' END"
                      " WHERE payout_id = ?1 AND partner_id = ?2",
                      v, 3, NULL, err);
}
