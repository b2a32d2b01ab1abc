/* A program's commission in plain words for its public page: the rate or flat amount of each
 * rule that applies to every partner, and the sales it applies to. Pure. */
#ifndef PD_CORE_RULES_WORDS_H
#define PD_CORE_RULES_WORDS_H

#include <stddef.h>

#include "core/commission.h"
#include "core/money.h"

/* One phrase per rule that applies to every partner (rules for one partner or one group are
 * private and left out), joined with "; ". "The commission is not set yet." without any.
 * Truncated to outlen. */
void rules_words(const struct ruleset *rs, const struct currency *cur, char *out, size_t outlen);

#endif
