/* The server context: everything a running partnerd shares between threads. No other global
 * mutable state exists. */
#ifndef PD_APP_APP_H
#define PD_APP_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/client_ip.h"
#include "http/http.h"
#include "store/store.h"
#include "store/writer.h"

struct http_server;

struct app_config {
    char db_url[1024];
    char listen[256];           /* HOST:PORT */
    char public_url[512];       /* base URL for links in answers, e.g. https://track.shop.example */
    int workers;                /* 0 = number of cores */
    int write_batch;            /* most jobs in one group commit */
    int writers;                /* PostgreSQL: writing connections (SQLite has one) */
    int approve_interval;       /* seconds between approvals of commissions whose hold passed */
    int click_retention_days;   /* raw clicks older than this are deleted (0: kept); rollups stay */
    int click_rate_limit;       /* clicks per minute per address before they stop being unique */
    int click_queue_max;        /* clicks answered before the database has them, at most */
    int body_memory_max;        /* MiB of request bodies held at once by all workers, at most */
    int webhook_retry_base_ms;  /* webhooks: first retry after a failed delivery (then doubled) */
    int webhook_poll_ms;        /* webhooks: how often the outbox is looked at */
    int webhook_retention_days; /* delivered or failed deliveries older than this are deleted */
    char webhook_ca_file[512];  /* webhooks: PEM CAs trusted for https (empty: the system's) */
    char trusted_proxies[1024]; /* addresses/networks whose X-Forwarded-For is believed */
    char bot_list_file[512];    /* more bot user agents, one substring a line (empty: none) */
    int postback_allow_private; /* webhooks: 1 lets postbacks reach loopback/private addresses */
    int webhook_allow_private;  /* webhooks: 1 lets endpoints be loopback/private addresses */
    char metrics_token[256]; /* /metrics needs "Authorization: Bearer <it>"; empty: no /metrics */
    char smtp_url[512];      /* email: smtp://host[:port] or smtps://…; empty: nothing is sent */
    char smtp_from[256];     /* email: the sending address (required with smtp_url) */
    char smtp_user[256];     /* email: SMTP login (empty: none) */
    char smtp_password[256]; /* email */
    int smtp_timeout_ms;     /* email: one attempt, connection to the server's last reply */
    int smtp_retry_base_ms;  /* email: first retry after a failed attempt (then doubled) */
    int smtp_max_attempts;   /* email: attempts before a message is failed */
    int email_digest_interval; /* email: seconds between two digests of one partner (0: none) */
    int email_retention_days;  /* email: sent, failed or unsent messages older are deleted */
    int paypal_poll_ms;        /* paypal: how often parts sent to PayPal are looked at */
    int paypal_retry_base_ms;  /* paypal: first wait after a failed call or pending items */
    int paypal_timeout_ms;     /* paypal: the most one request to PayPal may take */
};

struct app_metrics {
    atomic_uint_fast64_t requests, clicks, clicks_not_found, conversions, errors_4xx, errors_5xx;
};

/* Idempotency keys whose first request is still being processed (→ 409 for a second one). */
struct inflight_set {
    pthread_mutex_t lock;
    char **keys;
    size_t n, cap;
};

struct auth_state;    /* sessions, password hashing, login throttling (src/auth/) */
struct link_cache;    /* the click path's links in memory (src/app/link_cache.h) */
struct bot_list;      /* an operator's bot user agents (src/core/bot_list.h) */
struct click_limiter; /* the per-address click rate limit (src/app/click_limit.h), NULL: none */
struct click_journal; /* the click path's journal (src/app/click_journal.h), NULL on PostgreSQL */

struct app {
    struct app_config cfg;
    struct auth_state *auth; /* NULL: no sessions (only API keys) */
    struct writer *writer;
    struct link_cache *links;
    struct click_journal *click_journal;
    struct click_limiter *click_limiter;
    struct http_server *http;
    uint8_t fingerprint_key[16];       /* keys the click uniqueness fingerprint; from settings */
    struct proxy_list trusted_proxies; /* cfg.trusted_proxies, parsed */
    struct bot_list *bots;             /* cfg.bot_list_file, parsed; NULL: the built-in list only */
    struct inflight_set inflight;
    struct app_metrics metrics;
};

/* Per HTTP worker thread. */
struct key_cache;

struct app_worker {
    struct app *app;
    struct store *db; /* this thread's read connection */
    int index;
    /* Clicks read in this turn of the loop, committed together at its end (src/api/clicks.c). */
    struct http_deferred click_flush;
    struct write_job *clicks_head, *clicks_tail;
    uint8_t *journal_buf; /* the journal records of a chunk of those clicks */
    struct key_cache
        *keys; /* API keys seen by this thread (src/app/key_cache.h), made on first use */
};

void inflight_init(struct inflight_set *s);
void inflight_destroy(struct inflight_set *s);
/* false when the key is already in flight. */
bool inflight_add(struct inflight_set *s, const char *key);
void inflight_remove(struct inflight_set *s, const char *key);

#endif
