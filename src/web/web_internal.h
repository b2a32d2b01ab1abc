/* What the files of src/web/ share: the route handlers, writes whose answers carry cookies, and
 * responses with the security headers. Not for use outside src/web/. */
#ifndef PD_WEB_WEB_INTERNAL_H
#define PD_WEB_WEB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/auth.h"
#include "http/query.h"
#include "util/strbuf.h"
#include "web/web.h"

/* Route handlers (routes.c). */
void web_root(struct api_call *call);
void web_login_page(struct api_call *call);
void web_login(struct api_call *call);
void web_logout(struct api_call *call);
void web_session_info(struct api_call *call);
void web_admin_page(struct api_call *call);
void web_partner_page(struct api_call *call);
void web_asset(struct api_call *call);
void web_invite_page(struct api_call *call);
void web_invite_status(struct api_call *call);
void web_invite_accept(struct api_call *call);
/* signup: the public program page and its form (join.c), the forgotten password (forgot.c), a
 * partner's password change (account.c) */
void web_join_page(struct api_call *call);
void web_join_submit(struct api_call *call);
void web_forgot_page(struct api_call *call);
void web_forgot_submit(struct api_call *call);
void web_reset_page(struct api_call *call);
void web_reset_submit(struct api_call *call);
void web_password_change(struct api_call *call);

/* The request's session (auth_session_find on the worker's connection). */
int web_session_find(struct api_call *call, struct auth_session *out, struct pd_err *err);

/* A write through the group-commit writer whose answer the web code makes itself (cookies). */
struct web_write;
typedef int (*web_write_run)(struct store *s, struct web_write *w);
typedef void (*web_write_reply)(struct web_write *w); /* worker thread; w->job.outcome says */
struct web_write {
    struct write_job job;
    struct api_call *call;
    web_write_run run;
    web_write_reply reply;
    void *arg;
    struct pd_err err;
};
void web_submit(struct api_call *call, web_write_run run, web_write_reply reply, void *arg);

/* Responses. Every one carries the security headers; HTML is never cached. */
void web_reply(struct api_call *call, int status, const char *content_type, const char *body,
               size_t len, const struct http_header *extra, size_t nextra);
void web_reply_json(struct api_call *call, int status, json_t *body /* stolen */,
                    const char *set_cookie);
void web_reply_redirect(struct api_call *call, const char *location);
/* The JSON error {"error":{"code","message","param"}} with its status. */
void web_reply_error(struct api_call *call, enum pd_errkind kind, const char *param,
                     const char *msg);
/* Checks a state-changing request made by a page: JSON body and, when sent, a same-site Origin.
 * Replies with the error and returns false when it is refused. */
bool web_check_page_post(struct api_call *call);

/* ---- server-rendered pages and public forms (form.c) ------------------------------------------
 */

/* HTML text with &, <, >, " and ' escaped (NULL: nothing). */
void web_html(struct strbuf *b, const char *s);
/* Plain text as paragraphs (blank lines separate them), escaped. */
void web_html_paragraphs(struct strbuf *b, const char *text);
/* A page: web_page_open initialises b and writes the head; web_reply_page closes, sends and frees
 * it. */
void web_page_open(struct strbuf *b, const char *title);
void web_reply_page(struct api_call *call, int status, struct strbuf *b,
                    const struct http_header *extra, size_t nextra);
/* A page with a title, one sentence and an optional link. */
void web_reply_message(struct api_call *call, int status, const char *title, const char *text,
                       const char *link, const char *link_text);

#define WEB_FORM_MAX_ERRORS 8
struct web_form_errors {
    size_t n;
    const char *param[WEB_FORM_MAX_ERRORS];
    const char *msg[WEB_FORM_MAX_ERRORS];
};
/* Adds the first error of param. */
void web_form_error(struct web_form_errors *e, const char *param, const char *msg);
/* A labelled input (type "textarea" for a text area) with its error, if any, from e. */
struct web_input {
    const char *label, *name, *type, *value, *autocomplete, *hint;
    bool required;
};
void web_form_input(struct strbuf *b, const struct web_input *in, const struct web_form_errors *e);
/* The hidden anti-forgery field of a form of purpose (auth_form_token), bound to the browser's
 * form cookie; set_cookie is filled with the header the page must send. */
void web_form_token_input(struct api_call *call, struct strbuf *b, const char *purpose,
                          struct http_header *set_cookie);

/* A public form's post: JSON (Content-Type application/json) or urlencoded with the form token of
 * purpose and the form cookie it is bound to; a cross-site Origin is refused either way. Replies
 * (HTML or JSON) and returns -1 when refused. */
struct web_form {
    bool json; /* answers are JSON */
    json_t *body;
    struct http_param *params;
    size_t nparams;
};
int web_form_read(struct api_call *call, const char *purpose, struct web_form *f);
/* A field's text, NULL when absent (or not a string in JSON). */
const char *web_form_get(const struct web_form *f, const char *key);
/* The request asked for JSON (its Content-Type or its Accept header). */
bool web_wants_json(struct api_call *call);
/* The first error as the JSON error (422, param named). */
void web_reply_form_errors(struct api_call *call, const struct web_form_errors *e);
/* 429 with Retry-After, as a page or JSON; what: "signups", "reset requests". */
void web_reply_throttled(struct api_call *call, bool json, int retry_after, const char *what);

#endif
