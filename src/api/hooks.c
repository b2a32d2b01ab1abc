/* POST /hooks/{platform}/{connection_id}: a store's signed webhook (README "Store webhooks"). The
 * signature is checked on the raw body with the connection's secret; a refused delivery answers
 * 401 and only records when and why on the connection; an authentic one is mapped here (pure,
 * src/core/storehook.h) and applied in one writer job (src/app/connection_apply.h), answered 200
 * after the commit, also when it is ignored or a replay, so that the platform neither retries nor
 * disables the webhook. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/connection_apply.h"
#include "app/connections.h"
#include "core/storehook.h"
#include "util/banned.h"

struct hook_job {
    struct write_job job;
    struct api_call *call;
    struct connection c;
    enum storehook_sig sig;          /* not OK: only the refusal is recorded */
    const char *sig_header;          /* the platform's signature header, named in a 401 */
    struct storehook_event ev;
    struct connection_outcome out;
    struct pd_err err;
};

static int hook_run(struct store *s, struct write_job *job)
{
    struct hook_job *h = (struct hook_job *)job;
    if (h->sig != STOREHOOK_SIG_OK)
        return connection_refused(s, h->c.id, h->call->now_ms, storehook_sig_reason(h->sig),
                                  &h->err);
    return connection_apply(s, &h->c, &h->ev, h->call->now_ms, h->call->req->arena, &h->out,
                            &h->err);
}

static json_t *opt_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

static void hook_reply(void *arg)
{
    struct hook_job *h = arg;
    struct api_call *call = h->call;
    if (h->job.outcome == WRITE_FAILED) {
        api_reply_errorf(call, PD_ERR_INTERNAL, NULL, "the database could not commit; retry");
        return;
    }
    if (h->job.outcome == WRITE_ROLLED_BACK) {
        api_reply_error(call, &h->err);
        return;
    }
    if (h->sig != STOREHOOK_SIG_OK) {
        api_reply_errorf(call, PD_ERR_UNAUTHORIZED, h->sig_header, "%s",
                         storehook_sig_reason(h->sig));
        return;
    }
    json_t *o = json_pack("{s:b, s:s, s:b}", "received", 1, "event_id", h->ev.event_id,
                          "duplicate", h->out.duplicate);
    if (!h->out.duplicate) {
        json_object_set_new(o, "outcome", json_string(h->out.outcome));
        json_object_set_new(o, "reason", opt_string(h->out.reason));
        json_object_set_new(o, "conversion_id", opt_string(h->out.conversion_id));
        json_object_set_new(o, "refund_id", opt_string(h->out.refund_id));
    }
    api_reply_json(call, 200, o);
}

static void hook_done(struct write_job *job)
{
    struct hook_job *h = (struct hook_job *)job;
    http_worker_post(h->call->req->worker, hook_reply, h);
}

/* An event without an id of its own (an unusable body) is known by its body's hash. */
static const char *body_id(struct api_call *call)
{
    unsigned char digest[16];
    char hex[33];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)call->req->body,
                       call->req->body_len, NULL, 0);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return arena_sprintf(call->req->arena, "body:%s", hex);
}

static void submit(struct api_call *call, struct hook_job *h)
{
    h->job.run = hook_run;
    h->job.done = hook_done;
    h->call = call;
    if (writer_submit(call->app->writer, &h->job) < 0)
        api_reply_errorf(call, PD_ERR_UNAVAILABLE, NULL, "the server is shutting down");
}

void api_store_hook(struct api_call *call)
{
    enum storehook_platform p;
    struct hook_job *h = arena_calloc(call->req->arena, sizeof *h);
    struct pd_err err = {0};
    if (!storehook_platform_parse(call->path_params[0], &p)) {
        api_reply_errorf(call, PD_ERR_NOT_FOUND, "platform",
                         "platform must be stripe, shopify, woocommerce or paddle");
        return;
    }
    int rc = connection_load(call->db, call->path_params[1], call->req->arena, &h->c, &err);
    if (rc == 0 && strcmp(h->c.platform, call->path_params[0]) != 0)
        rc = pd_err_set(&err, PD_ERR_NOT_FOUND, "id", "no %s connection %.64s",
                        call->path_params[0], call->path_params[1]);
    if (rc != 0) {
        api_reply_error(call, &err);
        return;
    }
    h->sig_header = storehook_sig_header(p);
    const uint8_t *body = (const uint8_t *)call->req->body;
    size_t len = call->req->body_len;
    h->sig = storehook_verify(p, http_header_get(call->req, h->sig_header), body, len,
                              h->c.signing_secret, call->now_ms / 1000);
    if (h->sig == STOREHOOK_SIG_PING) {
        api_reply_json(call, 200, json_pack("{s:b}", "received", 1));
        return;
    }
    if (h->sig == STOREHOOK_SIG_OK) {
        struct storehook_delivery d = {
            .body = body,
            .len = len,
            .topic = p == STOREHOOK_SHOPIFY       ? http_header_get(call->req, "X-Shopify-Topic")
                     : p == STOREHOOK_WOOCOMMERCE ? http_header_get(call->req, "X-WC-Webhook-Topic")
                                                  : NULL,
            .delivery_id = p == STOREHOOK_SHOPIFY
                               ? http_header_get(call->req, "X-Shopify-Webhook-Id")
                               : NULL};
        if (storehook_map(p, &d, call->req->arena, &h->ev) < 0) {
            api_reply_errorf(call, PD_ERR_INTERNAL, NULL, "the event could not be read");
            return;
        }
        if (!h->ev.event_id)
            h->ev.event_id = body_id(call);
    }
    submit(call, h);
}
