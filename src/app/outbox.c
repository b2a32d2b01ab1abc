/* The outbox (app/outbox.h): writes webhook_deliveries rows, one per subscribed endpoint and per
 * partner postback, in the transaction of the change that causes the event; the events' data are
 * the same JSON the API answers. Sending them is src/jobs/webhooks.c's. */
#include "app/outbox.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "app/fields.h"
#include "app/webhook_format.h"
#include "core/ids.h"
#include "core/money.h"
#include "core/url.h"
#include "util/arena.h"
#include "util/banned.h"

static int insert_delivery(struct store *s, const char *event_id, const char *type,
                           const char *endpoint_id, const char *partner_id, const char *method,
                           const char *url, const char *body, int64_t now_ms, struct pd_err *err)
{
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "whd_", (uint64_t)now_ms);
    struct db_val v[10] = {db_text(id),         db_text(event_id),
                           db_text(type),       db_text(endpoint_id),
                           db_text(partner_id), db_text(method),
                           db_text(url),        db_text(body),
                           db_int(now_ms),      db_int(now_ms + WEBHOOK_MAX_AGE_MS)};
    return store_write(s,
                       "INSERT INTO webhook_deliveries (id, event_id, event_type, endpoint_id,"
                       " partner_id, method, url, body, status, attempts, next_attempt_at,"
                       " expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                       " 'pending', 0, ?9, ?10, ?9)",
                       v, 10, err);
}

int outbox_subscribed(struct store *s, const char *type, bool *yes, struct pd_err *err)
{
    struct db_val p = db_text(type);
    int64_t n = 0;
    if (store_query_int(s, "SELECT COUNT(*) FROM webhook_subscriptions WHERE event_type = ?1", &p,
                        1, 0, &n, err) < 0)
        return -1;
    *yes = n > 0;
    return 0;
}

/* Endpoints subscribed to an event type, in the order their deliveries are written. */
struct target {
    const char *id, *url;
    struct target *next;
};

static struct target *target_add(struct arena *a, struct target *list, struct store_cursor *cur,
                                 int col)
{
    struct target *t = arena_alloc(a, sizeof *t);
    t->id = col_dup(a, cur, col);
    t->url = col_dup(a, cur, col + 1);
    t->next = list;
    return t;
}

/* One delivery of the event per target (none without targets). */
static int emit_to(struct store *s, const char *type, json_t *data, const struct target *targets,
                   int64_t now_ms, struct pd_err *err)
{
    if (!targets)
        return 0;
    char event_id[ID_MAX_LEN];
    id_new(event_id, sizeof event_id, "evt_", (uint64_t)now_ms);
    json_t *ev = json_pack("{s:s, s:s, s:I, s:O}", "id", event_id, "type", type, "created",
                           (json_int_t)(now_ms / 1000), "data", data ? data : json_null());
    char *body = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    if (!body)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot encode the %s event", type);
    int rc = 0;
    for (const struct target *t = targets; rc == 0 && t; t = t->next)
        if (insert_delivery(s, event_id, type, t->id, NULL, "POST", t->url, body, now_ms, err) < 0)
            rc = -1;
    free(body);
    return rc;
}

int outbox_emit(struct store *s, const char *type, json_t *data, int64_t now_ms, struct pd_err *err)
{
    struct db_val p = db_text(type);
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT e.id, e.url FROM webhook_subscriptions w"
                    " JOIN webhook_endpoints e ON e.id = w.endpoint_id WHERE w.event_type = ?1"
                    " ORDER BY e.id",
                    &p, 1, &cur, err) < 0)
        return -1;
    struct arena a;
    arena_init(&a, 2048);
    struct target *targets = NULL;
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW)
        targets = target_add(&a, targets, &cur, 0);
    store_finish(&cur);
    if (rc == STORE_DONE)
        rc = emit_to(s, type, data, targets, now_ms, err);
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

