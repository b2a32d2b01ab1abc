/* The API's route table (every endpoint of the API, who may call it, and its handler) and the
 * router that matches a request against the tables `partnerd serve` composes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/click_journal.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define SECRET AUTH_ALLOW(AUTH_SECRET)
#define PUBLISHABLE AUTH_ALLOW(AUTH_PUBLISHABLE)
#define PARTNER AUTH_ALLOW(AUTH_PARTNER)
#define PUBLIC 0u
#define OWNER (SECRET | AUTH_OWNER_ONLY) /* the team and the merchant's keys */
/* A body anyone may send without a key (a login form) is small: bodies in flight share one budget,
 * and a key-less body must not be able to take much of it. */
#define PUBLIC_BODY_MAX (16u * 1024)
/* A store platform's order webhook (a Shopify order with many lines) is signed by the platform,
 * not by a key, yet can be large; the server's own limit still applies when lower. */
#define STORE_HOOK_BODY_MAX (2u * 1024 * 1024)

/* Rows name the fields they need: the ones left out after `handler` are 0 (their defaults). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct api_route rows[] = {
    {HTTP_GET, "/c/*", PUBLIC, false, api_click_redirect},
    {HTTP_GET, "/healthz", PUBLIC, false, api_health},
    {HTTP_GET, "/readyz", PUBLIC, false, api_ready},
    {HTTP_GET, "/metrics", PUBLIC, false, api_metrics},
    {HTTP_POST, "/api/v1/clicks", SECRET | PUBLISHABLE, true, api_click_create},
    {HTTP_POST, "/api/v1/programs", SECRET, true, api_programs_create},
    {HTTP_GET, "/api/v1/programs", SECRET, false, api_programs_list},
    {HTTP_GET, "/api/v1/programs/*", SECRET, false, api_programs_get},
    {HTTP_PATCH, "/api/v1/programs/*", SECRET, true, api_programs_update},
    {HTTP_POST, "/api/v1/partners", SECRET, true, api_partners_create},
    {HTTP_GET, "/api/v1/partners", SECRET, false, api_partners_list},
    {HTTP_GET, "/api/v1/partners/*", SECRET, false, api_partners_get},
    {HTTP_PATCH, "/api/v1/partners/*", SECRET, true, api_partners_update},
    {HTTP_POST, "/api/v1/partners/*/keys", SECRET, false, api_partner_keys_create},
    {HTTP_POST, "/api/v1/partners/*/invite", SECRET, false, api_partner_invite_send},
    {HTTP_DELETE, "/api/v1/partners/*/invite", SECRET, false, api_partner_invite_revoke},
    {HTTP_POST, "/api/v1/links", SECRET, true, api_links_create},
    {HTTP_GET, "/api/v1/links", SECRET, false, api_links_list},
    {HTTP_GET, "/api/v1/links/*", SECRET, false, api_links_get},
    {HTTP_PATCH, "/api/v1/links/*", SECRET, true, api_links_update},
    {HTTP_DELETE, "/api/v1/links/*", SECRET, false, api_links_delete},
    {HTTP_POST, "/api/v1/leads", SECRET, true, api_leads_create},
    {HTTP_POST, "/api/v1/conversions", SECRET, true, api_conversions_create},
    {HTTP_GET, "/api/v1/conversions", SECRET, false, api_conversions_list},
    {HTTP_GET, "/api/v1/conversions/*", SECRET, false, api_conversions_get},
    {HTTP_POST, "/api/v1/conversions/*/refunds", SECRET, true, api_refunds_create},
    {HTTP_GET, "/api/v1/commissions", SECRET, false, api_commissions_list},
    {HTTP_GET, "/api/v1/commissions/*", SECRET, false, api_commissions_get},
    {HTTP_POST, "/api/v1/commissions/*/approve", SECRET, false, api_commissions_approve},
    {HTTP_POST, "/api/v1/commissions/*/reject", SECRET, false, api_commissions_reject},
    {HTTP_POST, "/api/v1/payouts", SECRET, true, api_payouts_create},
    {HTTP_GET, "/api/v1/payouts", SECRET, false, api_payouts_list},
    {HTTP_GET, "/api/v1/payouts/*", SECRET, false, api_payouts_get},
    {HTTP_POST, "/api/v1/payouts/*/paid", SECRET, false, api_payouts_paid},
    {HTTP_POST, "/api/v1/payouts/*/refresh", SECRET, false, api_payouts_refresh},
    {HTTP_DELETE, "/api/v1/payouts/*", SECRET, false, api_payouts_delete},
    {HTTP_POST, "/api/v1/payouts/*/items/*/paid", SECRET, false, api_payout_item_paid},
    {HTTP_POST, "/api/v1/payouts/*/items/*/failed", SECRET, true, api_payout_item_failed},
    {HTTP_GET, "/api/v1/payouts/*/sepa.xml", SECRET, false, api_payouts_sepa},
    {HTTP_GET, "/api/v1/payouts/*/paypal.csv", SECRET, false, api_payouts_paypal_csv},
    {HTTP_GET, "/api/v1/payouts/*/wise.csv", SECRET, false, api_payouts_wise_csv},
    {HTTP_POST, "/api/v1/payouts/*/send", SECRET, false, api_payouts_send}, /* paypal */
    {HTTP_GET, "/api/v1/payouts/*/items/*/statement", SECRET, false, api_payout_item_statement},
    {HTTP_GET, "/api/v1/reports", SECRET, false, api_reports_get},
    /* webhooks */
    {HTTP_POST, "/api/v1/webhooks", SECRET, true, api_webhooks_create},
    {HTTP_GET, "/api/v1/webhooks", SECRET, false, api_webhooks_list},
    {HTTP_DELETE, "/api/v1/webhooks/*", SECRET, false, api_webhooks_delete},
    {HTTP_GET, "/api/v1/webhooks/*/deliveries", SECRET, false, api_webhooks_deliveries},
    /* end webhooks */
    {HTTP_GET, "/api/v1/emails", SECRET, false, api_emails_list}, /* email */
    {HTTP_GET, "/unsubscribe/*", PUBLIC, false, api_unsubscribe_page},
    {HTTP_POST, "/unsubscribe/*", PUBLIC, false, api_unsubscribe},
    /* connections: store webhooks */
    {HTTP_POST, "/api/v1/programs/*/connections", SECRET, true, api_connections_create},
    {HTTP_GET, "/api/v1/programs/*/connections", SECRET, false, api_connections_list},
    {HTTP_GET, "/api/v1/connections/*", SECRET, false, api_connections_get},
    {HTTP_PATCH, "/api/v1/connections/*", SECRET, true, api_connections_update},
    {HTTP_DELETE, "/api/v1/connections/*", SECRET, false, api_connections_delete},
    {HTTP_GET, "/api/v1/connections/*/events", SECRET, false, api_connections_events},
    /* end connections */
    {HTTP_GET, "/api/v1/me", PARTNER, false, api_me_get},
    {HTTP_GET, "/api/v1/me/links", PARTNER, false, api_me_links_list},
    {HTTP_POST, "/api/v1/me/links", PARTNER, true, api_me_links_create},
    {HTTP_GET, "/api/v1/me/report", PARTNER, false, api_me_report},
    {HTTP_GET, "/api/v1/me/commissions", PARTNER, false, api_me_commissions},
    {HTTP_GET, "/api/v1/me/payouts", PARTNER, false, api_me_payouts},
    {HTTP_GET, "/api/v1/me/payouts/*/statement", PARTNER, false, api_me_payout_statement},
    {HTTP_PATCH, "/api/v1/me", PARTNER, true, api_me_update},
    /* keys: a partner's API keys, for the merchant and for the partner itself */
    {HTTP_GET, "/api/v1/partners/*/keys", SECRET, false, api_partner_keys_list},
    {HTTP_DELETE, "/api/v1/partners/*/keys/*", SECRET, false, api_partner_keys_revoke},
    {HTTP_GET, "/api/v1/me/keys", PARTNER, false, api_me_keys_list},
    {HTTP_POST, "/api/v1/me/keys", PARTNER, false, api_me_keys_create},
    {HTTP_DELETE, "/api/v1/me/keys/*", PARTNER, false, api_me_keys_revoke},
    /* end keys */
    /* users and merchant keys: the owner's */
    {HTTP_GET, "/api/v1/users", OWNER, false, api_users_list},
    {HTTP_POST, "/api/v1/users", OWNER, true, api_users_create},
    {HTTP_GET, "/api/v1/users/*", OWNER, false, api_users_get},
    {HTTP_PATCH, "/api/v1/users/*", OWNER, true, api_users_update},
    {HTTP_DELETE, "/api/v1/users/*", OWNER, false, api_users_delete},
    {HTTP_POST, "/api/v1/users/*/invite", OWNER, false, api_users_reinvite},
    {HTTP_GET, "/api/v1/keys", OWNER, false, api_merchant_keys_list},
    {HTTP_POST, "/api/v1/keys", OWNER, true, api_merchant_keys_create},
    {HTTP_DELETE, "/api/v1/keys/*", OWNER, false, api_merchant_keys_revoke},
    /* end users and merchant keys */
    /* integrations: postback (token in the query), Dub-compatible tracking, the store helper */
    {HTTP_GET, "/postback", PUBLIC, false, api_postback},
    {HTTP_POST, "/track/lead", SECRET, true, api_track_lead},
    {HTTP_POST, "/track/sale", SECRET, true, api_track_sale},
    {HTTP_GET, "/pd.js", PUBLIC, false, api_pd_js},
    {HTTP_GET, "/openapi.json", PUBLIC, false, api_openapi},
    /* a store's signed webhook: the raw body is kept for the signature; orders can be large */
    {HTTP_POST, "/hooks/*/*", PUBLIC, false, api_store_hook, STORE_HOOK_BODY_MAX},
    /* end integrations */
};
#pragma GCC diagnostic pop
const struct api_route_table api_routes = {rows, sizeof rows / sizeof rows[0]};

