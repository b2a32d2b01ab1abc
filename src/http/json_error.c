/* The JSON error body shared by the server's own answers (413, 431, ...) and the API handlers. */
#include "http/http.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* The error codes are a fixed set clients can switch on (README "The API" lists them): a status
 * without a code of its own is a bad request (413 keeps its own name, since no listed code fits
 * it). */
static const char *code_for_status(int status)
{
    switch (status) {
    case 400:
        return "bad_request";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not_found";
    case 405:
        return "bad_request";
    case 408:
        return "bad_request";
    case 409:
        return "conflict";
    case 413:
        return "payload_too_large";
    case 414:
        return "bad_request";
    case 417:
        return "bad_request";
    case 422:
        return "unprocessable_entity";
    case 429:
        return "rate_limit_exceeded";
    case 431:
        return "bad_request";
    case 501:
        return "bad_request";
    case 503:
        return "service_unavailable";
    case 505:
        return "bad_request";
    default:
        return status >= 500 ? "internal_server_error" : "bad_request";
    }
}

/* A JSON string for s; text that is not valid UTF-8 has its bytes >= 0x80 replaced by '?', so an
 * echoed parameter can never make the body invalid JSON. */
static json_t *safe_string(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (!copy)
        abort();
    for (size_t i = 0; i < n; i++)
        copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    copy[n] = '\0';
    j = json_string(copy);
    free(copy);
    return j;
}

const char *http_json_error_body(struct arena *a, int status, const char *code, const char *message,
                                 const char *param, size_t *len)
{
    json_t *err = json_object();
    json_object_set_new(err, "code", safe_string(code ? code : code_for_status(status)));
    json_object_set_new(err, "message", safe_string(message ? message : ""));
    json_object_set_new(err, "param", param ? safe_string(param) : json_null());
    json_t *root = json_object();
    json_object_set_new(root, "error", err);
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        abort();
    size_t n = strlen(text);
    char *out = arena_strndup(a, text, n);
    free(text);
    if (len)
        *len = n;
    return out;
}
