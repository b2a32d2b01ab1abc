/* Known-answer tests of the money side (DESIGN §4, §5; issue 3 "Proof"), through the app functions
 * the server uses, on a real SQLite database: tier crossing, multi-tier chains, caps, JPY and KWD
 * rounding, refunds that reverse exactly, claw-backs carried into the next payout, refusals that
 * write nothing. Every expected number is worked out by hand in the comments. */
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
#include "app/partners.h" /* and app/records.h */
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
static int64_t at(int y, int m, int d)
{
    return time_days_from_civil(y, (unsigned)m, (unsigned)d) * DAY_MS + 12 * 3600 * 1000LL;
}

static int setup(void **state)
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

static int teardown(void **state)
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

static const char *make_program(struct kat *k, const struct program_spec *spec)
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
static void edit_rules(struct kat *k, const char *program_id, const char *rules_text)
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

static const char *make_partner(struct kat *k, const char *program_id, const char *ref,
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
static json_t *convert_full(struct kat *k, const char *program_id, const char *order,
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

static json_t *convert(struct kat *k, const char *program_id, const char *order, int64_t amount,
                       const char *currency, const char *ref, int64_t now)
{
    return convert_full(k, program_id, order, amount, currency, ref, NULL, 0, now, 0);
}

/* The commission of a conversion for a partner at a level, NULL when there is none. */
static json_t *commission_for(json_t *conv, const char *partner_id, int level)
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
static int64_t earned(json_t *conv, const char *partner_id, int level)
{
    json_t *c = commission_for(conv, partner_id, level);
    return c ? json_integer_value(json_object_get(c, "amount")) : 0;
}

static size_t ncommissions(json_t *conv)
{
    return json_array_size(json_object_get(conv, "commissions"));
}

/* Refunds and returns commission_reversed; -1 with err filled when refused. */
static int64_t refund(struct kat *k, const char *program_id, const char *order, int64_t amount,
                      int64_t now, struct pd_err *err)
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

static int64_t refund_ok(struct kat *k, const char *program_id, const char *order, int64_t amount,
                         int64_t now)
{
    struct pd_err err = {0};
    int64_t r = refund(k, program_id, order, amount, now, &err);
    if (r < 0)
        fail_msg("refund of %lld on %s: %s", (long long)amount, order, err.message);
    return r;
}

static void expect_balance(struct kat *k, const char *partner_id, int64_t pending, int64_t approved,
                           int64_t paid)
{
    int64_t p, a, d;
    struct pd_err err = {0};
    assert_int_equal(partner_balance(k->s, partner_id, &p, &a, &d, &err), 0);
    assert_int_equal(p, pending);
    assert_int_equal(a, approved);
    assert_int_equal(d, paid);
}

static int64_t query_int(struct kat *k, const char *sql, const char *arg)
{
    struct db_val v = db_text(arg);
    int64_t out = -1;
    struct pd_err err = {0};
    assert_int_equal(store_query_int(k->s, sql, &v, arg ? 1 : 0, -1, &out, &err), 0);
    return out;
}

static void approve_all_due(struct kat *k, int64_t now)
{
    struct pd_err err = {0};
    int64_t n = 0;
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(commissions_approve_due(k->s, now, 1000, &n, &err), 0);
    assert_int_equal(store_commit(k->s, &err), 0);
}

static const char *payout(struct kat *k, const char *program_id, const char *period, int64_t now)
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

static void mark_paid(struct kat *k, const char *payout_id, int64_t now)
{
    struct pd_err err = {0};
    assert_int_equal(store_begin(k->s, &err), 0);
    assert_int_equal(payout_mark_paid(k->s, payout_id, now, &err), 0);
    assert_int_equal(store_commit(k->s, &err), 0);
}

/* The payout item of a partner in a batch, -1 when the partner has none. */
static int64_t payout_item(struct kat *k, const char *payout_id, const char *partner_id)
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

static char *csv_of(struct kat *k, const char *payout_id)
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

/* ---------------------------------------------------------------------------------------------
 * Tiers. src/core/commission.c: the rate is the tier the partner's attributed revenue this month
 * is in BEFORE the order (highest tier with from <= revenue before), applied to the whole order. */
static void tier_crossing_order_earns_the_rate_of_the_revenue_before_it(void **state)
{
    struct kat *k = *state;
    const char *prg = make_program(
        k, &(struct program_spec){
               .currency = "USD",
               .rules = "[{\"id\":\"t\",\"type\":\"percent\",\"tiers\":[{\"from\":0,\"bps\":1000},"
                        "{\"from\":100000,\"bps\":1500}]}]",
               .cap = -1});
    const char *p = make_partner(k, prg, "tiers", NULL, NULL);
    json_t *c;
    /* 90000 at 10 % = 9000; the month now has 90000. */
    c = convert(k, prg, "t1", 90000, "USD", "tiers", at(2026, 11, 2));
    assert_int_equal(earned(c, p, 0), 9000);
    json_decref(c);
    /* 20000 crosses 100000 (90000 → 110000): the whole order at the rate before it, 10 % = 2000
     * (splitting it would have been 10000 at 10 % + 10000 at 15 % = 2500). */
    c = convert(k, prg, "t2", 20000, "USD", "tiers", at(2026, 11, 3));
    assert_int_equal(earned(c, p, 0), 2000);
    json_t *com = commission_for(c, p, 0);
    assert_non_null(strstr(json_string_value(json_object_get(com, "explanation")),
                           "tier from 0 (month revenue before 90000) 1000 bps"));
    json_decref(c);
    /* 110000 before: 15 % of 10000 = 1500. */
    c = convert(k, prg, "t3", 10000, "USD", "tiers", at(2026, 11, 4));
    assert_int_equal(earned(c, p, 0), 1500);
    json_decref(c);
    /* A refund takes revenue off: 120000 - 20000 = 100000, exactly the threshold, still 15 %
     * (from <= revenue): 333 * 1500 / 10000 = 49.95 → 50. */
    assert_int_equal(refund_ok(k, prg, "t3", 10000, at(2026, 11, 5)), 1500);
    assert_int_equal(refund_ok(k, prg, "t1", 10000, at(2026, 11, 5)), 1000);
    c = convert(k, prg, "t4", 333, "USD", "tiers", at(2026, 11, 6));
    assert_int_equal(earned(c, p, 0), 50);
    json_decref(c);
    /* One more cent off and it is back below: 100333 - 334 = 99999 → 10 %: 1000. */
    assert_int_equal(refund_ok(k, prg, "t4", 333, at(2026, 11, 6)), 50);
    assert_int_equal(refund_ok(k, prg, "t2", 1, at(2026, 11, 6)), 0); /* round(2000/20000) = 0 */
    c = convert(k, prg, "t5", 10000, "USD", "tiers", at(2026, 11, 7));
    assert_int_equal(earned(c, p, 0), 1000);
    json_decref(c);
    /* A new month starts from 0 revenue: 10 %. */
    c = convert(k, prg, "t6", 10000, "USD", "tiers", at(2026, 12, 1));
    assert_int_equal(earned(c, p, 0), 1000);
    json_decref(c);
}

/* An order dated in an earlier month (occurred_at) is priced on that month's revenue only, not
 * on revenue of later months recorded before it arrived. */
static void backdated_order_uses_its_own_months_tier_and_cap(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){
                            .currency = "USD",
                            .rules = "[{\"type\":\"percent\",\"tiers\":[{\"from\":0,\"bps\":1000},"
                                     "{\"from\":100000,\"bps\":2000}]}]",
                            .cap = 25000});
    const char *p = make_partner(k, prg, "late", NULL, NULL);
    json_t *c = convert(k, prg, "n1", 200000, "USD", "late", at(2026, 11, 20));
    assert_int_equal(earned(c, p, 0), 20000); /* November: 10 % of 200000 */
    json_decref(c);
    /* Dated 15 October, received in November: October had no revenue and no commission, so 10 %
     * and the cap's whole room: 10 % of 60000 = 6000 (November's 200000 would make it 20 % and
     * November's 20000 earned would cut it to 5000). */
    c = convert_full(k, prg, "o1", 60000, "USD", "late", NULL, 0, at(2026, 11, 21),
                     at(2026, 10, 15));
    assert_int_equal(earned(c, p, 0), 6000);
    json_decref(c);
}

