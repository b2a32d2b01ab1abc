/* The ledger property test (test_ledger_property.c): random rule sets and the model's commission
 * computation. */
#include "property.h"

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

void gen_rules(struct world *w, int pg, struct mruleset *rs)
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
void save_rules(struct world *w, int pg, bool creating)
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
 * The model's commission computation (the README's commission rules and src/core/commission.c's documented choices:
 * most specific rule, tiers on the month's revenue before the order, items as lines, flat once
 * per conversion, caps cut the last lines first). */
int score(const struct mrule *r)
{
    return (r->partner >= 0 ? 4 : 0) + (r->group ? 2 : 0) + ((r->sku || r->category) ? 1 : 0);
}

bool str_is(const char *want, const char *have)
{
    return have && strcmp(want, have) == 0;
}

int best_rule(const struct mruleset *rs, const struct mpartner *p, const char *sku,
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

void add_to_line(struct mline *lines, int *nlines, const struct mruleset *rs, int rule,
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
