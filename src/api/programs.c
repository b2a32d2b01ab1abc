/* /api/v1/programs */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/fields.h"
#include "app/paypal_records.h"
#include "app/records.h"
#include "core/ids.h"
#include "core/payout_method.h"
#include "core/rules_json.h"
#include "core/slug.h"
#include "core/url.h"
#include "util/banned.h"

static const char *const program_fields[] = {
    "name", "currency", "allowed_hosts", "default_url", "click_param", "attribution_window_days",
    "hold_days", "min_payout", "model", "lifetime", "recurring_months", "parent_bps",
    "parent_levels", "monthly_cap", "rules", "postback_enabled", "slug", "description", "terms",
    "auto_approve", "payout_debtor", "paypal", NULL};

struct program_write {
    struct program p;
    char *allowed_hosts_json;
    char *rules_json;
    bool creating;
    struct paypal_settings_patch paypal; /* src/api/paypal.c */
};

static bool valid_click_param(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

/* The setters below see the write being built and the request's arena. */
struct program_apply {
    struct program_write *pw;
    struct arena *a;
};

static int set_currency(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct program_apply *c = ctx;
    if (!c->pw->creating)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "currency",
                          "a program's currency cannot change");
    c->pw->p.currency = currency_find(v->s);
    if (!c->pw->p.currency)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "currency",
                          "currency must be an ISO 4217 code such as USD");
    return 0;
}

/* Lower-cases the host patterns and keeps their JSON text for the store. */
static int set_allowed_hosts(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct program_apply *c = ctx;
    struct program *p = &c->pw->p;
    json_t *hosts = v->json;
    if (!json_is_array(hosts) || json_array_size(hosts) == 0 || json_array_size(hosts) > 100)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "allowed_hosts",
                          "allowed_hosts must be a list of 1 to 100 host names");
    p->nallowed_hosts = json_array_size(hosts);
    p->allowed_hosts = arena_alloc(c->a, p->nallowed_hosts * sizeof *p->allowed_hosts);
    json_t *canon = json_array();
    for (size_t k = 0; k < p->nallowed_hosts; k++) {
        json_t *h = json_array_get(hosts, k);
        if (!json_is_string(h) || !url_valid_host_pattern(json_string_value(h))) {
            json_decref(canon);
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "allowed_hosts",
                              "allowed_hosts[%zu] is not a host name", k);
        }
        char *lower = arena_strdup(c->a, json_string_value(h));
        for (char *ch = lower; *ch; ch++)
            *ch = (char)(*ch >= 'A' && *ch <= 'Z' ? *ch + 32 : *ch);
        p->allowed_hosts[k] = lower;
        json_array_append_new(canon, json_string(lower));
    }
    char *text = json_dumps(canon, JSON_COMPACT);
    json_decref(canon);
    c->pw->allowed_hosts_json = arena_strdup(c->a, text);
    free(text);
    return 0;
}

/* Checked every time: a change of allowed_hosts alone must still cover the default URL. */
static int set_default_url(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct program *p = &((struct program_apply *)ctx)->pw->p;
    if (v->given)
        p->default_url = v->s;
    struct url_parts u;
    if (!url_parse(p->default_url, &u))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "default_url",
                          "default_url must be an absolute http or https URL");
    if (!url_host_allowed(u.host, p->allowed_hosts, p->nallowed_hosts))
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "default_url",
                          "default_url's host %s is not in allowed_hosts", u.host);
    return 0;
}

static int set_click_param(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    if (!valid_click_param(v->s))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "click_param",
                          "click_param must be 1 to 32 letters, digits, '_' or '-'");
    ((struct program_apply *)ctx)->pw->p.click_param = v->s;
    return 0;
}

static int set_model(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct program *p = &((struct program_apply *)ctx)->pw->p;
    if (strcmp(v->s, "last_click") == 0)
        p->model = ATTR_LAST_CLICK;
    else if (strcmp(v->s, "first_click") == 0)
        p->model = ATTR_FIRST_CLICK;
    else
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "model",
                          "model must be last_click or first_click");
    return 0;
}

/* Stores the rules in canonical form; a change of the text starts a new rules version. */
static int set_rules(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct program_apply *c = ctx;
    struct program *p = &c->pw->p;
    json_t *given = v->json ? json_incref(v->json) : json_array();
    struct ruleset rs;
    int rc = rules_from_json(given, c->a, &rs, err);
    json_decref(given);
    if (rc < 0)
        return -1;
    json_t *canon = rules_to_json(&rs);
    char *text = json_dumps(canon, JSON_COMPACT);
    json_decref(canon);
    if (!p->rules_json || strcmp(text, p->rules_json) != 0)
        p->rules.version++;
    p->rules_json = arena_strdup(c->a, text);
    free(text);
    return 0;
}

