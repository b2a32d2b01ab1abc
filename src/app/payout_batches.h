/* The payouts and payout_items tables, their one writer: a batch's row and status, its items
 * computed from the partners' approved balances in one statement, the items' moves (sent, paid,
 * failed) and the batch's total kept equal to its items that are not held. Below the operations
 * (app/payouts.c) and the commission lifecycle, which both call it in the caller's transaction. */
#ifndef PD_APP_PAYOUT_BATCHES_H
#define PD_APP_PAYOUT_BATCHES_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

struct payout_batch {
    const char *id, *program_id, *period, *status, *currency;
    int64_t total, updated_at, exported_at; /* exported_at: 0 when never */
};

/* 0, or 404 (param "id") when there is no such batch. Strings in a. */
int payout_batch_load(struct store *s, const char *id, struct arena *a, struct payout_batch *b,
                      struct pd_err *err);
/* The program's draft (the newest when several), *id NULL when it has none. */
int payout_batch_draft_of(struct store *s, const char *program_id, struct arena *a, const char **id,
                          const char **period, struct pd_err *err);

int payout_batch_insert(struct store *s, const char *id, const char *program_id, const char *period,
                        const char *currency, int64_t now_ms, struct pd_err *err);
/* Replaces a draft's items: one per partner of the program with a positive approved balance,
 * payable or held with its reason; references numbered in partner order; total updated. */
int payout_batch_compute(struct store *s, const char *id, const char *program_id,
                         int64_t min_payout, const char *currency, int64_t now_ms, int64_t *items,
                         struct pd_err *err);
/* A partner's approved balance went down by delta (a rejection, a reversal, a claw-back): its
 * item in the program's draft shrinks by as much (never above the balance left), is held when
 * below the minimum, and goes when nothing is left. */
int payout_drafts_reduce_partner(struct store *s, const char *program_id, const char *partner_id,
                                 int64_t delta, struct pd_err *err);
int payout_batch_delete(struct store *s, const char *id, struct pd_err *err);

/* The payable items of one method type ("paypal", "iban", or NULL for all) leave through
 * channel: status sent, sent_at now; those of partners suspended since are held instead. The
 * batch becomes batch_status ("exported" or "sent") if it was a draft. *count gets how many
 * left. */
int payout_items_send(struct store *s, const char *id, const char *method_type, const char *channel,
                      const char *batch_status, int64_t now_ms, int64_t *count, struct pd_err *err);
/* The channel the items of a method type left through, NULL when none left yet. */
int payout_items_channel(struct store *s, const char *id, const char *method_type, struct arena *a,
                         const char **channel, struct pd_err *err);
/* Every sent item of the batch is paid. *count gets how many. */
int payout_items_pay_all(struct store *s, const char *id, int64_t now_ms, int64_t *count,
                         struct pd_err *err);

/* One item by reference: its partner, amount and status (strings in a); 404 when unknown. */
struct payout_item_ref {
    const char *partner_id, *status, *currency, *channel; /* channel: how it left, or NULL */
    int64_t amount;
};
int payout_item_find(struct store *s, const char *id, const char *reference, struct arena *a,
                     struct payout_item_ref *it, struct pd_err *err);
/* Sets the item's status (paid or failed, with reason) from `from`; 409 when it changed. */
int payout_item_set(struct store *s, const char *id, const char *reference, const char *from,
                    bool paid, const char *reason, int64_t now_ms, struct pd_err *err);
/* The batch is paid when no item is payable or sent any more. *paid tells whether it is now. */
int payout_batch_settle_if_done(struct store *s, const char *id, int64_t now_ms, bool *paid,
                                struct pd_err *err);

#endif
