/* Fuzz target: the paddle payload mapper (src/core/storehook_paddle.c). */
#include "storehook_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_map(STOREHOOK_PADDLE, false, data, size);
}
