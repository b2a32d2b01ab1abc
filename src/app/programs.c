/* The program record: loading it (with its parsed rules), its JSON, and its writes (the programs
 * and rule_versions tables). */
#include "app/programs.h"

#include <stdio.h>
#include <string.h>

#include "app/fields.h"
#include "core/rules_json.h"
#include "core/slug.h"
#include "util/banned.h"

#define PROGRAM_COLUMNS                                                                            \
    "id, name, currency, allowed_hosts, default_url, click_param, attribution_window_days,"        \
    " hold_days, min_payout, model, lifetime, recurring_months, parent_bps, rules,"                \
    " rules_version, postback_token, created_at, updated_at, parent_levels, monthly_cap,"          \
    " slug, description, terms, auto_approve, payout_debtor"
#define PROGRAM_NCOLS 25

static int program_from_row(struct store_cursor *cur, struct arena *a, struct program *p,
                            struct pd_err *err)
{
    memset(p, 0, sizeof *p);
    p->id = col_dup(a, cur, 0);
    p->name = col_dup(a, cur, 1);
    p->currency = currency_find(store_col_text(cur, 2));
    const char *hosts = store_col_text(cur, 3);
    p->default_url = col_dup(a, cur, 4);
    p->click_param = col_dup(a, cur, 5);
    p->attribution_window_days = (int)store_col_int(cur, 6);
    p->hold_days = (int)store_col_int(cur, 7);
    p->min_payout = store_col_int(cur, 8);
    p->model =
        strcmp(store_col_text(cur, 9), "first_click") == 0 ? ATTR_FIRST_CLICK : ATTR_LAST_CLICK;
    p->lifetime = store_col_int(cur, 10) != 0;
    p->recurring_months = store_is_null(cur, 11) ? -1 : (int)store_col_int(cur, 11);
    p->parent_bps = (int)store_col_int(cur, 12);
    p->rules_json = col_dup(a, cur, 13);
    p->rules.version = (int)store_col_int(cur, 14);
    p->postback_token = col_dup(a, cur, 15);
    p->created_at = store_col_int(cur, 16);
    p->updated_at = store_col_int(cur, 17);
    p->parent_levels = (int)store_col_int(cur, 18);
    p->monthly_cap = store_is_null(cur, 19) ? -1 : store_col_int(cur, 19);
    p->slug = col_dup(a, cur, 20);
    p->description = col_dup(a, cur, 21);
    p->terms = col_dup(a, cur, 22);
    p->auto_approve = store_col_int(cur, 23) != 0;
    p->payout_debtor_json = store_is_null(cur, 24) ? NULL : col_dup(a, cur, 24);
    if (!p->currency)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "program %s has an unknown currency", p->id);

    json_t *h = json_loads(hosts, 0, NULL);
    if (!json_is_array(h)) {
        json_decref(h);
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "program %s: bad allowed_hosts", p->id);
    }
    p->nallowed_hosts = json_array_size(h);
    p->allowed_hosts = arena_alloc(a, (p->nallowed_hosts + 1) * sizeof *p->allowed_hosts);
    for (size_t i = 0; i < p->nallowed_hosts; i++)
        p->allowed_hosts[i] = arena_strdup(a, json_string_value(json_array_get(h, i)));
    json_decref(h);

    json_t *rules = json_loads(p->rules_json, 0, NULL);
    int version = p->rules.version;
    int rc = rules ? rules_from_json(rules, a, &p->rules, err) : -1;
    json_decref(rules);
    p->rules.version = version;
    if (rc < 0)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "program %s: stored rules are invalid",
                          p->id);
    return 0;
}

/* The program's row, and with `extra` (nextra SQL expressions over ?1, the program's id, and ?2
 * = param2) their values as text into extra_out (NULL stays NULL). */
