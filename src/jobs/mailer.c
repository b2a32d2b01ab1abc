/* The mailer inside `partnerd serve` (jobs/mailer.h): claims through the writer, renders and
 * sends with libcurl outside it, records each outcome through it, like the webhook sender. A
 * message is claimed until its lease ends; sent but not recorded (a kill -9, the server's final
 * reply lost), it is sent again, with the same Message-ID. */
#include "jobs/mailer.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/emails.h"
#include "core/email_render.h"
#include "util/arena.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define CLAIM_BATCH 4
#define LEASE_MARGIN_MS 2000 /* beyond the attempt's own deadline */
#define DIGEST_BATCH 200
#define DIGEST_CHECK_MAX_MS (10LL * 60 * 1000) /* partners are looked at this often, at most */
#define PURGE_EVERY_MS (10LL * 60 * 1000)
#define PURGE_BATCH 10000
#define MESSAGE_MAX (4u << 20)

struct mailer {
    struct writer *writer;
    struct mailer_cfg cfg;
    uint8_t key[16];
    bool smtp;        /* an SMTP URL is set */
    struct store *db; /* read only: is anything due? */
    int64_t next_digest_ms;
    int64_t next_purge_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stopping;
};

/* A writer job the mailer waits for. */
struct mail_job {
    struct write_job job;
    struct mailer *m;
    bool finished;
    struct pd_err err;
    struct arena *arena;
    /* claim */
    struct email_claimed items[CLAIM_BATCH];
    int n;
    /* outcome */
    const char *id;
    int attempt;
    struct email_outcome out;
    /* digest and not_sent */
    char cursor[64];
    int seen;
    int64_t count;
};

static void job_done(struct write_job *job)
{
    struct mail_job *mj = (struct mail_job *)job;
    pthread_mutex_lock(&mj->m->lock);
    mj->finished = true;
    pthread_cond_broadcast(&mj->m->wake);
    pthread_mutex_unlock(&mj->m->lock);
}

static bool run_job(struct mailer *m, struct mail_job *mj,
                    int (*run)(struct store *, struct write_job *))
{
    mj->m = m;
    mj->job.run = run;
    mj->job.done = job_done;
    mj->job.keeps_links = true;
    if (writer_submit(m->writer, &mj->job) < 0)
        return false;
    pthread_mutex_lock(&m->lock);
    while (!mj->finished)
        pthread_cond_wait(&m->wake, &m->lock);
    pthread_mutex_unlock(&m->lock);
    return mj->job.outcome == WRITE_COMMITTED;
}

static int64_t lease_ms(const struct mailer *m)
{
    return (int64_t)m->cfg.timeout_ms + LEASE_MARGIN_MS;
}

static int claim_run(struct store *s, struct write_job *job)
{
    struct mail_job *mj = (struct mail_job *)job;
    return email_claim(s, time_now_ms(), lease_ms(mj->m), CLAIM_BATCH, mj->m->cfg.max_attempts,
                       mj->arena, mj->items, &mj->n, &mj->err);
}

static int outcome_run(struct store *s, struct write_job *job)
{
    struct mail_job *mj = (struct mail_job *)job;
    return email_attempted(s, mj->id, mj->attempt, &mj->out, time_now_ms(), &mj->err);
}

static int not_sent_run(struct store *s, struct write_job *job)
{
    struct mail_job *mj = (struct mail_job *)job;
    return email_mark_not_sent(s, time_now_ms(), &mj->count, &mj->err);
}

static int purge_run(struct store *s, struct write_job *job)
{
    struct mail_job *mj = (struct mail_job *)job;
    int64_t before = time_now_ms() - (int64_t)mj->m->cfg.retention_days * 86400000;
    return email_purge(s, before, PURGE_BATCH, &mj->count, &mj->err);
}

static int digest_run(struct store *s, struct write_job *job)
{
    struct mail_job *mj = (struct mail_job *)job;
    const struct mailer *m = mj->m;
    struct email_digest_cfg dc = {m->cfg.public_url, m->key,
                                  (int64_t)m->cfg.digest_interval_s * 1000};
    return email_digests_queue(s, &dc, time_now_ms(), DIGEST_BATCH, mj->cursor, sizeof mj->cursor,
                               &mj->seen, &mj->count, &mj->err);
}

struct upload {
    const char *data;
    size_t len, off;
};

static size_t upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nitems, left = u->len - u->off;
    if (n > left)
        n = left;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

