/* /api/v1/programs/{id}/connections and /api/v1/connections: store connections (README "Store
 * webhooks"). The signing secret is write-only: set on create or with PATCH, never answered. The
 * mode ("live", the default, or "test") is set on create or with PATCH. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/connections.h"
#include "core/storehook.h"
#include "util/banned.h"

struct connection_write {
    const char *id; /* the program's on create, the connection's on update */
    const char *platform;
    const char *secret;
    const char *mode;
    struct connection c;
};

static int connection_create_op(struct store *s, struct api_write *w)
{
    struct connection_write *r = w->op_arg;
    if (connection_insert(s, r->id, r->platform, r->secret, r->mode, w->call->now_ms,
                          w->call->req->arena, &r->c, &w->err) < 0)
        return -1;
    w->result = connection_to_json(&r->c, w->call->app->cfg.public_url);
    w->status = 201;
    return 0;
}

static int get_secret(json_t *b, bool required, const char **out, struct pd_err *err)
{
    if (api_get_string(b, "signing_secret", required, CONNECTION_SECRET_MAX, out, err) < 0)
        return -1;
    if (*out && !**out)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "signing_secret",
                          "signing_secret must not be empty");
    return 0;
}

static int get_mode(json_t *b, const char **out, struct pd_err *err)
{
    if (api_get_string(b, "mode", false, 8, out, err) < 0)
        return -1;
    if (*out && !connection_mode_valid(*out))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "mode", "mode must be live or test");
    return 0;
}

void api_connections_create(struct api_call *call)
{
    static const char *const fields[] = {"platform", "signing_secret", "mode", NULL};
    struct connection_write *r = arena_calloc(call->req->arena, sizeof *r);
    struct pd_err err = {0};
    enum storehook_platform p;
    r->id = call->path_params[0];
    if (api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "platform", true, 32, &r->platform, &err) < 0 ||
        get_secret(call->body, false, &r->secret, &err) < 0 || get_mode(call->body, &r->mode, &err) < 0)
        goto fail;
    if (!storehook_platform_parse(r->platform, &p)) {
        pd_err_set(&err, PD_ERR_BAD_REQUEST, "platform",
                   "platform must be stripe, shopify, woocommerce or paddle");
        goto fail;
    }
    api_submit_write(call, connection_create_op, r);
    return;
fail:
    api_reply_error(call, &err);
}

static json_t *connection_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    (void)err;
    struct connection c;
    connection_from_row(cur, call->req->arena, &c);
    return connection_to_json(&c, call->app->cfg.public_url);
}

/* 0 when the program exists, else answered (404 or a store error). */
static int program_exists(struct api_call *call, const char *id)
{
    struct pd_err err = {0};
    struct db_val v = db_text(id);
    int64_t found = 0;
    if (store_query_int(call->db, "SELECT count(*) FROM programs WHERE id = ?1", &v, 1, 0, &found,
                        &err) < 0) {
        api_reply_error(call, &err);
        return -1;
    }
    if (!found) {
        api_reply_errorf(call, PD_ERR_NOT_FOUND, "id", "no program %.64s", id);
        return -1;
    }
    return 0;
}

void api_connections_list(struct api_call *call)
{
    if (program_exists(call, call->path_params[0]) < 0)
        return;
    api_reply_list(call, &api_list_connections, call->path_params[0], connection_row);
}

void api_connections_get(struct api_call *call)
{
    struct connection c;
    struct pd_err err = {0};
    if (connection_load(call->db, call->path_params[0], call->req->arena, &c, &err) != 0) {
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, connection_to_json(&c, call->app->cfg.public_url));
}

static int connection_update_op(struct store *s, struct api_write *w)
{
    struct connection_write *r = w->op_arg;
    if (connection_update(s, r->id, r->secret, r->mode, &w->err) < 0 ||
        connection_load(s, r->id, w->call->req->arena, &r->c, &w->err) != 0)
        return -1;
    w->result = connection_to_json(&r->c, w->call->app->cfg.public_url);
    w->status = 200;
    return 0;
}

void api_connections_update(struct api_call *call)
{
    static const char *const fields[] = {"signing_secret", "mode", NULL};
    struct connection_write *r = arena_calloc(call->req->arena, sizeof *r);
    struct pd_err err = {0};
    r->id = call->path_params[0];
    if (api_check_fields(call->body, fields, &err) < 0 ||
        get_secret(call->body, false, &r->secret, &err) < 0 ||
        get_mode(call->body, &r->mode, &err) < 0)
        goto fail;
    if (!r->secret && !r->mode) {
        pd_err_set(&err, PD_ERR_BAD_REQUEST, "signing_secret",
                   "give signing_secret, mode or both");
        goto fail;
    }
    api_submit_write(call, connection_update_op, r);
    return;
fail:
    api_reply_error(call, &err);
}

static int connection_delete_op(struct store *s, struct api_write *w)
{
    const char *id = w->op_arg;
    if (connection_delete(s, id, &w->err) < 0)
        return -1;
    w->result = json_pack("{s:s, s:s, s:b}", "id", id, "object", "connection", "deleted", 1);
    w->status = 200;
    return 0;
}

void api_connections_delete(struct api_call *call)
{
    api_submit_write(call, connection_delete_op, (void *)call->path_params[0]);
}

static json_t *event_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    (void)call;
    (void)err;
    return connection_event_row_json(cur);
}

void api_connections_events(struct api_call *call)
{
    struct connection c;
    struct pd_err err = {0};
    if (connection_load(call->db, call->path_params[0], call->req->arena, &c, &err) != 0) {
        api_reply_error(call, &err);
        return;
    }
    api_reply_list(call, &api_list_connection_events, c.id, event_row);
}
