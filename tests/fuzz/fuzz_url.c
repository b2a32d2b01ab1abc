/* Destination URLs come from merchants and partners: url_parse must never crash, and what it
 * accepts must keep its host when a click id is appended. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct url_parts u;
    if (url_parse(s, &u)) {
        const char *allowed[] = {"shop.example", "*.shop.example"};
        (void)url_host_allowed(u.host, allowed, 2);
        char out[4200];
        if (url_append_param(s, "pd_click", "01M8HRFEDHYQH4W081S7TS3RFH", out, sizeof out) > 0) {
            struct url_parts again;
            if (!url_parse(out, &again) || strcmp(again.host, u.host) != 0)
                abort(); /* appending a parameter must never change where the visitor goes */
        }
    }
    (void)url_valid_host_pattern(s);
    free(s);
    return 0;
}