/* The /api/v1 handlers that read query parameters: each checks them itself (api_check_query, or
 * api_reply_list for a list). On every other /api/v1 route a query parameter is refused, as an
 * unknown JSON field is; the tracking routes (/c/, /postback, /track/, /pd.js) ignore the ones
 * they do not use (utm_*, fbclid, a network's extras). */
static const api_handler query_readers[] = {
    api_programs_list,    api_partners_list,     api_links_list,   api_conversions_list,
    api_commissions_list, api_payouts_list,      api_reports_get,  api_webhooks_list,
    api_webhooks_deliveries, api_me_links_list,  api_me_report,    api_me_commissions,
    api_me_payouts,       api_connections_list,  api_connections_events, api_emails_list,
    api_payouts_sepa,     api_payouts_paypal_csv, api_payouts_wise_csv,
};

static bool reads_query(api_handler h)
{
    for (size_t i = 0; i < sizeof query_readers / sizeof query_readers[0]; i++)
        if (query_readers[i] == h)
            return true;
    return false;
}

/* Matches path against pattern segment by segment; captured segments are copied into the arena. */
static bool match(const char *pattern, const char *path, struct api_call *call)
{
    int captured = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '*') {
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len == 0 || captured == API_MAX_PATH_PARAMS)
                return false;
            call->path_params[captured++] = arena_strndup(call->req->arena, s, len);
            p++;
            s += len;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}

