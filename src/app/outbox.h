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
/* How many endpoints want a conversion's events, as an SQL expression a caller reads with a
 * statement it runs anyway (outbox_conversion's `subscribed`: not 0). */
#define OUTBOX_CONVERSION_SUBSCRIBERS                                                              \
    "(SELECT COUNT(*) FROM webhook_subscriptions"                                                  \
    " WHERE event_type IN ('conversion.created', 'commission.created'))"
/* A new conversion (as conversion_json answers it): conversion.created, commission.created for
 * each of its commissions, and the attributed partner's postback (its template postback_url) when
 * it earned a commission. subscribed: OUTBOX_CONVERSION_SUBSCRIBERS, read in this transaction, is
 * not 0 (the endpoints are looked up only then). */
int outbox_conversion(struct store *s, json_t *conversion, bool subscribed,
                      const char *postback_url, int64_t now_ms, struct pd_err *err);

/* The sender's side (src/jobs/webhooks.c) and the endpoints' (src/api/webhooks.c): every other
 * write of webhook_deliveries. */

/* A claimed delivery is not due again before until_ms (sent again if its outcome never comes). */
int outbox_lease(struct store *s, const char *delivery_id, int64_t until_ms, struct pd_err *err);

struct outbox_attempt {
    const char *status; /* "delivered", "failed" or "pending" (retried at next_attempt_at) */
    int attempts;
    int64_t next_attempt_at;
    int http_status;     /* 0: no answer */
    const char *error;   /* NULL when delivered */
    int64_t finished_at; /* 0: still pending */
};
/* Records the outcome of an attempt. */
int outbox_attempted(struct store *s, const char *delivery_id, const struct outbox_attempt *at,
                     struct pd_err *err);
/* An endpoint's pending deliveries end with it (failed, "endpoint deleted"). */
int outbox_endpoint_deleted(struct store *s, const char *endpoint_id, int64_t now_ms,
                            struct pd_err *err);
/* Deletes up to `limit` deliveries finished before before_ms; *purged: how many. */
int outbox_purge_finished(struct store *s, int64_t before_ms, int limit, int64_t *purged,
                          struct pd_err *err);

#endif
