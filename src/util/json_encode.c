/* Compact JSON encoding (util/json_encode.h): byte for byte what jansson's json_dumps with
 * JSON_COMPACT writes, checked by a unit test and fuzz_json_encode. */
#include "util/json_encode.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* jansson's parser stops at this depth, so every parsed document fits. */
#define MAX_DEPTH 2048

struct out {
    char *buf;
    size_t len, cap;
    bool failed;
};

static bool reserve(struct out *o, size_t more)
{
    if (o->failed)
        return false;
    if (o->cap - o->len > more)
        return true;
    size_t cap = o->cap ? o->cap : 512;
    while (cap - o->len <= more)
        cap *= 2;
    char *b = realloc(o->buf, cap);
    if (!b) {
        o->failed = true;
        return false;
    }
    o->buf = b;
    o->cap = cap;
    return true;
}

static void put(struct out *o, const char *s, size_t n)
{
    if (!reserve(o, n))
        return;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_char(struct out *o, char c)
{
    if (!reserve(o, 1))
        return;
    o->buf[o->len++] = c;
}

/* 1 where a byte must be escaped: control characters, '"' and '\\'. */
static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static void put_string(struct out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    put_char(o, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape(c))
            continue;
        put(o, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t esc_len = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            esc_len = 6;
        }
        put(o, esc, esc_len);
    }
    put(o, s + run, n - run);
    put_char(o, '"');
}

static void put_integer(struct out *o, json_int_t v)
{
    char digits[24];
    size_t at = sizeof digits;
    /* Through unsigned so the most negative value does not overflow. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[--at] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        digits[--at] = '-';
    put(o, digits + at, sizeof digits - at);
}

/* As jansson: %.17g, ".0" added when it reads as an integer, no '+' or leading zeros in the
 * exponent. Our values are integers (money is in minor units); reals only echo input. */
static void put_real(struct out *o, double v)
{
    char text[40];
    int n = snprintf(text, sizeof text, "%.17g", v);
    if (n < 0 || (size_t)n >= sizeof text - 3) {
        o->failed = true;
        return;
    }
    size_t len = (size_t)n;
    if (!strchr(text, '.') && !strchr(text, 'e')) {
        memcpy(text + len, ".0", 3);
        len += 2;
    }
    char *e = strchr(text, 'e');
    if (e) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len + 1 - (size_t)(end - text));
            len -= (size_t)(end - start);
        }
    }
    put(o, text, len);
}

static void put_value(struct out *o, const json_t *v, int depth)
{
    if (depth > MAX_DEPTH) {
        o->failed = true;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        put_char(o, '{');
        const char *key;
        size_t key_len;
        json_t *member;
        bool first = true;
        json_object_keylen_foreach((json_t *)v, key, key_len, member)
        {
            if (!first)
                put_char(o, ',');
            first = false;
            put_string(o, key, key_len);
            put_char(o, ':');
            put_value(o, member, depth + 1);
        }
        put_char(o, '}');
        break;
    }
    case JSON_ARRAY:
        put_char(o, '[');
        for (size_t i = 0, n = json_array_size(v); i < n; i++) {
            if (i)
                put_char(o, ',');
            put_value(o, json_array_get(v, i), depth + 1);
        }
        put_char(o, ']');
        break;
    case JSON_STRING:
        put_string(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put_integer(o, json_integer_value(v));
        break;
    case JSON_REAL:
        put_real(o, json_real_value(v));
        break;
    case JSON_TRUE:
        put(o, "true", 4);
        break;
    case JSON_FALSE:
        put(o, "false", 5);
        break;
    case JSON_NULL:
        put(o, "null", 4);
        break;
    }
}

char *pd_json_encode(const json_t *v, size_t *len)
{
    struct out o = {0};
    if (!v)
        return NULL;
    put_value(&o, v, 1);
    if (reserve(&o, 1))
        o.buf[o.len] = '\0';
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    if (len)
        *len = o.len;
    return o.buf;
}
