/* Store connections and what their deliveries did: the connections, connection_events,
 * connection_orders and connection_pending_refunds tables (the contract is in connections.h). */
#include "app/connections.h"

#include <stdio.h>
#include <string.h>

#include "app/fields.h"
#include "core/ids.h"
#include "util/banned.h"

json_t *connection_to_json(const struct connection *c, const char *public_url)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/hooks/%s/%s", public_url, c->platform, c->id);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "id", c->id, "object",
                          "connection", "platform", c->platform, "program_id", c->program_id,
                          "endpoint_url", url, "has_signing_secret", c->signing_secret != NULL,
                          "created", pd_json_time(c->created_at));
    if (!o)
        return NULL;
    json_object_set_new(o, "mode", json_string(c->mode));
    json_object_set_new(o, "last_refused_at",
                        c->last_refused_at ? pd_json_time(c->last_refused_at) : json_null());
    json_object_set_new(o, "last_refused_reason",
                        c->last_refused_reason ? json_string(c->last_refused_reason)
                                               : json_null());
    return o;
}

static const char *col_text_or_null(struct store_cursor *cur, int col, struct arena *a)
{
    return store_is_null(cur, col) ? NULL : arena_strdup(a, store_col_text(cur, col));
}

void connection_from_row(struct store_cursor *cur, struct arena *a, struct connection *out)
{
    memset(out, 0, sizeof *out);
    out->id = arena_strdup(a, store_col_text(cur, 0));
    out->program_id = arena_strdup(a, store_col_text(cur, 1));
    out->platform = arena_strdup(a, store_col_text(cur, 2));
    out->signing_secret = col_text_or_null(cur, 3, a);
    if (out->signing_secret && !out->signing_secret[0])
        out->signing_secret = NULL;
    out->created_at = store_col_int(cur, 4);
    out->last_refused_at = store_is_null(cur, 5) ? 0 : store_col_int(cur, 5);
    out->last_refused_reason = col_text_or_null(cur, 6, a);
    out->mode = arena_strdup(a, store_col_text(cur, 7));
}

bool connection_mode_valid(const char *mode)
{
    return mode && (strcmp(mode, "live") == 0 || strcmp(mode, "test") == 0);
}

int connection_load(struct store *s, const char *id, struct arena *a, struct connection *out,
                    struct pd_err *err)
{
    struct db_val p = db_text(id);
    struct store_cursor cur;
    int rc = store_query_row(s, "SELECT " CONNECTION_COLUMNS " FROM connections WHERE id = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no connection %.64s", id);
        return 1;
    }
    connection_from_row(&cur, a, out);
    store_finish(&cur);
    return 0;
}

