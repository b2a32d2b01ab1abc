/* Fuzz target: the program rules JSON (src/core/rules_json.c). Any input that parses must also
 * survive the canonical round trip unchanged. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/rules_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!root)
        return 0;
    struct arena arena;
    arena_init(&arena, 4096);
    struct ruleset rs;
    struct pd_err err;
    if (rules_from_json(root, &arena, &rs, &err) == 0) {
        json_t *canonical = rules_to_json(&rs);
        if (!canonical)
            abort();
        struct ruleset again;
        if (rules_from_json(canonical, &arena, &again, &err) != 0)
            abort(); /* what we emit must be accepted */
        json_t *twice = rules_to_json(&again);
        if (!twice || !json_equal(canonical, twice))
            abort(); /* and be a fixed point */
        json_decref(twice);
        json_decref(canonical);
    }
    arena_free(&arena);
    json_decref(root);
    return 0;
}
