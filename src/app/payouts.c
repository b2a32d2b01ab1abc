/* Payout batches (app/payouts.h): creating a batch from the approved balances of a period,
 * marking it paid (the payout ledger entries and the commissions' status, once), its JSON and CSV.
 * Each step runs in the caller's transaction, so a batch is made or paid whole or not at all. */
#include "app/payouts.h"

#include <stdlib.h>
#include <string.h>

#include "app/events.h" /* webhooks */
#include "app/fields.h"
#include "app/lifecycle.h"
#include "app/postings.h"
#include "app/programs.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "core/money.h"
#include "core/payout_csv.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/banned.h"

bool payout_period_parse(const char *period, int64_t *start_ms, int64_t *end_ms)
{
    if (strlen(period) != 7 || period[4] != '-')
        return false;
    int64_t y = 0;
    unsigned m = 0;
    for (int i = 0; i < 4; i++) {
        if (period[i] < '0' || period[i] > '9')
            return false;
        y = y * 10 + (period[i] - '0');
    }
    for (int i = 5; i < 7; i++) {
        if (period[i] < '0' || period[i] > '9')
            return false;
        m = m * 10 + (unsigned)(period[i] - '0');
    }
    if (y < 1970 || m < 1 || m > 12)
        return false;
    *start_ms = time_days_from_civil(y, m, 1) * 86400000LL;
    *end_ms = time_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * 86400000LL;
    return true;
}

static void report(payout_progress_fn fn, void *arg, const char *stage, int64_t done,
                   int64_t total)
{
    if (fn)
        fn(stage, done, total, arg);
}

int payout_create(struct store *s, const char *program_id, const char *period, int64_t now_ms,
                  struct arena *a, const char **payout_id, bool *created,
                  payout_progress_fn progress, void *progress_arg, struct pd_err *err)
{
    int64_t start, end;
    if (!payout_period_parse(period, &start, &end))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "period", "period must be YYYY-MM");
    if (start > now_ms)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "period", "period %s has not started",
                          period);
    struct program prog;
    if (program_resolve(s, program_id, a, &prog, err) != 0)
        return -1;
    *created = false;
    struct db_val k[2] = {db_text(prog.id), db_text(period)};
    struct store_cursor cur;
    int rc = store_query_row(s, "SELECT id FROM payouts WHERE program_id = ?1 AND period = ?2", k,
                             2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_ROW) {
        *payout_id = col_dup(a, &cur, 0);
        store_finish(&cur);
        return 0;
    }

    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "pay_", (uint64_t)now_ms);
    *payout_id = arena_strdup(a, id);
    struct db_val p[5] = {db_text(id), db_text(prog.id), db_text(period),
                          db_text(prog.currency->code), db_int(now_ms)};
    if (store_exec(s,
                   "INSERT INTO payouts (id, program_id, period, status, total, currency,"
                   " created_at) VALUES (?1, ?2, ?3, 'created', 0, ?4, ?5)",
                   p, 5, NULL, err) < 0)
        return -1;
    report(progress, progress_arg, "balances", 0, 1);
    /* What each partner can be paid: approved money earned before the period's end (clawbacks
     * included, so a negative balance carries forward), less what earlier batches already took. */
    int64_t min = prog.min_payout > 0 ? prog.min_payout : 1;
    struct db_val q[5] = {db_text(prog.id), db_int(end), db_int(min), db_text(id),
                          db_text(prog.currency->code)};
    int64_t items = 0;
    /* Driven from the program's partners: each balance is two index-only sums. */
    if (store_exec(s,
                   "INSERT INTO payout_items (payout_id, partner_id, amount, currency, method,"
                   " reference)"
                   " SELECT ?4, b.id, b.amount, ?5, b.payout_method, ?4 || '-' || b.ref_code"
                   " FROM (SELECT p.id, p.payout_method, p.ref_code,"
                   "        COALESCE((SELECT SUM(e.approved) FROM ledger_entries e"
                   "                  WHERE e.partner_id = p.id AND e.created_at < ?2"
                   "                  AND e.kind <> 'payout'), 0)"
                   "        - COALESCE((SELECT SUM(i.amount) FROM payout_items i"
                   "                    WHERE i.partner_id = p.id), 0) AS amount"
                   "       FROM partners p WHERE p.program_id = ?1 AND p.status <> 'suspended') b"
                   " WHERE b.amount >= ?3",
                   q, 5, &items, err) < 0)
        return -1;
    report(progress, progress_arg, "balances", 1, 1);
    struct db_val t[2] = {db_text(id), db_int(end)};
    if (store_exec(s,
                   "UPDATE payouts SET total = (SELECT COALESCE(SUM(amount), 0) FROM payout_items"
                   " WHERE payout_id = ?1) WHERE id = ?1",
                   t, 1, NULL, err) < 0 ||
        commissions_assign_payout(s, id, end, err) < 0)
        return -1;
    /* Items are balances (each within MONEY_MAX_TOTAL); their total must be too. */
    int64_t beyond = 0;
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM payouts WHERE id = ?1"
                        " AND (total > " MONEY_MAX_TOTAL_SQL
                        " OR total < -" MONEY_MAX_TOTAL_SQL ")",
                        t, 1, 0, &beyond, err) < 0)
        return -1;
    if (beyond)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "period",
                          "this batch's total would pass %lld minor units, the largest total "
                          "partnerd keeps",
                          (long long)MONEY_MAX_TOTAL);
    report(progress, progress_arg, "items", items, items);
    *created = true;
    return event_payout(s, "payout.created", id, now_ms, err); /* webhooks */
}

