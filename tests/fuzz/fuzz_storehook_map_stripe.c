/* Fuzz target: the stripe payload mapper (src/core/storehook_stripe.c). */
#include "storehook_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_map(STOREHOOK_STRIPE, false, data, size);
}
