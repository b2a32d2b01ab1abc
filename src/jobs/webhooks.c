/* The webhook sender inside `partnerd serve` (jobs/webhooks.h): claims due deliveries through the
 * writer, sends each with the blocking client of http/client.h (to public addresses only unless
 * the operator allows private ones: the policy is this file's), and records the outcome through
 * the writer: delivered on 2xx, else retried with backoff until it expires. A delivery is claimed by one node at a time, so none
 * is sent twice at once. */
#include "jobs/webhooks.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/fields.h"
#include "app/outbox.h"
#include "app/webhook_format.h"
#include "http/client.h"
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
    struct http_client *client; /* plain and TLS connections, the CA certificates */
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
    /* Nodes' senders take turns claiming: what one leases, the next no longer finds due. */
    sj->n = 0;
    if (store_lock(s, "webhook claims", NULL, NULL, &sj->err) < 0)
        return -1;
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

/* The address policy of a postback (arg: the sender): partners choose postback URLs, and
 * whoever holds the secret key endpoints; neither may reach the server's own network unless the
 * operator allows it. */
static const char *postback_address(const struct sockaddr *sa, void *arg)
{
    const struct webhook_sender *ws = arg;
    if (ws->postbacks_private || !webhook_address_private(sa))
        return NULL;
    return "postbacks to loopback, private or link-local addresses are refused";
}

static const char *endpoint_address(const struct sockaddr *sa, void *arg)
{
    const struct webhook_sender *ws = arg;
    if (ws->webhooks_private || !webhook_address_private(sa))
        return NULL;
    return "the endpoint's host is a loopback, private or link-local address:"
           " refused (the webhook_allow_private setting allows it)";
}

/* One attempt: a signed POST of the event to an endpoint, or a partner's postback GET. Fills the
 * result's ok, permanent (a refused address), http_status and error. */
static void deliver(struct webhook_sender *ws, const struct delivery *d, struct sender_job *res,
                    struct arena *a)
{
    struct http_client_header h[3];
    struct http_client_req req = {
        .method = d->method,
        .url = d->url,
        .headers = h,
        .timeout_ms = SEND_TIMEOUT_MS,
        .addr_check = d->postback ? postback_address : endpoint_address,
        .addr_arg = ws,
        .cancel = &ws->stopping,
    };
    h[0] = (struct http_client_header){"User-Agent", "partnerd-postback/1"};
    req.nheaders = 1;
    if (d->body) {
        char sig[128];
        size_t blen = strlen(d->body);
        if (webhook_signature(d->secret ? d->secret : "", time_now_ms() / 1000, d->body, blen, sig,
                              sizeof sig) < 0) {
            res->error = "cannot sign";
            return;
        }
        h[0].value = "partnerd-webhooks/1";
        h[1] = (struct http_client_header){"Content-Type", "application/json"};
        h[2] = (struct http_client_header){"Partnerd-Signature", arena_sprintf(a, "%s", sig)};
        req.nheaders = 3;
        req.body = d->body;
        req.body_len = blen;
    }
    struct http_client_resp resp;
    struct pd_err err = {0};
    if (http_client_request(ws->client, &req, &resp, &err) < 0) {
        res->http_status = resp.status;
        res->permanent = err.kind == PD_ERR_FORBIDDEN;
        res->error = arena_sprintf(a, "%s", err.message);
    } else {
        int code = resp.status;
        res->http_status = code;
        res->ok = code >= 200 && code < 300;
        if (!res->ok)
            res->error = arena_sprintf(
                a, "answered %d%s", code,
                code >= 300 && code < 400 ? " (redirects are not followed)" : "");
    }
    http_client_resp_free(&resp);
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
        deliver(ws, d, &res, &a);
        if (!res.ok)
            fprintf(stderr, "level=warn msg=\"webhook delivery failed\" id=%s error=\"%s\"\n",
                    d->id, res.error ? res.error : "?");
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
    struct http_client *client = http_client_new(ca_file, err);
    if (!client) {
        store_close(db);
        if (err && err->kind == PD_ERR_BAD_REQUEST)
            snprintf(err->param, sizeof err->param, "webhook_ca_file");
        return NULL;
    }
    struct webhook_sender *ws = calloc(1, sizeof *ws);
    if (!ws)
        abort();
    ws->writer = w;
    ws->client = client;
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
        http_client_free(client);
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
    http_client_free(ws->client);
    store_close(ws->db);
    free(ws);
}
