/* The client's address behind trusted proxies (core/client_ip.h): parsing trusted_proxies
 * (addresses and CIDR ranges) and picking the rightmost untrusted X-Forwarded-For hop. Pure; an
 * address the visitor wrote into the header is never chosen over a hop a trusted proxy added. */
#include "core/client_ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static bool parse_addr(const char *s, int *family, uint8_t addr[16])
{
    if (inet_pton(AF_INET, s, addr) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s, addr) == 1) {
        *family = AF_INET6;
        return true;
    }
    return false;
}

/* Copies the trimmed text between p and end into out; false when it does not fit. */
static bool trimmed(const char *p, const char *end, char *out, size_t outlen)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t n = (size_t)(end - p);
    if (n >= outlen)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

int proxy_list_parse(const char *text, struct proxy_list *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (const char *p = text; p && *p;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        char item[64];
        if (!trimmed(p, end, item, sizeof item)) {
            snprintf(err, errlen, "trusted_proxies: an entry is too long");
            return -1;
        }
        p = *end ? end + 1 : end;
        if (!item[0])
            continue;
        if (out->n == PROXY_LIST_MAX) {
            snprintf(err, errlen, "trusted_proxies: at most %d entries", PROXY_LIST_MAX);
            return -1;
        }
        struct ip_net *net = &out->nets[out->n];
        char *slash = strchr(item, '/');
        long bits = -1;
        if (slash) {
            *slash = '\0';
            char *e = NULL;
            bits = strtol(slash + 1, &e, 10);
            if (!slash[1] || *e || bits < 0) {
                snprintf(err, errlen, "trusted_proxies: bad prefix length in %s/%s", item,
                         slash + 1);
                return -1;
            }
        }
        if (!parse_addr(item, &net->family, net->addr)) {
            snprintf(err, errlen, "trusted_proxies: %s is not an IP address", item);
            return -1;
        }
        int max = net->family == AF_INET ? 32 : 128;
        if (bits > max) {
            snprintf(err, errlen, "trusted_proxies: /%ld is too long for %s", bits, item);
            return -1;
        }
        net->prefix = bits < 0 ? max : (int)bits;
        out->n++;
    }
    return 0;
}

static bool net_contains(const struct ip_net *net, int family, const uint8_t addr[16])
{
    if (net->family != family)
        return false;
    int full = net->prefix / 8, rest = net->prefix % 8;
    if (memcmp(net->addr, addr, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (net->addr[full] & mask) == (addr[full] & mask);
}

static bool contains(const struct proxy_list *l, int family, const uint8_t addr[16])
{
    for (int i = 0; l && i < l->n; i++)
        if (net_contains(&l->nets[i], family, addr))
            return true;
    return false;
}

bool proxy_list_contains(const struct proxy_list *l, const char *ip)
{
    int family;
    uint8_t addr[16];
    return ip && parse_addr(ip, &family, addr) && contains(l, family, addr);
}

/* One X-Forwarded-For entry as an address: "a.b.c.d", "a.b.c.d:port", "v6" or "[v6]:port". */
static bool forwarded_entry(const char *p, const char *end, char out[CLIENT_IP_MAX], int *family,
                            uint8_t addr[16])
{
    if (!trimmed(p, end, out, CLIENT_IP_MAX))
        return false;
    if (out[0] == '[') {
        char *close = strchr(out, ']');
        if (!close)
            return false;
        *close = '\0';
        memmove(out, out + 1, strlen(out + 1) + 1);
    } else {
        char *colon = strchr(out, ':');
        if (colon && !strchr(colon + 1, ':')) /* one colon: IPv4 with a port */
            *colon = '\0';
    }
    return parse_addr(out, family, addr);
}

void client_ip_resolve(const struct proxy_list *trusted, const char *peer,
                       const char *forwarded_for, char out[CLIENT_IP_MAX])
{
    snprintf(out, CLIENT_IP_MAX, "%s", peer ? peer : "");
    if (!forwarded_for || !proxy_list_contains(trusted, peer))
        return;
    /* From the right: each hop a trusted proxy appended; the first one that is not trusted is
     * the client. A malformed entry ends the walk at the last trusted hop. */
    const char *end = forwarded_for + strlen(forwarded_for);
    while (end > forwarded_for) {
        const char *start = end;
        while (start > forwarded_for && start[-1] != ',')
            start--;
        char entry[CLIENT_IP_MAX];
        int family;
        uint8_t addr[16];
        if (!forwarded_entry(start, end, entry, &family, addr))
            return;
        memcpy(out, entry, CLIENT_IP_MAX);
        if (!contains(trusted, family, addr))
            return;
        end = start > forwarded_for ? start - 1 : start;
    }
}
