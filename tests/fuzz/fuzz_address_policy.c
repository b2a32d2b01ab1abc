/* The outgoing address policy (webhook_address_private, webhook_host_private) decides whether a
 * partner's postback or a merchant's webhook may reach an address: it must never crash, and every
 * spelling of one address must get one answer. The input is read as an address (its first 4 and
 * 16 bytes) and as a host name. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "app/webhook_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool v4_private(const uint8_t a[4])
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    memcpy(&sa.sin_addr, a, 4);
    return webhook_address_private((const struct sockaddr *)&sa);
}

static bool v6_private(const uint8_t a[16])
{
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
    memcpy(sa.sin6_addr.s6_addr, a, 16);
    return webhook_address_private((const struct sockaddr *)&sa);
}

/* An IPv4 address gets the same answer in every IPv6 form that carries it, and as text. */
static void check_v4(const uint8_t v4[4])
{
    bool private = v4_private(v4);
    static const uint8_t prefixes[][12] = {
        {0},                                            /* ::a.b.c.d */
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},     /* ::ffff:a.b.c.d */
        {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0},     /* ::ffff:0:a.b.c.d */
        {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, /* 64:ff9b::a.b.c.d */
    };
    uint8_t a[16];
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        memcpy(a, prefixes[i], 12);
        memcpy(a + 12, v4, 4);
        if (v6_private(a) != private)
            abort();
    }
    memset(a, 0x5a, sizeof a); /* 2002:a.b.c.d::/48, whatever follows */
    a[0] = 0x20;
    a[1] = 0x02;
    memcpy(a + 2, v4, 4);
    if (v6_private(a) != private)
        abort();
    char text[INET_ADDRSTRLEN];
    if (!inet_ntop(AF_INET, v4, text, sizeof text) || webhook_host_private(text) != private)
        abort();
}

static void check_v6(const uint8_t a[16])
{
    bool private = v6_private(a);
    /* Nothing outside 2000::/3 is public (loopback, ::, fc00::/7, fe80::/10, multicast) but the
     * forms that carry an IPv4 address, under ::/64 and 64:ff9b::/32. */
    static const uint8_t zero[8] = {0}, nat64[4] = {0, 0x64, 0xff, 0x9b};
    bool carries_v4 = memcmp(a, zero, 8) == 0 || memcmp(a, nat64, 4) == 0;
    if ((a[0] & 0xe0) != 0x20 && !carries_v4 && !private)
        abort();
    if ((a[0] == 0xff || (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)) &&
        !private)
        abort();
    char text[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, a, text, sizeof text) || webhook_host_private(text) != private)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 4)
        check_v4(data);
    if (size >= 16)
        check_v6(data);
    struct sockaddr other = {.sa_family = AF_UNIX};
    if (!webhook_address_private(&other))
        abort(); /* an unknown family is never an allowed destination */
    char *host = malloc(size + 1);
    if (!host)
        return 0;
    memcpy(host, data, size);
    host[size] = '\0';
    bool private = webhook_host_private(host);
    struct in_addr v4;
    if (inet_aton(host, &v4) == 1 && private != v4_private((const uint8_t *)&v4))
        abort(); /* 127.1, 0x7f000001 and 2130706433 are all 127.0.0.1 */
    free(host);
    return 0;
}
