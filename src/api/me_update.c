/* PATCH /api/v1/me: a partner sets its own payout method, postback URL and whether it receives
 * the daily digest of new commissions (nothing else: status,
 * email and the rest stay the merchant's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/emails.h"
#include "app/partners.h"
#include "app/records.h"
#include "core/payout_method.h"
#include "core/url.h"
#include "util/banned.h"

/* The fields the body sets, checked on the worker; read, changed and written in one writer job,
 * so two concurrent edits of different fields cannot lose each other. */
struct me_write {
    bool set_payout_method, set_postback_url;
    int email_digest; /* -1: unchanged, else the daily digest on (1) or off (0) */
    const char *payout_method, *postback_url; /* NULL: cleared */
};

/* The same rules as the merchant's partner API (src/core/payout_method.c): canonical JSON text. */
static int parse_payout_method(json_t *pm, struct arena *a, const char **out, struct pd_err *err)
{
    json_t *canon = payout_method_canonical(pm, err);
    if (!canon)
        return -1;
    char *text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(canon);
    if (!text)
        abort();
    *out = arena_strdup(a, text);
    free(text);
    return 0;
}

static int me_write_op(struct store *s, struct api_write *w)
{
    struct me_write *mw = w->op_arg;
    struct arena *a = w->call->req->arena;
    struct partner p;
    struct program prog;
    /* Under the partner's lock: an edit on another node waits, and neither is lost. */
    if (store_lock(s, "partner", w->call->auth.partner_id, NULL, &w->err) < 0)
        return -1;
    int rc = partner_load(s, w->call->auth.partner_id, a, &p, &w->err);
    if (rc == 0)
        rc = program_load(s, p.program_id, a, &prog, &w->err);
    if (rc != 0)
        return -1;
    if (mw->set_payout_method)
        p.payout_method = mw->payout_method;
    if (mw->set_postback_url)
        p.postback_url = mw->postback_url;
    if (partner_update(s, &p, w->call->now_ms, &w->err) < 0)
        return -1;
    w->result = partner_to_json(s, &p, prog.currency->code, w->call->app->cfg.public_url, &w->err);
    if (!w->result)
        return -1;
    bool digest = mw->email_digest != 0; /* email: the digest's opt-out is the outbox's */
    if ((mw->email_digest >= 0 &&
         email_digest_set(s, p.id, digest, w->call->now_ms, &w->err) < 0) ||
        email_digest_get(s, p.id, &digest, &w->err) < 0)
        return -1;
    json_object_set_new(w->result, "email_digest", json_boolean(digest));
    w->status = 200;
    return 0;
}

void api_me_update(struct api_call *call)
{
    static const char *const fields[] = {"payout_method", "postback_url", "email_digest", NULL};
    struct me_write *mw = arena_calloc(call->req->arena, sizeof *mw);
    struct arena *a = call->req->arena;
    struct pd_err err = {0};
    json_t *b = call->body;
    if (api_check_fields(b, fields, &err) < 0)
        goto fail;
    json_t *digest = json_object_get(b, "email_digest");
    mw->email_digest = digest ? json_is_true(digest) : -1;
    if (digest && !json_is_boolean(digest)) {
        pd_err_set(&err, PD_ERR_BAD_REQUEST, "email_digest", "email_digest must be true or false");
        goto fail;
    }
    json_t *pm = json_object_get(b, "payout_method");
    mw->set_payout_method = pm != NULL;
    if (pm && !json_is_null(pm) && parse_payout_method(pm, a, &mw->payout_method, &err) < 0)
        goto fail;
    json_t *pb = json_object_get(b, "postback_url");
    mw->set_postback_url = pb != NULL;
    if (pb && !json_is_null(pb)) {
        const char *url;
        struct url_parts u;
        if (api_get_string(b, "postback_url", false, 2048, &url, &err) < 0)
            goto fail;
        if (*url != '\0' && !url_parse(url, &u)) {
            pd_err_set(&err, PD_ERR_BAD_REQUEST, "postback_url",
                       "postback_url must be an absolute http or https URL, e.g. "
                       "https://tracker.example/pb?click={click_id}&amount={commission}");
            goto fail;
        }
        mw->postback_url = *url ? url : NULL;
    }
    api_submit_write(call, me_write_op, mw);
    return;
fail:
    api_reply_error(call, &err);
}
