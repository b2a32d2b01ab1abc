/* Fuzz target: the shopify payload mapper (src/core/storehook_shopify.c). */
#include "storehook_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_map(STOREHOOK_SHOPIFY, true, data, size);
}
