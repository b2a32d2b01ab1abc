/* partnerd demo: a realistic month of a small program — partners, links, clicks, conversions,
 * refunds — written through the same code paths the server uses. */
#include <stdio.h>
#include <string.h>

#include "app/clicks.h"
#include "app/conversions.h"
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
    "partners with API keys, and N days (default 30) of clicks, conversions and refunds. Prints\n"
    "the partners' keys. Refuses a database that already has programs.\n";

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
    int traffic; /* clicks per day, roughly */
} demo_partners[] = {
    {"Alice Runner", "alice@partners.example", "alice", "ALICE10", "active", 40},
    {"Bob's Reviews", "bob@partners.example", "bobreviews", NULL, "active", 25},
    {"Carol Creates", "carol@partners.example", "carol", "CAROL15", "active", 12},
    {"Dave Deals", "dave@partners.example", "davedeals", NULL, "active", 6},
    {"Eve (suspended)", "eve@partners.example", "eve", NULL, "suspended", 0},
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

int cmd_demo(int argc, char **argv)
{
    struct app_config cfg;
    if (cli_wants_help(argc, argv, usage))
        return 0;
    if (config_load(&cfg, &argc, argv, usage) < 0)
        return 2;
    int days = 30;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--days") == 0 && i + 1 < argc) {
            char *end = NULL;
            long d = strtol(argv[++i], &end, 10);
            if (*end || d < 1 || d > 365) {
                fprintf(stderr, "partnerd demo: --days must be 1 to 365\n");
                return 2;
            }
            days = (int)d;
        } else {
            fprintf(stderr, "partnerd demo: unknown argument %s\n%s", argv[i], usage);
            return 2;
        }
    }
    struct store *s = cli_open_store(&cfg, false);
    if (!s)
        return 1;
    struct arena a, keep; /* a: per batch of work; keep: the program and partners */
    arena_init(&a, 1 << 16);
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
    uint8_t fp_key[16] = {0};
    int64_t now = time_now_ms();
    int64_t start = now - (int64_t)days * DAY_MS;
    if (store_begin(s, &err) < 0)
        goto fail;
    struct program prog;
    if (create_program(s, &keep, start, &prog, &err) < 0)
        goto fail_tx;
    struct partner partners[NPARTNERS];
    char keys[NPARTNERS][64];
    for (size_t i = 0; i < NPARTNERS; i++) {
        const struct demo_partner *d = &demo_partners[i];
        struct partner *p = &partners[i];
        memset(p, 0, sizeof *p);
        char id[ID_MAX_LEN], key_id[ID_MAX_LEN];
        id_new(id, sizeof id, "ptn_", (uint64_t)start);
        p->id = arena_strdup(&keep, id);
        p->program_id = prog.id;
        p->email = d->email;
        p->name = d->name;
        p->ref_code = d->ref_code;
        p->status = d->status;
        p->created_at = p->updated_at = start;
        const char *coupons[1] = {d->coupon};
        if (partner_insert(s, p, prog.default_url, coupons, d->coupon ? 1 : 0, &err) < 0 ||
            api_key_create(s, "partner", p->id, start, keys[i], sizeof keys[i], key_id,
                           sizeof key_id, &err) < 0)
            goto fail_tx;
    }
    uint64_t rnd = 0x9e3779b97f4a7c15ULL;
    int clicks = 0, conversions = 0, refunds = 0;
    for (int day = 0; day < days; day++) {
        for (size_t i = 0; i < NPARTNERS; i++) {
            const struct demo_partner *d = &demo_partners[i];
            if (d->traffic == 0)
                continue;
            struct link_target t;
            if (link_target_load(s, d->ref_code, &a, &t, &err) != 0)
                goto fail_tx;
            int n = d->traffic / 2 + (int)(next_random(&rnd) % (uint64_t)d->traffic);
            for (int k = 0; k < n; k++) {
                int64_t at = start + (int64_t)day * DAY_MS +
                             (int64_t)(next_random(&rnd) % (uint64_t)DAY_MS);
                if (at >= now)
                    continue;
                char ip[32];
                uint64_t r = next_random(&rnd);
                snprintf(ip, sizeof ip, "198.51.%u.%u", (unsigned)(r % 100),
                         (unsigned)(r >> 8) % 250 + 1);
                const char *ua = user_agents[(r >> 16) % 5];
                const char *sub[5] = {(r >> 20) % 2 ? "newsletter" : "instagram"};
                struct click c;
                click_prepare(&c, &t, fp_key, NULL, ip, ua, "https://partners.example/", NULL, sub,
                              at, &a);
                if (click_record(s, &c, &err) < 0)
                    goto fail_tx;
                clicks++;
                if (c.bot || next_random(&rnd) % 100 >= 6)
                    continue;
                /* About 6 in 100 human clicks buy, within a few hours. */
                struct conversion_input in = {0};
                char order[32], customer[32];
                snprintf(order, sizeof order, "demo-%05d", conversions + 1);
                snprintf(customer, sizeof customer, "cus_%05d", conversions + 1);
                in.order_id = order;
                in.customer_id = customer;
                in.currency = "USD";
                in.click_id = c.id;
                in.amount = 1500 + (int64_t)(next_random(&rnd) % 20000);
                struct commission_item item = {.sku = "SKU-1",
                                               .category = next_random(&rnd) % 3 ? "apparel"
                                                                                 : "shoes",
                                               .amount = in.amount,
                                               .quantity = 1};
                in.items = &item;
                in.nitems = 1;
                int64_t occurred = at + (int64_t)(next_random(&rnd) % (3 * 3600 * 1000));
                in.occurred_at = occurred < now ? occurred : now;
                snprintf(in.request_hash, sizeof in.request_hash, "demo:%s", order);
                int status;
                json_t *out = NULL;
                if (conversion_record(s, &in, in.occurred_at, &a, &status, &out, &err) < 0)
                    goto fail_tx;
                json_decref(out);
                conversions++;
                if (next_random(&rnd) % 12 == 0) {
                    struct refund_input ref = {.order_id = order,
                                               .amount = in.amount / 2,
                                               .reason = "demo: returned one item"};
                    if (refund_record(s, &ref, in.occurred_at + DAY_MS < now
                                                   ? in.occurred_at + DAY_MS
                                                   : now,
                                      &a, &out, &err) < 0)
                        goto fail_tx;
                    json_decref(out);
                    refunds++;
                }
            }
            arena_reset(&a);
        }
    }
    /* web: known dashboard passwords for the demo */
    char admin_email[256];
    if (auth_demo_logins(s, admin_email, sizeof admin_email, &err) < 0)
        goto fail_tx;
    if (store_commit(s, &err) < 0)
        goto fail;
    printf("demo program %s: %zu partners, %d clicks, %d conversions, %d refunds\n", prog.id,
           NPARTNERS, clicks, conversions, refunds);
    for (size_t i = 0; i < NPARTNERS; i++)
        printf("  partner %-16s %-10s key %s\n", demo_partners[i].name, demo_partners[i].status,
               keys[i]);
    /* web: the demo logins */
    printf("\ndashboard logins:\n  merchant  %-24s the admin password `partnerd init` printed\n",
           admin_email);
    for (size_t i = 0; i < NPARTNERS; i++)
        if (strcmp(demo_partners[i].status, "suspended") != 0)
            printf("  partner   %-24s %s\n", demo_partners[i].email, AUTH_DEMO_PARTNER_PASSWORD);
    rc = 0;
    goto done;
fail_tx:
    store_rollback(s);
fail:
    fprintf(stderr, "partnerd demo: %s\n", err.message);
done:
    arena_free(&a);
    arena_free(&keep);
    store_close(s);
    return rc;
}