static int load_row(struct store *s, const char *id, const char *extra, const char *param2,
                    int nextra, struct arena *a, struct program *out, const char **extra_out,
                    struct pd_err *err)
{
    /* Without extra, a string literal: the statement cache finds it by its address. */
    static const char plain[] = "SELECT " PROGRAM_COLUMNS " FROM programs WHERE id = ?1";
    char with_extra[1024];
    if (extra)
        snprintf(with_extra, sizeof with_extra,
                 "SELECT " PROGRAM_COLUMNS ", %s FROM programs WHERE id = ?1", extra);
    struct db_val p[2] = {db_text(id), db_text(param2)};
    struct store_cursor cur;
    int rc = store_query_row(s, extra ? with_extra : plain, p, extra ? 2 : 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "program_id", "no program %s", id);
        return 1;
    }
    rc = program_from_row(&cur, a, out, err);
    for (int i = 0; extra && i < nextra; i++)
        extra_out[i] = col_dup(a, &cur, PROGRAM_NCOLS + i);
    store_finish(&cur);
    return rc;
}

int program_load(struct store *s, const char *id, struct arena *a, struct program *out,
                 struct pd_err *err)
{
    return load_row(s, id, NULL, NULL, 0, a, out, NULL, err);
}

int program_load_with(struct store *s, const char *id, const char *extra, const char *param2,
                      int nextra, struct arena *a, struct program *out, const char **extra_out,
                      struct pd_err *err)
{
    return load_row(s, id, extra, param2, nextra, a, out, extra_out, err);
}

int program_resolve(struct store *s, const char *program_id, struct arena *a, struct program *out,
                    struct pd_err *err)
{
    if (program_id)
        return program_load(s, program_id, a, out, err);
    struct store_cursor cur;
    int rc = store_query(s, "SELECT " PROGRAM_COLUMNS " FROM programs ORDER BY id LIMIT 2", NULL, 0,
                         &cur, err);
    if (rc < 0)
        return -1;
    int rows = 0;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        if (++rows == 1 && program_from_row(&cur, a, out, err) < 0) {
            store_finish(&cur);
            return -1;
        }
    }
    store_finish(&cur);
    if (rc < 0)
        return -1;
    if (rows == 1)
        return 0;
    pd_err_set(err, rows == 0 ? PD_ERR_NOT_FOUND : PD_ERR_BAD_REQUEST, "program_id",
               rows == 0 ? "no program exists yet" : "program_id is required");
    return 1;
}

json_t *program_to_json(const struct program *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(p->id));
    json_object_set_new(o, "object", json_string("program"));
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "currency", json_string(p->currency->code));
    json_t *hosts = json_array();
    for (size_t i = 0; i < p->nallowed_hosts; i++)
        json_array_append_new(hosts, json_string(p->allowed_hosts[i]));
    json_object_set_new(o, "allowed_hosts", hosts);
    json_object_set_new(o, "default_url", json_string(p->default_url));
    json_object_set_new(o, "click_param", json_string(p->click_param));
    json_object_set_new(o, "attribution_window_days", json_integer(p->attribution_window_days));
    json_object_set_new(o, "hold_days", json_integer(p->hold_days));
    json_object_set_new(o, "min_payout", pd_json_money(p->min_payout));
    json_object_set_new(o, "model",
                        json_string(p->model == ATTR_FIRST_CLICK ? "first_click" : "last_click"));
    json_object_set_new(o, "lifetime", json_boolean(p->lifetime));
    json_object_set_new(o, "recurring_months",
                        p->recurring_months < 0 ? json_null() : json_integer(p->recurring_months));
    json_object_set_new(o, "parent_bps", json_integer(p->parent_bps));
    json_object_set_new(o, "parent_levels", json_integer(p->parent_levels));
    json_object_set_new(o, "monthly_cap",
                        p->monthly_cap < 0 ? json_null() : json_integer(p->monthly_cap));
    json_object_set_new(o, "rules", json_loads(p->rules_json, 0, NULL));
    json_object_set_new(o, "rules_version", json_integer(p->rules.version));
    json_object_set_new(o, "postback_enabled", json_boolean(p->postback_token != NULL));
    json_object_set_new(o, "postback_token", pd_json_str_or_null(p->postback_token));
    json_object_set_new(o, "slug", pd_json_str_or_null(p->slug));
    json_object_set_new(o, "description", json_string(p->description ? p->description : ""));
    json_object_set_new(o, "terms", json_string(p->terms ? p->terms : ""));
    json_object_set_new(o, "auto_approve", json_boolean(p->auto_approve));
    json_t *debtor = p->payout_debtor_json ? json_loads(p->payout_debtor_json, 0, NULL) : NULL;
    json_object_set_new(o, "payout_debtor", debtor ? debtor : json_null());
    json_object_set_new(o, "created", pd_json_time(p->created_at));
    json_object_set_new(o, "updated", pd_json_time(p->updated_at));
    return o;
}

