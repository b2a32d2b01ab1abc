/* /api/v1/partners and their API keys */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/fields.h"
#include "app/emails.h"
#include "app/partners.h"
#include "app/records.h"
#include "core/ids.h"
#include "core/payout_method.h"
#include "core/url.h" /* webhooks: postback_url */
#include "util/banned.h"

static const char *const create_fields[] = {"program_id",    "email",        "name",     "ref_code",
                                            "parent_id",     "group",        "status",   "coupons",
                                            "payout_method", "postback_url", "password", NULL};
static const char *const update_fields[] = {
    "email",         "name",         "parent_id",        "group",   "status",
    "payout_method", "postback_url", "rejection_reason", "coupons", NULL};

struct partner_write {
    struct partner p;
    struct program program;
    const char **coupons;
    size_t ncoupons;
    bool coupons_given; /* on update: the set replaces the partner's coupons */
    bool creating;
    struct auth_partner_credentials cred; /* the dashboard login: password or invite */
    const char *old_status;               /* signup: an update's status before it */
};

bool api_valid_code(const char *s)
{
    size_t len = strlen(s);
    if (len < 2 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

bool api_valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && strchr(at + 1, '.') && !strchr(at + 1, '@') && !strchr(s, ' ') &&
           at[1] != '.' && s[strlen(s) - 1] != '.';
}

/* 1 when the chain of parents above `from` (itself included) reaches `id`, 0 when not: making
 * `from` the parent of `id` would close a loop. The query stops at a partner already seen, so a
 * loop already in the data ends it too. Run inside the writer job that writes the parent, so two
 * crossing changes cannot both pass. */
static int parent_chain_reaches(struct store *db, const char *from, const char *id,
                                struct pd_err *err)
{
    struct db_val v[2] = {db_text(from), db_text(id)};
    int64_t n = 0;
    if (store_query_int(db,
                        "WITH RECURSIVE chain(id) AS (SELECT CAST(?1 AS TEXT) UNION"
                        " SELECT p.parent_id FROM partners p JOIN chain c ON p.id = c.id"
                        " WHERE p.parent_id IS NOT NULL)"
                        " SELECT COUNT(*) FROM chain WHERE id = ?2",
                        v, 2, 0, &n, err) < 0)
        return -1;
    return n > 0;
}

/* The setters below see the write being built, the request's arena and db (the worker's
 * connection, or the writer's inside a job) to look up the parent. */
struct partner_apply {
    struct partner_write *pw;
    struct arena *a;
    struct store *db;
};

static int set_email(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct partner_apply *c = ctx;
    if (!api_valid_email(v->s))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "email", "email is not an email address");
    char *lower = arena_strdup(c->a, v->s);
    for (char *ch = lower; *ch; ch++)
        *ch = (char)(*ch >= 'A' && *ch <= 'Z' ? *ch + 32 : *ch);
    c->pw->p.email = lower;
    return 0;
}

/* A partner without a name is called by its email. */
static int set_name(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    (void)err;
    struct partner *p = &((struct partner_apply *)ctx)->pw->p;
    if (v->given)
        p->name = v->s;
    if (!p->name)
        p->name = p->email;
    return 0;
}

static int set_status(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    if (strcmp(v->s, "pending") && strcmp(v->s, "active") && strcmp(v->s, "suspended") &&
        strcmp(v->s, "rejected"))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "status",
                          "status must be pending, active, suspended or rejected");
    ((struct partner_apply *)ctx)->pw->p.status = v->s;
    return 0;
}

/* signup: a reason goes with a rejection only, and leaves with it. */
static int set_rejection_reason(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct partner *p = &((struct partner_apply *)ctx)->pw->p;
    bool rejected = strcmp(p->status, "rejected") == 0;
    if (v->given && !rejected)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "rejection_reason",
                          "rejection_reason goes with status rejected");
    if (v->given)
        p->rejection_reason = *v->s ? v->s : NULL;
    else if (!rejected)
        p->rejection_reason = NULL;
    return 0;
}

