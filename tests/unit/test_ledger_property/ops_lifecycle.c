/* The ledger property test (test_ledger_property.c): the operations on commissions and payouts,
 * rule edits, explanations, time. */
#include "property.h"

/* ---------------------------------------------------------------------------------------------
 * Operations on commissions and payouts. */
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

void op_approve(struct world *w)
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

void op_reject(struct world *w)
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

void op_approve_due(struct world *w)
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

void check_payout(struct world *w, int pi)
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

void op_payout_create(struct world *w)
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

void op_mark_paid(struct world *w)
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

void op_rule_edit(struct world *w)
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
void op_explain(struct world *w)
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

void op_advance(struct world *w)
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
