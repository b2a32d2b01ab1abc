/* The ledger property test (test_ledger_property.c): the random source, the model's arithmetic and
 * world, and the comparisons with the app. */
#include "property.h"

/* ---------------------------------------------------------------------------------------------
 * The random source: splitmix64, so one seed replays the same operations exactly. Nothing else
 * in the test decides anything (ids from the app are random but only ever looked up). */
uint64_t rng_state;

uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int64_t rnd_range(int64_t lo, int64_t hi) /* inclusive */
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

bool chance(int percent)
{
    return (int)(rnd() % 100) < percent;
}

/* ---------------------------------------------------------------------------------------------
 * The model's own arithmetic: round half to even of a*b/d for a, b >= 0, d > 0, written here
 * again rather than borrowed from core/money.c. */
int64_t rhe(int64_t a, int64_t b, int64_t d)
{
    __int128 n = (__int128)a * b;
    __int128 q = n / d, r = n - q * d;
    if (2 * r > d || (2 * r == d && (q & 1)))
        q++;
    return (int64_t)q;
}

void ivec_push(struct ivec *v, int x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->v = realloc(v->v, v->cap * sizeof *v->v);
        assert_non_null(v->v);
    }
    v->v[v->n++] = x;
}

struct world *W; /* for the failure report */

void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\nPROPERTY FAILURE at step %ld of %ld, seed %llu\n  operation: %s\n  ",
            W->step, W->steps, (unsigned long long)W->seed, W->op);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    /* Keep what was done for a look at the database (each step already ended its savepoint). */
    while (W->s && W->s->tx_depth > 0) {
        struct pd_err err = {0};
        if (store_commit(W->s, &err) < 0)
            break;
    }
    fprintf(stderr,
            "\n  replay: PARTNERD_PROPERTY_SEED=%llu PARTNERD_PROPERTY_STEPS=%ld"
            " build/test_ledger_property\n  database kept at %s\n",
            (unsigned long long)W->seed, W->step + 1, W->db);
    fail_msg("property failed at step %ld (seed %llu)", W->step, (unsigned long long)W->seed);
    abort(); /* not reached: fail_msg jumps out */
}

void expect_eq(const char *what, int64_t got, int64_t want)
{
    if (got != want)
        die("%s: the app has %lld, the model %lld", what, (long long)got, (long long)want);
}

void expect_ok(int rc, const struct pd_err *err, const char *call)
{
    if (rc != 0)
        die("%s failed: %s (param %s)", call, err->message, err->param);
}

void expect_refused(int rc, const struct pd_err *err, enum pd_errkind kind, const char *call)
{
    W->refused++;
    if (rc == 0)
        die("%s succeeded; it must be refused with %d", call, pd_err_http_status(kind));
    if (err->kind != kind)
        die("%s refused with %d (%s); expected %d", call, pd_err_http_status(err->kind),
            err->message, pd_err_http_status(kind));
}

int month_index(int64_t ms)
{
    int64_t y;
    unsigned m, d;
    int64_t days = ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);
    time_civil_from_days(days, &y, &m, &d);
    return (int)(y * 12 + (int64_t)m - 1);
}

int64_t month_start(int month)
{
    return time_days_from_civil(month / 12, (unsigned)(month % 12) + 1, 1) * DAY_MS;
}

int64_t *month_slot(struct world *w, struct mpartner *p, int64_t **arr, int month)
{
    size_t i = (size_t)(month - w->start_month);
    if (i >= p->nmonths) { /* the three arrays grow together */
        size_t n = p->nmonths ? p->nmonths : 16;
        while (n <= i)
            n *= 2;
        int64_t **arrays[3] = {&p->month_rev, &p->month_com, &p->snap};
        for (int k = 0; k < 3; k++) {
            *arrays[k] = realloc(*arrays[k], n * sizeof **arrays[k]);
            assert_non_null(*arrays[k]);
            memset(*arrays[k] + p->nmonths, 0, (n - p->nmonths) * sizeof **arrays[k]);
        }
        p->nmonths = n;
    }
    return &(*arr)[i];
}

static void touch(struct world *w, int partner)
{
    w->touched |= 1u << partner;
}

void touch_com(struct world *w, int ci)
{
    if (w->ntouched_com < (int)(sizeof w->touched_com / sizeof w->touched_com[0]))
        w->touched_com[w->ntouched_com++] = ci;
}

/* One ledger entry in the model. payout: a payout entry (not counted in appr_acc). */
void post(struct world *w, int partner, int64_t pending, int64_t approved, int64_t paid,
          bool payout)
{
    struct mpartner *p = &w->part[partner];
    p->pending += pending;
    p->approved += approved;
    p->paid += paid;
    if (!payout)
        p->appr_acc += approved;
    w->entries++;
    touch(w, partner);
}

/* Moves the clock; on crossing a month's end, keeps what each partner's approved balance was at
 * that end (the payout batch of that month counts entries made before it). */
void set_now(struct world *w, int64_t t)
{
    int m = month_index(t);
    while (w->cur_month < m) {
        for (int i = 0; i < NPROG * NPART; i++) {
            struct mpartner *p = &w->part[i];
            *month_slot(w, p, &p->snap, w->cur_month) = p->appr_acc;
        }
        w->cur_month++;
    }
    w->now = t;
}

struct mcom *new_com(struct world *w)
{
    if (w->ncom == w->capcom) {
        w->capcom = w->capcom ? w->capcom * 2 : 1024;
        w->com = realloc(w->com, w->capcom * sizeof *w->com);
        assert_non_null(w->com);
    }
    struct mcom *c = &w->com[w->ncom++];
    memset(c, 0, sizeof *c);
    c->payout = -1;
    c->conv = -1;
    return c;
}

