/* Fuzzes src/auth/parse.c auth_cookie_get: any Cookie header, any name; a found value is a
 * NUL-terminated [A-Za-z0-9_-] string that fits the buffer and occurs in the header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    char *header = malloc(size + 1);
    if (!header)
        abort();
    memcpy(header, data, size);
    header[size] = '\0';
    static const char *const names[] = {"pd_session", "__Host-pd_session", "a", ""};
    size_t limits[] = {1, 2, 8, 45, 64};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
            char out[64];
            memset(out, 'Z', sizeof out);
            if (!auth_cookie_get(header, names[n], out, limits[l]))
                continue;
            size_t len = strnlen(out, sizeof out);
            if (len == 0 || len >= limits[l] || !strstr(header, out))
                abort();
            for (size_t i = 0; i < len; i++) {
                char c = out[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-'))
                    abort();
            }
        }
    }
    free(header);
    return 0;
}
