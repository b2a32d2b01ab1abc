/* partnerd serve: the HTTP server, the group-commit writer, and a clean stop on SIGTERM. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/click_journal.h"
#include "app/click_limit.h"
#include "core/bot_list.h"
#include "app/link_cache.h"
#include "cli/cli.h"
#include "http/http.h"
#include "jobs/scheduler.h"
#include "jobs/webhooks.h" /* webhooks */
#include "jobs/mailer.h"   /* email */
#include "jobs/paypal.h"   /* paypal */
#include "auth/auth.h"
#include "web/web.h"
#include "util/banned.h"

static const char usage[] =
    "usage: partnerd serve [--db URL] [--listen HOST:PORT] [--public_url URL] [--workers N]\n"
    "                      [--write_batch N] [--writers N] [--approve_interval SECONDS]\n"
    "                      [--click_retention_days DAYS] [--click_rate_limit PER_MINUTE]\n"
    "                      [--click_queue_max N] [--body_memory_max MIB]\n"
    "                      [--webhook_retention_days DAYS]\n"
    "                      [--trusted_proxies ADDR[/BITS],...] [--bot_list_file FILE]\n"
    "                      [--config FILE]\n"
    "                      [--webhook_retry_base_ms MS] [--webhook_poll_ms MS]\n"
    "                      [--webhook_ca_file PEM] [--postback_allow_private 0|1]\n"
    "                      [--webhook_allow_private 0|1] [--metrics_token TOKEN]\n"
    "                      [--smtp_url smtp[s]://HOST[:PORT]] [--smtp_from ADDRESS]\n"
    "                      [--smtp_user USER] [--smtp_password PASSWORD]\n"
    "                      [--smtp_timeout_ms MS] [--smtp_retry_base_ms MS]\n"
    "                      [--smtp_max_attempts N] [--email_digest_interval SECONDS]\n"
    "                      [--email_retention_days DAYS]\n"
    "                      [--paypal_poll_ms MS] [--paypal_retry_base_ms MS]\n"
    "                      [--paypal_timeout_ms MS]\n"
    "                      [--check-config]\n"
    "\n"
    "Serves the tracking links, the API and the dashboards. Every setting is also a PARTNERD_*\n"
    "variable (PARTNERD_DB, PARTNERD_LISTEN, ...) and a key in the config file; flags win over\n"
    "the environment, which wins over the file. SIGTERM or SIGINT stops after in-flight work.\n"
    "--check-config validates the settings and the database, then exits.\n";

static int split_listen(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return -1;
    const char *h = listen;
    size_t hl = (size_t)(colon - listen);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= hostlen)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

static void *worker_init(int index, void *ctx, bool *failed)
{
    struct app *app = ctx;
    struct pd_err err = {0};
    struct store *db = store_open(app->cfg.db_url, true, &err);
    if (!db) {
        fprintf(stderr, "level=error msg=\"worker cannot open the database\" error=\"%s\"\n",
                err.message);
        *failed = true;
        return NULL;
    }
    struct app_worker *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->app = app;
    w->db = db;
    w->index = index;
    return w;
}

static void worker_fini(void *worker_data, void *ctx)
{
    struct app_worker *w = worker_data;
    if (!w)
        return;
    store_close(w->db);
    free(w->journal_buf);
    free(w->keys);
    free(w);
}

/* The routes serve answers: the API's, then the dashboards'. Neither part names the other's
 * handlers; they meet only here. */
static const struct api_route_table *const serve_routes[] = {&api_routes, &web_routes, NULL};

int cmd_serve_print_routes(void)
{
    api_print_routes(stdout, serve_routes);
    return fflush(stdout) == 0 ? 0 : 1;
}

static void route_request(struct http_request *req, void *ctx)
{
    api_route(req, ctx, serve_routes);
}

static void handle_request(struct http_request *req, void *ctx)
{
    api_dispatch(req, ctx, serve_routes);
}

struct signal_waiter {
    sigset_t set;
    struct http_server *srv;
};

