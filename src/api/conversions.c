/* /api/v1/conversions, their refunds, and /api/v1/leads */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/conversions.h"
#include "app/records.h"
#include "app/views.h"
#include "core/money.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define MAX_AMOUNT MONEY_MAX_AMOUNT
#define FUTURE_SLACK_MS (24LL * 3600 * 1000)

static const char *const conversion_fields[] = {
    "program_id", "order_id", "amount", "currency", "click_id", "coupon", "customer_id", "ref",
    "email",      "items",    "occurred_at", "metadata", NULL};

static int parse_items(json_t *items, struct arena *a, struct conversion_input *in,
                       struct pd_err *err)
{
    if (!json_is_array(items) || json_array_size(items) > CONVERSION_MAX_ITEMS)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "items", "items must be a list of at most %d",
                          CONVERSION_MAX_ITEMS);
    in->nitems = json_array_size(items);
    in->items = arena_calloc(a, (in->nitems + 1) * sizeof *in->items);
    static const char *const item_fields[] = {"sku", "category", "amount", "quantity", "name",
                                              NULL};
    for (size_t i = 0; i < in->nitems; i++) {
        json_t *it = json_array_get(items, i);
        char param[32];
        snprintf(param, sizeof param, "items[%zu]", i);
        if (!json_is_object(it))
            return pd_err_set(err, PD_ERR_BAD_REQUEST, param, "%s must be an object", param);
        struct commission_item *ci = &in->items[i];
        int64_t qty = 1;
        if (api_check_fields(it, item_fields, err) < 0 ||
            api_get_string(it, "sku", false, 128, &ci->sku, err) < 0 ||
            api_get_string(it, "category", false, 128, &ci->category, err) < 0 ||
            api_get_int(it, "amount", true, 0, MAX_AMOUNT, &ci->amount, err) < 0 ||
            api_get_int(it, "quantity", false, 1, 1000000, &qty, err) < 0) {
            char field[sizeof err->param];
            snprintf(field, sizeof field, "%s", err->param);
            snprintf(err->param, sizeof err->param, "%.20s.%.40s", param, field);
            return -1;
        }
        ci->quantity = qty;
    }
    /* The lines must add up to the order (checked again where every conversion is recorded). */
    if (commission_order_check(in->amount, in->items, in->nitems, err) < 0)
        return -1;
    char *text = json_dumps(items, JSON_COMPACT | JSON_SORT_KEYS);
    in->items_json = arena_strdup(a, text);
    free(text);
    return 0;
}

static int parse_conversion(struct api_call *call, struct conversion_input *in,
                            struct pd_err *err)
{
    json_t *b = call->body;
    struct arena *a = call->req->arena;
    const char *occurred = NULL;
    if (api_check_fields(b, conversion_fields, err) < 0 ||
        api_get_string(b, "program_id", false, 64, &in->program_id, err) < 0 ||
        api_get_string(b, "order_id", true, 255, &in->order_id, err) < 0 ||
        api_get_int(b, "amount", true, 0, MAX_AMOUNT, &in->amount, err) < 0 ||
        api_get_string(b, "currency", true, 3, &in->currency, err) < 0 ||
        api_get_string(b, "click_id", false, 64, &in->click_id, err) < 0 ||
        api_get_string(b, "coupon", false, 64, &in->coupon, err) < 0 ||
        api_get_string(b, "customer_id", false, 255, &in->customer_id, err) < 0 ||
        api_get_string(b, "ref", false, 64, &in->ref, err) < 0 ||
        api_get_string(b, "email", false, 254, &in->email, err) < 0 ||
        api_get_string(b, "occurred_at", false, 40, &occurred, err) < 0)
        return -1;
    if (!currency_find(in->currency))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "currency",
                          "currency must be an ISO 4217 code such as USD");
    if (occurred) {
        if (!time_parse_rfc3339(occurred, &in->occurred_at))
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "occurred_at",
                              "occurred_at must be an RFC 3339 time");
        if (in->occurred_at > call->now_ms + FUTURE_SLACK_MS || in->occurred_at <= 0)
            return pd_err_set(err, PD_ERR_UNPROCESSABLE, "occurred_at",
                              "occurred_at is in the future or before 1970");
    }
    json_t *items = json_object_get(b, "items");
    if (items && !json_is_null(items) && parse_items(items, a, in, err) < 0)
        return -1;
    json_t *meta = json_object_get(b, "metadata");
    if (meta && !json_is_null(meta)) {
        if (!json_is_object(meta) || json_object_size(meta) > 50)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "metadata",
                              "metadata must be an object of at most 50 keys");
        char *text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
        if (strlen(text) > 8192) {
            free(text);
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "metadata",
                              "metadata is larger than 8 KiB");
        }
        in->metadata_json = arena_strdup(a, text);
        free(text);
    }
    /* The same order sent twice with the same content is a retry; keys may come in any order. */
    char *canonical = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)canonical, strlen(canonical),
                       NULL, 0);
    free(canonical);
    sodium_bin2hex(in->request_hash, sizeof in->request_hash, digest, sizeof digest);
    return 0;
}

