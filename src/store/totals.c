/* A batch's deferred totals (store/totals.h): the rows with their sums, and a log of every addition
 * so that a rolled-back savepoint takes its own additions off again. */
#include "store/totals.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* An addition to rows[row], undone by subtracting v. */
struct total_step {
    size_t row;
    int64_t v[TOTAL_VALUES];
};

#define SAVEPOINT_DEPTHS 10

struct store_totals {
    struct total_row *rows;
    size_t nrows, rows_cap;
    struct total_step *log;
    size_t nlog, log_cap;
    size_t mark[SAVEPOINT_DEPTHS]; /* nlog when the savepoint at that depth was opened */
};

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_row(const struct total_row *r, int kind, const char *const text[TOTAL_TEXTS],
                     int64_t num)
{
    if (r->kind != kind || r->num != num)
        return false;
    for (int i = 0; i < TOTAL_TEXTS; i++)
        if (!same_text(r->text[i], text[i]))
            return false;
    return true;
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 16;
    void *q = realloc(*p, n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

static void row_free(struct total_row *r)
{
    for (int i = 0; i < TOTAL_TEXTS; i++)
        free(r->text[i]);
}

/* The row's index, a new one at zero when there is none; -1 when memory runs out. */
static long find_or_add(struct store_totals *t, int kind, const char *const text[TOTAL_TEXTS],
                        int64_t num)
{
    for (size_t i = t->nrows; i-- > 0;)
        if (same_row(&t->rows[i], kind, text, num))
            return (long)i;
    if (!grow((void **)&t->rows, &t->rows_cap, t->nrows + 1, sizeof *t->rows))
        return -1;
    struct total_row *r = &t->rows[t->nrows];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->num = num;
    for (int i = 0; i < TOTAL_TEXTS; i++) {
        if (text[i] && !(r->text[i] = strdup(text[i]))) {
            row_free(r);
            return -1;
        }
    }
    return (long)t->nrows++;
}

int store_total_add(struct store *s, int kind, const char *const text[TOTAL_TEXTS], int64_t num,
                    const int64_t v[TOTAL_VALUES])
{
    if (!s->totals && !(s->totals = calloc(1, sizeof *s->totals)))
        return -1;
    struct store_totals *t = s->totals;
    if (!grow((void **)&t->log, &t->log_cap, t->nlog + 1, sizeof *t->log))
        return -1;
    long row = find_or_add(t, kind, text, num);
    if (row < 0)
        return -1;
    struct total_row *r = &t->rows[row];
    int64_t sum[TOTAL_VALUES];
    for (int i = 0; i < TOTAL_VALUES; i++)
        if (__builtin_add_overflow(r->v[i], v[i], &sum[i]))
            return -1;
    memcpy(r->v, sum, sizeof sum);
    struct total_step *step = &t->log[t->nlog++];
    step->row = (size_t)row;
    memcpy(step->v, v, sizeof step->v);
    return 0;
}

int store_totals_first(struct store *s, struct pd_err *err)
{
    s->totals_first = true;
    return pd_err_set(err, PD_ERR_INTERNAL, NULL, "the batch's totals are to be written first");
}

bool store_totals_pending(const struct store *s)
{
    return s->totals && s->totals->nrows > 0;
}

const struct total_row *store_totals_rows(const struct store *s, size_t *n)
{
    *n = s->totals ? s->totals->nrows : 0;
    return s->totals ? s->totals->rows : NULL;
}

void store_totals_clear(struct store *s)
{
    struct store_totals *t = s->totals;
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows; i++)
        row_free(&t->rows[i]);
    t->nrows = 0;
    t->nlog = 0;
}

void store_totals_savepoint(struct store *s, int depth)
{
    if (s->totals && depth > 0 && depth < SAVEPOINT_DEPTHS)
        s->totals->mark[depth] = s->totals->nlog;
}

void store_totals_release(struct store *s, int depth)
{
    if (depth == 0)
        store_totals_clear(s);
}

/* Rows a rolled-back savepoint created stay, at zero: the writer skips rows whose values are all
 * zero. */
void store_totals_rollback(struct store *s, int depth)
{
    struct store_totals *t = s->totals;
    if (!t)
        return;
    if (depth == 0 || depth >= SAVEPOINT_DEPTHS) {
        store_totals_clear(s);
        return;
    }
    for (; t->nlog > t->mark[depth]; t->nlog--) {
        const struct total_step *step = &t->log[t->nlog - 1];
        for (int i = 0; i < TOTAL_VALUES; i++)
            t->rows[step->row].v[i] -= step->v[i];
    }
}

void store_totals_free(struct store *s)
{
    if (!s->totals)
        return;
    store_totals_clear(s);
    free(s->totals->rows);
    free(s->totals->log);
    free(s->totals);
    s->totals = NULL;
}