/* All signals are blocked in every thread; this one waits for them. */
static void *signal_main(void *arg)
{
    struct signal_waiter *sw = arg;
    for (;;) {
        int sig = 0;
        if (sigwait(&sw->set, &sig) != 0)
            continue;
        if (sig == SIGTERM || sig == SIGINT) {
            fprintf(stderr, "level=info msg=stopping signal=%s\n", sig == SIGTERM ? "TERM" : "INT");
            http_server_stop(sw->srv);
            return NULL;
        }
    }
}

#define BOT_LIST_FILE_MAX (8 << 20)

/* bot_list_file, when set: read and parsed before anything starts. */
static int load_bot_list(struct app *app)
{
    const char *path = app->cfg.bot_list_file;
    if (!path[0])
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "partnerd serve: bot_list_file %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *text = malloc(BOT_LIST_FILE_MAX + 1);
    if (!text)
        abort();
    size_t len = fread(text, 1, BOT_LIST_FILE_MAX + 1, f);
    bool read_error = ferror(f) != 0;
    fclose(f);
    char err[160];
    if (read_error || len > BOT_LIST_FILE_MAX) {
        fprintf(stderr, "partnerd serve: bot_list_file %s: %s\n", path,
                read_error ? "cannot be read" : "larger than 8 MiB");
        free(text);
        return -1;
    }
    app->bots = bot_list_parse(text, len, err, sizeof err);
    free(text);
    if (!app->bots) {
        fprintf(stderr, "partnerd serve: bot_list_file %s: %s\n", path, err);
        return -1;
    }
    fprintf(stderr, "level=info msg=\"bot list loaded\" file=%s patterns=%zu\n", path,
            bot_list_count(app->bots));
    return 0;
}

static int open_click_journal(struct app *app)
{
    struct pd_err err = {0};
    struct store *s = store_open(app->cfg.db_url, false, &err);
    if (!s) {
        fprintf(stderr, "partnerd serve: %s\n", err.message);
        return -1;
    }
    size_t replayed = 0;
    app->click_journal = click_journal_open(s, &replayed, &err);
    store_close(s);
    if (!app->click_journal && err.kind != PD_ERR_NONE) {
        fprintf(stderr, "partnerd serve: the click journal: %s\n", err.message);
        return -1;
    }
    if (replayed)
        fprintf(stderr, "level=info msg=\"clicks replayed from the journal\" count=%zu\n",
                replayed);
    return 0;
}

static void app_free(struct app *app)
{
    bot_list_free(app->bots);
    free(app);
}

/* What serve starts, in order; serve_stop stops whatever of it was started. */
struct serve {
    struct app *app;
    struct http_server_config hc;
    char host[256];
    struct signal_waiter sw;
    struct scheduler *sched;
    struct webhook_sender *hooks;
    struct mailer *mailer;
    struct paypal_sender *paypal;
    bool ran; /* the server ran (and was stopped by a signal or an error) */
};

/* The settings, the database's installation key, --check-config. -1 to go on, else the exit code
 * (nothing started). */
static int serve_configure(struct serve *sv, int argc, char **argv)
{
    struct app *app = sv->app;
    bool check_only = false;
    if (cli_wants_help(argc, argv, usage))
        return 0;
    if (config_load(&app->cfg, &argc, argv, usage) < 0)
        return 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check-config") != 0) {
            fprintf(stderr, "partnerd serve: unknown argument %s\n%s", argv[i], usage);
            return 2;
        }
        check_only = true;
    }
    if (app->cfg.body_memory_max < 1) {
        fprintf(stderr, "partnerd serve: body_memory_max must be at least 1 (MiB)\n");
        return 2;
    }
    char perr[160];
    if (proxy_list_parse(app->cfg.trusted_proxies, &app->trusted_proxies, perr, sizeof perr) < 0) {
        fprintf(stderr, "partnerd serve: %s\n", perr);
        return 2;
    }
    if (load_bot_list(app) < 0)
        return 2;
    if (split_listen(app->cfg.listen, sv->host, sizeof sv->host, &sv->hc.port) < 0) {
        fprintf(stderr, "partnerd serve: --listen must be HOST:PORT, not %s\n", app->cfg.listen);
        return 2;
    }
    struct store *s = cli_open_store(&app->cfg, true);
    if (!s)
        return 1;
    int fp = cli_load_fingerprint_key(s, app->fingerprint_key);
    store_close(s);
    if (fp < 0) {
        fprintf(stderr, "partnerd serve: the database has no installation key; run init\n");
        return 1;
    }
    if (check_only) {
        printf("configuration ok: db=%s listen=%s public_url=%s\n", app->cfg.db_url,
               app->cfg.listen, app->cfg.public_url);
        return 0;
    }
    return -1;
}

