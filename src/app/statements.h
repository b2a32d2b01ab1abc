/* Payout statements: for a paid item, the document the partner prints and the merchant keeps:
 * the batch's period and reference, the commissions paid (each less what was reversed before the
 * payment left), the claw-backs the partner's balance carried into it, the total
 * (core/statement.h makes them add up), and both parties' details. Read-only. */
#ifndef PD_APP_STATEMENTS_H
#define PD_APP_STATEMENTS_H

#include <jansson.h>

#include "store/store.h"
#include "util/err.h"

/* The statement of the batch's item item_id (its id or its reference: the merchant's view), or
 * with item_id NULL of the batch's item of partner_id (the partner's own). 404 (param "id") for
 * no such item, or an item not paid. New reference, or NULL with err. */
json_t *statement_json(struct store *s, const char *payout_id, const char *item_id,
                       const char *partner_id, struct pd_err *err);

#endif
