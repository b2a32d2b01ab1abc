/* Store webhooks: exact amounts, spreading and refund shares, and the JSON helpers the platform
 * mappers share. */
#include "core/storehook_common.h"

#include <sodium.h>
#include <string.h>

#include "core/money.h"

#include "util/banned.h"

/* Longest decimal string accepted; real amounts are far shorter. */
#define MAX_DECIMAL_LEN 40

bool storehook_parse_decimal(const char *s, int exponent, bool allow_negative, int64_t *out)
{
    if (!s || exponent < 0)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > MAX_DECIMAL_LEN)
        return false;
    char buf[MAX_DECIMAL_LEN + 1];
    memcpy(buf, s, n + 1);
    /* Fraction digits past the exponent must be zeros ("1000.00" in JPY); they are cut off so
     * that money_parse_decimal sees the exact value. */
    char *dot = strchr(buf, '.');
    if (dot) {
        size_t frac = strlen(dot + 1);
        if (frac > (size_t)exponent) {
            for (size_t i = (size_t)exponent; i < frac; i++)
                if (dot[1 + i] != '0')
                    return false;
            if (exponent == 0)
                *dot = '\0';
            else
                dot[1 + exponent] = '\0';
        }
    }
    return money_parse_decimal(buf, exponent, allow_negative, out);
}

bool storehook_parse_minor(const char *s, int64_t *out)
{
    return s && *s != '-' && money_parse_decimal(s, 0, false, out);
}

/* Stripe's own exponents (its "zero-decimal" and "three-decimal" lists; ISK is sent in hundredths
 * for compatibility though ISO 4217 gives it none). */
static int stripe_exponent(const char *code)
{
    static const char zero[][4] = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
                                   "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"};
    static const char three[][4] = {"BHD", "JOD", "KWD", "OMR", "TND"};
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
        if (strcmp(code, zero[i]) == 0)
            return 0;
    for (size_t i = 0; i < sizeof three / sizeof three[0]; i++)
        if (strcmp(code, three[i]) == 0)
            return 3;
    return 2;
}

bool storehook_stripe_to_minor(int64_t stripe_amount, const char *currency, int64_t *out)
{
    const struct currency *c = currency_find(currency);
    if (!c)
        return false;
    int diff = c->exponent - stripe_exponent(c->code);
    int64_t v = stripe_amount;
    for (; diff > 0; diff--)
        if (__builtin_mul_overflow(v, 10, &v))
            return false;
    for (; diff < 0; diff++) {
        if (v % 10 != 0)
            return false; /* Stripe requires whole units there; anything else is not exact */
        v /= 10;
    }
    *out = v;
    return true;
}

bool storehook_spread(struct storehook_item *items, size_t n, int64_t amount)
{
    if (amount < 0)
        return false;
    if (n == 0)
        return true;
    __int128 total = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].subtotal < 0)
            return false;
        total += items[i].subtotal;
    }
    bool equal = total == 0;
    if (equal)
        total = (__int128)n;
    __int128 given = 0;
    for (size_t i = 0; i < n; i++) {
        __int128 w = equal ? 1 : items[i].subtotal;
        items[i].amount = (int64_t)((__int128)amount * w / total);
        given += items[i].amount;
    }
    /* The units left over go one each to the largest remainders (earlier lines win ties). */
    for (__int128 left = (__int128)amount - given; left > 0; left--) {
        size_t best = n;
        __int128 best_rem = -1;
        for (size_t i = 0; i < n; i++) {
            __int128 w = equal ? 1 : items[i].subtotal;
            __int128 rem = (__int128)amount * w - (__int128)items[i].amount * total;
            if (rem > best_rem) {
                best_rem = rem;
                best = i;
            }
        }
        items[best].amount++;
    }
    return true;
}

bool storehook_refund_share(int64_t a, const struct storehook_event *e, int64_t order_gross,
                            int64_t *out)
{
    if (a < 0 || !e || !e->has_refund)
        return false;
    int64_t share;
    if (e->refund.net_given) {
        share = e->refund.net;
    } else {
        int64_t g = e->gross_total > 0 ? e->gross_total : order_gross;
        if (g <= 0 || !money_mul_div(a, e->refund.gross, g, &share))
            return false;
    }
    *out = share < 0 ? 0 : share > a ? a : share;
    return true;
}

int storehook_map(enum storehook_platform p, const struct storehook_delivery *d, struct arena *a,
                  struct storehook_event *out)
{
    switch (p) {
    case STOREHOOK_STRIPE: return storehook_map_stripe(d, a, out);
    case STOREHOOK_SHOPIFY: return storehook_map_shopify(d, a, out);
    case STOREHOOK_WOOCOMMERCE: return storehook_map_woocommerce(d, a, out);
    case STOREHOOK_PADDLE: return storehook_map_paddle(d, a, out);
    }
    return -1;
}

