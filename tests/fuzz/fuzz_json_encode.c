/* Every API answer is encoded by json_encode, and answers echo the client's own JSON (metadata,
 * items): for any document jansson parses, json_encode must write exactly what json_dumps writes.
 * Input: a JSON text. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v)
        return 0;
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t len = 0;
    char *got = pd_json_encode(v, &len);
    if (!want || !got || len != strlen(want) || memcmp(got, want, len) != 0)
        abort();
    free(want);
    free(got);
    json_decref(v);
    return 0;
}
