/* Responses with the dashboards' security headers, the same-site checks of page requests, and
 * writes through the group-commit writer whose answers carry cookies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "web/web_internal.h"
#include "util/banned.h"

/* No inline script or style anywhere: every script and style sheet is an embedded file. */
#define WEB_CSP                                                                                    \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"               \
    " font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none';"                   \
    " frame-ancestors 'none'"

static const struct http_header security_headers[] = {
    {"Content-Security-Policy", WEB_CSP},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
};
#define NSECURITY (sizeof security_headers / sizeof security_headers[0])
#define WEB_MAX_HEADERS 16

void web_reply(struct api_call *call, int status, const char *content_type, const char *body,
               size_t len, const struct http_header *extra, size_t nextra)
{
    struct http_header h[WEB_MAX_HEADERS];
    size_t n = 0;
    for (size_t i = 0; i < NSECURITY; i++)
        h[n++] = security_headers[i];
    if (call->app->auth && auth_secure(call->app->auth))
        h[n++] = (struct http_header){"Strict-Transport-Security", "max-age=31536000"};
    if (content_type)
        h[n++] = (struct http_header){"Content-Type", content_type};
    bool cache_set = false;
    for (size_t i = 0; i < nextra && n < WEB_MAX_HEADERS; i++) {
        cache_set = cache_set || strcasecmp(extra[i].name, "Cache-Control") == 0;
        h[n++] = extra[i];
    }
    if (!cache_set && n < WEB_MAX_HEADERS)
        h[n++] = (struct http_header){"Cache-Control", "no-store"};
    api_reply_raw(call, status, h, n, body, len);
}

void web_reply_json(struct api_call *call, int status, json_t *body, const char *set_cookie)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        abort();
    struct http_header cookie = {"Set-Cookie", set_cookie};
    web_reply(call, status, "application/json", text, strlen(text), &cookie, set_cookie ? 1 : 0);
    free(text);
}

static void reply_err(struct api_call *call, const struct pd_err *err)
{
    web_reply_json(call, pd_err_http_status(err->kind), api_error_json(err), NULL);
}

void web_reply_error(struct api_call *call, enum pd_errkind kind, const char *param,
                     const char *msg)
{
    struct pd_err err = {0};
    pd_err_set(&err, kind, param, "%s", msg);
    reply_err(call, &err);
}

void web_reply_redirect(struct api_call *call, const char *location)
{
    struct http_header loc = {"Location", location};
    static const char body[] = "redirecting\n";
    web_reply(call, 302, "text/plain; charset=utf-8", body, sizeof body - 1, &loc, 1);
}

bool web_check_page_post(struct api_call *call)
{
    struct pd_err err = {0};
    const char *ct = http_header_get(call->req, "Content-Type");
    const char *origin = http_header_get(call->req, "Origin");
    const char *host = http_header_get(call->req, "Host");
    /* A cross-site form cannot send application/json without a CORS preflight, which partnerd
     * never grants; the Origin check refuses what a browser marks as coming from elsewhere. */
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        pd_err_set(&err, PD_ERR_BAD_REQUEST, NULL,
                   "send the form as JSON (Content-Type: application/json)");
    else if (origin && !auth_origin_matches(origin, host, auth_scheme(call->app->auth)))
        pd_err_set(&err, PD_ERR_FORBIDDEN, NULL,
                   "this request came from another site (Origin %.100s); open the dashboard at "
                   "its own address and try again",
                   origin);
    else
        return true;
    reply_err(call, &err);
    return false;
}

/* ---- writes ------------------------------------------------------------------------------- */

static int web_write_run_job(struct store *s, struct write_job *job)
{
    struct web_write *w = (struct web_write *)job;
    if (w->run(s, w) < 0) {
        if (w->err.kind == PD_ERR_NONE)
            pd_err_set(&w->err, PD_ERR_INTERNAL, NULL, "the write failed");
        return -1;
    }
    return 0;
}

static void web_write_reply_on_worker(void *arg)
{
    struct web_write *w = arg;
    if (w->job.outcome == WRITE_FAILED) {
        struct pd_err err = {0};
        pd_err_set(&err, PD_ERR_INTERNAL, NULL, "the database could not commit; try again");
        reply_err(w->call, &err);
        return;
    }
    if (w->job.outcome == WRITE_ROLLED_BACK) {
        reply_err(w->call, &w->err);
        return;
    }
    w->reply(w);
}

static void web_write_done(struct write_job *job)
{
    struct web_write *w = (struct web_write *)job;
    (void)http_worker_post(w->call->req->worker, web_write_reply_on_worker, w);
}

void web_submit(struct api_call *call, web_write_run run, web_write_reply reply, void *arg)
{
    struct web_write *w = arena_calloc(call->req->arena, sizeof *w);
    w->job.run = web_write_run_job;
    w->job.done = web_write_done;
    w->call = call;
    w->run = run;
    w->reply = reply;
    w->arg = arg;
    if (writer_submit(call->app->writer, &w->job) < 0) {
        struct pd_err err = {0};
        pd_err_set(&err, PD_ERR_UNAVAILABLE, NULL, "the server is shutting down");
        reply_err(call, &err);
    }
}
