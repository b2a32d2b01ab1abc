/* The pages (static shells whose scripts read the API) and the embedded assets. The dashboard
 * pages need a session of the right kind; without one they send the browser to /login. */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "http/query.h"
#include "web/assets.h"
#include "web/web_internal.h"
#include "util/banned.h"

const struct web_asset *web_asset_find(const char *name)
{
    for (size_t i = 0; i < web_assets_count; i++)
        if (strcmp(web_assets[i].name, name) == 0)
            return &web_assets[i];
    return NULL;
}

static const char not_found_html[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found — "
    "partnerd</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body>"
    "<main class=\"narrow\"><h1>Page not found</h1><p>There is no page at this address. "
    "Go to the <a href=\"/\">dashboard</a>.</p></main></body></html>\n";

static void reply_not_found(struct api_call *call)
{
    web_reply(call, 404, "text/html; charset=utf-8", not_found_html, sizeof not_found_html - 1,
              NULL, 0);
}

static void serve_asset(struct api_call *call, const char *name, bool cache)
{
    const struct web_asset *a = web_asset_find(name);
    if (!a) {
        reply_not_found(call);
        return;
    }
    /* Assets revalidate with their ETag (cheap 304s); pages are never stored. */
    struct http_header h[2] = {{"ETag", a->etag},
                               {"Cache-Control", cache ? "no-cache" : "no-store"}};
    const char *inm = http_header_get(call->req, "If-None-Match");
    if (cache && inm && strcmp(inm, a->etag) == 0) {
        web_reply(call, 304, NULL, "", 0, h, 2);
        return;
    }
    web_reply(call, 200, a->content_type, (const char *)a->data, a->len, h, 2);
}

void web_asset(struct api_call *call)
{
    const char *name = call->path_params[0];
    /* Only plain file names: the table has no directories, and nothing here touches a disk. */
    size_t len = strlen(name);
    if (strstr(name, "..") || strchr(name, '%') || !strchr(name, '.') ||
        (len >= 5 && strcmp(name + len - 5, ".html") == 0)) {
        reply_not_found(call);
        return;
    }
    serve_asset(call, name, true);
}

/* The session's home page. */
static const char *home_of(const struct auth_session *ses)
{
    return strcmp(ses->kind, "admin") == 0 ? "/admin/" : "/partner/";
}

/* 1 with a session found (or none: 0), -1 after replying with an error. */
static int find_session(struct api_call *call, struct auth_session *ses)
{
    struct pd_err err = {0};
    int rc = web_session_find(call, ses, &err);
    if (rc < 0)
        web_reply_json(call, 500, api_error_json(&err), NULL);
    return rc;
}

void web_root(struct api_call *call)
{
    struct auth_session ses;
    int rc = find_session(call, &ses);
    if (rc >= 0)
        web_reply_redirect(call, rc ? home_of(&ses) : "/login");
}

void web_login_page(struct api_call *call)
{
    struct auth_session ses;
    int rc = find_session(call, &ses);
    if (rc > 0)
        web_reply_redirect(call, home_of(&ses));
    else if (rc == 0)
        serve_asset(call, "login.html", false);
}

static void dashboard_page(struct api_call *call, const char *kind, const char *prefix,
                           const char *const *sections, const char *page)
{
    const char *path = call->req->path;
    size_t pl = strlen(prefix);
    if (strcmp(path, prefix) == 0) { /* "/admin" → "/admin/" */
        web_reply_redirect(call, arena_sprintf(call->req->arena, "%s/", prefix));
        return;
    }
    const char *section = path + pl + 1;
    bool known = false;
    for (const char *const *s = sections; *s && !known; s++)
        known = strcmp(*s, section) == 0;
    if (!known) {
        reply_not_found(call);
        return;
    }
    struct auth_session ses;
    int rc = find_session(call, &ses);
    if (rc < 0)
        return;
    if (rc == 0) {
        web_reply_redirect(call, arena_sprintf(call->req->arena, "/login?next=%s",
                                               http_percent_encode(call->req->arena, path)));
        return;
    }
    if (strcmp(ses.kind, kind) != 0) {
        web_reply_redirect(call, home_of(&ses));
        return;
    }
    serve_asset(call, page, false);
}

void web_admin_page(struct api_call *call)
{
    static const char *const sections[] = {"",        "partners", "conversions", "commissions",
                                           "payouts", "webhooks", "emails",      "settings",
                                           "team",    "keys",     "partner",     NULL};
    dashboard_page(call, "admin", "/admin", sections, "admin.html");
}

void web_partner_page(struct api_call *call)
{
    static const char *const sections[] = {"",     "links",    "commissions", "payouts",
                                           "keys", "settings", NULL};
    dashboard_page(call, "partner", "/partner", sections, "partner.html");
}
