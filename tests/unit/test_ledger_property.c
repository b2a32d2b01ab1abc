/* A seeded, model-based property test of the money side (DESIGN §4, §5, issue 3 "Proof").
 *
 * Random operations run against a real SQLite database through the app functions the server uses
 * (conversion_record, refund_record, lead_record, commission_approve/reject,
 * commissions_approve_due, payout_create/mark_paid/write_csv, program_save for rule edits), each
 * in its own savepoint inside a group transaction like the writer thread's. Next to it an
 * independent in-memory model computes, with plain int64 arithmetic straight from the DESIGN
 * rules, what every partner's pending / approved / paid balance and every commission's amount,
 * reversed part, status and payout must be. After every step the touched partners and
 * commissions are compared with the model; every 500 steps and at the end every ledger invariant
 * (invariants_check) must hold and the ledger must have exactly the entries the model posted.
 * Among the orders: items that must add up to the amount, orders the app must refuse whole
 * (items that do not, amounts above 10^15), orders near 10^15, and orders through a click, so
 * the commission rollups are checked on link rows as well as link-less ones.
 *
 *   PARTNERD_PROPERTY_STEPS  number of steps (default 3000; `make soak` runs 100000)
 *   PARTNERD_PROPERTY_SEED   the seed (default: from the clock; ctest sets fixed ones); printed
 *
 * A failure prints the seed, the step and the command line that replays it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "app/clicks.h"
#include "app/conversions.h"
#include "app/invariants.h"
#include "app/lifecycle.h"
#include "app/payouts.h"
#include "app/partners.h" /* and app/records.h */
#include "core/ids.h"
#include "core/ledger.h"
#include "core/money.h"
#include "core/rules_json.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/timefmt.h"

#define DAY_MS (86400LL * 1000)
#define HOUR_MS (3600LL * 1000)
#define NPROG 2
#define NPART 8 /* partners per program */
#define MAX_RULES 12
#define MAX_ITEMS 4
#define MAX_COM_PER_CONV 24
#define CHECK_EVERY 500
#define COMMIT_EVERY 100

/* ---------------------------------------------------------------------------------------------
 * The random source: splitmix64, so one seed replays the same operations exactly. Nothing else
 * in the test decides anything (ids from the app are random but only ever looked up). */
static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t rnd_range(int64_t lo, int64_t hi) /* inclusive */
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static bool chance(int percent)
{
    return (int)(rnd() % 100) < percent;
}

/* ---------------------------------------------------------------------------------------------
 * The model's own arithmetic: round half to even of a*b/d for a, b >= 0, d > 0, written here
 * again rather than borrowed from core/money.c. */
static int64_t rhe(int64_t a, int64_t b, int64_t d)
{
    __int128 n = (__int128)a * b;
    __int128 q = n / d, r = n - q * d;
    if (2 * r > d || (2 * r == d && (q & 1)))
        q++;
    return (int64_t)q;
}

/* ---------------------------------------------------------------------------------------------
 * The model. */
struct ivec {
    int *v;
    size_t n, cap;
};

static void ivec_push(struct ivec *v, int x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->v = realloc(v->v, v->cap * sizeof *v->v);
        assert_non_null(v->v);
    }
    v->v[v->n++] = x;
}

struct mrule {
    char id[16];
    enum rule_type type;
    int64_t bps, amount;
    int ntiers;
    int64_t from[3], tbps[3];
    int partner; /* index in the program, -1 any */
    const char *group, *sku, *category;
    int first_purchase; /* -1 any */
    int64_t min_amount; /* -1 none */
};

struct mruleset {
    struct mrule r[MAX_RULES];
    int n;
};

struct mprog {
    char id[ID_MAX_LEN];
    const char *currency;
    const char *hosts_json;
    int hold_days, parent_bps, parent_levels;
    int64_t min_payout, cap;
    int version;
    struct mruleset rules;
    char **texts; /* the rules JSON of each version (index = version) */
    int ntexts;
    int last_batched;      /* month index of the last batch */
    int last_payout;       /* index in w->pay or -1 */
    struct ivec pending_q; /* commissions in creation order (hold_until ascending) */
    size_t pending_head;
    struct ivec untagged; /* approved commissions without a payout */
    int order_seq;
    int64_t large; /* the amounts of its orders near MONEY_MAX_AMOUNT so far */
};

struct mpartner {
    char id[ID_MAX_LEN], ref[24], email[48];
    int prog, index, parent; /* parent: global partner index or -1 */
    const char *group;
    bool active;
    int64_t pending, approved, paid;
    int64_t appr_acc;                      /* approved moved by every entry except payouts */
    int64_t items_total;                   /* all payout items ever batched for this partner */
    int64_t *month_rev, *month_com, *snap; /* per month since the start month */
    size_t nmonths;
};

struct mconv {
    char order[24];
    int prog, partner; /* partner: global index or -1 */
    int64_t amount, refunded;
    int month;
    int com[MAX_COM_PER_CONV];
    int ncom;
};

struct mcom {
    char id[ID_MAX_LEN];
    int prog, partner, conv, level, version, payout;
    char rule_id[24];
    int64_t base, amount, reversed, hold_until, approved_at;
    enum commission_status status;
};

struct mpayout {
    char id[ID_MAX_LEN];
    int prog, month;
    bool paid;
    int nitems;
    int item_partner[NPART];
    int64_t item_amount[NPART];
    int64_t total;
    struct ivec tagged;
};

struct world {
    uint64_t seed;
    long step, steps;
    struct store *s;
    char dir[64], db[160];
    struct arena a;
    int64_t now, start;
    int start_month, cur_month;
    struct mprog prog[NPROG];
    struct mpartner part[NPROG * NPART];
    struct mconv *conv;
    size_t nconv, capconv;
    struct mcom *com;
    size_t ncom, capcom;
    struct mpayout *pay;
    size_t npay, cappay;
    int customers[NPROG][NPART][4];
    int64_t entries; /* ledger entries the model posted */
    uint32_t touched;
    int touched_com[256];
    int ntouched_com;
    char op[320];
    long ops[16];
    /* How often the interesting cases came up, printed at the end. */
    long caps_cut, parent_shares, clawbacks, negative_carried, refused, half_even, large;
};

static struct world *W; /* for the failure report */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
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

static void expect_eq(const char *what, int64_t got, int64_t want)
{
    if (got != want)
        die("%s: the app has %lld, the model %lld", what, (long long)got, (long long)want);
}

static void expect_ok(int rc, const struct pd_err *err, const char *call)
{
    if (rc != 0)
        die("%s failed: %s (param %s)", call, err->message, err->param);
}

static void expect_refused(int rc, const struct pd_err *err, enum pd_errkind kind, const char *call)
{
    W->refused++;
    if (rc == 0)
        die("%s succeeded; it must be refused with %d", call, pd_err_http_status(kind));
    if (err->kind != kind)
        die("%s refused with %d (%s); expected %d", call, pd_err_http_status(err->kind),
            err->message, pd_err_http_status(kind));
}

static int month_index(int64_t ms)
{
    int64_t y;
    unsigned m, d;
    int64_t days = ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);
    time_civil_from_days(days, &y, &m, &d);
    return (int)(y * 12 + (int64_t)m - 1);
}

static int64_t month_start(int month)
{
    return time_days_from_civil(month / 12, (unsigned)(month % 12) + 1, 1) * DAY_MS;
}

static int64_t *month_slot(struct world *w, struct mpartner *p, int64_t **arr, int month)
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

static void touch_com(struct world *w, int ci)
{
    if (w->ntouched_com < (int)(sizeof w->touched_com / sizeof w->touched_com[0]))
        w->touched_com[w->ntouched_com++] = ci;
}

