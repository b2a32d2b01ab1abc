/* Fuzzes src/auth/parse.c: invite tokens ("<expiry seconds>-<32 alphanumerics>") and the Origin
 * check. An accepted token has exactly that shape and a non-negative expiry; an Origin matches only
 * "http://" + the Host it is compared with. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t expires = -1;
    if (auth_invite_token_parse(s, &expires)) {
        const char *dash = strchr(s, '-');
        if (!dash || expires < 0 || strlen(dash + 1) != 32 || dash - s > 12 || dash == s)
            abort();
    }
    /* Split the input at its first newline into an Origin and a Host. */
    char *nl = strchr(s, '\n');
    const char *origin = s, *host = nl ? nl + 1 : "127.0.0.1:8080";
    if (nl)
        *nl = '\0';
    if (auth_origin_matches(origin, host, "http")) {
        if (strncasecmp(origin, "http://", 7) != 0 || strcasecmp(origin + 7, host) != 0 ||
            strpbrk(host, "/@?# "))
            abort();
    }
    (void)auth_origin_matches(origin, host, "https");
    free(s);
    return 0;
}
