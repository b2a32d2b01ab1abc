/* Visitor facts for a click: bot detection, IP truncation, uniqueness fingerprint. */
#include "core/traffic.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* Case-insensitive substrings of crawlers, link previewers, monitors, headless browsers and HTTP
 * libraries. Deliberately broad: a bot click costs a merchant money when it is attributed, while a
 * human misread as a bot only loses the "unique" flag. (Known false positive: "bot" also matches
 * the Cubot phone brand; accepted: excluding it would let "cubot"-spoofing crawlers through.) */
/* clang-format off */
static const char *const bot_markers[] = {
    "bot",          "crawler",        "spider",          "slurp",          "facebookexternalhit",
    "facebookcatalog", "headlesschrome", "phantomjs",     "puppeteer",      "playwright",
    "selenium",     "webdriver",      "lighthouse",      "pingdom",        "uptimerobot",
    "curl/",        "wget/",          "python-requests", "python-urllib",  "aiohttp",
    "httpx",        "go-http-client", "java/",           "okhttp",         "libwww-perl",
    "apache-httpclient", "node-fetch", "axios/",         "postmanruntime", "insomnia",
    "scrapy",       "preview",        "mediapartners-google", "feedfetcher", "ia_archiver",
    "whatsapp",     "embedly",        "validator",       "httrack",
};
/* clang-format on */

bool traffic_is_bot(const char *user_agent)
{
    if (!user_agent || user_agent[0] == '\0')
        return true;
    /* Lower-case the agent once, then plain strstr for each (lower-case) marker, rather than
     * strcasestr per marker, which folds the case of the whole agent again each time: this runs on
     * every click. Agents too long for the buffer take the slow way. */
    char lower[1024];
    size_t n = strnlen(user_agent, sizeof lower);
    if (n == sizeof lower) {
        for (size_t i = 0; i < sizeof bot_markers / sizeof bot_markers[0]; i++)
            if (strcasestr(user_agent, bot_markers[i]))
                return true;
        return false;
    }
    for (size_t i = 0; i <= n; i++) {
        char c = user_agent[i];
        lower[i] = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
    }
    for (size_t i = 0; i < sizeof bot_markers / sizeof bot_markers[0]; i++)
        if (strstr(lower, bot_markers[i]))
            return true;
    return false;
}

static bool fail_ip(char *out, size_t outlen)
{
    if (out && outlen > 0)
        out[0] = '\0';
    return false;
}

/* Zeroes the host byte of a /24 and writes the text form; NULL when inet_ntop fails. */
static const char *format_v4_slash24(struct in_addr v4, char *text, size_t len)
{
    ((uint8_t *)&v4.s_addr)[3] = 0; /* network order: the last byte is the host in the /24 */
    return inet_ntop(AF_INET, &v4, text, (socklen_t)len);
}

bool traffic_truncate_ip(const char *ip, char *out, size_t outlen)
{
    if (!ip || !out)
        return fail_ip(out, outlen);
    /* The longest textual IPv6 address is 45 characters; anything longer is not an address. */
    if (strnlen(ip, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN)
        return fail_ip(out, outlen);

    char text[INET6_ADDRSTRLEN];
    const char *written = NULL;
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, ip, &v4) == 1) {
        written = format_v4_slash24(v4, text, sizeof text);
    } else if (inet_pton(AF_INET6, ip, &v6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&v6)) {
            /* ::ffff:a.b.c.d is an IPv4 visitor behind a dual-stack socket: truncate it as one, or
             * the /48 would keep nothing at all and every such visitor would look the same. */
            memcpy(&v4.s_addr, &v6.s6_addr[12], 4);
            written = format_v4_slash24(v4, text, sizeof text);
        } else {
            memset(&v6.s6_addr[6], 0, 10); /* keep the first 48 bits */
            written = inet_ntop(AF_INET6, &v6, text, sizeof text);
        }
    }
    if (!written)
        return fail_ip(out, outlen);
    size_t n = strlen(text);
    if (n + 1 > outlen)
        return fail_ip(out, outlen);
    memcpy(out, text, n + 1);
    return true;
}

/* Appends a field as an 8-byte little-endian length then its bytes, so ("ab","c") and ("a","bc")
 * hash differently. NULL is hashed as the empty string. */
static size_t put_field(uint8_t *buf, size_t pos, const char *s, size_t n)
{
    for (int i = 0; i < 8; i++)
        buf[pos++] = (uint8_t)((uint64_t)n >> (8 * i));
    if (n)
        memcpy(buf + pos, s, n);
    return pos + n;
}

uint64_t traffic_fingerprint(const uint8_t key[16], const char *link_id, const char *ip_truncated,
                             const char *user_agent)
{
    const char *fields[3] = {link_id ? link_id : "", ip_truncated ? ip_truncated : "",
                             user_agent ? user_agent : ""};
    size_t lens[3], total = 0;
    for (int i = 0; i < 3; i++) {
        lens[i] = strlen(fields[i]);
        total += 8 + lens[i];
    }
    /* Most inputs fit on the stack; a huge user agent (the HTTP layer bounds headers) goes to the
     * heap rather than being cut, since cutting would merge distinct visitors. */
    uint8_t stack_buf[1024];
    uint8_t *buf = total <= sizeof stack_buf ? stack_buf : malloc(total);
    if (!buf)
        abort(); /* out of memory is fatal in partnerd, as in the arena */
    size_t pos = 0;
    for (int i = 0; i < 3; i++)
        pos = put_field(buf, pos, fields[i], lens[i]);

    uint8_t hash[crypto_shorthash_BYTES]; /* SipHash-2-4, 8 bytes */
    crypto_shorthash(hash, buf, pos, key);
    if (buf != stack_buf)
        free(buf);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)hash[i] << (8 * i);
    return v;
}
