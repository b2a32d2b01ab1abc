/* Query strings and application/x-www-form-urlencoded bodies: parsed into the request arena. */
#ifndef PD_HTTP_QUERY_H
#define PD_HTTP_QUERY_H

#include <stddef.h>

#include "util/arena.h"

struct http_param {
    const char *key;   /* percent-decoded, '+' → ' ' */
    const char *value; /* percent-decoded; "" for a bare key */
};

/* Parses "a=1&b=x%20y". At most `max` pairs (more → -1). Malformed escapes (%zz, % at the end)
 * and decoded NUL bytes → -1. Empty pieces ("a=1&&b=2") are skipped. *out is arena memory. */
int http_query_parse(struct arena *a, const char *query, size_t max, struct http_param **out,
                     size_t *n);
/* The first value for key, or NULL. */
const char *http_param_get(const struct http_param *params, size_t n, const char *key);
/* Decodes %XX (and '+' as ' ' when plus_is_space) into a new arena string; NULL when malformed or
 * when it would contain a NUL byte. */
char *http_percent_decode(struct arena *a, const char *s, size_t len, int plus_is_space);
/* Appends s percent-encoded (RFC 3986 unreserved characters kept) to an arena string. */
char *http_percent_encode(struct arena *a, const char *s);

#endif
