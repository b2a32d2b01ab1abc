/* The PayPal Payouts API's pure part (core/paypal.h): base URLs, sender_batch_ids, the create
 * body, and the parsing of PayPal's answers. Every answer is outside input: a field of the wrong
 * type counts as absent, and lengths are bounded. */
#include "core/paypal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/url.h"
#include "util/timefmt.h"
#include "util/banned.h"

const char *paypal_mode_base_url(const char *mode)
{
    if (mode && strcmp(mode, "sandbox") == 0)
        return PAYPAL_BASE_URL_SANDBOX;
    if (mode && strcmp(mode, "live") == 0)
        return PAYPAL_BASE_URL_LIVE;
    return NULL;
}

bool paypal_host_loopback(const char *host)
{
    if (strcmp(host, "localhost") == 0)
        return true;
    /* A dotted quad 127.a.b.c, each part 0-255. */
    if (strncmp(host, "127.", 4) != 0)
        return false;
    int parts = 1, value = 0, digits = 0;
    for (const char *p = host + 4;; p++) {
        if (*p >= '0' && *p <= '9') {
            value = value * 10 + (*p - '0');
            if (++digits > 3 || value > 255)
                return false;
        } else if (*p == '.' || *p == '\0') {
            if (digits == 0)
                return false;
            parts++;
            value = digits = 0;
            if (*p == '\0')
                break;
        } else {
            return false;
        }
    }
    return parts == 4;
}

const char *paypal_base_url_refusal(const char *url)
{
    struct url_parts u;
    if (!url_parse(url, &u))
        return "base_url must be an absolute https URL";
    const char *rest = url + u.rest_off;
    if (strchr(rest, '?') || strchr(rest, '#'))
        return "base_url must not have a query or a fragment";
    if (!u.https && !paypal_host_loopback(u.host))
        return "base_url must be https (http is allowed only to a loopback address, for a local"
               " stand-in)";
    return NULL;
}

int paypal_sender_batch_id(const char *payout_id, int part, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s-%d", payout_id, part);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

char *paypal_create_body(const char *sender_batch_id, const char *email_subject,
                         const char *email_message, const struct currency *cur,
                         const struct paypal_item_in *items, size_t n, struct pd_err *err)
{
    if (n == 0 || n > PAYPAL_ITEMS_PER_REQUEST) {
        pd_err_set(err, PD_ERR_BAD_REQUEST, NULL, "a request carries 1 to %d items",
                   PAYPAL_ITEMS_PER_REQUEST);
        return NULL;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char value[32];
        if (items[i].amount <= 0 ||
            money_format(items[i].amount, cur->exponent, value, sizeof value) < 0) {
            json_decref(list);
            pd_err_set(err, PD_ERR_BAD_REQUEST, NULL, "item %s has no positive amount",
                       items[i].sender_item_id);
            return NULL;
        }
        json_t *it = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s}", "recipient_type", "EMAIL", "amount",
                               "value", value, "currency", cur->code, "receiver", items[i].receiver,
                               "sender_item_id", items[i].sender_item_id);
        if (it && items[i].note)
            json_object_set_new(it, "note", json_string(items[i].note));
        if (!it || json_array_append_new(list, it) < 0) {
            json_decref(list);
            pd_err_set(err, PD_ERR_BAD_REQUEST, NULL, "an item's text is not UTF-8");
            return NULL;
        }
    }
    json_t *body =
        json_pack("{s:{s:s, s:s, s:s, s:s}, s:o}", "sender_batch_header", "sender_batch_id",
                  sender_batch_id, "email_subject", email_subject, "email_message", email_message,
                  "recipient_type", "EMAIL", "items", list);
    if (!body) {
        pd_err_set(err, PD_ERR_BAD_REQUEST, NULL, "the batch header's text is not UTF-8");
        return NULL;
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "out of memory");
    return text;
}

static json_t *load(const char *body, size_t len, struct pd_err *err)
{
    json_error_t jerr;
    json_t *root = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!root || !json_is_object(root)) {
        json_decref(root);
        pd_err_set(err, PD_ERR_UNAVAILABLE, NULL, "PayPal's answer is not a JSON object");
        return NULL;
    }
    return root;
}

/* The string at key, or NULL when absent or not a string. */
static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