/* The HTTP server, not yet running; the links in answers then point at its real port when an
 * ephemeral one was asked. */
static int serve_http(struct serve *sv)
{
    struct app *app = sv->app;
    struct http_server_config *hc = &sv->hc;
    hc->host = sv->host;
    hc->workers = app->cfg.workers;
    http_limits_default(&hc->limits);
    hc->worker_init = worker_init;
    hc->worker_fini = worker_fini;
    hc->handler = handle_request;
    hc->head_handler = route_request;
    hc->limits.body_memory_max = (size_t)app->cfg.body_memory_max * 1024 * 1024;
    hc->ctx = app;
    char errbuf[256];
    app->http = http_server_new(hc, errbuf, sizeof errbuf);
    if (!app->http) {
        fprintf(stderr, "partnerd serve: %s\n", errbuf);
        return -1;
    }
    int port = http_server_port(app->http);
    if (strcmp(app->cfg.public_url + 7, app->cfg.listen) == 0 && hc->port == 0)
        snprintf(app->cfg.public_url, sizeof app->cfg.public_url, "http://%s:%d", sv->host, port);
    return 0;
}

/* The email outbox's sender, after the HTTP server so the digest's links know the real port. */
static int serve_mailer(struct serve *sv)
{
    const struct app_config *c = &sv->app->cfg;
    struct mailer_cfg mc = {
        .db_url = c->db_url,
        .smtp_url = c->smtp_url,
        .smtp_from = c->smtp_from,
        .smtp_user = c->smtp_user,
        .smtp_password = c->smtp_password,
        .public_url = c->public_url,
        .key = sv->app->fingerprint_key,
        .timeout_ms = c->smtp_timeout_ms,
        .retry_base_ms = c->smtp_retry_base_ms,
        .max_attempts = c->smtp_max_attempts,
        .poll_ms = c->webhook_poll_ms,
        .digest_interval_s = c->email_digest_interval,
        .retention_days = c->email_retention_days,
    };
    struct pd_err err = {0};
    sv->mailer = mailer_start(sv->app->writer, &mc, &err);
    if (!sv->mailer) {
        fprintf(stderr, "partnerd serve: cannot start the mailer: %s\n", err.message);
        return -1;
    }
    return 0;
}

/* Everything but the signal thread, in order; -1 (after saying why) leaves what did start to
 * serve_stop. */
