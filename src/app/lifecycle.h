/* A commission's life, and the one writer of the commissions table: made pending
 * by a conversion or a lead; approved when its hold period has passed or the merchant approves
 * it; rejected (with a reason) by the merchant; reversed in part or whole by a refund; paid with
 * its payout batch. Each change appends its ledger entry in the caller's transaction. */
#ifndef PD_APP_LIFECYCLE_H
#define PD_APP_LIFECYCLE_H

#include <jansson.h>
#include <stdint.h>

#include "app/programs.h"
#include "app/views.h" /* commission_explained: a commission as the API answers it */
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

/* A new commission of a program; explanation and details (canonical JSON text or NULL) say how
 * it was computed. */
struct commission_new {
    const char *partner_id, *conversion_id, *lead_id; /* one of conversion_id, lead_id */
    int level;                                        /* 0: the partner's own; 1+: a parent's */
    const char *rule_id;
    int64_t base, amount;
    const char *explanation, *details;
};
/* Inserts it pending (held for the program's hold_days) and posts its ledger entry. row: when
 * not NULL, gets the new row as the API shows it (strings copied into a). */
int commission_insert(struct store *s, const struct program *prog, const struct commission_new *c,
                      int64_t now_ms, struct arena *a, struct commission_row *row,
                      struct pd_err *err);

/* Approves one pending commission (409 when it is not pending). */
int commission_approve(struct store *s, const char *id, int64_t now_ms, struct pd_err *err);
/* Rejects a pending or approved commission (409 when paid, reversed or rejected already, or when
 * its money left in a payout batch: a refund claws it back then). */
int commission_reject(struct store *s, const char *id, const char *reason, int64_t now_ms,
                      struct pd_err *err);
/* Approves up to `limit` pending commissions whose hold has passed; *approved gets the count. */
int commissions_approve_due(struct store *s, int64_t now_ms, int limit, int64_t *approved,
                            struct pd_err *err);
/* The same for holds ending by due_ms (a time chosen by an operator), posted at now_ms: the
 * ledger and the commissions carry the real time whatever moment chose them. */
int commissions_approve_due_by(struct store *s, int64_t due_ms, int64_t now_ms, int limit,
                               int64_t *approved, struct pd_err *err);

/* A live commission as a refund reads it. */
struct commission_state {
    const char *id, *program_id, *partner_id, *currency;
    int64_t amount, reversed;
    int status; /* enum commission_status */
};
/* Reverses `amount` more of it (a refund's share): its reversed total and status, the ledger
 * entry, and the commission.reversed event. Fully reversed, an unpaid commission is "reversed";
 * a paid one stays paid (the partner owes it back). */
int commission_reverse(struct store *s, const struct commission_state *c, int64_t amount,
                       int64_t now_ms, struct pd_err *err);

/* Items of a batch left through `channel` at sent_ms: the approved commissions of their
 * partners not in any batch, approved by approved_before_ms (when the batch was last computed),
 * join the batch (they stay approved until their item is paid). */
int commissions_join_items(struct store *s, const char *payout_id, const char *program_id,
                           const char *channel, int64_t sent_ms, int64_t approved_before_ms,
                           struct pd_err *err);
/* A partner's item of the batch (every item's when partner_id is NULL) was paid: so are its
 * approved commissions. */
int commissions_mark_paid(struct store *s, const char *payout_id, const char *partner_id,
                          int64_t now_ms, struct pd_err *err);
/* A partner's item of the batch failed: its commissions leave the batch, approved again (or
 * reversed, when refunds took all of one), for the next batch. */
int commissions_unpay(struct store *s, const char *payout_id, const char *partner_id,
                      int64_t now_ms, struct pd_err *err);

#endif