int paypal_parse_token(const char *body, size_t len, char *token, size_t token_len,
                       int64_t *expires_in_s, struct pd_err *err)
{
    json_t *root = load(body, len, err);
    if (!root)
        return -1;
    const char *t = str(root, "access_token");
    json_t *exp = json_object_get(root, "expires_in");
    int rc = -1;
    if (!t || !*t || strlen(t) >= token_len || strpbrk(t, "\r\n")) {
        pd_err_set(err, PD_ERR_UNAVAILABLE, NULL,
                   "PayPal's token answer has no usable access_token");
        goto done;
    }
    if (!json_is_integer(exp) || json_integer_value(exp) < 0) {
        pd_err_set(err, PD_ERR_UNAVAILABLE, NULL, "PayPal's token answer has no expires_in");
        goto done;
    }
    snprintf(token, token_len, "%s", t);
    *expires_in_s = json_integer_value(exp);
    rc = 0;
done:
    json_decref(root);
    return rc;
}

/* A PayPal batch id: 1 to 63 letters and digits (so it can go into a URL path as it is). */
static bool batch_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z') ||
              (id[i] >= '0' && id[i] <= '9') || id[i] == '-' || id[i] == '_'))
            return false;
    return true;
}

int paypal_parse_created(const char *body, size_t len, char *out, size_t outlen, struct pd_err *err)
{
    json_t *root = load(body, len, err);
    if (!root)
        return -1;
    const char *id = str(json_object_get(root, "batch_header"), "payout_batch_id");
    int rc = 0;
    if (!batch_id_ok(id) || strlen(id) >= outlen)
        rc = pd_err_set(err, PD_ERR_UNAVAILABLE, NULL,
                        "PayPal's answer names no valid payout_batch_id");
    else
        snprintf(out, outlen, "%s", id);
    json_decref(root);
    return rc;
}

/* The batch id at the end of an href ".../v1/payments/payouts/<id>[?...]", or false. */
static bool batch_id_from_href(const char *href, char *out, size_t outlen)
{
    static const char marker[] = "/v1/payments/payouts/";
    const char *p = href ? strstr(href, marker) : NULL;
    if (!p)
        return false;
    p += sizeof marker - 1;
    size_t n = strcspn(p, "?#/");
    if (n == 0 || n >= outlen || n > 63)
        return false;
    char id[64];
    memcpy(id, p, n);
    id[n] = '\0';
    if (!batch_id_ok(id))
        return false;
    snprintf(out, outlen, "%s", id);
    return true;
}

/* Looks for a link to the original batch in a list of HATEOAS links. */
static void batch_link(const json_t *links, struct paypal_error *out)
{
    size_t i;
    json_t *l;
    if (!json_is_array(links))
        return;
    json_array_foreach(links, i, l)
    {
        if (!out->payout_batch_id[0])
            batch_id_from_href(str(l, "href"), out->payout_batch_id, sizeof out->payout_batch_id);
    }
}

/* A detail that says the sender_batch_id was used already. */
static bool detail_duplicate(const json_t *d)
{
    const char *field = str(d, "field");
    const char *issue = str(d, "issue");
    if (field && strcasecmp(field, "sender_batch_id") == 0)
        return true;
    if (field && strcasecmp(field, "sender_batch_header.sender_batch_id") == 0)
        return true;
    return issue && (strcasestr(issue, "sender_batch_id") || strcasestr(issue, "duplicate"));
}

void paypal_parse_error(const char *body, size_t len, struct paypal_error *out)
{
    memset(out, 0, sizeof *out);
    struct pd_err err = {0};
    json_t *root = load(body, len, &err);
    if (!root)
        return;
    const char *name = str(root, "name");
    const char *message = str(root, "message");
    snprintf(out->name, sizeof out->name, "%s", name ? name : "");
    snprintf(out->message, sizeof out->message, "%s", message ? message : "");
    if (name && (strcmp(name, "DUPLICATE_REQUEST_ID") == 0 ||
                 strcmp(name, "SENDER_BATCH_ID_ALREADY_USED") == 0))
        out->duplicate = true;
    json_t *details = json_object_get(root, "details");
    size_t i;
    json_t *d;
    if (json_is_array(details)) {
        json_array_foreach(details, i, d)
        {
            if (!detail_duplicate(d))
                continue;
            out->duplicate = true;
            batch_link(json_object_get(d, "link"), out);
            batch_link(json_object_get(d, "links"), out);
        }
    }
    if (out->duplicate)
        batch_link(json_object_get(root, "links"), out);
    json_decref(root);
}

static const char *arena_str(struct arena *a, const char *s, size_t max)
{
    if (!s)
        return "";
    size_t n = strlen(s);
    return arena_strndup(a, s, n > max ? max : n);
}

