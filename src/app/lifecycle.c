/* A commission's life after it is made (app/lifecycle.h), and ledger_append, the one function that
 * writes ledger entries and keeps partner_balances equal to their sum. Every transition checks the
 * commission's current status in the caller's transaction and posts the matching entry
 * (core/ledger.c), so balances and statuses never disagree. */
#include "app/lifecycle.h"

#include <string.h>

#include <stdio.h>

#include "app/clicks.h"
#include "app/conversions.h"
#include "app/outbox.h" /* webhooks */
#include "app/records.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "core/money.h"
#include "util/banned.h"

int ledger_append(struct store *s, const char *program_id, const char *partner_id,
                  const char *commission_id, const char *payout_id, const char *currency,
                  const struct ledger_delta *d, int64_t now, struct pd_err *err)
{
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "led_", (uint64_t)now);
    struct db_val v[11] = {db_text(id),         db_text(program_id),
                           db_text(partner_id), db_text(commission_id),
                           db_text(payout_id),  db_text(currency),
                           db_text(ledger_kind_name(d->kind)), db_int(d->pending),
                           db_int(d->approved), db_int(d->paid),
                           db_int(now)};
    if (store_exec(s,
                   "INSERT INTO ledger_entries (id, program_id, partner_id, commission_id,"
                   " payout_id, currency, kind, pending, approved, paid, created_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                   v, 11, NULL, err) < 0)
        return -1;
    /* The partner's running balance; an entry never exceeds MONEY_MAX_AMOUNT and a bucket never
     * MONEY_MAX_TOTAL, so the addition stays far inside int64. */
    struct db_val b[4] = {db_text(partner_id), db_int(d->pending), db_int(d->approved),
                          db_int(d->paid)};
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
                          ledger_kind_name(d->kind), partner_id, (long long)MONEY_MAX_TOTAL);
    return 0;
}

struct commission_state {
    const char *id, *program_id, *partner_id, *currency;
    int64_t amount, reversed;
    int status;
};

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

static int approve_loaded(struct store *s, const struct commission_state *c, int64_t now,
                          struct pd_err *err)
{
    struct ledger_delta d = ledger_post_approval(c->amount - c->reversed);
    struct db_val v[2] = {db_text(c->id), db_int(now)};
    int64_t changed = 0;
    if (store_exec(s,
                   "UPDATE commissions SET status = 'approved', approved_at = ?2, updated_at = ?2"
                   " WHERE id = ?1 AND status = 'pending'",
                   v, 2, &changed, err) < 0)
        return -1;
    if (changed != 1)
        return pd_err_set(err, PD_ERR_CONFLICT, "id", "commission %s is not pending", c->id);
    if (ledger_append(s, c->program_id, c->partner_id, c->id, NULL, c->currency, &d, now, err) < 0)
        return -1;
    return outbox_emit_commission(s, "commission.approved", c->id, now, err); /* webhooks */
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
    struct ledger_delta d;
    int64_t current = c.amount - c.reversed;
    if (!ledger_post_reversal((enum commission_status)c.status, current, &d)) {
        rc = pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot reverse commission %s", id);
        goto done;
    }
    struct db_val v[3] = {db_text(id), db_text(reason), db_int(now_ms)};
    rc = store_exec(s,
                    "UPDATE commissions SET status = 'rejected', rejected_reason = ?2,"
                    " updated_at = ?3 WHERE id = ?1",
                    v, 3, NULL, err);
    if (rc == 0 && current != 0)
        rc = ledger_append(s, c.program_id, c.partner_id, c.id, NULL, c.currency, &d, now_ms,
                           err);
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
        rc = outbox_emit_commission(s, "commission.reversed", id, now_ms, err);
done:
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

int commissions_approve_due(struct store *s, int64_t now_ms, int limit, int64_t *approved,
                            struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 1 << 14);
    struct db_val v[2] = {db_int(now_ms), db_int(limit)};
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
    json_object_set_new(o, "details", store_is_null(&cur, 16)
                                          ? json_null()
                                          : json_loads(store_col_text(&cur, 16), 0, NULL));
    json_object_set_new(o, "approved_at",
                        store_is_null(&cur, 17) ? json_null() : json_time(store_col_int(&cur, 17)));
    json_object_set_new(o, "rejected_reason", store_is_null(&cur, 18)
                                                  ? json_null()
                                                  : json_string(store_col_text(&cur, 18)));
    json_object_set_new(o, "payout_id", store_is_null(&cur, 19)
                                            ? json_null()
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
