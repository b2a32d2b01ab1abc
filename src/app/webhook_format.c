#include "app/webhook_format.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "http/query.h"
#include "util/banned.h"

static const char *const event_types[] = {
    "conversion.created", "commission.created", "commission.approved", "commission.reversed",
    "payout.created",     "payout.paid",        "click.created",
};

bool webhook_event_known(const char *type)
{
    for (size_t i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
        if (strcmp(type, event_types[i]) == 0)
            return true;
    return false;
}

int webhook_signature(const char *secret, int64_t unix_s, const char *body, size_t len, char *out,
                      size_t outlen)
{
    char t[24];
    int tl = snprintf(t, sizeof t, "%lld", (long long)unix_s);
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, (unsigned long long)tl);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[2 * sizeof mac + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    int n = snprintf(out, outlen, "t=%s,v1=%s", t, hex);
    return n < 0 || (size_t)n >= outlen ? -1 : n;
}

int64_t webhook_backoff_ms(int64_t base_ms, int attempts)
{
    if (base_ms <= 0)
        base_ms = 30000;
    if (attempts < 1)
        attempts = 1;
    int64_t d = base_ms;
    for (int i = 1; i < attempts && d < WEBHOOK_MAX_DELAY_MS; i++)
        d *= 2;
    return d < WEBHOOK_MAX_DELAY_MS ? d : WEBHOOK_MAX_DELAY_MS;
}

/* The value of the placeholder starting at p ('{'), with its length in *len; NULL when p does
 * not start a known placeholder. *found tells a known placeholder with a NULL value apart. */
static const char *placeholder(const char *p, const struct postback_vars *v, size_t *len,
                               bool *found)
{
    static const char *const names[] = {"{click_id}", "{order_id}", "{commission}", "{sub1}",
                                        "{sub2}",     "{sub3}",     "{sub4}",       "{sub5}"};
    const char *values[] = {v->click_id, v->order_id, v->commission, v->sub[0],
                            v->sub[1],   v->sub[2],   v->sub[3],     v->sub[4]};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(p, names[i], n) == 0) {
            *len = n;
            *found = true;
            return values[i];
        }
    }
    *found = false;
    return NULL;
}

char *postback_expand(struct arena *a, const char *tmpl, const struct postback_vars *v,
                      size_t max_len)
{
    /* Two passes: measure, then write. */
    size_t need = 0;
    for (const char *p = tmpl; *p;) {
        size_t n = 0;
        bool found = false;
        const char *val = *p == '{' ? placeholder(p, v, &n, &found) : NULL;
        if (found) {
            need += strlen(http_percent_encode(a, val));
            p += n;
        } else {
            need++;
            p++;
        }
        if (need > max_len)
            return NULL;
    }
    char *out = arena_alloc(a, need + 1), *o = out;
    for (const char *p = tmpl; *p;) {
        size_t n = 0;
        bool found = false;
        const char *val = *p == '{' ? placeholder(p, v, &n, &found) : NULL;
        if (found) {
            const char *enc = http_percent_encode(a, val);
            size_t el = strlen(enc);
            memcpy(o, enc, el);
            o += el;
            p += n;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static bool ipv4_private(const unsigned char *a)
{
    return a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 169 && a[1] == 254) ||
           (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
           (a[0] == 100 && (a[1] & 0xc0) == 64) || a[0] >= 224;
}

bool webhook_address_private(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ipv4_private((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa->sa_family != AF_INET6)
        return true;
    const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char zero[15] = {0};
    if (memcmp(a, v4mapped, 12) == 0)
        return ipv4_private(a + 12);
    return (memcmp(a, zero, 15) == 0 && a[15] <= 1) /* :: and ::1 */ ||
           (a[0] & 0xfe) == 0xfc /* fc00::/7 */ || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
           a[0] == 0xff;
}
