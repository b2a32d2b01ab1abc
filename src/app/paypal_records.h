/* Paying with PayPal, the records: each program's Payouts API settings (paypal_settings, the
 * secret write-only) and each part of a batch sent to PayPal (paypal_sends: its sender_batch_id,
 * PayPal's payout_batch_id once known, where the sender stands and the last provider error). The
 * only writer of both tables; every call runs in the caller's transaction. Memory comes from the
 * caller's arena. */
#ifndef PD_APP_PAYPAL_RECORDS_H
#define PD_APP_PAYPAL_RECORDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

struct paypal_settings {
    const char *program_id, *client_id, *client_secret, *mode;
    const char *base_url; /* the stored one, or NULL: the mode's (paypal_settings_url) */
};

/* 0 found, 1 not set up, -1 store error. */
int paypal_settings_load(struct store *s, const char *program_id, struct arena *a,
                         struct paypal_settings *out, struct pd_err *err);
/* The base URL requests go to: base_url, or the mode's. */
const char *paypal_settings_url(const struct paypal_settings *p);

/* A change asked for in a program's `paypal` field: NULL members stay as they are. */
struct paypal_settings_patch {
    bool given;  /* the request names paypal */
    bool remove; /* paypal: null */
    const char *client_id, *client_secret, *mode;
    bool base_url_given; /* base_url named: base_url, or NULL to go back to the mode's */
    const char *base_url;
};
/* Applies a checked patch onto the program's settings: creating them needs client_id and
 * client_secret (422 naming the one missing); mode defaults to sandbox. */
int paypal_settings_apply(struct store *s, const char *program_id,
                          const struct paypal_settings_patch *p, int64_t now_ms,
                          struct pd_err *err);
/* {"client_id", "client_secret_set": true, "mode", "base_url"} (base_url: the one used), or JSON
 * null when not set up; NULL with err on a store error. New reference. */
json_t *paypal_settings_json(struct store *s, const char *program_id, struct pd_err *err);

/* One part of a batch sent to PayPal. */
struct paypal_send {
    const char *sender_batch_id, *payout_id, *program_id, *status;
    const char *payout_batch_id; /* NULL until PayPal's batch is known */
    int part;
    int attempts;
    int64_t created_at, accepted_at; /* accepted_at: 0 until PayPal's batch is known */
};

/* Records the parts 1..parts of a batch as to be created at PayPal now. STORE_CONSTRAINT when
 * the batch was sent already. */
int paypal_sends_create(struct store *s, const char *payout_id, int parts, int64_t now_ms,
                        struct pd_err *err);
/* How many parts of the batch were sent (0: never sent). */
int paypal_sends_count(struct store *s, const char *payout_id, int64_t *out, struct pd_err *err);
/* Up to max parts that are creating or following and due at now_ms, oldest first. */
int paypal_sends_due(struct store *s, int64_t now_ms, int max, struct arena *a,
                     struct paypal_send *out, int *n, struct pd_err *err);
/* true when some part is due (or the store cannot tell). */
bool paypal_sends_any_due(struct store *s, int64_t now_ms);
/* PayPal made the part's batch: creating → following, due at next_ms. A part already following
 * keeps the batch id it has. */
int paypal_send_accepted(struct store *s, const char *sender_batch_id, const char *payout_batch_id,
                         int64_t now_ms, int64_t next_ms, struct pd_err *err);
/* Not finished yet: tried once more (attempts + 1 unless progress, then 0), due again at
 * next_ms, error (NULL: none) kept as the last provider error. */
int paypal_send_again(struct store *s, const char *sender_batch_id, bool progress, int64_t next_ms,
                      const char *error, struct pd_err *err);
/* Finished: status "done" (every item paid or failed) or "failed" (PayPal refused the part; its
 * items were failed by the caller), with the error when failed. */
int paypal_send_finish(struct store *s, const char *sender_batch_id, const char *status,
                       const char *error, int64_t now_ms, struct pd_err *err);
/* The parts of a batch as the API answers them: [{"part", "sender_batch_id",
 * "payout_batch_id", "status", "attempts", "error"}], empty when never sent. New reference. */
json_t *paypal_sends_json(struct store *s, const char *payout_id, struct pd_err *err);

#endif
