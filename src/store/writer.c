#include "store/writer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/banned.h"

struct writer {
    struct store *store;
    int max_batch;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct write_job *head, *tail; /* the queue, guarded by lock */
    bool stopping;
    struct writer_stats stats;     /* guarded by lock */
    atomic_uint_fast64_t generation;
    /* SQLite: checkpoints on a thread of their own (see checkpointer_main) */
    struct store *ckpt_store;
    pthread_t ckpt_thread;
    pthread_cond_t ckpt_wake;
    bool ckpt_running, ckpt_stopping; /* ckpt_stopping guarded by lock */
};

#define CHECKPOINT_INTERVAL_MS 100

/* SQLite in WAL mode copies the log back into the database file (a checkpoint, with an fsync of
 * the database) once the log passes 1000 pages, by default on the connection that just committed:
 * every click waiting for the writer's next commit would wait for the checkpoint too. Instead the
 * writer's connection never checkpoints, and this thread, on its own connection, runs a PASSIVE
 * checkpoint (it never blocks the writer) every CHECKPOINT_INTERVAL_MS. */
static void *checkpointer_main(void *arg)
{
    struct writer *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->ckpt_stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CHECKPOINT_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->ckpt_wake, &w->lock, &until);
        if (w->ckpt_stopping)
            break;
        pthread_mutex_unlock(&w->lock);
        struct pd_err err;
        if (w->ckpt_store->ops->exec_script(w->ckpt_store, "PRAGMA wal_checkpoint(PASSIVE)",
                                            &err) < 0)
            fprintf(stderr, "level=warn msg=\"checkpoint failed\" error=\"%s\"\n",
                    err.message);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Best effort: without it SQLite checkpoints on the writer's connection as usual. */
static void checkpointer_start(struct writer *w, const char *db_url)
{
    struct pd_err err;
    if (w->store->dialect != STORE_SQLITE)
        return;
    w->ckpt_store = store_open(db_url, false, &err);
    if (!w->ckpt_store)
        return;
    if (pthread_cond_init(&w->ckpt_wake, NULL) != 0)
        goto fail_cond;
    if (pthread_create(&w->ckpt_thread, NULL, checkpointer_main, w) != 0)
        goto fail_thread;
    if (w->store->ops->exec_script(w->store, "PRAGMA wal_autocheckpoint = 0", &err) < 0)
        fprintf(stderr, "level=warn msg=\"cannot turn off automatic checkpoints\" error=\"%s\"\n",
                err.message);
    w->ckpt_running = true;
    return;
fail_thread:
    pthread_cond_destroy(&w->ckpt_wake);
fail_cond:
    store_close(w->ckpt_store);
    w->ckpt_store = NULL;
}

static void checkpointer_stop(struct writer *w)
{
    if (!w->ckpt_running)
        return;
    pthread_mutex_lock(&w->lock);
    w->ckpt_stopping = true;
    pthread_cond_signal(&w->ckpt_wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->ckpt_thread, NULL);
    pthread_cond_destroy(&w->ckpt_wake);
    store_close(w->ckpt_store);
    w->ckpt_running = false;
}

/* One job in its own savepoint. false when the batch can no longer commit. */
static bool run_one(struct writer *w, struct write_job *j)
{
    struct pd_err err;
    if (store_begin(w->store, &err) < 0)
        return false;
    if (j->run(w->store, j) == 0) {
        j->outcome = WRITE_COMMITTED;
        return store_commit(w->store, &err) == 0;
    }
    j->outcome = WRITE_ROLLED_BACK;
    store_rollback(w->store);
    return true;
}

/* n consecutive jobs of one group in one savepoint; one by one when that fails. */
static bool run_group(struct writer *w, struct write_job *first, size_t n)
{
    struct pd_err err;
    if (store_begin(w->store, &err) < 0)
        return false;
    if (first->group->run_many(w->store, first, n) == 0) {
        struct write_job *j = first;
        for (size_t i = 0; i < n; i++, j = j->next)
            j->outcome = WRITE_COMMITTED;
        return store_commit(w->store, &err) == 0;
    }
    store_rollback(w->store);
    struct write_job *j = first;
    for (size_t i = 0; i < n; i++, j = j->next)
        if (!run_one(w, j))
            return false;
    return true;
}

