/* The PayPal sender inside `partnerd serve` (jobs/paypal.h): finds due parts on its own read
 * connection, calls PayPal with jobs/paypal_client.c, and books every outcome with a writer job.
 * Nothing is leased: two nodes working on one part at once is harmless, as PayPal pays a
 * sender_batch_id once (the second create is refused and looked up) and settling an item to the
 * outcome it has is a no-op. */
#include "jobs/paypal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/paypal_records.h"
#include "app/payouts.h"
#include "core/money.h"
#include "core/paypal.h"
#include "jobs/paypal_client.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define DUE_BATCH 8
#define BACKOFF_CAP_MS (3600LL * 1000)
#define ERROR_MAX 400
/* The most pages of one part's details read in one look (PayPal's pages hold 1,000 items). */
#define PAGES_MAX 64
/* The longest reason an item keeps (payout_item_settle's limit), with its NUL. */
#define PAYOUT_REASON_MAX 201

struct paypal_sender {
    struct writer *writer;
    struct store *db; /* read only */
    struct paypal_client *client;
    int poll_ms;
    int64_t retry_base_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stopping;
};

/* An item's final outcome to book. */
struct settle {
    const char *reference;
    bool paid;
    const char *reason;
};

enum booking {
    BOOK_ACCEPTED, /* PayPal made the part's batch */
    BOOK_AGAIN,    /* look again at next_ms */
    BOOK_SETTLE,   /* settle items, then done or again */
    BOOK_REFUSED,  /* PayPal refused the part: its items fail */
};

/* A writer job the sender waits for. */
struct pp_job {
    struct write_job job;
    struct paypal_sender *ps;
    bool finished;
    struct pd_err err;
    enum booking kind;
    const struct paypal_send *send;
    const char *payout_batch_id;
    const char *error;
    int64_t next_ms;
    bool progress, done;
    struct settle *settles;
    size_t nsettles;
};

static int64_t backoff_ms(const struct paypal_sender *ps, int attempts)
{
    int64_t d = ps->retry_base_ms;
    for (int i = 0; i < attempts && d < BACKOFF_CAP_MS; i++)
        d *= 2;
    return d < BACKOFF_CAP_MS ? d : BACKOFF_CAP_MS;
}

static void job_done(struct write_job *job)
{
    struct pp_job *j = (struct pp_job *)job;
    pthread_mutex_lock(&j->ps->lock);
    j->finished = true;
    pthread_cond_broadcast(&j->ps->wake);
    pthread_mutex_unlock(&j->ps->lock);
}

/* Settles each item; one PayPal reports in a state it cannot take (e.g. paid after failed) is
 * left as it is, with a warning. */
static int settle_all(struct store *s, struct pp_job *j, int64_t now)
{
    for (size_t i = 0; i < j->nsettles; i++) {
        const struct settle *st = &j->settles[i];
        struct pd_err e = {0};
        if (payout_item_settle(s, j->send->payout_id, st->reference, st->paid, st->reason, now,
                               &e) == 0)
            continue;
        if (e.kind != PD_ERR_CONFLICT && e.kind != PD_ERR_NOT_FOUND) {
            j->err = e;
            return -1;
        }
        fprintf(stderr,
                "level=warn msg=\"paypal item not settled\" payout=%s reference=%s error=\"%s\"\n",
                j->send->payout_id, st->reference, e.message);
    }
    return 0;
}

static int book_run(struct store *s, struct write_job *job)
{
    struct pp_job *j = (struct pp_job *)job;
    const char *sbid = j->send->sender_batch_id;
    int64_t now = time_now_ms();
    switch (j->kind) {
    case BOOK_ACCEPTED:
        return paypal_send_accepted(s, sbid, j->payout_batch_id, now, j->next_ms, &j->err);
    case BOOK_AGAIN:
        return paypal_send_again(s, sbid, j->progress, j->next_ms, j->error, &j->err);
    case BOOK_SETTLE:
        if (settle_all(s, j, now) < 0)
            return -1;
        if (j->done)
            return paypal_send_finish(s, sbid, "done", NULL, now, &j->err);
        return paypal_send_again(s, sbid, j->progress, j->next_ms, j->error, &j->err);
    case BOOK_REFUSED:
        if (settle_all(s, j, now) < 0)
            return -1;
        return paypal_send_finish(s, sbid, "failed", j->error, now, &j->err);
    }
    return -1;
}

