/* /api/v1/webhooks: endpoints that receive signed events (README "Webhooks"). The secret is
 * answered once, on create; lists never show it. Deliveries are made by src/jobs/webhooks.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/outbox.h"
#include "app/records.h"
#include "app/webhook_format.h"
#include "core/ids.h"
#include "core/url.h"
#include "util/banned.h"

#define WEBHOOK_MAX_EVENTS 16

struct webhook_create {
    const char *url, *description;
    const char *events[WEBHOOK_MAX_EVENTS];
    size_t nevents;
    const char *events_json;
};

static json_t *endpoint_json(const char *id, const char *url, const char *events_json,
                             const char *description, int64_t created)
{
    json_t *events = json_loads(events_json, 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", id, "object", "webhook_endpoint",
                     "url", url, "events", events ? events : json_array(), "description",
                     description ? json_string(description) : json_null(), "created",
                     pd_json_time(created));
}

static int webhook_create_op(struct store *s, struct api_write *w)
{
    struct webhook_create *r = w->op_arg;
    int64_t now = w->call->now_ms;
    char id[ID_MAX_LEN], secret[48];
    id_new(id, sizeof id, "whe_", (uint64_t)now);
    memcpy(secret, "whsec_", 6);
    id_random_token(secret + 6, 32);
    struct db_val v[6] = {db_text(id),
                          db_text(r->url),
                          db_text(secret),
                          db_text(r->events_json),
                          db_text(r->description),
                          db_int(now)};
    if (store_exec(s,
                   "INSERT INTO webhook_endpoints (id, url, secret, events, description,"
                   " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   v, 6, NULL, &w->err) < 0)
        return -1;
    for (size_t i = 0; i < r->nevents; i++) {
        struct db_val e[2] = {db_text(id), db_text(r->events[i])};
        if (store_exec(s,
                       "INSERT INTO webhook_subscriptions (endpoint_id, event_type)"
                       " VALUES (?1, ?2)",
                       e, 2, NULL, &w->err) < 0)
            return -1;
    }
    w->result = endpoint_json(id, r->url, r->events_json, r->description, now);
    json_object_set_new(w->result, "secret", json_string(secret));
    w->status = 201;
    return 0;
}

void api_webhooks_create(struct api_call *call)
{
    static const char *const fields[] = {"url", "events", "description", NULL};
    struct webhook_create *r = arena_calloc(call->req->arena, sizeof *r);
    struct pd_err err = {0};
    json_t *b = call->body;
    struct url_parts u;
    if (api_check_fields(b, fields, &err) < 0 ||
        api_get_string(b, "url", true, 2048, &r->url, &err) < 0 ||
        api_get_string(b, "description", false, 500, &r->description, &err) < 0)
        goto fail;
    if (!url_parse(r->url, &u)) {
        pd_err_set(&err, PD_ERR_BAD_REQUEST, "url", "url must be an absolute http or https URL");
        goto fail;
    }
    if (!call->app->cfg.webhook_allow_private && webhook_host_private(u.host)) {
        /* Names are checked again once resolved, at every delivery. */
        pd_err_set(&err, PD_ERR_UNPROCESSABLE, "url",
                   "url must not name a loopback, private or link-local address (the"
                   " webhook_allow_private setting allows it)");
        goto fail;
    }
    json_t *events = json_object_get(b, "events");
    if (!json_is_array(events) || json_array_size(events) == 0 ||
        json_array_size(events) > WEBHOOK_MAX_EVENTS) {
        pd_err_set(&err, PD_ERR_BAD_REQUEST, "events",
                   "events must be a non-empty array of event types, e.g. "
                   "[\"conversion.created\"]");
        goto fail;
    }
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        const char *type = json_string_value(e);
        if (!type || !webhook_event_known(type)) {
            pd_err_set(&err, PD_ERR_BAD_REQUEST, "events",
                       "unknown event type %.80s; known: click.created, conversion.created,"
                       " commission.created, commission.approved, commission.reversed,"
                       " payout.created, payout.paid",
                       type ? type : "(not a string)");
            goto fail;
        }
        bool dup = false;
        for (size_t k = 0; k < r->nevents; k++)
            dup = dup || strcmp(r->events[k], type) == 0;
        if (dup)
            continue;
        r->events[r->nevents++] = arena_strdup(call->req->arena, type);
    }
    json_t *list = json_array();
    for (size_t k = 0; k < r->nevents; k++)
        json_array_append_new(list, json_string(r->events[k]));
    char *text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    if (!text)
        abort();
    r->events_json = arena_strdup(call->req->arena, text);
    free(text);
    api_submit_write(call, webhook_create_op, r);
    return;
