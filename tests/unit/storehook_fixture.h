/* Shared by the store webhook mapper tests: loads a JSON fixture of tests/unit/fixtures/storehook/
 * (found next to this file), lets a test change fields, and maps the result. */
#ifndef PD_TESTS_STOREHOOK_FIXTURE_H
#define PD_TESTS_STOREHOOK_FIXTURE_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/storehook.h"

/* One arena per test group, for the events' strings. */
static struct arena arena;

static int setup(void **state)
{
    (void)state;
    arena_init(&arena, 4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&arena);
    return 0;
}

static inline json_t *fixture_load(const char *name)
{
    char path[1024];
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    int dir_len = slash ? (int)(slash - here) : 1;
    snprintf(path, sizeof path, "%.*s/fixtures/storehook/%s", dir_len, slash ? here : ".", name);
    json_error_t err;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        fprintf(stderr, "%s: %s (line %d)\n", path, err.text, err.line);
        abort();
    }
    return j;
}

/* obj.a.b.c → the object at the dotted path (NULL when absent). */
static inline json_t *fixture_at(json_t *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, tok);
    return cur;
}

/* Maps root (serialised compactly) with the given topic and delivery id; root is kept. */
static inline void fixture_map(enum storehook_platform p, const json_t *root, const char *topic,
                               const char *delivery_id, struct arena *a,
                               struct storehook_event *ev)
{
    char *body = json_dumps(root, JSON_COMPACT);
    if (!body)
        abort();
    struct storehook_delivery d = {(const uint8_t *)body, strlen(body), topic, delivery_id};
    if (storehook_map(p, &d, a, ev) != 0)
        abort();
    free(body);
}

static inline void fixture_map_text(enum storehook_platform p, const char *body, const char *topic,
                                    struct arena *a, struct storehook_event *ev)
{
    struct storehook_delivery d = {(const uint8_t *)body, strlen(body), topic, NULL};
    if (storehook_map(p, &d, a, ev) != 0)
        abort();
}

#endif