/* ---------------------------------------------------------------------------------------------
 * Multi-tier: each ancestor up to parent_levels earns parent_bps of the level below, rounded half
 * to even at each level; a share that rounds to 0 ends the chain; a suspended ancestor is skipped
 * and the chain goes on above it. */
static void multi_tier_chain_rounds_half_to_even_at_each_level(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "USD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":10000}]",
                                               .parent_bps = 2500,
                                               .parent_levels = 3,
                                               .cap = -1});
    const char *top = make_partner(k, prg, "top", NULL, NULL);
    const char *mid = make_partner(k, prg, "mid", top, NULL);
    const char *low = make_partner(k, prg, "low", mid, NULL);
    const char *kid = make_partner(k, prg, "kid", low, NULL);
    const char *deep = make_partner(k, prg, "deep", kid, NULL);
    json_t *c;
    /* 90 at 100 % = 90; 90/4 = 22.5 → 22 (down to even); 22/4 = 5.5 → 6 (up to even);
     * 6/4 = 1.5 → 2 (up to even). */
    c = convert(k, prg, "m1", 90, "USD", "kid", at(2026, 11, 2));
    assert_int_equal(ncommissions(c), 4);
    assert_int_equal(earned(c, kid, 0), 90);
    assert_int_equal(earned(c, low, 1), 22);
    assert_int_equal(earned(c, mid, 2), 6);
    assert_int_equal(earned(c, top, 3), 2);
    json_t *com = commission_for(c, low, 1);
    assert_string_equal(json_string_value(json_object_get(com, "rule_id")), "parent:1");
    assert_int_equal(json_integer_value(json_object_get(com, "base")), 90);
    assert_non_null(strstr(json_string_value(json_object_get(com, "explanation")),
                           "90 * 2500 bps / 10000 = 22 (half to even)"));
    json_decref(c);
    /* parent_levels = 3: from "deep", top is a fourth level and earns nothing.
     * 1000 → 250 → 62.5 → 62 → 15.5 → 16. */
    c = convert(k, prg, "m2", 1000, "USD", "deep", at(2026, 11, 2));
    assert_int_equal(ncommissions(c), 4);
    assert_int_equal(earned(c, kid, 1), 250);
    assert_int_equal(earned(c, low, 2), 62);
    assert_int_equal(earned(c, mid, 3), 16);
    assert_null(commission_for(c, top, 4));
    json_decref(c);
    /* 10 → 2.5 → 2 → 0.5 → 0: a share of 0 ends the chain. */
    c = convert(k, prg, "m3", 10, "USD", "kid", at(2026, 11, 3));
    assert_int_equal(ncommissions(c), 2);
    assert_int_equal(earned(c, low, 1), 2);
    json_decref(c);
    expect_balance(k, kid, 90 + 250 + 10, 0, 0);
    expect_balance(k, low, 22 + 62 + 2, 0, 0);
    expect_balance(k, mid, 6 + 16, 0, 0);
    expect_balance(k, top, 2, 0, 0);
    expect_balance(k, deep, 1000, 0, 0);
}

