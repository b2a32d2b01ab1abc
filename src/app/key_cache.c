/* A worker thread's cache of API keys (app/key_cache.h has the rules that keep it correct): a
 * direct-mapped table, entries compared in constant time, valid only under the writer generation
 * they were read at and within KEY_CACHE_TTL_MS. */
#include "app/key_cache.h"

#include <sodium.h>

#include "util/banned.h"

/* The digest of a random key: its first bytes are as good an index as any. */
static unsigned slot_of(const uint8_t digest[32])
{
    return ((unsigned)digest[0] | (unsigned)digest[1] << 8) % KEY_CACHE_SLOTS;
}

const struct key_cache_entry *key_cache_get(const struct key_cache *c, const uint8_t digest[32],
                                            uint64_t generation, int64_t now_ms)
{
    const struct key_cache_entry *e = &c->slot[slot_of(digest)];
    if (!e->used || e->generation != generation || now_ms >= e->expires_ms ||
        sodium_memcmp(e->digest, digest, sizeof e->digest) != 0)
        return NULL;
    return e;
}

void key_cache_put(struct key_cache *c, const struct key_cache_entry *e, int64_t now_ms)
{
    struct key_cache_entry *slot = &c->slot[slot_of(e->digest)];
    *slot = *e;
    slot->used = true;
    slot->expires_ms = now_ms + KEY_CACHE_TTL_MS;
}
