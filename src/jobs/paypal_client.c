/* The PayPal sender's client (jobs/paypal_client.h): OAuth2 client credentials with a token cache,
 * the create and batch-details calls, and the classification of PayPal's answers. An http base
 * URL (a local stand-in) may only reach a loopback address once resolved. */
#include "jobs/paypal_client.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/url.h"
#include "http/client.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define PAYPAL_TOKENS 16
#define PAYPAL_TOKEN_MAX 2048
#define PAYPAL_TOKEN_BODY_MAX (64u * 1024)
#define PAYPAL_BODY_MAX (32u * 1024 * 1024)
/* A token is used until this long before PayPal says it expires. */
#define PAYPAL_TOKEN_MARGIN_MS (60LL * 1000)

struct paypal_token {
    uint8_t key[crypto_generichash_BYTES]; /* of the base URL and the credentials */
    char token[PAYPAL_TOKEN_MAX];
    int64_t expires_at; /* 0: an empty slot */
};

struct paypal_client {
    struct http_client *http;
    const atomic_bool *cancel;
    int timeout_ms;
    bool hold_after_create;
    struct paypal_token tokens[PAYPAL_TOKENS];
};

struct paypal_client *paypal_client_new(const char *ca_file, const atomic_bool *cancel,
                                        int timeout_ms, bool hold_after_create, struct pd_err *err)
{
    struct http_client *http = http_client_new(ca_file, err);
    if (!http)
        return NULL;
    struct paypal_client *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->http = http;
    c->cancel = cancel;
    c->timeout_ms = timeout_ms;
    c->hold_after_create = hold_after_create;
    return c;
}

void paypal_client_free(struct paypal_client *c)
{
    if (!c)
        return;
    http_client_free(c->http);
    sodium_memzero(c->tokens, sizeof c->tokens);
    free(c);
}

/* http base URLs are a local stand-in's: the resolved address must be this machine's. */
static const char *loopback_only(const struct sockaddr *sa, void *arg)
{
    (void)arg;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        if ((ntohl(in->sin_addr.s_addr) >> 24) == 127)
            return NULL;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return NULL;
    }
    return "an http PayPal base_url may only reach a loopback address";
}

