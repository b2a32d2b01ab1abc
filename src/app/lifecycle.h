/* A commission's life after it is made: pending → approved when its hold period has passed or the
 * merchant approves it; rejected (with a reason) by the merchant. Each change appends its ledger
 * entry in the caller's transaction. */
#ifndef PD_APP_LIFECYCLE_H
#define PD_APP_LIFECYCLE_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

/* Approves one pending commission (409 when it is not pending). */
int commission_approve(struct store *s, const char *id, int64_t now_ms, struct pd_err *err);
/* Rejects a pending or approved commission (409 when paid, reversed or rejected already). */
int commission_reject(struct store *s, const char *id, const char *reason, int64_t now_ms,
                      struct pd_err *err);
/* Approves up to `limit` pending commissions whose hold has passed; *approved gets the count. */
int commissions_approve_due(struct store *s, int64_t now_ms, int limit, int64_t *approved,
                            struct pd_err *err);

/* The commission as the API answers it, with the rule of its version and the computation. */
json_t *commission_explained(struct store *s, const char *id, struct arena *a, struct pd_err *err);

/* Appends a ledger entry (shared by every write that moves money). */
struct ledger_delta;
int ledger_append(struct store *s, const char *program_id, const char *partner_id,
                  const char *commission_id, const char *payout_id, const char *currency,
                  const struct ledger_delta *d, int64_t now, struct pd_err *err);

#endif
