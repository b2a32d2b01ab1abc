/* The ledger's invariants (README "How it works", Ledger), as queries that return the rows
 * breaking them. Used by `partnerd check` and by the tests after every operation. */
#ifndef PD_APP_INVARIANTS_H
#define PD_APP_INVARIANTS_H

#include <stdio.h>

#include "store/store.h"

struct invariant_report {
    int checked, failed, errors;
};

/* Runs every invariant; writes a readable line per invariant (and up to 20 offending rows) to out
 * when out is not NULL. Returns 0 when all hold. */
int invariants_check(struct store *s, FILE *out, struct invariant_report *r);

#endif