/* An item's errors object as "NAME: message", or NULL. */
static const char *item_error(struct arena *a, const json_t *e)
{
    if (!json_is_object(e))
        return NULL;
    const char *name = str(e, "name"), *message = str(e, "message");
    if (!name && !message)
        return NULL;
    char buf[320];
    snprintf(buf, sizeof buf, "%s%s%s", name ? name : "", name && message ? ": " : "",
             message ? message : "");
    return arena_strdup(a, buf);
}

static void parse_item(struct arena *a, const json_t *it, struct paypal_item_state *out)
{
    const json_t *pi = json_object_get(it, "payout_item");
    out->sender_item_id = arena_str(a, str(pi, "sender_item_id"), 64);
    out->payout_item_id = arena_str(a, str(it, "payout_item_id"), 64);
    out->transaction_status = arena_str(a, str(it, "transaction_status"), 32);
    out->error = item_error(a, json_object_get(it, "errors"));
    const char *t = str(it, "time_processed");
    out->time_processed_ms = 0;
    if (t && !time_parse_rfc3339(t, &out->time_processed_ms))
        out->time_processed_ms = 0;
}

int paypal_parse_batch(const char *body, size_t len, struct arena *a, struct paypal_batch_page *out,
                       struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *root = load(body, len, err);
    if (!root)
        return -1;
    int rc = -1;
    json_t *header = json_object_get(root, "batch_header");
    json_t *items = json_object_get(root, "items");
    if (!json_is_object(header) || (items && !json_is_array(items))) {
        pd_err_set(err, PD_ERR_UNAVAILABLE, NULL, "PayPal's answer is not a batch's details");
        goto done;
    }
    out->batch_status = arena_str(a, str(header, "batch_status"), 32);
    json_t *pages = json_object_get(root, "total_pages");
    out->total_pages = json_is_integer(pages) ? json_integer_value(pages) : 0;
    size_t n = json_array_size(items);
    out->items = arena_calloc(a, (n ? n : 1) * sizeof *out->items);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        struct paypal_item_state *s = &out->items[out->nitems];
        if (!json_is_object(it))
            continue;
        parse_item(a, it, s);
        if (s->sender_item_id[0])
            out->nitems++;
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

static bool is(const char *s, const char *v)
{
    return s && strcmp(s, v) == 0;
}

enum paypal_outcome paypal_item_outcome(const struct paypal_item_state *it,
                                        const char *batch_status, int64_t sent_ms, int64_t now_ms,
                                        char *reason, size_t reason_len)
{
    const char *st = it->transaction_status;
    reason[0] = '\0';
    if (is(st, "SUCCESS"))
        return PAYPAL_PAID;
    bool failed = is(st, "FAILED") || is(st, "RETURNED") || is(st, "BLOCKED") ||
                  is(st, "REFUNDED") || is(st, "REVERSED");
    if (is(st, "UNCLAIMED")) {
        int64_t since = it->time_processed_ms > 0 ? it->time_processed_ms : sent_ms;
        failed = now_ms - since >= PAYPAL_UNCLAIMED_MS;
    }
    if (!failed && !is(st, "PENDING") && !is(st, "ONHOLD") && !is(st, "UNCLAIMED") &&
        (is(batch_status, "DENIED") || is(batch_status, "CANCELED"))) {
        snprintf(reason, reason_len, "PayPal %s the batch",
                 is(batch_status, "DENIED") ? "denied" : "canceled");
        return PAYPAL_FAILED;
    }
    if (!failed)
        return PAYPAL_PENDING;
    snprintf(reason, reason_len, "PayPal: %s%s%s", st, it->error ? " (" : "",
             it->error ? it->error : "");
    if (it->error) {
        size_t n = strlen(reason);
        if (n + 1 < reason_len) {
            reason[n] = ')';
            reason[n + 1] = '\0';
        }
    }
    return PAYPAL_FAILED;
}

int paypal_dechunk(char *body, size_t *len)
{
    size_t in = 0, out = 0, n = *len;
    for (;;) {
        size_t size = 0, digits = 0;
        while (in < n && digits < 16) {
            char c = body[in];
            int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (v < 0)
                break;
            size = size * 16 + (size_t)v;
            in++;
            digits++;
        }
        if (digits == 0 || digits == 16)
            return -1;
        while (in < n && body[in] != '\n') /* chunk extensions */
            in++;
        if (in >= n)
            return -1;
        in++;
        if (size == 0)
            break;
        if (size > n - in || n - in - size < 2 || body[in + size] != '\r' ||
            body[in + size + 1] != '\n')
            return -1;
        memmove(body + out, body + in, size);
        out += size;
        in += size + 2;
    }
    body[out] = '\0';
    *len = out;
    return 0;
}
