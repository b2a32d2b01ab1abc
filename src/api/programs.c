/* /api/v1/programs */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/records.h"
#include "core/ids.h"
#include "core/rules_json.h"
#include "core/url.h"
#include "util/banned.h"

static const char *const program_fields[] = {
    "name", "currency", "allowed_hosts", "default_url", "click_param", "attribution_window_days",
    "hold_days", "min_payout", "model", "lifetime", "recurring_months", "parent_bps",
    "parent_levels", "monthly_cap", "rules", "postback_enabled", NULL};

struct program_write {
    struct program p;
    char *allowed_hosts_json;
    char *rules_json;
    bool creating;
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

/* Applies the JSON fields onto pw->p (defaults already there) and validates the result. */
static int program_apply_json(struct api_call *call, struct program_write *pw, struct pd_err *err)
{
    json_t *b = call->body;
    struct program *p = &pw->p;
    struct arena *a = call->req->arena;
    const char *s;
    int64_t i;
    if (api_check_fields(b, program_fields, err) < 0)
        return -1;
    if (api_get_string(b, "name", pw->creating, 200, &s, err) < 0)
        return -1;
    if (s)
        p->name = s;
    if (api_get_string(b, "currency", pw->creating, 3, &s, err) < 0)
        return -1;
    if (s) {
        if (!pw->creating)
            return pd_err_set(err, PD_ERR_UNPROCESSABLE, "currency",
                              "a program's currency cannot change");
        p->currency = currency_find(s);
        if (!p->currency)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "currency",
                              "currency must be an ISO 4217 code such as USD");
    }
    json_t *hosts = json_object_get(b, "allowed_hosts");
    if (hosts || pw->creating) {
        if (!json_is_array(hosts) || json_array_size(hosts) == 0 || json_array_size(hosts) > 100)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "allowed_hosts",
                              "allowed_hosts must be a list of 1 to 100 host names");
        p->nallowed_hosts = json_array_size(hosts);
        p->allowed_hosts = arena_alloc(a, p->nallowed_hosts * sizeof *p->allowed_hosts);
        json_t *canon = json_array();
        for (size_t k = 0; k < p->nallowed_hosts; k++) {
            json_t *h = json_array_get(hosts, k);
            if (!json_is_string(h) || !url_valid_host_pattern(json_string_value(h))) {
                json_decref(canon);
                return pd_err_set(err, PD_ERR_BAD_REQUEST, "allowed_hosts",
                                  "allowed_hosts[%zu] is not a host name", k);
            }
            char *lower = arena_strdup(a, json_string_value(h));
            for (char *c = lower; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
            p->allowed_hosts[k] = lower;
            json_array_append_new(canon, json_string(lower));
        }
        char *text = json_dumps(canon, JSON_COMPACT);
        json_decref(canon);
        pw->allowed_hosts_json = arena_strdup(a, text);
        free(text);
    }
    if (api_get_string(b, "default_url", pw->creating, 2048, &s, err) < 0)
        return -1;
    if (s)
        p->default_url = s;
    struct url_parts u;
    if (!url_parse(p->default_url, &u))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "default_url",
                          "default_url must be an absolute http or https URL");
    if (!url_host_allowed(u.host, p->allowed_hosts, p->nallowed_hosts))
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "default_url",
                          "default_url's host %s is not in allowed_hosts", u.host);
    if (api_get_string(b, "click_param", false, 32, &s, err) < 0)
        return -1;
    if (s) {
        if (!valid_click_param(s))
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "click_param",
                              "click_param must be 1 to 32 letters, digits, '_' or '-'");
        p->click_param = s;
    }
    i = p->attribution_window_days;
    if (api_get_int(b, "attribution_window_days", false, 1, 3650, &i, err) < 0)
        return -1;
    p->attribution_window_days = (int)i;
    i = p->hold_days;
    if (api_get_int(b, "hold_days", false, 0, 3650, &i, err) < 0)
        return -1;
    p->hold_days = (int)i;
    if (api_get_int(b, "min_payout", false, 0, INT64_MAX / 4, &p->min_payout, err) < 0)
        return -1;
    if (api_get_string(b, "model", false, 20, &s, err) < 0)
        return -1;
    if (s) {
        if (strcmp(s, "last_click") == 0)
            p->model = ATTR_LAST_CLICK;
        else if (strcmp(s, "first_click") == 0)
            p->model = ATTR_FIRST_CLICK;
        else
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "model",
                              "model must be last_click or first_click");
    }
    if (api_get_bool(b, "lifetime", &p->lifetime, err) < 0)
        return -1;
    json_t *rm = json_object_get(b, "recurring_months");
    if (rm && json_is_null(rm)) {
        p->recurring_months = -1;
    } else if (rm) {
        if (api_get_int(b, "recurring_months", false, 1, 1200, &i, err) < 0)
            return -1;
        p->recurring_months = (int)i;
    }
    i = p->parent_bps;
    if (api_get_int(b, "parent_bps", false, 0, 10000, &i, err) < 0)
        return -1;
    p->parent_bps = (int)i;
    i = p->parent_levels;
    if (api_get_int(b, "parent_levels", false, 1, PARENT_LEVELS_MAX, &i, err) < 0)
        return -1;
    p->parent_levels = (int)i;
    json_t *cap = json_object_get(b, "monthly_cap");
    if (cap && json_is_null(cap))
        p->monthly_cap = -1;
    else if (cap && api_get_int(b, "monthly_cap", false, 0, INT64_MAX / 4, &p->monthly_cap, err) < 0)
        return -1;
    json_t *rules = json_object_get(b, "rules");
    if (rules || pw->creating) {
        json_t *given = rules ? json_incref(rules) : json_array();
        struct ruleset rs;
        int rc = rules_from_json(given, a, &rs, err);
        json_decref(given);
        if (rc < 0)
            return -1;
        json_t *canon = rules_to_json(&rs);
        char *text = json_dumps(canon, JSON_COMPACT);
        json_decref(canon);
        if (!p->rules_json || strcmp(text, p->rules_json) != 0)
            p->rules.version++;
        p->rules_json = arena_strdup(a, text);
        free(text);
    }
    bool postback = p->postback_token != NULL;
    if (api_get_bool(b, "postback_enabled", &postback, err) < 0)
        return -1;
    if (postback && !p->postback_token) {
        char token[33];
        id_random_token(token, 32);
        token[32] = '\0';
        p->postback_token = arena_strdup(a, token);
    } else if (!postback) {
        p->postback_token = NULL;
    }
    return 0;
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
    if (program_save(s, p, pw->allowed_hosts_json, pw->creating, &w->err) < 0)
        return -1;
    w->status = pw->creating ? 201 : 200;
    w->result = program_to_json(p);
    return 0;
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
    api_reply_json(call, 200, program_to_json(&p));
}

static json_t *program_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    struct program p;
    if (program_load(call->db, store_col_text(cur, 0), call->req->arena, &p, err) != 0)
        return NULL;
    return program_to_json(&p);
}

void api_programs_list(struct api_call *call)
{
    api_reply_list(call, &api_list_programs, NULL, program_row);
}
