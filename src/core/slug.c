/* Program slugs (slug.h). */
#include "core/slug.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

static bool slug_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool slug_valid(const char *s)
{
    if (!s)
        return false;
    size_t len = strlen(s);
    if (len < 2 || len > SLUG_MAX || s[0] == '-' || s[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '-' && s[i + 1] == '-')
            return false;
        if (s[i] != '-' && !slug_char(s[i]))
            return false;
    }
    return true;
}

void slug_from_name(const char *name, char *out, size_t outlen)
{
    size_t max = outlen - 1 < SLUG_MAX ? outlen - 1 : SLUG_MAX;
    size_t n = 0;
    bool dash = false;
    for (const char *p = name ? name : ""; *p && n < max; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
        if (slug_char(c)) {
            if (dash && n > 0) {
                if (n + 2 > max)
                    break; /* no room for a whole next word: stop at the boundary */
                out[n++] = '-';
            }
            dash = false;
            out[n++] = c;
        } else {
            dash = true;
        }
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    if (n < 2)
        snprintf(out, outlen, "program");
}
