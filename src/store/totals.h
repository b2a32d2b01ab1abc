/* A batch's deferred totals: increments that many jobs of one batch add to the same few rows (a
 * partner's balance, a day's rollup), kept on the connection instead of written one by one, and
 * written once per row by the batch's own writer (write_job.write_totals) before the commit. A
 * row updated once per batch is locked from that update to the commit only, so batches of other
 * lanes and nodes that add to the same row overlap their work instead of taking turns.
 *
 * The increments follow the transaction: those of a savepoint that is rolled back are taken off
 * again, and all are forgotten when the transaction ends. Only the writer's batches defer
 * (store->defer_totals); everywhere else totals are written where they change. */
#ifndef PD_STORE_TOTALS_H
#define PD_STORE_TOTALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define TOTAL_TEXTS 3
#define TOTAL_VALUES 5

/* One row's increments. Which table (kind), which row (text and num) and what each value means
 * are the caller's. */
struct total_row {
    int kind;
    char *text[TOTAL_TEXTS]; /* NULL: unused */
    int64_t num;
    int64_t v[TOTAL_VALUES];
};

/* Adds v to the row (kind, text, num), creating it at zero. The caller defers only increments that
 * never go down (their sum passes a limit exactly when one of the steps would), so a row's total
 * at the write tells whether every job's step stayed within the caller's limits. -1 when the sum
 * does not fit in int64 or memory runs out: nothing is added, and the job should have the totals
 * written first (store->totals_first) and run again. */
int store_total_add(struct store *s, int kind, const char *const text[TOTAL_TEXTS], int64_t num,
                    const int64_t v[TOTAL_VALUES]);

/* For a job that reads or writes a total as it is while increments wait (it would miss them):
 * sets store->totals_first and fails, so that the writer undoes the job, writes the totals and
 * runs it again writing its own. */
int store_totals_first(struct store *s, struct pd_err *err);

/* Whether increments wait to be written. */
bool store_totals_pending(const struct store *s);

/* The rows waiting, in the order they were first added (valid until the next add or clear). */
const struct total_row *store_totals_rows(const struct store *s, size_t *n);

/* Forgets every row (after writing them, or with the transaction). */
void store_totals_clear(struct store *s);

#endif
