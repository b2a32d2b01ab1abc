/* The per-address click rate limit (app/click_limit.h): a fixed table of rate_allow cells, one
 * per keyed hash of the address, guarded by striped locks. No allocation after creation; a
 * collision gives the newcomer the slot with a full allowance, so an attacker cannot lock out
 * another address by filling the table. */
#include "app/click_limit.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/rate.h"
#include "util/banned.h"

#define SLOTS 65536 /* 1 MiB of buckets */
#define STRIPES 64

struct slot {
    uint64_t address; /* keyed hash of the address, 0 for an unused slot */
    int64_t tat_us;
};

struct click_limiter {
    int per_minute;
    uint8_t key[16];
    pthread_mutex_t stripes[STRIPES];
    struct slot slots[SLOTS];
};

struct click_limiter *click_limiter_new(int per_minute, const uint8_t key[16])
{
    if (per_minute <= 0)
        return NULL;
    struct click_limiter *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    l->per_minute = per_minute;
    memcpy(l->key, key, sizeof l->key);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&l->stripes[i], NULL);
    return l;
}

void click_limiter_free(struct click_limiter *l)
{
    if (!l)
        return;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&l->stripes[i]);
    free(l);
}

/* IPv4: the address; IPv6: its /64 (one host's usual share); anything else: the text. Keyed, so
 * which addresses share a slot cannot be chosen from outside. */
static uint64_t address_hash(const struct click_limiter *l, const char *ip)
{
    uint8_t bin[16];
    const uint8_t *p = (const uint8_t *)ip;
    size_t n = strlen(ip);
    if (inet_pton(AF_INET, ip, bin) == 1) {
        p = bin;
        n = 4;
    } else if (inet_pton(AF_INET6, ip, bin) == 1) {
        p = bin;
        n = 8;
    }
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, p, n, l->key);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | h[i];
    return v ? v : 1;
}

bool click_limiter_allow(struct click_limiter *l, const char *ip, int64_t now_ms)
{
    if (!l)
        return true;
    uint64_t address = address_hash(l, ip ? ip : "");
    size_t i = (size_t)(address % SLOTS);
    pthread_mutex_t *m = &l->stripes[i % STRIPES];
    pthread_mutex_lock(m);
    struct slot *s = &l->slots[i];
    if (s->address != address) {
        s->address = address;
        s->tat_us = 0;
    }
    bool ok = rate_allow(&s->tat_us, now_ms * 1000, l->per_minute);
    pthread_mutex_unlock(m);
    return ok;
}
