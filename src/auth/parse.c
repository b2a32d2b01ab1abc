/* The pure parsers of outside input that authentication needs: the Cookie header, invite tokens
 * and the Origin header. No I/O, no allocation; fuzzed by tests/fuzz/fuzz_auth_*.c. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "util/banned.h"

static bool token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static bool alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool auth_cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
    if (!header || !name || !out || outlen == 0)
        return false;
    size_t name_len = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *pair = p;
        while (*p && *p != ';')
            p++;
        size_t pair_len = (size_t)(p - pair);
        const char *eq = memchr(pair, '=', pair_len);
        if (!eq)
            continue;
        size_t key_len = (size_t)(eq - pair);
        while (key_len > 0 && (pair[key_len - 1] == ' ' || pair[key_len - 1] == '\t'))
            key_len--;
        if (key_len != name_len || memcmp(pair, name, name_len) != 0)
            continue;
        const char *v = eq + 1;
        size_t vlen = pair_len - (size_t)(v - pair);
        while (vlen > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
            v++;
            vlen -= 2;
        }
        bool ok = vlen > 0 && vlen < outlen;
        for (size_t i = 0; ok && i < vlen; i++)
            ok = token_char(v[i]);
        if (!ok)
            continue; /* a malformed duplicate does not hide a good one */
        memcpy(out, v, vlen);
        out[vlen] = '\0';
        return true;
    }
    return false;
}

/* A token's leading decimal seconds (1 to 12 digits) and the separator after them: what follows
 * the separator, or NULL when the token does not start so. */
static const char *after_seconds(const char *token, char sep, int64_t *secs)
{
    if (!token)
        return NULL;
    *secs = 0;
    size_t i = 0;
    for (; token[i] >= '0' && token[i] <= '9'; i++) {
        if (i >= 12)
            return NULL;
        *secs = *secs * 10 + (token[i] - '0');
    }
    return i > 0 && token[i] == sep ? token + i + 1 : NULL;
}

bool auth_invite_token_parse(const char *token, int64_t *expires_ms)
{
    int64_t secs;
    const char *r = after_seconds(token, '-', &secs);
    if (!r)
        return false;
    size_t n = 0;
    for (; r[n]; n++)
        if (n >= AUTH_INVITE_RANDOM_LEN || !alnum(r[n]))
            return false;
    if (n != AUTH_INVITE_RANDOM_LEN)
        return false;
    if (expires_ms)
        *expires_ms = secs * 1000;
    return true;
}

bool auth_origin_matches(const char *origin, const char *host, const char *scheme)
{
    if (!origin || !host || !scheme || !*host)
        return false;
    size_t sl = strlen(scheme);
    if (strncasecmp(origin, scheme, sl) != 0 || strncmp(origin + sl, "://", 3) != 0)
        return false;
    const char *oh = origin + sl + 3;
    for (const char *c = host; *c; c++)
        if (!(alnum(*c) || *c == '.' || *c == '-' || *c == ':' || *c == '[' || *c == ']'))
            return false;
    return strcasecmp(oh, host) == 0;
}

bool auth_form_token_parse(const char *token, int64_t *issued_s, char mac[33])
{
    int64_t secs;
    const char *h = after_seconds(token, '.', &secs);
    if (!h)
        return false;
    size_t n = 0;
    for (; h[n]; n++)
        if (n >= 32 || !((h[n] >= '0' && h[n] <= '9') || (h[n] >= 'a' && h[n] <= 'f')))
            return false;
    if (n != 32)
        return false;
    memcpy(mac, h, 33);
    *issued_s = secs;
    return true;
}
