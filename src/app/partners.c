/* The partner record: loading it, its balance and JSON, and the partners table's writes (inserting
 * a new partner with its default link and coupons, updates, dashboard credentials). */
#include "app/partners.h"

#include <stdio.h>
#include <string.h>

#include "app/fields.h"
#include "app/links.h"
#include "core/ids.h"
#include "util/banned.h"

#define PARTNER_COLUMNS                                                                            \
    "id, program_id, email, name, ref_code, parent_id, partner_group, status, payout_method,"      \
    " postback_url, created_at, updated_at, rejection_reason, website, promotion"
#define PARTNER_NCOLS 15

static void partner_from_row(struct store_cursor *cur, struct arena *a, struct partner *out)
{
    memset(out, 0, sizeof *out);
    out->id = col_dup(a, cur, 0);
    out->program_id = col_dup(a, cur, 1);
    out->email = col_dup(a, cur, 2);
    out->name = col_dup(a, cur, 3);
    out->ref_code = col_dup(a, cur, 4);
    out->parent_id = col_dup(a, cur, 5);
    out->group = col_dup(a, cur, 6);
    out->status = col_dup(a, cur, 7);
    out->payout_method = col_dup(a, cur, 8);
    out->postback_url = col_dup(a, cur, 9);
    out->created_at = store_col_int(cur, 10);
    out->updated_at = store_col_int(cur, 11);
    out->rejection_reason = col_dup(a, cur, 12);
    out->website = col_dup(a, cur, 13);
    out->promotion = col_dup(a, cur, 14);
}

/* The partner's row, and with `sum` (an SQL expression over ?1, the partner's id, and ?2, ?3) its
 * value read exactly into *sum_out (NULL as 0; *sum_exact false when it is beyond int64). */
static int load_row(struct store *s, const char *id, const char *sum, int64_t from, int64_t to,
                    struct arena *a, struct partner *out, int64_t *sum_out, bool *sum_exact,
                    struct pd_err *err)
{
    /* Without a sum, a string literal: the statement cache finds it by its address. */
    static const char plain[] = "SELECT " PARTNER_COLUMNS " FROM partners WHERE id = ?1";
    char with_sum[512];
    if (sum)
        snprintf(with_sum, sizeof with_sum,
                 "SELECT " PARTNER_COLUMNS ", %s FROM partners WHERE id = ?1", sum);
    struct db_val p[3] = {db_text(id), db_int(from), db_int(to)};
    struct store_cursor cur;
    int rc = store_query_row(s, sum ? with_sum : plain, p, sum ? 3 : 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "partner_id", "no partner %s", id);
        return 1;
    }
    partner_from_row(&cur, a, out);
    if (sum) {
        *sum_out = 0;
        *sum_exact =
            store_is_null(&cur, PARTNER_NCOLS) || store_col_int_exact(&cur, PARTNER_NCOLS, sum_out);
    }
    store_finish(&cur);
    return 0;
}

int partner_load(struct store *s, const char *id, struct arena *a, struct partner *out,
                 struct pd_err *err)
{
    return load_row(s, id, NULL, 0, 0, a, out, NULL, NULL, err);
}

int partner_load_sum(struct store *s, const char *id, const char *sum, int64_t from, int64_t to,
                     struct arena *a, struct partner *out, int64_t *sum_out, bool *sum_exact,
                     struct pd_err *err)
{
    return load_row(s, id, sum, from, to, a, out, sum_out, sum_exact, err);
}

int partner_balance(struct store *s, const char *partner_id, int64_t *pending, int64_t *approved,
                    int64_t *paid, struct pd_err *err)
{
    struct db_val p = db_text(partner_id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT COALESCE(SUM(pending), 0), COALESCE(SUM(approved), 0),"
                             " COALESCE(SUM(paid), 0) FROM ledger_entries WHERE partner_id = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return -1;
    *pending = *approved = *paid = 0;
    if (rc == STORE_DONE)
        return 0;
    /* Sums of integers never fail; one beyond int64 (a database written before the limits) is
     * an error rather than a clamped figure. */
    bool exact = store_col_int_exact(&cur, 0, pending) && store_col_int_exact(&cur, 1, approved) &&
                 store_col_int_exact(&cur, 2, paid);
    store_finish(&cur);
    if (!exact)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL,
                          "partner %s's balance is beyond int64; run partnerd check", partner_id);
    return 0;
}

