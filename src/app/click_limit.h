/* The per-IP click rate limit (README, `click_rate_limit` under Configuration): clicks from one
 * address beyond click_rate_limit per minute are recorded as not unique (GET /c/{code}) or refused
 * with 429 (POST /api/v1/clicks). In memory, per node: a fixed table of buckets indexed by a keyed
 * hash of the address (an IPv6 address by its /64), where a new address takes over its slot with a
 * full bucket. */
#ifndef PD_APP_CLICK_LIMIT_H
#define PD_APP_CLICK_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct click_limiter;

/* NULL when per_minute is 0 (no limit). key: 16 secret bytes (the installation's). */
struct click_limiter *click_limiter_new(int per_minute, const uint8_t key[16]);
void click_limiter_free(struct click_limiter *l);
/* Counts a click from ip (textual) at now_ms; false when it is over the limit. Always true for a
 * NULL limiter. Thread-safe. */
bool click_limiter_allow(struct click_limiter *l, const char *ip, int64_t now_ms);

#endif
