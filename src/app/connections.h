/* Store connections: a program's webhook endpoint for Stripe, Shopify, WooCommerce or Paddle, the
 * events its deliveries carried (each applied once), the orders it converted (their gross total
 * and payment, for the refunds to come) and the refunds waiting for their order. The only writer
 * of connections, connection_events, connection_orders and connection_pending_refunds; every
 * function runs inside the caller's transaction. The signing secret is read here for the signature check and
 * never answered. */
#ifndef PD_APP_CONNECTIONS_H
#define PD_APP_CONNECTIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/storehook.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

#define CONNECTION_SECRET_MAX 512

struct connection {
    const char *id, *program_id, *platform;
    const char *mode;           /* "live" or "test": the events it applies; the others are ignored */
    const char *signing_secret; /* NULL when none is set */
    int64_t created_at;
    int64_t last_refused_at;    /* 0: never */
    const char *last_refused_reason;
};

#define CONNECTION_COLUMNS                                                                         \
    "id, program_id, platform, signing_secret, created_at, last_refused_at, last_refused_reason,"   \
    " mode"
/* A row of CONNECTION_COLUMNS into *out (strings in a). */
void connection_from_row(struct store_cursor *cur, struct arena *a, struct connection *out);

/* The connection's JSON without its secret (public_url + "/hooks/{platform}/{id}" as its
 * endpoint_url). New reference. */
json_t *connection_to_json(const struct connection *c, const char *public_url);

/* "live" or "test"; connection_mode_valid is false for anything else. */
bool connection_mode_valid(const char *mode);

/* Creates a connection of an existing program (404 naming program_id otherwise); mode NULL is
 * "live". */
int connection_insert(struct store *s, const char *program_id, const char *platform,
                      const char *secret, const char *mode, int64_t now_ms, struct arena *a,
                      struct connection *out, struct pd_err *err);
/* 0 found, 1 not found (err filled: 404 naming id), -1 store error. */
int connection_load(struct store *s, const char *id, struct arena *a, struct connection *out,
                    struct pd_err *err);
/* Sets the signing secret and / or the mode (NULL: unchanged); 404 when there is no such
 * connection. */
int connection_update(struct store *s, const char *id, const char *secret, const char *mode,
                      struct pd_err *err);
/* Deletes the connection with its events, orders and waiting refunds; 404 when there is none. */
int connection_delete(struct store *s, const char *id, struct pd_err *err);
/* Records a refused delivery: when and why (one short sentence). */
int connection_refused(struct store *s, const char *id, int64_t now_ms, const char *reason,
                       struct pd_err *err);

/* Whether the connection has already accepted event_id. */
int connection_event_seen(struct store *s, const char *connection_id, const char *event_id,
                          bool *seen, struct pd_err *err);
struct connection_event {
    const char *connection_id, *event_id, *event_type;
    const char *outcome; /* conversion | refund | ignored | pending */
    const char *reason, *order_id, *payment_ref, *conversion_id, *refund_id;
};
/* Lists an accepted event (the unique key refuses it twice: STORE_CONSTRAINT). */
int connection_event_insert(struct store *s, const struct connection_event *e, int64_t now_ms,
                            struct pd_err *err);
/* The JSON of a row of CONNECTION_EVENT_COLUMNS. New reference. */
#define CONNECTION_EVENT_COLUMNS                                                                   \
    "id, connection_id, event_id, event_type, outcome, reason, order_id, conversion_id,"          \
    " refund_id, created_at"
json_t *connection_event_row_json(struct store_cursor *cur);

/* An order the connection converted, kept as long as the connection: the refunds of any later
 * time compute their share from its gross total and find it by its payment. Recording an order
 * again keeps what was known (a payment_ref or gross_total of NULL / 0 changes nothing). */
int connection_order_record(struct store *s, const char *connection_id, const char *order_id,
                            const char *payment_ref, int64_t gross_total,
                            const char *conversion_id, int64_t now_ms, struct pd_err *err);
/* The order's gross total as recorded (0 when unknown or never recorded) and the gross its
 * separate (not cumulative) refunds returned so far. */
int connection_order_gross(struct store *s, const char *connection_id, const char *order_id,
                           int64_t *gross_total, int64_t *refunded_gross, struct pd_err *err);
/* Adds gross to what the order's separate refunds returned (nothing when it is not recorded). */
int connection_order_refunded(struct store *s, const char *connection_id, const char *order_id,
                              int64_t gross, struct pd_err *err);
/* The order whose payment is payment_ref (NULL when none is recorded). */
int connection_order_of_payment(struct store *s, const char *connection_id,
                                const char *payment_ref, struct arena *a, const char **order_id,
                                struct pd_err *err);

/* A refund waiting for its order (named by order_id, or by payment_ref when the platform gives
 * only the payment): the refund and the refunded payment's gross total. */
struct connection_pending {
    const char *event_id;
    int64_t gross_total;
    struct storehook_refund refund;
};
int connection_pending_add(struct store *s, const char *connection_id, const char *event_id,
                           const char *order_id, const char *payment_ref, int64_t gross_total,
                           const struct storehook_refund *r, int64_t now_ms, struct pd_err *err);
/* The refunds waiting for payment_ref alone wait for order_id too (a Stripe invoice whose payment
 * intent became known before the invoice converted). */
int connection_pending_link(struct store *s, const char *connection_id, const char *payment_ref,
                            const char *order_id, struct pd_err *err);
#define CONNECTION_PENDING_MAX 32
/* Takes (reads and deletes) the refunds waiting for order_id or payment_ref, oldest first, at most
 * CONNECTION_PENDING_MAX (the rest wait for the next delivery of the order). */
int connection_pending_take(struct store *s, const char *connection_id, const char *order_id,
                            const char *payment_ref, struct arena *a,
                            struct connection_pending *out, size_t *n, struct pd_err *err);
/* The waiting refund event_id was applied as refund_id (or ignored with reason when NULL). */
int connection_event_resolved(struct store *s, const char *connection_id, const char *event_id,
                              const char *refund_id, const char *reason, struct pd_err *err);

/* How long an accepted event is kept (and a replay of it recognised), and how long a refund waits
 * for its order: well past the platforms' retry windows (Stripe and Paddle retry for 3 days,
 * Shopify for 48 hours). */
#define CONNECTION_EVENT_DAYS 30
/* Deletes up to limit events and up to limit waiting refunds created before before_ms, oldest
 * first; *purged gets the count of both. The orders stay. */
int connection_events_purge(struct store *s, int64_t before_ms, int limit, int64_t *purged,
                            struct pd_err *err);

#endif
