/* /api/v1/commissions and /api/v1/me/commissions */
#include <string.h>

#include "api/api.h"
#include "app/conversions.h"
#include "util/banned.h"

static void list_commissions(struct api_call *call, const char *partner_id)
{
    int limit;
    const char *after;
    struct pd_err err = {0};
    if (api_list_params(call, &limit, &after, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    const char *status = api_query(call, "status");
    struct db_val v[5] = {db_text(after ? after : ""), db_int(limit + 1), db_text(partner_id),
                          db_text(status), db_text(api_query(call, "conversion_id"))};
    struct store_cursor cur;
    if (store_query(call->db,
                    "SELECT " COMMISSION_COLUMNS " FROM commissions WHERE id > ?1"
                    " AND (?3 IS NULL OR partner_id = ?3) AND (?4 IS NULL OR status = ?4)"
                    " AND (?5 IS NULL OR conversion_id = ?5) ORDER BY id LIMIT ?2",
                    v, 5, &cur, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    json_t *data = json_array();
    int n = 0, rc;
    while ((rc = store_step(&cur, &err)) == STORE_ROW) {
        if (++n > limit)
            break;
        json_array_append_new(data, commission_json_row(&cur));
    }
    store_finish(&cur);
    if (rc < 0) {
        json_decref(data);
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, json_pack("{s:o, s:b}", "data", data, "has_more", n > limit));
}

void api_commissions_list(struct api_call *call)
{
    list_commissions(call, api_query(call, "partner_id"));
}

void api_me_commissions(struct api_call *call)
{
    list_commissions(call, call->auth.partner_id);
}

void api_commissions_get(struct api_call *call)
{
    struct pd_err err = {0};
    struct db_val p = db_text(call->path_params[0]);
    struct store_cursor cur;
    int rc = store_query_row(call->db,
                             "SELECT " COMMISSION_COLUMNS " FROM commissions WHERE id = ?1", &p,
                             1, &cur, &err);
    if (rc < 0) {
        api_reply_error(call, &err);
        return;
    }
    if (rc == STORE_DONE) {
        api_reply_errorf(call, PD_ERR_NOT_FOUND, "id", "no commission %s", call->path_params[0]);
        return;
    }
    json_t *o = commission_json_row(&cur);
    store_finish(&cur);
    api_reply_json(call, 200, o);
}