/* The account SEPA files debit: validated and kept canonical; null removes it. */
static int set_payout_debtor(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    struct program_apply *c = ctx;
    if (v->null || json_is_null(v->json)) {
        c->pw->p.payout_debtor_json = NULL;
        return 0;
    }
    json_t *canon = payout_debtor_canonical(v->json, err);
    if (!canon)
        return -1;
    char *text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(canon);
    c->pw->p.payout_debtor_json = arena_strdup(c->a, text);
    free(text);
    return 0;
}

/* Absent keeps the current state; enabling draws a token once, disabling drops it. */
static int set_postback_enabled(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    (void)err;
    struct program_apply *c = ctx;
    struct program *p = &c->pw->p;
    bool postback = v->given ? v->b : p->postback_token != NULL;
    if (postback && !p->postback_token) {
        char token[33];
        id_random_token(token, 32);
        token[32] = '\0';
        p->postback_token = arena_strdup(c->a, token);
    } else if (!postback) {
        p->postback_token = NULL;
    }
    return 0;
}

static int set_paypal(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    return api_paypal_settings_parse(v->json, &((struct program_apply *)ctx)->pw->paypal, err);
}

/* signup: the public page's address */
static int set_slug(void *ctx, const struct api_field_value *v, struct pd_err *err)
{
    if (!slug_valid(v->s))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "slug",
                          "slug must be 2 to %d lower-case letters, digits and single '-' inside, "
                          "e.g. acme-partners",
                          SLUG_MAX);
    ((struct program_apply *)ctx)->pw->p.slug = v->s;
    return 0;
}

#define AT(member) .offset = offsetof(struct program, member)
/* In the order the checks run: default_url comes after allowed_hosts, which it must match. */
static const struct api_field program_field_table[] = {
    {"name", API_FIELD_STRING, API_FIELD_GIVEN, .required = true, .max = 200, AT(name)},
    {"currency", API_FIELD_STRING, API_FIELD_GIVEN, .required = true, .max = 3,
     .set = set_currency},
    {"allowed_hosts", API_FIELD_JSON, API_FIELD_GIVEN_OR_CREATING, .set = set_allowed_hosts},
    {"default_url", API_FIELD_STRING, API_FIELD_ALWAYS, .required = true, .max = 2048,
     .set = set_default_url},
    {"click_param", API_FIELD_STRING, API_FIELD_GIVEN, .max = 32, .set = set_click_param},
    {"attribution_window_days", API_FIELD_INT, API_FIELD_GIVEN, .min = 1, .max = 3650,
     AT(attribution_window_days)},
    {"hold_days", API_FIELD_INT, API_FIELD_GIVEN, .min = 0, .max = 3650, AT(hold_days)},
    {"min_payout", API_FIELD_INT64, API_FIELD_GIVEN, .min = 0, .max = INT64_MAX / 4,
     AT(min_payout)},
    {"model", API_FIELD_STRING, API_FIELD_GIVEN, .max = 20, .set = set_model},
    {"lifetime", API_FIELD_BOOL, API_FIELD_GIVEN, AT(lifetime)},
    {"recurring_months", API_FIELD_INT, API_FIELD_GIVEN, .nullable = true, .min = 1, .max = 1200,
     AT(recurring_months)},
    {"parent_bps", API_FIELD_INT, API_FIELD_GIVEN, .min = 0, .max = 10000, AT(parent_bps)},
    {"parent_levels", API_FIELD_INT, API_FIELD_GIVEN, .min = 1, .max = PARENT_LEVELS_MAX,
     AT(parent_levels)},
    {"monthly_cap", API_FIELD_INT64, API_FIELD_GIVEN, .nullable = true, .min = 0,
     .max = INT64_MAX / 4, AT(monthly_cap)},
    {"rules", API_FIELD_JSON, API_FIELD_GIVEN_OR_CREATING, .set = set_rules},
    {"postback_enabled", API_FIELD_BOOL, API_FIELD_ALWAYS, .set = set_postback_enabled},
    {"slug", API_FIELD_STRING, API_FIELD_GIVEN, .max = SLUG_MAX, .set = set_slug},
    {"description", API_FIELD_STRING, API_FIELD_GIVEN, .max = 5000, AT(description)},
    {"terms", API_FIELD_STRING, API_FIELD_GIVEN, .max = 20000, AT(terms)},
    {"auto_approve", API_FIELD_BOOL, API_FIELD_GIVEN, AT(auto_approve)},
    {"payout_debtor", API_FIELD_JSON, API_FIELD_GIVEN, .nullable = true, .set = set_payout_debtor},
    {"paypal", API_FIELD_JSON, API_FIELD_GIVEN, .set = set_paypal},
    {.name = NULL},
};
#undef AT