json_t *partner_to_json(struct store *s, const struct partner *p, const char *currency,
                        const char *public_url, struct pd_err *err)
{
    int64_t pending, approved, paid;
    if (partner_balance(s, p->id, &pending, &approved, &paid, err) < 0)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(p->id));
    json_object_set_new(o, "object", json_string("partner"));
    json_object_set_new(o, "program_id", json_string(p->program_id));
    json_object_set_new(o, "email", json_string(p->email));
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "ref_code", json_string(p->ref_code));
    json_object_set_new(o, "parent_id", pd_json_str_or_null(p->parent_id));
    json_object_set_new(o, "group", pd_json_str_or_null(p->group));
    json_object_set_new(o, "status", json_string(p->status));
    json_object_set_new(o, "rejection_reason", pd_json_str_or_null(p->rejection_reason));
    json_object_set_new(o, "website", pd_json_str_or_null(p->website));
    json_object_set_new(o, "promotion", pd_json_str_or_null(p->promotion));
    json_object_set_new(o, "payout_method",
                        p->payout_method ? json_loads(p->payout_method, 0, NULL) : json_null());
    json_object_set_new(o, "postback_url", pd_json_str_or_null(p->postback_url));
    char url[1024];
    snprintf(url, sizeof url, "%s/c/%s", public_url, p->ref_code);
    json_t *link = json_object();
    struct db_val lp = db_text(p->id);
    struct store_cursor cur;
    int rc = store_query_row(s, "SELECT id FROM links WHERE partner_id = ?1 AND is_default = 1",
                             &lp, 1, &cur, err);
    if (rc < 0) {
        json_decref(link);
        return NULL;
    }
    if (rc == STORE_ROW) {
        json_object_set_new(link, "id", json_string(store_col_text(&cur, 0)));
        store_finish(&cur);
    }
    json_object_set_new(link, "code", json_string(p->ref_code));
    json_object_set_new(link, "url", json_string(url));
    json_object_set_new(o, "default_link", link);
    json_t *coupons = json_array();
    json_object_set_new(o, "coupons", coupons);
    rc = store_query(s, "SELECT code FROM coupons WHERE partner_id = ?1 ORDER BY code", &lp, 1,
                     &cur, err);
    if (rc >= 0) {
        while ((rc = store_step(&cur, err)) == STORE_ROW)
            json_array_append_new(coupons, json_string(store_col_text(&cur, 0)));
        store_finish(&cur);
    }
    if (rc < 0) {
        json_decref(o);
        return NULL;
    }
    json_t *bal = json_object();
    json_object_set_new(bal, "pending", pd_json_money(pending));
    json_object_set_new(bal, "approved", pd_json_money(approved));
    json_object_set_new(bal, "paid", pd_json_money(paid));
    json_object_set_new(bal, "currency", json_string(currency));
    json_object_set_new(o, "balance", bal);
    json_object_set_new(o, "created", pd_json_time(p->created_at));
    return o;
}