int sh_ignore(struct storehook_event *out, const char *reason)
{
    out->kind = STOREHOOK_IGNORE;
    out->reason = reason;
    return 0;
}

int sh_run(const struct storehook_delivery *d, struct arena *a, struct storehook_event *out,
           sh_mapper fn)
{
    if (!d || !a || !out)
        return -1;
    memset(out, 0, sizeof *out);
    out->coupons = arena_calloc(a, SH_MAX_COUPONS * sizeof *out->coupons);
    json_t *root = d->body ? json_loadb((const char *)d->body, d->len, JSON_REJECT_DUPLICATES, NULL)
                           : NULL;
    if (json_is_object(root))
        fn(root, d, a, out);
    else
        sh_ignore(out, "body is not a JSON object");
    json_decref(root);
    return 0;
}

const char *sh_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

json_t *sh_obj(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? v : NULL;
}

json_t *sh_arr(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

const char *sh_id(struct arena *a, const json_t *v)
{
    if (json_is_integer(v))
        return arena_sprintf(a, "%lld", (long long)json_integer_value(v));
    const char *s = json_string_value(v);
    return s && *s ? arena_strdup(a, s) : NULL;
}

const char *sh_id_at(struct arena *a, const json_t *obj, const char *key)
{
    return sh_id(a, json_object_get(obj, key));
}

const char *sh_dup(struct arena *a, const json_t *obj, const char *key)
{
    const char *s = sh_str(obj, key);
    return s && *s ? arena_strdup(a, s) : NULL;
}

bool sh_decimal(const json_t *v, int exponent, bool allow_negative, int64_t *out)
{
    if (json_is_integer(v)) {
        int64_t units = (int64_t)json_integer_value(v);
        if (units < 0 && !allow_negative)
            return false;
        for (int i = 0; i < exponent; i++)
            if (__builtin_mul_overflow(units, 10, &units))
                return false;
        *out = units;
        return true;
    }
    return storehook_parse_decimal(json_string_value(v), exponent, allow_negative, out);
}

bool sh_minor(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            return false;
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    return storehook_parse_minor(json_string_value(v), out);
}

bool sh_currency(struct storehook_event *out, const char *code)
{
    const struct currency *c = currency_find(code);
    if (!c)
        return false;
    memcpy(out->currency, c->code, sizeof out->currency);
    out->exponent = c->exponent;
    return true;
}

/* Percent-decodes [s, s+n) ('+' is a space) into the arena; NULL when malformed, NUL or empty. */
static const char *decode_param(struct arena *a, const char *s, size_t n)
{
    char *buf = arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            unsigned char byte;
            size_t got = 0;
            if (i + 2 >= n || sodium_hex2bin(&byte, 1, s + i + 1, 2, NULL, &got, NULL) != 0 ||
                got != 1 || byte == 0)
                return NULL;
            c = (char)byte;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        buf[o++] = c;
    }
    buf[o] = '\0';
    return o > 0 ? buf : NULL;
}

const char *sh_query_param(struct arena *a, const char *url, const char *name)
{
    if (!url || !name)
        return NULL;
    const char *q = strchr(url, '?');
    if (!q)
        return NULL;
    size_t name_len = strlen(name);
    for (const char *p = q + 1; *p && *p != '#';) {
        size_t n = strcspn(p, "&#");
        if (n > name_len && memcmp(p, name, name_len) == 0 && p[name_len] == '=')
            return decode_param(a, p + name_len + 1, n - name_len - 1);
        p += n;
        if (*p == '&')
            p++;
    }
    return NULL;
}

bool sh_items(struct arena *a, const json_t *lines, bool all_or_none, const char *ref_key,
              const char *alt_key, struct storehook_event *out)
{
    size_t n = json_array_size(lines);
    if (n > SH_MAX_ITEMS) {
        if (all_or_none)
            return false;
        n = SH_MAX_ITEMS;
    }
    out->items = arena_calloc(a, (n ? n : 1) * sizeof *out->items);
    out->nitems = n;
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_array_get(lines, i);
        struct storehook_item *it = &out->items[i];
        json_t *q = json_object_get(l, "quantity");
        it->quantity = json_is_integer(q) && json_integer_value(q) > 0 ? json_integer_value(q) : 0;
        it->ref = ref_key ? sh_id_at(a, l, ref_key) : NULL;
        if (!it->ref && alt_key)
            it->ref = sh_id_at(a, l, alt_key);
    }
    return true;
}

void sh_add_coupon(struct storehook_event *out, const char *code)
{
    if (!code || !*code || out->ncoupons >= SH_MAX_COUPONS)
        return;
    for (size_t i = 0; i < out->ncoupons; i++)
        if (strcmp(out->coupons[i], code) == 0)
            return;
    out->coupons[out->ncoupons++] = code;
}