fail:
    api_reply_error(call, &err);
}

static json_t *endpoint_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    return endpoint_json(store_col_text(cur, 0), store_col_text(cur, 1), store_col_text(cur, 2),
                         store_is_null(cur, 3) ? NULL : store_col_text(cur, 3),
                         store_col_int(cur, 4));
}

void api_webhooks_list(struct api_call *call)
{
    api_reply_list(call, &api_list_webhooks, NULL, endpoint_row);
}

/* One delivery attempt record (GET /api/v1/webhooks/{id}/deliveries): where an event stands. */
static json_t *delivery_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    (void)call;
    (void)err;
    bool pending = strcmp(store_col_text(cur, 3), "pending") == 0;
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "id", store_col_text(cur, 0),
        "object", "webhook_delivery", "event_id", store_col_text(cur, 1), "event_type",
        store_col_text(cur, 2), "status", store_col_text(cur, 3), "attempts",
        (json_int_t)store_col_int(cur, 4), "last_status",
        store_is_null(cur, 5) ? json_null() : json_integer(store_col_int(cur, 5)), "last_error",
        store_is_null(cur, 6) ? json_null() : json_string(store_col_text(cur, 6)), "next_attempt",
        pending ? pd_json_time(store_col_int(cur, 7)) : json_null(), "finished",
        store_is_null(cur, 8) ? json_null() : pd_json_time(store_col_int(cur, 8)));
    if (o)
        json_object_set_new(o, "created", pd_json_time(store_col_int(cur, 9)));
    return o;
}

void api_webhooks_deliveries(struct api_call *call)
{
    const char *id = call->path_params[0];
    const char *status = api_query(call, "status");
    if (status && strcmp(status, "pending") != 0 && strcmp(status, "delivered") != 0 &&
        strcmp(status, "failed") != 0) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "status",
                         "status must be pending, delivered or failed");
        return;
    }
    struct pd_err err = {0};
    struct db_val e = db_text(id);
    int64_t found = 0;
    if (store_query_int(call->db, "SELECT count(*) FROM webhook_endpoints WHERE id = ?1", &e, 1, 0,
                        &found, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    if (!found) {
        api_reply_errorf(call, PD_ERR_NOT_FOUND, "id", "no webhook endpoint %.64s", id);
        return;
    }
    api_reply_list(call, &api_list_deliveries, id, delivery_row);
}

static int webhook_delete_op(struct store *s, struct api_write *w)
{
    const char *id = w->op_arg;
    struct db_val p = db_text(id);
    int64_t changed = 0;
    /* Its undelivered events end with it. */
    if (store_exec(s, "DELETE FROM webhook_subscriptions WHERE endpoint_id = ?1", &p, 1, NULL,
                   &w->err) < 0 ||
        store_exec(s, "DELETE FROM webhook_endpoints WHERE id = ?1", &p, 1, &changed, &w->err) <
            0 ||
        outbox_endpoint_deleted(s, id, w->call->now_ms, &w->err) < 0)
        return -1;
    if (changed == 0)
        return pd_err_set(&w->err, PD_ERR_NOT_FOUND, "id", "no webhook endpoint %s", id);
    w->result = json_pack("{s:s, s:s, s:b}", "id", id, "object", "webhook_endpoint", "deleted", 1);
    w->status = 200;
    return 0;
}

void api_webhooks_delete(struct api_call *call)
{
    api_submit_write(call, webhook_delete_op, (void *)call->path_params[0]);
}