static void token_key(const struct paypal_api *api, uint8_t key[crypto_generichash_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
    const char *parts[3] = {api->base_url, api->client_id, api->client_secret};
    for (int i = 0; i < 3; i++)
        crypto_generichash_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    crypto_generichash_final(&st, key, crypto_generichash_BYTES);
}

static struct paypal_token *token_slot(struct paypal_client *c, const struct paypal_api *api,
                                       bool for_new)
{
    uint8_t key[crypto_generichash_BYTES];
    token_key(api, key);
    struct paypal_token *oldest = &c->tokens[0];
    for (int i = 0; i < PAYPAL_TOKENS; i++) {
        struct paypal_token *t = &c->tokens[i];
        if (t->expires_at && sodium_memcmp(t->key, key, sizeof key) == 0)
            return t;
        if (t->expires_at < oldest->expires_at)
            oldest = t;
    }
    if (!for_new)
        return NULL;
    memcpy(oldest->key, key, sizeof key);
    oldest->expires_at = 0;
    return oldest;
}

static void token_drop(struct paypal_client *c, const struct paypal_api *api)
{
    struct paypal_token *t = token_slot(c, api, false);
    if (t)
        sodium_memzero(t, sizeof *t);
}

/* One request; 0 with resp (its body de-chunked) when an HTTP answer came, else -1 with error. */
static int request(struct paypal_client *c, const struct paypal_api *api,
                   struct http_client_req *req, struct http_client_resp *resp, char *error,
                   size_t error_len)
{
    struct url_parts u;
    req->timeout_ms = c->timeout_ms;
    req->cancel = c->cancel;
    req->addr_check = url_parse(api->base_url, &u) && !u.https ? loopback_only : NULL;
    struct pd_err err = {0};
    if (http_client_request(c->http, req, resp, &err) < 0) {
        http_client_resp_free(resp);
        snprintf(error, error_len, "no answer from PayPal: %s", err.message);
        return -1;
    }
    if (resp->truncated || (resp->chunked && paypal_dechunk(resp->body, &resp->body_len) < 0)) {
        snprintf(error, error_len, "PayPal's answer (%d) was cut or too large", resp->status);
        http_client_resp_free(resp);
        return -1;
    }
    return 0;
}

/* The bearer token for api (cached, or asked for). NULL with error. */
static const char *token_get(struct paypal_client *c, const struct paypal_api *api, char *error,
                             size_t error_len)
{
    int64_t now = time_now_ms();
    struct paypal_token *t = token_slot(c, api, false);
    if (t && t->expires_at > now)
        return t->token;
    size_t clen = strlen(api->client_id) + 1 + strlen(api->client_secret);
    size_t blen = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
    char *cred = malloc(clen + 1), *auth = malloc(blen + 6);
    if (!cred || !auth)
        abort();
    snprintf(cred, clen + 1, "%s:%s", api->client_id, api->client_secret);
    memcpy(auth, "Basic ", 6);
    sodium_bin2base64(auth + 6, blen, (const unsigned char *)cred, clen,
                      sodium_base64_VARIANT_ORIGINAL);
    char url[1100];
    snprintf(url, sizeof url, "%s/v1/oauth2/token", api->base_url);
    static const char form[] = "grant_type=client_credentials";
    struct http_client_header h[3] = {{"Authorization", auth},
                                      {"Content-Type", "application/x-www-form-urlencoded"},
                                      {"Accept", "application/json"}};
    struct http_client_req req = {.method = "POST",
                                  .url = url,
                                  .headers = h,
                                  .nheaders = 3,
                                  .body = form,
                                  .body_len = sizeof form - 1,
                                  .body_max = PAYPAL_TOKEN_BODY_MAX};
    struct http_client_resp resp = {0};
    const char *token = NULL;
    if (request(c, api, &req, &resp, error, error_len) < 0)
        goto done;
    int64_t expires_in = 0;
    struct pd_err err = {0};
    t = token_slot(c, api, true);
    if (resp.status != 200) {
        struct paypal_error pe;
        paypal_parse_error(resp.body, resp.body_len, &pe);
        snprintf(error, error_len, "PayPal refused the credentials (%d %s%s%s)", resp.status,
                 pe.name, pe.message[0] ? ": " : "", pe.message);
    } else if (paypal_parse_token(resp.body, resp.body_len, t->token, sizeof t->token, &expires_in,
                                  &err) < 0) {
        snprintf(error, error_len, "%s", err.message);
    } else {
        t->expires_at = now + expires_in * 1000 - PAYPAL_TOKEN_MARGIN_MS;
        if (t->expires_at <= now)
            t->expires_at = now + 1;
        token = t->token;
    }
    http_client_resp_free(&resp);
done:
    sodium_memzero(cred, clen);
    sodium_memzero(auth, blen + 6);
    free(cred);
    free(auth);
    return token;
}

/* "<status> NAME: message" of an error answer. */
static void describe(const struct http_client_resp *resp, const struct paypal_error *pe,
                     char *error, size_t error_len)
{
    snprintf(error, error_len, "PayPal answered %d%s%s%s%s", resp->status, pe->name[0] ? " " : "",
             pe->name, pe->message[0] ? ": " : "", pe->message);
}

static bool retryable(int status)
{
    return status == 401 || status == 408 || status == 409 || status == 429 || status >= 500 ||
           status < 200;
}

enum paypal_result paypal_client_create(struct paypal_client *c, const struct paypal_api *api,
                                        const char *body, char *batch_id, size_t batch_id_len,
                                        char *error, size_t error_len)
{
    const char *token = token_get(c, api, error, error_len);
    if (!token)
        return PAYPAL_RETRY;
    char url[1100], bearer[PAYPAL_TOKEN_MAX + 16];
    snprintf(url, sizeof url, "%s/v1/payments/payouts", api->base_url);
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    struct http_client_header h[3] = {{"Authorization", bearer},
                                      {"Content-Type", "application/json"},
                                      {"Accept", "application/json"}};
    struct http_client_req req = {.method = "POST",
                                  .url = url,
                                  .headers = h,
                                  .nheaders = 3,
                                  .body = body,
                                  .body_len = strlen(body),
                                  .body_max = PAYPAL_TOKEN_BODY_MAX};
    struct http_client_resp resp = {0};
    int rc = request(c, api, &req, &resp, error, error_len);
    /* The test hook: PayPal has answered, nothing of it is recorded; wait here to be killed. */
    while (c->hold_after_create) {
        fprintf(stderr, "level=warn msg=\"paypal test hook: holding after a create\" status=%d\n",
                resp.status);
        sleep(3600);
    }
    if (rc < 0)
        return PAYPAL_RETRY;
    enum paypal_result r = PAYPAL_RETRY;
    struct pd_err err = {0};
    struct paypal_error pe;
    if (resp.status >= 200 && resp.status < 300) {
        if (paypal_parse_created(resp.body, resp.body_len, batch_id, batch_id_len, &err) == 0)
            r = PAYPAL_OK;
        else
            snprintf(error, error_len, "%s", err.message);
        goto done;
    }
    paypal_parse_error(resp.body, resp.body_len, &pe);
    describe(&resp, &pe, error, error_len);
    if (resp.status == 401)
        token_drop(c, api);
    if (pe.duplicate && pe.payout_batch_id[0] && strlen(pe.payout_batch_id) < batch_id_len) {
        snprintf(batch_id, batch_id_len, "%s", pe.payout_batch_id);
        r = PAYPAL_OK;
    } else if (!pe.duplicate && !retryable(resp.status)) {
        r = PAYPAL_REFUSED;
    }
done:
    http_client_resp_free(&resp);
    return r;
}

enum paypal_result paypal_client_batch_page(struct paypal_client *c, const struct paypal_api *api,
                                            const char *batch_id, int64_t page, struct arena *a,
                                            struct paypal_batch_page *out, char *error,
                                            size_t error_len)
{
    const char *token = token_get(c, api, error, error_len);
    if (!token)
        return PAYPAL_RETRY;
    char url[1200], bearer[PAYPAL_TOKEN_MAX + 16];
    snprintf(url, sizeof url,
             "%s/v1/payments/payouts/%s?page=%lld&page_size=%d&total_required=true", api->base_url,
             batch_id, (long long)page, PAYPAL_PAGE_SIZE);
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    struct http_client_header h[2] = {{"Authorization", bearer}, {"Accept", "application/json"}};
    struct http_client_req req = {
        .method = "GET", .url = url, .headers = h, .nheaders = 2, .body_max = PAYPAL_BODY_MAX};
    struct http_client_resp resp = {0};
    if (request(c, api, &req, &resp, error, error_len) < 0)
        return PAYPAL_RETRY;
    enum paypal_result r = PAYPAL_RETRY;
    struct pd_err err = {0};
    if (resp.status == 200) {
        if (paypal_parse_batch(resp.body, resp.body_len, a, out, &err) == 0)
            r = PAYPAL_OK;
        else
            snprintf(error, error_len, "%s", err.message);
    } else {
        struct paypal_error pe;
        paypal_parse_error(resp.body, resp.body_len, &pe);
        describe(&resp, &pe, error, error_len);
        if (resp.status == 401)
            token_drop(c, api);
    }
    http_client_resp_free(&resp);
    return r;
}
