#include "jobs/scheduler.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app/lifecycle.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define APPROVAL_BATCH 1000

struct scheduler {
    struct writer *writer;
    int interval_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
};

struct approval_job {
    struct write_job job;
    struct scheduler *sched;
    int64_t approved;
    struct pd_err err;
    bool finished;
};

static int approval_run(struct store *s, struct write_job *job)
{
    struct approval_job *aj = (struct approval_job *)job;
    return commissions_approve_due(s, time_now_ms(), APPROVAL_BATCH, &aj->approved, &aj->err);
}

static void approval_done(struct write_job *job)
{
    struct approval_job *aj = (struct approval_job *)job;
    pthread_mutex_lock(&aj->sched->lock);
    aj->finished = true;
    pthread_cond_broadcast(&aj->sched->wake);
    pthread_mutex_unlock(&aj->sched->lock);
}

/* One writer job; true when a full batch was approved (so there may be more due now). */
static bool approve_batch(struct scheduler *s)
{
    struct approval_job aj = {.job = {.run = approval_run, .done = approval_done}, .sched = s};
    if (writer_submit(s->writer, &aj.job) < 0)
        return false;
    pthread_mutex_lock(&s->lock);
    while (!aj.finished)
        pthread_cond_wait(&s->wake, &s->lock);
    pthread_mutex_unlock(&s->lock);
    if (aj.job.outcome != WRITE_COMMITTED) {
        fprintf(stderr, "level=error msg=\"approving due commissions failed\" error=\"%s\"\n",
                aj.err.message);
        return false;
    }
    if (aj.approved > 0)
        fprintf(stderr, "level=info msg=\"approved due commissions\" count=%lld\n",
                (long long)aj.approved);
    return aj.approved == APPROVAL_BATCH;
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->lock);
        while (approve_batch(s))
            ;
        pthread_mutex_lock(&s->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += s->interval_ms / 1000;
        until.tv_nsec += (long)(s->interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

struct scheduler *scheduler_start(struct writer *w, int interval_ms)
{
    struct scheduler *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->writer = w;
    s->interval_ms = interval_ms > 0 ? interval_ms : 60000;
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
