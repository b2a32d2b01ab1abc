/* Payout batches, the operations (app/payouts.h): a draft made, refreshed and deleted; items
 * leaving (exported, sent, or paid by hand), each with its payout ledger entry, its commissions
 * joining the batch; items settled paid (their commissions paid) or failed (the amount and the
 * commissions returned). The rows are
 * written by app/payout_batches.c, the ledger by app/postings.c, the commissions by
 * app/lifecycle.c, all in the caller's transaction. */
#include "app/payouts.h"

#include <stdlib.h>
#include <string.h>

#include "app/emails.h"
#include "app/events.h" /* webhooks */
#include "app/fields.h"
#include "app/lifecycle.h"
#include "app/payout_batches.h"
#include "app/postings.h"
#include "app/programs.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "core/money.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define REASON_MAX 200

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

/* Items are balances (each within MONEY_MAX_TOTAL); their sum must be too, held ones included
 * (the batch shows their total, and they may be paid once released). */
static int check_total(struct store *s, const char *id, struct pd_err *err)
{
    struct db_val k = db_text(id);
    int64_t beyond = 0;
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM (SELECT SUM(amount) AS t FROM payout_items"
                        " WHERE payout_id = ?1) x WHERE x.t > " MONEY_MAX_TOTAL_SQL,
                        &k, 1, 0, &beyond, err) < 0)
        return -1;
    if (beyond)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "period",
                          "this batch's total would pass %lld minor units, the largest total "
                          "partnerd keeps",
                          (long long)MONEY_MAX_TOTAL);
    return 0;
}

static int compute(struct store *s, const struct program *prog, const char *id, int64_t now_ms,
                   payout_progress_fn progress, void *progress_arg, struct pd_err *err)
{
    int64_t items = 0;
    report(progress, progress_arg, "balances", 0, 1);
    if (payout_batch_compute(s, id, prog->id, prog->min_payout, prog->currency->code, now_ms,
                             &items, err) < 0)
        return -1;
    report(progress, progress_arg, "items", items, items);
    return check_total(s, id, err);
}

int payout_create(struct store *s, const char *program_id, const char *period, int64_t now_ms,
                  struct arena *a, const char **payout_id, bool *created,
                  payout_progress_fn progress, void *progress_arg, struct pd_err *err)
{
    int64_t start, end;
    if (!payout_period_parse(period, &start, &end))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "period", "period must be YYYY-MM");
    if (start > now_ms)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "period",
                          "period %s is in the future: a batch is for the current month or an "
                          "earlier one",
                          period);
    struct program prog;
    if (program_resolve(s, program_id, a, &prog, err) != 0)
        return -1;
    const char *draft, *draft_period;
    if (payout_batch_draft_of(s, prog.id, a, &draft, &draft_period, err) < 0)
        return -1;
    *created = false;
    if (draft && strcmp(draft_period, period) == 0) {
        *payout_id = draft;
        return compute(s, &prog, draft, now_ms, progress, progress_arg, err);
    }
    if (draft)
        return pd_err_set(err, PD_ERR_CONFLICT, "period",
                          "program %s has a draft batch %s for %s: export, refresh or delete it "
                          "before making another",
                          prog.id, draft, draft_period);
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "pay_", (uint64_t)now_ms);
    *payout_id = arena_strdup(a, id);
    if (payout_batch_insert(s, id, prog.id, period, prog.currency->code, now_ms, err) < 0 ||
        compute(s, &prog, id, now_ms, progress, progress_arg, err) < 0)
        return -1;
    *created = true;
    return event_payout(s, "payout.created", id, now_ms, err); /* webhooks */
}

/* Loads a batch that must be a draft to be changed (409 otherwise, saying why). */
static int load_draft(struct store *s, const char *id, const char *doing, struct arena *a,
                      struct payout_batch *b, struct pd_err *err)
{
    if (payout_batch_load(s, id, a, b, err) < 0)
        return -1;
    if (strcmp(b->status, "draft") != 0)
        return pd_err_set(err, PD_ERR_CONFLICT, "id",
                          "payout %s is %s: only a draft can be %s (money has left; approvals "
                          "since go to the next batch)",
                          id, b->status, doing);
    return 0;
}

