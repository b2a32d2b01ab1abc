/* Fuzzes src/http/query.c: query parsing, percent-decoding and an encode/decode round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    struct arena a;
    arena_init(&a, 512);
    char *s = arena_strndup(&a, (const char *)data, size); /* stops at an embedded NUL */
    size_t len = strlen(s);

    struct http_param *params;
    size_t n;
    if (http_query_parse(&a, s, 16, &params, &n) == 0) {
        if (n > 16)
            abort();
        for (size_t i = 0; i < n; i++) {
            if (strlen(params[i].key) > len || strlen(params[i].value) > len)
                abort();
            if (http_param_get(params, n, params[i].key) == NULL)
                abort();
        }
    }

    /* decoding raw bytes (NULs included) never overreads and refuses decoded NULs */
    char *d = http_percent_decode(&a, (const char *)data, size, size ? data[0] & 1 : 0);
    if (d && (strlen(d) > size || memchr(data, 0, size)))
        abort();

    char *e = http_percent_encode(&a, s);
    char *back = http_percent_decode(&a, e, strlen(e), 1);
    if (!back || strcmp(back, s) != 0)
        abort();
    arena_free(&a);
    return 0;
}
