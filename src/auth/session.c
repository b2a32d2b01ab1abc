/* Dashboard sessions: the cookie, the sessions table (the one file that writes it), finding the
 * session of a request, and a session standing for its subject in auth_request (CSRF tokens). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_internal.h"
#include "core/ids.h"
#include "util/banned.h"

/* ---- the cookie ---------------------------------------------------------------------------- */

const char *auth_cookie_set(const struct auth_state *as, struct arena *a, const char *token)
{
    return arena_sprintf(a, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
                         as->cookie_name, token, (long long)(AUTH_SESSION_TTL_MS / 1000),
                         as->secure ? "; Secure" : "");
}

const char *auth_cookie_clear(const struct auth_state *as, struct arena *a)
{
    return arena_sprintf(a, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s", as->cookie_name,
                         as->secure ? "; Secure" : "");
}

/* ---- the session row ----------------------------------------------------------------------- */

int auth_session_find(const struct auth_state *as, struct store *db, const struct http_request *req,
                      int64_t now, struct auth_session *out, struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    const char *cookies = http_header_get(req, "Cookie");
    char token[AUTH_TOKEN_LEN + 2];
    if (!cookies || !auth_cookie_get(cookies, as->cookie_name, token, sizeof token) ||
        strlen(token) != AUTH_TOKEN_LEN)
        return 0;
    auth_token_hash(token, out->token_hash);
    sodium_memzero(token, sizeof token);
    struct db_val p[2] = {db_text(out->token_hash), db_int(now)};
    struct store_cursor cur;
    int rc = store_query_row(db,
                             "SELECT s.kind, s.subject_id, s.csrf_token, p.status, a.role"
                             " FROM sessions s LEFT JOIN partners p ON p.id = s.subject_id"
                             " LEFT JOIN admins a ON a.id = s.subject_id"
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
    bool removed = store_is_null(&cur, 4) && strcmp(out->kind, "admin") == 0;
    snprintf(out->role, sizeof out->role, "%s", store_col_text(&cur, 4));
    store_finish(&cur);
    if (removed)
        return 0; /* a removed user's sessions end with it */
    if (strcmp(out->kind, "partner") == 0 && (strcmp(out->partner_status, "suspended") == 0 ||
                                              strcmp(out->partner_status, "rejected") == 0))
        return 0; /* a suspended partner's sessions end with the suspension, a rejected one's too */
    return 1;
}

bool auth_csrf_ok(const struct auth_session *ses, const char *sent)
{
    return sent && strlen(sent) == AUTH_CSRF_LEN &&
           sodium_memcmp(sent, ses->csrf, AUTH_CSRF_LEN) == 0;
}

int auth_session_insert(struct store *s, const char *kind, const char *subject_id, int64_t now,
                        char token[AUTH_TOKEN_LEN + 1], struct pd_err *err)
{
    char hash[65], csrf[AUTH_CSRF_LEN + 1];
    id_random_token(token, AUTH_TOKEN_LEN);
    token[AUTH_TOKEN_LEN] = '\0';
    id_random_token(csrf, AUTH_CSRF_LEN);
    csrf[AUTH_CSRF_LEN] = '\0';
    auth_token_hash(token, hash);
    struct db_val old = db_int(now);
    if (store_exec(s, "DELETE FROM sessions WHERE expires_at <= ?1", &old, 1, NULL, err) < 0)
        return -1;
    struct db_val v[6] = {db_text(hash), db_text(kind), db_text(subject_id),
                          db_text(csrf), db_int(now),   db_int(now + AUTH_SESSION_TTL_MS)};
    return store_exec(s,
                      "INSERT INTO sessions (token_hash, kind, subject_id, csrf_token, created_at,"
                      " expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                      v, 6, NULL, err);
}

int auth_session_delete(struct store *s, const char *token_hash, struct pd_err *err)
{
    struct db_val p = db_text(token_hash);
    return store_exec(s, "DELETE FROM sessions WHERE token_hash = ?1", &p, 1, NULL, err);
}

int auth_sessions_end(struct store *s, const char *subject_id, struct pd_err *err)
{
    struct db_val who = db_text(subject_id);
    return store_exec(s, "DELETE FROM sessions WHERE subject_id = ?1", &who, 1, NULL, err);
}

int auth_sessions_end_email(struct store *s, const char *email, struct pd_err *err)
{
    struct db_val e = db_text(email);
    return store_exec(s,
                      "DELETE FROM sessions WHERE kind = 'partner'"
                      " AND subject_id IN (SELECT id FROM partners WHERE email = ?1)",
                      &e, 1, NULL, err);
}

int auth_sessions_end_others(struct store *s, const char *subject_id, const char *keep_token_hash,
                             struct pd_err *err)
{
    struct db_val v[2] = {db_text(subject_id), db_text(keep_token_hash)};
    return store_exec(s, "DELETE FROM sessions WHERE subject_id = ?1 AND token_hash <> ?2", v, 2,
                      NULL, err);
}

/* ---- a session as the request's credentials ------------------------------------------------ */

int auth_session_request(const struct auth_state *as, struct store *db,
                         const struct http_request *req, int64_t now, unsigned allowed,
                         struct auth *out, struct pd_err *err)
{
    struct auth_session ses;
    int rc = auth_session_find(as, db, req, now, &ses, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, NULL,
                          "not logged in, or the session has ended: log in again at /login "
                          "(API clients send \"Authorization: Bearer <key>\")");
    if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
        const char *origin = http_header_get(req, "Origin");
        if (!auth_csrf_ok(&ses, http_header_get(req, "X-CSRF-Token")))
            return pd_err_set(err, PD_ERR_FORBIDDEN, "X-CSRF-Token",
                              "missing or wrong CSRF token: reload the page and try again");
        if (origin && !auth_origin_matches(origin, http_header_get(req, "Host"), as->scheme))
            return pd_err_set(err, PD_ERR_FORBIDDEN, "Origin",
                              "this request came from another site");
    }
    bool admin = strcmp(ses.kind, "admin") == 0;
    if (!admin && strcmp(ses.partner_status, "pending") == 0)
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL, "%s", AUTH_UNDER_REVIEW);
    out->kind = admin ? AUTH_SECRET : AUTH_PARTNER;
    out->role = !admin                              ? AUTH_ROLE_OWNER
                : strcmp(ses.role, "owner") == 0    ? AUTH_ROLE_OWNER
                : strcmp(ses.role, "admin") == 0    ? AUTH_ROLE_ADMIN
                                                    : AUTH_ROLE_VIEWER;
    /* The session's subject scopes its Idempotency-Keys, as an API key's id does. */
    snprintf(out->key_id, sizeof out->key_id, "%s", ses.subject_id);
    if (!admin)
        snprintf(out->partner_id, sizeof out->partner_id, "%s", ses.subject_id);
    if (!(allowed & AUTH_ALLOW(out->kind)))
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL, "%s",
                          admin ? "this endpoint is for partners (/api/v1/me)"
                                : "a partner can only read and change its own data (/api/v1/me)");
    return 0;
}