/* Books j through the writer and waits for it. */
static void book(struct paypal_sender *ps, struct pp_job *j)
{
    j->ps = ps;
    j->job.run = book_run;
    j->job.done = job_done;
    j->job.keeps_links = true;
    if (writer_submit(ps->writer, &j->job) < 0)
        return;
    pthread_mutex_lock(&ps->lock);
    while (!j->finished)
        pthread_cond_wait(&ps->wake, &ps->lock);
    pthread_mutex_unlock(&ps->lock);
    if (j->job.outcome != WRITE_COMMITTED)
        fprintf(stderr,
                "level=error msg=\"booking a paypal outcome failed\" part=%s error=\"%s\"\n",
                j->send->sender_batch_id, j->err.message);
}

static void book_again(struct paypal_sender *ps, const struct paypal_send *d, const char *error)
{
    struct pp_job j = {.kind = BOOK_AGAIN,
                       .send = d,
                       .error = error,
                       .next_ms = time_now_ms() + backoff_ms(ps, d->attempts)};
    if (error)
        fprintf(stderr, "level=warn msg=\"paypal attempt failed\" part=%s error=\"%s\"\n",
                d->sender_batch_id, error);
    book(ps, &j);
}

/* The part's items still sent (on the read connection; an item settled since is never sent to
 * PayPal again nor waited for). -1 when they cannot be read: the part is then tried again. */
static int open_items(struct paypal_sender *ps, const struct paypal_send *d, struct arena *a,
                      struct payout_paypal_item **out, size_t *n)
{
    struct payout_paypal_item *items = NULL;
    size_t all = 0, parts = 0;
    struct pd_err err = {0};
    if (payout_paypal_items(ps->db, d->payout_id, (size_t)d->part, a, &items, &all, &parts, &err) <
        0) {
        book_again(ps, d, arena_sprintf(a, "reading the part's items: %s", err.message));
        return -1;
    }
    *out = arena_calloc(a, (all ? all : 1) * sizeof **out);
    *n = 0;
    for (size_t i = 0; i < all; i++)
        if (strcmp(items[i].status, "sent") == 0)
            (*out)[(*n)++] = items[i];
    return 0;
}

/* What the batch's emails say. */
static void batch_texts(struct paypal_sender *ps, const struct paypal_send *d, char *subject,
                        char *message, size_t len)
{
    struct db_val k = db_text(d->payout_id);
    struct store_cursor cur;
    struct pd_err err = {0};
    snprintf(subject, len, "You have a payout");
    snprintf(message, len, "Your commissions");
    if (store_query_row(ps->db,
                        "SELECT g.name, p.period FROM payouts p JOIN programs g"
                        " ON g.id = p.program_id WHERE p.id = ?1",
                        &k, 1, &cur, &err) != STORE_ROW)
        return;
    snprintf(subject, len, "You have a payout from %s", store_col_text(&cur, 0));
    snprintf(message, len, "Your commissions from %s, %s", store_col_text(&cur, 0),
             store_col_text(&cur, 1));
    store_finish(&cur);
}

/* The part's items failed with reason (PayPal refused the part for good). */
static void refuse_part(struct paypal_sender *ps, const struct paypal_send *d,
                        struct payout_paypal_item *items, size_t n, const char *reason,
                        struct arena *a)
{
    struct pp_job j = {.kind = BOOK_REFUSED,
                       .send = d,
                       .error = reason,
                       .settles = arena_calloc(a, (n ? n : 1) * sizeof(struct settle)),
                       .nsettles = n};
    for (size_t i = 0; i < n; i++)
        j.settles[i] = (struct settle){items[i].reference, false,
                                       arena_strndup(a, reason, PAYOUT_REASON_MAX - 1)};
    fprintf(stderr, "level=warn msg=\"paypal refused a batch\" part=%s error=\"%s\"\n",
            d->sender_batch_id, reason);
    book(ps, &j);
}

