/* The "rules" JSON of a program ↔ struct ruleset.
 *
 * Shape (each key optional unless said):
 *   [{"id":"shoes", "type":"percent"|"flat"|"lead" (required),
 *     "bps":1000 | "tiers":[{"from":0,"bps":1000},...]   (percent: exactly one of the two)
 *     "amount":500                                        (flat, lead: required)
 *     "match":{"partner_id","group","sku","category": strings, "first_purchase": bool,
 *              "min_amount": integer}}]
 * A wrong JSON type or an unknown key is 400 (bad_request): the client sent something we cannot
 * read, often a typo ("bsp"), which must not silently become a default rule. A well-formed value
 * out of range or a contradiction (two rules with one id, tiers out of order) is 422. A null
 * optional value means "absent". */
#include "core/rules_json.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

#define RULES_MAX 100
#define TIERS_MAX 20
#define RULE_ID_MAX 64
#define RULE_STRING_MAX 255
#define BPS_MAX 10000

/* Limits on amounts: well inside int64 so sums of many commissions cannot overflow. */
#define AMOUNT_MAX INT64_C(1000000000000000) /* 10^15 minor units */

struct parse {
    struct arena *arena;
    struct pd_err *err;
    char param[64];
};

/* Sets p->param to e.g. "rules[1].bps" ("rules[1]" + suffix). */
static const char *param_at(struct parse *p, size_t index, const char *suffix)
{
    snprintf(p->param, sizeof p->param, "rules[%zu]%s", index, suffix);
    return p->param;
}

static bool key_allowed(const char *key, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(key, *allowed) == 0)
            return true;
    return false;
}

/* Refuses keys outside `allowed` (a NULL-terminated list). prefix is e.g. "rules[0]." */
static int check_keys(struct parse *p, const json_t *obj, const char *prefix,
                      const char *const *allowed)
{
    const char *key;
    json_t *value;
    void *iter_obj = (void *)obj; /* json_object_foreach takes a non-const object */
    json_object_foreach(iter_obj, key, value)
    {
        (void)value;
        if (!key_allowed(key, allowed)) {
            char param[64];
            snprintf(param, sizeof param, "%s%s", prefix, key);
            return pd_err_set(p->err, PD_ERR_BAD_REQUEST, param, "unknown key \"%.40s\"", key);
        }
    }
    return 0;
}

static int get_integer(struct parse *p, const json_t *v, const char *param, int64_t min,
                       int64_t max, int64_t *out)
{
    if (!json_is_integer(v))
        return pd_err_set(p->err, PD_ERR_BAD_REQUEST, param, "%s must be an integer", param);
    json_int_t n = json_integer_value(v);
    if (n < min || n > max)
        return pd_err_set(p->err, PD_ERR_UNPROCESSABLE, param, "%s must be between %lld and %lld",
                          param, (long long)min, (long long)max);
    *out = (int64_t)n;
    return 0;
}

/* A string of 1..max bytes without NUL; NULL (absent) for JSON null or a missing key. */
static int get_string(struct parse *p, const json_t *v, const char *param, size_t max,
                      const char **out)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return pd_err_set(p->err, PD_ERR_BAD_REQUEST, param, "%s must be a string", param);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0 || len > max || strlen(s) != len)
        return pd_err_set(p->err, PD_ERR_UNPROCESSABLE, param,
                          "%s must be 1 to %zu characters without NUL", param, max);
    *out = arena_strndup(p->arena, s, len);
    return 0;
}

static bool id_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

static int parse_tiers(struct parse *p, const json_t *tiers, size_t ri, struct rule *r)
{
    if (!json_is_array(tiers))
        return pd_err_set(p->err, PD_ERR_BAD_REQUEST, param_at(p, ri, ".tiers"),
                          "tiers must be an array");
    size_t n = json_array_size(tiers);
    if (n == 0 || n > TIERS_MAX)
        return pd_err_set(p->err, PD_ERR_UNPROCESSABLE, param_at(p, ri, ".tiers"),
                          "tiers must hold 1 to %d tiers", TIERS_MAX);
    r->tiers = arena_calloc(p->arena, n * sizeof *r->tiers);
    r->ntiers = n;
    static const char *const tier_keys[] = {"from", "bps", NULL};
    for (size_t t = 0; t < n; t++) {
        const json_t *tier = json_array_get(tiers, t);
        char prefix[48], param[64];
        snprintf(prefix, sizeof prefix, "rules[%zu].tiers[%zu]", ri, t);
        if (!json_is_object(tier))
            return pd_err_set(p->err, PD_ERR_BAD_REQUEST, prefix, "a tier must be an object");
        snprintf(param, sizeof param, "%s.", prefix);
        if (check_keys(p, tier, param, tier_keys) != 0)
            return -1;
        snprintf(param, sizeof param, "%s.from", prefix);
        if (get_integer(p, json_object_get(tier, "from"), param, 0, AMOUNT_MAX, &r->tiers[t].from))
            return -1;
        if (t > 0 && r->tiers[t].from <= r->tiers[t - 1].from)
            return pd_err_set(p->err, PD_ERR_UNPROCESSABLE, param,
                              "tiers must be in increasing order of from");
        snprintf(param, sizeof param, "%s.bps", prefix);
        if (get_integer(p, json_object_get(tier, "bps"), param, 0, BPS_MAX, &r->tiers[t].bps))
            return -1;
    }
    return 0;
}

