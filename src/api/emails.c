/* The email outbox as the merchant sees it (GET /api/v1/emails: each message, where it stands,
 * and the link a message carries while it is not sent, to hand over by hand), and the digest's
 * one-click unsubscribe (/unsubscribe/{token}: a signed token, no login). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/emails.h"
#include "app/fields.h"
#include "core/email_render.h"
#include "util/banned.h"

/* Columns of api_list_emails (src/api/list.c). */
enum {
    C_ID,
    C_KIND,
    C_TO,
    C_STATUS,
    C_ATTEMPTS,
    C_ERROR,
    C_CREATED,
    C_SENT,
    C_VARS,
    C_PROGRAM,
    C_PARTNER_ID,
    C_PROGRAM_ID
};

static json_t *email_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    json_t *vars = json_loads(store_col_text(cur, C_VARS), 0, NULL);
    const char *status = store_col_text(cur, C_STATUS);
    struct email_body b;
    char terr[160];
    bool subject =
        email_template(store_col_text(cur, C_KIND),
                       store_is_null(cur, C_PROGRAM) ? NULL : store_col_text(cur, C_PROGRAM), vars,
                       call->req->arena, &b, terr, sizeof terr) == 0;
    const char *link = json_string_value(json_object_get(vars, "link"));
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
        store_col_text(cur, C_ID), "object", "email", "kind", store_col_text(cur, C_KIND), "to",
        store_col_text(cur, C_TO), "subject", subject ? json_string(b.subject) : json_null(),
        "status", status, "attempts", (json_int_t)store_col_int(cur, C_ATTEMPTS), "last_error",
        store_is_null(cur, C_ERROR) ? json_null() : json_string(store_col_text(cur, C_ERROR)),
        "created", pd_json_time(store_col_int(cur, C_CREATED)), "sent_at",
        store_is_null(cur, C_SENT) ? json_null() : pd_json_time(store_col_int(cur, C_SENT)), "link",
        link && strcmp(status, "sent") != 0 ? json_string(link) : json_null(), "partner_id",
        store_is_null(cur, C_PARTNER_ID) ? json_null()
                                         : json_string(store_col_text(cur, C_PARTNER_ID)),
        "program_id",
        store_is_null(cur, C_PROGRAM_ID) ? json_null()
                                         : json_string(store_col_text(cur, C_PROGRAM_ID)));
    json_decref(vars);
    if (!o)
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "out of memory");
    return o;
}

void api_emails_list(struct api_call *call)
{
    const char *status = api_query(call, "status");
    if (status && !email_status_known(status)) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "status", "status must be one of %s",
                         EMAIL_STATUSES);
        return;
    }
    api_reply_list(call, &api_list_emails, NULL, email_row);
}

/* The partner a token names, or an answer (404) and false. */
static bool unsubscribe_partner(struct api_call *call, char *partner_id, size_t len)
{
    if (email_unsubscribe_check(call->app->fingerprint_key, call->path_params[0], partner_id, len))
        return true;
    api_reply_errorf(call, PD_ERR_NOT_FOUND, "token", "this unsubscribe link is not valid");
    return false;
}

void api_unsubscribe_page(struct api_call *call)
{
    char partner_id[64];
    if (!unsubscribe_partner(call, partner_id, sizeof partner_id))
        return;
    /* A GET changes nothing (mail scanners open links); the button posts, as a one-click
     * List-Unsubscribe-Post client does. */
    static const char page[] =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>Unsubscribe</title></head>\n<body style=\"font-family:sans-serif;max-width:32em;"
        "margin:3em auto;padding:0 1em\">\n<h1>Unsubscribe</h1>\n<p>Stop the daily summary of "
        "new commissions? Your account and your other emails stay as they are.</p>\n"
        "<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" "
        "value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form>\n"
        "</body></html>\n";
    static const struct http_header h[] = {
        {"Content-Type", "text/html; charset=utf-8"},
        {"Cache-Control", "no-store"},
        {"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                                    "form-action 'self'"},
        {"X-Content-Type-Options", "nosniff"},
    };
    api_reply_raw(call, 200, h, 4, page, sizeof page - 1);
}

static int unsubscribe_op(struct store *s, struct api_write *w)
{
    const char *partner_id = w->op_arg;
    if (email_digest_set(s, partner_id, false, w->call->now_ms, &w->err) < 0)
        return -1;
    w->result = json_pack("{s:s, s:s, s:b, s:s}", "object", "email_subscription", "partner_id",
                          partner_id, "email_digest", false, "message",
                          "You will no longer receive the daily summary of new commissions.");
    w->status = 200;
    return w->result ? 0 : pd_err_set(&w->err, PD_ERR_INTERNAL, NULL, "out of memory");
}

void api_unsubscribe(struct api_call *call)
{
    char *partner_id = arena_alloc(call->req->arena, 64);
    if (!unsubscribe_partner(call, partner_id, 64))
        return;
    api_submit_write(call, unsubscribe_op, partner_id);
}
