/* The HTTP API's shared machinery: a call (request + who is asking), the route table, JSON in and
 * out, errors, and handing writes to the group-commit writer. One file per resource uses it. */
#ifndef PD_API_API_H
#define PD_API_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "app/app.h"
#include "auth/auth.h"
#include "core/client_ip.h"
#include "http/http.h"
#include "store/writer.h"
#include "util/err.h"

#define API_MAX_PATH_PARAMS 3

struct api_call {
    struct http_request *req;
    struct app *app;
    struct app_worker *worker;
    struct store *db; /* the worker's read connection */
    const char *path_params[API_MAX_PATH_PARAMS];
    struct auth auth;
    json_t *body; /* the parsed JSON object of a write, or NULL */
    int64_t now_ms;
    char client_ip[CLIENT_IP_MAX]; /* the peer, or behind a trusted proxy the forwarded client */
};

/* Answers and ends the call. The call must not be used afterwards. */
void api_reply_json(struct api_call *call, int status, json_t *body /* stolen */);
void api_reply_error(struct api_call *call, const struct pd_err *err);
void api_reply_errorf(struct api_call *call, enum pd_errkind kind, const char *param,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void api_reply_raw(struct api_call *call, int status, const struct http_header *headers,
                   size_t nheaders, const char *body, size_t len);

/* The JSON error object, e.g. for a write's stored answer. New reference. */
json_t *api_error_json(const struct pd_err *err);

/* Authentication (auth_request in src/auth/auth.h): an API key, or a dashboard session, fills
 * call->auth. `allowed` is a bit set of AUTH_ALLOW(kind). */
int api_authenticate(struct api_call *call, unsigned allowed, struct pd_err *err);

/* Parses the body as a JSON object into call->body (limits: depth, size). */
int api_parse_body(struct api_call *call, struct pd_err *err);

/* Typed field access with errors that name the field. Missing optional → default / NULL. */
int api_get_string(json_t *obj, const char *key, bool required, size_t max_len, const char **out,
                   struct pd_err *err);
int api_get_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max, int64_t *out,
                struct pd_err *err);
int api_get_bool(json_t *obj, const char *key, bool *out, struct pd_err *err);
/* Refuses fields not in the NULL-terminated list (catches typos like "ammount"). */
int api_check_fields(json_t *obj, const char *const *allowed, struct pd_err *err);

/* Query string access (parsed once into the request arena). */
const char *api_query(struct api_call *call, const char *key);
/* Refuses a query parameter not in the NULL-terminated list, and a malformed query string (400,
 * param names the parameter). Every /api/v1 handler that reads the query calls it (or
 * api_reply_list, which does); the router refuses any parameter on the other /api/v1 routes. */
int api_check_query(struct api_call *call, const char *const *allowed, struct pd_err *err);

/* Lists (Stripe's convention): newest first, by id (ids start with their creation time, so id
 * order is creation order to the millisecond, and ties keep one order across pages);
 * ?starting_after=<id> pages to older items, ?ending_before=<id> to newer ones (the page still
 * newest first), ?limit= 1..100 (10 by default), {"data":[…],"has_more":…} where has_more says
 * whether more items lie beyond the page in the direction asked. Filters are applied in SQL; the
 * leading ones (see leads) have a (filter…, id) index that serves both the WHERE and the ORDER BY,
 * so a page costs the same whatever the table's size (tests/unit/test_list_plans.c checks the
 * plans). */
