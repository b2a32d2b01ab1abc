/* Journal records are read back from disk after a crash (src/app/click_journal.c): click_decode
 * must never crash on whatever a torn or damaged file holds, and what it accepts must encode back
 * to exactly the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/click_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *strings = malloc(size + 1);
    uint8_t *again = malloc(size + 1);
    if (!strings || !again)
        abort();
    struct click c;
    if (click_decode(data, size, &c, strings, size) == 0) {
        size_t n = click_encode(&c, again, size + 1);
        if (n != size || memcmp(again, data, size) != 0)
            abort();
    }
    free(again);
    free(strings);
    return 0;
}
