/* Fuzzes src/api/postback.c: the postback query mapping (aliases, duplicates, limits), the amount
 * trimming in front of money_parse_decimal, and the status classification. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/postback.h"
#include "core/money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    struct arena a;
    arena_init(&a, 512);
    char *q = arena_strndup(&a, (const char *)data, size);
    struct postback_params pp;
    struct pd_err err = {0};
    if (postback_params_parse(&a, q, &pp, &err) == 0) {
        const char *const fields[] = {pp.token,  pp.click_id, pp.order_id,
                                      pp.amount, pp.currency, pp.status};
        const size_t limits[] = {64, 64, 255, 32, 3, 32};
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (fields[i] && (fields[i][0] == '\0' || strlen(fields[i]) > limits[i]))
                abort();
        (void)postback_status_kind(pp.status);
    } else if (err.kind == PD_ERR_NONE) {
        abort();
    }
    /* trimming never changes what an amount means */
    const char *amount = pp.amount ? pp.amount : q;
    for (int exp = 0; exp <= 3; exp++) {
        char *t = postback_amount_trim(&a, amount, exp);
        if (strlen(t) > strlen(amount))
            abort();
        int64_t v1, v2;
        bool ok1 = money_parse_decimal(amount, exp, false, &v1);
        bool ok2 = money_parse_decimal(t, exp, false, &v2);
        if (ok1 && (!ok2 || v1 != v2))
            abort();
    }
    arena_free(&a);
    return 0;
}
