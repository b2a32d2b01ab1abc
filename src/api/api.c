/* The API's shared request machinery (api/api.h): JSON error bodies and replies, authentication
 * of API keys (and, for the dashboards' own calls, their session cookie), the request body and
 * query checks every resource uses. Handlers validate with these and answer every error as
 * {"error":{"code","message","param"}} with its status; nothing here writes to the database. */
#include "api/api.h"

#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/key_cache.h"
#include "http/query.h"
#include "store/store.h"
#include "web/web.h"
#include "util/json_encode.h"
#include "util/banned.h"

json_t *api_error_json(const struct pd_err *err)
{
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(pd_err_code(err->kind)));
    json_object_set_new(e, "message", json_string(err->message[0] ? err->message : "error"));
    json_object_set_new(e, "param", err->param[0] ? json_string(err->param) : json_null());
    json_t *root = json_object();
    json_object_set_new(root, "error", e);
    return root;
}

static const struct http_header json_headers[] = {
    {"Content-Type", "application/json"},
    {"Cache-Control", "no-store"},
};

void api_reply_raw(struct api_call *call, int status, const struct http_header *headers,
                   size_t nheaders, const char *body, size_t len)
{
    if (status >= 500)
        atomic_fetch_add(&call->app->metrics.errors_5xx, 1);
    else if (status >= 400)
        atomic_fetch_add(&call->app->metrics.errors_4xx, 1);
    if (call->body) {
        json_decref(call->body);
        call->body = NULL;
    }
    http_respond(call->req, status, headers, nheaders, body, len);
}

void api_reply_json(struct api_call *call, int status, json_t *body)
{
    size_t len = 0;
    char *text = json_encode(body, &len);
    json_decref(body);
    if (!text) {
        static const char oom[] =
            "{\"error\":{\"code\":\"internal_server_error\",\"message\":\"out of memory\",\"param\":null}}";
        api_reply_raw(call, 500, json_headers, 2, oom, sizeof oom - 1);
        return;
    }
    api_reply_raw(call, status, json_headers, 2, text, len);
    free(text);
}

void api_reply_error(struct api_call *call, const struct pd_err *err)
{
    api_reply_json(call, pd_err_http_status(err->kind), api_error_json(err));
}

void api_reply_errorf(struct api_call *call, enum pd_errkind kind, const char *param,
                      const char *fmt, ...)
{
    struct pd_err err = {.kind = kind};
    snprintf(err.param, sizeof err.param, "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    api_reply_error(call, &err);
}

static const char *auth_kind_prefix[] = {
    [AUTH_SECRET] = "pd_sk_",
    [AUTH_PUBLISHABLE] = "pd_pk_",
    [AUTH_PARTNER] = "pd_pt_",
};

/* The key whose digest is in e->digest: from this worker's key cache (when cacheable), or from
 * api_keys (then cached). Fills e's kind and ids; -1 with err set when there is no such key (or it
 * is revoked), or it belongs to a suspended partner (403). */
static int known_key(struct api_call *call, struct key_cache_entry *e, bool cacheable,
                     struct pd_err *err)
{
    struct app_worker *aw = call->worker;
    uint64_t gen = writer_generation(call->app->writer); /* before the read: see key_cache.h */
    if (!aw->keys && !(aw->keys = calloc(1, sizeof *aw->keys)))
        abort();
    const struct key_cache_entry *hit =
        cacheable ? key_cache_get(aw->keys, e->digest, gen, call->now_ms) : NULL;
    if (hit) {
        *e = *hit;
        return 0;
    }
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, e->digest, sizeof e->digest);
    struct db_val p = db_text(hex);
    struct store_cursor cur;
    int rc = store_query_row(call->db,
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
    bool suspended = !store_is_null(&cur, 4) && strcmp(store_col_text(&cur, 4), "suspended") == 0;
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
    if (suspended)
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL,
                          "this partner is suspended: its keys work again once the program's "
                          "manager reactivates it");
    e->generation = gen;
    if (cacheable)
        key_cache_put(aw->keys, e, call->now_ms);
    return 0;
}

