/* A partner's API keys (pd_pt_): created, listed and revoked by the merchant under
 * /api/v1/partners/{id}/keys and by the partner itself under /api/v1/me/keys. A key is shown once,
 * when it is created; a list shows its id, a hint (prefix and last characters) and when it was
 * made. A partner only ever reaches its own keys: another partner's key id is not found (404). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/records.h"
#include "util/banned.h"

/* Active keys one partner may hold: a leaked dashboard session cannot mint keys without bound. */
#define MAX_PARTNER_KEYS 20

struct key_write {
    const char *partner_id;
    const char *key_id; /* revoke */
    char key[64];       /* create: shown once */
};

static json_t *key_json(const char *id, const char *partner_id, const char *hint, int64_t created)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:o}", "id", id, "object", "api_key", "partner_id",
                     partner_id, "hint", hint, "created", pd_json_time(created));
}

static int key_create_op(struct store *s, struct api_write *w)
{
    struct key_write *kw = w->op_arg;
    struct db_val p = db_text(kw->partner_id);
    int64_t active = 0;
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM api_keys WHERE partner_id = ?1 AND kind = 'partner'"
                        " AND revoked_at IS NULL",
                        &p, 1, 0, &active, &w->err) < 0)
        return -1;
    if (active >= MAX_PARTNER_KEYS)
        return pd_err_set(&w->err, PD_ERR_UNPROCESSABLE, NULL,
                          "a partner holds at most %d keys: revoke one first", MAX_PARTNER_KEYS);
    char id[48];
    if (api_key_create(s, "partner", kw->partner_id, w->call->now_ms, kw->key, sizeof kw->key, id,
                       sizeof id, &w->err) < 0)
        return -1;
    w->status = 201;
    w->result = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "object", "api_key", "partner_id",
                          kw->partner_id, "key", kw->key);
    return 0;
}

static int key_revoke_op(struct store *s, struct api_write *w)
{
    struct key_write *kw = w->op_arg;
    struct db_val v[3] = {db_text(kw->key_id), db_text(kw->partner_id), db_int(w->call->now_ms)};
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT hint, created_at FROM api_keys WHERE id = ?1"
                             " AND partner_id = ?2 AND kind = 'partner' AND revoked_at IS NULL",
                             v, 2, &cur, &w->err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return pd_err_set(&w->err, PD_ERR_NOT_FOUND, "key_id", "no such key of this partner");
    w->result =
        key_json(kw->key_id, kw->partner_id,
                 store_is_null(&cur, 0) ? NULL : store_col_text(&cur, 0), store_col_int(&cur, 1));
    store_finish(&cur);
    if (api_key_revoke(s, kw->key_id, kw->partner_id, w->call->now_ms, &w->err) < 0)
        return -1;
    json_object_set_new(w->result, "revoked", pd_json_time(w->call->now_ms));
    w->status = 200;
    return 0;
}

/* The partner's active keys, newest first. Bounded by MAX_PARTNER_KEYS; older data may hold
 * more, so the answer still says has_more. */
static void reply_keys(struct api_call *call, const char *partner_id)
{
    enum { LIMIT = 100 };
    struct db_val v[2] = {db_text(partner_id), db_int(LIMIT + 1)};
    struct pd_err err = {0};
    struct store_cursor cur;
    if (store_query(call->db,
                    "SELECT id, hint, created_at FROM api_keys WHERE partner_id = ?1"
                    " AND kind = 'partner' AND revoked_at IS NULL ORDER BY id DESC LIMIT ?2",
                    v, 2, &cur, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    json_t *data = json_array();
    int n = 0, rc;
    while ((rc = store_step(&cur, &err)) == STORE_ROW && ++n <= LIMIT)
        json_array_append_new(data,
                              key_json(store_col_text(&cur, 0), partner_id,
                                       store_is_null(&cur, 1) ? NULL : store_col_text(&cur, 1),
                                       store_col_int(&cur, 2)));
    store_finish(&cur);
    if (rc < 0) {
        json_decref(data);
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, json_pack("{s:o, s:b}", "data", data, "has_more", n > LIMIT));
}

/* The merchant's routes name the partner: it must exist (404 on id otherwise). */
static const char *path_partner(struct api_call *call)
{
    struct partner p;
    struct pd_err err = {0};
    int rc = partner_load(call->db, call->path_params[0], call->req->arena, &p, &err);
    if (rc != 0) {
        if (rc > 0)
            snprintf(err.param, sizeof err.param, "id");
        api_reply_error(call, &err);
        return NULL;
    }
    return p.id;
}

static void submit(struct api_call *call, const char *partner_id, const char *key_id,
                   api_write_op op)
{
    struct key_write *kw = arena_calloc(call->req->arena, sizeof *kw);
    kw->partner_id = partner_id;
    kw->key_id = key_id;
    api_submit_write(call, op, kw);
}

void api_partner_keys_create(struct api_call *call)
{
    const char *partner_id = path_partner(call);
    if (partner_id)
        submit(call, partner_id, NULL, key_create_op);
}

void api_partner_keys_list(struct api_call *call)
{
    const char *partner_id = path_partner(call);
    if (partner_id)
        reply_keys(call, partner_id);
}

void api_partner_keys_revoke(struct api_call *call)
{
    submit(call, call->path_params[0], call->path_params[1], key_revoke_op);
}

void api_me_keys_list(struct api_call *call)
{
    reply_keys(call, call->auth.partner_id);
}

void api_me_keys_create(struct api_call *call)
{
    submit(call, call->auth.partner_id, NULL, key_create_op);
}

void api_me_keys_revoke(struct api_call *call)
{
    submit(call, call->auth.partner_id, call->path_params[0], key_revoke_op);
}
