/* Partner credentials set by the merchant (a password, or a one-time invite link), invite
 * acceptance, and the demo's known logins. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/records.h"
#include "web/assets.h"
#include "web/web_internal.h"
#include "util/banned.h"

int web_partner_credentials_prepare(struct api_call *call, struct web_partner_credentials *c,
                                    struct pd_err *err)
{
    memset(c, 0, sizeof *c);
    const char *password, *email;
    if (api_get_string(call->body, "password", false, WEB_PASSWORD_MAX, &password, err) < 0 ||
        api_get_string(call->body, "email", false, 254, &email, err) < 0)
        return -1;
    if (!password) {
        web_invite_new(call->now_ms, c->invite_token, sizeof c->invite_token, c->invite_hash);
        return 0;
    }
    if (web_password_check_policy(password, email, err) < 0)
        return -1;
    /* Rare (a merchant creating a partner with a password), so hashed here on the worker. */
    return web_password_hash(password, c->password_hash, err);
}

int web_partner_credentials_store(struct store *s, const char *partner_id,
                                  const struct web_partner_credentials *c, const char *public_url,
                                  json_t *result, struct pd_err *err)
{
    bool invite = c->password_hash[0] == '\0';
    struct db_val v[2] = {db_text(partner_id), db_text(invite ? c->invite_hash : c->password_hash)};
    int rc = store_exec(s,
                        invite ? "UPDATE partners SET invite_token_hash = ?2 WHERE id = ?1"
                               : "UPDATE partners SET password_hash = ?2 WHERE id = ?1",
                        v, 2, NULL, err);
    if (rc < 0)
        return -1;
    if (invite) {
        char url[700];
        snprintf(url, sizeof url, "%s/invite/%s", public_url, c->invite_token);
        json_object_set_new(result, "invite_url", json_string(url));
    }
    return 0;
}

int web_demo_logins(struct store *s, char *admin_email, size_t len, struct pd_err *err)
{
    char partner_hash[WEB_HASH_MAX];
    if (web_password_hash(WEB_DEMO_PARTNER_PASSWORD, partner_hash, err) < 0)
        return -1;
    struct db_val p = db_text(partner_hash);
    if (store_exec(s, "UPDATE partners SET password_hash = ?1", &p, 1, NULL, err) < 0)
        return -1;
    struct store_cursor cur;
    int rc = store_query_row(s, "SELECT email FROM admins ORDER BY created_at, id LIMIT 1", NULL, 0,
                             &cur, err);
    if (rc < 0)
        return -1;
    snprintf(admin_email, len, "%s", rc == STORE_ROW ? store_col_text(&cur, 0) : "");
    if (rc == STORE_ROW)
        store_finish(&cur);
    return 0;
}

/* ---- invite acceptance -------------------------------------------------------------------- */

struct invite {
    struct web_hash_job job;
    char token_hash[65];
    const char *partner_id, *email, *name;
    char session[WEB_TOKEN_LEN + 1];
};

static void reply_error(struct api_call *call, enum pd_errkind kind, const char *param,
                        const char *msg)
{
    struct pd_err err = {0};
    pd_err_set(&err, kind, param, "%s", msg);
    web_reply_json(call, pd_err_http_status(kind), api_error_json(&err), NULL);
}

static const char invite_gone[] =
    "this invite link has expired or was already used: ask the program's manager for a new one, "
    "or log in at /login if you already set a password";