/* One ledger entry in the model. payout: a payout entry (not counted in appr_acc). */
static void post(struct world *w, int partner, int64_t pending, int64_t approved, int64_t paid,
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
static void set_now(struct world *w, int64_t t)
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

static struct mcom *new_com(struct world *w)
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

static struct mconv *new_conv(struct world *w)
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
static void check_partner(struct world *w, int pi)
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

static void check_commission(struct world *w, int ci)
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

static void check_entries(struct world *w)
{
    int64_t n = -1;
    struct pd_err err = {0};
    expect_ok(store_query_int(w->s, "SELECT COUNT(*) FROM ledger_entries", NULL, 0, -1, &n, &err),
              &err, "count ledger entries");
    expect_eq("ledger entries", n, w->entries);
}

static void check_invariants(struct world *w)
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

/* ---------------------------------------------------------------------------------------------
 * Rules: random rule sets, as the model's structs and as the JSON the app parses. */
static const int64_t bps_choices[] = {0, 1, 250, 333, 500, 1000, 1250, 1999, 2500, 5000, 10000};

static int64_t any_bps(void)
{
    return bps_choices[rnd() % (sizeof bps_choices / sizeof bps_choices[0])];
}

static struct mrule *add_rule(struct mruleset *rs, const char *id, enum rule_type type)
{
    struct mrule *r = &rs->r[rs->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    r->type = type;
    r->partner = -1;
    r->first_purchase = -1;
    r->min_amount = -1;
    return r;
}

static void gen_rules(struct world *w, int pg, struct mruleset *rs)
{
    rs->n = 0;
    if (!chance(8)) {
        struct mrule *r = add_rule(rs, "base", RULE_PERCENT);
        if (chance(40)) {
            r->ntiers = (int)rnd_range(2, 3);
            r->from[0] = chance(25) ? 20000 : 0; /* below the first tier: 0 bps */
            r->tbps[0] = any_bps();
            for (int t = 1; t < r->ntiers; t++) {
                r->from[t] = r->from[t - 1] + rnd_range(1, 6) * 30000;
                r->tbps[t] = any_bps();
            }
        } else {
            r->bps = any_bps();
        }
    }
    if (chance(60)) {
        struct mrule *r = add_rule(rs, "shoes", RULE_PERCENT);
        r->category = "shoes";
        r->bps = any_bps();
    }
    if (chance(50)) {
        static const int64_t flats[] = {0, 1, 99, 250, 500};
        struct mrule *r = add_rule(rs, "gift", RULE_FLAT);
        r->sku = "GIFT";
        r->amount = flats[rnd() % 5];
    }
    if (chance(40)) {
        struct mrule *r = add_rule(rs, "vip", RULE_PERCENT);
        r->group = "vip";
        r->bps = any_bps();
    }
    if (chance(30)) {
        struct mrule *r = add_rule(rs, "vipshoes", RULE_PERCENT);
        r->group = "vip";
        r->category = "shoes";
        r->bps = any_bps();
    }
    if (chance(40)) {
        bool flat = chance(40);
        struct mrule *r = add_rule(rs, "partner", flat ? RULE_FLAT : RULE_PERCENT);
        r->partner = (int)(rnd() % NPART);
        if (flat)
            r->amount = rnd_range(1, 2000);
        else
            r->bps = any_bps();
    }
    if (chance(30)) {
        struct mrule *r = add_rule(rs, "repeat", RULE_PERCENT);
        r->first_purchase = 0;
        r->bps = any_bps();
    }
    if (chance(30)) {
        struct mrule *r = add_rule(rs, "welcome", RULE_FLAT);
        r->first_purchase = 1;
        r->amount = rnd_range(1, 3000);
    }
    if (chance(30)) {
        struct mrule *r = add_rule(rs, "big", RULE_PERCENT);
        r->min_amount = 50000;
        r->bps = any_bps();
    }
    if (chance(50))
        add_rule(rs, "lead", RULE_LEAD)->amount = rnd_range(0, 800);
    if (chance(30)) {
        struct mrule *r = add_rule(rs, "viplead", RULE_LEAD);
        r->group = "vip";
        r->amount = rnd_range(1, 800);
    }
    /* Shuffle: ties go to the rule listed first. */
    for (int i = rs->n - 1; i > 0; i--) {
        int j = (int)(rnd() % (uint64_t)(i + 1));
        struct mrule t = rs->r[i];
        rs->r[i] = rs->r[j];
        rs->r[j] = t;
    }
    (void)w;
    (void)pg;
}

static char *rules_text(struct world *w, int pg, const struct mruleset *rs)
{
    json_t *arr = json_array();
    for (int i = 0; i < rs->n; i++) {
        const struct mrule *r = &rs->r[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(r->id));
        json_object_set_new(o, "type",
                            json_string(r->type == RULE_PERCENT ? "percent"
                                        : r->type == RULE_FLAT  ? "flat"
                                                                : "lead"));
        if (r->type == RULE_PERCENT && r->ntiers) {
            json_t *tiers = json_array();
            for (int t = 0; t < r->ntiers; t++)
                json_array_append_new(tiers, json_pack("{s:I, s:I}", "from", (json_int_t)r->from[t],
                                                       "bps", (json_int_t)r->tbps[t]));
            json_object_set_new(o, "tiers", tiers);
        } else if (r->type == RULE_PERCENT) {
            json_object_set_new(o, "bps", json_integer(r->bps));
        } else {
            json_object_set_new(o, "amount", json_integer(r->amount));
        }
        json_t *m = json_object();
        if (r->partner >= 0)
            json_object_set_new(m, "partner_id", json_string(w->part[pg * NPART + r->partner].id));
        if (r->group)
            json_object_set_new(m, "group", json_string(r->group));
        if (r->sku)
            json_object_set_new(m, "sku", json_string(r->sku));
        if (r->category)
            json_object_set_new(m, "category", json_string(r->category));
        if (r->first_purchase >= 0)
            json_object_set_new(m, "first_purchase", json_boolean(r->first_purchase));
        if (r->min_amount >= 0)
            json_object_set_new(m, "min_amount", json_integer(r->min_amount));
        if (json_object_size(m))
            json_object_set_new(o, "match", m);
        else
            json_decref(m);
        json_array_append_new(arr, o);
    }
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return text;
}

/* Saves the program's current model rules as a new version (or the first). */
static void save_rules(struct world *w, int pg, bool creating)
{
    struct mprog *P = &w->prog[pg];
    char *text = rules_text(w, pg, &P->rules);
    struct pd_err err = {0};
    struct program p;
    if (creating) {
        memset(&p, 0, sizeof p);
        p.id = P->id;
        p.name = pg == 0 ? "Property Shop USD" : "Property Shop JPY";
        p.currency = currency_find(P->currency);
        p.default_url = "https://shop.example/";
        p.click_param = "pd_click";
        p.attribution_window_days = 30;
        p.hold_days = P->hold_days;
        p.min_payout = P->min_payout;
        p.model = ATTR_LAST_CLICK;
        p.recurring_months = -1;
        p.parent_bps = P->parent_bps;
        p.parent_levels = P->parent_levels;
        p.monthly_cap = P->cap;
        p.created_at = w->now;
    } else {
        assert_int_equal(program_load(w->s, P->id, &w->a, &p, &err), 0);
    }
    json_t *rules = json_loads(text, 0, NULL);
    assert_non_null(rules);
    int rc = rules_from_json(rules, &w->a, &p.rules, &err);
    json_decref(rules);
    expect_ok(rc, &err, "rules_from_json");
    P->version = creating ? 1 : P->version + 1;
    p.rules.version = P->version;
    p.rules_json = arena_strdup(&w->a, text);
    p.updated_at = w->now;
    expect_ok(program_save(w->s, &p, P->hosts_json, creating, &err), &err, "program_save");
    P->texts = realloc(P->texts, (size_t)(P->version + 1) * sizeof *P->texts);
    assert_non_null(P->texts);
    for (int v = P->ntexts; v < P->version; v++)
        P->texts[v] = NULL; /* there is no version 0 */
    P->texts[P->version] = strdup(text);
    P->ntexts = P->version + 1;
    free(text);
}

/* ---------------------------------------------------------------------------------------------
 * The model's commission computation (DESIGN §4 and src/core/commission.c's documented choices:
 * most specific rule, tiers on the month's revenue before the order, items as lines, flat once
 * per conversion, caps cut the last lines first). */
struct mitem {
    const char *sku, *category;
    int64_t amount, quantity;
};

struct mline {
    int rule;
    int64_t base, amount;
};

static int score(const struct mrule *r)
{
    return (r->partner >= 0 ? 4 : 0) + (r->group ? 2 : 0) + ((r->sku || r->category) ? 1 : 0);
}

static bool str_is(const char *want, const char *have)
{
    return have && strcmp(want, have) == 0;
}

static int best_rule(const struct mruleset *rs, const struct mpartner *p, const char *sku,
                     const char *category, bool first, int64_t order_amount)
{
    int best = -1, best_score = -1;
    for (int i = 0; i < rs->n; i++) {
        const struct mrule *r = &rs->r[i];
        if (r->type == RULE_LEAD)
            continue;
        if (r->partner >= 0 && r->partner != p->index)
            continue;
        if (r->group && !str_is(r->group, p->group))
            continue;
        if (r->sku && !str_is(r->sku, sku))
            continue;
        if (r->category && !str_is(r->category, category))
            continue;
        if (r->first_purchase >= 0 && (r->first_purchase == 1) != first)
            continue;
        if (r->min_amount >= 0 && order_amount < r->min_amount)
            continue;
        if (score(r) > best_score) {
            best_score = score(r);
            best = i;
        }
    }
    return best;
}

static int64_t tier_bps(const struct mrule *r, int64_t revenue_before)
{
    if (!r->ntiers)
        return r->bps;
    int64_t bps = 0;
    for (int t = 0; t < r->ntiers; t++)
        if (r->from[t] <= revenue_before)
            bps = r->tbps[t];
    return bps;
}

static void add_to_line(struct mline *lines, int *nlines, const struct mruleset *rs, int rule,
                        int64_t base, int64_t revenue_before)
{
    struct mline *l = NULL;
    for (int i = 0; i < *nlines; i++)
        if (lines[i].rule == rule)
            l = &lines[i];
    if (!l) {
        l = &lines[(*nlines)++];
        *l = (struct mline){.rule = rule};
    }
    l->base += base;
    const struct mrule *r = &rs->r[rule];
    if (r->type == RULE_FLAT)
        l->amount = r->amount;
    else
        l->amount += rhe(base, tier_bps(r, revenue_before), 10000);
}

/* ---------------------------------------------------------------------------------------------
 * Operations. */
static void tx_begin(struct world *w)
{
    struct pd_err err = {0};
    expect_ok(store_begin(w->s, &err), &err, "store_begin");
}

static void tx_end(struct world *w, int rc)
{
    struct pd_err err = {0};
    if (rc == 0)
        expect_ok(store_commit(w->s, &err), &err, "store_commit");
    else
        store_rollback(w->s);
}

static int pick_recent(size_t n)
{
    if (chance(70)) {
        size_t window = n < 64 ? n : 64;
        return (int)(n - 1 - rnd() % window);
    }
    return (int)(rnd() % n);
}

static void create_commission_row(struct world *w, int pg, int partner, int conv, int level,
                                  const char *rule_id, int64_t base, int64_t amount)
{
    struct mprog *P = &w->prog[pg];
    struct mcom *c = new_com(w);
    int ci = (int)(w->ncom - 1);
    c->prog = pg;
    c->partner = partner;
    c->conv = conv;
    c->level = level;
    c->version = P->version;
    snprintf(c->rule_id, sizeof c->rule_id, "%s", rule_id);
    c->base = base;
    c->amount = amount;
    c->status = COMMISSION_PENDING;
    c->hold_until = w->now + (int64_t)P->hold_days * DAY_MS;
    ivec_push(&P->pending_q, ci);
    if (conv >= 0) {
        struct mconv *cv = &w->conv[conv];
        assert_true(cv->ncom < MAX_COM_PER_CONV);
        cv->com[cv->ncom++] = ci;
    }
    post(w, partner, amount, 0, 0, false);
    touch_com(w, ci);
}

/* Finds the app's commission that the model's commission ci is (same partner, level, rule). */
static void bind_commission_id(struct world *w, int ci, json_t *list, bool *used)
{
    struct mcom *c = &w->com[ci];
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        if (used[i])
            continue;
        if (strcmp(json_string_value(json_object_get(o, "partner_id")), w->part[c->partner].id) ==
                0 &&
            json_integer_value(json_object_get(o, "level")) == c->level &&
            strcmp(json_string_value(json_object_get(o, "rule_id")), c->rule_id) == 0) {
            used[i] = true;
            snprintf(c->id, sizeof c->id, "%s", json_string_value(json_object_get(o, "id")));
            return;
        }
    }
    die("the app made no commission for partner %s level %d rule %s (amount %lld)",
        w->part[c->partner].id, c->level, c->rule_id, (long long)c->amount);
}

/* conversion_record in its own transaction, as the writer runs it. */
static int record_conversion(struct world *w, const struct conversion_input *in, int *status,
                             json_t **out, struct pd_err *err)
{
    tx_begin(w);
    int rc = conversion_record(w->s, in, w->now, &w->a, status, out, err);
    tx_end(w, rc);
    return rc;
}

/* A visitor's click on the partner's default link, now. */
static const char *record_click(struct world *w, const struct mpartner *p)
{
    static const uint8_t fingerprint_key[16] = {7};
    struct pd_err err = {0};
    struct link_target t;
    if (link_target_load(w->s, p->ref, &w->a, &t, &err) != 0)
        die("link_target_load %s: %s", p->ref, err.message);
    struct click *c = arena_alloc(&w->a, sizeof *c);
    click_prepare(c, &t, fingerprint_key, NULL, "203.0.113.9",
                  "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", NULL,
                  NULL, NULL, w->now, &w->a);
    tx_begin(w);
    int rc = click_record(w->s, c, &err);
    tx_end(w, rc);
    expect_ok(rc, &err, "click_record");
    return c->id;
}

/* Now and then an order the app must refuse whole, before anything of it is modelled: items
 * that do not add up to the amount, or an amount above MONEY_MAX_AMOUNT. Returns true when it
 * sent one (the ledger's entry count, checked later, proves nothing was written). */
static bool refused_order(struct world *w, int pg, int64_t amount,
                          struct commission_item *items, size_t nitems)
{
    bool bad_items = nitems && chance(3);
    if (!bad_items && !chance(1))
        return false;
    struct mprog *P = &w->prog[pg];
    char order[32];
    snprintf(order, sizeof order, "bad%d-%d", pg, ++P->order_seq);
    struct conversion_input in = {.program_id = P->id,
                                  .order_id = order,
                                  .amount = bad_items ? amount + 1 : MONEY_MAX_AMOUNT + amount,
                                  .currency = P->currency,
                                  .ref = w->part[pg * NPART].ref,
                                  .items = bad_items ? items : NULL,
                                  .nitems = bad_items ? nitems : 0};
    snprintf(in.request_hash, sizeof in.request_hash, "h-%s", order);
    snprintf(w->op, sizeof w->op, "refused order %s of %lld (%s)", order, (long long)in.amount,
             bad_items ? "items off by one" : "above the maximum");
    struct pd_err err = {0};
    json_t *out = NULL;
    int status = 0;
    int rc = record_conversion(w, &in, &status, &out, &err);
    json_decref(out);
    expect_refused(rc, &err, PD_ERR_UNPROCESSABLE, "conversion_record");
    if (strcmp(err.param, bad_items ? "items" : "amount") != 0)
        die("refused naming %s, not %s", err.param, bad_items ? "items" : "amount");
    return true;
}

static void op_conversion(struct world *w)
{
    int pg = (int)(rnd() % NPROG);
    struct mprog *P = &w->prog[pg];
    int pidx = chance(5) ? -1 : (int)(rnd() % NPART);
    int gi = pidx >= 0 ? pg * NPART + pidx : -1;
    struct mpartner *p = gi >= 0 ? &w->part[gi] : NULL;
    bool self = p && chance(3);
    char customer[32];
    int k = -1;
    if (p && chance(70)) {
        k = (int)(rnd() % 4);
        snprintf(customer, sizeof customer, "c%d-%d-%d", pg, pidx, k);
    }
    static const char *const skus[] = {"GIFT", "SKU1", "SKU2", "SKU3"};
    static const char *const categories[] = {"shoes", "apparel", NULL};
    struct commission_item items[MAX_ITEMS + 1];
    struct mitem mitems[MAX_ITEMS + 1];
    size_t nitems = 0;
    int64_t amount;
    if (chance(50)) {
        nitems = (size_t)rnd_range(1, MAX_ITEMS);
        if (chance(50))
            nitems++; /* shipping: an item of its own, matched like any other */
        amount = 0;
        for (size_t i = 0; i < nitems; i++) {
            bool shipping = i == MAX_ITEMS || (i == nitems - 1 && nitems > 1 && chance(50));
            mitems[i].sku = shipping ? "SHIP" : skus[rnd() % 4];
            mitems[i].category = shipping ? NULL : categories[rnd() % 3];
            mitems[i].amount = chance(20) ? rnd_range(0, 99) : rnd_range(100, 30000);
            mitems[i].quantity = shipping ? 1 : rnd_range(1, 3);
            items[i] = (struct commission_item){.sku = mitems[i].sku,
                                                .category = mitems[i].category,
                                                .amount = mitems[i].amount,
                                                .quantity = mitems[i].quantity};
            amount += mitems[i].amount * mitems[i].quantity;
        }
    } else {
        amount = chance(30) ? rnd_range(1, 999) : rnd_range(1000, 250000);
        /* Now and then an order near the largest amount, while a program's such orders stay
         * within a quarter of MONEY_MAX_TOTAL: no balance or rollup made from them (commissions
         * of at most 100 %, parents' shares of at most half) can reach a limit, so none is
         * refused, and the model's 128-bit arithmetic meets the app's at 10^15. */
        if (chance(2) && P->large + MONEY_MAX_AMOUNT <= MONEY_MAX_TOTAL / 4) {
            amount = rnd_range(MONEY_MAX_AMOUNT / 2, MONEY_MAX_AMOUNT);
            P->large += amount;
            w->large++;
        }
    }
    if (refused_order(w, pg, amount, nitems ? items : NULL, nitems))
        return;
    struct mconv *cv = new_conv(w);
    int convi = (int)(w->nconv - 1);
    snprintf(cv->order, sizeof cv->order, "o%d-%d", pg, ++P->order_seq);
    /* Some orders arrive late, dated (occurred_at) up to 45 days back, maybe in an earlier
     * month: tiers, caps and rollups then count in that month. */
    int64_t occurred = w->now;
    if (chance(10)) {
        occurred = w->now - rnd_range(60 * 1000, 45 * DAY_MS);
        if (occurred < w->start)
            occurred = w->start;
    }
    int month = month_index(occurred);
    cv->prog = pg;
    cv->amount = amount;
    cv->month = month;
    bool attributed = p && p->active;
    cv->partner = attributed ? gi : -1;
    snprintf(w->op, sizeof w->op,
             "conversion %s of %lld %s, partner %d.%d%s, %zu items, customer %s, %s", cv->order,
             (long long)amount, P->currency, pg, pidx, self ? " (self-referral)" : "", nitems,
             k >= 0 ? customer : "-", occurred == w->now ? "now" : "dated earlier");

    /* The model. */
    bool first = k < 0 || w->customers[pg][pidx][k] == 0;
    if (k >= 0)
        w->customers[pg][pidx][k]++;
    if (attributed) {
        int64_t *rev = month_slot(w, p, &p->month_rev, month);
        int64_t revenue_before = *rev;
        *rev += amount;
        if (!self) {
            struct mline lines[MAX_RULES];
            int nlines = 0;
            if (nitems) {
                for (size_t i = 0; i < nitems; i++) {
                    int r =
                        best_rule(&P->rules, p, mitems[i].sku, mitems[i].category, first, amount);
                    if (r >= 0)
                        add_to_line(lines, &nlines, &P->rules, r,
                                    mitems[i].amount * mitems[i].quantity, revenue_before);
                }
            } else {
                int r = best_rule(&P->rules, p, NULL, NULL, first, amount);
                if (r >= 0)
                    add_to_line(lines, &nlines, &P->rules, r, amount, revenue_before);
            }
            /* Lines that pay nothing are dropped before the cap. */
            int n = 0;
            int64_t total = 0;
            for (int i = 0; i < nlines; i++)
                if (lines[i].amount != 0) {
                    lines[n++] = lines[i];
                    total += lines[i].amount;
                }
            int64_t *earned = month_slot(w, p, &p->month_com, month);
            if (P->cap >= 0) {
                int64_t room = P->cap - *earned > 0 ? P->cap - *earned : 0;
                if (total > room) {
                    w->caps_cut++;
                    int64_t left = total - room;
                    for (int i = n - 1; i >= 0 && left > 0; i--) {
                        int64_t take = lines[i].amount < left ? lines[i].amount : left;
                        lines[i].amount -= take;
                        left -= take;
                    }
                    total = room;
                }
            }
            for (int i = 0; i < n; i++)
                if (lines[i].amount > 0)
                    create_commission_row(w, pg, gi, convi, 0, P->rules.r[lines[i].rule].id,
                                          lines[i].base, lines[i].amount);
            *earned += total;
            /* Multi-tier: each ancestor up to parent_levels earns parent_bps of the level below;
             * a suspended one is skipped but the chain goes on through it. */
            if (total > 0 && P->parent_bps > 0) {
                int64_t child = total;
                int anc = p->parent;
                for (int level = 1; level <= P->parent_levels && anc >= 0; level++) {
                    struct mpartner *a = &w->part[anc];
                    int64_t share = rhe(child, P->parent_bps, 10000);
                    if (share <= 0)
                        break;
                    if (a->active) {
                        char rid[24];
                        snprintf(rid, sizeof rid, "parent:%d", level);
                        create_commission_row(w, pg, anc, convi, level, rid, child, share);
                        w->parent_shares++;
                        w->half_even += ((__int128)child * P->parent_bps) % 10000 == 5000;
                        *month_slot(w, a, &a->month_com, month) += share;
                    }
                    child = share;
                    anc = a->parent;
                }
            }
        }
    }

    /* The app. Some orders name the partner by a click on its link: the partner's own
     * commission is then on that link's rollup row, its parents' shares on their own rows. */
    const char *click_id = attributed && occurred == w->now && chance(30) ? record_click(w, p)
                                                                           : NULL;
    struct conversion_input in = {.program_id = P->id,
                                  .order_id = cv->order,
                                  .amount = amount,
                                  .currency = chance(20) ? (pg == 0 ? "usd" : "jpy") : P->currency,
                                  .click_id = click_id,
                                  .ref = click_id ? NULL : p ? p->ref : "nobody",
                                  .customer_id = k >= 0 ? customer : NULL,
                                  .email = self ? p->email : NULL,
                                  .items = nitems ? items : NULL,
                                  .nitems = nitems,
                                  .occurred_at = occurred == w->now ? 0 : occurred};
    snprintf(in.request_hash, sizeof in.request_hash, "h-%s", cv->order);
    struct pd_err err = {0};
    json_t *out = NULL;
    int status = 0;
    int rc = record_conversion(w, &in, &status, &out, &err);
    expect_ok(rc, &err, "conversion_record");
    expect_eq("conversion status", status, 201);
    json_t *pid = json_object_get(out, "partner_id");
    if (attributed != json_is_string(pid) ||
        (attributed && strcmp(json_string_value(pid), p->id) != 0))
        die("conversion attributed to %s; the model says %s",
            json_is_string(pid) ? json_string_value(pid) : "nobody", attributed ? p->id : "nobody");
    json_t *list = json_object_get(out, "commissions");
    expect_eq("commissions made", (int64_t)json_array_size(list), cv->ncom);
    bool used[MAX_COM_PER_CONV] = {false};
    for (int i = 0; i < cv->ncom; i++)
        bind_commission_id(w, cv->com[i], list, used);
    json_decref(out);
}

/* Refund of r on a conversion: each live commission reverses round(C*R/A) - already_reversed. */
static void op_refund(struct world *w)
{
    if (w->nconv == 0)
        return;
    int convi = pick_recent(w->nconv);
    struct mconv *cv = &w->conv[convi];
    struct mprog *P = &w->prog[cv->prog];
    if (cv->amount == 0)
        return;
    int64_t left = cv->amount - cv->refunded;
    int64_t r;
    bool over = left == 0 || chance(8);
    if (over)
        r = left + rnd_range(1, 1000);
    else if (chance(30))
        r = left;
    else if (chance(20))
        r = 1;
    else
        r = rnd_range(1, left);
    snprintf(w->op, sizeof w->op, "refund %lld of %s (amount %lld, refunded %lld)", (long long)r,
             cv->order, (long long)cv->amount, (long long)cv->refunded);
    struct refund_input in = {
        .program_id = P->id, .order_id = cv->order, .amount = r, .reason = "property"};
    struct pd_err err = {0};
    json_t *out = NULL;
    tx_begin(w);
    int rc = refund_record(w->s, &in, w->now, &w->a, &out, &err);
    tx_end(w, rc);
    if (over) {
        expect_refused(rc, &err, PD_ERR_UNPROCESSABLE, "refund beyond the order");
        check_entries(w);
    } else {
        expect_ok(rc, &err, "refund_record");
        int64_t cumulative = cv->refunded + r, total = 0;
        cv->refunded = cumulative;
        if (cv->partner >= 0) {
            struct mpartner *p = &w->part[cv->partner];
            *month_slot(w, p, &p->month_rev, cv->month) -= r;
        }
        for (int i = 0; i < cv->ncom; i++) {
            struct mcom *c = &w->com[cv->com[i]];
            touch_com(w, cv->com[i]);
            if (c->status != COMMISSION_PENDING && c->status != COMMISSION_APPROVED &&
                c->status != COMMISSION_PAID)
                continue;
            int64_t rev = rhe(c->amount, cumulative, cv->amount) - c->reversed;
            if (rev == 0)
                continue;
            if (rev < 0)
                die("the model reverses a negative amount on %s", c->id);
            if (c->status == COMMISSION_PENDING)
                post(w, c->partner, -rev, 0, 0, false);
            else /* approved: a reversal; paid: a claw-back; both from approved */
                post(w, c->partner, 0, -rev, 0, false);
            w->clawbacks += c->status == COMMISSION_PAID;
            w->half_even += ((__int128)c->amount * cumulative) % cv->amount * 2 == cv->amount;
            c->reversed += rev;
            if (c->reversed == c->amount && c->status != COMMISSION_PAID)
                c->status = COMMISSION_REVERSED;
            /* The rollup of what each partner earned this month loses this reversal. */
            struct mpartner *cp = &w->part[c->partner];
            *month_slot(w, cp, &cp->month_com, cv->month) -= rev;
            total += rev;
        }
        expect_eq("commission_reversed",
                  json_integer_value(json_object_get(out, "commission_reversed")), total);
    }
    json_decref(out);
    int64_t refunded = -1;
    struct db_val q[2] = {db_text(P->id), db_text(cv->order)};
    expect_ok(store_query_int(w->s,
                              "SELECT refunded_amount FROM conversions WHERE program_id = ?1"
                              " AND order_id = ?2",
                              q, 2, -1, &refunded, &err),
              &err, "refunded_amount");
    expect_eq("conversion refunded_amount", refunded, cv->refunded);
}

static void approve_in_model(struct world *w, int ci)
{
    struct mcom *c = &w->com[ci];
    int64_t cur = c->amount - c->reversed;
    post(w, c->partner, -cur, cur, 0, false);
    c->status = COMMISSION_APPROVED;
    c->approved_at = w->now;
    ivec_push(&w->prog[c->prog].untagged, ci);
    touch_com(w, ci);
}

static void op_approve(struct world *w)
{
    if (w->ncom == 0)
        return;
    int ci = pick_recent(w->ncom);
    struct mcom *c = &w->com[ci];
    snprintf(w->op, sizeof w->op, "approve commission %d (%s, %s)", ci, c->id,
             commission_status_name(c->status));
    struct pd_err err = {0};
    tx_begin(w);
    int rc = commission_approve(w->s, c->id, w->now, &err);
    tx_end(w, rc);
    if (c->status == COMMISSION_PENDING) {
        expect_ok(rc, &err, "commission_approve");
        approve_in_model(w, ci);
    } else {
        expect_refused(rc, &err, PD_ERR_CONFLICT, "approving a commission that is not pending");
        check_entries(w);
        touch_com(w, ci);
    }
}

static void op_reject(struct world *w)
{
    if (w->ncom == 0)
        return;
    int ci = pick_recent(w->ncom);
    struct mcom *c = &w->com[ci];
    snprintf(w->op, sizeof w->op, "reject commission %d (%s, %s)", ci, c->id,
             commission_status_name(c->status));
    struct pd_err err = {0};
    tx_begin(w);
    int rc = commission_reject(w->s, c->id, "property: fraud", w->now, &err);
    tx_end(w, rc);
    touch_com(w, ci);
    if (c->status == COMMISSION_PENDING || c->status == COMMISSION_APPROVED) {
        expect_ok(rc, &err, "commission_reject");
        int64_t cur = c->amount - c->reversed;
        if (cur != 0) {
            if (c->status == COMMISSION_PENDING)
                post(w, c->partner, -cur, 0, 0, false);
            else
                post(w, c->partner, 0, -cur, 0, false);
        }
        if (c->conv >= 0) {
            struct mpartner *cp = &w->part[c->partner];
            *month_slot(w, cp, &cp->month_com, w->conv[c->conv].month) -= cur;
        }
        c->status = COMMISSION_REJECTED;
    } else {
        expect_refused(rc, &err, PD_ERR_CONFLICT, "rejecting a paid, reversed or rejected one");
        check_entries(w);
    }
}

static void op_approve_due(struct world *w)
{
    int limit = (int)rnd_range(1, 40);
    snprintf(w->op, sizeof w->op, "approve due at %lld (batches of %d)", (long long)w->now, limit);
    int64_t want = 0;
    for (int pg = 0; pg < NPROG; pg++) {
        struct mprog *P = &w->prog[pg];
        while (P->pending_head < P->pending_q.n) {
            int ci = P->pending_q.v[P->pending_head];
            struct mcom *c = &w->com[ci];
            if (c->status == COMMISSION_PENDING) {
                if (c->hold_until > w->now)
                    break;
                approve_in_model(w, ci);
                want++;
            }
            P->pending_head++;
        }
    }
    int64_t got = 0, n;
    struct pd_err err = {0};
    tx_begin(w);
    int rc;
    do {
        rc = commissions_approve_due(w->s, w->now, limit, &n, &err);
        got += n;
    } while (rc == 0 && n == limit);
    tx_end(w, rc);
    expect_ok(rc, &err, "commissions_approve_due");
    expect_eq("commissions approved as due", got, want);
}

static void period_name(int month, char *buf, size_t len)
{
    snprintf(buf, len, "%04d-%02d", month / 12, month % 12 + 1);
}

static void check_payout(struct world *w, int pi)
{
    struct mpayout *y = &w->pay[pi];
    struct pd_err err = {0};
    json_t *j = payout_json(w->s, y->id, true, &err);
    if (!j)
        die("payout_json %s: %s", y->id, err.message);
    expect_eq("payout total", json_integer_value(json_object_get(j, "total")), y->total);
    json_t *items = json_object_get(j, "items");
    if ((int64_t)json_array_size(items) != y->nitems) {
        char *text = json_dumps(j, JSON_COMPACT);
        fprintf(stderr, "payout_json: %s\n", text);
        free(text);
    }
    expect_eq("payout items", (int64_t)json_array_size(items), y->nitems);
    for (int i = 0; i < y->nitems; i++) {
        const char *want = w->part[y->item_partner[i]].id;
        bool found = false;
        size_t k;
        json_t *o;
        json_array_foreach(items, k, o)
        {
            if (strcmp(json_string_value(json_object_get(o, "partner_id")), want) == 0) {
                char what[192];
                snprintf(what, sizeof what, "payout item of partner %d.%d",
                         w->part[y->item_partner[i]].prog, w->part[y->item_partner[i]].index);
                expect_eq(what, json_integer_value(json_object_get(o, "amount")),
                          y->item_amount[i]);
                found = true;
            }
        }
        if (!found)
            die("payout %s has no item for partner %s (the model pays %lld)", y->id, want,
                (long long)y->item_amount[i]);
    }
    const char *status = json_string_value(json_object_get(j, "status"));
    if (strcmp(status, y->paid ? "paid" : "created") != 0)
        die("payout %s is %s", y->id, status);
    json_decref(j);
}

/* The CSV a finance team pays from: one row per item, amounts in the currency's exponent,
 * summing to the batch's total. */
static void check_csv(struct world *w, int pi)
{
    struct mpayout *y = &w->pay[pi];
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    struct pd_err err = {0};
    int rc = payout_write_csv(w->s, y->id, out, NULL, NULL, &err);
    fclose(out);
    expect_ok(rc, &err, "payout_write_csv");
    const struct currency *cur = currency_find(w->prog[y->prog].currency);
    int rows = -1;
    int64_t sum = 0;
    for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        if (rows++ < 0)
            continue; /* the header */
        /* partner_id,name,email,method,account,amount,...: none of ours holds a comma */
        char *field = line;
        for (int f = 0; f < 5 && field; f++) {
            field = strchr(field, ',');
            if (field)
                field++;
        }
        if (!field)
            die("CSV row without an amount: %s", line);
        char amount[48];
        size_t n = strcspn(field, ",");
        snprintf(amount, sizeof amount, "%.*s", (int)n, field);
        int64_t minor;
        if (!money_parse_decimal(amount, cur->exponent, false, &minor))
            die("CSV amount '%s' is not a %s amount", amount, cur->code);
        sum += minor;
    }
    free(text);
    expect_eq("CSV rows", rows, y->nitems);
    expect_eq("CSV total", sum, y->total);
}

