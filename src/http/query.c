/* Query strings and form bodies (http/query.h): percent-decoding into the request arena, with a
 * bound on the number of parameters; malformed escapes are refused, never passed on. */
#include "http/query.h"

#include <stdbool.h>
#include <string.h>

#include "util/banned.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *http_percent_decode(struct arena *a, const char *s, size_t len, int plus_is_space)
{
    char *out = arena_alloc(a, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (len - i < 3)
                return NULL;
            int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0')
            return NULL;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return out;
}

int http_query_parse(struct arena *a, const char *query, size_t max, struct http_param **out,
                     size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!query)
        return 0;
    size_t count = 0;
    for (const char *p = query; *p;) {
        const char *e = strchr(p, '&');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > 0)
            count++;
        if (!e)
            break;
        p = e + 1;
    }
    if (count > max)
        return -1;
    if (count == 0)
        return 0;
    struct http_param *params = arena_alloc(a, count * sizeof *params);
    size_t k = 0;
    for (const char *p = query; *p && k < count;) {
        const char *e = strchr(p, '&');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            params[k].key = http_percent_decode(a, p, klen, 1);
            params[k].value = eq ? http_percent_decode(a, eq + 1, len - klen - 1, 1) : "";
            if (!params[k].key || !params[k].value)
                return -1;
            k++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    *out = params;
    *n = k;
    return 0;
}

const char *http_param_get(const struct http_param *params, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(params[i].key, key) == 0)
            return params[i].value;
    return NULL;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

char *http_percent_encode(struct arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!s)
        s = "";
    size_t need = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        need += unreserved(*p) ? 1 : 3;
    char *out = arena_alloc(a, need + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}
