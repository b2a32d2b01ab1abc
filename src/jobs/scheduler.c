/* The background scheduler inside `partnerd serve` (jobs/scheduler.h): one thread that, every
 * interval, approves due commissions, makes PostgreSQL's coming months of raw clicks (their
 * partitions) and deletes what retention allows, in batches queued to the
 * writer like requests, so it never holds the write lock for long and never races a request. */
#include "jobs/scheduler.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app/clicks.h"
#include "app/connections.h"
#include "app/idempotency.h"
#include "app/lifecycle.h"
#include "app/outbox.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define APPROVAL_BATCH 1000
#define PURGE_BATCH 10000

struct scheduler {
    struct writer *writer;
    int interval_ms;
    int click_retention_days;
    int webhook_retention_days;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
};

/* One batch of a background task, as a writer job the scheduler's thread waits for. */
struct task_job {
    struct write_job job;
    struct scheduler *sched;
    int64_t done_count; /* commissions approved, clicks deleted */
    struct pd_err err;
    bool finished;
};

static int approval_run(struct store *s, struct write_job *job)
{
    struct task_job *tj = (struct task_job *)job;
    return commissions_approve_due(s, time_now_ms(), APPROVAL_BATCH, &tj->done_count, &tj->err);
}

static int purge_run(struct store *s, struct write_job *job)
{
    struct task_job *tj = (struct task_job *)job;
    /* Never a click some program could still attribute: the longest window wins. */
    int64_t window = 0;
    if (store_query_int(s, "SELECT COALESCE(MAX(attribution_window_days), 0) FROM programs", NULL,
                        0, 0, &window, &tj->err) < 0)
        return -1;
    int64_t days =
        window > tj->sched->click_retention_days ? window : tj->sched->click_retention_days;
    return clicks_purge(s, time_now_ms() - days * 86400000, PURGE_BATCH, &tj->done_count, &tj->err);
}

/* PostgreSQL's monthly partitions of raw clicks, made ahead (nothing on SQLite). */
#define PARTITION_MONTHS_AHEAD 2

static int partitions_run(struct store *s, struct write_job *job)
{
    struct task_job *tj = (struct task_job *)job;
    return clicks_partitions_ahead(s, time_now_ms(), PARTITION_MONTHS_AHEAD, &tj->done_count,
                                   &tj->err);
}

static int idempotency_purge_run(struct store *s, struct write_job *job)
{
    struct task_job *tj = (struct task_job *)job;
    return idempotency_purge(s, time_now_ms() - (int64_t)IDEMPOTENCY_KEY_HOURS * 3600000,
                             PURGE_BATCH, &tj->done_count, &tj->err);
}

static int deliveries_purge_run(struct store *s, struct write_job *job)
{
    struct task_job *tj = (struct task_job *)job;
    return outbox_purge_finished(
        s, time_now_ms() - (int64_t)tj->sched->webhook_retention_days * 86400000, PURGE_BATCH,
        &tj->done_count, &tj->err);
}

static int connection_events_purge_run(struct store *s, struct write_job *job)
{
    struct task_job *tj = (struct task_job *)job;
    return connection_events_purge(s, time_now_ms() - (int64_t)CONNECTION_EVENT_DAYS * 86400000,
                                   PURGE_BATCH, &tj->done_count, &tj->err);
}

static void task_done(struct write_job *job)
{
    struct task_job *tj = (struct task_job *)job;
    pthread_mutex_lock(&tj->sched->lock);
    tj->finished = true;
    pthread_cond_broadcast(&tj->sched->wake);
    pthread_mutex_unlock(&tj->sched->lock);
}

/* Runs one batch and waits for it; true when it was full (so there may be more to do now). */
static bool run_task(struct scheduler *s, int (*run)(struct store *, struct write_job *),
                     int64_t full, const char *what)
{
    struct task_job tj = {.job = {.run = run, .done = task_done, .keeps_links = true}, .sched = s};
    if (writer_submit(s->writer, &tj.job) < 0)
        return false;
    pthread_mutex_lock(&s->lock);
    while (!tj.finished)
        pthread_cond_wait(&s->wake, &s->lock);
    pthread_mutex_unlock(&s->lock);
    if (tj.job.outcome != WRITE_COMMITTED) {
        fprintf(stderr, "level=error msg=\"%s failed\" error=\"%s\"\n", what, tj.err.message);
        return false;
    }
    if (tj.done_count > 0)
        fprintf(stderr, "level=info msg=\"%s\" count=%lld\n", what, (long long)tj.done_count);
    return tj.done_count == full;
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->lock);
        while (run_task(s, approval_run, APPROVAL_BATCH, "approved due commissions"))
            ;
        run_task(s, partitions_run, -1, "created the coming months' partitions of clicks");
        while (s->click_retention_days > 0 &&
               run_task(s, purge_run, PURGE_BATCH, "deleted clicks past the retention period"))
            ;
        while (run_task(s, idempotency_purge_run, PURGE_BATCH,
                        "deleted idempotency keys past their window"))
            ;
        while (run_task(s, connection_events_purge_run, PURGE_BATCH,
                        "deleted store webhook events past their retention"))
            ;
        while (s->webhook_retention_days > 0 &&
               run_task(s, deliveries_purge_run, PURGE_BATCH,
                        "deleted finished webhook deliveries past their retention"))
            ;
        pthread_mutex_lock(&s->lock);
        struct timespec until = time_deadline_in_us((int64_t)s->interval_ms * 1000);
        while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

struct scheduler *scheduler_start(struct writer *w, int interval_ms, int click_retention_days,
                                  int webhook_retention_days)
{
    struct scheduler *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->writer = w;
    s->interval_ms = interval_ms > 0 ? interval_ms : 60000;
    s->click_retention_days = click_retention_days;
    s->webhook_retention_days = webhook_retention_days;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    return s;
}

void scheduler_stop(struct scheduler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
