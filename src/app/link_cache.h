/* The click path's link cache: what GET /c/{code} needs to answer (the link, its partner's status,
 * the program's click parameter and default URL), kept in memory so a click costs no database
 * read. Shared by the HTTP workers; a fixed number of slots (no allocation after creation), each
 * slot guarded by one of a set of locks.
 *
 * An entry is used only while both hold:
 *   - its generation is the current one. The writer bumps the generation after committing a batch
 *     that changed links, partners or programs (writer_generation()), before it answers that
 *     batch's requests, so once a change is acknowledged no click on this node uses older data.
 *     Entries are tagged with the generation read *before* the database read that filled them.
 *   - it is younger than LINK_CACHE_TTL_MS: changes made by another process or another node (which
 *     this node's writer never sees) are picked up within that time.
 * Unknown codes are never cached, so a new link works at once everywhere. */
#ifndef PD_APP_LINK_CACHE_H
#define PD_APP_LINK_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "app/clicks.h"
#include "util/arena.h"

#define LINK_CACHE_TTL_MS 1000
#define LINK_CACHE_SLOTS 16384 /* power of two; about 9 MiB */

struct link_cache;

struct link_cache *link_cache_new(size_t slots);
void link_cache_free(struct link_cache *c);

/* 0 and *out filled (strings copied into the arena) on a usable entry, 1 otherwise. */
int link_cache_get(struct link_cache *c, const char *code, uint64_t generation, int64_t now_ms,
                   struct arena *a, struct link_target *out);
/* Remembers t for code (silently skipped when its strings do not fit a slot). */
void link_cache_put(struct link_cache *c, const char *code, uint64_t generation, int64_t now_ms,
                    const struct link_target *t);

struct link_cache_stats {
    uint64_t hits, misses;
};
void link_cache_get_stats(struct link_cache *c, struct link_cache_stats *out);

#endif
