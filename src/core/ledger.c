/* Ledger posting: which bucket movements each event makes (core/ledger.h). */
#include "core/ledger.h"

#include <string.h>

#include "util/banned.h"

static const char *const kind_names[] = {
    [LEDGER_COMMISSION] = "commission", [LEDGER_APPROVAL] = "approval",
    [LEDGER_REVERSAL] = "reversal",     [LEDGER_CLAWBACK] = "clawback",
    [LEDGER_PAYOUT] = "payout",         [LEDGER_ADJUSTMENT] = "adjustment",
    [LEDGER_PAYOUT_FAILED] = "payout_failed",
};

static const char *const status_names[] = {
    [COMMISSION_PENDING] = "pending",   [COMMISSION_APPROVED] = "approved",
    [COMMISSION_PAID] = "paid",         [COMMISSION_REVERSED] = "reversed",
    [COMMISSION_REJECTED] = "rejected",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *ledger_kind_name(enum ledger_kind k)
{
    return (unsigned)k < COUNT(kind_names) ? kind_names[k] : "unknown";
}

int ledger_kind_parse(const char *s)
{
    for (size_t i = 0; s && i < COUNT(kind_names); i++)
        if (strcmp(s, kind_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *commission_status_name(enum commission_status s)
{
    return (unsigned)s < COUNT(status_names) ? status_names[s] : "unknown";
}

int commission_status_parse(const char *s)
{
    for (size_t i = 0; s && i < COUNT(status_names); i++)
        if (strcmp(s, status_names[i]) == 0)
            return (int)i;
    return -1;
}

/* Negation without undefined behaviour for INT64_MIN (which callers never pass: amounts are
 * validated ≥ 0 long before posting; this only keeps a bad caller from UB). */
static int64_t negate(int64_t v)
{
    return (int64_t)(0 - (uint64_t)v);
}

struct ledger_delta ledger_post_commission(int64_t amount)
{
    return (struct ledger_delta){.kind = LEDGER_COMMISSION, .pending = amount};
}

struct ledger_delta ledger_post_approval(int64_t amount)
{
    return (struct ledger_delta){
        .kind = LEDGER_APPROVAL, .pending = negate(amount), .approved = amount};
}

bool ledger_post_reversal(enum commission_status status, int64_t amount, struct ledger_delta *out)
{
    if (amount < 0)
        return false;
    switch (status) {
    case COMMISSION_PENDING:
        *out = (struct ledger_delta){.kind = LEDGER_REVERSAL, .pending = negate(amount)};
        return true;
    case COMMISSION_APPROVED:
        *out = (struct ledger_delta){.kind = LEDGER_REVERSAL, .approved = negate(amount)};
        return true;
    case COMMISSION_PAID:
        /* The money has left; what was paid stays paid. The claw-back lowers the approved balance,
         * possibly below zero, and the next payout nets it out. */
        *out = (struct ledger_delta){.kind = LEDGER_CLAWBACK, .approved = negate(amount)};
        return true;
    case COMMISSION_REVERSED:
    case COMMISSION_REJECTED:
        break;
    }
    return false;
}

struct ledger_delta ledger_post_payout(int64_t amount)
{
    return (struct ledger_delta){.kind = LEDGER_PAYOUT, .approved = negate(amount), .paid = amount};
}

struct ledger_delta ledger_post_payout_failed(int64_t amount)
{
    return (struct ledger_delta){
        .kind = LEDGER_PAYOUT_FAILED, .approved = amount, .paid = negate(amount)};
}

struct ledger_delta ledger_post_adjustment(int64_t amount)
{
    return (struct ledger_delta){.kind = LEDGER_ADJUSTMENT, .approved = amount};
}

bool ledger_apply(struct ledger_balance *b, const struct ledger_delta *d)
{
    struct ledger_balance r;
    if (__builtin_add_overflow(b->pending, d->pending, &r.pending) ||
        __builtin_add_overflow(b->approved, d->approved, &r.approved) ||
        __builtin_add_overflow(b->paid, d->paid, &r.paid))
        return false;
    *b = r;
    return true;
}

bool ledger_balance_total(const struct ledger_balance *b, int64_t *out)
{
    int64_t t;
    if (__builtin_add_overflow(b->pending, b->approved, &t) ||
        __builtin_add_overflow(t, b->paid, &t))
        return false;
    *out = t;
    return true;
}

struct ledger_balance ledger_expected_for_commission(enum commission_status status, int64_t amount)
{
    struct ledger_balance b = {0, 0, 0};
    switch (status) {
    case COMMISSION_PENDING:
        b.pending = amount;
        break;
    case COMMISSION_APPROVED:
        b.approved = amount;
        break;
    case COMMISSION_PAID:
        b.paid = amount;
        break;
    case COMMISSION_REVERSED:
    case COMMISSION_REJECTED:
        break;
    }
    return b;
}
