/* API keys ("Authorization: Bearer pd_sk_… | pd_pk_… | pd_pt_…") checked against api_keys through
 * the worker's key cache, and auth_request: a key, or a dashboard session (session.c), then the
 * merchant's roles. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "app/key_cache.h"
#include "auth/auth_internal.h"
#include "http/query.h"
#include "util/banned.h"

static const char *auth_kind_prefix[] = {
    [AUTH_SECRET] = "pd_sk_",
    [AUTH_PUBLISHABLE] = "pd_pk_",
    [AUTH_PARTNER] = "pd_pt_",
};

/* The key whose digest is in e->digest: from this worker's key cache (when cacheable), or from
 * api_keys (then cached). Fills e's kind and ids; -1 with err set when there is no such key (or it
 * is revoked), or it belongs to a suspended, pending or rejected partner (403). */
static int known_key(struct app_worker *aw, int64_t now_ms, struct key_cache_entry *e,
                     bool cacheable, struct pd_err *err)
{
    uint64_t gen = writer_generation(aw->app->writer); /* before the read: see key_cache.h */
    if (!aw->keys && !(aw->keys = calloc(1, sizeof *aw->keys)))
        abort();
    const struct key_cache_entry *hit =
        cacheable ? key_cache_get(aw->keys, e->digest, gen, now_ms) : NULL;
    if (hit) {
        *e = *hit;
        return 0;
    }
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, e->digest, sizeof e->digest);
    struct db_val p = db_text(hex);
    struct store_cursor cur;
    int rc = store_query_row(aw->db,
                             "SELECT k.id, k.kind, k.partner_id, k.key_hash, p.status"
                             " FROM api_keys k LEFT JOIN partners p ON p.id = k.partner_id"
                             " WHERE k.key_hash = ?1 AND k.revoked_at IS NULL",
                             &p, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, NULL, "invalid API key");
    bool same = strlen(store_col_text(&cur, 3)) == 64 &&
                sodium_memcmp(store_col_text(&cur, 3), hex, 64) == 0;
    const char *status = store_is_null(&cur, 4) ? "" : store_col_text(&cur, 4);
    bool suspended = strcmp(status, "suspended") == 0;
    bool pending = strcmp(status, "pending") == 0, rejected = strcmp(status, "rejected") == 0;
    snprintf(e->key_id, sizeof e->key_id, "%s", store_col_text(&cur, 0));
    snprintf(e->partner_id, sizeof e->partner_id, "%s", store_col_text(&cur, 2));
    const char *stored_kind = store_col_text(&cur, 1);
    e->kind = strcmp(stored_kind, "secret") == 0        ? AUTH_SECRET
              : strcmp(stored_kind, "publishable") == 0 ? AUTH_PUBLISHABLE
              : strcmp(stored_kind, "partner") == 0     ? AUTH_PARTNER
                                                        : AUTH_NONE;
    store_finish(&cur);
    if (!same)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, NULL, "invalid API key");
    if (pending)
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL, "%s", AUTH_UNDER_REVIEW);
    if (rejected)
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL,
                          "this partner's application was not accepted: its keys do not work");
    if (suspended)
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL,
                          "this partner is suspended: its keys work again once the program's "
                          "manager reactivates it");
    e->generation = gen;
    if (cacheable)
        key_cache_put(aw->keys, e, now_ms);
    return 0;
}

/* A key in the URL, where logs and browser histories keep it. */
static bool key_in_query(struct http_request *req)
{
    const char *q = req->query;
    if (!q)
        return false;
    if (strstr(q, "pd_sk_") || strstr(q, "pd_pk_") || strstr(q, "pd_pt_"))
        return true;
    struct http_param *params = NULL;
    size_t n = 0;
    if (http_query_parse(req->arena, q, 64, &params, &n) < 0)
        return false;
    return http_param_get(params, n, "key") || http_param_get(params, n, "api_key");
}

static int bearer_key(struct app_worker *w, const char *h, int64_t now_ms, unsigned allowed,
                      struct auth *out, struct pd_err *err)
{
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, NULL,
                          "the Authorization header must be \"Bearer <key>\"");
    const char *key = h + 7;
    while (*key == ' ')
        key++;
    size_t len = strlen(key);
    enum auth_kind kind = AUTH_NONE;
    for (int k = AUTH_SECRET; k <= AUTH_PARTNER; k++)
        if (strncmp(key, auth_kind_prefix[k], 6) == 0)
            kind = (enum auth_kind)k;
    if (kind == AUTH_NONE || len < 16 || len > 128)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, NULL, "invalid API key");

    struct key_cache_entry found = {0};
    crypto_generichash(found.digest, sizeof found.digest, (const unsigned char *)key, len, NULL, 0);
    /* A partner key is read from the database every time: its revocation or its partner's
     * suspension, made on any node, holds from the next request (partner calls are few). */
    if (known_key(w, now_ms, &found, kind != AUTH_PARTNER, err) < 0)
        return -1;
    if (found.kind != (int)kind)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, NULL, "invalid API key");
    snprintf(out->key_id, sizeof out->key_id, "%s", found.key_id);
    snprintf(out->partner_id, sizeof out->partner_id, "%s", found.partner_id);
    out->kind = kind;
    if (!(allowed & AUTH_ALLOW(kind))) {
        const char *what = kind == AUTH_PUBLISHABLE ? "a publishable key can only register clicks"
                           : kind == AUTH_PARTNER   ? "a partner key can only read /api/v1/me"
                                                    : "this endpoint needs a partner key";
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL, "%s", what);
    }
    return 0;
}

/* Who is asking: a key, or a dashboard session. */
static int identify(struct app_worker *w, struct http_request *req, int64_t now_ms,
                    unsigned allowed, struct auth *out, struct pd_err *err)
{
    if (key_in_query(req))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "key",
                          "API keys are accepted only in the Authorization header, never in a URL");
    const char *h = http_header_get(req, "Authorization");
    if (!h && w->app->auth && http_header_get(req, "Cookie"))
        return auth_session_request(w->app->auth, w->db, req, now_ms, allowed, out, err);
    if (!h)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, NULL,
                          "no API key: send \"Authorization: Bearer <key>\"");
    return bearer_key(w, h, now_ms, allowed, out, err);
}

/* The merchant's roles, for every route at once: what a viewer or an admin may not do is refused
 * here, before any handler runs. */
static int check_role(const struct http_request *req, unsigned allowed, const struct auth *a,
                      struct pd_err *err)
{
    if (a->kind != AUTH_SECRET)
        return 0;
    if (a->role == AUTH_ROLE_VIEWER && req->method != HTTP_GET && req->method != HTTP_HEAD)
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL,
                          "a viewer can only read: ask an owner of this account for the admin "
                          "role to make changes");
    if ((allowed & AUTH_OWNER_ONLY) && a->role != AUTH_ROLE_OWNER)
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL,
                          "only an owner manages the team and the merchant's API keys");
    return 0;
}

int auth_request(struct app_worker *w, struct http_request *req, int64_t now_ms, unsigned allowed,
                 struct auth *out, struct pd_err *err)
{
    out->role = AUTH_ROLE_OWNER; /* a secret key's; a session sets its user's */
    if (identify(w, req, now_ms, allowed, out, err) < 0)
        return -1;
    return check_role(req, allowed, out, err);
}
