/* The durable outbox of outgoing webhooks and partner postbacks (README "Webhooks"). Every function
 * runs inside the caller's transaction, next to the change that causes the event, so a committed
 * change always has its deliveries and a rolled-back one never does. src/jobs/webhooks.c sends
 * them. */
#ifndef PD_APP_OUTBOX_H
#define PD_APP_OUTBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* Whether any endpoint subscribes to type (for events worth building only then). */
int outbox_subscribed(struct store *s, const char *type, bool *yes, struct pd_err *err);
/* One pending delivery per endpoint subscribed to type, carrying
 * {"id":"evt_…","type":…,"created":<unix s>,"data":data}. data is borrowed. */
int outbox_emit(struct store *s, const char *type, json_t *data, int64_t now_ms,
                struct pd_err *err);
/* commission.approved / commission.reversed with the commission as GET /api/v1/commissions/{id}
 * answers it; nothing (and no lookup) when no endpoint subscribes. */
int outbox_emit_commission(struct store *s, const char *type, const char *commission_id,
                           int64_t now_ms, struct pd_err *err);
/* payout.created / payout.paid with the batch without its items. */
int outbox_emit_payout(struct store *s, const char *type, const char *payout_id, int64_t now_ms,
                       struct pd_err *err);
/* A new conversion (as conversion_json answers it): conversion.created, commission.created for
 * each of its commissions, and the attributed partner's postback when it earned a commission. */
int outbox_conversion(struct store *s, json_t *conversion, int64_t now_ms, struct pd_err *err);

#endif