static void create_part(struct paypal_sender *ps, const struct paypal_send *d,
                        const struct paypal_api *api, struct arena *a)
{
    char error[ERROR_MAX] = "", subject[300], message[300], batch_id[64];
    struct payout_paypal_item *items;
    size_t n = 0;
    if (open_items(ps, d, a, &items, &n) < 0)
        return;
    if (n == 0) { /* every item was settled by hand before PayPal was asked */
        struct pp_job j = {.kind = BOOK_SETTLE, .send = d, .done = true};
        book(ps, &j);
        return;
    }
    const struct currency *cur = currency_find(items[0].currency);
    struct paypal_item_in *in = arena_calloc(a, n * sizeof *in);
    for (size_t i = 0; i < n; i++)
        in[i] = (struct paypal_item_in){items[i].email, items[i].reference, NULL, items[i].amount};
    batch_texts(ps, d, subject, message, sizeof subject);
    struct pd_err err = {0};
    char *body =
        cur ? paypal_create_body(d->sender_batch_id, subject, message, cur, in, n, &err) : NULL;
    if (!body) {
        refuse_part(ps, d, items, n, cur ? err.message : "the currency is unknown", a);
        return;
    }
    enum paypal_result r =
        paypal_client_create(ps->client, api, body, batch_id, sizeof batch_id, error, sizeof error);
    free(body);
    if (r == PAYPAL_OK) {
        struct pp_job j = {.kind = BOOK_ACCEPTED,
                           .send = d,
                           .payout_batch_id = batch_id,
                           .next_ms = time_now_ms()};
        book(ps, &j);
    } else if (r == PAYPAL_REFUSED) {
        refuse_part(ps, d, items, n, error, a);
    } else {
        book_again(ps, d, error);
    }
}

static int ref_cmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Reads every page of the part's batch: the outcomes of the open items (refs, sorted) that are
 * final become settlements; *settled counts them. -1 with error. */
static int read_outcomes(struct paypal_sender *ps, const struct paypal_send *d,
                         const struct paypal_api *api, struct arena *a, struct pp_job *j,
                         const char **refs, size_t nrefs, char *error)
{
    int64_t now = time_now_ms(), sent = d->accepted_at ? d->accepted_at : d->created_at;
    j->settles = arena_calloc(a, (nrefs ? nrefs : 1) * sizeof(struct settle));
    for (int64_t page = 1, pages = 1; page <= pages && page <= PAGES_MAX; page++) {
        struct paypal_batch_page pg;
        if (paypal_client_batch_page(ps->client, api, d->payout_batch_id, page, a, &pg, error,
                                     ERROR_MAX) != PAYPAL_OK)
            return -1;
        pages = pg.total_pages > pages ? pg.total_pages : pages;
        for (size_t i = 0; i < pg.nitems && j->nsettles < nrefs; i++) {
            const char *ref = pg.items[i].sender_item_id;
            char reason[PAYOUT_REASON_MAX];
            if (!bsearch(&ref, refs, nrefs, sizeof *refs, ref_cmp))
                continue; /* settled already, or not ours */
            enum paypal_outcome o = paypal_item_outcome(&pg.items[i], pg.batch_status, sent, now,
                                                        reason, sizeof reason);
            if (o != PAYPAL_PENDING)
                j->settles[j->nsettles++] = (struct settle){
                    ref, o == PAYPAL_PAID, o == PAYPAL_PAID ? NULL : arena_strdup(a, reason)};
        }
    }
    return 0;
}

static void follow_part(struct paypal_sender *ps, const struct paypal_send *d,
                        const struct paypal_api *api, struct arena *a)
{
    char error[ERROR_MAX] = "";
    struct payout_paypal_item *items;
    size_t n = 0;
    if (open_items(ps, d, a, &items, &n) < 0)
        return;
    const char **refs = arena_calloc(a, (n ? n : 1) * sizeof *refs);
    for (size_t i = 0; i < n; i++)
        refs[i] = items[i].reference;
    qsort(refs, n, sizeof *refs, ref_cmp);
    struct pp_job j = {.kind = BOOK_SETTLE, .send = d};
    if (n > 0 && read_outcomes(ps, d, api, a, &j, refs, n, error) < 0) {
        book_again(ps, d, error);
        return;
    }
    /* Done once every item still open is final at PayPal (an item PayPal's batch does not show
     * stays open: it is asked about again). */
    j.done = j.nsettles == n;
    j.progress = j.nsettles > 0;
    j.next_ms = time_now_ms() + backoff_ms(ps, j.progress ? 0 : d->attempts);
    book(ps, &j);
}

