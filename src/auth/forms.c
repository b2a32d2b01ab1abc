/* Public forms' anti-forgery tokens (auth.h): a form carries the time it was shown and a digest of
 * that time and its purpose keyed with this process's secret, so a post must come from a page this
 * server rendered recently; the Origin check refuses what a browser marks as cross-site. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_internal.h"
#include "util/banned.h"

static void form_mac(const struct auth_state *as, const char *purpose, int64_t issued_s,
                     char hex[33])
{
    char msg[160];
    int n = snprintf(msg, sizeof msg, "%s|%lld", purpose, (long long)issued_s);
    unsigned char digest[16];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)msg,
                       n > 0 && (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1, as->form_key,
                       sizeof as->form_key);
    sodium_bin2hex(hex, 33, digest, sizeof digest);
}

void auth_form_token(const struct auth_state *as, const char *purpose, int64_t now,
                     char out[AUTH_FORM_TOKEN_LEN + 1])
{
    char mac[33];
    int64_t issued = now / 1000;
    form_mac(as, purpose, issued, mac);
    snprintf(out, AUTH_FORM_TOKEN_LEN + 1, "%lld.%s", (long long)issued, mac);
}

bool auth_form_token_ok(const struct auth_state *as, const char *purpose, const char *token,
                        int64_t now)
{
    int64_t issued;
    char sent[33], want[33];
    if (!auth_form_token_parse(token, &issued, sent))
        return false;
    /* A token from the future (beyond a second's rounding) or older than its life is refused. */
    if (issued * 1000 > now + 1000 || now - issued * 1000 > AUTH_FORM_TTL_MS)
        return false;
    form_mac(as, purpose, issued, want);
    return sodium_memcmp(sent, want, 32) == 0;
}
