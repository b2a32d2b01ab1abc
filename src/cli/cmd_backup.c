/* partnerd backup FILE: a consistent copy of a running SQLite database (VACUUM INTO reads one
 * snapshot, so the server keeps serving). PostgreSQL has pg_dump for that. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/invariants.h"
#include "cli/cli.h"
#include "util/banned.h"

static const char usage[] =
    "usage: partnerd backup [--db URL] FILE\n"
    "\n"
    "Writes a consistent copy of the SQLite database to FILE (which must not exist) while partnerd\n"
    "keeps running, then checks the copy's ledger invariants. For PostgreSQL use pg_dump.\n";

int cmd_backup(int argc, char **argv)
{
    struct app_config cfg;
    if (cli_wants_help(argc, argv, usage))
        return 0;
    if (config_load(&cfg, &argc, argv, usage) < 0)
        return 2;
    if (argc != 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *file = argv[1];
    if (strncmp(cfg.db_url, "postgres", 8) == 0) {
        fprintf(stderr, "partnerd backup: %s is PostgreSQL; back it up with pg_dump\n",
                cfg.db_url);
        return 2;
    }
    if (access(file, F_OK) == 0) {
        fprintf(stderr, "partnerd backup: %s exists; choose a new file\n", file);
        return 1;
    }
    if (strchr(file, '\'')) {
        fprintf(stderr, "partnerd backup: the file name must not contain a quote\n");
        return 2;
    }
    struct store *s = cli_open_store(&cfg, false);
    if (!s)
        return 1;
    char sql[4200];
    snprintf(sql, sizeof sql, "VACUUM INTO '%s'", file);
    struct pd_err err = {0};
    int rc = s->ops->exec_script(s, sql, &err);
    store_close(s);
    if (rc < 0) {
        fprintf(stderr, "partnerd backup: %s\n", err.message);
        return 1;
    }
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", file);
    struct store *copy = store_open(url, true, &err);
    if (!copy) {
        fprintf(stderr, "partnerd backup: cannot open the copy: %s\n", err.message);
        return 1;
    }
    struct invariant_report r;
    invariants_check(copy, NULL, &r);
    store_close(copy);
    if (r.failed || r.errors) {
        fprintf(stderr, "partnerd backup: the copy fails %d invariant(s); run partnerd check\n",
                r.failed + r.errors);
        return 1;
    }
    printf("backed up %s to %s (%d invariants hold)\n", cfg.db_url, file, r.checked);
    return 0;
}