int connection_insert(struct store *s, const char *program_id, const char *platform,
                      const char *secret, const char *mode, int64_t now_ms, struct arena *a,
                      struct connection *out, struct pd_err *err)
{
    struct db_val pv = db_text(program_id);
    int64_t found = 0;
    if (store_query_int(s, "SELECT count(*) FROM programs WHERE id = ?1", &pv, 1, 0, &found,
                        err) < 0)
        return -1;
    if (!found)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "program_id", "no program %.64s", program_id);
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "con_", (uint64_t)now_ms);
    struct db_val v[6] = {db_text(id),
                          db_text(program_id),
                          db_text(platform),
                          secret && secret[0] ? db_text(secret) : db_text(NULL),
                          db_int(now_ms),
                          db_text(mode ? mode : "live")};
    if (store_exec(s,
                   "INSERT INTO connections (id, program_id, platform, signing_secret, created_at,"
                   " mode) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   v, 6, NULL, err) < 0)
        return -1;
    return connection_load(s, id, a, out, err) == 0 ? 0 : -1;
}

int connection_update(struct store *s, const char *id, const char *secret, const char *mode,
                      struct pd_err *err)
{
    struct db_val v[3] = {db_text(id), secret && secret[0] ? db_text(secret) : db_text(NULL),
                          db_text(mode)};
    int64_t changed = 0;
    if (store_exec(s,
                   "UPDATE connections SET signing_secret = COALESCE(?2, signing_secret),"
                   " mode = COALESCE(?3, mode) WHERE id = ?1",
                   v, 3, &changed, err) < 0)
        return -1;
    if (!changed)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no connection %.64s", id);
    return 0;
}

int connection_delete(struct store *s, const char *id, struct pd_err *err)
{
    struct db_val p = db_text(id);
    int64_t changed = 0;
    if (store_exec(s, "DELETE FROM connection_events WHERE connection_id = ?1", &p, 1, NULL, err) <
            0 ||
        store_exec(s, "DELETE FROM connection_pending_refunds WHERE connection_id = ?1", &p, 1,
                   NULL, err) < 0 ||
        store_exec(s, "DELETE FROM connection_orders WHERE connection_id = ?1", &p, 1, NULL, err) <
            0 ||
        store_exec(s, "DELETE FROM connections WHERE id = ?1", &p, 1, &changed, err) < 0)
        return -1;
    if (!changed)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no connection %.64s", id);
    return 0;
}

int connection_refused(struct store *s, const char *id, int64_t now_ms, const char *reason,
                       struct pd_err *err)
{
    struct db_val v[3] = {db_text(id), db_int(now_ms), db_text(reason)};
    return store_exec(s,
                      "UPDATE connections SET last_refused_at = ?2, last_refused_reason = ?3"
                      " WHERE id = ?1",
                      v, 3, NULL, err) < 0
               ? -1
               : 0;
}

int connection_event_seen(struct store *s, const char *connection_id, const char *event_id,
                          bool *seen, struct pd_err *err)
{
    struct db_val v[2] = {db_text(connection_id), db_text(event_id)};
    int64_t n = 0;
    if (store_query_int(s,
                        "SELECT count(*) FROM connection_events WHERE connection_id = ?1 AND"
                        " event_id = ?2",
                        v, 2, 0, &n, err) < 0)
        return -1;
    *seen = n > 0;
    return 0;
}

int connection_event_insert(struct store *s, const struct connection_event *e, int64_t now_ms,
                            struct pd_err *err)
{
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "cev_", (uint64_t)now_ms);
    struct db_val v[11] = {db_text(id),           db_text(e->connection_id),
                           db_text(e->event_id),  db_text(e->event_type),
                           db_text(e->outcome),   db_text(e->reason),
                           db_text(e->order_id),  db_text(e->conversion_id),
                           db_text(e->refund_id), db_int(now_ms),
                           db_text(e->payment_ref)};
    return store_exec(s,
                      "INSERT INTO connection_events (" CONNECTION_EVENT_COLUMNS ", payment_ref)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                      v, 11, NULL, err);
}

static json_t *text_or_null(struct store_cursor *cur, int col)
{
    return store_is_null(cur, col) ? json_null() : json_string(store_col_text(cur, col));
}

json_t *connection_event_row_json(struct store_cursor *cur)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", store_col_text(cur, 0), "object",
                          "connection_event", "connection_id", store_col_text(cur, 1), "event_id",
                          store_col_text(cur, 2), "outcome", store_col_text(cur, 4));
    if (!o)
        return NULL;
    static const char *const names[] = {"event_type", "reason",        "order_id",
                                        "conversion_id", "refund_id"};
    static const int cols[] = {3, 5, 6, 7, 8};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        json_object_set_new(o, names[i], text_or_null(cur, cols[i]));
    json_object_set_new(o, "created", pd_json_time(store_col_int(cur, 9)));
    return o;
}

int connection_events_purge(struct store *s, int64_t before_ms, int limit, int64_t *purged,
                            struct pd_err *err)
{
    struct db_val v[2] = {db_int(before_ms), db_int(limit)};
    int64_t events = 0, refunds = 0;
    if (store_exec(s,
                   "DELETE FROM connection_events WHERE id IN (SELECT id FROM"
                   " connection_events WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
                   v, 2, &events, err) < 0 ||
        store_exec(s,
                   "DELETE FROM connection_pending_refunds WHERE (connection_id, event_id) IN"
                   " (SELECT connection_id, event_id FROM connection_pending_refunds"
                   " WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
                   v, 2, &refunds, err) < 0)
        return -1;
    *purged = events > refunds ? events : refunds;
    return 0;
}

int connection_order_record(struct store *s, const char *connection_id, const char *order_id,
                            const char *payment_ref, int64_t gross_total,
                            const char *conversion_id, int64_t now_ms, struct pd_err *err)
{
    struct db_val v[6] = {db_text(connection_id), db_text(order_id),      db_text(payment_ref),
                          db_int(gross_total),    db_text(conversion_id), db_int(now_ms)};
    return store_exec(s,
                      "INSERT INTO connection_orders (connection_id, order_id, payment_ref,"
                      " gross_total, conversion_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                      " ON CONFLICT (connection_id, order_id) DO UPDATE SET"
                      " payment_ref = COALESCE(excluded.payment_ref,"
                      " connection_orders.payment_ref),"
                      " gross_total = CASE WHEN excluded.gross_total > 0 THEN"
                      " excluded.gross_total ELSE connection_orders.gross_total END,"
                      " conversion_id = COALESCE(excluded.conversion_id,"
                      " connection_orders.conversion_id)",
                      v, 6, NULL, err) < 0
               ? -1
               : 0;
}

int connection_order_gross(struct store *s, const char *connection_id, const char *order_id,
                           int64_t *gross_total, int64_t *refunded_gross, struct pd_err *err)
{
    struct db_val v[2] = {db_text(connection_id), db_text(order_id)};
    struct store_cursor cur;
    *gross_total = *refunded_gross = 0;
    int rc = store_query_row(s,
                             "SELECT gross_total, refunded_gross FROM connection_orders"
                             " WHERE connection_id = ?1 AND order_id = ?2",
                             v, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_ROW) {
        *gross_total = store_col_int(&cur, 0);
        *refunded_gross = store_col_int(&cur, 1);
        store_finish(&cur);
    }
    return 0;
}