static void op_payout_create(struct world *w)
{
    int pg = (int)(rnd() % NPROG);
    struct mprog *P = &w->prog[pg];
    int first = P->last_batched + 1;
    char period[16];
    struct pd_err err = {0};
    const char *id = NULL;
    bool created = true;
    if (first > w->cur_month || chance(8)) {
        /* The same period again returns the same batch; a period not started is refused. */
        bool again = P->last_payout >= 0 && chance(70);
        period_name(again ? P->last_batched : w->cur_month + 1, period, sizeof period);
        snprintf(w->op, sizeof w->op, "payout %s of program %d (%s)", period, pg,
                 again ? "again" : "not started");
        tx_begin(w);
        int rc = payout_create(w->s, P->id, period, w->now, &w->a, &id, &created, NULL, NULL, &err);
        tx_end(w, rc);
        if (again) {
            expect_ok(rc, &err, "payout_create (again)");
            if (created || strcmp(id, w->pay[P->last_payout].id) != 0)
                die("the same period made a new batch %s (first %s)", id,
                    w->pay[P->last_payout].id);
            check_payout(w, P->last_payout);
        } else {
            expect_refused(rc, &err, PD_ERR_UNPROCESSABLE, "payout of a period not started");
        }
        check_entries(w);
        return;
    }
    /* Mostly a month that has ended (as a merchant would), sometimes the current one. */
    int month = first < w->cur_month && chance(80) ? (int)rnd_range(first, w->cur_month - 1)
                                                   : (int)rnd_range(first, w->cur_month);
    period_name(month, period, sizeof period);
    snprintf(w->op, sizeof w->op, "payout %s of program %d", period, pg);
    int64_t end_ms = month_start(month + 1);

    if (w->npay == w->cappay) {
        w->cappay = w->cappay ? w->cappay * 2 : 64;
        w->pay = realloc(w->pay, w->cappay * sizeof *w->pay);
        assert_non_null(w->pay);
    }
    int pi = (int)w->npay++;
    struct mpayout *y = &w->pay[pi];
    memset(y, 0, sizeof *y);
    y->prog = pg;
    y->month = month;
    /* What each partner is paid: the approved balance at the period's end (claw-backs included,
     * so a negative one carries forward) less what earlier batches took, if at least the minimum.
     */
    int64_t min = P->min_payout > 0 ? P->min_payout : 1;
    for (int i = 0; i < NPART; i++) {
        struct mpartner *p = &w->part[pg * NPART + i];
        if (!p->active)
            continue;
        int64_t at_end = month < w->cur_month ? *month_slot(w, p, &p->snap, month) : p->appr_acc;
        int64_t due = at_end - p->items_total;
        w->negative_carried += due < 0;
        if (due >= min) {
            y->item_partner[y->nitems] = pg * NPART + i;
            y->item_amount[y->nitems++] = due;
            y->total += due;
            p->items_total += due;
        }
    }
    /* Approved commissions of the paid partners, approved before the end, join the batch. */
    size_t keep = 0;
    for (size_t k = 0; k < P->untagged.n; k++) {
        int ci = P->untagged.v[k];
        struct mcom *c = &w->com[ci];
        if (c->status != COMMISSION_APPROVED)
            continue;
        bool in_batch = false;
        for (int i = 0; i < y->nitems; i++)
            in_batch |= y->item_partner[i] == c->partner;
        if (in_batch && c->approved_at < end_ms) {
            c->payout = pi;
            ivec_push(&y->tagged, ci);
            touch_com(w, ci);
        } else {
            P->untagged.v[keep++] = ci;
        }
    }
    P->untagged.n = keep;

    tx_begin(w);
    int rc = payout_create(w->s, P->id, period, w->now, &w->a, &id, &created, NULL, NULL, &err);
    tx_end(w, rc);
    expect_ok(rc, &err, "payout_create");
    if (!created)
        die("payout_create found a batch for %s; the model has none", period);
    snprintf(y->id, sizeof y->id, "%s", id);
    P->last_batched = month;
    P->last_payout = pi;
    check_payout(w, pi);
}

