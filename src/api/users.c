/* /api/v1/users: the merchant's team (src/app/users.h), the owner's to manage (the router refuses
 * everyone else: AUTH_OWNER_ONLY). A user is invited by email: the answer to POST carries the
 * one-time invite_url too, for a server that sends no mail, and POST /api/v1/users/{id}/invite
 * sends a new one (the old link stops working) while the user has no password. Removing a user
 * ends its sessions;
 * a changed role holds from its next request (sessions read the role every time). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/emails.h"
#include "app/users.h"
#include "core/ids.h"
#include "util/banned.h"

struct user_write {
    struct user u;
    char invite_token[80];
    char invite_hash[65];
};

static int role_field(json_t *body, const char **role, bool required, struct pd_err *err)
{
    if (api_get_string(body, "role", required, 16, role, err) < 0)
        return -1;
    if (*role && !user_role_valid(*role))
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "role",
                          "role must be owner, admin (everything but the team and the API keys) "
                          "or viewer (reads only)");
    return 0;
}

/* The one-time invite: its link in the answer and in a "user_invite" email. */
static int invite(struct store *s, struct api_write *w, struct user_write *uw)
{
    char url[700];
    snprintf(url, sizeof url, "%s/invite/%s", w->call->app->cfg.public_url, uw->invite_token);
    json_t *vars = json_pack("{s:s, s:s}", "link", url, "role", uw->u.role);
    struct email_msg m = {.kind = "user_invite", .to = uw->u.email, .vars = vars};
    int rc = email_queue(s, &m, w->call->now_ms, &w->err);
    json_decref(vars);
    if (rc < 0)
        return -1;
    json_object_set_new(w->result, "invite_url", json_string(url));
    return 0;
}

static int user_create_op(struct store *s, struct api_write *w)
{
    struct user_write *uw = w->op_arg;
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "adm_", (uint64_t)w->call->now_ms);
    uw->u.id = arena_strdup(w->call->req->arena, id);
    uw->u.created_at = uw->u.updated_at = w->call->now_ms;
    if (user_insert(s, &uw->u, NULL, uw->invite_hash, &w->err) < 0)
        return -1;
    struct user saved;
    if (user_load(s, uw->u.id, w->call->req->arena, &saved, &w->err) != 0)
        return -1;
    uw->u.email = saved.email;
    w->result = user_to_json(&saved);
    w->status = 201;
    return invite(s, w, uw);
}

void api_users_create(struct api_call *call)
{
    static const char *const fields[] = {"email", "name", "role", NULL};
    struct user_write *uw = arena_calloc(call->req->arena, sizeof *uw);
    struct pd_err err = {0};
    if (api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "email", true, 254, &uw->u.email, &err) < 0 ||
        api_get_string(call->body, "name", false, 200, &uw->u.name, &err) < 0 ||
        role_field(call->body, &uw->u.role, true, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    if (!api_valid_email(uw->u.email)) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "email", "email must be an email address");
        return;
    }
    auth_invite_new(call->now_ms, uw->invite_token, sizeof uw->invite_token, uw->invite_hash);
    api_submit_write(call, user_create_op, uw);
}

static int user_reinvite_op(struct store *s, struct api_write *w)
{
    struct user_write *uw = w->op_arg;
    if (user_load(s, w->call->path_params[0], w->call->req->arena, &uw->u, &w->err) != 0)
        return -1;
    if (!uw->u.invited)
        return pd_err_set(&w->err, PD_ERR_CONFLICT, "id",
                          "this user has already chosen a password: they log in at /login");
    if (user_set_invite(s, uw->u.id, uw->invite_hash, &w->err) < 0)
        return -1;
    w->result = user_to_json(&uw->u);
    w->status = 200;
    return invite(s, w, uw);
}

void api_users_reinvite(struct api_call *call)
{
    struct user_write *uw = arena_calloc(call->req->arena, sizeof *uw);
    auth_invite_new(call->now_ms, uw->invite_token, sizeof uw->invite_token, uw->invite_hash);
    api_submit_write(call, user_reinvite_op, uw);
}

void api_users_list(struct api_call *call)
{
    struct pd_err err = {0};
    json_t *data = user_list_json(call->db, call->req->arena, &err);
    if (!data) {
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, json_pack("{s:o, s:b}", "data", data, "has_more", 0));
}

void api_users_get(struct api_call *call)
{
    struct user u;
    struct pd_err err = {0};
    if (user_load(call->db, call->path_params[0], call->req->arena, &u, &err) != 0) {
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, user_to_json(&u));
}

static int user_update_op(struct store *s, struct api_write *w)
{
    struct user_write *uw = w->op_arg;
    struct user u;
    if (user_load(s, w->call->path_params[0], w->call->req->arena, &u, &w->err) != 0 ||
        user_update(s, u.id, uw->u.role, uw->u.name, w->call->now_ms, &w->err) < 0 ||
        user_load(s, u.id, w->call->req->arena, &u, &w->err) != 0)
        return -1;
    w->result = user_to_json(&u);
    w->status = 200;
    return 0;
}

void api_users_update(struct api_call *call)
{
    static const char *const fields[] = {"name", "role", NULL};
    struct user_write *uw = arena_calloc(call->req->arena, sizeof *uw);
    struct pd_err err = {0};
    if (api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "name", false, 200, &uw->u.name, &err) < 0 ||
        role_field(call->body, &uw->u.role, false, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    api_submit_write(call, user_update_op, uw);
}

static int user_delete_op(struct store *s, struct api_write *w)
{
    struct user u;
    if (user_load(s, w->call->path_params[0], w->call->req->arena, &u, &w->err) != 0 ||
        user_delete(s, u.id, &w->err) < 0 || auth_sessions_end(s, u.id, &w->err) < 0)
        return -1;
    w->result = json_pack("{s:s, s:s, s:b}", "id", u.id, "object", "user", "deleted", 1);
    w->status = 200;
    return 0;
}

void api_users_delete(struct api_call *call)
{
    api_submit_write(call, user_delete_op, NULL);
}