static void suspended_parent_is_skipped_and_the_chain_goes_on(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "USD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":1000}]",
                                               .parent_bps = 5000,
                                               .parent_levels = 2,
                                               .cap = -1});
    const char *grand = make_partner(k, prg, "grand", NULL, NULL);
    const char *gone = make_partner(k, prg, "gone", grand, "suspended");
    const char *child = make_partner(k, prg, "child", gone, NULL);
    /* 10 % of 12345 = 1234.5 → 1234; level 1 (suspended, skipped) 617; level 2: 308.5 → 308. */
    json_t *c = convert(k, prg, "s1", 12345, "USD", "child", at(2026, 11, 2));
    assert_int_equal(ncommissions(c), 2);
    assert_int_equal(earned(c, child, 0), 1234);
    assert_null(commission_for(c, gone, 1));
    assert_int_equal(earned(c, grand, 2), 308);
    json_decref(c);
}

/* ---------------------------------------------------------------------------------------------
 * Caps: per partner per calendar month; the cut is in the explanation and the details; never
 * exceeded over several orders; a new month starts again. */
static void cap_cuts_visibly_never_exceeds_and_resets_each_month(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "USD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":1000}]",
                                               .parent_bps = 1000,
                                               .cap = 5000});
    const char *up = make_partner(k, prg, "upline", NULL, NULL);
    const char *p = make_partner(k, prg, "capped", up, NULL);
    json_t *c = convert(k, prg, "c1", 30000, "USD", "capped", at(2026, 11, 2));
    assert_int_equal(earned(c, p, 0), 3000);
    assert_int_equal(earned(c, up, 1), 300);
    json_decref(c);
    /* 3000 more would make 6000: cut by 1000 to 2000; the parent earns 10 % of what is left. */
    c = convert(k, prg, "c2", 30000, "USD", "capped", at(2026, 11, 3));
    assert_int_equal(earned(c, p, 0), 2000);
    assert_int_equal(earned(c, up, 1), 200);
    json_t *com = commission_for(c, p, 0);
    assert_non_null(strstr(json_string_value(json_object_get(com, "explanation")),
                           "monthly cap 5000 with 3000 earned this month: cut by 1000 to 2000"));
    struct pd_err err = {0};
    json_t *explained =
        commission_explained(k->s, json_string_value(json_object_get(com, "id")), &k->a, &err);
    assert_non_null(explained);
    json_t *cap = json_object_get(json_object_get(explained, "details"), "cap");
    assert_int_equal(json_integer_value(json_object_get(cap, "monthly_cap")), 5000);
    assert_int_equal(json_integer_value(json_object_get(cap, "earned_before")), 3000);
    assert_int_equal(json_integer_value(json_object_get(cap, "cut")), 1000);
    json_decref(explained);
    json_decref(c);
    /* The cap is reached: nothing more this month. */
    c = convert(k, prg, "c3", 999, "USD", "capped", at(2026, 11, 30));
    assert_int_equal(ncommissions(c), 0);
    json_decref(c);
    assert_int_equal(query_int(k, "SELECT SUM(amount) FROM commissions WHERE partner_id = ?1", p),
                     5000);
    /* December starts again. */
    c = convert(k, prg, "c4", 30000, "USD", "capped", at(2026, 12, 1));
    assert_int_equal(earned(c, p, 0), 3000);
    json_decref(c);
}

