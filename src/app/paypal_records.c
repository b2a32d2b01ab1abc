/* The records of paying with PayPal (app/paypal_records.h): the paypal_settings and paypal_sends
 * tables, written only here. */
#include "app/paypal_records.h"

#include <stdio.h>
#include <string.h>

#include "app/fields.h"
#include "core/paypal.h"
#include "util/banned.h"

int paypal_settings_load(struct store *s, const char *program_id, struct arena *a,
                         struct paypal_settings *out, struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    struct db_val k = db_text(program_id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT client_id, client_secret, mode, base_url FROM paypal_settings"
                             " WHERE program_id = ?1",
                             &k, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return 1;
    out->program_id = arena_strdup(a, program_id);
    out->client_id = col_dup(a, &cur, 0);
    out->client_secret = col_dup(a, &cur, 1);
    out->mode = col_dup(a, &cur, 2);
    out->base_url = col_dup(a, &cur, 3);
    store_finish(&cur);
    return 0;
}

const char *paypal_settings_url(const struct paypal_settings *p)
{
    if (p->base_url)
        return p->base_url;
    const char *url = paypal_mode_base_url(p->mode);
    return url ? url : PAYPAL_BASE_URL_SANDBOX;
}

int paypal_settings_apply(struct store *s, const char *program_id,
                          const struct paypal_settings_patch *p, int64_t now_ms, struct pd_err *err)
{
    if (!p->given)
        return 0;
    struct db_val k = db_text(program_id);
    if (p->remove)
        return store_exec(s, "DELETE FROM paypal_settings WHERE program_id = ?1", &k, 1, NULL,
                          err) < 0
                   ? -1
                   : 0;
    struct arena a;
    arena_init(&a, 1024);
    struct paypal_settings cur;
    int rc = paypal_settings_load(s, program_id, &a, &cur, err);
    if (rc < 0)
        goto done;
    bool creating = rc == 1;
    if (p->client_id)
        cur.client_id = p->client_id;
    if (p->client_secret)
        cur.client_secret = p->client_secret;
    if (p->mode)
        cur.mode = p->mode;
    else if (creating)
        cur.mode = "sandbox";
    if (p->base_url_given)
        cur.base_url = p->base_url;
    rc = -1;
    if (!cur.client_id || !cur.client_secret) {
        pd_err_set(err, PD_ERR_UNPROCESSABLE,
                   cur.client_id ? "paypal.client_secret" : "paypal.client_id",
                   "setting up PayPal needs client_id and client_secret");
        goto done;
    }
    struct db_val v[6] = {db_text(program_id), db_text(cur.client_id), db_text(cur.client_secret),
                          db_text(cur.mode),   db_text(cur.base_url),  db_int(now_ms)};
    if (creating)
        rc = store_exec(s,
                        "INSERT INTO paypal_settings (program_id, client_id, client_secret, mode,"
                        " base_url, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        v, 6, NULL, err);
    else
        rc = store_exec(s,
                        "UPDATE paypal_settings SET client_id = ?2, client_secret = ?3, mode = ?4,"
                        " base_url = ?5, updated_at = ?6 WHERE program_id = ?1",
                        v, 6, NULL, err);
    rc = rc < 0 ? -1 : 0;
done:
    arena_free(&a);
    return rc;
}

json_t *paypal_settings_json(struct store *s, const char *program_id, struct pd_err *err)
{
    struct arena a;
    arena_init(&a, 1024);
    struct paypal_settings p;
    json_t *o = NULL;
    int rc = paypal_settings_load(s, program_id, &a, &p, err);
    if (rc == 1)
        o = json_null();
    else if (rc == 0)
        o = json_pack("{s:s, s:b, s:s, s:s}", "client_id", p.client_id, "client_secret_set", 1,
                      "mode", p.mode, "base_url", paypal_settings_url(&p));
    arena_free(&a);
    return o;
}

int paypal_sends_create(struct store *s, const char *payout_id, int parts, int64_t now_ms,
                        struct pd_err *err)
{
    for (int part = 1; part <= parts; part++) {
        char sbid[128];
        if (paypal_sender_batch_id(payout_id, part, sbid, sizeof sbid) < 0)
            return pd_err_set(err, PD_ERR_INTERNAL, NULL, "payout id too long");
        struct db_val v[4] = {db_text(sbid), db_text(payout_id), db_int(part), db_int(now_ms)};
        int rc = store_exec(s,
                            "INSERT INTO paypal_sends (sender_batch_id, payout_id, part, status,"
                            " attempts, next_attempt_at, created_at)"
                            " VALUES (?1, ?2, ?3, 'creating', 0, ?4, ?4)",
                            v, 4, NULL, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int paypal_sends_count(struct store *s, const char *payout_id, int64_t *out, struct pd_err *err)
{
    struct db_val k = db_text(payout_id);
    return store_query_int(s, "SELECT COUNT(*) FROM paypal_sends WHERE payout_id = ?1", &k, 1, 0,
                           out, err);
}

int paypal_sends_due(struct store *s, int64_t now_ms, int max, struct arena *a,
                     struct paypal_send *out, int *n, struct pd_err *err)
{
    *n = 0;
    struct db_val p[2] = {db_int(now_ms), db_int(max)};
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT d.sender_batch_id, d.payout_id, p.program_id, d.status,"
                    " d.payout_batch_id, d.part, d.attempts, d.created_at,"
                    " COALESCE(d.accepted_at, 0)"
                    " FROM paypal_sends d JOIN payouts p ON p.id = d.payout_id"
                    " WHERE d.status IN ('creating', 'following') AND d.next_attempt_at <= ?1"
                    " ORDER BY d.next_attempt_at, d.sender_batch_id LIMIT ?2",
                    p, 2, &cur, err) < 0)
        return -1;
    int rc;
    while (*n < max && (rc = store_step(&cur, err)) == STORE_ROW) {
        struct paypal_send *d = &out[(*n)++];
        d->sender_batch_id = col_dup(a, &cur, 0);
        d->payout_id = col_dup(a, &cur, 1);
        d->program_id = col_dup(a, &cur, 2);
        d->status = col_dup(a, &cur, 3);
        d->payout_batch_id = col_dup(a, &cur, 4);
        d->part = (int)store_col_int(&cur, 5);
        d->attempts = (int)store_col_int(&cur, 6);
        d->created_at = store_col_int(&cur, 7);
        d->accepted_at = store_col_int(&cur, 8);
    }
    store_finish(&cur);
    return rc < 0 ? -1 : 0;
}

bool paypal_sends_any_due(struct store *s, int64_t now_ms)
{
    struct pd_err err = {0};
    struct db_val p = db_int(now_ms);
    int64_t n = 1;
    store_query_int(s,
                    "SELECT COUNT(*) FROM (SELECT sender_batch_id FROM paypal_sends"
                    " WHERE status IN ('creating', 'following') AND next_attempt_at <= ?1"
                    " LIMIT 1) due",
                    &p, 1, 1, &n, &err);
    return n > 0;
}

int paypal_send_accepted(struct store *s, const char *sender_batch_id, const char *payout_batch_id,
                         int64_t now_ms, int64_t next_ms, struct pd_err *err)
{
    struct db_val v[4] = {db_text(sender_batch_id), db_text(payout_batch_id), db_int(now_ms),
                          db_int(next_ms)};
    return store_exec(s,
                      "UPDATE paypal_sends SET status = 'following', payout_batch_id = ?2,"
                      " accepted_at = ?3, attempts = 0, next_attempt_at = ?4, last_error = NULL"
                      " WHERE sender_batch_id = ?1 AND status = 'creating'",
                      v, 4, NULL, err) < 0
               ? -1
               : 0;
}

int paypal_send_again(struct store *s, const char *sender_batch_id, bool progress, int64_t next_ms,
                      const char *error, struct pd_err *err)
{
    struct db_val v[4] = {db_text(sender_batch_id), db_int(progress ? 1 : 0), db_int(next_ms),
                          db_text(error)};
    return store_exec(s,
                      "UPDATE paypal_sends SET"
                      " attempts = CASE WHEN ?2 = 1 THEN 0 ELSE attempts + 1 END,"
                      " next_attempt_at = ?3, last_error = ?4"
                      " WHERE sender_batch_id = ?1 AND status IN ('creating', 'following')",
                      v, 4, NULL, err) < 0
               ? -1
               : 0;
}

int paypal_send_finish(struct store *s, const char *sender_batch_id, const char *status,
                       const char *error, int64_t now_ms, struct pd_err *err)
{
    struct db_val v[4] = {db_text(sender_batch_id), db_text(status), db_text(error),
                          db_int(now_ms)};
    return store_exec(s,
                      "UPDATE paypal_sends SET status = ?2, last_error = ?3, finished_at = ?4"
                      " WHERE sender_batch_id = ?1 AND status IN ('creating', 'following')",
                      v, 4, NULL, err) < 0
               ? -1
               : 0;
}

json_t *paypal_sends_json(struct store *s, const char *payout_id, struct pd_err *err)
{
    struct db_val k = db_text(payout_id);
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT part, sender_batch_id, payout_batch_id, status, attempts, last_error"
                    " FROM paypal_sends WHERE payout_id = ?1 ORDER BY part",
                    &k, 1, &cur, err) < 0)
        return NULL;
    json_t *list = json_array();
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        json_t *o = json_pack(
            "{s:I, s:s, s:o, s:s, s:I, s:o}", "part", (json_int_t)store_col_int(&cur, 0),
            "sender_batch_id", store_col_text(&cur, 1), "payout_batch_id",
            store_is_null(&cur, 2) ? json_null() : json_string(store_col_text(&cur, 2)), "status",
            store_col_text(&cur, 3), "attempts", (json_int_t)store_col_int(&cur, 4), "error",
            store_is_null(&cur, 5) ? json_null() : json_string(store_col_text(&cur, 5)));
        json_array_append_new(list, o);
    }
    store_finish(&cur);
    if (rc < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}
