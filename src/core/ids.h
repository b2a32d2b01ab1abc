/* Identifiers. Every id is a prefix ("cnv_", "ptn_", ...) and 26 characters of Crockford base32:
 * 48 bits of milliseconds since the epoch then 80 random bits (ULID layout), so ids sort by
 * creation time, need no coordination between nodes, and cannot be guessed.
 * Click ids are the bare 26 characters (URL-safe, ≥ 64 random bits). */
#ifndef PD_CORE_IDS_H
#define PD_CORE_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ID_ULID_LEN 26
#define ID_MAX_LEN 40 /* prefix + ulid + NUL, with room */

/* Writes prefix + 26 characters + NUL into out (size ≥ strlen(prefix) + 27). now_ms from the
 * caller's clock; random bits from libsodium. Returns the length. */
size_t id_new(char *out, size_t outlen, const char *prefix, uint64_t now_ms);
/* Encodes the given 16 bytes (6 time + 10 random) as 26 characters; for tests. */
void id_encode_ulid(const uint8_t bytes[16], char out[ID_ULID_LEN + 1]);
/* true when s is prefix + 26 Crockford base32 characters (upper case, first character ≤ '7'). */
bool id_valid(const char *s, const char *prefix);
/* The smallest id made at ms (its time, then zero random bits): every id made earlier sorts
 * below it, every id made then or later at or above it (ms < 0 counts as 0). */
size_t id_floor(char *out, size_t outlen, const char *prefix, int64_t ms);
/* Milliseconds encoded in an id's ULID part, or 0 when not valid. */
uint64_t id_time_ms(const char *s, const char *prefix);

/* Random URL-safe token of n characters from [A-Za-z0-9] (for API keys and secrets), NUL-terminated:
 * out must hold n + 1 bytes. Uniform (no modulo bias): 32 characters carry about 190 bits. */
void id_random_token(char *out, size_t n);

#endif
