/* Payout batches, the operations: a batch of a program is made for the current month or an
 * earlier one from the partners' approved balances as they are, and stays a draft (refreshed,
 * deleted) until money leaves: a file of it is exported (its first download) or its PayPal items
 * are sent through PayPal's API. Then each item that left is settled paid or failed; a failed
 * one returns its amount to the partner's approved balance. Every function runs in the caller's
 * transaction, so each step happens whole or not at all.
 *
 * Items: one per partner with a positive approved balance; "payable", or "held" with a reason
 * (suspended, no_payout_method, below_min_payout) and never exported; "sent" once it left (the
 * payout ledger entry is posted then), "paid" or "failed" when settled. A program has at most one
 * draft; a commission belongs to at most one batch; approvals after a batch is exported go to the
 * next one. */
#ifndef PD_APP_PAYOUTS_H
#define PD_APP_PAYOUTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "app/views.h" /* payout_json: a batch as the API answers it */
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/strbuf.h"

/* The most PayPal items one Payouts API request takes. */
#define PAYOUT_PAYPAL_API_PART 15000

/* "2026-11" → the period's first millisecond and the next month's. false when malformed. */
bool payout_period_parse(const char *period, int64_t *start_ms, int64_t *end_ms);

typedef void (*payout_progress_fn)(const char *stage, int64_t done, int64_t total, void *arg);

/* Makes the draft of (program, period) from the approved balances as they are, or refreshes the
 * program's draft of that period (*created false). A period after now's month is 422; a draft of
 * another period is 409 (refresh, export or delete it first). *payout_id (arena) gets its id.
 * progress may be NULL. */
int payout_create(struct store *s, const char *program_id, const char *period, int64_t now_ms,
                  struct arena *a, const char **payout_id, bool *created,
                  payout_progress_fn progress, void *progress_arg, struct pd_err *err);
/* Recomputes a draft from the approved balances as they are now; 409 once it is not a draft. */
int payout_refresh(struct store *s, const char *payout_id, int64_t now_ms, struct pd_err *err);
/* Removes a draft (its commissions are free again); 409 once it is not a draft. */
int payout_delete(struct store *s, const char *payout_id, int64_t now_ms, struct pd_err *err);

/* The whole batch is paid: a draft's payable items leave now (channel "manual"), then every item
 * that left and is not settled yet is paid. 409 when nothing is left to pay. */
int payout_mark_paid(struct store *s, const char *payout_id, int64_t now_ms, struct pd_err *err);

/* Settles one item, named by its reference (PayPal's sender_item_id, SEPA's EndToEndId): paid,
 * or failed with a reason (≤ 200 bytes), which posts payout_failed (its amount back to approved)
 * and frees its commissions for the next batch. A sent item can be paid or failed, a paid one
 * failed (money returned); the same outcome again is a no-op; anything else is 409; an unknown
 * reference 404. When no item is left to settle the batch is paid. */
int payout_item_settle(struct store *s, const char *payout_id, const char *reference, bool paid,
                       const char *reason, int64_t now_ms, struct pd_err *err);
/* The merchant's own settling (the API): as payout_item_settle, but an item sent with PayPal's
 * Payouts API is 409, since PayPal may be paying it at this moment and only its answer can say. */
int payout_item_settle_by_hand(struct store *s, const char *payout_id, const char *reference,
                               bool paid, const char *reason, int64_t now_ms, struct pd_err *err);

/* The payable items of one method type ("paypal", "iban", NULL: all) leave through channel:
 * sent, their payout entries posted, their commissions in the batch, the batch (if a draft)
 * batch_status.
 * 409 when the batch is paid or those items left through another channel. *count: how many. */
int payout_items_leave(struct store *s, const char *payout_id, const char *method_type,
                       const char *channel, const char *batch_status, int64_t now_ms,
                       int64_t *count, struct pd_err *err);

/* ---- The PayPal Payouts API sender ------------------------------------------------------- */

/* A PayPal item of a batch as the API sends it. Strings live in the caller's arena. */
struct payout_paypal_item {
    const char *item_id; /* "poi_…" */
    const char *email;   /* the receiver */
    int64_t amount;      /* minor units of currency, > 0 */
    const char *currency;
    const char *reference; /* sender_item_id: 1-30 of A-Z 0-9 - */
    const char *status;    /* payable | sent | paid | failed */
};

/* Part `part` (1-based) of the batch's PayPal items that are not held and did not leave through
 * a CSV file, PAYOUT_PAYPAL_API_PART a part, always in the same order. *parts gets the number of
 * parts (0 when there are none: then *n is 0 for part 1); a part past the last is 404. */
int payout_paypal_items(struct store *s, const char *payout_id, size_t part, struct arena *a,
                        struct payout_paypal_item **items, size_t *n, size_t *parts,
                        struct pd_err *err);
/* Marks the batch's payable PayPal items sent through the API (channel "paypal_api"), posting
 * each one's payout ledger entry, its commissions in the batch (paid with the item), the batch
 * "sent". *count (may be NULL)
 * gets how many left now: 0 when all had already (so a retry changes nothing). 409 when the
 * batch's PayPal items were exported as a CSV file or the batch is paid; 422 with no PayPal item
 * to send. */
int payout_paypal_mark_sent(struct store *s, const char *payout_id, int64_t now_ms, int64_t *count,
                            struct pd_err *err);

/* ---- Files -------------------------------------------------------------------------------- */

enum payout_file {
    PAYOUT_FILE_SEPA = 0, /* pain.001 XML: EUR, IBAN items */
    PAYOUT_FILE_PAYPAL,   /* PayPal Payouts web upload: PayPal items, parts of 5,000 */
    PAYOUT_FILE_WISE,     /* Wise batch: IBAN items, parts of 1,000 */
};

struct payout_file_request {
    enum payout_file kind;
    size_t part;   /* 1-based; 0: the whole file (409 when it needs parts) */
    bool sepa_v03; /* pain.001.001.03 instead of .09 */
};

/* Exports the file (a write, in the writer's transaction): the first export of a batch's PayPal
 * items (or IBAN items) marks them sent through that channel and posts their payout entries; a
 * later one changes nothing. 409 when those items left through another channel (SEPA vs Wise, a
 * PayPal CSV vs the API) or none can be exported; 422 for SEPA outside EUR or without the
 * program's payout_debtor; 404 for a part past the last. *parts gets the file's part count. */
int payout_export(struct store *s, const struct payout_file_request *req, const char *payout_id,
                  int64_t now_ms, size_t *parts, struct pd_err *err);
/* Appends an exported file to out (read-only; out's limit bounds it: 413 past it). The same
 * export gives the same bytes every time. */
int payout_file_write(struct store *s, const struct payout_file_request *req, const char *payout_id,
                      struct strbuf *out, struct pd_err *err);
/* The batch's downloads as the batch JSON lists them: [{format, part, items, url}]. */
json_t *payout_files_json(struct store *s, const char *payout_id, struct pd_err *err);

/* The generic CSV of every item (a listing, not a payment file: nothing changes). */
void payout_csv_field(FILE *out, const char *v, bool last);
int payout_write_csv(struct store *s, const char *payout_id, FILE *out,
                     payout_progress_fn progress, void *progress_arg, struct pd_err *err);

#endif
