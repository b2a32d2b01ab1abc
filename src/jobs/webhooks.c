/* The webhook sender inside `partnerd serve` (jobs/webhooks.h): claims due deliveries through the
 * writer, sends each with a blocking HTTP/HTTPS client (to public addresses only unless the
 * operator allows private ones), and records the outcome through the writer: delivered on 2xx,
 * else retried with backoff until it expires. A delivery is claimed by one node at a time, so none
 * is sent twice at once. */
#include "jobs/webhooks.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app/fields.h"
#include "app/outbox.h"
#include "app/webhook_format.h"
#include "core/url.h"
#include "util/arena.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define CLAIM_BATCH 20
#define CLAIM_LEASE_MS (120LL * 1000) /* a claimed delivery not recorded by then is sent again */
#define SEND_TIMEOUT_MS 10000

struct webhook_sender {
    struct writer *writer;
    int64_t retry_base_ms;
    int poll_ms;
    SSL_CTX *tls;       /* https: verifies the chain and the host name */
    struct store *db;   /* read only: is anything due? */
    bool postbacks_private; /* postbacks may go to loopback/private addresses */
    bool webhooks_private;  /* endpoints may be loopback/private addresses */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stopping;
};

struct delivery {
    const char *id, *method, *url, *body, *secret;
    bool postback; /* a partner's URL, not a merchant's endpoint */
};

/* A writer job the sender waits for. */
struct sender_job {
    struct write_job job;
    struct webhook_sender *ws;
    bool finished;
    struct pd_err err;
    /* claim */
    struct arena *arena;
    struct delivery items[CLAIM_BATCH];
    int n;
    /* result */
    const char *id;
    bool ok;
    bool permanent; /* a failure that no retry can mend */
    int http_status;
    const char *error;
};

static void job_done(struct write_job *job)
{
    struct sender_job *sj = (struct sender_job *)job;
    pthread_mutex_lock(&sj->ws->lock);
    sj->finished = true;
    pthread_cond_broadcast(&sj->ws->wake);
    pthread_mutex_unlock(&sj->ws->lock);
}

static bool run_job(struct webhook_sender *ws, struct sender_job *sj)
{
    sj->ws = ws;
    sj->job.done = job_done;
    sj->job.keeps_links = true;
    if (writer_submit(ws->writer, &sj->job) < 0)
        return false;
    pthread_mutex_lock(&ws->lock);
    while (!sj->finished)
        pthread_cond_wait(&ws->wake, &ws->lock);
    pthread_mutex_unlock(&ws->lock);
    return sj->job.outcome == WRITE_COMMITTED;
}

static int claim_run(struct store *s, struct write_job *job)
{
    struct sender_job *sj = (struct sender_job *)job;
    int64_t now = time_now_ms();
    struct db_val p[2] = {db_int(now), db_int(CLAIM_BATCH)};
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT d.id, d.method, d.url, d.body, e.secret, d.endpoint_id IS NULL"
                    " FROM webhook_deliveries d"
                    " LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id"
                    " WHERE d.status = 'pending' AND d.next_attempt_at <= ?1"
                    " ORDER BY d.next_attempt_at, d.id LIMIT ?2",
                    p, 2, &cur, &sj->err) < 0)
        return -1;
    int rc;
    while (sj->n < CLAIM_BATCH && (rc = store_step(&cur, &sj->err)) == STORE_ROW) {
        struct delivery *d = &sj->items[sj->n++];
        d->id = col_dup(sj->arena, &cur, 0);
        d->method = col_dup(sj->arena, &cur, 1);
        d->url = col_dup(sj->arena, &cur, 2);
        d->body = store_is_null(&cur, 3) ? NULL : col_dup(sj->arena, &cur, 3);
        d->secret = store_is_null(&cur, 4) ? NULL : col_dup(sj->arena, &cur, 4);
        d->postback = store_col_int(&cur, 5) != 0;
    }
    store_finish(&cur);
    if (rc < 0)
        return -1;
    for (int i = 0; i < sj->n; i++)
        if (outbox_lease(s, sj->items[i].id, now + CLAIM_LEASE_MS, &sj->err) < 0)
            return -1;
    return 0;
}

