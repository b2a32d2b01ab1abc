/* Fuzzes http_client_parse_head (src/http/client.c), the reading of an answer's head sent by any
 * server a webhook or postback URL names: it must never read past the buffer, and what it accepts
 * must be a status in range and a body offset just after the blank line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* the client's buffer is always terminated at its length */
    struct http_client_head h;
    if (http_client_parse_head(s, size, &h) == 0) {
        if (h.status < 100 || h.status > 599)
            abort();
        if (h.body_off && (h.body_off < 4 || h.body_off > size ||
                           memcmp(s + h.body_off - 4, "\r\n\r\n", 4) != 0))
            abort();
        if (h.content_length < -1)
            abort();
    }
    free(s);
    return 0;
}