static int upload_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const struct mailer *m = arg;
    return atomic_load(&m->stopping) ? 1 : 0;
}

/* One SMTP exchange: NULL when the server took the message, else why not (in a). */
static const char *smtp_send(struct mailer *m, const char *to, const char *msg, size_t len,
                             struct arena *a)
{
    CURL *h = curl_easy_init();
    if (!h)
        return "cannot start libcurl";
    char errbuf[CURL_ERROR_SIZE] = "";
    struct upload u = {msg, len, 0};
    const char *from = arena_sprintf(a, "<%s>", m->cfg.smtp_from);
    struct curl_slist *rcpt = curl_slist_append(NULL, arena_sprintf(a, "<%s>", to));
    const char *why = NULL;
    if (!rcpt) {
        curl_easy_cleanup(h);
        return "out of memory";
    }
    curl_easy_setopt(h, CURLOPT_URL, m->cfg.smtp_url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    if (m->cfg.smtp_user && m->cfg.smtp_user[0]) {
        curl_easy_setopt(h, CURLOPT_USERNAME, m->cfg.smtp_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, m->cfg.smtp_password ? m->cfg.smtp_password : "");
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)m->cfg.timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)m->cfg.timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, upload_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, m);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        why = arena_sprintf(a, "%s%s", errbuf[0] ? errbuf : curl_easy_strerror(rc),
                            code ? arena_sprintf(a, " (SMTP %ld)", code) : "");
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    return why;
}

/* Renders and sends one claimed message; fills the outcome. */
static void deliver(struct mailer *m, const struct email_claimed *c, struct email_outcome *o,
                    struct arena *a)
{
    json_error_t jerr;
    json_t *vars = json_loads(c->vars, 0, &jerr);
    char err[256] = "";
    struct strbuf msg;
    strbuf_init(&msg, MESSAGE_MAX);
    struct email_parts p = {
        c->kind, c->program_name, m->cfg.smtp_from, c->to, c->message_id, c->created_at, vars};
    if (email_render(&p, &msg, err, sizeof err) < 0 || strbuf_status(&msg) != STRBUF_OK) {
        o->permanent = true;
        o->error = arena_sprintf(a, "cannot be rendered: %s", err[0] ? err : "too large");
    } else {
        o->error = smtp_send(m, c->to, msg.data, msg.len, a);
        o->sent = o->error == NULL;
    }
    strbuf_free(&msg);
    json_decref(vars);
}

static bool anything_due(struct mailer *m, const char *statuses)
{
    struct pd_err err = {0};
    struct db_val p = db_int(time_now_ms());
    int64_t n = 1;
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM (SELECT id FROM emails WHERE status IN (%s)"
             " AND next_attempt_at <= ?1 LIMIT 1) due",
             statuses);
    store_query_int(m->db, sql, &p, 1, 1, &n, &err);
    return n > 0;
}

/* Claims a batch, sends it, records each outcome. Returns the number claimed. */
static int send_batch(struct mailer *m)
{
    if (!anything_due(m, "'queued', 'retrying', 'sending'"))
        return 0;
    struct arena a;
    arena_init(&a, 1 << 14);
    struct mail_job claim = {.arena = &a};
    int n = 0;
    if (!run_job(m, &claim, claim_run)) {
        fprintf(stderr, "level=error msg=\"claiming emails failed\" error=\"%s\"\n",
                claim.err.message);
        goto done;
    }
    n = claim.n;
    for (int i = 0; i < n && !atomic_load(&m->stopping); i++) {
        const struct email_claimed *c = &claim.items[i];
        struct mail_job res = {.id = c->id, .attempt = c->attempts};
        res.out.retry_base_ms = m->cfg.retry_base_ms;
        res.out.max_attempts = m->cfg.max_attempts;
        deliver(m, c, &res.out, &a);
        if (res.out.sent)
            fprintf(stderr, "level=info msg=\"email sent\" id=%s kind=%s attempt=%d\n", c->id,
                    c->kind, c->attempts);
        else
            fprintf(stderr, "level=warn msg=\"email not sent\" id=%s attempt=%d error=\"%s\"\n",
                    c->id, c->attempts, res.out.error);
        if (!run_job(m, &res, outcome_run))
            fprintf(stderr, "level=error msg=\"recording an email failed\" id=%s error=\"%s\"\n",
                    c->id, res.err.message);
    }
done:
    arena_free(&a);
    return n;
}

