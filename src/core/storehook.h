/* Store webhooks (Stripe, Shopify, WooCommerce, Paddle), the pure part: signature checks on the raw
 * body and the mapping of a verified body to one neutral event. No SQL, no sockets, no clock: the
 * caller passes the time in and decides what to store.
 *
 * Payload versions understood: Stripe API versions from 2025-03-31.basil, Shopify Admin webhooks
 * 2025-07 and later, WooCommerce REST v3 order webhooks, Paddle Billing notifications.
 *
 * The HMAC and compare functions come from libsodium: sodium_init() must have run (the server and
 * the tests call it once at start). */
#ifndef PD_CORE_STOREHOOK_H
#define PD_CORE_STOREHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

enum storehook_platform {
    STOREHOOK_STRIPE,
    STOREHOOK_SHOPIFY,
    STOREHOOK_WOOCOMMERCE,
    STOREHOOK_PADDLE,
};

/* "stripe", "shopify", "woocommerce", "paddle" ↔ the enum. parse returns false for anything else. */
bool storehook_platform_parse(const char *name, enum storehook_platform *out);
const char *storehook_platform_name(enum storehook_platform p);

/* ---- Signatures ------------------------------------------------------------------------------ */

enum storehook_sig {
    STOREHOOK_SIG_OK = 0,
    STOREHOOK_SIG_PING,       /* WooCommerce's unsigned creation ping: answer 200, store nothing */
    STOREHOOK_SIG_NO_SECRET,  /* the connection has no signing secret yet */
    STOREHOOK_SIG_MISSING,    /* no signature header (or an empty one) */
    STOREHOOK_SIG_MALFORMED,  /* a header that does not follow the platform's format */
    STOREHOOK_SIG_MISMATCH,   /* no signature in the header matches the body */
    STOREHOOK_SIG_STALE,      /* authentic, but signed longer ago than the tolerance */
    STOREHOOK_SIG_FUTURE,     /* authentic, but signed further ahead than the tolerance */
};

/* Seconds a signed timestamp (Stripe t, Paddle ts) may differ from now, either way. A retry is
 * signed afresh, and a replay inside the window is caught by the event id, so the window only has
 * to absorb clock drift and queueing. */
#define STOREHOOK_TOLERANCE_S 300

/* The request header carrying the signature: "Stripe-Signature", "X-Shopify-Hmac-Sha256",
 * "X-WC-Webhook-Signature", "Paddle-Signature". */
const char *storehook_sig_header(enum storehook_platform p);
/* A short, stable English sentence for the connection's "last refused delivery". */
const char *storehook_sig_reason(enum storehook_sig r);

/* Checks header (the value of storehook_sig_header, NULL when absent) against the raw body with
 * HMAC-SHA256 under secret (NULL or "" when none is set), comparing in constant time. now is Unix
 * seconds, used by Stripe and Paddle only. Only OK and PING may be answered 2xx. */
enum storehook_sig storehook_verify(enum storehook_platform p, const char *header,
                                    const uint8_t *body, size_t len, const char *secret,
                                    int64_t now);

/* WooCommerce posts the form body "webhook_id=<n>" without a signature when a webhook is saved, to
 * see that the URL answers, and disables the webhook if that ping gets a 4xx. */
bool storehook_woocommerce_is_ping(const uint8_t *body, size_t len);

/* The per-platform checks storehook_verify dispatches to. */
enum storehook_sig storehook_verify_stripe(const char *header, const uint8_t *body, size_t len,
                                           const char *secret, int64_t now);
enum storehook_sig storehook_verify_shopify(const char *header, const uint8_t *body, size_t len,
                                            const char *secret);
enum storehook_sig storehook_verify_woocommerce(const char *header, const uint8_t *body,
                                                size_t len, const char *secret);
enum storehook_sig storehook_verify_paddle(const char *header, const uint8_t *body, size_t len,
                                           const char *secret, int64_t now);

/* ---- Events ---------------------------------------------------------------------------------- */

enum storehook_kind {
    STOREHOOK_IGNORE = 0,  /* authentic but unusable: answer 200 and list it with `reason` */
    STOREHOOK_PAID_ORDER,  /* a paid order, invoice or transaction: a conversion */
    STOREHOOK_REFUND,      /* a refund of an order named by order_id or payment_ref */
    STOREHOOK_BIND,        /* Stripe subscription checkout: bind customer_id to the click/coupon */
    STOREHOOK_LINK,        /* Stripe invoice_payment.paid: payment_ref pays invoice order_id */
};

struct storehook_item {
    const char *ref;      /* sku, else the product id as text; NULL when the platform gives none */
    int64_t quantity;
    int64_t unit_amount;  /* one unit before order discounts, minor units, excluding tax */
    int64_t subtotal;     /* the line before order discounts (the weight for spreading) */
    int64_t amount;       /* the line's share of the event's amount; the shares add up to it */
};