int payout_refresh(struct store *s, const char *payout_id, int64_t now_ms, struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 4096);
    struct payout_batch b;
    struct program prog;
    int rc = load_draft(s, payout_id, "refreshed", &a, &b, err);
    if (rc == 0 && program_load(s, b.program_id, &a, &prog, err) != 0)
        rc = -1;
    if (rc == 0)
        rc = compute(s, &prog, payout_id, now_ms, NULL, NULL, err);
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

int payout_delete(struct store *s, const char *payout_id, int64_t now_ms, struct pd_err *err)
{
    (void)now_ms;
    struct arena a;
    arena_init(&a, 1024);
    struct payout_batch b;
    int rc = load_draft(s, payout_id, "deleted", &a, &b, err);
    if (rc == 0)
        rc = payout_batch_delete(s, payout_id, err);
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

/* The payable items of method_type leave through channel now: their ledger entries and their
 * commissions. *count: how many left. */
/* Tells each partner whose item left now (channel, sent_at = now_ms) that the payout is on its
 * way: a "payout_sent" email queued in the same transaction. */
static int notify_sent(struct store *s, const struct payout_batch *b, const char *channel,
                       int64_t now_ms, struct pd_err *err)
{
    struct db_val k[3] = {db_text(b->id), db_text(channel), db_int(now_ms)};
    struct store_cursor cur;
    struct arena a;
    arena_init(&a, 4096);
    struct sent { const char *partner_id, *email, *currency, *reference; int64_t amount; } *v = NULL;
    size_t n = 0, cap = 0;
    if (store_query(s,
                    "SELECT i.partner_id, p.email, i.currency, i.reference, i.amount"
                    " FROM payout_items i JOIN partners p ON p.id = i.partner_id"
                    " WHERE i.payout_id = ?1 AND i.channel = ?2 AND i.sent_at = ?3",
                    k, 3, &cur, err) < 0) {
        arena_free(&a);
        return -1;
    }
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            struct sent *nv = arena_alloc(&a, ncap * sizeof *nv);
            if (n)
                memcpy(nv, v, n * sizeof *nv);
            v = nv;
            cap = ncap;
        }
        v[n++] = (struct sent){col_dup(&a, &cur, 0), col_dup(&a, &cur, 1), col_dup(&a, &cur, 2),
                               col_dup(&a, &cur, 3), store_col_int(&cur, 4)};
    }
    store_finish(&cur);
    rc = rc < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *vars = json_pack("{s:I, s:s, s:s}", "amount", (json_int_t)v[i].amount, "currency",
                                 v[i].currency, "reference", v[i].reference);
        struct email_msg m = {b->program_id, v[i].partner_id, "payout_sent", v[i].email, vars};
        rc = vars ? email_queue(s, &m, now_ms, err)
                  : pd_err_set(err, PD_ERR_INTERNAL, NULL, "out of memory");
        json_decref(vars);
    }
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

static int items_leave(struct store *s, const struct payout_batch *b, const char *method_type,
                       const char *channel, const char *batch_status, int64_t now_ms,
                       int64_t *count, struct pd_err *err)
{
    if (payout_items_send(s, b->id, method_type, channel, batch_status, now_ms, count, err) < 0)
        return -1;
    if (*count == 0)
        return 0;
    if (ledger_append_payout_items(s, b->program_id, b->id, channel, now_ms, err) < 0)
        return -1;
    if (commissions_join_items(s, b->id, b->program_id, channel, now_ms, b->updated_at, err) < 0)
        return -1;
    return notify_sent(s, b, channel, now_ms, err);
}