int api_authenticate(struct api_call *call, unsigned allowed, struct pd_err *err)
{
    const char *q = call->req->query;
    if (q && (strstr(q, "pd_sk_") || strstr(q, "pd_pk_") || strstr(q, "pd_pt_") ||
              api_query(call, "key") || api_query(call, "api_key")))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "key",
                          "API keys are accepted only in the Authorization header, never in a URL");
    const char *h = http_header_get(call->req, "Authorization");
    /* web: a dashboard page's request authenticates with its session cookie (src/web/session.c),
     * CSRF token required on every non-GET */
    if (!h && call->app->web && http_header_get(call->req, "Cookie"))
        return web_session_auth(call, allowed, err);
    /* end web */
    if (!h)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, NULL,
                          "no API key: send \"Authorization: Bearer <key>\"");
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
    if (known_key(call, &found, kind != AUTH_PARTNER, err) < 0)
        return -1;
    if (found.kind != (int)kind)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, NULL, "invalid API key");
    snprintf(call->auth.key_id, sizeof call->auth.key_id, "%s", found.key_id);
    snprintf(call->auth.partner_id, sizeof call->auth.partner_id, "%s", found.partner_id);
    call->auth.kind = kind;
    if (!(allowed & AUTH_ALLOW(kind))) {
        const char *what = kind == AUTH_PUBLISHABLE ? "a publishable key can only register clicks"
                           : kind == AUTH_PARTNER   ? "a partner key can only read /api/v1/me"
                                                    : "this endpoint needs a partner key";
        return pd_err_set(err, PD_ERR_FORBIDDEN, NULL, "%s", what);
    }
    return 0;
}

/* jansson refuses integers beyond int64; to name the field, parse again reading numbers as
 * doubles — only to find which top-level field was out of range, never to use a value. */
static int too_big_number(struct api_call *call, struct pd_err *err)
{
    json_t *root = json_loadb(call->req->body, call->req->body_len, JSON_DECODE_INT_AS_REAL, NULL);
    const char *key = NULL;
    json_t *v;
    if (json_is_object(root)) {
        json_object_foreach(root, key, v)
        {
            if (json_is_real(v) && fabs(json_real_value(v)) >= 9.2e18)
                break;
        }
    }
    pd_err_set(err, PD_ERR_UNPROCESSABLE, key, "%s is too large: numbers must fit in 64 bits",
               key ? key : "a number");
    json_decref(root);
    return -1;
}

int api_parse_body(struct api_call *call, struct pd_err *err)
{
    /* The body is JSON whatever Content-Type says (curl -d sends a form type by default). */
    if (call->req->body_len == 0)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, NULL, "the body must be a JSON object");
    json_error_t jerr;
    json_t *root = json_loadb(call->req->body, call->req->body_len,
                              JSON_REJECT_DUPLICATES, &jerr);
    if (!root && strstr(jerr.text, "too big"))
        return too_big_number(call, err);
    if (!root)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, NULL, "malformed JSON at line %d column %d: %s",
                          jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return pd_err_set(err, PD_ERR_BAD_REQUEST, NULL, "the body must be a JSON object");
    }
    call->body = root;
    return 0;
}

int api_check_fields(json_t *obj, const char *const *allowed, struct pd_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, key, "unknown field %s", key);
    }
    return 0;
}

int api_get_string(json_t *obj, const char *key, bool required, size_t max_len,
                   const char **out, struct pd_err *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, key, "%s is required", key);
        return 0;
    }
    if (!json_is_string(v))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, key, "%s must be a string", key);
    size_t len = json_string_length(v);
    if (len > max_len)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, key, "%s is longer than %zu characters", key,
                          max_len);
    if (strlen(json_string_value(v)) != len)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, key, "%s must not contain NUL", key);
    if (required && len == 0)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, key, "%s must not be empty", key);
    *out = json_string_value(v);
    return 0;
}

int api_get_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                int64_t *out, struct pd_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, key, "%s is required", key);
        return 0;
    }
    if (json_is_real(v))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, key,
                          "%s must be an integer (money is in minor units: 12.34 USD is 1234)",
                          key);
    if (!json_is_integer(v))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, key, "%s must be an integer", key);
    json_int_t i = json_integer_value(v);
    if (i < min || i > max)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, key,
                          "%s must be between %lld and %lld", key, (long long)min, (long long)max);
    *out = i;
    return 0;
}

int api_get_bool(json_t *obj, const char *key, bool *out, struct pd_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, key, "%s must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

const char *api_query(struct api_call *call, const char *key)
{
    struct http_request *req = call->req;
    if (!req->query)
        return NULL;
    struct http_param *params = NULL;
    size_t n = 0;
    if (http_query_parse(req->arena, req->query, 64, &params, &n) < 0)
        return NULL;
    return http_param_get(params, n, key);
}

int api_check_query(struct api_call *call, const char *const *allowed, struct pd_err *err)
{
    struct http_request *req = call->req;
    struct http_param *params = NULL;
    size_t n = 0;
    if (!req->query || !*req->query)
        return 0;
    if (http_query_parse(req->arena, req->query, 64, &params, &n) < 0)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, NULL,
                          "malformed query string (a bad %% escape, or more than 64 parameters)");
    for (size_t i = 0; i < n; i++) {
        bool ok = false;
        for (const char *const *a = allowed; a && *a && !ok; a++)
            ok = strcmp(*a, params[i].key) == 0;
        if (!ok)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, params[i].key,
                              "unknown query parameter %.64s", params[i].key);
    }
    return 0;
}
