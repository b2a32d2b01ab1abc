/* The pure parts of outgoing webhooks and postbacks (app/webhook_format.h): event names, the
 * signature, the retry schedule, the postback template and the address policy that keeps
 * deliveries off private networks. */
#include "app/webhook_format.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* Loopback, private, shared, link-local, unspecified ("this network"), documentation,
 * benchmarking, IETF-reserved, multicast and broadcast IPv4 ranges: none is a public endpoint. */
static bool ipv4_private(const unsigned char *a)
{
    return a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224 /* 224/4, 240/4, broadcast */ ||
           (a[0] == 100 && (a[1] & 0xc0) == 64) || (a[0] == 169 && a[1] == 254) ||
           (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
           (a[0] == 192 && a[1] == 0 && (a[2] == 0 || a[2] == 2)) ||
           (a[0] == 192 && a[1] == 88 && a[2] == 99) /* 6to4 relays */ ||
           (a[0] == 198 && (a[1] & 0xfe) == 18) || (a[0] == 198 && a[1] == 51 && a[2] == 100) ||
           (a[0] == 203 && a[1] == 0 && a[2] == 113);
}

static bool prefix_is(const unsigned char *a, const unsigned char *prefix, size_t len)
{
    return memcmp(a, prefix, len) == 0;
}

/* The IPv4 address an IPv6 address carries in its last 32 bits, for the forms that route to it:
 * IPv4-compatible (::a.b.c.d), IPv4-mapped (::ffff:a.b.c.d), IPv4-translated
 * (::ffff:0:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d). NULL for any other address. */
static const unsigned char *ipv6_tail_ipv4(const unsigned char *a)
{
    static const unsigned char compat[12] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char translated[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (prefix_is(a, compat, 12) || prefix_is(a, mapped, 12) || prefix_is(a, translated, 12) ||
        prefix_is(a, nat64, 12))
        return a + 12;
    return NULL;
}

static bool ipv6_private(const unsigned char *a)
{
    const unsigned char *v4 = ipv6_tail_ipv4(a);
    if (v4)
        return ipv4_private(v4);
    static const unsigned char nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1}; /* 64:ff9b:1::/48 */
    if (prefix_is(a, nat64_local, 6))
        return true;
    /* Outside 2000::/3 (global unicast) is nothing public: ::/8's other addresses, 100::/64,
     * fc00::/7 (unique local), fe80::/10 (link-local), fec0::/10 (site-local), ff00::/8. */
    if ((a[0] & 0xe0) != 0x20)
        return true;
    if (a[0] == 0x20 && a[1] == 0x02) /* 2002::/16: 6to4, the IPv4 address in bits 16-47 */
        return ipv4_private(a + 2);
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) {
        /* 2001::/32: Teredo, the server's IPv4 address in bits 32-63, the client's inverted in
         * the last 32. */
        const unsigned char client[4] = {(unsigned char)~a[12], (unsigned char)~a[13],
                                         (unsigned char)~a[14], (unsigned char)~a[15]};
        return ipv4_private(a + 4) || ipv4_private(client);
    }
    /* 2001:2::/48 (benchmarking), 2001:10::/28 and 2001:20::/28 (ORCHID), 2001:db8::/32
     * (documentation). */
    if (a[0] != 0x20 || a[1] != 0x01)
        return false;
    return (a[2] == 0 && a[3] == 2 && a[4] == 0 && a[5] == 0) ||
           (a[2] == 0 && ((a[3] & 0xf0) == 0x10 || (a[3] & 0xf0) == 0x20)) ||
           (a[2] == 0x0d && a[3] == 0xb8);
}

bool webhook_address_private(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ipv4_private((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa->sa_family == AF_INET6)
        return ipv6_private(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    return true;
}

bool webhook_host_private(const char *host)
{
    size_t len = strlen(host);
    if (strcasecmp(host, "localhost") == 0 ||
        (len > 10 && strcasecmp(host + len - 10, ".localhost") == 0))
        return true; /* always loopback (RFC 6761) */
    struct in_addr v4;
    struct in6_addr v6;
    /* inet_aton reads every form a resolver takes as an address: 127.1, 0x7f.0.0.1, 2130706433. */
    if (inet_aton(host, &v4) == 1)
        return ipv4_private((const unsigned char *)&v4);
    if (inet_pton(AF_INET6, host, &v6) == 1)
        return ipv6_private(v6.s6_addr);
    return false;
}
