/* Ledger postings: the one writer of ledger_entries and partner_balances. Every write that moves
 * money appends its entry here, in the caller's transaction. */
#ifndef PD_APP_POSTINGS_H
#define PD_APP_POSTINGS_H

#include <stdint.h>

#include "core/ledger.h"
#include "store/store.h"
#include "util/err.h"

/* The kind of a partner's balance among a batch's deferred totals (store/totals.h): text[0] the
 * partner, values pending, approved, paid. */
#define TOTAL_BALANCE 1

/* Appends a ledger entry and adds it to the partner's running balance (in a batch that defers
 * totals, an increment waits there: store/totals.h); 422 when a bucket of that balance would pass
 * MONEY_MAX_TOTAL. */
int ledger_append(struct store *s, const char *program_id, const char *partner_id,
                  const char *commission_id, const char *payout_id, const char *currency,
                  const struct ledger_delta *d, int64_t now, struct pd_err *err);

/* Adds to the partner's running balance now, whatever the batch defers (how the deferred ones
 * are written); 422 naming `what` when a bucket would pass MONEY_MAX_TOTAL. */
int ledger_balance_add(struct store *s, const char *partner_id, int64_t pending, int64_t approved,
                       int64_t paid, const char *what, struct pd_err *err);

/* Posts the payout entry (approved → paid) of every item of the batch that left through
 * `channel` at sent_ms (the items payout_items_send just moved), in one statement, and moves
 * their partners' balances; 422 when a paid bucket would pass MONEY_MAX_TOTAL. */
int ledger_append_payout_items(struct store *s, const char *program_id, const char *payout_id,
                               const char *channel, int64_t sent_ms, struct pd_err *err);

#endif
