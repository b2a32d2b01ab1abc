/* Applying one verified store-webhook event of a connection, inside the caller's transaction: a
 * paid order becomes a conversion (conversion_record, as POST /api/v1/conversions), a refund a
 * refund of that order's conversion (refund_record; the amount by storehook_refund_share with
 * the order's gross total kept by connection_order_record, only what is new of a cumulative
 * refund), a refund of an order not seen yet waits for it, and anything unusable (a test-mode event
 * on a live connection, a live one on a test connection, another currency) is listed as ignored
 * with the reason. Of an order's codes, the first that is a coupon of the program's partners
 * attributes it. Stripe subscriptions: a subscription
 * checkout binds its customer to the partner (as POST /api/v1/leads does), an invoice converts
 * only for a bound customer ("customer not bound" otherwise), and invoice_payment.paid links the
 * invoice to the payment intent its charge refunds name. Each event is applied once. */
#ifndef PD_APP_CONNECTION_APPLY_H
#define PD_APP_CONNECTION_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "app/connections.h"
#include "core/storehook.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

struct connection_outcome {
    bool duplicate;       /* the event was applied before: nothing new */
    const char *outcome;  /* conversion | refund | ignored | pending | bound | linked */
    const char *reason;   /* ignored: why */
    const char *conversion_id, *refund_id;
};

/* Applies e (its event_id set) for connection c. -1 only for a store error: an event partnerd
 * cannot use is an outcome, never an error, so that the platform gets its 200. */
int connection_apply(struct store *s, const struct connection *c, const struct storehook_event *e,
                     int64_t now_ms, struct arena *a, struct connection_outcome *out,
                     struct pd_err *err);

#endif
