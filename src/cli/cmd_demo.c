/* partnerd demo: a realistic month of a small program — partners, links, clicks, conversions,
 * refunds — written through the same code paths the server uses. */
#include <stdio.h>
#include <string.h>

#include "app/clicks.h"
#include "app/conversions.h"
#include "app/lifecycle.h"
#include "app/payouts.h"
#include "app/records.h"
#include "cli/cli.h"
#include "core/ids.h"
#include "core/rules_json.h"
#include "util/timefmt.h"
#include "app/partners.h"
#include "auth/auth.h"
#include "util/banned.h"

static const char usage[] =
    "usage: partnerd demo [--db URL] [--days N]\n"
    "\n"
    "Fills an initialised database with a demo program (Demo Shop, USD, shop.example), five\n"
    "partners with API keys, and N days (default 30) of clicks, conversions and refunds; the\n"
    "commissions of orders two weeks old approved and paid in last month's payout batch, those\n"
    "of orders a week old in this month's draft. Prints the partners' keys. Refuses a database\n"
    "that already has programs.\n";

#define DAY_MS (86400LL * 1000)

/* A fixed-seed generator: the demo is the same every time. */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static const struct demo_partner {
    const char *name, *email, *ref_code, *coupon, *status;
    int traffic;        /* clicks per day, roughly */
    const char *method; /* payout method (canonical JSON), NULL: not set yet */
} demo_partners[] = {
    {"Alice Runner", "alice@partners.example", "alice", "ALICE10", "active", 40,
     "{\"email\":\"alice.pay@partners.example\",\"type\":\"paypal\"}"},
    {"Bob's Reviews", "bob@partners.example", "bobreviews", NULL, "active", 25,
     "{\"holder\":\"Bob Reviews Ltd\",\"iban\":\"DE89370400440532013000\",\"type\":\"iban\"}"},
    {"Carol Creates", "carol@partners.example", "carol", "CAROL15", "active", 12,
     "{\"email\":\"carol@partners.example\",\"type\":\"paypal\"}"},
    {"Dave Deals", "dave@partners.example", "davedeals", NULL, "active", 6, NULL},
    {"Eve (suspended)", "eve@partners.example", "eve", NULL, "suspended", 0, NULL},
};
#define NPARTNERS (sizeof demo_partners / sizeof demo_partners[0])

static const char *const user_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Version/17.1 Safari/605",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
};

static int create_program(struct store *s, struct arena *a, int64_t now, struct program *p,
                          struct pd_err *err)
{
    memset(p, 0, sizeof *p);
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "prg_", (uint64_t)now);
    p->id = arena_strdup(a, id);
    p->name = "Demo Shop";
    p->currency = currency_find("USD");
    p->default_url = "https://shop.example/";
    p->click_param = "pd_click";
    p->attribution_window_days = 30;
    p->hold_days = 30;
    p->min_payout = 5000;
    p->model = ATTR_LAST_CLICK;
    p->recurring_months = -1;
    p->parent_levels = 1;
    p->monthly_cap = -1;
    p->rules_json = "[{\"type\":\"percent\",\"bps\":1000},"
                    "{\"type\":\"percent\",\"bps\":1500,\"match\":{\"category\":\"shoes\"}}]";
    json_t *rules = json_loads(p->rules_json, 0, NULL);
    int rc = rules_from_json(rules, a, &p->rules, err);
    json_decref(rules);
    if (rc < 0)
        return -1;
    p->rules.version = 1;
    p->created_at = p->updated_at = now;
    return program_save(s, p, "[\"shop.example\"]", true, err);
}

/* The simulation's state: the store, a per-batch arena, the generator and the counts. */
struct demo_state {
    struct store *s;
    struct arena a;
    uint64_t rnd;
    int64_t now;
    uint8_t fp_key[16];
    int clicks, conversions, refunds;
};

/* 0, or -1 after printing why (the exit status is then 2). */
static int parse_days(int argc, char **argv, int *days)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--days") == 0 && i + 1 < argc) {
            char *end = NULL;
            long d = strtol(argv[++i], &end, 10);
            if (*end || d < 1 || d > 365) {
                fprintf(stderr, "partnerd demo: --days must be 1 to 365\n");
                return -1;
            }
            *days = (int)d;
        } else {
            fprintf(stderr, "partnerd demo: unknown argument %s\n%s", argv[i], usage);
            return -1;
        }
    }
    return 0;
}

