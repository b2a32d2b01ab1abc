/* Store webhook signatures: HMAC-SHA256 of the raw body (with the signed timestamp for Stripe and
 * Paddle), compared in constant time with sodium_memcmp. The secret is used as the platforms'
 * libraries use it: its bytes, whatever its prefix (whsec_…, pdl_ntfset_…). */
#include <sodium.h>
#include <string.h>

#include "core/storehook.h"

#include "util/banned.h"

#define MAC_LEN crypto_auth_hmacsha256_BYTES
/* Signed timestamps longer than this are malformed: 18 digits keep the value inside int64. */
#define MAX_TS_DIGITS 18

/* Indexed by enum storehook_platform. */
static const char *const platform_names[] = {"stripe", "shopify", "woocommerce", "paddle"};
static const char *const sig_headers[] = {"Stripe-Signature", "X-Shopify-Hmac-Sha256",
                                          "X-WC-Webhook-Signature", "Paddle-Signature"};
#define NPLATFORMS (sizeof platform_names / sizeof platform_names[0])

bool storehook_platform_parse(const char *name, enum storehook_platform *out)
{
    for (size_t i = 0; name && i < NPLATFORMS; i++)
        if (strcmp(name, platform_names[i]) == 0) {
            *out = (enum storehook_platform)i;
            return true;
        }
    return false;
}

const char *storehook_platform_name(enum storehook_platform p)
{
    return (size_t)p < NPLATFORMS ? platform_names[p] : "unknown";
}

const char *storehook_sig_header(enum storehook_platform p)
{
    return (size_t)p < NPLATFORMS ? sig_headers[p] : "";
}

const char *storehook_sig_reason(enum storehook_sig r)
{
    switch (r) {
    case STOREHOOK_SIG_OK: return "signature valid";
    case STOREHOOK_SIG_PING: return "unsigned creation ping";
    case STOREHOOK_SIG_NO_SECRET: return "no signing secret is set for this connection";
    case STOREHOOK_SIG_MISSING: return "signature header missing";
    case STOREHOOK_SIG_MALFORMED: return "signature header malformed";
    case STOREHOOK_SIG_MISMATCH: return "signature does not match the body and secret";
    case STOREHOOK_SIG_STALE: return "signature timestamp older than the tolerance";
    case STOREHOOK_SIG_FUTURE: return "signature timestamp too far in the future";
    }
    return "unknown";
}

/* mac = HMAC-SHA256(secret, prefix sep body); prefix may be empty (sep is then left out). */
static void hmac(const char *secret, const char *prefix, size_t prefix_len, char sep,
                 const uint8_t *body, size_t len, uint8_t mac[MAC_LEN])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    if (prefix_len > 0) {
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)prefix, prefix_len);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)&sep, 1);
    }
    if (len > 0)
        crypto_auth_hmacsha256_update(&st, body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
}

/* true when [s, s+n) is 64 hex digits equal to mac; the comparison itself is constant time. */
static bool hex_matches(const char *s, size_t n, const uint8_t mac[MAC_LEN])
{
    uint8_t got[MAC_LEN];
    size_t got_len = 0;
    if (n != 2 * MAC_LEN)
        return false;
    if (sodium_hex2bin(got, sizeof got, s, n, NULL, &got_len, NULL) != 0 || got_len != MAC_LEN)
        return false;
    return sodium_memcmp(got, mac, MAC_LEN) == 0;
}

/* Parses n digits into *out; false for none, non-digits or more than MAX_TS_DIGITS. */
static bool parse_ts(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > MAX_TS_DIGITS)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static enum storehook_sig check_window(int64_t ts, int64_t now)
{
    if (now - ts > STOREHOOK_TOLERANCE_S)
        return STOREHOOK_SIG_STALE;
    if (ts - now > STOREHOOK_TOLERANCE_S)
        return STOREHOOK_SIG_FUTURE;
    return STOREHOOK_SIG_OK;
}

/* The timestamped schemes: Stripe "t=…,v1=…[,v1=…]" (payload t.body) and Paddle "ts=…;h1=…"
 * (payload ts:body). Any signature of the scheme may match (several appear while a secret is
 * rolled); the window is checked only for an authentic header, so that a forger learns nothing. */
struct ts_scheme {
    char list_sep;       /* between key=value pairs */
    const char *ts_key;  /* "t" / "ts" */
    const char *sig_key; /* "v1" / "h1" */
    char payload_sep;    /* between timestamp and body */
};

static bool key_is(const char *s, size_t n, const char *key)
{
    return n == strlen(key) && memcmp(s, key, n) == 0;
}

