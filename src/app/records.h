/* Loading the records every operation needs (a program with its rules, a partner), and the
 * answers' JSON shapes, shared by the API and the command-line tools. Memory comes from the
 * caller's arena. */
#ifndef PD_APP_RECORDS_H
#define PD_APP_RECORDS_H

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
    int parent_levels;    /* how many ancestors earn parent_bps of the level below */
    int64_t monthly_cap;  /* per partner per calendar month; < 0: none */
    const char *rules_json;
    struct ruleset rules;
    int64_t created_at, updated_at;
};

struct partner {
    const char *id, *program_id, *email, *name, *ref_code, *parent_id, *group, *status;
    const char *payout_method, *postback_url; /* JSON text or NULL */
    int64_t created_at, updated_at;
};

/* 0 found, 1 not found (err filled with PD_ERR_NOT_FOUND naming param), -1 store error. */
int program_load(struct store *s, const char *id, struct arena *a, struct program *out,
                 struct pd_err *err);
/* The program a request means: its program_id, or the only program when there is exactly one. */
int program_resolve(struct store *s, const char *program_id, struct arena *a, struct program *out,
                    struct pd_err *err);
int partner_load(struct store *s, const char *id, struct arena *a, struct partner *out,
                 struct pd_err *err);

json_t *program_to_json(const struct program *p);
/* With balance: sums the partner's ledger entries. */
json_t *partner_to_json(struct store *s, const struct partner *p, const char *currency,
                        const char *public_url, struct pd_err *err);
int partner_balance(struct store *s, const char *partner_id, int64_t *pending, int64_t *approved,
                    int64_t *paid, struct pd_err *err);

/* Copies a text column into the arena; NULL for SQL NULL. */
const char *col_dup(struct arena *a, struct store_cursor *cur, int col);
/* RFC 3339 string for a millisecond time. */
json_t *json_time(int64_t ms);
/* Money as JSON integer. */
json_t *json_money(int64_t minor);
/* The string, or JSON null for NULL. */
json_t *json_str_or_null(const char *s);

#endif

/* Writes shared by the API and the command-line tools. */
/* Inserts (creating) or updates a program; p->allowed_hosts_json is the canonical list. */
int program_save(struct store *s, const struct program *p, const char *allowed_hosts_json,
                 bool creating, struct pd_err *err);
/* Keeps the rules of p->rules.version in rule_versions (once per version). */
int program_save_rule_version(struct store *s, const struct program *p, int64_t now,
                              struct pd_err *err);
/* The rules JSON text of a program's version, or NULL. */
const char *program_rules_at(struct store *s, const char *program_id, int version,
                             struct arena *a, struct pd_err *err);
/* Creates an API key of kind "secret", "publishable" or "partner"; writes the key (shown once)
 * into key (≥ 64 bytes). Only its hash is stored. */
int api_key_create(struct store *s, const char *kind, const char *partner_id, int64_t now,
                   char *key, size_t keylen, char *key_id, size_t idlen, struct pd_err *err);
/* Revokes a partner's key from now on (refused at once on every node: partner keys are never
 * cached). */
int api_key_revoke(struct store *s, const char *key_id, const char *partner_id, int64_t now,
                   struct pd_err *err);