int payout_mark_paid(struct store *s, const char *payout_id, int64_t now_ms, struct pd_err *err)
{
    struct db_val k = db_text(payout_id);
    struct store_cursor cur;
    int rc = store_query_row(s, "SELECT status, program_id FROM payouts WHERE id = ?1", &k, 1,
                             &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no payout %s", payout_id);
    bool paid = strcmp(store_col_text(&cur, 0), "paid") == 0;
    char program_id[ID_MAX_LEN];
    snprintf(program_id, sizeof program_id, "%s", store_col_text(&cur, 1));
    store_finish(&cur);
    if (paid)
        return pd_err_set(err, PD_ERR_CONFLICT, "id", "payout %s is already paid", payout_id);
    if (store_query(s,
                    "SELECT partner_id, amount, currency FROM payout_items WHERE payout_id = ?1",
                    &k, 1, &cur, err) < 0)
        return -1;
    struct arena a;
    arena_init(&a, 1 << 16);
    struct item {
        const char *partner_id, *currency;
        int64_t amount;
        struct item *next;
    } *items = NULL;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        struct item *it = arena_alloc(&a, sizeof *it);
        it->partner_id = col_dup(&a, &cur, 0);
        it->amount = store_col_int(&cur, 1);
        it->currency = col_dup(&a, &cur, 2);
        it->next = items;
        items = it;
    }
    store_finish(&cur);
    for (struct item *it = items; rc == STORE_DONE && it; it = it->next) {
        struct ledger_delta d = ledger_post_payout(it->amount);
        if (ledger_append(s, program_id, it->partner_id, NULL, payout_id, it->currency, &d,
                          now_ms, err) < 0)
            rc = -1;
    }
    arena_free(&a);
    if (rc < 0)
        return -1;
    struct db_val v[2] = {db_text(payout_id), db_int(now_ms)};
    if (store_exec(s, "UPDATE payouts SET status = 'paid', paid_at = ?2 WHERE id = ?1", v, 2,
                   NULL, err) < 0 ||
        commissions_mark_paid(s, payout_id, now_ms, err) < 0)
        return -1;
    return event_payout(s, "payout.paid", payout_id, now_ms, err); /* webhooks */
}

void payout_csv_field(FILE *out, const char *v, bool last)
{
    /* A field is a few hundred bytes at most: the buffer's limit only bounds a runaway value. */
    struct strbuf b;
    strbuf_init(&b, SIZE_MAX / 2);
    csv_put_field(&b, v, last);
    if (b.len) /* a short write shows in the stream's error flag, which its owner checks */
        fwrite(b.data, 1, b.len, out);
    strbuf_free(&b);
}

int payout_write_csv(struct store *s, const char *payout_id, FILE *out,
                     payout_progress_fn progress, void *progress_arg, struct pd_err *err)
{
    struct db_val k = db_text(payout_id);
    int64_t total = 0;
    if (store_query_int(s, "SELECT COUNT(*) FROM payout_items WHERE payout_id = ?1", &k, 1, -1,
                        &total, err) < 0)
        return -1;
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT i.partner_id, p.name, p.email, i.method, i.amount, i.currency,"
                    " i.reference FROM payout_items i JOIN partners p ON p.id = i.partner_id"
                    " WHERE i.payout_id = ?1 ORDER BY i.partner_id",
                    &k, 1, &cur, err) < 0)
        return -1;
    fputs("partner_id,name,email,method,account,amount,currency,reference,account_holder\r\n", out);
    int rc;
    int64_t done = 0;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        const char *type = "", *account = "", *holder = "";
        json_t *m = store_is_null(&cur, 3) ? NULL : json_loads(store_col_text(&cur, 3), 0, NULL);
        if (m) {
            type = json_string_value(json_object_get(m, "type"));
            if (type && strcmp(type, "paypal") == 0) {
                account = json_string_value(json_object_get(m, "email"));
            } else if (type && strcmp(type, "iban") == 0) {
                account = json_string_value(json_object_get(m, "iban"));
                holder = json_string_value(json_object_get(m, "holder"));
            }
        }
        const struct currency *c = currency_find(store_col_text(&cur, 5));
        char amount[48];
        money_format(store_col_int(&cur, 4), c ? c->exponent : 2, amount, sizeof amount);
        payout_csv_field(out, store_col_text(&cur, 0), false);
        payout_csv_field(out, store_col_text(&cur, 1), false);
        payout_csv_field(out, store_col_text(&cur, 2), false);
        payout_csv_field(out, type ? type : "", false);
        payout_csv_field(out, account, false);
        payout_csv_field(out, amount, false);
        payout_csv_field(out, store_col_text(&cur, 5), false);
        payout_csv_field(out, store_col_text(&cur, 6), false);
        payout_csv_field(out, holder, true);
        json_decref(m);
        if (++done % 1000 == 0)
            report(progress, progress_arg, "csv", done, total);
    }
    store_finish(&cur);
    report(progress, progress_arg, "csv", done, total);
    return rc < 0 ? -1 : 0;
}
