/* PayPal's answers are outside input: the token, created-batch, error and batch-details parsers,
 * the chunked-body decoder and the base URL check must never crash, and what they return stays
 * within its bounds (a batch id a URL path can carry, items with a sender_item_id). The first
 * byte chooses the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/paypal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_batch_id(const char *id)
{
    for (const char *p = id; *p; p++)
        if (*p == '/' || *p == '?' || *p == '#' || *p == '.' || (unsigned char)*p <= ' ')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t which = data[0] % 5;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    struct pd_err err = {0};
    char out[64];
    switch (which) {
    case 0: {
        char token[256];
        int64_t exp = 0;
        if (paypal_parse_token(body, len, token, sizeof token, &exp, &err) == 0 &&
            (exp < 0 || strpbrk(token, "\r\n") || strlen(token) >= sizeof token))
            abort();
        break;
    }
    case 1:
        if (paypal_parse_created(body, len, out, sizeof out, &err) == 0)
            check_batch_id(out);
        break;
    case 2: {
        struct paypal_error pe;
        paypal_parse_error(body, len, &pe);
        check_batch_id(pe.payout_batch_id);
        if (pe.payout_batch_id[0] && !pe.duplicate)
            abort();
        break;
    }
    case 3: {
        struct arena a;
        arena_init(&a, 4096);
        struct paypal_batch_page pg;
        if (paypal_parse_batch(body, len, &a, &pg, &err) == 0) {
            for (size_t i = 0; i < pg.nitems; i++) {
                char reason[201];
                if (!pg.items[i].sender_item_id[0])
                    abort();
                paypal_item_outcome(&pg.items[i], pg.batch_status, 0, 1, reason, sizeof reason);
                if (strlen(reason) >= sizeof reason)
                    abort();
            }
        }
        arena_free(&a);
        break;
    }
    default: {
        char *copy = malloc(len + 1);
        if (!copy)
            abort();
        memcpy(copy, body, len);
        copy[len] = '\0';
        size_t n = len;
        if (paypal_dechunk(copy, &n) == 0 && n > len)
            abort();
        memcpy(copy, body, len);
        copy[len] = '\0';
        paypal_base_url_refusal(copy);
        free(copy);
        break;
    }
    }
    return 0;
}