/* A refund gives back cap room to the partner whose commission it reverses, and only to them:
 * the parent's reversed share comes off the parent's month, not the child's. */
static void refund_gives_cap_room_back_to_each_partner_it_reverses(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "USD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":1000}]",
                                               .parent_bps = 1000,
                                               .cap = 5000});
    const char *up = make_partner(k, prg, "up", NULL, NULL);
    const char *p = make_partner(k, prg, "down", up, NULL);
    json_t *c = convert(k, prg, "r1", 30000, "USD", "down", at(2026, 11, 2));
    assert_int_equal(earned(c, p, 0), 3000);
    assert_int_equal(earned(c, up, 1), 300);
    json_decref(c);
    assert_int_equal(refund_ok(k, prg, "r1", 30000, at(2026, 11, 3)), 3300);
    /* Both months are back to 0 earned: each new order is cut at exactly 5000. */
    c = convert(k, prg, "r2", 60000, "USD", "down", at(2026, 11, 4));
    assert_int_equal(earned(c, p, 0), 5000);
    assert_int_equal(earned(c, up, 1), 500);
    json_decref(c);
    /* up earned 500 (its share) this month: 60000 at 10 % = 6000, cut to 4500. */
    c = convert(k, prg, "r3", 60000, "USD", "up", at(2026, 11, 5));
    assert_int_equal(earned(c, up, 0), 4500);
    json_decref(c);
    assert_int_equal(query_int(k,
                               "SELECT SUM(amount - reversed) FROM commissions"
                               " WHERE partner_id = ?1",
                               p),
                     5000);
}

/* ---------------------------------------------------------------------------------------------
 * Currencies with 0 and 3 minor-unit digits: the same half-to-even rule in minor units, and the
 * CSV amount in the currency's exponent. */
