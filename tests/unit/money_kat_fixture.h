/* The fixture of the money known-answer tests (test_money_kat*.c): a fresh SQLite database per
 * test, the app functions the server uses to make programs, partners, conversions, refunds and
 * payouts, and the checks of balances. Every test's teardown checks the ledger's invariants. */
#ifndef PD_TESTS_UNIT_MONEY_KAT_FIXTURE_H
#define PD_TESTS_UNIT_MONEY_KAT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "app/conversions.h"
#include "app/invariants.h"
#include "app/lifecycle.h"
#include "app/payouts.h"
#include "app/records.h"
#include "core/ids.h"
#include "core/money.h"
#include "core/rules_json.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/timefmt.h"

#define DAY_MS (86400LL * 1000)

struct kat {
    struct store *s;
    char dir[64], db[160];
    struct arena a;
};

/* Noon UTC of a date. */
static inline int64_t at(int y, int m, int d)
{
    return time_days_from_civil(y, (unsigned)m, (unsigned)d) * DAY_MS + 12 * 3600 * 1000LL;
}

static inline int setup(void **state)
{
    struct kat *k = calloc(1, sizeof *k);
    assert_non_null(k);
    snprintf(k->dir, sizeof k->dir, "/tmp/pd-kat-XXXXXX");
    assert_non_null(mkdtemp(k->dir));
    snprintf(k->db, sizeof k->db, "%s/kat.db", k->dir);
    char url[200];
    snprintf(url, sizeof url, "sqlite:%s", k->db);
    struct pd_err err = {0};
    k->s = store_open(url, false, &err);
    assert_non_null(k->s);
    assert_true(store_migrate(k->s, &err) >= 0);
    assert_int_equal(k->s->ops->exec_script(k->s, "PRAGMA synchronous=OFF;", &err), 0);
    arena_init(&k->a, 1 << 16);
    *state = k;
    return 0;
}

static inline int teardown(void **state)
{
    struct kat *k = *state;
    /* Whatever a test did, the ledger's invariants hold afterwards. */
    struct invariant_report r;
    int rc = invariants_check(k->s, NULL, &r);
    if (rc != 0)
        invariants_check(k->s, stderr, &r);
    store_close(k->s);
    arena_free(&k->a);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char path[200];
        snprintf(path, sizeof path, "%s%s", k->db, suffixes[i]);
        unlink(path);
    }
    rmdir(k->dir);
    free(k);
    return rc == 0 ? 0 : -1;
}

struct program_spec {
    const char *currency, *rules;
    int parent_bps, parent_levels, hold_days;
    int64_t cap, min_payout; /* cap < 0: none */
};

static inline const char *make_program(struct kat *k, const struct program_spec *spec)
{
    struct program p;
    memset(&p, 0, sizeof p);
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "prg_", (uint64_t)at(2026, 1, 1));
    p.id = arena_strdup(&k->a, id);
    p.name = "KAT Shop";
    p.currency = currency_find(spec->currency);
    assert_non_null(p.currency);
    p.default_url = "https://shop.example/";
    p.click_param = "pd_click";
    p.attribution_window_days = 30;
    p.hold_days = spec->hold_days;
    p.min_payout = spec->min_payout;
    p.model = ATTR_LAST_CLICK;
    p.recurring_months = -1;
    p.parent_bps = spec->parent_bps;
    p.parent_levels = spec->parent_levels ? spec->parent_levels : 1;
    p.monthly_cap = spec->cap;
    p.rules_json = spec->rules;
    struct pd_err err = {0};
    json_t *rules = json_loads(spec->rules, 0, NULL);
    assert_non_null(rules);
    assert_int_equal(rules_from_json(rules, &k->a, &p.rules, &err), 0);
    json_decref(rules);
    p.rules.version = 1;
    p.created_at = p.updated_at = at(2026, 1, 1);
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(program_save(k->s, &p, "[\"shop.example\"]", true, &err), 0);
    assert_int_equal(store_commit(k->s, &err), 0);
    return p.id;
}