int partner_insert(struct store *s, const struct partner *p, const char *default_url,
                   const char *const *coupons, size_t ncoupons, struct pd_err *err)
{
    /* Checked first so the error names the field that clashes (the writer runs one write at a
     * time, so nothing can slip in between the check and the insert). */
    int64_t taken = 0;
    struct db_val code = db_text(p->ref_code);
    if (store_query_int(s,
                        "SELECT (SELECT COUNT(*) FROM partners WHERE ref_code = ?1)"
                        " + (SELECT COUNT(*) FROM links WHERE code = ?1)",
                        &code, 1, 0, &taken, err) < 0)
        return STORE_ERROR;
    if (taken) {
        pd_err_set(err, PD_ERR_CONFLICT, "ref_code", "the ref_code %s is already taken",
                   p->ref_code);
        return STORE_CONSTRAINT;
    }
    struct db_val who[2] = {db_text(p->program_id), db_text(p->email)};
    if (store_query_int(s, "SELECT COUNT(*) FROM partners WHERE program_id = ?1 AND email = ?2",
                        who, 2, 0, &taken, err) < 0)
        return STORE_ERROR;
    if (taken) {
        pd_err_set(err, PD_ERR_CONFLICT, "email",
                   "this program already has a partner with the email %s", p->email);
        return STORE_CONSTRAINT;
    }
    struct db_val v[12] = {
        db_text(p->id),           db_text(p->program_id), db_text(p->email),
        db_text(p->name),         db_text(p->ref_code),   db_text(p->parent_id),
        db_text(p->group),        db_text(p->status),     db_text(p->payout_method),
        db_text(p->postback_url), db_int(p->created_at),  db_int(p->updated_at)};
    int rc = store_exec(s,
                        "INSERT INTO partners (id, program_id, email, name, ref_code,"
                        " parent_id, partner_group, status, payout_method, postback_url,"
                        " created_at, updated_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                        v, 12, NULL, err);
    if (rc == STORE_CONSTRAINT) {
        pd_err_set(err, PD_ERR_CONFLICT, "email",
                   "a partner with this email or ref_code already exists");
        return rc;
    }
    if (rc < 0)
        return rc;
    char link_id[ID_MAX_LEN];
    id_new(link_id, sizeof link_id, "lnk_", (uint64_t)p->created_at);
    struct link_new link = {.id = link_id,
                            .program_id = p->program_id,
                            .partner_id = p->id,
                            .code = p->ref_code,
                            .destination = default_url,
                            .is_default = true,
                            .created_at = p->created_at};
    rc = link_insert(s, &link, err);
    if (rc == STORE_CONSTRAINT) {
        pd_err_set(err, PD_ERR_CONFLICT, "ref_code", "this ref_code is already a link code");
        return rc;
    }
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < ncoupons; k++) {
        struct db_val c[4] = {db_text(p->program_id), db_text(coupons[k]), db_text(p->id),
                              db_int(p->created_at)};
        rc = store_exec(s,
                        "INSERT INTO coupons (program_id, code, partner_id, created_at)"
                        " VALUES (?1, ?2, ?3, ?4)",
                        c, 4, NULL, err);
        if (rc == STORE_CONSTRAINT) {
            pd_err_set(err, PD_ERR_CONFLICT, "coupons",
                       "the coupon %s is already taken in this program", coupons[k]);
            return rc;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int partner_coupons_replace(struct store *s, const struct partner *p, const char *const *codes,
                            size_t n, int64_t now, struct pd_err *err)
{
    for (size_t k = 0; k < n; k++) {
        struct db_val v[3] = {db_text(p->program_id), db_text(codes[k]), db_text(p->id)};
        int64_t taken = 0;
        if (store_query_int(s,
                            "SELECT COUNT(*) FROM coupons WHERE program_id = ?1 AND code = ?2"
                            " AND partner_id <> ?3",
                            v, 3, 0, &taken, err) < 0)
            return -1;
        if (taken)
            return pd_err_set(err, PD_ERR_UNPROCESSABLE, "coupons",
                              "the coupon %s belongs to another partner of this program", codes[k]);
    }
    /* The codes it no longer has: one statement naming the codes kept (at most 50). */
    struct db_val keep[51];
    char sql[700];
    int len = snprintf(sql, sizeof sql, "DELETE FROM coupons WHERE partner_id = ?1");
    keep[0] = db_text(p->id);
    for (size_t k = 0; k < n && k < 50; k++) {
        keep[k + 1] = db_text(codes[k]);
        len += snprintf(sql + len, sizeof sql - (size_t)len, "%s?%zu",
                        k == 0 ? " AND code NOT IN (" : ", ", k + 2);
    }
    if (n > 0)
        snprintf(sql + len, sizeof sql - (size_t)len, ")");
    int rc = store_exec(s, sql, keep, (int)(n < 50 ? n : 50) + 1, NULL, err);
    for (size_t k = 0; k < n && rc >= 0; k++) {
        struct db_val v[4] = {db_text(p->program_id), db_text(codes[k]), db_text(p->id),
                              db_int(now)};
        rc = store_exec(s,
                        "INSERT INTO coupons (program_id, code, partner_id, created_at)"
                        " SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM coupons"
                        " WHERE program_id = ?1 AND code = ?2)",
                        v, 4, NULL, err);
    }
    return rc < 0 ? -1 : 0;
}

int partner_update(struct store *s, const struct partner *p, int64_t now, struct pd_err *err)
{
    struct db_val v[10] = {db_text(p->id),
                           db_text(p->email),
                           db_text(p->name),
                           db_text(p->parent_id),
                           db_text(p->group),
                           db_text(p->status),
                           db_text(p->payout_method),
                           db_text(p->postback_url),
                           db_int(now),
                           db_text(p->rejection_reason)};
    return store_exec(s,
                      "UPDATE partners SET email = ?2, name = ?3, parent_id = ?4,"
                      " partner_group = ?5, status = ?6, payout_method = ?7,"
                      " postback_url = ?8, updated_at = ?9, rejection_reason = ?10 WHERE id = ?1",
                      v, 10, NULL, err);
}

int partner_set_password(struct store *s, const char *partner_id, const char *password_hash,
                         struct pd_err *err)
{
    struct db_val v[2] = {db_text(partner_id), db_text(password_hash)};
    return store_exec(s, "UPDATE partners SET password_hash = ?2 WHERE id = ?1", v, 2, NULL, err);
}

int partner_set_invite(struct store *s, const char *partner_id, const char *invite_hash,
                       struct pd_err *err)
{
    struct db_val v[2] = {db_text(partner_id), db_text(invite_hash)};
    return store_exec(s, "UPDATE partners SET invite_token_hash = ?2 WHERE id = ?1", v, 2, NULL,
                      err);
}

int partner_accept_invite(struct store *s, const char *partner_id, const char *invite_hash,
                          const char *password_hash, int64_t now, int64_t *changed,
                          struct pd_err *err)
{
    struct db_val v[4] = {db_text(partner_id), db_text(password_hash), db_text(invite_hash),
                          db_int(now)};
    *changed = 0;
    return store_exec(s,
                      "UPDATE partners SET password_hash = ?2, invite_token_hash = NULL,"
                      " updated_at = ?4 WHERE id = ?1 AND invite_token_hash = ?3",
                      v, 4, changed, err);
}

int partner_set_application(struct store *s, const char *partner_id, const char *website,
                            const char *promotion, struct pd_err *err)
{
    struct db_val v[3] = {db_text(partner_id), db_text(website), db_text(promotion)};
    return store_exec(s, "UPDATE partners SET website = ?2, promotion = ?3 WHERE id = ?1", v, 3,
                      NULL, err);
}

int partner_reset_password(struct store *s, const char *email, const char *password_hash,
                           int64_t now, int64_t *changed, struct pd_err *err)
{
    struct db_val v[3] = {db_text(email), db_text(password_hash), db_int(now)};
    *changed = 0;
    return store_exec(s,
                      "UPDATE partners SET password_hash = ?2, invite_token_hash = NULL,"
                      " updated_at = ?3 WHERE email = ?1",
                      v, 3, changed, err);
}

int partner_set_every_password(struct store *s, const char *password_hash, struct pd_err *err)
{
    struct db_val p = db_text(password_hash);
    return store_exec(s, "UPDATE partners SET password_hash = ?1", &p, 1, NULL, err);
}