static void jpy_rounds_half_to_even_in_whole_yen(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "JPY",
                                               .rules = "[{\"type\":\"percent\",\"bps\":1250}]",
                                               .hold_days = 0,
                                               .min_payout = 1,
                                               .cap = -1});
    const char *p = make_partner(k, prg, "yen", NULL, NULL);
    /* 12.5 %: 4 → 0.5 → 0; 12 → 1.5 → 2; 20 → 2.5 → 2; 28 → 3.5 → 4; 9877 → 1234.625 → 1235. */
    static const struct {
        const char *order;
        int64_t amount, want;
    } cases[] = {{"y1", 4, 0}, {"y2", 12, 2}, {"y3", 20, 2}, {"y4", 28, 4}, {"y5", 9877, 1235}};
    int64_t total = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *c = convert(k, prg, cases[i].order, cases[i].amount, i % 2 ? "jpy" : "JPY", "yen",
                            at(2026, 11, 2));
        assert_int_equal(earned(c, p, 0), cases[i].want);
        total += cases[i].want;
        json_decref(c);
    }
    /* A conversion in another currency is refused (422) and writes nothing. */
    struct conversion_input in = {
        .program_id = prg, .order_id = "usd", .amount = 100, .currency = "USD", .ref = "yen"};
    struct pd_err err = {0};
    json_t *out = NULL;
    int status = 0;
    assert_int_equal(conversion_record(k->s, &in, at(2026, 11, 2), &k->a, &status, &out, &err), -1);
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    assert_int_equal(query_int(k, "SELECT COUNT(*) FROM conversions", NULL), 5);
    /* Paid out in whole yen: "1243", no decimal point. */
    approve_all_due(k, at(2026, 11, 3));
    const char *pay = payout(k, prg, "2026-11", at(2026, 12, 1));
    assert_int_equal(payout_item(k, pay, p), total);
    assert_int_equal(total, 1243);
    char *csv = csv_of(k, pay);
    assert_non_null(strstr(csv, ",1243,JPY,"));
    free(csv);
}

static void kwd_rounds_half_to_even_in_fils(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "KWD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":5}]",
                                               .hold_days = 0,
                                               .min_payout = 1,
                                               .cap = -1});
    const char *p = make_partner(k, prg, "fils", NULL, NULL);
    /* 0.05 % (5 bps) of amounts in fils: 1000 → 0.5 → 0; 3000 → 1.5 → 2; 5000 → 2.5 → 2;
     * 7000 → 3.5 → 4; 24691357 → 12345.6785 → 12346. */
    static const struct {
        const char *order;
        int64_t amount, want;
    } cases[] = {{"k1", 1000, 0},
                 {"k2", 3000, 2},
                 {"k3", 5000, 2},
                 {"k4", 7000, 4},
                 {"k5", 24691357, 12346}};
    int64_t total = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *c = convert(k, prg, cases[i].order, cases[i].amount, i % 2 ? "kwd" : "KWD", "fils",
                            at(2026, 11, 2));
        assert_int_equal(earned(c, p, 0), cases[i].want);
        total += cases[i].want;
        json_decref(c);
    }
    assert_int_equal(total, 12354);
    /* A refund in fils: half of k5 (12345678 of 24691357) reverses round(12346 * 12345678 /
     * 24691357) = round(6172.99975...) = 6173. */
    assert_int_equal(refund_ok(k, prg, "k5", 12345678, at(2026, 11, 2)), 6173);
    approve_all_due(k, at(2026, 11, 3));
    const char *pay = payout(k, prg, "2026-11", at(2026, 12, 1));
    assert_int_equal(payout_item(k, pay, p), 12354 - 6173);
    char *csv = csv_of(k, pay);
    assert_non_null(strstr(csv, ",6.181,KWD,")); /* 6181 fils */
    free(csv);
}

/* ---------------------------------------------------------------------------------------------
 * Refunds: round(C * R / A) - already_reversed with R cumulative, so the parts add up to C. */
