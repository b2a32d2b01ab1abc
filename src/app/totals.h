/* How a batch writes the totals its sales deferred (store/totals.h): partners' balances
 * (app/postings.h) and daily rollups (app/rollups.h). */
#ifndef PD_APP_TOTALS_H
#define PD_APP_TOTALS_H

#include "store/store.h"
#include "util/err.h"

/* write_job.write_totals for jobs whose totals are balances and rollups: each partner's lock (in
 * the order of partner ids), their balances, the rollup rows (in the order of daily_stats' key,
 * as clicks write theirs), then each month's revenue checked against its limit. -1 when a lock is
 * taken elsewhere (only tried: store.h) or a total passes its limit. */
int totals_write(struct store *s, struct pd_err *err);

#endif