/* 1 found (partner id, email and name filled), 0 invalid/expired/used, -1 store error. */
static int invite_find(struct api_call *call, struct invite *inv, struct pd_err *err)
{
    const char *token = call->path_params[0];
    int64_t expires;
    if (!web_invite_token_parse(token, &expires) || expires <= call->now_ms)
        return 0;
    web_token_hash(token, inv->token_hash);
    struct db_val p = db_text(inv->token_hash);
    struct store_cursor cur;
    int rc = store_query_row(call->db,
                             "SELECT id, email, name FROM partners WHERE invite_token_hash = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return 0;
    inv->partner_id = col_dup(call->req->arena, &cur, 0);
    inv->email = col_dup(call->req->arena, &cur, 1);
    inv->name = col_dup(call->req->arena, &cur, 2);
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
        reply_error(call, PD_ERR_NOT_FOUND, "token", invite_gone);
        return;
    }
    web_reply_json(call, 200, json_pack("{s:s, s:s}", "email", inv.email, "name", inv.name), NULL);
}

static int invite_write(struct store *s, struct web_write *w)
{
    struct invite *inv = w->arg;
    int64_t now = w->call->now_ms, changed = 0;
    struct db_val v[4] = {db_text(inv->partner_id), db_text(inv->job.hash),
                          db_text(inv->token_hash), db_int(now)};
    /* One-time: only the row still holding this token's hash takes the password. */
    if (store_exec(s,
                   "UPDATE partners SET password_hash = ?2, invite_token_hash = NULL,"
                   " updated_at = ?4 WHERE id = ?1 AND invite_token_hash = ?3",
                   v, 4, &changed, &w->err) < 0)
        return -1;
    if (changed != 1)
        return pd_err_set(&w->err, PD_ERR_NOT_FOUND, "token", "%s", invite_gone);
    struct db_val who = db_text(inv->partner_id);
    if (store_exec(s, "DELETE FROM sessions WHERE subject_id = ?1", &who, 1, NULL, &w->err) < 0)
        return -1;
    return web_session_insert(s, "partner", inv->partner_id, now, inv->session, &w->err);
}

static void invite_written(struct web_write *w)
{
    struct invite *inv = w->arg;
    fprintf(stderr, "level=info msg=\"invite accepted\" partner=%s\n", inv->partner_id);
    web_reply_json(w->call, 200,
                   json_pack("{s:s, s:s}", "kind", "partner", "redirect", "/partner/"),
                   web_cookie_set(w->call, inv->session));
    sodium_memzero(inv->session, sizeof inv->session);
}

static void invite_hashed(struct web_hash_job *job)
{
    struct invite *inv = (struct invite *)job;
    struct api_call *call = job->arg;
    if (job->rc < 0) {
        reply_error(call, PD_ERR_INTERNAL, NULL, "out of memory hashing the password; try again");
        return;
    }
    web_submit(call, invite_write, invite_written, inv);
}

void web_invite_accept(struct api_call *call)
{
    struct web_state *ws = call->app->web;
    if (!web_check_page_post(call))
        return;
    struct pd_err err = {0};
    const char *password;
    static const char *const fields[] = {"password", NULL};
    int retry = 0;
    if (web_rl_blocked(ws, call->client_ip, NULL, call->now_ms, &retry)) {
        reply_error(call, PD_ERR_RATE_LIMITED, NULL, "too many failed attempts: wait, then retry");
        return;
    }
    if (api_parse_body(call, &err) < 0 || api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "password", true, WEB_PASSWORD_MAX, &password, &err) < 0) {
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
        web_rl_fail(ws, call->client_ip, NULL, call->now_ms);
        reply_error(call, PD_ERR_NOT_FOUND, "token", invite_gone);
        return;
    }
    if (web_password_check_policy(password, inv->email, &err) < 0) {
        web_reply_json(call, pd_err_http_status(err.kind), api_error_json(&err), NULL);
        return;
    }
    inv->job.op = WEB_HASH_NEW;
    inv->job.password = arena_strdup(call->req->arena, password);
    inv->job.worker = call->req->worker;
    inv->job.done = invite_hashed;
    inv->job.arg = call;
    if (web_hash_submit(ws, &inv->job) < 0)
        reply_error(call, PD_ERR_UNAVAILABLE, NULL,
                    "the server is busy; try again in a few seconds");
}
