/* The program's "rules" JSON (README "How it works", Commission rules) to and from struct
 * ruleset. */
#ifndef PD_CORE_RULES_JSON_H
#define PD_CORE_RULES_JSON_H

#include <jansson.h>

#include "core/commission.h"
#include "util/arena.h"
#include "util/err.h"

/* Validates and converts; strings and arrays live in the arena. Errors name the param, e.g.
 * "rules[1].bps". Limits: ≤ 100 rules, ≤ 20 tiers, bps 0..10000 (percent), amounts ≥ 0. */
int rules_from_json(const json_t *rules, struct arena *a, struct ruleset *out, struct pd_err *err);
/* Canonical JSON for storing and answering (new reference). */
json_t *rules_to_json(const struct ruleset *rs);

#endif