static void process(struct paypal_sender *ps, const struct paypal_send *d, struct arena *a)
{
    struct paypal_settings st;
    struct pd_err err = {0};
    int rc = paypal_settings_load(ps->db, d->program_id, a, &st, &err);
    if (rc != 0) {
        book_again(ps, d, rc < 0 ? err.message : "PayPal is no longer set up for the program");
        return;
    }
    struct paypal_api api = {paypal_settings_url(&st), st.client_id, st.client_secret};
    if (strcmp(d->status, "creating") == 0)
        create_part(ps, d, &api, a);
    else
        follow_part(ps, d, &api, a);
}

/* Works on the due parts; returns how many there were. */
static int run_due(struct paypal_sender *ps)
{
    int64_t now = time_now_ms();
    if (!paypal_sends_any_due(ps->db, now))
        return 0;
    struct arena a;
    arena_init(&a, 1 << 16);
    struct paypal_send due[DUE_BATCH];
    int n = 0;
    struct pd_err err = {0};
    if (paypal_sends_due(ps->db, now, DUE_BATCH, &a, due, &n, &err) < 0)
        fprintf(stderr, "level=error msg=\"reading paypal parts failed\" error=\"%s\"\n",
                err.message);
    for (int i = 0; i < n && !atomic_load(&ps->stopping); i++)
        process(ps, &due[i], &a);
    arena_free(&a);
    return n;
}

static void *sender_main(void *arg)
{
    struct paypal_sender *ps = arg;
    while (!atomic_load(&ps->stopping)) {
        if (run_due(ps) == DUE_BATCH)
            continue;
        pthread_mutex_lock(&ps->lock);
        struct timespec until = time_deadline_in_us((int64_t)ps->poll_ms * 1000);
        while (!atomic_load(&ps->stopping) &&
               pthread_cond_timedwait(&ps->wake, &ps->lock, &until) == 0)
            ;
        pthread_mutex_unlock(&ps->lock);
    }
    return NULL;
}

struct paypal_sender *paypal_sender_start(struct writer *w, const char *db_url, int poll_ms,
                                          int64_t retry_base_ms, int timeout_ms,
                                          const char *ca_file, struct pd_err *err)
{
    struct paypal_sender *ps = calloc(1, sizeof *ps);
    if (!ps)
        abort();
    atomic_init(&ps->stopping, false);
    const char *hook = getenv(PAYPAL_HOLD_ENV);
    ps->db = store_open(db_url, true, err);
    if (!ps->db)
        goto fail;
    ps->client = paypal_client_new(ca_file, &ps->stopping, timeout_ms > 0 ? timeout_ms : 30000,
                                   hook && strcmp(hook, "after_create") == 0, err);
    if (!ps->client)
        goto fail_db;
    ps->writer = w;
    ps->poll_ms = poll_ms > 0 ? poll_ms : 1000;
    ps->retry_base_ms = retry_base_ms > 0 ? retry_base_ms : 30000;
    pthread_mutex_init(&ps->lock, NULL);
    pthread_cond_init(&ps->wake, NULL);
    if (pthread_create(&ps->thread, NULL, sender_main, ps) != 0) {
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot start the thread");
        goto fail_thread;
    }
    return ps;
fail_thread:
    pthread_cond_destroy(&ps->wake);
    pthread_mutex_destroy(&ps->lock);
    paypal_client_free(ps->client);
fail_db:
    store_close(ps->db);
fail:
    free(ps);
    return NULL;
}

void paypal_sender_stop(struct paypal_sender *ps)
{
    if (!ps)
        return;
    pthread_mutex_lock(&ps->lock);
    atomic_store(&ps->stopping, true);
    pthread_cond_broadcast(&ps->wake);
    pthread_mutex_unlock(&ps->lock);
    pthread_join(ps->thread, NULL);
    pthread_cond_destroy(&ps->wake);
    pthread_mutex_destroy(&ps->lock);
    paypal_client_free(ps->client);
    store_close(ps->db);
    free(ps);
}
