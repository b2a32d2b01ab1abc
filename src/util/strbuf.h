/* A growable byte buffer with a size limit, for documents built in memory (payout files). Errors
 * are sticky: once a write would pass the limit or memory runs out, the buffer stops growing,
 * later writes do nothing, and the caller checks strbuf_status once at the end. */
#ifndef PD_UTIL_STRBUF_H
#define PD_UTIL_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum strbuf_status {
    STRBUF_OK = 0,
    STRBUF_TOO_LARGE, /* a write would have passed the limit */
    STRBUF_NOMEM,
};

struct strbuf {
    char *data; /* NUL-terminated when not NULL; NULL until the first write */
    size_t len;
    size_t cap;
    size_t limit; /* the most bytes the content may reach */
    enum strbuf_status status;
};

void strbuf_init(struct strbuf *b, size_t limit);
void strbuf_free(struct strbuf *b); /* frees the data; strbuf_init before using it again */
/* Empties the content (keeping the memory) and clears the status. */
void strbuf_reset(struct strbuf *b);

void strbuf_put(struct strbuf *b, const void *p, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_putc(struct strbuf *b, char c);
/* The n bytes of s as HTML text: & < > " ' become entities, everything else as it is. */
void strbuf_put_html(struct strbuf *b, const char *s, size_t n);
/* Decimal text of v. */
void strbuf_put_u64(struct strbuf *b, uint64_t v);
/* Writes the decimal digits of v to out (no NUL) and returns how many (1..20). */
size_t u64_to_digits(uint64_t v, char out[20]);

/* 0 when the buffer holds everything written; else -1 with err: 413 (param `param`) past the
 * limit, 500 out of memory. */
int strbuf_check(const struct strbuf *b, const char *param, struct pd_err *err);

static inline enum strbuf_status strbuf_status(const struct strbuf *b)
{
    return b->status;
}

#endif
