/* Fuzz target: the woocommerce payload mapper (src/core/storehook_woocommerce.c). */
#include "storehook_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_map(STOREHOOK_WOOCOMMERCE, true, data, size);
}
