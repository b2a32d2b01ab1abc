/* The daily rollups (daily_stats): one row per (program, partner, link, day) with its clicks,
 * conversions, revenue and commission, added to by every write that changes them and read by
 * reports and by the rules that depend on a month's figures (tiers, caps). */
#include "app/rollups.h"

#include "core/money.h"
#include "store/totals.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define DAY_MS (86400LL * 1000)

#define STATS_UPSERT                                                                               \
    "INSERT INTO daily_stats (program_id, partner_id, link_id, day, clicks,"                       \
    " unique_clicks, conversions, revenue, commission)"                                            \
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"                                                 \
    " ON CONFLICT (program_id, partner_id, link_id, day) DO UPDATE SET"                            \
    " clicks = daily_stats.clicks + excluded.clicks,"                                              \
    " unique_clicks = daily_stats.unique_clicks + excluded.unique_clicks,"                         \
    " conversions = daily_stats.conversions + excluded.conversions,"                               \
    " revenue = daily_stats.revenue + excluded.revenue,"                                           \
    " commission = daily_stats.commission + excluded.commission"

static int64_t day_of(int64_t at_ms)
{
    return at_ms >= 0 ? at_ms / DAY_MS : -((-at_ms + DAY_MS - 1) / DAY_MS);
}

int stats_add_now(struct store *s, const char *program_id, const char *partner_id,
                  const char *link_id, int64_t at_ms, int64_t clicks, int64_t unique_clicks,
                  int64_t conversions, int64_t revenue, int64_t commission, struct pd_err *err)
{
    int64_t day = day_of(at_ms);
    struct db_val v[9] = {db_text(program_id), db_text(partner_id), db_text(link_id ? link_id : ""),
                          db_int(day),         db_int(clicks),      db_int(unique_clicks),
                          db_int(conversions), db_int(revenue),     db_int(commission)};
    if (revenue == 0 && commission == 0) /* clicks: no money to bound */
        return store_exec(s, STATS_UPSERT, v, 9, NULL, err);
    /* Money: the row's new figures must stay within MONEY_MAX_TOTAL (a row holds at most that and
     * an addition at most MONEY_MAX_AMOUNT, so the addition itself cannot overflow). */
    static const char upsert_money[] = STATS_UPSERT " RETURNING revenue, commission";
    struct store_cursor cur;
    int rc = store_query_row(s, upsert_money, v, 9, &cur, err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "no rollup row for %s", partner_id);
    int64_t r = 0, c = 0;
    bool ok = store_col_int_exact(&cur, 0, &r) && store_col_int_exact(&cur, 1, &c) &&
              money_total_ok(r) && money_total_ok(c);
    store_finish(&cur);
    if (!ok)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount",
                          "this would take partner %s's daily revenue or commission past %lld "
                          "minor units, the largest total partnerd keeps",
                          partner_id, (long long)MONEY_MAX_TOTAL);
    return 0;
}

int stats_add(struct store *s, const char *program_id, const char *partner_id, const char *link_id,
              int64_t at_ms, int64_t clicks, int64_t unique_clicks, int64_t conversions,
              int64_t revenue, int64_t commission, struct pd_err *err)
{
    /* Deferred: only increments (store/totals.h), added once per batch. */
    if (s->defer_totals && clicks >= 0 && unique_clicks >= 0 && conversions >= 0 && revenue >= 0 &&
        commission >= 0) {
        const char *key[TOTAL_TEXTS] = {partner_id, program_id, link_id ? link_id : ""};
        int64_t inc[TOTAL_VALUES] = {clicks, unique_clicks, conversions, revenue, commission};
        return store_total_add(s, TOTAL_DAILY, key, day_of(at_ms), inc) == 0
                   ? 0
                   : store_totals_first(s, err);
    }
    /* Money beside waiting money would be checked against totals without it. */
    if ((revenue != 0 || commission != 0) && store_totals_pending(s))
        return store_totals_first(s, err);
    return stats_add_now(s, program_id, partner_id, link_id, at_ms, clicks, unique_clicks,
                         conversions, revenue, commission, err);
}

/* The first day (days since the epoch) of the month after the one starting on `first`. A
 * conversion may be dated in an earlier month (occurred_at): that month's figures must not
 * include later months'. */
static int64_t next_month_day(int64_t first)
{
    return time_month_start_ms((first + 31) * DAY_MS) / DAY_MS;
}

/* A sum of the partner's rollups over the calendar month containing at (sql: its SUM over
 * ?1 partner, days ?2 to ?3), read exactly: a sum beyond int64 is refused, never clamped. */
static int month_sum(struct store *s, const char *sql, const char *partner_id, int64_t at,
                     int64_t *out, struct pd_err *err)
{
    int64_t first = time_month_start_ms(at) / DAY_MS;
    struct db_val q[3] = {db_text(partner_id), db_int(first), db_int(next_month_day(first))};
    struct store_cursor cur;
    int rc = store_query_row(s, sql, q, 3, &cur, err);
    if (rc < 0)
        return -1;
    *out = 0;
    if (rc == STORE_DONE)
        return 0;
    bool exact = store_is_null(&cur, 0) || store_col_int_exact(&cur, 0, out);
    store_finish(&cur);
    if (!exact)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount",
                          "partner %s's rollups of this month are beyond what partnerd can add "
                          "to; run partnerd check",
                          partner_id);
    return 0;
}

int stats_month_commission(struct store *s, const char *partner_id, int64_t at, int64_t *out,
                           struct pd_err *err)
{
    if (store_totals_pending(s))
        return store_totals_first(s, err);
    return month_sum(s,
                     "SELECT SUM(commission) FROM daily_stats"
                     " WHERE partner_id = ?1 AND day >= ?2 AND day < ?3",
                     partner_id, at, out, err);
}

int stats_partner_month(struct store *s, const char *partner_id, int64_t at, int64_t amount,
                        struct arena *a, struct partner *out, int64_t *revenue_before,
                        struct pd_err *err)
{
    if (store_totals_pending(s))
        return store_totals_first(s, err);
    int64_t first = time_month_start_ms(at) / DAY_MS;
    bool exact = true;
    int rc = partner_load_sum(s, partner_id,
                              "(SELECT SUM(revenue) FROM daily_stats"
                              " WHERE partner_id = ?1 AND day >= ?2 AND day < ?3)",
                              first, next_month_day(first), a, out, revenue_before, &exact, err);
    if (rc != 0)
        return rc;
    if (!exact)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount",
                          "partner %s's rollups of this month are beyond what partnerd can add "
                          "to; run partnerd check",
                          partner_id);
    int64_t after;
    if (!money_add(*revenue_before, amount, &after) || !money_total_ok(after))
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount",
                          "this order would take partner %s's revenue this month past %lld "
                          "minor units, the largest total partnerd keeps",
                          partner_id, (long long)MONEY_MAX_TOTAL);
    return 0;
}

int stats_month_revenue_check(struct store *s, const char *partner_id, int64_t at,
                              struct pd_err *err)
{
    int64_t revenue = 0;
    if (month_sum(s,
                  "SELECT SUM(revenue) FROM daily_stats"
                  " WHERE partner_id = ?1 AND day >= ?2 AND day < ?3",
                  partner_id, at, &revenue, err) < 0)
        return -1;
    if (!money_total_ok(revenue))
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount",
                          "partner %s's revenue this month would pass %lld minor units, the "
                          "largest total partnerd keeps",
                          partner_id, (long long)MONEY_MAX_TOTAL);
    return 0;
}