static void three_refunds_reverse_exactly_the_commission(void **state)
{
    struct kat *k = *state;
    const char *prg = make_program(
        k, &(struct program_spec){.currency = "USD",
                                  .rules = "[{\"type\":\"percent\",\"bps\":3330},"
                                           "{\"id\":\"one\",\"type\":\"flat\",\"amount\":1,"
                                           "\"match\":{\"min_amount\":3,\"sku\":\"ONE\"}},"
                                           "{\"id\":\"seven\",\"type\":\"flat\",\"amount\":7,"
                                           "\"match\":{\"sku\":\"SEVEN\"}}]",
                                  .parent_bps = 5000,
                                  .cap = -1});
    const char *up = make_partner(k, prg, "parent", NULL, NULL);
    const char *p = make_partner(k, prg, "refunds", up, NULL);
    /* C = 33.3 % of 1000 = 333 (parent: 166.5 → 166). Refunds 333 + 333 + 334:
     * round(333*333/1000 = 110.889) = 111; round(333*666/1000 = 221.778) = 222 → 111;
     * 333 - 222 = 111. Parent: round(55.278) = 55; round(110.556) = 111 → 56; 166 - 111 = 55. */
    json_t *c = convert(k, prg, "r", 1000, "USD", "refunds", at(2026, 11, 2));
    assert_int_equal(earned(c, p, 0), 333);
    assert_int_equal(earned(c, up, 1), 166);
    json_decref(c);
    assert_int_equal(refund_ok(k, prg, "r", 333, at(2026, 11, 3)), 111 + 55);
    assert_int_equal(refund_ok(k, prg, "r", 333, at(2026, 11, 4)), 111 + 56);
    expect_balance(k, p, 333 - 222, 0, 0);
    assert_int_equal(refund_ok(k, prg, "r", 334, at(2026, 11, 5)), 111 + 55);
    expect_balance(k, p, 0, 0, 0);
    expect_balance(k, up, 0, 0, 0);
    assert_int_equal(query_int(k,
                               "SELECT COUNT(*) FROM commissions WHERE status = 'reversed'"
                               " AND amount = reversed",
                               NULL),
                     2);
    /* C = 1 on A = 3, refunded 1 + 1 + 1: each refund alone rounds to 0 (0.333), the cumulative
     * share does not: 0, round(0.667) = 1, 1 - 1 = 0. */
    struct commission_item one = {.sku = "ONE", .amount = 3, .quantity = 1};
    c = convert_full(k, prg, "one", 3, "USD", "refunds", &one, 1, at(2026, 11, 6), 0);
    assert_int_equal(earned(c, p, 0), 1);
    json_decref(c);
    assert_int_equal(refund_ok(k, prg, "one", 1, at(2026, 11, 6)), 0);
    assert_int_equal(refund_ok(k, prg, "one", 1, at(2026, 11, 6)), 1);
    assert_int_equal(refund_ok(k, prg, "one", 1, at(2026, 11, 6)), 0);
    /* C = 7 on A = 4 in four refunds of 1: round(1.75) = 2, round(3.5) = 4 → 2, round(5.25) = 5
     * → 1, 7 → 2. Parent 3.5 → 4: round(1) = 1, round(2) = 2 → 1, round(3) = 3 → 1, 4 → 1. */
    struct commission_item seven = {.sku = "SEVEN", .amount = 4, .quantity = 1};
    c = convert_full(k, prg, "seven", 4, "USD", "refunds", &seven, 1, at(2026, 11, 6), 0);
    assert_int_equal(earned(c, p, 0), 7);
    assert_int_equal(earned(c, up, 1), 4);
    json_decref(c);
    assert_int_equal(refund_ok(k, prg, "seven", 1, at(2026, 11, 7)), 2 + 1);
    assert_int_equal(refund_ok(k, prg, "seven", 1, at(2026, 11, 7)), 2 + 1);
    assert_int_equal(refund_ok(k, prg, "seven", 1, at(2026, 11, 7)), 1 + 1);
    assert_int_equal(refund_ok(k, prg, "seven", 1, at(2026, 11, 7)), 2 + 1);
    expect_balance(k, p, 0, 0, 0);
    expect_balance(k, up, 0, 0, 0);
}

