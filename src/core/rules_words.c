/* A program's commission in plain words (rules_words.h). */
#include "core/rules_words.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

/* A rate in basis points as a percentage with no trailing zeros. */
static void percent_text(int64_t bps, char *out, size_t len)
{
    int64_t whole = bps / 100, frac = bps % 100;
    if (frac == 0)
        snprintf(out, len, "%" PRId64 "%%", whole);
    else if (frac % 10 == 0)
        snprintf(out, len, "%" PRId64 ".%" PRId64 "%%", whole, frac / 10);
    else
        snprintf(out, len, "%" PRId64 ".%02" PRId64 "%%", whole, frac);
}

static void money_text(int64_t amount, const struct currency *cur, char *out, size_t len)
{
    char num[48];
    if (money_format(amount, cur->exponent, num, sizeof num) < 0)
        snprintf(num, sizeof num, "%" PRId64, amount);
    snprintf(out, len, "%s %s", num, cur->code);
}

/* The conditions a public rule may have, as a phrase after the amount. */
static void conditions(const struct rule *r, const struct currency *cur, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    if (r->match.first_purchase == 1)
        n += (size_t)snprintf(out + n, len - n, " on first purchases");
    else if (r->match.first_purchase == 0)
        n += (size_t)snprintf(out + n, len - n, " on repeat purchases");
    if (n < len && r->match.sku)
        n += (size_t)snprintf(out + n, len - n, " for the product %s", r->match.sku);
    if (n < len && r->match.category)
        n += (size_t)snprintf(out + n, len - n, " in the category %s", r->match.category);
    if (n < len && r->match.min_amount >= 0) {
        char m[64];
        money_text(r->match.min_amount, cur, m, sizeof m);
        snprintf(out + n, len - n, " on orders of at least %s", m);
    }
}

static void rule_phrase(const struct rule *r, const struct currency *cur, char *out, size_t len)
{
    char amount[64], cond[400], tiers[400] = "";
    if (r->type == RULE_PERCENT && r->ntiers > 0) {
        percent_text(r->tiers[0].bps, amount, sizeof amount);
        size_t n = 0;
        for (size_t i = 1; i < r->ntiers && n < sizeof tiers; i++) {
            char pct[32], from[64];
            percent_text(r->tiers[i].bps, pct, sizeof pct);
            money_text(r->tiers[i].from, cur, from, sizeof from);
            n += (size_t)snprintf(tiers + n, sizeof tiers - n,
                                  ", %s once your sales this month reach %s", pct, from);
        }
    } else if (r->type == RULE_PERCENT) {
        percent_text(r->bps, amount, sizeof amount);
    } else {
        money_text(r->amount, cur, amount, sizeof amount);
    }
    conditions(r, cur, cond, sizeof cond);
    const char *what = r->type == RULE_PERCENT ? " of each sale"
                       : r->type == RULE_FLAT  ? " per sale"
                                               : " per signup you refer";
    snprintf(out, len, "%s%s%s%s", amount, what, cond, tiers);
}

void rules_words(const struct ruleset *rs, const struct currency *cur, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < rs->nrules && n + 1 < outlen; i++) {
        const struct rule *r = &rs->rules[i];
        if (r->match.partner_id || r->match.group)
            continue;
        char phrase[1024];
        rule_phrase(r, cur, phrase, sizeof phrase);
        int w = snprintf(out + n, outlen - n, "%s%s", n ? "; " : "", phrase);
        n = w < 0 ? n : n + (size_t)w >= outlen ? outlen - 1 : n + (size_t)w;
    }
    if (n == 0)
        snprintf(out, outlen, "The commission is not set yet.");
}