/* webhooks: the postback template must be a URL, as in PATCH /me; "" clears it. */
static int set_postback_url(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct url_parts pu;
    if (*v->s && !url_parse(v->s, &pu))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "postback_url",
                          "postback_url must be an absolute http or https URL, e.g. "
                          "https://tracker.example/pb?click={click_id}&amount={commission}");
    ((struct partner_apply *)ctx)->pw->p.postback_url = v->s;
    return 0;
}

/* Stored as canonical JSON text with sorted keys; null removes it. */
static int set_payout_method(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct partner_apply *c = ctx;
    if (v->null) {
        c->pw->p.payout_method = NULL;
        return 0;
    }
    json_t *canon = payout_method_canonical(v->json, err);
    if (!canon)
        return -1;
    char *text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(canon);
    c->pw->p.payout_method = arena_strdup(c->a, text);
    free(text);
    return 0;
}

/* Another partner of the same program, and not one below this partner. */
static int set_parent_id(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct partner_apply *c = ctx;
    struct partner *p = &c->pw->p;
    struct partner parent;
    int rc = partner_load(c->db, v->s, c->a, &parent, err);
    if (rc != 0) {
        if (rc > 0)
            snprintf(err->param, sizeof err->param, "parent_id");
        return -1;
    }
    if (strcmp(parent.program_id, p->program_id) != 0 || (p->id && strcmp(v->s, p->id) == 0))
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "parent_id",
                          "parent_id must be another partner of the same program");
    int loop = p->id ? parent_chain_reaches(c->db, parent.id, p->id, err) : 0;
    if (loop < 0)
        return -1;
    if (loop)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "parent_id",
                          "parent_id would make a loop: %s is below this partner", parent.id);
    p->parent_id = parent.id;
    return 0;
}

/* The given code, or a random lower-case one. */
static int set_ref_code(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct partner_apply *c = ctx;
    if (v->given) {
        if (!api_valid_code(v->s))
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "ref_code",
                              "ref_code must be 2 to 64 letters, digits, '_' or '-'");
        c->pw->p.ref_code = v->s;
        return 0;
    }
    char code[11];
    id_random_token(code, 10);
    code[10] = '\0';
    for (char *ch = code; *ch; ch++)
        *ch = (char)(*ch >= 'A' && *ch <= 'Z' ? *ch + 32 : *ch);
    c->pw->p.ref_code = arena_strdup(c->a, code);
    return 0;
}

/* Coupon codes are stored upper-case. */
static int set_coupons(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct partner_apply *c = ctx;
    struct partner_write *pw = c->pw;
    json_t *coupons = v->json;
    if (!coupons || json_is_null(coupons))
        return 0;
    if (!json_is_array(coupons) || json_array_size(coupons) > 50)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "coupons",
                          "coupons must be a list of at most 50 codes");
    pw->coupons_given = true;
    pw->ncoupons = json_array_size(coupons);
    pw->coupons = arena_alloc(c->a, (pw->ncoupons + 1) * sizeof *pw->coupons);
    for (size_t k = 0; k < pw->ncoupons; k++) {
        const char *code = json_string_value(json_array_get(coupons, k));
        if (!code || !api_valid_code(code))
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "coupons",
                              "coupons[%zu] must be 2 to 64 letters, digits, '_' or '-'", k);
        char *upper = arena_strdup(c->a, code);
        for (char *u = upper; *u; u++)
            *u = (char)(*u >= 'a' && *u <= 'z' ? *u - 32 : *u);
        pw->coupons[k] = upper;
    }
    return 0;
}

/* In the order the checks run; ref_code only on create. */
static const struct api_field partner_field_table[] = {
    {"email", API_FIELD_STRING, API_FIELD_GIVEN, .required = true, .max = 254, .set = set_email},
    {"name", API_FIELD_STRING, API_FIELD_ALWAYS, .max = 200, .set = set_name},
    {"group", API_FIELD_STRING, API_FIELD_GIVEN, .max = 64,
     .offset = offsetof(struct partner, group)},
    {"status", API_FIELD_STRING, API_FIELD_GIVEN, .max = 16, .set = set_status},
    {"rejection_reason", API_FIELD_STRING, API_FIELD_ALWAYS, .max = 1000,
     .set = set_rejection_reason},
    {"postback_url", API_FIELD_STRING, API_FIELD_GIVEN, .max = 2048, .set = set_postback_url},
    {"payout_method", API_FIELD_JSON, API_FIELD_GIVEN, .set = set_payout_method},
    {"parent_id", API_FIELD_STRING, API_FIELD_GIVEN, .max = 64, .set = set_parent_id},
    {"ref_code", API_FIELD_STRING, API_FIELD_CREATING, .max = 64, .set = set_ref_code},
    {"coupons", API_FIELD_JSON, API_FIELD_GIVEN_OR_CREATING, .set = set_coupons},
    {.name = NULL},
};

