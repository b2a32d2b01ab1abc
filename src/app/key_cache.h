/* The API keys one worker thread has recently found, by the BLAKE2b digest of the key: what
 * api_authenticate would otherwise read from api_keys on every request (a read transaction on the
 * worker's connection). The link cache's rules (src/app/link_cache.h):
 *   - an entry counts only under the writer generation read before the database read that filled
 *     it; the writer bumps the generation after a batch that changed api_keys, before answering
 *     it, so a key revoked through this node is refused from then on;
 *   - and for KEY_CACHE_TTL_MS: a change made by another process or node is seen within it.
 * Only secret and publishable keys found (and not revoked) are cached; a partner key is checked
 * against api_keys and its partner's status on every request, so a revocation or a suspension holds
 * at once on every node. One cache per worker thread, so no lock. */
#ifndef PD_APP_KEY_CACHE_H
#define PD_APP_KEY_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#define KEY_CACHE_SLOTS 256
#define KEY_CACHE_TTL_MS 1000

struct key_cache_entry {
    uint8_t digest[32];
    int kind; /* enum auth_kind (src/auth/auth.h) */
    char key_id[48];
    char partner_id[48];
    uint64_t generation;
    int64_t expires_ms;
    bool used;
};

struct key_cache {
    struct key_cache_entry slot[KEY_CACHE_SLOTS];
};

/* The entry for digest, when it is there, of this generation and not expired. */
const struct key_cache_entry *key_cache_get(const struct key_cache *c, const uint8_t digest[32],
                                            uint64_t generation, int64_t now_ms);
/* Files e (its digest, kind, ids and generation set by the caller) until now_ms + the TTL,
 * replacing whatever shared its slot. */
void key_cache_put(struct key_cache *c, const struct key_cache_entry *e, int64_t now_ms);

#endif
