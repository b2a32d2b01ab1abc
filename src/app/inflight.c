/* The Idempotency-Keys of requests waiting for the writer (struct inflight_set in app/app.h): a
 * second request with the same key while the first is still on its way is refused (409) instead of
 * being run twice; once the first is answered its stored answer replays. Guarded by one lock. */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "util/banned.h"

void inflight_init(struct inflight_set *s)
{
    pthread_mutex_init(&s->lock, NULL);
    s->keys = NULL;
    s->n = s->cap = 0;
}

void inflight_destroy(struct inflight_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->keys[i]);
    free(s->keys);
    pthread_mutex_destroy(&s->lock);
}

/* A linear scan: only requests that carry an Idempotency-Key and are waiting for the writer are
 * here, a handful at a time. */
bool inflight_add(struct inflight_set *s, const char *key)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->keys[i], key) == 0) {
            pthread_mutex_unlock(&s->lock);
            return false;
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **keys = realloc(s->keys, cap * sizeof *keys);
        if (!keys)
            abort();
        s->keys = keys;
        s->cap = cap;
    }
    s->keys[s->n] = strdup(key);
    if (!s->keys[s->n])
        abort();
    s->n++;
    pthread_mutex_unlock(&s->lock);
    return true;
}

void inflight_remove(struct inflight_set *s, const char *key)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->keys[i], key) == 0) {
            free(s->keys[i]);
            s->keys[i] = s->keys[--s->n];
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
}
