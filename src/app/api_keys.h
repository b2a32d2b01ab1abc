/* Creating and revoking API keys (the api_keys table), shared by the API and the command-line
 * tools. */
#ifndef PD_APP_API_KEYS_H
#define PD_APP_API_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* Creates an API key of kind "secret", "publishable" or "partner"; writes the key (shown once)
 * into key (≥ 64 bytes). Only its hash is stored. */
int api_key_create(struct store *s, const char *kind, const char *partner_id, int64_t now,
                   char *key, size_t keylen, char *key_id, size_t idlen, struct pd_err *err);
/* Revokes a partner's key from now on (refused at once on every node: partner keys are never
 * cached). */
int api_key_revoke(struct store *s, const char *key_id, const char *partner_id, int64_t now,
                   struct pd_err *err);

/* A merchant key's label (NULL: none). */
int api_key_set_name(struct store *s, const char *key_id, const char *name, struct pd_err *err);
/* Revokes a merchant key (secret or publishable) from now on; *changed: 1 when it was active.
 * Other nodes may still hold it in their key caches for KEY_CACHE_TTL_MS (src/app/key_cache.h). */
int api_merchant_key_revoke(struct store *s, const char *key_id, int64_t now, int64_t *changed,
                            struct pd_err *err);

#endif
