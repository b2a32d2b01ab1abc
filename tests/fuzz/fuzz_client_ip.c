/* trusted_proxies comes from the operator, X-Forwarded-For from anyone: neither may crash the
 * parser, and the address chosen is the peer or a valid address from the header. Input: the
 * proxy list, a newline, the header. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_ip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    char *xff = strchr(s, '\n');
    if (xff)
        *xff++ = '\0';
    struct proxy_list l;
    char err[128];
    if (proxy_list_parse(s, &l, err, sizeof err) != 0)
        proxy_list_parse("127.0.0.1", &l, err, sizeof err);
    char out[CLIENT_IP_MAX];
    client_ip_resolve(&l, "127.0.0.1", xff, out);
    uint8_t bin[16];
    if (strcmp(out, "127.0.0.1") != 0 && inet_pton(AF_INET, out, bin) != 1 &&
        inet_pton(AF_INET6, out, bin) != 1)
        abort();
    free(s);
    return 0;
}