/* db: where to look up the parent (the worker's connection, or the writer's inside a job). */
static int partner_apply_json(struct api_call *call, struct store *db, struct partner_write *pw,
                              struct pd_err *err)
{
    struct partner_apply ctx = {pw, call->req->arena, db};
    if (api_check_fields(call->body, pw->creating ? create_fields : update_fields, err) < 0)
        return -1;
    return api_fields_apply(call->body, partner_field_table, pw->creating, &pw->p, &ctx, err);
}

static int conflict(struct api_write *w, const char *param, const char *msg)
{
    return pd_err_set(&w->err, PD_ERR_CONFLICT, param, "%s", msg);
}

/* signup: an application approved (pending or rejected → active) or rejected is told by email; a
 * rejected partner's sessions end. */
static int partner_status_changed(struct store *s, struct api_write *w, const char *old,
                                  const struct partner *p)
{
    bool approved = strcmp(p->status, "active") == 0 &&
                    (strcmp(old, "pending") == 0 || strcmp(old, "rejected") == 0);
    bool rejected = strcmp(p->status, "rejected") == 0 && strcmp(old, "rejected") != 0;
    if (!approved && !rejected)
        return 0;
    if (rejected && auth_sessions_end(s, p->id, &w->err) < 0)
        return -1;
    json_t *vars = approved ? json_pack("{s:s}", "link",
                                        arena_sprintf(w->call->req->arena, "%s/login",
                                                      w->call->app->cfg.public_url))
                            : json_object();
    if (rejected && p->rejection_reason)
        json_object_set_new(vars, "reason", json_string(p->rejection_reason));
    struct email_msg m = {.program_id = p->program_id,
                          .partner_id = p->id,
                          .kind = approved ? "application_approved" : "application_rejected",
                          .to = p->email,
                          .vars = vars};
    int rc = email_queue(s, &m, w->call->now_ms, &w->err);
    json_decref(vars);
    return rc;
}

static int partner_write_op(struct store *s, struct api_write *w)
{
    struct partner_write *pw = w->op_arg;
    struct partner *p = &pw->p;
    struct arena *a = w->call->req->arena;
    int64_t now = w->call->now_ms;
    p->updated_at = now;
    if (pw->creating) {
        char id[ID_MAX_LEN];
        id_new(id, sizeof id, "ptn_", (uint64_t)now);
        p->id = arena_strdup(a, id);
        p->created_at = now;
        int rc = partner_insert(s, p, pw->program.default_url, pw->coupons, pw->ncoupons, &w->err);
        if (rc < 0)
            return -1;
    } else {
        int rc = partner_update(s, p, now, &w->err);
        if (rc == STORE_CONSTRAINT)
            return conflict(w, "email", "a partner with this email already exists");
        if (rc < 0 || partner_status_changed(s, w, pw->old_status, p) < 0)
            return -1;
        if (pw->coupons_given &&
            partner_coupons_replace(s, p, pw->coupons, pw->ncoupons, now, &w->err) < 0)
            return -1;
    }
    w->result =
        partner_to_json(s, p, pw->program.currency->code, w->call->app->cfg.public_url, &w->err);
    if (!w->result)
        return -1;
    /* the dashboard login: a password, or a one-time invite_url in the answer */
    if (pw->creating &&
        auth_partner_credentials_store(s, p->id, &pw->cred, w->call->app->cfg.public_url, w->result,
                                       &w->err) < 0)
        return -1;
    json_t *invite = json_object_get(w->result, "invite_url"); /* email: the invite is mailed */
    if (invite) {
        json_t *vars = json_pack("{s:O}", "link", invite);
        struct email_msg m = {p->program_id, p->id, "invite", p->email, vars};
        int rc = email_queue(s, &m, now, &w->err);
        json_decref(vars);
        if (rc < 0)
            return -1;
    }
    w->status = pw->creating ? 201 : 200;
    return 0;
}

