/* PATCH /api/v1/me: a partner sets its own payout method and postback URL (nothing else: status,
 * email and the rest stay the merchant's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/records.h"
#include "core/url.h"
#include "web/web.h"
#include "util/banned.h"

struct me_write {
    struct partner p;
    const char *currency;
};

static bool iban_like(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        if (*s == ' ')
            continue;
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return false;
        n++;
    }
    return n >= 15 && n <= 34;
}

/* {"type":"paypal","email":…} or {"type":"iban","iban":…,"holder":…}; canonical JSON text. */
static int parse_payout_method(json_t *pm, struct arena *a, const char **out, struct pd_err *err)
{
    static const char *const paypal_fields[] = {"type", "email", NULL};
    static const char *const iban_fields[] = {"type", "iban", "holder", NULL};
    const char *type = json_string_value(json_object_get(pm, "type"));
    const char *s;
    if (!json_is_object(pm) || !type || (strcmp(type, "paypal") && strcmp(type, "iban")))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "payout_method",
                          "payout_method must be {\"type\":\"paypal\",\"email\":…} or "
                          "{\"type\":\"iban\",\"iban\":…,\"holder\":…}");
    if (strcmp(type, "paypal") == 0) {
        if (api_check_fields(pm, paypal_fields, err) < 0 ||
            api_get_string(pm, "email", true, 254, &s, err) < 0)
            goto named;
        if (!strchr(s, '@') || strchr(s, ' '))
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "payout_method.email",
                              "the PayPal email is not an email address");
    } else {
        if (api_check_fields(pm, iban_fields, err) < 0 ||
            api_get_string(pm, "iban", true, 64, &s, err) < 0)
            goto named;
        if (!iban_like(s))
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "payout_method.iban",
                              "the IBAN must be 15 to 34 letters and digits");
        if (api_get_string(pm, "holder", true, 200, &s, err) < 0)
            goto named;
    }
    char *text = json_dumps(pm, JSON_COMPACT | JSON_SORT_KEYS);
    *out = arena_strdup(a, text);
    free(text);
    return 0;
named: {
    char field[sizeof err->param];
    snprintf(field, sizeof field, "%s", err->param);
    snprintf(err->param, sizeof err->param, "payout_method.%.40s", field);
    return -1;
}
}

static int me_write_op(struct store *s, struct api_write *w)
{
    struct me_write *mw = w->op_arg;
    struct partner *p = &mw->p;
    struct db_val v[4] = {db_text(p->id), db_text(p->payout_method), db_text(p->postback_url),
                          db_int(w->call->now_ms)};
    if (store_exec(s,
                   "UPDATE partners SET payout_method = ?2, postback_url = ?3, updated_at = ?4"
                   " WHERE id = ?1",
                   v, 4, NULL, &w->err) < 0)
        return -1;
    w->result = partner_to_json(s, p, mw->currency, w->call->app->cfg.public_url, &w->err);
    if (!w->result)
        return -1;
    w->status = 200;
    return 0;
}

void api_me_update(struct api_call *call)
{
    static const char *const fields[] = {"payout_method", "postback_url", NULL};
    struct me_write *mw = arena_calloc(call->req->arena, sizeof *mw);
    struct arena *a = call->req->arena;
    struct pd_err err = {0};
    struct program prog;
    json_t *b = call->body;
    int rc = partner_load(call->db, call->auth.partner_id, a, &mw->p, &err);
    if (rc == 0)
        rc = program_load(call->db, mw->p.program_id, a, &prog, &err);
    if (rc != 0 || api_check_fields(b, fields, &err) < 0)
        goto fail;
    mw->currency = prog.currency->code;
    json_t *pm = json_object_get(b, "payout_method");
    if (pm && json_is_null(pm))
        mw->p.payout_method = NULL;
    else if (pm && parse_payout_method(pm, a, &mw->p.payout_method, &err) < 0)
        goto fail;
    json_t *pb = json_object_get(b, "postback_url");
    if (pb && json_is_null(pb)) {
        mw->p.postback_url = NULL;
    } else if (pb) {
        const char *url;
        struct url_parts u;
        if (api_get_string(b, "postback_url", false, 2048, &url, &err) < 0)
            goto fail;
        if (*url == '\0') {
            mw->p.postback_url = NULL;
        } else if (!url_parse(url, &u)) {
            pd_err_set(&err, PD_ERR_BAD_REQUEST, "postback_url",
                       "postback_url must be an absolute http or https URL, e.g. "
                       "https://tracker.example/pb?click={click_id}&amount={commission}");
            goto fail;
        } else {
            mw->p.postback_url = url;
        }
    }
    api_submit_write(call, me_write_op, mw);
    return;
fail:
    api_reply_error(call, &err);
}
