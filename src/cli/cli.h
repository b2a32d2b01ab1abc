/* Subcommands: one file each, dispatched from main.c through commands[]. */
#ifndef PD_CLI_CLI_H
#define PD_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "app/app.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

extern const struct command commands[];

/* Configuration: defaults < config file < PARTNERD_* environment < flags. Recognised flags are
 * removed from argv (argc updated); what remains are the command's own arguments. Returns 0, or
 * -1 after printing why (unknown flag, bad value). */
int config_load(struct app_config *cfg, int *argc, char **argv, const char *usage);
/* true when argv holds --help or -h (then the usage was printed). */
bool cli_wants_help(int argc, char **argv, const char *usage);

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
/* Hidden: `partnerd serve --print-routes` prints every route serve answers, one "METHOD PATTERN"
 * line each, for the test that holds the OpenAPI document to them. */
int cmd_serve_print_routes(void);
int cmd_check(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_payouts(int argc, char **argv);
int cmd_approve_due(int argc, char **argv);
int cmd_backup(int argc, char **argv);

/* Opens the database and checks the schema is there (migrations applied). */
struct store *cli_open_store(const struct app_config *cfg, bool read_only);
/* The installation's click fingerprint key (settings, written by init): 0, or -1 when missing or
 * malformed. */
int cli_load_fingerprint_key(struct store *s, uint8_t key[16]);

#endif
