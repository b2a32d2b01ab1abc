/* Growable byte buffer with a limit and a sticky error (see strbuf.h). */
#include "util/strbuf.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

void strbuf_init(struct strbuf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
    b->status = STRBUF_OK;
}

void strbuf_free(struct strbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void strbuf_reset(struct strbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
    b->status = STRBUF_OK;
}

/* Room for n more bytes plus the NUL; false (with the status set) when over the limit or out of
 * memory. Capacity doubles, so appending is amortised O(1). */
static bool grow(struct strbuf *b, size_t n)
{
    if (b->status != STRBUF_OK)
        return false;
    if (n > b->limit || b->len > b->limit - n) {
        b->status = STRBUF_TOO_LARGE;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->status = STRBUF_NOMEM;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void strbuf_put(struct strbuf *b, const void *p, size_t n)
{
    if (n == 0 || !grow(b, n))
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
    strbuf_put(b, s, strlen(s));
}

void strbuf_putc(struct strbuf *b, char c)
{
    strbuf_put(b, &c, 1);
}

void strbuf_put_html(struct strbuf *b, const char *s, size_t n)
{
    for (const char *p = s; p < s + n; p++) {
        switch (*p) {
        case '&':
            strbuf_puts(b, "&amp;");
            break;
        case '<':
            strbuf_puts(b, "&lt;");
            break;
        case '>':
            strbuf_puts(b, "&gt;");
            break;
        case '"':
            strbuf_puts(b, "&quot;");
            break;
        case '\'':
            strbuf_puts(b, "&#39;");
            break;
        default:
            strbuf_putc(b, *p);
        }
    }
}

size_t u64_to_digits(uint64_t v, char out[20])
{
    char rev[20];
    size_t n = 0;
    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    return n;
}

void strbuf_put_u64(struct strbuf *b, uint64_t v)
{
    char digits[20];
    strbuf_put(b, digits, u64_to_digits(v, digits));
}

int strbuf_check(const struct strbuf *b, const char *param, struct pd_err *err)
{
    switch (b->status) {
    case STRBUF_OK:
        return 0;
    case STRBUF_TOO_LARGE:
        return pd_err_set(err, PD_ERR_TOO_LARGE, param, "the document would pass %zu bytes",
                          b->limit);
    case STRBUF_NOMEM:
        break;
    }
    return pd_err_set(err, PD_ERR_INTERNAL, param, "out of memory writing the document");
}
