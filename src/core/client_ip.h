/* The client's address behind trusted reverse proxies (a TLS terminator, a load balancer): the
 * connection's peer, unless the peer is a trusted proxy and the request carries X-Forwarded-For;
 * then the rightmost address in it that is not itself a trusted proxy — the nearest hop nobody we
 * trust vouches for, as nginx's realip module with recursion does. Pure. */
#ifndef PD_CORE_CLIENT_IP_H
#define PD_CORE_CLIENT_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROXY_LIST_MAX 32
#define CLIENT_IP_MAX 48 /* textual IPv6 with room */

struct ip_net {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    int prefix; /* bits */
};

struct proxy_list {
    struct ip_net nets[PROXY_LIST_MAX];
    int n;
};

/* "ADDR[/BITS], ..." (IPv4 or IPv6, spaces allowed, empty for none). 0, or -1 with the reason in
 * err. */
int proxy_list_parse(const char *text, struct proxy_list *out, char *err, size_t errlen);
bool proxy_list_contains(const struct proxy_list *l, const char *ip);

/* Writes the client's address into out (CLIENT_IP_MAX bytes). forwarded_for may be NULL. */
void client_ip_resolve(const struct proxy_list *trusted, const char *peer,
                       const char *forwarded_for, char out[CLIENT_IP_MAX]);

#endif
