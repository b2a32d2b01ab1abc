/* Conversions, refunds and leads: the writes that move money. Each runs inside the caller's
 * transaction (on the writer thread) and does every lookup there, so what it decides is consistent
 * with what it writes. */
#ifndef PD_APP_CONVERSIONS_H
#define PD_APP_CONVERSIONS_H

#include <jansson.h>
#include <stdint.h>

#include "core/commission.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

#define CONVERSION_MAX_ITEMS 100

struct conversion_input {
    const char *program_id;  /* NULL: the only program */
    const char *order_id;
    int64_t amount;
    const char *currency;    /* as sent; checked against the program's */
    const char *click_id, *coupon, *customer_id, *ref, *email;
    struct commission_item *items;
    size_t nitems;
    const char *items_json, *metadata_json; /* canonical JSON text or NULL */
    int64_t occurred_at;     /* 0: now */
    char request_hash[65];   /* of the canonical body: a replay with the same body answers 200 */
};

/* Records a conversion (or finds the same one again). *status: 201 new, 200 replay.
 * Errors: 409 same order_id with another body, 422 currency mismatch, 404 program. */
int conversion_record(struct store *s, const struct conversion_input *in, int64_t now_ms,
                      struct arena *a, int *status, json_t **out, struct pd_err *err);

/* The conversion's refunded total is now `refunded` (the conversions table's writes stay here). */
int conversion_set_refunded(struct store *s, const char *conversion_id, int64_t refunded,
                            struct pd_err *err);

struct refund_input {
    const char *program_id;
    const char *order_id;
    int64_t amount;
    const char *reason;
};
/* Refunds part of an order and reverses its commissions in proportion: each live commission C of an
 * order of A reverses round(C * R / A) minus what it already reversed, R the cumulative refunded
 * amount (half to even). */
int refund_record(struct store *s, const struct refund_input *in, int64_t now_ms, struct arena *a,
                  json_t **out, struct pd_err *err);

struct lead_input {
    const char *program_id;
    const char *click_id, *ref, *coupon;
    const char *customer_id, *email;
};
int lead_record(struct store *s, const struct lead_input *in, int64_t now_ms, struct arena *a,
                json_t **out, struct pd_err *err);

#endif
