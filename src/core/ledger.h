/* The ledger: append-only entries, each moving money between a partner's three buckets.
 * Balances are sums of entries. Posting is pure: these functions say which entries an event makes;
 * the store appends them in the same transaction as the event. */
#ifndef PD_CORE_LEDGER_H
#define PD_CORE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ledger_kind {
    LEDGER_COMMISSION = 0, /* +pending */
    LEDGER_APPROVAL,       /* pending → approved */
    LEDGER_REVERSAL,       /* a refund or rejection before payment: −pending or −approved */
    LEDGER_CLAWBACK,       /* a refund after payment: −approved (may go negative, carried on) */
    LEDGER_PAYOUT,         /* approved → paid: a payout item exported or sent */
    LEDGER_ADJUSTMENT,     /* manual correction of approved */
    LEDGER_PAYOUT_FAILED,  /* paid → approved: a payout item that did not arrive */
};

enum commission_status { COMMISSION_PENDING = 0, COMMISSION_APPROVED, COMMISSION_PAID,
                         COMMISSION_REVERSED, COMMISSION_REJECTED };

struct ledger_delta {
    enum ledger_kind kind;
    int64_t pending;
    int64_t approved;
    int64_t paid;
};

struct ledger_balance {
    int64_t pending, approved, paid;
};

const char *ledger_kind_name(enum ledger_kind k);   /* "commission", "approval", ... */
int ledger_kind_parse(const char *s);               /* -1 when unknown */
const char *commission_status_name(enum commission_status s);
int commission_status_parse(const char *s);

/* The entry for a new commission of `amount`. */
struct ledger_delta ledger_post_commission(int64_t amount);
/* Approving a pending commission whose current amount is `amount`. */
struct ledger_delta ledger_post_approval(int64_t amount);
/* Reversing `amount` of a commission in `status` (pending or approved → reversal; paid → clawback).
 * Returns false for a status that cannot be reversed. */
bool ledger_post_reversal(enum commission_status status, int64_t amount, struct ledger_delta *out);
/* Paying `amount` out of the approved balance. */
struct ledger_delta ledger_post_payout(int64_t amount);
/* A payout item of `amount` that failed: it returns from paid to the approved balance. */
struct ledger_delta ledger_post_payout_failed(int64_t amount);
/* A manual correction of the approved balance by `amount` (either sign). */
struct ledger_delta ledger_post_adjustment(int64_t amount);

/* Adds a delta to a balance; false on overflow (balance unchanged). */
bool ledger_apply(struct ledger_balance *b, const struct ledger_delta *d);
/* pending + approved + paid; false on overflow. */
bool ledger_balance_total(const struct ledger_balance *b, int64_t *out);

/* What a commission's entries must sum to, by status: its current amount sits in pending, approved
 * or paid; a reversed or rejected commission sums to zero. Compare bucket by bucket only for a
 * commission that was never paid: a claw-back takes from approved while the paid bucket keeps what
 * was paid, so for a paid (or reversed-after-payment) commission compare ledger_balance_total. */
struct ledger_balance ledger_expected_for_commission(enum commission_status status, int64_t amount);

#endif
