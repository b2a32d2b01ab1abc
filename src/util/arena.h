/* A bump allocator: many small allocations, one free. Each request owns one (freed after the
 * response is sent), so handlers rarely call free(). Allocation failure aborts: partnerd treats
 * out-of-memory as fatal, like redis. */
#ifndef PD_UTIL_ARENA_H
#define PD_UTIL_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;
struct arena {
    struct arena_chunk *head;
    size_t chunk_size;
    size_t total; /* bytes handed out, for limits and metrics */
};

void arena_init(struct arena *a, size_t chunk_size);
/* Frees everything allocated from the arena (keeping one chunk for reuse); the arena can be
 * used again. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a); /* frees everything; arena_init before using it again */

void *arena_alloc(struct arena *a, size_t n);   /* 16-byte aligned, uninitialised */
void *arena_calloc(struct arena *a, size_t n);  /* zeroed */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_sprintf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vsprintf(struct arena *a, const char *fmt, va_list ap);

#endif