static void refund_beyond_the_order_is_refused_and_writes_nothing(void **state)
{
    struct kat *k = *state;
    const char *prg = make_program(
        k, &(struct program_spec){
               .currency = "USD", .rules = "[{\"type\":\"percent\",\"bps\":1000}]", .cap = -1});
    const char *p = make_partner(k, prg, "over", NULL, NULL);
    json_decref(convert(k, prg, "o", 1000, "USD", "over", at(2026, 11, 2)));
    assert_int_equal(refund_ok(k, prg, "o", 600, at(2026, 11, 3)), 60);
    static const char *const counts[] = {
        "SELECT COUNT(*) FROM refunds",
        "SELECT COUNT(*) FROM ledger_entries",
        "SELECT SUM(refunded_amount) FROM conversions",
        "SELECT SUM(reversed) FROM commissions",
        "SELECT SUM(revenue) * 1000003 + SUM(commission) FROM daily_stats",
    };
    int64_t before[5];
    for (size_t i = 0; i < 5; i++)
        before[i] = query_int(k, counts[i], NULL);
    struct pd_err err = {0};
    /* 401 > the 400 left: 422 on "amount"; the transaction is committed anyway and nothing
     * changed. */
    assert_int_equal(refund(k, prg, "o", 401, at(2026, 11, 4), &err), -1);
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    assert_int_equal(pd_err_http_status(err.kind), 422);
    assert_string_equal(err.param, "amount");
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(query_int(k, counts[i], NULL), before[i]);
    expect_balance(k, p, 40, 0, 0);
    /* Exactly what is left is fine, and then not one cent more. */
    assert_int_equal(refund_ok(k, prg, "o", 400, at(2026, 11, 4)), 40);
    expect_balance(k, p, 0, 0, 0);
    assert_int_equal(refund(k, prg, "o", 1, at(2026, 11, 5), &err), -1);
    assert_int_equal(err.kind, PD_ERR_UNPROCESSABLE);
    /* An unknown order: 404. */
    assert_int_equal(refund(k, prg, "nope", 1, at(2026, 11, 5), &err), -1);
    assert_int_equal(err.kind, PD_ERR_NOT_FOUND);
    assert_int_equal(query_int(k, "SELECT COUNT(*) FROM refunds", NULL), 2);
}

/* ---------------------------------------------------------------------------------------------
 * A refund after payment claws back into a negative approved balance, which the next batch nets
 * out. */
static void refund_after_payment_claws_back_into_the_next_payout(void **state)
{
    struct kat *k = *state;
    const char *prg =
        make_program(k, &(struct program_spec){.currency = "USD",
                                               .rules = "[{\"type\":\"percent\",\"bps\":1000}]",
                                               .hold_days = 1,
                                               .min_payout = 1000,
                                               .cap = -1});
    const char *p = make_partner(k, prg, "claw", NULL, NULL);
    json_t *c = convert(k, prg, "n", 100000, "USD", "claw", at(2026, 11, 2));
    const char *com_id =
        arena_strdup(&k->a, json_string_value(json_object_get(commission_for(c, p, 0), "id")));
    json_decref(c);
    approve_all_due(k, at(2026, 11, 3));
    expect_balance(k, p, 0, 10000, 0);
    const char *nov = payout(k, prg, "2026-11", at(2026, 12, 1));
    assert_int_equal(payout_item(k, nov, p), 10000);
    mark_paid(k, nov, at(2026, 12, 1));
    expect_balance(k, p, 0, 0, 10000);
    assert_int_equal(query_int(k,
                               "SELECT COUNT(*) FROM commissions WHERE id = ?1"
                               " AND status = 'paid'",
                               com_id),
                     1);

    /* Half the order comes back in December: 5000 clawed back; the commission stays paid with
     * 5000 reversed; approved goes to -5000. */
    assert_int_equal(refund_ok(k, prg, "n", 50000, at(2026, 12, 5)), 5000);
    expect_balance(k, p, 0, -5000, 10000);
    assert_int_equal(query_int(k, "SELECT reversed FROM commissions WHERE id = ?1", com_id), 5000);
    assert_int_equal(query_int(k,
                               "SELECT COUNT(*) FROM commissions WHERE id = ?1"
                               " AND status = 'paid'",
                               com_id),
                     1);
    assert_int_equal(query_int(k,
                               "SELECT SUM(approved) FROM ledger_entries WHERE kind ="
                               " 'clawback' AND commission_id = ?1",
                               com_id),
                     -5000);
    /* December's batch has nothing for a negative balance. */
    const char *dec = payout(k, prg, "2026-12", at(2027, 1, 1));
    assert_int_equal(payout_item(k, dec, p), -1);
    mark_paid(k, dec, at(2027, 1, 1));

    /* January earns 8000; the batch pays 8000 - 5000 = 3000. */
    json_decref(convert(k, prg, "j", 80000, "USD", "claw", at(2027, 1, 10)));
    approve_all_due(k, at(2027, 1, 12));
    expect_balance(k, p, 0, 3000, 10000);
    const char *jan = payout(k, prg, "2027-01", at(2027, 2, 1));
    assert_int_equal(payout_item(k, jan, p), 3000);
    char *csv = csv_of(k, jan);
    assert_non_null(strstr(csv, ",30.00,USD,"));
    free(csv);
    mark_paid(k, jan, at(2027, 2, 1));
    expect_balance(k, p, 0, 0, 13000);
    /* Paid 13000 in all = 10000 + 8000 earned - 5000 clawed back. */
    assert_int_equal(query_int(k, "SELECT SUM(paid) FROM ledger_entries WHERE partner_id = ?1", p),
                     13000);
}