/* The demo partners with their coupons and API keys (keys[i] for demo_partners[i]). */
static int create_partners(struct store *s, struct arena *keep, const struct program *prog,
                           int64_t start, char keys[][64], struct pd_err *err)
{
    for (size_t i = 0; i < NPARTNERS; i++) {
        const struct demo_partner *d = &demo_partners[i];
        struct partner p;
        memset(&p, 0, sizeof p);
        char id[ID_MAX_LEN], key_id[ID_MAX_LEN];
        id_new(id, sizeof id, "ptn_", (uint64_t)start);
        p.id = arena_strdup(keep, id);
        p.program_id = prog->id;
        p.email = d->email;
        p.name = d->name;
        p.ref_code = d->ref_code;
        p.status = d->status;
        p.payout_method = d->method;
        p.created_at = p.updated_at = start;
        const char *coupons[1] = {d->coupon};
        if (partner_insert(s, &p, prog->default_url, coupons, d->coupon ? 1 : 0, err) < 0 ||
            api_key_create(s, "partner", p.id, start, keys[i], 64, key_id, sizeof key_id, err) < 0)
            return -1;
    }
    return 0;
}

/* A purchase a few hours after click c (made at `at`); one in 12 is half refunded a day later. */
static int demo_purchase(struct demo_state *st, const struct click *c, int64_t at,
                         struct pd_err *err)
{
    struct conversion_input in = {0};
    char order[32], customer[32];
    snprintf(order, sizeof order, "demo-%05d", st->conversions + 1);
    snprintf(customer, sizeof customer, "cus_%05d", st->conversions + 1);
    in.order_id = order;
    in.customer_id = customer;
    in.currency = "USD";
    in.click_id = c->id;
    in.amount = 1500 + (int64_t)(next_random(&st->rnd) % 20000);
    struct commission_item item = {.sku = "SKU-1",
                                   .category = next_random(&st->rnd) % 3 ? "apparel" : "shoes",
                                   .amount = in.amount,
                                   .quantity = 1};
    in.items = &item;
    in.nitems = 1;
    int64_t occurred = at + (int64_t)(next_random(&st->rnd) % (3 * 3600 * 1000));
    in.occurred_at = occurred < st->now ? occurred : st->now;
    snprintf(in.request_hash, sizeof in.request_hash, "demo:%s", order);
    int status;
    json_t *out = NULL;
    if (conversion_record(st->s, &in, in.occurred_at, &st->a, &status, &out, err) < 0)
        return -1;
    json_decref(out);
    st->conversions++;
    if (next_random(&st->rnd) % 12 != 0)
        return 0;
    struct refund_input ref = {
        .order_id = order, .amount = in.amount / 2, .reason = "demo: returned one item"};
    int64_t refunded = in.occurred_at + DAY_MS < st->now ? in.occurred_at + DAY_MS : st->now;
    if (refund_record(st->s, &ref, refunded, &st->a, &out, err) < 0)
        return -1;
    json_decref(out);
    st->refunds++;
    return 0;
}

/* One partner's clicks on one day (from day_start); about 6 in 100 human clicks buy. */
static int demo_partner_day(struct demo_state *st, const struct demo_partner *d,
                            int64_t day_start, struct pd_err *err)
{
    struct link_target t;
    if (link_target_load(st->s, d->ref_code, &st->a, &t, err) != 0)
        return -1;
    int n = d->traffic / 2 + (int)(next_random(&st->rnd) % (uint64_t)d->traffic);
    for (int k = 0; k < n; k++) {
        int64_t at = day_start + (int64_t)(next_random(&st->rnd) % (uint64_t)DAY_MS);
        if (at >= st->now)
            continue;
        char ip[32];
        uint64_t r = next_random(&st->rnd);
        snprintf(ip, sizeof ip, "198.51.%u.%u", (unsigned)(r % 100), (unsigned)(r >> 8) % 250 + 1);
        const char *ua = user_agents[(r >> 16) % 5];
        const char *sub[5] = {(r >> 20) % 2 ? "newsletter" : "instagram"};
        struct click c;
        click_prepare(&c, &t, st->fp_key, NULL, ip, ua, "https://partners.example/", NULL, sub,
                      at, &st->a);
        if (click_record(st->s, &c, err) < 0)
            return -1;
        st->clicks++;
        if (c.bot || next_random(&st->rnd) % 100 >= 6)
            continue;
        if (demo_purchase(st, &c, at, err) < 0)
            return -1;
    }
    return 0;
}

/* Payouts as a merchant would have run them: commissions of orders two weeks old approved (their
 * hold cut short; the approvals carry the real time), last month's batch made from them and paid,
 * then those of orders a week old approved into this month's draft. Dave has no payout method
 * and stays held; a partner below the minimum is held too. */
