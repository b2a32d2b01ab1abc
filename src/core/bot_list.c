/* The operator's bot list (core/bot_list.h): parsed once at start, matched on every click in one
 * pass over the user agent (patterns bucketed by their first two bytes, compared without case).
 * Pure. */
#include "core/bot_list.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define BUCKETS 4096 /* by the first two bytes (a few pairs share one) */
#define NONE UINT32_MAX
#define UA_MAX 1024

struct bot_list {
    char *text;     /* the patterns, lower-case, one after another */
    uint32_t *at;   /* pattern i starts at text + at[i] */
    uint16_t *len;  /* and is len[i] bytes long */
    uint32_t *next; /* the next pattern of the same bucket */
    uint32_t head[BUCKETS];
    size_t n;
};

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static unsigned bucket(const char *p)
{
    return ((unsigned)(unsigned char)p[0] * 67u + (unsigned char)p[1]) & (BUCKETS - 1);
}

struct bot_list *bot_list_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct bot_list *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    size_t cap = 0;
    l->text = malloc(len + 1);
    if (!l->text)
        abort();
    size_t used = 0, line_no = 0;
    for (size_t i = 0; i < BUCKETS; i++)
        l->head[i] = NONE;
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        line_no++;
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        while (n > 0 && (*line == ' ' || *line == '\t')) {
            line++;
            n--;
        }
        if (n == 0 || line[0] == '#')
            continue;
        if (n < 3 || n > BOT_LIST_MAX_LINE || memchr(line, '\0', n)) {
            snprintf(err, errlen, "line %zu: a pattern is 3 to %d characters", line_no,
                     BOT_LIST_MAX_LINE);
            goto fail;
        }
        if (l->n == BOT_LIST_MAX_PATTERNS) {
            snprintf(err, errlen, "more than %d patterns", BOT_LIST_MAX_PATTERNS);
            goto fail;
        }
        if (l->n == cap) {
            cap = cap ? 2 * cap : 64;
            l->at = realloc(l->at, cap * sizeof *l->at);
            l->len = realloc(l->len, cap * sizeof *l->len);
            l->next = realloc(l->next, cap * sizeof *l->next);
            if (!l->at || !l->len || !l->next)
                abort();
        }
        for (size_t k = 0; k < n; k++)
            l->text[used + k] = lower(line[k]);
        unsigned b = bucket(l->text + used);
        l->at[l->n] = (uint32_t)used;
        l->len[l->n] = (uint16_t)n;
        l->next[l->n] = l->head[b];
        l->head[b] = (uint32_t)l->n;
        l->n++;
        used += n;
    }
    return l;
fail:
    bot_list_free(l);
    return NULL;
}

void bot_list_free(struct bot_list *l)
{
    if (!l)
        return;
    free(l->text);
    free(l->at);
    free(l->len);
    free(l->next);
    free(l);
}

size_t bot_list_count(const struct bot_list *l)
{
    return l ? l->n : 0;
}

bool bot_list_match(const struct bot_list *l, const char *user_agent)
{
    if (!l || !user_agent || l->n == 0)
        return false;
    char ua[UA_MAX];
    size_t n = strnlen(user_agent, sizeof ua);
    for (size_t i = 0; i < n; i++)
        ua[i] = lower(user_agent[i]);
    for (size_t i = 0; i + 1 < n; i++)
        for (uint32_t p = l->head[bucket(ua + i)]; p != NONE; p = l->next[p])
            if (l->len[p] <= n - i && memcmp(ua + i, l->text + l->at[p], l->len[p]) == 0)
                return true;
    return false;
}