int connection_order_refunded(struct store *s, const char *connection_id, const char *order_id,
                              int64_t gross, struct pd_err *err)
{
    struct db_val v[3] = {db_text(connection_id), db_text(order_id), db_int(gross)};
    return store_exec(s,
                      "UPDATE connection_orders SET refunded_gross = refunded_gross + ?3"
                      " WHERE connection_id = ?1 AND order_id = ?2",
                      v, 3, NULL, err) < 0
               ? -1
               : 0;
}

int connection_order_of_payment(struct store *s, const char *connection_id,
                                const char *payment_ref, struct arena *a, const char **order_id,
                                struct pd_err *err)
{
    struct db_val v[2] = {db_text(connection_id), db_text(payment_ref)};
    struct store_cursor cur;
    *order_id = NULL;
    int rc = store_query_row(s,
                             "SELECT order_id FROM connection_orders WHERE connection_id = ?1"
                             " AND payment_ref = ?2 ORDER BY created_at, order_id LIMIT 1",
                             v, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_ROW) {
        *order_id = arena_strdup(a, store_col_text(&cur, 0));
        store_finish(&cur);
    }
    return 0;
}

int connection_pending_add(struct store *s, const char *connection_id, const char *event_id,
                           const char *order_id, const char *payment_ref, int64_t gross_total,
                           const struct storehook_refund *r, int64_t now_ms, struct pd_err *err)
{
    struct db_val v[10] = {db_text(connection_id), db_text(event_id),   db_text(order_id),
                           db_text(payment_ref),   db_int(gross_total), db_int(r->gross),
                           db_int(r->cumulative),  db_int(r->net_given), db_int(r->net),
                           db_int(now_ms)};
    return store_exec(s,
                      "INSERT INTO connection_pending_refunds (connection_id, event_id, order_id,"
                      " payment_ref, gross_total, gross, cumulative, net_given, net, created_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                      v, 10, NULL, err) < 0
               ? -1
               : 0;
}

int connection_pending_link(struct store *s, const char *connection_id, const char *payment_ref,
                            const char *order_id, struct pd_err *err)
{
    struct db_val v[3] = {db_text(connection_id), db_text(payment_ref), db_text(order_id)};
    return store_exec(s,
                      "UPDATE connection_pending_refunds SET order_id = ?3"
                      " WHERE connection_id = ?1 AND payment_ref = ?2 AND order_id IS NULL",
                      v, 3, NULL, err);
}

int connection_pending_take(struct store *s, const char *connection_id, const char *order_id,
                            const char *payment_ref, struct arena *a,
                            struct connection_pending *out, size_t *n, struct pd_err *err)
{
    struct db_val v[3] = {db_text(connection_id), db_text(order_id), db_text(payment_ref)};
    struct store_cursor cur;
    *n = 0;
    if (store_query(s,
                    "SELECT event_id, gross_total, gross, cumulative, net_given, net"
                    " FROM connection_pending_refunds WHERE connection_id = ?1 AND"
                    " (order_id = ?2 OR payment_ref = ?3) ORDER BY created_at, event_id",
                    v, 3, &cur, err) < 0)
        return -1;
    int rc = STORE_DONE;
    while (*n < CONNECTION_PENDING_MAX && (rc = store_step(&cur, err)) == STORE_ROW) {
        struct connection_pending *p = &out[(*n)++];
        p->event_id = arena_strdup(a, store_col_text(&cur, 0));
        p->gross_total = store_col_int(&cur, 1);
        p->refund = (struct storehook_refund){.id = p->event_id,
                                              .gross = store_col_int(&cur, 2),
                                              .cumulative = store_col_int(&cur, 3) != 0,
                                              .net_given = store_col_int(&cur, 4) != 0,
                                              .net = store_col_int(&cur, 5)};
    }
    store_finish(&cur);
    if (*n < CONNECTION_PENDING_MAX && rc < 0)
        return -1;
    for (size_t i = 0; i < *n; i++) {
        struct db_val d[2] = {db_text(connection_id), db_text(out[i].event_id)};
        if (store_exec(s,
                       "DELETE FROM connection_pending_refunds WHERE connection_id = ?1 AND"
                       " event_id = ?2",
                       d, 2, NULL, err) < 0)
            return -1;
    }
    return 0;
}

int connection_event_resolved(struct store *s, const char *connection_id, const char *event_id,
                              const char *refund_id, const char *reason, struct pd_err *err)
{
    struct db_val v[4] = {db_text(connection_id), db_text(event_id), db_text(refund_id),
                          db_text(reason)};
    return store_exec(s,
                      "UPDATE connection_events SET outcome = CASE WHEN ?3 IS NULL THEN"
                      " 'ignored' ELSE 'refund' END, refund_id = ?3, reason = ?4"
                      " WHERE connection_id = ?1 AND event_id = ?2",
                      v, 4, NULL, err) < 0
               ? -1
               : 0;
}
