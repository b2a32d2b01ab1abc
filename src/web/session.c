/* Sessions: login (argon2id on the hashing thread, throttled), the session cookie, the API's
 * cookie authentication with CSRF tokens, /web/session for the pages, and logout. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "app/records.h"
#include "core/ids.h"
#include "web/web_internal.h"
#include "util/banned.h"

/* ---- the cookie and the session row ------------------------------------------------------- */

const char *web_cookie_set(struct api_call *call, const char *token)
{
    const struct web_state *ws = call->app->web;
    return arena_sprintf(call->req->arena, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
                         ws->cookie_name, token, (long long)(WEB_SESSION_TTL_MS / 1000),
                         ws->secure ? "; Secure" : "");
}

const char *web_cookie_clear(struct api_call *call)
{
    const struct web_state *ws = call->app->web;
    return arena_sprintf(call->req->arena, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s",
                         ws->cookie_name, ws->secure ? "; Secure" : "");
}

int web_session_find(struct api_call *call, struct web_session *out, struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    const char *cookies = http_header_get(call->req, "Cookie");
    char token[WEB_TOKEN_LEN + 2];
    if (!cookies || !web_cookie_get(cookies, call->app->web->cookie_name, token, sizeof token) ||
        strlen(token) != WEB_TOKEN_LEN)
        return 0;
    web_token_hash(token, out->token_hash);
    sodium_memzero(token, sizeof token);
    struct db_val p[2] = {db_text(out->token_hash), db_int(call->now_ms)};
    struct store_cursor cur;
    int rc = store_query_row(call->db,
                             "SELECT s.kind, s.subject_id, s.csrf_token, p.status FROM sessions s"
                             " LEFT JOIN partners p ON p.id = s.subject_id"
                             " WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                             p, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return 0;
    snprintf(out->kind, sizeof out->kind, "%s", store_col_text(&cur, 0));
    snprintf(out->subject_id, sizeof out->subject_id, "%s", store_col_text(&cur, 1));
    snprintf(out->csrf, sizeof out->csrf, "%s", store_col_text(&cur, 2));
    snprintf(out->partner_status, sizeof out->partner_status, "%s", store_col_text(&cur, 3));
    store_finish(&cur);
    if (strcmp(out->kind, "partner") == 0 && strcmp(out->partner_status, "suspended") == 0)
        return 0; /* a suspended partner's sessions end with the suspension */
    return 1;
}

int web_session_insert(struct store *s, const char *kind, const char *subject_id, int64_t now,
                       char token[WEB_TOKEN_LEN + 1], struct pd_err *err)
{
    char hash[65], csrf[WEB_CSRF_LEN + 1];
    id_random_token(token, WEB_TOKEN_LEN);
    token[WEB_TOKEN_LEN] = '\0';
    id_random_token(csrf, WEB_CSRF_LEN);
    csrf[WEB_CSRF_LEN] = '\0';
    web_token_hash(token, hash);
    struct db_val old = db_int(now);
    if (store_exec(s, "DELETE FROM sessions WHERE expires_at <= ?1", &old, 1, NULL, err) < 0)
        return -1;
    struct db_val v[6] = {db_text(hash), db_text(kind), db_text(subject_id),
                          db_text(csrf), db_int(now),   db_int(now + WEB_SESSION_TTL_MS)};
    return store_exec(s,
                      "INSERT INTO sessions (token_hash, kind, subject_id, csrf_token, created_at,"
                      " expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                      v, 6, NULL, err);
}

/* ---- the API's cookie path ---------------------------------------------------------------- */

int web_session_auth(struct api_call *call, unsigned allowed, struct pd_err *err)
{
    struct web_session ses;
    int rc = web_session_find(call, &ses, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, NULL,
                          "not logged in, or the session has ended: log in again at /login "
                          "(API clients send \"Authorization: Bearer <key>\")");
    enum http_method m = call->req->method;
    if (m != HTTP_GET && m != HTTP_HEAD) {
        const char *sent = http_header_get(call->req, "X-CSRF-Token");
        const char *origin = http_header_get(call->req, "Origin");
        if (!sent || strlen(sent) != WEB_CSRF_LEN ||
            sodium_memcmp(sent, ses.csrf, WEB_CSRF_LEN) != 0)
            return pd_err_set(err, PD_ERR_FORBIDDEN, "X-CSRF-Token",
                              "missing or wrong CSRF token: reload the page and try again");
        if (origin &&
            !web_origin_matches(origin, http_header_get(call->req, "Host"), call->app->web->scheme))
            return pd_err_set(err, PD_ERR_FORBIDDEN, "Origin",
                              "this request came from another site");
    }
    bool admin = strcmp(ses.kind, "admin") == 0;
    call->auth.kind = admin ? AUTH_SECRET : AUTH_PARTNER;
    /* The session's subject scopes its Idempotency-Keys, as an API key's id does. */
    snprintf(call->auth.key_id, sizeof call->auth.key_id, "%s", ses.subject_id);
    if (!admin)
        snprintf(call->auth.partner_id, sizeof call->auth.partner_id, "%s", ses.subject_id);
    if (!(allowed & AUTH_ALLOW(call->auth.kind)))
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL, "%s",
                          admin ? "this endpoint is for partners (/api/v1/me)"
                                : "a partner can only read and change its own data (/api/v1/me)");
    return 0;
}

/* ---- login -------------------------------------------------------------------------------- */

struct login {
    struct web_hash_job job;
    char email[256];
    const char *ids[WEB_MAX_CANDIDATES];
    const char *kinds[WEB_MAX_CANDIDATES];
    const char *statuses[WEB_MAX_CANDIDATES];
    const char *kind, *subject_id;
    char token[WEB_TOKEN_LEN + 1];
};

static void reply_error(struct api_call *call, enum pd_errkind kind, const char *param,
                        const char *msg)
{
    struct pd_err err = {0};
    pd_err_set(&err, kind, param, "%s", msg);
    web_reply_json(call, pd_err_http_status(kind), api_error_json(&err), NULL);
}

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
    return web_session_insert(s, l->kind, l->subject_id, w->call->now_ms, l->token, &w->err);
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
        web_cookie_set(w->call, l->token));
    sodium_memzero(l->token, sizeof l->token);
}