#define API_LIST_MAX_FILTERS 6
enum api_filter_kind {
    API_FILTER_EQ = 0, /* column = value */
    API_FILTER_SET,    /* true: column IS NOT NULL; false: column IS NULL */
    API_FILTER_SINCE,  /* created at or after the time given (a date or RFC 3339): the id's */
    API_FILTER_BEFORE, /* created before the time given */
};
struct api_list_filter {
    const char *param;  /* the query parameter */
    const char *column; /* what it compares (the id for SINCE and BEFORE) */
    enum api_filter_kind kind;
};
struct api_list {
    const char *name;   /* for messages and tests */
    const char *select; /* "SELECT … FROM …", no WHERE */
    const char *key;    /* the cursor column (an id) */
    const char *prefix; /* what a cursor id starts with */
    const char *own;    /* compared with the caller's value (a partner's own list), or NULL */
    struct api_list_filter filters[API_LIST_MAX_FILTERS]; /* param NULL ends the list */
    /* The filter sets that lead (bit i: filters[i], API_LIST_OWN: own), most selective first,
     * each with an index on (its columns, id), 0 ends the list: a page reads the index of the
     * first set among its filters, and checks its other filters on the rows found (written so
     * that no planner takes another index for them). A page with no leading filter walks the
     * ids newest first (within created[gte] and created[lt]), checking its filters on the way. */
    unsigned leads[6];
};
#define API_LIST_OWN (1u << 31)
enum api_list_dir { API_LIST_FIRST = 0, API_LIST_AFTER, API_LIST_BEFORE };
/* The statement of one page: the filters present (bit i: filters[i]), with the own column or not,
 * and the cursor's direction. Parameters: the own value, the filters present in order, the
 * cursor, then the row limit. Returns the text (arena memory) and its parameter count. */
char *api_list_sql(struct arena *a, const struct api_list *list, unsigned present, bool own,
                   enum api_list_dir dir, int *nparams);
/* The leading filter set of a page with those filters (see leads), 0 when none leads. */
unsigned api_list_lead(const struct api_list *list, unsigned present, bool own);
/* Every list the API serves (NULL-terminated), for the plan test. */
extern const struct api_list *const api_lists[];
extern const struct api_list api_list_programs, api_list_partners, api_list_links,
    api_list_me_links, api_list_conversions, api_list_commissions, api_list_me_commissions,
    api_list_payouts, api_list_me_payouts, api_list_webhooks, api_list_deliveries,
    api_list_connections, api_list_connection_events, api_list_emails;

/* Turns the current row of a list query into its JSON object (NULL with err on failure). */
typedef json_t *(*api_row_json)(struct api_call *call, struct store_cursor *cur,
                                struct pd_err *err);
/* Answers one page of a list, {"data":[…],"has_more":…}, after checking the query (paging
 * parameters and the list's filters only). own_value: the value of list->own (the caller's
 * partner id), NULL when the list has none. */
void api_reply_list(struct api_call *call, const struct api_list *list, const char *own_value,
                    api_row_json row_json);

/* A write: op runs on the writer thread inside its own savepoint and fills status + result, or
 * returns -1 with err filled (its writes are undone). The reply is sent after the commit. Honours
 * Idempotency-Key. op_arg is the caller's (lives in the request arena). */
struct api_write;
typedef int (*api_write_op)(struct store *s, struct api_write *w);
struct api_write {
    struct write_job job;
    struct api_call *call;
    api_write_op op;
    void *op_arg;
    int status;        /* set by op on success (200, 201) */
    json_t *result;    /* set by op on success */
    struct pd_err err; /* set by op on failure */
    const char *idem_key;
    const char *inflight_key; /* key id + '/' + idem_key */
    char request_hash[65];
    char *answer; /* serialized answer (on the worker thread unless stored) */
    int answer_status;
    bool replayed;
    /* When set, answers a committed write on the worker instead of its JSON result (which is
     * dropped): a download made after the write that decided its content. */
    void (*reply)(struct api_write *w);
    /* Set by op: a committed answer is sent only after this long (a revoked merchant key's
     * cached copies on every node have expired by then: src/app/key_cache.h). */
    int reply_after_ms;
    struct http_timer reply_timer;
};
void api_submit_write(struct api_call *call, api_write_op op, void *op_arg);
/* api_submit_write for an op whose every read-then-write is ordered by store_lock or a constraint
 * (recording a conversion): it may run in any of the writer's lanes (store/job.h, any_lane). */
void api_submit_write_any_lane(struct api_call *call, api_write_op op, void *op_arg);
/* api_submit_write answered by reply (no Idempotency-Key: the answer is not stored). */
void api_submit_write_reply(struct api_call *call, api_write_op op, void *op_arg,
                            void (*reply)(struct api_write *w));

