/* Commission evaluation (core/commission.h; README "How it works").
 *
 * Decisions this file makes (the tests pin each one):
 * - Specificity: a rule scores 4 for a partner_id match, 2 for a group match, 1 for a sku or
 *   category match (sku and category are one level); the highest score wins, ties go to the rule
 *   listed first. So partner + category (5) beats partner (4) beats group + sku (3), and so on.
 * - Filters: first_purchase and min_amount narrow a rule's match; min_amount compares the order's
 *   amount (a minimum order value), also when items are sent.
 * - Items: each line is amount (unit price) * quantity and is matched on its own; lines without
 *   a matching rule earn nothing. Items are the base: shipping or tax in the order amount but not
 *   in any item earns nothing. Lines matched to the same rule become one commission line whose
 *   base is their sum; for a percent rule each item line is rounded half-to-even and the results
 *   summed (README: a commission line is rounded, the lines are summed); a flat rule pays its
 *   amount once per conversion however many lines it matched.
 * - Tiers: the rate is the one of the tier the partner's attributed revenue this month falls in
 *   BEFORE this order (the highest tier whose `from` <= month_revenue_before), applied to the
 *   whole order. An order that crosses a threshold is not split; the next order gets the new
 *   rate. One rate per order keeps the explanation to one line and means a partner reaches a
 *   tier with revenue already earned, never with the order being paid. Below the first tier's
 *   `from` the rate is 0.
 * - A rule that matched but yields 0 (0 bps, a 0 flat amount, a 0 base) makes no commission line;
 *   the explanation still says so. */
#include "core/commission.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/money.h"
#include "util/banned.h"

/* A bounded text builder for the explanation: it never overflows and marks truncation. */
struct explain {
    char *buf;
    size_t len, cap;
    bool truncated;
};

static void explain_add(struct explain *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void explain_add(struct explain *e, const char *fmt, ...)
{
    if (e->truncated)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->buf + e->len, e->cap - e->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= e->cap - e->len) {
        e->truncated = true;
        /* Keep what fits and end with "..." so a reader knows there was more. */
        if (e->cap >= 4)
            memcpy(e->buf + e->cap - 4, "...", 4);
        e->len = e->cap - 1;
        return;
    }
    e->len += (size_t)n;
}

static int specificity(const struct rule *r)
{
    return (r->match.partner_id ? 4 : 0) + (r->match.group ? 2 : 0) +
           ((r->match.sku || r->match.category) ? 1 : 0);
}

static bool same(const char *want, const char *have)
{
    return have && strcmp(want, have) == 0;
}

/* Does rule r apply to this conversion (sku and category: the line's, NULL for a whole order)? */
static bool rule_matches(const struct rule *r, const struct commission_input *in, const char *sku,
                         const char *category)
{
    const struct rule_match *m = &r->match;
    if (m->partner_id && !same(m->partner_id, in->partner_id))
        return false;
    if (m->group && !same(m->group, in->partner_group))
        return false;
    if (m->sku && !same(m->sku, sku))
        return false;
    if (m->category && !same(m->category, category))
        return false;
    if (m->first_purchase >= 0 && (m->first_purchase != 0) != in->first_purchase)
        return false;
    if (m->min_amount >= 0 && in->amount < m->min_amount)
        return false;
    return true;
}

/* The most specific sale rule (percent or flat) for a line; false when none matches. */
static bool best_sale_rule(const struct ruleset *rs, const struct commission_input *in,
                           const char *sku, const char *category, size_t *index)
{
    int best_score = -1;
    for (size_t i = 0; i < rs->nrules; i++) {
        const struct rule *r = &rs->rules[i];
        if (r->type != RULE_PERCENT && r->type != RULE_FLAT)
            continue;
        if (!rule_matches(r, in, sku, category))
            continue;
        int score = specificity(r);
        if (score > best_score) { /* strictly greater: the first listed wins a tie */
            best_score = score;
            *index = i;
        }
    }
    return best_score >= 0;
}

/* The basis points a percent rule pays for this partner; *tier is the tier used or -1. */
static int64_t rule_bps(const struct rule *r, int64_t month_revenue_before, long *tier)
{
    *tier = -1;
    if (r->ntiers == 0 || !r->tiers)
        return r->bps;
    int64_t bps = 0;
    for (size_t t = 0; t < r->ntiers; t++) {
        if (r->tiers[t].from <= month_revenue_before) {
            bps = r->tiers[t].bps;
            *tier = (long)t;
        }
    }
    return bps;
}

struct line_acc {
    size_t rule_index;
    int64_t base;
    int64_t amount;
    int64_t bps;
    size_t nbases; /* how many bases (item lines) were added */
};

struct compute {
    const struct ruleset *rs;
    const struct commission_input *in;
    struct line_acc acc[COMMISSION_MAX_LINES];
    size_t nacc;
    struct explain ex;
    struct pd_err *err;
};