static void login_verified(struct web_hash_job *job)
{
    struct login *l = (struct login *)job;
    struct api_call *call = job->arg;
    struct web_state *ws = call->app->web;
    if (job->matched < 0) {
        fprintf(stderr, "level=info msg=\"login failed\" ip=%s\n", call->client_ip);
        reply_error(call, PD_ERR_UNAUTHORIZED, "password", "wrong email or password");
        return;
    }
    /* Counted as a failure when it was submitted; it was not one. */
    web_rl_refund(ws, call->client_ip, l->email, call->now_ms);
    int i = job->matched;
    if (strcmp(l->kinds[i], "partner") == 0 && strcmp(l->statuses[i], "suspended") == 0) {
        reply_error(call, PD_ERR_FORBIDDEN, NULL,
                    "this partner account is suspended; contact the program's manager");
        return;
    }
    l->kind = l->kinds[i];
    l->subject_id = l->ids[i];
    web_submit(call, login_write, login_written, l);
}

void web_login(struct api_call *call)
{
    struct web_state *ws = call->app->web;
    if (!web_check_page_post(call))
        return;
    struct pd_err err = {0};
    const char *email, *password;
    static const char *const fields[] = {"email", "password", NULL};
    if (api_parse_body(call, &err) < 0 || api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "email", true, 254, &email, &err) < 0 ||
        api_get_string(call->body, "password", true, WEB_PASSWORD_MAX, &password, &err) < 0) {
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
                                " WHERE lower(email) = ?1"
                                " UNION ALL SELECT 'partner', id, password_hash, status"
                                " FROM partners WHERE email = ?1 AND password_hash IS NOT NULL",
                                &p, 1, &cur, &err);
    while (rc >= 0 && (rc = store_step(&cur, &err)) == STORE_ROW && n < WEB_MAX_CANDIDATES) {
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
    if (web_rl_blocked(ws, call->client_ip, account, call->now_ms, &retry)) {
        fprintf(stderr, "level=warn msg=\"login throttled\" ip=%s\n", call->client_ip);
        reply_throttled(call, retry);
        return;
    }
    l->job.nhashes = n;
    l->job.op = WEB_HASH_VERIFY;
    l->job.worker = call->req->worker;
    l->job.done = login_verified;
    l->job.arg = call;
    /* Counted as failed up front, so parallel attempts cannot outrun the limit; a right password
     * takes it back. */
    web_rl_fail(ws, call->client_ip, account, call->now_ms);
    if (web_hash_submit(ws, &l->job) < 0) {
        web_rl_refund(ws, call->client_ip, account, call->now_ms);
        reply_error(call, PD_ERR_UNAVAILABLE, NULL,
                    "the server is busy checking other logins; try again in a few seconds");
    }
}

/* ---- logout ------------------------------------------------------------------------------- */

static int logout_write(struct store *s, struct web_write *w)
{
    struct db_val p = db_text(w->arg);
    return store_exec(s, "DELETE FROM sessions WHERE token_hash = ?1", &p, 1, NULL, &w->err);
}

static void logout_written(struct web_write *w)
{
    web_reply_json(w->call, 200, json_pack("{s:s}", "redirect", "/login"),
                   web_cookie_clear(w->call));
}

void web_logout(struct api_call *call)
{
    struct web_session ses;
    struct pd_err err = {0};
    int rc = web_session_find(call, &ses, &err);
    if (rc < 0) {
        web_reply_json(call, 500, api_error_json(&err), NULL);
        return;
    }
    if (rc == 0) {
        web_reply_json(call, 200, json_pack("{s:s}", "redirect", "/login"), web_cookie_clear(call));
        return;
    }
    const char *sent = http_header_get(call->req, "X-CSRF-Token");
    if (!sent || strlen(sent) != WEB_CSRF_LEN || sodium_memcmp(sent, ses.csrf, WEB_CSRF_LEN) != 0) {
        reply_error(call, PD_ERR_FORBIDDEN, "X-CSRF-Token",
                    "missing or wrong CSRF token: reload the page and try again");
        return;
    }
    web_submit(call, logout_write, logout_written, arena_strdup(call->req->arena, ses.token_hash));
}

/* ---- /web/session: who is logged in, the CSRF token, and what the pages need ----------------- */

void web_session_info(struct api_call *call)
{
    struct web_session ses;
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
        rc = store_query_row(call->db, "SELECT email FROM admins WHERE id = ?1", &p, 1, &cur, &err);
        if (rc == STORE_ROW) {
            json_object_set_new(o, "email", json_string(store_col_text(&cur, 0)));
            json_object_set_new(o, "name", json_string(store_col_text(&cur, 0)));
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