/* The digest pass, when due: partners in batches, each a writer job. */
static void digest_pass(struct mailer *m)
{
    int64_t now = time_now_ms();
    if (m->cfg.digest_interval_s <= 0 || now < m->next_digest_ms)
        return;
    int64_t every = (int64_t)m->cfg.digest_interval_s * 1000;
    m->next_digest_ms = now + (every < DIGEST_CHECK_MAX_MS ? every : DIGEST_CHECK_MAX_MS);
    struct mail_job dj = {0};
    do {
        dj.finished = false;
        dj.seen = 0;
        if (!run_job(m, &dj, digest_run)) {
            fprintf(stderr, "level=error msg=\"queueing digests failed\" error=\"%s\"\n",
                    dj.err.message);
            return;
        }
    } while (dj.seen == DIGEST_BATCH && !atomic_load(&m->stopping));
    if (dj.count > 0)
        fprintf(stderr, "level=info msg=\"digests queued\" count=%lld\n", (long long)dj.count);
}

/* The retention pass, when due: batches until one is not full. */
static void purge_pass(struct mailer *m)
{
    int64_t now = time_now_ms();
    if (m->cfg.retention_days <= 0 || now < m->next_purge_ms)
        return;
    m->next_purge_ms = now + PURGE_EVERY_MS;
    int64_t total = 0;
    for (;;) {
        struct mail_job pj = {0};
        if (!run_job(m, &pj, purge_run)) {
            fprintf(stderr, "level=error msg=\"deleting old emails failed\" error=\"%s\"\n",
                    pj.err.message);
            return;
        }
        total += pj.count;
        if (pj.count < PURGE_BATCH || atomic_load(&m->stopping))
            break;
    }
    if (total > 0)
        fprintf(stderr, "level=info msg=\"deleted emails past their retention\" count=%lld\n",
                (long long)total);
}

static void mark_not_sent(struct mailer *m)
{
    if (!anything_due(m, "'queued', 'retrying'"))
        return;
    struct mail_job j = {0};
    if (!run_job(m, &j, not_sent_run))
        fprintf(stderr, "level=error msg=\"marking emails not sent failed\" error=\"%s\"\n",
                j.err.message);
    else if (j.count > 0)
        fprintf(stderr, "level=info msg=\"emails kept, not sent: no smtp_url\" count=%lld\n",
                (long long)j.count);
}

static void *mailer_main(void *arg)
{
    struct mailer *m = arg;
    while (!atomic_load(&m->stopping)) {
        purge_pass(m);
        if (m->smtp) {
            digest_pass(m);
            if (send_batch(m) == CLAIM_BATCH)
                continue;
        } else {
            mark_not_sent(m);
        }
        pthread_mutex_lock(&m->lock);
        struct timespec until = time_deadline_in_us((int64_t)m->cfg.poll_ms * 1000);
        while (!atomic_load(&m->stopping) &&
               pthread_cond_timedwait(&m->wake, &m->lock, &until) == 0)
            ;
        pthread_mutex_unlock(&m->lock);
    }
    return NULL;
}

struct mailer *mailer_start(struct writer *w, const struct mailer_cfg *cfg, struct pd_err *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot initialise libcurl");
        return NULL;
    }
    struct store *db = store_open(cfg->db_url, true, err);
    if (!db) {
        curl_global_cleanup();
        return NULL;
    }
    struct mailer *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->writer = w;
    m->cfg = *cfg;
    memcpy(m->key, cfg->key, sizeof m->key);
    m->smtp = cfg->smtp_url && cfg->smtp_url[0];
    m->db = db;
    if (m->cfg.timeout_ms <= 0)
        m->cfg.timeout_ms = 30000;
    if (m->cfg.max_attempts <= 0)
        m->cfg.max_attempts = 8;
    if (m->cfg.poll_ms <= 0)
        m->cfg.poll_ms = 1000;
    atomic_init(&m->stopping, false);
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->wake, NULL);
    if (pthread_create(&m->thread, NULL, mailer_main, m) != 0) {
        pthread_cond_destroy(&m->wake);
        pthread_mutex_destroy(&m->lock);
        store_close(db);
        free(m);
        curl_global_cleanup();
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot start the thread");
        return NULL;
    }
    return m;
}

void mailer_stop(struct mailer *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    atomic_store(&m->stopping, true);
    pthread_cond_broadcast(&m->wake);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->lock);
    store_close(m->db);
    free(m);
    curl_global_cleanup();
}