static int overflow(struct compute *c, const char *param)
{
    return pd_err_set(c->err, PD_ERR_UNPROCESSABLE, param,
                      "amount too large: the commission would overflow");
}

static void explain_rate(struct compute *c, const struct rule *r, int64_t bps, long tier)
{
    if (tier >= 0)
        explain_add(&c->ex, "rule %s percent, tier from %lld (month revenue before %lld) %lld bps",
                    r->id, (long long)r->tiers[tier].from, (long long)c->in->month_revenue_before,
                    (long long)bps);
    else if (r->ntiers > 0)
        explain_add(&c->ex,
                    "rule %s percent, below the first tier (month revenue before %lld) 0 bps",
                    r->id, (long long)c->in->month_revenue_before);
    else
        explain_add(&c->ex, "rule %s percent %lld bps", r->id, (long long)bps);
}

/* Applies rule `index` to one base (the order, or one item line) and adds it to its accumulator. */
static int apply_rule(struct compute *c, size_t index, int64_t base, const char *param)
{
    const struct rule *r = &c->rs->rules[index];
    struct line_acc *acc = NULL;
    for (size_t i = 0; i < c->nacc; i++)
        if (c->acc[i].rule_index == index)
            acc = &c->acc[i];
    if (!acc) {
        if (c->nacc == COMMISSION_MAX_LINES)
            return pd_err_set(c->err, PD_ERR_UNPROCESSABLE, "items",
                              "items match more than %d different commission rules",
                              COMMISSION_MAX_LINES);
        acc = &c->acc[c->nacc++];
        *acc = (struct line_acc){.rule_index = index};
    }
    if (!money_add(acc->base, base, &acc->base))
        return overflow(c, param);
    acc->nbases++;

    if (r->type == RULE_FLAT) {
        acc->amount = r->amount;
        explain_add(&c->ex, "rule %s flat %lld per conversion%s", r->id, (long long)r->amount,
                    acc->nbases > 1 ? " (already counted)" : "");
        return 0;
    }
    long tier;
    int64_t bps = rule_bps(r, c->in->month_revenue_before, &tier);
    int64_t amount;
    if (!money_apply_bps(base, bps, &amount))
        return overflow(c, param);
    if (!money_add(acc->amount, amount, &acc->amount))
        return overflow(c, param);
    acc->bps = bps;
    explain_rate(c, r, bps, tier);
    bool inexact = ((__int128)base * bps) % 10000 != 0;
    explain_add(&c->ex, ": %lld * %lld / 10000 = %lld%s", (long long)base, (long long)bps,
                (long long)amount, inexact ? " (rounded half to even)" : "");
    return 0;
}

static int compute_items(struct compute *c)
{
    const struct commission_input *in = c->in;
    for (size_t i = 0; i < in->nitems; i++) {
        const struct commission_item *it = &in->items[i];
        char param[48];
        snprintf(param, sizeof param, "items[%zu].amount", i);
        if (it->amount < 0)
            return pd_err_set(c->err, PD_ERR_UNPROCESSABLE, param, "item amount must be >= 0");
        if (it->quantity < 1) {
            snprintf(param, sizeof param, "items[%zu].quantity", i);
            return pd_err_set(c->err, PD_ERR_UNPROCESSABLE, param, "item quantity must be >= 1");
        }
        int64_t line;
        if (__builtin_mul_overflow(it->amount, it->quantity, &line))
            return overflow(c, param);
        explain_add(&c->ex, "%sitem %zu (sku %s, category %s) %lld x %lld = %lld -> ",
                    i ? "; " : "", i, it->sku ? it->sku : "-", it->category ? it->category : "-",
                    (long long)it->quantity, (long long)it->amount, (long long)line);
        size_t index;
        if (!best_sale_rule(c->rs, in, it->sku, it->category, &index)) {
            explain_add(&c->ex, "no rule");
            continue;
        }
        if (apply_rule(c, index, line, param) != 0)
            return -1;
    }
    return 0;
}

int commission_compute(const struct ruleset *rs, const struct commission_input *in,
                       struct commission_result *out, struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    struct compute c = {.rs = rs, .in = in, .err = err};
    c.ex = (struct explain){.buf = out->explanation, .cap = sizeof out->explanation};

    if (in->amount < 0)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount", "amount must be >= 0");
    if (in->nitems > 0 && !in->items)
        return pd_err_set(err, PD_ERR_INTERNAL, "items", "nitems without items");

    if (in->nitems > 0) {
        if (compute_items(&c) != 0)
            goto fail;
    } else {
        size_t index;
        explain_add(&c.ex, "order %lld -> ", (long long)in->amount);
        if (!best_sale_rule(rs, in, NULL, NULL, &index))
            explain_add(&c.ex, "no rule");
        else if (apply_rule(&c, index, in->amount, "amount") != 0)
            goto fail;
    }

    for (size_t i = 0; i < c.nacc; i++) {
        const struct line_acc *acc = &c.acc[i];
        if (acc->amount == 0)
            continue; /* a matched rule that pays nothing makes no commission */
        if (!money_add(out->total, acc->amount, &out->total)) {
            overflow(&c, "amount");
            goto fail;
        }
        out->lines[out->nlines++] = (struct commission_line){
            .rule_index = acc->rule_index,
            .base = acc->base,
            .amount = acc->amount,
            .bps = rs->rules[acc->rule_index].type == RULE_PERCENT ? acc->bps : 0};
    }
    if (out->nlines > 1) {
        explain_add(&c.ex, "; total");
        for (size_t i = 0; i < out->nlines; i++)
            explain_add(&c.ex, "%s %s %lld", i ? " +" : "", rs->rules[out->lines[i].rule_index].id,
                        (long long)out->lines[i].amount);
        explain_add(&c.ex, " = %lld", (long long)out->total);
    } else {
        explain_add(&c.ex, "; total %lld", (long long)out->total);
    }
    return 0;

fail:
    /* Leave no half-computed lines behind; keep the message in err. */
    out->nlines = 0;
    out->total = 0;
    return -1;
}

