/* Fuzz target: the stripe signature header and check (src/core/storehook_sig.c). */
#include "storehook_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_sig(STOREHOOK_STRIPE, data, size);
}
