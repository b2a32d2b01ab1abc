/* Destination URLs (core/url.h): parsing, the program's allowed hosts, and appending the click
 * parameter. Pure; a URL this cannot parse is never redirected to. */
#include "core/url.h"

#include <ctype.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "util/banned.h"

#define URL_MAX 2048

static bool host_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.';
}

bool url_parse(const char *url, struct url_parts *out)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(url);
    if (len == 0 || len > URL_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c == 0x7f || c == '\\' || c == '"' || c == '<' || c == '>')
            return false;
    }
    const char *p;
    if (strncasecmp(url, "https://", 8) == 0) {
        out->https = true;
        p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else {
        return false;
    }
    size_t hlen = 0;
    while (p[hlen] && host_char(p[hlen]))
        hlen++;
    if (hlen == 0 || hlen >= sizeof out->host || p[0] == '.' || p[0] == '-' ||
        p[hlen - 1] == '.' || p[hlen - 1] == '-' || strstr(p, "..") == p)
        return false;
    for (size_t i = 0; i < hlen; i++) {
        out->host[i] = (char)tolower((unsigned char)p[i]);
        if (i > 0 && p[i] == '.' && p[i - 1] == '.')
            return false;
    }
    out->host[hlen] = '\0';
    p += hlen;
    if (*p == ':') {
        p++;
        int port = 0, digits = 0;
        while (isdigit((unsigned char)*p) && digits < 6) {
            port = port * 10 + (*p - '0');
            p++;
            digits++;
        }
        if (digits == 0 || port < 1 || port > 65535)
            return false;
        out->port = port;
    }
    if (*p && *p != '/' && *p != '?' && *p != '#')
        return false; /* user info ("a@b"), odd characters in the host */
    out->rest_off = (size_t)(p - url);
    return true;
}

bool url_host_allowed(const char *host, const char *const *allowed, size_t nallowed)
{
    size_t hlen = strlen(host);
    for (size_t i = 0; i < nallowed; i++) {
        const char *a = allowed[i];
        if (strncmp(a, "*.", 2) == 0) {
            size_t slen = strlen(a + 1); /* ".shop.example" */
            if (hlen > slen && strcasecmp(host + hlen - slen, a + 1) == 0)
                return true;
        } else if (strcasecmp(host, a) == 0) {
            return true;
        }
    }
    return false;
}

bool url_valid_host_pattern(const char *pattern)
{
    const char *p = strncmp(pattern, "*.", 2) == 0 ? pattern + 2 : pattern;
    size_t len = strlen(p);
    if (len == 0 || len > 253 || p[0] == '.' || p[0] == '-' || p[len - 1] == '.' ||
        p[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!host_char(p[i]) || (p[i] == '.' && p[i + 1] == '.'))
            return false;
    }
    return true;
}

int url_append_param(const char *url, const char *name, const char *value, char *out,
                     size_t outlen)
{
    const char *hash = strchr(url, '#');
    size_t base = hash ? (size_t)(hash - url) : strlen(url);
    const char *q = memchr(url, '?', base);
    char sep = q ? (base > 0 && (url[base - 1] == '?' || url[base - 1] == '&') ? '\0' : '&') : '?';
    /* Copied piece by piece (on every click's path; a format string costs several times more). */
    size_t nl = strlen(name), vl = strlen(value), hl = hash ? strlen(hash) : 0;
    size_t n = base + (sep ? 1 : 0) + nl + 1 + vl + hl;
    if (n >= outlen || n > INT_MAX)
        return -1;
    char *p = out;
    memcpy(p, url, base);
    p += base;
    if (sep)
        *p++ = sep;
    memcpy(p, name, nl);
    p += nl;
    *p++ = '=';
    memcpy(p, value, vl);
    p += vl;
    memcpy(p, hash ? hash : "", hl);
    p[hl] = '\0';
    return (int)n;
}
