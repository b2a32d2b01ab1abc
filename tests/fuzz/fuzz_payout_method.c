/* Payout methods come from partners and payout debtors from merchants: the validators must never
 * crash, and what they accept must validate again unchanged. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/payout_method.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in = json_loadb((const char *)data, size, 0, NULL);
    if (!in)
        return 0;
    struct pd_err err = {0};
    json_t *canon = payout_method_canonical(in, &err);
    if (canon) {
        json_t *again = payout_method_canonical(canon, &err);
        if (!again || !json_equal(again, canon))
            abort();
        json_decref(again);
        json_decref(canon);
    }
    canon = payout_debtor_canonical(in, &err);
    if (canon) {
        json_t *again = payout_debtor_canonical(canon, &err);
        if (!again || !json_equal(again, canon))
            abort();
        json_decref(again);
        json_decref(canon);
    }
    json_decref(in);
    return 0;
}
