/* Commission rules and their evaluation (README "How it works"). Pure: rules, the order and the
 * partner's month so far in; commission lines and an explanation out. Parsing the rules JSON lives
 * in rules_json.c. */
#ifndef PD_CORE_COMMISSION_H
#define PD_CORE_COMMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum rule_type { RULE_PERCENT = 0, RULE_FLAT, RULE_LEAD };

struct rule_tier {
    int64_t from; /* the partner's attributed revenue this calendar month, minor units */
    int64_t bps;
};

struct rule_match {       /* NULL / -1 = any */
    const char *partner_id;
    const char *group;
    const char *sku;
    const char *category;
    int first_purchase;   /* -1 any, 1 first purchase only, 0 repeat purchases only */
    int64_t min_amount;   /* -1 none */
};

struct rule {
    const char *id;       /* from the JSON, or "r<index>" */
    enum rule_type type;
    int64_t bps;          /* percent: basis points, 1000 = 10 % */
    int64_t amount;       /* flat / lead: minor units */
    struct rule_tier *tiers; /* percent with tiers instead of bps; sorted by from */
    size_t ntiers;
    struct rule_match match;
};

struct ruleset {
    struct rule *rules;
    size_t nrules;
    int version;          /* the program's rules version; stored on every commission */
};

struct commission_item {
    const char *sku;
    const char *category;
    int64_t amount;       /* unit price, minor units */
    int64_t quantity;     /* ≥ 1 */
};

struct commission_input {
    int64_t amount;                       /* order amount, minor units, ≥ 0 */
    const struct commission_item *items;  /* optional: then each line is matched on its own */
    size_t nitems;
    const char *partner_id;
    const char *partner_group;            /* may be NULL */
    bool first_purchase;
    int64_t month_revenue_before;         /* the partner's attributed revenue this month, before */
};

/* One commission per matched rule: lines matched to the same rule are summed. */
struct commission_line {
    size_t rule_index;
    int64_t base;        /* the amount the rule applied to */
    int64_t amount;      /* commission, minor units */
    int64_t bps;         /* the rate used (percent), else 0 */
};

#define COMMISSION_MAX_LINES 16

struct commission_result {
    struct commission_line lines[COMMISSION_MAX_LINES];
    size_t nlines;
    int64_t total;
    char explanation[1024]; /* human-readable arithmetic, e.g. "10000 * 1000 bps / 10000 = 1000" */
};

/* An order's amount and its items, as a conversion must send them: 0 <= amount <=
 * MONEY_MAX_AMOUNT, each item's amount (a unit price) and its line (amount * quantity) within
 * 0..MONEY_MAX_AMOUNT, and the lines summing to exactly the order's amount (shipping or tax is an
 * item of its own). -1 with PD_ERR_UNPROCESSABLE naming "amount", "items[i].amount" or "items"
 * otherwise. */
int commission_order_check(int64_t amount, const struct commission_item *items, size_t nitems,
                           struct pd_err *err);

/* Evaluates sale rules (percent, flat) against a conversion. Most specific match wins:
 * partner > group > sku/category > default; among equals, the first in the list. No matching rule →
 * nlines 0. Overflow → -1 with PD_ERR_UNPROCESSABLE. */
int commission_compute(const struct ruleset *rs, const struct commission_input *in,
                       struct commission_result *out, struct pd_err *err);

/* The lead rule's amount for a partner (most specific lead rule), 0 when none. */
int64_t commission_for_lead(const struct ruleset *rs, const char *partner_id, const char *group,
                            size_t *rule_index);

/* Reversal on a refund: the commission C of an order of amount A, of which R has now been refunded
 * in total, and `already` reversed before: round_half_even(C*R/A) - already.
 * R ≤ A, A > 0. false on bad input. */
bool commission_refund_reversal(int64_t c, int64_t a, int64_t r_cumulative, int64_t already,
                                int64_t *out);


/* Caps (per partner per calendar month): cuts the result so earned_before + total ≤ cap, taking
 * from the last lines first, and notes the cut in the explanation. Returns the amount cut. */
int64_t commission_apply_cap(struct commission_result *r, int64_t cap, int64_t earned_before);

/* Multi-tier: what a parent earns on a child's commission, round_half_even(child * bps / 10000).
 * false on overflow or bad input. */
bool commission_parent_share(int64_t child_commission, int64_t parent_bps, int64_t *out);

#endif