int payout_items_leave(struct store *s, const char *payout_id, const char *method_type,
                       const char *channel, const char *batch_status, int64_t now_ms,
                       int64_t *count, struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 1024);
    struct payout_batch b;
    int rc = payout_batch_load(s, payout_id, &a, &b, err);
    if (rc == 0 && strcmp(b.status, "paid") == 0)
        rc = pd_err_set(err, PD_ERR_CONFLICT, "id", "payout %s is paid already", payout_id);
    const char *used = NULL;
    if (rc == 0 && method_type)
        rc = payout_items_channel(s, payout_id, method_type, &a, &used, err);
    if (rc == 0 && used && strcmp(used, channel) != 0)
        rc = pd_err_set(err, PD_ERR_CONFLICT, "id",
                        "the %s items of payout %s left through %s already; they are not "
                        "exported or sent again another way",
                        method_type, payout_id, used);
    if (rc == 0)
        rc = items_leave(s, &b, method_type, channel, batch_status, now_ms, count, err);
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

int payout_mark_paid(struct store *s, const char *payout_id, int64_t now_ms, struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 1024);
    struct payout_batch b;
    int64_t left = 0, paid = 0;
    bool done = false;
    int rc = payout_batch_load(s, payout_id, &a, &b, err);
    if (rc == 0 && strcmp(b.status, "paid") == 0)
        rc = pd_err_set(err, PD_ERR_CONFLICT, "id", "payout %s is already paid", payout_id);
    /* A draft paid by hand: its payable items leave now, through no file. */
    if (rc == 0)
        rc = items_leave(s, &b, NULL, "manual", "exported", now_ms, &left, err);
    if (rc == 0)
        rc = payout_items_pay_all(s, payout_id, now_ms, &paid, err);
    if (rc == 0 && paid == 0)
        rc = pd_err_set(err, PD_ERR_CONFLICT, "id",
                        "payout %s has no item to pay (items held are never paid)", payout_id);
    if (rc == 0)
        rc = commissions_mark_paid(s, payout_id, NULL, now_ms, err);
    if (rc == 0)
        rc = payout_batch_settle_if_done(s, payout_id, now_ms, &done, err);
    if (rc == 0 && done)
        rc = event_payout(s, "payout.paid", payout_id, now_ms, err); /* webhooks */
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

int payout_item_settle(struct store *s, const char *payout_id, const char *reference, bool paid,
                       const char *reason, int64_t now_ms, struct pd_err *err)
{
    if (!paid && (!reason || !*reason || strlen(reason) > REASON_MAX))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "reason",
                          "a failed item needs a reason of 1 to %d bytes", REASON_MAX);
    struct arena a;
    arena_init(&a, 1024);
    struct payout_batch b;
    struct payout_item_ref it;
    bool done = false;
    int rc = payout_batch_load(s, payout_id, &a, &b, err);
    if (rc == 0)
        rc = payout_item_find(s, payout_id, reference, &a, &it, err);
    if (rc < 0)
        goto out;
    const char *want = paid ? "paid" : "failed";
    if (strcmp(it.status, want) == 0)
        goto out; /* the same outcome again */
    if (!(strcmp(it.status, "sent") == 0 || (!paid && strcmp(it.status, "paid") == 0))) {
        rc = pd_err_set(err, PD_ERR_CONFLICT, "item",
                        "item %s is %s: only an item that left can be settled (a paid one can "
                        "still fail)",
                        reference, it.status);
        goto out;
    }
    rc = payout_item_set(s, payout_id, reference, it.status, paid, reason, now_ms, err);
    if (rc == 0 && paid)
        rc = commissions_mark_paid(s, payout_id, it.partner_id, now_ms, err);
    if (rc == 0 && !paid) {
        struct ledger_delta d = ledger_post_payout_failed(it.amount);
        rc = ledger_append(s, b.program_id, it.partner_id, NULL, payout_id, it.currency, &d, now_ms,
                           err);
        if (rc == 0)
            rc = commissions_unpay(s, payout_id, it.partner_id, now_ms, err);
    }
    if (rc == 0)
        rc = payout_batch_settle_if_done(s, payout_id, now_ms, &done, err);
    if (rc == 0 && done)
        rc = event_payout(s, "payout.paid", payout_id, now_ms, err); /* webhooks */
