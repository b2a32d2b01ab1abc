/* The ledger property test (test_ledger_property.c): the operations that record orders:
 * conversions, refunds, leads, replays. */
#include "property.h"

/* ---------------------------------------------------------------------------------------------
 * Operations. */
void tx_begin(struct world *w)
{
    struct pd_err err = {0};
    expect_ok(store_begin(w->s, &err), &err, "store_begin");
}

void tx_end(struct world *w, int rc)
{
    struct pd_err err = {0};
    if (rc == 0)
        expect_ok(store_commit(w->s, &err), &err, "store_commit");
    else
        store_rollback(w->s);
}

int pick_recent(size_t n)
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
static bool refused_order(struct world *w, int pg, int64_t amount, struct commission_item *items,
                          size_t nitems)
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

void op_conversion(struct world *w)
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
    const char *click_id =
        attributed && occurred == w->now && chance(30) ? record_click(w, p) : NULL;
    struct conversion_input in = {.program_id = P->id,
                                  .order_id = cv->order,
                                  .amount = amount,
                                  .currency = chance(20) ? (pg == 0 ? "usd" : "jpy") : P->currency,
                                  .click_id = click_id,
                                  .ref = click_id ? NULL
                                         : p      ? p->ref
                                                  : "nobody",
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
void op_refund(struct world *w)
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
            if (c->status != COMMISSION_PENDING) /* a draft holding the money pays less */
                model_draft_reduce(w, c->partner, rev);
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

void op_lead(struct world *w)
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
void op_replay(struct world *w)
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
