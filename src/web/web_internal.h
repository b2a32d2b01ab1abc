/* What the files of src/web/ share: the route handlers, writes whose answers carry cookies, and
 * responses with the security headers. Not for use outside src/web/. */
#ifndef PD_WEB_WEB_INTERNAL_H
#define PD_WEB_WEB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/auth.h"
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

#endif
