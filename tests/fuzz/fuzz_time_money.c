/* Fuzz target: the RFC 3339 parser (src/util/timefmt.c) and the decimal money parser
 * (src/core/money.c) on the input as a NUL-terminated string. What parses must format and parse
 * back to the same value. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "util/timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    int64_t ms;
    if (time_parse_rfc3339(s, &ms)) {
        char buf[48];
        int64_t back;
        time_format_rfc3339(ms, buf, sizeof buf);
        if (!time_parse_rfc3339(buf, &back) || back != ms)
            abort();
    }

    static const int exponents[] = {0, 2, 3, 4};
    for (size_t i = 0; i < sizeof exponents / sizeof exponents[0]; i++) {
        for (int neg = 0; neg <= 1; neg++) {
            int64_t amount;
            if (!money_parse_decimal(s, exponents[i], neg, &amount))
                continue;
            if (!neg && amount < 0)
                abort();
            char buf[32];
            int64_t back;
            if (money_format(amount, exponents[i], buf, sizeof buf) < 0 ||
                !money_parse_decimal(buf, exponents[i], true, &back) || back != amount)
                abort();
        }
    }
    free(s);
    return 0;
}