int64_t commission_for_lead(const struct ruleset *rs, const char *partner_id, const char *group,
                            size_t *rule_index)
{
    int best_score = -1;
    size_t best = 0;
    for (size_t i = 0; i < rs->nrules; i++) {
        const struct rule *r = &rs->rules[i];
        if (r->type != RULE_LEAD)
            continue;
        /* A lead has no order: only partner and group narrow a lead rule. */
        if (r->match.partner_id && !same(r->match.partner_id, partner_id))
            continue;
        if (r->match.group && !same(r->match.group, group))
            continue;
        if (r->match.sku || r->match.category)
            continue;
        int score = specificity(r);
        if (score > best_score) {
            best_score = score;
            best = i;
        }
    }
    if (best_score < 0)
        return 0;
    if (rule_index)
        *rule_index = best;
    return rs->rules[best].amount;
}

bool commission_refund_reversal(int64_t c, int64_t a, int64_t r_cumulative, int64_t already,
                                int64_t *out)
{
    if (a <= 0 || r_cumulative < 0 || r_cumulative > a || c < 0)
        return false;
    int64_t due;
    /* Rounding the cumulative share (not each refund's share) is what makes the parts add up to C:
     * every step reverses the difference between two rounded totals. */
    if (!money_mul_div(c, r_cumulative, a, &due))
        return false;
    return money_sub(due, already, out);
}

int64_t commission_apply_cap(struct commission_result *r, int64_t cap, int64_t earned_before)
{
    if (cap < 0)
        return 0;
    int64_t room = cap - earned_before;
    if (room < 0)
        room = 0;
    if (r->total <= room)
        return 0;
    int64_t cut = r->total - room;
    int64_t left = cut;
    for (size_t i = r->nlines; i-- > 0 && left > 0;) {
        int64_t take = r->lines[i].amount < left ? r->lines[i].amount : left;
        r->lines[i].amount -= take;
        left -= take;
    }
    r->total = room;
    struct explain e = {.buf = r->explanation, .len = strlen(r->explanation),
                        .cap = sizeof r->explanation};
    explain_add(&e, "; monthly cap %lld with %lld earned this month: cut by %lld to %lld",
                (long long)cap, (long long)earned_before, (long long)cut, (long long)room);
    return cut;
}

int commission_order_check(int64_t amount, const struct commission_item *items, size_t nitems,
                           struct pd_err *err)
{
    if (amount < 0 || amount > MONEY_MAX_AMOUNT)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount",
                          "amount must be between 0 and %lld minor units",
                          (long long)MONEY_MAX_AMOUNT);
    if (nitems == 0)
        return 0;
    /* Each line is at most 10^15 and there are at most SIZE_MAX of them: no overflow below. */
    __int128 sum = 0;
    for (size_t i = 0; i < nitems; i++) {
        __int128 line = (__int128)items[i].amount * items[i].quantity;
        if (items[i].amount < 0 || items[i].quantity < 1 || line > MONEY_MAX_AMOUNT) {
            char param[48];
            snprintf(param, sizeof param, "items[%zu].amount", i);
            return pd_err_set(err, PD_ERR_UNPROCESSABLE, param,
                              "%s times its quantity must be between 0 and %lld minor units",
                              param, (long long)MONEY_MAX_AMOUNT);
        }
        sum += line;
    }
    if (sum > MONEY_MAX_AMOUNT)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "items",
                          "the items (amount * quantity) add up to more than the order's amount "
                          "%lld", (long long)amount);
    if (sum != amount)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "items",
                          "the items (amount * quantity) add up to %lld, not the order's amount "
                          "%lld; send shipping or tax as an item of its own",
                          (long long)sum, (long long)amount);
    return 0;
}

bool commission_parent_share(int64_t child_commission, int64_t parent_bps, int64_t *out)
{
    if (child_commission < 0 || parent_bps < 0 || parent_bps > 10000)
        return false;
    return money_apply_bps(child_commission, parent_bps, out);
}
