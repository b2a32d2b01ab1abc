/* The dashboards' logins: POST /login (argon2id on the hashing thread, throttled), /web/session
 * for the pages, and logout. Sessions themselves are src/auth/'s. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "app/records.h"
#include "web/web_internal.h"
#include "util/banned.h"

int web_session_find(struct api_call *call, struct auth_session *out, struct pd_err *err)
{
    return auth_session_find(call->app->auth, call->db, call->req, call->now_ms, out, err);
}

/* ---- login -------------------------------------------------------------------------------- */

struct login {
    struct auth_hash_job job;
    char email[256];
    const char *ids[AUTH_MAX_CANDIDATES];
    const char *kinds[AUTH_MAX_CANDIDATES];
    const char *statuses[AUTH_MAX_CANDIDATES];
    const char *kind, *subject_id;
    char token[AUTH_TOKEN_LEN + 1];
};

static void reply_throttled(struct api_call *call, int retry_after)
{
    struct pd_err err = {0};
    pd_err_set(&err, PD_ERR_RATE_LIMITED, NULL,
               "too many failed logins: wait %d minute(s), then try again", retry_after / 60 + 1);
    json_t *body = api_error_json(&err);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        abort();
    struct http_header h = {"Retry-After", arena_sprintf(call->req->arena, "%d", retry_after)};
    web_reply(call, 429, "application/json", text, strlen(text), &h, 1);
    free(text);
}

static int login_write(struct store *s, struct web_write *w)
{
    struct login *l = w->arg;
    return auth_session_insert(s, l->kind, l->subject_id, w->call->now_ms, l->token, &w->err);
}

static void login_written(struct web_write *w)
{
    struct login *l = w->arg;
    bool admin = strcmp(l->kind, "admin") == 0;
    fprintf(stderr, "level=info msg=login kind=%s subject=%s ip=%s\n", l->kind, l->subject_id,
            w->call->client_ip);
    web_reply_json(
        w->call, 200,
        json_pack("{s:s, s:s}", "kind", l->kind, "redirect", admin ? "/admin/" : "/partner/"),
        auth_cookie_set(w->call->app->auth, w->call->req->arena, l->token));
    sodium_memzero(l->token, sizeof l->token);
}

static void login_verified(struct auth_hash_job *job)
{
    struct login *l = (struct login *)job;
    struct api_call *call = job->arg;
    struct auth_state *as = call->app->auth;
    if (job->matched < 0) {
        fprintf(stderr, "level=info msg=\"login failed\" ip=%s\n", call->client_ip);
        web_reply_error(call, PD_ERR_UNAUTHORIZED, "password", "wrong email or password");
        return;
    }
    /* Counted as a failure when it was submitted; it was not one. */
    auth_throttle_refund(as, call->client_ip, l->email, call->now_ms);
    int i = job->matched;
    if (strcmp(l->kinds[i], "partner") == 0 && strcmp(l->statuses[i], "suspended") == 0) {
        web_reply_error(call, PD_ERR_FORBIDDEN, NULL,
                        "this partner account is suspended; contact the program's manager");
        return;
    }
    if (strcmp(l->kinds[i], "partner") == 0 && strcmp(l->statuses[i], "rejected") == 0) {
        web_reply_error(call, PD_ERR_FORBIDDEN, NULL,
                        "this application was not accepted, so the account cannot log in; the "
                        "email the program sent says why");
        return;
    }
    l->kind = l->kinds[i];
    l->subject_id = l->ids[i];
    web_submit(call, login_write, login_written, l);
}

void web_login(struct api_call *call)
{
    struct auth_state *as = call->app->auth;
    if (!web_check_page_post(call))
        return;
    struct pd_err err = {0};
    const char *email, *password;
    static const char *const fields[] = {"email", "password", NULL};
    if (api_parse_body(call, &err) < 0 || api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "email", true, 254, &email, &err) < 0 ||
        api_get_string(call->body, "password", true, AUTH_PASSWORD_MAX, &password, &err) < 0) {
        web_reply_json(call, pd_err_http_status(err.kind), api_error_json(&err), NULL);
        return;
    }
    struct login *l = arena_calloc(call->req->arena, sizeof *l);
    snprintf(l->email, sizeof l->email, "%s", email);
    for (char *c = l->email; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    l->job.password = arena_strdup(call->req->arena, password);
    struct db_val p = db_text(l->email);
    struct store_cursor cur;
    int n = 0, rc = store_query(call->db,
                                "SELECT 'admin', id, password_hash, '' FROM admins"
                                " WHERE lower(email) = ?1 AND password_hash <> ''"
                                " UNION ALL SELECT 'partner', id, password_hash, status"
                                " FROM partners WHERE email = ?1 AND password_hash IS NOT NULL",
                                &p, 1, &cur, &err);
    while (rc >= 0 && (rc = store_step(&cur, &err)) == STORE_ROW && n < AUTH_MAX_CANDIDATES) {
        l->kinds[n] = col_dup(call->req->arena, &cur, 0);
        l->ids[n] = col_dup(call->req->arena, &cur, 1);
        l->job.hashes[n] = col_dup(call->req->arena, &cur, 2);
        l->statuses[n] = col_dup(call->req->arena, &cur, 3);
        n++;
    }
    if (rc >= 0)
        store_finish(&cur);
    if (rc < 0) {
        web_reply_json(call, 500, api_error_json(&err), NULL);
        return;
    }
    /* Only an existing account has a counter: an unknown email is answered as a wrong password
     * and leaves nothing behind. */
    const char *account = n > 0 ? l->email : NULL;
    int retry = 0;
    if (auth_throttle_blocked(as, call->client_ip, account, call->now_ms, &retry)) {
        fprintf(stderr, "level=warn msg=\"login throttled\" ip=%s\n", call->client_ip);
        reply_throttled(call, retry);
        return;
    }
    l->job.nhashes = n;
    l->job.op = AUTH_HASH_VERIFY;
    l->job.worker = call->req->worker;
    l->job.done = login_verified;
    l->job.arg = call;
    /* Counted as failed up front, so parallel attempts cannot outrun the limit; a right password
     * takes it back. */
    auth_throttle_fail(as, call->client_ip, account, call->now_ms);
    if (auth_hash_submit(as, &l->job) < 0) {
        auth_throttle_refund(as, call->client_ip, account, call->now_ms);
        web_reply_error(call, PD_ERR_UNAVAILABLE, NULL,
                        "the server is busy checking other logins; try again in a few seconds");
    }
}

