/* The partners table's writes (partners.h). */
#include "app/partners.h"

#include "core/ids.h"
#include "util/banned.h"

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
    struct db_val l[6] = {db_text(link_id),     db_text(p->program_id), db_text(p->id),
                          db_text(p->ref_code), db_text(default_url),   db_int(p->created_at)};
    rc = store_exec(s,
                    "INSERT INTO links (id, program_id, partner_id, code, destination,"
                    " is_default, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
                    l, 6, NULL, err);
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

int partner_update(struct store *s, const struct partner *p, int64_t now, struct pd_err *err)
{
    struct db_val v[9] = {
        db_text(p->id),    db_text(p->email),  db_text(p->name),          db_text(p->parent_id),
        db_text(p->group), db_text(p->status), db_text(p->payout_method), db_text(p->postback_url),
        db_int(now)};
    return store_exec(s,
                      "UPDATE partners SET email = ?2, name = ?3, parent_id = ?4,"
                      " partner_group = ?5, status = ?6, payout_method = ?7,"
                      " postback_url = ?8, updated_at = ?9 WHERE id = ?1",
                      v, 9, NULL, err);
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

int partner_set_every_password(struct store *s, const char *password_hash, struct pd_err *err)
{
    struct db_val p = db_text(password_hash);
    return store_exec(s, "UPDATE partners SET password_hash = ?1", &p, 1, NULL, err);
}