static const char *const method_names[] = {
    [HTTP_GET] = "GET",     [HTTP_HEAD] = "HEAD",     [HTTP_POST] = "POST",
    [HTTP_PUT] = "PUT",     [HTTP_PATCH] = "PATCH",   [HTTP_DELETE] = "DELETE",
    [HTTP_OPTIONS] = "OPTIONS",
};

/* 405 for a known path asked with a method none of its routes answers: the Allow header lists
 * the methods that are (a GET route answers HEAD too), the body is the usual JSON error. */
static void reply_method_not_allowed(struct api_call *call, unsigned methods)
{
    if (methods & (1u << HTTP_GET))
        methods |= 1u << HTTP_HEAD;
    char allow[80] = "";
    size_t n = 0;
    for (int m = HTTP_GET; m <= HTTP_OPTIONS && n < sizeof allow; m++)
        if (methods & (1u << m))
            n += (size_t)snprintf(allow + n, sizeof allow - n, "%s%s", n ? ", " : "",
                                  method_names[m]);
    struct pd_err err = {.kind = PD_ERR_BAD_REQUEST};
    snprintf(err.message, sizeof err.message, "this method is not allowed on %.120s; allowed: %s",
             call->req->path, allow);
    json_t *body = api_error_json(&err);
    json_object_set_new(json_object_get(body, "error"), "code", json_string("method_not_allowed"));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        abort();
    const struct http_header h[] = {
        {"Content-Type", "application/json"},
        {"Cache-Control", "no-store"},
        {"Allow", allow},
    };
    api_reply_raw(call, 405, h, 3, text, strlen(text));
    free(text);
}

