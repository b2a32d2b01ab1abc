/* bot_list_file is read from the operator's disk: bot_list_parse must never crash on it, and every
 * pattern it accepts must match a user agent that contains it. Input: the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bot_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    struct bot_list *l = bot_list_parse((const char *)data, size, err, sizeof err);
    if (!l)
        return 0;
    /* The first line that is a pattern, as a user agent, must match. */
    const char *p = (const char *)data;
    const char *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        const char *q = p;
        while (n > 0 && (*q == ' ' || *q == '\t')) {
            q++;
            n--;
        }
        if (n >= 3 && q[0] != '#') {
            char ua[300];
            memcpy(ua, q, n);
            ua[n] = '\0';
            if (!bot_list_match(l, ua))
                abort();
            break;
        }
        p = nl ? nl + 1 : end;
    }
    bot_list_free(l);
    return 0;
}
