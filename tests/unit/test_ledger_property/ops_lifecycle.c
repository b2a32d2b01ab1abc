/* The ledger property test (test_ledger_property.c): the operations on commissions, rule edits,
 * explanations, time. */
#include "property.h"

/* ---------------------------------------------------------------------------------------------
 * Operations on commissions. */
static void approve_in_model(struct world *w, int ci)
{
    struct mcom *c = &w->com[ci];
    int64_t cur = c->amount - c->reversed;
    post(w, c->partner, -cur, cur, 0, false);
    c->status = COMMISSION_APPROVED;
    c->approved_at = w->now;
    model_approved_commission(w, ci);
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
    if ((c->status == COMMISSION_PENDING || c->status == COMMISSION_APPROVED) && c->payout < 0) {
        expect_ok(rc, &err, "commission_reject");
        int64_t cur = c->amount - c->reversed;
        if (cur != 0) {
            if (c->status == COMMISSION_PENDING) {
                post(w, c->partner, -cur, 0, 0, false);
            } else {
                post(w, c->partner, 0, -cur, 0, false);
                model_draft_reduce(w, c->partner, cur);
            }
        }
        if (c->conv >= 0) {
            struct mpartner *cp = &w->part[c->partner];
            *month_slot(w, cp, &cp->month_com, w->conv[c->conv].month) -= cur;
        }
        c->status = COMMISSION_REJECTED;
    } else {
        expect_refused(rc, &err, PD_ERR_CONFLICT,
                       "rejecting a paid, reversed or rejected one, or one whose money left");
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
