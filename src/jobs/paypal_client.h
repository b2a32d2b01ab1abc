/* The PayPal sender's client (inside src/jobs/): the Payouts API calls it makes, each one blocking
 * request through http/client.c, with the OAuth2 token of each set of credentials kept until
 * shortly before it expires (and dropped when PayPal refuses it). Each answer is classified:
 * done, worth another try later (no answer, a timeout, 429, 5xx, a refused token), or refused for
 * good. */
#ifndef PD_JOBS_PAYPAL_CLIENT_H
#define PD_JOBS_PAYPAL_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/paypal.h"
#include "util/arena.h"
#include "util/err.h"

struct paypal_client;

/* Whose money and where: a program's settings as the client needs them. */
struct paypal_api {
    const char *base_url, *client_id, *client_secret;
};

enum paypal_result {
    PAYPAL_OK = 0,  /* done: the answer is in the result */
    PAYPAL_RETRY,   /* nothing known to have happened: try again later */
    PAYPAL_REFUSED, /* PayPal refused it for good */
};

/* ca_file as http_client_new's; cancel ends a request in progress when set; timeout_ms bounds
 * each request. hold_after_create: the test hook of jobs/paypal.h. NULL with err. */
struct paypal_client *paypal_client_new(const char *ca_file, const atomic_bool *cancel,
                                        int timeout_ms, bool hold_after_create, struct pd_err *err);
void paypal_client_free(struct paypal_client *c);

/* POST /v1/payments/payouts with body (paypal_create_body). PAYPAL_OK with PayPal's
 * payout_batch_id in batch_id, also when PayPal refused sender_batch_id as used already and named
 * the batch it made of it; otherwise why in error. */
enum paypal_result paypal_client_create(struct paypal_client *c, const struct paypal_api *api,
                                        const char *body, char *batch_id, size_t batch_id_len,
                                        char *error, size_t error_len);

/* GET /v1/payments/payouts/{batch_id}?page=N: PAYPAL_OK with the page (arena memory), otherwise
 * PAYPAL_RETRY with why in error. */
enum paypal_result paypal_client_batch_page(struct paypal_client *c, const struct paypal_api *api,
                                            const char *batch_id, int64_t page, struct arena *a,
                                            struct paypal_batch_page *out, char *error,
                                            size_t error_len);

#endif
