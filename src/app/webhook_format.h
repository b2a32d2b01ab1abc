/* The pure parts of outgoing webhooks and partner postbacks: event names, the signature header,
 * the retry schedule and the postback URL template. No SQL, no sockets, the clock passed in. */
#ifndef PD_APP_WEBHOOK_FORMAT_H
#define PD_APP_WEBHOOK_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

struct sockaddr;

#define WEBHOOK_MAX_AGE_MS (3LL * 86400 * 1000) /* retried until 3 days after the event */
#define WEBHOOK_MAX_DELAY_MS (3600LL * 1000)    /* backoff cap */

/* true for the event types an endpoint can subscribe to. */
bool webhook_event_known(const char *type);

/* "t=<unix>,v1=<hex hmac-sha256 of "<unix>.<body>" keyed with the whole secret>" into out
 * (≥ 96 bytes). Returns the length, or -1 when out is too small. */
int webhook_signature(const char *secret, int64_t unix_s, const char *body, size_t len, char *out,
                      size_t outlen);

/* The wait before attempt n+1 after n failed attempts (n ≥ 1): base, 2·base, 4·base … capped at
 * WEBHOOK_MAX_DELAY_MS. base_ms ≤ 0 means the default 30 s. */
int64_t webhook_backoff_ms(int64_t base_ms, int attempts);

/* Values for a postback URL template; NULL values expand to "". */
struct postback_vars {
    const char *click_id, *order_id, *commission;
    const char *sub[5];
};

/* Expands {click_id}, {sub1}..{sub5}, {commission} and {order_id} in tmpl, each value
 * percent-encoded; anything else (other braces included) is copied as is. NULL when the result
 * would exceed max_len bytes. */
char *postback_expand(struct arena *a, const char *tmpl, const struct postback_vars *v,
                      size_t max_len);

/* The address policy for partner postbacks and webhook endpoints: true where an outgoing request
 * must not go. IPv4: loopback, private (10/8, 172.16/12, 192.168/16), shared (100.64/10),
 * link-local, unspecified (0/8), documentation, benchmarking, IETF-reserved (192.0.0/24, 240/4),
 * multicast and broadcast. IPv6: anything outside 2000::/3 (so ::1, ::, fc00::/7, fe80::/10,
 * multicast), documentation, benchmarking and ORCHID ranges, local-use NAT64 (64:ff9b:1::/48), and
 * the forms that embed an IPv4 address when that address is refused: ::a.b.c.d, ::ffff:a.b.c.d,
 * ::ffff:0:a.b.c.d, 64:ff9b::/96, 6to4 (2002::/16) and Teredo (2001::/32). Any other family:
 * true. */
bool webhook_address_private(const struct sockaddr *sa);

/* The same policy for the host of a URL, before any resolution: true for "localhost" and its
 * subdomains, and for an address literal (IPv4 in any form a resolver accepts, e.g. 127.1 or
 * 2130706433; IPv6) the policy refuses. false for other names: those are checked once
 * resolved. */
bool webhook_host_private(const char *host);

#endif