out:
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

/* ---- PayPal through the API --------------------------------------------------------------- */

int payout_paypal_mark_sent(struct store *s, const char *payout_id, int64_t now_ms, int64_t *count,
                            struct pd_err *err)
{
    int64_t n = 0;
    if (payout_items_leave(s, payout_id, "paypal", "paypal_api", "sent", now_ms, &n, err) < 0)
        return -1;
    if (count)
        *count = n;
    if (n > 0)
        return 0;
    /* Nothing left now: fine when the API sent them before (a retry), not when there were none. */
    struct db_val k = db_text(payout_id);
    int64_t before = 0;
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM payout_items WHERE payout_id = ?1"
                        " AND channel = 'paypal_api'",
                        &k, 1, 0, &before, err) < 0)
        return -1;
    if (before == 0)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "id",
                          "payout %s has no payable PayPal item to send", payout_id);
    return 0;
}

int payout_paypal_items(struct store *s, const char *payout_id, size_t part, struct arena *a,
                        struct payout_paypal_item **items, size_t *n, size_t *parts,
                        struct pd_err *err)
{
    struct db_val k = db_text(payout_id);
    int64_t total = 0;
    *items = NULL;
    *n = *parts = 0;
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM payout_items WHERE payout_id = ?1"
                        " AND status <> 'held' AND method LIKE '%\"type\":\"paypal\"%'"
                        " AND (channel IS NULL OR channel = 'paypal_api')",
                        &k, 1, 0, &total, err) < 0)
        return -1;
    *parts = (size_t)((total + PAYOUT_PAYPAL_API_PART - 1) / PAYOUT_PAYPAL_API_PART);
    if (part < 1 || (part > *parts && !(part == 1 && *parts == 0)))
        return pd_err_set(err, PD_ERR_NOT_FOUND, "part", "payout %s has %zu PayPal part(s)",
                          payout_id, *parts);
    struct db_val q[3] = {db_text(payout_id), db_int(PAYOUT_PAYPAL_API_PART),
                          db_int((int64_t)(part - 1) * PAYOUT_PAYPAL_API_PART)};
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT id, method, amount, currency, reference, status FROM payout_items"
                    " WHERE payout_id = ?1 AND status <> 'held'"
                    " AND method LIKE '%\"type\":\"paypal\"%'"
                    " AND (channel IS NULL OR channel = 'paypal_api')"
                    " ORDER BY partner_id LIMIT ?2 OFFSET ?3",
                    q, 3, &cur, err) < 0)
        return -1;
    *items = arena_alloc(a, PAYOUT_PAYPAL_API_PART * sizeof **items);
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        struct payout_paypal_item *it = &(*items)[(*n)++];
        json_t *m = json_loads(store_col_text(&cur, 1), 0, NULL);
        it->item_id = col_dup(a, &cur, 0);
        const char *email = m ? json_string_value(json_object_get(m, "email")) : NULL;
        it->email = arena_strdup(a, email ? email : "");
        it->amount = store_col_int(&cur, 2);
        it->currency = col_dup(a, &cur, 3);
        it->reference = col_dup(a, &cur, 4);
        it->status = col_dup(a, &cur, 5);
        json_decref(m);
    }
    store_finish(&cur);
    return rc < 0 ? -1 : 0;
}

int payout_item_settle_by_hand(struct store *s, const char *payout_id, const char *reference,
                               bool paid, const char *reason, int64_t now_ms, struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 512);
    struct payout_item_ref it;
    int rc = payout_item_find(s, payout_id, reference, &a, &it, err);
    if (rc == 0 && it.channel && strcmp(it.channel, "paypal_api") == 0)
        rc = pd_err_set(err, PD_ERR_CONFLICT, "item",
                        "item %s was sent with PayPal's Payouts API: PayPal's answer settles it",
                        reference);
    arena_free(&a);
    return rc < 0 ? -1 : payout_item_settle(s, payout_id, reference, paid, reason, now_ms, err);
}
