/* The click path's link cache (app/link_cache.h has the rules that keep it correct): fixed slots
 * shared by the workers, each guarded by one of a set of striped locks, no allocation after
 * creation. */
#include "app/link_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define NFIELDS 13 /* code + the 12 strings of a link_target */
#define SLOT_TEXT 512
#define NLOCKS 64

struct slot {
    uint64_t hash;
    uint64_t generation;
    int64_t loaded_ms;
    bool used;
    uint16_t off[NFIELDS]; /* offset into text, or UINT16_MAX for NULL */
    char text[SLOT_TEXT];
};

struct link_cache {
    size_t mask;
    struct slot *slots;
    pthread_mutex_t locks[NLOCKS];
    atomic_uint_fast64_t hits, misses;
};

static uint64_t hash_code(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ^ (h >> 29);
}

struct link_cache *link_cache_new(size_t slots)
{
    size_t n = 1;
    while (n < slots)
        n <<= 1;
    struct link_cache *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->slots = calloc(n, sizeof *c->slots);
    if (!c->slots)
        abort();
    c->mask = n - 1;
    for (int i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&c->locks[i], NULL);
    return c;
}

void link_cache_free(struct link_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < NLOCKS; i++)
        pthread_mutex_destroy(&c->locks[i]);
    free(c->slots);
    free(c);
}

static void fields_of(const struct link_target *t, const char *code, const char *f[NFIELDS])
{
    f[0] = code;
    f[1] = t->link_id;
    f[2] = t->program_id;
    f[3] = t->partner_id;
    f[4] = t->destination;
    f[5] = t->partner_status;
    f[6] = t->click_param;
    f[7] = t->default_url;
    for (int i = 0; i < 5; i++)
        f[8 + i] = t->sub[i];
}

int link_cache_get(struct link_cache *c, const char *code, uint64_t generation, int64_t now_ms,
                   struct arena *a, struct link_target *out)
{
    uint64_t h = hash_code(code);
    size_t i = h & c->mask;
    struct slot *s = &c->slots[i];
    pthread_mutex_t *lock = &c->locks[i % NLOCKS];
    pthread_mutex_lock(lock);
    bool ok = s->used && s->hash == h && s->generation == generation &&
              now_ms - s->loaded_ms < LINK_CACHE_TTL_MS && now_ms >= s->loaded_ms &&
              strcmp(s->text + s->off[0], code) == 0;
    if (!ok) {
        pthread_mutex_unlock(lock);
        atomic_fetch_add_explicit(&c->misses, 1, memory_order_relaxed);
        return 1;
    }
    /* One copy of the packed strings, then pointers into it. */
    uint16_t end = 0;
    for (int f = 0; f < NFIELDS; f++)
        if (s->off[f] != UINT16_MAX && s->off[f] >= end)
            end = (uint16_t)(s->off[f] + strlen(s->text + s->off[f]) + 1);
    char *copy = arena_alloc(a, end);
    memcpy(copy, s->text, end);
    const char *v[NFIELDS];
    for (int f = 0; f < NFIELDS; f++)
        v[f] = s->off[f] == UINT16_MAX ? NULL : copy + s->off[f];
    pthread_mutex_unlock(lock);
    out->link_id = v[1];
    out->program_id = v[2];
    out->partner_id = v[3];
    out->destination = v[4];
    out->partner_status = v[5];
    out->click_param = v[6];
    out->default_url = v[7];
    for (int f = 0; f < 5; f++)
        out->sub[f] = v[8 + f];
    atomic_fetch_add_explicit(&c->hits, 1, memory_order_relaxed);
    return 0;
}

void link_cache_put(struct link_cache *c, const char *code, uint64_t generation, int64_t now_ms,
                    const struct link_target *t)
{
    const char *f[NFIELDS];
    fields_of(t, code, f);
    size_t need = 0;
    for (int k = 0; k < NFIELDS; k++)
        need += f[k] ? strlen(f[k]) + 1 : 0;
    if (need > SLOT_TEXT)
        return;
    uint64_t h = hash_code(code);
    size_t i = h & c->mask;
    struct slot *s = &c->slots[i];
    pthread_mutex_t *lock = &c->locks[i % NLOCKS];
    pthread_mutex_lock(lock);
    size_t o = 0;
    for (int k = 0; k < NFIELDS; k++) {
        if (!f[k]) {
            s->off[k] = UINT16_MAX;
            continue;
        }
        size_t len = strlen(f[k]) + 1;
        memcpy(s->text + o, f[k], len);
        s->off[k] = (uint16_t)o;
        o += len;
    }
    s->hash = h;
    s->generation = generation;
    s->loaded_ms = now_ms;
    s->used = true;
    pthread_mutex_unlock(lock);
}

void link_cache_get_stats(struct link_cache *c, struct link_cache_stats *out)
{
    out->hits = atomic_load(&c->hits);
    out->misses = atomic_load(&c->misses);
}