/* Editing rules makes a new version; past commissions keep their amount, version and rule. */
static void rule_edit_never_changes_past_commissions(void **state)
{
    struct kat *k = *state;
    const char *prg = make_program(
        k, &(struct program_spec){.currency = "USD",
                                  .rules = "[{\"id\":\"std\",\"type\":\"percent\",\"bps\":1000}]",
                                  .cap = -1});
    const char *p = make_partner(k, prg, "edit", NULL, NULL);
    json_t *c1 = convert(k, prg, "e1", 10000, "USD", "edit", at(2026, 11, 2));
    const char *id1 =
        arena_strdup(&k->a, json_string_value(json_object_get(commission_for(c1, p, 0), "id")));
    json_decref(c1);
    edit_rules(k, prg, "[{\"id\":\"std\",\"type\":\"percent\",\"bps\":2000}]");
    json_t *c2 = convert(k, prg, "e2", 10000, "USD", "edit", at(2026, 11, 3));
    json_t *com2 = commission_for(c2, p, 0);
    assert_int_equal(json_integer_value(json_object_get(com2, "amount")), 2000);
    assert_int_equal(json_integer_value(json_object_get(com2, "rule_version")), 2);
    json_decref(c2);
    struct pd_err err = {0};
    json_t *e = commission_explained(k->s, id1, &k->a, &err);
    assert_non_null(e);
    assert_int_equal(json_integer_value(json_object_get(e, "amount")), 1000);
    assert_int_equal(json_integer_value(json_object_get(e, "rule_version")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "rule"), "bps")), 1000);
    json_decref(e);
    /* A refund of the old order reverses from the old amount: half of 1000. */
    assert_int_equal(refund_ok(k, prg, "e1", 5000, at(2026, 11, 4)), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tier_crossing_order_earns_the_rate_of_the_revenue_before_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(backdated_order_uses_its_own_months_tier_and_cap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(multi_tier_chain_rounds_half_to_even_at_each_level, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(suspended_parent_is_skipped_and_the_chain_goes_on, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cap_cuts_visibly_never_exceeds_and_resets_each_month, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refund_gives_cap_room_back_to_each_partner_it_reverses,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(jpy_rounds_half_to_even_in_whole_yen, setup, teardown),
        cmocka_unit_test_setup_teardown(kwd_rounds_half_to_even_in_fils, setup, teardown),
        cmocka_unit_test_setup_teardown(three_refunds_reverse_exactly_the_commission, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refund_beyond_the_order_is_refused_and_writes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(refund_after_payment_claws_back_into_the_next_payout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rule_edit_never_changes_past_commissions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