/* Replaces a program's rules with a new version. */
static inline void edit_rules(struct kat *k, const char *program_id, const char *rules_text)
{
    struct program p;
    struct pd_err err = {0};
    assert_int_equal(program_load(k->s, program_id, &k->a, &p, &err), 0);
    json_t *rules = json_loads(rules_text, 0, NULL);
    assert_non_null(rules);
    int version = p.rules.version + 1;
    assert_int_equal(rules_from_json(rules, &k->a, &p.rules, &err), 0);
    json_decref(rules);
    p.rules.version = version;
    p.rules_json = rules_text;
    p.updated_at = at(2026, 1, 2);
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(program_save(k->s, &p, "[\"shop.example\"]", false, &err), 0);
    assert_int_equal(store_commit(k->s, &err), 0);
}

static inline const char *make_partner(struct kat *k, const char *program_id, const char *ref,
                                       const char *parent_id, const char *status)
{
    char id[ID_MAX_LEN], email[64];
    id_new(id, sizeof id, "ptn_", (uint64_t)at(2026, 1, 1));
    snprintf(email, sizeof email, "%s@partners.example", ref);
    struct partner p = {.id = arena_strdup(&k->a, id),
                        .program_id = program_id,
                        .email = arena_strdup(&k->a, email),
                        .name = ref,
                        .ref_code = ref,
                        .parent_id = parent_id,
                        .status = status ? status : "active",
                        .payout_method = "{\"type\":\"paypal\",\"email\":\"pay@partners.example\"}",
                        .created_at = at(2026, 1, 1),
                        .updated_at = at(2026, 1, 1)};
    struct pd_err err = {0};
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(partner_insert(k->s, &p, "https://shop.example/", NULL, 0, &err), 0);
    assert_int_equal(store_commit(k->s, &err), 0);
    return p.id;
}

/* Records a conversion (received at `now`, occurred at `occurred`, 0 = now) and returns the
 * answer; the caller json_decref's it. */
static inline json_t *convert_full(struct kat *k, const char *program_id, const char *order,
                                   int64_t amount, const char *currency, const char *ref,
                                   const struct commission_item *items, size_t nitems, int64_t now,
                                   int64_t occurred)
{
    struct conversion_input in = {.program_id = program_id,
                                  .order_id = order,
                                  .amount = amount,
                                  .currency = currency,
                                  .ref = ref,
                                  .items = (struct commission_item *)items,
                                  .nitems = nitems,
                                  .occurred_at = occurred};
    snprintf(in.request_hash, sizeof in.request_hash, "kat-%s", order);
    struct pd_err err = {0};
    json_t *out = NULL;
    int status = 0;
    assert_int_equal(store_begin(k->s, &err), 0);
    int rc = conversion_record(k->s, &in, now, &k->a, &status, &out, &err);
    if (rc != 0)
        fail_msg("conversion %s: %s", order, err.message);
    assert_int_equal(store_commit(k->s, &err), 0);
    assert_int_equal(status, 201);
    return out;
}

static inline json_t *convert(struct kat *k, const char *program_id, const char *order,
                              int64_t amount, const char *currency, const char *ref, int64_t now)
{
    return convert_full(k, program_id, order, amount, currency, ref, NULL, 0, now, 0);
}

/* The commission of a conversion for a partner at a level, NULL when there is none. */
static inline json_t *commission_for(json_t *conv, const char *partner_id, int level)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(conv, "commissions"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "partner_id")), partner_id) == 0 &&
            json_integer_value(json_object_get(c, "level")) == level)
            return c;
    }
    return NULL;
}

/* The commission's amount; 0 when the conversion made none for that partner and level. */
static inline int64_t earned(json_t *conv, const char *partner_id, int level)
{
    json_t *c = commission_for(conv, partner_id, level);
    return c ? json_integer_value(json_object_get(c, "amount")) : 0;
}