/* ---- logout ------------------------------------------------------------------------------- */

static int logout_write(struct store *s, struct web_write *w)
{
    return auth_session_delete(s, w->arg, &w->err);
}

static void logout_written(struct web_write *w)
{
    web_reply_json(w->call, 200, json_pack("{s:s}", "redirect", "/login"),
                   auth_cookie_clear(w->call->app->auth, w->call->req->arena));
}

void web_logout(struct api_call *call)
{
    struct auth_session ses;
    struct pd_err err = {0};
    int rc = web_session_find(call, &ses, &err);
    if (rc < 0) {
        web_reply_json(call, 500, api_error_json(&err), NULL);
        return;
    }
    if (rc == 0) {
        web_reply_json(call, 200, json_pack("{s:s}", "redirect", "/login"),
                       auth_cookie_clear(call->app->auth, call->req->arena));
        return;
    }
    if (!auth_csrf_ok(&ses, http_header_get(call->req, "X-CSRF-Token"))) {
        web_reply_error(call, PD_ERR_FORBIDDEN, "X-CSRF-Token",
                        "missing or wrong CSRF token: reload the page and try again");
        return;
    }
    web_submit(call, logout_write, logout_written, arena_strdup(call->req->arena, ses.token_hash));
}

/* ---- /web/session: who is logged in, the CSRF token, and what the pages need ----------------- */

void web_session_info(struct api_call *call)
{
    struct auth_session ses;
    struct pd_err err = {0};
    int rc = web_session_find(call, &ses, &err);
    if (rc <= 0) {
        if (rc == 0)
            pd_err_set(&err, PD_ERR_UNAUTHORIZED, NULL, "not logged in: log in at /login");
        web_reply_json(call, pd_err_http_status(err.kind), api_error_json(&err), NULL);
        return;
    }
    json_t *o = json_pack("{s:s, s:s}", "kind", ses.kind, "csrf_token", ses.csrf);
    if (strcmp(ses.kind, "admin") == 0) {
        struct db_val p = db_text(ses.subject_id);
        struct store_cursor cur;
        rc = store_query_row(call->db,
                             "SELECT email, COALESCE(name, email), role, id FROM admins"
                             " WHERE id = ?1",
                             &p, 1, &cur, &err);
        if (rc == STORE_ROW) {
            json_object_set_new(o, "email", json_string(store_col_text(&cur, 0)));
            json_object_set_new(o, "name", json_string(store_col_text(&cur, 1)));
            json_object_set_new(o, "role", json_string(store_col_text(&cur, 2)));
            json_object_set_new(o, "user_id", json_string(store_col_text(&cur, 3)));
            store_finish(&cur);
        }
    } else {
        struct partner pt;
        struct program prog;
        rc = partner_load(call->db, ses.subject_id, call->req->arena, &pt, &err);
        if (rc == 0)
            rc = program_load(call->db, pt.program_id, call->req->arena, &prog, &err);
        if (rc == 0) {
            json_object_set_new(o, "email", json_string(pt.email));
            json_object_set_new(o, "name", json_string(pt.name));
            json_object_set_new(o, "partner_id", json_string(pt.id));
            json_object_set_new(o, "status", json_string(pt.status)); /* signup: pending */
            json_t *hosts = json_array();
            for (size_t i = 0; i < prog.nallowed_hosts; i++)
                json_array_append_new(hosts, json_string(prog.allowed_hosts[i]));
            json_object_set_new(o, "program",
                                json_pack("{s:s, s:s, s:s, s:o, s:i}", "name", prog.name,
                                          "currency", prog.currency->code, "default_url",
                                          prog.default_url, "allowed_hosts", hosts, "hold_days",
                                          prog.hold_days));
        }
    }
    if (rc < 0) {
        json_decref(o);
        web_reply_json(call, 500, api_error_json(&err), NULL);
        return;
    }
    web_reply_json(call, 200, o, NULL);
}