static int result_run(struct store *s, struct write_job *job)
{
    struct sender_job *sj = (struct sender_job *)job;
    int64_t now = time_now_ms();
    struct db_val k = db_text(sj->id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT attempts, expires_at FROM webhook_deliveries"
                             " WHERE id = ?1 AND status = 'pending'",
                             &k, 1, &cur, &sj->err);
    if (rc != STORE_ROW)
        return rc < 0 ? -1 : 0;
    int attempts = (int)store_col_int(&cur, 0) + 1;
    int64_t expires = store_col_int(&cur, 1);
    store_finish(&cur);
    int64_t next = now + webhook_backoff_ms(sj->ws->retry_base_ms, attempts);
    const char *status = sj->ok                            ? "delivered"
                         : sj->permanent || next > expires ? "failed"
                                                           : "pending";
    bool finished = strcmp(status, "pending") != 0;
    struct outbox_attempt at = {
        .status = status,
        .attempts = attempts,
        .next_attempt_at = next,
        .http_status = sj->http_status,
        .error = sj->ok ? NULL : sj->error,
        .finished_at = finished ? now : 0,
    };
    return outbox_attempted(s, sj->id, &at, &sj->err);
}

/* Waits for fd to be ready (events) until deadline, in short slices so a stop is noticed. */
static int wait_fd(struct webhook_sender *ws, int fd, short events, int64_t deadline)
{
    for (;;) {
        if (atomic_load(&ws->stopping))
            return -1;
        int64_t left = deadline - time_now_ms();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, left < 200 ? (int)left : 200);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* One connection, plain or TLS, on a non-blocking socket. */
struct conn {
    struct webhook_sender *ws;
    int fd;
    SSL *ssl;
    int64_t deadline;
};

/* Waits for what the last TLS call wants; -1 on a real error. */
static int tls_wait(struct conn *c, int rc)
{
    int e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ)
        return wait_fd(c->ws, c->fd, POLLIN, c->deadline);
    if (e == SSL_ERROR_WANT_WRITE)
        return wait_fd(c->ws, c->fd, POLLOUT, c->deadline);
    return -1;
}

static int conn_send(struct conn *c, const char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        if (c->ssl) {
            size_t w = 0;
            int rc = SSL_write_ex(c->ssl, buf + off, len - off, &w);
            if (rc == 1)
                off += w;
            else if (tls_wait(c, rc) < 0)
                return -1;
            continue;
        }
        ssize_t w = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(c->ws, c->fd, POLLOUT, c->deadline) < 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Some bytes into buf: > 0, 0 at the end of the stream, -1 on error or timeout. */
static ssize_t conn_recv(struct conn *c, char *buf, size_t len)
{
    for (;;) {
        if (c->ssl) {
            size_t r = 0;
            int rc = SSL_read_ex(c->ssl, buf, len, &r);
            if (rc == 1)
                return (ssize_t)r;
            int e = SSL_get_error(c->ssl, rc);
            if (e == SSL_ERROR_ZERO_RETURN)
                return 0;
            if (tls_wait(c, rc) < 0)
                return -1;
            continue;
        }
        if (wait_fd(c->ws, c->fd, POLLIN, c->deadline) < 0)
            return -1;
        ssize_t r = recv(c->fd, buf, len, 0);
        if (r >= 0)
            return r;
        if (errno != EAGAIN && errno != EINTR)
            return -1;
    }
}

/* The TLS handshake, checking the certificate chain and that it names host. */
static int tls_start(struct conn *c, const char *host, const char **why)
{
    *why = "TLS setup failed";
    c->ssl = SSL_new(c->ws->tls);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
        return -1;
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    if (is_ip) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1)
            return -1;
    } else if (SSL_set_tlsext_host_name(c->ssl, host) != 1 || SSL_set1_host(c->ssl, host) != 1) {
        return -1;
    }
    for (;;) {
        int rc = SSL_connect(c->ssl);
        if (rc == 1)
            return 0;
        if (tls_wait(c, rc) < 0) {
            long v = SSL_get_verify_result(c->ssl);
            *why = v != X509_V_OK ? X509_verify_cert_error_string(v) : "the TLS handshake failed";
            return -1;
        }
    }
}

/* The address to connect to, in *ai (freed by the caller). Partners choose postback URLs, and
 * whoever holds the secret key endpoints: neither may reach the server's own network, so the
 * policy is applied to the very address connected to, after resolution. -1 with why (and
 * *permanent for a refused address). */