/* A route: a method and a path pattern ('*' matches one path segment, captured into
 * path_params), who may call it (a bit set of AUTH_ALLOW(kind); 0: anyone, the handler checks what
 * it needs), whether the body is a JSON object parsed before the handler runs, the handler, and
 * the largest body accepted (413 beyond, unread; 0: the server's limit on a route that needs a
 * key, 16 KiB on a public one, as bodies in flight share one budget). */
typedef void (*api_handler)(struct api_call *call);
struct api_route {
    enum http_method method;
    const char *pattern;
    unsigned auth;
    bool json_body;
    api_handler handler;
    size_t body_max;
};
/* The routes one part serves; `partnerd serve` composes the tables of the API and the dashboards
 * into a NULL-terminated list, matched in order (the first route of a path and method wins). */
struct api_route_table {
    const struct api_route *routes;
    size_t n;
};
/* The API's own routes (src/api/router.c). */
extern const struct api_route_table api_routes;

/* The router. api_route runs on a request's head, before its body is read: it answers an unknown
 * route or refused credentials at once (the body is never buffered), else sets the route's body
 * limit (req->max_body) and leaves the call for api_dispatch, which runs once the body is in. */
void api_route(struct http_request *req, struct app *app,
               const struct api_route_table *const *tables);
void api_dispatch(struct http_request *req, struct app *app,
                  const struct api_route_table *const *tables);
/* Prints the routes of the tables, one "METHOD PATTERN" line a route ('*': one path segment), for
 * the test that holds the OpenAPI document to them (partnerd serve --print-routes). */
void api_print_routes(FILE *out, const struct api_route_table *const *tables);

