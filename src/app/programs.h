/* The program record: loading it with its parsed rules, its JSON, and its writes (the programs and
 * rule_versions tables), shared by the API and the command-line tools. Memory comes from the
 * caller's arena. */
#ifndef PD_APP_PROGRAMS_H
#define PD_APP_PROGRAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/attribution.h"
#include "core/commission.h"
#include "core/money.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

/* The most ancestors a program may pay (its parent_levels). */
#define PARENT_LEVELS_MAX 10

struct program {
    const char *id, *name, *default_url, *click_param, *postback_token;
    const struct currency *currency;
    const char **allowed_hosts;
    size_t nallowed_hosts;
    int attribution_window_days, hold_days;
    int64_t min_payout;
    enum attr_model model;
    bool lifetime;
    int recurring_months; /* -1: no limit */
    int parent_bps;
    int parent_levels;   /* how many ancestors earn parent_bps of the level below */
    int64_t monthly_cap; /* per partner per calendar month; < 0: none */
    const char *rules_json;
    const char *payout_debtor_json; /* {name, iban, bic?} canonical JSON, or NULL */
    struct ruleset rules;
    int64_t created_at, updated_at;
    /* signup: the public page /join/{slug}; applications are approved at once with auto_approve */
    const char *slug, *description, *terms;
    bool auto_approve;
};

/* 0 found, 1 not found (err filled with PD_ERR_NOT_FOUND naming param), -1 store error. */
int program_load(struct store *s, const char *id, struct arena *a, struct program *out,
                 struct pd_err *err);
/* program_load, and in the same statement nextra more values: `extra`, SQL expressions over ?1
 * (the program's id) and ?2 (param2), read as text into extra_out (SQL NULL as NULL). One round
 * trip where a hot path would take two. */
int program_load_with(struct store *s, const char *id, const char *extra, const char *param2,
                      int nextra, struct arena *a, struct program *out, const char **extra_out,
                      struct pd_err *err);
/* The program a request means: its program_id, or the only program when there is exactly one. */
int program_resolve(struct store *s, const char *program_id, struct arena *a, struct program *out,
                    struct pd_err *err);

json_t *program_to_json(const struct program *p);

/* Inserts (creating) or updates a program; p->allowed_hosts_json is the canonical list. */
int program_save(struct store *s, const struct program *p, const char *allowed_hosts_json,
                 bool creating, struct pd_err *err);
/* Keeps the rules of p->rules.version in rule_versions (once per version). */
int program_save_rule_version(struct store *s, const struct program *p, int64_t now,
                              struct pd_err *err);
/* signup: the program whose public page is /join/{slug}; 0 found, 1 none, -1 store error. */
int program_load_by_slug(struct store *s, const char *slug, struct arena *a, struct program *out,
                         struct pd_err *err);
/* signup: gives p a slug from its name when it has none (with "-2", "-3"… when taken), or checks
 * that its own is not another program's (STORE_CONSTRAINT, err 409 on "slug"). Inside the writer
 * job that saves p. */
int program_slug_claim(struct store *s, struct program *p, struct arena *a, struct pd_err *err);

/* The rules JSON text of a program's version, or NULL. */
const char *program_rules_at(struct store *s, const char *program_id, int version, struct arena *a,
                             struct pd_err *err);

#endif
