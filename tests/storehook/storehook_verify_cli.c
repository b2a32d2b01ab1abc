/* A small driver for tests that sign with the platforms' own code (stripe_signature.test.js):
 *
 *   storehook_verify_cli PLATFORM HEADER SECRET NOW < body
 *
 * checks the body on stdin with storehook_verify and prints the result's name ("ok", "mismatch",
 * ...). An empty HEADER or SECRET stands for an absent one. Exit 0 when the result is ok, 1 for
 * any other result, 2 for bad usage. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/storehook.h"

static const char *result_name(enum storehook_sig r)
{
    static const char *const names[] = {"ok",         "ping",     "no_secret", "missing",
                                        "malformed",  "mismatch", "stale",     "future"};
    return (size_t)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

int main(int argc, char **argv)
{
    enum storehook_platform p;
    if (argc != 5 || !storehook_platform_parse(argv[1], &p) || sodium_init() < 0) {
        fprintf(stderr, "usage: %s stripe|shopify|woocommerce|paddle HEADER SECRET NOW < body\n",
                argv[0]);
        return 2;
    }
    char *end = NULL;
    long long now = strtoll(argv[4], &end, 10);
    if (!end || *end != '\0')
        return 2;
    size_t cap = 1 << 16, len = 0;
    unsigned char *body = malloc(cap);
    for (size_t n; body && (n = fread(body + len, 1, cap - len, stdin)) > 0;) {
        len += n;
        if (len == cap) {
            unsigned char *grown = realloc(body, cap *= 2);
            if (!grown)
                free(body);
            body = grown;
        }
    }
    if (!body)
        return 2;
    enum storehook_sig r = storehook_verify(p, *argv[2] ? argv[2] : NULL, body, len,
                                            *argv[3] ? argv[3] : NULL, (int64_t)now);
    free(body);
    printf("%s\n", result_name(r));
    return r == STOREHOOK_SIG_OK ? 0 : 1;
}
