/* Invite links: the page, its status (whose invite it is) and the acceptance, where the partner
 * (or the merchant's invited user) chooses its password and is logged in. The writes are src/auth/'s. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/records.h"
#include "web/assets.h"
#include "web/web_internal.h"
#include "util/banned.h"

struct invite {
    struct auth_hash_job job;
    char token_hash[65];
    const char *partner_id, *email, *name; /* partner_id: the partner's or the user's id */
    bool user;                             /* a merchant user's invite */
    char session[AUTH_TOKEN_LEN + 1];
};

static const char invite_gone[] =
    "this invite link has expired or was already used: ask the program's manager for a new one, "
    "or log in at /login if you already set a password";

/* 1 found (partner id, email and name filled), 0 invalid/expired/used, -1 store error. */
static int invite_find(struct api_call *call, struct invite *inv, struct pd_err *err)
{
    const char *token = call->path_params[0];
    int64_t expires;
    if (!auth_invite_token_parse(token, &expires) || expires <= call->now_ms)
        return 0;
    auth_token_hash(token, inv->token_hash);
    struct db_val p = db_text(inv->token_hash);
    struct store_cursor cur;
    int rc = store_query_row(call->db,
                             "SELECT id, email, name, 0 FROM partners WHERE invite_token_hash = ?1"
                             " UNION ALL SELECT id, email, COALESCE(name, email), 1 FROM admins"
                             " WHERE invite_token_hash = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return 0;
    inv->partner_id = col_dup(call->req->arena, &cur, 0);
    inv->email = col_dup(call->req->arena, &cur, 1);
    inv->name = col_dup(call->req->arena, &cur, 2);
    inv->user = store_col_int(&cur, 3) != 0;
    store_finish(&cur);
    return 1;
}

void web_invite_page(struct api_call *call)
{
    /* The page itself is static; its script asks /invite/{token}/status and posts the password. */
    const struct web_asset *a = web_asset_find("invite.html");
    web_reply(call, 200, a->content_type, (const char *)a->data, a->len, NULL, 0);
}

void web_invite_status(struct api_call *call)
{
    struct invite inv = {0};
    struct pd_err err = {0};
    int rc = invite_find(call, &inv, &err);
    if (rc < 0) {
        web_reply_json(call, 500, api_error_json(&err), NULL);
        return;
    }
    if (rc == 0) {
        web_reply_error(call, PD_ERR_NOT_FOUND, "token", invite_gone);
        return;
    }
    web_reply_json(call, 200, json_pack("{s:s, s:s}", "email", inv.email, "name", inv.name), NULL);
}

static int invite_write(struct store *s, struct web_write *w)
{
    struct invite *inv = w->arg;
    int rc = inv->user ? auth_user_invite_accept(s, inv->partner_id, inv->token_hash, inv->job.hash,
                                                 w->call->now_ms, inv->session, &w->err)
                       : auth_invite_accept(s, inv->partner_id, inv->token_hash, inv->job.hash,
                                            w->call->now_ms, inv->session, &w->err);
    if (rc > 0)
        return pd_err_set(&w->err, PD_ERR_NOT_FOUND, "token", "%s", invite_gone);
    return rc;
}

static void invite_written(struct web_write *w)
{
    struct invite *inv = w->arg;
    fprintf(stderr, "level=info msg=\"invite accepted\" %s=%s\n", inv->user ? "user" : "partner",
            inv->partner_id);
    web_reply_json(w->call, 200,
                   json_pack("{s:s, s:s}", "kind", inv->user ? "admin" : "partner", "redirect",
                             inv->user ? "/admin/" : "/partner/"),
                   auth_cookie_set(w->call->app->auth, w->call->req->arena, inv->session));
    sodium_memzero(inv->session, sizeof inv->session);
}

static void invite_hashed(struct auth_hash_job *job)
{
    struct invite *inv = (struct invite *)job;
    struct api_call *call = job->arg;
    if (job->rc < 0) {
        web_reply_error(call, PD_ERR_INTERNAL, NULL,
                        "out of memory hashing the password; try again");
        return;
    }
    web_submit(call, invite_write, invite_written, inv);
}

void web_invite_accept(struct api_call *call)
{
    struct auth_state *as = call->app->auth;
    if (!web_check_page_post(call))
        return;
    struct pd_err err = {0};
    const char *password;
    static const char *const fields[] = {"password", NULL};
    int retry = 0;
    if (auth_throttle_blocked(as, call->client_ip, NULL, call->now_ms, &retry)) {
        web_reply_error(call, PD_ERR_RATE_LIMITED, NULL,
                        "too many failed attempts: wait, then retry");
        return;
    }
    if (api_parse_body(call, &err) < 0 || api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "password", true, AUTH_PASSWORD_MAX, &password, &err) < 0) {
        web_reply_json(call, pd_err_http_status(err.kind), api_error_json(&err), NULL);
        return;
    }
    struct invite *inv = arena_calloc(call->req->arena, sizeof *inv);
    int rc = invite_find(call, inv, &err);
    if (rc < 0) {
        web_reply_json(call, 500, api_error_json(&err), NULL);
        return;
    }
    if (rc == 0) {
        auth_throttle_fail(as, call->client_ip, NULL, call->now_ms);
        web_reply_error(call, PD_ERR_NOT_FOUND, "token", invite_gone);
        return;
    }
    if (auth_password_check_policy(password, inv->email, &err) < 0) {
        web_reply_json(call, pd_err_http_status(err.kind), api_error_json(&err), NULL);
        return;
    }
    inv->job.op = AUTH_HASH_NEW;
    inv->job.password = arena_strdup(call->req->arena, password);
    inv->job.worker = call->req->worker;
    inv->job.done = invite_hashed;
    inv->job.arg = call;
    if (auth_hash_submit(as, &inv->job) < 0)
        web_reply_error(call, PD_ERR_UNAVAILABLE, NULL,
                        "the server is busy; try again in a few seconds");
}