static int serve_start(struct serve *sv)
{
    struct app *app = sv->app;
    struct pd_err err = {0};
    /* The clicks a crash left only in the journal go into the database before anything else. */
    if (open_click_journal(app) < 0)
        return -1;
    app->auth = auth_state_new(app->cfg.public_url, &err);
    if (!app->auth) {
        fprintf(stderr, "partnerd serve: %s\n", err.message);
        return -1;
    }
    app->writer = writer_start(app->cfg.db_url, app->cfg.write_batch, app->cfg.writers, &err);
    if (!app->writer) {
        fprintf(stderr, "partnerd serve: %s\n", err.message);
        return -1;
    }
    if (app->click_journal)
        app->click_journal->writer = app->writer;
    app->click_limiter = click_limiter_new(app->cfg.click_rate_limit, app->fingerprint_key);
    app->links = link_cache_new(LINK_CACHE_SLOTS);
    sv->sched = scheduler_start(app->writer, app->cfg.approve_interval * 1000,
                                app->cfg.click_retention_days, app->cfg.webhook_retention_days);
    if (!sv->sched) {
        fprintf(stderr, "partnerd serve: cannot start the approval scheduler\n");
        return -1;
    }
    sv->hooks = webhook_sender_start(app->writer, app->cfg.db_url, app->cfg.webhook_retry_base_ms,
                                     app->cfg.webhook_poll_ms, app->cfg.webhook_ca_file,
                                     app->cfg.postback_allow_private != 0,
                                     app->cfg.webhook_allow_private != 0, &err);
    if (!sv->hooks) {
        fprintf(stderr, "partnerd serve: cannot start the webhook sender: %s\n", err.message);
        return -1;
    }
    sv->paypal = paypal_sender_start(app->writer, app->cfg.db_url, app->cfg.paypal_poll_ms,
                                     app->cfg.paypal_retry_base_ms, app->cfg.paypal_timeout_ms,
                                     app->cfg.webhook_ca_file, &err);
    if (!sv->paypal) {
        fprintf(stderr, "partnerd serve: cannot start the PayPal sender: %s\n", err.message);
        return -1;
    }
    if (serve_http(sv) < 0)
        return -1;
    return serve_mailer(sv);
}

/* Serves until SIGTERM or SIGINT; the exit code. */
static int serve_run(struct serve *sv)
{
    struct app *app = sv->app;
    sv->sw.srv = app->http;
    pthread_t sig_thread;
    if (pthread_create(&sig_thread, NULL, signal_main, &sv->sw) != 0) {
        fprintf(stderr, "partnerd serve: cannot start the signal thread\n");
        return 1;
    }
    fprintf(stderr, "level=info msg=listening addr=%s:%d db=%s public_url=%s\n", sv->host,
            http_server_port(app->http), app->cfg.db_url, app->cfg.public_url);
    int rc = http_server_run(app->http) == 0 ? 0 : 1;
    sv->ran = true;
    pthread_cancel(sig_thread);
    pthread_join(sig_thread, NULL);
    return rc;
}

/* The one teardown, whatever serve_start reached (every step takes NULL). The jobs stop before
 * the writer, which finishes its queue before the workers it answers to are freed; the click
 * journal closes after the writer (every click is then in the database) and before the workers
 * its flushing threads answer through; so does the auth state, whose hashing thread answers
 * through them too. */
static void serve_stop(struct serve *sv)
{
    struct app *app = sv->app;
    mailer_stop(sv->mailer);
    webhook_sender_stop(sv->hooks);
    paypal_sender_stop(sv->paypal);
    scheduler_stop(sv->sched);
    writer_stop(app->writer);
    click_journal_close(app->click_journal);
    app->click_journal = NULL;
    auth_state_free(app->auth);
    app->auth = NULL;
    http_server_free(app->http);
    app->http = NULL;
    click_limiter_free(app->click_limiter);
    link_cache_free(app->links);
    inflight_destroy(&app->inflight);
    app_free(app);
}

int cmd_serve(int argc, char **argv)
{
    struct serve sv = {.app = calloc(1, sizeof *sv.app)};
    if (!sv.app)
        abort();
    int rc = serve_configure(&sv, argc, argv);
    if (rc >= 0) {
        app_free(sv.app);
        return rc;
    }
    /* Block the stop signals before any thread starts, so only signal_main receives them. */
    sigemptyset(&sv.sw.set);
    sigaddset(&sv.sw.set, SIGTERM);
    sigaddset(&sv.sw.set, SIGINT);
    sigaddset(&sv.sw.set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sv.sw.set, NULL);
    signal(SIGPIPE, SIG_IGN);
    inflight_init(&sv.app->inflight);
    rc = serve_start(&sv) == 0 ? serve_run(&sv) : 1;
    bool ran = sv.ran;
    serve_stop(&sv);
    if (ran)
        fprintf(stderr, "level=info msg=stopped\n");
    return rc;
}