static int conversion_op(struct store *s, struct api_write *w)
{
    if (conversion_record(s, w->op_arg, w->call->now_ms, w->call->req->arena, &w->status,
                          &w->result, &w->err) < 0)
        return -1;
    atomic_fetch_add(&w->call->app->metrics.conversions, 1);
    return 0;
}

void api_conversions_create(struct api_call *call)
{
    struct conversion_input *in = arena_calloc(call->req->arena, sizeof *in);
    struct pd_err err = {0};
    if (parse_conversion(call, in, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    api_submit_write_any_lane(call, conversion_op, in);
}

void api_conversions_get(struct api_call *call)
{
    struct pd_err err = {0};
    json_t *o = conversion_json(call->db, call->path_params[0], call->req->arena, &err);
    if (!o) {
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, o);
}

static json_t *conversion_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    return conversion_json(call->db, store_col_text(cur, 0), call->req->arena, err);
}

void api_conversions_list(struct api_call *call)
{
    api_reply_list(call, &api_list_conversions, NULL, conversion_row);
}

static int refund_op(struct store *s, struct api_write *w)
{
    if (refund_record(s, w->op_arg, w->call->now_ms, w->call->req->arena, &w->result, &w->err) <
        0)
        return -1;
    w->status = 201;
    return 0;
}

void api_refunds_create(struct api_call *call)
{
    static const char *const fields[] = {"program_id", "amount", "reason", NULL};
    struct refund_input *in = arena_calloc(call->req->arena, sizeof *in);
    struct pd_err err = {0};
    in->order_id = call->path_params[0];
    if (api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "program_id", false, 64, &in->program_id, &err) < 0 ||
        api_get_int(call->body, "amount", true, 1, MAX_AMOUNT, &in->amount, &err) < 0 ||
        api_get_string(call->body, "reason", false, 500, &in->reason, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    api_submit_write(call, refund_op, in);
}

static int lead_op(struct store *s, struct api_write *w)
{
    if (lead_record(s, w->op_arg, w->call->now_ms, w->call->req->arena, &w->result, &w->err) < 0)
        return -1;
    w->status = 201;
    return 0;
}

void api_leads_create(struct api_call *call)
{
    static const char *const fields[] = {"program_id", "click_id", "ref", "coupon",
                                         "customer_id", "email", NULL};
    struct lead_input *in = arena_calloc(call->req->arena, sizeof *in);
    struct pd_err err = {0};
    json_t *b = call->body;
    if (api_check_fields(b, fields, &err) < 0 ||
        api_get_string(b, "program_id", false, 64, &in->program_id, &err) < 0 ||
        api_get_string(b, "click_id", false, 64, &in->click_id, &err) < 0 ||
        api_get_string(b, "ref", false, 64, &in->ref, &err) < 0 ||
        api_get_string(b, "coupon", false, 64, &in->coupon, &err) < 0 ||
        api_get_string(b, "customer_id", true, 255, &in->customer_id, &err) < 0 ||
        api_get_string(b, "email", false, 254, &in->email, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    if (!in->click_id && !in->ref && !in->coupon) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "click_id", "click_id, ref or coupon is required");
        return;
    }
    api_submit_write(call, lead_op, in);
}
