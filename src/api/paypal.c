/* Paying with PayPal through the API: a program's `paypal` settings field (checked here, stored by
 * app/paypal_records.c, the secret never answered) and POST /api/v1/payouts/{id}/send, which
 * marks the batch's PayPal items sent and records its parts for the PayPal sender of `serve`
 * (src/jobs/paypal.c), answering 202 before PayPal is called. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/paypal_records.h"
#include "app/payouts.h"
#include "core/paypal.h"
#include "util/banned.h"

#define PAYPAL_TEXT_MAX 512

/* A string member of the paypal object: absent or not (null only where nullable). */
static int member(json_t *o, const char *key, bool nullable, const char **out, bool *given,
                  struct pd_err *err)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (given)
        *given = v != NULL;
    if (!v || (nullable && json_is_null(v)))
        return 0;
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > PAYPAL_TEXT_MAX) {
        pd_err_set(err, PD_ERR_BAD_REQUEST, NULL,
                   "paypal.%s must be a string of 1 to %d characters", key, PAYPAL_TEXT_MAX);
        snprintf(err->param, sizeof err->param, "paypal.%s", key);
        return -1;
    }
    *out = s;
    return 0;
}

int api_paypal_settings_parse(json_t *v, struct paypal_settings_patch *out, struct pd_err *err)
{
    static const char *const keys[] = {"client_id", "client_secret", "mode", "base_url", NULL};
    memset(out, 0, sizeof *out);
    out->given = true;
    if (json_is_null(v)) {
        out->remove = true;
        return 0;
    }
    if (!json_is_object(v))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "paypal",
                          "paypal must be an object {client_id, client_secret, mode, base_url}"
                          " or null");
    if (api_check_fields(v, keys, err) < 0) {
        char inner[sizeof err->param];
        snprintf(inner, sizeof inner, "%s", err->param);
        snprintf(err->param, sizeof err->param, "paypal.%.50s", inner);
        return -1;
    }
    if (member(v, "client_id", false, &out->client_id, NULL, err) < 0 ||
        member(v, "client_secret", false, &out->client_secret, NULL, err) < 0 ||
        member(v, "mode", false, &out->mode, NULL, err) < 0 ||
        member(v, "base_url", true, &out->base_url, &out->base_url_given, err) < 0)
        return -1;
    if (out->mode && !paypal_mode_base_url(out->mode))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "paypal.mode",
                          "paypal.mode must be sandbox or live");
    const char *why = out->base_url ? paypal_base_url_refusal(out->base_url) : NULL;
    if (why)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "paypal.base_url", "%s", why);
    return 0;
}

int api_program_add_paypal(struct store *s, json_t *program, struct pd_err *err)
{
    const char *id = json_string_value(json_object_get(program, "id"));
    json_t *pp = id ? paypal_settings_json(s, id, err) : json_null();
    if (!pp)
        return -1;
    json_object_set_new(program, "paypal", pp);
    return 0;
}

int api_payout_add_paypal(struct store *s, json_t *payout, struct pd_err *err)
{
    const char *id = json_string_value(json_object_get(payout, "id"));
    json_t *parts = id ? paypal_sends_json(s, id, err) : json_array();
    if (!parts)
        return -1;
    json_object_set_new(payout, "paypal", parts);
    return 0;
}

static int payout_send_op(struct store *s, struct api_write *w)
{
    const char *id = w->op_arg;
    struct arena *a = w->call->req->arena;
    struct db_val k = db_text(id);
    struct store_cursor cur;
    int rc = store_query_row(s, "SELECT program_id, status FROM payouts WHERE id = ?1", &k, 1, &cur,
                             &w->err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return pd_err_set(&w->err, PD_ERR_NOT_FOUND, "id", "no payout %s", id);
    const char *program_id = arena_strdup(a, store_col_text(&cur, 0));
    const char *status = arena_strdup(a, store_col_text(&cur, 1));
    store_finish(&cur);
    struct paypal_settings ps;
    int64_t sent = 0;
    rc = paypal_settings_load(s, program_id, a, &ps, &w->err);
    if (rc != 0)
        return rc < 0 ? -1
                      : pd_err_set(&w->err, PD_ERR_UNPROCESSABLE, "id",
                                   "PayPal is not set up for this batch's program (PATCH the"
                                   " program's paypal field)");
    if (paypal_sends_count(s, id, &sent, &w->err) < 0)
        return -1;
    if (sent > 0)
        return pd_err_set(&w->err, PD_ERR_CONFLICT, "id", "batch %s was sent to PayPal already",
                          id);
    /* A draft, or a batch whose IBAN items were exported while its PayPal items wait. */
    if (strcmp(status, "draft") != 0 && strcmp(status, "exported") != 0)
        return pd_err_set(&w->err, PD_ERR_UNPROCESSABLE, "id",
                          "batch %s is %s: only a draft can be sent", id, status);
    struct payout_paypal_item *items;
    size_t n = 0, parts = 0;
    int64_t moved = 0;
    if (payout_paypal_mark_sent(s, id, w->call->now_ms, &moved, &w->err) < 0)
        return -1;
    if (moved == 0 || payout_paypal_items(s, id, 1, a, &items, &n, &parts, &w->err) < 0 ||
        parts == 0)
        return w->err.kind ? -1
                           : pd_err_set(&w->err, PD_ERR_UNPROCESSABLE, "id",
                                        "batch %s has no PayPal item to send", id);
    if (paypal_sends_create(s, id, (int)parts, w->call->now_ms, &w->err) < 0)
        return -1;
    w->result = api_payout_batch_json(s, id, &w->err);
    w->status = 202;
    return w->result ? 0 : -1;
}

void api_payouts_send(struct api_call *call)
{
    api_submit_write(call, payout_send_op, arena_strdup(call->req->arena, call->path_params[0]));
}
