/* Every setting is a config-file key, a PARTNERD_* variable and a --flag; the last one wins. */
#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/email_render.h" /* email */
#include "store/store.h"
#include "util/banned.h"

struct setting {
    const char *key; /* file key and flag name (--key); env PARTNERD_KEY */
    enum { TEXT, INT } type;
    size_t offset, size;
};

#define TEXT_SETTING(k, field)                                                                     \
    {                                                                                              \
        k, TEXT, offsetof(struct app_config, field), sizeof(((struct app_config *)0)->field)       \
    }
#define INT_SETTING(k, field)                                                                      \
    {                                                                                              \
        k, INT, offsetof(struct app_config, field), sizeof(int)                                    \
    }

static const struct setting settings[] = {
    TEXT_SETTING("db", db_url),
    TEXT_SETTING("listen", listen),
    TEXT_SETTING("public_url", public_url),
    INT_SETTING("workers", workers),
    INT_SETTING("write_batch", write_batch),
    INT_SETTING("writers", writers),
    INT_SETTING("approve_interval", approve_interval),
    INT_SETTING("click_retention_days", click_retention_days),
    INT_SETTING("click_rate_limit", click_rate_limit),
    INT_SETTING("click_queue_max", click_queue_max),
    INT_SETTING("body_memory_max", body_memory_max),
    INT_SETTING("webhook_retry_base_ms", webhook_retry_base_ms), /* webhooks */
    INT_SETTING("webhook_poll_ms", webhook_poll_ms),             /* webhooks */
    INT_SETTING("webhook_retention_days", webhook_retention_days),
    TEXT_SETTING("webhook_ca_file", webhook_ca_file), /* webhooks */
    TEXT_SETTING("trusted_proxies", trusted_proxies),
    TEXT_SETTING("bot_list_file", bot_list_file),
    INT_SETTING("postback_allow_private", postback_allow_private), /* webhooks */
    INT_SETTING("webhook_allow_private", webhook_allow_private),   /* webhooks */
    TEXT_SETTING("metrics_token", metrics_token),
    TEXT_SETTING("smtp_url", smtp_url), /* email */
    TEXT_SETTING("smtp_from", smtp_from),
    TEXT_SETTING("smtp_user", smtp_user),
    TEXT_SETTING("smtp_password", smtp_password),
    INT_SETTING("smtp_timeout_ms", smtp_timeout_ms),
    INT_SETTING("smtp_retry_base_ms", smtp_retry_base_ms),
    INT_SETTING("smtp_max_attempts", smtp_max_attempts),
    INT_SETTING("email_digest_interval", email_digest_interval),
    INT_SETTING("email_retention_days", email_retention_days), /* end email */
    INT_SETTING("paypal_poll_ms", paypal_poll_ms),             /* paypal */
    INT_SETTING("paypal_retry_base_ms", paypal_retry_base_ms), /* paypal */
    INT_SETTING("paypal_timeout_ms", paypal_timeout_ms),       /* paypal */
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static int set_value(struct app_config *cfg, const struct setting *s, const char *value,
                     const char *source)
{
    char *field = (char *)cfg + s->offset;
    if (s->type == TEXT) {
        if (strlen(value) >= s->size) {
            fprintf(stderr, "partnerd: %s: %s is too long\n", source, s->key);
            return -1;
        }
        snprintf(field, s->size, "%s", value);
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || !*value || *end || v < 0 || v > 100000) {
        fprintf(stderr, "partnerd: %s: %s must be a whole number\n", source, s->key);
        return -1;
    }
    *(int *)field = (int)v;
    return 0;
}

static const struct setting *find_setting(const char *key, size_t len)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strlen(settings[i].key) == len && strncmp(settings[i].key, key, len) == 0)
            return &settings[i];
    return NULL;
}

static int load_file(struct app_config *cfg, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "partnerd: cannot read config file %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        char *eq = strchr(p, '=');
        char where[2100];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (!eq) {
            fprintf(stderr, "partnerd: %s: expected key = value\n", where);
            rc = -1;
            break;
        }
        char *kend = eq;
        while (kend > p && (kend[-1] == ' ' || kend[-1] == '\t'))
            kend--;
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vlen = strlen(v);
        while (vlen && (v[vlen - 1] == '\n' || v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
            v[--vlen] = '\0';
        const struct setting *s = find_setting(p, (size_t)(kend - p));
        if (!s) {
            fprintf(stderr, "partnerd: %s: unknown key %.*s\n", where, (int)(kend - p), p);
            rc = -1;
            break;
        }
        rc = set_value(cfg, s, v, where);
    }
    fclose(f);
    return rc;
}

/* The email settings hang together: an SMTP URL needs a sender and the public URL the emails'
 * links point at. */
static int check_smtp(const struct app_config *cfg)
{
    if (!cfg->smtp_url[0])
        return 0;
    const char *why = NULL;
    if (strncmp(cfg->smtp_url, "smtp://", 7) != 0 && strncmp(cfg->smtp_url, "smtps://", 8) != 0)
        why = "smtp_url must start with smtp:// or smtps://";
    else if (!cfg->public_url[0])
        why = "smtp_url needs public_url: the links in emails point there";
    else if (!email_address_ok(cfg->smtp_from))
        why = "smtp_url needs smtp_from, the sending address (name@example.com)";
    else if (cfg->smtp_max_attempts < 1)
        why = "smtp_max_attempts must be at least 1";
    if (why)
        fprintf(stderr, "partnerd: %s\n", why);
    return why ? -1 : 0;
}

bool cli_wants_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return true;
        }
    }
    return false;
}