void api_print_routes(FILE *out, const struct api_route_table *const *tables)
{
    for (; *tables; tables++)
        for (size_t i = 0; i < (*tables)->n; i++)
            fprintf(out, "%s %s\n", method_names[(*tables)->routes[i].method],
                    (*tables)->routes[i].pattern);
}

/* Every request but a click sees every click acknowledged before it arrived. Clicks reach the
 * database through the writer thread after their 302 (src/api/clicks.c); when some are still on
 * their way, the request waits for a job queued behind them, then runs. */
struct click_barrier {
    struct write_job job;
    struct api_call *call;
    api_handler handler;
};

static void barrier_resume(void *arg)
{
    struct click_barrier *b = arg;
    b->handler(b->call);
}

static void barrier_done(struct write_job *job)
{
    struct click_barrier *b = (struct click_barrier *)job;
    http_worker_post(b->call->req->worker, barrier_resume, b);
}

static void run_after_clicks(struct api_call *call, api_handler handler)
{
    if (handler == api_click_redirect || !click_journal_in_flight(call->app->click_journal)) {
        handler(call);
        return;
    }
    struct click_barrier *b = arena_calloc(call->req->arena, sizeof *b);
    b->job.run = writer_run_nothing;
    b->job.done = barrier_done;
    b->job.keeps_links = true;
    b->job.writes_nothing = true;
    b->call = call;
    b->handler = handler;
    if (writer_submit(call->app->writer, &b->job) < 0)
        handler(call); /* stopping */
}

/* A call whose route is known, from its head to its handler. */
struct routed_call {
    struct api_call call;
    const struct api_route *route;
};

void api_route(struct http_request *req, struct app *app,
               const struct api_route_table *const *tables)
{
    atomic_fetch_add(&app->metrics.requests, 1);
    struct routed_call *rc = arena_calloc(req->arena, sizeof *rc);
    struct api_call *call = &rc->call;
    call->req = req;
    call->app = app;
    call->worker = req->worker_data;
    call->db = call->worker->db;
    call->now_ms = time_now_ms();
    client_ip_resolve(&app->trusted_proxies, req->peer_ip,
                      app->trusted_proxies.n ? http_header_get(req, "X-Forwarded-For") : NULL,
                      call->client_ip);

    unsigned path_methods = 0; /* bit m: some route of this path answers method m */
    const struct api_route *route = NULL;
    enum http_method method = req->method == HTTP_HEAD ? HTTP_GET : req->method;
    for (const struct api_route_table *const *t = tables; *t && !route; t++) {
        for (size_t i = 0; i < (*t)->n && !route; i++) {
            const struct api_route *r = &(*t)->routes[i];
            memset(call->path_params, 0, sizeof call->path_params);
            if (!match(r->pattern, req->path, call))
                continue;
            path_methods |= 1u << r->method;
            if (r->method == method)
                route = r;
        }
    }
    if (!route) {
        if (path_methods)
            reply_method_not_allowed(call, path_methods);
        else
            api_reply_errorf(call, PD_ERR_NOT_FOUND, NULL, "no such endpoint: %s", req->path);
        return;
    }
    struct pd_err err = {0};
    if (route->auth && api_authenticate(call, route->auth, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    if (strncmp(req->path, "/api/v1/", 8) == 0 && !reads_query(route->handler) &&
        api_check_query(call, NULL, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    req->max_body = route->body_max ? route->body_max
                    : route->auth   ? req->max_body
                                    : PUBLIC_BODY_MAX;
    rc->route = route;
    req->app_data = rc;
}

void api_dispatch(struct http_request *req, struct app *app,
                  const struct api_route_table *const *tables)
{
    struct routed_call *rc = req->app_data;
    if (!rc) {
        api_route(req, app, tables); /* a server without the head hook */
        if (!(rc = req->app_data))
            return;
    }
    struct api_call *call = &rc->call;
    const struct api_route *route = rc->route;
    struct pd_err err = {0};
    call->now_ms = time_now_ms(); /* the body may have taken a while */
    if (route->json_body && api_parse_body(call, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    run_after_clicks(call, route->handler);
}
