/* The daily rollups (daily_stats), their one writer: every write that changes a partner's clicks,
 * conversions, revenue or commission adds to the row of its day here, in the caller's
 * transaction. */
#ifndef PD_APP_ROLLUPS_H
#define PD_APP_ROLLUPS_H

#include <stdint.h>

#include "app/partners.h"
#include "store/store.h"
#include "util/err.h"

/* The kind of a daily rollup row among a batch's deferred totals (store/totals.h): text the
 * partner, program and link ("" for none), num the day (days since the epoch), values clicks,
 * unique clicks, conversions, revenue, commission. */
#define TOTAL_DAILY 2

/* Adds to the daily rollup row of (program, partner, link, day) (in a batch that defers totals,
 * an increment waits there: store/totals.h). */
int stats_add(struct store *s, const char *program_id, const char *partner_id, const char *link_id,
              int64_t at_ms, int64_t clicks, int64_t unique_clicks, int64_t conversions,
              int64_t revenue, int64_t commission, struct pd_err *err);
/* As stats_add, written now whatever the batch defers (how the deferred ones are written). */
int stats_add_now(struct store *s, const char *program_id, const char *partner_id,
                  const char *link_id, int64_t at_ms, int64_t clicks, int64_t unique_clicks,
                  int64_t conversions, int64_t revenue, int64_t commission, struct pd_err *err);

/* 422 when the partner's attributed revenue in the month containing at, as the rollups hold it,
 * is past MONEY_MAX_TOTAL (a batch's deferred revenue checked once written). */
int stats_month_revenue_check(struct store *s, const char *partner_id, int64_t at,
                              struct pd_err *err);

/* Commission a partner has earned in the calendar month containing at (from the rollups). */
int stats_month_commission(struct store *s, const char *partner_id, int64_t at, int64_t *out,
                           struct pd_err *err);
/* Loads the partner (partner_load) and, in the same statement, its attributed revenue in the
 * month containing at before an order of `amount` (what tiers read). 0, 1 when there is no such
 * partner, -1 on error; 422 when the order would take that revenue past MONEY_MAX_TOTAL. */
int stats_partner_month(struct store *s, const char *partner_id, int64_t at, int64_t amount,
                        struct arena *a, struct partner *out, int64_t *revenue_before,
                        struct pd_err *err);

#endif
