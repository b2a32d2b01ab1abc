/* The merchant's users and the admins table's writes (see users.h). */
#include "app/users.h"

#include <stdio.h>
#include <string.h>

#include "app/fields.h"
#include "util/banned.h"

#define USER_COLUMNS "id, email, name, role, password_hash = '', created_at, updated_at"

bool user_role_valid(const char *role)
{
    return role && (strcmp(role, "owner") == 0 || strcmp(role, "admin") == 0 ||
                    strcmp(role, "viewer") == 0);
}

static void user_from_row(struct store_cursor *cur, struct arena *a, struct user *u)
{
    u->id = col_dup(a, cur, 0);
    u->email = col_dup(a, cur, 1);
    u->name = col_dup(a, cur, 2);
    u->role = col_dup(a, cur, 3);
    u->invited = store_col_int(cur, 4) != 0;
    u->created_at = store_col_int(cur, 5);
    u->updated_at = store_is_null(cur, 6) ? u->created_at : store_col_int(cur, 6);
}

int user_load(struct store *s, const char *id, struct arena *a, struct user *out,
              struct pd_err *err)
{
    struct db_val p = db_text(id);
    struct store_cursor cur;
    int rc =
        store_query_row(s, "SELECT " USER_COLUMNS " FROM admins WHERE id = ?1", &p, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no such user");
        return 1;
    }
    user_from_row(&cur, a, out);
    store_finish(&cur);
    return 0;
}

json_t *user_to_json(const struct user *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(u->id));
    json_object_set_new(o, "object", json_string("user"));
    json_object_set_new(o, "email", json_string(u->email));
    json_object_set_new(o, "name", pd_json_str_or_null(u->name));
    json_object_set_new(o, "role", json_string(u->role));
    json_object_set_new(o, "status", json_string(u->invited ? "invited" : "active"));
    json_object_set_new(o, "created", pd_json_time(u->created_at));
    json_object_set_new(o, "updated", pd_json_time(u->updated_at));
    return o;
}

json_t *user_list_json(struct store *s, struct arena *a, struct pd_err *err)
{
    struct store_cursor cur;
    struct db_val lim = db_int(USER_MAX);
    if (store_query(s, "SELECT " USER_COLUMNS " FROM admins ORDER BY created_at, id LIMIT ?1", &lim,
                    1, &cur, err) < 0)
        return NULL;
    json_t *data = json_array();
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        struct user u;
        user_from_row(&cur, a, &u);
        json_array_append_new(data, user_to_json(&u));
    }
    store_finish(&cur);
    if (rc < 0) {
        json_decref(data);
        return NULL;
    }
    return data;
}

static int count(struct store *s, const char *sql, const char *arg, int64_t *n, struct pd_err *err)
{
    struct db_val p = db_text(arg);
    return store_query_int(s, sql, arg ? &p : NULL, arg ? 1 : 0, 0, n, err);
}

int user_insert(struct store *s, const struct user *u, const char *password_hash,
                const char *invite_hash, struct pd_err *err)
{
    char email[256];
    snprintf(email, sizeof email, "%s", u->email);
    for (char *c = email; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    int64_t n = 0;
    if (count(s, "SELECT COUNT(*) FROM admins WHERE lower(email) = ?1", email, &n, err) < 0)
        return STORE_ERROR;
    if (n) {
        pd_err_set(err, PD_ERR_CONFLICT, "email", "a user with the email %s already exists", email);
        return STORE_CONSTRAINT;
    }
    if (count(s, "SELECT COUNT(*) FROM admins", NULL, &n, err) < 0)
        return STORE_ERROR;
    if (n >= USER_MAX)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, NULL,
                          "a merchant has at most %d users: remove one first", USER_MAX);
    struct db_val v[8] = {db_text(u->id),
                          db_text(email),
                          db_text(u->name),
                          db_text(u->role),
                          db_text(password_hash ? password_hash : ""),
                          db_text(password_hash ? NULL : invite_hash),
                          db_int(u->created_at),
                          db_int(u->created_at)};
    int rc = store_exec(s,
                        "INSERT INTO admins (id, email, name, role, password_hash,"
                        " invite_token_hash, created_at, updated_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        v, 8, NULL, err);
    if (rc == STORE_CONSTRAINT)
        pd_err_set(err, PD_ERR_CONFLICT, "email", "a user with the email %s already exists", email);
    return rc;
}

/* Whether id is the only owner left. */
static int last_owner(struct store *s, const char *id, bool *last, struct pd_err *err)
{
    int64_t others = 0, is_owner = 0;
    if (count(s, "SELECT COUNT(*) FROM admins WHERE role = 'owner' AND id <> ?1", id, &others,
              err) < 0 ||
        count(s, "SELECT COUNT(*) FROM admins WHERE role = 'owner' AND id = ?1", id, &is_owner,
              err) < 0)
        return -1;
    *last = is_owner && others == 0;
    return 0;
}

int user_update(struct store *s, const char *id, const char *role, const char *name, int64_t now,
                struct pd_err *err)
{
    bool last = false;
    if (role && strcmp(role, "owner") != 0) {
        if (last_owner(s, id, &last, err) < 0)
            return -1;
        if (last)
            return pd_err_set(err, PD_ERR_UNPROCESSABLE, "role",
                              "this is the last owner: make another user owner first");
    }
    struct db_val v[4] = {db_text(id), db_text(role), db_text(name), db_int(now)};
    return store_exec(s,
                      "UPDATE admins SET role = COALESCE(?2, role), name = COALESCE(?3, name),"
                      " updated_at = ?4 WHERE id = ?1",
                      v, 4, NULL, err);
}

int user_delete(struct store *s, const char *id, struct pd_err *err)
{
    bool last = false;
    if (last_owner(s, id, &last, err) < 0)
        return -1;
    if (last)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "id",
                          "this is the last owner: make another user owner first");
    struct db_val p = db_text(id);
    return store_exec(s, "DELETE FROM admins WHERE id = ?1", &p, 1, NULL, err);
}

int user_set_invite(struct store *s, const char *id, const char *invite_hash, struct pd_err *err)
{
    struct db_val v[2] = {db_text(id), db_text(invite_hash)};
    return store_exec(s, "UPDATE admins SET invite_token_hash = ?2 WHERE id = ?1", v, 2, NULL, err);
}

int user_accept_invite(struct store *s, const char *id, const char *invite_hash,
                       const char *password_hash, int64_t now, int64_t *changed, struct pd_err *err)
{
    struct db_val v[4] = {db_text(id), db_text(invite_hash), db_text(password_hash), db_int(now)};
    return store_exec(s,
                      "UPDATE admins SET password_hash = ?3, invite_token_hash = NULL,"
                      " updated_at = ?4 WHERE id = ?1 AND invite_token_hash = ?2",
                      v, 4, changed, err);
}
