/* Payout statements: GET /api/v1/payouts/{id}/items/{item}/statement for the merchant, and
 * GET /api/v1/me/payouts/{id}/statement for the partner's own item of a batch (another partner's
 * is 404, as if it did not exist). */
#include "api/api.h"
#include "app/statements.h"
#include "util/banned.h"

static void reply_statement(struct api_call *call, const char *item_id, const char *partner_id)
{
    struct pd_err err = {0};
    json_t *o = statement_json(call->db, call->path_params[0], item_id, partner_id, &err);
    if (!o) {
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, o);
}

void api_payout_item_statement(struct api_call *call)
{
    reply_statement(call, call->path_params[1], NULL);
}

void api_me_payout_statement(struct api_call *call)
{
    reply_statement(call, NULL, call->auth.partner_id);
}