/* Resource handlers (one file each). */
void api_health(struct api_call *call);
void api_ready(struct api_call *call);
void api_metrics(struct api_call *call);
void api_click_redirect(struct api_call *call);
void api_click_create(struct api_call *call);
void api_programs_create(struct api_call *call);
void api_programs_list(struct api_call *call);
void api_programs_get(struct api_call *call);
void api_programs_update(struct api_call *call);
void api_partners_create(struct api_call *call);
void api_partners_list(struct api_call *call);
void api_partners_get(struct api_call *call);
void api_partners_update(struct api_call *call);
void api_partner_keys_create(struct api_call *call);
void api_links_create(struct api_call *call);
void api_links_list(struct api_call *call);
void api_leads_create(struct api_call *call);
void api_conversions_create(struct api_call *call);
void api_conversions_list(struct api_call *call);
void api_conversions_get(struct api_call *call);
void api_refunds_create(struct api_call *call);
void api_commissions_list(struct api_call *call);
void api_commissions_get(struct api_call *call);
void api_commissions_approve(struct api_call *call);
void api_commissions_reject(struct api_call *call);
void api_payouts_create(struct api_call *call);
void api_payouts_list(struct api_call *call);
void api_payouts_get(struct api_call *call);
void api_payouts_paid(struct api_call *call);
void api_payouts_refresh(struct api_call *call);
void api_payouts_delete(struct api_call *call);
void api_payout_item_paid(struct api_call *call);
void api_payout_item_failed(struct api_call *call);
void api_payouts_sepa(struct api_call *call);
void api_payouts_paypal_csv(struct api_call *call);
void api_payouts_wise_csv(struct api_call *call);
/* paypal: the program's paypal field and POST /api/v1/payouts/{id}/send (src/api/paypal.c) */
struct paypal_settings_patch;
void api_payouts_send(struct api_call *call);
int api_paypal_settings_parse(json_t *v, struct paypal_settings_patch *out, struct pd_err *err);
/* Adds "paypal" (the settings without the secret, or null) to a program's JSON. */
int api_program_add_paypal(struct store *s, json_t *program, struct pd_err *err);
/* Adds "paypal" (the parts sent through the PayPal API, [] when none) to a batch's JSON. */
int api_payout_add_paypal(struct store *s, json_t *payout, struct pd_err *err);
/* A batch as every answer about one batch gives it (src/api/payouts.c). */
json_t *api_payout_batch_json(struct store *s, const char *id, struct pd_err *err);
/* Payout statements (src/api/statements.c). */
void api_payout_item_statement(struct api_call *call);
void api_me_payout_statement(struct api_call *call);
/* end paypal */
void api_me_payouts(struct api_call *call);
void api_reports_get(struct api_call *call);
void api_me_get(struct api_call *call);
void api_me_links_list(struct api_call *call);
void api_me_links_create(struct api_call *call);
void api_me_report(struct api_call *call);
void api_me_commissions(struct api_call *call);
/* PATCH /api/v1/me: a partner's own payout method and postback URL (src/api/me_update.c). */
void api_me_update(struct api_call *call);
/* Answers one partner as JSON (src/api/partners.c; /api/v1/partners/{id} and /api/v1/me). */
void api_reply_partner(struct api_call *call, const char *partner_id);
/* The same partner's JSON; NULL with err (404 param "id" when there is none). */
json_t *api_partner_json(struct api_call *call, const char *partner_id, struct pd_err *err);
/* An email address as partners' are checked (src/api/partners.c). */
bool api_valid_email(const char *s);
/* A link code or ref_code: 2 to 64 of [A-Za-z0-9_-] (src/api/partners.c). */
bool api_valid_code(const char *s);
/* An email address: one '@', a dot in the domain, no spaces (src/api/partners.c). */
bool api_valid_email(const char *s);
/* integrations (README "Integrations"): postback.c, track.c, pd_js.c */
void api_postback(struct api_call *call);
void api_track_lead(struct api_call *call);
void api_track_sale(struct api_call *call);
void api_pd_js(struct api_call *call);
void api_openapi(struct api_call *call); /* GET /openapi.json (openapi.c) */
/* webhooks: outgoing webhook endpoints (src/api/webhooks.c) */
void api_webhooks_create(struct api_call *call);
void api_webhooks_list(struct api_call *call);
void api_webhooks_delete(struct api_call *call);
void api_webhooks_deliveries(struct api_call *call);
/* email: the outbox (src/api/emails.c) and the digest's one-click unsubscribe */
void api_emails_list(struct api_call *call);
void api_unsubscribe_page(struct api_call *call);
void api_unsubscribe(struct api_call *call);
/* connections: store webhooks (src/api/connections.c, src/api/hooks.c) */
void api_connections_create(struct api_call *call);
void api_connections_list(struct api_call *call);
void api_connections_get(struct api_call *call);
void api_connections_update(struct api_call *call);
void api_connections_delete(struct api_call *call);
void api_connections_events(struct api_call *call);
void api_store_hook(struct api_call *call); /* POST /hooks/{platform}/{connection_id} */
/* signup: a partner's invite sent again, or revoked (src/api/invites.c) */
void api_partner_invite_send(struct api_call *call);
void api_partner_invite_revoke(struct api_call *call);
/* keys: a partner's API keys (src/api/keys.c) */
void api_partner_keys_list(struct api_call *call);
void api_partner_keys_revoke(struct api_call *call);
void api_me_keys_list(struct api_call *call);
void api_me_keys_create(struct api_call *call);
void api_me_keys_revoke(struct api_call *call);
/* users: the merchant's team (src/api/users.c) */
void api_users_list(struct api_call *call);
void api_users_get(struct api_call *call);
void api_users_create(struct api_call *call);
void api_users_update(struct api_call *call);
void api_users_delete(struct api_call *call);
void api_users_reinvite(struct api_call *call);
/* merchant keys: secret and publishable keys (src/api/merchant_keys.c) */
void api_merchant_keys_list(struct api_call *call);
void api_merchant_keys_create(struct api_call *call);
void api_merchant_keys_revoke(struct api_call *call);
/* links: edit and delete (src/api/links.c) */
void api_links_get(struct api_call *call);
void api_links_update(struct api_call *call);
void api_links_delete(struct api_call *call);

#endif
