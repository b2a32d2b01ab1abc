/* Server-rendered pages and the public forms they post (the program page and signup, the forgotten
 * password): HTML built with every value escaped, the form's body read as JSON or as
 * application/x-www-form-urlencoded, the anti-forgery checks, and answers in HTML or JSON as the
 * request asked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "core/ids.h"
#include "http/query.h"
#include "web/web_internal.h"
#include "util/banned.h"

#define PAGE_MAX (256u * 1024)
#define FORM_MAX_PARAMS 32

/* ---- HTML ---------------------------------------------------------------------------------- */

void web_html(struct strbuf *b, const char *s)
{
    strbuf_put_html(b, s ? s : "", s ? strlen(s) : 0);
}

void web_html_paragraphs(struct strbuf *b, const char *text)
{
    /* Blank lines separate paragraphs; single newlines stay line breaks (CSS pre-line). */
    const char *p = text ? text : "";
    while (*p) {
        const char *end = strstr(p, "\n\n");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            strbuf_puts(b, "<p class=\"text\">");
            strbuf_put_html(b, p, len);
            strbuf_puts(b, "</p>");
        }
        p += len;
        while (*p == '\n')
            p++;
    }
}

void web_page_open(struct strbuf *b, const char *title)
{
    strbuf_init(b, PAGE_MAX);
    strbuf_puts(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>");
    web_html(b, title);
    strbuf_puts(b, " — partnerd</title>\n"
                   "<link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">\n"
                   "<link rel=\"stylesheet\" href=\"/assets/app.css\">\n"
                   "<link rel=\"stylesheet\" href=\"/assets/join.css\">\n"
                   "</head>\n<body class=\"auth\">\n<main class=\"narrow\">\n");
}

void web_reply_page(struct api_call *call, int status, struct strbuf *b,
                    const struct http_header *extra, size_t nextra)
{
    strbuf_puts(b, "</main>\n</body>\n</html>\n");
    if (strbuf_status(b) != STRBUF_OK) {
        strbuf_free(b);
        web_reply_error(call, PD_ERR_INTERNAL, NULL, "the page is too large");
        return;
    }
    web_reply(call, status, "text/html; charset=utf-8", b->data, b->len, extra, nextra);
    strbuf_free(b);
}

void web_reply_message(struct api_call *call, int status, const char *title, const char *text,
                       const char *link, const char *link_text)
{
    struct strbuf b;
    web_page_open(&b, title);
    strbuf_puts(&b, "<section class=\"panel message\">\n<h1>");
    web_html(&b, title);
    strbuf_puts(&b, "</h1>\n<p>");
    web_html(&b, text);
    strbuf_puts(&b, "</p>\n");
    if (link) {
        strbuf_puts(&b, "<p><a class=\"button\" href=\"");
        web_html(&b, link);
        strbuf_puts(&b, "\">");
        web_html(&b, link_text);
        strbuf_puts(&b, "</a></p>\n");
    }
    strbuf_puts(&b, "</section>\n");
    web_reply_page(call, status, &b, NULL, 0);
}

static const char *form_cookie_name(const struct api_call *call)
{
    return auth_secure(call->app->auth) ? "__Host-pd_form" : "pd_form";
}

/* The browser's form cookie, or NULL. */
static const char *form_binding(struct api_call *call)
{
    char value[AUTH_FORM_BINDING_LEN + 2];
    const char *cookies = http_header_get(call->req, "Cookie");
    if (!cookies || !auth_cookie_get(cookies, form_cookie_name(call), value, sizeof value) ||
        strlen(value) != AUTH_FORM_BINDING_LEN)
        return NULL;
    return arena_strdup(call->req->arena, value);
}

void web_form_token_input(struct api_call *call, struct strbuf *b, const char *purpose,
                          struct http_header *set_cookie)
{
    const char *binding = form_binding(call);
    if (!binding) {
        char *fresh = arena_alloc(call->req->arena, AUTH_FORM_BINDING_LEN + 1);
        id_random_token(fresh, AUTH_FORM_BINDING_LEN);
        fresh[AUTH_FORM_BINDING_LEN] = '\0';
        binding = fresh;
    }
    /* Strict: a post from another site never carries it. Renewed with each form shown. */
    set_cookie->name = "Set-Cookie";
    set_cookie->value =
        arena_sprintf(call->req->arena, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
                      form_cookie_name(call), binding, (long long)(AUTH_FORM_TTL_MS / 1000),
                      auth_secure(call->app->auth) ? "; Secure" : "");
    char token[AUTH_FORM_TOKEN_LEN + 1];
    auth_form_token(call->app->auth, purpose, binding, call->now_ms, token);
    strbuf_puts(b, "<input type=\"hidden\" name=\"form_token\" value=\"");
    web_html(b, token);
    strbuf_puts(b, "\">\n");
}

static const char *error_for(const struct web_form_errors *e, const char *param)
{
    for (size_t i = 0; e && i < e->n; i++)
        if (strcmp(e->param[i], param) == 0)
            return e->msg[i];
    return NULL;
}

void web_form_input(struct strbuf *b, const struct web_input *in, const struct web_form_errors *e)
{
    const char *msg = error_for(e, in->name);
    bool area = strcmp(in->type, "textarea") == 0;
    strbuf_puts(b, "<label class=\"field\"><span class=\"label\">");
    web_html(b, in->label);
    strbuf_puts(b, area ? "</span>\n<textarea name=\"" : "</span>\n<input name=\"");
    web_html(b, in->name);
    if (!area) {
        strbuf_puts(b, "\" type=\"");
        web_html(b, in->type);
        strbuf_puts(b, "\" value=\"");
        web_html(b, in->value);
    }
    strbuf_puts(b, "\" autocomplete=\"");
    web_html(b, in->autocomplete ? in->autocomplete : "off");
    strbuf_puts(b, "\"");
    if (in->required)
        strbuf_puts(b, " required");
    if (msg) {
        strbuf_puts(b, " aria-invalid=\"true\" aria-describedby=\"");
        web_html(b, in->name);
        strbuf_puts(b, "-error\"");
    }
    strbuf_puts(b, ">");
    if (area) {
        web_html(b, in->value);
        strbuf_puts(b, "</textarea>");
    }
    if (in->hint) {
        strbuf_puts(b, "<span class=\"hint\">");
        web_html(b, in->hint);
        strbuf_puts(b, "</span>");
    }
    if (msg) {
        strbuf_puts(b, "<span class=\"field-error\" role=\"alert\" id=\"");
        web_html(b, in->name);
        strbuf_puts(b, "-error\">");
        web_html(b, msg);
        strbuf_puts(b, "</span>");
    }
    strbuf_puts(b, "</label>\n");
}

/* ---- reading a form ------------------------------------------------------------------------ */

bool web_wants_json(struct api_call *call)
{
    const char *ct = http_header_get(call->req, "Content-Type");
    const char *accept = http_header_get(call->req, "Accept");
    return (ct && strncasecmp(ct, "application/json", 16) == 0) ||
           (accept && strstr(accept, "application/json") && !strstr(accept, "text/html"));
}

void web_form_error(struct web_form_errors *e, const char *param, const char *msg)
{
    if (e->n < WEB_FORM_MAX_ERRORS && !error_for(e, param)) {
        e->param[e->n] = param;
        e->msg[e->n] = msg;
        e->n++;
    }
}

const char *web_form_get(const struct web_form *f, const char *key)
{
    if (f->json) {
        json_t *v = json_object_get(f->body, key);
        return json_is_string(v) ? json_string_value(v) : NULL;
    }
    return http_param_get(f->params, f->nparams, key);
}

static void refuse(struct api_call *call, bool json, int status, enum pd_errkind kind,
                   const char *msg)
{
    if (json)
        web_reply_error(call, kind, NULL, msg);
    else
        web_reply_message(call, status, "This form cannot be sent", msg, call->req->path,
                          "Reload the form");
}

int web_form_read(struct api_call *call, const char *purpose, struct web_form *f)
{
    memset(f, 0, sizeof *f);
    const char *ct = http_header_get(call->req, "Content-Type");
    const char *origin = http_header_get(call->req, "Origin");
    f->json = web_wants_json(call);
    /* A browser marks a cross-site post with its Origin; such a post is never accepted. Our own
     * pages send "null" (their Referrer-Policy is no-referrer): the form cookie decides then. */
    if (origin && strcmp(origin, "null") != 0 &&
        !auth_origin_matches(origin, http_header_get(call->req, "Host"),
                             auth_scheme(call->app->auth))) {
        refuse(call, f->json, 403, PD_ERR_FORBIDDEN,
               "this form was sent from another site; open the page at its own address and try "
               "again");
        return -1;
    }
    if (ct && strncasecmp(ct, "application/json", 16) == 0) {
        /* A cross-site page cannot send JSON without a CORS preflight, which is never granted. */
        struct pd_err err = {0};
        if (api_parse_body(call, &err) < 0) {
            web_reply_json(call, pd_err_http_status(err.kind), api_error_json(&err), NULL);
            return -1;
        }
        f->json = true;
        f->body = call->body;
        return 0;
    }
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        refuse(call, f->json, 415, PD_ERR_BAD_REQUEST,
               "send the form as application/x-www-form-urlencoded or as JSON");
        return -1;
    }
    if (http_query_parse(call->req->arena, call->req->body, FORM_MAX_PARAMS, &f->params,
                         &f->nparams) < 0) {
        refuse(call, f->json, 400, PD_ERR_BAD_REQUEST, "the form's data is malformed");
        return -1;
    }
    if (!auth_form_token_ok(call->app->auth, purpose, form_binding(call),
                            web_form_get(f, "form_token"), call->now_ms)) {
        refuse(call, f->json, 403, PD_ERR_FORBIDDEN,
               "this form has expired or did not come from this site (or cookies are off): "
               "reload the page and send it again");
        return -1;
    }
    return 0;
}

void web_reply_form_errors(struct api_call *call, const struct web_form_errors *e)
{
    web_reply_error(call, PD_ERR_UNPROCESSABLE, e->param[0], e->msg[0]);
}

void web_reply_throttled(struct api_call *call, bool json, int retry_after, const char *what)
{
    char *msg = arena_sprintf(call->req->arena,
                              "too many %s from your address: wait %d minute(s), then try again",
                              what, retry_after / 60 + 1);
    struct http_header h = {"Retry-After", arena_sprintf(call->req->arena, "%d", retry_after)};
    if (!json) {
        struct strbuf b;
        web_page_open(&b, "Too many attempts");
        strbuf_puts(&b, "<section class=\"panel message\">\n<h1>Too many attempts</h1>\n<p>");
        web_html(&b, msg);
        strbuf_puts(&b, "</p>\n</section>\n");
        web_reply_page(call, 429, &b, &h, 1);
        return;
    }
    struct pd_err err = {0};
    pd_err_set(&err, PD_ERR_RATE_LIMITED, NULL, "%s", msg);
    json_t *body = api_error_json(&err);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        abort();
    web_reply(call, 429, "application/json", text, strlen(text), &h, 1);
    free(text);
}
