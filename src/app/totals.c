/* A batch's deferred balances and rollups written (app/totals.h). The partner's lock orders these
 * writes with a sale that reads the partner's month (tiers, caps), and with other batches' writes
 * of the same rows; each batch takes the locks, then the rows, in one order. */
#include "app/totals.h"

#include <stdlib.h>
#include <string.h>

#include "app/postings.h"
#include "app/rollups.h"
#include "core/money.h"
#include "store/totals.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define DAY_MS (86400LL * 1000)

static const char *text_of(const struct total_row *r, int i)
{
    return r->text[i] ? r->text[i] : "";
}

/* The partner (the order of the partners' locks and balances). */
static int by_partner(const void *x, const void *y)
{
    const struct total_row *a = *(const struct total_row *const *)x;
    const struct total_row *b = *(const struct total_row *const *)y;
    return strcmp(text_of(a, 0), text_of(b, 0));
}

/* daily_stats' key: program, partner, link, day (app/clicks.c writes in the same order). */
static int by_rollup_key(const void *x, const void *y)
{
    const struct total_row *a = *(const struct total_row *const *)x;
    const struct total_row *b = *(const struct total_row *const *)y;
    static const int order[TOTAL_TEXTS] = {1, 0, 2};
    int c = a->kind - b->kind;
    for (int i = 0; c == 0 && i < TOTAL_TEXTS; i++)
        c = strcmp(text_of(a, order[i]), text_of(b, order[i]));
    return c != 0 ? c : a->num < b->num ? -1 : a->num > b->num;
}

static bool all_zero(const struct total_row *r)
{
    for (int i = 0; i < TOTAL_VALUES; i++)
        if (r->v[i] != 0)
            return false;
    return true;
}

static int write_row(struct store *s, const struct total_row *r, struct pd_err *err)
{
    if (r->kind == TOTAL_BALANCE)
        return ledger_balance_add(s, text_of(r, 0), r->v[0], r->v[1], r->v[2], "sale", err);
    return stats_add_now(s, text_of(r, 1), text_of(r, 0), text_of(r, 2), r->num * DAY_MS, r->v[0],
                         r->v[1], r->v[2], r->v[3], r->v[4], err);
}

/* Each month a row's revenue went into, once per partner while its rows come together (in
 * daily_stats' key order they do: a partner has one program); a partner met again is checked
 * again, which costs a statement, not exactness. */
static int check_months(struct store *s, const struct total_row **rows, size_t n,
                        struct pd_err *err)
{
    int64_t done[16];
    size_t ndone = 0;
    for (size_t i = 0; i < n; i++) {
        const struct total_row *r = rows[i];
        if (i > 0 && strcmp(text_of(r, 0), text_of(rows[i - 1], 0)) != 0)
            ndone = 0;
        if (r->kind != TOTAL_DAILY || r->v[3] == 0)
            continue;
        int64_t month = time_month_start_ms(r->num * DAY_MS);
        bool seen = false;
        for (size_t k = 0; k < ndone && !seen; k++)
            seen = done[k] == month;
        if (seen)
            continue;
        if (stats_month_revenue_check(s, text_of(r, 0), month, err) < 0)
            return -1;
        if (ndone < sizeof done / sizeof done[0])
            done[ndone++] = month;
    }
    return 0;
}

int totals_write(struct store *s, struct pd_err *err)
{
    size_t n = 0;
    const struct total_row *all = store_totals_rows(s, &n);
    const struct total_row **rows = malloc((n ? n : 1) * sizeof *rows);
    if (!rows)
        abort();
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!all_zero(&all[i]))
            rows[m++] = &all[i];
    qsort(rows, m, sizeof *rows, by_partner);
    int rc = 0;
    for (size_t i = 0; i < m && rc == 0; i++)
        if (i == 0 || strcmp(text_of(rows[i], 0), text_of(rows[i - 1], 0)) != 0)
            rc = store_lock(s, "partner", text_of(rows[i], 0), NULL, err);
    for (size_t i = 0; i < m && rc == 0; i++)
        if (rows[i]->kind == TOTAL_BALANCE)
            rc = write_row(s, rows[i], err);
    qsort(rows, m, sizeof *rows, by_rollup_key);
    for (size_t i = 0; i < m && rc == 0; i++)
        if (rows[i]->kind == TOTAL_DAILY)
            rc = write_row(s, rows[i], err);
    if (rc == 0)
        rc = check_months(s, rows, m, err);
    free(rows);
    return rc;
}