static void op_mark_paid(struct world *w)
{
    int pi = -1;
    for (size_t i = 0; i < w->npay; i++)
        if (!w->pay[i].paid) {
            pi = (int)i;
            break;
        }
    struct pd_err err = {0};
    if (pi < 0) {
        if (w->npay == 0)
            return;
        pi = (int)(rnd() % w->npay);
        snprintf(w->op, sizeof w->op, "mark payout %s paid again", w->pay[pi].id);
        tx_begin(w);
        int rc = payout_mark_paid(w->s, w->pay[pi].id, w->now, &err);
        tx_end(w, rc);
        expect_refused(rc, &err, PD_ERR_CONFLICT, "marking a paid payout paid again");
        check_entries(w);
        return;
    }
    struct mpayout *y = &w->pay[pi];
    snprintf(w->op, sizeof w->op, "mark payout %s (program %d, %d items, total %lld) paid", y->id,
             y->prog, y->nitems, (long long)y->total);
    check_csv(w, pi);
    for (int i = 0; i < y->nitems; i++)
        post(w, y->item_partner[i], 0, -y->item_amount[i], y->item_amount[i], true);
    for (size_t k = 0; k < y->tagged.n; k++) {
        struct mcom *c = &w->com[y->tagged.v[k]];
        if (c->status == COMMISSION_APPROVED)
            c->status = COMMISSION_PAID;
        touch_com(w, y->tagged.v[k]);
    }
    y->paid = true;
    tx_begin(w);
    int rc = payout_mark_paid(w->s, y->id, w->now, &err);
    tx_end(w, rc);
    expect_ok(rc, &err, "payout_mark_paid");
    check_payout(w, pi);
}

