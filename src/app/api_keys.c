/* Creating and revoking API keys (the api_keys table): a key is shown once, only its hash is kept. */
#include "app/api_keys.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/ids.h"
#include "util/banned.h"

int api_key_create(struct store *s, const char *kind, const char *partner_id, int64_t now,
                   char *key, size_t keylen, char *key_id, size_t idlen, struct pd_err *err)
{
    static const struct {
        const char *kind, *prefix;
    } prefixes[] = {{"secret", "pd_sk_"}, {"publishable", "pd_pk_"}, {"partner", "pd_pt_"}};
    const char *prefix = NULL;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strcmp(prefixes[i].kind, kind) == 0)
            prefix = prefixes[i].prefix;
    if (!prefix)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "unknown key kind %s", kind);
    char token[33], hex[65];
    unsigned char digest[32];
    id_random_token(token, 32);
    token[32] = '\0';
    snprintf(key, keylen, "%s%s", prefix, token);
    crypto_generichash(digest, sizeof digest, (const unsigned char *)key, strlen(key), NULL, 0);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    char hint[16]; /* the prefix and the last 4 characters: enough to tell keys apart */
    snprintf(hint, sizeof hint, "%s...%s", prefix, token + 28);
    id_new(key_id, idlen, "key_", (uint64_t)now);
    struct db_val v[6] = {db_text(key_id), db_text(kind),  db_text(hex),
                          db_text(partner_id), db_int(now), db_text(hint)};
    return store_exec(s,
                      "INSERT INTO api_keys (id, kind, key_hash, partner_id, created_at, hint)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                      v, 6, NULL, err);
}

int api_key_revoke(struct store *s, const char *key_id, const char *partner_id, int64_t now,
                   struct pd_err *err)
{
    struct db_val v[3] = {db_text(key_id), db_text(partner_id), db_int(now)};
    return store_exec(s, "UPDATE api_keys SET revoked_at = ?3 WHERE id = ?1 AND partner_id = ?2", v,
                      3, NULL, err);
}

int api_key_set_name(struct store *s, const char *key_id, const char *name, struct pd_err *err)
{
    struct db_val v[2] = {db_text(key_id), db_text(name)};
    return store_exec(s, "UPDATE api_keys SET name = ?2 WHERE id = ?1", v, 2, NULL, err);
}

int api_merchant_key_revoke(struct store *s, const char *key_id, int64_t now, int64_t *changed,
                            struct pd_err *err)
{
    struct db_val v[2] = {db_text(key_id), db_int(now)};
    return store_exec(s,
                      "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND partner_id IS NULL"
                      " AND kind IN ('secret', 'publishable') AND revoked_at IS NULL",
                      v, 2, changed, err);
}
