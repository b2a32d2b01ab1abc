/* Facts about a click's visitor: bot user agents, IP truncation for privacy, and the fingerprint
 * that decides uniqueness (a visitor's first click in 24 hours). Pure. */
#ifndef PD_CORE_TRAFFIC_H
#define PD_CORE_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* true for the built-in list of crawler / preview / headless user agents (case-insensitive substring
 * match: "bot", "crawler", "spider", "slurp", "facebookexternalhit", "headlesschrome", "curl/",
 * "wget/", "python-requests", ...). An empty or NULL user agent is a bot. */
bool traffic_is_bot(const char *user_agent);

/* Truncates a textual IPv4 (/24 → "203.0.113.0") or IPv6 (/48 → "2001:db8:1::") address.
 * Returns false (out = "") for anything that is not an IP address. */
bool traffic_truncate_ip(const char *ip, char *out, size_t outlen);

/* 64-bit keyed hash of (link id, truncated ip, user agent): the key of the 24-hour uniqueness
 * window. key is 16 bytes (per installation secret). */
uint64_t traffic_fingerprint(const uint8_t key[16], const char *link_id, const char *ip_truncated,
                             const char *user_agent);

#endif
