/* partnerd init: schema, installation secrets, the first admin, and the API keys (shown once). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/records.h"
#include "cli/cli.h"
#include "core/ids.h"
#include "util/timefmt.h"
#include "util/banned.h"

static const char usage[] =
    "usage: partnerd init [--db URL] [--admin-email EMAIL] [--json]\n"
    "\n"
    "Creates the schema in an empty database, the first owner's login and the merchant's API keys.\n"
    "The secret key, the publishable key and the admin password are printed once and stored\n"
    "only as hashes. --json prints one object instead of text.\n";

int cmd_init(int argc, char **argv)
{
    struct app_config cfg;
    if (cli_wants_help(argc, argv, usage))
        return 0;
    if (config_load(&cfg, &argc, argv, usage) < 0)
        return 2;
    bool json = false;
    const char *admin_email = "admin@shop.example";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--admin-email") == 0 && i + 1 < argc) {
            admin_email = argv[++i];
        } else {
            fprintf(stderr, "partnerd init: unknown argument %s\n%s", argv[i], usage);
            return 2;
        }
    }
    struct pd_err err = {0};
    struct store *s = store_open(cfg.db_url, false, &err);
    if (!s) {
        fprintf(stderr, "partnerd init: %s\n", err.message);
        return 1;
    }
    int rc = 1;
    if (store_migrate(s, &err) < 0) {
        fprintf(stderr, "partnerd init: migration %s failed: %s\n", err.param, err.message);
        goto done;
    }
    int64_t admins = 0;
    if (store_query_int(s, "SELECT COUNT(*) FROM admins", NULL, 0, 0, &admins, &err) < 0)
        goto fail;
    if (admins > 0) {
        fprintf(stderr, "partnerd init: %s is already initialised (its keys were shown when it "
                        "was created)\n", cfg.db_url);
        goto done;
    }
    int64_t now = time_now_ms();
    char secret[64], publishable[64], password[21], admin_id[ID_MAX_LEN], key_id[ID_MAX_LEN];
    char pwhash[crypto_pwhash_STRBYTES];
    unsigned char fp_key[16];
    char fp_hex[33];
    id_random_token(password, 20);
    password[20] = '\0';
    if (crypto_pwhash_str(pwhash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        fprintf(stderr, "partnerd init: out of memory hashing the password\n");
        goto done;
    }
    randombytes_buf(fp_key, sizeof fp_key);
    sodium_bin2hex(fp_hex, sizeof fp_hex, fp_key, sizeof fp_key);
    id_new(admin_id, sizeof admin_id, "adm_", (uint64_t)now);
    struct user owner = {.id = admin_id, .email = admin_email, .role = "owner", .created_at = now};
    struct db_val setting[2] = {db_text("fingerprint_key"), db_text(fp_hex)};
    if (store_begin(s, &err) < 0 ||
        store_exec(s, "INSERT INTO settings (key, value) VALUES (?1, ?2)", setting, 2, NULL,
                   &err) < 0 ||
        user_insert(s, &owner, pwhash, NULL, &err) < 0 ||
        api_key_create(s, "secret", NULL, now, secret, sizeof secret, key_id, sizeof key_id,
                       &err) < 0 ||
        api_key_create(s, "publishable", NULL, now, publishable, sizeof publishable, key_id,
                       sizeof key_id, &err) < 0 ||
        store_commit(s, &err) < 0) {
        store_rollback(s);
        goto fail;
    }
    if (json) {
        printf("{\"secret_key\":\"%s\",\"publishable_key\":\"%s\",\"admin_email\":\"%s\","
               "\"admin_password\":\"%s\"}\n",
               secret, publishable, admin_email, password);
    } else {
        printf("partnerd initialised %s\n\n"
               "  secret key       %s\n"
               "  publishable key  %s\n"
               "  admin login      %s / %s\n\n"
               "These are shown once; partnerd keeps only their hashes.\n",
               cfg.db_url, secret, publishable, admin_email, password);
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "partnerd init: %s\n", err.message);
done:
    store_close(s);
    return rc;
}

int cmd_migrate(int argc, char **argv)
{
    static const char migrate_usage[] =
        "usage: partnerd migrate [--db URL]\n\nApplies the schema migrations not yet applied.\n";
    struct app_config cfg;
    if (cli_wants_help(argc, argv, migrate_usage))
        return 0;
    if (config_load(&cfg, &argc, argv, migrate_usage) < 0)
        return 2;
    if (argc > 1) {
        fprintf(stderr, "partnerd migrate: unknown argument %s\n%s", argv[1], migrate_usage);
        return 2;
    }
    struct pd_err err = {0};
    struct store *s = store_open_existing(cfg.db_url, false, &err);
    if (!s) {
        fprintf(stderr, "partnerd migrate: %s\n", err.message);
        return 1;
    }
    int n = store_migrate(s, &err);
    if (n < 0)
        fprintf(stderr, "partnerd migrate: migration %s failed: %s\n", err.param, err.message);
    else
        printf("applied %d migration(s); schema version %d\n", n, store_schema_version(s));
    store_close(s);
    return n < 0 ? 1 : 0;
}