static void op_rule_edit(struct world *w)
{
    int pg = (int)(rnd() % NPROG);
    struct mprog *P = &w->prog[pg];
    gen_rules(w, pg, &P->rules);
    snprintf(w->op, sizeof w->op, "new rules for program %d (version %d)", pg, P->version + 1);
    tx_begin(w);
    save_rules(w, pg, false);
    tx_end(w, 0);
}

/* A past commission still shows the rule of its own version, whatever was edited since. */
static void op_explain(struct world *w)
{
    if (w->ncom == 0)
        return;
    int ci = (int)(rnd() % w->ncom);
    struct mcom *c = &w->com[ci];
    snprintf(w->op, sizeof w->op, "explain commission %d (%s, rule %s version %d)", ci, c->id,
             c->rule_id, c->version);
    struct pd_err err = {0};
    json_t *j = commission_explained(w->s, c->id, &w->a, &err);
    if (!j)
        die("commission_explained: %s", err.message);
    expect_eq("explained amount", json_integer_value(json_object_get(j, "amount")), c->amount);
    expect_eq("explained reversed", json_integer_value(json_object_get(j, "reversed")),
              c->reversed);
    expect_eq("explained rule_version", json_integer_value(json_object_get(j, "rule_version")),
              c->version);
    json_t *want = json_null();
    if (c->level == 0) {
        json_t *rules = json_loads(w->prog[c->prog].texts[c->version], 0, NULL);
        size_t i;
        json_t *r;
        json_array_foreach(rules, i, r)
        {
            if (strcmp(json_string_value(json_object_get(r, "id")), c->rule_id) == 0)
                want = json_incref(r);
        }
        json_decref(rules);
    }
    json_t *got = json_object_get(j, "rule");
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        char *x = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(stderr, "explained rule %s\nversion's rule %s\n", g, x);
        free(g);
        free(x);
        die("commission %s explains another rule than its version's", c->id);
    }
    json_decref(want);
    json_decref(j);
    touch_com(w, ci);
}