static int parse_match(struct parse *p, const json_t *match, size_t ri, struct rule *r)
{
    r->match = (struct rule_match){.first_purchase = -1, .min_amount = -1};
    if (!match || json_is_null(match))
        return 0;
    if (!json_is_object(match))
        return pd_err_set(p->err, PD_ERR_BAD_REQUEST, param_at(p, ri, ".match"),
                          "match must be an object");
    static const char *const match_keys[] = {"partner_id",     "group",      "sku", "category",
                                             "first_purchase", "min_amount", NULL};
    char prefix[32];
    snprintf(prefix, sizeof prefix, "rules[%zu].match.", ri);
    if (check_keys(p, match, prefix, match_keys) != 0)
        return -1;
    if (get_string(p, json_object_get(match, "partner_id"), param_at(p, ri, ".match.partner_id"),
                   RULE_STRING_MAX, &r->match.partner_id) ||
        get_string(p, json_object_get(match, "group"), param_at(p, ri, ".match.group"),
                   RULE_STRING_MAX, &r->match.group) ||
        get_string(p, json_object_get(match, "sku"), param_at(p, ri, ".match.sku"), RULE_STRING_MAX,
                   &r->match.sku) ||
        get_string(p, json_object_get(match, "category"), param_at(p, ri, ".match.category"),
                   RULE_STRING_MAX, &r->match.category))
        return -1;
    const json_t *fp = json_object_get(match, "first_purchase");
    if (fp && !json_is_null(fp)) {
        if (!json_is_boolean(fp))
            return pd_err_set(p->err, PD_ERR_BAD_REQUEST, param_at(p, ri, ".match.first_purchase"),
                              "first_purchase must be true or false");
        r->match.first_purchase = json_is_true(fp) ? 1 : 0;
    }
    const json_t *min = json_object_get(match, "min_amount");
    if (min && !json_is_null(min) &&
        get_integer(p, min, param_at(p, ri, ".match.min_amount"), 0, AMOUNT_MAX,
                    &r->match.min_amount))
        return -1;
    if (r->type == RULE_LEAD) {
        /* A lead carries no order: these filters could never match and would hide a mistake. */
        const char *useless = r->match.sku                   ? "sku"
                              : r->match.category            ? "category"
                              : r->match.first_purchase >= 0 ? "first_purchase"
                              : r->match.min_amount >= 0     ? "min_amount"
                                                             : NULL;
        if (useless) {
            char param[64];
            snprintf(param, sizeof param, "rules[%zu].match.%s", ri, useless);
            return pd_err_set(p->err, PD_ERR_UNPROCESSABLE, param,
                              "match.%s does not apply to a lead rule", useless);
        }
    }
    return 0;
}

static int parse_rule(struct parse *p, const json_t *obj, size_t ri, struct rule *r)
{
    if (!json_is_object(obj))
        return pd_err_set(p->err, PD_ERR_BAD_REQUEST, param_at(p, ri, ""),
                          "a rule must be an object");
    static const char *const rule_keys[] = {"id", "type", "bps", "tiers", "amount", "match", NULL};
    char prefix[32];
    snprintf(prefix, sizeof prefix, "rules[%zu].", ri);
    if (check_keys(p, obj, prefix, rule_keys) != 0)
        return -1;

    if (get_string(p, json_object_get(obj, "id"), param_at(p, ri, ".id"), RULE_ID_MAX, &r->id))
        return -1;
    if (r->id) {
        for (const char *c = r->id; *c; c++)
            if (!id_char_ok(*c))
                return pd_err_set(p->err, PD_ERR_UNPROCESSABLE, param_at(p, ri, ".id"),
                                  "id may hold only letters, digits, '_', '-' and '.'");
    } else {
        r->id = arena_sprintf(p->arena, "r%zu", ri);
    }

    const json_t *type = json_object_get(obj, "type");
    if (!type)
        return pd_err_set(p->err, PD_ERR_BAD_REQUEST, param_at(p, ri, ".type"), "type is required");
    const char *type_name = json_string_value(type);
    if (!type_name)
        return pd_err_set(p->err, PD_ERR_BAD_REQUEST, param_at(p, ri, ".type"),
                          "type must be a string");
    if (strcmp(type_name, "percent") == 0)
        r->type = RULE_PERCENT;
    else if (strcmp(type_name, "flat") == 0)
        r->type = RULE_FLAT;
    else if (strcmp(type_name, "lead") == 0)
        r->type = RULE_LEAD;
    else
        return pd_err_set(p->err, PD_ERR_UNPROCESSABLE, param_at(p, ri, ".type"),
                          "type must be percent, flat or lead");

    const json_t *bps = json_object_get(obj, "bps");
    const json_t *tiers = json_object_get(obj, "tiers");
    const json_t *amount = json_object_get(obj, "amount");
    if (r->type == RULE_PERCENT) {
        if (amount)
            return pd_err_set(p->err, PD_ERR_UNPROCESSABLE, param_at(p, ri, ".amount"),
                              "a percent rule takes bps or tiers, not amount");
        if (!bps == !tiers)
            return pd_err_set(p->err, PD_ERR_UNPROCESSABLE, param_at(p, ri, ".bps"),
                              "a percent rule takes exactly one of bps and tiers");
        if (bps && get_integer(p, bps, param_at(p, ri, ".bps"), 0, BPS_MAX, &r->bps))
            return -1;
        if (tiers && parse_tiers(p, tiers, ri, r))
            return -1;
    } else {
        const char *stray = bps ? ".bps" : tiers ? ".tiers" : NULL;
        if (stray)
            return pd_err_set(p->err, PD_ERR_UNPROCESSABLE, param_at(p, ri, stray),
                              "a %s rule takes amount, not %s", type_name, stray + 1);
        if (!amount)
            return pd_err_set(p->err, PD_ERR_BAD_REQUEST, param_at(p, ri, ".amount"),
                              "amount is required for a %s rule", type_name);
        if (get_integer(p, amount, param_at(p, ri, ".amount"), 0, AMOUNT_MAX, &r->amount))
            return -1;
    }
    return parse_match(p, json_object_get(obj, "match"), ri, r);
}