static int resolve(const struct webhook_sender *ws, const struct delivery *d,
                   const struct url_parts *u, struct addrinfo **ai, bool *permanent,
                   const char **why)
{
    char port[8];
    snprintf(port, sizeof port, "%d", u->port ? u->port : u->https ? 443 : 80);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    *ai = NULL;
    if (getaddrinfo(u->host, port, &hints, ai) != 0 || !*ai) {
        *ai = NULL;
        *why = "the host name does not resolve";
        return -1;
    }
    if (!(d->postback ? ws->postbacks_private : ws->webhooks_private) &&
        webhook_address_private((*ai)->ai_addr)) {
        *why = d->postback ? "postbacks to loopback, private or link-local addresses are refused"
                           : "the endpoint's host is a loopback, private or link-local address:"
                             " refused (the webhook_allow_private setting allows it)";
        *permanent = true;
        return -1;
    }
    return 0;
}

/* One attempt. *status: the HTTP status, 0 when none came. Returns 0 or -1 with why. */
static int http_attempt(struct webhook_sender *ws, const struct delivery *d, int *status,
                        bool *permanent, const char **why, struct arena *a)
{
    *status = 0;
    *permanent = false;
    struct url_parts u;
    if (!url_parse(d->url, &u)) {
        *why = "the URL is not valid";
        return -1;
    }
    const char *path = d->url + u.rest_off;
    size_t plen = strcspn(path, "#");
    const char *target =
        plen == 0 ? "/" : arena_sprintf(a, "%s%.*s", *path == '?' ? "/" : "", (int)plen, path);
    struct conn c = {.ws = ws, .fd = -1, .deadline = time_now_ms() + SEND_TIMEOUT_MS};
    struct addrinfo *ai = NULL;
    int rc = -1;
    if (resolve(ws, d, &u, &ai, permanent, why) < 0)
        goto out;
    *why = "cannot connect";
    c.fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (c.fd < 0)
        goto out;
    if (connect(c.fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
        goto out;
    if (wait_fd(ws, c.fd, POLLOUT, c.deadline) < 0)
        goto out;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0)
        goto out;
    if (u.https && tls_start(&c, u.host, why) < 0)
        goto out;
    char hostport[300];
    if (u.port)
        snprintf(hostport, sizeof hostport, "%s:%d", u.host, u.port);
    else
        snprintf(hostport, sizeof hostport, "%s", u.host);
    const char *req;
    if (d->body) {
        char sig[128];
        size_t blen = strlen(d->body);
        if (webhook_signature(d->secret ? d->secret : "", time_now_ms() / 1000, d->body, blen, sig,
                              sizeof sig) < 0) {
            *why = "cannot sign";
            goto out;
        }
        req = arena_sprintf(a,
                            "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: partnerd-webhooks/1\r\n"
                            "Content-Type: application/json\r\nPartnerd-Signature: %s\r\n"
                            "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                            d->method, target, hostport, sig, blen, d->body);
    } else {
        req = arena_sprintf(a,
                            "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: partnerd-postback/1\r\n"
                            "Connection: close\r\n\r\n",
                            d->method, target, hostport);
    }
    *why = "the request could not be sent";
    if (conn_send(&c, req, strlen(req)) < 0)
        goto out;
    *why = "no HTTP answer in time";
    char buf[512];
    size_t got = 0;
    while (got < sizeof buf - 1 && !memchr(buf, '\n', got)) {
        ssize_t r = conn_recv(&c, buf + got, sizeof buf - 1 - got);
        if (r < 0)
            goto out;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    int code = 0;
    if (strncmp(buf, "HTTP/1.", 7) != 0 || got < 12 || buf[8] != ' ' ||
        sscanf(buf + 9, "%3d", &code) != 1 || code < 100 || code > 599) {
        *why = "not an HTTP answer";
        goto out;
    }
    *status = code;
    if (code >= 200 && code < 300) {
        rc = 0;
    } else {
        *why = arena_sprintf(a, "answered %d%s", code,
                             code >= 300 && code < 400 ? " (redirects are not followed)" : "");
    }
out:
    if (c.ssl)
        SSL_free(c.ssl);
    if (c.fd >= 0)
        close(c.fd);
    if (ai)
        freeaddrinfo(ai);
    return rc;
}

/* true when some delivery is due (or the database cannot tell: the claim will find out). */
static bool anything_due(struct webhook_sender *ws)
{
    struct pd_err err = {0};
    struct db_val p = db_int(time_now_ms());
    int64_t n = 1;
    store_query_int(ws->db,
                    "SELECT COUNT(*) FROM (SELECT id FROM webhook_deliveries"
                    " WHERE status = 'pending' AND next_attempt_at <= ?1 LIMIT 1) due",
                    &p, 1, 1, &n, &err);
    return n > 0;
}

/* Claims a batch, sends it, records each outcome. Returns the number claimed. */
static int send_batch(struct webhook_sender *ws)
{
    if (!anything_due(ws))
        return 0;
    struct arena a;
    arena_init(&a, 1 << 14);
    struct sender_job claim = {.job = {.run = claim_run}, .arena = &a};
    int n = 0;
    if (!run_job(ws, &claim)) {
        if (claim.err.kind != PD_ERR_NONE)
            fprintf(stderr, "level=error msg=\"claiming webhook deliveries failed\" error=\"%s\"\n",
                    claim.err.message);
        goto done;
    }
    n = claim.n;
    for (int i = 0; i < n && !atomic_load(&ws->stopping); i++) {
        const struct delivery *d = &claim.items[i];
        struct sender_job res = {.job = {.run = result_run}, .id = d->id};
        const char *why = NULL;
        res.ok = http_attempt(ws, d, &res.http_status, &res.permanent, &why, &a) == 0;
        res.error = why;
        if (!res.ok)
            fprintf(stderr, "level=warn msg=\"webhook delivery failed\" id=%s error=\"%s\"\n",
                    d->id, why ? why : "?");
        if (!run_job(ws, &res))
            fprintf(stderr,
                    "level=error msg=\"recording a webhook delivery failed\" id=%s"
                    " error=\"%s\"\n",
                    d->id, res.err.message);
    }
done:
    arena_free(&a);
    return n;
}

static void *sender_main(void *arg)
{
    struct webhook_sender *ws = arg;
    while (!atomic_load(&ws->stopping)) {
        if (send_batch(ws) == CLAIM_BATCH)
            continue;
        pthread_mutex_lock(&ws->lock);
        struct timespec until = time_deadline_in_us((int64_t)ws->poll_ms * 1000);
        while (!atomic_load(&ws->stopping) &&
               pthread_cond_timedwait(&ws->wake, &ws->lock, &until) == 0)
            ;
        pthread_mutex_unlock(&ws->lock);
    }
    return NULL;
}

struct webhook_sender *webhook_sender_start(struct writer *w, const char *db_url,
                                            int64_t retry_base_ms, int poll_ms, const char *ca_file,
                                            bool postback_allow_private,
                                            bool webhook_allow_private, struct pd_err *err)
{
    struct store *db = store_open(db_url, true, err);
    if (!db)
        return NULL;
    SSL_CTX *tls = SSL_CTX_new(TLS_client_method());
    if (!tls) {
        store_close(db);
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot make a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION);
    SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
    int ok = ca_file && *ca_file ? SSL_CTX_load_verify_locations(tls, ca_file, NULL)
                                 : SSL_CTX_set_default_verify_paths(tls);
    if (ok != 1) {
        SSL_CTX_free(tls);
        store_close(db);
        pd_err_set(err, PD_ERR_BAD_REQUEST, "webhook_ca_file",
                   "cannot load the CA certificates%s%s", ca_file && *ca_file ? " from " : "",
                   ca_file ? ca_file : "");
        return NULL;
    }
    struct webhook_sender *ws = calloc(1, sizeof *ws);
    if (!ws)
        abort();
    ws->writer = w;
    ws->tls = tls;
    ws->db = db;
    ws->postbacks_private = postback_allow_private;
    ws->webhooks_private = webhook_allow_private;
    ws->retry_base_ms = retry_base_ms > 0 ? retry_base_ms : 30000;
    ws->poll_ms = poll_ms > 0 ? poll_ms : 1000;
    atomic_init(&ws->stopping, false);
    pthread_mutex_init(&ws->lock, NULL);
    pthread_cond_init(&ws->wake, NULL);
    if (pthread_create(&ws->thread, NULL, sender_main, ws) != 0) {
        pthread_cond_destroy(&ws->wake);
        pthread_mutex_destroy(&ws->lock);
        SSL_CTX_free(tls);
        store_close(db);
        free(ws);
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot start the thread");
        return NULL;
    }
    return ws;
}

void webhook_sender_stop(struct webhook_sender *ws)
{
    if (!ws)
        return;
    pthread_mutex_lock(&ws->lock);
    atomic_store(&ws->stopping, true);
    pthread_cond_broadcast(&ws->wake);
    pthread_mutex_unlock(&ws->lock);
    pthread_join(ws->thread, NULL);
    pthread_cond_destroy(&ws->wake);
    pthread_mutex_destroy(&ws->lock);
    SSL_CTX_free(ws->tls);
    store_close(ws->db);
    free(ws);
}
