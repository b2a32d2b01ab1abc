/* ULID-layout identifiers (https://github.com/ulid/spec): 48-bit millisecond time then 80 random
 * bits, written as 26 characters of Crockford base32 (no I, L, O, U), most significant first so
 * that string order is time order. */
#include "core/ids.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

static const char crockford[33] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Value of an upper-case Crockford character, -1 for anything else. Lower case is refused so that
 * an id has exactly one spelling (ids are compared as strings in the database). */
static int crockford_value(char c)
{
    const char *hit = c ? memchr(crockford, c, 32) : NULL;
    return hit ? (int)(hit - crockford) : -1;
}

void id_encode_ulid(const uint8_t bytes[16], char out[ID_ULID_LEN + 1])
{
    /* 26 * 5 = 130 bits: the 128 bits of the id preceded by two zero bits, so the first character
     * carries 3 bits and is at most '7'. Bit k (0 = most significant of the 130) is id bit k - 2.
     */
    for (int ch = 0; ch < ID_ULID_LEN; ch++) {
        unsigned v = 0;
        for (int j = 0; j < 5; j++) {
            int k = ch * 5 + j - 2;
            unsigned bit = 0;
            if (k >= 0)
                bit = (bytes[k / 8] >> (7 - k % 8)) & 1u;
            v = (v << 1) | bit;
        }
        out[ch] = crockford[v];
    }
    out[ID_ULID_LEN] = '\0';
}

/* 10 random bytes. randombytes_buf is a getrandom() system call each time (it works before
 * sodium_init(), so an id is never made from predictable bits); a click or a conversion makes
 * several ids, so each thread draws 400 ids' worth at once. The bytes are used once each and the
 * process never forks, so no two ids share them. Thread-local: a cache of the kernel's random
 * bytes, not state of the server. */
#define RANDOM_CHUNK 10
#define RANDOM_POOL (400 * RANDOM_CHUNK)

static void random_bits(uint8_t out[RANDOM_CHUNK])
{
    static _Thread_local uint8_t pool[RANDOM_POOL];
    static _Thread_local size_t used = RANDOM_POOL;
    if (used == RANDOM_POOL) {
        randombytes_buf(pool, sizeof pool);
        used = 0;
    }
    memcpy(out, pool + used, RANDOM_CHUNK);
    sodium_memzero(pool + used, RANDOM_CHUNK);
    used += RANDOM_CHUNK;
}

size_t id_new(char *out, size_t outlen, const char *prefix, uint64_t now_ms)
{
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    if (!out || outlen < plen + ID_ULID_LEN + 1) {
        if (out && outlen > 0)
            out[0] = '\0';
        return 0;
    }
    uint8_t bytes[16];
    /* The time is big-endian so the encoding sorts by it; 48 bits last until the year 10889. */
    for (int i = 0; i < 6; i++)
        bytes[i] = (uint8_t)(now_ms >> (8 * (5 - i)));
    random_bits(bytes + 6);
    memcpy(out, prefix, plen);
    id_encode_ulid(bytes, out + plen);
    return plen + ID_ULID_LEN;
}

size_t id_floor(char *out, size_t outlen, const char *prefix, int64_t ms)
{
    size_t plen = strlen(prefix);
    if (outlen < plen + ID_ULID_LEN + 1) {
        if (outlen > 0)
            out[0] = '\0';
        return 0;
    }
    uint8_t bytes[16] = {0};
    uint64_t t = ms > 0 ? (uint64_t)ms : 0;
    for (int i = 0; i < 6; i++)
        bytes[i] = (uint8_t)(t >> (8 * (5 - i)));
    memcpy(out, prefix, plen);
    id_encode_ulid(bytes, out + plen);
    return plen + ID_ULID_LEN;
}

bool id_valid(const char *s, const char *prefix)
{
    if (!s)
        return false;
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    if (strncmp(s, prefix, plen) != 0)
        return false;
    const char *ulid = s + plen;
    for (int i = 0; i < ID_ULID_LEN; i++) {
        int v = crockford_value(ulid[i]); /* stops at a NUL: memchr is not given '\0' */
        if (v < 0 || (i == 0 && v > 7))
            return false;
    }
    return ulid[ID_ULID_LEN] == '\0';
}

uint64_t id_time_ms(const char *s, const char *prefix)
{
    if (!id_valid(s, prefix))
        return 0;
    const char *ulid = s + (prefix ? strlen(prefix) : 0);
    /* The first 10 characters are 50 bits: 2 zero padding bits then the 48-bit time. */
    uint64_t t = 0;
    for (int i = 0; i < 10; i++)
        t = (t << 5) | (uint64_t)crockford_value(ulid[i]);
    return t;
}

void id_random_token(char *out, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)]; /* uniform: no modulo bias */
    out[n] = '\0';
}