int rules_from_json(const json_t *rules, struct arena *a, struct ruleset *out, struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    struct parse p = {.arena = a, .err = err};
    if (!json_is_array(rules))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "rules", "rules must be an array");
    size_t n = json_array_size(rules);
    if (n > RULES_MAX)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "rules", "at most %d rules", RULES_MAX);
    struct rule *parsed = n ? arena_calloc(a, n * sizeof *parsed) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (parse_rule(&p, json_array_get(rules, i), i, &parsed[i]) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(parsed[j].id, parsed[i].id) == 0)
                return pd_err_set(err, PD_ERR_UNPROCESSABLE, param_at(&p, i, ".id"),
                                  "rules[%zu] already has the id \"%s\"", j, parsed[i].id);
    }
    out->rules = parsed;
    out->nrules = n;
    return 0;
}

/* json_object_set_new that remembers a failure, so rules_to_json checks once at the end. */
static void set_field(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (!value || json_object_set_new(obj, key, value) != 0)
        *ok = false;
}

static const char *rule_type_name(enum rule_type t)
{
    switch (t) {
    case RULE_FLAT:
        return "flat";
    case RULE_LEAD:
        return "lead";
    case RULE_PERCENT:
        break;
    }
    return "percent";
}

static json_t *match_to_json(const struct rule_match *m, bool *ok)
{
    if (!m->partner_id && !m->group && !m->sku && !m->category && m->first_purchase < 0 &&
        m->min_amount < 0)
        return NULL;
    json_t *obj = json_object();
    if (!obj) {
        *ok = false;
        return NULL;
    }
    if (m->partner_id)
        set_field(obj, "partner_id", json_string(m->partner_id), ok);
    if (m->group)
        set_field(obj, "group", json_string(m->group), ok);
    if (m->sku)
        set_field(obj, "sku", json_string(m->sku), ok);
    if (m->category)
        set_field(obj, "category", json_string(m->category), ok);
    if (m->first_purchase >= 0)
        set_field(obj, "first_purchase", json_boolean(m->first_purchase), ok);
    if (m->min_amount >= 0)
        set_field(obj, "min_amount", json_integer(m->min_amount), ok);
    return obj;
}

json_t *rules_to_json(const struct ruleset *rs)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    bool ok = true;
    for (size_t i = 0; i < rs->nrules && ok; i++) {
        const struct rule *r = &rs->rules[i];
        json_t *obj = json_object();
        if (!obj || json_array_append_new(arr, obj) != 0) {
            ok = false;
            break;
        }
        if (r->id)
            set_field(obj, "id", json_string(r->id), &ok);
        set_field(obj, "type", json_string(rule_type_name(r->type)), &ok);
        if (r->type == RULE_PERCENT && r->ntiers > 0) {
            json_t *tiers = json_array();
            for (size_t t = 0; tiers && t < r->ntiers; t++) {
                json_t *tier = json_object();
                if (!tier || json_array_append_new(tiers, tier) != 0) {
                    ok = false;
                    break;
                }
                set_field(tier, "from", json_integer(r->tiers[t].from), &ok);
                set_field(tier, "bps", json_integer(r->tiers[t].bps), &ok);
            }
            set_field(obj, "tiers", tiers, &ok);
        } else if (r->type == RULE_PERCENT) {
            set_field(obj, "bps", json_integer(r->bps), &ok);
        } else {
            set_field(obj, "amount", json_integer(r->amount), &ok);
        }
        json_t *match = match_to_json(&r->match, &ok);
        if (match)
            set_field(obj, "match", match, &ok);
    }
    if (!ok) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}