struct mconv *new_conv(struct world *w)
{
    if (w->nconv == w->capconv) {
        w->capconv = w->capconv ? w->capconv * 2 : 1024;
        w->conv = realloc(w->conv, w->capconv * sizeof *w->conv);
        assert_non_null(w->conv);
    }
    struct mconv *c = &w->conv[w->nconv++];
    memset(c, 0, sizeof *c);
    return c;
}

/* ---------------------------------------------------------------------------------------------
 * Comparing the app with the model. */
void check_partner(struct world *w, int pi)
{
    struct mpartner *p = &w->part[pi];
    int64_t pending, approved, paid;
    struct pd_err err = {0};
    expect_ok(partner_balance(w->s, p->id, &pending, &approved, &paid, &err), &err,
              "partner_balance");
    char what[192];
    snprintf(what, sizeof what, "partner %d.%d pending", p->prog, p->index);
    expect_eq(what, pending, p->pending);
    snprintf(what, sizeof what, "partner %d.%d approved", p->prog, p->index);
    expect_eq(what, approved, p->approved);
    snprintf(what, sizeof what, "partner %d.%d paid", p->prog, p->index);
    expect_eq(what, paid, p->paid);
    /* The running balance row the limits are checked on says the same. */
    struct db_val id = db_text(p->id);
    struct store_cursor cur;
    int rc = store_query_row(w->s,
                             "SELECT pending, approved, paid FROM partner_balances"
                             " WHERE partner_id = ?1",
                             &id, 1, &cur, &err);
    if (rc < 0)
        die("partner_balances: %s", err.message);
    int64_t row[3] = {0, 0, 0};
    for (int i = 0; rc == STORE_ROW && i < 3; i++)
        row[i] = store_col_int(&cur, i);
    if (rc == STORE_ROW)
        store_finish(&cur);
    snprintf(what, sizeof what, "partner %d.%d balance row", p->prog, p->index);
    expect_eq(what, row[0], p->pending);
    expect_eq(what, row[1], p->approved);
    expect_eq(what, row[2], p->paid);
}

void check_commission(struct world *w, int ci)
{
    struct mcom *c = &w->com[ci];
    struct db_val v = db_text(c->id);
    struct store_cursor cur;
    struct pd_err err = {0};
    int rc = store_query_row(w->s,
                             "SELECT partner_id, level, rule_id, rule_version, base, amount,"
                             " reversed, status, COALESCE(payout_id, '') FROM commissions"
                             " WHERE id = ?1",
                             &v, 1, &cur, &err);
    if (rc != STORE_ROW)
        die("commission %d (%s) is not in the database: %s", ci, c->id, err.message);
    char what[192];
    if (strcmp(store_col_text(&cur, 0), w->part[c->partner].id) != 0 ||
        store_col_int(&cur, 1) != c->level || strcmp(store_col_text(&cur, 2), c->rule_id) != 0) {
        char got[160];
        snprintf(got, sizeof got, "%s level %lld rule %s", store_col_text(&cur, 0),
                 (long long)store_col_int(&cur, 1), store_col_text(&cur, 2));
        store_finish(&cur);
        die("commission %d is %s; the model has partner %s level %d rule %s", ci, got,
            w->part[c->partner].id, c->level, c->rule_id);
    }
    int64_t version = store_col_int(&cur, 3), base = store_col_int(&cur, 4),
            amount = store_col_int(&cur, 5), reversed = store_col_int(&cur, 6);
    int status = commission_status_parse(store_col_text(&cur, 7));
    char payout[ID_MAX_LEN];
    snprintf(payout, sizeof payout, "%s", store_col_text(&cur, 8));
    store_finish(&cur);
    snprintf(what, sizeof what, "commission %d (%s, rule %s) rule_version", ci, c->id, c->rule_id);
    expect_eq(what, version, c->version);
    snprintf(what, sizeof what, "commission %d (%s, rule %s) base", ci, c->id, c->rule_id);
    expect_eq(what, base, c->base);
    snprintf(what, sizeof what, "commission %d (%s, rule %s) amount", ci, c->id, c->rule_id);
    expect_eq(what, amount, c->amount);
    snprintf(what, sizeof what, "commission %d (%s, rule %s) reversed", ci, c->id, c->rule_id);
    expect_eq(what, reversed, c->reversed);
    if (status != (int)c->status)
        die("commission %d (%s) is %s; the model says %s", ci, c->id,
            commission_status_name((enum commission_status)status),
            commission_status_name(c->status));
    const char *want_payout = c->payout >= 0 ? w->pay[c->payout].id : "";
    if (strcmp(payout, want_payout) != 0)
        die("commission %d (%s) has payout_id '%s'; the model says '%s'", ci, c->id, payout,
            want_payout);
}

void check_entries(struct world *w)
{
    int64_t n = -1;
    struct pd_err err = {0};
    expect_ok(store_query_int(w->s, "SELECT COUNT(*) FROM ledger_entries", NULL, 0, -1, &n, &err),
              &err, "count ledger entries");
    expect_eq("ledger entries", n, w->entries);
}

void check_invariants(struct world *w)
{
    struct invariant_report r;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    int rc = invariants_check(w->s, out, &r);
    fclose(out);
    if (rc != 0) {
        fprintf(stderr, "%s", text);
        free(text);
        die("%d ledger invariant(s) fail, %d could not be checked", r.failed, r.errors);
    }
    free(text);
    check_entries(w);
}
