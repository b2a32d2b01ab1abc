/* Shared by the store webhook fuzz targets (fuzz_storehook_sig_*.c, fuzz_storehook_map_*.c).
 *
 * Signature targets: the input is "<header>\n<body>". Whatever the header, the check must return
 * one of its results; and the body signed correctly (as the platform would) must verify.
 * Mapper targets: the input is the body, or "<topic>\n<body>" for the platforms that name the
 * topic in a header (Shopify, WooCommerce). The mapping never fails, and a usable event keeps the
 * layer's promises: a known currency, amounts ≥ 0, line items adding up to the amount. */
#ifndef PD_TESTS_FUZZ_STOREHOOK_FUZZ_H
#define PD_TESTS_FUZZ_STOREHOOK_FUZZ_H

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/storehook.h"

#define FUZZ_SECRET "whsec_fuzz_secret"
#define FUZZ_NOW 1700000000

/* The header the platform would send for body, signed with FUZZ_SECRET at FUZZ_NOW. */
static inline void fuzz_sign(enum storehook_platform p, const uint8_t *body, size_t len,
                             char *out, size_t outlen)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)FUZZ_SECRET, strlen(FUZZ_SECRET));
    const char *prefix = p == STOREHOOK_STRIPE ? "1700000000." : p == STOREHOOK_PADDLE
                                                                     ? "1700000000:"
                                                                     : "";
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)prefix, strlen(prefix));
    crypto_auth_hmacsha256_update(&st, body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    char enc[96];
    if (p == STOREHOOK_STRIPE || p == STOREHOOK_PADDLE) {
        sodium_bin2hex(enc, sizeof enc, mac, sizeof mac);
        snprintf(out, outlen, p == STOREHOOK_STRIPE ? "t=1700000000,v1=%s" : "ts=1700000000;h1=%s",
                 enc);
    } else {
        sodium_bin2base64(enc, sizeof enc, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
        snprintf(out, outlen, "%s", enc);
    }
}

static inline int fuzz_sig(enum storehook_platform p, const uint8_t *data, size_t size)
{
    if (size > 65536 || sodium_init() < 0)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t hlen = nl ? (size_t)(nl - data) : size;
    char *header = malloc(hlen + 1);
    if (!header)
        abort();
    memcpy(header, data, hlen);
    header[hlen] = '\0';
    const uint8_t *body = nl ? nl + 1 : data + size;
    size_t blen = (size_t)(data + size - body);
    enum storehook_sig r = storehook_verify(p, header, body, blen, FUZZ_SECRET, FUZZ_NOW);
    if (r < STOREHOOK_SIG_OK || r > STOREHOOK_SIG_FUTURE)
        abort();
    if (r == STOREHOOK_SIG_PING && p != STOREHOOK_WOOCOMMERCE)
        abort();
    char good[160];
    fuzz_sign(p, body, blen, good, sizeof good);
    if (storehook_verify(p, good, body, blen, FUZZ_SECRET, FUZZ_NOW) != STOREHOOK_SIG_OK)
        abort();
    if (storehook_verify(p, good, body, blen, "whsec_other", FUZZ_NOW) != STOREHOOK_SIG_MISMATCH)
        abort();
    free(header);
    return 0;
}

static inline void fuzz_check_event(const struct storehook_event *ev)
{
    if (ev->kind == STOREHOOK_IGNORE) {
        if (!ev->reason)
            abort();
        return;
    }
    if (ev->kind != STOREHOOK_LINK && !currency_find(ev->currency))
        abort();
    if (ev->amount < 0 || ev->gross_total < 0 || ev->refund.gross < 0 || ev->refund.net < 0)
        abort();
    if (ev->nitems > 0) {
        __int128 sum = 0;
        for (size_t i = 0; i < ev->nitems; i++)
            sum += ev->items[i].amount;
        if (sum != ev->amount)
            abort();
    }
    for (size_t i = 0; i < ev->ncoupons; i++)
        if (!ev->coupons[i] || !*ev->coupons[i])
            abort();
    if (ev->has_refund) {
        int64_t share;
        if (storehook_refund_share(ev->amount, ev, 1000, &share) && (share < 0 || share > ev->amount))
            abort();
    }
}

static inline int fuzz_map(enum storehook_platform p, bool has_topic, const uint8_t *data,
                           size_t size)
{
    if (size > 262144)
        return 0;
    char topic[64] = "";
    const uint8_t *body = data;
    if (has_topic) {
        const uint8_t *nl = memchr(data, '\n', size < 64 ? size : 64);
        if (!nl)
            return 0;
        memcpy(topic, data, (size_t)(nl - data));
        topic[nl - data] = '\0';
        body = nl + 1;
    }
    struct storehook_delivery d = {body, (size_t)(data + size - body), has_topic ? topic : NULL,
                                   has_topic ? "delivery-1" : NULL};
    struct arena a;
    arena_init(&a, 4096);
    struct storehook_event ev;
    if (storehook_map(p, &d, &a, &ev) != 0)
        abort();
    fuzz_check_event(&ev);
    arena_free(&a);
    return 0;
}

#endif
