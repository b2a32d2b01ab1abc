/* The PayPal sender inside `partnerd serve`: takes the parts of batches sent with
 * POST /api/v1/payouts/{id}/send, creates each at PayPal (OAuth2 client credentials, the token
 * kept until it expires; POST /v1/payments/payouts with the part's sender_batch_id, so PayPal pays
 * a part at most once: a create PayPal refuses as a duplicate is looked up, never paid again),
 * then follows PayPal's batch (GET /v1/payments/payouts/{payout_batch_id}, every page) until each
 * item is final, settling it paid or failed through the payouts module. Provider errors, 5xx
 * answers and timeouts are retried with exponential backoff (capped at an hour) and kept as the
 * part's last error; a create PayPal refuses for good fails the part's items (their money goes
 * back to the approved balances). Every write is a writer job.
 *
 * Test hook: with PARTNERD_TEST_PAYPAL_HOLD=after_create in the environment the sender logs
 * "paypal test hook: holding after a create" as soon as PayPal has answered a create and then
 * waits for the process to be killed, before anything of the answer is recorded (so a test can
 * kill -9 it between the provider's answer and the commit). */
#ifndef PD_JOBS_PAYPAL_H
#define PD_JOBS_PAYPAL_H

#include <stdint.h>

#include "store/writer.h"
#include "util/err.h"

#define PAYPAL_HOLD_ENV "PARTNERD_TEST_PAYPAL_HOLD"

struct paypal_sender;

/* db_url: the database, read on a connection of the sender's own. poll_ms: how often due parts
 * are looked for; retry_base_ms: the first wait after a failed attempt or a look that found items
 * still pending (then doubled); timeout_ms: the most one request to PayPal may take. 0 for the
 * defaults (1 s, 30 s, 30 s). ca_file: PEM certificates trusted
 * for https ("" or NULL: the system's). NULL with err when the setup fails. */
struct paypal_sender *paypal_sender_start(struct writer *w, const char *db_url, int poll_ms,
                                          int64_t retry_base_ms, int timeout_ms,
                                          const char *ca_file, struct pd_err *err);
/* Stops it (a request in progress ends within a fraction of a second). Call before writer_stop. */
void paypal_sender_stop(struct paypal_sender *ps);

#endif