static void op_lead(struct world *w)
{
    int pg = (int)(rnd() % NPROG);
    struct mprog *P = &w->prog[pg];
    int pidx = (int)(rnd() % NPART);
    int gi = pg * NPART + pidx;
    struct mpartner *p = &w->part[gi];
    char customer[32];
    /* A customer of its own: one already bound would be attributed by its binding, and a lead
     * that only repeats a binding is refused. */
    snprintf(customer, sizeof customer, "l%d-%d-%ld", pg, pidx, w->step);
    snprintf(w->op, sizeof w->op, "lead of %s for partner %d.%d", customer, pg, pidx);
    struct lead_input in = {.program_id = P->id, .ref = p->ref, .customer_id = customer};
    struct pd_err err = {0};
    json_t *out = NULL;
    tx_begin(w);
    int rc = lead_record(w->s, &in, w->now, &w->a, &out, &err);
    tx_end(w, rc);
    if (!p->active) {
        expect_refused(rc, &err, PD_ERR_UNPROCESSABLE, "a lead for a suspended partner");
        check_entries(w);
        return;
    }
    expect_ok(rc, &err, "lead_record");
    /* The most specific lead rule (partner > group), the first listed on a tie. */
    int best = -1, best_score = -1;
    for (int i = 0; i < P->rules.n; i++) {
        const struct mrule *r = &P->rules.r[i];
        if (r->type != RULE_LEAD || (r->group && !str_is(r->group, p->group)))
            continue;
        if (score(r) > best_score) {
            best_score = score(r);
            best = i;
        }
    }
    int64_t amount = best >= 0 ? P->rules.r[best].amount : 0;
    struct db_val q = db_text(json_string_value(json_object_get(out, "id")));
    struct store_cursor cur;
    rc = store_query_row(w->s, "SELECT id FROM commissions WHERE lead_id = ?1", &q, 1, &cur, &err);
    if (rc < 0)
        die("lead commission: %s", err.message);
    if ((rc == STORE_ROW) != (amount > 0)) {
        if (rc == STORE_ROW)
            store_finish(&cur);
        die("lead made %s commission; the model pays %lld", rc == STORE_ROW ? "a" : "no",
            (long long)amount);
    }
    if (amount > 0) {
        create_commission_row(w, pg, gi, -1, 0, P->rules.r[best].id, 0, amount);
        snprintf(w->com[w->ncom - 1].id, sizeof w->com[0].id, "%s", store_col_text(&cur, 0));
        store_finish(&cur);
    }
    json_decref(out);
}

