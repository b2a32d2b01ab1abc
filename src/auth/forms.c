/* Public forms' anti-forgery tokens (auth.h): a form carries the time it was shown and a digest of
 * that time, its purpose and the browser's form cookie keyed with this process's secret, so a post
 * must come from a page this server rendered recently for this browser. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_internal.h"
#include "util/banned.h"

static void form_mac(const struct auth_state *as, const char *purpose, const char *binding,
                     int64_t issued_s, char hex[33])
{
    char msg[200];
    int n = snprintf(msg, sizeof msg, "%s|%lld|%.64s", purpose, (long long)issued_s, binding);
    unsigned char digest[16];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)msg,
                       n > 0 && (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1, as->form_key,
                       sizeof as->form_key);
    sodium_bin2hex(hex, 33, digest, sizeof digest);
}

void auth_form_token(const struct auth_state *as, const char *purpose, const char *binding,
                     int64_t now, char out[AUTH_FORM_TOKEN_LEN + 1])
{
    char mac[33];
    int64_t issued = now / 1000;
    form_mac(as, purpose, binding, issued, mac);
    snprintf(out, AUTH_FORM_TOKEN_LEN + 1, "%lld.%s", (long long)issued, mac);
}

bool auth_form_token_ok(const struct auth_state *as, const char *purpose, const char *binding,
                        const char *token, int64_t now)
{
    int64_t issued;
    char sent[33], want[33];
    if (!binding || strlen(binding) != AUTH_FORM_BINDING_LEN ||
        !auth_form_token_parse(token, &issued, sent))
        return false;
    /* A token from the future (beyond a second's rounding) or older than its life is refused. */
    if (issued * 1000 > now + 1000 || now - issued * 1000 > AUTH_FORM_TTL_MS)
        return false;
    form_mac(as, purpose, binding, issued, want);
    return sodium_memcmp(sent, want, 32) == 0;
}