static int demo_payouts(struct demo_state *st, const struct program *prog, struct pd_err *err)
{
    int64_t hold = (int64_t)prog->hold_days * DAY_MS, n = 0;
    int64_t y;
    unsigned m, d;
    time_civil_from_days(st->now / DAY_MS, &y, &m, &d);
    char last[32], current[32];
    snprintf(current, sizeof current, "%04lld-%02u", (long long)y, m % 13);
    snprintf(last, sizeof last, "%04lld-%02u", (long long)(m == 1 ? y - 1 : y),
             m == 1 ? 12u : (m - 1) % 13);
    const char *id;
    bool created;
    do {
        if (commissions_approve_due_by(st->s, st->now - 14 * DAY_MS + hold, st->now, 1000, &n,
                                       err) < 0)
            return -1;
    } while (n == 1000);
    if (payout_create(st->s, prog->id, last, st->now, &st->a, &id, &created, NULL, NULL, err) < 0)
        return -1;
    struct pd_err ignored = {0};
    if (payout_mark_paid(st->s, id, st->now, &ignored) < 0 && /* 409: nothing was payable */
        payout_delete(st->s, id, st->now, err) < 0)
        return -1;
    do {
        if (commissions_approve_due_by(st->s, st->now - 7 * DAY_MS + hold, st->now, 1000, &n, err) <
            0)
            return -1;
    } while (n == 1000);
    return payout_create(st->s, prog->id, current, st->now, &st->a, &id, &created, NULL, NULL, err);
}

static void print_summary(const struct program *prog, const struct demo_state *st,
                          char keys[][64], const char *admin_email)
{
    printf("demo program %s: %zu partners, %d clicks, %d conversions, %d refunds\n", prog->id,
           NPARTNERS, st->clicks, st->conversions, st->refunds);
    for (size_t i = 0; i < NPARTNERS; i++)
        printf("  partner %-16s %-10s key %s\n", demo_partners[i].name, demo_partners[i].status,
               keys[i]);
    /* web: the demo logins */
    printf("\ndashboard logins:\n  merchant  %-24s the admin password `partnerd init` printed\n",
           admin_email);
    for (size_t i = 0; i < NPARTNERS; i++)
        if (strcmp(demo_partners[i].status, "suspended") != 0)
            printf("  partner   %-24s %s\n", demo_partners[i].email, AUTH_DEMO_PARTNER_PASSWORD);
}

int cmd_demo(int argc, char **argv)
{
    struct app_config cfg;
    if (cli_wants_help(argc, argv, usage))
        return 0;
    if (config_load(&cfg, &argc, argv, usage) < 0)
        return 2;
    int days = 30;
    if (parse_days(argc, argv, &days) < 0)
        return 2;
    struct store *s = cli_open_store(&cfg, false);
    if (!s)
        return 1;
    struct demo_state st = {.s = s, .rnd = 0x9e3779b97f4a7c15ULL};
    struct arena keep; /* st.a: per batch of work; keep: the program and partners */
    arena_init(&st.a, 1 << 16);
    arena_init(&keep, 1 << 12);
    struct pd_err err = {0};
    int rc = 1;
    int64_t programs = 0;
    if (store_query_int(s, "SELECT COUNT(*) FROM programs", NULL, 0, 0, &programs, &err) < 0)
        goto fail;
    if (programs > 0) {
        fprintf(stderr, "partnerd demo: %s already has programs; the demo needs an empty one\n",
                cfg.db_url);
        goto done;
    }
    st.now = time_now_ms();
    int64_t start = st.now - (int64_t)days * DAY_MS;
    if (store_begin(s, &err) < 0)
        goto fail;
    struct program prog;
    char keys[NPARTNERS][64];
    if (create_program(s, &keep, start, &prog, &err) < 0 ||
        create_partners(s, &keep, &prog, start, keys, &err) < 0)
        goto fail_tx;
    for (int day = 0; day < days; day++) {
        for (size_t i = 0; i < NPARTNERS; i++) {
            if (demo_partners[i].traffic == 0)
                continue;
            if (demo_partner_day(&st, &demo_partners[i], start + (int64_t)day * DAY_MS, &err) < 0)
                goto fail_tx;
            arena_reset(&st.a);
        }
    }
    if (demo_payouts(&st, &prog, &err) < 0)
        goto fail_tx;
    /* web: known dashboard passwords for the demo */
    char admin_email[256];
    if (auth_demo_logins(s, admin_email, sizeof admin_email, &err) < 0)
        goto fail_tx;
    if (store_commit(s, &err) < 0)
        goto fail;
    print_summary(&prog, &st, keys, admin_email);
    rc = 0;
    goto done;
fail_tx:
    store_rollback(s);
fail:
    fprintf(stderr, "partnerd demo: %s\n", err.message);
done:
    arena_free(&st.a);
    arena_free(&keep);
    store_close(s);
    return rc;
}