int config_load(struct app_config *cfg, int *argc, char **argv, const char *usage)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->db_url, sizeof cfg->db_url, "sqlite:partnerd.db");
    snprintf(cfg->listen, sizeof cfg->listen, "127.0.0.1:8080");
    cfg->write_batch = 1024;
    cfg->writers = 2;
    cfg->approve_interval = 60;
    cfg->click_retention_days = 400;
    cfg->click_rate_limit = 60;
    cfg->click_queue_max = 100000;
    cfg->body_memory_max = 64;
    cfg->webhook_retry_base_ms = 30000; /* webhooks */
    cfg->webhook_poll_ms = 1000;        /* webhooks */
    cfg->webhook_retention_days = 30;
    cfg->smtp_timeout_ms = 30000; /* email */
    cfg->smtp_retry_base_ms = 60000;
    cfg->smtp_max_attempts = 8;
    cfg->email_digest_interval = 86400;
    cfg->email_retention_days = 90;
    cfg->paypal_poll_ms = 1000;        /* paypal */
    cfg->paypal_retry_base_ms = 30000; /* paypal */
    cfg->paypal_timeout_ms = 30000;    /* paypal */

    /* The config file first, wherever it is named. */
    const char *file = getenv("PARTNERD_CONFIG");
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < *argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file && *file && load_file(cfg, file) < 0)
        return -1;

    for (size_t i = 0; i < NSETTINGS; i++) {
        char env[64];
        snprintf(env, sizeof env, "PARTNERD_");
        size_t n = strlen(env);
        for (const char *k = settings[i].key; *k && n < sizeof env - 1; k++)
            env[n++] = (char)(*k >= 'a' && *k <= 'z' ? *k - 32 : *k);
        env[n] = '\0';
        const char *v = getenv(env);
        if (v && *v && set_value(cfg, &settings[i], v, env) < 0)
            return -1;
    }

    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            argv[out++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : NULL;
        bool is_config = len == 6 && strncmp(name, "config", 6) == 0;
        const struct setting *s = is_config ? NULL : find_setting(name, len);
        if (!s && !is_config) {
            argv[out++] = argv[i]; /* the command's own flag */
            continue;
        }
        if (!value) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "partnerd: --%.*s needs a value\n%s", (int)len, name, usage);
                return -1;
            }
            value = argv[++i];
        }
        if (s) {
            char where[80];
            snprintf(where, sizeof where, "--%s", s->key);
            if (set_value(cfg, s, value, where) < 0)
                return -1;
        }
    }
    *argc = out;
    argv[out] = NULL;
    if (check_smtp(cfg) < 0)
        return -1;
    if (!cfg->public_url[0])
        snprintf(cfg->public_url, sizeof cfg->public_url, "http://%s", cfg->listen);
    size_t pl = strlen(cfg->public_url);
    while (pl > 0 && cfg->public_url[pl - 1] == '/')
        cfg->public_url[--pl] = '\0';
    return 0;
}

struct store *cli_open_store(const struct app_config *cfg, bool read_only)
{
    struct pd_err err = {0};
    struct store *s = store_open_existing(cfg->db_url, read_only, &err);
    if (!s) {
        fprintf(stderr, "partnerd: %s\n", err.message);
        return NULL;
    }
    if (store_schema_version(s) < 1) {
        fprintf(stderr, "partnerd: %s has no partnerd schema; run `partnerd init --db %s` first\n",
                cfg->db_url, cfg->db_url);
        store_close(s);
        return NULL;
    }
    return s;
}

int cli_load_fingerprint_key(struct store *s, uint8_t key[16])
{
    struct pd_err err = {0};
    struct store_cursor cur;
    struct db_val k = db_text("fingerprint_key");
    if (store_query_row(s, "SELECT value FROM settings WHERE key = ?1", &k, 1, &cur, &err) !=
        STORE_ROW)
        return -1;
    size_t len = 0;
    int rc = sodium_hex2bin(key, 16, store_col_text(&cur, 0), 32, NULL, &len, NULL);
    store_finish(&cur);
    return rc == 0 && len == 16 ? 0 : -1;
}
