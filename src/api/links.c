/* /api/v1/links and /api/v1/me/links, and the merchant's edits of a link: its destination,
 * sub-ids and disabled flag change; its code never does (printed links would break). DELETE
 * removes a link nobody used, and archives one with history (clicks, conversions) so reports
 * keep it; a partner's default link (its ref_code) is only ever disabled. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/links.h"
#include "app/records.h"
#include "core/ids.h"
#include "core/url.h"
#include "util/banned.h"

static const char *const link_fields[] = {"partner_id", "destination", "code", "sub1", "sub2",
                                          "sub3",       "sub4",        "sub5", NULL};

struct link_write {
    char id[ID_MAX_LEN];
    const char *program_id, *partner_id, *code, *destination;
    const char *sub[5];
};

/* A link's state: disabled (0/1) and archived (a time, or -1). */
struct link_state {
    bool disabled;
    int64_t archived;
};

static json_t *link_json(const char *public_url, const char *id, const char *program_id,
                         const char *partner_id, const char *code, const char *destination,
                         const char *const sub[5], bool is_default, int64_t created,
                         struct link_state st)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/c/%s", public_url, code);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "object", json_string("link"));
    json_object_set_new(o, "program_id", json_string(program_id));
    json_object_set_new(o, "partner_id", json_string(partner_id));
    json_object_set_new(o, "code", json_string(code));
    json_object_set_new(o, "url", json_string(url));
    json_object_set_new(o, "destination", json_string(destination));
    static const char *const names[5] = {"sub1", "sub2", "sub3", "sub4", "sub5"};
    for (int i = 0; i < 5; i++)
        json_object_set_new(o, names[i], sub[i] ? json_string(sub[i]) : json_null());
    json_object_set_new(o, "is_default", json_boolean(is_default));
    json_object_set_new(o, "disabled", json_boolean(st.disabled));
    json_object_set_new(o, "archived", st.archived >= 0 ? pd_json_time(st.archived) : json_null());
    json_object_set_new(o, "created", pd_json_time(created));
    return o;
}

static int link_write_op(struct store *s, struct api_write *w)
{
    struct link_write *lw = w->op_arg;
    int64_t now = w->call->now_ms;
    id_new(lw->id, sizeof lw->id, "lnk_", (uint64_t)now);
    if (!lw->code) {
        char code[9];
        id_random_token(code, 8);
        code[8] = '\0';
        lw->code = arena_strdup(w->call->req->arena, code);
    }
    struct link_new link = {.id = lw->id,
                            .program_id = lw->program_id,
                            .partner_id = lw->partner_id,
                            .code = lw->code,
                            .destination = lw->destination,
                            .is_default = false,
                            .created_at = now};
    for (int i = 0; i < 5; i++)
        link.sub[i] = lw->sub[i];
    int rc = link_insert(s, &link, &w->err);
    if (rc == STORE_CONSTRAINT)
        return pd_err_set(&w->err, PD_ERR_CONFLICT, "code", "this link code is already taken");
    if (rc < 0)
        return -1;
    w->status = 201;
    w->result = link_json(w->call->app->cfg.public_url, lw->id, lw->program_id, lw->partner_id,
                          lw->code, lw->destination, lw->sub, false, now,
                          (struct link_state){false, -1});
    return 0;
}

