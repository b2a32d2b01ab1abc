/* The API's shared request machinery (api/api.h): JSON error bodies and replies, authentication
 * of API keys (and, for the dashboards' own calls, their session cookie), the request body and
 * query checks every resource uses. Handlers validate with these and answer every error as
 * {"error":{"code","message","param"}} with its status; nothing here writes to the database. */
#include "api/api.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/query.h"
#include "store/store.h"
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
    char *text = pd_json_encode(body, &len);
    json_decref(body);
    if (!text) {
        static const char oom[] = "{\"error\":{\"code\":\"internal_server_error\",\"message\":"
                                  "\"out of memory\",\"param\":null}}";
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

int api_authenticate(struct api_call *call, unsigned allowed, struct pd_err *err)
{
    return auth_request(call->worker, call->req, call->now_ms, allowed, &call->auth, err);
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
    json_t *root = json_loadb(call->req->body, call->req->body_len, JSON_REJECT_DUPLICATES, &jerr);
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

int api_get_string(json_t *obj, const char *key, bool required, size_t max_len, const char **out,
                   struct pd_err *err)
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

int api_get_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max, int64_t *out,
                struct pd_err *err)
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
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, key, "%s must be between %lld and %lld", key,
                          (long long)min, (long long)max);
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