/* The attributed partner's postback: a GET of its template with this conversion's values. */
static int postback(struct store *s, json_t *conv, const char *tmpl, int64_t now_ms,
                    struct pd_err *err)
{
    const char *partner_id = json_string_value(json_object_get(conv, "partner_id"));
    if (!partner_id)
        return 0;
    int64_t total = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(conv, "commissions"), i, c)
    {
        const char *pid = json_string_value(json_object_get(c, "partner_id"));
        if (pid && strcmp(pid, partner_id) == 0)
            total += (int64_t)json_integer_value(json_object_get(c, "amount"));
    }
    if (total <= 0)
        return 0;
    struct arena a;
    arena_init(&a, 4096);
    int rc = 0;
    struct store_cursor cur;
    if (!tmpl || !*tmpl)
        goto done;
    struct postback_vars v = {0};
    v.order_id = json_string_value(json_object_get(conv, "order_id"));
    v.click_id =
        json_string_value(json_object_get(json_object_get(conv, "attribution"), "click_id"));
    if (v.click_id) {
        /* Only the partner's own click gives sub-ids. */
        struct db_val q[2] = {db_text(v.click_id), db_text(partner_id)};
        if (store_query_row(s,
                            "SELECT sub1, sub2, sub3, sub4, sub5 FROM clicks"
                            " WHERE id = ?1 AND partner_id = ?2",
                            q, 2, &cur, err) == STORE_ROW) {
            for (int k = 0; k < 5; k++)
                v.sub[k] = store_is_null(&cur, k) ? NULL : col_dup(&a, &cur, k);
            store_finish(&cur);
        }
    }
    const struct currency *cu = currency_find(json_string_value(json_object_get(conv, "currency")));
    char amount[48];
    money_format(total, cu ? cu->exponent : 2, amount, sizeof amount);
    v.commission = amount;
    const char *url = postback_expand(&a, tmpl, &v, 2048);
    struct url_parts u;
    if (!url || !url_parse(url, &u))
        goto done; /* a template that does not make a URL: nothing to send */
    char event_id[ID_MAX_LEN];
    id_new(event_id, sizeof event_id, "evt_", (uint64_t)now_ms);
    rc = insert_delivery(s, event_id, "postback", NULL, partner_id, "GET", url, NULL, now_ms, err);
done:
    arena_free(&a);
    return rc;
}

/* The endpoints subscribed to conversion.created (*conv) and commission.created (*comm). */
static int conversion_targets(struct store *s, struct arena *a, struct target **conv,
                              struct target **comm, struct pd_err *err)
{
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT w.event_type, e.id, e.url FROM webhook_subscriptions w"
                    " JOIN webhook_endpoints e ON e.id = w.endpoint_id"
                    " WHERE w.event_type IN ('conversion.created', 'commission.created')"
                    " ORDER BY 1, 2",
                    NULL, 0, &cur, err) < 0)
        return -1;
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        if (strcmp(store_col_text(&cur, 0), "conversion.created") == 0)
            *conv = target_add(a, *conv, &cur, 1);
        else
            *comm = target_add(a, *comm, &cur, 1);
    }
    store_finish(&cur);
    return rc == STORE_DONE ? 0 : -1;
}

int outbox_conversion(struct store *s, json_t *conversion, bool subscribed,
                      const char *postback_url, int64_t now_ms, struct pd_err *err)
{
    const char *partner_id = json_string_value(json_object_get(conversion, "partner_id"));
    struct arena a;
    arena_init(&a, 2048);
    struct target *conv = NULL, *comm = NULL;
    int rc = subscribed ? conversion_targets(s, &a, &conv, &comm, err) : 0;
    if (rc == 0)
        rc = emit_to(s, "conversion.created", conversion, conv, now_ms, err);
    size_t i;
    json_t *c;
    json_array_foreach(comm && rc == 0 ? json_object_get(conversion, "commissions") : NULL, i, c)
    {
        if (emit_to(s, "commission.created", c, comm, now_ms, err) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && partner_id)
        rc = postback(s, conversion, postback_url, now_ms, err);
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}

int outbox_lease(struct store *s, const char *delivery_id, int64_t until_ms, struct pd_err *err)
{
    struct db_val u[2] = {db_text(delivery_id), db_int(until_ms)};
    return store_exec(s, "UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id = ?1", u, 2,
                      NULL, err);
}

int outbox_attempted(struct store *s, const char *delivery_id, const struct outbox_attempt *at,
                     struct pd_err *err)
{
    struct db_val v[7] = {db_text(delivery_id),
                          db_text(at->status),
                          db_int(at->attempts),
                          db_int(at->next_attempt_at),
                          at->http_status ? db_int(at->http_status) : db_null(),
                          db_text(at->error),
                          at->finished_at ? db_int(at->finished_at) : db_null()};
    return store_exec(s,
                      "UPDATE webhook_deliveries SET status = ?2, attempts = ?3,"
                      " next_attempt_at = ?4, last_status = ?5, last_error = ?6,"
                      " finished_at = ?7 WHERE id = ?1",
                      v, 7, NULL, err);
}

int outbox_endpoint_deleted(struct store *s, const char *endpoint_id, int64_t now_ms,
                            struct pd_err *err)
{
    struct db_val p[2] = {db_text(endpoint_id), db_int(now_ms)};
    return store_exec(s,
                      "UPDATE webhook_deliveries SET status = 'failed',"
                      " last_error = 'endpoint deleted', finished_at = ?2"
                      " WHERE endpoint_id = ?1 AND status = 'pending'",
                      p, 2, NULL, err);
}

int outbox_purge_finished(struct store *s, int64_t before_ms, int limit, int64_t *purged,
                          struct pd_err *err)
{
    struct db_val v[2] = {db_int(before_ms), db_int(limit)};
    return store_exec(s,
                      "DELETE FROM webhook_deliveries WHERE id IN"
                      " (SELECT id FROM webhook_deliveries WHERE finished_at < ?1"
                      " AND status <> 'pending' ORDER BY finished_at LIMIT ?2)",
                      v, 2, purged, err);
}
