/* The API's JSON shapes of commissions, conversions and payouts: read from the store by id, or
 * built from a row the caller has. Webhook events carry the same shapes. Each returns a new
 * reference, or NULL with err. */
#ifndef PD_APP_VIEWS_H
#define PD_APP_VIEWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

/* A commission as stored, as the API shows it. */
struct commission_row {
    const char *id, *program_id, *partner_id, *conversion_id, *lead_id, *rule_id, *currency,
        *status, *explanation;
    int64_t level, rule_version, base, amount, reversed, hold_until, created_at;
};

/* A conversion as stored (items and metadata: canonical JSON text or NULL). */
struct conversion_row {
    const char *id, *program_id, *order_id, *currency, *partner_id, *method, *click_id, *reason,
        *customer_id, *coupon, *ref, *fraud_reason, *items, *metadata;
    int64_t amount, refunded_amount, occurred_at, created_at;
};

json_t *commission_json_from(const struct commission_row *c);
json_t *commission_json_row(struct store_cursor *cur); /* from COMMISSION_COLUMNS */
#define COMMISSION_COLUMNS                                                                         \
    "id, program_id, partner_id, conversion_id, lead_id, level, rule_id, rule_version, base,"    \
    " amount, reversed, currency, status, explanation, hold_until, created_at"
/* The commission as the API answers it, with the rule of its version and the computation. */
json_t *commission_explained(struct store *s, const char *id, struct arena *a, struct pd_err *err);

/* Without its commissions. */
json_t *conversion_json_from(const struct conversion_row *r);
/* The conversion with its commissions, as the API answers it. NULL with err when not found. */
json_t *conversion_json(struct store *s, const char *id, struct arena *a, struct pd_err *err);

json_t *payout_json(struct store *s, const char *payout_id, bool with_items, struct pd_err *err);
/* One of a partner's statements (its line of a batch) from a row of api_list_me_payouts. */
json_t *payout_statement_json(struct store_cursor *cur);

#endif