/* Validates a link request for partner_id (already authorised) and submits it. */
static void create_link(struct api_call *call, const char *partner_id)
{
    struct pd_err err = {0};
    struct link_write *lw = arena_calloc(call->req->arena, sizeof *lw);
    json_t *b = call->body;
    static const char *const sub_names[5] = {"sub1", "sub2", "sub3", "sub4", "sub5"};
    struct partner p;
    struct program prog;
    int rc;
    if (api_check_fields(b, link_fields, &err) < 0 ||
        api_get_string(b, "destination", true, 2048, &lw->destination, &err) < 0 ||
        api_get_string(b, "code", false, 64, &lw->code, &err) < 0)
        goto fail;
    for (int i = 0; i < 5; i++)
        if (api_get_string(b, sub_names[i], false, 255, &lw->sub[i], &err) < 0)
            goto fail;
    if (lw->code && !api_valid_code(lw->code)) {
        pd_err_set(&err, PD_ERR_BAD_REQUEST, "code",
                   "code must be 2 to 64 letters, digits, '_' or '-'");
        goto fail;
    }
    rc = partner_load(call->db, partner_id, call->req->arena, &p, &err);
    if (rc == 0)
        rc = program_load(call->db, p.program_id, call->req->arena, &prog, &err);
    if (rc != 0)
        goto fail;
    struct url_parts u;
    if (!url_parse(lw->destination, &u)) {
        pd_err_set(&err, PD_ERR_BAD_REQUEST, "destination",
                   "destination must be an absolute http or https URL");
        goto fail;
    }
    if (!url_host_allowed(u.host, prog.allowed_hosts, prog.nallowed_hosts)) {
        pd_err_set(&err, PD_ERR_UNPROCESSABLE, "destination",
                   "the host %s is not in the program's allowed_hosts", u.host);
        goto fail;
    }
    lw->program_id = prog.id;
    lw->partner_id = p.id;
    api_submit_write(call, link_write_op, lw);
    return;
fail:
    api_reply_error(call, &err);
}

void api_links_create(struct api_call *call)
{
    const char *partner_id;
    struct pd_err err = {0};
    if (api_get_string(call->body, "partner_id", true, 64, &partner_id, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    create_link(call, partner_id);
}

void api_me_links_create(struct api_call *call)
{
    if (json_object_get(call->body, "partner_id")) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "partner_id",
                         "a partner creates links for itself only; omit partner_id");
        return;
    }
    create_link(call, call->auth.partner_id);
}

static json_t *link_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    const char *sub[5];
    for (int i = 0; i < 5; i++)
        sub[i] = col_dup(call->req->arena, cur, 5 + i);
    return link_json(call->app->cfg.public_url, store_col_text(cur, 0), store_col_text(cur, 1),
                     store_col_text(cur, 2), store_col_text(cur, 3), store_col_text(cur, 4), sub,
                     store_col_int(cur, 10) != 0, store_col_int(cur, 11),
                     (struct link_state){store_col_int(cur, 12) != 0,
                                         store_is_null(cur, 13) ? -1 : store_col_int(cur, 13)});
}

void api_links_list(struct api_call *call)
{
    api_reply_list(call, &api_list_links, NULL, link_row);
}

void api_me_links_list(struct api_call *call)
{
    api_reply_list(call, &api_list_me_links, call->auth.partner_id, link_row);
}

/* ---- one link: read, edit, delete ---------------------------------------------------------- */

#define LINK_COLUMNS                                                                               \
    "id, program_id, partner_id, code, destination, sub1, sub2, sub3, sub4, sub5, is_default,"     \
    " created_at, disabled, archived_at"

/* The link id as JSON, NULL with err (404 on "id") when there is none. is_default and program_id
 * are copied into the arena for the caller. */
static json_t *load_link(struct api_call *call, struct store *s, const char *id, struct pd_err *err)
{
    struct db_val p = db_text(id);
    struct store_cursor cur;
    int rc = store_query_row(s, "SELECT " LINK_COLUMNS " FROM links WHERE id = ?1", &p, 1, &cur,
                             err);
    if (rc < 0)
        return NULL;
    if (rc != STORE_ROW) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no such link");
        return NULL;
    }
    json_t *o = link_row(call, &cur, err);
    store_finish(&cur);
    return o;
}

void api_links_get(struct api_call *call)
{
    struct pd_err err = {0};
    json_t *o = load_link(call, call->db, call->path_params[0], &err);
    if (!o) {
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, o);
}

