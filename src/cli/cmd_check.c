/* partnerd check: verifies every ledger invariant (app/invariants.h) and the rollups; exits
 * non-zero with a readable report when one fails. */
#include <stdio.h>
#include <string.h>

#include "app/invariants.h"
#include "cli/cli.h"
#include "util/banned.h"

static const char usage[] =
    "usage: partnerd check [--db URL]\n"
    "\n"
    "Checks the ledger: every entry belongs to a partner and its program's currency, each\n"
    "commission's entries sum to its current amount in the bucket its status says, nothing is\n"
    "paid beyond what was approved, order ids and commissions are unique, refunds add up, the\n"
    "report rollups equal the raw clicks, conversions and commissions (each on the row it\n"
    "belongs to), balance rows equal the ledger, and no amount passes 10^15 nor any balance,\n"
    "rollup row or payout total 2^53 - 1. Sums cannot overflow. Exit status 0 when all hold.\n";

int cmd_check(int argc, char **argv)
{
    struct app_config cfg;
    if (cli_wants_help(argc, argv, usage))
        return 0;
    if (config_load(&cfg, &argc, argv, usage) < 0)
        return 2;
    if (argc > 1) {
        fprintf(stderr, "partnerd check: unknown argument %s\n%s", argv[1], usage);
        return 2;
    }
    struct store *s = cli_open_store(&cfg, true);
    if (!s)
        return 1;
    struct invariant_report r;
    invariants_check(s, stdout, &r);
    store_close(s);
    return r.failed || r.errors ? 1 : 0;
}