/* signup: the public page's slug (program_save, program_slug_claim) */

/* 1 when another program than p has slug. */
static int slug_taken(struct store *s, const struct program *p, const char *slug,
                      struct pd_err *err)
{
    struct db_val v[2] = {db_text(slug), db_text(p->id)};
    int64_t n = 0;
    if (store_query_int(s, "SELECT COUNT(*) FROM programs WHERE slug = ?1 AND id <> ?2", v, 2, 0,
                        &n, err) < 0)
        return -1;
    return n > 0;
}

/* A free slug from p's name into slug. */
static int slug_pick(struct store *s, const struct program *p, char slug[SLUG_MAX + 1],
                     struct pd_err *err)
{
    char base[SLUG_MAX + 1];
    slug_from_name(p->name, base, sizeof base);
    snprintf(slug, SLUG_MAX + 1, "%s", base);
    for (int k = 2; k < 1000; k++) {
        int taken = slug_taken(s, p, slug, err);
        if (taken <= 0)
            return taken < 0 ? STORE_ERROR : 0;
        char suffix[8];
        int sl = snprintf(suffix, sizeof suffix, "-%d", k);
        size_t keep = strlen(base) + (size_t)sl > SLUG_MAX ? SLUG_MAX - (size_t)sl : strlen(base);
        while (keep > 0 && base[keep - 1] == '-')
            keep--;
        snprintf(slug, SLUG_MAX + 1, "%.*s%s", (int)keep, base, suffix);
    }
    pd_err_set(err, PD_ERR_CONFLICT, "slug", "choose a slug: the name's is taken");
    return STORE_CONSTRAINT;
}