static int link_update_op(struct store *s, struct api_write *w)
{
    struct link_change *c = w->op_arg;
    const char *id = w->call->path_params[0];
    json_t *old = load_link(w->call, s, id, &w->err);
    if (!old)
        return -1;
    bool archived = !json_is_null(json_object_get(old, "archived"));
    const char *program_id = arena_strdup(w->call->req->arena,
                                          json_string_value(json_object_get(old, "program_id")));
    json_decref(old);
    if (archived)
        return pd_err_set(&w->err, PD_ERR_UNPROCESSABLE, "id",
                          "this link was deleted (archived with its history) and cannot change");
    if (c->destination) {
        struct program prog;
        struct url_parts u;
        if (program_load(s, program_id, w->call->req->arena, &prog, &w->err) != 0)
            return -1;
        if (!url_parse(c->destination, &u))
            return pd_err_set(&w->err, PD_ERR_BAD_REQUEST, "destination",
                              "destination must be an absolute http or https URL");
        if (!url_host_allowed(u.host, prog.allowed_hosts, prog.nallowed_hosts))
            return pd_err_set(&w->err, PD_ERR_UNPROCESSABLE, "destination",
                              "the host %s is not in the allowed_hosts of this link's program",
                              u.host);
    }
    int64_t changed = 0;
    if (link_update(s, id, c, w->call->now_ms, &changed, &w->err) < 0 ||
        !(w->result = load_link(w->call, s, id, &w->err)))
        return -1;
    w->status = 200;
    return 0;
}

void api_links_update(struct api_call *call)
{
    static const char *const fields[] = {"destination", "disabled", "sub1", "sub2", "sub3",
                                         "sub4",        "sub5",     "code", NULL};
    static const char *const sub_names[5] = {"sub1", "sub2", "sub3", "sub4", "sub5"};
    struct link_change *c = arena_calloc(call->req->arena, sizeof *c);
    struct pd_err err = {0};
    bool disabled = false;
    c->disabled = -1;
    if (api_check_fields(call->body, fields, &err) < 0)
        goto fail;
    if (json_object_get(call->body, "code")) {
        pd_err_set(&err, PD_ERR_UNPROCESSABLE, "code",
                   "a link's code never changes: links already shared would break; create a "
                   "new link instead");
        goto fail;
    }
    if (api_get_string(call->body, "destination", false, 2048, &c->destination, &err) < 0 ||
        api_get_bool(call->body, "disabled", &disabled, &err) < 0)
        goto fail;
    if (json_object_get(call->body, "disabled"))
        c->disabled = disabled;
    for (int i = 0; i < 5; i++) {
        c->sub_given[i] = json_object_get(call->body, sub_names[i]) != NULL;
        if (api_get_string(call->body, sub_names[i], false, 255, &c->sub[i], &err) < 0)
            goto fail;
    }
    api_submit_write(call, link_update_op, c);
    return;
fail:
    api_reply_error(call, &err);
}

static int link_delete_op(struct store *s, struct api_write *w)
{
    const char *id = w->call->path_params[0];
    json_t *old = load_link(w->call, s, id, &w->err);
    if (!old)
        return -1;
    bool is_default = json_is_true(json_object_get(old, "is_default"));
    if (is_default) {
        json_decref(old);
        return pd_err_set(&w->err, PD_ERR_UNPROCESSABLE, "id",
                          "a partner's default link (its ref_code) cannot be deleted; disable "
                          "it instead");
    }
    bool archived = false;
    if (link_remove(s, id, w->call->now_ms, &archived, &w->err) < 0) {
        json_decref(old);
        return -1;
    }
    if (archived) {
        json_decref(old);
        if (!(old = load_link(w->call, s, id, &w->err)))
            return -1;
    }
    json_object_set_new(old, "deleted", json_boolean(!archived));
    w->result = old;
    w->status = 200;
    return 0;
}

void api_links_delete(struct api_call *call)
{
    api_submit_write(call, link_delete_op, NULL);
}