/* The same order again: the same body answers 200 with nothing new, another body 409. */
static void op_replay(struct world *w)
{
    if (w->nconv == 0)
        return;
    struct mconv *cv = &w->conv[pick_recent(w->nconv)];
    struct mprog *P = &w->prog[cv->prog];
    bool same = chance(60);
    snprintf(w->op, sizeof w->op, "conversion %s again (%s body)", cv->order,
             same ? "same" : "another");
    struct conversion_input in = {.program_id = P->id,
                                  .order_id = cv->order,
                                  .amount = cv->amount + (same ? 0 : 1),
                                  .currency = P->currency,
                                  .ref = "nobody"};
    snprintf(in.request_hash, sizeof in.request_hash, "%s%s", same ? "h-" : "x-", cv->order);
    struct pd_err err = {0};
    json_t *out = NULL;
    int status = 0;
    int rc = record_conversion(w, &in, &status, &out, &err);
    if (same) {
        expect_ok(rc, &err, "conversion_record (replay)");
        expect_eq("replay status", status, 200);
        expect_eq("replayed commissions",
                  (int64_t)json_array_size(json_object_get(out, "commissions")), cv->ncom);
        json_decref(out);
    } else {
        expect_refused(rc, &err, PD_ERR_CONFLICT, "the same order with another body");
    }
    check_entries(w);
}

static void op_advance(struct world *w)
{
    int64_t d;
    int r = (int)(rnd() % 100);
    if (r < 80)
        d = rnd_range(60 * 1000, 4 * HOUR_MS);
    else if (r < 98)
        d = rnd_range(4 * HOUR_MS, 2 * DAY_MS);
    else
        d = rnd_range(2 * DAY_MS, 35 * DAY_MS);
    snprintf(w->op, sizeof w->op, "time +%lld min", (long long)(d / 60000));
    set_now(w, w->now + d);
}

/* ---------------------------------------------------------------------------------------------
 * Setup. */
static const struct {
    int parent; /* index in the program, -1 none */
    const char *group;
    bool active;
} shape[NPART] = {
    {-1, NULL, true},  /* 0: a root */
    {0, NULL, true},   /* 1: child of 0 */
    {1, NULL, true},   /* 2: grandchild of 0 */
    {2, NULL, true},   /* 3: three levels below 0 */
    {0, "vip", true},  /* 4: a vip under 0 */
    {4, NULL, false},  /* 5: suspended, under 4 */
    {5, NULL, true},   /* 6: under the suspended 5: 5 is skipped, 4 and 0 still earn */
    {-1, "vip", true}, /* 7: a vip root */
};

