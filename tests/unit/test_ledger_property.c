/* A seeded, model-based property test of the money side (README: "Money is exact", "Ledger").
 *
 * Random operations run against a real SQLite database through the app functions the server uses
 * (conversion_record, refund_record, lead_record, commission_approve/reject,
 * commissions_approve_due, the payout lifecycle (payout_create, refresh, delete, export, the PayPal
 * API's mark_sent, mark_paid, item settle), program_save for rule edits), each
 * in its own savepoint inside a group transaction like the writer thread's. Next to it an
 * independent in-memory model computes, with plain int64 arithmetic straight from the README's
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
#include "test_ledger_property/property.h"

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
        P->draft = -1;
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
    OP_REFRESH,
    OP_EXPORT,
    OP_SETTLE,
    OP_COUNT
};
static const int op_weight[OP_COUNT] = {32, 14, 6, 4, 6, 15, 4, 2, 2, 3, 3, 3, 2, 3, 3};
static const char *const op_name[OP_COUNT] = {
    "conversion", "refund", "approve", "reject", "approve-due", "advance time",      "payout",
    "paid",       "rules",  "explain", "lead",   "replay",      "refresh or delete", "export",
    "settle"};

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
        case OP_REFRESH:
            op_payout_refresh_or_delete(w);
            break;
        case OP_EXPORT:
            op_payout_export(w);
            break;
        case OP_SETTLE:
            op_settle(w);
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
