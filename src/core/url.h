/* Destination URLs: the only URLs partnerd ever redirects to are stored ones whose host the program
 * allows; these helpers check that and build the redirect target. Pure. */
#ifndef PD_CORE_URL_H
#define PD_CORE_URL_H

#include <stdbool.h>
#include <stddef.h>

struct url_parts {
    bool https;
    char host[256];   /* lower-cased, without port */
    int port;         /* 0 when absent */
    size_t rest_off;  /* offset of the path/query/fragment part ("" or starting with / ? #) */
};

/* Accepts absolute http(s) URLs with a host name (no user info, no spaces or control characters,
 * ≤ 2048 bytes). false for anything else. */
bool url_parse(const char *url, struct url_parts *out);

/* true when host equals one of the allowed hosts, or is a subdomain of an entry written "*.x". */
bool url_host_allowed(const char *host, const char *const *allowed, size_t nallowed);

/* A valid host name pattern for allowed_hosts: "shop.example", "*.shop.example". */
bool url_valid_host_pattern(const char *pattern);

/* Writes url with "name=value" added to its query (before any #fragment) into out.
 * Returns the length, or -1 when out is too small. value must be URL-safe already. */
int url_append_param(const char *url, const char *name, const char *value, char *out,
                     size_t outlen);

#endif
