/* /api/v1/keys: the merchant's own API keys, secret (pd_sk_, the whole API as an owner) and
 * publishable (pd_pk_, clicks only), the owner's to manage (AUTH_OWNER_ONLY in the route table).
 * A key is shown once, when it is created; the list shows a hint (prefix and last characters).
 * A revocation is answered only once every node refuses the key: the answer waits until the copies
 * other nodes' key caches may hold have expired (src/app/key_cache.h). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/key_cache.h"
#include "app/records.h"
#include "util/banned.h"

/* Active merchant keys: each is a standing credential, so their number is bounded. */
#define MAX_MERCHANT_KEYS 50

#define KEY_COLUMNS "id, kind, name, hint, created_at, revoked_at"

struct mkey_write {
    const char *kind, *name;
    char key[64]; /* create: shown once */
};

static json_t *key_row_json(struct store_cursor *cur)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "id", store_col_text(cur, 0), "object", "api_key",
                          "kind", store_col_text(cur, 1));
    json_object_set_new(o, "name",
                        pd_json_str_or_null(store_is_null(cur, 2) ? NULL : store_col_text(cur, 2)));
    json_object_set_new(o, "hint",
                        pd_json_str_or_null(store_is_null(cur, 3) ? NULL : store_col_text(cur, 3)));
    json_object_set_new(o, "created", pd_json_time(store_col_int(cur, 4)));
    if (!store_is_null(cur, 5))
        json_object_set_new(o, "revoked", pd_json_time(store_col_int(cur, 5)));
    return o;
}

/* The merchant key id as JSON (200), NULL with err (404 on "id") when there is no such key. */
static json_t *load_key(struct store *s, const char *id, struct pd_err *err)
{
    struct db_val p = db_text(id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT " KEY_COLUMNS " FROM api_keys WHERE id = ?1"
                             " AND partner_id IS NULL AND kind IN ('secret', 'publishable')",
                             &p, 1, &cur, err);
    if (rc < 0)
        return NULL;
    if (rc != STORE_ROW) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no such key");
        return NULL;
    }
    json_t *o = key_row_json(&cur);
    store_finish(&cur);
    return o;
}

static int mkey_create_op(struct store *s, struct api_write *w)
{
    struct mkey_write *kw = w->op_arg;
    int64_t active = 0;
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM api_keys WHERE partner_id IS NULL"
                        " AND kind IN ('secret', 'publishable') AND revoked_at IS NULL",
                        NULL, 0, 0, &active, &w->err) < 0)
        return -1;
    if (active >= MAX_MERCHANT_KEYS)
        return pd_err_set(&w->err, PD_ERR_UNPROCESSABLE, NULL,
                          "at most %d keys may be active: revoke one first", MAX_MERCHANT_KEYS);
    char id[48];
    if (api_key_create(s, kw->kind, NULL, w->call->now_ms, kw->key, sizeof kw->key, id, sizeof id,
                       &w->err) < 0 ||
        (kw->name && api_key_set_name(s, id, kw->name, &w->err) < 0) ||
        !(w->result = load_key(s, id, &w->err)))
        return -1;
    json_object_set_new(w->result, "key", json_string(kw->key));
    w->status = 201;
    return 0;
}

void api_merchant_keys_create(struct api_call *call)
{
    static const char *const fields[] = {"kind", "name", NULL};
    struct mkey_write *kw = arena_calloc(call->req->arena, sizeof *kw);
    struct pd_err err = {0};
    if (api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "kind", true, 16, &kw->kind, &err) < 0 ||
        api_get_string(call->body, "name", false, 100, &kw->name, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    if (strcmp(kw->kind, "secret") != 0 && strcmp(kw->kind, "publishable") != 0) {
        api_reply_errorf(call, PD_ERR_UNPROCESSABLE, "kind",
                         "kind must be secret (the whole API) or publishable (clicks only); "
                         "partner keys are made under /api/v1/partners/{id}/keys");
        return;
    }
    api_submit_write(call, mkey_create_op, kw);
}

void api_merchant_keys_list(struct api_call *call)
{
    enum { LIMIT = 100 };
    struct db_val lim = db_int(LIMIT + 1);
    struct pd_err err = {0};
    struct store_cursor cur;
    if (store_query(call->db,
                    "SELECT " KEY_COLUMNS " FROM api_keys WHERE partner_id IS NULL"
                    " AND kind IN ('secret', 'publishable') AND revoked_at IS NULL"
                    " ORDER BY id DESC LIMIT ?1",
                    &lim, 1, &cur, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    json_t *data = json_array();
    int n = 0, rc;
    while ((rc = store_step(&cur, &err)) == STORE_ROW && ++n <= LIMIT)
        json_array_append_new(data, key_row_json(&cur));
    store_finish(&cur);
    if (rc < 0) {
        json_decref(data);
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, json_pack("{s:o, s:b}", "data", data, "has_more", n > LIMIT));
}

static int mkey_revoke_op(struct store *s, struct api_write *w)
{
    const char *id = w->call->path_params[0];
    int64_t changed = 0;
    if (!(w->result = load_key(s, id, &w->err)))
        return -1;
    if (json_object_get(w->result, "revoked"))
        return pd_err_set(&w->err, PD_ERR_NOT_FOUND, "id", "this key is already revoked");
    if (api_merchant_key_revoke(s, id, w->call->now_ms, &changed, &w->err) < 0)
        return -1;
    json_object_set_new(w->result, "revoked", pd_json_time(w->call->now_ms));
    w->status = 200;
    w->reply_after_ms = KEY_CACHE_TTL_MS + 50;
    return 0;
}

void api_merchant_keys_revoke(struct api_call *call)
{
    api_submit_write(call, mkey_revoke_op, NULL);
}
