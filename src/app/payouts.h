/* Payout batches: every partner's approved balance up to the end of a period, when it reaches the
 * program's minimum, batched once per (program, period); exported as CSV; marked paid, which posts
 * the ledger entries and marks the commissions paid. */
#ifndef PD_APP_PAYOUTS_H
#define PD_APP_PAYOUTS_H

#include <jansson.h>
#include <stdio.h>
#include <stdint.h>

#include "app/views.h" /* payout_json: a batch as the API answers it */
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

/* "2026-11" → the period's first millisecond and the next month's. false when malformed. */
bool payout_period_parse(const char *period, int64_t *start_ms, int64_t *end_ms);

typedef void (*payout_progress_fn)(const char *stage, int64_t done, int64_t total, void *arg);

/* Creates the batch of (program, period), or finds it again (*created false). *payout_id gets its
 * id (arena). progress may be NULL. */
int payout_create(struct store *s, const char *program_id, const char *period, int64_t now_ms,
                  struct arena *a, const char **payout_id, bool *created,
                  payout_progress_fn progress, void *progress_arg, struct pd_err *err);
/* Marks a batch paid: one payout ledger entry per item, its commissions paid. 409 when already. */
int payout_mark_paid(struct store *s, const char *payout_id, int64_t now_ms, struct pd_err *err);

/* csv_put_field (core/payout_csv.h) onto a stream. */
void payout_csv_field(FILE *out, const char *v, bool last);

/* Writes the batch as CSV (header + one row per item). */
int payout_write_csv(struct store *s, const char *payout_id, FILE *out,
                     payout_progress_fn progress, void *progress_arg, struct pd_err *err);

#endif
