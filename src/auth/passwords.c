/* Passwords (the policy, argon2id hashing) and the tokens whose digests are stored: sessions'
 * and invites'. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "core/ids.h"
#include "core/password.h"
#include "util/banned.h"

/* ---- passwords ---------------------------------------------------------------------------- */

int auth_password_check_policy(const char *password, const char *email, struct pd_err *err)
{
    size_t len = strlen(password);
    if (len < AUTH_PASSWORD_MIN)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "password",
                          "the password must be at least %d characters", AUTH_PASSWORD_MIN);
    if (len > AUTH_PASSWORD_MAX)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "password",
                          "the password must be at most %d characters", AUTH_PASSWORD_MAX);
    if (email && strcasecmp(password, email) == 0)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "password",
                          "the password must not be the email address");
    if (password_trivial(password, email))
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "password",
                          "this password is too easy to guess: avoid repeated or consecutive "
                          "characters and common words; a few unrelated words work well");
    return 0;
}

int auth_password_hash(const char *password, char out[128], struct pd_err *err)
{
    _Static_assert(crypto_pwhash_STRBYTES <= AUTH_HASH_MAX, "hash buffer");
    if (crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "out of memory hashing the password");
    return 0;
}

void auth_invite_new(int64_t now_ms, char *token, size_t tokenlen, char hash_hex[65])
{
    char random[AUTH_INVITE_RANDOM_LEN + 1];
    id_random_token(random, AUTH_INVITE_RANDOM_LEN);
    random[AUTH_INVITE_RANDOM_LEN] = '\0';
    snprintf(token, tokenlen, "%lld-%s", (long long)((now_ms + AUTH_INVITE_TTL_MS) / 1000), random);
    auth_token_hash(token, hash_hex);
    sodium_memzero(random, sizeof random);
}

void auth_token_hash(const char *token, char hex[65])
{
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hex, 65, digest, sizeof digest);
}