static enum storehook_sig verify_timestamped(const struct ts_scheme *sc, const char *header,
                                             const uint8_t *body, size_t len, const char *secret,
                                             int64_t now)
{
    if (!header || !*header)
        return STOREHOOK_SIG_MISSING;
    if (!secret || !*secret)
        return STOREHOOK_SIG_NO_SECRET;
    const char *ts_str = NULL;
    size_t ts_len = 0, nsig = 0;
    int64_t ts = 0;
    /* First pass: the timestamp (the last one wins, as in the platforms' libraries). */
    for (const char *p = header; *p;) {
        const char *end = strchr(p, sc->list_sep);
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (eq && key_is(p, (size_t)(eq - p), sc->ts_key)) {
            ts_str = eq + 1;
            ts_len = n - (size_t)(eq + 1 - p);
        } else if (eq && key_is(p, (size_t)(eq - p), sc->sig_key)) {
            nsig++;
        }
        p = end ? end + 1 : p + n;
    }
    if (!ts_str || nsig == 0 || !parse_ts(ts_str, ts_len, &ts))
        return STOREHOOK_SIG_MALFORMED;
    uint8_t mac[MAC_LEN];
    hmac(secret, ts_str, ts_len, sc->payload_sep, body, len, mac);
    bool match = false;
    for (const char *p = header; *p;) {
        const char *end = strchr(p, sc->list_sep);
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (eq && key_is(p, (size_t)(eq - p), sc->sig_key) &&
            hex_matches(eq + 1, n - (size_t)(eq + 1 - p), mac))
            match = true;
        p = end ? end + 1 : p + n;
    }
    sodium_memzero(mac, sizeof mac);
    return match ? check_window(ts, now) : STOREHOOK_SIG_MISMATCH;
}

enum storehook_sig storehook_verify_stripe(const char *header, const uint8_t *body, size_t len,
                                           const char *secret, int64_t now)
{
    static const struct ts_scheme stripe = {',', "t", "v1", '.'};
    return verify_timestamped(&stripe, header, body, len, secret, now);
}

enum storehook_sig storehook_verify_paddle(const char *header, const uint8_t *body, size_t len,
                                           const char *secret, int64_t now)
{
    static const struct ts_scheme paddle = {';', "ts", "h1", ':'};
    return verify_timestamped(&paddle, header, body, len, secret, now);
}

/* Shopify and WooCommerce: the header is the standard base64 (with padding) of the 32-byte MAC. */
static enum storehook_sig verify_base64(const char *header, const uint8_t *body, size_t len,
                                        const char *secret)
{
    if (!header || !*header)
        return STOREHOOK_SIG_MISSING;
    if (!secret || !*secret)
        return STOREHOOK_SIG_NO_SECRET;
    uint8_t got[MAC_LEN + 1];
    size_t got_len = 0;
    const char *end = NULL;
    if (sodium_base642bin(got, sizeof got, header, strlen(header), NULL, &got_len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        *end != '\0' || got_len != MAC_LEN)
        return STOREHOOK_SIG_MALFORMED;
    uint8_t mac[MAC_LEN];
    hmac(secret, "", 0, 0, body, len, mac);
    bool match = sodium_memcmp(got, mac, MAC_LEN) == 0;
    sodium_memzero(mac, sizeof mac);
    return match ? STOREHOOK_SIG_OK : STOREHOOK_SIG_MISMATCH;
}

enum storehook_sig storehook_verify_shopify(const char *header, const uint8_t *body, size_t len,
                                            const char *secret)
{
    return verify_base64(header, body, len, secret);
}

bool storehook_woocommerce_is_ping(const uint8_t *body, size_t len)
{
    static const char prefix[] = "webhook_id=";
    size_t plen = sizeof prefix - 1;
    if (len <= plen || len > plen + 20 || memcmp(body, prefix, plen) != 0)
        return false;
    for (size_t i = plen; i < len; i++)
        if (body[i] < '0' || body[i] > '9')
            return false;
    return true;
}

enum storehook_sig storehook_verify_woocommerce(const char *header, const uint8_t *body,
                                                size_t len, const char *secret)
{
    if ((!header || !*header) && storehook_woocommerce_is_ping(body, len))
        return STOREHOOK_SIG_PING;
    return verify_base64(header, body, len, secret);
}

enum storehook_sig storehook_verify(enum storehook_platform p, const char *header,
                                    const uint8_t *body, size_t len, const char *secret,
                                    int64_t now)
{
    switch (p) {
    case STOREHOOK_STRIPE: return storehook_verify_stripe(header, body, len, secret, now);
    case STOREHOOK_SHOPIFY: return storehook_verify_shopify(header, body, len, secret);
    case STOREHOOK_WOOCOMMERCE: return storehook_verify_woocommerce(header, body, len, secret);
    case STOREHOOK_PADDLE: return storehook_verify_paddle(header, body, len, secret, now);
    }
    return STOREHOOK_SIG_MALFORMED;
}