struct storehook_refund {
    const char *id;       /* the platform's refund (Stripe: the charge; cumulative) */
    int64_t gross;        /* refunded, tax included */
    bool cumulative;      /* gross is everything refunded so far on the order, not this refund */
    bool net_given;       /* the platform states the refund excluding tax and shipping: net */
    int64_t net;
};

/* Every string is arena memory or NULL; amounts are minor units of `currency` (ISO 4217
 * exponents: JPY 0, USD 2, KWD 3), never negative. */
struct storehook_event {
    enum storehook_kind kind;
    const char *reason;           /* IGNORE: why, one short sentence */
    const char *event_id;         /* apply once per event id (the caller keeps them ≥ 30 days) */
    const char *event_type;       /* the platform's event type or topic */
    bool test_mode;               /* Stripe livemode false, Shopify test, WooPayments test */
    bool mode_stated;             /* the payload says live or test (Paddle's never does) */
    const char *order_id;         /* order, invoice or transaction id, 64-bit ids as decimal text */
    const char *payment_ref;      /* Stripe payment intent of the order / of the refunded charge */
    const char *subscription_id;
    bool needs_bound_customer;    /* Stripe invoice.paid: converts only for a bound customer */
    bool recurring;               /* an invoice after the subscription's first one */
    char currency[4];             /* upper case; "" when IGNORE happened before it was known */
    int exponent;
    int64_t amount;               /* commissionable: after discounts, excluding tax and shipping */
    int64_t gross_total;          /* charged in all (tax, shipping); for a refund: of the payment */
    const char *customer_id;
    const char *email;
    const char *click_id;
    const char **coupons;         /* discount / coupon / promotion codes or ids */
    size_t ncoupons;
    struct storehook_item *items; /* line items when the payload has them */
    size_t nitems;
    bool has_refund;              /* REFUND always; a WooCommerce PAID_ORDER may carry one too */
    struct storehook_refund refund;
};

/* One delivery: the verified raw body and the headers some platforms keep outside it. */
struct storehook_delivery {
    const uint8_t *body;
    size_t len;
    const char *topic;        /* X-Shopify-Topic / X-WC-Webhook-Topic; NULL for Stripe, Paddle */
    const char *delivery_id;  /* X-Shopify-Webhook-Id (Shopify's event id); NULL otherwise */
};

/* Maps a verified delivery to *out (strings in a). Anything authentic that cannot be used (not
 * JSON, ignored type, unknown currency, amounts that are not exact) becomes STOREHOOK_IGNORE with a
 * reason; it never fails on input. Returns -1 only for NULL arguments. The caller decides on test
 * mode against the connection's (an event whose payload does not say is taken as of the
 * connection's mode) and on other currencies than the program's. */
int storehook_map(enum storehook_platform p, const struct storehook_delivery *d, struct arena *a,
                  struct storehook_event *out);
int storehook_map_stripe(const struct storehook_delivery *d, struct arena *a,
                         struct storehook_event *out);
int storehook_map_shopify(const struct storehook_delivery *d, struct arena *a,
                          struct storehook_event *out);
int storehook_map_woocommerce(const struct storehook_delivery *d, struct arena *a,
                              struct storehook_event *out);
int storehook_map_paddle(const struct storehook_delivery *d, struct arena *a,
                         struct storehook_event *out);

/* ---- Money ----------------------------------------------------------------------------------- */

/* A decimal string ("123.45", "0.5", "1000", "-10.00" when allow_negative) into minor units of
 * exponent, exactly: extra fraction digits are accepted only when they are zeros ("1000.00" JPY).
 * Anything else (junk, "1e3", overflow, "12.345" for exponent 2) → false. Never a double. */
bool storehook_parse_decimal(const char *s, int exponent, bool allow_negative, int64_t *out);
/* Integer minor units written as a string ("1999"), as Paddle does; digits only, ≤ INT64_MAX. */
bool storehook_parse_minor(const char *s, int64_t *out);
/* A Stripe amount (its own minor units: zero-decimal currencies, ISK in hundredths) into ISO 4217
 * minor units of currency. false for an unknown currency, overflow or an inexact ISK amount. */
bool storehook_stripe_to_minor(int64_t stripe_amount, const char *currency, int64_t *out);

/* Spreads amount (≥ 0) over items by their subtotal (equally when every subtotal is 0) with the
 * largest remainder method, so that the items' amount fields add up to amount exactly. With no
 * items there is nothing to spread (true). false for a negative amount or subtotal. */
bool storehook_spread(struct storehook_item *items, size_t n, int64_t amount);

/* The part of conversion amount A that refund r of event e takes back: the net amount when the
 * platform gives one, else round_half_even(A × gross / G) with G the payment's gross (e's
 * gross_total, else order_gross, the order's gross stored with the conversion); at most A. For a
 * cumulative refund this is the total to have refunded so far: subtract what was refunded. */
bool storehook_refund_share(int64_t a, const struct storehook_event *e, int64_t order_gross,
                            int64_t *out);

#endif
