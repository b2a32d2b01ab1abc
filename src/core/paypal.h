/* The PayPal Payouts API, its pure part: which base URLs a program may set, the sender_batch_id of
 * a batch's part, the body of a create request (amounts formatted exactly from minor units), and
 * the parsing of PayPal's answers (an OAuth2 token, a created batch, an error naming the batch a
 * duplicate sender_batch_id already made, a page of a batch's items) with what each item's
 * transaction_status means for the partner's money. No sockets, no clock (times are passed in). */
#ifndef PD_CORE_PAYPAL_H
#define PD_CORE_PAYPAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/money.h"
#include "util/arena.h"
#include "util/err.h"

/* The most items PayPal takes in one create request: larger batches are sent in parts. */
#define PAYPAL_ITEMS_PER_REQUEST 15000
/* How long PayPal keeps an UNCLAIMED payment before it goes back to the sender. */
#define PAYPAL_UNCLAIMED_MS (30LL * 86400 * 1000)
/* The items asked for in one page of a batch's details (PayPal's largest page). */
#define PAYPAL_PAGE_SIZE 1000

#define PAYPAL_BASE_URL_SANDBOX "https://api-m.sandbox.paypal.com"
#define PAYPAL_BASE_URL_LIVE "https://api-m.paypal.com"

/* "sandbox" or "live" → its base URL; NULL for any other mode. */
const char *paypal_mode_base_url(const char *mode);

/* NULL when url may be a program's base_url: an absolute https URL, or an http URL to a loopback
 * host (localhost, 127.0.0.0/8, ::1: a local stand-in for PayPal), without query or fragment;
 * otherwise why not. */
const char *paypal_base_url_refusal(const char *url);
/* true when host (as url_parse gives it) names this machine: localhost, 127.0.0.0/8, ::1. */
bool paypal_host_loopback(const char *host);

/* "<payout_id>-<part>" (part from 1) into out; -1 when it does not fit. */
int paypal_sender_batch_id(const char *payout_id, int part, char *out, size_t outlen);

struct paypal_item_in {
    const char *receiver;       /* the partner's PayPal email */
    const char *sender_item_id; /* the item's reference */
    const char *note;           /* NULL: none */
    int64_t amount;             /* minor units, > 0 */
};

/* The JSON body of POST /v1/payments/payouts (malloc'd, NUL-terminated): recipient_type EMAIL,
 * each amount as a decimal string in the currency's exponent. NULL with err when an amount is not
 * positive or n is 0 or over PAYPAL_ITEMS_PER_REQUEST. */
char *paypal_create_body(const char *sender_batch_id, const char *email_subject,
                         const char *email_message, const struct currency *cur,
                         const struct paypal_item_in *items, size_t n, struct pd_err *err);

/* The answer of POST /v1/oauth2/token: the access token (≤ token_len - 1 bytes) and its lifetime
 * in seconds. -1 with err when it is not such an answer. */
int paypal_parse_token(const char *body, size_t len, char *token, size_t token_len,
                       int64_t *expires_in_s, struct pd_err *err);

/* The payout_batch_id of a 2xx answer to a create, into out. -1 with err otherwise. */
int paypal_parse_created(const char *body, size_t len, char *out, size_t outlen,
                         struct pd_err *err);

/* An error answer: its name and message (empty when absent), and when it refuses a
 * sender_batch_id already used, duplicate and the payout_batch_id its link names (empty when it
 * names none). Never fails: a body that is not PayPal's error leaves name and message empty. */
struct paypal_error {
    char name[64];
    char message[256];
    bool duplicate;
    char payout_batch_id[64];
};
void paypal_parse_error(const char *body, size_t len, struct paypal_error *out);

/* Decodes a chunked body (the framing http/client.c leaves in place) in place: *len becomes the
 * decoded length and body is NUL-terminated there. -1 when the framing is malformed or cut. */
int paypal_dechunk(char *body, size_t *len);

/* One item of a batch's details, in arena memory. */
struct paypal_item_state {
    const char *sender_item_id;     /* our reference */
    const char *payout_item_id;     /* PayPal's, or "" */
    const char *transaction_status; /* e.g. "SUCCESS", or "" */
    const char *error;              /* "NAME: message" from the item's errors, or NULL */
    int64_t time_processed_ms;      /* 0 when absent */
};

struct paypal_batch_page {
    const char *batch_status; /* DENIED, PENDING, PROCESSING, SUCCESS, CANCELED, or "" */
    int64_t total_pages;      /* 0 when absent */
    size_t nitems;
    struct paypal_item_state *items;
};

/* A page of GET /v1/payments/payouts/{payout_batch_id}. -1 with err when it is not one. Items
 * without a sender_item_id are left out. */
int paypal_parse_batch(const char *body, size_t len, struct arena *a, struct paypal_batch_page *out,
                       struct pd_err *err);

enum paypal_outcome {
    PAYPAL_PENDING = 0, /* not final yet: ask again later */
    PAYPAL_PAID,        /* SUCCESS */
    PAYPAL_FAILED,      /* the money is back with the sender */
};

/* What an item's state means: SUCCESS is paid; FAILED, RETURNED, BLOCKED, REFUNDED, REVERSED and
 * an item of a DENIED or CANCELED batch have failed, as has an UNCLAIMED one once
 * PAYPAL_UNCLAIMED_MS have passed since it was processed (or, when PayPal gives no time, since
 * sent_ms); anything else (PENDING, ONHOLD, NEW, an UNCLAIMED one still claimable) is pending.
 * A failure's reason goes into reason (always NUL-terminated). */
enum paypal_outcome paypal_item_outcome(const struct paypal_item_state *it,
                                        const char *batch_status, int64_t sent_ms, int64_t now_ms,
                                        char *reason, size_t reason_len);

#endif