static void run_batch(struct writer *w, struct write_job *batch, uint64_t n)
{
    struct pd_err err;
    uint64_t link_changes = w->store->link_changes;
    bool may_change_links = false;
    bool ok = store_begin(w->store, &err) == 0;
    if (!ok)
        fprintf(stderr, "level=error msg=\"writer: begin failed\" error=\"%s\"\n", err.message);
    for (struct write_job *j = batch; ok && j;) {
        size_t run = 1;
        struct write_job *last = j;
        if (!j->keeps_links)
            may_change_links = true;
        if (j->group) {
            while (last->next && last->next->group == j->group) {
                last = last->next;
                run++;
            }
            ok = run_group(w, j, run);
        } else {
            ok = run_one(w, j);
        }
        j = last->next;
    }
    if (ok && store_commit(w->store, &err) < 0) {
        fprintf(stderr, "level=error msg=\"writer: commit failed\" error=\"%s\"\n", err.message);
        ok = false;
    }
    if (!ok) {
        while (w->store->tx_depth > 0)
            store_rollback(w->store);
    }
    /* Before any job is reported done: a request that follows an acknowledged change of a link,
     * partner or program never sees the link cache's older copy. */
    if (ok && (w->store->counts_link_changes ? w->store->link_changes != link_changes
                                              : may_change_links))
        atomic_fetch_add(&w->generation, 1);
    pthread_mutex_lock(&w->lock);
    w->stats.batches++;
    w->stats.jobs += n;
    if (n > w->stats.max_batch)
        w->stats.max_batch = n;
    if (!ok)
        w->stats.failed_batches++;
    pthread_mutex_unlock(&w->lock);
    for (struct write_job *j = batch, *next; j; j = next) {
        next = j->next; /* done() may free the job */
        if (!ok)
            j->outcome = WRITE_FAILED;
        j->done(j);
    }
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!w->head && w->stopping) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        /* Take up to max_batch jobs; whatever arrives while they commit forms the next batch. */
        struct write_job *batch = w->head, *last = w->head;
        uint64_t n = 1;
        while (last->next && n < (uint64_t)w->max_batch) {
            last = last->next;
            n++;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->lock);
        run_batch(w, batch, n);
    }
    return NULL;
}

struct writer *writer_start(const char *db_url, int max_batch, struct pd_err *err)
{
    struct writer *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->max_batch = max_batch > 0 ? max_batch : 1024;
    w->store = store_open(db_url, false, err);
    if (!w->store)
        goto fail_store;
    if (pthread_mutex_init(&w->lock, NULL) != 0)
        goto fail_lock;
    if (pthread_cond_init(&w->wake, NULL) != 0)
        goto fail_cond;
    checkpointer_start(w, db_url); /* before the writer thread uses its connection */
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
        goto fail_thread;
    return w;
fail_thread:
    checkpointer_stop(w);
    pthread_cond_destroy(&w->wake);
fail_cond:
    pthread_mutex_destroy(&w->lock);
fail_lock:
    pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot start the writer thread");
    store_close(w->store);
fail_store:
    free(w);
    return NULL;
}

int writer_submit(struct writer *w, struct write_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return -1;
    }
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

void writer_stop(struct writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    checkpointer_stop(w);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    store_close(w->store);
    free(w);
}

void writer_get_stats(struct writer *w, struct writer_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
}

uint64_t writer_generation(struct writer *w)
{
    return atomic_load(&w->generation);
}

int writer_run_now(struct store *s, struct write_job *job, struct pd_err *err)
{
    if (store_begin(s, err) < 0)
        return -1;
    if (job->run(s, job) != 0) {
        store_rollback(s);
        job->outcome = WRITE_ROLLED_BACK;
        return 0;
    }
    if (store_commit(s, err) < 0) {
        job->outcome = WRITE_FAILED;
        return -1;
    }
    job->outcome = WRITE_COMMITTED;
    return 0;
}
