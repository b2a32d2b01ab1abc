/* partnerd: dispatches to a subcommand in src/cli/. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/banned.h"

/* Read by jemalloc before main (CMakeLists.txt links it into this binary; with glibc's malloc it is
 * an unused string). One arena per CPU, and freed pages returned to the system within a quarter
 * of a second by jemalloc's own background thread, so the server's RSS follows its live data and
 * no request thread pays for the returns (bench/README.md). MALLOC_CONF in the environment
 * overrides it. */
const char *malloc_conf =
    "percpu_arena:percpu,background_thread:true,dirty_decay_ms:250,muzzy_decay_ms:0";

const struct command commands[] = {
    {"serve", cmd_serve, "serve the tracking links, the API and the dashboards"},
    {"init", cmd_init, "create the schema, the first admin and the API keys"},
    {"migrate", cmd_migrate, "apply schema migrations"},
    {"check", cmd_check, "verify the ledger invariants"},
    {"backup", cmd_backup, "write a consistent copy of a SQLite database"},
    {"demo", cmd_demo, "fill a new database with a demo program"},
    {"approve-due", cmd_approve_due, "approve commissions whose hold period has passed"},
    {"payouts", cmd_payouts, "payouts run --period YYYY-MM: batch and export a payout"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: partnerd <command> [options]\n\ncommands:\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\n`partnerd <command> --help` describes a command's options;"
               " `partnerd --version` prints the version.\n");
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fputs("partnerd: libsodium failed to initialise\n", stderr);
        return 1;
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("partnerd %s\n", PD_VERSION);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "serve") == 0 && strcmp(argv[2], "--print-routes") == 0)
        return cmd_serve_print_routes(); /* hidden: for the OpenAPI document's test */
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "partnerd: unknown command %s\n", argv[1]);
    usage(stderr);
    return 2;
}