static void setup_world(struct world *w)
{
    snprintf(w->dir, sizeof w->dir, "/tmp/pd-property-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    snprintf(w->db, sizeof w->db, "%s/property.db", w->dir);
    char url[200];
    snprintf(url, sizeof url, "sqlite:%s", w->db);
    struct pd_err err = {0};
    w->s = store_open(url, false, &err);
    if (!w->s)
        fail_msg("store_open: %s", err.message);
    assert_true(store_migrate(w->s, &err) >= 0);
    /* A test database need not survive a power cut; a page cache that holds it all keeps the
     * soak's SUMs over a growing ledger off the read syscalls. */
    assert_int_equal(
        w->s->ops->exec_script(w->s, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;", &err),
        0);
    arena_init(&w->a, 1 << 16);

    /* Start somewhere in 2026, at a random hour of a random day. */
    int64_t start = time_days_from_civil(2026, (unsigned)rnd_range(1, 12), 1) * DAY_MS +
                    rnd_range(0, 27) * DAY_MS + rnd_range(0, 23) * HOUR_MS;
    w->now = w->start = start;
    w->start_month = w->cur_month = month_index(start);

    tx_begin(w);
    for (int pg = 0; pg < NPROG; pg++) {
        struct mprog *P = &w->prog[pg];
        id_new(P->id, sizeof P->id, "prg_", (uint64_t)w->now);
        P->currency = pg == 0 ? "USD" : "JPY";
        P->hosts_json = "[\"shop.example\"]";
        P->hold_days = pg == 0 ? 7 : 3;
        P->min_payout = pg == 0 ? 5000 : 1000;
        P->parent_bps = pg == 0 ? 2500 : 5000; /* quarters and halves: many exact .5 cases */
        P->parent_levels = pg == 0 ? 3 : 2;
        P->cap = pg == 0 ? -1 : 30000;
        P->last_batched = w->start_month - 1;
        P->last_payout = -1;
        for (int i = 0; i < NPART; i++) {
            struct mpartner *p = &w->part[pg * NPART + i];
            id_new(p->id, sizeof p->id, "ptn_", (uint64_t)w->now);
            snprintf(p->ref, sizeof p->ref, "prop%d%d", pg, i);
            snprintf(p->email, sizeof p->email, "p%d.%d@partners.example", pg, i);
            p->prog = pg;
            p->index = i;
            p->parent = shape[i].parent >= 0 ? pg * NPART + shape[i].parent : -1;
            p->group = shape[i].group;
            p->active = shape[i].active;
        }
        gen_rules(w, pg, &P->rules);
        save_rules(w, pg, true);
        for (int i = 0; i < NPART; i++) {
            struct mpartner *p = &w->part[pg * NPART + i];
            char name[32], method[96];
            snprintf(name, sizeof name, "Partner %d.%d", pg, i);
            snprintf(method, sizeof method, "{\"type\":\"paypal\",\"email\":\"%s\"}", p->email);
            struct partner rec = {.id = p->id,
                                  .program_id = P->id,
                                  .email = p->email,
                                  .name = name,
                                  .ref_code = p->ref,
                                  .parent_id = p->parent >= 0 ? w->part[p->parent].id : NULL,
                                  .group = p->group,
                                  .status = p->active ? "active" : "suspended",
                                  .payout_method = i % 2 ? method : NULL,
                                  .created_at = w->now,
                                  .updated_at = w->now};
            expect_ok(partner_insert(w->s, &rec, "https://shop.example/", NULL, 0, &err), &err,
                      "partner_insert");
        }
    }
    tx_end(w, 0);
}

static void teardown_world(struct world *w, bool remove_files)
{
    if (w->s)
        store_close(w->s);
    arena_free(&w->a);
    for (int pg = 0; pg < NPROG; pg++) {
        for (int v = 0; v < w->prog[pg].ntexts; v++)
            free(w->prog[pg].texts[v]);
        free(w->prog[pg].texts);
        free(w->prog[pg].pending_q.v);
        free(w->prog[pg].untagged.v);
    }
    for (int i = 0; i < NPROG * NPART; i++) {
        free(w->part[i].month_rev);
        free(w->part[i].month_com);
        free(w->part[i].snap);
    }
    for (size_t i = 0; i < w->npay; i++)
        free(w->pay[i].tagged.v);
    free(w->pay);
    free(w->com);
    free(w->conv);
    if (remove_files) {
        const char *suffixes[] = {"", "-wal", "-shm"};
        for (size_t i = 0; i < 3; i++) {
            char path[200];
            snprintf(path, sizeof path, "%s%s", w->db, suffixes[i]);
            unlink(path);
        }
        rmdir(w->dir);
    }
}

static long env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return fallback;
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (*end || n < 0)
        fail_msg("%s must be a non-negative integer", name);
    return n;
}

enum op {
    OP_CONVERSION,
    OP_REFUND,
    OP_APPROVE,
    OP_REJECT,
    OP_APPROVE_DUE,
    OP_ADVANCE,
    OP_PAYOUT,
    OP_PAID,
    OP_RULES,
    OP_EXPLAIN,
    OP_LEAD,
    OP_REPLAY,
    OP_COUNT
};
static const int op_weight[OP_COUNT] = {32, 14, 6, 4, 6, 15, 4, 4, 2, 3, 3, 3};
static const char *const op_name[OP_COUNT] = {"conversion",  "refund",       "approve", "reject",
                                              "approve-due", "advance time", "payout",  "paid",
                                              "rules",       "explain",      "lead",    "replay"};

static void ledger_matches_the_model(void **state)
{
    (void)state;
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    W = w;
    const char *seed_text = getenv("PARTNERD_PROPERTY_SEED");
    if (seed_text && *seed_text) {
        char *end = NULL;
        w->seed = strtoull(seed_text, &end, 10);
        if (*end)
            fail_msg("PARTNERD_PROPERTY_SEED must be an integer");
    } else {
        w->seed = (uint64_t)time_now_ms() ^ ((uint64_t)getpid() << 32);
    }
    w->steps = env_long("PARTNERD_PROPERTY_STEPS", 3000);
    printf("ledger property: seed %llu, %ld steps (replay: PARTNERD_PROPERTY_SEED=%llu "
           "PARTNERD_PROPERTY_STEPS=%ld build/test_ledger_property)\n",
           (unsigned long long)w->seed, w->steps, (unsigned long long)w->seed, w->steps);
    fflush(stdout);
    rng_state = w->seed;
    w->step = -1;
    snprintf(w->op, sizeof w->op, "setup");
    setup_world(w);

    int total_weight = 0;
    for (int i = 0; i < OP_COUNT; i++)
        total_weight += op_weight[i];
    uint64_t t0 = time_mono_us();
    tx_begin(w); /* the group transaction; each operation is a savepoint in it */
    for (w->step = 0; w->step < w->steps; w->step++) {
        w->touched = 0;
        w->ntouched_com = 0;
        set_now(w, w->now + rnd_range(1, 60000));
        int r = (int)(rnd() % (uint64_t)total_weight), op = 0;
        while (r >= op_weight[op])
            r -= op_weight[op++];
        w->ops[op]++;
        switch ((enum op)op) {
        case OP_CONVERSION:
            op_conversion(w);
            break;
        case OP_REFUND:
            op_refund(w);
            break;
        case OP_APPROVE:
            op_approve(w);
            break;
        case OP_REJECT:
            op_reject(w);
            break;
        case OP_APPROVE_DUE:
            op_approve_due(w);
            break;
        case OP_ADVANCE:
            op_advance(w);
            break;
        case OP_PAYOUT:
            op_payout_create(w);
            break;
        case OP_PAID:
            op_mark_paid(w);
            break;
        case OP_RULES:
            op_rule_edit(w);
            break;
        case OP_EXPLAIN:
            op_explain(w);
            break;
        case OP_LEAD:
            op_lead(w);
            break;
        case OP_REPLAY:
            op_replay(w);
            break;
        case OP_COUNT:
            break;
        }
        for (int i = 0; i < NPROG * NPART; i++)
            if (w->touched & (1u << i))
                check_partner(w, i);
        for (int i = 0; i < w->ntouched_com; i++)
            check_commission(w, w->touched_com[i]);
        if ((w->step + 1) % COMMIT_EVERY == 0) {
            tx_end(w, 0);
            tx_begin(w);
        }
        if ((w->step + 1) % 10000 == 0) {
            printf("  %ld steps, %.0f s\n", w->step + 1, (double)(time_mono_us() - t0) / 1e6);
            fflush(stdout);
        }
        if ((w->step + 1) % CHECK_EVERY == 0) {
            snprintf(w->op, sizeof w->op, "checkpoint after step %ld", w->step);
            check_invariants(w);
            for (int i = 0; i < NPROG * NPART; i++)
                check_partner(w, i);
            for (int i = 0; i < 32 && w->ncom; i++)
                check_commission(w, (int)(rnd() % w->ncom));
        }
        arena_reset(&w->a);
    }
    tx_end(w, 0);
    /* At the end: every invariant, every partner, every commission, every batch. */
    snprintf(w->op, sizeof w->op, "final check");
    check_invariants(w);
    for (int i = 0; i < NPROG * NPART; i++)
        check_partner(w, i);
    for (size_t i = 0; i < w->ncom; i++)
        check_commission(w, (int)i);
    for (size_t i = 0; i < w->npay; i++)
        check_payout(w, (int)i);
    double secs = (double)(time_mono_us() - t0) / 1e6;
    printf("ledger property: %ld steps in %.1f s over %d months: %zu conversions, %zu "
           "commissions, %zu payouts, %lld ledger entries\n  ",
           w->steps, secs, w->cur_month - w->start_month + 1, w->nconv, w->ncom, w->npay,
           (long long)w->entries);
    for (int i = 0; i < OP_COUNT; i++)
        printf("%s %ld%s", op_name[i], w->ops[i], i + 1 < OP_COUNT ? ", " : "\n");
    printf("  caps cut %ld, parent shares %ld, claw-backs %ld, negative balances carried %ld,"
           " exact .5 roundings %ld, refused as expected %ld, orders near 10^15 %ld\n",
           w->caps_cut, w->parent_shares, w->clawbacks, w->negative_carried, w->half_even,
           w->refused, w->large);
    teardown_world(w, true);
    free(w);
    W = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ledger_matches_the_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