int program_save(struct store *s, const struct program *p, const char *allowed_hosts_json,
                 bool creating, struct pd_err *err)
{
    struct db_val v[20] = {
        db_text(p->id),
        db_text(p->name),
        db_text(p->currency->code),
        db_text(allowed_hosts_json),
        db_text(p->default_url),
        db_text(p->click_param),
        db_int(p->attribution_window_days),
        db_int(p->hold_days),
        db_int(p->min_payout),
        db_text(p->model == ATTR_FIRST_CLICK ? "first_click" : "last_click"),
        db_int(p->lifetime),
        p->recurring_months < 0 ? db_null() : db_int(p->recurring_months),
        db_int(p->parent_bps),
        db_text(p->rules_json),
        db_int(p->rules.version),
        db_text(p->postback_token),
        db_int(p->created_at),
        db_int(p->updated_at),
        db_int(p->parent_levels),
        p->monthly_cap < 0 ? db_null() : db_int(p->monthly_cap),
    };
    const char *sql =
        creating
            ? "INSERT INTO programs (id, name, currency, allowed_hosts, default_url, click_param,"
              " attribution_window_days, hold_days, min_payout, model, lifetime, recurring_months,"
              " parent_bps, rules, rules_version, postback_token, created_at, updated_at,"
              " parent_levels, monthly_cap)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
              " ?17, ?18, ?19, ?20)"
            : "UPDATE programs SET name = ?2, currency = ?3, allowed_hosts = ?4,"
              " default_url = ?5, click_param = ?6, attribution_window_days = ?7,"
              " hold_days = ?8, min_payout = ?9, model = ?10, lifetime = ?11,"
              " recurring_months = ?12, parent_bps = ?13, rules = ?14, rules_version = ?15,"
              " postback_token = ?16, created_at = ?17, updated_at = ?18, parent_levels = ?19,"
              " monthly_cap = ?20 WHERE id = ?1";
    if (store_exec(s, sql, v, 20, NULL, err) < 0)
        return -1;
    /* signup: the public page's fields; a program saved without a slug (a tool's) gets one */
    char picked[SLUG_MAX + 1];
    if (!p->slug && slug_pick(s, p, picked, err) < 0)
        return -1;
    struct db_val sv[5] = {db_text(p->id), db_text(p->slug ? p->slug : picked),
                           db_text(p->description ? p->description : ""),
                           db_text(p->terms ? p->terms : ""), db_int(p->auto_approve)};
    if (store_exec(s,
                   "UPDATE programs SET slug = ?2, description = ?3, terms = ?4, auto_approve = ?5"
                   " WHERE id = ?1",
                   sv, 5, NULL, err) < 0)
        return -1;
    /* payouts: the account SEPA files debit */
    struct db_val dv[2] = {db_text(p->id), db_text(p->payout_debtor_json)};
    if (store_exec(s, "UPDATE programs SET payout_debtor = ?2 WHERE id = ?1", dv, 2, NULL, err) < 0)
        return -1;
    return program_save_rule_version(s, p, p->updated_at, err);
}

int program_save_rule_version(struct store *s, const struct program *p, int64_t now,
                              struct pd_err *err)
{
    struct db_val v[4] = {db_text(p->id), db_int(p->rules.version), db_text(p->rules_json),
                          db_int(now)};
    return store_exec(s,
                      "INSERT INTO rule_versions (program_id, version, rules, created_at)"
                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (program_id, version) DO NOTHING",
                      v, 4, NULL, err);
}

const char *program_rules_at(struct store *s, const char *program_id, int version, struct arena *a,
                             struct pd_err *err)
{
    struct db_val v[2] = {db_text(program_id), db_int(version)};
    struct store_cursor cur;
    if (store_query_row(s, "SELECT rules FROM rule_versions WHERE program_id = ?1 AND version = ?2",
                        v, 2, &cur, err) != STORE_ROW)
        return NULL;
    const char *rules = col_dup(a, &cur, 0);
    store_finish(&cur);
    return rules;
}

/* ---- signup: the public page's slug ------------------------------------------------------- */

int program_load_by_slug(struct store *s, const char *slug, struct arena *a, struct program *out,
                         struct pd_err *err)
{
    struct db_val p = db_text(slug);
    struct store_cursor cur;
    int rc = store_query_row(s, "SELECT " PROGRAM_COLUMNS " FROM programs WHERE slug = ?1", &p, 1,
                             &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "slug", "no program has the page /join/%.64s", slug);
        return 1;
    }
    rc = program_from_row(&cur, a, out, err);
    store_finish(&cur);
    return rc;
}

int program_slug_claim(struct store *s, struct program *p, struct arena *a, struct pd_err *err)
{
    if (p->slug) {
        int taken = slug_taken(s, p, p->slug, err);
        if (taken > 0)
            pd_err_set(err, PD_ERR_CONFLICT, "slug", "another program already has the slug %s",
                       p->slug);
        return taken < 0 ? STORE_ERROR : taken ? STORE_CONSTRAINT : 0;
    }
    char slug[SLUG_MAX + 1];
    int rc = slug_pick(s, p, slug, err);
    if (rc == 0)
        p->slug = arena_strdup(a, slug);
    return rc;
}