static inline size_t ncommissions(json_t *conv)
{
    return json_array_size(json_object_get(conv, "commissions"));
}

/* Refunds and returns commission_reversed; -1 with err filled when refused. */
static inline int64_t refund(struct kat *k, const char *program_id, const char *order,
                             int64_t amount, int64_t now, struct pd_err *err)
{
    struct refund_input in = {.program_id = program_id, .order_id = order, .amount = amount};
    json_t *out = NULL;
    assert_int_equal(store_begin(k->s, err), 0);
    int rc = refund_record(k->s, &in, now, &k->a, &out, err);
    /* Committed whatever happened: a refusal must not have written anything by itself. */
    struct pd_err cerr = {0};
    assert_int_equal(store_commit(k->s, &cerr), 0);
    if (rc != 0)
        return -1;
    int64_t reversed = json_integer_value(json_object_get(out, "commission_reversed"));
    json_decref(out);
    return reversed;
}

static inline int64_t refund_ok(struct kat *k, const char *program_id, const char *order,
                                int64_t amount, int64_t now)
{
    struct pd_err err = {0};
    int64_t r = refund(k, program_id, order, amount, now, &err);
    if (r < 0)
        fail_msg("refund of %lld on %s: %s", (long long)amount, order, err.message);
    return r;
}

static inline void expect_balance(struct kat *k, const char *partner_id, int64_t pending,
                                  int64_t approved, int64_t paid)
{
    int64_t p, a, d;
    struct pd_err err = {0};
    assert_int_equal(partner_balance(k->s, partner_id, &p, &a, &d, &err), 0);
    assert_int_equal(p, pending);
    assert_int_equal(a, approved);
    assert_int_equal(d, paid);
}

static inline int64_t query_int(struct kat *k, const char *sql, const char *arg)
{
    struct db_val v = db_text(arg);
    int64_t out = -1;
    struct pd_err err = {0};
    assert_int_equal(store_query_int(k->s, sql, &v, arg ? 1 : 0, -1, &out, &err), 0);
    return out;
}

static inline void approve_all_due(struct kat *k, int64_t now)
{
    struct pd_err err = {0};
    int64_t n = 0;
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(commissions_approve_due(k->s, now, 1000, &n, &err), 0);
    assert_int_equal(store_commit(k->s, &err), 0);
}

static inline const char *payout(struct kat *k, const char *program_id, const char *period,
                                 int64_t now)
{
    struct pd_err err = {0};
    const char *id = NULL;
    bool created = false;
    assert_int_equal(store_begin(k->s, &err), 0);
    if (payout_create(k->s, program_id, period, now, &k->a, &id, &created, NULL, NULL, &err) != 0)
        fail_msg("payout %s: %s", period, err.message);
    assert_int_equal(store_commit(k->s, &err), 0);
    return id;
}

static inline void mark_paid(struct kat *k, const char *payout_id, int64_t now)
{
    struct pd_err err = {0};
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(payout_mark_paid(k->s, payout_id, now, &err), 0);
    assert_int_equal(store_commit(k->s, &err), 0);
}

/* The payout item of a partner in a batch, -1 when the partner has none. */
static inline int64_t payout_item(struct kat *k, const char *payout_id, const char *partner_id)
{
    struct db_val v[2] = {db_text(payout_id), db_text(partner_id)};
    int64_t out = -1;
    struct pd_err err = {0};
    assert_int_equal(store_query_int(k->s,
                                     "SELECT amount FROM payout_items WHERE payout_id = ?1"
                                     " AND partner_id = ?2",
                                     v, 2, -1, &out, &err),
                     0);
    return out;
}

static inline char *csv_of(struct kat *k, const char *payout_id)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    struct pd_err err = {0};
    assert_int_equal(payout_write_csv(k->s, payout_id, f, NULL, NULL, &err), 0);
    fclose(f);
    return text;
}

#endif