/* The dashboard login of a new partner from its "password" (and "email") field. */
static int partner_credentials(struct api_call *call, struct auth_partner_credentials *c,
                               struct pd_err *err)
{
    const char *password, *email;
    if (api_get_string(call->body, "password", false, AUTH_PASSWORD_MAX, &password, err) < 0 ||
        api_get_string(call->body, "email", false, 254, &email, err) < 0)
        return -1;
    return auth_partner_credentials_prepare(password, email, call->now_ms, c, err);
}

void api_partners_create(struct api_call *call)
{
    struct partner_write *pw = arena_calloc(call->req->arena, sizeof *pw);
    struct pd_err err = {0};
    const char *program_id;
    pw->creating = true;
    pw->p.status = "active";
    if (api_get_string(call->body, "program_id", false, 64, &program_id, &err) < 0 ||
        program_resolve(call->db, program_id, call->req->arena, &pw->program, &err) != 0) {
        api_reply_error(call, &err);
        return;
    }
    pw->p.program_id = pw->program.id;
    if (partner_apply_json(call, call->db, pw, &err) < 0 ||
        partner_credentials(call, &pw->cred, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    api_submit_write(call, partner_write_op, pw);
}

/* Read, change and write in one writer job under the partner's lock, so two concurrent edits
 * cannot lose each other, on one node or several; a new parent also takes the lock of the
 * program's parents, so two crossing parents cannot both pass the loop check. */
static int partner_update_op(struct store *s, struct api_write *w)
{
    struct partner_write *pw = w->op_arg;
    struct arena *a = w->call->req->arena;
    const char *id = w->call->path_params[0];
    if (store_lock(s, "partner", id, NULL, &w->err) < 0)
        return -1;
    int rc = partner_load(s, id, a, &pw->p, &w->err);
    if (rc == 0 && json_object_get(w->call->body, "parent_id") &&
        store_lock(s, "parents", pw->p.program_id, NULL, &w->err) < 0)
        return -1;
    if (rc == 0)
        rc = program_load(s, pw->p.program_id, a, &pw->program, &w->err);
    if (rc != 0) {
        if (rc > 0)
            snprintf(w->err.param, sizeof w->err.param, "id");
        return -1;
    }
    pw->old_status = pw->p.status;
    if (partner_apply_json(w->call, s, pw, &w->err) < 0)
        return -1;
    return partner_write_op(s, w);
}

void api_partners_update(struct api_call *call)
{
    struct partner_write *pw = arena_calloc(call->req->arena, sizeof *pw);
    api_submit_write(call, partner_update_op, pw);
}

/* Answers one partner as JSON; shared with /api/v1/me. */
json_t *api_partner_json(struct api_call *call, const char *partner_id, struct pd_err *err)
{
    struct partner p;
    struct program prog;
    int rc = partner_load(call->db, partner_id, call->req->arena, &p, err);
    if (rc == 0)
        rc = program_load(call->db, p.program_id, call->req->arena, &prog, err);
    if (rc != 0) {
        if (rc > 0)
            snprintf(err->param, sizeof err->param, "id");
        return NULL;
    }
    return partner_to_json(call->db, &p, prog.currency->code, call->app->cfg.public_url, err);
}

void api_reply_partner(struct api_call *call, const char *partner_id)
{
    struct pd_err err = {0};
    json_t *o = api_partner_json(call, partner_id, &err);
    if (!o) {
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, o);
}

void api_partners_get(struct api_call *call)
{
    api_reply_partner(call, call->path_params[0]);
}

static json_t *partner_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    struct partner p;
    struct program prog;
    if (partner_load(call->db, store_col_text(cur, 0), call->req->arena, &p, err) != 0 ||
        program_load(call->db, p.program_id, call->req->arena, &prog, err) != 0)
        return NULL;
    return partner_to_json(call->db, &p, prog.currency->code, call->app->cfg.public_url, err);
}

void api_partners_list(struct api_call *call)
{
    api_reply_list(call, &api_list_partners, NULL, partner_row);
}
