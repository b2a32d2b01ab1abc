/* A payout statement's arithmetic: what a paid item is made of. Its commissions (each less what
 * was reversed before the payment left), and what the partner's balance carried into it (claw-
 * backs of refunds after an earlier payment, failed payouts returned, adjustments) add up to the
 * item's total exactly. Pure integer arithmetic in minor units. */
#ifndef PD_CORE_STATEMENT_H
#define PD_CORE_STATEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct statement_line {
    int64_t amount;   /* the commission as computed */
    int64_t reversed; /* reversed before the payment left (0..amount) */
};

struct statement_totals {
    int64_t commissions; /* Σ amount */
    int64_t reversals;   /* Σ reversed */
    int64_t carried;     /* total − (commissions − reversals): what the balance brought along */
    int64_t total;       /* the item's amount */
};

/* Fills out for the n lines of an item of amount total. false when a line is not consistent
 * (amount < 0, reversed outside 0..amount) or a sum overflows. */
bool statement_totals(const struct statement_line *lines, size_t n, int64_t total,
                      struct statement_totals *out);

#endif
