/* The events of a commission's or a payout's change, built only when an endpoint subscribes and
 * handed to the outbox ready-made, in the caller's transaction. */
#ifndef PD_APP_EVENTS_H
#define PD_APP_EVENTS_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* commission.approved / commission.reversed with the commission as GET /api/v1/commissions/{id}
 * answers it; nothing (and no lookup) when no endpoint subscribes. */
int event_commission(struct store *s, const char *type, const char *commission_id, int64_t now_ms,
                     struct pd_err *err);
/* payout.created / payout.paid with the batch without its items. */
int event_payout(struct store *s, const char *type, const char *payout_id, int64_t now_ms,
                 struct pd_err *err);

#endif