/* Applies the JSON fields onto pw->p (defaults already there) and validates the result. */
static int program_apply_json(struct api_call *call, struct program_write *pw, struct pd_err *err)
{
    struct program_apply ctx = {pw, call->req->arena};
    if (api_check_fields(call->body, program_fields, err) < 0)
        return -1;
    return api_fields_apply(call->body, program_field_table, pw->creating, &pw->p, &ctx, err);
}

static int program_write_op(struct store *s, struct api_write *w)
{
    struct program_write *pw = w->op_arg;
    struct program *p = &pw->p;
    p->updated_at = w->call->now_ms;
    if (pw->creating) {
        char id[ID_MAX_LEN];
        id_new(id, sizeof id, "prg_", (uint64_t)w->call->now_ms);
        p->id = arena_strdup(w->call->req->arena, id);
        p->created_at = w->call->now_ms;
    }
    if (program_slug_claim(s, p, w->call->req->arena, &w->err) < 0 ||
        program_save(s, p, pw->allowed_hosts_json, pw->creating, &w->err) < 0 ||
        paypal_settings_apply(s, p->id, &pw->paypal, p->updated_at, &w->err) < 0)
        return -1;
    w->status = pw->creating ? 201 : 200;
    w->result = program_to_json(p);
    return api_program_add_paypal(s, w->result, &w->err);
}

void api_programs_create(struct api_call *call)
{
    struct program_write *pw = arena_calloc(call->req->arena, sizeof *pw);
    struct program *p = &pw->p;
    pw->creating = true;
    p->click_param = "pd_click";
    p->attribution_window_days = 30;
    p->hold_days = 30;
    p->recurring_months = -1;
    p->parent_levels = 1;
    p->monthly_cap = -1;
    p->rules.version = 0;
    p->default_url = "";
    struct pd_err err = {0};
    if (program_apply_json(call, pw, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    api_submit_write(call, program_write_op, pw);
}

/* Read, change and write in one writer job, so two concurrent edits cannot lose each other. */
static int program_update_op(struct store *s, struct api_write *w)
{
    struct program_write *pw = w->op_arg;
    struct arena *a = w->call->req->arena;
    int rc = program_load(s, w->call->path_params[0], a, &pw->p, &w->err);
    if (rc != 0) {
        if (rc > 0)
            snprintf(w->err.param, sizeof w->err.param, "id");
        return -1;
    }
    json_t *hosts = json_array();
    for (size_t k = 0; k < pw->p.nallowed_hosts; k++)
        json_array_append_new(hosts, json_string(pw->p.allowed_hosts[k]));
    char *text = json_dumps(hosts, JSON_COMPACT);
    json_decref(hosts);
    pw->allowed_hosts_json = arena_strdup(a, text);
    free(text);
    if (program_apply_json(w->call, pw, &w->err) < 0)
        return -1;
    return program_write_op(s, w);
}

void api_programs_update(struct api_call *call)
{
    struct program_write *pw = arena_calloc(call->req->arena, sizeof *pw);
    api_submit_write(call, program_update_op, pw);
}

void api_programs_get(struct api_call *call)
{
    struct program p;
    struct pd_err err = {0};
    int rc = program_load(call->db, call->path_params[0], call->req->arena, &p, &err);
    if (rc != 0) {
        if (rc > 0)
            snprintf(err.param, sizeof err.param, "id");
        api_reply_error(call, &err);
        return;
    }
    json_t *o = program_to_json(&p);
    if (api_program_add_paypal(call->db, o, &err) < 0) {
        json_decref(o);
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, o);
}

static json_t *program_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    struct program p;
    if (program_load(call->db, store_col_text(cur, 0), call->req->arena, &p, err) != 0)
        return NULL;
    json_t *o = program_to_json(&p);
    if (api_program_add_paypal(call->db, o, err) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

void api_programs_list(struct api_call *call)
{
    api_reply_list(call, &api_list_programs, NULL, program_row);
}
